/* index.c: the derived SQLite index of main: schema, catch-up from tree diffs, check, search. */
#include "index.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "pagename.h"
#include "render.h"
#include "snippet.h"

/* Bump when the tables below change: an index with another version is dropped and rebuilt
 * from git (everything here is derived). Kept in index_meta. The index has a file of its own
 * (index.db): a damaged one can be reset without touching the accounts in kennis.db. */
#define SCHEMA_VERSION "3"

#define FM_MAX     (64u << 10) /* bytes of front matter handed to the YAML parser */
#define VALUE_MAX  200         /* bytes of one front-matter value kept */
#define LIST_MAX   64          /* items of one front-matter list kept */
#define BUSY_MS    10000       /* wait for another writer (a catch-up in another thread) */
#define SNIPPET_TOKENS   28    /* words in a result's snippet */
#define SNIPPET_FALLBACK 200   /* bytes of text shown when it cannot be tokenized */

static const char schema_sql[] =
	"CREATE TABLE pages("
	" id INTEGER PRIMARY KEY,"
	" path TEXT NOT NULL UNIQUE,"     /* Customers/Acme-Corp.md */
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
	" updated_email TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX pages_customer ON pages(customer COLLATE NOCASE);"
	"CREATE INDEX pages_review_by ON pages(review_by);"
	"CREATE INDEX pages_updated ON pages(updated_time);"
	/* page_id (= pages.id) lets the search's page data be read in one scan of an index
	 * (facets_load) instead of a lookup by path per page: 40 ms -> a few at 10,000 pages */
	"CREATE TABLE tags(path TEXT NOT NULL, tag TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(path, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_page ON tags(page_id, tag);"
	"CREATE INDEX tags_tag ON tags(tag COLLATE NOCASE);"
	"CREATE TABLE departments(path TEXT NOT NULL, dept TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(path, dept)) WITHOUT ROWID;"
	"CREATE INDEX departments_page ON departments(page_id, dept);"
	"CREATE INDEX departments_dept ON departments(dept COLLATE NOCASE);"
	/* Wiki links by file path: src links to dst (which may not exist). */
	"CREATE TABLE links(src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY(src, dst)) WITHOUT ROWID;"
	"CREATE INDEX links_dst ON links(dst);"
	/* Page files deleted (or renamed away) and not there now: a commit at or after the
	 * deletion, from which a short walk back finds the last version (see index_gone). */
	"CREATE TABLE gone(path TEXT PRIMARY KEY, commit_id TEXT NOT NULL) WITHOUT ROWID;"
	/* rowid = pages.id; prefix indexes make "ab*" and "abc*" as fast as a word */
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
	"INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(10.0, 1.0)');";

static const char drop_sql[] =
	"DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS departments;"
	"DROP TABLE IF EXISTS links; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS gone;"
	"DELETE FROM index_meta;";

/* Statements prepared once per connection. */
enum stmt_id {
	Q_META_GET, Q_META_SET, Q_PAGE_ID, Q_PAGE_DEL, Q_FTS_DEL, Q_TAGS_DEL, Q_DEPTS_DEL, Q_LINKS_DEL,
	Q_PAGE_ADD, Q_FTS_ADD, Q_TAG_ADD, Q_DEPT_ADD, Q_LINK_ADD, Q_UPDATED, Q_RANKED_IDS, Q_HIT, Q_FACET_PAGES,
	Q_FACET_TAGS, Q_FACET_DEPTS, Q_FACET_SIZES, Q_GONE_ADD, Q_GONE_DEL, Q_GONE_GET, Q_GONE_OLD, Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
	[Q_META_GET] = "SELECT value FROM index_meta WHERE key = ?1",
	[Q_META_SET] = "INSERT OR REPLACE INTO index_meta(key, value) VALUES(?1, ?2)",
	[Q_PAGE_ID] = "SELECT id FROM pages WHERE path = ?1",
	[Q_PAGE_DEL] = "DELETE FROM pages WHERE id = ?1",
	[Q_FTS_DEL] = "DELETE FROM fts WHERE rowid = ?1",
	[Q_TAGS_DEL] = "DELETE FROM tags WHERE path = ?1",
	[Q_DEPTS_DEL] = "DELETE FROM departments WHERE path = ?1",
	[Q_LINKS_DEL] = "DELETE FROM links WHERE src = ?1",
	[Q_PAGE_ADD] = "INSERT INTO pages(path, name, title, blob, customer, owner, review_by, frontmatter, hidden)"
		       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_FTS_ADD] = "INSERT INTO fts(rowid, title, body) VALUES(?1, ?2, ?3)",
	[Q_TAG_ADD] = "INSERT OR IGNORE INTO tags(path, tag, page_id) VALUES(?1, ?2, ?3)",
	[Q_DEPT_ADD] = "INSERT OR IGNORE INTO departments(path, dept, page_id) VALUES(?1, ?2, ?3)",
	[Q_LINK_ADD] = "INSERT OR IGNORE INTO links(src, dst) VALUES(?1, ?2)",
	[Q_UPDATED] = "UPDATE pages SET updated_commit = ?2, updated_time = ?3, updated_offset = ?4,"
		      " updated_author = ?5, updated_email = ?6 WHERE path = ?1",
	[Q_RANKED_IDS] = "SELECT rowid, kennis_rank(fts, 10.0, 1.0) FROM fts WHERE fts MATCH ?1",
	/* snippet() and highlight() work only in a MATCH query: one per result shown. \x01 and
	 * \x02 never occur in indexed text (see html_text). */
	/* The text of a result shown, to highlight and cut a snippet from (snippet.c). */
	[Q_HIT] = "SELECT p.name, p.title, f.title, f.body, p.customer, p.updated_author, p.updated_time,"
		  " p.updated_offset FROM pages p JOIN fts f ON f.rowid = p.id WHERE p.id = ?1",
	/* Both ordered by page id, scanning pages in rowid order (no sort). */
	[Q_FACET_PAGES] = "SELECT id, customer FROM pages WHERE hidden = 0 ORDER BY id",
	/* by page id, from the covering indexes (hidden pages have no facet entry: skipped) */
	[Q_FACET_TAGS] = "SELECT page_id, tag FROM tags ORDER BY page_id",
	[Q_FACET_DEPTS] = "SELECT page_id, dept FROM departments ORDER BY page_id",
	/* FTS5's own table of row lengths in tokens: a varint per column (see rank_row). */
	[Q_FACET_SIZES] = "SELECT id, sz FROM fts_docsize ORDER BY id",
	[Q_GONE_ADD] = "INSERT OR REPLACE INTO gone(path, commit_id) VALUES(?1, ?2)",
	[Q_GONE_DEL] = "DELETE FROM gone WHERE path = ?1",
	[Q_GONE_GET] = "SELECT commit_id FROM gone WHERE path = ?1",
	/* from history, newest first: the first deletion seen wins; pages there now are not gone */
	[Q_GONE_OLD] = "INSERT OR IGNORE INTO gone(path, commit_id) SELECT ?1, ?2"
		       " WHERE NOT EXISTS (SELECT 1 FROM pages WHERE path = ?1)",
};

struct facets;

struct index {
	sqlite3 *db;
	char *path;
	int corrupt; /* SQLite reported a damaged file: reset at the next catch-up */
	sqlite3_stmt *stmt[Q_COUNT];
	struct facets *facets; /* page data of the search under way (held), or NULL: kennis_rank
			        * takes row lengths from it */
	struct hl_tokenizer *hl; /* the full-text table's tokenizer, for results shown */
	uint64_t rank_work;      /* kennis_rank's work in the ranking under way (RANK_WORK_MAX) */
	sqlite3_int64 rank_rows; /* at most this many rows can match it (its rarest phrase) */
};

static void facets_release(struct facets *fc);
static int register_rank(struct index *ix);
static double ms_since(const struct timespec *t0);
static int sql_int(struct index *ix, const char *sql, sqlite3_int64 *out);

/* --- SQLite plumbing ------------------------------------------------------------------- */

