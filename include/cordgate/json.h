/* Strict JSON parsing of untrusted text, typed getters, JS-style output. */
#ifndef CORDGATE_JSON_H
#define CORDGATE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/compiler.h"
#include "cordgate/str.h"

struct arena;
struct buf;
struct json_object;

/* Arrays and objects may nest this deep; one level more is refused. */
#define JSON_MAX_DEPTH 64
/*
 * What the values of one text may cost in memory: JSON_COST_PER_BYTE times
 * its length, at least JSON_MIN_COST, at most JSON_MAX_COST.  json-c takes
 * 64 bytes or more for any value however short its text, so dense JSON
 * costs many times its length: a batch of 10 000 users with metadata 13.4
 * times, a user with 50 000 numeric metadata keys 12.4.  16 lets them
 * through and holds 1 MiB of "[{},{},...]" (270 MB once) to 16 MiB.  The
 * floor, what a body of 1 MiB may cost, lets through the densest full
 * batches, whose text is short: 10 000 users of a short id and a metadata
 * of one key cost 6.6 MB in 369 KB (17.9 times).
 */
#define JSON_COST_PER_BYTE 16
#define JSON_MIN_COST      ((size_t)16 << 20)
#define JSON_MAX_COST      ((size_t)64 << 20)

enum json_parse_status {
    JSON_PARSE_OK = 0,
    JSON_PARSE_INVALID,  /* not RFC 8259 JSON, trailing bytes, raw NUL */
    JSON_PARSE_BAD_UTF8, /* bytes that are not well-formed UTF-8 */
    JSON_PARSE_TOO_DEEP, /* nesting beyond JSON_MAX_DEPTH */
    JSON_PARSE_TOO_BIG,  /* values costing more than json_cost_budget() */
    JSON_PARSE_NOMEM,
};

/*
 * Parse exactly one JSON value from len bytes of text (no NUL needed), as
 * JavaScript's JSON.parse would accept it: no NaN/Infinity, no leading
 * zeros, no comments, nothing but whitespace after the value.  Strings must
 * be well-formed UTF-8 (no overlong forms, no encoded surrogates); a lone
 * surrogate escape such as "\ud800" becomes U+FFFD, as Node does when it
 * writes the string out as UTF-8.  A "\u0000" escape is allowed in string
 * values but not in object keys, which json-c would truncate at the NUL.
 * Integers outside int64 become doubles, as in JavaScript.  Values whose
 * memory would be over json_cost_budget(len) are refused before any is
 * made (JSON_PARSE_TOO_BIG).
 *
 * On JSON_PARSE_OK *out is the value (NULL for the JSON literal null) and
 * belongs to the arena: it is put when the arena is reset.  On failure *out
 * is NULL and json_parse_error() says why.
 */
enum json_parse_status json_parse(struct arena *a, const char *text, size_t len,
                                  struct json_object **out) CG_MUSTCHECK;

/* The memory json_parse() lets a text of len bytes cost. */
size_t json_cost_budget(size_t len);
/* What json_parse() counts the values of a valid text to cost in bytes (it
 * refuses a text whose cost is over its budget); SIZE_MAX when the text is
 * not valid.  An upper bound of what json-c allocates for them. */
size_t json_cost(const char *text, size_t len);
/* The same count for values built by hand: an object of n members (as
 * json_object_new_object() makes it), and a member whose key and string
 * value have these lengths. */
size_t json_cost_object(size_t members);
size_t json_cost_member(size_t key_len, size_t value_len);

/* Why the last json_parse() in this thread failed, e.g. for logs. */
const char *json_parse_error(void);

/*
 * Are the n bytes well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF)?  What json_parse() requires of
 * strings, for text that reaches JSON by another road.
 */
bool json_utf8_is_valid(const char *s, size_t n);

/*
 * Lookups on an object.  Each is false when obj is not an object, the key is
 * absent, or the value has another type; nothing is ever coerced.  JSON
 * null is present-but-NULL: json_get() is true and sets *out to NULL.
 * json_get() takes a NULL out for a mere presence test.
 */
bool json_get(const struct json_object *obj, const char *key,
              struct json_object **out);
bool json_get_string(const struct json_object *obj, const char *key,
                     struct str *out);

/* The bytes of a string value; false for any other type. */
bool json_string(struct json_object *o, struct str *out);

/* Int and double values are both numbers, as in JavaScript. */
bool json_is_number(const struct json_object *o);
/* A number JSON.stringify can write back (1e400 parses to Infinity, which
 * it would write as null). */
bool json_is_finite_number(const struct json_object *o);
/* The value as a JavaScript number would hold it; 0 for non-numbers. */
double json_number(const struct json_object *o);

/* Is v a string holding U+0000? */
bool json_string_has_nul(const struct json_object *v);
/* The keys of an object in the order a JavaScript object that JSON.parse
 * built lists them: array-index keys ("0", "7") first in ascending order,
 * then the others in input order.  The count, or -1 without memory. */
int json_keys_js(struct arena *a, struct json_object *obj,
                 const char ***keys) CG_MUSTCHECK;
/* JavaScript truthiness; NULL (JSON null, or an absent value) is falsy. */
bool json_is_truthy(const struct json_object *v);

/*
 * Append o as JSON.stringify(o) would write it: compact, keys in insertion
 * order, strings escaped as JavaScript does, numbers in JavaScript's
 * Number.prototype.toString form (NaN and infinities as null).
 */
int json_write_compact(struct buf *b, struct json_object *o) CG_MUSTCHECK;

/* JSON text (e.g. PostgreSQL's spaced jsonb output) appended to b the way
 * JSON.stringify writes it. */
int json_append_compact_text(struct buf *b, struct arena *a,
                             const char *text) CG_MUSTCHECK;

#endif
