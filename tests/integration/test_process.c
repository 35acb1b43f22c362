/* The process model: respawn, drain, recycle, reload, config errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cordgate/compiler.h"
#include "harness.h"

static pid_t master;

static void
stop_master(void)
{
    it_stop(master);
    master = 0;
}

static char *
spare(const char *path)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf), "%s%s", it_env("CORDGATE_TEST_SPARE_URL"), path);
    return buf;
}

static size_t
wait_for_workers(pid_t parent, size_t want, pid_t *out, int timeout_ms)
{
    size_t n = 0;
    int waited;

    for (waited = 0; waited <= timeout_ms; waited += 20) {
        n = it_children(parent, out, 64);
        if (n == want)
            break;
        it_sleep_ms(20);
    }
    return n;
}

TestSuite(process, .fini = stop_master);

Test(process, killed_worker_is_replaced_while_service_answers)
{
    static const char *const env[] = {"CORDGATE_WORKERS=3", NULL};
    pid_t before[64], after[64], victim;
    size_t n, i, j;
    int k, replaced = 0;
    struct it_response r;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    n = wait_for_workers(master, 3, before, 5000);
    cr_assert_eq(n, 3);
    victim = before[0];
    cr_assert_eq(kill(victim, SIGKILL), 0);
    /* The service keeps answering while the master replaces the worker. */
    for (k = 0; k < 40; k++) {
        it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 200, "request %d: %ld %s", k, r.status, r.body);
        it_response_free(&r);
        it_sleep_ms(25);
    }
    n = wait_for_workers(master, 3, after, 1000);
    cr_assert_eq(n, 3, "the pool has %zu workers", n);
    for (i = 0; i < n; i++) {
        cr_assert_neq(after[i], victim);
        for (j = 0; j < 3 && after[i] != before[j]; j++)
            ;
        replaced += j == 3;
    }
    cr_assert_eq(replaced, 1);
    it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
    cr_assert(
        strstr(r.body, "cordgate_worker_restarts_total{reason=\"killed\"} 1\n"),
        "%s", r.body);
    it_response_free(&r);
}

/* A body that arrives in two halves, the second only when released. */
struct slow_upload {
    const char *url;
    size_t sent, half, total;
    volatile int release, first_half_sent;
    long status;
    char body[256];
    size_t body_len;
};

static size_t
slow_read(char *dst, size_t size, size_t n, void *ud)
{
    struct slow_upload *u = ud;
    size_t room = size * n, give;

    if (u->sent == u->half) {
        u->first_half_sent = 1;
        while (!u->release)
            it_sleep_ms(10);
    }
    give = (u->sent < u->half ? u->half : u->total) - u->sent;
    if (give > room)
        give = room;
    memset(dst, 'z', give);
    u->sent += give;
    return give;
}

static size_t
slow_write(char *p, size_t size, size_t n, void *ud)
{
    struct slow_upload *u = ud;
    size_t add = size * n;

    if (u->body_len + add < sizeof(u->body)) {
        memcpy(u->body + u->body_len, p, add);
        u->body_len += add;
    }
    return add;
}

static void *
slow_request(void *arg)
{
    struct slow_upload *u = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");

    curl_easy_setopt(c, CURLOPT_URL, u->url);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "GET");
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u->total);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, slow_read);
    curl_easy_setopt(c, CURLOPT_READDATA, u);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slow_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

Test(process, sigterm_drains_the_request_in_flight_then_exits_0)
{
    static const char *const env[] = {"CORDGATE_WORKERS=2", NULL};
    struct slow_upload u;
    pthread_t t;
    int k, status;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    memset(&u, 0, sizeof(u));
    u.url = spare("/healthz");
    u.total = 200000;
    u.half = 100000;
    cr_assert_eq(pthread_create(&t, NULL, slow_request, &u), 0);
    for (k = 0; k < 500 && !u.first_half_sent; k++)
        it_sleep_ms(10);
    cr_assert(u.first_half_sent);
    it_sleep_ms(300); /* nginx streams the first half to a worker */
    cr_assert_eq(kill(master, SIGTERM), 0);
    it_sleep_ms(300);
    /* Still draining: the worker is waiting for the rest of the body. */
    cr_assert_eq(it_wait(master, 0), -1,
                 "the master exited before the "
                 "request in flight finished");
    u.release = 1;
    pthread_join(t, NULL);
    cr_assert_eq(u.status, 200, "in-flight request got %ld: %.*s", u.status,
                 (int)u.body_len, u.body);
    cr_assert(strstr(u.body, "\"status\":\"ok\"") != NULL);
    status = it_wait(master, 10000);
    cr_assert_eq(status, 0, "exit status %d", status);
    master = 0;
}

