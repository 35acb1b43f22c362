/* Groups: upserts, reads, deletes and their members. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "shared.h"

enum cg_err
store_missing_users(struct db *db, struct arena *a, int64_t deadline_ms,
                    const char *app_id, const char *members,
                    const char *const **missing, int *n_missing)
{
    const char *params[2] = {app_id, members};
    const char **ids;
    PGresult *res;
    enum cg_err e;
    int i, n;

    e = db_exec(
        db, a, deadline_ms,
        "SELECT t.u FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n) "
        "WHERE NOT EXISTS (SELECT 1 FROM users "
        "WHERE app_id = $1 AND id = t.u) GROUP BY t.u ORDER BY min(t.n)",
        2, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    n = PQntuples(res);
    ids = arena_calloc(a, (size_t)n + 1, sizeof(*ids));
    if (ids == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if ((ids[i] = store_value(a, res, i, 0)) == NULL)
            return CG_ERR_INTERNAL;
    *missing = ids;
    *n_missing = n;
    return CG_ERR_OK;
}

/* A new group needs a non-empty name (Cord: a falsy one fails).  The row
 * proposed for an existing group must pass NOT NULL too, hence the ''. */
static const char upsert_sql[] =
    "INSERT INTO groups AS g (app_id, id, name, status, metadata) "
    "SELECT $1::uuid, $2::text, coalesce($3::text, ''), "
    "coalesce($4::text, 'active'), "
    "coalesce($5::jsonb, '{}') "
    "WHERE $3::text IS NOT NULL AND $3::text <> '' OR EXISTS "
    "(SELECT 1 FROM groups WHERE app_id = $1 AND id = $2) "
    "ON CONFLICT (app_id, id) DO UPDATE SET "
    "name = coalesce($3::text, g.name), "
    "status = coalesce($4::text, g.status), "
    "metadata = coalesce($5::jsonb, g.metadata), "
    "updated_at = now() RETURNING xmax = 0";

static const char create_sql[] =
    "INSERT INTO groups (app_id, id, name, status, metadata) "
    "VALUES ($1, $2, $3, coalesce($4, 'active'), coalesce($5::jsonb, '{}')) "
    "ON CONFLICT (app_id, id) DO NOTHING RETURNING true";

/* The membership becomes exactly members (a text[] literal). */
static const char replace_members_sql[] =
    "WITH gone AS (DELETE FROM group_members WHERE app_id = $1 "
    "AND group_id = $2 AND NOT (user_id = ANY ($3::text[]))) "
    "INSERT INTO group_members (app_id, group_id, user_id) "
    "SELECT DISTINCT $1::uuid, $2::text, u "
    "FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING";

struct group_write_args {
    const char *app_id, *id;
    const struct group_change *c;
    bool create_only;
    enum group_write *result;
    const char *const **missing;
    int *n_missing;
};

static enum cg_err
write_group(struct db *db, struct arena *a, int64_t deadline_ms, void *arg,
            bool *rollback)
{
    struct group_write_args *w = arg;
    const struct group_change *c = w->c;
    const char *params[5] = {w->app_id, w->id, c->name, c->status, c->metadata};
    const char *members = NULL;
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms, w->create_only ? create_sql : upsert_sql, 5,
                params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0) {
        *w->result = w->create_only ? GROUP_EXISTS : GROUP_NEEDS_NAME;
        *rollback = true;
        return CG_ERR_OK;
    }
    *w->result =
        PQgetvalue(res, 0, 0)[0] == 't' ? GROUP_CREATED : GROUP_UPDATED;
    if (!c->set_members)
        return CG_ERR_OK;
    members = store_text_array(a, c->members, c->n_members);
    if (members == NULL)
        return CG_ERR_INTERNAL;
    e = store_missing_users(db, a, deadline_ms, w->app_id, members, w->missing,
                            w->n_missing);
    if (e != CG_ERR_OK)
        return e;
    if (*w->n_missing > 0) {
        *w->result = GROUP_MEMBERS_MISSING;
        *rollback = true;
        return CG_ERR_OK;
    }
    params[2] = members;
    return db_exec(db, a, deadline_ms, replace_members_sql, 3, params, NULL,
                   NULL);
}

enum cg_err
store_group_write(struct db *db, struct arena *a, int64_t deadline_ms,
                  const char *app_id, const char *id,
                  const struct group_change *c, bool create_only,
                  enum group_write *result, const char *const **missing,
                  int *n_missing)
{
    struct group_write_args w = {app_id, id,      c,        create_only,
                                 result, missing, n_missing};

    *missing = NULL;
    *n_missing = 0;
    return store_transaction(db, a, deadline_ms, write_group, &w);
}

static int
read_group(struct arena *a, const PGresult *res, int row, struct group *g)
{
    g->id = store_value(a, res, row, 0);
    g->name = store_value(a, res, row, 1);
    g->status = store_value(a, res, row, 2);
    g->metadata = store_value(a, res, row, 3);
    return g->id && g->name && g->status && g->metadata ? 0 : -1;
}

