/* Compact JWS (HS256, HS512): decode, verify as jsonwebtoken does, sign. */
#include "cordgate/jwt.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include <json-c/json_object.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cordgate/arena.h"
#include "cordgate/b64url.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"

/* base64url of {"alg":"HS256","typ":"JWT"} and {"alg":"HS512","typ":"JWT"}:
 * the header @cord-sdk/server and jsonwebtoken write, byte for byte. */
#define JWT_HEADER_HS256 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define JWT_HEADER_HS512 "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9"

/* Payload bytes encoded per step of jwt_sign(); a multiple of 3. */
#define JWT_SIGN_CHUNK 768

/*
 * A fresh EVP_MAC_CTX per MAC costs more than the MAC itself (allocations
 * and a digest fetch by name), so each thread keeps contexts with their
 * digest set and re-keys them: EVP_MAC_init() with a key and no parameters
 * keeps the digest.  The HMAC method is fetched once.
 *
 * Keying HMAC hashes the padded key twice, so each context also remembers
 * its key; when it comes again, EVP_MAC_init() with no key restarts from the
 * prepared state.  Two contexts per algorithm: POST /v1/authorize verifies
 * with the app's secret and signs with the access-token secret, and both
 * stay prepared from one request to the next.
 */
#define JWT_KEY_MEMO 128

struct mac_slot {
    EVP_MAC_CTX *ctx;
    size_t key_len; /* 0: no key remembered */
    unsigned char key[JWT_KEY_MEMO];
};

static EVP_MAC *jwt_mac;
static pthread_once_t jwt_mac_once = PTHREAD_ONCE_INIT;
static _Thread_local struct mac_slot jwt_slots[2][2]; /* [alg][slot] */
static _Thread_local unsigned char jwt_next_slot[2];  /* the one to re-key */

