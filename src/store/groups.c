/* Groups and memberships. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/auth.h"
#include "cordgate/buf.h"
#include "cordgate/db.h"
#include "cordgate/groups.h"
#include "cordgate/store.h"

enum cg_err
store_group_write(struct db *db, struct arena *a, int64_t deadline_ms,
                  const char *app_id, const char *id,
                  const struct group_change *c, enum group_write *result,
                  const char *const **missing, int *n_missing)
{
    const char *members = NULL;
    const char *params[6];
    PGresult *res;
    enum cg_err e;
    int i;

    *missing = NULL;
    *n_missing = 0;
    if (c->set_members) {
        members = store_text_array(a, c->members, c->n_members);
        if (members == NULL)
            return CG_ERR_INTERNAL;
        params[0] = app_id;
        params[1] = members;
        e = db_exec(db, a, deadline_ms,
                    "SELECT t.u FROM unnest($2::text[]) WITH ORDINALITY "
                    "AS t(u, n) WHERE NOT EXISTS (SELECT 1 FROM users "
                    "WHERE app_id = $1 AND id = t.u) ORDER BY t.n",
                    2, params, NULL, &res);
        if (e != CG_ERR_OK)
            return e;
        if (PQntuples(res) > 0) {
            const char **ids =
                arena_calloc(a, (size_t)PQntuples(res) + 1, sizeof(*ids));

            if (ids == NULL)
                return CG_ERR_INTERNAL;
            for (i = 0; i < PQntuples(res); i++)
                if ((ids[i] = arena_strdup(a, PQgetvalue(res, i, 0))) == NULL)
                    return CG_ERR_INTERNAL;
            *missing = ids;
            *n_missing = PQntuples(res);
            *result = GROUP_MEMBERS_MISSING;
            return CG_ERR_OK;
        }
    }
    params[0] = app_id;
    params[1] = id;
    params[2] = c->name;
    params[3] = c->status;
    params[4] = c->metadata;
    params[5] = NULL;
    e = db_exec(db, a, deadline_ms,
                "INSERT INTO groups AS g (app_id, id, name, status, metadata) "
                "SELECT $1::uuid, $2::text, $3::text, "
                "coalesce($4::text, 'active'), coalesce($5::jsonb, '{}') "
                "WHERE $3::text IS NOT NULL AND $3::text <> '' OR EXISTS "
                "(SELECT 1 FROM groups WHERE app_id = $1 AND id = $2) "
                "ON CONFLICT (app_id, id) DO UPDATE SET "
                "name = coalesce(nullif($3::text, ''), g.name), "
                "status = coalesce($4::text, g.status), "
                "metadata = coalesce($5::jsonb, g.metadata), "
                "updated_at = now() RETURNING xmax = 0",
                5, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0) {
        *result = GROUP_NEEDS_NAME;
        return CG_ERR_OK;
    }
    *result = PQgetvalue(res, 0, 0)[0] == 't' ? GROUP_CREATED : GROUP_UPDATED;
    if (!c->set_members)
        return CG_ERR_OK;
    params[2] = members;
    return db_exec(db, a, deadline_ms,
                   "WITH gone AS (DELETE FROM group_members WHERE app_id = $1 "
                   "AND group_id = $2 AND NOT (user_id = ANY ($3::text[]))) "
                   "INSERT INTO group_members (app_id, group_id, user_id) "
                   "SELECT DISTINCT $1::uuid, $2::text, u "
                   "FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING",
                   3, params, NULL, NULL);
}

enum cg_err
store_group_add_member(struct db *db, struct arena *a, int64_t deadline_ms,
                       const char *app_id, const char *group_id,
                       const char *user_id, bool *user_found, bool *group_found)
{
    const char *params[3] = {app_id, group_id, user_id};
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
    *user_found = PQgetvalue(res, 0, 0)[0] == 't';
    *group_found = PQgetvalue(res, 0, 1)[0] == 't';
    return CG_ERR_OK;
}

static const char *
value(struct arena *a, PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL
                                    : arena_strdup(a, PQgetvalue(res, 0, col));
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
        "SELECT u.id, u.name, u.short_name, u.email, u.status, "
        "u.profile_picture_url, u.metadata::text, "
        "(SELECT status FROM groups WHERE app_id = $1 AND id = $3::text), "
        "EXISTS (SELECT 1 FROM group_members WHERE app_id = $1 "
        "AND group_id = $3::text AND user_id = u.id), "
        "coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', "
        "g.name) ORDER BY g.id) FROM group_members m JOIN groups g "
        "ON g.app_id = m.app_id AND g.id = m.group_id "
        "WHERE m.app_id = $1 AND m.user_id = u.id "
        "AND g.status = 'active'), '[]')::text "
        "FROM users u WHERE u.app_id = $1 AND u.id = $2",
        3, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 4), "deleted") == 0) {
        *state = VIEWER_NO_USER;
        return CG_ERR_OK;
    }
    if (group_id != NULL && PQgetisnull(res, 0, 7))
        *state = VIEWER_NO_GROUP;
    else if (group_id != NULL && PQgetvalue(res, 0, 8)[0] != 't')
        *state = VIEWER_NOT_MEMBER;
    else if (group_id != NULL && strcmp(PQgetvalue(res, 0, 7), "active") != 0)
        *state = VIEWER_GROUP_INACTIVE;
    else
        *state = VIEWER_OK;
    v->user_id = value(a, res, 0);
    v->group_id = group_id;
    v->name = value(a, res, 1);
    v->short_name = value(a, res, 2);
    v->email = value(a, res, 3);
    v->status = value(a, res, 4);
    v->profile_picture_url = value(a, res, 5);
    v->metadata = value(a, res, 6);
    v->groups = value(a, res, 9);
    return v->user_id && v->metadata && v->groups ? CG_ERR_OK : CG_ERR_INTERNAL;
}
