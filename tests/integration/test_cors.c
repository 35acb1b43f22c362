/* CORS under /v1 (cord-api.md 1.4, 9, case 72): every /v1 answer carries
 * Access-Control-Allow-Origin: *, errors too, and any OPTIONS there is a
 * 204 preflight answered before routing or auth; /generate-cord-token keeps
 * its own origin and /healthz, /metrics get no CORS header. Through nginx to
 * cordgate. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define METHODS "GET,HEAD,PUT,PATCH,POST,DELETE"

static struct it_response responses[64];
static size_t nresponses;

static void
release_all(void)
{
    while (nresponses > 0)
        it_response_free(&responses[--nresponses]);
}

TestSuite(cors, .fini = release_all);

static char *
url(const char *path)
{
    static char buf[8][1024];
    static int k;

    k = (k + 1) % 8;
    snprintf(buf[k], sizeof(buf[k]), "%s%s", it_env("CORDGATE_TEST_URL"), path);
    return buf[k];
}

/* A server auth token line, in a static buffer. */
static const char *
server_bearer(void)
{
    static char line[1024];
    long now = (long)time(NULL);
    char payload[256], *t;

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
             it_env("CORDGATE_TEST_APP_ID"), now, now + 60);
    t = it_jwt("HS512", payload, it_env("CORDGATE_TEST_APP_SECRET"));
    snprintf(line, sizeof(line), "Authorization: Bearer %s", t);
    free(t);
    return line;
}

static struct it_response *
request(const char *method, const char *path, const char *body,
        const char *const *headers)
{
    struct it_response *r;

    cr_assert(nresponses < sizeof(responses) / sizeof(responses[0]));
    r = &responses[nresponses++];
    it_http(method, url(path), body, body ? strlen(body) : 0, headers, r);
    return r;
}

/* A copy of the header (it_header's buffer is static), or "(none)". */
static const char *
header_or_none(const struct it_response *r, const char *name)
{
    static char copies[8][512];
    static unsigned next;
    const char *v = it_header(r, name);
    char *out = copies[next++ % 8];

    snprintf(out, sizeof(copies[0]), "%s", v ? v : "(none)");
    return out;
}

/* The preflight answer: 204, no body, the four headers. request_headers
 * NULL: the request had no Access-Control-Request-Headers. */
static bool
is_preflight(const char *what, const struct it_response *r,
             const char *request_headers)
{
    const char *vary = it_header(r, "Vary") ? header_or_none(r, "Vary") : NULL;
    bool ok =
        r->status == 204 && r->body_len == 0 &&
        strcmp(header_or_none(r, "Access-Control-Allow-Origin"), "*") == 0 &&
        strcmp(header_or_none(r, "Access-Control-Allow-Methods"), METHODS) ==
            0 &&
        (request_headers == NULL ||
         (strcmp(header_or_none(r, "Access-Control-Allow-Headers"),
                 request_headers) == 0 &&
          vary != NULL &&
          strstr(vary, "Access-Control-Request-Headers") != NULL));

    cr_expect(ok,
              "%s: %ld, body %zu bytes, Allow-Origin %s, Allow-Methods %s, "
              "Allow-Headers %s, Vary %s",
              what, r->status, r->body_len,
              header_or_none(r, "Access-Control-Allow-Origin"),
              header_or_none(r, "Access-Control-Allow-Methods"),
              header_or_none(r, "Access-Control-Allow-Headers"),
              header_or_none(r, "Vary"));
    return ok;
}

Test(cors, preflight_of_users_case_72)
{
    static const char *const h[] = {
        "Origin: https://a.example", "Access-Control-Request-Method: PUT",
        "Access-Control-Request-Headers: authorization,content-type", NULL};
    struct it_response *r = request("OPTIONS", "/v1/users", NULL, h);

    cr_assert(
        is_preflight("OPTIONS /v1/users", r, "authorization,content-type"));
    /* no credentials, no max-age (cors() defaults) */
    cr_assert_null(it_header(r, "Access-Control-Allow-Credentials"));
    cr_assert_null(it_header(r, "Access-Control-Max-Age"));
}

Test(cors, any_options_under_v1_is_a_preflight)
{
    static const char *const paths[] = {
        "/v1/users/someone",
        "/v1/groups",
        "/v1/groups/g",
        "/v1/groups/g/members",
        "/v1/organizations",
        "/v1/organizations/o/members",
        "/v1/batch",
        "/v1/client/viewer",
        "/v1/client/user/u",
        "/v1/client/users?users=%5B%5D",
        "/v1/client/groupMembers/g",
        "/v1/authorize",
        "/v1/verify",
        "/v1/does-not-exist",
        "/v1/groups/cord%3Ax",
        "/V1/GROUPS/",
    };
    static const char *const h[] = {
        "Origin: https://b.example", "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: x-custom,Authorization", NULL};
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct it_response r;

        it_http("OPTIONS", url(paths[i]), NULL, 0, h, &r);
        is_preflight(paths[i], &r, "x-custom,Authorization");
        it_response_free(&r);
    }
}

