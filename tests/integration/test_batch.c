/* POST /v1/batch: users and groups in one transaction (cord-groups-batch.md;
 * cord-api.md 8, cases 61-65, with cordgate's rules: PUT-like updates of
 * existing users, last wins for a repeated id, ids checked as everywhere,
 * its own body limit CORDGATE_BATCH_MAX_BODY), through nginx to cordgate
 * and PostgreSQL. */
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

const char *const api_tag_prefix = "tb";

/* ------------------------------------------------------------ batch rules */

#define BATCH_REFER   "\nRefer to https://docs.cord.com/rest-apis/batch/"
#define BATCH_INVALID "Invalid BatchAPIVariables:\n"
#define CREATE_ORG    "Invalid CreatePlatformOrganizationVariables:\n"
#define BATCH_MAX     10485760 /* CORDGATE_BATCH_MAX_BODY's default */
#define MAX_BODY      1048576  /* CORDGATE_MAX_BODY's default */

TestSuite(batch, .fini = release_all);

static struct it_response *
batch_as(struct app a, const char *body)
{
    return call_as(a, "POST", "/v1/batch", body);
}

static struct it_response *
batch(const char *body)
{
    return batch_as(main_app(), body);
}

static void
expect_batched(const struct it_response *r, const char *counts)
{
    expect_success(r, 200, fmt("You successfully batch updated %s", counts));
}

static void
expect_group(const char *id, const char *name, const char *status,
             const char *members, const char *metadata)
{
    expect_body(call("GET", group_path(id), NULL), 200,
                fmt("{\"id\":%s,\"name\":%s,\"status\":\"%s\",\"members\":%s,"
                    "\"connectedToSlack\":false,\"metadata\":%s}",
                    jstr(id), jstr(name), status, members, metadata));
}

/* The fields of GET /v1/users/<id> a batch can change, as one line. */
static const char *
user_line_as(struct app a, const char *id)
{
    struct json_object *u = get_user_as(a, id);

    return fmt("name=%s short=%s email=%s status=%s pic=%s metadata=%s",
               json_text(field(u, "name")), json_text(field(u, "shortName")),
               json_text(field(u, "email")), json_text(field(u, "status")),
               json_text(field(u, "profilePictureURL")),
               json_text(field(u, "metadata")));
}

static const char *
user_line(const char *id)
{
    return user_line_as(main_app(), id);
}

/* A body of n users {"id":"<prefix>-<i>"<extra>}. */
static char *
users_body(const char *prefix, size_t n, const char *extra)
{
    char *p = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&p, &len);

    cr_assert(f != NULL);
    fputs("{\"users\":[", f);
    for (i = 0; i < n; i++)
        fprintf(f, "%s{\"id\":\"%s-%zu\"%s}", i ? "," : "", prefix, i,
                extra ? extra : "");
    fputs("]}", f);
    cr_assert_eq(fclose(f), 0);
    return keep(p);
}

/* "{" + spaces + "}" of exactly n bytes: valid JSON, an empty batch. */
static char *
padded_empty(size_t n)
{
    char *p = keep(malloc(n + 1));

    memset(p, ' ', n);
    p[0] = '{';
    p[n - 1] = '}';
    p[n] = '\0';
    return p;
}

/* ------------------------------------------------------------ the tests */

Test(batch, creates_users_and_a_group_case_61)
{
    const char *b1 = fresh("b1"), *b2 = fresh("b2"), *bg = fresh("bg");

    expect_batched(batch(fmt("{\"users\":[{\"id\":%s,\"name\":\"B1\"},{\"id\":"
                             "%s}],\"groups\":[{\"id\":%s,\"name\":\"BG\","
                             "\"members\":[%s,%s]}]}",
                             jstr(b1), jstr(b2), jstr(bg), jstr(b2), jstr(b1))),
                   "2 users and 1 group");
    expect_group(bg, "BG", "active", fmt("[%s,%s]", jstr(b1), jstr(b2)), "{}");
    /* new users are active; batch needs no email */
    cr_assert_str_eq(user_line(b1), "name=\"B1\" short=null email=null "
                                    "status=\"active\" pic=null metadata={}");
    cr_assert_str_eq(user_line(b2), "name=null short=null email=null "
                                    "status=\"active\" pic=null metadata={}");
    cr_assert_str_eq(json_text(field(get_user(b1), "groups")),
                     fmt("[%s]", jstr(bg)));
    cr_assert_str_eq(json_text(field(get_user(b1), "organizations")),
                     fmt("[%s]", jstr(bg)));
}

