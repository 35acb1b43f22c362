/* The one schema validator: walks a table over a value, writes ajv's text. */
#include "cordgate/schema.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"
#include "cordgate/uuid.h"
#include "cordgate/validate.h"

/*
 * Messages quote the offending values, and one body can hold many of them;
 * the request arena's own cap is what really bounds this.
 */
#define MESSAGE_MAX ((size_t)1 << 30)

/* Where a value sits: ajv's instancePath, as a chain up to the root. */
struct path {
    const struct path *up;
    const char *key; /* NULL: an array index */
    size_t index;
};

/*
 * The three kinds of parts, each in the order the walk meets them, which is
 * ajv's: a node's own errors before its children's, properties in the
 * schema's order, array items and map values in the input's.
 */
struct walk {
    struct arena *a;
    struct buf values, required, unexpected;
    bool seed;
    bool nomem;
};

static const char *const type_names[] = {
    [ST_END] = "",          [ST_NULL] = "null",       [ST_STRING] = "string",
    [ST_NUMBER] = "number", [ST_BOOLEAN] = "boolean", [ST_OBJECT] = "object",
    [ST_ARRAY] = "array",
};

static const char *const format_names[] = {
    [SF_NONE] = "",
    [SF_EMAIL] = "email",
    [SF_URI] = "uri",
    [SF_UUID] = "uuid",
};

static bool
is_type(struct json_object *v, enum schema_type t)
{
    switch (t) {
    case ST_END:
        return false;
    case ST_NULL:
        return v == NULL;
    case ST_STRING:
        return json_object_is_type(v, json_type_string);
    case ST_NUMBER:
        /* 1e400 parses to Infinity, which JSON.stringify writes as null. */
        return json_is_finite_number(v);
    case ST_BOOLEAN:
        return json_object_is_type(v, json_type_boolean);
    case ST_OBJECT:
        return json_object_is_type(v, json_type_object);
    case ST_ARRAY:
        return json_object_is_type(v, json_type_array);
    }
    return false;
}

/* The path as ajv writes it without the leading "/": keys escaped as JSON
 * pointer tokens ("~" as "~0", "/" as "~1"). */
static int
append_path(struct buf *b, const struct path *p)
{
    const char *k;

    if (p == NULL)
        return 0;
    if (p->up != NULL &&
        (append_path(b, p->up) != 0 || buf_append_char(b, '/') != 0))
        return -1;
    if (p->key == NULL)
        return buf_append_uint(b, p->index);
    for (k = p->key; *k != '\0'; k++)
        if ((*k == '~' && buf_append_str(b, "~0") != 0) ||
            (*k == '/' && buf_append_str(b, "~1") != 0) ||
            (*k != '~' && *k != '/' && buf_append_char(b, *k) != 0))
            return -1;
    return 0;
}

/* ",\n" to join the part before, then "Input " and JSON.stringify(v). */
static int
part_begin(struct buf *b, struct json_object *v)
{
    return (b->len > 0 && buf_append_str(b, ",\n") != 0) ||
                   buf_append_str(b, "Input ") != 0 ||
                   json_write_compact(b, v) != 0
               ? -1
               : 0;
}

/* "Input <v> for <path> <text>" */
static void
value_error(struct walk *w, struct json_object *v, const struct path *p,
            const char *text)
{
    struct buf *b = &w->values;

    if (part_begin(b, v) != 0 || buf_append_str(b, " for ") != 0 ||
        append_path(b, p) != 0 || buf_append_char(b, ' ') != 0 ||
        buf_append_str(b, text) != 0)
        w->nomem = true;
}

static void
type_error(struct walk *w, const struct schema_node *n, struct json_object *v,
           const struct path *p)
{
    struct buf text;
    size_t i;

    buf_init(&text, w->a, 256);
    if (buf_append_str(&text, "must be type ") != 0)
        w->nomem = true;
    for (i = 0; n->types[i] != ST_END; i++)
        if ((i > 0 && buf_append_str(&text, " or ") != 0) ||
            buf_append_str(&text, type_names[n->types[i]]) != 0)
            w->nomem = true;
    if (!w->nomem)
        value_error(w, v, p, text.data);
}

static void
format_error(struct walk *w, struct json_object *v, const struct path *p,
             const char *format)
{
    const char *text = arena_printf(w->a, "must match format \"%s\"", format);

    if (text == NULL)
        w->nomem = true;
    else
        value_error(w, v, p, text);
}

static void
enum_error(struct walk *w, const struct schema_node *n, struct json_object *v,
           const struct path *p)
{
    struct buf text;
    size_t i;

    buf_init(&text, w->a, 1024);
    if (buf_append_str(&text, "must be equal to one of the allowed values: ") !=
        0)
        w->nomem = true;
    for (i = 0; n->enums[i] != NULL; i++)
        if ((i > 0 && buf_append_str(&text, " or ") != 0) ||
            buf_append_str(&text, n->enums[i]) != 0)
            w->nomem = true;
    if (!w->nomem)
        value_error(w, v, p, text.data);
}

