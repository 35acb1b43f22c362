/* Migrations: the embedded sql/ files, each applied exactly once. */
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/db.h"
#include "cordgate/migrations.h"
#include "cordgate/store.h"

/* Any constant will do; it only has to be the same in every cordgate. */
#define MIGRATE_LOCK "7243019"

enum cg_err
store_migrate(struct db *db, struct arena *a, int64_t deadline_ms,
              void (*applied)(int version, const char *name))
{
    enum cg_err e;
    int i;

    e = db_exec_script(db, a, deadline_ms,
                       "SET client_min_messages = warning;"
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version integer PRIMARY KEY,"
                       " name text NOT NULL,"
                       " applied_at timestamptz NOT NULL DEFAULT now());"
                       "SELECT pg_advisory_lock(" MIGRATE_LOCK ")");
    if (e != CG_ERR_OK)
        return e;
    for (i = 0; i < migrations_count; i++) {
        const struct migration *m = &migrations[i];
        char version[16];
        const char *params[2] = {version, m->name};
        PGresult *res;

        snprintf(version, sizeof(version), "%d", m->version);
        e = db_exec(db, a, deadline_ms,
                    "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                    params, NULL, &res);
        if (e != CG_ERR_OK)
            goto out_unlock;
        if (PQntuples(res) > 0)
            continue;
        e = db_exec_script(db, a, deadline_ms, "BEGIN");
        if (e == CG_ERR_OK)
            e = db_exec_script(db, a, deadline_ms, m->sql);
        if (e == CG_ERR_OK)
            e = db_exec(db, a, deadline_ms,
                        "INSERT INTO schema_migrations (version, name) "
                        "VALUES ($1, $2)",
                        2, params, NULL, NULL);
        if (e == CG_ERR_OK)
            e = db_exec_script(db, a, deadline_ms, "COMMIT");
        if (e != CG_ERR_OK) {
            if (db_exec_script(db, a, deadline_ms, "ROLLBACK") != CG_ERR_OK)
                db_disconnect(db);
            goto out_unlock;
        }
        if (applied != NULL)
            applied(m->version, m->name);
    }
    {
        char secret[65];
        const char *params[1] = {secret};

        if (store_random_hex(secret, 32) != 0) {
            e = CG_ERR_INTERNAL;
            goto out_unlock;
        }
        e = db_exec(db, a, deadline_ms,
                    "INSERT INTO settings (key, value) "
                    "VALUES ('access_token_secret', $1) "
                    "ON CONFLICT (key) DO NOTHING",
                    1, params, NULL, NULL);
    }
out_unlock:
    if (db_exec_script(db, a, deadline_ms,
                       "SELECT pg_advisory_unlock(" MIGRATE_LOCK
                       ")") != CG_ERR_OK)
        db_disconnect(db);
    return e;
}
