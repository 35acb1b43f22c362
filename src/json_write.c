/* JSON written as JavaScript's JSON.stringify writes it. */
#include "cordgate/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/linkhash.h>

#include "cordgate/buf.h"

/* Deeper than any value json_parse() builds; guards hand-built cycles. */
#define JSON_WRITE_MAX_DEPTH 256

/* Doubles hold every integer of magnitude up to 2^53 exactly. */
#define JSON_EXACT_INT_MAX ((int64_t)1 << 53)

/*
 * Number.prototype.toString (ECMA-262 Number::toString): the shortest
 * digits that read back as d, placed in fixed notation for decimal
 * exponents from -7 to 20 and in exponent notation ("1e+21") otherwise.
 * When two shortest candidates exist V8 picks the closer; "%.*e" gives the
 * correctly rounded one, which agrees except, rarely, next to a power of 2.
 */
static int
write_double(struct buf *b, double d)
{
    char tmp[40], digits[20], out[40];
    size_t k = 0, o = 0;
    int p, n, i;
    const char *c;

    if (!isfinite(d))
        return buf_append_str(b, "null");
    if (d == 0)
        return buf_append_char(b, '0');
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    c = tmp;
    if (*c == '-') {
        out[o++] = '-';
        c++;
    }
    for (; *c != 'e'; c++)
        if (*c != '.')
            digits[k++] = *c;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    n = atoi(c + 1) + 1; /* d = 0.digits * 10^n */

    if ((int)k <= n && n <= 21) {
        memcpy(out + o, digits, k);
        o += k;
        for (i = (int)k; i < n; i++)
            out[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(out + o, digits, (size_t)n);
        o += (size_t)n;
        out[o++] = '.';
        memcpy(out + o, digits + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (i = n; i < 0; i++)
            out[o++] = '0';
        memcpy(out + o, digits, k);
        o += k;
    } else {
        out[o++] = digits[0];
        if (k > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, k - 1);
            o += k - 1;
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "e%c%d",
                              n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    return buf_append(b, out, o);
}

static int
write_int(struct buf *b, struct json_object *o)
{
    int64_t v = json_object_get_int64(o);

    /* Beyond 2^53 JavaScript would hold (and print) the nearest double. */
    if (v > JSON_EXACT_INT_MAX || v < -JSON_EXACT_INT_MAX)
        return write_double(b, json_number(o));
    return buf_printf(b, "%" PRId64, v);
}

static int write_value(struct buf *b, struct json_object *o, int depth);

static int
write_array(struct buf *b, struct json_object *o, int depth)
{
    size_t i, n = json_object_array_length(o);

    if (buf_append_char(b, '[') != 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (i > 0 && buf_append_char(b, ',') != 0)
            return -1;
        if (write_value(b, json_object_array_get_idx(o, i), depth + 1) != 0)
            return -1;
    }
    return buf_append_char(b, ']');
}

/* Keys in JavaScript's order (json_keys_js), as JSON.stringify of what
 * JSON.parse built writes them. */
static int
write_object(struct buf *b, struct json_object *o, int depth)
{
    const char **keys;
    int i, n = json_keys_js(b->arena, o, &keys);

    if (n < 0 || buf_append_char(b, '{') != 0)
        return -1;
    for (i = 0; i < n; i++) {
        struct json_object *val = NULL;

        json_object_object_get_ex(o, keys[i], &val);
        if ((i > 0 && buf_append_char(b, ',') != 0) ||
            buf_append_json_string(b, keys[i], strlen(keys[i])) != 0 ||
            buf_append_char(b, ':') != 0 || write_value(b, val, depth + 1) != 0)
            return -1;
    }
    return buf_append_char(b, '}');
}

static int
write_value(struct buf *b, struct json_object *o, int depth)
{
    if (depth > JSON_WRITE_MAX_DEPTH)
        return -1;
    switch (json_object_get_type(o)) {
    case json_type_null:
        return buf_append_str(b, "null");
    case json_type_boolean:
        return buf_append_str(b, json_object_get_boolean(o) ? "true" : "false");
    case json_type_int:
        return write_int(b, o);
    case json_type_double:
        return write_double(b, json_object_get_double(o));
    case json_type_string:
        return buf_append_json_string(b, json_object_get_string(o),
                                      (size_t)json_object_get_string_len(o));
    case json_type_array:
        return write_array(b, o, depth);
    case json_type_object:
        return write_object(b, o, depth);
    }
    return -1;
}

int
json_write_compact(struct buf *b, struct json_object *o)
{
    size_t start = b->len;

    if (write_value(b, o, 0) == 0)
        return 0;
    /* Leave the buffer as it was. */
    b->len = start;
    if (b->data != NULL)
        b->data[start] = '\0';
    return -1;
}

int
json_append_compact_text(struct buf *b, struct arena *a, const char *text)
{
    struct json_object *o;

    if (json_parse(a, text, strlen(text), &o) != JSON_PARSE_OK)
        return -1;
    return json_write_compact(b, o);
}
