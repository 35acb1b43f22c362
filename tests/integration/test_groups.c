/* Groups and their members: PUT|GET|DELETE /v1/groups/<ID>, GET /v1/groups,
 * GET|POST /v1/groups/<ID>/members and the /v1/organizations aliases
 * (cord-groups-batch.md; cord-api.md 7, cases 50-60, with cordgate's own
 * rules: de-duplicated members, a PUT without status keeps the status, the
 * members body checked before the group lookup), through nginx to cordgate
 * and PostgreSQL. */
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

#include "api.h"

const char *const api_tag_prefix = "tg";

/* ------------------------------------------------------------ reads */

static struct json_object *
get_group(const char *id)
{
    return get_group_as(main_app(), id);
}

static const char *
members_of(const char *id)
{
    return members_of_as(main_app(), id);
}

/* ------------------------------------------------------------ group rules */

#define GROUPS_REFER   "\nRefer to https://docs.cord.com/rest-apis/groups/"
#define UPDATE_GROUP   "Invalid UpdatePlatformGroupVariables:\n"
#define UPDATE_MEMBERS "Invalid UpdatePlatformGroupMembersVariables:\n"
#define CREATE_ORG     "Invalid CreatePlatformOrganizationVariables:\n"
#define BAD_ORG_ID     "Input type for orgID is not valid, expected identifier."
#define BAD_ID         "Input type for id is not valid, expected identifier."
#define NEEDS_NAME                                                             \
    UPDATE_GROUP "Group does not exist, \"name\" is a required field to "      \
                 "create a new group."

TestSuite(groups, .fini = release_all);
TestSuite(members, .fini = release_all);
TestSuite(organizations, .fini = release_all);

/* What GET /v1/groups/<id> answers, byte for byte. */
static const char *
group_body(const char *id, const char *name, const char *status,
           const char *members, const char *metadata)
{
    return fmt("{\"id\":%s,\"name\":%s,\"status\":\"%s\",\"members\":%s,"
               "\"connectedToSlack\":false,\"metadata\":%s}",
               jstr(id), jstr(name), status, members, metadata);
}

static void
expect_group(const char *id, const char *name, const char *status,
             const char *members, const char *metadata)
{
    expect_body(call("GET", group_path(id), NULL), 200,
                group_body(id, name, status, members, metadata));
}

/* The user's "groups" and "organizations" from GET /v1/users/<id>. */
static void
expect_user_groups(const char *user, const char *groups)
{
    struct json_object *u = get_user(user);

    cr_assert_str_eq(json_text(field(u, "groups")), groups, "groups of %s",
                     user);
    cr_assert_str_eq(json_text(field(u, "organizations")), groups,
                     "organizations of %s", user);
}

static const char *
user_missing_long(const char *id)
{
    return fmt("Platform user %s not found. If you wanted to create a new "
               "user, add user_details to your request. Refer to "
               "https://docs.cord.com/reference/authentication#JSON-user-"
               "details for details.",
               id);
}

static const char *
group_missing_long(const char *id)
{
    return fmt("Platform group %s not found. If you wanted to create a new "
               "group, add group_details to your request. Refer to "
               "https://docs.cord.com/reference/authentication#JSON-group-"
               "details for details.",
               id);
}

static const char *
members_path(const char *id)
{
    return fmt("/v1/groups/%s/members", enc(id));
}

static long
count_sql(const char *sql)
{
    char *v = it_sql_value(sql);
    long n;

    cr_assert(v != NULL, "%s", sql);
    n = atol(v);
    free(v);
    return n;
}

/* ------------------------------------------------------------ PUT, GET */

Test(groups, put_creates_and_get_shows_it_case_51)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");
    struct json_object *o;

    create_user(a, NULL);
    create_user(b, NULL);
    /* b before a and twice: members are de-duplicated and listed sorted. */
    create_group(g, fmt("{\"name\":\"Planet Express\",\"metadata\":{\"a\":"
                        "\"x\",\"b\":2,\"c\":true},\"members\":[%s,%s,%s]}",
                        jstr(b), jstr(a), jstr(b)));
    expect_group(g, "Planet Express", "active",
                 fmt("[%s,%s]", jstr(a), jstr(b)),
                 "{\"a\":\"x\",\"b\":2,\"c\":true}");
    expect_user_groups(a, fmt("[%s]", jstr(g)));
    expect_user_groups(b, fmt("[%s]", jstr(g)));
    o = get_group(g);
    cr_assert_str_eq(keys_of(o), "id,name,status,members,connectedToSlack,"
                                 "metadata");

    /* The same PUT again is an update. */
    expect_success(
        call("PUT", group_path(g),
             fmt("{\"name\":\"Planet Express\",\"members\":[%s]}", jstr(a))),
        200, fmt("You successfully updated group %s", g));
    expect_group(g, "Planet Express", "active", fmt("[%s]", jstr(a)),
                 "{\"a\":\"x\",\"b\":2,\"c\":true}");
    expect_user_groups(b, "[]");
}

Test(groups, a_new_group_needs_a_name_case_50)
{
    const char *u = fresh("u"), *g = fresh("g");
    static const char *const bodies[] = {
        "{\"members\":[%s]}",
        "{\"name\":\"\",\"members\":[%s]}",
        "{\"metadata\":{\"a\":\"b\"},\"status\":\"active\",\"members\":[%s]}",
    };
    size_t i;

    create_user(u, NULL);
    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        expect_row(bodies[i],
                   call("PUT", group_path(g), fmt(bodies[i], jstr(u))), 400,
                   "missing_field", NEEDS_NAME);
    expect(call("PUT", group_path(g), "{}"), 400, "missing_field", NEEDS_NAME);
    expect(call("PUT", group_path(g), NULL), 400, "missing_field", NEEDS_NAME);
    expect_no_group(g);
    expect_user_groups(u, "[]");
}

