/* The users API: POST /v1/users, PUT|GET|DELETE /v1/users/<ID> and GET
 * /v1/users (cord-api.md 6, cases 24-49, with DESIGN.md 1's required email),
 * through nginx to cordgate and PostgreSQL. */
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

#include "harness.h"

#define REFER          "\nRefer to https://docs.cord.com/rest-apis/users/"
#define UPDATE_INVALID "Invalid UpdatePlatformUserVariables:\n"
#define CREATE_INVALID "Invalid CreatePlatformUserVariables:\n"
#define BAD_USER_ID    "Input type for userID is not valid, expected identifier."
#define BAD_ID         "Input type for id is not valid, expected identifier."
#define CHECK_MARK     "\xe2\x9c\x85"

/* ------------------------------------------------------------ bookkeeping */

/* Everything a test allocates is released after it, so that the sanitizer
 * build's leak check sees only the server's leaks, not ours. */
struct deferred {
    void (*fn)(void *);
    void *p;
};
static struct deferred deferred[8192];
static size_t ndeferred;

static void *
defer(void (*fn)(void *), void *p)
{
    cr_assert(ndeferred < sizeof(deferred) / sizeof(deferred[0]));
    deferred[ndeferred++] = (struct deferred){fn, p};
    return p;
}

static void
release_all(void)
{
    while (ndeferred > 0) {
        ndeferred--;
        deferred[ndeferred].fn(deferred[ndeferred].p);
    }
}

TestSuite(users, .fini = release_all);

static char *
keep(char *s)
{
    return defer(free, s);
}

static void
put_json(void *o)
{
    json_object_put(o);
}

static void
free_response(void *p)
{
    it_response_free(p);
    free(p);
}

__attribute__((format(printf, 1, 2))) static char *
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
static const char *
tag(void)
{
    static char t[48];

    if (t[0] == '\0')
        snprintf(t, sizeof(t), "%ld-%d", (long)time(NULL), (int)getpid());
    return t;
}

static const char *
fresh(const char *prefix)
{
    return fmt("%s-%s", prefix, tag());
}

/* s repeated n times after prefix. */
static const char *
repeat(const char *prefix, const char *s, size_t n)
{
    size_t plen = strlen(prefix), slen = strlen(s), i;
    char *out = keep(malloc(plen + slen * n + 1));

    cr_assert(out != NULL);
    memcpy(out, prefix, plen);
    for (i = 0; i < n; i++)
        memcpy(out + plen + i * slen, s, slen);
    out[plen + slen * n] = '\0';
    return out;
}

/* ------------------------------------------------------------ apps, tokens */

struct app {
    const char *id;
    const char *secret;
};

static struct app
main_app(void)
{
    return (struct app){it_env("CORDGATE_TEST_APP_ID"),
                        it_env("CORDGATE_TEST_APP_SECRET")};
}

/* A second app, made with `cordgate app create` as an operator would. */
static struct app
new_app(const char *name)
{
    char id[64], secret[128];

    it_app_create(name, id, secret);
    cr_assert_eq(strlen(id), 36);
    cr_assert_eq(strlen(secret), 64);
    return (struct app){fmt("%s", id), fmt("%s", secret)};
}

/* A server auth token as getServerAuthToken makes it. */
static const char *
token_of(struct app a)
{
    long now = (long)time(NULL);
    char payload[256];

    snprintf(payload, sizeof(payload),
             "{\"app_id\":\"%s\",\"iat\":%ld,\"exp\":%ld}", a.id, now,
             now + 60);
    return keep(it_jwt("HS512", payload, a.secret));
}

/* ------------------------------------------------------------ HTTP */

static const char *
base(void)
{
    return it_env("CORDGATE_TEST_URL");
}

/* Percent-encode every byte but letters, digits, "-" and "_", so that "."
 * and ".." ids stay ids and "/" stays inside the segment. */
