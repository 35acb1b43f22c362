/* The worker's http_source: libfcgi's parameters and stdin stream, and the
 * read deadline that cuts a blocked read short. */
#include "cordgate/fcgi.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

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
