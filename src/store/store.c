/* What the store's files share: array literals, transactions, readers. */
#include "shared.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/db.h"
#include "cordgate/store.h"

enum cg_err
store_ping(struct db *db, struct arena *a, int64_t deadline_ms)
{
    return db_exec(db, a, deadline_ms, "SELECT 1", 0, NULL, NULL, NULL);
}

/* {"a","b\"c",NULL}: strings quoted, so only a NULL item is SQL NULL. */
const char *
store_text_array(struct arena *a, const char *const *items, int n)
{
    struct buf b;
    int i;

    buf_init(&b, a, (size_t)1 << 28);
    if (buf_append_char(&b, '{') != 0)
        return NULL;
    for (i = 0; i < n; i++) {
        const char *p;

        if (i > 0 && buf_append_char(&b, ',') != 0)
            return NULL;
        if (items[i] == NULL) {
            if (buf_append_str(&b, "NULL") != 0)
                return NULL;
            continue;
        }
        if (buf_append_char(&b, '"') != 0)
            return NULL;
        for (p = items[i]; *p != '\0'; p++)
            if (((*p == '"' || *p == '\\') && buf_append_char(&b, '\\')) ||
                buf_append_char(&b, *p) != 0)
                return NULL;
        if (buf_append_char(&b, '"') != 0)
            return NULL;
    }
    if (buf_append_char(&b, '}') != 0)
        return NULL;
    return b.data;
}

void
store_rollback(struct db *db, struct arena *a, int64_t deadline_ms)
{
    if (db_exec_script(db, a, deadline_ms, "ROLLBACK") != CG_ERR_OK)
        db_disconnect(db);
}

enum cg_err
store_transaction(struct db *db, struct arena *a, int64_t deadline_ms,
                  enum cg_err (*fn)(struct db *db, struct arena *a,
                                    int64_t deadline_ms, void *arg,
                                    bool *rollback),
                  void *arg)
{
    bool own = !db_in_transaction(db), rollback = false;
    enum cg_err e =
        own ? db_exec_script(db, a, deadline_ms, "BEGIN") : CG_ERR_OK;

    if (e != CG_ERR_OK)
        return e;
    e = fn(db, a, deadline_ms, arg, &rollback);
    if (!own)
        return e;
    if (e == CG_ERR_OK && !rollback)
        e = db_exec_script(db, a, deadline_ms, "COMMIT");
    else if (db_in_transaction(db))
        store_rollback(db, a, deadline_ms);
    return e;
}

const char *
store_value(struct arena *a, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return arena_strdup(a, PQgetvalue(res, row, col));
}

int
store_read_user(struct arena *a, const PGresult *res, int row, int col,
                struct user *u)
{
    u->id = store_value(a, res, row, col);
    u->email = store_value(a, res, row, col + 1);
    u->name = store_value(a, res, row, col + 2);
    u->short_name = store_value(a, res, row, col + 3);
    u->status = store_value(a, res, row, col + 4);
    u->profile_picture_url = store_value(a, res, row, col + 5);
    u->metadata = store_value(a, res, row, col + 6);
    u->created_at = store_value(a, res, row, col + 7);
    return u->id && u->status && u->metadata && u->created_at ? 0 : -1;
}

enum cg_err
store_read_users(struct arena *a, const PGresult *res, int rows, int col,
                 struct user **out)
{
    int i;

    *out = arena_calloc(a, (size_t)rows + 1, sizeof(**out));
    if (*out == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < rows; i++)
        if (store_read_user(a, res, i, col, &(*out)[i]) != 0)
            return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

int
store_random_hex(char *hex, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t i;

    if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
        return -1;
    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 15];
    }
    hex[2 * n] = '\0';
    return 0;
}

enum cg_err
store_delete(struct db *db, struct arena *a, int64_t deadline_ms,
             const char *sql, const char *app_id, const char *id, bool *found)
{
    const char *params[2] = {app_id, id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms, sql, 2, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *found = PQntuples(res) == 1;
    return CG_ERR_OK;
}

void
store_page_limit(char *text, size_t size, long limit)
{
    snprintf(text, size, "%ld", limit + 1);
}

enum cg_err
store_read_page(struct arena *a, const PGresult *res, int col, long limit,
                struct user **out, int *count, bool *more)
{
    int n = PQntuples(res);

    /* The LEFT JOIN's one row of NULLs is no user. */
    if (n == 1 && PQgetisnull(res, 0, col))
        n = 0;
    *more = n > limit;
    *count = *more ? (int)limit : n;
    return store_read_users(a, res, *count, col, out);
}