Test(batch, counts_in_the_message)
{
    const char *g1 = fresh("g1"), *g2 = fresh("g2"), *u = fresh("u");

    expect_batched(batch("{}"), "0 users and 0 groups");
    expect_batched(batch(NULL), "0 users and 0 groups");
    expect_batched(batch("{\"users\":[],\"groups\":[]}"),
                   "0 users and 0 groups");
    expect_batched(batch(fmt("{\"users\":[{\"id\":%s}],\"groups\":[{\"id\":%s,"
                             "\"name\":\"G\"}]}",
                             jstr(u), jstr(g1))),
                   "1 user and 1 group");
    expect_batched(batch(fmt("{\"groups\":[{\"id\":%s},{\"id\":%s,\"name\":"
                             "\"G2\"}]}",
                             jstr(g1), jstr(g2))),
                   "0 users and 2 groups");
    expect_batched(batch(fmt("{\"users\":[{\"id\":%s},{\"id\":%s,\"name\":"
                             "\"U\"}]}",
                             jstr(u), jstr(u))),
                   "2 users and 0 groups");
    expect_group(g1, "G", "active", "[]", "{}");
    expect_group(g2, "G2", "active", "[]", "{}");
}

Test(batch, unexpected_field_and_schema_errors_write_nothing_case_62)
{
    const char *w = fresh("witness"), *wg = fresh("wgroup");
    const char *long_id = repeat("", "x", 129);
    /* every body starts with a valid new user w (users/0) and, where it
     * has groups, a valid new group wg (groups/0) */
    const char *u0 = fmt("{\"id\":%s}", jstr(w));
    const char *g0 = fmt("{\"id\":%s,\"name\":\"W\"}", jstr(wg));
    struct {
        const char *body;
        const char *parts;
    } rows[] = {
        {"{\"foo\":1}", "Input {\"foo\":1} has unexpected field: foo"},
        {fmt("{\"users\":[%s],\"foo\":1}", u0),
         fmt("Input {\"users\":[%s],\"foo\":1} has unexpected field: foo", u0)},
        {fmt("{\"users\":[%s,{\"id\":[5]}]}", u0),
         "Input [5] for users/1/id must be type string or number"},
        {fmt("{\"users\":[%s,{\"name\":\"x\"}]}", u0),
         "Input {\"name\":\"x\"} requires field: id"},
        {fmt("{\"users\":[%s,{\"id\":\"\"}]}", u0),
         "Input \"\" for users/1/id must NOT have fewer than 1 characters"},
        {fmt("{\"users\":[%s,{\"id\":%s}]}", u0, jstr(long_id)),
         fmt("Input %s for users/1/id must NOT have more than 128 characters",
             jstr(long_id))},
        {fmt("{\"users\":[%s,{\"id\":\"a\",\"addGroups\":[\"g\"]}]}", u0),
         "Input {\"id\":\"a\",\"addGroups\":[\"g\"]} has unexpected field: "
         "addGroups"},
        {fmt("{\"users\":[%s,{\"id\":\"a\",\"email\":\"bad\"}]}", u0),
         "Input \"bad\" for users/1/email must match format \"email\""},
        {fmt("{\"users\":[%s,{\"id\":\"a\",\"status\":\"gone\"}]}", u0),
         "Input \"gone\" for users/1/status must be equal to one of the "
         "allowed values: active or deleted"},
        {fmt("{\"users\":[%s,{\"id\":\"a\",\"metadata\":{\"k\":[1]}}]}", u0),
         "Input [1] for users/1/metadata/k must be type string or number or "
         "boolean"},
        /* property order within an item: id is last */
        {fmt("{\"users\":[%s,{\"id\":true,\"email\":2,\"name\":1}]}", u0),
         "Input 1 for users/1/name must be type null or string,\nInput 2 for "
         "users/1/email must be type null or string,\nInput true for "
         "users/1/id must be type string or number"},
        {fmt("{\"users\":[%s,{\"id\":\"a\",\"profile_picture_url\":"
             "\"piglet\"}]}",
             u0),
         "Input \"piglet\" for users/1/profile_picture_url must match format "
         "\"uri\""},
        {"{\"users\":{}}", "Input {} for users must be type array"},
        {fmt("{\"users\":[%s],\"groups\":[%s,{\"id\":\"g\",\"members\":["
             "\"ok\",true]}]}",
             u0, g0),
         "Input true for groups/1/members/1 must be type string or number"},
        {fmt("{\"users\":[%s],\"groups\":[%s,{\"id\":\"g\",\"name\":5}]}", u0,
             g0),
         "Input 5 for groups/1/name must be type string"},
        {fmt("{\"users\":[%s],\"groups\":[%s,{\"name\":\"N\"}]}", u0, g0),
         "Input {\"name\":\"N\"} requires field: id"},
        {fmt("{\"users\":[%s],\"groups\":[%s,{\"id\":\"g\",\"x\":1}]}", u0, g0),
         "Input {\"id\":\"g\",\"x\":1} has unexpected field: x"},
        /* organizations is checked even when groups wins */
        {fmt("{\"users\":[%s],\"groups\":[%s],\"organizations\":[{\"foo\":"
             "1}]}",
             u0, g0),
         "Input {\"foo\":1} requires field: id,\nInput {\"foo\":1} has "
         "unexpected field: foo"},
        {"[]", "Expected JSON object"},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_row(rows[i].body, batch(rows[i].body), 400, "invalid_request",
                   fmt(BATCH_INVALID "%s." BATCH_REFER, rows[i].parts));
    expect_no_user(w);
    expect_no_group(wg);
}

Test(batch, a_missing_member_rolls_back_everything_case_63)
{
    const char *b3 = fresh("b3"), *bg2 = fresh("bg2"), *ex = fresh("ex"),
               *eg = fresh("eg"), *x = fresh("ghost1"), *y = fresh("ghost2"),
               *z = fresh("ghost3");
    const char *before;

    expect(batch(fmt("{\"users\":[{\"id\":%s}],\"groups\":[{\"id\":%s,"
                     "\"name\":\"N\",\"members\":[%s,%s]}]}",
                     jstr(b3), jstr(bg2), jstr(b3), jstr(x))),
           401, "user_not_found", fmt("Platform user %s not found.", x));
    expect_no_user(b3);
    expect_no_group(bg2);

    /* existing rows are not changed either; every missing id is named,
     * once, in the order met */
    create_user(ex, "\"name\":\"Ex\"");
    create_group(eg, fmt("{\"name\":\"Eg\",\"members\":[%s]}", jstr(ex)));
    before = user_line(ex);
    expect(batch(fmt("{\"users\":[{\"id\":%s,\"name\":\"Changed\"},{\"id\":"
                     "%s}],\"groups\":[{\"id\":%s,\"name\":\"N\",\"members\":"
                     "[%s,%s,%s]},{\"id\":%s,\"name\":\"Eg2\",\"members\":[%s,"
                     "%s,%s]}]}",
                     jstr(ex), jstr(b3), jstr(bg2), jstr(b3), jstr(x), jstr(y),
                     jstr(eg), jstr(y), jstr(z), jstr(ex))),
           401, "user_not_found",
           fmt("Platform users %s, %s, and %s not found.", x, y, z));
    expect_no_user(b3);
    expect_no_group(bg2);
    cr_assert_str_eq(user_line(ex), before);
    expect_group(eg, "Eg", "active", fmt("[%s]", jstr(ex)), "{}");
    expect(batch(fmt("{\"groups\":[{\"id\":%s,\"members\":[%s,%s]}]}", jstr(eg),
                     jstr(y), jstr(x))),
           401, "user_not_found",
           fmt("Platform users %s and %s not found.", y, x));
    expect_group(eg, "Eg", "active", fmt("[%s]", jstr(ex)), "{}");
}

Test(batch, a_new_group_needs_a_name_case_64)
{
    const char *g9 = fresh("g9"), *u = fresh("u"), *eg = fresh("eg");

    expect(batch(fmt("{\"groups\":[{\"id\":%s}]}", jstr(g9))), 400,
           "invalid_request",
           fmt(CREATE_ORG "Input {\"id\":%s} requires field: name.", jstr(g9)));
    expect_no_group(g9);
    /* nothing else of the batch is written */
    create_group(eg, "{\"name\":\"Eg\"}");
    expect(batch(fmt("{\"users\":[{\"id\":%s}],\"groups\":[{\"id\":%s,"
                     "\"name\":\"Renamed\"},{\"id\":%s,\"metadata\":{\"a\":"
                     "\"b\"},\"members\":[%s]}]}",
                     jstr(u), jstr(eg), jstr(g9), jstr(u))),
           400, "invalid_request",
           fmt(CREATE_ORG "Input {\"id\":%s,\"metadata\":{\"a\":\"b\"},"
                          "\"members\":[%s]} requires field: name.",
               jstr(g9), jstr(u)));
    expect_no_user(u);
    expect_no_group(g9);
    expect_group(eg, "Eg", "active", "[]", "{}");
    /* the name is checked before the members: a ghost does not matter */
    expect(batch(fmt("{\"groups\":[{\"id\":%s,\"members\":[%s]}]}", jstr(g9),
                     jstr(fresh("ghost")))),
           400, "invalid_request", NULL);
    /* an existing group needs none */
    expect_batched(batch(fmt("{\"groups\":[{\"id\":%s}]}", jstr(eg))),
                   "0 users and 1 group");
    expect_group(eg, "Eg", "active", "[]", "{}");
}

Test(batch, item_limits_case_65, .timeout = 120)
{
    const char *p = fresh("many");
    char *body;
    size_t i, len = 0;
    FILE *f;

    expect(batch(users_body(p, 10001, NULL)), 400, "invalid_request",
           BATCH_INVALID "Input has 10001 items and must NOT have more than "
                         "10000 items." BATCH_REFER);
    expect_no_user(fmt("%s-0", p));
    expect_no_user(fmt("%s-10000", p));

    static const char *const lists[] = {"groups", "organizations"};
    for (size_t k = 0; k < 2; k++) {
        body = NULL;
        f = open_memstream(&body, &len);
        cr_assert(f != NULL);
        fprintf(f, "{\"%s\":[", lists[k]);
        for (i = 0; i < 1001; i++)
            fprintf(f, "%s{\"id\":\"%s-g%zu\",\"name\":\"G\"}", i ? "," : "", p,
                    i);
        fputs("]}", f);
        cr_assert_eq(fclose(f), 0);
        keep(body);
        expect_row(lists[k], batch(body), 400, "invalid_request",
                   BATCH_INVALID "Input has 1001 items and must NOT have more "
                                 "than 1000 items." BATCH_REFER);
        expect_no_group(fmt("%s-g0", p));
    }
}

/* 10 000 users with names long enough to make a body over 2 MiB: above
 * CORDGATE_MAX_BODY, below the batch's own limit. */
Test(batch, ten_thousand_users_in_a_two_mib_body, .timeout = 180)
{
    struct app a = new_app(fresh("big"));
    const char *extra =
        fmt(",\"name\":\"%s\",\"metadata\":{\"n\":1}", repeat("", "n", 180));
    char *body = users_body("big", 10000, extra);
    struct json_object *list;

    cr_assert(strlen(body) > 2 * MAX_BODY && strlen(body) < BATCH_MAX,
              "%zu bytes", strlen(body));
    expect_batched(batch_as(a, body), "10000 users and 0 groups");
    list = body_json(call_as(a, "GET", "/v1/users?limit=1", NULL));
    cr_assert_eq(json_object_get_int(field(field(list, "pagination"), "total")),
                 10000);
    cr_assert_str_eq(user_line_as(a, "big-9999"),
                     fmt("name=%s short=null email=null status=\"active\" "
                         "pic=null metadata={\"n\":1}",
                         jstr(repeat("", "n", 180))));
    /* the same users again are updates, in one batch too */
    expect_batched(
        batch_as(a, users_body("big", 10000, ",\"metadata\":{\"n\":2}")),
        "10000 users and 0 groups");
    cr_assert_str_eq(json_text(field(get_user_as(a, "big-0"), "metadata")),
                     "{\"n\":2}");
}

Test(batch, body_limits_are_the_batchs_own, .timeout = 120)
{
    const char *u = fresh("u");
    const char *two_mib =
        fmt("{\"name\":\"%s\"}", repeat("", "n", 2 * MAX_BODY));

    /* every other route keeps CORDGATE_MAX_BODY */
    expect(call("PUT", user_path(u), two_mib), 413, "payload_too_large", NULL);
    expect_no_user(u);
    /* the batch takes up to 10 MiB, no more (nginx here allows 16 MiB) */
    expect_batched(batch(padded_empty(BATCH_MAX)), "0 users and 0 groups");
    expect(batch(padded_empty(BATCH_MAX + 1)), 413, "payload_too_large", NULL);
    expect(batch(padded_empty(BATCH_MAX + 4096)), 413, "payload_too_large",
           NULL);
}

Test(batch, existing_users_change_only_given_fields)
{
    const char *u = fresh("u");
    const char *email = fmt("u-%s@example.com", tag());

    create_user(u, "\"name\":\"N\",\"shortName\":\"S\",\"profilePictureURL\":"
                   "\"https://x.example/p.png\",\"metadata\":{\"a\":\"1\"}");
    cr_assert_str_eq(user_line(u),
                     fmt("name=\"N\" short=\"S\" email=%s status=\"active\" "
                         "pic=\"https://x.example/p.png\" "
                         "metadata={\"a\":\"1\"}",
                         jstr(email)));
    expect_batched(
        batch(fmt("{\"users\":[{\"id\":%s,\"name\":\"N2\"}]}", jstr(u))),
        "1 user and 0 groups");
    cr_assert_str_eq(user_line(u),
                     fmt("name=\"N2\" short=\"S\" email=%s status=\"active\" "
                         "pic=\"https://x.example/p.png\" "
                         "metadata={\"a\":\"1\"}",
                         jstr(email)));
    /* null and "" email leave fields as they are, as on PUT */
    expect_batched(batch(fmt("{\"users\":[{\"id\":%s,\"name\":null,\"email\":"
                             "null,\"shortName\":null,\"short_name\":null,"
                             "\"profilePictureURL\":null}]}",
                             jstr(u))),
                   "1 user and 0 groups");
    expect_batched(
        batch(fmt("{\"users\":[{\"id\":%s,\"email\":\"\"}]}", jstr(u))),
        "1 user and 0 groups");
    cr_assert_str_eq(user_line(u),
                     fmt("name=\"N2\" short=\"S\" email=%s status=\"active\" "
                         "pic=\"https://x.example/p.png\" "
                         "metadata={\"a\":\"1\"}",
                         jstr(email)));
    expect_batched(batch(fmt("{\"users\":[{\"id\":%s,\"shortName\":\"S2\","
                             "\"email\":\"new@example.com\",\"status\":"
                             "\"deleted\",\"metadata\":{\"b\":true},"
                             "\"profile_picture_url\":\"https://x.example/"
                             "q.png\"}]}",
                             jstr(u))),
                   "1 user and 0 groups");
    cr_assert_str_eq(user_line(u),
                     "name=\"N2\" short=\"S2\" email=\"new@example.com\" "
                     "status=\"deleted\" pic=\"https://x.example/q.png\" "
                     "metadata={\"b\":true}");
    expect_batched(
        batch(fmt("{\"users\":[{\"id\":%s,\"status\":\"active\"}]}", jstr(u))),
        "1 user and 0 groups");
    cr_assert_str_eq(json_text(field(get_user(u), "status")), "\"active\"");
}

Test(batch, new_users_take_the_given_fields)
{
    const char *a = fresh("a"), *b = fresh("b");

    expect_batched(
        batch(fmt("{\"users\":[{\"id\":%s,\"name\":\"A\",\"short_name\":\"a\","
                  "\"email\":\"a@example.com\",\"profile_picture_url\":"
                  "\"https://x.example/a.png\",\"metadata\":{\"k\":3},"
                  "\"first_name\":\"F\",\"last_name\":\"L\"},{\"id\":%s,"
                  "\"status\":\"deleted\"}]}",
                  jstr(a), jstr(b))),
        "2 users and 0 groups");
    cr_assert_str_eq(user_line(a),
                     "name=\"A\" short=\"a\" email=\"a@example.com\" "
                     "status=\"active\" pic=\"https://x.example/a.png\" "
                     "metadata={\"k\":3}");
    cr_assert_str_eq(user_line(b), "name=null short=null email=null "
                                   "status=\"deleted\" pic=null metadata={}");
}

Test(batch, existing_groups_change_only_given_fields)
{
    const char *g = fresh("g"), *u = fresh("u"), *v = fresh("v");
    const char *m = fmt("[%s]", jstr(u));

    create_user(u, NULL);
    create_user(v, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"status\":\"deleted\",\"metadata\":"
                        "{\"a\":\"1\"},\"members\":%s}",
                        m));
    /* no status: it stays deleted; no members: they stay */
    expect_batched(
        batch(fmt("{\"groups\":[{\"id\":%s,\"name\":\"N2\"}]}", jstr(g))),
        "0 users and 1 group");
    expect_group(g, "N2", "deleted", m, "{\"a\":\"1\"}");
    expect_batched(batch(fmt("{\"groups\":[{\"id\":%s,\"metadata\":{\"b\":2},"
                             "\"status\":\"active\"}]}",
                             jstr(g))),
                   "0 users and 1 group");
    expect_group(g, "N2", "active", m, "{\"b\":2}");
    expect_batched(batch(fmt("{\"groups\":[{\"id\":%s,\"members\":[%s,%s,%s]}"
                             "]}",
                             jstr(g), jstr(v), jstr(v), jstr(u))),
                   "0 users and 1 group");
    expect_group(g, "N2", "active", fmt("[%s,%s]", jstr(u), jstr(v)),
                 "{\"b\":2}");
    expect_batched(
        batch(fmt("{\"groups\":[{\"id\":%s,\"members\":[]}]}", jstr(g))),
        "0 users and 1 group");
    expect_group(g, "N2", "active", "[]", "{\"b\":2}");
}

