/* Unit tests for strict JSON parsing, typed getters and compact output. */
#include <criterion/criterion.h>
#include <json-c/json_object.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* <sanitizer/allocator_interface.h>, which gcc does not install. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static struct arena *arena;

static void
setup(void)
{
    arena = arena_create(4096, 1 << 20);
    cr_assert_not_null(arena);
}

static void
teardown(void)
{
    /* Puts every parsed value; LeakSanitizer checks that it did. */
    arena_destroy(arena);
}

TestSuite(json, .init = setup, .fini = teardown);

/* Parse, serialise, and serialise the re-parsed output once more. */
static void
assert_round_trip(const char *text, size_t len, const char *want,
                  size_t want_len)
{
    struct json_object *o = NULL, *again = NULL;
    struct buf b, b2;

    buf_init(&b, arena, 1 << 16);
    buf_init(&b2, arena, 1 << 16);
    cr_assert_eq(json_parse(arena, text, len, &o), JSON_PARSE_OK,
                 "input %.*s: %s", (int)len, text, json_parse_error());
    cr_assert_eq(json_write_compact(&b, o), 0);
    cr_assert_eq(b.len, want_len, "input %.*s gave %s", (int)len, text, b.data);
    cr_assert(memcmp(b.data, want, want_len) == 0, "input %.*s gave %s",
              (int)len, text, b.data);
    cr_assert_eq(json_parse(arena, b.data, b.len, &again), JSON_PARSE_OK);
    cr_assert_eq(json_write_compact(&b2, again), 0);
    cr_assert_eq(b2.len, b.len);
    cr_assert(memcmp(b2.data, b.data, b.len) == 0);
}

struct good {
    const char *text;
    size_t len;
    const char *want; /* JSON.stringify(JSON.parse(text)), Node 20 */
    size_t want_len;
};

#define GOOD(t, w) t, sizeof(t) - 1, w, sizeof(w) - 1

