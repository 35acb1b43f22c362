/* GET /generate-cord-token?userIndex=N: the guide's multi-user test tokens,
 * exactly what @cord-sdk/server's getClientAuthToken would sign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/js.h"
#include "cordgate/jwt.h"
#include "cordgate/log.h"
#include "cordgate/store.h"

#define CLIENT_TOKEN_TTL 60 /* the SDK's expiresIn: '1 min' */

/*
 * parseInt(userIndex, 10), reduced mod count exactly, however many digits
 * (no overflow), and taken non-negative: -1 is the last user.  Missing,
 * empty or not starting with a number is 0, as the guide's code does.
 */
static size_t
user_index(struct request *r, size_t count)
{
    struct str q, digits;
    size_t i, rem = 0;
    bool negative;

    if (!http_query_get(r, "userIndex", &q))
        return 0;
    digits = js_int_digits(q, &negative);
    for (i = 0; i < digits.len; i++)
        rem = (rem * 10 + (size_t)(digits.p[i] - '0')) % count;
    return negative && rem != 0 ? count - rem : rem;
}

static int
allow_origin(struct request *r)
{
    return http_add_header(r, "Access-Control-Allow-Origin",
                           r->ctx->cfg->cors_origin) ||
           http_add_header(r, "Vary", "Origin");
}

/* The signing app, from the worker's app cache (auth_app_get). */
static enum cg_err
signing_app(struct request *r, struct app *app)
{
    enum cg_err e = auth_app_get(r, r->ctx->cfg->test_app_id, app);

    if (e == CG_ERR_PROJECT_NOT_FOUND) {
        log_error("CORDGATE_TEST_APP_ID %s is not an app",
                  r->ctx->cfg->test_app_id);
        return CG_ERR_INTERNAL;
    }
    return e;
}

enum cg_err
handle_test_token_get(struct request *r)
{
    const struct test_users *tu = &r->ctx->cfg->test_users;
    struct app app;
    struct buf payload, token;
    int64_t now;
    enum cg_err e;

    if (allow_origin(r) != 0)
        return CG_ERR_INTERNAL;
    e = signing_app(r, &app);
    if (e != CG_ERR_OK)
        return e;
    now = r->ctx->now();
    buf_init(&payload, r->arena, 2u << 20);
    buf_init(&token, r->arena, 4u << 20);
    if (buf_append_str(&payload,
                       tu->payload_prefixes[user_index(r, tu->count)]) ||
        buf_append_str(&payload, "\"project_id\":\"") ||
        buf_append_str(&payload, app.id) ||
        buf_append_str(&payload, "\",\"iat\":") ||
        buf_append_int(&payload, now) ||
        buf_append_str(&payload, ",\"exp\":") ||
        buf_append_int(&payload, now + CLIENT_TOKEN_TTL) ||
        buf_append_char(&payload, '}') ||
        jwt_sign(&token, JWT_HS512, payload.data, payload.len, app.secret,
                 strlen(app.secret)) ||
        buf_append_str(&r->out, "{\"clientAuthToken\":\"") ||
        buf_append(&r->out, token.data, token.len) ||
        buf_append_str(&r->out, "\"}"))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

/* The browser's CORS preflight for the guide's fetch(). */
enum cg_err
handle_test_token_preflight(struct request *r)
{
    const char *want = http_param(r, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
    size_t i;

    if (allow_origin(r) != 0 ||
        http_add_header(r, "Access-Control-Allow-Methods", "GET, OPTIONS") ||
        http_add_header(r, "Access-Control-Max-Age", "600"))
        return CG_ERR_INTERNAL;
    if (want != NULL && want[0] != '\0' && strlen(want) < 1024) {
        /* Echo only plain header-name lists. */
        for (i = 0; want[i] != '\0'; i++)
            if (!(want[i] == ',' || want[i] == ' ' || want[i] == '-' ||
                  (want[i] >= 'a' && want[i] <= 'z') ||
                  (want[i] >= 'A' && want[i] <= 'Z') ||
                  (want[i] >= '0' && want[i] <= '9')))
                break;
        if (want[i] == '\0' &&
            http_add_header(r, "Access-Control-Allow-Headers", want))
            return CG_ERR_INTERNAL;
    }
    r->status = 204;
    return CG_ERR_OK;
}
