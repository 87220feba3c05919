/* reqspace.h: the spaces as one request sees them: the registry (cached for the whole
 * server, re-read at most once a second), and what this viewer may do in each space. The
 * rule itself is space_may_read / space_may_write (spaces.c); this applies it. */
#ifndef KENNIS_REQSPACE_H
#define KENNIS_REQSPACE_H

#include "req.h"
#include "spaces.h"

/* The registry's spaces (the wiki first) and, per space, the viewer's rights: loaded into
 * r on first use. 0, or KN_EIO when the state database cannot be read (logged). */
int reqspace_load(struct req *r);

/* Space `name` (NULL: the wiki), or NULL when there is none of that name OR the viewer may
 * not read it: callers answer 404 either way, so a space's existence is never disclosed. */
const struct space *reqspace_readable(struct req *r, const char *name);
/* May the viewer read / change space `sp`? */
int reqspace_may_read(struct req *r, const struct space *sp);
int reqspace_may_write(struct req *r, const struct space *sp);

/* The names of all spaces, NULL-terminated (for [[space:Page]] links), in r's arena. */
const char *const *reqspace_names(struct req *r);

/* The names of the spaces the viewer may read, in r's arena; *n their number. */
const char *const *reqspace_readable_names(struct req *r, size_t *n);

/* Set the request's space (the router: /s/NAME/...): r->space, r->base, and r->st the
 * space's repository. KN_ENOTFOUND when it is not there or not readable; KN_EIO. */
int reqspace_enter(struct req *r, const char *name);

/* The address prefix of space `name`: "" for the wiki, "/s/NAME" else (in r's arena). */
const char *reqspace_base(struct req *r, const char *name);

/* Forget the cached registry (a space was added, changed or removed by this process). */
void reqspace_changed(void);
/* Free the cached registry (at exit). */
void reqspace_release(void);

#endif
