/* Validated user and group objects read into the changes the store makes. */
#include "cordgate/model.h"

#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/schema.h"

static const char *
first_of(struct json_object *o, const char *a, const char *b)
{
    const char *v = schema_text(o, a);

    return v != NULL ? v : schema_text(o, b);
}

/* Did a present array or object fail to be read (no memory)? */
static bool
lost(struct json_object *o, const char *key, const void *read)
{
    struct json_object *v;

    return read == NULL && json_object_object_get_ex(o, key, &v) &&
           (json_object_is_type(v, json_type_object) ||
            json_object_is_type(v, json_type_array));
}

int
model_user_change(struct arena *a, struct json_object *body,
                  struct user_change *c)
{
    struct json_object *snake;

    memset(c, 0, sizeof(*c));
    c->name = schema_text(body, "name");
    c->short_name = first_of(body, "shortName", "short_name");
    c->email = schema_text(body, "email");
    if (c->email != NULL && c->email[0] == '\0')
        c->email = NULL; /* "" is "no email" (Cord drops it) */
    c->status = schema_text(body, "status");
    c->picture = first_of(body, "profilePictureURL", "profile_picture_url");
    /* A null clears the picture only under its snake_case name. */
    c->clear_picture =
        c->picture == NULL &&
        json_object_object_get_ex(body, "profile_picture_url", &snake) &&
        snake == NULL;
    c->metadata = schema_metadata(a, body, "metadata");
    c->add_groups = schema_ids(a, body, "addGroups", &c->n_add);
    c->remove_groups = schema_ids(a, body, "removeGroups", &c->n_remove);
    return lost(body, "metadata", c->metadata) ||
                   lost(body, "addGroups", c->add_groups) ||
                   lost(body, "removeGroups", c->remove_groups)
               ? -1
               : 0;
}

int
model_group_change(struct arena *a, struct json_object *body,
                   struct group_change *c)
{
    memset(c, 0, sizeof(*c));
    c->name = schema_text(body, "name");
    c->status = schema_text(body, "status");
    c->metadata = schema_metadata(a, body, "metadata");
    c->set_members = schema_has(body, "members");
    c->members = schema_ids(a, body, "members", &c->n_members);
    return lost(body, "metadata", c->metadata) ||
                   lost(body, "members", c->members)
               ? -1
               : 0;
}

const char *
model_missing_users(struct arena *a, const char *const *ids, int n)
{
    struct buf b;
    int i;

    buf_init(&b, a, 1u << 24);
    if (buf_append_str(&b, n > 1 ? "Platform users " : "Platform user ") != 0)
        return NULL;
    for (i = 0; i < n; i++) {
        const char *sep = i == 0       ? ""
                          : n == 2     ? " and "
                          : i == n - 1 ? ", and "
                                       : ", ";

        if (buf_append_str(&b, sep) != 0 || buf_append_str(&b, ids[i]) != 0)
            return NULL;
    }
    return buf_append_str(&b, " not found.") == 0 ? b.data : NULL;
}

enum cg_err
model_group_failure(struct arena *a, enum group_write result, const char *id,
                    const char *const *missing, int n_missing,
                    const char **message)
{
    *message = NULL;
    switch (result) {
    case GROUP_CREATED:
    case GROUP_UPDATED:
        return CG_ERR_OK;
    case GROUP_EXISTS:
        *message = arena_printf(a,
                                "The platform organization with id %s already "
                                "exists, to update organization please make a "
                                "PUT request to "
                                "organizations/<ORGANIZATION_ID>.",
                                id);
        return *message ? CG_ERR_ORGANIZATION_ALREADY_EXISTS : CG_ERR_INTERNAL;
    case GROUP_NEEDS_NAME:
        return CG_ERR_GROUP_NEEDS_NAME;
    case GROUP_MEMBERS_MISSING:
        *message = model_missing_users(a, missing, n_missing);
        return *message ? CG_ERR_USER_NOT_FOUND : CG_ERR_INTERNAL;
    }
    return CG_ERR_INTERNAL;
}

const char *
model_user_unknown(struct arena *a, const char *id)
{
    return arena_printf(a,
                        "Platform user %s not found. If you wanted to create "
                        "a new user, add user_details to your request. Refer "
                        "to https://docs.cord.com/reference/"
                        "authentication#JSON-user-details for details.",
                        id);
}

const char *
model_group_unknown(struct arena *a, const char *id, size_t len)
{
    return arena_printf(a,
                        "Platform group %.*s not found. If you wanted to "
                        "create a new group, add group_details to your "
                        "request. Refer to https://docs.cord.com/reference/"
                        "authentication#JSON-group-details for details.",
                        (int)len, id);
}
