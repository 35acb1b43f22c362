/* Strict JSON parsing into json-c values, the text checked and its memory
 * counted before anything is built. */
#include "cordgate/json.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/linkhash.h>

#include "cordgate/arena.h"
#include "cordgate/ascii.h"

static _Thread_local char json_error_text[96];

/*
 * Two passes.  The scan checks the whole text against RFC 8259 (tokens,
 * grammar, nesting) and UTF-8 against RFC 3629, which json-c's own tokener
 * does not do strictly (it takes NaN, "-01", raw control characters,
 * overlong UTF-8, cuts keys at "\u0000" and saturates big integers), and
 * adds up what json-c will allocate for the values.  Only a text that passes
 * and fits its budget is built, by build_value(), which trusts the scan's
 * grammar but still checks every bound it reads.
 */
enum scan_state {
    ST_VALUE,          /* a value: the top, after ':' or an array's ',' */
    ST_VALUE_OR_CLOSE, /* after '[' */
    ST_KEY,            /* after an object's ',' */
    ST_KEY_OR_CLOSE,   /* after '{' */
    ST_COLON,          /* after a key */
    ST_NEXT,           /* after a value in a container: ',' or its close */
    ST_END,            /* after the top value: whitespace only */
};

struct json_scan {
    const char *text;
    size_t len;
    size_t pos;
    int depth;
    bool in_object[JSON_MAX_DEPTH + 1];
    size_t members[JSON_MAX_DEPTH + 1]; /* of each open container */
    size_t cost;      /* bytes json-c will hold for the values */
    size_t transient; /* the most one growth step holds on top of that */
    size_t scratch;   /* longest token that needs a NUL-terminated copy */
    bool escaped;     /* set by scan_string: the string has a backslash */
};

/*
 * What json-c 0.16 allocates, in glibc malloc chunks (8 bytes of header,
 * 16-byte steps, 32 at least), checked by tests/unit/test_json.c against
 * what malloc really hands out.  Every value is a struct json_object (40
 * bytes) and its own part; an object's members live in a hash table of
 * 40-byte entries that doubles when two thirds full, an array's in a vector
 * of pointers that doubles when full.  json-c's own objects start with a
 * table of 16 entries (790 bytes in all); build_value() shrinks each to one
 * entry at once, so an empty object is 176 bytes.
 */
#define COST_OBJECT     (64 + 64 + 48)  /* json_object_object, lh_table, 1 */
#define COST_OBJECT_NEW (656 + 64 + 48) /* json-c's first table, freed */
#define COST_ARRAY      (64 + 48 + 32)  /* json_object_array, array_list, 1 */
#define COST_SCALAR     64              /* int, double or boolean */
#define COST_STRING     49 /* json_object_string and the NUL, plus the bytes */
#define ENTRY_BYTES     40 /* struct lh_entry */
#define SLOT_BYTES      8  /* an array's pointer to its element */

/* What malloc(n) takes from the heap. */
static size_t
heap(size_t n)
{
    size_t c = (n + 8 + 15) & ~(size_t)15;

    return c < 32 ? 32 : c;
}

static size_t
cost_string(size_t len)
{
    /* json-c keeps room for a pointer in short strings. */
    return heap(COST_STRING + (len < 8 ? 8 : len));
}

/* json-c's hash table size after n inserts into a table of one entry: it
 * doubles before an insert that finds it two thirds full (LH_LOAD_FACTOR). */
static size_t
table_entries(size_t n)
{
    size_t size = 1, count;

    for (count = 0; count < n; count++)
        if ((double)count >= (double)size * LH_LOAD_FACTOR)
            size *= 2;
    return size;
}

/* json-c's array vector after n appends to one of one slot: it doubles when
 * the next index would not fit (array_list_expand_internal). */
static size_t
array_slots(size_t n)
{
    size_t size = 1;

    while (n >= size)
        size *= 2;
    return size;
}

