/* Unit tests for the worker cache of apps and sessions. */
#include <criterion/criterion.h>
#include <string.h>

#include "cordgate/cache.h"

static const struct app app_a = {
    "11111111-1111-1111-1111-111111111111", "a", "secret-a", NULL, NULL, 0};
static const struct app app_b = {
    "22222222-2222-2222-2222-222222222222", "b", "secret-b", NULL, NULL, 0};
/* Rotated: its previous secret verifies until 5000 ms. */
static const struct app app_rotated = {"33333333-3333-3333-3333-333333333333",
                                       "c",
                                       "secret-new",
                                       NULL,
                                       "secret-old",
                                       5000};

Test(cache, only_powers_of_two)
{
    cr_assert_null(cache_create(0));
    cr_assert_null(cache_create(3));
    cache_destroy(cache_create(1));
    cache_destroy(NULL);
}

Test(cache, a_put_is_found_with_copies_of_its_strings)
{
    struct cache *c = cache_create(16);
    char key[] = "k1";
    struct app hit;

    cr_assert(!cache_get(c, key, 1000, &hit));
    cache_put(c, key, &app_a, 1000, 0);
    key[1] = '2';
    cr_assert(!cache_get(c, key, 1000, &hit), "another key is a miss");
    cr_assert(cache_get(c, "k1", 1000, &hit));
    cr_assert_str_eq(hit.id, app_a.id);
    cr_assert_str_eq(hit.name, "a");
    cr_assert_str_eq(hit.secret, "secret-a");
    cr_assert_neq(hit.secret, app_a.secret, "the cache keeps its own copy");
    cr_assert_null(hit.created_at);
    cr_assert_null(hit.previous_secret, "no previous secret: none comes back");
    cache_destroy(c);
}

Test(cache, an_entry_carries_both_secrets_and_the_grace_end)
{
    struct cache *c = cache_create(16);
    struct app hit;

    cache_put(c, "k", &app_rotated, 1000, 0);
    cr_assert(cache_get(c, "k", 1000, &hit));
    cr_assert_str_eq(hit.secret, "secret-new");
    cr_assert_str_eq(hit.previous_secret, "secret-old");
    cr_assert_neq(hit.previous_secret, app_rotated.previous_secret);
    cr_assert_eq(hit.previous_until_ms, 5000);
    /* The grace end is the caller's to check: the entry lives its TTL. */
    cr_assert(cache_get(c, "k", 1000 + CACHE_TTL_MS - 1, &hit));
    cr_assert(!cache_get(c, "k", 1000 + CACHE_TTL_MS, &hit));
    /* A put without a previous secret leaves none behind in the slot. */
    cache_put(c, "k", &app_rotated, 1000, 0);
    cache_put(c, "k", &app_a, 1000, 0);
    cr_assert(cache_get(c, "k", 1000, &hit));
    cr_assert_null(hit.previous_secret);
    cr_assert_eq(hit.previous_until_ms, 0);
    cache_destroy(c);
}

Test(cache, entries_end_after_the_ttl)
{
    struct cache *c = cache_create(16);
    struct app hit;

    cache_put(c, "k", &app_a, 1000, 0);
    cr_assert(cache_get(c, "k", 1000 + CACHE_TTL_MS - 1, &hit));
    cr_assert(!cache_get(c, "k", 1000 + CACHE_TTL_MS, &hit));
    cr_assert(!cache_get(c, "k", 1000, &hit), "an expired entry is gone");
    cache_destroy(c);
}

Test(cache, entries_end_at_their_own_expiry_when_sooner)
{
    struct cache *c = cache_create(16);
    struct app hit;

    cache_put(c, "k", &app_a, 1000, 1500);
    cr_assert(cache_get(c, "k", 1499, &hit));
    cr_assert(!cache_get(c, "k", 1500, &hit));
    /* A later expiry than the TTL does not extend it. */
    cache_put(c, "k", &app_a, 1000, 1000 + 10 * CACHE_TTL_MS);
    cr_assert(!cache_get(c, "k", 1000 + CACHE_TTL_MS, &hit));
    /* Already expired: never served. */
    cache_put(c, "k", &app_a, 1000, 999);
    cr_assert(!cache_get(c, "k", 1000, &hit));
    cache_destroy(c);
}

Test(cache, a_colliding_key_replaces_the_slot)
{
    struct cache *c = cache_create(1); /* every key shares the one slot */
    struct app hit;

    cache_put(c, "k1", &app_a, 1000, 0);
    cache_put(c, "k2", &app_b, 1000, 0);
    cr_assert(!cache_get(c, "k1", 1000, &hit));
    cr_assert(cache_get(c, "k2", 1000, &hit));
    cr_assert_str_eq(hit.secret, "secret-b");
    /* Putting the same key again replaces its value. */
    cache_put(c, "k2", &app_a, 1000, 0);
    cr_assert(cache_get(c, "k2", 1000, &hit));
    cr_assert_str_eq(hit.secret, "secret-a");
    cache_destroy(c);
}
