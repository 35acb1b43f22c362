/* The periodic purge of expired and revoked sessions, run by the workers
 * between requests. */
#ifndef CORDGATE_PURGE_H
#define CORDGATE_PURGE_H

#include <stdint.h>

struct arena;
struct context;

/* Sessions deleted per statement, of each kind (expired, revoked). */
#define PURGE_BATCH 500
/* A run starts no batch after this many milliseconds, and when it leaves
 * sessions behind, the next comes this long after it: a backlog takes at
 * most half of one worker of the host. */
#define PURGE_BUDGET_MS 100

/*
 * How long an idle worker may wait for its next event before a purge is
 * due (an epoll_wait() timeout): -1 when the purge is off
 * (CORDGATE_SESSION_PURGE_INTERVAL=0), else 0 or more.
 */
int purge_wait_ms(const struct context *ctx, int64_t now_ms);

/*
 * Between two requests: when the host's purge is due and this process
 * wins the claim on it, delete expired and revoked sessions in batches of
 * PURGE_BATCH, for up to PURGE_BUDGET_MS and each statement within the
 * request timeout, then set the next due time: the interval give or take a
 * fifth (so that hosts drift apart), or PURGE_BUDGET_MS when sessions
 * were left.  Other hosts purging at that moment (an advisory lock the
 * database holds for one statement) make it stop at once.  Counts what
 * went in cordgate_sessions_purged_total.  Uses a, and leaves it reset.
 */
void purge_run_if_due(struct context *ctx, struct arena *a);

/* The next due time after a purge at now_ms: interval_ms scaled by a
 * factor from 0.8 to 1.2 that rnd (any value) picks. */
int64_t purge_next_due(int64_t now_ms, unsigned long interval_ms, uint32_t rnd);

#endif
