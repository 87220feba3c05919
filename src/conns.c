/* conns.c: the registry of open connections, their limits and deadlines (no HTTP library calls). */
#include "conns.h"
#include "kennis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Why a registry of our own: libmicrohttpd's timeout is an idle timeout that every byte
 * resets, and nothing bounds the time a client may take to send its headers; its connection
 * limit was fixed. A slowloris client sending one header line every few seconds held a
 * connection forever, and a thousand of them locked everyone out. Here every connection has
 * a deadline for the phase it is in; a thread cuts the late ones. */

#define BUCKETS 1024     /* per-address counts, hashed */
#define SWEEP_MS 250     /* how often deadlines are checked */
#define LOG_WINDOW_MS 10000
#define LOG_LINES 5      /* lines of one kind written per window before they are only counted */
#define LOG_KINDS 8      /* kinds told apart (by format); more share the last budget */
#define LOG_TOP 8        /* addresses named in a summary */
#define FD_CAP (1u << 20) /* never ask for more descriptors than this */
#define TOTAL_CAP 65536u /* each connection costs up to 64 KiB of buffers */

enum phase { PH_HEAD, PH_BODY, PH_REPLY };

struct addr_slot {
	struct addr_slot *next;
	unsigned char key[16];
	unsigned count;
};

struct conns_entry {
	struct conns_entry *prev, *next;
	struct addr_slot *slot;
	int fd;
	int cut;
	enum phase phase;
	int64_t since, deadline;
	uint64_t body;
	char addr[INET6_ADDRSTRLEN];
};

struct conns {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running, stop;
	struct conns_limits lim;
	struct conns_entry *head;
	unsigned total;
	struct addr_slot *bucket[BUCKETS];
	/* log aggregation: see conns_log */
	int64_t window;
	struct { const char *fmt; unsigned lines; } kind[LOG_KINDS];
	unsigned nkinds, dropped, other;
	struct { char addr[INET6_ADDRSTRLEN]; unsigned n; } top[LOG_TOP];
	unsigned ntop;
};

int64_t
conns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The key an address is counted under: IPv4 as itself, IPv6 by its /64 (one subscriber's
 * network: an attacker holding a /64 must not get 2^64 separate limits). */
static void
addr_key(const struct sockaddr *sa, unsigned char key[16], char *text, size_t n)
{
	memset(key, 0, 16);
	snprintf(text, n, "?");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)n);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		int mapped = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
		memcpy(key, &in6->sin6_addr, mapped ? 16 : 8);
		inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t)n);
	}
}

static struct addr_slot **
slot_find(struct conns *cs, const unsigned char key[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	struct addr_slot **p = &cs->bucket[h % BUCKETS];
	while (*p && memcmp((*p)->key, key, 16) != 0)
		p = &(*p)->next;
	return p;
}

struct conns *
conns_new(const struct conns_limits *lim)
{
	struct conns *cs = xcalloc(1, sizeof(*cs));
	pthread_condattr_t ca;
	cs->lim = *lim;
	pthread_mutex_init(&cs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->wake, &ca);
	pthread_condattr_destroy(&ca);
	cs->window = conns_now_ms();
	return cs;
}

/* Write the summary of the lines held back in the window that ended (or, with `force`, in
 * the current one). Lock held. */
static void
log_flush(struct conns *cs, int64_t now, int force)
{
	if (now - cs->window < LOG_WINDOW_MS && !force)
		return;
	if (cs->dropped) {
		struct buf b = BUF_INIT;
		for (unsigned i = 0; i < cs->ntop; i++)
			buf_printf(&b, "%s%s x%u", i ? ", " : "", cs->top[i].addr, cs->top[i].n);
		if (cs->other)
			buf_printf(&b, ", others x%u", cs->other);
		log_warn("connections: %u more such warnings in %lld s (by address: %s)", cs->dropped,
			 (long long)(now - cs->window + 999) / 1000, buf_cstr(&b));
		buf_free(&b);
	}
	cs->window = now;
	cs->nkinds = cs->dropped = cs->other = cs->ntop = 0;
}

/* Lines of this kind (the call site's format) written in the current window. */
static unsigned *
kind_lines(struct conns *cs, const char *fmt)
{
	unsigned i;
	for (i = 0; i < cs->nkinds; i++)
		if (cs->kind[i].fmt == fmt)
			return &cs->kind[i].lines;
	if (i == LOG_KINDS)
		return &cs->kind[LOG_KINDS - 1].lines;
	cs->kind[i].fmt = fmt;
	cs->kind[i].lines = 0;
	cs->nkinds++;
	return &cs->kind[i].lines;
}

static void
log_locked(struct conns *cs, const char *addr, const char *fmt, va_list ap)
{
	log_flush(cs, conns_now_ms(), 0);
	unsigned *lines = kind_lines(cs, fmt);
	if (*lines < LOG_LINES) {
		struct buf b = BUF_INIT;
		++*lines;
		buf_vprintf(&b, fmt, ap);
		log_warn("%s%s", buf_cstr(&b), *lines == LOG_LINES ? " (more such lines are summed up every 10 s)" : "");
		buf_free(&b);
		return;
	}
	cs->dropped++;
	addr = addr ? addr : "(none)";
	for (unsigned i = 0; i < cs->ntop; i++)
		if (strcmp(cs->top[i].addr, addr) == 0) {
			cs->top[i].n++;
			return;
		}
	if (cs->ntop == LOG_TOP) {
		cs->other++;
		return;
	}
	snprintf(cs->top[cs->ntop].addr, sizeof(cs->top[0].addr), "%s", addr);
	cs->top[cs->ntop++].n = 1;
}

void
conns_log(struct conns *cs, const char *addr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!cs) {
		struct buf b = BUF_INIT;
		buf_vprintf(&b, fmt, ap);
		log_warn("%s", buf_cstr(&b));
		buf_free(&b);
	} else {
		pthread_mutex_lock(&cs->lock);
		log_locked(cs, addr, fmt, ap);
		pthread_mutex_unlock(&cs->lock);
	}
	va_end(ap);
}

