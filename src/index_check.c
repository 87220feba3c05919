/* index_check.c: `kennis check` (does the index match main, is the repository sound) and `kennis reindex`. */
#include "index_db.h"

#include <stdlib.h>


/* A page file: its path and blob id (hex). */
struct page_row {
	char *path;
	char blob[GIT_OID_HEXSZ + 1];
};

struct page_rows {
	struct page_row *v;
	size_t n, cap;
};

static void
rows_add(struct page_rows *r, const char *path, const char *blob)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 256;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n].path = xstrdup(path);
	snprintf(r->v[r->n].blob, sizeof(r->v[r->n].blob), "%s", blob);
	r->n++;
}

static void
rows_free(struct page_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
}

/* Byte order, like SQLite's BINARY collation of the pages table. */
static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct page_row *)a)->path, ((const struct page_row *)b)->path);
}

static int
collect_tree_page(const char *root, const git_tree_entry *e, void *payload)
{
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !index_is_file_mode((uint16_t)git_tree_entry_filemode(e)))
		return 0;
	struct buf path = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	buf_puts(&path, root);
	buf_puts(&path, git_tree_entry_name(e));
	git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
	if (index_is_page(path.ptr))
		rows_add(payload, path.ptr, hex);
	buf_free(&path);
	return 0;
}

/* Compare the pages of space `space` (id) with main's tree; one line per difference. */
static int
check_pages(struct index *ix, const char *space, sqlite3_int64 id, git_tree *tree, FILE *report, int *bad)
{
	struct page_rows want = { 0 }, have = { 0 };
	sqlite3_stmt *s = NULL;
	int rc = 0, src;
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, collect_tree_page, &want) < 0) {
		store_log_git_error("tree walk", "check");
		rc = KN_EGIT;
		goto done;
	}
	if (want.n)
		qsort(want.v, want.n, sizeof(*want.v), cmp_row);
	if ((src = sqlite3_prepare_v2(ix->db, "SELECT path, blob FROM pages WHERE space = ?1 ORDER BY path", -1, &s, NULL)) !=
	    SQLITE_OK) {
		rc = index_sql_fail(ix, src, "list pages");
		goto done;
	}
	sqlite3_bind_int64(s, 1, id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW)
		rows_add(&have, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
	if (src != SQLITE_DONE) {
		rc = index_sql_fail(ix, src, "list pages");
		goto done;
	}
	for (size_t i = 0, k = 0; i < want.n || k < have.n;) {
		int c = i == want.n ? 1 : k == have.n ? -1 : strcmp(want.v[i].path, have.v[k].path);
		if (c < 0)
			fprintf(report, "index: %s: page %s is in main but not in the index\n", space, want.v[i++].path);
		else if (c > 0)
			fprintf(report, "index: %s: page %s is in the index but not in main\n", space, have.v[k++].path);
		else if (strcmp(want.v[i].blob, have.v[k].blob) != 0)
			fprintf(report, "index: %s: page %s is indexed at blob %.12s, main has %.12s\n", space, want.v[i].path,
				have.v[k].blob, want.v[i].blob);
		if (c == 0 && strcmp(want.v[i++].blob, have.v[k++].blob) == 0)
			continue;
		(*bad)++;
	}
done:
	sqlite3_finalize(s);
	rows_free(&want);
	rows_free(&have);
	return rc;
}

struct blob_check {
	git_odb *odb;
	FILE *report;
	int *bad;
};

/* Read every blob of the tree: libgit2 verifies each object's hash as it reads it. */
static int
check_blob(const char *root, const git_tree_entry *e, void *payload)
{
	struct blob_check *bc = payload;
	git_odb_object *obj = NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB && git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	if (git_odb_read(&obj, bc->odb, git_tree_entry_id(e)) < 0) {
		const git_error *err = git_error_last();
		fprintf(bc->report, "repo: %s%s: %s\n", root, git_tree_entry_name(e), err ? err->message : "unreadable");
		(*bc->bad)++;
	}
	git_odb_object_free(obj);
	return 0;
}

