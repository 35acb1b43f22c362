/* Unit tests for routing, central policy and the one error writer. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/compiler.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/http.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"

#include "env.h"

/* A request as the web server passes it: NAME, value pairs and a body. */
struct fake {
    const char *const *params;
    const char *body;
    size_t body_len, pos;
};

static const char *
fake_param(void *ud, const char *name)
{
    struct fake *f = ud;

    for (size_t i = 0; f->params[i] != NULL; i += 2)
        if (strcmp(f->params[i], name) == 0)
            return f->params[i + 1];
    return NULL;
}

static ssize_t
fake_read(void *ud, char *dst, size_t n)
{
    struct fake *f = ud;
    size_t left = f->body_len - f->pos;

    if (n > 3)
        n = 3;
    if (n > left)
        n = left;
    if (n > 0)
        memcpy(dst, f->body + f->pos, n);
    f->pos += n;
    return (ssize_t)n;
}

static struct config cfg;
static struct context ctx;
static struct arena *arena;
static struct request req;
/* The CONTENT_TYPE of the requests build() makes; NULL for none. */
static const char *content_type;

static void
load_config(void)
{
    char err[256] = "";

    cr_assert_eq(config_load(&cfg, NULL, err, sizeof(err)), 0, "%s", err);
}

static void
setup(void)
{
    clear_env();
    load_config();
    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = &cfg;
    ctx.db = NULL; /* only routes that never reach the database are hit */
    ctx.metrics = metrics_create(router_route_count());
    cr_assert_not_null(ctx.metrics);
    arena = arena_create(64 << 10, 64 << 20);
    cr_assert_not_null(arena);
    memset(&req, 0, sizeof(req));
    content_type = NULL;
}

static void
teardown(void)
{
    arena_destroy(arena);
    metrics_destroy(ctx.metrics);
    config_free(&cfg);
    clear_env();
}

TestSuite(router, .init = setup, .fini = teardown);

/* Build req from method, uri, CONTENT_LENGTH (may be NULL) and body. */
static void
build(const char *method, const char *uri, const char *content_length,
      const char *body, const char *base_path)
{
    /* The router reads the body after routing: these outlive build(). */
    static const char *params[9];
    size_t n = 4;
    static struct fake f;
    static struct http_source src = {fake_param, fake_read, &f};

    params[0] = "REQUEST_METHOD";
    params[1] = method;
    params[2] = "REQUEST_URI";
    params[3] = uri;
    if (content_length != NULL) {
        params[n++] = "CONTENT_LENGTH";
        params[n++] = content_length;
    }
    if (content_type != NULL) {
        params[n++] = "CONTENT_TYPE";
        params[n++] = content_type;
    }
    params[n] = NULL;
    f = (struct fake){params, body ? body : "", body ? strlen(body) : 0, 0};
    memset(&req, 0, sizeof(req));
    req.ctx = &ctx;
    cr_assert_eq(http_request_init(&req, arena, &src, base_path), CG_ERR_OK,
                 "%s %s", method, uri);
}

static size_t
dispatch(const char *method, const char *uri)
{
    build(method, uri, NULL, NULL, NULL);
    return router_dispatch(&req);
}

/* The index of the route with this pattern. */
static size_t
route_index(const char *pattern)
{
    for (size_t i = 0; i < router_route_count(); i++)
        if (strcmp(router_route(i)->pattern, pattern) == 0)
            return i;
    cr_assert_fail("no route %s", pattern);
    return 0;
}

/* req's body is exactly want. */
static void
assert_body(const char *want)
{
    cr_assert_not_null(req.out.data);
    cr_assert_str_eq(req.out.data, want);
    cr_assert_eq(req.out.len, strlen(want));
}

/* The whole body parses as strict JSON in valid UTF-8 (RFC 8259). */
static void
assert_strict_json(void)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o;
    enum json_tokener_error err;
    size_t end;

    cr_assert_not_null(tok);
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, req.out.data, (int)req.out.len);
    err = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_object_put(o);
    json_tokener_free(tok);
    cr_assert_not_null(o, "not strict UTF-8 JSON (%s): %s",
                       json_tokener_error_desc(err), req.out.data);
    cr_assert_eq(end, req.out.len, "nothing after the object");
}

