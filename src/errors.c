/* The one list of errors, expanded into lookup tables. */
#include "cordgate/errors.h"

#include "cordgate/http_status.h"

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
#define CG_STATUS_CASE(status, reason)                                         \
    case status:                                                               \
        return reason;
        CG_HTTP_STATUSES(CG_STATUS_CASE)
#undef CG_STATUS_CASE
    }
    return "Unknown";
}
