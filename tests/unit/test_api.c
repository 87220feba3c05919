/* test_api.c: the API's pieces with rules of their own: errors as JSON with their status and
 * code, cursors, the nesting check before a body is parsed; and the tokens' scope, also in
 * an accounts database made before scopes existed. */
#include "tap.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "api.h"
#include "auth.h"
#include "db.h"

static void
errors(void)
{
	static const struct { int err; int status; const char *code; } cases[] = {
		{ KN_EINVAL, 400, "bad_request" },    { KN_EAUTH, 401, "unauthorized" },
		{ KN_EFORBIDDEN, 403, "forbidden" },  { KN_ENOTFOUND, 404, "not_found" },
		{ KN_EMETHOD, 405, "method_not_allowed" }, { KN_ECONFLICT, 409, "conflict" },
		{ KN_EEXISTS, 409, "conflict" },      { KN_ETOOBIG, 413, "too_large" },
		{ KN_EMEDIATYPE, 415, "unsupported_media_type" }, { KN_ETHROTTLED, 429, "too_many_requests" },
		{ KN_EGIT, 500, "internal" },         { KN_EIO, 500, "internal" },
		{ KN_EBACKEND, 502, "bad_gateway" },  { KN_EBUSY, 503, "unavailable" },
		{ KN_ELOCKED, 503, "unavailable" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct req r = { 0 };
		r.a = arena_new();
		r.method = "PUT";
		r.path = "/api/v1/pages/wiki/X";
		api_error_body(&r, cases[i].err, "why \"quoted\"");
		json_error_t e;
		json_t *doc = json_loadb(r.out.ptr, r.out.len, 0, &e);
		const char *code = json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
		const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
		ok(r.status == cases[i].status && code && strcmp(code, cases[i].code) == 0 && msg &&
		   strcmp(msg, "why \"quoted\"") == 0 && strcmp(r.content_type, "application/json") == 0,
		   "%s: %d %s, as JSON", kn_strerror(cases[i].err), cases[i].status, cases[i].code);
		const char *www = kv_get(&r.resp_headers, "WWW-Authenticate");
		ok(cases[i].status == 401 ? www && strncmp(www, "Bearer ", 7) == 0 : !www,
		   "%d: WWW-Authenticate only on a 401", cases[i].status);
		json_decref(doc);
		buf_free(&r.out);
		arena_free(r.a);
	}
	struct req r = { 0 };
	r.a = arena_new();
	api_error_body(&r, KN_EINVAL, "bad \xff bytes");
	json_t *doc = r.out.ptr ? json_loadb(r.out.ptr, r.out.len, 0, NULL) : NULL;
	ok(doc && strstr(r.out.ptr, "invalid input"), "a message that is not UTF-8 is not sent (the error's own words are)");
	json_decref(doc);
	buf_free(&r.out);
	arena_free(r.a);
}

static void
cursors(void)
{
	char c[128], v[API_CURSOR_MAX + 1];
	ok(api_cursor_encode(c, sizeof(c), 'h', "0123456789abcdef0123456789abcdef01234567") == 0, "encode a commit");
	ok(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(c),
	   "a cursor is URL-safe as it is (%s)", c);
	ok(api_cursor_decode(v, sizeof(v), 'h', c) == 0 && strcmp(v, "0123456789abcdef0123456789abcdef01234567") == 0,
	   "and decodes to it");
	ok(api_cursor_decode(v, sizeof(v), 's', c) == KN_EINVAL, "a cursor of another list is refused");
	ok(api_cursor_encode(c, sizeof(c), 's', "40") == 0 && api_cursor_decode(v, sizeof(v), 's', c) == 0 &&
	   strcmp(v, "40") == 0, "an offset round-trips");
	ok(api_cursor_decode(v, 2, 's', c) == KN_EINVAL, "one too long for the caller's room is refused");
	ok(api_cursor_decode(v, sizeof(v), 's', "!!") == KN_EINVAL, "garbage is refused");
	ok(api_cursor_decode(v, sizeof(v), 's', "") == KN_EINVAL && api_cursor_decode(v, sizeof(v), 's', NULL) == KN_EINVAL,
	   "empty and absent are refused");
	ok(api_cursor_decode(v, sizeof(v), 's', "czo0MA==") == KN_EINVAL, "padding is not ours");
	ok(api_cursor_decode(v, sizeof(v), 's', "czoAMA") == KN_EINVAL, "a NUL inside is refused");
	ok(api_cursor_decode(v, sizeof(v), 's', "cw") == KN_EINVAL && api_cursor_decode(v, sizeof(v), 's', "czo") == KN_EINVAL,
	   "a kind without a value is refused");
	char big[API_CURSOR_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(api_cursor_encode(c, sizeof(c), 's', big) == KN_ETOOBIG, "a value over the limit is not encoded");
	char huge[4096];
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ok(api_cursor_decode(v, sizeof(v), 's', huge) == KN_EINVAL, "a huge cursor is refused before it is decoded");
}

static void
depth(void)
{
	ok(api_json_depth("{}", 2, 16) == 1, "{} is 1 deep");
	ok(api_json_depth("{\"a\": [1, {\"b\": []}]}", 20, 16) == 4, "nesting counts arrays and objects");
	ok(api_json_depth("{\"a\": \"[[[[[[\"}", 15, 3) == 1, "brackets in strings do not count");
	ok(api_json_depth("{\"a\\\"[[[[\": 1}", 14, 3) == 1, "nor after an escaped quote");
	ok(api_json_depth("[]]]]]]{}", 9, 16) == 1, "closing more than was opened goes no lower than 0");
	char deep[20001];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ok(api_json_depth(deep, sizeof(deep) - 1, API_JSON_DEPTH) == API_JSON_DEPTH + 1,
	   "20,000 open brackets: past the limit, and counting stops there");
}

/* Hex of BLAKE2b-256 of a token: how auth.c stores them. */
static void
token_hash(char out[65], const char *token)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

static void
scopes(void)
{
	char path[] = "/tmp/kennis-test-api-XXXXXX", hash[65], token[AUTH_TOKEN_LEN + 1];
	int fd = mkstemp(path);
	struct db *db = NULL;
	struct user u;
	enum token_scope scope = 0;
	if (fd >= 0)
		close(fd);
	auth_global_init();
	/* the accounts database as version 2 left it: tokens without a scope */
	ok(db_open(&db, path) == 0 &&
	   db_script(db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, display TEXT "
			 "NOT NULL, email TEXT NOT NULL, role INTEGER NOT NULL, pwhash TEXT NOT NULL, created INTEGER NOT NULL);"
			 "CREATE TABLE sessions(idhash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf TEXT NOT NULL, created "
			 "INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
			 "CREATE TABLE tokens(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, label TEXT NOT NULL, hash TEXT NOT "
			 "NULL UNIQUE, created INTEGER NOT NULL, last_used INTEGER);"
			 "CREATE TABLE throttle(key TEXT PRIMARY KEY, failures INTEGER NOT NULL, since INTEGER NOT NULL, until "
			 "INTEGER NOT NULL);"
			 "CREATE TABLE db_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL);"
			 "INSERT INTO db_schema VALUES('auth', 2);"
			 "INSERT INTO users VALUES(1, 'ada', 'Ada', '', 2, 'x', 0);") == 0,
	   "an accounts database of version 2");
	token_hash(hash, "kn_oldoldoldoldoldoldoldoldoldoldoldoldoldoldo");
	ok(db_exec(db, "INSERT INTO tokens(user_id, label, hash, created) VALUES(1, 'old', $1, 0)", "s", hash) == 1,
	   "with a token made before scopes");
	ok(auth_db_init(db) == 0, "migrates");
	ok(auth_token_check(db, "kn_oldoldoldoldoldoldoldoldoldoldoldoldoldoldo", &u, &scope) == 0 && scope == TOKEN_WRITE &&
	   strcmp(u.name, "ada") == 0, "the old token still works, and may write (as it always could)");
	ok(auth_token_add(db, "ada", "ro", TOKEN_READ, token, NULL) == 0 && auth_token_check(db, token, &u, &scope) == 0 &&
	   scope == TOKEN_READ, "a read token reads only");
	ok(auth_token_add(db, "ada", "rw", TOKEN_WRITE, token, NULL) == 0 && auth_token_check(db, token, &u, &scope) == 0 &&
	   scope == TOKEN_WRITE, "a write token writes");
	ok(auth_token_add(db, "ada", "x", (enum token_scope)7, token, NULL) == KN_EINVAL, "no other scope is made");
	ok(token_scope_parse("read") == TOKEN_READ && token_scope_parse("write") == TOKEN_WRITE &&
	   token_scope_parse("admin") < 0 && token_scope_parse(NULL) < 0, "scopes are read and write");
	db_close(db);
	unlink(path);
	char side[64];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int
main(void)
{
	errors();
	cursors();
	depth();
	scopes();
	return tap_done();
}
