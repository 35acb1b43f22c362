/* Periodic maintenance: expired and revoked sessions deleted in batches. */
#include "cordgate/purge.h"

#include <openssl/rand.h>
#include <stdbool.h>
#include <unistd.h>

#include "cordgate/arena.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/store.h"

/* Without shared memory (never in a worker) the schedule is the process's
 * own. */
static int64_t own_due_ms;

static int64_t
due_ms(const struct context *ctx)
{
    return ctx->metrics != NULL ? metrics_purge_due(ctx->metrics) : own_due_ms;
}

int
purge_wait_ms(const struct context *ctx, int64_t now_ms)
{
    int64_t left;

    if (ctx->cfg->session_purge_interval_ms == 0)
        return -1;
    left = due_ms(ctx) - now_ms;
    if (left <= 0)
        return 0;
    return left > 86400000 ? 86400000 : (int)left;
}

int64_t
purge_next_due(int64_t now_ms, unsigned long interval_ms, uint32_t rnd)
{
    /* 0.8 + 0.4 * rnd / 2^32, in integers. */
    uint64_t span = (uint64_t)interval_ms * 2 / 5;

    return now_ms + (int64_t)(interval_ms - interval_ms / 5) +
           (int64_t)(span * rnd >> 32);
}

static uint32_t
random32(void)
{
    uint32_t r;

    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)clock_mono_ns();
    return r;
}

/* Move the host's due time from seen to next; false when another process
 * did first. */
static bool
claim(struct context *ctx, int64_t seen, int64_t next)
{
    if (ctx->metrics != NULL)
        return metrics_purge_claim(ctx->metrics, seen, next);
    own_due_ms = next;
    return true;
}

static void
reschedule(struct context *ctx, int64_t next)
{
    if (ctx->metrics != NULL)
        metrics_purge_reschedule(ctx->metrics, next);
    else
        own_due_ms = next;
}

void
purge_run_if_due(struct context *ctx, struct arena *a)
{
    unsigned long interval = ctx->cfg->session_purge_interval_ms;
    int64_t start = clock_mono_ms(), seen = due_ms(ctx);
    long total = 0, n;
    bool locked = true, more = false;
    enum cg_err e = CG_ERR_OK;

    if (interval == 0 || start < seen ||
        !claim(ctx, seen, purge_next_due(start, interval, random32())))
        return;
    do {
        e = store_sessions_purge(
            ctx->db, a, clock_mono_ms() + (int64_t)ctx->cfg->request_timeout_ms,
            PURGE_BATCH, &locked, &n, &more);
        if (e != CG_ERR_OK || !locked)
            break;
        total += n;
    } while (more && clock_mono_ms() - start < PURGE_BUDGET_MS);
    arena_reset(a);
    metrics_count_purged(ctx->metrics, (unsigned long)total);
    if (e == CG_ERR_INTERNAL)
        log_warn("session purge failed: %s", db_last_error(ctx->db));
    else if (e != CG_ERR_OK)
        log_debug("session purge: the database is unavailable");
    else if (!locked)
        log_debug("session purge: another host is purging");
    if (total > 0)
        log_debug("session purge: %ld sessions deleted in %lld ms%s", total,
                  (long long)(clock_mono_ms() - start),
                  more ? ", more left" : "");
    /* A backlog: again soon, by whichever process is free first. */
    if (e == CG_ERR_OK && locked && more)
        reschedule(ctx, clock_mono_ms() + PURGE_BUDGET_MS);
}
