/* The formats of Cord's fields: ids (isValidExternalID), email and uri. */
#ifndef CORDGATE_VALIDATE_H
#define CORDGATE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Path ids may be this long, in code points (cord-api.md §5.1). */
#define VALIDATE_PATH_ID_MAX 320

/*
 * The code points of Unicode general category C, as sorted, merged, disjoint
 * ranges generated at build time from Debian's UnicodeData.txt by
 * cmake/unicode_table.cmake.  unicode_data_version is that file's version,
 * e.g. "15.0.0".
 */
struct unicode_range {
    uint32_t first, last;
};
extern const struct unicode_range unicode_category_c_ranges[];
extern const size_t unicode_category_c_count;
extern const char unicode_data_version[];

/* Is cp in /\p{C}/u: Cc, Cf, Cs, Co or Cn (unassigned, or above U+10FFFF)? */
bool unicode_is_category_c(uint32_t cp);

/*
 * Cord's isValidExternalID: well-formed UTF-8 of 1 to max_code_points code
 * points, not starting with "cord:" (case-sensitive), and no code point of
 * category C.
 */
bool validate_external_id(const char *s, size_t len, size_t max_code_points);

/*
 * The number of code points in len bytes of well-formed UTF-8: the length
 * ajv's minLength and maxLength compare, which counts a surrogate pair as
 * one character.
 */
size_t validate_code_points(const char *s, size_t len);

/*
 * ajv-formats 2.1.1 "full" email, case-insensitive and ASCII only: the
 * domain needs a dot.  "" is invalid here; Cord's override accepts it, so
 * the caller decides.
 */
bool validate_email(const char *s, size_t len);

/*
 * ajv-formats 2.1.1 "full" uri: contains "/" or ":" and is an RFC 3986
 * absolute URI (scheme ":" hier-part ["?" query] ["#" fragment]), ASCII
 * only, with every "%" starting two hex digits.
 */
bool validate_uri(const char *s, size_t len);

#endif
