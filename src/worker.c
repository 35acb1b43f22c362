/* A worker: one request at a time, its own database link, and the
 * connections the web server asked it to keep. */
#include "cordgate/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cordgate/arena.h"
#include "cordgate/cache.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/fcgi.h"
#include "cordgate/fcgi_guard.h"
#include "cordgate/http.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/purge.h"
#include "cordgate/router.h"

/* Room for a request's own data on top of its body. */
#define ARENA_BLOCK    (64u << 10)
#define ARENA_OVERHEAD (32u << 20)
/* Apps and sessions each worker keeps (cache.h). */
#define CACHE_SLOTS 256
/* Connections a worker waits on at once: the ones kept at the web server's
 * request (FCGI_KEEP_CONN), and new ones whose request is not all here yet.
 * Past this, a new connection is served as it comes (read_blocking). */
#define CONN_MAX 256
/* A request is served once it is all in the socket buffer, or once this
 * much of it is: its sender is then fast, and the rest is read as it comes,
 * under the read deadline.  It must be well below what a socket buffer can
 * hold before the sender has to wait (a TCP window starts near 64 KiB). */
#define PEEK_MAX (16u << 10)
/* How long a stopping worker answers on its kept connections (close_conns). */
#define DRAIN_MS 1000
/* A connection ended out of step (a 408, a 413 with the body still coming)
 * is half-closed after its answer, and what still comes on it is read and
 * dropped, for up to this long and this many bytes, before it is closed: a
 * web server still sending the body would otherwise meet a closed socket and
 * answer 502 or 503 in place of cordgate's answer.  Apache's mod_proxy_fcgi
 * takes an answer's records one per read of its client's body: a client
 * sending a byte a second gets its 408 some 3 s after it was sent. */
#define LINGER_MS    5000
#define LINGER_BYTES (4u << 20)

/* What an epoll event is about: data.u64 is one of these, or EV_CONN plus
 * the connection's slot. */
enum { EV_LISTEN, EV_SIGNAL, EV_CONN };

/*
 * No connection can pin a worker (deployment spec §0 rule 4; an idle or
 * slow peer).  A worker reads a request only once it is all there, or its
 * sender has shown it is fast; until then the connection waits in the
 * worker's epoll set with the others and the listening socket, for up to
 * CORDGATE_READ_TIMEOUT.  The same holds for a connection kept at the web
 * server's request (nginx fastcgi_keep_conn, Apache enablereuse): a worker
 * that blocked reading the next request from it would be pinned, and more
 * kept connections than workers would hang the pool; a worker that closed
 * it anyway would race the web server, which may already be sending the
 * next request down it.  So a waiting connection costs a descriptor, never
 * the worker.  Apache's mod_proxy_fcgi passes a body on as the client sends
 * it, so a client sending a byte a second is a connection that waits.
 */
struct conn {
    FCGX_Request req;    /* ipcFd < 0: a free slot */
    int64_t deadline_ms; /* the request must be all here by then; 0: none
                            (a kept connection between requests) */
    bool kept;           /* kept open after an answer */
    bool lingering;      /* answered and half-closed: dropping what comes */
    size_t dropped;      /* bytes dropped while lingering */
};

