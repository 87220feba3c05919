/* index_db.h: private to the index wing (index*.c, search.c): the connection behind a
 * struct index and the SQL helpers they share. Nothing outside the wing includes this. */
#ifndef KENNIS_INDEX_DB_H
#define KENNIS_INDEX_DB_H

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "index.h"

#define INDEX_STMTS 64 /* statements one connection keeps prepared, at most */

/* One prepared statement, keyed by the address of its SQL text (a static array). */
struct index_stmt {
	const char *sql;
	sqlite3_stmt *st;
};

#define INDEX_TSTMTS 32 /* statements built at run time (a scope's spaces in the text) kept */

/* One prepared statement keyed by its text (owned), for SQL built per request. */
struct index_tstmt {
	char *sql;
	sqlite3_stmt *st;
	unsigned long used; /* when last handed out (the least recent gives way) */
};

struct index {
	sqlite3 *db;
	char *path;
	int corrupt; /* SQLite reported a damaged file: reset at the next catch-up */
	struct index_stmt stmts[INDEX_STMTS];
	size_t nstmts;
	struct index_tstmt tstmts[INDEX_TSTMTS];
	size_t ntstmts;
	unsigned long tclock; /* handouts so far */
	/* The space a catch-up works in (spaces.id), and the names of all spaces the index
	 * knows (NULL-terminated; links into them are told from page names), both set for
	 * the time of one catch-up. */
	sqlite3_int64 space;
	char space_label[40];
	char **space_names;
	/* search.c's state for this connection (its rank function's data, the tokenizer for
	 * snippets): made by search.c on first use and freed by SQLite with the connection
	 * (the rank function's destructor). The index only forgets it when it closes. */
	void *search;
	/* The server's indexer owns this connection (index_set_progress): long jobs report
	 * here, a first index commits in batches (`batching` while it does). */
	struct index_progress *progress;
	int first;    /* the catch-up under way is a first index (from nothing) */
	int batching; /* and it commits in batches */
};

/* --- SQL plumbing (index_db.c) ---------------------------------------------------------- */

/* Log a failed SQLite call `what` and remember corruption (the next catch-up repairs).
 * Always returns KN_EIO. */
int index_sql_fail(struct index *ix, int rc, const char *what);
/* Run `sql` (no rows, no parameters): 0 or KN_EIO (logged). */
int index_exec(struct index *ix, const char *sql);
/* The statement for `sql`, a static array whose address is the key, prepared once per
 * connection and handed out reset and unbound; NULL when it cannot be prepared (logged).
 * It stays the connection's: never finalize it. */
sqlite3_stmt *index_stmt(struct index *ix, const char *sql);
/* The statement for SQL text `sql` built at run time (e.g. with a scope's space names),
 * kept prepared per connection, keyed by the text (at most INDEX_TSTMTS; the least recently
 * used one that is not running gives way, so two handed out together both stay), handed
 * out reset and unbound; NULL when it cannot be prepared (logged). Never finalize it: reset
 * it when done (index_views.c's finish). Preparing the page history's query was 40% of a
 * /history request (callgrind, docs/scale.md). */
sqlite3_stmt *index_stmt_text(struct index *ix, const char *sql);
/* Step statement `s` (bound by the caller; NULL: it could not be had) to its end and reset
 * it: 0 or KN_EIO. */
int index_run(struct index *ix, sqlite3_stmt *s);
/* One integer from `sql` into *out: 0 or KN_EIO. */
int index_sql_int(struct index *ix, const char *sql, sqlite3_int64 *out);
/* End the transaction without writing (after an error, or a read transaction). */
void index_rollback(struct index *ix);

static inline void
index_bind_text(sqlite3_stmt *s, int col, const char *text, size_t n)
{
	if (s)
		sqlite3_bind_text(s, col, text, (int)n, SQLITE_TRANSIENT);
}

/* Bind `text` (NULL binds "") to column `col` of `s` (NULL: nothing). */
static inline void
index_bind_str(sqlite3_stmt *s, int col, const char *text)
{
	index_bind_text(s, col, text ? text : "", text ? strlen(text) : 0);
}

