/* Client auth tokens (cord-api.md 3.7.3): check the token, apply its
 * user_details and group_details, load the viewer. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/buf.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/groups.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"
#include "cordgate/router.h"
#include "cordgate/store.h"
#include "cordgate/users.h"
#include "cordgate/uuid.h"
#include "cordgate/validate.h"

#define TOKEN_TYPE  "ClientAuthTokenData"
#define TOKEN_REFER "https://docs.cord.com/reference/authentication/"
#define ID_MAX      128

/* What the token says, after the schema. */
struct claims {
    const char *app_id;
    const char *user_id;
    const char *group_id;
    struct json_object *user_details;
    struct json_object *group_details;
    struct user_change user;
    struct group_change group;
};

static enum cg_err
fail(struct request *r, enum cg_err e, const char *msg)
{
    return request_fail(r, e, "%s", msg);
}

/* An ID claim (string of 1-128 characters, or a number) as a string. */
static const char *
check_id(struct request *r, struct schema_errors *se, struct json_object *v,
         const char *path)
{
    struct buf b;

    if (json_is_finite_number(v)) {
        buf_init(&b, r->arena, 64);
        return json_write_compact(&b, v) == 0 ? b.data : NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        schema_error_type(se, v, path, "string or number");
        return NULL;
    }
    if (json_object_get_string_len(v) == 0)
        schema_error_min_length(se, v, path, 1);
    else if (validate_code_points(json_object_get_string(v),
                                  (size_t)json_object_get_string_len(v)) >
             ID_MAX)
        schema_error_max_length(se, v, path, ID_MAX);
    else
        return json_object_get_string(v);
    return NULL;
}

static bool
is_uuid_format(struct json_object *v)
{
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);

    if (n == 45 && strncasecmp(s, "urn:uuid:", 9) == 0) {
        s += 9;
        n -= 9;
    }
    return uuid_is_valid(s, n);
}

static void
check_app_claim(struct schema_errors *se, struct json_object *payload,
                const char *key)
{
    struct json_object *v;

    if (!json_get(payload, key, &v))
        return;
    if (!json_object_is_type(v, json_type_string))
        schema_error_type(se, v, key, "string");
    else if (!is_uuid_format(v))
        schema_error_format(se, v, key, "uuid");
}

/* group_details: {name?, metadata?, status?, members?}, nothing else. */
static void
check_group_details(struct request *r, struct schema_errors *se,
                    struct json_object *d, const char *path,
                    struct group_change *g)
{
    struct json_object *v;
    const char **keys;
    size_t n = 0, i, len;

    if (!json_object_is_type(d, json_type_object)) {
        schema_error_type(se, d, path, "object");
        return;
    }
    if (json_get(d, "name", &v)) {
        if (!json_object_is_type(v, json_type_string))
            schema_error_type(se, v, arena_printf(r->arena, "%s/name", path),
                              "string");
        else
            g->name = json_object_get_string(v);
    }
    if (json_get(d, "metadata", &v))
        schema_check_metadata(se, r->arena,
                              schema_path(r->arena, path, "metadata"), v,
                              &g->metadata);
    if (json_get(d, "status", &v)) {
        const char *s = json_object_get_string(v);

        if (!json_object_is_type(v, json_type_string))
            schema_error_type(se, v, arena_printf(r->arena, "%s/status", path),
                              "string");
        if (!json_object_is_type(v, json_type_string) ||
            (strcmp(s, "active") != 0 && strcmp(s, "deleted") != 0))
            schema_error_enum(se, v, arena_printf(r->arena, "%s/status", path),
                              "active or deleted");
        else
            g->status = s;
    }
    if (json_get(d, "members", &v)) {
        if (!json_object_is_type(v, json_type_array)) {
            schema_error_type(se, v, arena_printf(r->arena, "%s/members", path),
                              "array");
        } else {
            const char **ids;

            len = json_object_array_length(v);
            ids = arena_calloc(r->arena, len + 1, sizeof(*ids));
            for (i = 0; ids != NULL && i < len; i++)
                ids[i] =
                    check_id(r, se, json_object_array_get_idx(v, i),
                             arena_printf(r->arena, "%s/members/%zu", path, i));
            g->members = ids;
            g->n_members = (int)len;
            g->set_members = true;
        }
    }
    keys = arena_calloc(r->arena, (size_t)json_object_object_length(d) + 1,
                        sizeof(*keys));
    json_object_object_foreach(d, key, value)
    {
        (void)value;
        if (keys != NULL && strcmp(key, "name") != 0 &&
            strcmp(key, "metadata") != 0 && strcmp(key, "status") != 0 &&
            strcmp(key, "members") != 0)
            keys[n++] = key;
    }
    if (n > 0)
        schema_error_unexpected(se, d, keys, n);
}

