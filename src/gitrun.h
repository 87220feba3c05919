/* gitrun.h: the git program as a child with a deadline: pushes to and fetches from the
 * other nodes of a cluster (git's own smart-HTTP client, its timeouts and its checks). */
#ifndef KENNIS_GITRUN_H
#define KENNIS_GITRUN_H

#include "kennis.h"

#define GITRUN_ERR_MAX 4096 /* bytes of git's stderr kept for the log */

/* Run `git ARGS...` (args NULL-terminated, without "git") on repository `gitdir`, with the
 * `config` pairs ("key", "value", ..., NULL) given through the environment (never on the
 * command line, where other users could read a token), killed after `timeout_ms`. git's
 * stderr (its last GITRUN_ERR_MAX bytes) goes into `err` when not NULL. Returns git's exit
 * status (0 success), or KN_EIO when it could not start or was killed at the deadline. */
int gitrun(const char *gitdir, const char *const *args, const char *const *config, int timeout_ms, struct buf *err);

#endif