Test(batch, members_are_replaced_by_the_distinct_set_new_users_included)
{
    const char *g = fresh("g"), *old = fresh("old"), *keep_ = fresh("keep"),
               *n1 = fresh("n1"), *n2 = fresh("n2");

    create_user(old, NULL);
    create_user(keep_, NULL);
    create_group(
        g, fmt("{\"name\":\"N\",\"members\":[%s,%s]}", jstr(old), jstr(keep_)));
    expect_batched(batch(fmt("{\"users\":[{\"id\":%s},{\"id\":%s}],"
                             "\"groups\":[{\"id\":%s,\"members\":[%s,%s,%s,"
                             "%s]}]}",
                             jstr(n1), jstr(n2), jstr(g), jstr(n2), jstr(n1),
                             jstr(keep_), jstr(n2))),
                   "2 users and 1 group");
    expect_group(g, "N", "active",
                 fmt("[%s,%s,%s]", jstr(keep_), jstr(n1), jstr(n2)), "{}");
    cr_assert_str_eq(json_text(field(get_user(old), "groups")), "[]");
}

Test(batch, a_repeated_id_takes_its_last_item)
{
    const char *u = fresh("u"), *g = fresh("g"), *v = fresh("v");

    expect_batched(batch(fmt("{\"users\":[{\"id\":%s,\"name\":\"First\"},"
                             "{\"id\":%s},{\"id\":%s,\"name\":\"Last\"}],"
                             "\"groups\":[{\"id\":%s,\"name\":\"G1\","
                             "\"members\":[%s]},{\"id\":%s,\"name\":\"G2\","
                             "\"members\":[%s]}]}",
                             jstr(u), jstr(v), jstr(u), jstr(g), jstr(u),
                             jstr(g), jstr(v))),
                   "3 users and 2 groups");
    cr_assert_str_eq(json_text(field(get_user(u), "name")), "\"Last\"");
    expect_group(g, "G2", "active", fmt("[%s]", jstr(v)), "{}");
}

