/* store.c: libgit2 storage: snapshots, reads, history walks, and compare-and-swap commits. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "locks.h"
#include "page.h"

void
store_log_git_error(const char *what, const char *subject)
{
	const git_error *e = git_error_last();
	log_error("git %s failed (%s): %s", what, subject ? subject : "-", e && e->message ? e->message : "unknown");
}

int
store_open(struct store **out, const char *gitdir)
{
	git_repository *repo = NULL;
	*out = NULL;
	if (git_repository_open_ext(&repo, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
				    NULL) < 0)
		return KN_ENOTFOUND;
	struct store *st = xcalloc(1, sizeof(*st));
	st->repo = repo;
	st->gitdir = xstrdup(gitdir);
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	git_repository_free(st->repo);
	free(st->gitdir);
	free(st->loose_path);
	free(st->packed_path);
	free(st);
}

int
store_is_kennis(struct store *st)
{
	git_config *cfg = NULL;
	int32_t v = 0;
	if (git_repository_config_snapshot(&cfg, st->repo) == 0) {
		if (git_config_get_int32(&v, cfg, "kennis.version") < 0)
			v = 0;
		git_config_free(cfg);
	}
	return v > 0 && git_repository_is_bare(st->repo);
}

int
store_snap_open(struct snap *s, struct store *st, const char *rev)
{
	int rc;
	memset(s, 0, sizeof(*s));
	s->st = st;
	if (!rev || !*rev) {
		rc = git_reference_name_to_id(&s->id, st->repo, STORE_BRANCH);
		if (rc == GIT_ENOTFOUND)
			return 0; /* empty wiki */
		if (rc < 0) {
			store_log_git_error("resolve", STORE_BRANCH);
			return KN_EGIT;
		}
		if (git_commit_lookup(&s->commit, st->repo, &s->id) < 0) {
			store_log_git_error("commit lookup", STORE_BRANCH);
			return KN_EGIT;
		}
	} else {
		size_t n = strlen(rev);
		if (n < 4 || n > GIT_OID_HEXSZ || strspn(rev, "0123456789abcdefABCDEF") != n)
			return KN_EINVAL;
		git_oid prefix;
		if (git_oid_fromstrn(&prefix, rev, n) < 0)
			return KN_EINVAL;
		if (git_commit_lookup_prefix(&s->commit, st->repo, &prefix, n) < 0)
			return KN_ENOTFOUND;
		git_oid_cpy(&s->id, git_commit_id(s->commit));
	}
	if (git_commit_tree(&s->tree, s->commit) < 0) {
		store_log_git_error("tree lookup", rev ? rev : STORE_BRANCH);
		store_snap_close(s);
		return KN_EGIT;
	}
	return 0;
}

void
store_snap_close(struct snap *s)
{
	git_tree_free(s->tree);
	git_commit_free(s->commit);
	s->tree = NULL;
	s->commit = NULL;
}

int
store_blob_id(git_oid *out, struct snap *s, const char *path)
{
	git_tree_entry *e = NULL;
	if (!s->tree || git_tree_entry_bypath(&e, s->tree, path) < 0)
		return KN_ENOTFOUND;
	int rc = git_tree_entry_type(e) == GIT_OBJECT_BLOB ? 0 : KN_ENOTFOUND;
	if (rc == 0)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return rc;
}

int
store_read(struct buf *out, git_oid *blob_id, struct snap *s, const char *path)
{
	git_oid id;
	git_blob *blob = NULL;
	int rc = store_blob_id(&id, s, path);
	if (rc < 0)
		return rc;
	if (git_blob_lookup(&blob, s->st->repo, &id) < 0) {
		store_log_git_error("blob lookup", path);
		return KN_EGIT;
	}
	buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	if (blob_id)
		git_oid_cpy(blob_id, &id);
	git_blob_free(blob);
	return 0;
}