struct worker {
    const struct config *cfg;
    struct context ctx;
    struct arena *arena;
    FCGX_Request fresh; /* a connection served as it comes (read_blocking) */
    struct conn conns[CONN_MAX];
    unsigned nconns;
    unsigned long served;
    unsigned flags;
    uint64_t id_state;
    int epfd, sigfd, listen_fd;
    struct fcgi_feed feed; /* the request being read through a memfd */
    char peek[PEEK_MAX];
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

/* A connection whose records are not a web server's is closed unanswered. */
static void
count_rejected(struct worker *w)
{
    log_info("a FastCGI connection sent records no web server sends: "
             "closing it unanswered");
    metrics_count_fastcgi_rejected(w->ctx.metrics);
}

/* Answer the request read into req (through feed, when not NULL); true
 * when its connection is out of step (a body cut off, or not all
 * received) and must end after this. */
static bool
serve_one(struct worker *w, FCGX_Request *req, struct fcgi_feed *feed)
{
    struct http_source src =
        feed != NULL ? fcgi_feed_source(feed) : fcgi_http_source(req);
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
    if (feed != NULL) {
        /* The answer goes to the connection. */
        fcgi_feed_stop(feed, false);
        if (feed->rejected) {
            log_set_request_id(NULL);
            return true;
        }
    }
    buf_init(&response, w->arena, HTTP_MAX_RESPONSE + 65536);
    if (http_response_serialize(&r, &response) != 0) {
        static const char oom[] = "Status: 500 Internal Server Error\r\n"
                                  "Content-Type: application/json\r\n"
                                  "X-Content-Type-Options: nosniff\r\n\r\n"
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
    return r.close_connection;
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
    for (i = 0; i < CONN_MAX; i++)
        w->conns[i].req.ipcFd = -1;
    w->cfg = cfg;
    w->listen_fd = listen_fd;
    w->epfd = w->sigfd = -1;
    w->ctx.cfg = cfg;
    w->ctx.metrics = m;
    w->ctx.now = clock_wall_seconds;
    w->ctx.db = db_create(cfg->database_url, m, cfg->db_prepared,
                          (unsigned)cfg->request_timeout_ms);
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

    if (fcgi_deadline_init() != 0)
        return -1;
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

/* Connections are closed by close_conns() before this. */
static void
worker_fini(struct worker *w)
{
    fcgi_deadline_disarm();
    FCGX_Free(&w->fresh, 1);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->sigfd >= 0)
        close(w->sigfd);
    db_destroy(w->ctx.db);
    cache_destroy(w->ctx.apps);
    cache_destroy(w->ctx.sessions);
    free(w->ctx.access_secret);
    free(w->ctx.access_previous);
    arena_destroy(w->arena);
}

/* Whether the worker recycles (CORDGATE_MAX_REQUESTS) after one more. */
static int
last_request(const struct worker *w)
{
    return w->cfg->max_requests > 0 && w->served + 1 >= w->cfg->max_requests;
}

enum answered { ANSWERED_CLOSED, ANSWERED_KEPT, ANSWERED_LINGERING };

/*
 * Answer the request read into req (through feed, when not NULL), then keep
 * its connection when the web server asked for that and keep is set, else
 * close it.  A connection out of step is half-closed instead, when linger is
 * set, to be drained (conn_linger) by the caller; else closed.  One whose
 * records turned out not to be a web server's is closed unanswered.
 */
static enum answered
answer(struct worker *w, FCGX_Request *req, struct fcgi_feed *feed, int keep,
       bool linger)
{
    bool out_of_step;

    if (!keep)
        req->keepConnection = 0;
    out_of_step = serve_one(w, req, feed);
    fcgi_deadline_disarm();
    if (feed != NULL && feed->rejected) {
        count_rejected(w);
        /* Not FCGX_Finish_r: it would end the answer. */
        FCGX_Free(req, 1);
        arena_reset(w->arena);
        return ANSWERED_CLOSED;
    }
    if (out_of_step && linger) {
        /* libfcgi would close it (the body read failed): it stays open,
         * its end of the answer is sent, and no more is read from it. */
        FCGX_ClearError(req->in);
        req->keepConnection = 1;
    } else if (out_of_step) {
        req->keepConnection = 0;
    }
    /* Sends the end of the answer; closes on !keepConnection or an error. */
    FCGX_Finish_r(req);
    arena_reset(w->arena);
    w->served++;
    if (req->ipcFd < 0)
        return ANSWERED_CLOSED;
    if (out_of_step) {
        shutdown(req->ipcFd, SHUT_WR);
        return ANSWERED_LINGERING;
    }
    return ANSWERED_KEPT;
}

/* Slot's connection is closed (epoll forgets it): the slot is free. */
static void
conn_release(struct worker *w, struct conn *c)
{
    if (c->req.ipcFd >= 0)
        FCGX_Free(&c->req, 1);
    if (c->kept)
        metrics_add_kept(w->ctx.metrics, -1);
    c->kept = false;
    c->lingering = false;
    c->dropped = 0;
    c->req.ipcFd = -1;
    w->nconns--;
}

/* What comes on a lingering connection is dropped; at its end, or past
 * LINGER_BYTES, the connection is closed. */
static void
conn_linger(struct worker *w, struct conn *c)
{
    int i;

    for (i = 0; i < 16; i++) {
        ssize_t n = recv(c->req.ipcFd, w->peek, sizeof(w->peek), MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0 || (c->dropped += (size_t)n) > LINGER_BYTES) {
            conn_release(w, c);
            return;
        }
    }
}

/* Slot c answered: it waits for its next request, lingers, or is free. */
static void
conn_answered(struct worker *w, struct conn *c, enum answered how)
{
    switch (how) {
    case ANSWERED_CLOSED:
        conn_release(w, c);
        break;
    case ANSWERED_KEPT:
        if (!c->kept)
            metrics_add_kept(w->ctx.metrics, 1);
        c->kept = true;
        c->deadline_ms = 0;
        break;
    case ANSWERED_LINGERING:
        if (c->kept)
            metrics_add_kept(w->ctx.metrics, -1);
        c->kept = false;
        c->lingering = true;
        c->dropped = 0;
        c->deadline_ms = clock_mono_ms() + LINGER_MS;
        break;
    }
}

enum ready { READY_NOT_YET, READY_ALL, READY_FAST, READY_GONE, READY_BAD };

/*
 * Is the next request on fd all in the socket buffer?  FastCGI records are
 * read without taking them and checked (fcgi_guard.h): BEGIN_REQUEST, the
 * parameters up to their empty record, the body up to its empty record (or
 * an ABORT_REQUEST).  Anything else is not a web server's (READY_BAD).
 * libfcgi reads a request's records up to its end and no further, so when
 * all are here and checked (READY_ALL) it reads them from the connection;
 * else from the records the worker reads and checks for it (fcgi_feed).
 */
static enum ready
conn_ready(struct worker *w, int fd)
{
    ssize_t n = recv(fd, w->peek, sizeof(w->peek), MSG_PEEK | MSG_DONTWAIT);
    struct fcgi_guard g;
    size_t used;

    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? READY_NOT_YET : READY_GONE;
    if (n == 0)
        return READY_GONE;
    fcgi_guard_init(&g);
    switch (fcgi_guard_check(&g, (const unsigned char *)w->peek, (size_t)n,
                             &used)) {
    case FCGI_GUARD_END:
        return READY_ALL;
    case FCGI_GUARD_BAD:
        return READY_BAD;
    default:
        return (size_t)n >= sizeof(w->peek) ? READY_FAST : READY_NOT_YET;
    }
}

/*
 * Read, through the worker's feed, and answer the request on req (its
 * connection's descriptor in ipcFd), under the read deadline armed or
 * passed.  Returns how it was answered; ANSWERED_CLOSED also when it was
 * closed unanswered (its parameters did not all come, or its records were
 * not a web server's).
 */
static enum answered
serve_fed(struct worker *w, FCGX_Request *req, int keep, bool linger)
{
    struct fcgi_feed *f = &w->feed;

    if (fcgi_feed_start(f, req, req->ipcFd, w->peek, sizeof(w->peek)) != 0) {
        fcgi_deadline_disarm();
        if (f->rejected)
            count_rejected(w);
        FCGX_Free(req, 1);
        return ANSWERED_CLOSED;
    }
    /* On a bad record libfcgi closes the memfd and returns < 0 (there is no
     * listening socket to accept another from). */
    if (FCGX_Accept_r(req) < 0) {
        fcgi_deadline_disarm();
        fcgi_feed_stop(f, true);
        FCGX_Free(req, 1);
        return ANSWERED_CLOSED;
    }
    return answer(w, req, f, keep, linger);
}

/* Read and answer the request waiting on slot c. */
static void
conn_serve(struct worker *w, struct conn *c, enum ready how, int keep)
{
    if (how != READY_ALL) {
        fcgi_deadline_arm(c->deadline_ms);
        conn_answered(w, c, serve_fed(w, &c->req, keep, true));
        return;
    }
    /* On EOF or a bad record libfcgi closes the connection and returns < 0
     * (a slot has no listening socket to accept another from); after an
     * answer without keep, FCGX_Finish_r closed it. */
    if (FCGX_Accept_r(&c->req) < 0) {
        conn_release(w, c);
        return;
    }
    conn_answered(w, c, answer(w, &c->req, NULL, keep, true));
}

/* Something arrived on slot c: the request is served once it is all here. */
static void
conn_event(struct worker *w, struct conn *c, int keep)
{
    enum ready how;

    if (c->req.ipcFd < 0)
        return;
    if (c->lingering) {
        conn_linger(w, c);
        return;
    }
    how = conn_ready(w, c->req.ipcFd);
    if (how == READY_GONE) {
        conn_release(w, c);
    } else if (how == READY_BAD) {
        count_rejected(w);
        conn_release(w, c);
    } else if (how != READY_NOT_YET) {
        if (c->deadline_ms == 0)
            c->deadline_ms = clock_mono_ms() + w->cfg->read_timeout_ms;
        conn_serve(w, c, how, keep);
    } else if (c->deadline_ms == 0) {
        /* The start of a request on a kept connection. */
        c->deadline_ms = clock_mono_ms() + w->cfg->read_timeout_ms;
    }
}

/*
 * Slot c's request is not all here by its deadline.  What did arrive is read
 * without waiting: a request whose parameters are here is answered 408 (the
 * body read finds the socket empty) and its connection closed; one whose
 * parameters are not is closed unanswered, since there is nothing to answer.
 * A lingering connection's time is up: it is closed.
 */
static void
conn_expire(struct worker *w, struct conn *c)
{
    int fl;

    if (c->lingering) {
        conn_release(w, c);
        return;
    }
    fl = fcntl(c->req.ipcFd, F_GETFL);
    log_info("a request was not all received within %lu ms: closing its "
             "connection",
             w->cfg->read_timeout_ms);
    if (fl < 0 || fcntl(c->req.ipcFd, F_SETFL, fl | O_NONBLOCK) != 0) {
        conn_release(w, c);
        return;
    }
    fcgi_deadline_passed(true);
    conn_answered(w, c, serve_fed(w, &c->req, 0, true));
    fcgi_deadline_passed(false);
}

/* Close the connections whose deadline passed; returns the epoll_wait
 * timeout until the next one (-1: none). */
static int
conn_expire_due(struct worker *w)
{
    int64_t now = clock_mono_ms(), next = -1;
    unsigned i;

    for (i = 0; i < CONN_MAX && w->nconns > 0; i++) {
        struct conn *c = &w->conns[i];

        if (c->req.ipcFd < 0 || c->deadline_ms == 0)
            continue;
        if (c->deadline_ms <= now) {
            conn_expire(w, c);
            now = clock_mono_ms();
        } else if (next < 0 || c->deadline_ms - now < next) {
            next = c->deadline_ms - now;
        }
    }
    return next < 0 ? -1 : (int)(next > 60000 ? 60000 : next);
}

/*
 * FCGI_WEB_SERVER_ADDRS, as libfcgi's own accept honours it: a TCP peer not
 * on the list is refused.  A list that does not parse refuses nobody.
 */
static bool
peer_allowed(const struct sockaddr_storage *sa)
{
    const char *list = getenv("FCGI_WEB_SERVER_ADDRS");
    char ip[INET_ADDRSTRLEN];
    size_t n;

    if (list == NULL || list[0] == '\0' || sa->ss_family != AF_INET)
        return true;
    if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip,
                  sizeof(ip)) == NULL)
        return false;
    n = strlen(ip);
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");

