/* replica.c: this server as a node of several: its role, heartbeat, catch-up by fetching, promotion, and what requests need of it. */
#include "replica.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "auth.h"
#include "fanout.h"
#include "gitrun.h"
#include "githttp.h"
#include "index.h"
#include "locks.h"
#include "repl.h"
#include "spaces.h"
#include "state.h"
#include "store.h"

#define METRICS_EVERY 10  /* seconds between metrics lines on the primary */
#define FULL_FETCH_EVERY 60 /* seconds between fetches of every space by a replica */
#define PEER_RECENT 300   /* seconds: nodes heard from this recently are asked for their commits at a promotion */

struct repl repl = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static const struct user principal = { 0, REPLICA_PRINCIPAL, "Replication", "", ROLE_ADMIN };
static struct fanout_settings fanout_cfg;
static int have_fanout, fanout_on;
static pthread_t node_thread;
static int node_running, pokes;

int64_t
repl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
repl_view(struct cluster_view *v)
{
	pthread_mutex_lock(&repl.mu);
	*v = repl.view;
	pthread_mutex_unlock(&repl.mu);
}

enum node_role
replica_role(void)
{
	return (enum node_role)atomic_load(&repl.role);
}

static const char *
role_word(int role)
{
	return role == NODE_PRIMARY ? "primary" : role == NODE_REPLICA ? "replica" : role == NODE_PROMOTING ? "promoting" : "single";
}

/* ---- options ---- */

static int
url_ok(const char *v)
{
	return (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) && strlen(v) < CLUSTER_URL_MAX - 64 &&
	       !strpbrk(v, " \t\r\n\"'\\");
}

int
replica_parse_option(const char *o, const char *v, struct config *cfg)
{
	char *end;
	unsigned long n;
	if (strcmp(o, "--replica-of") == 0 || strcmp(o, "--node-url") == 0) {
		if (!url_ok(v)) {
			fprintf(stderr, "kennis: %s takes the http:// or https:// address of a kennis node\n", o);
			return -1;
		}
		/* Kept for the process's life, like the other settings; the options are parsed
		 * twice (before and after kennis.conf), so one buffer each, not an allocation. */
		static char replica_of[CLUSTER_URL_MAX], node_url[CLUSTER_URL_MAX];
		char *u = o[2] == 'r' ? replica_of : node_url;
		snprintf(u, CLUSTER_URL_MAX, "%s", v);
		size_t len = strlen(u);
		while (len > 0 && u[len - 1] == '/')
			u[--len] = '\0';
		if (o[2] == 'r')
			cfg->replica_of = u;
		else
			cfg->node_url = u;
		return 1;
	}
	if (strcmp(o, "--sync-mode") == 0) {
		if (strcmp(v, "warn") != 0 && strcmp(v, "refuse") != 0) {
			fprintf(stderr, "kennis: --sync-mode takes warn or refuse\n");
			return -1;
		}
		cfg->sync_refuse = strcmp(v, "refuse") == 0;
		return 1;
	}
	if (strcmp(o, "--sync-replicas") != 0 && strcmp(o, "--sync-timeout") != 0 && strcmp(o, "--read-wait") != 0)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || n > (o[2] == 's' && o[7] == 'r' ? 64ul : 600000ul)) {
		fprintf(stderr, "kennis: %s needs a number (%s)\n", o,
			strcmp(o, "--sync-replicas") == 0 ? "replicas, at most 64" : "milliseconds");
		return -1;
	}
	if (strcmp(o, "--sync-replicas") == 0)
		cfg->sync_replicas = (unsigned)n;
	else if (strcmp(o, "--sync-timeout") == 0)
		cfg->sync_timeout_ms = (unsigned)n;
	else
		cfg->read_wait_ms = (unsigned)n;
	return 1;
}

/* ---- git helpers ---- */

void
repl_git_url(char *out, size_t n, const char *base, const char *space)
{
	if (strcmp(space, SPACE_WIKI) == 0)
		snprintf(out, n, "%s/wiki.git", base);
	else
		snprintf(out, n, "%s/s/%s.git", base, space);
}

int
repl_head(const char *gitdir, git_oid *out)
{
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0)
		return KN_ENOTFOUND;
	int rc = git_reference_name_to_id(out, repo, STORE_BRANCH);
	git_repository_free(repo);
	return rc == GIT_ENOTFOUND ? KN_ENOTFOUND : rc < 0 ? KN_EGIT : 0;
}

const char *const *
repl_git_config(struct arena *a, const struct cluster_view *v)
{
	const char **c = arena_alloc(a, 24 * sizeof(char *));
	size_t n = 0;
	c[n++] = "http.extraHeader";
	c[n++] = arena_printf(a, "X-Kennis-Replication: %s", v->token);
	c[n++] = "http.extraHeader";
	c[n++] = arena_printf(a, "X-Kennis-Epoch: %lld", (long long)v->epoch);
	c[n++] = "http.extraHeader";
	c[n++] = arena_printf(a, "X-Kennis-Node: %s", repl.id);
	c[n++] = "http.lowSpeedLimit"; /* a node that stops answering is given up on */
	c[n++] = "1";
	c[n++] = "http.lowSpeedTime";
	c[n++] = "20";
	c[n++] = "credential.helper";
	c[n++] = "";
	c[n++] = "gc.auto";
	c[n++] = "0";
	c[n++] = "maintenance.auto";
	c[n++] = "false";
	c[n] = NULL;
	return c;
}

