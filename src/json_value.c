/* Reading parsed values: typed lookups, numbers and truthiness as in JS. */
#include "cordgate/json.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "cordgate/arena.h"

bool
json_get(const struct json_object *obj, const char *key,
         struct json_object **out)
{
    return json_object_object_get_ex(obj, key, out);
}

bool
json_get_string(const struct json_object *obj, const char *key, struct str *out)
{
    struct json_object *v;

    return json_object_object_get_ex(obj, key, &v) && json_string(v, out);
}

bool
json_string(struct json_object *o, struct str *out)
{
    if (!json_object_is_type(o, json_type_string))
        return false;
    out->p = json_object_get_string(o);
    out->len = (size_t)json_object_get_string_len(o);
    return true;
}

bool
json_is_number(const struct json_object *o)
{
    return json_object_is_type(o, json_type_int) ||
           json_object_is_type(o, json_type_double);
}

bool
json_is_finite_number(const struct json_object *o)
{
    return json_is_number(o) && isfinite(json_number(o));
}

double
json_number(const struct json_object *o)
{
    int64_t v;

    if (json_object_is_type(o, json_type_double))
        return json_object_get_double(o);
    if (!json_object_is_type(o, json_type_int))
        return 0;
    /* json-c clamps uint64 values above INT64_MAX to it. */
    v = json_object_get_int64(o);
    if (v == INT64_MAX)
        return (double)json_object_get_uint64(o);
    return (double)v;
}

bool
json_is_truthy(const struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return false;
    case json_type_boolean:
        return json_object_get_boolean(v);
    case json_type_int:
    case json_type_double:
        return json_number(v) != 0 && !isnan(json_number(v));
    case json_type_string:
        return json_object_get_string_len(v) > 0;
    case json_type_object:
    case json_type_array:
        return true;
    }
    return false;
}

bool
json_string_has_nul(const struct json_object *v)
{
    return json_object_is_type(v, json_type_string) &&
           strlen(json_object_get_string((struct json_object *)v)) !=
               (size_t)json_object_get_string_len(v);
}

/* Is key an array index, which a JavaScript object lists first: "0", or
 * digits without a leading 0, below 2^32 - 1? */
static bool
array_index(const char *key, uint32_t *value)
{
    uint64_t v = 0;
    size_t i;

    if (key[0] == '\0' || (key[0] == '0' && key[1] != '\0'))
        return false;
    for (i = 0; key[i] != '\0'; i++) {
        if (key[i] < '0' || key[i] > '9' || i >= 10)
            return false;
        v = v * 10 + (uint64_t)(key[i] - '0');
    }
    if (v >= UINT32_MAX)
        return false;
    *value = (uint32_t)v;
    return true;
}

int
json_keys_js(struct arena *a, struct json_object *obj, const char ***out)
{
    size_t n = (size_t)json_object_object_length(obj), k = 0, i, j;
    const char **keys = arena_calloc(a, n + 1, sizeof(*keys));
    uint32_t *index = arena_calloc(a, n + 1, sizeof(*index));
    uint32_t v;

    if (keys == NULL || index == NULL)
        return -1;
    /* The array indices in ascending order (insertion sort: few), then the
     * other keys as inserted. */
    json_object_object_foreach(obj, key, value)
    {
        (void)value;
        if (!array_index(key, &v))
            continue;
        for (i = k; i > 0 && index[i - 1] > v; i--) {
            index[i] = index[i - 1];
            keys[i] = keys[i - 1];
        }
        index[i] = v;
        keys[i] = key;
        k++;
    }
    j = k;
    json_object_object_foreach(obj, key2, value2)
    {
        (void)value2;
        if (!array_index(key2, &v))
            keys[j++] = key2;
    }
    *out = keys;
    return (int)j;
}
