/* Requests (method, path, query, headers, bounded body) and responses. */
#include "cordgate/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cordgate/arena.h"
#include "cordgate/ascii.h"
#include "cordgate/validate.h"

static const struct {
    enum http_method method;
    const char *name;
} methods[] = {
#define HTTP_METHOD_ROW(name, bit) {HTTP_##name, #name},
    HTTP_METHODS(HTTP_METHOD_ROW)
#undef HTTP_METHOD_ROW
};

enum http_method
http_method_parse(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < CG_ARRAY_LEN(methods); i++)
        if (strcmp(methods[i].name, name) == 0)
            return methods[i].method;
    return HTTP_OTHER;
}

const char *
http_methods_format(struct arena *a, unsigned mask)
{
    struct buf b;
    size_t i;

    buf_init(&b, a, 256);
    for (i = 0; i < CG_ARRAY_LEN(methods); i++) {
        if (!(mask & methods[i].method))
            continue;
        if ((b.len > 0 && buf_append_str(&b, ", ") != 0) ||
            buf_append_str(&b, methods[i].name) != 0)
            return NULL;
    }
    return b.data ? b.data : "";
}

int
http_percent_decode(struct arena *a, const char *p, size_t n,
                    bool plus_is_space, struct str *out)
{
    char *d = arena_alloc(a, n + 1);
    size_t i, j = 0;

    if (d == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        if (p[i] == '%') {
            int hi, lo;

            if (i + 2 >= n)
                return -1;
            hi = ascii_hex_value((unsigned char)p[i + 1]);
            lo = ascii_hex_value((unsigned char)p[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (plus_is_space && p[i] == '+') {
            d[j++] = ' ';
        } else {
            d[j++] = p[i];
        }
    }
    d[j] = '\0';
    out->p = d;
    out->len = j;
    return 0;
}

/*
 * Split the raw path into percent-decoded segments, so that an encoded "/"
 * stays inside its segment.  "." and ".." segments and empty ones other than
 * a trailing slash make the path unroutable; no route has them.
 */
static void
split_path(struct request *r)
{
    const char *p = r->path.p, *end = r->path.p + r->path.len;

    r->nsegments = 0;
    if (r->path.len == 0 || p[0] != '/') {
        r->bad_path = true;
        return;
    }
    p++;
    while (p < end) {
        const char *s = p;
        struct str raw, dec;

        while (p < end && *p != '/')
            p++;
        raw = (struct str){s, (size_t)(p - s)};
        if (p < end)
            p++; /* the slash */
        if (raw.len == 0 && p == end && s == end)
            break; /* trailing slash */
        if (raw.len == 0 || str_eq_cstr(raw, ".") || str_eq_cstr(raw, "..") ||
            r->nsegments == HTTP_MAX_SEGMENTS ||
            http_percent_decode(r->arena, raw.p, raw.len, false, &dec) != 0) {
            r->bad_path = true;
            return;
        }
        r->segments[r->nsegments++] = dec;
    }
}

/* Read the body to EOF whatever CONTENT_LENGTH says (nginx sends "", Apache
 * nothing, a chunked upload has none), keeping at most max bytes. */
enum cg_err
http_read_body(struct request *r, size_t max)
{
    const struct http_source *src = r->src;
    const char *cl = src->param(src->ud, "CONTENT_LENGTH");
    size_t cap = 0, len = 0, dropped = 0;
    char *data = NULL;
    char sink[16384];

    if (cl != NULL && cl[0] != '\0') {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(cl, &end, 10);
        /* A well-formed length over the limit (or past 2^64) is refused at
         * once; a malformed one is ignored: the body is read to EOF. */
        if (*end == '\0' && cl[0] >= '0' && cl[0] <= '9' &&
            (errno == ERANGE || v > max))
            r->body_too_large = true;
        else if (errno == 0 && *end == '\0' && v <= max)
            /* A hint for the first allocation only, with room to read the
             * end: a body of exactly that length is then held once, not
             * copied into a buffer twice as large. */
            cap = (size_t)v + 1;
    }
    for (;;) {
        ssize_t n;

        if (r->body_too_large) {
            /* A 413 answered on a connection still bringing the body would
             * wait for it, whatever its length: past twice max in all, the
             * connection goes instead. */
            if (len + dropped > 2 * max) {
                r->close_connection = true;
                break;
            }
            n = src->read(src->ud, sink, sizeof(sink));
            if (n > 0)
                dropped += (size_t)n;
        } else {
            if (len == cap) {
                size_t ncap = cap < 4096 ? 4096 : cap * 2;
                char *nd;

                if (ncap > max + 1)
                    ncap = max + 1;
                nd = arena_alloc(r->arena, ncap + 1);
                if (nd == NULL)
                    return CG_ERR_INTERNAL;
                if (len > 0)
                    memcpy(nd, data, len);
                data = nd;
                cap = ncap;
            }
            if (data == NULL) {
                data = arena_alloc(r->arena, cap + 1);
                if (data == NULL)
                    return CG_ERR_INTERNAL;
            }
            n = src->read(src->ud, data + len, cap - len);
        }
        if (n < 0) {
            r->close_connection = true;
            return errno == ETIMEDOUT ? CG_ERR_REQUEST_TIMEOUT
                                      : CG_ERR_INVALID_REQUEST;
        }
        if (n == 0)
            break;
        if (!r->body_too_large) {
            len += (size_t)n;
            if (len > max)
                r->body_too_large = true;
        }
    }
    if (r->body_too_large) {
        r->body = STR_NULL;
        return CG_ERR_OK;
    }
    if (data != NULL)
        data[len] = '\0';
    r->body = (struct str){data ? data : "", len};
    return CG_ERR_OK;
}

enum cg_err
http_request_init(struct request *r, struct arena *a,
                  const struct http_source *src, const char *base_path)
{
    const char *uri, *q;
    size_t base_len = base_path ? strlen(base_path) : 0;

    r->arena = a;
    r->src = src;
    r->method_name = src->param(src->ud, "REQUEST_METHOD");
    if (r->method_name == NULL)
        r->method_name = "";
    r->method = http_method_parse(r->method_name);
    r->status = 200;
    buf_init(&r->headers, a, 8192);
    buf_init(&r->out, a, HTTP_MAX_RESPONSE);

    /* REQUEST_URI is the raw URI in every server; SCRIPT_NAME + PATH_INFO
     * rebuild it (decoded, without query) for a bare cgi-fcgi. */
    uri = src->param(src->ud, "REQUEST_URI");
    if (uri == NULL || uri[0] == '\0') {
        const char *sn = src->param(src->ud, "SCRIPT_NAME");
        const char *pi = src->param(src->ud, "PATH_INFO");
        const char *qs = src->param(src->ud, "QUERY_STRING");

        uri = arena_printf(a, "%s%s%s%s", sn ? sn : "", pi ? pi : "",
                           qs && qs[0] ? "?" : "", qs && qs[0] ? qs : "");
        if (uri == NULL)
            return CG_ERR_INTERNAL;
    }
    q = strchr(uri, '?');
    r->path = (struct str){uri, q ? (size_t)(q - uri) : strlen(uri)};
    r->query = q ? str_from_cstr(q + 1) : STR_NULL;
    if (base_len > 0 && r->path.len >= base_len &&
        memcmp(r->path.p, base_path, base_len) == 0 &&
        (r->path.len == base_len || r->path.p[base_len] == '/')) {
        r->path.p += base_len;
        r->path.len -= base_len;
        if (r->path.len == 0)
            r->path = STR_LIT("/");
    }
    split_path(r);

    r->authorization = src->param(src->ud, "HTTP_AUTHORIZATION");
    if (r->authorization == NULL)
        r->authorization = src->param(src->ud, "REDIRECT_HTTP_AUTHORIZATION");
    r->content_type = src->param(src->ud, "CONTENT_TYPE");
    return CG_ERR_OK;
}

const char *
http_path_id(struct request *r)
{
    struct str id = r->params[0];

    if (id.p == NULL ||
        !validate_external_id(id.p, id.len, VALIDATE_PATH_ID_MAX))
        return NULL;
    return arena_strndup(r->arena, id.p, id.len);
}

enum cg_err
request_bad_id(struct request *r, const char *field)
{
    return request_fail(r, CG_ERR_INVALID_FIELD,
                        "Input type for %s is not valid, expected identifier.",
                        field);
}

enum cg_err
request_succeed(struct request *r, const char *fmt, ...)
{
    const char *msg;
    va_list ap;

    va_start(ap, fmt);
    msg = arena_vprintf(r->arena, fmt, ap);
    va_end(ap);
    if (msg == NULL ||
        buf_append_str(&r->out, "{\"success\":true,\"message\":") != 0 ||
        buf_append_json_string(&r->out, msg, strlen(msg)) != 0 ||
        buf_append_char(&r->out, '}') != 0)
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
request_fail_text(struct request *r, enum cg_err e, const char *text)
{
    r->error_message = text;
    return text != NULL ? e : CG_ERR_INTERNAL;
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

const char *
http_param(const struct request *r, const char *name)
{
    return r->src ? r->src->param(r->src->ud, name) : NULL;
}

/*
 * The next pair of the query string at or after *pos whose decoded name is
 * name: *eq is its '=' (NULL when it has none), *pend its end, and *pos
 * moves past it.
 */
static bool
query_next(struct request *r, const char *name, const char **pos,
           const char **eq, const char **pend)
{
    const char *end;
    size_t nlen = strlen(name);

    if (r->query.p == NULL) /* no '?': NULL + 0 is undefined */
        return false;
    end = r->query.p + r->query.len;
    while (*pos != NULL && *pos < end) {
        const char *p = *pos, *amp = memchr(p, '&', (size_t)(end - p));
        struct str key;

        *pend = amp ? amp : end;
        *eq = memchr(p, '=', (size_t)(*pend - p));
        *pos = amp ? amp + 1 : NULL;
        if (http_percent_decode(r->arena, p, (size_t)((*eq ? *eq : *pend) - p),
                                true, &key) == 0 &&
            key.len == nlen && memcmp(key.p, name, nlen) == 0)
            return true;
    }
    return false;
}

bool
http_query_get(struct request *r, const char *name, struct str *out)
{
    const char *pos = r->query.p, *eq, *pend;

    if (!query_next(r, name, &pos, &eq, &pend))
        return false;
    if (eq == NULL) {
        *out = STR_LIT("");
        return true;
    }
    return http_percent_decode(r->arena, eq + 1, (size_t)(pend - eq - 1), true,
                               out) == 0;
}

size_t
http_query_count(struct request *r, const char *name)
{
    const char *pos = r->query.p, *eq, *pend;
    size_t n = 0;

    while (query_next(r, name, &pos, &eq, &pend))
        n++;
    return n;
}

int
http_add_header(struct request *r, const char *name, const char *value)
{
    return buf_append_str(&r->headers, name) ||
                   buf_append(&r->headers, ": ", 2) ||
                   buf_append_str(&r->headers, value) ||
                   buf_append(&r->headers, "\r\n", 2)
               ? -1
               : 0;
}

int
http_response_serialize(struct request *r, struct buf *dst)
{
    /* The hot path of every request: appends, no printf. */
    if (buf_append(dst, "Status: ", 8) != 0 ||
        buf_append_uint(dst, (unsigned)r->status) != 0 ||
        buf_append_char(dst, ' ') != 0 ||
        buf_append_str(dst, err_reason(r->status)) != 0 ||
        buf_append(dst, "\r\nContent-Type: ", 16) != 0 ||
        buf_append_str(dst, r->response_type
                                ? r->response_type
                                : "application/json; charset=utf-8") != 0 ||
        buf_append(dst, "\r\nContent-Length: ", 18) != 0 ||
        buf_append_uint(dst, r->out.len) != 0 ||
        buf_append(dst, "\r\nCache-Control: no-store\r\n", 27) != 0 ||
        buf_append(dst, "X-Content-Type-Options: nosniff\r\n", 33) != 0 ||
        buf_append(dst, r->headers.data ? r->headers.data : "",
                   r->headers.len) != 0 ||
        buf_append(dst, "\r\n", 2) != 0)
        return -1;
    if (r->method == HTTP_HEAD)
        return 0;
    return buf_append(dst, r->out.data ? r->out.data : "", r->out.len);
}
