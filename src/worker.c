/* A worker: accept loop, one request at a time, its own database link. */
#include "cordgate/worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cordgate/arena.h"
#include "cordgate/cache.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/http.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"

/* Room for a request's own data on top of its body. */
#define ARENA_BLOCK    (64u << 10)
#define ARENA_OVERHEAD (32u << 20)
/* Apps and sessions each worker keeps (cache.h). */
#define CACHE_SLOTS 256

struct worker {
    const struct config *cfg;
    struct context ctx;
    struct arena *arena;
    FCGX_Request fcgx;
    unsigned long served;
    unsigned flags;
    uint64_t id_state;
    int epfd, sigfd, listen_fd;
};

static const char *
fcgx_param(void *ud, const char *name)
{
    FCGX_Request *req = ud;

    return FCGX_GetParam(name, req->envp);
}

static ssize_t
fcgx_read(void *ud, char *dst, size_t n)
{
    FCGX_Request *req = ud;
    int got;

    if (n > (size_t)INT32_MAX)
        n = INT32_MAX;
    got = FCGX_GetStr(dst, (int)n, req->in);
    if (got == 0 && FCGX_GetError(req->in) != 0)
        return -1;
    return got;
}

/* The client's X-Request-Id when it is short and plain, else our own. */
static void
set_request_id(struct worker *w, struct request *r)
{
    const char *given = FCGX_GetParam("HTTP_X_REQUEST_ID", w->fcgx.envp);
    size_t i, n = given ? strlen(given) : 0;

    for (i = 0; i < n && n < sizeof(r->id); i++) {
        char c = given[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.'))
            break;
    }
    if (n > 0 && i == n && n < sizeof(r->id)) {
        memcpy(r->id, given, n + 1);
        return;
    }
    /* xorshift64*, seeded from OpenSSL at start: unique, not secret. */
    w->id_state ^= w->id_state >> 12;
    w->id_state ^= w->id_state << 25;
    w->id_state ^= w->id_state >> 27;
    snprintf(r->id, sizeof(r->id), "%016llx",
             (unsigned long long)(w->id_state * 0x2545F4914F6CDD1DULL));
}

static void
serve_one(struct worker *w)
{
    struct http_source src = {fcgx_param, fcgx_read, &w->fcgx};
    struct request r;
    struct buf response;
    size_t route;
    enum cg_err e;
    double seconds;

    memset(&r, 0, sizeof(r));
    r.ctx = &w->ctx;
    r.started_ns = clock_mono_ns();
    r.deadline_ms = r.started_ns / 1000000 + w->cfg->request_timeout_ms;
    set_request_id(w, &r);
    log_set_request_id(r.id);

    e = http_request_init(&r, w->arena, &src, w->cfg->max_body,
                          w->cfg->base_path);
    if (e == CG_ERR_OK) {
        route = router_dispatch(&r);
    } else {
        route = router_route_count();
        router_set_error(&r, e);
    }
    buf_init(&response, w->arena, HTTP_MAX_RESPONSE + 65536);
    if (http_response_serialize(&r, &response) != 0) {
        static const char oom[] = "Status: 500 Internal Server Error\r\n"
                                  "Content-Type: application/json\r\n\r\n"
                                  "{\"error\":\"error\",\"message\":"
                                  "\"internal server error\"}";

        r.status = 500;
        FCGX_PutStr(oom, sizeof(oom) - 1, w->fcgx.out);
    } else {
        FCGX_PutStr(response.data, (int)response.len, w->fcgx.out);
    }
    seconds = (double)(clock_mono_ns() - r.started_ns) / 1e9;
    metrics_count_request(w->ctx.metrics, route, r.status, seconds);
    log_info("%s %s %d %.3fms", r.method_name, r.route ? r.route->pattern : "-",
             r.status, seconds * 1e3);
    log_set_request_id(NULL);
}

/* What the signalfd says; returns 1 when the worker must stop. */
static int
handle_signals(struct worker *w)
{
    struct signalfd_siginfo si;
    int stop = 0;

    while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            stop = 1;
            break;
        case SIGUSR1:
            if (w->flags & WORKER_USR1_STOPS)
                stop = 1;
            else
                log_reopen();
            break;
        default:
            break;
        }
    }
    return stop;
}

