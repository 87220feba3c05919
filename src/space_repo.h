/* space_repo.h: making and removing a space: its registry entry and its repository
 * together (for `kennis space` and /admin/spaces). */
#ifndef KENNIS_SPACE_REPO_H
#define KENNIS_SPACE_REPO_H

#include "db.h"
#include "kennis.h"

/* Create space `name` with access lists `read` and `write`: the lists are checked first,
 * then DATA/spaces/NAME.git is made with a Home page, then the registry entry (if that
 * fails the new repository is moved aside). The hooks call `self_exe` (NULL: this
 * binary). 0, or a KN_ code with `why` saying why (as space_add). */
int space_create(struct db *db, const char *data_dir, const char *self_exe, const char *name, const char *read,
		 const char *write, struct buf *why);

/* Remove space `name` from the registry and move its repository to
 * DATA/spaces/deleted/NAME-TIME.git (the path into `aside`): nothing is deleted. A space
 * with commits beyond its first is refused (KN_EEXISTS) unless `force`. 0; KN_ENOTFOUND;
 * KN_EINVAL (the wiki); KN_EEXISTS; KN_EIO (removed from the registry, but the repository
 * could not be moved: logged). */
int space_delete(struct db *db, const char *data_dir, const char *name, int force, char *aside, size_t n);

#endif
