/* db.c: the SQL interface of db.h over SQLite and PostgreSQL (libpq), with prepared
 * statements cached per connection. */
#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_PARAMS 24
#define DB_CACHE 96 /* prepared statements kept per connection */

struct param {
	char type;
	const char *s;
	int64_t i;
	double d;
};

/* A statement prepared on this connection, keyed by its SQL text. */
struct cached {
	const char *sql_ptr; /* the caller's pointer: the usual case is the same literal */
	char *sql;           /* a copy, for the slow path (same text, another pointer) */
	uint64_t hash;
	sqlite3_stmt *st;    /* SQLite */
	char pg_name[16];    /* PostgreSQL: the prepared statement's name */
	int in_use;          /* a db_res is reading it (a nested query of the same SQL gets its own) */
};

struct db {
	enum db_kind kind;
	char *target;
	char *label;
	sqlite3 *lite;
	PGconn *pg;
	struct cached cache[DB_CACHE];
	size_t ncache;
	unsigned pg_seq;
	int in_tx;
};

struct db_res {
	struct db *db;
	struct cached *ent; /* the cached statement in use, or NULL */
	sqlite3_stmt *st;   /* SQLite: the statement being stepped */
	int own_st;         /* SQLite: st is ours to finalize (not cached) */
	PGresult *pg;
	int row, nrows;     /* PostgreSQL: the current row (-1 before the first) */
	int done;
};

