/* Integration-test harness: HTTP through the real web server, processes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
it_env(const char *name)
{
    const char *v = getenv(name);

    cr_assert(v != NULL && v[0] != '\0',
              "%s is not set: run the integration tests with tests/run.sh",
              name);
    return v;
}

long long
it_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

size_t
it_sink_write(char *p, size_t size, size_t n, void *ud)
{
    struct it_sink *s = ud;
    size_t add = size * n;
    char *d = realloc(s->data, s->len + add + 1);

    if (d == NULL)
        return 0;
    memcpy(d + s->len, p, add);
    s->len += add;
    d[s->len] = '\0';
    s->data = d;
    return add;
}

void
it_http(const char *method, const char *url, const char *body, size_t body_len,
        const char *const *headers, struct it_response *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    struct it_sink b = {NULL, 0}, h = {NULL, 0};
    CURLcode rc;

    cr_assert(c != NULL);
    memset(out, 0, sizeof(*out));
    for (; headers != NULL && *headers != NULL; headers++)
        hl = curl_slist_append(hl, *headers);
    /* curl adds "Expect: 100-continue" to big bodies; not what we test. */
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, it_sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, it_sink_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(c);
    cr_assert(rc == CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
    out->body = b.data ? b.data : strdup("");
    out->body_len = b.len;
    out->headers = h.data ? h.data : strdup("");
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

void
it_response_free(struct it_response *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

const char *
it_header(const struct it_response *r, const char *name)
{
    static char value[1024];
    const char *p = r->headers;
    size_t n = strlen(name);

    while (p != NULL && *p != '\0') {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);

        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;

            while (*v == ' ')
                v++;
            snprintf(value, sizeof(value), "%.*s", (int)(p + len - v), v);
            return value;
        }
        p = eol ? eol + 2 : NULL;
    }
    return NULL;
}

struct json_object *
it_json(const struct it_response *r)
{
    struct json_object *o = json_tokener_parse(r->body);

    cr_assert(o != NULL, "response is not JSON: %s", r->body);
    return o;
}

void
it_assert_error(const struct it_response *r, long status, const char *code)
{
    struct json_object *o = it_json(r), *e, *m;
    const char *ct = it_header(r, "Content-Type");

    cr_assert_eq(r->status, status, "status %ld, want %ld: %s", r->status,
                 status, r->body);
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0,
              "Content-Type %s", ct ? ct : "(none)");
    cr_assert(json_object_is_type(o, json_type_object));
    cr_assert_eq(json_object_object_length(o), 2, "%s", r->body);
    cr_assert(json_object_object_get_ex(o, "error", &e));
    cr_assert(json_object_object_get_ex(o, "message", &m));
    cr_assert(json_object_is_type(m, json_type_string));
    cr_assert_str_eq(json_object_get_string(e), code, "%s", r->body);
    json_object_put(o);
}

static bool
socket_accepts(const char *path)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    bool ok;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

