/* ui_auth.c: log in and out, self-registration, one's own account, and user admin. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "watches.h"

/* Is `next` a path on this site? Browsers read "//host", "/\host" and "\\host" as another
 * host, and they drop tabs and newlines anywhere in a URL before parsing it, so "/<TAB>/host"
 * is "//host" (issue 15). So: one '/', then no second '/', and no backslash or control byte
 * anywhere. No page name holds either (pagename.c), so no real path is lost. */
int
ui_local_path(const char *next)
{
	if (next[0] != '/' || next[1] == '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)next; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

/* Where a login goes next: `next` when it is a path of this site, else "/" (logged). */
static const char *
safe_next(struct req *r, const char *next, const char *name)
{
	if (!next || !*next)
		return "/";
	if (ui_local_path(next))
		return next;
	log_warn("login %s from %s: next %s is not a path of this site; going to /", name ? name : "-", r->remote, next);
	return "/";
}

static void
set_session_cookie(struct req *r, const char *value, long long max_age)
{
	resp_header(r, "Set-Cookie",
		    arena_printf(r->a, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s", SESSION_COOKIE, value,
				 max_age, r->cfg->behind_tls ? "; Secure" : ""));
}

/* The login form; `err` (0: none) is why it comes back, `error` says it to the user. */
static int
login_page(struct req *r, int err, const char *error, const char *name)
{
	struct tctx *c = ui_context(r, "Log in");
	tset(c, "next", safe_next(r, req_query(r, "next") ? req_query(r, "next") : req_form(r, "next"), name));
	tset(c, "error", error);
	tset(c, "login_name", name);
	if (r->cfg->registration)
		tset(c, "registration", "1");
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "login", c);
}

int
ui_login_form(struct req *r)
{
	return login_page(r, 0, NULL, NULL);
}

int
ui_login(struct req *r)
{
	const char *name = req_form(r, "user"), *pw = req_form(r, "password");
	struct db *db = access_db(r->cfg);
	struct user u;
	char cookie[AUTH_SECRET_LEN], csrf[AUTH_SECRET_LEN];
	int by_addr;
	if (!db)
		return KN_EIO;
	if (!name || !pw || auth_name_check(name) < 0)
		return login_page(r, KN_EINVAL, "Give your user name and password.", NULL);
	int64_t wait = auth_login_wait(db, name, r->remote, &by_addr);
	if (wait > 0) {
		log_warn("login %s from %s: throttled for %lld s (too many failures %s)", name, r->remote, (long long)wait,
			 by_addr ? "from this address" : "for this name");
		resp_header(r, "Retry-After", arena_printf(r->a, "%lld", (long long)wait));
		return login_page(r, KN_ETHROTTLED,
				  arena_printf(r->a, "Too many failed attempts: wait %lld seconds and try again.", (long long)wait),
				  name);
	}
	if (auth_password_check(db, name, pw, &u) < 0) {
		auth_login_failed(db, name, r->remote, r->cfg->login_address_limit);
		log_warn("login %s from %s: wrong user name or password", name, r->remote);
		return login_page(r, KN_EAUTH, "Wrong user name or password.", name);
	}
	auth_login_succeeded(db, name);
	/* A fresh random session id at every login: a cookie planted before login never
	 * becomes a session (ids are only ever made here). */
	if (auth_session_new(db, u.id, cookie, csrf) < 0)
		return KN_EIO;
	set_session_cookie(r, cookie, r->cfg->session_max);
	log_info("login %s from %s", u.name, r->remote);
	return ui_redirect(r, safe_next(r, req_form(r, "next"), u.name));
}

int
ui_logout(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *h = req_header(r, "Cookie");
	const char *p = h ? strstr(h, SESSION_COOKIE "=") : NULL;
	if (db && p) {
		char *v = arena_strndup(r->a, p + strlen(SESSION_COOKIE) + 1, strcspn(p + strlen(SESSION_COOKIE) + 1, "; "));
		auth_session_end(db, v);
	}
	set_session_cookie(r, "", 0);
	if (r->user)
		log_info("logout %s", r->user->name);
	return ui_redirect(r, "/login");
}

int
ui_register_form(struct req *r)
{
	if (!r->cfg->registration)
		return KN_ENOTFOUND;
	struct tctx *c = ui_context(r, "Register");
	return ui_render(r, "register", c);
}

int
ui_register(struct req *r)
{
	const char *name = req_form(r, "user"), *pw = req_form(r, "password");
	const char *email = req_form(r, "email"), *display = req_form(r, "display");
	struct db *db = access_db(r->cfg);
	if (!r->cfg->registration)
		return KN_ENOTFOUND;
	if (!db)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Register");
	int rc = !name || auth_name_check(name) < 0 ? KN_EINVAL
		 : !pw || strlen(pw) < 8          ? KN_ETOOBIG
						  : auth_user_add(db, name, display, email, ROLE_READER, pw);
	if (rc == 0) {
		log_info("register %s from %s", name, r->remote);
		return ui_redirect(r, "/login");
	}
	tset(c, "error", rc == KN_EEXISTS   ? "That name is taken."
			 : rc == KN_EINVAL  ? "A user name is 1 to 64 letters, digits, '.', '_' or '-'."
			 : rc == KN_ETOOBIG ? "A password needs at least 8 characters."
					    : "Could not register; it has been logged.");
	return ui_render_answer(r, rc == KN_EEXISTS ? KN_EEXISTS : KN_EINVAL, "register", c);
}

struct token_ctx {
	struct req *r;
	struct tctx *c;
};

static int
add_token_row(int64_t id, const char *user, const char *label, enum token_scope scope, int64_t created, int64_t last_used,
	      void *payload)
{
	struct token_ctx *t = payload;
	struct tctx *row = tadd(t->c, "tokens");
	tset(row, "scope", scope == TOKEN_READ ? "read only" : "read and write");
	char when[32] = "never";
	time_t tc = (time_t)created, tl = (time_t)last_used;
	tsetf(row, "id", "%lld", (long long)id);
	tset(row, "label", *label ? label : "(no label)");
	strftime(when, sizeof(when), "%Y-%m-%d", gmtime(&tc));
	tset(row, "created", when);
	strcpy(when, "never");
	if (last_used)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime(&tl));
	tset(row, "last_used", when);
	return 0;
}