static size_t
max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* A table of that many entries, and while it doubled to that size, the
 * old table and a second lh_table besides. */
static size_t
table_bytes(size_t entries)
{
    return heap(entries * ENTRY_BYTES);
}

static size_t
table_doubling_bytes(size_t entries)
{
    return heap(entries / 2 * ENTRY_BYTES) + 64;
}

/* The closing of an object or an array of n members: the table or vector it
 * ends with, and, when it is the largest yet, the one it doubled from. */
static void
cost_container(struct json_scan *s, bool object, size_t n)
{
    if (object) {
        size_t entries = table_entries(n);

        s->cost += table_bytes(entries);
        s->transient = max_size(s->transient, table_doubling_bytes(entries));
    } else {
        size_t slots = array_slots(n);

        s->cost += heap(slots * SLOT_BYTES);
        s->transient = max_size(s->transient, heap(slots / 2 * SLOT_BYTES));
    }
}

/* Budget: JSON_COST_PER_BYTE per byte of text, at least JSON_MIN_COST and
 * at most JSON_MAX_COST. */
size_t
json_cost_budget(size_t len)
{
    if (len > JSON_MAX_COST / JSON_COST_PER_BYTE)
        return JSON_MAX_COST;
    return max_size(JSON_MIN_COST, len * JSON_COST_PER_BYTE);
}

/* json_object_new_object()'s table starts at 16 entries. */
size_t
json_cost_object(size_t members)
{
    size_t entries = max_size(16, table_entries(members));

    return COST_OBJECT - table_bytes(1) + table_bytes(entries) +
           table_doubling_bytes(entries);
}

size_t
json_cost_member(size_t key_len, size_t value_len)
{
    return heap(key_len + 1) + cost_string(value_len);
}

