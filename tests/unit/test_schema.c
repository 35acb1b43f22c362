/* Unit tests for the schema validator: Cord's exact messages, ajv's order. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/errors.h"
#include "cordgate/json.h"
#include "cordgate/schema.h"

static struct arena *arena;

static void
setup(void)
{
    arena = arena_create(1 << 16, (size_t)256 << 20);
    cr_assert_not_null(arena);
}

static void
teardown(void)
{
    arena_destroy(arena);
}

TestSuite(schema, .init = setup, .fini = teardown);

/* The envelope: "Invalid <name>:\n" ... ".<refer>". */
#define UPD   "Invalid UpdatePlatformUserVariables:\n"
#define CRU   "Invalid CreatePlatformUserVariables:\n"
#define DEL   "Invalid DeleteUserVariables:\n"
#define UPG   "Invalid UpdatePlatformGroupVariables:\n"
#define ORG   "Invalid CreatePlatformOrganizationVariables:\n"
#define MEM   "Invalid UpdatePlatformGroupMembersVariables:\n"
#define BAT   "Invalid BatchAPIVariables:\n"
#define TOK   "Invalid ClientAuthTokenData:\n"
#define U_REF "\nRefer to https://docs.cord.com/rest-apis/users/"
#define G_REF "\nRefer to https://docs.cord.com/rest-apis/groups/"
#define B_REF "\nRefer to https://docs.cord.com/rest-apis/batch/"
#define T_REF "\nRefer to https://docs.cord.com/reference/authentication/"

#define STATUS_ENUM                                                            \
    "must be equal to one of the allowed values: active or deleted"
#define FLAT "must be type string or number or boolean"

/* 128 and 129 characters: ASCII, and a 4-byte emoji (one code point). */
#define A8     "aaaaaaaa"
#define A64    A8 A8 A8 A8 A8 A8 A8 A8
#define A128   A64 A64
#define A129   A128 "a"
#define E1     "\xf0\x9f\x98\x80"
#define E8     E1 E1 E1 E1 E1 E1 E1 E1
#define E64    E8 E8 E8 E8 E8 E8 E8 E8
#define E128   E64 E64
#define E129   E128 E1
#define U2_8   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define U2_64  U2_8 U2_8 U2_8 U2_8 U2_8 U2_8 U2_8 U2_8
#define U2_128 U2_64 U2_64

#define UUID "3f1e7a0c-2b4d-4c5e-8f9a-0b1c2d3e4f5a"

/* A body, the seed flag, and Cord's whole message (NULL: the body is
 * valid). */
struct vec {
    const struct schema *s;
    bool seed;
    const char *body;
    const char *want;
};

static struct json_object *
parse(struct arena *a, const char *text, size_t len)
{
    struct json_object *o = NULL;

    cr_assert_eq(json_parse(a, text, len, &o), JSON_PARSE_OK, "parse %s: %s",
                 text, json_parse_error());
    return o;
}

static struct json_object *
parse_str(const char *text)
{
    return parse(arena, text, strlen(text));
}

static void
check_one(const struct vec *v, size_t i)
{
    struct json_object *o = parse_str(v->body);
    const char *msg = "(untouched)";
    enum cg_err rc = schema_check(v->s, arena, o, v->seed, &msg);

    if (v->want == NULL) {
        cr_expect_eq(rc, CG_ERR_OK, "[%zu] %s %s (seed %d): got %d\n%s", i,
                     v->s->name, v->body, v->seed, rc, msg ? msg : "(null)");
        cr_expect_null(msg, "[%zu] %s: message not NULL", i, v->body);
        return;
    }
    cr_expect_eq(rc, v->s->error, "[%zu] %s %s (seed %d): rc %d, want %d", i,
                 v->s->name, v->body, v->seed, rc, v->s->error);
    cr_expect(msg != NULL && strcmp(msg, v->want) == 0,
              "[%zu] %s %s (seed %d)\n got: %s\nwant: %s", i, v->s->name,
              v->body, v->seed, msg ? msg : "(null)", v->want);
}

static void
check_all(const struct vec *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_one(&v[i], i);
}

#define CHECK_ALL(t) check_all(t, sizeof(t) / sizeof((t)[0]))

/* ---- §12's cases, Cord's exact text ---- */

static const struct vec cord_cases[] = {
    /* 27 */
    {&schema_update_user, false, "{\"fav_food\":\"x\"}",
     UPD "Input {\"fav_food\":\"x\"} has unexpected field: fav_food." U_REF},
    /* 28 */
    {&schema_update_user, false, "{\"id\":\"u1\"}",
     UPD "Input {\"id\":\"u1\"} has unexpected field: id." U_REF},
    /* 29 */
    {&schema_update_user, false, "{\"email\":\"not-an-email\"}",
     UPD "Input \"not-an-email\" for email must match format \"email\"." U_REF},
    /* 30 */
    {&schema_update_user, false, "{\"status\":3}",
     UPD "Input 3 for status must be type string,\n"
         "Input 3 for status " STATUS_ENUM "." U_REF},
    /* 31 */
    {&schema_update_user, false, "{\"metadata\":{\"a\":{\"b\":1}}}",
     UPD "Input {\"b\":1} for metadata/a " FLAT "." U_REF},
    /* 32 */
    {&schema_update_user, false, "{\"profile_picture_url\":\"piglet\"}",
     UPD "Input \"piglet\" for profile_picture_url must match format "
         "\"uri\"." U_REF},
    /* 36 */
    {&schema_create_user, false, "{\"name\":\"x\"}",
     CRU "Input {\"name\":\"x\"} requires field: id." U_REF},
    /* 38 */
    {&schema_create_user, false, "{\"id\":\"\"}",
     CRU "Input \"\" for id must NOT have fewer than 1 characters." U_REF},
    {&schema_create_user, false, "{\"id\":\"" A129 "\"}",
     CRU "Input \"" A129 "\" for id must NOT have more than 128 "
         "characters." U_REF},
    /* 47 */
    {&schema_delete_user, false, "{}",
     DEL "Input {} requires field: permanently_delete." U_REF},
    /* 53 */
    {&schema_update_group, false, "{\"name\":123}",
     UPG "Input 123 for name must be type string." G_REF},
    /* 58: no description, so no Refer line */
    {&schema_create_org, false, "{\"id\":\"o1\"}",
     ORG "Input {\"id\":\"o1\"} requires field: name."},
    {&schema_create_org, false, "{\"id\":\"o1\",\"name\":\"O\"}", NULL},
    /* 62 */
    {&schema_batch, false, "{\"foo\":1}",
     BAT "Input {\"foo\":1} has unexpected field: foo." B_REF},
    /* 61 */
    {&schema_batch, false,
     "{\"users\":[{\"id\":\"b1\",\"name\":\"B1\"},{\"id\":\"b2\"}],"
     "\"groups\":[{\"id\":\"bg\",\"name\":\"BG\",\"members\":[\"b1\",\"b2\"]}]"
     "}",
     NULL},
    /* The batch example of §5.7's grammar */
    {&schema_batch, false, "{\"users\":[{\"id\":[5]}]}",
     BAT "Input [5] for users/0/id must be type string or number." B_REF},
    /* 24, 25, 34, 35, 37, 40, 44, 46, 49, 51, 54, 57: valid bodies */
    {&schema_update_user, false,
     "{\"name\":\"Leela\",\"email\":\"leela@pe.com\"}", NULL},
    {&schema_update_user, false, "{\"shortName\":\"L\"}", NULL},
    {&schema_update_user, false, "{\"email\":\"\"}", NULL},
    {&schema_update_user, false,
     "{\"metadata\":{\"plan\":\"pro\",\"seats\":3,\"beta\":true}}", NULL},
    {&schema_update_user, false, "{\"status\":\"deleted\"}", NULL},
    {&schema_update_user, false,
     "{\"addGroups\":[\"g1\"],\"removeGroups\":[\"g1\"]}", NULL},
    {&schema_create_user, false, "{\"id\":\"u2\"}", NULL},
    {&schema_create_user, false, "{\"id\":103}", NULL},
    {&schema_create_user, false, "{\"id\":\"abc\\n123\"}", NULL},
    {&schema_delete_user, false, "{\"permanently_delete\":true}", NULL},
    {&schema_delete_user, false, "{\"permanently_delete\":false}", NULL},
    {&schema_update_group, false,
     "{\"name\":\"Planet Express\",\"members\":[\"u1\"]}", NULL},
    {&schema_update_group, false, "{\"members\":[\"u1\"]}", NULL},
    {&schema_group_members, false, "{\"add\":[\"u1\"],\"remove\":[\"u1\"]}",
     NULL},
    {&schema_group_members, false, "{\"remove\":[\"u1\"]}", NULL},
};

