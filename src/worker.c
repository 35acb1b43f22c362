/* A worker: one request at a time, its own database link, and the
 * connections the web server asked it to keep. */
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
#include "cordgate/fcgi.h"
#include "cordgate/http.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"

/* Room for a request's own data on top of its body. */
#define ARENA_BLOCK    (64u << 10)
#define ARENA_OVERHEAD (32u << 20)
/* Apps and sessions each worker keeps (cache.h). */
#define CACHE_SLOTS 256
/* Connections kept at the web server's request (FCGI_KEEP_CONN) per worker;
 * past this a connection is closed after its answer. */
#define KEPT_MAX 128
/* How long a stopping worker answers on its kept connections (close_kept). */
#define DRAIN_MS 1000

/* What an epoll event is about: data.u64 is one of these, or EV_KEPT plus
 * the kept connection's slot. */
enum { EV_LISTEN, EV_SIGNAL, EV_KEPT };

/*
 * Keep-alive (deployment spec §0 rule 4): nginx fastcgi_keep_conn and
 * Apache enablereuse ask the application to keep the connection open after
 * its answer.  A worker that then blocked reading the next request from it
 * would be pinned, and more kept connections than workers would hang the
 * pool.  A worker that closed it anyway would race the web server, which may
 * already be sending the next request down what it thinks is a live
 * connection (Apache answers that request 503).  So a worker keeps it, and
 * waits for the next request on all its kept connections and the listening
 * socket at once: a kept connection costs a descriptor, never the worker.
 */
struct worker {
    const struct config *cfg;
    struct context ctx;
    struct arena *arena;
    FCGX_Request fresh;          /* accepts new connections */
    FCGX_Request kept[KEPT_MAX]; /* ipcFd < 0: a free slot */
    unsigned nkept;
    unsigned long served;
    unsigned flags;
    uint64_t id_state;
    int epfd, sigfd, listen_fd;
};

/* The client's X-Request-Id when it is short and plain, else our own. */
static void
set_request_id(struct worker *w, FCGX_Request *req, struct request *r)
{
    const char *given = FCGX_GetParam("HTTP_X_REQUEST_ID", req->envp);
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
serve_one(struct worker *w, FCGX_Request *req)
{
    struct http_source src = fcgi_http_source(req);
    struct request r;
    struct buf response;
    size_t route;
    enum cg_err e;
    double seconds;

    memset(&r, 0, sizeof(r));
    r.ctx = &w->ctx;
    r.started_ns = clock_mono_ns();
    r.deadline_ms = r.started_ns / 1000000 + w->cfg->request_timeout_ms;
    set_request_id(w, req, &r);
    log_set_request_id(r.id);

    e = http_request_init(&r, w->arena, &src, w->cfg->base_path);
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
        FCGX_PutStr(oom, sizeof(oom) - 1, req->out);
    } else {
        FCGX_PutStr(response.data, (int)response.len, req->out);
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
    unsigned i;

    memset(w, 0, sizeof(*w));
    w->fresh.ipcFd = -1;
    for (i = 0; i < KEPT_MAX; i++)
        w->kept[i].ipcFd = -1;
    w->cfg = cfg;
    w->listen_fd = listen_fd;
    w->epfd = w->sigfd = -1;
    w->ctx.cfg = cfg;
    w->ctx.metrics = m;
    w->ctx.now = clock_wall_seconds;
    w->ctx.db = db_create(cfg->database_url, m, cfg->db_prepared);
    w->ctx.apps = cache_create(CACHE_SLOTS);
    w->ctx.sessions = cache_create(CACHE_SLOTS);
    w->arena = arena_create(ARENA_BLOCK, (cfg->max_body > cfg->batch_max_body
                                              ? cfg->max_body
                                              : cfg->batch_max_body) *
                                                 2 +
                                             ARENA_OVERHEAD);
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
    ev.data.u64 = EV_LISTEN;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
        return -1;
    ev.events = EPOLLIN;
    ev.data.u64 = EV_SIGNAL;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev) != 0)
        return -1;

    /* supervisor_run() told libfcgi not to linger on a close. */
    if (FCGX_Init() != 0 || FCGX_InitRequest(&w->fresh, listen_fd, 0) != 0)
        return -1;
    return 0;
}