static const struct good goods[] = {
    {GOOD("{\"a\":1}", "{\"a\":1}")},
    {GOOD(" \t\r\n{ \"b\" : [ 1 , 2.5 , -0 , \"x\" ] }\n ",
          "{\"b\":[1,2.5,0,\"x\"]}")},
    {GOOD("true", "true")},
    {GOOD("false", "false")},
    {GOOD("null", "null")},
    {GOOD("0", "0")},
    {GOOD("-7", "-7")},
    {GOOD("\"\"", "\"\"")},
    {GOOD("[]", "[]")},
    {GOOD("{\"b\":1,\"a\":[{},[]]}", "{\"b\":1,\"a\":[{},[]]}")},
    /* Last duplicate wins, in the first one's place, as in JavaScript. */
    {GOOD("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}")},
    /* Escapes: JSON.stringify's short forms, \u00XX for other controls,
     * DEL and non-ASCII as is, "\/" unescaped. */
    {GOOD("\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\\u0001\\u001f\\u007f\"",
          "\"q\\\"b\\\\s/n\\nt\\tr\\rb\\bf\\f\\u0001\\u001f\x7f\"")},
    {GOOD("\"\\u00e9\\u20AC\"", "\"\xc3\xa9\xe2\x82\xac\"")},
    {GOOD("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
          "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"")},
    {GOOD("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"")},
    /* Lone surrogates become U+FFFD (what Node writes to PostgreSQL). */
    {GOOD("\"\\ud800\"", "\"\xef\xbf\xbd\"")},
    {GOOD("\"\\udc00x\"", "\"\xef\xbf\xbdx\"")},
    {GOOD("\"\\ud800\\u0041\"", "\"\xef\xbf\xbd"
                                "A\"")},
    /* U+0000 by escape is a string like any other. */
    {GOOD("\"a\\u0000b\"", "\"a\\u0000b\"")},
    {GOOD("{\"k\":\"a\\u0000b\"}", "{\"k\":\"a\\u0000b\"}")},
    /* Numbers come out as JavaScript prints them. */
    {GOOD("1.0", "1")},
    {GOOD("-0.0", "0")},
    {GOOD("1e2", "100")},
    {GOOD("0.1e1", "1")},
    {GOOD("0.1", "0.1")},
    {GOOD("4.35", "4.35")},
    {GOOD("123456.789", "123456.789")},
    {GOOD("0.30000000000000004", "0.30000000000000004")},
    {GOOD("0.000001", "0.000001")},
    {GOOD("1e-6", "0.000001")},
    {GOOD("2.5e-5", "0.000025")},
    {GOOD("1e-7", "1e-7")},
    {GOOD("1.5e-7", "1.5e-7")},
    {GOOD("123e-20", "1.23e-18")},
    {GOOD("5e-324", "5e-324")},
    {GOOD("1.7976931348623157e308", "1.7976931348623157e+308")},
    {GOOD("-1234.5e10", "-12345000000000")},
    {GOOD("1e21", "1e+21")},
    {GOOD("1E400", "null")},
    {GOOD("-1e400", "null")},
    /* Integers: exact up to 2^53, then the nearest double, as in JS. */
    {GOOD("9007199254740992", "9007199254740992")},
    {GOOD("9007199254740993", "9007199254740992")},
    {GOOD("-9223372036854775808", "-9223372036854776000")},
    {GOOD("9223372036854775807", "9223372036854776000")},
    {GOOD("9223372036854775808", "9223372036854776000")},
    {GOOD("18446744073709551615", "18446744073709552000")},
    {GOOD("99999999999999999999", "100000000000000000000")},
    {GOOD("-10000000000000000000", "-10000000000000000000")},
    {GOOD("-99999999999999999999999", "-1e+23")},
    {GOOD("100000000000000000000", "100000000000000000000")},
    {GOOD("999999999999999999999", "1e+21")},
    {GOOD("123456789012345678901234567890", "1.2345678901234568e+29")},
    {GOOD("[123456789012345678901234567890,1,\"123456789012345678901\"]",
          "[1.2345678901234568e+29,1,\"123456789012345678901\"]")},
};

Test(json, parses_and_stringifies_like_javascript)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(goods); i++)
        assert_round_trip(goods[i].text, goods[i].len, goods[i].want,
                          goods[i].want_len);
}

struct bad {
    const char *text;
    size_t len;
    enum json_parse_status want;
};

#define BAD(t, st) t, sizeof(t) - 1, JSON_PARSE_##st

static const struct bad bads[] = {
    {BAD("", INVALID)},
    {BAD(" \n", INVALID)},
    /* Trailing bytes. */
    {BAD("{\"a\":1} x", INVALID)},
    {BAD("{}{}", INVALID)},
    {BAD("1 2", INVALID)},
    {BAD("[1]]", INVALID)},
    {BAD("\"a\"\"b\"", INVALID)},
    {BAD("truex", INVALID)},
    {BAD("{}\x00", INVALID)},
    /* Truncated. */
    {BAD("{", INVALID)},
    {BAD("[1,", INVALID)},
    {BAD("{\"a\":", INVALID)},
    {BAD("{\"a\"", INVALID)},
    {BAD("\"abc", INVALID)},
    {BAD("\"abc\\", INVALID)},
    {BAD("\"\\u12", INVALID)},
    {BAD("tru", INVALID)},
    {BAD("-", INVALID)},
    /* Grammar. */
    {BAD("[1,]", INVALID)},
    {BAD("{\"a\":1,}", INVALID)},
    {BAD("[1 2]", INVALID)},
    {BAD("{a:1}", INVALID)},
    {BAD("{'a':1}", INVALID)},
    {BAD("{\"a\" 1}", INVALID)},
    {BAD("{\"a\":1 \"b\":2}", INVALID)},
    {BAD("[,1]", INVALID)},
    {BAD(":", INVALID)},
    {BAD("/* c */ 1", INVALID)},
    {BAD("1 // c", INVALID)},
    /* What json-c's strict mode would still take. */
    {BAD("NaN", INVALID)},
    {BAD("Infinity", INVALID)},
    {BAD("-Infinity", INVALID)},
    {BAD("[NaN]", INVALID)},
    {BAD("True", INVALID)},
    {BAD("nul", INVALID)},
    {BAD("01", INVALID)},
    {BAD("-01", INVALID)},
    {BAD("[-01]", INVALID)},
    {BAD("00", INVALID)},
    {BAD("1.", INVALID)},
    {BAD("[1.]", INVALID)},
    {BAD("-.5", INVALID)},
    {BAD(".5", INVALID)},
    {BAD("+1", INVALID)},
    {BAD("1e", INVALID)},
    {BAD("1e+", INVALID)},
    {BAD("1.e5", INVALID)},
    {BAD("0x10", INVALID)},
    {BAD("\"a\tb\"", INVALID)},
    {BAD("\"a\nb\"", INVALID)},
    {BAD("\"\\x41\"", INVALID)},
    {BAD("\"\\U0041\"", INVALID)},
    {BAD("\"\\u00G1\"", INVALID)},
    /* NUL bytes, and U+0000 in a key (json-c would cut the key there). */
    {BAD("\x00", INVALID)},
    {BAD("\"a\x00"
         "b\"",
         INVALID)},
    {BAD("[1,\x00]", INVALID)},
    {BAD("{\"a\\u0000\":1}", INVALID)},
    {BAD("{\"a\\u0000b\" :1}", INVALID)},
    /* A BOM is not whitespace to JSON.parse. */
    {BAD("\xef\xbb\xbf{}", INVALID)},
    /* UTF-8 that is not well-formed. */
    {BAD("\"\xc0\x80\"", BAD_UTF8)},
    {BAD("\"\xc1\xbf\"", BAD_UTF8)},
    {BAD("\"\xe0\x80\xaf\"", BAD_UTF8)},
    {BAD("\"\xe0\x9f\xbf\"", BAD_UTF8)},
    {BAD("\"\xf0\x80\x80\xaf\"", BAD_UTF8)},
    {BAD("\"\xf0\x8f\xbf\xbf\"", BAD_UTF8)},
    {BAD("\"\xed\xa0\x80\"", BAD_UTF8)},
    {BAD("\"\xed\xbf\xbf\"", BAD_UTF8)},
    {BAD("\"\xf4\x90\x80\x80\"", BAD_UTF8)},
    {BAD("\"\xf5\x80\x80\x80\"", BAD_UTF8)},
    {BAD("\"\xf8\x88\x80\x80\x80\"", BAD_UTF8)},
    {BAD("\"\xfe\xff\"", BAD_UTF8)},
    {BAD("\"\x80\"", BAD_UTF8)},
    {BAD("\"\xbf\"", BAD_UTF8)},
    {BAD("\"\xc3\"", BAD_UTF8)},
    {BAD("\"\xc3", BAD_UTF8)},
    {BAD("\"\xe2\x82\"", BAD_UTF8)},
    {BAD("\"\xe2\x82", BAD_UTF8)},
    {BAD("\"\xf0\x9f\x98\"", BAD_UTF8)},
    {BAD("\"\xc3\xa9\xc3\"", BAD_UTF8)},
    {BAD("\xff", BAD_UTF8)},
    {BAD("{\"\xc0\xaf\":1}", BAD_UTF8)},
};

Test(json, rejects_bad_input_with_the_right_status)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(bads); i++) {
        struct json_object *o = (struct json_object *)1;
        enum json_parse_status st =
            json_parse(arena, bads[i].text, bads[i].len, &o);

        cr_assert_eq(st, bads[i].want, "row %zu (%.*s): got %d, %s", i,
                     (int)bads[i].len, bads[i].text, st, json_parse_error());
        cr_assert_null(o, "row %zu", i);
        cr_assert_neq(json_parse_error()[0], '\0', "row %zu", i);
    }
}

