/* The users API: POST /v1/users, PUT|GET|DELETE /v1/users/<ID>, GET
 * /v1/users (cord-api.md 6, with DESIGN.md 1's required email). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cordgate/arena.h"
#include "cordgate/context.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/router.h"
#include "cordgate/store.h"
#include "cordgate/users.h"
#include "cordgate/validate.h"

#define USERS_REFER   "https://docs.cord.com/rest-apis/users/"
#define CREATE_TYPE   "CreatePlatformUserVariables"
#define UPDATE_TYPE   "UpdatePlatformUserVariables"
#define DELETE_TYPE   "DeleteUserVariables"
#define ID_MAX_BODY   128 /* the schema's maxLength for ids in bodies */
#define ID_MAX_PATH   320 /* isValidExternalID */
#define PAGE_DEFAULT  1000
#define PAGE_MAX      1000
#define MAX_GROUP_IDS 1000

static enum cg_err
fail_schema(struct request *r, struct schema_errors *se, const char *type)
{
    const char *m = schema_errors_message(se, type, USERS_REFER);

    if (m == NULL)
        return CG_ERR_INTERNAL;
    r->error_message = m;
    return CG_ERR_INVALID_REQUEST;
}

/* The instance path of key under prefix (NULL: the top level). */
static const char *
at(struct request *r, const char *prefix, const char *key)
{
    return prefix ? schema_path(r->arena, prefix, key) : key;
}

/* null or a string; *out is NULL for null. */
static void
nullable_string(struct schema_errors *se, struct json_object *v,
                const char *key, const char **out)
{
    if (json_object_is_type(v, json_type_null)) {
        *out = NULL;
        return;
    }
    if (!json_object_is_type(v, json_type_string)) {
        schema_error_type(se, v, key, "string or null");
        return;
    }
    if (json_string_has_nul(v)) {
        schema_error_format(se, v, key, SCHEMA_NO_NUL);
        return;
    }
    *out = json_object_get_string(v);
}

static void
check_group_ids(struct schema_errors *se, struct arena *a,
                struct json_object *v, const char *key, const char *const **out,
                int *n)
{
    const char **ids;
    size_t i, len;

    if (!json_object_is_type(v, json_type_array)) {
        schema_error_type(se, v, key, "array");
        return;
    }
    len = json_object_array_length(v);
    if (len > MAX_GROUP_IDS) {
        schema_error_max_items(se, len, MAX_GROUP_IDS);
        return;
    }
    ids = arena_calloc(a, len + 1, sizeof(*ids));
    if (ids == NULL)
        return;
    for (i = 0; i < len; i++) {
        struct json_object *item = json_object_array_get_idx(v, i);
        char idx[24];

        snprintf(idx, sizeof(idx), "%zu", i);
        if (!json_object_is_type(item, json_type_string))
            schema_error_type(se, item, schema_path(a, key, idx), "string");
        else if (json_string_has_nul(item))
            schema_error_format(se, item, schema_path(a, key, idx),
                                SCHEMA_NO_NUL);
        else
            ids[i] = json_object_get_string(item);
    }
    *out = ids;
    *n = (int)len;
}

static bool
is_user_field(const char *key, bool with_groups)
{
    static const char *const fields[] = {
        "name",       "shortName",         "short_name",          "email",
        "status",     "profilePictureURL", "profile_picture_url", "metadata",
        "first_name", "last_name",
    };
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(fields); i++)
        if (strcmp(key, fields[i]) == 0)
            return true;
    return with_groups &&
           (strcmp(key, "addGroups") == 0 || strcmp(key, "removeGroups") == 0);
}

/*
 * The user fields of a create or update body, checked field by field in the
 * schema's order into se; c gets what the body says.
 */
static void
read_user_fields(struct request *r, struct schema_errors *se,
                 const char *prefix, struct json_object *body, bool with_groups,
                 struct user_change *c)
{
    struct json_object *v;
    const char *s, *camel = NULL, *snake = NULL;
    bool has_camel, has_snake;

