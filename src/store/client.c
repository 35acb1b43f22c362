/* Client auth tokens: the writes their details imply, the viewer, reads. */
#include <stdio.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "shared.h"

struct apply_args {
    const char *app_id, *user_id, *group_id;
    const struct user_change *user;
    const struct group_change *group;
    enum client_write *result;
    enum group_write *group_result;
    const char *const **missing;
    int *n_missing;
};

/* Make the user a member of the group, when both exist. */
static enum cg_err
add_member(struct db *db, struct arena *a, int64_t deadline_ms,
           struct apply_args *w)
{
    const char *params[3] = {w->app_id, w->group_id, w->user_id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms,
                "WITH u AS (SELECT 1 FROM users WHERE app_id = $1 AND id = $3),"
                " g AS (SELECT 1 FROM groups WHERE app_id = $1 AND id = $2),"
                " ins AS (INSERT INTO group_members (app_id, group_id, "
                "user_id) SELECT $1::uuid, $2::text, $3::text "
                "WHERE EXISTS (SELECT 1 FROM u) AND EXISTS (SELECT 1 FROM g) "
                "ON CONFLICT DO NOTHING) "
                "SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM g)",
                3, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQgetvalue(res, 0, 0)[0] != 't')
        *w->result = CLIENT_NO_USER;
    else if (PQgetvalue(res, 0, 1)[0] != 't')
        *w->result = CLIENT_NO_GROUP;
    return CG_ERR_OK;
}

static enum cg_err
apply(struct db *db, struct arena *a, int64_t deadline_ms, void *arg,
      bool *rollback)
{
    struct apply_args *w = arg;
    const char *group = NULL;
    enum user_write uw;
    enum cg_err e;

    *w->result = CLIENT_OK;
    if (w->user != NULL) {
        e = store_user_write(db, a, deadline_ms, w->app_id, w->user_id, w->user,
                             false, &uw, &group);
        if (e != CG_ERR_OK)
            return e;
        if (uw == USER_GROUP_MISSING) {
            *w->missing = arena_calloc(a, 2, sizeof(char *));
            if (*w->missing == NULL)
                return CG_ERR_INTERNAL;
            ((const char **)*w->missing)[0] = group;
            *w->n_missing = 1;
            *w->result = CLIENT_USER_GROUP_MISSING;
        }
    }
    if (*w->result == CLIENT_OK && w->group != NULL) {
        e = store_group_write(db, a, deadline_ms, w->app_id, w->group_id,
                              w->group, false, w->group_result, w->missing,
                              w->n_missing);
        if (e != CG_ERR_OK)
            return e;
        if (*w->group_result != GROUP_CREATED &&
            *w->group_result != GROUP_UPDATED)
            *w->result = CLIENT_GROUP_FAILED;
    }
    if (*w->result == CLIENT_OK && w->group_id != NULL &&
        (e = add_member(db, a, deadline_ms, w)) != CG_ERR_OK)
        return e;
    *rollback = *w->result != CLIENT_OK;
    return CG_ERR_OK;
}

enum cg_err
store_client_apply(struct db *db, struct arena *a, int64_t deadline_ms,
                   const char *app_id, const char *user_id,
                   const struct user_change *user, const char *group_id,
                   const struct group_change *group, enum client_write *result,
                   enum group_write *group_result, const char *const **missing,
                   int *n_missing)
{
    struct apply_args w = {app_id, user_id,      group_id, user,     group,
                           result, group_result, missing,  n_missing};

    *missing = NULL;
    *n_missing = 0;
    return store_transaction(db, a, deadline_ms, apply, &w);
}

