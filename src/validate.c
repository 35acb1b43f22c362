/* The formats of Cord's fields: ids (isValidExternalID), email and uri. */
#include "cordgate/validate.h"

#include <string.h>

#include "cordgate/ascii.h"

bool
unicode_is_category_c(uint32_t cp)
{
    size_t lo = 0, hi = unicode_category_c_count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp < unicode_category_c_ranges[mid].first)
            hi = mid;
        else if (cp > unicode_category_c_ranges[mid].last)
            lo = mid + 1;
        else
            return true;
    }
    /* The table ends at U+10FFFF; anything above is no code point at all. */
    return cp > 0x10FFFF;
}

/*
 * Decode the code point at s[*i] and step past it, or return -1 when the
 * bytes there are not well-formed UTF-8 (Unicode table 3-7: no overlong
 * forms, no surrogates, nothing above U+10FFFF).
 */
static int32_t
utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i, n, k;
    unsigned char lo = 0x80, hi = 0xBF;
    int32_t cp;

    if (p[0] < 0x80) {
        *i += 1;
        return p[0];
    }
    if (p[0] < 0xC2 || p[0] > 0xF4)
        return -1;
    n = p[0] < 0xE0 ? 1 : p[0] < 0xF0 ? 2 : 3;
    if (left <= n)
        return -1;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    cp = p[0] & (0x3F >> n);
    for (k = 1; k <= n; k++) {
        if (p[k] < lo || p[k] > hi)
            return -1;
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    *i += n + 1;
    return cp;
}

bool
validate_external_id(const char *s, size_t len, size_t max_code_points)
{
    size_t i = 0, n = 0;

    if (len >= 5 && memcmp(s, "cord:", 5) == 0)
        return false;
    while (i < len) {
        int32_t cp = utf8_next(s, len, &i);

        if (cp < 0 || unicode_is_category_c((uint32_t)cp))
            return false;
        if (++n > max_code_points)
            return false;
    }
    return n >= 1;
}

size_t
validate_code_points(const char *s, size_t len)
{
    size_t i, n = 0;

    /* Every code point has exactly one byte that is not 10xxxxxx. */
    for (i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* The regexes below are case-insensitive, and ASCII only: no character
 * class holds a byte above 0x7F, so any UTF-8 sequence fails them. */
static bool
is_one_of(unsigned char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* Email: ^ATOM(\.ATOM)*@(LABEL\.)+LABEL$ with the classes below. */
static bool
is_email_atext(unsigned char c)
{
    return ascii_is_alnum(c) || is_one_of(c, "!#$%&'*+/=?^_`{|}~-");
}

/* A domain label: [a-z0-9](?:[a-z0-9-]*[a-z0-9])? */
static bool
is_label(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || !ascii_is_alnum(s[0]) || !ascii_is_alnum(s[len - 1]))
        return false;
    for (i = 1; i + 1 < len; i++)
        if (!ascii_is_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

bool
validate_email(const char *s, size_t len)
{
    const char *at = len > 0 ? memchr(s, '@', len) : NULL;
    size_t i, start, labels = 0;

    if (at == NULL)
        return false;
    /* Local part: atoms of atext joined by single dots. */
    for (i = 0, start = 0; s + i < at; i++) {
        if (s[i] == '.') {
            if (i == start)
                return false;
            start = i + 1;
        } else if (!is_email_atext(s[i])) {
            return false;
        }
    }
    if (i == start)
        return false;
    /* Domain: two or more labels; no "@" can pass as a label byte. */
    start = (size_t)(at - s) + 1;
    for (i = start; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!is_label(s + start, i - start))
                return false;
            labels++;
            start = i + 1;
        }
    }
    return labels >= 2;
}

/*
 * URI, after ajv-formats 2.1.1's URI regex.  Its language, which is what a
 * backtracking match of ^...$ accepts, is:
 *
 *   scheme ":" hier ["?" query] ["#" fragment]
 *   scheme = [a-z][a-z0-9+.-]*
 *   hier   = "/"? "/" authority path-abempty            (A)
 *          | "/" [pchar+ ("/" pchar*)*]                  (B)
 *          | pchar+ ("/" pchar*)*                        (C)
 *
 * None of the hier classes holds "?" or "#", no query byte is "#", and no
 * scheme byte is ":", so the first ":", "?" and "#" split the string with
 * no backtracking.  B and C together are a non-empty run of pchar and "/"
 * not starting "//".  In A the authority ends at the first "/", the
 * userinfo at the first "@", and the host at "]" for an IP literal, else
 * at the first ":".  The regex's IPv4 host is a subset of its reg-name, so
 * reg-name alone decides.
 */

/* unreserved / sub-delims: the reg-name class [a-z0-9\-._~!$&'()*+,;=] */
static bool
is_uri_sub(unsigned char c)
{
    return ascii_is_alnum(c) || is_one_of(c, "-._~!$&'()*+,;=");
}

/*
 * Is every byte of s[from, to) in [a-z0-9\-._~!$&'()*+,;=] or extra, or part
 * of a "%" hex hex escape?
 */
static bool
uri_span(const char *s, size_t from, size_t to, const char *extra)
{
    size_t i = from;

    while (i < to) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            if (to - i < 3 || !ascii_is_hex(s[i + 1]) ||
                !ascii_is_hex(s[i + 2]))
                return false;
            i += 3;
        } else if (is_uri_sub(c) || is_one_of(c, extra)) {
            i++;
        } else {
            return false;
        }
    }
    return true;
}

static const char *
find_byte(const char *s, size_t from, size_t to, char c)
{
    return memchr(s + from, c, to - from);
}