int
store_read_blob(struct buf *out, struct store *st, const git_oid *id)
{
	git_blob *blob = NULL;
	if (git_blob_lookup(&blob, st->repo, id) < 0) {
		store_log_git_error("blob lookup", NULL);
		return KN_EGIT;
	}
	buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

static void
file_id(struct store_fileid *id, const char *path)
{
	struct stat sb;
	memset(id, 0, sizeof(*id));
	if (stat(path, &sb) == 0)
		*id = (struct store_fileid){ sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim, sb.st_ctim };
}

static int
same_file(const struct store_fileid *a, const struct store_fileid *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Reading main through libgit2 is four system calls and a parse on every page view (15-25%
 * of a kept view's CPU: docs/scale.md); one stat (two without a loose ref) says whether it
 * can have moved. Read again at least every second all the same (a file system whose
 * times are coarse could reuse an inode with the same size within one tick). */
int
store_tip(git_oid *out, struct store *st)
{
	struct store_fileid loose, packed;
	time_t now = time(NULL);
	if (!st->loose_path) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s" STORE_BRANCH, git_repository_path(st->repo));
		st->loose_path = buf_detach(&b);
		buf_printf(&b, "%spacked-refs", git_repository_path(st->repo));
		st->packed_path = buf_detach(&b);
	}
	/* A loose ref wins over packed-refs: while it is there and unchanged, packed-refs
	 * does not matter (one stat); without it, packed-refs holds main. */
	memset(&packed, 0, sizeof(packed));
	file_id(&loose, st->loose_path);
	if (!loose.ino)
		file_id(&packed, st->packed_path);
	if (st->tip_known && now == st->tip_at && same_file(&loose, &st->tip_loose) && same_file(&packed, &st->tip_packed)) {
		git_oid_cpy(out, &st->tip);
		return 0;
	}
	st->tip_known = 0;
	int rc = git_reference_name_to_id(out, st->repo, STORE_BRANCH);
	if (rc == GIT_ENOTFOUND)
		return KN_ENOTFOUND;
	if (rc < 0) {
		store_log_git_error("resolve", STORE_BRANCH);
		return KN_EGIT;
	}
	git_oid_cpy(&st->tip, out);
	st->tip_at = now;
	st->tip_loose = loose;
	st->tip_packed = packed;
	st->tip_known = 1;
	return 0;
}

struct walk_ctx {
	int (*cb)(const char *path, void *payload);
	void *payload;
	struct buf path;
};

static int
walk_entry(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	buf_reset(&w->path);
	buf_puts(&w->path, root);
	buf_puts(&w->path, git_tree_entry_name(e));
	int rc = w->cb(w->path.ptr, w->payload);
	return rc ? rc : 0;
}

struct tree_walk {
	git_repository *repo;
	store_change_cb cb;
	void *payload;
	struct buf path;
};

static int changes_in(struct tree_walk *w, const git_tree *old, const git_tree *new);

/* Folder `eo` and/or `en` (one may be NULL) with different ids: what differs inside. */
static int
folder_in(struct tree_walk *w, const git_tree_entry *eo, const git_tree_entry *en)
{
	git_tree *to = NULL, *tn = NULL;
	size_t mark = w->path.len;
	int rc = 0;
	if ((eo && git_tree_lookup(&to, w->repo, git_tree_entry_id(eo)) < 0) ||
	    (en && git_tree_lookup(&tn, w->repo, git_tree_entry_id(en)) < 0))
		rc = KN_EGIT;
	buf_puts(&w->path, git_tree_entry_name(eo ? eo : en));
	buf_putc(&w->path, '/');
	if (rc == 0)
		rc = changes_in(w, to, tn);
	w->path.len = mark;
	w->path.ptr[mark] = '\0';
	git_tree_free(to);
	git_tree_free(tn);
	return rc;
}

/* Entry `eo` and/or `en` of one name and kind (git_tree_entry_cmp: a folder sorts as
 * "name/") differ: a folder is descended, anything else reported. */
static int
entry_in(struct tree_walk *w, const git_tree_entry *eo, const git_tree_entry *en)
{
	const git_tree_entry *e = eo ? eo : en;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return folder_in(w, eo, en);
	size_t mark = w->path.len;
	buf_puts(&w->path, git_tree_entry_name(e));
	int rc = w->cb(w->path.ptr, eo, en, w->payload);
	w->path.len = mark;
	w->path.ptr[mark] = '\0';
	return rc;
}

static int
changes_in(struct tree_walk *w, const git_tree *old, const git_tree *new)
{
	size_t no = old ? git_tree_entrycount(old) : 0, nn = new ? git_tree_entrycount(new) : 0, i = 0, j = 0;
	int rc = 0;
	while (rc == 0 && (i < no || j < nn)) {
		const git_tree_entry *eo = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *en = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		/* both in git's order, where a file "a" and a folder "a" are two names */
		int cmp = !eo ? 1 : !en ? -1 : git_tree_entry_cmp(eo, en);
		if (cmp == 0) {
			i++, j++;
			if (!git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en)) ||
			    git_tree_entry_filemode(eo) != git_tree_entry_filemode(en))
				rc = entry_in(w, eo, en);
		} else if (cmp < 0) {
			i++, rc = entry_in(w, eo, NULL);
		} else {
			j++, rc = entry_in(w, NULL, en);
		}
	}
	return rc;
}

int
store_tree_changes(git_repository *repo, const git_tree *old, const git_tree *new, store_change_cb cb, void *payload)
{
	struct tree_walk w = { repo, cb, payload, BUF_INIT };
	buf_puts(&w.path, "");
	int rc = changes_in(&w, old, new);
	buf_free(&w.path);
	return rc;
}

int
store_walk(struct snap *s, int (*cb)(const char *path, void *payload), void *payload)
{
	if (!s->tree)
		return 0;
	struct walk_ctx w = { cb, payload, BUF_INIT };
	int rc = git_tree_walk(s->tree, GIT_TREEWALK_PRE, walk_entry, &w);
	buf_free(&w.path);
	return rc;
}

