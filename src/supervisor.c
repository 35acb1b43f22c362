/* The worker pool: pre-fork, respawn, recycle, reload, signals. */
#include "cordgate/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/listen.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"
#include "cordgate/worker.h"

/* A worker that dies sooner than this after its start counts as a failed
 * start; repeated failed starts back off up to MAX_BACKOFF_MS. */
#define QUICK_DEATH_MS 1000
#define MAX_BACKOFF_MS 10000

struct kid {
    pid_t pid;
    int slot;
    bool retiring; /* replaced on SIGHUP; not respawned */
    int64_t started_ms;
};

struct slot {
    pid_t pid;          /* 0 when empty */
    int fails;          /* consecutive quick deaths */
    int64_t respawn_at; /* when an empty slot may be refilled */
};

struct master {
    struct config *cfg;
    const char *config_file;
    struct listener *lst;
    struct metrics *metrics;
    struct slot *slots;
    unsigned long nslots;
    struct kid *kids;
    size_t nkids, capkids;
    bool stopping;
    int64_t drain_deadline;
    int sigfd;
};

static void
block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGQUIT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR2);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGCHLD);
    sigprocmask(SIG_BLOCK, set, NULL);
}

static int
write_pid_file(const char *path)
{
    FILE *f;

    if (path == NULL || path[0] == '\0')
        return 0;
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

static void
spawn(struct master *m, int slot)
{
    pid_t pid;

    if (m->nkids == m->capkids) {
        size_t cap = m->capkids ? m->capkids * 2 : 16;
        struct kid *k = realloc(m->kids, cap * sizeof(*k));

        if (k == NULL) {
            log_error("cannot track a new worker: out of memory");
            m->slots[slot].respawn_at = clock_mono_ms() + 1000;
            return;
        }
        m->kids = k;
        m->capkids = cap;
    }
    pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        m->slots[slot].respawn_at = clock_mono_ms() + 1000;
        return;
    }
    if (pid == 0) {
        int status;

        /* A worker outlives no master: it drains and exits with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1)
            _exit(0);
        close(m->sigfd);
        status = worker_run(m->cfg, m->lst->fd, m->metrics, 0);
        log_close();
        _exit(status);
    }
    m->kids[m->nkids++] = (struct kid){pid, slot, false, clock_mono_ms()};
    m->slots[slot].pid = pid;
    m->slots[slot].respawn_at = 0;
}

static struct kid *
find_kid(struct master *m, pid_t pid)
{
    size_t i;

    for (i = 0; i < m->nkids; i++)
        if (m->kids[i].pid == pid)
            return &m->kids[i];
    return NULL;
}

static void
reap(struct master *m)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct kid *k = find_kid(m, pid), gone;
        struct slot *s;
        enum worker_exit why;
        int64_t now = clock_mono_ms(), lived;

        if (k == NULL)
            continue;
        gone = *k;
        *k = m->kids[--m->nkids];
        if (gone.retiring || m->stopping)
            continue;
        s = &m->slots[gone.slot];
        s->pid = 0;
        lived = now - gone.started_ms;
        if (WIFSIGNALED(status)) {
            why = WORKER_EXIT_KILLED;
            log_warn("worker %ld killed by signal %d", (long)pid,
                     WTERMSIG(status));
        } else if (WEXITSTATUS(status) != 0) {
            why = WORKER_EXIT_FAILED;
            log_warn("worker %ld exited with status %d", (long)pid,
                     WEXITSTATUS(status));
        } else {
            why = WORKER_EXIT_RECYCLED;
        }
        metrics_count_restart(m->metrics, why);
        if (why != WORKER_EXIT_RECYCLED && lived < QUICK_DEATH_MS) {
            int64_t delay = 100LL << (s->fails < 7 ? s->fails : 7);

            s->fails++;
            if (delay > MAX_BACKOFF_MS)
                delay = MAX_BACKOFF_MS;
            /* The first quick death is retried at once. */
            s->respawn_at = s->fails == 1 ? now : now + delay;
            if (s->fails > 1)
                log_warn("workers keep dying; next start in %lld ms",
                         (long long)delay);
        } else {
            s->fails = 0;
            s->respawn_at = now;
        }
    }
}

static void
signal_all(struct master *m, int sig)
{
    size_t i;

    for (i = 0; i < m->nkids; i++)
        kill(m->kids[i].pid, sig);
}

static int
make_slots(struct master *m, unsigned long n)
{
    struct slot *s = calloc(n, sizeof(*s));
    unsigned long i;

    if (s == NULL)
        return -1;
    for (i = 0; i < n; i++)
        s[i].respawn_at = clock_mono_ms();
    free(m->slots);
    m->slots = s;
    m->nslots = n;
    return 0;
}

/* SIGHUP: read the configuration again and replace every worker.  The new
 * workers start before the old ones are told to finish, so the pool never
 * shrinks. */