static int
is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* Log a failed SQLite call; remember corruption. Always returns KN_EIO. */
static int
sql_fail(struct index *ix, int rc, const char *what)
{
	if (is_corrupt(rc))
		ix->corrupt = 1;
	log_error("index %s: %s: %s", ix->path, what, ix->db ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
	return KN_EIO;
}

static int
exec(struct index *ix, const char *sql)
{
	int rc = sqlite3_exec(ix->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sql_fail(ix, rc, sql);
}

/* The cached statement `id`, reset and unbound, or NULL (logged). */
static sqlite3_stmt *
stmt(struct index *ix, enum stmt_id id)
{
	sqlite3_stmt *s = ix->stmt[id];
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	int rc = sqlite3_prepare_v3(ix->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &ix->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		sql_fail(ix, rc, stmt_sql[id]);
		return NULL;
	}
	return ix->stmt[id];
}

/* Statements hold table references: drop them before tables are dropped or the file reset. */
static void
finalize_all(struct index *ix)
{
	for (int i = 0; i < Q_COUNT; i++) {
		sqlite3_finalize(ix->stmt[i]);
		ix->stmt[i] = NULL;
	}
}

/* Run a statement that returns no rows (bound by the caller) to completion. */
static int
run(struct index *ix, sqlite3_stmt *s)
{
	if (!s)
		return KN_EIO;
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_fail(ix, rc, sqlite3_sql(s));
}

static void
bind_text(sqlite3_stmt *s, int col, const char *text, size_t n)
{
	if (s)
		sqlite3_bind_text(s, col, text, (int)n, SQLITE_TRANSIENT);
}

static void
bind_str(sqlite3_stmt *s, int col, const char *text)
{
	bind_text(s, col, text ? text : "", text ? strlen(text) : 0);
}

/* Value of index_meta `key` into out (appended); 0 found, KN_ENOTFOUND, or KN_EIO. */
static int
meta_get(struct index *ix, const char *key, struct buf *out)
{
	sqlite3_stmt *s = stmt(ix, Q_META_GET);
	if (!s)
		return KN_EIO;
	bind_str(s, 1, key);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		buf_puts(out, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? KN_ENOTFOUND : sql_fail(ix, rc, "read index_meta");
}

static int
meta_set(struct index *ix, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(ix, Q_META_SET);
	bind_str(s, 1, key);
	bind_str(s, 2, value);
	return run(ix, s);
}

/* --- opening, schema, recovery --------------------------------------------------------- */

static int
connect(struct index *ix)
{
	int rc = sqlite3_open_v2(ix->path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK)
		return sql_fail(ix, rc, "open");
	sqlite3_extended_result_codes(ix->db, 1);
	sqlite3_busy_timeout(ix->db, BUSY_MS);
	/* journal_mode is the first statement that reads the file: a non-database fails here. */
	if (exec(ix, "PRAGMA journal_mode = WAL") < 0 || exec(ix, "PRAGMA synchronous = NORMAL") < 0 ||
	    exec(ix, "PRAGMA temp_store = MEMORY") < 0 ||
	    exec(ix, "CREATE TABLE IF NOT EXISTS index_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID") < 0)
		return KN_EIO;
	return register_rank(ix);
}

static void
disconnect(struct index *ix)
{
	hl_tokenizer_close(ix->hl);
	ix->hl = NULL;
	finalize_all(ix);
	sqlite3_close(ix->db);
	ix->db = NULL;
}

/* Create the tables unless they exist with this version; an old version is dropped. */
static int
ensure_schema(struct index *ix)
{
	struct buf v = BUF_INIT;
	int rc = meta_get(ix, "schema", &v);
	int current = rc == 0 && strcmp(v.ptr, SCHEMA_VERSION) == 0;
	buf_free(&v);
	if (rc < 0 && rc != KN_ENOTFOUND)
		return rc;
	if (current)
		return 0;
	finalize_all(ix);
	if ((rc = exec(ix, "BEGIN IMMEDIATE")) < 0)
		return rc;
	/* Another connection may have created it meanwhile. */
	v = (struct buf)BUF_INIT;
	if (meta_get(ix, "schema", &v) == 0 && strcmp(v.ptr, SCHEMA_VERSION) == 0) {
		buf_free(&v);
		return exec(ix, "COMMIT");
	}
	buf_free(&v);
	finalize_all(ix);
	if ((rc = exec(ix, drop_sql)) == 0 && (rc = exec(ix, schema_sql)) == 0 &&
	    (rc = meta_set(ix, "schema", SCHEMA_VERSION)) == 0)
		rc = exec(ix, "COMMIT");
	if (rc < 0)
		sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
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
	facets_release(ix->facets);
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

/* --- text of a page: front matter, plain text, links ----------------------------------- */

struct strlist {
	char **v;
	size_t n;
};

static void
strlist_add(struct strlist *l, const char *s, size_t n)
{
	if (l->n == LIST_MAX)
		return;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrndup(s, n);
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct page_data {
	char *title, *customer, *owner, *review_by;
	struct strlist tags, depts;
	const char *fm;   /* the YAML block inside the blob */
	size_t fm_len;
	size_t body;      /* offset of the Markdown after it */
};

static void
page_data_free(struct page_data *d)
{
	free(d->title);
	free(d->customer);
	free(d->owner);
	free(d->review_by);
	strlist_free(&d->tags);
	strlist_free(&d->depts);
}

/* A YAML scalar as a one-line value: control bytes become spaces, trimmed, cut at
 * VALUE_MAX bytes (on a character boundary). Empty: 0. */
static size_t
clean_value(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0;
	while (n && (*s <= ' ' || *s == 0x7f))
		s++, n--;
	for (size_t i = 0; i < n && o < VALUE_MAX; i++)
		out[o++] = s[i] < ' ' || s[i] == 0x7f ? ' ' : (char)s[i];
	if (o == VALUE_MAX)
		while (o && ((unsigned char)out[o] & 0xC0) == 0x80)
			o--; /* out[o] starts the next character; drop the cut one */
	while (o && out[o - 1] == ' ')
		o--;
	return o;
}

static char *
scalar(yaml_node_t *v)
{
	char tmp[VALUE_MAX + 1];
	if (!v || v->type != YAML_SCALAR_NODE)
		return NULL;
	size_t n = clean_value(tmp, v->data.scalar.value, v->data.scalar.length);
	return n ? xstrndup(tmp, n) : NULL;
}

/* A scalar or a list of scalars ("tags: [a, b]", "departments: Sales"). */
static void
scalar_list(struct strlist *l, yaml_document_t *doc, yaml_node_t *v)
{
	char tmp[VALUE_MAX + 1];
	if (v && v->type == YAML_SCALAR_NODE) {
		size_t n = clean_value(tmp, v->data.scalar.value, v->data.scalar.length);
		if (n)
			strlist_add(l, tmp, n);
	} else if (v && v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(doc, *it);
			if (item && item->type == YAML_SCALAR_NODE) {
				size_t n = clean_value(tmp, item->data.scalar.value, item->data.scalar.length);
				if (n)
					strlist_add(l, tmp, n);
			}
		}
	}
}

static int
key_is(yaml_node_t *k, const char *a, const char *b)
{
	const char *s = (const char *)k->data.scalar.value;
	size_t n = k->data.scalar.length;
	return (strlen(a) == n && strncasecmp(s, a, n) == 0) || (b && strlen(b) == n && strncasecmp(s, b, n) == 0);
}

static void
set_once(char **field, char *value)
{
	if (*field)
		free(value);
	else
		*field = value;
}

/* Read the keys kennis knows from the YAML block; anything else (and invalid YAML) is left
 * alone: the page is indexed all the same. */
static void
parse_front_matter(struct page_data *d)
{
	yaml_parser_t p;
	yaml_document_t doc;
	if (!d->fm || d->fm_len == 0 || d->fm_len > FM_MAX || !yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)d->fm, d->fm_len);
	if (!yaml_parser_load(&p, &doc)) {
		yaml_parser_delete(&p);
		return;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
			yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
			if (!k || k->type != YAML_SCALAR_NODE || !v)
				continue;
			if (key_is(k, "title", NULL))
				set_once(&d->title, scalar(v));
			else if (key_is(k, "customer", NULL)) {
				struct strlist l = { NULL, 0 };
				scalar_list(&l, &doc, v); /* a list: the first customer */
				if (l.n)
					set_once(&d->customer, xstrdup(l.v[0]));
				strlist_free(&l);
			} else if (key_is(k, "owner", NULL))
				set_once(&d->owner, scalar(v));
			else if (key_is(k, "review-by", "review_by"))
				set_once(&d->review_by, scalar(v));
			else if (key_is(k, "tags", "tag"))
				scalar_list(&d->tags, &doc, v);
			else if (key_is(k, "departments", "department"))
				scalar_list(&d->depts, &doc, v);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
}

/* Tags that do not separate words: their text runs on ("<strong>x</strong>y" is "xy"). */
static int
inline_tag(const char *t, size_t n)
{
	static const char *const names[] = { "a", "b", "code", "del", "em", "i", "img", "input", "mark",
					     "s", "span", "strong", "sub", "sup", "u" };
	if (n && *t == '/')
		t++, n--;
	size_t len = 0;
	while (len < n && ((t[len] >= 'a' && t[len] <= 'z') || (t[len] >= '0' && t[len] <= '9')))
		len++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], t, len) == 0)
			return 1;
	return 0;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
	if (cp < 0x80) {
		buf_putc(out, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(out, (int)(0xC0 | (cp >> 6)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(out, (int)(0xE0 | (cp >> 12)));
		buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(out, (int)(0xF0 | (cp >> 18)));
		buf_putc(out, (int)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	}
}

/* Decode the entity at s (s[0] == '&'); returns bytes consumed (1: not an entity, '&' kept). */
static size_t
entity(struct buf *out, const char *s, size_t n)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t len = strlen(named[i].name);
		if (n >= len && memcmp(s, named[i].name, len) == 0) {
			buf_putc(out, named[i].c);
			return len;
		}
	}
	if (n > 3 && s[1] == '#') {
		int hex = s[2] == 'x' || s[2] == 'X';
		unsigned long cp = 0;
		size_t i = hex ? 3 : 2, digits = 0;
		for (; i < n && digits < 7; i++, digits++) {
			int c = (unsigned char)s[i], v;
			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (hex && ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
				v = (c | 0x20) - 'a' + 10;
			else
				break;
			cp = cp * (hex ? 16u : 10u) + (unsigned long)v;
		}
		if (digits && i < n && s[i] == ';') {
			if (cp >= 0x20 && cp != 0x7f && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))
				put_utf8(out, cp);
			else
				buf_putc(out, ' ');
			return i + 1;
		}
	}
	buf_putc(out, '&');
	return 1;
}

/* Plain text of the renderer's HTML, appended to `out`: tags dropped (block tags separate
 * words), entities decoded, whitespace and control bytes collapsed to single spaces. So
 * the marker bytes of snippet() (\x01, \x02) never occur in indexed text. */
static void
html_text(struct buf *out, const char *h, size_t n)
{
	int space = 0;
	size_t start = out->len;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)h[i];
		if (c == '<') {
			const char *gt = memchr(h + i, '>', n - i);
			size_t end = gt ? (size_t)(gt - h) + 1 : n;
			if (!inline_tag(h + i + 1, end - i - 1))
				space = 1;
			i = end;
			continue;
		}
		if (c <= ' ' || c == 0x7f) {
			space = 1;
			i++;
			continue;
		}
		if (space && out->len > start)
			buf_putc(out, ' ');
		space = 0;
		if (c == '&') {
			size_t before = out->len;
			i += entity(out, h + i, n - i);
			if (out->len == before + 1 && out->ptr[before] == ' ')
				out->len--, out->ptr[out->len] = '\0', space = 1;
			continue;
		}
		buf_putc(out, c);
		i++;
	}
}

/* Append a value for the FTS text on its own, control bytes as spaces. */
static void
text_value(struct buf *out, const char *s)
{
	if (!s)
		return;
	buf_putc(out, ' ');
	for (; *s; s++)
		buf_putc(out, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
}

/* --- applying changes ------------------------------------------------------------------ */

/* Paths (re)indexed in this catch-up: they get their newest commit afterwards. */
struct pending {
	char **path;
	unsigned char *done;
	size_t n, cap, left;
};

static void
pending_add(struct pending *pd, const char *path)
{
	if (pd->n == pd->cap) {
		pd->cap = pd->cap ? pd->cap * 2 : 64;
		pd->path = xrealloc(pd->path, pd->cap * sizeof(char *));
	}
	pd->path[pd->n++] = xstrdup(path);
}

static void
pending_free(struct pending *pd)
{
	for (size_t i = 0; i < pd->n; i++)
		free(pd->path[i]);
	free(pd->path);
	free(pd->done);
}

static int
is_page(const char *path)
{
	struct buf name = BUF_INIT;
	int ok = pagename_from_path(&name, path, strlen(path)) == 0;
	buf_free(&name);
	return ok;
}

static int
delete_page(struct index *ix, const char *path)
{
	sqlite3_stmt *s = stmt(ix, Q_PAGE_ID);
	if (!s)
		return KN_EIO;
	bind_str(s, 1, path);
	int rc = sqlite3_step(s);
	sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(ix, rc, "look up page");
	if (rc == SQLITE_ROW) {
		if ((s = stmt(ix, Q_FTS_DEL)))
			sqlite3_bind_int64(s, 1, id);
		if ((rc = run(ix, s)) < 0)
			return rc;
		if ((s = stmt(ix, Q_PAGE_DEL)))
			sqlite3_bind_int64(s, 1, id);
		if ((rc = run(ix, s)) < 0)
			return rc;
	}
	static const enum stmt_id by_path[] = { Q_TAGS_DEL, Q_DEPTS_DEL, Q_LINKS_DEL };
	for (size_t i = 0; i < sizeof(by_path) / sizeof(by_path[0]); i++) {
		s = stmt(ix, by_path[i]);
		bind_str(s, 1, path);
		if ((rc = run(ix, s)) < 0)
			return rc;
	}
	return 0;
}

static int
add_list(struct index *ix, enum stmt_id id, const char *path, sqlite3_int64 page_id, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		sqlite3_stmt *s = stmt(ix, id);
		bind_str(s, 1, path);
		bind_str(s, 2, l->v[i]);
		if (s)
			sqlite3_bind_int64(s, 3, page_id);
		int rc = run(ix, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Links found by the renderer: one page name per line, each once. */
static int
add_links(struct index *ix, const char *path, const struct buf *links)
{
	const char *p = buf_cstr((struct buf *)links), *nl;
	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		struct buf dst = BUF_INIT;
		buf_put(&dst, p, (size_t)(nl - p));
		buf_puts(&dst, ".md");
		sqlite3_stmt *s = stmt(ix, Q_LINK_ADD);
		bind_str(s, 1, path);
		bind_str(s, 2, dst.ptr);
		int rc = run(ix, s);
		buf_free(&dst);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
insert_page(struct index *ix, const char *path, const char *name, const git_oid *blob, const struct page_data *d,
	    const char *title, const struct buf *text, sqlite3_int64 *page_id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), blob);
	sqlite3_stmt *s = stmt(ix, Q_PAGE_ADD);
	bind_str(s, 1, path);
	bind_str(s, 2, name);
	bind_str(s, 3, title);
	bind_str(s, 4, hex);
	bind_str(s, 5, d->customer);
	bind_str(s, 6, d->owner);
	bind_str(s, 7, d->review_by);
	bind_text(s, 8, d->fm ? d->fm : "", d->fm ? d->fm_len : 0);
	if (s)
		sqlite3_bind_int(s, 9, name[0] == '_' || strstr(name, "/_") != NULL);
	int rc = run(ix, s);
	if (rc < 0)
		return rc;
	sqlite3_int64 id = sqlite3_last_insert_rowid(ix->db);
	*page_id = id;
	if ((s = stmt(ix, Q_FTS_ADD))) {
		sqlite3_bind_int64(s, 1, id);
		bind_str(s, 2, title);
		bind_text(s, 3, buf_cstr((struct buf *)text), text->len);
	}
	return run(ix, s);
}

/* A page made ready for the index: everything but the SQL, so that it can be done on
 * any thread with its own repository handle. */
struct prepared {
	char *path;
	git_oid blob;
	struct page_data d;
	struct buf src;   /* the blob's bytes (d.fm points into them) */
	struct buf name, title, text, links;
	int rc;
	int ready;        /* pipeline: set by the worker under the lock */
};

static void
prepared_free(struct prepared *p)
{
	free(p->path);
	page_data_free(&p->d);
	buf_free(&p->src);
	buf_free(&p->name);
	buf_free(&p->title);
	buf_free(&p->text);
	buf_free(&p->links);
	memset(p, 0, sizeof(*p));
}

/* Read the blob, parse the front matter, render the text (0, or KN_EGIT in p->rc). */
static void
prepare_page(struct prepared *p, git_repository *repo)
{
	git_blob *blob = NULL;
	struct buf html = BUF_INIT;
	if (git_blob_lookup(&blob, repo, &p->blob) < 0) {
		store_log_git_error("blob lookup", p->path);
		p->rc = KN_EGIT;
		return;
	}
	buf_put(&p->src, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	const char *md = buf_cstr(&p->src);
	struct page_data *d = &p->d;
	pagename_from_path(&p->name, p->path, strlen(p->path));
	d->body = render_split_front_matter(md, p->src.len, &d->fm, &d->fm_len);
	parse_front_matter(d);
	if (d->title)
		buf_puts(&p->title, d->title);
	else
		pagename_title(&p->title, p->name.ptr);

	/* The text people read, not Markdown syntax: render, then strip the tags. Every page
	 * "exists" here, so no lookups; the renderer also reports the wiki links. */
	struct render_ctx rctx = { NULL, NULL, &p->links };
	render_markdown(&html, md + d->body, p->src.len - d->body, &rctx);
	html_text(&p->text, buf_cstr(&html), html.len);
	buf_free(&html);
	/* A first heading that repeats the title would open every snippet twice. */
	size_t tl = p->title.len;
	if (tl && p->text.len > tl && memcmp(p->text.ptr, p->title.ptr, tl) == 0 && p->text.ptr[tl] == ' ') {
		memmove(p->text.ptr, p->text.ptr + tl + 1, p->text.len - tl);
		p->text.len -= tl + 1;
	}
	/* Front matter values are searchable too, and so is the name when the title differs. */
	text_value(&p->text, d->customer);
	text_value(&p->text, d->owner);
	for (size_t i = 0; i < d->tags.n; i++)
		text_value(&p->text, d->tags.v[i]);
	for (size_t i = 0; i < d->depts.n; i++)
		text_value(&p->text, d->depts.v[i]);
	if (d->title) {
		struct buf nt = BUF_INIT;
		pagename_title(&nt, p->name.ptr);
		text_value(&p->text, nt.ptr);
		buf_free(&nt);
	}
	p->rc = 0;
}

/* Replace the page's rows with the prepared ones. */
static int
write_page(struct index *ix, struct prepared *p, struct pending *pd)
{
	int rc = p->rc;
	sqlite3_int64 id = 0;
	if (rc == 0 && (rc = delete_page(ix, p->path)) == 0 &&
	    (rc = insert_page(ix, p->path, p->name.ptr, &p->blob, &p->d, p->title.ptr, &p->text, &id)) == 0 &&
	    (rc = add_list(ix, Q_TAG_ADD, p->path, id, &p->d.tags)) == 0 &&
	    (rc = add_list(ix, Q_DEPT_ADD, p->path, id, &p->d.depts)) == 0 &&
	    (rc = add_links(ix, p->path, &p->links)) == 0)
		pending_add(pd, p->path);
	return rc;
}

/* Pages to (re)index after the deletions of a diff. */
struct jobs {
	struct prepared *v;
	size_t n, cap;
};

static void
jobs_add(struct jobs *j, const char *path, const git_oid *blob)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->v = xrealloc(j->v, j->cap * sizeof(*j->v));
	}
	memset(&j->v[j->n], 0, sizeof(j->v[j->n]));
	j->v[j->n].path = xstrdup(path);
	git_oid_cpy(&j->v[j->n].blob, blob);
	j->n++;
}

/* Many pages (a first index, a big push): rendering runs on worker threads while this
 * thread writes to SQLite, in order, at most PIPE_AHEAD pages behind. */
#define PIPE_MIN     64
#define PIPE_AHEAD   256        /* pages prepared but not yet written, at most */
#define PIPE_BYTES   (64u << 20) /* and their bytes (beyond the page the writer waits for) */
#define PIPE_WORKERS 8

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jobs *jobs;
	const char *gitdir;
	size_t next;     /* the next job a worker takes */
	size_t written;  /* jobs the writer is done with */
	size_t bytes;    /* held by prepared jobs not yet written */
	int stop;
};

/* Take the next job and prepare it (a worker, or the writer while it waits); called and
 * returns with pl->mu held. */
static void
pipe_prepare_next(struct pipeline *pl, git_repository *repo)
{
	struct prepared *p = &pl->jobs->v[pl->next++];
	pthread_mutex_unlock(&pl->mu);
	if (repo)
		prepare_page(p, repo);
	else
		p->rc = KN_EGIT;
	pthread_mutex_lock(&pl->mu);
	p->ready = 1;
	pl->bytes += p->src.len + p->text.len;
	pthread_cond_broadcast(&pl->cv);
}

/* Takes jobs in order, at most PIPE_AHEAD pages (and PIPE_BYTES) ahead of the writer. */
static void *
pipe_worker(void *arg)
{
	struct pipeline *pl = arg;
	struct store *st = NULL;
	int open_rc = store_open(&st, pl->gitdir);
	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!pl->stop && pl->next < pl->jobs->n &&
		       (pl->next >= pl->written + PIPE_AHEAD || (pl->next > pl->written && pl->bytes > PIPE_BYTES)))
			pthread_cond_wait(&pl->cv, &pl->mu);
		if (pl->stop || pl->next >= pl->jobs->n)
			break;
		pipe_prepare_next(pl, open_rc < 0 ? NULL : st->repo);
	}
	pthread_mutex_unlock(&pl->mu);
	store_close(st);
	return NULL;
}

