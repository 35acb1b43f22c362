/* Finding the listening socket: LISTEN_FDS, fd 0, a unix path or host:port. */
#include "cordgate/listen.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cordgate/config.h"

#define SYSTEMD_FIRST_FD 3
#define BACKLOG          1024

/* systemd socket activation: LISTEN_PID must be us, the socket is fd 3. */
static int
systemd_socket(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

    if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
        atoi(fds) < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    fcntl(SYSTEMD_FIRST_FD, F_SETFD, FD_CLOEXEC);
    return SYSTEMD_FIRST_FD;
}

static int
open_unix(struct listener *l, const char *path, unsigned long mode)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* A socket file left by a crashed run is replaced; a live one is not. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        errno = EADDRINUSE;
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        chmod(path, (mode_t)mode) != 0 || listen(fd, BACKLOG) != 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    l->unix_path = strdup(path);
    return fd;
}

static int
open_tcp(const char *spec)
{
    const char *colon = strrchr(spec, ':');
    char host[256];
    struct addrinfo hints, *res, *ai;
    int fd = -1, one = 1, rc;

    snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        errno = EINVAL;
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, BACKLOG) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * The process manager that handed us fd 0, when it is one that already runs
 * one request per process and restarts them itself (deployment spec §0.6,
 * §4): a pool of our own under it would only waste memory.  Apache's
 * mod_fcgid and multiwatch are our parent; spawn-fcgi -F is our parent for
 * its first 100 ms, then we are an orphan.  Under systemd
 * (StandardInput=socket) the pool stays, and under lighttpd's bin-path too:
 * lighttpd sends a process many requests at once (deployment spec §3.3).
 */
static const char *
process_manager(void)
{
    static const char *const managers[] = {"apache2", "httpd", "multiwatch",
                                           "spawn-fcgi"};
    static char name[32];
    char path[64];
    pid_t ppid = getppid();
    size_t i, n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)ppid);
    f = fopen(path, "re");
    if (f != NULL) {
        n = fread(name, 1, sizeof(name) - 1, f);
        fclose(f);
    }
    while (n > 0 && name[n - 1] == '\n')
        n--;
    name[n] = '\0';
    for (i = 0; i < sizeof(managers) / sizeof(managers[0]); i++)
        if (strcmp(name, managers[i]) == 0)
            return name;
    if (ppid == 1 && strcmp(name, "systemd") != 0)
        return "an exited parent (spawn-fcgi -F)";
    return NULL;
}

int
listen_open(struct listener *l, const struct config *cfg)
{
    memset(l, 0, sizeof(*l));
    l->fd = systemd_socket();
    l->how = "systemd socket (fd 3)";
    if (l->fd < 0 && !FCGX_IsCGI()) {
        l->fd = 0;
        l->how = "inherited socket (fd 0)";
        l->manager = process_manager();
    }
    if (l->fd < 0) {
        l->how = cfg->listen;
        if (cfg->listen[0] == '/' || cfg->listen[0] == '.')
            l->fd = open_unix(l, cfg->listen, cfg->listen_mode);
        else
            l->fd = open_tcp(cfg->listen);
        if (l->fd < 0) {
            fprintf(stderr, "cordgate: cannot listen on %s: %s\n", cfg->listen,
                    strerror(errno));
            return -1;
        }
    }
    /* Idle workers wait in epoll; whoever loses the race for a connection
     * gets EAGAIN instead of blocking in accept. */
    fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

void
listen_close(struct listener *l)
{
    if (l->unix_path != NULL) {
        unlink(l->unix_path);
        free(l->unix_path);
        l->unix_path = NULL;
    }
    if (l->fd > 0)
        close(l->fd);
}