/* Every commit of main's history readable with its tree; every object of main's tree
 * readable with the right hash. */
static int
check_repo(struct store *st, const git_oid *main_id, git_tree *tree, FILE *report, int *bad)
{
	git_revwalk *w = NULL;
	git_odb *odb = NULL;
	git_oid id;
	size_t commits = 0;
	if (git_repository_odb(&odb, st->repo) < 0 || git_revwalk_new(&w, st->repo) < 0 ||
	    git_revwalk_push(w, main_id) < 0) {
		store_log_git_error("odb", "check");
		git_revwalk_free(w);
		git_odb_free(odb);
		return KN_EGIT;
	}
	int rc;
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &id);
		commits++;
		if (git_commit_lookup(&c, st->repo, &id) < 0) {
			fprintf(report, "repo: commit %s is missing or damaged\n", hex);
			(*bad)++;
		} else if (!git_odb_exists(odb, git_commit_tree_id(c))) {
			fprintf(report, "repo: tree of commit %s is missing\n", hex);
			(*bad)++;
		}
		git_commit_free(c);
	}
	if (rc != GIT_ITEROVER) {
		const git_error *err = git_error_last();
		fprintf(report, "repo: history walk stopped after %zu commits: %s\n", commits,
			err ? err->message : "error");
		(*bad)++;
	}
	struct blob_check bc = { odb, report, bad };
	if (tree)
		git_tree_walk(tree, GIT_TREEWALK_PRE, check_blob, &bc);
	git_revwalk_free(w);
	git_odb_free(odb);
	return 0;
}

int
index_check(struct index *ix, const char *space, struct store *st, FILE *report)
{
	struct buf last = BUF_INIT;
	git_oid main_id;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int have_main, bad = 0, rc;
	sqlite3_int64 id = 0;
	if ((rc = index_main_commit(&main_id, &have_main, st)) < 0)
		return rc;
	char hex[GIT_OID_HEXSZ + 1] = "";
	if (have_main) {
		git_oid_tostr(hex, sizeof(hex), &main_id);
		if (git_commit_lookup(&c, st->repo, &main_id) < 0 || git_commit_tree(&tree, c) < 0) {
			fprintf(report, "repo: %s: main (%s) or its tree is unreadable\n", space, hex);
			bad++;
		}
	}
	if (have_main && (rc = check_repo(st, &main_id, tree, report, &bad)) < 0)
		goto done;
	if ((rc = index_last_indexed(ix, space, &last)) < 0)
		goto done;
	const char *want = have_main ? hex : "-";
	if (strcmp(buf_cstr(&last), want) != 0) {
		fprintf(report, "index: %s: last indexed commit is %s, main is %s\n", space,
			last.len && strcmp(last.ptr, "-") != 0 ? last.ptr : "(none)", have_main ? hex : "(none)");
		bad++;
	}
	rc = index_space_id(ix, space, 0, &id);
	if (rc == KN_ENOTFOUND) {
		if (have_main) {
			fprintf(report, "index: space %s is not in the index\n", space);
			bad++;
		}
		rc = 0;
		goto done;
	}
	if (rc == 0)
		rc = check_pages(ix, space, id, tree, report, &bad);
done:
	buf_free(&last);
	git_tree_free(tree);
	git_commit_free(c);
	return rc < 0 ? rc : bad ? 1 : 0;
}