Test(schema, cord_conformance_messages)
{
    CHECK_ALL(cord_cases);
}

/* 64: a rule the table cannot say, in the table's words. */
Test(schema, requires_message)
{
    struct json_object *o = parse_str("{\"id\":\"g9\"}");
    const char *m = schema_requires(&schema_create_org, arena, o, "name");

    cr_assert_not_null(m);
    cr_expect_str_eq(m, ORG "Input {\"id\":\"g9\"} requires field: name.");
    o = parse_str("{\"users\":[],\"n\":1e21}");
    m = schema_requires(&schema_update_group, arena, o, "name");
    cr_assert_not_null(m);
    cr_expect_str_eq(m, UPG "Input {\"users\":[],\"n\":1e+21} requires field: "
                            "name." G_REF);
}

/* A batch of n users, each item text, then tail before "]}". */
static char *
batch_of(size_t n, const char *item, const char *tail)
{
    size_t il = strlen(item), tl = strlen(tail);
    char *s = malloc(n * (il + 1) + tl + 32);
    size_t k = 0;

    cr_assert_not_null(s);
    k += (size_t)sprintf(s, "{\"users\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            s[k++] = ',';
        memcpy(s + k, item, il);
        k += il;
    }
    memcpy(s + k, tail, tl);
    k += tl;
    memcpy(s + k, "]}", 3);
    return s;
}

static void
check_text(const struct schema *sc, const char *body, const char *want)
{
    struct vec v = {sc, false, body, want};

    check_one(&v, 0);
}

/* 65: 10001 users is the maxItems part alone, when the items are valid. */
Test(schema, batch_max_items)
{
    char *s = batch_of(10001, "{\"id\":\"u\"}", "");

    check_text(&schema_batch, s,
               BAT "Input has 10001 items and must NOT have more than 10000 "
                   "items." B_REF);
    free(s);
    s = batch_of(10000, "{\"id\":\"u\"}", "");
    check_text(&schema_batch, s, NULL);
    free(s);
    /* maxItems comes before the items' own errors. */
    s = batch_of(10000, "{\"id\":\"u\"}", ",{\"id\":true}");
    check_text(&schema_batch, s,
               BAT "Input has 10001 items and must NOT have more than 10000 "
                   "items,\nInput true for users/10000/id must be type string "
                   "or number." B_REF);
    free(s);
}

Test(schema, batch_groups_max_items)
{
    struct buf b;

    for (int which = 0; which < 2; which++) {
        const char *key = which == 0 ? "organizations" : "groups";

        buf_init(&b, arena, 1 << 20);
        cr_assert_eq(buf_printf(&b, "{\"%s\":[", key), 0);
        for (int i = 0; i < 1001; i++)
            cr_assert_eq(buf_printf(&b, "%s{\"id\":%d}", i ? "," : "", i), 0);
        cr_assert_eq(buf_append_str(&b, "]}"), 0);
        check_text(&schema_batch, b.data,
                   BAT "Input has 1001 items and must NOT have more than 1000 "
                       "items." B_REF);
    }
}

/* ---- ajv's traversal order and Cord's grouping ---- */

