/* repos.h: this thread's open repositories (one struct store per space it served), so a
 * request reads its space's repository without opening it anew. */
#ifndef KENNIS_REPOS_H
#define KENNIS_REPOS_H

#include "store.h"

#define REPOS_KEEP 32  /* kept open per thread between requests; beyond, the least recently used goes */
#define REPOS_MAX  256 /* open at once per thread (one request may touch every space) */

/* A new request starts on this thread: repositories it uses are kept open until it ends. */
void repos_request_begin(void);

/* The repository at `gitdir` for this thread, opened on first use (libgit2 objects are never
 * shared between threads). NULL when it cannot be opened, or when REPOS_MAX are in use by
 * this request (logged). The store stays the thread's: valid for the rest of the request
 * (never closed under it), and cached for later ones. */
struct store *repos_get(const char *gitdir);

/* Close this thread's repositories (a worker's exit; also registered as the thread-key
 * destructor, so pool threads clean up by themselves). */
void repos_release(void);

#endif
