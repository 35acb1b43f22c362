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
#include "cordgate/schema.h"

/*
 * Routes are data: method, path, handler, the authentication it needs, what
 * its body is, how its :id is checked and the schema of its body.  Policy is
 * applied here, once, before any handler runs, in Cord's order: the body is
 * parsed, then authenticated, then the :id checked, then the schema.
 *
 * Under /v1/, Cord's API, literal segments match case-insensitively and a
 * trailing slash is optional, as in Cord's Express router (its clients
 * rely on it: Cord's own tests post to /v1/batch/).  Our own paths
 * (/healthz, /metrics, /generate-cord-token) match only when the path is
 * exactly theirs: no other case, no trailing slash, no percent-encoding.
 * An operator's rule for the exact path in front (nginx `location =
 * /metrics`) then covers every way to reach the route.
 */
#define S(name) (&schema_##name)
static const struct route routes[] = {
    {HTTP_GET, "/healthz", handle_health_get, AUTH_NONE, BODY_NONE, ID_ANY,
     NULL, false},
    {HTTP_GET, "/metrics", handle_metrics_get, AUTH_METRICS, BODY_NONE, ID_ANY,
     NULL, false},
    {HTTP_POST, "/v1/authorize", handle_authorize_post, AUTH_NONE, BODY_JSON,
     ID_ANY, NULL, false},
    {HTTP_GET, "/v1/verify", handle_verify_get, AUTH_SERVER, BODY_NONE, ID_ANY,
     NULL, false},
    {HTTP_POST, "/v1/users", handle_users_post, AUTH_SERVER, BODY_JSON, ID_ANY,
     S(create_user), false},
    {HTTP_GET, "/v1/users", handle_users_list, AUTH_SERVER, BODY_NONE, ID_ANY,
     NULL, false},
    {HTTP_PUT, "/v1/users/:id", handle_user_put, AUTH_SERVER, BODY_JSON,
     ID_USER, S(update_user), false},
    {HTTP_GET, "/v1/users/:id", handle_user_get, AUTH_SERVER, BODY_NONE,
     ID_REQUEST, NULL, false},
    /* Cord checks this body before the :id (the handler does). */
    {HTTP_DELETE, "/v1/users/:id", handle_user_delete, AUTH_SERVER, BODY_JSON,
     ID_ANY, S(delete_user), false},
    {HTTP_GET, "/v1/groups", handle_groups_list, AUTH_SERVER, BODY_NONE, ID_ANY,
     NULL, false},
    {HTTP_PUT, "/v1/groups/:id", handle_group_put, AUTH_SERVER, BODY_JSON,
     ID_GROUP, S(update_group), false},
    {HTTP_GET, "/v1/groups/:id", handle_group_get, AUTH_SERVER, BODY_NONE,
     ID_REQUEST, NULL, false},
    {HTTP_DELETE, "/v1/groups/:id", handle_group_delete, AUTH_SERVER, BODY_NONE,
     ID_GROUP, NULL, false},
    {HTTP_GET, "/v1/groups/:id/members", handle_group_members_list, AUTH_SERVER,
     BODY_NONE, ID_REQUEST, NULL, false},
    {HTTP_POST, "/v1/groups/:id/members", handle_group_members_post,
     AUTH_SERVER, BODY_JSON, ID_ANY, S(group_members), false},
    /* Cord's older names for groups: the same handlers and messages. */
    {HTTP_GET, "/v1/organizations", handle_groups_list, AUTH_SERVER, BODY_NONE,
     ID_ANY, NULL, false},
    {HTTP_POST, "/v1/organizations", handle_organizations_post, AUTH_SERVER,
     BODY_JSON, ID_ANY, S(create_org), false},
    {HTTP_PUT, "/v1/organizations/:id", handle_group_put, AUTH_SERVER,
     BODY_JSON, ID_GROUP, S(update_group), false},
    {HTTP_GET, "/v1/organizations/:id", handle_group_get, AUTH_SERVER,
     BODY_NONE, ID_REQUEST, NULL, false},
    {HTTP_DELETE, "/v1/organizations/:id", handle_group_delete, AUTH_SERVER,
     BODY_NONE, ID_GROUP, NULL, false},
    {HTTP_POST, "/v1/organizations/:id/members", handle_group_members_post,
     AUTH_SERVER, BODY_JSON, ID_ANY, S(group_members), false},
    {HTTP_POST, "/v1/batch", handle_batch_post, AUTH_SERVER, BODY_BATCH, ID_ANY,
     S(batch), false},
    {HTTP_GET, "/v1/client/viewer", handle_client_viewer_get, AUTH_CLIENT,
     BODY_NONE, ID_ANY, NULL, false},
    {HTTP_GET, "/v1/client/user/:id", handle_client_user_get, AUTH_CLIENT,
     BODY_NONE, ID_ANY, NULL, false},
    {HTTP_GET, "/v1/client/users", handle_client_users_get, AUTH_CLIENT,
     BODY_NONE, ID_ANY, NULL, false},
    {HTTP_GET, "/v1/client/groupMembers/:id", handle_client_group_members_get,
     AUTH_CLIENT, BODY_NONE, ID_ANY, NULL, false},
    {HTTP_GET, "/generate-cord-token", handle_test_token_get, AUTH_NONE,
     BODY_NONE, ID_ANY, NULL, true},
    {HTTP_OPTIONS, "/generate-cord-token", handle_test_token_preflight,
     AUTH_NONE, BODY_NONE, ID_ANY, NULL, true},
};
#undef S

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