static const struct vec order_cases[] = {
    /* Schema order (status before email), whatever the input's. */
    {&schema_update_user, false, "{\"status\":\"x\",\"email\":\"bad\"}",
     UPD "Input \"x\" for status " STATUS_ENUM ",\n"
         "Input \"bad\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false, "{\"email\":\"bad\",\"status\":\"x\"}",
     UPD "Input \"x\" for status " STATUS_ENUM ",\n"
         "Input \"bad\" for email must match format \"email\"." U_REF},
    /* Many value errors in reverse input order. */
    {&schema_update_user, false,
     "{\"removeGroups\":[1],\"last_name\":2,\"profile_picture_url\":\"no\","
     "\"email\":3,\"status\":null,\"metadata\":[],\"name\":false}",
     UPD "Input false for name must be type null or string,\n"
         "Input [] for metadata must be type object,\n"
         "Input null for status must be type string,\n"
         "Input null for status " STATUS_ENUM ",\n"
         "Input 3 for email must be type null or string,\n"
         "Input \"no\" for profile_picture_url must match format \"uri\",\n"
         "Input 2 for last_name must be type null or string,\n"
         "Input 1 for removeGroups/0 must be type string." U_REF},
    {&schema_update_group, false,
     "{\"members\":[\"\",7,null],\"status\":[],\"metadata\":{\"k\":null},"
     "\"name\":{}}",
     UPG "Input {} for name must be type string,\n"
         "Input null for metadata/k " FLAT ",\n"
         "Input [] for status must be type string,\n"
         "Input [] for status " STATUS_ENUM ",\n"
         "Input \"\" for members/0 must NOT have fewer than 1 characters,\n"
         "Input null for members/2 must be type string or number." G_REF},
    {&schema_group_members, false, "{\"remove\":[{}],\"add\":\"u1\"}",
     MEM "Input \"u1\" for add must be type array,\n"
         "Input {} for remove/0 must be type string or number." G_REF},
    /* Nested paths. */
    {&schema_batch, false, "{\"users\":[{\"id\":\"a\",\"email\":\"x\"}]}",
     BAT "Input \"x\" for users/0/email must match format \"email\"." B_REF},
    {&schema_batch, false,
     "{\"groups\":[{\"id\":\"g\"},{\"id\":\"h\",\"members\":[true]}]}",
     BAT "Input true for groups/1/members/0 must be type string or "
         "number." B_REF},
    {&schema_batch, false,
     "{\"organizations\":[{\"id\":\"o\",\"metadata\":{\"m\":[]}}]}",
     BAT "Input [] for organizations/0/metadata/m " FLAT "." B_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"user_details\":{\"name\":1}}",
     TOK "Input 1 for user_details/name must be type null or string." T_REF},
    /* JSON pointer escaping of metadata keys. */
    {&schema_update_user, false,
     "{\"metadata\":{\"a/b\":null,\"a~b\":[],\"x~1/\":{}}}",
     UPD "Input null for metadata/a~1b " FLAT ",\n"
         "Input [] for metadata/a~0b " FLAT ",\n"
         "Input {} for metadata/x~01~1 " FLAT "." U_REF},
    /* Map values in input order. */
    {&schema_update_user, false,
     "{\"metadata\":{\"z\":null,\"ok\":1,\"a\":{}}}",
     UPD "Input null for metadata/z " FLAT ",\n"
         "Input {} for metadata/a " FLAT "." U_REF},
    /* Field lists: no Oxford comma, unexpected keys in input order. */
    {&schema_update_user, false, "{\"a\":1,\"b\":2}",
     UPD "Input {\"a\":1,\"b\":2} has unexpected fields: a and b." U_REF},
    {&schema_update_user, false,
     "{\"zeta\":1,\"name\":\"n\",\"alpha\":2,\"beta\":3,\"gamma\":4}",
     UPD "Input {\"zeta\":1,\"name\":\"n\",\"alpha\":2,\"beta\":3,\"gamma\":4} "
         "has unexpected fields: zeta, alpha, beta and gamma." U_REF},
    {&schema_update_user, false, "{\"c\":1,\"b\":2,\"a\":3}",
     UPD "Input {\"c\":1,\"b\":2,\"a\":3} has unexpected fields: c, b and "
         "a." U_REF},
    {&schema_create_org, false, "{}",
     ORG "Input {} requires fields: id and name."},
    /* Value errors, then requires, then unexpected. */
    {&schema_create_org, false, "{\"x\":1}",
     ORG "Input {\"x\":1} requires fields: id and name,\n"
         "Input {\"x\":1} has unexpected field: x."},
    {&schema_create_org, false, "{\"x\":1,\"name\":2}",
     ORG "Input 2 for name must be type string,\n"
         "Input {\"x\":1,\"name\":2} requires field: id,\n"
         "Input {\"x\":1,\"name\":2} has unexpected field: x."},
    {&schema_create_org, false,
     "{\"members\":[0,\"\"],\"status\":\"gone\",\"id\":1,\"y\":null}",
     ORG "Input \"gone\" for status " STATUS_ENUM ",\n"
         "Input \"\" for members/1 must NOT have fewer than 1 characters,\n"
         "Input {\"members\":[0,\"\"],\"status\":\"gone\",\"id\":1,\"y\":null} "
         "requires field: name,\n"
         "Input {\"members\":[0,\"\"],\"status\":\"gone\",\"id\":1,\"y\":null} "
         "has unexpected field: y."},
    /* The top level's parts before a nested object's; nested objects in
     * traversal order (users before groups, whatever the input order). */
    {&schema_batch, false,
     "{\"x\":1,\"groups\":[{\"id\":\"g\",\"members\":[true]},{\"name\":\"h\"}],"
     "\"users\":[{\"id\":\"a\",\"email\":\"x\",\"q\":1},{}]}",
     BAT "Input \"x\" for users/0/email must match format \"email\",\n"
         "Input true for groups/0/members/0 must be type string or number,\n"
         "Input {} requires field: id,\n"
         "Input {\"name\":\"h\"} requires field: id,\n"
         "Input {\"x\":1,\"groups\":[{\"id\":\"g\",\"members\":[true]},"
         "{\"name\":\"h\"}],\"users\":[{\"id\":\"a\",\"email\":\"x\",\"q\":1},"
         "{}]} has unexpected field: x,\n"
         "Input {\"id\":\"a\",\"email\":\"x\",\"q\":1} has unexpected field: "
         "q." B_REF},
    {&schema_batch, false, "{\"users\":[{\"id\":\"a\",\"p\":1}],\"x\":2}",
     BAT "Input {\"users\":[{\"id\":\"a\",\"p\":1}],\"x\":2} has unexpected "
         "field: x,\n"
         "Input {\"id\":\"a\",\"p\":1} has unexpected field: p." B_REF},
    {&schema_client_token, false, "{\"user_details\":{\"q\":1,\"name\":1}}",
     TOK "Input 1 for user_details/name must be type null or string,\n"
         "Input {\"user_details\":{\"q\":1,\"name\":1}} requires field: "
         "user_id,\n"
         "Input {\"q\":1,\"name\":1} has unexpected field: q." T_REF},
    /* An object of the wrong type: only its type error, no walk inside. */
    {&schema_batch, false, "{\"users\":{\"id\":\"a\",\"zz\":1}}",
     BAT "Input {\"id\":\"a\",\"zz\":1} for users must be type array." B_REF},
    {&schema_batch, false, "{\"users\":[null,[],\"u\"]}",
     BAT "Input null for users/0 must be type object,\n"
         "Input [] for users/1 must be type object,\n"
         "Input \"u\" for users/2 must be type object." B_REF},
    {&schema_delete_user, false, "{\"permanently_delete\":\"true\"}",
     DEL "Input \"true\" for permanently_delete must be type boolean." U_REF},
    {&schema_delete_user, false, "{\"permanently_delete\":null,\"why\":1}",
     DEL "Input null for permanently_delete must be type boolean,\n"
         "Input {\"permanently_delete\":null,\"why\":1} has unexpected field: "
         "why." U_REF},
};

Test(schema, ajv_order)
{
    CHECK_ALL(order_cases);
}

/* Types as ajv names them, values as JSON.stringify writes them. */
static const struct vec type_cases[] = {
    {&schema_update_user, false, "{\"name\":1}",
     UPD "Input 1 for name must be type null or string." U_REF},
    {&schema_update_user, false, "{\"shortName\":[\"x\"]}",
     UPD "Input [\"x\"] for shortName must be type null or string." U_REF},
    {&schema_update_user, false, "{\"profilePictureURL\":true}",
     UPD "Input true for profilePictureURL must be type null or string." U_REF},
    {&schema_update_user, false, "{\"first_name\":{\"a\":null}}",
     UPD
     "Input {\"a\":null} for first_name must be type null or string." U_REF},
    {&schema_update_user, false, "{\"metadata\":null}",
     UPD "Input null for metadata must be type object." U_REF},
    {&schema_update_user, false, "{\"metadata\":\"{}\"}",
     UPD "Input \"{}\" for metadata must be type object." U_REF},
    {&schema_update_user, false, "{\"addGroups\":\"g1\"}",
     UPD "Input \"g1\" for addGroups must be type array." U_REF},
    {&schema_update_user, false, "{\"addGroups\":[1,null,\"g\",{}]}",
     UPD "Input 1 for addGroups/0 must be type string,\n"
         "Input null for addGroups/1 must be type string,\n"
         "Input {} for addGroups/3 must be type string." U_REF},
    {&schema_update_group, false, "{\"name\":null}",
     UPG "Input null for name must be type string." G_REF},
    {&schema_create_user, false, "{\"id\":null}",
     CRU "Input null for id must be type string or number." U_REF},
    {&schema_create_user, false, "{\"id\":false}",
     CRU "Input false for id must be type string or number." U_REF},
    {&schema_create_user, false, "{\"id\":{}}",
     CRU "Input {} for id must be type string or number." U_REF},
    {&schema_update_user, false,
     "{\"metadata\":{\"s\":\"\",\"n\":-1.5,\"b\":false,\"t\":true}}", NULL},
    {&schema_update_user, false, "{\"metadata\":{}}", NULL},
    {&schema_update_user, false, "{\"metadata\":{\"a\":[1]}}",
     UPD "Input [1] for metadata/a " FLAT "." U_REF},
    /* Numbers in JavaScript's form. */
    {&schema_update_group, false, "{\"name\":1e21}",
     UPG "Input 1e+21 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":1E2}",
     UPG "Input 100 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":1.50}",
     UPG "Input 1.5 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":-0}",
     UPG "Input 0 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":0.1}",
     UPG "Input 0.1 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":1e-7}",
     UPG "Input 1e-7 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":0.000001}",
     UPG "Input 0.000001 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":-1.5e-10}",
     UPG "Input -1.5e-10 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":100000000000000000000}",
     UPG "Input 100000000000000000000 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":123456789012345678901234}",
     UPG "Input 1.2345678901234569e+23 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":12345678901234567890}",
     UPG "Input 12345678901234567000 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":9007199254740993}",
     UPG "Input 9007199254740992 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":5e-324}",
     UPG "Input 5e-324 for name must be type string." G_REF},
    {&schema_update_group, false, "{\"name\":1.7976931348623157e308}",
     UPG "Input 1.7976931348623157e+308 for name must be type string." G_REF},
    /* 1e400 is Infinity: not a number to ajv (strictNumbers), and
     * JSON.stringify writes it as null. */
    {&schema_update_group, false, "{\"name\":1e400}",
     UPG "Input null for name must be type string." G_REF},
    {&schema_batch, false, "{\"users\":[{\"id\":1e400}]}",
     BAT "Input null for users/0/id must be type string or number." B_REF},
    {&schema_update_user, false, "{\"metadata\":{\"a\":-1e400}}",
     UPD "Input null for metadata/a " FLAT "." U_REF},
    {&schema_create_org, false, "{\"n\":1e21}",
     ORG "Input {\"n\":1e+21} requires fields: id and name,\n"
         "Input {\"n\":1e+21} has unexpected field: n."},
    /* Number ids are valid, whatever their size or form. */
    {&schema_group_members, false,
     "{\"add\":[1,1.5,-0,1e21,1e-7,12345678901234567890],\"remove\":[]}", NULL},
    /* Strings as JSON.stringify escapes them. */
    {&schema_update_user, false, "{\"email\":\"q\\\"b\\\\s\\n\\u001f\"}",
     UPD "Input \"q\\\"b\\\\s\\n\\u001f\" for email must match format "
         "\"email\"." U_REF},
    {&schema_update_user, false, "{\"email\":\"\\u2028\\u00e9\"}",
     UPD "Input \"\xe2\x80\xa8\xc3\xa9\" for email must match format "
         "\"email\"." U_REF},
};

