/* auth.c: accounts, sessions, tokens and throttling, stored in DATA/kennis.db. */
#include "auth.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Version 1 is the schema kennis.db had before the db layer (CREATE … IF NOT EXISTS, so an
 * existing file passes through unchanged). User names are unique whatever their case:
 * SQLite by the column's collation, PostgreSQL by an index on lower(name); lookups compare
 * lower(name), which both read the same way (names are ASCII). */
static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE IF NOT EXISTS users ("
	  "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, display TEXT NOT NULL,"
	  "  email TEXT NOT NULL, role INTEGER NOT NULL, pwhash TEXT NOT NULL, created INTEGER NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS sessions ("
	  "  idhash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  csrf TEXT NOT NULL, created INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS tokens ("
	  "  id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  label TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, last_used INTEGER);"
	  "CREATE TABLE IF NOT EXISTS throttle ("
	  "  key TEXT PRIMARY KEY, failures INTEGER NOT NULL, until INTEGER NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS users_lower_name ON users(lower(name));",
	  "CREATE TABLE users ("
	  "  id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, display TEXT NOT NULL,"
	  "  email TEXT NOT NULL, role INTEGER NOT NULL, pwhash TEXT NOT NULL, created BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX users_lower_name ON users(lower(name));"
	  "CREATE TABLE sessions ("
	  "  idhash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  csrf TEXT NOT NULL, created BIGINT NOT NULL, last_seen BIGINT NOT NULL);"
	  "CREATE INDEX sessions_user ON sessions(user_id);"
	  "CREATE TABLE tokens ("
	  "  id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  label TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL, last_used BIGINT);"
	  "CREATE TABLE throttle ("
	  "  key TEXT PRIMARY KEY, failures INTEGER NOT NULL, until BIGINT NOT NULL);" },
	/* 2: throttle counts within a window (since); it holds only counters, so it is made anew */
	{ 2,
	  "DROP TABLE IF EXISTS throttle;"
	  "CREATE TABLE throttle(key TEXT PRIMARY KEY, failures INTEGER NOT NULL, since INTEGER NOT NULL,"
	  "  until INTEGER NOT NULL);",
	  "DROP TABLE IF EXISTS throttle;"
	  "CREATE TABLE throttle(key TEXT PRIMARY KEY, failures INTEGER NOT NULL, since BIGINT NOT NULL,"
	  "  until BIGINT NOT NULL);" },
	/* 3: a token may read only, or read and write (the default: tokens made before could push) */
	{ 3, "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write';",
	  "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write';" },
};

int
auth_global_init(void)
{
	return sodium_init() < 0 ? KN_EIO : 0;
}

int
auth_db_init(struct db *db)
{
	return db_migrate(db, "auth", schema, sizeof(schema) / sizeof(schema[0]));
}

const char *
role_name(enum role r)
{
	switch (r) {
	case ROLE_READER: return "reader";
	case ROLE_EDITOR: return "editor";
	case ROLE_ADMIN: return "admin";
	default: return "none";
	}
}

enum role
role_parse(const char *s)
{
	if (!s)
		return ROLE_NONE;
	if (strcmp(s, "reader") == 0)
		return ROLE_READER;
	if (strcmp(s, "editor") == 0)
		return ROLE_EDITOR;
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	return ROLE_NONE;
}

int
auth_name_check(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > AUTH_NAME_MAX || name[0] == '.' || name[0] == '-')
		return KN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return KN_EINVAL;
	}
	return 0;
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

/* db_exec as the functions below want it: 0 when a row changed, KN_ENOTFOUND when none
 * did, KN_EEXISTS, or KN_EIO. */
static int
changed(int rc)
{
	return rc < 0 ? rc : rc > 0 ? 0 : KN_ENOTFOUND;
}

static int
hash_password(char out[crypto_pwhash_STRBYTES], const char *password)
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_error("password hashing failed (out of memory?)");
		return KN_EIO;
	}
	return 0;
}

