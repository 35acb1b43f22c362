/* Configuration: CORDGATE_* variables, an optional file, validated at start. */
#ifndef CORDGATE_CONFIG_H
#define CORDGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cordgate/compiler.h"
#include "cordgate/testusers.h"

enum log_level { LL_ERROR, LL_WARN, LL_INFO, LL_DEBUG };

struct config {
    char *database_url;
    char *listen;
    unsigned long listen_mode;
    unsigned long workers; /* 0 = one process, no master */
    bool workers_auto;     /* "auto": no count was given */
    unsigned long max_requests;
    unsigned long max_body;
    unsigned long batch_max_body; /* POST /v1/batch's own limit */
    bool email_required;          /* the seeds' rule for creating users */
    unsigned long request_timeout_ms;
    unsigned long read_timeout_ms;
    char *access_token_secret;
    char *access_token_previous_secret; /* still verifies; needs the above */
    bool test_tokens;
    char *test_users_file;
    char *test_app_id;
    char *cors_origin;     /* of the test-token endpoint */
    char *api_cors_origin; /* of the API routes; "" for none */
    enum log_level log_level;
    char *log_file;
    char *pid_file;
    char *base_path;
    bool db_prepared;    /* named prepared statements (off for PgBouncer) */
    char *metrics_token; /* GET /metrics wants it as a bearer token; "" none */
    unsigned long session_purge_interval_ms; /* 0: sessions are never purged */
    /* Loaded from TEST_USERS_FILE (or the defaults) when TEST_TOKENS is on. */
    struct test_users test_users;
};

/*
 * Fill c from the defaults, then the file (if not NULL), then the
 * environment, each value going through the same parser and validator.  On
 * failure returns -1 with one line in err, naming the variable and the
 * problem; c then holds nothing that needs freeing.
 */
int config_load(struct config *c, const char *file, char *err,
                size_t errlen) CG_MUSTCHECK;
void config_free(struct config *c);
/* One line per variable: name, default and what it does. */
void config_print_help(FILE *out);
/* The default worker count: 4 per CPU, at least 4. */
unsigned long config_default_workers(void);

#endif
