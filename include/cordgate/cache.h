/* A worker's cache of apps and sessions, so that a bearer-authenticated
 * request makes one round trip to PostgreSQL, not two. */
#ifndef CORDGATE_CACHE_H
#define CORDGATE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cordgate/store.h"

/*
 * How long an entry is trusted: an app deleted or whose secret was rotated,
 * a session revoked (by `cordgate` or by hand in the database), stops
 * working within this many milliseconds on every worker of every host.  An
 * entry carries an app's previous secret with the end of its grace, which
 * the caller checks against the clock.
 */
#define CACHE_TTL_MS 10000

struct cache;

/* A direct-mapped table of nslots entries (a power of two). */
struct cache *cache_create(unsigned nslots);
void cache_destroy(struct cache *c);

/*
 * The app stored under key, if any and not older than CACHE_TTL_MS and not
 * past its own expiry.  The strings stay valid until the next cache_put or
 * cache_destroy on c; copy them to keep them longer.
 */
bool cache_get(struct cache *c, const char *key, int64_t now_ms,
               struct app *out);
/*
 * Store app under key until now_ms + CACHE_TTL_MS, or expires_ms when that
 * comes first (0: no expiry of its own).  Silently does nothing on failure.
 */
void cache_put(struct cache *c, const char *key, const struct app *app,
               int64_t now_ms, int64_t expires_ms);

#endif
