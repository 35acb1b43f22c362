/* Unit tests for configuration: defaults, environment, file, bad values. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cordgate/compiler.h"
#include "cordgate/config.h"

#include "env.h"

static char conf_path[64];

static void
setup(void)
{
    clear_env();
    conf_path[0] = '\0';
}

static void
teardown(void)
{
    clear_env();
    if (conf_path[0] != '\0')
        unlink(conf_path);
}

TestSuite(config, .init = setup, .fini = teardown);

/* Write text to a fresh temporary file and return its path. */
static const char *
write_conf(const char *text)
{
    int fd;
    size_t len = strlen(text);

    strcpy(conf_path, "/tmp/cordgate-config-XXXXXX");
    fd = mkstemp(conf_path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return conf_path;
}

/* The fields a failed load must leave empty. */
static void
assert_freed(const struct config *c)
{
    cr_assert_null(c->database_url);
    cr_assert_null(c->listen);
    cr_assert_null(c->access_token_secret);
    cr_assert_null(c->access_token_previous_secret);
    cr_assert_null(c->test_users_file);
    cr_assert_null(c->test_app_id);
    cr_assert_null(c->cors_origin);
    cr_assert_null(c->log_file);
    cr_assert_null(c->pid_file);
    cr_assert_null(c->base_path);
}

static unsigned long
expected_default_workers(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    unsigned long n = cpus * 4 > 4 ? (unsigned long)cpus * 4 : 4;

    return n > 1024 ? 1024 : n;
}

Test(config, defaults)
{
    struct config c;
    char err[256] = "";

    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.database_url, "dbname=cordgate");
    cr_assert_str_eq(c.listen, "127.0.0.1:9337");
    cr_assert_eq(c.listen_mode, 0660);
    cr_assert_eq(c.workers, expected_default_workers());
    cr_assert_geq(c.workers, 4);
    cr_assert_eq(c.workers % 4, 0);
    cr_assert_eq(c.max_requests, 0);
    cr_assert_eq(c.max_body, 1048576);
    cr_assert_eq(c.request_timeout_ms, 5000);
    cr_assert_str_eq(c.access_token_secret, "");
    cr_assert_eq(c.test_tokens, false);
    cr_assert_str_eq(c.test_users_file, "");
    cr_assert_str_eq(c.test_app_id, "");
    cr_assert_str_eq(c.cors_origin, "http://localhost:5173");
    cr_assert_eq(c.log_level, LL_INFO);
    cr_assert_str_eq(c.log_file, "");
    cr_assert_str_eq(c.pid_file, "");
    cr_assert_str_eq(c.base_path, "");
    config_free(&c);
    assert_freed(&c);
}

Test(config, default_workers_is_four_per_cpu_at_least_four)
{
    cr_assert_eq(config_default_workers(), expected_default_workers());
}

