/* manage.h: page management on the store: rename (with link rewriting and redirects),
 * delete, restore, revert, blame. */
#ifndef KENNIS_MANAGE_H
#define KENNIS_MANAGE_H

#include "kennis.h"
#include "store.h"

/* The file at the wiki root that records renamed pages, one line "- Old-Name -> New-Name"
 * each (other lines are ignored). A page like any other: readable, editable, pushable. */
#define MANAGE_REDIRECTS "_Redirects.md"

/* Rewrite the links in Markdown `md` (len bytes), the text of page `page`, that point at
 * page `old_name` so they point at `new_name`, or at one of its attachments `files[0..nfiles)`
 * (file names in the old page's folder, moving with it: links to "Old-Name/file" then lead
 * to "New-Name/file"; `files` may be NULL when nfiles is 0); the result is appended to
 * `out`. Returns how many links were changed (`out` then equals the input when 0).
 *   [[Old Name]], [[Old-Name]], [[label|Old Name#Part]]: names compare as pages do (blanks
 *     and '-' alike); the new name is written with blanks when the old target had any.
 *   [x](Old-Name), [x](/wiki/Old-Name#part), [r]: /wiki/Old-Name (reference definitions):
 *     relative targets are resolved from `page`'s folder, as a browser does; the new target
 *     is relative when the new page is in that folder (or below), else /wiki/New-Name.
 *     Links with a query (?rev=...) or a scheme are left alone.
 * Nothing inside fenced code blocks or code spans changes. When `page` is `old_name` itself
 * (the moved page's own text) its relative links are re-based onto the new folder, so they
 * keep pointing where they did. */
int manage_rewrite_links(struct buf *out, const char *md, size_t len, const char *page, const char *old_name,
			 const char *new_name, const char *const *files, size_t nfiles);

/* The redirect list `text` (len bytes; may be empty) after renaming `old_name` to
 * `new_name`: redirects to the old name now lead to the new one, redirects away from either
 * name are dropped (the new page exists; the old name gets its new line), other lines stay as
 * written, and "- old -> new" is added. Appended to `out` (an empty list gets a heading and
 * a short explanation first). */
void manage_redirects_update(struct buf *out, const char *text, size_t len, const char *old_name,
			     const char *new_name);

/* Where a missing page `name` went: follows MANAGE_REDIRECTS in snapshot `s` (up to a few
 * hops) to a page that exists, and appends its name to `out`. Returns 0, or KN_ENOTFOUND
 * when there is no redirect or it leads nowhere. Call it only when `name` itself is missing
 * (an existing page always wins over a redirect). */
int manage_redirect_target(struct buf *out, struct snap *s, const char *name);

/* The newest commit at or before snapshot `s` whose tree has file `path`: for a deleted page,
 * the version to restore. Examines at most MANAGE_HISTORY_MAX commits. Returns 0,
 * KN_ENOTFOUND (never there, or too long ago) or KN_EGIT. */
#define MANAGE_HISTORY_MAX 20000
int manage_last_version(git_oid *rev, struct snap *s, const char *path);

/* The commit that deleted `path`: from snapshot `s` (whose tree lacks the file) back along
 * first parents, the newest commit whose parent has it; cb gets it (change 'D'). Looks at
 * most MANAGE_DELETION_WALK commits (the index's `gone` commit is at or just after the
 * deletion). Returns 0, KN_ENOTFOUND or KN_EGIT. */
#define MANAGE_DELETION_WALK 64
int manage_deletion(struct snap *s, const char *path, int (*cb)(const struct store_logent *e, void *payload),
		    void *payload);

/* Rename page `old_name` to `new_name` in one commit: move the file and its attachments
 * (the files in its folder that are no pages; pages below it stay), rewrite links in every
 * page (manage_rewrite_links), record the redirect. `new_name` must be in link form (no
 * blanks: pagename_from_link). `base` is the commit the user saw (NULL: no check): the page
 * must be unchanged since then. The other pages are read from the current tip and committed
 * by compare-and-swap against it; when main moves meanwhile, the whole rename is recomputed
 * (a few times). `*npages` gets how many other pages had links rewritten; `message` may be
 * NULL. Returns 0, KN_EINVAL (bad or same name), KN_ENOTFOUND (no such page), KN_EEXISTS
 * (the new name is taken), KN_ECONFLICT (the page changed since base), or a store_commit
 * error. */
int manage_rename(git_oid *out, size_t *npages, struct store *st, const git_oid *base, const char *old_name,
		  const char *new_name, const struct store_author *who, const char *message);

/* Delete page `name` in one commit "Delete <name>: <reason>", by compare-and-swap against
 * `base`. Returns 0, KN_ENOTFOUND, KN_ECONFLICT, or a store_commit error. */
int manage_delete(git_oid *out, struct store *st, const git_oid *base, const char *name,
		  const struct store_author *who, const char *reason);

/* Commit page `name` with its content at commit `rev` (a new commit; history is never
 * rewritten). `restore` says the page must be missing now (restoring a deleted page);
 * otherwise it is a revert, by compare-and-swap against `base` (NULL: the current tip).
 * Returns 0, KN_EINVAL (malformed rev), KN_ENOTFOUND (no such commit, or the page is not in
 * it), KN_ECONFLICT (changed since base; for a restore: the page exists again), or a
 * store_commit error. */
int manage_bring_back(git_oid *out, struct store *st, const git_oid *base, const char *name, const char *rev,
		      int restore, const struct store_author *who, const char *message);

/* One run of consecutive lines last changed by the same commit. */
struct manage_blame_group {
	const git_oid *id;
	const char *author;
	int64_t time;
	int offset;         /* minutes east of UTC */
	size_t first_line;  /* 1-based */
	size_t nlines;
	const char *text;   /* the lines, each ending in '\n' except perhaps the file's last */
	size_t len;
};

/* Blame `path` as of snapshot `s`: cb once per group, top to bottom. Returns 0,
 * KN_ENOTFOUND, KN_EGIT, or cb's non-zero return. */
int manage_blame(struct snap *s, const char *path,
		 int (*cb)(const struct manage_blame_group *g, void *payload), void *payload);

#endif