Test(schema, types_and_values)
{
    CHECK_ALL(type_cases);
}

/* Lengths are code points; a surrogate pair is one character to ajv. */
static const struct vec length_cases[] = {
    {&schema_create_user, false, "{\"id\":\"" A128 "\"}", NULL},
    {&schema_create_user, false, "{\"id\":\"" E128 "\"}", NULL},
    {&schema_create_user, false, "{\"id\":\"" U2_128 "\"}", NULL},
    {&schema_create_user, false, "{\"id\":\"a\"}", NULL},
    {&schema_create_user, false, "{\"id\":\"" E129 "\"}",
     CRU "Input \"" E129 "\" for id must NOT have more than 128 "
         "characters." U_REF},
    {&schema_create_user, false, "{\"id\":\"" U2_128 "a\"}",
     CRU "Input \"" U2_128 "a\" for id must NOT have more than 128 "
         "characters." U_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"group_id\":\"\",\"organization_id\":\"" A129 "\"}",
     TOK
     "Input \"" A129 "\" for organization_id must NOT have more than 128 "
     "characters,\n"
     "Input \"\" for group_id must NOT have fewer than 1 characters." T_REF},
    /* Group and user names have no length limit. */
    {&schema_update_group, false, "{\"name\":\"\"}", NULL},
    {&schema_update_user, false, "{\"name\":\"" A129 A129 "\"}", NULL},
};

