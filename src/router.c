/* router.c: the route table (the whole web surface, top to bottom), access, error pages, and HTTP statuses. */
#include "req.h"

#include <string.h>

#include "access.h"
#include "cache.h"
#include "ui.h"

enum {
	R_EXACT = 1,   /* the path must equal the pattern, not just start with it */
	R_READ = 2,    /* needs read access (a reader, or anonymous read switched on) */
	R_EDIT = 4,    /* needs an editor */
	R_ADMIN = 8,   /* needs an admin */
	R_LOGIN = 16,  /* needs a logged-in user, whatever the role */
	R_CSRF = 32,   /* state-changing: same-site request with the session's CSRF token */
	R_SLOW = 64,   /* can take long (history walks, whole-wiki lists): run apart from the
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
	{ "GET",  "/",            ui_home,          R_EXACT | R_READ },
	{ "GET",  "/wiki/",       ui_view,          R_READ },
	{ "GET",  "/raw/",        ui_raw,           R_READ },
	{ "GET",  "/edit/",       ui_edit,          R_EDIT },
	{ "POST", "/edit/",       ui_save,          R_EDIT | R_CSRF },
	{ "POST", "/preview",     ui_preview,       R_EXACT | R_EDIT | R_CSRF },
	{ "POST", "/upload/",     ui_upload,        R_EDIT | R_CSRF, BODY_MULTIPART },
	{ "POST", "/detach/",     ui_detach,        R_EDIT | R_CSRF },
	{ "GET",  "/history/",    ui_history,       R_READ | R_SLOW },
	{ "GET",  "/diff/",       ui_diff,          R_READ | R_SLOW },
	{ "GET",  "/blame/",      ui_blame,         R_READ | R_SLOW },
	{ "GET",  "/rename/",     ui_rename_form,   R_EDIT },
	{ "POST", "/rename/",     ui_rename,        R_EDIT | R_CSRF },
	{ "GET",  "/delete/",     ui_delete_form,   R_EDIT },
	{ "POST", "/delete/",     ui_delete,        R_EDIT | R_CSRF },
	{ "GET",  "/restore/",    ui_restore_form,  R_READ },
	{ "POST", "/restore/",    ui_restore,       R_EDIT | R_CSRF },
	{ "POST", "/revert/",     ui_revert,        R_EDIT | R_CSRF },
	{ "GET",  "/pages",       ui_pages,         R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/complete",    ui_complete,      R_EXACT | R_READ },
	{ "GET",  "/search",      ui_search,        R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/wanted",      ui_wanted,        R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/customers",   ui_customers,     R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/customer/",   ui_customer,      R_READ | R_SLOW },
	{ "GET",  "/tags",        ui_tags,          R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/tag/",        ui_tag,           R_READ | R_SLOW },
	{ "GET",  "/departments", ui_departments,   R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/department/", ui_department,    R_READ | R_SLOW },
	{ "GET",  "/stale",       ui_stale,         R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/recent",      ui_recent,        R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/feed",        ui_feed,          R_READ | R_SLOW },
	{ "GET",  "/orphans",     ui_orphans,       R_EXACT | R_READ | R_SLOW },
	{ "GET",  "/login",       ui_login_form,    R_EXACT },
	{ "POST", "/login",       ui_login,         R_EXACT | R_CSRF },
	{ "POST", "/logout",      ui_logout,        R_EXACT | R_CSRF },
	{ "GET",  "/register",    ui_register_form, R_EXACT },
	{ "POST", "/register",    ui_register,      R_EXACT | R_CSRF },
	{ "GET",  "/account",     ui_account,       R_EXACT | R_LOGIN },
	{ "POST", "/account",     ui_account_post,  R_EXACT | R_LOGIN | R_CSRF },
	{ "GET",  "/admin/users", ui_admin,         R_EXACT | R_ADMIN },
	{ "POST", "/admin/users", ui_admin_post,    R_EXACT | R_ADMIN | R_CSRF },
	{ "GET",  "/static/",     ui_static,        0 },
	{ "GET",  "/healthz",     ui_health,        R_EXACT },
	/* git smart HTTP (clone, fetch, push): server.c streams it through git http-backend
	 * (githttp.c, cgi.c); who may is decided there, by HTTP Basic (docs/security.md) */
	{ NULL,   "/wiki.git/",   NULL,             0,               BODY_GIT },
	{ NULL,   "/wiki.git",    NULL,             R_EXACT,         BODY_GIT },
};

/* The route of `path` for `method` (NULL: none); *path_known says whether any route has
 * the path. */
static const struct route *
route_of(const char *method, const char *path, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		size_t n = strlen(rt->pattern);
		if (rt->flags & R_EXACT ? strcmp(path, rt->pattern) != 0 : strncmp(path, rt->pattern, n) != 0)
			continue;
		*path_known = 1;
		if (!rt->method || strcmp(method, rt->method) == 0)
			return rt;
	}
	return NULL;
}

enum route_body
router_body(const char *method, const char *path)
{
	int known;
	const struct route *rt = route_of(method, path, &known);
	return rt ? rt->body : BODY_FORM;
}

int
router_slow(const char *method, const char *path)
{
	int known;
	const struct route *rt = route_of(method, path, &known);
	return rt && (rt->flags & R_SLOW);
}

/* May this request use the route? 0, or the answer: a login redirect (KN_SEE_OTHER), or
 * KN_EAUTH / KN_EFORBIDDEN with *detail saying why. The same roles govern git (server.c)
 * and the push hook. */
static int
permitted(struct req *r, int flags, const char **detail)
{
	int need = flags & R_ADMIN ? ROLE_ADMIN : flags & R_EDIT ? ROLE_EDITOR : flags & R_READ ? ROLE_READER : 0;
	int ok = r->role >= need && (!(flags & R_LOGIN) || r->user);
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
	*detail = r->user ? "Your account may not do this." : "Please log in first.";
	return r->user ? KN_EFORBIDDEN : KN_EAUTH;
}

int
router_status(int rc)
{
	switch (rc) {
	case 0: return 200;
	case KN_SEE_OTHER: return 303;
	case KN_NOT_MODIFIED: return 304;
	case KN_EINVAL: return 400;
	case KN_EAUTH: return 401;
	case KN_EFORBIDDEN: return 403;
	case KN_ENOTFOUND: return 404;
	case KN_EMETHOD: return 405;
	case KN_ECONFLICT: return 409;
	case KN_EEXISTS: return 409;
	case KN_ETOOBIG: return 413;
	case KN_ETHROTTLED: return 429;
	case KN_EBACKEND: return 502;
	case KN_ELOCKED: return 503;
	case KN_EBUSY: return 503;
	default: return 500;
	}
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
	log_warn("%s %s from %s: %d %s%s%s", r->method, r->path, r->remote ? r->remote : "-", status,
		 kn_strerror(err), detail ? ": " : "", detail ? detail : "");
	buf_reset(&r->out);
	cache_val_unref(r->shared);
	r->shared = NULL;
	r->resp_headers.n = 0;
	if (status == 503)
		resp_header(r, "Retry-After", "5");
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
	int path_known;
	const char *detail = NULL;
	const struct route *rt = route_of(r->method, r->path, &path_known);
	if (!rt || !rt->handler) {
		answer(r, !rt && path_known ? KN_EMETHOD : KN_ENOTFOUND, NULL);
		return;
	}
	r->rest = r->path + strlen(rt->pattern);
	int rc = permitted(r, rt->flags, &detail);
	if (rc == 0)
		rc = rt->handler(r);
	answer(r, rc, detail);
}
