/* Unit tests for the formats of Cord's fields: ids, email, uri. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/compiler.h"
#include "cordgate/validate.h"

TestSuite(unicode);
TestSuite(external_id);
TestSuite(email);
TestSuite(uri);

/* Expected answers are Node's /\p{C}/u on each code point. */
static const struct {
    uint32_t cp;
    bool c;
} category_c_rows[] = {
    {0x0000, true},   /* Cc NUL */
    {0x001F, true},   /* Cc */
    {0x0020, false},  /* space, Zs */
    {0x007E, false},  /* ~ */
    {0x007F, true},   /* Cc DEL */
    {0x0085, true},   /* Cc NEL */
    {0x00A0, false},  /* no-break space, Zs */
    {0x00AD, true},   /* Cf soft hyphen */
    {0x0377, false},  /* last assigned before a gap */
    {0x0378, true},   /* Cn */
    {0x200B, true},   /* Cf zero-width space */
    {0x4E00, false},  /* CJK ideograph, a First/Last range */
    {0x9FFF, false},  /* its Last line */
    {0xAC00, false},  /* Hangul syllable range */
    {0xD7A3, false},  /* its Last line */
    {0xD800, true},   /* Cs, surrogate range */
    {0xDFFF, true},   /* Cs */
    {0xE000, true},   /* Co, private-use range */
    {0xF8FF, true},   /* Co */
    {0xF900, false},  /* CJK compatibility ideograph */
    {0xFEFF, true},   /* Cf byte order mark */
    {0xFFFD, false},  /* replacement character, So */
    {0xFFFF, true},   /* Cn noncharacter */
    {0x1F600, false}, /* emoji */
    {0x20000, false}, /* CJK extension B range */
    {0xE0001, true},  /* Cf language tag */
    {0xF0000, true},  /* Co, plane 15 */
    {0x10FFFD, true}, /* Co, plane 16 */
    {0x10FFFF, true}, /* Cn */
    {0x110000, true}, /* not a code point */
};

Test(unicode, category_c_matches_node_at_boundaries)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(category_c_rows); i++)
        cr_expect_eq(unicode_is_category_c(category_c_rows[i].cp),
                     category_c_rows[i].c, "U+%04X: want %d",
                     (unsigned)category_c_rows[i].cp, category_c_rows[i].c);
}

Test(unicode, table_is_sorted_disjoint_and_merged)
{
    size_t i, n = unicode_category_c_count;

    cr_assert_gt(n, 100);
    cr_assert_eq(unicode_category_c_ranges[0].first, 0);
    cr_assert_eq(unicode_category_c_ranges[n - 1].last, 0x10FFFF);
    for (i = 0; i < n; i++) {
        cr_assert_leq(unicode_category_c_ranges[i].first,
                      unicode_category_c_ranges[i].last);
        if (i > 0)
            cr_assert_gt(unicode_category_c_ranges[i].first,
                         unicode_category_c_ranges[i - 1].last + 1,
                         "ranges %zu and %zu overlap or touch", i - 1, i);
    }
}

/*
 * Node 20, which Cord runs, shipped with Unicode 15.  A table from another
 * Unicode version accepts or refuses different ids, so a Debian upgrade of
 * unicode-data should be a decision, not an accident.
 */
Test(unicode, table_is_unicode_15)
{
    cr_assert(strncmp(unicode_data_version, "15.", 3) == 0,
              "UnicodeData.txt is version %s", unicode_data_version);
}

#define BYTES(s) s, sizeof(s) - 1

static const struct {
    const char *s;
    size_t len;
    bool ok;
} id_rows[] = {
    {BYTES("a"), true},
    {BYTES("user_123-x.y"), true},
    {BYTES("Cord:abc"), true}, /* the prefix check is case-sensitive */
    {BYTES("cor"), true},
    {BYTES("user\xF0\x9F\x9A\x80"), true}, /* user🚀 */
    {BYTES("a\xC2\xA0"
           "b"),
     true},                        /* no-break space is Zs */
    {BYTES("\xE4\xB8\x80"), true}, /* U+4E00 */
    {BYTES(""), false},
    {BYTES("cord:abc"), false},
    {BYTES("cord:"), false},
    {BYTES("abc\t123"), false},
    {BYTES("abc\n123"), false},
    {BYTES("abc\0"
           "123"),
     false},
    {BYTES("a\x7F"), false},
    {BYTES("a\xC2\x85"), false}, /* U+0085 NEL, Cc */
    {BYTES("a\xC2\xAD"
           "b"),
     false}, /* U+00AD soft hyphen, Cf */
    {BYTES("a\xE2\x80\x8B"
           "b"),
     false},                            /* U+200B zero-width space, Cf */
    {BYTES("\xEE\x80\x80"), false},     /* U+E000 private use, Co */
    {BYTES("\xCD\xB8"), false},         /* U+0378 unassigned, Cn */
    {BYTES("\xEF\xBF\xBF"), false},     /* U+FFFF, Cn */
    {BYTES("\xF4\x8F\xBF\xBF"), false}, /* U+10FFFF, Cn */
    {BYTES("\xFF"), false},             /* never valid in UTF-8 */
    {BYTES("a\x80"), false},            /* stray continuation byte */
    {BYTES("\xC0\x80"), false},         /* overlong NUL */
    {BYTES("\xE0\x80\xAF"), false},     /* overlong "/" */
    {BYTES("\xED\xA0\x80"), false},     /* encoded surrogate U+D800 */
    {BYTES("\xF4\x90\x80\x80"), false}, /* above U+10FFFF */
    {BYTES("\xE2\x82"), false},         /* truncated */
    {BYTES("\xF0\x9F\x9A"), false},     /* truncated emoji */
};

