/* ASCII character classes, independent of the C locale. */
#ifndef CORDGATE_ASCII_H
#define CORDGATE_ASCII_H

#include <stdbool.h>

static inline bool
ascii_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool
ascii_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
ascii_is_alnum(unsigned char c)
{
    return ascii_is_digit(c) || ascii_is_alpha(c);
}

/* The value of a hex digit, or -1. */
static inline int
ascii_hex_value(unsigned char c)
{
    if (ascii_is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline bool
ascii_is_hex(unsigned char c)
{
    return ascii_hex_value(c) >= 0;
}

#endif
