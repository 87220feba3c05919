/* ui_views.c: views built from front matter in the index: customers (the customer 360),
 * tags, departments, and pages due for review. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "pagename.h"


static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
set_when(struct tctx *c, const char *key, int64_t t, int offset)
{
	char when[64];
	ui_format_time(when, sizeof(when), t, offset);
	tset(c, key, when);
}

/* One page as a list item (a page of a space outside the wiki with its lock and space). */
static void
page_row(struct req *r, struct tctx *it, const struct index_page *p)
{
	ui_space_vars(r, it, p->space);
	tset(it, "name", p->name);
	tset(it, "pagetitle", p->title);
	set_when(it, "date", p->updated_time, p->updated_offset);
	tset(it, "author", p->updated_author);
	tset(it, "owner", p->owner);
	tset(it, "review_by", p->review_by);
}

/* A list of (value, count, newest change) groups: customers, tags or departments. */
static int
value_list(struct req *r, const char *title, const char *tmpl, enum index_key key)
{
	struct index *ix = ui_index(r);
	struct index_groups g;
	int rc = ix ? index_groups(&g, ix, ui_scope(r), key, r->a) : KN_EIO;
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, title);
	for (size_t i = 0; i < g.n; i++) {
		struct tctx *it = tadd(c, "groups");
		tset(it, "value", g.v[i].value);
		tsetf(it, "count", "%u", g.v[i].pages);
		set_when(it, "date", g.v[i].newest, 0);
		tset(c, "has_groups", "1");
	}
	tset(c, "kind", tmpl);
	return ui_render(r, "groups", c);
}

int
ui_customers(struct req *r)
{
	return value_list(r, "Customers", "customer", INDEX_CUSTOMER);
}

int
ui_tags(struct req *r)
{
	return value_list(r, "Tags", "tag", INDEX_TAG);
}

int
ui_departments(struct req *r)
{
	return value_list(r, "Departments", "department", INDEX_DEPT);
}

/* The pages `pl` (of `value`: a customer, tag, department or date) as a list, in sections
 * when `group_empty` (the label of the section with no value) is given. */
static int
page_list(struct req *r, const char *title, const char *feed_kind, const struct index_pages *pl, const char *value,
	  const char *group_empty, void (*extra)(struct req *r, struct tctx *c, const char *value))
{
	struct tctx *c = ui_context(r, title);
	tset(c, "value", value);
	if (feed_kind) {
		struct buf feed = BUF_INIT;
		buf_printf(&feed, "/feed/%s/", feed_kind);
		url_escape(&feed, value, strlen(value), 0);
		tset(c, "feed", feed.ptr);
		tset(c, "recent", arena_printf(r->a, "/recent?%s=%s", feed_kind, feed.ptr + strlen(feed_kind) + 7));
		buf_free(&feed);
	}
	struct tctx *group = NULL;
	const char *cur = NULL;
	const char **names = xmalloc((pl->n ? pl->n : 1) * sizeof(*names)); /* a page in several sections counts once */
	for (size_t i = 0; i < pl->n; i++) {
		const char *section = group_empty ? pl->v[i].section : "";
		if (!group || strcmp(cur, section) != 0) {
			group = tadd(c, "sections");
			tset(group, "section", *section ? section : group_empty ? group_empty : "");
			cur = section;
		}
		page_row(r, tadd(group, "pages"), &pl->v[i]);
		/* a page in several sections counts once (its space is part of who it is) */
		names[i] = arena_printf(r->a, "%s\t%s", pl->v[i].space, pl->v[i].name);
	}
	if (pl->n > 1)
		qsort(names, pl->n, sizeof(*names), cmp_str);
	size_t distinct = 0;
	for (size_t i = 0; i < pl->n; i++)
		distinct += i == 0 || strcmp(names[i - 1], names[i]) != 0;
	free(names);
	tsetf(c, "count", "%zu", distinct);
	tset(c, "pages_word", distinct == 1 ? "page" : "pages");
	if (pl->n)
		tset(c, "has_pages", "1");
	if (extra)
		extra(r, c, value);
	return ui_render(r, "pagelist", c);
}

/* The pages of customer (tag, department) `value` from the address. */
static int
pages_with(struct req *r, const char *title, const char *feed_kind, enum index_key key, const char *value,
	   const char *group_empty, void (*extra)(struct req *r, struct tctx *c, const char *value))
{
	struct index *ix = ui_index(r);
	struct index_pages pl;
	if (!value || !*value || strlen(value) > 200 || !utf8_valid(value, strlen(value)))
		return KN_EINVAL;
	int rc = ix ? index_pages_with(&pl, ix, ui_scope(r), key, value, r->a) : KN_EIO;
	return rc < 0 ? rc : page_list(r, title, feed_kind, &pl, value, group_empty, extra);
}

int
ui_customer(struct req *r)
{
	/* /customer/Acme-Corp and /customer/Acme%20Corp both mean "Acme Corp" */
	char *value = arena_strdup(r->a, r->rest ? r->rest : "");
	for (char *p = value; *p; p++)
		if (*p == '-')
			*p = ' ';
	return pages_with(r, "Customer", "customer", INDEX_CUSTOMER, value, "all departments", ui_who_knows);
}

int
ui_tag(struct req *r)
{
	return pages_with(r, "Tag", "tag", INDEX_TAG, r->rest, NULL, NULL);
}

int
ui_department(struct req *r)
{
	return pages_with(r, "Department", "department", INDEX_DEPT, r->rest, NULL, NULL);
}

int
ui_stale(struct req *r)
{
	char today[16];
	ui_today(today);
	struct index *ix = ui_index(r);
	struct index_pages pl;
	int rc = ix ? index_pages_due(&pl, ix, ui_scope(r), today, r->a) : KN_EIO;
	/* in sections by owner */
	return rc < 0 ? rc : page_list(r, "Due for review", NULL, &pl, today, "no owner", NULL);
}
