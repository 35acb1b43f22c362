/* The route table and the one place that turns results into responses. */
#include "cordgate/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/buf.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"

/*
 * Routes are data: method, path, handler, the authentication it needs and
 * what its body is.  Policy is applied here, once, before any handler runs.
 * Literal segments match case-insensitively and a trailing slash is
 * optional, as in Cord's Express router.
 */
static const struct route routes[] = {
    {HTTP_GET, "/healthz", handle_health_get, AUTH_NONE, BODY_NONE, false},
    {HTTP_GET, "/metrics", handle_metrics_get, AUTH_NONE, BODY_NONE, false},
    {HTTP_POST, "/v1/authorize", handle_authorize_post, AUTH_NONE, BODY_JSON,
     false},
    {HTTP_GET, "/v1/verify", handle_verify_get, AUTH_SERVER, BODY_NONE, false},
    {HTTP_POST, "/v1/users", handle_users_post, AUTH_SERVER, BODY_JSON, false},
    {HTTP_GET, "/v1/users", handle_users_list, AUTH_SERVER, BODY_NONE, false},
    {HTTP_PUT, "/v1/users/:id", handle_user_put, AUTH_SERVER, BODY_JSON, false},
    {HTTP_GET, "/v1/users/:id", handle_user_get, AUTH_SERVER, BODY_NONE, false},
    {HTTP_DELETE, "/v1/users/:id", handle_user_delete, AUTH_SERVER, BODY_JSON,
     false},
    {HTTP_GET, "/v1/client/viewer", handle_client_viewer_get, AUTH_CLIENT,
     BODY_NONE, false},
    {HTTP_GET, "/generate-cord-token", handle_test_token_get, AUTH_NONE,
     BODY_NONE, true},
    {HTTP_OPTIONS, "/generate-cord-token", handle_test_token_preflight,
     AUTH_NONE, BODY_NONE, true},
};

size_t
router_route_count(void)
{
    return CG_ARRAY_LEN(routes);
}

const struct route *
router_route(size_t i)
{
    return i < CG_ARRAY_LEN(routes) ? &routes[i] : NULL;
}

/* Match r's segments against pattern, capturing :params into r->params. */
static bool
path_matches(struct request *r, const char *pattern)
{
    const char *p = pattern + 1;
    size_t seg = 0, nparams = 0;

    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (seg == r->nsegments)
            return false;
        if (p[0] == ':') {
            if (nparams == HTTP_MAX_PARAMS)
                return false;
            r->params[nparams++] = r->segments[seg];
        } else if (r->segments[seg].len != len ||
                   strncasecmp(r->segments[seg].p, p, len) != 0 ||
                   memchr(r->segments[seg].p, '\0', len) != NULL) {
            return false;
        }
        seg++;
        p += len;
        if (*p == '/')
            p++;
    }
    return seg == r->nsegments;
}

void
router_set_error(struct request *r, enum cg_err e)
{
    const char *msg = r->error_message ? r->error_message : err_message(e);

    r->status = err_status(e);
    r->response_type = NULL;
    buf_clear(&r->out);
    if (r->client_error && e != CG_ERR_INTERNAL &&
        e != CG_ERR_DATABASE_UNAVAILABLE) {
        const char *wrapped =
            arena_printf(r->arena, "invalid_session - %s", msg);

        r->status = 403;
        if (wrapped != NULL && buf_append_str(&r->out, "{\"error\":") == 0 &&
            buf_append_json_string(&r->out, wrapped, strlen(wrapped)) == 0 &&
            buf_append_char(&r->out, '}') == 0)
            return;
        r->status = 500;
        buf_clear(&r->out);
        return;
    }
    if (buf_append_str(&r->out, "{\"error\":\"") != 0 ||
        buf_append_str(&r->out, err_code(e)) != 0 ||
        buf_append_str(&r->out, "\",\"message\":") != 0 ||
        buf_append_json_string(&r->out, msg, strlen(msg)) != 0 ||
        buf_append_char(&r->out, '}') != 0) {
        /* Only an exhausted arena gets here: answer without a body. */
        r->status = 500;
        buf_clear(&r->out);
    }
}

enum cg_err
request_fail(struct request *r, enum cg_err e, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    r->error_message = arena_vprintf(r->arena, fmt, ap);
    va_end(ap);
    return e;
}

/* Does the Content-Type name this media type (parameters allowed)? */
static bool
content_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void
put_json(void *p)
{
    json_object_put(p);
}

/* An empty object released with the arena. */
static struct json_object *
new_object(struct arena *a)
{
    struct json_object *o = json_object_new_object();

    if (o != NULL && arena_cleanup_add(a, put_json, o) != 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* application/x-www-form-urlencoded into an object of strings. */
static enum cg_err
parse_form(struct request *r)
{
    const char *p = r->body.p, *end = r->body.p + r->body.len;
    struct json_object *o = new_object(r->arena);

    if (o == NULL)
        return CG_ERR_INTERNAL;
    r->json = o;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pend = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pend - p));
        struct str key, value = STR_LIT("");
        struct json_object *v;

        if (pend > p) {
            if (http_percent_decode(r->arena, p, (size_t)((eq ? eq : pend) - p),
                                    true, &key) != 0 ||
                (eq != NULL &&
                 http_percent_decode(r->arena, eq + 1, (size_t)(pend - eq - 1),
                                     true, &value) != 0))
                return request_fail(r, CG_ERR_INVALID_REQUEST,
                                    "The form body is not correctly "
                                    "percent-encoded.");
            if (!json_utf8_is_valid(key.p, key.len) ||
                !json_utf8_is_valid(value.p, value.len) ||
                memchr(key.p, '\0', key.len) != NULL)
                return request_fail(r, CG_ERR_INVALID_REQUEST,
                                    "The request body is not valid UTF-8.");
            v = json_object_new_string_len(value.p, (int)value.len);
            if (v == NULL || json_object_object_add(o, key.p, v) != 0) {
                json_object_put(v);
                return CG_ERR_INTERNAL;
            }
        }
        p = amp ? amp + 1 : end;
    }
    return CG_ERR_OK;
}

