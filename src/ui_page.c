/* ui_page.c: viewing pages: a page (current or old revision), its source, the page list. */
#include "ui.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "auth.h"
#include "cache.h"
#include "index.h"
#include "manage.h"
#include "page.h"
#include "pagename.h"
#include "render.h"
#include "watches.h"
#include "reqspace.h"
#include "spaces.h"

/* Changes whenever the server restarts, so a new binary's templates are never hidden
 * behind a client's cached copy. Set once, by the first page view (any thread). */
static time_t boot_time;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void holes_init(void);

static void
boot_time_init(void)
{
	boot_time = time(NULL);
	holes_init();
}

/* Links for the values of keys that have a view (customer, tags, departments). */
static const char *
view_of(const char *key)
{
	if (strcmp(key, "customer") == 0)
		return "customer";
	if (strcmp(key, "tags") == 0)
		return "tag";
	if (strcmp(key, "departments") == 0)
		return "department";
	return NULL;
}

static void
add_fm_value(struct req *r, struct tctx *row, const char *view, const char *value, size_t len)
{
	struct tctx *v = tadd(row, "values");
	tset(v, "text", arena_strndup(r->a, value, len > 300 ? 300 : len));
	if (view) {
		tset(v, "view", view);
		tset(v, "link", arena_strndup(r->a, value, len > 300 ? 300 : len));
	}
}

/* The front matter as a tidy table (top-level keys with scalar or list values); YAML that
 * cannot be read sets "fm_error" instead, and the body renders all the same. On the current
 * version, a `review-by:` date before `today` sets "review_due" (the banner): the rule of
 * /stale (index_pages_due), so the banner and the list always agree. */
static void
front_matter_vars(struct req *r, struct tctx *c, const char *fm, size_t len, const char *today)
{
	struct page_meta m;
	page_meta_parse(&m, r->a, fm, len);
	if (today && m.review_by && strcmp(m.review_by, today) < 0) {
		tset(c, "review_due", m.review_by);
		tset(c, "review_owner", m.owner);
	}
	for (size_t i = 0; i < m.nfields; i++) {
		const struct page_field *f = &m.fields[i];
		struct tctx *row = tadd(c, "fm");
		tset(row, "key", f->key);
		for (size_t k = 0; k < f->nvalues; k++)
			add_fm_value(r, row, view_of(f->key), f->values[k], strlen(f->values[k]));
	}
	if (m.mapping)
		tset(c, "has_fm", "1");
	tset(c, "fm_error", m.error);
}

/* Render Markdown of a page or frame (file `path` at commit `hex`) into HTML for the
 * template, with heading anchors and colours; `toc` (NULL: not wanted) gets the table of
 * contents, NULL when the page has none. The results depend only on the commit and the
 * file, so they are cached under "md:" and "toc:" keys (the page around them is not: it
 * shows who is logged in, and their CSRF token). */
char *
ui_page_html(struct req *r, struct snap *s, const char *hex, const char *path, const char *md, size_t len,
	     const char **toc)
{
	struct buf html = BUF_INIT, contents = BUF_INIT;
	const char *key = ui_render_key(r, hex, path);
	const char *toc_key = arena_printf(r->a, "toc:%s", key);
	if (!cache_get(&html, key) || (toc && !cache_get(&contents, toc_key))) {
		struct render_ctx rc = ui_render_ctx(r, s, path); /* links found from this file */
		rc.opts = RENDER_ANCHORS | RENDER_HIGHLIGHT;
		rc.toc = &contents;
		buf_reset(&html);
		buf_reset(&contents);
		if (render_markdown(&html, md, len, &rc) == KN_ETOOBIG)
			log_warn("render %s: page over %u bytes, cut", r->path, RENDER_MAX_INPUT);
		cache_put(key, buf_cstr(&html), html.len);
		cache_put(toc_key, buf_cstr(&contents), contents.len);
	}
	if (toc)
		*toc = contents.len ? arena_strndup(r->a, contents.ptr, contents.len) : NULL;
	char *out = arena_strndup(r->a, buf_cstr(&html), html.len);
	buf_free(&html);
	buf_free(&contents);
	return out;
}


