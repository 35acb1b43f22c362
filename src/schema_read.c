/* Typed reads of values that passed their schema: text, ids, metadata. */
#include "cordgate/schema.h"

#include <json-c/json.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"

const char *
schema_text(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

bool
schema_has(struct json_object *obj, const char *key)
{
    return json_object_object_get_ex(obj, key, NULL);
}

const char *
schema_id(struct arena *a, struct json_object *v)
{
    struct buf b;

    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    /* A number id is its JavaScript string form: 103, 1e+21. */
    buf_init(&b, a, 64);
    return json_write_compact(&b, v) == 0 ? b.data : NULL;
}

const char *const *
schema_ids(struct arena *a, struct json_object *obj, const char *key, int *n)
{
    struct json_object *arr;
    const char **ids;
    size_t i, len;

    *n = 0;
    if (!json_object_object_get_ex(obj, key, &arr) ||
        !json_object_is_type(arr, json_type_array))
        return NULL;
    len = json_object_array_length(arr);
    ids = arena_calloc(a, len + 1, sizeof(*ids));
    if (ids == NULL)
        return NULL;
    for (i = 0; i < len; i++)
        if ((ids[i] = schema_id(a, json_object_array_get_idx(arr, i))) == NULL)
            return NULL;
    *n = (int)len;
    return ids;
}

const char *
schema_metadata(struct arena *a, struct json_object *obj, const char *key)
{
    struct json_object *v;
    struct buf b;

    if (!json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    buf_init(&b, a, 1u << 24);
    return json_write_compact(&b, v) == 0 ? b.data : NULL;
}
