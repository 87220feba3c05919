/* ui_watch.c: following things on the web: /watch (follow one thing: at once, daily, or
 * not), /watching (what I follow, and my feed's token), /feed/watching (that feed, in Atom),
 * /unsubscribe (the signed link in every mail; no login needed). */
#include "ui.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "fanout.h"
#include "pagename.h"
#include "reqspace.h"
#include "watches.h"

#define WATCHING_SHOWN WATCHES_PER_USER
#define FEED_ENTRIES 50

/* What the query or form names: kind, value and (for a page) its space; KN_EINVAL when it
 * is not something one can follow, KN_ENOTFOUND for a space the viewer may not read (as
 * if it did not exist). */
static int
thing(struct req *r, const struct kvlist *l, enum watch_kind *kind, const char **value, const char **space)
{
	int k = watch_kind_parse(kv_get(l, "kind"));
	const char *v = kv_get(l, "value"), *sp = kv_get(l, "space");
	if (k < 0 || !v)
		return KN_EINVAL;
	v = ui_one_line(r->a, v, WATCH_VALUE_MAX, "");
	if (!v)
		return KN_EINVAL;
	if (k == WATCH_PAGE) {
		if (pagename_check(v, strlen(v)) < 0)
			return KN_EINVAL;
		if (!sp || !*sp)
			sp = SPACE_WIKI;
		if (!reqspace_readable(r, sp))
			return KN_ENOTFOUND;
	} else {
		sp = "";
	}
	*kind = (enum watch_kind)k;
	*value = v;
	*space = sp;
	return 0;
}

/* Where the thing is on the web (for "back to …" links). */
static const char *
thing_url(struct req *r, enum watch_kind kind, const char *value, const char *space)
{
	struct buf b = BUF_INIT;
	static const char *const prefix[WATCH_KINDS] = { "/customer/", "/wiki/", "/tag/", "/department/", "/stale?owner=" };
	if (kind == WATCH_PAGE)
		buf_puts(&b, reqspace_base(r, space));
	buf_puts(&b, prefix[kind]);
	url_escape(&b, value, strlen(value), kind == WATCH_PAGE);
	const char *out = arena_strndup(r->a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

static const char *
thing_label(struct req *r, enum watch_kind kind, const char *value, const char *space)
{
	if (kind == WATCH_PAGE && strcmp(space, SPACE_WIKI) != 0)
		return arena_printf(r->a, "page %s (space %s)", value, space);
	return arena_printf(r->a, "%s %s", watch_kind_name(kind), value);
}

static int
watch_page(struct req *r, int err, const char *notice)
{
	struct db *db = access_db(r->cfg);
	enum watch_kind kind;
	const char *value, *space;
	int64_t id = 0;
	int rc = thing(r, &r->query, &kind, &value, &space);
	if (rc < 0)
		return rc;
	if (!db)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Watch");
	tset(c, "notice", notice);
	tset(c, "kind", watch_kind_name(kind));
	tset(c, "value", value);
	tset(c, "space", kind == WATCH_PAGE ? space : "");
	tset(c, "label", thing_label(r, kind, value, space));
	tset(c, "back", thing_url(r, kind, value, space));
	rc = watch_find(db, r->user->id, kind, value, space, &id);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		struct watch w;
		if (watch_get(db, r->user->id, id, &w) == 0)
			tset(c, w.mode == WATCH_DIGEST ? "is_digest" : "is_immediate", "1");
		tset(c, "following", "1");
	}
	if (!*r->user->email)
		tset(c, "no_email", "1");
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "watch", c);
}

int
ui_watch(struct req *r)
{
	return watch_page(r, 0, NULL);
}

int
ui_watch_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	enum watch_kind kind;
	const char *value, *space, *action = req_form(r, "action");
	int rc = thing(r, &r->form, &kind, &value, &space);
	if (rc < 0)
		return rc;
	if (!db || !action)
		return db ? KN_EINVAL : KN_EIO;
	if (strcmp(action, "stop") == 0) {
		rc = watch_del_thing(db, r->user->id, kind, value, space);
		if (rc == KN_ENOTFOUND)
			rc = 0;
	} else {
		int mode = watch_mode_parse(action);
		if (mode < 0)
			return KN_EINVAL;
		rc = watch_add(db, r->user->id, kind, value, space, (enum watch_mode)mode, NULL);
		if (rc == KN_ETOOBIG) {
			log_warn("watch by %s: %s refused: %d watches already", r->user->name, thing_label(r, kind, value, space),
				 WATCHES_PER_USER);
			return KN_ETOOBIG;
		}
	}
	if (rc < 0)
		return rc;
	log_info("watch by %s: %s %s", r->user->name, thing_label(r, kind, value, space), action);
	const char *next = req_form(r, "next");
	if (next && ui_local_path(next))
		return ui_redirect(r, next); /* a Watch button on the thing's own page */
	struct buf loc = BUF_INIT;
	buf_printf(&loc, "/watch?kind=%s&value=", watch_kind_name(kind));
	url_escape(&loc, value, strlen(value), 0);
	if (kind == WATCH_PAGE)
		buf_printf(&loc, "&space=%s", space);
	buf_printf(&loc, "&done=%s", action);
	rc = ui_redirect(r, arena_strndup(r->a, loc.ptr, loc.len));
	buf_free(&loc);
	return rc;
}

