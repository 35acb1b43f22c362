/* The worker's PostgreSQL connection: lazy, bounded in time, re-opened. */
#include "cordgate/db.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/resolve.h"

/* Statements prepared on the current connection, by their text. */
#define DB_MAX_PREPARED 64
/* "cg" and 16 hex digits of the text's hash. */
#define DB_NAME_LEN 24
/* How long a connection may take to answer when it must prove that the
 * server is alive: after a statement ran out of time, and as the probe of an
 * open circuit. */
#define DB_PROBE_MS 500
/* While the circuit is open, one request in this long may try the server,
 * for at most DB_PROBE_MS: one probe at a time, so that of the workers, at
 * most one waits. */
#define DB_PROBE_EVERY_MS DB_PROBE_MS

struct prepared {
    uint64_t hash;
    char *sql;
};

/*
 * Whether PostgreSQL answers, shared by every worker of the host
 * (db_share_health maps it before they are forked).  A frozen or unreachable
 * server costs each statement its whole deadline; were every worker to wait
 * it out in turn, requests would queue behind them for many deadlines.  So
 * when the server is found not answering, the circuit opens: statements fail
 * at once with a 503, but for one probe every DB_PROBE_EVERY_MS, and the
 * first statement that succeeds closes it again.
 */
struct db_health {
    int open;              /* the server did not answer */
    int64_t next_probe_ms; /* when the next probe may go (CLOCK_MONOTONIC) */
    int first_host;        /* of several hosts, the one tried first */
};

static struct db_health local_health;
static struct db_health *health = &local_health;

int
db_share_health(void)
{
    struct db_health *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (h == MAP_FAILED)
        return -1;
    memset(h, 0, sizeof(*h));
    health = h;
    return 0;
}

/*
 * Several hosts.  libpq tries the hosts of a multi-host conninfo (host=a,b
 * port=P1,P2 target_session_attrs=read-write) in order within one attempt,
 * passing over those that refuse, fail or take no writes; but it moves past
 * a host that does not answer at all only in its blocking connect, on
 * connect_timeout.  Under cordgate's asynchronous connect, a first host
 * that is frozen or cut off would take every attempt's whole deadline, and
 * the hosts after it, the new primary among them, would never be tried.
 * So an attempt that runs out of time makes every worker start from the
 * host after the one that did not answer (health->first_host): the host,
 * hostaddr and port lists go rotated after the conninfo, whose own lists
 * they override.
 */
enum { DB_HOST, DB_HOSTADDR, DB_PORT, DB_HOST_KEYS };
static const char *const host_keys[DB_HOST_KEYS] = {"host", "hostaddr", "port"};

struct db {
    char *conninfo;
    int nhosts;                   /* hosts the conninfo names, at least 1 */
    char *hostlist[DB_HOST_KEYS]; /* its lists of several items, or NULL */
    char *rotated[DB_HOST_KEYS];  /* the same from first_used on */
    int first_used;               /* the first host of the last attempt */
    int hung_host; /* the host it ran out of time on; -1: not known */
    char *host;    /* the conninfo's host and port, NULL when it has none */
    char *port;
    bool lookups; /* names to look up: a host, and no hostaddr */
    struct resolver *resolver;
    PGconn *conn;
    struct metrics *metrics;
    unsigned timeout_ms; /* server-side statement timeout; 0: none */
    bool use_prepared;
    bool no_options; /* a pooler refused the "options" parameter */
    struct prepared prepared[DB_MAX_PREPARED];
    int nprepared;
    char sqlstate[6];
    char error[256];
};

/* The items of a comma-separated list. */
static int
list_items(const char *s)
{
    int n = 1;

    for (; *s != '\0'; s++)
        n += *s == ',';
    return n;
}

