/* Unit tests for requests from a fake source, queries and responses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/compiler.h"
#include "cordgate/http.h"

/*
 * A request as a web server would pass it: NAME, value pairs (NULL-ended)
 * and a body handed out at most chunk bytes per read.
 */
struct fake {
    const char *const *params;
    const char *body;
    size_t body_len;
    size_t chunk;
    size_t pos;
    size_t reads;
    bool eof_seen;
    size_t fail_at; /* fail the read at this offset when nonzero */
};

static const char *
fake_param(void *ud, const char *name)
{
    struct fake *f = ud;

    for (size_t i = 0; f->params != NULL && f->params[i] != NULL; i += 2)
        if (strcmp(f->params[i], name) == 0)
            return f->params[i + 1];
    return NULL;
}

static ssize_t
fake_read(void *ud, char *dst, size_t n)
{
    struct fake *f = ud;
    size_t left = f->body_len - f->pos;

    cr_assert(!f->eof_seen, "read again after EOF");
    cr_assert_gt(n, 0, "a read of zero bytes would look like EOF");
    f->reads++;
    if (f->fail_at != 0 && f->pos >= f->fail_at)
        return -1;
    if (n > f->chunk)
        n = f->chunk;
    if (n > left)
        n = left;
    if (n > 0)
        memcpy(dst, f->body + f->pos, n);
    f->pos += n;
    if (n == 0)
        f->eof_seen = true;
    return (ssize_t)n;
}

static struct arena *arena;
static struct request req;

static void
setup(void)
{
    arena = arena_create(4096, 64 << 20);
    cr_assert_not_null(arena);
    memset(&req, 0, sizeof(req));
}

static void
teardown(void)
{
    arena_destroy(arena);
}

TestSuite(http, .init = setup, .fini = teardown);

static enum cg_err
init_from(struct fake *f, size_t max_body, const char *base_path)
{
    struct http_source src = {fake_param, fake_read, f};
    enum cg_err e;

    if (f->chunk == 0)
        f->chunk = 3;
    memset(&req, 0, sizeof(req));
    e = http_request_init(&req, arena, &src, base_path);
    return e != CG_ERR_OK ? e : http_read_body(&req, max_body);
}

/* Build a GET for uri with no body and the given base path. */
static void
init_uri(const char *uri, const char *base_path)
{
    const char *params[] = {"REQUEST_METHOD", "GET", "REQUEST_URI", uri, NULL};
    struct fake f = {.params = params};

    cr_assert_eq(init_from(&f, 1024, base_path), CG_ERR_OK, "%s", uri);
}

static void
assert_str(struct str s, const char *want, const char *what)
{
    size_t n = strlen(want);

    cr_assert_not_null(s.p, "%s is NULL, want \"%s\"", what, want);
    cr_assert(s.len == n && memcmp(s.p, want, n) == 0,
              "%s is \"%.*s\", want \"%s\"", what, (int)s.len, s.p, want);
}

Test(http, request_uri_is_split_into_path_query_and_segments)
{
    init_uri("/v1/users/abc?x=1&y=2", NULL);
    cr_assert_eq(req.method, HTTP_GET);
    cr_assert_str_eq(req.method_name, "GET");
    cr_assert_eq(req.status, 200);
    assert_str(req.path, "/v1/users/abc", "path");
    assert_str(req.query, "x=1&y=2", "query");
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 3);
    assert_str(req.segments[0], "v1", "segment 0");
    assert_str(req.segments[1], "users", "segment 1");
    assert_str(req.segments[2], "abc", "segment 2");
}

Test(http, no_question_mark_means_no_query)
{
    init_uri("/v1/users", NULL);
    cr_assert_null(req.query.p);
    cr_assert_eq(req.query.len, 0);
    init_uri("/v1/users?", NULL);
    assert_str(req.query, "", "query");
    assert_str(req.path, "/v1/users", "path");
    /* Only the first '?' splits. */
    init_uri("/a?b?c", NULL);
    assert_str(req.path, "/a", "path");
    assert_str(req.query, "b?c", "query");
}

Test(http, root_has_no_segments)
{
    init_uri("/", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 0);
    assert_str(req.path, "/", "path");
}

Test(http, trailing_slash_is_ignored)
{
    init_uri("/v1/users/", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 2);
    assert_str(req.segments[1], "users", "segment 1");
    init_uri("/v1/?q", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 1);
}

