/* What the groups, batch and client-read tests share: bookkeeping, apps
 * and tokens, HTTP through nginx, and the assertions over Cord's answers. */
#ifndef CORDGATE_TEST_API_H
#define CORDGATE_TEST_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

#define CHECK_MARK "\xe2\x9c\x85"

/* Each test file names the prefix of its ids (fresh()). */
extern const char *const api_tag_prefix;

void *defer(void (*fn)(void *), void *p);

void release_all(void);

char *keep(char *s);

void put_json(void *o);

void free_response(void *p);

__attribute__((format(printf, 1, 2))) char *fmt(const char *f, ...);

/* A suffix no other run or test shares: Criterion runs each test in its own
 * process. */
const char *tag(void);

const char *fresh(const char *prefix);

/* s repeated n times after prefix. */
const char *repeat(const char *prefix, const char *s, size_t n);

/* A JSON string literal of s (json-c leaves UTF-8 as it is). */
const char *jstr(const char *s);

/* Percent-encode every byte but letters, digits, "-" and "_". */
const char *enc(const char *s);

struct app {
    const char *id;
    const char *secret;
};

struct app main_app(void);

/* A second app, made with `cordgate app create` as an operator would. */
struct app new_app(const char *name);

/* A server auth token as getServerAuthToken makes it. */
const char *token_of(struct app a);

const char *base(void);

/* A request through nginx; path is taken as sent.  token NULL: no
 * Authorization header.  body_len is the body's length (bodies may be
 * large). */
struct it_response *send_len(const char *token, const char *method,
                             const char *path, const char *body,
                             size_t body_len);

struct it_response *call_as(struct app a, const char *method, const char *path,
                            const char *body);

struct it_response *call(const char *method, const char *path,
                         const char *body);

struct json_object *body_json(const struct it_response *r);

/* Assert status, code and, unless NULL, the exact message. */
void expect(const struct it_response *r, long status, const char *code,
            const char *message);

/* expect() for a row of a table: reports a mismatch and goes on, so that
 * one run shows every row that fails. */
bool expect_row(const char *what, const struct it_response *r, long status,
                const char *code, const char *message);

/* Assert the status and the body byte for byte (so key order too). */
void expect_body(const struct it_response *r, long status, const char *body);

/* {"success":true,"message":"✅ <text>"} with status. */
void expect_success(const struct it_response *r, long status, const char *text);

struct json_object *field(struct json_object *o, const char *key);

const char *str_field(struct json_object *o, const char *key);

/* The keys of object o, comma-separated, in their order. */
const char *keys_of(struct json_object *o);

const char *user_path(const char *id);

const char *group_path(const char *id);

/* Create a user with PUT (with an email, which a creating PUT needs). */
void create_user_as(struct app a, const char *id, const char *extra);

void create_user(const char *id, const char *extra);

/* PUT /v1/groups/<id> with body, asserting it created the group. */
void create_group_as(struct app a, const char *id, const char *body);

void create_group(const char *id, const char *body);

struct json_object *get_group_as(struct app a, const char *id);

/* The group's "members", as a JSON text, e.g. ["a","b"]. */
const char *members_of_as(struct app a, const char *id);

/* Assert that GET /v1/groups/<id> is 404 group_not_found. */
void expect_no_group_as(struct app a, const char *id);

void expect_no_group(const char *id);

struct json_object *get_user_as(struct app a, const char *id);

struct json_object *get_user(const char *id);

void expect_no_user_as(struct app a, const char *id);

void expect_no_user(const char *id);

/* A JSON value as compact text. */
const char *json_text(struct json_object *o);

/* A JSON array of the strings ids[0..n). */
const char *jarray(const char *const *ids, size_t n);

#endif
