/* The session purge against the real database: expired and revoked
 * sessions go within the interval, in batches, while live ones stay. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

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

/* cordgate_sessions_purged_total of the instance behind base_var. */
static long
purged_total(const char *base_var)
{
    static const char name[] = "\ncordgate_sessions_purged_total ";
    struct it_response r;
    const char *p;
    long n;

    it_http("GET", url_on(base_var, "/metrics"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    p = strstr(r.body, name);
    cr_assert(p != NULL, "no cordgate_sessions_purged_total:\n%s", r.body);
    n = atol(p + strlen(name));
    it_response_free(&r);
    return n;
}

static long
count(const char *fmt, const char *app)
{
    char sql[512], *v;
    long n;

    snprintf(sql, sizeof(sql), fmt, app);
    v = it_sql_value(sql);
    cr_assert(v != NULL, "%s", sql);
    n = atol(v);
    free(v);
    return n;
}

TestSuite(purge, .fini = stop_spare);

/*
 * A second cordgate (as a second host on the same database would be) with
 * a purge every second; the main instance purges too, every 10 s, so the
 * rows may go by either: both counters together account for them.  1 200
 * expired sessions take three batches of 500.
 */
Test(purge, expired_and_revoked_sessions_go_and_live_ones_stay, .timeout = 90)
{
    static const char *const env[] = {
        "CORDGATE_WORKERS=2", "CORDGATE_SESSION_PURGE_INTERVAL=1s", NULL};
    char app[64], secret[128], sql[2048], token[4096], payload[256];
    long main_before, left = -1, gone, stay;
    long long deadline;
    struct it_response r;
    struct json_object *o, *at;
    long now = (long)time(NULL);
    char *jwt;

    it_app_create("purge-tests", app, secret);
    main_before = purged_total("CORDGATE_TEST_URL");
    spare_master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);

    /* A live access token, from the spare, before any purge of ours. */
    snprintf(payload, sizeof(payload), "{\"app_id\":\"%s\",\"iat\":%ld}", app,
             now);
    jwt = it_jwt("HS512", payload, secret);
    snprintf(token, sizeof(token), "{\"signed_app_token\":\"%s\"}", jwt);
    {
        const char *h[] = {"Content-Type: application/json", NULL};

        it_http("POST", url_on("CORDGATE_TEST_SPARE_URL", "/v1/authorize"),
                token, strlen(token), h, &r);
    }
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    o = it_json(&r);
    cr_assert(json_object_object_get_ex(o, "access_token", &at));
    snprintf(token, sizeof(token), "%s", json_object_get_string(at));
    json_object_put(o);
    it_response_free(&r);
    free(jwt);

    snprintf(
        sql, sizeof(sql),
        /* to go: expired an hour ago, and revoked ones issued two days ago */
        "INSERT INTO sessions (app_id, issued_at, expires_at) "
        "SELECT '%1$s', now() - interval '25 hours', now() - interval '1 hour' "
        "FROM generate_series(1, 1200);"
        "INSERT INTO sessions (app_id, issued_at, expires_at) "
        "SELECT '%1$s', now() - interval '2 days', NULL "
        "FROM generate_series(1, 3);"
        /* to stay: live, revoked today (its token could still come, to be
         * told it was revoked), expired a minute ago (within the grace) */
        "INSERT INTO sessions (app_id, expires_at) "
        "SELECT '%1$s', now() + interval '1 hour' FROM generate_series(1, 5);"
        "INSERT INTO sessions (app_id, issued_at, expires_at) VALUES "
        "('%1$s', now() - interval '1 hour', NULL), "
        "('%1$s', now() - interval '2 minutes', "
        " now() - interval '1 minute');",
        app);
    it_sql_exec(sql);
    cr_assert_eq(
        count("SELECT count(*) FROM sessions WHERE app_id = '%s'", app),
        1 + 1200 + 3 + 5 + 2);

    /* Gone within a few intervals. */
    deadline = it_now_ms() + 20000;
    while (it_now_ms() < deadline) {
        left = count("SELECT count(*) FROM sessions WHERE app_id = '%s' AND "
                     "(expires_at < now() - interval '30 minutes' OR "
                     "(expires_at IS NULL AND issued_at < now() - "
                     "interval '1 day'))",
                     app);
        if (left == 0)
            break;
        it_sleep_ms(200);
    }
    cr_assert_eq(left, 0, "%ld expired or revoked sessions left after 20 s",
                 left);
    stay = count("SELECT count(*) FROM sessions WHERE app_id = '%s'", app);
    cr_assert_eq(stay, 1 + 5 + 2, "live sessions went too: %ld left", stay);
    cr_assert_eq(count("SELECT count(*) FROM sessions WHERE app_id = '%s' AND "
                       "expires_at IS NULL",
                       app),
                 1, "the session revoked today went");

    /* Counted, by one host or the other. */
    gone = purged_total("CORDGATE_TEST_SPARE_URL") +
           purged_total("CORDGATE_TEST_URL") - main_before;
    cr_assert_geq(gone, 1203, "only %ld purges counted", gone);

    /* The live token still works. */
    {
        char bearer[4200];
        const char *h[] = {bearer, NULL};

        snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", token);
        it_http("GET", url_on("CORDGATE_TEST_SPARE_URL", "/v1/verify"), NULL, 0,
                h, &r);
        cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
        it_response_free(&r);
    }
}

/* CORDGATE_SESSION_PURGE_INTERVAL is checked like every setting. */
Test(purge, a_bad_interval_is_a_configuration_error)
{
    static const char *const bad[] = {"CORDGATE_SESSION_PURGE_INTERVAL=soon",
                                      "CORDGATE_SESSION_PURGE_INTERVAL=-1",
                                      "CORDGATE_SESSION_PURGE_INTERVAL=2d",
                                      "CORDGATE_SESSION_PURGE_INTERVAL=86401s"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *argv[] = {it_env("CORDGATE_TEST_BIN"), "serve", NULL};
        const char *env[] = {bad[i], "CORDGATE_LISTEN=/nonexistent/x.sock",
                             NULL};
        char err[512];
        int rc = it_run(argv, env, err, sizeof(err));

        cr_assert_eq(rc, 2, "%s: exit %d: %s", bad[i], rc, err);
        cr_assert(strstr(err, "CORDGATE_SESSION_PURGE_INTERVAL") != NULL,
                  "%s: %s", bad[i], err);
    }
}
