/* Unit tests for JWT decoding, verification and signing. */
#include <criterion/criterion.h>
#include <json-c/json_object.h>
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/b64url.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"

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
    arena_destroy(arena);
}

TestSuite(jwt, .init = setup, .fini = teardown);

static size_t
unhex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;

        cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* RFC 4231 section 4: key, data, HMAC-SHA-256, HMAC-SHA-512. */
struct hmac_vector {
    const char *key;  /* hex */
    const char *data; /* hex */
    const char *sha256;
    const char *sha512;
};

static const struct hmac_vector rfc4231[] = {
    /* Test case 1 */
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    /* Test case 2 */
    {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    /* Test case 3 */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddddddddddddddddddddddddddddd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
     "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
     "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
    /* Test case 4 */
    {"0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
     "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
     "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
    /* Test case 5: the RFC gives only the first 128 bits. */
    {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
     "546573742057697468205472756e636174696f6e",
     "a3b6167473100ee06e0c796c2955552b", "415fad6271580a531d4179bc891d87a6"},
    /* Test case 6 */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
     "65204b6579202d2048617368204b6579204669727374",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
     "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    /* Test case 7 */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaa",
     "5468697320697320612074657374207573696e672061206c6172676572207468"
     "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
     "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
     "647320746f20626520686173686564206265666f7265206265696e6720757365"
     "642062792074686520484d414320616c676f726974686d2e",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
     "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
};

static void
assert_hmac(enum jwt_alg alg, size_t i, const char *want_hex)
{
    unsigned char key[256], data[256], want[64], mac[JWT_MAX_MAC_LEN];
    size_t key_len = unhex(rfc4231[i].key, key);
    size_t data_len = unhex(rfc4231[i].data, data);
    size_t want_len = unhex(want_hex, want), mac_len = 0;

    cr_assert_eq(jwt_hmac(alg, key, key_len, data, data_len, mac, &mac_len), 0);
    cr_assert_eq(mac_len, alg == JWT_HS256 ? 32 : 64);
    cr_assert(memcmp(mac, want, want_len) == 0, "RFC 4231 case %zu alg %d",
              i + 1, alg);
}

Test(jwt, hmac_sha256_matches_rfc4231)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(rfc4231); i++)
        assert_hmac(JWT_HS256, i, rfc4231[i].sha256);
}

Test(jwt, hmac_sha512_matches_rfc4231)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(rfc4231); i++)
        assert_hmac(JWT_HS512, i, rfc4231[i].sha512);
}

/* A context keeps its last key; a MAC must never use a stale one.  Each
 * vector twice in a row (the kept key), then in a different order (a new
 * key each time), the long keys (over the memo size) included. */
Test(jwt, hmac_keeps_a_key_only_while_it_is_the_same)
{
    static const size_t order[] = {0, 0, 1, 1, 5, 5, 6, 6, 2, 0, 3, 1, 4};
    unsigned char k1[] = "key-one", k2[] = "key-onf", m1[64], m2[64], m3[64];
    size_t n1, n2, n3;

    for (size_t j = 0; j < CG_ARRAY_LEN(order); j++) {
        assert_hmac(JWT_HS256, order[j], rfc4231[order[j]].sha256);
        assert_hmac(JWT_HS512, order[j], rfc4231[order[j]].sha512);
    }
    /* Keys that differ in the last byte, or only in length. */
    cr_assert_eq(jwt_hmac(JWT_HS512, k1, 7, "d", 1, m1, &n1), 0);
    cr_assert_eq(jwt_hmac(JWT_HS512, k2, 7, "d", 1, m2, &n2), 0);
    cr_assert_eq(jwt_hmac(JWT_HS512, k1, 6, "d", 1, m3, &n3), 0);
    cr_assert(memcmp(m1, m2, 64) != 0 && memcmp(m1, m3, 64) != 0 &&
              memcmp(m2, m3, 64) != 0);
    cr_assert_eq(jwt_hmac(JWT_HS512, k1, 7, "d", 1, m2, &n2), 0);
    cr_assert(memcmp(m1, m2, 64) == 0);
    /* The empty key after a kept one is the empty key. */
    cr_assert_eq(jwt_hmac(JWT_HS512, "", 0, "d", 1, m2, &n2), 0);
    cr_assert(memcmp(m1, m2, 64) != 0);
}

Test(jwt, hmac_refuses_an_unknown_algorithm)
{
    unsigned char mac[JWT_MAX_MAC_LEN];
    size_t mac_len;

    cr_assert_eq(jwt_hmac(JWT_HS256 | JWT_HS512, "k", 1, "d", 1, mac, &mac_len),
                 -1);
}