static void
set_repo_epoch(git_repository *repo, int64_t epoch, const char *gitdir)
{
	git_config *cfg = NULL;
	if (cluster_repo_epoch(repo) >= epoch)
		return;
	if (git_repository_config(&cfg, repo) < 0 || git_config_set_int64(cfg, "kennis.epoch", epoch) < 0)
		store_log_git_error("set kennis.epoch", gitdir);
	git_config_free(cfg);
}

static int
open_repo(git_repository **repo, const char *gitdir)
{
	if (git_repository_open_ext(repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0) {
		store_log_git_error("open", gitdir);
		return KN_EGIT;
	}
	return 0;
}

/* Keep main's tip `cur` before a new primary (epoch `epoch`) may rewrite main: as
 * refs/kennis/diverged/EPOCH, or EPOCH-TIME when that is taken. 0 or KN_EGIT. */
static int
keep_main(git_repository *repo, const char *gitdir, int64_t epoch, const git_oid *cur)
{
	char keep[96], hex[GIT_OID_HEXSZ + 1];
	git_reference *k = NULL;
	git_oid old;
	snprintf(keep, sizeof(keep), "refs/kennis/diverged/%lld", (long long)epoch);
	if (git_reference_name_to_id(&old, repo, keep) == 0) {
		if (git_oid_equal(&old, cur))
			return 0;
		snprintf(keep, sizeof(keep), "refs/kennis/diverged/%lld-%lld", (long long)epoch, (long long)time(NULL));
	}
	if (git_reference_create(&k, repo, keep, cur, 1, "kennis: main before a new primary's history") < 0) {
		store_log_git_error("keep main", keep);
		return KN_EGIT;
	}
	git_reference_free(k);
	log_info("replication: %s: a new primary (epoch %lld): main (%s) kept as %s", gitdir, (long long)epoch,
		 git_oid_tostr(hex, sizeof(hex), cur), keep);
	return 0;
}

/* Move main of `gitdir` to `to` (a commit in the repository): forward only, unless
 * `epoch` (the current primary's) is newer than the repository's, when main is rewritten
 * and its old tip kept as refs/kennis/diverged/EPOCH-TIME. 1 moved, 0 nothing to do (main
 * has it already), KN_ECONFLICT (diverged at the same epoch: left alone), KN_EGIT. */
static int
move_main(const char *gitdir, const git_oid *to, int64_t epoch, const char *why)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	git_oid cur;
	char hex[GIT_OID_HEXSZ + 1], old[GIT_OID_HEXSZ + 1];
	int rc = open_repo(&repo, gitdir);
	if (rc < 0)
		return rc;
	git_oid_tostr(hex, sizeof(hex), to);
	int have = git_reference_name_to_id(&cur, repo, STORE_BRANCH) == 0;
	git_oid_tostr(old, sizeof(old), have ? &cur : to);
	if (have && (git_oid_equal(&cur, to) || git_graph_descendant_of(repo, &cur, to) == 1)) {
		rc = 0;
		goto done;
	}
	locks_writer_begin();
	if (!have) {
		rc = git_reference_create(&ref, repo, STORE_BRANCH, to, 0, why);
	} else if (git_graph_descendant_of(repo, to, &cur) == 1) {
		rc = git_reference_create_matching(&ref, repo, STORE_BRANCH, to, 1, &cur, why);
	} else if (epoch > cluster_repo_epoch(repo)) {
		rc = keep_main(repo, gitdir, epoch, &cur);
		if (rc == 0)
			rc = git_reference_create_matching(&ref, repo, STORE_BRANCH, to, 1, &cur, why);
		if (rc == 0)
			log_warn("replication: %s: main (%s) had commits the primary (epoch %lld) does not (kept under "
				 "refs/kennis/diverged/); main is now %s",
				 gitdir, old, (long long)epoch, hex);
	} else {
		locks_writer_end();
		log_error("replication: %s: main (%s) and the primary's (%s) have diverged at epoch %lld; left alone", gitdir,
			  old, hex, (long long)epoch);
		rc = KN_ECONFLICT;
		goto done;
	}
	locks_writer_end();
	if (rc < 0) {
		store_log_git_error("move main", gitdir);
		rc = KN_EGIT;
		goto done;
	}
	set_repo_epoch(repo, epoch, gitdir);
	rc = 1;
done:
	git_reference_free(ref);
	git_repository_free(repo);
	return rc;
}

/* Fetch main of `space` from the node at `base` into `ref` of the local repository; the
 * fetched commit into `got`. 0, or KN_EIO (logged). */