static const char *
enc(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = keep(malloc(strlen(s) * 3 + 1)), *o = out;
    const unsigned char *p;

    cr_assert(out != NULL);
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

static const char *
user_path(const char *id)
{
    return fmt("/v1/users/%s", enc(id));
}

/* A request through nginx; path is taken as sent.  token NULL: no
 * Authorization header.  content_type NULL: application/json. */
static struct it_response *
send_raw(const char *token, const char *method, const char *path,
         const char *body, const char *content_type)
{
    struct it_response *r = defer(free_response, calloc(1, sizeof(*r)));
    const char *h[3] = {NULL, NULL, NULL};
    int n = 0;

    cr_assert(r != NULL);
    if (token != NULL)
        h[n++] = fmt("Authorization: Bearer %s", token);
    h[n++] = fmt("Content-Type: %s",
                 content_type ? content_type : "application/json");
    it_http(method, fmt("%s%s", base(), path), body, body ? strlen(body) : 0, h,
            r);
    return r;
}

static struct it_response *
call_as(struct app a, const char *method, const char *path, const char *body)
{
    return send_raw(token_of(a), method, path, body, NULL);
}

static struct it_response *
call(const char *method, const char *path, const char *body)
{
    return call_as(main_app(), method, path, body);
}

static struct json_object *
body_json(const struct it_response *r)
{
    return defer(put_json, it_json(r));
}

/* Assert status, code and, unless NULL, the exact message. */
static void
expect(const struct it_response *r, long status, const char *code,
       const char *message)
{
    struct json_object *o, *m;

    /* First, so that a wrong status fails before the harness parses. */
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
static bool
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

static void
expect_body(const struct it_response *r, long status, const char *body)
{
    const char *ct = it_header(r, "Content-Type");

    cr_assert_eq(r->status, status, "status %ld, want %ld: %s", r->status,
                 status, r->body);
    cr_assert(ct != NULL && strncmp(ct, "application/json", 16) == 0);
    cr_assert_str_eq(r->body, body);
}

/* The {"success":true,...} answer of a create or an update. */
static void
expect_written(const struct it_response *r, long status, const char *verb,
               const char *id)
{
    struct json_object *o, *v;
    const char *want = fmt(CHECK_MARK " You successfully %s user %s", verb, id);

    cr_assert_eq(r->status, status, "%s %s: status %ld, want %ld: %s", verb, id,
                 r->status, status, r->body);
    o = body_json(r);
    cr_assert_eq(json_object_object_length(o), 2, "%s", r->body);
    cr_assert(json_object_object_get_ex(o, "success", &v));
    cr_assert(json_object_is_type(v, json_type_boolean) &&
              json_object_get_boolean(v));
    cr_assert(json_object_object_get_ex(o, "message", &v));
    cr_assert_eq((size_t)json_object_get_string_len(v), strlen(want), "%s",
                 r->body);
    cr_assert_str_eq(json_object_get_string(v), want);
}

/* A JSON string literal of s (json-c leaves UTF-8 as it is). */
static const char *
jstr(const char *s)
{
    struct json_object *o = defer(put_json, json_object_new_string(s));

    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static const char *
email_of(const char *id)
{
    (void)id;
    return fmt("user-%s@example.com", tag());
}

/* Create a user with PUT and assert it was created. */
static void
create_as(struct app a, const char *id, const char *extra)
{
    struct it_response *r;

    r = call_as(a, "PUT", user_path(id),
                fmt("{\"email\":%s%s%s}", jstr(email_of(id)), extra ? "," : "",
                    extra ? extra : ""));
    expect_written(r, 200, "created", id);
}

static void
create(const char *id, const char *extra)
{
    create_as(main_app(), id, extra);
}

/* GET /v1/users/<id>, asserting a 200. */
static struct json_object *
get_user_as(struct app a, const char *id)
{
    struct it_response *r = call_as(a, "GET", user_path(id), NULL);

    cr_assert_eq(r->status, 200, "GET %s: %ld %s", id, r->status, r->body);
    return body_json(r);
}

static struct json_object *
get_user(const char *id)
{
    return get_user_as(main_app(), id);
}

static struct json_object *
field(struct json_object *o, const char *key)
{
    struct json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
              json_object_to_json_string(o));
    return v;
}

/* A string field's value, or NULL for JSON null. */
static const char *
sfield(struct json_object *o, const char *key)
{
    struct json_object *v = field(o, key);

    if (json_object_is_type(v, json_type_null))
        return NULL;
    cr_assert(json_object_is_type(v, json_type_string), "%s is not a string",
              key);
    return json_object_get_string(v);
}

/* Assert a string field is exactly want (NULL: JSON null), byte for byte. */
static void
expect_field(struct json_object *o, const char *key, const char *want)
{
    struct json_object *v = field(o, key);

    if (want == NULL) {
        cr_assert(json_object_is_type(v, json_type_null), "%s: %s", key,
                  json_object_to_json_string(v));
        return;
    }
    cr_assert(json_object_is_type(v, json_type_string), "%s: %s", key,
              json_object_to_json_string(v));
    cr_assert_eq((size_t)json_object_get_string_len(v), strlen(want),
                 "%s: %s, want %s", key, json_object_get_string(v), want);
    cr_assert(memcmp(json_object_get_string(v), want, strlen(want)) == 0,
              "%s: %s, want %s", key, json_object_get_string(v), want);
}

/* A JSON value compactly, for comparing. */
static const char *
compact(struct json_object *v)
{
    return fmt("%s",
               json_object_to_json_string_ext(
                   v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Assert v equals the JSON text want; object keys in any order (metadata is
 * jsonb in Cord too, so its key order is PostgreSQL's). */
static void
expect_json(struct json_object *v, const char *want)
{
    struct json_object *w = defer(put_json, json_tokener_parse(want));

    cr_assert(w != NULL, "bad test JSON %s", want);
    cr_assert(json_object_equal(v, w), "%s, want %s", compact(v), want);
}

/* The keys of an object, comma-joined, in the order they came. */
static const char *
keys_of(struct json_object *o)
{
    const char *out = "";

    json_object_object_foreach(o, key, value)
    {
        (void)value;
        out = fmt("%s%s%s", out, out[0] ? "," : "", key);
    }
    return out;
}

/* ------------------------------------------------------------ SQL */

static const char *
hex(const char *s)
{
    static const char digits[] = "0123456789abcdef";
    char *out = keep(malloc(strlen(s) * 2 + 1)), *o = out;
    const unsigned char *p;

    cr_assert(out != NULL);
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        *o++ = digits[*p >> 4];
        *o++ = digits[*p & 15];
    }
    *o = '\0';
    return out;
}

/* A WHERE clause for one user, any bytes in its id. */
static const char *
where_user(struct app a, const char *id)
{
    return fmt("app_id = '%s' AND convert_to(id, 'UTF8') = "
               "decode('%s', 'hex')",
               a.id, hex(id));
}

static const char *
sql(const char *q)
{
    return keep(it_sql_value(q));
}

/* The whole stored row as JSON text, or NULL when there is none. */
static const char *
row_of(struct app a, const char *id)
{
    return sql(fmt("SELECT row_to_json(u)::text FROM users u WHERE %s",
                   where_user(a, id)));
}

static long
count_of(struct app a, const char *id)
{
    return atol(
        sql(fmt("SELECT count(*) FROM users WHERE %s", where_user(a, id))));
}

static void
add_group(struct app a, const char *group, const char *status)
{
    it_sql_exec(fmt("INSERT INTO groups (app_id, id, name, status) VALUES "
                    "('%s', convert_from(decode('%s', 'hex'), 'UTF8'), "
                    "'a group', '%s')",
                    a.id, hex(group), status));
}

/* ------------------------------------------------------------ cases 24-26 */

Test(users, put_creates_then_updates_and_get_shows_every_field)
{
    struct app a = main_app();
    const char *id = fresh("u1"), *ts, *row;
    struct it_response *r;
    struct json_object *o;
    struct tm tm;
    char frac[4];
    long created;

    r = call("PUT", user_path(id),
             "{\"name\":\"Leela\",\"email\":\"leela@pe.com\"}");
    expect_body(r, 200,
                fmt("{\"success\":true,\"message\":\"" CHECK_MARK
                    " You successfully created user %s\"}",
                    id));
    r = call("PUT", user_path(id), "{\"shortName\":\"L\"}");
    expect_body(r, 200,
                fmt("{\"success\":true,\"message\":\"" CHECK_MARK
                    " You successfully updated user %s\"}",
                    id));

    r = call("GET", user_path(id), NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    o = body_json(r);
    /* createdTimestamp (DESIGN 1: included in GET) is ISO-8601 UTC with
     * milliseconds, and recent. */
    ts = sfield(o, "createdTimestamp");
    cr_assert(ts != NULL);
    cr_assert_eq(strlen(ts), 24, "%s", ts);
    memset(&tm, 0, sizeof(tm));
    cr_assert(sscanf(ts, "%d-%d-%dT%d:%d:%d.%3[0-9]Z", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                     frac) == 7,
              "%s", ts);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    created = (long)timegm(&tm);
    cr_assert(labs(created - (long)time(NULL)) <= 120, "%s", ts);
    /* Every key, in Cord's order. */
    expect_body(r, 200,
                fmt("{\"id\":\"%s\",\"email\":\"leela@pe.com\","
                    "\"status\":\"active\",\"name\":\"Leela\","
                    "\"shortName\":\"L\",\"short_name\":\"L\","
                    "\"first_name\":null,\"last_name\":null,"
                    "\"profilePictureURL\":null,\"profile_picture_url\":null,"
                    "\"organizations\":[],\"groups\":[],\"metadata\":{},"
                    "\"groupIDsWithLinkedSlackProfile\":[],"
                    "\"createdTimestamp\":\"%s\"}",
                    id, ts));

    row = sql(fmt("SELECT concat_ws('|', email, name, short_name, status, "
                  "coalesce(profile_picture_url, '-'), metadata::text) "
                  "FROM users WHERE %s",
                  where_user(a, id)));
    cr_assert_str_eq(row, "leela@pe.com|Leela|L|active|-|{}");
}

/* ------------------------------------------------------------ cases 27-32 */

struct bad_put {
    const char *body;
    long status;
    const char *code;
    const char *message; /* NULL: not compared */
};

/* Every bad PUT is refused with Cord's message and leaves the stored row
 * exactly as it was, updated_at included. */
Test(users, rejected_puts_leave_the_row_as_it_was)
{
    struct app a = main_app();
    const char *id = fresh("u1"), *g = fresh("g-real"), *nope = fresh("nope");
    const char *before, *after;
    size_t i;
    const struct bad_put rows[] = {
        /* case 27 */
        {"{\"fav_food\":\"x\"}", 400, "invalid_request",
         UPDATE_INVALID "Input {\"fav_food\":\"x\"} has unexpected field: "
                        "fav_food." REFER},
        /* case 28 */
        {"{\"id\":\"u1\"}", 400, "invalid_request",
         UPDATE_INVALID
         "Input {\"id\":\"u1\"} has unexpected field: id." REFER},
        /* case 29 */
        {"{\"email\":\"not-an-email\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"not-an-email\" for email must match format "
                        "\"email\"." REFER},
        /* case 30 */
        {"{\"status\":3}", 400, "invalid_request",
         UPDATE_INVALID "Input 3 for status must be type string,\nInput 3 for "
                        "status must be equal to one of the allowed values: "
                        "active or deleted." REFER},
        /* case 31 */
        {"{\"metadata\":{\"a\":{\"b\":1}}}", 400, "invalid_request",
         UPDATE_INVALID "Input {\"b\":1} for metadata/a must be type string "
                        "or number or boolean." REFER},
        /* case 32 */
        {"{\"profile_picture_url\":\"piglet\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"piglet\" for profile_picture_url must match "
                        "format \"uri\"." REFER},
        {"{\"profilePictureURL\":\"https://x.example/a b.png\"}", 400,
         "invalid_request",
         UPDATE_INVALID "Input \"https://x.example/a b.png\" for "
                        "profilePictureURL must match format \"uri\"." REFER},
        {"{\"email\":\"a@b\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"a@b\" for email must match format "
                        "\"email\"." REFER},
        {"{\"status\":\"gone\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"gone\" for status must be equal to one of "
                        "the allowed values: active or deleted." REFER},
        {"{\"metadata\":{\"a\":[1]}}", 400, "invalid_request",
         UPDATE_INVALID "Input [1] for metadata/a must be type string or "
                        "number or boolean." REFER},
        {"{\"metadata\":{\"a\":null}}", 400, "invalid_request",
         UPDATE_INVALID "Input null for metadata/a must be type string or "
                        "number or boolean." REFER},
        /* ajv's email format is ASCII only. */
        {"{\"email\":\"\xc3\xa9@pe.com\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"\xc3\xa9@pe.com\" for email must match "
                        "format \"email\"." REFER},
        /* Infinity to a JSON parser; PostgreSQL's jsonb has no such number
         * (DESIGN 1: never a 500). */
        {"{\"metadata\":{\"n\":1e400}}", 400, "invalid_request", NULL},
        {"{\"metadata\":{\"n\":-1e400}}", 400, "invalid_request", NULL},
        {"{\"addGroups\":[1]}", 400, "invalid_request",
         UPDATE_INVALID "Input 1 for addGroups/0 must be type string." REFER},
        /* Value errors first, then unexpected fields (5.7). */
        {"{\"name2\":1,\"email\":\"bad\"}", 400, "invalid_request",
         UPDATE_INVALID "Input \"bad\" for email must match format "
                        "\"email\",\nInput {\"name2\":1,\"email\":\"bad\"} has "
                        "unexpected field: name2." REFER},
        {"[]", 400, "invalid_request",
         UPDATE_INVALID "Expected JSON object." REFER},
        /* status and metadata are not nullable in Cord's schema. */
        {"{\"status\":null}", 400, "invalid_request", NULL},
        {"{\"metadata\":null}", 400, "invalid_request", NULL},
        {"{\"metadata\":[]}", 400, "invalid_request", NULL},
        {"{\"name\":5}", 400, "invalid_request", NULL},
        {"{\"addGroups\":\"x\"}", 400, "invalid_request", NULL},
        {"{\"name\":", 400, "invalid_request", NULL},
        {"{\"name\":\"\xff\"}", 400, "invalid_request", NULL},
        /* case 46 */
        {fmt("{\"addGroups\":[\"%s\"],\"removeGroups\":[\"%s\"]}", g, g), 400,
         "invalid_field", "Adding and removing the same group is invalid."},
        {fmt("{\"name\":\"changed\",\"addGroups\":[\"%s\",\"%s\"]}", g, nope),
         401, "group_not_found", fmt("Group %s not found.", nope)},
        {fmt("{\"name\":\"changed\",\"removeGroups\":[\"%s\"]}", nope), 401,
         "group_not_found", fmt("Group %s not found.", nope)},
    };

    add_group(a, g, "active");
    create(id, "\"name\":\"Leela\",\"shortName\":\"L\","
               "\"metadata\":{\"k\":\"v\"},"
               "\"profilePictureURL\":\"https://x.example/p.png\"");
    before = row_of(a, id);
    cr_assert(before != NULL);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct it_response *r = call("PUT", user_path(id), rows[i].body);

        expect_row(rows[i].body, r, rows[i].status, rows[i].code,
                   rows[i].message);
        after = row_of(a, id);
        cr_assert(after != NULL, "%s deleted the row", rows[i].body);
        cr_expect_str_eq(after, before, "%s changed the row", rows[i].body);
        if (strcmp(after, before) != 0)
            before = after;
    }
    cr_assert_str_eq(sql(fmt("SELECT count(*) FROM group_members WHERE "
                             "app_id = '%s' AND group_id = '%s'",
                             a.id, g)),
                     "0");
}

/* ------------------------------------------------------------ case 33 */

struct path_id_case {
    const char *id;
    bool valid;
};

/* Path ids: 1 to 320 code points, not "cord:", no \p{C}; the limit counts
 * code points, not bytes. */
Test(users, path_ids_are_checked_by_code_points)
{
    struct app a = main_app();
    const char *t = tag();
    size_t tlen = strlen(t) + 1, i;
    const struct path_id_case rows[] = {
        {fmt("cord:abc-%s", t), false},
        {fmt("123\t456-%s", t), false},
        {repeat(fmt("%s-", t), "a", 321 - tlen), false},
        {repeat(fmt("%s-", t), "a", 320 - tlen), true},
        {repeat(fmt("%s-", t), "\xc3\xa9", 321 - tlen), false},
        {repeat(fmt("%s-", t), "\xc3\xa9", 320 - tlen), true},
        {repeat(fmt("%s-", t), "\xe6\x97\xa5", 321 - tlen), false},
        {repeat(fmt("%s-", t), "\xe6\x97\xa5", 320 - tlen), true},
        {repeat(fmt("%s-", t), "\xf0\x9f\x98\x80", 321 - tlen), false},
        {repeat(fmt("%s-", t), "\xf0\x9f\x98\x80", 320 - tlen), true},
        /* U+200B (Cf), U+00AD (Cf), U+E000 (Co), U+0378 (Cn), U+007F (Cc) */
        {fmt("a\u200Bb-%s", t), false},
        {fmt("a\u00ADb-%s", t), false},
        {fmt("\uE000-%s", t), false},
        {fmt("\u0378-%s", t), false},
        {fmt("\x7f-%s", t), false},
        /* Not UTF-8 at all. */
        {fmt("\xff-%s", t), false},
        {fmt("\xc0\xaf-%s", t), false},
        /* Only a lower-case "cord:" prefix is reserved. */
        {fmt("Cord:abc-%s", t), true},
        {fmt("x-cord:abc-%s", t), true},
    };

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *id = rows[i].id, *path = user_path(id);
        struct it_response *r;

        r = call("PUT", path, fmt("{\"email\":%s}", jstr(email_of(id))));
        if (rows[i].valid) {
            expect_written(r, 200, "created", id);
            expect_field(get_user(id), "id", id);
            cr_assert_eq(count_of(a, id), 1);
            continue;
        }
        expect_row(fmt("PUT row %zu", i), r, 400, "invalid_field", BAD_USER_ID);
        cr_expect_eq(count_of(a, id), 0, "row %zu was stored", i);
        r = call("GET", path, NULL);
        expect(r, 400, "invalid_request", "Invalid request.");
        r = call("DELETE", path, "{\"permanently_delete\":true}");
        expect(r, 400, "invalid_field", BAD_USER_ID);
    }
}

/* ------------------------------------------------------------ cases 34-35 */

Test(users, empty_email_on_put_leaves_the_email)
{
    const char *id = fresh("u1");
    struct it_response *r;
    struct json_object *o;

    r = call("PUT", user_path(id),
             "{\"name\":\"Leela\",\"email\":\"leela@pe.com\"}");
    expect_written(r, 200, "created", id);
    r = call("PUT", user_path(id), "{\"email\":\"\"}");
    expect_written(r, 200, "updated", id);
    o = get_user(id);
    expect_field(o, "email", "leela@pe.com");
    expect_field(o, "name", "Leela");
}

Test(users, metadata_is_replaced_not_merged)
{
    const char *id = fresh("u1");
    struct it_response *r;

    create(id, NULL);
    r = call("PUT", user_path(id),
             "{\"metadata\":{\"plan\":\"pro\",\"seats\":3,\"beta\":true}}");
    expect_written(r, 200, "updated", id);
    expect_json(field(get_user(id), "metadata"),
                "{\"plan\":\"pro\",\"seats\":3,\"beta\":true}");
    r = call("PUT", user_path(id), "{\"metadata\":{\"plan\":\"free\"}}");
    expect_written(r, 200, "updated", id);
    expect_json(field(get_user(id), "metadata"), "{\"plan\":\"free\"}");
    /* Leaving it out keeps it; {} clears it. */
    r = call("PUT", user_path(id), "{\"name\":\"n\"}");
    expect_written(r, 200, "updated", id);
    expect_json(field(get_user(id), "metadata"), "{\"plan\":\"free\"}");
    r = call("PUT", user_path(id), "{\"metadata\":{}}");
    expect_written(r, 200, "updated", id);
    expect_json(field(get_user(id), "metadata"), "{}");
}

/* null leaves name, email and shortName as they are (Cord's `?? undefined`);
 * only profile_picture_url: null clears the picture; first_name and
 * last_name are accepted and ignored. */
Test(users, null_leaves_fields_as_they_are)
{
    const char *id = fresh("u1");
    struct it_response *r;
    struct json_object *o;

    r = call("PUT", user_path(id),
             "{\"email\":\"a@pe.com\",\"name\":\"N\",\"shortName\":\"S\","
             "\"profilePictureURL\":\"https://x.example/p.png\","
             "\"first_name\":\"F\",\"last_name\":\"L\"}");
    expect_written(r, 200, "created", id);
    r = call("PUT", user_path(id),
             "{\"email\":null,\"name\":null,\"shortName\":null,"
             "\"short_name\":null,\"profilePictureURL\":null,"
             "\"first_name\":null,\"last_name\":null}");
    expect_written(r, 200, "updated", id);
    o = get_user(id);
    expect_field(o, "email", "a@pe.com");
    expect_field(o, "name", "N");
    expect_field(o, "shortName", "S");
    expect_field(o, "short_name", "S");
    expect_field(o, "profilePictureURL", "https://x.example/p.png");
    expect_field(o, "profile_picture_url", "https://x.example/p.png");
    expect_field(o, "first_name", NULL);
    expect_field(o, "last_name", NULL);
    r = call("PUT", user_path(id), "{\"profile_picture_url\":null}");
    expect_written(r, 200, "updated", id);
    o = get_user(id);
    expect_field(o, "profilePictureURL", NULL);
    expect_field(o, "name", "N");
}

Test(users, camel_case_wins_over_snake_case)
{
    const char *id = fresh("u1");
    struct it_response *r;
    struct json_object *o;

    r = call("PUT", user_path(id),
             "{\"email\":\"a@pe.com\",\"shortName\":\"A\",\"short_name\":\"B\","
             "\"profilePictureURL\":\"https://a.example/a.png\","
             "\"profile_picture_url\":\"https://b.example/b.png\"}");
    expect_written(r, 200, "created", id);
    o = get_user(id);
    expect_field(o, "shortName", "A");
    expect_field(o, "short_name", "A");
    expect_field(o, "profilePictureURL", "https://a.example/a.png");
    r = call("PUT", user_path(id),
             "{\"short_name\":\"C\","
             "\"profile_picture_url\":\"mailto:x@pe.com\"}");
    expect_written(r, 200, "updated", id);
    o = get_user(id);
    expect_field(o, "shortName", "C");
    expect_field(o, "profile_picture_url", "mailto:x@pe.com");
}

/* DESIGN 1: the seed wins over Cord, a creating PUT needs an email. */
Test(users, creating_put_needs_an_email)
{
    struct app a = main_app();
    const char *id = fresh("u1");
    struct it_response *r;

    r = call("PUT", user_path(id), "{\"name\":\"x\"}");
    expect(r, 400, "invalid_request",
           UPDATE_INVALID "Input {\"name\":\"x\"} requires field: "
                          "email." REFER);
    r = call("PUT", user_path(id), "{}");
    expect(r, 400, "invalid_request",
           UPDATE_INVALID "Input {} requires field: email." REFER);
    r = call("PUT", user_path(id), "{\"email\":\"\"}");
    expect(r, 400, "invalid_request", NULL);
    r = call("PUT", user_path(id), "{\"email\":null,\"name\":\"x\"}");
    expect(r, 400, "invalid_request", NULL);
    /* A body that is not JSON is {} (cord-api.md 1.2). */
    r = send_raw(token_of(a), "PUT", user_path(id), "{\"email\":\"a@pe.com\"}",
                 "text/plain");
    expect(r, 400, "invalid_request",
           UPDATE_INVALID "Input {} requires field: email." REFER);
    cr_assert_eq(count_of(a, id), 0);
    r = call("PUT", user_path(id), "{\"email\":\"a@pe.com\"}");
    expect_written(r, 200, "created", id);
    /* Once it exists, no field is needed. */
    r = call("PUT", user_path(id), "{}");
    expect_written(r, 200, "updated", id);
    expect_field(get_user(id), "email", "a@pe.com");
}

Test(users, form_and_charset_bodies_are_read)
{
    struct app a = main_app();
    const char *id = fresh("form");
    struct it_response *r;
    struct json_object *o;

    r = send_raw(token_of(a), "PUT", user_path(id),
                 "name=F+%C3%A9&email=f%40pe.com",
                 "application/x-www-form-urlencoded");
    expect_written(r, 200, "created", id);
    o = get_user(id);
    expect_field(o, "name", "F \xc3\xa9");
    expect_field(o, "email", "f@pe.com");
    r = send_raw(token_of(a), "PUT", user_path(id), "{\"name\":\"G\"}",
                 "application/json; charset=utf-8");
    expect_written(r, 200, "updated", id);
    expect_field(get_user(id), "name", "G");
}

/* ------------------------------------------------------------ cases 36-40 */

Test(users, post_creates_only)
{
    struct app a = main_app();
    const char *id = fresh("u2"), *before;
    struct it_response *r;
    struct json_object *o;

    /* case 36, with DESIGN 1's required email */
    r = call("POST", "/v1/users", "{\"name\":\"x\"}");
    expect(r, 400, "invalid_request",
           CREATE_INVALID "Input {\"name\":\"x\"} requires fields: id and "
                          "email." REFER);
    /* case 37: Cord creates {"id":"u2"}; the seed needs an email. */
    r = call("POST", "/v1/users", fmt("{\"id\":\"%s\"}", id));
    expect(r, 400, "invalid_request",
           fmt(CREATE_INVALID "Input {\"id\":\"%s\"} requires field: "
                              "email." REFER,
               id));
    r = call("POST", "/v1/users", fmt("{\"id\":\"%s\",\"email\":\"\"}", id));
    expect(r, 400, "invalid_request", NULL);
    r = call("POST", "/v1/users", fmt("{\"id\":\"%s\",\"email\":null}", id));
    expect(r, 400, "invalid_request", NULL);
    r = call(
        "POST", "/v1/users",
        fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\",\"addGroups\":[]}", id));
    expect(r, 400, "invalid_request",
           fmt(CREATE_INVALID "Input {\"id\":\"%s\",\"email\":\"a@pe.com\","
                              "\"addGroups\":[]} has unexpected field: "
                              "addGroups." REFER,
               id));
    cr_assert_eq(count_of(a, id), 0);

    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\",\"name\":\"Amy\","
                 "\"short_name\":\"A\",\"status\":\"active\","
                 "\"profile_picture_url\":\"https://x.example/a.png\","
                 "\"metadata\":{\"n\":1},\"first_name\":\"Amy\","
                 "\"last_name\":\"Wong\"}",
                 id));
    expect_body(r, 201,
                fmt("{\"success\":true,\"message\":\"" CHECK_MARK
                    " You successfully created user %s\"}",
                    id));
    o = get_user(id);
    expect_field(o, "email", "a@pe.com");
    expect_field(o, "name", "Amy");
    expect_field(o, "shortName", "A");
    expect_field(o, "profilePictureURL", "https://x.example/a.png");
    expect_field(o, "first_name", NULL);
    expect_json(field(o, "metadata"), "{\"n\":1}");

    before = row_of(a, id);
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"b@pe.com\",\"name\":\"B\"}", id));
    expect(r, 409, "user_already_exists",
           fmt("The platform user with id %s already exists, to update user "
               "please make a PUT request to users/<USER_ID>.",
               id));
    cr_assert_str_eq(row_of(a, id), before);
}

