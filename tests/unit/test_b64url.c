/* Unit tests for unpadded base64url. */
#include <criterion/criterion.h>
#include <string.h>

#include "cordgate/b64url.h"

struct vector {
    const char *bytes;
    size_t len;
    const char *text;
};

/* RFC 4648 section 10, unpadded, plus bytes that use '-' and '_'. */
static const struct vector vectors[] = {
    {"", 0, ""},
    {"f", 1, "Zg"},
    {"fo", 2, "Zm8"},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy"},
    {"\xfb\xff", 2, "-_8"},
    {"\xff\xfe", 2, "__4"},
    {"\xfb\xef\xbe", 3, "----"},
    {"\x00", 1, "AA"},
    {"\xff", 1, "_w"},
};

Test(b64url, encodes_rfc4648_vectors)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(vectors); i++) {
        char out[16];
        size_t n = b64url_encode(out, vectors[i].bytes, vectors[i].len);

        cr_assert_eq(n, strlen(vectors[i].text), "vector %zu", i);
        cr_assert_eq(n, b64url_encoded_len(vectors[i].len));
        cr_assert(memcmp(out, vectors[i].text, n) == 0, "vector %zu", i);
    }
}

Test(b64url, decodes_rfc4648_vectors)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(vectors); i++) {
        unsigned char out[16];
        size_t n = 99, tlen = strlen(vectors[i].text);

        cr_assert_eq(b64url_decode(out, sizeof(out), vectors[i].text, tlen, &n),
                     0, "vector %zu", i);
        cr_assert_eq(n, vectors[i].len, "vector %zu", i);
        cr_assert_eq(n, b64url_decoded_max_len(tlen));
        cr_assert(memcmp(out, vectors[i].bytes, n) == 0, "vector %zu", i);
    }
}

Test(b64url, every_byte_value_round_trips_at_every_length)
{
    unsigned char bytes[256], back[256];
    char text[344];

    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(255 - i);
    for (size_t len = 0; len <= sizeof(bytes); len++) {
        size_t n = b64url_encode(text, bytes, len), m = 0;

        cr_assert_eq(n, b64url_encoded_len(len));
        for (size_t j = 0; j < n; j++)
            cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                             "vwxyz0123456789-_",
                             text[j]) != NULL);
        cr_assert_eq(b64url_decode(back, sizeof(back), text, n, &m), 0);
        cr_assert_eq(m, len);
        cr_assert(memcmp(back, bytes, len) == 0, "length %zu", len);
    }
}

Test(b64url, length_helpers)
{
    cr_assert_eq(b64url_encoded_len(0), 0);
    cr_assert_eq(b64url_encoded_len(32), 43);
    cr_assert_eq(b64url_encoded_len(64), 86);
    cr_assert_eq(b64url_decoded_max_len(43), 32);
    cr_assert_eq(b64url_decoded_max_len(86), 64);
    cr_assert_eq(b64url_decoded_max_len(5), 3);
}

struct bad {
    const char *text;
    size_t len;
    const char *why;
};

#define BAD(s, why) s, sizeof(s) - 1, why

static const struct bad bad_inputs[] = {
    {BAD("Z", "length 1 mod 4")},
    {BAD("Zm9vY", "length 1 mod 4")},
    {BAD("Zg==", "padding")},
    {BAD("Zg=", "padding")},
    {BAD("Zm8=", "padding")},
    {BAD("=", "padding alone")},
    {BAD("Zh", "non-zero unused bits, 1 byte")},
    {BAD("Zm-", "non-zero unused bits, 2 bytes")},
    {BAD("+/8", "standard alphabet")},
    {BAD("Zm9v+mFy", "plus")},
    {BAD("Zm9v/mFy", "slash")},
    {BAD("Zm9v YmFy", "space")},
    {BAD("Zm9v\nYmFy", "newline")},
    {BAD("Zm9vYmFy\n", "trailing newline")},
    {BAD("Zm\0v", "NUL")},
    {BAD("Zm9\xc3\xa9", "non-ASCII")},
    {BAD("Zm9.", "dot")},
};

Test(b64url, rejects_bad_input)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(bad_inputs); i++) {
        unsigned char out[16];
        size_t n = 0;

        cr_assert_eq(b64url_decode(out, sizeof(out), bad_inputs[i].text,
                                   bad_inputs[i].len, &n),
                     -1, "row %zu: %s", i, bad_inputs[i].why);
    }
}

Test(b64url, refuses_output_that_does_not_fit)
{
    unsigned char out[5];
    size_t n = 0;

    cr_assert_eq(b64url_decode(out, 5, "Zm9vYmFy", 8, &n), -1);
    cr_assert_eq(b64url_decode(out, 5, "Zm9vYmE", 7, &n), 0);
    cr_assert_eq(n, 5);
}

Test(b64url, reads_only_the_given_length)
{
    unsigned char out[8];
    size_t n = 0;

    /* The bytes after len are not base64url and must not be looked at. */
    cr_assert_eq(b64url_decode(out, sizeof(out), "Zm9v==!!", 4, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert(memcmp(out, "foo", 3) == 0);
}
