/* The worker's PostgreSQL connection: lazy, bounded in time, re-opened. */
#ifndef CORDGATE_DB_H
#define CORDGATE_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct arena;
struct db;
struct metrics;

/* Nothing is opened until the first statement.  With prepared, each
 * statement is prepared once per connection under a name and executed by
 * it after that (not behind PgBouncer in transaction mode). */
struct db *db_create(const char *conninfo, struct metrics *metrics,
                     bool prepared, unsigned timeout_ms);
/*
 * timeout_ms, when not 0, is the request deadline: the server is asked to
 * stop a statement, and to end a transaction left idle, after that long
 * (statement_timeout, idle_in_transaction_session_timeout), and a server that
 * does not answer opens the circuit (db.c).  0 is for the command line.
 *
 * db_share_health: put what every connection learns of the server's health
 * in memory shared with the processes forked afterwards (the workers).
 */
int db_share_health(void) CG_MUSTCHECK;
void db_destroy(struct db *db);
/* Close the connection; the next statement opens a new one. */
void db_disconnect(struct db *db);

/*
 * Run one parameterised statement (one round trip: parse, bind and execute
 * go out together) and wait for it until deadline_ms (CLOCK_MONOTONIC).  On
 * success *res is a PGresult released when the arena is reset.  Errors:
 * CG_ERR_DATABASE_UNAVAILABLE when the server cannot be reached, is shutting
 * down, the deadline passed (the connection is then given up, and a new one
 * tried for up to 500 ms more), or the circuit is open;
 * CG_ERR_INTERNAL for any other failure, with db_sqlstate() telling which.
 */
enum cg_err db_exec(struct db *db, struct arena *a, int64_t deadline_ms,
                    const char *sql, int nparams, const char *const *values,
                    const int *lengths, PGresult **res) CG_MUSTCHECK;
/* Several statements in one string, no parameters (migrations). */
enum cg_err db_exec_script(struct db *db, struct arena *a, int64_t deadline_ms,
                           const char *sql) CG_MUSTCHECK;
/* Is a transaction open on the connection (BEGIN without COMMIT yet)? */
bool db_in_transaction(const struct db *db);

/* The SQLSTATE of the last failed statement, or "" */
const char *db_sqlstate(const struct db *db);
/* The server's message for the last failure, for logs (never for clients). */
const char *db_last_error(const struct db *db);

#endif
