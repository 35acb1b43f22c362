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
    /* The access-token signing secret, and the previous one while its grace
     * lasts (NULL: none) until access_previous_until_ms (wall clock), all
     * malloc'd, loaded on first use and again after the cache bound from
     * access_loaded_ms (CLOCK_MONOTONIC) on (auth.c). */
    char *access_secret;
    char *access_previous;
    int64_t access_previous_until_ms;
    int64_t access_loaded_ms;
};

int64_t clock_wall_seconds(void);
int64_t clock_wall_millis(void);
int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);

#endif