Test(json, rejects_trailing_garbage)
{
    struct json_object *o;

    cr_assert_eq(json_parse(arena, "{\"a\":1}x", 8, &o), JSON_PARSE_INVALID);
    cr_assert_eq(json_parse(arena, "{\"a\":1} \n", 9, &o), JSON_PARSE_OK);
}

Test(json, reads_only_the_given_length)
{
    struct json_object *o;

    /* A number has no end of its own; len must be its end. */
    cr_assert_eq(json_parse(arena, "12345", 3, &o), JSON_PARSE_OK);
    cr_assert_eq(json_object_get_int64(o), 123);
    cr_assert_eq(json_parse(arena, "[1]garbage", 3, &o), JSON_PARSE_OK);
}

static char *
nested(char open, char close, int depth, size_t *len)
{
    char *s = arena_alloc(arena, (size_t)depth * 2);

    memset(s, open, (size_t)depth);
    memset(s + depth, close, (size_t)depth);
    *len = (size_t)depth * 2;
    return s;
}

Test(json, rejects_nesting_deeper_than_the_limit)
{
    struct json_object *o;
    size_t len;
    char *s;

    s = nested('[', ']', JSON_MAX_DEPTH, &len);
    cr_assert_eq(json_parse(arena, s, len, &o), JSON_PARSE_OK);
    s = nested('[', ']', JSON_MAX_DEPTH + 1, &len);
    cr_assert_eq(json_parse(arena, s, len, &o), JSON_PARSE_TOO_DEEP);
    s = nested('[', ']', 100000, &len);
    cr_assert_eq(json_parse(arena, s, len, &o), JSON_PARSE_TOO_DEEP);
    /* Unclosed too: the depth is found before the truncation. */
    cr_assert_eq(json_parse(arena, s, len / 2, &o), JSON_PARSE_TOO_DEEP);
}

