/* Client auth tokens: GET /generate-cord-token (seeds 1 and 2, DESIGN 5),
 * with its CORS, its userIndex rule, its users file and its switch, and
 * GET /v1/client/viewer with tokens signed here (cord-api.md 3.7, 12 cases
 * 44 and 66-70), through nginx to cordgate and PostgreSQL. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cordgate/b64url.h"
#include "harness.h"

#define SEED_ORG "starpotterdunewars"

/* What the seed passes to getClientAuthToken for users[i], as
 * JSON.stringify writes it, without the closing brace: the service appends
 * project_id, iat and exp, as jsonwebtoken does. */
static const char *const seed_prefix[] = {
    "{\"user_id\":\"severusatreides\",\"organization_id\":\"" SEED_ORG
    "\",\"user_details\":{\"email\":\"sevvy@arrakis.spice\",\"name\":"
    "\"Severus Atreides\"},\"organization_details\":{\"name\":\"" SEED_ORG
    "\"}",
    "{\"user_id\":\"minervahalleck\",\"organization_id\":\"" SEED_ORG
    "\",\"user_details\":{\"email\":\"\",\"name\":\"Minerva Halleck\"},"
    "\"organization_details\":{\"name\":\"" SEED_ORG "\"}",
    "{\"user_id\":\"hermioneorgana\",\"organization_id\":\"" SEED_ORG
    "\",\"user_details\":{\"email\":\"\",\"name\":\"Hermione Organa\"},"
    "\"organization_details\":{\"name\":\"" SEED_ORG "\"}",
    "{\"user_id\":\"jarjarmarvolo\",\"organization_id\":\"" SEED_ORG
    "\",\"user_details\":{\"email\":\"meesa@lowkey.sith\",\"name\":"
    "\"Jar Jar Marvolo\"},\"organization_details\":{\"name\":\"" SEED_ORG "\"}",
};
static const char *const seed_ids[] = {"severusatreides", "minervahalleck",
                                       "hermioneorgana", "jarjarmarvolo"};

/* 60 digits: 3 mod 4, 1 mod 3; its negative is 1 mod 4, 2 mod 3. */
#define BIG "123456789012345678901234567890123456789012345678901234567891"

static pid_t spare_master;

static void
stop_spare(void)
{
    it_stop(spare_master);
    spare_master = 0;
}

static char *
url_on(const char *base_var, const char *path)
{
    static char buf[2][1024];
    static int k;

    k ^= 1;
    snprintf(buf[k], sizeof(buf[k]), "%s%s", it_env(base_var), path);
    return buf[k];
}

static char *
url(const char *path)
{
    return url_on("CORDGATE_TEST_URL", path);
}

static char *
spare(const char *path)
{
    return url_on("CORDGATE_TEST_SPARE_URL", path);
}

static const char *
app_id(void)
{
    return it_env("CORDGATE_TEST_APP_ID");
}

static const char *
secret(void)
{
    return it_env("CORDGATE_TEST_APP_SECRET");
}

/* A unique tag for the ids a test creates. */
static const char *
tag(void)
{
    static char buf[64];

    if (buf[0] == '\0')
        snprintf(buf, sizeof(buf), "ct%ld-%d", (long)time(NULL), (int)getpid());
    return buf;
}

static char *
xprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0);
    return s;
}

/* The payload of a compact JWT, as text; the caller frees it. */
static char *
jwt_payload(const char *token)
{
    const char *dot1 = strchr(token, '.'), *dot2;
    size_t n, len;
    char *out;

    cr_assert(dot1 != NULL, "not a JWT: %s", token);
    dot2 = strchr(dot1 + 1, '.');
    cr_assert(dot2 != NULL && strchr(dot2 + 1, '.') == NULL, "not a JWT: %s",
              token);
    n = (size_t)(dot2 - dot1 - 1);
    out = malloc(b64url_decoded_max_len(n) + 1);
    cr_assert(out != NULL);
    cr_assert_eq(
        b64url_decode(out, b64url_decoded_max_len(n), dot1 + 1, n, &len), 0,
        "payload of %s", token);
    out[len] = '\0';
    return out;
}

static long
json_int(struct json_object *o, const char *key)
{
    struct json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
    cr_assert(json_object_is_type(v, json_type_int), "%s is not an integer",
              key);
    return (long)json_object_get_int64(v);
}

static const char *
json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
    return json_object_is_type(v, json_type_null) ? NULL
                                                  : json_object_get_string(v);
}

/* GET a test token from full_url; asserts 200 {"clientAuthToken": JWT} and
 * returns the token (the caller frees it). */