/* Steps 2-3: the claims against the ClientAuthTokenData schema. */
static enum cg_err
read_claims(struct request *r, struct json_object *payload, struct claims *c)
{
    static const char *const need_user[] = {"user_id"};
    static const char *const need_project[] = {"project_id"};
    struct schema_errors se;
    struct json_object *v, *gid = NULL;
    const char *gpath = "group_details";

    memset(c, 0, sizeof(*c));
    schema_errors_init(&se, r->arena);
    if (!json_object_is_type(payload, json_type_object))
        return fail(
            r, CG_ERR_INVALID_SESSION_TOKEN,
            schema_not_object_message(r->arena, TOKEN_TYPE, TOKEN_REFER));
    if (!json_get(payload, "app_id", NULL) &&
        !json_get(payload, "project_id", NULL)) {
        schema_error_required(&se, payload, need_project, 1);
        return fail(r, CG_ERR_INVALID_SESSION_TOKEN,
                    schema_errors_message(&se, TOKEN_TYPE, TOKEN_REFER));
    }
    check_app_claim(&se, payload, "app_id");
    check_app_claim(&se, payload, "project_id");
    if (json_get(payload, "user_id", &v))
        c->user_id = check_id(r, &se, v, "user_id");
    if (json_get(payload, "group_id", &v) && (gid = v) != NULL)
        c->group_id = check_id(r, &se, v, "group_id");
    if (json_get(payload, "organization_id", &v)) {
        const char *org = check_id(r, &se, v, "organization_id");

        if (gid == NULL || json_object_is_type(gid, json_type_null))
            c->group_id = org;
    }
    if (json_get(payload, "user_details", &v)) {
        c->user_details = v;
        if (!json_object_is_type(v, json_type_object))
            schema_error_type(&se, v, "user_details", "object");
        else
            users_read_details(r, &se, "user_details", v, &c->user);
    }
    if (json_get(payload, "group_details", &v)) {
        c->group_details = v;
        check_group_details(r, &se, v, gpath, &c->group);
    }
    if (json_get(payload, "organization_details", &v)) {
        check_group_details(r, &se, v, "organization_details",
                            c->group_details ? &(struct group_change){0}
                                             : &c->group);
        if (c->group_details == NULL)
            c->group_details = v;
    }
    if (!json_get(payload, "user_id", NULL))
        schema_error_required(&se, payload, need_user, 1);
    if (schema_errors_any(&se)) {
        const char *m = schema_errors_message(&se, TOKEN_TYPE, TOKEN_REFER);

        return m ? fail(r, CG_ERR_INVALID_SESSION_TOKEN, m) : CG_ERR_INTERNAL;
    }
    /* project_id ?? app_id */
    if (json_get(payload, "project_id", &v) &&
        !json_object_is_type(v, json_type_null))
        c->app_id = json_object_get_string(v);
    else if (json_get(payload, "app_id", &v))
        c->app_id = json_object_get_string(v);
    /* email "" is no email (the guide's test users have it). */
    if (c->user.set_email && c->user.email[0] == '\0')
        c->user.set_email = false;
    c->user.email_optional = true;
    return c->user_id && c->app_id ? CG_ERR_OK : CG_ERR_INTERNAL;
}

/* "a", "a and b", "a, b, and c" (Cord's combine(), Oxford comma). */
static const char *
combine(struct arena *a, const char *const *ids, int n)
{
    struct buf b;
    int i;

    buf_init(&b, a, 1u << 20);
    for (i = 0; i < n; i++) {
        const char *sep = i == 0       ? ""
                          : n == 2     ? " and "
                          : i == n - 1 ? ", and "
                                       : ", ";

        if (buf_printf(&b, "%s%s", sep, ids[i]) != 0)
            return NULL;
    }
    return b.data;
}

