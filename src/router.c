/* router.c: the route table (the whole web surface, top to bottom) and error pages. */
#include "req.h"

#include <string.h>

#include "ui.h"

enum { R_EXACT = 1 }; /* the path must equal the pattern, not just start with it */

struct route {
	const char *method;
	const char *pattern;
	int (*handler)(struct req *r);
	int flags;
};

static const struct route routes[] = {
	{ "GET",  "/",          ui_home,    R_EXACT },
	{ "GET",  "/wiki/",     ui_view,    0 },
	{ "GET",  "/raw/",      ui_raw,     0 },
	{ "GET",  "/edit/",     ui_edit,    0 },
	{ "POST", "/edit/",     ui_save,    0 },
	{ "GET",  "/history/",  ui_history, 0 },
	{ "GET",  "/diff/",     ui_diff,    0 },
	{ "GET",  "/pages",     ui_pages,   R_EXACT },
	{ "GET",  "/static/",   ui_static,  0 },
	{ "GET",  "/healthz",   ui_health,  R_EXACT },
};

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
		{ 404, "Not found", "There is nothing at this address." },
		{ 405, "Method not allowed", "This address does not take that kind of request." },
		{ 409, "Conflict", "Someone else changed this page meanwhile." },
		{ 413, "Too large", "The request is larger than this server accepts." },
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
		int rc = rt->handler(r);
		if (rc < 0)
			error_page(r, rc, NULL);
		return;
	}
	r->status = path_known ? 405 : 404;
	error_page(r, path_known ? KN_EINVAL : KN_ENOTFOUND, NULL);
}
