/* Sessions (access tokens) and server-wide settings. */
#include <stdio.h>
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

/* Any constant will do, if it differs from migrate.c's; the same in every
 * cordgate sharing the database. */
#define PURGE_LOCK "7243020"
/* Past expires_at by this much before a session goes, and for a revoked
 * one past issued_at plus the access token's 24 hours: clocks of hosts and
 * database may differ a little, and a token the database calls expired
 * should still be answered as expired, not as unknown. */
#define PURGE_GRACE "5 minutes"

enum cg_err
store_sessions_purge(struct db *db, struct arena *a, int64_t deadline_ms,
                     long limit, bool *locked, long *deleted, bool *more)
{
    char limit_text[24];
    const char *params[1] = {limit_text};
    PGresult *res;
    enum cg_err e;

    snprintf(limit_text, sizeof(limit_text), "%ld", limit);
    /* The lock is evaluated once (a CTE with a volatile function is
     * materialized), and each batch's scan runs only when it was got. */
    e = db_exec(db, a, deadline_ms,
                "WITH lock AS (SELECT pg_try_advisory_xact_lock(" PURGE_LOCK
                ") AS got), "
                "expired AS (SELECT app_id, id FROM sessions "
                "WHERE (SELECT got FROM lock) "
                "AND expires_at < now() - interval '" PURGE_GRACE "' "
                "LIMIT $1::bigint FOR UPDATE SKIP LOCKED), "
                "revoked AS (SELECT app_id, id FROM sessions "
                "WHERE (SELECT got FROM lock) AND expires_at IS NULL "
                "AND issued_at < now() - interval '24 hours " PURGE_GRACE "' "
                "LIMIT $1::bigint FOR UPDATE SKIP LOCKED), "
                "gone AS (DELETE FROM sessions s USING "
                "(SELECT app_id, id FROM expired UNION ALL "
                "SELECT app_id, id FROM revoked) v "
                "WHERE s.app_id = v.app_id AND s.id = v.id RETURNING 1) "
                "SELECT (SELECT got FROM lock), (SELECT count(*) FROM gone), "
                "(SELECT count(*) FROM expired) >= $1::bigint "
                "OR (SELECT count(*) FROM revoked) >= $1::bigint",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1 || PQnfields(res) != 3)
        return CG_ERR_INTERNAL;
    *locked = PQgetvalue(res, 0, 0)[0] == 't';
    *deleted = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    *more = PQgetvalue(res, 0, 2)[0] == 't';
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
