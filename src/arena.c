/* Request-lifetime allocator with cleanup hooks. */
#include "cordgate/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct block {
    struct block *next;
    size_t size;
    size_t used;
    /* Keeps data[] aligned for any type. */
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct cleanup {
    struct cleanup *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct block *head; /* current block; the first block is last */
    struct block *first;
    struct cleanup *cleanups;
    size_t block_size;
    size_t max_bytes;
    size_t total; /* bytes of blocks allocated beyond the first */
    size_t handed_out;
};

static struct block *
block_new(size_t size)
{
    struct block *b = malloc(sizeof(*b) + size);

    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *
arena_create(size_t block_size, size_t max_bytes)
{
    struct arena *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->first = block_new(block_size);
    if (a->first == NULL) {
        free(a);
        return NULL;
    }
    a->head = a->first;
    a->block_size = block_size;
    a->max_bytes = max_bytes;
    return a;
}

static void
run_cleanups(struct arena *a)
{
    while (a->cleanups != NULL) {
        struct cleanup *c = a->cleanups;

        a->cleanups = c->next;
        c->fn(c->p);
    }
}

void
arena_reset(struct arena *a)
{
    struct block *b;

    run_cleanups(a);
    b = a->head;
    while (b != a->first) {
        struct block *next = b->next;

        free(b);
        b = next;
    }
    a->head = a->first;
    a->first->used = 0;
    a->total = 0;
    a->handed_out = 0;
}

void
arena_destroy(struct arena *a)
{
    if (a == NULL)
        return;
    arena_reset(a);
    free(a->first);
    free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
    struct block *b = a->head;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    void *p;

    if (need < n)
        return NULL;
    if (b->size - b->used < need) {
        size_t size = need > a->block_size ? need : a->block_size;

        if (size > a->max_bytes || a->total > a->max_bytes - size)
            return NULL;
        b = block_new(size);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        a->head = b;
        a->total += size;
    }
    p = b->data + b->used;
    b->used += need;
    a->handed_out += n;
    return p;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    p = arena_alloc(a, n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX)
        return NULL;
    p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    int n;
    char *p;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return NULL;
    p = arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

int
arena_cleanup_add(struct arena *a, void (*fn)(void *), void *p)
{
    struct cleanup *c = arena_alloc(a, sizeof(*c));

    if (c == NULL)
        return -1;
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

size_t
arena_used(const struct arena *a)
{
    return a->handed_out;
}