enum cg_err
store_viewer_get(struct db *db, struct arena *a, int64_t deadline_ms,
                 const char *app_id, const char *user_id, const char *group_id,
                 struct viewer *v, enum viewer_state *state)
{
    const char *params[3] = {app_id, user_id, group_id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(
        db, a, deadline_ms,
        "SELECT u.id, u.name, u.short_name, u.status, u.profile_picture_url, "
        "u.metadata::text, "
        "(SELECT status FROM groups WHERE app_id = $1 AND id = $3::text), "
        "EXISTS (SELECT 1 FROM group_members WHERE app_id = $1 "
        "AND group_id = $3::text AND user_id = u.id), "
        "coalesce((SELECT json_agg(g.id ORDER BY g.id) FROM group_members m "
        "JOIN groups g ON g.app_id = m.app_id AND g.id = m.group_id "
        "WHERE m.app_id = $1 AND m.user_id = u.id "
        "AND g.status = 'active'), '[]')::text "
        "FROM users u WHERE u.app_id = $1 AND u.id = $2",
        3, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 3), "deleted") == 0) {
        *state = VIEWER_NO_USER;
        return CG_ERR_OK;
    }
    if (group_id != NULL && PQgetisnull(res, 0, 6))
        *state = VIEWER_NO_GROUP;
    else if (group_id != NULL && PQgetvalue(res, 0, 7)[0] != 't')
        *state = VIEWER_NOT_MEMBER;
    else if (group_id != NULL && strcmp(PQgetvalue(res, 0, 6), "active") != 0)
        *state = VIEWER_GROUP_INACTIVE;
    else
        *state = VIEWER_OK;
    v->user_id = store_value(a, res, 0, 0);
    v->group_id = group_id;
    v->name = store_value(a, res, 0, 1);
    v->short_name = store_value(a, res, 0, 2);
    v->profile_picture_url = store_value(a, res, 0, 4);
    v->metadata = store_value(a, res, 0, 5);
    v->groups = store_value(a, res, 0, 8);
    return v->user_id && v->metadata && v->groups ? CG_ERR_OK : CG_ERR_INTERNAL;
}

/* Users the viewer ($2) shares a group with. */
#define SHARES_A_GROUP                                                         \
    "EXISTS (SELECT 1 FROM group_members mine JOIN group_members theirs "      \
    "ON theirs.app_id = mine.app_id AND theirs.group_id = mine.group_id "      \
    "WHERE mine.app_id = $1 AND mine.user_id = $2 AND theirs.user_id = u.id)"

enum cg_err
store_client_users(struct db *db, struct arena *a, int64_t deadline_ms,
                   const char *app_id, const char *viewer_id,
                   const char *const *ids, int n, struct user **out, int *count)
{
    const char *params[3] = {app_id, viewer_id, store_text_array(a, ids, n)};
    PGresult *res;
    enum cg_err e;

    if (params[2] == NULL)
        return CG_ERR_INTERNAL;
    e = db_exec(db, a, deadline_ms,
                "SELECT " STORE_USER_COLUMNS " FROM users u "
                "WHERE u.app_id = $1 AND u.id = ANY ($3::text[]) "
                "AND " SHARES_A_GROUP,
                3, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *count = PQntuples(res);
    return store_read_users(a, res, *count, 0, out);
}

enum cg_err
store_client_group_members(struct db *db, struct arena *a, int64_t deadline_ms,
                           const char *app_id, const char *viewer_id,
                           const char *group_id, int limit, struct user **out,
                           int *count, bool *more)
{
    char lim[24];
    const char *params[4] = {app_id, viewer_id, group_id, lim};
    PGresult *res;
    enum cg_err e;

    store_page_limit(lim, sizeof(lim), limit);
    e = db_exec(db, a, deadline_ms,
                "SELECT " STORE_USER_COLUMNS " FROM (SELECT user_id "
                "FROM group_members WHERE app_id = $1 AND group_id = $3 "
                "AND EXISTS (SELECT 1 FROM group_members WHERE app_id = $1 "
                "AND group_id = $3 AND user_id = $2) ORDER BY user_id "
                "LIMIT $4::bigint) m CROSS JOIN LATERAL (SELECT * FROM users "
                "WHERE app_id = $1 AND id = m.user_id LIMIT 1) u "
                "ORDER BY u.id",
                4, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    return store_read_page(a, res, 0, limit, out, count, more);
}