/* cord-api.md 3.7.1: the Go SDK's ServerAuthToken vector. */
#define GO_SECRET "0987654321"
#define GO_NOW    1655383113
#define GO_PAYLOAD                                                             \
    "{\"exp\":1655383173,\"iat\":1655383113,\"project_id\":\"1234567890\"}"
#define GO_TOKEN                                                               \
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."                                    \
    "eyJleHAiOjE2NTUzODMxNzMsImlhdCI6MTY1NTM4MzExMywicHJvamVjdF9pZCI6IjEyMz"   \
    "Q1Njc4OTAifQ.viFVl8J-_2reh5PaGgVx2v2wEYsYTwooIkFulg1xp-"                  \
    "D1sBTdIxm1mY67xSrKmm1KJlaYXpTuHy50hxuNkUcHrw"

Test(jwt, go_sdk_vector_decodes_and_verifies)
{
    const struct jwt_verify_opts opts = {
        .algorithms = JWT_HS512,
        .now = GO_NOW,
        .clock_tolerance = 30,
        .max_age = 86400,
    };
    struct jwt t;
    struct str project;
    struct json_object *exp;

    cr_assert_eq(jwt_decode(arena, GO_TOKEN, strlen(GO_TOKEN), &t), JWT_OK);
    cr_assert(str_eq_cstr(t.alg, "HS512"));
    cr_assert(t.typ_is_jwt);
    cr_assert(json_get_string(t.payload, "project_id", &project));
    cr_assert(str_eq_cstr(project, "1234567890"));
    cr_assert(json_get(t.payload, "exp", &exp) && json_is_number(exp));
    cr_assert_eq(json_number(exp), 1655383173);
    cr_assert_eq(t.signature.len, 64);
    cr_assert_eq(jwt_verify(&t, GO_SECRET, strlen(GO_SECRET), &opts), JWT_OK);
}

Test(jwt, go_sdk_vector_is_reproduced_by_sign)
{
    struct buf b;

    buf_init(&b, arena, JWT_MAX_LEN);
    cr_assert_eq(jwt_sign(&b, JWT_HS512, GO_PAYLOAD, strlen(GO_PAYLOAD),
                          GO_SECRET, strlen(GO_SECRET)),
                 0);
    cr_assert_str_eq(b.data, GO_TOKEN);
}