/* ---- /watching ----------------------------------------------------------------------------- */

static int
watching_page(struct req *r, int err, const char *notice, const char *token)
{
	struct db *db = access_db(r->cfg);
	struct watch *w = NULL;
	size_t n = 0;
	if (!db || watch_list(db, r->user->id, 0, WATCHING_SHOWN, &w, &n) < 0)
		return KN_EIO;
	struct tctx *c = ui_context(r, "What you watch");
	tset(c, "notice", notice);
	tset(c, "new_token", token);
	for (size_t i = 0; i < n; i++) {
		struct tctx *it = tadd(c, "watches");
		tsetf(it, "id", "%lld", (long long)w[i].id);
		tset(it, "kind", watch_kind_name(w[i].kind));
		tset(it, "value", w[i].value);
		if (w[i].kind == WATCH_PAGE && strcmp(w[i].space, SPACE_WIKI) != 0)
			tset(it, "in_space", w[i].space);
		tset(it, "url", thing_url(r, w[i].kind, w[i].value, w[i].space));
		tset(it, w[i].mode == WATCH_DIGEST ? "is_digest" : "is_immediate", "1");
		tset(c, "has_watches", "1");
	}
	free(w);
	if (feed_token_exists(db, r->user->id))
		tset(c, "has_token", "1");
	if (!*r->user->email)
		tset(c, "no_email", "1");
	tset(c, "feed_url", req_abs_url(r, "/feed/watching"));
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "watching", c);
}

int
ui_watching(struct req *r)
{
	return watching_page(r, 0, NULL, NULL);
}

int
ui_watching_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *action = req_form(r, "action"), *ids = req_form(r, "id");
	int64_t id = ids ? strtoll(ids, NULL, 10) : 0;
	int rc;
	if (!db || !action)
		return db ? KN_EINVAL : KN_EIO;
	if (strcmp(action, "token-new") == 0) {
		char token[AUTH_TOKEN_LEN + 1];
		if (feed_token_new(db, r->user->id, token) < 0)
			return KN_EIO;
		log_info("watching %s: new feed token", r->user->name);
		return watching_page(r, 0, "Your feed's new address is below; the old one no longer works. Copy it now: it is "
					   "not shown again.",
				     arena_printf(r->a, "%s?token=%s", req_abs_url(r, "/feed/watching"), token));
	}
	if (strcmp(action, "token-revoke") == 0) {
		feed_token_revoke(db, r->user->id);
		log_info("watching %s: feed token revoked", r->user->name);
		return watching_page(r, 0, "Your feed's address no longer works.", NULL);
	}
	if (strcmp(action, "stop") == 0) {
		rc = watch_del(db, r->user->id, id);
		if (rc < 0)
			return rc == KN_ENOTFOUND ? KN_ENOTFOUND : KN_EIO;
		return ui_redirect(r, "/watching");
	}
	int mode = watch_mode_parse(action);
	if (mode < 0 || id <= 0)
		return KN_EINVAL;
	/* a new mode for one of my watches: adding the same thing again changes its mode */
	struct watch w;
	rc = watch_get(db, r->user->id, id, &w);
	if (rc == 0)
		rc = watch_add(db, r->user->id, w.kind, w.value, w.space, (enum watch_mode)mode, NULL);
	if (rc < 0)
		return rc;
	return ui_redirect(r, "/watching");
}

/* ---- /feed/watching ------------------------------------------------------------------------ */

struct feed_ctx {
	struct req *r;
	struct tctx *feed;
};

