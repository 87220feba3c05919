/* cgi.h: run a CGI program (git http-backend) with its input and output streamed through
 * bounded buffers by a pump thread, so server workers never block on the child. The request
 * body is taken as fast as the client sends it: what the child has not read yet beyond a
 * memory queue waits in an unlinked file (the connection is never suspended for input). */
#ifndef KENNIS_CGI_H
#define KENNIS_CGI_H

#include <stddef.h>
#include <sys/types.h>
#include "req.h"

struct cgi;

/* The connection's side: `suspend` is called (with the cgi's lock held) when a call must
 * wait for the child's output; `resume` is called from the pump thread (lock held) once it
 * may go on. Both get `payload`. They are called in pairs: resume only after suspend. */
struct cgi_hooks {
	void (*suspend)(void *payload);
	void (*resume)(void *payload);
	void *payload;
};

/* Start argv[0] with environment `envp`; request bodies beyond the memory queue are kept
 * in a file in `spill_dir` (removed at once: it has no name). Caller frees with cgi_free.
 * 0 or KN_EIO. */
int cgi_start(struct cgi **out, char *const argv[], char *const envp[], const struct cgi_hooks *hooks,
	      const char *spill_dir);

/* Queue request-body bytes for the child: all of them, in memory or in the spill file.
 * 0, or KN_EIO when the spill file cannot be written (logged). */
int cgi_write(struct cgi *c, const char *data, size_t n);

/* No more request body. */
void cgi_close_input(struct cgi *c);

/* Have the CGI headers arrived? 1: yes (status and headers filled; header strings are
 * copied into arena `a`); 0: not yet, hooks->suspend was called. A child that ended without
 * valid headers gives 1 with status 502. */
int cgi_headers(struct cgi *c, struct arena *a, int *status, struct kvlist *headers);

/* Copy response-body bytes to buf. >0 bytes copied; 0: none yet (hooks->suspend was
 * called); -1: end of output; -2: the child failed mid-stream. */
ssize_t cgi_read(struct cgi *c, char *buf, size_t max);

/* Stop the child (killed if still running), join the pump, free everything. */
void cgi_free(struct cgi *c);

#endif
