/* auth.c: accounts, sessions, tokens and throttling, stored in DATA/kennis.db. */
#include "auth.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char schema[] =
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
	"  key TEXT PRIMARY KEY, failures INTEGER NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL);"
	"PRAGMA user_version = 2;";

int
auth_global_init(void)
{
	return sodium_init() < 0 ? KN_EIO : 0;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Schema 1 had throttle(key, failures, until) without the window's start. It holds only
 * counters, so schema 2 drops it and makes it anew (inside the same transaction, so two
 * threads opening at once cannot both migrate). */
int
auth_db_open(sqlite3 **out, const char *data_dir)
{
	char path[4096];
	char *err = NULL;
	sqlite3 *db = NULL;
	snprintf(path, sizeof(path), "%s/kennis.db", data_dir);
	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_error("accounts db %s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return KN_EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL,
			 NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) != SQLITE_OK ||
	    (user_version(db) == 1 && sqlite3_exec(db, "DROP TABLE IF EXISTS throttle", NULL, NULL, &err) != SQLITE_OK) ||
	    sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
		log_error("accounts db %s: %s", path, err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		sqlite3_close(db); /* rolls back */
		return KN_EIO;
	}
	*out = db;
	return 0;
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

/* Run one statement with text/int parameters given as a format: 't' text, 'i' int64. */
static int
exec_stmt(sqlite3 *db, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("accounts db: %s: %s", sqlite3_errmsg(db), sql);
		return KN_EIO;
	}
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return KN_EEXISTS;
	if (rc != SQLITE_DONE) {
		log_error("accounts db: %s", sqlite3_errmsg(db));
		return KN_EIO;
	}
	return sqlite3_changes(db) > 0 ? 0 : KN_ENOTFOUND;
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
auth_user_add(sqlite3 *db, const char *name, const char *display, const char *email, enum role role,
	      const char *password)
{
	char h[crypto_pwhash_STRBYTES];
	if (auth_name_check(name) < 0 || role == ROLE_NONE || !password || strlen(password) < 8)
		return KN_EINVAL;
	if (hash_password(h, password) < 0)
		return KN_EIO;
	return exec_stmt(db, "INSERT INTO users(name, display, email, role, pwhash, created) VALUES(?,?,?,?,?,?)",
			 "tttiti", name, display && *display ? display : name, email && *email ? email : "",
			 (int64_t)role, h, now());
}

int
auth_user_passwd(sqlite3 *db, const char *name, const char *password)
{
	char h[crypto_pwhash_STRBYTES];
	if (!password || strlen(password) < 8)
		return KN_EINVAL;
	if (hash_password(h, password) < 0)
		return KN_EIO;
	int rc = exec_stmt(db, "UPDATE users SET pwhash = ? WHERE name = ?", "tt", h, name);
	if (rc == 0) {
		/* a new password ends every session of that user */
		struct user u;
		if (auth_user_get(db, name, &u) == 0)
			auth_session_end_user(db, u.id);
	}
	return rc;
}

int
auth_user_set_role(sqlite3 *db, const char *name, enum role role)
{
	if (role == ROLE_NONE)
		return KN_EINVAL;
	return exec_stmt(db, "UPDATE users SET role = ? WHERE name = ?", "it", (int64_t)role, name);
}

int
auth_user_del(sqlite3 *db, const char *name)
{
	return exec_stmt(db, "DELETE FROM users WHERE name = ?", "t", name);
}

static void
fill_user(sqlite3_stmt *st, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	snprintf(u->name, sizeof(u->name), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(u->display, sizeof(u->display), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(u->email, sizeof(u->email), "%s", (const char *)sqlite3_column_text(st, 3));
	u->role = (enum role)sqlite3_column_int(st, 4);
}

#define USER_COLS "id, name, display, email, role"

static int
get_user(sqlite3 *db, const char *where, const char *name, int64_t id, struct user *out, char *pwhash, size_t pwlen)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int rc = KN_ENOTFOUND;
	snprintf(sql, sizeof(sql), "SELECT " USER_COLS ", pwhash FROM users WHERE %s", where);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		fill_user(st, out);
		if (pwhash)
			snprintf(pwhash, pwlen, "%s", (const char *)sqlite3_column_text(st, 5));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
auth_user_get(sqlite3 *db, const char *name, struct user *out)
{
	return get_user(db, "name = ?", name, 0, out, NULL, 0);
}

int64_t
auth_user_count(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM users", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
auth_user_list(sqlite3 *db, int (*cb)(const struct user *u, void *payload), void *payload)
{
	sqlite3_stmt *st = NULL;
	struct user u;
	int rc = 0;
	if (sqlite3_prepare_v2(db, "SELECT " USER_COLS " FROM users ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		fill_user(st, &u);
		rc = cb(&u, payload);
	}
	sqlite3_finalize(st);
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
auth_password_check(sqlite3 *db, const char *name, const char *password, struct user *out)
{
	char h[crypto_pwhash_STRBYTES];
	int found = get_user(db, "name = ?", name ? name : "", 0, out, h, sizeof(h)) == 0;
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
		exec_stmt(db, "UPDATE users SET pwhash = ? WHERE id = ?", "ti", h, out->id);
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

int
auth_token_add(sqlite3 *db, const char *user, const char *label, char *token, int64_t *id)
{
	struct user u;
	char h[65];
	if (auth_user_get(db, user, &u) < 0)
		return KN_ENOTFOUND;
	memcpy(token, "kn_", 3);
	random_secret(token + 3, AUTH_SECRET_LEN);
	secret_hash(h, token);
	int rc = exec_stmt(db, "INSERT INTO tokens(user_id, label, hash, created) VALUES(?,?,?,?)", "itti", u.id,
			   label ? label : "", h, now());
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(db);
	return rc;
}

int
auth_token_check(sqlite3 *db, const char *token, struct user *out)
{
	sqlite3_stmt *st = NULL;
	char h[65];
	int rc = KN_EINVAL;
	if (!token || strncmp(token, "kn_", 3) != 0 || strlen(token) != AUTH_TOKEN_LEN)
		return KN_EINVAL;
	secret_hash(h, token);
	if (sqlite3_prepare_v2(db,
			       "SELECT u.id, u.name, u.display, u.email, u.role, t.id FROM tokens t JOIN users u ON "
			       "u.id = t.user_id WHERE t.hash = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		fill_user(st, out);
		int64_t tid = sqlite3_column_int64(st, 5);
		rc = 0;
		sqlite3_finalize(st);
		exec_stmt(db, "UPDATE tokens SET last_used = ? WHERE id = ?", "ii", now(), tid);
		return rc;
	}
	sqlite3_finalize(st);
	return rc;
}

int
auth_token_revoke(sqlite3 *db, int64_t id)
{
	return exec_stmt(db, "DELETE FROM tokens WHERE id = ?", "i", id);
}

int
auth_token_list(sqlite3 *db, const char *user,
		int (*cb)(int64_t id, const char *user, const char *label, int64_t created, int64_t last_used,
			  void *payload),
		void *payload)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT t.id, u.name, t.label, t.created, coalesce(t.last_used, 0) FROM tokens t JOIN "
			       "users u ON u.id = t.user_id WHERE ?1 IS NULL OR u.name = ?1 ORDER BY t.id",
			       -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	if (user)
		sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			(const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
			sqlite3_column_int64(st, 4), payload);
	sqlite3_finalize(st);
	return rc;
}

int
auth_session_new(sqlite3 *db, int64_t user_id, char *cookie, char *csrf)
{
	char h[65];
	random_secret(cookie, AUTH_SECRET_LEN);
	random_secret(csrf, AUTH_SECRET_LEN);
	secret_hash(h, cookie);
	int64_t t = now();
	return exec_stmt(db, "INSERT INTO sessions(idhash, user_id, csrf, created, last_seen) VALUES(?,?,?,?,?)",
			 "titii", h, user_id, csrf, t, t);
}

int
auth_session_get(sqlite3 *db, const char *cookie, int64_t idle_s, int64_t max_s, struct user *out, char *csrf)
{
	sqlite3_stmt *st = NULL;
	char h[65];
	int64_t t = now();
	int rc = KN_ENOTFOUND;
	if (!cookie || strlen(cookie) != AUTH_SECRET_LEN - 1)
		return KN_ENOTFOUND;
	secret_hash(h, cookie);
	if (sqlite3_prepare_v2(db,
			       "SELECT u.id, u.name, u.display, u.email, u.role, s.csrf, s.created, s.last_seen FROM "
			       "sessions s JOIN users u ON u.id = s.user_id WHERE s.idhash = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t created = sqlite3_column_int64(st, 6), seen = sqlite3_column_int64(st, 7);
		if (t - seen <= idle_s && t - created <= max_s) {
			fill_user(st, out);
			snprintf(csrf, AUTH_SECRET_LEN, "%s", (const char *)sqlite3_column_text(st, 5));
			rc = 0;
		} else {
			rc = KN_ENOTFOUND; /* expired */
		}
	}
	sqlite3_finalize(st);
	if (rc == 0 && t != 0)
		/* one write a minute at most: page views must not all write */
		exec_stmt(db, "UPDATE sessions SET last_seen = ? WHERE idhash = ? AND last_seen < ?", "iti", t, h, t - 60);
	else if (rc == KN_ENOTFOUND)
		exec_stmt(db, "DELETE FROM sessions WHERE idhash = ?", "t", h);
	return rc;
}

int
auth_session_end(sqlite3 *db, const char *cookie)
{
	char h[65];
	if (!cookie)
		return KN_ENOTFOUND;
	secret_hash(h, cookie);
	return exec_stmt(db, "DELETE FROM sessions WHERE idhash = ?", "t", h);
}

int
auth_session_end_user(sqlite3 *db, int64_t user_id)
{
	return exec_stmt(db, "DELETE FROM sessions WHERE user_id = ?", "i", user_id);
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
throttle_wait(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	int64_t wait = 0;
	if (sqlite3_prepare_v2(db, "SELECT until FROM throttle WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		wait = sqlite3_column_int64(st, 0) - now();
	sqlite3_finalize(st);
	return wait > 0 ? wait : 0;
}

/* Count a failure against `key`; past `free` failures in the window, set the wait. */
static void
throttle_fail(sqlite3 *db, const char *key, int64_t free)
{
	/* SET sees the old row, so the window test is repeated in each column. */
	exec_stmt(db,
		  "INSERT INTO throttle(key, failures, since, until) VALUES(?1, 1, ?3, 0) ON CONFLICT(key) DO UPDATE SET "
		  "failures = CASE WHEN since <= ?3 - ?4 THEN 1 ELSE failures + 1 END, "
		  "since = CASE WHEN since <= ?3 - ?4 THEN ?3 ELSE since END, "
		  "until = CASE WHEN since > ?3 - ?4 AND failures + 1 > ?2 "
		  "THEN ?3 + min(?5, 1 << min(failures - ?2, 20)) ELSE 0 END",
		  "tiiii", key, free, now(), (int64_t)THROTTLE_WINDOW, (int64_t)THROTTLE_MAX_WAIT);
	/* Forget counters whose window and wait are over (guessed names would pile up). */
	exec_stmt(db, "DELETE FROM throttle WHERE since <= ?1 - ?2 AND until <= ?1", "ii", now(),
		  (int64_t)THROTTLE_WINDOW);
}

int64_t
auth_login_wait(sqlite3 *db, const char *name, const char *addr, int *by_addr)
{
	char nk[AUTH_NAME_MAX + 8], ak[80];
	name_key(nk, sizeof(nk), name);
	addr_key(ak, sizeof(ak), addr);
	int64_t wn = throttle_wait(db, nk), wa = throttle_wait(db, ak);
	*by_addr = wa > wn;
	return wa > wn ? wa : wn;
}

void
auth_login_failed(sqlite3 *db, const char *name, const char *addr, unsigned addr_free)
{
	char nk[AUTH_NAME_MAX + 8], ak[80];
	name_key(nk, sizeof(nk), name);
	addr_key(ak, sizeof(ak), addr);
	throttle_fail(db, nk, THROTTLE_NAME_FREE);
	throttle_fail(db, ak, addr_free ? addr_free : AUTH_LOGIN_ADDRESS_LIMIT);
}

void
auth_login_succeeded(sqlite3 *db, const char *name)
{
	char nk[AUTH_NAME_MAX + 8];
	name_key(nk, sizeof(nk), name);
	/* Only the name: the address's count stays, or a guesser with an account of its own
	 * could wipe it between guesses. */
	exec_stmt(db, "DELETE FROM throttle WHERE key = ?", "t", nk);
}