Test(users, post_checks_the_id)
{
    struct app a = main_app();
    const char *t = tag(), *id;
    size_t tlen = strlen(t) + 1;
    struct it_response *r;

    /* case 38 */
    r = call("POST", "/v1/users", "{\"id\":\"\",\"email\":\"a@pe.com\"}");
    expect(r, 400, "invalid_request",
           CREATE_INVALID "Input \"\" for id must NOT have fewer than 1 "
                          "characters." REFER);
    id = repeat(fmt("%s-", t), "a", 129 - tlen);
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect(r, 400, "invalid_request",
           fmt(CREATE_INVALID "Input \"%s\" for id must NOT have more than "
                              "128 characters." REFER,
               id));
    cr_assert_eq(count_of(a, id), 0);
    id = repeat(fmt("%s-", t), "a", 128 - tlen);
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect_written(r, 201, "created", id);
    /* Body ids count code points too (5.1): 128 emoji pass, 129 fail. */
    id = repeat(fmt("%s-", t), "\xf0\x9f\x90\xb7", 129 - tlen);
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect(r, 400, "invalid_request", NULL);
    cr_assert_eq(count_of(a, id), 0);
    id = repeat(fmt("%s-", t), "\xf0\x9f\x90\xb7", 128 - tlen);
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect_written(r, 201, "created", id);
    expect_field(get_user(id), "id", id);

    /* case 39, and the other isValidExternalID failures */
    id = fresh("abc\n123");
    r = call("POST", "/v1/users",
             fmt("{\"id\":%s,\"email\":\"a@pe.com\"}", jstr(id)));
    expect(r, 400, "invalid_field", BAD_ID);
    cr_assert_eq(count_of(a, id), 0);
    id = fresh("cord:x");
    r = call("POST", "/v1/users",
             fmt("{\"id\":%s,\"email\":\"a@pe.com\"}", jstr(id)));
    expect(r, 400, "invalid_field", BAD_ID);
    r = call("POST", "/v1/users",
             fmt("{\"id\":%s,\"email\":\"a@pe.com\"}",
                 jstr(fresh("a\xe2\x80\x8b"))));
    expect(r, 400, "invalid_field", BAD_ID);
    r = call("POST", "/v1/users", "{\"id\":true,\"email\":\"a@pe.com\"}");
    expect(r, 400, "invalid_request", NULL);
    r = call("POST", "/v1/users", "{\"id\":null,\"email\":\"a@pe.com\"}");
    expect(r, 400, "invalid_request", NULL);
}

