/* What JavaScript's parseInt(s, 10) reads from a string. */
#include "cordgate/js.h"

#include <string.h>

#include "cordgate/compiler.h"

/* The length of the JavaScript white space or line terminator at s (what
 * parseInt skips), or 0. */
static size_t
js_space(const char *s, size_t n)
{
    static const char *const wide[] = {
        "\xc2\xa0",     "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9",
        "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80", "\xef\xbb\xbf",
    };
    const unsigned char *u = (const unsigned char *)s;
    size_t i;

    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
        return 1;
    /* U+2000..U+200A */
    if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x80 && u[2] <= 0x8a)
        return 3;
    for (i = 0; i < CG_ARRAY_LEN(wide); i++) {
        size_t len = strlen(wide[i]);

        if (n >= len && memcmp(s, wide[i], len) == 0)
            return len;
    }
    return 0;
}

struct str
js_int_digits(struct str s, bool *negative)
{
    size_t i = 0, n, start;

    while (i < s.len && (n = js_space(s.p + i, s.len - i)) > 0)
        i += n;
    *negative = false;
    if (i < s.len && (s.p[i] == '-' || s.p[i] == '+'))
        *negative = s.p[i++] == '-';
    for (start = i; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
        ;
    return (struct str){s.p + start, i - start};
}
