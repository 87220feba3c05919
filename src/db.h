/* db.h: one small SQL interface over SQLite (the embedded default) and PostgreSQL (libpq,
 * shared by several nodes) for the state that is not in git: accounts, sessions, tokens,
 * groups, space rules, watches, the outbox. */
#ifndef KENNIS_DB_H
#define KENNIS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "kennis.h"

enum db_kind { DB_SQLITE, DB_POSTGRES };

/* One connection; never shared between threads (each thread opens its own). */
struct db;
/* The rows of one query, read one at a time with db_row. */
struct db_res;

/* Is `target` a PostgreSQL connection string ("postgresql://…", "postgres://…")? */
int db_is_postgres_url(const char *target);

/* Open `target`: a PostgreSQL URL, or else the path of a SQLite file (created if needed,
 * WAL, foreign keys on, a busy timeout). Caller frees with db_close. 0 or KN_EIO (logged,
 * without the password). */
int db_open(struct db **out, const char *target);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* What to call the database in a log line: the SQLite path, or host:port/dbname. */
const char *db_label(const struct db *db);

/* SQL is written once for both engines: parameters are $1, $2, … (both engines read that),
 * and only the SQL both understand is used (ON CONFLICT … DO UPDATE, RETURNING, no
 * engine-specific functions). `types` has one letter per parameter, in order:
 *   's' const char * (NULL binds SQL NULL)    'i' int64_t    'd' double
 * Returns the number of rows changed (>= 0), KN_EEXISTS when a unique constraint refused
 * the row, KN_ELOCKED when the engine gave up on a lock or a serialization conflict (retry
 * the transaction), or KN_EIO (logged with the statement). */
int db_exec(struct db *db, const char *sql, const char *types, ...);

/* Run a query; read its rows with db_row and the db_col_* functions, then db_res_free. The
 * statement is prepared once per connection and reused. 0, KN_ELOCKED or KN_EIO. */
int db_query(struct db_res **out, struct db *db, const char *sql, const char *types, ...);
/* Advance to the next row: 1 a row is current, 0 no more rows, KN_EIO. */
int db_row(struct db_res *r);
/* Columns of the current row, from 0. Text lives until the next db_row or db_res_free;
 * NULL for SQL NULL. */
const char *db_col_text(struct db_res *r, int col);
int64_t db_col_int(struct db_res *r, int col); /* 0 for NULL */
double db_col_double(struct db_res *r, int col);
int db_col_null(struct db_res *r, int col);
void db_res_free(struct db_res *r);

/* One query, one row, one integer column: 0 with *out set, KN_ENOTFOUND (no row), or an
 * error as db_query. */
int db_query_int(int64_t *out, struct db *db, const char *sql, const char *types, ...);

/* Transactions. db_begin takes the write lock at once on SQLite (BEGIN IMMEDIATE), so two
 * writers never deadlock on an upgrade. db_rollback never fails (it logs). */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* The schema of one component (e.g. "auth") as numbered steps; db_migrate applies the
 * steps whose version is above the component's recorded one, each in a transaction, and
 * records it. Safe when several processes or nodes start at once (SQLite: the write lock;
 * PostgreSQL: an advisory lock). `sql` is run as a script (several statements). */
struct db_migration {
	int version;
	const char *sqlite;
	const char *postgres;
};
int db_migrate(struct db *db, const char *component, const struct db_migration *steps, size_t n);

/* Run a script of several statements without parameters (schema, PRAGMA). 0 or KN_EIO. */
int db_script(struct db *db, const char *sql);

#endif