/* req's body is the JSON object {"error": code, "message": message}. */
static void
assert_error_json(const char *code, const char *message)
{
    struct json_object *o, *e, *m;

    cr_assert_not_null(req.out.data);
    assert_strict_json();
    o = json_tokener_parse(req.out.data);
    cr_assert_not_null(o, "not JSON: %s", req.out.data);
    cr_assert(json_object_is_type(o, json_type_object), "%s", req.out.data);
    cr_assert_eq(json_object_object_length(o), 2, "%s", req.out.data);
    cr_assert(json_object_object_get_ex(o, "error", &e));
    cr_assert(json_object_object_get_ex(o, "message", &m));
    cr_assert(json_object_is_type(e, json_type_string));
    cr_assert(json_object_is_type(m, json_type_string));
    cr_assert_str_eq(json_object_get_string(e), code);
    cr_assert_eq((size_t)json_object_get_string_len(m), strlen(message));
    cr_assert_str_eq(json_object_get_string(m), message);
    json_object_put(o);
}

Test(router, route_table_is_well_formed)
{
    size_t n = router_route_count();

    cr_assert_gt(n, 0);
    cr_assert_null(router_route(n));
    for (size_t i = 0; i < n; i++) {
        const struct route *rt = router_route(i);

        cr_assert_not_null(rt);
        cr_assert_eq(rt->pattern[0], '/', "%s", rt->pattern);
        cr_assert_not_null(rt->handler, "%s", rt->pattern);
        cr_assert_neq(rt->method, 0, "%s", rt->pattern);
        cr_assert_eq(rt->method & (rt->method - 1), 0, "%s: one method per row",
                     rt->pattern);
        for (size_t j = 0; j < i; j++)
            cr_assert(rt->method != router_route(j)->method ||
                          strcasecmp(rt->pattern, router_route(j)->pattern),
                      "%s is listed twice", rt->pattern);
    }
}

Test(router, unknown_path_is_404)
{
    size_t found = dispatch("GET", "/nope?x=1");

    cr_assert_eq(found, router_route_count());
    cr_assert_null(req.route);
    cr_assert_eq(req.status, 404);
    cr_assert_null(req.response_type);
    assert_body("{\"error\":\"not_found\",\"message\":"
                "\"No endpoint GET /nope exists.\"}");
    assert_error_json("not_found", "No endpoint GET /nope exists.");
    cr_assert_eq(req.headers.len, 0, "no Allow header on a 404");
}

static const char *const unknown_paths[] = {
    "/",           "/metricsx",     "/metric",     "/metrics/extra",
    "/v2/metrics", "/metrics//",    "//metrics",   "/./metrics",
    "/metrics/..", "/x/../metrics", "/metrics%2F", "/%6detrics%zz",
    "/me%00trics",
};

Test(router, unknown_and_bad_paths_are_404)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(unknown_paths); i++) {
        char message[128];

        cr_assert_eq(dispatch("GET", unknown_paths[i]), router_route_count(),
                     "%s", unknown_paths[i]);
        cr_assert_eq(req.status, 404, "%s", unknown_paths[i]);
        snprintf(message, sizeof(message), "No endpoint GET %s exists.",
                 unknown_paths[i]);
        assert_error_json("not_found", message);
    }
}

Test(router, percent_encoded_literal_segments_of_cords_api_match)
{
    cr_assert_eq(dispatch("GET", "/%761/verify"), route_index("/v1/verify"));
    cr_assert_eq(req.status, 401);
    cr_assert_eq(dispatch("GET", "/v1/%76erify"), route_index("/v1/verify"));
    cr_assert_eq(req.status, 401);
}

static const char *const wrong_methods[] = {
    "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", "get", "",
};

Test(router, wrong_method_is_405_with_an_allow_header)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(wrong_methods); i++) {
        char message[128];

        cr_assert_eq(dispatch(wrong_methods[i], "/metrics"),
                     router_route_count(), "%s", wrong_methods[i]);
        cr_assert_null(req.route);
        cr_assert_eq(req.status, 405, "%s", wrong_methods[i]);
        cr_assert_str_eq(req.headers.data, "Allow: GET, HEAD\r\n");
        snprintf(message, sizeof(message),
                 "Method %s is not allowed here; use GET, HEAD.",
                 wrong_methods[i]);
        assert_error_json("method_not_allowed", message);
    }
}