/* --- rendered Markdown, with its front matter and contents ------------------------------
 * A page's (or frame's) HTML, table of contents and front matter, cached under the commit,
 * the file, its space and the names of the spaces (ui_render_key). Not by blob alone: where
 * a [[link]] leads depends on the file's folder and on the rest of the tree (links.c), so a
 * page that did not change is rendered again after another commit (docs/scale.md). The
 * value: 'F' or 'N' (front matter or none), the front matter, NUL, NUL (room for the pages
 * a blob-keyed value would depend on), the table of contents, NUL, the HTML. */

struct rendered {
	const char *html;
	const char *toc; /* the table of contents, or NULL when the page has none */
	const char *fm;  /* the page's YAML front matter, or NULL */
	size_t fm_len;
};

/* Read a cached value `v` (in the request's arena) into `out`: 1, or 0 when it is not one. */
static int
parse_rendered(struct rendered *out, struct snap *s, const char *v, size_t len)
{
	const char *end = v + len;
	const char *fm_end = len ? memchr(v, '\0', len) : NULL;
	const char *deps_end = fm_end ? memchr(fm_end + 1, '\0', (size_t)(end - fm_end - 1)) : NULL;
	const char *toc_end = deps_end ? memchr(deps_end + 1, '\0', (size_t)(end - deps_end - 1)) : NULL;
	if (!toc_end)
		return 0;
	out->fm = v[0] == 'F' ? v + 1 : NULL;
	out->fm_len = (size_t)(fm_end - v - 1);
	out->toc = toc_end > deps_end + 1 ? deps_end + 1 : NULL;
	out->html = toc_end + 1;
	return 1;
}

/* The rendered HTML (front matter, contents) of blob `id` at `path` in snapshot `s` of the
 * request's space. */
static int
rendered(struct rendered *out, struct req *r, struct snap *s, const git_oid *id, const char *path)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct buf v = BUF_INIT, md = BUF_INIT, deps = BUF_INIT, html = BUF_INIT, toc = BUF_INIT;
	/* Keyed by the commit and the file, not the blob alone: where a [[link]] leads depends
	 * on the file's folder and on the other pages of the tree (links.c: root, same folder,
	 * then the one page of that name anywhere), which a list of linked pages cannot hold. */
	git_oid_tostr(hex, sizeof(hex), &s->id);
	const char *key = arena_printf(r->a, "rd:%s", ui_render_key(r, hex, path));
	if (cache_get(&v, key)) {
		char *copy = arena_strndup(r->a, v.ptr, v.len);
		int hit = parse_rendered(out, s, copy, v.len);
		buf_free(&v);
		if (hit)
			return 0;
		buf_reset(&v);
	}
	int rc = store_read_blob(&md, s->st, id);
	if (rc < 0)
		return rc;
	const char *fm;
	size_t fm_len, body = page_split(buf_cstr(&md), md.len, &fm, &fm_len);
	struct render_ctx rctx = ui_render_ctx(r, s, path); /* links found from this file */
	rctx.opts = RENDER_ANCHORS | RENDER_HIGHLIGHT;
	rctx.toc = &toc;
	if (render_markdown(&html, md.ptr + body, md.len - body, &rctx) == KN_ETOOBIG)
		log_warn("render %s: page over %u bytes, cut", path, RENDER_MAX_INPUT);
	buf_putc(&v, fm ? 'F' : 'N');
	if (fm)
		buf_put(&v, fm, fm_len);
	buf_putc(&v, '\0');
	buf_put(&v, deps.ptr, deps.len);
	buf_putc(&v, '\0');
	buf_put(&v, toc.ptr, toc.len);
	buf_putc(&v, '\0');
	buf_put(&v, html.ptr, html.len);
	cache_put(key, v.ptr, v.len);
	char *copy = arena_strndup(r->a, v.ptr, v.len);
	out->fm = fm ? copy + 1 : NULL;
	out->fm_len = fm ? fm_len : 0;
	out->toc = toc.len ? copy + v.len - html.len - 1 - toc.len : NULL;
	out->html = copy + v.len - html.len;
	buf_free(&v);
	buf_free(&md);
	buf_free(&deps);
	buf_free(&html);
	buf_free(&toc);
	return 0;
}