Test(process, workers_are_recycled_after_max_requests)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_MAX_REQUESTS=3", NULL};
    pid_t first[4], now[4];
    struct it_response r;
    int k;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    cr_assert_eq(wait_for_workers(master, 1, first, 5000), 1);
    for (k = 0; k < 7; k++) {
        it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 200, "request %d: %ld", k, r.status);
        it_response_free(&r);
    }
    cr_assert_eq(wait_for_workers(master, 1, now, 2000), 1);
    cr_assert_neq(now[0], first[0]);
    it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
    cr_assert(strstr(r.body,
                     "cordgate_worker_restarts_total{reason=\"recycled\"} 2\n"),
              "%s", r.body);
    it_response_free(&r);
}

Test(process, sighup_replaces_every_worker)
{
    static const char *const env[] = {"CORDGATE_WORKERS=2", NULL};
    pid_t before[8], after[8];
    size_t i, j;
    struct it_response r;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    cr_assert_eq(wait_for_workers(master, 2, before, 5000), 2);
    cr_assert_eq(kill(master, SIGHUP), 0);
    it_sleep_ms(500);
    cr_assert_eq(wait_for_workers(master, 2, after, 3000), 2);
    for (i = 0; i < 2; i++)
        for (j = 0; j < 2; j++)
            cr_assert_neq(after[i], before[j]);
    it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200);
    it_response_free(&r);
}

Test(process, single_process_mode_serves_without_a_master)
{
    static const char *const env[] = {"CORDGATE_WORKERS=0", NULL};
    pid_t kids[4];
    struct it_response r;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    it_response_free(&r);
    cr_assert_eq(it_children(master, kids, 4), 0);
}

struct bad_config {
    const char *setting;
    const char *mention;
};

/* One FastCGI record: version 1, request id 1, no padding. */
static size_t
fcgi_record(unsigned char *dst, int type, const void *body, size_t n)
{
    dst[0] = 1;
    dst[1] = (unsigned char)type;
    dst[2] = 0;
    dst[3] = 1;
    dst[4] = (unsigned char)(n >> 8);
    dst[5] = (unsigned char)n;
    dst[6] = dst[7] = 0;
    memcpy(dst + 8, body, n);
    return 8 + n;
}

static size_t
fcgi_param(unsigned char *dst, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);

    dst[0] = (unsigned char)nl;
    dst[1] = (unsigned char)vl;
    memcpy(dst + 2, name, nl);
    memcpy(dst + 2 + nl, value, vl);
    return 2 + nl + vl;
}

/* A connection to the spare socket, as a web server opens one. */
static int
fcgi_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
             it_env("CORDGATE_TEST_SPARE_SOCKET"));
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void
write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        cr_assert(k > 0, "the connection is gone");
        p += k;
        n -= (size_t)k;
    }
}

/* The start of a request on fd: BEGIN_REQUEST (FCGI_KEEP_CONN when keep)
 * and the parameters, announcing a body of body_len bytes. */
