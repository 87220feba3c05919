/* index.h: the derived SQLite index of main (pages, front matter, links, full text): keeping it
 * up, checking it, and the views built on it. Searching it is search.h's. */
#ifndef KENNIS_INDEX_H
#define KENNIS_INDEX_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

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

/* SQL for the customer a page (table alias p) is about: front matter `customer:`, else the
 * folder under Customers/ with '-' as ' '. The one definition for every customer view. */
#define CUSTOMER_SQL \
	"CASE WHEN p.customer <> '' THEN p.customer " \
	"WHEN p.path LIKE 'Customers/%/%' THEN replace(substr(p.path, 11, instr(substr(p.path, 11), '/') - 1), '-', ' ') " \
	"ELSE '' END"

#endif