static enum json_parse_status
json_fail(enum json_parse_status st, const char *what, size_t offset)
{
    snprintf(json_error_text, sizeof(json_error_text), "%s at offset %zu", what,
             offset);
    return st;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        need = 1;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        need = 2;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        need = 3;
    else
        return 0;
    /* The second byte's range rules out overlong forms, UTF-16
     * surrogates (ED A0..BF) and code points above U+10FFFF. */
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (n <= need || s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i <= need; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return need + 1;
}

static bool
is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A number or literal must be followed by one of these (or the end). */
static bool
ends_scalar(const struct json_scan *s)
{
    unsigned char c;

    if (s->pos == s->len)
        return true;
    c = (unsigned char)s->text[s->pos];
    return is_ws(c) || c == ',' || c == ']' || c == '}';
}

/* The string at pos, quotes included; sets escaped.  A key must not hold
 * "\u0000": json-c keys are C strings. */
static enum json_parse_status
scan_string(struct json_scan *s, bool key)
{
    const unsigned char *t = (const unsigned char *)s->text;
    size_t start = s->pos, i = s->pos + 1;

    s->escaped = false;
    for (;;) {
        size_t n;

        if (i >= s->len)
            return json_fail(JSON_PARSE_INVALID, "unterminated string", start);
        if (t[i] == '"')
            break;
        if (t[i] == '\\') {
            s->escaped = true;
            if (i + 1 >= s->len)
                return json_fail(JSON_PARSE_INVALID, "unterminated string",
                                 start);
            if (strchr("\"\\/bfnrt", t[i + 1]) != NULL && t[i + 1] != 0) {
                i += 2;
                continue;
            }
            if (t[i + 1] != 'u' || s->len - i < 6 || !ascii_is_hex(t[i + 2]) ||
                !ascii_is_hex(t[i + 3]) || !ascii_is_hex(t[i + 4]) ||
                !ascii_is_hex(t[i + 5]))
                return json_fail(JSON_PARSE_INVALID, "bad escape", i);
            if (key && memcmp(t + i + 2, "0000", 4) == 0)
                return json_fail(JSON_PARSE_INVALID, "NUL in object key",
                                 start);
            i += 6;
            continue;
        }
        if (t[i] < 0x20)
            return json_fail(JSON_PARSE_INVALID, "control character in string",
                             i);
        n = utf8_seq_len(t + i, s->len - i);
        if (n == 0)
            return json_fail(JSON_PARSE_BAD_UTF8, "invalid UTF-8", i);
        i += n;
    }
    s->pos = i + 1;
    return JSON_PARSE_OK;
}

/* Is the integer literal of ndigits digits at p outside int64? */
static bool
int_literal_is_big(const char *p, size_t ndigits, bool negative)
{
    const char *limit =
        negative ? "9223372036854775808" : "9223372036854775807";

    if (ndigits != 19)
        return ndigits > 19;
    return memcmp(p, limit, 19) > 0;
}

/*
 * RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?  Sets
 * *is_int for an integer within int64; other numbers are doubles, read by
 * strtod from a copy (JavaScript has no integers beyond 2^53 either).
 */
static enum json_parse_status
scan_number(struct json_scan *s, bool *is_int)
{
    const char *t = s->text;
    size_t start = s->pos, i = s->pos, int_start;
    bool negative = false, integral = true;

    if (t[i] == '-') {
        negative = true;
        i++;
    }
    int_start = i;
    if (i < s->len && t[i] == '0') {
        i++;
    } else if (i < s->len && ascii_is_digit((unsigned char)t[i])) {
        while (i < s->len && ascii_is_digit((unsigned char)t[i]))
            i++;
    } else {
        return json_fail(JSON_PARSE_INVALID, "bad number", start);
    }
    if (i < s->len && t[i] == '.') {
        integral = false;
        if (++i >= s->len || !ascii_is_digit((unsigned char)t[i]))
            return json_fail(JSON_PARSE_INVALID, "bad number", start);
        while (i < s->len && ascii_is_digit((unsigned char)t[i]))
            i++;
    }
    if (i < s->len && (t[i] == 'e' || t[i] == 'E')) {
        integral = false;
        i++;
        if (i < s->len && (t[i] == '+' || t[i] == '-'))
            i++;
        if (i >= s->len || !ascii_is_digit((unsigned char)t[i]))
            return json_fail(JSON_PARSE_INVALID, "bad number", start);
        while (i < s->len && ascii_is_digit((unsigned char)t[i]))
            i++;
    }
    s->pos = i;
    if (!ends_scalar(s))
        return json_fail(JSON_PARSE_INVALID, "bad number", start);
    *is_int =
        integral && !int_literal_is_big(t + int_start, i - int_start, negative);
    return JSON_PARSE_OK;
}

static enum json_parse_status
scan_literal(struct json_scan *s, const char *word)
{
    size_t n = strlen(word);

    if (s->len - s->pos < n || memcmp(s->text + s->pos, word, n) != 0)
        return json_fail(JSON_PARSE_INVALID, "unexpected character", s->pos);
    s->pos += n;
    if (!ends_scalar(s))
        return json_fail(JSON_PARSE_INVALID, "unexpected character", s->pos);
    return JSON_PARSE_OK;
}

/* Where the grammar goes after a complete value. */
static enum scan_state
after_value(const struct json_scan *s)
{
    return s->depth == 0 ? ST_END : ST_NEXT;
}

static enum json_parse_status
unexpected(const struct json_scan *s, enum scan_state st)
{
    const unsigned char *t = (const unsigned char *)s->text + s->pos;

    if (*t >= 0x80 && utf8_seq_len(t, s->len - s->pos) == 0)
        return json_fail(JSON_PARSE_BAD_UTF8, "invalid UTF-8", s->pos);
    if (*t == 0)
        return json_fail(JSON_PARSE_INVALID, "NUL byte", s->pos);
    if (st == ST_END)
        return json_fail(JSON_PARSE_INVALID, "trailing bytes", s->pos);
    return json_fail(JSON_PARSE_INVALID, "unexpected character", s->pos);
}

/* A value starts here: an element of its parent when that is an array
 * (an object counts its keys). */
static void
count_element(struct json_scan *s)
{
    if (s->depth > 0 && !s->in_object[s->depth])
        s->members[s->depth]++;
}

static enum json_parse_status
json_scan(struct json_scan *s, size_t budget)
{
    const unsigned char *t = (const unsigned char *)s->text;
    enum scan_state st = ST_VALUE;

    while (s->pos < s->len) {
        enum json_parse_status r;
        unsigned char c = t[s->pos];
        bool value = st == ST_VALUE || st == ST_VALUE_OR_CLOSE;
        size_t start = s->pos;
        bool is_int = false;

        if (is_ws(c)) {
            s->pos++;
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (!value)
                return unexpected(s, st);
            if (s->depth == JSON_MAX_DEPTH)
                return json_fail(JSON_PARSE_TOO_DEEP, "nesting too deep",
                                 s->pos);
            count_element(s);
            s->depth++;
            s->in_object[s->depth] = c == '{';
            s->members[s->depth] = 0;
            /* The table or vector is counted at the close. */
            s->cost += c == '{' ? COST_OBJECT - table_bytes(1)
                                : COST_ARRAY - heap(SLOT_BYTES);
            st = c == '{' ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
            s->pos++;
            break;
        case '}':
        case ']':
            if (s->depth == 0 || s->in_object[s->depth] != (c == '}') ||
                (c == '}' && st != ST_KEY_OR_CLOSE && st != ST_NEXT) ||
                (c == ']' && st != ST_VALUE_OR_CLOSE && st != ST_NEXT))
                return unexpected(s, st);
            cost_container(s, c == '}', s->members[s->depth]);
            s->depth--;
            st = after_value(s);
            s->pos++;
            break;
        case ',':
            if (st != ST_NEXT)
                return unexpected(s, st);
            st = s->in_object[s->depth] ? ST_KEY : ST_VALUE;
            s->pos++;
            break;
        case ':':
            if (st != ST_COLON)
                return unexpected(s, st);
            st = ST_VALUE;
            s->pos++;
            break;
        case '"':
            if (st == ST_KEY || st == ST_KEY_OR_CLOSE) {
                if ((r = scan_string(s, true)) != JSON_PARSE_OK)
                    return r;
                s->members[s->depth]++;
                /* json-c copies the key; we copy it first, with its NUL. */
                s->cost += heap(s->pos - start - 1);
                s->scratch = max_size(s->scratch, s->pos - start);
                st = ST_COLON;
                break;
            }
            if (!value)
                return unexpected(s, st);
            if ((r = scan_string(s, false)) != JSON_PARSE_OK)
                return r;
            count_element(s);
            s->cost += cost_string(s->pos - start - 2);
            if (s->escaped)
                s->scratch = max_size(s->scratch, s->pos - start);
            st = after_value(s);
            break;
        case 't':
        case 'f':
        case 'n':
            if (!value)
                return unexpected(s, st);
            r = scan_literal(s, c == 't'   ? "true"
                                : c == 'f' ? "false"
                                           : "null");
            if (r != JSON_PARSE_OK)
                return r;
            count_element(s);
            if (c != 'n') /* null is a NULL pointer */
                s->cost += COST_SCALAR;
            st = after_value(s);
            break;
        case '-':
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            if (!value)
                return unexpected(s, st);
            if ((r = scan_number(s, &is_int)) != JSON_PARSE_OK)
                return r;
            count_element(s);
            s->cost += COST_SCALAR;
            if (!is_int)
                s->scratch = max_size(s->scratch, s->pos - start + 1);
            st = after_value(s);
            break;
        default:
            return unexpected(s, st);
        }
        if (s->cost + s->scratch + s->transient + COST_OBJECT_NEW > budget)
            return json_fail(JSON_PARSE_TOO_BIG, "too many values", s->pos);
    }
    if (st == ST_END)
        return JSON_PARSE_OK;
    if (st == ST_VALUE && s->depth == 0)
        return json_fail(JSON_PARSE_INVALID, "no value", s->pos);
    return json_fail(JSON_PARSE_INVALID, "unexpected end", s->pos);
}

/* The second pass: the text is known to be valid and to fit. */
struct json_build {
    const char *text;
    size_t len;
    size_t pos;
    char *scratch; /* json_scan's scratch bytes */
};

static void
skip_ws(struct json_build *b)
{
    while (b->pos < b->len && is_ws((unsigned char)b->text[b->pos]))
        b->pos++;
}

static void
put_utf8(char *out, size_t *n, unsigned cp)
{
    unsigned char *o = (unsigned char *)out + *n;

    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        *n += 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        *n += 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        *n += 3;
    } else {
        o[0] = (unsigned char)(0xf0 | cp >> 18);
        o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[3] = (unsigned char)(0x80 | (cp & 0x3f));
        *n += 4;
    }
}

