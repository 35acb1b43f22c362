/* POST /v1/batch's writes: one statement per table, one transaction. */
#include <stdlib.h>
#include <string.h>

#include "cordgate/arena.h"
#include "cordgate/db.h"
#include "cordgate/store.h"
#include "shared.h"

/*
 * Existing users change only where a field is given (as PUT does); the
 * others are inserted.  The update runs first in a CTE and the insert skips
 * what it touched; ON CONFLICT covers a user created meanwhile.
 */
static const char users_sql[] =
    "WITH src AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], "
    "$5::text[], $6::text[], $7::text[], $8::boolean[], $9::text[]) "
    "AS s(id, email, name, short_name, status, picture, clear, metadata)), "
    "upd AS (UPDATE users u SET email = coalesce(s.email, u.email), "
    "name = coalesce(s.name, u.name), "
    "short_name = coalesce(s.short_name, u.short_name), "
    "status = coalesce(s.status, u.status), "
    "profile_picture_url = CASE WHEN s.picture IS NOT NULL OR s.clear "
    "THEN s.picture ELSE u.profile_picture_url END, "
    "metadata = coalesce(s.metadata::jsonb, u.metadata), updated_at = now() "
    "FROM src s WHERE u.app_id = $1 AND u.id = s.id RETURNING u.id) "
    "INSERT INTO users AS u (app_id, id, email, name, short_name, status, "
    "profile_picture_url, metadata) "
    "SELECT $1, s.id, s.email, s.name, s.short_name, "
    "coalesce(s.status, 'active'), s.picture, "
    "coalesce(s.metadata::jsonb, '{}') FROM src s "
    "WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.id = s.id) "
    "ON CONFLICT (app_id, id) DO UPDATE SET "
    "email = coalesce(EXCLUDED.email, u.email), "
    "name = coalesce(EXCLUDED.name, u.name), "
    "short_name = coalesce(EXCLUDED.short_name, u.short_name), "
    "updated_at = now()";

/* The first group (by position) that is new and has no name. */
static const char nameless_sql[] =
    "SELECT s.n FROM unnest($2::text[], $3::text[]) WITH ORDINALITY "
    "AS s(id, name, n) WHERE s.name IS NULL AND NOT EXISTS (SELECT 1 "
    "FROM groups WHERE app_id = $1 AND id = s.id) ORDER BY s.n LIMIT 1";

/* Existing groups change where a field is given, status included. */
static const char groups_sql[] =
    "WITH src AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], "
    "$5::text[]) AS s(id, name, status, metadata)), "
    "upd AS (UPDATE groups g SET name = coalesce(s.name, g.name), "
    "status = coalesce(s.status, g.status), "
    "metadata = coalesce(s.metadata::jsonb, g.metadata), updated_at = now() "
    "FROM src s WHERE g.app_id = $1 AND g.id = s.id RETURNING g.id) "
    "INSERT INTO groups AS g (app_id, id, name, status, metadata) "
    "SELECT $1, s.id, s.name, coalesce(s.status, 'active'), "
    "coalesce(s.metadata::jsonb, '{}') FROM src s "
    "WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.id = s.id) "
    "ON CONFLICT (app_id, id) DO UPDATE SET "
    "name = coalesce(EXCLUDED.name, g.name), updated_at = now()";

/* The groups in $2 get exactly the (group, user) pairs of $3 and $4. */
static const char members_sql[] =
    "WITH pairs AS (SELECT DISTINCT g, u FROM unnest($3::text[], $4::text[]) "
    "AS p(g, u)), "
    "gone AS (DELETE FROM group_members m WHERE m.app_id = $1 "
    "AND m.group_id = ANY ($2::text[]) AND NOT EXISTS (SELECT 1 FROM pairs p "
    "WHERE p.g = m.group_id AND p.u = m.user_id)) "
    "INSERT INTO group_members (app_id, group_id, user_id) "
    "SELECT $1, g, u FROM pairs ON CONFLICT DO NOTHING";

