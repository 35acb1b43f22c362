/* Bearer tokens: access tokens and server auth tokens (cord-api.md 3.4). */
#include "cordgate/auth.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cordgate/arena.h"
#include "cordgate/cache.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/jwt.h"
#include "cordgate/log.h"
#include "cordgate/store.h"
#include "cordgate/uuid.h"

/* Hashed first, so that the comparison takes the same time whatever the
 * lengths. */
static bool
token_equals(const char *given, size_t len, const char *want)
{
    unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];

    if (SHA256((const unsigned char *)given, len, a) == NULL ||
        SHA256((const unsigned char *)want, strlen(want), b) == NULL)
        return false;
    return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

enum cg_err
auth_metrics(struct request *r)
{
    const char *want = r->ctx->cfg->metrics_token, *h = r->authorization;
    size_t len;

    if (want == NULL || want[0] == '\0')
        return CG_ERR_OK;
    /* RFC 7235: the scheme is case-insensitive. */
    if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        len = strlen(h);
        while (len > 0 && h[len - 1] == ' ')
            len--;
        if (token_equals(h, len, want))
            return CG_ERR_OK;
    }
    if (http_add_header(r, "WWW-Authenticate",
                        "Bearer realm=\"cordgate metrics\"") != 0)
        return CG_ERR_INTERNAL;
    return request_fail_text(r, CG_ERR_UNAUTHORIZED,
                             "GET /metrics needs the bearer token of "
                             "CORDGATE_METRICS_TOKEN.");
}

bool
auth_is_jwt(const char *s, size_t len)
{
    size_t i, dots = 0;

    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '.')
            dots++;
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                   (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return dots == 2;
}

/* Free a secret, wiping it first. */
static void
secret_free(char *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, strlen(s));
}

/*
 * The access-token secrets into the worker's context: from the
 * configuration once, or from the database, again after CACHE_TTL_MS (or at
 * once with force), so that `cordgate access-secret rotate` reaches every
 * worker within the cache bound.  *fetched says whether this call read the
 * database.
 */
static enum cg_err
access_secrets_load(struct request *r, bool force, bool *fetched)
{
    struct context *c = r->ctx;
    const struct config *cfg = c->cfg;
    int64_t now = clock_mono_ms();
    struct access_secrets s;
    char *current, *previous = NULL;
    enum cg_err e;

    *fetched = false;
    if (cfg->access_token_secret != NULL && cfg->access_token_secret[0]) {
        if (c->access_secret != NULL)
            return CG_ERR_OK;
        s.current = cfg->access_token_secret;
        s.previous = cfg->access_token_previous_secret != NULL &&
                             cfg->access_token_previous_secret[0]
                         ? cfg->access_token_previous_secret
                         : NULL;
        s.previous_until_ms = INT64_MAX; /* until the configuration drops it */
    } else {
        if (c->access_secret != NULL && !force &&
            now - c->access_loaded_ms < CACHE_TTL_MS)
            return CG_ERR_OK;
        e = store_access_secrets_get(c->db, r->arena, r->deadline_ms, &s);
        if (e != CG_ERR_OK)
            return e;
        if (s.current == NULL) {
            log_error("no access-token secret: run `cordgate migrate`");
            return CG_ERR_INTERNAL;
        }
        *fetched = true;
    }
    current = strdup(s.current);
    if (s.previous != NULL)
        previous = strdup(s.previous);
    if (current == NULL || (s.previous != NULL && previous == NULL)) {
        secret_free(current);
        secret_free(previous);
        return CG_ERR_INTERNAL;
    }
    secret_free(c->access_secret);
    secret_free(c->access_previous);
    c->access_secret = current;
    c->access_previous = previous;
    c->access_previous_until_ms = s.previous_until_ms;
    c->access_loaded_ms = now;
    return CG_ERR_OK;
}

enum cg_err
auth_access_secret(struct request *r, struct str *out)
{
    bool fetched;
    enum cg_err e = access_secrets_load(r, false, &fetched);

    if (e != CG_ERR_OK)
        return e;
    *out = str_from_cstr(r->ctx->access_secret);
    return CG_ERR_OK;
}

/* t against secret, then against previous while its grace lasts. */
static enum jwt_status
verify_either(const struct jwt *t, const char *secret, const char *previous,
              int64_t previous_until_ms, const struct jwt_verify_opts *o)
{
    enum jwt_status st = jwt_verify(t, secret, strlen(secret), o);

    if (st == JWT_INVALID_SIGNATURE && previous != NULL &&
        clock_wall_millis() < previous_until_ms)
        st = jwt_verify(t, previous, strlen(previous), o);
    return st;
}

/* An app or session from a worker cache, copied into the request's arena. */
static bool
cached(struct request *r, struct cache *c, const char *key, struct app *out)
{
    struct app hit;

    if (c == NULL || !cache_get(c, key, clock_wall_millis(), &hit))
        return false;
    out->id = arena_strdup(r->arena, hit.id);
    out->name = arena_strdup(r->arena, hit.name);
    out->secret = arena_strdup(r->arena, hit.secret);
    out->created_at = NULL;
    out->previous_secret = NULL;
    out->previous_until_ms = hit.previous_until_ms;
    if (hit.previous_secret != NULL &&
        (out->previous_secret = arena_strdup(r->arena, hit.previous_secret)) ==
            NULL)
        return false;
    return out->id != NULL && out->name != NULL && out->secret != NULL;
}