    if (json_get(body, "name", &v)) {
        nullable_string(se, v, at(r, prefix, "name"), &c->name);
        c->set_name = c->name != NULL;
    }
    has_camel = json_get(body, "shortName", &v);
    if (has_camel)
        nullable_string(se, v, at(r, prefix, "shortName"), &camel);
    has_snake = json_get(body, "short_name", &v);
    if (has_snake)
        nullable_string(se, v, at(r, prefix, "short_name"), &snake);
    /* shortName ?? short_name */
    c->short_name = camel ? camel : snake;
    c->set_short_name = c->short_name != NULL;
    if (json_get(body, "email", &v)) {
        s = NULL;
        nullable_string(se, v, at(r, prefix, "email"), &s);
        if (s != NULL && s[0] != '\0' && !validate_email(s, strlen(s)))
            schema_error_format(se, v, at(r, prefix, "email"), "email");
        c->email = s;
        c->set_email = s != NULL;
    }
    if (json_get(body, "status", &v)) {
        if (!json_object_is_type(v, json_type_string))
            schema_error_type(se, v, at(r, prefix, "status"), "string");
        s = json_object_get_string(v);
        if (!json_object_is_type(v, json_type_string) ||
            json_string_has_nul(v) ||
            (strcmp(s, "active") != 0 && strcmp(s, "deleted") != 0))
            schema_error_enum(se, v, at(r, prefix, "status"),
                              "active or deleted");
        c->status = s;
        c->set_status = true;
    }
    camel = snake = NULL;
    has_camel = json_get(body, "profilePictureURL", &v);
    if (has_camel) {
        nullable_string(se, v, at(r, prefix, "profilePictureURL"), &camel);
        if (camel != NULL && !validate_uri(camel, strlen(camel)))
            schema_error_format(se, v, at(r, prefix, "profilePictureURL"),
                                "uri");
    }
    has_snake = json_get(body, "profile_picture_url", &v);
    if (has_snake) {
        nullable_string(se, v, at(r, prefix, "profile_picture_url"), &snake);
        if (snake != NULL && !validate_uri(snake, strlen(snake)))
            schema_error_format(se, v, at(r, prefix, "profile_picture_url"),
                                "uri");
    }
    /* profilePictureURL ?? profile_picture_url: a given null clears it
     * only when it comes from the snake_case name (Cord's quirk). */
    c->picture = camel ? camel : snake;
    c->set_picture = c->picture != NULL || (has_snake && snake == NULL);
    if (json_get(body, "metadata", &v)) {
        schema_check_metadata(se, r->arena, at(r, prefix, "metadata"), v,
                              &c->metadata);
        c->set_metadata = c->metadata != NULL;
    }
    if (json_get(body, "first_name", &v))
        nullable_string(se, v, at(r, prefix, "first_name"), &s);
    if (json_get(body, "last_name", &v))
        nullable_string(se, v, at(r, prefix, "last_name"), &s);
    if (with_groups && json_get(body, "addGroups", &v))
        check_group_ids(se, r->arena, v, at(r, prefix, "addGroups"),
                        &c->add_groups, &c->n_add);
    if (with_groups && json_get(body, "removeGroups", &v))
        check_group_ids(se, r->arena, v, at(r, prefix, "removeGroups"),
                        &c->remove_groups, &c->n_remove);
}

/* Keys of body that the type does not have, in input order. */
static void
check_unexpected(struct request *r, struct schema_errors *se,
                 struct json_object *body, bool with_groups, bool with_id)
{
    const char **keys;
    size_t n = 0;

    keys = arena_calloc(r->arena, (size_t)json_object_object_length(body) + 1,
                        sizeof(*keys));
    if (keys == NULL)
        return;
    json_object_object_foreach(body, key, value)
    {
        (void)value;
        if (!is_user_field(key, with_groups) &&
            !(with_id && strcmp(key, "id") == 0))
            keys[n++] = key;
    }
    if (n > 0)
        schema_error_unexpected(se, body, keys, n);
}

