/* index.h: the derived SQLite index of main (pages, front matter, links, full text): keeping it
 * up, checking it, and the views built on it. Searching it is search.h's. */
#ifndef KENNIS_INDEX_H
#define KENNIS_INDEX_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "kennis.h"
#include "store.h"

#define INDEX_FILE "index.db" /* in the data directory: derived, may be deleted; accounts live in kennis.db */

/* One SQLite connection to DATA/index.db (WAL); never shared between threads. */
struct index;

/* Open (creating if needed) the index database at `db_path` and make sure it holds the
 * current schema (another version: the derived tables are dropped and made anew). A file
 * that is not a database, or is corrupt, is copied aside (PATH.damaged-TIME) and reset
 * (logged). Caller frees with index_close. Returns 0 or KN_EIO. */
int index_open(struct index **out, const char *db_path);
void index_close(struct index *ix);

/* This worker thread's index connection to cfg->data_dir/index.db, opened on first use and
 * closed when the thread exits; NULL when it cannot be opened (logged). */
struct index *index_for_thread(const struct config *cfg);

/* A space and its repository, for the functions that index several. */
struct index_repo {
	const char *name;   /* "wiki", "finance" */
	const char *gitdir; /* DATA/wiki.git, DATA/spaces/finance.git */
};

/* Bring space `space` (its repository `st`) up to its main: when main differs from the
 * last indexed commit, apply the tree diff (renames detected) last..main in one
 * transaction and record main. Costs one ref read and one SQL read when nothing changed; a
 * first run indexes everything. A corrupt database found on the way is reset and
 * reindexed. Returns 0, KN_EGIT or KN_EIO. */
int index_catch_up(struct index *ix, const char *space, struct store *st);
/* Remove every row of space `space` (deleted from the registry). 0 or KN_EIO. */
int index_drop_space(struct index *ix, const char *space);

/* Was page file `path` ("Notes/Old.md") deleted, and is it not there now? 0 with `where`
 * a commit at or after its last deletion (walking back from there finds its last version
 * in a few steps: manage_last_version); KN_ENOTFOUND: never deleted within the history the
 * index knows (20,000 commits before its first run, everything since); KN_EIO. The index
 * should be caught up first. */
int index_gone(struct index *ix, const char *space, const char *path, git_oid *where);

/* Throw every derived row of space `space` away and index its main from scratch, in one
 * transaction (readers see the old index until it commits). 0, KN_EGIT or KN_EIO. */
int index_rebuild(struct index *ix, const char *space, struct store *st);

/* Verify that the index matches main of space `space` (the same pages with the same blob
 * ids, last indexed commit = main) and that its repository is sound (every commit
 * of main's history, its tree, and every blob of main's tree readable and hash-checked).
 * Each problem is one line on `report`. Returns 0 when all is well, 1 when not, or a
 * negative KN_ code when the check itself could not run. */
int index_check(struct index *ix, const char *space, struct store *st, FILE *report);

/* Open DATA/index.db and check it (SQLite quick_check: on damage the derived tables are
 * rebuilt, or the file is reset when that is not enough). Caller closes. 0 or a KN_ code. */
int index_open_checked(struct index **out, const char *data_dir);
/* index_open_checked, drop the rows of spaces not in `spaces`, catch every space of
 * `spaces` up with its main, close (what `kennis reindex` and tests do; the server's
 * indexer does the same in its thread). 0 or a KN_ code. */
int index_startup(const char *data_dir, const struct index_repo *spaces, size_t n);
/* Open DATA/index.db and catch space `space` (repository `git_dir`) up, without the check
 * (for the post-receive hook: the pusher waits for the indexing of a push, not the next
 * reader; while the server builds a first index of that space, the hook leaves the work
 * to the server). */
int index_update(const char *data_dir, const char *space, const char *git_dir);
/* Catch every space of `spaces` up (each repository opened for it); the first error is
 * returned, the others are logged. */
int index_catch_up_all(struct index *ix, const struct index_repo *spaces, size_t n);
/* Remove the rows of the spaces the index knows that are not in `spaces` (deleted while
 * no server ran). */
void index_drop_unlisted(struct index *ix, const struct index_repo *spaces, size_t n);

/* --- the server's indexer (indexer.c) ---------------------------------------------------
 * One thread of `kennis serve` keeps the index caught up with main: the server listens at
 * once, whatever the index needs (a first index of 100,000 pages: minutes), and requests
 * never run a long catch-up themselves. A first index commits in batches, so search and
 * the views answer from it as far as it goes. */

/* How far a long job of the indexer is (a first index, or a catch-up of many pages). */
struct index_progress {
	atomic_int busy;           /* a long job runs: requests do not wait for it */
	atomic_int building;       /* it is a first index: history is not complete yet */
	atomic_size_t done, total; /* pages written, pages to write */
	atomic_size_t commits;     /* commits of history recorded */
	atomic_int stop;           /* the server stops: end the job at the next page */
};

