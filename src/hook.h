/* hook.h: `kennis hook pre-receive|post-receive`, run by git receive-pack during a push. */
#ifndef KENNIS_HOOK_H
#define KENNIS_HOOK_H

#include <stddef.h>
#include <stdio.h>

/* Check the ref updates read from `in` ("<old> <new> <ref>" lines) against the wiki's
 * rules: only refs/heads/main, never deleted, never rewritten. Messages for the pusher go
 * to `msg` (git shows them as "remote: ..."). Returns 0 to accept, 1 to refuse. */
int hook_pre_receive(FILE *in, FILE *msg);
int hook_post_receive(FILE *in, FILE *msg);
/* Which space the repository in the working directory is (git runs hooks inside it):
 * DATA/wiki.git gives data ".." and "wiki", DATA/spaces/NAME.git "../.." and NAME.
 * 0, or KN_EINVAL when it is neither. */
int hook_where(char *data, size_t dn, char *space, size_t sn);

#endif