Test(json, counts_object_nesting_too)
{
    char text[JSON_MAX_DEPTH * 8 + 8];
    struct json_object *o;
    size_t n = 0;

    for (int i = 0; i < JSON_MAX_DEPTH + 1; i++) {
        memcpy(text + n, "{\"a\":", 5);
        n += 5;
    }
    text[n++] = '1';
    memset(text + n, '}', JSON_MAX_DEPTH + 1);
    n += JSON_MAX_DEPTH + 1;
    cr_assert_eq(json_parse(arena, text, n, &o), JSON_PARSE_TOO_DEEP);
    /* Drop the outermost level and it fits. */
    cr_assert_eq(json_parse(arena, text + 5, n - 6, &o), JSON_PARSE_OK);
}

/* n copies of unit in an array, separated by commas (malloc'd). */
static char *
repeat(const char *unit, size_t n, size_t *len)
{
    size_t ul = strlen(unit), i, p = 0;
    char *text = malloc(n * (ul + 1) + 3);

    cr_assert_not_null(text);
    text[p++] = '[';
    for (i = 0; i < n; i++) {
        if (i > 0)
            text[p++] = ',';
        memcpy(text + p, unit, ul);
        p += ul;
    }
    text[p++] = ']';
    *len = p;
    return text;
}

/* What malloc has handed out and not taken back: the sanitizer's count in
 * a sanitized build (it asks for the same bytes, not the same chunks). */
static size_t
heap_in_use(void)
{
#ifdef HAVE_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();

    return m.uordblks + m.hblkhd;
#endif
}

/* pre, then n copies of unit (a format taking the index up to three
 * times) separated by commas, then post (malloc'd). */
static char *
fill(const char *pre, const char *unit, const char *post, size_t n, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);

    cr_assert_not_null(f);
    fputs(pre, f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            fputc(',', f);
        fprintf(f, unit, (int)i, (int)i, (int)i);
    }
    fputs(post, f);
    cr_assert_eq(fclose(f), 0);
    return text;
}

/* The heap json_parse() takes for text, parsed into an arena with room for
 * its scratch bytes and hooks in the first block. */
static size_t
parsed_bytes(const char *text, size_t len, enum json_parse_status want)
{
    struct arena *a = arena_create((size_t)4 << 20, (size_t)64 << 20);
    struct json_object *o;
    size_t before, after;

    cr_assert_not_null(a);
    before = heap_in_use();
    cr_assert_eq(json_parse(a, text, len, &o), want, "%.40s...: %s", text,
                 json_parse_error());
    after = heap_in_use();
    arena_destroy(a);
    return after - before;
}

/* json-c's memory is bounded by the scan: 1 MiB of empty objects would be
 * some 270 MB of them; a batch of 10 000 users with metadata is parsed. */