/* Blob id of `path` in commit `c` into `out`; returns 1 if present, 0 if not. */
static int
commit_blob(git_oid *out, git_commit *c, const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	int found = 0;
	if (git_commit_tree(&t, c) < 0)
		return 0;
	if (git_tree_entry_bypath(&e, t, path) == 0) {
		git_oid_cpy(out, git_tree_entry_id(e));
		found = 1;
		git_tree_entry_free(e);
	}
	git_tree_free(t);
	return found;
}

/* Did `path` change in commit `c`? Like git log's default history simplification: a
 * commit that leaves the file as any parent had it does not count. Sets *change. */
static int
touches(git_commit *c, const char *path, int *change)
{
	git_oid mine, theirs;
	int have = commit_blob(&mine, c, path);
	unsigned np = git_commit_parentcount(c);
	if (np == 0) {
		*change = 'A';
		return have;
	}
	for (unsigned i = 0; i < np; i++) {
		git_commit *p = NULL;
		if (git_commit_parent(&p, c, i) < 0)
			continue;
		int had = commit_blob(&theirs, p, path);
		git_commit_free(p);
		if (had == have && (!have || git_oid_equal(&mine, &theirs)))
			return 0;
		*change = !had ? 'A' : !have ? 'D' : 'M';
	}
	return 1;
}

/* Whole-wiki history: a commit counts unless its tree equals a parent's. */
static int
changes_tree(git_commit *c)
{
	unsigned np = git_commit_parentcount(c);
	for (unsigned i = 0; i < np; i++) {
		git_commit *p = NULL;
		if (git_commit_parent(&p, c, i) < 0)
			continue;
		int same = git_oid_equal(git_commit_tree_id(c), git_commit_tree_id(p));
		git_commit_free(p);
		if (same)
			return 0;
	}
	return 1;
}

int
store_log(struct snap *s, const char *path, size_t skip, size_t limit,
	  int (*cb)(const struct store_logent *e, void *payload), void *payload)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = 0;
	size_t seen = 0, shown = 0;

	if (!s->commit)
		return 0;
	if (git_revwalk_new(&walk, s->st->repo) < 0 || git_revwalk_push(walk, &s->id) < 0) {
		store_log_git_error("revwalk", path);
		rc = KN_EGIT;
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	while (shown < limit && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		int change = 'M';
		if (git_commit_lookup(&c, s->st->repo, &id) < 0) {
			store_log_git_error("commit lookup", path);
			rc = KN_EGIT;
			goto done;
		}
		int hit = path ? touches(c, path, &change) : changes_tree(c);
		if (hit && seen++ >= skip) {
			const git_signature *a = git_commit_author(c);
			struct store_logent e = {
				.id = &id,
				.author = a->name,
				.email = a->email,
				.summary = git_commit_summary(c),
				.message = git_commit_message(c),
				.time = a->when.time,
				.offset = a->when.offset,
				.change = change,
			};
			if (!e.summary)
				e.summary = "";
			rc = cb(&e, payload);
			shown++;
		}
		git_commit_free(c);
		if (rc)
			goto done;
	}
done:
	git_revwalk_free(walk);
	return rc;
}

/* Do `base` and `tip` hold the same version of `path` (both absent counts as same)? */
static int
same_version(git_repository *repo, const git_oid *base, const git_oid *tip, const char *path)
{
	git_commit *a = NULL, *b = NULL;
	git_oid ia, ib;
	int same = 0;
	if (git_commit_lookup(&b, repo, tip) < 0)
		return 0;
	int hb = commit_blob(&ib, b, path);
	if (!base) {
		same = !hb;
	} else if (git_commit_lookup(&a, repo, base) == 0) {
		int ha = commit_blob(&ia, a, path);
		same = ha == hb && (!ha || git_oid_equal(&ia, &ib));
	}
	git_commit_free(a);
	git_commit_free(b);
	return same;
}

/* ---- three-way merge of a page, with append-only log sections ---- */

/* A conflict marker line of git's diff3 output (with CRLF texts it ends in "\r" too). */
static int
is_marker(const char *line, size_t len, char c)
{
	return len >= 7 && memcmp(line, (const char[]){ c, c, c, c, c, c, c }, 7) == 0 &&
	       (len == 7 || line[7] == ' ' || line[7] == '\r');
}

static int
same_fence(const struct page_lines *a, const struct page_lines *b)
{
	return a->fence == b->fence && (!a->fence || a->fence_char == b->fence_char);
}

/* Resolve the conflicts of a diff3-style merge result where both sides only added lines at
 * the same place inside a log section (page.c says where those are): keep both, "ours"
 * (committed first) first. A side that adds a heading, or leaves a code fence open, is no
 * plain log entry. Returns 0 with the resolved text in `out`, or KN_ECONFLICT. */