struct item {
    const char *id;
    int index;
};

static int
by_id_then_index(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);

    return c != 0 ? c : (a->index > b->index) - (a->index < b->index);
}

/*
 * The positions of the items that count, in input order: of several items
 * with one id, the last.  ids[i] is item i's id.
 */
static int *
last_of_each(struct arena *a, const char *const *ids, int n, int *kept)
{
    struct item *items = arena_calloc(a, (size_t)n + 1, sizeof(*items));
    char *keep = arena_calloc(a, (size_t)n + 1, 1);
    int *out = arena_calloc(a, (size_t)n + 1, sizeof(*out));
    int i, k = 0;

    if (items == NULL || keep == NULL || out == NULL)
        return NULL;
    for (i = 0; i < n; i++)
        items[i] = (struct item){ids[i], i};
    qsort(items, (size_t)n, sizeof(*items), by_id_then_index);
    for (i = 0; i < n; i++)
        if (i + 1 == n || strcmp(items[i].id, items[i + 1].id) != 0)
            keep[items[i].index] = 1;
    for (i = 0; i < n; i++)
        if (keep[i])
            out[k++] = i;
    *kept = k;
    return out;
}

/* n columns of a table of strings, each one array parameter. */
struct columns {
    const char **col[8];
    int ncols, rows;
};

static int
columns_init(struct arena *a, struct columns *c, int ncols, int rows)
{
    int i;

    c->ncols = ncols;
    c->rows = 0;
    for (i = 0; i < ncols; i++)
        if ((c->col[i] =
                 arena_calloc(a, (size_t)rows + 1, sizeof(*c->col[i]))) == NULL)
            return -1;
    return 0;
}

/* The columns as params[1..ncols], after the app id in params[0]. */
static int
columns_params(struct arena *a, const struct columns *c, const char **params)
{
    int i;

    for (i = 0; i < c->ncols; i++)
        if ((params[i + 1] = store_text_array(a, c->col[i], c->rows)) == NULL)
            return -1;
    return 0;
}

struct batch_args {
    const char *app_id;
    const struct batch_user *users;
    int n_users;
    const struct batch_group *groups;
    int n_groups;
    enum batch_write *result;
    int *bad;
    const char *const **missing;
    int *n_missing;
};

static enum cg_err
write_users(struct db *db, struct arena *a, int64_t deadline_ms,
            const struct batch_args *w)
{
    const char **ids = arena_calloc(a, (size_t)w->n_users + 1, sizeof(*ids));
    const char *params[9] = {w->app_id};
    struct columns c;
    int *keep, n, i;

    if (ids == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < w->n_users; i++)
        ids[i] = w->users[i].id;
    keep = last_of_each(a, ids, w->n_users, &n);
    if (keep == NULL || columns_init(a, &c, 8, n) != 0)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        const struct batch_user *u = &w->users[keep[i]];

        c.col[0][i] = u->id;
        c.col[1][i] = u->c.email;
        c.col[2][i] = u->c.name;
        c.col[3][i] = u->c.short_name;
        c.col[4][i] = u->c.status;
        c.col[5][i] = u->c.picture;
        c.col[6][i] = u->c.clear_picture ? "t" : "f";
        c.col[7][i] = u->c.metadata;
    }
    c.rows = n;
    if (columns_params(a, &c, params) != 0)
        return CG_ERR_INTERNAL;
    return db_exec(db, a, deadline_ms, users_sql, 9, params, NULL, NULL);
}

