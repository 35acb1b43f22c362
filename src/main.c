/* The command line: serve, migrate, app, session, access-secret, token. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/buf.h"
#include "cordgate/cache.h"
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
            "  app list                 list apps: secret age, previous "
            "secret, sessions\n"
            "  app rotate-secret --app ID [--grace DURATION]\n"
            "                           a new secret, printed once; the "
            "old one still\n"
            "                           verifies for DURATION (default "
            "24h; 0: not at all)\n"
            "  app delete --app ID      delete an app with its users, "
            "groups and sessions\n"
            "  session revoke --app ID | --session ID\n"
            "                           revoke every access token of an "
            "app, or one\n"
            "  access-secret rotate [--grace DURATION]\n"
            "                           a new access-token signing secret; "
            "tokens signed\n"
            "                           with the old one stay valid for "
            "DURATION\n"
            "                           (default 24h10s: as long as they "
            "live)\n"
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
            "A DURATION is a whole number of seconds or of s, m, h or d, "
            "e.g. 90s, 30m, 24h.\n"
            "Workers on every host see each change within %d seconds.\n"
            "\n"
            "Environment (default in brackets):\n",
            CACHE_TTL_MS / 1000);
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

/*
 * The options of a subcommand from argv[first] on: each of names
 * (NULL-terminated) at most once, as "--name VALUE" or "--name=VALUE", into
 * values[i] (NULL when not given).  Words that command_options blanked are
 * skipped.  Anything else is a usage error, said on stderr.
 */
static int
subcommand_options(int argc, char **argv, int first, const char *const *names,
                   const char **values)
{
    int i, k;

    for (k = 0; names[k] != NULL; k++)
        values[k] = NULL;
    for (i = first; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        size_t n = strcspn(arg, "=");

        if (arg[0] == '\0')
            continue;
        for (k = 0; names[k] != NULL; k++)
            if (strlen(names[k]) == n && strncmp(arg, names[k], n) == 0)
                break;
        if (names[k] == NULL) {
            fprintf(stderr, "cordgate: %s %s: unknown option %s\n", argv[0],
                    argv[1], arg);
            return -1;
        }
        if (arg[n] == '=')
            value = arg + n + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        if (value == NULL || value[0] == '\0' || values[k] != NULL) {
            fprintf(stderr, "cordgate: %s %s: %s needs one value\n", argv[0],
                    argv[1], names[k]);
            return -1;
        }
        values[k] = value;
    }
    return 0;
}

/* Grace periods: an app secret's by default a day, long enough for a fleet
 * to roll its configuration; at most 30 days. */
#define APP_GRACE_DEFAULT_MS (86400LL * 1000)
#define GRACE_MAX_MS         (30LL * 86400 * 1000)

/* A DURATION: whole seconds, or a whole number of s, m, h or d. */
static int
parse_duration_ms(const char *s, int64_t *ms)
{
    static const char units[] = "smhd";
    static const long long mult[] = {1000, 60000, 3600000, 86400000};
    const char *u;
    char *end;
    long long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || v > GRACE_MAX_MS)
        return -1;
    if (*end == '\0') {
        *ms = v * 1000;
    } else if (end[1] == '\0' && (u = strchr(units, *end)) != NULL) {
        *ms = v * mult[u - units];
    } else {
        return -1;
    }
    return *ms <= GRACE_MAX_MS ? 0 : -1;
}

/* --grace into *ms (dflt when absent); a usage error is said on stderr. */
static int
grace_option(const char *value, int64_t dflt, int64_t *ms)
{
    *ms = dflt;
    if (value != NULL && parse_duration_ms(value, ms) != 0) {
        fprintf(stderr,
                "cordgate: --grace: \"%s\" is not a duration of at most 30 "
                "days (e.g. 0, 90s, 30m, 24h, 2d)\n",
                value);
        return -1;
    }
    return 0;
}

/* A wall-clock time in milliseconds as ISO 8601 UTC, to the second. */
static const char *
iso_utc(int64_t ms, char buf[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "?");
    return buf;
}