static int
resolve_log_conflicts(struct buf *out, const char *m, size_t n, int page_log)
{
	struct page_log lg;     /* the common lines: where the hunks sit */
	struct page_lines side; /* one side of a hunk, from where the hunk starts */
	const char *p = m, *end = m + n;
	enum { OUT, OURS, BASE, THEIRS } state = OUT;
	const char *ours = NULL, *ours_end = NULL, *theirs = NULL;
	int hunk_ok = 0;
	page_log_init(&lg, page_log);
	side = lg.lines;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t len = (size_t)((nl ? nl : end) - p);
		if (state == OUT && is_marker(p, len, '<')) {
			state = OURS;
			ours = next;
			hunk_ok = page_log_inside(&lg);
			side = lg.lines;
		} else if (state == OURS && is_marker(p, len, '|')) {
			state = BASE;
			ours_end = p;
			hunk_ok &= same_fence(&side, &lg.lines);
		} else if (state == BASE && is_marker(p, len, '=')) {
			state = THEIRS;
			theirs = next;
			side = lg.lines;
		} else if (state == THEIRS && is_marker(p, len, '>')) {
			if (!hunk_ok || !same_fence(&side, &lg.lines))
				return KN_ECONFLICT;
			buf_put(out, ours, (size_t)(ours_end - ours));
			buf_put(out, theirs, (size_t)(p - theirs));
			state = OUT;
		} else if (state == BASE) {
			hunk_ok = 0; /* the hunk changes existing lines: not an append */
		} else if (state != OUT) {
			if (page_line(&side, p, len, NULL, NULL, NULL) == PAGE_HEADING)
				hunk_ok = 0; /* a side adds a heading: not a plain log entry */
		} else {
			page_log_line(&lg, p, len);
			buf_put(out, p, (size_t)(next - p));
		}
		p = next;
	}
	return state == OUT ? 0 : KN_ECONFLICT;
}

int
store_merge_text(struct buf *out, const char *base, size_t blen, const char *theirs, size_t tlen,
		 const char *ours, size_t olen)
{
	git_merge_file_input anc, first, second;
	git_merge_file_options opts;
	git_merge_file_result res;
	int rc;

	git_merge_file_input_init(&anc, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&first, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&second, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION);
	/* libgit2's "ours" is the version committed first (theirs, to the user). */
	anc.ptr = base ? base : "";
	anc.size = base ? blen : 0;
	first.ptr = theirs;
	first.size = tlen;
	second.ptr = ours;
	second.size = olen;
	opts.ancestor_label = "base";
	opts.our_label = "saved meanwhile";
	opts.their_label = "your edit";
	opts.flags = GIT_MERGE_FILE_STYLE_DIFF3;
	memset(&res, 0, sizeof(res));
	if (git_merge_file(&res, &anc, &first, &second, &opts) < 0) {
		store_log_git_error("merge file", NULL);
		return KN_EGIT;
	}
	if (res.automergeable) {
		buf_put(out, res.ptr, res.len);
		rc = 0;
	} else {
		size_t mark = out->len;
		rc = resolve_log_conflicts(out, res.ptr, res.len, page_is_log(theirs, tlen));
		if (rc < 0) {
			out->len = mark;
			buf_put(out, res.ptr, res.len);
		}
	}
	git_merge_file_result_free(&res);
	return rc;
}

/* Merge edit `e` (made from `base`) with the page as it is at `tip`. */
static int
merge_edit(struct buf *out, git_repository *repo, const git_oid *base, const git_oid *tip, const struct store_edit *e)
{
	git_commit *bc = NULL, *tc = NULL;
	git_blob *bb = NULL, *tb = NULL;
	git_oid bid, tid;
	int rc = KN_ECONFLICT;
	if (!e->content) /* deleting (or uploading over) a file that changed meanwhile */
		return KN_ECONFLICT;
	if (git_commit_lookup(&tc, repo, tip) < 0 || !commit_blob(&tid, tc, e->path) ||
	    git_blob_lookup(&tb, repo, &tid) < 0)
		goto done; /* deleted meanwhile: a person has to decide */
	if (base && git_commit_lookup(&bc, repo, base) == 0 && commit_blob(&bid, bc, e->path) &&
	    git_blob_lookup(&bb, repo, &bid) < 0)
		goto done;
	rc = store_merge_text(out, bb ? git_blob_rawcontent(bb) : NULL, bb ? (size_t)git_blob_rawsize(bb) : 0,
			      git_blob_rawcontent(tb), (size_t)git_blob_rawsize(tb), e->content, e->len);
done:
	git_blob_free(bb);
	git_blob_free(tb);
	git_commit_free(bc);
	git_commit_free(tc);
	return rc;
}