Test(router, wrong_method_body_is_exact)
{
    dispatch("DELETE", "/healthz");
    cr_assert_eq(req.status, 405);
    assert_body("{\"error\":\"method_not_allowed\",\"message\":"
                "\"Method DELETE is not allowed here; use GET, HEAD.\"}");
}

/* Cord's API matches as Express does: no token, so a 401 says the route
 * was found. */
Test(router, cords_literal_segments_match_case_insensitively)
{
    static const char *const spellings[] = {"/v1/verify", "/V1/VERIFY",
                                            "/v1/Verify", "/V1/vErIfY"};

    for (size_t i = 0; i < CG_ARRAY_LEN(spellings); i++) {
        cr_assert_eq(dispatch("GET", spellings[i]), route_index("/v1/verify"),
                     "%s", spellings[i]);
        cr_assert_eq(req.status, 401, "%s", spellings[i]);
        cr_assert_eq(req.route, router_route(route_index("/v1/verify")));
    }
}

Test(router, cords_trailing_slash_is_optional)
{
    cr_assert_eq(dispatch("GET", "/v1/verify/"), route_index("/v1/verify"));
    cr_assert_eq(req.status, 401);
    cr_assert_eq(dispatch("GET", "/v1/verify/?a=b"), route_index("/v1/verify"));
    cr_assert_eq(req.status, 401);
}

/* Our own paths match only exactly, so that a web server's rule for the
 * exact path (nginx `location = /metrics`) leaves no other way in. */
Test(router, our_paths_match_exactly)
{
    static const char *const variants[] = {
        "/METRICS",
        "/Metrics",
        "/metrics/",
        "/%6detrics",
        "/metric%73",
        "/Healthz",
        "/HEALTHZ",
        "/healthz/",
        "/%68ealthz",
        "/Generate-Cord-Token",
        "/generate-cord-token/",
        "/GENERATE-CORD-TOKEN",
    };
    static const char *const exact[] = {"/metrics", "/metrics?a=b",
                                        "/metrics?"};

    cfg.test_tokens = true;
    for (size_t i = 0; i < CG_ARRAY_LEN(variants); i++) {
        char message[128];

        cr_assert_eq(dispatch("GET", variants[i]), router_route_count(), "%s",
                     variants[i]);
        cr_assert_eq(req.status, 404, "%s", variants[i]);
        snprintf(message, sizeof(message), "No endpoint GET %s exists.",
                 variants[i]);
        assert_error_json("not_found", message);
    }
    for (size_t i = 0; i < CG_ARRAY_LEN(exact); i++) {
        cr_assert_eq(dispatch("GET", exact[i]), route_index("/metrics"), "%s",
                     exact[i]);
        cr_assert_eq(req.status, 200, "%s", exact[i]);
    }
    cfg.test_tokens = false;
}

static void
set_metrics_token(const char *token)
{
    free(cfg.metrics_token);
    cfg.metrics_token = strdup(token);
    cr_assert_not_null(cfg.metrics_token);
}

/* GET /metrics with this Authorization header (NULL: none). */
static void
metrics_with(const char *authorization)
{
    build("GET", "/metrics", NULL, NULL, NULL);
    req.authorization = authorization;
    cr_assert_eq(router_dispatch(&req), route_index("/metrics"));
}

Test(router, metrics_need_the_token_when_one_is_set)
{
    static const char *const refused[] = {
        NULL,
        "",
        "Bearer",
        "Bearer ",
        "Bearer s3cret-metrics-token-of-32-byte",
        "Bearer s3cret-metrics-token-of-32-bytes!",
        "Bearer S3CRET-METRICS-TOKEN-OF-32-BYTES",
        "Bearers3cret-metrics-token-of-32-bytes",
        "Basic s3cret-metrics-token-of-32-bytes",
        "s3cret-metrics-token-of-32-bytes",
    };
    static const char *const accepted[] = {
        "Bearer s3cret-metrics-token-of-32-bytes",
        "bearer s3cret-metrics-token-of-32-bytes",
        "Bearer   s3cret-metrics-token-of-32-bytes  ",
    };

    /* Without a token, anyone the web server lets through. */
    metrics_with(NULL);
    cr_assert_eq(req.status, 200);
    set_metrics_token("s3cret-metrics-token-of-32-bytes");
    for (size_t i = 0; i < CG_ARRAY_LEN(refused); i++) {
        metrics_with(refused[i]);
        cr_assert_eq(req.status, 401, "%s", refused[i] ? refused[i] : "none");
        assert_error_json("unauthorized",
                          "GET /metrics needs the bearer token of "
                          "CORDGATE_METRICS_TOKEN.");
        cr_assert_str_eq(req.headers.data,
                         "WWW-Authenticate: Bearer realm=\"cordgate "
                         "metrics\"\r\n");
        cr_assert_null(strstr(req.out.data, "cordgate_requests_total"));
    }
    for (size_t i = 0; i < CG_ARRAY_LEN(accepted); i++) {
        metrics_with(accepted[i]);
        cr_assert_eq(req.status, 200, "%s", accepted[i]);
        cr_assert_not_null(strstr(req.out.data, "cordgate_requests_total"));
    }
}

