/* replica.h: this server as one node of several (docs/deploy.md). git carries the content:
 * the primary pushes every change of every space to the replicas over smart HTTP, and a
 * replica that was away fetches what it lacks. PostgreSQL carries the rest: which node is
 * the primary (an epoch that `kennis promote` raises), the replication token, and every
 * node's heartbeat. With the state in SQLite none of this runs: one node, as before. */
#ifndef KENNIS_REPLICA_H
#define KENNIS_REPLICA_H

#include <git2.h>
#include <stdint.h>

#include "config.h"
#include "req.h"

enum node_role {
	NODE_SINGLE,    /* no cluster: SQLite state, or nothing configured (make run) */
	NODE_PRIMARY,   /* takes writes and sends them on */
	NODE_REPLICA,   /* serves reads, forwards writes to the primary */
	NODE_PROMOTING, /* becoming the primary: fetching what the other nodes have first */
};

#define REPLICA_PRINCIPAL "kennis-replication" /* the name replication requests act under */
#define REPLICA_SEEN_COOKIE "kennis_seen"      /* read-your-writes: SPACE~COMMIT of one's last write */
#define REPLICA_HEARTBEAT 1                    /* seconds between heartbeats */
#define REPLICA_LIVE 10                        /* seconds a heartbeat keeps a node live */

/* The serve options of this module (--replica-of, --node-url, --sync-replicas, --sync-mode,
 * --sync-timeout, --read-wait): 1 taken, 0 not ours, -1 a bad value (said on stderr). */
int replica_parse_option(const char *opt, const char *val, struct config *cfg);

/* `kennis serve` before it serves, with the state database open: decide this node's role
 * (the flags, and what the database says), and on a replica make the repositories of
 * spaces it lacks. A message on stderr and -1 when it must not start. */
struct db;
int replica_startup(const struct config *cfg, struct db *state);

/* With the listen address known: start the node's threads (heartbeat, catch-up, sending
 * to replicas) and the fan-out on the primary only (`fs`, copied). No-op for NODE_SINGLE. */
struct fanout_settings;
void replica_start(const struct config *cfg, const char *listen_url, const struct fanout_settings *fs);
void replica_stop(void);
enum node_role replica_role(void);

/* ---- requests (server.c) ---- */

/* A git request made by another node (the replication token): 1 allowed (r->user is the
 * replication principal, *may_write for a push), 0 not one, or a KN_ refusal. Pushes are
 * taken only from the current primary (its epoch, checked in the state database now). */
int replica_git_auth(struct req *r, const char *space, int push, int *may_write);
/* Is `u` the replication principal (githttp.c: its pushes follow the replication rules)? */
int replica_is_principal(const struct user *u);
/* A push of the primary of epoch `epoch` into the repository at `gitdir` is about to run:
 * may git let a rewrite of main through? Only when `epoch` is newer than the one main
 * follows (after a failover); the pre-receive hook keeps the old main first, and
 * post-receive records the new epoch (hook.c). 1 yes, 0 fast-forwards only. */
int replica_receive_rules(const char *gitdir, int64_t epoch);
/* A request another node forwarded with the token: take the client's address it names. */
void replica_trust_forwarded(struct req *r);

/* Should this request go to the primary (a write reaching a replica, or a read of one who
 * just wrote what this replica does not have yet, after a bounded wait)? 1 forward, 0
 * serve here, or KN_EBUSY (the node is being promoted: try again). `git` says it is a git
 * request, `raw_query` its query string as sent. */
int replica_forwards(struct req *r, int git, const char *raw_query);
/* The primary's base URL and the token, for forward.c (false when there is none). */
int replica_forward_target(char *url, size_t un, char *token, size_t tn);

/* Around a write on the primary: before it, note the head of the request's space; after
 * it, when the head moved: set the read-your-writes cookie, send the change on, and wait
 * for --sync-replicas replicas (--sync-mode says what a shortfall does to the answer). */
struct replica_write {
	int on;
	char gitdir[4200];
	git_oid before;
	int had;
};
void replica_write_begin(struct replica_write *w, struct req *r, const char *path);
/* After a web write: may replace the answer with a refusal (--sync-mode refuse). */
void replica_write_end(struct replica_write *w, struct req *r);
/* After a push (receive-pack finished): 0, or KN_EBUSY to fail the push's answer. */
int replica_push_end(struct replica_write *w);

#endif