/* --- one file changed: the trees on its path rewritten as they are, one entry different ---
 * git_tree_create_updated copies every entry of each tree on the path into a tree builder
 * (a hash map), sorts them and checks them again; for a page in a folder of 5,000 pages
 * that was most of a save (docs/scale.md). A save changes one entry of each tree on the
 * path: those trees are written straight from the parsed ones, with that entry changed. */

#define SPLICE_FALLBACK 1 /* splice_path: an odd tree (a file where a folder is): use libgit2 */

/* git's order of tree entries: by name, a folder's as if it ended in '/'. */
static int
entry_cmp(const char *a, size_t an, int adir, const char *b, size_t bn, int bdir)
{
	size_t n = an < bn ? an : bn;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	unsigned ca = an > n ? (unsigned char)a[n] : adir ? '/' : 0;
	unsigned cb = bn > n ? (unsigned char)b[n] : bdir ? '/' : 0;
	return (int)ca - (int)cb;
}

static void
put_entry(struct buf *t, unsigned mode, const char *name, size_t nl, const git_oid *id)
{
	char oct[16];
	size_t k = sizeof(oct);
	oct[--k] = ' ';
	do
		oct[--k] = (char)('0' + (mode & 7));
	while ((mode >>= 3) != 0);
	buf_put(t, oct + k, sizeof(oct) - k);
	buf_put(t, name, nl);
	buf_putc(t, '\0');
	buf_put(t, id->id, GIT_OID_RAWSZ);
}

/* Write tree `data` as a loose object, its zlib stream "stored" (not compressed): at 225 KB
 * for a folder of 5,000 pages, compressing it was the biggest part of a save, and every
 * reader had to inflate it again; the background repack packs and compresses it
 * (maintenance.c). libgit2 offers no such level (its level 0 writes no zlib stream at
 * all), so the file is written here, as git writes loose objects: a temporary file in the
 * object's folder, read-only, renamed into place. */
static int
write_tree_object(git_oid *out, git_repository *repo, const char *data, size_t len)
{
	git_odb *odb = NULL;
	char hex[GIT_OID_HEXSZ + 1], head[32];
	struct buf path = BUF_INIT, tmp = BUF_INIT, z = BUF_INIT;
	int rc = KN_EGIT, fd = -1;
	if (git_odb_hash(out, data, len, GIT_OBJECT_TREE) < 0 || git_repository_odb(&odb, repo) < 0)
		goto done;
	if (git_odb_exists(odb, out)) {
		rc = 0;
		goto done;
	}
	git_oid_tostr(hex, sizeof(hex), out);
	buf_printf(&path, "%sobjects/%.2s", git_repository_path(repo), hex);
	if (mkdir(path.ptr, 0777) < 0 && errno != EEXIST)
		goto io;
	buf_printf(&tmp, "%s/tmp_obj_XXXXXX", path.ptr);
	buf_printf(&path, "/%s", hex + 2);
	/* zlib: header, stored blocks of at most 65535 bytes, Adler-32 of the raw bytes */
	size_t hl = (size_t)snprintf(head, sizeof(head), "tree %zu", len) + 1, total = hl + len;
	uint32_t a = 1, b = 0;
	buf_grow(&z, total + total / 65535 * 5 + 16);
	buf_put(&z, "\x78\x01", 2);
	for (size_t off = 0; off < total;) { /* total > 0: the header is never empty */
		size_t n = total - off < 65535 ? total - off : 65535;
		unsigned char blk[5] = { off + n == total, (unsigned char)n, (unsigned char)(n >> 8),
					 (unsigned char)~n, (unsigned char)(~n >> 8) };
		buf_put(&z, blk, 5);
		for (size_t i = 0; i < n; i++) {
			size_t at = off + i;
			unsigned char c = at < hl ? (unsigned char)head[at] : (unsigned char)data[at - hl];
			z.ptr[z.len + i] = (char)c;
			a += c;
			b += a;
			if ((i & 4095) == 4095) {
				a %= 65521;
				b %= 65521;
			}
		}
		a %= 65521;
		b %= 65521;
		z.len += n;
		off += n;
	}
	unsigned char adler[4] = { (unsigned char)(b >> 8), (unsigned char)b, (unsigned char)(a >> 8), (unsigned char)a };
	buf_put(&z, adler, 4);
	if ((fd = mkstemp(tmp.ptr)) < 0)
		goto io;
	for (size_t off = 0; off < z.len;) {
		ssize_t w = write(fd, z.ptr + off, z.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto io;
		off += (size_t)w;
	}
	if (fchmod(fd, 0444) < 0 || close(fd) < 0) {
		fd = -1;
		goto io;
	}
	fd = -1;
	if (rename(tmp.ptr, path.ptr) < 0)
		goto io;
	rc = 0;
	goto done;
io:
	log_error("write tree %s: %s", path.ptr ? path.ptr : "-", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.ptr);
	rc = KN_EIO;
done:
	git_odb_free(odb);
	buf_free(&path);
	buf_free(&tmp);
	buf_free(&z);
	return rc;
}

/* Write tree `base` (NULL: empty) with entry `name` set to `mode` and `id` (NULL: removed)
 * into *out; *empty when no entry is left. */
static int
write_spliced(git_oid *out, int *empty, git_repository *repo, const git_tree *base, const char *name,
	      git_filemode_t mode, const git_oid *id)
{
	struct buf t = BUF_INIT;
	size_t n = base ? git_tree_entrycount(base) : 0, nl = strlen(name), count = 0;
	int isdir = mode == GIT_FILEMODE_TREE, placed = 0, rc = 0;
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(base, i);
		const char *en = git_tree_entry_name(e);
		size_t el = strlen(en);
		int edir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
		if (!placed && el == nl && memcmp(en, name, nl) == 0 && edir == isdir) {
			placed = 1; /* replaced, or removed */
			if (id)
				put_entry(&t, (unsigned)mode, name, nl, id), count++;
			continue;
		}
		if (!placed && id && entry_cmp(en, el, edir, name, nl, isdir) > 0) {
			put_entry(&t, (unsigned)mode, name, nl, id), count++;
			placed = 1;
		}
		put_entry(&t, (unsigned)git_tree_entry_filemode(e), en, el, git_tree_entry_id(e)), count++;
	}
	if (!placed && !id) {
		buf_free(&t);
		return SPLICE_FALLBACK; /* nothing to remove: libgit2's error */
	}
	if (!placed)
		put_entry(&t, (unsigned)mode, name, nl, id), count++;
	*empty = count == 0;
	rc = write_tree_object(out, repo, t.ptr ? t.ptr : "", t.len);
	buf_free(&t);
	return rc;
}