/* case 40: a number id is its JavaScript string. */
Test(users, post_takes_a_number_id)
{
    long long n = (long long)time(NULL) * 100000 + getpid() % 100000;
    const char *id = fmt("%lld", n);
    const struct {
        const char *json;
        const char *id; /* JavaScript's toString() */
    } numbers[] = {
        {"1e21", "1e+21"},
        {"-0", "0"},
        {"1.5", "1.5"},
        {"-5", "-5"},
        {"1E3", "1000"},
        {"1e-7", "1e-7"},
        {"1e20", "100000000000000000000"},
        {"123456789012345678901234567890", "1.2345678901234568e+29"},
        {"5e-324", "5e-324"},
        {"1.7976931348623157e308", "1.7976931348623157e+308"},
    };
    struct it_response *r;
    size_t i;

    r = call("POST", "/v1/users",
             fmt("{\"id\":%lld,\"email\":\"a@pe.com\"}", n));
    expect_written(r, 201, "created", id);
    expect_field(get_user(id), "id", id);

    /* Not per run: each is cleared first, in case an earlier run left it. */
    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        const char *want = numbers[i].id;

        call("DELETE", user_path(want), "{\"permanently_delete\":true}");
        r = call("POST", "/v1/users",
                 fmt("{\"id\":%s,\"email\":\"a@pe.com\"}", numbers[i].json));
        expect_written(r, 201, "created", want);
        expect_field(get_user(want), "id", want);
        r = call("DELETE", user_path(want), "{\"permanently_delete\":true}");
        cr_assert_eq(r->status, 200, "%s", r->body);
    }

    /* 1e400 is Infinity to JavaScript, whose toString() is "Infinity";
     * refusing it is as good, but it is no user called "null". */
    call("DELETE", user_path("Infinity"), "{\"permanently_delete\":true}");
    call("DELETE", user_path("null"), "{\"permanently_delete\":true}");
    r = call("POST", "/v1/users", "{\"id\":1e400,\"email\":\"a@pe.com\"}");
    if (r->status == 201) {
        expect_written(r, 201, "created", "Infinity");
        call("DELETE", user_path("Infinity"), "{\"permanently_delete\":true}");
    } else {
        expect(r, 400, "invalid_request", NULL);
    }
    cr_assert_eq(count_of(main_app(), "null"), 0);
}

/* ------------------------------------------------------------ case 41 */

Test(users, get_of_a_missing_or_invalid_id)
{
    const char *bad[] = {"cord:x", "123\t456", "a\xe2\x80\x8b", "\xff",
                         repeat("", "a", 321)};
    struct it_response *r;
    size_t i;

    r = call("GET", user_path(fresh("does-not-exist")), NULL);
    expect(r, 404, "user_not_found", "Platform user not found.");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = call("GET", user_path(bad[i]), NULL);
        expect(r, 400, "invalid_request", "Invalid request.");
    }
}

/* ------------------------------------------------------------ cases 42-43 */

static struct json_object *
list_as(struct app a, const char *query)
{
    struct it_response *r = call_as(a, "GET", fmt("/v1/users%s", query), NULL);

    cr_assert_eq(r->status, 200, "%s: %ld %s", query, r->status, r->body);
    return body_json(r);
}

static struct json_object *
list(const char *query)
{
    return list_as(main_app(), query);
}

static const char *
filter_q(const char *metadata_json)
{
    return enc(fmt("{\"metadata\":%s}", metadata_json));
}

/* The ids of a list answer, comma-joined. */
static const char *
ids_of(struct json_object *page)
{
    struct json_object *users = field(page, "users");
    size_t i, n;
    const char *out = "";

    cr_assert(json_object_is_type(users, json_type_array));
    n = json_object_array_length(users);
    for (i = 0; i < n; i++)
        out = fmt("%s%s%s", out, i ? "," : "",
                  sfield(json_object_array_get_idx(users, i), "id"));
    return out;
}

static long
total_of(struct json_object *page)
{
    struct json_object *v = field(field(page, "pagination"), "total");

    cr_assert(json_object_is_type(v, json_type_int));
    return (long)json_object_get_int64(v);
}