pid_t
it_start_cordgate(const char *socket, const char *const *env)
{
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *db = it_env("CORDGATE_TEST_DATABASE_URL");
    pid_t pid;
    int i;

    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        setenv("CORDGATE_DATABASE_URL", db, 1);
        setenv("CORDGATE_LISTEN", socket, 1);
        setenv("CORDGATE_LISTEN_MODE", "0666", 1);
        setenv("CORDGATE_LOG_LEVEL", "warn", 1);
        for (; env != NULL && *env != NULL; env++)
            putenv((char *)*env);
        /* stdin must not look like a listening socket */
        int fd = open("/dev/null", O_RDONLY);
        dup2(fd, 0);
        execl(bin, bin, "serve", (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 200; i++) {
        if (socket_accepts(socket))
            return pid;
        cr_assert(waitpid(pid, NULL, WNOHANG) == 0, "cordgate exited early");
        it_sleep_ms(25);
    }
    cr_assert_fail("cordgate did not start listening on %s", socket);
    return -1;
}

int
it_wait(pid_t pid, int timeout_ms)
{
    int status, waited;

    for (waited = 0; waited <= timeout_ms; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + WTERMSIG(status);
        it_sleep_ms(10);
    }
    return -1;
}

void
it_stop(pid_t pid)
{
    if (pid <= 0 || kill(pid, 0) != 0)
        return;
    kill(pid, SIGTERM);
    if (it_wait(pid, 15000) < 0) {
        kill(pid, SIGKILL);
        it_wait(pid, 5000);
    }
}

size_t
it_children(pid_t parent, pid_t *out, size_t max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    size_t n = 0;

    cr_assert(d != NULL);
    while ((e = readdir(d)) != NULL && n < max) {
        char path[300], buf[512], *p;
        long ppid;
        char state;
        FILE *f;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        p = fgets(buf, sizeof(buf), f);
        fclose(f);
        /* pid (comm) state ppid: comm may hold spaces, so find the ')' */
        if (p == NULL || (p = strrchr(buf, ')')) == NULL)
            continue;
        if (sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == parent &&
            state != 'Z')
            out[n++] = (pid_t)atol(e->d_name);
    }
    closedir(d);
    return n;
}

int
it_run(const char *const *argv, const char *const *env, char *err,
       size_t errlen)
{
    int pipefd[2], status;
    pid_t pid;
    ssize_t n;
    size_t len = 0;

    cr_assert(pipe(pipefd) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);

        clearenv();
        setenv("PATH", "/usr/bin:/bin", 1);
        for (; env != NULL && *env != NULL; env++)
            putenv((char *)*env);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    while (len + 1 < errlen &&
           (n = read(pipefd[0], err + len, errlen - len - 1)) > 0)
        len += (size_t)n;
    err[len] = '\0';
    close(pipefd[0]);
    cr_assert(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *
it_sql_value(const char *sql)
{
    PGconn *c = PQconnectdb(it_env("CORDGATE_TEST_DATABASE_URL"));
    PGresult *res;
    char *v = NULL;

    cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    res = PQexec(c, sql);
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(res));
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(c);
    return v;
}

static void
b64url(const unsigned char *in, size_t n, char *out)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789-_";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        out[o++] = a[in[i] >> 2];
        out[o++] = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
        out[o++] = a[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
        out[o++] = a[in[i + 2] & 63];
    }
    if (n - i == 1) {
        out[o++] = a[in[i] >> 2];
        out[o++] = a[(in[i] & 3) << 4];
    } else if (n - i == 2) {
        out[o++] = a[in[i] >> 2];
        out[o++] = a[(in[i] & 3) << 4 | in[i + 1] >> 4];
        out[o++] = a[(in[i + 1] & 15) << 2];
    }
    out[o] = '\0';
}

/* Written here with OpenSSL's HMAC directly, independent of src/jwt.c. */
char *
it_jwt_with_header(const char *alg, const char *header,
                   const char *payload_json, const char *secret)
{
    const EVP_MD *md = strcmp(alg, "HS256") == 0 ? EVP_sha256() : EVP_sha512();
    char *out;
    unsigned char mac[64];
    unsigned int maclen = 0;
    size_t plen = strlen(payload_json), hlen, total;

    hlen = strlen(header);
    total = (hlen + plen) * 2 + 200;
    out = malloc(total);
    cr_assert(out != NULL);
    b64url((const unsigned char *)header, hlen, out);
    strcat(out, ".");
    b64url((const unsigned char *)payload_json, plen, out + strlen(out));
    HMAC(md, secret, (int)strlen(secret), (const unsigned char *)out,
         strlen(out), mac, &maclen);
    strcat(out, ".");
    b64url(mac, maclen, out + strlen(out));
    return out;
}

char *
it_jwt(const char *alg, const char *payload_json, const char *secret)
{
    char header[64];

    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    return it_jwt_with_header(alg, header, payload_json, secret);
}

const char *
it_bearer(const char *token)
{
    static char buf[16384];

    snprintf(buf, sizeof(buf), "Authorization: Bearer %s", token);
    return buf;
}

void
it_sql_exec(const char *sql)
{
    PGconn *c = PQconnectdb(it_env("CORDGATE_TEST_DATABASE_URL"));
    PGresult *res;
    ExecStatusType st;

    cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    res = PQexec(c, sql);
    st = PQresultStatus(res);
    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
              PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(c);
}

void
it_app_create(const char *name, char id[64], char secret[128])
{
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *db = it_env("CORDGATE_TEST_DATABASE_URL");
    char out[1024];
    size_t len = 0;
    ssize_t n;
    int pipefd[2], status;
    pid_t pid;

    cr_assert(pipe(pipefd) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);

        clearenv();
        setenv("PATH", "/usr/bin:/bin", 1);
        setenv("CORDGATE_DATABASE_URL", db, 1);
        dup2(fd, 0);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execl(bin, bin, "app", "create", "--name", name, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    while (len + 1 < sizeof(out) &&
           (n = read(pipefd[0], out + len, sizeof(out) - len - 1)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(pipefd[0]);
    cr_assert(waitpid(pid, &status, 0) == pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "app create: %s",
              out);
    cr_assert(sscanf(out, "CORDGATE_APP_ID=%63s\nCORDGATE_APP_SECRET=%127s", id,
                     secret) == 2,
              "app create printed %s", out);
}

int
it_cordgate(const char *const *args, char *out, size_t outlen, char *err,
            size_t errlen)
{
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *db = it_env("CORDGATE_TEST_DATABASE_URL");
    const char *argv[16];
    int po[2], pe[2], status, i;
    size_t lo = 0, le = 0;
    ssize_t n;
    pid_t pid;

    argv[0] = bin;
    for (i = 0; args[i] != NULL; i++) {
        cr_assert(i + 2 < (int)(sizeof(argv) / sizeof(argv[0])));
        argv[i + 1] = args[i];
    }
    argv[i + 1] = NULL;
    cr_assert(pipe(po) == 0 && pipe(pe) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);

        clearenv();
        setenv("PATH", "/usr/bin:/bin", 1);
        setenv("CORDGATE_DATABASE_URL", db, 1);
        dup2(fd, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* The outputs are small: stdout to its end, then stderr. */
    while (lo + 1 < outlen && (n = read(po[0], out + lo, outlen - lo - 1)) > 0)
        lo += (size_t)n;
    out[lo] = '\0';
    while (le + 1 < errlen && (n = read(pe[0], err + le, errlen - le - 1)) > 0)
        le += (size_t)n;
    err[le] = '\0';
    close(po[0]);
    close(pe[0]);
    cr_assert(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
