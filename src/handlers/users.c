/* The users API: POST /v1/users, PUT|GET|DELETE /v1/users/<ID>, GET
 * /v1/users (cord-api.md 6, with DESIGN.md 1's required email). */
#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/page.h"
#include "cordgate/schema.h"
#include "cordgate/store.h"
#include "cordgate/validate.h"

static const char *const page_keys[] = {"externalID", NULL};
static const struct page_spec users_page = {1000, 1000, page_keys, true};

static enum cg_err
answer_write(struct request *r, enum user_write result, const char *id,
             const char *missing_group, const struct schema *schema)
{
    switch (result) {
    case USER_CREATED:
    case USER_UPDATED:
        break;
    case USER_EXISTS:
        return request_fail(r, CG_ERR_USER_ALREADY_EXISTS,
                            "The platform user with id %s already exists, to "
                            "update user please make a PUT request to "
                            "users/<USER_ID>.",
                            id);
    case USER_NEEDS_EMAIL:
        /* The seed's rule: a user is created with an email. */
        return request_fail_text(
            r, CG_ERR_INVALID_REQUEST,
            schema_requires(schema, r->arena, r->json, "email"));
    case USER_GROUP_MISSING:
        return request_fail(r, CG_ERR_GROUP_NOT_FOUND, "Group %s not found.",
                            missing_group);
    }
    return request_succeed(r, "\xe2\x9c\x85 You successfully %s user %s",
                           result == USER_CREATED ? "created" : "updated", id);
}

enum cg_err
handle_users_post(struct request *r)
{
    struct json_object *v;
    const char *id, *group = NULL;
    struct user_change c;
    enum user_write result;
    enum cg_err e;

    if (model_user_change(r->arena, r->json, &c) != 0 ||
        !json_object_object_get_ex(r->json, "id", &v) ||
        (id = schema_id(r->arena, v)) == NULL)
        return CG_ERR_INTERNAL;
    if (!validate_external_id(id, strlen(id), VALIDATE_PATH_ID_MAX))
        return request_bad_id(r, "id");
    c.email_optional = !r->ctx->cfg->email_required;
    e = store_user_write(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                         &c, true, &result, &group);
    if (e == CG_ERR_OK)
        e = answer_write(r, result, id, group, &schema_create_user);
    if (e == CG_ERR_OK)
        r->status = 201;
    return e;
}

enum cg_err
handle_user_put(struct request *r)
{
    const char *group = NULL;
    struct user_change c;
    enum user_write result;
    int i, j;
    enum cg_err e;

    if (model_user_change(r->arena, r->json, &c) != 0)
        return CG_ERR_INTERNAL;
    for (i = 0; i < c.n_add; i++)
        for (j = 0; j < c.n_remove; j++)
            if (strcmp(c.add_groups[i], c.remove_groups[j]) == 0)
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "Adding and removing the same group is "
                                    "invalid.");
    c.email_optional = !r->ctx->cfg->email_required;
    e = store_user_write(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                         r->path_id, &c, false, &result, &group);
    if (e != CG_ERR_OK)
        return e;
    return answer_write(r, result, r->path_id, group, &schema_update_user);
}

/* The fields GET and list share, in Cord's order, without the braces. */
static int
append_user_fields(struct request *r, const struct user *u)
{
    struct buf *b = &r->out;

    return buf_append_str(b, "\"id\":") ||
           buf_append_json_string(b, u->id, strlen(u->id)) ||
           buf_append_json_field(b, "email", u->email) ||
           buf_append_json_field(b, "status", u->status) ||
           buf_append_json_field(b, "name", u->name) ||
           buf_append_json_field(b, "shortName", u->short_name) ||
           buf_append_json_field(b, "short_name", u->short_name) ||
           buf_append_str(b, ",\"first_name\":null,\"last_name\":null") ||
           buf_append_json_field(b, "profilePictureURL",
                                 u->profile_picture_url) ||
           buf_append_json_field(b, "profile_picture_url",
                                 u->profile_picture_url);
}

enum cg_err
handle_user_get(struct request *r)
{
    struct user u;
    bool found;
    enum cg_err e;

    e = store_user_get(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                       r->path_id, &u, &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return CG_ERR_USER_NOT_FOUND_404;
    if (buf_append_char(&r->out, '{') || append_user_fields(r, &u) ||
        buf_append_str(&r->out, ",\"organizations\":") ||
        json_append_compact_text(&r->out, r->arena, u.groups) ||
        buf_append_str(&r->out, ",\"groups\":") ||
        json_append_compact_text(&r->out, r->arena, u.groups) ||
        buf_append_str(&r->out, ",\"metadata\":") ||
        json_append_compact_text(&r->out, r->arena, u.metadata) ||
        buf_append_str(&r->out, ",\"groupIDsWithLinkedSlackProfile\":[]"
                                ",\"createdTimestamp\":") ||
        buf_append_json_string(&r->out, u.created_at, strlen(u.created_at)) ||
        buf_append_char(&r->out, '}'))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_user_delete(struct request *r)
{
    struct json_object *v;
    const char *id;
    bool found;
    enum cg_err e;

    /* Cord's order: the schema (the router), permanently_delete, the id. */
    if (!json_object_object_get_ex(r->json, "permanently_delete", &v) ||
        !json_object_get_boolean(v))
        return CG_ERR_INVALID_REQUEST;
    if ((id = http_path_id(r)) == NULL)
        return request_bad_id(r, "userID");
    e = store_user_delete(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                          &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return request_fail(r, CG_ERR_INVALID_USER_ID, "Invalid user id: %s.",
                            id);
    if (buf_append_str(&r->out, "{\"success\":true,\"message\":\"User "
                                "deleted.\",\"userID\":") ||
        buf_append_json_string(&r->out, id, strlen(id)) ||
        buf_append_str(&r->out, ",\"failedDeletionFileIDs\":[]}"))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_users_list(struct request *r)
{
    struct page q;
    struct user *users;
    long total;
    bool more;
    int i, n;
    enum cg_err e;

    if ((e = page_read(r, &users_page, &q)) != CG_ERR_OK)
        return e;
    e = store_user_list(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                        q.metadata, q.after, q.limit, &users, &n, &more,
                        &total);
    if (e != CG_ERR_OK)
        return e;
    if (buf_append_str(&r->out, "{\"users\":["))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if ((i > 0 && buf_append_char(&r->out, ',')) ||
            buf_append_char(&r->out, '{') || append_user_fields(r, &users[i]) ||
            buf_append_str(&r->out, ",\"metadata\":") ||
            json_append_compact_text(&r->out, r->arena, users[i].metadata) ||
            buf_append_str(&r->out, ",\"createdTimestamp\":") ||
            buf_append_json_string(&r->out, users[i].created_at,
                                   strlen(users[i].created_at)) ||
            buf_append_char(&r->out, '}'))
            return CG_ERR_INTERNAL;
    if (buf_append_str(&r->out, "],\"pagination\":{\"token\":") ||
        (more && n > 0
             ? page_append_token(&r->out, r, &users_page, users[n - 1].id)
             : buf_append_str(&r->out, "null")) ||
        buf_printf(&r->out, ",\"total\":%ld}}", total))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}