static void
jwt_mac_fetch(void)
{
    jwt_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_MAC_CTX *
mac_ctx_new(enum jwt_alg alg)
{
    static char sha256[] = "SHA256", sha512[] = "SHA512";
    OSSL_PARAM params[2];
    EVP_MAC_CTX *ctx;

    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_MAC_PARAM_DIGEST, alg == JWT_HS256 ? sha256 : sha512, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (pthread_once(&jwt_mac_once, jwt_mac_fetch) != 0 || jwt_mac == NULL)
        return NULL;
    ctx = EVP_MAC_CTX_new(jwt_mac);
    if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

int
jwt_hmac(enum jwt_alg alg, const void *key, size_t key_len, const void *data,
         size_t len, unsigned char out[JWT_MAX_MAC_LEN], size_t *out_len)
{
    struct mac_slot *s = NULL;
    int a, i, keyed;

    if (alg != JWT_HS256 && alg != JWT_HS512)
        return -1;
    a = alg == JWT_HS256 ? 0 : 1;
    for (i = 0; i < 2; i++) {
        struct mac_slot *c = &jwt_slots[a][i];

        if (c->ctx != NULL && key_len > 0 && c->key_len == key_len &&
            memcmp(c->key, key, key_len) == 0)
            s = c;
    }
    if (s != NULL) {
        /* A NULL key means "keep the previous key" to OpenSSL. */
        keyed = EVP_MAC_init(s->ctx, NULL, 0, NULL);
    } else {
        s = &jwt_slots[a][jwt_next_slot[a]];
        jwt_next_slot[a] ^= 1;
        if (s->ctx == NULL && (s->ctx = mac_ctx_new(alg)) == NULL)
            return -1;
        s->key_len = 0;
        keyed = EVP_MAC_init(s->ctx, key_len > 0 ? key : (const void *)"",
                             key_len, NULL);
        if (keyed == 1 && key_len > 0 && key_len <= JWT_KEY_MEMO) {
            memcpy(s->key, key, key_len);
            s->key_len = key_len;
        }
    }
    if (keyed == 1 && EVP_MAC_update(s->ctx, data, len) == 1 &&
        EVP_MAC_final(s->ctx, out, out_len, JWT_MAX_MAC_LEN) == 1)
        return 0;
    /* Its state is unknown now; start afresh next time. */
    EVP_MAC_CTX_free(s->ctx);
    s->ctx = NULL;
    s->key_len = 0;
    return -1;
}

/* Decode one segment onto the arena, NUL-terminated for json-c's sake. */
static enum jwt_status
decode_segment(struct arena *a, struct str seg, struct str *bytes)
{
    size_t cap = b64url_decoded_max_len(seg.len), n;
    char *p = arena_alloc(a, cap + 1);

    if (p == NULL)
        return JWT_INTERNAL;
    if (b64url_decode(p, cap, seg.p, seg.len, &n) != 0)
        return JWT_INVALID_TOKEN;
    p[n] = '\0';
    *bytes = (struct str){p, n};
    return JWT_OK;
}

/* JSON text into *out; `invalid` is the status for text that is not JSON. */
static enum jwt_status
parse_json(struct arena *a, struct str bytes, struct json_object **out,
           enum jwt_status invalid)
{
    switch (json_parse(a, bytes.p, bytes.len, out)) {
    case JSON_PARSE_OK:
        return JWT_OK;
    case JSON_PARSE_NOMEM:
        return JWT_INTERNAL;
    case JSON_PARSE_INVALID:
    case JSON_PARSE_BAD_UTF8:
    case JSON_PARSE_TOO_DEEP:
    case JSON_PARSE_TOO_BIG:
        break;
    }
    return invalid;
}

/*
 * RFC 7515 4.1.11: crit, when present, is a non-empty array of header
 * parameter names the recipient must understand.  We understand no
 * extension, so a well-formed crit names one we do not, and either way the
 * token is refused.
 */
static enum jwt_status
crit_status(struct json_object *header)
{
    struct json_object *crit;
    size_t i, n;

    if (!json_object_is_type(header, json_type_object) ||
        !json_object_object_get_ex(header, "crit", &crit))
        return JWT_OK;
    if (!json_object_is_type(crit, json_type_array) ||
        (n = json_object_array_length(crit)) == 0)
        return JWT_CRIT_INVALID;
    for (i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(crit, i),
                                 json_type_string))
            return JWT_CRIT_INVALID;
    return JWT_CRIT_UNSUPPORTED;
}

static enum jwt_status
parse_header(struct arena *a, struct str bytes, struct jwt *out)
{
    struct str typ;
    enum jwt_status st = parse_json(a, bytes, &out->header, JWT_INVALID_TOKEN);

    if (st != JWT_OK)
        return st;
    /* jws.decode gives up on a falsy header. */
    if (!json_is_truthy(out->header))
        return JWT_INVALID_TOKEN;
    if (!json_get_string(out->header, "alg", &out->alg))
        out->alg = STR_NULL;
    out->typ_is_jwt =
        json_get_string(out->header, "typ", &typ) && str_eq_cstr(typ, "JWT");
    out->crit = crit_status(out->header);
    return JWT_OK;
}

static enum jwt_status
parse_payload(struct arena *a, struct str bytes, struct jwt *out)
{
    enum jwt_status st =
        parse_json(a, bytes, &out->payload, JWT_PAYLOAD_NOT_JSON);

    if (st != JWT_OK)
        return st;
    out->payload_is_json = true;
    if (!json_object_is_type(out->payload, json_type_object))
        return JWT_PAYLOAD_NOT_OBJECT;
    return JWT_OK;
}

static enum jwt_status
decode_token(struct arena *a, const char *token, size_t len, struct jwt *out)
{
    const char *dot1, *dot2, *end;
    struct str header, payload;
    enum jwt_status st;

    if (len > JWT_MAX_LEN)
        return JWT_TOO_LONG;
    if (len == 0)
        return JWT_MALFORMED;
    end = token + len;
    if ((dot1 = memchr(token, '.', len)) == NULL ||
        (dot2 = memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1))) == NULL ||
        memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL)
        return JWT_MALFORMED;
    out->header_b64 = (struct str){token, (size_t)(dot1 - token)};
    out->payload_b64 = (struct str){dot1 + 1, (size_t)(dot2 - dot1 - 1)};
    out->signature_b64 = (struct str){dot2 + 1, (size_t)(end - dot2 - 1)};
    out->signing_input = (struct str){token, (size_t)(dot2 - token)};

    /* Like jws's pattern, check every segment before any JSON. */
    if (out->header_b64.len == 0 || out->payload_b64.len == 0 ||
        !b64url_has_only_alphabet(out->signature_b64.p, out->signature_b64.len))
        return JWT_INVALID_TOKEN;
    if ((st = decode_segment(a, out->header_b64, &header)) != JWT_OK ||
        (st = decode_segment(a, out->payload_b64, &payload)) != JWT_OK)
        return st;
    /*
     * A signature of a length or with trailing bits that no MAC has matches
     * nothing.  jsonwebtoken compares signatures as text and calls that an
     * invalid signature, so leave it empty for jwt_verify() to say so.
     */
    st = decode_segment(a, out->signature_b64, &out->signature);
    if (st == JWT_INTERNAL)
        return st;
    if (st != JWT_OK)
        out->signature = STR_NULL;
    /* The header every JWT library writes: no need to parse it. */
    if (str_eq_cstr(out->header_b64, JWT_HEADER_HS512)) {
        out->alg = str_from_cstr("HS512");
        out->typ_is_jwt = true;
    } else if (str_eq_cstr(out->header_b64, JWT_HEADER_HS256)) {
        out->alg = str_from_cstr("HS256");
        out->typ_is_jwt = true;
    } else if ((st = parse_header(a, header, out)) != JWT_OK) {
        return st;
    }
    return parse_payload(a, payload, out);
}

