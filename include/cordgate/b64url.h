/* Unpadded base64url (RFC 4648 section 5), canonical form only. */
#ifndef CORDGATE_B64URL_H
#define CORDGATE_B64URL_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/compiler.h"

/* Characters needed to encode n bytes (no padding, no terminator). */
size_t b64url_encoded_len(size_t n);

/*
 * Bytes that n characters decode to at most; exact for any n that
 * b64url_decode() accepts (n % 4 == 1 never is).
 */
size_t b64url_decoded_max_len(size_t n);

/*
 * Encode n bytes of src into dst, which must hold b64url_encoded_len(n)
 * characters.  No NUL is written.  Returns the number of characters written.
 */
size_t b64url_encode(char *dst, const void *src, size_t n);

/*
 * Decode n characters of src into dst (room for cap bytes), storing the
 * decoded length in *out_len.  Only [A-Za-z0-9_-] is accepted: no padding,
 * no whitespace, no '+' or '/'; a length of 1 mod 4 and non-zero unused
 * trailing bits are refused, so every byte string has exactly one accepted
 * encoding.  Returns 0, or -1 (dst contents unspecified) when src is not
 * canonical base64url or does not fit.
 */
int b64url_decode(void *dst, size_t cap, const char *src, size_t n,
                  size_t *out_len) CG_MUSTCHECK;

/* Is each of the n characters one of [A-Za-z0-9_-]? */
bool b64url_has_only_alphabet(const char *s, size_t n);

#endif
