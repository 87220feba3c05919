/* links.h: where a wiki link leads: [[Name]] found as GitHub wikis find a page, in any folder. */
#ifndef KENNIS_LINKS_H
#define KENNIS_LINKS_H

#include <git2.h>
#include <stddef.h>

#include "kennis.h"

/* Which page the wiki link to `name` (n bytes; a valid page name as pagename_from_link
 * makes it: "Page-Name", "Folder/Page") written on page file `from` ("A/B/Page.md"; NULL or
 * "" for a text of no folder) leads to, in `tree` (a commit's tree; NULL: an empty wiki):
 *   1. the page of that name from the root ("Folder/Page.md"),
 *   2. else from the folder of `from` ("A/B/Folder/Page.md"),
 *   3. else a page anywhere whose last parts are the name ("X/Folder/Page.md"), the same
 *      bytes first, else without ASCII case and with ' ' and '-' alike ("page name" finds
 *      "Page-Name.md"); of several, the nearest to `from`: the most leading folders in
 *      common, then the fewest folders, then the first by path.
 * Appends the page name it leads to to `out` and returns 1; when there is none, appends
 * `name` itself (the page a click would create, from the root) and returns 0. Safe from
 * any thread, each with its own repository handle: step 3 reads every page name of the
 * tree once and shares that list between threads (a few of the newest trees are kept); the
 * list of a new tree (after a save or a push) is made from the newest one kept and the
 * diff of the two trees, not by reading every name again. */
int links_resolve(struct buf *out, git_tree *tree, const char *from, const char *name, size_t n);

/* The key step 3 compares: the last part of page name `name` (n bytes), ASCII lower case,
 * ' ' as '-' ("Folder/Page Name" -> "page-name"). Appended to `out`. */
void links_key(struct buf *out, const char *name, size_t n);

/* How many page lists were made by reading a whole tree, and how many from another
 * list and a diff (for tests and the log). */
void links_counts(unsigned long *walked, unsigned long *derived);

/* Drop the shared page lists (at exit, for a clean leak check). */
void links_global_release(void);

#endif
