/* The worker's http_source: libfcgi's parameters and stdin stream, and the
 * read deadline that cuts a blocked read short. */
#include "cordgate/fcgi.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cordgate/context.h"

/* After the read deadline, SIGALRM comes again this often, so that a read
 * entered just after one signal is cut short by the next. */
#define ALARM_REPEAT_MS 50

/* The read deadline of the request being read has passed. */
static volatile sig_atomic_t expired;

static void
on_alarm(int sig)
{
    (void)sig;
    expired = 1;
}

int
fcgi_deadline_init(void)
{
    struct sigaction sa;

    /* No SA_RESTART: the signal cuts a blocked read short. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGALRM, &sa, NULL);
}

void
fcgi_deadline_arm(int64_t deadline_ms)
{
    int64_t left = deadline_ms - clock_mono_ms();
    struct itimerval it = {
        .it_interval = {0, ALARM_REPEAT_MS * 1000},
    };

    if (left < 1)
        left = 1;
    it.it_value.tv_sec = left / 1000;
    it.it_value.tv_usec = (left % 1000) * 1000;
    expired = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

void
fcgi_deadline_disarm(void)
{
    static const struct itimerval off;

    setitimer(ITIMER_REAL, &off, NULL);
}

void
fcgi_deadline_passed(bool passed)
{
    expired = passed;
}

static const char *
fcgx_param(void *ud, const char *name)
{
    FCGX_Request *req = ud;

    return FCGX_GetParam(name, req->envp);
}

/* The body, as http_read_body asks for it.  At its end the read deadline
 * is over: the rest of the request's time is CORDGATE_REQUEST_TIMEOUT's. */
static ssize_t
fcgx_read(void *ud, char *dst, size_t n)
{
    FCGX_Request *req = ud;
    int got;

    if (n > (size_t)INT32_MAX)
        n = INT32_MAX;
    got = FCGX_GetStr(dst, (int)n, req->in);
    if (got == 0 && FCGX_GetError(req->in) != 0) {
        int err = FCGX_GetError(req->in);

        /* A read cut short by the deadline, or one that found the socket
         * empty once it had passed (the worker's conn_expire). */
        errno = expired || err == EAGAIN || err == EINTR ? ETIMEDOUT : EIO;
        return -1;
    }
    if (got == 0)
        fcgi_deadline_disarm();
    return got;
}

struct http_source
fcgi_http_source(struct FCGX_Request *req)
{
    return (struct http_source){fcgx_param, fcgx_read, req};
}

/* The memfd keeps at most about this much that libfcgi has read. */
#define FEED_KEEP (64u << 10)

/* Take the next checked bytes of f's connection into its memfd: 1 when
 * more may come, 0 when nothing more will be taken (the end of the
 * request, of the connection, the read deadline), -1 on bad records. */
static int
feed_more(struct fcgi_feed *f)
{
    const unsigned char *p = (const unsigned char *)f->buf;
    enum fcgi_guard_status st;
    size_t used, off;
    ssize_t n;
    off_t at;

    if (f->ended)
        return f->rejected ? -1 : 0;
    /* What libfcgi has read is let go: all of it, the memfd then starts
     * again, or its whole pages once there are FEED_KEEP of them. */
    at = lseek(f->memfd, 0, SEEK_CUR);
    if (at < 0) {
        f->ended = true;
        return 0;
    }
    if (f->wpos > 0 && (size_t)at == f->wpos) {
        if (ftruncate(f->memfd, 0) != 0 || lseek(f->memfd, 0, SEEK_SET) != 0) {
            f->ended = true;
            return 0;
        }
        f->wpos = f->dropped = 0;
    } else if ((size_t)at - f->dropped >= FEED_KEEP) {
        size_t upto = (size_t)at & ~(size_t)(FEED_KEEP - 1);

        if (upto > f->dropped &&
            fallocate(f->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)f->dropped, (off_t)(upto - f->dropped)) == 0)
            f->dropped = upto;
    }
    for (;;) {
        n = recv(f->sock, f->buf, f->bufsize, MSG_PEEK);
        if (n > 0)
            break;
        if (n < 0 && errno == EINTR && !expired)
            continue;
        f->ended = true; /* EOF, the deadline, or EAGAIN past it */
        return 0;
    }
    st = fcgi_guard_check(&f->guard, p, (size_t)n, &used);
    if (st == FCGI_GUARD_BAD) {
        f->ended = f->rejected = true;
        return -1;
    }
    /* Taken for real: they are in the socket buffer, it does not wait. */
    if (recv(f->sock, f->buf, used, 0) != (ssize_t)used) {
        f->ended = true;
        return 0;
    }
    for (off = 0; off < used;) {
        n = pwrite(f->memfd, p + off, used - off, (off_t)(f->wpos + off));
        if (n <= 0) {
            f->ended = true;
            return 0;
        }
        off += (size_t)n;
    }
    f->wpos += used;
    if (st == FCGI_GUARD_END) {
        f->ended = true;
        return 0;
    }
    return 1;
}

int
fcgi_feed_start(struct fcgi_feed *f, struct FCGX_Request *req, int sock,
                char *buf, size_t bufsize)
{
    memset(f, 0, sizeof(*f));
    f->req = req;
    f->sock = sock;
    f->buf = buf;
    f->bufsize = bufsize;
    fcgi_guard_init(&f->guard);
    f->memfd = memfd_create("cordgate-fastcgi", MFD_CLOEXEC);
    if (f->memfd < 0)
        return -1;
    while (f->guard.phase < FCGI_GUARD_STDIN && feed_more(f) > 0)
        ;
    if (f->guard.phase < FCGI_GUARD_STDIN || f->rejected) {
        close(f->memfd);
        f->memfd = -1;
        return -1;
    }
    req->ipcFd = f->memfd;
    return 0;
}

static const char *
feed_param(void *ud, const char *name)
{
    struct fcgi_feed *f = ud;

    return fcgx_param(f->req, name);
}

static ssize_t
feed_read(void *ud, char *dst, size_t n)
{
    struct fcgi_feed *f = ud;
    size_t want = n < f->bufsize ? n : f->bufsize;
    ssize_t got;

    /* Checked ahead of what libfcgi is asked for: it gives the body's
     * bytes once they are all in the memfd, and the memfd's end (a failed
     * read) only once nothing more will come. */
    while (!f->ended && f->guard.body - f->read < want)
        (void)feed_more(f);
    if (f->rejected) {
        errno = EPROTO;
        return -1;
    }
    if (!f->ended && n > f->guard.body - f->read)
        n = (size_t)(f->guard.body - f->read);
    got = fcgx_read(f->req, dst, n);
    if (got > 0)
        f->read += (uint64_t)got;
    return got;
}

struct http_source
fcgi_feed_source(struct fcgi_feed *f)
{
    return (struct http_source){feed_param, feed_read, f};
}

void
fcgi_feed_stop(struct fcgi_feed *f, bool lost)
{
    if (f->memfd >= 0 && !lost)
        close(f->memfd);
    f->memfd = -1;
    f->req->ipcFd = f->sock;
}