/* Numeric settings from the environment: value in, number out. */
static const struct {
    const char *name, *value;
    size_t offset;
    unsigned long want;
} number_vectors[] = {
    {"CORDGATE_WORKERS", "0", offsetof(struct config, workers), 0},
    {"CORDGATE_WORKERS", "7", offsetof(struct config, workers), 7},
    {"CORDGATE_WORKERS", "1024", offsetof(struct config, workers), 1024},
    {"CORDGATE_MAX_REQUESTS", "5000", offsetof(struct config, max_requests),
     5000},
    {"CORDGATE_MAX_BODY", "1", offsetof(struct config, max_body), 1},
    {"CORDGATE_MAX_BODY", "1048576", offsetof(struct config, max_body),
     1048576},
    {"CORDGATE_MAX_BODY", "512k", offsetof(struct config, max_body), 524288},
    {"CORDGATE_MAX_BODY", "64KiB", offsetof(struct config, max_body), 65536},
    {"CORDGATE_MAX_BODY", "2M", offsetof(struct config, max_body), 2097152},
    {"CORDGATE_MAX_BODY", "3mb", offsetof(struct config, max_body), 3145728},
    {"CORDGATE_MAX_BODY", "1G", offsetof(struct config, max_body), 1073741824},
    {"CORDGATE_REQUEST_TIMEOUT", "250ms",
     offsetof(struct config, request_timeout_ms), 250},
    {"CORDGATE_REQUEST_TIMEOUT", "100ms",
     offsetof(struct config, request_timeout_ms), 100},
    {"CORDGATE_REQUEST_TIMEOUT", "7s",
     offsetof(struct config, request_timeout_ms), 7000},
    /* A bare number is seconds, as the error message's "e.g. 5" says. */
    {"CORDGATE_REQUEST_TIMEOUT", "5",
     offsetof(struct config, request_timeout_ms), 5000},
    {"CORDGATE_REQUEST_TIMEOUT", "3600s",
     offsetof(struct config, request_timeout_ms), 3600000},
    {"CORDGATE_LISTEN_MODE", "0600", offsetof(struct config, listen_mode),
     0600},
    {"CORDGATE_LISTEN_MODE", "777", offsetof(struct config, listen_mode), 0777},
    {"CORDGATE_LISTEN_MODE", "0", offsetof(struct config, listen_mode), 0},
};

Test(config, environment_overrides_numbers)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(number_vectors); i++) {
        struct config c;
        char err[256] = "";

        setenv(number_vectors[i].name, number_vectors[i].value, 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s=%s: %s",
                     number_vectors[i].name, number_vectors[i].value, err);
        cr_assert_eq(*(unsigned long *)((char *)&c + number_vectors[i].offset),
                     number_vectors[i].want, "%s=%s", number_vectors[i].name,
                     number_vectors[i].value);
        config_free(&c);
        unsetenv(number_vectors[i].name);
    }
}

Test(config, workers_auto_is_the_default_count)
{
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_WORKERS", "auto", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.workers, expected_default_workers());
    config_free(&c);
}

Test(config, environment_overrides_strings_levels_and_booleans)
{
    struct config c;
    char err[256] = "";
    const char *users = write_conf("[{\"user_id\":\"u1\",\"user_details\":"
                                   "{\"name\":\"U\"}}]");

    setenv("CORDGATE_DATABASE_URL", "postgresql://u:p@db/cordgate", 1);
    setenv("CORDGATE_LISTEN", "/run/cordgate/fcgi.sock", 1);
    setenv("CORDGATE_ACCESS_TOKEN_SECRET", "s3cret", 1);
    setenv("CORDGATE_TEST_TOKENS", "yes", 1);
    setenv("CORDGATE_TEST_APP_ID", "app-1", 1);
    setenv("CORDGATE_TEST_USERS_FILE", users, 1);
    setenv("CORDGATE_CORS_ORIGIN", "https://example.com", 1);
    setenv("CORDGATE_LOG_LEVEL", "DEBUG", 1);
    setenv("CORDGATE_LOG_FILE", "syslog", 1);
    setenv("CORDGATE_PID_FILE", "/run/cordgate.pid", 1);
    setenv("CORDGATE_BASE_PATH", "/cordgate", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.database_url, "postgresql://u:p@db/cordgate");
    cr_assert_str_eq(c.listen, "/run/cordgate/fcgi.sock");
    cr_assert_str_eq(c.access_token_secret, "s3cret");
    cr_assert_eq(c.test_tokens, true);
    cr_assert_str_eq(c.test_app_id, "app-1");
    cr_assert_str_eq(c.test_users_file, users);
    cr_assert_eq(c.test_users.count, 1);
    cr_assert_str_eq(c.test_users.payload_prefixes[0],
                     "{\"user_id\":\"u1\",\"user_details\":{\"name\":\"U\"},");
    cr_assert_str_eq(c.cors_origin, "https://example.com");
    cr_assert_eq(c.log_level, LL_DEBUG);
    cr_assert_str_eq(c.log_file, "syslog");
    cr_assert_str_eq(c.pid_file, "/run/cordgate.pid");
    cr_assert_str_eq(c.base_path, "/cordgate");
    config_free(&c);
    assert_freed(&c);
}

