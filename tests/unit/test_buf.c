/* Unit tests for capped buffers and JSON string escaping. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/compiler.h"

static struct arena *arena;

static void
setup(void)
{
    arena = arena_create(4096, 16 << 20);
    cr_assert_not_null(arena);
}

static void
teardown(void)
{
    arena_destroy(arena);
}

TestSuite(buf, .init = setup, .fini = teardown);

/* b holds exactly the n bytes at want, followed by a NUL. */
static void
assert_holds(const struct buf *b, const char *want, size_t n)
{
    cr_assert_eq(b->len, n, "length %zu, want %zu", b->len, n);
    cr_assert_not_null(b->data);
    cr_assert(memcmp(b->data, want, n) == 0, "contents \"%.*s\"", (int)b->len,
              b->data);
    cr_assert_eq(b->data[n], '\0', "NUL-terminated");
}

Test(buf, starts_empty)
{
    struct buf b;
    struct str s;

    buf_init(&b, arena, 100);
    cr_assert_eq(b.len, 0);
    s = buf_str(&b);
    cr_assert_str_eq(s.p, "");
    cr_assert_eq(s.len, 0);
    buf_clear(&b); /* on a buffer that never allocated */
    cr_assert_eq(b.len, 0);
}

Test(buf, append_grows_and_keeps_every_byte)
{
    struct buf b;
    char want[10000];

    buf_init(&b, arena, 1 << 20);
    for (size_t i = 0; i < 1000; i++) {
        cr_assert_eq(buf_append(&b, "abcdefghij", 10), 0, "append %zu", i);
        memcpy(want + i * 10, "abcdefghij", 10);
        cr_assert_eq(b.data[b.len], '\0');
    }
    assert_holds(&b, want, sizeof(want));
    cr_assert_geq(b.cap, b.len + 1);
}

Test(buf, append_str_char_and_printf_concatenate)
{
    struct buf b;

    buf_init(&b, arena, 100);
    cr_assert_eq(buf_append_str(&b, "id="), 0);
    cr_assert_eq(buf_printf(&b, "%d/%s", 42, "x"), 0);
    cr_assert_eq(buf_append_char(&b, '!'), 0);
    cr_assert_eq(buf_append(&b, "", 0), 0);
    cr_assert_eq(buf_printf(&b, "%s", ""), 0);
    assert_holds(&b, "id=42/x!", 8);
}

Test(buf, printf_grows_past_the_first_allocation)
{
    struct buf b;
    char want[5001];

    buf_init(&b, arena, 1 << 20);
    cr_assert_eq(buf_append_str(&b, "<"), 0);
    cr_assert_eq(buf_printf(&b, "%05000d", 7), 0);
    want[0] = '<';
    memset(want + 1, '0', 4999);
    want[5000] = '7';
    assert_holds(&b, want, sizeof(want));
}

Test(buf, binary_bytes_and_embedded_nul_are_kept)
{
    struct buf b;

    buf_init(&b, arena, 100);
    cr_assert_eq(buf_append(&b, "a\0b\xff", 4), 0);
    cr_assert_eq(buf_append_char(&b, '\0'), 0);
    assert_holds(&b, "a\0b\xff\0", 5);
    cr_assert_eq(buf_str(&b).len, 5);
}

Test(buf, fills_to_the_cap_exactly)
{
    struct buf b;

    buf_init(&b, arena, 10);
    cr_assert_eq(buf_append_str(&b, "12345"), 0);
    cr_assert_eq(buf_append_str(&b, "67890"), 0);
    assert_holds(&b, "1234567890", 10);
    cr_assert_eq(buf_append(&b, "", 0), 0, "nothing more still fits");
    cr_assert_eq(buf_append_char(&b, 'x'), -1);
    assert_holds(&b, "1234567890", 10);
}

/* Each way to append, crossing a cap of 10 from 7 bytes in. */
Test(buf, append_crossing_the_cap_fails_and_leaves_the_buffer_unchanged)
{
    struct buf b;

    buf_init(&b, arena, 10);
    cr_assert_eq(buf_append_str(&b, "1234567"), 0);
    cr_assert_eq(buf_append(&b, "abcd", 4), -1);
    assert_holds(&b, "1234567", 7);
    cr_assert_eq(buf_append_str(&b, "abcdefgh"), -1);
    assert_holds(&b, "1234567", 7);
    cr_assert_eq(buf_printf(&b, "%d", 1234), -1);
    assert_holds(&b, "1234567", 7);
    cr_assert_eq(buf_append(&b, "x", SIZE_MAX), -1, "no overflow");
    assert_holds(&b, "1234567", 7);
    cr_assert_eq(buf_printf(&b, "%d", 123), 0);
    assert_holds(&b, "1234567123", 10);
}

Test(buf, append_bigger_than_the_cap_fails_on_an_empty_buffer)
{
    struct buf b;

    buf_init(&b, arena, 4);
    cr_assert_eq(buf_append_str(&b, "abcde"), -1);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(buf_str(&b).len, 0);
    cr_assert_str_eq(buf_str(&b).p, "");
}

