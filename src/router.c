/* The route table and the one place that turns results into responses. */
#include "cordgate/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"

/*
 * Routes are data: method, path, handler, the authentication it needs and
 * what its body is.  Policy is applied here, once, before any handler runs.
 * Literal segments match case-insensitively and a trailing slash is
 * optional, as in Cord's Express router.
 */
static const struct route routes[] = {
    {HTTP_GET, "/healthz", handle_health_get, AUTH_NONE, BODY_NONE},
    {HTTP_GET, "/metrics", handle_metrics_get, AUTH_NONE, BODY_NONE},
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

static enum cg_err
check_policy(struct request *r, const struct route *rt)
{
    if (r->body_too_large)
        return request_fail(r, CG_ERR_PAYLOAD_TOO_LARGE,
                            "Request body exceeds the limit of %lu bytes.",
                            r->ctx->cfg->max_body);
    switch (rt->body) {
    case BODY_NONE:
    case BODY_JSON:
        break;
    }
    switch (rt->auth) {
    case AUTH_NONE:
        break;
    }
    return CG_ERR_OK;
}

size_t
router_dispatch(struct request *r)
{
    size_t i, found = CG_ARRAY_LEN(routes);
    unsigned allowed = 0;
    enum cg_err e;

    for (i = 0; !r->bad_path && i < CG_ARRAY_LEN(routes); i++) {
        unsigned m = routes[i].method;

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
            e = request_fail(r, CG_ERR_NOT_FOUND, "No endpoint %s %.*s exists.",
                             r->method_name,
                             (int)(r->path.len > 512 ? 512 : r->path.len),
                             r->path.p);
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
