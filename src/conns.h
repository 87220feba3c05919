/* conns.h: every open connection: limits per address and in all, header and body deadlines. */
#ifndef KENNIS_CONNS_H
#define KENNIS_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The registry knows sockets, not HTTP: server.c tells it when a connection opens, has sent
 * its header block, receives body bytes, is being answered, has been answered, and closes.
 * A thread cuts (shutdown(2)) the ones past their deadline; the HTTP library then sees the
 * end of the stream and closes them itself. Thread-safe. */
struct conns;
struct conns_entry;

struct conns_limits {
	unsigned max_total; /* open connections in all */
	unsigned per_addr;  /* open connections from one address (IPv6: one /64) */
	unsigned header_ms; /* a whole header block within this, from the accept or the end of the
			     * previous response (so also the idle time of a kept-alive connection) */
	unsigned min_rate;  /* request body bytes a second, on average, after a grace of header_ms
			     * (0: no minimum) */
};

/* A registry with these limits; the caller frees it with conns_free. */
struct conns *conns_new(const struct conns_limits *lim);
/* Start the thread that cuts late connections (four times a second). 0 or KN_EIO. */
int conns_start(struct conns *cs);
/* Stop that thread and free the registry; sockets still registered are not touched. */
void conns_free(struct conns *cs);

/* Raise this process's soft limit on open files to the hard one, and return how many
 * connections fit in it next to what the server itself keeps open (repositories, databases,
 * git children and spooled uploads of `threads` workers). */
unsigned conns_fd_budget(unsigned threads);

/* May a connection from `sa` be accepted? 0, or KN_ETOOBIG when its address or the server
 * is at its limit (logged, aggregated). Concurrent accepts may overshoot a limit by one per
 * accepting thread: the count moves in conns_open. */
int conns_admit(struct conns *cs, const struct sockaddr *sa);
/* Register the accepted connection on socket `fd` from `sa` (may be NULL); its header
 * deadline starts now. The entry lives until conns_close. */
struct conns_entry *conns_open(struct conns *cs, int fd, const struct sockaddr *sa);
/* Forget `e` (NULL: nothing). Call it before the socket is closed, so that a cut can never
 * reach another connection that reuses the descriptor. */
void conns_close(struct conns *cs, struct conns_entry *e);

/* Where a connection is in its request (each accepts e == NULL and does nothing then). */
void conns_headers_done(struct conns *cs, struct conns_entry *e); /* body: the minimum rate */
void conns_body(struct conns *cs, struct conns_entry *e, size_t n); /* n more body bytes */
void conns_replying(struct conns *cs, struct conns_entry *e); /* request read: no deadline */
void conns_idle(struct conns *cs, struct conns_entry *e); /* answered: a header deadline again */

/* Cut every connection past its deadline at `now_ms` (conns_now_ms's clock); returns how
 * many were cut. The thread calls this; tests call it with a clock of their own. */
unsigned conns_sweep(struct conns *cs, int64_t now_ms);
/* Milliseconds on the monotonic clock. */
int64_t conns_now_ms(void);

/* Log a warning about a refused or cut connection from `addr` (NULL: unknown). An attacker
 * can make these by the thousand, so at most 5 lines of each kind (each `fmt`: pass a string
 * literal) are written each 10 s; the rest are counted and summed up, with counts per
 * address, when the 10 s are over and at conns_free. cs may be NULL (then every line is
 * written). */
void conns_log(struct conns *cs, const char *addr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