Test(router, metrics_answer_in_prometheus_text)
{
    dispatch("GET", "/metrics");
    cr_assert_eq(req.status, 200);
    cr_assert_str_eq(req.response_type,
                     "text/plain; version=0.0.4; charset=utf-8");
    cr_assert_not_null(
        strstr(req.out.data, "# TYPE cordgate_requests_total counter\n"));
}

Test(router, head_on_a_get_route_is_answered_without_a_body)
{
    struct buf wire;
    char want[64];

    cr_assert_eq(dispatch("HEAD", "/metrics"), route_index("/metrics"));
    cr_assert_eq(req.status, 200);
    cr_assert_gt(req.out.len, 0, "the handler ran as for GET");
    buf_init(&wire, arena, 1 << 20);
    cr_assert_eq(http_response_serialize(&req, &wire), 0);
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", req.out.len);
    cr_assert_not_null(strstr(wire.data, want));
    cr_assert_eq(strncmp(wire.data, "Status: 200 OK\r\n", 16), 0);
    cr_assert_eq(strcmp(wire.data + wire.len - 4, "\r\n\r\n"), 0,
                 "nothing after the headers");
    cr_assert_null(strstr(wire.data, "# TYPE"));
}

Test(router, base_path_is_stripped_before_routing)
{
    build("GET", "/cordgate/metrics", NULL, NULL, "/cordgate");
    cr_assert_eq(router_dispatch(&req), route_index("/metrics"));
    cr_assert_eq(req.status, 200);
    build("GET", "/cordgate/nope", NULL, NULL, "/cordgate");
    cr_assert_eq(router_dispatch(&req), router_route_count());
    assert_error_json("not_found", "No endpoint GET /nope exists.");
    build("GET", "/cordgatemetrics", NULL, NULL, "/cordgate");
    cr_assert_eq(router_dispatch(&req), router_route_count());
    cr_assert_eq(req.status, 404);
}

Test(router, declared_body_over_the_limit_is_413)
{
    build("GET", "/metrics", "1048577", "", NULL);
    cr_assert_eq(router_dispatch(&req), route_index("/metrics"));
    cr_assert(req.body_too_large);
    cr_assert_eq(req.status, 413);
    cr_assert_null(req.response_type, "the handler did not run");
    assert_body("{\"error\":\"payload_too_large\",\"message\":"
                "\"Request body exceeds the limit of 1048576 bytes.\"}");
}

Test(router, real_body_over_a_configured_limit_is_413)
{
    config_free(&cfg);
    setenv("CORDGATE_MAX_BODY", "16", 1);
    load_config();
    cr_assert_eq(cfg.max_body, 16);
    build("GET", "/metrics", NULL, "{\"k\":\"0123456789\"}", NULL);
    router_dispatch(&req);
    cr_assert(req.body_too_large);
    cr_assert_eq(req.status, 413);
    assert_error_json("payload_too_large",
                      "Request body exceeds the limit of 16 bytes.");
}

Test(router, body_at_the_limit_is_accepted)
{
    config_free(&cfg);
    setenv("CORDGATE_MAX_BODY", "16", 1);
    load_config();
    build("GET", "/metrics", "16", "0123456789abcdef", NULL);
    router_dispatch(&req);
    cr_assert_not(req.body_too_large);
    cr_assert_eq(req.status, 200);
}