static void
reload(struct master *m)
{
    struct config *next = malloc(sizeof(*next));
    char err[512];
    size_t i;

    if (next == NULL || config_load(next, m->config_file, err, sizeof(err))) {
        log_error("reload failed, keeping the running configuration: %s",
                  next ? err : "out of memory");
        free(next);
        return;
    }
    if (strcmp(next->listen, m->cfg->listen) != 0)
        log_warn("CORDGATE_LISTEN changed; it takes effect on restart");
    if (next->workers == 0)
        next->workers = m->cfg->workers;
    if (make_slots(m, next->workers) != 0) {
        log_error("reload failed: out of memory");
        config_free(next);
        free(next);
        return;
    }
    config_free(m->cfg);
    free(m->cfg);
    m->cfg = next;
    log_set_level(next->log_level);
    for (i = 0; i < m->nkids; i++) {
        m->kids[i].retiring = true;
        kill(m->kids[i].pid, SIGTERM);
    }
    metrics_set_workers(m->metrics, next->workers);
    log_info("configuration reloaded; replacing workers (%lu)", next->workers);
}

static void
handle_signals(struct master *m)
{
    struct signalfd_siginfo si;

    while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGCHLD:
            reap(m);
            break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            if (!m->stopping) {
                int64_t grace = 2 * (int64_t)m->cfg->request_timeout_ms;

                log_info("stopping: finishing requests in flight");
                m->stopping = true;
                m->drain_deadline =
                    clock_mono_ms() + (grace > 10000 ? grace : 10000);
                signal_all(m, SIGTERM);
            }
            break;
        case SIGHUP:
        case SIGUSR2: /* php-fpm's reload signal */
            if (!m->stopping)
                reload(m);
            break;
        case SIGUSR1:
            log_reopen();
            signal_all(m, SIGUSR1);
            break;
        default:
            break;
        }
    }
}

static int
run_master(struct master *m)
{
    sigset_t set;
    unsigned long i;

    block_signals(&set);
    m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (m->sigfd < 0 || make_slots(m, m->cfg->workers) != 0) {
        log_error("cannot start the master: %s", strerror(errno));
        return 1;
    }
    metrics_set_workers(m->metrics, m->cfg->workers);
    log_info("cordgate %s serving on %s with %lu workers", CORDGATE_VERSION,
             m->lst->how, m->cfg->workers);
    for (;;) {
        int64_t now = clock_mono_ms(), wait = 1000;
        struct pollfd p = {m->sigfd, POLLIN, 0};

        if (!m->stopping) {
            for (i = 0; i < m->nslots; i++) {
                struct slot *s = &m->slots[i];

                if (s->pid != 0)
                    continue;
                if (s->respawn_at <= now)
                    spawn(m, (int)i);
                else if (s->respawn_at - now < wait)
                    wait = s->respawn_at - now;
            }
        } else if (m->nkids == 0) {
            break;
        } else if (now >= m->drain_deadline) {
            log_warn("drain deadline passed; killing %zu workers", m->nkids);
            signal_all(m, SIGKILL);
            m->drain_deadline = now + 60000;
        }
        if (poll(&p, 1, (int)wait) > 0)
            handle_signals(m);
    }
    log_info("stopped");
    return 0;
}

int
supervisor_run(struct config *cfg, const char *config_file)
{
    struct listener lst;
    struct master m;
    char *pid_file = NULL;
    int status;

    signal(SIGPIPE, SIG_IGN);
    /* After closing a connection, do not wait up to 2 s for the web
     * server's EOF (deployment spec §0.4): with Apache's enablereuse it never
     * comes, and the worker would sit idle.  libfcgi reads this once, in its
     * first call, which is FCGX_IsCGI() in listen_open(). */
    setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "0", 0);
    if (listen_open(&lst, cfg) != 0)
        return 1;
    memset(&m, 0, sizeof(m));
    m.cfg = cfg;
    m.config_file = config_file;
    m.lst = &lst;
    m.metrics = metrics_create(router_route_count());
    if (m.metrics == NULL || db_share_health() != 0) {
        log_error("cannot map the metrics: %s", strerror(errno));
        listen_close(&lst);
        return 1;
    }
    if (!cfg->test_tokens)
        log_info("test tokens are off: GET /generate-cord-token answers 404 "
                 "(CORDGATE_TEST_TOKENS=1 turns it on, for development)");
    /* A reload replaces (and frees) cfg: keep the path we wrote. */
    if (cfg->pid_file != NULL && cfg->pid_file[0] != '\0')
        pid_file = strdup(cfg->pid_file);
    if (write_pid_file(cfg->pid_file) != 0)
        log_warn("cannot write %s: %s", cfg->pid_file, strerror(errno));
    if (lst.manager != NULL && cfg->workers_auto) {
        log_info("started by %s, which runs one request per process: one "
                 "process here (CORDGATE_WORKERS overrides this)",
                 lst.manager);
        cfg->workers = 0;
    }
    if (cfg->workers == 0) {
        sigset_t set;

        /* One process, no master: spawn-fcgi -F, mod_fcgid, --workers 0. */
        block_signals(&set);
        log_info("cordgate %s serving on %s in a single process",
                 CORDGATE_VERSION, lst.how);
        status = worker_run(cfg, lst.fd, m.metrics,
                            lst.manager != NULL &&
                                    strcmp(lst.manager, "multiwatch") == 0
                                ? WORKER_USR1_STOPS
                                : 0);
    } else {
        status = run_master(&m);
        if (m.sigfd >= 0)
            close(m.sigfd);
    }
    /* From here on, cfg may be gone: m.cfg is the configuration. */
    if (pid_file != NULL)
        unlink(pid_file);
    free(pid_file);
    listen_close(&lst);
    metrics_destroy(m.metrics);
    free(m.slots);
    free(m.kids);
    config_free(m.cfg);
    free(m.cfg);
    return status;
}