static int
worker_init(struct worker *w, const struct config *cfg, int listen_fd,
            struct metrics *m)
{
    struct epoll_event ev;
    sigset_t set;

    memset(w, 0, sizeof(*w));
    w->cfg = cfg;
    w->listen_fd = listen_fd;
    w->epfd = w->sigfd = -1;
    w->ctx.cfg = cfg;
    w->ctx.metrics = m;
    w->ctx.now = clock_wall_seconds;
    w->ctx.db = db_create(cfg->database_url, m, cfg->db_prepared);
    w->ctx.apps = cache_create(CACHE_SLOTS);
    w->ctx.sessions = cache_create(CACHE_SLOTS);
    w->arena = arena_create(ARENA_BLOCK, cfg->max_body * 2 + ARENA_OVERHEAD);
    if (w->ctx.db == NULL || w->arena == NULL || w->ctx.apps == NULL ||
        w->ctx.sessions == NULL)
        return -1;
    if (RAND_bytes((unsigned char *)&w->id_state, sizeof(w->id_state)) != 1 ||
        w->id_state == 0)
        w->id_state = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL | 1;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->sigfd < 0 || w->epfd < 0)
        return -1;
    /* EPOLLEXCLUSIVE: a new connection wakes one idle worker, not all. */
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_fd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
        return -1;
    ev.events = EPOLLIN;
    ev.data.fd = w->sigfd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev) != 0)
        return -1;

    /* Close after every response even when the web server asked to keep the
     * connection (see worker_run): a kept connection pins this worker and
     * starves the pool.  supervisor_run() told libfcgi not to linger. */
    if (FCGX_Init() != 0 || FCGX_InitRequest(&w->fcgx, listen_fd, 0) != 0)
        return -1;
    return 0;
}

static void
worker_fini(struct worker *w)
{
    FCGX_Free(&w->fcgx, 1);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->sigfd >= 0)
        close(w->sigfd);
    db_destroy(w->ctx.db);
    cache_destroy(w->ctx.apps);
    cache_destroy(w->ctx.sessions);
    free(w->ctx.access_secret);
    arena_destroy(w->arena);
}

int
worker_run(const struct config *cfg, int listen_fd, struct metrics *m,
           unsigned flags)
{
    struct worker w;
    int status = 0;

    if (worker_init(&w, cfg, listen_fd, m) != 0) {
        log_error("worker cannot start: %s", strerror(errno));
        worker_fini(&w);
        return 1;
    }
    w.flags = flags;
    log_debug("worker ready");
    for (;;) {
        struct epoll_event evs[2];
        int i, n, readable = 0, stop = 0;

        n = epoll_wait(w.epfd, evs, 2, -1);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            status = 1;
            break;
        }
        for (i = 0; i < n; i++) {
            if (evs[i].data.fd == w.sigfd)
                stop |= handle_signals(&w);
            else
                readable = 1;
        }
        if (stop)
            break;
        if (!readable)
            continue;
        /* The listening socket is non-blocking: another worker may have
         * taken the connection, and then accept says EAGAIN. */
        if (FCGX_Accept_r(&w.fcgx) < 0)
            continue;
        w.fcgx.keepConnection = 0;
        serve_one(&w);
        FCGX_Finish_r(&w.fcgx);
        arena_reset(w.arena);
        if (cfg->max_requests > 0 && ++w.served >= cfg->max_requests) {
            log_debug("recycling after %lu requests", w.served);
            break;
        }
    }
    worker_fini(&w);
    return status;
}