static int
feed_entry(const struct notice *nt, void *payload)
{
	struct feed_ctx *f = payload;
	struct req *r = f->r;
	/* the viewer's rights now, not when the notice was made */
	if (!reqspace_readable(r, nt->space))
		return 0;
	struct buf id = BUF_INIT, link = BUF_INIT;
	int deleted = strcmp(nt->action, "deleted") == 0;
	buf_printf(&id, "tag:kennis,2026:notice:%s/", nt->commit);
	url_escape(&id, nt->page, strlen(nt->page), 1);
	buf_printf(&link, "%s%s", reqspace_base(r, nt->space), deleted ? "/history/" : "/diff/");
	url_escape(&link, nt->page, strlen(nt->page), 1);
	if (!deleted)
		buf_printf(&link, "?to=%s", nt->commit);
	ui_feed_entry(r, f->feed, arena_printf(r->a, "%s %s by %s", nt->title, nt->action, nt->author), buf_cstr(&id),
		      buf_cstr(&link), nt->at, nt->author,
		      arena_printf(r->a, "%s (because you watch %s)", nt->message, nt->reason));
	buf_free(&id);
	buf_free(&link);
	return 0;
}

int
ui_feed_watching(struct req *r)
{
	struct db *db = access_db(r->cfg);
	if (!db)
		return KN_EIO;
	const char *who = r->user->display[0] ? r->user->display : r->user->name;
	struct feed_ctx f = { r, ui_feed_context(r, arena_printf(r->a, "kennis: what %s watches", who),
						 arena_printf(r->a, "/feed/watching/%lld", (long long)r->user->id),
						 "/feed/watching", "/watching", (int64_t)time(NULL)) };
	if (notice_list(db, r->user->id, 0, FEED_ENTRIES, feed_entry, &f) < 0)
		return KN_EIO;
	resp_header(r, "Cache-Control", "private, no-cache");
	return ui_feed_render(r, f.feed);
}

/* ---- /unsubscribe ---------------------------------------------------------------------------- */

/* The link's user, watch and signature, checked. */
static int
unsub_params(struct req *r, int64_t *uid, int64_t *wid)
{
	struct db *db = access_db(r->cfg);
	const char *u = req_query(r, "u"), *w = req_query(r, "w"), *s = req_query(r, "s");
	char *end1 = NULL, *end2 = NULL;
	if (!db)
		return KN_EIO;
	if (!u || !w || !s)
		return KN_EINVAL;
	*uid = strtoll(u, &end1, 10);
	*wid = strtoll(w, &end2, 10);
	if (*end1 || *end2 || *uid <= 0 || *wid < 0 || fanout_unsub_check(db, *uid, *wid, s) < 0) {
		log_warn("unsubscribe from %s: a link that is not ours (u=%.20s w=%.20s)", r->remote, u, w);
		return KN_EINVAL;
	}
	return 0;
}

/* What the link stops: "the daily digest", "customer Acme Corp", or NULL (gone already). */
static const char *
unsub_what(struct req *r, int64_t uid, int64_t wid)
{
	struct watch w;
	if (wid == 0)
		return "the daily digest";
	if (watch_get(access_db(r->cfg), uid, wid, &w) == 0)
		return arena_printf(r->a, "mails about %s %s", watch_kind_name(w.kind), w.value);
	return NULL;
}

static int
unsub_page(struct req *r, int done, const char *what)
{
	struct tctx *c = ui_context(r, "Stop mails");
	tset(c, "what", what);
	tset(c, "u", req_query(r, "u"));
	tset(c, "w", req_query(r, "w"));
	tset(c, "s", req_query(r, "s"));
	if (done)
		tset(c, "done", "1");
	resp_header(r, "Cache-Control", "no-store");
	return ui_render(r, "unsubscribe", c);
}

int
ui_unsubscribe(struct req *r)
{
	int64_t uid, wid;
	int rc = unsub_params(r, &uid, &wid);
	return rc < 0 ? rc : unsub_page(r, 0, unsub_what(r, uid, wid));
}

/* POST: from the confirmation page, or a mail program's one-click (RFC 8058: the body is
 * "List-Unsubscribe=One-Click"); the signature is the authority, not a session. */
int
ui_unsubscribe_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	int64_t uid, wid;
	int rc = unsub_params(r, &uid, &wid);
	if (rc < 0)
		return rc;
	const char *what = unsub_what(r, uid, wid);
	if (wid == 0) {
		struct watch *w = NULL;
		size_t n = 0;
		int64_t after = 0;
		/* every digest watch of the user, page by page of the list */
		while (watch_list(db, uid, after, 100, &w, &n) == 0 && n > 0) {
			for (size_t i = 0; i < n; i++)
				if (w[i].mode == WATCH_DIGEST)
					watch_del(db, uid, w[i].id);
			after = w[n - 1].id;
			free(w);
			w = NULL;
		}
		free(w);
	} else {
		watch_del(db, uid, wid);
	}
	log_info("unsubscribe: user %lld, %s", (long long)uid, wid ? arena_printf(r->a, "watch %lld", (long long)wid)
									: "every digest watch");
	return unsub_page(r, 1, what);
}
