/* ui_recent.c: recent changes across the wiki (web and push alike) and Atom feeds of them:
 * all changes, one page, one customer, one tag, one department. */
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "pagename.h"
#include "reqspace.h"

#define RECENT_MAX 50      /* entries on a page or in a feed */

struct change {
	const char *hex;
	const char *space; /* the page's space */
	const char *name, *author, *summary;
	int64_t time;
	int offset;
	char kind; /* 'A', 'M', 'D' (a rename shows as a change of the new name) */
};

struct changes {
	struct change *v;
	size_t n;
};

/* Which changes the request asks for: ?customer= / ?tag= / ?department= (also the feed
 * paths /feed/<kind>/<value>), or one page; *label names it. From the history the index
 * records (a walk over up to 5,000 commits of git history before; docs/scale.md). With
 * `whole`, a history the index does not have complete yet is the answer's business: a
 * 503 page (ui_index_complete); else what there is. */
static int
select_changes(struct req *r, const char *kind, const char *value, struct changes *out, const char **label, int whole)
{
	static const struct { const char *kind; enum index_key key; } kinds[] = {
		{ "customer", INDEX_CUSTOMER }, { "tag", INDEX_TAG }, { "department", INDEX_DEPT },
	};
	struct buf path = BUF_INIT;
	struct index_changes ic;
	enum index_key key = INDEX_KEYS;
	int rc;
	*label = NULL;
	memset(out, 0, sizeof(*out));
	if (kind && strcmp(kind, "page") == 0) {
		if (pagename_check(value, strlen(value)) < 0)
			return KN_EINVAL;
		pagename_to_path(&path, value);
		*label = arena_printf(r->a, "page %s", value);
	} else if (kind) {
		if (!value || !*value || strlen(value) > 200 || !utf8_valid(value, strlen(value)))
			return KN_EINVAL;
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(kind, kinds[i].kind) == 0)
				key = kinds[i].key;
		if (key == INDEX_KEYS)
			return KN_EINVAL;
		*label = arena_printf(r->a, "%s %s", kind, value);
	}
	struct index *ix = ui_index(r);
	if (!ix) {
		buf_free(&path);
		return KN_EIO;
	}
	if (whole && (rc = ui_index_complete(r, ix)) < 0) {
		buf_free(&path);
		return rc;
	}
	/* one page: of the request's space; else of every space the viewer may read, or under
	 * /s/NAME/ of that space alone */
	const char *space = path.len ? ui_space_name(r) : r->space ? r->space->name : NULL;
	rc = index_recent_changes(&ic, ix, r->space ? ui_scope_here(r) : ui_scope(r), space, key,
				  key == INDEX_KEYS ? NULL : value, path.len ? path.ptr : NULL, RECENT_MAX, r->a);
	buf_free(&path);
	if (rc < 0)
		return rc;
	out->v = arena_alloc(r->a, (ic.n ? ic.n : 1) * sizeof(*out->v));
	for (size_t i = 0; i < ic.n; i++) {
		const struct index_change *e = &ic.v[i];
		struct buf name = BUF_INIT;
		if (pagename_from_path(&name, e->path, strlen(e->path)) < 0) {
			buf_free(&name);
			continue;
		}
		out->v[out->n++] = (struct change){
			.hex = e->id,
			.space = e->space,
			.name = arena_strdup(r->a, name.ptr),
			.author = e->author,
			.summary = e->summary,
			.time = e->time,
			.offset = e->offset,
			.kind = e->change == 'R' ? 'M' : e->change,
		};
		buf_free(&name);
	}
	return 0;
}

static const char *
query_filter(struct req *r, const char **value)
{
	static const char *kinds[] = { "customer", "tag", "department" };
	for (size_t i = 0; i < 3; i++)
		if ((*value = req_query(r, kinds[i])) && **value)
			return kinds[i];
	*value = NULL;
	return NULL;
}

int
ui_recent(struct req *r)
{
	struct changes ch;
	const char *value, *label, *kind = query_filter(r, &value);
	int rc = select_changes(r, kind, value, &ch, &label, 1);
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Recent changes");
	tset(c, "filter", label);
	tset(c, "feed", kind ? arena_printf(r->a, "/feed/%s/%s", kind, value) : "/feed");
	for (size_t i = 0; i < ch.n; i++) {
		struct tctx *it = tadd(c, "changes");
		char when[64];
		ui_format_time(when, sizeof(when), ch.v[i].time, ch.v[i].offset);
		ui_space_vars(r, it, ch.v[i].space);
		tset(it, "name", ch.v[i].name);
		tset(it, "id", ch.v[i].hex);
		tset(it, "author", ch.v[i].author);
		tset(it, "summary", ch.v[i].summary);
		tset(it, "date", when);
		tset(it, "kind", ch.v[i].kind == 'A' ? "new" : ch.v[i].kind == 'D' ? "deleted" : "");
	}
	if (ch.n)
		tset(c, "has_changes", "1");
	resp_header(r, "Cache-Control", "no-cache");
	return ui_render(r, "recent", c);
}

