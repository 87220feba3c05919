/* move.h: moving a page from one space to another (two repositories, two commits). */
#ifndef KENNIS_MOVE_H
#define KENNIS_MOVE_H

#include "store.h"

/* Move page `name` of repository `from` (as of the user's `base`) to `new_name` in
 * repository `to`, with the attachments in its folder: one commit adds them to `to` (its
 * id into `out`), then one deletes them from `from`. Links to the page are not rewritten
 * and no redirect is left behind: in a confidential space they would tell its readers'
 * secrets to the others. 0; KN_ENOTFOUND (no such page); KN_ECONFLICT (the page changed
 * since `base`, or meanwhile: the copy is taken back out); KN_EEXISTS (the name is taken
 * in `to`); KN_EGIT. */
int move_page(git_oid *out, struct store *from, struct store *to, const git_oid *base, const char *name,
	      const char *new_name, const struct store_author *who, const char *from_space, const char *to_space,
	      const char *message);

#endif
