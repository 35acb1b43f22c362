/* Counters shared by all workers, rendered in Prometheus text format. */
#ifndef CORDGATE_METRICS_H
#define CORDGATE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/compiler.h"

struct buf;
struct metrics;

enum worker_exit {
    WORKER_EXIT_RECYCLED, /* served its CORDGATE_MAX_REQUESTS */
    WORKER_EXIT_FAILED,   /* exited with a non-zero status */
    WORKER_EXIT_KILLED,   /* killed by a signal */
    WORKER_EXIT__COUNT
};

/* In memory shared with every process forked afterwards. */
struct metrics *metrics_create(size_t nroutes);
void metrics_destroy(struct metrics *m);
void metrics_count_request(struct metrics *m, size_t route, int status,
                           double seconds);
void metrics_count_restart(struct metrics *m, enum worker_exit why);
void metrics_count_db_error(struct metrics *m);
/* A FastCGI connection accepted. */
void metrics_count_connection(struct metrics *m);
/* A FastCGI connection closed unanswered: its records were not a web
 * server's (fcgi_guard.h). */
void metrics_count_fastcgi_rejected(struct metrics *m);
/* Connections kept open for the web server (FCGI_KEEP_CONN): +1 or -1. */
void metrics_add_kept(struct metrics *m, int delta);
void metrics_set_workers(struct metrics *m, unsigned long n);
/* Sessions the purge deleted (purge.c). */
void metrics_count_purged(struct metrics *m, unsigned long n);

/*
 * The host's session purge schedule lives in the same shared memory, so
 * that one process of the host runs each purge: when the next is due
 * (CLOCK_MONOTONIC ms; 0 at start, so due at once); a claim that moves it
 * from seen to next and that only one process wins; and a new due time
 * set by the winner.  m must not be NULL.
 */
int64_t metrics_purge_due(const struct metrics *m);
bool metrics_purge_claim(struct metrics *m, int64_t seen, int64_t next);
void metrics_purge_reschedule(struct metrics *m, int64_t next);
int metrics_render(struct metrics *m, struct buf *out) CG_MUSTCHECK;

#endif