Test(batch, groups_wins_over_organizations)
{
    const char *g1 = fresh("g1"), *g2 = fresh("g2"), *g3 = fresh("g3");

    expect_batched(batch(fmt("{\"groups\":[{\"id\":%s,\"name\":\"One\"}],"
                             "\"organizations\":[{\"id\":%s,\"name\":"
                             "\"Two\"},{\"id\":%s,\"name\":\"Three\"}]}",
                             jstr(g1), jstr(g2), jstr(g3))),
                   "0 users and 1 group");
    expect_group(g1, "One", "active", "[]", "{}");
    expect_no_group(g2);
    expect_no_group(g3);
    /* organizations alone is used */
    expect_batched(batch(fmt("{\"organizations\":[{\"id\":%s,\"name\":"
                             "\"Two\"},{\"id\":%s,\"name\":\"Three\"}]}",
                             jstr(g2), jstr(g3))),
                   "0 users and 2 groups");
    expect_group(g2, "Two", "active", "[]", "{}");
    expect_group(g3, "Three", "active", "[]", "{}");
}

Test(batch, ids_are_checked_as_everywhere)
{
    const char *w = fresh("witness"), *wg = fresh("wgroup");
    const char *u0 = fmt("{\"id\":%s}", jstr(w));
    const char *g0 = fmt("{\"id\":%s,\"name\":\"W\"}", jstr(wg));
    struct {
        const char *what;
        const char *body;
    } rows[] = {
        {"cord: user", fmt("{\"users\":[%s,{\"id\":%s}]}", u0,
                           jstr(fmt("cord:%s", fresh("x"))))},
        {"tab in a user id", fmt("{\"users\":[%s,{\"id\":\"a\\tb\"}]}", u0)},
        {"Cf in a user id", fmt("{\"users\":[%s,{\"id\":\"a\\u200bb\"}]}", u0)},
        {"cord: group", fmt("{\"users\":[%s],\"groups\":[%s,{\"id\":%s,"
                            "\"name\":\"N\"}]}",
                            u0, g0, jstr(fmt("cord:%s", fresh("y"))))},
        {"newline in a group id",
         fmt("{\"users\":[%s],\"groups\":[%s,{\"id\":\"g\\nh\",\"name\":"
             "\"N\"}]}",
             u0, g0)},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_row(rows[i].what, batch(rows[i].body), 400, "invalid_field",
                   NULL);
    expect_no_user(w);
    expect_no_group(wg);
}

Test(batch, apps_are_isolated)
{
    struct app a = main_app(), b = new_app(fresh("iso"));
    const char *g = fresh("g"), *u = fresh("u"), *only_a = fresh("onlya");

    create_user_as(a, u, "\"name\":\"A's\"");
    create_user_as(a, only_a, NULL);
    create_group_as(
        a, g,
        fmt("{\"name\":\"A\",\"members\":[%s,%s]}", jstr(u), jstr(only_a)));
    /* b writes the same ids: new rows in b */
    expect_batched(batch_as(b, fmt("{\"users\":[{\"id\":%s,\"name\":\"B's\"}],"
                                   "\"groups\":[{\"id\":%s,\"name\":\"B\","
                                   "\"members\":[%s]}]}",
                                   jstr(u), jstr(g), jstr(u))),
                   "1 user and 1 group");
    cr_assert_str_eq(json_text(field(get_user_as(a, u), "name")), "\"A's\"");
    cr_assert_str_eq(json_text(field(get_user_as(b, u), "name")), "\"B's\"");
    expect_group(g, "A", "active", fmt("[%s,%s]", jstr(only_a), jstr(u)), "{}");
    cr_assert_str_eq(members_of_as(b, g), fmt("[%s]", jstr(u)));
    /* a's users are not b's */
    expect(batch_as(b, fmt("{\"groups\":[{\"id\":%s,\"members\":[%s]}]}",
                           jstr(g), jstr(only_a))),
           401, "user_not_found", fmt("Platform user %s not found.", only_a));
    expect_no_user_as(b, only_a);
    cr_assert_str_eq(members_of_as(b, g), fmt("[%s]", jstr(u)));
    expect_group(g, "A", "active", fmt("[%s,%s]", jstr(only_a), jstr(u)), "{}");
}

Test(batch, needs_a_server_token)
{
    const char *u = fresh("u");
    const char *body = fmt("{\"users\":[{\"id\":%s}]}", jstr(u));

    expect(send_len(NULL, "POST", "/v1/batch", body, strlen(body)), 401,
           "missing_authorization_header",
           "Authorization header bearer token must be present.");
    expect_no_user(u);
}