/* Unit tests for the request arena: alignment, growth, the cap, hooks. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/compiler.h"

/* What the cleanup hooks saw, in the order they ran. */
static int hook_log[16];
static size_t hook_count;

static void
record_hook(void *p)
{
    cr_assert_lt(hook_count, CG_ARRAY_LEN(hook_log));
    hook_log[hook_count++] = *(int *)p;
}

static void
reset_hooks(void)
{
    memset(hook_log, 0, sizeof(hook_log));
    hook_count = 0;
}

TestSuite(arena, .init = reset_hooks);

static bool
is_aligned(const void *p)
{
    return (uintptr_t)p % 16 == 0;
}

Test(arena, every_allocation_is_16_byte_aligned)
{
    static const size_t sizes[] = {1,  2,  3,  7,  8,   9,   15,  16, 17, 31,
                                   33, 63, 64, 65, 100, 127, 200, 1,  1,  5};
    struct arena *a = arena_create(128, 1 << 20);

    cr_assert_not_null(a);
    /* Several rounds so the sizes land at every offset of several blocks,
     * including ones made for a single large request. */
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < CG_ARRAY_LEN(sizes); i++) {
            void *p = arena_alloc(a, sizes[i]);

            cr_assert_not_null(p, "round %d size %zu", round, sizes[i]);
            cr_assert(is_aligned(p), "round %d size %zu at %p", round, sizes[i],
                      p);
        }
    }
    cr_assert(is_aligned(arena_strdup(a, "x")));
    cr_assert(is_aligned(arena_printf(a, "%d", 7)));
    cr_assert(is_aligned(arena_calloc(a, 3, 5)));
    arena_destroy(a);
}

Test(arena, allocations_across_blocks_do_not_overlap)
{
    struct arena *a = arena_create(64, 1 << 20);
    unsigned char *p[200];

    cr_assert_not_null(a);
    /* 40 bytes round up to 48: one per 64-byte block, so every allocation
     * after the first needs a new block. */
    for (size_t i = 0; i < CG_ARRAY_LEN(p); i++) {
        p[i] = arena_alloc(a, 40);
        cr_assert_not_null(p[i], "allocation %zu", i);
        memset(p[i], (int)(i & 0xff), 40);
    }
    for (size_t i = 0; i < CG_ARRAY_LEN(p); i++)
        for (size_t j = 0; j < 40; j++)
            cr_assert_eq(p[i][j], (unsigned char)(i & 0xff),
                         "allocation %zu byte %zu", i, j);
    cr_assert_eq(arena_used(a), 200 * 40);
    arena_destroy(a);
}

Test(arena, small_allocations_share_a_block)
{
    struct arena *a = arena_create(256, 1 << 20);
    char *first = arena_alloc(a, 16), *second = arena_alloc(a, 16);

    cr_assert_not_null(first);
    cr_assert_eq(second, first + 16);
    /* A 1-byte request still takes a 16-byte slot. */
    cr_assert_eq(arena_alloc(a, 1), (void *)(second + 16));
    cr_assert_eq(arena_alloc(a, 1), (void *)(second + 32));
    arena_destroy(a);
}

Test(arena, allocation_larger_than_a_block_gets_its_own)
{
    struct arena *a = arena_create(64, 1 << 20);
    unsigned char *small = arena_alloc(a, 8), *big, *after;

    cr_assert_not_null(small);
    memset(small, 0xaa, 8);
    big = arena_alloc(a, 100000);
    cr_assert_not_null(big);
    cr_assert(is_aligned(big));
    memset(big, 0x55, 100000);
    after = arena_alloc(a, 8);
    cr_assert_not_null(after);
    memset(after, 0x11, 8);
    for (size_t i = 0; i < 8; i++)
        cr_assert_eq(small[i], 0xaa);
    for (size_t i = 0; i < 100000; i++)
        cr_assert_eq(big[i], 0x55, "byte %zu", i);
    cr_assert_eq(arena_used(a), 8 + 100000 + 8);
    arena_destroy(a);
}