/* SCRIPT_NAME, PATH_INFO, QUERY_STRING: NULL means absent. */
static const struct {
    const char *request_uri, *script_name, *path_info, *query_string;
    const char *path, *query; /* query NULL: none */
} fallback_vectors[] = {
    {NULL, "/cordgate", "/v1/users", "a=b", "/cordgate/v1/users", "a=b"},
    {"", "/cordgate", "/v1/users", "a=b", "/cordgate/v1/users", "a=b"},
    {NULL, "", "/metrics", NULL, "/metrics", NULL},
    {NULL, NULL, "/metrics", "", "/metrics", NULL},
    {NULL, "/healthz", NULL, NULL, "/healthz", NULL},
    {"/from/uri?q=1", "/cordgate", "/ignored", "x=y", "/from/uri", "q=1"},
};

Test(http, script_name_and_path_info_stand_in_for_a_missing_request_uri)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(fallback_vectors); i++) {
        const char *params[11];
        size_t n = 0;
        struct fake f = {.params = params};

#define ADD(name, value)                                                       \
    do {                                                                       \
        if ((value) != NULL) {                                                 \
            params[n++] = (name);                                              \
            params[n++] = (value);                                             \
        }                                                                      \
    } while (0)
        ADD("REQUEST_METHOD", "GET");
        ADD("REQUEST_URI", fallback_vectors[i].request_uri);
        ADD("SCRIPT_NAME", fallback_vectors[i].script_name);
        ADD("PATH_INFO", fallback_vectors[i].path_info);
        ADD("QUERY_STRING", fallback_vectors[i].query_string);
#undef ADD
        params[n] = NULL;
        cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_OK, "vector %zu", i);
        assert_str(req.path, fallback_vectors[i].path, "path");
        if (fallback_vectors[i].query == NULL)
            cr_assert_eq(req.query.len, 0, "vector %zu", i);
        else
            assert_str(req.query, fallback_vectors[i].query, "query");
        cr_assert_not(req.bad_path, "vector %zu", i);
    }
}

Test(http, no_uri_at_all_is_a_bad_path)
{
    const char *params[] = {"REQUEST_METHOD", "GET", NULL};
    struct fake f = {.params = params};

    cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_OK);
    cr_assert(req.bad_path);
    cr_assert_eq(req.nsegments, 0);
}

/* Base path stripping, only at a segment boundary. */
static const struct {
    const char *base, *uri, *path, *query;
} base_vectors[] = {
    {"/site", "/site/x", "/x", NULL},
    {"/site", "/site/x/y?q=1", "/x/y", "q=1"},
    {"/site", "/site", "/", NULL},
    {"/site", "/site/", "/", NULL},
    {"/site", "/site?q=1", "/", "q=1"},
    {"/site", "/sitex/x", "/sitex/x", NULL},
    {"/site", "/sit", "/sit", NULL},
    {"/site", "/other/site/x", "/other/site/x", NULL},
    {"/a/b", "/a/b/c", "/c", NULL},
    {"/a/b", "/a/bc", "/a/bc", NULL},
    {"", "/site/x", "/site/x", NULL},
    {NULL, "/site/x", "/site/x", NULL},
};

Test(http, base_path_is_stripped_only_at_a_segment_boundary)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(base_vectors); i++) {
        init_uri(base_vectors[i].uri, base_vectors[i].base);
        assert_str(req.path, base_vectors[i].path, base_vectors[i].uri);
        if (base_vectors[i].query != NULL)
            assert_str(req.query, base_vectors[i].query, "query");
        cr_assert_not(req.bad_path, "vector %zu", i);
    }
}

Test(http, stripped_base_path_leaves_the_rest_as_segments)
{
    init_uri("/site/v1/users", "/site");
    cr_assert_eq(req.nsegments, 2);
    assert_str(req.segments[0], "v1", "segment 0");
    assert_str(req.segments[1], "users", "segment 1");
}

Test(http, segments_are_percent_decoded_and_an_encoded_slash_stays_inside)
{
    init_uri("/a%20b/c%2Fd/%41%62+/%25", NULL);
    cr_assert_not(req.bad_path);
    assert_str(req.path, "/a%20b/c%2Fd/%41%62+/%25", "path stays raw");
    cr_assert_eq(req.nsegments, 4);
    assert_str(req.segments[0], "a b", "segment 0");
    assert_str(req.segments[1], "c/d", "segment 1");
    assert_str(req.segments[2], "Ab+", "segment 2, + is not a space");
    assert_str(req.segments[3], "%", "segment 3");
}

