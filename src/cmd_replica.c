/* cmd_replica.c: `kennis promote` (a replica becomes the primary) and the data directory of a new replica. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "cmd.h"
#include "locks.h"
#include "state.h"
#include "store.h"

int
replica_init_dir(const char *dir, const char *self_exe, int verbose)
{
	char gitdir[PATH_MAX];
	struct stat sb;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "kennis: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	if (stat(gitdir, &sb) == 0) {
		if (verbose) {
			fprintf(stderr, "kennis: %s already exists: not touching it\n", gitdir);
			return -1;
		}
		return 0;
	}
	/* No starter commit: the replica's history is the primary's, from its first commit. */
	int rc = store_init_with(gitdir, self_exe, NULL, 0, NULL);
	if (rc < 0) {
		fprintf(stderr, "kennis: cannot create the replica's wiki.git in %s: %s\n", dir, kn_strerror(rc));
		return -1;
	}
	if (verbose)
		printf("kennis: created %s for a replica (serve it with: kennis serve --data %s --replica-of URL "
		       "--db postgresql://...)\n", gitdir, dir);
	return 0;
}

static const char promote_usage[] =
	"usage: kennis promote [--data DIR] [--db URL] [--wait SECONDS]\n"
	"\n"
	"Make the replica whose data directory is DIR the primary: the state database (PostgreSQL)\n"
	"records it with a new epoch, the replica's server takes from the other nodes whatever they\n"
	"have that it lacks and then takes writes, and the other nodes follow it. While the server\n"
	"runs, waits up to SECONDS (default 30) until it serves as the primary.\n";

/* Wait until the node's own heartbeat says it is the primary of `epoch`. */
static int
wait_primary(struct db *db, const char *id, int64_t epoch, int seconds)
{
	char heads[65536];
	struct cluster_node n;
	for (int i = 0; i < seconds * 10; i++) {
		if (cluster_node_get(db, id, &n, heads, sizeof(heads)) == 0 && strcmp(n.role, "primary") == 0 &&
		    n.epoch == epoch)
			return 0;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
cmd_promote(int argc, char **argv)
{
	const char *data = "data", *db_url = NULL;
	char real[PATH_MAX], id[CLUSTER_ID_LEN + 1], heads[65536];
	int wait = 30;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(promote_usage, stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fputs(promote_usage, stderr);
			return 2;
		}
		if (strcmp(argv[i], "--data") == 0)
			data = argv[++i];
		else if (strcmp(argv[i], "--db") == 0)
			db_url = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0 && atoi(argv[i + 1]) >= 0 && atoi(argv[i + 1]) <= 3600)
			wait = atoi(argv[++i]);
		else {
			fputs(promote_usage, stderr);
			return 2;
		}
	}
	if (!realpath(data, real) || cluster_node_id(real, 0, id) < 0) {
		fprintf(stderr, "kennis: %s has never served as a node (no node-id): start it with kennis serve "
				"--replica-of first\n", data);
		return 1;
	}
	struct db *db = NULL;
	struct cluster_view v, nv;
	struct cluster_node me;
	if (state_open(&db, real, db_url) < 0 || db_kind(db) != DB_POSTGRES) {
		fprintf(stderr, "kennis: promote needs the nodes' shared state database (--db postgresql://..., "
				"KENNIS_DB, or the db line of kennis.conf)\n");
		db_close(db);
		return 1;
	}
	int rc = 1;
	if (cluster_read(db, &v) < 0) {
		fprintf(stderr, "kennis: the state database names no primary yet: start one with kennis serve\n");
		goto done;
	}
	if (strcmp(v.primary, id) == 0) {
		printf("kennis: node %s is the primary already (epoch %lld)\n", id, (long long)v.epoch);
		rc = 0;
		goto done;
	}
	if (cluster_node_get(db, id, &me, heads, sizeof(heads)) < 0) {
		fprintf(stderr, "kennis: node %s has no heartbeat in the state database: start it first\n", id);
		goto done;
	}
	int r = cluster_promote(db, id, me.url, v.epoch, (int64_t)time(NULL), &nv);
	if (r == KN_ECONFLICT) {
		fprintf(stderr, "kennis: the primary changed meanwhile (another promotion?): not promoted; look again\n");
		goto done;
	}
	if (r < 0) {
		fprintf(stderr, "kennis: cannot write the new primary into the state database\n");
		goto done;
	}
	printf("kennis: node %s (%s) is the primary from epoch %lld on; it was node %s (%s)\n", id, me.url,
	       (long long)nv.epoch, v.primary, v.primary_url);
	fflush(stdout);
	if (locks_hold_data_dir(real) != KN_ELOCKED) {
		printf("kennis: its server is not running: start it with kennis serve --data %s; it takes what the other "
		       "nodes have before it takes writes\n", data);
		rc = 0;
		goto done;
	}
	if (wait_primary(db, id, nv.epoch, wait) < 0) {
		fprintf(stderr, "kennis: its server has not taken over within %d s; see its log\n", wait);
		goto done;
	}
	printf("kennis: it serves as the primary now; the other nodes follow it\n");
	rc = 0;
done:
	db_close(db);
	return rc;
}