/* The app from the database, then into the worker's cache. */
static enum cg_err
app_fetch(struct request *r, const char *id, struct app *out)
{
    struct context *c = r->ctx;
    enum cg_err e = store_app_get(c->db, r->arena, r->deadline_ms, id, out);

    if (e == CG_ERR_OK && c->apps != NULL)
        cache_put(c->apps, id, out, clock_wall_millis(), 0);
    return e;
}

enum cg_err
auth_app_get(struct request *r, const char *id, struct app *out)
{
    if (cached(r, r->ctx->apps, id, out))
        return CG_ERR_OK;
    return app_fetch(r, id, out);
}

enum cg_err
auth_app_verify(struct request *r, const char *id, const struct jwt *t,
                const struct jwt_verify_opts *o, struct app *out,
                enum jwt_status *st)
{
    bool hit = cached(r, r->ctx->apps, id, out);
    enum cg_err e;

    if (!hit && (e = app_fetch(r, id, out)) != CG_ERR_OK)
        return e;
    *st = verify_either(t, out->secret, out->previous_secret,
                        out->previous_until_ms, o);
    if (*st != JWT_INVALID_SIGNATURE || !hit)
        return CG_ERR_OK;
    /* Signed with a secret this worker has not seen yet, rotated a moment
     * ago, perhaps on another host: a new secret works at once. */
    if ((e = app_fetch(r, id, out)) != CG_ERR_OK)
        return e;
    *st = verify_either(t, out->secret, out->previous_secret,
                        out->previous_until_ms, o);
    return CG_ERR_OK;
}

/*
 * t against the access-token secret, and against the previous one when it
 * claims a session (what every access token does; a server auth token, the
 * other kind of bearer token, then costs one MAC here, not two).  A token
 * that claims a session and matches neither has the secrets read again,
 * once: another host may have rotated them a moment ago.
 */
static enum cg_err
access_verify(struct request *r, const struct jwt *t, enum jwt_status *st)
{
    struct context *c = r->ctx;
    struct jwt_verify_opts opts = {JWT_HS512, c->now(), 0, 0, false};
    bool session = json_get(t->payload, "session_id", NULL), fetched;
    enum cg_err e;

    if ((e = access_secrets_load(r, false, &fetched)) != CG_ERR_OK)
        return e;
    *st =
        verify_either(t, c->access_secret, session ? c->access_previous : NULL,
                      c->access_previous_until_ms, &opts);
    if (*st != JWT_INVALID_SIGNATURE || fetched || !session)
        return CG_ERR_OK;
    if ((e = access_secrets_load(r, true, &fetched)) != CG_ERR_OK)
        return e;
    if (fetched)
        *st = verify_either(t, c->access_secret, c->access_previous,
                            c->access_previous_until_ms, &opts);
    return CG_ERR_OK;
}

static bool
is_uuid_value(struct json_object *v)
{
    struct str s;

    return json_string(v, &s) && uuid_is_valid(s.p, s.len);
}

static enum cg_err
fail(struct request *r, enum cg_err e, const char *msg)
{
    return request_fail(r, e, "%s", msg);
}

static enum cg_err
access_token(struct request *r, const struct jwt *t)
{
    struct json_object *sid = NULL;
    const char *session_id;
    enum session_state state;
    int64_t expires_ms;
    struct app *app;
    enum cg_err e;

    if (!json_object_is_type(t->payload, json_type_object))
        return fail(r, CG_ERR_INVALID_ACCESS_TOKEN,
                    "Input type for access token payload is not valid, "
                    "expected object.");
    json_get(t->payload, "session_id", &sid);
    if (!json_is_truthy(sid))
        return fail(r, CG_ERR_INVALID_ACCESS_TOKEN,
                    "Access token payload is missing session_id.");
    if (!is_uuid_value(sid))
        return fail(r, CG_ERR_INVALID_ACCESS_TOKEN,
                    "Input type for session_id is not valid, expected UUID.");
    app = arena_calloc(r->arena, 1, sizeof(*app));
    if (app == NULL)
        return CG_ERR_INTERNAL;
    session_id = json_object_get_string(sid);
    /* Only valid sessions are cached, each until its expiry at the latest. */
    if (cached(r, r->ctx->sessions, session_id, app)) {
        r->app = app;
        return CG_ERR_OK;
    }
    e = store_session_get(r->ctx->db, r->arena, r->deadline_ms, session_id,
                          &state, app, &expires_ms);
    if (e != CG_ERR_OK)
        return e;
    if (state == SESSION_VALID && r->ctx->sessions != NULL)
        cache_put(r->ctx->sessions, session_id, app, clock_wall_millis(),
                  expires_ms);
    switch (state) {
    case SESSION_MISSING:
        return fail(r, CG_ERR_INVALID_ACCESS_TOKEN, "No valid session found.");
    case SESSION_REVOKED:
        return fail(r, CG_ERR_EXPIRED_ACCESS_TOKEN,
                    "Access token has been revoked.");
    case SESSION_EXPIRED:
        return fail(r, CG_ERR_EXPIRED_ACCESS_TOKEN,
                    "Access token has expired.");
    case SESSION_VALID:
        break;
    }
    r->app = app;
    return CG_ERR_OK;
}

