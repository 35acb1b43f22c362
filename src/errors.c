/* The one list of errors, expanded into lookup tables. */
#include "cordgate/errors.h"

static const struct {
    const char *code;
    int status;
    const char *message;
} errors[] = {
#define CG_ERR_ROW(name, code, status, message) {code, status, message},
    CG_ERRORS(CG_ERR_ROW)
#undef CG_ERR_ROW
};

const char *
err_code(enum cg_err e)
{
    return errors[e].code;
}

int
err_status(enum cg_err e)
{
    return errors[e].status;
}

const char *
err_message(enum cg_err e)
{
    return errors[e].message;
}

const char *
err_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    }
    return "Unknown";
}
