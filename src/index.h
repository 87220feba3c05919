/* index.h: the derived SQLite index of main (pages, front matter, links, full text) and search. */
#ifndef KENNIS_INDEX_H
#define KENNIS_INDEX_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "kennis.h"
#include "req.h"
#include "store.h"

#define INDEX_FILE "index.db" /* in the data directory: derived, may be deleted; accounts live in kennis.db */

#define SEARCH_PAGE_SIZE   20
#define SEARCH_MAX_QUERY   1024 /* bytes of the query text that are read; the rest is ignored */
#define SEARCH_MAX_TERMS   32   /* words and phrases */
#define SEARCH_MAX_WORDS   64   /* words in all terms together (a phrase counts its words) */
#define SEARCH_MAX_PREFIX  8    /* prefix terms (foo*); later ones are searched as words */
#define SEARCH_MAX_FILTERS 8    /* per kind (customer, tag, dept) */
#define SEARCH_MAX_PAGE    500  /* deepest results page served */
#define SEARCH_FACETS      12   /* values shown per facet */

/* One SQLite connection to DATA/index.db (WAL); never shared between threads. */
struct index;

/* Open (creating if needed) the index database at `db_path` and make sure it holds the
 * current schema (another version: the derived tables are dropped and made anew). A file
 * that is not a database, or is corrupt, is copied aside (PATH.damaged-TIME) and reset
 * (logged). Caller frees with index_close. Returns 0 or KN_EIO. */
int index_open(struct index **out, const char *db_path);
void index_close(struct index *ix);
/* Free what searches keep across threads (at exit, for leak checkers). */
void index_global_release(void);
/* Memory for search results shared by all threads (default 32 MiB; 0: none kept). */
void index_configure_cache(size_t bytes);

/* This worker thread's index connection to cfg->data_dir/index.db, opened on first use and
 * closed when the thread exits; NULL when it cannot be opened (logged). */
struct index *index_for_thread(const struct config *cfg);

/* Bring the index up to main: when main differs from the last indexed commit, apply the
 * tree diff (renames detected) last..main in one transaction and record main. Costs one
 * ref read and one SQL read when nothing changed; a first run indexes everything. A corrupt
 * database found on the way is reset and reindexed. Returns 0, KN_EGIT or KN_EIO. */
int index_catch_up(struct index *ix, struct store *st);

/* Was page file `path` ("Notes/Old.md") deleted, and is it not there now? 0 with `where`
 * a commit at or after its last deletion (walking back from there finds its last version
 * in a few steps: manage_last_version); KN_ENOTFOUND: never deleted within the history the
 * index knows (20,000 commits before its first run, everything since); KN_EIO. The index
 * should be caught up first. */
int index_gone(struct index *ix, const char *path, git_oid *where);

/* The SQLite connection behind `ix`, for read-only views of the derived tables (pages, tags,
 * departments, links); it stays owned by `ix`. */
sqlite3 *index_sqlite(struct index *ix);

/* Throw every derived row away and index main from scratch, in one transaction (readers
 * see the old index until it commits). Returns 0, KN_EGIT or KN_EIO. */
int index_rebuild(struct index *ix, struct store *st);

/* Verify that the index matches main (the same pages with the same blob ids, last indexed
 * commit = main, SQLite and FTS integrity) and that the repository is sound (every commit
 * of main's history, its tree, and every blob of main's tree readable and hash-checked).
 * Each problem is one line on `report`. Returns 0 when all is well, 1 when not, or a
 * negative KN_ code when the check itself could not run. */
int index_check(struct index *ix, struct store *st, FILE *report);

/* Open DATA/index.db, check it (SQLite quick_check: on damage the derived tables are
 * rebuilt, or the file is reset when that is not enough) and catch up with main; for
 * `kennis serve` before it starts serving. Returns 0 or a KN_ code. */
int index_startup(const char *data_dir, const char *git_dir);
/* Open DATA/index.db and catch up with main, without the check (for the post-receive
 * hook: the pusher waits for the indexing of a push, not the next reader). */
int index_update(const char *data_dir, const char *git_dir);

