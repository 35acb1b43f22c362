/* Users: one upsert per write, keyset pages, group memberships. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "shared.h"

/*
 * Absent and null leave a field as it is (Cord: `name ?? undefined`), so
 * coalesce() does the update; only the picture can be cleared, hence its
 * flag.  A create needs an email: the WHERE lets the insert through only
 * with one, or when the row exists (and the insert becomes the update).
 */
static const char upsert_sql[] =
    "INSERT INTO users AS u (app_id, id, email, name, short_name, status, "
    "profile_picture_url, metadata) "
    "SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, "
    "coalesce($6::text, 'active'), CASE WHEN $8::boolean THEN $7::text END, "
    "coalesce($9::jsonb, '{}') "
    "WHERE $3::text IS NOT NULL OR $10::boolean OR EXISTS "
    "(SELECT 1 FROM users WHERE app_id = $1 AND id = $2) "
    "ON CONFLICT (app_id, id) DO UPDATE SET "
    "email = coalesce($3, u.email), name = coalesce($4, u.name), "
    "short_name = coalesce($5, u.short_name), "
    "status = coalesce($6, u.status), "
    "profile_picture_url = CASE WHEN $8::boolean THEN $7 "
    "ELSE u.profile_picture_url END, "
    "metadata = coalesce($9::jsonb, u.metadata), updated_at = now() "
    "RETURNING xmax = 0";

static const char create_sql[] =
    "INSERT INTO users (app_id, id, email, name, short_name, status, "
    "profile_picture_url, metadata) "
    "VALUES ($1, $2, $3, $4, $5, coalesce($6, 'active'), "
    "CASE WHEN $8::boolean THEN $7 END, coalesce($9::jsonb, '{}')) "
    "ON CONFLICT (app_id, id) DO NOTHING RETURNING true";