static int
fetch_main(const char *gitdir, const char *base, const char *space, const char *ref, int timeout_ms, git_oid *got)
{
	char url[CLUSTER_URL_MAX + 64], spec[256];
	struct cluster_view v;
	struct arena *a = arena_new();
	struct buf err = BUF_INIT;
	git_repository *repo = NULL;
	repl_view(&v);
	repl_git_url(url, sizeof(url), base, space);
	snprintf(spec, sizeof(spec), "+refs/heads/main:%s", ref);
	const char *args[] = { "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", url, spec, NULL };
	int rc = gitrun(gitdir, args, repl_git_config(a, &v), timeout_ms, &err);
	if (rc != 0) {
		log_warn("replication: fetch of space %s from %s failed (git exit %d): %s", space, base, rc, buf_cstr(&err));
		rc = KN_EIO;
	} else if (open_repo(&repo, gitdir) < 0 || git_reference_name_to_id(got, repo, ref) < 0) {
		rc = KN_EIO;
	}
	git_repository_free(repo);
	buf_free(&err);
	arena_free(a);
	return rc;
}

static void
drop_ref(const char *gitdir, const char *ref)
{
	git_repository *repo = NULL;
	git_reference *r = NULL;
	if (open_repo(&repo, gitdir) == 0 && git_reference_lookup(&r, repo, ref) == 0)
		git_reference_delete(r);
	git_reference_free(r);
	git_repository_free(repo);
}

/* A space's repository, made empty (no first commit: its history comes from the primary)
 * when this replica does not have it yet. 0 or a KN_ code. */
static int
ensure_repo(const char *gitdir)
{
	struct stat sb;
	if (stat(gitdir, &sb) == 0)
		return 0;
	int rc = store_init_with(gitdir, repl.cfg->self_exe, NULL, 0, NULL);
	if (rc == KN_EEXISTS)
		return 0;
	if (rc == 0)
		log_info("replication: made %s to receive its space from the primary", gitdir);
	else
		log_error("replication: cannot make %s: %s", gitdir, kn_strerror(rc));
	return rc;
}

/* ---- start-up ---- */

int
replica_startup(const struct config *cfg, struct db *state)
{
	struct cluster_view v;
	repl.cfg = cfg;
	if (db_kind(state) != DB_POSTGRES) {
		if (cfg->replica_of) {
			fprintf(stderr, "kennis: --replica-of needs the state database the primary uses (--db postgresql://...):\n"
					"accounts, sessions, spaces and the outbox are shared there\n");
			return -1;
		}
		atomic_store(&repl.role, NODE_SINGLE);
		return 0;
	}
	if (cluster_node_id(cfg->data_dir, 1, repl.id) < 0) {
		fprintf(stderr, "kennis: cannot read or make %s/node-id\n", cfg->data_dir);
		return -1;
	}
	int rc = cluster_read(state, &v);
	if (rc == KN_EIO) {
		fprintf(stderr, "kennis: cannot read which node is the primary from the state database\n");
		return -1;
	}
	if (rc == 0 && strcmp(v.primary, repl.id) == 0) {
		if (cfg->replica_of)
			log_warn("node %s: the state database says this node is the primary (epoch %lld, promoted); "
				 "--replica-of %s is not followed",
				 repl.id, (long long)v.epoch, cfg->replica_of);
		atomic_store(&repl.role, NODE_PROMOTING);
	} else if (cfg->replica_of) {
		atomic_store(&repl.role, NODE_REPLICA);
		if (rc == 0 && strcmp(v.primary_url, cfg->replica_of) != 0)
			log_info("node %s: the primary is node %s at %s (epoch %lld), as the state database says; following it "
				 "rather than --replica-of %s",
				 repl.id, v.primary, v.primary_url, (long long)v.epoch, cfg->replica_of);
	} else if (rc == 0) {
		fprintf(stderr, "kennis: the state database names node %s at %s as the primary (epoch %lld); start this\n"
				"node with --replica-of %s, or make it the primary with: kennis promote --data %s\n",
			v.primary, v.primary_url, (long long)v.epoch, v.primary_url, cfg->data_dir);
		return -1;
	} else {
		atomic_store(&repl.role, NODE_PROMOTING); /* the first primary: claimed in replica_start */
	}
	if (rc == 0)
		repl.view = v;
	else if (cfg->replica_of)
		snprintf(repl.view.primary_url, sizeof(repl.view.primary_url), "%s", cfg->replica_of);
	/* A replica serves every space: make the repositories it lacks (filled by the primary). */
	if (replica_role() == NODE_REPLICA) {
		struct space *sps = NULL;
		size_t n = 0;
		if (space_list(state, &sps, &n) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			char gitdir[4200];
			space_gitdir(gitdir, sizeof(gitdir), cfg->data_dir, sps[i].name);
			if (ensure_repo(gitdir) < 0) {
				free(sps);
				fprintf(stderr, "kennis: cannot make the repository of space %s\n", sps[i].name);
				return -1;
			}
		}
		free(sps);
	}
	return 0;
}

/* ---- the node thread ---- */

