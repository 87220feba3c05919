/* access.c: identify the requester and apply the anonymous/open-mode rules. */
#include "access.h"
#include "state.h"
#include "spaces.h"
#include "watches.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static pthread_key_t db_key;
static pthread_once_t db_once = PTHREAD_ONCE_INIT;
static unsigned char proxy_secret[crypto_auth_KEYBYTES];

static void
state_close(void *p)
{
	db_close(p);
}

static void
make_key(void)
{
	pthread_key_create(&db_key, state_close);
}

void
access_global_init(void)
{
	crypto_auth_keygen(proxy_secret);
	pthread_once(&db_once, make_key);
}

struct db *
access_db(const struct config *cfg)
{
	pthread_once(&db_once, make_key);
	struct db *db = pthread_getspecific(db_key);
	if (!db && state_open(&db, cfg->data_dir, cfg->db_url) == 0)
		pthread_setspecific(db_key, db);
	return db;
}

/* The value of cookie `name` in a Cookie header, copied into the arena, or NULL. */
static const char *
cookie_value(struct req *r, const char *name)
{
	const char *h = req_header(r, "Cookie");
	size_t n = strlen(name);
	while (h && *h) {
		h += strspn(h, " ;");
		const char *end = h + strcspn(h, ";");
		if ((size_t)(end - h) > n && strncmp(h, name, n) == 0 && h[n] == '=')
			return arena_strndup(r->a, h + n + 1, (size_t)(end - h - n - 1));
		h = end;
	}
	return NULL;
}

/* Is the client one of the comma-separated proxy addresses? */
static int
from_trusted_proxy(const struct req *r)
{
	const char *list = r->cfg->proxy_from;
	size_t n = strlen(r->remote);
	while (list && *list) {
		list += strspn(list, " ,");
		size_t len = strcspn(list, ", ");
		if (len == n && strncmp(list, r->remote, n) == 0)
			return 1;
		list += len;
	}
	return 0;
}