/* Match r's segments against pattern, capturing :params into r->params:
 * Express's way for Cord's API, the exact path for ours. */
static bool
path_matches(struct request *r, const char *pattern)
{
    const char *p = pattern + 1;
    size_t seg = 0, nparams = 0;

    if (strncmp(pattern, "/v1/", 4) != 0)
        return str_eq_cstr(r->path, pattern);

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
    if (r->auth_failed && r->route != NULL && r->route->auth == AUTH_CLIENT &&
        e != CG_ERR_INTERNAL && e != CG_ERR_DATABASE_UNAVAILABLE) {
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

#define TOO_MANY_VALUES                                                        \
    "The request body holds more JSON values than cordgate parses at once."

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

/* What the object of a form body will cost, counted as json_parse() counts
 * a JSON body's (each key and value at most its encoded length). */
static size_t
form_cost(struct str body)
{
    const char *p = body.p, *end = body.p + body.len;
    size_t cost = 0, pairs = 0;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pend = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pend - p));

        if (pend > p) {
            pairs++;
            cost += json_cost_member((size_t)((eq ? eq : pend) - p),
                                     eq ? (size_t)(pend - eq - 1) : 0);
        }
        p = amp ? amp + 1 : end;
    }
    return cost + json_cost_object(pairs);
}