/* The nearest `_Sidebar.md` (or header, footer) in the folder chain of `name`, rendered, or NULL. */
static const char *
frame(struct req *r, struct snap *s, const char *name, const char *which)
{
	size_t dir = 0;
	const char *slash = strrchr(name, '/');
	if (slash)
		dir = (size_t)(slash - name) + 1;
	for (;;) {
		struct buf path = BUF_INIT;
		struct rendered rd;
		git_oid id;
		buf_printf(&path, "%.*s%s.md", (int)dir, name, which);
		int found = store_blob_id(&id, s, path.ptr) == 0 && rendered(&rd, r, s, &id, path.ptr) == 0;
		buf_free(&path);
		if (found)
			return rd.html;
		if (dir == 0)
			return NULL;
		/* up one folder */
		dir--;
		while (dir > 0 && name[dir - 1] != '/')
			dir--;
	}
}

/* --- finished views, kept for the next viewer ---------------------------------------------
 * A view of the current version is kept whole, under main's commit, the page and the shape
 * of the viewer (signed in or not, admin, may edit, open mode): the next view of the same
 * kind is a lookup, and for a viewer with nothing of their own on the page (anonymous) the
 * cached bytes go out as they are, without a copy (docs/scale.md). What differs between
 * viewers of one shape, their name and CSRF token, is expanded as a marker no page can
 * forge (a random nonce of this process) and filled in per request. The stored value: the
 * body length and the number of holes (u32 each), the holes (offset, which: u32 each), the
 * body without the markers. */

enum hole { H_CSRF, H_USER_NAME, H_USER_DISPLAY, H_USER_ROLE, NHOLES };
static const char *const hole_key[NHOLES] = { "csrf", "user_name", "user_display", "user_role" };
#define HOLE_PREFIX 17 /* "\x02" and 16 hex digits; then 'a' + the hole and "\x03" */
static char hole_marker[NHOLES][HOLE_PREFIX + 3];

static void
holes_init(void)
{
	unsigned char nonce[8];
	randombytes_buf(nonce, sizeof(nonce));
	for (int h = 0; h < NHOLES; h++) {
		char *m = hole_marker[h];
		m[0] = '\x02';
		for (int i = 0; i < 8; i++)
			snprintf(m + 1 + 2 * i, 3, "%02x", nonce[i]);
		m[HOLE_PREFIX] = (char)('a' + h);
		m[HOLE_PREFIX + 1] = '\x03';
		m[HOLE_PREFIX + 2] = '\0';
	}
}

/* This viewer's values of the holes. */
static void
hole_values(const struct req *r, const char *v[NHOLES])
{
	v[H_CSRF] = r->csrf ? r->csrf : "";
	v[H_USER_NAME] = r->user ? r->user->name : "";
	v[H_USER_DISPLAY] = r->user ? r->user->display : "";
	v[H_USER_ROLE] = r->user ? role_name(r->user->role) : "";
}

/* The context's per-viewer values as markers. */
static void
hole_vars(struct tctx *c, const struct req *r)
{
	const char *v[NHOLES];
	hole_values(r, v);
	for (int h = 0; h < NHOLES; h++)
		if (*v[h])
			tset(c, hole_key[h], hole_marker[h]);
}

/* How the current view of page file `path` waits for the index (before the first
 * ui_index of the request): the view of a page just saved does not wait for the index to
 * take the save in, since the page's backlinks are other pages' links, which the save did
 * not change (and a view of the index not there yet is not kept). After any other change
 * it waits, so that a save's new links show on the pages they link to at once. */
static void
index_wait_rule(struct req *r, const char *path)
{
	if (r->index_ready || !r->cfg || !indexer_running())
		return;
	struct index *ix = index_for_thread(r->cfg);
	r->index_nowait = ix && index_behind_only_by(ix, ui_space_name(r), r->st, path) == 1;
}

