/* webhooks.h: the endpoints admins register (URL, secret, filters, events) in the state
 * database, and which of them an event goes to. */
#ifndef KENNIS_WEBHOOKS_H
#define KENNIS_WEBHOOKS_H

#include <stdint.h>

#include "db.h"
#include "webhook.h"

#define WEBHOOK_FILTER_MAX 200
#define WEBHOOKS_MAX 100

/* The events an endpoint may ask for; "page.changed" is any of the page events. */
#define WEBHOOK_EVENTS "page.changed,page.created,page.edited,page.deleted,page.renamed,ping"

struct webhook_ep {
	int64_t id;
	char url[WEBHOOK_URL_MAX + 1];
	char secret[WEBHOOK_SECRET_MAX + 1];
	/* "" = any; else the event must match (case-insensitively for names) */
	char customer[WEBHOOK_FILTER_MAX + 1], department[WEBHOOK_FILTER_MAX + 1], tag[WEBHOOK_FILTER_MAX + 1];
	char space[33];
	char events[128];  /* comma-separated, from WEBHOOK_EVENTS */
	int64_t created;
};

int webhooks_db_init(struct db *db);

/* Is `events` a comma-separated list of names from WEBHOOK_EVENTS? 0 or KN_EINVAL. */
int webhook_events_check(const char *events);
/* Does an endpoint that asked for `wanted` want event `type` ("page.edited")? */
int webhook_wants(const char *wanted, const char *type);

/* Register `ep` (url, secret, filters, events; a secret is made when ep->secret is "").
 * Sets ep->id. 0, KN_EINVAL (`why` says why), KN_ETOOBIG, KN_EIO. */
int webhook_ep_add(struct db *db, struct webhook_ep *ep, struct buf *why);
int webhook_ep_del(struct db *db, int64_t id);
int webhook_ep_get(struct db *db, int64_t id, struct webhook_ep *out);
/* All endpoints by id; caller frees *out. */
int webhook_ep_list(struct db *db, struct webhook_ep **out, size_t *n);

#endif