Test(groups, put_on_an_existing_group_changes_only_what_it_names)
{
    const char *u = fresh("u"), *g = fresh("g");
    const char *m = fmt("[%s]", jstr(u));

    create_user(u, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"metadata\":{\"a\":\"1\"},"
                        "\"members\":%s}",
                        m));
    expect_success(call("PUT", group_path(g), "{\"name\":\"N2\"}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "N2", "active", m, "{\"a\":\"1\"}");
    /* metadata is replaced, not merged */
    expect_success(call("PUT", group_path(g), "{\"metadata\":{\"b\":false}}"),
                   200, fmt("You successfully updated group %s", g));
    expect_group(g, "N2", "active", m, "{\"b\":false}");
    expect_success(call("PUT", group_path(g), "{}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "N2", "active", m, "{\"b\":false}");
    /* name "" is written on an existing group (cord-groups-batch.md) */
    expect_success(call("PUT", group_path(g), "{\"name\":\"\"}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "", "active", m, "{\"b\":false}");
    /* members: [] empties the group */
    expect_success(call("PUT", group_path(g), "{\"members\":[]}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "", "active", "[]", "{\"b\":false}");
    expect_user_groups(u, "[]");
}

Test(groups, status_deleted_is_kept_until_a_status_is_given)
{
    const char *u = fresh("u"), *g = fresh("g");
    const char *m = fmt("[%s]", jstr(u));

    create_user(u, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"status\":\"deleted\",\"members\":"
                        "%s}",
                        m));
    expect_group(g, "N", "deleted", m, "{}");
    /* a user's groups are its active groups only */
    expect_user_groups(u, "[]");
    /* a PUT without status does not reactivate (unlike Cord) */
    expect_success(call("PUT", group_path(g), "{\"name\":\"M\"}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "M", "deleted", m, "{}");
    expect_success(call("PUT", group_path(g), "{\"status\":\"active\"}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "M", "active", m, "{}");
    expect_user_groups(u, fmt("[%s]", jstr(g)));
    expect_success(call("PUT", group_path(g), "{\"status\":\"deleted\"}"), 200,
                   fmt("You successfully updated group %s", g));
    expect_group(g, "M", "deleted", m, "{}");
    expect_user_groups(u, "[]");
}

Test(groups, unknown_members_write_nothing_case_52)
{
    const char *u = fresh("u"), *g = fresh("g"), *old = fresh("old");
    const char *x = fresh("ghost1"), *y = fresh("ghost2"), *z = fresh("ghost3");
    struct {
        const char *members;
        const char *message;
    } rows[] = {
        {fmt("[%s]", jstr(x)), fmt("Platform user %s not found.", x)},
        {fmt("[%s,%s]", jstr(x), jstr(y)),
         fmt("Platform users %s and %s not found.", x, y)},
        /* in the order given, known users left out, de-duplicated */
        {fmt("[%s,%s,%s,%s,%s,%s]", jstr(z), jstr(u), jstr(x), jstr(z), jstr(y),
             jstr(x)),
         fmt("Platform users %s, %s, and %s not found.", z, x, y)},
    };
    size_t i;

    create_user(u, NULL);
    create_group(old, fmt("{\"name\":\"Old\",\"metadata\":{\"k\":\"v\"},"
                          "\"members\":[%s]}",
                          jstr(u)));
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        /* a new group is not created */
        expect_row(
            rows[i].members,
            call("PUT", group_path(g),
                 fmt("{\"name\":\"X\",\"members\":%s}", rows[i].members)),
            401, "user_not_found", rows[i].message);
        expect_no_group(g);
        /* an existing group keeps its name, metadata and members */
        expect_row(rows[i].members,
                   call("PUT", group_path(old),
                        fmt("{\"name\":\"Changed\",\"metadata\":{},"
                            "\"status\":\"deleted\",\"members\":%s}",
                            rows[i].members)),
                   401, "user_not_found", rows[i].message);
        expect_group(old, "Old", "active", fmt("[%s]", jstr(u)),
                     "{\"k\":\"v\"}");
    }
    expect_user_groups(u, fmt("[%s]", jstr(old)));
    expect_no_user(x);
}

Test(groups, put_schema_errors_case_53)
{
    const char *g = fresh("g"), *n = fresh("new");
    const char *long_id = repeat("", "a", 129);
    struct {
        const char *body;
        const char *parts;
    } rows[] = {
        {"{\"name\":123}", "Input 123 for name must be type string"},
        {"{\"name\":null}", "Input null for name must be type string"},
        {"{\"foo\":1}", "Input {\"foo\":1} has unexpected field: foo"},
        {"{\"id\":\"x\",\"name\":\"N\"}",
         "Input {\"id\":\"x\",\"name\":\"N\"} has unexpected field: id"},
        {"{\"status\":\"gone\"}", "Input \"gone\" for status must be equal to "
                                  "one of the allowed values: active or "
                                  "deleted"},
        {"{\"status\":3}", "Input 3 for status must be type string,\nInput 3 "
                           "for status must be equal to one of the allowed "
                           "values: active or deleted"},
        {"{\"metadata\":{\"a\":{\"b\":1}}}",
         "Input {\"b\":1} for metadata/a must be type string or number or "
         "boolean"},
        {"{\"metadata\":{\"a\":null}}",
         "Input null for metadata/a must be type string or number or "
         "boolean"},
        {"{\"metadata\":[]}", "Input [] for metadata must be type object"},
        {"{\"members\":\"u\"}", "Input \"u\" for members must be type array"},
        {"{\"members\":[\"ok\",true]}",
         "Input true for members/1 must be type string or number"},
        {"{\"members\":[\"\"]}",
         "Input \"\" for members/0 must NOT have fewer than 1 characters"},
        {fmt("{\"members\":[%s]}", jstr(long_id)),
         fmt("Input %s for members/0 must NOT have more than 128 characters",
             jstr(long_id))},
        /* schema property order, then unexpected fields in input order */
        {"{\"zz\":0,\"members\":[null],\"status\":\"x\",\"name\":false,"
         "\"aa\":0}",
         "Input false for name must be type string,\nInput \"x\" for status "
         "must be equal to one of the allowed values: active or deleted,\n"
         "Input null for members/0 must be type string or number,\nInput "
         "{\"zz\":0,\"members\":[null],\"status\":\"x\",\"name\":false,\"aa\":"
         "0} has unexpected fields: zz and aa"},
    };
    size_t i;

    create_group(g, "{\"name\":\"Kept\",\"metadata\":{\"k\":\"v\"}}");
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *want = fmt(UPDATE_GROUP "%s." GROUPS_REFER, rows[i].parts);

        expect_row(rows[i].body, call("PUT", group_path(g), rows[i].body), 400,
                   "invalid_request", want);
        /* the schema is checked before the lookup: a new id gets the same */
        expect_row(rows[i].body, call("PUT", group_path(n), rows[i].body), 400,
                   "invalid_request", want);
    }
    expect(call("PUT", group_path(g), "[]"), 400, "invalid_request",
           UPDATE_GROUP "Expected JSON object." GROUPS_REFER);
    expect_group(g, "Kept", "active", "[]", "{\"k\":\"v\"}");
    expect_no_group(n);
}

Test(groups, put_and_delete_check_the_path_id)
{
    const char *ok = fmt("%s%s", fresh("p"), repeat("", "a", 290));
    struct {
        const char *what;
        const char *path_id; /* already percent-encoded */
    } rows[] = {
        {"cord: prefix", fmt("cord%%3A%s", fresh("x"))},
        {"a tab", fmt("%s%%09x", fresh("x"))},
        {"a newline", fmt("%s%%0Ax", fresh("x"))},
        {"a zero-width space (Cf)", fmt("%s%%E2%%80%%8Bx", fresh("x"))},
        {"321 code points", repeat("", "%C3%A9", 321)},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *p = fmt("/v1/groups/%s", rows[i].path_id);

        /* the path id is checked before the body */
        expect_row(rows[i].what, call("PUT", p, "{\"name\":123}"), 400,
                   "invalid_field", BAD_ORG_ID);
        expect_row(rows[i].what, call("PUT", p, "{\"name\":\"N\"}"), 400,
                   "invalid_field", BAD_ORG_ID);
        expect_row(rows[i].what, call("DELETE", p, NULL), 400, "invalid_field",
                   BAD_ORG_ID);
        expect_row(rows[i].what, call("GET", p, NULL), 400, "invalid_request",
                   "Invalid request.");
        expect_row(rows[i].what, call("GET", fmt("%s/members", p), NULL), 400,
                   "invalid_request", "Invalid request.");
    }
    /* 320 code points are an id in a path (not in a body: 128 there) */
    cr_assert_eq(strlen(repeat("", "\xc3\xa9", 320)), 640);
    {
        const char *e320 = repeat("", "\xc3\xa9", 320);

        create_group(e320, "{\"name\":\"Long\"}");
        expect_group(e320, "Long", "active", "[]", "{}");
        expect_success(call("DELETE", group_path(e320), NULL), 200,
                       fmt("You successfully deleted group %s", e320));
    }
    create_group(ok, "{\"name\":\"Long\"}");
    expect_group(ok, "Long", "active", "[]", "{}");
    /* of the ids with this run's tag, only the good one was written */
    cr_assert_eq(count_sql(fmt("SELECT count(*) FROM groups WHERE id LIKE "
                               "'%%%s%%'",
                               tag())),
                 1);
}

Test(groups, get_of_a_missing_or_invalid_id)
{
    const char *g = fresh("nope");

    expect(call("GET", group_path(g), NULL), 404, "group_not_found",
           "Platform group not found.");
    expect(call("GET", members_path(g), NULL), 404, "group_not_found",
           "Platform group not found.");
    expect(call("GET", "/v1/groups/cord%3Ax", NULL), 400, "invalid_request",
           "Invalid request.");
    expect(call("GET", "/v1/groups/cord%3Ax/members", NULL), 400,
           "invalid_request", "Invalid request.");
}

Test(groups, get_lists_deleted_users_among_the_members)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");

    create_user(a, "\"status\":\"deleted\"");
    create_user(b, NULL);
    create_group(g,
                 fmt("{\"name\":\"N\",\"members\":[%s,%s]}", jstr(b), jstr(a)));
    expect_group(g, "N", "active", fmt("[%s,%s]", jstr(a), jstr(b)), "{}");
}

Test(groups, members_are_listed_in_byte_order)
{
    /* "B" < "a" < "z" < "é" byte for byte, whatever the locale says */
    const char *t = tag();
    const char *ids[] = {fmt("%s-\xc3\xa9", t), fmt("%s-z", t), fmt("%s-a", t),
                         fmt("%s-B", t)};
    const char *g = fresh("g");
    size_t i;

    for (i = 0; i < 4; i++)
        create_user(ids[i], NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":%s}", jarray(ids, 4)));
    expect_group(g, "N", "active",
                 fmt("[%s,%s,%s,%s]", jstr(ids[3]), jstr(ids[2]), jstr(ids[1]),
                     jstr(ids[0])),
                 "{}");
}

Test(groups, number_member_ids_are_their_text)
{
    struct app a = new_app(fresh("numbers"));
    const char *g = "g";

    create_user_as(a, "103", NULL);
    create_user_as(a, "7", NULL);
    create_group_as(a, g, "{\"name\":\"N\",\"members\":[103,\"7\",7]}");
    cr_assert_str_eq(members_of_as(a, g), "[\"103\",\"7\"]");
    expect(call_as(a, "POST", members_path(g),
                   "{\"add\":[103],\"remove\":[\"103\"]}"),
           400, "invalid_field", "Platform member 103 both added and removed.");
    expect_success(call_as(a, "POST", members_path(g), "{\"remove\":[7]}"), 200,
                   "You successfully updated group members");
    cr_assert_str_eq(members_of_as(a, g), "[\"103\"]");
}

/* ------------------------------------------------------------ list */

Test(groups, list_is_a_bare_array_sorted_by_id_case_60)
{
    struct app a = new_app(fresh("list"));
    const char *u = "u";

    expect_body(call_as(a, "GET", "/v1/groups", NULL), 200, "[]");
    create_user_as(a, u, NULL);
    create_group_as(a, "b", "{\"name\":\"Bee\",\"members\":[\"u\"]}");
    create_group_as(a, "\xc3\xa9t\xc3\xa9", "{\"name\":\"Summer\"}");
    create_group_as(a, "a", "{\"name\":\"Ay\",\"metadata\":{\"n\":1.5}}");
    create_group_as(a, "Z", "{\"name\":\"Zed\",\"status\":\"deleted\"}");
    expect_body(call_as(a, "GET", "/v1/groups", NULL), 200,
                "[{\"id\":\"Z\",\"name\":\"Zed\",\"status\":\"deleted\","
                "\"connectedToSlack\":false,\"metadata\":{}},"
                "{\"id\":\"a\",\"name\":\"Ay\",\"status\":\"active\","
                "\"connectedToSlack\":false,\"metadata\":{\"n\":1.5}},"
                "{\"id\":\"b\",\"name\":\"Bee\",\"status\":\"active\","
                "\"connectedToSlack\":false,\"metadata\":{}},"
                "{\"id\":\"\xc3\xa9t\xc3\xa9\",\"name\":\"Summer\","
                "\"status\":\"active\",\"connectedToSlack\":false,"
                "\"metadata\":{}}]");
    /* the alias lists the same */
    expect_body(call_as(a, "GET", "/v1/organizations", NULL), 200,
                call_as(a, "GET", "/v1/groups", NULL)->body);
}

/* ------------------------------------------------------------ DELETE */

Test(groups, delete_removes_the_group_and_its_memberships_case_59)
{
    const char *u = fresh("u"), *g = fresh("g"), *other = fresh("other");

    expect(call("DELETE", group_path(fresh("nope")), NULL), 401,
           "group_not_found", "Platform group not found.");
    create_user(u, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s]}", jstr(u)));
    create_group(other, fmt("{\"name\":\"O\",\"members\":[%s]}", jstr(u)));
    /* any body is ignored */
    expect_success(call("DELETE", group_path(g), "{\"x\":1}"), 200,
                   fmt("You successfully deleted group %s", g));
    expect_no_group(g);
    expect_user_groups(u, fmt("[%s]", jstr(other)));
    cr_assert_eq(count_sql(fmt("SELECT count(*) FROM group_members WHERE "
                               "group_id = '%s'",
                               g)),
                 0);
    expect(call("DELETE", group_path(g), NULL), 401, "group_not_found",
           "Platform group not found.");
    /* the user and the other group are untouched */
    expect_group(other, "O", "active", fmt("[%s]", jstr(u)), "{}");
    /* deleting a deleted-status group works too */
    expect_success(call("PUT", group_path(other), "{\"status\":\"deleted\"}"),
                   200, fmt("You successfully updated group %s", other));
    expect_success(call("DELETE", group_path(other), NULL), 200,
                   fmt("You successfully deleted group %s", other));
    expect_no_group(other);
}

Test(groups, deleting_a_user_removes_its_memberships)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");
    struct it_response *r;

    create_user(a, NULL);
    create_user(b, NULL);
    create_group(g,
                 fmt("{\"name\":\"N\",\"members\":[%s,%s]}", jstr(a), jstr(b)));
    r = call("DELETE", user_path(a), "{\"permanently_delete\":true}");
    cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
    expect_group(g, "N", "active", fmt("[%s]", jstr(b)), "{}");
    {
        struct json_object *page =
            body_json(call("GET", members_path(g), NULL));
        struct json_object *users = field(page, "users");

        cr_assert_eq(json_object_array_length(users), 1);
        cr_assert_str_eq(str_field(json_object_array_get_idx(users, 0), "id"),
                         b);
        cr_assert_eq(
            json_object_get_int(field(field(page, "pagination"), "total")), 1);
    }
}

/* ------------------------------------------------------------ POST members */

static void
expect_members_updated(const struct it_response *r)
{
    expect_success(r, 200, "You successfully updated group members");
}

Test(members, add_and_remove_case_57)
{
    const char *a = fresh("a"), *b = fresh("b"), *c = fresh("c"),
               *d = fresh("d"), *g = fresh("g");

    create_user(a, NULL);
    create_user(b, NULL);
    create_user(c, NULL);
    create_user(d, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s]}", jstr(a)));
    expect_members_updated(call("POST", members_path(g),
                                fmt("{\"add\":[%s,%s,%s],\"remove\":[%s]}",
                                    jstr(c), jstr(b), jstr(c), jstr(a))));
    cr_assert_str_eq(members_of(g), fmt("[%s,%s]", jstr(b), jstr(c)));
    expect_user_groups(a, "[]");
    expect_user_groups(b, fmt("[%s]", jstr(g)));
    /* adding a member again, removing a non-member: no-ops */
    expect_members_updated(
        call("POST", members_path(g),
             fmt("{\"add\":[%s],\"remove\":[%s]}", jstr(b), jstr(d))));
    cr_assert_str_eq(members_of(g), fmt("[%s,%s]", jstr(b), jstr(c)));
    /* {}, empty lists and no body at all change nothing */
    expect_members_updated(call("POST", members_path(g), "{}"));
    expect_members_updated(
        call("POST", members_path(g), "{\"add\":[],\"remove\":[]}"));
    expect_members_updated(call("POST", members_path(g), NULL));
    cr_assert_str_eq(members_of(g), fmt("[%s,%s]", jstr(b), jstr(c)));
    expect_members_updated(call("POST", members_path(g),
                                fmt("{\"remove\":[%s,%s]}", jstr(b), jstr(c))));
    cr_assert_str_eq(members_of(g), "[]");
    /* the group itself is untouched */
    expect_group(g, "N", "active", "[]", "{}");
}

Test(members, added_and_removed_at_once_is_invalid_field_case_54)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");

    create_user(a, NULL);
    create_user(b, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s]}", jstr(a)));
    expect(call("POST", members_path(g),
                fmt("{\"add\":[%s,%s],\"remove\":[%s]}", jstr(b), jstr(a),
                    jstr(a))),
           400, "invalid_field",
           fmt("Platform member %s both added and removed.", a));
    cr_assert_str_eq(members_of(g), fmt("[%s]", jstr(a)));
    expect_user_groups(b, "[]");
}

Test(members, a_missing_group_is_401_with_cords_message_case_55)
{
    const char *a = fresh("a"), *nope = fresh("nope");
    const char *cordx = fmt("cord:%s", fresh("x"));

    create_user(a, NULL);
    expect(call("POST", members_path(nope), fmt("{\"add\":[%s]}", jstr(a))),
           401, "group_not_found", group_missing_long(nope));
    expect(call("POST", members_path(nope), "{}"), 401, "group_not_found",
           group_missing_long(nope));
    /* the path id is not checked as an identifier here: it is looked up */
    expect(call("POST", members_path(cordx), "{}"), 401, "group_not_found",
           group_missing_long(cordx));
    expect_no_group(nope);
    expect_user_groups(a, "[]");
}

Test(members, the_body_is_checked_before_the_group_is_looked_up)
{
    const char *g = fresh("g"), *nope = fresh("nope"), *a = fresh("a");
    const char *long_id = repeat("", "b", 129);
    struct {
        const char *body;
        const char *parts;
    } rows[] = {
        {"{\"add\":[{\"member\":123}]}",
         "Input {\"member\":123} for add/0 must be type string or number"},
        {"{\"add\":\"x\"}", "Input \"x\" for add must be type array"},
        {"{\"remove\":[\"\"]}",
         "Input \"\" for remove/0 must NOT have fewer than 1 characters"},
        {fmt("{\"remove\":[%s]}", jstr(long_id)),
         fmt("Input %s for remove/0 must NOT have more than 128 characters",
             jstr(long_id))},
        {"{\"foo\":1}", "Input {\"foo\":1} has unexpected field: foo"},
        {"{\"remove\":[null],\"x\":1,\"add\":[true]}",
         "Input true for add/0 must be type string or number,\nInput null for "
         "remove/0 must be type string or number,\nInput {\"remove\":[null],"
         "\"x\":1,\"add\":[true]} has unexpected field: x"},
        {"[]", "Expected JSON object"},
    };
    size_t i;

    create_user(a, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s]}", jstr(a)));
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *want =
            fmt(UPDATE_MEMBERS "%s." GROUPS_REFER, rows[i].parts);

        expect_row(rows[i].body, call("POST", members_path(g), rows[i].body),
                   400, "invalid_request", want);
        expect_row(rows[i].body, call("POST", members_path(nope), rows[i].body),
                   400, "invalid_request", want);
    }
    cr_assert_str_eq(members_of(g), fmt("[%s]", jstr(a)));
    expect_no_group(nope);
}

