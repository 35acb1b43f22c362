/* The command line: serve, migrate, app create|list, token server|client. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"
#include "cordgate/log.h"
#include "cordgate/store.h"
#include "cordgate/supervisor.h"

#define EXIT_USAGE 2

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: cordgate [--config FILE] COMMAND [OPTIONS]\n"
            "\n"
            "A Cord-compatible auth token and user service (FastCGI).\n"
            "\n"
            "Commands:\n"
            "  serve [--workers N]      serve FastCGI requests; N = 0 runs "
            "one process\n"
            "  migrate                  create or upgrade the database "
            "tables\n"
            "  app create --name NAME   create an app; prints its id and "
            "secret\n"
            "  app list                 list apps (without secrets)\n"
            "  token server --app ID    print a server auth token for the "
            "app\n"
            "                           (valid for one minute, for curl)\n"
            "  token client --app ID --user USER [--group GROUP] "
            "[--details JSON]\n"
            "                           print a client auth token for a "
            "user\n"
            "\n"
            "Options:\n"
            "  --config FILE            read NAME=value settings from FILE "
            "(the\n"
            "                           environment overrides them)\n"
            "  -h, --help               show this help\n"
            "  -V, --version            show the version\n"
            "\n"
            "Environment (default in brackets):\n");
    config_print_help(out);
    fprintf(out, "\nSignals to serve: TERM/INT/QUIT drain and stop, HUP (or "
                 "USR2) reloads and\nreplaces workers, USR1 reopens the log "
                 "file.\n");
}

static void
print_migration(int version, const char *name)
{
    printf("applied %03d %s\n", version, name);
}

static const char *
option_value(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
            return argv[i] + n + 1;
    }
    return NULL;
}

/*
 * `token server --app ID`: what @cord-sdk/server's getServerAuthToken
 * makes, {app_id, iat, exp = iat + 60} signed HS512 with the app secret.
 * `token client --app ID --user U [--group G] [--details JSON]`: what its
 * getClientAuthToken makes of {user_id, group_id, user_details}.
 */
static int
print_token(struct db *db, struct arena *a, int64_t deadline, int argc,
            char **argv, enum cg_err *e)
{
    const char *id = option_value(argc, argv, "--app");
    const char *user = option_value(argc, argv, "--user");
    const char *group = option_value(argc, argv, "--group");
    const char *details = option_value(argc, argv, "--details");
    bool client = argc >= 2 && strcmp(argv[1], "client") == 0;
    struct json_object *d = NULL;
    struct app app;
    struct buf payload, out;
    int64_t now = clock_wall_seconds();

    if (argc < 2 || id == NULL || (client && user == NULL) ||
        (!client && strcmp(argv[1], "server") != 0)) {
        fprintf(stderr, "cordgate: usage: token server --app ID\n"
                        "       cordgate token client --app ID --user USER "
                        "[--group GROUP] [--details JSON]\n");
        return EXIT_USAGE;
    }
    if (details != NULL &&
        (json_parse(a, details, strlen(details), &d) != JSON_PARSE_OK ||
         !json_object_is_type(d, json_type_object))) {
        fprintf(stderr, "cordgate: --details must be a JSON object\n");
        return EXIT_USAGE;
    }
    *e = store_app_get(db, a, deadline, id, &app);
    if (*e != CG_ERR_OK)
        return 0;
    buf_init(&payload, a, 1u << 20);
    buf_init(&out, a, 2u << 20);
    *e = CG_ERR_INTERNAL;
    if (client) {
        if (buf_append_str(&payload, "{\"user_id\":") ||
            buf_append_json_string(&payload, user, strlen(user)) ||
            (group &&
             (buf_append_str(&payload, ",\"group_id\":") ||
              buf_append_json_string(&payload, group, strlen(group)))) ||
            (d && (buf_append_str(&payload, ",\"user_details\":") ||
                   json_write_compact(&payload, d))) ||
            buf_printf(&payload, ",\"project_id\":\"%s\"", app.id))
            return 0;
    } else if (buf_printf(&payload, "{\"app_id\":\"%s\"", app.id)) {
        return 0;
    }
    if (buf_printf(&payload, ",\"iat\":%lld,\"exp\":%lld}", (long long)now,
                   (long long)now + 60) ||
        jwt_sign(&out, JWT_HS512, payload.data, payload.len, app.secret,
                 strlen(app.secret)) != 0)
        return 0;
    *e = CG_ERR_OK;
    printf("%s\n", out.data);
    return 0;
}