Test(schema, lengths)
{
    CHECK_ALL(length_cases);
}

/* ajv-formats full email and uri; email "" is allowed (Cord's override). */
static const struct vec format_cases[] = {
    {&schema_update_user, false, "{\"email\":\"winne@the.pooh\"}", NULL},
    {&schema_update_user, false, "{\"email\":\"A.B+c@Example.COM\"}", NULL},
    {&schema_update_user, false, "{\"email\":\"a!#$%&'*+/=?^_`{|}~-b@x.io\"}",
     NULL},
    {&schema_update_user, false, "{\"email\":null}", NULL},
    {&schema_update_user, false, "{\"email\":\"a@b\"}",
     UPD "Input \"a@b\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false, "{\"email\":\"a..b@x.io\"}",
     UPD "Input \"a..b@x.io\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false, "{\"email\":\"a@-x.io\"}",
     UPD "Input \"a@-x.io\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false, "{\"email\":\"a b@x.io\"}",
     UPD "Input \"a b@x.io\" for email must match format \"email\"." U_REF},
    /* JavaScript's $ does not match before a final newline. */
    {&schema_update_user, false, "{\"email\":\"a@x.io\\n\"}",
     UPD "Input \"a@x.io\\n\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false,
     "{\"profilePictureURL\":\"https://x.com/a.png\"}", NULL},
    {&schema_update_user, false, "{\"profile_picture_url\":\"mailto:x\"}",
     NULL},
    {&schema_update_user, false,
     "{\"profilePictureURL\":\"https://x.com/a%20b.png\"}", NULL},
    {&schema_update_user, false, "{\"profilePictureURL\":null}", NULL},
    {&schema_update_user, false,
     "{\"profilePictureURL\":\"https://x.com/a b.png\"}",
     UPD "Input \"https://x.com/a b.png\" for profilePictureURL must match "
         "format \"uri\"." U_REF},
    {&schema_update_user, false, "{\"profilePictureURL\":\"/a/b.png\"}",
     UPD "Input \"/a/b.png\" for profilePictureURL must match format "
         "\"uri\"." U_REF},
    {&schema_update_user, false, "{\"profilePictureURL\":\"\"}",
     UPD "Input \"\" for profilePictureURL must match format \"uri\"." U_REF},
};

Test(schema, formats)
{
    CHECK_ALL(format_cases);
}

/* ---- The seeds' email rule ---- */

static const struct vec seed_cases[] = {
    {&schema_create_user, true, "{\"name\":\"x\"}",
     CRU "Input {\"name\":\"x\"} requires fields: id and email." U_REF},
    {&schema_create_user, false, "{\"name\":\"x\"}",
     CRU "Input {\"name\":\"x\"} requires field: id." U_REF},
    {&schema_create_user, true, "{}",
     CRU "Input {} requires fields: id and email." U_REF},
    {&schema_create_user, true, "{\"id\":\"u\"}",
     CRU "Input {\"id\":\"u\"} requires field: email." U_REF},
    {&schema_create_user, false, "{\"id\":\"u\"}", NULL},
    {&schema_create_user, true, "{\"id\":\"u\",\"email\":null}",
     CRU "Input null for email must match format \"email\"." U_REF},
    {&schema_create_user, false, "{\"id\":\"u\",\"email\":null}", NULL},
    {&schema_create_user, true, "{\"id\":\"u\",\"email\":\"\"}",
     CRU "Input \"\" for email must match format \"email\"." U_REF},
    {&schema_create_user, false, "{\"id\":\"u\",\"email\":\"\"}", NULL},
    {&schema_create_user, true, "{\"id\":\"u\",\"email\":\"a@b.co\"}", NULL},
    /* One error per rule, not two. */
    {&schema_create_user, true, "{\"id\":\"u\",\"email\":\"bad\"}",
     CRU "Input \"bad\" for email must match format \"email\"." U_REF},
    {&schema_create_user, true, "{\"id\":\"u\",\"email\":5}",
     CRU "Input 5 for email must be type null or string." U_REF},
    /* In schema order: email's error before id's. */
    {&schema_create_user, true, "{\"id\":\"\",\"email\":\"\"}",
     CRU "Input \"\" for email must match format \"email\",\n"
         "Input \"\" for id must NOT have fewer than 1 characters." U_REF},
    /* Only the create schema has the rule. */
    {&schema_update_user, true, "{}", NULL},
    {&schema_update_user, true, "{\"email\":\"\"}", NULL},
    {&schema_batch, true, "{\"users\":[{\"id\":\"a\"}]}", NULL},
    {&schema_batch, true, "{\"users\":[{\"id\":\"a\",\"email\":null}]}", NULL},
    {&schema_client_token, true, "{\"user_id\":\"u\",\"user_details\":{}}",
     NULL},
};

Test(schema, seed_flag)
{
    CHECK_ALL(seed_cases);
}

/* ---- U+0000, which PostgreSQL text cannot hold ---- */

static const struct vec nul_cases[] = {
    {&schema_update_user, false, "{\"name\":\"a\\u0000b\"}",
     UPD "Input \"a\\u0000b\" for name must match format \"text without "
         "U+0000\"." U_REF},
    /* Not in the enum (and, as every string with U+0000, refused). */
    {&schema_update_user, false, "{\"status\":\"active\\u0000\"}",
     UPD "Input \"active\\u0000\" for status " STATUS_ENUM ",\n"
         "Input \"active\\u0000\" for status must match format \"text "
         "without U+0000\"." U_REF},
    /* A string that fails its own format gets that format's error only. */
    {&schema_update_user, false, "{\"email\":\"a\\u0000@b.co\"}",
     UPD
     "Input \"a\\u0000@b.co\" for email must match format \"email\"." U_REF},
    {&schema_update_user, false,
     "{\"profilePictureURL\":\"https://x.co/\\u0000\"}",
     UPD "Input \"https://x.co/\\u0000\" for profilePictureURL must match "
         "format \"uri\"." U_REF},
    {&schema_create_user, false, "{\"id\":\"a\\u0000\"}",
     CRU "Input \"a\\u0000\" for id must match format \"text without "
         "U+0000\"." U_REF},
    {&schema_update_user, false, "{\"metadata\":{\"k\":\"x\\u0000\"}}",
     UPD "Input \"x\\u0000\" for metadata/k must match format \"text without "
         "U+0000\"." U_REF},
    {&schema_update_user, false, "{\"addGroups\":[\"g\",\"\\u0000\"]}",
     UPD "Input \"\\u0000\" for addGroups/1 must match format \"text without "
         "U+0000\"." U_REF},
    {&schema_batch, false, "{\"groups\":[{\"id\":\"g\",\"name\":\"\\u0000\"}]}",
     BAT "Input \"\\u0000\" for groups/0/name must match format \"text "
         "without U+0000\"." B_REF},
    {&schema_client_token, false, "{\"user_id\":\"\\u0000\"}",
     TOK "Input \"\\u0000\" for user_id must match format \"text without "
         "U+0000\"." T_REF},
    /* Unknown claims are not walked. */
    {&schema_client_token, false, "{\"user_id\":\"u\",\"x\":\"\\u0000\"}",
     NULL},
};

Test(schema, nul_is_refused)
{
    CHECK_ALL(nul_cases);
}

/* ---- ClientAuthTokenData ---- */

static const struct vec token_cases[] = {
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"iat\":1,\"exp\":2,\"nbf\":3,\"anything\":{\"x\":[1]}"
     "}",
     NULL},
    {&schema_client_token, false, "{\"user_id\":103,\"app_id\":\"" UUID "\"}",
     NULL},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"urn:uuid:" UUID "\"}", NULL},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"project_id\":"
     "\"URN:UUID:3F1E7A0C-2B4D-4C5E-8F9A-0B1C2D3E4F5A\"}",
     NULL},
    /* ajv-formats checks the shape, not the version or variant. */
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"00000000-0000-0000-0000-000000000000\","
     "\"project_id\":\"12345678-1234-1234-1234-123456789abc\"}",
     NULL},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"user_details\":{\"name\":\"C One\",\"email\":"
     "\"c1@x.io\",\"addGroups\":[\"g\"]},\"group_id\":\"cg\","
     "\"group_details\":{\"name\":\"CG\",\"members\":[1]},"
     "\"organization_id\":2,\"organization_details\":{\"status\":\"active\"}}",
     NULL},
    {&schema_client_token, false, "{}",
     TOK "Input {} requires field: user_id." T_REF},
    {&schema_client_token, false, "{\"iat\":1}",
     TOK "Input {\"iat\":1} requires field: user_id." T_REF},
    {&schema_client_token, false, "{\"user_id\":null}",
     TOK "Input null for user_id must be type string or number." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"not-a-uuid\"}",
     TOK "Input \"not-a-uuid\" for app_id must match format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"urn:uuid:\"}",
     TOK "Input \"urn:uuid:\" for app_id must match format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"project_id\":\"3f1e7a0c2b4d4c5e8f9a0b1c2d3e4f5a\"}",
     TOK "Input \"3f1e7a0c2b4d4c5e8f9a0b1c2d3e4f5a\" for project_id must match "
         "format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"{" UUID "}\"}",
     TOK "Input \"{" UUID "}\" for app_id must match format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"" UUID "\\n\"}",
     TOK "Input \"" UUID "\\n\" for app_id must match format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"app_id\":\"3f1e7a0c-2b4d-4c5e-8f9a-0b1c2d3e4f5g\"}",
     TOK "Input \"3f1e7a0c-2b4d-4c5e-8f9a-0b1c2d3e4f5g\" for app_id must match "
         "format \"uuid\"." T_REF},
    {&schema_client_token, false, "{\"user_id\":\"u\",\"project_id\":5}",
     TOK "Input 5 for project_id must be type string." T_REF},
    {&schema_client_token, false,
     "{\"project_id\":\"x\",\"app_id\":\"y\",\"user_id\":\"u\"}",
     TOK "Input \"y\" for app_id must match format \"uuid\",\n"
         "Input \"x\" for project_id must match format \"uuid\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"group_details\":{\"members\":[\"\"]}}",
     TOK "Input \"\" for group_details/members/0 must NOT have fewer than 1 "
         "characters." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"organization_details\":{\"id\":\"x\"}}",
     TOK "Input {\"id\":\"x\"} has unexpected field: id." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"user_details\":{\"email\":\"a@b\"}}",
     TOK "Input \"a@b\" for user_details/email must match format "
         "\"email\"." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"user_details\":{\"metadata\":{\"k\":[]}}}",
     TOK "Input [] for user_details/metadata/k " FLAT "." T_REF},
    {&schema_client_token, false, "{\"user_id\":\"u\",\"user_details\":null}",
     TOK "Input null for user_details must be type object." T_REF},
    {&schema_client_token, false,
     "{\"user_id\":\"u\",\"group_details\":{\"name\":null}}",
     TOK "Input null for group_details/name must be type string." T_REF},
};

