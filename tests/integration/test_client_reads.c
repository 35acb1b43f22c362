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

#include "api.h"

const char *const api_tag_prefix = "tc";

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