/* kennis.h: shared types for every module: errors, growable buffer, arena, logging. */
#ifndef KENNIS_H
#define KENNIS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Every fallible function returns 0 or one of these (negative). Only the router maps them
 * to HTTP statuses (router_status). */
enum kn_err {
	KN_OK = 0,
	KN_EINVAL = -1,      /* bad input (page name, form field, header) */
	KN_ENOTFOUND = -2,   /* no such page / commit / file */
	KN_EGIT = -3,        /* libgit2 failed; details are in the log */
	KN_ECONFLICT = -4,   /* the page changed since the edit started */
	KN_ETOOBIG = -5,     /* over a size limit */
	KN_EIO = -6,         /* file system or process error */
	KN_EEXISTS = -7,     /* already exists */
	KN_ELOCKED = -8,     /* a ref lock stayed taken after all retries */
	KN_EAUTH = -9,       /* who asks is not known (not logged in, wrong credentials) */
	KN_EFORBIDDEN = -10, /* who asks is known and may not */
	KN_ETHROTTLED = -11, /* too many failed attempts: wait */
	KN_EBUSY = -12,      /* not available right now (the index, the server): try again */
	KN_EBACKEND = -13,   /* a helper program (git http-backend) gave no valid answer */
	KN_EMETHOD = -14,    /* the address does not take this kind of request */
	KN_EMEDIATYPE = -15, /* the body is of a kind the address does not take (the API: not JSON) */
};

/* What a request handler may return besides 0 (its page, done) and a KN_ error: answers
 * without a page of their own, which the router gives their status too. */
enum kn_answer {
	KN_SEE_OTHER = 1,    /* go to the Location set (ui_redirect) */
	KN_NOT_MODIFIED = 2, /* the client's copy is current (ui_not_modified) */
	KN_CREATED = 3,      /* the body says what was made (the API's new page or watch) */
};

const char *kn_strerror(int err);

/* Allocation never fails: out-of-memory aborts (there is no sensible recovery in a server
 * thread, and error paths for it would never be tested). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Growable byte buffer; `ptr` is always NUL-terminated once anything was added. The owner
 * frees it with buf_free (or takes the memory with buf_detach). */
struct buf {
	char *ptr;
	size_t len, cap;
};
#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_put(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_detach(struct buf *b); /* caller owns the result (never NULL) */
const char *buf_cstr(struct buf *b); /* "" when empty */

/* Escapers append to `out`. html_escape escapes & < > " ' for text and attributes alike;
 * url_escape_path percent-encodes everything but unreserved bytes and '/'. */
void html_escape(struct buf *out, const char *s, size_t n);
void html_puts(struct buf *out, const char *s);
void url_escape(struct buf *out, const char *s, size_t n, int keep_slash);

/* Per-request arena: many small allocations, one free. */
struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* zeroed, 16-byte aligned */
/* Call fn(arg) when the arena is freed (newest first): releases what a request holds. */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Server log: one line per event on stderr, with time and level. */
enum log_level { LOG_INFO, LOG_WARN, LOG_ERROR };
extern int log_min_level;
/* Where log lines go (default stderr; hooks log to the server's log through KENNIS_LOG_FD). */
void log_set_fd(int fd);
void kn_log(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) kn_log(LOG_INFO, __VA_ARGS__)
#define log_warn(...) kn_log(LOG_WARN, __VA_ARGS__)
#define log_error(...) kn_log(LOG_ERROR, __VA_ARGS__)

/* The numeric character reference at `s` (s[0] == '&': "&#123;" or "&#x1F;", at most
 * `max_digits` digits) as a number into *cp, capped at 0x110000; returns its length, or 0
 * when there is none. */
size_t entity_number(const char *s, size_t n, size_t max_digits, unsigned long *cp);

/* Is [s, s+n) valid UTF-8 (no overlongs, no surrogates)? */
int utf8_valid(const char *s, size_t n);

/* The calling thread takes the name `name` and yields to the threads that answer requests (nice 10, on Linux): for the
 * background work (fan-out, senders) that must never slow a save. */
void kn_thread_background(const char *name);

#endif
