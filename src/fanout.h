/* fanout.h: from commits to deliveries. The fan-out thread follows each space's main from a
 * cursor in the state database. For each new commit (oldest first, along first parents) it
 * reads what the commit did to the pages (events.c) and, in one transaction with the
 * cursor's step, queues a webhook call for each endpoint that wants it, a mail for each
 * watcher who asked to hear at once, and a notice for every watcher (their feed and their
 * daily digest). Whoever receives anything may read the space; the author of a change is
 * never told of it. A crash between two commits repeats nothing and loses nothing: the
 * cursor moves with the queue, and a queued id is queued once. */
#ifndef KENNIS_FANOUT_H
#define KENNIS_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define FANOUT_BEHIND_MAX 500 /* commits behind beyond which a space skips ahead unannounced */
#define NOTICE_KEEP_DAYS 90
#define DIGEST_ITEMS_MAX 200  /* lines in one digest; the rest are counted */

struct fanout_settings {
	const char *data_dir;
	const char *db_url;   /* state database (NULL: DATA/kennis.db) */
	const char *base_url; /* absolute links in mails and payloads ("http://host:port", no '/' at the end) */
	int mail;             /* a mail server is set: queue mails (else watchers have their feed only) */
	int digest_minute;    /* minute of the local day at which digests go (-1: none) */
	int behind_max;       /* 0: FANOUT_BEHIND_MAX */
};

int fanout_db_init(struct db *db);

/* Start the fan-out thread (it runs until fanout_stop). 0 or KN_EIO. */
int fanout_start(const struct fanout_settings *s);
/* Something may have moved (a save, a push): look now instead of at the next poll. */
void fanout_wake(void);
void fanout_stop(void);

/* One pass over every space: what the thread does each time it wakes (for tests and
 * `kennis notify`). Returns the number of commits announced, or KN_EIO. */
int fanout_pass(struct db *db, const struct fanout_settings *s, int64_t now);
/* Send today's digests if it is time and no node has sent them yet: the number of digest
 * mails queued, or KN_EIO. `force` sends now whatever the hour (tests, `kennis notify --digest`). */
int fanout_digest(struct db *db, const struct fanout_settings *s, int64_t now, int force);

/* The base URL the server last said it has (links in mails queued by `kennis notify`). */
void fanout_base_url(struct db *db, char *out, size_t n);

/* One notice: a page change a user follows. */
struct notice {
	int64_t id;
	char space[33];
	char commit[41];
	char page[1024];
	char title[256];
	char action[16];
	char author[128];
	char message[256]; /* the commit message's first line */
	char reason[256];  /* "customer Acme Corp", "page Customers/Acme/Pricing", ... */
	int64_t at;
};
/* A user's latest notices, newest first, at most `max` (ids below `before` when > 0). */
int notice_list(struct db *db, int64_t uid, int64_t before, size_t max,
		int (*cb)(const struct notice *n, void *payload), void *payload);

/* The unsubscribe link's signature of (user, watch) (watch 0: every digest watch), and its
 * check (constant time): 0 or KN_EINVAL. `sig` is FANOUT_SIG_LEN + 1 bytes. */
#define FANOUT_SIG_LEN 43
int fanout_unsub_sign(struct db *db, int64_t uid, int64_t wid, char *sig);
int fanout_unsub_check(struct db *db, int64_t uid, int64_t wid, const char *sig);

#endif