Test(users, list_pages_through_a_metadata_filter)
{
    const char *t = tag();
    const char *pa = fmt("p-a-%s", t), *pb = fmt("p-b-%s", t),
               *pc = fmt("p-c-%s", t), *f = filter_q(fmt("{\"t\":\"%s\"}", t));
    const char *token, *ts;
    struct json_object *page, *first;

    create(pb, fmt("\"metadata\":{\"t\":\"%s\",\"n\":1,\"b\":true}", t));
    create(pc, fmt("\"metadata\":{\"t\":\"%s\",\"n\":2,\"b\":false}", t));
    create(pa, fmt("\"metadata\":{\"t\":\"%s\",\"n\":1,\"b\":false}", t));
    create(fresh("other"), "\"metadata\":{\"t\":\"not this run\"}");

    /* case 42 */
    page = list(fmt("?limit=2&filter=%s", f));
    cr_assert_str_eq(ids_of(page), fmt("%s,%s", pa, pb));
    cr_assert_eq(total_of(page), 3);
    token = sfield(field(page, "pagination"), "token");
    cr_assert(token != NULL);
    /* A list entry: Cord's keys in order, no groups. */
    first = json_object_array_get_idx(field(page, "users"), 0);
    ts = sfield(first, "createdTimestamp");
    cr_assert(ts != NULL && strlen(ts) == 24);
    cr_assert_str_eq(keys_of(first),
                     "id,email,status,name,shortName,short_name,first_name,"
                     "last_name,profilePictureURL,profile_picture_url,"
                     "metadata,createdTimestamp");
    expect_json(first,
                fmt("{\"id\":\"%s\",\"email\":\"%s\",\"status\":\"active\","
                    "\"name\":null,\"shortName\":null,\"short_name\":null,"
                    "\"first_name\":null,\"last_name\":null,"
                    "\"profilePictureURL\":null,\"profile_picture_url\":null,"
                    "\"metadata\":{\"t\":\"%s\",\"n\":1,\"b\":false},"
                    "\"createdTimestamp\":\"%s\"}",
                    pa, email_of(pa), t, ts));
    page = list(fmt("?limit=2&filter=%s&token=%s", f, enc(token)));
    cr_assert_str_eq(ids_of(page), pc);
    cr_assert_eq(total_of(page), 3);
    cr_assert(json_object_is_type(field(field(page, "pagination"), "token"),
                                  json_type_null));

    /* Without a limit, one page; limit 0, none; parseInt's prefix. */
    page = list(fmt("?filter=%s", f));
    cr_assert_str_eq(ids_of(page), fmt("%s,%s,%s", pa, pb, pc));
    cr_assert(json_object_is_type(field(field(page, "pagination"), "token"),
                                  json_type_null));
    page = list(fmt("?limit=0&filter=%s", f));
    cr_assert_str_eq(ids_of(page), "");
    cr_assert_eq(total_of(page), 3);
    page = list(fmt("?limit=1abc&filter=%s", f));
    cr_assert_str_eq(ids_of(page), pa);

    /* Containment on numbers and booleans, which are not strings. */
    page = list(fmt("?filter=%s", filter_q(fmt("{\"t\":\"%s\",\"n\":1}", t))));
    cr_assert_str_eq(ids_of(page), fmt("%s,%s", pa, pb));
    cr_assert_eq(total_of(page), 2);
    page =
        list(fmt("?filter=%s", filter_q(fmt("{\"t\":\"%s\",\"b\":true}", t))));
    cr_assert_str_eq(ids_of(page), pb);
    cr_assert_eq(total_of(page), 1);
    page =
        list(fmt("?filter=%s", filter_q(fmt("{\"t\":\"%s\",\"b\":false}", t))));
    cr_assert_str_eq(ids_of(page), fmt("%s,%s", pa, pc));
    page =
        list(fmt("?filter=%s", filter_q(fmt("{\"t\":\"%s\",\"n\":\"1\"}", t))));
    cr_assert_str_eq(ids_of(page), "");
    cr_assert_eq(total_of(page), 0);
    page = list(fmt("?filter=%s",
                    filter_q(fmt("{\"t\":\"%s\",\"n\":2,\"b\":false}", t))));
    cr_assert_str_eq(ids_of(page), pc);
    /* groupID is accepted and ignored. */
    page = list(
        fmt("?filter=%s",
            enc(fmt("{\"groupID\":\"x\",\"metadata\":{\"t\":\"%s\"}}", t))));
    cr_assert_eq(total_of(page), 3);
}

/* Ids beyond Latin-1 (Cord's btoa would throw) page in byte order. */
Test(users, list_pages_over_non_ascii_ids_in_byte_order)
{
    const char *t = tag();
    const char *ids[] = {
        fmt("%s-A", t),
        fmt("%s-a", t),
        fmt("%s-\xc3\xa9", t),
        fmt("%s-\xe6\x97\xa5\xe6\x9c\xac", t),
        fmt("%s-\xf0\x9f\x98\x80", t),
    };
    const char *f = filter_q(fmt("{\"run\":\"%s\"}", t)), *token = NULL;
    const char *seen = "", *want = "";
    size_t i, pages = 0;

    for (i = sizeof(ids) / sizeof(ids[0]); i-- > 0;)
        create(ids[i], fmt("\"metadata\":{\"run\":\"%s\"}", t));
    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        want = fmt("%s%s%s", want, i ? "," : "", ids[i]);
    do {
        struct json_object *page =
            list(token ? fmt("?limit=1&filter=%s&token=%s", f, enc(token))
                       : fmt("?limit=1&filter=%s", f));

        cr_assert_eq(total_of(page), 5);
        seen = fmt("%s%s%s", seen, pages ? "," : "", ids_of(page));
        token = sfield(field(page, "pagination"), "token");
        pages++;
        cr_assert(pages <= 5);
    } while (token != NULL);
    cr_assert_str_eq(seen, want);
}

Test(users, list_query_errors)
{
    const struct {
        const char *query;
        const char *message; /* NULL: not compared */
    } rows[] = {
        /* case 43 */
        {"?limit=abc", "Limit must be a number."},
        {"?token=bm90anNvbg%3D%3D", "Pagination token is not valid"},
        {"?filter=%7B%22foo%22%3A1%7D",
         "The filter object does not support \"foo\" as a field."},
        /* DESIGN 1: a negative limit is a 400, not Cord's 500. */
        {"?limit=-1", NULL},
        {"?limit=-1000", NULL},
        {"?limit=%20", "Limit must be a number."},
        /* A repeated parameter is an array in Express's qs. */
        {"?limit=1&limit=2", "Limit must be a number."},
        {"?token=a&token=b", "Pagination token should be of type string."},
        /* {"externalID":""} and {"id":"x"} */
        {"?token=eyJleHRlcm5hbElEIjoiIn0%3D", "Pagination token is not valid"},
        {"?token=eyJpZCI6IngifQ%3D%3D", "Pagination token is not valid"},
        {"?token=%25%25%25", "Pagination token is not valid"},
        /* {"externalID":"a\u0000b"}: not a token of ours, and not "a" */
        {"?token=eyJleHRlcm5hbElEIjoiYVx1MDAwMGIifQ%3D%3D",
         "Pagination token is not valid"},
        /* filter=null is Cord's TypeError 500; never ours. */
        {"?filter=null", "The filter object must be a valid JSON object."},
        {"?filter=%5B1%5D", "The filter object must be a valid JSON object."},
        {"?filter=nope", "The filter object must be a valid JSON object."},
        {"?filter=%7B%22location%22%3A%22x%22%7D",
         "The filter object does not support \"location\" as a field."},
        {"?filter=%7B%22metadata%22%3A%7B%22a%22%3A%7B%22b%22%3A1%7D%7D%7D",
         "\"metadata\" must be valid JSON."},
        {"?filter=%7B%22metadata%22%3A%22x%22%7D",
         "\"metadata\" must be valid JSON."},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct it_response *r =
            call("GET", fmt("/v1/users%s", rows[i].query), NULL);

        expect_row(rows[i].query, r, 400, "invalid_field", rows[i].message);
    }
}

/* As in Cord, an empty limit, token or filter is no value at all, and a
 * falsy filter metadata is ignored. */
Test(users, list_empty_values_count_as_absent)
{
    struct app b = new_app(fresh("empty"));
    static const char *const queries[] = {
        "?limit=",
        "?token=",
        "?filter=",
        "?limit=&token=&filter=",
        "?filter=%7B%22metadata%22%3Anull%7D",
        "?filter=%7B%22metadata%22%3A%22%22%7D",
        "?filter=%7B%22metadata%22%3Afalse%2C%22groupID%22%3A%22%22%7D",
    };
    struct json_object *page;
    size_t i;

    it_sql_exec(fmt("INSERT INTO users (app_id, id, email) SELECT '%s', "
                    "'e-' || i, 'e@pe.com' FROM generate_series(1, 3) AS i",
                    b.id));
    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        page = list_as(b, queries[i]);
        cr_assert_str_eq(ids_of(page), "e-1,e-2,e-3", "%s", queries[i]);
        cr_assert_eq(total_of(page), 3, "%s", queries[i]);
    }
}

/* DESIGN 1 keeps Cord's default page of 1000 and caps larger limits there. */
Test(users, list_limit_above_1000_is_1000)
{
    struct app b = new_app(fresh("many"));
    struct json_object *page;
    const char *token;

    it_sql_exec(fmt("INSERT INTO users (app_id, id, email) SELECT '%s', "
                    "'m-' || lpad(i::text, 5, '0'), 'm@pe.com' "
                    "FROM generate_series(1, 1001) AS i",
                    b.id));
    page = list_as(b, "?limit=5000");
    cr_assert_eq(json_object_array_length(field(page, "users")), 1000);
    cr_assert_eq(total_of(page), 1001);
    page = list_as(b, "");
    cr_assert_eq(json_object_array_length(field(page, "users")), 1000);
    token = sfield(field(page, "pagination"), "token");
    cr_assert(token != NULL);
    page = list_as(b, fmt("?token=%s", enc(token)));
    cr_assert_str_eq(ids_of(page), "m-01001");
    cr_assert(json_object_is_type(field(field(page, "pagination"), "token"),
                                  json_type_null));
}