/* The heads of every space as JSON {"space": "hex"} (caller frees). */
static char *
heads_json(struct db *db)
{
	struct space *sps = NULL;
	size_t n = 0;
	json_t *o = json_object();
	if (space_list(db, &sps, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			char gitdir[4200], hex[GIT_OID_HEXSZ + 1];
			git_oid h;
			space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, sps[i].name);
			if (repl_head(gitdir, &h) == 0)
				json_object_set_new(o, sps[i].name, json_string(git_oid_tostr(hex, sizeof(hex), &h)));
		}
	}
	free(sps);
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static void
heartbeat(struct db *db, int64_t now)
{
	static int64_t started;
	struct cluster_view v;
	char *heads = heads_json(db);
	if (!started)
		started = now;
	repl_view(&v);
	struct cluster_node n = { .epoch = v.epoch, .started = started, .seen = now, .heads = heads };
	memcpy(n.id, repl.id, sizeof(n.id));
	snprintf(n.url, sizeof(n.url), "%s", repl.url);
	snprintf(n.role, sizeof(n.role), "%s", role_word(replica_role()));
	if (cluster_heartbeat(db, &n) < 0)
		log_warn("node %s: heartbeat not written", repl.id);
	free(heads);
}

/* Does `gitdir` hold `want` in the history of its main? */
static int
holds(const char *gitdir, const git_oid *want)
{
	git_repository *repo = NULL;
	git_oid head;
	int yes = 0;
	if (git_repository_open_ext(&repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) < 0)
		return 0;
	if (git_reference_name_to_id(&head, repo, STORE_BRANCH) == 0)
		yes = git_oid_equal(&head, want) || git_graph_descendant_of(repo, &head, want) == 1;
	git_repository_free(repo);
	git_error_clear();
	return yes;
}

/* Bring space `name` up to the primary at `base`: fetch, move main, index. */
static void
catch_up_space(const char *name, const char *base, int64_t epoch)
{
	char gitdir[4200];
	git_oid got;
	space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, name);
	if (ensure_repo(gitdir) < 0 || fetch_main(gitdir, base, name, "refs/kennis/upstream", REPL_GIT_TIMEOUT, &got) < 0)
		return;
	if (move_main(gitdir, &got, epoch, "kennis: caught up with the primary") == 1) {
		char hex[GIT_OID_HEXSZ + 1];
		log_info("replication: space %s caught up with the primary: main is %s", name, git_oid_tostr(hex, sizeof(hex), &got));
		if (index_update(repl.cfg->data_dir, name, gitdir) < 0)
			log_warn("replication: index of space %s not caught up now; the next request does it", name);
	}
}

/* A replica's look at the primary: every space whose main it lacks (by the primary's
 * heartbeat), or every space when `all`, is fetched. */
static void
catch_up(struct db *db, int all)
{
	struct cluster_view v;
	struct cluster_node pn;
	char heads[65536];
	struct space *sps = NULL;
	size_t n = 0;
	json_t *ph = NULL;
	repl_view(&v);
	if (!v.primary_url[0] || space_list(db, &sps, &n) < 0)
		return;
	if (!all && v.primary[0] && cluster_node_get(db, v.primary, &pn, heads, sizeof(heads)) == 0)
		ph = json_loads(heads, 0, NULL);
	for (size_t i = 0; i < n; i++) {
		char gitdir[4200];
		git_oid want;
		space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, sps[i].name);
		if (ensure_repo(gitdir) < 0) /* a new space: ready before its first push */
			continue;
		if (!all) {
			const char *hex = ph ? json_string_value(json_object_get(ph, sps[i].name)) : NULL;
			if (!hex || git_oid_fromstr(&want, hex) < 0 || holds(gitdir, &want))
				continue;
		}
		catch_up_space(sps[i].name, v.primary_url, v.epoch);
	}
	json_decref(ph);
	free(sps);
}

struct peers {
	struct cluster_node v[64];
	size_t n;
	int64_t now;
};

static int
collect_peer(const struct cluster_node *n, void *payload)
{
	struct peers *p = payload;
	if (strcmp(n->id, repl.id) != 0 && p->now - n->seen <= PEER_RECENT && p->n < 64) {
		p->v[p->n] = *n;
		p->v[p->n].heads = NULL;
		p->n++;
	}
	return 0;
}

/* Becoming the primary: first take from every node heard from lately what it has beyond
 * this node's main (an acknowledged write is on --sync-replicas of them), so that nothing
 * acknowledged by the last primary is lost. Forward only; a peer that does not answer is
 * skipped (logged). */
