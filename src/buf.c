/* Growable byte buffers on an arena, capped at creation. */
#include "cordgate/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"

void
buf_init(struct buf *b, struct arena *a, size_t max)
{
    b->arena = a;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
buf_clear(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Make room for n more bytes plus the terminator. */
static int
buf_reserve(struct buf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return -1;
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap = cap > (SIZE_MAX >> 1) ? want : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    /* Arena memory is not freed piecemeal; growth by doubling keeps the
     * waste under half of what is finally used. */
    p = arena_alloc(b->arena, cap);
    if (p == NULL)
        return -1;
    if (b->len > 0)
        memcpy(p, b->data, b->len);
    p[b->len] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_append_char(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int
buf_append_uint(struct buf *b, unsigned long long v)
{
    char digits[24];
    size_t i = sizeof(digits);

    do {
        digits[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return buf_append(b, digits + i, sizeof(digits) - i);
}

int
buf_append_int(struct buf *b, long long v)
{
    if (v < 0 && buf_append_char(b, '-') != 0)
        return -1;
    return buf_append_uint(b, v < 0 ? 0ULL - (unsigned long long)v
                                    : (unsigned long long)v);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * JSON string escaping as JavaScript's JSON.stringify does it: quote,
 * backslash and control characters escaped, everything else (UTF-8 included)
 * copied as is.  The input is trusted to be valid UTF-8.
 */
int
buf_append_json_string(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0, start = b->len;

    if (buf_append_char(b, '"') != 0)
        return -1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_append(b, s + run, i - run) != 0)
            goto out_undo;
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        if (buf_append(b, esc, elen) != 0)
            goto out_undo;
    }
    if (buf_append(b, s + run, n - run) == 0 && buf_append_char(b, '"') == 0)
        return 0;
out_undo:
    /* All or nothing, as every other append. */
    b->len = start;
    b->data[start] = '\0';
    return -1;
}

int
buf_append_json_field(struct buf *b, const char *key, const char *v)
{
    size_t start = b->len;

    if (buf_append(b, ",\"", 2) == 0 && buf_append_str(b, key) == 0 &&
        buf_append(b, "\":", 2) == 0 &&
        (v ? buf_append_json_string(b, v, strlen(v))
           : buf_append_str(b, "null")) == 0)
        return 0;
    b->len = start;
    if (b->data != NULL)
        b->data[start] = '\0';
    return -1;
}