static const struct {
    const char *value;
    bool want;
} bool_vectors[] = {
    {"1", true},    {"true", true}, {"TRUE", true},   {"yes", true},
    {"On", true},   {"0", false},   {"false", false}, {"No", false},
    {"off", false}, {"", false},
};

Test(config, booleans_in_every_spelling)
{
    setenv("CORDGATE_TEST_APP_ID", "app-1", 1);
    for (size_t i = 0; i < CG_ARRAY_LEN(bool_vectors); i++) {
        struct config c;
        char err[256] = "";

        setenv("CORDGATE_TEST_TOKENS", bool_vectors[i].value, 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "\"%s\": %s",
                     bool_vectors[i].value, err);
        cr_assert_eq(c.test_tokens, bool_vectors[i].want, "\"%s\"",
                     bool_vectors[i].value);
        config_free(&c);
    }
}

static const struct {
    const char *value;
    enum log_level want;
} level_vectors[] = {
    {"error", LL_ERROR}, {"warn", LL_WARN},   {"warning", LL_WARN},
    {"Info", LL_INFO},   {"debug", LL_DEBUG},
};

Test(config, log_levels)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(level_vectors); i++) {
        struct config c;
        char err[256] = "";

        setenv("CORDGATE_LOG_LEVEL", level_vectors[i].value, 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(c.log_level, level_vectors[i].want, "%s",
                     level_vectors[i].value);
        config_free(&c);
    }
}

Test(config, listen_accepts_paths_and_host_ports)
{
    static const char *const good[] = {
        "/run/cordgate.sock", "./cordgate.sock", "127.0.0.1:9337",
        "localhost:1",        "[::1]:65535",     "0.0.0.0:80",
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(good); i++) {
        struct config c;
        char err[256] = "";

        setenv("CORDGATE_LISTEN", good[i], 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s: %s",
                     good[i], err);
        cr_assert_str_eq(c.listen, good[i]);
        config_free(&c);
    }
}

/* sun_path holds 108 bytes, the terminator included. */
Test(config, listen_socket_path_must_fit_sun_path)
{
    char path[109], err[256] = "", want[256];
    struct config c;

    memset(path, 'x', sizeof(path) - 1);
    path[0] = '/';
    path[107] = '\0';
    setenv("CORDGATE_LISTEN", path, 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.listen, path);
    config_free(&c);

    path[107] = 'x';
    path[108] = '\0';
    setenv("CORDGATE_LISTEN", path, 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "CORDGATE_LISTEN: \"%s\" is not a socket path (/path.sock) or "
             "host:port",
             path);
    cr_assert_str_eq(err, want);
    assert_freed(&c);
}

