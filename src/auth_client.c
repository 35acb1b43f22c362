/* Client auth tokens (cord-api.md 3.7.3): check the token, have its
 * user_details and group_details applied, load the viewer. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/context.h"
#include "cordgate/http.h"
#include "cordgate/jwt.h"
#include "cordgate/schema.h"
#include "cordgate/store.h"
#include "cordgate/validate.h"

/* What the token says, after the schema. */
struct claims {
    const char *app_id;
    const char *user_id;
    const char *group_id;
    struct json_object *user_details;
    struct json_object *group_details;
};

/* An id claim's value as text, or NULL when absent or null. */
static const char *
id_claim(struct request *r, struct json_object *payload, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(payload, key, &v) || v == NULL)
        return NULL;
    return schema_id(r->arena, v);
}

/* A details object, or NULL when absent or null. */
static struct json_object *
details(struct json_object *payload, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(payload, key, &v) &&
                   json_object_is_type(v, json_type_object)
               ? v
               : NULL;
}

/* Steps 2-3: the claims against the ClientAuthTokenData schema. */
static enum cg_err
read_claims(struct request *r, struct json_object *payload, struct claims *c)
{
    const char *message;
    enum cg_err e;

    memset(c, 0, sizeof(*c));
    /* Cord asks for project_id alone when neither id is there. */
    if (json_object_is_type(payload, json_type_object) &&
        !json_object_object_get_ex(payload, "app_id", NULL) &&
        !json_object_object_get_ex(payload, "project_id", NULL)) {
        message = schema_requires(&schema_client_token, r->arena, payload,
                                  "project_id");
        return message
                   ? request_fail_text(r, CG_ERR_INVALID_SESSION_TOKEN, message)
                   : CG_ERR_INTERNAL;
    }
    e = schema_check(&schema_client_token, r->arena, payload, false, &message);
    if (e != CG_ERR_OK)
        return message ? request_fail_text(r, e, message) : CG_ERR_INTERNAL;
    /* project_id ?? app_id; group_id ?? organization_id */
    c->app_id = schema_text(payload, "project_id");
    if (c->app_id == NULL)
        c->app_id = schema_text(payload, "app_id");
    c->user_id = id_claim(r, payload, "user_id");
    c->group_id = id_claim(r, payload, "group_id");
    if (c->group_id == NULL)
        c->group_id = id_claim(r, payload, "organization_id");
    c->user_details = details(payload, "user_details");
    c->group_details = details(payload, "group_details");
    if (c->group_details == NULL)
        c->group_details = details(payload, "organization_details");
    return c->user_id && c->app_id ? CG_ERR_OK : CG_ERR_INTERNAL;
}

/* What the store's answer to the details means for the token. */
static enum cg_err
applied(struct request *r, const struct claims *c, enum client_write result,
        enum group_write group_result, const char *const *missing,
        int n_missing)
{
    const char *message;
    enum cg_err e;

    switch (result) {
    case CLIENT_OK:
        return CG_ERR_OK;
    case CLIENT_USER_GROUP_MISSING:
        return request_fail(r, CG_ERR_GROUP_NOT_FOUND, "Group %s not found.",
                            missing[0]);
    case CLIENT_GROUP_FAILED:
        e = model_group_failure(r->arena, group_result, c->group_id, missing,
                                n_missing, &message);
        return message != NULL ? request_fail_text(r, e, message) : e;
    case CLIENT_NO_USER:
        return request_fail_text(r, CG_ERR_USER_NOT_FOUND,
                                 model_user_unknown(r->arena, c->user_id));
    case CLIENT_NO_GROUP:
        return request_fail_text(
            r, CG_ERR_GROUP_NOT_FOUND,
            model_group_unknown(r->arena, c->group_id, strlen(c->group_id)));
    }
    return CG_ERR_INTERNAL;
}

/* Steps 6-8: the details, written by one store call. */
static enum cg_err
apply_details(struct request *r, const struct claims *c)
{
    struct user_change user;
    struct group_change group;
    const char *const *missing;
    enum client_write result;
    enum group_write group_result = GROUP_UPDATED;
    int n_missing;
    enum cg_err e;

    if (c->group_details && c->group_id == NULL)
        return request_fail_text(
            r, CG_ERR_GROUP_NOT_FOUND,
            "Specified group_details to create/update a group, but "
            "not a group_id to create/update.");
    if (c->user_details && !validate_external_id(c->user_id, strlen(c->user_id),
                                                 VALIDATE_PATH_ID_MAX))
        return request_bad_id(r, "userID");
    if (c->group_details &&
        !validate_external_id(c->group_id, strlen(c->group_id),
                              VALIDATE_PATH_ID_MAX))
        return request_bad_id(r, "orgID");
    if (!c->user_details && !c->group_details)
        return CG_ERR_OK;
    if ((c->user_details &&
         model_user_change(r->arena, c->user_details, &user) != 0) ||
        (c->group_details &&
         model_group_change(r->arena, c->group_details, &group) != 0))
        return CG_ERR_INTERNAL;
    user.email_optional = true;
    e = store_client_apply(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                           c->user_id, c->user_details ? &user : NULL,
                           c->group_id, c->group_details ? &group : NULL,
                           &result, &group_result, &missing, &n_missing);
    return e != CG_ERR_OK
               ? e
               : applied(r, c, result, group_result, missing, n_missing);
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
        return request_fail_text(r, CG_ERR_INVALID_SESSION_TOKEN,
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

    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return request_fail_text(
            r, CG_ERR_INVALID_SESSION_TOKEN,
            "Malformed authorization header: no type prefix");
    h += 7;
    st = jwt_decode(r->arena, h, strlen(h), &t);
    if (st != JWT_OK && st != JWT_PAYLOAD_NOT_OBJECT)
        return request_fail_text(r, CG_ERR_INVALID_SESSION_TOKEN,
                                 jwt_status_message(st));
    e = read_claims(r, t.payload, &c);
    if (e != CG_ERR_OK)
        return e;
    app = arena_calloc(r->arena, 1, sizeof(*app));
    if (app == NULL)
        return CG_ERR_INTERNAL;
    /* As Cord: HS256 or HS512; exp only if present; no maxAge, no
     * tolerance, and iat unchecked, even in the future: Cord's Python SDK
     * takes iat from the host's local time, hours ahead east of UTC.  Only
     * crit is refused, by jwt_verify() (RFC 7515), where Cord accepts it. */
    opts = (struct jwt_verify_opts){JWT_HS256 | JWT_HS512, r->ctx->now(), 0, 0,
                                    false};
    e = auth_app_verify(r, c.app_id, &t, &opts, app, &st);
    if (e == CG_ERR_PROJECT_NOT_FOUND)
        return request_fail(r, e, "Platform project %s not found.", c.app_id);
    if (e != CG_ERR_OK)
        return e;
    if (st != JWT_OK)
        return request_fail_text(r, CG_ERR_INVALID_SESSION_TOKEN,
                                 jwt_status_message(st));
    r->app = app;
    if ((e = apply_details(r, &c)) != CG_ERR_OK ||
        (e = load_viewer(r, &c)) != CG_ERR_OK)
        return e;
    return CG_ERR_OK;
}
