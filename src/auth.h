/* auth.h: accounts, sessions, personal access tokens and login throttling (SQLite). */
#ifndef KENNIS_AUTH_H
#define KENNIS_AUTH_H

#include <stdint.h>
#include "db.h"
#include "kennis.h"

enum role { ROLE_NONE = 0, ROLE_READER = 1, ROLE_EDITOR = 2, ROLE_ADMIN = 3 };

#define AUTH_NAME_MAX 64
#define AUTH_TOKEN_LEN 46   /* "kn_" + 43 base64url characters */
#define AUTH_SECRET_LEN 44  /* session id / CSRF token: 43 base64url characters + NUL */

struct user {
	int64_t id;
	char name[AUTH_NAME_MAX + 1];
	char display[128];
	char email[128];
	enum role role;
};

/* Create or migrate the accounts tables in the state database (state_open calls it).
 * 0 or KN_EIO (logged). */
int auth_db_init(struct db *db);

/* Initialise libsodium; call once at start. */
int auth_global_init(void);

const char *role_name(enum role r);
enum role role_parse(const char *s); /* ROLE_NONE when unknown */

/* A user name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int auth_name_check(const char *name);

/* Users. Passwords are hashed with argon2id (crypto_pwhash_str). */
int auth_user_add(struct db *db, const char *name, const char *display, const char *email, enum role role,
		  const char *password);
int auth_user_passwd(struct db *db, const char *name, const char *password);
int auth_user_set_role(struct db *db, const char *name, enum role role);
int auth_user_del(struct db *db, const char *name);
int auth_user_get(struct db *db, const char *name, struct user *out);
int auth_user_get_id(struct db *db, int64_t id, struct user *out);
int64_t auth_user_count(struct db *db);
int auth_user_list(struct db *db, int (*cb)(const struct user *u, void *payload), void *payload);

/* Check a password; constant work whether or not the user exists. Rehashes a password
 * whose hash parameters are outdated. 0 (and *out filled) or KN_EINVAL. */
int auth_password_check(struct db *db, const char *name, const char *password, struct user *out);

/* What a personal access token may do: read (clone, fetch, the API's GETs), or also write
 * (push, the API's changes). Tokens made before scopes existed write. */
enum token_scope { TOKEN_READ = 1, TOKEN_WRITE = 2 };
const char *token_scope_name(enum token_scope s); /* "read", "write" */
int token_scope_parse(const char *s);             /* -1 when neither */

/* Personal access tokens: the token is returned once (in `token`, AUTH_TOKEN_LEN + 1
 * bytes) and stored only as a hash, with its scope. auth_token_check fills `out` with the
 * token's user and *scope (when not NULL) with what it may do; KN_EINVAL when it is no
 * token of ours (malformed, unknown or revoked). */
int auth_token_add(struct db *db, const char *user, const char *label, enum token_scope scope, char *token,
		   int64_t *id);
int auth_token_check(struct db *db, const char *token, struct user *out, enum token_scope *scope);
int auth_token_revoke(struct db *db, int64_t id);
int auth_token_list(struct db *db, const char *user,
		    int (*cb)(int64_t id, const char *user, const char *label, enum token_scope scope, int64_t created,
			      int64_t last_used, void *payload),
		    void *payload);

/* Sessions: a random id (the cookie value, stored hashed) with a CSRF token. */
int auth_session_new(struct db *db, int64_t user_id, char *cookie, char *csrf);
/* Look up a live session; expired ones (idle or absolute) are deleted. Refreshes last use. */
int auth_session_get(struct db *db, const char *cookie, int64_t idle_s, int64_t max_s, struct user *out,
		     char *csrf);
int auth_session_end(struct db *db, const char *cookie);
int auth_session_end_user(struct db *db, int64_t user_id);

/* Login throttling, per account name and per client address (see auth.c for the numbers).
 * auth_login_wait: seconds a login as `name` from `addr` must wait (0: go ahead); *by_addr
 * says whether the address's count is the reason. auth_login_failed counts a failure
 * against both; `addr_free` failures per hour are free for an address
 * (--login-address-limit). auth_login_succeeded clears the name's count only. */
#define AUTH_LOGIN_ADDRESS_LIMIT 100 /* the default of --login-address-limit (0 means it too) */
int64_t auth_login_wait(struct db *db, const char *name, const char *addr, int *by_addr);
void auth_login_failed(struct db *db, const char *name, const char *addr, unsigned addr_free);
void auth_login_succeeded(struct db *db, const char *name);

/* Constant-time comparison of two NUL-terminated secrets. */
int auth_secret_equal(const char *a, const char *b);

#endif
