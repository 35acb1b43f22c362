/* Sessions (access tokens), their revocation and purge, and server-wide
 * settings: the access-token secrets. */
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
store_session_create(struct db *db, struct arena *a, int64_t deadline_ms,
                     const char *app_id, const char **session_id,
                     const char **expires)
{
    const char *params[1] = {app_id};
    PGresult *res;
    enum cg_err e;

    /* The app is checked by a plain read, not a foreign key (sql/005). */
    e = db_exec(db, a, deadline_ms,
                "INSERT INTO sessions (app_id, expires_at) "
                "SELECT $1, now() + interval '24 hours' "
                "WHERE EXISTS (SELECT 1 FROM apps WHERE id = $1) "
                "RETURNING id, to_char(expires_at AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0)
        return CG_ERR_PROJECT_NOT_FOUND; /* deleted since it was cached */
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
    app->previous_secret = NULL;
    app->previous_until_ms = 0;
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

enum cg_err
store_session_revoke(struct db *db, struct arena *a, int64_t deadline_ms,
                     const char *session_id, enum session_revoke *result,
                     const char **app_id)
{
    const char *params[1] = {session_id};
    PGresult *res;
    enum cg_err e;

    *result = SESSION_REVOKE_MISSING;
    *app_id = NULL;
    if (!uuid_is_valid(session_id, strlen(session_id)))
        return CG_ERR_OK;
    /* The outer SELECT reads the row as it was before the UPDATE. */
    e = db_exec(db, a, deadline_ms,
                "WITH r AS (UPDATE sessions SET expires_at = NULL "
                "WHERE id = $1 AND expires_at > now() RETURNING 1) "
                "SELECT s.app_id, EXISTS (SELECT 1 FROM r) "
                "FROM sessions s WHERE s.id = $1",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1)
        return CG_ERR_OK;
    *app_id = store_value(a, res, 0, 0);
    *result = PQgetvalue(res, 0, 1)[0] == 't' ? SESSION_REVOKE_DONE
                                              : SESSION_REVOKE_ALREADY;
    return *app_id != NULL ? CG_ERR_OK : CG_ERR_INTERNAL;
}

enum cg_err
store_sessions_revoke_app(struct db *db, struct arena *a, int64_t deadline_ms,
                          const char *app_id, long long *count, bool *found)
{
    const char *params[1] = {app_id};
    PGresult *res;
    enum cg_err e;

    *count = 0;
    *found = false;
    if (!uuid_is_valid(app_id, strlen(app_id)))
        return CG_ERR_OK;
    e = db_exec(db, a, deadline_ms,
                "WITH r AS (UPDATE sessions SET expires_at = NULL "
                "WHERE app_id = $1 AND expires_at > now() RETURNING 1) "
                "SELECT EXISTS (SELECT 1 FROM apps WHERE id = $1), "
                "(SELECT count(*) FROM r)",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *found = PQgetvalue(res, 0, 0)[0] == 't';
    *count = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    return CG_ERR_OK;
}

enum cg_err
store_access_secrets_get(struct db *db, struct arena *a, int64_t deadline_ms,
                         struct access_secrets *out)
{
    PGresult *res;
    enum cg_err e;

    /* The grace left is measured by PostgreSQL's clock and turned into
     * this host's, as for app secrets. */
    e = db_exec(
        db, a, deadline_ms,
        "SELECT (SELECT value FROM settings "
        "WHERE key = 'access_token_secret'), p.value, "
        "(extract(epoch FROM u.value::timestamptz - now()) * 1000)"
        "::bigint "
        "FROM (SELECT 1) one "
        "LEFT JOIN settings p ON p.key = 'access_token_secret_previous' "
        "LEFT JOIN settings u "
        "ON u.key = 'access_token_secret_previous_until' "
        "AND u.value::timestamptz > now()",
        0, NULL, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    out->current = store_value(a, res, 0, 0);
    out->previous = NULL;
    out->previous_until_ms = 0;
    if (!PQgetisnull(res, 0, 1) && !PQgetisnull(res, 0, 2)) {
        out->previous = store_value(a, res, 0, 1);
        out->previous_until_ms =
            clock_wall_millis() + strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        if (out->previous == NULL)
            return CG_ERR_INTERNAL;
    }
    return CG_ERR_OK;
}

/* When a previous access-token secret's grace of $2 ms ends. */
#define ACCESS_PREVIOUS_UNTIL                                                  \
    STORE_ISO_MS("(now() + $2::bigint * interval '1 millisecond')")

struct access_rotate {
    int64_t grace_ms;
    const char **previous_until;
    bool *dropped;
    bool *missing;
};

static enum cg_err
access_rotate(struct db *db, struct arena *a, int64_t deadline_ms, void *arg,
              bool *rollback)
{
    struct access_rotate *r = arg;
    char secret[65], grace[24];
    const char *params[2] = {secret, grace};
    PGresult *res;
    enum cg_err e;

    /* The current secret's row lock orders concurrent rotations. */
    e = db_exec(db, a, deadline_ms,
                "SELECT EXISTS (SELECT 1 FROM settings u "
                "WHERE u.key = 'access_token_secret_previous_until' "
                "AND u.value::timestamptz > now()) "
                "FROM settings WHERE key = 'access_token_secret' FOR UPDATE",
                0, NULL, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) != 1) {
        *r->missing = true;
        *rollback = true;
        return CG_ERR_INTERNAL;
    }
    *r->dropped = PQgetvalue(res, 0, 0)[0] == 't';
    if (store_random_hex(secret, 32) != 0)
        return CG_ERR_INTERNAL;
    snprintf(grace, sizeof(grace), "%lld", (long long)r->grace_ms);
    e = db_exec(
        db, a, deadline_ms,
        "WITH old AS (SELECT value FROM settings "
        "WHERE key = 'access_token_secret'), "
        "gone AS (DELETE FROM settings WHERE $2::bigint = 0 AND key IN "
        "('access_token_secret_previous', "
        "'access_token_secret_previous_until')), "
        "kept AS (INSERT INTO settings (key, value) "
        "SELECT 'access_token_secret_previous', value FROM old "
        "WHERE $2::bigint > 0 "
        "UNION ALL SELECT "
        "'access_token_secret_previous_until', " ACCESS_PREVIOUS_UNTIL
        " WHERE $2::bigint > 0 "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value "
        "RETURNING key, value) "
        "UPDATE settings SET value = $1 WHERE key = 'access_token_secret' "
        "RETURNING (SELECT value FROM kept "
        "WHERE key = 'access_token_secret_previous_until')",
        2, params, NULL, &res);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (e != CG_ERR_OK)
        return e;
    *r->previous_until = store_value(a, res, 0, 0);
    return CG_ERR_OK;
}

enum cg_err
store_access_secret_rotate(struct db *db, struct arena *a, int64_t deadline_ms,
                           int64_t grace_ms, const char **previous_until,
                           bool *dropped, bool *missing)
{
    struct access_rotate r = {grace_ms, previous_until, dropped, missing};

    *previous_until = NULL;
    *dropped = false;
    *missing = false;
    return store_transaction(db, a, deadline_ms, access_rotate, &r);
}
