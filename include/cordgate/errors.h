/* The one list of errors: code on the wire, HTTP status, default message. */
#ifndef CORDGATE_ERRORS_H
#define CORDGATE_ERRORS_H

/*
 * X(name, wire code, HTTP status, default message)
 *
 * Cord's codes and messages come from its ApiErrors table; the ones Cord has
 * no code for (404, 405, 408, 413, 503) are ours.  A code may appear twice with
 * different statuses where Cord overrides the status at one call site; the
 * enum name says which.
 */
#define CG_ERRORS(X)                                                           \
    X(OK, "ok", 200, "")                                                       \
    X(INVALID_REQUEST, "invalid_request", 400, "Invalid request.")             \
    X(INVALID_FIELD, "invalid_field", 400, "Invalid field type.")              \
    X(MISSING_FIELD, "missing_field", 400, "Missing field in request.")        \
    X(UNEXPECTED_FIELD, "unexpected_field", 400, "Unexpected field.")          \
    X(GROUP_NEEDS_NAME, "missing_field", 400,                                  \
      "Invalid UpdatePlatformGroupVariables:\nGroup does not exist, \"name\" " \
      "is a required field to create a new group.")                            \
    X(MISSING_AUTHORIZATION_HEADER, "missing_authorization_header", 401,       \
      "Missing authorization header.")                                         \
    X(INVALID_AUTHORIZATION_HEADER, "invalid_authorization_header", 401,       \
      "Invalid authorization header.")                                         \
    X(INVALID_PROJECT_TOKEN, "invalid_project_token", 401,                     \
      "Invalid project token.")                                                \
    X(INVALID_ACCESS_TOKEN, "invalid_access_token", 401,                       \
      "Invalid access token.")                                                 \
    X(EXPIRED_ACCESS_TOKEN, "expired_access_token", 401,                       \
      "Access token has expired.")                                             \
    X(INVALID_SESSION_TOKEN, "invalid_session_token", 401,                     \
      "Invalid session token.")                                                \
    X(PROJECT_NOT_FOUND, "project_not_found", 401,                             \
      "Platform project not found.")                                           \
    X(USER_NOT_FOUND, "user_not_found", 401, "Platform user not found.")       \
    X(USER_NOT_FOUND_404, "user_not_found", 404, "Platform user not found.")   \
    X(GROUP_NOT_FOUND, "group_not_found", 401, "Platform group not found.")    \
    X(GROUP_NOT_FOUND_404, "group_not_found", 404,                             \
      "Platform group not found.")                                             \
    X(USER_NOT_IN_GROUP, "user_not_in_group", 401,                             \
      "The user is not a member of the group.")                                \
    X(INVALID_USER_ID, "invalid_user_id", 401, "Invalid user id")              \
    X(UNAUTHORIZED, "unauthorized", 401,                                       \
      "This endpoint needs its bearer token.")                                 \
    X(FORBIDDEN, "forbidden", 403, "Forbidden.")                               \
    X(NOT_FOUND, "not_found", 404, "No such endpoint.")                        \
    X(METHOD_NOT_ALLOWED, "method_not_allowed", 405,                           \
      "Method not allowed for this endpoint.")                                 \
    X(REQUEST_TIMEOUT, "request_timeout", 408,                                 \
      "The request was not received in time.")                                 \
    X(USER_ALREADY_EXISTS, "user_already_exists", 409,                         \
      "Platform user already exists.")                                         \
    X(GROUP_ALREADY_EXISTS, "group_already_exists", 409,                       \
      "Platform group already exists.")                                        \
    X(ORGANIZATION_ALREADY_EXISTS, "organization_already_exists", 409,         \
      "Platform organization already exists.")                                 \
    X(PAYLOAD_TOO_LARGE, "payload_too_large", 413,                             \
      "Request body is too large.")                                            \
    X(INTERNAL, "error", 500, "internal server error")                         \
    X(DATABASE_UNAVAILABLE, "database_unavailable", 503,                       \
      "The database is unavailable; try again shortly.")

enum cg_err {
#define CG_ERR_ENUM(name, code, status, message) CG_ERR_##name,
    CG_ERRORS(CG_ERR_ENUM)
#undef CG_ERR_ENUM
        CG_ERR__COUNT
};

const char *err_code(enum cg_err e);
int err_status(enum cg_err e);
const char *err_message(enum cg_err e);
/* The reason phrase for an HTTP status, e.g. "Not Found". */
const char *err_reason(int status);

#endif
