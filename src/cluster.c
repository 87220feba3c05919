/* cluster.c: the primary, the replication token and the nodes' heartbeats in the state database. */
#include "cluster.h"

#include <git2.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE cluster(id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL, primary_node TEXT NOT NULL,"
	  "  primary_url TEXT NOT NULL, token TEXT NOT NULL, changed INTEGER NOT NULL);"
	  "CREATE TABLE nodes(id TEXT PRIMARY KEY, url TEXT NOT NULL, role TEXT NOT NULL, epoch INTEGER NOT NULL,"
	  "  started INTEGER NOT NULL, seen INTEGER NOT NULL, heads TEXT NOT NULL);",
	  "CREATE TABLE cluster(id INTEGER PRIMARY KEY CHECK (id = 1), epoch BIGINT NOT NULL, primary_node TEXT NOT NULL,"
	  "  primary_url TEXT NOT NULL, token TEXT NOT NULL, changed BIGINT NOT NULL);"
	  "CREATE TABLE nodes(id TEXT PRIMARY KEY, url TEXT NOT NULL, role TEXT NOT NULL, epoch BIGINT NOT NULL,"
	  "  started BIGINT NOT NULL, seen BIGINT NOT NULL, heads TEXT NOT NULL);" },
};

int
cluster_db_init(struct db *db)
{
	return db_migrate(db, "cluster", schema, sizeof(schema) / sizeof(schema[0]));
}

static int
is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

int
cluster_node_id(const char *data_dir, int create, char *out)
{
	char path[4200], buf[64];
	snprintf(path, sizeof(path), "%s/node-id", data_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		int ok = fgets(buf, sizeof(buf), f) != NULL;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (ok && is_hex(buf, CLUSTER_ID_LEN)) {
			memcpy(out, buf, CLUSTER_ID_LEN + 1);
			return 0;
		}
		log_error("%s: not a node id (want %d hex digits); move it aside to get a new one", path, CLUSTER_ID_LEN);
		return KN_EIO;
	}
	if (!create)
		return KN_ENOTFOUND;
	unsigned char raw[CLUSTER_ID_LEN / 2];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, CLUSTER_ID_LEN + 1, raw, sizeof(raw));
	/* O_EXCL: two processes racing to make it end up with one id (the loser reads it). */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST)
		return cluster_node_id(data_dir, 0, out);
	if (fd < 0) {
		log_error("cannot create %s: %s", path, strerror(errno));
		return KN_EIO;
	}
	snprintf(buf, sizeof(buf), "%s\n", out);
	int bad = write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf) || fsync(fd) < 0;
	if (close(fd) < 0 || bad) {
		log_error("cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return KN_EIO;
	}
	return 0;
}

int
cluster_read(struct db *db, struct cluster_view *v)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db, "SELECT epoch, primary_node, primary_url, token, changed FROM cluster WHERE id = 1", "");
	if (rc == 0 && (rc = db_row(r)) == 1) {
		v->epoch = db_col_int(r, 0);
		snprintf(v->primary, sizeof(v->primary), "%s", db_col_text(r, 1));
		snprintf(v->primary_url, sizeof(v->primary_url), "%s", db_col_text(r, 2));
		snprintf(v->token, sizeof(v->token), "%s", db_col_text(r, 3));
		v->changed = db_col_int(r, 4);
		rc = 0;
	} else if (rc == 0) {
		rc = KN_ENOTFOUND;
	}
	db_res_free(r);
	return rc == KN_ENOTFOUND ? rc : rc < 0 ? KN_EIO : 0;
}

int
cluster_claim(struct db *db, const char *node, const char *url, struct cluster_view *v)
{
	unsigned char raw[CLUSTER_TOKEN_LEN / 2];
	char token[CLUSTER_TOKEN_LEN + 1];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	int rc = db_exec(db,
			 "INSERT INTO cluster(id, epoch, primary_node, primary_url, token, changed) VALUES(1, 1, $1, $2, $3, $4) "
			 "ON CONFLICT(id) DO NOTHING",
			 "sssi", node, url, token, (int64_t)time(NULL));
	sodium_memzero(token, sizeof(token));
	if (rc < 0)
		return KN_EIO;
	return cluster_read(db, v) == 0 ? 0 : KN_EIO;
}

