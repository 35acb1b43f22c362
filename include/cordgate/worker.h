/* A worker: accept loop, one request at a time, its own database link. */
#ifndef CORDGATE_WORKER_H
#define CORDGATE_WORKER_H

struct config;
struct metrics;

/*
 * Serve FastCGI requests on listen_fd until SIGTERM, SIGINT or SIGQUIT (the
 * request in flight is finished first) or until cfg->max_requests are served.
 * The caller has blocked the signals the worker handles.  Returns the
 * process exit status: 0 after a clean stop, 1 when it could not start.
 */
/* Under multiwatch, whose stop signal is SIGUSR1 (deployment spec §4). */
#define WORKER_USR1_STOPS 1u

int worker_run(const struct config *cfg, int listen_fd, struct metrics *m,
               unsigned flags);

#endif
