/* The identity model: users, groups, viewers, and the changes bodies ask. */
#ifndef CORDGATE_MODEL_H
#define CORDGATE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct json_object;

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
 * What a create or update of a user says.  A NULL field is left as it is
 * (Cord: `name ?? undefined`); only the picture can be cleared, by
 * clear_picture (Cord's quirk: a null profile_picture_url).
 */
struct user_change {
    const char *email, *name, *short_name, *status, *picture, *metadata;
    bool clear_picture;
    /* Group ids to add to and remove from (addGroups/removeGroups). */
    const char *const *add_groups;
    int n_add;
    const char *const *remove_groups;
    int n_remove;
    /* A create without an email is allowed (client tokens, batch, or
     * CORDGATE_EMAIL_REQUIRED off). */
    bool email_optional;
};

/* A stored group; members is JSON array text of user ids (GET one only). */
struct group {
    const char *id;
    const char *name;
    const char *status;
    const char *metadata;
    const char *members;
};

/* What a create or update of a group says; NULL means not given. */
struct group_change {
    const char *name;
    const char *status;
    const char *metadata;       /* JSON text */
    const char *const *members; /* the whole new member list, if set */
    int n_members;
    bool set_members;
};

/* What a write of a group did. */
enum group_write {
    GROUP_CREATED,
    GROUP_UPDATED,
    GROUP_EXISTS,          /* create only: the id is taken */
    GROUP_NEEDS_NAME,      /* a create without a name */
    GROUP_MEMBERS_MISSING, /* *missing lists the unknown users */
};

/* The user (and group) a client auth token speaks for. */
struct viewer {
    const char *user_id;
    const char *group_id; /* NULL when the token names none */
    const char *name, *short_name, *profile_picture_url;
    const char *metadata; /* JSON text */
    const char *groups;   /* JSON array text of the active groups' ids */
};

/*
 * A user or group object that passed its schema (schema.h), read into a
 * change: shortName ?? short_name, profilePictureURL ?? profile_picture_url,
 * email "" meaning no email, first_name and last_name ignored; -1 when
 * memory ran out.
 */
int model_user_change(struct arena *a, struct json_object *body,
                      struct user_change *c) CG_MUSTCHECK;
int model_group_change(struct arena *a, struct json_object *body,
                       struct group_change *c) CG_MUSTCHECK;

/* "Platform user a not found.", "Platform users a and b not found.",
 * "... a, b, and c ..." (Cord's combine(), with its Oxford comma). */
const char *model_missing_users(struct arena *a, const char *const *ids, int n);

/* Cord's "Platform user <id> not found. If you wanted to create a new
 * user, add user_details ..." and its group twin (len bytes of id). */
const char *model_user_unknown(struct arena *a, const char *id);
const char *model_group_unknown(struct arena *a, const char *id, size_t len);

/* The error a group write that did not happen answers (CG_ERR_OK for one
 * that did) and in *message its text, or NULL for the error's own;
 * CG_ERR_INTERNAL when memory ran out.  id is the group's. */
enum cg_err model_group_failure(struct arena *a, enum group_write result,
                                const char *id, const char *const *missing,
                                int n_missing, const char **message);

#endif