int
db_is_postgres_url(const char *target)
{
	return target && (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
log_sql_error(struct db *db, const char *what, const char *sql)
{
	const char *msg = db->kind == DB_SQLITE ? sqlite3_errmsg(db->lite) : PQerrorMessage(db->pg);
	char m[512];
	snprintf(m, sizeof(m), "%s", msg ? msg : "?");
	for (char *p = m; *p; p++)
		if (*p == '\n')
			*p = ' ';
	log_error("db %s: %s: %s [%.100s]", db->label, what, m, sql ? sql : "");
}

/* ---- opening ---------------------------------------------------------------------------- */

static int
open_sqlite(struct db *db)
{
	if (sqlite3_open_v2(db->target, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		log_error("db %s: cannot open: %s", db->label, db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
		return KN_EIO;
	}
	sqlite3_busy_timeout(db->lite, 5000);
	return db_script(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
}

/* "host:port/dbname" of a live connection (never the password). */
static char *
pg_label(PGconn *c)
{
	struct buf b = BUF_INIT;
	const char *host = PQhost(c);
	buf_printf(&b, "%s:%s/%s", host && *host ? host : "local", PQport(c) ? PQport(c) : "", PQdb(c) ? PQdb(c) : "");
	return buf_detach(&b);
}

static void
pg_notice(void *arg, const char *message)
{
	/* NOTICEs (e.g. "relation already exists, skipping") are not worth a log line. */
}

static int
open_pg(struct db *db)
{
	db->pg = PQconnectdb(db->target);
	if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
		char m[512];
		snprintf(m, sizeof(m), "%s", db->pg ? PQerrorMessage(db->pg) : "out of memory");
		for (char *p = m; *p; p++)
			if (*p == '\n')
				*p = ' ';
		log_error("db postgresql: cannot connect: %s", m);
		return KN_EIO;
	}
	PQsetNoticeProcessor(db->pg, pg_notice, NULL);
	free(db->label);
	db->label = pg_label(db->pg);
	return 0;
}

int
db_open(struct db **out, const char *target)
{
	struct db *db = xcalloc(1, sizeof(*db));
	int rc;
	*out = NULL;
	db->target = xstrdup(target);
	if (db_is_postgres_url(target)) {
		db->kind = DB_POSTGRES;
		db->label = xstrdup("postgresql");
		rc = open_pg(db);
	} else {
		db->kind = DB_SQLITE;
		db->label = xstrdup(target);
		rc = open_sqlite(db);
	}
	if (rc < 0) {
		db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

static void
cache_clear(struct db *db)
{
	for (size_t i = 0; i < db->ncache; i++) {
		sqlite3_finalize(db->cache[i].st);
		free(db->cache[i].sql);
	}
	db->ncache = 0;
}

void
db_close(struct db *db)
{
	if (!db)
		return;
	cache_clear(db);
	if (db->lite)
		sqlite3_close(db->lite);
	if (db->pg)
		PQfinish(db->pg);
	free(db->target);
	free(db->label);
	free(db);
}

enum db_kind
db_kind(const struct db *db)
{
	return db->kind;
}

const char *
db_label(const struct db *db)
{
	return db->label;
}

/* ---- statements ------------------------------------------------------------------------- */

static int
collect(struct param *p, const char *types, va_list ap)
{
	size_t n = strlen(types);
	if (n > DB_MAX_PARAMS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		p[i].type = types[i];
		switch (types[i]) {
		case 's': p[i].s = va_arg(ap, const char *); break;
		case 'i': p[i].i = va_arg(ap, int64_t); break;
		case 'd': p[i].d = va_arg(ap, double); break;
		default: return -1;
		}
	}
	return (int)n;
}

/* The cached statement for `sql`, or NULL (with *hash set for cache_add). */
static struct cached *
cache_find(struct db *db, const char *sql, uint64_t *hash)
{
	/* The same literal is the usual case; the text is compared anyway, since a caller may
	 * build its SQL in a reused buffer. */
	for (size_t i = 0; i < db->ncache; i++)
		if (db->cache[i].sql_ptr == sql && strcmp(db->cache[i].sql, sql) == 0)
			return &db->cache[i];
	*hash = fnv1a(sql);
	for (size_t i = 0; i < db->ncache; i++)
		if (db->cache[i].hash == *hash && strcmp(db->cache[i].sql, sql) == 0)
			return &db->cache[i];
	return NULL;
}

static struct cached *
cache_add(struct db *db, const char *sql, uint64_t hash)
{
	if (db->ncache == DB_CACHE)
		return NULL; /* full: the statement is prepared for this use only */
	struct cached *c = &db->cache[db->ncache++];
	memset(c, 0, sizeof(*c));
	c->sql_ptr = sql;
	c->sql = xstrdup(sql);
	c->hash = hash;
	return c;
}

static int
sqlite_err(struct db *db, int rc, const char *sql)
{
	int base = rc & 0xff;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return KN_EEXISTS;
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED) {
		log_warn("db %s: busy [%.100s]", db->label, sql);
		return KN_ELOCKED;
	}
	log_sql_error(db, "statement failed", sql);
	return KN_EIO;
}

static int
sqlite_bind(struct db *db, sqlite3_stmt *st, const struct param *p, int n, const char *sql)
{
	int want = sqlite3_bind_parameter_count(st);
	for (int i = 0; i < n; i++) {
		char name[8];
		snprintf(name, sizeof(name), "$%d", i + 1);
		int idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0) {
			log_error("db %s: parameter %s is not in the statement [%.100s]", db->label, name, sql);
			return KN_EIO;
		}
		int rc = p[i].type == 's' ? (p[i].s ? sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_TRANSIENT)
						    : sqlite3_bind_null(st, idx))
		       : p[i].type == 'i' ? sqlite3_bind_int64(st, idx, p[i].i)
					  : sqlite3_bind_double(st, idx, p[i].d);
		if (rc != SQLITE_OK)
			return sqlite_err(db, rc, sql);
	}
	if (want != n) {
		log_error("db %s: %d parameters given, %d wanted [%.100s]", db->label, n, want, sql);
		return KN_EIO;
	}
	return 0;
}

/* Prepare (or take from the cache) and bind; `res` gets the statement. */
static int
sqlite_start(struct db_res *res, const char *sql, const struct param *p, int n)
{
	struct db *db = res->db;
	uint64_t hash = 0;
	struct cached *c = cache_find(db, sql, &hash);
	if (c && c->in_use)
		c = NULL; /* nested use of the same statement: prepare another */
	else if (!c && (c = cache_add(db, sql, hash)) != NULL &&
		 sqlite3_prepare_v3(db->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st, NULL) != SQLITE_OK) {
		log_sql_error(db, "prepare", sql);
		free(c->sql);
		db->ncache--;
		return KN_EIO;
	}
	if (c) {
		res->ent = c;
		res->st = c->st;
		c->in_use = 1;
	} else {
		if (sqlite3_prepare_v2(db->lite, sql, -1, &res->st, NULL) != SQLITE_OK) {
			log_sql_error(db, "prepare", sql);
			return KN_EIO;
		}
		res->own_st = 1;
	}
	return sqlite_bind(db, res->st, p, n, sql);
}

static int
pg_sqlstate_err(struct db *db, PGresult *pr, const char *sql)
{
	const char *state = PQresultErrorField(pr, PG_DIAG_SQLSTATE);
	if (state && strcmp(state, "23505") == 0)
		return KN_EEXISTS;
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)) {
		log_warn("db %s: serialization conflict %s [%.100s]", db->label, state, sql);
		return KN_ELOCKED;
	}
	const char *msg = PQresultErrorMessage(pr);
	char m[512];
	snprintf(m, sizeof(m), "%s", msg ? msg : "?");
	for (char *q = m; *q; q++)
		if (*q == '\n')
			*q = ' ';
	log_error("db %s: %s [%.100s]", db->label, m, sql);
	return KN_EIO;
}

/* A lost connection (server restart, failover) is re-opened once, outside a transaction:
 * inside one, the transaction is gone anyway and the caller must start again. */
static int
pg_reconnect(struct db *db)
{
	if (PQstatus(db->pg) == CONNECTION_OK)
		return -1;
	log_warn("db %s: connection lost, reconnecting", db->label);
	cache_clear(db);
	PQreset(db->pg);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		log_sql_error(db, "reconnect", NULL);
		return -1;
	}
	db->in_tx = 0;
	return 0;
}