/* Bad values: -1, one line naming the variable, nothing left to free. */
static const struct {
    const char *name, *value, *message;
} bad_vectors[] = {
    {"CORDGATE_WORKERS", "abc",
     "CORDGATE_WORKERS: \"abc\" is not a whole number"},
    {"CORDGATE_WORKERS", "-1",
     "CORDGATE_WORKERS: \"-1\" is not a whole number"},
    {"CORDGATE_WORKERS", "", "CORDGATE_WORKERS: \"\" is not a whole number"},
    {"CORDGATE_WORKERS", " 4",
     "CORDGATE_WORKERS: \" 4\" is not a whole number"},
    {"CORDGATE_WORKERS", "4 ",
     "CORDGATE_WORKERS: \"4 \" is not a whole number"},
    {"CORDGATE_WORKERS", "99999",
     "CORDGATE_WORKERS: 99999 is out of range (0 to 1024)"},
    {"CORDGATE_WORKERS", "1025",
     "CORDGATE_WORKERS: 1025 is out of range (0 to 1024)"},
    {"CORDGATE_WORKERS", "99999999999999999999999",
     "CORDGATE_WORKERS: \"99999999999999999999999\" is not a whole number"},
    {"CORDGATE_MAX_REQUESTS", "1e3",
     "CORDGATE_MAX_REQUESTS: \"1e3\" is not a whole number"},
    {"CORDGATE_MAX_BODY", "0",
     "CORDGATE_MAX_BODY: 0 is out of range (1 to 1073741824)"},
    {"CORDGATE_MAX_BODY", "1x",
     "CORDGATE_MAX_BODY: \"1x\" is not a size (e.g. 1048576, 512k, 1M)"},
    {"CORDGATE_MAX_BODY", "k",
     "CORDGATE_MAX_BODY: \"k\" is not a size (e.g. 1048576, 512k, 1M)"},
    {"CORDGATE_MAX_BODY", "2G",
     "CORDGATE_MAX_BODY: 2G is out of range (1 to 1073741824)"},
    {"CORDGATE_MAX_BODY", "99999999999999G",
     "CORDGATE_MAX_BODY: \"99999999999999G\" is not a size (e.g. 1048576, "
     "512k, 1M)"},
    {"CORDGATE_REQUEST_TIMEOUT", "5h",
     "CORDGATE_REQUEST_TIMEOUT: \"5h\" is not a duration (e.g. 5, 5s, 250ms)"},
    {"CORDGATE_REQUEST_TIMEOUT", "99ms",
     "CORDGATE_REQUEST_TIMEOUT: 99ms is out of range (100 to 3600000)"},
    {"CORDGATE_REQUEST_TIMEOUT", "3601s",
     "CORDGATE_REQUEST_TIMEOUT: 3601s is out of range (100 to 3600000)"},
    {"CORDGATE_LISTEN", "nohostport",
     "CORDGATE_LISTEN: \"nohostport\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN", "127.0.0.1:0",
     "CORDGATE_LISTEN: \"127.0.0.1:0\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN", "127.0.0.1:70000",
     "CORDGATE_LISTEN: \"127.0.0.1:70000\" is not a socket path (/path.sock) "
     "or host:port"},
    {"CORDGATE_LISTEN", ":9337",
     "CORDGATE_LISTEN: \":9337\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN", "host:",
     "CORDGATE_LISTEN: \"host:\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN", "host:+80",
     "CORDGATE_LISTEN: \"host:+80\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN", "host:80x",
     "CORDGATE_LISTEN: \"host:80x\" is not a socket path (/path.sock) or "
     "host:port"},
    {"CORDGATE_LISTEN_MODE", "999",
     "CORDGATE_LISTEN_MODE: \"999\" is not an octal mode (e.g. 0660)"},
    {"CORDGATE_LISTEN_MODE", "",
     "CORDGATE_LISTEN_MODE: \"\" is not an octal mode (e.g. 0660)"},
    {"CORDGATE_LISTEN_MODE", "-1",
     "CORDGATE_LISTEN_MODE: \"-1\" is not an octal mode (e.g. 0660)"},
    {"CORDGATE_LISTEN_MODE", "01000",
     "CORDGATE_LISTEN_MODE: 01000 is out of range (0 to 511)"},
    {"CORDGATE_LOG_LEVEL", "loud",
     "CORDGATE_LOG_LEVEL: \"loud\" is not one of error, warn, info, debug"},
    {"CORDGATE_LOG_LEVEL", "",
     "CORDGATE_LOG_LEVEL: \"\" is not one of error, warn, info, debug"},
    {"CORDGATE_TEST_TOKENS", "maybe",
     "CORDGATE_TEST_TOKENS: \"maybe\" is not a boolean (1/0, true/false, "
     "yes/no, on/off)"},
    {"CORDGATE_TEST_TOKENS", "2",
     "CORDGATE_TEST_TOKENS: \"2\" is not a boolean (1/0, true/false, "
     "yes/no, on/off)"},
    {"CORDGATE_BASE_PATH", "nolead",
     "CORDGATE_BASE_PATH: \"nolead\" must start with / and not end with /"},
    {"CORDGATE_BASE_PATH", "/trailing/",
     "CORDGATE_BASE_PATH: \"/trailing/\" must start with / and not end with "
     "/"},
    {"CORDGATE_BASE_PATH", "/",
     "CORDGATE_BASE_PATH: \"/\" must start with / and not end with /"},
};