/* dst = src's items from item k on, then those before it (same length). */
static void
rotate_list(char *dst, const char *src, int k)
{
    const char *p = src;
    size_t head, tail;

    while (k-- > 0)
        p = strchr(p, ',') + 1;
    head = (size_t)(p - src); /* items before k, with their last comma */
    tail = strlen(p);
    memcpy(dst, p, tail);
    if (head > 0) {
        dst[tail] = ',';
        memcpy(dst + tail + 1, src, head - 1);
    }
    dst[tail + head] = '\0';
}

static void
free_hosts(struct db *db)
{
    int i;

    for (i = 0; i < DB_HOST_KEYS; i++) {
        free(db->hostlist[i]);
        free(db->rotated[i]);
        db->hostlist[i] = db->rotated[i] = NULL;
    }
    db->nhosts = 1;
}

/* The conninfo's host lists, kept when it names several hosts.  Anything
 * else (one host, a conninfo libpq cannot parse, out of memory) leaves the
 * conninfo to libpq as it is. */
static void
find_hosts(struct db *db)
{
    PQconninfoOption *opts = PQconninfoParse(db->conninfo, NULL), *o;
    int i, n;

    db->nhosts = 1;
    if (opts == NULL)
        return;
    for (o = opts; o->keyword != NULL; o++) {
        char **keep = strcmp(o->keyword, "host") == 0   ? &db->host
                      : strcmp(o->keyword, "port") == 0 ? &db->port
                                                        : NULL;

        if (keep != NULL && o->val != NULL && o->val[0] != '\0')
            *keep = strdup(o->val);
        if (strcmp(o->keyword, "hostaddr") == 0 && o->val != NULL &&
            o->val[0] != '\0')
            db->lookups = false;
        for (i = 0; i < DB_HOST_KEYS; i++) {
            if (strcmp(o->keyword, host_keys[i]) != 0 || o->val == NULL ||
                (n = list_items(o->val)) < 2)
                continue;
            db->hostlist[i] = strdup(o->val);
            db->rotated[i] = strdup(o->val);
            if (db->hostlist[i] == NULL || db->rotated[i] == NULL) {
                free_hosts(db);
                PQconninfoFree(opts);
                return;
            }
            if (i != DB_PORT && n > db->nhosts)
                db->nhosts = n;
        }
    }
    PQconninfoFree(opts);
    if (db->nhosts < 2)
        free_hosts(db);
}

/* Whether item i of the list is s; a list of one item is every host's. */
static bool
list_item_is(const char *list, int i, const char *s)
{
    const char *end;
    size_t n = strlen(s);

    if (list == NULL)
        return true;
    while (i-- > 0 && (list = strchr(list, ',')) != NULL)
        list++;
    if (list == NULL)
        return false;
    end = strchr(list, ',');
    return (size_t)((end ? end : list + strlen(list)) - list) == n &&
           strncmp(list, s, n) == 0;
}

/* The host of the list that the connection is being made to (PQhost and
 * PQport name it while libpq tries it), -1 when none matches. */
static int
host_being_tried(const struct db *db)
{
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    const char *hosts = db->hostlist[DB_HOST] != NULL
                            ? db->hostlist[DB_HOST]
                            : db->hostlist[DB_HOSTADDR];
    int i;

    if (host == NULL || port == NULL)
        return -1;
    for (i = 0; i < db->nhosts; i++)
        if (list_item_is(hosts, i, host) &&
            list_item_is(db->hostlist[DB_PORT], i, port))
            return i;
    return -1;
}

/* An attempt that began at host db->first_used ran out of time on host
 * db->hung_host: every worker begins at the host after that one, unless
 * one has moved on already. */