static void
fcgi_begin(int fd, int keep, const char *method, const char *uri,
           size_t body_len)
{
    unsigned char out[1024], params[512], begin[8] = {0, 1, 0};
    size_t n = 0, p = 0;
    char cl[32];

    begin[2] = keep ? 1 /* FCGI_KEEP_CONN */ : 0;
    snprintf(cl, sizeof(cl), "%zu", body_len);
    p += fcgi_param(params + p, "REQUEST_METHOD", method);
    p += fcgi_param(params + p, "REQUEST_URI", uri);
    p += fcgi_param(params + p, "CONTENT_LENGTH", cl);
    p += fcgi_param(params + p, "CONTENT_TYPE", "application/json");
    n += fcgi_record(out + n, 1, begin, sizeof(begin)); /* BEGIN_REQUEST */
    n += fcgi_record(out + n, 4, params, p);            /* PARAMS */
    n += fcgi_record(out + n, 4, "", 0);
    write_all(fd, out, n);
}

/* n bytes of body as STDIN records; n == 0 ends the body. */
static void
fcgi_stdin(int fd, const char *data, size_t n)
{
    static unsigned char chunk[4096];
    size_t k;

    if (n == 0) {
        write_all(fd, chunk, fcgi_record(chunk, 5, "", 0));
        return;
    }
    for (; n > 0; data += k, n -= k) {
        k = n < sizeof(chunk) - 8 ? n : sizeof(chunk) - 8;
        write_all(fd, chunk, fcgi_record(chunk, 5, data, k)); /* STDIN */
    }
}

/*
 * The answer on fd, up to its END_REQUEST record, waiting up to timeout_ms.
 * Returns the status of its Status: line, or -1 when the connection ended
 * or nothing came; the body's text (NUL-ended) in body when not NULL.
 */
static int
fcgi_answer(int fd, int timeout_ms, char *body, size_t body_size)
{
    static unsigned char in[1 << 16];
    size_t got = 0, off = 0;
    long long end = it_now_ms() + timeout_ms;

    while (it_now_ms() < end) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ssize_t k;

        if (poll(&pfd, 1, 50) != 1)
            continue;
        k = read(fd, in + got, sizeof(in) - got - 1);
        if (k <= 0)
            return -1;
        got += (size_t)k;
        /* Walk the records; stop at END_REQUEST (type 3). */
        while (got - off >= 8) {
            size_t len = (size_t)in[off + 4] << 8 | in[off + 5];
            size_t whole = 8 + len + in[off + 6];
            const unsigned char *st;

            if (got - off < whole)
                break;
            if (in[off + 1] == 3) {
                in[got] = '\0';
                if (body != NULL) {
                    const unsigned char *b = memmem(in, got, "\r\n\r\n", 4);

                    snprintf(body, body_size, "%s",
                             b ? (const char *)b + 4 : "");
                }
                st = memmem(in, got, "Status: ", 8);
                return st ? atoi((const char *)st + 8) : 200;
            }
            off += whole;
        }
    }
    return -1;
}

/*
 * One request on fd, with FCGI_KEEP_CONN when keep, and a body of body_len
 * bytes; reads the answer up to its END_REQUEST record (the worker may still
 * be starting: up to 5 s).  Returns the status of its Status: line, or -1
 * when the connection ended or nothing came.
 */
static int
fcgi_exchange(int fd, int keep, const char *method, const char *uri,
              size_t body_len)
{
    static char body[1 << 17];

    fcgi_begin(fd, keep, method, uri, body_len);
    memset(body, 'x', body_len < sizeof(body) ? body_len : sizeof(body));
    for (size_t sent = 0, k; sent < body_len; sent += k) {
        k = body_len - sent < sizeof(body) ? body_len - sent : sizeof(body);
        fcgi_stdin(fd, body, k);
    }
    fcgi_stdin(fd, NULL, 0);
    return fcgi_answer(fd, 5000, NULL, 0);
}