Test(json, values_that_would_cost_too_much_memory_are_refused)
{
    struct json_object *o;
    size_t len;
    char *text = repeat("{}", 350000, &len);

    cr_assert_eq(json_parse(arena, text, len, &o), JSON_PARSE_TOO_BIG);
    free(text);
    text = repeat("[]", 1 << 19, &len);
    cr_assert_eq(json_parse(arena, text, len, &o), JSON_PARSE_TOO_BIG);
    free(text);
    text = repeat("{\"id\":\"user-000001\",\"name\":\"A Name\",\"email\":"
                  "\"a@example.com\",\"metadata\":{\"plan\":\"pro\","
                  "\"seats\":3,\"beta\":true}}",
                  10000, &len);
    cr_assert_eq(json_parse(arena, text, len, &o), JSON_PARSE_OK);
    free(text);
}

/* json-c's own objects start with a table of 16 entries, 790 bytes. */
Test(json, an_empty_object_costs_under_200_bytes)
{
    size_t len;
    char *text = repeat("{}", 4000, &len);
    size_t bytes = parsed_bytes(text, len, JSON_PARSE_OK);

    cr_assert_lt(bytes / 4000, 200, "%zu bytes an object", bytes / 4000);
    free(text);
}

Test(json, the_budget_is_sixteen_times_the_text_between_4_and_64_mib)
{
    cr_assert_eq(json_cost_budget(0), (size_t)16 << 20);
    cr_assert_eq(json_cost_budget((size_t)256 << 10), (size_t)16 << 20);
    cr_assert_eq(json_cost_budget((size_t)1 << 20), (size_t)16 << 20);
    cr_assert_eq(json_cost_budget((size_t)4 << 20), (size_t)64 << 20);
    cr_assert_eq(json_cost_budget((size_t)10 << 20), (size_t)64 << 20);
    cr_assert_eq(json_cost_budget(SIZE_MAX), (size_t)64 << 20);
}

/* The shapes that cost the most per byte, under the budget's floor, and
 * what heavy bodies look like: the count is what json-c really takes,
 * within a few per cent. */
Test(json, the_cost_counted_bounds_what_json_c_allocates)
{
    static const struct {
        const char *pre, *unit, *post;
        size_t n;
    } shapes[] = {
        {"[", "{}", "]", 4000},
        {"[", "[]", "]", 4000},
        {"[", "1", "]", 4000},
        {"[", "-1.5e3", "]", 4000},
        {"[", "true", "]", 4000},
        {"[", "null", "]", 4000},
        {"[", "\"\"", "]", 4000},
        {"[", "\"\\u00e9\\ud83d\\ude00\\n\"", "]", 4000},
        {"[", "123456789012345678901234567890", "]", 4000},
        {"[", "[[[[[[[[{}]]]]]]]]", "]", 1000},
        {"{", "\"k%d\":{}", "}", 4000},
        {"{", "\"k%d\":1", "}", 4000},
        {"[", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", "]", 1000},
        {"{\"users\":[",
         "{\"id\":\"u-%d\",\"email\":\"u%d@example.com\",\"name\":"
         "\"User %d\",\"metadata\":{\"plan\":\"pro\",\"seats\":3}}",
         "]}", 3000},
        {"{\"id\":\"u\",\"metadata\":{", "\"key_%06d\":\"value_%06d\"", "}}",
         4000},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(shapes); i++) {
        size_t len, real, counted;
        char *text = fill(shapes[i].pre, shapes[i].unit, shapes[i].post,
                          shapes[i].n, &len);

        counted = json_cost(text, len);
        real = parsed_bytes(text, len, JSON_PARSE_OK);
        /* malloc may hand a freed chunk 16 bytes larger than asked for. */
        cr_assert_leq(real, counted + counted / 16,
                      "%s%s%s: %zu bytes, counted %zu", shapes[i].pre,
                      shapes[i].unit, shapes[i].post, real, counted);
#ifndef HAVE_ASAN
        cr_assert_lt(counted, real + real / 2 + 65536,
                     "%s%s%s: %zu bytes, counted %zu", shapes[i].pre,
                     shapes[i].unit, shapes[i].post, real, counted);
#endif
        free(text);
    }
    cr_assert_eq(json_cost("[1,]", 4), SIZE_MAX);
}

/* The worst bodies of 1 MiB, the default CORDGATE_MAX_BODY: each would
 * cost 20 to 80 times its length; 64 MiB let all but the first through. */