/* max_bytes bounds what the arena adds beyond its first block. */
Test(arena, stops_at_the_cap_and_reset_makes_room_again)
{
    struct arena *a = arena_create(64, 256);
    size_t got = 0;

    cr_assert_not_null(a);
    for (int round = 0; round < 3; round++) {
        got = 0;
        while (arena_alloc(a, 64) != NULL)
            got++;
        /* The first block, then four more of 64 bytes: 256 in all. */
        cr_assert_eq(got, 5, "round %d", round);
        cr_assert_eq(arena_used(a), 5 * 64);
        /* Full: every kind of allocation fails cleanly. */
        cr_assert_null(arena_alloc(a, 1));
        cr_assert_null(arena_calloc(a, 1, 1));
        cr_assert_null(arena_strdup(a, "x"));
        cr_assert_null(arena_strndup(a, "xyz", 2));
        cr_assert_null(arena_printf(a, "%s", "x"));
        cr_assert_eq(arena_used(a), 5 * 64, "failures hand out nothing");
        arena_reset(a);
        cr_assert_eq(arena_used(a), 0);
    }
    arena_destroy(a);
}

Test(arena, allocation_over_the_cap_fails_and_leaves_the_arena_usable)
{
    struct arena *a = arena_create(64, 256);
    char *s;

    cr_assert_null(arena_alloc(a, 257));
    cr_assert_null(arena_alloc(a, 1 << 20));
    cr_assert_eq(arena_used(a), 0);
    s = arena_strdup(a, "still works");
    cr_assert_str_eq(s, "still works");
    /* Exactly the cap in one piece is allowed, and then nothing more. */
    cr_assert_not_null(arena_alloc(a, 256));
    cr_assert_null(arena_alloc(a, 16));
    cr_assert_str_eq(s, "still works");
    arena_destroy(a);
}

Test(arena, sizes_that_overflow_fail)
{
    struct arena *a = arena_create(64, 1 << 20);

    cr_assert_null(arena_alloc(a, SIZE_MAX));
    cr_assert_null(arena_alloc(a, SIZE_MAX - 14));
    cr_assert_null(arena_alloc(a, SIZE_MAX / 2));
    cr_assert_null(arena_calloc(a, SIZE_MAX / 2, 4));
    cr_assert_null(arena_calloc(a, 4, SIZE_MAX / 2));
    cr_assert_null(arena_strndup(a, "x", SIZE_MAX));
    cr_assert_eq(arena_used(a), 0);
    cr_assert_not_null(arena_alloc(a, 16));
    arena_destroy(a);
}

Test(arena, calloc_zeroes_reused_memory)
{
    struct arena *a = arena_create(256, 1 << 20);
    unsigned char *p = arena_alloc(a, 64), *q;

    memset(p, 0xff, 64);
    arena_reset(a);
    q = arena_calloc(a, 8, 8);
    cr_assert_eq(q, p, "reset reuses the first block");
    for (size_t i = 0; i < 64; i++)
        cr_assert_eq(q[i], 0, "byte %zu", i);
    cr_assert_eq(arena_used(a), 64);
    arena_destroy(a);
}

Test(arena, cleanup_hooks_run_newest_first_once_at_reset)
{
    struct arena *a = arena_create(256, 1 << 20);
    static int ids[] = {1, 2, 3};

    for (size_t i = 0; i < CG_ARRAY_LEN(ids); i++)
        cr_assert_eq(arena_cleanup_add(a, record_hook, &ids[i]), 0);
    cr_assert_eq(hook_count, 0, "nothing runs before the reset");
    arena_reset(a);
    cr_assert_eq(hook_count, 3);
    cr_assert_eq(hook_log[0], 3);
    cr_assert_eq(hook_log[1], 2);
    cr_assert_eq(hook_log[2], 1);
    arena_reset(a);
    cr_assert_eq(hook_count, 3, "a second reset runs nothing again");
    arena_destroy(a);
    cr_assert_eq(hook_count, 3, "nor does destroy");
}

