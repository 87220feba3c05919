/* ui_common.c: what every HTML page shares: layout context, rendering, names, caching. */
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "auth.h"
#include "index.h"
#include "links.h"
#include "render.h"
#include "manage.h"
#include "pagename.h"
#include "repos.h"
#include "reqspace.h"

static void indexing_notice(struct tctx *c);

struct tctx *
ui_context(struct req *r, const char *title)
{
	struct tctx *c = tctx_new(r->a);
	tset(c, "site", "kennis");
	tset(c, "title", title);
	if (r->user) {
		tset(c, "user_name", r->user->name);
		tset(c, "user_display", r->user->display);
		tset(c, "user_role", role_name(r->user->role));
		if (r->user->role >= ROLE_ADMIN)
			tset(c, "is_admin", "1");
	}
	if (r->role >= ROLE_EDITOR)
		tset(c, "can_edit", "1");
	if (r->open_mode)
		tset(c, "open_mode", "1");
	tset(c, "csrf", r->csrf);
	indexing_notice(c);
	/* the space the page routes work in: their addresses start with `base` */
	tset(c, "sbase", r->base ? r->base : "");
	if (r->space && strcmp(r->space->name, SPACE_WIKI) != 0) {
		tset(c, "in_space", r->space->name);
		if (!space_acl_is_all(r->space->read))
			tset(c, "space_restricted", "1");
	}
	if (r->space) /* in a space, its write list says, not the role */
		tset(c, "can_edit", reqspace_may_write(r, r->space) ? "1" : NULL);
	return c;
}

const char *
ui_page_url(struct req *r, const char *prefix, const char *name)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, r->base ? r->base : "");
	buf_puts(&b, prefix);
	url_escape(&b, name, strlen(name), 1);
	const char *out = arena_strndup(r->a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

struct render_ctx
ui_render_ctx(struct req *r, struct snap *s, const char *from)
{
	struct ui_linking *l = arena_alloc(r->a, sizeof(*l));
	*l = (struct ui_linking){ s, from };
	struct render_ctx ctx = { .payload = l, .resolve = ui_link_resolve, .base = ui_link_base(r, from ? from : "") };
	if (r->space && strcmp(r->space->name, SPACE_WIKI) != 0)
		ctx.space = r->space->name;
	ctx.spaces = reqspace_names(r);
	return ctx;
}

const char *
ui_render_key(struct req *r, const char *hex, const char *path)
{
	/* A page renders the same at the same commit, in the same space, with the same spaces
	 * registered ([[space:Page]] links): the names are part of the key. */
	uint64_t h = 1469598103934665603ULL;
	for (const char *const *n = reqspace_names(r); *n; n++)
		for (const char *p = *n; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (!*p)
				break;
		}
	return arena_printf(r->a, "md:%s:%s:%s:%016llx", ui_space_name(r), hex, path, (unsigned long long)h);
}

const char *
ui_space_name(const struct req *r)
{
	return r->space ? r->space->name : SPACE_WIKI;
}

void
ui_space_vars(struct req *r, struct tctx *it, const char *space)
{
	if (!space || !*space || strcmp(space, SPACE_WIKI) == 0) {
		tset(it, "pbase", "");
		return;
	}
	tset(it, "pbase", reqspace_base(r, space));
	tset(it, "lock_space", space);
}

int
ui_render(struct req *r, const char *name, struct tctx *c)
{
	r->content_type = "text/html; charset=utf-8";
	return tmpl_render(&r->out, name, c);
}

int
ui_render_answer(struct req *r, int err, const char *name, struct tctx *c)
{
	int rc = ui_render(r, name, c);
	if (rc < 0)
		return rc;
	r->own_page = err < 0;
	return err;
}

int
ui_page_name(struct req *r, const char **name)
{
	const char *n = r->rest ? r->rest : "", *why = pagename_problem(n, strlen(n));
	if (why) {
		log_warn("%s %s from %s: bad page name: %s", r->method, r->path, r->remote, why);
		return KN_EINVAL;
	}
	*name = n;
	return 0;
}

void
ui_format_time(char *out, size_t n, int64_t t, int offset_min)
{
	time_t local = (time_t)(t + (int64_t)offset_min * 60);
	struct tm tm;
	gmtime_r(&local, &tm);
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	int off = offset_min < 0 ? -offset_min : offset_min;
	snprintf(out, n, "%s %c%02d%02d", date, offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

void
ui_today(char out[16])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

int
ui_not_modified(struct req *r, const char *etag)
{
	resp_header(r, "ETag", etag);
	const char *inm = req_header(r, "If-None-Match");
	return inm && strstr(inm, etag) ? KN_NOT_MODIFIED : 0;
}

int
ui_redirect(struct req *r, const char *location)
{
	resp_header(r, "Location", location);
	r->content_type = "text/plain; charset=utf-8";
	buf_puts(&r->out, "See ");
	buf_puts(&r->out, location);
	return KN_SEE_OTHER;
}

/* FNV-1a: a content hash for ETags of embedded files (not security relevant). */
static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int
ui_static(struct req *r)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
	};
	char name[256];
	if (strchr(r->rest, '/') || strlen(r->rest) > 200)
		return KN_ENOTFOUND;
	snprintf(name, sizeof(name), "static/%s", r->rest);
	const struct asset *a = asset_find(name);
	if (!a)
		return KN_ENOTFOUND;
	const char *type = "application/octet-stream";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext), nl = strlen(name);
		if (nl > el && strcmp(name + nl - el, types[i].ext) == 0)
			type = types[i].type;
	}
	char etag[32];
	snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)fnv1a(a->data, a->len));
	r->content_type = type;
	resp_header(r, "Cache-Control", "public, max-age=3600");
	int rc = ui_not_modified(r, etag);
	if (rc == 0)
		buf_put(&r->out, a->data, a->len);
	return rc;
}

