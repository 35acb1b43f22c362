/* Unit tests for the list of errors and of HTTP statuses. */
#include <criterion/criterion.h>

#include "cordgate/errors.h"

Test(errors, every_error_status_has_a_reason_phrase)
{
    int e;

    for (e = 0; e < CG_ERR__COUNT; e++)
        cr_assert_str_neq(err_reason(err_status((enum cg_err)e)), "Unknown",
                          "%s: status %d is not in CG_HTTP_STATUSES",
                          err_code((enum cg_err)e), err_status((enum cg_err)e));
}

Test(errors, reason_phrases_of_known_and_unknown_statuses)
{
    static const struct {
        int status;
        const char *reason;
    } rows[] = {
        {200, "OK"},
        {204, "No Content"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {413, "Payload Too Large"},
        {503, "Service Unavailable"},
        {418, "Unknown"},
        {0, "Unknown"},
        {-1, "Unknown"},
    };
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        cr_assert_str_eq(err_reason(rows[i].status), rows[i].reason, "%d",
                         rows[i].status);
}