Test(members, an_unknown_user_changes_nothing_case_56)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");
    const char *x = fresh("ghost1"), *y = fresh("ghost2");

    create_user(a, NULL);
    create_user(b, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s]}", jstr(a)));
    /* b is not added, a is not removed: one transaction */
    expect(call("POST", members_path(g),
                fmt("{\"add\":[%s,%s],\"remove\":[%s]}", jstr(b), jstr(x),
                    jstr(a))),
           401, "user_not_found", user_missing_long(x));
    cr_assert_str_eq(members_of(g), fmt("[%s]", jstr(a)));
    /* the first missing id is named, add before remove */
    expect(call("POST", members_path(g),
                fmt("{\"remove\":[%s],\"add\":[%s,%s]}", jstr(x), jstr(y),
                    jstr(b))),
           401, "user_not_found", user_missing_long(y));
    expect(call("POST", members_path(g),
                fmt("{\"add\":[%s],\"remove\":[%s,%s]}", jstr(b), jstr(a),
                    jstr(x))),
           401, "user_not_found", user_missing_long(x));
    cr_assert_str_eq(members_of(g), fmt("[%s]", jstr(a)));
    expect_user_groups(b, "[]");
    expect_no_user(x);
}

Test(members, deleted_groups_and_deleted_users_are_still_found)
{
    const char *a = fresh("a"), *b = fresh("b"), *g = fresh("g");

    create_user(a, NULL);
    create_user(b, "\"status\":\"deleted\"");
    create_group(g, "{\"name\":\"N\",\"status\":\"deleted\"}");
    expect_members_updated(call("POST", members_path(g),
                                fmt("{\"add\":[%s,%s]}", jstr(b), jstr(a))));
    expect_group(g, "N", "deleted", fmt("[%s,%s]", jstr(a), jstr(b)), "{}");
}