Test(buf, arena_exhaustion_fails_the_append_and_keeps_the_contents)
{
    struct arena *small = arena_create(64, 1024);
    struct buf b;
    size_t n = 0;

    buf_init(&b, small, 1 << 20);
    while (buf_append(&b, "0123456789", 10) == 0)
        n += 10;
    cr_assert_gt(n, 0);
    cr_assert_lt(n, 1024);
    cr_assert_eq(b.len, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(b.data[i], "0123456789"[i % 10], "byte %zu", i);
    cr_assert_eq(b.data[n], '\0');
    arena_destroy(small);
}

Test(buf, clear_empties_but_keeps_the_cap)
{
    struct buf b;

    buf_init(&b, arena, 6);
    cr_assert_eq(buf_append_str(&b, "abcdef"), 0);
    buf_clear(&b);
    assert_holds(&b, "", 0);
    cr_assert_eq(buf_append_str(&b, "ghijkl"), 0);
    assert_holds(&b, "ghijkl", 6);
    cr_assert_eq(buf_append_char(&b, 'm'), -1);
}

/* Escapes as JavaScript's JSON.stringify writes them. */
struct json_vector {
    const char *in;
    size_t len;
    const char *out;
};

#define V(in, out)                                                             \
    {                                                                          \
        in, sizeof(in) - 1, out                                                \
    }

static const struct json_vector json_vectors[] = {
    V("", "\"\""),
    V("plain text", "\"plain text\""),
    V("\"", "\"\\\"\""),
    V("\\", "\"\\\\\""),
    V("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""),
    V("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""),
    V("C:\\dir\\", "\"C:\\\\dir\\\\\""),
    V("\x01", "\"\\u0001\""),
    V("\x0b", "\"\\u000b\""),
    V("\x1b[0m", "\"\\u001b[0m\""),
    V("\x1f", "\"\\u001f\""),
    V("a\0b", "\"a\\u0000b\""),
    V("\0", "\"\\u0000\""),
    V(" ", "\" \""),
    V("\x7f", "\"\x7f\""),
    V("/</script>", "\"/</script>\""),
    V("'single'", "\"'single'\""),
    V("caf\xc3\xa9", "\"caf\xc3\xa9\""),
    V("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\""),
    V("\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""),
    V("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),
    V("\x1e\"\\\x7f\xc3\xa9\t", "\"\\u001e\\\"\\\\\x7f\xc3\xa9\\t\""),
};

Test(buf, json_string_escapes_like_json_stringify)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(json_vectors); i++) {
        const struct json_vector *v = &json_vectors[i];
        struct buf b;

        buf_init(&b, arena, 1024);
        cr_assert_eq(buf_append_json_string(&b, v->in, v->len), 0, "vector %zu",
                     i);
        cr_assert_eq(b.len, strlen(v->out), "vector %zu: %s", i, b.data);
        cr_assert_str_eq(b.data, v->out, "vector %zu", i);
    }
}

Test(buf, json_string_escapes_every_control_character)
{
    static const char *const named[32] = {
        ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
        ['\r'] = "\\r", ['\t'] = "\\t",
    };

    for (int c = 0; c < 0x20; c++) {
        char in = (char)c, want[16];
        struct buf b;

        if (named[c] != NULL)
            snprintf(want, sizeof(want), "\"%s\"", named[c]);
        else
            snprintf(want, sizeof(want), "\"\\u%04x\"", (unsigned)c);
        buf_init(&b, arena, 64);
        cr_assert_eq(buf_append_json_string(&b, &in, 1), 0);
        cr_assert_str_eq(b.data, want, "character 0x%02x", (unsigned)c);
    }
}

Test(buf, json_string_copies_printable_and_high_bytes_unchanged)
{
    for (int c = 0x20; c < 0x100; c++) {
        char in = (char)c, want[4] = {'"', (char)c, '"', '\0'};
        struct buf b;

        if (c == '"' || c == '\\')
            continue;
        buf_init(&b, arena, 64);
        cr_assert_eq(buf_append_json_string(&b, &in, 1), 0);
        assert_holds(&b, want, 3);
    }
}

Test(buf, json_string_uses_the_given_length_not_the_nul)
{
    struct buf b;

    buf_init(&b, arena, 64);
    cr_assert_eq(buf_append_json_string(&b, "abcdef", 3), 0);
    assert_holds(&b, "\"abc\"", 5);
}

Test(buf, json_string_appends_after_existing_contents)
{
    struct buf b;

    buf_init(&b, arena, 64);
    cr_assert_eq(buf_append_str(&b, "{\"k\":"), 0);
    cr_assert_eq(buf_append_json_string(&b, "v\n", 2), 0);
    cr_assert_eq(buf_append_char(&b, '}'), 0);
    assert_holds(&b, "{\"k\":\"v\\n\"}", 11);
}

Test(buf, json_string_that_fits_exactly_succeeds)
{
    struct buf b;

    /* "\"a\\nb\"": quote, a, backslash, n, b, quote. */
    buf_init(&b, arena, 6);
    cr_assert_eq(buf_append_json_string(&b, "a\nb", 3), 0);
    assert_holds(&b, "\"a\\nb\"", 6);
}

Test(buf, json_string_over_the_cap_fails)
{
    struct buf b;

    buf_init(&b, arena, 5);
    cr_assert_eq(buf_append_json_string(&b, "a\nb", 3), -1);
    cr_assert_leq(b.len, 5);
    cr_assert_eq(b.data[b.len], '\0');
}

/* An escaped string that crosses the cap leaves nothing half-written. */
Test(buf, json_string_over_the_cap_leaves_the_buffer_unchanged)
{
    struct buf b;

    buf_init(&b, arena, 8);
    cr_assert_eq(buf_append_str(&b, "[1,"), 0);
    cr_assert_eq(buf_append_json_string(&b, "abc\ndef", 7), -1);
    assert_holds(&b, "[1,", 3);
}
