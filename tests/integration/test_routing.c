/* Routing, body limits and health, through nginx to cordgate. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "harness.h"

static char *
url(const char *base_var, const char *path)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf), "%s%s", it_env(base_var), path);
    return buf;
}

Test(routing, unknown_path_is_json_404)
{
    struct it_response r;

    it_http("GET", url("CORDGATE_TEST_URL", "/v1/nothing-here"), NULL, 0, NULL,
            &r);
    it_assert_error(&r, 404, "not_found");
    cr_assert(strstr(r.body, "GET /v1/nothing-here") != NULL, "%s", r.body);
    it_response_free(&r);
}

Test(routing, unknown_path_with_a_body_is_404_not_502)
{
    struct it_response r;
    size_t n = 300000;
    char *body = malloc(n);

    memset(body, 'x', n);
    it_http("POST", url("CORDGATE_TEST_URL", "/v2/whatever"), body, n, NULL,
            &r);
    it_assert_error(&r, 404, "not_found");
    it_response_free(&r);
    free(body);
}

Test(routing, wrong_method_is_405_with_allow)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    size_t i;

    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct it_response r;

        it_http(methods[i], url("CORDGATE_TEST_URL", "/healthz"), "{}", 2, NULL,
                &r);
        it_assert_error(&r, 405, "method_not_allowed");
        cr_assert_str_eq(it_header(&r, "Allow"), "GET, HEAD");
        it_response_free(&r);
    }
}

/* A server auth token for the test app, as the SDKs make it. */
static char *
server_token(void)
{
    char payload[256];
    long now = (long)time(NULL);

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
             it_env("CORDGATE_TEST_APP_ID"), now, now + 60);
    return it_jwt("HS512", payload, it_env("CORDGATE_TEST_APP_SECRET"));
}

/* Cord's API matches as its Express router does (cord-api.md 1.1, case
 * 73). */
Test(routing, cords_paths_match_case_insensitively_with_optional_slash)
{
    static const char *const paths[] = {"/v1/verify", "/v1/verify/",
                                        "/V1/VERIFY", "/v1/Verify/",
                                        "/v1/verify?x=1"};
    char *tok = server_token();
    const char *h[] = {it_bearer(tok), NULL};
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct it_response r;

        it_http("GET", url("CORDGATE_TEST_URL", paths[i]), NULL, 0, h, &r);
        cr_assert_eq(r.status, 200, "%s: %ld %s", paths[i], r.status, r.body);
        it_response_free(&r);
    }
    free(tok);
}

/* Our own paths match exactly: a web server's rule for /metrics (nginx
 * `location = /metrics`) is not bypassed by /Metrics or /metrics/. */
Test(routing, our_paths_match_exactly)
{
    static const char *const variants[] = {
        "/Metrics",
        "/METRICS",
        "/metrics/",
        "/metrics/?x=1",
        "/%6detrics",
        "/Healthz",
        "/HEALTHZ",
        "/healthz/",
        "/%68ealthz",
        "/Generate-Cord-Token?userIndex=1",
        "/generate-cord-token/",
    };
    static const char *const exact[] = {"/metrics", "/metrics?x=1", "/healthz",
                                        "/healthz?x=1",
                                        "/generate-cord-token?userIndex=1"};
    size_t i;

    for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct it_response r;

        it_http("GET", url("CORDGATE_TEST_URL", variants[i]), NULL, 0, NULL,
                &r);
        it_assert_error(&r, 404, "not_found");
        cr_assert(strstr(r.body, "cordgate_") == NULL, "%s: %s", variants[i],
                  r.body);
        it_response_free(&r);
    }
    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        struct it_response r;

        it_http("GET", url("CORDGATE_TEST_URL", exact[i]), NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 200, "%s: %ld %s", exact[i], r.status, r.body);
        it_response_free(&r);
    }
}

Test(routing, dot_segments_and_empty_segments_are_404)
{
    static const char *const paths[] = {"/v1//users", "/v1/x/%2e%2e/healthz",
                                        "/v1/%2e/x", "/healthz/."};
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct it_response r;

        it_http("GET", url("CORDGATE_TEST_URL", paths[i]), NULL, 0, NULL, &r);
        it_assert_error(&r, 404, "not_found");
        it_response_free(&r);
    }
}

