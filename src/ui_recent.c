/* ui_recent.c: recent changes across the wiki (web and push alike) and Atom feeds of them:
 * all changes, one page, one customer, one tag, one department. */
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "pagename.h"
#include "reqspace.h"

#define RECENT_MAX UI_RECENT_MAX /* entries on a page or in a feed */

/* Which changes the request asks for: ?customer= / ?tag= / ?department= (also the feed
 * paths /feed/<kind>/<value>), or one page; *label names it. From the history the index
 * records (a walk over up to 5,000 commits of git history before; docs/scale.md). With
 * `whole`, a history the index does not have complete yet is the answer's business: a
 * 503 page (ui_index_complete); else what there is. */
static int
select_changes(struct req *r, const char *kind, const char *value, struct ui_changes *out, const char **label, int whole)
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
		struct ui_change *ch = &out->v[out->n++];
		snprintf(ch->hex, sizeof(ch->hex), "%s", e->id);
		ch->space = e->space;
		ch->name = arena_strdup(r->a, name.ptr);
		ch->author = e->author;
		ch->summary = e->summary;
		ch->time = e->time;
		ch->offset = e->offset;
		ch->kind = e->change == 'R' ? 'M' : e->change;
		buf_free(&name);
	}
	return 0;
}

/* Which changes the request asks for, from what the index has (the API's recent changes and
 * feeds: no 503 while a first history is built, the changes there are so far). */
int
ui_changes(struct ui_changes *out, struct req *r, const char *kind, const char *value, const char **label)
{
	return select_changes(r, kind, value, out, label, 0);
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
	struct ui_changes ch;
	const char *value, *label, *kind = query_filter(r, &value);
	int rc = select_changes(r, kind, value, &ch, &label, 1);
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Recent changes");
	tset(c, "filter", label);
	if (kind) {
		struct buf feed = BUF_INIT;
		buf_printf(&feed, "/feed/%s/", kind);
		url_escape(&feed, value, strlen(value), 0);
		tset(c, "feed", feed.ptr);
		buf_free(&feed);
	} else {
		tset(c, "feed", "/feed");
	}
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

/* `s` as XML 1.0 character data allows it (the template escapes the markup characters):
 * control bytes other than tab and newlines go, as do bytes that are not UTF-8. */
static const char *
xml_text(struct req *r, const char *s)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = arena_alloc(r->a, n + 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (len == 1 && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') && c != 0x7f) {
			out[o++] = (char)c;
		} else if (len > 1 && i + len <= n && utf8_valid(s + i, len)) {
			memcpy(out + o, s + i, len);
			o += len;
		} else {
			i++;
			continue;
		}
		i += len;
	}
	out[o] = 0;
	return out;
}

static void
rfc3339(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct tctx *
ui_feed_context(struct req *r, const char *title, const char *id, const char *self, const char *alternate,
		int64_t updated)
{
	char when[32];
	struct tctx *c = tctx_new(r->a);
	const char *base = req_base_url(r); /* never the Host header: the client chooses it */
	rfc3339(when, sizeof(when), updated);
	tset(c, "title", xml_text(r, title));
	tset(c, "id", xml_text(r, arena_printf(r->a, "%s%s", base, id)));
	tset(c, "self", xml_text(r, arena_printf(r->a, "%s%s", base, self)));
	tset(c, "alternate", xml_text(r, arena_printf(r->a, "%s%s", base, alternate)));
	tset(c, "updated", when);
	return c;
}

void
ui_feed_entry(struct req *r, struct tctx *feed, const char *title, const char *id, const char *link, int64_t updated,
	      const char *author, const char *summary)
{
	char when[32];
	struct tctx *e = tadd(feed, "entries");
	rfc3339(when, sizeof(when), updated);
	tset(e, "title", xml_text(r, title));
	tset(e, "id", xml_text(r, id));
	tset(e, "link", xml_text(r, arena_printf(r->a, "%s%s", req_base_url(r), link)));
	tset(e, "updated", when);
	tset(e, "author", xml_text(r, author && *author ? author : "unknown"));
	tset(e, "summary", xml_text(r, summary));
}

int
ui_feed_render(struct req *r, struct tctx *feed)
{
	r->content_type = "application/atom+xml; charset=utf-8";
	return tmpl_render(&r->out, "feed.xml", feed);
}

int
ui_feed(struct req *r)
{
	/* /feed, /feed/page/<name>, /feed/customer/<c>, /feed/tag/<t>, /feed/department/<d> */
	const char *rest = r->rest, *kind = NULL, *value = NULL, *label;
	struct ui_changes ch;
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
	struct buf self = BUF_INIT;
	url_escape(&self, r->path, strlen(r->path), 1);
	struct tctx *feed = ui_feed_context(r, label ? arena_printf(r->a, "kennis: changes to %s", label)
						     : "kennis: recent changes",
					    r->path, buf_cstr(&self), "/recent", ch.n ? ch.v[0].time : 0);
	buf_free(&self);
	for (size_t i = 0; i < ch.n; i++) {
		struct ui_change *e = &ch.v[i];
		struct buf id = BUF_INIT, link = BUF_INIT;
		buf_printf(&id, "tag:kennis,2026:%s/", e->hex);
		url_escape(&id, e->name, strlen(e->name), 1);
		buf_printf(&link, "%s/diff/", reqspace_base(r, e->space));
		url_escape(&link, e->name, strlen(e->name), 1);
		buf_printf(&link, "?to=%s", e->hex);
		ui_feed_entry(r, feed,
			      arena_printf(r->a, "%s%s%s", e->name,
					   e->kind == 'A' ? " (new): " : e->kind == 'D' ? " (deleted): " : ": ", e->summary),
			      buf_cstr(&id), buf_cstr(&link), e->time, e->author, e->summary);
		buf_free(&id);
		buf_free(&link);
	}
	resp_header(r, "Cache-Control", "no-cache");
	return ui_feed_render(r, feed);
}

int
ui_knowers(struct ui_knowers *out, struct req *r, const char *customer)
{
	struct ui_changes ch;
	const char *label;
	int rc = select_changes(r, "customer", customer, &ch, &label, 0);
	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->v = arena_alloc(r->a, (ch.n ? ch.n : 1) * sizeof(*out->v));
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
		out->v[out->n++] = (struct ui_knower){ ch.v[i].author, ch.v[i].time, ch.v[i].offset, pages };
	}
	return 0;
}

void
ui_who_knows(struct req *r, struct tctx *c, const char *customer)
{
	struct ui_knowers k;
	if (ui_knowers(&k, r, customer) < 0)
		return;
	for (size_t i = 0; i < k.n; i++) {
		struct tctx *it = tadd(c, "knows");
		char when[64];
		ui_format_time(when, sizeof(when), k.v[i].time, k.v[i].offset);
		tset(it, "who", k.v[i].who);
		tset(it, "date", when);
		tsetf(it, "pages", "%zu", k.v[i].pages);
		tset(c, "has_knows", "1");
	}
}
