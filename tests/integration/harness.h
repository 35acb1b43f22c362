/* Integration-test harness: HTTP through the real web server, processes. */
#ifndef CORDGATE_TEST_HARNESS_H
#define CORDGATE_TEST_HARNESS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * tests/run.sh starts PostgreSQL, cordgate and nginx and exports:
 * CORDGATE_TEST_URL (nginx in front of the main instance),
 * CORDGATE_TEST_DOWN_URL (an instance whose database is unreachable),
 * CORDGATE_TEST_SPARE_URL and CORDGATE_TEST_SPARE_SOCKET (nginx in front of
 * a socket nothing serves until a test starts its own cordgate there),
 * CORDGATE_TEST_BIN, CORDGATE_TEST_DATABASE_URL, CORDGATE_TEST_PID,
 * CORDGATE_TEST_WORKDIR, CORDGATE_TEST_APP_ID, CORDGATE_TEST_APP_SECRET.
 */
const char *it_env(const char *name);

/* Bytes gathered by it_sink_write, a curl write callback (NUL-terminated;
 * release data with free). */
struct it_sink {
    char *data;
    size_t len;
};
size_t it_sink_write(char *p, size_t size, size_t n, void *sink);

struct it_response {
    long status;
    char *body;
    size_t body_len;
    char *headers; /* raw header block, lines end in \r\n */
    double seconds;
};

/* One request; headers is a NULL-terminated list of "Name: value". */
void it_http(const char *method, const char *url, const char *body,
             size_t body_len, const char *const *headers,
             struct it_response *out);
void it_response_free(struct it_response *r);
/* The value of a response header, or NULL; a static buffer. */
const char *it_header(const struct it_response *r, const char *name);
/* The body as JSON (asserts it parses); release with json_object_put. */
struct json_object *it_json(const struct it_response *r);
/* Assert status and {"error": code, "message": string} exactly. */
void it_assert_error(const struct it_response *r, long status,
                     const char *code);

/* Start `cordgate serve` with the test database and extra "NAME=value"
 * settings (NULL-terminated); returns once it accepts connections on
 * socket.  The process is a child of the test. */
pid_t it_start_cordgate(const char *socket, const char *const *env);
/* Wait for pid to exit; its exit status, or 128+signal, or -1 on timeout. */
int it_wait(pid_t pid, int timeout_ms);
void it_stop(pid_t pid);
/* Children of pid, from /proc; returns how many were stored in out. */
size_t it_children(pid_t parent, pid_t *out, size_t max);
/* Run argv with env added to a clean environment; capture stderr. */
int it_run(const char *const *argv, const char *const *env, char *err,
           size_t errlen);
void it_sleep_ms(int ms);
/* CLOCK_MONOTONIC in milliseconds. */
long long it_now_ms(void);

/* One value from the test database (first row, first column), or NULL;
 * the caller frees it. */
char *it_sql_value(const char *sql);
/* A compact HS256/HS512 JWT of payload_json signed with secret. */
char *it_jwt(const char *alg, const char *payload_json, const char *secret);
/* The same with a header of the caller's (JSON text, as is); alg picks
 * the MAC whatever the header says. */
char *it_jwt_with_header(const char *alg, const char *header,
                         const char *payload_json, const char *secret);
/* "Authorization: Bearer <token>" in a static buffer. */
const char *it_bearer(const char *token);

/* Run one SQL command (or several) on the test database; asserts that it
 * succeeded. */
void it_sql_exec(const char *sql);

/* A new app, made with `cordgate app create` as an operator would: its
 * id and secret. */
void it_app_create(const char *name, char id[64], char secret[128]);

/* Run `cordgate ARGS...` (args NULL-terminated) against the test database
 * with a clean environment; its stdout and stderr, NUL-terminated, in out
 * and err.  Returns its exit status. */
int it_cordgate(const char *const *args, char *out, size_t outlen, char *err,
                size_t errlen);

#endif
