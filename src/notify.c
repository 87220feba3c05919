/* notify.c: sender threads: claim due outbox items, deliver them, record the outcome. */
#include "notify.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "cluster.h"
#include "outbox.h"
#include "state.h"
#include "webhooks.h"

#define BATCH 8
#define MAX_SENDERS 8
#define SLOWEST_DELIVERY 70 /* seconds: a mail's timeout (60 s) and a margin */
#define IDLE_POLL 5 /* seconds: another node (PostgreSQL) may queue work we are not told of */

static struct notify_settings settings;
static pthread_t threads[MAX_SENDERS];
static int nthreads;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stopping, pokes;
static char node_id[40]; /* this data directory's node: DATA/node-id, made once */

static void
node_init(const char *data_dir)
{
	/* the node id the cluster knows this data directory by (cluster.c: made once, O_EXCL) */
	if (cluster_node_id(data_dir, 1, node_id) < 0) {
		unsigned char raw[CLUSTER_ID_LEN / 2];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(node_id, sizeof(node_id), raw, sizeof(raw));
		log_warn("notify: no node id kept for %s: this run is %s (leases of a killed server run out instead)",
			 data_dir, node_id);
	}
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static int
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

static int
deliver_webhook(struct db *db, const struct notify_settings *s, struct outbox_item *it, long *status, char *err,
		int *retry)
{
	struct webhook_ep ep;
	struct webhook_result res;
	int rc = webhook_ep_get(db, it->target, &ep);
	if (rc < 0) {
		snprintf(err, 256, rc == KN_ENOTFOUND ? "the webhook was deleted" : "cannot read the webhook");
		*retry = rc != KN_ENOTFOUND;
		return KN_EIO;
	}
	rc = webhook_post(&res, ep.url, ep.secret, it->id, now_s(), it->payload, strlen(it->payload), s->allow_private);
	*status = res.status;
	*retry = res.retry;
	snprintf(err, 256, "%s", res.error);
	return rc;
}

static int
deliver_mail(struct db *db, const struct notify_settings *s, struct outbox_item *it, long *status, char *err, int *retry)
{
	json_error_t je;
	json_t *j = json_loads(it->payload, 0, &je);
	const char *subject = NULL, *text = NULL, *html = NULL, *unsub = NULL, *to = NULL;
	int rc = KN_EIO;
	*retry = 0;
	if (!j || json_unpack(j, "{s:s, s:s, s:s, s?s, s?s}", "to", &to, "subject", &subject, "text", &text, "html", &html,
			      "unsubscribe", &unsub) != 0) {
		snprintf(err, 256, "a mail item that cannot be read");
		goto done;
	}
	if (!s->smtp.url) {
		snprintf(err, 256, "no mail server is set (serve --smtp)");
		*retry = 1;
		goto done;
	}
	char mid[OUTBOX_ID_MAX + 32];
	snprintf(mid, sizeof(mid), "<%s@kennis>", it->id);
	struct mail m = { to, subject, text, html, unsub, mid };
	rc = mail_send(&s->smtp, &m, err, retry);
	*status = rc == 0 ? 250 : 0;
done:
	json_decref(j);
	return rc;
}

int
notify_deliver(struct db *db, const struct notify_settings *s, struct outbox_item *it)
{
	struct timespec t0;
	char err[256] = "";
	long status = 0;
	int retry = 0, rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (it->kind == OUTBOX_WEBHOOK)
		rc = deliver_webhook(db, s, it, &status, err, &retry);
	else if (it->kind == OUTBOX_MAIL)
		rc = deliver_mail(db, s, it, &status, err, &retry);
	else {
		snprintf(err, 256, "unknown kind %d", it->kind);
		rc = KN_EIO;
	}
	int ms = elapsed_ms(&t0);
	if (rc == 0)
		log_info("delivered %s (%s %lld): %ld in %d ms", it->id, it->kind == OUTBOX_WEBHOOK ? "webhook" : "mail",
			 (long long)it->target, status, ms);
	else
		log_warn("delivery %s (%s %lld) try %d failed: %s%s", it->id, it->kind == OUTBOX_WEBHOOK ? "webhook" : "mail",
			 (long long)it->target, it->attempts + 1, err, retry ? "; will retry" : "; giving up");
	if (outbox_done(db, it, now_s(), rc == 0, retry, status, err, ms) < 0)
		log_error("delivery %s: cannot record the outcome (it will be tried again when its lease ends)", it->id);
	return rc;
}

/* Wait until poked, stopped, or `seconds` passed. */
static void
idle(int64_t seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&mu);
	while (!stopping && !pokes)
		if (pthread_cond_timedwait(&cond, &mu, &until) == ETIMEDOUT)
			break;
	if (pokes)
		pokes--;
	pthread_mutex_unlock(&mu);
}

static int
is_stopping(void)
{
	pthread_mutex_lock(&mu);
	int s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}

static void *
sender(void *arg)
{
	kn_thread_background("kn-sender");
	struct db *db = NULL;
	struct outbox_item items[BATCH];
	while (!is_stopping()) {
		if (!db && state_open(&db, settings.data_dir, settings.db_url) < 0) {
			log_error("notify: the state database does not open; deliveries wait");
			idle(IDLE_POLL);
			continue;
		}
		int64_t claimed = now_s();
		int n = outbox_claim(db, items, BATCH, claimed, node_id);
		if (n < 0) {
			idle(1);
			continue;
		}
		for (int i = 0; i < n; i++) {
			/* An item is started only while its lease outlasts the slowest delivery (a
			 * mail's 60 s); the rest go back for any sender, never to be sent twice. */
			if (is_stopping() || now_s() - claimed > OUTBOX_LEASE - SLOWEST_DELIVERY)
				outbox_release(db, items[i].id);
			else
				notify_deliver(db, &settings, &items[i]);
			free(items[i].payload);
		}
		if (n == 0) {
			int64_t next = outbox_next_due(db, now_s());
			idle(next < 0 || next > IDLE_POLL ? IDLE_POLL : next == 0 ? 1 : next);
		}
	}
	db_close(db);
	mail_thread_end();
	return NULL;
}

int
notify_start(const struct notify_settings *s)
{
	settings = *s;
	stopping = 0;
	int want = s->senders > 0 ? s->senders : 2;
	/* This node's leases: only one server runs per data directory (locks.c), so what an
	 * earlier one left claimed was left by a dead server, and goes out now rather than when
	 * its lease ends. Leases of other nodes (PostgreSQL) are theirs. */
	node_init(s->data_dir);
	struct db *db = NULL;
	if (state_open(&db, s->data_dir, s->db_url) == 0) {
		int n = outbox_release_all(db, node_id);
		if (n > 0)
			log_info("notify: %d deliveries this node had claimed before it stopped are free again", n);
	}
	db_close(db);
	if (want > MAX_SENDERS)
		want = MAX_SENDERS;
	for (nthreads = 0; nthreads < want; nthreads++)
		if (pthread_create(&threads[nthreads], NULL, sender, NULL) != 0) {
			log_error("notify: cannot start a sender thread");
			break;
		}
	return nthreads ? 0 : KN_EIO;
}

void
notify_wake(void)
{
	pthread_mutex_lock(&mu);
	pokes = nthreads;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
}

void
notify_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
}