static enum cg_err
invalid_id(struct request *r, const char *field)
{
    return request_fail(r, CG_ERR_INVALID_FIELD,
                        "Input type for %s is not valid, expected "
                        "identifier.",
                        field);
}

/* The path id as a C string, or NULL when it breaks isValidExternalID. */
static const char *
path_id(struct request *r)
{
    struct str id = r->params[0];

    if (!validate_external_id(id.p, id.len, ID_MAX_PATH))
        return NULL;
    return arena_strndup(r->arena, id.p, id.len);
}

static enum cg_err
answer_write(struct request *r, enum user_write result, const char *id,
             const char *missing_group, struct json_object *body,
             const char *type)
{
    struct schema_errors se;
    static const char *const email[] = {"email"};
    const char *msg;

    switch (result) {
    case USER_CREATED:
    case USER_UPDATED:
        break;
    case USER_EXISTS:
        return request_fail(r, CG_ERR_USER_ALREADY_EXISTS,
                            "The platform user with id %s already exists, to "
                            "update user please make a PUT request to "
                            "users/<USER_ID>.",
                            id);
    case USER_NEEDS_EMAIL:
        /* The seed's rule: a user is created with an email. */
        schema_errors_init(&se, r->arena);
        schema_error_required(&se, body, email, 1);
        return fail_schema(r, &se, type);
    case USER_GROUP_MISSING:
        return request_fail(r, CG_ERR_GROUP_NOT_FOUND, "Group %s not found.",
                            missing_group);
    }
    msg = arena_printf(r->arena, "\xe2\x9c\x85 You successfully %s user %s",
                       result == USER_CREATED ? "created" : "updated", id);
    if (msg == NULL ||
        buf_append_str(&r->out, "{\"success\":true,\"message\":") != 0 ||
        buf_append_json_string(&r->out, msg, strlen(msg)) != 0 ||
        buf_append_char(&r->out, '}') != 0)
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_users_post(struct request *r)
{
    static const char *const required[] = {"id", "email"};
    struct json_object *body = r->json, *v;
    struct user_change c;
    struct schema_errors se;
    const char *missing[2], *id = NULL, *group = NULL;
    size_t nmissing = 0, i, id_len = 0;
    enum user_write result;
    struct buf idbuf;
    enum cg_err e;

    if (!json_object_is_type(body, json_type_object))
        return request_fail(
            r, CG_ERR_INVALID_REQUEST, "%s",
            schema_not_object_message(r->arena, CREATE_TYPE, USERS_REFER));
    memset(&c, 0, sizeof(c));
    schema_errors_init(&se, r->arena);
    if (json_get(body, "id", &v)) {
        if (json_object_is_type(v, json_type_string)) {
            size_t n = validate_code_points(json_object_get_string(v),
                                            json_object_get_string_len(v));

            if (n < 1)
                schema_error_min_length(&se, v, "id", 1);
            if (n > ID_MAX_BODY)
                schema_error_max_length(&se, v, "id", ID_MAX_BODY);
            id = json_object_get_string(v);
            id_len = (size_t)json_object_get_string_len(v);
        } else if (json_is_finite_number(v)) {
            /* A number id is its JavaScript string form: 103, 1e+21. */
            buf_init(&idbuf, r->arena, 64);
            if (json_write_compact(&idbuf, v) != 0)
                return CG_ERR_INTERNAL;
            id = idbuf.data;
            id_len = idbuf.len;
        } else {
            schema_error_type(&se, v, "id", "string or number");
        }
    }
    read_user_fields(r, &se, NULL, body, false, &c);
    for (i = 0; i < CG_ARRAY_LEN(required); i++)
        if (!json_get(body, required[i], NULL))
            missing[nmissing++] = required[i];
    /* The seed requires an email to create a user: null and "" are not
     * one. */
    if (json_get(body, "email", &v) &&
        (json_object_is_type(v, json_type_null) ||
         (json_object_is_type(v, json_type_string) &&
          json_object_get_string_len(v) == 0)))
        schema_error_format(&se, v, "email", "email");
    if (nmissing > 0)
        schema_error_required(&se, body, missing, nmissing);
    check_unexpected(r, &se, body, false, true);
    if (schema_errors_any(&se))
        return fail_schema(r, &se, CREATE_TYPE);
    if (!validate_external_id(id, id_len, ID_MAX_PATH))
        return invalid_id(r, "id");
    e = store_user_write(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                         &c, true, &result, &group);
    if (e != CG_ERR_OK)
        return e;
    e = answer_write(r, result, id, group, body, CREATE_TYPE);
    if (e == CG_ERR_OK)
        r->status = 201;
    return e;
}

enum cg_err
handle_user_put(struct request *r)
{
    struct json_object *body = r->json;
    const char *id = path_id(r), *group = NULL;
    struct user_change c;
    struct schema_errors se;
    enum user_write result;
    int i, j;
    enum cg_err e;

    if (id == NULL)
        return invalid_id(r, "userID");
    if (!json_object_is_type(body, json_type_object))
        return request_fail(
            r, CG_ERR_INVALID_REQUEST, "%s",
            schema_not_object_message(r->arena, UPDATE_TYPE, USERS_REFER));
    memset(&c, 0, sizeof(c));
    schema_errors_init(&se, r->arena);
    read_user_fields(r, &se, NULL, body, true, &c);
    check_unexpected(r, &se, body, true, false);
    if (schema_errors_any(&se))
        return fail_schema(r, &se, UPDATE_TYPE);
    /* email "" means "leave it as it is" on PUT. */
    if (c.set_email && c.email[0] == '\0')
        c.set_email = false;
    for (i = 0; i < c.n_add; i++)
        for (j = 0; j < c.n_remove; j++)
            if (strcmp(c.add_groups[i], c.remove_groups[j]) == 0)
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "Adding and removing the same group is "
                                    "invalid.");
    e = store_user_write(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                         &c, false, &result, &group);
    if (e != CG_ERR_OK)
        return e;
    return answer_write(r, result, id, group, body, UPDATE_TYPE);
}