Test(members, thirty_two_concurrent_adds_lose_nothing, .timeout = 120)
{
    enum { N = 32 };
    const char *g = fresh("g"), *first = fresh("first");
    const char *ids[N + 1];
    CURL *easy[N];
    struct curl_slist *hl = NULL;
    struct it_sink sink[N];
    CURLM *m = curl_multi_init();
    int running = 0, i;
    struct json_object *members;

    cr_assert(m != NULL);
    ids[0] = first;
    create_user(first, NULL);
    for (i = 0; i < N; i++) {
        ids[i + 1] = fresh(fmt("c%02d", i));
        create_user(ids[i + 1], NULL);
    }
    create_group(g, fmt("{\"name\":\"Race\",\"members\":[%s]}", jstr(first)));

    hl = curl_slist_append(
        hl, fmt("Authorization: Bearer %s", token_of(main_app())));
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    for (i = 0; i < N; i++) {
        const char *body = fmt("{\"add\":[%s]}", jstr(ids[i + 1]));

        sink[i] = (struct it_sink){NULL, 0};
        easy[i] = curl_easy_init();
        cr_assert(easy[i] != NULL);
        curl_easy_setopt(easy[i], CURLOPT_URL,
                         fmt("%s%s", base(), members_path(g)));
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, it_sink_write);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &sink[i]);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        /* one connection each, all at once */
        curl_easy_setopt(easy[i], CURLOPT_FRESH_CONNECT, 1L);
        curl_multi_add_handle(m, easy[i]);
    }
    do {
        cr_assert_eq(curl_multi_perform(m, &running), CURLM_OK);
        if (running > 0)
            cr_assert_eq(curl_multi_poll(m, NULL, 0, 1000, NULL), CURLM_OK);
    } while (running > 0);
    for (i = 0; i < N; i++) {
        long status = 0;

        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        cr_expect_eq(status, 200, "client %d: %ld %s", i, status,
                     sink[i].data ? sink[i].data : "(no body)");
        curl_multi_remove_handle(m, easy[i]);
        curl_easy_cleanup(easy[i]);
        free(sink[i].data);
    }
    curl_slist_free_all(hl);
    curl_multi_cleanup(m);

    members = field(get_group(g), "members");
    cr_assert_eq(json_object_array_length(members), N + 1, "%s",
                 json_text(members));
    /* ids are "c00".."c31" after the prefix, and "first" sorts after them */
    for (i = 0; i < N; i++)
        cr_assert_str_eq(
            json_object_get_string(json_object_array_get_idx(members, i)),
            ids[i + 1]);
    cr_assert_str_eq(
        json_object_get_string(json_object_array_get_idx(members, N)), first);
}

