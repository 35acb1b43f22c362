/* The store: every SQL statement and transaction of cordgate, with db.c. */
#ifndef CORDGATE_STORE_H
#define CORDGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"
#include "cordgate/model.h"

struct arena;
struct db;

/*
 * Every call takes the worker's connection, the request's arena (results
 * live there) and the deadline (CLOCK_MONOTONIC ms) the database part must
 * meet, and names its app: every query is scoped to one.
 */

struct app {
    const char *id;
    const char *name;
    const char *secret;
    const char *created_at;
    /* The secret before the last rotation while its grace lasts, else
     * NULL, and when the grace ends (this host's wall clock, ms). */
    const char *previous_secret;
    int64_t previous_until_ms;
};

/* An app as `cordgate app list` shows it: never a secret. */
struct app_summary {
    const char *id;
    const char *name;
    const char *created_at;
    long long secret_age_s;     /* since the current secret was made */
    const char *previous_until; /* ISO 8601 UTC; NULL: no previous secret */
    long long active_sessions;  /* neither revoked nor expired */
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
                           struct app_summary **out, int *count) CG_MUSTCHECK;
/* CG_ERR_PROJECT_NOT_FOUND when there is no such app.  The previous secret
 * comes only while its grace lasts. */
enum cg_err store_app_get(struct db *db, struct arena *a, int64_t deadline_ms,
                          const char *id, struct app *out) CG_MUSTCHECK;
/*
 * A new secret for the app (256 random bits); the current one becomes the
 * previous secret for grace_ms (0: none, it stops at once).  *dropped is
 * true when an earlier previous secret was still in its grace: it stops
 * now.  out->previous_until_ms is 0 without a previous secret.
 * CG_ERR_PROJECT_NOT_FOUND when there is no such app.
 */
enum cg_err store_app_rotate_secret(struct db *db, struct arena *a,
                                    int64_t deadline_ms, const char *id,
                                    int64_t grace_ms, struct app *out,
                                    bool *dropped) CG_MUSTCHECK;

/* What went with an app. */
struct app_deleted {
    const char *name;
    long long users, groups, sessions;
};
/* Delete the app with its users, groups, memberships and sessions, in one
 * transaction; *found is false when there was no such app. */
enum cg_err store_app_delete(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *id,
                             struct app_deleted *out, bool *found) CG_MUSTCHECK;

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

/*
 * One batch of the session purge: delete up to limit expired sessions
 * (past expires_at by more than a grace of 5 minutes, for clocks that
 * differ between hosts) and up to limit revoked ones (expires_at NULL,
 * issued more than a day and 5 minutes ago, when their access token's own
 * exp has passed), in one statement that skips rows other transactions
 * hold and waits for no lock.  Under a transaction-level advisory lock
 * that it only tries: when another host holds it, *locked is false and
 * nothing is deleted.  *deleted counts the rows gone; *more is true when a
 * kind filled its limit, so that more may be left.
 */
enum cg_err store_sessions_purge(struct db *db, struct arena *a,
                                 int64_t deadline_ms, long limit, bool *locked,
                                 long *deleted, bool *more) CG_MUSTCHECK;

enum session_revoke {
    SESSION_REVOKE_DONE,
    SESSION_REVOKE_ALREADY, /* revoked or expired before */
    SESSION_REVOKE_MISSING,
};

/* Revoke one session (its access token); *app_id names its app. */
enum cg_err store_session_revoke(struct db *db, struct arena *a,
                                 int64_t deadline_ms, const char *session_id,
                                 enum session_revoke *result,
                                 const char **app_id) CG_MUSTCHECK;
/* Revoke every valid session of the app; *count says how many, *found
 * whether the app exists. */
enum cg_err store_sessions_revoke_app(struct db *db, struct arena *a,
                                      int64_t deadline_ms, const char *app_id,
                                      long long *count,
                                      bool *found) CG_MUSTCHECK;

/* The stored access-token secrets: the current one (NULL before the first
 * `cordgate migrate`) and the previous one while its grace lasts (else
 * NULL), until previous_until_ms (this host's wall clock). */