Test(routing, body_over_the_limit_is_413_and_read_whole)
{
    size_t n = (1u << 20) + 1;
    char *body = malloc(n);
    struct it_response r;
    struct json_object *o, *m;

    memset(body, 'a', n);
    it_http("GET", url("CORDGATE_TEST_URL", "/healthz"), body, n, NULL, &r);
    it_assert_error(&r, 413, "payload_too_large");
    o = it_json(&r);
    cr_assert(json_object_object_get_ex(o, "message", &m));
    cr_assert_str_eq(json_object_get_string(m),
                     "Request body exceeds the limit of 1048576 bytes.");
    json_object_put(o);
    it_response_free(&r);

    /* Exactly the limit is fine. */
    it_http("GET", url("CORDGATE_TEST_URL", "/healthz"), body, n - 1, NULL, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    free(body);
}

Test(routing, chunked_body_over_the_limit_is_413)
{
    size_t n = 3u << 20;
    char *body = malloc(n);
    static const char *const headers[] = {"Transfer-Encoding: chunked", NULL};
    struct it_response r;

    memset(body, 'b', n);
    it_http("GET", url("CORDGATE_TEST_URL", "/healthz"), body, n, headers, &r);
    it_assert_error(&r, 413, "payload_too_large");
    it_response_free(&r);
    free(body);
}

Test(health, healthz_is_200_when_the_database_answers)
{
    struct it_response r;
    struct json_object *o, *s;

    it_http("GET", url("CORDGATE_TEST_URL", "/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200);
    o = it_json(&r);
    cr_assert(json_object_object_get_ex(o, "status", &s));
    cr_assert_str_eq(json_object_get_string(s), "ok");
    json_object_put(o);
    it_response_free(&r);
}

Test(health, healthz_is_503_json_when_the_database_is_down)
{
    struct it_response r;
    int i;

    /* Several times: the worker must stay up and keep answering. */
    for (i = 0; i < 6; i++) {
        it_http("GET", url("CORDGATE_TEST_DOWN_URL", "/healthz"), NULL, 0, NULL,
                &r);
        it_assert_error(&r, 503, "database_unavailable");
        /* The down instance's deadline is 2 s; never a web-server timeout. */
        cr_assert(r.seconds < 10.0, "took %.1f s", r.seconds);
        it_response_free(&r);
    }
    it_http("GET", url("CORDGATE_TEST_DOWN_URL", "/metrics"), NULL, 0, NULL,
            &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "cordgate_database_errors_total 0\n") == NULL,
              "database errors were not counted:\n%s", r.body);
    cr_assert(strstr(r.body, "cordgate_requests_total{method=\"GET\","
                             "route=\"/healthz\",status=\"503\"}") != NULL,
              "%s", r.body);
    cr_assert(strstr(r.body, "cordgate_worker_restarts_total{reason="
                             "\"killed\"} 0\n") != NULL,
              "%s", r.body);
    it_response_free(&r);
}

Test(health, metrics_are_prometheus_text)
{
    struct it_response r;
    const char *ct;

    it_http("GET", url("CORDGATE_TEST_URL", "/healthz"), NULL, 0, NULL, &r);
    it_response_free(&r);
    it_http("GET", url("CORDGATE_TEST_URL", "/metrics"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200);
    ct = it_header(&r, "Content-Type");
    cr_assert(ct != NULL && strncmp(ct, "text/plain; version=0.0.4", 25) == 0);
    cr_assert(strstr(r.body, "# TYPE cordgate_requests_total counter\n"));
    cr_assert(strstr(r.body, "cordgate_requests_total{method=\"GET\","
                             "route=\"/healthz\",status=\"200\"} "));
    cr_assert(strstr(r.body, "# TYPE cordgate_worker_restarts_total counter"));
    cr_assert(strstr(r.body, "# TYPE cordgate_database_errors_total counter"));
    it_response_free(&r);
}

Test(health, head_has_headers_and_no_body)
{
    struct it_response r;

    it_http("HEAD", url("CORDGATE_TEST_URL", "/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 0);
    it_response_free(&r);
}

/* How often a header appears in r's header block. */
static int
header_count(const struct it_response *r, const char *name)
{
    const char *p = r->headers;
    size_t n = strlen(name);
    int count = 0;

    while (p != NULL && *p != '\0') {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            count++;
        p = strstr(p, "\r\n");
        if (p != NULL)
            p += 2;
    }
    return count;
}

/* Every answer, errors and preflights included, tells the browser not to
 * guess its type. */
Test(headers, nosniff_on_every_answer)
{
    static const char *const json_headers[] = {"Content-Type: application/json",
                                               NULL};
    static const char *const preflight[] = {
        "Origin: https://a.example", "Access-Control-Request-Method: PUT",
        NULL};
    static const struct {
        const char *method, *path, *body;
        const char *const *headers;
        long status;
    } rows[] = {
        {"GET", "/healthz", NULL, NULL, 200},
        {"HEAD", "/healthz", NULL, NULL, 200},
        {"GET", "/metrics", NULL, NULL, 200},
        {"GET", "/v1/verify", NULL, NULL, 401},
        {"PUT", "/v1/users/x", "{\"name\":", json_headers, 400},
        {"GET", "/v1/client/viewer", NULL, NULL, 403},
        {"GET", "/v1/nothing-here", NULL, NULL, 404},
        {"GET", "/nothing-here", NULL, NULL, 404},
        {"POST", "/healthz", "{}", NULL, 405},
        {"OPTIONS", "/v1/users", NULL, preflight, 204},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct it_response r;
        const char *v;

        it_http(rows[i].method, url("CORDGATE_TEST_URL", rows[i].path),
                rows[i].body, rows[i].body ? strlen(rows[i].body) : 0,
                rows[i].headers, &r);
        cr_assert_eq(r.status, rows[i].status, "%s %s: %ld %s", rows[i].method,
                     rows[i].path, r.status, r.body);
        v = it_header(&r, "X-Content-Type-Options");
        cr_assert(v != NULL && strcmp(v, "nosniff") == 0,
                  "%s %s: X-Content-Type-Options %s", rows[i].method,
                  rows[i].path, v ? v : "(none)");
        cr_assert_eq(header_count(&r, "X-Content-Type-Options"), 1, "%s",
                     r.headers);
        it_response_free(&r);
    }
}

static pid_t spare_master;

static void
stop_spare(void)
{
    it_stop(spare_master);
    spare_master = 0;
}

/* CORDGATE_METRICS_TOKEN: GET /metrics wants it as a bearer token, through
 * the web server, and nothing else changes. */
Test(health, metrics_need_the_token_when_one_is_set, .fini = stop_spare)
{
    static const char *const env[] = {
        "CORDGATE_WORKERS=1", "CORDGATE_METRICS_TOKEN=it-metrics-9f1c7e2a5b4d",
        NULL};
    static const struct {
        const char *authorization;
        long status;
    } rows[] = {
        {NULL, 401},
        {"Authorization: Bearer wrong", 401},
        {"Authorization: Bearer it-metrics-9f1c7e2a5b4", 401},
        {"Authorization: Bearer it-metrics-9f1c7e2a5b4dx", 401},
        {"Authorization: Basic aXQtbWV0cmljcy05ZjFjN2UyYTViNGQ=", 401},
        {"Authorization: it-metrics-9f1c7e2a5b4d", 401},
        {"Authorization: Bearer it-metrics-9f1c7e2a5b4d", 200},
        {"Authorization: bearer it-metrics-9f1c7e2a5b4d", 200},
    };
    size_t i;
    struct it_response r;

    spare_master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *h[] = {rows[i].authorization, NULL};
        const char *www;

        it_http("GET", url("CORDGATE_TEST_SPARE_URL", "/metrics"), NULL, 0,
                rows[i].authorization ? h : NULL, &r);
        cr_assert_eq(r.status, rows[i].status, "%s: %ld %s",
                     rows[i].authorization ? rows[i].authorization : "none",
                     r.status, r.body);
        if (r.status == 401) {
            it_assert_error(&r, 401, "unauthorized");
            www = it_header(&r, "WWW-Authenticate");
            cr_assert(www != NULL && strncmp(www, "Bearer ", 7) == 0, "%s",
                      r.headers);
            cr_assert(strstr(r.body, "cordgate_") == NULL, "%s", r.body);
        } else {
            cr_assert(strstr(r.body, "# TYPE cordgate_requests_total") != NULL,
                      "%s", r.body);
        }
        it_response_free(&r);
    }
    /* The token guards /metrics alone, and only the exact path. */
    it_http("GET", url("CORDGATE_TEST_SPARE_URL", "/healthz"), NULL, 0, NULL,
            &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    {
        const char *h[] = {rows[6].authorization, NULL};

        it_http("GET", url("CORDGATE_TEST_SPARE_URL", "/Metrics"), NULL, 0, h,
                &r);
        it_assert_error(&r, 404, "not_found");
        it_response_free(&r);
    }
}
