/* libFuzzer target: JWT decode/verify/sign, strict JSON and base64url. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "cordgate/arena.h"
#include "cordgate/b64url.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"

#define FUZZ_KEY "fuzz-secret"
#define FUZZ_NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena *arena;

/* An invariant broke: make libFuzzer keep the input. */
static void
check(int ok)
{
    if (!ok)
        abort();
}

static int
is_decoded(enum jwt_status st)
{
    return st == JWT_OK || st == JWT_PAYLOAD_NOT_JSON ||
           st == JWT_PAYLOAD_NOT_OBJECT;
}

/* The bytes as a token, verified under every allow-list and option set. */
static void
fuzz_token(const char *s, size_t n)
{
    static const unsigned allow[] = {JWT_HS256, JWT_HS512,
                                     JWT_HS256 | JWT_HS512};
    enum jwt_status st;
    struct jwt t;

    st = jwt_decode(arena, s, n, &t);
    check(jwt_status_message(st) != NULL);
    if (!is_decoded(st))
        return;
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
        const struct jwt_verify_opts plain = {.algorithms = allow[i],
                                              .now = FUZZ_NOW};
        const struct jwt_verify_opts cord = {.algorithms = allow[i],
                                             .now = FUZZ_NOW,
                                             .clock_tolerance = 30,
                                             .max_age = 86400,
                                             .reject_future_iat = true};

        check(jwt_verify(&t, FUZZ_KEY, strlen(FUZZ_KEY), &plain) != JWT_OK ||
              t.signature.len >= 32);
        check(jwt_verify(&t, FUZZ_KEY, strlen(FUZZ_KEY), &cord) != JWT_OK ||
              t.signature.len > 0);
    }
}

/* json-c's own strict tokener on the same bytes: NULL when it refuses
 * them.  A top-level number has no end of its own, so the end is
 * signalled. */
static struct json_object *
tokener_parse(const char *s, size_t n)
{
    static struct json_tokener *tok;
    struct json_object *o;

    if (tok == NULL)
        tok = json_tokener_new_ex(JSON_MAX_DEPTH + 2);
    check(tok != NULL);
    json_tokener_reset(tok);
    json_tokener_set_flags(tok,
                           JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, s, (int)n);
    if (json_tokener_get_error(tok) == json_tokener_continue)
        o = json_tokener_parse_ex(tok, "", 1);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) > n) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* A run of 19 digits or more: maybe an integer beyond int64, which
 * json-c's tokener saturates and json_parse() makes a double. */
static bool
has_long_digit_run(const char *s, size_t n)
{
    size_t run = 0;

    for (size_t i = 0; i < n; i++) {
        run = s[i] >= '0' && s[i] <= '9' ? run + 1 : 0;
        if (run >= 19)
            return true;
    }
    return false;
}

/*
 * The bytes as JSON: stringify(parse(stringify(x))) == stringify(x), the
 * cost counted within the budget, and the values the same as json-c's
 * tokener builds, which json_parse() replaces, wherever the tokener takes
 * the text and no integer may be beyond int64.
 */
static void
fuzz_json(const char *s, size_t n)
{
    struct json_object *o, *again, *theirs;
    struct buf b1, b2, b3;
    enum json_parse_status st = json_parse(arena, s, n, &o);

    if (st != JSON_PARSE_OK) {
        check(json_parse_error()[0] != '\0');
        check(st != JSON_PARSE_INVALID || json_cost(s, n) == SIZE_MAX);
        return;
    }
    check(json_cost(s, n) <= json_cost_budget(n));
    buf_init(&b1, arena, 16 * n + 1024);
    buf_init(&b2, arena, 16 * n + 1024);
    buf_init(&b3, arena, 16 * n + 1024);
    check(json_write_compact(&b1, o) == 0);
    check(json_parse(arena, b1.data, b1.len, &again) == JSON_PARSE_OK);
    check(json_write_compact(&b2, again) == 0);
    check(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    if (has_long_digit_run(s, n))
        return;
    theirs = tokener_parse(s, n);
    if (theirs == NULL && o != NULL)
        return;
    check(json_write_compact(&b3, theirs) == 0);
    json_object_put(theirs);
    check(b1.len == b3.len && memcmp(b1.data, b3.data, b1.len) == 0);
}

/* The bytes as base64url text and as raw bytes: both must round-trip. */
static void
fuzz_b64url(const char *s, size_t n)
{
    size_t cap = b64url_decoded_max_len(n), elen = b64url_encoded_len(n), m;
    unsigned char *bytes = arena_alloc(arena, cap + 1);
    unsigned char *back = arena_alloc(arena, n + 1);
    char *text = arena_alloc(arena, elen + 1);

    check(bytes != NULL && back != NULL && text != NULL);
    if (b64url_decode(bytes, cap, s, n, &m) == 0) {
        /* Canonical only: re-encoding gives the very same text. */
        check(b64url_has_only_alphabet(s, n));
        check(b64url_encoded_len(m) == n);
        check(b64url_encode(text, bytes, m) == n);
        check(memcmp(text, s, n) == 0);
    }
    check(b64url_encode(text, s, n) == elen);
    check(b64url_decode(back, n, text, elen, &m) == 0);
    check(m == n && memcmp(back, s, n) == 0);
}

/* The bytes as a payload: what we sign we must decode and verify. */
static void
fuzz_sign(const char *s, size_t n)
{
    const struct jwt_verify_opts opts = {.algorithms = JWT_HS512,
                                         .now = FUZZ_NOW,
                                         .clock_tolerance = 30,
                                         .max_age = 86400};
    enum jwt_status st;
    struct buf b;
    struct jwt t;

    if (n == 0 || n > 4096) {
        buf_init(&b, arena, JWT_MAX_LEN);
        check(n > 0 ||
              jwt_sign(&b, JWT_HS512, s, n, FUZZ_KEY, strlen(FUZZ_KEY)) == -1);
        return;
    }
    buf_init(&b, arena, JWT_MAX_LEN);
    check(jwt_sign(&b, JWT_HS512, s, n, FUZZ_KEY, strlen(FUZZ_KEY)) == 0);
    st = jwt_decode(arena, b.data, b.len, &t);
    check(is_decoded(st));
    st = jwt_verify(&t, FUZZ_KEY, strlen(FUZZ_KEY), &opts);
    check(st != JWT_MALFORMED && st != JWT_SIGNATURE_REQUIRED &&
          st != JWT_INVALID_ALGORITHM && st != JWT_INVALID_SIGNATURE &&
          st != JWT_INTERNAL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    if (arena == NULL) {
        arena = arena_create(16384, (size_t)64 << 20);
        if (arena == NULL)
            abort();
    }
    fuzz_token(s, size);
    arena_reset(arena);
    fuzz_json(s, size);
    arena_reset(arena);
    fuzz_b64url(s, size);
    arena_reset(arena);
    fuzz_sign(s, size);
    arena_reset(arena);
    return 0;
}
