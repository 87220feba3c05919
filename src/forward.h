/* forward.h: a replica hands writes to the primary. The request is streamed through
 * `kennis forward`, a small CGI program run by the same pump as git http-backend (cgi.c),
 * which sends it on with libcurl and streams the primary's answer back: the body is never
 * held in memory, and a slow primary blocks no worker. */
#ifndef KENNIS_FORWARD_H
#define KENNIS_FORWARD_H

#include "req.h"

/* Build argv/envp (in r's arena) for forwarding request `r` (its raw, undecoded `url`
 * and `raw_query` as the client sent them) to the primary. 0, or KN_EBUSY when no primary
 * is known. */
int forward_prepare(struct req *r, const char *url, const char *raw_query, char ***argv, char ***envp);

/* `kennis forward`: the CGI program (environment from forward_prepare). Exit status. */
int forward_main(void);

#endif
