/*
 * libFuzzer target: a whole request as the web server hands it over (method,
 * URI, content length and type, Authorization, body), through parsing,
 * routing, the central body and auth checks and serialization; the body
 * against every schema of Cord's (the routes reach theirs only after
 * authentication); and the validators of ids, emails and URIs.  The
 * database is one that never answers, so every route stops at its first
 * query with a 503.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/cache.h"
#include "cordgate/config.h"
#include "cordgate/context.h"
#include "cordgate/db.h"
#include "cordgate/http.h"
#include "cordgate/json.h"
#include "cordgate/log.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"
#include "cordgate/schema.h"
#include "cordgate/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields of one input, split at '\n': method, URI, CONTENT_LENGTH,
 * CONTENT_TYPE, HTTP_AUTHORIZATION, then the body (the rest, may hold
 * '\n').  A missing field is an absent parameter. */
enum { F_METHOD, F_URI, F_LENGTH, F_TYPE, F_AUTH, F_COUNT };

struct input {
    char *field[F_COUNT];
    const char *body;
    size_t body_len, body_off;
};

static struct arena *arena;
static struct config cfg;
static struct context ctx;

static void
check(int ok)
{
    if (!ok)
        abort();
}

static const char *
param(void *ud, const char *name)
{
    static const char *const names[F_COUNT] = {"REQUEST_METHOD", "REQUEST_URI",
                                               "CONTENT_LENGTH", "CONTENT_TYPE",
                                               "HTTP_AUTHORIZATION"};
    struct input *in = ud;

    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return in->field[i];
    return NULL;
}

/* The body in pieces of at most 7 bytes, as a slow web server sends it. */
static ssize_t
read_body(void *ud, char *dst, size_t n)
{
    struct input *in = ud;
    size_t left = in->body_len - in->body_off;

    if (n > 7)
        n = 7;
    if (n > left)
        n = left;
    memcpy(dst, in->body + in->body_off, n);
    in->body_off += n;
    return (ssize_t)n;
}

static void
setup(void)
{
    char err[256];

    /* A developer's own settings must not change what is fuzzed. */
    unsetenv("CORDGATE_TEST_TOKENS");
    unsetenv("CORDGATE_BASE_PATH");
    setenv("CORDGATE_MAX_BODY", "4096", 1);
    check(config_load(&cfg, NULL, err, sizeof(err)) == 0);
    log_set_level(LL_ERROR);
    ctx.cfg = &cfg;
    ctx.now = clock_wall_seconds;
    ctx.metrics = metrics_create(router_route_count());
    ctx.apps = cache_create(16);
    ctx.sessions = cache_create(16);
    /* A unix socket that does not exist: connecting fails at once. */
    ctx.db = db_create("host=/nonexistent/cordgate-fuzz dbname=fuzz "
                       "connect_timeout=1",
                       ctx.metrics, true, 0);
    arena = arena_create(64 << 10, 64 << 20);
    check(ctx.metrics && ctx.apps && ctx.sessions && ctx.db && arena);
}

static void
fuzz_request(struct input *in, const char *base_path)
{
    struct http_source src = {param, read_body, in};
    struct request r;
    struct buf out;
    enum cg_err e;

    memset(&r, 0, sizeof(r));
    r.ctx = &ctx;
    r.deadline_ms = clock_mono_ms() + 1000;
    e = http_request_init(&r, arena, &src, base_path);
    if (e == CG_ERR_OK) {
        struct str v;

        router_dispatch(&r);
        /* What the handlers ask of the query string. */
        (void)http_query_get(&r, "userIndex", &v);
        (void)http_query_count(&r, "userIndex");
    } else {
        router_set_error(&r, e);
    }
    check(r.status >= 200 && r.status <= 599);
    buf_init(&out, arena, HTTP_MAX_RESPONSE + 65536);
    check(http_response_serialize(&r, &out) == 0);
    check(out.len > 8 && memcmp(out.data, "Status: ", 8) == 0);
    /* Nothing but a success or a JSON error leaves: no 5xx but the
     * unreachable database's 503 (and a 500 on a too-large answer). */
    check(r.status < 500 || r.status == 503);
}

/* The body through each schema table, both ways for the seeds' rule: a
 * verdict, and a message for every refusal. */
static void
fuzz_schemas(const char *body, size_t n)
{
    static const struct schema *const schemas[] = {
        &schema_create_user,  &schema_update_user,  &schema_delete_user,
        &schema_update_group, &schema_create_org,   &schema_group_members,
        &schema_batch,        &schema_client_token,
    };
    struct json_object *v;
    const char *message;
    size_t i;

    if (json_parse(arena, body, n, &v) != JSON_PARSE_OK)
        return;
    for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
        enum cg_err e =
            schema_check(schemas[i], arena, v, i % 2 == 0, &message);

        check(e == CG_ERR_OK || e == schemas[i]->error);
        check((e == CG_ERR_OK) == (message == NULL));
    }
}

static void
fuzz_validators(const char *s, size_t n)
{
    size_t cps = validate_code_points(s, n);

    if (validate_external_id(s, n, 128))
        check(cps >= 1 && cps <= 128);
    if (validate_email(s, n) || validate_uri(s, n))
        for (size_t i = 0; i < n; i++)
            check((unsigned char)s[i] < 0x80);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in;
    const char *p = (const char *)data, *end = p + size;
    int i;

    if (arena == NULL)
        setup();
    memset(&in, 0, sizeof(in));
    for (i = 0; i < F_COUNT && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

        in.field[i] = arena_alloc(arena, n + 1);
        check(in.field[i] != NULL);
        memcpy(in.field[i], p, n);
        in.field[i][n] = '\0';
        p += n + (nl != NULL);
    }
    in.body = p;
    in.body_len = (size_t)(end - p);

    fuzz_request(&in, NULL);
    in.body_off = 0;
    fuzz_request(&in, "/base");
    fuzz_schemas(in.body, in.body_len);
    fuzz_validators((const char *)data, size);
    arena_reset(arena);
    return 0;
}