/* One's account; `err` (0: none) is why it comes back with `notice`. */
static int
account_page(struct req *r, int err, const char *notice, const char *new_token)
{
	struct tctx *c = ui_context(r, "Your account");
	struct token_ctx t = { r, c };
	tset(c, "notice", notice);
	tset(c, "new_token", new_token);
	auth_token_list(access_db(r->cfg), r->user->name, add_token_row, &t);
	if (feed_token_exists(access_db(r->cfg), r->user->id))
		tset(c, "has_feed_token", "1");
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "account", c);
}

int
ui_account(struct req *r)
{
	return account_page(r, 0, NULL, NULL);
}

/* Does token `id` belong to `user`? */
static int
owns_token(int64_t id, const char *user, const char *label, enum token_scope scope, int64_t created, int64_t last_used,
	   void *payload)
{
	return *(int64_t *)payload == id ? 1 : 0;
}

int
ui_account_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *action = req_form(r, "action");
	struct user u;
	if (!db || !action)
		return KN_EINVAL;
	if (strcmp(action, "password") == 0) {
		const char *old = req_form(r, "old"), *pw = req_form(r, "password");
		if (auth_password_check(db, r->user->name, old, &u) < 0)
			return account_page(r, KN_EFORBIDDEN, "The current password is wrong.", NULL);
		if (auth_user_passwd(db, r->user->name, pw) < 0)
			return account_page(r, KN_EINVAL, "A password needs at least 8 characters.", NULL);
		log_info("account %s: password changed; sessions ended", r->user->name);
		return ui_redirect(r, "/login");
	}
	if (strcmp(action, "token") == 0) {
		char token[AUTH_TOKEN_LEN + 1];
		int64_t id;
		const char *label = req_form(r, "label"), *sc = req_form(r, "scope");
		int scope = sc ? token_scope_parse(sc) : TOKEN_WRITE;
		if (scope < 0)
			return KN_EINVAL;
		if (auth_token_add(db, r->user->name, label && strlen(label) <= 100 ? label : "", (enum token_scope)scope, token,
				   &id) < 0)
			return KN_EIO;
		log_info("account %s: token %lld made (scope %s)", r->user->name, (long long)id,
			 token_scope_name((enum token_scope)scope));
		return account_page(r, 0, "Your new token is below. Copy it now: it is not shown again.", token);
	}
	if (strcmp(action, "revoke") == 0) {
		const char *ids = req_form(r, "id");
		int64_t id = ids ? strtoll(ids, NULL, 10) : 0;
		if (id <= 0 || auth_token_list(db, r->user->name, owns_token, &id) != 1)
			return KN_ENOTFOUND;
		auth_token_revoke(db, id);
		log_info("account %s: token %lld revoked", r->user->name, (long long)id);
		return account_page(r, 0, "Token revoked.", NULL);
	}
	return KN_EINVAL;
}

static int
add_user_row(const struct user *u, void *payload)
{
	struct tctx *row = tadd(payload, "users");
	tset(row, "name", u->name);
	tset(row, "display", u->display);
	tset(row, "email", u->email);
	tset(row, "role", role_name(u->role));
	tset(row, u->role == ROLE_READER ? "is_reader" : u->role == ROLE_EDITOR ? "is_editor" : "is_admin_row", "1");
	return 0;
}

/* The user list; `err` (0: none) is why it comes back with `notice`. */
static int
admin_page(struct req *r, int err, const char *notice)
{
	struct tctx *c = ui_context(r, "Users");
	tset(c, "notice", notice);
	auth_user_list(access_db(r->cfg), add_user_row, c);
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "admin", c);
}

int
ui_admin(struct req *r)
{
	return admin_page(r, 0, NULL);
}

int
ui_admin_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *action = req_form(r, "action"), *name = req_form(r, "user");
	enum role role = role_parse(req_form(r, "role"));
	int rc;
	if (!db || !action || !name || auth_name_check(name) < 0)
		return KN_EINVAL;
	if (strcmp(action, "add") == 0) {
		rc = auth_user_add(db, name, req_form(r, "display"), req_form(r, "email"), role, req_form(r, "password"));
	} else if (strcmp(action, "role") == 0) {
		rc = strcmp(name, r->user->name) == 0 ? KN_EINVAL : auth_user_set_role(db, name, role);
	} else if (strcmp(action, "delete") == 0) {
		rc = strcmp(name, r->user->name) == 0 ? KN_EINVAL : auth_user_del(db, name);
	} else if (strcmp(action, "password") == 0) {
		rc = auth_user_passwd(db, name, req_form(r, "password"));
	} else {
		return KN_EINVAL;
	}
	if (rc < 0) {
		log_warn("admin %s: %s %s failed: %s", r->user->name, action, name, kn_strerror(rc));
		return admin_page(r, rc == KN_EEXISTS || rc == KN_ENOTFOUND ? rc : KN_EINVAL,
				  rc == KN_EEXISTS			 ? "That name is taken."
				  : strcmp(name, r->user->name) == 0 ? "You cannot change your own role or delete yourself here."
								     : "That did not work: check the name, role and password (8+ characters).");
	}
	log_info("admin %s: %s %s", r->user->name, action, name);
	return ui_redirect(r, "/admin/users");
}