/* One per core beyond the writer's, which prepares pages too while it waits. */
static unsigned
pipe_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus <= 2 ? 1 : cpus > PIPE_WORKERS ? PIPE_WORKERS : (unsigned)cpus - 1;
}

static int
write_pipelined(struct index *ix, struct store *st, struct jobs *j, struct pending *pd)
{
	struct pipeline pl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, j, st->gitdir, 0, 0, 0, 0 };
	pthread_t th[PIPE_WORKERS];
	unsigned nth = 0, want = pipe_workers();
	int rc = 0;
	for (; nth < want; nth++)
		if (pthread_create(&th[nth], NULL, pipe_worker, &pl) != 0)
			break;
	pthread_mutex_lock(&pl.mu);
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		struct prepared *p = &j->v[i];
		/* Waiting for page i: rather prepare one (page i itself, if nobody took it). */
		while (!p->ready) {
			if (pl.next < j->n && pl.next < pl.written + PIPE_AHEAD)
				pipe_prepare_next(&pl, st->repo);
			else
				pthread_cond_wait(&pl.cv, &pl.mu);
		}
		pthread_mutex_unlock(&pl.mu);
		rc = write_page(ix, p, pd);
		pthread_mutex_lock(&pl.mu);
		pl.bytes -= p->src.len + p->text.len;
		prepared_free(p);
		pl.written = i + 1;
		pl.stop = rc < 0;
		pthread_cond_broadcast(&pl.cv);
	}
	pl.stop = 1;
	pthread_cond_broadcast(&pl.cv);
	pthread_mutex_unlock(&pl.mu);
	for (unsigned t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	pthread_cond_destroy(&pl.cv);
	pthread_mutex_destroy(&pl.mu);
	return rc;
}

/* Index the pages of `j` (and free them). */
static int
write_jobs(struct index *ix, struct store *st, struct jobs *j, struct pending *pd)
{
	int rc = 0;
	if (j->n >= PIPE_MIN) {
		rc = write_pipelined(ix, st, j, pd);
	} else {
		for (size_t i = 0; i < j->n && rc == 0; i++) {
			prepare_page(&j->v[i], st->repo);
			rc = write_page(ix, &j->v[i], pd);
		}
	}
	for (size_t i = 0; i < j->n; i++)
		prepared_free(&j->v[i]);
	free(j->v);
	return rc;
}

static int
is_file_mode(uint16_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* Apply one file change of the diff: deletions now, pages to index into `j`. */
static int
apply_delta(struct index *ix, const git_diff_delta *dd, struct jobs *j, size_t *changes, const char *to_hex)
{
	const char *oldp = dd->old_file.path, *newp = dd->new_file.path;
	int rc = 0;
	switch (dd->status) {
	case GIT_DELTA_DELETED:
	case GIT_DELTA_RENAMED:
		if (is_page(oldp)) {
			rc = delete_page(ix, oldp);
			(*changes)++;
			sqlite3_stmt *s = stmt(ix, Q_GONE_ADD);
			bind_str(s, 1, oldp);
			bind_str(s, 2, to_hex);
			if (rc == 0)
				rc = run(ix, s);
		}
		if (dd->status == GIT_DELTA_DELETED)
			return rc;
		break;
	case GIT_DELTA_ADDED:
	case GIT_DELTA_MODIFIED:
	case GIT_DELTA_TYPECHANGE:
	case GIT_DELTA_COPIED:
		break;
	default:
		return 0;
	}
	if (rc < 0 || !is_page(newp))
		return rc;
	(*changes)++;
	sqlite3_stmt *s = stmt(ix, Q_GONE_DEL); /* there (again) */
	bind_str(s, 1, newp);
	if ((rc = run(ix, s)) < 0)
		return rc;
	if (!is_file_mode(dd->new_file.mode)) /* a symlink or submodule is no page */
		return delete_page(ix, newp);
	jobs_add(j, newp, &dd->new_file.id);
	return 0;
}

/* Apply the tree diff old..new (old NULL: everything is new); deletions are recorded as
 * seen at commit `to_hex`. */
static int
apply_diff(struct index *ix, struct store *st, git_tree *old, git_tree *new, struct pending *pd, size_t *changes,
	   const char *to_hex)
{
	git_diff *diff = NULL;
	int rc = 0;
	if (git_diff_tree_to_tree(&diff, st->repo, old, new, NULL) < 0) {
		store_log_git_error("diff", "index");
		return KN_EGIT;
	}
	if (old) {
		git_diff_find_options fo;
		git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
		fo.flags = GIT_DIFF_FIND_RENAMES;
		if (git_diff_find_similar(diff, &fo) < 0) {
			store_log_git_error("rename detection", "index");
			rc = KN_EGIT;
		}
	}
	struct jobs j = { 0 };
	size_t n = git_diff_num_deltas(diff);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = apply_delta(ix, git_diff_get_delta(diff, i), &j, changes, to_hex);
	git_diff_free(diff);
	if (rc == 0)
		return write_jobs(ix, st, &j, pd);
	for (size_t i = 0; i < j.n; i++)
		prepared_free(&j.v[i]);
	free(j.v);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
set_updated(struct index *ix, const char *path, git_commit *c)
{
	char hex[GIT_OID_HEXSZ + 1];
	const git_signature *a = git_commit_author(c);
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	sqlite3_stmt *s = stmt(ix, Q_UPDATED);
	bind_str(s, 1, path);
	bind_str(s, 2, hex);
	if (s) {
		sqlite3_bind_int64(s, 3, a->when.time);
		sqlite3_bind_int(s, 4, a->when.offset);
	}
	bind_str(s, 5, a->name);
	bind_str(s, 6, a->email);
	return run(ix, s);
}

/* Mark pending paths in commit `c` (diffed against its first parent) with its author. */
static int
updated_in_commit(struct index *ix, struct store *st, git_commit *c, struct pending *pd)
{
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	git_diff *diff = NULL;
	int rc = KN_EGIT;
	if (git_commit_tree(&tree, c) < 0 ||
	    (git_commit_parentcount(c) > 0 && (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0)) ||
	    git_diff_tree_to_tree(&diff, st->repo, ptree, tree, NULL) < 0) {
		store_log_git_error("history diff", "index");
		goto done;
	}
	rc = 0;
	size_t n = git_diff_num_deltas(diff);
	for (size_t i = 0; rc == 0 && i < n && pd->left; i++) {
		const char *path = git_diff_get_delta(diff, i)->new_file.path;
		char **hit = bsearch(&path, pd->path, pd->n, sizeof(char *), cmp_str);
		if (hit && !pd->done[hit - pd->path]) {
			pd->done[hit - pd->path] = 1;
			pd->left--;
			rc = set_updated(ix, path, c);
		}
	}
done:
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	return rc;
}

/* Give every re-indexed page the newest commit that changed it: walk main back to `from`
 * (NULL: as far as needed), diffing each commit against its first parent. */
static int
apply_updated(struct index *ix, struct store *st, git_commit *to, const git_oid *from, struct pending *pd)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc = 0;
	if (pd->n == 0)
		return 0;
	qsort(pd->path, pd->n, sizeof(char *), cmp_str);
	pd->done = xcalloc(pd->n, 1);
	pd->left = pd->n;
	if (git_revwalk_new(&w, st->repo) < 0 || git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
	    git_revwalk_push(w, git_commit_id(to)) < 0) {
		store_log_git_error("revwalk", "index");
		git_revwalk_free(w);
		return KN_EGIT;
	}
	if (from)
		git_revwalk_hide(w, from); /* not an ancestor (a replaced repository): walk it all */
	while (rc == 0 && pd->left && git_revwalk_next(&id, w) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, st->repo, &id) < 0) {
			store_log_git_error("commit lookup", "index");
			rc = KN_EGIT;
			break;
		}
		rc = updated_in_commit(ix, st, c, pd);
		git_commit_free(c);
	}
	git_revwalk_free(w);
	/* Whatever the walk did not reach (it should reach all) gets main's commit. */
	for (size_t i = 0; rc == 0 && pd->left && i < pd->n; i++)
		if (!pd->done[i])
			rc = set_updated(ix, pd->path[i], to);
	return rc;
}

/* A first index: the pages deleted in main's history (the newest deletion of each, at most
 * GONE_HISTORY commits back) that are not pages now, so that a missing page can offer its
 * last version without walking history (index_gone). Later deletions are recorded as the
 * index catches up (apply_delta). */
#define GONE_HISTORY 20000 /* as MANAGE_HISTORY_MAX */
static int
gone_from_history(struct index *ix, struct store *st, git_commit *tip)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = 0;
	if (git_revwalk_new(&walk, st->repo) < 0 || git_revwalk_push(walk, git_commit_id(tip)) < 0) {
		store_log_git_error("revwalk", "index history");
		git_revwalk_free(walk);
		return KN_EGIT;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	for (int seen = 0; rc == 0 && seen < GONE_HISTORY && git_revwalk_next(&id, walk) == 0; seen++) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *tree = NULL, *ptree = NULL;
		git_diff *diff = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		if (git_commit_lookup(&c, st->repo, &id) < 0 || git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			continue; /* a root commit deletes nothing */
		}
		if (git_commit_tree(&tree, c) < 0 || git_commit_parent(&parent, c, 0) < 0 ||
		    git_commit_tree(&ptree, parent) < 0 || git_diff_tree_to_tree(&diff, st->repo, ptree, tree, NULL) < 0) {
			store_log_git_error("history diff", "index");
			rc = KN_EGIT;
		}
		git_oid_tostr(hex, sizeof(hex), &id);
		for (size_t i = 0; rc == 0 && diff && i < git_diff_num_deltas(diff); i++) {
			const git_diff_delta *dd = git_diff_get_delta(diff, i);
			if (dd->status != GIT_DELTA_DELETED || !is_page(dd->old_file.path))
				continue;
			sqlite3_stmt *s = stmt(ix, Q_GONE_OLD);
			bind_str(s, 1, dd->old_file.path);
			bind_str(s, 2, hex);
			rc = run(ix, s);
		}
		git_diff_free(diff);
		git_tree_free(ptree);
		git_tree_free(tree);
		git_commit_free(parent);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	return rc;
}

int
index_gone(struct index *ix, const char *path, git_oid *where)
{
	sqlite3_stmt *s = stmt(ix, Q_GONE_GET);
	if (!s)
		return KN_EIO;
	bind_str(s, 1, path);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(s, 0);
		rc = hex && git_oid_fromstr(where, hex) == 0 ? 0 : KN_EIO;
	} else {
		rc = rc == SQLITE_DONE ? KN_ENOTFOUND : sql_fail(ix, rc, "deleted pages");
	}
	sqlite3_reset(s);
	return rc;
}

