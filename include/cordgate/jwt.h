/* Compact JWS with HS256/HS512, checked as jsonwebtoken 9.0.2 checks it. */
#ifndef CORDGATE_JWT_H
#define CORDGATE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/str.h"

struct arena;
struct buf;
struct json_object;

/* Bits, so that an allow-list is JWT_HS256 | JWT_HS512. */
enum jwt_alg {
    JWT_HS256 = 1,
    JWT_HS512 = 2,
};

/* Longer tokens are refused before any decoding. */
#define JWT_MAX_LEN 8192
/* The longest MAC (HS512). */
#define JWT_MAX_MAC_LEN 64

/*
 * X(name, message): the message is the "<ErrorName>: <msg>" text Cord puts
 * in its error bodies.  Callers pick their own message for
 * JWT_PAYLOAD_NOT_JSON and JWT_PAYLOAD_NOT_OBJECT (cord-api.md 3.3 step 4,
 * 3.4 B1); Node's SyntaxError text names the offending character, which we
 * do not reproduce.  JWT_INTERNAL (out of memory, OpenSSL failure) is a 500,
 * never a verdict on the token.  The last three are ours: jsonwebtoken
 * checks neither crit (RFC 7515 4.1.11) nor an iat in the future (RFC 8725
 * 3.10), so their texts are written in its style.
 */
#define JWT_STATUSES(X)                                                        \
    X(OK, "")                                                                  \
    X(MALFORMED, "JsonWebTokenError: jwt malformed")                           \
    X(TOO_LONG, "JsonWebTokenError: jwt malformed")                            \
    X(INVALID_TOKEN, "JsonWebTokenError: invalid token")                       \
    X(PAYLOAD_NOT_JSON, "SyntaxError: Unexpected token in JSON")               \
    X(PAYLOAD_NOT_OBJECT, "JsonWebTokenError: invalid token")                  \
    X(INTERNAL, "Error: internal error")                                       \
    X(KEY_REQUIRED,                                                            \
      "JsonWebTokenError: secret or public key must be provided")              \
    X(SIGNATURE_REQUIRED, "JsonWebTokenError: jwt signature is required")      \
    X(INVALID_ALGORITHM, "JsonWebTokenError: invalid algorithm")               \
    X(INVALID_SIGNATURE, "JsonWebTokenError: invalid signature")               \
    X(INVALID_NBF, "JsonWebTokenError: invalid nbf value")                     \
    X(NOT_ACTIVE, "NotBeforeError: jwt not active")                            \
    X(INVALID_EXP, "JsonWebTokenError: invalid exp value")                     \
    X(EXPIRED, "TokenExpiredError: jwt expired")                               \
    X(IAT_REQUIRED,                                                            \
      "JsonWebTokenError: iat required when maxAge is specified")              \
    X(MAX_AGE_EXCEEDED, "TokenExpiredError: maxAge exceeded")                  \
    X(CRIT_INVALID, "JsonWebTokenError: invalid crit header parameter")        \
    X(CRIT_UNSUPPORTED,                                                        \
      "JsonWebTokenError: unsupported crit header parameter")                  \
    X(IAT_IN_FUTURE, "JsonWebTokenError: jwt issued in the future")

enum jwt_status {
#define JWT_STATUS_ENUM(name, message) JWT_##name,
    JWT_STATUSES(JWT_STATUS_ENUM)
#undef JWT_STATUS_ENUM
};

/*
 * A decoded token.  The *_b64 segments and signing_input point into the
 * caller's token text; signature and the JSON values live on the arena.
 */
struct jwt {
    struct str header_b64;
    struct str payload_b64;
    struct str signature_b64;
    struct str signing_input; /* header_b64 "." payload_b64 */
    struct str signature;     /* decoded signature bytes */
    struct json_object *header;
    struct json_object *payload; /* NULL if not JSON, or JSON null */
    struct str alg; /* header.alg when it is a string, else {NULL, 0} */
    bool payload_is_json;
    bool typ_is_jwt; /* header.typ == "JWT": jsonwebtoken then insists on
                        a JSON payload */
    /* JWT_OK without a crit header parameter; JWT_CRIT_UNSUPPORTED for a
     * well-formed one (we understand no extension, so any name in it is
     * one we do not), JWT_CRIT_INVALID for any other value. */
    enum jwt_status crit;
};