/* The checks of the index file itself, and rows of spaces that are not in `spaces`. */
static int
check_file(struct index *ix, const struct index_repo *spaces, size_t n, FILE *report)
{
	sqlite3_int64 npages = 0, nfts = 0;
	sqlite3_stmt *s = NULL;
	int bad = 0, rc;
	if (!index_sound(ix, "PRAGMA integrity_check", report))
		bad++;
	if (index_exec(ix, "INSERT INTO fts(fts, rank) VALUES('integrity-check', 1)") < 0) {
		fprintf(report, "index: full-text index is inconsistent: %s\n", sqlite3_errmsg(ix->db));
		bad++;
	}
	if ((rc = index_sql_int(ix, "SELECT count(*) FROM pages", &npages)) < 0 ||
	    (rc = index_sql_int(ix, "SELECT count(*) FROM fts", &nfts)) < 0)
		return rc;
	if (npages != nfts) {
		fprintf(report, "index: %lld pages but %lld full-text rows\n", (long long)npages, (long long)nfts);
		bad++;
	}
	if (sqlite3_prepare_v2(ix->db, "SELECT s.name, count(*) FROM pages p JOIN spaces s ON s.id = p.space GROUP BY s.name",
			       -1, &s, NULL) != SQLITE_OK)
		return index_sql_fail(ix, sqlite3_errcode(ix->db), "spaces in the index");
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		size_t i = 0;
		while (i < n && strcmp(spaces[i].name, name) != 0)
			i++;
		if (i == n) {
			fprintf(report, "index: %lld pages of space %s, which is not a space (any more)\n",
				(long long)sqlite3_column_int64(s, 1), name);
			bad++;
		}
	}
	sqlite3_finalize(s);
	return bad;
}

/* Open the data directory's index for a command; 0 or 1 (reported). */
static int
open_index(const char *data_dir, struct index **ix)
{
	struct buf db = BUF_INIT;
	int rc = 0;
	buf_printf(&db, "%s/" INDEX_FILE, data_dir);
	if (index_open(ix, db.ptr) < 0) {
		fprintf(stderr, "kennis: cannot open %s (see the log above)\n", db.ptr);
		rc = 1;
	}
	buf_free(&db);
	return rc;
}

int
index_cmd_reindex(const char *data_dir, const struct index_repo *spaces, size_t n)
{
	struct index *ix = NULL;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = open_index(data_dir, &ix);
	/* Every row goes, those of deleted spaces too; then each space is indexed afresh. */
	if (rc == 0 && (index_exec(ix, "BEGIN IMMEDIATE") < 0 || index_reset_tables(ix) < 0 ||
			index_exec(ix, "COMMIT") < 0)) {
		index_rollback(ix);
		fprintf(stderr, "kennis: cannot reset the index (see the log above)\n");
		rc = 1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store *st = NULL;
		if (store_open(&st, spaces[i].gitdir) < 0) {
			fprintf(stderr, "kennis: space %s: cannot open %s\n", spaces[i].name, spaces[i].gitdir);
			rc = 1;
		} else if (index_rebuild(ix, spaces[i].name, st) < 0) {
			fprintf(stderr, "kennis: space %s: reindexing failed (see the log above)\n", spaces[i].name);
			rc = 1;
		}
		store_close(st);
	}
	if (rc == 0) {
		sqlite3_int64 pages = 0;
		index_sql_int(ix, "SELECT count(*) FROM pages", &pages);
		printf("kennis: indexed %lld pages of %zu space%s in %.2f s\n", (long long)pages, n, n == 1 ? "" : "s",
		       index_ms_since(&t0) / 1e3);
	}
	index_close(ix);
	return rc;
}

int
index_cmd_check(const char *data_dir, const struct index_repo *spaces, size_t n)
{
	struct index *ix = NULL;
	int rc = open_index(data_dir, &ix), bad = 0;
	if (rc == 0) {
		bad = check_file(ix, spaces, n, stdout);
		for (size_t i = 0; bad >= 0 && i < n; i++) {
			struct store *st = NULL;
			int r = store_open(&st, spaces[i].gitdir) < 0 ? 1 : index_check(ix, spaces[i].name, st, stdout);
			if (!st)
				printf("repo: space %s: cannot open %s\n", spaces[i].name, spaces[i].gitdir);
			store_close(st);
			if (r < 0)
				bad = r;
			else
				bad += r;
		}
		if (bad < 0)
			fprintf(stderr, "kennis: the check could not run (see the log above)\n");
		else if (bad == 0)
			printf("kennis: %s: repository and index are sound\n", data_dir);
		else
			printf("kennis: %s: problems found (kennis reindex rebuilds the index)\n", data_dir);
		rc = bad != 0;
	}
	index_close(ix);
	return rc;
}
