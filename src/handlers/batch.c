/* POST /v1/batch: up to 10 000 users and 1 000 groups, all or nothing
 * (cord-api.md 8). */
#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/schema.h"
#include "cordgate/store.h"
#include "cordgate/validate.h"

/* Item i's id, which must pass isValidExternalID as every id does (Cord
 * does not check batch ids). */
static enum cg_err
item_id(struct request *r, const char *list, size_t i, struct json_object *o,
        const char **out)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, "id", &v) ||
        (*out = schema_id(r->arena, v)) == NULL)
        return CG_ERR_INTERNAL;
    if (!validate_external_id(*out, strlen(*out), VALIDATE_PATH_ID_MAX))
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Input type for %s/%zu/id is not valid, expected "
                            "identifier.",
                            list, i);
    return CG_ERR_OK;
}

static enum cg_err
read_users(struct request *r, struct json_object *list, struct batch_user **out,
           int *n)
{
    size_t i, len = json_object_array_length(list);
    struct batch_user *users = arena_calloc(r->arena, len + 1, sizeof(*users));
    enum cg_err e;

    if (users == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < len; i++) {
        struct json_object *o = json_object_array_get_idx(list, i);

        if ((e = item_id(r, "users", i, o, &users[i].id)) != CG_ERR_OK)
            return e;
        if (model_user_change(r->arena, o, &users[i].c) != 0)
            return CG_ERR_INTERNAL;
        users[i].c.email_optional = true;
    }
    *out = users;
    *n = (int)len;
    return CG_ERR_OK;
}

static enum cg_err
read_groups(struct request *r, const char *name, struct json_object *list,
            struct batch_group **out, int *n)
{
    size_t i, len = json_object_array_length(list);
    struct batch_group *groups =
        arena_calloc(r->arena, len + 1, sizeof(*groups));
    enum cg_err e;

    if (groups == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < len; i++) {
        struct json_object *o = json_object_array_get_idx(list, i);

        if ((e = item_id(r, name, i, o, &groups[i].id)) != CG_ERR_OK)
            return e;
        if (model_group_change(r->arena, o, &groups[i].c) != 0)
            return CG_ERR_INTERNAL;
    }
    *out = groups;
    *n = (int)len;
    return CG_ERR_OK;
}

enum cg_err
handle_batch_post(struct request *r)
{
    struct json_object *users_list = NULL, *groups_list = NULL;
    const char *groups_name = "groups";
    struct batch_user *users = NULL;
    struct batch_group *groups = NULL;
    const char *const *missing;
    int n_users = 0, n_groups = 0, n_missing, bad;
    enum batch_write result;
    enum cg_err e;

    /* groups wins over the older organizations when both are given. */
    json_object_object_get_ex(r->json, "users", &users_list);
    if (!json_object_object_get_ex(r->json, "groups", &groups_list)) {
        groups_name = "organizations";
        json_object_object_get_ex(r->json, "organizations", &groups_list);
    }
    if ((users_list != NULL &&
         (e = read_users(r, users_list, &users, &n_users)) != CG_ERR_OK) ||
        (groups_list != NULL &&
         (e = read_groups(r, groups_name, groups_list, &groups, &n_groups)) !=
             CG_ERR_OK))
        return e;
    e = store_batch(r->ctx->db, r->arena, r->deadline_ms, r->app->id, users,
                    n_users, groups, n_groups, &result, &bad, &missing,
                    &n_missing);
    if (e != CG_ERR_OK)
        return e;
    switch (result) {
    case BATCH_DONE:
        break;
    case BATCH_GROUP_NEEDS_NAME:
        return request_fail_text(
            r, CG_ERR_INVALID_REQUEST,
            schema_requires(&schema_create_org, r->arena,
                            json_object_array_get_idx(groups_list, (size_t)bad),
                            "name"));
    case BATCH_MEMBERS_MISSING:
        return request_fail_text(
            r, CG_ERR_USER_NOT_FOUND,
            model_missing_users(r->arena, missing, n_missing));
    }
    return request_succeed(
        r,
        "\xe2\x9c\x85 You successfully batch updated %d user%s and %d group%s",
        n_users, n_users == 1 ? "" : "s", n_groups, n_groups == 1 ? "" : "s");
}