/* Whether fd is still open at its other end after ms milliseconds. */
static int
still_open(int fd, int ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    char c;

    if (poll(&pfd, 1, ms) == 0)
        return 1;
    return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * The keep-alive trap (deployment spec §0.4): web servers that keep their
 * connections (FCGI_KEEP_CONN: nginx fastcgi_keep_conn, Apache enablereuse)
 * get them kept, and more kept connections than workers never pin the pool.
 * A worker waits on all its kept connections and the listening socket at
 * once.  Closing a kept connection instead would race a server that already
 * sends the next request down it.
 */
Test(process, kept_connections_stay_open_and_never_pin_the_pool)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_MAX_BODY=2048", NULL};
    struct it_response r;
    long long t0;
    int fd[3], i, round;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    for (i = 0; i < 3; i++)
        fd[i] = fcgi_connect();
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 3; i++) {
            int k = round % 2 ? 2 - i : i; /* the order changes */

            cr_assert_eq(fcgi_exchange(fd[k], 1, "GET", "/no-such-route", 0),
                         404, "round %d, connection %d", round, k);
        }
        /* The one worker holds three kept connections and still takes a
         * new one at once (nginx here closes its connections). */
        t0 = it_now_ms();
        it_http("GET", spare("/no-such-route"), NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 404);
        it_response_free(&r);
        cr_assert_lt(it_now_ms() - t0, 1000,
                     "a new connection waited %lld ms beside kept ones",
                     it_now_ms() - t0);
    }
    for (i = 0; i < 3; i++)
        cr_assert(still_open(fd[i], 200), "connection %d was closed", i);

    /* A body over CORDGATE_MAX_BODY, but within twice it, is refused and
     * read to its end: the connection serves the next request. */
    cr_assert_eq(fcgi_exchange(fd[0], 1, "PUT", "/v1/users/k", 4000), 413);
    cr_assert_eq(fcgi_exchange(fd[0], 1, "GET", "/no-such-route", 0), 404);
    /* One longer still is refused without waiting for its end (Apache's
     * LimitRequestBody is 1 GiB), and its connection closed. */
    i = fcgi_connect();
    cr_assert_eq(fcgi_exchange(i, 1, "PUT", "/v1/users/k", 100000), 413);
    cr_assert(!still_open(i, 1000), "the connection stayed open after a "
                                    "413 with the body still coming");
    close(i);

    /* The server closes one: the others go on. */
    close(fd[1]);
    cr_assert_eq(fcgi_exchange(fd[2], 1, "GET", "/no-such-route", 0), 404);

    /* Without FCGI_KEEP_CONN the worker closes at once after the answer. */
    cr_assert_eq(fcgi_exchange(fd[2], 0, "GET", "/no-such-route", 0), 404);
    cr_assert(!still_open(fd[2], 1000),
              "the connection stayed open without FCGI_KEEP_CONN");

    /* A stopping worker answers what was sent, then closes what it kept. */
    cr_assert_eq(kill(master, SIGTERM), 0);
    cr_assert(!still_open(fd[0], 5000), "a kept connection outlived the stop");
    cr_assert_eq(it_wait(master, 5000), 0);
    master = 0;
    close(fd[0]);
    close(fd[2]);
}

Test(config, bad_values_exit_2_with_one_line)
{
    static const struct bad_config rows[] = {
        {"CORDGATE_WORKERS=abc", "CORDGATE_WORKERS"},
        {"CORDGATE_WORKERS=-4", "CORDGATE_WORKERS"},
        {"CORDGATE_MAX_BODY=0", "CORDGATE_MAX_BODY"},
        {"CORDGATE_MAX_BODY=12parsecs", "CORDGATE_MAX_BODY"},
        {"CORDGATE_REQUEST_TIMEOUT=soon", "CORDGATE_REQUEST_TIMEOUT"},
        {"CORDGATE_LISTEN=nowhere", "CORDGATE_LISTEN"},
        {"CORDGATE_LISTEN=127.0.0.1:99999", "CORDGATE_LISTEN"},
        {"CORDGATE_LOG_LEVEL=chatty", "CORDGATE_LOG_LEVEL"},
        {"CORDGATE_TEST_TOKENS=perhaps", "CORDGATE_TEST_TOKENS"},
        {"CORDGATE_TEST_TOKENS=1", "CORDGATE_TEST_APP_ID"},
    };
    const char *bin = it_env("CORDGATE_TEST_BIN");
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *argv[] = {bin, "serve", NULL};
        const char *env[] = {rows[i].setting, NULL};
        char err[1024];
        int status = it_run(argv, env, err, sizeof(err));
        char *nl = strchr(err, '\n');

        cr_assert_eq(status, 2, "%s: exit %d, stderr %s", rows[i].setting,
                     status, err);
        cr_assert(nl != NULL && nl[1] == '\0', "%s: not one line: %s",
                  rows[i].setting, err);
        cr_assert(strstr(err, rows[i].mention) != NULL, "%s: %s",
                  rows[i].setting, err);
    }
}

