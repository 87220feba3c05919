/* ui_page.c: viewing pages: a page (current or old revision), its source, the page list. */
#include "ui.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "auth.h"
#include "cache.h"
#include "manage.h"
#include "page.h"
#include "pagename.h"
#include "render.h"
#include "watches.h"

/* Changes whenever the server restarts, so a new binary's templates are never hidden
 * behind a client's cached copy. Set once, by the first page view (any thread). */
static time_t boot_time;
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void
boot_time_init(void)
{
	boot_time = time(NULL);
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

/* The nearest `_Sidebar.md` (or header, footer) in the folder chain of `name`, rendered, or NULL. */
static char *
frame(struct req *r, struct snap *s, const char *hex, const char *name, const char *which)
{
	size_t dir = 0;
	const char *slash = strrchr(name, '/');
	if (slash)
		dir = (size_t)(slash - name) + 1;
	for (;;) {
		struct buf path = BUF_INIT, md = BUF_INIT;
		buf_printf(&path, "%.*s%s.md", (int)dir, name, which);
		int found = store_read(&md, NULL, s, path.ptr) == 0;
		char *html = found ? ui_page_html(r, s, hex, path.ptr, buf_cstr(&md), md.len, NULL) : NULL;
		buf_free(&path);
		buf_free(&md);
		if (found)
			return html;
		if (dir == 0)
			return NULL;
		/* up one folder */
		dir--;
		while (dir > 0 && name[dir - 1] != '/')
			dir--;
	}
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
	struct snap s;
	struct buf path = BUF_INIT, md = BUF_INIT;
	const char *rev = req_query(r, "rev");
	char etag[160], hex[GIT_OID_HEXSZ + 1], today[16];
	int rc;

	pthread_once(&boot_once, boot_time_init);
	ui_today(today);
	if ((rc = store_snap_open(&s, r->st, rev)) < 0)
		return rc == KN_ENOTFOUND ? not_found_page(r, name, rev, 0) : rc;
	/* Everything on the page follows from the commit, the name, this server's build, who is
	 * looking (the header names them and carries their CSRF token) and the date (a page's
	 * review falls due at midnight). */
	git_oid_tostr(hex, sizeof(hex), &s.id);
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
	rc = store_read(&md, NULL, &s, path.ptr);
	if (rc == KN_ENOTFOUND) {
		/* not a page: perhaps an attachment (Page-Name/file.png) */
		rc = ui_file_serve(r, &s, name);
		if (rc == KN_ENOTFOUND)
			rc = missing_page(r, &s, name, rev);
		goto done;
	}
	if (rc < 0)
		goto done;

	const char *fm;
	size_t fm_len, body = page_split(md.ptr, md.len, &fm, &fm_len);
	struct tctx *c = ui_context(r, "");
	ui_page_vars(r, c, name);
	if (watching)
		tset(c, "watching", "1");
	tset(c, "watch_space", ui_space_name(r));
	if (fm) {
		tset(c, "frontmatter", arena_strndup(r->a, fm, fm_len));
		front_matter_vars(r, c, fm, fm_len, rev ? NULL : today);
	}
	const char *toc, *sidebar;
	tset_html(c, "body", ui_page_html(r, &s, hex, path.ptr, md.ptr + body, md.len - body, &toc));
	tset_html(c, "toc", toc);
	tset_html(c, "sidebar", sidebar = frame(r, &s, hex, name, "_Sidebar"));
	if (toc || sidebar)
		tset(c, "has_side", "1");
	tset_html(c, "header", frame(r, &s, hex, name, "_Header"));
	tset_html(c, "footer", frame(r, &s, hex, name, "_Footer"));
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
done:
	buf_free(&path);
	buf_free(&md);
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