Test(http, encoded_nul_is_kept_with_its_length)
{
    init_uri("/a%00b", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 1);
    cr_assert_eq(req.segments[0].len, 3);
    cr_assert(memcmp(req.segments[0].p, "a\0b", 3) == 0);
}

static const char *const bad_paths[] = {
    "//",
    "/a//b",
    "//a",
    "/a//",
    "/.",
    "/./a",
    "/a/./b",
    "/a/.",
    "/..",
    "/../a",
    "/a/../b",
    "/a/..",
    "/a/../",
    "/%zz",
    "/a%zzb",
    "/%4",
    "/a%4",
    "/a%",
    "/%",
    "/%g0",
    "/%0g",
    "a/b",
    "?q=1",
    "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
    "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/",
};

Test(http, bad_paths_are_flagged)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(bad_paths); i++) {
        init_uri(bad_paths[i], NULL);
        cr_assert(req.bad_path, "\"%s\"", bad_paths[i]);
    }
}

Test(http, sixteen_segments_are_allowed)
{
    init_uri("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, HTTP_MAX_SEGMENTS);
    assert_str(req.segments[15], "16", "last segment");
    init_uri("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, HTTP_MAX_SEGMENTS);
}

Test(http, dots_inside_segments_are_fine)
{
    init_uri("/.well-known/a.b/.../..x", NULL);
    cr_assert_not(req.bad_path);
    cr_assert_eq(req.nsegments, 4);
    assert_str(req.segments[2], "...", "segment 2");
    assert_str(req.segments[3], "..x", "segment 3");
}

Test(http, authorization_prefers_http_authorization)
{
    const char *both[] = {"REQUEST_URI",
                          "/",
                          "HTTP_AUTHORIZATION",
                          "Bearer direct",
                          "REDIRECT_HTTP_AUTHORIZATION",
                          "Bearer redirected",
                          "CONTENT_TYPE",
                          "application/json",
                          NULL};
    const char *redirect_only[] = {"REQUEST_URI", "/",
                                   "REDIRECT_HTTP_AUTHORIZATION",
                                   "Bearer redirected", NULL};
    const char *none[] = {"REQUEST_URI", "/", NULL};
    struct fake f1 = {.params = both}, f2 = {.params = redirect_only},
                f3 = {.params = none};

    cr_assert_eq(init_from(&f1, 1024, NULL), CG_ERR_OK);
    cr_assert_str_eq(req.authorization, "Bearer direct");
    cr_assert_str_eq(req.content_type, "application/json");
    cr_assert_eq(init_from(&f2, 1024, NULL), CG_ERR_OK);
    cr_assert_str_eq(req.authorization, "Bearer redirected");
    cr_assert_eq(init_from(&f3, 1024, NULL), CG_ERR_OK);
    cr_assert_null(req.authorization);
    cr_assert_null(req.content_type);
    cr_assert_str_eq(req.method_name, "");
    cr_assert_eq(req.method, HTTP_OTHER);
}

/* The body is read to EOF whatever CONTENT_LENGTH says.  Lengths that are
 * not plain digits are ignored, however big (fuzz/fuzz_request.c found
 * " 356060958" taken as a hint for a 340 MB allocation, and a 500). */
static const char *const content_lengths[] = {
    NULL,  "",   "0",   "5",          "12",          "4",
    "abc", "-5", "12x", " 356060958", "+4000000000", " 99999999999999999999",
};

Test(http, body_is_read_to_eof_whatever_content_length_says)
{
    static const char body[] = "hello world!";

    for (size_t i = 0; i < CG_ARRAY_LEN(content_lengths); i++) {
        const char *params[] = {"REQUEST_METHOD",
                                "POST",
                                "REQUEST_URI",
                                "/v1/users",
                                "CONTENT_LENGTH",
                                content_lengths[i],
                                NULL};
        struct fake f = {
            .params = params, .body = body, .body_len = sizeof(body) - 1};

        if (content_lengths[i] == NULL)
            params[4] = NULL;
        cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_OK, "CL %s",
                     content_lengths[i]);
        cr_assert_not(req.body_too_large, "CL %s", content_lengths[i]);
        assert_str(req.body, body, "body");
        cr_assert_eq(req.body.p[req.body.len], '\0');
        cr_assert(f.eof_seen, "CL %s", content_lengths[i]);
        cr_assert_eq(req.method, HTTP_POST);
    }
}

Test(http, empty_body_is_an_empty_string)
{
    const char *params[] = {"REQUEST_URI", "/", "CONTENT_LENGTH", "0", NULL};
    struct fake f = {.params = params, .body = "", .body_len = 0};

    cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_OK);
    cr_assert_not(req.body_too_large);
    assert_str(req.body, "", "body");
    cr_assert(f.eof_seen);
}