/* The fields GET and list share, in Cord's order, without the braces. */
static int
append_user_fields(struct request *r, const struct user *u)
{
    struct buf *b = &r->out;

    return buf_append_str(b, "\"id\":") ||
           buf_append_json_string(b, u->id, strlen(u->id)) ||
           buf_append_json_field(b, "email", u->email) ||
           buf_append_json_field(b, "status", u->status) ||
           buf_append_json_field(b, "name", u->name) ||
           buf_append_json_field(b, "shortName", u->short_name) ||
           buf_append_json_field(b, "short_name", u->short_name) ||
           buf_append_str(b, ",\"first_name\":null,\"last_name\":null") ||
           buf_append_json_field(b, "profilePictureURL",
                                 u->profile_picture_url) ||
           buf_append_json_field(b, "profile_picture_url",
                                 u->profile_picture_url);
}

enum cg_err
handle_user_get(struct request *r)
{
    const char *id = path_id(r);
    struct user u;
    bool found;
    enum cg_err e;

    if (id == NULL)
        return CG_ERR_INVALID_REQUEST;
    e = store_user_get(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id, &u,
                       &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return CG_ERR_USER_NOT_FOUND_404;
    if (buf_append_char(&r->out, '{') || append_user_fields(r, &u) ||
        buf_append_str(&r->out, ",\"organizations\":") ||
        json_append_compact_text(&r->out, r->arena, u.groups) ||
        buf_append_str(&r->out, ",\"groups\":") ||
        json_append_compact_text(&r->out, r->arena, u.groups) ||
        buf_append_str(&r->out, ",\"metadata\":") ||
        json_append_compact_text(&r->out, r->arena, u.metadata) ||
        buf_append_str(&r->out, ",\"groupIDsWithLinkedSlackProfile\":[]"
                                ",\"createdTimestamp\":") ||
        buf_append_json_string(&r->out, u.created_at, strlen(u.created_at)) ||
        buf_append_char(&r->out, '}'))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
handle_user_delete(struct request *r)
{
    static const char *const required[] = {"permanently_delete"};
    struct json_object *body = r->json, *v;
    struct schema_errors se;
    const char *id;
    bool found;
    enum cg_err e;

    if (!json_object_is_type(body, json_type_object))
        return request_fail(
            r, CG_ERR_INVALID_REQUEST, "%s",
            schema_not_object_message(r->arena, DELETE_TYPE, USERS_REFER));
    schema_errors_init(&se, r->arena);
    if (json_get(body, "permanently_delete", &v) &&
        !json_object_is_type(v, json_type_boolean))
        schema_error_type(&se, v, "permanently_delete", "boolean");
    if (!json_get(body, "permanently_delete", NULL))
        schema_error_required(&se, body, required, 1);
    if (json_object_object_length(body) >
        (json_get(body, "permanently_delete", NULL) ? 1 : 0)) {
        const char **keys = arena_calloc(
            r->arena, (size_t)json_object_object_length(body), sizeof(*keys));
        size_t n = 0;

        if (keys == NULL)
            return CG_ERR_INTERNAL;
        json_object_object_foreach(body, key, value)
        {
            (void)value;
            if (strcmp(key, "permanently_delete") != 0)
                keys[n++] = key;
        }
        schema_error_unexpected(&se, body, keys, n);
    }
    if (schema_errors_any(&se))
        return fail_schema(r, &se, DELETE_TYPE);
    if (!json_object_get_boolean(v))
        return CG_ERR_INVALID_REQUEST;
    id = path_id(r);
    if (id == NULL)
        return invalid_id(r, "userID");
    e = store_user_delete(r->ctx->db, r->arena, r->deadline_ms, r->app->id, id,
                          &found);
    if (e != CG_ERR_OK)
        return e;
    if (!found)
        return request_fail(r, CG_ERR_INVALID_USER_ID, "Invalid user id: %s.",
                            id);
    if (buf_append_str(&r->out, "{\"success\":true,\"message\":\"User "
                                "deleted.\",\"userID\":") ||
        buf_append_json_string(&r->out, id, strlen(id)) ||
        buf_append_str(&r->out, ",\"failedDeletionFileIDs\":[]}"))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

/* parseInt(s, 10): leading space, a sign, digits; the rest ignored. */
static bool
parse_int_prefix(struct str s, long *out, bool *negative)
{
    size_t i = 0;
    long v = 0;
    bool any = false;

    while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n'))
        i++;
    *negative = false;
    if (i < s.len && (s.p[i] == '-' || s.p[i] == '+'))
        *negative = s.p[i++] == '-';
    for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++) {
        any = true;
        if (v < 1000000000L)
            v = v * 10 + (s.p[i] - '0');
    }
    *out = v;
    return any;
}

/* The pagination token: base64 of {"externalID": id}. */
static const char *
decode_page_token(struct request *r, struct str token)
{
    unsigned char *raw = arena_alloc(r->arena, token.len + 4);
    struct json_object *o, *v;
    int n;
    size_t pad = 0;

    if (raw == NULL || token.len == 0 || token.len % 4 != 0)
        return NULL;
    n = EVP_DecodeBlock(raw, (const unsigned char *)token.p, (int)token.len);
    if (n < 0)
        return NULL;
    while (pad < 2 && token.p[token.len - 1 - pad] == '=')
        pad++;
    n -= (int)pad;
    if (json_parse(r->arena, (const char *)raw, (size_t)n, &o) !=
            JSON_PARSE_OK ||
        !json_get(o, "externalID", &v) ||
        !json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) == 0 || json_string_has_nul(v))
        return NULL;
    return json_object_get_string(v);
}

static int
append_page_token(struct request *r, const char *last_id)
{
    struct buf json;
    char *b64;
    int n;

    buf_init(&json, r->arena, 4096);
    if (buf_append_str(&json, "{\"externalID\":") ||
        buf_append_json_string(&json, last_id, strlen(last_id)) ||
        buf_append_char(&json, '}'))
        return -1;
    b64 = arena_alloc(r->arena, (json.len + 2) / 3 * 4 + 1);
    if (b64 == NULL)
        return -1;
    n = EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)json.data,
                        (int)json.len);
    return buf_printf(&r->out, "\"%.*s\"", n, b64);
}