static void
catch_up_from_peers(struct db *db)
{
	static struct peers p;
	struct space *sps = NULL;
	size_t n = 0;
	int failed[64] = { 0 };
	p.n = 0;
	p.now = (int64_t)time(NULL);
	if (cluster_nodes(db, collect_peer, &p) < 0 || space_list(db, &sps, &n) < 0) {
		log_error("promotion: cannot list the other nodes or the spaces; not taking their commits");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char gitdir[4200], ref[128], hex[GIT_OID_HEXSZ + 1];
		git_oid best, got;
		space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, sps[i].name);
		if (ensure_repo(gitdir) < 0)
			continue;
		int have = repl_head(gitdir, &best) == 0;
		const char *from = NULL;
		for (size_t j = 0; j < p.n; j++) {
			if (failed[j])
				continue;
			snprintf(ref, sizeof(ref), "refs/kennis/peer/%s", p.v[j].id);
			if (fetch_main(gitdir, p.v[j].url, sps[i].name, ref, REPL_PEER_TIMEOUT, &got) < 0) {
				failed[j] = 1;
				log_warn("promotion: node %s (%s) did not answer; what only it has is not taken", p.v[j].id,
					 p.v[j].url);
				continue;
			}
			git_repository *repo = NULL;
			if (open_repo(&repo, gitdir) == 0 &&
			    (!have || (!git_oid_equal(&got, &best) && git_graph_descendant_of(repo, &got, &best) == 1))) {
				best = got;
				have = 1;
				from = p.v[j].id;
			}
			git_repository_free(repo);
			drop_ref(gitdir, ref);
		}
		if (from && move_main(gitdir, &best, 0, "kennis: taken from a peer at promotion") == 1) {
			log_info("promotion: space %s: main is now %s, from node %s", sps[i].name,
				 git_oid_tostr(hex, sizeof(hex), &best), from);
			index_update(repl.cfg->data_dir, sps[i].name, gitdir);
		}
	}
	free(sps);
}

/* Every repository's main now follows this primary's epoch (so a later primary may
 * rewrite what this one leaves unsent). */
static void
mark_epoch(struct db *db, int64_t epoch)
{
	struct space *sps = NULL;
	size_t n = 0;
	if (space_list(db, &sps, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char gitdir[4200];
		git_repository *repo = NULL;
		space_gitdir(gitdir, sizeof(gitdir), repl.cfg->data_dir, sps[i].name);
		if (open_repo(&repo, gitdir) == 0)
			set_repo_epoch(repo, epoch, gitdir);
		git_repository_free(repo);
	}
	free(sps);
}

static void
become_primary(struct db *db, const struct cluster_view *v)
{
	log_warn("node %s: becoming the primary (epoch %lld): taking what the other nodes have first", repl.id,
		 (long long)v->epoch);
	atomic_store(&repl.role, NODE_PROMOTING);
	catch_up_from_peers(db);
	mark_epoch(db, v->epoch);
	if (strcmp(v->primary_url, repl.url) != 0)
		cluster_set_primary_url(db, repl.id, repl.url);
	atomic_store(&repl.role, NODE_PRIMARY);
	if (have_fanout && !fanout_on && fanout_start(&fanout_cfg) == 0)
		fanout_on = 1;
	repl_send_refresh(db, (int64_t)time(NULL));
	log_warn("node %s: the primary now (epoch %lld), at %s", repl.id, (long long)v->epoch, repl.url);
}

static void
become_replica(const struct cluster_view *v)
{
	int was = replica_role();
	atomic_store(&repl.role, NODE_REPLICA);
	repl_send_stop_all();
	if (fanout_on) {
		fanout_stop();
		fanout_on = 0;
	}
	if (was == NODE_PRIMARY || was == NODE_PROMOTING)
		log_warn("node %s: node %s at %s is the primary now (epoch %lld); this node follows it and forwards writes",
			 repl.id, v->primary, v->primary_url, (long long)v->epoch);
}

static void
idle(int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&repl.mu);
	while (!repl.stopping && !pokes && pthread_cond_timedwait(&repl.cond, &repl.mu, &until) != ETIMEDOUT)
		;
	pokes = 0;
	pthread_mutex_unlock(&repl.mu);
}

static int
stopping(void)
{
	pthread_mutex_lock(&repl.mu);
	int s = repl.stopping;
	pthread_mutex_unlock(&repl.mu);
	return s;
}

/* Read the cluster row (claiming it when there is none and this node is to be the first
 * primary), and act on a change of primary. 0 or KN_EIO. */
static int
follow_cluster(struct db *db)
{
	struct cluster_view v;
	int rc = cluster_read(db, &v);
	if (rc == KN_ENOTFOUND && replica_role() != NODE_REPLICA)
		rc = cluster_claim(db, repl.id, repl.url, &v);
	if (rc == KN_ENOTFOUND)
		return 0; /* a replica that came first: it follows --replica-of until a primary registers */
	if (rc < 0)
		return KN_EIO;
	pthread_mutex_lock(&repl.mu);
	repl.view = v;
	pthread_mutex_unlock(&repl.mu);
	int primary = strcmp(v.primary, repl.id) == 0;
	if (primary && replica_role() != NODE_PRIMARY)
		become_primary(db, &v);
	else if (!primary && replica_role() != NODE_REPLICA)
		become_replica(&v);
	return 0;
}

