/* router.c: the route table (the whole web surface, top to bottom), access, error pages, and HTTP statuses. */
#include "req.h"

#include <string.h>

#include "access.h"
#include "api.h"
#include "cache.h"
#include "reqspace.h"
#include "spaces.h"
#include "ui.h"

enum {
	R_EXACT = 1,   /* the path must equal the pattern, not just start with it */
	R_READ = 2,    /* needs read access (a reader, or anonymous read switched on) */
	R_EDIT = 4,    /* needs an editor */
	R_ADMIN = 8,   /* needs an admin */
	R_LOGIN = 16,  /* needs a logged-in user, whatever the role */
	R_CSRF = 32,   /* state-changing: same-site request with the session's CSRF token */
	R_SPACE = 64,  /* also under /s/NAME/: then it works in space NAME (reads and writes
			* there need the space's read and write lists, not the roles) */
	R_SLOW = 128,  /* can take long (history walks, whole-wiki lists): run apart from the
	                * libmicrohttpd workers (server.c, slowpool.c) */
};

struct route {
	const char *method;  /* NULL: any */
	const char *pattern;
	int (*handler)(struct req *r); /* NULL: served by server.c as a stream (git) */
	int flags;
	enum route_body body; /* how server.c takes the request body (BODY_FORM unless said) */
};