/* Start the indexer thread (after the server listens). 0 or KN_EIO. */
int indexer_start(const struct config *cfg);
/* Stop it: a long job is interrupted (what it committed stays; the next start redoes a
 * first index), and the thread is joined. */
void indexer_stop(void);
/* Is the indexer thread running (in `kennis serve`)? */
int indexer_running(void);
/* Bring space `space` (repository `st`) of the index up to its main for a request: at
 * once when it is there; else ask the indexer (it catches up every space) and wait for
 * it, at most `max_ms`, or not at all while it runs a long job (then the index answers as
 * far as it goes). 0, or KN_EBUSY when it did not get there. */
int indexer_wait(struct index *ix, const char *space, struct store *st, int max_ms);
/* Ask the indexer to catch up, without waiting for it. */
void indexer_nudge(void);
/* A snapshot of the indexer's progress; returns 1 while a long job runs. */
int indexer_progress(size_t *done, size_t *total, size_t *commits, int *building);

/* Has space `space` of the index caught up with its main (1), or not (0)? KN_ codes on
 * errors. */
int index_current(struct index *ix, const char *space, struct store *st);
/* Is space `space` of the index current, or behind its main by one commit that changed
 * page file `path` alone (a save of that page: the page's backlinks, other pages' links,
 * are the same)? 1 yes, 0 no (or it cannot tell). */
int index_behind_only_by(struct index *ix, const char *space, struct store *st, const char *path);
/* The index's generation (a new one with every change it commits, any space) appended to
 * `out`. 0 or KN_EIO. */
int index_generation(struct index *ix, struct buf *out);
/* Let connection `ix` report its long jobs into `p` and commit a first index in batches
 * (the server's indexer only). */
void index_set_progress(struct index *ix, struct index_progress *p);

/* The commands `kennis reindex --data DIR` and `kennis check --data DIR`: exit statuses
 * (0 fine; check: 1 when the index or the repository is not sound; 1 when the command
 * failed). Messages go to stdout (check's findings) and stderr (failures). */
int index_cmd_reindex(const char *data_dir, const struct index_repo *spaces, size_t n);
int index_cmd_check(const char *data_dir, const struct index_repo *spaces, size_t n);

/* --- views: typed queries -----------------------------------------------------------------
 * What the pages of the wiki (and tomorrow the API) read from the index; no SQL outside
 * the index wing. Results live in the caller's arena `a`. The index should be caught up
 * first (ui_index does that once per request). Each returns 0, KN_EINVAL (a key out of
 * range) or KN_EIO. */

/* What one viewer may see of the index: the spaces it may read (reqspace.c decides, by
 * space_may_read). Every view (and search) takes one, and one function turns it into SQL
 * (index_scope_sql, index_views.c). No spaces (or a NULL scope): nothing at all. */
struct index_scope {
	const char *const *spaces; /* names */
	size_t n;
};

/* The front-matter values pages are grouped and filtered by. A page's customer is its
 * front matter's `customer:`, else the folder under Customers/ (with '-' as ' '). Values
 * compare without ASCII case. */
enum index_key { INDEX_CUSTOMER, INDEX_TAG, INDEX_DEPT, INDEX_KEYS };

/* Pages sharing one value. */
struct index_group {
	const char *value;  /* one spelling of it */
	unsigned pages;     /* pages with it (frames and templates not counted) */
	int64_t newest;     /* the newest change to one of them, seconds since the epoch */
};

struct index_groups {
	struct index_group *v;
	size_t n;
};

/* Every customer (tag, department) and its pages, by value, without case, each shown in
 * one spelling: the customer's own page's (a page whose title is the customer, or
 * Customers/<name>.md), else the one most of its pages use, else the first by bytes. */
int index_groups(struct index_groups *out, struct index *ix, const struct index_scope *sc, enum index_key key,
		 struct arena *a);

/* The spelling index_groups shows for `value` of `key` (any case); `value` itself when no
 * page has it (or on an error, logged). In the arena. */
const char *index_spelling(struct index *ix, const struct index_scope *sc, enum index_key key, const char *value,
			   struct arena *a);

/* A page as the lists show it. */
struct index_page {
	const char *name, *title;
	const char *updated_author;
	int64_t updated_time; /* seconds since the epoch; 0 unknown */
	int updated_offset;   /* minutes east of UTC */
	const char *owner, *review_by;
	const char *space;    /* the page's space ("wiki", "finance") */
	const char *section;  /* the section it is listed in (index_pages_with, index_pages_due); "" none */
};

struct index_pages {
	struct index_page *v;
	size_t n;
};

/* Page file `path` of space `space` as the lists show it (its section ""), when the scope
 * reads that space: 0, KN_ENOTFOUND (no such page in the index, or not in the scope), KN_EIO. */
