/* A worker's cache of apps and sessions. */
#include "cordgate/cache.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key; /* NULL when empty */
    char *id, *name, *secret;
    char *previous_secret; /* NULL when there is none */
    int64_t previous_until_ms;
    int64_t until_ms;
};

struct cache {
    unsigned mask;
    struct entry slots[];
};

struct cache *
cache_create(unsigned nslots)
{
    struct cache *c;

    if (nslots == 0 || (nslots & (nslots - 1)) != 0)
        return NULL;
    c = calloc(1, sizeof(*c) + nslots * sizeof(c->slots[0]));
    if (c != NULL)
        c->mask = nslots - 1;
    return c;
}

static void
secret_free(char *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, strlen(s));
}

static void
entry_clear(struct entry *e)
{
    free(e->key);
    free(e->id);
    free(e->name);
    secret_free(e->secret);
    secret_free(e->previous_secret);
    memset(e, 0, sizeof(*e));
}

void
cache_destroy(struct cache *c)
{
    unsigned i;

    if (c == NULL)
        return;
    for (i = 0; i <= c->mask; i++)
        entry_clear(&c->slots[i]);
    free(c);
}

static struct entry *
slot(struct cache *c, const char *key)
{
    uint32_t h = 2166136261u;

    for (; *key != '\0'; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return &c->slots[h & c->mask];
}

bool
cache_get(struct cache *c, const char *key, int64_t now_ms, struct app *out)
{
    struct entry *e = slot(c, key);

    if (e->key == NULL || strcmp(e->key, key) != 0)
        return false;
    if (now_ms >= e->until_ms) {
        entry_clear(e);
        return false;
    }
    out->id = e->id;
    out->name = e->name;
    out->secret = e->secret;
    out->created_at = NULL;
    out->previous_secret = e->previous_secret;
    out->previous_until_ms = e->previous_until_ms;
    return true;
}

void
cache_put(struct cache *c, const char *key, const struct app *app,
          int64_t now_ms, int64_t expires_ms)
{
    struct entry *e = slot(c, key);

    entry_clear(e);
    e->key = strdup(key);
    e->id = strdup(app->id);
    e->name = strdup(app->name);
    e->secret = strdup(app->secret);
    if (app->previous_secret != NULL) {
        e->previous_secret = strdup(app->previous_secret);
        e->previous_until_ms = app->previous_until_ms;
    }
    e->until_ms = now_ms + CACHE_TTL_MS;
    if (expires_ms > 0 && expires_ms < e->until_ms)
        e->until_ms = expires_ms;
    if (e->key == NULL || e->id == NULL || e->name == NULL ||
        e->secret == NULL ||
        (app->previous_secret != NULL && e->previous_secret == NULL))
        entry_clear(e);
}