static const struct route routes[] = {
	{ "GET",  "/",            ui_home,          R_EXACT | R_READ | R_SPACE },
	{ "GET",  "/wiki/",       ui_view,          R_READ | R_SPACE },
	{ "GET",  "/raw/",        ui_raw,           R_READ | R_SPACE },
	{ "GET",  "/edit/",       ui_edit,          R_EDIT | R_SPACE },
	{ "POST", "/edit/",       ui_save,          R_EDIT | R_CSRF | R_SPACE },
	{ "POST", "/preview",     ui_preview,       R_EXACT | R_EDIT | R_CSRF | R_SPACE },
	{ "POST", "/upload/",     ui_upload,        R_EDIT | R_CSRF | R_SPACE, BODY_MULTIPART },
	{ "POST", "/detach/",     ui_detach,        R_EDIT | R_CSRF | R_SPACE },
	{ "GET",  "/history/",    ui_history,       R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/diff/",       ui_diff,          R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/blame/",      ui_blame,         R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/rename/",     ui_rename_form,   R_EDIT | R_SPACE },
	{ "POST", "/rename/",     ui_rename,        R_EDIT | R_CSRF | R_SPACE },
	{ "GET",  "/delete/",     ui_delete_form,   R_EDIT | R_SPACE },
	{ "POST", "/delete/",     ui_delete,        R_EDIT | R_CSRF | R_SPACE },
	{ "GET",  "/restore/",    ui_restore_form,  R_READ | R_SPACE },
	{ "POST", "/restore/",    ui_restore,       R_EDIT | R_CSRF | R_SPACE },
	{ "POST", "/revert/",     ui_revert,        R_EDIT | R_CSRF | R_SPACE },
	{ "GET",  "/deleted",     ui_deleted,       R_EXACT | R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/pages",       ui_pages,         R_EXACT | R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/complete",    ui_complete,      R_EXACT | R_READ | R_SPACE },
	{ "GET",  "/search",      ui_search,        R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/wanted",      ui_wanted,        R_EXACT | R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/customers",   ui_customers,     R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/customer/",   ui_customer,      R_READ | R_SLOW },
	{ "GET",  "/tags",        ui_tags,          R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/tag/",        ui_tag,           R_READ | R_SLOW },
	{ "GET",  "/departments", ui_departments,   R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/department/", ui_department,    R_READ | R_SLOW },
	{ "GET",  "/stale",       ui_stale,         R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/recent",      ui_recent,        R_EXACT | R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/feed/watching", ui_feed_watching, R_EXACT | R_LOGIN | R_SLOW },
	{ "GET",  "/feed",        ui_feed,          R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/orphans",     ui_orphans,       R_EXACT | R_READ | R_SPACE | R_SLOW },
	{ "GET",  "/login",       ui_login_form,    R_EXACT },
	{ "POST", "/login",       ui_login,         R_EXACT | R_CSRF },
	{ "POST", "/logout",      ui_logout,        R_EXACT | R_CSRF },
	{ "GET",  "/register",    ui_register_form, R_EXACT },
	{ "POST", "/register",    ui_register,      R_EXACT | R_CSRF },
	{ "GET",  "/account",     ui_account,       R_EXACT | R_LOGIN },
	{ "POST", "/account",     ui_account_post,  R_EXACT | R_LOGIN | R_CSRF },
	{ "GET",  "/watch",       ui_watch,         R_EXACT | R_LOGIN },
	{ "POST", "/watch",       ui_watch_post,    R_EXACT | R_LOGIN | R_CSRF },
	{ "GET",  "/watching",    ui_watching,      R_EXACT | R_LOGIN },
	{ "POST", "/watching",    ui_watching_post, R_EXACT | R_LOGIN | R_CSRF },
	/* the signed link of a mail: no session (a mail program's one-click POST has none) */
	{ "GET",  "/unsubscribe", ui_unsubscribe,   R_EXACT },
	{ "POST", "/unsubscribe", ui_unsubscribe_post, R_EXACT },
	{ "GET",  "/admin/users", ui_admin,         R_EXACT | R_ADMIN },
	{ "POST", "/admin/users", ui_admin_post,    R_EXACT | R_ADMIN | R_CSRF },
	{ "GET",  "/admin/webhooks", ui_admin_webhooks, R_EXACT | R_ADMIN },
	{ "POST", "/admin/webhooks", ui_admin_webhooks_post, R_EXACT | R_ADMIN | R_CSRF },
	{ "GET",  "/admin/spaces", ui_admin_spaces, R_EXACT | R_ADMIN },
	{ "GET",  "/admin/replicas", ui_admin_replicas, R_EXACT | R_ADMIN },
	{ "POST", "/admin/spaces", ui_admin_spaces_post, R_EXACT | R_ADMIN | R_CSRF },
	{ "GET",  "/static/",     ui_static,        0 },
	{ "GET",  "/healthz",     ui_health,        R_EXACT },
	/* the JSON API: api.c has its own table below this prefix; tokens, errors as JSON */
	{ NULL,   "/api/v1/",     api_v1,           0,               BODY_JSON },
	/* git smart HTTP (clone, fetch, push): server.c streams it through git http-backend
	 * (githttp.c, cgi.c); who may is decided there, by HTTP Basic (docs/security.md) */
	{ NULL,   "/wiki.git/",   NULL,             0,               BODY_GIT },
	{ NULL,   "/wiki.git",    NULL,             R_EXACT,         BODY_GIT },
};

/* The route of `path` for `method` (NULL: none); *path_known says whether any route has
 * the path. In a space (`in_space`) only R_SPACE routes are there. */
static const struct route *
route_of(const char *method, const char *path, int in_space, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		size_t n = strlen(rt->pattern);
		if (in_space && !(rt->flags & R_SPACE))
			continue;
		if (rt->flags & R_EXACT ? strcmp(path, rt->pattern) != 0 : strncmp(path, rt->pattern, n) != 0)
			continue;
		*path_known = 1;
		if (!rt->method || strcmp(method, rt->method) == 0)
			return rt;
	}
	return NULL;
}

int
router_space_path(const char *path, char *name, size_t n, const char **rest)
{
	if (strncmp(path, "/s/", 3) != 0)
		return 0;
	const char *p = path + 3;
	size_t len = strcspn(p, "/");
	int git = len > 4 && strncmp(p + len - 4, ".git", 4) == 0;
	if (git)
		len -= 4;
	if (len == 0 || len >= n)
		return -1;
	memcpy(name, p, len);
	name[len] = '\0';
	if (space_name_check(name, 1) < 0)
		return -1;
	*rest = p + len + (git ? 4 : 0);
	return git ? 2 : 1;
}

enum route_body
router_body(const char *method, const char *path)
{
	int known;
	char name[64];
	const char *rest = path;
	int in_space = router_space_path(path, name, sizeof(name), &rest);
	if (in_space == 2)
		return BODY_GIT;
	const struct route *rt = route_of(method, in_space == 1 ? (*rest ? rest : "/") : path, in_space == 1, &known);
	return rt ? rt->body : BODY_FORM;
}

int
router_slow(const char *method, const char *path)
{
	int known;
	char name[64];
	const char *rest = path;
	int in_space = router_space_path(path, name, sizeof(name), &rest);
	if (in_space == 2)
		return 0; /* git: server.c answers it on its own */
	const struct route *rt = route_of(method, in_space == 1 ? (*rest ? rest : "/") : path, in_space == 1, &known);
	return rt && (rt->flags & R_SLOW);
}

/* --- refusals: what role is needed, and whom to ask -------------------------------------- */

#define ADMINS_SHOWN 5 /* admins named in a refusal; the rest are counted */

struct admins {
	struct buf *out;
	size_t n;
};

/* "Ada Admin (ada)", or "ada" when the display name says no more: control bytes become
 * blanks, since git prints this text to the pusher's terminal. */
static int
add_admin(const struct user *u, void *payload)
{
	struct admins *a = payload;
	if (u->role < ROLE_ADMIN || a->n++ >= ADMINS_SHOWN)
		return 0;
	if (a->n > 1)
		buf_puts(a->out, ", ");
	if (*u->display && strcmp(u->display, u->name) != 0) {
		for (const unsigned char *p = (const unsigned char *)u->display; *p; p++)
			buf_putc(a->out, *p < 0x20 || *p == 0x7f ? ' ' : *p);
		buf_printf(a->out, " (%s)", u->name);
	} else {
		buf_puts(a->out, u->name);
	}
	return 0;
}

static const char *
with_article(int role)
{
	return role == ROLE_READER ? "a reader" : role == ROLE_EDITOR ? "an editor" : role == ROLE_ADMIN ? "an admin"
											   : "without a role";
}

const char *
router_role_detail(struct req *r, int need, const char *what)
{
	struct buf b = BUF_INIT;
	struct admins a = { &b, 0 };
	struct db *db = access_db(r->cfg);
	buf_printf(&b, "%s needs the %s role; you are logged in as %s, %s.\n", what, role_name(need),
		   r->user ? r->user->name : "nobody", with_article(r->role));
	size_t mark = b.len;
	buf_puts(&b, "Ask an admin for it: ");
	if (db)
		auth_user_list(db, add_admin, &a);
	if (a.n == 0) {
		b.len = mark;
		buf_puts(&b, "No account is an admin yet: ask whoever runs this wiki.");
	} else {
		if (a.n > ADMINS_SHOWN)
			buf_printf(&b, " and %zu more", a.n - ADMINS_SHOWN);
		buf_putc(&b, '.');
	}
	const char *out = arena_strndup(r->a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

/* May this request use the route? 0, or the answer: a login redirect (KN_SEE_OTHER), or
 * KN_EAUTH / KN_EFORBIDDEN with *detail saying why (for a logged-in user without the role:
 * which role, and the admins to ask). The same roles govern git (server.c) and the push
 * hook; in a space other than the wiki, its read and write lists decide (reqspace.c), and a
 * space the viewer may not read is not there (KN_ENOTFOUND). */
static int
permitted(struct req *r, int flags, const char **detail)
{
	int need = flags & R_ADMIN ? ROLE_ADMIN : flags & R_EDIT ? ROLE_EDITOR : flags & R_READ ? ROLE_READER : 0;
	int ok = r->role >= need && (!(flags & R_LOGIN) || r->user);
	if (r->space && (flags & (R_READ | R_EDIT))) {
		/* A login is asked of anonymous visitors before anything else, so that the
		 * answer is the same whether the space exists or not. */
		if (!r->user && r->role < ROLE_READER)
			ok = 0;
		else if (!reqspace_may_read(r, r->space))
			return KN_ENOTFOUND;
		else if ((flags & R_EDIT) && !reqspace_may_write(r, r->space) && r->user) {
			*detail = arena_printf(r->a, "Changing the space %s is for the people its write list names; you, %s, "
					       "may read it. Ask an admin to add you.", r->space->name, r->user->name);
			return KN_EFORBIDDEN;
		} else
			ok = (!(flags & R_EDIT) || reqspace_may_write(r, r->space)) && (!(flags & R_ADMIN) || r->role >= ROLE_ADMIN);
	}
	if (ok && (flags & R_CSRF) && access_check_csrf(r) < 0) {
		*detail = "The form was not sent from this site, or it is stale: reload the page and try again.";
		return KN_EFORBIDDEN;
	}
	if (ok)
		return 0;
	if (!r->user && strcmp(r->method, "GET") == 0) {
		struct buf loc = BUF_INIT;
		buf_puts(&loc, "/login?next=");
		url_escape(&loc, r->path, strlen(r->path), 1);
		int rc = ui_redirect(r, loc.ptr);
		buf_free(&loc);
		return rc;
	}
	if (!r->user) {
		*detail = "Please log in first.";
		return KN_EAUTH;
	}
	/* a user is refused only for want of a role */
	*detail = router_role_detail(r, need, need >= ROLE_ADMIN ? "This page" : need >= ROLE_EDITOR ? "Changing the wiki"
												  : "Reading this wiki");
	return KN_EFORBIDDEN;
}

int
router_status(int rc)
{
	switch (rc) {
	case 0: return 200;
	case KN_SEE_OTHER: return 303;
	case KN_NOT_MODIFIED: return 304;
	case KN_CREATED: return 201;
	case KN_EINVAL: return 400;
	case KN_EAUTH: return 401;
	case KN_EFORBIDDEN: return 403;
	case KN_ENOTFOUND: return 404;
	case KN_EMETHOD: return 405;
	case KN_ECONFLICT: return 409;
	case KN_EEXISTS: return 409;
	case KN_ETOOBIG: return 413;
	case KN_EMEDIATYPE: return 415;
	case KN_ETHROTTLED: return 429;
	case KN_EBACKEND: return 502;
	case KN_ELOCKED: return 503;
	case KN_EBUSY: return 503;
	default: return 500;
	}
}

/* A refusal for git, which prints a text/plain body of a failed request as "remote:" lines
 * (an HTML body it does not show). */
static void
error_text(struct req *r, int status, const char *title, const char *text, const char *detail)
{
	if (status == 401)
		text = "Give your user name, and a personal access token (your account page, or `kennis token add`) "
		       "as the password.";
	buf_printf(&r->out, "%s: %s\n", title, text);
	if (detail)
		buf_printf(&r->out, "%s\n", detail);
	r->content_type = "text/plain; charset=utf-8";
	r->status = status;
}

void
error_page(struct req *r, int err, const char *detail)
{
	static const struct { int status; const char *title, *text; } msgs[] = {
		{ 400, "Bad request", "The address or the form was not understood. Page names may not "
				      "start with a dot, contain '..', control characters or any of \\ : * ? \" < > | # %." },
		{ 401, "Log in", "This wiki is for its members: please log in." },
		{ 403, "Forbidden", "You may not do this." },
		{ 404, "Not found", "There is nothing at this address." },
		{ 405, "Method not allowed", "This address does not take that kind of request." },
		{ 409, "Conflict", "Someone else changed this page meanwhile." },
		{ 413, "Too large", "The request is larger than this server accepts." },
		{ 415, "Unsupported media type", "This address does not take a body of that type." },
		{ 429, "Slow down", "Too many failed attempts; wait a little and try again." },
		{ 500, "Server error", "Something went wrong on the server; it has been logged." },
		{ 502, "Bad gateway", "The git backend did not answer properly; it has been logged." },
		{ 503, "Busy", "The server is busy; please try again in a moment." },
	};
	int status = router_status(err);
	const char *title = "Error", *text = "";
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (msgs[i].status == status) {
			title = msgs[i].title;
			text = msgs[i].text;
		}
	/* one log line: a detail's first line */
	int dlen = detail ? (int)strcspn(detail, "\n") : 0;
	log_warn("%s %s from %s: %d %s%s%.*s", r->method, r->path, r->remote ? r->remote : "-", status,
		 kn_strerror(err), detail ? ": " : "", dlen, detail ? detail : "");
	buf_reset(&r->out);
	cache_val_unref(r->shared);
	r->shared = NULL;
	r->resp_headers.n = 0;
	if (status == 503)
		resp_header(r, "Retry-After", "5");
	enum route_body body = router_body(r->method, r->path);
	if (body == BODY_GIT) {
		error_text(r, status, title, text, detail);
		return;
	}
	if (body == BODY_JSON) { /* the API answers in JSON, even what server.c refuses */
		api_error_body(r, err, detail ? detail : text);
		return;
	}
	struct tctx *c = ui_context(r, title);
	tsetf(c, "status", "%d", status);
	tset(c, "message", text);
	tset(c, "detail", detail);
	ui_render(r, "error", c);
	r->status = status;
}

/* Finish the answer `rc` of the route (or of the permission check): an error without a
 * page of the handler's own gets the error page; every answer gets its status. */
static void
answer(struct req *r, int rc, const char *detail)
{
	if (rc < 0 && !r->own_page)
		error_page(r, rc, detail);
	r->status = router_status(rc);
}

void
router_dispatch(struct req *r)
{
	int path_known, rc;
	const char *detail = NULL, *path = r->path;
	char name[64];
	if (!r->base)
		r->base = "";
	int in_space = router_space_path(r->path, name, sizeof(name), &path);
	if (in_space == 1 && !*path) { /* /s/NAME: its home */
		answer(r, ui_redirect(r, arena_printf(r->a, "%s/", r->path)), NULL);
		return;
	}
	if (in_space == 1 && strcmp(name, "wiki") != 0) {
		/* Anonymous visitors are asked to log in before the space is looked up: the same
		 * answer whether it exists or not. */
		if (!r->user && r->role < ROLE_READER && strcmp(r->method, "GET") == 0) {
			answer(r, permitted(r, R_READ, &detail), detail);
			return;
		}
		if ((rc = reqspace_enter(r, name)) < 0) {
			answer(r, rc, NULL);
			return;
		}
	} else if (in_space) {
		/* /s/wiki/... is the wiki at its own addresses; /s/NAME.git is git (server.c) */
		answer(r, KN_ENOTFOUND, NULL);
		return;
	}
	const struct route *rt = route_of(r->method, path, in_space == 1, &path_known);
	if (!rt || !rt->handler) {
		answer(r, !rt && path_known ? KN_EMETHOD : KN_ENOTFOUND, NULL);
		return;
	}
	r->rest = path + strlen(rt->pattern);
	rc = permitted(r, rt->flags, &detail);
	if (rc == 0)
		rc = rt->handler(r);
	answer(r, rc, detail);
}
