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
 * Three bugs of libfcgi 2.4.2's own were found here
 * (fuzz/corpus/fastcgi/libfcgi-*), and filter_stream() keeps them out so
 * that the fuzzing goes on past them: it leaks 48 bytes for each
 * management record (request id 0) of an unknown type; an FCGI_GET_VALUES
 * record that names FCGI_MAX_CONNS four times overflows a 64-byte buffer
 * on its stack (the worker aborts); and it mallocs the int sum of a
 * parameter's two lengths before reading them, so two lengths near 2^31
 * overflow it (the worker aborts) and one allocates 2 GiB.  No web server
 * sends such records; whoever can connect to the socket can.
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

/* What a worker's serve_one() does with a request libfcgi has read. */
static void
serve(FCGX_Request *req)
{
    struct http_source src = fcgi_http_source(req);
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
    buf_init(&out, arena, HTTP_MAX_RESPONSE + 65536);
    check(http_response_serialize(&r, &out) == 0);
    check(out.len > 8 && memcmp(out.data, "Status: ", 8) == 0);
    check(r.status < 500 || r.status == 503);
    FCGX_PutStr(out.data, (int)out.len, req->out);
}

/* Parameter lengths are capped at this. */
#define MAX_PARAM 65536

/* Where a parameter's lengths are, in the request's PARAMS contents. */
struct params_scan {
    int state;      /* 0, 1: the name's, the value's length next; 2: bytes */
    uint8_t *at[4]; /* the bytes of the length being read (a record may
                       end inside it) */
    int have, need; /* bytes of it read, and needed */
    uint32_t name;
    size_t skip; /* name and value bytes still to pass */
};

/* One byte of PARAMS content, which may be part of a length to cap. */
static void
params_byte(struct params_scan *ps, uint8_t *b)
{
    uint32_t n;

    if (ps->state == 2) {
        if (--ps->skip == 0)
            ps->state = 0;
        return;
    }
    if (ps->have == 0)
        ps->need = *b & 0x80 ? 4 : 1;
    ps->at[ps->have++] = b;
    if (ps->have < ps->need)
        return;
    ps->have = 0;
    if (ps->need == 1) {
        n = *ps->at[0];
    } else {
        n = (uint32_t)(*ps->at[0] & 0x7f) << 24 | (uint32_t)*ps->at[1] << 16 |
            (uint32_t)*ps->at[2] << 8 | *ps->at[3];
        if (n > MAX_PARAM) {
            n = MAX_PARAM;
            *ps->at[0] = 0x80;
            *ps->at[1] = (uint8_t)(n >> 16);
            *ps->at[2] = (uint8_t)(n >> 8);
            *ps->at[3] = (uint8_t)n;
        }
    }
    if (ps->state == 0) {
        ps->name = n;
        ps->state = 1;
        return;
    }
    ps->skip = (size_t)ps->name + n;
    ps->state = ps->skip > 0 ? 2 : 0;
}

/* Where libfcgi is in a request's records. */
enum phase { BEGIN, PARAMS, STDIN, DONE };

/*
 * data as the web server's end sends it, into out (of size bytes); returns
 * the length.  Management records are dropped and the request's parameter
 * lengths capped, so the records must be followed as libfcgi 2.4.2 follows
 * them (fcgiapp.c ProcessHeader, FillBuffProc): a header it refuses (bad
 * version, a BEGIN_REQUEST without a request id or 8 bytes, the current
 * request's record of the wrong type) ends the stream being read, and as
 * it then resets its reader without skipping the record, whatever the
 * header announced is read as headers; so is the padding of the first
 * BEGIN_REQUEST and of a stream's empty last record, which this drops.
 * Bytes after the request's last record, or the last whole header, go as
 * they are.
 */
static size_t
filter_stream(const uint8_t *data, size_t size, uint8_t *out)
{
    struct params_scan ps = {0};
    enum phase phase = BEGIN;
    unsigned request_id = 0;
    size_t i = 0, n = 0;

    while (size - i >= 8 && phase != DONE) {
        uint8_t version = data[i], type = data[i + 1];
        unsigned id = (unsigned)data[i + 2] << 8 | data[i + 3];
        size_t clen = (size_t)data[i + 4] << 8 | data[i + 5];
        size_t pad = data[i + 6], k;
        bool refused, ends = false;

        /* As announced, however many bytes follow. */
        refused = version != 1 || (type == 1 && (id == 0 || clen != 8)) ||
                  (type != 1 && id != 0 && id == request_id &&
                   type != (phase == PARAMS ? 4 : 5));
        if (clen > size - i - 8)
            clen = size - i - 8;
        if (pad > size - i - 8 - clen)
            pad = size - i - 8 - clen;
        if (refused) {
            memcpy(out + n, data + i, 8);
            n += 8;
            i += 8;
            if (phase == BEGIN || phase == STDIN)
                phase = DONE;
            else
                phase = STDIN;
            continue;
        }
        if (type != 1 && id == 0) {
            i += 8 + clen + pad;
            continue;
        }
        memcpy(out + n, data + i, 8 + clen);
        if (type == 1 && phase == BEGIN) {
            request_id = id;
            phase = PARAMS;
            ends = true; /* its padding is not skipped */
        } else if (type != 1 && id == request_id && phase != BEGIN) {
            if (phase == PARAMS)
                for (k = 0; k < clen; k++)
                    params_byte(&ps, out + n + 8 + k);
            if (clen == 0) {
                ends = true;
                phase = phase == PARAMS ? STDIN : DONE;
            }
        }
        if (ends) {
            out[n + 6] = 0;
        } else {
            memcpy(out + n + 8 + clen, data + i + 8 + clen, pad);
            n += pad;
        }
        n += 8 + clen;
        i += 8 + clen + pad;
    }
    memcpy(out + n, data + i, size - i);
    return n + size - i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *stream = malloc(size + 1);
    struct peer p = {.data = stream};
    FCGX_Request req;
    int fds[2];

    if (arena == NULL) {
        pthread_t thread;

        setup();
        check(pthread_create(&thread, NULL, peer_thread, NULL) == 0);
        check(pthread_detach(thread) == 0);
    }
    check(stream != NULL);
    p.size = filter_stream(data, size, stream);
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
    if (FCGX_Accept_r(&req) >= 0) {
        serve(&req);
        req.keepConnection = 0;
        /* Ends the answer and closes the connection. */
        FCGX_Finish_r(&req);
        arena_reset(arena);
    }
    FCGX_Free(&req, 1);
    peer_wait();
    free(stream);
    return 0;
}