/* The tree `base` (NULL: empty) with file `path` set to blob `id` (NULL: removed). */
static int
splice_path(git_oid *out, int *empty, git_repository *repo, const git_tree *base, const char *path, const git_oid *id)
{
	const char *slash = strchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : strlen(path);
	if (dl == 0 || (dl <= 4 && (strncmp(path, ".", dl) == 0 || strncmp(path, "..", dl) == 0 ||
				    strncasecmp(path, ".git", dl) == 0)))
		return SPLICE_FALLBACK; /* libgit2 says why it is no name */
	char *dir = xstrndup(path, dl);
	const git_tree_entry *e = base ? git_tree_entry_byname(base, dir) : NULL;
	int rc = 0;
	if (e && (git_tree_entry_type(e) == GIT_OBJECT_TREE) != (slash != NULL)) {
		rc = SPLICE_FALLBACK; /* a folder where a file goes, or the other way round */
	} else if (!e && !id) {
		rc = SPLICE_FALLBACK;
	} else if (!slash) {
		rc = write_spliced(out, empty, repo, base, dir, GIT_FILEMODE_BLOB, id);
	} else {
		git_tree *sub = NULL;
		git_oid subid;
		int subempty = 0;
		if (e && git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
			rc = KN_EGIT;
		if (rc == 0)
			rc = splice_path(&subid, &subempty, repo, sub, slash + 1, id);
		if (rc == 0)
			rc = write_spliced(out, empty, repo, base, dir, GIT_FILEMODE_TREE, subempty ? NULL : &subid);
		git_tree_free(sub);
	}
	free(dir);
	return rc;
}

/* Build the tree of `tip` (NULL: empty) with `edits` applied; writes it to `out`. */
static int
apply_edits(git_oid *out, git_repository *repo, git_commit *tip, const struct store_edit *edits, size_t n)
{
	git_tree *base = NULL;
	git_tree_update *ups = xcalloc(n, sizeof(*ups));
	int rc = KN_EGIT;
	for (size_t i = 0; i < n; i++) {
		ups[i].path = edits[i].path;
		if (!edits[i].content && !edits[i].from_file && !edits[i].blob) {
			ups[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		if (edits[i].blob)
			git_oid_cpy(&ups[i].id, edits[i].blob);
		else if (edits[i].from_file ? git_blob_create_from_disk(&ups[i].id, repo, edits[i].from_file) < 0
					    : git_blob_create_from_buffer(&ups[i].id, repo, edits[i].content, edits[i].len) < 0) {
			store_log_git_error("write blob", edits[i].path);
			goto done;
		}
	}
	if (tip && git_commit_tree(&base, tip) < 0)
		goto done;
	if (n == 1 && base) {
		int empty;
		rc = splice_path(out, &empty, repo, base, edits[0].path,
				 ups[0].action == GIT_TREE_UPDATE_REMOVE ? NULL : &ups[0].id);
		if (rc != SPLICE_FALLBACK)
			goto done;
		rc = KN_EGIT;
	}
	if (!base) {
		/* git_tree_create_updated needs a base tree: start from the empty tree. */
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&empty, tb) < 0 ||
		    git_tree_lookup(&base, repo, &empty) < 0) {
			git_treebuilder_free(tb);
			goto done;
		}
		git_treebuilder_free(tb);
	}
	if (git_tree_create_updated(out, repo, base, n, ups) < 0) {
		store_log_git_error("update tree", edits[0].path);
		goto done;
	}
	rc = 0;
done:
	git_tree_free(base);
	free(ups);
	return rc;
}

#define LOST_RACE 1 /* commit_once: main moved; try again (never a KN_ code) */
#define LOCKED    2 /* commit_once: main's lock is taken; try again */

/* One attempt: build and commit on the current tip, then CAS the ref. Returns 0, a KN_
 * error, LOST_RACE or LOCKED. (libgit2's codes are never returned: they overlap KN_ codes.) */
static int
commit_once(git_oid *out, struct store *st, const git_oid *base, const struct store_edit *edits_in, size_t n,
	    const git_signature *sig, const char *message, int *merged)
{
	git_oid tip_id, tree_id;
	git_commit *tip = NULL;
	git_tree *tree = NULL;
	git_reference *ref = NULL;
	struct store_edit *edits = xcalloc(n, sizeof(*edits));
	struct buf *mbuf = xcalloc(n, sizeof(*mbuf));
	int have_tip, rc;

	memcpy(edits, edits_in, n * sizeof(*edits));
	rc = git_reference_name_to_id(&tip_id, st->repo, STORE_BRANCH);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		store_log_git_error("resolve", STORE_BRANCH);
		rc = KN_EGIT;
		goto done;
	}
	have_tip = rc == 0;
	rc = 0;
	if (have_tip && (!base || !git_oid_equal(base, &tip_id))) {
		/* main moved since the edit started: untouched paths apply as they are; a path
		 * that changed meanwhile is merged (when asked) or refused. */
		for (size_t i = 0; i < n; i++) {
			if (same_version(st->repo, base, &tip_id, edits[i].path))
				continue;
			rc = merged ? merge_edit(&mbuf[i], st->repo, base, &tip_id, &edits[i]) : KN_ECONFLICT;
			if (rc < 0)
				goto done;
			edits[i].content = buf_cstr(&mbuf[i]);
			edits[i].len = mbuf[i].len;
			*merged = 1;
		}
	}
	if (have_tip && git_commit_lookup(&tip, st->repo, &tip_id) < 0) {
		store_log_git_error("commit lookup", STORE_BRANCH);
		rc = KN_EGIT;
		goto done;
	}
	rc = apply_edits(&tree_id, st->repo, tip, edits, n);
	if (rc < 0)
		goto done;
	if (tip && git_oid_equal(&tree_id, git_commit_tree_id(tip))) {
		git_oid_cpy(out, &tip_id); /* nothing changed: no empty commit */
		goto done;
	}
	if (git_tree_lookup(&tree, st->repo, &tree_id) < 0 ||
	    git_commit_create(out, st->repo, NULL, sig, sig, NULL, message, tree, tip ? 1 : 0,
			      (const git_commit **)&tip) < 0) {
		store_log_git_error("create commit", edits[0].path);
		rc = KN_EGIT;
		goto done;
	}
	locks_writer_begin();
	if (have_tip)
		rc = git_reference_create_matching(&ref, st->repo, STORE_BRANCH, out, 1, &tip_id, message);
	else
		rc = git_reference_create(&ref, st->repo, STORE_BRANCH, out, 0, message);
	locks_writer_end();
	if (rc == GIT_ELOCKED) {
		rc = LOCKED;
	} else if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		rc = LOST_RACE;
	} else if (rc < 0) {
		store_log_git_error("update ref", STORE_BRANCH);
		rc = KN_EGIT;
	}