Test(json, dense_bodies_are_refused_by_their_length)
{
    static const struct {
        const char *pre, *unit, *post;
    } shapes[] = {
        {"[", "{}", "]"},
        {"[", "1", "]"},
        {"[", "[]", "]"},
        {"[", "\"\"", "]"},
        {"{", "\"%d\":{}", "}"},
        {"{", "\"%d\":1", "}"},
        /* 64 levels, the most allowed, and again. */
        {"[",
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         "]"},
        /* 63 levels, then wide. */
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
         "{}",
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
    };
    struct arena *a = arena_create(4096, (size_t)64 << 20);
    struct json_object *o;

    cr_assert_not_null(a);
    for (size_t i = 0; i < CG_ARRAY_LEN(shapes); i++) {
        size_t len, one, two, n;
        char *text;

        /* As many units as make 1 MiB (keys grow with their index). */
        free(fill(shapes[i].pre, shapes[i].unit, shapes[i].post, 1, &one));
        free(fill(shapes[i].pre, shapes[i].unit, shapes[i].post, 2, &two));
        n = ((1 << 20) - one) / (two - one) + 1;
        while ((text = fill(shapes[i].pre, shapes[i].unit, shapes[i].post, n,
                            &len)) != NULL &&
               len > 1 << 20) {
            free(text);
            n -= n / 50;
        }
        cr_assert_eq(json_parse(a, text, len, &o), JSON_PARSE_TOO_BIG,
                     "%s%s%s: %s", shapes[i].pre, shapes[i].unit,
                     shapes[i].post, json_parse_error());
        cr_assert_gt(json_cost(text, len), json_cost_budget(len));
        free(text);
    }
    arena_destroy(a);
}

/* What the budget is set by: the biggest batch Cord allows, with metadata;
 * the smallest full batch; a user whose metadata fills 1 MiB.  Each is
 * parsed, and costs what it was counted to. */
Test(json, heavy_legitimate_bodies_fit)
{
    static const struct {
        const char *pre, *unit, *post;
        size_t n, limit;
    } bodies[] = {
        {"{\"users\":[",
         "{\"id\":\"user-%d\",\"email\":\"user-%d@example.com\",\"name\":"
         "\"User %d\",\"metadata\":{\"plan\":\"pro\",\"seats\":3,\"beta\":"
         "true}}",
         "],\"groups\":[]}", 10000, 10 << 20},
        {"{\"groups\":[",
         "{\"id\":\"group-%d\",\"name\":\"Group %d\",\"metadata\":{\"tier\":"
         "\"gold\",\"n\":%d},\"members\":[\"user-1\",\"user-2\",\"user-3\","
         "\"user-4\",\"user-5\",\"user-6\",\"user-7\",\"user-8\",\"user-9\","
         "\"user-10\"]}",
         "]}", 1000, 10 << 20},
        {"{\"users\":[", "{\"id\":\"%d\"}", "]}", 10001, 10 << 20},
        {"{\"email\":\"a@example.com\",\"metadata\":{",
         "\"key_%06d\":\"value_%06d\"", "}}", 37000, 1 << 20},
        {"{\"email\":\"a@example.com\",\"metadata\":{", "\"key_%06d\":%d", "}}",
         50000, 1 << 20},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(bodies); i++) {
        size_t len, cost;
        char *text = fill(bodies[i].pre, bodies[i].unit, bodies[i].post,
                          bodies[i].n, &len);

        cr_assert_leq(len, bodies[i].limit);
        cost = json_cost(text, len);
        cr_assert_leq(cost, json_cost_budget(len), "row %zu: %zu of %zu", i,
                      cost, json_cost_budget(len));
        cr_assert_leq(parsed_bytes(text, len, JSON_PARSE_OK), cost + cost / 16);
        free(text);
    }
}