/* ------------------------------------------------------------ case 44 */

/* A client auth token as getClientAuthToken makes it for user_id. */
static struct it_response *
viewer(const char *user_id)
{
    struct app a = main_app();
    long now = (long)time(NULL);
    const char *tok = keep(it_jwt(
        "HS512",
        fmt("{\"project_id\":\"%s\",\"user_id\":%s,\"iat\":%ld,\"exp\":%ld}",
            a.id, jstr(user_id), now, now + 60),
        a.secret));

    return send_raw(tok, "GET", "/v1/client/viewer", NULL, NULL);
}

Test(users, soft_deleted_users_stay_gettable_and_listed_but_cannot_log_in)
{
    const char *id = fresh("u1"), *t = tag();
    struct it_response *r;
    struct json_object *page;

    create(id, fmt("\"metadata\":{\"soft\":\"%s\"}", t));
    r = viewer(id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    expect_field(body_json(r), "id", id);
    r = call("PUT", user_path(id), "{\"status\":\"deleted\"}");
    expect_written(r, 200, "updated", id);
    expect_field(get_user(id), "status", "deleted");
    page = list(fmt("?filter=%s", filter_q(fmt("{\"soft\":\"%s\"}", t))));
    cr_assert_str_eq(ids_of(page), id);
    expect_field(json_object_array_get_idx(field(page, "users"), 0), "status",
                 "deleted");
    r = viewer(id);
    expect_body(r, 403,
                fmt("{\"error\":\"invalid_session - Unable to load user %s in "
                    "application %s. Perhaps the user is marked "
                    "'deleted'.\"}",
                    id, main_app().id));
    r = call("PUT", user_path(id), "{\"status\":\"active\"}");
    expect_written(r, 200, "updated", id);
    expect_field(get_user(id), "status", "active");
    r = viewer(id);
    cr_assert_eq(r->status, 200, "%s", r->body);
}

/* ------------------------------------------------------------ cases 45-46 */

Test(users, an_unknown_group_rolls_back_a_creation)
{
    struct app a = main_app();
    const char *id = fresh("u3"), *g = fresh("g"), *nope = fresh("nope");
    struct it_response *r;

    add_group(a, g, "active");
    /* case 45 (with an email, so that only the group can fail) */
    r = call(
        "PUT", user_path(id),
        fmt("{\"email\":\"a@pe.com\",\"addGroups\":[\"%s\",\"%s\"]}", g, nope));
    expect(r, 401, "group_not_found", fmt("Group %s not found.", nope));
    r = call("GET", user_path(id), NULL);
    expect(r, 404, "user_not_found", "Platform user not found.");
    cr_assert_eq(count_of(a, id), 0);
    r = call("PUT", user_path(id),
             fmt("{\"email\":\"a@pe.com\",\"removeGroups\":[\"%s\"]}", nope));
    expect(r, 401, "group_not_found", fmt("Group %s not found.", nope));
    cr_assert_eq(count_of(a, id), 0);
    /* addGroups is checked before removeGroups; the first miss is named. */
    r = call("PUT", user_path(id),
             fmt("{\"email\":\"a@pe.com\",\"addGroups\":[\"%s-1\",\"%s-2\"],"
                 "\"removeGroups\":[\"%s-0\"]}",
                 nope, nope, nope));
    expect(r, 401, "group_not_found", fmt("Group %s-1 not found.", nope));
    /* case 46 on a new id: nothing is created either. */
    r = call("PUT", user_path(id),
             fmt("{\"email\":\"a@pe.com\",\"addGroups\":[\"%s\"],"
                 "\"removeGroups\":[\"%s\"]}",
                 g, g));
    expect(r, 400, "invalid_field",
           "Adding and removing the same group is invalid.");
    cr_assert_eq(count_of(a, id), 0);
    cr_assert_str_eq(sql(fmt("SELECT count(*) FROM group_members WHERE "
                             "app_id = '%s' AND group_id = '%s'",
                             a.id, g)),
                     "0");
}

static const char *
groups_of(const char *id)
{
    struct json_object *o = get_user(id);
    const char *groups = compact(field(o, "groups"));

    cr_assert_str_eq(compact(field(o, "organizations")), groups);
    return groups;
}

Test(users, add_and_remove_groups_change_membership)
{
    struct app a = main_app();
    const char *id = fresh("member"), *g1 = fresh("g1"), *g2 = fresh("g2");
    struct it_response *r;

    add_group(a, g1, "active");
    add_group(a, g2, "active");
    r = call("PUT", user_path(id),
             fmt("{\"email\":\"a@pe.com\",\"addGroups\":[\"%s\"]}", g1));
    expect_written(r, 200, "created", id);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\"]", g1));
    r = call("PUT", user_path(id),
             fmt("{\"addGroups\":[\"%s\",\"%s\"]}", g2, g1));
    expect_written(r, 200, "updated", id);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\",\"%s\"]", g1, g2));
    r = call("PUT", user_path(id), fmt("{\"removeGroups\":[\"%s\"]}", g1));
    expect_written(r, 200, "updated", id);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\"]", g2));
    /* Removing a non-membership is a no-op. */
    r = call("PUT", user_path(id), fmt("{\"removeGroups\":[\"%s\"]}", g1));
    expect_written(r, 200, "updated", id);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\"]", g2));
    /* An unknown group takes the known one's change back with it. */
    r = call("PUT", user_path(id),
             fmt("{\"addGroups\":[\"%s\",\"%s\"]}", g1, fresh("nope")));
    cr_assert_eq(r->status, 401, "%s", r->body);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\"]", g2));
    /* A deleted group is not listed, and can still be joined. */
    it_sql_exec(fmt("UPDATE groups SET status = 'deleted' WHERE app_id = '%s' "
                    "AND id = '%s'",
                    a.id, g2));
    cr_assert_str_eq(groups_of(id), "[]");
    r = call("PUT", user_path(id), fmt("{\"addGroups\":[\"%s\"]}", g1));
    expect_written(r, 200, "updated", id);
    cr_assert_str_eq(groups_of(id), fmt("[\"%s\"]", g1));
    cr_assert_str_eq(sql(fmt("SELECT count(*) FROM group_members WHERE "
                             "app_id = '%s' AND user_id = '%s'",
                             a.id, id)),
                     "2");
    /* Deleting the user takes its memberships. */
    r = call("DELETE", user_path(id), "{\"permanently_delete\":true}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(sql(fmt("SELECT count(*) FROM group_members WHERE "
                             "app_id = '%s' AND user_id = '%s'",
                             a.id, id)),
                     "0");
}

/* ------------------------------------------------------------ cases 47-49 */

Test(users, delete_needs_permanently_delete_and_an_existing_user)
{
    struct app a = main_app();
    const char *id = fresh("u2"), *nobody = fresh("nobody");
    struct it_response *r;

    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect_written(r, 201, "created", id);

    /* case 47 */
    r = call("DELETE", user_path(id), NULL);
    expect(r, 400, "invalid_request",
           "Invalid DeleteUserVariables:\nInput {} requires field: "
           "permanently_delete." REFER);
    r = call("DELETE", user_path(id), "{\"permanently_delete\":false}");
    expect(r, 400, "invalid_request", "Invalid request.");
    r = call("DELETE", user_path(id), "{\"permanently_delete\":\"true\"}");
    expect(r, 400, "invalid_request", NULL);
    r = call("DELETE", user_path(id),
             "{\"permanently_delete\":true,\"files\":true}");
    expect(r, 400, "invalid_request",
           "Invalid DeleteUserVariables:\nInput {\"permanently_delete\":true,"
           "\"files\":true} has unexpected field: files." REFER);
    r = call("DELETE", user_path(id), "[]");
    expect(r, 400, "invalid_request",
           "Invalid DeleteUserVariables:\nExpected JSON object." REFER);
    r = call("DELETE", user_path(fresh("cord:x")),
             "{\"permanently_delete\":true}");
    expect(r, 400, "invalid_field", BAD_USER_ID);
    cr_assert_eq(count_of(a, id), 1);

    /* case 48 */
    r = call("DELETE", user_path(nobody), "{\"permanently_delete\":true}");
    expect(r, 401, "invalid_user_id", fmt("Invalid user id: %s.", nobody));

    /* case 49 */
    r = call("DELETE", user_path(id), "{\"permanently_delete\":true}");
    expect_body(r, 200,
                fmt("{\"success\":true,\"message\":\"User deleted.\","
                    "\"userID\":\"%s\",\"failedDeletionFileIDs\":[]}",
                    id));
    r = call("GET", user_path(id), NULL);
    expect(r, 404, "user_not_found", "Platform user not found.");
    cr_assert_eq(count_of(a, id), 0);
    r = call("DELETE", user_path(id), "{\"permanently_delete\":true}");
    expect(r, 401, "invalid_user_id", fmt("Invalid user id: %s.", id));
    /* The id is free again. */
    r = call("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", id));
    expect_written(r, 201, "created", id);
}

/* ------------------------------------------------------------ auth */