/* "Input <object> requires field: a" or "... fields: a, b and c" (no
 * Oxford comma), into b. */
static void
field_list(struct walk *w, struct buf *b, struct json_object *o,
           const char *verb, const char *const *names, size_t n)
{
    size_t i;

    if (n == 0)
        return;
    if (part_begin(b, o) != 0 || buf_append_str(b, verb) != 0 ||
        buf_append_str(b, n == 1 ? "field: " : "fields: ") != 0) {
        w->nomem = true;
        return;
    }
    for (i = 0; i < n; i++)
        if (buf_append_str(b, i == 0       ? ""
                              : i + 1 == n ? " and "
                                           : ", ") != 0 ||
            buf_append_str(b, names[i]) != 0)
            w->nomem = true;
}

static bool
format_ok(enum schema_format f, const char *s, size_t len)
{
    switch (f) {
    case SF_NONE:
        return true;
    case SF_EMAIL:
        return len == 0 || validate_email(s, len);
    case SF_URI:
        return validate_uri(s, len);
    case SF_UUID:
        if (len == 45 && strncasecmp(s, "urn:uuid:", 9) == 0) {
            s += 9;
            len -= 9;
        }
        return uuid_is_valid(s, len);
    }
    return false;
}

static bool
in_enum(const struct schema_node *n, struct json_object *v)
{
    size_t i, len;

    if (!json_object_is_type(v, json_type_string))
        return false;
    len = (size_t)json_object_get_string_len(v);
    for (i = 0; n->enums[i] != NULL; i++)
        if (strlen(n->enums[i]) == len &&
            memcmp(n->enums[i], json_object_get_string(v), len) == 0)
            return true;
    return false;
}

static bool
listed(const char *const *names, const char *key)
{
    size_t i;

    for (i = 0; names != NULL && names[i] != NULL; i++)
        if (strcmp(names[i], key) == 0)
            return true;
    return false;
}

static bool
is_prop(const struct schema_prop *props, const char *key)
{
    size_t i;

    for (i = 0; props[i].name != NULL; i++)
        if (strcmp(props[i].name, key) == 0)
            return true;
    return false;
}

static void check_node(struct walk *w, const struct schema_node *n,
                       struct json_object *v, const struct path *p);

static void
check_string(struct walk *w, const struct schema_node *n, struct json_object *v,
             const struct path *p)
{
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    size_t cps = validate_code_points(s, len);
    const char *text;

    if (n->max_length > 0 && cps > n->max_length) {
        text = arena_printf(w->a, "must NOT have more than %u characters",
                            n->max_length);
        if (text == NULL)
            w->nomem = true;
        else
            value_error(w, v, p, text);
    }
    if (n->min_length > 0 && cps < n->min_length) {
        text = arena_printf(w->a, "must NOT have fewer than %u characters",
                            n->min_length);
        if (text == NULL)
            w->nomem = true;
        else
            value_error(w, v, p, text);
    }
    if (!format_ok(n->format, s, len))
        format_error(w, v, p, format_names[n->format]);
    else if (json_string_has_nul(v))
        format_error(w, v, p, SCHEMA_NO_NUL);
}

static void
check_array(struct walk *w, const struct schema_node *n, struct json_object *v,
            const struct path *p)
{
    size_t i, len = json_object_array_length(v);

    if (n->max_items > 0 && len > n->max_items &&
        ((w->values.len > 0 && buf_append_str(&w->values, ",\n") != 0) ||
         buf_printf(&w->values,
                    "Input has %zu items and must NOT have more than %zu "
                    "items",
                    len, n->max_items) != 0))
        w->nomem = true;
    for (i = 0; n->items != NULL && i < len && !w->nomem; i++) {
        struct path item = {p, NULL, i};

        check_node(w, n->items, json_object_array_get_idx(v, i), &item);
    }
}

/* A seed-required field that is present: null and "" are not a value. */
static void
check_seed(struct walk *w, const struct schema_node *n, struct json_object *v,
           const struct path *p)
{
    if (v == NULL || (json_object_is_type(v, json_type_string) &&
                      json_object_get_string_len(v) == 0))
        format_error(w, v, p, format_names[n->format]);
}

static size_t
count(const char *const *names)
{
    size_t n = 0;

    while (names != NULL && names[n] != NULL)
        n++;
    return n;
}

/* The names of list that o lacks, appended to names at *k. */
static void
missing(struct json_object *o, const char *const *list, const char **names,
        size_t *k)
{
    size_t i;

    for (i = 0; list != NULL && list[i] != NULL; i++)
        if (!json_object_object_get_ex(o, list[i], NULL))
            names[(*k)++] = list[i];
}