/* An age as 45s, 12m, 5h03m or 3d04h. */
static const char *
age_text(long long s, char buf[32])
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, 32, "%llds", s);
    else if (s < 3600)
        snprintf(buf, 32, "%lldm", s / 60);
    else if (s < 86400)
        snprintf(buf, 32, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        snprintf(buf, 32, "%lldd%02lldh", s / 86400, s / 3600 % 24);
    return buf;
}

/* What a command needs: the database, an arena for its results, and when
 * the database part must be over. */
struct command_ctx {
    const struct config *cfg;
    struct db *db;
    struct arena *a;
    int64_t deadline;
};

static int
cmd_app_create(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    static const char *const names[] = {"--name", NULL};
    const char *name;
    struct app app;

    if (subcommand_options(argc, argv, 2, names, &name) != 0)
        return EXIT_USAGE;
    if (name == NULL) {
        fprintf(stderr, "cordgate: app create needs --name NAME\n");
        return EXIT_USAGE;
    }
    *e = store_app_create(c->db, c->a, c->deadline, name, &app);
    if (*e == CG_ERR_OK)
        printf("CORDGATE_APP_ID=%s\nCORDGATE_APP_SECRET=%s\n", app.id,
               app.secret);
    return 0;
}

static int
cmd_app_list(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    static const char *const names[] = {NULL};
    struct app_summary *apps;
    char age[32];
    int i, n;

    if (subcommand_options(argc, argv, 2, names, NULL) != 0)
        return EXIT_USAGE;
    *e = store_app_list(c->db, c->a, c->deadline, &apps, &n);
    if (*e != CG_ERR_OK)
        return 0;
    printf("APP_ID\tCREATED\tSECRET_AGE\tPREVIOUS_SECRET_UNTIL\t"
           "ACTIVE_SESSIONS\tNAME\n");
    for (i = 0; i < n; i++)
        printf("%s\t%s\t%s\t%s\t%lld\t%s\n", apps[i].id, apps[i].created_at,
               age_text(apps[i].secret_age_s, age),
               apps[i].previous_until ? apps[i].previous_until : "-",
               apps[i].active_sessions, apps[i].name);
    return 0;
}

static int
cmd_app_rotate_secret(struct command_ctx *c, int argc, char **argv,
                      enum cg_err *e)
{
    static const char *const names[] = {"--app", "--grace", NULL};
    const char *v[2];
    char until[32];
    int64_t grace_ms;
    bool dropped;
    struct app app;

    if (subcommand_options(argc, argv, 2, names, v) != 0)
        return EXIT_USAGE;
    if (v[0] == NULL) {
        fprintf(stderr, "cordgate: usage: app rotate-secret --app ID "
                        "[--grace DURATION]\n");
        return EXIT_USAGE;
    }
    if (grace_option(v[1], APP_GRACE_DEFAULT_MS, &grace_ms) != 0)
        return EXIT_USAGE;
    *e = store_app_rotate_secret(c->db, c->a, c->deadline, v[0], grace_ms, &app,
                                 &dropped);
    if (*e == CG_ERR_PROJECT_NOT_FOUND) {
        *e = CG_ERR_OK;
        fprintf(stderr, "cordgate: no app %s\n", v[0]);
        return 1;
    }
    if (*e != CG_ERR_OK)
        return 0;
    printf("CORDGATE_APP_ID=%s\nCORDGATE_APP_SECRET=%s\n", app.id, app.secret);
    if (dropped)
        fprintf(stderr, "cordgate: the secret before the previous one was "
                        "still in its grace: it stops now\n");
    if (app.previous_secret != NULL)
        fprintf(stderr,
                "cordgate: the previous secret verifies tokens until %s\n",
                iso_utc(app.previous_until_ms, until));
    else
        fprintf(stderr, "cordgate: the previous secret no longer verifies "
                        "tokens\n");
    fprintf(stderr, "cordgate: every worker sees the change within %d s\n",
            CACHE_TTL_MS / 1000);
    return 0;
}

