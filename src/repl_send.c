/* repl_send.c: the primary's senders: one thread per replica pushes every space's new main to it, and a write waits for N of them. */
#include "repl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gitrun.h"
#include "replica.h"
#include "spaces.h"
#include "state.h"

#define TARGETS_MAX 64
#define RETRY_MS_MAX 5000 /* longest pause between tries to a replica that fails */
#define GEN_RING 1024     /* when each of the last changes was made (for the lags) */
#define LAG_RING 1000     /* each replica's lags of its last changes (p50/p99 in the metrics) */

/* When change `g` was made on this primary (ms, monotonic): gen_at[g % GEN_RING] (repl.mu). */
static int64_t gen_at[GEN_RING];

struct acked {
	char space[SPACE_NAME_MAX + 1];
	git_oid head;
};

struct target {
	char id[CLUSTER_ID_LEN + 1];
	char url[CLUSTER_URL_MAX];
	pthread_t thread;
	int stop;             /* (repl.mu) */
	int live;             /* its heartbeat is recent (repl.mu) */
	uint64_t acked_gen;   /* every change before this generation is on it (repl.mu) */
	int64_t behind_since; /* ms: when it first lacked a change (0: has all) (repl.mu) */
	int64_t last_push_ms, pushes, failures;
	char last_error[256];
	uint64_t lag_from;    /* changes up to this one were made before it was a target (repl.mu) */
	int32_t lags[LAG_RING]; /* ms from a change to this replica holding it, a ring (repl.mu) */
	size_t nlags, lag_pos;
	/* the sender thread's own: the head of each space it knows the replica has */
	struct acked *acked;
	size_t nacked;
};

static struct target *targets[TARGETS_MAX];
static size_t ntargets;

/* The replica's head of `space` as this sender last pushed it, or NULL. */
static struct acked *
acked_of(struct target *t, const char *space)
{
	for (size_t i = 0; i < t->nacked; i++)
		if (strcmp(t->acked[i].space, space) == 0)
			return &t->acked[i];
	t->acked = xrealloc(t->acked, (t->nacked + 1) * sizeof(*t->acked));
	struct acked *a = &t->acked[t->nacked++];
	memset(a, 0, sizeof(*a));
	snprintf(a->space, sizeof(a->space), "%s", space);
	return a;
}

/* Push main of `space` to the replica. 0 or KN_EIO (logged with git's words). */
static int
push_space(struct target *t, const struct cluster_view *v, const char *space, const char *gitdir)
{
	char url[CLUSTER_URL_MAX + 64];
	struct arena *a = arena_new();
	struct buf err = BUF_INIT;
	repl_git_url(url, sizeof(url), t->url, space);
	const char *args[] = { "push", "--quiet", "--no-verify", url, "+refs/heads/main:refs/heads/main", NULL };
	int64_t t0 = repl_now_ms();
	int rc = gitrun(gitdir, args, repl_git_config(a, v), REPL_GIT_TIMEOUT, &err);
	int64_t ms = repl_now_ms() - t0;
	pthread_mutex_lock(&repl.mu);
	t->last_push_ms = ms;
	t->pushes++;
	if (rc != 0) {
		t->failures++;
		snprintf(t->last_error, sizeof(t->last_error), "%.*s", (int)strcspn(buf_cstr(&err), "\n"), buf_cstr(&err));
	}
	pthread_mutex_unlock(&repl.mu);
	if (rc != 0)
		log_warn("replication: push of space %s to node %s (%s) failed (git exit %d, %lld ms): %s", space, t->id,
			 t->url, rc, (long long)ms, buf_cstr(&err));
	buf_free(&err);
	arena_free(a);
	return rc == 0 ? 0 : KN_EIO;
}

/* One pass: every space whose main the replica does not have yet is pushed. 0 when the
 * replica has every space's main as it was at the start of the pass, else KN_EIO. */
static int
pass(struct target *t, struct db **db)
{
	struct cluster_view v;
	struct space *sps = NULL;
	size_t n = 0;
	int rc = 0;
	if (!*db && state_open(db, repl.cfg->data_dir, repl.cfg->db_url) < 0)
		return KN_EIO;
	if (space_list(*db, &sps, &n) < 0) {
		db_close(*db);
		*db = NULL;
		return KN_EIO;
	}
	repl_view(&v);
	for (size_t i = 0; i < n; i++) {
		char gitdir[4200];
		git_oid head;
		space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, sps[i].name);
		if (repl_head(gitdir, &head) < 0)
			continue; /* no repository or no commit yet: nothing to send */
		struct acked *ak = acked_of(t, sps[i].name);
		if (git_oid_equal(&ak->head, &head))
			continue;
		if (push_space(t, &v, sps[i].name, gitdir) < 0) {
			rc = KN_EIO;
			continue;
		}
		git_oid_cpy(&ak->head, &head);
	}
	free(sps);
	return rc;
}

/* The replica holds every change up to `g` now: note how long each new one took, from
 * the moment it was made (repl.mu held). */