static char *
fetch_test_token(const char *full_url, struct it_response *r)
{
    struct json_object *o, *t;
    char *token;

    it_http("GET", full_url, NULL, 0, NULL, r);
    cr_assert_eq(r->status, 200, "GET %s: %ld %s", full_url, r->status,
                 r->body);
    o = it_json(r);
    cr_assert_eq(json_object_object_length(o), 1, "%s", r->body);
    cr_assert(json_object_object_get_ex(o, "clientAuthToken", &t), "%s",
              r->body);
    cr_assert(json_object_is_type(t, json_type_string));
    token = strdup(json_object_get_string(t));
    json_object_put(o);
    return token;
}

/* The token is exactly prefix + project_id, iat, exp = iat + 60, signed
 * HS512 with the app secret (by the harness's own HMAC): what
 * getClientAuthToken makes of the same payload at the same second. */
static void
assert_token_is(const char *token, const char *prefix)
{
    char *payload = jwt_payload(token), *want_payload, *want;
    struct json_object *claims = json_tokener_parse(payload);
    long iat, exp;

    cr_assert(claims != NULL, "payload is not JSON: %s", payload);
    iat = json_int(claims, "iat");
    exp = json_int(claims, "exp");
    cr_assert_eq(exp - iat, 60);
    cr_assert(labs(iat - (long)time(NULL)) <= 60, "iat %ld is not now", iat);
    want_payload = xprintf("%s,\"project_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
                           prefix, app_id(), iat, exp);
    cr_assert_str_eq(payload, want_payload);
    want = it_jwt("HS512", want_payload, secret());
    cr_assert_str_eq(token, want);
    free(want);
    free(want_payload);
    json_object_put(claims);
    free(payload);
}

static void
viewer_with(const char *base_var, const char *header, struct it_response *r)
{
    const char *h[] = {header, NULL};

    it_http("GET", url_on(base_var, "/v1/client/viewer"), NULL, 0,
            header ? h : NULL, r);
}

static void
viewer(const char *token, struct it_response *r)
{
    viewer_with("CORDGATE_TEST_URL", it_bearer(token), r);
}

/* 403 with exactly {"error":"invalid_session - <inner>"}. */
static void
expect_refused(const struct it_response *r, const char *inner)
{
    const char *ct = it_header(r, "Content-Type");
    struct json_object *o = json_object_new_object();
    char *error = xprintf("invalid_session - %s", inner), *want;

    json_object_object_add(o, "error", json_object_new_string(error));
    free(error);
    want = strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE));
    cr_assert_eq(r->status, 403, "status %ld: %s", r->status, r->body);
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0,
              "Content-Type %s", ct ? ct : "(none)");
    cr_assert_str_eq(r->body, want);
    free(want);
    json_object_put(o);
}

/* "Authorization: Bearer <token>", freeing token. */
static char *
bearer_line(char *token)
{
    char *line = xprintf("Authorization: Bearer %s", token);

    free(token);
    return line;
}

/* A client token {project_id: APP, <claims>, iat, exp} signed with alg. */
static char *
client_token(const char *alg, const char *claims, const char *key)
{
    long now = (long)time(NULL);
    char *payload =
        xprintf("{%s%s\"project_id\":\"%s\",\"iat\":%ld,"
                "\"exp\":%ld}",
                claims, claims[0] ? "," : "", app_id(), now, now + 60);
    char *t = it_jwt(alg, payload, key ? key : secret());

    free(payload);
    return t;
}

static long
count_sql(const char *fmt, const char *arg)
{
    char *q = xprintf(fmt, app_id(), arg), *v = it_sql_value(q);
    long n;

    cr_assert(v != NULL, "%s", q);
    n = atol(v);
    free(v);
    free(q);
    return n;
}

/* ------------------------------------------------ the main instance */

Test(test_tokens, json_with_a_charset_and_the_default_cors_origin)
{
    struct it_response r;
    const char *ct;
    char *token = fetch_test_token(url("/generate-cord-token?userIndex=0"), &r);

    ct = it_header(&r, "Content-Type");
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0 &&
                  strstr(ct, "charset=utf-8") != NULL,
              "Content-Type %s", ct ? ct : "(none)");
    cr_assert_str_eq(it_header(&r, "Access-Control-Allow-Origin")
                         ? it_header(&r, "Access-Control-Allow-Origin")
                         : "(none)",
                     "http://localhost:5173");
    it_response_free(&r);
    free(token);
}