        if (len == n && strncmp(p, ip, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/*
 * Past CONN_MAX waiting connections, a new one is served as it comes: its
 * request is read at once, under the read deadline, and its connection
 * closed after the answer.
 */
static void
read_blocking(struct worker *w, int fd)
{
    w->fresh.ipcFd = fd;
    w->fresh.listen_sock = -1;
    w->fresh.keepConnection = 1; /* see serve_new */
    fcgi_deadline_arm(clock_mono_ms() + w->cfg->read_timeout_ms);
    (void)serve_fed(w, &w->fresh, 0, false);
    fcgi_deadline_disarm();
    FCGX_Free(&w->fresh, 1);
    w->fresh.ipcFd = -1;
}

/* A new connection from the listening socket: served at once when its
 * request is all here (the usual case), else it waits in a slot. */
static void
serve_new(struct worker *w, int keep)
{
    struct epoll_event ev = {.events = EPOLLIN};
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    struct conn *c;
    unsigned slot;
    int fd, one = 1;

    /* The listening socket is non-blocking: another worker may have taken
     * the connection, and then accept says EAGAIN. */
    fd = accept4(w->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (!peer_allowed(&sa)) {
        close(fd);
        return;
    }
    if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    metrics_count_connection(w->ctx.metrics);
    if (w->nconns == CONN_MAX) {
        read_blocking(w, fd);
        return;
    }
    for (slot = 0; w->conns[slot].req.ipcFd >= 0; slot++)
        ;
    c = &w->conns[slot];
    if (FCGX_InitRequest(&c->req, -1, 0) != 0) {
        close(fd);
        return;
    }
    c->req.ipcFd = fd;
    /* FCGX_Accept_r first finishes the request before: it must not close
     * the connection that is to bring the first one. */
    c->req.keepConnection = 1;
    c->deadline_ms = clock_mono_ms() + w->cfg->read_timeout_ms;
    c->kept = false;
    w->nconns++;
    ev.data.u64 = EV_CONN + slot;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        log_warn("epoll_ctl: %s", strerror(errno));
        conn_release(w, c);
        return;
    }
    conn_event(w, c, keep);
}

/*
 * Before the worker exits (stop, reload, recycling), its kept connections
 * are handed back to the web server.  Closing one at an arbitrary moment
 * races a request the server may be sending down it (nginx then answers a
 * POST 502, Apache any request 503).  Closing it right after an answer does
 * not: the end of the connection arrives with the answer, and nginx and
 * Apache look for it before they reuse a connection.  So for up to DRAIN_MS
 * the worker takes no new connection (the others do) and answers what comes
 * on its connections, closing each after its answer; the ones left, idle all
 * along, are closed at the end.
 */
static void
close_conns(struct worker *w)
{
    struct epoll_event evs[64];
    int64_t deadline = clock_mono_ms() + DRAIN_MS, left;
    int i, n;

    if (w->nconns == 0)
        return;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd, NULL);
    while (w->nconns > 0 && (left = deadline - clock_mono_ms()) > 0) {
        n = epoll_wait(w->epfd, evs, 64, (int)left);
        for (i = 0; i < n; i++) {
            if (evs[i].data.u64 == EV_SIGNAL)
                (void)handle_signals(w); /* already stopping */
            else if (evs[i].data.u64 >= EV_CONN)
                conn_event(w, &w->conns[evs[i].data.u64 - EV_CONN], 0);
        }
    }
    for (i = 0; i < CONN_MAX; i++)
        if (w->conns[i].req.ipcFd >= 0)
            conn_release(w, &w->conns[i]);
}

int
worker_run(const struct config *cfg, int listen_fd, struct metrics *m,
           unsigned flags)
{
    struct worker *w;
    int status = 0, stop = 0;

    /* The connection table makes it too big for the stack. */
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
        int i, n, accept_one = 0, timeout = conn_expire_due(w), purge;

        /* The nearest of a waiting connection's deadline and the purge. */
        purge = purge_wait_ms(&w->ctx, clock_mono_ms());
        if (timeout < 0 || (purge >= 0 && purge < timeout))
            timeout = purge;
        n = epoll_wait(w->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            status = 1;
            break;
        }
        for (i = 0; i < n; i++)
            if (evs[i].data.u64 == EV_SIGNAL)
                stop |= handle_signals(w);
        /* A request on a connection of this worker can only be answered
         * here; a new connection may go to any worker. */
        for (i = 0; i < n && !stop; i++) {
            if (evs[i].data.u64 == EV_LISTEN)
                accept_one = 1;
            else if (evs[i].data.u64 >= EV_CONN)
                conn_event(w, &w->conns[evs[i].data.u64 - EV_CONN],
                           !last_request(w));
        }
        if (accept_one && !stop)
            serve_new(w, !last_request(w));
        /* Between requests, when the host's session purge is due. */
        if (!stop)
            purge_run_if_due(&w->ctx, w->arena);
        if (cfg->max_requests > 0 && w->served >= cfg->max_requests) {
            log_debug("recycling after %lu requests", w->served);
            stop = 1;
        }
    }
    close_conns(w);
    worker_fini(w);
    free(w);
    return status;
}