Test(config, unknown_command_and_option_exit_2)
{
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *a1[] = {bin, "frobnicate", NULL};
    const char *a2[] = {bin, "serve", "--bogus", NULL};
    const char *a3[] = {bin, "--config", "/nonexistent/cordgate.conf", "serve",
                        NULL};
    char err[1024];

    cr_assert_eq(it_run(a1, NULL, err, sizeof(err)), 2, "%s", err);
    cr_assert_eq(it_run(a2, NULL, err, sizeof(err)), 2, "%s", err);
    cr_assert_eq(it_run(a3, NULL, err, sizeof(err)), 2, "%s", err);
    cr_assert(strstr(err, "/nonexistent/cordgate.conf") != NULL, "%s", err);
}

/*
 * --config and serve's --workers take "--opt VALUE" and "--opt=VALUE", before
 * or after the command: a bad value given any way reaches the configuration
 * (exit 2, one line naming it), never "unknown option".
 */
Test(config, command_options_take_a_value_either_way)
{
    static const char *const nowhere = "/nonexistent/cordgate.conf";
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const struct {
        const char *argv[5];
        const char *mention;
    } rows[] = {
        {{bin, "serve", "--workers", "abc", NULL}, "CORDGATE_WORKERS"},
        {{bin, "serve", "--workers=abc", NULL}, "CORDGATE_WORKERS"},
        {{bin, "--workers", "abc", "serve", NULL}, "CORDGATE_WORKERS"},
        {{bin, "serve", "--config", nowhere, NULL}, nowhere},
        {{bin, "serve", "--config=/nonexistent/cordgate.conf", NULL}, nowhere},
        {{bin, "migrate", "--config", nowhere, NULL}, nowhere},
        {{bin, "migrate", "--config=/nonexistent/cordgate.conf", NULL},
         nowhere},
        {{bin, "--config", nowhere, "migrate", NULL}, nowhere},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char err[1024];
        int status = it_run(rows[i].argv, NULL, err, sizeof(err));
        char *nl = strchr(err, '\n');

        cr_assert_eq(status, 2, "row %zu: exit %d, stderr %s", i, status, err);
        cr_assert(nl != NULL && nl[1] == '\0', "row %zu: not one line: %s", i,
                  err);
        cr_assert(strstr(err, rows[i].mention) != NULL, "row %zu: %s", i, err);
        cr_assert(strstr(err, "unknown option") == NULL, "row %zu: %s", i, err);
    }
}

Test(config, help_and_version_exit_0)
{
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *a1[] = {bin, "--help", NULL};
    const char *a2[] = {bin, "--version", NULL};
    char err[256];

    cr_assert_eq(it_run(a1, NULL, err, sizeof(err)), 0);
    cr_assert_eq(it_run(a2, NULL, err, sizeof(err)), 0);
}

/* The bearer of a server auth token of the test app. */
static const char *
test_app_bearer(void)
{
    char payload[256];
    char *token;
    const char *h;

    snprintf(payload, sizeof(payload), "{\"app_id\":\"%s\",\"iat\":%ld}",
             it_env("CORDGATE_TEST_APP_ID"), (long)time(NULL));
    token = it_jwt("HS512", payload, it_env("CORDGATE_TEST_APP_SECRET"));
    h = it_bearer(token);
    free(token);
    return h;
}

/* CORDGATE_EMAIL_REQUIRED=0: users are created without an email, as by
 * Cord's CLI (`cord user create <id> --name N`) and its Python sample; the
 * default (the seeds' rule) is the main instance's and test_users.c's. */