Test(test_tokens, cors_preflight)
{
    static const char *const h[] = {
        "Origin: http://localhost:5173", "Access-Control-Request-Method: GET",
        "Access-Control-Request-Headers: content-type", NULL};
    struct it_response r;
    const char *v;

    it_http("OPTIONS", url("/generate-cord-token?userIndex=2"), NULL, 0, h, &r);
    cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
    cr_assert_eq(r.body_len, 0);
    v = it_header(&r, "Access-Control-Allow-Origin");
    cr_assert_str_eq(v ? v : "(none)", "http://localhost:5173");
    v = it_header(&r, "Access-Control-Allow-Methods");
    cr_assert(v != NULL && strstr(v, "GET") != NULL, "Allow-Methods %s",
              v ? v : "(none)");
    v = it_header(&r, "Access-Control-Allow-Headers");
    cr_assert(v != NULL && strcasestr(v, "content-type") != NULL,
              "Allow-Headers %s", v ? v : "(none)");
    it_response_free(&r);
}

Test(test_tokens, user_index_follows_the_seed_and_tokens_are_the_sdks)
{
    static const struct {
        const char *query;
        int index;
    } rows[] = {
        {"", 0},
        {"?userIndex=", 0},
        {"?userIndex=abc", 0},
        {"?userIndex=0", 0},
        {"?userIndex=1", 1},
        {"?userIndex=2", 2},
        {"?userIndex=3", 3},
        {"?userIndex=4", 0},
        {"?userIndex=2abc", 2},
        {"?userIndex=-1", 3},
        {"?userIndex=-4", 0},
        {"?userIndex=-6", 2},
        {"?userIndex=" BIG, 3},
        {"?userIndex=-" BIG, 1},
        {"?userIndex=99999999999999999999999999999999999999999999999999999"
         "99999999999999999999999999999999999999999999999999999999999999",
         3},
        {"?userIndex=%2B5", 1},
        {"?userIndex=+5", 1},
        {"?userIndex=%203", 3},
        {"?userIndex=1.9", 1},
        {"?userIndex=0x2", 0},
        {"?userIndex=-", 0},
        {"?userIndex=%31", 1},
        {"?other=1&userIndex=2", 2},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *path = xprintf("/generate-cord-token%s", rows[i].query);
        struct it_response r;
        char *token = fetch_test_token(url(path), &r);

        cr_log_info("%s -> %d", rows[i].query, rows[i].index);
        assert_token_is(token, seed_prefix[rows[i].index]);
        it_response_free(&r);
        free(token);
        free(path);
    }
}

Test(test_tokens, the_seed_flow_through_the_viewer)
{
    static const char *const queries[] = {"0", "1", "2", "3", "-1"};
    static const int index[] = {0, 1, 2, 3, 3};
    size_t i;

    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        char *path = xprintf("/generate-cord-token?userIndex=%s", queries[i]);
        struct it_response r;
        char *token = fetch_test_token(url(path), &r);
        struct json_object *o;
        const char *g;

        it_response_free(&r);
        viewer(token, &r);
        cr_assert_eq(r.status, 200, "userIndex=%s: %ld %s", queries[i],
                     r.status, r.body);
        o = it_json(&r);
        cr_assert_str_eq(json_str(o, "id"), seed_ids[index[i]]);
        g = json_str(o, "groupID");
        cr_assert_str_eq(g ? g : "(null)", SEED_ORG);
        /* Cord's ViewerUserData: the groups' ids. */
        cr_assert(strstr(r.body, "\"groups\":[\"" SEED_ORG "\"]") != NULL, "%s",
                  r.body);
        json_object_put(o);
        it_response_free(&r);
        cr_assert_eq(count_sql("SELECT count(*) FROM group_members WHERE "
                               "app_id = '%s' AND group_id = '" SEED_ORG
                               "' AND user_id = '%s'",
                               seed_ids[index[i]]),
                     1);
        free(token);
        free(path);
    }
}

/* ------------------------------------------------ a cordgate of our own */

TestSuite(spare, .fini = stop_spare);

Test(spare, no_test_tokens_without_CORDGATE_TEST_TOKENS)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1", NULL};
    static const char *const pre[] = {"Access-Control-Request-Method: GET",
                                      NULL};
    struct it_response r;

    /* The child inherits our environment: make sure it has no switch. */
    unsetenv("CORDGATE_TEST_TOKENS");
    unsetenv("CORDGATE_TEST_USERS_FILE");
    spare_master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    it_http("GET", spare("/generate-cord-token"), NULL, 0, NULL, &r);
    it_assert_error(&r, 404, "not_found");
    cr_assert_null(it_header(&r, "Access-Control-Allow-Origin"));
    it_response_free(&r);
    it_http("GET", spare("/generate-cord-token?userIndex=1"), NULL, 0, NULL,
            &r);
    it_assert_error(&r, 404, "not_found");
    it_response_free(&r);
    it_http("OPTIONS", spare("/generate-cord-token"), NULL, 0, pre, &r);
    it_assert_error(&r, 404, "not_found");
    it_response_free(&r);
}

