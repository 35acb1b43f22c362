/* Unit tests for the session purge's schedule (the SQL is tested against
 * PostgreSQL in tests/integration/test_purge.c). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/metrics.h"
#include "cordgate/purge.h"

static struct config cfg;
static struct context ctx;

static void
setup(void)
{
    cfg.session_purge_interval_ms = 10000;
    ctx.cfg = &cfg;
    ctx.metrics = metrics_create(1);
    cr_assert_not_null(ctx.metrics);
}

static void
teardown(void)
{
    metrics_destroy(ctx.metrics);
}

TestSuite(purge, .init = setup, .fini = teardown);

Test(purge, next_is_the_interval_give_or_take_a_fifth)
{
    static const uint32_t rnds[] = {0,          1,          0x7fffffff,
                                    0x80000000, 0xfffffffe, 0xffffffff};

    for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
        int64_t next = purge_next_due(5000, 10000, rnds[i]);

        cr_assert_geq(next, 5000 + 8000, "%u: %lld", rnds[i], (long long)next);
        cr_assert_lt(next, 5000 + 12000, "%u: %lld", rnds[i], (long long)next);
    }
    cr_assert_eq(purge_next_due(0, 10000, 0), 8000);
    cr_assert_eq(purge_next_due(0, 10000, 0x80000000), 10000);
    cr_assert_eq(purge_next_due(0, 10000, 0xffffffff), 11999);
    /* A tiny interval still moves forward, a day does not overflow. */
    cr_assert_geq(purge_next_due(7, 1, 0xffffffff), 7);
    cr_assert_lt(purge_next_due(INT64_C(1) << 40, 86400000, 0xffffffff),
                 (INT64_C(1) << 40) + 86400000 + 86400000 / 5);
}

Test(purge, an_idle_worker_wakes_when_it_is_due)
{
    cr_assert_eq(purge_wait_ms(&ctx, 1000), 0, "due at start");
    metrics_purge_reschedule(ctx.metrics, 4000);
    cr_assert_eq(purge_wait_ms(&ctx, 1000), 3000);
    cr_assert_eq(purge_wait_ms(&ctx, 4000), 0);
    cr_assert_eq(purge_wait_ms(&ctx, 9000), 0, "overdue: at once");
}

Test(purge, an_interval_of_0_turns_it_off)
{
    cfg.session_purge_interval_ms = 0;
    cr_assert_eq(purge_wait_ms(&ctx, 1000), -1, "epoll_wait waits for ever");
    /* Not due, so it touches no database (ctx.db is NULL). */
    purge_run_if_due(&ctx, NULL);
    cr_assert_eq(metrics_purge_due(ctx.metrics), 0, "nothing was claimed");
}

Test(purge, a_run_that_is_not_due_does_nothing)
{
    metrics_purge_reschedule(ctx.metrics, INT64_MAX);
    purge_run_if_due(&ctx, NULL);
    cr_assert_eq(metrics_purge_due(ctx.metrics), INT64_MAX);
}
