/* The client-token reads: GET /v1/client/viewer, /v1/client/user/<ID>,
 * /v1/client/users?users=[...] and /v1/client/groupMembers/<ID>. */
#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/schema.h"
#include "cordgate/store.h"
#include "cordgate/validate.h"

/* Cord's DEFAULT_GROUP_MEMBERS_INITIAL_PAGE_SIZE */
#define GROUP_MEMBERS_PAGE 10

static const char *
first_set(const char *a, const char *b, const char *fallback)
{
    if (a != NULL && a[0] != '\0')
        return a;
    if (b != NULL && b[0] != '\0')
        return b;
    return fallback;
}

/* Cord's ClientUserData, without its closing brace. */
static int
append_user_data(struct request *r, const char *id, const char *name,
                 const char *short_name, const char *picture,
                 const char *metadata)
{
    struct buf *b = &r->out;

    /* displayName = screenName || name || 'unknown';
     * secondaryDisplayName = name || screenName || 'Unknown' (Cord). */
    return buf_append_str(b, "{\"id\":") ||
           buf_append_json_string(b, id, strlen(id)) ||
           buf_append_json_field(b, "name", name) ||
           buf_append_json_field(b, "shortName", short_name) ||
           buf_append_json_field(b, "displayName",
                                 first_set(short_name, name, "unknown")) ||
           buf_append_json_field(b, "secondaryDisplayName",
                                 first_set(name, short_name, "Unknown")) ||
           buf_append_json_field(b, "profilePictureURL", picture) ||
           buf_append_str(b, ",\"metadata\":") ||
           json_append_compact_text(b, r->arena, metadata);
}

static int
append_user(struct request *r, const struct user *u)
{
    return append_user_data(r, u->id, u->name, u->short_name,
                            u->profile_picture_url, u->metadata) ||
           buf_append_char(&r->out, '}');
}

enum cg_err
handle_client_viewer_get(struct request *r)
{
    const struct viewer *v = r->viewer;
    struct buf *b = &r->out;

    if (append_user_data(r, v->user_id, v->name, v->short_name,
                         v->profile_picture_url, v->metadata) ||
        buf_append_json_field(b, "organizationID", v->group_id) ||
        buf_append_json_field(b, "groupID", v->group_id) ||
        buf_append_str(b, ",\"notificationPreferences\":{\"sendViaEmail\":"
                          "true,\"sendViaSlack\":true},\"isSlackConnected\":"
                          "false,\"organizationIsSlackConnected\":false,"
                          "\"groupIsSlackConnected\":false,\"groups\":") ||
        json_append_compact_text(b, r->arena, v->groups) ||
        buf_append_char(b, '}'))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

/* The users of ids the viewer may see. */
static enum cg_err
visible(struct request *r, const char *const *ids, int n, struct user **out,
        int *count)
{
    return store_client_users(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                              r->viewer->user_id, ids, n, out, count);
}

enum cg_err
handle_client_user_get(struct request *r)
{
    const char *id = http_path_id(r);
    struct user *users;
    int n = 0;
    enum cg_err e;

    if (id != NULL && (e = visible(r, &id, 1, &users, &n)) != CG_ERR_OK)
        return e;
    if (n != 1)
        return CG_ERR_USER_NOT_FOUND;
    return append_user(r, &users[0]) ? CG_ERR_INTERNAL : CG_ERR_OK;
}

/* ?users=<JSON array of strings and numbers>, as strings. */
static const char *const *
read_user_list(struct request *r, int *n)
{
    struct json_object *list;
    const char **ids;
    struct str q;
    size_t i, len;

    if (http_query_count(r, "users") != 1 || !http_query_get(r, "users", &q) ||
        json_parse(r->arena, q.p, q.len, &list) != JSON_PARSE_OK ||
        !json_object_is_type(list, json_type_array))
        return NULL;
    len = json_object_array_length(list);
    ids = arena_calloc(r->arena, len + 1, sizeof(*ids));
    for (i = 0; ids != NULL && i < len; i++) {
        struct json_object *v = json_object_array_get_idx(list, i);

        if ((!json_object_is_type(v, json_type_string) &&
             !json_is_finite_number(v)) ||
            json_string_has_nul(v) || (ids[i] = schema_id(r->arena, v)) == NULL)
            return NULL;
    }
    *n = (int)len;
    return ids;
}

static const struct user *
find_user(const struct user *users, int n, const char *id)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(users[i].id, id) == 0)
            return &users[i];
    return NULL;
}

enum cg_err
handle_client_users_get(struct request *r)
{
    const char *const *ids;
    struct user *users;
    int n, count, i, j;
    bool first = true;
    enum cg_err e;

    if ((ids = read_user_list(r, &n)) == NULL)
        return CG_ERR_INVALID_REQUEST;
    if ((e = visible(r, ids, n, &users, &count)) != CG_ERR_OK)
        return e;
    if (buf_append_char(&r->out, '{'))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        const struct user *u = find_user(users, count, ids[i]);

        /* A key given twice keeps its first place, as in a JS object. */
        for (j = 0; j < i && strcmp(ids[j], ids[i]) != 0; j++)
            ;
        if (j < i)
            continue;
        if ((!first && buf_append_char(&r->out, ',')) ||
            buf_append_json_string(&r->out, ids[i], strlen(ids[i])) ||
            buf_append_char(&r->out, ':') ||
            (u ? append_user(r, u) : buf_append_str(&r->out, "null")))
            return CG_ERR_INTERNAL;
        first = false;
    }
    return buf_append_char(&r->out, '}') ? CG_ERR_INTERNAL : CG_ERR_OK;
}

enum cg_err
handle_client_group_members_get(struct request *r)
{
    const char *id = http_path_id(r);
    struct user *users = NULL;
    bool more = false;
    int n = 0, i;
    enum cg_err e;

    /* A group the viewer is not in reads as an empty one, as in Cord. */
    if (id != NULL && (e = store_client_group_members(
                           r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                           r->viewer->user_id, id, GROUP_MEMBERS_PAGE, &users,
                           &n, &more)) != CG_ERR_OK)
        return e;
    if (buf_append_str(&r->out, "{\"groupMembers\":["))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if ((i > 0 && buf_append_char(&r->out, ',')) ||
            append_user(r, &users[i]))
            return CG_ERR_INTERNAL;
    return buf_printf(&r->out, "],\"loading\":false,\"hasMore\":%s}",
                      more ? "true" : "false")
               ? CG_ERR_INTERNAL
               : CG_ERR_OK;
}