static void *
node_main(void *arg)
{
	struct db *db = arg;
	int64_t last_metrics = 0, last_full = 0;
	while (!stopping()) {
		int64_t now = (int64_t)time(NULL);
		if (!db && state_open(&db, repl.cfg->data_dir, repl.cfg->db_url) < 0) {
			log_error("node %s: the state database does not open; trying again", repl.id);
			idle(2000);
			continue;
		}
		if (follow_cluster(db) < 0) {
			log_error("node %s: cannot read the cluster row; trying again", repl.id);
			db_close(db);
			db = NULL;
			idle(2000);
			continue;
		}
		if (replica_role() == NODE_PRIMARY) {
			repl_send_refresh(db, now);
			if (now - last_metrics >= METRICS_EVERY) {
				struct buf line = BUF_INIT;
				last_metrics = now;
				repl_metrics(&line);
				log_info("%s", buf_cstr(&line));
				buf_free(&line);
			}
		} else if (replica_role() == NODE_REPLICA) {
			int all = now - last_full >= FULL_FETCH_EVERY;
			if (all)
				last_full = now;
			catch_up(db, all);
		}
		heartbeat(db, now);
		idle(REPLICA_HEARTBEAT * 1000);
	}
	db_close(db);
	return NULL;
}

/* Look now (a replica that needs a commit someone just wrote). */
static void
node_wake(void)
{
	pthread_mutex_lock(&repl.mu);
	pokes = 1;
	pthread_cond_broadcast(&repl.cond);
	pthread_mutex_unlock(&repl.mu);
}

void
replica_start(const struct config *cfg, const char *listen_url, const struct fanout_settings *fs)
{
	repl.cfg = cfg;
	if (replica_role() == NODE_SINGLE) {
		if (fanout_start(fs) < 0)
			log_error("notifications do not run: webhooks and mails wait in the queue");
		return;
	}
	snprintf(repl.url, sizeof(repl.url), "%s", cfg->node_url ? cfg->node_url : listen_url);
	fanout_cfg = *fs;
	have_fanout = 1;
	/* The first look is made before serving: a primary takes writes from its first
	 * request on (or refuses them while it takes what its peers have). */
	struct db *db = NULL;
	if (state_open(&db, cfg->data_dir, cfg->db_url) == 0) {
		if (follow_cluster(db) < 0)
			log_error("node %s: cannot read the cluster row at start", repl.id);
		heartbeat(db, (int64_t)time(NULL));
	}
	log_info("node %s: %s at %s (epoch %lld; the primary is %s)", repl.id, role_word(replica_role()), repl.url,
		 (long long)repl.view.epoch, repl.view.primary_url[0] ? repl.view.primary_url : "not known yet");
	if (pthread_create(&node_thread, NULL, node_main, db) != 0) {
		log_error("node %s: cannot start its thread: %s", repl.id, strerror(errno));
		db_close(db);
		return;
	}
	node_running = 1;
}

void
replica_stop(void)
{
	if (!node_running) {
		if (replica_role() == NODE_SINGLE)
			fanout_stop();
		return;
	}
	pthread_mutex_lock(&repl.mu);
	repl.stopping = 1;
	pthread_cond_broadcast(&repl.cond);
	pthread_mutex_unlock(&repl.mu);
	pthread_join(node_thread, NULL);
	node_running = 0;
	repl_send_stop_all();
	if (fanout_on)
		fanout_stop();
	fanout_on = 0;
}

/* ---- requests ---- */

/* Does `tok` match the replication token? Re-read from the database once on a mismatch
 * (the node may have started before the primary made it). */
static int
token_ok(struct req *r, const char *tok)
{
	struct cluster_view v;
	for (int i = 0; i < 2; i++) {
		repl_view(&v);
		if (v.token[0] && strlen(tok) == strlen(v.token) && sodium_memcmp(tok, v.token, strlen(tok)) == 0)
			return 1;
		struct db *db = i == 0 ? access_db(r->cfg) : NULL;
		if (!db || cluster_read(db, &v) < 0)
			return 0;
		pthread_mutex_lock(&repl.mu);
		repl.view = v;
		pthread_mutex_unlock(&repl.mu);
	}
	return 0;
}

int
replica_is_principal(const struct user *u)
{
	return u == &principal;
}

int
replica_git_auth(struct req *r, const char *space, int push, int *may_write)
{
	const char *tok = req_header(r, "X-Kennis-Replication");
	*may_write = 0;
	if (!tok || replica_role() == NODE_SINGLE)
		return 0;
	if (!token_ok(r, tok)) {
		log_warn("git %s %s from %s: a wrong replication token, refused", r->method, r->path, r->remote);
		return KN_EAUTH;
	}
	r->user = &principal;
	r->role = ROLE_ADMIN;
	if (!push)
		return 1;
	/* Pushes: only from the primary of the current epoch, asked of the database now, so a
	 * primary that was replaced cannot change what a replica holds. */
	const char *e = req_header(r, "X-Kennis-Epoch"), *node = req_header(r, "X-Kennis-Node");
	struct cluster_view v;
	struct db *db = access_db(r->cfg);
	if (!db || cluster_read(db, &v) < 0)
		return KN_EBUSY;
	if (!e || !node || strtoll(e, NULL, 10) != v.epoch || strcmp(node, v.primary) != 0 || strcmp(v.primary, repl.id) == 0) {
		log_warn("git push %s from node %s (epoch %s): refused: the primary is node %s, epoch %lld", r->path,
			 node ? node : "?", e ? e : "?", v.primary, (long long)v.epoch);
		return KN_EFORBIDDEN;
	}
	struct space sp;
	char gitdir[4200];
	if (space_get(db, space, &sp) < 0) {
		log_warn("git push %s from the primary: no space %s in the registry", r->path, space);
		return KN_ENOTFOUND;
	}
	space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, space);
	if (ensure_repo(gitdir) < 0)
		return KN_EIO;
	*may_write = 1;
	return 1;
}