static enum cg_err
server_token(struct request *r, const struct jwt *t, enum jwt_status decoded)
{
    struct json_object *app_id = NULL, *project_id = NULL, *chosen;
    struct jwt_verify_opts opts;
    enum jwt_status st;
    struct app *app;
    enum cg_err e;

    if ((decoded != JWT_OK && decoded != JWT_PAYLOAD_NOT_OBJECT) ||
        !json_object_is_type(t->payload, json_type_object))
        return fail(r, CG_ERR_INVALID_PROJECT_TOKEN,
                    "Input type for Authorization token is not valid, "
                    "expected object.");
    json_get(t->payload, "app_id", &app_id);
    json_get(t->payload, "project_id", &project_id);
    chosen = json_is_truthy(app_id) ? app_id : project_id;
    if (!json_is_truthy(chosen))
        return fail(r, CG_ERR_INVALID_PROJECT_TOKEN,
                    "Please include the project_id if you are authorizing "
                    "directly with a non-Cord signed token.");
    if (!is_uuid_value(chosen))
        return fail(r, CG_ERR_INVALID_PROJECT_TOKEN,
                    "Input type for project_id is not valid, expected UUID.");
    json_object_object_foreach(t->payload, key, value)
    {
        (void)value;
        if (strcmp(key, "app_id") != 0 && strcmp(key, "project_id") != 0 &&
            strcmp(key, "iat") != 0 && strcmp(key, "exp") != 0)
            return fail(r, CG_ERR_INVALID_PROJECT_TOKEN,
                        "Authorization token payload invalid, must contain "
                        "only project_id.");
    }
    app = arena_calloc(r->arena, 1, sizeof(*app));
    if (app == NULL)
        return CG_ERR_INTERNAL;
    opts = (struct jwt_verify_opts){JWT_HS512, r->ctx->now(),
                                    AUTH_CLOCK_TOLERANCE, AUTH_MAX_AGE, true};
    e = auth_app_verify(r, json_object_get_string(chosen), t, &opts, app, &st);
    if (e != CG_ERR_OK)
        return e;
    if (st != JWT_OK)
        return fail(r, CG_ERR_INVALID_PROJECT_TOKEN, jwt_status_message(st));
    r->app = app;
    return CG_ERR_OK;
}

enum cg_err
auth_server(struct request *r)
{
    const char *h = r->authorization, *prefix, *tok;
    size_t len;
    struct jwt t;
    enum jwt_status decoded, st;
    char *joined;
    enum cg_err e;

    if (h == NULL || h[0] == '\0')
        return fail(r, CG_ERR_MISSING_AUTHORIZATION_HEADER,
                    "Authorization header bearer token must be present.");
    if (strncmp(h, "Bearer", 6) != 0)
        return fail(r, CG_ERR_INVALID_AUTHORIZATION_HEADER,
                    "Expecting a token with a Bearer prefix.");
    /* header.replace('Bearer ', '').trim(): the first occurrence, wherever
     * it is, then surrounding whitespace. */
    prefix = strstr(h, "Bearer ");
    if (prefix == h) {
        tok = h + 7; /* the usual case: nothing before it to keep */
    } else if (prefix != NULL) {
        joined =
            arena_printf(r->arena, "%.*s%s", (int)(prefix - h), h, prefix + 7);
        if (joined == NULL)
            return CG_ERR_INTERNAL;
        tok = joined;
    } else {
        tok = h;
    }
    while (*tok == ' ' || *tok == '\t' || *tok == '\n' || *tok == '\r' ||
           *tok == '\v' || *tok == '\f')
        tok++;
    len = strlen(tok);
    while (len > 0 && strchr(" \t\n\r\v\f", tok[len - 1]) != NULL)
        len--;
    if (!auth_is_jwt(tok, len))
        return fail(r, CG_ERR_INVALID_AUTHORIZATION_HEADER,
                    "Input type for authorization header bearer token is not "
                    "valid, expected JWT.");

    decoded = jwt_decode(r->arena, tok, len, &t);
    if (decoded == JWT_OK || decoded == JWT_PAYLOAD_NOT_OBJECT ||
        decoded == JWT_PAYLOAD_NOT_JSON) {
        e = access_verify(r, &t, &st);
        if (e != CG_ERR_OK)
            return e;
        if (st == JWT_OK)
            return access_token(r, &t);
        /* Signed by us but past its exp: say so (Cord would call it a
         * server token without a project_id). */
        if (st == JWT_EXPIRED)
            return fail(r, CG_ERR_EXPIRED_ACCESS_TOKEN,
                        "Access token has expired.");
    }
    return server_token(r, &t, decoded);
}
