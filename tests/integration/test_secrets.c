/* Secrets and sessions from the command line: app rotate-secret,
 * access-secret rotate, session revoke, app delete and app list, each in
 * effect within the workers' cache bound (cache.h), measured by polling. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cordgate/b64url.h"
#include "cordgate/cache.h"
#include "harness.h"

/* How much later than the cache bound a change may show: the polling
 * period and a loaded machine's slack. */
#define MARGIN_MS 2000
#define POLL_MS   100
/* A refusal must hold this long to count: a worker that still had the old
 * state would answer otherwise in between. */
#define HOLD_MS 1000

static const char *const json_ct[] = {"Content-Type: application/json", NULL};

static pid_t master;

static void
stop_master(void)
{
    it_stop(master);
    master = 0;
}

TestSuite(rotate_secret, .fini = stop_master);
TestSuite(access_secret, .fini = stop_master);
TestSuite(session_revoke, .fini = stop_master);
TestSuite(app_delete, .fini = stop_master);
TestSuite(app_list);

/* ---- helpers */

struct creds {
    char id[64];
    char secret[128];
};

/* A URL under base: "main" (nginx before the 4 workers tests/run.sh
 * started) or "spare" (the one worker a test starts). */
static const char *
url(const char *base, const char *path)
{
    static char buf[4][1024];
    static int i;
    const char *b = strcmp(base, "spare") == 0
                        ? it_env("CORDGATE_TEST_SPARE_URL")
                        : it_env("CORDGATE_TEST_URL");

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s%s", b, path);
    return buf[i];
}

/* One worker of our own behind the spare nginx server: every request meets
 * the same cache, so what a change takes to reach it is measured exactly. */
static void
start_one_worker(void)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1", NULL};
    struct it_response r;
    int k;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    for (k = 0; k < 100; k++) {
        it_http("GET", url("spare", "/healthz"), NULL, 0, NULL, &r);
        if (r.status == 200) {
            it_response_free(&r);
            return;
        }
        it_response_free(&r);
        it_sleep_ms(50);
    }
    cr_assert_fail("the spare cordgate does not answer");
}

/* A server auth token (or app token) as getServerAuthToken makes it. */
static char *
server_token(const struct creds *a, const char *secret)
{
    char payload[256];
    long now = (long)time(NULL);

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", a->id, now,
             now + 60);
    return it_jwt("HS512", payload, secret ? secret : a->secret);
}

/* A client auth token as getClientAuthToken makes it. */
static char *
client_token(const struct creds *a, const char *secret)
{
    char payload[512];
    long now = (long)time(NULL);

    snprintf(payload, sizeof(payload),
             "{\"user_id\":\"viewer\",\"user_details\":{\"name\":\"V\"},"
             "\"project_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}",
             a->id, now, now + 60);
    return it_jwt("HS512", payload, secret);
}

/* The status of METHOD base+path with a bearer token; the body in *body
 * when not NULL (the caller frees it). */
static long
ask(const char *method, const char *base, const char *path, const char *token,
    const char *body, char **out)
{
    const char *headers[3] = {it_bearer(token), json_ct[0], NULL};
    struct it_response r;
    long status;

    it_http(method, url(base, path), body, body ? strlen(body) : 0, headers,
            &r);
    status = r.status;
    if (out != NULL)
        *out = strdup(r.body ? r.body : "");
    it_response_free(&r);
    return status;
}

/* POST /v1/authorize with an app token; the access token into out. */
static void
authorize(const char *base, const struct creds *a, const char *secret,
          char *out, size_t outlen)
{
    char body[4096], *answer, *tok = server_token(a, secret);
    struct it_response r;
    struct json_object *o, *v;

    snprintf(body, sizeof(body), "{\"signed_app_token\":\"%s\"}", tok);
    it_http("POST", url(base, "/v1/authorize"), body, strlen(body), json_ct,
            &r);
    cr_assert_eq(r.status, 200, "authorize: %ld %s", r.status, r.body);
    o = it_json(&r);
    cr_assert(json_object_object_get_ex(o, "access_token", &v));
    answer = (char *)json_object_get_string(v);
    cr_assert(strlen(answer) < outlen);
    strcpy(out, answer);
    json_object_put(o);
    it_response_free(&r);
    free(tok);
}

/* The decoded payload of a compact JWT. */
static void
jwt_payload(const char *token, char *out, size_t outlen)
{
    const char *p = strchr(token, '.'), *end;
    size_t n;

    cr_assert_not_null(p);
    end = strchr(p + 1, '.');
    cr_assert_not_null(end);
    cr_assert_eq(
        b64url_decode(out, outlen - 1, p + 1, (size_t)(end - p - 1), &n), 0);
    out[n] = '\0';
}

