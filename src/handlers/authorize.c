/* POST /v1/authorize: a signed app token in, an access token out. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"
#include "cordgate/store.h"
#include "cordgate/uuid.h"

/* The legacy validateInput of cord-api.md 3.3, steps 1-3, in its order. */
static enum cg_err
validate_body(struct request *r, struct str *token)
{
    struct json_object *v = NULL;

    if (json_object_is_type(r->json, json_type_array) ||
        !json_get(r->json, "signed_app_token", &v))
        return request_fail(r, CG_ERR_MISSING_FIELD,
                            "Missing required field: signed_app_token.");
    json_object_object_foreach(r->json, key, value)
    {
        if (strcmp(key, "signed_app_token") != 0)
            return request_fail(r, CG_ERR_UNEXPECTED_FIELD,
                                "%s is not a valid field name for this "
                                "request. Expected 1 required field: "
                                "signed_app_token.",
                                key);
        if (!json_string(value, token) || !auth_is_jwt(token->p, token->len))
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "Input type for signed_app_token is not "
                                "valid, expected JWT.");
    }
    return CG_ERR_OK;
}

static enum cg_err
fail(struct request *r, const char *msg)
{
    return request_fail(r, CG_ERR_INVALID_PROJECT_TOKEN, "%s", msg);
}

/* Steps 4-9: what the token says, whether the app exists, the signature. */
static enum cg_err
check_token(struct request *r, struct str token, struct app *app)
{
    struct json_object *app_id = NULL;
    struct jwt_verify_opts opts;
    struct jwt t;
    enum jwt_status st = jwt_decode(r->arena, token.p, token.len, &t);
    struct str id;
    enum cg_err e;

    if (st == JWT_PAYLOAD_NOT_JSON && t.typ_is_jwt)
        return fail(r, jwt_status_message(st));
    if (st != JWT_OK)
        return fail(r, "Input type for signed_app_token payload is not "
                       "valid, expected object.");
    json_get(t.payload, "app_id", &app_id);
    if (!json_is_truthy(app_id))
        return fail(r, "signed_app_token payload is missing app_id.");
    if (!json_string(app_id, &id) || !uuid_is_valid(id.p, id.len))
        return fail(r, "Input type for app_id is not valid, expected UUID.");
    if (json_get(t.payload, "user_id", NULL) ||
        json_get(t.payload, "org_id", NULL))
        return fail(r, "signed_app_token payload invalid, must contain only "
                       "app_id");
    opts = (struct jwt_verify_opts){JWT_HS512, r->ctx->now(),
                                    AUTH_CLOCK_TOLERANCE, AUTH_MAX_AGE, true};
    e = auth_app_verify(r, id.p, &t, &opts, app, &st);
    if (e != CG_ERR_OK)
        return e;
    if (st != JWT_OK)
        return fail(r, jwt_status_message(st));
    return CG_ERR_OK;
}

enum cg_err
handle_authorize_post(struct request *r)
{
    struct str token, secret;
    struct app app;
    const char *session_id, *expires;
    char payload[160];
    struct buf jwt;
    int64_t now;
    int n;
    enum cg_err e;

    if ((e = validate_body(r, &token)) != CG_ERR_OK ||
        (e = check_token(r, token, &app)) != CG_ERR_OK ||
        (e = auth_access_secret(r, &secret)) != CG_ERR_OK)
        return e;
    e = store_session_create(r->ctx->db, r->arena, r->deadline_ms, app.id,
                             &session_id, &expires);
    if (e != CG_ERR_OK)
        return e;
    /* What jsonwebtoken.sign({session_id}, secret, {expiresIn: '24h'})
     * writes, claim for claim. */
    now = r->ctx->now();
    n = snprintf(payload, sizeof(payload),
                 "{\"session_id\":\"%s\",\"iat\":%lld,\"exp\":%lld}",
                 session_id, (long long)now,
                 (long long)(now + AUTH_ACCESS_TOKEN_TTL));
    buf_init(&jwt, r->arena, 1024);
    if (n < 0 || (size_t)n >= sizeof(payload) ||
        jwt_sign(&jwt, JWT_HS512, payload, (size_t)n, secret.p, secret.len) ||
        buf_append_str(&r->out, "{\"access_token\":\"") ||
        buf_append(&r->out, jwt.data, jwt.len) ||
        buf_append_str(&r->out, "\",\"expires\":\"") ||
        buf_append_str(&r->out, expires) || buf_append_str(&r->out, "\"}"))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_verify_get(struct request *r)
{
    if (buf_append_str(&r->out, "{\"success\":true,\"application_id\":") ||
        buf_append_json_string(&r->out, r->app->id, strlen(r->app->id)) ||
        buf_append_str(&r->out, ",\"application_name\":") ||
        buf_append_json_string(&r->out, r->app->name, strlen(r->app->name)) ||
        buf_append_char(&r->out, '}'))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}