int
auth_user_add(struct db *db, const char *name, const char *display, const char *email, enum role role,
	      const char *password)
{
	char h[crypto_pwhash_STRBYTES];
	int64_t n = 0;
	if (auth_name_check(name) < 0 || role == ROLE_NONE || !password || strlen(password) < 8)
		return KN_EINVAL;
	/* the same name in another case is the same user */
	if (db_query_int(&n, db, "SELECT count(*) FROM users WHERE lower(name) = lower($1)", "s", name) == 0 && n > 0)
		return KN_EEXISTS;
	if (hash_password(h, password) < 0)
		return KN_EIO;
	return changed(db_exec(db,
			       "INSERT INTO users(name, display, email, role, pwhash, created) VALUES($1, $2, $3, $4, $5, $6)",
			       "sssisi", name, display && *display ? display : name, email && *email ? email : "",
			       (int64_t)role, h, now()));
}

int
auth_user_passwd(struct db *db, const char *name, const char *password)
{
	char h[crypto_pwhash_STRBYTES];
	if (!password || strlen(password) < 8)
		return KN_EINVAL;
	if (hash_password(h, password) < 0)
		return KN_EIO;
	int rc = changed(db_exec(db, "UPDATE users SET pwhash = $1 WHERE lower(name) = lower($2)", "ss", h, name));
	if (rc == 0) {
		/* a new password ends every session of that user */
		struct user u;
		if (auth_user_get(db, name, &u) == 0)
			auth_session_end_user(db, u.id);
	}
	return rc;
}

int
auth_user_set_role(struct db *db, const char *name, enum role role)
{
	if (role == ROLE_NONE)
		return KN_EINVAL;
	return changed(db_exec(db, "UPDATE users SET role = $1 WHERE lower(name) = lower($2)", "is", (int64_t)role, name));
}

int
auth_user_del(struct db *db, const char *name)
{
	return changed(db_exec(db, "DELETE FROM users WHERE lower(name) = lower($1)", "s", name));
}

/* Columns 0-4 of a row: id, name, display, email, role. */
static void
fill_user(struct db_res *r, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = db_col_int(r, 0);
	snprintf(u->name, sizeof(u->name), "%s", db_col_text(r, 1));
	snprintf(u->display, sizeof(u->display), "%s", db_col_text(r, 2));
	snprintf(u->email, sizeof(u->email), "%s", db_col_text(r, 3));
	u->role = (enum role)db_col_int(r, 4);
}

#define USER_COLS "id, name, display, email, role"

/* The user with that name (and the password hash, when `pwhash`). */
static int
get_user(struct db *db, const char *name, struct user *out, char *pwhash, size_t pwlen)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db, "SELECT " USER_COLS ", pwhash FROM users WHERE lower(name) = lower($1)", "s", name);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1) {
		fill_user(r, out);
		if (pwhash)
			snprintf(pwhash, pwlen, "%s", db_col_text(r, 5));
	}
	db_res_free(r);
	return rc == 1 ? 0 : rc == 0 ? KN_ENOTFOUND : rc;
}

int
auth_user_get(struct db *db, const char *name, struct user *out)
{
	return get_user(db, name, out, NULL, 0);
}

int
auth_user_get_id(struct db *db, int64_t id, struct user *out)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db, "SELECT " USER_COLS " FROM users WHERE id = $1", "i", id);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1)
		fill_user(r, out);
	db_res_free(r);
	return rc == 1 ? 0 : rc == 0 ? KN_ENOTFOUND : rc;
}

int64_t
auth_user_count(struct db *db)
{
	int64_t n = 0;
	return db_query_int(&n, db, "SELECT count(*) FROM users", "") == 0 ? n : 0;
}

