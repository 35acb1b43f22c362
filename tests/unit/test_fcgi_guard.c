/* Unit tests for the FastCGI record check (fcgi_guard.h). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "cordgate/fcgi_guard.h"

/* A request being written: records appended to data. */
struct stream {
    unsigned char data[1 << 16];
    size_t len;
};

static void
record(struct stream *s, int type, unsigned id, const void *body, size_t n,
       size_t pad)
{
    unsigned char *h = s->data + s->len;

    h[0] = 1;
    h[1] = (unsigned char)type;
    h[2] = (unsigned char)(id >> 8);
    h[3] = (unsigned char)id;
    h[4] = (unsigned char)(n >> 8);
    h[5] = (unsigned char)n;
    h[6] = (unsigned char)pad;
    h[7] = 0;
    memcpy(h + 8, body, n);
    memset(h + 8 + n, 0, pad);
    s->len += 8 + n + pad;
}

static void
begin(struct stream *s, unsigned id)
{
    static const unsigned char body[8] = {0, 1, 1};

    record(s, 1, id, body, sizeof(body), 0);
}

/* A name/value pair, each length in its 1- or 4-byte form. */
static size_t
pair(unsigned char *dst, const char *name, const char *value, bool wide)
{
    size_t nl = strlen(name), vl = strlen(value), n = 0;

    if (wide) {
        dst[n++] = (unsigned char)(0x80 | nl >> 24);
        dst[n++] = (unsigned char)(nl >> 16);
        dst[n++] = (unsigned char)(nl >> 8);
        dst[n++] = (unsigned char)nl;
        dst[n++] = (unsigned char)(0x80 | vl >> 24);
        dst[n++] = (unsigned char)(vl >> 16);
        dst[n++] = (unsigned char)(vl >> 8);
        dst[n++] = (unsigned char)vl;
    } else {
        dst[n++] = (unsigned char)nl;
        dst[n++] = (unsigned char)vl;
    }
    memcpy(dst + n, name, nl);
    memcpy(dst + n + nl, value, vl);
    return n + nl + vl;
}

/* What nginx sends for a small PUT, with padding to 8 as it pads. */
static void
nginx_request(struct stream *s)
{
    unsigned char p[512];
    size_t n = 0;

    begin(s, 1);
    n += pair(p + n, "REQUEST_METHOD", "PUT", false);
    n += pair(p + n, "REQUEST_URI", "/v1/users/k", true);
    record(s, 4, 1, p, n, (8 - n % 8) % 8);
    record(s, 4, 1, "", 0, 0);
    record(s, 5, 1, "{\"a\":1}", 7, 1);
    record(s, 5, 1, "", 0, 0);
}

/* The whole of s at once, and a byte at a time: the same answer. */
static enum fcgi_guard_status
check_all(const struct stream *s, size_t *used)
{
    struct fcgi_guard g;
    enum fcgi_guard_status st, st1 = FCGI_GUARD_MORE;
    size_t i, u, total = 0;

    fcgi_guard_init(&g);
    st = fcgi_guard_check(&g, s->data, s->len, used);
    fcgi_guard_init(&g);
    for (i = 0; i < s->len && st1 == FCGI_GUARD_MORE; i++) {
        st1 = fcgi_guard_check(&g, s->data + i, 1, &u);
        total += u;
    }
    cr_assert_eq(st1, st, "byte by byte: %d, at once: %d", st1, st);
    cr_assert_eq(total, *used);
    return st;
}

Test(fcgi_guard, a_web_servers_request_passes_to_its_end)
{
    struct stream s = {0};
    size_t used, end;

    nginx_request(&s);
    end = s.len;
    record(&s, 1, 1, "12345678", 8, 0); /* the next request's start */
    cr_assert_eq(check_all(&s, &used), FCGI_GUARD_END);
    cr_assert_eq(used, end);
}

Test(fcgi_guard, a_request_cut_short_is_more)
{
    struct stream s = {0};
    size_t used;

    nginx_request(&s);
    s.len -= 9;
    cr_assert_eq(check_all(&s, &used), FCGI_GUARD_MORE);
    cr_assert_eq(used, s.len);
}

Test(fcgi_guard, abort_ends_the_request)
{
    struct stream s = {0};
    size_t used;

    begin(&s, 7);
    record(&s, 4, 7, "", 0, 0);
    record(&s, 5, 7, "ab", 2, 6);
    record(&s, 2, 7, "", 0, 0);
    cr_assert_eq(check_all(&s, &used), FCGI_GUARD_END);
}

