/* The list endpoints' query: ?limit=, ?token= and ?filter=, as Cord reads. */
#include "cordgate/page.h"

#include <json-c/json.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/b64url.h"
#include "cordgate/buf.h"
#include "cordgate/http.h"
#include "cordgate/js.h"
#include "cordgate/json.h"

/*
 * The filter keys Cord's validateFilter knows, in the order it checks
 * them; any other key is refused before these are looked at.  Only metadata
 * filters users; the group keys are accepted and ignored; the others belong
 * to threads and messages.
 */
enum filter_key { FILTER_UNSUPPORTED, FILTER_METADATA, FILTER_GROUP };

static const struct {
    const char *key;
    enum filter_key kind;
} filter_keys[] = {
    {"location", FILTER_UNSUPPORTED},
    {"metadata", FILTER_METADATA},
    {"firstMessageTimestamp", FILTER_UNSUPPORTED},
    {"mostRecentMessageTimestamp", FILTER_UNSUPPORTED},
    {"organizationID", FILTER_GROUP},
    {"groupID", FILTER_GROUP},
    {"authorID", FILTER_UNSUPPORTED},
    {"resolvedStatus", FILTER_UNSUPPORTED},
    {"viewer", FILTER_UNSUPPORTED},
};

static bool
known_filter_key(const char *key)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(filter_keys); i++)
        if (strcmp(filter_keys[i].key, key) == 0)
            return true;
    return false;
}

/* isValidMetadata: an object of strings, finite numbers and booleans. */
static bool
is_flat_metadata(struct json_object *v)
{
    if (!json_object_is_type(v, json_type_object))
        return false;
    json_object_object_foreach(v, key, value)
    {
        (void)key;
        if ((!json_object_is_type(value, json_type_string) &&
             !json_object_is_type(value, json_type_boolean) &&
             !json_is_finite_number(value)) ||
            json_string_has_nul(value))
            return false;
    }
    return true;
}

static enum cg_err
read_filter(struct request *r, struct str text, struct page *out)
{
    struct json_object *o, *v;
    struct buf b;
    size_t i;

    if (json_parse(r->arena, text.p, text.len, &o) != JSON_PARSE_OK ||
        !json_object_is_type(o, json_type_object))
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "The filter object must be a valid JSON object.");
    json_object_object_foreach(o, key, value)
    {
        (void)value;
        if (!known_filter_key(key))
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "The filter object does not support \"%s\" "
                                "as a field.",
                                key);
    }
    for (i = 0; i < CG_ARRAY_LEN(filter_keys); i++) {
        if (!json_object_object_get_ex(o, filter_keys[i].key, &v) ||
            !json_is_truthy(v))
            continue; /* Cord ignores a falsy value */
        switch (filter_keys[i].kind) {
        case FILTER_UNSUPPORTED:
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "The filter object does not support \"%s\" "
                                "as a field.",
                                filter_keys[i].key);
        case FILTER_METADATA:
            if (!is_flat_metadata(v))
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "\"metadata\" must be valid JSON.");
            buf_init(&b, r->arena, 1u << 20);
            if (json_write_compact(&b, v) != 0)
                return CG_ERR_INTERNAL;
            out->metadata = b.data;
            break;
        case FILTER_GROUP:
            if (!json_object_is_type(v, json_type_string))
                return request_fail(r, CG_ERR_INVALID_FIELD,
                                    "\"groupID\" is not valid");
            break;
        }
    }
    return CG_ERR_OK;
}

/*
 * atob's forgiving base64: ASCII white space dropped, "=" padding optional,
 * standard alphabet.  NULL when it is not base64; *len the decoded size.
 */