static unsigned
hex4(const char *p)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++)
        v = v << 4 | (unsigned)ascii_hex_value((unsigned char)p[i]);
    return v;
}

/*
 * The string at pos (its opening quote), unescaped: *out points into the
 * text when there is nothing to undo and a C string is not needed, else
 * into the scratch buffer, NUL-terminated.  Surrogate escapes decode as
 * json-c's tokener does them: a pair is one code point, and a surrogate
 * without its other half is U+FFFD.
 */
static bool
read_string(struct json_build *b, bool cstring, const char **out, size_t *len)
{
    const char *t = b->text;
    size_t start = b->pos + 1, i = start, n = 0;
    unsigned high = 0;

    while (i < b->len && t[i] != '"' && t[i] != '\\')
        i++;
    if (i >= b->len)
        return false;
    if (t[i] == '"') {
        /* The common case: nothing to undo. */
        *len = i - start;
        b->pos = i + 1;
        if (!cstring) {
            *out = t + start;
            return true;
        }
        memcpy(b->scratch, t + start, *len);
        b->scratch[*len] = '\0';
        *out = b->scratch;
        return true;
    }
    memcpy(b->scratch, t + start, i - start);
    n = i - start;
    for (;;) {
        unsigned cp;

        if (i >= b->len)
            return false;
        if (t[i] == '"' || t[i] != '\\') {
            if (high != 0) {
                put_utf8(b->scratch, &n, 0xfffd);
                high = 0;
            }
            if (t[i] == '"')
                break;
            b->scratch[n++] = t[i++];
            continue;
        }
        if (i + 1 >= b->len)
            return false;
        if (t[i + 1] != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e = memchr(from, t[i + 1], sizeof(from) - 1);

            if (e == NULL)
                return false;
            if (high != 0) {
                put_utf8(b->scratch, &n, 0xfffd);
                high = 0;
            }
            b->scratch[n++] = to[e - from];
            i += 2;
            continue;
        }
        if (b->len - i < 6)
            return false;
        cp = hex4(t + i + 2);
        i += 6;
        if (high != 0) {
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                put_utf8(b->scratch, &n,
                         0x10000 + ((high - 0xd800) << 10) + (cp - 0xdc00));
                high = 0;
                continue;
            }
            put_utf8(b->scratch, &n, 0xfffd);
            high = 0;
        }
        if (cp >= 0xd800 && cp <= 0xdbff)
            high = cp;
        else if (cp >= 0xdc00 && cp <= 0xdfff)
            put_utf8(b->scratch, &n, 0xfffd);
        else
            put_utf8(b->scratch, &n, cp);
    }
    b->pos = i + 1;
    b->scratch[n] = '\0';
    *out = b->scratch;
    *len = n;
    return true;
}