/* dec-octet: (?:25[0-5]|2[0-4]\d|[01]?\d\d?), i.e. 1-3 digits up to 255 */
static bool
is_dec_octet(const char *s, size_t len)
{
    size_t i;
    int v = 0;

    if (len < 1 || len > 3)
        return false;
    for (i = 0; i < len; i++) {
        if (!ascii_is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 255;
}

static bool
is_ipv4(const char *s, size_t len)
{
    size_t i, start = 0, dots = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (!is_dec_octet(s + start, i - start))
                return false;
            if (i < len)
                dots++;
            start = i + 1;
        }
    }
    return dots == 3;
}

/*
 * Count the pieces of h16 (":" h16)* in s[0, len), an IPv4 tail counting
 * two when ipv4_tail allows one; -1 when it is not such a list.  An empty
 * string is zero pieces.
 */
static int
ipv6_pieces(const char *s, size_t len, bool ipv4_tail)
{
    size_t i, start = 0;
    int n = 0;

    if (len == 0)
        return 0;
    for (i = 0; i <= len; i++) {
        if (i < len && s[i] != ':')
            continue;
        if (memchr(s + start, '.', i - start) != NULL) {
            if (!ipv4_tail || i != len || !is_ipv4(s + start, i - start))
                return -1;
            n += 2;
        } else {
            size_t k;

            if (i - start < 1 || i - start > 4)
                return -1;
            for (k = start; k < i; k++)
                if (!ascii_is_hex(s[k]))
                    return -1;
            n++;
        }
        start = i + 1;
    }
    return n;
}

/*
 * RFC 3986 IPv6address, which is what the regex spells out: eight pieces
 * (an IPv4 tail being two), or at most seven around one "::".
 */
static bool
is_ipv6(const char *s, size_t len)
{
    const char *dc = NULL;
    size_t i, pos;
    int before, after;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] == ':' && s[i + 1] == ':') {
            dc = s + i;
            break;
        }
    }
    if (dc == NULL)
        return ipv6_pieces(s, len, true) == 8;
    pos = (size_t)(dc - s);
    before = ipv6_pieces(s, pos, false);
    after = ipv6_pieces(s + pos + 2, len - pos - 2, true);
    return before >= 0 && after >= 0 && before + after <= 7;
}

/* IPvFuture: [Vv][0-9a-f]+\.[a-z0-9\-._~!$&'()*+,;=:]+ (no escapes) */
static bool
is_ipvfuture(const char *s, size_t len)
{
    size_t i = 1;

    if (len < 1 || (s[0] != 'v' && s[0] != 'V'))
        return false;
    while (i < len && ascii_is_hex(s[i]))
        i++;
    if (i == 1 || i == len || s[i] != '.')
        return false;
    if (++i == len)
        return false;
    for (; i < len; i++)
        if (!is_uri_sub(s[i]) && s[i] != ':')
            return false;
    return true;
}

/* authority path-abempty in s[from, to) */
static bool
uri_authority_path(const char *s, size_t from, size_t to)
{
    const char *slash = find_byte(s, from, to, '/');
    size_t aend = slash ? (size_t)(slash - s) : to;
    const char *at = find_byte(s, from, aend, '@');
    size_t host = from, port;

    if (!uri_span(s, aend, to, ":@/"))
        return false;
    if (at != NULL) {
        if (!uri_span(s, from, (size_t)(at - s), ":"))
            return false;
        host = (size_t)(at - s) + 1;
    }
    if (host < aend && s[host] == '[') {
        const char *close = find_byte(s, host, aend, ']');
        size_t in = host + 1, in_len;

        if (close == NULL)
            return false;
        in_len = (size_t)(close - s) - in;
        if (!is_ipv6(s + in, in_len) && !is_ipvfuture(s + in, in_len))
            return false;
        port = (size_t)(close - s) + 1;
    } else {
        const char *colon = find_byte(s, host, aend, ':');

        port = colon ? (size_t)(colon - s) : aend;
        if (!uri_span(s, host, port, ""))
            return false;
    }
    if (port == aend)
        return true;
    if (s[port] != ':')
        return false;
    for (port++; port < aend; port++)
        if (!ascii_is_digit(s[port]))
            return false;
    return true;
}

static bool
uri_hier_part(const char *s, size_t from, size_t to)
{
    bool two_slashes = to - from >= 2 && s[from] == '/' && s[from + 1] == '/';

    if (from == to)
        return false;
    if (!two_slashes && uri_span(s, from, to, ":@/"))
        return true; /* B or C */
    if (s[from] != '/')
        return false;
    return uri_authority_path(s, from + 1, to) ||
           (two_slashes && uri_authority_path(s, from + 2, to));
}

bool
validate_uri(const char *s, size_t len)
{
    const char *colon = len > 0 ? memchr(s, ':', len) : NULL;
    size_t i, hier, end;

    /* NOT_URI_FRAGMENT is /\/|:/, which the scheme's ":" already meets. */
    if (colon == NULL || colon == s || !ascii_is_alpha(s[0]))
        return false;
    for (i = 1; s + i < colon; i++)
        if (!ascii_is_alnum(s[i]) && !is_one_of(s[i], "+-."))
            return false;
    hier = (size_t)(colon - s) + 1;
    for (end = hier; end < len && s[end] != '?' && s[end] != '#'; end++)
        ;
    if (!uri_hier_part(s, hier, end))
        return false;
    if (end < len && s[end] == '?') {
        size_t q = end + 1;

        for (end = q; end < len && s[end] != '#'; end++)
            ;
        if (!uri_span(s, q, end, ":@/?"))
            return false;
    }
    if (end < len)
        return uri_span(s, end + 1, len, ":@/?");
    return true;
}