Test(config, bad_values_fail_naming_the_variable)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(bad_vectors); i++) {
        struct config c;
        char err[256] = "";

        /* Set something else too, so a failure has strings to free. */
        setenv("CORDGATE_CORS_ORIGIN", "https://example.com", 1);
        setenv(bad_vectors[i].name, bad_vectors[i].value, 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1, "%s=\"%s\"",
                     bad_vectors[i].name, bad_vectors[i].value);
        cr_assert_str_eq(err, bad_vectors[i].message, "%s=\"%s\"",
                         bad_vectors[i].name, bad_vectors[i].value);
        cr_assert_null(strchr(err, '\n'));
        assert_freed(&c);
        config_free(&c); /* harmless a second time */
        unsetenv(bad_vectors[i].name);
    }
}

/* libpq's parse errors quote the bad part, which may be the password: a bad
 * CORDGATE_DATABASE_URL fails at start and its value is never shown. */
Test(config, bad_database_url_fails_without_showing_it)
{
    static const char *const bad[] = {
        "postgresql://cg:hunter%zz@db/cordgate",
        "host=db hunter2",
        "host=db password=hunter2 nosuchoption=1",
        "postgres://cg:hunter2@db/cordgate?nosuchparam=1",
    };
    static const char *const good[] = {
        "dbname=cordgate",
        "cordgate", /* a bare database name, as libpq takes it */
        "host=/run/postgresql dbname=cordgate password='a b'",
        "postgresql://cg:hunter%20two@db:5432/cordgate?sslmode=require",
        "postgres://db/cordgate",
    };
    struct config c;
    char err[256];

    for (size_t i = 0; i < CG_ARRAY_LEN(bad); i++) {
        setenv("CORDGATE_DATABASE_URL", bad[i], 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1, "%s", bad[i]);
        cr_assert_str_eq(err, "CORDGATE_DATABASE_URL: not a libpq connection "
                              "string or URI (the value is not shown: it may "
                              "hold a password)");
        cr_assert_null(strstr(err, "hunter"));
    }
    for (size_t i = 0; i < CG_ARRAY_LEN(good); i++) {
        setenv("CORDGATE_DATABASE_URL", good[i], 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s: %s",
                     good[i], err);
        cr_assert_str_eq(c.database_url, good[i]);
        config_free(&c);
    }
}

Test(config, test_tokens_without_an_app_id_fail)
{
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_TEST_TOKENS", "1", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(
        err, "CORDGATE_TEST_TOKENS is on but CORDGATE_TEST_APP_ID is not set");
    assert_freed(&c);

    setenv("CORDGATE_TEST_APP_ID", "", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1);
    assert_freed(&c);

    setenv("CORDGATE_TEST_APP_ID", "app-1", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.test_tokens, true);
    config_free(&c);
}