Test(users, every_route_needs_a_server_token)
{
    struct app a = main_app(), wrong = {a.id, "not the secret"};
    const char *id = fresh("auth"), *other = fresh("auth-new"), *before;
    const struct {
        const char *method;
        const char *path;
        const char *body;
    } routes[] = {
        {"POST", "/v1/users",
         fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\"}", other)},
        {"GET", "/v1/users", NULL},
        {"PUT", user_path(other), "{\"email\":\"a@pe.com\"}"},
        {"PUT", user_path(id), "{\"name\":\"changed\"}"},
        {"GET", user_path(id), NULL},
        {"DELETE", user_path(id), "{\"permanently_delete\":true}"},
    };
    size_t i;

    create(id, "\"name\":\"kept\"");
    before = row_of(a, id);
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct it_response *r;

        r = send_raw(NULL, routes[i].method, routes[i].path, routes[i].body,
                     NULL);
        expect(r, 401, "missing_authorization_header",
               "Authorization header bearer token must be present.");
        r = send_raw("invalid", routes[i].method, routes[i].path,
                     routes[i].body, NULL);
        expect(r, 401, "invalid_authorization_header",
               "Input type for authorization header bearer token is not "
               "valid, expected JWT.");
        r = call_as(wrong, routes[i].method, routes[i].path, routes[i].body);
        expect(r, 401, "invalid_project_token",
               "JsonWebTokenError: invalid signature");
    }
    cr_assert_str_eq(row_of(a, id), before);
    cr_assert_eq(count_of(a, other), 0);
}

/* ------------------------------------------------------------ bytes */

/* SQL-looking, escaping-looking and non-ASCII ids and names come back byte
 * for byte: through a percent-encoded path, JSON, and the database. */
Test(users, ids_and_names_round_trip_byte_for_byte)
{
    struct app a = main_app();
    const char *t = tag();
    const char *strings[] = {
        "x'); DROP TABLE users;--",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "%27",
        "%2F",
        "\\",
        "\\\\x00",
        "\"quoted\"",
        "'single'",
        "a/b/c",
        "a+b c",
        "a?b=c&d#e",
        "$1::text",
        "{\"json\":[1]}",
        "<script>alert(1)</script>",
        "caf\xc3\xa9",                              /* café */
        "e\xcc\x81",                                /* e + U+0301 */
        "\xe6\x97\xa5\xe6\x9c\xac",                 /* 日本 */
        "\xf0\x9f\x98\x80\xf0\x9f\x90\xb7",         /* 😀🐷 */
        "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",         /* שלום */
        "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", /* مرحبا */
        "\xef\xbf\xbd",                             /* U+FFFD */
        "\xf0\x9d\x84\x9e", /* U+1D11E, outside the BMP */
    };
    size_t n = sizeof(strings) / sizeof(strings[0]), i;
    const char **ids = calloc(n, sizeof(*ids)), *want = "";
    struct json_object *page;

    cr_assert(defer(free, ids) != NULL);
    for (i = 0; i < n; i++) {
        const char *s = strings[i], *id = fmt("%s-%s", s, t), *sh;
        struct json_object *o;
        struct it_response *r;

        ids[i] = id;
        r = call("PUT", user_path(id),
                 fmt("{\"email\":\"a@pe.com\",\"name\":%s,\"shortName\":%s,"
                     "\"metadata\":{\"rt\":\"%s\",\"s\":%s}}",
                     jstr(s), jstr(s), t, jstr(s)));
        expect_written(r, 200, "created", id);
        r = call("GET", user_path(id), NULL);
        cr_assert_eq(r->status, 200, "%s: %s", s, r->body);
        o = body_json(r);
        expect_field(o, "id", id);
        expect_field(o, "name", s);
        expect_field(o, "shortName", s);
        expect_field(field(o, "metadata"), "s", s);
        /* UTF-8 goes out as it is, not as \u escapes (1.3). */
        if ((unsigned char)s[0] >= 0x80)
            cr_assert(memmem(r->body, r->body_len, s, strlen(s)) != NULL,
                      "%s is escaped in %s", s, r->body);
        sh = sql(fmt("SELECT encode(convert_to(name, 'UTF8'), 'hex') || '|' "
                     "|| encode(convert_to(short_name, 'UTF8'), 'hex') "
                     "FROM users WHERE %s",
                     where_user(a, id)));
        cr_assert_str_eq(sh, fmt("%s|%s", hex(s), hex(s)), "%s", s);
    }
    cr_assert(sql("SELECT to_regclass('users')::text") != NULL);

    /* The list has them all, in byte order (strcmp's order). */
    {
        const char **sorted = calloc(n, sizeof(*sorted));
        size_t j;

        cr_assert(defer(free, sorted) != NULL);
        memcpy(sorted, ids, n * sizeof(*ids));
        for (i = 1; i < n; i++)
            for (j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
                const char *x = sorted[j];

                sorted[j] = sorted[j - 1];
                sorted[j - 1] = x;
            }
        for (i = 0; i < n; i++)
            want = fmt("%s%s%s", want, i ? "," : "", sorted[i]);
    }
    page = list(fmt("?filter=%s", filter_q(fmt("{\"rt\":\"%s\"}", t))));
    cr_assert_eq(total_of(page), (long)n);
    cr_assert_str_eq(ids_of(page), want);

    /* And each can be deleted by its encoded path. */
    for (i = 0; i < n; i++) {
        struct it_response *r =
            call("DELETE", user_path(ids[i]), "{\"permanently_delete\":true}");
        struct json_object *o;

        cr_assert_eq(r->status, 200, "%s: %s", ids[i], r->body);
        o = body_json(r);
        expect_field(o, "userID", ids[i]);
        cr_assert_eq(count_of(a, ids[i]), 0);
    }
}

/* "." and ".." are ids like any other once percent-encoded (Express decodes
 * them after routing), and an encoded "/" stays inside the id. */
Test(users, dot_and_slash_ids_round_trip)
{
    const char *ids[] = {".", "..", "...", "%2F", "/"};
    const char *slash = fresh("a/b");
    struct it_response *r;
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        call("DELETE", user_path(ids[i]), "{\"permanently_delete\":true}");
        create(ids[i], fmt("\"name\":%s", jstr(ids[i])));
        expect_field(get_user(ids[i]), "id", ids[i]);
        r = call("DELETE", user_path(ids[i]), "{\"permanently_delete\":true}");
        cr_assert_eq(r->status, 200, "%s: %s", ids[i], r->body);
    }
    create(slash, NULL);
    r = call("GET", fmt("/v1/users/%s", slash), NULL);
    cr_assert_eq(r->status, 404, "a raw / is another route: %ld %s", r->status,
                 r->body);
    r = call("GET", fmt("/v1/users/a%%2Fb-%s", tag()), NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    expect_field(body_json(r), "id", slash);
    r = call("GET", fmt("/v1/users/a%%2fb-%s", tag()), NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
}

/* Routing is case-insensitive with an optional trailing slash; ids are
 * case-sensitive. */
Test(users, ids_are_case_sensitive_paths_are_not)
{
    const char *up = fresh("Case"), *low = fresh("case");
    struct it_response *r;

    create(up, "\"name\":\"upper\"");
    r = call("PUT", fmt("/V1/Users/%s/", low),
             "{\"email\":\"a@pe.com\",\"name\":\"lower\"}");
    expect_written(r, 200, "created", low);
    expect_field(get_user(up), "name", "upper");
    expect_field(get_user(low), "name", "lower");
    r = call("GET", fmt("/v1/USERS/%s/", up), NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    expect_field(body_json(r), "id", up);
}

Test(users, invalid_utf8_in_a_body_is_400_and_writes_nothing)
{
    struct app a = main_app();
    const char *id = fresh("utf8"), *fresh_id = fresh("utf8-new"), *before;
    const char *bad[] = {
        "\xff",             /* never in UTF-8 */
        "\xc0\xaf",         /* overlong "/" */
        "\xed\xa0\x80",     /* a surrogate, U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe6\x97",         /* cut short */
        "\x80",             /* a lone continuation byte */
    };
    size_t i;

    create(id, "\"name\":\"kept\"");
    before = row_of(a, id);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *bodies[] = {
            fmt("{\"name\":\"%s\"}", bad[i]),
            fmt("{\"email\":\"a@pe.com\",\"metadata\":{\"k\":\"x%s\"}}",
                bad[i]),
            fmt("{\"email\":\"a@pe.com\",\"metadata\":{\"%s\":\"v\"}}", bad[i]),
        };
        size_t j;

        for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++) {
            struct it_response *r;

            r = call("PUT", user_path(id), bodies[j]);
            expect(r, 400, "invalid_request", NULL);
            r = call("PUT", user_path(fresh_id),
                     fmt("{\"email\":\"a@pe.com\",%s", bodies[j] + 1));
            expect(r, 400, "invalid_request", NULL);
            r = call("POST", "/v1/users",
                     fmt("{\"id\":\"%s\",\"email\":\"a@pe.com\",%s", fresh_id,
                         bodies[j] + 1));
            expect(r, 400, "invalid_request", NULL);
        }
        cr_assert_str_eq(row_of(a, id), before, "row %zu changed it", i);
        cr_assert_eq(count_of(a, fresh_id), 0, "row %zu created", i);
    }
    /* An invalid byte in the id of a POST body, too. */
    {
        struct it_response *r =
            call("POST", "/v1/users",
                 fmt("{\"id\":\"%s\xff\",\"email\":\"a@pe.com\"}", fresh_id));

        expect(r, 400, "invalid_request", NULL);
    }
}

/* A NUL escaped in a JSON string (valid JSON, which PostgreSQL text cannot
 * hold) is refused or kept whole: never cut short, never a 5xx. */
