/* Request-lifetime allocator with cleanup hooks. */
#ifndef CORDGATE_ARENA_H
#define CORDGATE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "cordgate/compiler.h"

struct arena;

/*
 * An arena hands out memory from blocks of block_size bytes (larger requests
 * get a block of their own) and refuses to grow past max_bytes in total, so a
 * hostile request cannot make a worker balloon.  arena_reset() runs the
 * cleanup hooks, newest first, and frees every block but the first.
 */
struct arena *arena_create(size_t block_size, size_t max_bytes);
void arena_destroy(struct arena *a);
void arena_reset(struct arena *a);

/* NULL when the cap is reached or malloc fails; memory is 16-byte aligned. */
void *arena_alloc(struct arena *a, size_t n) CG_MALLOC;
void *arena_calloc(struct arena *a, size_t n, size_t size) CG_MALLOC;
char *arena_strndup(struct arena *a, const char *s, size_t n) CG_MALLOC;
char *arena_strdup(struct arena *a, const char *s) CG_MALLOC;
char *arena_printf(struct arena *a, const char *fmt, ...) CG_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    CG_PRINTF(2, 0);

/*
 * Run fn(p) at the next reset.  Returns 0, or -1 (and runs nothing) when the
 * hook itself cannot be allocated; the caller must then release p itself.
 */
int arena_cleanup_add(struct arena *a, void (*fn)(void *),
                      void *p) CG_MUSTCHECK;

/* Bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