/* ------------------------------------------------------------ GET members */

/* One element of GET /v1/groups/<id>/members: its keys, in order, and its
 * values. */
static void
expect_member(struct json_object *o, const char *id, const char *email,
              const char *status, const char *name, const char *short_name,
              const char *picture, const char *metadata)
{
    const char *ts;

    cr_assert_str_eq(keys_of(o), "id,email,status,name,shortName,"
                                 "profilePictureURL,metadata,"
                                 "createdTimestamp");
    cr_assert_str_eq(str_field(o, "id"), id);
#define SAME(key, want)                                                        \
    do {                                                                       \
        const char *got_ = str_field(o, key);                                  \
        if ((want) == NULL)                                                    \
            cr_assert_null(got_, "%s of %s: %s", key, id, got_);               \
        else                                                                   \
            cr_assert_str_eq(got_ ? got_ : "(null)", (want), "%s of %s", key,  \
                             id);                                              \
    } while (0)
    SAME("email", email);
    SAME("status", status);
    SAME("name", name);
    SAME("shortName", short_name);
    SAME("profilePictureURL", picture);
#undef SAME
    cr_assert_str_eq(json_text(field(o, "metadata")), metadata);
    ts = str_field(o, "createdTimestamp");
    cr_assert(ts != NULL && strlen(ts) >= 20 && ts[4] == '-' && ts[10] == 'T' &&
                  ts[strlen(ts) - 1] == 'Z',
              "createdTimestamp %s", ts ? ts : "(null)");
}

