/* outbox.c: the delivery queue and its log, the same SQL on SQLite and PostgreSQL but for
 * the claim (PostgreSQL: FOR UPDATE SKIP LOCKED). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE outbox(id TEXT PRIMARY KEY, kind INTEGER NOT NULL, target INTEGER NOT NULL,"
	  "  payload TEXT NOT NULL, created INTEGER NOT NULL, next_at INTEGER NOT NULL,"
	  "  attempts INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0,"
	  "  claimed_until INTEGER NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT, done_at INTEGER);"
	  "CREATE INDEX outbox_due ON outbox(state, next_at);"
	  "CREATE INDEX outbox_target ON outbox(kind, target, created);"
	  "CREATE TABLE outbox_log(id INTEGER PRIMARY KEY, item TEXT NOT NULL, at INTEGER NOT NULL,"
	  "  attempt INTEGER NOT NULL, status INTEGER, error TEXT, ms INTEGER NOT NULL);"
	  "CREATE INDEX outbox_log_item ON outbox_log(item, at);",
	  "CREATE TABLE outbox(id TEXT PRIMARY KEY, kind INTEGER NOT NULL, target BIGINT NOT NULL,"
	  "  payload TEXT NOT NULL, created BIGINT NOT NULL, next_at BIGINT NOT NULL,"
	  "  attempts INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0,"
	  "  claimed_until BIGINT NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT, done_at BIGINT);"
	  "CREATE INDEX outbox_due ON outbox(state, next_at);"
	  "CREATE INDEX outbox_target ON outbox(kind, target, created);"
	  "CREATE TABLE outbox_log(id BIGSERIAL PRIMARY KEY, item TEXT NOT NULL, at BIGINT NOT NULL,"
	  "  attempt INTEGER NOT NULL, status INTEGER, error TEXT, ms INTEGER NOT NULL);"
	  "CREATE INDEX outbox_log_item ON outbox_log(item, at);" },
	/* who holds a lease: a restarted node gives back what it held when it died */
	{ 2, "ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';",
	  "ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';" },
	/* the order items were queued in (SQLite has its rowid) */
	{ 3, "SELECT 1;", "ALTER TABLE outbox ADD COLUMN seq BIGSERIAL;" },
};

/* state column */
enum { PENDING = 0, DELIVERED = 1, FAILED = 2 };

int
outbox_db_init(struct db *db)
{
	return db_migrate(db, "outbox", schema, sizeof(schema) / sizeof(schema[0]));
}

int64_t
outbox_backoff(int attempt)
{
	/* The first pauses are short (a receiver restarting), then growing, about a day in all
	 * (23.9 hours over 13 tries). */
	static const int64_t pause[] = { 1, 5, 30, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800 };
	if (attempt < 1 || (size_t)attempt > sizeof(pause) / sizeof(pause[0]))
		return -1;
	return pause[attempt - 1];
}

int
outbox_add(struct db *db, const char *id, int kind, int64_t target, const char *payload, int64_t now)
{
	int rc = db_exec(db,
			 "INSERT INTO outbox(id, kind, target, payload, created, next_at) VALUES($1, $2, $3, $4, $5, $5) "
			 "ON CONFLICT(id) DO NOTHING",
			 "siisi", id, (int64_t)kind, target, payload, now);
	return rc < 0 ? rc : 0;
}

static int
queue_order(const void *x, const void *y)
{
	const struct outbox_item *a = x, *b = y;
	for (int i = 0; i < 2; i++)
		if (a->order[i] != b->order[i])
			return a->order[i] < b->order[i] ? -1 : 1;
	return 0;
}

int
outbox_claim(struct db *db, struct outbox_item *items, int max, int64_t now, const char *node)
{
	struct db_res *r = NULL;
	int n = 0;
	/* One statement: choosing and leasing cannot be split by another sender. */
	const char *sql =
		db_kind(db) == DB_POSTGRES
			? "UPDATE outbox SET claimed_until = $1 + $2, claimed_by = $4 WHERE id IN (SELECT id FROM outbox WHERE "
			  "state = 0 AND next_at <= $1 AND claimed_until <= $1 ORDER BY next_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED) "
			  "RETURNING id, kind, target, payload, created, attempts, next_at, seq"
			: "UPDATE outbox SET claimed_until = $1 + $2, claimed_by = $4 WHERE id IN (SELECT id FROM outbox WHERE "
			  "state = 0 AND next_at <= $1 AND claimed_until <= $1 ORDER BY next_at, rowid LIMIT $3) "
			  "RETURNING id, kind, target, payload, created, attempts, next_at, rowid";
	int rc = db_query(&r, db, sql, "iiis", now, (int64_t)OUTBOX_LEASE, (int64_t)max, node ? node : "");
	if (rc < 0)
		return rc;
	while (n < max && (rc = db_row(r)) == 1) {
		struct outbox_item *it = &items[n++];
		memset(it, 0, sizeof(*it));
		snprintf(it->id, sizeof(it->id), "%s", db_col_text(r, 0));
		it->kind = (int)db_col_int(r, 1);
		it->target = db_col_int(r, 2);
		it->payload = xstrdup(db_col_text(r, 3));
		it->created = db_col_int(r, 4);
		it->attempts = (int)db_col_int(r, 5);
		it->order[0] = db_col_int(r, 6);
		it->order[1] = db_col_int(r, 7);
	}
	db_res_free(r);
	if (rc < 0) {
		while (n)
			free(items[--n].payload);
		return rc;
	}
	/* RETURNING has no order: put them back in the queue's (what was queued first goes first) */
	qsort(items, (size_t)n, sizeof(*items), queue_order);
	return n;
}

