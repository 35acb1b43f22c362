/* Byte strings that carry their length: (pointer, length) pairs. */
#ifndef CORDGATE_STR_H
#define CORDGATE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
    const char *p;
    size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
#define STR_NULL   ((struct str){NULL, 0})

static inline struct str
str_from_cstr(const char *s)
{
    return (struct str){s, s ? strlen(s) : 0};
}

static inline bool
str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
str_eq_cstr(struct str a, const char *b)
{
    return str_eq(a, str_from_cstr(b));
}

#endif
