/* ui_recent.c: recent changes across the wiki (web and push alike) and Atom feeds of them:
 * all changes, one page, one customer, one tag, one department. */
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "pagename.h"
#include "repos.h"
#include "reqspace.h"

#define RECENT_MAX UI_RECENT_MAX /* entries on a page or in a feed */
#define SCAN_MAX 5000      /* commits looked at, at most, to find them */

/* The set of page files a filter selects (from the index), one "\nSPACE\tpath\n" entry
 * each in `out`, of the spaces the viewer may read. */
static int
filter_paths(struct req *r, struct buf *out, const char *kind, const char *value)
{
	static const struct { const char *kind; enum index_key key; } kinds[] = {
		{ "customer", INDEX_CUSTOMER }, { "tag", INDEX_TAG }, { "department", INDEX_DEPT },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct index_paths set;
		if (strcmp(kind, kinds[i].kind) != 0)
			continue;
		struct index *ix = ui_index(r);
		if (!ix || index_paths_with(&set, ix, ui_scope(r), kinds[i].key, value, r->a) < 0)
			return KN_EIO;
		buf_putc(out, '\n');
		for (size_t k = 0; k < set.n; k++)
			buf_printf(out, "%s\t%s\n", set.space[k], set.v[k]);
		return 0;
	}
	return KN_EINVAL;
}

/* Walk the history of space `space` (repository `st`), newest first, and collect page
 * changes: of one file (`only`), of the files listed in `set` ("\nSPACE\tpath\n" ...), or
 * of all pages. */
static int
collect(struct req *r, struct store *st, const char *space, struct ui_changes *out, const char *only, const char *set)
{
	struct snap s;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = store_snap_open(&s, st, NULL), scanned = 0;
	if (rc < 0)
		return rc;
	out->v = arena_alloc(r->a, RECENT_MAX * sizeof(*out->v));
	out->n = 0;
	if (!s.commit)
		goto done;
	git_repository *repo = st->repo;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, &s.id) < 0) {
		rc = KN_EGIT;
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	while (out->n < RECENT_MAX && scanned++ < SCAN_MAX && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		git_diff *diff = NULL;
		if (git_commit_lookup(&c, repo, &id) < 0 || git_commit_tree(&t, c) < 0)
			goto next;
		if (git_commit_parentcount(c) > 1)
			goto next; /* a merge repeats its parents' changes */
		if (git_commit_parentcount(c) == 1 && (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0))
			goto next;
		git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
		if (only) {
			opts.pathspec.strings = (char **)&only;
			opts.pathspec.count = 1;
			opts.flags = GIT_DIFF_DISABLE_PATHSPEC_MATCH;
		}
		if (git_diff_tree_to_tree(&diff, repo, pt, t, &opts) < 0)
			goto next;
		for (size_t i = 0; i < git_diff_num_deltas(diff) && out->n < RECENT_MAX; i++) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);
			const char *path = d->new_file.path;
			struct buf name = BUF_INIT, key = BUF_INIT;
			buf_printf(&key, "\n%s\t%s\n", space, path);
			if ((set && !strstr(set, key.ptr)) || pagename_from_path(&name, path, strlen(path)) < 0 ||
			    (!only && (name.ptr[0] == '_' || strstr(name.ptr, "/_")))) {
				buf_free(&name);
				buf_free(&key);
				continue;
			}
			struct ui_change *ch = &out->v[out->n++];
			const git_signature *a = git_commit_author(c);
			git_oid_tostr(ch->hex, sizeof(ch->hex), &id);
			ch->space = space;
			ch->name = arena_strdup(r->a, name.ptr);
			ch->author = arena_strdup(r->a, a->name);
			ch->summary = arena_strdup(r->a, git_commit_summary(c) ? git_commit_summary(c) : "");
			ch->time = a->when.time;
			ch->offset = a->when.offset;
			ch->kind = d->status == GIT_DELTA_ADDED ? 'A' : d->status == GIT_DELTA_DELETED ? 'D' : 'M';
			buf_free(&name);
			buf_free(&key);
		}
	next:
		git_diff_free(diff);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
	}
done:
	git_revwalk_free(walk);
	store_snap_close(&s);
	return rc;
}

static int
newer_first(const void *a, const void *b)
{
	const struct ui_change *x = a, *y = b;
	return x->time > y->time ? -1 : x->time < y->time;
}

/* The changes of every space the viewer may read (or of the request's space alone, under
 * /s/NAME/), newest first, at most RECENT_MAX: each space's own newest merged. */
static int
collect_spaces(struct req *r, struct ui_changes *out, const char *only, const char *set)
{
	size_t n;
	const char *const *names = r->space ? (const char *const[]){ r->space->name } : reqspace_readable_names(r, &n);
	if (r->space)
		n = 1;
	struct ui_changes all = { arena_alloc(r->a, (n ? n : 1) * RECENT_MAX * sizeof(struct ui_change)), 0 };
	for (size_t i = 0; i < n; i++) {
		char gitdir[4200];
		struct ui_changes one;
		space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, names[i]);
		struct store *st = r->space ? r->st : repos_get(gitdir);
		if (!st)
			continue;
		int rc = collect(r, st, names[i], &one, only, set);
		if (rc < 0)
			return rc;
		memcpy(all.v + all.n, one.v, one.n * sizeof(*one.v));
		all.n += one.n;
	}
	qsort(all.v, all.n, sizeof(*all.v), newer_first);
	out->v = all.v;
	out->n = all.n < RECENT_MAX ? all.n : RECENT_MAX;
	return 0;
}

/* Which changes the request asks for: ?customer= / ?tag= / ?department= (also the feed
 * paths /feed/<kind>/<value>), or one page of the request's space. *label names it. */
int
ui_changes(struct ui_changes *out, struct req *r, const char *kind, const char *value, const char **label)
{
	struct buf set = BUF_INIT, path = BUF_INIT;
	int rc;
	*label = NULL;
	if (!kind) {
		rc = collect_spaces(r, out, NULL, NULL);
	} else if (strcmp(kind, "page") == 0) {
		if (pagename_check(value, strlen(value)) < 0)
			return KN_EINVAL;
		pagename_to_path(&path, value);
		rc = collect(r, r->st, ui_space_name(r), out, path.ptr, NULL);
		*label = arena_printf(r->a, "page %s", value);
	} else {
		if (!value || !*value || strlen(value) > 200 || !utf8_valid(value, strlen(value)))
			return KN_EINVAL;
		rc = filter_paths(r, &set, kind, value);
		if (rc == 0)
			rc = collect_spaces(r, out, NULL, set.ptr);
		*label = arena_printf(r->a, "%s %s", kind, value);
	}
	buf_free(&set);
	buf_free(&path);
	return rc;
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
	int rc = ui_changes(&ch, r, kind, value, &label);
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
	int rc = ui_changes(&ch, r, kind, value, &label);
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
	int rc = ui_changes(&ch, r, "customer", customer, &label);
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