Test(http, large_body_in_small_pieces_arrives_whole)
{
    static char body[100003];
    const char *params[] = {"REQUEST_URI", "/", NULL};
    struct fake f = {
        .params = params, .body = body, .body_len = sizeof(body), .chunk = 7};

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + i % 26);
    cr_assert_eq(init_from(&f, 1 << 20, NULL), CG_ERR_OK);
    cr_assert_not(req.body_too_large);
    cr_assert_eq(req.body.len, sizeof(body));
    cr_assert(memcmp(req.body.p, body, sizeof(body)) == 0);
    cr_assert_eq(req.body.p[req.body.len], '\0');
    cr_assert(f.eof_seen);
}

Test(http, body_of_exactly_max_body_is_accepted)
{
    const char *params[] = {"REQUEST_URI", "/", "CONTENT_LENGTH", "10", NULL};
    struct fake f = {.params = params, .body = "0123456789", .body_len = 10};

    cr_assert_eq(init_from(&f, 10, NULL), CG_ERR_OK);
    cr_assert_not(req.body_too_large);
    assert_str(req.body, "0123456789", "body");
    cr_assert(f.eof_seen);
}

/* A body as long as its CONTENT_LENGTH takes the arena its bytes once. */
Test(http, body_of_its_content_length_is_held_once)
{
    static char body[1 << 20];
    const char *params[] = {"REQUEST_URI", "/", "CONTENT_LENGTH", "1048576",
                            NULL};
    struct fake f = {.params = params,
                     .body = body,
                     .body_len = sizeof(body),
                     .chunk = 65536};
    size_t before;

    memset(body, 'x', sizeof(body));
    before = arena_used(arena);
    cr_assert_eq(init_from(&f, 1 << 20, NULL), CG_ERR_OK);
    cr_assert_not(req.body_too_large);
    cr_assert_eq(req.body.len, sizeof(body));
    cr_assert(f.eof_seen);
    cr_assert_lt(arena_used(arena) - before, sizeof(body) + 65536,
                 "%zu bytes for a body of %zu", arena_used(arena) - before,
                 sizeof(body));
}

/* CONTENT_LENGTH as sent, and the real body length, against max_body 10. */
static const struct {
    const char *content_length;
    size_t body_len;
} too_large_vectors[] = {
    {NULL, 11},
    {"", 11},
    {"0", 11},
    {"5", 11},
    {"11", 11},
    {NULL, 5000},
    {"11", 3},
    {"11", 0},
    {"1000000", 0},
    {"5", 100000},
    {"18446744073709551615", 0},
    /* Too big to parse: ignored as a hint, the real body is still capped. */
    {"99999999999999999999999", 11},
};

Test(http, body_over_max_body_is_flagged_and_drained)
{
    static char body[100000];

    memset(body, 'x', sizeof(body));
    for (size_t i = 0; i < CG_ARRAY_LEN(too_large_vectors); i++) {
        const char *params[] = {"REQUEST_URI", "/", "CONTENT_LENGTH",
                                too_large_vectors[i].content_length, NULL};
        struct fake f = {.params = params,
                         .body = body,
                         .body_len = too_large_vectors[i].body_len};

        if (too_large_vectors[i].content_length == NULL)
            params[2] = NULL;
        cr_assert_eq(init_from(&f, 10, NULL), CG_ERR_OK, "vector %zu", i);
        cr_assert(req.body_too_large, "vector %zu", i);
        cr_assert_null(req.body.p, "vector %zu", i);
        cr_assert_eq(req.body.len, 0, "vector %zu", i);
        if (too_large_vectors[i].body_len <= 20) {
            /* Up to max_body more bytes are drained: the connection goes on
             * with the next request. */
            cr_assert_eq(f.pos, f.body_len, "vector %zu: drained", i);
            cr_assert(f.eof_seen, "vector %zu: read to EOF", i);
            cr_assert(!req.close_connection, "vector %zu", i);
        } else {
            /* Beyond, reading stops (one read of the drain buffer past the
             * limit at most) and the connection is to be closed. */
            cr_assert(req.close_connection, "vector %zu", i);
            cr_assert_leq(f.pos, 11 + 2 * 16384, "vector %zu: stopped", i);
        }
    }
}