/* Cord's body parsing: JSON when declared JSON (strict: an object or an
 * array), form data when declared so, and {} for anything else. */
static enum cg_err
parse_body(struct request *r)
{
    if (content_type_is(r->content_type, "application/x-www-form-urlencoded"))
        return parse_form(r);
    if (!content_type_is(r->content_type, "application/json") ||
        r->body.len == 0) {
        r->json = new_object(r->arena);
        return r->json ? CG_ERR_OK : CG_ERR_INTERNAL;
    }
    switch (json_parse(r->arena, r->body.p, r->body.len, &r->json)) {
    case JSON_PARSE_OK:
        break;
    case JSON_PARSE_INVALID:
        return request_fail(r, CG_ERR_INVALID_REQUEST,
                            "The request body is not valid JSON: %s.",
                            json_parse_error());
    case JSON_PARSE_BAD_UTF8:
        return request_fail(r, CG_ERR_INVALID_REQUEST,
                            "The request body is not valid UTF-8.");
    case JSON_PARSE_TOO_DEEP:
        return request_fail(r, CG_ERR_INVALID_REQUEST,
                            "The request body nests deeper than %d levels.",
                            JSON_MAX_DEPTH);
    case JSON_PARSE_NOMEM:
        return CG_ERR_INTERNAL;
    }
    if (!json_object_is_type(r->json, json_type_object) &&
        !json_object_is_type(r->json, json_type_array))
        return request_fail(r, CG_ERR_INVALID_REQUEST,
                            "The request body must be a JSON object.");
    return CG_ERR_OK;
}

static enum cg_err
check_policy(struct request *r, const struct route *rt)
{
    enum cg_err e;

    if (r->body_too_large)
        return request_fail(r, CG_ERR_PAYLOAD_TOO_LARGE,
                            "Request body exceeds the limit of %lu bytes.",
                            r->ctx->cfg->max_body);
    /* Body errors come before authentication, as in Cord. */
    switch (rt->body) {
    case BODY_NONE:
        break;
    case BODY_JSON:
        if ((e = parse_body(r)) != CG_ERR_OK)
            return e;
        break;
    }
    switch (rt->auth) {
    case AUTH_NONE:
        break;
    case AUTH_SERVER:
        return auth_server(r);
    case AUTH_CLIENT:
        return auth_client(r);
    }
    return CG_ERR_OK;
}

/* How much of a client's path can be quoted in a message: at most 512
 * bytes, cut at a character boundary, and nothing unless it is UTF-8. */
static size_t
quotable_length(struct str path)
{
    size_t n = path.len > 512 ? 512 : path.len;

    while (n > 0 && n < path.len && ((unsigned char)path.p[n] & 0xc0) == 0x80)
        n--;
    return json_utf8_is_valid(path.p, n) ? n : 0;
}

size_t
router_dispatch(struct request *r)
{
    size_t i, found = CG_ARRAY_LEN(routes);
    unsigned allowed = 0;
    enum cg_err e;

    for (i = 0; !r->bad_path && i < CG_ARRAY_LEN(routes); i++) {
        unsigned m = routes[i].method;

        if (routes[i].test_tokens_only && !r->ctx->cfg->test_tokens)
            continue;
        if (!path_matches(r, routes[i].pattern))
            continue;
        if (m == HTTP_GET)
            m |= HTTP_HEAD;
        allowed |= m;
        if (m & r->method) {
            found = i;
            break;
        }
    }
    if (found == CG_ARRAY_LEN(routes)) {
        memset(r->params, 0, sizeof(r->params));
        if (allowed == 0) {
            size_t n = quotable_length(r->path);

            e = n > 0 ? request_fail(r, CG_ERR_NOT_FOUND,
                                     "No endpoint %s %.*s exists.",
                                     r->method_name, (int)n, r->path.p)
                      : CG_ERR_NOT_FOUND;
        } else {
            const char *allow = http_methods_format(r->arena, allowed);

            e = request_fail(r, CG_ERR_METHOD_NOT_ALLOWED,
                             "Method %s is not allowed here; use %s.",
                             r->method_name, allow ? allow : "");
            if (allow == NULL || http_add_header(r, "Allow", allow) != 0)
                e = CG_ERR_INTERNAL;
        }
        router_set_error(r, e);
        return found;
    }
    r->route = &routes[found];
    e = check_policy(r, r->route);
    if (e == CG_ERR_OK)
        e = r->route->handler(r);
    if (e != CG_ERR_OK)
        router_set_error(r, e);
    return found;
}