/* The commands `kennis reindex --data DIR` and `kennis check --data DIR`: exit statuses
 * (0 fine; check: 1 when the index or the repository is not sound; 1 when the command
 * failed). Messages go to stdout (check's findings) and stderr (failures). */
int index_cmd_reindex(const char *data_dir);
int index_cmd_check(const char *data_dir);

/* --- search ---------------------------------------------------------------------------- */

enum search_filter { SF_CUSTOMER, SF_TAG, SF_DEPT, SF_KINDS };

/* A parsed query. `match` is an FTS5 expression built by search_parse from quoted terms
 * only, so no user input can make it a syntax error; NULL when there are no terms. */
struct search_query {
	const char *match;
	const char *text;    /* the query text as read: cut, control bytes and bad UTF-8 dropped */
	const char *filters[SF_KINDS][SEARCH_MAX_FILTERS];
	size_t nfilters[SF_KINDS];
	size_t nterms;
	size_t nwords;   /* words in the terms, counted from above (SEARCH_MAX_WORDS) */
	size_t nprefix;  /* prefix terms (SEARCH_MAX_PREFIX) */
	unsigned page;   /* 1-based */
	int truncated;   /* words, prefixes, filters or bytes over the limits were ignored */
};

/* Parse `text` (the search box: words, "phrases", prefix*, customer:X tag:X dept:X, values
 * may be quoted) into `q`; strings live in arena `a`. FTS operators (AND OR NOT NEAR, ^,
 * parentheses, column filters) lose their meaning; control bytes and invalid UTF-8 are
 * dropped. A repeated term is searched once; terms beyond the limits above are dropped
 * (prefixes: searched as words) and `truncated` set. Never fails. `q->page` is set to 1. */
void search_parse(struct search_query *q, struct arena *a, const char *text);
/* Add a filter (from a query parameter); ignored when empty or over the limit. */
void search_add_filter(struct search_query *q, struct arena *a, enum search_filter kind, const char *value);
/* "customer", "tag", "dept" */
const char *search_filter_name(enum search_filter kind);

struct search_hit {
	const char *name;        /* page name, "Customers/Acme-Corp" */
	const char *title;       /* plain text */
	const char *title_html;  /* escaped, matches in <mark> */
	const char *snippet_html;/* escaped, matches in <mark>, "…" where text was cut */
	const char *customer;    /* "" when none */
	const char *updated_author;
	int64_t updated_time;    /* seconds since the epoch; 0 unknown */
	int updated_offset;      /* minutes east of UTC */
};

struct search_facet {
	const char *value;
	unsigned count;
};

struct search_result {
	size_t total;            /* matching pages */
	struct search_hit *hits; /* this page of them (at most SEARCH_PAGE_SIZE) */
	size_t nhits;
	struct search_facet *facets[SF_KINDS]; /* most frequent values among all matches */
	size_t nfacets[SF_KINDS];
	int partial; /* the ranking stopped at its work budget: total, facets and the pages
		      * shown are of the matches scored until then */
};

/* Run `q` against the index: matches ranked by bm25 (title weighted 10, body 1), or by
 * title when the query has only filters; the ranking of the last few MATCH expressions is
 * remembered per connection, so other pages and filters of a search are cheap. Pages with
 * a part starting with '_' (frames such as _Sidebar, templates in _Templates/) are indexed
 * but never found. Result memory lives in arena `a`. A query with neither terms nor
 * filters gives no results. Returns 0 or KN_EIO. */
int index_search(struct search_result *res, struct index *ix, const struct search_query *q, struct arena *a);

/* Append `s` HTML-escaped, with \x01 ... \x02 (the marks of snippet() and highlight())
 * turned into <mark> ... </mark>; unbalanced marks are closed. */
void search_marks_to_html(struct buf *out, const char *s);


/* SQL for the customer a page (table alias p) is about: front matter `customer:`, else the
 * folder under Customers/ with '-' as ' '. The one definition for every customer view. */
#define CUSTOMER_SQL \
	"CASE WHEN p.customer <> '' THEN p.customer " \
	"WHEN p.path LIKE 'Customers/%/%' THEN replace(substr(p.path, 11, instr(substr(p.path, 11), '/') - 1), '-', ' ') " \
	"ELSE '' END"

#endif
