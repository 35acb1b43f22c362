/* Apps: id, name and the secret their tokens are signed with. */
#include <openssl/crypto.h>
#include <string.h>

#include "cordgate/arena.h"
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
    if (e != CG_ERR_OK)
        return e;
    out->id = store_value(a, res, 0, 0);
    out->name = store_value(a, res, 0, 1);
    out->secret = store_value(a, res, 0, 2);
    out->created_at = store_value(a, res, 0, 3);
    OPENSSL_cleanse(secret, sizeof(secret));
    return out->id && out->name && out->secret && out->created_at
               ? CG_ERR_OK
               : CG_ERR_INTERNAL;
}

enum cg_err
store_app_list(struct db *db, struct arena *a, int64_t deadline_ms,
               struct app **out, int *count)
{
    PGresult *res;
    enum cg_err e;
    int i, n;

    e = db_exec(db, a, deadline_ms,
                "SELECT id, name, created_at FROM apps ORDER BY created_at, id",
                0, NULL, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    n = PQntuples(res);
    *out = arena_calloc(a, (size_t)n + 1, sizeof(**out));
    if (*out == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        (*out)[i].id = store_value(a, res, i, 0);
        (*out)[i].name = store_value(a, res, i, 1);
        (*out)[i].created_at = store_value(a, res, i, 2);
    }
    *count = n;
    return CG_ERR_OK;
}

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
                "SELECT id, name, secret, created_at FROM apps WHERE id = $1",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1)
        return CG_ERR_PROJECT_NOT_FOUND;
    out->id = store_value(a, res, 0, 0);
    out->name = store_value(a, res, 0, 1);
    out->secret = store_value(a, res, 0, 2);
    out->created_at = store_value(a, res, 0, 3);
    return out->id && out->name && out->secret && out->created_at
               ? CG_ERR_OK
               : CG_ERR_INTERNAL;
}
