/* Apps: id, name and the secrets their tokens are signed with. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "cordgate/uuid.h"
#include "shared.h"

enum cg_err
store_app_create(struct db *db, struct arena *a, int64_t deadline_ms,
                 const char *name, struct app *out)
{
    char secret[65];
    const char *params[2] = {name, secret};
    PGresult *res;
    enum cg_err e;

    if (store_random_hex(secret, 32) != 0)
        return CG_ERR_INTERNAL;
    e = db_exec(db, a, deadline_ms,
                "INSERT INTO apps (name, secret) VALUES ($1, $2) "
                "RETURNING id, name, secret, created_at",
                2, params, NULL, &res);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (e != CG_ERR_OK)
        return e;
    out->id = store_value(a, res, 0, 0);
    out->name = store_value(a, res, 0, 1);
    out->secret = store_value(a, res, 0, 2);
    out->created_at = store_value(a, res, 0, 3);
    out->previous_secret = NULL;
    out->previous_until_ms = 0;
    return out->id && out->name && out->secret && out->created_at
               ? CG_ERR_OK
               : CG_ERR_INTERNAL;
}

#define APP_PREVIOUS_UNTIL STORE_ISO_MS("a.previous_secret_until")

enum cg_err
store_app_list(struct db *db, struct arena *a, int64_t deadline_ms,
               struct app_summary **out, int *count)
{
    PGresult *res;
    enum cg_err e;
    int i, n;

    e = db_exec(
        db, a, deadline_ms,
        "SELECT a.id, a.name, a.created_at, "
        "extract(epoch FROM now() - a.secret_created_at)::bigint, "
        "CASE WHEN a.previous_secret_until > now() THEN " APP_PREVIOUS_UNTIL
        " END, "
        "(SELECT count(*) FROM sessions s "
        "WHERE s.app_id = a.id AND s.expires_at > now()) "
        "FROM apps a ORDER BY a.created_at, a.id",
        0, NULL, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    n = PQntuples(res);
    *out = arena_calloc(a, (size_t)n + 1, sizeof(**out));
    if (*out == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        struct app_summary *s = &(*out)[i];

        s->id = store_value(a, res, i, 0);
        s->name = store_value(a, res, i, 1);
        s->created_at = store_value(a, res, i, 2);
        s->secret_age_s = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        s->previous_until = store_value(a, res, i, 4);
        s->active_sessions = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        if (s->id == NULL || s->name == NULL || s->created_at == NULL)
            return CG_ERR_INTERNAL;
    }
    *count = n;
    return CG_ERR_OK;
}

/* The previous secret of column col, with its remaining grace in
 * milliseconds in col + 1, measured by PostgreSQL's clock and turned into
 * this host's, so that hosts whose clocks differ agree on the end. */
static int
read_previous(struct arena *a, const PGresult *res, int col, struct app *out)
{
    out->previous_secret = NULL;
    out->previous_until_ms = 0;
    if (PQgetisnull(res, 0, col))
        return 0;
    out->previous_secret = store_value(a, res, 0, col);
    out->previous_until_ms =
        clock_wall_millis() + strtoll(PQgetvalue(res, 0, col + 1), NULL, 10);
    return out->previous_secret != NULL ? 0 : -1;
}

/* Milliseconds from now to the end of the previous secret's grace, or NULL
 * when there is none (or it is over). */
#define APP_PREVIOUS_COLUMNS                                                   \
    "CASE WHEN previous_secret_until > now() THEN previous_secret END, "       \
    "CASE WHEN previous_secret_until > now() THEN "                            \
    "(extract(epoch FROM previous_secret_until - now()) * 1000)::bigint END"

enum cg_err
store_app_get(struct db *db, struct arena *a, int64_t deadline_ms,
              const char *id, struct app *out)
{
    const char *params[1] = {id};
    PGresult *res;
    enum cg_err e;

    if (!uuid_is_valid(id, strlen(id)))
        return CG_ERR_PROJECT_NOT_FOUND;
    e = db_exec(db, a, deadline_ms,
                "SELECT id, name, secret, created_at, " APP_PREVIOUS_COLUMNS
                " FROM apps WHERE id = $1",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1)
        return CG_ERR_PROJECT_NOT_FOUND;
    out->id = store_value(a, res, 0, 0);
    out->name = store_value(a, res, 0, 1);
    out->secret = store_value(a, res, 0, 2);
    out->created_at = store_value(a, res, 0, 3);
    if (read_previous(a, res, 4, out) != 0)
        return CG_ERR_INTERNAL;
    return out->id && out->name && out->secret && out->created_at
               ? CG_ERR_OK
               : CG_ERR_INTERNAL;
}