static PGresult *
pg_run(struct db *db, const char *sql, const struct param *p, int n)
{
	char nums[DB_MAX_PARAMS][32];
	const char *vals[DB_MAX_PARAMS];
	for (int i = 0; i < n; i++) {
		if (p[i].type == 's')
			vals[i] = p[i].s;
		else {
			if (p[i].type == 'i')
				snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)p[i].i);
			else
				snprintf(nums[i], sizeof(nums[i]), "%.17g", p[i].d);
			vals[i] = nums[i];
		}
	}
	uint64_t hash = 0;
	struct cached *c = cache_find(db, sql, &hash);
	if (!c && (c = cache_add(db, sql, hash)) != NULL) {
		snprintf(c->pg_name, sizeof(c->pg_name), "k%u", ++db->pg_seq);
		PGresult *pr = PQprepare(db->pg, c->pg_name, sql, n, NULL);
		if (!pr || PQresultStatus(pr) != PGRES_COMMAND_OK) {
			/* not kept: the error shows when it runs unprepared below */
			PQclear(pr);
			free(c->sql);
			db->ncache--;
			c = NULL;
		} else
			PQclear(pr);
	}
	if (c)
		return PQexecPrepared(db->pg, c->pg_name, n, vals, NULL, NULL, 0);
	return PQexecParams(db->pg, sql, n, NULL, vals, NULL, NULL, 0);
}

static int
pg_start(struct db_res *res, const char *sql, const struct param *p, int n)
{
	struct db *db = res->db;
	PGresult *pr = pg_run(db, sql, p, n);
	ExecStatusType s = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;
	if ((s == PGRES_FATAL_ERROR || !pr) && !db->in_tx && pg_reconnect(db) == 0) {
		PQclear(pr);
		pr = pg_run(db, sql, p, n);
		s = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;
	}
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		int rc = pr ? pg_sqlstate_err(db, pr, sql) : (log_sql_error(db, "query", sql), KN_EIO);
		PQclear(pr);
		return rc;
	}
	res->pg = pr;
	res->row = -1;
	res->nrows = PQntuples(pr);
	return 0;
}

