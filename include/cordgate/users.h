/* Users of an app: what the store keeps and the handlers answer with. */
#ifndef CORDGATE_USERS_H
#define CORDGATE_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct db;

/* A stored user; NULL fields are SQL NULL.  metadata is JSON text. */
struct user {
    const char *id;
    const char *email;
    const char *name;
    const char *short_name;
    const char *status;
    const char *profile_picture_url;
    const char *metadata;
    const char *created_at; /* ISO-8601 UTC with milliseconds */
    const char *groups;     /* JSON array text of active group ids (GET only) */
};

/*
 * What a create or update says.  For each field, set says whether it was
 * given; a given NULL value clears the column (only profile_picture_url can
 * be cleared, as in Cord).
 */
struct user_change {
    bool set_email, set_name, set_short_name, set_status, set_picture,
        set_metadata;
    const char *email, *name, *short_name, *status, *picture, *metadata;
    /* Group ids to add to and remove from (addGroups/removeGroups). */
    const char *const *add_groups;
    int n_add;
    const char *const *remove_groups;
    int n_remove;
    /* Users from client auth tokens may be created without an email. */
    bool email_optional;
};

enum user_write {
    USER_CREATED,
    USER_UPDATED,
    USER_EXISTS,        /* create only: the id is taken */
    USER_NEEDS_EMAIL,   /* a create without an email */
    USER_GROUP_MISSING, /* *missing_group names the first unknown group */
};

/* POST: create only.  PUT: create or update in one statement (an upsert, so
 * concurrent creates of one id never fail). */
enum cg_err store_user_write(struct db *db, struct arena *a,
                             int64_t deadline_ms, const char *app_id,
                             const char *id, const struct user_change *c,
                             bool create_only, enum user_write *result,
                             const char **missing_group) CG_MUSTCHECK;

/* *found is false when the app has no such user. */
enum cg_err store_user_get(struct db *db, struct arena *a, int64_t deadline_ms,
                           const char *app_id, const char *id, struct user *out,
                           bool *found) CG_MUSTCHECK;

/* Users ordered by id after `after` (NULL: from the start), matching the
 * metadata containment filter (JSON text, NULL: all); *more says whether
 * rows remain after the page; *total counts every match. */
enum cg_err store_user_list(struct db *db, struct arena *a, int64_t deadline_ms,
                            const char *app_id, const char *metadata_filter,
                            const char *after, long limit, struct user **out,
                            int *count, bool *more, long *total) CG_MUSTCHECK;

enum cg_err store_user_delete(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *app_id,
                              const char *id, bool *found) CG_MUSTCHECK;

struct request;
struct schema_errors;
struct json_object;

/* A ServerUpdateUser object (the PUT body; a client token's user_details)
 * checked into se with paths under prefix, and read into c. */
void users_read_details(struct request *r, struct schema_errors *se,
                        const char *prefix, struct json_object *details,
                        struct user_change *c);

#endif
