/* repl.h: what replica.c (the node: role, heartbeat, catch-up, requests) and repl_send.c
 * (the primary's senders and the sync wait) share. Private to those two (and the admin page). */
#ifndef KENNIS_REPL_H
#define KENNIS_REPL_H

#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cluster.h"
#include "config.h"
#include "kennis.h"

#define REPL_GIT_TIMEOUT 30000   /* ms a push or fetch to another node may take */
#define REPL_PEER_TIMEOUT 8000   /* ms for a fetch from a peer while promoting */

struct repl {
	pthread_mutex_t mu;
	pthread_cond_t cond;            /* the generation moved, a sender finished, or stop */
	const struct config *cfg;
	char id[CLUSTER_ID_LEN + 1];    /* this node */
	char url[CLUSTER_URL_MAX];      /* how the others reach it */
	atomic_int role;                /* enum node_role */
	struct cluster_view view;       /* the last read of the cluster row (mu) */
	uint64_t gen;                   /* changes made on this primary so far (mu) */
	int stopping;                   /* (mu) */
};
extern struct repl repl;

/* The time in ms (monotonic) and in seconds (wall clock). */
int64_t repl_now_ms(void);

/* A copy of the cluster row as last read (mu taken inside). */
void repl_view(struct cluster_view *v);

/* base + "/wiki.git" or base + "/s/NAME.git": the address of a space's repository on a node. */
void repl_git_url(char *out, size_t n, const char *base, const char *space);
/* The head of main of the repository at `gitdir` (opened afresh, so a push by another
 * process is seen): 0, KN_ENOTFOUND (no main yet), KN_EGIT. */
int repl_head(const char *gitdir, git_oid *out);
/* git config values for talking to another node: the token, the epoch, this node's id, and
 * timeouts; NULL-terminated pairs in `a`. */
const char *const *repl_git_config(struct arena *a, const struct cluster_view *v);

/* ---- the primary's side (repl_send.c) ---- */

/* Refresh the replicas to send to from the nodes' heartbeats (the node thread, each second). */
struct db;
void repl_send_refresh(struct db *db, int64_t now);
/* Stop every sender (demoted, or shutting down); waiters give up. */
void repl_send_stop_all(void);
/* Something changed on this primary: wake the senders. Returns the generation to wait for. */
uint64_t repl_changed(void);
/* Wait until `want` live replicas hold generation `g`, at most `timeout_ms`: 0, or
 * KN_EBUSY (fewer; *have says how many did). */
int repl_sync_wait(uint64_t g, unsigned want, unsigned timeout_ms, unsigned *have);

/* One replica as the primary's sender sees it (for /admin/replicas and the metrics line). */
struct repl_target_info {
	char id[CLUSTER_ID_LEN + 1];
	char url[CLUSTER_URL_MAX];
	int live;
	int64_t lag_ms;        /* how long it has lacked a change (0: it has everything) */
	int64_t last_push_ms;  /* how long the last push took */
	int64_t pushes, failures;
	char last_error[256];
	/* over its last changes (at most 1000; lag_count of them): ms from a change made on
	 * the primary to the replica holding it (pushed, indexed) */
	int64_t lag_p50_ms, lag_p99_ms, lag_max_ms, lag_count;
};
/* cb for each replica this primary sends to. */
void repl_send_each(void (*cb)(const struct repl_target_info *t, void *payload), void *payload);
/* The metrics line: "replication: ..." (appended to `out`). */
void repl_metrics(struct buf *out);

#endif
