/* What a worker holds for the requests it serves. */
#ifndef CORDGATE_CONTEXT_H
#define CORDGATE_CONTEXT_H

#include <stdint.h>

struct cache;
struct config;
struct db;
struct metrics;

struct context {
    const struct config *cfg;
    struct db *db;
    struct metrics *metrics;
    /* Wall clock in seconds, for token times; tests pin it. */
    int64_t (*now)(void);
    /* Apps by id and valid sessions by id (cache.h). */
    struct cache *apps;
    struct cache *sessions;
    /* The access-token signing secret, loaded on first use (malloc'd). */
    char *access_secret;
};

int64_t clock_wall_seconds(void);
int64_t clock_wall_millis(void);
int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);

#endif