Test(schema, client_token)
{
    CHECK_ALL(token_cases);
    cr_expect_eq(schema_client_token.error, CG_ERR_INVALID_SESSION_TOKEN);
    cr_expect_eq(schema_update_user.error, CG_ERR_INVALID_REQUEST);
    cr_expect_eq(schema_batch.error, CG_ERR_INVALID_REQUEST);
}

/* ---- Not an object ---- */

static const struct vec not_object_cases[] = {
    {&schema_update_user, false, "[]", UPD "Expected JSON object." U_REF},
    {&schema_update_user, false, "[{}]", UPD "Expected JSON object." U_REF},
    {&schema_update_user, false, "\"x\"", UPD "Expected JSON object." U_REF},
    {&schema_update_user, false, "null", UPD "Expected JSON object." U_REF},
    {&schema_update_user, false, "3", UPD "Expected JSON object." U_REF},
    {&schema_update_user, false, "true", UPD "Expected JSON object." U_REF},
    {&schema_create_user, true, "[]", CRU "Expected JSON object." U_REF},
    {&schema_delete_user, false, "false", DEL "Expected JSON object." U_REF},
    {&schema_create_org, false, "[]", ORG "Expected JSON object."},
    {&schema_update_group, false, "\"\"", UPG "Expected JSON object." G_REF},
    {&schema_group_members, false, "[1]", MEM "Expected JSON object." G_REF},
    {&schema_batch, false, "0", BAT "Expected JSON object." B_REF},
    {&schema_client_token, false, "null", TOK "Expected JSON object." T_REF},
};

Test(schema, not_an_object)
{
    CHECK_ALL(not_object_cases);
    cr_expect_str_eq(schema_not_object(&schema_batch, arena),
                     BAT "Expected JSON object." B_REF);
    cr_expect_str_eq(schema_not_object(&schema_create_org, arena),
                     ORG "Expected JSON object.");
}

