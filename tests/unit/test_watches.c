/* test_watches.c: watches (adding, changing the mode, case, limits, who follows what) and
 * feed tokens, on SQLite and, with KENNIS_TEST_PG, PostgreSQL. */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "auth.h"
#include "watches.h"

static int
count_cb(const struct watch *w, void *p)
{
	(*(int *)p)++;
	return 0;
}

static void
suite(const char *target, const char *label)
{
	struct db *db = NULL;
	struct watch w, *all = NULL;
	size_t n = 0;
	int64_t id = 0, uid = 0;
	char tok[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1];
	ok(db_open(&db, target) == 0, "%s: open", label);
	if (!db)
		return;
	db_script(db, "DROP TABLE IF EXISTS feed_tokens; DROP TABLE IF EXISTS watches; DROP TABLE IF EXISTS tokens;"
		      "DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS throttle; DROP TABLE IF EXISTS users;"
		      "DROP TABLE IF EXISTS db_schema;");
	ok(auth_db_init(db) == 0 && watches_db_init(db) == 0, "%s: schema", label);
	auth_user_add(db, "ada", "Ada", "ada@example.com", ROLE_EDITOR, "password-1");
	auth_user_add(db, "bob", "Bob", "bob@example.com", ROLE_READER, "password-2");
	struct user ada, bob;
	auth_user_get(db, "ada", &ada);
	auth_user_get(db, "bob", &bob);

	ok(watch_add(db, ada.id, WATCH_CUSTOMER, " Globex ", NULL, WATCH_IMMEDIATE, &w) == 0 && w.id > 0 &&
	   strcmp(w.value, "Globex") == 0 && w.space[0] == '\0', "%s: watch a customer (trimmed)", label);
	ok(watch_add(db, ada.id, WATCH_CUSTOMER, "GLOBEX", NULL, WATCH_DIGEST, NULL) == 0 &&
	   watch_list(db, ada.id, 0, 10, &all, &n) == 0 && n == 1 && all[0].mode == WATCH_DIGEST,
	   "%s: the same customer in another case changes the mode (%zu)", label, n);
	free(all);
	ok(watch_add(db, ada.id, WATCH_PAGE, "Customers/Globex", "finance", WATCH_IMMEDIATE, NULL) == 0 &&
	   watch_add(db, ada.id, WATCH_PAGE, "Customers/Globex", NULL, WATCH_IMMEDIATE, NULL) == 0,
	   "%s: a page of a space and the wiki's page of the same name are two", label);
	ok(watch_add(db, bob.id, WATCH_TAG, "renewal", NULL, WATCH_IMMEDIATE, NULL) == 0 &&
	   watch_add(db, bob.id, WATCH_CUSTOMER, "globex", NULL, WATCH_IMMEDIATE, NULL) == 0, "%s: bob's watches", label);
	ok(watch_add(db, ada.id, WATCH_PAGE, "../etc", NULL, WATCH_IMMEDIATE, NULL) == KN_EINVAL &&
	   watch_add(db, ada.id, WATCH_TAG, "", NULL, WATCH_IMMEDIATE, NULL) == KN_EINVAL &&
	   watch_add(db, ada.id, WATCH_TAG, "a\nb", NULL, WATCH_IMMEDIATE, NULL) == KN_EINVAL &&
	   watch_add(db, ada.id, (enum watch_kind)9, "x", NULL, WATCH_IMMEDIATE, NULL) == KN_EINVAL &&
	   watch_add(db, ada.id, WATCH_PAGE, "X", "Bad Space", WATCH_IMMEDIATE, NULL) == KN_EINVAL,
	   "%s: bad values, kinds and spaces refused", label);
	int followers = 0;
	ok(watch_followers(db, WATCH_CUSTOMER, "globex", NULL, count_cb, &followers) == 0 && followers == 2,
	   "%s: two follow Globex, whatever the case (%d)", label, followers);
	followers = 0;
	ok(watch_followers(db, WATCH_PAGE, "Customers/Globex", "finance", count_cb, &followers) == 0 && followers == 1,
	   "%s: one follows the page in finance (%d)", label, followers);
	ok(watch_find(db, bob.id, WATCH_TAG, "Renewal", NULL, &id) == 1 && watch_del(db, ada.id, id) == KN_ENOTFOUND &&
	   watch_del(db, bob.id, id) == 0 && watch_find(db, bob.id, WATCH_TAG, "renewal", NULL, &id) == 0,
	   "%s: only one's own watch can be deleted", label);
	ok(watch_del_thing(db, ada.id, WATCH_CUSTOMER, "globex", NULL) == 0 &&
	   watch_del_thing(db, ada.id, WATCH_CUSTOMER, "globex", NULL) == KN_ENOTFOUND, "%s: unwatch by thing", label);

	ok(feed_token_new(db, ada.id, tok) == 0 && strncmp(tok, "kf_", 3) == 0 && strlen(tok) == AUTH_TOKEN_LEN &&
	   feed_token_check(db, tok, &uid) == 0 && uid == ada.id, "%s: a feed token names its user", label);
	ok(feed_token_new(db, ada.id, tok2) == 0 && feed_token_check(db, tok, &uid) == KN_EINVAL &&
	   feed_token_check(db, tok2, &uid) == 0, "%s: a new token replaces the old", label);
	ok(feed_token_revoke(db, ada.id) == 0 && feed_token_check(db, tok2, &uid) == KN_EINVAL && !feed_token_exists(db, ada.id),
	   "%s: revoked", label);
	ok(feed_token_check(db, "kn_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", &uid) == KN_EINVAL &&
	   feed_token_check(db, "", &uid) == KN_EINVAL, "%s: other strings are no feed tokens", label);
	db_exec(db, "PRAGMA foreign_keys=ON", "");
	ok(auth_user_del(db, "bob") == 0 && db_query_int(&id, db, "SELECT count(*) FROM watches WHERE user_id = $1", "i", bob.id) == 0 &&
	   id == 0, "%s: a deleted user's watches go", label);
	db_script(db, "DROP TABLE feed_tokens; DROP TABLE watches; DROP TABLE tokens; DROP TABLE sessions; DROP TABLE throttle;"
		      "DROP TABLE users; DROP TABLE db_schema;");
	db_close(db);
}

int
main(void)
{
	char path[] = "/tmp/kennis-test-watches-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	auth_global_init();
	suite(path, "sqlite");
	unlink(path);
	const char *pg = getenv("KENNIS_TEST_PG");
	if (pg && *pg)
		suite(pg, "postgresql");
	return tap_done();
}
