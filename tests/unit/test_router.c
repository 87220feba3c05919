/* test_router.c: the route table with a fake struct req: statuses, access flags, body kinds. */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "access.h"
#include "auth.h"
#include "req.h"

static struct config cfg;
static struct arena *arena;

/* A request as server.c would hand it over, from `role` (and `user`, or NULL). */
static struct req *
fake(const char *method, const char *path, int role, const struct user *user)
{
	struct req *r = arena_alloc(arena, sizeof(*r));
	r->a = arena;
	r->cfg = &cfg;
	r->method = method;
	r->path = path;
	r->remote = "127.0.0.1";
	r->role = role;
	r->user = user;
	r->status = 200;
	return r;
}

/* Dispatch `r`: its status. */
static int
run(struct req *r)
{
	router_dispatch(r);
	return r->status;
}

static const char *
body(struct req *r)
{
	return buf_cstr(&r->out);
}

static void
done(struct req *r)
{
	buf_free(&r->out);
}

static void
test_statuses(void)
{
	struct req *r = fake("GET", "/healthz", ROLE_NONE, NULL);
	ok(run(r) == 200 && strcmp(body(r), "ok\n") == 0, "a handler's page: 200");
	done(r);
	r = fake("GET", "/no/such/address", ROLE_ADMIN, NULL);
	ok(run(r) == 404 && strstr(body(r), "Not found"), "no route: the 404 error page");
	done(r);
	r = fake("DELETE", "/healthz", ROLE_ADMIN, NULL);
	ok(run(r) == 405 && strstr(body(r), "Method not allowed"), "a known address, another method: 405");
	done(r);
	r = fake("GET", "/static/kennis.css", ROLE_NONE, NULL);
	ok(run(r) == 200 && r->out.len > 100 && kv_get(&r->resp_headers, "ETag"), "a static file with its ETag");
	const char *etag = arena_strdup(arena, kv_get(&r->resp_headers, "ETag"));
	done(r);
	r = fake("GET", "/static/kennis.css", ROLE_NONE, NULL);
	kv_add(arena, &r->headers, "If-None-Match", etag);
	ok(run(r) == 304 && r->out.len == 0, "KN_NOT_MODIFIED: 304, no body");
	done(r);
	r = fake("GET", "/register", ROLE_NONE, NULL);
	ok(run(r) == 404, "a handler's KN_ENOTFOUND (registration off): 404");
	done(r);
	r = fake("GET", "/wiki.git/info/refs", ROLE_ADMIN, NULL);
	ok(run(r) == 404, "git rows have no handler here (server.c streams them): 404");
	done(r);
}

static void
test_access(void)
{
	struct user reader = { .id = 1, .name = "rea", .role = ROLE_READER };
	struct user editor = { .id = 2, .name = "edi", .role = ROLE_EDITOR };
	struct req *r = fake("GET", "/account", ROLE_READER, NULL);
	ok(run(r) == 303 && strcmp(kv_get(&r->resp_headers, "Location"), "/login?next=/account") == 0,
	   "R_LOGIN, anonymous GET: to the login form (KN_SEE_OTHER, 303)");
	done(r);
	r = fake("POST", "/account", ROLE_READER, NULL);
	ok(run(r) == 401 && strstr(body(r), "Please log in first."), "R_LOGIN, anonymous POST: 401");
	done(r);
	r = fake("GET", "/admin/users", ROLE_EDITOR, &editor);
	ok(run(r) == 403 && strstr(body(r), "This page needs the admin role; you are logged in as edi, an editor.") &&
	   strstr(body(r), "No account is an admin yet"), "R_ADMIN, an editor: 403, the role it needs; no admin to name yet");
	done(r);
	struct db *db = access_db(&cfg);
	ok(db && auth_user_add(db, "ada", "Ada \x1b[31mAdmin", "ada@example.com", ROLE_ADMIN, "correct-horse-battery") == 0 &&
	   auth_user_add(db, "bob", "", "", ROLE_ADMIN, "correct-horse-battery") == 0 &&
	   auth_user_add(db, "eve", "Eve", "", ROLE_EDITOR, "correct-horse-battery") == 0, "two admins and an editor");
	r = fake("POST", "/preview", ROLE_READER, &reader);
	ok(run(r) == 403 && strstr(body(r), "Changing the wiki needs the editor role; you are logged in as rea, a reader.\n"
					    "Ask an admin for it: Ada  [31mAdmin (ada), bob.") && !strstr(body(r), "eve") &&
	   !strstr(body(r), "example.com"), "R_EDIT, a reader: 403, the role, and the admins by name (no e-mail, no editors)");
	done(r);
	r = fake("GET", "/edit/Home", ROLE_READER, NULL);
	ok(run(r) == 303, "R_EDIT, anonymous GET: the login form, naming nobody");
	done(r);
	r = fake("POST", "/preview", ROLE_READER, NULL);
	ok(run(r) == 401 && !strstr(body(r), "ada") && !strstr(body(r), "admin role"), "R_EDIT, anonymous POST: 401, naming nobody");
	done(r);
	/* git prints a text/plain body as "remote:" lines */
	r = fake("GET", "/wiki.git/info/refs", ROLE_READER, &reader);
	error_page(r, KN_EFORBIDDEN, router_role_detail(r, ROLE_EDITOR, "Pushing"));
	ok(r->status == 403 && strcmp(r->content_type, "text/plain; charset=utf-8") == 0 &&
	   strcmp(body(r), "Forbidden: You may not do this.\nPushing needs the editor role; you are logged in as rea, a reader.\n"
			   "Ask an admin for it: Ada  [31mAdmin (ada), bob.\n") == 0,
	   "git: 403 as text, the role and the admins, no control bytes");
	if (strchr(body(r), '\x1b'))
		printf("# %s\n", body(r));
	done(r);
	r = fake("POST", "/wiki.git/git-receive-pack", ROLE_NONE, NULL);
	error_page(r, KN_EAUTH, NULL);
	ok(r->status == 401 && strstr(body(r), "personal access token") && !strchr(body(r), '<'), "git: 401 as text, how to log in");
	done(r);
	r = fake("GET", "/pages", ROLE_NONE, NULL);
	ok(run(r) == 303, "R_READ, anonymous without anonymous read: to the login form");
	done(r);
	r = fake("POST", "/logout", ROLE_READER, &reader);
	r->csrf = "the-session-token";
	ok(run(r) == 403 && strstr(body(r), "The form was not sent from this site"), "R_CSRF, no token: 403, and why");
	done(r);
	r = fake("POST", "/logout", ROLE_READER, &reader);
	kv_add(arena, &r->headers, "Sec-Fetch-Site", "cross-site");
	ok(run(r) == 403, "R_CSRF, a cross-site form: 403");
	done(r);
}