Test(spare, serves_a_users_file_in_its_order)
{
    char *zz = xprintf("zz-%s", tag()), *aa = xprintf("aa-%s", tag());
    char *grp = xprintf("grp-%s", tag());
    long num = 900000000L + (long)(time(NULL) % 100000000L);
    /* Written as JSON.stringify would write each user, so each is its own
     * expected payload prefix; deliberately not in id order. */
    char *users[3];
    char *path, *env_file, *env_app, *content;
    const char *env[6];
    static const struct {
        const char *query;
        int index;
    } rows[] = {
        {"", 0},
        {"?userIndex=1", 1},
        {"?userIndex=2", 2},
        {"?userIndex=3", 0},
        {"?userIndex=-1", 2},
        {"?userIndex=" BIG, 1},
        {"?userIndex=-" BIG, 2},
    };
    size_t i;
    FILE *f;

    users[0] = xprintf("{\"user_id\":\"%s\",\"user_details\":{\"name\":"
                       "\"Zo\xc3\xab \\\"Z\\\" / Z\\t\",\"email\":\"\","
                       "\"metadata\":{\"n\":1.5,\"k\":\"v\",\"b\":true}}",
                       zz);
    users[1] = xprintf("{\"user_id\":\"%s\",\"group_id\":\"%s\","
                       "\"user_details\":{\"name\":\"Aa\"},"
                       "\"group_details\":{\"name\":\"Group %s\"}",
                       aa, grp, tag());
    users[2] = xprintf("{\"user_id\":%ld,\"user_details\":{\"email\":"
                       "\"m%ld@x.io\"}",
                       num, num);
    content = xprintf("[%s},\n  %s},\n  %s}]\n", users[0], users[1], users[2]);
    path = xprintf("%s/client-users-%s.json", it_env("CORDGATE_TEST_WORKDIR"),
                   tag());
    f = fopen(path, "w");
    cr_assert(f != NULL, "%s", path);
    fputs(content, f);
    cr_assert_eq(fclose(f), 0);

    env_file = xprintf("CORDGATE_TEST_USERS_FILE=%s", path);
    env_app = xprintf("CORDGATE_TEST_APP_ID=%s", app_id());
    env[0] = "CORDGATE_TEST_TOKENS=1";
    env[1] = env_file;
    env[2] = env_app;
    env[3] = "CORDGATE_CORS_ORIGIN=https://app.example.test";
    env[4] = "CORDGATE_WORKERS=2";
    env[5] = NULL;
    spare_master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *p = xprintf("/generate-cord-token%s", rows[i].query);
        struct it_response r;
        char *token = fetch_test_token(spare(p), &r);
        const char *origin = it_header(&r, "Access-Control-Allow-Origin");

        cr_log_info("%s -> %d", rows[i].query, rows[i].index);
        cr_assert_str_eq(origin ? origin : "(none)",
                         "https://app.example.test");
        assert_token_is(token, users[rows[i].index]);
        it_response_free(&r);
        free(token);
        free(p);
    }

    /* And each token is good on the viewer, which creates what it says. */
    for (i = 0; i < 3; i++) {
        char *p = xprintf("/generate-cord-token?userIndex=%zu", i);
        struct it_response r;
        char *token = fetch_test_token(spare(p), &r);
        struct json_object *o;
        char *want_id = i == 0   ? strdup(zz)
                        : i == 1 ? strdup(aa)
                                 : xprintf("%ld", num);
        const char *g;

        it_response_free(&r);
        viewer_with("CORDGATE_TEST_SPARE_URL", it_bearer(token), &r);
        cr_assert_eq(r.status, 200, "user %zu: %ld %s", i, r.status, r.body);
        o = it_json(&r);
        cr_assert_str_eq(json_str(o, "id"), want_id);
        g = json_str(o, "groupID");
        if (i == 1)
            cr_assert_str_eq(g ? g : "(null)", grp);
        else
            cr_assert_null(g);
        if (i == 0)
            cr_assert_str_eq(json_str(o, "name"), "Zo\xc3\xab \"Z\" / Z\t");
        json_object_put(o);
        it_response_free(&r);
        free(want_id);
        free(token);
        free(p);
    }
    cr_assert_eq(count_sql("SELECT count(*) FROM group_members WHERE app_id "
                           "= '%s' AND group_id = '%s'",
                           grp),
                 1);
    cr_assert_eq(count_sql("SELECT count(*) FROM users WHERE app_id = '%s' "
                           "AND id = '%s' AND email IS NULL",
                           zz),
                 1);

    unlink(path);
    for (i = 0; i < 3; i++)
        free(users[i]);
    free(content);
    free(env_file);
    free(env_app);
    free(path);
    free(grp);
    free(aa);
    free(zz);
}

