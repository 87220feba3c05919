/* webhooks.c: the registry of webhook endpoints. */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "spaces.h"

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE webhooks(id INTEGER PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL,"
	  "  customer TEXT NOT NULL, department TEXT NOT NULL, tag TEXT NOT NULL, space TEXT NOT NULL,"
	  "  events TEXT NOT NULL, created INTEGER NOT NULL);",
	  "CREATE TABLE webhooks(id BIGSERIAL PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL,"
	  "  customer TEXT NOT NULL, department TEXT NOT NULL, tag TEXT NOT NULL, space TEXT NOT NULL,"
	  "  events TEXT NOT NULL, created BIGINT NOT NULL);" },
};

int
webhooks_db_init(struct db *db)
{
	return db_migrate(db, "webhooks", schema, sizeof(schema) / sizeof(schema[0]));
}

/* Is [s, s+n) one of the comma-separated names in `list`? */
static int
in_list(const char *list, const char *s, size_t n)
{
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, s, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

int
webhook_events_check(const char *events)
{
	const char *p = events;
	if (!p || !*p || strlen(p) >= sizeof(((struct webhook_ep *)0)->events))
		return KN_EINVAL;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == 0 || !in_list(WEBHOOK_EVENTS, p, len))
			return KN_EINVAL;
		p += len + (p[len] == ',');
	}
	return 0;
}

int
webhook_wants(const char *wanted, const char *type)
{
	if (in_list(wanted, type, strlen(type)))
		return 1;
	/* page.changed stands for every page event; ping always reaches */
	return strcmp(type, "ping") == 0 || (strncmp(type, "page.", 5) == 0 && in_list(wanted, "page.changed", 12));
}

static int
filter_ok(const char *v)
{
	if (strlen(v) > WEBHOOK_FILTER_MAX || !utf8_valid(v, strlen(v)))
		return 0;
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
webhook_ep_add(struct db *db, struct webhook_ep *ep, struct buf *why)
{
	int64_t n = 0, id = 0;
	if (webhook_url_check(ep->url, why) < 0)
		return KN_EINVAL;
	if (!ep->secret[0])
		webhook_secret_new(ep->secret);
	else if (webhook_secret_check(ep->secret) < 0) {
		buf_puts(why, "the secret must be whsec_ and the base64 of 24 to 64 random bytes (leave it out to get one)");
		return KN_EINVAL;
	}
	if (!ep->events[0])
		snprintf(ep->events, sizeof(ep->events), "page.changed");
	if (webhook_events_check(ep->events) < 0) {
		buf_printf(why, "events are a comma-separated list of: %s", WEBHOOK_EVENTS);
		return KN_EINVAL;
	}
	if (!filter_ok(ep->customer) || !filter_ok(ep->department) || !filter_ok(ep->tag)) {
		buf_puts(why, "a filter is one line of UTF-8 text");
		return KN_EINVAL;
	}
	if (ep->space[0] && space_name_check(ep->space, 1) < 0) {
		buf_puts(why, "not a space name");
		return KN_EINVAL;
	}
	if (db_query_int(&n, db, "SELECT count(*) FROM webhooks", "") == 0 && n >= WEBHOOKS_MAX) {
		buf_printf(why, "at most %d webhooks", WEBHOOKS_MAX);
		return KN_ETOOBIG;
	}
	ep->created = (int64_t)time(NULL);
	int rc = db_query_int(&id, db,
			      "INSERT INTO webhooks(url, secret, customer, department, tag, space, events, created) "
			      "VALUES($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
			      "sssssssi", ep->url, ep->secret, ep->customer, ep->department, ep->tag, ep->space, ep->events,
			      ep->created);
	if (rc < 0)
		return rc;
	ep->id = id;
	return 0;
}

int
webhook_ep_del(struct db *db, int64_t id)
{
	int rc = db_exec(db, "DELETE FROM webhooks WHERE id = $1", "i", id);
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

#define EP_COLS "id, url, secret, customer, department, tag, space, events, created"

static void
fill(struct db_res *r, struct webhook_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->id = db_col_int(r, 0);
	snprintf(ep->url, sizeof(ep->url), "%s", db_col_text(r, 1));
	snprintf(ep->secret, sizeof(ep->secret), "%s", db_col_text(r, 2));
	snprintf(ep->customer, sizeof(ep->customer), "%s", db_col_text(r, 3));
	snprintf(ep->department, sizeof(ep->department), "%s", db_col_text(r, 4));
	snprintf(ep->tag, sizeof(ep->tag), "%s", db_col_text(r, 5));
	snprintf(ep->space, sizeof(ep->space), "%s", db_col_text(r, 6));
	snprintf(ep->events, sizeof(ep->events), "%s", db_col_text(r, 7));
	ep->created = db_col_int(r, 8);
}

int
webhook_ep_get(struct db *db, int64_t id, struct webhook_ep *out)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db, "SELECT " EP_COLS " FROM webhooks WHERE id = $1", "i", id);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1)
		fill(r, out);
	db_res_free(r);
	return rc == 1 ? 0 : rc == 0 ? KN_ENOTFOUND : rc;
}

int
webhook_ep_list(struct db *db, struct webhook_ep **out, size_t *n)
{
	struct db_res *r = NULL;
	size_t cap = 4;
	*n = 0;
	*out = xcalloc(cap, sizeof(**out));
	int rc = db_query(&r, db, "SELECT " EP_COLS " FROM webhooks ORDER BY id", "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof(**out));
		fill(r, &(*out)[(*n)++]);
		rc = 0;
	}
	db_res_free(r);
	return rc < 0 ? rc : 0;
}