/* Key of the view of `name` at commit `hex` of the request's space on day `today`, for
 * this viewer's shape; NULL when views are not kept now (no cache, or the indexing notice
 * is on every page). Everything on the page that is not a hole is in the key: the space (a
 * view never crosses from one space to another; the router has applied the space's read
 * rule before this), the date (the review banner), what the header and the buttons show
 * (signed in, admin, may edit here: the space's write list or the role, open mode, a lock
 * for a restricted space) and the spaces the viewer may read (backlinks from them are
 * listed, from others not). For a viewer of several spaces also the index's generation: a
 * backlink from another space changes the page without changing this space's commit.
 * Whether the viewer watches the page (the Watch or Unwatch button) is part of the shape.
 * Anything else new that depends on the viewer must join the key or become a hole. */
static const char *
view_key(struct req *r, const char *hex, const char *name, const char *today, const char *path, int watching)
{
	size_t done, total, commits;
	int building;
	if (!r->cfg || !r->cfg->cache_bytes || indexer_progress(&done, &total, &commits, &building))
		return NULL;
	const struct index_scope *sc = ui_scope(r);
	struct buf k = BUF_INIT;
	int may_edit = r->space ? reqspace_may_write(r, r->space) : r->role >= ROLE_EDITOR;
	int restricted = r->space && !space_acl_is_all(r->space->read);
	unsigned shape = (r->user != NULL) | (r->user && r->user->role >= ROLE_ADMIN) << 1 | (may_edit != 0) << 2 |
			 (r->open_mode != 0) << 3 | (r->csrf != NULL) << 4 | restricted << 5 | (watching != 0) << 6;
	buf_printf(&k, "v:%s:%s:%s:%x:", ui_space_name(r), hex, today, shape);
	if (sc->n > 1) {
		/* the backlinks are the index's as view_page lets ui_backlinks see it */
		index_wait_rule(r, path);
		struct index *ix = ui_index(r);
		if (!ix || index_generation(ix, &k) < 0) {
			buf_free(&k);
			return NULL;
		}
	}
	for (size_t i = 0; i < sc->n; i++)
		buf_printf(&k, ":%s", sc->spaces[i]);
	buf_printf(&k, "::%s", name);
	const char *key = arena_strndup(r->a, k.ptr, k.len);
	buf_free(&k);
	return key;
}

static uint32_t
get_u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Answer with cached view `v` (the request takes the reference). */
static void
view_answer(struct req *r, struct cache_val *v)
{
	size_t len;
	const char *d = cache_val_data(v, &len), *vals[NHOLES];
	uint32_t body_len = get_u32(d), n = get_u32(d + 4);
	const char *tab = d + 8, *body = tab + 8 * (size_t)n;
	int own = 0;
	hole_values(r, vals);
	for (uint32_t i = 0; i < n; i++)
		own |= *vals[get_u32(tab + 8 * i + 4)] != '\0';
	r->content_type = "text/html; charset=utf-8";
	if (!own) {
		r->shared = v;
		r->shared_body = body;
		r->shared_len = body_len;
		return;
	}
	uint32_t at = 0;
	buf_grow(&r->out, body_len + 256);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = get_u32(tab + 8 * i);
		buf_put(&r->out, body + at, off - at);
		html_puts(&r->out, vals[get_u32(tab + 8 * i + 4)]);
		at = off;
	}
	buf_put(&r->out, body + at, body_len - at);
	cache_val_unref(v);
}

/* The view expanded with markers in `html` as a cached value. */
static struct cache_val *
view_value(const char *html, size_t len)
{
	struct buf tab = BUF_INIT, body = BUF_INIT, val = BUF_INIT;
	const char *p = html, *end = html + len;
	uint32_t n = 0;
	buf_grow(&body, len);
	for (;;) {
		const char *m = memmem(p, (size_t)(end - p), hole_marker[0], HOLE_PREFIX);
		if (!m || m + HOLE_PREFIX + 2 > end)
			break;
		int h = m[HOLE_PREFIX] - 'a';
		buf_put(&body, p, (size_t)(m - p));
		if (h < 0 || h >= NHOLES || m[HOLE_PREFIX + 1] != '\x03') {
			buf_put(&body, m, 1);
			p = m + 1;
			continue;
		}
		uint32_t rec[2] = { (uint32_t)body.len, (uint32_t)h };
		buf_put(&tab, rec, sizeof(rec));
		n++;
		p = m + HOLE_PREFIX + 2;
	}
	buf_put(&body, p, (size_t)(end - p));
	uint32_t head[2] = { (uint32_t)body.len, n };
	buf_put(&val, head, sizeof(head));
	buf_put(&val, tab.ptr, tab.len);
	buf_put(&val, body.ptr, body.len);
	struct cache_val *v = cache_val_new(val.ptr, val.len);
	buf_free(&tab);
	buf_free(&body);
	buf_free(&val);
	return v;
}