/* Inside a write transaction: index main (`to`, NULL for an empty wiki) from the state of
 * commit `from` (NULL: from nothing; the tables must be empty then). */
static int
apply_range(struct index *ix, struct store *st, const git_oid *from, const git_oid *to, size_t *changes)
{
	git_commit *fc = NULL, *tc = NULL;
	git_tree *ft = NULL, *tt = NULL;
	struct pending pd = { 0 };
	char hex[GIT_OID_HEXSZ + 1] = "";
	int rc = KN_EGIT;
	if (from && (git_commit_lookup(&fc, st->repo, from) < 0 || git_commit_tree(&ft, fc) < 0)) {
		store_log_git_error("last indexed commit", "index");
		goto done;
	}
	if (to && (git_commit_lookup(&tc, st->repo, to) < 0 || git_commit_tree(&tt, tc) < 0)) {
		store_log_git_error("commit lookup", STORE_BRANCH);
		goto done;
	}
	if (to)
		git_oid_tostr(hex, sizeof(hex), to);
	if (!tt && !ft)
		rc = 0;
	else if (!tt) /* main is gone: no pages */
		rc = exec(ix, "DELETE FROM pages; DELETE FROM tags; DELETE FROM departments; DELETE FROM links;"
			      " DELETE FROM fts; DELETE FROM gone");
	else
		rc = apply_diff(ix, st, ft, tt, &pd, changes, hex);
	if (rc == 0 && tc)
		rc = apply_updated(ix, st, tc, from, &pd);
	if (rc == 0 && tc && !from)
		rc = gone_from_history(ix, st, tc);
	if (rc == 0)
		rc = meta_set(ix, "last_commit", hex);
done:
	pending_free(&pd);
	git_tree_free(ft);
	git_tree_free(tt);
	git_commit_free(fc);
	git_commit_free(tc);
	return rc;
}

/* After a bulk change (a first index, a big push: 64 pages and at least an eighth of the
 * wiki), merge the full-text index into one segment. FTS5 writes a large transaction as
 * several segments of similar size, and every term lookup searches each of them: with the
 * 8 segments a 10,000-page index is built as, fetching 20 results costs 3x and ranking
 * 1.4x what it does after the merge (0.5 s, once). Small edits add small segments, which
 * FTS5's automerge folds in. */
static int
compact_fts(struct index *ix, size_t changes)
{
	sqlite3_int64 pages = 0;
	if (changes < PIPE_MIN)
		return 0;
	int rc = sql_int(ix, "SELECT count(*) FROM pages", &pages);
	if (rc < 0 || (sqlite3_int64)changes * 8 < pages)
		return rc;
	return exec(ix, "INSERT INTO fts(fts) VALUES('optimize')");
}

/* Main's commit into `out`; *have = 0 for an empty wiki. */
static int
main_commit(git_oid *out, int *have, struct store *st)
{
	int rc = git_reference_name_to_id(out, st->repo, STORE_BRANCH);
	*have = rc == 0;
	if (rc == 0 || rc == GIT_ENOTFOUND)
		return 0;
	store_log_git_error("resolve", STORE_BRANCH);
	return KN_EGIT;
}

/* The last indexed commit as hex ("" for none or an empty wiki) into `out`. */
static int
last_indexed(struct index *ix, struct buf *out)
{
	int rc = meta_get(ix, "last_commit", out);
	return rc == KN_ENOTFOUND ? 0 : rc;
}

static void
rollback(struct index *ix)
{
	sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_sound(struct index *ix, const char *pragma, FILE *report);

/* SQLite found damage. Drop and recreate the derived tables (they are rebuilt from git,
 * and the rest of the file stays); when the file is still unsound, reset it. */
static int
recover(struct index *ix)
{
	log_warn("index %s: damaged, recreating it from git", ix->path);
	if (ix->db) {
		finalize_all(ix);
		ix->corrupt = 0;
		if (exec(ix, "BEGIN IMMEDIATE") == 0 && exec(ix, drop_sql) == 0 && exec(ix, schema_sql) == 0 &&
		    meta_set(ix, "schema", SCHEMA_VERSION) == 0 && exec(ix, "COMMIT") == 0 &&
		    sqlite_sound(ix, "PRAGMA quick_check", NULL))
			return 0;
		rollback(ix);
	}
	reset_file(ix);
	return open_db(ix);
}

/* Is `hex` a commit in the repository? Into *out when so. */
static int
known_commit(git_oid *out, struct store *st, const char *hex)
{
	git_commit *c = NULL;
	if (strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(out, hex) < 0 || git_commit_lookup(&c, st->repo, out) < 0)
		return 0;
	git_commit_free(c);
	return 1;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Every write gets a new random generation: page ids (rowids) change on a rebuild even at
 * the same commit, so the caches of search results key on this, not on the commit. */
static int
new_generation(struct index *ix)
{
	uint64_t g;
	char hex[24];
	sqlite3_randomness(sizeof(g), &g);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)g);
	return meta_set(ix, "generation", hex);
}

/* One write transaction: catch up from the last indexed commit, or (`full`) from nothing. */
static int
update(struct index *ix, struct store *st, int full)
{
	struct buf last = BUF_INIT;
	git_oid main_id, from;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int have_main, incremental = 0, rc;
	size_t changes = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = exec(ix, "BEGIN IMMEDIATE")) < 0)
		return rc;
	/* Read both again inside the transaction: another thread or process may have done it. */
	if ((rc = main_commit(&main_id, &have_main, st)) < 0 || (rc = last_indexed(ix, &last)) < 0)
		goto done;
	if (have_main)
		git_oid_tostr(hex, sizeof(hex), &main_id);
	if (!full && strcmp(hex, buf_cstr(&last)) == 0)
		goto done;
	if (!full && last.len) {
		incremental = known_commit(&from, st, last.ptr);
		if (!incremental)
			log_warn("index: last indexed commit %s is not in the repository: reindexing", last.ptr);
	}
	if (!incremental) {
		finalize_all(ix);
		if ((rc = exec(ix, drop_sql)) < 0 || (rc = exec(ix, schema_sql)) < 0 ||
		    (rc = meta_set(ix, "schema", SCHEMA_VERSION)) < 0)
			goto done;
	}
	rc = apply_range(ix, st, incremental ? &from : NULL, have_main ? &main_id : NULL, &changes);
	if (rc == 0)
		rc = compact_fts(ix, changes);
	if (rc == 0)
		rc = new_generation(ix);
	if (rc == 0)
		log_info("index: %s %.10s (%zu page changes) in %.0f ms", incremental ? "caught up to" : "indexed",
			 have_main ? hex : "empty wiki", changes, ms_since(&t0));
done:
	buf_free(&last);
	if (rc == 0)
		rc = exec(ix, "COMMIT");
	if (rc < 0)
		rollback(ix);
	return rc;
}

int
index_catch_up(struct index *ix, struct store *st)
{
	struct buf last = BUF_INIT;
	git_oid main_id;
	int have_main, rc;
	if (ix->corrupt && (rc = recover(ix)) < 0)
		return rc;
	if ((rc = main_commit(&main_id, &have_main, st)) < 0)
		return rc;
	rc = last_indexed(ix, &last);
	if (rc == 0) {
		char hex[GIT_OID_HEXSZ + 1] = "";
		if (have_main)
			git_oid_tostr(hex, sizeof(hex), &main_id);
		if (strcmp(hex, buf_cstr(&last)) == 0) {
			buf_free(&last);
			return 0;
		}
		rc = update(ix, st, 0);
	}
	buf_free(&last);
	if (rc < 0 && ix->corrupt && recover(ix) == 0)
		rc = update(ix, st, 0);
	return rc;
}

int
index_rebuild(struct index *ix, struct store *st)
{
	int rc;
	if (ix->corrupt && (rc = recover(ix)) < 0)
		return rc;
	rc = update(ix, st, 1);
	if (rc < 0 && ix->corrupt && recover(ix) == 0)
		rc = update(ix, st, 1);
	return rc;
}

/* "ok" from PRAGMA quick_check (or integrity_check)? Problems go to `report` when given. */
static int
sqlite_sound(struct index *ix, const char *pragma, FILE *report)
{
	sqlite3_stmt *s = NULL;
	int sound = 1, rc = sqlite3_prepare_v2(ix->db, pragma, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		sql_fail(ix, rc, pragma);
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
		sql_fail(ix, rc, pragma);
		if (report)
			fprintf(report, "index: sqlite: %s\n", sqlite3_errmsg(ix->db));
		sound = 0;
	}
	sqlite3_finalize(s);
	return sound;
}

sqlite3 *
index_sqlite(struct index *ix)
{
	return ix->db;
}

/* Open DATA/index.db, optionally check it (a damaged file is repaired), catch up. */
static int
update_dir(const char *data_dir, const char *git_dir, int check)
{
	struct index *ix = NULL;
	struct store *st = NULL;
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/" INDEX_FILE, data_dir);
	int rc = index_open(&ix, path.ptr);
	buf_free(&path);
	if (rc < 0)
		return rc;
	if (check && !sqlite_sound(ix, "PRAGMA quick_check", NULL) && (rc = recover(ix)) < 0)
		goto done;
	if ((rc = store_open(&st, git_dir)) < 0)
		goto done;
	rc = index_catch_up(ix, st);
done:
	store_close(st);
	index_close(ix);
	return rc;
}

int
index_startup(const char *data_dir, const char *git_dir)
{
	return update_dir(data_dir, git_dir, 1);
}

int
index_update(const char *data_dir, const char *git_dir)
{
	return update_dir(data_dir, git_dir, 0);
}

/* --- check ----------------------------------------------------------------------------- */

/* A page file: its path and blob id (hex). */
struct page_row {
	char *path;
	char blob[GIT_OID_HEXSZ + 1];
};

struct page_rows {
	struct page_row *v;
	size_t n, cap;
};

static void
rows_add(struct page_rows *r, const char *path, const char *blob)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].path = xstrdup(path);
	snprintf(r->v[r->n].blob, sizeof(r->v[r->n].blob), "%s", blob);
	r->n++;
}

static void
rows_free(struct page_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
}

/* Byte order, like SQLite's BINARY collation of the pages table. */
static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct page_row *)a)->path, ((const struct page_row *)b)->path);
}

static int
collect_tree_page(const char *root, const git_tree_entry *e, void *payload)
{
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !is_file_mode((uint16_t)git_tree_entry_filemode(e)))
		return 0;
	struct buf path = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	buf_puts(&path, root);
	buf_puts(&path, git_tree_entry_name(e));
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
	if (is_page(path.ptr))
		rows_add(payload, path.ptr, hex);
	buf_free(&path);
	return 0;
}

/* Compare the pages table with main's tree; one line per difference. */
static int
check_pages(struct index *ix, git_tree *tree, FILE *report, int *bad)
{
	struct page_rows want = { 0 }, have = { 0 };
	sqlite3_stmt *s = NULL;
	int rc = 0, src;
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, collect_tree_page, &want) < 0) {
		store_log_git_error("tree walk", "check");
		rc = KN_EGIT;
		goto done;
	}
	if (want.n)
		qsort(want.v, want.n, sizeof(*want.v), cmp_row);
	if ((src = sqlite3_prepare_v2(ix->db, "SELECT path, blob FROM pages ORDER BY path", -1, &s, NULL)) != SQLITE_OK) {
		rc = sql_fail(ix, src, "list pages");
		goto done;
	}
	while ((src = sqlite3_step(s)) == SQLITE_ROW)
		rows_add(&have, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
	if (src != SQLITE_DONE) {
		rc = sql_fail(ix, src, "list pages");
		goto done;
	}
	for (size_t i = 0, k = 0; i < want.n || k < have.n;) {
		int c = i == want.n ? 1 : k == have.n ? -1 : strcmp(want.v[i].path, have.v[k].path);
		if (c < 0)
			fprintf(report, "index: page %s is in main but not in the index\n", want.v[i++].path);
		else if (c > 0)
			fprintf(report, "index: page %s is in the index but not in main\n", have.v[k++].path);
		else if (strcmp(want.v[i].blob, have.v[k].blob) != 0)
			fprintf(report, "index: page %s is indexed at blob %.12s, main has %.12s\n", want.v[i].path,
				have.v[k].blob, want.v[i].blob);
		if (c == 0 && strcmp(want.v[i++].blob, have.v[k++].blob) == 0)
			continue;
		(*bad)++;
	}
done:
	sqlite3_finalize(s);
	rows_free(&want);
	rows_free(&have);
	return rc;
}

