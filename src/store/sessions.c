/* Sessions (access tokens) and server-wide settings. */
#include <stdlib.h>

#include "cordgate/arena.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "shared.h"

enum cg_err
store_session_create(struct db *db, struct arena *a, int64_t deadline_ms,
                     const char *app_id, const char **session_id,
                     const char **expires)
{
    const char *params[1] = {app_id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms,
                "INSERT INTO sessions (app_id, expires_at) "
                "VALUES ($1, now() + interval '24 hours') "
                "RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *session_id = store_value(a, res, 0, 0);
    *expires = store_value(a, res, 0, 1);
    return *session_id && *expires ? CG_ERR_OK : CG_ERR_INTERNAL;
}

enum cg_err
store_session_get(struct db *db, struct arena *a, int64_t deadline_ms,
                  const char *session_id, enum session_state *state,
                  struct app *app, int64_t *expires_ms)
{
    const char *params[1] = {session_id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms,
                "SELECT a.id, a.name, a.secret, s.expires_at IS NULL, "
                "s.expires_at < now(), "
                "(extract(epoch FROM s.expires_at) * 1000)::bigint "
                "FROM sessions s JOIN apps a ON a.id = s.app_id "
                "WHERE s.id = $1",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0) {
        *state = SESSION_MISSING;
        return CG_ERR_OK;
    }
    app->id = store_value(a, res, 0, 0);
    app->name = store_value(a, res, 0, 1);
    app->secret = store_value(a, res, 0, 2);
    app->created_at = NULL;
    *expires_ms = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    if (app->id == NULL || app->name == NULL || app->secret == NULL)
        return CG_ERR_INTERNAL;
    if (PQgetvalue(res, 0, 3)[0] == 't')
        *state = SESSION_REVOKED;
    else if (PQgetvalue(res, 0, 4)[0] == 't')
        *state = SESSION_EXPIRED;
    else
        *state = SESSION_VALID;
    return CG_ERR_OK;
}

enum cg_err
store_setting_get(struct db *db, struct arena *a, int64_t deadline_ms,
                  const char *key, const char **value)
{
    const char *params[1] = {key};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms, "SELECT value FROM settings WHERE key = $1",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *value = NULL;
    if (PQntuples(res) == 1) {
        *value = store_value(a, res, 0, 0);
        if (*value == NULL)
            return CG_ERR_INTERNAL;
    }
    return CG_ERR_OK;
}