void
ui_page_vars(struct req *r, struct tctx *c, const char *name)
{
	struct buf title = BUF_INIT;
	pagename_title(&title, name);
	tset(c, "name", name);
	tset(c, "pagetitle", buf_cstr(&title));
	buf_free(&title);
	for (const char *p = name, *slash; (slash = strchr(p, '/')); p = slash + 1) {
		struct tctx *crumb = tadd(c, "crumbs");
		tset(crumb, "label", arena_strndup(r->a, p, (size_t)(slash - p)));
		tset(crumb, "folder", arena_strndup(r->a, name, (size_t)(slash - name)));
	}
}

static int
not_found_page(struct req *r, const char *name, const char *rev, int deleted)
{
	struct tctx *c = ui_context(r, "Not found");
	ui_page_vars(r, c, name);
	tset(c, "rev", rev);
	if (deleted)
		tset(c, "deleted", "1");
	log_info("view %s: no such page%s%s", name, rev ? " at " : "", rev ? rev : "");
	return ui_render_answer(r, KN_ENOTFOUND, "missing", c);
}

/* A page that is not there: a renamed page's old name leads to the new name (current
 * version only), a deleted page offers its restore. */
static int
missing_page(struct req *r, struct snap *s, const char *name, const char *rev)
{
	struct buf to = BUF_INIT, path = BUF_INIT;
	git_oid last;
	if (!rev && manage_redirect_target(&to, s, name) == 0) {
		int rc = ui_redirect(r, ui_page_url(r, "/wiki/", to.ptr));
		buf_free(&to);
		return rc;
	}
	buf_free(&to);
	pagename_to_path(&path, name);
	int deleted = !rev && ui_last_version(r, &last, s, path.ptr) == 0;
	buf_free(&path);
	return not_found_page(r, name, rev, deleted);
}

/* Banner for an old revision: who wrote it and when. */
static void
set_rev_vars(struct tctx *c, struct snap *s)
{
	char when[64], hex[GIT_OID_HEXSZ + 1];
	const git_signature *a = git_commit_author(s->commit);
	ui_format_time(when, sizeof(when), a->when.time, a->when.offset);
	git_oid_tostr(hex, sizeof(hex), &s->id);
	tset(c, "rev", hex);
	hex[10] = '\0';
	tset(c, "rev_short", hex);
	tset(c, "rev_author", a->name);
	tset(c, "rev_date", when);
}

/* Who is looking, for the ETag: a page cached by one user's browser must not be shown to
 * another (FNV-1a of user name and CSRF token). */
static unsigned
viewer_hash(const struct req *r)
{
	const char *parts[2] = { r->user ? r->user->name : "", r->csrf ? r->csrf : "" };
	uint32_t h = 2166136261u;
	for (int i = 0; i < 2; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 16777619u;
		}
		h ^= 0xff;
		h *= 16777619u;
	}
	return h;
}

/* Does the logged-in viewer watch page `name` of this space? */
static int
page_watched(struct req *r, const char *name)
{
	int64_t id;
	struct db *db = r->user ? access_db(r->cfg) : NULL;
	return db && watch_find(db, r->user->id, WATCH_PAGE, name, ui_space_name(r), &id) == 1;
}