/* The first of ids (in their order) that is not a group of the app. */
static enum cg_err
first_missing_group(struct db *db, struct arena *a, int64_t deadline_ms,
                    const char *app_id, const char *const *ids, int n,
                    const char **missing)
{
    const char *params[2] = {app_id, store_text_array(a, ids, n)};
    PGresult *res;
    enum cg_err e;

    *missing = NULL;
    if (n == 0)
        return CG_ERR_OK;
    if (params[1] == NULL)
        return CG_ERR_INTERNAL;
    e = db_exec(db, a, deadline_ms,
                "SELECT t.g FROM unnest($2::text[]) WITH ORDINALITY AS t(g, n) "
                "WHERE NOT EXISTS (SELECT 1 FROM groups "
                "WHERE app_id = $1 AND id = t.g) ORDER BY t.n LIMIT 1",
                2, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 1 &&
        (*missing = arena_strdup(a, PQgetvalue(res, 0, 0))) == NULL)
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

static enum cg_err
change_memberships(struct db *db, struct arena *a, int64_t deadline_ms,
                   const char *app_id, const char *id,
                   const struct user_change *c)
{
    const char *params[3] = {app_id, id, NULL};
    enum cg_err e = CG_ERR_OK;

    if (c->n_add > 0) {
        params[2] = store_text_array(a, c->add_groups, c->n_add);
        if (params[2] == NULL)
            return CG_ERR_INTERNAL;
        e = db_exec(db, a, deadline_ms,
                    "INSERT INTO group_members (app_id, group_id, user_id) "
                    "SELECT $1, g, $2 FROM unnest($3::text[]) AS g "
                    "ON CONFLICT DO NOTHING",
                    3, params, NULL, NULL);
    }
    if (e == CG_ERR_OK && c->n_remove > 0) {
        params[2] = store_text_array(a, c->remove_groups, c->n_remove);
        if (params[2] == NULL)
            return CG_ERR_INTERNAL;
        e = db_exec(db, a, deadline_ms,
                    "DELETE FROM group_members WHERE app_id = $1 AND "
                    "user_id = $2 AND group_id = ANY ($3::text[])",
                    3, params, NULL, NULL);
    }
    return e;
}

static enum cg_err
write_user(struct db *db, struct arena *a, int64_t deadline_ms,
           const char *app_id, const char *id, const struct user_change *c,
           bool create_only, enum user_write *result)
{
    const char *params[10] = {
        app_id,
        id,
        c->email,
        c->name,
        c->short_name,
        c->status,
        c->picture,
        c->picture != NULL || c->clear_picture ? "true" : "false",
        c->metadata,
        c->email_optional ? "true" : "false",
    };
    PGresult *res;
    enum cg_err e;

    /* The create statement has no use for $10 (email optional). */
    e = db_exec(db, a, deadline_ms, create_only ? create_sql : upsert_sql,
                create_only ? 9 : 10, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 0)
        *result = create_only ? USER_EXISTS : USER_NEEDS_EMAIL;
    else
        *result = PQgetvalue(res, 0, 0)[0] == 't' ? USER_CREATED : USER_UPDATED;
    return CG_ERR_OK;
}

struct user_write_args {
    const char *app_id, *id;
    const struct user_change *c;
    bool create_only;
    enum user_write *result;
    const char **missing_group;
};

/* The user and its memberships, rolled back whole on any miss. */
static enum cg_err
write_with_groups(struct db *db, struct arena *a, int64_t deadline_ms,
                  void *arg, bool *rollback)
{
    struct user_write_args *w = arg;
    const struct user_change *c = w->c;
    enum cg_err e;

    e = first_missing_group(db, a, deadline_ms, w->app_id, c->add_groups,
                            c->n_add, w->missing_group);
    if (e == CG_ERR_OK && *w->missing_group == NULL)
        e = first_missing_group(db, a, deadline_ms, w->app_id, c->remove_groups,
                                c->n_remove, w->missing_group);
    if (e != CG_ERR_OK)
        return e;
    if (*w->missing_group != NULL) {
        *w->result = USER_GROUP_MISSING;
        *rollback = true;
        return CG_ERR_OK;
    }
    e = write_user(db, a, deadline_ms, w->app_id, w->id, c, w->create_only,
                   w->result);
    if (e != CG_ERR_OK)
        return e;
    if (*w->result == USER_EXISTS || *w->result == USER_NEEDS_EMAIL) {
        *rollback = true;
        return CG_ERR_OK;
    }
    return change_memberships(db, a, deadline_ms, w->app_id, w->id, c);
}

enum cg_err
store_user_write(struct db *db, struct arena *a, int64_t deadline_ms,
                 const char *app_id, const char *id,
                 const struct user_change *c, bool create_only,
                 enum user_write *result, const char **missing_group)
{
    struct user_write_args w = {app_id,      id,     c,
                                create_only, result, missing_group};

    *missing_group = NULL;
    if (c->n_add == 0 && c->n_remove == 0)
        return write_user(db, a, deadline_ms, app_id, id, c, create_only,
                          result);
    return store_transaction(db, a, deadline_ms, write_with_groups, &w);
}

enum cg_err
store_user_get(struct db *db, struct arena *a, int64_t deadline_ms,
               const char *app_id, const char *id, struct user *out,
               bool *found)
{
    const char *params[2] = {app_id, id};
    PGresult *res;
    enum cg_err e;

    e = db_exec(db, a, deadline_ms,
                "SELECT " STORE_USER_COLUMNS
                ", coalesce((SELECT json_agg(m.group_id "
                "ORDER BY m.group_id) FROM group_members m JOIN groups g "
                "ON g.app_id = m.app_id AND g.id = m.group_id "
                "WHERE m.app_id = u.app_id AND m.user_id = u.id "
                "AND g.status = 'active'), '[]')::text "
                "FROM users u WHERE u.app_id = $1 AND u.id = $2",
                2, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *found = PQntuples(res) == 1;
    if (!*found)
        return CG_ERR_OK;
    if (store_read_user(a, res, 0, 0, out) != 0 ||
        (out->groups = store_value(a, res, 0, 8)) == NULL)
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}

enum cg_err
store_user_list(struct db *db, struct arena *a, int64_t deadline_ms,
                const char *app_id, const char *metadata_filter,
                const char *after, long limit, struct user **out, int *count,
                bool *more, long *total)
{
    char lim[24];
    const char *params[4] = {app_id, metadata_filter, after, lim};
    PGresult *res;
    enum cg_err e;

    store_page_limit(lim, sizeof(lim), limit);
    e = db_exec(
        db, a, deadline_ms,
        "WITH matched AS (SELECT count(*) AS total FROM users "
        "WHERE app_id = $1 AND ($2::jsonb IS NULL OR metadata @> $2::jsonb)) "
        "SELECT m.total, " STORE_USER_COLUMNS
        " FROM matched m LEFT JOIN LATERAL "
        "(SELECT * FROM users WHERE app_id = $1 "
        "AND ($2::jsonb IS NULL OR metadata @> $2::jsonb) "
        "AND id > coalesce($3::text, '') ORDER BY id "
        "LIMIT $4::bigint) u ON true",
        4, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    *total = atol(PQgetvalue(res, 0, 0));
    return store_read_page(a, res, 1, limit, out, count, more);
}

enum cg_err
store_user_delete(struct db *db, struct arena *a, int64_t deadline_ms,
                  const char *app_id, const char *id, bool *found)
{
    return store_delete(
        db, a, deadline_ms,
        "DELETE FROM users WHERE app_id = $1 AND id = $2 RETURNING 1", app_id,
        id, found);
}
