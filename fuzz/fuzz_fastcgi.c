/*
 * libFuzzer target: the bytes a misbehaving web server sends down a FastCGI
 * connection, read by libfcgi as a worker reads a kept connection
 * (FCGX_Accept_r on the descriptor, with the worker's own http_source from
 * src/fcgi.c), then through request parsing, routing, the body reader and
 * the answer.  The peer is the other end of a socketpair, served by a thread
 * that writes every byte, shuts its side down and reads whatever comes
 * back, so that nothing can block: a truncated record is the end of the
 * stream.  The database is one that never answers, as in fuzz_request.
 *
 * The bytes go as the worker lets them reach libfcgi: checked first by
 * the guard (fcgi_guard.h); a request all there and fine is read by
 * libfcgi from the connection (the worker's READY_ALL), any other through
 * the worker's feed (src/fcgi.c), which reads and checks the records before
 * libfcgi gets them, and gives up unanswered on the first that is not a web
 * server's.  The three bugs of libfcgi 2.4.2's own that this target found
 * (fuzz/corpus/fastcgi/libfcgi-*: a leak of 48 bytes per management record
 * of an unknown type, a 64-byte stack buffer overflowed by an
 * FCGI_GET_VALUES record naming FCGI_MAX_CONNS four times, a malloc of the
 * int sum of a parameter's two lengths) are so out of reach, as in the
 * worker, and those inputs are regression inputs.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/cache.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/fcgi.h"
#include "cordgate/fcgi_guard.h"
#include "cordgate/http.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *arena;
static struct config cfg;
static struct context ctx;

static void
check(int ok)
{
    if (!ok)
        abort();
}

static void
setup(void)
{
    char err[256];

    unsetenv("CORDGATE_TEST_TOKENS");
    unsetenv("CORDGATE_BASE_PATH");
    setenv("CORDGATE_MAX_BODY", "4096", 1);
    /* As supervisor_run() does: no lingering on a close. */
    setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", "0", 1);
    check(config_load(&cfg, NULL, err, sizeof(err)) == 0);
    log_set_level(LL_ERROR);
    ctx.cfg = &cfg;
    ctx.now = clock_wall_seconds;
    ctx.metrics = metrics_create(router_route_count());
    ctx.apps = cache_create(16);
    ctx.sessions = cache_create(16);
    ctx.db = db_create("host=/nonexistent/cordgate-fuzz dbname=fuzz "
                       "connect_timeout=1",
                       ctx.metrics, true, 0);
    arena = arena_create(64 << 10, 64 << 20);
    check(ctx.metrics && ctx.apps && ctx.sessions && ctx.db && arena);
    check(FCGX_Init() == 0);
}

/* The web server's end: every byte of the input, then the end of the
 * stream, while whatever the worker answers is read and dropped. */
struct peer {
    int fd;
    const uint8_t *data;
    size_t size;
};

static void
peer_serve(const struct peer *p)
{
    size_t sent = 0;
    bool open = true;
    char sink[4096];

    if (p->size == 0)
        shutdown(p->fd, SHUT_WR);
    for (;;) {
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        ssize_t n;

        if (sent < p->size)
            pfd.events |= POLLOUT;
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd.revents & POLLOUT) {
            n = send(p->fd, p->data + sent, p->size - sent,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                sent = p->size; /* the worker closed: stop sending */
            if (sent == p->size)
                shutdown(p->fd, SHUT_WR);
        }
        if (open && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            n = recv(p->fd, sink, sizeof(sink), MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                open = false;
        }
        if (!open && sent == p->size)
            break;
    }
    close(p->fd);
}

/*
 * One thread for all inputs (AddressSanitizer keeps a record of every
 * thread that ever ran, so a thread per input grows the fuzzer by some
 * 250 bytes an execution): it serves each peer handed to it and says when
 * it is done.
 */
static pthread_mutex_t peer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t peer_cond = PTHREAD_COND_INITIALIZER;
static const struct peer *peer_next; /* set: to serve; NULL: done */

static void *
peer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        const struct peer *p;

        pthread_mutex_lock(&peer_lock);
        while (peer_next == NULL)
            pthread_cond_wait(&peer_cond, &peer_lock);
        p = peer_next;
        pthread_mutex_unlock(&peer_lock);
        peer_serve(p);
        pthread_mutex_lock(&peer_lock);
        peer_next = NULL;
        pthread_cond_broadcast(&peer_cond);
        pthread_mutex_unlock(&peer_lock);
    }
    return NULL;
}

