/* index_db.c: the index's SQLite connection: opening, schema, prepared statements, damage and recovery. */
#include "index_db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* Bump when the tables below change: an index with another version is dropped and rebuilt
 * from git (everything here is derived). Kept in index_meta. The index has a file of its own
 * (index.db): a damaged one can be reset without touching the accounts in kennis.db.
 * 4: spaces (a space column in every table); 5: issue 13 before spaces (links by what they
 * name, four search columns), or history in the index (commits, page_commits) before
 * spaces' merge with it; 6: spaces with issue 13; 7: all of them (the `gone` table gives
 * way to history). An index of any other version is rebuilt. */
#define SCHEMA_VERSION "7"

#define BUSY_MS 10000 /* wait for another writer (a catch-up in another thread) */

/* Every row belongs to a space (the wiki is space 1): a space is its own repository, so
 * paths are unique within a space only. */
static const char schema_sql[] =
	"CREATE TABLE spaces(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"INSERT INTO spaces(id, name) VALUES(1, 'wiki');"
	"CREATE TABLE pages("
	" id INTEGER PRIMARY KEY,"
	" space INTEGER NOT NULL,"        /* spaces.id */
	" path TEXT NOT NULL,"            /* Customers/Acme-Corp.md */
	" name TEXT NOT NULL,"            /* Customers/Acme-Corp */
	" title TEXT NOT NULL,"           /* front matter title, else from the name */
	" blob TEXT NOT NULL,"            /* hex blob id in main */
	" customer TEXT NOT NULL DEFAULT '',"
	" owner TEXT NOT NULL DEFAULT '',"
	" review_by TEXT NOT NULL DEFAULT '',"
	" frontmatter TEXT NOT NULL DEFAULT '',"  /* the whole YAML block, for keys not parsed here */
	" hidden INTEGER NOT NULL DEFAULT 0,"  /* a part starts with '_': a frame or a template */
	" updated_commit TEXT NOT NULL DEFAULT '',"  /* newest commit that changed the file */
	" updated_time INTEGER NOT NULL DEFAULT 0,"
	" updated_offset INTEGER NOT NULL DEFAULT 0,"
	" updated_author TEXT NOT NULL DEFAULT '',"
	" updated_email TEXT NOT NULL DEFAULT '',"
	" UNIQUE(space, path));"
	"CREATE INDEX pages_customer ON pages(customer COLLATE NOCASE);"
	"CREATE INDEX pages_review_by ON pages(review_by);"
	"CREATE INDEX pages_updated ON pages(updated_time);"
	/* page_id (= pages.id) lets the search's page data be read in one scan of an index
	 * (facets_load) instead of a lookup by path per page: 40 ms -> a few at 10,000 pages */
	"CREATE TABLE tags(space INTEGER NOT NULL, path TEXT NOT NULL, tag TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(space, path, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_page ON tags(page_id, tag);"
	"CREATE INDEX tags_tag ON tags(tag COLLATE NOCASE);"
	"CREATE TABLE departments(space INTEGER NOT NULL, path TEXT NOT NULL, dept TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(space, path, dept)) WITHOUT ROWID;"
	"CREATE INDEX departments_page ON departments(page_id, dept);"
	"CREATE INDEX departments_dept ON departments(dept COLLATE NOCASE);"
	/* Wiki links by file path: src (in space) links to dst in dst_space (which may not
	 * exist; dst_space 0: a space that is not known). target is the page name as the link
	 * names it ("Page", "Folder/Page"), dst the page it leads to: within the space, as
	 * links.c finds it in the space's tree (the root, src's folder, then that name
	 * anywhere); into another space ([[finance:Page]]) the name itself, never looked up.
	 * tkey is target's last part as links_key makes it, so that a page that comes or goes
	 * finds the links of its space it may take over ('' for a link into another space). */
	"CREATE TABLE links(space INTEGER NOT NULL, src TEXT NOT NULL, dst_space INTEGER NOT NULL, dst TEXT NOT NULL,"
	" target TEXT NOT NULL, tkey TEXT NOT NULL, PRIMARY KEY(space, src, dst_space, target)) WITHOUT ROWID;"
	"CREATE INDEX links_dst ON links(dst_space, dst);"
	"CREATE INDEX links_tkey ON links(space, tkey);"
	/* History (index_history.c): a space's commits, numbered parents first, and the page
	 * files each changed; change 'A', 'M', 'D', 'R' (renamed from `other`), 'X' (renamed
	 * away to `other`). A deleted page's last version is found from its newest 'D' or 'X'
	 * (index_gone). Recent changes across spaces go by time (commits_time). */
	"CREATE TABLE commits(space INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,"
	" author TEXT NOT NULL, email TEXT NOT NULL, time INTEGER NOT NULL, offset INTEGER NOT NULL,"
	" summary TEXT NOT NULL, merge INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(space, seq)) WITHOUT ROWID;"
	"CREATE INDEX commits_time ON commits(time, seq);"
	"CREATE TABLE page_commits(space INTEGER NOT NULL, path TEXT NOT NULL, seq INTEGER NOT NULL,"
	" change TEXT NOT NULL, other TEXT NOT NULL DEFAULT '', PRIMARY KEY(space, path, seq)) WITHOUT ROWID;"
	"CREATE INDEX page_commits_seq ON page_commits(space, seq);"
	/* rowid = pages.id; prefix indexes make "ab*" and "abc*" as fast as a word. body is the
	 * text a reader sees (snippets are cut from it), customer the front matter's, meta the
	 * other values (owner, tags, departments, the name when a title is set): weighted as
	 * the body, so bm25 is what it was with all of them in one column, but a search can
	 * tell a page whose title or customer matches from one that mentions it (search.c). */
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, customer, meta, tokenize = 'unicode61 remove_diacritics 2',"
	" prefix = '2 3');"
	"INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(10.0, 1.0, 1.0, 1.0)');";