int
outbox_done(struct db *db, const struct outbox_item *it, int64_t now, int delivered, int retry, long status,
	    const char *error, int ms)
{
	int attempt = it->attempts + 1;
	int64_t pause = delivered || !retry ? -1 : outbox_backoff(attempt);
	int state = delivered ? DELIVERED : pause < 0 ? FAILED : PENDING;
	int rc = db_begin(db);
	if (rc < 0)
		return rc;
	rc = db_exec(db,
		     "UPDATE outbox SET attempts = $2, state = $3, next_at = $4, claimed_until = 0, last_status = $5, "
		     "last_error = $6, done_at = $7 WHERE id = $1",
		     "siiiisi", it->id, (int64_t)attempt, (int64_t)state, now + (pause > 0 ? pause : 0), (int64_t)status,
		     delivered ? NULL : error, state == PENDING ? (int64_t)0 : now);
	if (rc >= 0)
		rc = db_exec(db, "INSERT INTO outbox_log(item, at, attempt, status, error, ms) VALUES($1, $2, $3, $4, $5, $6)",
			     "siiisi", it->id, now, (int64_t)attempt, (int64_t)status, delivered ? NULL : error, (int64_t)ms);
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int64_t
outbox_next_due(struct db *db, int64_t now)
{
	struct db_res *r = NULL;
	int64_t left = -1;
	if (db_query(&r, db, "SELECT count(*), coalesce(min(next_at), 0) FROM outbox WHERE state = 0", "") == 0 &&
	    db_row(r) == 1 && db_col_int(r, 0) > 0) {
		int64_t next = db_col_int(r, 1);
		left = next <= now ? 0 : next - now;
	}
	db_res_free(r);
	return left;
}

int
outbox_prune(struct db *db, int64_t now, int days)
{
	int64_t before = now - (int64_t)days * 86400;
	int a = db_exec(db, "DELETE FROM outbox WHERE state = 1 AND done_at < $1", "i", before);
	int b = db_exec(db, "DELETE FROM outbox_log WHERE at < $1 AND item NOT IN (SELECT id FROM outbox)", "i", before);
	if (a < 0 || b < 0)
		return KN_EIO;
	return a + b;
}

int
outbox_tries(struct db *db, int kind, int64_t target, size_t max, int (*cb)(const struct outbox_try *t, void *payload),
	     void *payload)
{
	struct db_res *r = NULL;
	struct outbox_try t;
	int rc = db_query(&r, db,
			  "SELECT l.item, l.at, l.attempt, coalesce(l.status, 0), coalesce(l.error, ''), l.ms, o.state "
			  "FROM outbox_log l JOIN outbox o ON o.id = l.item WHERE o.kind = $1 AND o.target = $2 "
			  "ORDER BY l.at DESC, l.id DESC LIMIT $3",
			  "iii", (int64_t)kind, target, (int64_t)max);
	while (rc == 0 && (rc = db_row(r)) == 1) {
		memset(&t, 0, sizeof(t));
		snprintf(t.item, sizeof(t.item), "%s", db_col_text(r, 0));
		t.at = db_col_int(r, 1);
		t.attempt = (int)db_col_int(r, 2);
		t.status = (long)db_col_int(r, 3);
		snprintf(t.error, sizeof(t.error), "%s", db_col_text(r, 4));
		t.ms = (int)db_col_int(r, 5);
		t.state = (int)db_col_int(r, 6);
		rc = cb(&t, payload);
	}
	db_res_free(r);
	return rc < 0 ? KN_EIO : 0;
}

int
outbox_counts(struct db *db, int kind, int64_t target, int64_t *waiting, int64_t *failed)
{
	*waiting = *failed = 0;
	if (db_query_int(waiting, db, "SELECT count(*) FROM outbox WHERE kind = $1 AND target = $2 AND state = 0", "ii",
			 (int64_t)kind, target) < 0 ||
	    db_query_int(failed, db, "SELECT count(*) FROM outbox WHERE kind = $1 AND target = $2 AND state = 2", "ii",
			 (int64_t)kind, target) < 0)
		return KN_EIO;
	return 0;
}

int
outbox_retry(struct db *db, int kind, int64_t target, int64_t now)
{
	int rc = db_exec(db,
			 "UPDATE outbox SET state = 0, attempts = 0, next_at = $3, claimed_until = 0, done_at = NULL "
			 "WHERE kind = $1 AND target = $2 AND state = 2",
			 "iii", (int64_t)kind, target, now);
	return rc < 0 ? KN_EIO : rc;
}

int
outbox_release(struct db *db, const char *id)
{
	int rc = db_exec(db, "UPDATE outbox SET claimed_until = 0 WHERE id = $1 AND state = 0", "s", id);
	return rc < 0 ? KN_EIO : 0;
}

int
outbox_release_all(struct db *db, const char *node)
{
	int rc = db_exec(db, "UPDATE outbox SET claimed_until = 0 WHERE state = 0 AND claimed_until > 0 AND claimed_by = $1",
			 "s", node);
	return rc < 0 ? KN_EIO : rc;
}