static void
check_object(struct walk *w, const struct schema_node *n, struct json_object *v,
             const struct path *p)
{
    const char **keys, **names;
    int nkeys = json_keys_js(w->a, v, &keys), j;
    size_t i, k = 0;

    names = nkeys < 0 ? NULL
                      : arena_calloc(w->a,
                                     (size_t)nkeys + count(n->required) +
                                         count(n->seed) + 1,
                                     sizeof(*names));
    if (names == NULL) {
        w->nomem = true;
        return;
    }
    /* required, then the seeds' rule, as one list. */
    missing(v, n->required, names, &k);
    if (w->seed)
        missing(v, n->seed, names, &k);
    field_list(w, &w->required, v, " requires ", names, k);
    /* Keys come in JavaScript's order, which is ajv's. */
    k = 0;
    for (j = 0; n->props != NULL && !n->open && j < nkeys; j++)
        if (!is_prop(n->props, keys[j]))
            names[k++] = keys[j];
    field_list(w, &w->unexpected, v, " has unexpected ", names, k);
    for (i = 0; n->props != NULL && n->props[i].name != NULL && !w->nomem;
         i++) {
        const struct schema_prop *pr = &n->props[i];
        struct path child = {p, pr->name, 0};
        struct json_object *cv;

        if (!json_object_object_get_ex(v, pr->name, &cv))
            continue;
        check_node(w, pr->node, cv, &child);
        if (w->seed && listed(n->seed, pr->name))
            check_seed(w, pr->node, cv, &child);
    }
    for (j = 0; n->values != NULL && j < nkeys && !w->nomem; j++) {
        struct path child = {p, keys[j], 0};
        struct json_object *cv = NULL;

        json_object_object_get_ex(v, keys[j], &cv);
        check_node(w, n->values, cv, &child);
    }
}

static void
check_node(struct walk *w, const struct schema_node *n, struct json_object *v,
           const struct path *p)
{
    enum schema_type matched = ST_END;
    size_t i;

    for (i = 0; n->types[i] != ST_END && matched == ST_END; i++)
        if (is_type(v, n->types[i]))
            matched = n->types[i];
    if (matched == ST_END)
        type_error(w, n, v, p);
    /* enum has no type: ajv checks it whatever the value is. */
    if (n->enums != NULL && !in_enum(n, v))
        enum_error(w, n, v, p);
    switch (matched) {
    case ST_STRING:
        check_string(w, n, v, p);
        break;
    case ST_ARRAY:
        check_array(w, n, v, p);
        break;
    case ST_OBJECT:
        check_object(w, n, v, p);
        break;
    case ST_END:
    case ST_NULL:
    case ST_NUMBER:
    case ST_BOOLEAN:
        break;
    }
}

static int
append_refer(struct buf *b, const struct schema *s)
{
    return s->refer ? buf_printf(b, "\nRefer to %s", s->refer) : 0;
}

enum cg_err
schema_check(const struct schema *s, struct arena *a, struct json_object *v,
             bool seed, const char **message)
{
    const struct buf *parts[3];
    struct walk w = {.a = a, .seed = seed};
    const char *sep = "";
    struct buf out;
    size_t i;

    *message = NULL;
    if (!json_object_is_type(v, json_type_object)) {
        *message = schema_not_object(s, a);
        return *message ? s->error : CG_ERR_INTERNAL;
    }
    buf_init(&w.values, a, MESSAGE_MAX);
    buf_init(&w.required, a, MESSAGE_MAX);
    buf_init(&w.unexpected, a, MESSAGE_MAX);
    check_node(&w, s->root, v, NULL);
    if (w.nomem)
        return CG_ERR_INTERNAL;
    if (w.values.len == 0 && w.required.len == 0 && w.unexpected.len == 0)
        return CG_ERR_OK;
    parts[0] = &w.values;
    parts[1] = &w.required;
    parts[2] = &w.unexpected;
    buf_init(&out, a, MESSAGE_MAX);
    if (buf_printf(&out, "Invalid %s:\n", s->name) != 0)
        return CG_ERR_INTERNAL;
    for (i = 0; i < CG_ARRAY_LEN(parts); i++) {
        if (parts[i]->len == 0)
            continue;
        if (buf_append_str(&out, sep) != 0 ||
            buf_append(&out, parts[i]->data, parts[i]->len) != 0)
            return CG_ERR_INTERNAL;
        sep = ",\n";
    }
    if (buf_append_char(&out, '.') != 0 || append_refer(&out, s) != 0)
        return CG_ERR_INTERNAL;
    *message = out.data;
    return s->error;
}

const char *
schema_not_object(const struct schema *s, struct arena *a)
{
    struct buf out;

    buf_init(&out, a, MESSAGE_MAX);
    if (buf_printf(&out, "Invalid %s:\nExpected JSON object.", s->name) != 0 ||
        append_refer(&out, s) != 0)
        return NULL;
    return out.data;
}

const char *
schema_requires(const struct schema *s, struct arena *a, struct json_object *o,
                const char *field)
{
    struct walk w = {.a = a};
    struct buf out;

    buf_init(&w.required, a, MESSAGE_MAX);
    buf_init(&out, a, MESSAGE_MAX);
    field_list(&w, &w.required, o, " requires ", &field, 1);
    if (w.nomem ||
        buf_printf(&out, "Invalid %s:\n%s.", s->name, w.required.data) != 0 ||
        append_refer(&out, s) != 0)
        return NULL;
    return out.data;
}