static struct json_object *
read_number(struct json_build *b)
{
    const char *t = b->text;
    size_t start = b->pos, i = start;
    bool integral = true;
    uint64_t v = 0;

    if (t[i] == '-')
        i++;
    while (i < b->len && ascii_is_digit((unsigned char)t[i]))
        v = v * 10 + (uint64_t)(t[i++] - '0'); /* wraps only when big */
    while (i < b->len &&
           (t[i] == '.' || t[i] == 'e' || t[i] == 'E' || t[i] == '+' ||
            t[i] == '-' || ascii_is_digit((unsigned char)t[i]))) {
        integral = false;
        i++;
    }
    b->pos = i;
    if (integral &&
        !int_literal_is_big(t + start + (t[start] == '-'),
                            i - start - (t[start] == '-'), t[start] == '-'))
        return json_object_new_int64(t[start] != '-' ? (int64_t)v
                                     : v == 0        ? 0
                                                     : -(int64_t)(v - 1) - 1);
    memcpy(b->scratch, t + start, i - start);
    b->scratch[i - start] = '\0';
    return json_object_new_double(strtod(b->scratch, NULL));
}

enum build_status { BUILD_OK, BUILD_BAD, BUILD_NOMEM };

static enum build_status build_value(struct json_build *b, int depth,
                                     struct json_object **out);