/* application/x-www-form-urlencoded into an object of strings. */
static enum cg_err
parse_form(struct request *r)
{
    const char *p = r->body.p, *end = r->body.p + r->body.len;
    struct json_object *o;

    if (form_cost(r->body) > json_cost_budget(r->body.len))
        return request_fail(r, CG_ERR_PAYLOAD_TOO_LARGE, TOO_MANY_VALUES);
    o = new_object(r->arena);
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
    case JSON_PARSE_TOO_BIG:
        return request_fail(r, CG_ERR_PAYLOAD_TOO_LARGE, TOO_MANY_VALUES);
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
authenticate(struct request *r, const struct route *rt)
{
    enum cg_err e = CG_ERR_OK;

    switch (rt->auth) {
    case AUTH_NONE:
        break;
    case AUTH_SERVER:
        e = auth_server(r);
        break;
    case AUTH_CLIENT:
        e = auth_client(r);
        break;
    case AUTH_METRICS:
        e = auth_metrics(r);
        break;
    }
    r->auth_failed = e != CG_ERR_OK;
    return e;
}

static enum cg_err
check_path_id(struct request *r, const struct route *rt)
{
    switch (rt->id) {
    case ID_ANY:
        return CG_ERR_OK;
    case ID_REQUEST:
        r->path_id = http_path_id(r);
        return r->path_id ? CG_ERR_OK : CG_ERR_INVALID_REQUEST;
    case ID_USER:
        r->path_id = http_path_id(r);
        return r->path_id ? CG_ERR_OK : request_bad_id(r, "userID");
    case ID_GROUP:
        r->path_id = http_path_id(r);
        return r->path_id ? CG_ERR_OK : request_bad_id(r, "orgID");
    }
    return CG_ERR_INTERNAL;
}

static enum cg_err
check_policy(struct request *r, const struct route *rt, size_t limit)
{
    const char *message;
    enum cg_err e;

    if (r->body_too_large)
        return request_fail(r, CG_ERR_PAYLOAD_TOO_LARGE,
                            "Request body exceeds the limit of %zu bytes.",
                            limit);
    /* Body errors come before authentication, as in Cord. */
    switch (rt->body) {
    case BODY_NONE:
        break;
    case BODY_JSON:
    case BODY_BATCH:
        if ((e = parse_body(r)) != CG_ERR_OK)
            return e;
        break;
    }
    if ((e = authenticate(r, rt)) != CG_ERR_OK ||
        (e = check_path_id(r, rt)) != CG_ERR_OK)
        return e;
    if (rt->schema == NULL)
        return CG_ERR_OK;
    e = schema_check(rt->schema, r->arena, r->json, r->ctx->cfg->email_required,
                     &message);
    if (e != CG_ERR_OK && message != NULL)
        r->error_message = message;
    return e;
}

/* Cord's cors() on /v1: every answer may be read by any origin, and any
 * OPTIONS is a preflight answered at once. */
static bool
is_api(const struct request *r)
{
    return r->nsegments > 0 && r->segments[0].len == 2 &&
           strncasecmp(r->segments[0].p, "v1", 2) == 0 &&
           r->ctx->cfg->api_cors_origin[0] != '\0';
}

static enum cg_err
preflight(struct request *r)
{
    const char *asked = http_param(r, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");

    r->status = 204;
    if (http_add_header(r, "Access-Control-Allow-Methods",
                        "GET,HEAD,PUT,PATCH,POST,DELETE") != 0)
        return CG_ERR_INTERNAL;
    if (asked != NULL && asked[0] != '\0' &&
        (http_add_header(r, "Access-Control-Allow-Headers", asked) != 0 ||
         http_add_header(r, "Vary", "Access-Control-Request-Headers") != 0))
        return CG_ERR_INTERNAL;
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

/* The route of r's method and path (routes' length when none), and in
 * *allowed the methods its path has. */
static size_t
find_route(struct request *r, unsigned *allowed)
{
    size_t i;

    *allowed = 0;
    for (i = 0; !r->bad_path && i < CG_ARRAY_LEN(routes); i++) {
        unsigned m = routes[i].method;

        if (routes[i].test_tokens_only && !r->ctx->cfg->test_tokens)
            continue;
        if (!path_matches(r, routes[i].pattern))
            continue;
        if (m == HTTP_GET)
            m |= HTTP_HEAD;
        *allowed |= m;
        if (m & r->method)
            return i;
    }
    memset(r->params, 0, sizeof(r->params));
    return CG_ARRAY_LEN(routes);
}

static enum cg_err
no_route(struct request *r, unsigned allowed)
{
    const char *allow;
    size_t n;

    if (allowed == 0) {
        n = quotable_length(r->path);
        return n > 0 ? request_fail(r, CG_ERR_NOT_FOUND,
                                    "No endpoint %s %.*s exists.",
                                    r->method_name, (int)n, r->path.p)
                     : CG_ERR_NOT_FOUND;
    }
    allow = http_methods_format(r->arena, allowed);
    if (allow == NULL || http_add_header(r, "Allow", allow) != 0)
        return CG_ERR_INTERNAL;
    return request_fail(r, CG_ERR_METHOD_NOT_ALLOWED,
                        "Method %s is not allowed here; use %s.",
                        r->method_name, allow);
}

size_t
router_dispatch(struct request *r)
{
    const struct config *cfg = r->ctx->cfg;
    unsigned allowed;
    size_t found = find_route(r, &allowed), limit = cfg->max_body;
    bool api = is_api(r);
    enum cg_err e;

    if (found < CG_ARRAY_LEN(routes)) {
        r->route = &routes[found];
        if (r->route->body == BODY_BATCH)
            limit = cfg->batch_max_body;
    }
    e = http_read_body(r, limit);
    /* The database's part of the deadline starts once the body is here: a
     * slow upload spends the read deadline, not this one. */
    r->deadline_ms = clock_mono_ms() + (int64_t)cfg->request_timeout_ms;
    if (e == CG_ERR_OK && api &&
        http_add_header(r, "Access-Control-Allow-Origin",
                        cfg->api_cors_origin) != 0)
        e = CG_ERR_INTERNAL;
    if (e == CG_ERR_OK && api && r->method == HTTP_OPTIONS)
        e = preflight(r);
    else if (e == CG_ERR_OK && r->route == NULL)
        e = no_route(r, allowed);
    else if (e == CG_ERR_OK &&
             (e = check_policy(r, r->route, limit)) == CG_ERR_OK)
        e = r->route->handler(r);
    if (e != CG_ERR_OK)
        router_set_error(r, e);
    return found;
}