/* ---- Valid bodies ---- */

static const struct vec valid_cases[] = {
    {&schema_update_user, false, "{}", NULL},
    {&schema_update_user, false,
     "{\"name\":null,\"metadata\":{\"a\":\"x\",\"b\":1.5,\"c\":false},"
     "\"status\":\"deleted\",\"email\":\"\",\"shortName\":\"s\","
     "\"short_name\":null,\"profilePictureURL\":\"https://x.com/a.png\","
     "\"profile_picture_url\":null,\"first_name\":\"f\",\"last_name\":null,"
     "\"addGroups\":[\"g1\"],\"removeGroups\":[]}",
     NULL},
    {&schema_create_user, true,
     "{\"id\":\"u\",\"email\":\"u@x.io\",\"name\":\"\",\"status\":\"active\"}",
     NULL},
    {&schema_create_user, false, "{\"id\":1.5}", NULL},
    {&schema_update_group, false, "{}", NULL},
    {&schema_update_group, false,
     "{\"name\":\"\",\"metadata\":{},\"status\":\"active\","
     "\"members\":[1,\"u\",1e21]}",
     NULL},
    {&schema_create_org, false, "{\"id\":0,\"name\":\"\",\"members\":[]}",
     NULL},
    {&schema_group_members, false, "{}", NULL},
    {&schema_group_members, false, "{\"add\":[\"a\",2],\"remove\":[]}", NULL},
    {&schema_batch, false, "{}", NULL},
    {&schema_batch, false,
     "{\"users\":[{\"id\":\"a\",\"email\":\"\",\"metadata\":{\"k\":1}}],"
     "\"organizations\":[],\"groups\":[{\"id\":1,\"name\":\"g\","
     "\"members\":[\"a\"],\"status\":\"deleted\"}]}",
     NULL},
    {&schema_client_token, false, "{\"user_id\":\"u\"}", NULL},
};

Test(schema, valid_bodies)
{
    CHECK_ALL(valid_cases);
}

/*
 * What ajv really sees: Node's JSON.parse puts integer-like keys first, in
 * numeric order, and JSON.stringify writes a lone surrogate as \ud800.
 */
static const struct vec js_cases[] = {
    {&schema_update_user, false, "{\"b\":1,\"2\":1,\"1\":1}",
     UPD "Input {\"1\":1,\"2\":1,\"b\":1} has unexpected fields: 1, 2 and "
         "b." U_REF},
    {&schema_update_user, false, "{\"metadata\":{\"b\":null,\"7\":null}}",
     UPD "Input null for metadata/7 " FLAT ",\n"
         "Input null for metadata/b " FLAT "." U_REF},
    /* A lone surrogate is U+FFFD once parsed (json.h), so the message
     * quotes that where Node's JSON.stringify would write "\ud800": the
     * one place a message is not Cord's byte for byte (README). */
    {&schema_update_user, false, "{\"email\":\"\\ud800\"}",
     UPD "Input \"\xef\xbf\xbd\" for email must match format \"email\"." U_REF},
};

Test(schema, javascript_objects_and_strings)
{
    CHECK_ALL(js_cases);
}

/* ---- Out of memory: CG_ERR_INTERNAL or the whole message ---- */

static void
exhaust(const struct vec *v)
{
    struct json_object *o = parse_str(v->body);
    bool done = false;

    for (size_t cap = 0; cap <= 65536 && !done; cap += cap < 4096 ? 8 : 256) {
        for (size_t block = 64; block <= 4096; block *= 8) {
            struct arena *small = arena_create(block, cap);
            const char *msg = "(untouched)";
            enum cg_err rc;

            cr_assert_not_null(small);
            rc = schema_check(v->s, small, o, v->seed, &msg);
            if (rc == CG_ERR_INTERNAL) {
                cr_expect_null(msg, "cap %zu: %s: message %s", cap, v->body,
                               msg ? msg : "");
            } else if (v->want == NULL) {
                cr_expect_eq(rc, CG_ERR_OK, "cap %zu: %s: rc %d", cap, v->body,
                             rc);
                cr_expect_null(msg);
                done = true;
            } else {
                cr_expect_eq(rc, v->s->error, "cap %zu: %s: rc %d", cap,
                             v->body, rc);
                cr_expect(msg != NULL && strcmp(msg, v->want) == 0,
                          "cap %zu block %zu: %s\n got: %s\nwant: %s", cap,
                          block, v->body, msg ? msg : "(null)", v->want);
                done = true;
            }
            arena_destroy(small);
        }
    }
    cr_expect(done, "%s never succeeded", v->body);
}

static const struct vec exhaust_cases[] = {
    {&schema_batch, false,
     "{\"x\":1,\"groups\":[{\"id\":\"g\",\"members\":[true]},{\"name\":\"h\"}],"
     "\"users\":[{\"id\":\"a\",\"email\":\"x\",\"q\":1},{}]}",
     BAT "Input \"x\" for users/0/email must match format \"email\",\n"
         "Input true for groups/0/members/0 must be type string or number,\n"
         "Input {} requires field: id,\n"
         "Input {\"name\":\"h\"} requires field: id,\n"
         "Input {\"x\":1,\"groups\":[{\"id\":\"g\",\"members\":[true]},"
         "{\"name\":\"h\"}],\"users\":[{\"id\":\"a\",\"email\":\"x\",\"q\":1},"
         "{}]} has unexpected field: x,\n"
         "Input {\"id\":\"a\",\"email\":\"x\",\"q\":1} has unexpected field: "
         "q." B_REF},
    {&schema_update_user, false,
     "{\"removeGroups\":[1],\"last_name\":2,\"profile_picture_url\":\"no\","
     "\"email\":3,\"status\":null,\"metadata\":{\"a/b\":[]},\"name\":false,"
     "\"zz\":1,\"yy\":2,\"xx\":\"" A129 "\"}",
     UPD "Input false for name must be type null or string,\n"
         "Input [] for metadata/a~1b " FLAT ",\n"
         "Input null for status must be type string,\n"
         "Input null for status " STATUS_ENUM ",\n"
         "Input 3 for email must be type null or string,\n"
         "Input \"no\" for profile_picture_url must match format \"uri\",\n"
         "Input 2 for last_name must be type null or string,\n"
         "Input 1 for removeGroups/0 must be type string,\n"
         "Input {\"removeGroups\":[1],\"last_name\":2,\"profile_picture_url\":"
         "\"no\",\"email\":3,\"status\":null,\"metadata\":{\"a/b\":[]},"
         "\"name\":false,\"zz\":1,\"yy\":2,\"xx\":\"" A129 "\"} has unexpected "
         "fields: zz, yy and xx." U_REF},
    {&schema_create_user, true, "{\"id\":\"" A129 "\",\"email\":\"\"}",
     CRU "Input \"\" for email must match format \"email\",\n"
         "Input \"" A129 "\" for id must NOT have more than 128 "
         "characters." U_REF},
    {&schema_create_org, false, "{\"q\":\"a\\u0000\"}",
     ORG "Input {\"q\":\"a\\u0000\"} requires fields: id and name,\n"
         "Input {\"q\":\"a\\u0000\"} has unexpected field: q."},
    {&schema_client_token, false,
     "{\"app_id\":\"x\",\"user_details\":{\"status\":\"y\"}}",
     TOK "Input \"x\" for app_id must match format \"uuid\",\n"
         "Input \"y\" for user_details/status " STATUS_ENUM ",\n"
         "Input {\"app_id\":\"x\",\"user_details\":{\"status\":\"y\"}} "
         "requires field: user_id." T_REF},
    {&schema_batch, false, "[1,2,3]", BAT "Expected JSON object." B_REF},
    {&schema_update_user, false,
     "{\"name\":\"n\",\"metadata\":{\"a\":1,\"b\":\"x\"},\"addGroups\":[\"a\","
     "\"b\"]}",
     NULL},
};