Test(jwt, sign_writes_the_sdk_header)
{
    static const struct {
        enum jwt_alg alg;
        const char *header;
    } rows[] = {
        {JWT_HS256, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"},
        {JWT_HS512, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}"},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(rows); i++) {
        char header[64];
        struct buf b;
        size_t n;

        buf_init(&b, arena, JWT_MAX_LEN);
        cr_assert_eq(jwt_sign(&b, rows[i].alg, "{}", 2, "k", 1), 0);
        cr_assert_eq(b64url_decode(header, sizeof(header), b.data,
                                   (size_t)(strchr(b.data, '.') - b.data), &n),
                     0);
        cr_assert_eq(n, strlen(rows[i].header));
        cr_assert(memcmp(header, rows[i].header, n) == 0);
    }
}

Test(jwt, sign_and_verify_round_trip_for_both_algorithms)
{
    static const enum jwt_alg algs[] = {JWT_HS256, JWT_HS512};
    static const char payload[] =
        "{\"session_id\":\"8f2a1c52-6d7e-4a51-9a4b-0f9e2d1c3b4a\","
        "\"iat\":1700000000,\"exp\":1700086400,\"name\":\"Zo\xc3\xab\"}";
    const struct jwt_verify_opts opts = {
        .algorithms = JWT_HS256 | JWT_HS512,
        .now = 1700000000,
        .max_age = 86400,
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(algs); i++) {
        char text[sizeof(payload)];
        struct buf b;
        struct jwt t;
        size_t n;

        buf_init(&b, arena, JWT_MAX_LEN);
        cr_assert_eq(
            jwt_sign(&b, algs[i], payload, sizeof(payload) - 1, "key", 3), 0);
        cr_assert_eq(jwt_decode(arena, b.data, b.len, &t), JWT_OK);
        cr_assert(str_eq_cstr(t.alg, algs[i] == JWT_HS256 ? "HS256" : "HS512"));
        cr_assert_eq(t.signature.len, algs[i] == JWT_HS256 ? 32 : 64);
        cr_assert_eq(jwt_verify(&t, "key", 3, &opts), JWT_OK);
        cr_assert_eq(b64url_decode(text, sizeof(text), t.payload_b64.p,
                                   t.payload_b64.len, &n),
                     0);
        cr_assert_eq(n, sizeof(payload) - 1);
        cr_assert(memcmp(text, payload, n) == 0);
    }
}

Test(jwt, sign_of_a_long_payload_round_trips)
{
    /* Longer than one encoding chunk, and not a multiple of 3 long. */
    char payload[3001];
    const struct jwt_verify_opts opts = {.algorithms = JWT_HS512};
    struct str a;
    struct buf b;
    struct jwt t;

    memset(payload, 'x', sizeof(payload));
    memcpy(payload, "{\"a\":\"", 6);
    memcpy(payload + sizeof(payload) - 2, "\"}", 2);
    buf_init(&b, arena, JWT_MAX_LEN);
    cr_assert_eq(jwt_sign(&b, JWT_HS512, payload, sizeof(payload), "k", 1), 0);
    cr_assert_eq(jwt_decode(arena, b.data, b.len, &t), JWT_OK);
    cr_assert_eq(jwt_verify(&t, "k", 1, &opts), JWT_OK);
    cr_assert(json_get_string(t.payload, "a", &a));
    cr_assert_eq(a.len, sizeof(payload) - 8);
}

Test(jwt, failed_sign_leaves_the_buffer_as_it_was)
{
    struct buf b;

    buf_init(&b, arena, 100);
    cr_assert_eq(buf_append_str(&b, "x"), 0);
    cr_assert_eq(jwt_sign(&b, JWT_HS512, "{}", 2, "k", 1), -1);
    cr_assert_eq(b.len, 1);
    cr_assert_str_eq(b.data, "x");
    cr_assert_eq(jwt_sign(&b, JWT_HS256 | JWT_HS512, "{}", 2, "k", 1), -1);
    cr_assert_eq(jwt_sign(&b, JWT_HS256, "{}", 2, "", 0), -1);
    cr_assert_eq(jwt_sign(&b, JWT_HS256, "", 0, "k", 1), -1);
    cr_assert_eq(b.len, 1);
}

/*
 * Bad (and boundary) tokens.  A row's form is the token with placeholders:
 * {H}, {P}, {Q} are the base64url of header, payload and alt; {S} is the
 * MAC over "{H}.{P}" with alg sign (HS512 if 0) and KEY; {W} the same with
 * another key; {T} and {U} are {S} less its last one or two characters;
 * {N} is {S} with non-zero unused trailing bits.  Zero fields mean: header
 * {"alg":"HS512","typ":"JWT"}, payload {"sub":"u"}, form "{H}.{P}.{S}",
 * allow-list HS512, no tolerance, no max age, an iat in the future not
 * refused, decode JWT_OK.
 */
#define KEY          "s3cr3t-key"
#define NOW          1700000000
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

struct token_row {
    const char *name;
    const char *header;
    const char *payload;
    const char *alt;
    const char *form;
    enum jwt_alg sign;
    unsigned allow;
    int64_t tolerance;
    int64_t max_age;
    bool future_iat; /* reject_future_iat */
    enum jwt_status want_decode;
    enum jwt_status want_verify;
};

static const struct token_row token_rows[] = {
    /* Shape. */
    {.name = "empty string", .form = "", .want_decode = JWT_MALFORMED},
    {.name = "two segments", .form = "{H}.{P}", .want_decode = JWT_MALFORMED},
    {.name = "four segments",
     .form = "{H}.{P}.{S}.{S}",
     .want_decode = JWT_MALFORMED},
    {.name = "trailing dot",
     .form = "{H}.{P}.{S}.",
     .want_decode = JWT_MALFORMED},
    {.name = "dots only", .form = "..", .want_decode = JWT_INVALID_TOKEN},
    {.name = "empty header segment",
     .form = ".{P}.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "empty payload segment",
     .form = "{H}..{S}",
     .want_decode = JWT_INVALID_TOKEN},
    /* Not canonical unpadded base64url. */
    {.name = "padded payload",
     .form = "{H}.{P}=.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "padded signature",
     .form = "{H}.{P}.{S}==",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "plus in signature",
     .form = "{H}.{P}.ab+c",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "slash in signature",
     .form = "{H}.{P}.ab/c",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "slash in payload",
     .form = "{H}.ab/c.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "trailing space",
     .form = "{H}.{P}.{S} ",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "trailing newline",
     .form = "{H}.{P}.{S}\n",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "leading space",
     .form = " {H}.{P}.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    /* A signature in the alphabet is compared, never "malformed". */
    {.name = "signature one character short",
     .form = "{H}.{P}.{T}",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "signature with non-zero trailing bits",
     .form = "{H}.{P}.{N}",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "signature of one character",
     .form = "{H}.{P}.A",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "payload one character long",
     .form = "{H}.A.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "payload with non-zero trailing bits",
     .form = "{H}.e31.{S}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "signature two characters short",
     .form = "{H}.{P}.{U}",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "trailing base64 character",
     .form = "{H}.{P}.{S}A",
     .want_verify = JWT_INVALID_SIGNATURE},
    /* Headers. */
    {.name = "header not JSON",
     .header = "{alg:HS512}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "header JSON null",
     .header = "null",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "header JSON 0", .header = "0", .want_decode = JWT_INVALID_TOKEN},
    {.name = "header empty JSON string",
     .header = "\"\"",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "header not UTF-8",
     .header = "{\"alg\":\"HS512\",\"x\":\"\xff\"}",
     .want_decode = JWT_INVALID_TOKEN},
    {.name = "header an array",
     .header = "[\"HS512\"]",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "header a string",
     .header = "\"HS512\"",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "header without alg",
     .header = "{\"typ\":\"JWT\"}",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "alg not a string",
     .header = "{\"alg\":[\"HS512\"]}",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "alg with a NUL",
     .header = "{\"alg\":\"HS512\\u0000\"}",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "alg in lower case",
     .header = "{\"alg\":\"hs512\"}",
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "alg HS384",
     .header = "{\"alg\":\"HS384\"}",
     .allow = JWT_HS256 | JWT_HS512,
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "alg RS256",
     .header = "{\"alg\":\"RS256\"}",
     .want_verify = JWT_INVALID_ALGORITHM},
    /* crit (RFC 7515 4.1.11): no extension is understood, so a well-formed
     * crit is unsupported and any other value invalid; after alg, before
     * the MAC. */
    {.name = "crit naming an extension",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"exp\"],\"exp\":1}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit naming b64",
     .header = "{\"alg\":\"HS512\",\"b64\":false,\"crit\":[\"b64\"]}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit naming a parameter that is not there",
     .header = "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"crit\":[\"x\"]}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit naming alg",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"alg\"]}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit with an HS256 token",
     .header = "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}",
     .sign = JWT_HS256,
     .allow = JWT_HS256 | JWT_HS512,
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit an empty array",
     .header = "{\"alg\":\"HS512\",\"crit\":[]}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit a string",
     .header = "{\"alg\":\"HS512\",\"crit\":\"exp\"}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit null",
     .header = "{\"alg\":\"HS512\",\"crit\":null}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit an object",
     .header = "{\"alg\":\"HS512\",\"crit\":{\"exp\":1}}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit with a number in it",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"exp\",1]}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit of arrays",
     .header = "{\"alg\":\"HS512\",\"crit\":[[\"exp\"]]}",
     .want_verify = JWT_CRIT_INVALID},
    {.name = "crit before the signature",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"x\"],\"x\":1}",
     .form = "{H}.{P}.{W}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "crit before the claims",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"x\"],\"x\":1}",
     .payload = "{\"exp\":1}",
     .want_verify = JWT_CRIT_UNSUPPORTED},
    {.name = "alg before crit",
     .header = "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}",
     .sign = JWT_HS256,
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "empty signature before crit",
     .header = "{\"alg\":\"HS512\",\"crit\":[\"x\"],\"x\":1}",
     .form = "{H}.{P}.",
     .want_verify = JWT_SIGNATURE_REQUIRED},
    {.name = "crit in a payload is only a claim",
     .payload = "{\"crit\":[\"exp\"]}",
     .want_verify = JWT_OK},
    {.name = "crit nested in another parameter is not crit",
     .header = "{\"alg\":\"HS512\",\"x\":{\"crit\":[\"y\"]}}",
     .want_verify = JWT_OK},
    /* Algorithms and signatures. */
    {.name = "alg none without signature",
     .header = "{\"alg\":\"none\",\"typ\":\"JWT\"}",
     .form = "{H}.{P}.",
     .want_verify = JWT_SIGNATURE_REQUIRED},
    {.name = "alg none with signature",
     .header = "{\"alg\":\"none\",\"typ\":\"JWT\"}",
     .allow = JWT_HS256 | JWT_HS512,
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "empty signature",
     .form = "{H}.{P}.",
     .want_verify = JWT_SIGNATURE_REQUIRED},
    {.name = "empty signature beats a disallowed alg",
     .header = HS256_HEADER,
     .form = "{H}.{P}.",
     .want_verify = JWT_SIGNATURE_REQUIRED},
    {.name = "HS256 token when only HS512 is allowed",
     .header = HS256_HEADER,
     .sign = JWT_HS256,
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "HS512 token when only HS256 is allowed",
     .allow = JWT_HS256,
     .want_verify = JWT_INVALID_ALGORITHM},
    {.name = "HS256 token when both are allowed",
     .header = HS256_HEADER,
     .sign = JWT_HS256,
     .allow = JWT_HS256 | JWT_HS512,
     .want_verify = JWT_OK},
    {.name = "HS256 header over an HS512 MAC",
     .header = HS256_HEADER,
     .sign = JWT_HS512,
     .allow = JWT_HS256 | JWT_HS512,
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "HS512 header over an HS256 MAC",
     .sign = JWT_HS256,
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "wrong key",
     .form = "{H}.{P}.{W}",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "tampered payload",
     .alt = "{\"sub\":\"admin\"}",
     .form = "{H}.{Q}.{S}",
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "tampered header",
     .alt = "{\"alg\":\"HS512\",\"typ\":\"JWT\",\"kid\":\"x\"}",
     .form = "{Q}.{P}.{S}",
     .want_verify = JWT_INVALID_SIGNATURE},
    /* Payloads that are not objects: signed, so they verify. */
    {.name = "payload an array",
     .payload = "[1]",
     .want_decode = JWT_PAYLOAD_NOT_OBJECT,
     .want_verify = JWT_OK},
    {.name = "payload a string",
     .payload = "\"x\"",
     .want_decode = JWT_PAYLOAD_NOT_OBJECT,
     .want_verify = JWT_OK},
    {.name = "payload a number",
     .payload = "1700000000",
     .want_decode = JWT_PAYLOAD_NOT_OBJECT,
     .want_verify = JWT_OK},
    {.name = "payload JSON null",
     .payload = "null",
     .want_decode = JWT_PAYLOAD_NOT_OBJECT,
     .want_verify = JWT_OK},
    {.name = "claims are not read from an array",
     .payload = "[{\"exp\":1}]",
     .want_decode = JWT_PAYLOAD_NOT_OBJECT,
     .want_verify = JWT_OK},
    {.name = "payload not JSON, no typ",
     .header = "{\"alg\":\"HS512\"}",
     .payload = "hello",
     .want_decode = JWT_PAYLOAD_NOT_JSON,
     .want_verify = JWT_OK},
    {.name = "payload not JSON, typ JWT",
     .payload = "hello",
     .want_decode = JWT_PAYLOAD_NOT_JSON,
     .want_verify = JWT_PAYLOAD_NOT_JSON},
    {.name = "payload not JSON beats an empty signature",
     .payload = "{\"a\":",
     .form = "{H}.{P}.",
     .want_decode = JWT_PAYLOAD_NOT_JSON,
     .want_verify = JWT_PAYLOAD_NOT_JSON},
    {.name = "payload not UTF-8",
     .payload = "{\"sub\":\"\xc0\xaf\"}",
     .want_decode = JWT_PAYLOAD_NOT_JSON,
     .want_verify = JWT_PAYLOAD_NOT_JSON},
    /* Claim types. */
    {.name = "exp a string",
     .payload = "{\"exp\":\"1700000100\"}",
     .want_verify = JWT_INVALID_EXP},
    {.name = "exp null",
     .payload = "{\"exp\":null}",
     .want_verify = JWT_INVALID_EXP},
    {.name = "nbf a string",
     .payload = "{\"nbf\":\"1\"}",
     .want_verify = JWT_INVALID_NBF},
    {.name = "nbf a boolean",
     .payload = "{\"nbf\":true}",
     .want_verify = JWT_INVALID_NBF},
    {.name = "iat a string with max age",
     .payload = "{\"iat\":\"1700000000\"}",
     .max_age = 86400,
     .want_verify = JWT_IAT_REQUIRED},
    {.name = "iat missing with max age",
     .payload = "{\"exp\":1700000060}",
     .max_age = 86400,
     .want_verify = JWT_IAT_REQUIRED},
    {.name = "iat a string without max age",
     .payload = "{\"iat\":\"x\"}",
     .want_verify = JWT_OK},
    /* exp: now >= exp + tolerance is expired. */
    {.name = "exp equal to now",
     .payload = "{\"exp\":1700000000}",
     .want_verify = JWT_EXPIRED},
    {.name = "exp one second ahead",
     .payload = "{\"exp\":1700000001}",
     .want_verify = JWT_OK},
    {.name = "exp at the tolerance",
     .payload = "{\"exp\":1699999970}",
     .tolerance = 30,
     .want_verify = JWT_EXPIRED},
    {.name = "exp inside the tolerance",
     .payload = "{\"exp\":1699999971}",
     .tolerance = 30,
     .want_verify = JWT_OK},
    {.name = "exp half a second ago",
     .payload = "{\"exp\":1699999999.5}",
     .want_verify = JWT_EXPIRED},
    {.name = "exp half a second ahead",
     .payload = "{\"exp\":1700000000.5}",
     .want_verify = JWT_OK},
    {.name = "exp beyond any double",
     .payload = "{\"exp\":1e400}",
     .want_verify = JWT_OK},
    /* nbf: nbf > now + tolerance is not active. */
    {.name = "nbf one second ahead",
     .payload = "{\"nbf\":1700000001}",
     .want_verify = JWT_NOT_ACTIVE},
    {.name = "nbf equal to now",
     .payload = "{\"nbf\":1700000000}",
     .want_verify = JWT_OK},
    {.name = "nbf at the tolerance",
     .payload = "{\"nbf\":1700000030}",
     .tolerance = 30,
     .want_verify = JWT_OK},
    {.name = "nbf past the tolerance",
     .payload = "{\"nbf\":1700000031}",
     .tolerance = 30,
     .want_verify = JWT_NOT_ACTIVE},
    /* maxAge: now >= floor(iat + maxAge) + tolerance is exceeded. */
    {.name = "max age reached",
     .payload = "{\"iat\":1699913600}",
     .max_age = 86400,
     .want_verify = JWT_MAX_AGE_EXCEEDED},
    {.name = "max age one second left",
     .payload = "{\"iat\":1699913601}",
     .max_age = 86400,
     .want_verify = JWT_OK},
    {.name = "max age reached with tolerance",
     .payload = "{\"iat\":1699913570}",
     .max_age = 86400,
     .tolerance = 30,
     .want_verify = JWT_MAX_AGE_EXCEEDED},
    {.name = "max age inside tolerance",
     .payload = "{\"iat\":1699913571}",
     .max_age = 86400,
     .tolerance = 30,
     .want_verify = JWT_OK},
    {.name = "max age floors a fractional iat",
     .payload = "{\"iat\":1699913600.5}",
     .max_age = 86400,
     .want_verify = JWT_MAX_AGE_EXCEEDED},
    {.name = "iat in the future is not checked unless asked",
     .payload = "{\"iat\":1800000000}",
     .max_age = 86400,
     .want_verify = JWT_OK},
    /* An iat in the future, when asked (RFC 8725 3.10): iat > now +
     * tolerance is refused. */
    {.name = "iat ten years ahead",
     .payload = "{\"iat\":2015000000}",
     .max_age = 86400,
     .tolerance = 30,
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat a day ahead",
     .payload = "{\"iat\":1700086400,\"exp\":1700086460}",
     .max_age = 86400,
     .tolerance = 30,
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat past the tolerance",
     .payload = "{\"iat\":1700000031}",
     .max_age = 86400,
     .tolerance = 30,
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat half a second past the tolerance",
     .payload = "{\"iat\":1700000030.5}",
     .tolerance = 30,
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat at the tolerance",
     .payload = "{\"iat\":1700000030}",
     .max_age = 86400,
     .tolerance = 30,
     .future_iat = true,
     .want_verify = JWT_OK},
    {.name = "iat one second ahead without tolerance",
     .payload = "{\"iat\":1700000001}",
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat equal to now",
     .payload = "{\"iat\":1700000000}",
     .future_iat = true,
     .want_verify = JWT_OK},
    {.name = "iat beyond any double",
     .payload = "{\"iat\":1e400}",
     .future_iat = true,
     .want_verify = JWT_IAT_IN_FUTURE},
    {.name = "iat a string is no iat in the future",
     .payload = "{\"iat\":\"2015000000\"}",
     .future_iat = true,
     .want_verify = JWT_OK},
    {.name = "iat missing is no iat in the future",
     .future_iat = true,
     .want_verify = JWT_OK},
    {.name = "expired before iat in the future",
     .payload = "{\"iat\":1800000000,\"exp\":1}",
     .max_age = 86400,
     .future_iat = true,
     .want_verify = JWT_EXPIRED},
    {.name = "bad signature before iat in the future",
     .payload = "{\"iat\":1800000000}",
     .form = "{H}.{P}.{W}",
     .future_iat = true,
     .want_verify = JWT_INVALID_SIGNATURE},
    {.name = "iat 0 with max age",
     .payload = "{\"iat\":0}",
     .max_age = 86400,
     .want_verify = JWT_MAX_AGE_EXCEEDED},
    /* Order of the checks. */
    {.name = "bad nbf before expired exp",
     .payload = "{\"nbf\":\"x\",\"exp\":1}",
     .want_verify = JWT_INVALID_NBF},
    {.name = "not active before expired",
     .payload = "{\"exp\":1,\"nbf\":1800000000}",
     .want_verify = JWT_NOT_ACTIVE},
    {.name = "expired before iat required",
     .payload = "{\"exp\":1}",
     .max_age = 86400,
     .want_verify = JWT_EXPIRED},
    {.name = "bad signature before expired",
     .payload = "{\"exp\":1}",
     .form = "{H}.{P}.{W}",
     .want_verify = JWT_INVALID_SIGNATURE},
    /* What Cord's server tokens look like, accepted. */
    {.name = "server token as the SDKs make it",
     .payload = "{\"app_id\":\"8f2a1c52-6d7e-4a51-9a4b-0f9e2d1c3b4a\","
                "\"iat\":1699999990,\"exp\":1700000050}",
     .max_age = 86400,
     .tolerance = 30,
     .want_verify = JWT_OK},
};

static void
append_b64(struct buf *b, const char *text)
{
    char enc[1024];
    size_t len = strlen(text);

    cr_assert(b64url_encoded_len(len) <= sizeof(enc));
    cr_assert_eq(buf_append(b, enc, b64url_encode(enc, text, len)), 0);
}

static void
append_mac(struct buf *b, enum jwt_alg alg, const char *key, const char *hdr,
           const char *payload, size_t drop, bool skew)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char mac[JWT_MAX_MAC_LEN];
    char enc[128];
    size_t mac_len, n;
    struct buf input;

    buf_init(&input, arena, 4096);
    append_b64(&input, hdr);
    cr_assert_eq(buf_append_char(&input, '.'), 0);
    append_b64(&input, payload);
    cr_assert_eq(
        jwt_hmac(alg, key, strlen(key), input.data, input.len, mac, &mac_len),
        0);
    n = b64url_encode(enc, mac, mac_len);
    if (skew) {
        /* Both MAC lengths leave unused bits in the last character. */
        const char *c = strchr(alphabet, enc[n - 1]);

        enc[n - 1] = alphabet[(c - alphabet) | 1];
    }
    cr_assert_eq(buf_append(b, enc, n - drop), 0);
}

static struct str
build_token(const struct token_row *r)
{
    const char *hdr =
        r->header ? r->header : "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
    const char *payload = r->payload ? r->payload : "{\"sub\":\"u\"}";
    const char *f = r->form ? r->form : "{H}.{P}.{S}";
    enum jwt_alg alg = r->sign ? r->sign : JWT_HS512;
    struct buf b;

    buf_init(&b, arena, 4096);
    while (*f != '\0') {
        if (f[0] != '{' || f[1] == '\0' || f[2] != '}') {
            cr_assert_eq(buf_append_char(&b, *f++), 0);
            continue;
        }
        switch (f[1]) {
        case 'H':
            append_b64(&b, hdr);
            break;
        case 'P':
            append_b64(&b, payload);
            break;
        case 'Q':
            append_b64(&b, r->alt);
            break;
        case 'S':
            append_mac(&b, alg, KEY, hdr, payload, 0, false);
            break;
        case 'W':
            append_mac(&b, alg, "not-the-key", hdr, payload, 0, false);
            break;
        case 'T':
            append_mac(&b, alg, KEY, hdr, payload, 1, false);
            break;
        case 'U':
            append_mac(&b, alg, KEY, hdr, payload, 2, false);
            break;
        case 'N':
            append_mac(&b, alg, KEY, hdr, payload, 0, true);
            break;
        default:
            cr_assert_fail("bad placeholder in %s", r->form);
        }
        f += 3;
    }
    return buf_str(&b);
}

Test(jwt, bad_tokens_fail_with_the_right_status)
{
    for (size_t i = 0; i < CG_ARRAY_LEN(token_rows); i++) {
        const struct token_row *r = &token_rows[i];
        const struct jwt_verify_opts opts = {
            .algorithms = r->allow ? r->allow : JWT_HS512,
            .now = NOW,
            .clock_tolerance = r->tolerance,
            .max_age = r->max_age,
            .reject_future_iat = r->future_iat,
        };
        struct str token = build_token(r);
        enum jwt_status st;
        struct jwt t;

        st = jwt_decode(arena, token.p, token.len, &t);
        cr_assert_eq(st, r->want_decode, "%s: decode gave %s (%d)", r->name,
                     jwt_status_message(st), st);
        if (st != JWT_OK && st != JWT_PAYLOAD_NOT_JSON &&
            st != JWT_PAYLOAD_NOT_OBJECT)
            continue;
        st = jwt_verify(&t, KEY, strlen(KEY), &opts);
        cr_assert_eq(st, r->want_verify, "%s: verify gave %s (%d)", r->name,
                     jwt_status_message(st), st);
    }
}

Test(jwt, tokens_longer_than_the_limit_are_refused_before_decoding)
{
    char *token = arena_alloc(arena, JWT_MAX_LEN + 1);
    struct jwt t;

    /* Not even valid base64url: the length check comes first. */
    memset(token, '!', JWT_MAX_LEN + 1);
    cr_assert_eq(jwt_decode(arena, token, JWT_MAX_LEN + 1, &t), JWT_TOO_LONG);
    cr_assert_eq(jwt_decode(arena, token, JWT_MAX_LEN, &t), JWT_MALFORMED);
}

Test(jwt, a_token_of_exactly_the_limit_is_accepted)
{
    const struct jwt_verify_opts opts = {.algorithms = JWT_HS512};
    size_t payload_len = 0;
    char *payload;
    struct buf b;
    struct jwt t;

    /* header(36) "." payload "." signature(86) == JWT_MAX_LEN exactly. */
    while (36 + 1 + b64url_encoded_len(payload_len) + 1 + 86 < JWT_MAX_LEN)
        payload_len++;
    cr_assert_eq(36 + 1 + b64url_encoded_len(payload_len) + 1 + 86,
                 JWT_MAX_LEN);
    payload = arena_alloc(arena, payload_len);
    memset(payload, ' ', payload_len);
    memcpy(payload, "{}", 2);
    buf_init(&b, arena, JWT_MAX_LEN + 1);
    cr_assert_eq(
        jwt_sign(&b, JWT_HS512, payload, payload_len, KEY, strlen(KEY)), 0);
    cr_assert_eq(b.len, JWT_MAX_LEN);
    cr_assert_eq(jwt_decode(arena, b.data, b.len, &t), JWT_OK);
    cr_assert_eq(jwt_verify(&t, KEY, strlen(KEY), &opts), JWT_OK);
}

Test(jwt, an_empty_key_verifies_nothing)
{
    const struct jwt_verify_opts opts = {.algorithms = JWT_HS512};
    struct jwt t;

    cr_assert_eq(jwt_decode(arena, GO_TOKEN, strlen(GO_TOKEN), &t), JWT_OK);
    cr_assert_eq(jwt_verify(&t, "", 0, &opts), JWT_KEY_REQUIRED);
}

Test(jwt, verify_refuses_a_token_that_was_not_decoded)
{
    const struct jwt_verify_opts opts = {.algorithms = JWT_HS512};
    struct jwt t;

    cr_assert_eq(jwt_decode(arena, "a.b", 3, &t), JWT_MALFORMED);
    cr_assert_eq(jwt_verify(&t, KEY, strlen(KEY), &opts), JWT_MALFORMED);
    /* Split fine, header no JSON: nothing is left half-filled. */
    cr_assert_eq(jwt_decode(arena, "YWJj.e30.", 9, &t), JWT_INVALID_TOKEN);
    cr_assert_null(t.signing_input.p);
    cr_assert_eq(jwt_verify(&t, KEY, strlen(KEY), &opts), JWT_MALFORMED);
}

Test(jwt, status_messages_are_the_ones_cord_surfaces)
{
    static const struct {
        enum jwt_status st;
        const char *msg;
    } rows[] = {
        {JWT_MALFORMED, "JsonWebTokenError: jwt malformed"},
        {JWT_INVALID_TOKEN, "JsonWebTokenError: invalid token"},
        {JWT_SIGNATURE_REQUIRED,
         "JsonWebTokenError: jwt signature is required"},
        {JWT_INVALID_ALGORITHM, "JsonWebTokenError: invalid algorithm"},
        {JWT_INVALID_SIGNATURE, "JsonWebTokenError: invalid signature"},
        {JWT_INVALID_NBF, "JsonWebTokenError: invalid nbf value"},
        {JWT_NOT_ACTIVE, "NotBeforeError: jwt not active"},
        {JWT_INVALID_EXP, "JsonWebTokenError: invalid exp value"},
        {JWT_EXPIRED, "TokenExpiredError: jwt expired"},
        {JWT_IAT_REQUIRED,
         "JsonWebTokenError: iat required when maxAge is specified"},
        {JWT_MAX_AGE_EXCEEDED, "TokenExpiredError: maxAge exceeded"},
        {JWT_CRIT_INVALID, "JsonWebTokenError: invalid crit header parameter"},
        {JWT_CRIT_UNSUPPORTED,
         "JsonWebTokenError: unsupported crit header parameter"},
        {JWT_IAT_IN_FUTURE, "JsonWebTokenError: jwt issued in the future"},
    };

    for (size_t i = 0; i < CG_ARRAY_LEN(rows); i++)
        cr_assert_str_eq(jwt_status_message(rows[i].st), rows[i].msg);
}