Test(arena, cleanup_hooks_run_once_at_destroy)
{
    struct arena *a = arena_create(64, 1 << 20);
    static int ids[] = {10, 20, 30, 40};

    cr_assert_eq(arena_cleanup_add(a, record_hook, &ids[0]), 0);
    arena_reset(a);
    cr_assert_eq(hook_count, 1);
    /* Hooks added after a reset, spread over several blocks. */
    for (size_t i = 1; i < CG_ARRAY_LEN(ids); i++) {
        cr_assert_not_null(arena_alloc(a, 100));
        cr_assert_eq(arena_cleanup_add(a, record_hook, &ids[i]), 0);
    }
    arena_destroy(a);
    cr_assert_eq(hook_count, 4);
    cr_assert_eq(hook_log[0], 10);
    cr_assert_eq(hook_log[1], 40);
    cr_assert_eq(hook_log[2], 30);
    cr_assert_eq(hook_log[3], 20);
}

Test(arena, cleanup_add_fails_at_the_cap_and_the_hook_never_runs)
{
    struct arena *a = arena_create(64, 64);
    static int kept = 1, refused = 2;

    cr_assert_eq(arena_cleanup_add(a, record_hook, &kept), 0);
    while (arena_alloc(a, 16) != NULL)
        ;
    cr_assert_eq(arena_cleanup_add(a, record_hook, &refused), -1);
    arena_reset(a);
    cr_assert_eq(hook_count, 1);
    cr_assert_eq(hook_log[0], 1);
    arena_destroy(a);
    cr_assert_eq(hook_count, 1);
}

Test(arena, strndup_copies_exactly_n_bytes)
{
    struct arena *a = arena_create(64, 1 << 20);
    char *s;

    s = arena_strndup(a, "abcdef", 3);
    cr_assert_str_eq(s, "abc");
    s = arena_strndup(a, "abcdef", 0);
    cr_assert_str_eq(s, "");
    /* Lengths travel with bytes: an embedded NUL is copied, not a stop. */
    s = arena_strndup(a, "a\0b", 3);
    cr_assert_not_null(s);
    cr_assert(memcmp(s, "a\0b\0", 4) == 0);
    s = arena_strdup(a, "");
    cr_assert_str_eq(s, "");
    arena_destroy(a);
}

Test(arena, printf_formats_into_the_arena)
{
    struct arena *a = arena_create(64, 1 << 20);
    char want[1001];
    char *s;

    s = arena_printf(a, "%s-%d-%05.1f", "abc", 42, 3.5);
    cr_assert_str_eq(s, "abc-42-003.5");
    s = arena_printf(a, "%s", "");
    cr_assert_str_eq(s, "");
    /* Longer than a block. */
    memset(want, 'x', 1000);
    want[1000] = '\0';
    s = arena_printf(a, "%.*s", 1000, want);
    cr_assert_str_eq(s, want);
    arena_destroy(a);
}

Test(arena, used_counts_requested_bytes_since_the_last_reset)
{
    struct arena *a = arena_create(64, 1 << 20);

    cr_assert_eq(arena_used(a), 0);
    cr_assert_not_null(arena_alloc(a, 1));
    cr_assert_not_null(arena_alloc(a, 17));
    cr_assert_eq(arena_used(a), 18);
    cr_assert_str_eq(arena_printf(a, "%s", "abc"), "abc");
    cr_assert_eq(arena_used(a), 22, "the terminator counts");
    cr_assert_str_eq(arena_strndup(a, "hello", 5), "hello");
    cr_assert_eq(arena_used(a), 28);
    cr_assert_not_null(arena_calloc(a, 10, 10));
    cr_assert_eq(arena_used(a), 128);
    arena_reset(a);
    cr_assert_eq(arena_used(a), 0);
    arena_destroy(a);
}

Test(arena, destroy_of_null_is_a_no_op)
{
    arena_destroy(NULL);
}