static int
view_page(struct req *r, const char *name)
{
	struct snap s = { 0 };
	struct buf path = BUF_INIT;
	const char *rev = req_query(r, "rev"), *key = NULL;
	char etag[160], hex[GIT_OID_HEXSZ + 1], today[16];
	git_oid blob, tip;
	struct rendered rd;
	int rc;

	pthread_once(&boot_once, boot_time_init);
	ui_today(today);
	/* The current version: main's commit is all the ETag and the kept view need. */
	int current = !rev && store_tip(&tip, r->st) == 0;
	if (!current && (rc = store_snap_open(&s, r->st, rev)) < 0)
		return rc == KN_ENOTFOUND ? not_found_page(r, name, rev, 0) : rc;
	git_oid_tostr(hex, sizeof(hex), current ? &tip : &s.id);
	/* Everything on the page follows from the commit, the name, this server's build, who is
	 * looking (the header names them and carries their CSRF token) and the date (a page's
	 * review falls due at midnight). */
	/* ... and whether they watch it (the Watch / Unwatch button) */
	int watching = page_watched(r, name);
	snprintf(etag, sizeof(etag), "\"%s-%lx-%s-%08x-%s%s\"", hex, (unsigned long)boot_time, rev ? "r" : "m",
		 viewer_hash(r), today, watching ? "-w" : "");
	resp_header(r, "Cache-Control", "no-cache");
	r->content_type = "text/html; charset=utf-8";
	/* After a merged save the page says so once: that answer is neither cached nor 304. */
	int merged = req_query(r, "merged") != NULL;
	if (!merged && (rc = ui_not_modified(r, etag)) != 0)
		goto done;
	pagename_to_path(&path, name);
	if (current && !merged && (key = view_key(r, hex, name, today, path.ptr, watching))) {
		struct cache_val *v = cache_get_val(key);
		if (v) {
			view_answer(r, v);
			rc = 0;
			goto done;
		}
	}
	if (current)
		index_wait_rule(r, path.ptr);
	if (current && (rc = store_snap_open(&s, r->st, hex)) < 0)
		goto done;
	rc = store_blob_id(&blob, &s, path.ptr);
	if (rc == KN_ENOTFOUND) {
		/* not a page: perhaps an attachment (Page-Name/file.png) */
		rc = ui_file_serve(r, &s, name);
		if (rc == KN_ENOTFOUND)
			rc = missing_page(r, &s, name, rev);
		goto done;
	}
	if (rc < 0 || (rc = rendered(&rd, r, &s, &blob, path.ptr)) < 0)
		goto done;

	struct tctx *c = ui_context(r, "");
	if (key)
		hole_vars(c, r);
	ui_page_vars(r, c, name);
	if (watching)
		tset(c, "watching", "1");
	tset(c, "watch_space", ui_space_name(r));
	if (rd.fm) {
		tset(c, "frontmatter", arena_strndup(r->a, rd.fm, rd.fm_len));
		front_matter_vars(r, c, rd.fm, rd.fm_len, rev ? NULL : today);
	}
	const char *sidebar;
	tset_html(c, "body", rd.html);
	tset_html(c, "toc", rd.toc);
	tset_html(c, "sidebar", sidebar = frame(r, &s, name, "_Sidebar"));
	if (rd.toc || sidebar)
		tset(c, "has_side", "1");
	tset_html(c, "header", frame(r, &s, name, "_Header"));
	tset_html(c, "footer", frame(r, &s, name, "_Footer"));
	if (rev)
		set_rev_vars(c, &s);
	if (merged)
		tset(c, "merged", "1");
	ui_list_attachments(r, c, &s, name);
	struct buf feed = BUF_INIT;
	buf_puts(&feed, "/feed/page/");
	url_escape(&feed, name, strlen(name), 1);
	tset(c, "feed", feed.ptr);
	buf_free(&feed);
	if (!rev)
		ui_backlinks(r, c, hex, path.ptr);
	rc = ui_render(r, "view", c);
	if (rc == 0 && key) {
		/* kept unless the index (backlinks) lagged behind main */
		struct cache_val *v = view_value(r->out.ptr, r->out.len);
		if (!r->index_behind)
			cache_put_val(key, v);
		buf_reset(&r->out);
		view_answer(r, v);
	}
done:
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}