int
replica_receive_rules(const char *gitdir, int64_t epoch)
{
	git_repository *repo = NULL;
	if (open_repo(&repo, gitdir) < 0)
		return 0;
	int rewrite = epoch > cluster_repo_epoch(repo);
	git_repository_free(repo);
	return rewrite;
}

void
replica_trust_forwarded(struct req *r)
{
	const char *tok = req_header(r, "X-Kennis-Forwarded"), *client = req_header(r, "X-Kennis-Client");
	if (!tok || !client || replica_role() == NODE_SINGLE)
		return;
	size_t n = strlen(client);
	if (n == 0 || n > 45 || strspn(client, "0123456789abcdefABCDEF:.") != n) {
		log_warn("%s %s from %s: a forwarded request names a bad client address; keeping the node's", r->method,
			 r->path, r->remote);
		return;
	}
	if (!token_ok(r, tok)) {
		log_warn("%s %s from %s: a wrong replication token, not trusted", r->method, r->path, r->remote);
		return;
	}
	r->remote = arena_strdup(r->a, client);
}

int
replica_forward_target(char *url, size_t un, char *token, size_t tn)
{
	struct cluster_view v;
	repl_view(&v);
	snprintf(url, un, "%s", v.primary_url);
	snprintf(token, tn, "%s", v.token);
	return v.primary_url[0] != 0;
}

/* The read-your-writes cookie: SPACE~HEX of the reader's last write, when well formed. */
static int
seen_cookie(struct req *r, char *space, size_t sn, git_oid *want)
{
	const char *ck = req_header(r, "Cookie"), *p = ck;
	size_t klen = strlen(REPLICA_SEEN_COOKIE);
	while (p && (p = strstr(p, REPLICA_SEEN_COOKIE "=")) != NULL) {
		if (p != ck && p[-1] != ' ' && p[-1] != ';') {
			p += klen;
			continue;
		}
		const char *v = p + klen + 1, *tilde = strchr(v, '~');
		size_t vlen = strcspn(v, ";");
		if (!tilde || tilde > v + vlen || (size_t)(tilde - v) >= sn || v + vlen - tilde - 1 != GIT_OID_HEXSZ)
			return 0;
		snprintf(space, sn, "%.*s", (int)(tilde - v), v);
		char hex[GIT_OID_HEXSZ + 1];
		snprintf(hex, sizeof(hex), "%.*s", GIT_OID_HEXSZ, tilde + 1);
		return space_name_check(space, 1) == 0 && strspn(hex, "0123456789abcdef") == GIT_OID_HEXSZ &&
		       git_oid_fromstr(want, hex) == 0;
	}
	return 0;
}

/* A reader who just wrote (the cookie) and a replica that lacks the write: wait for it a
 * little (a push from the primary is usually on its way), asking for a fetch after a
 * moment; 1 when it is still not here (the read goes to the primary). */
