/* POST /v1/authorize, bearer authentication and GET /v1/verify
 * (cord-api.md 12, cases 1-23), through nginx to cordgate and PostgreSQL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cordgate/b64url.h"
#include "harness.h"

static const char *const json_ct[] = {"Content-Type: application/json", NULL};

static char *
url(const char *path)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf), "%s%s", it_env("CORDGATE_TEST_URL"), path);
    return buf;
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

/* A token signed with the app's secret: payload_fmt may use %s for the app
 * id and %ld for now (in that order, as it needs). */
static char *
app_token(const char *alg, const char *payload, const char *key)
{
    return it_jwt(alg, payload, key ? key : secret());
}

static char *
srv(void)
{
    char payload[256];
    long now = (long)time(NULL);

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", app_id(), now,
             now + 60);
    return app_token("HS512", payload, NULL);
}

static void
authorize(const char *token, struct it_response *r)
{
    char body[16384];

    snprintf(body, sizeof(body), "{\"signed_app_token\":\"%s\"}", token);
    it_http("POST", url("/v1/authorize"), body, strlen(body), json_ct, r);
}

/* Assert status, code and the exact message. */
static void
expect(const struct it_response *r, long status, const char *code,
       const char *message)
{
    struct json_object *o, *m;

    it_assert_error(r, status, code);
    o = it_json(r);
    cr_assert(json_object_object_get_ex(o, "message", &m));
    cr_assert_str_eq(json_object_get_string(m), message);
    json_object_put(o);
}

static long
session_count(void)
{
    char *v = it_sql_value("SELECT count(*) FROM sessions");
    long n = atol(v);

    free(v);
    return n;
}

struct authorize_case {
    const char *name;
    const char *alg;
    const char *payload; /* %s = app id, %ld = now + offset */
    long offset;
    const char *key; /* NULL: the app's secret */
    long status;
    const char *code;
    const char *message;
};

Test(authorize, body_errors_in_cords_order)
{
    struct it_response r;
    char body[8192], *tok = srv();
    long before = session_count();

    it_http("POST", url("/v1/authorize"), NULL, 0, NULL, &r);
    expect(&r, 400, "missing_field",
           "Missing required field: signed_app_token.");
    it_response_free(&r);

    it_http("POST", url("/v1/authorize"), "[]", 2, json_ct, &r);
    expect(&r, 400, "missing_field",
           "Missing required field: signed_app_token.");
    it_response_free(&r);

    it_http("POST", url("/v1/authorize"), "{\"field_1\":1}", 13, json_ct, &r);
    expect(&r, 400, "missing_field",
           "Missing required field: signed_app_token.");
    it_response_free(&r);

    authorize("abc", &r);
    expect(&r, 400, "invalid_field",
           "Input type for signed_app_token is not valid, expected JWT.");
    it_response_free(&r);

    it_http("POST", url("/v1/authorize"), "{\"signed_app_token\":null}", 25,
            json_ct, &r);
    expect(&r, 400, "invalid_field",
           "Input type for signed_app_token is not valid, expected JWT.");
    it_response_free(&r);

    snprintf(body, sizeof(body),
             "{\"foo\":\"bar\",\"signed_app_token\":\"%s\"}", tok);
    it_http("POST", url("/v1/authorize"), body, strlen(body), json_ct, &r);
    expect(&r, 400, "unexpected_field",
           "foo is not a valid field name for this request. Expected 1 "
           "required field: signed_app_token.");
    it_response_free(&r);

    it_http("POST", url("/v1/authorize"), "{\"signed_app_token\":", 20, json_ct,
            &r);
    it_assert_error(&r, 400, "invalid_request");
    it_response_free(&r);

    it_http("POST", url("/v1/authorize"), "{\"signed_app_token\":\"\xff\"}", 24,
            json_ct, &r);
    it_assert_error(&r, 400, "invalid_request");
    it_response_free(&r);

    cr_assert_eq(session_count(), before, "a rejected request wrote");
    free(tok);
}