static void
lags_note(struct target *t, uint64_t g)
{
	int64_t now = repl_now_ms();
	uint64_t from = t->acked_gen > t->lag_from ? t->acked_gen : t->lag_from;
	if (g > from + GEN_RING)
		from = g - GEN_RING;
	for (uint64_t c = from + 1; c <= g; c++) {
		int64_t ms = now - gen_at[c % GEN_RING];
		t->lags[t->lag_pos] = (int32_t)(ms > INT32_MAX ? INT32_MAX : ms);
		t->lag_pos = (t->lag_pos + 1) % LAG_RING;
		if (t->nlags < LAG_RING)
			t->nlags++;
	}
}

static void *
sender(void *arg)
{
	struct target *t = arg;
	struct db *db = NULL;
	uint64_t done = 0;
	int64_t pause = 0;
	pthread_mutex_lock(&repl.mu);
	while (!t->stop) {
		/* Wait for a change (or a second: CLI changes and new spaces are found by looking). */
		if (repl.gen == done || pause) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			int64_t ms = pause ? pause : 1000;
			until.tv_sec += ms / 1000;
			until.tv_nsec += (ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (!t->stop && (repl.gen == done || pause) &&
			       pthread_cond_timedwait(&repl.cond, &repl.mu, &until) != ETIMEDOUT)
				;
			if (t->stop)
				break;
		}
		uint64_t g = repl.gen;
		pthread_mutex_unlock(&repl.mu);
		int rc = pass(t, &db);
		pthread_mutex_lock(&repl.mu);
		if (rc == 0) {
			done = g;
			pause = 0;
			lags_note(t, g);
			if (g > t->acked_gen)
				t->acked_gen = g;
			if (t->acked_gen >= repl.gen)
				t->behind_since = 0;
			pthread_cond_broadcast(&repl.cond);
		} else {
			pause = pause ? (pause * 2 > RETRY_MS_MAX ? RETRY_MS_MAX : pause * 2) : 200;
		}
	}
	pthread_mutex_unlock(&repl.mu);
	db_close(db);
	return NULL;
}

/* (repl.mu held) */
static struct target *
target_find(const char *id)
{
	for (size_t i = 0; i < ntargets; i++)
		if (strcmp(targets[i]->id, id) == 0)
			return targets[i];
	return NULL;
}

static void
target_free(struct target *t)
{
	pthread_join(t->thread, NULL);
	free(t->acked);
	free(t);
}

struct seen_nodes {
	struct cluster_node v[TARGETS_MAX];
	size_t n;
	int64_t now;
};

static int
collect_node(const struct cluster_node *n, void *payload)
{
	struct seen_nodes *s = payload;
	/* Replicas whose heartbeat is at most a few minutes old; a node silent for longer is
	 * gone, and it catches up by fetching when it is back. */
	if (strcmp(n->id, repl.id) == 0 || strcmp(n->role, "replica") != 0 || s->now - n->seen > 300 ||
	    s->n == TARGETS_MAX)
		return 0;
	s->v[s->n] = *n;
	s->v[s->n].heads = NULL;
	s->n++;
	return 0;
}

void
repl_send_refresh(struct db *db, int64_t now)
{
	static struct seen_nodes s; /* the node thread's only */
	struct target *gone[TARGETS_MAX];
	size_t ngone = 0;
	s.n = 0;
	s.now = now;
	if (cluster_nodes(db, collect_node, &s) < 0)
		return;
	pthread_mutex_lock(&repl.mu);
	for (size_t i = 0; i < s.n; i++) {
		struct target *t = target_find(s.v[i].id);
		if (!t && ntargets < TARGETS_MAX) {
			t = xcalloc(1, sizeof(*t));
			snprintf(t->id, sizeof(t->id), "%s", s.v[i].id);
			snprintf(t->url, sizeof(t->url), "%s", s.v[i].url);
			/* It may lack anything made so far, until its first pass says otherwise. */
			t->behind_since = repl.gen ? repl_now_ms() : 0;
			t->lag_from = repl.gen;
			if (pthread_create(&t->thread, NULL, sender, t) != 0) {
				log_error("replication: cannot start a sender for node %s: %s", t->id, strerror(errno));
				free(t);
				continue;
			}
			targets[ntargets++] = t;
			log_info("replication: sending to node %s at %s", t->id, t->url);
		}
		if (!t)
			continue;
		int live = now - s.v[i].seen <= REPLICA_LIVE;
		if (live != t->live)
			log_info("replication: node %s (%s) is %s", t->id, s.v[i].url, live ? "live" : "not heard from: not counted for --sync-replicas");
		t->live = live;
		if (strcmp(t->url, s.v[i].url) != 0)
			snprintf(t->url, sizeof(t->url), "%s", s.v[i].url); /* read by its own thread at its next push */
	}
	for (size_t i = 0; i < ntargets;) {
		int keep = 0;
		for (size_t j = 0; j < s.n && !keep; j++)
			keep = strcmp(s.v[j].id, targets[i]->id) == 0;
		if (keep) {
			i++;
			continue;
		}
		targets[i]->stop = 1;
		gone[ngone++] = targets[i];
		targets[i] = targets[--ntargets];
	}
	if (ngone)
		pthread_cond_broadcast(&repl.cond);
	pthread_mutex_unlock(&repl.mu);
	for (size_t i = 0; i < ngone; i++) {
		log_info("replication: node %s is gone; not sending to it any more", gone[i]->id);
		target_free(gone[i]);
	}
}