static void
xml_put(struct buf *out, const char *s)
{
	/* XML 1.0 forbids most control bytes even escaped: drop them */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			continue;
		html_escape(out, (const char *)p, 1);
	}
}

static void
rfc3339(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ui_feed(struct req *r)
{
	/* /feed, /feed/page/<name>, /feed/customer/<c>, /feed/tag/<t>, /feed/department/<d> */
	const char *rest = r->rest, *kind = NULL, *value = NULL, *label;
	struct changes ch;
	if (*rest == '/')
		rest++;
	if (*rest) {
		const char *slash = strchr(rest, '/');
		if (!slash)
			return KN_ENOTFOUND;
		kind = arena_strndup(r->a, rest, (size_t)(slash - rest));
		value = slash + 1;
		if (strcmp(kind, "page") && strcmp(kind, "customer") && strcmp(kind, "tag") && strcmp(kind, "department"))
			return KN_ENOTFOUND;
	}
	int rc = select_changes(r, kind, value, &ch, &label, 1);
	if (rc < 0)
		return rc;
	const char *base = req_base_url(r); /* never the Host header: the client chooses it */
	char when[32];
	struct buf *o = &r->out;
	buf_puts(o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>");
	xml_put(o, label ? arena_printf(r->a, "kennis: changes to %s", label) : "kennis: recent changes");
	buf_puts(o, "</title>\n<id>");
	xml_put(o, base);
	xml_put(o, r->path);
	buf_puts(o, "</id>\n<link rel=\"self\" href=\"");
	xml_put(o, base);
	url_escape(o, r->path, strlen(r->path), 1);
	buf_puts(o, "\"/>\n<link href=\"");
	xml_put(o, base);
	buf_puts(o, "/recent\"/>\n<updated>");
	rfc3339(when, sizeof(when), ch.n ? ch.v[0].time : 0);
	buf_puts(o, when);
	buf_puts(o, "</updated>\n");
	for (size_t i = 0; i < ch.n; i++) {
		struct change *e = &ch.v[i];
		buf_puts(o, "<entry>\n<title>");
		xml_put(o, e->name);
		buf_puts(o, e->kind == 'A' ? " (new): " : e->kind == 'D' ? " (deleted): " : ": ");
		xml_put(o, e->summary);
		buf_puts(o, "</title>\n<id>tag:kennis,2026:");
		buf_puts(o, e->hex);
		buf_putc(o, '/');
		url_escape(o, e->name, strlen(e->name), 1);
		buf_puts(o, "</id>\n<link href=\"");
		xml_put(o, base);
		xml_put(o, reqspace_base(r, e->space));
		buf_puts(o, "/diff/");
		url_escape(o, e->name, strlen(e->name), 1);
		buf_printf(o, "?to=%s\"/>\n<updated>", e->hex);
		rfc3339(when, sizeof(when), e->time);
		buf_puts(o, when);
		buf_puts(o, "</updated>\n<author><name>");
		xml_put(o, *e->author ? e->author : "unknown");
		buf_puts(o, "</name></author>\n<summary>");
		xml_put(o, e->summary);
		buf_puts(o, "</summary>\n</entry>\n");
	}
	buf_puts(o, "</feed>\n");
	r->content_type = "application/atom+xml; charset=utf-8";
	resp_header(r, "Cache-Control", "no-cache");
	return 0;
}

void
ui_who_knows(struct req *r, struct tctx *c, const char *customer)
{
	struct changes ch;
	const char *label;
	if (select_changes(r, "customer", customer, &ch, &label, 0) < 0)
		return;
	/* authors of the customer's last changes, most recent first, each once */
	for (size_t i = 0; i < ch.n; i++) {
		size_t j, pages = 0;
		for (j = 0; j < i; j++)
			if (strcmp(ch.v[j].author, ch.v[i].author) == 0)
				break;
		if (j < i)
			continue;
		for (size_t k = i; k < ch.n; k++)
			pages += strcmp(ch.v[k].author, ch.v[i].author) == 0;
		struct tctx *it = tadd(c, "knows");
		char when[64];
		ui_format_time(when, sizeof(when), ch.v[i].time, ch.v[i].offset);
		tset(it, "who", ch.v[i].author);
		tset(it, "date", when);
		tsetf(it, "pages", "%zu", pages);
		tset(c, "has_knows", "1");
	}
}