struct access_secrets {
    const char *current;
    const char *previous;
    int64_t previous_until_ms;
};
enum cg_err store_access_secrets_get(struct db *db, struct arena *a,
                                     int64_t deadline_ms,
                                     struct access_secrets *out) CG_MUSTCHECK;
/*
 * A new access-token secret; the current one stays valid for grace_ms (0:
 * it stops at once).  *previous_until is when (ISO 8601 UTC, NULL for
 * none); *dropped is true when an earlier previous secret was still in its
 * grace.  CG_ERR_INTERNAL with *missing when there is no secret yet.
 */
enum cg_err store_access_secret_rotate(struct db *db, struct arena *a,
                                       int64_t deadline_ms, int64_t grace_ms,
                                       const char **previous_until,
                                       bool *dropped,
                                       bool *missing) CG_MUSTCHECK;

/* A value from the settings table, or NULL when it is not set. */
enum cg_err store_setting_get(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *key,
                              const char **value) CG_MUSTCHECK;

/* Does the database answer?  (GET /healthz) */
enum cg_err store_ping(struct db *db, struct arena *a,
                       int64_t deadline_ms) CG_MUSTCHECK;

/* ---- users (store/users.c) */

enum user_write {
    USER_CREATED,
    USER_UPDATED,
    USER_EXISTS,        /* create only: the id is taken */
    USER_NEEDS_EMAIL,   /* a create without an email */
    USER_GROUP_MISSING, /* *missing_group names the first unknown group */
};

/* POST: create only.  PUT: create or update in one statement (an upsert,
 * so concurrent creates of one id never fail); with addGroups/removeGroups,
 * one transaction (the caller's, if one is open). */
enum cg_err store_user_write(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *app_id,
                             const char *id, const struct user_change *c,
                             bool create_only, enum user_write *result,
                             const char **missing_group) CG_MUSTCHECK;

/* *found is false when the app has no such user. */
enum cg_err store_user_get(struct db *db, struct arena *a, int64_t deadline_ms,
                           const char *app_id, const char *id, struct user *out,
                           bool *found) CG_MUSTCHECK;

/* A page of users ordered by id after `after` (NULL: from the start),
 * matching the metadata containment filter (JSON text, NULL: all); *more
 * says whether rows remain after the page; *total counts every match. */
enum cg_err store_user_list(struct db *db, struct arena *a, int64_t deadline_ms,
                            const char *app_id, const char *metadata_filter,
                            const char *after, long limit, struct user **out,
                            int *count, bool *more, long *total) CG_MUSTCHECK;

/* Delete the user and its memberships. */
enum cg_err store_user_delete(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *app_id,
                              const char *id, bool *found) CG_MUSTCHECK;

/* ---- groups (store/groups.c) */

/*
 * Create or update a group; a status not given leaves it as it is (Cord
 * would reactivate a deleted group).  members replaces the membership (its
 * duplicates count once); any unknown member fails the whole write, and
 * *missing lists each unknown id once, in the order given.  One
 * transaction (the caller's, if one is open).
 */
enum cg_err store_group_write(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *app_id,
                              const char *id, const struct group_change *c,
                              bool create_only, enum group_write *result,
                              const char *const **missing,
                              int *n_missing) CG_MUSTCHECK;

/* The group with its members' ids (deleted users included). */
enum cg_err store_group_get(struct db *db, struct arena *a, int64_t deadline_ms,
                            const char *app_id, const char *id,
                            struct group *out, bool *found) CG_MUSTCHECK;

/* Every group of the app, ordered by id, without members. */
enum cg_err store_group_list(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *app_id,
                             struct group **out, int *count) CG_MUSTCHECK;

/* Delete the group and its memberships. */
enum cg_err store_group_delete(struct db *db, struct arena *a,
                               int64_t deadline_ms, const char *app_id,
                               const char *id, bool *found) CG_MUSTCHECK;

enum members_change {
    MEMBERS_CHANGED,
    MEMBERS_NO_GROUP,
    MEMBERS_NO_USER, /* *missing is the first unknown id, add before remove */
};

