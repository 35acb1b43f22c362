/* The groups API and its organizations aliases: GET /v1/groups,
 * PUT|GET|DELETE /v1/groups/<ID>, GET|POST /v1/groups/<ID>/members, POST
 * /v1/organizations (cord-api.md 7, cord-groups-batch.md). */
#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/page.h"
#include "cordgate/schema.h"
#include "cordgate/store.h"
#include "cordgate/validate.h"

static const char *const page_keys[] = {"userID", "externalID", NULL};
static const struct page_spec members_page = {1000, 1000, page_keys, false};

static enum cg_err
write_group(struct request *r, const char *id, bool create_only,
            enum group_write *result)
{
    const char *const *missing;
    struct group_change c;
    int n_missing;
    enum cg_err e;

    if (model_group_change(r->arena, r->json, &c) != 0)
        return CG_ERR_INTERNAL;
    const char *message;

    e = store_group_write(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                          &c, create_only, result, &missing, &n_missing);
    if (e == CG_ERR_OK)
        e = model_group_failure(r->arena, *result, id, missing, n_missing,
                                &message);
    return e != CG_ERR_OK && message != NULL ? request_fail_text(r, e, message)
                                             : e;
}

enum cg_err
handle_group_put(struct request *r)
{
    enum group_write result;
    enum cg_err e = write_group(r, r->path_id, false, &result);

    if (e != CG_ERR_OK)
        return e;
    return request_succeed(r, "\xe2\x9c\x85 You successfully %s group %s",
                           result == GROUP_CREATED ? "created" : "updated",
                           r->path_id);
}

enum cg_err
handle_organizations_post(struct request *r)
{
    struct json_object *v;
    enum group_write result;
    const char *id;
    enum cg_err e;

    if (!json_object_object_get_ex(r->json, "id", &v) ||
        (id = schema_id(r->arena, v)) == NULL)
        return CG_ERR_INTERNAL;
    if (!validate_external_id(id, strlen(id), VALIDATE_PATH_ID_MAX))
        return request_bad_id(r, "id");
    if ((e = write_group(r, id, true, &result)) != CG_ERR_OK)
        return e;
    r->status = 201;
    return request_succeed(
        r, "\xe2\x9c\x85 You successfully created organization %s", id);
}

/* "id","name","status" of a group, without the braces. */
static int
append_group_head(struct request *r, const struct group *g)
{
    return buf_append_str(&r->out, "\"id\":") ||
           buf_append_json_string(&r->out, g->id, strlen(g->id)) ||
           buf_append_json_field(&r->out, "name", g->name) ||
           buf_append_json_field(&r->out, "status", g->status);
}

static int
append_group_tail(struct request *r, const struct group *g)
{
    return buf_append_str(&r->out, ",\"connectedToSlack\":false,"
                                   "\"metadata\":") ||
           json_append_compact_text(&r->out, r->arena, g->metadata) ||
           buf_append_char(&r->out, '}');
}

