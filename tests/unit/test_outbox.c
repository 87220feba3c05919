/* test_outbox.c: the delivery queue: idempotent adds, claims with a lease, the retry
 * schedule, giving up, the log; two claimers never get the same item (SQLite, and
 * PostgreSQL when KENNIS_TEST_PG is set). */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "outbox.h"

static void
suite(const char *target, const char *label)
{
	struct db *db = NULL, *other = NULL;
	struct outbox_item it[8], it2[8];
	int64_t t = 1000000, v = 0;
	ok(db_open(&db, target) == 0 && db_open(&other, target) == 0, "%s: open two connections", label);
	if (!db || !other)
		return;
	db_script(db, "DROP TABLE IF EXISTS outbox; DROP TABLE IF EXISTS outbox_log; DROP TABLE IF EXISTS db_schema;");
	ok(outbox_db_init(db) == 0, "%s: schema", label);
	ok(outbox_next_due(db, t) == -1, "%s: nothing queued", label);
	ok(outbox_add(db, "evt_a", OUTBOX_WEBHOOK, 7, "{\"a\":1}", t) == 0 &&
	   outbox_add(db, "evt_a", OUTBOX_WEBHOOK, 7, "{\"a\":2}", t + 5) == 0 &&
	   db_query_int(&v, db, "SELECT count(*) FROM outbox", "") == 0 && v == 1, "%s: the same id twice is one item", label);
	outbox_add(db, "evt_b", OUTBOX_MAIL, 3, "{\"b\":1}", t);
	ok(outbox_next_due(db, t) == 0, "%s: due now", label);

	int n = outbox_claim(db, it, 8, t, "n1");
	ok(n == 2 && (strcmp(it[0].payload, "{\"a\":1}") == 0 || strcmp(it[1].payload, "{\"a\":1}") == 0),
	   "%s: claim both (%d); the first payload kept", label, n);
	ok(outbox_claim(other, it2, 8, t + 1, "n1") == 0, "%s: leased items are not claimed again", label);
	ok(outbox_claim(other, it2, 8, t + OUTBOX_LEASE + 1, "n2") == 2, "%s: ...until the lease runs out (a crashed sender)", label);
	for (int i = 0; i < 2; i++)
		free(it2[i].payload);
	ok(outbox_release_all(db, "n1") == 0, "%s: a restarted node gives back only its own leases", label);
	ok(outbox_release_all(other, "n2") == 2, "%s: n2, restarted, gives back both", label);
	ok(outbox_claim(db, it2, 8, t + OUTBOX_LEASE + 2, "n1") == 2, "%s: ...which are free at once", label);
	for (int i = 0; i < 2; i++)
		free(it2[i].payload);

	struct outbox_item *a = strcmp(it[0].id, "evt_a") == 0 ? &it[0] : &it[1];
	struct outbox_item *b = a == &it[0] ? &it[1] : &it[0];
	ok(outbox_done(db, a, t + 2, 1, 0, 200, NULL, 12) == 0, "%s: a delivered", label);
	ok(outbox_done(db, b, t + 2, 0, 1, 500, "HTTP 500", 30) == 0, "%s: b failed, to retry", label);
	ok(outbox_next_due(db, t + 2) == outbox_backoff(1), "%s: b is due after the first pause (%lld)", label,
	   (long long)outbox_next_due(db, t + 2));
	ok(outbox_claim(db, it2, 8, t + 2, "n1") == 0, "%s: not before", label);
	n = outbox_claim(db, it2, 8, t + 2 + outbox_backoff(1), "n1");
	ok(n == 1 && it2[0].attempts == 1 && strcmp(it2[0].id, "evt_b") == 0, "%s: then again, with its attempt count", label);
	/* fail until the schedule runs out */
	int64_t now = t + 10;
	struct outbox_item cur = it2[0];
	int tries = 1;
	while (tries < 40) {
		outbox_done(db, &cur, now, 0, 1, 503, "busy", 1);
		tries++;
		int64_t due = outbox_next_due(db, now);
		if (due < 0)
			break;
		now += due;
		free(cur.payload);
		if (outbox_claim(db, &cur, 1, now, "n1") != 1)
			break;
	}
	free(cur.payload);
	ok(db_query_int(&v, db, "SELECT state FROM outbox WHERE id = 'evt_b'", "") == 0 && v == 2,
	   "%s: given up after the schedule (%d tries, %.1f hours)", label, tries, (double)(now - t) / 3600);
	ok(tries == 13 && now - t > 20 * 3600 && now - t < 30 * 3600, "%s: about a day, 13 tries", label);
	ok(db_query_int(&v, db, "SELECT count(*) FROM outbox_log WHERE item = 'evt_b'", "") == 0 && v == tries,
	   "%s: every try is in the log (%lld)", label, (long long)v);
	outbox_add(db, "evt_c", OUTBOX_WEBHOOK, 7, "{}", t);
	n = outbox_claim(db, it2, 8, now, "n1");
	ok(n == 1 && outbox_done(db, &it2[0], now, 0, 0, 410, "HTTP 410", 1) == 0 &&
	   db_query_int(&v, db, "SELECT state FROM outbox WHERE id = 'evt_c'", "") == 0 && v == 2,
	   "%s: no retry: failed at once", label);
	free(it2[0].payload);
	ok(outbox_prune(db, now + 40 * 86400, 30) >= 1 &&
	   db_query_int(&v, db, "SELECT count(*) FROM outbox WHERE id = 'evt_a'", "") == 0 && v == 0 &&
	   db_query_int(&v, db, "SELECT count(*) FROM outbox WHERE state = 2", "") == 0 && v == 2,
	   "%s: prune drops old delivered items, keeps the failed", label);
	free(it[0].payload);
	free(it[1].payload);

	/* Two claimers at once over many items: every item claimed exactly once. */
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof(id), "evt_m%03d", i);
		outbox_add(db, id, OUTBOX_WEBHOOK, 1, "{}", t);
	}
	int got = 0, dup = 0, rounds = 0;
	char seen[200] = { 0 };
	while (rounds++ < 100) {
		int k1 = outbox_claim(db, it, 8, now + 50 * 86400, "n1");
		int k2 = outbox_claim(other, it2, 8, now + 50 * 86400, "n1");
		for (int i = 0; i < k1 + k2; i++) {
			struct outbox_item *x = i < k1 ? &it[i] : &it2[i - k1];
			int m = atoi(x->id + 5);
			dup += seen[m]++;
			got++;
			outbox_done(i < k1 ? db : other, x, now + 50 * 86400, 1, 0, 200, NULL, 1);
			free(x->payload);
		}
		if (k1 + k2 == 0)
			break;
	}
	ok(got == 200 && dup == 0, "%s: 200 items, two claimers: each claimed once (%d, %d twice)", label, got, dup);
	db_script(db, "DROP TABLE outbox; DROP TABLE outbox_log; DROP TABLE db_schema;");
	db_close(other);
	db_close(db);
}

int
main(void)
{
	char path[] = "/tmp/kennis-test-outbox-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	ok(outbox_backoff(1) == 1 && outbox_backoff(2) == 5 && outbox_backoff(3) == 30 && outbox_backoff(13) == -1,
	   "the schedule starts within seconds and ends");
	suite(path, "sqlite");
	unlink(path);
	const char *pg = getenv("KENNIS_TEST_PG");
	if (pg && *pg)
		suite(pg, "postgresql");
	return tap_done();
}
