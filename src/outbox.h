/* outbox.h: the durable queue of things to deliver (webhook calls, mails) in the state
 * database: at least once, with a stable id, retried with growing pauses for about a day,
 * claimed with a lease so that a crashed sender's work is taken up again. */
#ifndef KENNIS_OUTBOX_H
#define KENNIS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define OUTBOX_ID_MAX 64
#define OUTBOX_LEASE 120 /* seconds a claimed item is a sender's before others may take it */

enum outbox_kind { OUTBOX_WEBHOOK = 1, OUTBOX_MAIL = 2 };

struct outbox_item {
	char id[OUTBOX_ID_MAX + 1]; /* the webhook-id: the same on every try */
	int kind;                   /* enum outbox_kind */
	int64_t target;             /* webhook endpoint id, or user id for mail */
	char *payload;              /* JSON (webhook body, or the mail's parts); caller frees */
	int64_t created;
	int attempts;               /* tries before this one */
	int64_t order[2];           /* when due, and the queue's order: claims come sorted by it */
};

int outbox_db_init(struct db *db);

/* Queue an item due now. An id that is queued already is left as it is (events are
 * derived again after a crash; this makes that harmless): 0 either way, or KN_EIO. */
int outbox_add(struct db *db, const char *id, int kind, int64_t target, const char *payload, int64_t now);

/* Claim up to `max` items that are due at `now` and not claimed by a live sender; each is
 * leased for OUTBOX_LEASE seconds to `node` (this server: see outbox_release_all). Fills `items` (free each payload). Returns the number
 * claimed, or KN_EIO / KN_ELOCKED. On PostgreSQL two nodes never claim the same item
 * (FOR UPDATE SKIP LOCKED). */
int outbox_claim(struct db *db, struct outbox_item *items, int max, int64_t now, const char *node);

/* Give a claimed item back untried (it is due again at once). release_all gives back every
 * item `node` holds: what a server does as it starts, since its earlier self (the same data
 * directory, so the same node) is dead. The number, or KN_EIO. */
int outbox_release(struct db *db, const char *id);
int outbox_release_all(struct db *db, const char *node);

/* Record one try of a claimed item: delivered, or failed (`retry`: try again after the
 * next pause of the schedule, until it runs out; else give up at once). `status` is the
 * receiver's HTTP or SMTP code (0: none), `error` what went wrong, `ms` how long it took.
 * Every try is kept in the delivery log. */
int outbox_done(struct db *db, const struct outbox_item *it, int64_t now, int delivered, int retry, long status,
		const char *error, int ms);

/* Seconds until the next due item (0: one is due; -1: nothing queued). */
int64_t outbox_next_due(struct db *db, int64_t now);

/* The pause before try number `attempt` (1-based: the pause after the first failure is
 * outbox_backoff(1)); -1 when the schedule is over. */
int64_t outbox_backoff(int attempt);

/* Keep delivered items and log lines for `days`; older ones go (failed items stay until
 * an admin looks: they are few). Returns the number removed, or KN_EIO. */
int outbox_prune(struct db *db, int64_t now, int days);

/* One try of an item, from the delivery log. */
struct outbox_try {
	char item[OUTBOX_ID_MAX + 1];
	int64_t at;
	int attempt;
	long status;
	char error[256]; /* "" when it went through */
	int ms;
	int state;       /* the item's state now: 0 waiting, 1 delivered, 2 given up */
};

/* The latest tries for `kind` `target` (an endpoint, a user), newest first, at most `max`:
 * cb for each. 0 or KN_EIO. */
int outbox_tries(struct db *db, int kind, int64_t target, size_t max,
		 int (*cb)(const struct outbox_try *t, void *payload), void *payload);
/* How many items of `kind` `target` wait, and how many were given up. */
int outbox_counts(struct db *db, int kind, int64_t target, int64_t *waiting, int64_t *failed);
/* Try the given-up items of `kind` `target` again now, from the start of the schedule: the
 * number of items, or KN_EIO. */
int outbox_retry(struct db *db, int kind, int64_t target, int64_t now);

#endif
