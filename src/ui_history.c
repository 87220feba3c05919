/* ui_history.c: a page's history and the diff between two of its versions. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "index.h"
#include "pagename.h"

#define HISTORY_PAGE 50

static void
add_entry(struct req *r, struct tctx *c, const struct index_change *e, size_t n)
{
	char when[64];
	struct buf name = BUF_INIT;
	ui_format_time(when, sizeof(when), e->time, e->offset);
	struct tctx *it = tadd(c, "commits");
	tset(it, "id", e->id);
	tset(it, "short", arena_strndup(r->a, e->id, 10));
	tset(it, "author", e->author);
	tset(it, "date", when);
	tset(it, "summary", e->summary);
	if (e->change == 'R' && pagename_from_path(&name, e->other, strlen(e->other)) == 0)
		tset(it, "change", arena_printf(r->a, "renamed from %s", name.ptr));
	else
		tset(it, "change", e->change == 'A' ? "created" : e->change == 'D' ? "deleted" : "");
	buf_free(&name);
	/* an older version under an earlier name is viewed under that name */
	if (e->change != 'D' && pagename_from_path(&name, e->path, strlen(e->path)) == 0) {
		tset(it, "viewable", "1");
		tset(it, "at_name", name.ptr);
	}
	buf_free(&name);
	if (n == 0)
		tset(it, "checked_to", "1");
	else if (n == 1)
		tset(it, "checked_from", "1");
}

int
ui_history(struct req *r)
{
	const char *name, *pg = req_query(r, "page");
	struct buf path = BUF_INIT;
	struct index_changes h;
	long page = pg ? strtol(pg, NULL, 10) : 1;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (page < 1 || page > 100000)
		page = 1;
	/* From the index: the commits that touched the page, recorded as main moved (a walk
	 * over all of history per request before; docs/scale.md). */
	struct index *ix = ui_index(r);
	if (!ix)
		return KN_EIO;
	if ((rc = ui_index_complete(r, ix)) < 0)
		return rc;
	pagename_to_path(&path, name);
	rc = index_page_history(&h, ix, ui_scope_here(r), ui_space_name(r), path.ptr, (size_t)(page - 1) * HISTORY_PAGE,
				HISTORY_PAGE, r->a);
	buf_free(&path);
	if (rc < 0)
		return rc;
	if (h.n == 0 && page == 1)
		return KN_ENOTFOUND;
	struct tctx *c = ui_context(r, "History");
	ui_page_vars(r, c, name);
	for (size_t i = 0; i < h.n; i++)
		add_entry(r, c, &h.v[i], i);
	if (page > 1)
		tsetf(c, "prev_page", "%ld", page - 1);
	if (h.n == HISTORY_PAGE)
		tsetf(c, "next_page", "%ld", page + 1);
	if (h.n > 1)
		tset(c, "can_compare", "1");
	return ui_render(r, "history", c);
}

/* Read the page at `rev` into `out` (absent = empty), and the full commit id into `hex`. */
static int
read_version(struct req *r, const char *rev, const char *path, struct buf *out, char *hex)
{
	struct snap s;
	int rc = store_snap_open(&s, r->st, rev);
	if (rc < 0)
		return rc;
	if (!s.commit) {
		store_snap_close(&s);
		return KN_ENOTFOUND;
	}
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &s.id);
	rc = store_read(out, NULL, &s, path);
	store_snap_close(&s);
	return rc == KN_ENOTFOUND ? 0 : rc;
}

/* The first parent of commit `rev` as hex into `out`; "" for a root commit. */
static int
parent_of(struct req *r, const char *rev, char *out)
{
	struct snap s;
	int rc = store_snap_open(&s, r->st, rev);
	out[0] = '\0';
	if (rc < 0)
		return rc;
	if (s.commit && git_commit_parentcount(s.commit) > 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_commit_parent_id(s.commit, 0));
	store_snap_close(&s);
	return 0;
}

int
ui_diff(struct req *r)
{
	const char *name, *from = req_query(r, "from"), *to = req_query(r, "to");
	char from_hex[GIT_OID_HEXSZ + 1] = "", to_hex[GIT_OID_HEXSZ + 1] = "", parent[GIT_OID_HEXSZ + 1];
	struct buf path = BUF_INIT, a = BUF_INIT, b = BUF_INIT, html = BUF_INIT;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	pagename_to_path(&path, name);
	if ((rc = read_version(r, to, path.ptr, &b, to_hex)) < 0)
		goto done;
	if (!from || !*from) {
		/* Without `from`: what the `to` commit changed. */
		if ((rc = parent_of(r, to_hex, parent)) < 0)
			goto done;
		from = parent[0] ? parent : NULL;
	}
	if (from && (rc = read_version(r, from, path.ptr, &a, from_hex)) < 0)
		goto done;
	if ((rc = diff_html(&html, buf_cstr(&a), a.len, buf_cstr(&b), b.len)) < 0)
		goto done;
	struct tctx *c = ui_context(r, "Changes");
	ui_page_vars(r, c, name);
	tset(c, "from", from_hex);
	tset(c, "from_short", arena_strndup(r->a, from_hex, 10));
	tset(c, "to", to_hex);
	tset(c, "to_short", arena_strndup(r->a, to_hex, 10));
	tset_html(c, "diff", buf_cstr(&html));
	rc = ui_render(r, "diff", c);
done:
	buf_free(&path);
	buf_free(&a);
	buf_free(&b);
	buf_free(&html);
	return rc;
}
