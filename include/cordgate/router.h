/* The route table and the one place that turns results into responses. */
#ifndef CORDGATE_ROUTER_H
#define CORDGATE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cordgate/errors.h"

struct request;
struct schema;

enum auth_kind {
    AUTH_NONE,
    AUTH_SERVER,  /* access token or server auth token: sets r->app */
    AUTH_CLIENT,  /* client auth token: sets r->app and r->viewer */
    AUTH_METRICS, /* the bearer token CORDGATE_METRICS_TOKEN, when it is set */
};

enum body_kind {
    BODY_NONE,  /* any body is read and ignored */
    BODY_JSON,  /* parsed into r->json before the handler runs; a body that
                   is not declared JSON (or form data) is {} as in Cord */
    BODY_BATCH, /* BODY_JSON up to CORDGATE_BATCH_MAX_BODY, not MAX_BODY */
};

/* What the router checks of the :id of a path (isValidExternalID, up to
 * 320 code points) and how it answers a bad one, before the schema. */
enum path_id {
    ID_ANY,     /* nothing: the handler decides */
    ID_REQUEST, /* 400 invalid_request "Invalid request." (GETs) */
    ID_USER,    /* 400 invalid_field "... for userID ..." */
    ID_GROUP,   /* 400 invalid_field "... for orgID ..." */
};

struct route {
    unsigned method; /* one enum http_method */
    /* "/v1/users/:id": literal or :param segments.  Under /v1/ (Cord's
     * API) literal segments match as Express's do; any other pattern
     * matches only the very same path, byte for byte. */
    const char *pattern;
    enum cg_err (*handler)(struct request *r);
    /* A failure of AUTH_CLIENT is answered as Cord's client routes do:
     * 403 {"error": "invalid_session - <message>"}. */
    enum auth_kind auth;
    enum body_kind body;
    enum path_id id;
    /* The body's schema (schema.h), checked before the handler runs; the
     * handler reads values that are already valid.  NULL: none. */
    const struct schema *schema;
    /* Served only when CORDGATE_TEST_TOKENS is on; otherwise not a route. */
    bool test_tokens_only;
};

/* Route r, check the policy of its route, run the handler and leave the
 * response (success or error) in r.  Returns the route index for metrics,
 * or router_route_count() when no route matched. */
size_t router_dispatch(struct request *r);
size_t router_route_count(void);
const struct route *router_route(size_t i);

/* Fill r's response with the error body for e (with r->error_message if
 * set). */
void router_set_error(struct request *r, enum cg_err e);

#endif
