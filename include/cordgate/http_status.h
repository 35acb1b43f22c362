/* The one list of the HTTP statuses cordgate answers with. */
#ifndef CORDGATE_HTTP_STATUS_H
#define CORDGATE_HTTP_STATUS_H

/*
 * X(status, reason phrase), in increasing order.  err_reason() names them
 * and /metrics counts each (anything else as "other"), in this order; every
 * status of CG_ERRORS (errors.h) is one of them.
 */
#define CG_HTTP_STATUSES(X)                                                    \
    X(200, "OK")                                                               \
    X(201, "Created")                                                          \
    X(204, "No Content")                                                       \
    X(400, "Bad Request")                                                      \
    X(401, "Unauthorized")                                                     \
    X(403, "Forbidden")                                                        \
    X(404, "Not Found")                                                        \
    X(405, "Method Not Allowed")                                               \
    X(408, "Request Timeout")                                                  \
    X(409, "Conflict")                                                         \
    X(413, "Payload Too Large")                                                \
    X(500, "Internal Server Error")                                            \
    X(503, "Service Unavailable")

#endif
