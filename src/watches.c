/* watches.c: watches and feed tokens in the state database. */
#include "watches.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "pagename.h"
#include "spaces.h"

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE watches(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  kind INTEGER NOT NULL, value TEXT NOT NULL, folded TEXT NOT NULL, space TEXT NOT NULL, mode INTEGER NOT NULL,"
	  "  created INTEGER NOT NULL, UNIQUE(user_id, kind, folded, space));"
	  "CREATE INDEX watches_thing ON watches(kind, folded, space);"
	  "CREATE TABLE feed_tokens(user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	  "  hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);",
	  "CREATE TABLE watches(id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  kind INTEGER NOT NULL, value TEXT NOT NULL, folded TEXT NOT NULL, space TEXT NOT NULL, mode INTEGER NOT NULL,"
	  "  created BIGINT NOT NULL, UNIQUE(user_id, kind, folded, space));"
	  "CREATE INDEX watches_thing ON watches(kind, folded, space);"
	  "CREATE TABLE feed_tokens(user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
	  "  hash TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);" },
};

int
watches_db_init(struct db *db)
{
	return db_migrate(db, "watches", schema, sizeof(schema) / sizeof(schema[0]));
}

static const char *const kinds[WATCH_KINDS] = { "customer", "page", "tag", "department", "owner" };

const char *
watch_kind_name(enum watch_kind k)
{
	return (unsigned)k < WATCH_KINDS ? kinds[k] : "?";
}

int
watch_kind_parse(const char *s)
{
	for (int i = 0; s && i < WATCH_KINDS; i++)
		if (strcmp(s, kinds[i]) == 0)
			return i;
	if (s && strcmp(s, "dept") == 0)
		return WATCH_DEPT;
	return -1;
}

const char *
watch_mode_name(enum watch_mode m)
{
	return m == WATCH_DIGEST ? "digest" : "immediate";
}

int
watch_mode_parse(const char *s)
{
	if (s && strcmp(s, "immediate") == 0)
		return WATCH_IMMEDIATE;
	if (s && strcmp(s, "digest") == 0)
		return WATCH_DIGEST;
	return -1;
}

/* The value compared: front-matter values without ASCII case and surrounding blanks, as
 * the views compare them; a page name as it is. */
static int
fold(char *out, size_t n, enum watch_kind kind, const char *value)
{
	size_t len = value ? strlen(value) : 0;
	while (len && value[len - 1] == ' ')
		len--;
	while (len && *value == ' ') {
		value++;
		len--;
	}
	if (len == 0 || len > WATCH_VALUE_MAX || !utf8_valid(value, len))
		return KN_EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return KN_EINVAL;
	if (kind == WATCH_PAGE && pagename_check(value, len) < 0)
		return KN_EINVAL;
	if (len >= n)
		return KN_EINVAL;
	for (size_t i = 0; i < len; i++)
		out[i] = kind == WATCH_PAGE ? value[i] : (char)((value[i] >= 'A' && value[i] <= 'Z') ? value[i] + 32 : value[i]);
	out[len] = '\0';
	return 0;
}

static const char *
space_of(enum watch_kind kind, const char *space)
{
	return kind == WATCH_PAGE ? (space && *space ? space : SPACE_WIKI) : "";
}

#define WATCH_COLS "id, user_id, kind, value, space, mode, created"

static void
fill(struct db_res *r, struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->id = db_col_int(r, 0);
	w->user_id = db_col_int(r, 1);
	w->kind = (enum watch_kind)db_col_int(r, 2);
	snprintf(w->value, sizeof(w->value), "%s", db_col_text(r, 3));
	snprintf(w->space, sizeof(w->space), "%s", db_col_text(r, 4));
	w->mode = (enum watch_mode)db_col_int(r, 5);
	w->created = db_col_int(r, 6);
}

int
watch_add(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space,
	  enum watch_mode mode, struct watch *out)
{
	char folded[WATCH_VALUE_MAX + 1], shown[WATCH_VALUE_MAX + 1];
	int64_t n = 0, id = 0;
	const char *sp = space_of(kind, space);
	if ((unsigned)kind >= WATCH_KINDS || (mode != WATCH_IMMEDIATE && mode != WATCH_DIGEST) ||
	    fold(folded, sizeof(folded), kind, value) < 0 || (*sp && space_name_check(sp, 1) < 0))
		return KN_EINVAL;
	/* shown as typed, trimmed */
	const char *v = value + strspn(value, " ");
	snprintf(shown, sizeof(shown), "%.*s", (int)strlen(folded), v);
	if (db_query_int(&n, db, "SELECT count(*) FROM watches WHERE user_id = $1", "i", uid) == 0 && n >= WATCHES_PER_USER)
		return KN_ETOOBIG;
	int rc = db_query_int(&id, db,
			      "INSERT INTO watches(user_id, kind, value, folded, space, mode, created) "
			      "VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(user_id, kind, folded, space) "
			      "DO UPDATE SET mode = excluded.mode RETURNING id",
			      "iisssii", uid, (int64_t)kind, shown, folded, sp, (int64_t)mode, (int64_t)time(NULL));
	if (rc < 0)
		return rc;
	if (out) {
		memset(out, 0, sizeof(*out));
		out->id = id;
		out->user_id = uid;
		out->kind = kind;
		snprintf(out->value, sizeof(out->value), "%s", shown);
		snprintf(out->space, sizeof(out->space), "%s", sp);
		out->mode = mode;
	}
	return 0;
}