Test(cors, preflight_needs_no_token_and_ignores_a_bad_one)
{
    static const char *const bad[] = {
        "Authorization: Bearer invalid", "Access-Control-Request-Method: GET",
        "Access-Control-Request-Headers: authorization", NULL};
    static const char *const bare[] = {"Access-Control-Request-Method: GET",
                                       NULL};

    is_preflight("bad token", request("OPTIONS", "/v1/groups", NULL, bad),
                 "authorization");
    /* without Access-Control-Request-Headers */
    is_preflight("no request headers",
                 request("OPTIONS", "/v1/groups", NULL, bare), NULL);
    /* even with no header at all */
    is_preflight("no headers", request("OPTIONS", "/v1/batch", "{}", NULL),
                 NULL);
}

Test(cors, every_v1_answer_allows_any_origin)
{
    const char *auth[] = {server_bearer(), "Content-Type: application/json",
                          NULL};
    const char *client_bad[] = {"Authorization: Bearer a.b.c", NULL};
    const char *json[] = {"Content-Type: application/json", NULL};
    char *two_mib = malloc(2 * 1048576 + 16);
    struct {
        const char *method, *path, *body;
        const char *const *headers;
        long status;
    } rows[] = {
        {"GET", "/v1/users?limit=1", NULL, auth, 200},
        {"GET", "/v1/verify", NULL, auth, 200},
        {"HEAD", "/v1/verify", NULL, auth, 200},
        {"GET", "/v1/groups", NULL, auth, 200},
        {"GET", "/v1/users", NULL, NULL, 401},
        {"GET", "/v1/groups", NULL, NULL, 401},
        {"GET", "/v1/users/cord%3Ax", NULL, auth, 400},
        {"GET", "/v1/groups/cord%3Ax", NULL, auth, 400},
        {"GET", "/v1/groups/cors-test-no-such-group", NULL, auth, 404},
        {"POST", "/v1/groups", "{}", auth, 405},
        {"POST", "/v1/batch", "{\"foo\":1}", auth, 400},
        {"POST", "/v1/authorize", NULL, json, 400},
        {"PUT", "/v1/users/cors-test", two_mib, auth, 413},
        {"GET", "/v1/client/viewer", NULL, client_bad, 403},
        {"GET", "/v1/does-not-exist", NULL, auth, 404},
    };
    size_t i;

    cr_assert(two_mib != NULL);
    memset(two_mib, ' ', 2 * 1048576 + 15);
    two_mib[0] = '{';
    two_mib[2 * 1048576 + 14] = '}';
    two_mib[2 * 1048576 + 15] = '\0';
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct it_response r;

        it_http(rows[i].method, url(rows[i].path), rows[i].body,
                rows[i].body ? strlen(rows[i].body) : 0, rows[i].headers, &r);
        cr_expect_eq(r.status, rows[i].status, "%s %s: %ld %s", rows[i].method,
                     rows[i].path, r.status, r.body);
        cr_expect_str_eq(header_or_none(&r, "Access-Control-Allow-Origin"), "*",
                         "%s %s (%ld)", rows[i].method, rows[i].path, r.status);
        it_response_free(&r);
    }
    free(two_mib);
}

Test(cors, generate_cord_token_keeps_its_own_origin)
{
    static const char *const pre[] = {"Origin: http://localhost:5173",
                                      "Access-Control-Request-Method: GET",
                                      NULL};
    struct it_response *r = request("GET", "/generate-cord-token", NULL, NULL);

    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    cr_assert_str_eq(header_or_none(r, "Access-Control-Allow-Origin"),
                     "http://localhost:5173");
    r = request("OPTIONS", "/generate-cord-token", NULL, pre);
    cr_assert_eq(r->status, 204, "%ld %s", r->status, r->body);
    cr_assert_str_eq(header_or_none(r, "Access-Control-Allow-Origin"),
                     "http://localhost:5173");
}

Test(cors, health_and_metrics_have_no_cors_header)
{
    static const char *const pre[] = {"Origin: https://a.example",
                                      "Access-Control-Request-Method: GET",
                                      NULL};
    static const char *const paths[] = {"/healthz", "/metrics"};
    size_t i;

    for (i = 0; i < 2; i++) {
        struct it_response *r = request("GET", paths[i], NULL, pre);

        cr_expect_eq(r->status, 200, "%s: %ld", paths[i], r->status);
        cr_expect_null(it_header(r, "Access-Control-Allow-Origin"), "GET %s",
                       paths[i]);
        r = request("OPTIONS", paths[i], NULL, pre);
        cr_expect_neq(r->status, 204, "OPTIONS %s", paths[i]);
        cr_expect_null(it_header(r, "Access-Control-Allow-Origin"),
                       "OPTIONS %s", paths[i]);
        cr_expect_null(it_header(r, "Access-Control-Allow-Methods"),
                       "OPTIONS %s", paths[i]);
    }
}

/* Outside /v1 an unknown path is no preflight either. */
Test(cors, options_outside_v1_is_not_a_preflight)
{
    static const char *const pre[] = {"Access-Control-Request-Method: GET",
                                      NULL};
    struct it_response *r = request("OPTIONS", "/v2/users", NULL, pre);

    cr_assert_neq(r->status, 204);
    cr_assert_null(it_header(r, "Access-Control-Allow-Origin"));
    r = request("OPTIONS", "/v1x", NULL, pre);
    cr_assert_neq(r->status, 204);
    cr_assert_null(it_header(r, "Access-Control-Allow-Origin"));
}
