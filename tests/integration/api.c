/* What the groups, batch and client-read tests share: bookkeeping, apps
 * and tokens, HTTP through nginx, and the assertions over Cord's answers. */
#include "api.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Everything a test allocates is released after it (release_all), so that
 * the sanitizer build's leak check sees only the server's leaks. */
struct deferred {
    void (*fn)(void *);
    void *p;
};
static struct deferred deferred[16384];
static size_t ndeferred;

void *
defer(void (*fn)(void *), void *p)
{
    cr_assert(ndeferred < sizeof(deferred) / sizeof(deferred[0]));
    deferred[ndeferred++] = (struct deferred){fn, p};
    return p;
}

void
release_all(void)
{
    while (ndeferred > 0) {
        ndeferred--;
        deferred[ndeferred].fn(deferred[ndeferred].p);
    }
}

char *
keep(char *s)
{
    cr_assert(s != NULL);
    return defer(free, s);
}

void
put_json(void *o)
{
    json_object_put(o);
}

void
free_response(void *p)
{
    it_response_free(p);
    free(p);
}

char *
fmt(const char *f, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, f);
    n = vasprintf(&s, f, ap);
    va_end(ap);
    cr_assert(n >= 0);
    return keep(s);
}

/* A suffix no other run or test shares: Criterion runs each test in its own
 * process. */
const char *
tag(void)
{
    static char t[48];

    if (t[0] == '\0')
        snprintf(t, sizeof(t), "%ld-%d", (long)time(NULL), (int)getpid());
    return t;
}

const char *
fresh(const char *prefix)
{
    return fmt("%s-%s-%s", api_tag_prefix, prefix, tag());
}

/* s repeated n times after prefix. */
const char *
repeat(const char *prefix, const char *s, size_t n)
{
    size_t plen = strlen(prefix), slen = strlen(s), i;
    char *out = keep(malloc(plen + slen * n + 1));

    memcpy(out, prefix, plen);
    for (i = 0; i < n; i++)
        memcpy(out + plen + i * slen, s, slen);
    out[plen + slen * n] = '\0';
    return out;
}

/* A JSON string literal of s (json-c leaves UTF-8 as it is). */
const char *
jstr(const char *s)
{
    struct json_object *o = defer(put_json, json_object_new_string(s));

    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Percent-encode every byte but letters, digits, "-" and "_". */
const char *
enc(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = keep(malloc(strlen(s) * 3 + 1)), *o = out;
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

struct app
main_app(void)
{
    return (struct app){it_env("CORDGATE_TEST_APP_ID"),
                        it_env("CORDGATE_TEST_APP_SECRET")};
}

/* A second app, made with `cordgate app create` as an operator would. */
struct app
new_app(const char *name)
{
    char id[64], secret[128];

    it_app_create(name, id, secret);
    return (struct app){fmt("%s", id), fmt("%s", secret)};
}

/* A server auth token as getServerAuthToken makes it. */
const char *
token_of(struct app a)
{
    long now = (long)time(NULL);
    char payload[256];

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", a.id, now,
             now + 60);
    return keep(it_jwt("HS512", payload, a.secret));
}

const char *
base(void)
{
    return it_env("CORDGATE_TEST_URL");
}

/* A request through nginx; path is taken as sent.  token NULL: no
 * Authorization header.  body_len is the body's length (bodies may be
 * large). */
struct it_response *
send_len(const char *token, const char *method, const char *path,
         const char *body, size_t body_len)
{
    struct it_response *r = defer(free_response, calloc(1, sizeof(*r)));
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;

    cr_assert(r != NULL);
    if (token != NULL)
        h[n++] = fmt("Authorization: Bearer %s", token);
    h[n++] = "Content-Type: application/json";
    it_http(method, fmt("%s%s", base(), path), body, body_len, h, r);
    return r;
}

struct it_response *
call_as(struct app a, const char *method, const char *path, const char *body)
{
    return send_len(token_of(a), method, path, body, body ? strlen(body) : 0);
}

struct it_response *
call(const char *method, const char *path, const char *body)
{
    return call_as(main_app(), method, path, body);
}

struct json_object *
body_json(const struct it_response *r)
{
    return defer(put_json, it_json(r));
}

/* Assert status, code and, unless NULL, the exact message. */
void
expect(const struct it_response *r, long status, const char *code,
       const char *message)
{
    struct json_object *o, *m;

    cr_assert_eq(r->status, status, "status %ld, want %ld: %s", r->status,
                 status, r->body);
    it_assert_error(r, status, code);
    if (message == NULL)
        return;
    o = body_json(r);
    cr_assert(json_object_object_get_ex(o, "message", &m));
    cr_assert_str_eq(json_object_get_string(m), message, "%s", r->body);
}

/* expect() for a row of a table: reports a mismatch and goes on, so that
 * one run shows every row that fails. */
bool
expect_row(const char *what, const struct it_response *r, long status,
           const char *code, const char *message)
{
    struct json_object *o = json_tokener_parse(r->body), *e, *m;
    const char *ct = it_header(r, "Content-Type");
    bool ok =
        r->status == status && ct != NULL &&
        strncmp(ct, "application/json", 16) == 0 && o != NULL &&
        json_object_is_type(o, json_type_object) &&
        json_object_object_length(o) == 2 &&
        json_object_object_get_ex(o, "error", &e) &&
        json_object_object_get_ex(o, "message", &m) &&
        json_object_is_type(m, json_type_string) &&
        strcmp(json_object_get_string(e), code) == 0 &&
        (message == NULL || strcmp(json_object_get_string(m), message) == 0);

    cr_expect(ok, "%s: got %ld %s, want %ld %s %s", what, r->status, r->body,
              status, code, message ? message : "");
    json_object_put(o);
    return ok;
}

/* Assert the status and the body byte for byte (so key order too). */
void
expect_body(const struct it_response *r, long status, const char *body)
{
    const char *ct = it_header(r, "Content-Type");

    cr_assert_eq(r->status, status, "status %ld, want %ld: %s", r->status,
                 status, r->body);
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0,
              "Content-Type %s", ct ? ct : "(none)");
    cr_assert_str_eq(r->body, body);
}