int
ui_health(struct req *r)
{
	size_t done, total, commits;
	int building;
	r->content_type = "text/plain; charset=utf-8";
	buf_puts(&r->out, "ok\n");
	/* Healthy all the same: pages are served while the index is built. */
	if (indexer_progress(&done, &total, &commits, &building))
		buf_printf(&r->out, "indexing: %zu of %zu pages, %zu commits of history\n", done, total, commits);
	return 0;
}

const char *
ui_one_line(struct arena *a, const char *in, size_t max, const char *drop)
{
	struct buf b = BUF_INIT;
	for (const char *p = in ? in : ""; *p && b.len < max; p++) {
		unsigned char ch = (unsigned char)*p;
		if (!strchr(drop, ch))
			buf_putc(&b, ch < 0x20 || ch == 0x7f ? ' ' : ch);
	}
	size_t start = 0, end = b.len;
	while (start < end && b.ptr[start] == ' ')
		start++;
	while (end > start && b.ptr[end - 1] == ' ')
		end--;
	const char *out = end > start && utf8_valid(b.ptr + start, end - start) ? arena_strndup(a, b.ptr + start, end - start)
										 : NULL;
	buf_free(&b);
	return out;
}

struct store_author
ui_author(struct req *r)
{
	/* git refuses '<' and '>' in names; 100 bytes is plenty for a name */
	struct store_author who = { NULL, "anonymous@kennis.invalid" };
	if (r->user) {
		who.name = ui_one_line(r->a, r->user->display, 100, "<>");
		who.email = *r->user->email ? r->user->email : arena_printf(r->a, "%s@kennis.invalid", r->user->name);
	} else {
		who.name = ui_one_line(r->a, req_form(r, "author"), 100, "<>");
	}
	if (!who.name)
		who.name = "Anonymous";
	return who;
}

int
ui_link_resolve(void *linking, const char *name, struct buf *out)
{
	const struct ui_linking *l = linking;
	return links_resolve(out, l->s->tree, l->from, name, strlen(name));
}