/* Apache's LimitRequestBody is 1 GiB: a 413 must not wait for all of it. */
Test(http, endless_body_over_max_body_is_not_read_to_its_end)
{
    static char body[8 << 20];
    const char *params[] = {"REQUEST_URI", "/", "CONTENT_LENGTH", "8388608",
                            NULL};
    struct fake f = {.params = params,
                     .body = body,
                     .body_len = sizeof(body),
                     .chunk = 65536};

    cr_assert_eq(init_from(&f, 1 << 20, NULL), CG_ERR_OK);
    cr_assert(req.body_too_large);
    cr_assert(req.close_connection);
    cr_assert(!f.eof_seen);
    cr_assert_leq(f.pos, (2 << 20) + 16384);
}

/* A read the source gave up on at the read deadline is a 408, and the
 * connection, out of step, is to be closed. */
static ssize_t
timed_out_read(void *ud, char *dst, size_t n)
{
    (void)ud, (void)dst, (void)n;
    errno = ETIMEDOUT;
    return -1;
}

Test(http, read_deadline_is_a_request_timeout)
{
    const char *params[] = {"REQUEST_URI", "/", NULL};
    struct fake f = {.params = params};
    struct http_source src = {fake_param, timed_out_read, &f};

    cr_assert_eq(http_request_init(&req, arena, &src, NULL), CG_ERR_OK);
    cr_assert_eq(http_read_body(&req, 1024), CG_ERR_REQUEST_TIMEOUT);
    cr_assert(req.close_connection);
}

Test(http, drained_body_is_not_kept_in_the_arena)
{
    static char body[1 << 20];
    const char *params[] = {"REQUEST_URI", "/", NULL};
    struct fake f = {.params = params,
                     .body = body,
                     .body_len = sizeof(body),
                     .chunk = 65536};

    memset(body, 'x', sizeof(body));
    cr_assert_eq(init_from(&f, 1000, NULL), CG_ERR_OK);
    cr_assert(req.body_too_large);
    cr_assert_lt(arena_used(arena), 16384);
    /* Nor in the arena when it is drained to its end. */
    f.pos = 0;
    f.reads = 0;
    f.body_len = 1500;
    cr_assert_eq(init_from(&f, 1000, NULL), CG_ERR_OK);
    cr_assert(req.body_too_large);
    cr_assert(f.eof_seen);
    cr_assert(!req.close_connection);
    cr_assert_lt(arena_used(arena), 16384);
}

Test(http, read_error_is_an_invalid_request)
{
    const char *params[] = {"REQUEST_URI", "/", NULL};
    struct fake f = {
        .params = params, .body = "0123456789", .body_len = 10, .fail_at = 6};

    cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_INVALID_REQUEST);
    cr_assert(req.close_connection);

    /* Also while draining a body already known to be too large. */
    struct fake g = {
        .params = params, .body = "0123456789", .body_len = 10, .fail_at = 6};

    cr_assert_eq(init_from(&g, 4, NULL), CG_ERR_INVALID_REQUEST);
}

Test(http, exhausted_arena_is_an_internal_error)
{
    static char body[8192];
    const char *params[] = {"REQUEST_URI", "/", NULL};
    struct fake f = {.params = params,
                     .body = body,
                     .body_len = sizeof(body),
                     .chunk = 4096};
    struct arena *small = arena_create(1024, 4096);
    struct http_source src = {fake_param, fake_read, &f};

    cr_assert_eq(http_request_init(&req, small, &src, NULL), CG_ERR_OK);
    cr_assert_eq(http_read_body(&req, 1 << 20), CG_ERR_INTERNAL);
    arena_destroy(small);
}

/* http_query_get over one query string. */
static const char query[] = "a=1&b=x+y&c=%41%42&d=&e&a=2&f=%zz&g%20h=k&"
                            "i+j=v&u=a=b&&ab=no&%zz=bad&t=%2B%26%3D";