done:
	git_reference_free(ref);
	git_tree_free(tree);
	git_commit_free(tip);
	for (size_t i = 0; i < n; i++)
		buf_free(&mbuf[i]);
	free(mbuf);
	free(edits);
	return rc;
}

static int
commit_retrying(git_oid *out, int *merged, struct store *st, const git_oid *base, const struct store_edit *edits,
		size_t n, const struct store_author *author, const char *message)
{
	git_signature *sig = NULL;
	int rc = KN_ELOCKED;

	if (n == 0)
		return KN_EINVAL;
	if (git_signature_now(&sig, author->name, author->email) < 0) {
		store_log_git_error("signature", author->name);
		return KN_EINVAL;
	}
	/* A lost compare-and-swap means someone else committed: rebuild on the new tip. A held
	 * lock (a push in progress) is waited out with a growing pause, up to ~10 s; one that
	 * a dead writer left is cleared once it is stale (locks.c). */
	for (int attempt = 0; attempt < 50; attempt++) {
		if (merged)
			*merged = 0;
		rc = commit_once(out, st, base, edits, n, sig, message, merged);
		if (rc == LOCKED) {
			char what[300];
			snprintf(what, sizeof(what), "save of %s", edits[0].path);
			locks_unstick(st->gitdir, what);
			rc = LOST_RACE;
		}
		if (rc != LOST_RACE)
			break;
		log_info("commit %s: main moved or locked, retry %d", edits[0].path, attempt + 1);
		git_error_clear();
		struct timespec ts = { 0, (long)(attempt < 10 ? 5 + attempt * 10 : 200) * 1000000L };
		nanosleep(&ts, NULL);
		rc = KN_ELOCKED;
	}
	git_signature_free(sig);
	return rc;
}

