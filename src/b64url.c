/* Unpadded base64url encoding and strict decoding. */
#include "cordgate/b64url.h"

#include <stdint.h>

static const char b64url_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Sextet value of each byte, or -1 for bytes outside the alphabet. */
static const int8_t b64url_value[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, -1, -1, -1, -1, -1, -1, -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
    11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1,
    63, -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

size_t
b64url_encoded_len(size_t n)
{
    static const size_t tail[3] = {0, 2, 3};

    return n / 3 * 4 + tail[n % 3];
}

size_t
b64url_decoded_max_len(size_t n)
{
    static const size_t tail[4] = {0, 0, 1, 2};

    return n / 4 * 3 + tail[n % 4];
}

size_t
b64url_encode(char *dst, const void *src, size_t n)
{
    const unsigned char *s = src;
    size_t i, o = 0;

    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

        dst[o++] = b64url_alphabet[v >> 18];
        dst[o++] = b64url_alphabet[(v >> 12) & 63];
        dst[o++] = b64url_alphabet[(v >> 6) & 63];
        dst[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        dst[o++] = b64url_alphabet[s[i] >> 2];
        dst[o++] = b64url_alphabet[(s[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 8 | s[i + 1];

        dst[o++] = b64url_alphabet[v >> 10];
        dst[o++] = b64url_alphabet[(v >> 4) & 63];
        dst[o++] = b64url_alphabet[(v << 2) & 63];
    }
    return o;
}

int
b64url_decode(void *dst, size_t cap, const char *src, size_t n, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)src;
    unsigned char *d = dst;
    size_t i, o = 0, rem = n % 4;
    uint32_t v = 0;
    int bad = 0;

    if (rem == 1 || b64url_decoded_max_len(n) > cap)
        return -1;
    for (i = 0; i + 4 <= n; i += 4) {
        int a = b64url_value[s[i]], b = b64url_value[s[i + 1]];
        int c = b64url_value[s[i + 2]], e = b64url_value[s[i + 3]];

        /* Any -1 sets the sign bit; test once per quantum. */
        bad |= a | b | c | e;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
            (uint32_t)e;
        d[o++] = (unsigned char)(v >> 16);
        d[o++] = (unsigned char)(v >> 8);
        d[o++] = (unsigned char)v;
    }
    if (rem == 2) {
        int a = b64url_value[s[i]], b = b64url_value[s[i + 1]];

        /* The low 4 bits of the last sextet are padding and must be 0. */
        bad |= a | b | ((b & 15) ? -1 : 0);
        d[o++] = (unsigned char)((uint32_t)a << 2 | (uint32_t)b >> 4);
    } else if (rem == 3) {
        int a = b64url_value[s[i]], b = b64url_value[s[i + 1]];
        int c = b64url_value[s[i + 2]];

        bad |= a | b | c | ((c & 3) ? -1 : 0);
        v = (uint32_t)a << 10 | (uint32_t)b << 4 | (uint32_t)c >> 2;
        d[o++] = (unsigned char)(v >> 8);
        d[o++] = (unsigned char)v;
    }
    if (bad < 0)
        return -1;
    *out_len = o;
    return 0;
}

bool
b64url_has_only_alphabet(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (b64url_value[(unsigned char)s[i]] < 0)
            return false;
    return true;
}
