/* cluster.h: the rows in the shared state database (PostgreSQL) that make several kennis
 * nodes one wiki: which node is the primary (and since which epoch), the replication token,
 * and every node's heartbeat with the heads of its spaces. No consensus of our own: a
 * promotion is one compare-and-set of the epoch in PostgreSQL (docs/deploy.md). */
#ifndef KENNIS_CLUSTER_H
#define KENNIS_CLUSTER_H

#include <git2.h>

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define CLUSTER_ID_LEN 32     /* hex digits of a node id (DATA/node-id; the form notify.c's leases use on main) */
#define CLUSTER_URL_MAX 512
#define CLUSTER_TOKEN_LEN 64  /* hex digits of the replication token */

/* Which node is the primary, as the state database says. */
struct cluster_view {
	int64_t epoch;                      /* raised by every promotion */
	char primary[CLUSTER_ID_LEN + 1];   /* node id */
	char primary_url[CLUSTER_URL_MAX];  /* how the other nodes reach it */
	char token[CLUSTER_TOKEN_LEN + 1];  /* the replication token (nodes authenticate with it) */
	int64_t changed;                    /* when the primary last changed (seconds) */
};

/* One node's last heartbeat. `heads` is JSON: {"space": "commit hex", ...}. */
struct cluster_node {
	char id[CLUSTER_ID_LEN + 1];
	char url[CLUSTER_URL_MAX];
	char role[16];   /* "primary", "replica", "promoting" */
	int64_t epoch;   /* the epoch the node last knew */
	int64_t started, seen;
	const char *heads;
};

int cluster_db_init(struct db *db);

/* This data directory's node id (DATA/node-id; made with `create` when missing): 0,
 * KN_ENOTFOUND (none and not `create`), or KN_EIO. `out` has CLUSTER_ID_LEN + 1 bytes. */
int cluster_node_id(const char *data_dir, int create, char *out);

/* The primary as the database says: 0, KN_ENOTFOUND (no primary yet), KN_EIO. */
int cluster_read(struct db *db, struct cluster_view *v);
/* Become the first primary when there is none (epoch 1, a new token): 0 and `v` filled with
 * whatever is the primary now (this node, or one that was there first); KN_EIO. */
int cluster_claim(struct db *db, const char *node, const char *url, struct cluster_view *v);
/* Make `node` the primary if the epoch is still `epoch` (compare-and-set): 0 done (`v`
 * the new view), KN_ECONFLICT (someone else changed it first), KN_EIO. */
int cluster_promote(struct db *db, const char *node, const char *url, int64_t epoch, int64_t now,
		    struct cluster_view *v);
/* The primary moved to another address (its --node-url changed at a restart). */
int cluster_set_primary_url(struct db *db, const char *node, const char *url);

/* A node's heartbeat: insert or update its row. 0 or KN_EIO. */
int cluster_heartbeat(struct db *db, const struct cluster_node *n);
/* Every node's row, by id: cb for each (a non-zero return stops). 0 or KN_EIO. */
int cluster_nodes(struct db *db, int (*cb)(const struct cluster_node *n, void *payload), void *payload);
/* One node's row: 0, KN_ENOTFOUND, KN_EIO (heads copied into `heads`, at most `hn` bytes). */
int cluster_node_get(struct db *db, const char *id, struct cluster_node *n, char *heads, size_t hn);
/* Forget a node (it is gone for good). */
int cluster_node_del(struct db *db, const char *id);

/* The epoch of the primary whose history main of `repo` follows (its config kennis.epoch;
 * 0: none yet): the hook and the replica judge a forced rewrite by it. */
int64_t cluster_repo_epoch(git_repository *repo);

#endif