/* One integer from `sql` into *out. */
static int
sql_int(struct index *ix, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(ix->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : sql_fail(ix, rc, sql);
}

struct blob_check {
	git_odb *odb;
	FILE *report;
	int *bad;
};

/* Read every blob of the tree: libgit2 verifies each object's hash as it reads it. */
static int
check_blob(const char *root, const git_tree_entry *e, void *payload)
{
	struct blob_check *bc = payload;
	git_odb_object *obj = NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB && git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	if (git_odb_read(&obj, bc->odb, git_tree_entry_id(e)) < 0) {
		const git_error *err = git_error_last();
		fprintf(bc->report, "repo: %s%s: %s\n", root, git_tree_entry_name(e), err ? err->message : "unreadable");
		(*bc->bad)++;
	}
	git_odb_object_free(obj);
	return 0;
}

/* Every commit of main's history readable with its tree; every object of main's tree
 * readable with the right hash. */
static int
check_repo(struct store *st, const git_oid *main_id, git_tree *tree, FILE *report, int *bad)
{
	git_revwalk *w = NULL;
	git_odb *odb = NULL;
	git_oid id;
	size_t commits = 0;
	if (git_repository_odb(&odb, st->repo) < 0 || git_revwalk_new(&w, st->repo) < 0 ||
	    git_revwalk_push(w, main_id) < 0) {
		store_log_git_error("odb", "check");
		git_revwalk_free(w);
		git_odb_free(odb);
		return KN_EGIT;
	}
	int rc;
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &id);
		commits++;
		if (git_commit_lookup(&c, st->repo, &id) < 0) {
			fprintf(report, "repo: commit %s is missing or damaged\n", hex);
			(*bad)++;
		} else if (!git_odb_exists(odb, git_commit_tree_id(c))) {
			fprintf(report, "repo: tree of commit %s is missing\n", hex);
			(*bad)++;
		}
		git_commit_free(c);
	}
	if (rc != GIT_ITEROVER) {
		const git_error *err = git_error_last();
		fprintf(report, "repo: history walk stopped after %zu commits: %s\n", commits,
			err ? err->message : "error");
		(*bad)++;
	}
	struct blob_check bc = { odb, report, bad };
	if (tree)
		git_tree_walk(tree, GIT_TREEWALK_PRE, check_blob, &bc);
	git_revwalk_free(w);
	git_odb_free(odb);
	return 0;
}

int
index_check(struct index *ix, struct store *st, FILE *report)
{
	struct buf last = BUF_INIT;
	git_oid main_id;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int have_main, bad = 0, rc;
	sqlite3_int64 npages = 0, nfts = 0;
	if ((rc = main_commit(&main_id, &have_main, st)) < 0)
		return rc;
	char hex[GIT_OID_HEXSZ + 1] = "";
	if (have_main) {
		git_oid_tostr(hex, sizeof(hex), &main_id);
		if (git_commit_lookup(&c, st->repo, &main_id) < 0 || git_commit_tree(&tree, c) < 0) {
			fprintf(report, "repo: main (%s) or its tree is unreadable\n", hex);
			bad++;
		}
	}
	if (have_main && (rc = check_repo(st, &main_id, tree, report, &bad)) < 0)
		goto done;
	if (!sqlite_sound(ix, "PRAGMA integrity_check", report))
		bad++;
	if (exec(ix, "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)") < 0) {
		fprintf(report, "index: full-text index is inconsistent: %s\n", sqlite3_errmsg(ix->db));
		bad++;
	}
	if ((rc = last_indexed(ix, &last)) < 0)
		goto done;
	if (strcmp(buf_cstr(&last), hex) != 0) {
		fprintf(report, "index: last indexed commit is %s, main is %s\n", last.len ? last.ptr : "(none)",
			have_main ? hex : "(none)");
		bad++;
	}
	if ((rc = sql_int(ix, "SELECT count(*) FROM pages", &npages)) < 0 ||
	    (rc = sql_int(ix, "SELECT count(*) FROM fts", &nfts)) < 0)
		goto done;
	if (npages != nfts) {
		fprintf(report, "index: %lld pages but %lld full-text rows\n", (long long)npages, (long long)nfts);
		bad++;
	}
	rc = check_pages(ix, tree, report, &bad);
done:
	buf_free(&last);
	git_tree_free(tree);
	git_commit_free(c);
	return rc < 0 ? rc : bad ? 1 : 0;
}

/* Open the data directory's repository and index for a command; 0 or 1 (reported). */
static int
open_dir(const char *data_dir, struct store **st, struct index **ix)
{
	struct buf git = BUF_INIT, db = BUF_INIT;
	int rc = 0;
	buf_printf(&git, "%s/wiki.git", data_dir);
	buf_printf(&db, "%s/" INDEX_FILE, data_dir);
	if (store_open(st, git.ptr) < 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (no wiki.git)\n", data_dir);
		rc = 1;
	} else if (index_open(ix, db.ptr) < 0) {
		fprintf(stderr, "kennis: cannot open %s (see the log above)\n", db.ptr);
		rc = 1;
	}
	buf_free(&git);
	buf_free(&db);
	return rc;
}

int
index_cmd_reindex(const char *data_dir)
{
	struct store *st = NULL;
	struct index *ix = NULL;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = open_dir(data_dir, &st, &ix);
	if (rc == 0 && index_rebuild(ix, st) < 0) {
		fprintf(stderr, "kennis: reindexing failed (see the log above)\n");
		rc = 1;
	}
	if (rc == 0) {
		sqlite3_int64 n = 0;
		sql_int(ix, "SELECT count(*) FROM pages", &n);
		printf("kennis: indexed %lld pages in %.2f s\n", (long long)n, ms_since(&t0) / 1e3);
	}
	index_close(ix);
	store_close(st);
	return rc;
}

int
index_cmd_check(const char *data_dir)
{
	struct store *st = NULL;
	struct index *ix = NULL;
	int rc = open_dir(data_dir, &st, &ix);
	if (rc == 0) {
		rc = index_check(ix, st, stdout);
		if (rc < 0)
			fprintf(stderr, "kennis: the check could not run (see the log above)\n");
		else if (rc == 0)
			printf("kennis: %s: repository and index are sound\n", data_dir);
		else
			printf("kennis: %s: problems found (kennis reindex rebuilds the index)\n", data_dir);
		rc = rc != 0;
	}
	index_close(ix);
	store_close(st);
	return rc;
}

/* --- search ---------------------------------------------------------------------------- */

static const char *const filter_names[SF_KINDS] = { "customer", "tag", "dept" };

const char *
search_filter_name(enum search_filter kind)
{
	return kind < SF_KINDS ? filter_names[kind] : "";
}

/* Copy the first `max` bytes of `s` into the arena, dropping invalid UTF-8 and turning
 * control bytes into spaces. */
static char *
clean_query(struct arena *a, const char *s, size_t max, int *truncated)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		*truncated = 1;
	}
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		if (len == 0 || len > n - i || !utf8_valid(s + i, len)) {
			i++;
			continue;
		}
		if (len == 1 && (c < ' ' || c == 0x7f))
			*o++ = ' ';
		else
			memcpy(o, s + i, len), o += len;
		i += len;
	}
	*o = '\0';
	return out;
}

void
search_add_filter(struct search_query *q, struct arena *a, enum search_filter kind, const char *value)
{
	int trunc = 0;
	if (kind >= SF_KINDS || !value)
		return;
	char *v = clean_query(a, value, VALUE_MAX, &trunc);
	while (*v == ' ')
		v++;
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		v[--n] = '\0';
	if (n == 0)
		return;
	for (size_t i = 0; i < q->nfilters[kind]; i++)
		if (strcasecmp(q->filters[kind][i], v) == 0)
			return;
	if (q->nfilters[kind] == SEARCH_MAX_FILTERS) {
		q->truncated = 1;
		return;
	}
	q->filters[kind][q->nfilters[kind]++] = v;
}

/* Does the word hold something the tokenizer keeps (a letter or digit)? */
static int
has_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return 1;
	}
	return 0;
}

static int
is_punct(unsigned char c)
{
	return c < 0x80 && !(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Characters in the last word of [s, s+n): a prefix of one letter would expand to
 * thousands of words, so it needs two. */
static size_t
last_word_chars(const char *s, size_t n)
{
	size_t chars = 0;
	while (n && !is_punct((unsigned char)s[n - 1]) && s[n - 1] != ' ') {
		if (((unsigned char)s[n - 1] & 0xC0) != 0x80)
			chars++;
		n--;
	}
	return chars;
}

/* --- the budget of a query -------------------------------------------------------------
 * A search's work grows with the words of its query: FTS5 matches every word of every
 * phrase against its positions in each matching page, and kennis_rank and the snippets go
 * over those matches again. A 200 KB page of "www.a.com " repeated and "a* a* a* ..."
 * (ten times) took 17 s (issue 15). So a query buys no more than a person types: a term
 * repeated is searched once, and at most SEARCH_MAX_WORDS words and SEARCH_MAX_PREFIX
 * prefixes are searched. What this costs at most is measured in docs/search.md. */

static int
is_word_byte(unsigned char c)
{
	return c >= 0x80 || !is_punct(c);
}

/* The words the tokenizer can cut [s, s+n) into, counted from above: a run of ASCII
 * letters and digits is one, and so is every non-ASCII character (unicode61 makes it a
 * letter or a separator by its category, so "a—a—a" is three words). */
static size_t
words_at_most(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0xC0 || (c < 0x80 && is_word_byte(c) && (i == 0 || !is_word_byte((unsigned char)s[i - 1]) ||
								   (unsigned char)s[i - 1] >= 0x80)))
			w++;
	}
	return w;
}

/* Is the FTS5 string t[0..n) one of the terms of the expression m[0..end) (as add_term
 * writes them: "text" with quotes doubled, maybe *, one blank between)? ASCII case is
 * ignored, as FTS5 ignores it. */
