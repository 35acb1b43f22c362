/* Strict JSON parsing over json-c: RFC 8259 and UTF-8 checked first. */
#include "cordgate/json.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "cordgate/arena.h"
#include "cordgate/ascii.h"

static _Thread_local char json_error_text[96];
static _Thread_local struct json_tokener *json_tok;

/*
 * json-c's strict mode still takes NaN, Infinity, "-01", "1.", raw control
 * characters in strings, overlong and surrogate UTF-8 forms, truncates keys
 * at "\u0000" and saturates integers beyond 64 bits.  So one pass over the
 * bytes first checks every token against RFC 8259 and UTF-8 against RFC
 * 3629, and counts nesting; json-c then checks the grammar and builds the
 * tree.
 */
struct json_scan {
    const char *text;
    size_t len;
    size_t pos;
    size_t big_ints; /* integer literals outside int64 */
    char *copy;      /* when set, text is copied here with big ints made
                        doubles by appending ".0" */
    size_t copied;   /* bytes of text copied so far */
    size_t copy_len;
    size_t cost; /* what json-c will allocate for it, about (JSON_MAX_COST) */
};

/*
 * json-c mallocs each value outside the arena: about 790 bytes for an
 * object (its hash table), 150 for an array, 70 for a scalar, plus a
 * string's bytes (measured with json-c 0.16).  The scan adds these up so
 * that a body of 1 MiB of [{},{},...] cannot make 270 MB of them.
 */
#define COST_OBJECT 800
#define COST_ARRAY  160
#define COST_SCALAR 80

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