/* filter={"metadata": {...}}: the metadata part as JSON text, or NULL. */
static enum cg_err
read_filter(struct request *r, struct str text, const char **metadata)
{
    struct json_object *o;
    struct buf b;

    *metadata = NULL;
    if (json_parse(r->arena, text.p, text.len, &o) != JSON_PARSE_OK ||
        !json_object_is_type(o, json_type_object))
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "The filter object must be a valid JSON object.");
    json_object_object_foreach(o, key, value)
    {
        if (strcmp(key, "groupID") == 0 || strcmp(key, "organizationID") == 0)
            continue;
        if (strcmp(key, "metadata") != 0)
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "The filter object does not support \"%s\" "
                                "as a field.",
                                key);
        if (!json_object_is_type(value, json_type_object))
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "\"metadata\" must be valid JSON.");
        json_object_object_foreach(value, k, mv)
        {
            (void)k;
            if ((!json_object_is_type(mv, json_type_string) &&
                 !json_object_is_type(mv, json_type_boolean) &&
                 !json_is_finite_number(mv)) ||
                json_string_has_nul(mv))
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "\"metadata\" must be valid JSON.");
        }
        buf_init(&b, r->arena, 1u << 20);
        if (json_write_compact(&b, value) != 0)
            return CG_ERR_INTERNAL;
        *metadata = b.data;
    }
    return CG_ERR_OK;
}