static void
next_host(struct db *db)
{
    int from = db->first_used, hung, to;

    if (db->nhosts < 2)
        return;
    hung = db->hung_host >= 0 ? db->hung_host : from;
    to = (hung + 1) % db->nhosts;
    if (to != from &&
        __atomic_compare_exchange_n(&health->first_host, &from, to, false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        log_warn("database host %d of %d did not answer within the "
                 "deadline: connections try host %d first",
                 hung + 1, db->nhosts, to + 1);
}

struct db *
db_create(const char *conninfo, struct metrics *metrics, bool prepared,
          unsigned timeout_ms)
{
    struct db *db = calloc(1, sizeof(*db));

    if (db == NULL)
        return NULL;
    db->conninfo = strdup(conninfo);
    if (db->conninfo == NULL) {
        free(db);
        return NULL;
    }
    db->lookups = true;
    find_hosts(db);
    db->lookups = db->lookups && db->host != NULL;
    if (db->lookups && (db->resolver = resolver_create()) == NULL) {
        db_destroy(db);
        return NULL;
    }
    db->metrics = metrics;
    db->use_prepared = prepared;
    db->timeout_ms = timeout_ms;
    return db;
}

void
db_disconnect(struct db *db)
{
    if (db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    /* Prepared statements live and die with their connection. */
    while (db->nprepared > 0)
        free(db->prepared[--db->nprepared].sql);
}

void
db_destroy(struct db *db)
{
    if (db == NULL)
        return;
    db_disconnect(db);
    free_hosts(db);
    resolver_destroy(db->resolver);
    free(db->host);
    free(db->port);
    free(db->conninfo);
    free(db);
}

bool
db_in_transaction(const struct db *db)
{
    return db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
           PQtransactionStatus(db->conn) != PQTRANS_UNKNOWN;
}

const char *
db_sqlstate(const struct db *db)
{
    return db->sqlstate;
}

const char *
db_last_error(const struct db *db)
{
    return db->error;
}

static void
set_error(struct db *db, const char *sqlstate, const char *msg)
{
    size_t n;

    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", sqlstate);
    snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "");
    n = strlen(db->error);
    while (n > 0 && (db->error[n - 1] == '\n' || db->error[n - 1] == ' '))
        db->error[--n] = '\0';
}

/* The connection is gone or unusable: count it, drop it, answer 503. */
static enum cg_err
unavailable(struct db *db, const char *what)
{
    if (db->conn != NULL && db->error[0] == '\0')
        set_error(db, "08000", PQerrorMessage(db->conn));
    log_warn("database unavailable (%s): %s", what, db->error);
    if (db->metrics != NULL)
        metrics_count_db_error(db->metrics);
    db_disconnect(db);
    return CG_ERR_DATABASE_UNAVAILABLE;
}

/* Wait until fd is ready for events or the deadline passes. */
static int
wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int64_t left = deadline_ms - clock_mono_ms();
        int rc;

        if (left <= 0)
            return 0;
        rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static enum cg_err collect(struct db *db, struct arena *a, int64_t deadline_ms,
                           PGresult **out, const char *expected);

/* A statement failed with db->sqlstate: say so and count it. */
static void
statement_failed(struct db *db)
{
    log_error("statement failed: SQLSTATE %s: %s", db->sqlstate, db->error);
    if (db->metrics != NULL)
        metrics_count_db_error(db->metrics);
}

/*
 * A pooler in transaction mode (PgBouncer) hands each transaction to any
 * server connection, where a statement prepared earlier may not exist.  It
 * gives the client a backend pid of its own, so a server pid that differs
 * from the announced one gives it away: statements then go unnamed.
 */
static enum cg_err
find_pooler(struct db *db, int64_t deadline_ms)
{
    PGresult *res = NULL;
    enum cg_err e;
    int pid;

    if (!PQsendQuery(db->conn, "SELECT pg_backend_pid()"))
        return unavailable(db, "send");
    e = collect(db, NULL, deadline_ms, &res, NULL);
    if (e != CG_ERR_OK)
        return e;
    pid = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    if (pid != PQbackendPID(db->conn)) {
        log_info("a connection pooler is between cordgate and PostgreSQL "
                 "(server pid %d, announced %d): statements go unnamed",
                 pid, PQbackendPID(db->conn));
        db->use_prepared = false;
    }
    return CG_ERR_OK;
}

/* The circuit: open it (the server does not answer), close it (it does). */
static void
circuit_open(struct db *db)
{
    if (db->timeout_ms == 0 ||
        __atomic_exchange_n(&health->open, 1, __ATOMIC_RELAXED) != 0)
        return;
    __atomic_store_n(&health->next_probe_ms,
                     clock_mono_ms() + DB_PROBE_EVERY_MS, __ATOMIC_RELAXED);
    log_warn("the database does not answer: requests fail at once, but for a "
             "probe every %d ms, until it does",
             DB_PROBE_EVERY_MS);
}

static void
circuit_close(void)
{
    if (__atomic_load_n(&health->open, __ATOMIC_RELAXED) != 0 &&
        __atomic_exchange_n(&health->open, 0, __ATOMIC_RELAXED) != 0)
        log_info("the database answers again");
}

/* May a statement go to the server now?  With the circuit open, only the
 * one that wins the next probe slot. */
static bool
circuit_lets_through(void)
{
    int64_t now, next;

    if (__atomic_load_n(&health->open, __ATOMIC_RELAXED) == 0)
        return true;
    now = clock_mono_ms();
    next = __atomic_load_n(&health->next_probe_ms, __ATOMIC_RELAXED);
    return now >= next &&
           __atomic_compare_exchange_n(&health->next_probe_ms, &next,
                                       now + DB_PROBE_EVERY_MS, false,
                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/*
 * Connection keywords ahead of the configured string, which may override
 * them: TCP keepalives and a user timeout (a vanished host is found out),
 * and server-side limits equal to the request deadline, so that a statement
 * the worker gave up on stops by itself instead of holding its locks.
 */
static int
connect_params(struct db *db, const char **keys, const char **values,
               char *options, size_t options_len, char *user_timeout,
               size_t user_timeout_len)
{
    int n = 0, i;

    keys[n] = "keepalives", values[n++] = "1";
    keys[n] = "keepalives_idle", values[n++] = "10";
    keys[n] = "keepalives_interval", values[n++] = "5";
    keys[n] = "keepalives_count", values[n++] = "3";
    if (db->timeout_ms > 0) {
        snprintf(user_timeout, user_timeout_len, "%u", db->timeout_ms);
        keys[n] = "tcp_user_timeout", values[n++] = user_timeout;
    }
    if (db->timeout_ms > 0 && !db->no_options) {
        snprintf(options, options_len,
                 "-c statement_timeout=%u "
                 "-c idle_in_transaction_session_timeout=%u",
                 db->timeout_ms, db->timeout_ms);
        keys[n] = "options", values[n++] = options;
    }
    keys[n] = "dbname", values[n++] = db->conninfo;
    /* Several hosts: the lists from the current first host on. */
    db->first_used = 0;
    if (db->nhosts > 1)
        db->first_used =
            __atomic_load_n(&health->first_host, __ATOMIC_RELAXED) % db->nhosts;
    for (i = 0; i < DB_HOST_KEYS && db->first_used > 0; i++)
        if (db->hostlist[i] != NULL &&
            list_items(db->hostlist[i]) == db->nhosts) {
            rotate_list(db->rotated[i], db->hostlist[i], db->first_used);
            keys[n] = host_keys[i], values[n++] = db->rotated[i];
        }
    keys[n] = "application_name", values[n++] = "cordgate";
    keys[n] = NULL, values[n] = NULL;
    return n;
}

/* The value keys gives key, the last one (the one libpq takes), or def. */
static const char *
param_value(const char *const *keys, const char *const *values, int n,
            const char *key, const char *def)
{
    while (n-- > 0)
        if (strcmp(keys[n], key) == 0)
            return values[n];
    return def;
}

/*
 * The host names of the parameters looked up under the deadline (resolve.h),
 * their addresses added as hostaddr (and the host and port lists made to
 * match), so that libpq looks nothing up.  The lists are those the
 * parameters already give: several hosts go rotated.
 */
static enum cg_err
look_up_hosts(struct db *db, const char **keys, const char **values, int *n,
              int64_t deadline_ms, struct resolved *res, bool *timed_out)
{
    const char *host = param_value(keys, values, *n, "host", db->host);
    const char *port = param_value(keys, values, *n, "port", db->port);
    enum resolve_status st;

    if (!db->lookups)
        return CG_ERR_OK;
    st = resolve_hosts(db->resolver, host, port, deadline_ms, res);
    if (st == RESOLVE_NONE)
        return CG_ERR_OK;
    if (st != RESOLVE_OK) {
        *timed_out = st == RESOLVE_TIMEOUT;
        /* res->failed counts from the rotated list's first host. */
        db->hung_host = db->nhosts > 1 && res->failed >= 0
                            ? (res->failed + db->first_used) % db->nhosts
                            : -1;
        set_error(db, "08000", res->error);
        return CG_ERR_DATABASE_UNAVAILABLE;
    }
    keys[*n] = "host", values[(*n)++] = res->hosts;
    keys[*n] = "hostaddr", values[(*n)++] = res->hostaddrs;
    if (res->ports != NULL)
        keys[*n] = "port", values[(*n)++] = res->ports;
    keys[*n] = NULL, values[*n] = NULL;
    return CG_ERR_OK;
}

/* Start a connection and wait for it until deadline_ms.  *timed_out tells a
 * server that did not answer from one that said no. */
static enum cg_err
connect_once(struct db *db, int64_t deadline_ms, bool *timed_out)
{
    const char *keys[20], *values[20];
    char options[128], user_timeout[16];
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    struct resolved res = {0};
    enum cg_err e;
    int n;

    *timed_out = false;
    n = connect_params(db, keys, values, options, sizeof(options), user_timeout,
                       sizeof(user_timeout));
    e = look_up_hosts(db, keys, values, &n, deadline_ms, &res, timed_out);
    if (e != CG_ERR_OK) {
        resolve_free(&res);
        return e;
    }
    db->conn = PQconnectStartParams(keys, values, 1);
    resolve_free(&res);
    if (db->conn == NULL) {
        set_error(db, "08000", "out of memory");
        return CG_ERR_DATABASE_UNAVAILABLE;
    }
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        set_error(db, "08000", PQerrorMessage(db->conn));
        return CG_ERR_DATABASE_UNAVAILABLE;
    }
    while (st != PGRES_POLLING_OK) {
        int rc;

        if (st == PGRES_POLLING_FAILED) {
            set_error(db, "08000", PQerrorMessage(db->conn));
            return CG_ERR_DATABASE_UNAVAILABLE;
        }
        rc = wait_fd(PQsocket(db->conn),
                     st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                     deadline_ms);
        if (rc <= 0) {
            *timed_out = rc == 0;
            db->hung_host = db->nhosts > 1 ? host_being_tried(db) : -1;
            set_error(db, "08000",
                      rc == 0 ? "connection timed out" : strerror(errno));
            return CG_ERR_DATABASE_UNAVAILABLE;
        }
        st = PQconnectPoll(db->conn);
    }
    if (PQsetnonblocking(db->conn, 1) != 0) {
        set_error(db, "08000", PQerrorMessage(db->conn));
        return CG_ERR_DATABASE_UNAVAILABLE;
    }
    return CG_ERR_OK;
}

static enum cg_err
connect_db(struct db *db, int64_t deadline_ms)
{
    bool timed_out;
    enum cg_err e = connect_once(db, deadline_ms, &timed_out);

    /* PgBouncer refuses startup parameters it does not track, "options"
     * among them: go on without the server-side limits. */
    if (e != CG_ERR_OK && !db->no_options && db->timeout_ms > 0 &&
        strstr(db->error, "unsupported startup parameter") != NULL) {
        log_warn("the server refused the \"options\" connection parameter "
                 "(a pooler?): no server-side statement_timeout; set it on "
                 "the database role instead");
        db->no_options = true;
        db_disconnect(db);
        e = connect_once(db, deadline_ms, &timed_out);
    }
    if (e != CG_ERR_OK) {
        if (timed_out) {
            next_host(db);
            circuit_open(db);
        }
        return unavailable(db, "connect");
    }
    log_debug("connected to the database");
    circuit_close();
    return db->use_prepared ? find_pooler(db, deadline_ms) : CG_ERR_OK;
}

/*
 * A statement ran out of time and its connection is gone.  A server that is
 * alive gives a new connection at once (the statement was slow, or waited
 * for a lock: its statement_timeout stops it); one that is frozen or cut off
 * does not, and the circuit opens.  The new connection, if any, is kept.
 */
static void
check_alive(struct db *db)
{
    bool timed_out;
    char sqlstate[sizeof(db->sqlstate)], error[sizeof(db->error)];

    if (db->timeout_ms == 0 ||
        __atomic_load_n(&health->open, __ATOMIC_RELAXED) != 0)
        return;
    memcpy(sqlstate, db->sqlstate, sizeof(sqlstate));
    memcpy(error, db->error, sizeof(error));
    if (connect_once(db, clock_mono_ms() + DB_PROBE_MS, &timed_out) !=
        CG_ERR_OK) {
        log_warn("no new database connection within %d ms: %s", DB_PROBE_MS,
                 db->error);
        db_disconnect(db);
        if (timed_out)
            next_host(db);
        circuit_open(db);
    } else {
        /* Unnamed statements until they are prepared again; a pooler found
         * before is still there. */
        log_debug("the database answers: a new connection replaces the "
                  "one given up");
    }
    memcpy(db->sqlstate, sqlstate, sizeof(sqlstate));
    memcpy(db->error, error, sizeof(error));
}

/* Is res a foreign-key violation of a table's app_id (users_app_id_fkey,
 * sessions_app_id_fkey, ...), i.e. a write for an app that is no more? */
static bool
violates_app_key(const struct db *db, const PGresult *res)
{
    static const char suffix[] = "_app_id_fkey";
    const char *name = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    size_t n = name != NULL ? strlen(name) : 0;

    return strcmp(db->sqlstate, "23503") == 0 && n > sizeof(suffix) - 1 &&
           strcmp(name + n - (sizeof(suffix) - 1), suffix) == 0;
}

static void
clear_result(void *p)
{
    PQclear(p);
}

/*
 * Flush, then collect every result; keep the last one in *out, released with
 * the arena a (or by the caller when a is NULL).  An error whose SQLSTATE is
 * expected is the caller's to handle: it is not logged or counted.
 */
static enum cg_err
collect(struct db *db, struct arena *a, int64_t deadline_ms, PGresult **out,
        const char *expected)
{
    PGresult *last = NULL, *res;
    int rc;

    while ((rc = PQflush(db->conn)) == 1)
        if (wait_fd(PQsocket(db->conn), POLLIN | POLLOUT, deadline_ms) <= 0 ||
            PQconsumeInput(db->conn) == 0)
            goto out_unavailable;
    if (rc < 0)
        goto out_unavailable;
    for (;;) {
        while (PQisBusy(db->conn)) {
            if (wait_fd(PQsocket(db->conn), POLLIN, deadline_ms) <= 0) {
                /* Give the connection up without a word: PQcancel would
                 * wait, unbounded, for a server that may be frozen.  The
                 * server's statement_timeout stops the statement. */
                PQclear(last);
                set_error(db, "57014", "request deadline passed");
                (void)unavailable(db, "statement");
                check_alive(db);
                return CG_ERR_DATABASE_UNAVAILABLE;
            }
            if (PQconsumeInput(db->conn) == 0)
                goto out_unavailable;
        }
        res = PQgetResult(db->conn);
        if (res == NULL)
            break;
        PQclear(last);
        last = res;
    }
    /* The server answered. */
    circuit_close();
    if (last == NULL) {
        set_error(db, "XX000", "no result");
        return CG_ERR_INTERNAL;
    }
    switch (PQresultStatus(last)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
        break;
    default: {
        const char *state = PQresultErrorField(last, PG_DIAG_SQLSTATE);

        set_error(db, state ? state : "XX000", PQresultErrorMessage(last));
        /* A row for an app deleted a moment ago, by a worker that still
         * had the app in its cache (cache.h): the app is gone, as its next
         * lookup will say too. */
        if (violates_app_key(db, last)) {
            PQclear(last);
            return CG_ERR_PROJECT_NOT_FOUND;
        }
        PQclear(last);
        /* Class 08 (connection) and 57P (operator intervention: shutdown,
         * crash recovery) mean the server is not there for us.  So does
         * 25006 (read_only_sql_transaction): this server no longer takes
         * writes (a primary fenced with default_transaction_read_only, or
         * a standby the address now leads to).  Kept, the connection would
         * answer 500 to every write for good; dropped, the next request
         * connects again, and with several hosts and
         * target_session_attrs=read-write libpq finds the one that is the
         * primary now. */
        if (PQstatus(db->conn) == CONNECTION_BAD ||
            strncmp(db->sqlstate, "08", 2) == 0 ||
            strncmp(db->sqlstate, "57P", 3) == 0 ||
            strcmp(db->sqlstate, "25006") == 0)
            return unavailable(db, "statement");
        if (expected == NULL || strcmp(db->sqlstate, expected) != 0)
            statement_failed(db);
        /* Class 40 (a deadlock, a serialization failure) is the server's
         * "try again": a 503; the caller rolls its transaction back. */
        if (strncmp(db->sqlstate, "40", 2) == 0)
            return CG_ERR_DATABASE_UNAVAILABLE;
        return CG_ERR_INTERNAL;
    }
    }
    if (out == NULL) {
        PQclear(last);
        return CG_ERR_OK;
    }
    if (a != NULL && arena_cleanup_add(a, clear_result, last) != 0) {
        PQclear(last);
        return CG_ERR_INTERNAL;
    }
    *out = last;
    return CG_ERR_OK;

out_unavailable:
    PQclear(last);
    return unavailable(db, "statement");
}

/*
 * The circuit is open.  The statement fails at once, but for the one that
 * wins the probe slot: it first makes sure the server answers, within
 * DB_PROBE_MS (a new connection, or SELECT 1 on the one it has), which
 * closes the circuit, and then goes on as usual.
 */
static enum cg_err
probe(struct db *db, int64_t deadline_ms)
{
    int64_t until = clock_mono_ms() + DB_PROBE_MS;
    enum cg_err e;

    if (!circuit_lets_through()) {
        set_error(db, "08000", "the database does not answer (circuit open)");
        if (db->metrics != NULL)
            metrics_count_db_error(db->metrics);
        return CG_ERR_DATABASE_UNAVAILABLE;
    }
    if (until > deadline_ms)
        until = deadline_ms;
    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_BAD)
        db_disconnect(db);
    if (db->conn == NULL)
        return connect_db(db, until);
    if (!PQsendQuery(db->conn, "SELECT 1"))
        return unavailable(db, "send");
    e = collect(db, NULL, until, NULL, NULL);
    db->sqlstate[0] = '\0';
    db->error[0] = '\0';
    return e;
}

static enum cg_err
ensure_connected(struct db *db, int64_t deadline_ms)
{
    db->sqlstate[0] = '\0';
    db->error[0] = '\0';
    if (__atomic_load_n(&health->open, __ATOMIC_RELAXED) != 0)
        return probe(db, deadline_ms);
    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_BAD)
        db_disconnect(db);
    if (db->conn == NULL)
        return connect_db(db, deadline_ms);
    return CG_ERR_OK;
}

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/*
 * The name of sql's prepared statement on this connection, preparing it the
 * first time (one extra round trip per statement per connection); empty when
 * the table is full, and the statement then goes unnamed.  Statements are
 * found by their text, so SQL built at run time is safe too.  The name comes
 * from the text's hash, so it means the same statement on every connection
 * of every worker: a pooler that mixes server connections can never run
 * another statement under it, and "already exists" means it is there.
 */
static enum cg_err
prepared_name(struct db *db, struct arena *a, int64_t deadline_ms,
              const char *sql, int nparams, char name[DB_NAME_LEN])
{
    uint64_t h = fnv1a(sql);
    struct prepared *p;
    enum cg_err e;
    int i;

    snprintf(name, DB_NAME_LEN, "cg%016llx", (unsigned long long)h);
    for (i = 0; i < db->nprepared; i++) {
        p = &db->prepared[i];
        if (p->hash == h && strcmp(p->sql, sql) == 0)
            return CG_ERR_OK;
    }
    p = &db->prepared[db->nprepared];
    if (db->nprepared == DB_MAX_PREPARED || (p->sql = strdup(sql)) == NULL) {
        name[0] = '\0';
        return CG_ERR_OK;
    }
    p->hash = h;
    if (!PQsendPrepare(db->conn, name, sql, nparams, NULL)) {
        free(p->sql);
        return unavailable(db, "send");
    }
    /* 42P05, duplicate_prepared_statement. */
    e = collect(db, a, deadline_ms, NULL, "42P05");
    if (e != CG_ERR_OK && strcmp(db->sqlstate, "42P05") != 0) {
        free(p->sql);
        return e;
    }
    db->nprepared++;
    return CG_ERR_OK;
}

/* Statements go unnamed from now on, on this and every later connection. */
static void
stop_preparing(struct db *db)
{
    log_warn("a prepared statement vanished from the database connection "
             "(a pooler in transaction mode?): statements go unnamed; "
             "set CORDGATE_DB_PREPARED=0 to say so");
    db->use_prepared = false;
    while (db->nprepared > 0)
        free(db->prepared[--db->nprepared].sql);
}

enum cg_err
db_exec(struct db *db, struct arena *a, int64_t deadline_ms, const char *sql,
        int nparams, const char *const *values, const int *lengths,
        PGresult **res)
{
    enum cg_err e = ensure_connected(db, deadline_ms);
    char name[DB_NAME_LEN] = "";
    int ok;

    if (e != CG_ERR_OK)
        return e;
    if (db->use_prepared) {
        e = prepared_name(db, a, deadline_ms, sql, nparams, name);
        if (e != CG_ERR_OK)
            return e;
    }
    if (name[0] != '\0')
        ok = PQsendQueryPrepared(db->conn, name, nparams, values, lengths, NULL,
                                 0);
    else
        ok = PQsendQueryParams(db->conn, sql, nparams, NULL, values, lengths,
                               NULL, 0);
    if (!ok)
        return unavailable(db, "send");
    /* 26000, invalid_sql_statement_name: the statement is not there. */
    e = collect(db, a, deadline_ms, res, name[0] != '\0' ? "26000" : NULL);
    if (e != CG_ERR_INTERNAL || name[0] == '\0')
        return e;
    if (strcmp(db->sqlstate, "26000") == 0) {
        /* A pooler that hides itself, or DISCARD ALL.  Nothing ran: outside
         * a transaction block the statement runs again, unnamed. */
        stop_preparing(db);
        if (db_in_transaction(db)) {
            statement_failed(db);
            return e;
        }
        return db_exec(db, a, deadline_ms, sql, nparams, values, lengths, res);
    }
    /* A plan gone stale (0A000, the table changed): start afresh. */
    if (strcmp(db->sqlstate, "0A000") == 0)
        db_disconnect(db);
    return e;
}

enum cg_err
db_exec_script(struct db *db, struct arena *a, int64_t deadline_ms,
               const char *sql)
{
    enum cg_err e = ensure_connected(db, deadline_ms);

    if (e != CG_ERR_OK)
        return e;
    if (!PQsendQuery(db->conn, sql))
        return unavailable(db, "send");
    return collect(db, a, deadline_ms, NULL, NULL);
}
