/* Groups of an app and their members. */
#ifndef CORDGATE_GROUPS_H
#define CORDGATE_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct db;

/* What a create or update of a group says; NULL means not given. */
struct group_change {
    const char *name;
    const char *status;
    const char *metadata;       /* JSON text */
    const char *const *members; /* the whole new member list, if set */
    int n_members;
    bool set_members;
};

enum group_write {
    GROUP_CREATED,
    GROUP_UPDATED,
    GROUP_NEEDS_NAME,      /* a create without a name */
    GROUP_MEMBERS_MISSING, /* *missing lists the unknown users */
};

/*
 * Create or update a group; a status not given leaves it as it is (Cord
 * would reactivate a deleted group).  members replaces the membership; an
 * unknown member fails the whole write.  Call inside a transaction.
 */
enum cg_err store_group_write(struct db *db, struct arena *a,
                              int64_t deadline_ms, const char *app_id,
                              const char *id, const struct group_change *c,
                              enum group_write *result,
                              const char *const **missing,
                              int *n_missing) CG_MUSTCHECK;

/* Make user_id a member; user_found and group_found say what exists. */
enum cg_err store_group_add_member(struct db *db, struct arena *a,
                                   int64_t deadline_ms, const char *app_id,
                                   const char *group_id, const char *user_id,
                                   bool *user_found,
                                   bool *group_found) CG_MUSTCHECK;

struct viewer;

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

#endif