int index_page_get(struct index_page *out, struct index *ix, const struct index_scope *sc, const char *space,
		   const char *path, struct arena *a);

/* The pages of customer (tag, department) `value` (the whole value, any case), frames and
 * templates left out, newest change first. For a customer they come in sections by
 * department (spelled as index_groups spells it): a page of several departments is listed
 * in each, pages of none come last (section ""). */
int index_pages_with(struct index_pages *out, struct index *ix, const struct index_scope *sc, enum index_key key,
		     const char *value, struct arena *a);

/* The pages whose review-by date is before `today` ("YYYY-MM-DD"), in sections by owner
 * (pages without one last, section ""), the earliest date first. */
int index_pages_due(struct index_pages *out, struct index *ix, const struct index_scope *sc, const char *today,
		    struct arena *a);

/* Page files ("Notes/Call.md") and their spaces. */
struct index_paths {
	const char **v;
	const char **space; /* v[i] is in space space[i] */
	size_t n;
};

/* The files with customer (tag, department) `value` (the whole value, any case), frames
 * and templates included, in no particular order: what the recent changes are filtered by. */
int index_paths_with(struct index_paths *out, struct index *ix, const struct index_scope *sc, enum index_key key,
		     const char *value, struct arena *a);

/* The files that link to page file `path` of space `space` (wiki links, as rendered), from
 * the spaces of the scope, itself left out: its own space's first, then by path. */
int index_backlinks(struct index_paths *out, struct index *ix, const struct index_scope *sc, const char *space,
		    const char *path, struct arena *a);

/* A link target that is no page. */
struct index_wanted {
	const char *path;        /* the file the links lead to */
	unsigned links;          /* files linking to it */
	struct index_paths from; /* the first 50 of them, by path */
};

struct index_wanteds {
	struct index_wanted *v;
	size_t n;
};

/* Link targets in space `space` that are no page there, the most linked first, then by
 * path (at most 1,000); counted and listed over the links from the spaces of the scope. */
int index_wanted(struct index_wanteds *out, struct index *ix, const struct index_scope *sc, const char *space,
		 struct arena *a);

/* The pages of space `space` no other page (of any space) links to, by path (Home, frames
 * and templates are reached
 * otherwise: left out; at most 5,000). */
int index_orphans(struct index_paths *out, struct index *ix, const struct index_scope *sc, const char *space,
		  struct arena *a);

/* A page file that was deleted and is not there now (its newest 'D' or 'X' in the history
 * the index records, see index_gone). */
struct index_deleted {
	const char *path;   /* "Notes/Old.md" */
	const char *commit; /* hex id of a commit at or after its last deletion */
};

struct index_deleteds {
	struct index_deleted *v;
	size_t n;
};

/* The deleted pages of space `space`, by path (at most INDEX_DELETED_MAX), renamed pages
 * included (their old names are gone too; the caller tells them apart); nothing when the
 * scope does not read that space. */
#define INDEX_DELETED_MAX 5000
int index_deleted(struct index_deleteds *out, struct index *ix, const struct index_scope *sc, const char *space,
		  struct arena *a);

/* A commit that changed a page file, as history and recent changes show it. */
struct index_change {
	const char *space;  /* its space ("wiki", "finance") */
	const char *path;   /* the file in that commit ("Notes/Call.md") */
	char change;        /* 'A' added, 'M' changed, 'D' deleted, 'R' renamed here from `other` */
	const char *other;  /* 'R': the file's name before; else "" */
	const char *id;     /* the commit, 40 hex digits */
	const char *author, *email, *summary;
	int64_t time;       /* seconds since the epoch */
	int offset;         /* minutes east of UTC */
};

struct index_changes {
	struct index_change *v;
	size_t n;
};

/* The commits that changed page file `path` of space `space`, newest first, renames
 * followed back to the file's earlier names; `skip` of them skipped, at most `limit`.
 * From the history the catch-up records; nothing when the scope does not read `space`. */
int index_page_history(struct index_changes *out, struct index *ix, const struct index_scope *sc, const char *space,
		       const char *path, size_t skip, size_t limit, struct arena *a);

/* Recent page changes, newest first, at most `limit`: of page file `path` of space `space`;
 * else of the files that have customer (tag, department) `value` now (the whole value, any
 * case); else (both NULL) of every page but frames and templates; in the spaces of the
 * scope (`space` NULL), or in `space` alone. Merges are left out (they repeat their
 * parents' changes), and so is the old name of a renamed page. One space: in the order
 * the commits were recorded (parents first); several: by commit time. */
int index_recent_changes(struct index_changes *out, struct index *ix, const struct index_scope *sc, const char *space,
			 enum index_key key, const char *value, const char *path, size_t limit, struct arena *a);

#endif