const char *
ui_link_base(struct req *r, const char *path)
{
	struct buf b = BUF_INIT;
	const char *slash = strrchr(path, '/');
	buf_puts(&b, r->base ? r->base : "");
	buf_puts(&b, "/wiki/");
	if (slash) {
		url_escape(&b, path, (size_t)(slash - path), 1);
		buf_putc(&b, '/');
	}
	const char *out = arena_strndup(r->a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

/* How long a request waits for the indexer to take in a change (an edit, a push) it has
 * not indexed yet: long enough for any ordinary catch-up; a long one is not waited for. */
#define INDEX_WAIT_MS 5000

/* Catch space `name` up (its repository `st`); logged when it fails. */
static void
catch_up(struct req *r, struct index *ix, const char *name, struct store *st)
{
	if (st && index_catch_up(ix, name, st) < 0)
		log_warn("%s: the index could not catch up with space %s; it answers as it is", r->path, name);
}

/* When each space was last caught up by this thread (CLOCK_MONOTONIC seconds). */
#define OTHERS_EVERY 1 /* seconds: other spaces change by their own saves and pushes, which
			* catch them up; this is for a missed hook */
struct index *
ui_index(struct req *r)
{
	static _Thread_local time_t others_at;
	struct index *ix = index_for_thread(r->cfg);
	if (!ix || r->index_ready)
		return ix;
	r->index_ready = 1;
	const char *here = ui_space_name(r);
	if (indexer_running()) {
		/* In the server the indexer thread catches up every space (indexer.c); the
		 * request waits for its own space (a save or a push shows in the same request),
		 * or with index_nowait only asks. */
		if (!r->st)
			return ix;
		int rc = r->index_nowait ? (index_current(ix, here, r->st) > 0 ? 0 : KN_EBUSY)
					 : indexer_wait(ix, here, r->st, INDEX_WAIT_MS);
		r->index_behind = rc < 0;
		if (r->index_nowait && rc < 0)
			indexer_nudge(); /* for the next request */
		else if (rc < 0 && !indexer_progress(&(size_t){ 0 }, &(size_t){ 0 }, &(size_t){ 0 }, &(int){ 0 }))
			log_warn("%s: the index could not catch up with space %s; it answers as it is", r->path, here);
		return ix;
	}
	/* Elsewhere (tests that drive handlers) the request catches up: its own space at once,
	 * the others at most once a second per thread (each costs a ref read). */
	catch_up(r, ix, here, r->st);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - others_at < OTHERS_EVERY)
		return ix;
	others_at = now.tv_sec;
	const char *const *names = reqspace_names(r);
	for (size_t i = 0; names[i]; i++) {
		char gitdir[4200];
		if (strcmp(names[i], here) == 0)
			continue;
		space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, names[i]);
		catch_up(r, ix, names[i], repos_get(gitdir));
	}
	return ix;
}

/* The "indexing" notice of every page while the indexer runs a long job. */
static void
indexing_notice(struct tctx *c)
{
	size_t done, total, commits;
	int building;
	if (!indexer_progress(&done, &total, &commits, &building))
		return;
	if (!total)
		tset(c, "indexing", "Checking the index.");
	else if (done < total || !commits)
		tsetf(c, "indexing", "Indexing: %zu of %zu pages. Search and lists show what is indexed so far.", done,
		      total);
	else
		tsetf(c, "indexing", "Indexing the history: %zu commits so far.", commits);
}

int
ui_index_complete(struct req *r, struct index *ix)
{
	size_t done, total, commits;
	int building = 0;
	if (!indexer_progress(&done, &total, &commits, &building) || !building)
		return 0;
	/* A first index: the history is only complete at its end. */
	struct tctx *c = ui_context(r, "Busy");
	tset(c, "status", "503");
	tset(c, "message", "The wiki's index is being built; history and recent changes are there when it is done. "
			   "Please try again in a moment.");
	resp_header(r, "Retry-After", "10");
	return ui_render_answer(r, KN_EBUSY, "error", c);
}

const struct index_scope *
ui_scope(struct req *r)
{
	struct index_scope *sc = arena_alloc(r->a, sizeof(*sc));
	sc->spaces = reqspace_readable_names(r, &sc->n);
	return sc;
}

const struct index_scope *
ui_scope_here(struct req *r)
{
	struct index_scope *sc = arena_alloc(r->a, sizeof(*sc));
	const char **one = arena_alloc(r->a, 2 * sizeof(char *));
	one[0] = ui_space_name(r);
	sc->spaces = one;
	sc->n = reqspace_readable(r, one[0]) != NULL;
	return sc;
}

int
ui_last_version(struct req *r, git_oid *rev, struct snap *s, const char *path)
{
	struct index *ix = ui_index(r);
	git_oid where;
	char hex[GIT_OID_HEXSZ + 1];
	struct snap at;
	int rc = ix ? index_gone(ix, ui_space_name(r), path, &where) : KN_EIO;
	if (rc == KN_ENOTFOUND)
		return rc;
	if (rc == 0) {
		git_oid_tostr(hex, sizeof(hex), &where);
		if (store_snap_open(&at, r->st, hex) == 0) {
			rc = manage_last_version(rev, &at, path);
			store_snap_close(&at);
			if (rc == 0)
				return 0;
		}
	}
	return manage_last_version(rev, s, path); /* no index, or its hint failed */
}