/* An error with a page of the handler's own: the page stays, the router gives the status. */
static void
test_own_page(void)
{
	struct req *r = fake("POST", "/login", ROLE_NONE, NULL);
	ok(run(r) == 400 && strstr(body(r), "Give your user name and password.") && !strstr(body(r), "Bad request"),
	   "the login form back with its notice: 400, not the error page");
	done(r);
	r = fake("POST", "/login", ROLE_NONE, NULL);
	kv_add(arena, &r->form, "user", "nobody");
	kv_add(arena, &r->form, "password", "wrong password");
	ok(run(r) == 401 && strstr(body(r), "Wrong user name or password."), "a wrong password: KN_EAUTH, 401, the form");
	done(r);
}

static void
test_codes(void)
{
	static const struct { int rc, status; } codes[] = {
		{ 0, 200 }, { KN_SEE_OTHER, 303 }, { KN_NOT_MODIFIED, 304 }, { KN_EINVAL, 400 }, { KN_EAUTH, 401 },
		{ KN_EFORBIDDEN, 403 }, { KN_ENOTFOUND, 404 }, { KN_EMETHOD, 405 }, { KN_ECONFLICT, 409 },
		{ KN_EEXISTS, 409 }, { KN_ETOOBIG, 413 }, { KN_ETHROTTLED, 429 }, { KN_EGIT, 500 }, { KN_EIO, 500 },
		{ KN_EBACKEND, 502 }, { KN_ELOCKED, 503 }, { KN_EBUSY, 503 },
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (router_status(codes[i].rc) != codes[i].status) {
			printf("# %d: %d, not %d\n", codes[i].rc, router_status(codes[i].rc), codes[i].status);
			bad++;
		}
	ok(bad == 0, "router_status maps every code (%d wrong)", bad);

	ok(router_body("POST", "/upload/Customers/Acme") == BODY_MULTIPART, "POST /upload/: a multipart row");
	ok(router_body("GET", "/upload/Customers/Acme") == BODY_FORM, "GET /upload/: not the upload row");
	ok(router_body("GET", "/wiki.git/info/refs") == BODY_GIT && router_body("POST", "/wiki.git/git-receive-pack") == BODY_GIT &&
	   router_body("GET", "/wiki.git") == BODY_GIT, "/wiki.git and below, any method: git rows");
	ok(router_body("GET", "/wiki.gitx") == BODY_FORM && router_body("POST", "/edit/Home") == BODY_FORM,
	   "everything else: a form");
	ok(router_body("POST", "/s/finance/upload/Terms") == BODY_MULTIPART && router_body("POST", "/s/finance/edit/X") == BODY_FORM,
	   "in a space: the same rows");
	ok(router_body("GET", "/s/finance.git/info/refs") == BODY_GIT && router_body("POST", "/s/finance.git/git-receive-pack") == BODY_GIT,
	   "/s/NAME.git: git");
	ok(router_body("POST", "/s/finance/search") == BODY_FORM, "a global route is no space route");

	char name[64];
	const char *rest = NULL;
	ok(router_space_path("/s/finance/wiki/Globex", name, sizeof(name), &rest) == 1 && strcmp(name, "finance") == 0 &&
	   strcmp(rest, "/wiki/Globex") == 0, "/s/NAME/...: the space and the rest");
	ok(router_space_path("/s/finance.git/info/refs", name, sizeof(name), &rest) == 2 && strcmp(name, "finance") == 0 &&
	   strcmp(rest, "/info/refs") == 0, "/s/NAME.git/...: git");
	ok(router_space_path("/s/finance", name, sizeof(name), &rest) == 1 && *rest == '\0', "/s/NAME alone");
	ok(router_space_path("/s//x", name, sizeof(name), &rest) == -1 && router_space_path("/s/.git", name, sizeof(name), &rest) == -1,
	   "an empty space name is refused");
	ok(router_space_path("/wiki/s/x", name, sizeof(name), &rest) == 0 && router_space_path("/search", name, sizeof(name), &rest) == 0,
	   "other paths are no space paths");
}

int
main(void)
{
	char dir[] = "/tmp/kennis-router-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	log_min_level = LOG_ERROR + 1;
	auth_global_init();
	cfg.data_dir = dir;
	arena = arena_new();
	test_statuses();
	test_access();
	test_own_page();
	test_codes();
	arena_free(arena);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