/* The session id an access token carries. */
static void
session_of(const char *access, char sid[64])
{
    char payload[512];
    const char *p;

    jwt_payload(access, payload, sizeof(payload));
    p = strstr(payload, "\"session_id\":\"");
    cr_assert_not_null(p, "%s", payload);
    cr_assert_eq(sscanf(p + 14, "%36[0-9a-f-]", sid), 1);
}

/* fmt with a and b, and a newline: an expected line of output. */
__attribute__((format(printf, 1, 0))) static const char *
fmt_line(const char *fmt, const char *a, const char *b)
{
    static char buf[2][512];
    static int i;
    size_t n;

    i ^= 1;
    snprintf(buf[i], sizeof(buf[i]) - 1, fmt, a, b);
    n = strlen(buf[i]);
    buf[i][n] = '\n';
    buf[i][n + 1] = '\0';
    return buf[i];
}

/* `cordgate ARGS...` must exit with want; stdout into out. */
static void
run(int want, char *out, size_t outlen, char *err, size_t errlen,
    const char *const *args)
{
    int status = it_cordgate(args, out, outlen, err, errlen);

    cr_assert_eq(status, want, "cordgate %s %s: exit %d, stdout: %s stderr: %s",
                 args[0], args[1], status, out, err);
}

/* `app rotate-secret`: its two lines, the new secret into a->secret. */
static void
rotate(struct creds *a, const char *grace, char *err, size_t errlen)
{
    const char *args[] = {"app",     "rotate-secret", "--app", a->id,
                          "--grace", grace,           NULL};
    char out[512], id[64], secret[128];

    if (grace == NULL)
        args[4] = NULL;
    run(0, out, sizeof(out), err, errlen, args);
    cr_assert_eq(sscanf(out, "CORDGATE_APP_ID=%63s\nCORDGATE_APP_SECRET=%127s",
                        id, secret),
                 2, "%s", out);
    cr_assert_str_eq(id, a->id);
    cr_assert_eq(strlen(secret), 64);
    cr_assert_str_neq(secret, a->secret);
    /* Exactly the two lines of `app create`, nothing else on stdout. */
    cr_assert_eq(strlen(out),
                 strlen("CORDGATE_APP_ID=\nCORDGATE_APP_SECRET=\n") +
                     strlen(id) + strlen(secret));
    strcpy(a->secret, secret);
}