static const char drop_sql[] =
	"DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS departments;"
	"DROP TABLE IF EXISTS links; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS gone;"
	"DROP TABLE IF EXISTS commits; DROP TABLE IF EXISTS page_commits;"
	"DROP TABLE IF EXISTS spaces; DELETE FROM index_meta;";

static const char q_meta_get[] = "SELECT value FROM index_meta WHERE key = ?1";
static const char q_meta_set[] = "INSERT OR REPLACE INTO index_meta(key, value) VALUES(?1, ?2)";

/* --- SQLite plumbing ------------------------------------------------------------------- */

static int
is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

int
index_sql_fail(struct index *ix, int rc, const char *what)
{
	if (is_corrupt(rc))
		ix->corrupt = 1;
	log_error("index %s: %s: %s", ix->path, what, ix->db ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
	return KN_EIO;
}

int
index_exec(struct index *ix, const char *sql)
{
	int rc = sqlite3_exec(ix->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : index_sql_fail(ix, rc, sql);
}

sqlite3_stmt *
index_stmt(struct index *ix, const char *sql)
{
	for (size_t i = 0; i < ix->nstmts; i++) {
		if (ix->stmts[i].sql != sql)
			continue;
		sqlite3_reset(ix->stmts[i].st);
		sqlite3_clear_bindings(ix->stmts[i].st);
		return ix->stmts[i].st;
	}
	if (ix->nstmts == INDEX_STMTS) { /* a new statement was added without raising the limit */
		log_error("index %s: more than %d statements: %s", ix->path, INDEX_STMTS, sql);
		return NULL;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		index_sql_fail(ix, rc, sql);
		return NULL;
	}
	ix->stmts[ix->nstmts++] = (struct index_stmt){ sql, st };
	return st;
}

sqlite3_stmt *
index_stmt_text(struct index *ix, const char *sql)
{
	struct index_tstmt *t = NULL;
	for (size_t i = 0; i < ix->ntstmts; i++) {
		if (strcmp(ix->tstmts[i].sql, sql) != 0)
			continue;
		t = &ix->tstmts[i];
		t->used = ++ix->tclock;
		sqlite3_reset(t->st);
		sqlite3_clear_bindings(t->st);
		return t->st;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(ix->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		index_sql_fail(ix, rc, sql);
		return NULL;
	}
	if (ix->ntstmts < INDEX_TSTMTS) {
		t = &ix->tstmts[ix->ntstmts++];
	} else {
		for (size_t i = 0; i < ix->ntstmts; i++)
			if (!sqlite3_stmt_busy(ix->tstmts[i].st) && (!t || ix->tstmts[i].used < t->used))
				t = &ix->tstmts[i];
		if (!t) { /* every one is running (cannot be with this many): not kept */
			log_warn("index %s: %d run-time statements running at once; one more not kept", ix->path,
				 INDEX_TSTMTS);
			sqlite3_finalize(st);
			return NULL;
		}
		sqlite3_finalize(t->st);
		free(t->sql);
	}
	*t = (struct index_tstmt){ xstrdup(sql), st, ++ix->tclock };
	return st;
}

/* Statements hold table references: drop them before tables are dropped or the file reset. */
static void
finalize_all(struct index *ix)
{
	for (size_t i = 0; i < ix->nstmts; i++)
		sqlite3_finalize(ix->stmts[i].st);
	ix->nstmts = 0;
	for (size_t i = 0; i < ix->ntstmts; i++) {
		sqlite3_finalize(ix->tstmts[i].st);
		free(ix->tstmts[i].sql);
	}
	ix->ntstmts = 0;
}

int
index_run(struct index *ix, sqlite3_stmt *s)
{
	if (!s)
		return KN_EIO;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : index_sql_fail(ix, rc, sqlite3_sql(s));
}

int
index_meta_get(struct index *ix, const char *key, struct buf *out)
{
	sqlite3_stmt *s = index_stmt(ix, q_meta_get);
	if (!s)
		return KN_EIO;
	index_bind_str(s, 1, key);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		buf_puts(out, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? KN_ENOTFOUND : index_sql_fail(ix, rc, "read index_meta");
}

int
index_meta_set(struct index *ix, const char *key, const char *value)
{
	sqlite3_stmt *s = index_stmt(ix, q_meta_set);
	index_bind_str(s, 1, key);
	index_bind_str(s, 2, value);
	return index_run(ix, s);
}

int
index_sql_int(struct index *ix, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : index_sql_fail(ix, rc, sql);
}

void
index_rollback(struct index *ix)
{
	sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
}

double
index_ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* --- opening, schema, recovery --------------------------------------------------------- */

static int
connect(struct index *ix)
{
	int rc = sqlite3_open_v2(ix->path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK)
		return index_sql_fail(ix, rc, "open");
	sqlite3_extended_result_codes(ix->db, 1);
	sqlite3_busy_timeout(ix->db, BUSY_MS);
	/* journal_mode is the first statement that reads the file: a non-database fails here. */
	if (index_exec(ix, "PRAGMA journal_mode = WAL") < 0 || index_exec(ix, "PRAGMA synchronous = NORMAL") < 0 ||
	    index_exec(ix, "PRAGMA temp_store = MEMORY") < 0 ||
	    index_exec(ix, "CREATE TABLE IF NOT EXISTS index_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID") < 0)
		return KN_EIO;
	return 0;
}

/* Close the connection; search's state for it goes with it (freed by SQLite). */
static void
disconnect(struct index *ix)
{
	finalize_all(ix);
	sqlite3_close(ix->db);
	ix->db = NULL;
	ix->search = NULL;
}

/* Create the tables unless they exist with this version; an old version is dropped. */
static int
ensure_schema(struct index *ix)
{
	struct buf v = BUF_INIT;
	int rc = index_meta_get(ix, "schema", &v);
	int current = rc == 0 && strcmp(v.ptr, SCHEMA_VERSION) == 0;
	buf_free(&v);
	if (rc < 0 && rc != KN_ENOTFOUND)
		return rc;
	if (current)
		return 0;
	finalize_all(ix);
	if ((rc = index_exec(ix, "BEGIN IMMEDIATE")) < 0)
		return rc;
	/* Another connection may have created it meanwhile. */
	v = (struct buf)BUF_INIT;
	if (index_meta_get(ix, "schema", &v) == 0 && strcmp(v.ptr, SCHEMA_VERSION) == 0) {
		buf_free(&v);
		return index_exec(ix, "COMMIT");
	}
	buf_free(&v);
	if ((rc = index_reset_tables(ix)) == 0)
		rc = index_exec(ix, "COMMIT");
	if (rc < 0)
		index_rollback(ix);
	return rc;
}

int
index_reset_tables(struct index *ix)
{
	int rc;
	finalize_all(ix);
	if ((rc = index_exec(ix, drop_sql)) == 0 && (rc = index_exec(ix, schema_sql)) == 0)
		rc = index_meta_set(ix, "schema", SCHEMA_VERSION);
	return rc;
}

static void
remove_files(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		struct buf p = BUF_INIT;
		buf_printf(&p, "%s%s", path, suffix[i]);
		if (unlink(p.ptr) < 0 && errno != ENOENT)
			log_error("index: cannot remove %s: %s", p.ptr, strerror(errno));
		buf_free(&p);
	}
}

/* Keep the damaged file next to it (PATH.damaged-TIME, and its -wal) before it is reset,
 * for a post-mortem; everything in it can be rebuilt from git. */
static void
copy_aside(const char *path)
{
	static const char *const suffix[] = { "", "-wal" };
	long now = (long)time(NULL);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		struct buf from = BUF_INIT, to = BUF_INIT;
		buf_printf(&from, "%s%s", path, suffix[i]);
		buf_printf(&to, "%s.damaged-%ld%s", path, now, suffix[i]);
		FILE *in = fopen(from.ptr, "rb"), *out = in ? fopen(to.ptr, "wb") : NULL;
		char chunk[65536];
		size_t n;
		int ok = out != NULL;
		while (ok && in && (n = fread(chunk, 1, sizeof(chunk), in)) > 0)
			ok = fwrite(chunk, 1, n, out) == n;
		if (out && (fclose(out) != 0 || !ok))
			log_error("index: cannot keep a copy of %s in %s", from.ptr, to.ptr);
		else if (out)
			log_warn("index: kept a copy of the damaged %s in %s", from.ptr, to.ptr);
		if (in)
			fclose(in);
		buf_free(&from);
		buf_free(&to);
	}
}

/* Make a damaged database empty, keeping a copy. In place first (SQLite's reset + VACUUM,
 * so connections of other threads keep seeing the same file); when even that fails (the
 * header is not SQLite's), the files are removed. The connection is closed either way. */
static void
reset_file(struct index *ix)
{
	int done = 0;
	finalize_all(ix);
	copy_aside(ix->path);
	if (ix->db) {
		sqlite3_db_config(ix->db, SQLITE_DBCONFIG_RESET_DATABASE, 1, 0);
		done = sqlite3_exec(ix->db, "VACUUM", NULL, NULL, NULL) == SQLITE_OK;
		sqlite3_db_config(ix->db, SQLITE_DBCONFIG_RESET_DATABASE, 0, 0);
	}
	disconnect(ix);
	if (!done)
		remove_files(ix->path);
	ix->corrupt = 0;
}

/* Connect and check the schema, resetting a damaged file once. */
static int
open_db(struct index *ix)
{
	for (int attempt = 0;; attempt++) {
		int rc = connect(ix);
		if (rc == 0)
			rc = ensure_schema(ix);
		if (rc == 0)
			return 0;
		if (!ix->corrupt || attempt > 0) {
			disconnect(ix);
			return rc;
		}
		log_warn("index %s is damaged: recreating it (it is rebuilt from git)", ix->path);
		reset_file(ix);
	}
}

int
index_open(struct index **out, const char *db_path)
{
	struct index *ix = xcalloc(1, sizeof(*ix));
	ix->path = xstrdup(db_path);
	*out = NULL;
	int rc = open_db(ix);
	if (rc < 0) {
		index_close(ix);
		return rc;
	}
	*out = ix;
	return 0;
}

void
index_close(struct index *ix)
{
	if (!ix)
		return;
	disconnect(ix);
	free(ix->path);
	free(ix);
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void
thread_release(void *p)
{
	index_close(p);
}

static void
thread_key_init(void)
{
	pthread_key_create(&thread_key, thread_release);
}

struct index *
index_for_thread(const struct config *cfg)
{
	pthread_once(&thread_once, thread_key_init);
	struct index *ix = pthread_getspecific(thread_key);
	if (ix)
		return ix;
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/" INDEX_FILE, cfg->data_dir);
	if (index_open(&ix, path.ptr) == 0)
		pthread_setspecific(thread_key, ix);
	buf_free(&path);
	return ix;
}
/* --- damage ---------------------------------------------------------------------------- */

int
index_recover(struct index *ix)
{
	log_warn("index %s: damaged, recreating it from git", ix->path);
	if (ix->db) {
		ix->corrupt = 0;
		if (index_exec(ix, "BEGIN IMMEDIATE") == 0 && index_reset_tables(ix) == 0 &&
		    index_exec(ix, "COMMIT") == 0 && index_sound(ix, "PRAGMA quick_check", NULL))
			return 0;
		index_rollback(ix);
	}
	reset_file(ix);
	return open_db(ix);
}

int
index_sound(struct index *ix, const char *pragma, FILE *report)
{
	sqlite3_stmt *s = NULL;
	int sound = 1, rc = sqlite3_prepare_v2(ix->db, pragma, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		index_sql_fail(ix, rc, pragma);
		return 0;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *msg = (const char *)sqlite3_column_text(s, 0);
		if (msg && strcmp(msg, "ok") != 0) {
			sound = 0;
			if (report)
				fprintf(report, "index: sqlite: %s\n", msg);
		}
	}
	if (rc != SQLITE_DONE) {
		index_sql_fail(ix, rc, pragma);
		if (report)
			fprintf(report, "index: sqlite: %s\n", sqlite3_errmsg(ix->db));
		sound = 0;
	}
	sqlite3_finalize(s);
	return sound;
}