int
auth_user_list(struct db *db, int (*cb)(const struct user *u, void *payload), void *payload)
{
	struct db_res *r = NULL;
	struct user u;
	int rc = db_query(&r, db, "SELECT " USER_COLS " FROM users ORDER BY lower(name)", "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		fill_user(r, &u);
		rc = cb(&u, payload);
	}
	db_res_free(r);
	return rc;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
	unsigned char pw[16];
	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

int
auth_password_check(struct db *db, const char *name, const char *password, struct user *out)
{
	char h[crypto_pwhash_STRBYTES];
	int found = get_user(db, name ? name : "", out, h, sizeof(h)) == 0;
	if (!password)
		password = "";
	if (!found) {
		/* Verify against a fixed hash anyway, so an unknown name costs the same as a
		 * wrong password. */
		pthread_once(&dummy_once, make_dummy);
		volatile int ignored = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
		(void)ignored;
		return KN_EINVAL;
	}
	if (crypto_pwhash_str_verify(h, password, strlen(password)) != 0)
		return KN_EINVAL;
	if (crypto_pwhash_str_needs_rehash(h, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0 &&
	    hash_password(h, password) == 0)
		db_exec(db, "UPDATE users SET pwhash = $1 WHERE id = $2", "si", h, out->id);
	return 0;
}

/* 32 random bytes as 43 base64url characters. */
static void
random_secret(char *out, size_t outlen)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, outlen, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Hex of BLAKE2b-256 of a high-entropy secret: what the database keeps. */
static void
secret_hash(char out[65], const char *secret)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, strlen(secret), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int
auth_secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == strlen(b) && n > 0 && sodium_memcmp(a, b, n) == 0;
}

const char *
token_scope_name(enum token_scope s)
{
	return s == TOKEN_READ ? "read" : "write";
}

int
token_scope_parse(const char *s)
{
	if (s && strcmp(s, "read") == 0)
		return TOKEN_READ;
	if (s && strcmp(s, "write") == 0)
		return TOKEN_WRITE;
	return -1;
}

int
auth_token_add(struct db *db, const char *user, const char *label, enum token_scope scope, char *token, int64_t *id)
{
	struct user u;
	char h[65];
	int64_t tid = 0;
	if (scope != TOKEN_READ && scope != TOKEN_WRITE)
		return KN_EINVAL;
	if (auth_user_get(db, user, &u) < 0)
		return KN_ENOTFOUND;
	memcpy(token, "kn_", 3);
	random_secret(token + 3, AUTH_SECRET_LEN);
	secret_hash(h, token);
	int rc = db_query_int(&tid, db,
			      "INSERT INTO tokens(user_id, label, hash, created, scope) VALUES($1, $2, $3, $4, $5) RETURNING id",
			      "issis", u.id, label ? label : "", h, now(), token_scope_name(scope));
	if (rc == 0 && id)
		*id = tid;
	return rc;
}

int
auth_token_check(struct db *db, const char *token, struct user *out, enum token_scope *scope)
{
	struct db_res *r = NULL;
	char h[65];
	if (!token || strncmp(token, "kn_", 3) != 0 || strlen(token) != AUTH_TOKEN_LEN)
		return KN_EINVAL;
	secret_hash(h, token);
	int rc = db_query(&r, db,
			  "SELECT u.id, u.name, u.display, u.email, u.role, t.id, coalesce(t.last_used, 0), t.scope FROM tokens t "
			  "JOIN users u ON u.id = t.user_id WHERE t.hash = $1",
			  "s", h);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	int64_t tid = 0, used = 0;
	if (rc == 1) {
		fill_user(r, out);
		tid = db_col_int(r, 5);
		used = db_col_int(r, 6);
		/* anything but "read" is what every token could do before scopes: write */
		if (scope)
			*scope = token_scope_parse(db_col_text(r, 7)) == TOKEN_READ ? TOKEN_READ : TOKEN_WRITE;
	}
	db_res_free(r);
	if (rc != 1)
		return rc < 0 ? rc : KN_EINVAL;
	/* one write a minute at most: a busy git client must not write on every request */
	int64_t t = now();
	if (t - used >= 60)
		db_exec(db, "UPDATE tokens SET last_used = $1 WHERE id = $2", "ii", t, tid);
	return 0;
}

int
auth_token_revoke(struct db *db, int64_t id)
{
	return changed(db_exec(db, "DELETE FROM tokens WHERE id = $1", "i", id));
}

int
auth_token_list(struct db *db, const char *user,
		int (*cb)(int64_t id, const char *user, const char *label, enum token_scope scope, int64_t created,
			  int64_t last_used, void *payload),
		void *payload)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db,
			  "SELECT t.id, u.name, t.label, t.created, coalesce(t.last_used, 0), t.scope FROM tokens t JOIN "
			  "users u ON u.id = t.user_id WHERE lower(u.name) = lower($1) OR $2 = 1 ORDER BY t.id",
			  "si", user ? user : "", (int64_t)(user == NULL));
	while (rc == 0 && (rc = db_row(r)) == 1)
		rc = cb(db_col_int(r, 0), db_col_text(r, 1), db_col_text(r, 2),
			token_scope_parse(db_col_text(r, 5)) == TOKEN_READ ? TOKEN_READ : TOKEN_WRITE, db_col_int(r, 3),
			db_col_int(r, 4), payload);
	db_res_free(r);
	return rc;
}

