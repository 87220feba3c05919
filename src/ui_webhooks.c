/* ui_webhooks.c: /admin/webhooks: the endpoints (the web side of `kennis webhook`), each with
 * its delivery log, what waits and what was given up (and a button to try that again). */
#include "ui.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "notify.h"
#include "outbox.h"
#include "webhooks.h"

#define TRIES_SHOWN 20

struct tries_ctx {
	struct req *r;
	struct tctx *it;
};

static int
add_try(const struct outbox_try *t, void *payload)
{
	struct tries_ctx *tc = payload;
	struct tctx *row = tadd(tc->it, "tries");
	char when[64];
	ui_format_time(when, sizeof(when), t->at, 0);
	tset(row, "when", when);
	tset(row, "item", t->item);
	tsetf(row, "attempt", "%d", t->attempt);
	tsetf(row, "ms", "%d", t->ms);
	if (t->status)
		tsetf(row, "status", "%ld", t->status);
	tset(row, "error", t->error[0] ? t->error : NULL);
	tset(row, t->error[0] ? (t->state == 2 ? "gave_up" : "will_retry") : "ok", "1");
	tset(tc->it, "has_tries", "1");
	return 0;
}

static int
webhooks_page(struct req *r, int err, const char *notice, const char *secret)
{
	struct db *db = access_db(r->cfg);
	struct webhook_ep *all = NULL;
	size_t n = 0;
	if (!db || webhook_ep_list(db, &all, &n) < 0)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Webhooks");
	tset(c, "notice", notice);
	tset(c, "new_secret", secret);
	tset(c, "events", WEBHOOK_EVENTS);
	for (size_t i = 0; i < n; i++) {
		const struct webhook_ep *e = &all[i];
		struct tctx *it = tadd(c, "hooks");
		int64_t waiting = 0, failed = 0;
		tsetf(it, "id", "%lld", (long long)e->id);
		tset(it, "url", e->url);
		tset(it, "events_of", e->events);
		tset(it, "customer", e->customer[0] ? e->customer : NULL);
		tset(it, "department", e->department[0] ? e->department : NULL);
		tset(it, "tag", e->tag[0] ? e->tag : NULL);
		tset(it, "space", e->space[0] ? e->space : NULL);
		outbox_counts(db, OUTBOX_WEBHOOK, e->id, &waiting, &failed);
		tsetf(it, "waiting", "%lld", (long long)waiting);
		if (failed)
			tsetf(it, "failed", "%lld", (long long)failed);
		struct tries_ctx tc = { r, it };
		outbox_tries(db, OUTBOX_WEBHOOK, e->id, TRIES_SHOWN, add_try, &tc);
		tset(c, "has_hooks", "1");
	}
	free(all);
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "webhooks", c);
}

int
ui_admin_webhooks(struct req *r)
{
	return webhooks_page(r, 0, NULL, NULL);
}

/* A form field into a fixed field of an endpoint; KN_EINVAL when it does not fit. */
static int
field(char *dst, size_t n, const char *v)
{
	v = v ? v : "";
	while (*v == ' ')
		v++;
	if (strlen(v) >= n)
		return KN_EINVAL;
	snprintf(dst, n, "%s", v);
	return 0;
}

int
ui_admin_webhooks_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *action = req_form(r, "action"), *ids = req_form(r, "id");
	int64_t id = ids ? strtoll(ids, NULL, 10) : 0, now = (int64_t)time(NULL);
	const char *who = r->user ? r->user->name : "-";
	if (!db || !action)
		return db ? KN_EINVAL : KN_EIO;
	if (strcmp(action, "add") == 0) {
		struct webhook_ep ep;
		struct buf why = BUF_INIT;
		memset(&ep, 0, sizeof(ep));
		const char *events = req_form(r, "events");
		if (field(ep.url, sizeof(ep.url), req_form(r, "url")) < 0 ||
		    field(ep.secret, sizeof(ep.secret), req_form(r, "secret")) < 0 ||
		    field(ep.customer, sizeof(ep.customer), req_form(r, "customer")) < 0 ||
		    field(ep.department, sizeof(ep.department), req_form(r, "department")) < 0 ||
		    field(ep.tag, sizeof(ep.tag), req_form(r, "tag")) < 0 ||
		    field(ep.space, sizeof(ep.space), req_form(r, "space")) < 0 ||
		    field(ep.events, sizeof(ep.events), events && *events ? events : "page.changed") < 0)
			return webhooks_page(r, KN_EINVAL, "Not added: a field is too long.", NULL);
		int given = ep.secret[0] != 0;
		int rc = webhook_ep_add(db, &ep, &why);
		if (rc < 0) {
			const char *msg = arena_printf(r->a, "Not added: %s", why.len ? why.ptr : kn_strerror(rc));
			log_warn("admin webhooks by %s: add %s refused: %s", who, ep.url, why.len ? why.ptr : kn_strerror(rc));
			buf_free(&why);
			return webhooks_page(r, rc == KN_EIO ? KN_EIO : KN_EINVAL, msg, NULL);
		}
		buf_free(&why);
		log_info("admin webhooks by %s: added %lld -> %s", who, (long long)ep.id, ep.url);
		return webhooks_page(r, 0,
				     given ? arena_printf(r->a, "Webhook %lld added.", (long long)ep.id)
					   : arena_printf(r->a, "Webhook %lld added. Its secret is below; give it to the "
								"receiver now: it is not shown again.", (long long)ep.id),
				     given ? NULL : arena_strdup(r->a, ep.secret));
	}
	struct webhook_ep ep;
	if (id <= 0 || webhook_ep_get(db, id, &ep) < 0)
		return KN_ENOTFOUND;
	if (strcmp(action, "del") == 0) {
		if (webhook_ep_del(db, id) < 0)
			return KN_EIO;
		log_info("admin webhooks by %s: deleted %lld (%s)", who, (long long)id, ep.url);
		return webhooks_page(r, 0, arena_printf(r->a, "Webhook %lld deleted.", (long long)id), NULL);
	}
	if (strcmp(action, "test") == 0) {
		/* queued like any event: the request does not wait for the receiver */
		char msg_id[OUTBOX_ID_MAX + 1];
		snprintf(msg_id, sizeof(msg_id), "ping_%lld_%lld", (long long)id, (long long)now);
		json_t *j = json_pack("{s:s, s:I, s:{s:I, s:s}}", "type", "ping", "timestamp", (json_int_t)now, "data",
				      "hook_id", (json_int_t)id, "url", ep.url);
		char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		int rc = body ? outbox_add(db, msg_id, OUTBOX_WEBHOOK, id, body, now) : KN_EIO;
		free(body);
		if (rc < 0)
			return KN_EIO;
		notify_wake();
		return webhooks_page(r, 0, "A ping is on its way: reload to see what the receiver answered.", NULL);
	}
	if (strcmp(action, "retry") == 0) {
		int n = outbox_retry(db, OUTBOX_WEBHOOK, id, now);
		if (n < 0)
			return KN_EIO;
		notify_wake();
		log_info("admin webhooks by %s: %d given-up deliveries of %lld tried again", who, n, (long long)id);
		return webhooks_page(r, 0, arena_printf(r->a, "%d deliver%s tried again.", n, n == 1 ? "y is" : "ies are"),
				     NULL);
	}
	return KN_EINVAL;
}