enum jwt_status
jwt_decode(struct arena *a, const char *token, size_t len, struct jwt *out)
{
    enum jwt_status st;

    memset(out, 0, sizeof(*out));
    st = decode_token(a, token, len, out);
    /* Leave nothing half-decoded for jwt_verify() to take for a token. */
    if (st != JWT_OK && st != JWT_PAYLOAD_NOT_JSON &&
        st != JWT_PAYLOAD_NOT_OBJECT)
        memset(out, 0, sizeof(*out));
    return st;
}

static enum jwt_alg
alg_from_name(struct str name)
{
    if (str_eq_cstr(name, "HS256"))
        return JWT_HS256;
    if (str_eq_cstr(name, "HS512"))
        return JWT_HS512;
    return 0;
}

/* Steps 5-7 of cord-api.md 3.2, in doubles as JavaScript computes them,
 * then an iat in the future when the caller refuses one. */
static enum jwt_status
check_claims(struct json_object *claims, const struct jwt_verify_opts *o)
{
    double now = (double)o->now, tolerance = (double)o->clock_tolerance;
    struct json_object *v;

    if (json_get(claims, "nbf", &v)) {
        if (!json_is_number(v))
            return JWT_INVALID_NBF;
        if (json_number(v) > now + tolerance)
            return JWT_NOT_ACTIVE;
    }
    if (json_get(claims, "exp", &v)) {
        if (!json_is_number(v))
            return JWT_INVALID_EXP;
        if (now >= json_number(v) + tolerance)
            return JWT_EXPIRED;
    }
    if (o->max_age != 0) {
        /* Cord passes maxAge as "86400s", which jsonwebtoken floors. */
        if (!json_get(claims, "iat", &v) || !json_is_number(v))
            return JWT_IAT_REQUIRED;
        if (now >= floor(json_number(v) + (double)o->max_age) + tolerance)
            return JWT_MAX_AGE_EXCEEDED;
    }
    if (o->reject_future_iat && json_get(claims, "iat", &v) &&
        json_is_number(v) && json_number(v) > now + tolerance)
        return JWT_IAT_IN_FUTURE;
    return JWT_OK;
}