/* {"success":true,"message":"✅ <text>"} with status. */
void
expect_success(const struct it_response *r, long status, const char *text)
{
    expect_body(r, status,
                fmt("{\"success\":true,\"message\":%s}",
                    jstr(fmt(CHECK_MARK " %s", text))));
}

struct json_object *
field(struct json_object *o, const char *key)
{
    struct json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
              json_object_to_json_string(o));
    return v;
}

const char *
str_field(struct json_object *o, const char *key)
{
    struct json_object *v = field(o, key);

    return json_object_is_type(v, json_type_null) ? NULL
                                                  : json_object_get_string(v);
}

/* The keys of object o, comma-separated, in their order. */
const char *
keys_of(struct json_object *o)
{
    char *out = keep(strdup(""));

    cr_assert(json_object_is_type(o, json_type_object));
    json_object_object_foreach(o, k, v)
    {
        char *n = NULL;

        (void)v;
        cr_assert(asprintf(&n, "%s%s%s", out, out[0] ? "," : "", k) >= 0);
        out = keep(n);
    }
    return out;
}

const char *
user_path(const char *id)
{
    return fmt("/v1/users/%s", enc(id));
}

const char *
group_path(const char *id)
{
    return fmt("/v1/groups/%s", enc(id));
}

/* Create a user with PUT (with an email, which a creating PUT needs). */
void
create_user_as(struct app a, const char *id, const char *extra)
{
    struct it_response *r;

    r = call_as(a, "PUT", user_path(id),
                fmt("{\"email\":\"u-%s@example.com\"%s%s}", tag(),
                    extra ? "," : "", extra ? extra : ""));
    expect_success(r, 200, fmt("You successfully created user %s", id));
}

void
create_user(const char *id, const char *extra)
{
    create_user_as(main_app(), id, extra);
}

/* PUT /v1/groups/<id> with body, asserting it created the group. */
void
create_group_as(struct app a, const char *id, const char *body)
{
    struct it_response *r = call_as(a, "PUT", group_path(id), body);

    expect_success(r, 200, fmt("You successfully created group %s", id));
}

void
create_group(const char *id, const char *body)
{
    create_group_as(main_app(), id, body);
}

struct json_object *
get_group_as(struct app a, const char *id)
{
    struct it_response *r = call_as(a, "GET", group_path(id), NULL);

    cr_assert_eq(r->status, 200, "GET group %s: %ld %s", id, r->status,
                 r->body);
    return body_json(r);
}

/* The group's "members", as a JSON text, e.g. ["a","b"]. */
const char *
members_of_as(struct app a, const char *id)
{
    struct json_object *m = field(get_group_as(a, id), "members");

    cr_assert(json_object_is_type(m, json_type_array));
    return json_object_to_json_string_ext(
        m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Assert that GET /v1/groups/<id> is 404 group_not_found. */
void
expect_no_group_as(struct app a, const char *id)
{
    expect(call_as(a, "GET", group_path(id), NULL), 404, "group_not_found",
           "Platform group not found.");
}

void
expect_no_group(const char *id)
{
    expect_no_group_as(main_app(), id);
}

struct json_object *
get_user_as(struct app a, const char *id)
{
    struct it_response *r = call_as(a, "GET", user_path(id), NULL);

    cr_assert_eq(r->status, 200, "GET user %s: %ld %s", id, r->status, r->body);
    return body_json(r);
}

struct json_object *
get_user(const char *id)
{
    return get_user_as(main_app(), id);
}

void
expect_no_user_as(struct app a, const char *id)
{
    expect(call_as(a, "GET", user_path(id), NULL), 404, "user_not_found",
           "Platform user not found.");
}

void
expect_no_user(const char *id)
{
    expect_no_user_as(main_app(), id);
}

/* A JSON value as compact text. */
const char *
json_text(struct json_object *o)
{
    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* A JSON array of the strings ids[0..n). */
const char *
jarray(const char *const *ids, size_t n)
{
    const char *out = "[";
    size_t i;

    for (i = 0; i < n; i++)
        out = fmt("%s%s%s", out, i ? "," : "", jstr(ids[i]));
    return fmt("%s]", out);
}