Test(process, email_required_off_creates_users_without_email)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_EMAIL_REQUIRED=0", NULL};
    const char *headers[3] = {NULL, "Content-Type: application/json", NULL};
    char id[64], url[256];
    struct it_response r;

    headers[0] = test_app_bearer();
    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    snprintf(id, sizeof(id), "noemail-%ld-%d", (long)time(NULL), getpid());
    it_http("POST", spare("/v1/users"), "{\"id\":\"\"}", 9, headers, &r);
    cr_assert_eq(r.status, 400, "the schema still holds: %s", r.body);
    it_response_free(&r);
    snprintf(url, sizeof(url), "{\"id\":\"%s-post\",\"name\":\"N\"}", id);
    it_http("POST", spare("/v1/users"), url, strlen(url), headers, &r);
    cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
    it_response_free(&r);
    snprintf(url, sizeof(url), "/v1/users/%s-put", id);
    it_http("PUT", spare(url), "{\"name\":\"P\"}", 12, headers, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "created user") != NULL, "%s", r.body);
    it_response_free(&r);
    it_http("GET", spare(url), NULL, 0, headers, &r);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "\"email\":null") != NULL, "%s", r.body);
    it_response_free(&r);
}

/* A connection that sends part of a request and waits pins no worker; at
 * the read deadline it gets a 408 when its parameters came, and is closed. */
Test(process, slow_and_idle_connections_never_pin_the_pool)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_READ_TIMEOUT=1s", NULL};
    struct it_response r;
    char body[512];
    long long t0;
    int slow, idle, half, round;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r); /* it is up */
    it_response_free(&r);
    slow = fcgi_connect();
    idle = fcgi_connect();
    half = fcgi_connect();
    fcgi_begin(slow, 1, "PUT", "/v1/users/slow", 100);
    fcgi_stdin(slow, "{\"name\":", 8);
    write_all(half, (const unsigned char *)"\1\1\0", 3);
    t0 = it_now_ms();
    for (round = 0; round < 5; round++) {
        long long t = it_now_ms();

        it_http("GET", spare("/healthz"), NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
        it_response_free(&r);
        cr_assert_lt(it_now_ms() - t, 500,
                     "the one worker was held %lld ms by waiting connections",
                     it_now_ms() - t);
        it_sleep_ms(100);
    }
    cr_assert_eq(fcgi_answer(slow, 3000, body, sizeof(body)), 408, "%s", body);
    cr_assert(strstr(body, "\"request_timeout\"") != NULL, "%s", body);
    cr_assert_lt(it_now_ms() - t0, 2500, "the 408 took %lld ms",
                 it_now_ms() - t0);
    cr_assert(!still_open(slow, 1000), "the slow connection stayed open");
    cr_assert(!still_open(idle, 1000), "the idle connection stayed open");
    cr_assert(!still_open(half, 1000), "the half record stayed open");
    close(slow);
    close(idle);
    close(half);
    /* Nothing was written. */
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200);
    it_response_free(&r);
}

/* The request deadline starts once the body is read: an upload slower than
 * CORDGATE_REQUEST_TIMEOUT (but within the read deadline) is served. */
Test(process, request_deadline_starts_after_the_body)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_REQUEST_TIMEOUT=500ms",
                                      "CORDGATE_READ_TIMEOUT=5s", NULL};
    struct it_response r;
    char body[512];
    int fd, i;

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r); /* it is up */
    it_response_free(&r);
    fd = fcgi_connect();
    fcgi_begin(fd, 0, "GET", "/healthz", 6);
    for (i = 0; i < 6; i++) {
        it_sleep_ms(250);
        fcgi_stdin(fd, "{", 1);
    }
    fcgi_stdin(fd, NULL, 0);
    cr_assert_eq(fcgi_answer(fd, 3000, body, sizeof(body)), 200, "%s", body);
    close(fd);
}