int
auth_session_new(struct db *db, int64_t user_id, char *cookie, char *csrf)
{
	char h[65];
	random_secret(cookie, AUTH_SECRET_LEN);
	random_secret(csrf, AUTH_SECRET_LEN);
	secret_hash(h, cookie);
	int64_t t = now();
	return changed(db_exec(db, "INSERT INTO sessions(idhash, user_id, csrf, created, last_seen) VALUES($1, $2, $3, $4, $5)",
			       "sisii", h, user_id, csrf, t, t));
}

int
auth_session_get(struct db *db, const char *cookie, int64_t idle_s, int64_t max_s, struct user *out, char *csrf)
{
	struct db_res *r = NULL;
	char h[65];
	int64_t t = now(), seen = 0;
	if (!cookie || strlen(cookie) != AUTH_SECRET_LEN - 1)
		return KN_ENOTFOUND;
	secret_hash(h, cookie);
	int rc = db_query(&r, db,
			  "SELECT u.id, u.name, u.display, u.email, u.role, s.csrf, s.created, s.last_seen FROM "
			  "sessions s JOIN users u ON u.id = s.user_id WHERE s.idhash = $1",
			  "s", h);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1) {
		int64_t created = db_col_int(r, 6);
		seen = db_col_int(r, 7);
		if (t - seen <= idle_s && t - created <= max_s) {
			fill_user(r, out);
			snprintf(csrf, AUTH_SECRET_LEN, "%s", db_col_text(r, 5));
			rc = 0;
		} else {
			rc = KN_ENOTFOUND; /* expired */
		}
	} else
		rc = rc < 0 ? rc : KN_ENOTFOUND;
	db_res_free(r);
	if (rc == 0 && t - seen >= 60)
		/* one write a minute at most: page views must not all write */
		db_exec(db, "UPDATE sessions SET last_seen = $1 WHERE idhash = $2", "is", t, h);
	else if (rc == KN_ENOTFOUND)
		db_exec(db, "DELETE FROM sessions WHERE idhash = $1", "s", h);
	return rc;
}

int
auth_session_end(struct db *db, const char *cookie)
{
	char h[65];
	if (!cookie)
		return KN_ENOTFOUND;
	secret_hash(h, cookie);
	return changed(db_exec(db, "DELETE FROM sessions WHERE idhash = $1", "s", h));
}

int
auth_session_end_user(struct db *db, int64_t user_id)
{
	return changed(db_exec(db, "DELETE FROM sessions WHERE user_id = $1", "i", user_id));
}

/* Login throttling (issue 15). One counter per account name and one per client address,
 * so a guesser blocks only the names it guesses: before, every failure also counted against
 * the address, and 12 failures behind one proxy locked out everybody behind it.
 * - A counter holds the failures since its first one, and starts again THROTTLE_WINDOW
 *   after that first one. Past its free allowance each failure doubles a wait (1, 2, 4 s ...
 *   at most THROTTLE_MAX_WAIT) during which even the right password is answered 429.
 * - A name allows THROTTLE_NAME_FREE: a person mistyping gets a few tries, a guesser about
 *   20 an hour per name. The name is throttled from every address, or a botnet could guess
 *   it freely; the cost is that a guesser can keep one name waiting (at most 15 minutes
 *   per failure), which the log shows.
 * - An address allows `addr_free` (--login-address-limit, AUTH_LOGIN_ADDRESS_LIMIT = 100 an hour): enough for the
 *   mistakes of everyone behind a company proxy, few enough to stop one host spraying one
 *   password over many names. IPv6 counts per /64, which one host usually holds whole. */
#define THROTTLE_NAME_FREE 5
#define THROTTLE_WINDOW 3600   /* seconds */
#define THROTTLE_MAX_WAIT 900  /* seconds */