static int
term_repeated(const char *m, size_t end, const char *t, size_t n)
{
	for (size_t i = 0; i < end;) {
		size_t j = i + 1; /* after the opening quote */
		while (j < end && !(m[j] == '"' && (j + 1 >= end || m[j + 1] != '"')))
			j += m[j] == '"' ? 2 : 1;
		j++; /* the closing quote */
		if (j < end && m[j] == '*')
			j++;
		if (j - i == n && strncasecmp(m + i, t, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Keep or drop the term just written at m[start..] (after its blank, if any) within the
 * query's budget: 1 to keep it, 0 when the caller drops it. A prefix over the budget
 * loses its '*'. */
static int
term_in_budget(struct search_query *q, struct buf *m, size_t start, const char *s, size_t n)
{
	size_t at = start ? start + 1 : 0;
	int prefix = m->ptr[m->len - 1] == '*';
	if (term_repeated(m->ptr, start, m->ptr + at, m->len - at))
		return 0;
	if (prefix && q->nprefix == SEARCH_MAX_PREFIX) {
		m->ptr[--m->len] = '\0';
		prefix = 0;
		q->truncated = 1;
		if (term_repeated(m->ptr, start, m->ptr + at, m->len - at))
			return 0;
	}
	size_t w = words_at_most(s, n);
	if (q->nwords + w > SEARCH_MAX_WORDS) {
		q->truncated = 1;
		return 0;
	}
	q->nwords += w;
	q->nprefix += (size_t)prefix;
	return 1;
}

/* Add a word or phrase to the MATCH expression as an FTS5 string: "text" (quotes inside
 * doubled, though the parser leaves none), "text"* for a prefix. */
static void
add_term(struct search_query *q, struct buf *m, const char *s, size_t n, int prefix)
{
	if (!has_token(s, n))
		return;
	if (prefix && last_word_chars(s, n) < 2)
		prefix = 0;
	if (q->nterms == SEARCH_MAX_TERMS) {
		q->truncated = 1;
		return;
	}
	size_t start = m->len;
	if (m->len)
		buf_putc(m, ' ');
	buf_putc(m, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(m, '"');
		buf_putc(m, s[i]);
	}
	buf_putc(m, '"');
	if (prefix)
		buf_putc(m, '*');
	if (!term_in_budget(q, m, start, s, n)) {
		m->len = start;
		if (m->ptr)
			m->ptr[start] = '\0';
		return;
	}
	q->nterms++;
}

/* A bare word: punctuation around it is dropped, a trailing * asks for a prefix match, and
 * FTS operators (AND OR NOT NEAR) are no words. */
static void
add_word(struct search_query *q, struct buf *m, const char *s, size_t n)
{
	int prefix = 0;
	while (n && is_punct((unsigned char)s[n - 1]) && s[n - 1] != '*')
		n--;
	while (n && s[n - 1] == '*')
		n--, prefix = 1;
	while (n && is_punct((unsigned char)*s))
		s++, n--;
	while (n && is_punct((unsigned char)s[n - 1]))
		n--;
	static const char *const ops[] = { "AND", "OR", "NOT", "NEAR" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (n == strlen(ops[i]) && memcmp(s, ops[i], n) == 0)
			return;
	char *w = xstrndup(s, n), *o = w;
	for (size_t i = 0; i < n; i++) /* a quote inside a word is a separator */
		*o++ = s[i] == '"' ? ' ' : s[i];
	add_term(q, m, w, (size_t)(o - w), prefix);
	free(w);
}

/* "customer:", "tag:", "dept:" (any case) at s: the kind, and *len the prefix length. */
static int
filter_prefix(const char *s, size_t *len)
{
	static const struct { const char *key; enum search_filter kind; } keys[] = {
		{ "customer:", SF_CUSTOMER }, { "tag:", SF_TAG }, { "tags:", SF_TAG },
		{ "dept:", SF_DEPT }, { "department:", SF_DEPT },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i].key);
		if (strncasecmp(s, keys[i].key, n) == 0) {
			*len = n;
			return (int)keys[i].kind;
		}
	}
	return -1;
}

void
search_parse(struct search_query *q, struct arena *a, const char *text)
{
	struct buf m = BUF_INIT;
	memset(q, 0, sizeof(*q));
	q->page = 1;
	const char *p = clean_query(a, text ? text : "", SEARCH_MAX_QUERY, &q->truncated);
	q->text = p;
	while (*p) {
		size_t klen;
		int kind;
		if (*p == ' ') {
			p++;
		} else if (*p == '"') { /* a phrase, to the closing quote or the end */
			const char *end = strchr(p + 1, '"');
			size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
			const char *next = end ? end + 1 : p + 1 + n;
			int prefix = *next == '*';
			while (*next == '*')
				next++;
			add_term(q, &m, p + 1, n, prefix);
			p = next;
		} else if ((kind = filter_prefix(p, &klen)) >= 0 && p[klen] && p[klen] != ' ') {
			const char *v = p + klen, *end;
			if (*v == '"') {
				end = strchr(++v, '"');
				p = end ? end + 1 : v + strlen(v);
			} else {
				end = v + strcspn(v, " ");
				p = end;
			}
			char *val = arena_strndup(a, v, end ? (size_t)(end - v) : strlen(v));
			search_add_filter(q, a, (enum search_filter)kind, val);
		} else {
			size_t n = strcspn(p, " ");
			add_word(q, &m, p, n);
			p += n;
		}
	}
	q->match = m.len ? arena_strndup(a, m.ptr, m.len) : NULL;
	buf_free(&m);
}

void
search_marks_to_html(struct buf *out, const char *s)
{
	int open = 0;
	while (*s) {
		size_t n = strcspn(s, "\x01\x02");
		html_escape(out, s, n);
		s += n;
		if (*s == '\x01' && !open) {
			buf_puts(out, "<mark>");
			open = 1;
		} else if (*s == '\x02' && open) {
			buf_puts(out, "</mark>");
			open = 0;
		}
		if (*s)
			s++;
	}
	if (open)
		buf_puts(out, "</mark>");
}


/* --- filters and facets ------------------------------------------------------------------
 * Counting customers, tags and departments over thousands of matches in SQL (joins, GROUP
 * BY) costs tens of milliseconds; instead the server keeps every page's values as small
 * integers, loaded once per indexed commit and shared by all threads, and counts in C. */

/* The distinct values of one kind, compared without ASCII case (like SQLite's NOCASE). */
struct vocab {
	char **v;       /* the first spelling seen */
	size_t n;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslot;
};

struct fpage {
	sqlite3_int64 id;
	uint32_t first[SF_KINDS], count[SF_KINDS]; /* its values: vals[kind][first ..] */
	uint32_t ntok; /* tokens in all its full-text columns; NTOK_UNKNOWN: ask FTS5 */
};

#define NTOK_UNKNOWN UINT32_MAX

struct facets {
	char gen[24];
	unsigned refs; /* holders; facets_shared is one */
	struct fpage *page; /* by id */
	size_t npage, cappage;
	uint32_t *at; /* at[id] = index in page + 1, 0 for none; NULL: ids too sparse */
	size_t nat;
	uint32_t *vals[SF_KINDS];
	size_t nvals[SF_KINDS], capvals[SF_KINDS];
	struct vocab vocab[SF_KINDS];
};

static uint32_t
fold_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h;
}

static void
vocab_rehash(struct vocab *vo)
{
	free(vo->slot);
	vo->nslot = vo->nslot ? vo->nslot * 2 : 64;
	vo->slot = xcalloc(vo->nslot, sizeof(uint32_t));
	for (size_t k = 0; k < vo->n; k++) {
		size_t i = fold_hash(vo->v[k]) & (vo->nslot - 1);
		while (vo->slot[i])
			i = (i + 1) & (vo->nslot - 1);
		vo->slot[i] = (uint32_t)k + 1;
	}
}

/* Index of value `s` (adding it when `add`); UINT32_MAX when absent. */
static uint32_t
vocab_find(struct vocab *vo, const char *s, int add)
{
	if (add && (vo->n + 1) * 2 > vo->nslot) {
		vo->v = xrealloc(vo->v, (vo->nslot ? vo->nslot : 64) * sizeof(char *));
		vocab_rehash(vo);
	}
	if (!vo->nslot)
		return UINT32_MAX;
	for (size_t i = fold_hash(s) & (vo->nslot - 1);; i = (i + 1) & (vo->nslot - 1)) {
		uint32_t k = vo->slot[i];
		if (k && strcasecmp(vo->v[k - 1], s) == 0)
			return k - 1;
		if (!k && !add)
			return UINT32_MAX;
		if (!k) {
			vo->v[vo->n] = xstrdup(s);
			vo->slot[i] = (uint32_t)++vo->n;
			return (uint32_t)vo->n - 1;
		}
	}
}

static void
facets_clear(struct facets *fc)
{
	for (int k = 0; k < SF_KINDS; k++) {
		for (size_t i = 0; i < fc->vocab[k].n; i++)
			free(fc->vocab[k].v[i]);
		free(fc->vocab[k].v);
		free(fc->vocab[k].slot);
		free(fc->vals[k]);
	}
	free(fc->page);
	free(fc->at);
	memset(fc, 0, sizeof(*fc));
}

static void
facets_free(struct facets *fc)
{
	if (fc)
		facets_clear(fc);
	free(fc);
}

/* Add value `v` of kind `k` to page `p` (the last page added to its kind's list). */
static void
fpage_add(struct facets *fc, struct fpage *p, int k, const char *v)
{
	uint32_t idx = vocab_find(&fc->vocab[k], v, 1);
	if (p->count[k] == 0)
		p->first[k] = (uint32_t)fc->nvals[k];
	for (uint32_t i = 0; i < p->count[k]; i++)
		if (fc->vals[k][p->first[k] + i] == idx)
			return; /* "Sales" and "sales" on one page */
	if (fc->nvals[k] == fc->capvals[k]) {
		fc->capvals[k] = fc->capvals[k] ? fc->capvals[k] * 2 : 1024;
		fc->vals[k] = xrealloc(fc->vals[k], fc->capvals[k] * sizeof(uint32_t));
	}
	fc->vals[k][fc->nvals[k]++] = idx;
	p->count[k]++;
}

/* The tokens of a row from its fts_docsize blob: one SQLite varint per column (title,
 * body). Anything else: NTOK_UNKNOWN, and the ranking asks FTS5. */
static uint32_t
docsize_tokens(const unsigned char *p, int n)
{
	uint64_t total = 0;
	int cols = 0;
	for (int i = 0; i < n; cols++) {
		uint64_t v = 0;
		int k = 0;
		for (;; k++) {
			if (i >= n)
				return NTOK_UNKNOWN;
			unsigned char c = p[i++];
			if (k == 8) {
				v = (v << 8) | c;
				break;
			}
			v = (v << 7) | (c & 0x7f);
			if (!(c & 0x80))
				break;
		}
		total += v;
	}
	return cols == 2 && total < NTOK_UNKNOWN ? (uint32_t)total : NTOK_UNKNOWN;
}

/* Load the values of every page (the caller holds a read transaction at generation `gen`). */
static int
facets_load(struct index *ix, struct facets *fc, const char *gen)
{
	static const enum stmt_id lists[] = { Q_FACET_TAGS, Q_FACET_DEPTS };
	static const int kinds[] = { SF_TAG, SF_DEPT };
	sqlite3_stmt *s = stmt(ix, Q_FACET_PAGES);
	int rc;
	facets_clear(fc);
	if (!s)
		return KN_EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fc->npage == fc->cappage) {
			fc->cappage = fc->cappage ? fc->cappage * 2 : 1024;
			fc->page = xrealloc(fc->page, fc->cappage * sizeof(*fc->page));
		}
		struct fpage *p = &fc->page[fc->npage++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->ntok = NTOK_UNKNOWN;
		const char *cust = (const char *)sqlite3_column_text(s, 1);
		if (cust && *cust)
			fpage_add(fc, p, SF_CUSTOMER, cust);
	}
	sqlite3_reset(s);
	for (size_t l = 0; rc == SQLITE_DONE && l < 2; l++) {
		size_t j = 0;
		if (!(s = stmt(ix, lists[l])))
			return KN_EIO;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(s, 0);
			while (j < fc->npage && fc->page[j].id < id)
				j++;
			if (j < fc->npage && fc->page[j].id == id)
				fpage_add(fc, &fc->page[j], kinds[l], (const char *)sqlite3_column_text(s, 1));
		}
		sqlite3_reset(s);
	}
	if (rc == SQLITE_DONE && (s = stmt(ix, Q_FACET_SIZES))) {
		size_t j = 0;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(s, 0);
			while (j < fc->npage && fc->page[j].id < id)
				j++;
			if (j < fc->npage && fc->page[j].id == id)
				fc->page[j].ntok = docsize_tokens(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
		}
		sqlite3_reset(s);
	}
	if (rc != SQLITE_DONE) {
		facets_clear(fc);
		return sql_fail(ix, rc, "load page data");
	}
	/* Ids grow as pages change (a changed page is indexed anew): a direct table while they
	 * are dense enough, else fpage_find searches. */
	sqlite3_int64 maxid = fc->npage ? fc->page[fc->npage - 1].id : 0;
	if (maxid >= 0 && (uint64_t)maxid < 16 * (uint64_t)fc->npage + 65536) {
		fc->nat = (size_t)maxid + 1;
		fc->at = xcalloc(fc->nat, sizeof(*fc->at));
		for (size_t i = 0; i < fc->npage; i++)
			if (fc->page[i].id >= 0)
				fc->at[fc->page[i].id] = (uint32_t)i + 1;
	}
	snprintf(fc->gen, sizeof(fc->gen), "%s", gen);
	return 0;
}

/* The newest page data loaded, shared by all threads: immutable once loaded, reference
 * counted. One load per change of the wiki for the whole server, not one per thread. */
static pthread_mutex_t facets_mu = PTHREAD_MUTEX_INITIALIZER;
static struct facets *facets_shared;

static void
facets_release(struct facets *fc)
{
	if (!fc)
		return;
	pthread_mutex_lock(&facets_mu);
	int last = --fc->refs == 0;
	pthread_mutex_unlock(&facets_mu);
	if (last)
		facets_free(fc);
}

/* The page data of the current generation (inside the caller's read transaction), held:
 * facets_release it. */
static int
facets_current(struct index *ix, struct facets **out)
{
	struct buf gen = BUF_INIT;
	struct facets *fc = NULL;
	int rc = meta_get(ix, "generation", &gen);
	if (rc == KN_ENOTFOUND)
		rc = 0;
	*out = NULL;
	if (rc < 0)
		goto done;
	pthread_mutex_lock(&facets_mu);
	if (facets_shared && strcmp(facets_shared->gen, buf_cstr(&gen)) == 0) {
		fc = facets_shared;
		fc->refs++;
	}
	pthread_mutex_unlock(&facets_mu);
	if (!fc) {
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fc = xcalloc(1, sizeof(*fc));
		if ((rc = facets_load(ix, fc, buf_cstr(&gen))) < 0) {
			facets_free(fc);
			goto done;
		}
		fc->refs = 1;
		log_info("index: page data of %zu pages loaded for search in %.1f ms", fc->npage, ms_since(&t0));
		struct facets *old = NULL;
		pthread_mutex_lock(&facets_mu);
		old = facets_shared;
		facets_shared = fc;
		fc->refs++;
		pthread_mutex_unlock(&facets_mu);
		facets_release(old);
	}
	*out = fc;
done:
	buf_free(&gen);
	return rc;
}