/* Steps 6-8, in one transaction. */
static enum cg_err
apply_details(struct request *r, struct claims *c)
{
    struct db *db = r->ctx->db;
    const char *group = NULL, *const * missing;
    enum user_write uw;
    enum group_write gw;
    bool user_found, group_found;
    int n_missing;
    enum cg_err e;

    if (c->group_details && c->group_id == NULL)
        return fail(r, CG_ERR_GROUP_NOT_FOUND,
                    "Specified group_details to create/update a group, but "
                    "not a group_id to create/update.");
    if (c->user_details &&
        !validate_external_id(c->user_id, strlen(c->user_id), 320))
        return fail(r, CG_ERR_INVALID_FIELD,
                    "Input type for userID is not valid, expected "
                    "identifier.");
    if (c->group_details &&
        !validate_external_id(c->group_id, strlen(c->group_id), 320))
        return fail(r, CG_ERR_INVALID_FIELD,
                    "Input type for orgID is not valid, expected identifier.");
    if (!c->user_details && !c->group_details)
        return CG_ERR_OK;
    e = db_exec_script(db, r->arena, r->deadline_ms, "BEGIN");
    if (e != CG_ERR_OK)
        return e;
    if (c->user_details) {
        e = store_user_write(db, r->arena, r->deadline_ms, r->app->id,
                             c->user_id, &c->user, false, &uw, &group);
        if (e == CG_ERR_OK && uw == USER_GROUP_MISSING)
            e = request_fail(r, CG_ERR_GROUP_NOT_FOUND, "Group %s not found.",
                             group);
    }
    if (e == CG_ERR_OK && c->group_details) {
        e = store_group_write(db, r->arena, r->deadline_ms, r->app->id,
                              c->group_id, &c->group, &gw, &missing,
                              &n_missing);
        if (e == CG_ERR_OK && gw == GROUP_NEEDS_NAME)
            e = fail(r, CG_ERR_MISSING_FIELD,
                     "Invalid UpdatePlatformGroupVariables:\nGroup does not "
                     "exist, \"name\" is a required field to create a new "
                     "group.");
        else if (e == CG_ERR_OK && gw == GROUP_MEMBERS_MISSING)
            e = request_fail(r, CG_ERR_USER_NOT_FOUND,
                             "Platform user%s %s not found.",
                             n_missing > 1 ? "s" : "",
                             combine(r->arena, missing, n_missing));
    }
    if (e == CG_ERR_OK && c->group_id != NULL) {
        e = store_group_add_member(db, r->arena, r->deadline_ms, r->app->id,
                                   c->group_id, c->user_id, &user_found,
                                   &group_found);
        if (e == CG_ERR_OK && !user_found)
            e = request_fail(r, CG_ERR_USER_NOT_FOUND,
                             "Platform user %s not found. If you wanted to "
                             "create a new user, add user_details to your "
                             "request. Refer to https://docs.cord.com/"
                             "reference/authentication#JSON-user-details for "
                             "details.",
                             c->user_id);
        else if (e == CG_ERR_OK && !group_found)
            e = request_fail(r, CG_ERR_GROUP_NOT_FOUND,
                             "Platform group %s not found. If you wanted to "
                             "create a new group, add group_details to your "
                             "request. Refer to https://docs.cord.com/"
                             "reference/authentication#JSON-group-details "
                             "for details.",
                             c->group_id);
    }
    if (e == CG_ERR_OK)
        e = db_exec_script(db, r->arena, r->deadline_ms, "COMMIT");
    if (e != CG_ERR_OK && db_in_transaction(db))
        store_rollback(db, r->arena, r->deadline_ms);
    return e;
}

/* Steps 9-11: the viewer exists, is not deleted, belongs to the group. */
static enum cg_err
load_viewer(struct request *r, const struct claims *c)
{
    struct viewer *v = arena_calloc(r->arena, 1, sizeof(*v));
    enum viewer_state st;
    enum cg_err e;

    if (v == NULL)
        return CG_ERR_INTERNAL;
    e = store_viewer_get(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                         c->user_id, c->group_id, v, &st);
    if (e != CG_ERR_OK)
        return e;
    switch (st) {
    case VIEWER_OK:
        break;
    case VIEWER_NO_USER:
        return request_fail(r, CG_ERR_USER_NOT_FOUND,
                            "Unable to load user %s in application %s. "
                            "Perhaps the user is marked 'deleted'.",
                            c->user_id, r->app->id);
    case VIEWER_NO_GROUP:
        return request_fail(r, CG_ERR_GROUP_NOT_FOUND,
                            "Platform group %s not found.", c->group_id);
    case VIEWER_NOT_MEMBER:
        return CG_ERR_USER_NOT_IN_GROUP;
    case VIEWER_GROUP_INACTIVE:
        return fail(r, CG_ERR_INVALID_SESSION_TOKEN,
                    "The org could not be loaded or is inactive");
    }
    r->viewer = v;
    return CG_ERR_OK;
}

enum cg_err
auth_client(struct request *r)
{
    const char *h = r->authorization;
    struct jwt_verify_opts opts;
    struct app *app;
    struct claims c;
    struct jwt t;
    enum jwt_status st;
    enum cg_err e;

    r->client_error = true;
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return fail(r, CG_ERR_INVALID_SESSION_TOKEN,
                    "Malformed authorization header: no type prefix");
    h += 7;
    st = jwt_decode(r->arena, h, strlen(h), &t);
    if (st != JWT_OK && st != JWT_PAYLOAD_NOT_OBJECT)
        return fail(r, CG_ERR_INVALID_SESSION_TOKEN, jwt_status_message(st));
    e = read_claims(r, t.payload, &c);
    if (e != CG_ERR_OK)
        return e;
    app = arena_calloc(r->arena, 1, sizeof(*app));
    if (app == NULL)
        return CG_ERR_INTERNAL;
    e = store_app_get(r->ctx->db, r->arena, r->deadline_ms, c.app_id, app);
    if (e == CG_ERR_PROJECT_NOT_FOUND)
        return request_fail(r, e, "Platform project %s not found.", c.app_id);
    if (e != CG_ERR_OK)
        return e;
    /* HS256 or HS512; exp only if present; no maxAge, no tolerance. */
    opts = (struct jwt_verify_opts){JWT_HS256 | JWT_HS512, r->ctx->now(), 0, 0};
    st = jwt_verify(&t, app->secret, strlen(app->secret), &opts);
    if (st != JWT_OK)
        return fail(r, CG_ERR_INVALID_SESSION_TOKEN, jwt_status_message(st));
    r->app = app;
    if ((e = apply_details(r, &c)) != CG_ERR_OK ||
        (e = load_viewer(r, &c)) != CG_ERR_OK)
        return e;
    r->client_error = false;
    return CG_ERR_OK;
}