/* "user:ada" (lowercase: names are case-insensitive) or "addr:192.0.2.1" / "addr:2001:db8::/64". */
static void
name_key(char *out, size_t n, const char *name)
{
	size_t i = (size_t)snprintf(out, n, "user:");
	for (; *name && i + 1 < n; name++)
		out[i++] = (char)((*name >= 'A' && *name <= 'Z') ? *name + 32 : *name);
	out[i] = '\0';
}

static void
addr_key(char *out, size_t n, const char *addr)
{
	struct in6_addr a6;
	char net[INET6_ADDRSTRLEN];
	if (strchr(addr, ':') && !strchr(addr, '.') && inet_pton(AF_INET6, addr, &a6) == 1) {
		memset(a6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a6, net, sizeof(net));
		snprintf(out, n, "addr:%s/64", net);
	} else {
		snprintf(out, n, "addr:%s", addr);
	}
}

static int64_t
throttle_wait(struct db *db, const char *key)
{
	int64_t until = 0, wait;
	if (db_query_int(&until, db, "SELECT until FROM throttle WHERE key = $1", "s", key) < 0)
		return 0;
	wait = until - now();
	return wait > 0 ? wait : 0;
}

/* Count a failure against `key`; past `free` failures in the window, set the wait. The
 * counter is read and written in one transaction (SQLite: under the write lock); on
 * PostgreSQL two first failures at once may race to insert, and one is then not counted,
 * which a throttle can afford. */
static void
throttle_fail(struct db *db, const char *key, int64_t free)
{
	struct db_res *r = NULL;
	int64_t t = now(), failures = 0, since = t, until = 0;
	if (db_begin(db) < 0)
		return;
	if (db_query(&r, db, "SELECT failures, since FROM throttle WHERE key = $1", "s", key) == 0 && db_row(r) == 1) {
		failures = db_col_int(r, 0);
		since = db_col_int(r, 1);
	}
	db_res_free(r);
	if (since <= t - THROTTLE_WINDOW) {
		failures = 0; /* the window is over: count afresh */
		since = t;
	}
	failures++;
	if (failures > free) {
		int64_t shift = failures - free - 1;
		until = t + (shift >= 10 ? THROTTLE_MAX_WAIT : (int64_t)1 << shift);
		if (until > t + THROTTLE_MAX_WAIT)
			until = t + THROTTLE_MAX_WAIT;
	}
	if (db_exec(db,
		    "INSERT INTO throttle(key, failures, since, until) VALUES($1, $2, $3, $4) ON CONFLICT(key) DO UPDATE SET "
		    "failures = excluded.failures, since = excluded.since, until = excluded.until",
		    "siii", key, failures, since, until) < 0 ||
	    /* Forget counters whose window and wait are over (guessed names would pile up). */
	    db_exec(db, "DELETE FROM throttle WHERE since <= $1 AND until <= $2", "ii", t - THROTTLE_WINDOW, t) < 0) {
		db_rollback(db);
		return;
	}
	db_commit(db);
}

int64_t
auth_login_wait(struct db *db, const char *name, const char *addr, int *by_addr)
{
	char nk[AUTH_NAME_MAX + 8], ak[80];
	name_key(nk, sizeof(nk), name);
	addr_key(ak, sizeof(ak), addr);
	int64_t wn = throttle_wait(db, nk), wa = throttle_wait(db, ak);
	*by_addr = wa > wn;
	return wa > wn ? wa : wn;
}

void
auth_login_failed(struct db *db, const char *name, const char *addr, unsigned addr_free)
{
	char nk[AUTH_NAME_MAX + 8], ak[80];
	name_key(nk, sizeof(nk), name);
	addr_key(ak, sizeof(ak), addr);
	throttle_fail(db, nk, THROTTLE_NAME_FREE);
	throttle_fail(db, ak, addr_free ? addr_free : AUTH_LOGIN_ADDRESS_LIMIT);
}

void
auth_login_succeeded(struct db *db, const char *name)
{
	char nk[AUTH_NAME_MAX + 8];
	name_key(nk, sizeof(nk), name);
	/* Only the name: the address's count stays, or a guesser with an account of its own
	 * could wipe it between guesses. */
	db_exec(db, "DELETE FROM throttle WHERE key = $1", "s", nk);
}