Test(schema, exhausted_arena)
{
    for (size_t i = 0; i < sizeof(exhaust_cases) / sizeof(exhaust_cases[0]);
         i++) {
        /* The full-size message first, so a wrong want is not blamed on
         * the arena. */
        check_one(&exhaust_cases[i], i);
        exhaust(&exhaust_cases[i]);
    }
}

Test(schema, exhausted_arena_helpers)
{
    struct json_object *o = parse_str("{\"id\":\"g9\",\"m\":{\"a\":[1,2]}}");
    const char *want_req =
        ORG "Input {\"id\":\"g9\",\"m\":{\"a\":[1,2]}} requires field: name.";
    const char *want_obj = UPD "Expected JSON object." U_REF;
    bool req_ok = false, obj_ok = false;

    for (size_t cap = 0; cap <= 8192; cap += 8) {
        struct arena *small = arena_create(64, cap);
        const char *m;

        cr_assert_not_null(small);
        m = schema_requires(&schema_create_org, small, o, "name");
        if (m != NULL) {
            cr_expect_str_eq(m, want_req, "cap %zu", cap);
            req_ok = true;
        }
        m = schema_not_object(&schema_update_user, small);
        if (m != NULL) {
            cr_expect_str_eq(m, want_obj, "cap %zu", cap);
            obj_ok = true;
        }
        arena_destroy(small);
    }
    cr_expect(req_ok);
    cr_expect(obj_ok);
}

/* ---- Typed reads ---- */

Test(schema, text_and_has)
{
    struct json_object *o = parse_str(
        "{\"a\":\"x\",\"b\":null,\"c\":1,\"d\":\"\",\"e\":\"p\\u0000q\"}");

    cr_expect_str_eq(schema_text(o, "a"), "x");
    cr_expect_null(schema_text(o, "b"));
    cr_expect_null(schema_text(o, "c"));
    cr_expect_str_eq(schema_text(o, "d"), "");
    cr_expect_null(schema_text(o, "zz"));
    cr_expect_not_null(schema_text(o, "e"));
    cr_expect(schema_has(o, "a"));
    cr_expect(schema_has(o, "b"), "null is present");
    cr_expect(schema_has(o, "d"));
    cr_expect_not(schema_has(o, "zz"));
    cr_expect_not(schema_has(o, "A"));
}

Test(schema, ids_in_javascript_form)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"\"u1\"", "u1"},
        {"\"\"", ""},
        {"103", "103"},
        {"-7", "-7"},
        {"1e21", "1e+21"},
        {"1.5", "1.5"},
        {"-0", "0"},
        {"1e-7", "1e-7"},
        {"100", "100"},
        {"1E2", "100"},
        {"0.1", "0.1"},
        {"123456789012345678901234", "1.2345678901234569e+23"},
        {"12345678901234567890", "12345678901234567000"},
        {"9007199254740993", "9007199254740992"},
        {"9007199254740991", "9007199254740991"},
        {"100000000000000000000", "100000000000000000000"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *v = parse_str(cases[i].json);
        const char *got = schema_id(arena, v);

        cr_expect(got != NULL && strcmp(got, cases[i].want) == 0,
                  "%s: got %s, want %s", cases[i].json, got ? got : "(null)",
                  cases[i].want);
    }
}

Test(schema, id_lists)
{
    struct json_object *o =
        parse_str("{\"m\":[\"a\",1,1e21,1.5],\"e\":[],\"s\":\"x\"}");
    const char *const *ids;
    int n = -1;

    ids = schema_ids(arena, o, "m", &n);
    cr_assert_not_null(ids);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(ids[0], "a");
    cr_expect_str_eq(ids[1], "1");
    cr_expect_str_eq(ids[2], "1e+21");
    cr_expect_str_eq(ids[3], "1.5");
    cr_expect_null(ids[4]);
    n = -1;
    ids = schema_ids(arena, o, "e", &n);
    cr_expect_not_null(ids, "an empty list is a list");
    cr_expect_eq(n, 0);
    n = -1;
    cr_expect_null(schema_ids(arena, o, "zz", &n));
    cr_expect_eq(n, 0);
    n = -1;
    cr_expect_null(schema_ids(arena, o, "s", &n));
    cr_expect_eq(n, 0);
}

Test(schema, metadata_text)
{
    struct json_object *o = parse_str(
        "{\"metadata\":{\"a\":1e21,\"b\":\"x\\\"y\",\"c\":true,\"d\":-0,"
        "\"e\":\"\\u00e9\"},\"empty\":{},\"nul\":null,\"arr\":[1]}");

    cr_expect_str_eq(schema_metadata(arena, o, "metadata"),
                     "{\"a\":1e+21,\"b\":\"x\\\"y\",\"c\":true,\"d\":0,"
                     "\"e\":\"\xc3\xa9\"}");
    cr_expect_str_eq(schema_metadata(arena, o, "empty"), "{}");
    cr_expect_null(schema_metadata(arena, o, "nul"));
    cr_expect_null(schema_metadata(arena, o, "arr"));
    cr_expect_null(schema_metadata(arena, o, "zz"));
}