static enum json_parse_status
scan_string(struct json_scan *s)
{
    const unsigned char *t = (const unsigned char *)s->text;
    size_t start = s->pos, i = s->pos + 1;
    bool has_nul = false;

    for (;;) {
        size_t n;

        if (i >= s->len)
            return json_fail(JSON_PARSE_INVALID, "unterminated string", start);
        if (t[i] == '"')
            break;
        if (t[i] == '\\') {
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
            if (memcmp(t + i + 2, "0000", 4) == 0)
                has_nul = true;
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
    if (has_nul) {
        size_t j = s->pos;

        while (j < s->len && is_ws(t[j]))
            j++;
        if (j < s->len && t[j] == ':')
            return json_fail(JSON_PARSE_INVALID, "NUL in object key", start);
    }
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

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static enum json_parse_status
scan_number(struct json_scan *s)
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
    if (integral &&
        int_literal_is_big(t + int_start, i - int_start, negative)) {
        s->big_ints++;
        if (s->copy != NULL) {
            memcpy(s->copy + s->copy_len, t + s->copied, i - s->copied);
            s->copy_len += i - s->copied;
            memcpy(s->copy + s->copy_len, ".0", 2);
            s->copy_len += 2;
            s->copied = i;
        }
    }
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

static enum json_parse_status
json_scan(struct json_scan *s)
{
    const unsigned char *t = (const unsigned char *)s->text;
    int depth = 0;
    bool any = false;

    while (s->pos < s->len) {
        enum json_parse_status st = JSON_PARSE_OK;
        unsigned char c = t[s->pos];

        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            s->pos++;
            continue;
        case '{':
        case '[':
            if (++depth > JSON_MAX_DEPTH)
                return json_fail(JSON_PARSE_TOO_DEEP, "nesting too deep",
                                 s->pos);
            s->cost += c == '{' ? COST_OBJECT : COST_ARRAY;
            s->pos++;
            break;
        case '}':
        case ']':
            if (depth > 0)
                depth--;
            s->pos++;
            break;
        case ',':
        case ':':
            s->pos++;
            break;
        case '"':
            s->cost += COST_SCALAR + (s->len - s->pos);
            st = scan_string(s);
            s->cost -= s->len - s->pos; /* the string's own bytes remain */
            break;
        case 't':
            st = scan_literal(s, "true");
            break;
        case 'f':
            st = scan_literal(s, "false");
            break;
        case 'n':
            st = scan_literal(s, "null");
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
            st = scan_number(s);
            break;
        default:
            if (c >= 0x80 && utf8_seq_len(t + s->pos, s->len - s->pos) == 0)
                return json_fail(JSON_PARSE_BAD_UTF8, "invalid UTF-8", s->pos);
            if (c == 0)
                return json_fail(JSON_PARSE_INVALID, "NUL byte", s->pos);
            return json_fail(JSON_PARSE_INVALID, "unexpected character",
                             s->pos);
        }
        if (st != JSON_PARSE_OK)
            return st;
        if (c != '"' && c != '{' && c != '[' && c != '}' && c != ']' &&
            c != ',' && c != ':')
            s->cost += COST_SCALAR;
        if (s->cost > JSON_MAX_COST)
            return json_fail(JSON_PARSE_TOO_BIG, "too many values", s->pos);
        any = true;
    }
    if (!any)
        return json_fail(JSON_PARSE_INVALID, "no value", s->pos);
    if (s->copy != NULL) {
        memcpy(s->copy + s->copy_len, s->text + s->copied, s->len - s->copied);
        s->copy_len += s->len - s->copied;
    }
    return JSON_PARSE_OK;
}

static void
json_put_hook(void *p)
{
    json_object_put(p);
}

/* Does the first token of the (already scanned) text spell null? */
static bool
text_is_null(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && is_ws((unsigned char)text[i]))
        i++;
    return i < len && text[i] == 'n';
}

enum json_parse_status
json_parse(struct arena *a, const char *text, size_t len,
           struct json_object **out)
{
    struct json_scan s = {.text = text, .len = len};
    enum json_parse_status st;
    enum json_tokener_error err;
    struct json_object *o;

    *out = NULL;
    json_error_text[0] = '\0';
    /* json-c takes an int length and needs room for our ".0"s. */
    if (len > INT_MAX / 2)
        return json_fail(JSON_PARSE_INVALID, "text too long", 0);
    st = json_scan(&s);
    if (st != JSON_PARSE_OK)
        return st;
    if (s.big_ints > 0) {
        struct json_scan again = {.text = text, .len = len};

        again.copy = arena_alloc(a, len + 2 * s.big_ints);
        if (again.copy == NULL)
            return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
        st = json_scan(&again);
        if (st != JSON_PARSE_OK)
            return st;
        text = again.copy;
        len = again.copy_len;
    }

    if (json_tok == NULL) {
        /* Our scan enforces the depth; json-c's limit is only a backstop. */
        json_tok = json_tokener_new_ex(JSON_MAX_DEPTH + 2);
        if (json_tok == NULL)
            return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
    }
    json_tokener_reset(json_tok);
    json_tokener_set_flags(json_tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(json_tok, text, (int)len);
    err = json_tokener_get_error(json_tok);
    if (err == json_tokener_continue) {
        /* A top-level number has no end of its own: signal end of input. */
        o = json_tokener_parse_ex(json_tok, "", 1);
        err = json_tokener_get_error(json_tok);
    } else if (err == json_tokener_success) {
        size_t end = json_tokener_get_parse_end(json_tok);

        while (end < len && is_ws((unsigned char)text[end]))
            end++;
        if (end != len) {
            json_object_put(o);
            return json_fail(JSON_PARSE_INVALID, "trailing bytes", end);
        }
    }
    if (err != json_tokener_success) {
        json_object_put(o);
        if (err == json_tokener_error_depth)
            return json_fail(JSON_PARSE_TOO_DEEP, "nesting too deep", 0);
        if (err == json_tokener_error_parse_utf8_string)
            return json_fail(JSON_PARSE_BAD_UTF8, "invalid UTF-8", 0);
        return json_fail(JSON_PARSE_INVALID, json_tokener_error_desc(err),
                         json_tokener_get_parse_end(json_tok));
    }
    if (o == NULL) {
        /* json-c reports allocation failures as a NULL value. */
        if (!text_is_null(text, len))
            return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
        return JSON_PARSE_OK;
    }
    if (arena_cleanup_add(a, json_put_hook, o) != 0) {
        json_object_put(o);
        return json_fail(JSON_PARSE_NOMEM, "out of memory", 0);
    }
    *out = o;
    return JSON_PARSE_OK;
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
