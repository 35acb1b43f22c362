/* Reads with a client auth token: GET /v1/client/user/<ID>,
 * /v1/client/users?users=<JSON array>, /v1/client/groupMembers/<ID> and the
 * shape of /v1/client/viewer (cord-groups-batch.md, cord-api.md 3.7): a
 * viewer sees the users who share one of its groups, and no one else,
 * through nginx to cordgate and PostgreSQL. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define TAG_PREFIX "tc"
#define CHECK_MARK "\xe2\x9c\x85"

/* ------------------------------------------------------------ bookkeeping */

/* Everything a test allocates is released after it, so that the sanitizer
 * build's leak check sees only the server's leaks, not ours. */
struct deferred {
    void (*fn)(void *);
    void *p;
};
static struct deferred deferred[16384];
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

static char *
keep(char *s)
{
    cr_assert(s != NULL);
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
    return fmt("%s-%s-%s", TAG_PREFIX, prefix, tag());
}

/* A JSON string literal of s (json-c leaves UTF-8 as it is). */
static const char *
jstr(const char *s)
{
    struct json_object *o = defer(put_json, json_object_new_string(s));

    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Percent-encode every byte but letters, digits, "-" and "_". */
static const char *
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
    const char *bin = it_env("CORDGATE_TEST_BIN");
    const char *db = it_env("CORDGATE_TEST_DATABASE_URL");
    char out[1024], id[64], secret[128];
    size_t len = 0;
    ssize_t n;
    int pipefd[2], status;
    pid_t pid;

    cr_assert(pipe(pipefd) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);

        clearenv();
        setenv("PATH", "/usr/bin:/bin", 1);
        setenv("CORDGATE_DATABASE_URL", db, 1);
        dup2(fd, 0);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        execl(bin, bin, "app", "create", "--name", name, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    while (len + 1 < sizeof(out) &&
           (n = read(pipefd[0], out + len, sizeof(out) - len - 1)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(pipefd[0]);
    cr_assert(waitpid(pid, &status, 0) == pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "app create: %s",
              out);
    cr_assert(sscanf(out, "CORDGATE_APP_ID=%63s\nCORDGATE_APP_SECRET=%127s", id,
                     secret) == 2,
              "app create printed %s", out);
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

/* A request through nginx; path is taken as sent.  token NULL: no
 * Authorization header.  body_len is the body's length (bodies may be
 * large). */
static struct it_response *
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

static struct it_response *
call_as(struct app a, const char *method, const char *path, const char *body)
{
    return send_len(token_of(a), method, path, body, body ? strlen(body) : 0);
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

/* Assert the status and the body byte for byte (so key order too). */
static void
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
static void
expect_success(const struct it_response *r, long status, const char *text)
{
    expect_body(r, status,
                fmt("{\"success\":true,\"message\":%s}",
                    jstr(fmt(CHECK_MARK " %s", text))));
}

static struct json_object *
field(struct json_object *o, const char *key)
{
    struct json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
              json_object_to_json_string(o));
    return v;
}

static const char *
str_field(struct json_object *o, const char *key)
{
    struct json_object *v = field(o, key);

    return json_object_is_type(v, json_type_null) ? NULL
                                                  : json_object_get_string(v);
}

/* The keys of object o, comma-separated, in their order. */
static const char *
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

/* ------------------------------------------------------------ users, groups */

static const char *
user_path(const char *id)
{
    return fmt("/v1/users/%s", enc(id));
}

static const char *
group_path(const char *id)
{
    return fmt("/v1/groups/%s", enc(id));
}

/* Create a user with PUT (with an email, which a creating PUT needs). */
static void
create_user_as(struct app a, const char *id, const char *extra)
{
    struct it_response *r;

    r = call_as(a, "PUT", user_path(id),
                fmt("{\"email\":\"u-%s@example.com\"%s%s}", tag(),
                    extra ? "," : "", extra ? extra : ""));
    expect_success(r, 200, fmt("You successfully created user %s", id));
}

static void
create_user(const char *id, const char *extra)
{
    create_user_as(main_app(), id, extra);
}

/* PUT /v1/groups/<id> with body, asserting it created the group. */
static void
create_group_as(struct app a, const char *id, const char *body)
{
    struct it_response *r = call_as(a, "PUT", group_path(id), body);

    expect_success(r, 200, fmt("You successfully created group %s", id));
}

static void
create_group(const char *id, const char *body)
{
    create_group_as(main_app(), id, body);
}

/* A JSON value as compact text. */
static const char *
json_text(struct json_object *o)
{
    return json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* A JSON array of the strings ids[0..n). */
static const char *
jarray(const char *const *ids, size_t n)
{
    const char *out = "[";
    size_t i;

    for (i = 0; i < n; i++)
        out = fmt("%s%s%s", out, i ? "," : "", jstr(ids[i]));
    return fmt("%s]", out);
}

/* ------------------------------------------------------------ client side */

TestSuite(client_reads, .fini = release_all);

/* A client auth token for user as getClientAuthToken makes it, plus claims
 * (without braces; may be ""). */
static const char *
client_token_as(struct app a, const char *user, const char *claims)
{
    long now = (long)time(NULL);
    const char *payload =
        fmt("{\"user_id\":%s%s%s,\"project_id\":\"%s\",\"iat\":%ld,\"exp\":"
            "%ld}",
            jstr(user), claims[0] ? "," : "", claims, a.id, now, now + 60);

    return keep(it_jwt("HS512", payload, a.secret));
}

static const char *
client_token(const char *user)
{
    return client_token_as(main_app(), user, "");
}

static struct it_response *
client_get(const char *token, const char *path)
{
    return send_len(token, "GET", path, NULL, 0);
}

static const char *
jnull(const char *s)
{
    return s ? jstr(s) : "null";
}

/* What a client read answers for one user, byte for byte. */
static const char *
client_user(const char *id, const char *name, const char *short_name,
            const char *display, const char *secondary, const char *picture,
            const char *metadata)
{
    return fmt("{\"id\":%s,\"name\":%s,\"shortName\":%s,\"displayName\":%s,"
               "\"secondaryDisplayName\":%s,\"profilePictureURL\":%s,"
               "\"metadata\":%s}",
               jstr(id), jnull(name), jnull(short_name), jstr(display),
               jstr(secondary), jnull(picture), metadata);
}

static const char *
client_user_path(const char *id)
{
    return fmt("/v1/client/user/%s", enc(id));
}

static const char *
client_users_path(const char *array_json)
{
    return fmt("/v1/client/users?users=%s", enc(array_json));
}

static const char *
group_members_path(const char *g)
{
    return fmt("/v1/client/groupMembers/%s", enc(g));
}

#define NOT_FOUND                                                              \
    "{\"error\":\"user_not_found\",\"message\":\"Platform user not found.\"}"
#define NO_MEMBERS "{\"groupMembers\":[],\"loading\":false,\"hasMore\":false}"

/* A viewer v and a peer p in group g1; o in g2 only; l in no group. */
struct world {
    const char *v, *p, *o, *l, *g1, *g2;
};

static struct world
make_world(void)
{
    struct world w = {fresh("v"), fresh("p"),  fresh("o"),
                      fresh("l"), fresh("g1"), fresh("g2")};

    create_user(w.v, "\"name\":\"Vee\"");
    create_user(w.p, "\"name\":\"Pea\",\"shortName\":\"P\","
                     "\"profilePictureURL\":\"https://x.example/p.png\","
                     "\"metadata\":{\"k\":\"v\",\"n\":2}");
    create_user(w.o, "\"name\":\"Oh\"");
    create_user(w.l, "\"name\":\"Lone\"");
    create_group(w.g1, fmt("{\"name\":\"G1\",\"members\":[%s,%s]}", jstr(w.v),
                           jstr(w.p)));
    create_group(w.g2, fmt("{\"name\":\"G2\",\"members\":[%s]}", jstr(w.o)));
    return w;
}

static const char *
peer_json(const struct world *w)
{
    return client_user(w->p, "Pea", "P", "P", "Pea", "https://x.example/p.png",
                       "{\"k\":\"v\",\"n\":2}");
}

static const char *
viewer_json(const struct world *w)
{
    return client_user(w->v, "Vee", NULL, "Vee", "Vee", NULL, "{}");
}

/* ------------------------------------------------------------ user */

Test(client_reads, a_user_is_visible_through_a_shared_group)
{
    struct world w = make_world();
    const char *t = client_token(w.v);

    expect_body(client_get(t, client_user_path(w.p)), 200, peer_json(&w));
    expect_body(client_get(t, client_user_path(w.v)), 200, viewer_json(&w));
    /* not sharing a group, or not there at all: one answer */
    expect_body(client_get(t, client_user_path(w.o)), 401, NOT_FOUND);
    expect_body(client_get(t, client_user_path(w.l)), 401, NOT_FOUND);
    expect_body(client_get(t, client_user_path(fresh("nobody"))), 401,
                NOT_FOUND);
    /* and the other way round */
    expect_body(client_get(client_token(w.p), client_user_path(w.v)), 200,
                viewer_json(&w));
    expect_body(client_get(client_token(w.o), client_user_path(w.v)), 401,
                NOT_FOUND);
}

Test(client_reads, a_viewer_in_no_group_sees_no_one_not_even_itself)
{
    struct world w = make_world();
    const char *t = client_token(w.l);

    expect_body(client_get(t, client_user_path(w.l)), 401, NOT_FOUND);
    expect_body(client_get(t, client_user_path(w.p)), 401, NOT_FOUND);
    expect_body(client_get(t, client_users_path(jarray(&w.l, 1))), 200,
                fmt("{%s:null}", jstr(w.l)));
}

Test(client_reads, visibility_follows_membership_changes)
{
    struct world w = make_world();
    const char *t = client_token(w.v);
    struct it_response *r;

    r = call("POST", fmt("/v1/groups/%s/members", enc(w.g1)),
             fmt("{\"remove\":[%s]}", jstr(w.p)));
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    expect_body(client_get(t, client_user_path(w.p)), 401, NOT_FOUND);
    r = call("POST", fmt("/v1/groups/%s/members", enc(w.g2)),
             fmt("{\"add\":[%s]}", jstr(w.v)));
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    expect_body(client_get(t, client_user_path(w.o)), 200,
                client_user(w.o, "Oh", NULL, "Oh", "Oh", NULL, "{}"));
    r = call("DELETE", group_path(w.g2), NULL);
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    expect_body(client_get(t, client_user_path(w.o)), 401, NOT_FOUND);
}

Test(client_reads, display_names)
{
    const char *v = fresh("v"), *g = fresh("g");
    struct {
        const char *extra;
        const char *name, *short_name, *display, *secondary;
    } rows[] = {
        {"\"name\":\"N\",\"shortName\":\"S\"", "N", "S", "S", "N"},
        {"\"name\":\"N\"", "N", NULL, "N", "N"},
        {"\"shortName\":\"S\"", NULL, "S", "S", "S"},
        {NULL, NULL, NULL, "unknown", "Unknown"},
        {"\"name\":\"\",\"shortName\":\"S\"", "", "S", "S", "S"},
        {"\"name\":\"N\",\"shortName\":\"\"", "N", "", "N", "N"},
        {"\"name\":\"\",\"shortName\":\"\"", "", "", "unknown", "Unknown"},
    };
    const char *ids[sizeof(rows) / sizeof(rows[0])];
    const char *t;
    size_t i;

    create_user(v, NULL);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ids[i] = fresh(fmt("d%zu", i));
        create_user(ids[i], rows[i].extra);
    }
    create_group(g, fmt("{\"name\":\"G\",\"members\":%s}",
                        jarray(ids, sizeof(rows) / sizeof(rows[0]))));
    cr_assert_eq(call("POST", fmt("/v1/groups/%s/members", enc(g)),
                      fmt("{\"add\":[%s]}", jstr(v)))
                     ->status,
                 200);
    t = client_token(v);
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct it_response *r = client_get(t, client_user_path(ids[i]));
        const char *want =
            client_user(ids[i], rows[i].name, rows[i].short_name,
                        rows[i].display, rows[i].secondary, NULL, "{}");

        cr_expect(r->status == 200 && strcmp(r->body, want) == 0,
                  "%s: got %ld %s, want %s", rows[i].extra ? rows[i].extra : "",
                  r->status, r->body, want);
    }
    /* the viewer itself has no name */
    expect_body(client_get(t, client_user_path(v)), 200,
                client_user(v, NULL, NULL, "unknown", "Unknown", NULL, "{}"));
}

/* ------------------------------------------------------------ users */

Test(client_reads, users_maps_each_id_to_a_user_or_null)
{
    struct world w = make_world();
    const char *t = client_token(w.v), *missing = fresh("missing");
    const char *q =
        fmt("[%s,%s,%s,%s]", jstr(w.p), jstr(w.o), jstr(missing), jstr(w.v));
    struct it_response *r = client_get(t, client_users_path(q));
    struct json_object *o;

    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    o = body_json(r);
    cr_assert_eq(json_object_object_length(o), 4, "%s", r->body);
    cr_assert_str_eq(json_text(field(o, w.p)), peer_json(&w));
    cr_assert(json_object_is_type(field(o, w.o), json_type_null));
    cr_assert(json_object_is_type(field(o, missing), json_type_null));
    cr_assert_str_eq(json_text(field(o, w.v)), viewer_json(&w));
    expect_body(client_get(t, client_users_path("[]")), 200, "{}");
}

Test(client_reads, users_takes_number_ids)
{
    /* digits only, unique to this run */
    const char *num =
        fmt("%ld%05d", (long)time(NULL), (int)(getpid() % 100000));
    const char *v = fresh("v"), *g = fresh("g");
    struct json_object *o;
    struct it_response *r;

    create_user(v, NULL);
    create_user(num, "\"name\":\"Num\"");
    create_group(g, fmt("{\"name\":\"G\",\"members\":[%s,%s]}", jstr(v), num));
    r = client_get(client_token(v), client_users_path(fmt("[%s]", num)));
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    o = body_json(r);
    cr_assert_eq(json_object_object_length(o), 1, "%s", r->body);
    cr_assert_str_eq(json_text(field(o, num)),
                     client_user(num, "Num", NULL, "Num", "Num", NULL, "{}"));
}

Test(client_reads, users_needs_a_json_array_of_ids)
{
    struct world w = make_world();
    const char *t = client_token(w.v);
    static const char *const queries[] = {
        "",
        "?users=",
        "?other=%5B%5D",
        "?users=notjson",
        "?users=%7B%22a%22%3A1%7D", /* {"a":1} */
        "?users=%22a%22",           /* "a" */
        "?users=1",
        "?users=%5Btrue%5D",          /* [true] */
        "?users=%5Bnull%5D",          /* [null] */
        "?users=%5B%5B%22a%22%5D%5D", /* [["a"]] */
        "?users=%5B%7B%7D%5D",        /* [{}] */
        "?users=%5B%22a%22",          /* ["a" */
    };
    size_t i;

    for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
        expect_row(queries[i],
                   client_get(t, fmt("/v1/client/users%s", queries[i])), 400,
                   "invalid_request", "Invalid request.");
}

/* ------------------------------------------------------------ groupMembers */

/* Assert {"groupMembers":[...],"loading":false,"hasMore":has_more} whose
 * members are exactly want[0..n) (in any order), each as client_json[i]. */
static void
expect_group_members(const struct it_response *r, const char *const *want,
                     const char *const *client_json, size_t n, size_t shown,
                     bool has_more)
{
    struct json_object *o, *list;
    size_t i, j;

    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    o = body_json(r);
    cr_assert_str_eq(keys_of(o), "groupMembers,loading,hasMore");
    cr_assert(json_object_is_type(field(o, "loading"), json_type_boolean) &&
              !json_object_get_boolean(field(o, "loading")));
    cr_assert(json_object_is_type(field(o, "hasMore"), json_type_boolean));
    cr_assert_eq(json_object_get_boolean(field(o, "hasMore")), has_more, "%s",
                 r->body);
    list = field(o, "groupMembers");
    cr_assert_eq(json_object_array_length(list), shown, "%s", r->body);
    for (i = 0; i < shown; i++) {
        struct json_object *u = json_object_array_get_idx(list, i);
        const char *id = str_field(u, "id");

        for (j = 0; j < n && strcmp(want[j], id) != 0; j++)
            ;
        cr_assert(j < n, "%s is not a member", id);
        if (client_json != NULL)
            cr_assert_str_eq(json_text(u), client_json[j]);
        for (j = 0; j < i; j++)
            cr_assert_str_neq(
                str_field(json_object_array_get_idx(list, j), "id"), id);
    }
}

Test(client_reads, group_members_of_the_viewers_group)
{
    struct world w = make_world();
    const char *t = client_token(w.v);
    const char *ids[] = {w.v, w.p};
    const char *js[] = {viewer_json(&w), peer_json(&w)};

    expect_group_members(client_get(t, group_members_path(w.g1)), ids, js, 2, 2,
                         false);
    /* a group the viewer is not in, or no group at all */
    expect_body(client_get(t, group_members_path(w.g2)), 200, NO_MEMBERS);
    expect_body(client_get(t, group_members_path(fresh("nope"))), 200,
                NO_MEMBERS);
    expect_body(client_get(client_token(w.l), group_members_path(w.g1)), 200,
                NO_MEMBERS);
}

Test(client_reads, group_members_shows_ten_and_says_there_are_more)
{
    enum { N = 12 };
    const char *ids[N], *g = fresh("g"), *t;
    size_t i;

    for (i = 0; i < N; i++) {
        ids[i] = fresh(fmt("m%02zu", i));
        create_user(ids[i], NULL);
    }
    create_group(g, fmt("{\"name\":\"G\",\"members\":%s}", jarray(ids, N)));
    t = client_token(ids[0]);
    expect_group_members(client_get(t, group_members_path(g)), ids, NULL, N, 10,
                         true);
    /* ten exactly: no more */
    cr_assert_eq(call("POST", fmt("/v1/groups/%s/members", enc(g)),
                      fmt("{\"remove\":[%s,%s]}", jstr(ids[10]), jstr(ids[11])))
                     ->status,
                 200);
    expect_group_members(client_get(t, group_members_path(g)), ids, NULL, 10,
                         10, false);
}

/* ------------------------------------------------------------ viewer */

Test(client_reads, viewer_answers_cords_viewer_user_data)
{
    struct world w = make_world();
    const char *g3 = fresh("g3");
    struct it_response *r;
    struct json_object *o, *np, *groups;
    size_t i;
    bool seen1 = false, seen3 = false;

    create_group(g3, fmt("{\"name\":\"G3\",\"members\":[%s]}", jstr(w.p)));
    r = client_get(
        client_token_as(main_app(), w.p, fmt("\"group_id\":%s", jstr(w.g1))),
        "/v1/client/viewer");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    o = body_json(r);
    cr_assert_str_eq(keys_of(o),
                     "id,name,shortName,displayName,secondaryDisplayName,"
                     "profilePictureURL,metadata,organizationID,groupID,"
                     "notificationPreferences,isSlackConnected,"
                     "organizationIsSlackConnected,groupIsSlackConnected,"
                     "groups");
    cr_assert_str_eq(str_field(o, "id"), w.p);
    cr_assert_str_eq(str_field(o, "name"), "Pea");
    cr_assert_str_eq(str_field(o, "shortName"), "P");
    cr_assert_str_eq(str_field(o, "displayName"), "P");
    cr_assert_str_eq(str_field(o, "secondaryDisplayName"), "Pea");
    cr_assert_str_eq(str_field(o, "profilePictureURL"),
                     "https://x.example/p.png");
    cr_assert_str_eq(json_text(field(o, "metadata")), "{\"k\":\"v\",\"n\":2}");
    cr_assert_str_eq(str_field(o, "groupID"), w.g1);
    cr_assert_str_eq(str_field(o, "organizationID"), w.g1);
    np = field(o, "notificationPreferences");
    cr_assert_str_eq(keys_of(np), "sendViaEmail,sendViaSlack");
    cr_assert(
        json_object_is_type(field(np, "sendViaEmail"), json_type_boolean));
    cr_assert(
        json_object_is_type(field(np, "sendViaSlack"), json_type_boolean));
    cr_assert(
        json_object_is_type(field(o, "isSlackConnected"), json_type_boolean));
    cr_assert(json_object_is_type(field(o, "organizationIsSlackConnected"),
                                  json_type_boolean));
    cr_assert(json_object_is_type(field(o, "groupIsSlackConnected"),
                                  json_type_boolean));
    /* groups: the viewer's group ids, as strings */
    groups = field(o, "groups");
    cr_assert(json_object_is_type(groups, json_type_array));
    cr_assert_eq(json_object_array_length(groups), 2, "%s", r->body);
    for (i = 0; i < 2; i++) {
        struct json_object *e = json_object_array_get_idx(groups, i);

        cr_assert(json_object_is_type(e, json_type_string), "%s", r->body);
        seen1 |= strcmp(json_object_get_string(e), w.g1) == 0;
        seen3 |= strcmp(json_object_get_string(e), g3) == 0;
    }
    cr_assert(seen1 && seen3, "%s", r->body);
    cr_assert(strstr(r->body, "\"email\"") == NULL &&
                  strstr(r->body, "\"status\"") == NULL,
              "%s", r->body);
}

/* ------------------------------------------------------------ failures */

Test(client_reads, token_failures_stay_403_invalid_session)
{
    struct world w = make_world();
    struct app wrong = {main_app().id, "not the secret"};
    const char *t = client_token_as(wrong, w.v, "");
    const char *paths[] = {client_user_path(w.p),
                           client_users_path(jarray(&w.p, 1)),
                           group_members_path(w.g1)};
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct it_response *r = client_get(t, paths[i]);

        cr_expect(r->status == 403 &&
                      strcmp(r->body, "{\"error\":\"invalid_session - "
                                      "JsonWebTokenError: invalid "
                                      "signature\"}") == 0,
                  "%s: %ld %s", paths[i], r->status, r->body);
        r = client_get(NULL, paths[i]);
        cr_expect_eq(r->status, 403, "%s without a token: %ld %s", paths[i],
                     r->status, r->body);
        /* a server token is not a client token */
        r = client_get(token_of(main_app()), paths[i]);
        cr_expect_eq(r->status, 403, "%s with a server token: %ld %s", paths[i],
                     r->status, r->body);
    }
}

Test(client_reads, apps_are_isolated)
{
    struct app a = main_app(), b = new_app(fresh("iso"));
    struct world w = make_world();
    const char *vb = fresh("vb");

    /* in b, the same ids: a's o shares a group with b's v */
    create_user_as(b, w.v, "\"name\":\"B Vee\"");
    create_user_as(b, w.o, "\"name\":\"B Oh\"");
    create_user_as(b, w.p, "\"name\":\"B Pea\"");
    create_user_as(b, vb, NULL);
    create_group_as(b, w.g1,
                    fmt("{\"name\":\"B\",\"members\":[%s,%s,%s]}", jstr(w.v),
                        jstr(w.o), jstr(w.p)));
    /* a's viewer still sees a's users only */
    expect_body(client_get(client_token_as(a, w.v, ""), client_user_path(w.o)),
                401, NOT_FOUND);
    expect_body(client_get(client_token_as(a, w.v, ""), client_user_path(w.p)),
                200, peer_json(&w));
    /* b's viewer sees b's rows */
    expect_body(client_get(client_token_as(b, w.v, ""), client_user_path(w.o)),
                200,
                client_user(w.o, "B Oh", NULL, "B Oh", "B Oh", NULL, "{}"));
    expect_body(client_get(client_token_as(b, w.v, ""), client_user_path(w.p)),
                200,
                client_user(w.p, "B Pea", NULL, "B Pea", "B Pea", NULL, "{}"));
    /* b's vb is in no group: it sees nothing of a or b */
    expect_body(client_get(client_token_as(b, vb, ""), client_user_path(w.p)),
                401, NOT_FOUND);
    {
        const char *ids[] = {w.v, w.p};
        const char *js[] = {viewer_json(&w), peer_json(&w)};

        expect_group_members(
            client_get(client_token_as(a, w.v, ""), group_members_path(w.g1)),
            ids, js, 2, 2, false);
    }
}
