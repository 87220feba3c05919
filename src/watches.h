/* watches.h: what people follow (a customer, a page, a tag, a department, an owner), how
 * they want to hear of it (at once, or in a daily digest), and their feed tokens. */
#ifndef KENNIS_WATCHES_H
#define KENNIS_WATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "kennis.h"

#define WATCH_VALUE_MAX 200
#define WATCHES_PER_USER 500

enum watch_kind { WATCH_CUSTOMER, WATCH_PAGE, WATCH_TAG, WATCH_DEPT, WATCH_OWNER, WATCH_KINDS };
enum watch_mode { WATCH_IMMEDIATE, WATCH_DIGEST };

struct watch {
	int64_t id;
	int64_t user_id;
	enum watch_kind kind;
	char value[WATCH_VALUE_MAX + 1]; /* a customer, tag, department or owner (any case), or a page name */
	char space[33];                  /* for a page: its space ("wiki", ...); "" for the others */
	enum watch_mode mode;
	int64_t created;
};

int watches_db_init(struct db *db);

/* "customer", "page", "tag", "department", "owner"; parse: -1 when unknown. */
const char *watch_kind_name(enum watch_kind k);
int watch_kind_parse(const char *s);
const char *watch_mode_name(enum watch_mode m);
int watch_mode_parse(const char *s); /* "immediate", "digest"; -1 unknown */

/* Follow: user `uid` watches `kind` `value` (in `space` for a page) in `mode`; a watch of the
 * same thing changes its mode. Sets out->id when `out`. 0; KN_EINVAL (a bad value or
 * kind); KN_ETOOBIG (WATCHES_PER_USER); KN_EIO. */
int watch_add(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space,
	      enum watch_mode mode, struct watch *out);
/* Stop following (one's own watch `id`): 0 or KN_ENOTFOUND. */
int watch_del(struct db *db, int64_t uid, int64_t id);
/* Stop following `kind` `value` (and `space`): 0 or KN_ENOTFOUND. */
int watch_del_thing(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space);
/* Is user `uid` following it? 1, 0, or KN_EIO; *id its id when 1. */
int watch_find(struct db *db, int64_t uid, enum watch_kind kind, const char *value, const char *space, int64_t *id);
/* A user's watches, by kind and value, at most `max` after id `after` (paging). Caller
 * frees *out. */
int watch_list(struct db *db, int64_t uid, int64_t after, size_t max, struct watch **out, size_t *n);

/* Everyone following `kind` `value` (compared without ASCII case; a page also by space):
 * cb(watch) for each, until it returns non-zero. */
int watch_followers(struct db *db, enum watch_kind kind, const char *value, const char *space,
		    int (*cb)(const struct watch *w, void *payload), void *payload);

/* A user's feed token (for /feed/watching?token=…, which a feed reader can use without
 * logging in): a new one replaces the old one (shown once into `token`, stored hashed:
 * AUTH_TOKEN_LEN + 1 bytes); revoke removes it; check gives the user id. */
int feed_token_new(struct db *db, int64_t uid, char *token);
int feed_token_revoke(struct db *db, int64_t uid);
int feed_token_check(struct db *db, const char *token, int64_t *uid);
/* Does user `uid` have a feed token? 1 or 0. */
int feed_token_exists(struct db *db, int64_t uid);

#endif