static enum cg_err
write_groups(struct db *db, struct arena *a, int64_t deadline_ms,
             const struct batch_args *w, const int *keep, int n)
{
    const char *params[5] = {w->app_id};
    struct columns c;
    PGresult *res;
    enum cg_err e;
    int i;

    if (columns_init(a, &c, 4, n) != 0)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        const struct batch_group *g = &w->groups[keep[i]];

        c.col[0][i] = g->id;
        c.col[1][i] = g->c.name;
        c.col[2][i] = g->c.status;
        c.col[3][i] = g->c.metadata;
    }
    c.rows = n;
    if (columns_params(a, &c, params) != 0)
        return CG_ERR_INTERNAL;
    e = db_exec(db, a, deadline_ms, nameless_sql, 3, params, NULL, &res);
    if (e != CG_ERR_OK)
        return e;
    if (PQntuples(res) == 1) {
        *w->result = BATCH_GROUP_NEEDS_NAME;
        *w->bad = keep[atoi(PQgetvalue(res, 0, 0)) - 1];
        return CG_ERR_OK;
    }
    return db_exec(db, a, deadline_ms, groups_sql, 5, params, NULL, NULL);
}

static enum cg_err
write_members(struct db *db, struct arena *a, int64_t deadline_ms,
              const struct batch_args *w, const int *keep, int n)
{
    const char *params[4] = {w->app_id};
    struct columns sets, pairs;
    int i, j, npairs = 0;
    enum cg_err e;

    for (i = 0; i < n; i++)
        npairs += w->groups[keep[i]].c.n_members;
    if (columns_init(a, &sets, 1, n) != 0 ||
        columns_init(a, &pairs, 2, npairs) != 0)
        return CG_ERR_INTERNAL;
    for (i = 0; i < n; i++) {
        const struct batch_group *g = &w->groups[keep[i]];

        if (!g->c.set_members)
            continue;
        sets.col[0][sets.rows++] = g->id;
        for (j = 0; j < g->c.n_members; j++) {
            pairs.col[0][pairs.rows] = g->id;
            pairs.col[1][pairs.rows++] = g->c.members[j];
        }
    }
    if (sets.rows == 0)
        return CG_ERR_OK;
    if (columns_params(a, &sets, params) != 0 ||
        columns_params(a, &pairs, params + 1) != 0)
        return CG_ERR_INTERNAL;
    e = store_missing_users(db, a, deadline_ms, w->app_id, params[3],
                            w->missing, w->n_missing);
    if (e != CG_ERR_OK)
        return e;
    if (*w->n_missing > 0) {
        *w->result = BATCH_MEMBERS_MISSING;
        return CG_ERR_OK;
    }
    return db_exec(db, a, deadline_ms, members_sql, 4, params, NULL, NULL);
}

static enum cg_err
write_batch(struct db *db, struct arena *a, int64_t deadline_ms, void *arg,
            bool *rollback)
{
    struct batch_args *w = arg;
    const char **ids;
    int *keep, n, i;
    enum cg_err e;

    *w->result = BATCH_DONE;
    if (w->n_users > 0 && (e = write_users(db, a, deadline_ms, w)) != CG_ERR_OK)
        return e;
    if (w->n_groups == 0)
        return CG_ERR_OK;
    ids = arena_calloc(a, (size_t)w->n_groups + 1, sizeof(*ids));
    if (ids == NULL)
        return CG_ERR_INTERNAL;
    for (i = 0; i < w->n_groups; i++)
        ids[i] = w->groups[i].id;
    keep = last_of_each(a, ids, w->n_groups, &n);
    if (keep == NULL)
        return CG_ERR_INTERNAL;
    e = write_groups(db, a, deadline_ms, w, keep, n);
    if (e == CG_ERR_OK && *w->result == BATCH_DONE)
        e = write_members(db, a, deadline_ms, w, keep, n);
    *rollback = *w->result != BATCH_DONE;
    return e;
}

enum cg_err
store_batch(struct db *db, struct arena *a, int64_t deadline_ms,
            const char *app_id, const struct batch_user *users, int n_users,
            const struct batch_group *groups, int n_groups,
            enum batch_write *result, int *bad, const char *const **missing,
            int *n_missing)
{
    struct batch_args w = {app_id, users, n_users, groups,   n_groups,
                           result, bad,   missing, n_missing};

    *bad = -1;
    *missing = NULL;
    *n_missing = 0;
    return store_transaction(db, a, deadline_ms, write_batch, &w);
}