static struct json_object *
members_page(const char *g, const char *query)
{
    struct it_response *r =
        call("GET", fmt("%s%s", members_path(g), query), NULL);

    cr_assert_eq(r->status, 200, "%s: %ld %s", query, r->status, r->body);
    cr_assert_str_eq(keys_of(body_json(r)), "users,pagination");
    return body_json(r);
}

static const char *
page_ids(struct json_object *page)
{
    struct json_object *users = field(page, "users");
    const char *out = "";
    size_t i;

    for (i = 0; i < json_object_array_length(users); i++)
        out = fmt("%s%s%s", out, i ? "," : "",
                  str_field(json_object_array_get_idx(users, i), "id"));
    return out;
}

Test(members, list_pages_in_byte_order)
{
    const char *t = tag();
    /* "B" sorts before "a" byte for byte */
    const char *a = fmt("tg-m-%s-a", t), *b = fmt("tg-m-%s-B", t),
               *c = fmt("tg-m-%s-c", t), *out = fresh("outsider");
    const char *g = fresh("g"), *g2 = fresh("g2");
    struct json_object *p, *pg, *u;
    const char *token;

    create_user(a, "\"name\":\"Ay\",\"shortName\":\"A\",\"metadata\":{\"k\":"
                   "\"v\"},\"profilePictureURL\":\"https://x.example/a.png\"");
    create_user(b, "\"status\":\"deleted\"");
    create_user(c, NULL);
    create_user(out, NULL);
    create_group(g, fmt("{\"name\":\"N\",\"members\":[%s,%s,%s]}", jstr(c),
                        jstr(a), jstr(b)));
    create_group(g2, fmt("{\"name\":\"Other\",\"members\":[%s]}", jstr(out)));

    p = members_page(g, "?limit=2");
    cr_assert_str_eq(page_ids(p), fmt("%s,%s", b, a));
    u = field(p, "users");
    expect_member(json_object_array_get_idx(u, 0), b,
                  fmt("u-%s@example.com", t), "deleted", NULL, NULL, NULL,
                  "{}");
    expect_member(json_object_array_get_idx(u, 1), a,
                  fmt("u-%s@example.com", t), "active", "Ay", "A",
                  "https://x.example/a.png", "{\"k\":\"v\"}");
    pg = field(p, "pagination");
    cr_assert_str_eq(keys_of(pg), "token,total");
    cr_assert_eq(json_object_get_int(field(pg, "total")), 3);
    token = str_field(pg, "token");
    cr_assert(token != NULL && token[0] != '\0', "%s", json_text(p));

    p = members_page(g, fmt("?limit=2&token=%s", enc(token)));
    cr_assert_str_eq(page_ids(p), c);
    pg = field(p, "pagination");
    cr_assert(json_object_is_type(field(pg, "token"), json_type_null), "%s",
              json_text(p));
    cr_assert_eq(json_object_get_int(field(pg, "total")), 3);

    /* the default limit takes them all; empty parameters count as absent */
    static const char *const all[] = {
        "", "?limit=", "?token=", "?limit=&token=", "?limit=1000", "?other=1"};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        p = members_page(g, all[i]);
        cr_expect_str_eq(page_ids(p), fmt("%s,%s,%s", b, a, c), "%s", all[i]);
        cr_expect(json_object_is_type(field(field(p, "pagination"), "token"),
                                      json_type_null),
                  "%s", all[i]);
    }
    /* exactly as many as the limit: no rows remain, no token */
    p = members_page(g, "?limit=3");
    cr_assert_str_eq(page_ids(p), fmt("%s,%s,%s", b, a, c));
    cr_assert(json_object_is_type(field(field(p, "pagination"), "token"),
                                  json_type_null));

    p = members_page(g2, "");
    cr_assert_str_eq(page_ids(p), out);
    cr_assert_eq(json_object_get_int(field(field(p, "pagination"), "total")),
                 1);
}

Test(members, list_of_an_empty_group)
{
    const char *g = fresh("g");

    create_group(g, "{\"name\":\"Empty\"}");
    expect_body(call("GET", members_path(g), NULL), 200,
                "{\"users\":[],\"pagination\":{\"token\":null,\"total\":0}}");
}