/* Add and remove members in one statement; a member added twice or a
 * non-member removed is a no-op. */
enum cg_err store_group_members_change(struct db *db, struct arena *a,
                                       int64_t deadline_ms, const char *app_id,
                                       const char *group_id,
                                       const char *const *add, int n_add,
                                       const char *const *remove, int n_remove,
                                       enum members_change *result,
                                       const char **missing) CG_MUSTCHECK;

/* A page of a group's members, ordered by user id after `after`; *total
 * counts every member; *found is false without such a group. */
enum cg_err store_group_members_list(struct db *db, struct arena *a,
                                     int64_t deadline_ms, const char *app_id,
                                     const char *group_id, const char *after,
                                     long limit, struct user **out, int *count,
                                     bool *more, long *total,
                                     bool *found) CG_MUSTCHECK;

/* ---- batch (store/batch.c) */

struct batch_user {
    const char *id;
    struct user_change c;
};
struct batch_group {
    const char *id;
    struct group_change c;
};

enum batch_write {
    BATCH_DONE,
    BATCH_GROUP_NEEDS_NAME, /* *bad is the index of the first new group
                               without a name */
    BATCH_MEMBERS_MISSING,  /* *missing lists every unknown member */
};

/* Users, then groups, then memberships, in one transaction, one statement
 * per table whatever the size; all or nothing.  An id given twice: the
 * last item wins. */
enum cg_err store_batch(struct db *db, struct arena *a, int64_t deadline_ms,
                        const char *app_id, const struct batch_user *users,
                        int n_users, const struct batch_group *groups,
                        int n_groups, enum batch_write *result, int *bad,
                        const char *const **missing,
                        int *n_missing) CG_MUSTCHECK;

/* ---- client auth tokens (store/client.c) */

enum client_write {
    CLIENT_OK,
    CLIENT_USER_GROUP_MISSING, /* user_details' addGroups: *missing */
    CLIENT_GROUP_FAILED,       /* group_details: *group_result says how,
                                  with *missing, *n_missing */
    CLIENT_NO_USER,            /* the viewer does not exist */
    CLIENT_NO_GROUP,           /* the token's group does not exist */
};

/*
 * What a client auth token's details imply, in one transaction: the user
 * (user: NULL for none), the group (group: NULL for none) and the user's
 * membership of group_id (NULL for none).
 */
enum cg_err
store_client_apply(struct db *db, struct arena *a, int64_t deadline_ms,
                   const char *app_id, const char *user_id,
                   const struct user_change *user, const char *group_id,
                   const struct group_change *group, enum client_write *result,
                   enum group_write *group_result, const char *const **missing,
                   int *n_missing) CG_MUSTCHECK;

enum viewer_state {
    VIEWER_OK,
    VIEWER_NO_USER, /* missing or deleted */
    VIEWER_NO_GROUP,
    VIEWER_NOT_MEMBER,
    VIEWER_GROUP_INACTIVE,
};

/* The viewer of a client auth token: the user, checked against group_id
 * (NULL for none), with the active groups it belongs to. */
enum cg_err store_viewer_get(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *app_id,
                             const char *user_id, const char *group_id,
                             struct viewer *v,
                             enum viewer_state *state) CG_MUSTCHECK;

/* Of ids, the users that share a group with viewer_id (in any order). */
enum cg_err store_client_users(struct db *db, struct arena *a,
                               int64_t deadline_ms, const char *app_id,
                               const char *viewer_id, const char *const *ids,
                               int n, struct user **out,
                               int *count) CG_MUSTCHECK;

/* The first `limit` members of group_id by id, if viewer_id is one of
 * them; *more says whether there are others. */
enum cg_err store_client_group_members(struct db *db, struct arena *a,
                                       int64_t deadline_ms, const char *app_id,
                                       const char *viewer_id,
                                       const char *group_id, int limit,
                                       struct user **out, int *count,
                                       bool *more) CG_MUSTCHECK;

/* Fill hex (2n+1 bytes) with n random bytes from OpenSSL, hex-encoded. */
int store_random_hex(char *hex, size_t n) CG_MUSTCHECK;

#endif