int
watch_del(struct db *db, int64_t uid, int64_t id)
{
	int rc = db_exec(db, "DELETE FROM watches WHERE id = $1 AND user_id = $2", "ii", id, uid);
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

int
watch_del_thing(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space)
{
	char folded[WATCH_VALUE_MAX + 1];
	if (fold(folded, sizeof(folded), kind, value) < 0)
		return KN_ENOTFOUND;
	int rc = db_exec(db, "DELETE FROM watches WHERE user_id = $1 AND kind = $2 AND folded = $3 AND space = $4", "iiss",
			 uid, (int64_t)kind, folded, space_of(kind, space));
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

int
watch_find(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space, int64_t *id)
{
	char folded[WATCH_VALUE_MAX + 1];
	if (fold(folded, sizeof(folded), kind, value) < 0)
		return 0;
	int rc = db_query_int(id, db, "SELECT id FROM watches WHERE user_id = $1 AND kind = $2 AND folded = $3 AND space = $4",
			      "iiss", uid, (int64_t)kind, folded, space_of(kind, space));
	return rc == 0 ? 1 : rc == KN_ENOTFOUND ? 0 : rc;
}

int
watch_list(struct db *db, int64_t uid, int64_t after, size_t max, struct watch **out, size_t *n)
{
	struct db_res *r = NULL;
	*n = 0;
	*out = xcalloc(max ? max : 1, sizeof(**out));
	int rc = db_query(&r, db, "SELECT " WATCH_COLS " FROM watches WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
			  "iii", uid, after, (int64_t)max);
	while (rc == 0 && (rc = db_row(r)) == 1) {
		fill(r, &(*out)[(*n)++]);
		rc = 0;
	}
	db_res_free(r);
	return rc < 0 ? rc : 0;
}

int
watch_followers(struct db *db, enum watch_kind kind, const char *value, const char *space,
		int (*cb)(const struct watch *w, void *payload), void *payload)
{
	char folded[WATCH_VALUE_MAX + 1];
	struct db_res *r = NULL;
	struct watch w;
	if (fold(folded, sizeof(folded), kind, value) < 0)
		return 0;
	int rc = db_query(&r, db, "SELECT " WATCH_COLS " FROM watches WHERE kind = $1 AND folded = $2 AND space = $3", "iss",
			  (int64_t)kind, folded, space_of(kind, space));
	while (rc == 0 && (rc = db_row(r)) == 1) {
		fill(r, &w);
		rc = cb(&w, payload);
	}
	db_res_free(r);
	return rc < 0 ? rc : 0;
}

/* ---- feed tokens ------------------------------------------------------------------------- */

static void
token_hash(char out[65], const char *token)
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int
feed_token_new(struct db *db, int64_t uid, char *token)
{
	unsigned char raw[32];
	char h[65];
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, "kf_", 3);
	sodium_bin2base64(token + 3, AUTH_SECRET_LEN, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_hash(h, token);
	int rc = db_exec(db,
			 "INSERT INTO feed_tokens(user_id, hash, created) VALUES($1, $2, $3) ON CONFLICT(user_id) "
			 "DO UPDATE SET hash = excluded.hash, created = excluded.created",
			 "isi", uid, h, (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

int
feed_token_revoke(struct db *db, int64_t uid)
{
	int rc = db_exec(db, "DELETE FROM feed_tokens WHERE user_id = $1", "i", uid);
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

int
feed_token_check(struct db *db, const char *token, int64_t *uid)
{
	char h[65];
	if (!token || strncmp(token, "kf_", 3) != 0 || strlen(token) != AUTH_TOKEN_LEN)
		return KN_EINVAL;
	token_hash(h, token);
	int rc = db_query_int(uid, db, "SELECT user_id FROM feed_tokens WHERE hash = $1", "s", h);
	return rc == KN_ENOTFOUND ? KN_EINVAL : rc;
}

int
feed_token_exists(struct db *db, int64_t uid)
{
	int64_t one = 0;
	return db_query_int(&one, db, "SELECT 1 FROM feed_tokens WHERE user_id = $1", "i", uid) == 0;
}
