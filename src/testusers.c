/* The test users behind GET /generate-cord-token. */
#include "cordgate/testusers.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/json.h"

#define MAX_FILE (1u << 20)

/* The users of Cord's "Add Multiple Users" guide, in its order, each with
 * the organization_details the guide adds to every token. */
static const char default_users[] =
    "[{\"user_id\":\"severusatreides\",\"organization_id\":"
    "\"starpotterdunewars\",\"user_details\":{\"email\":"
    "\"sevvy@arrakis.spice\",\"name\":\"Severus Atreides\"},"
    "\"organization_details\":{\"name\":\"starpotterdunewars\"}},"
    "{\"user_id\":\"minervahalleck\",\"organization_id\":"
    "\"starpotterdunewars\",\"user_details\":{\"email\":\"\",\"name\":"
    "\"Minerva Halleck\"},\"organization_details\":{\"name\":"
    "\"starpotterdunewars\"}},"
    "{\"user_id\":\"hermioneorgana\",\"organization_id\":"
    "\"starpotterdunewars\",\"user_details\":{\"email\":\"\",\"name\":"
    "\"Hermione Organa\"},\"organization_details\":{\"name\":"
    "\"starpotterdunewars\"}},"
    "{\"user_id\":\"jarjarmarvolo\",\"organization_id\":"
    "\"starpotterdunewars\",\"user_details\":{\"email\":"
    "\"meesa@lowkey.sith\",\"name\":\"Jar Jar Marvolo\"},"
    "\"organization_details\":{\"name\":\"starpotterdunewars\"}}]";

static int
fail(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "CORDGATE_TEST_USERS_FILE %s: %s",
             path && path[0] ? path : "(built in)", what);
    return -1;
}

static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *data;
    size_t n;

    if (f == NULL) {
        fail(err, errlen, strerror(errno), path);
        return NULL;
    }
    data = malloc(MAX_FILE + 1);
    if (data == NULL) {
        fclose(f);
        fail(err, errlen, "out of memory", path);
        return NULL;
    }
    n = fread(data, 1, MAX_FILE + 1, f);
    fclose(f);
    if (n > MAX_FILE) {
        free(data);
        fail(err, errlen, "larger than 1 MiB", path);
        return NULL;
    }
    *len = n;
    return data;
}

int
test_users_load(struct test_users *tu, const char *path, char *err,
                size_t errlen)
{
    struct arena *a = arena_create(64 << 10, 64 << 20);
    struct json_object *users;
    char *text = NULL;
    size_t len, i;
    int rc = -1;

    memset(tu, 0, sizeof(*tu));
    if (a == NULL)
        return fail(err, errlen, "out of memory", path);
    if (path != NULL && path[0] != '\0') {
        text = read_file(path, &len, err, errlen);
        if (text == NULL)
            goto out;
    }
    if (json_parse(a, text ? text : default_users,
                   text ? len : sizeof(default_users) - 1,
                   &users) != JSON_PARSE_OK ||
        !json_object_is_type(users, json_type_array) ||
        json_object_array_length(users) == 0) {
        fail(err, errlen, "not a non-empty JSON array of users", path);
        goto out;
    }
    tu->count = json_object_array_length(users);
    tu->payload_prefixes = calloc(tu->count, sizeof(char *));
    if (tu->payload_prefixes == NULL) {
        fail(err, errlen, "out of memory", path);
        goto out;
    }
    for (i = 0; i < tu->count; i++) {
        struct json_object *u = json_object_array_get_idx(users, i), *id;
        struct buf b;

        if (!json_object_is_type(u, json_type_object) ||
            !json_get(u, "user_id", &id) ||
            !(json_is_truthy(id) &&
              (json_object_is_type(id, json_type_string) ||
               json_is_number(id))) ||
            json_get(u, "project_id", NULL) || json_get(u, "iat", NULL) ||
            json_get(u, "exp", NULL)) {
            fail(err, errlen,
                 "every user must be an object with a user_id and without "
                 "project_id, iat or exp",
                 path);
            goto out;
        }
        buf_init(&b, a, MAX_FILE);
        if (json_write_compact(&b, u) != 0) {
            fail(err, errlen, "out of memory", path);
            goto out;
        }
        /* "{...}" becomes "{...," so the claims can follow. */
        b.data[b.len - 1] = ',';
        tu->payload_prefixes[i] = strdup(b.data);
        if (tu->payload_prefixes[i] == NULL) {
            fail(err, errlen, "out of memory", path);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0)
        test_users_free(tu);
    free(text);
    arena_destroy(a);
    return rc;
}

void
test_users_free(struct test_users *tu)
{
    size_t i;

    for (i = 0; tu->payload_prefixes != NULL && i < tu->count; i++)
        free(tu->payload_prefixes[i]);
    free(tu->payload_prefixes);
    tu->payload_prefixes = NULL;
    tu->count = 0;
}
