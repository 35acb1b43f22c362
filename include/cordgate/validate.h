/* Field validation as Cord does it: ids, email, uri, schema error text. */
#ifndef CORDGATE_VALIDATE_H
#define CORDGATE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/buf.h"

struct arena;
struct json_object;

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

/*
 * Collects the parts of a schema validation message (cord-api.md §5.7).
 * Each kind of part has its own buffer because the message lists the value
 * errors first, then the missing fields, then the unexpected ones, whatever
 * order they were found in.  An allocation failure is remembered in nomem
 * and makes schema_errors_message() return NULL.
 */
struct schema_errors {
    struct arena *arena;
    struct buf values, required, unexpected;
    int count;
    bool nomem;
};

void schema_errors_init(struct schema_errors *se, struct arena *a);

/* "Input <json> for <path> must be type <types>", types "string or number" */
void schema_error_type(struct schema_errors *se, struct json_object *value,
                       const char *path, const char *types);
/* "Input <json> for <path> must match format \"<fmt>\"" */
void schema_error_format(struct schema_errors *se, struct json_object *value,
                         const char *path, const char *fmt);
/* "Input <json> for <path> must NOT have fewer than <min> characters" */
void schema_error_min_length(struct schema_errors *se,
                             struct json_object *value, const char *path,
                             size_t min);
/* "Input <json> for <path> must NOT have more than <max> characters" */
void schema_error_max_length(struct schema_errors *se,
                             struct json_object *value, const char *path,
                             size_t max);
/* "Input <json> for <path> must be equal to one of the allowed values:
 * <allowed>", allowed as "active or deleted" */
void schema_error_enum(struct schema_errors *se, struct json_object *value,
                       const char *path, const char *allowed);
/* "Input has <n> items and must NOT have more than <max> items" */
void schema_error_max_items(struct schema_errors *se, size_t n, size_t max);
/* "Input <json(object)> requires field: a" or "requires fields: a, b and c" */
void schema_error_required(struct schema_errors *se, struct json_object *object,
                           const char *const *fields, size_t n);
/* "Input <json(object)> has unexpected field: x" or "fields: x, y and z";
 * keys in the object's input order */
void schema_error_unexpected(struct schema_errors *se,
                             struct json_object *object,
                             const char *const *keys, size_t n);

bool schema_errors_any(const struct schema_errors *se);

/*
 * "Invalid <type_name>:\n" then the parts joined by ",\n", then "." and,
 * when refer is not NULL, "\nRefer to <refer>".  NULL only when memory ran
 * out, now or while collecting.
 */
const char *schema_errors_message(struct schema_errors *se,
                                  const char *type_name, const char *refer);

/* "Invalid <type_name>:\nExpected JSON object." and the refer line, for a
 * body that is an array or a primitive.  NULL when memory runs out. */
const char *schema_not_object_message(struct arena *a, const char *type_name,
                                      const char *refer);

/* PostgreSQL text cannot hold U+0000: the format a string with one
 * fails. */
#define SCHEMA_NO_NUL "text without U+0000"

/* parent "/" key, with key escaped as a JSON pointer. */
const char *schema_path(struct arena *a, const char *parent, const char *key);

/* A metadata value: an object of strings (without U+0000), finite numbers
 * and booleans; *out gets it as compact JSON text. */
void schema_check_metadata(struct schema_errors *se, struct arena *a,
                           const char *path, struct json_object *v,
                           const char **out);

#endif