static const struct {
    const char *name, *value; /* value NULL: not found */
} query_vectors[] = {
    {"a", "1"},   {"b", "x y"},    {"c", "AB"},  {"d", ""},
    {"e", ""},    {"g h", "k"},    {"i j", "v"}, {"u", "a=b"},
    {"ab", "no"}, {"t", "+&="},    {"f", NULL},  {"missing", NULL},
    {"A", NULL},  {"g%20h", NULL},
};

Test(http, query_get_decodes_the_first_match)
{
    init_uri("/x?a=1&b=x+y&c=%41%42&d=&e&a=2&f=%zz&g%20h=k&i+j=v&u=a=b&&ab=no&"
             "%zz=bad&t=%2B%26%3D",
             NULL);
    assert_str(req.query, query, "query");
    for (size_t i = 0; i < CG_ARRAY_LEN(query_vectors); i++) {
        struct str v = {NULL, 0};
        bool found = http_query_get(&req, query_vectors[i].name, &v);

        if (query_vectors[i].value == NULL) {
            cr_assert_not(found, "\"%s\"", query_vectors[i].name);
        } else {
            cr_assert(found, "\"%s\"", query_vectors[i].name);
            assert_str(v, query_vectors[i].value, query_vectors[i].name);
        }
    }
}

Test(http, query_get_without_a_query_finds_nothing)
{
    struct str v = {NULL, 0};

    init_uri("/x", NULL);
    cr_assert_not(http_query_get(&req, "a", &v));
    init_uri("/x?", NULL);
    cr_assert_not(http_query_get(&req, "a", &v));
    cr_assert_not(http_query_get(&req, "", &v));
    cr_assert_null(v.p);
}

static const struct {
    const char *in;
    bool plus_is_space;
    const char *out; /* NULL: malformed */
} decode_vectors[] = {
    {"", false, ""},
    {"abc", false, "abc"},
    {"a+b", false, "a+b"},
    {"a+b", true, "a b"},
    {"%41%4a%4A", false, "AJJ"},
    {"%2B", true, "+"},
    {"%e2%82%ac", false, "\xe2\x82\xac"},
    {"%", false, NULL},
    {"%4", false, NULL},
    {"a%4", true, NULL},
    {"%zz", false, NULL},
    {"%4z", false, NULL},
    {"%z4", false, NULL},
    {"%%41", false, NULL},
};

Test(http, percent_decode_vectors)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(decode_vectors); i++) {
        struct str out = {NULL, 0};
        int rc = http_percent_decode(arena, decode_vectors[i].in,
                                     strlen(decode_vectors[i].in),
                                     decode_vectors[i].plus_is_space, &out);

        if (decode_vectors[i].out == NULL) {
            cr_assert_eq(rc, -1, "\"%s\"", decode_vectors[i].in);
        } else {
            cr_assert_eq(rc, 0, "\"%s\"", decode_vectors[i].in);
            assert_str(out, decode_vectors[i].out, decode_vectors[i].in);
            cr_assert_eq(out.p[out.len], '\0');
        }
    }
}

Test(http, percent_decode_stops_at_the_given_length)
{
    struct str out;

    /* The escape is cut by n, even though the bytes after it are hex. */
    cr_assert_eq(http_percent_decode(arena, "ab%41", 4, false, &out), -1);
    cr_assert_eq(http_percent_decode(arena, "ab%41", 2, false, &out), 0);
    assert_str(out, "ab", "out");
}

static const struct {
    const char *name;
    enum http_method method;
} method_vectors[] = {
    {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
    {"PUT", HTTP_PUT},         {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
    {"OPTIONS", HTTP_OPTIONS}, {"get", HTTP_OTHER},     {"Get", HTTP_OTHER},
    {"", HTTP_OTHER},          {"TRACE", HTTP_OTHER},   {"GETX", HTTP_OTHER},
    {"GE", HTTP_OTHER},        {" GET", HTTP_OTHER},    {NULL, HTTP_OTHER},
};

Test(http, method_parse_is_exact_and_case_sensitive)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(method_vectors); i++)
        cr_assert_eq(http_method_parse(method_vectors[i].name),
                     method_vectors[i].method, "\"%s\"",
                     method_vectors[i].name ? method_vectors[i].name
                                            : "(null)");
}