/* A users file that is not one exits 2 with one line, before serving. */
Test(spare, a_bad_users_file_is_a_configuration_error, .timeout = 60)
{
    static const char *const bad[] = {
        "{}",
        "[]",
        "[{\"name\":\"no user_id\"}]",
        "[{\"user_id\":\"\"}]",
        "[{\"user_id\":\"a\",\"project_id\":\"x\"}]",
        "[{\"user_id\":\"a\",\"exp\":1}]",
        "[\"a\"]",
        "not json",
    };
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *argv[] = {bin, "serve", NULL};
    size_t i;

    for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
        char *path = xprintf("%s/client-bad-%s-%zu.json",
                             it_env("CORDGATE_TEST_WORKDIR"), tag(), i);
        char *sock = xprintf("%s/client-bad-%d.sock",
                             it_env("CORDGATE_TEST_WORKDIR"), (int)getpid());
        char *e_db = xprintf("CORDGATE_DATABASE_URL=%s",
                             it_env("CORDGATE_TEST_DATABASE_URL"));
        char *e_listen = xprintf("CORDGATE_LISTEN=%s", sock);
        char *e_app = xprintf("CORDGATE_TEST_APP_ID=%s", app_id());
        char *e_file = xprintf("CORDGATE_TEST_USERS_FILE=%s", path);
        const char *env[] = {e_db,  e_listen, "CORDGATE_TEST_TOKENS=1",
                             e_app, e_file,   NULL};
        char err[4096];
        int rc;

        /* The last round names a file that does not exist. */
        if (i < sizeof(bad) / sizeof(bad[0])) {
            FILE *f = fopen(path, "w");

            cr_assert(f != NULL);
            fputs(bad[i], f);
            cr_assert_eq(fclose(f), 0);
        }
        rc = it_run(argv, env, err, sizeof(err));
        cr_assert_eq(rc, 2, "users file %s: exit %d: %s",
                     i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : "(missing)",
                     rc, err);
        cr_assert(strchr(err, '\n') == strrchr(err, '\n') &&
                      strstr(err, "CORDGATE_TEST_USERS_FILE") != NULL,
                  "stderr: %s", err);
        unlink(path);
        unlink(sock);
        free(e_file);
        free(e_app);
        free(e_listen);
        free(e_db);
        free(sock);
        free(path);
    }
}

/* ------------------------------------------------ GET /v1/client/viewer */