static int
read_barrier(struct req *r)
{
	char space[SPACE_NAME_MAX + 1], gitdir[4200];
	git_oid want;
	if (!seen_cookie(r, space, sizeof(space), &want))
		return 0;
	space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, space);
	if (access(gitdir, F_OK) != 0)
		return 0;
	int64_t t0 = repl_now_ms(), wait = r->cfg->read_wait_ms ? r->cfg->read_wait_ms : 1000;
	int woke = 0;
	while (!holds(gitdir, &want)) {
		int64_t spent = repl_now_ms() - t0;
		if (spent >= wait) {
			log_info("%s %s from %s: this replica lacks the reader's write %s/%.12s after %lld ms; asking the primary",
				 r->method, r->path, r->remote, space, git_oid_tostr_s(&want), (long long)spent);
			return 1;
		}
		if (spent >= 100 && !woke) {
			node_wake();
			woke = 1;
		}
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
replica_forwards(struct req *r, int git, const char *raw_query)
{
	int role = replica_role();
	if (role == NODE_SINGLE || role == NODE_PRIMARY || req_header(r, "X-Kennis-Replication"))
		return 0;
	int write;
	if (git) {
		const char *service = NULL;
		githttp_service(raw_query, r->a, &service); /* a bad one is refused when served here */
		write = (service && strcmp(service, "git-receive-pack") == 0) || strstr(r->path, "/git-receive-pack");
	} else {
		write = strcmp(r->method, "GET") != 0;
	}
	if (write && req_header(r, "X-Kennis-Forwarded")) {
		/* Forwarded here by a node that takes this one for the primary: it will know
		 * better within a second. Never forwarded twice (no loops). */
		log_warn("%s %s from %s: forwarded to this node, which is not the primary; refused", r->method, r->path,
			 r->remote);
		return KN_EBUSY;
	}
	if (write)
		return role == NODE_PROMOTING ? KN_EBUSY : 1;
	if (git || role != NODE_REPLICA || strncmp(r->path, "/static/", 8) == 0)
		return 0;
	return read_barrier(r);
}

/* ---- writes on the primary ---- */

void
replica_write_begin(struct replica_write *w, struct req *r, const char *path)
{
	char name[SPACE_NAME_MAX + 1];
	const char *rest;
	w->on = 0;
	if (replica_role() != NODE_PRIMARY || strcmp(r->method, "GET") == 0)
		return;
	int sp = router_space_path(path, name, sizeof(name), &rest);
	if (sp < 0 || (sp > 0 && space_name_check(name, 1) < 0))
		return;
	space_gitdir(w->gitdir, sizeof(w->gitdir), r->cfg->data_dir, sp > 0 ? name : SPACE_WIKI);
	w->had = repl_head(w->gitdir, &w->before) == 0;
	w->on = 1;
}

/* A change was made: send it on and wait for the replicas. 0, or KN_EBUSY with `why`. */
static int
after_change(const struct config *cfg, struct buf *why)
{
	unsigned have = 0;
	uint64_t g = repl_changed();
	if (cfg->sync_replicas == 0)
		return 0;
	unsigned timeout = cfg->sync_timeout_ms ? cfg->sync_timeout_ms : 5000;
	int64_t t0 = repl_now_ms();
	if (repl_sync_wait(g, cfg->sync_replicas, timeout, &have) < 0) {
		buf_printf(why, "only %u of the %u replicas asked for (--sync-replicas) hold it after %lld ms", have,
			   cfg->sync_replicas, (long long)(repl_now_ms() - t0));
		return KN_EBUSY;
	}
	/* Still the primary? A node promoted meanwhile took its commits from the replicas
	 * before this check or cannot have been promoted yet: only then is it acknowledged. */
	struct cluster_view v;
	struct db *db = access_db(cfg);
	struct cluster_view mine;
	repl_view(&mine);
	if (!db || cluster_read(db, &v) < 0 || strcmp(v.primary, repl.id) != 0 || v.epoch != mine.epoch) {
		buf_printf(why, "this node is no longer the primary (or cannot ask the state database whether it is)");
		return KN_EBUSY;
	}
	return 0;
}

/* Did the write move main? The space and the new head into the cookie value. */
static int
moved(struct replica_write *w, char *cookie, size_t n)
{
	git_oid after;
	char hex[GIT_OID_HEXSZ + 1];
	if (!w->on || repl_head(w->gitdir, &after) < 0 || (w->had && git_oid_equal(&after, &w->before)))
		return 0;
	const char *base = strrchr(w->gitdir, '/');
	base = base ? base + 1 : w->gitdir;
	snprintf(cookie, n, "%.*s~%s", (int)(strlen(base) - 4), base, git_oid_tostr(hex, sizeof(hex), &after));
	return 1;
}

void
replica_write_end(struct replica_write *w, struct req *r)
{
	char seen[SPACE_NAME_MAX + GIT_OID_HEXSZ + 8];
	if (!w->on || r->status >= 400 || !moved(w, seen, sizeof(seen)))
		return;
	const char *cookie = arena_printf(r->a, "%s=%s; Path=/; Max-Age=60; HttpOnly; SameSite=Lax", REPLICA_SEEN_COOKIE, seen);
	resp_header(r, "Set-Cookie", cookie);
	struct buf why = BUF_INIT;
	if (after_change(r->cfg, &why) == 0) {
		buf_free(&why);
		return;
	}
	log_warn("%s %s from %s: saved (%s), but %s", r->method, r->path, r->remote, seen, buf_cstr(&why));
	if (!r->cfg->sync_refuse) {
		resp_header(r, "X-Kennis-Replication", "unconfirmed");
		buf_free(&why);
		return;
	}
	const char *detail = arena_printf(r->a, "Your change was saved on this server, but %s: it is not confirmed, and "
						"could be lost if this server failed now. Look at the page before you "
						"make the change again.", buf_cstr(&why));
	buf_free(&why);
	r->own_page = 0;
	error_page(r, KN_EBUSY, detail);
	resp_header(r, "Set-Cookie", cookie);
}

int
replica_push_end(struct replica_write *w)
{
	char seen[SPACE_NAME_MAX + GIT_OID_HEXSZ + 8];
	if (!w->on || !moved(w, seen, sizeof(seen)))
		return 0;
	struct buf why = BUF_INIT;
	int rc = after_change(repl.cfg, &why);
	if (rc < 0)
		log_warn("push (%s): %s%s", seen, buf_cstr(&why),
			 repl.cfg->sync_refuse ? "; the push's answer is cut, so git reports a failure" : "");
	buf_free(&why);
	return rc < 0 && repl.cfg->sync_refuse ? KN_EBUSY : 0;
}