static void
log_held(struct conns *cs, const char *addr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* conns_log with the lock already held. */
static void
log_held(struct conns *cs, const char *addr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_locked(cs, addr, fmt, ap);
	va_end(ap);
}

unsigned
conns_fd_budget(unsigned threads)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < FD_CAP) {
		struct rlimit want = rl;
		want.rlim_cur = rl.rlim_max < FD_CAP ? rl.rlim_max : FD_CAP;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl.rlim_cur = want.rlim_cur;
	}
	/* Each worker keeps a repository, two databases with their journals, an epoll and a
	 * wake-up descriptor open; half of the rest is left for what a connection may add (a
	 * git child's pipes, a spooled upload). */
	rlim_t reserve = 64 + 16 * (rlim_t)threads;
	rlim_t n = rl.rlim_cur > reserve + 32 ? (rl.rlim_cur - reserve) / 2 : 16;
	return n > TOTAL_CAP ? TOTAL_CAP : (unsigned)n;
}

int
conns_admit(struct conns *cs, const struct sockaddr *sa)
{
	unsigned char key[16];
	char text[INET6_ADDRSTRLEN];
	int rc = 0;
	addr_key(sa, key, text, sizeof(text));
	pthread_mutex_lock(&cs->lock);
	struct addr_slot *s = *slot_find(cs, key);
	if (cs->total >= cs->lim.max_total) {
		log_held(cs, text, "connection from %s refused: the server has %u open, its limit", text, cs->total);
		rc = KN_ETOOBIG;
	} else if (s && s->count >= cs->lim.per_addr) {
		log_held(cs, text, "connection from %s refused: %u open from that address, its limit", text, s->count);
		rc = KN_ETOOBIG;
	}
	pthread_mutex_unlock(&cs->lock);
	return rc;
}

static void
set_phase(struct conns_entry *e, enum phase ph, int64_t now, int64_t deadline)
{
	e->phase = ph;
	e->since = now;
	e->deadline = deadline;
}

struct conns_entry *
conns_open(struct conns *cs, int fd, const struct sockaddr *sa)
{
	struct conns_entry *e = xcalloc(1, sizeof(*e));
	unsigned char key[16];
	int64_t now = conns_now_ms();
	addr_key(sa, key, e->addr, sizeof(e->addr));
	e->fd = fd;
	set_phase(e, PH_HEAD, now, now + cs->lim.header_ms);
	pthread_mutex_lock(&cs->lock);
	struct addr_slot **p = slot_find(cs, key);
	if (!*p) {
		*p = xcalloc(1, sizeof(**p));
		memcpy((*p)->key, key, 16);
	}
	e->slot = *p;
	e->slot->count++;
	cs->total++;
	e->next = cs->head;
	if (cs->head)
		cs->head->prev = e;
	cs->head = e;
	pthread_mutex_unlock(&cs->lock);
	return e;
}

