/* What the store's files share: array literals, transactions, readers. */
#ifndef CORDGATE_STORE_SHARED_H
#define CORDGATE_STORE_SHARED_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"
#include "cordgate/model.h"

struct arena;
struct db;

/* A PostgreSQL array literal of the n strings, for one parameter: a NULL
 * item is an SQL NULL. */
const char *store_text_array(struct arena *a, const char *const *items, int n);

/* Run fn(db, a, deadline_ms, arg) inside BEGIN/COMMIT, or inside the
 * transaction already open; a failure, or *rollback set by fn, rolls back
 * a transaction of our own. */
enum cg_err store_transaction(struct db *db, struct arena *a,
                              int64_t deadline_ms,
                              enum cg_err (*fn)(struct db *db, struct arena *a,
                                                int64_t deadline_ms, void *arg,
                                                bool *rollback),
                              void *arg) CG_MUSTCHECK;

/* Every id of members (a text[] literal) that is no user of the app, once
 * each, in the order given. */
enum cg_err store_missing_users(struct db *db, struct arena *a,
                                int64_t deadline_ms, const char *app_id,
                                const char *members,
                                const char *const **missing,
                                int *n_missing) CG_MUSTCHECK;

/* ROLLBACK, dropping the connection if even that fails. */
void store_rollback(struct db *db, struct arena *a, int64_t deadline_ms);

/* A column of row as an arena string, NULL for SQL NULL (or no memory). */
const char *store_value(struct arena *a, const PGresult *res, int row, int col);

/* The user columns every user read selects, from alias u, and their
 * reader: n columns starting at col. */
#define STORE_ISO_MS(col)                                                      \
    "to_char(" col " AT TIME ZONE 'UTC', "                                     \
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define STORE_USER_COLUMNS                                                     \
    "u.id, u.email, u.name, u.short_name, u.status, u.profile_picture_url, "   \
    "u.metadata::text, " STORE_ISO_MS("u.created_at")
int store_read_user(struct arena *a, const PGresult *res, int row, int col,
                    struct user *u) CG_MUSTCHECK;
/* Rows of res from column col as users, into *out. */
enum cg_err store_read_users(struct arena *a, const PGresult *res, int rows,
                             int col, struct user **out) CG_MUSTCHECK;

/* Run sql, a DELETE ... RETURNING of ($1 app_id, $2 id); *found says
 * whether a row went. */
enum cg_err store_delete(struct db *db, struct arena *a, int64_t deadline_ms,
                         const char *sql, const char *app_id, const char *id,
                         bool *found) CG_MUSTCHECK;

/* Pages: the LIMIT parameter asks one row more than the page, which says
 * whether another page follows; store_read_page reads the page's users
 * from column col of a LEFT JOIN LATERAL (a row of NULLs: none). */
void store_page_limit(char *text, size_t size, long limit);
enum cg_err store_read_page(struct arena *a, const PGresult *res, int col,
                            long limit, struct user **out, int *count,
                            bool *more) CG_MUSTCHECK;

#endif
