/* test_db.c: the SQL interface against SQLite, and against PostgreSQL when KENNIS_TEST_PG
 * names a database (tests/t0500-postgres.sh starts one and runs this). */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "db.h"

static const struct db_migration steps_v1[] = {
	{ 1,
	  "CREATE TABLE things(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER, x REAL);",
	  "CREATE TABLE things(id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT, x DOUBLE PRECISION);" },
};
static const struct db_migration steps_v2[] = {
	{ 1, "this is not run again", "this is not run again" },
	{ 2, "ALTER TABLE things ADD COLUMN note TEXT;", "ALTER TABLE things ADD COLUMN note TEXT;" },
};

static void
suite(const char *target, const char *label)
{
	struct db *db = NULL, *other = NULL;
	struct db_res *res = NULL;
	int64_t v = -1;

	ok(db_open(&db, target) == 0 && db, "%s: open", label);
	if (!db)
		return;
	db_script(db, "DROP TABLE IF EXISTS things; DROP TABLE IF EXISTS db_schema;");
	ok(db_migrate(db, "test", steps_v1, 1) == 0, "%s: migrate to 1", label);
	ok(db_migrate(db, "test", steps_v2, 2) == 0, "%s: migrate to 2 skips step 1", label);
	ok(db_migrate(db, "test", steps_v2, 2) == 0, "%s: migrating again is a no-op", label);
	int got = db_query_int(&v, db, "SELECT version FROM db_schema WHERE component = $1", "s", "test");
	ok(got == 0 && v == 2, "%s: version recorded (%lld)", label, (long long)v);

	ok(db_exec(db, "INSERT INTO things(name, n, x, note) VALUES($1, $2, $3, $4)", "sids", "ada", (int64_t)42, 1.5,
		   (const char *)NULL) == 1, "%s: insert changes one row", label);
	ok(db_exec(db, "INSERT INTO things(name, n) VALUES($1, $2)", "si", "ada", (int64_t)1) == KN_EEXISTS,
	   "%s: unique violation is KN_EEXISTS", label);
	ok(db_exec(db, "INSERT INTO things(name, n) VALUES($1, $2)", "si", "bob", (int64_t)-7) == 1, "%s: second row", label);
	/* parameters out of order and repeated */
	ok(db_query_int(&v, db, "SELECT n FROM things WHERE name = $2 OR (name = $1 AND $1 = 'zz')", "ss", "x", "bob") == 0 &&
	   v == -7, "%s: $2 before $1, $1 twice", label);

	ok(db_query(&res, db, "SELECT name, n, x, note FROM things ORDER BY name", "") == 0, "%s: query", label);
	int rows = 0, right = 1;
	while (res && db_row(res) == 1) {
		rows++;
		if (rows == 1)
			right &= strcmp(db_col_text(res, 0), "ada") == 0 && db_col_int(res, 1) == 42 &&
				 db_col_double(res, 2) == 1.5 && db_col_text(res, 3) == NULL && db_col_null(res, 3);
		else
			right &= strcmp(db_col_text(res, 0), "bob") == 0 && db_col_int(res, 1) == -7 && db_col_null(res, 2);
	}
	db_res_free(res);
	ok(rows == 2 && right, "%s: rows, types and NULLs read back (%d rows)", label, rows);

	/* The same statement used inside its own loop. */
	int nested = 0;
	static const char *const q = "SELECT name FROM things WHERE n > $1 ORDER BY name";
	ok(db_query(&res, db, q, "i", (int64_t)-100) == 0, "%s: outer query", label);
	while (res && db_row(res) == 1) {
		struct db_res *in = NULL;
		if (db_query(&in, db, q, "i", (int64_t)0) == 0)
			while (db_row(in) == 1)
				nested++;
		db_res_free(in);
	}
	db_res_free(res);
	ok(nested == 2, "%s: a nested use of the same statement works (%d)", label, nested);

	ok(db_query_int(&v, db, "SELECT n FROM things WHERE name = $1", "s", "nobody") == KN_ENOTFOUND,
	   "%s: no row is KN_ENOTFOUND", label);
	ok(db_exec(db, "UPDATE things SET n = n + 1 WHERE name = $1", "s", "nobody") == 0, "%s: update of nothing is 0",
	   label);
	got = db_exec(db, "INSERT INTO things(name, n) VALUES($1, 5) ON CONFLICT(name) DO UPDATE SET n = things.n + excluded.n",
		      "s", "ada") == 1 &&
	      db_query_int(&v, db, "SELECT n FROM things WHERE name = $1", "s", "ada") == 0;
	ok(got && v == 47, "%s: upsert (%lld)", label, (long long)v);
	ok(db_query_int(&v, db, "INSERT INTO things(name, n) VALUES($1, 1) RETURNING id", "s", "cy") == 0 && v > 0,
	   "%s: RETURNING gives the new id", label);

	/* Transactions. */
	ok(db_begin(db) == 0 && db_exec(db, "DELETE FROM things", "") == 3, "%s: delete inside a transaction", label);
	db_rollback(db);
	ok(db_query_int(&v, db, "SELECT count(*) FROM things", "") == 0 && v == 3, "%s: rollback keeps the rows", label);
	ok(db_begin(db) == 0 && db_exec(db, "DELETE FROM things WHERE name = $1", "s", "cy") == 1 && db_commit(db) == 0 &&
	   db_query_int(&v, db, "SELECT count(*) FROM things", "") == 0 && v == 2, "%s: commit", label);

	/* Bad calls are errors, not crashes. */
	ok(db_exec(db, "SELECT * FROM no_such_table", "") == KN_EIO, "%s: SQL error is KN_EIO", label);
	ok(db_exec(db, "SELECT $1", "x", 1) == KN_EIO, "%s: bad type letter", label);
	ok(db_exec(db, "SELECT $1 || $2", "s", "only one") < 0, "%s: missing parameter", label);
	ok(db_exec(db, "INSERT INTO things(name) VALUES($1)", "s", "it's \"quoted\"; DROP TABLE things; --") == 1 &&
	   db_query_int(&v, db, "SELECT count(*) FROM things WHERE name = $1", "s", "it's \"quoted\"; DROP TABLE things; --") == 0 &&
	   v == 1, "%s: parameters are data, never SQL", label);

	/* More distinct statements than the cache holds. */
	int fine = 1;
	for (int i = 0; i < 150; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT %d + $1", i);
		fine &= db_query_int(&v, db, sql, "i", (int64_t)1) == 0 && v == i + 1;
	}
	ok(fine, "%s: 150 distinct statements (past the cache)", label);

	/* A second connection sees committed rows; a lost connection comes back. */
	ok(db_open(&other, target) == 0 && db_query_int(&v, other, "SELECT count(*) FROM things", "") == 0 && v == 3,
	   "%s: a second connection sees the rows", label);
	if (db_kind(db) == DB_POSTGRES && other) {
		int64_t pid = 0;
		db_query_int(&pid, db, "SELECT pg_backend_pid()", "");
		ok(db_query_int(&v, other, "SELECT CASE WHEN pg_terminate_backend($1) THEN 1 ELSE 0 END", "i", pid) == 0 && v == 1,
		   "%s: the first connection is killed from the second", label);
		usleep(100000);
		ok(db_query_int(&v, db, "SELECT count(*) FROM things", "") == 0 && v == 3,
		   "%s: a killed connection is re-opened on the next statement", label);
	}
	db_close(other);
	db_script(db, "DROP TABLE things; DROP TABLE db_schema;");
	db_close(db);
}

int
main(void)
{
	char path[] = "/tmp/kennis-test-db-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	suite(path, "sqlite");
	unlink(path);
	char wal[64];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	ok(db_is_postgres_url("postgresql://u@h/d") && db_is_postgres_url("postgres://h") &&
	   !db_is_postgres_url("data/kennis.db"), "postgres URLs are told from paths");
	const char *pg = getenv("KENNIS_TEST_PG");
	if (pg && *pg)
		suite(pg, "postgresql");
	else
		printf("# KENNIS_TEST_PG not set: PostgreSQL part skipped (tests/t0500-postgres.sh runs it)\n");
	return tap_done();
}
