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

/* Known statuses are checked through the status line in test_http. */
Test(errors, a_status_not_in_the_list_is_unknown)
{
    cr_assert_str_eq(err_reason(418), "Unknown");
    cr_assert_str_eq(err_reason(0), "Unknown");
    cr_assert_str_eq(err_reason(-1), "Unknown");
}