void
repl_send_stop_all(void)
{
	struct target *all[TARGETS_MAX];
	pthread_mutex_lock(&repl.mu);
	size_t n = ntargets;
	for (size_t i = 0; i < n; i++) {
		targets[i]->stop = 1;
		all[i] = targets[i];
	}
	ntargets = 0;
	pthread_cond_broadcast(&repl.cond);
	pthread_mutex_unlock(&repl.mu);
	for (size_t i = 0; i < n; i++)
		target_free(all[i]);
}

uint64_t
repl_changed(void)
{
	pthread_mutex_lock(&repl.mu);
	uint64_t g = ++repl.gen;
	int64_t now = repl_now_ms();
	gen_at[g % GEN_RING] = now;
	for (size_t i = 0; i < ntargets; i++)
		if (!targets[i]->behind_since)
			targets[i]->behind_since = now;
	pthread_cond_broadcast(&repl.cond);
	pthread_mutex_unlock(&repl.mu);
	return g;
}

/* (repl.mu held) */
static unsigned
holding(uint64_t g, unsigned *live)
{
	unsigned have = 0;
	*live = 0;
	for (size_t i = 0; i < ntargets; i++) {
		*live += (unsigned)targets[i]->live;
		have += targets[i]->live && targets[i]->acked_gen >= g;
	}
	return have;
}

int
repl_sync_wait(uint64_t g, unsigned want, unsigned timeout_ms, unsigned *have)
{
	struct timespec until;
	unsigned live = 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&repl.mu);
	/* Fewer live replicas than asked for: no use waiting for the timeout. */
	while ((*have = holding(g, &live)) < want && live >= want && !repl.stopping &&
	       pthread_cond_timedwait(&repl.cond, &repl.mu, &until) != ETIMEDOUT)
		;
	*have = holding(g, &live);
	pthread_mutex_unlock(&repl.mu);
	return *have >= want ? 0 : KN_EBUSY;
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* p50 and p99 of a target's lags (sorted copy; `v` has LAG_RING room). */
static void
lag_percentiles(struct repl_target_info *info, int32_t *v, size_t n)
{
	info->lag_count = (int64_t)n;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i32);
	info->lag_p50_ms = v[(n - 1) / 2];
	info->lag_p99_ms = v[(size_t)((double)(n - 1) * 0.99 + 0.5)];
	info->lag_max_ms = v[n - 1];
}

void
repl_send_each(void (*cb)(const struct repl_target_info *t, void *payload), void *payload)
{
	static struct repl_target_info info[TARGETS_MAX];
	static int32_t lags[TARGETS_MAX][LAG_RING];
	static pthread_mutex_t each_mu = PTHREAD_MUTEX_INITIALIZER; /* the static buffers */
	size_t n, nl[TARGETS_MAX];
	pthread_mutex_lock(&each_mu);
	int64_t now = repl_now_ms();
	pthread_mutex_lock(&repl.mu);
	n = ntargets;
	for (size_t i = 0; i < n; i++) {
		const struct target *t = targets[i];
		memset(&info[i], 0, sizeof(info[i]));
		memcpy(info[i].id, t->id, sizeof(t->id));
		memcpy(info[i].url, t->url, sizeof(t->url));
		info[i].live = t->live;
		info[i].lag_ms = t->behind_since ? now - t->behind_since : 0;
		info[i].last_push_ms = t->last_push_ms;
		info[i].pushes = t->pushes;
		info[i].failures = t->failures;
		memcpy(info[i].last_error, t->last_error, sizeof(t->last_error));
		nl[i] = t->nlags;
		memcpy(lags[i], t->lags, t->nlags * sizeof(t->lags[0]));
	}
	pthread_mutex_unlock(&repl.mu);
	for (size_t i = 0; i < n; i++) {
		lag_percentiles(&info[i], lags[i], nl[i]);
		cb(&info[i], payload);
	}
	pthread_mutex_unlock(&each_mu);
}

static void
metrics_one(const struct repl_target_info *t, void *payload)
{
	buf_printf(payload,
		   "; node %s %s %s lag_ms=%lld last_push_ms=%lld pushes=%lld failures=%lld lag_p50_ms=%lld lag_p99_ms=%lld "
		   "lag_max_ms=%lld lag_n=%lld",
		   t->id, t->url, t->live ? "live" : "silent", (long long)t->lag_ms, (long long)t->last_push_ms,
		   (long long)t->pushes, (long long)t->failures, (long long)t->lag_p50_ms, (long long)t->lag_p99_ms,
		   (long long)t->lag_max_ms, (long long)t->lag_count);
}

void
repl_metrics(struct buf *out)
{
	struct cluster_view v;
	repl_view(&v);
	buf_printf(out, "replication: epoch %lld primary %s", (long long)v.epoch, v.primary);
	repl_send_each(metrics_one, out);
}
