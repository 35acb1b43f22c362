/*
 * The FastCGI ceiling of bench/run.sh: libfcgi's accept loop answering a
 * fixed small JSON, pre-forked like cordgate (a master that serves nothing
 * and N workers accepting on one unix socket).  Whatever cordgate does
 * beyond this costs throughput; this is what nginx + libfcgi alone give.
 *
 *   hello SOCKET_PATH WORKERS
 *
 * SIGTERM to the master stops the workers and removes the socket.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEEP_MAX 512

static volatile sig_atomic_t stopping;

static const char answer[] = "Status: 200 OK\r\n"
                             "Content-Type: application/json\r\n"
                             "\r\n"
                             "{\"hello\":\"world\"}";

static void
on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

static void
serve(int fd)
{
    FCGX_Request req;

    if (FCGX_InitRequest(&req, fd, 0) != 0)
        _exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
        FCGX_Finish_r(&req);
    }
    _exit(0);
}

/* Serve one request on slot's connection; close the slot when nginx did
 * not ask to keep it, or on EOF. */
static void
serve_kept(FCGX_Request *req)
{
    if (FCGX_Accept_r(req) < 0) {
        /* EOF or a bad record: libfcgi closed it. */
        FCGX_Free(req, 1);
        req->ipcFd = -1;
        return;
    }
    FCGX_PutStr(answer, (int)sizeof(answer) - 1, req->out);
    FCGX_Finish_r(req);
    if (req->ipcFd >= 0)
        req->keepConnection = 1; /* the next Accept_r must not close it */
}

static void
serve_keep(int fd)
{
    static FCGX_Request reqs[KEEP_MAX];
    struct epoll_event ev = {.events = EPOLLIN}, evs[64];
    int ep, n, i, c, slot;

    ep = epoll_create1(0);
    if (ep < 0)
        _exit(1);
    for (i = 0; i < KEEP_MAX; i++)
        reqs[i].ipcFd = -1;
    ev.data.u32 = KEEP_MAX;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        _exit(1);
    while (!stopping) {
        n = epoll_wait(ep, evs, 64, -1);
        for (i = 0; i < n; i++) {
            slot = (int)evs[i].data.u32;
            if (slot < KEEP_MAX) {
                serve_kept(&reqs[slot]);
                continue;
            }
            c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            for (slot = 0; slot < KEEP_MAX && reqs[slot].ipcFd >= 0; slot++)
                ;
            if (slot == KEEP_MAX || FCGX_InitRequest(&reqs[slot], -1, 0) != 0) {
                close(c);
                continue;
            }
            reqs[slot].ipcFd = c;
            reqs[slot].keepConnection = 1;
            ev.data.u32 = (uint32_t)slot;
            if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) {
                FCGX_Free(&reqs[slot], 1);
                reqs[slot].ipcFd = -1;
                continue;
            }
            serve_kept(&reqs[slot]);
        }
    }
    _exit(0);
}

int
main(int argc, char **argv)
{
    struct sigaction sa = {0};
    pid_t *pids;
    int fd, n, i, keep;

    keep = argc == 4 && strcmp(argv[3], "keep") == 0;
    if ((argc != 3 && !keep) || (n = atoi(argv[2])) < 1 || n > 256) {
        fprintf(stderr, "usage: %s SOCKET_PATH WORKERS [keep]\n", argv[0]);
        return 2;
    }
    if (FCGX_Init() != 0)
        return 1;
    unlink(argv[1]);
    umask(0);
    fd = FCGX_OpenSocket(argv[1], 1024);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    /* Workers in epoll on one socket: a connection another took leaves
     * accept with EAGAIN, not blocked. */
    if (keep && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        perror("fcntl");
        return 1;
    }
    pids = calloc((size_t)n, sizeof(*pids));
    if (pids == NULL)
        return 1;
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            /* FCGX_Init caught SIGTERM for FCGX_Accept_r's accept loop,
             * which the keep-alive worker never enters: it would outlive
             * the master's SIGTERM.  Each worker ends on it, and with the
             * master. */
            signal(SIGTERM, SIG_DFL);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() == 1)
                _exit(0);
            if (keep)
                serve_keep(fd);
            serve(fd);
        }
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
    }
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stopping)
        if (wait(NULL) < 0 && errno == ECHILD)
            break;
    for (i = 0; i < n; i++)
        kill(pids[i], SIGTERM);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    unlink(argv[1]);
    free(pids);
    return 0;
}
