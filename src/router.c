/* router.c: the route table (the whole web surface, top to bottom) and error pages. */
#include "req.h"

#include <string.h>

#include "access.h"
#include "ui.h"

enum {
	R_EXACT = 1,   /* the path must equal the pattern, not just start with it */
	R_READ = 2,    /* needs read access (a reader, or anonymous read switched on) */
	R_EDIT = 4,    /* needs an editor */
	R_ADMIN = 8,   /* needs an admin */
	R_LOGIN = 16,  /* needs a logged-in user, whatever the role */
	R_CSRF = 32,   /* state-changing: same-site request with the session's CSRF token */
};

struct route {
	const char *method;
	const char *pattern;
	int (*handler)(struct req *r);
	int flags;
};

static const struct route routes[] = {
	{ "GET",  "/",            ui_home,          R_EXACT | R_READ },
	{ "GET",  "/wiki/",       ui_view,          R_READ },
	{ "GET",  "/raw/",        ui_raw,           R_READ },
	{ "GET",  "/edit/",       ui_edit,          R_EDIT },
	{ "POST", "/edit/",       ui_save,          R_EDIT | R_CSRF },
	{ "POST", "/preview",     ui_preview,       R_EXACT | R_EDIT | R_CSRF },
	{ "POST", "/upload/",     ui_upload,        R_EDIT | R_CSRF },
	{ "POST", "/detach/",     ui_detach,        R_EDIT | R_CSRF },
	{ "GET",  "/history/",    ui_history,       R_READ },
	{ "GET",  "/diff/",       ui_diff,          R_READ },
	{ "GET",  "/blame/",      ui_blame,         R_READ },
	{ "GET",  "/rename/",     ui_rename_form,   R_EDIT },
	{ "POST", "/rename/",     ui_rename,        R_EDIT | R_CSRF },
	{ "GET",  "/delete/",     ui_delete_form,   R_EDIT },
	{ "POST", "/delete/",     ui_delete,        R_EDIT | R_CSRF },
	{ "GET",  "/restore/",    ui_restore_form,  R_READ },
	{ "POST", "/restore/",    ui_restore,       R_EDIT | R_CSRF },
	{ "POST", "/revert/",     ui_revert,        R_EDIT | R_CSRF },
	{ "GET",  "/pages",       ui_pages,         R_EXACT | R_READ },
	{ "GET",  "/complete",    ui_complete,      R_EXACT | R_READ },
	{ "GET",  "/search",      ui_search,        R_EXACT | R_READ },
	{ "GET",  "/wanted",      ui_wanted,        R_EXACT | R_READ },
	{ "GET",  "/customers",   ui_customers,     R_EXACT | R_READ },
	{ "GET",  "/customer/",   ui_customer,      R_READ },
	{ "GET",  "/tags",        ui_tags,          R_EXACT | R_READ },
	{ "GET",  "/tag/",        ui_tag,           R_READ },
	{ "GET",  "/departments", ui_departments,   R_EXACT | R_READ },
	{ "GET",  "/department/", ui_department,    R_READ },
	{ "GET",  "/stale",       ui_stale,         R_EXACT | R_READ },
	{ "GET",  "/recent",      ui_recent,        R_EXACT | R_READ },
	{ "GET",  "/feed",        ui_feed,          R_READ },
	{ "GET",  "/orphans",     ui_orphans,       R_EXACT | R_READ },
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
};

/* May this request use the route? 0, or an answer already filled in (login redirect, 401,
 * 403). The same roles govern git (server.c) and the push hook. */
static int
permitted(struct req *r, int flags)
{
	int need = flags & R_ADMIN ? ROLE_ADMIN : flags & R_EDIT ? ROLE_EDITOR : flags & R_READ ? ROLE_READER : 0;
	int ok = r->role >= need && (!(flags & R_LOGIN) || r->user);
	if (ok && (flags & R_CSRF) && access_check_csrf(r) < 0) {
		r->status = 403;
		error_page(r, KN_EINVAL, "The form was not sent from this site, or it is stale: reload the page and try again.");
		return -1;
	}
	if (ok)
		return 0;
	if (!r->user && strcmp(r->method, "GET") == 0) {
		struct buf loc = BUF_INIT;
		buf_puts(&loc, "/login?next=");
		url_escape(&loc, r->path, strlen(r->path), 1);
		ui_redirect(r, loc.ptr);
		buf_free(&loc);
		return -1;
	}
	r->status = r->user ? 403 : 401;
	error_page(r, KN_EINVAL, r->user ? "Your account may not do this." : "Please log in first.");
	return -1;
}

static int
status_of(int err)
{
	switch (err) {
	case KN_EINVAL: return 400;
	case KN_ENOTFOUND: return 404;
	case KN_ECONFLICT: return 409;
	case KN_ETOOBIG: return 413;
	case KN_ELOCKED: return 503;
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
	int status = r->status >= 400 ? r->status : status_of(err);
	const char *title = "Error", *text = "";
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (msgs[i].status == status) {
			title = msgs[i].title;
			text = msgs[i].text;
		}
	log_warn("%s %s from %s: %d %s%s%s", r->method, r->path, r->remote ? r->remote : "-", status,
		 kn_strerror(err), detail ? ": " : "", detail ? detail : "");
	buf_reset(&r->out);
	r->resp_headers.n = 0;
	struct tctx *c = ui_context(r, title);
	tsetf(c, "status", "%d", status);
	tset(c, "message", text);
	tset(c, "detail", detail);
	ui_render(r, "error", c);
	r->status = status;
}

void
router_dispatch(struct req *r)
{
	int path_known = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];
		size_t n = strlen(rt->pattern);
		if (rt->flags & R_EXACT ? strcmp(r->path, rt->pattern) != 0 : strncmp(r->path, rt->pattern, n) != 0)
			continue;
		path_known = 1;
		if (strcmp(r->method, rt->method) != 0)
			continue;
		r->rest = r->path + n;
		if (permitted(r, rt->flags) < 0)
			return;
		int rc = rt->handler(r);
		if (rc < 0)
			error_page(r, rc, NULL);
		return;
	}
	r->status = path_known ? 405 : 404;
	error_page(r, path_known ? KN_EINVAL : KN_ENOTFOUND, NULL);
}