Test(members, list_query_errors)
{
    const char *g = fresh("g");
    struct {
        const char *query;
        const char *message;
    } rows[] = {
        {"?limit=abc", "Limit must be a number."},
        {"?limit=abc&limit=2", "Limit must be a number."},
        {"?token=bm90anNvbg%3D%3D", "Pagination token is not valid"},
        {"?token=e30%3D", "Pagination token is not valid"},
        {"?token=%25%25%25", "Pagination token is not valid"},
        /* the token is checked before the limit */
        {"?limit=abc&token=bm90anNvbg%3D%3D", "Pagination token is not valid"},
    };
    size_t i;

    create_group(g, "{\"name\":\"N\"}");
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_row(
            rows[i].query,
            call("GET", fmt("%s%s", members_path(g), rows[i].query), NULL), 400,
            "invalid_field", rows[i].message);
    /* a missing group is 404 before any query check */
    expect(call("GET", fmt("%s?limit=abc", members_path(fresh("nope"))), NULL),
           404, "group_not_found", "Platform group not found.");
}

/* ------------------------------------------------------------ organizations */

Test(organizations, post_creates_only_case_58)
{
    const char *o = fresh("o"), *u = fresh("u");

    expect(call("POST", "/v1/organizations", fmt("{\"id\":%s}", jstr(o))), 400,
           "invalid_request",
           fmt(CREATE_ORG "Input {\"id\":%s} requires field: name.", jstr(o)));
    expect_no_group(o);
    create_user(u, NULL);
    expect_success(call("POST", "/v1/organizations",
                        fmt("{\"id\":%s,\"name\":\"O\",\"metadata\":{\"a\":1},"
                            "\"status\":\"active\",\"members\":[%s]}",
                            jstr(o), jstr(u))),
                   201, fmt("You successfully created organization %s", o));
    expect_group(o, "O", "active", fmt("[%s]", jstr(u)), "{\"a\":1}");
    expect_user_groups(u, fmt("[%s]", jstr(o)));
    expect(call("POST", "/v1/organizations",
                fmt("{\"id\":%s,\"name\":\"Other\"}", jstr(o))),
           409, "organization_already_exists",
           fmt("The platform organization with id %s already exists, to "
               "update organization please make a PUT request to "
               "organizations/<ORGANIZATION_ID>.",
               o));
    expect_group(o, "O", "active", fmt("[%s]", jstr(u)), "{\"a\":1}");
}

Test(organizations, post_of_a_group_made_by_put_is_409)
{
    const char *g = fresh("g");

    create_group(g, "{\"name\":\"G\"}");
    expect(call("POST", "/v1/organizations",
                fmt("{\"id\":%s,\"name\":\"Other\"}", jstr(g))),
           409, "organization_already_exists", NULL);
    expect_group(g, "G", "active", "[]", "{}");
}

