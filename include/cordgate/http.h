/* Requests (method, path, query, headers, bounded body) and responses. */
#ifndef CORDGATE_HTTP_H
#define CORDGATE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cordgate/buf.h"
#include "cordgate/compiler.h"
#include "cordgate/errors.h"
#include "cordgate/str.h"

struct arena;
struct context;
struct json_object;
struct route;
struct app;
struct viewer;

/*
 * The one list of methods: X(name, bit).  Each is a bit, so that a route
 * table can hold a set of them; an Allow header lists them in this order.
 */
#define HTTP_METHODS(X)                                                        \
    X(GET, 0)                                                                  \
    X(HEAD, 1)                                                                 \
    X(POST, 2)                                                                 \
    X(PUT, 3)                                                                  \
    X(DELETE, 4)                                                               \
    X(PATCH, 5)                                                                \
    X(OPTIONS, 6)

enum http_method {
    HTTP_OTHER = 0,
#define HTTP_METHOD_ENUM(name, bit) HTTP_##name = 1 << (bit),
    HTTP_METHODS(HTTP_METHOD_ENUM)
#undef HTTP_METHOD_ENUM
};

/*
 * Where a request comes from: FastCGI in the workers, a table in the unit
 * tests.  param() returns NULL for a missing parameter; read() returns the
 * number of bytes read, 0 at the end of the body, -1 on error.
 */
struct http_source {
    const char *(*param)(void *ud, const char *name);
    ssize_t (*read)(void *ud, char *dst, size_t n);
    void *ud;
};

#define HTTP_MAX_SEGMENTS 16
#define HTTP_MAX_PARAMS   4
/* Largest response body; bigger ones are a bug, answered with a 500. */
#define HTTP_MAX_RESPONSE (16u << 20)

struct request {
    struct arena *arena;
    const struct http_source *src; /* valid until the response is written */
    struct context *ctx;
    int64_t started_ns;  /* CLOCK_MONOTONIC */
    int64_t deadline_ms; /* CLOCK_MONOTONIC; the database part must end */
    char id[33];

    enum http_method method;
    const char *method_name;
    struct str path;  /* raw, without query and base path */
    struct str query; /* raw, without '?' */
    struct str segments[HTTP_MAX_SEGMENTS]; /* percent-decoded */
    size_t nsegments;
    bool bad_path; /* undecodable or too many segments */
    const char *authorization;
    const char *content_type;
    struct str body;
    bool body_too_large;
    bool close_connection; /* the body was cut off or not all received */

    /* Filled by the router. */
    const struct route *route;
    struct str params[HTTP_MAX_PARAMS];
    struct json_object *json; /* the body; valid by the route's schema */
    const char *path_id;      /* the checked :id, when the route has one */
    const struct app *app; /* the authenticated app, if the route needs one */
    const struct viewer *viewer; /* the user of a client auth token */
    bool auth_failed;            /* the error is the route's authentication's */

    /* The response. */
    int status;
    struct buf headers;        /* extra "Name: value\r\n" lines */
    struct buf out;            /* body */
    const char *response_type; /* NULL: application/json; charset=utf-8 */
    const char *error_message; /* overrides the default message */
};

/* Start a request: read its parameters (method, path, query, headers)
 * from src.  The body is read by http_read_body. */
enum cg_err http_request_init(struct request *r, struct arena *a,
                              const struct http_source *src,
                              const char *base_path) CG_MUSTCHECK;
/* Read the whole body from src, never holding more than max bytes of it:
 * beyond, the rest is read and dropped, up to twice max in all, and
 * body_too_large is set; of a body longer still the rest is left unread, and
 * close_connection set.  Once per
 * request, always, so that a kept connection stays in step.  A read the
 * source gave up on (errno ETIMEDOUT: the read deadline) is
 * CG_ERR_REQUEST_TIMEOUT, any other failed read CG_ERR_INVALID_REQUEST; both
 * set close_connection. */
enum cg_err http_read_body(struct request *r, size_t max) CG_MUSTCHECK;

/* The path's :id when it passes isValidExternalID (up to 320 code
 * points), as a C string; NULL when it does not. */
const char *http_path_id(struct request *r);
/* 400 invalid_field "Input type for <field> is not valid, expected
 * identifier." */
enum cg_err request_bad_id(struct request *r, const char *field);

/* request_fail with a message already made; CG_ERR_INTERNAL when it is
 * NULL (its making ran out of memory). */
enum cg_err request_fail_text(struct request *r, enum cg_err e,
                              const char *text);

/* Answer {"success":true,"message":<text>}, Cord's answer to a write. */
enum cg_err request_succeed(struct request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set the message of the error e that the caller returns; the router
 * writes the body (handlers return a code; one place writes errors). */
enum cg_err request_fail(struct request *r, enum cg_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Percent-decode [p, p+n) into the arena.  plus_is_space for queries.
 * Returns -1 on a malformed escape or no memory. */
int http_percent_decode(struct arena *a, const char *p, size_t n,
                        bool plus_is_space, struct str *out) CG_MUSTCHECK;

/* How many times the query names the parameter (a repeated one is an
 * array to Express). */
size_t http_query_count(struct request *r, const char *name);

/* A FastCGI parameter of the request (e.g. "HTTP_ORIGIN"), or NULL. */
const char *http_param(const struct request *r, const char *name);

/* The decoded value of the first query parameter called name; false when
 * there is none or it cannot be decoded. */
bool http_query_get(struct request *r, const char *name, struct str *out);

enum http_method http_method_parse(const char *name);
/* "GET, PUT" for a mask, in a fixed order. */
const char *http_methods_format(struct arena *a, unsigned mask);

int http_add_header(struct request *r, const char *name,
                    const char *value) CG_MUSTCHECK;
/* The whole response, headers and body, ready for one write. */
int http_response_serialize(struct request *r, struct buf *dst) CG_MUSTCHECK;

#endif