/* Kept connections are closed by close_kept() before this. */
static void
worker_fini(struct worker *w)
{
    FCGX_Free(&w->fresh, 1);
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

/* Whether the worker recycles (CORDGATE_MAX_REQUESTS) after one more. */
static int
last_request(const struct worker *w)
{
    return w->cfg->max_requests > 0 && w->served + 1 >= w->cfg->max_requests;
}

/*
 * Answer the request read into req, then keep its connection when the web
 * server asked for that and keep is set, else close it.  Returns 1 when the
 * connection stays open.
 */
static int
answer(struct worker *w, FCGX_Request *req, int keep)
{
    if (!keep)
        req->keepConnection = 0;
    serve_one(w, req);
    /* Sends the end of the answer; closes on !keepConnection or an error. */
    FCGX_Finish_r(req);
    arena_reset(w->arena);
    w->served++;
    return req->ipcFd >= 0;
}

/* A new connection from the listening socket, and its first request. */
static void
serve_new(struct worker *w, int keep)
{
    struct epoll_event ev = {.events = EPOLLIN};
    unsigned slot;

    /* The listening socket is non-blocking: another worker may have taken
     * the connection, and then accept says EAGAIN. */
    if (FCGX_Accept_r(&w->fresh) < 0)
        return;
    metrics_count_connection(w->ctx.metrics);
    if (!answer(w, &w->fresh, keep && w->nkept < KEPT_MAX))
        return;
    for (slot = 0; w->kept[slot].ipcFd >= 0; slot++)
        ;
    ev.data.u64 = EV_KEPT + slot;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->fresh.ipcFd, &ev) != 0) {
        log_warn("epoll_ctl: %s", strerror(errno));
        FCGX_Free(&w->fresh, 1);
        return;
    }
    /* After FCGX_Finish_r the request holds no stream or parameter, only
     * the connection: it moves to the slot as it is.  Without a listening
     * socket, FCGX_Accept_r on the slot cannot accept another connection
     * when this one ends. */
    w->kept[slot] = w->fresh;
    w->kept[slot].listen_sock = -1;
    w->nkept++;
    metrics_add_kept(w->ctx.metrics, 1);
    w->fresh.ipcFd = -1;
    w->fresh.keepConnection = 0;
}

/* Slot's connection is closed (epoll forgets it): the slot is free. */
static void
release_kept(struct worker *w, FCGX_Request *req)
{
    req->ipcFd = -1;
    w->nkept--;
    metrics_add_kept(w->ctx.metrics, -1);
}

/* The next request on a kept connection, or its end. */
static void
serve_kept(struct worker *w, unsigned slot, int keep)
{
    FCGX_Request *req = &w->kept[slot];

    if (req->ipcFd < 0)
        return;
    /* On EOF or a bad record libfcgi closes the connection and returns < 0;
     * after an answer without keep, FCGX_Finish_r closed it. */
    if (FCGX_Accept_r(req) < 0 || !answer(w, req, keep))
        release_kept(w, req);
}

/*
 * Before the worker exits (stop, reload, recycling), its kept connections
 * are handed back to the web server.  Closing one at an arbitrary moment
 * races a request the server may be sending down it (nginx then answers a
 * POST 502, Apache any request 503).  Closing it right after an answer does
 * not: the end of the connection arrives with the answer, and nginx and
 * Apache look for it before they reuse a connection.  So for up to DRAIN_MS
 * the worker takes no new connection (the others do) and answers what comes
 * on its kept ones, closing each after its answer; the ones left, idle all
 * along, are closed at the end.
 */
static void
close_kept(struct worker *w)
{
    struct epoll_event evs[KEPT_MAX + 2];
    int64_t deadline = clock_mono_ms() + DRAIN_MS, left;
    int i, n;

    if (w->nkept == 0)
        return;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd, NULL);
    while (w->nkept > 0 && (left = deadline - clock_mono_ms()) > 0) {
        n = epoll_wait(w->epfd, evs, KEPT_MAX + 2, (int)left);
        for (i = 0; i < n; i++) {
            if (evs[i].data.u64 == EV_SIGNAL)
                (void)handle_signals(w); /* already stopping */
            else if (evs[i].data.u64 >= EV_KEPT)
                serve_kept(w, (unsigned)(evs[i].data.u64 - EV_KEPT), 0);
        }
    }
    for (i = 0; i < KEPT_MAX; i++)
        if (w->kept[i].ipcFd >= 0) {
            FCGX_Free(&w->kept[i], 1);
            release_kept(w, &w->kept[i]);
        }
}

int
worker_run(const struct config *cfg, int listen_fd, struct metrics *m,
           unsigned flags)
{
    struct worker *w;
    int status = 0, stop = 0;

    /* The kept-connection table makes it too big for the stack. */
    w = malloc(sizeof(*w));
    if (w == NULL || worker_init(w, cfg, listen_fd, m) != 0) {
        log_error("worker cannot start: %s", strerror(errno));
        if (w != NULL)
            worker_fini(w);
        free(w);
        return 1;
    }
    w->flags = flags;
    log_debug("worker ready");
    while (!stop) {
        struct epoll_event evs[64];
        int i, n, accept_one = 0;

        n = epoll_wait(w->epfd, evs, 64, -1);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            status = 1;
            break;
        }
        for (i = 0; i < n; i++)
            if (evs[i].data.u64 == EV_SIGNAL)
                stop |= handle_signals(w);
        /* A request on a kept connection can only be answered here; a new
         * connection may go to any worker. */
        for (i = 0; i < n && !stop; i++) {
            if (evs[i].data.u64 == EV_LISTEN)
                accept_one = 1;
            else if (evs[i].data.u64 >= EV_KEPT)
                serve_kept(w, (unsigned)(evs[i].data.u64 - EV_KEPT),
                           !last_request(w));
        }
        if (accept_one && !stop)
            serve_new(w, !last_request(w));
        if (cfg->max_requests > 0 && w->served >= cfg->max_requests) {
            log_debug("recycling after %lu requests", w->served);
            stop = 1;
        }
    }
    close_kept(w);
    worker_fini(w);
    free(w);
    return status;
}