enum cg_err
handle_group_get(struct request *r)
{
    struct group g;
    bool found;
    enum cg_err e;

    e = store_group_get(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                        r->path_id, &g, &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return CG_ERR_GROUP_NOT_FOUND_404;
    if (buf_append_char(&r->out, '{') || append_group_head(r, &g) ||
        buf_append_str(&r->out, ",\"members\":") ||
        json_append_compact_text(&r->out, r->arena, g.members) ||
        append_group_tail(r, &g))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_groups_list(struct request *r)
{
    struct group *groups;
    int i, n;
    enum cg_err e;

    e = store_group_list(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                         &groups, &n);
    if (e != CG_ERR_OK)
        return e;
    if (buf_append_char(&r->out, '['))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if ((i > 0 && buf_append_char(&r->out, ',')) ||
            buf_append_char(&r->out, '{') || append_group_head(r, &groups[i]) ||
            append_group_tail(r, &groups[i]))
            return CG_ERR_INTERNAL;
    return buf_append_char(&r->out, ']') ? CG_ERR_INTERNAL : CG_ERR_OK;
}

enum cg_err
handle_group_delete(struct request *r)
{
    bool found;
    enum cg_err e;

    e = store_group_delete(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                           r->path_id, &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return CG_ERR_GROUP_NOT_FOUND;
    return request_succeed(r, "\xe2\x9c\x85 You successfully deleted group %s",
                           r->path_id);
}

static enum cg_err
no_group(struct request *r, struct str id)
{
    return request_fail_text(r, CG_ERR_GROUP_NOT_FOUND,
                             model_group_unknown(r->arena, id.p, id.len));
}

enum cg_err
handle_group_members_post(struct request *r)
{
    const char *const *add, *const *remove, *id, *missing;
    enum members_change result;
    int n_add, n_remove, i, j;
    enum cg_err e;

    add = schema_ids(r->arena, r->json, "add", &n_add);
    remove = schema_ids(r->arena, r->json, "remove", &n_remove);
    if ((add == NULL && schema_has(r->json, "add")) ||
        (remove == NULL && schema_has(r->json, "remove")))
        return CG_ERR_INTERNAL;
    /* Cord does not check this id; no group can have a bad one. */
    if ((id = http_path_id(r)) == NULL)
        return no_group(r, r->params[0]);
    for (i = 0; i < n_add; i++)
        for (j = 0; j < n_remove; j++)
            if (strcmp(add[i], remove[j]) == 0)
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "Platform member %s both added and "
                                    "removed.",
                                    add[i]);
    e = store_group_members_change(r->ctx->db, r->arena, r->deadline_ms,
                                   r->app->id, id, add, n_add, remove, n_remove,
                                   &result, &missing);
    if (e != CG_ERR_OK)
        return e;
    switch (result) {
    case MEMBERS_CHANGED:
        break;
    case MEMBERS_NO_GROUP:
        return no_group(r, r->params[0]);
    case MEMBERS_NO_USER:
        return request_fail_text(r, CG_ERR_USER_NOT_FOUND,
                                 model_user_unknown(r->arena, missing));
    }
    return request_succeed(
        r, "\xe2\x9c\x85 You successfully updated group members");
}

enum cg_err
handle_group_members_list(struct request *r)
{
    struct page q;
    struct user *users;
    long total;
    bool more, found;
    int i, n;
    enum cg_err e, bad_query;

    /* Cord looks the group up before it reads the query: a bad query on a
     * missing group is a 404, which costs a lookup only then. */
    bad_query = page_read(r, &members_page, &q);
    e = store_group_members_list(r->ctx->db, r->arena, r->deadline_ms,
                                 r->app->id, r->path_id, q.after,
                                 bad_query == CG_ERR_OK ? q.limit : 0, &users,
                                 &n, &more, &total, &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found) {
        r->error_message = NULL; /* the query's, if it was bad too */
        return CG_ERR_GROUP_NOT_FOUND_404;
    }
    if (bad_query != CG_ERR_OK)
        return bad_query;
    if (buf_append_str(&r->out, "{\"users\":["))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        const struct user *u = &users[i];

        if ((i > 0 && buf_append_char(&r->out, ',')) ||
            buf_append_str(&r->out, "{\"id\":") ||
            buf_append_json_string(&r->out, u->id, strlen(u->id)) ||
            buf_append_json_field(&r->out, "email", u->email) ||
            buf_append_json_field(&r->out, "status", u->status) ||
            buf_append_json_field(&r->out, "name", u->name) ||
            buf_append_json_field(&r->out, "shortName", u->short_name) ||
            buf_append_json_field(&r->out, "profilePictureURL",
                                  u->profile_picture_url) ||
            buf_append_str(&r->out, ",\"metadata\":") ||
            json_append_compact_text(&r->out, r->arena, u->metadata) ||
            buf_append_str(&r->out, ",\"createdTimestamp\":") ||
            buf_append_json_string(&r->out, u->created_at,
                                   strlen(u->created_at)) ||
            buf_append_char(&r->out, '}'))
            return CG_ERR_INTERNAL;
    }
    if (buf_append_str(&r->out, "],\"pagination\":{\"token\":") ||
        (more && n > 0
             ? page_append_token(&r->out, r, &members_page, users[n - 1].id)
             : buf_append_str(&r->out, "null")) ||
        buf_printf(&r->out, ",\"total\":%ld}}", total))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}