Test(external_id, accepts_and_refuses_as_cord_does)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(id_rows); i++)
        cr_expect_eq(validate_external_id(id_rows[i].s, id_rows[i].len,
                                          VALIDATE_PATH_ID_MAX),
                     id_rows[i].ok, "row %zu (%zu bytes): want %d", i,
                     id_rows[i].len, id_rows[i].ok);
}

/* n copies of the UTF-8 sequence unit, in a buffer from the caller. */
static size_t
repeat(char *out, const char *unit, size_t n)
{
    size_t i, len = strlen(unit);

    for (i = 0; i < n; i++)
        memcpy(out + i * len, unit, len);
    return n * len;
}

Test(external_id, limit_counts_code_points)
{
    static char s[4 * 322];
    size_t len;

    len = repeat(s, "a", 320);
    cr_expect(validate_external_id(s, len, VALIDATE_PATH_ID_MAX));
    len = repeat(s, "a", 321);
    cr_expect_not(validate_external_id(s, len, VALIDATE_PATH_ID_MAX));
    /* U+1F600: four bytes, two UTF-16 units, one code point. */
    len = repeat(s, "\xF0\x9F\x98\x80", 320);
    cr_expect(validate_external_id(s, len, VALIDATE_PATH_ID_MAX));
    len = repeat(s, "\xF0\x9F\x98\x80", 321);
    cr_expect_not(validate_external_id(s, len, VALIDATE_PATH_ID_MAX));
    len = repeat(s, "a", 129);
    cr_expect_not(validate_external_id(s, len, 128));
    cr_expect(validate_external_id(s, len - 1, 128));
}

Test(external_id, code_points_count_a_surrogate_pair_once)
{
    cr_expect_eq(validate_code_points("", 0), 0);
    cr_expect_eq(validate_code_points(BYTES("abc")), 3);
    cr_expect_eq(validate_code_points(BYTES("\xC3\xA9")), 1);          /* é */
    cr_expect_eq(validate_code_points(BYTES("\xE4\xB8\x80")), 1);      /* 一 */
    cr_expect_eq(validate_code_points(BYTES("a\xF0\x9F\x98\x80")), 2); /* a😀 */
}

/* Expected answers checked with ajv 8.11.0 + ajv-formats 2.1.1 in Node 20
 * (plain "email" format; Cord's own override also accepts ""). */
static const struct {
    const char *s;
    size_t len;
    bool ok;
} email_rows[] = {
    {BYTES("winne@the.pooh"), true},
    {BYTES("leela@pe.com"), true},
    {BYTES("A@X.COM"), true},
    {BYTES("a.b@x.com"), true},
    {BYTES("a-b@x-y.z-1"), true},
    {BYTES("!#$%&*+/=?^_`{|}~-@x.y"), true},
    {BYTES("a@1.2"), true},
    {BYTES("a@x.c"), true},
    {BYTES(""), false},
    {BYTES("a@b"), false},
    {BYTES("not-an-email"), false},
    {BYTES("a..b@x.com"), false},
    {BYTES(".a@x.com"), false},
    {BYTES("a.@x.com"), false},
    {BYTES("@x.com"), false},
    {BYTES("a@-x.com"), false},
    {BYTES("a@x-.com"), false},
    {BYTES("a@x.c-"), false},
    {BYTES("a@x.-c"), false},
    {BYTES("a@x..com"), false},
    {BYTES("a@x.com."), false},
    {BYTES("a@.x.com"), false},
    {BYTES("a@b@x.com"), false},
    {BYTES("a@x_y.com"), false},
    {BYTES("a b@x.com"), false},
    {BYTES("p\xC3\xA9@x.com"), false}, /* pé@x.com */
    {BYTES("a@x.c\xC3\xB6m"), false},  /* a@x.cöm */
    {BYTES("a@x.com\0"), false},
};