enum cg_err
store_app_rotate_secret(struct db *db, struct arena *a, int64_t deadline_ms,
                        const char *id, int64_t grace_ms, struct app *out,
                        bool *dropped)
{
    char secret[65], grace[24];
    const char *params[3] = {id, secret, grace};
    PGresult *res;
    enum cg_err e;

    if (!uuid_is_valid(id, strlen(id)))
        return CG_ERR_PROJECT_NOT_FOUND;
    if (store_random_hex(secret, 32) != 0)
        return CG_ERR_INTERNAL;
    snprintf(grace, sizeof(grace), "%lld", (long long)grace_ms);
    /* One statement: the row's lock orders concurrent rotations, and old
     * reads the row as it was before this one. */
    e = db_exec(
        db, a, deadline_ms,
        "WITH old AS (SELECT id, coalesce(previous_secret_until > now(), "
        "false) AS in_grace FROM apps WHERE id = $1 FOR UPDATE) "
        "UPDATE apps SET "
        "previous_secret = CASE WHEN $3::bigint > 0 THEN apps.secret END, "
        "previous_secret_until = CASE WHEN $3::bigint > 0 "
        "THEN now() + $3::bigint * interval '1 millisecond' END, "
        "secret = $2, secret_created_at = now() "
        "FROM old WHERE apps.id = old.id "
        "RETURNING apps.id, apps.name, apps.secret, apps.created_at, "
        "apps.previous_secret, "
        "(extract(epoch FROM apps.previous_secret_until - now()) * 1000)"
        "::bigint, old.in_grace",
        3, params, NULL, &res);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1)
        return CG_ERR_PROJECT_NOT_FOUND;
    out->id = store_value(a, res, 0, 0);
    out->name = store_value(a, res, 0, 1);
    out->secret = store_value(a, res, 0, 2);
    out->created_at = store_value(a, res, 0, 3);
    *dropped = PQgetvalue(res, 0, 6)[0] == 't';
    if (read_previous(a, res, 4, out) != 0)
        return CG_ERR_INTERNAL;
    return out->id && out->name && out->secret && out->created_at
               ? CG_ERR_OK
               : CG_ERR_INTERNAL;
}

struct app_delete {
    const char *id;
    struct app_deleted *out;
    bool *found;
};

static enum cg_err
app_delete(struct db *db, struct arena *a, int64_t deadline_ms, void *arg,
           bool *rollback)
{
    struct app_delete *d = arg;
    const char *params[1] = {d->id};
    PGresult *res;
    enum cg_err e;

    (void)rollback;
    /* The row lock first: nothing new joins the app while it is counted. */
    e = db_exec(db, a, deadline_ms,
                "SELECT name, "
                "(SELECT count(*) FROM users WHERE app_id = $1), "
                "(SELECT count(*) FROM groups WHERE app_id = $1), "
                "(SELECT count(*) FROM sessions WHERE app_id = $1) "
                "FROM apps WHERE id = $1 FOR UPDATE",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *d->found = PQntuples(res) == 1;
    if (!*d->found)
        return CG_ERR_OK;
    d->out->name = store_value(a, res, 0, 0);
    d->out->users = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    d->out->groups = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    d->out->sessions = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
    if (d->out->name == NULL)
        return CG_ERR_INTERNAL;
    /* Users, groups and memberships go by ON DELETE CASCADE; the member
     * counts have no foreign key (sql/002), and the cascade's trigger may
     * write some while it runs, so they go after it; nor have sessions
     * (sql/005). */
    e = db_exec(db, a, deadline_ms, "DELETE FROM apps WHERE id = $1", 1, params,
                NULL, NULL);
    if (e == CG_ERR_OK)
        e = db_exec(db, a, deadline_ms,
                    "DELETE FROM group_member_counts WHERE app_id = $1", 1,
                    params, NULL, NULL);
    if (e != CG_ERR_OK)
        return e;
    return db_exec(db, a, deadline_ms, "DELETE FROM sessions WHERE app_id = $1",
                   1, params, NULL, NULL);
}

enum cg_err
store_app_delete(struct db *db, struct arena *a, int64_t deadline_ms,
                 const char *id, struct app_deleted *out, bool *found)
{
    struct app_delete d = {id, out, found};

    *found = false;
    if (!uuid_is_valid(id, strlen(id)))
        return CG_ERR_OK;
    return store_transaction(db, a, deadline_ms, app_delete, &d);
}