static struct fpage *
fpage_find(struct facets *fc, sqlite3_int64 id)
{
	if (fc->at)
		return id >= 0 && (uint64_t)id < fc->nat && fc->at[id] ? &fc->page[fc->at[id] - 1] : NULL;
	size_t lo = 0, hi = fc->npage;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fc->page[mid].id == id)
			return &fc->page[mid];
		if (fc->page[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- ranking --------------------------------------------------------------------------- *
 * kennis_rank(fts, w0, w1 ...) is FTS5's bm25(fts, w0, w1 ...), the same formula and the
 * same numbers (a unit test compares the two), computed with the row lengths the server
 * holds with its page data for filters and facets. FTS5's bm25 looks each matching row's
 * length up in fts_docsize, a B-tree search per row: more than half of its cost. Measured on the 10,000
 * page corpus, "customer" (every page): ORDER BY rank 22.9 ms; bm25() unsorted 15.5 ms;
 * kennis_rank 3.4 ms, and sorting 10,000 (score, id) pairs in C under 1 ms. */

#define BM25_K1 1.2
#define BM25_B  0.75

struct rank_query {
	int nphrase, ncol;
	double avgdl;
	double *idf, *freq, *weight;
};

/* --- the work budget of a ranking -------------------------------------------------------
 * Scoring a match costs FTS5 (finding the phrase, then handing its positions to
 * kennis_rank) about as much as the phrase has positions times words. Pages of one word
 * repeated make that huge (a 200 KB page of "www.a.com ": 20,000 positions of each word),
 * and a query of up to SEARCH_MAX_WORDS words multiplies it. So kennis_rank counts it per
 * row (positions x words of each phrase, and 1 per phrase), and a ranking stops once the
 * count passes RANK_WORK_MAX: it then holds the matches scored so far (the oldest pages
 * first, as FTS5 returns them) and says so. 2M is about 30 ms of such pages; a normal
 * page costs a few units per phrase, so a word on every page of a 100,000-page wiki
 * (about 1M) is scored in full. The phrases' idf pass (rank_query_new) counts too. */
#define RANK_WORK_MAX (2u << 20)

static void
rank_count_work(struct index *ix, uint64_t positions, int words)
{
	ix->rank_work += positions * (uint64_t)(words > 0 ? words : 1) + 1;
}

static int
rank_over_budget(const struct index *ix)
{
	return ix->rank_work > RANK_WORK_MAX;
}

/* One phrase's rows, for its idf. */
struct phrase_rows {
	struct index *ix;
	sqlite3_int64 n;
	int words;
};

/* A row of the phrase (xQueryPhrase). Finding a phrase of several words costs FTS5 its
 * positions times words in each row, as in the ranking: counted the same way, and the
 * count stops (SQLITE_DONE) once the ranking's budget is spent. */
static int
count_hit(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	struct phrase_rows *pr = arg;
	uint64_t positions = 0;
	pr->n++;
	if (pr->words > 1) {
		Fts5PhraseIter it;
		int col, off;
		if (api->xPhraseFirst(fts, 0, &it, &col, &off) == SQLITE_OK)
			for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
				positions++;
	}
	rank_count_work(pr->ix, positions, pr->words);
	return rank_over_budget(pr->ix) ? SQLITE_DONE : SQLITE_OK;
}

static void
rank_query_free(void *p)
{
	struct rank_query *rq = p;
	if (rq) {
		free(rq->idf);
		free(rq);
	}
}

/* The per-query part of bm25: average row length and each phrase's idf, from the number of
 * rows that contain it (one pass over its document list). */
static struct rank_query *
rank_query_new(const Fts5ExtensionApi *api, Fts5Context *fts, int nval, sqlite3_value **val, int *rc)
{
	struct rank_query *rq = xcalloc(1, sizeof(*rq));
	sqlite3_int64 nrow = 0, ntok = 0;
	struct index *ix = api->xUserData(fts);
	ix->rank_work = 0; /* a new query: a new budget */
	ix->rank_rows = INT64_MAX;
	rq->nphrase = api->xPhraseCount(fts);
	rq->ncol = api->xColumnCount(fts);
	rq->idf = xcalloc((size_t)(2 * rq->nphrase + rq->ncol) + 1, sizeof(double));
	rq->freq = rq->idf + rq->nphrase;
	rq->weight = rq->freq + rq->nphrase;
	for (int c = 0; c < rq->ncol; c++)
		rq->weight[c] = c < nval ? sqlite3_value_double(val[c]) : 1.0;
	if ((*rc = api->xRowCount(fts, &nrow)) == SQLITE_OK)
		*rc = api->xColumnTotalSize(fts, -1, &ntok);
	rq->avgdl = nrow > 0 ? (double)ntok / (double)nrow : 1.0;
	if (rq->avgdl <= 0)
		rq->avgdl = 1.0;
	for (int i = 0; *rc == SQLITE_OK && i < rq->nphrase; i++) {
		struct phrase_rows pr = { ix, 0, api->xPhraseSize(fts, i) };
		*rc = api->xQueryPhrase(fts, i, &pr, count_hit);
		sqlite3_int64 nhit = pr.n;
		if (!rank_over_budget(ix) && nhit < ix->rank_rows)
			ix->rank_rows = nhit; /* counted in full */
		double idf = log(((double)nrow - (double)nhit + 0.5) / ((double)nhit + 0.5));
		rq->idf[i] = idf > 0 ? idf : 1e-6;
	}
	return rq;
}

static void
rank_row(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	struct index *ix = api->xUserData(fts);
	struct rank_query *rq = api->xGetAuxdata(fts, 0);
	int rc = SQLITE_OK;
	if (!rq) {
		rq = rank_query_new(api, fts, nval, val, &rc);
		if (rc == SQLITE_OK)
			rc = api->xSetAuxdata(fts, rq, rank_query_free); /* frees rq on failure */
		else
			rank_query_free(rq);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	for (int i = 0; i < rq->nphrase; i++) {
		Fts5PhraseIter it;
		int col, off;
		double f = 0;
		uint64_t hits = 0;
		if ((rc = api->xPhraseFirst(fts, i, &it, &col, &off)) != SQLITE_OK)
			break;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off), hits++)
			f += col < rq->ncol ? rq->weight[col] : 1.0;
		rq->freq[i] = f;
		rank_count_work(ix, hits, api->xPhraseSize(fts, i));
	}
	uint32_t ntok = NTOK_UNKNOWN;
	if (ix->facets) {
		struct fpage *p = fpage_find(ix->facets, api->xRowid(fts));
		if (p)
			ntok = p->ntok;
	}
	if (rc == SQLITE_OK && ntok == NTOK_UNKNOWN) {
		int n = 0;
		rc = api->xColumnSize(fts, -1, &n);
		ntok = (uint32_t)(n > 0 ? n : 0);
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	double score = 0, norm = BM25_K1 * (1 - BM25_B + BM25_B * (double)ntok / rq->avgdl);
	for (int i = 0; i < rq->nphrase; i++)
		score += rq->idf[i] * ((rq->freq[i] * (BM25_K1 + 1.0)) / (rq->freq[i] + norm));
	sqlite3_result_double(ctx, -score);
}

/* Make kennis_rank() known to this connection's FTS5. */
static int
register_rank(struct index *ix)
{
	fts5_api *api = fts5_api_of(ix->db);
	int rc = api ? api->xCreateFunction(api, "kennis_rank", ix, rank_row, NULL) : SQLITE_ERROR;
	if (rc != SQLITE_OK)
		return sql_fail(ix, rc, "register kennis_rank");
	/* The same tokenizer as the table's: 'unicode61 remove_diacritics 2' (schema_sql). */
	static const char *const args[] = { "remove_diacritics", "2" };
	return ix->hl ? 0 : hl_tokenizer_open(&ix->hl, ix->db, "unicode61", args, 2);
}

struct scored {
	double score;
	sqlite3_int64 id;
};

static int
cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* --- rankings, shared by all threads ------------------------------------------------------
 * The scores of every match of one MATCH expression at one index generation: the next
 * results page, a facet link, or the same search by someone else reuse them. Kept
 * unsorted (in id order, as FTS5 returns them); each search picks its best with
 * select_best. The scores never change once made; the results shown so far (with their
 * snippets, the other costly part) are added as they are fetched. Reference counted, at
 * most --search-cache-mb in all (0: nothing is kept; every search scores anew). */

#define RANK_CACHE_SLOTS 256
#define MEMO_MAX         200 /* results remembered per ranking: the first 10 pages */

/* One result as shown (search_hit's strings in one allocation). */
struct memo_hit {
	sqlite3_int64 id;
	struct search_hit h;
	char *strings;
};

struct ranking {
	char *match;
	char gen[24];
	struct scored *hit;
	size_t n;
	size_t bytes;
	unsigned refs;      /* holders, the cache being one */
	unsigned long used; /* for LRU eviction */
	struct memo_hit *memo; /* results shown so far, with their snippets (under rank_mu) */
	size_t nmemo;
	int cached; /* in rank_slot, its bytes counted in rank_bytes */
	int partial; /* stopped at RANK_WORK_MAX: the matches scored until then */
};

static pthread_mutex_t rank_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ranking *rank_slot[RANK_CACHE_SLOTS];
static size_t rank_bytes, rank_budget = 32u << 20;
static unsigned long rank_ticks;

void
index_configure_cache(size_t bytes)
{
	pthread_mutex_lock(&rank_mu);
	rank_budget = bytes;
	pthread_mutex_unlock(&rank_mu);
}

static void
ranking_unref_locked(struct ranking *r)
{
	if (r && --r->refs == 0) {
		for (size_t i = 0; i < r->nmemo; i++)
			free(r->memo[i].strings);
		free(r->memo);
		free(r->match);
		free(r->hit);
		free(r);
	}
}

static void
ranking_release(struct ranking *r)
{
	pthread_mutex_lock(&rank_mu);
	ranking_unref_locked(r);
	pthread_mutex_unlock(&rank_mu);
}

static void
rank_evict_locked(size_t i)
{
	rank_bytes -= rank_slot[i]->bytes;
	rank_slot[i]->cached = 0;
	ranking_unref_locked(rank_slot[i]);
	rank_slot[i] = NULL;
}

/* A held ranking of `match` at `gen`, or NULL. Rankings of other generations are dropped
 * on the way: the index has moved on. */
static struct ranking *
ranking_lookup(const char *match, const char *gen)
{
	struct ranking *found = NULL;
	pthread_mutex_lock(&rank_mu);
	for (size_t i = 0; i < RANK_CACHE_SLOTS; i++) {
		struct ranking *r = rank_slot[i];
		if (!r)
			continue;
		if (strcmp(r->gen, gen) != 0)
			rank_evict_locked(i);
		else if (!found && strcmp(r->match, match) == 0)
			found = r;
	}
	if (found) {
		found->refs++;
		found->used = ++rank_ticks;
	}
	pthread_mutex_unlock(&rank_mu);
	return found;
}

/* Offer a held ranking to the cache, evicting the least recently used to make room. */
static void
ranking_share(struct ranking *r)
{
	pthread_mutex_lock(&rank_mu);
	while (r->bytes <= rank_budget / 4) {
		size_t free_slot = RANK_CACHE_SLOTS, lru = RANK_CACHE_SLOTS;
		for (size_t i = 0; i < RANK_CACHE_SLOTS; i++) {
			if (!rank_slot[i])
				free_slot = i;
			else if (lru == RANK_CACHE_SLOTS || rank_slot[i]->used < rank_slot[lru]->used)
				lru = i;
		}
		if (free_slot < RANK_CACHE_SLOTS && rank_bytes + r->bytes <= rank_budget) {
			r->refs++;
			r->used = ++rank_ticks;
			r->cached = 1;
			rank_slot[free_slot] = r;
			rank_bytes += r->bytes;
			break;
		}
		if (lru == RANK_CACHE_SLOTS) /* cannot happen: r fits in an empty cache */
			break;
		rank_evict_locked(lru);
	}
	pthread_mutex_unlock(&rank_mu);
}

/* Copy a remembered result of ranking `r` into `h` (strings into the arena): 1, else 0. */
static int
memo_get(struct ranking *r, sqlite3_int64 id, struct search_hit *h, struct arena *a)
{
	int found = 0;
	pthread_mutex_lock(&rank_mu);
	for (size_t i = 0; i < r->nmemo && !found; i++) {
		const struct memo_hit *m = &r->memo[i];
		if (m->id != id)
			continue;
		*h = m->h;
		h->name = arena_strdup(a, m->h.name);
		h->title = arena_strdup(a, m->h.title);
		h->title_html = arena_strdup(a, m->h.title_html);
		h->snippet_html = arena_strdup(a, m->h.snippet_html);
		h->customer = arena_strdup(a, m->h.customer);
		h->updated_author = arena_strdup(a, m->h.updated_author);
		found = 1;
	}
	pthread_mutex_unlock(&rank_mu);
	return found;
}

/* Remember result `h` of ranking `r` (a shared one: others may read it meanwhile). */
static void
memo_put(struct ranking *r, sqlite3_int64 id, const struct search_hit *h)
{
	const char *f[6] = { h->name, h->title, h->title_html, h->snippet_html, h->customer, h->updated_author };
	size_t len[6], total = 0;
	for (int i = 0; i < 6; i++)
		total += (len[i] = strlen(f[i])) + 1;
	pthread_mutex_lock(&rank_mu);
	int known = 0;
	for (size_t i = 0; i < r->nmemo; i++)
		known |= r->memo[i].id == id;
	if (!known && r->nmemo < MEMO_MAX && r->cached) {
		if (!r->memo) {
			r->memo = xcalloc(MEMO_MAX, sizeof(*r->memo));
			total += MEMO_MAX * sizeof(*r->memo);
		}
		struct memo_hit *m = &r->memo[r->nmemo++];
		char *p = m->strings = xmalloc(total);
		const char **to[6] = { &m->h.name, &m->h.title, &m->h.title_html, &m->h.snippet_html,
				       &m->h.customer, &m->h.updated_author };
		m->id = id;
		m->h = *h;
		for (int i = 0; i < 6; i++) {
			memcpy(p, f[i], len[i] + 1);
			*to[i] = p;
			p += len[i] + 1;
		}
		r->bytes += total;
		rank_bytes += total;
	}
	pthread_mutex_unlock(&rank_mu);
}

void
index_global_release(void)
{
	pthread_mutex_lock(&facets_mu);
	struct facets *fc = facets_shared;
	facets_shared = NULL;
	pthread_mutex_unlock(&facets_mu);
	facets_release(fc);
	pthread_mutex_lock(&rank_mu);
	for (size_t i = 0; i < RANK_CACHE_SLOTS; i++)
		if (rank_slot[i])
			rank_evict_locked(i);
	pthread_mutex_unlock(&rank_mu);
}

/* Score every match of `match` (the caller holds a read transaction at generation `gen`,
 * whose facet data is loaded) into a new held ranking. */
static int
ranking_compute(struct index *ix, const char *match, const char *gen, struct ranking **out)
{
	sqlite3_stmt *s = stmt(ix, Q_RANKED_IDS);
	if (!s)
		return KN_EIO;
	struct ranking *r = xcalloc(1, sizeof(*r));
	size_t cap = 0;
	int rc;
	bind_str(s, 1, match);
	ix->rank_work = 0;
	/* ix->facets (index_search) is of this transaction's generation: its lengths are
	 * the ones FTS5 would read. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 256;
			r->hit = xrealloc(r->hit, cap * sizeof(*r->hit));
		}
		r->hit[r->n++] = (struct scored){ sqlite3_column_double(s, 1), sqlite3_column_int64(s, 0) };
		if (rank_over_budget(ix)) {
			/* unless no more rows can match: then it is complete */
			r->partial = (sqlite3_int64)r->n < ix->rank_rows;
			if (r->partial)
				log_warn("search: \"%.80s\" stopped at its work budget after %zu matches", match, r->n);
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(r->hit);
		free(r);
		return sql_fail(ix, rc, "search");
	}
	r->match = xstrdup(match);
	snprintf(r->gen, sizeof(r->gen), "%s", gen);
	r->bytes = sizeof(*r) + cap * sizeof(*r->hit) + strlen(match) + 1;
	r->refs = 1;
	*out = r;
	return 0;
}

/* The ranking of `match` at `gen`, held (ranking_release it). FTS5 ignores case, so
 * "Gateway" and "gateway" share one (ASCII letters: enough for the common case). */
static int
ranking_get(struct index *ix, const char *match, const char *gen, struct ranking **out)
{
	char *key = xstrdup(match);
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
	int rc = 0;
	if (!(*out = ranking_lookup(key, gen)) && (rc = ranking_compute(ix, match, gen, out)) == 0) {
		free((*out)->match);
		(*out)->match = key;
		key = NULL;
		ranking_share(*out);
	}
	free(key);
	return rc;
}

static void
swap_scored(struct scored *a, struct scored *b)
{
	struct scored t = *a;
	*a = *b;
	*b = t;
}

/* Reorder v so that its k best (lowest score, then lowest id: all distinct) come first,
 * in order. A quickselect, then a sort of those k: for the first results page of 10,000
 * matches about a tenth of the cost of sorting them all. */
static void
select_best(struct scored *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	if (k > n)
		k = n;
	while (k > lo && k < hi && hi - lo > 1) {
		/* median of three to v[hi - 1], Lomuto partition around it */
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_scored(&v[mid], &v[lo]) < 0)
			swap_scored(&v[mid], &v[lo]);
		if (cmp_scored(&v[hi - 1], &v[lo]) < 0)
			swap_scored(&v[hi - 1], &v[lo]);
		if (cmp_scored(&v[mid], &v[hi - 1]) < 0)
			swap_scored(&v[mid], &v[hi - 1]);
		size_t store = lo;
		for (size_t i = lo; i < hi - 1; i++)
			if (cmp_scored(&v[i], &v[hi - 1]) < 0)
				swap_scored(&v[i], &v[store++]);
		swap_scored(&v[store], &v[hi - 1]);
		/* [lo, store) < v[store] < (store, hi) */
		if (k <= store)
			hi = store;
		else
			lo = store + 1;
	}
	qsort(v, k, sizeof(*v), cmp_scored);
}

