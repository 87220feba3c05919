/* githttp.h: the git smart-HTTP endpoint /wiki.git/, served by `git http-backend`. */
#ifndef KENNIS_GITHTTP_H
#define KENNIS_GITHTTP_H

#include "req.h"

#define GIT_PREFIX "/wiki.git/"

/* Check the request and build argv/envp (NULL-terminated, in r's arena) for git
 * http-backend. KN_ENOTFOUND for a path the smart protocol does not use, KN_EINVAL for a
 * bad service or method. */
int githttp_prepare(struct req *r, const char *raw_query, char ***argv, char ***envp);

#endif