Test(users, escaped_nul_is_refused_or_kept_whole)
{
    struct app a = main_app();
    const char *rows[] = {
        "\"name\":\"a\\u0000b\"",
        "\"shortName\":\"a\\u0000b\"",
        "\"metadata\":{\"k\":\"a\\u0000b\"}",
        "\"profilePictureURL\":\"https://x.example/a\\u0000b\"",
        "\"email\":\"a\\u0000@pe.com\"",
        "\"addGroups\":[\"a\\u0000b\"]",
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *id = fresh(fmt("nul-%zu", i));
        struct it_response *r;

        r = call("PUT", user_path(id),
                 fmt("{\"email\":\"b@pe.com\",%s}", rows[i]));
        cr_assert(r->status < 500, "%s: %ld %s", rows[i], r->status, r->body);
        if (r->status != 200) {
            expect(r, 400, "invalid_request", NULL);
            cr_assert_eq(count_of(a, id), 0, "%s", rows[i]);
            continue;
        }
        /* Kept: then it must come back with the NUL and the "b". */
        r = call("GET", user_path(id), NULL);
        cr_assert_eq(r->status, 200);
        cr_assert(strstr(r->body, "a\\u0000b") != NULL, "%s was cut short: %s",
                  rows[i], r->body);
    }
}

/* ------------------------------------------------------------ apps */

/* An app never sees or changes another app's users; the same id in two
 * apps is two users. */
Test(users, apps_are_isolated)
{
    struct app a = main_app(), b = new_app(fresh("other"));
    const char *id = fresh("shared"), *t = tag(), *before;
    struct it_response *r;
    struct json_object *page;

    create(id, fmt("\"name\":\"one\",\"metadata\":{\"iso\":\"%s\"}", t));
    before = row_of(a, id);

    r = call_as(b, "GET", user_path(id), NULL);
    expect(r, 404, "user_not_found", "Platform user not found.");
    r = call_as(b, "DELETE", user_path(id), "{\"permanently_delete\":true}");
    expect(r, 401, "invalid_user_id", fmt("Invalid user id: %s.", id));
    page = list_as(b, fmt("?filter=%s", filter_q(fmt("{\"iso\":\"%s\"}", t))));
    cr_assert_eq(total_of(page), 0);
    cr_assert_str_eq(ids_of(page), "");
    page = list_as(b, "");
    cr_assert_eq(total_of(page), 0);
    /* An update without an email through b is a creation that needs one. */
    r = call_as(b, "PUT", user_path(id), "{\"name\":\"two\"}");
    expect(r, 400, "invalid_request", NULL);
    cr_assert_str_eq(row_of(a, id), before);

    /* The same id through b creates b's own user. */
    r = call_as(b, "PUT", user_path(id),
                fmt("{\"email\":\"two@pe.com\",\"name\":\"two\","
                    "\"metadata\":{\"iso\":\"%s\"}}",
                    t));
    expect_written(r, 200, "created", id);
    cr_assert_str_eq(row_of(a, id), before);
    expect_field(get_user_as(b, id), "name", "two");
    expect_field(get_user(id), "name", "one");
    page = list_as(b, fmt("?filter=%s", filter_q(fmt("{\"iso\":\"%s\"}", t))));
    cr_assert_eq(total_of(page), 1);
    page = list(fmt("?filter=%s", filter_q(fmt("{\"iso\":\"%s\"}", t))));
    cr_assert_eq(total_of(page), 1);
    expect_field(json_object_array_get_idx(field(page, "users"), 0), "name",
                 "one");
    r = call_as(b, "POST", "/v1/users",
                fmt("{\"id\":\"%s\",\"email\":\"x@pe.com\"}", id));
    expect(r, 409, "user_already_exists", NULL);

    /* b's groups are b's: a cannot join them. */
    add_group(b, fmt("bg-%s", t), "active");
    r = call("PUT", user_path(id), fmt("{\"addGroups\":[\"bg-%s\"]}", t));
    expect(r, 401, "group_not_found", fmt("Group bg-%s not found.", t));
    cr_assert_str_eq(row_of(a, id), before);

    /* Deleting b's user leaves a's. */
    r = call_as(b, "DELETE", user_path(id), "{\"permanently_delete\":true}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(count_of(b, id), 0);
    cr_assert_str_eq(row_of(a, id), before);
    r = call_as(b, "POST", "/v1/users",
                fmt("{\"id\":\"%s\",\"email\":\"x@pe.com\"}", id));
    expect_written(r, 201, "created", id);
    cr_assert_str_eq(row_of(a, id), before);
}

/* ------------------------------------------------------------ concurrency */

#define RACERS 16

struct racer {
    CURL *h;
    struct curl_slist *headers;
    char *body;
    struct it_sink answer;
    long status;
};

static void
racer_free(void *p)
{
    struct racer *rc = p;
    int i;

    for (i = 0; i < RACERS; i++) {
        curl_easy_cleanup(rc[i].h);
        curl_slist_free_all(rc[i].headers);
        free(rc[i].body);
        free(rc[i].answer.data);
    }
    free(rc);
}

/* RACERS requests at once, each with its own connection; bodies[i] may use
 * %d for the racer's number. */
static struct racer *
race(const char *method, const char *path, const char *body_fmt)
{
    struct racer *rc = defer(racer_free, calloc(RACERS, sizeof(*rc)));
    const char *auth = fmt("Authorization: Bearer %s", token_of(main_app()));
    const char *url = fmt("%s%s", base(), path);
    CURLM *m = curl_multi_init();
    int i, running = 0;

    cr_assert(rc != NULL && m != NULL);
    for (i = 0; i < RACERS; i++) {
        struct racer *x = &rc[i];

        x->h = curl_easy_init();
        cr_assert(x->h != NULL);
        cr_assert(asprintf(&x->body, body_fmt, i) > 0);
        x->headers = curl_slist_append(NULL, auth);
        x->headers =
            curl_slist_append(x->headers, "Content-Type: application/json");
        x->headers = curl_slist_append(x->headers, "Expect:");
        curl_easy_setopt(x->h, CURLOPT_URL, url);
        curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
        curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, it_sink_write);
        curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->answer);
        curl_easy_setopt(x->h, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(x->h, CURLOPT_FORBID_REUSE, 1L);
        curl_multi_add_handle(m, x->h);
    }
    do {
        cr_assert(curl_multi_perform(m, &running) == CURLM_OK);
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    } while (running > 0);
    for (i = 0; i < RACERS; i++) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            cr_assert(msg->msg != CURLMSG_DONE || msg->data.result == CURLE_OK,
                      "%s", curl_easy_strerror(msg->data.result));
        curl_easy_getinfo(rc[i].h, CURLINFO_RESPONSE_CODE, &rc[i].status);
        curl_multi_remove_handle(m, rc[i].h);
    }
    curl_multi_cleanup(m);
    return rc;
}

Test(users, concurrent_puts_of_a_new_id_make_one_user)
{
    struct app a = main_app();
    const char *id = fresh("race");
    const char *created = fmt("{\"success\":true,\"message\":\"" CHECK_MARK
                              " You successfully created user %s\"}",
                              id);
    const char *updated = fmt("{\"success\":true,\"message\":\"" CHECK_MARK
                              " You successfully updated user %s\"}",
                              id);
    struct racer *rc =
        race("PUT", user_path(id),
             "{\"email\":\"r%1$d@pe.com\",\"name\":\"racer %1$d\"}");
    int i, ncreated = 0;

    for (i = 0; i < RACERS; i++) {
        cr_assert_eq(rc[i].status, 200, "racer %d: %ld %s", i, rc[i].status,
                     rc[i].answer.data ? rc[i].answer.data : "");
        cr_assert(strcmp(rc[i].answer.data, created) == 0 ||
                      strcmp(rc[i].answer.data, updated) == 0,
                  "racer %d: %s", i, rc[i].answer.data);
        ncreated += strcmp(rc[i].answer.data, created) == 0;
    }
    cr_assert_geq(ncreated, 1);
    cr_assert_eq(count_of(a, id), 1);
    expect_field(get_user(id), "id", id);
}

Test(users, concurrent_posts_of_a_new_id_give_one_201)
{
    struct app a = main_app();
    const char *id = fresh("race-post");
    struct racer *rc =
        race("POST", "/v1/users",
             fmt("{\"id\":\"%s\",\"email\":\"r%%d@pe.com\"}", id));
    int i, n201 = 0;

    for (i = 0; i < RACERS; i++) {
        cr_assert(rc[i].status == 201 || rc[i].status == 409,
                  "racer %d: %ld %s", i, rc[i].status,
                  rc[i].answer.data ? rc[i].answer.data : "");
        n201 += rc[i].status == 201;
    }
    cr_assert_eq(n201, 1);
    cr_assert_eq(count_of(a, id), 1);
}

/* A lone surrogate escape is valid JSON but no UTF-8: it becomes U+FFFD
 * (as Node's UTF-8 encoder makes it for Cord) or is refused; the stored
 * text stays UTF-8 and the answer stays JSON. */
Test(users, lone_surrogate_escape_is_replaced_or_refused)
{
    struct app a = main_app();
    const char *id = fresh("surrogate");
    struct it_response *r;

    r = call("PUT", user_path(id),
             "{\"email\":\"a@pe.com\",\"name\":\"a\\ud800b\","
             "\"metadata\":{\"k\":\"c\\udc00d\"}}");
    cr_assert(r->status == 200 || r->status == 400, "%ld %s", r->status,
              r->body);
    if (r->status == 400) {
        expect(r, 400, "invalid_request", NULL);
        cr_assert_eq(count_of(a, id), 0);
        return;
    }
    expect_field(get_user(id), "name",
                 "a\xef\xbf\xbd"
                 "b");
    expect_field(field(get_user(id), "metadata"), "k",
                 "c\xef\xbf\xbd"
                 "d");
}