/* One search's filters as value indexes, and its counts per value. */
struct tally {
	struct facets *fc;
	uint32_t want[SF_KINDS][SEARCH_MAX_FILTERS];
	size_t nwant[SF_KINDS];
	unsigned *count[SF_KINDS];
	size_t total;
	size_t first;                         /* matches before the page shown */
	sqlite3_int64 shown[SEARCH_PAGE_SIZE]; /* ids on the page shown, in rank order */
	size_t nshown;
	struct ranking *rank; /* held */
};

static int
has_value(const struct facets *fc, const struct fpage *p, int k, uint32_t v)
{
	for (uint32_t i = 0; i < p->count[k]; i++)
		if (fc->vals[k][p->first[k] + i] == v)
			return 1;
	return 0;
}

/* Count page `p` if it passes the filters (1), else 0. */
static int
tally_page(struct tally *t, const struct fpage *p)
{
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < t->nwant[k]; i++)
			if (!has_value(t->fc, p, k, t->want[k][i]))
				return 0;
	t->total++;
	for (int k = 0; k < SF_KINDS; k++)
		for (uint32_t i = 0; i < p->count[k]; i++)
			t->count[k][t->fc->vals[k][p->first[k] + i]]++;
	return 1;
}

struct ranked {
	const char *value;
	unsigned count;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	int c = strcasecmp(x->value, y->value);
	return c ? c : strcmp(x->value, y->value);
}

/* The most frequent values of each kind into res (strings copied into the arena): a
 * bounded insertion, as there may be a distinct customer per match. */
static void
top_facets(struct search_result *res, struct tally *t, struct arena *a)
{
	for (int k = 0; k < SF_KINDS; k++) {
		struct vocab *vo = &t->fc->vocab[k];
		struct ranked top[SEARCH_FACETS + 1];
		size_t n = 0;
		for (size_t i = 0; i < vo->n; i++) {
			struct ranked r = { vo->v[i], t->count[k][i] };
			if (!r.count || (n == SEARCH_FACETS && cmp_ranked(&r, &top[n - 1]) >= 0))
				continue;
			size_t at = n < SEARCH_FACETS ? n++ : n - 1;
			while (at > 0 && cmp_ranked(&r, &top[at - 1]) < 0) {
				top[at] = top[at - 1];
				at--;
			}
			top[at] = r;
		}
		res->facets[k] = arena_alloc(a, (n + 1) * sizeof(struct search_facet));
		for (size_t i = 0; i < n; i++)
			res->facets[k][i] = (struct search_facet){ arena_strdup(a, top[i].value), top[i].count };
		res->nfacets[k] = n;
	}
}

/* Count the matches of `q` and their values, and note the ids of the page shown (for a
 * ranked search); 0 with t->total = 0 when a filter names a value no page has. */
static int
count_matches(struct index *ix, struct tally *t, const struct search_query *q)
{
	for (int k = 0; k < SF_KINDS; k++) {
		for (size_t i = 0; i < q->nfilters[k]; i++) {
			uint32_t v = vocab_find(&t->fc->vocab[k], q->filters[k][i], 0);
			if (v == UINT32_MAX)
				return 0;
			t->want[k][t->nwant[k]++] = v;
		}
		t->count[k] = xcalloc(t->fc->vocab[k].n + 1, sizeof(unsigned));
	}
	if (!q->match) {
		for (size_t i = 0; i < t->fc->npage; i++)
			tally_page(t, &t->fc->page[i]);
		return 0;
	}
	/* The matches that pass the filters are counted and copied; the page shown is picked
	 * from the copy. Hidden pages have no fpage: skipped. */
	int rc = ranking_get(ix, q->match, t->fc->gen, &t->rank);
	if (rc < 0)
		return rc;
	const struct ranking *r = t->rank;
	struct scored *pass = xmalloc((r->n ? r->n : 1) * sizeof(*pass));
	size_t npass = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct fpage *p = fpage_find(t->fc, r->hit[i].id);
		if (p && tally_page(t, p))
			pass[npass++] = r->hit[i];
	}
	if (t->first < npass) {
		size_t want = t->first + SEARCH_PAGE_SIZE;
		select_best(pass, npass, want);
		for (size_t i = t->first; i < want && i < npass; i++)
			t->shown[t->nshown++] = pass[i].id;
	}
	free(pass);
	return 0;
}

static const char *
col_text(struct arena *a, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	return arena_strdup(a, t ? t : "");
}

static const char *
marked_html(struct arena *a, sqlite3_stmt *s, int col)
{
	struct buf b = BUF_INIT;
	const char *t = (const char *)sqlite3_column_text(s, col);
	search_marks_to_html(&b, t ? t : "");
	const char *out = arena_strndup(a, buf_cstr(&b), b.len);
	buf_free(&b);
	return out;
}

static void
read_hit(struct search_hit *h, sqlite3_stmt *s, struct arena *a)
{
	h->name = col_text(a, s, 0);
	h->title = col_text(a, s, 1);
	h->title_html = sqlite3_column_type(s, 2) == SQLITE_NULL ? marked_html(a, s, 1) : marked_html(a, s, 2);
	h->snippet_html = marked_html(a, s, 3);
	h->customer = col_text(a, s, 4);
	h->updated_author = col_text(a, s, 5);
	h->updated_time = sqlite3_column_int64(s, 6);
	h->updated_offset = sqlite3_column_int(s, 7);
}

/* A column marked by `mark` (hl_highlight or a snippet of 28 tokens) as HTML. */
static const char *
marked_column(struct arena *a, sqlite3_stmt *s, int col, struct hl_tokenizer *hl, const struct hl_query *hq,
	      int snippet)
{
	struct buf m = BUF_INIT, h = BUF_INIT;
	const char *text = (const char *)sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	int rc = !text ? KN_EINVAL
		 : snippet ? hl_snippet(&m, hl, hq, text, n, SNIPPET_TOKENS, "…")
			   : hl_highlight(&m, hl, hq, text, n);
	if (rc < 0) { /* cannot tokenize: the text as it is */
		buf_reset(&m);
		if (snippet && n > SNIPPET_FALLBACK) /* cut on a character boundary */
			for (n = SNIPPET_FALLBACK; n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80; n--)
				;
		if (text)
			buf_put(&m, text, n);
	}
	search_marks_to_html(&h, buf_cstr(&m));
	const char *out = arena_strndup(a, buf_cstr(&h), h.len);
	buf_free(&m);
	buf_free(&h);
	return out;
}

static void
read_ranked_hit(struct search_hit *h, sqlite3_stmt *s, struct hl_tokenizer *hl, const struct hl_query *hq,
		struct arena *a)
{
	h->name = col_text(a, s, 0);
	h->title = col_text(a, s, 1);
	h->title_html = marked_column(a, s, sqlite3_column_type(s, 2) == SQLITE_NULL ? 1 : 2, hl, hq, 0);
	h->snippet_html = marked_column(a, s, 3, hl, hq, 1);
	h->customer = col_text(a, s, 4);
	h->updated_author = col_text(a, s, 5);
	h->updated_time = sqlite3_column_int64(s, 6);
	h->updated_offset = sqlite3_column_int(s, 7);
}

/* The ranked results shown: their rows, snippets and highlighted titles. */
static int
fetch_ranked(struct search_result *res, struct index *ix, const struct search_query *q, const struct tally *t,
	     struct arena *a)
{
	struct hl_query *hq = NULL;
	res->hits = arena_alloc(a, SEARCH_PAGE_SIZE * sizeof(struct search_hit));
	for (size_t i = 0; i < t->nshown; i++) {
		if (memo_get(t->rank, t->shown[i], &res->hits[res->nhits], a)) {
			res->nhits++;
			continue;
		}
		sqlite3_stmt *s = stmt(ix, Q_HIT);
		if (!s) {
			hl_query_free(hq);
			return KN_EIO;
		}
		if (!hq)
			hq = hl_query_new(ix->hl, q->match);
		sqlite3_bind_int64(s, 1, t->shown[i]);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			read_ranked_hit(&res->hits[res->nhits], s, ix->hl, hq, a);
			memo_put(t->rank, t->shown[i], &res->hits[res->nhits++]);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			hl_query_free(hq);
			return sql_fail(ix, rc, "search results");
		}
	}
	hl_query_free(hq);
	return 0;
}

/* The results of a query of filters only, by title. */
static int
fetch_listed(struct search_result *res, struct index *ix, const struct search_query *q, struct arena *a)
{
	/* IN lists: SQLite starts from the tag's index, and looks a page's text up only for
	 * the rows it returns. */
	static const char *const cond[SF_KINDS][2] = {
		{ " AND p.customer = ?", " COLLATE NOCASE" },
		{ " AND p.path IN (SELECT path FROM tags WHERE tag = ?", " COLLATE NOCASE)" },
		{ " AND p.path IN (SELECT path FROM departments WHERE dept = ?", " COLLATE NOCASE)" },
	};
	struct buf sql = BUF_INIT;
	sqlite3_stmt *s = NULL;
	int col = 3, rc;
	buf_puts(&sql, "SELECT p.name, p.title, NULL, (SELECT substr(f.body, 1, 200) ||"
		       " CASE WHEN length(f.body) > 200 THEN '…' ELSE '' END FROM fts f WHERE f.rowid = p.id),"
		       " p.customer, p.updated_author, p.updated_time, p.updated_offset"
		       " FROM pages p WHERE p.hidden = 0");
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < q->nfilters[k]; i++)
			buf_printf(&sql, "%s%d%s", cond[k][0], col++, cond[k][1]);
	buf_puts(&sql, " ORDER BY p.title COLLATE NOCASE, p.path LIMIT ?1 OFFSET ?2");
	rc = sqlite3_prepare_v2(ix->db, sql.ptr, -1, &s, NULL);
	buf_free(&sql);
	if (rc != SQLITE_OK)
		return sql_fail(ix, rc, "prepare search");
	sqlite3_bind_int(s, 1, SEARCH_PAGE_SIZE);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(q->page ? q->page - 1 : 0) * SEARCH_PAGE_SIZE);
	col = 3;
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < q->nfilters[k]; i++)
			bind_str(s, col++, q->filters[k][i]);
	res->hits = arena_alloc(a, SEARCH_PAGE_SIZE * sizeof(struct search_hit));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && res->nhits < SEARCH_PAGE_SIZE)
		read_hit(&res->hits[res->nhits++], s, a);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_fail(ix, rc, "search results");
}

int
index_search(struct search_result *res, struct index *ix, const struct search_query *q, struct arena *a)
{
	struct tally t = { 0 };
	int rc;
	memset(res, 0, sizeof(*res));
	t.first = (size_t)(q->page ? q->page - 1 : 0) * SEARCH_PAGE_SIZE;
	if (!q->match && !q->nfilters[SF_CUSTOMER] && !q->nfilters[SF_TAG] && !q->nfilters[SF_DEPT])
		return 0;
	/* One read transaction: counts, facets and the page all see the same index. Scoring
	 * all matches is what costs (kennis_rank for each); the scores are shared by all
	 * threads (ranking_get), and filters, counts, facets and the page shown are worked out
	 * in C from them, so paging, facet links and a repeated search do not score again. */
	if ((rc = exec(ix, "BEGIN")) < 0)
		return rc;
	if ((rc = facets_current(ix, &t.fc)) == 0) {
		ix->facets = t.fc; /* for kennis_rank's row lengths */
		rc = count_matches(ix, &t, q);
	}
	res->total = t.total;
	res->partial = t.rank && t.rank->partial;
	if (rc == 0 && t.total > 0)
		top_facets(res, &t, a);
	if (rc == 0 && t.first < t.total)
		rc = q->match ? fetch_ranked(res, ix, q, &t, a) : fetch_listed(res, ix, q, a);
	for (int k = 0; k < SF_KINDS; k++)
		free(t.count[k]);
	if (t.rank)
		ranking_release(t.rank);
	ix->facets = NULL;
	facets_release(t.fc);
	rollback(ix); /* nothing was written */
	return rc;
}
