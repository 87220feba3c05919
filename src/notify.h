/* notify.h: the sender threads that deliver the outbox (webhooks, mails) in the
 * background, so that no save or push ever waits for a receiver. */
#ifndef KENNIS_NOTIFY_H
#define KENNIS_NOTIFY_H

#include "mailer.h"

struct notify_settings {
	const char *data_dir;
	const char *db_url;      /* state database (NULL: DATA/kennis.db) */
	struct mail_server smtp; /* url NULL: no mail is sent (mail items wait, then fail) */
	int allow_private;       /* --webhook-allow-private */
	int senders;             /* threads (default 2) */
};

/* Start the senders; they run until notify_stop. 0 or KN_EIO. */
int notify_start(const struct notify_settings *s);
/* Something was queued: senders look now instead of at their next timer. */
void notify_wake(void);
/* Stop the senders (each finishes the item in hand). */
void notify_stop(void);

/* Deliver one claimed item now (what a sender does; for tests and `webhook test`):
 * 0 delivered, else KN_EIO after recording the try. */
struct db;
struct outbox_item;
int notify_deliver(struct db *db, const struct notify_settings *s, struct outbox_item *it);

#endif
