/* Leveled log lines with pid and request id; never a secret. */
#include "cordgate/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Per process: each worker has its own copy after fork. */
static struct {
    int fd;
    int use_syslog;
    char *path;
    enum log_level level;
    char request_id[40];
} lg = {2, 0, NULL, LL_INFO, ""};

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int
log_open(const char *target, enum log_level level)
{
    lg.level = level;
    if (target == NULL || target[0] == '\0')
        return 0;
    if (strcmp(target, "syslog") == 0) {
        openlog("cordgate", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        lg.use_syslog = 1;
        return 0;
    }
    lg.path = strdup(target);
    if (lg.path == NULL)
        return -1;
    lg.fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (lg.fd < 0) {
        int saved = errno;

        free(lg.path);
        lg.path = NULL;
        lg.fd = 2;
        errno = saved;
        return -1;
    }
    return 0;
}

void
log_reopen(void)
{
    int fd;

    if (lg.path == NULL)
        return;
    fd = open(lg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        log_error("cannot reopen log file %s: %s", lg.path, strerror(errno));
        return;
    }
    close(lg.fd);
    lg.fd = fd;
}

void
log_close(void)
{
    if (lg.use_syslog)
        closelog();
    if (lg.path != NULL) {
        close(lg.fd);
        free(lg.path);
        lg.path = NULL;
    }
    lg.fd = 2;
    lg.use_syslog = 0;
}

void
log_set_level(enum log_level level)
{
    lg.level = level;
}

int
log_enabled(enum log_level level)
{
    return level <= lg.level;
}

void
log_set_request_id(const char *id)
{
    if (id == NULL)
        lg.request_id[0] = '\0';
    else
        snprintf(lg.request_id, sizeof(lg.request_id), "%s", id);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO,
                                      LOG_DEBUG};
    char line[2048];
    size_t n = 0;
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int w;

    if (level > lg.level)
        return;
    if (!lg.use_syslog) {
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        w = snprintf(line + n, sizeof(line) - n, ".%03ldZ cordgate[%ld] %s ",
                     ts.tv_nsec / 1000000, (long)getpid(), level_names[level]);
        n += (size_t)w;
    }
    if (lg.request_id[0] != '\0') {
        w = snprintf(line + n, sizeof(line) - n, "req=%s ", lg.request_id);
        n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
    }
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    n += (size_t)w < sizeof(line) - n ? (size_t)w : sizeof(line) - n - 1;
    /* Control characters (from a hostile method or path) cannot forge
     * extra log lines. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20)
            line[i] = ' ';
    if (lg.use_syslog) {
        syslog(syslog_prio[level], "%.*s", (int)n, line);
        return;
    }
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line; a short write on a pipe is not worth a retry. */
    if (write(lg.fd, line, n) < 0)
        return;
}