int
cluster_promote(struct db *db, const char *node, const char *url, int64_t epoch, int64_t now, struct cluster_view *v)
{
	int rc = db_exec(db,
			 "UPDATE cluster SET epoch = epoch + 1, primary_node = $1, primary_url = $2, changed = $3 "
			 "WHERE id = 1 AND epoch = $4",
			 "ssii", node, url, now, epoch);
	if (rc < 0)
		return KN_EIO;
	if (rc == 0)
		return KN_ECONFLICT;
	return cluster_read(db, v) == 0 ? 0 : KN_EIO;
}

int
cluster_set_primary_url(struct db *db, const char *node, const char *url)
{
	return db_exec(db, "UPDATE cluster SET primary_url = $1 WHERE id = 1 AND primary_node = $2", "ss", url, node) < 0
		       ? KN_EIO
		       : 0;
}

int
cluster_heartbeat(struct db *db, const struct cluster_node *n)
{
	return db_exec(db,
		       "INSERT INTO nodes(id, url, role, epoch, started, seen, heads) VALUES($1, $2, $3, $4, $5, $6, $7) "
		       "ON CONFLICT(id) DO UPDATE SET url = excluded.url, role = excluded.role, epoch = excluded.epoch, "
		       "started = excluded.started, seen = excluded.seen, heads = excluded.heads",
		       "sssiiis", n->id, n->url, n->role, n->epoch, n->started, n->seen, n->heads ? n->heads : "{}") < 0
		       ? KN_EIO
		       : 0;
}

static void
fill_node(struct db_res *r, struct cluster_node *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", db_col_text(r, 0));
	snprintf(n->url, sizeof(n->url), "%s", db_col_text(r, 1));
	snprintf(n->role, sizeof(n->role), "%s", db_col_text(r, 2));
	n->epoch = db_col_int(r, 3);
	n->started = db_col_int(r, 4);
	n->seen = db_col_int(r, 5);
	n->heads = db_col_text(r, 6);
}

int
cluster_nodes(struct db *db, int (*cb)(const struct cluster_node *n, void *payload), void *payload)
{
	struct db_res *r = NULL;
	struct cluster_node n;
	int rc = db_query(&r, db, "SELECT id, url, role, epoch, started, seen, heads FROM nodes ORDER BY id", "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		fill_node(r, &n);
		rc = cb(&n, payload) != 0 ? 1 : 0;
	}
	db_res_free(r);
	return rc < 0 ? KN_EIO : 0;
}

int
cluster_node_get(struct db *db, const char *id, struct cluster_node *n, char *heads, size_t hn)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db, "SELECT id, url, role, epoch, started, seen, heads FROM nodes WHERE id = $1", "s", id);
	if (rc == 0 && (rc = db_row(r)) == 1) {
		fill_node(r, n);
		snprintf(heads, hn, "%s", n->heads ? n->heads : "{}");
		n->heads = heads;
		rc = 0;
	} else if (rc == 0) {
		rc = KN_ENOTFOUND;
	}
	db_res_free(r);
	return rc == KN_ENOTFOUND ? rc : rc < 0 ? KN_EIO : 0;
}

int
cluster_node_del(struct db *db, const char *id)
{
	return db_exec(db, "DELETE FROM nodes WHERE id = $1", "s", id) < 0 ? KN_EIO : 0;
}

int64_t
cluster_repo_epoch(git_repository *repo)
{
	git_config *cfg = NULL;
	int64_t e = 0;
	if (git_repository_config_snapshot(&cfg, repo) == 0) {
		if (git_config_get_int64(&e, cfg, "kennis.epoch") < 0)
			e = 0;
		git_config_free(cfg);
	}
	git_error_clear();
	return e;
}