Test(config, file_sets_values_with_or_without_the_prefix)
{
    const char *path =
        write_conf("# cordgate settings\n"
                   "\n"
                   "   # an indented comment\n"
                   "WORKERS=3\n"
                   "CORDGATE_MAX_BODY = 64k\n"
                   "  LISTEN=\"127.0.0.1:8080\"  \n"
                   "BASE_PATH='/api'\n"
                   "DATABASE_URL=host=db dbname=cordgate user=cg\n"
                   "CORS_ORIGIN=\"https://a.example\r\n"
                   "TEST_USERS_FILE=\"\"\n"
                   "PID_FILE=\"unbalanced'\n"
                   "LOG_LEVEL=debug\r\n"
                   "REQUEST_TIMEOUT=750ms");
    struct config c;
    char err[256] = "";

    cr_assert_eq(config_load(&c, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.workers, 3);
    cr_assert_eq(c.max_body, 65536);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.base_path, "/api");
    cr_assert_str_eq(c.database_url, "host=db dbname=cordgate user=cg");
    cr_assert_str_eq(c.cors_origin, "\"https://a.example");
    cr_assert_str_eq(c.test_users_file, "");
    cr_assert_str_eq(c.pid_file, "\"unbalanced'");
    cr_assert_eq(c.log_level, LL_DEBUG);
    cr_assert_eq(c.request_timeout_ms, 750, "a last line without newline");
    /* Untouched settings keep their defaults. */
    cr_assert_eq(c.listen_mode, 0660);
    config_free(&c);
}

Test(config, environment_beats_the_file)
{
    const char *path = write_conf("WORKERS=3\nMAX_BODY=64k\n");
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_WORKERS", "5", 1);
    cr_assert_eq(config_load(&c, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.workers, 5);
    cr_assert_eq(c.max_body, 65536);
    config_free(&c);
}

Test(config, bad_environment_fails_even_when_the_file_is_good)
{
    const char *path = write_conf("WORKERS=3\n");
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_WORKERS", "many", 1);
    cr_assert_eq(config_load(&c, path, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "CORDGATE_WORKERS: \"many\" is not a whole number");
    assert_freed(&c);
}

/* Bad files: the error names the file and line. */
static const struct {
    const char *text;
    const char *suffix; /* after the path */
} bad_files[] = {
    {"WORKERS=4\n# fine so far\nNOPE=1\n", ":3: unknown setting NOPE"},
    {"CORDGATE_NOPE=1\n", ":1: unknown setting CORDGATE_NOPE"},
    {"\n\nCORDGATE_=1\n", ":3: unknown setting CORDGATE_"},
    {"workers=4\n", ":1: unknown setting workers"},
    {"WORKERS 4\n", ":1: expected NAME=value"},
    {"LOG_LEVEL=info\njust words\n", ":2: expected NAME=value"},
};

Test(config, file_errors_name_file_and_line)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(bad_files); i++) {
        const char *path = write_conf(bad_files[i].text);
        char want[256], err[256] = "";
        struct config c;

        snprintf(want, sizeof(want), "%s%s", path, bad_files[i].suffix);
        cr_assert_eq(config_load(&c, path, err, sizeof(err)), -1, "file %zu",
                     i);
        cr_assert_str_eq(err, want, "file %zu", i);
        assert_freed(&c);
        unlink(conf_path);
        conf_path[0] = '\0';
    }
}

Test(config, bad_value_in_the_file_names_file_line_and_variable)
{
    const char *path = write_conf("LISTEN=127.0.0.1:8080\nWORKERS=abc\n");
    struct config c;
    char err[256] = "", want[512];

    cr_assert_eq(config_load(&c, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want),
             "%s:2: CORDGATE_WORKERS: \"abc\" is not a whole number", path);
    cr_assert_str_eq(err, want);
    assert_freed(&c);
}

Test(config, missing_file_fails)
{
    struct config c;
    char err[256] = "";

    cr_assert_eq(
        config_load(&c, "/nonexistent/cordgate.conf", err, sizeof(err)), -1);
    cr_assert_str_eq(
        err, "--config /nonexistent/cordgate.conf: No such file or directory");
    assert_freed(&c);
}