static const struct {
    unsigned mask;
    const char *text;
} format_vectors[] = {
    {0, ""},
    {HTTP_GET, "GET"},
    {HTTP_GET | HTTP_HEAD, "GET, HEAD"},
    {HTTP_POST | HTTP_GET, "GET, POST"},
    {HTTP_DELETE | HTTP_PUT | HTTP_PATCH, "PUT, DELETE, PATCH"},
    {HTTP_OPTIONS, "OPTIONS"},
    {HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_PATCH |
         HTTP_OPTIONS,
     "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"},
    {HTTP_GET | 1u << 12, "GET"},
};

Test(http, methods_format_in_a_fixed_order)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(format_vectors); i++) {
        const char *s = http_methods_format(arena, format_vectors[i].mask);

        cr_assert_not_null(s, "mask %#x", format_vectors[i].mask);
        cr_assert_str_eq(s, format_vectors[i].text, "mask %#x",
                         format_vectors[i].mask);
    }
}

/* Serialize req into a fresh buffer and compare with want exactly. */
static void
assert_serialized(const char *want)
{
    struct buf out;

    buf_init(&out, arena, 1 << 20);
    cr_assert_eq(http_response_serialize(&req, &out), 0);
    cr_assert_str_eq(out.data, want);
    cr_assert_eq(out.len, strlen(want));
}

Test(http, response_has_status_type_length_and_body)
{
    init_uri("/", NULL);
    cr_assert_eq(buf_append_str(&req.out, "{\"a\":1}"), 0);
    assert_serialized("Status: 200 OK\r\n"
                      "Content-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: 7\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "\r\n"
                      "{\"a\":1}");
}

Test(http, response_carries_extra_headers_and_its_own_type)
{
    init_uri("/", NULL);
    req.status = 405;
    req.response_type = "text/plain; charset=utf-8";
    cr_assert_eq(http_add_header(&req, "Allow", "GET, HEAD"), 0);
    cr_assert_eq(http_add_header(&req, "X-Request-Id", "abc"), 0);
    cr_assert_eq(buf_append_str(&req.out, "no"), 0);
    assert_serialized("Status: 405 Method Not Allowed\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n"
                      "Content-Length: 2\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "Allow: GET, HEAD\r\n"
                      "X-Request-Id: abc\r\n"
                      "\r\n"
                      "no");
}

Test(http, empty_response_has_length_zero)
{
    init_uri("/", NULL);
    req.status = 204;
    assert_serialized("Status: 204 No Content\r\n"
                      "Content-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: 0\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "\r\n");
}

static const struct {
    int status;
    const char *line;
} status_vectors[] = {
    {200, "Status: 200 OK\r\n"},
    {201, "Status: 201 Created\r\n"},
    {400, "Status: 400 Bad Request\r\n"},
    {401, "Status: 401 Unauthorized\r\n"},
    {403, "Status: 403 Forbidden\r\n"},
    {404, "Status: 404 Not Found\r\n"},
    {409, "Status: 409 Conflict\r\n"},
    {413, "Status: 413 Payload Too Large\r\n"},
    {500, "Status: 500 Internal Server Error\r\n"},
    {503, "Status: 503 Service Unavailable\r\n"},
};

Test(http, status_line_has_the_reason_phrase)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(status_vectors); i++) {
        struct buf out;

        init_uri("/", NULL);
        req.status = status_vectors[i].status;
        buf_init(&out, arena, 4096);
        cr_assert_eq(http_response_serialize(&req, &out), 0);
        cr_assert(strncmp(out.data, status_vectors[i].line,
                          strlen(status_vectors[i].line)) == 0,
                  "%d: %s", status_vectors[i].status, out.data);
    }
}

Test(http, head_response_has_the_length_but_no_body)
{
    const char *params[] = {"REQUEST_METHOD", "HEAD", "REQUEST_URI", "/", NULL};
    struct fake f = {.params = params};

    cr_assert_eq(init_from(&f, 1024, NULL), CG_ERR_OK);
    cr_assert_eq(req.method, HTTP_HEAD);
    cr_assert_eq(buf_append_str(&req.out, "{\"a\":1}"), 0);
    assert_serialized("Status: 200 OK\r\n"
                      "Content-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: 7\r\n"
                      "Cache-Control: no-store\r\n"
                      "X-Content-Type-Options: nosniff\r\n"
                      "\r\n");
}

Test(http, serialize_fails_when_the_response_does_not_fit)
{
    struct buf out;

    init_uri("/", NULL);
    cr_assert_eq(buf_append_str(&req.out, "0123456789"), 0);
    buf_init(&out, arena, 100);
    cr_assert_eq(http_response_serialize(&req, &out), -1);
}