/* Commands that talk to the database once and exit. */
static int
run_db_command(const struct config *cfg, int argc, char **argv)
{
    struct arena *a = arena_create(64 << 10, 64 << 20);
    struct db *db = db_create(cfg->database_url, NULL, false, 0);
    int64_t deadline = clock_mono_ms() + (int64_t)cfg->request_timeout_ms * 12;
    enum cg_err e = CG_ERR_OK;
    int status = 0;

    if (a == NULL || db == NULL) {
        fprintf(stderr, "cordgate: out of memory\n");
        status = 1;
        goto out;
    }
    if (strcmp(argv[0], "migrate") == 0) {
        e = store_migrate(db, a, deadline, print_migration);
        if (e == CG_ERR_OK)
            printf("database is up to date\n");
    } else if (argc >= 2 && strcmp(argv[1], "create") == 0) {
        const char *name = NULL;
        struct app app;
        int i;

        for (i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
                name = argv[++i];
            else if (strncmp(argv[i], "--name=", 7) == 0)
                name = argv[i] + 7;
        }
        if (name == NULL || name[0] == '\0') {
            fprintf(stderr, "cordgate: app create needs --name NAME\n");
            status = EXIT_USAGE;
            goto out;
        }
        e = store_app_create(db, a, deadline, name, &app);
        if (e == CG_ERR_OK)
            printf("CORDGATE_APP_ID=%s\nCORDGATE_APP_SECRET=%s\n", app.id,
                   app.secret);
    } else if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        struct app *apps;
        int i, n;

        e = store_app_list(db, a, deadline, &apps, &n);
        for (i = 0; e == CG_ERR_OK && i < n; i++)
            printf("%s\t%s\t%s\n", apps[i].id, apps[i].created_at,
                   apps[i].name);
    } else if (strcmp(argv[0], "token") == 0) {
        status = print_token(db, a, deadline, argc, argv, &e);
        if (status != 0)
            goto out;
    } else {
        fprintf(stderr, "cordgate: app needs a subcommand: create, list\n");
        status = EXIT_USAGE;
        goto out;
    }
    if (e != CG_ERR_OK) {
        fprintf(stderr, "cordgate: %s failed: %s\n", argv[0],
                db_last_error(db)[0] ? db_last_error(db) : err_message(e));
        status = 1;
    }
out:
    db_destroy(db);
    arena_destroy(a);
    return status;
}

/* Options after the command: --config and, for serve, --workers, as
 * "--opt VALUE" or "--opt=VALUE".  The words they use are blanked out so the
 * command sees only its own. */
static int
command_options(int argc, char **argv, const char **config_file,
                const char **workers)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char **dst = NULL;
        const char *name = argv[i];
        size_t n;

        if (strncmp(name, "--config", 8) == 0)
            dst = config_file;
        else if (strncmp(name, "--workers", 9) == 0 &&
                 strcmp(argv[0], "serve") == 0)
            dst = workers;
        else if (strcmp(argv[0], "serve") == 0 ||
                 strcmp(argv[0], "migrate") == 0) {
            fprintf(stderr, "cordgate: %s: unknown option %s\n", argv[0], name);
            return -1;
        }
        if (dst == NULL)
            continue;
        n = strcspn(name, "=");
        if (name[n] == '=') {
            *dst = name + n + 1;
        } else if (i + 1 < argc) {
            argv[i++] = ""; /* the name; its value is blanked below */
            *dst = argv[i];
        } else {
            fprintf(stderr, "cordgate: %s needs a value\n", name);
            return -1;
        }
        argv[i] = "";
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"workers", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL, *workers = NULL;
    struct config *cfg;
    char err[512];
    int opt, status;

    /* Global options stop at the command ("+"); its own options follow. */
    while ((opt = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_file = optarg;
            break;
        case 'w':
            workers = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("cordgate %s\n", CORDGATE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'cordgate --help'.\n");
            return EXIT_USAGE;
        }
    }
    argc -= optind;
    argv += optind;
    if (command_options(argc, argv, &config_file, &workers) != 0)
        return EXIT_USAGE;
    if (argc == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "serve") != 0 && strcmp(argv[0], "migrate") != 0 &&
        strcmp(argv[0], "app") != 0 && strcmp(argv[0], "token") != 0) {
        fprintf(stderr, "cordgate: unknown command \"%s\"; try --help\n",
                argv[0]);
        return EXIT_USAGE;
    }
    if (workers != NULL && setenv("CORDGATE_WORKERS", workers, 1) != 0)
        return EXIT_USAGE;
    cfg = malloc(sizeof(*cfg));
    if (cfg == NULL)
        return 1;
    if (config_load(cfg, config_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "cordgate: %s\n", err);
        free(cfg);
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "serve") != 0) {
        status = run_db_command(cfg, argc, argv);
        config_free(cfg);
        free(cfg);
        return status;
    }
    if (log_open(cfg->log_file, cfg->log_level) != 0) {
        fprintf(stderr, "cordgate: CORDGATE_LOG_FILE: cannot open %s: %s\n",
                cfg->log_file, strerror(errno));
        config_free(cfg);
        free(cfg);
        return EXIT_USAGE;
    }
    status = supervisor_run(cfg, config_file);
    log_close();
    return status;
}