enum jwt_status
jwt_verify(const struct jwt *t, const void *key, size_t key_len,
           const struct jwt_verify_opts *o)
{
    unsigned char mac[JWT_MAX_MAC_LEN];
    size_t mac_len;
    enum jwt_alg alg;

    if (t->signing_input.p == NULL)
        return JWT_MALFORMED;
    if (t->typ_is_jwt && !t->payload_is_json)
        return JWT_PAYLOAD_NOT_JSON;
    if (t->signature_b64.len == 0)
        return JWT_SIGNATURE_REQUIRED;
    if (key_len == 0)
        return JWT_KEY_REQUIRED;
    /* The allow-list is the caller's; the token only names a candidate. */
    alg = alg_from_name(t->alg);
    if ((alg & o->algorithms) == 0)
        return JWT_INVALID_ALGORITHM;
    if (t->crit != JWT_OK)
        return t->crit;
    if (jwt_hmac(alg, key, key_len, t->signing_input.p, t->signing_input.len,
                 mac, &mac_len) != 0)
        return JWT_INTERNAL;
    if (t->signature.len != mac_len ||
        CRYPTO_memcmp(mac, t->signature.p, mac_len) != 0)
        return JWT_INVALID_SIGNATURE;
    if (!json_object_is_type(t->payload, json_type_object))
        return JWT_OK;
    return check_claims(t->payload, o);
}

const char *
jwt_status_message(enum jwt_status s)
{
    switch (s) {
#define JWT_STATUS_CASE(name, message)                                         \
    case JWT_##name:                                                           \
        return message;
        JWT_STATUSES(JWT_STATUS_CASE)
#undef JWT_STATUS_CASE
    }
    return "JsonWebTokenError: invalid token";
}

static int
sign_into(struct buf *out, enum jwt_alg alg, const char *payload_json,
          size_t payload_len, const void *key, size_t key_len)
{
    size_t start = out->len, i, n, mac_len;
    unsigned char mac[JWT_MAX_MAC_LEN];
    char chunk[JWT_SIGN_CHUNK / 3 * 4];
    const char *header;

    switch (alg) {
    case JWT_HS256:
        header = JWT_HEADER_HS256;
        break;
    case JWT_HS512:
        header = JWT_HEADER_HS512;
        break;
    default:
        return -1;
    }
    /* jsonwebtoken refuses an empty secret, and jwt_verify() would too; an
     * empty payload makes a token that jwt_decode() refuses. */
    if (key_len == 0 || payload_len == 0)
        return -1;
    if (buf_append_str(out, header) != 0 || buf_append_char(out, '.') != 0)
        return -1;
    for (i = 0; i < payload_len; i += n) {
        n = payload_len - i < JWT_SIGN_CHUNK ? payload_len - i : JWT_SIGN_CHUNK;
        if (buf_append(out, chunk, b64url_encode(chunk, payload_json + i, n)) !=
            0)
            return -1;
    }
    if (jwt_hmac(alg, key, key_len, out->data + start, out->len - start, mac,
                 &mac_len) != 0)
        return -1;
    if (buf_append_char(out, '.') != 0 ||
        buf_append(out, chunk, b64url_encode(chunk, mac, mac_len)) != 0)
        return -1;
    return 0;
}

int
jwt_sign(struct buf *out, enum jwt_alg alg, const char *payload_json,
         size_t payload_len, const void *key, size_t key_len)
{
    size_t start = out->len;

    if (sign_into(out, alg, payload_json, payload_len, key, key_len) == 0)
        return 0;
    out->len = start;
    if (out->data != NULL)
        out->data[start] = '\0';
    return -1;
}