/* CSRF token of a proxy-authenticated user: a MAC of the name under a per-process key. */
static const char *
proxy_csrf(struct req *r, const char *name)
{
	unsigned char mac[crypto_auth_BYTES];
	char *out = arena_alloc(r->a, sodium_base64_ENCODED_LEN(sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	crypto_auth(mac, (const unsigned char *)name, strlen(name), proxy_secret);
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING), mac,
			  sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static int
identify_proxy(struct req *r, struct db *db, struct user *u)
{
	const char *name = req_header(r, r->cfg->proxy_header);
	if (!name || !from_trusted_proxy(r))
		return KN_ENOTFOUND;
	if (auth_name_check(name) < 0) {
		log_warn("proxy %s sent a bad user name in %s", r->remote, r->cfg->proxy_header);
		return KN_ENOTFOUND;
	}
	if (auth_user_get(db, name, u) == KN_ENOTFOUND) {
		/* first sight: an account with a random password nobody knows (login is the proxy's) */
		unsigned char pw[32];
		char hex[65];
		randombytes_buf(pw, sizeof(pw));
		sodium_bin2hex(hex, sizeof(hex), pw, sizeof(pw));
		int rc = auth_user_add(db, name, name, "", (enum role)r->cfg->proxy_role, hex);
		if ((rc < 0 && rc != KN_EEXISTS) || auth_user_get(db, name, u) < 0)
			return KN_EIO;
		log_info("proxy sign-on: created user %s (%s)", name, role_name(u->role));
	}
	r->csrf = proxy_csrf(r, name);
	return 0;
}

/* Anonymous rights: everything while no account exists, else read if allowed. */
static void
anonymous(struct req *r, struct db *db)
{
	r->open_mode = auth_user_count(db) == 0;
	if (r->open_mode)
		r->role = ROLE_EDITOR;
	else
		r->role = r->cfg->anon_read == 1 ? ROLE_READER : ROLE_NONE;
}

/* A GET of a feed (/feed…, /s/NAME/feed…): a feed reader cannot log in, so it may bring
 * the user's feed token (?token=kf_…) instead. */
static int
is_feed_get(const struct req *r)
{
	const char *p = r->path, *rest;
	char space[SPACE_NAME_MAX + 1];
	if (strcmp(r->method, "GET") != 0 || !req_query(r, "token"))
		return 0;
	if (router_space_path(r->path, space, sizeof(space), &rest) == 1)
		p = rest;
	return strcmp(p, "/feed") == 0 || strncmp(p, "/feed/", 6) == 0;
}

static int
identify_feed_token(struct req *r, struct db *db, struct user *u)
{
	int64_t uid;
	const char *token = req_query(r, "token");
	if (feed_token_check(db, token, &uid) < 0 || auth_user_get_id(db, uid, u) < 0) {
		log_warn("feed %s from %s: unknown feed token", r->path, r->remote);
		return KN_ENOTFOUND;
	}
	return 0;
}

int
access_identify_web(struct req *r)
{
	struct db *db = access_db(r->cfg);
	struct user *u = arena_alloc(r->a, sizeof(*u));
	char csrf[AUTH_SECRET_LEN];
	if (!db)
		return KN_EIO;
	if (r->cfg->proxy_header && identify_proxy(r, db, u) == 0) {
		r->user = u;
		r->role = u->role;
		return 0;
	}
	const char *sid = cookie_value(r, SESSION_COOKIE);
	if (sid && auth_session_get(db, sid, r->cfg->session_idle, r->cfg->session_max, u, csrf) == 0) {
		r->user = u;
		r->role = u->role;
		r->csrf = arena_strdup(r->a, csrf);
		return 0;
	}
	if (is_feed_get(r) && identify_feed_token(r, db, u) == 0) {
		r->user = u;
		r->role = u->role;
		return 0; /* no CSRF token: a feed reader reads, it never posts */
	}
	anonymous(r, db);
	return 0;
}

int
access_identify_basic(struct req *r)
{
	struct db *db = access_db(r->cfg);
	struct user *u = arena_alloc(r->a, sizeof(*u));
	const char *h = req_header(r, "Authorization");
	if (!db)
		return KN_EIO;
	if (!h || strncasecmp(h, "Basic ", 6) != 0) {
		anonymous(r, db);
		return 0;
	}
	size_t bn = strlen(h + 6);
	unsigned char *raw = arena_alloc(r->a, bn + 1);
	size_t rawlen = 0;
	if (sodium_base642bin(raw, bn, h + 6, bn, " ", &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return KN_EINVAL;
	raw[rawlen] = '\0';
	char *colon = strchr((char *)raw, ':');
	if (!colon)
		return KN_EINVAL;
	*colon = '\0';
	const char *name = (const char *)raw, *secret = colon + 1;
	int by_addr;
	enum token_scope scope = TOKEN_WRITE;
	/* A token names its user, whatever user name came with it (as on GitHub). */
	if (auth_token_check(db, secret, u, &scope) != 0) {
		int64_t wait = auth_login_wait(db, name, r->remote, &by_addr);
		if (wait > 0) {
			log_warn("git auth from %s for %s: throttled (too many failures %s)", r->remote, name,
				 by_addr ? "from this address" : "for this name");
			resp_header(r, "Retry-After", arena_printf(r->a, "%lld", (long long)wait));
			return KN_ETHROTTLED;
		}
		if (auth_password_check(db, name, secret, u) < 0) {
			auth_login_failed(db, name, r->remote, r->cfg->login_address_limit);
			log_warn("git auth from %s: wrong token or password for %s", r->remote, name);
			return KN_EINVAL;
		}
		auth_login_succeeded(db, name);
	}
	r->user = u;
	r->role = u->role;
	r->read_only = scope == TOKEN_READ;
	return 0;
}

int
access_identify_api(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (!h)
		return 0; /* the session (access_identify_web), or anonymous */
	if (strncasecmp(h, "Basic ", 6) == 0)
		return access_identify_basic(r);
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		log_warn("%s %s from %s: an Authorization header that is neither Bearer nor Basic", r->method, r->path,
			 r->remote);
		return KN_EINVAL;
	}
	struct db *db = access_db(r->cfg);
	struct user *u = arena_alloc(r->a, sizeof(*u));
	enum token_scope scope;
	const char *token = h + 7;
	token += strspn(token, " ");
	if (!db)
		return KN_EIO;
	/* Tokens are 256 random bits: guessing them needs no throttle, and a wrong one costs
	 * one indexed read. */
	if (auth_token_check(db, token, u, &scope) != 0) {
		log_warn("%s %s from %s: unknown, revoked or malformed token", r->method, r->path, r->remote);
		return KN_EINVAL;
	}
	/* a token speaks for its user alone: no session, no CSRF token */
	r->user = u;
	r->role = u->role;
	r->csrf = NULL;
	r->read_only = scope == TOKEN_READ;
	return 0;
}

int
access_check_csrf(struct req *r)
{
	const char *site = req_header(r, "Sec-Fetch-Site");
	const char *origin = req_header(r, "Origin");
	const char *host = req_header(r, "Host");
	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
		log_warn("%s %s from %s: cross-site request (Sec-Fetch-Site: %s) refused", r->method, r->path, r->remote, site);
		return KN_EINVAL;
	}
	if (origin && strcmp(origin, "null") != 0) {
		const char *o = strstr(origin, "://");
		if (!host || !o || strcasecmp(o + 3, host) != 0) {
			log_warn("%s %s from %s: Origin %s does not match Host %s", r->method, r->path, r->remote, origin,
				 host ? host : "-");
			return KN_EINVAL;
		}
	} else if (origin) {
		log_warn("%s %s from %s: Origin null refused", r->method, r->path, r->remote);
		return KN_EINVAL;
	}
	/* With a session (or proxy sign-on), the form must carry its token; the web's own
	 * scripts calling the API send it as a header. */
	if (r->csrf) {
		const char *t = req_form(r, "csrf");
		if (!t)
			t = req_header(r, "X-CSRF-Token");
		if (!t || !auth_secret_equal(t, r->csrf)) {
			log_warn("%s %s from %s: missing or wrong CSRF token (user %s)", r->method, r->path, r->remote,
				 r->user ? r->user->name : "-");
			return KN_EINVAL;
		}
	}
	return 0;
}