static int
cmd_app_delete(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    static const char *const names[] = {"--app", NULL};
    const char *id;
    struct app_deleted d;
    bool found;

    if (subcommand_options(argc, argv, 2, names, &id) != 0)
        return EXIT_USAGE;
    if (id == NULL) {
        fprintf(stderr, "cordgate: usage: app delete --app ID\n");
        return EXIT_USAGE;
    }
    *e = store_app_delete(c->db, c->a, c->deadline, id, &d, &found);
    if (*e != CG_ERR_OK)
        return 0;
    if (!found) {
        fprintf(stderr, "cordgate: no app %s\n", id);
        return 1;
    }
    printf("deleted app %s (%s): %lld users, %lld groups, %lld sessions\n", id,
           d.name, d.users, d.groups, d.sessions);
    return 0;
}

static int
cmd_session_revoke(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    static const char *const names[] = {"--app", "--session", NULL};
    const char *v[2], *app_id;
    enum session_revoke result;
    long long n;
    bool found;

    if (subcommand_options(argc, argv, 2, names, v) != 0)
        return EXIT_USAGE;
    if ((v[0] == NULL) == (v[1] == NULL)) {
        fprintf(stderr, "cordgate: usage: session revoke --app ID\n"
                        "       cordgate session revoke --session ID\n");
        return EXIT_USAGE;
    }
    if (v[0] != NULL) {
        *e = store_sessions_revoke_app(c->db, c->a, c->deadline, v[0], &n,
                                       &found);
        if (*e != CG_ERR_OK)
            return 0;
        if (!found) {
            fprintf(stderr, "cordgate: no app %s\n", v[0]);
            return 1;
        }
        printf("revoked %lld session%s of app %s\n", n, n == 1 ? "" : "s",
               v[0]);
        return 0;
    }
    *e = store_session_revoke(c->db, c->a, c->deadline, v[1], &result, &app_id);
    if (*e != CG_ERR_OK)
        return 0;
    switch (result) {
    case SESSION_REVOKE_DONE:
        printf("revoked session %s of app %s\n", v[1], app_id);
        return 0;
    case SESSION_REVOKE_ALREADY:
        printf("session %s of app %s was already revoked or expired\n", v[1],
               app_id);
        return 0;
    case SESSION_REVOKE_MISSING:
        break;
    }
    fprintf(stderr, "cordgate: no session %s\n", v[1]);
    return 1;
}

static int
cmd_access_secret_rotate(struct command_ctx *c, int argc, char **argv,
                         enum cg_err *e)
{
    static const char *const names[] = {"--grace", NULL};
    const char *grace, *until;
    bool dropped, missing;
    int64_t grace_ms;

    if (subcommand_options(argc, argv, 2, names, &grace) != 0)
        return EXIT_USAGE;
    /* The longest a token signed with the old secret can live: a worker
     * signs with it until it sees the change, and its token lives on. */
    if (grace_option(grace, (AUTH_ACCESS_TOKEN_TTL * 1000LL) + CACHE_TTL_MS,
                     &grace_ms) != 0)
        return EXIT_USAGE;
    if (c->cfg->access_token_secret[0] != '\0') {
        fprintf(stderr,
                "cordgate: CORDGATE_ACCESS_TOKEN_SECRET is set, so the "
                "access-token secret is the configuration's: to rotate it, "
                "set CORDGATE_ACCESS_TOKEN_PREVIOUS_SECRET to its value and "
                "CORDGATE_ACCESS_TOKEN_SECRET to a new one on every host, "
                "reload, and remove the previous one 24 hours later\n");
        return EXIT_USAGE;
    }
    *e = store_access_secret_rotate(c->db, c->a, c->deadline, grace_ms, &until,
                                    &dropped, &missing);
    if (missing) {
        *e = CG_ERR_OK;
        fprintf(stderr, "cordgate: no access-token secret yet: run "
                        "`cordgate migrate`\n");
        return 1;
    }
    if (*e != CG_ERR_OK)
        return 0;
    if (dropped)
        fprintf(stderr, "cordgate: the secret before the previous one was "
                        "still in its grace: it stops now\n");
    if (until != NULL)
        printf("rotated the access-token secret; the previous one verifies "
               "tokens until %s\n",
               until);
    else
        printf("rotated the access-token secret; tokens signed with the "
               "previous one are refused\n");
    fprintf(stderr, "cordgate: every worker sees the change within %d s\n",
            CACHE_TTL_MS / 1000);
    return 0;
}