enum cg_err
handle_users_list(struct request *r)
{
    struct str q;
    long limit = PAGE_DEFAULT, total;
    bool negative, more;
    const char *after = NULL, *metadata = NULL;
    struct user *users;
    int i, n;
    enum cg_err e;

    if (http_query_get(r, "limit", &q)) {
        if (http_query_count(r, "limit") > 1 ||
            !parse_int_prefix(q, &limit, &negative))
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "Limit must be a number.");
        if (negative && limit != 0)
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "Limit must not be negative.");
        if (limit > PAGE_MAX)
            limit = PAGE_MAX;
    }
    if (http_query_count(r, "token") > 1)
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Pagination token should be of type string.");
    if (http_query_get(r, "token", &q) &&
        (after = decode_page_token(r, q)) == NULL)
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Pagination token is not valid");
    if (http_query_get(r, "filter", &q) &&
        (e = read_filter(r, q, &metadata)) != CG_ERR_OK)
        return e;
    e = store_user_list(r->ctx->db, r->arena, r->deadline_ms, r->app->id,
                        metadata, after, limit, &users, &n, &more, &total);
    if (e != CG_ERR_OK)
        return e;
    if (buf_append_str(&r->out, "{\"users\":["))
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if ((i > 0 && buf_append_char(&r->out, ',')) ||
            buf_append_char(&r->out, '{') || append_user_fields(r, &users[i]) ||
            buf_append_str(&r->out, ",\"metadata\":") ||
            json_append_compact_text(&r->out, r->arena, users[i].metadata) ||
            buf_append_str(&r->out, ",\"createdTimestamp\":") ||
            buf_append_json_string(&r->out, users[i].created_at,
                                   strlen(users[i].created_at)) ||
            buf_append_char(&r->out, '}'))
            return CG_ERR_INTERNAL;
    if (buf_append_str(&r->out, "],\"pagination\":{\"token\":") ||
        (more && n > 0 ? append_page_token(r, users[n - 1].id)
                       : buf_append_str(&r->out, "null")) ||
        buf_printf(&r->out, ",\"total\":%ld}}", total))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

void
users_read_details(struct request *r, struct schema_errors *se,
                   const char *prefix, struct json_object *details,
                   struct user_change *c)
{
    read_user_fields(r, se, prefix, details, true, c);
    check_unexpected(r, se, details, true, false);
}