static int
start(struct db_res *res, struct db *db, const char *sql, const char *types, va_list ap)
{
	struct param p[DB_MAX_PARAMS];
	int n = collect(p, types, ap);
	memset(res, 0, sizeof(*res));
	res->db = db;
	if (n < 0) {
		log_error("db %s: bad parameter types '%s' [%.100s]", db->label, types, sql);
		return KN_EIO;
	}
	return db->kind == DB_SQLITE ? sqlite_start(res, sql, p, n) : pg_start(res, sql, p, n);
}

static void
finish(struct db_res *res)
{
	if (res->st) {
		if (res->own_st)
			sqlite3_finalize(res->st);
		else {
			sqlite3_reset(res->st);
			sqlite3_clear_bindings(res->st);
		}
	}
	if (res->ent)
		res->ent->in_use = 0;
	PQclear(res->pg);
	res->st = NULL;
	res->ent = NULL;
	res->pg = NULL;
}

int
db_exec(struct db *db, const char *sql, const char *types, ...)
{
	struct db_res res;
	va_list ap;
	va_start(ap, types);
	int rc = start(&res, db, sql, types, ap);
	va_end(ap);
	if (rc == 0 && db->kind == DB_SQLITE) {
		int s;
		while ((s = sqlite3_step(res.st)) == SQLITE_ROW)
			; /* RETURNING rows nobody asked for */
		rc = s == SQLITE_DONE ? sqlite3_changes(db->lite) : sqlite_err(db, sqlite3_extended_errcode(db->lite), sql);
	} else if (rc == 0) {
		const char *t = PQcmdTuples(res.pg);
		rc = t && *t ? atoi(t) : 0;
	}
	finish(&res);
	return rc;
}

int
db_query(struct db_res **out, struct db *db, const char *sql, const char *types, ...)
{
	struct db_res *res = xmalloc(sizeof(*res));
	va_list ap;
	va_start(ap, types);
	int rc = start(res, db, sql, types, ap);
	va_end(ap);
	if (rc < 0) {
		finish(res);
		free(res);
		*out = NULL;
		return rc;
	}
	*out = res;
	return 0;
}

int
db_row(struct db_res *r)
{
	if (!r || r->done)
		return 0;
	if (r->db->kind == DB_POSTGRES) {
		if (++r->row < r->nrows)
			return 1;
		r->done = 1;
		return 0;
	}
	int s = sqlite3_step(r->st);
	if (s == SQLITE_ROW)
		return 1;
	r->done = 1;
	return s == SQLITE_DONE ? 0 : sqlite_err(r->db, sqlite3_extended_errcode(r->db->lite), sqlite3_sql(r->st));
}

const char *
db_col_text(struct db_res *r, int col)
{
	if (r->db->kind == DB_POSTGRES)
		return PQgetisnull(r->pg, r->row, col) ? NULL : PQgetvalue(r->pg, r->row, col);
	return (const char *)sqlite3_column_text(r->st, col);
}

int64_t
db_col_int(struct db_res *r, int col)
{
	if (r->db->kind == DB_SQLITE)
		return sqlite3_column_int64(r->st, col);
	const char *v = db_col_text(r, col);
	if (!v)
		return 0;
	if (strcmp(v, "t") == 0) /* a boolean column */
		return 1;
	return strtoll(v, NULL, 10);
}

double
db_col_double(struct db_res *r, int col)
{
	if (r->db->kind == DB_SQLITE)
		return sqlite3_column_double(r->st, col);
	const char *v = db_col_text(r, col);
	return v ? strtod(v, NULL) : 0;
}

int
db_col_null(struct db_res *r, int col)
{
	if (r->db->kind == DB_POSTGRES)
		return PQgetisnull(r->pg, r->row, col);
	return sqlite3_column_type(r->st, col) == SQLITE_NULL;
}

void
db_res_free(struct db_res *r)
{
	if (!r)
		return;
	finish(r);
	free(r);
}

