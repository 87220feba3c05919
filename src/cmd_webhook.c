/* cmd_webhook.c: `kennis webhook add|list|del|test`. */
#include "cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "webhooks.h"

static const char usage[] =
	"usage: kennis webhook add  [--data DIR] URL [--secret whsec_...] [--customer C] [--department D]\n"
	"                           [--tag T] [--space S] [--events page.changed,...]\n"
	"       kennis webhook list [--data DIR]\n"
	"       kennis webhook del  [--data DIR] ID\n"
	"       kennis webhook test [--data DIR] [--allow-private] ID\n"
	"\n"
	"A webhook gets a signed JSON POST (Standard Webhooks: webhook-id, webhook-timestamp,\n"
	"webhook-signature) for every commit that changes pages it is interested in: all, or\n"
	"those about one customer, department, tag or space. Events: " WEBHOOK_EVENTS ".\n"
	"Without --secret a secret is made and shown once. 'test' sends a ping now and says\n"
	"what the receiver answered. Targets on private, loopback or link-local addresses are\n"
	"refused unless the server runs with --webhook-allow-private (or 'test --allow-private').\n";

struct opts {
	const char *data, *arg;
	const char *secret, *customer, *department, *tag, *space, *events;
	int allow_private;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->data = "data";
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = strcmp(a, "--data") == 0         ? &o->data
				    : strcmp(a, "--secret") == 0     ? &o->secret
				    : strcmp(a, "--customer") == 0   ? &o->customer
				    : strcmp(a, "--department") == 0 ? &o->department
				    : strcmp(a, "--tag") == 0        ? &o->tag
				    : strcmp(a, "--space") == 0      ? &o->space
				    : strcmp(a, "--events") == 0     ? &o->events
								     : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strcmp(a, "--allow-private") == 0)
			o->allow_private = 1;
		else if (slot) {
			if (!v) {
				fprintf(stderr, "kennis: %s needs a value\n", a);
				return -1;
			}
			*slot = v;
			i++;
		} else if (a[0] == '-' || o->arg) {
			fprintf(stderr, "kennis: unexpected argument '%s'\n%s", a, usage);
			return -1;
		} else
			o->arg = a;
	}
	return 0;
}

static int
copy(char *dst, size_t n, const char *src, const char *what)
{
	if (src && strlen(src) >= n) {
		fprintf(stderr, "kennis: --%s is too long\n", what);
		return -1;
	}
	snprintf(dst, n, "%s", src ? src : "");
	return 0;
}

static int
add(struct db *db, const struct opts *o)
{
	struct webhook_ep ep;
	struct buf why = BUF_INIT;
	memset(&ep, 0, sizeof(ep));
	if (copy(ep.url, sizeof(ep.url), o->arg, "url") < 0 || copy(ep.secret, sizeof(ep.secret), o->secret, "secret") < 0 ||
	    copy(ep.customer, sizeof(ep.customer), o->customer, "customer") < 0 ||
	    copy(ep.department, sizeof(ep.department), o->department, "department") < 0 ||
	    copy(ep.tag, sizeof(ep.tag), o->tag, "tag") < 0 || copy(ep.space, sizeof(ep.space), o->space, "space") < 0 ||
	    copy(ep.events, sizeof(ep.events), o->events, "events") < 0)
		return 1;
	int rc = webhook_ep_add(db, &ep, &why);
	if (rc < 0) {
		fprintf(stderr, "kennis: webhook not added: %s\n", why.len ? why.ptr : kn_strerror(rc));
		buf_free(&why);
		return 1;
	}
	printf("%lld\n", (long long)ep.id);
	fprintf(stderr, "kennis: webhook %lld -> %s (events: %s)%s%s\n", (long long)ep.id, ep.url, ep.events,
		o->secret ? "" : "\nkennis: its secret, shown only now: ", o->secret ? "" : ep.secret);
	buf_free(&why);
	return 0;
}

static int
list(struct db *db)
{
	struct webhook_ep *all = NULL;
	size_t n = 0;
	if (webhook_ep_list(db, &all, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		const struct webhook_ep *e = &all[i];
		printf("%-4lld %s events=%s", (long long)e->id, e->url, e->events);
		if (e->customer[0])
			printf(" customer=%s", e->customer);
		if (e->department[0])
			printf(" department=%s", e->department);
		if (e->tag[0])
			printf(" tag=%s", e->tag);
		if (e->space[0])
			printf(" space=%s", e->space);
		putchar('\n');
	}
	free(all);
	return 0;
}

static int
test(struct db *db, const struct opts *o, int64_t id)
{
	struct webhook_ep ep;
	struct webhook_result res;
	char msg_id[64], allow[16] = "";
	if (webhook_ep_get(db, id, &ep) < 0) {
		fprintf(stderr, "kennis: no webhook %lld\n", (long long)id);
		return 1;
	}
	int64_t now = (int64_t)time(NULL);
	snprintf(msg_id, sizeof(msg_id), "ping_%lld_%lld", (long long)id, (long long)now);
	json_t *j = json_pack("{s:s, s:I, s:{s:I, s:s}}", "type", "ping", "timestamp", (json_int_t)now, "data", "hook_id",
			      (json_int_t)id, "url", ep.url);
	char *body = json_dumps(j, JSON_COMPACT);
	conf_value(allow, sizeof(allow), o->data, "webhook-allow-private");
	int ok = webhook_post(&res, ep.url, ep.secret, msg_id, now, body, strlen(body),
			      o->allow_private || strcmp(allow, "on") == 0) == 0;
	if (ok)
		printf("kennis: webhook %lld answered %ld\n", (long long)id, res.status);
	else
		fprintf(stderr, "kennis: webhook %lld failed: %s\n", (long long)id, res.error);
	free(body);
	json_decref(j);
	return ok ? 0 : 1;
}

int
cmd_webhook(int argc, char **argv)
{
	struct opts o;
	struct db *db = NULL;
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	int p = parse(argc, argv, &o);
	if (p)
		return p > 0 ? 0 : 2;
	const char *sub = argv[1];
	int64_t id = o.arg ? strtoll(o.arg, NULL, 10) : 0;
	if ((strcmp(sub, "add") == 0 && !o.arg) || ((strcmp(sub, "del") == 0 || strcmp(sub, "test") == 0) && id <= 0) ||
	    (strcmp(sub, "add") != 0 && strcmp(sub, "del") != 0 && strcmp(sub, "test") != 0 && strcmp(sub, "list") != 0)) {
		fputs(usage, stderr);
		return 2;
	}
	char git[4096];
	snprintf(git, sizeof(git), "%s/wiki.git", o.data);
	if (access(git, F_OK) != 0 || state_open(&db, o.data, NULL) < 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory, or its state database does not open\n", o.data);
		return 1;
	}
	int rc;
	if (strcmp(sub, "add") == 0)
		rc = add(db, &o);
	else if (strcmp(sub, "list") == 0)
		rc = list(db);
	else if (strcmp(sub, "del") == 0) {
		rc = webhook_ep_del(db, id) < 0;
		if (rc)
			fprintf(stderr, "kennis: no webhook %lld\n", (long long)id);
		else
			printf("kennis: webhook %lld deleted\n", (long long)id);
	} else
		rc = test(db, &o, id);
	db_close(db);
	return rc;
}