int
ui_home(struct req *r)
{
	return view_page(r, "Home");
}

int
ui_view(struct req *r)
{
	const char *name;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	return view_page(r, name);
}

int
ui_raw(struct req *r)
{
	const char *name;
	struct snap s;
	struct buf path = BUF_INIT;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if ((rc = store_snap_open(&s, r->st, req_query(r, "rev"))) < 0)
		return rc;
	pagename_to_path(&path, name);
	rc = store_read(&r->out, NULL, &s, path.ptr);
	r->content_type = "text/plain; charset=utf-8";
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}

struct page_list {
	struct arena *a;
	char **names;
	size_t n, cap;
	char **files; /* every other file: attachments, and what cannot be a page */
	size_t nfiles, capfiles;
};

static void
list_add(struct arena *a, char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xrealloc(*v, *cap * sizeof(char *));
	}
	(*v)[(*n)++] = arena_strndup(a, s, len);
}

static int
collect_page(const char *path, void *payload)
{
	struct page_list *l = payload;
	struct buf name = BUF_INIT;
	if (pagename_from_path(&name, path, strlen(path)) == 0)
		list_add(l->a, &l->names, &l->n, &l->cap, name.ptr, name.len);
	else
		list_add(l->a, &l->files, &l->nfiles, &l->capfiles, path, strlen(path));
	buf_free(&name);
	return 0;
}

/* Folder first, then name: pages of one folder stay together. */
static int
cmp_pages(const void *x, const void *y)
{
	const char *a = *(char *const *)x, *b = *(char *const *)y;
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t da = sa ? (size_t)(sa - a) : 0, db = sb ? (size_t)(sb - b) : 0;
	int c = strncmp(a, b, da < db ? da : db);
	if (c == 0 && da != db)
		return da < db ? -1 : 1;
	return c ? c : strcmp(a, b);
}

int
ui_pages(struct req *r)
{
	struct snap s;
	struct page_list l = { r->a, NULL, 0, 0 };
	int rc = store_snap_open(&s, r->st, NULL);
	if (rc < 0)
		return rc;
	store_walk(&s, collect_page, &l);
	if (l.n) /* an empty wiki (init --empty) has none */
		qsort(l.names, l.n, sizeof(char *), cmp_pages);

	struct tctx *c = ui_context(r, "All pages");
	struct tctx *group = NULL;
	const char *cur = NULL;
	size_t curlen = 0;
	for (size_t i = 0; i < l.n; i++) {
		const char *slash = strrchr(l.names[i], '/');
		size_t dl = slash ? (size_t)(slash - l.names[i]) : 0;
		if (!group || dl != curlen || strncmp(cur, l.names[i], dl) != 0) {
			group = tadd(c, "folders");
			tset(group, "folder", dl ? arena_strndup(r->a, l.names[i], dl) : "");
			cur = l.names[i];
			curlen = dl;
		}
		struct tctx *p = tadd(group, "pages");
		struct buf title = BUF_INIT;
		pagename_title(&title, l.names[i]);
		tset(p, "name", l.names[i]);
		tset(p, "pagetitle", buf_cstr(&title));
		buf_free(&title);
	}
	tsetf(c, "count", "%zu", l.n);
	/* Files that are no pages: attachments the web serves at /wiki/PATH, and files that
	 * stay in git only (a dotfile, a name with a backslash: kept from an imported history). */
	if (l.nfiles)
		qsort(l.files, l.nfiles, sizeof(char *), cmp_pages);
	for (size_t i = 0; i < l.nfiles; i++) {
		struct tctx *f = tadd(c, "files");
		const char *shown = ui_one_line(r->a, l.files[i], 4 * PAGENAME_MAX, "");
		tset(f, "path", shown ? shown : "(a name that is not UTF-8)");
		if (!pagename_problem(l.files[i], strlen(l.files[i])))
			tset(f, "served", "1");
	}
	tsetf(c, "nfiles", "%zu", l.nfiles);
	if (l.nfiles)
		tset(c, "has_files", "1");
	free(l.names);
	free(l.files);
	store_snap_close(&s);
	return ui_render(r, "pages", c);
}