Test(authorize, issues_an_access_token)
{
    struct it_response r;
    struct json_object *o, *at, *exp, *claims, *sid, *v;
    char *tok = srv(), *q, *row;
    const char *a, *dot1, *dot2;
    unsigned char raw[1024];
    size_t rawlen;
    struct tm tm;
    long iat, expv, now = (long)time(NULL), expires;
    char frac[8];

    authorize(tok, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    o = it_json(&r);
    cr_assert_eq(json_object_object_length(o), 2);
    cr_assert(json_object_object_get_ex(o, "access_token", &at));
    cr_assert(json_object_object_get_ex(o, "expires", &exp));
    a = json_object_get_string(at);
    dot1 = strchr(a, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    cr_assert(dot1 && dot2 && !strchr(dot2 + 1, '.'));
    cr_assert_eq(
        b64url_decode(raw, sizeof(raw), a, (size_t)(dot1 - a), &rawlen), 0);
    raw[rawlen] = '\0';
    cr_assert_str_eq((char *)raw, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}");
    cr_assert_eq(b64url_decode(raw, sizeof(raw), dot1 + 1,
                               (size_t)(dot2 - dot1 - 1), &rawlen),
                 0);
    raw[rawlen] = '\0';
    claims = json_tokener_parse((char *)raw);
    cr_assert(claims != NULL);
    cr_assert(json_object_object_get_ex(claims, "session_id", &sid));
    cr_assert_eq(strlen(json_object_get_string(sid)), 36);
    cr_assert(json_object_object_get_ex(claims, "iat", &v));
    iat = json_object_get_int64(v);
    cr_assert(json_object_object_get_ex(claims, "exp", &v));
    expv = json_object_get_int64(v);
    cr_assert_eq(expv - iat, 86400);
    cr_assert(iat >= now - 5 && iat <= now + 5);

    /* expires: ISO-8601 UTC with milliseconds, 24 h from now. */
    memset(&tm, 0, sizeof(tm));
    cr_assert_eq(strlen(json_object_get_string(exp)), 24);
    cr_assert(sscanf(json_object_get_string(exp), "%d-%d-%dT%d:%d:%d.%3[0-9]Z",
                     &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec, frac) == 7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    expires = (long)timegm(&tm);
    cr_assert(labs(expires - (now + 86400)) <= 60, "expires %s",
              json_object_get_string(exp));

    /* The session is stored, for this app. */
    q = NULL;
    cr_assert(asprintf(&q, "SELECT app_id FROM sessions WHERE id = '%s'",
                       json_object_get_string(sid)) > 0);
    row = it_sql_value(q);
    cr_assert(row != NULL);
    cr_assert_str_eq(row, app_id());

    /* And the access token authenticates. */
    it_response_free(&r);
    {
        const char *h[] = {it_bearer(a), NULL};

        it_http("GET", url("/v1/verify"), NULL, 0, h, &r);
        cr_assert_eq(r.status, 200, "%s", r.body);
    }
    free(row);
    free(q);
    json_object_put(claims);
    json_object_put(o);
    it_response_free(&r);
    free(tok);
}

Test(authorize, token_failures_are_401_with_cords_messages)
{
    const struct authorize_case rows[] = {
        {"HS256", "HS256", "{\"app_id\":\"%s\",\"iat\":%ld}", 0, NULL, 401,
         "invalid_project_token", "JsonWebTokenError: invalid algorithm"},
        {"wrong secret", "HS512", "{\"app_id\":\"%s\",\"iat\":%ld}", 0, "wrong",
         401, "invalid_project_token", "JsonWebTokenError: invalid signature"},
        {"unknown app", "HS512",
         "{\"app_id\":\"6f1c2a52-3a9e-4c55-9a0e-2f1b3c4d5e6f\",\"iat\":%ld}", 0,
         "anything", 401, "project_not_found", "Platform project not found."},
        {"not a uuid", "HS512", "{\"app_id\":\"not-a-uuid\",\"iat\":%ld}", 0,
         NULL, 401, "invalid_project_token",
         "Input type for app_id is not valid, expected UUID."},
        {"user_id", "HS512",
         "{\"app_id\":\"%s\",\"user_id\":\"u\",\"iat\":%ld}", 0, NULL, 401,
         "invalid_project_token",
         "signed_app_token payload invalid, must contain only app_id"},
        {"project_id", "HS512", "{\"project_id\":\"%s\",\"iat\":%ld}", 0, NULL,
         401, "invalid_project_token",
         "signed_app_token payload is missing app_id."},
        {"max age", "HS512", "{\"app_id\":\"%s\",\"iat\":%ld}", -86431, NULL,
         401, "invalid_project_token", "TokenExpiredError: maxAge exceeded"},
        {"no iat", "HS512", "{\"app_id\":\"%s\"}", 0, NULL, 401,
         "invalid_project_token",
         "JsonWebTokenError: iat required when maxAge is specified"},
        {"expired", "HS512", "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
         -100, NULL, 401, "invalid_project_token",
         "TokenExpiredError: jwt expired"},
        {"not active", "HS512", "{\"app_id\":\"%s\",\"iat\":%ld,\"nbf\":%ld}",
         100, NULL, 401, "invalid_project_token",
         "NotBeforeError: jwt not active"},
        {"array payload", "HS512", "[1,2]", 0, NULL, 401,
         "invalid_project_token",
         "Input type for signed_app_token payload is not valid, expected "
         "object."},
    };
    long before = session_count();
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct authorize_case *c = &rows[i];
        long now = (long)time(NULL) + c->offset;
        char payload[512];
        struct it_response r;
        char *tok;

        if (strcmp(c->name, "expired") == 0)
            snprintf(payload, sizeof(payload), c->payload, app_id(), now,
                     now + 100 - 31);
        else if (strcmp(c->name, "not active") == 0)
            snprintf(payload, sizeof(payload), c->payload, app_id(), now - 100,
                     now);
        else if (strstr(c->payload, "%s") != NULL)
            snprintf(payload, sizeof(payload), c->payload, app_id(), now);
        else
            snprintf(payload, sizeof(payload), c->payload, now);
        tok = app_token(c->alg, payload, c->key);
        authorize(tok, &r);
        cr_expect_eq(r.status, c->status, "%s: %ld %s", c->name, r.status,
                     r.body);
        expect(&r, c->status, c->code, c->message);
        it_response_free(&r);
        free(tok);
    }
    cr_assert_eq(session_count(), before, "a rejected token wrote");
}

Test(authorize, exp_has_30_seconds_of_tolerance)
{
    char payload[256];
    long now = (long)time(NULL);
    struct it_response r;
    char *tok;

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", app_id(), now - 100,
             now - 20);
    tok = app_token("HS512", payload, NULL);
    authorize(tok, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    it_response_free(&r);
    free(tok);
}

Test(authorize, accepts_a_form_encoded_body)
{
    char *tok = srv(), body[8192];
    struct it_response r;

    snprintf(body, sizeof(body), "signed_app_token=%s", tok);
    it_http("POST", url("/v1/authorize"), body, strlen(body), NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    it_response_free(&r);
    free(tok);
}

static void
verify_with(const char *header, struct it_response *r)
{
    const char *h[] = {header, NULL};

    it_http("GET", url("/v1/verify"), NULL, 0, header ? h : NULL, r);
}

Test(bearer, header_errors)
{
    struct it_response r;

    verify_with(NULL, &r);
    expect(&r, 401, "missing_authorization_header",
           "Authorization header bearer token must be present.");
    it_response_free(&r);
    verify_with("Authorization: Basic abc", &r);
    expect(&r, 401, "invalid_authorization_header",
           "Expecting a token with a Bearer prefix.");
    it_response_free(&r);
    verify_with("Authorization: Bearer invalid", &r);
    expect(&r, 401, "invalid_authorization_header",
           "Input type for authorization header bearer token is not valid, "
           "expected JWT.");
    it_response_free(&r);
    verify_with("Authorization: Bearer invalid token", &r);
    expect(&r, 401, "invalid_authorization_header",
           "Input type for authorization header bearer token is not valid, "
           "expected JWT.");
    it_response_free(&r);
}

Test(bearer, verify_answers_with_the_app)
{
    struct it_response r;
    char *tok = srv(), *name, want[512], *q = NULL;

    cr_assert(asprintf(&q, "SELECT name FROM apps WHERE id = '%s'", app_id()) >
              0);
    name = it_sql_value(q);
    verify_with(it_bearer(tok), &r);
    cr_assert_eq(r.status, 200);
    snprintf(want, sizeof(want),
             "{\"success\":true,\"application_id\":\"%s\","
             "\"application_name\":\"%s\"}",
             app_id(), name);
    cr_assert_str_eq(r.body, want);
    it_response_free(&r);
    free(name);
    free(q);
    free(tok);
}

Test(bearer, project_id_tokens_of_go_and_java_are_accepted)
{
    char payload[256], *tok;
    long now = (long)time(NULL);
    struct it_response r;

    snprintf(payload, sizeof(payload),
             "{\"exp\":%ld,\"iat\":%ld,\"project_id\":\"%s\"}", now + 60, now,
             app_id());
    tok = app_token("HS512", payload, NULL);
    verify_with(it_bearer(tok), &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    it_response_free(&r);
    free(tok);
}

Test(bearer, server_token_failures)
{
    struct {
        const char *payload;
        const char *key;
        const char *message;
    } rows[] = {
        {"{}", NULL,
         "Please include the project_id if you are authorizing directly "
         "with a non-Cord signed token."},
        {"{\"session_id\":\"0b6f3d1c-1f8e-4a7e-9b1c-5d8e2f3a4b5c\"}",
         "random-secret",
         "Please include the project_id if you are authorizing directly "
         "with a non-Cord signed token."},
        {"{\"project_id\":\"%s\",\"user_id\":\"u1\",\"iat\":%ld}", NULL,
         "Authorization token payload invalid, must contain only "
         "project_id."},
        {"{\"app_id\":\"%s\",\"iat\":%ld,\"nbf\":%ld}", NULL,
         "Authorization token payload invalid, must contain only "
         "project_id."},
        {"{\"app_id\":\"nope\",\"iat\":%ld}", NULL,
         "Input type for project_id is not valid, expected UUID."},
        {"{\"app_id\":\"%s\"}", NULL,
         "JsonWebTokenError: iat required when maxAge is specified"},
        {"\"just a string\"", NULL,
         "Input type for Authorization token is not valid, expected "
         "object."},
    };
    long now = (long)time(NULL);
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char payload[512], *tok;
        struct it_response r;

        if (strstr(rows[i].payload, "%s") != NULL)
            snprintf(payload, sizeof(payload), rows[i].payload, app_id(), now,
                     now - 5);
        else
            snprintf(payload, sizeof(payload), rows[i].payload, now);
        tok = app_token("HS512", payload, rows[i].key);
        verify_with(it_bearer(tok), &r);
        expect(&r, 401, "invalid_project_token", rows[i].message);
        it_response_free(&r);
        free(tok);
    }
}

Test(bearer, wrong_algorithm_and_signature)
{
    char payload[256], *tok;
    long now = (long)time(NULL);
    struct it_response r;

    snprintf(payload, sizeof(payload), "{\"app_id\":\"%s\",\"iat\":%ld}",
             app_id(), now);
    tok = app_token("HS256", payload, NULL);
    verify_with(it_bearer(tok), &r);
    expect(&r, 401, "invalid_project_token",
           "JsonWebTokenError: invalid algorithm");
    it_response_free(&r);
    free(tok);
    tok = app_token("HS512", payload, "not the secret");
    verify_with(it_bearer(tok), &r);
    expect(&r, 401, "invalid_project_token",
           "JsonWebTokenError: invalid signature");
    it_response_free(&r);
    free(tok);
}

/* An access token whose session is revoked, expired or gone. */
Test(bearer, access_token_session_states)
{
    char *tok = srv(), *secret_value, payload[256], *q = NULL, *sid;
    struct it_response r;
    struct json_object *o, *at;
    long now = (long)time(NULL);

    secret_value = it_sql_value(
        "SELECT value FROM settings WHERE key = 'access_token_secret'");
    cr_assert(secret_value != NULL);

    /* A session that does not exist. */
    snprintf(payload, sizeof(payload),
             "{\"session_id\":\"0b6f3d1c-1f8e-4a7e-9b1c-5d8e2f3a4b5c\","
             "\"iat\":%ld,\"exp\":%ld}",
             now, now + 60);
    free(tok);
    tok = it_jwt("HS512", payload, secret_value);
    verify_with(it_bearer(tok), &r);
    expect(&r, 401, "invalid_access_token", "No valid session found.");
    it_response_free(&r);

    /* A token of ours past its exp. */
    snprintf(payload, sizeof(payload),
             "{\"session_id\":\"0b6f3d1c-1f8e-4a7e-9b1c-5d8e2f3a4b5c\","
             "\"iat\":%ld,\"exp\":%ld}",
             now - 100, now - 10);
    free(tok);
    tok = it_jwt("HS512", payload, secret_value);
    verify_with(it_bearer(tok), &r);
    expect(&r, 401, "expired_access_token", "Access token has expired.");
    it_response_free(&r);

    /* A real session, then revoked, then expired. */
    free(tok);
    tok = srv();
    authorize(tok, &r);
    cr_assert_eq(r.status, 200);
    o = it_json(&r);
    cr_assert(json_object_object_get_ex(o, "access_token", &at));
    it_response_free(&r);
    sid = it_sql_value("SELECT id FROM sessions ORDER BY issued_at DESC "
                       "LIMIT 1");
    cr_assert(asprintf(&q,
                       "WITH u AS (UPDATE sessions SET expires_at = NULL "
                       "WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
                       sid) > 0);
    free(it_sql_value(q));
    free(q);
    verify_with(it_bearer(json_object_get_string(at)), &r);
    expect(&r, 401, "expired_access_token", "Access token has been revoked.");
    it_response_free(&r);
    cr_assert(asprintf(&q,
                       "WITH u AS (UPDATE sessions SET expires_at = now() - "
                       "interval '1 second' WHERE id = '%s' RETURNING 1) "
                       "SELECT count(*) FROM u",
                       sid) > 0);
    free(it_sql_value(q));
    verify_with(it_bearer(json_object_get_string(at)), &r);
    expect(&r, 401, "expired_access_token", "Access token has expired.");
    it_response_free(&r);
    free(q);
    free(sid);
    json_object_put(o);
    free(secret_value);
    free(tok);
}

/*
 * Where cordgate is stricter than Cord, whose jsonwebtoken checks neither:
 * a crit header parameter is refused (RFC 7515 4.1.11; no extension is
 * understood), and so is an iat more than the 30 s tolerance ahead (RFC
 * 8725 3.10: such a token would outlive the 24 h maximum age).  The same
 * rows go to POST /v1/authorize (an app token) and to GET /v1/verify (a
 * server token, app_id or project_id).
 */
struct strict_case {
    const char *name;
    const char *header; /* NULL: {"alg":"HS512","typ":"JWT"} */
    long iat_offset;    /* iat = now + this */
    bool with_exp;      /* exp = iat + 60 */
    long status;
    const char *message; /* NULL for a 200 */
};

static const struct strict_case strict_rows[] = {
    {"crit naming an extension",
     "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"crit\":[\"exp\"],\"exp\":1}", 0,
     true, 401, "JsonWebTokenError: unsupported crit header parameter"},
    {"crit naming b64", "{\"alg\":\"HS512\",\"b64\":false,\"crit\":[\"b64\"]}",
     0, true, 401, "JsonWebTokenError: unsupported crit header parameter"},
    {"crit an empty array", "{\"alg\":\"HS512\",\"crit\":[]}", 0, true, 401,
     "JsonWebTokenError: invalid crit header parameter"},
    {"crit a string", "{\"alg\":\"HS512\",\"crit\":\"exp\"}", 0, true, 401,
     "JsonWebTokenError: invalid crit header parameter"},
    {"crit with a number", "{\"alg\":\"HS512\",\"crit\":[\"x\",1],\"x\":2}", 0,
     true, 401, "JsonWebTokenError: invalid crit header parameter"},
    {"iat a day ahead", NULL, 86400, true, 401,
     "JsonWebTokenError: jwt issued in the future"},
    {"iat ten years ahead, no exp", NULL, 315576000, false, 401,
     "JsonWebTokenError: jwt issued in the future"},
    {"iat 90 s ahead", NULL, 90, true, 401,
     "JsonWebTokenError: jwt issued in the future"},
    /* The server's clock reads at least the test's: at most 20 s ahead. */
    {"iat 20 s ahead, inside the tolerance", NULL, 20, true, 200, NULL},
    {"a header without crit", "{\"alg\":\"HS512\",\"kid\":\"k1\"}", 0, true,
     200, NULL},
};

static char *
strict_token(const struct strict_case *c, const char *claim)
{
    long iat = (long)time(NULL) + c->iat_offset;
    char payload[256];

    if (c->with_exp)
        snprintf(payload, sizeof(payload),
                 "{\"%s\":\"%s\",\"iat\":%ld,\"exp\":%ld}", claim, app_id(),
                 iat, iat + 60);
    else
        snprintf(payload, sizeof(payload), "{\"%s\":\"%s\",\"iat\":%ld}", claim,
                 app_id(), iat);
    return c->header ? it_jwt_with_header("HS512", c->header, payload, secret())
                     : it_jwt("HS512", payload, secret());
}

Test(authorize, crit_and_an_iat_in_the_future_are_refused)
{
    size_t i;

    for (i = 0; i < sizeof(strict_rows) / sizeof(strict_rows[0]); i++) {
        const struct strict_case *c = &strict_rows[i];
        char *tok = strict_token(c, "app_id");
        long before = session_count();
        struct it_response r;

        authorize(tok, &r);
        cr_log_info("%s: %ld %s", c->name, r.status, r.body);
        cr_assert_eq(r.status, c->status, "%s: %ld %s", c->name, r.status,
                     r.body);
        if (c->message != NULL) {
            expect(&r, c->status, "invalid_project_token", c->message);
            cr_assert_eq(session_count(), before, "%s: a refused token wrote",
                         c->name);
        }
        it_response_free(&r);
        free(tok);
    }
}

Test(bearer, server_tokens_with_crit_or_an_iat_in_the_future_are_refused)
{
    static const char *const claims[] = {"app_id", "project_id"};
    size_t i, k;

    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof(strict_rows) / sizeof(strict_rows[0]); i++) {
            const struct strict_case *c = &strict_rows[i];
            char *tok = strict_token(c, claims[k]);
            struct it_response r;

            verify_with(it_bearer(tok), &r);
            cr_assert_eq(r.status, c->status, "%s, %s: %ld %s", c->name,
                         claims[k], r.status, r.body);
            if (c->message != NULL)
                expect(&r, c->status, "invalid_project_token", c->message);
            it_response_free(&r);
            free(tok);
        }
    }
}