/* POST /v1/batch reads up to CORDGATE_BATCH_MAX_BODY; every other route
 * keeps CORDGATE_MAX_BODY. */
Test(router, batch_has_its_own_body_limit)
{
    build("POST", "/v1/batch", "2097152", "", NULL);
    router_dispatch(&req);
    cr_assert_not(req.body_too_large);
    cr_assert_eq(req.status, 401, "authentication, not the size, failed");
    build("POST", "/v1/users", "2097152", "", NULL);
    router_dispatch(&req);
    cr_assert_eq(req.status, 413);
    build("POST", "/v1/batch", "10485761", "", NULL);
    router_dispatch(&req);
    cr_assert_eq(req.status, 413);
    assert_error_json("payload_too_large",
                      "Request body exceeds the limit of 10485760 bytes.");
}

/* n copies of unit joined by sep between pre and post (malloc'd); unit may
 * hold one %zu for the index. */
static char *
joined(const char *pre, const char *unit, char sep, const char *post, size_t n)
{
    char *text = NULL;
    size_t len;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    fputs(pre, f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputc(sep, f);
        fprintf(f, unit, i);
    }
    fputs(post, f);
    cr_assert_eq(fclose(f), 0);
    return text;
}

/* Under the size limit, but values json-c would take 60 times the body's
 * length for: refused before authentication, JSON or form-encoded. */
Test(router, bodies_of_too_many_values_are_413_before_authentication)
{
    static const struct {
        const char *type, *pre, *unit, *post;
        char sep;
        size_t n;
    } rows[] = {
        {"application/json", "[", "{}", "]", ',', 100000},
        {"application/json", "{\"signed_app_token\":[", "1", "]}", ',', 500000},
        {"application/x-www-form-urlencoded", "", "%zu", "", '&', 150000},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(rows); i++) {
        char *body = joined(rows[i].pre, rows[i].unit, rows[i].sep,
                            rows[i].post, rows[i].n);

        content_type = rows[i].type;
        cr_assert_leq(strlen(body), cfg.max_body);
        build("POST", "/v1/authorize", NULL, body, NULL);
        router_dispatch(&req);
        cr_assert_eq(req.status, 413, "row %zu: %d %s", i, req.status,
                     req.out.data);
        assert_error_json("payload_too_large",
                          "The request body holds more JSON values than "
                          "cordgate parses at once.");
        arena_reset(arena);
        free(body);
    }
    /* A form of a few fields is parsed, and fails on its token. */
    content_type = "application/x-www-form-urlencoded";
    build("POST", "/v1/authorize", NULL, "signed_app_token=x", NULL);
    router_dispatch(&req);
    assert_error_json("invalid_field", "Input type for signed_app_token is "
                                       "not valid, expected JWT.");
}

Test(router, too_large_body_on_no_route_is_still_404_or_405)
{
    build("POST", "/nope", "99999999", "", NULL);
    router_dispatch(&req);
    cr_assert(req.body_too_large);
    cr_assert_eq(req.status, 404);
    build("POST", "/metrics", "99999999", "", NULL);
    router_dispatch(&req);
    cr_assert_eq(req.status, 405);
}

Test(router, not_found_message_with_a_hostile_path_is_valid_json)
{
    cr_assert_eq(dispatch("GET", "/a\"b\\c\td\x01\x7f\xc3\xa9"),
                 router_route_count());
    cr_assert_eq(req.status, 404);
    assert_error_json("not_found",
                      "No endpoint GET /a\"b\\c\td\x01\x7f\xc3\xa9 exists.");
    dispatch("GET</script>\"", "/x");
    assert_error_json("not_found", "No endpoint GET</script>\" /x exists.");
}

Test(router, not_found_message_quotes_at_most_512_bytes_of_path)
{
    char uri[701], message[600];

    uri[0] = '/';
    memset(uri + 1, 'a', 699);
    uri[700] = '\0';
    dispatch("GET", uri);
    cr_assert_eq(req.status, 404);
    snprintf(message, sizeof(message), "No endpoint GET %.512s exists.", uri);
    assert_error_json("not_found", message);
}

/* The 404 message quotes at most 512 bytes of the path, never splitting a
 * UTF-8 character, so the body stays valid UTF-8. */