Test(json, big_integers_become_numbers_not_saturated_ints)
{
    struct json_object *o;

    cr_assert_eq(json_parse(arena, "1000000000000000000000000000000", 31, &o),
                 JSON_PARSE_OK);
    cr_assert(json_is_number(o));
    cr_assert_float_eq(json_number(o), 1e30, 1e15);
    cr_assert_eq(json_parse(arena, "-1000000000000000000000000000000", 32, &o),
                 JSON_PARSE_OK);
    cr_assert_float_eq(json_number(o), -1e30, 1e15);
    cr_assert_eq(json_parse(arena, "18446744073709551615", 20, &o),
                 JSON_PARSE_OK);
    cr_assert_float_eq(json_number(o), 18446744073709551615.0, 1);
    cr_assert_eq(json_parse(arena, "9223372036854775807", 19, &o),
                 JSON_PARSE_OK);
    cr_assert_eq(json_object_get_int64(o), INT64_MAX);
    cr_assert_eq(json_parse(arena, "-9223372036854775808", 20, &o),
                 JSON_PARSE_OK);
    cr_assert_eq(json_object_get_int64(o), INT64_MIN);
    cr_assert_eq(json_parse(arena, "1e999", 5, &o), JSON_PARSE_OK);
    cr_assert(isinf(json_number(o)));
}

Test(json, getters_check_the_type_and_never_coerce)
{
    static const char text[] = "{\"s\":\"1\",\"n\":1,\"d\":2.5,\"b\":true,"
                               "\"z\":null,\"o\":{},\"a\":[],\"nul\":\"a"
                               "\\u0000b\"}";
    struct json_object *o, *v;
    struct str s;

    cr_assert_eq(json_parse(arena, text, sizeof(text) - 1, &o), JSON_PARSE_OK);
    cr_assert(json_get_string(o, "s", &s));
    cr_assert(str_eq_cstr(s, "1"));
    cr_assert_not(json_get_string(o, "n", &s));
    cr_assert_not(json_get_string(o, "z", &s));
    cr_assert_not(json_get_string(o, "missing", &s));
    cr_assert(json_get_string(o, "nul", &s));
    cr_assert_eq(s.len, 3);
    cr_assert(memcmp(s.p, "a\0b", 3) == 0);

    /* null is present; absent is not. */
    v = (struct json_object *)1;
    cr_assert(json_get(o, "z", &v));
    cr_assert_null(v);
    cr_assert_not(json_get(o, "missing", &v));

    cr_assert(json_is_number(json_object_object_get(o, "n")));
    cr_assert(json_is_number(json_object_object_get(o, "d")));
    cr_assert_not(json_is_number(json_object_object_get(o, "s")));
    cr_assert_not(json_is_number(NULL));
    cr_assert_eq(json_number(json_object_object_get(o, "s")), 0);
}

Test(json, getters_on_a_non_object_find_nothing)
{
    struct json_object *o;
    struct str s;

    cr_assert_eq(json_parse(arena, "[\"s\"]", 5, &o), JSON_PARSE_OK);
    cr_assert_not(json_get_string(o, "0", &s));
    cr_assert_not(json_get_string(NULL, "s", &s));
    cr_assert_eq(json_parse(arena, "\"s\"", 3, &o), JSON_PARSE_OK);
    cr_assert(json_string(o, &s));
    cr_assert(str_eq_cstr(s, "s"));
    cr_assert_not(json_get_string(o, "s", &s));
}

Test(json, null_parses_to_a_null_pointer)
{
    struct json_object *o = (struct json_object *)1;

    cr_assert_eq(json_parse(arena, " null ", 6, &o), JSON_PARSE_OK);
    cr_assert_null(o);
}

Test(json, out_of_arena_memory_is_nomem_and_leaks_nothing)
{
    struct arena *tiny = arena_create(64, 0);
    struct json_object *o = (struct json_object *)1;

    cr_assert_not_null(tiny);
    cr_assert_not_null(arena_alloc(tiny, 64));
    /* No room for the cleanup hook (no block beyond the first, which is
     * full): the value must be put right away. */
    cr_assert_eq(json_parse(tiny, "{\"a\":[1,2,3]}", 13, &o), JSON_PARSE_NOMEM);
    cr_assert_null(o);
    /* No room for the copy that turns big integers into doubles. */
    cr_assert_eq(json_parse(tiny, "100000000000000000000", 21, &o),
                 JSON_PARSE_NOMEM);
    arena_destroy(tiny);
}