Test(email, matches_ajv_formats_full_email)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(email_rows); i++)
        cr_expect_eq(validate_email(email_rows[i].s, email_rows[i].len),
                     email_rows[i].ok, "\"%s\": want %d", email_rows[i].s,
                     email_rows[i].ok);
}

/* Expected answers checked with ajv 8.11.0 + ajv-formats 2.1.1 in Node 20. */
static const struct {
    const char *s;
    size_t len;
    bool ok;
} uri_rows[] = {
    {BYTES("https://x.com/a.png"), true},
    {BYTES("mailto:x"), true},
    {BYTES("urn:isbn:123"), true},
    {BYTES("http://[::1]:80/p"), true},
    {BYTES("ftp://a/b%20c"), true},
    {BYTES("HTTP://EXAMPLE.COM/%7E"), true},
    {BYTES("http://u:p@host:8080/a?b=c#d"), true},
    {BYTES("http://ex%41mple.com/"), true},
    {BYTES("x:a?b?c/d#e/f?"), true},
    {BYTES("h+t-t.p://x"), true},
    {BYTES("tel:+1-201-555-0123"), true},
    {BYTES("data:text/plain;base64,SGVsbG8="), true},
    {BYTES("a:/"), true},
    {BYTES("a://"), true},
    {BYTES("a:///"), true},
    {BYTES("a:b:c"), true},
    {BYTES("a:@"), true},
    {BYTES("a:%41"), true},
    /* "//host:abc/" fails as an authority but passes as a path. */
    {BYTES("http://host:abc/"), true},
    {BYTES("http://u@p@host/"), true},
    {BYTES("http://a:8:9/x"), true},
    {BYTES("http://1.2.3.999/"), true},
    {BYTES("http://[v1.x]/"), true},
    {BYTES("http://[V1F.a:b]/"), true},
    {BYTES("http://[1:2:3:4:5:6:7:8]/"), true},
    {BYTES("http://[1:2:3:4:5:6:7::]/"), true},
    {BYTES("http://[::1.2.3.4]/"), true},
    {BYTES("http://[::ffff:1.2.3.4]/"), true},
    {BYTES("http://[1:2:3:4:5:6:1.2.3.4]/"), true},
    {BYTES("http://[1:2:3:4:5::1.2.3.4]/"), true},
    {BYTES("http://[::]/"), true},
    {BYTES("http://[::1]:/x"), true},
    {BYTES("http://[::1]#x"), true},
    {BYTES("http://[::1]?x"), true},
    {BYTES("http:/[::1]/x"), true},
    {BYTES("piglet"), false},
    {BYTES("https://x.com/a b.png"), false},
    {BYTES(""), false},
    {BYTES("//x"), false},
    {BYTES("http://x.com/%zz"), false},
    {BYTES(":x"), false},
    {BYTES("mailto:"), false},
    {BYTES("http:"), false},
    {BYTES("http:?"), false},
    {BYTES("a:?q"), false},
    {BYTES("a:#f"), false},
    {BYTES("a:%4"), false},
    {BYTES("http://ex%4mple.com/"), false},
    {BYTES("x:a#b#c"), false},
    {BYTES("1http://x"), false},
    {BYTES("h_ttp://x"), false},
    {BYTES("http://x.com/\xC3\xBC"), false}, /* ü */
    {BYTES("http://x.com/\0"), false},
    {BYTES("http://x.com/a\tb"), false},
    {BYTES("http://x.com/[a]"), false},
    {BYTES("http://a]/"), false},
    {BYTES("a:b|c"), false},
    {BYTES("a:b\\c"), false},
    {BYTES("a:b\"c"), false},
    {BYTES("a:b{c"), false},
    {BYTES("a:b^c"), false},
    {BYTES("a:b`c"), false},
    {BYTES("http://[v1.]/"), false},
    {BYTES("http://[vz.x]/"), false},
    {BYTES("http://[v1.a%41]/"), false},
    {BYTES("http://[1:2:3:4:5:6:7:8:9]/"), false},
    {BYTES("http://[1:2:3:4:5:6::7:8]/"), false},
    {BYTES("http://[1:2:3:4:5:6::1.2.3.4]/"), false},
    {BYTES("http://[::1.2.3.256]/"), false},
    {BYTES("http://[1.2.3.4]/"), false},
    {BYTES("http://[:::]/"), false},
    {BYTES("http://[1::2::3]/"), false},
    {BYTES("http://[12345::]/"), false},
    {BYTES("http://[::1]x/"), false},
    {BYTES("http://[::1"), false},
    {BYTES("http://[::1]:8a/x"), false},
    {BYTES("http://[::1]a:8/x"), false},
};

Test(uri, matches_ajv_formats_full_uri)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(uri_rows); i++)
        cr_expect_eq(validate_uri(uri_rows[i].s, uri_rows[i].len),
                     uri_rows[i].ok, "\"%s\": want %d", uri_rows[i].s,
                     uri_rows[i].ok);
}