void
conns_close(struct conns *cs, struct conns_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&cs->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		cs->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	cs->total--;
	if (--e->slot->count == 0) {
		struct addr_slot **p = slot_find(cs, e->slot->key);
		*p = e->slot->next;
		free(e->slot);
	}
	pthread_mutex_unlock(&cs->lock);
	free(e);
}

/* The body deadline: the grace, plus one second for every min_rate bytes received. */
static int64_t
body_deadline(const struct conns *cs, const struct conns_entry *e)
{
	if (!cs->lim.min_rate)
		return INT64_MAX;
	return e->since + cs->lim.header_ms + (int64_t)(e->body * 1000 / cs->lim.min_rate);
}

void
conns_headers_done(struct conns *cs, struct conns_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&cs->lock);
	e->body = 0;
	set_phase(e, PH_BODY, conns_now_ms(), 0);
	e->deadline = body_deadline(cs, e);
	pthread_mutex_unlock(&cs->lock);
}

void
conns_body(struct conns *cs, struct conns_entry *e, size_t n)
{
	if (!e)
		return;
	pthread_mutex_lock(&cs->lock);
	if (e->phase == PH_BODY) {
		e->body += n;
		e->deadline = body_deadline(cs, e);
	}
	pthread_mutex_unlock(&cs->lock);
}

void
conns_replying(struct conns *cs, struct conns_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&cs->lock);
	set_phase(e, PH_REPLY, conns_now_ms(), INT64_MAX);
	pthread_mutex_unlock(&cs->lock);
}

void
conns_idle(struct conns *cs, struct conns_entry *e)
{
	if (!e)
		return;
	int64_t now = conns_now_ms();
	pthread_mutex_lock(&cs->lock);
	set_phase(e, PH_HEAD, now, now + cs->lim.header_ms);
	pthread_mutex_unlock(&cs->lock);
}

unsigned
conns_sweep(struct conns *cs, int64_t now_ms)
{
	unsigned cut = 0;
	pthread_mutex_lock(&cs->lock);
	for (struct conns_entry *e = cs->head; e; e = e->next) {
		if (e->cut || now_ms < e->deadline)
			continue;
		/* Under the lock: conns_close (before the descriptor is closed) waits for it, so
		 * this fd is still this connection's. */
		shutdown(e->fd, SHUT_RDWR);
		e->cut = 1;
		cut++;
		if (e->phase == PH_HEAD)
			log_held(cs, e->addr, "connection from %s cut: no complete header block in %u ms", e->addr,
				 cs->lim.header_ms);
		else
			log_held(cs, e->addr, "connection from %s cut: request body slower than %u bytes/s (%llu bytes in %lld ms)",
				 e->addr, cs->lim.min_rate, (unsigned long long)e->body, (long long)(now_ms - e->since));
	}
	log_flush(cs, now_ms, 0);
	pthread_mutex_unlock(&cs->lock);
	return cut;
}

static void *
sweeper(void *p)
{
	struct conns *cs = p;
	pthread_mutex_lock(&cs->lock);
	while (!cs->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cs->wake, &cs->lock, &ts);
		if (cs->stop)
			break;
		pthread_mutex_unlock(&cs->lock);
		conns_sweep(cs, conns_now_ms());
		pthread_mutex_lock(&cs->lock);
	}
	pthread_mutex_unlock(&cs->lock);
	return NULL;
}

int
conns_start(struct conns *cs)
{
	if (pthread_create(&cs->thread, NULL, sweeper, cs) != 0)
		return KN_EIO;
	cs->running = 1;
	return 0;
}

void
conns_free(struct conns *cs)
{
	if (!cs)
		return;
	if (cs->running) {
		pthread_mutex_lock(&cs->lock);
		cs->stop = 1;
		pthread_cond_signal(&cs->wake);
		pthread_mutex_unlock(&cs->lock);
		pthread_join(cs->thread, NULL);
	}
	while (cs->head)
		conns_close(cs, cs->head);
	log_flush(cs, conns_now_ms(), 1); /* what was held back is not lost at exit */
	pthread_mutex_destroy(&cs->lock);
	pthread_cond_destroy(&cs->wake);
	free(cs);
}
