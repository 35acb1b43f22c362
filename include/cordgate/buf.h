/* Growable byte buffers on an arena, capped at creation. */
#ifndef CORDGATE_BUF_H
#define CORDGATE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "cordgate/compiler.h"
#include "cordgate/str.h"

struct arena;

/*
 * A buffer never grows past max bytes: an append that would cross it fails
 * with -1 and leaves the buffer as it was (curl's dynbuf "toobig").  The
 * contents are always NUL-terminated, the terminator not counted in len.
 */
struct buf {
    struct arena *arena;
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, struct arena *a, size_t max);
int buf_append(struct buf *b, const void *p, size_t n) CG_MUSTCHECK;
int buf_append_str(struct buf *b, const char *s) CG_MUSTCHECK;
int buf_append_char(struct buf *b, char c) CG_MUSTCHECK;
/* Decimal digits of v, without printf. */
int buf_append_uint(struct buf *b, unsigned long long v) CG_MUSTCHECK;
int buf_append_int(struct buf *b, long long v) CG_MUSTCHECK;
int buf_printf(struct buf *b, const char *fmt, ...)
    CG_PRINTF(2, 3) CG_MUSTCHECK;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    CG_PRINTF(2, 0) CG_MUSTCHECK;
/* Append s as a JSON string literal, quotes included. */
int buf_append_json_string(struct buf *b, const char *s, size_t n) CG_MUSTCHECK;
/* ,"key":value with value a JSON string, or null when v is NULL. */
int buf_append_json_field(struct buf *b, const char *key,
                          const char *v) CG_MUSTCHECK;
void buf_clear(struct buf *b);

static inline struct str
buf_str(const struct buf *b)
{
    return (struct str){b->data ? b->data : "", b->len};
}

#endif