Test(config, a_previous_access_secret_needs_a_current_one)
{
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_ACCESS_TOKEN_PREVIOUS_SECRET", "old-secret", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "CORDGATE_ACCESS_TOKEN_PREVIOUS_SECRET is set but "
                          "CORDGATE_ACCESS_TOKEN_SECRET is not");
    cr_assert_null(strstr(err, "old-secret"), "the secret is not shown");
    assert_freed(&c);

    setenv("CORDGATE_ACCESS_TOKEN_SECRET", "new-secret", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.access_token_secret, "new-secret");
    cr_assert_str_eq(c.access_token_previous_secret, "old-secret");
    config_free(&c);
}

Test(config, help_lists_every_variable_once)
{
    static const char *const names[] = {
        "DATABASE_URL",
        "LISTEN",
        "LISTEN_MODE",
        "WORKERS",
        "MAX_REQUESTS",
        "MAX_BODY",
        "REQUEST_TIMEOUT",
        "ACCESS_TOKEN_SECRET",
        "ACCESS_TOKEN_PREVIOUS_SECRET",
        "TEST_TOKENS",
        "TEST_USERS_FILE",
        "TEST_APP_ID",
        "CORS_ORIGIN",
        "LOG_LEVEL",
        "LOG_FILE",
        "PID_FILE",
        "BASE_PATH",
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_not_null(f);
    config_print_help(f);
    fclose(f);
    for (const char *p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
        char name[64], want[68];

        cr_assert_eq(sscanf(p, "  %63s", name), 1);
        cr_assert(strncmp(p, "  CORDGATE_", 11) == 0, "%s", name);
        cr_assert_not_null(strchr(p, '\n'));
        snprintf(want, sizeof(want), "  %s ", name);
        cr_assert_eq(strstr(text, want), p, "%s is listed twice", name);
    }
    for (size_t i = 0; i < CG_ARRAY_LEN(names); i++) {
        char want[64];

        snprintf(want, sizeof(want), "  CORDGATE_%s ", names[i]);
        cr_assert_not_null(strstr(text, want), "%s", names[i]);
    }
    cr_assert_not_null(strstr(text, "[auto]"));
    cr_assert_not_null(strstr(text, "[1M]"));
    free(text);
}

Test(config, test_tokens_default_to_the_four_users_of_the_guide)
{
    struct config c;
    char err[256] = "";

    setenv("CORDGATE_TEST_TOKENS", "1", 1);
    setenv("CORDGATE_TEST_APP_ID", "app-1", 1);
    cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.test_users.count, 4);
    cr_assert_str_eq(c.test_users.payload_prefixes[1],
                     "{\"user_id\":\"minervahalleck\",\"organization_id\":"
                     "\"starpotterdunewars\",\"user_details\":{\"email\":\"\","
                     "\"name\":\"Minerva Halleck\"},\"organization_details\":"
                     "{\"name\":\"starpotterdunewars\"},");
    config_free(&c);
}

Test(config, bad_test_users_files_are_refused)
{
    static const char *const bad[] = {
        "",
        "{}",
        "[]",
        "[1]",
        "[{\"name\":\"no id\"}]",
        "[{\"user_id\":\"\"}]",
        "[{\"user_id\":\"u\",\"iat\":1}]",
        "[{",
    };
    size_t i;

    setenv("CORDGATE_TEST_TOKENS", "1", 1);
    setenv("CORDGATE_TEST_APP_ID", "app-1", 1);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct config c;
        char err[512] = "";
        const char *path = write_conf(bad[i]);

        setenv("CORDGATE_TEST_USERS_FILE", path, 1);
        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1, "row %zu", i);
        cr_assert(strstr(err, "CORDGATE_TEST_USERS_FILE") != NULL, "%s", err);
        unlink(path);
    }
    setenv("CORDGATE_TEST_USERS_FILE", "/nonexistent/users.json", 1);
    {
        struct config c;
        char err[512] = "";

        cr_assert_eq(config_load(&c, NULL, err, sizeof(err)), -1);
    }
}
