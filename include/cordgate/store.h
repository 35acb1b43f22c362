/* Store functions: the only code besides db.c that knows SQL. */
#ifndef CORDGATE_STORE_H
#define CORDGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct db;

struct app {
    const char *id;
    const char *name;
    const char *secret;
    const char *created_at;
};

/* Apply every embedded migration not applied yet, each in its own
 * transaction, under an advisory lock; report each one applied through
 * applied(version, name).  Generates the access-token secret if there is
 * none. */
enum cg_err store_migrate(struct db *db, struct arena *a, int64_t deadline_ms,
                          void (*applied)(int version,
                                          const char *name)) CG_MUSTCHECK;

/* A new app with a secret of 256 random bits (64 hex characters). */
enum cg_err store_app_create(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *name,
                             struct app *out) CG_MUSTCHECK;
/* All apps, oldest first, without their secrets. */
enum cg_err store_app_list(struct db *db, struct arena *a, int64_t deadline_ms,
                           struct app **out, int *count) CG_MUSTCHECK;
/* CG_ERR_PROJECT_NOT_FOUND when there is no such app. */
enum cg_err store_app_get(struct db *db, struct arena *a, int64_t deadline_ms,
                          const char *id, struct app *out) CG_MUSTCHECK;

/* A new session of app_id expiring in 24 hours; its id and expiry as
 * ISO-8601 UTC with milliseconds. */
enum cg_err store_session_create(struct db *db, struct arena *a,
                                 int64_t deadline_ms, const char *app_id,
                                 const char **session_id,
                                 const char **expires) CG_MUSTCHECK;

enum session_state {
    SESSION_VALID,
    SESSION_MISSING,
    SESSION_REVOKED,
    SESSION_EXPIRED,
};

/* The session and its app (secret included). */
enum cg_err store_session_get(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *session_id,
                              enum session_state *state, struct app *app,
                              int64_t *expires_ms) CG_MUSTCHECK;

/* A value from the settings table, or NULL when it is not set. */
enum cg_err store_setting_get(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *key,
                              const char **value) CG_MUSTCHECK;

/* A PostgreSQL text[] literal of the n strings, for one parameter. */
const char *store_text_array(struct arena *a, const char *const *items, int n);

/* ROLLBACK, dropping the connection if even that fails. */
void store_rollback(struct db *db, struct arena *a, int64_t deadline_ms);

/* Fill hex (2n+1 bytes) with n random bytes from OpenSSL, hex-encoded. */
int store_random_hex(char *hex, size_t n) CG_MUSTCHECK;

#endif
