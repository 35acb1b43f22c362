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
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

static void
serve(int fd)
{
    static const char answer[] = "Status: 200 OK\r\n"
                                 "Content-Type: application/json\r\n"
                                 "\r\n"
                                 "{\"hello\":\"world\"}";
    FCGX_Request req;

    if (FCGX_InitRequest(&req, fd, 0) != 0)
        _exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
        FCGX_Finish_r(&req);
    }
    _exit(0);
}

int
main(int argc, char **argv)
{
    struct sigaction sa = {0};
    pid_t *pids;
    int fd, n, i;

    if (argc != 3 || (n = atoi(argv[2])) < 1 || n > 256) {
        fprintf(stderr, "usage: %s SOCKET_PATH WORKERS\n", argv[0]);
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
    pids = calloc((size_t)n, sizeof(*pids));
    if (pids == NULL)
        return 1;
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            serve(fd);
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