/* One value of a query (printf-style), or NULL; the caller frees it. */
__attribute__((format(printf, 1, 2))) static char *
sql(const char *fmt, ...)
{
    char q[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    return it_sql_value(q);
}

/* The query's value must be want. */
#define assert_sql(want, ...)                                                  \
    do {                                                                       \
        char *v_ = sql(__VA_ARGS__);                                           \
        cr_assert_not_null(v_, __VA_ARGS__);                                   \
        cr_assert_str_eq(v_, want, __VA_ARGS__);                               \
        free(v_);                                                              \
    } while (0)

/* A probe of one token: refused means status with the text in its body
 * (a 401 on the server routes, a 403 on the client ones); any answer but
 * that one or a 200 fails the test at once. */
struct probe {
    const char *base, *path, *token;
    long status;
    const char *text;
};

static bool
refused(const struct probe *p)
{
    char *body;
    long status = ask("GET", p->base, p->path, p->token, NULL, &body);
    bool no = status == p->status && strstr(body, p->text) != NULL;

    cr_assert(no || status == 200, "%s %s: %ld %s", p->base, p->path, status,
              body);
    free(body);
    return no;
}

/*
 * Poll the probes from t0 (it_now_ms, when the command returned: its
 * change committed) on until all of them are refused and
 * stay so for HOLD_MS; returns the milliseconds from t0 to the first poll of
 * that run, which must be within the cache bound.  Each poll also asks
 * the n_keep probes of keep, which must be accepted all along.
 */
static long long
until_refused(long long t0, const struct probe *probes, int n,
              const struct probe *keep, int n_keep, const char *what)
{
    long long first = -1, now = t0;
    int i;

    while (now - t0 < CACHE_TTL_MS + MARGIN_MS + HOLD_MS) {
        bool all = true;

        for (i = 0; i < n; i++)
            all = refused(&probes[i]) && all;
        for (i = 0; i < n_keep; i++)
            cr_assert(!refused(&keep[i]),
                      "%s: token %d that must keep working was refused", what,
                      i);
        now = it_now_ms();
        if (!all)
            first = -1;
        else if (first < 0)
            first = now;
        else if (now - first >= HOLD_MS)
            break;
        it_sleep_ms(POLL_MS);
    }
    cr_assert(first >= 0 && now - first >= HOLD_MS,
              "%s: still accepted %lld ms after the command", what, now - t0);
    cr_assert_leq(first - t0, CACHE_TTL_MS + MARGIN_MS,
                  "%s: took %lld ms, more than the cache bound", what,
                  first - t0);
    cr_log_info("%s: refused %lld ms after the command returned (cache bound "
                "%d ms)",
                what, first - t0, CACHE_TTL_MS);
    fprintf(stderr, "propagation: %s: %lld ms\n", what, first - t0);
    return first - t0;
}

/* Every one of n requests through the main nginx (its four workers) gets
 * want. */
static void
all_answer(long want, const char *path, const char *token, int n)
{
    int k;

    for (k = 0; k < n; k++) {
        char *body;
        long status = ask("GET", "main", path, token, NULL, &body);

        cr_assert_eq(status, want, "request %d of %s: %ld %s", k, path, status,
                     body);
        free(body);
    }
}

/* ---- app rotate-secret */

Test(rotate_secret, old_secret_verifies_in_grace_new_one_at_once)
{
    struct creds a;
    char old[128], err[1024], access[2048], *tok, *v;

    it_app_create("rotate-grace", a.id, a.secret);
    strcpy(old, a.secret);
    /* Every worker of the main instance may cache the app now. */
    tok = server_token(&a, NULL);
    all_answer(200, "/v1/verify", tok, 20);
    free(tok);

    rotate(&a, NULL, err, sizeof(err));
    cr_assert_not_null(strstr(err, "the previous secret verifies tokens until"),
                       "%s", err);
    cr_assert_null(strstr(err, old), "a secret on stderr");
    cr_assert_null(strstr(err, a.secret), "a secret on stderr");
    assert_sql(
        "t",
        "SELECT previous_secret = '%s' AND previous_secret_until "
        "BETWEEN now() + interval '23 hours 59 minutes' AND now() + "
        "interval '24 hours' AND secret = '%s' FROM apps WHERE id = '%s'",
        old, a.secret, a.id);

    /* The new secret works at once on every worker, cached app or not:
     * server tokens, app tokens (authorize) and client tokens. */
    tok = server_token(&a, a.secret);
    all_answer(200, "/v1/verify", tok, 20);
    free(tok);
    authorize("main", &a, a.secret, access, sizeof(access));
    all_answer(200, "/v1/verify", access, 8);
    tok = client_token(&a, a.secret);
    all_answer(200, "/v1/client/viewer", tok, 8);
    free(tok);

    /* The old one keeps working during the grace. */
    tok = server_token(&a, old);
    all_answer(200, "/v1/verify", tok, 20);
    free(tok);
    authorize("main", &a, old, access, sizeof(access));
    tok = client_token(&a, old);
    all_answer(200, "/v1/client/viewer", tok, 8);
    free(tok);

    /* A secret that never was the app's is refused. */
    tok = server_token(&a, "0123456789abcdef0123456789abcdef"
                           "0123456789abcdef0123456789abcdef");
    v = NULL;
    cr_assert_eq(ask("GET", "main", "/v1/verify", tok, NULL, &v), 401);
    cr_assert_not_null(strstr(v, "invalid signature"), "%s", v);
    free(v);
    free(tok);
}

Test(rotate_secret, grace_zero_ends_the_old_secret_within_the_cache_bound)
{
    struct creds a;
    char old[128], err[1024], *old_tok, *new_tok, *old_client;
    struct probe p[2];
    long long t0;

    it_app_create("rotate-now", a.id, a.secret);
    strcpy(old, a.secret);
    start_one_worker();
    old_tok = server_token(&a, NULL);
    old_client = client_token(&a, old);
    /* The worker caches the app just before the rotation: the old secret
     * lasts as long as the cache lets it. */
    cr_assert_eq(ask("GET", "spare", "/v1/verify", old_tok, NULL, NULL), 200);

    rotate(&a, "0", err, sizeof(err));
    t0 = it_now_ms();
    cr_assert_not_null(
        strstr(err, "the previous secret no longer verifies tokens"), "%s",
        err);
    assert_sql("t",
               "SELECT previous_secret IS NULL AND previous_secret_until IS "
               "NULL AND secret = '%s' FROM apps WHERE id = '%s'",
               a.secret, a.id);
    p[0] = (struct probe){"spare", "/v1/verify", old_tok, 401,
                          "invalid signature"};
    p[1] = (struct probe){"spare", "/v1/client/viewer", old_client, 403,
                          "invalid signature"};
    /* Only old tokens meanwhile: one signed with the new secret would have
     * the worker read the app again at once. */
    until_refused(t0, p, 2, NULL, 0, "app secret rotated with --grace 0");
    new_tok = server_token(&a, a.secret);
    cr_assert_eq(ask("GET", "spare", "/v1/verify", new_tok, NULL, NULL), 200);
    /* And on the main instance's four workers. */
    all_answer(401, "/v1/verify", old_tok, 20);
    all_answer(200, "/v1/verify", new_tok, 20);
    free(old_tok);
    free(new_tok);
    free(old_client);
}

Test(rotate_secret, a_cached_app_keeps_the_grace_end)
{
    struct creds a;
    char old[128], err[1024], *old_tok, *new_tok;
    long long t0, took;
    struct probe p;

    it_app_create("rotate-short", a.id, a.secret);
    strcpy(old, a.secret);
    start_one_worker();
    old_tok = server_token(&a, NULL);
    cr_assert_eq(ask("GET", "spare", "/v1/verify", old_tok, NULL, NULL), 200);
    rotate(&a, "2s", err, sizeof(err));
    t0 = it_now_ms();
    new_tok = server_token(&a, a.secret);
    /* The new token has the worker read the app again: its entry now has
     * both secrets, and the old one's end, which holds however fresh the
     * entry is. */
    cr_assert_eq(ask("GET", "spare", "/v1/verify", new_tok, NULL, NULL), 200);
    cr_assert_eq(ask("GET", "spare", "/v1/verify", old_tok, NULL, NULL), 200);
    p = (struct probe){"spare", "/v1/verify", old_tok, 401,
                       "invalid signature"};
    took = until_refused(t0, &p, 1, NULL, 0,
                         "app secret at the end of a 2 s grace");
    cr_assert_geq(took, 1500, "the grace ended early: %lld ms", took);
    cr_assert_leq(took, 2000 + 1000, "the grace ended late: %lld ms", took);
    free(old_tok);
    free(new_tok);
}

Test(rotate_secret, usage_and_unknown_apps)
{
    static const char *const no_app[] = {"app", "rotate-secret", NULL};
    static const char *const bad_grace[] = {
        "app",     "rotate-secret",
        "--app",   "00000000-0000-0000-0000-000000000000",
        "--grace", "3 weeks",
        NULL};
    static const char *const unknown[] = {
        "app", "rotate-secret", "--app=00000000-0000-0000-0000-000000000000",
        NULL};
    char out[256], err[512];

    run(2, out, sizeof(out), err, sizeof(err), no_app);
    run(2, out, sizeof(out), err, sizeof(err), bad_grace);
    cr_assert_not_null(strstr(err, "--grace"), "%s", err);
    run(1, out, sizeof(out), err, sizeof(err), unknown);
    cr_assert_str_eq(out, "");
    cr_assert_str_eq(err,
                     "cordgate: no app 00000000-0000-0000-0000-000000000000\n");
}

/* ---- access-secret rotate */

static char *
access_secret_now(const char *key)
{
    char q[256];

    snprintf(q, sizeof(q), "SELECT value FROM settings WHERE key = '%s'", key);
    return it_sql_value(q);
}

/* Was access signed with secret?  (Its payload signed again.) */
static bool
signed_with(const char *access, const char *secret)
{
    char payload[512], *again;
    bool same;

    jwt_payload(access, payload, sizeof(payload));
    again = it_jwt("HS512", payload, secret);
    same = strcmp(again, access) == 0;
    free(again);
    return same;
}

Test(access_secret, old_tokens_live_through_the_grace_and_not_past_zero)
{
    static const char *const rotate_default[] = {"access-secret", "rotate",
                                                 NULL};
    static const char *const rotate_now[] = {"access-secret", "rotate",
                                             "--grace", "0", NULL};
    struct creds a;
    char out[512], err[1024], a1[2048], a2[2048], sid[64], payload[256];
    char *s1, *s2, *s3, *prev, *minted;
    long long t0, t1;
    long now = (long)time(NULL);
    struct probe p[2];

    it_app_create("access-rotation", a.id, a.secret);
    start_one_worker();
    s1 = access_secret_now("access_token_secret");
    authorize("spare", &a, NULL, a1, sizeof(a1));
    cr_assert(signed_with(a1, s1));
    session_of(a1, sid);
    all_answer(200, "/v1/verify", a1, 20);

    run(0, out, sizeof(out), err, sizeof(err), rotate_default);
    t0 = it_now_ms();
    cr_assert_not_null(strstr(out, "the previous one verifies tokens until"),
                       "%s", out);
    s2 = access_secret_now("access_token_secret");
    prev = access_secret_now("access_token_secret_previous");
    cr_assert_str_neq(s1, s2);
    cr_assert_str_eq(prev, s1);
    cr_assert_null(strstr(out, s1), "a secret on stdout");
    cr_assert_null(strstr(out, s2), "a secret on stdout");
    cr_assert_null(strstr(err, s2), "a secret on stderr");
    /* Its grace: the longest an old token lives, 24 h, plus the cache
     * bound, during which a worker may still sign with the old secret. */
    assert_sql("t",
               "SELECT value::timestamptz BETWEEN now() + interval '24 hours' "
               "AND now() + interval '24 hours 10 seconds' FROM settings "
               "WHERE key = 'access_token_secret_previous_until'");

    /* A token signed with the new secret works at once on every worker,
     * those that read the old secret a moment ago too. */
    snprintf(payload, sizeof(payload),
             "{\"session_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", sid, now,
             now + 3600);
    minted = it_jwt("HS512", payload, s2);
    all_answer(200, "/v1/verify", minted, 20);

    /* New tokens are signed with the new secret within the cache bound
     * (the old one's tokens still verify meanwhile). */
    for (;;) {
        authorize("spare", &a, NULL, a2, sizeof(a2));
        cr_assert(signed_with(a2, s2) || signed_with(a2, s1));
        if (signed_with(a2, s2))
            break;
        cr_assert_leq(it_now_ms() - t0, CACHE_TTL_MS + MARGIN_MS,
                      "still signing with the old secret");
        it_sleep_ms(POLL_MS);
    }
    t1 = it_now_ms() - t0;
    cr_log_info("new access tokens signed with the new secret %lld ms after "
                "the rotation",
                t1);
    fprintf(stderr,
            "propagation: access-token secret, new tokens signed with the "
            "new one: %lld ms\n",
            t1);

    /* The old one's tokens still verify, for the grace. */
    cr_assert_eq(ask("GET", "spare", "/v1/verify", a1, NULL, NULL), 200);
    all_answer(200, "/v1/verify", a1, 20);

    /* --grace 0: tokens of the secret it replaces are refused within the
     * bound; the new one's tokens never are. */
    run(0, out, sizeof(out), err, sizeof(err), rotate_now);
    t0 = it_now_ms();
    cr_assert_not_null(strstr(out, "tokens signed with the previous one are "
                                   "refused"),
                       "%s", out);
    cr_assert_not_null(strstr(err, "the secret before the previous one"), "%s",
                       err);
    s3 = access_secret_now("access_token_secret");
    cr_assert_null(access_secret_now("access_token_secret_previous"));
    cr_assert_null(access_secret_now("access_token_secret_previous_until"));
    p[0] = (struct probe){"spare", "/v1/verify", minted, 401,
                          "invalid_project_token"};
    p[1] =
        (struct probe){"spare", "/v1/verify", a1, 401, "invalid_project_token"};
    until_refused(t0, p, 2, NULL, 0,
                  "access-token secret rotated with --grace 0");
    free(minted);
    snprintf(payload, sizeof(payload),
             "{\"session_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", sid, now,
             now + 3600);
    minted = it_jwt("HS512", payload, s3);
    cr_assert_eq(ask("GET", "spare", "/v1/verify", minted, NULL, NULL), 200);
    all_answer(200, "/v1/verify", minted, 20);
    /* No worker of the main instance answers from what it read before the
     * rotation any more: the next tests' tokens meet the same secret
     * everywhere. */
    while (it_now_ms() - t0 < CACHE_TTL_MS + 1000)
        it_sleep_ms(POLL_MS);
    all_answer(401, "/v1/verify", a1, 20);
    free(minted);
    free(s1);
    free(s2);
    free(s3);
    free(prev);
}

Test(access_secret, a_configured_previous_secret_still_verifies)
{
    static const char *const env[] = {
        "CORDGATE_WORKERS=1",
        "CORDGATE_ACCESS_TOKEN_SECRET=configured-new-secret",
        "CORDGATE_ACCESS_TOKEN_PREVIOUS_SECRET=configured-old-secret", NULL};
    struct creds a;
    char access[2048], sid[64], payload[256], *stored, *tok;
    long now = (long)time(NULL);

    it_app_create("access-configured", a.id, a.secret);
    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    authorize("spare", &a, NULL, access, sizeof(access));
    cr_assert(signed_with(access, "configured-new-secret"));
    cr_assert_eq(ask("GET", "spare", "/v1/verify", access, NULL, NULL), 200);
    session_of(access, sid);
    snprintf(payload, sizeof(payload),
             "{\"session_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", sid, now,
             now + 3600);
    tok = it_jwt("HS512", payload, "configured-old-secret");
    cr_assert_eq(ask("GET", "spare", "/v1/verify", tok, NULL, NULL), 200);
    free(tok);
    /* The configuration's secrets, and no other: not the stored one. */
    stored = access_secret_now("access_token_secret");
    tok = it_jwt("HS512", payload, stored);
    cr_assert_eq(ask("GET", "spare", "/v1/verify", tok, NULL, NULL), 401);
    free(tok);
    tok = it_jwt("HS512", payload, "configured-other-secret");
    cr_assert_eq(ask("GET", "spare", "/v1/verify", tok, NULL, NULL), 401);
    free(tok);
    free(stored);
}

Test(access_secret, a_configured_secret_is_not_rotated_here)
{
    static const char *const bad[] = {"access-secret", "rotate", "--grace",
                                      "forever", NULL};
    static const char *const env[] = {"CORDGATE_ACCESS_TOKEN_SECRET=configured",
                                      NULL};
    const char *argv[] = {it_env("CORDGATE_TEST_BIN"), "access-secret",
                          "rotate", NULL};
    char out[256], err[1024], *before, *after;

    before = access_secret_now("access_token_secret");
    cr_assert_eq(it_run(argv, env, err, sizeof(err)), 2, "%s", err);
    cr_assert_not_null(strstr(err, "CORDGATE_ACCESS_TOKEN_PREVIOUS_SECRET"),
                       "%s", err);
    cr_assert_null(strstr(err, "configured"), "the secret is not shown");
    after = access_secret_now("access_token_secret");
    cr_assert_str_eq(before, after, "nothing was rotated");
    run(2, out, sizeof(out), err, sizeof(err), bad);
    cr_assert_not_null(strstr(err, "--grace"), "%s", err);
    free(before);
    free(after);
}

/* ---- session revoke */

Test(session_revoke, one_session_and_all_of_an_app)
{
    struct creds a, b, c;
    char one[2048], two[2048], three[2048], four[2048], other[2048], sid[64];
    char out[512], err[512];
    const char *by_session[] = {"session", "revoke", "--session", sid, NULL};
    const char *by_app[] = {"session", "revoke", "--app", c.id, NULL};
    struct probe p[3], keep[2];
    long long t0;
    int k;

    it_app_create("revoke-one", a.id, a.secret);
    it_app_create("revoke-other", b.id, b.secret);
    it_app_create("revoke-all", c.id, c.secret);
    start_one_worker();
    authorize("spare", &a, NULL, one, sizeof(one));
    authorize("spare", &a, NULL, two, sizeof(two));
    authorize("spare", &b, NULL, other, sizeof(other));
    authorize("spare", &c, NULL, three, sizeof(three));
    authorize("spare", &c, NULL, four, sizeof(four));
    p[0] = (struct probe){"spare", "/v1/verify", one, 401, "has been revoked"};
    p[1] =
        (struct probe){"spare", "/v1/verify", three, 401, "has been revoked"};
    p[2] = (struct probe){"spare", "/v1/verify", four, 401, "has been revoked"};
    keep[0] = (struct probe){"spare", "/v1/verify", two, 0, "-"};
    keep[1] = (struct probe){"spare", "/v1/verify", other, 0, "-"};
    /* The worker caches every session. */
    for (k = 0; k < 3; k++)
        cr_assert(!refused(&p[k]));
    session_of(one, sid);

    /* One session by id, and every session of another app. */
    run(0, out, sizeof(out), err, sizeof(err), by_session);
    cr_assert_str_eq(out, fmt_line("revoked session %s of app %s", sid, a.id));
    run(0, out, sizeof(out), err, sizeof(err), by_app);
    t0 = it_now_ms();
    cr_assert_str_eq(out, fmt_line("revoked 2 sessions of app %s", c.id, ""));
    assert_sql("t", "SELECT expires_at IS NULL FROM sessions WHERE id = '%s'",
               sid);
    assert_sql("0",
               "SELECT count(*) FROM sessions WHERE app_id = '%s' AND "
               "expires_at IS NOT NULL",
               c.id);
    assert_sql("1",
               "SELECT count(*) FROM sessions WHERE app_id = '%s' AND "
               "expires_at > now()",
               a.id);
    assert_sql("1",
               "SELECT count(*) FROM sessions WHERE app_id = '%s' AND "
               "expires_at > now()",
               b.id);
    until_refused(t0, p, 3, keep, 2,
                  "a session revoked by id, and every session of an app");
    all_answer(401, "/v1/verify", one, 8);
    all_answer(401, "/v1/verify", four, 8);
    all_answer(200, "/v1/verify", two, 8);
    all_answer(200, "/v1/verify", other, 8);

    /* Again: nothing left to revoke is no error; no such session is. */
    run(0, out, sizeof(out), err, sizeof(err), by_session);
    cr_assert_not_null(strstr(out, "already revoked"), "%s", out);
    run(0, out, sizeof(out), err, sizeof(err), by_app);
    cr_assert_str_eq(out, fmt_line("revoked 0 sessions of app %s", c.id, ""));
    strcpy(sid, "00000000-0000-0000-0000-000000000000");
    run(1, out, sizeof(out), err, sizeof(err), by_session);
    cr_assert_str_eq(err, fmt_line("cordgate: no session %s", sid, ""));
    strcpy(c.id, "00000000-0000-0000-0000-000000000000");
    run(1, out, sizeof(out), err, sizeof(err), by_app);
}

/* ---- app delete */

Test(app_delete, its_tokens_and_data_go_other_apps_stay)
{
    struct creds a, b;
    char access[2048], out[512], err[512], *gone, *kept, *body;
    const char *del[] = {"app", "delete", "--app", a.id, NULL};
    struct probe p[2];
    struct probe keep;
    long long t0;
    int k;

    it_app_create("delete-me", a.id, a.secret);
    it_app_create("keep-me", b.id, b.secret);
    gone = server_token(&a, NULL);
    kept = server_token(&b, NULL);
    for (k = 0; k < 2; k++) {
        const char *tok = k == 0 ? gone : kept;

        cr_assert_eq(ask("PUT", "main", "/v1/users/u1", tok,
                         "{\"email\":\"u1@example.com\",\"name\":\"One\"}",
                         NULL),
                     200);
        cr_assert_eq(ask("PUT", "main", "/v1/users/u2", tok,
                         "{\"email\":\"u2@example.com\",\"name\":\"Two\"}",
                         NULL),
                     200);
        cr_assert_eq(ask("PUT", "main", "/v1/groups/g1", tok,
                         "{\"name\":\"G\",\"members\":[\"u1\",\"u2\"]}", NULL),
                     200);
    }
    start_one_worker();
    authorize("spare", &a, NULL, access, sizeof(access));
    cr_assert_eq(ask("GET", "spare", "/v1/verify", access, NULL, NULL), 200);
    cr_assert_eq(ask("GET", "spare", "/v1/users/u1", gone, NULL, NULL), 200);
    assert_sql("t",
               "SELECT (SELECT count(*) FROM group_member_counts WHERE app_id "
               "= '%s') > 0 AND (SELECT count(*) FROM group_members WHERE "
               "app_id = '%s') = 2",
               a.id, a.id);

    run(0, out, sizeof(out), err, sizeof(err), del);
    t0 = it_now_ms();
    cr_assert_not_null(strstr(out, "2 users, 1 groups, 1 sessions"), "%s", out);
    /* Its data is gone at once, row by row. */
    {
        static const char *const tables[] = {"apps WHERE id",
                                             "users WHERE app_id",
                                             "groups WHERE app_id",
                                             "group_members WHERE app_id",
                                             "group_member_counts WHERE app_id",
                                             "sessions WHERE app_id"};
        char q[256];

        for (k = 0; k < (int)(sizeof(tables) / sizeof(tables[0])); k++) {
            snprintf(q, sizeof(q), "SELECT count(*) FROM %s = '%s'", tables[k],
                     a.id);
            assert_sql("0", "%s", q);
        }
    }
    /* A write with the app still cached is refused, never a 500. */
    body = NULL;
    cr_assert_eq(ask("PUT", "spare", "/v1/users/u3", gone,
                     "{\"email\":\"u3@example.com\"}", &body),
                 401, "%s", body);
    cr_assert_not_null(strstr(body, "project_not_found"), "%s", body);
    free(body);
    /* So is a new session: no token for an app that is gone. */
    {
        char *tok = server_token(&a, NULL), req[4096];
        struct it_response r;

        snprintf(req, sizeof(req), "{\"signed_app_token\":\"%s\"}", tok);
        it_http("POST", url("spare", "/v1/authorize"), req, strlen(req),
                json_ct, &r);
        it_assert_error(&r, 401, "project_not_found");
        it_response_free(&r);
        free(tok);
        assert_sql("0", "SELECT count(*) FROM sessions WHERE app_id = '%s'",
                   a.id);
    }
    p[0] =
        (struct probe){"spare", "/v1/verify", gone, 401, "project_not_found"};
    p[1] =
        (struct probe){"spare", "/v1/verify", access, 401, "No valid session"};
    keep = (struct probe){"spare", "/v1/users/u1", kept, 0, "-"};
    until_refused(t0, p, 2, &keep, 1, "app deleted");
    all_answer(401, "/v1/verify", gone, 8);
    /* The other app reads what it had. */
    body = NULL;
    cr_assert_eq(ask("GET", "main", "/v1/groups/g1", kept, NULL, &body), 200);
    cr_assert_not_null(strstr(body, "\"members\":[\"u1\",\"u2\"]"), "%s", body);
    free(body);
    cr_assert_eq(ask("GET", "main", "/v1/users/u2", kept, NULL, &body), 200);
    cr_assert_not_null(strstr(body, "u2@example.com"), "%s", body);
    free(body);
    assert_sql("2", "SELECT count(*) FROM users WHERE app_id = '%s'", b.id);
    /* Gone is gone. */
    run(1, out, sizeof(out), err, sizeof(err), del);
    cr_assert_not_null(strstr(err, "no app"), "%s", err);
    free(gone);
    free(kept);
}

/* ---- app list */

/* The line of `app list` for id, split at its tabs. */
static int
list_row(const char *list, const char *id, char cols[6][128])
{
    const char *p = strstr(list, id), *end;
    int n = 0;

    cr_assert_not_null(p, "%s not in %s", id, list);
    cr_assert(p == list || p[-1] == '\n');
    end = strchr(p, '\n');
    cr_assert_not_null(end);
    while (p < end && n < 6) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        size_t len = (size_t)((tab ? tab : end) - p);

        cr_assert(len < 128);
        memcpy(cols[n], p, len);
        cols[n++][len] = '\0';
        p += len + (tab != NULL);
    }
    return n;
}