static char *
atob(struct arena *a, struct str s, size_t *len)
{
    char *url = arena_alloc(a, s.len + 1), *raw;
    size_t i, n = 0;

    if (url == NULL)
        return NULL;
    for (i = 0; i < s.len; i++) {
        char c = s.p[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r')
            continue;
        if (c == '-' || c == '_')
            return NULL;
        url[n++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    if (n % 4 == 0 && n > 0 && url[n - 1] == '=')
        n -= n > 1 && url[n - 2] == '=' ? 2 : 1;
    raw = arena_alloc(a, b64url_decoded_max_len(n) + 1);
    if (raw == NULL ||
        b64url_decode(raw, b64url_decoded_max_len(n), url, n, len) != 0)
        return NULL;
    raw[*len] = '\0';
    return raw;
}

/* JSON.parse(atob(token)) with a non-empty string under every key. */
static const char *
read_token(struct request *r, const struct page_spec *spec, struct str token)
{
    struct json_object *o, *v;
    const char *after = NULL;
    size_t len, i;
    char *raw = atob(r->arena, token, &len);

    if (raw == NULL || json_parse(r->arena, raw, len, &o) != JSON_PARSE_OK)
        return NULL;
    for (i = 0; spec->token_keys[i] != NULL; i++) {
        if (!json_object_object_get_ex(o, spec->token_keys[i], &v) ||
            !json_object_is_type(v, json_type_string) ||
            json_object_get_string_len(v) == 0 || json_string_has_nul(v))
            return NULL;
        after = json_object_get_string(v);
    }
    return after;
}

static enum cg_err
read_limit(struct request *r, const struct page_spec *spec, struct str q,
           long *limit)
{
    bool negative;
    struct str digits;
    size_t i;
    long v = 0;

    digits = js_int_digits(q, &negative);
    if (http_query_count(r, "limit") > 1 || digits.len == 0)
        return request_fail(r, CG_ERR_INVALID_FIELD, "Limit must be a number.");
    for (i = 0; i < digits.len; i++)
        if (v <= spec->limit_max)
            v = v * 10 + (digits.p[i] - '0');
    if (negative && v != 0)
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Limit must not be negative.");
    *limit = v > spec->limit_max ? spec->limit_max : v;
    return CG_ERR_OK;
}

enum cg_err
page_read(struct request *r, const struct page_spec *spec, struct page *out)
{
    struct str q;
    enum cg_err e;

    out->limit = spec->limit_default;
    out->after = NULL;
    out->metadata = NULL;
    if (spec->filter && http_query_get(r, "filter", &q) && q.len > 0) {
        if (http_query_count(r, "filter") > 1)
            return request_fail(r, CG_ERR_INVALID_FIELD,
                                "The filter object must be a valid JSON "
                                "object.");
        if ((e = read_filter(r, q, out)) != CG_ERR_OK)
            return e;
    }
    if (http_query_count(r, "token") > 1)
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Pagination token should be of type string.");
    if (http_query_get(r, "token", &q) && q.len > 0 &&
        (out->after = read_token(r, spec, q)) == NULL)
        return request_fail(r, CG_ERR_INVALID_FIELD,
                            "Pagination token is not valid");
    if (http_query_count(r, "limit") > 1)
        return request_fail(r, CG_ERR_INVALID_FIELD, "Limit must be a number.");
    if (http_query_get(r, "limit", &q) && q.len > 0)
        return read_limit(r, spec, q, &out->limit);
    return CG_ERR_OK;
}

int
page_append_token(struct buf *b, struct request *r,
                  const struct page_spec *spec, const char *last_id)
{
    struct buf json;
    char *text;
    size_t i, n;

    buf_init(&json, r->arena, 1u << 16);
    if (buf_append_char(&json, '{') != 0)
        return -1;
    for (i = 0; spec->token_keys[i] != NULL; i++)
        if ((i > 0 && buf_append_char(&json, ',') != 0) ||
            buf_append_json_string(&json, spec->token_keys[i],
                                   strlen(spec->token_keys[i])) != 0 ||
            buf_append_char(&json, ':') != 0 ||
            buf_append_json_string(&json, last_id, strlen(last_id)) != 0)
            return -1;
    if (buf_append_char(&json, '}') != 0)
        return -1;
    /* btoa: base64url's encoding with the standard alphabet and padding. */
    n = b64url_encoded_len(json.len);
    text = arena_alloc(r->arena, n + 3);
    if (text == NULL)
        return -1;
    b64url_encode(text, json.data, json.len);
    for (i = 0; i < n; i++)
        text[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    while (n % 4 != 0)
        text[n++] = '=';
    return buf_append_char(b, '"') || buf_append(b, text, n) ||
                   buf_append_char(b, '"')
               ? -1
               : 0;
}