int
store_commit(git_oid *out, struct store *st, const git_oid *base, const struct store_edit *edits, size_t n,
	     const struct store_author *author, const char *message)
{
	return commit_retrying(out, NULL, st, base, edits, n, author, message);
}

int
store_commit_merge(git_oid *out, int *merged, struct store *st, const git_oid *base, const struct store_edit *edits,
		   size_t n, const struct store_author *author, const char *message)
{
	int m = 0;
	int rc = commit_retrying(out, &m, st, base, edits, n, author, message);
	*merged = m;
	return rc;
}

/* Write a hook script that hands over to this binary. */
static int
write_hook(const char *gitdir, const char *name, const char *self_exe)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/hooks/%s", gitdir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return KN_EIO;
	/* KENNIS_BIN lets a moved binary (or the test suite's) take over without re-init. */
	fprintf(f, "#!/bin/sh\n# installed by kennis init: the wiki's rules apply to pushes too\n"
		   "exec \"${KENNIS_BIN:-%s}\" hook %s \"$@\"\n", self_exe, name);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || chmod(path, 0755) < 0)
		return KN_EIO;
	return 0;
}

static int
set_config(git_repository *repo)
{
	git_config *cfg = NULL;
	int rc = KN_EGIT;
	if (git_repository_config(&cfg, repo) < 0)
		return rc;
	if (git_config_set_int32(cfg, "kennis.version", 1) < 0 ||
	    /* belt and braces: the pre-receive hook refuses these too */
	    git_config_set_bool(cfg, "receive.denyNonFastForwards", 1) < 0 ||
	    git_config_set_bool(cfg, "receive.denyDeletes", 1) < 0 ||
	    git_config_set_bool(cfg, "receive.fsckObjects", 1) < 0 ||
	    /* kennis authenticates pushes itself (issue: accounts); http-backend needs this */
	    git_config_set_bool(cfg, "http.receivepack", 1) < 0 ||
	    /* wait for a web edit's ref lock instead of failing the push at once */
	    git_config_set_int32(cfg, "core.filesRefLockTimeout", 5000) < 0 ||
	    git_config_set_bool(cfg, "core.logAllRefUpdates", 1) < 0 ||
	    git_config_set_bool(cfg, "uploadpack.allowFilter", 1) < 0)
		goto done;
	rc = 0;
done:
	git_config_free(cfg);
	return rc;
}

int
store_init(const char *gitdir, const char *self_exe)
{
	/* The starter wiki: every embedded starter/ file, as one first commit. */
	struct store_edit edits[32] = { 0 };
	size_t n = 0;
	for (const struct asset *a = assets; a->name && n < 32; a++) {
		if (strncmp(a->name, "starter/", 8) != 0)
			continue;
		edits[n].path = a->name + 8;
		edits[n].content = a->data;
		edits[n].len = a->len;
		n++;
	}
	return store_init_with(gitdir, self_exe, edits, n, "Start the wiki");
}

int
store_init_with(const char *gitdir, const char *self_exe, const struct store_edit *edits, size_t n, const char *message)
{
	git_repository *repo = NULL;
	struct store st = { 0 };
	git_repository_init_options opts;
	struct stat sb;
	int rc = KN_EGIT;

	if (stat(gitdir, &sb) == 0)
		return KN_EEXISTS;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	opts.description = "kennis wiki";
	if (git_repository_init_ext(&repo, gitdir, &opts) < 0) {
		store_log_git_error("init", gitdir);
		return KN_EGIT;
	}
	if (set_config(repo) < 0) {
		store_log_git_error("config", gitdir);
		goto done;
	}
	if (write_hook(gitdir, "pre-receive", self_exe) < 0 ||
	    write_hook(gitdir, "post-receive", self_exe) < 0) {
		log_error("init %s: cannot write hooks: %s", gitdir, strerror(errno));
		rc = KN_EIO;
		goto done;
	}
	rc = 0;
	if (n) {
		st.repo = repo;
		st.gitdir = (char *)gitdir;
		struct store_author who = { "kennis", "kennis@localhost" };
		git_oid id;
		rc = store_commit(&id, &st, NULL, edits, n, &who, message);
	}
done:
	git_repository_free(repo);
	return rc;
}
