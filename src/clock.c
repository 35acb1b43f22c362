/* Clocks: wall time for tokens, monotonic time for deadlines. */
#include <time.h>

#include "cordgate/context.h"

int64_t
clock_wall_millis(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_wall_seconds(void)
{
    return clock_wall_millis() / 1000;
}

int64_t
clock_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}