Test(router, not_found_message_cut_at_512_bytes_stays_valid_utf8)
{
    char uri[600];

    /* "/", 510 x "a", then U+00E9 as C3 A9: the 512th byte is C3. */
    uri[0] = '/';
    memset(uri + 1, 'a', 510);
    memcpy(uri + 511, "\xc3\xa9xyz", 6);
    dispatch("GET", uri);
    cr_assert_eq(req.status, 404);
    assert_strict_json();
}

static const char *const messages[] = {
    "plain",
    "",
    "quote \" backslash \\ slash /",
    "newline \n return \r tab \t backspace \b formfeed \f",
    "controls \x01\x02\x1b\x1f and DEL \x7f",
    "UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8",
    "{\"error\":\"spoofed\"}",
};

Test(router, set_error_escapes_the_message_into_valid_json)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(messages); i++) {
        build("GET", "/metrics", NULL, NULL, NULL);
        req.error_message = messages[i];
        router_set_error(&req, CG_ERR_INVALID_FIELD);
        cr_assert_eq(req.status, 400);
        assert_error_json("invalid_field", messages[i]);
    }
}

Test(router, set_error_writes_every_code_with_its_status_and_message)
{
    for (int e = CG_ERR_OK + 1; e < CG_ERR__COUNT; e++) {
        build("GET", "/metrics", NULL, NULL, NULL);
        router_set_error(&req, (enum cg_err)e);
        cr_assert_eq(req.status, err_status((enum cg_err)e), "%s",
                     err_code((enum cg_err)e));
        assert_error_json(err_code((enum cg_err)e),
                          err_message((enum cg_err)e));
    }
}

Test(router, set_error_replaces_a_body_already_written)
{
    dispatch("GET", "/metrics");
    cr_assert_eq(req.status, 200);
    cr_assert_not_null(req.response_type);
    router_set_error(&req, CG_ERR_DATABASE_UNAVAILABLE);
    cr_assert_eq(req.status, 503);
    cr_assert_null(req.response_type, "errors are JSON");
    assert_body("{\"error\":\"database_unavailable\",\"message\":"
                "\"The database is unavailable; try again shortly.\"}");
}

Test(router, request_fail_sets_the_message)
{
    enum cg_err e;

    build("GET", "/metrics", NULL, NULL, NULL);
    e = request_fail(&req, CG_ERR_MISSING_FIELD, "Field %s is missing (%d).",
                     "\"name\"", 3);
    cr_assert_eq(e, CG_ERR_MISSING_FIELD);
    cr_assert_str_eq(req.error_message, "Field \"name\" is missing (3).");
    router_set_error(&req, e);
    cr_assert_eq(req.status, 400);
    assert_body("{\"error\":\"missing_field\",\"message\":"
                "\"Field \\\"name\\\" is missing (3).\"}");
}

Test(router, dispatched_requests_are_counted_in_metrics)
{
    struct buf text;
    size_t route;

    route = dispatch("GET", "/metrics");
    metrics_count_request(ctx.metrics, route, req.status, 0.001);
    route = dispatch("GET", "/nope");
    metrics_count_request(ctx.metrics, route, req.status, 0.001);
    route = dispatch("POST", "/metrics");
    metrics_count_request(ctx.metrics, route, req.status, 0.001);
    buf_init(&text, arena, 1 << 20);
    cr_assert_eq(metrics_render(ctx.metrics, &text), 0);
    cr_assert_not_null(strstr(text.data, "\ncordgate_requests_total{method="
                                         "\"GET\",route=\"/metrics\",status="
                                         "\"200\"} 1\n"));
    cr_assert_not_null(strstr(text.data, "\ncordgate_requests_total{method="
                                         "\"\",route=\"none\",status="
                                         "\"404\"} 1\n"));
    cr_assert_not_null(strstr(text.data, "\ncordgate_requests_total{method="
                                         "\"\",route=\"none\",status="
                                         "\"405\"} 1\n"));
}

Test(router, metrics_route_shows_its_own_earlier_requests)
{
    size_t route = dispatch("GET", "/metrics");

    metrics_count_request(ctx.metrics, route, req.status, 0.001);
    dispatch("GET", "/metrics");
    cr_assert_not_null(strstr(req.out.data, "\ncordgate_requests_total{method="
                                            "\"GET\",route=\"/metrics\","
                                            "status=\"200\"} 1\n"));
}