/* A file of the fuzz corpus, whole, into buf; its length. */
static size_t
corpus_file(const char *name, unsigned char *buf, size_t size)
{
    char path[1024];
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/fuzz/corpus/fastcgi/%s",
             CORDGATE_SOURCE_DIR, name);
    f = fopen(path, "rb");
    cr_assert(f != NULL, "%s", path);
    n = fread(buf, 1, size, f);
    cr_assert(n > 0 && n < size, "%s", path);
    fclose(f);
    return n;
}

/* Sent whatever the other end takes of it (it may close at once). */
static void
send_what_goes(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k <= 0)
            return;
        p += k;
        n -= (size_t)k;
    }
}

/* Whether fd was closed within ms with nothing of an answer on it: no
 * record of type STDOUT (6), END_REQUEST (3) or a management answer. */
static int
closed_unanswered(int fd, int ms)
{
    unsigned char in[4096];
    size_t got = 0;
    long long end = it_now_ms() + ms;

    while (it_now_ms() < end) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ssize_t k;

        if (poll(&pfd, 1, 50) != 1)
            continue;
        k = recv(fd, in, sizeof(in), 0);
        if (k <= 0)
            return got == 0;
        got += (size_t)k;
    }
    return 0;
}

/* The worker's resident set, from /proc, in KiB. */
static long
rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    cr_assert(f != NULL);
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* The one worker of a fresh cordgate on the spare socket, once it answers. */
static pid_t
start_one_worker(void)
{
    static const char *const env[] = {"CORDGATE_WORKERS=1",
                                      "CORDGATE_READ_TIMEOUT=1s", NULL};
    struct it_response r;
    pid_t worker[64];

    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r); /* it is up */
    cr_assert_eq(r.status, 200);
    it_response_free(&r);
    cr_assert_eq(wait_for_workers(master, 1, worker, 5000), 1);
    return worker[0];
}

/* The worker is still the one that was, and answers a request straight,
 * one read through the worker's checks (a body past what it looks at at
 * once), and one through the web server. */