Test(viewer, user_details_create_the_user_case_66)
{
    char *id = xprintf("c1-%s", tag());
    char *claims = xprintf("\"user_id\":\"%s\",\"user_details\":{\"name\":"
                           "\"C One\",\"email\":\"c1@x.io\"}",
                           id);
    char *token = client_token("HS512", claims, NULL);
    struct it_response r;
    struct json_object *o;

    viewer(token, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    o = it_json(&r);
    cr_assert_str_eq(json_str(o, "id"), id);
    cr_assert_str_eq(json_str(o, "name"), "C One");
    json_object_put(o);
    it_response_free(&r);
    cr_assert_eq(count_sql("SELECT count(*) FROM users WHERE app_id = '%s' "
                           "AND id = '%s' AND name = 'C One' AND "
                           "email = 'c1@x.io' AND status = 'active'",
                           id),
                 1);
    free(token);
    free(claims);
    free(id);
}

Test(viewer, group_details_create_the_group_and_membership_case_67)
{
    char *id = xprintf("c2-%s", tag()), *g = xprintf("cg-%s", tag());
    char *claims = xprintf("\"user_id\":\"%s\",\"user_details\":{},"
                           "\"group_id\":\"%s\",\"group_details\":{\"name\":"
                           "\"CG\"}",
                           id, g);
    char *token = client_token("HS512", claims, NULL);
    char *q;
    char *member;
    struct it_response r;

    viewer(token, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    q = xprintf("SELECT string_agg(user_id, ',') FROM group_members WHERE "
                "app_id = '%s' AND group_id = '%s'",
                app_id(), g);
    member = it_sql_value(q);
    cr_assert_str_eq(member ? member : "(none)", id);
    free(member);
    free(q);
    free(token);
    free(claims);
    free(g);
    free(id);
}

Test(viewer, wrong_secret_unknown_user_and_hs256_cases_68_to_70)
{
    char *id = xprintf("c3-%s", tag());
    char *claims = xprintf("\"user_id\":\"%s\",\"user_details\":{}", id);
    char *token = client_token("HS512", claims, "not the secret");
    char *msg;
    struct it_response r;

    viewer(token, &r);
    expect_refused(&r, "JsonWebTokenError: invalid signature");
    it_response_free(&r);
    free(token);

    token = client_token("HS512", "\"user_id\":\"nobody\"", NULL);
    viewer(token, &r);
    msg = xprintf("Unable to load user nobody in application %s. Perhaps the "
                  "user is marked 'deleted'.",
                  app_id());
    expect_refused(&r, msg);
    it_response_free(&r);
    free(msg);
    free(token);

    token = client_token("HS256", claims, NULL);
    viewer(token, &r);
    cr_assert_eq(r.status, 200, "HS256: %ld %s", r.status, r.body);
    it_response_free(&r);
    free(token);
    free(claims);
    free(id);
}

Test(viewer, a_user_put_deleted_is_refused_case_44)
{
    static const char *const deleted = "{\"status\":\"deleted\"}";
    char *id = xprintf("c4-%s", tag());
    char *claims = xprintf("\"user_id\":\"%s\",\"user_details\":{\"name\":"
                           "\"Dee\"}",
                           id);
    char *token = client_token("HS512", claims, NULL), *msg, *path, *srv;
    long now = (long)time(NULL);
    struct it_response r;

    viewer(token, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);

    msg = xprintf("{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", app_id(), now,
                  now + 60);
    srv = it_jwt("HS512", msg, secret());
    free(msg);
    path = xprintf("/v1/users/%s", id);
    {
        const char *h[] = {"Content-Type: application/json", it_bearer(srv),
                           NULL};

        it_http("PUT", url(path), deleted, strlen(deleted), h, &r);
    }
    cr_assert_eq(r.status, 200, "PUT status deleted: %ld %s", r.status, r.body);
    it_response_free(&r);

    free(token);
    free(claims);
    claims = xprintf("\"user_id\":\"%s\"", id);
    token = client_token("HS512", claims, NULL);
    viewer(token, &r);
    msg = xprintf("Unable to load user %s in application %s. Perhaps the "
                  "user is marked 'deleted'.",
                  id, app_id());
    expect_refused(&r, msg);
    it_response_free(&r);
    free(msg);
    free(path);
    free(srv);
    free(token);
    free(claims);
    free(id);
}

/* Tokens that must be refused, each naming new users and groups with
 * details: none of them may write anything. */
Test(viewer, bad_tokens_are_refused_and_create_nothing)
{
    const char *t = tag();
    char *like = xprintf("%%bad-%s%%", t);
    char *member_claims = xprintf(
        "\"user_id\":\"bad-%s-m\",\"user_details\":{},\"group_id\":\"bad-%s-"
        "g\",\"group_details\":{\"name\":\"G\"}",
        t, t);
    char *member = client_token("HS512", member_claims, NULL);
    long now = (long)time(NULL);
    struct it_response r;
    long users, groups, members;
    size_t i;
    struct {
        const char *what;
        char *header; /* the Authorization header line, or NULL */
        char *inner;  /* the exact inner message, or NULL: any */
    } rows[16];
    size_t n = 0;
    char *p;

#define ROW(w, h, m)                                                           \
    do {                                                                       \
        rows[n].what = (w);                                                    \
        rows[n].header = (h);                                                  \
        rows[n].inner = (m);                                                   \
        n++;                                                                   \
    } while (0)
#define BEARER(tok) bearer_line(tok)

    viewer(member, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    p = xprintf("\"user_id\":\"bad-%s-o\",\"user_details\":{}", t);
    free(member);
    member = client_token("HS512", p, NULL);
    free(p);
    viewer(member, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);

    p = xprintf("\"user_id\":\"bad-%s-u1\",\"user_details\":{\"name\":\"U\"},"
                "\"group_id\":\"bad-%s-g1\",\"group_details\":{\"name\":\"G\"}",
                t, t);
    ROW("wrong secret", BEARER(client_token("HS512", p, "wrong")),
        xprintf("JsonWebTokenError: invalid signature"));
    free(p);
    p = xprintf("{\"user_id\":\"bad-%s-u2\",\"user_details\":{},\"iat\":%ld,"
                "\"exp\":%ld,\"project_id\":\"%s\"}",
                t, now - 100, now - 2, app_id());
    ROW("expired", BEARER(it_jwt("HS512", p, secret())),
        xprintf("TokenExpiredError: jwt expired"));
    free(p);
    p = xprintf("{\"user_id\":\"bad-%s-u3\",\"user_details\":{}}", t);
    ROW("no project_id", BEARER(it_jwt("HS512", p, secret())),
        xprintf("Invalid ClientAuthTokenData:\nInput %s requires field: "
                "project_id.\nRefer to "
                "https://docs.cord.com/reference/authentication/",
                p));
    free(p);
    p = xprintf("{\"user_id\":\"bad-%s-u4\",\"user_details\":{},"
                "\"project_id\":\"0b6f3d1c-1f8e-4a7e-9b1c-5d8e2f3a4b5c\"}",
                t);
    ROW("unknown app", BEARER(it_jwt("HS512", p, "whatever")),
        xprintf("Platform project 0b6f3d1c-1f8e-4a7e-9b1c-5d8e2f3a4b5c not "
                "found."));
    free(p);
    p = xprintf("\"user_id\":\"bad-%s-u5\",\"user_details\":{\"email\":"
                "\"bad\"},\"group_id\":\"bad-%s-g5\",\"group_details\":{"
                "\"name\":\"G\"}",
                t, t);
    ROW("bad email", BEARER(client_token("HS512", p, NULL)),
        xprintf("Invalid ClientAuthTokenData:\nInput \"bad\" for "
                "user_details/email must match format \"email\".\nRefer to "
                "https://docs.cord.com/reference/authentication/"));
    free(p);
    p = xprintf("\"user_id\":\"bad-%s-u6\",\"user_details\":{},"
                "\"group_details\":{\"name\":\"G\"}",
                t);
    ROW("group_details without group_id",
        BEARER(client_token("HS512", p, NULL)),
        xprintf("Specified group_details to create/update a group, but not a "
                "group_id to create/update."));
    free(p);
    p = xprintf("\"user_id\":\"bad-%s-o\",\"group_id\":\"bad-%s-g\"", t, t);
    ROW("not a member", BEARER(client_token("HS512", p, NULL)),
        xprintf("The user is not a member of the group."));
    free(p);
    p = xprintf("\"user_id\":\"bad-%s-u7\"", t);
    ROW("unknown user", BEARER(client_token("HS512", p, NULL)),
        xprintf("Unable to load user bad-%s-u7 in application %s. Perhaps "
                "the user is marked 'deleted'.",
                t, app_id()));
    free(p);
    p = xprintf("\"user_id\":\"bad-%s-u8\",\"user_details\":{},"
                "\"group_id\":\"bad-%s-g8\",\"group_details\":{\"name\":\"G\","
                "\"members\":[\"bad-%s-ghost\"]}",
                t, t, t);
    ROW("unknown member", BEARER(client_token("HS512", p, NULL)),
        xprintf("Platform user bad-%s-ghost not found.", t));
    free(p);
    ROW("Bearer x", xprintf("Authorization: Bearer x"), NULL);
    ROW("Basic y", xprintf("Authorization: Basic y"),
        xprintf("Malformed authorization header: no type prefix"));
    ROW("no header", NULL, NULL);
    p = xprintf("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    {
        /* alg none: header.payload. with an empty signature */
        char *payload = xprintf("{\"user_id\":\"bad-%s-u9\",\"user_details\":"
                                "{},\"project_id\":\"%s\"}",
                                t, app_id());
        char h64[128], p64[512];

        h64[b64url_encode(h64, p, strlen(p))] = '\0';
        p64[b64url_encode(p64, payload, strlen(payload))] = '\0';
        ROW("alg none", xprintf("Authorization: Bearer %s.%s.", h64, p64),
            xprintf("JsonWebTokenError: jwt signature is required"));
        free(payload);
    }
    free(p);
    cr_assert(n <= sizeof(rows) / sizeof(rows[0]));

    users = count_sql("SELECT count(*) FROM users WHERE app_id = '%s' AND "
                      "id LIKE '%s'",
                      like);
    groups = count_sql("SELECT count(*) FROM groups WHERE app_id = '%s' AND "
                       "id LIKE '%s'",
                       like);
    members = count_sql("SELECT count(*) FROM group_members WHERE app_id = "
                        "'%1$s' AND (group_id LIKE '%2$s' OR user_id LIKE "
                        "'%2$s')",
                        like);
    cr_assert_eq(users, 2);
    cr_assert_eq(groups, 1);
    cr_assert_eq(members, 1);

    for (i = 0; i < n; i++) {
        viewer_with("CORDGATE_TEST_URL", rows[i].header, &r);
        cr_log_info("%s: %ld %s", rows[i].what, r.status, r.body);
        if (rows[i].inner != NULL) {
            expect_refused(&r, rows[i].inner);
        } else {
            struct json_object *o = it_json(&r);
            const char *e;

            cr_assert_eq(r.status, 403, "%s: %ld %s", rows[i].what, r.status,
                         r.body);
            cr_assert_eq(json_object_object_length(o), 1, "%s", r.body);
            e = json_str(o, "error");
            cr_assert(e != NULL && strncmp(e, "invalid_session - ", 18) == 0,
                      "%s: %s", rows[i].what, r.body);
            json_object_put(o);
        }
        it_response_free(&r);
    }

    cr_assert_eq(count_sql("SELECT count(*) FROM users WHERE app_id = '%s' "
                           "AND id LIKE '%s'",
                           like),
                 users, "a refused token created a user");
    cr_assert_eq(count_sql("SELECT count(*) FROM groups WHERE app_id = '%s' "
                           "AND id LIKE '%s'",
                           like),
                 groups, "a refused token created a group");
    cr_assert_eq(count_sql("SELECT count(*) FROM group_members WHERE app_id "
                           "= '%1$s' AND (group_id LIKE '%2$s' OR user_id "
                           "LIKE '%2$s')",
                           like),
                 members, "a refused token created a membership");
    for (i = 0; i < n; i++) {
        free(rows[i].header);
        free(rows[i].inner);
    }
#undef BEARER
#undef ROW
    free(member);
    free(member_claims);
    free(like);
}

/*
 * Client tokens are verified as Cord verifies them (jsonwebtoken with no
 * maxAge and no tolerance), so an iat in the future is accepted: Cord's
 * Python SDK stamps iat with the host's local time, hours ahead of UTC
 * east of Greenwich.  A crit header parameter is refused (RFC 7515 4.1.11),
 * where Cord would accept it; no SDK writes one.
 */
Test(viewer, iat_in_the_future_is_accepted_as_cord_and_crit_refused)
{
    const char *t = tag();
    long now = (long)time(NULL);
    struct {
        const char *what;
        const char *header; /* NULL: the usual one */
        long iat, exp;      /* exp 0: none */
        const char *inner;  /* NULL: 200 */
    } rows[] = {
        {"iat two hours ahead", NULL, now + 7200, now + 7260, NULL},
        {"iat a day ahead", NULL, now + 86400, now + 86460, NULL},
        {"iat ten years ahead, no exp", NULL, now + 315576000, 0, NULL},
        {"crit", "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"crit\":[\"x\"],\"x\":1}",
         now, now + 60, "JsonWebTokenError: unsupported crit header parameter"},
        {"crit not a list", "{\"alg\":\"HS512\",\"crit\":true}", now, now + 60,
         "JsonWebTokenError: invalid crit header parameter"},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *id = xprintf("fut%zu-%s", i, t), *payload, *tok;
        struct it_response r;
        long users;

        if (rows[i].exp != 0)
            payload = xprintf("{\"user_id\":\"%s\",\"user_details\":{},"
                              "\"project_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
                              id, app_id(), rows[i].iat, rows[i].exp);
        else
            payload = xprintf("{\"user_id\":\"%s\",\"user_details\":{},"
                              "\"project_id\":\"%s\",\"iat\":%ld}",
                              id, app_id(), rows[i].iat);
        tok = rows[i].header ? it_jwt_with_header("HS512", rows[i].header,
                                                  payload, secret())
                             : it_jwt("HS512", payload, secret());
        viewer(tok, &r);
        cr_log_info("%s: %ld %s", rows[i].what, r.status, r.body);
        if (rows[i].inner == NULL)
            cr_assert_eq(r.status, 200, "%s: %ld %s", rows[i].what, r.status,
                         r.body);
        else
            expect_refused(&r, rows[i].inner);
        it_response_free(&r);
        users = count_sql("SELECT count(*) FROM users WHERE app_id = '%s' "
                          "AND id = '%s'",
                          id);
        cr_assert_eq(users, rows[i].inner == NULL ? 1 : 0, "%s: %ld users %s",
                     rows[i].what, users, id);
        free(tok);
        free(payload);
        free(id);
    }
}