/* Each of these is refused where it comes. */
Test(fcgi_guard, what_no_web_server_sends_is_bad)
{
    static const unsigned char get_values[] = {
        1,   9,   0,   0,   0,   16,  0,   0,   14,  0,   'F', 'C',
        'G', 'I', '_', 'M', 'A', 'X', '_', 'C', 'O', 'N', 'N', 'S'};
    unsigned char p[64];
    struct stream s;
    size_t used, n, bad;
    int k;

    for (k = 0; k < 13; k++) {
        memset(&s, 0, sizeof(s));
        bad = 0;
        switch (k) {
        case 0: /* a management record first */
            memcpy(s.data, get_values, sizeof(get_values));
            s.len = sizeof(get_values);
            break;
        case 1: /* one in the body */
            begin(&s, 1);
            record(&s, 4, 1, "", 0, 0);
            record(&s, 5, 1, "xx", 2, 0);
            bad = s.len;
            memcpy(s.data + s.len, get_values, sizeof(get_values));
            s.len += sizeof(get_values);
            break;
        case 2: /* another version */
            begin(&s, 1);
            s.data[0] = 2;
            break;
        case 3: /* padding after BEGIN_REQUEST */
            record(&s, 1, 1, "12345678", 8, 8);
            break;
        case 4: /* padding after the last PARAMS */
            begin(&s, 1);
            bad = s.len;
            record(&s, 4, 1, "", 0, 8);
            break;
        case 5: /* another request id */
            begin(&s, 1);
            bad = s.len;
            record(&s, 4, 2, "", 0, 0);
            break;
        case 6: /* a second BEGIN_REQUEST */
            begin(&s, 1);
            bad = s.len;
            begin(&s, 1);
            break;
        case 7: /* FCGI_DATA */
            begin(&s, 1);
            record(&s, 4, 1, "", 0, 0);
            bad = s.len;
            record(&s, 8, 1, "x", 1, 0);
            break;
        case 8: /* a length near 2^31 */
            begin(&s, 1);
            n = pair(p, "A", "b", true);
            p[4] = 0xff;
            bad = s.len + 8;
            record(&s, 4, 1, p, n, 0);
            break;
        case 9: /* a pair longer than the parameters */
            begin(&s, 1);
            n = pair(p, "NAME", "value", false);
            p[1] = 100;
            bad = s.len;
            record(&s, 4, 1, p, n, 0);
            record(&s, 4, 1, "", 0, 0);
            bad = s.len - 8;
            break;
        case 10: /* an unknown type of the request */
            begin(&s, 1);
            bad = s.len;
            record(&s, 11, 1, "abc", 3, 5);
            break;
        case 11: /* BEGIN_REQUEST of 16 bytes */
            record(&s, 1, 1, "1234567812345678", 16, 0);
            break;
        case 12: /* ABORT_REQUEST among the parameters */
            begin(&s, 1);
            bad = s.len;
            record(&s, 2, 1, "", 0, 0);
            break;
        }
        cr_assert_eq(check_all(&s, &used), FCGI_GUARD_BAD, "case %d", k);
        cr_assert_leq(used, s.len, "case %d", k);
        cr_assert_geq(used, bad, "case %d: %zu < %zu", k, used, bad);
    }
}

/* A pair's lengths and bytes may span PARAMS records. */
Test(fcgi_guard, pairs_span_records)
{
    unsigned char p[128];
    struct stream s = {0};
    size_t n, used;

    begin(&s, 3);
    n = pair(p, "HTTP_X_LONG_HEADER", "some value", true);
    record(&s, 4, 3, p, 3, 5);
    record(&s, 4, 3, p + 3, 9, 0);
    record(&s, 4, 3, p + 12, n - 12, 0);
    record(&s, 4, 3, "", 0, 0);
    record(&s, 5, 3, "", 0, 0);
    cr_assert_eq(check_all(&s, &used), FCGI_GUARD_END);
}

/* Parameters past FCGI_GUARD_PARAMS_MAX, and a length that cannot fit in
 * what may still come, are refused before the stream ends. */
Test(fcgi_guard, parameters_are_bounded_while_they_come)
{
    static unsigned char chunk[65535];
    unsigned char p[16];
    struct fcgi_guard g;
    struct stream s = {0};
    size_t used, total = 0;
    enum fcgi_guard_status st = FCGI_GUARD_MORE;

    begin(&s, 1);
    /* One name of 2 MiB: its length alone is refused. */
    p[0] = 0x80;
    p[1] = 0x20;
    p[2] = 0;
    p[3] = 0;
    record(&s, 4, 1, p, 4, 4);
    cr_assert_eq(check_all(&s, &used), FCGI_GUARD_BAD);

    /* Many records of a long value, whose length is within the limit: the
     * stream is refused once it is longer. */
    fcgi_guard_init(&g);
    memset(&s, 0, sizeof(s));
    begin(&s, 1);
    p[0] = 1;
    p[1] = 0x80 | (FCGI_GUARD_PARAMS_MAX - 6) >> 24;
    p[2] = (unsigned char)((FCGI_GUARD_PARAMS_MAX - 6) >> 16);
    p[3] = (unsigned char)((FCGI_GUARD_PARAMS_MAX - 6) >> 8);
    p[4] = (unsigned char)(FCGI_GUARD_PARAMS_MAX - 6);
    p[5] = 'N';
    record(&s, 4, 1, p, 6, 2);
    cr_assert_eq(fcgi_guard_check(&g, s.data, s.len, &used), FCGI_GUARD_MORE);
    while (st == FCGI_GUARD_MORE && total < 2 * FCGI_GUARD_PARAMS_MAX) {
        s.len = 0;
        record(&s, 4, 1, chunk, sizeof(chunk), 1);
        st = fcgi_guard_check(&g, s.data, s.len, &used);
        total += sizeof(chunk);
    }
    cr_assert_eq(st, FCGI_GUARD_BAD);
    cr_assert_leq(total, FCGI_GUARD_PARAMS_MAX + sizeof(chunk));
}