static void
assert_same_worker_answers(pid_t worker, const char *what)
{
    struct it_response r;
    pid_t now[64];
    int fd;

    cr_assert_eq(wait_for_workers(master, 1, now, 2000), 1);
    cr_assert_eq(now[0], worker, "%s: the worker was replaced", what);
    fd = fcgi_connect();
    cr_assert_eq(fcgi_exchange(fd, 0, "GET", "/healthz", 0), 200, "%s", what);
    close(fd);
    fd = fcgi_connect();
    cr_assert_eq(fcgi_exchange(fd, 1, "GET", "/healthz", 30000), 200, "%s",
                 what);
    cr_assert_eq(fcgi_exchange(fd, 0, "GET", "/healthz", 0), 200, "%s", what);
    close(fd);
    it_http("GET", spare("/healthz"), NULL, 0, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", what);
    it_response_free(&r);
    cr_assert_eq(it_children(master, now, 64), 1);
    cr_assert_eq(now[0], worker, "%s: the worker was replaced", what);
}

/*
 * libfcgi 2.4.2's own bugs, found by fuzz_fastcgi (fuzz/corpus/fastcgi/
 * libfcgi-*: a GET_VALUES record overflowing its stack, parameter lengths
 * whose sum overflows, a leak per unknown management record, and the
 * misread records that lead there) are out of reach of whoever connects:
 * each connection is closed unanswered and the one worker lives on.
 */
Test(process, libfcgi_bug_inputs_are_closed_unanswered)
{
    static const char *const inputs[] = {
        "libfcgi-abort-in-params-mgmt-leak",
        "libfcgi-bad-version-desync",
        "libfcgi-begin-padding-mgmt-leak",
        "libfcgi-get-values-overflow",
        "libfcgi-param-length-after-second-begin",
        "libfcgi-param-length-overflow",
        "libfcgi-truncated-bad-begin-desync",
        "libfcgi-unknown-type-leak",
    };
    static unsigned char data[1 << 16];
    pid_t worker = start_one_worker(), now[64];
    size_t n, i;
    int fd;

    for (i = 0; i < CG_ARRAY_LEN(inputs); i++) {
        n = corpus_file(inputs[i], data, sizeof(data));
        fd = fcgi_connect();
        send_what_goes(fd, data, n);
        cr_expect(closed_unanswered(fd, 3000), "%s: not closed unanswered",
                  inputs[i]);
        close(fd);
        if (wait_for_workers(master, 1, now, 2000) == 1 && now[0] != worker) {
            cr_expect_fail("%s: the worker was replaced", inputs[i]);
            worker = now[0];
        }
    }
    assert_same_worker_answers(worker, "after the inputs");
    /* Each counted; no restart. */
    {
        struct it_response r;

        it_http("GET", spare("/metrics"), NULL, 0, NULL, &r);
        cr_assert(strstr(r.body, "cordgate_fastcgi_rejected_total 8\n"), "%s",
                  r.body);
        cr_assert(strstr(r.body, "cordgate_worker_restarts_total{reason="
                                 "\"killed\"} 0\n"),
                  "%s", r.body);
        it_response_free(&r);
    }
}

/* The GET_VALUES record after more of a real request's body than the
 * worker looks at before it reads the request (what libfcgi would read
 * unseen if it read the rest from the connection itself). */
Test(process, get_values_deep_in_a_body_is_closed_unanswered)
{
    static unsigned char data[1 << 16], body[20000];
    pid_t worker = start_one_worker();
    size_t get_values;
    int fd;

    (void)corpus_file("libfcgi-get-values-overflow", data, sizeof(data));
    get_values = 8 + ((size_t)data[4] << 8 | data[5]) + data[6];
    memset(body, 'x', sizeof(body));
    fd = fcgi_connect();
    fcgi_begin(fd, 1, "PUT", "/v1/users/k", 40000);
    fcgi_stdin(fd, (const char *)body, sizeof(body));
    send_what_goes(fd, data, get_values);
    send_what_goes(fd, body, 8000);
    cr_expect(closed_unanswered(fd, 3000), "not closed unanswered");
    close(fd);
    assert_same_worker_answers(worker, "GET_VALUES in the body");
}

/* Unknown management records, 100000 of them (libfcgi would leak 4.8 MB
 * of the worker's, answering each), on a connection kept after a request. */
Test(process, unknown_records_on_a_kept_connection_grow_no_worker)
{
    static unsigned char data[1 << 16], sink[4096];
    pid_t worker = start_one_worker();
    size_t k, i, sent = 0, total;
    unsigned char *flood;
    long before, after;
    long long end;
    int fd;

    /* Its record, without content: libfcgi takes the next at once. */
    (void)corpus_file("libfcgi-unknown-type-leak", data, sizeof(data));
    data[4] = data[5] = data[6] = 0;
    k = 8;
    total = k * 100000;
    flood = malloc(total);
    cr_assert(flood != NULL);
    for (i = 0; i < 100000; i++)
        memcpy(flood + i * k, data, k);
    fd = fcgi_connect();
    cr_assert_eq(fcgi_exchange(fd, 1, "GET", "/no-such-route", 0), 404);
    before = rss_kib(worker);
    /* Sent while whatever comes back is read, so nothing blocks. */
    for (end = it_now_ms() + 10000; sent < total && it_now_ms() < end;) {
        struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};
        ssize_t m;

        if (poll(&pfd, 1, 100) < 1)
            continue;
        if ((pfd.revents & POLLIN) &&
            recv(fd, sink, sizeof(sink), MSG_DONTWAIT) == 0)
            break;
        if (pfd.revents & (POLLERR | POLLHUP))
            break;
        if (pfd.revents & POLLOUT) {
            m = send(fd, flood + sent, total - sent,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (m < 0 && errno != EAGAIN && errno != EINTR)
                break;
            if (m > 0)
                sent += (size_t)m;
        }
    }
    free(flood);
    cr_expect(closed_unanswered(fd, 3000),
              "the connection stayed open or was answered");
    close(fd);
    after = rss_kib(worker);
    cr_expect_lt(after - before, 1024, "the worker grew %ld KiB",
                 after - before);
    assert_same_worker_answers(worker, "unknown records");
}