/*
 * Split and decode a compact token without verifying it.  Returns
 *   JWT_TOO_LONG        longer than JWT_MAX_LEN;
 *   JWT_MALFORMED       not exactly three '.'-separated segments;
 *   JWT_INVALID_TOKEN   an empty header or payload segment, a character
 *                       outside [A-Za-z0-9_-] in any segment, a header or
 *                       payload segment that is not canonical unpadded
 *                       base64url, or a header that is not UTF-8 JSON or
 *                       is a falsy JSON value;
 *   JWT_PAYLOAD_NOT_JSON, JWT_PAYLOAD_NOT_OBJECT  all else fine, *out filled;
 *   JWT_INTERNAL (out of memory), or JWT_OK.
 * An empty signature segment decodes, so that jwt_verify() can say
 * "jwt signature is required"; so does one of a length or with trailing
 * bits that no MAC has (signature left empty), which jwt_verify() calls an
 * invalid signature, as jsonwebtoken does.  A header that is not an object or
 * has no string alg decodes too; jwt_verify() then says "invalid algorithm".
 * On any other failure *out is zeroed, and jwt_verify() on it says
 * JWT_MALFORMED.
 */
enum jwt_status jwt_decode(struct arena *a, const char *token, size_t len,
                           struct jwt *out) CG_MUSTCHECK;

struct jwt_verify_opts {
    unsigned algorithms;     /* jwt_alg bits the caller accepts */
    int64_t now;             /* seconds since the epoch; never the token's */
    int64_t clock_tolerance; /* seconds */
    int64_t max_age;         /* seconds; 0 means no maxAge check */
    /* Refuse a numeric iat after now + clock_tolerance (RFC 8725 3.10):
     * such a token would outlive max_age.  jsonwebtoken never does. */
    bool reject_future_iat;
};

/*
 * Verify a token that jwt_decode() returned JWT_OK, JWT_PAYLOAD_NOT_JSON or
 * JWT_PAYLOAD_NOT_OBJECT for, with the raw bytes of the secret, checking in
 * jsonwebtoken's order: a JSON payload when typ is "JWT", signature
 * present, a non-empty key, alg in o->algorithms, MAC, nbf, exp, maxAge.
 * Claims are only read from an object payload; numbers compare as
 * JavaScript doubles do.  Deliberate differences: jsonwebtoken measures
 * maxAge from now when iat is 0 (its "iat || now"); we measure it from 0.
 * A crit header parameter is refused after the alg check and before the
 * MAC (RFC 7515 5.2 checks the header before the signature), whoever the
 * caller; with o->reject_future_iat, an iat in the future after maxAge.
 */
enum jwt_status jwt_verify(const struct jwt *t, const void *key, size_t key_len,
                           const struct jwt_verify_opts *o) CG_MUSTCHECK;

const char *jwt_status_message(enum jwt_status s);

/*
 * Append header "." payload "." signature to out, the header being exactly
 * {"alg":"HS512","typ":"JWT"} (or HS256) and the payload the given JSON text
 * as is.  Returns 0, or -1 with out unchanged (no room, an unknown alg, an
 * empty key or an empty payload).
 */
int jwt_sign(struct buf *out, enum jwt_alg alg, const char *payload_json,
             size_t payload_len, const void *key, size_t key_len) CG_MUSTCHECK;

/* HMAC-SHA256/512 of data; out gets *out_len (32 or 64) bytes. */
int jwt_hmac(enum jwt_alg alg, const void *key, size_t key_len,
             const void *data, size_t len, unsigned char out[JWT_MAX_MAC_LEN],
             size_t *out_len) CG_MUSTCHECK;

#endif
