/* move.c: moving a page (with its attachments) from one space's repository to another's. */
#include "move.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pagename.h"

/* The files moving: the page and the attachments in its folder (not .md files). */
struct moving {
	struct store_edit *add, *del;
	char **bufs; /* contents (owned) */
	size_t n, cap;
};

static void
moving_add(struct moving *m, const char *from, const char *to, const void *data, size_t len)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->add = xrealloc(m->add, m->cap * sizeof(*m->add));
		m->del = xrealloc(m->del, m->cap * sizeof(*m->del));
		m->bufs = xrealloc(m->bufs, m->cap * sizeof(*m->bufs));
	}
	char *copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	m->bufs[m->n] = copy;
	m->add[m->n] = (struct store_edit){ .path = xstrdup(to), .content = copy, .len = len };
	m->del[m->n] = (struct store_edit){ .path = xstrdup(from) };
	m->n++;
}

static void
moving_free(struct moving *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free((char *)m->add[i].path);
		free((char *)m->del[i].path);
		free(m->bufs[i]);
	}
	free(m->add);
	free(m->del);
	free(m->bufs);
}

/* The attachments of page `name` in snapshot `s` into `m` (folder `name`/ to `new_name`/). */
static int
collect_files(struct moving *m, struct snap *s, const char *name, const char *new_name)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	int rc = 0;
	if (!s->tree || git_tree_entry_bypath(&e, s->tree, name) < 0)
		return 0;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE && git_tree_lookup(&t, s->st->repo, git_tree_entry_id(e)) == 0) {
		for (size_t i = 0; i < git_tree_entrycount(t) && rc == 0; i++) {
			const git_tree_entry *f = git_tree_entry_byindex(t, i);
			const char *fn = git_tree_entry_name(f), *dot = strrchr(fn, '.');
			git_blob *b = NULL;
			if (git_tree_entry_filemode(f) != GIT_FILEMODE_BLOB || (dot && strcasecmp(dot, ".md") == 0))
				continue;
			if (git_blob_lookup(&b, s->st->repo, git_tree_entry_id(f)) < 0) {
				store_log_git_error("read attachment", fn);
				rc = KN_EGIT;
				break;
			}
			struct buf from = BUF_INIT, to = BUF_INIT;
			buf_printf(&from, "%s/%s", name, fn);
			buf_printf(&to, "%s/%s", new_name, fn);
			moving_add(m, from.ptr, to.ptr, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
			buf_free(&from);
			buf_free(&to);
			git_blob_free(b);
		}
	}
	git_tree_free(t);
	git_tree_entry_free(e);
	return rc;
}

/* Is anything of `m` already in snapshot `s` (where the files would go)? */
static int
any_taken(const struct moving *m, struct snap *s, const char *new_name)
{
	git_oid id;
	for (size_t i = 0; i < m->n; i++)
		if (store_blob_id(&id, s, m->add[i].path) == 0)
			return 1;
	/* a file where the new folder would go */
	return m->n > 1 && store_blob_id(&id, s, new_name) == 0;
}

int
move_page(git_oid *out, struct store *from, struct store *to, const git_oid *base, const char *name,
	  const char *new_name, const struct store_author *who, const char *from_space, const char *to_space,
	  const char *message)
{
	struct snap s = { 0 }, at = { 0 }, dst = { 0 };
	struct buf path = BUF_INIT, new_path = BUF_INIT, md = BUF_INIT, msg = BUF_INIT;
	struct moving m = { 0 };
	git_oid blob, base_blob, tip;
	int rc;

	pagename_to_path(&path, name);
	pagename_to_path(&new_path, new_name);
	if ((rc = store_snap_open(&s, from, NULL)) < 0)
		goto done;
	if ((rc = store_read(&md, &blob, &s, path.ptr)) < 0)
		goto done;
	/* The page as the user saw it: a change since their base means they move what they
	 * have not read. */
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), base);
	if ((rc = store_snap_open(&at, from, hex)) < 0 || store_blob_id(&base_blob, &at, path.ptr) < 0 ||
	    !git_oid_equal(&base_blob, &blob)) {
		rc = rc < 0 && rc != KN_ENOTFOUND ? rc : KN_ECONFLICT;
		goto done;
	}
	moving_add(&m, path.ptr, new_path.ptr, md.ptr, md.len);
	if ((rc = collect_files(&m, &s, name, new_name)) < 0)
		goto done;
	if ((rc = store_snap_open(&dst, to, NULL)) < 0)
		goto done;
	if (any_taken(&m, &dst, new_name)) {
		rc = KN_EEXISTS;
		goto done;
	}
	/* First the copy, then the deletion: a failure between leaves the page in both, never
	 * in none. */
	buf_printf(&msg, "Move %s from space %s%s%s", name, from_space, message && *message ? ": " : "",
		   message ? message : "");
	if ((rc = store_commit(out, to, dst.commit ? &dst.id : NULL, m.add, m.n, who, msg.ptr)) < 0)
		goto done;
	buf_reset(&msg);
	buf_printf(&msg, "Move %s to space %s%s%s", name, to_space, message && *message ? ": " : "",
		   message ? message : "");
	rc = store_commit(&tip, from, &s.id, m.del, m.n, who, msg.ptr);
	if (rc < 0) {
		/* Changed meanwhile (or the repository failed): take the copy back out. */
		git_oid undo;
		buf_reset(&msg);
		buf_printf(&msg, "Undo the move of %s: it changed in space %s meanwhile", name, from_space);
		for (size_t i = 0; i < m.n; i++) {
			m.add[i].content = NULL; /* delete */
			m.add[i].len = 0;
		}
		if (store_commit(&undo, to, out, m.add, m.n, who, msg.ptr) < 0)
			log_error("move %s: the copy in space %s could not be taken back", name, to_space);
	}
done:
	store_snap_close(&s);
	store_snap_close(&at);
	store_snap_close(&dst);
	moving_free(&m);
	buf_free(&path);
	buf_free(&new_path);
	buf_free(&md);
	buf_free(&msg);
	return rc;
}