Test(json, writes_values_built_in_code)
{
    struct json_object *o = json_object_new_object();
    struct buf b;

    buf_init(&b, arena, 1024);
    json_object_object_add(o, "z", json_object_new_double(0.1 + 0.2));
    json_object_object_add(o, "nan", json_object_new_double(NAN));
    json_object_object_add(o, "u", json_object_new_uint64(UINT64_MAX));
    json_object_object_add(o, "i", json_object_new_int64(-42));
    json_object_object_add(o, "t\"\n", json_object_new_string("\x01\x1f"));
    json_object_object_add(o, "n", NULL);
    cr_assert_eq(json_write_compact(&b, o), 0);
    cr_assert_str_eq(b.data, "{\"z\":0.30000000000000004,\"nan\":null,"
                             "\"u\":18446744073709552000,\"i\":-42,"
                             "\"t\\\"\\n\":\"\\u0001\\u001f\",\"n\":null}");
    json_object_put(o);
}

Test(json, write_that_does_not_fit_leaves_the_buffer_as_it_was)
{
    struct json_object *o;
    struct buf b;

    buf_init(&b, arena, 10);
    cr_assert_eq(buf_append_str(&b, "ab"), 0);
    cr_assert_eq(json_parse(arena, "[\"0123456789\"]", 14, &o), JSON_PARSE_OK);
    cr_assert_eq(json_write_compact(&b, o), -1);
    cr_assert_eq(b.len, 2);
    cr_assert_str_eq(b.data, "ab");
}

Test(json, parsed_values_are_released_by_arena_reset)
{
    struct json_object *o;

    for (int i = 0; i < 100; i++) {
        cr_assert_eq(json_parse(arena, "{\"a\":[1,{\"b\":\"c\"}]}", 19, &o),
                     JSON_PARSE_OK);
        arena_reset(arena);
    }
}

Test(json, utf8_check_follows_rfc3629)
{
    static const struct {
        const char *s;
        size_t n;
        bool valid;
    } rows[] = {
#define U(s, ok) s, sizeof(s) - 1, ok
        {U("", true)},
        {U("plain", true)},
        {U("a\x00"
           "b",
           true)},
        {U("\xc3\xa9", true)},
        {U("\xe2\x82\xac", true)},
        {U("\xf0\x9f\x98\x80", true)},
        {U("\xed\x9f\xbf", true)},      /* U+D7FF */
        {U("\xee\x80\x80", true)},      /* U+E000 */
        {U("\xf4\x8f\xbf\xbf", true)},  /* U+10FFFF */
        {U("\xc0\x80", false)},         /* overlong NUL */
        {U("\xc1\xbf", false)},         /* overlong */
        {U("\xe0\x9f\xbf", false)},     /* overlong */
        {U("\xf0\x8f\xbf\xbf", false)}, /* overlong */
        {U("\xed\xa0\x80", false)},     /* U+D800 */
        {U("\xed\xbf\xbf", false)},     /* U+DFFF */
        {U("\xf4\x90\x80\x80", false)}, /* U+110000 */
        {U("\xf5\x80\x80\x80", false)}, /* lead byte beyond F4 */
        {U("\xff", false)},
        {U("\x80", false)},      /* lone continuation */
        {U("a\xc3", false)},     /* truncated at the end */
        {U("\xe2\x82x", false)}, /* truncated in the middle */
        {U("\xf0\x9f\x98", false)},
#undef U
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(rows); i++)
        cr_assert_eq(json_utf8_is_valid(rows[i].s, rows[i].n), rows[i].valid,
                     "row %zu", i);
}

Test(json, truthiness_is_javascripts)
{
    static const struct {
        const char *text;
        bool truthy;
    } rows[] = {
        {"null", false},   {"false", false}, {"0", false},    {"-0", false},
        {"0.0", false},    {"\"\"", false},  {"true", true},  {"1", true},
        {"-1e-300", true}, {"\"0\"", true},  {"\" \"", true}, {"[]", true},
        {"{}", true},      {"1e400", true},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(rows); i++) {
        struct json_object *o;

        cr_assert_eq(json_parse(arena, rows[i].text, strlen(rows[i].text), &o),
                     JSON_PARSE_OK);
        cr_assert_eq(json_is_truthy(o), rows[i].truthy, "%s", rows[i].text);
    }
}
