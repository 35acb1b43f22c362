/* The test users behind GET /generate-cord-token. */
#ifndef CORDGATE_TESTUSERS_H
#define CORDGATE_TESTUSERS_H

#include <stddef.h>

#include "cordgate/compiler.h"

/*
 * Each user is kept as the start of its token payload: the user object as
 * JSON.stringify writes it, without the closing brace, so that project_id,
 * iat and exp follow in the order @cord-sdk/server's getClientAuthToken
 * gives them.
 */
struct test_users {
    char **payload_prefixes;
    size_t count;
};

/* From path (a JSON array of {user_id, organization_id, user_details,
 * organization_details}), or the four users of Cord's guide when path is
 * NULL or "".  On failure returns -1 with one line in err. */
int test_users_load(struct test_users *tu, const char *path, char *err,
                    size_t errlen) CG_MUSTCHECK;
void test_users_free(struct test_users *tu);

#endif
