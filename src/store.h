/* store.h: the wiki's content in a bare git repository (libgit2): reads, history, commits. */
#ifndef KENNIS_STORE_H
#define KENNIS_STORE_H

#include <git2.h>
#include <sys/stat.h>
#include <time.h>
#include <stdint.h>
#include "kennis.h"

#define STORE_BRANCH "refs/heads/main"

/* One repository handle; never shared between threads (each worker opens its own). */
/* What a file looked like (store_tip compares them): 0 fields when it was not there. */
struct store_fileid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct store {
	git_repository *repo;
	char *gitdir;
	/* main's commit as store_tip last read it, when, and how the two files it can come
	 * from (refs/heads/main, packed-refs) looked just before: while both look the same
	 * the ref has not moved (git replaces a ref's file, never writes it in place). */
	int tip_known;
	git_oid tip;
	time_t tip_at;
	struct store_fileid tip_loose, tip_packed;
	char *loose_path, *packed_path;
};

/* A commit and its tree, resolved once per request. `commit` is NULL for an empty wiki. */
struct snap {
	struct store *st;
	git_oid id;
	git_commit *commit;
	git_tree *tree;
};

/* One file change in a commit: content NULL (and no from_file, no blob) deletes `path`.
 * With from_file, the new content is streamed from that file on disk (uploads); with blob,
 * it is a blob already in the repository (a file that moves). */
struct store_edit {
	const char *path;
	const char *content;
	size_t len;
	const char *from_file;
	const git_oid *blob;
};

struct store_author {
	const char *name;
	const char *email;
};

/* A commit as shown in history lists. Strings live as long as the callback call. */
struct store_logent {
	const git_oid *id;
	const char *author, *email, *summary, *message;
	int64_t time;  /* seconds since the epoch */
	int offset;    /* minutes east of UTC */
	int change;    /* 'A' added, 'M' modified, 'D' deleted (for path histories) */
};

/* Open the bare repository at `gitdir`; KN_ENOTFOUND when it is not one. Caller frees with
 * store_close. */
int store_open(struct store **out, const char *gitdir);
void store_close(struct store *st);

/* Create `gitdir` as a new bare repository on branch main with kennis's settings and hooks
 * (calling `self_exe hook ...`), and commit the starter wiki. KN_EEXISTS if it exists. */
int store_init(const char *gitdir, const char *self_exe);
/* Like store_init, with `edits` as the first commit (none: an empty repository, whose main
 * is born by the first edit or push). */
int store_init_with(const char *gitdir, const char *self_exe, const struct store_edit *edits, size_t n,
		    const char *message);

/* Is `gitdir` a repository made by `kennis init`? */
int store_is_kennis(struct store *st);

/* Resolve `rev` (NULL or "" = main; else 4..40 hex digits of a commit) into `s`.
 * KN_EINVAL for a malformed rev, KN_ENOTFOUND for an unknown one. An empty wiki gives a
 * snap with commit == NULL. Release with store_snap_close. */
int store_snap_open(struct snap *s, struct store *st, const char *rev);
void store_snap_close(struct snap *s);

/* Read file `path` from the snapshot into `out` (appended). `blob_id` may be NULL.
 * KN_ENOTFOUND when absent (or a folder). */
int store_read(struct buf *out, git_oid *blob_id, struct snap *s, const char *path);

/* Read blob `id` into `out` (appended): 0 or KN_EGIT. */
int store_read_blob(struct buf *out, struct store *st, const git_oid *id);

/* Main's commit into `out` without reading it: 0, KN_ENOTFOUND (an empty wiki), KN_EGIT. */
int store_tip(git_oid *out, struct store *st);

/* Blob id of `path` in the snapshot: 0 found, KN_ENOTFOUND absent. */
int store_blob_id(git_oid *out, struct snap *s, const char *path);

/* Call cb(path, payload) for every file in the snapshot, in tree order (folders
 * depth-first). A non-zero return from cb stops the walk and is returned. */
int store_walk(struct snap *s, int (*cb)(const char *path, void *payload), void *payload);

/* What differs between trees `old` and `new` (NULL: empty) of `repo`: cb(path, eo, en,
 * payload) for every entry that is not a folder and is not the same on both sides (eo or
 * en NULL where that side has no such entry; a file and a folder of one name are two
 * changes), in path order, descending only into folders whose ids differ. git_diff does
 * the same with far more work per entry (its iterators build the path of every entry of
 * a changed folder): docs/scale.md. A non-zero return from cb stops the walk and is
 * returned; else 0, or KN_EGIT when a folder cannot be read. */
typedef int (*store_change_cb)(const char *path, const git_tree_entry *eo, const git_tree_entry *en, void *payload);
int store_tree_changes(git_repository *repo, const git_tree *old, const git_tree *new, store_change_cb cb,
		       void *payload);

/* History of `path` (NULL: of the whole wiki) from the snapshot's commit backwards, newest
 * first: commits where the file changed. Skips `skip` matches, stops after `limit`. */
int store_log(struct snap *s, const char *path, size_t skip, size_t limit,
	      int (*cb)(const struct store_logent *e, void *payload), void *payload);

/* Commit `edits` on main as `author` with `message`. `base` is the commit the edit started
 * from (NULL: the page is new and the edit started from an empty wiki or knows no base).
 * If main has moved since `base`, the edit is re-applied on the new tip unless one of its
 * paths changed between `base` and the tip: then KN_ECONFLICT and nothing is written.
 * The ref is moved by compare-and-swap; a lost race or a held lock is retried. `out` gets
 * the new commit (or the tip when the edit changed nothing). */
int store_commit(git_oid *out, struct store *st, const git_oid *base, const struct store_edit *edits,
		 size_t n, const struct store_author *author, const char *message);

/* Like store_commit, but when main has moved and an edited page changed meanwhile, the edit
 * is three-way merged (git_merge_file) with that change instead of refused: a clean merge is
 * committed and *merged is set; clashing lines give KN_ECONFLICT. Clashes that are only
 * entries appended at the same place of an append-only log section (see
 * store_merge_text) are resolved by keeping both, the one committed first first. */
int store_commit_merge(git_oid *out, int *merged, struct store *st, const git_oid *base,
		       const struct store_edit *edits, size_t n, const struct store_author *author,
		       const char *message);

/* Three-way merge of one text: `base` (the common version; NULL = none), `theirs` (committed
 * meanwhile) and `ours`. Appends the result to `out` and returns 0, or KN_ECONFLICT (out
 * then holds the text with conflict markers, for showing). Where the append-only logs are
 * is page.c's to say (page_is_log, page_log_line): a page whose front matter says
 * `log: true`, else a section under a heading named "Log" (any level) up to the next
 * heading of the same or a higher level, headings in code blocks not counting. */
int store_merge_text(struct buf *out, const char *base, size_t blen, const char *theirs, size_t tlen,
		     const char *ours, size_t olen);

/* Log the last libgit2 error with `what` (operation) and `subject` (page, ref) as context. */
void store_log_git_error(const char *what, const char *subject);

#endif