int
db_query_int(int64_t *out, struct db *db, const char *sql, const char *types, ...)
{
	struct db_res res;
	va_list ap;
	va_start(ap, types);
	int rc = start(&res, db, sql, types, ap);
	va_end(ap);
	if (rc == 0) {
		rc = db_row(&res);
		if (rc == 1) {
			*out = db_col_int(&res, 0);
			rc = 0;
		} else if (rc == 0)
			rc = KN_ENOTFOUND;
	}
	finish(&res);
	return rc;
}

/* ---- transactions and schema ------------------------------------------------------------ */

int
db_script(struct db *db, const char *sql)
{
	if (db->kind == DB_SQLITE) {
		char *err = NULL;
		int rc = sqlite3_exec(db->lite, sql, NULL, NULL, &err);
		if (rc != SQLITE_OK) {
			log_error("db %s: %s [%.100s]", db->label, err ? err : sqlite3_errmsg(db->lite), sql);
			sqlite3_free(err);
			return (rc & 0xff) == SQLITE_BUSY ? KN_ELOCKED : KN_EIO;
		}
		return 0;
	}
	PGresult *pr = PQexec(db->pg, sql);
	if ((!pr || PQresultStatus(pr) == PGRES_FATAL_ERROR) && !db->in_tx && pg_reconnect(db) == 0) {
		PQclear(pr);
		pr = PQexec(db->pg, sql);
	}
	ExecStatusType s = pr ? PQresultStatus(pr) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = pr ? pg_sqlstate_err(db, pr, sql) : KN_EIO;
	PQclear(pr);
	return rc;
}

int
db_begin(struct db *db)
{
	int rc = db_script(db, db->kind == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
	if (rc == 0)
		db->in_tx = 1;
	return rc;
}

int
db_commit(struct db *db)
{
	int rc = db_script(db, "COMMIT");
	if (rc < 0)
		db_rollback(db);
	db->in_tx = 0;
	return rc;
}

void
db_rollback(struct db *db)
{
	if (db->kind == DB_SQLITE && sqlite3_get_autocommit(db->lite)) {
		db->in_tx = 0;
		return; /* nothing open (SQLite rolls back by itself on some errors) */
	}
	db_script(db, "ROLLBACK");
	db->in_tx = 0;
}

int
db_migrate(struct db *db, const char *component, const struct db_migration *steps, size_t n)
{
	int64_t have = 0;
	int rc = db_script(db, "CREATE TABLE IF NOT EXISTS db_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
	if (rc < 0 && db->kind == DB_POSTGRES)
		/* two nodes creating it at once: one wins (unique violation on the catalog) */
		rc = db_script(db, "CREATE TABLE IF NOT EXISTS db_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
	if (rc < 0 || (rc = db_begin(db)) < 0)
		return rc;
	if (db->kind == DB_POSTGRES &&
	    (rc = db_exec(db, "SELECT pg_advisory_xact_lock($1)", "i", (int64_t)(fnv1a(component) & 0x7fffffffffffLL))) < 0)
		goto fail;
	rc = db_query_int(&have, db, "SELECT version FROM db_schema WHERE component = $1", "s", component);
	if (rc == KN_ENOTFOUND)
		have = 0;
	else if (rc < 0)
		goto fail;
	int64_t was = have;
	for (size_t i = 0; i < n; i++) {
		if (steps[i].version <= have)
			continue;
		if ((rc = db_script(db, db->kind == DB_SQLITE ? steps[i].sqlite : steps[i].postgres)) < 0)
			goto fail;
		have = steps[i].version;
	}
	if (was && have != was) /* an upgrade is news; a first creation is not */
		log_info("db %s: %s schema upgraded from version %lld to %lld", db->label, component, (long long)was,
			 (long long)have);
	rc = db_exec(db,
		     "INSERT INTO db_schema(component, version) VALUES($1, $2) "
		     "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
		     "si", component, have);
	if (rc < 0)
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return rc < 0 ? rc : KN_EIO;
}