enum cg_err
store_group_get(struct db *db, struct arena *a, int64_t deadline_ms,
                const char *app_id, const char *id, struct group *out,
                bool *found)
{
    const char *params[2] = {app_id, id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms,
                "SELECT g.id, g.name, g.status, g.metadata::text, "
                "coalesce((SELECT json_agg(m.user_id ORDER BY m.user_id) "
                "FROM group_members m WHERE m.app_id = g.app_id "
                "AND m.group_id = g.id), '[]')::text "
                "FROM groups g WHERE g.app_id = $1 AND g.id = $2",
                2, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *found = PQntuples(res) == 1;
    if (!*found)
        return CG_ERR_OK;
    if (read_group(a, res, 0, out) != 0 ||
        (out->members = store_value(a, res, 0, 4)) == NULL)
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
store_group_list(struct db *db, struct arena *a, int64_t deadline_ms,
                 const char *app_id, struct group **out, int *count)
{
    const char *params[1] = {app_id};
    PGresult *res;
    enum cg_err e;
    int i, n;

    e = db_exec(db, a, deadline_ms,
                "SELECT id, name, status, metadata::text FROM groups "
                "WHERE app_id = $1 ORDER BY id",
                1, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    n = PQntuples(res);
    *out = arena_calloc(a, (size_t)n + 1, sizeof(**out));
    if (*out == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++)
        if (read_group(a, res, i, &(*out)[i]) != 0)
            return CG_ERR_INTERNAL;
    *count = n;
    return CG_ERR_OK;
}

enum cg_err
store_group_delete(struct db *db, struct arena *a, int64_t deadline_ms,
                   const char *app_id, const char *id, bool *found)
{
    return store_delete(
        db, a, deadline_ms,
        "WITH counts AS (DELETE FROM group_member_counts WHERE app_id = $1 "
        "AND group_id = $2) "
        "DELETE FROM groups WHERE app_id = $1 AND id = $2 RETURNING 1",
        app_id, id, found);
}

/*
 * One statement, so one round trip and atomic: the group must exist, every
 * id must be a user (add checked before remove), and only then do the
 * inserts and deletes run.  Concurrent adds to one group never conflict.
 */
static const char members_change_sql[] =
    "WITH g AS (SELECT 1 FROM groups WHERE app_id = $1 AND id = $2), "
    "miss AS (SELECT t.u FROM unnest($3::text[] || $4::text[]) "
    "WITH ORDINALITY AS t(u, n) WHERE NOT EXISTS (SELECT 1 FROM users "
    "WHERE app_id = $1 AND id = t.u) ORDER BY t.n LIMIT 1), "
    "ok AS (SELECT 1 WHERE EXISTS (SELECT 1 FROM g) "
    "AND NOT EXISTS (SELECT 1 FROM miss)), "
    "ins AS (INSERT INTO group_members (app_id, group_id, user_id) "
    "SELECT DISTINCT $1::uuid, $2::text, u FROM unnest($3::text[]) AS u "
    "WHERE EXISTS (SELECT 1 FROM ok) ON CONFLICT DO NOTHING), "
    "del AS (DELETE FROM group_members WHERE app_id = $1 AND group_id = $2 "
    "AND user_id = ANY ($4::text[]) AND EXISTS (SELECT 1 FROM ok)) "
    "SELECT EXISTS (SELECT 1 FROM g), (SELECT u FROM miss)";

enum cg_err
store_group_members_change(struct db *db, struct arena *a, int64_t deadline_ms,
                           const char *app_id, const char *group_id,
                           const char *const *add, int n_add,
                           const char *const *remove, int n_remove,
                           enum members_change *result, const char **missing)
{
    const char *params[4] = {app_id, group_id, store_text_array(a, add, n_add),
                             store_text_array(a, remove, n_remove)};
    PGresult *res;
    enum cg_err e;

    *missing = NULL;
    if (params[2] == NULL || params[3] == NULL)
        return CG_ERR_INTERNAL;
    e = db_exec(db, a, deadline_ms, members_change_sql, 4, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQgetvalue(res, 0, 0)[0] != 't') {
        *result = MEMBERS_NO_GROUP;
    } else if (!PQgetisnull(res, 0, 1)) {
        *result = MEMBERS_NO_USER;
        if ((*missing = store_value(a, res, 0, 1)) == NULL)
            return CG_ERR_INTERNAL;
    } else {
        *result = MEMBERS_CHANGED;
    }
    return CG_ERR_OK;
}

enum cg_err
store_group_members_list(struct db *db, struct arena *a, int64_t deadline_ms,
                         const char *app_id, const char *group_id,
                         const char *after, long limit, struct user **out,
                         int *count, bool *more, long *total, bool *found)
{
    char lim[24];
    const char *params[4] = {app_id, group_id, after, lim};
    PGresult *res;
    enum cg_err e;

    /* Whatever plan a prepared statement gets, the page is an index range
     * (ids are never "", so "after nothing" is "> ''") and each of its
     * users one primary-key lookup (LATERAL ... LIMIT 1, which the planner
     * cannot flatten into a hash join over all users). */
    store_page_limit(lim, sizeof(lim), limit);
    e = db_exec(
        db, a, deadline_ms,
        "SELECT EXISTS (SELECT 1 FROM groups WHERE app_id = $1 AND id = $2), "
        "(SELECT coalesce(sum(n), 0) FROM group_member_counts "
        "WHERE app_id = $1 AND group_id = $2), " STORE_USER_COLUMNS
        " FROM (SELECT 1) one "
        "LEFT JOIN LATERAL (SELECT u.* FROM (SELECT user_id "
        "FROM group_members WHERE app_id = $1 AND group_id = $2 "
        "AND user_id > coalesce($3::text, '') ORDER BY user_id "
        "LIMIT $4::bigint) m CROSS JOIN LATERAL (SELECT * FROM users "
        "WHERE app_id = $1 AND id = m.user_id LIMIT 1) u ORDER BY u.id) u "
        "ON true",
        4, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *found = PQgetvalue(res, 0, 0)[0] == 't';
    *total = atol(PQgetvalue(res, 0, 1));
    return store_read_page(a, res, 2, limit, out, count, more);
}
