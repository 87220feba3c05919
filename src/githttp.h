/* githttp.h: the git smart-HTTP endpoints /wiki.git/ and /s/NAME.git/ (a space), served by
 * `git http-backend`. */
#ifndef KENNIS_GITHTTP_H
#define KENNIS_GITHTTP_H

#include "req.h"

#define GIT_PREFIX "/wiki.git/"

/* The `service` parameter of a raw query string, read exactly as git http-backend reads
 * the QUERY_STRING it is given (git's decoding, '+' as space, a name ended by '&' too), so
 * the permission check and git can never see two different services. *service is NULL
 * when there is none (else in arena `a`). KN_EINVAL when `service` appears more than once
 * (git would take the last, other readers the first) or a %00 is in the query. */
int githttp_service(const char *raw_query, struct arena *a, const char **service);

/* Which space's repository `path` is: "/wiki.git/X" is the wiki's, "/s/NAME.git/X" space
 * NAME's; *sub is the rest ("/info/refs"). 0, or KN_ENOTFOUND for no git path. */
int githttp_split(const char *path, char *space, size_t n, const char **sub);

/* Check the request for space `space` (the caller decided who may: `may_write` for a
 * push) and build argv/envp (NULL-terminated, in r's arena) for git http-backend.
 * KN_ENOTFOUND for a path the smart protocol does not use, KN_EINVAL for a bad service or
 * method. */
int githttp_prepare(struct req *r, const char *space, int may_write, const char *raw_query, char ***argv,
		    char ***envp);

#endif