static int
cmd_token(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    return print_token(c->db, c->a, c->deadline, argc, argv, e);
}

static int
cmd_migrate(struct command_ctx *c, int argc, char **argv, enum cg_err *e)
{
    (void)argc;
    (void)argv;
    *e = store_migrate(c->db, c->a, c->deadline, print_migration);
    if (*e == CG_ERR_OK)
        printf("database is up to date\n");
    return 0;
}

/* The commands that talk to the database; sub NULL takes any (its own
 * function checks it). */
static const struct command {
    const char *name;
    const char *sub;
    int (*run)(struct command_ctx *c, int argc, char **argv, enum cg_err *e);
} commands[] = {
    {"migrate", NULL, cmd_migrate},
    {"app", "create", cmd_app_create},
    {"app", "list", cmd_app_list},
    {"app", "rotate-secret", cmd_app_rotate_secret},
    {"app", "delete", cmd_app_delete},
    {"session", "revoke", cmd_session_revoke},
    {"access-secret", "rotate", cmd_access_secret_rotate},
    {"token", NULL, cmd_token},
};

/* Is name a command of the table (or serve)? */
static bool
command_exists(const char *name)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return true;
    return strcmp(name, "serve") == 0;
}

/* Commands that talk to the database once and exit. */
static int
run_db_command(const struct config *cfg, int argc, char **argv)
{
    const struct command *cmd = NULL;
    struct command_ctx c = {cfg, NULL, NULL, 0};
    enum cg_err e = CG_ERR_OK;
    const char *sub = NULL;
    int i, status = 0;

    /* The subcommand: the first word command_options left. */
    for (i = 1; i < argc && sub == NULL; i++)
        if (argv[i][0] != '\0') {
            sub = argv[i];
            if (i != 1) { /* keep it in argv[1] for the messages */
                argv[i] = argv[1];
                argv[1] = (char *)sub;
            }
        }
    for (i = 0; i < (int)CG_ARRAY_LEN(commands) && cmd == NULL; i++)
        if (strcmp(commands[i].name, argv[0]) == 0 &&
            (commands[i].sub == NULL ||
             (sub != NULL && strcmp(commands[i].sub, sub) == 0)))
            cmd = &commands[i];
    if (cmd == NULL) {
        if (sub != NULL)
            fprintf(stderr, "cordgate: %s: unknown subcommand \"%s\";", argv[0],
                    sub);
        else
            fprintf(stderr, "cordgate: %s needs a subcommand:", argv[0]);
        for (i = 0; i < (int)CG_ARRAY_LEN(commands); i++)
            if (strcmp(commands[i].name, argv[0]) == 0)
                fprintf(stderr, " %s", commands[i].sub);
        fprintf(stderr, "; try --help\n");
        return EXIT_USAGE;
    }
    c.a = arena_create(64 << 10, 64 << 20);
    c.db = db_create(cfg->database_url, NULL, false, 0);
    c.deadline = clock_mono_ms() + (int64_t)cfg->request_timeout_ms * 12;
    if (c.a == NULL || c.db == NULL) {
        fprintf(stderr, "cordgate: out of memory\n");
        status = 1;
        goto out;
    }
    status = cmd->run(&c, argc, argv, &e);
    if (status == 0 && e != CG_ERR_OK) {
        fprintf(stderr, "cordgate: %s failed: %s\n", argv[0],
                db_last_error(c.db)[0] ? db_last_error(c.db) : err_message(e));
        status = 1;
    }
out:
    db_destroy(c.db);
    arena_destroy(c.a);
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
    if (!command_exists(argv[0])) {
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
