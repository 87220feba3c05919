/* ui_replicas.c: /admin/replicas: the nodes of the wiki, their heartbeats and how far each is behind the primary. */
#include "ui.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "repl.h"
#include "replica.h"

struct nodes_ctx {
	struct req *r;
	struct tctx *c;
	json_t *primary_heads;
	int64_t now;
};

static int
add_node(const struct cluster_node *n, void *payload)
{
	struct nodes_ctx *nc = payload;
	struct tctx *row = tadd(nc->c, "nodes");
	json_t *heads = json_loads(n->heads ? n->heads : "{}", 0, NULL);
	const char *key;
	json_t *val;
	int behind = 0, spaces = 0;
	tset(row, "id", n->id);
	tset(row, "url", n->url);
	tset(row, "role", n->role);
	tsetf(row, "epoch", "%lld", (long long)n->epoch);
	tsetf(row, "seen", "%lld", (long long)(nc->now - n->seen));
	if (nc->now - n->seen > REPLICA_LIVE)
		tset(row, "silent", "1");
	if (strcmp(n->id, repl.id) == 0)
		tset(row, "self", "1");
	/* A space is behind when the node's main is not the primary's (as both last said). */
	json_object_foreach(nc->primary_heads, key, val) {
		const char *mine = json_string_value(json_object_get(heads, key));
		spaces++;
		if (!mine || strcmp(mine, json_string_value(val)) != 0) {
			behind++;
			struct tctx *b = tadd(row, "behind_spaces");
			tset(b, "space", key);
			tset(b, "head", mine ? arena_strndup(nc->r->a, mine, 10) : "none");
		}
	}
	tsetf(row, "spaces", "%d", spaces);
	if (behind)
		tsetf(row, "behind", "%d", behind);
	json_decref(heads);
	return 0;
}

static void
add_target(const struct repl_target_info *t, void *payload)
{
	struct tctx *row = tadd(payload, "targets");
	tset(row, "id", t->id);
	tset(row, "url", t->url);
	tset(row, "state", t->live ? "live" : "silent");
	tsetf(row, "lag", "%lld", (long long)t->lag_ms);
	if (t->lag_count)
		tsetf(row, "lags", "%lld / %lld ms (last %lld)", (long long)t->lag_p50_ms, (long long)t->lag_p99_ms,
		      (long long)t->lag_count);
	tsetf(row, "last_push", "%lld", (long long)t->last_push_ms);
	tsetf(row, "pushes", "%lld", (long long)t->pushes);
	tsetf(row, "failures", "%lld", (long long)t->failures);
	tset(row, "error", t->last_error[0] ? t->last_error : NULL);
	tset(payload, "has_targets", "1");
}

int
ui_admin_replicas(struct req *r)
{
	struct buf line = BUF_INIT;
	struct cluster_view v;
	int role = replica_role();
	resp_header(r, "Cache-Control", "no-store");
	if (role != NODE_SINGLE)
		repl_metrics(&line);
	const char *format = req_query(r, "format");
	if (format && strcmp(format, "text") == 0) { /* the metrics line, for scripts and monitoring */
		r->content_type = "text/plain; charset=utf-8";
		buf_printf(&r->out, "%s\n", role == NODE_SINGLE ? "replication: off (one node)" : buf_cstr(&line));
		buf_free(&line);
		return 0;
	}
	struct tctx *c = ui_context(r, "Replicas");
	tset(c, "metrics", line.len ? buf_cstr(&line) : NULL);
	buf_free(&line);
	if (role == NODE_SINGLE)
		return ui_render(r, "replicas", c);
	tset(c, "cluster", "1");
	repl_view(&v);
	tset(c, "self_id", repl.id);
	tset(c, "self_url", repl.url);
	tset(c, "self_role", role == NODE_PRIMARY ? "primary" : role == NODE_PROMOTING ? "being promoted" : "replica");
	tsetf(c, "epoch", "%lld", (long long)v.epoch);
	tset(c, "primary_id", v.primary);
	tset(c, "primary_url", v.primary_url);
	struct db *db = access_db(r->cfg);
	struct cluster_node pn;
	char heads[65536];
	struct nodes_ctx nc = { r, c, NULL, (int64_t)time(NULL) };
	if (db && v.primary[0] && cluster_node_get(db, v.primary, &pn, heads, sizeof(heads)) == 0)
		nc.primary_heads = json_loads(heads, 0, NULL);
	if (!nc.primary_heads)
		nc.primary_heads = json_object();
	if (!db || cluster_nodes(db, add_node, &nc) < 0) {
		json_decref(nc.primary_heads);
		return KN_EIO;
	}
	json_decref(nc.primary_heads);
	if (role == NODE_PRIMARY)
		repl_send_each(add_target, c);
	return ui_render(r, "replicas", c);
}