/* A new object whose table holds one entry, not json-c's 16: 176 bytes
 * instead of 790 for each object of a body.  lh_table_resize() is declared
 * in json-c's linkhash.h; the table grows as json-c's own do. */
static struct json_object *
new_object(void)
{
    struct json_object *o = json_object_new_object();

    if (o != NULL && lh_table_resize(json_object_get_object(o), 1) != 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static enum build_status
build_object(struct json_build *b, int depth, struct json_object **out)
{
    struct json_object *o = new_object();

    if (o == NULL)
        return BUILD_NOMEM;
    b->pos++;
    skip_ws(b);
    if (b->pos < b->len && b->text[b->pos] == '}') {
        b->pos++;
        *out = o;
        return BUILD_OK;
    }
    for (;;) {
        struct json_object *v = NULL;
        enum build_status st;
        size_t key_at = b->pos, after;
        const char *key;
        size_t klen;

        /* The key is read twice: building the value reuses the scratch
         * buffer that holds it. */
        if (b->pos >= b->len || b->text[b->pos] != '"' ||
            !read_string(b, false, &key, &klen)) {
            json_object_put(o);
            return BUILD_BAD;
        }
        skip_ws(b);
        if (b->pos >= b->len || b->text[b->pos] != ':') {
            json_object_put(o);
            return BUILD_BAD;
        }
        b->pos++;
        skip_ws(b);
        if ((st = build_value(b, depth + 1, &v)) != BUILD_OK) {
            json_object_put(o);
            return st;
        }
        after = b->pos;
        b->pos = key_at;
        if (!read_string(b, true, &key, &klen) ||
            json_object_object_add(o, key, v) != 0) {
            json_object_put(v);
            json_object_put(o);
            return BUILD_NOMEM;
        }
        b->pos = after;
        skip_ws(b);
        if (b->pos < b->len && b->text[b->pos] == ',') {
            b->pos++;
            skip_ws(b);
            continue;
        }
        if (b->pos < b->len && b->text[b->pos] == '}') {
            b->pos++;
            *out = o;
            return BUILD_OK;
        }
        json_object_put(o);
        return BUILD_BAD;
    }
}

static enum build_status
build_array(struct json_build *b, int depth, struct json_object **out)
{
    struct json_object *a = json_object_new_array_ext(1);

    if (a == NULL)
        return BUILD_NOMEM;
    b->pos++;
    skip_ws(b);
    if (b->pos < b->len && b->text[b->pos] == ']') {
        b->pos++;
        *out = a;
        return BUILD_OK;
    }
    for (;;) {
        struct json_object *v = NULL;
        enum build_status st = build_value(b, depth + 1, &v);

        if (st != BUILD_OK) {
            json_object_put(a);
            return st;
        }
        if (json_object_array_add(a, v) != 0) {
            json_object_put(v);
            json_object_put(a);
            return BUILD_NOMEM;
        }
        skip_ws(b);
        if (b->pos < b->len && b->text[b->pos] == ',') {
            b->pos++;
            skip_ws(b);
            continue;
        }
        if (b->pos < b->len && b->text[b->pos] == ']') {
            b->pos++;
            *out = a;
            return BUILD_OK;
        }
        json_object_put(a);
        return BUILD_BAD;
    }
}

/* The value at pos (no whitespace before it); *out NULL for null. */
static enum build_status
build_value(struct json_build *b, int depth, struct json_object **out)
{
    const char *s;
    size_t n;
    char c;

    *out = NULL;
    if (b->pos >= b->len || depth > JSON_MAX_DEPTH)
        return BUILD_BAD;
    c = b->text[b->pos];
    switch (c) {
    case '{':
        return build_object(b, depth, out);
    case '[':
        return build_array(b, depth, out);
    case '"':
        if (!read_string(b, false, &s, &n))
            return BUILD_BAD;
        *out = json_object_new_string_len(s, (int)n);
        break;
    case 't':
    case 'f':
        n = c == 't' ? 4 : 5;
        if (b->len - b->pos < n)
            return BUILD_BAD;
        b->pos += n;
        *out = json_object_new_boolean(c == 't');
        break;
    case 'n':
        if (b->len - b->pos < 4)
            return BUILD_BAD;
        b->pos += 4;
        return BUILD_OK;
    default:
        if (c != '-' && !ascii_is_digit((unsigned char)c))
            return BUILD_BAD;
        *out = read_number(b);
        break;
    }
    return *out != NULL ? BUILD_OK : BUILD_NOMEM;
}

static void
json_put_hook(void *p)
{
    json_object_put(p);
}

enum json_parse_status
json_parse(struct arena *a, const char *text, size_t len,
           struct json_object **out)
{
    struct json_scan s = {.text = text, .len = len};
    struct json_build b = {.text = text, .len = len};
    enum json_parse_status st;
    enum build_status bs;
    struct json_object *o;

    *out = NULL;
    json_error_text[0] = '\0';
    /* json-c holds string lengths in an int. */
    if (len > INT_MAX)
        return json_fail(JSON_PARSE_TOO_BIG, "text too long", 0);
    st = json_scan(&s, json_cost_budget(len));
    if (st != JSON_PARSE_OK)
        return st;
    if (s.scratch > 0 && (b.scratch = arena_alloc(a, s.scratch)) == NULL)
        return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
    skip_ws(&b);
    bs = build_value(&b, 0, &o);
    if (bs == BUILD_NOMEM)
        return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
    if (bs != BUILD_OK) /* the scan let through what the builder cannot */
        return json_fail(JSON_PARSE_INVALID, "unexpected character", b.pos);
    if (o != NULL && arena_cleanup_add(a, json_put_hook, o) != 0) {
        json_object_put(o);
        return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
    }
    *out = o;
    return JSON_PARSE_OK;
}

size_t
json_cost(const char *text, size_t len)
{
    struct json_scan s = {.text = text, .len = len};

    if (json_scan(&s, SIZE_MAX) != JSON_PARSE_OK)
        return SIZE_MAX;
    return s.cost + s.scratch + s.transient + COST_OBJECT_NEW;
}

const char *
json_parse_error(void)
{
    return json_error_text;
}

bool
json_utf8_is_valid(const char *s, size_t n)
{
    const unsigned char *t = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        size_t k = utf8_seq_len(t + i, n - i);

        if (k == 0)
            return false;
        i += k;
    }
    return true;
}
