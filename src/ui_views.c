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

/* One row of "SELECT name, title, updated_time, updated_offset, updated_author, owner,
 * review_by" as a list item. */
static void
page_row(struct tctx *it, sqlite3_stmt *st)
{
	tset(it, "name", (const char *)sqlite3_column_text(st, 0));
	tset(it, "pagetitle", (const char *)sqlite3_column_text(st, 1));
	set_when(it, "date", sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3));
	tset(it, "author", (const char *)sqlite3_column_text(st, 4));
	tset(it, "owner", (const char *)sqlite3_column_text(st, 5));
	tset(it, "review_by", (const char *)sqlite3_column_text(st, 6));
}
#define PAGE_COLS "p.name, p.title, p.updated_time, p.updated_offset, p.updated_author, p.owner, p.review_by"

/* A list of (value, count, newest change) groups: customers, tags or departments. */
static int
group_list(struct req *r, const char *title, const char *tmpl, const char *sql)
{
	sqlite3 *db = ui_index_db(r);
	sqlite3_stmt *st = NULL;
	if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("%s: index query failed: %s", r->path, db ? sqlite3_errmsg(db) : "no index");
		return KN_EIO;
	}
	struct tctx *c = ui_context(r, title);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct tctx *it = tadd(c, "groups");
		tset(it, "value", (const char *)sqlite3_column_text(st, 0));
		tsetf(it, "count", "%d", sqlite3_column_int(st, 1));
		set_when(it, "date", sqlite3_column_int64(st, 2), 0);
		tset(c, "has_groups", "1");
	}
	sqlite3_finalize(st);
	tset(c, "kind", tmpl);
	return ui_render(r, "groups", c);
}

int
ui_customers(struct req *r)
{
	return group_list(r, "Customers", "customer",
			  "SELECT c, count(*), max(t) FROM (SELECT " CUSTOMER_SQL " AS c, p.updated_time AS t FROM pages p "
			  "WHERE p.hidden = 0) WHERE c <> '' GROUP BY c COLLATE NOCASE ORDER BY c COLLATE NOCASE");
}

int
ui_tags(struct req *r)
{
	return group_list(r, "Tags", "tag",
			  "SELECT t.tag, count(*), max(p.updated_time) FROM tags t JOIN pages p ON p.path = t.path "
			  "WHERE p.hidden = 0 GROUP BY t.tag COLLATE NOCASE ORDER BY t.tag COLLATE NOCASE");
}

int
ui_departments(struct req *r)
{
	return group_list(r, "Departments", "department",
			  "SELECT d.dept, count(*), max(p.updated_time) FROM departments d JOIN pages p ON p.path = d.path "
			  "WHERE p.hidden = 0 GROUP BY d.dept COLLATE NOCASE ORDER BY d.dept COLLATE NOCASE");
}

/* Pages matching one value; grouped by column 7 when `group_empty` (the label of the group
 * with no value) is given. */
static int
page_list(struct req *r, const char *title, const char *feed_kind, const char *sql, const char *value,
	  const char *group_empty, void (*extra)(struct req *r, struct tctx *c, const char *value))
{
	sqlite3 *db = ui_index_db(r);
	sqlite3_stmt *st = NULL;
	if (!value || !*value || strlen(value) > 200 || !utf8_valid(value, strlen(value)))
		return KN_EINVAL;
	if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("%s: index query failed: %s", r->path, db ? sqlite3_errmsg(db) : "no index");
		return KN_EIO;
	}
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
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
	char cur[256] = "\\1";
	const char **names = NULL; /* a page in several sections counts once */
	size_t n = 0, cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* column 7, when the query has one, names the section (department, owner) */
		const char *dept = group_empty ? (const char *)sqlite3_column_text(st, 7) : "";
		if (!group || strcmp(cur, dept) != 0) {
			group = tadd(c, "sections");
			tset(group, "section", *dept ? dept : group_empty ? group_empty : "");
			snprintf(cur, sizeof(cur), "%s", dept);
		}
		page_row(tadd(group, "pages"), st);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = arena_strdup(r->a, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || strcmp(names[i - 1], names[i]) != 0;
	free(names);
	tsetf(c, "count", "%zu", distinct);
	tset(c, "pages_word", distinct == 1 ? "page" : "pages");
	if (n)
		tset(c, "has_pages", "1");
	if (extra)
		extra(r, c, value);
	return ui_render(r, "pagelist", c);
}

int
ui_customer(struct req *r)
{
	/* /customer/Acme-Corp and /customer/Acme%20Corp both mean "Acme Corp" */
	char *value = arena_strdup(r->a, r->rest ? r->rest : "");
	for (char *p = value; *p; p++)
		if (*p == '-')
			*p = ' ';
	return page_list(r, "Customer", "customer",
			 "SELECT " PAGE_COLS ", coalesce(d.dept, '') FROM pages p LEFT JOIN departments d ON d.path = p.path "
			 "WHERE p.hidden = 0 AND (" CUSTOMER_SQL ") = ?1 COLLATE NOCASE "
			 "ORDER BY coalesce(d.dept, '') = '', coalesce(d.dept, '') COLLATE NOCASE, p.updated_time DESC",
			 value, "all departments", ui_who_knows);
}

int
ui_tag(struct req *r)
{
	return page_list(r, "Tag", "tag",
			 "SELECT " PAGE_COLS " FROM pages p JOIN tags t ON t.path = p.path WHERE p.hidden = 0 "
			 "AND t.tag = ?1 COLLATE NOCASE ORDER BY p.updated_time DESC",
			 r->rest, NULL, NULL);
}

int
ui_department(struct req *r)
{
	return page_list(r, "Department", "department",
			 "SELECT " PAGE_COLS " FROM pages p JOIN departments d ON d.path = p.path WHERE p.hidden = 0 "
			 "AND d.dept = ?1 COLLATE NOCASE ORDER BY p.updated_time DESC",
			 r->rest, NULL, NULL);
}

int
ui_stale(struct req *r)
{
	char today[16];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	/* grouped by owner: the "department" column of page_list carries the owner here */
	return page_list(r, "Due for review", NULL,
			 "SELECT " PAGE_COLS ", p.owner FROM pages p WHERE p.hidden = 0 AND p.review_by <> '' "
			 "AND p.review_by < ?1 ORDER BY p.owner = '', p.owner COLLATE NOCASE, p.review_by",
			 today, "no owner", NULL);
}