static void
peer_start(const struct peer *p)
{
    pthread_mutex_lock(&peer_lock);
    peer_next = p;
    pthread_cond_broadcast(&peer_cond);
    pthread_mutex_unlock(&peer_lock);
}

static void
peer_wait(void)
{
    pthread_mutex_lock(&peer_lock);
    while (peer_next != NULL)
        pthread_cond_wait(&peer_cond, &peer_lock);
    pthread_mutex_unlock(&peer_lock);
}

/* What a worker's serve_one() does with a request libfcgi has read
 * (through feed when not NULL). */
static void
serve(FCGX_Request *req, struct fcgi_feed *feed)
{
    struct http_source src =
        feed != NULL ? fcgi_feed_source(feed) : fcgi_http_source(req);
    struct request r;
    struct buf out;
    enum cg_err e;

    memset(&r, 0, sizeof(r));
    r.ctx = &ctx;
    r.deadline_ms = clock_mono_ms() + 1000;
    e = http_request_init(&r, arena, &src, NULL);
    if (e == CG_ERR_OK)
        router_dispatch(&r);
    else
        router_set_error(&r, e);
    check(r.status >= 200 && r.status <= 599);
    if (feed != NULL) {
        fcgi_feed_stop(feed, false);
        if (feed->rejected)
            return; /* closed unanswered */
    }
    buf_init(&out, arena, HTTP_MAX_RESPONSE + 65536);
    check(http_response_serialize(&r, &out) == 0);
    check(out.len > 8 && memcmp(out.data, "Status: ", 8) == 0);
    check(r.status < 500 || r.status == 503);
    FCGX_PutStr(out.data, (int)out.len, req->out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char scratch[16 << 10];
    struct peer p = {.data = data, .size = size};
    struct fcgi_feed feed;
    struct fcgi_guard guard;
    FCGX_Request req;
    size_t used;
    bool all;
    int fds[2];

    if (arena == NULL) {
        pthread_t thread;

        setup();
        check(pthread_create(&thread, NULL, peer_thread, NULL) == 0);
        check(pthread_detach(thread) == 0);
    }
    /* The worker's conn_ready, on the whole input. */
    fcgi_guard_init(&guard);
    all = fcgi_guard_check(&guard, data, size, &used) == FCGI_GUARD_END;
    check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    p.fd = fds[1];
    peer_start(&p);

    /* A kept connection: no listening socket, so when the connection
     * fails FCGX_Accept_r closes it and returns < 0 instead of accepting
     * another.  One request: libfcgi drops what it has read beyond a
     * request's end when the next begins, which a web server, waiting for
     * each answer, never sends. */
    check(FCGX_InitRequest(&req, -1, 0) == 0);
    req.ipcFd = fds[0];
    req.keepConnection = 1;
    if (all) {
        if (FCGX_Accept_r(&req) >= 0) {
            serve(&req, NULL);
            req.keepConnection = 0;
            /* Ends the answer and closes the connection. */
            FCGX_Finish_r(&req);
            arena_reset(arena);
        }
    } else if (fcgi_feed_start(&feed, &req, fds[0], scratch, sizeof(scratch)) ==
               0) {
        if (FCGX_Accept_r(&req) < 0) {
            fcgi_feed_stop(&feed, true);
        } else {
            serve(&req, &feed);
            if (!feed.rejected) {
                req.keepConnection = 0;
                FCGX_Finish_r(&req);
            }
            arena_reset(arena);
        }
    }
    FCGX_Free(&req, 1);
    peer_wait();
    return 0;
}