Test(organizations, post_errors_write_nothing)
{
    struct app a = new_app(fresh("orgs"));
    const char *long_id = repeat("", "o", 129);
    struct {
        const char *body;
        long status;
        const char *code;
        const char *message;
    } rows[] = {
        {"{\"foo\":\"bar\"}", 400, "invalid_request",
         CREATE_ORG "Input {\"foo\":\"bar\"} requires fields: id and name,\n"
                    "Input {\"foo\":\"bar\"} has unexpected field: foo."},
        {"{}", 400, "invalid_request",
         CREATE_ORG "Input {} requires fields: id and name."},
        {"{\"name\":\"N\"}", 400, "invalid_request",
         CREATE_ORG "Input {\"name\":\"N\"} requires field: id."},
        {"{\"id\":\"\",\"name\":\"N\"}", 400, "invalid_request",
         CREATE_ORG "Input \"\" for id must NOT have fewer than 1 characters."},
        {fmt("{\"id\":%s,\"name\":\"N\"}", jstr(long_id)), 400,
         "invalid_request",
         fmt(CREATE_ORG "Input %s for id must NOT have more than 128 "
                        "characters.",
             jstr(long_id))},
        {"{\"id\":true,\"name\":7,\"status\":\"x\"}", 400, "invalid_request",
         CREATE_ORG "Input true for id must be type string or number,\nInput "
                    "7 for name must be type string,\nInput \"x\" for status "
                    "must be equal to one of the allowed values: active or "
                    "deleted."},
        {"[]", 400, "invalid_request", CREATE_ORG "Expected JSON object."},
        {"{\"id\":\"cord:x\",\"name\":\"N\"}", 400, "invalid_field", BAD_ID},
        {"{\"id\":\"abc\\n123\",\"name\":\"N\"}", 400, "invalid_field", BAD_ID},
        {"{\"id\":\"abc\\u200b\",\"name\":\"N\"}", 400, "invalid_field",
         BAD_ID},
        {"{\"id\":\"m\",\"name\":\"N\",\"members\":[\"ghost\"]}", 401,
         "user_not_found", "Platform user ghost not found."},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_row(rows[i].body,
                   call_as(a, "POST", "/v1/organizations", rows[i].body),
                   rows[i].status, rows[i].code, rows[i].message);
    expect_body(call_as(a, "GET", "/v1/groups", NULL), 200, "[]");
    /* a number id is its text */
    expect_success(call_as(a, "POST", "/v1/organizations",
                           "{\"id\":104,\"name\":\"Num\"}"),
                   201, "You successfully created organization 104");
    expect_body(call_as(a, "GET", "/v1/groups", NULL), 200,
                "[{\"id\":\"104\",\"name\":\"Num\",\"status\":\"active\","
                "\"connectedToSlack\":false,\"metadata\":{}}]");
}

Test(organizations, aliases_answer_as_groups)
{
    const char *o = fresh("o"), *u = fresh("u"), *v = fresh("v");
    const char *p = fmt("/v1/organizations/%s", enc(o));
    struct it_response *r;

    create_user(u, NULL);
    create_user(v, NULL);
    expect(call("PUT", p, "{}"), 400, "missing_field", NEEDS_NAME);
    expect_success(
        call("PUT", p, fmt("{\"name\":\"O\",\"members\":[%s]}", jstr(u))), 200,
        fmt("You successfully created group %s", o));
    expect_success(call("PUT", p, "{\"name\":\"O2\"}"), 200,
                   fmt("You successfully updated group %s", o));
    expect_body(call("GET", p, NULL), 200,
                group_body(o, "O2", "active", fmt("[%s]", jstr(u)), "{}"));
    expect(call("PUT", p, "{\"name\":1}"), 400, "invalid_request",
           UPDATE_GROUP "Input 1 for name must be type string." GROUPS_REFER);
    expect(call("PUT", "/v1/organizations/cord%3Ax", "{}"), 400,
           "invalid_field", BAD_ORG_ID);
    expect(call("GET", "/v1/organizations/cord%3Ax", NULL), 400,
           "invalid_request", "Invalid request.");
    expect(call("GET", fmt("/v1/organizations/%s", fresh("nope")), NULL), 404,
           "group_not_found", "Platform group not found.");

    /* POST members has the alias; GET members has none */
    expect_members_updated(
        call("POST", fmt("%s/members", p), fmt("{\"add\":[%s]}", jstr(v))));
    cr_assert_str_eq(members_of(o), fmt("[%s,%s]", jstr(u), jstr(v)));
    expect(call("POST", fmt("/v1/organizations/%s/members", enc(fresh("nope"))),
                "{}"),
           401, "group_not_found", group_missing_long(fresh("nope")));
    r = call("GET", fmt("%s/members", p), NULL);
    expect(r, 405, "method_not_allowed", NULL);
    cr_assert(it_header(r, "Allow") != NULL &&
                  strstr(it_header(r, "Allow"), "POST") != NULL &&
                  strstr(it_header(r, "Allow"), "GET") == NULL,
              "Allow: %s", it_header(r, "Allow"));

    expect(call("DELETE", fmt("/v1/organizations/%s", fresh("nope")), NULL),
           401, "group_not_found", "Platform group not found.");
    expect_success(call("DELETE", p, NULL), 200,
                   fmt("You successfully deleted group %s", o));
    expect_no_group(o);
    expect_user_groups(u, "[]");
}

Test(organizations, there_is_no_post_groups)
{
    const char *g = fresh("g");
    struct it_response *r =
        call("POST", "/v1/groups", fmt("{\"id\":%s,\"name\":\"N\"}", jstr(g)));

    expect(r, 405, "method_not_allowed", NULL);
    expect_no_group(g);
}

/* ------------------------------------------------------------ isolation */

Test(groups, apps_with_the_same_group_id_are_isolated)
{
    struct app a = main_app(), b = new_app(fresh("iso"));
    const char *g = fresh("g"), *ua = fresh("ua"), *ub = fresh("ub"),
               *both = fresh("both");

    create_user_as(a, ua, NULL);
    create_user_as(a, both, NULL);
    create_user_as(b, ub, NULL);
    create_user_as(b, both, NULL);
    create_group_as(
        a, g,
        fmt("{\"name\":\"A\",\"members\":[%s,%s]}", jstr(ua), jstr(both)));
    /* the same id in b is a new group there */
    create_group_as(b, g, fmt("{\"name\":\"B\",\"members\":[%s]}", jstr(ub)));
    expect_body(call_as(a, "GET", group_path(g), NULL), 200,
                group_body(g, "A", "active",
                           fmt("[%s,%s]", jstr(both), jstr(ua)), "{}"));
    expect_body(call_as(b, "GET", group_path(g), NULL), 200,
                group_body(g, "B", "active", fmt("[%s]", jstr(ub)), "{}"));
    /* b cannot name a's users */
    expect(call_as(b, "POST", members_path(g), fmt("{\"add\":[%s]}", jstr(ua))),
           401, "user_not_found", user_missing_long(ua));
    expect(
        call_as(b, "PUT", group_path(g), fmt("{\"members\":[%s]}", jstr(ua))),
        401, "user_not_found", fmt("Platform user %s not found.", ua));
    /* b's changes stay in b */
    expect_members_updated(
        call_as(b, "POST", members_path(g), fmt("{\"add\":[%s]}", jstr(both))));
    expect_success(call_as(b, "PUT", group_path(g),
                           "{\"name\":\"B2\",\"status\":\"deleted\"}"),
                   200, fmt("You successfully updated group %s", g));
    expect_body(call_as(a, "GET", group_path(g), NULL), 200,
                group_body(g, "A", "active",
                           fmt("[%s,%s]", jstr(both), jstr(ua)), "{}"));
    cr_assert_str_eq(
        page_ids(body_json(call_as(a, "GET", members_path(g), NULL))),
        fmt("%s,%s", both, ua));
    /* b's list holds only b's group */
    expect_body(call_as(b, "GET", "/v1/groups", NULL), 200,
                fmt("[{\"id\":%s,\"name\":\"B2\",\"status\":\"deleted\","
                    "\"connectedToSlack\":false,\"metadata\":{}}]",
                    jstr(g)));
    /* a's user "both" is in a's group only, b's in b's only */
    cr_assert_str_eq(json_text(field(get_user_as(a, both), "groups")),
                     fmt("[%s]", jstr(g)));
    cr_assert_str_eq(json_text(field(get_user_as(b, both), "groups")), "[]");
    expect_success(call_as(b, "DELETE", group_path(g), NULL), 200,
                   fmt("You successfully deleted group %s", g));
    expect_no_group_as(b, g);
    expect_group(g, "A", "active", fmt("[%s,%s]", jstr(both), jstr(ua)), "{}");
    expect(call_as(b, "POST", members_path(g), "{}"), 401, "group_not_found",
           group_missing_long(g));
}

Test(groups, every_route_needs_a_server_token)
{
    const char *g = fresh("g");
    struct {
        const char *method, *path, *body;
    } rows[] = {
        {"GET", "/v1/groups", NULL},
        {"GET", group_path(g), NULL},
        {"PUT", group_path(g), "{\"name\":\"N\"}"},
        {"DELETE", group_path(g), NULL},
        {"GET", members_path(g), NULL},
        {"POST", members_path(g), "{}"},
        {"GET", "/v1/organizations", NULL},
        {"POST", "/v1/organizations",
         fmt("{\"id\":%s,\"name\":\"N\"}", jstr(g))},
        {"PUT", fmt("/v1/organizations/%s", enc(g)), "{\"name\":\"N\"}"},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        expect_row(fmt("%s %s", rows[i].method, rows[i].path),
                   send_len(NULL, rows[i].method, rows[i].path, rows[i].body,
                            rows[i].body ? strlen(rows[i].body) : 0),
                   401, "missing_authorization_header",
                   "Authorization header bearer token must be present.");
    expect_no_group(g);
}