/* Value of index_meta `key` appended to `out`: 0, KN_ENOTFOUND, or KN_EIO. */
int index_meta_get(struct index *ix, const char *key, struct buf *out);
/* Set index_meta `key` to `value`: 0 or KN_EIO. */
int index_meta_set(struct index *ix, const char *key, const char *value);

/* Inside the caller's write transaction: drop the derived tables and create them anew,
 * empty, at the current schema version. 0 or KN_EIO. */
int index_reset_tables(struct index *ix);
/* SQLite found damage: drop and recreate the derived tables (the rest of the file stays);
 * when the file is still not sound, reset it. 0 or a KN_ code. */
int index_recover(struct index *ix);
/* Is the file sound by `pragma` ("PRAGMA quick_check" or "PRAGMA integrity_check")?
 * Problems are reported one line each to `report` when given. 1 sound, 0 not. */
int index_sound(struct index *ix, const char *pragma, FILE *report);

/* The id of space `name` in spaces (made when `create`): 0, KN_ENOTFOUND or KN_EIO. */
int index_space_id(struct index *ix, const char *name, int create, sqlite3_int64 *id);

/* --- scopes (index_views.c): the one place a viewer's scope becomes a filter ------------- */

/* Does scope `sc` read nothing (no spaces, or NULL)? */
int index_scope_none(const struct index_scope *sc);
/* Append the condition (" AND ...") that keeps only the pages (table alias p) that scope
 * `sc` may see. */
void index_scope_sql(struct buf *sql, const struct index_scope *sc);

/* Milliseconds since `t0` (CLOCK_MONOTONIC), for the log. */
double index_ms_since(const struct timespec *t0);

/* --- catching up (index.c), for the check ------------------------------------------------ */

/* Main's commit into `out`; *have = 0 for an empty wiki. 0 or KN_EGIT. */
int index_main_commit(git_oid *out, int *have, struct store *st);
/* The last indexed commit of space `space` appended to `out`: hex, "" never indexed, "-"
 * indexed while its main was no commit. */
int index_last_indexed(struct index *ix, const char *space, struct buf *out);
/* Is `path` a page's file (a page name + ".md": pagename_from_path)? */
int index_is_page(const char *path);
/* Is git file mode `mode` a regular file (a symlink or a submodule is no page)? */
int index_is_file_mode(uint16_t mode);

/* --- history (index_history.c) ----------------------------------------------------------- */

/* One page file that changed between two trees. */
struct index_pchange {
	char *path, *other; /* 'R': the name before, 'X': the name after; else "" */
	char kind;          /* 'A', 'M', 'D', 'R' (here from `other`), 'X' (away to `other`) */
	unsigned hits;      /* merges: the parents it differs from */
	git_oid id;         /* 'A', 'M', 'R': its blob */
};

struct index_pchanges {
	struct index_pchange *v;
	size_t n, cap;
};

/* The page files that differ between trees `old` (NULL: none) and `new`, appended to
 * `cs`; with `renames`, a page that went while another came is checked for a rename
 * (git's rename detection). 0 or KN_EGIT. */
int index_tree_changes(struct index_pchanges *cs, git_repository *repo, git_tree *old, git_tree *new, int renames);
void index_pchanges_free(struct index_pchanges *cs);

/* Inside the caller's write transaction: record in space `space` (spaces.id) the commits of `to` that
 * `from` (NULL: none) lacks, parents first, and the page files each changed. *ncommits
 * gets their number. 0, KN_EGIT or KN_EIO. */
int index_history_add(struct index *ix, struct store *st, sqlite3_int64 space, const git_oid *from, const git_oid *to,
		      size_t *ncommits);
/* Give pages `paths` (or, with `all`, every page) their newest change from the history. */
int index_history_updated(struct index *ix, sqlite3_int64 space, const char *const *paths, size_t n, int all);

#endif