Test(app_list, secret_age_grace_and_active_sessions_never_secrets)
{
    static const char *const list[] = {"app", "list", NULL};
    static const char header[] =
        "APP_ID\tCREATED\tSECRET_AGE\t"
        "PREVIOUS_SECRET_UNTIL\tACTIVE_SESSIONS\tNAME\n";
    struct creds a, b;
    char out[1 << 16], err[1024], old[128], t1[2048], t2[2048], sid[64];
    char cols[6][128], path[512], *log, *until;
    const char *revoke[] = {"session", "revoke", "--session", sid, NULL};
    FILE *f;
    size_t n;

    it_app_create("listed", a.id, a.secret);
    it_app_create("listed-unrotated", b.id, b.secret);
    strcpy(old, a.secret);
    authorize("main", &a, NULL, t1, sizeof(t1));
    authorize("main", &a, NULL, t2, sizeof(t2));
    session_of(t1, sid);
    run(0, out, sizeof(out), err, sizeof(err), revoke);
    rotate(&a, NULL, err, sizeof(err));

    run(0, out, sizeof(out), err, sizeof(err), list);
    cr_assert(strncmp(out, header, strlen(header)) == 0, "%s", out);
    cr_assert_eq(list_row(out, a.id, cols), 6);
    cr_assert(strlen(cols[2]) == 2 && cols[2][1] == 's', "age %s", cols[2]);
    until = sql("SELECT to_char(previous_secret_until AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM apps WHERE id = "
                "'%s'",
                a.id);
    cr_assert_str_eq(cols[3], until);
    free(until);
    cr_assert_str_eq(cols[4], "1", "one session left of two");
    cr_assert_str_eq(cols[5], "listed");
    cr_assert_eq(list_row(out, b.id, cols), 6);
    cr_assert_str_eq(cols[3], "-");
    cr_assert_str_eq(cols[4], "0");
    cr_assert_null(strstr(out, old), "a secret in app list");
    cr_assert_null(strstr(out, a.secret), "a secret in app list");
    cr_assert_null(strstr(out, b.secret), "a secret in app list");

    /* Nor in the server's log, which saw these apps' tokens. */
    snprintf(path, sizeof(path), "%s/main.log",
             it_env("CORDGATE_TEST_WORKDIR"));
    f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    {
        log = malloc(64 << 20);
        cr_assert_not_null(log);
        n = fread(log, 1, (64 << 20) - 1, f);
        log[n] = '\0';
        fclose(f);
        cr_assert_null(strstr(log, old), "a secret in main.log");
        cr_assert_null(strstr(log, a.secret), "a secret in main.log");
        cr_assert_null(strstr(log, strrchr(t2, '.') + 1),
                       "an access token in main.log");
        free(log);
    }
}
