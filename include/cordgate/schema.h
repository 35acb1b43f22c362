/* Cord's request schemas as tables, and the one validator that walks them. */
#ifndef CORDGATE_SCHEMA_H
#define CORDGATE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct json_object;

/* JSON Schema's types; a node lists the ones it allows in Cord's order,
 * which is the order ajv's "must be type a or b" message names them in. */
enum schema_type {
    ST_END = 0, /* ends a node's type list */
    ST_NULL,
    ST_STRING,
    ST_NUMBER,
    ST_BOOLEAN,
    ST_OBJECT,
    ST_ARRAY,
};

enum schema_format {
    SF_NONE,
    SF_EMAIL, /* ajv-formats full email, "" allowed (Cord's override) */
    SF_URI,   /* ajv-formats full uri */
    SF_UUID,  /* RFC 4122 text, optionally urn:uuid: */
};

struct schema_prop;

/*
 * One value's rules, the keywords of a JSON Schema node that Cord's schemas
 * use.  Zero means "no such keyword", so a row names only what it has:
 *
 *   types       allowed types, ST_END-terminated (at most 3)
 *   min_length  max_length   string length in code points
 *   format      a string format
 *   enums       allowed string values, NULL-terminated
 *   max_items   items         array length and the rule for each item
 *   props       object properties in Cord's order, {NULL}-terminated;
 *               a key not listed is "unexpected" unless open is set
 *   values      object: the rule for every value (metadata's flat map)
 *   required    object: names that must be present, in Cord's order
 *   seed        object: names the seeds also require, only when the
 *               caller asks (CORDGATE_EMAIL_REQUIRED); null and "" fail
 *               them with the node's format
 *
 * Every string is also refused when it holds U+0000, which PostgreSQL text
 * cannot store (format SCHEMA_NO_NUL).
 */
struct schema_node {
    enum schema_type types[4];
    unsigned min_length, max_length;
    enum schema_format format;
    const char *const *enums;
    size_t max_items;
    const struct schema_node *items;
    const struct schema_prop *props;
    bool open;
    const struct schema_node *values;
    const char *const *required;
    const char *const *seed;
};

struct schema_prop {
    const char *name;
    const struct schema_node *node;
};

/* A named request schema: what the message calls it, its "Refer to" link
 * (NULL: none) and the error code a failure gets. */
struct schema {
    const char *name;
    const char *refer;
    const struct schema_node *root;
    enum cg_err error;
};

/* The format name that a string holding U+0000 fails. */
#define SCHEMA_NO_NUL "text without U+0000"

/* Cord's schemas (schema_tables.c). */
extern const struct schema schema_create_user; /* CreatePlatformUserVariables */
extern const struct schema schema_update_user; /* UpdatePlatformUserVariables */
extern const struct schema schema_delete_user; /* DeleteUserVariables */
extern const struct schema
    schema_update_group; /* UpdatePlatformGroupVariables */
extern const struct schema
    schema_create_org; /* CreatePlatformOrganizationVariables */
extern const struct schema
    schema_group_members; /* UpdatePlatformGroupMembersVariables */
extern const struct schema schema_batch;        /* BatchAPIVariables */
extern const struct schema schema_client_token; /* ClientAuthTokenData */

/*
 * Check v against s with ajv's allErrors semantics.  Returns CG_ERR_OK, or
 * s->error with *message set to the whole text Cord would send:
 * "Invalid <name>:\n<parts joined by ,\n>.<\nRefer to ...>", the value
 * errors in schema property order, then the missing fields, then the
 * unexpected ones.  CG_ERR_INTERNAL when memory ran out.  seed applies the
 * nodes' seed lists.
 */
enum cg_err schema_check(const struct schema *s, struct arena *a,
                         struct json_object *v, bool seed,
                         const char **message) CG_MUSTCHECK;

/* "Invalid <name>:\nExpected JSON object.<refer>", or NULL without memory. */
const char *schema_not_object(const struct schema *s, struct arena *a);

/* "Invalid <name>:\nInput <json(o)> requires field: <field>.<refer>": the
 * message of a rule the table cannot say (a create that needs a field). */
const char *schema_requires(const struct schema *s, struct arena *a,
                            struct json_object *o, const char *field);

/*
 * Typed reads of a value that passed its schema.  schema_text is the string
 * or NULL (absent or null); schema_id is an ID (string, or a number in its
 * JavaScript form: 103, 1e+21) as text; schema_ids reads an array of IDs
 * (NULL for absent), *n its length.
 */
const char *schema_text(struct json_object *obj, const char *key);
const char *schema_id(struct arena *a, struct json_object *v);
const char *const *schema_ids(struct arena *a, struct json_object *obj,
                              const char *key, int *n);
/* Is key present, null included? */
bool schema_has(struct json_object *obj, const char *key);
/* The metadata object under key as compact JSON text, or NULL. */
const char *schema_metadata(struct arena *a, struct json_object *obj,
                            const char *key);

#endif
