/* ui_manage.c: rename, delete, restore and revert pages (forms and their POSTs), the deleted pages, and blame. */
#include "ui.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "index.h"
#include "manage.h"
#include "move.h"
#include "repos.h"
#include "reqspace.h"
#include "pagename.h"

#define MAX_TEXT 2000  /* bytes of a message or reason, as for edits */


/* Optional form text `key` (message, reason) as one line into *out (NULL: empty).
 * KN_EINVAL when it is too long or not UTF-8. */
static int
form_text(struct req *r, const char *key, const char **out)
{
	const char *v = req_form(r, key);
	*out = NULL;
	if (!v || !*v)
		return 0;
	if (strlen(v) > MAX_TEXT || !utf8_valid(v, strlen(v)))
		return KN_EINVAL;
	*out = ui_one_line(r->a, v, MAX_TEXT, "");
	return 0;
}

/* The author of a change: the logged-in user; in an open wiki the optional `author` field;
 * else Anonymous. (The same rules as ui_save in ui_edit.c.) */

/* A full 40-digit commit id from a form field. */
static int
parse_oid(git_oid *out, const char *hex)
{
	if (!hex || strlen(hex) != GIT_OID_HEXSZ || strspn(hex, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    git_oid_fromstr(out, hex) < 0)
		return KN_EINVAL;
	return 0;
}

/* Does page `name` exist in `s`? Its path into `path`. */
static int
page_exists(struct snap *s, struct buf *path, const char *name)
{
	git_oid id;
	buf_reset(path);
	pagename_to_path(path, name);
	return store_blob_id(&id, s, path->ptr) == 0;
}

/* Common values of a management form on page `name`: base = the current tip. */
static struct tctx *
form_context(struct req *r, const char *title, const char *name, struct snap *s)
{
	char hex[GIT_OID_HEXSZ + 1] = "";
	struct tctx *c = ui_context(r, title);
	ui_page_vars(r, c, name);
	if (s->commit)
		git_oid_tostr(hex, sizeof(hex), &s->id);
	tset(c, "base", hex);
	resp_header(r, "Cache-Control", "no-store");
	return c;
}

/* What a rename or delete form shows besides the page: the user's input when it comes back,
 * and why it came back. */
struct form_vals {
	const char *to, *message, *reason; /* the fields as typed */
	const char *space;                 /* the space a rename moves the page to (NULL: its own) */
	const char *error;                 /* the notice, or NULL */
	const char *old_base;              /* the stale base of a refused change (diff link) */
};

static int show_form(struct req *r, const char *tmpl, const char *title, const char *name, int err,
		     const struct form_vals *v);

/* List "spaces" of `c`: the spaces the viewer may write, `chosen` (or the page's own)
 * selected; nothing when there is no other. */
static void
space_choices(struct req *r, struct tctx *c, const char *chosen)
{
	size_t n;
	const char *const *names = reqspace_readable_names(r, &n);
	const char *here = ui_space_name(r);
	int others = 0;
	for (size_t i = 0; i < n; i++) {
		const struct space *sp = reqspace_readable(r, names[i]);
		if (!sp || !reqspace_may_write(r, sp))
			continue;
		struct tctx *it = tadd(c, "spaces");
		tset(it, "space", names[i]);
		tset(it, "selected", strcmp(names[i], chosen ? chosen : here) == 0 ? "1" : NULL);
		if (!space_acl_is_all(sp->read))
			tset(it, "restricted", "1");
		others += strcmp(names[i], here) != 0;
	}
	if (others)
		tset(c, "can_move", "1");
}

/* Move page `name` to space `sp` as `new_name` (ui_rename_page, when another space is
 * named): both spaces' indexes catch up in this request, so the page is out of the old
 * space's views as the answer arrives. */
static int
move_to_space(struct req *r, const char *name, const char *new_name, const struct space *sp, const git_oid *base,
	      const char *message, git_oid *out)
{
	char gitdir[4200];
	space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, sp->name);
	struct store *to = repos_get(gitdir);
	if (!to)
		return KN_EIO;
	struct store_author who = ui_author(r);
	int rc = move_page(out, r->st, to, base, name, new_name, &who, ui_space_name(r), sp->name, message);
	if (rc < 0)
		return rc;
	log_info("move %s of space %s to %s in space %s by %s", name, ui_space_name(r), new_name, sp->name, who.name);
	struct index *ix = ui_index(r); /* the old space */
	if (ix && index_catch_up(ix, sp->name, to) < 0)
		log_warn("move %s: the index of space %s catches up later", name, sp->name);
	return 0;
}

int
ui_rename_page(struct req *r, const char *name, const char *to, const char *to_space, const git_oid *base,
	       const char *message, struct ui_rename_result *res)
{
	struct buf new_name = BUF_INIT;
	git_oid out;
	int rc;
	memset(res, 0, sizeof(*res));
	res->space = ui_space_name(r);
	/* People type titles ("Customers/Acme Corp"): the link form is the name. */
	if (pagename_from_link(&new_name, to, strlen(to)) < 0) {
		rc = KN_EINVAL;
		goto done;
	}
	res->new_name = arena_strndup(r->a, new_name.ptr, new_name.len);
	if (to_space && *to_space && strcmp(to_space, ui_space_name(r)) != 0) {
		const struct space *sp = reqspace_readable(r, to_space);
		if (!sp || !reqspace_may_write(r, sp)) {
			rc = KN_EFORBIDDEN;
			goto done;
		}
		res->space = sp->name;
		rc = move_to_space(r, name, res->new_name, sp, base, message, &out);
	} else if (strcmp(res->new_name, name) == 0) {
		rc = KN_EINVAL;
		res->same = 1;
		goto done;
	} else {
		struct store_author who = ui_author(r);
		rc = manage_rename(&out, &res->npages, r->st, base, name, res->new_name, &who, message);
		if (rc == 0)
			log_info("rename %s to %s by %s: %zu other pages updated", name, res->new_name, who.name, res->npages);
		else if (rc != KN_EEXISTS && rc != KN_ECONFLICT)
			log_warn("rename %s to %s: %s", name, res->new_name, kn_strerror(rc));
	}
	if (rc == 0)
		git_oid_tostr(res->commit, sizeof(res->commit), &out);
done:
	buf_free(&new_name);
	return rc;
}

/* Render form `tmpl` for existing page `name` on the current tip, as the answer to `err`
 * (0: the form as asked for). */
static int
show_form(struct req *r, const char *tmpl, const char *title, const char *name, int err, const struct form_vals *v)
{
	struct snap s;
	struct buf path = BUF_INIT;
	int rc = store_snap_open(&s, r->st, NULL);
	if (rc < 0)
		return rc;
	if (!page_exists(&s, &path, name)) {
		rc = KN_ENOTFOUND;
	} else {
		struct tctx *c = form_context(r, title, name, &s);
		tset(c, "to", v->to);
		tset(c, "message", v->message);
		tset(c, "reason", v->reason);
		tset(c, "error", v->error);
		tset(c, "old_base", v->old_base);
		/* where a page may move to: the spaces the viewer may write */
		if (strcmp(tmpl, "rename") == 0)
			space_choices(r, c, v->space);
		rc = ui_render_answer(r, err, tmpl, c);
	}
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}

/* --- rename ------------------------------------------------------------------------------- */

int
ui_rename_form(struct req *r)
{
	const char *name;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	struct form_vals v = { .to = name };
	return show_form(r, "rename", "Rename", name, 0, &v);
}

int
ui_rename(struct req *r)
{
	const char *name, *to = req_form(r, "to"), *base_hex = req_form(r, "base"), *message;
	const char *space = req_form(r, "space");
	struct ui_rename_result res;
	git_oid base;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (!to || parse_oid(&base, base_hex) < 0 || form_text(r, "message", &message) < 0)
		return KN_EINVAL;
	struct form_vals v = { .to = to, .message = message, .space = space };
	rc = ui_rename_page(r, name, to, space, &base, message, &res);
	if (rc == 0) {
		struct buf loc = BUF_INIT;
		buf_printf(&loc, "%s/wiki/", reqspace_base(r, res.space));
		url_escape(&loc, res.new_name, strlen(res.new_name), 1);
		rc = ui_redirect(r, arena_strndup(r->a, loc.ptr, loc.len));
		buf_free(&loc);
		return rc;
	}
	if (rc == KN_EINVAL)
		v.error = res.same ? "That is the page's name already."
				   : "That is not a valid page name. Names may not start with a dot, contain '..', "
				     "control characters or any of \\ : * ? \" < > | # %.";
	else if (rc == KN_EFORBIDDEN)
		v.error = "You may not write in that space.";
	else if (rc == KN_EEXISTS)
		v.error = strcmp(res.space, ui_space_name(r)) != 0
				  ? arena_printf(r->a, "There is a page called %s in space %s already.", res.new_name, res.space)
				  : arena_printf(r->a, "There is a page called %s already. Choose another name, or rename "
						       "or delete that page first.", res.new_name);
	else if (rc == KN_ECONFLICT) {
		v.error = strcmp(res.space, ui_space_name(r)) != 0
				  ? "This page was changed since you opened this form, so nothing was moved. Check the change, "
				    "then move it again."
				  : "This page was changed since you opened this form, so nothing was renamed. "
				    "Check the change, then rename again.";
		if (strcmp(res.space, ui_space_name(r)) == 0)
			v.old_base = base_hex;
	} else
		return rc;
	return show_form(r, "rename", "Rename", name, rc, &v);
}

/* --- delete and restore ------------------------------------------------------------------- */

int
ui_delete_form(struct req *r)
{
	const char *name;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	struct form_vals v = { 0 };
	return show_form(r, "delete", "Delete", name, 0, &v);
}

int
ui_delete(struct req *r)
{
	const char *name, *base_hex = req_form(r, "base"), *reason;
	git_oid base, out;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (parse_oid(&base, base_hex) < 0 || form_text(r, "reason", &reason) < 0)
		return KN_EINVAL;
	struct form_vals v = { .reason = reason };
	if (!reason) {
		v.error = "Please give a reason: it goes into the history, for whoever wonders where the page went.";
		return show_form(r, "delete", "Delete", name, KN_EINVAL, &v);
	}
	struct store_author who = ui_author(r);
	rc = manage_delete(&out, r->st, &base, name, &who, reason);
	if (rc == 0) {
		log_info("delete %s by %s: %s", name, who.name, reason);
		rc = ui_redirect(r, ui_page_url(r, "/restore/", name));
	} else if (rc == KN_ECONFLICT) {
		v.error = "This page was changed since you opened this form, so it was not deleted. "
			  "Check the change, then delete again.";
		v.old_base = base_hex;
		rc = show_form(r, "delete", "Delete", name, KN_ECONFLICT, &v);
	}
	return rc;
}

/* The deletion, newest first in the page's history (from the index): who, when, why. */
static void
deletion_vars(struct req *r, struct tctx *c, const char *path)
{
	struct index *ix = ui_index(r);
	struct index_changes h;
	char when[64];
	if (!ix || index_page_history(&h, ix, ui_scope_here(r), ui_space_name(r), path, 0, 1, r->a) < 0 || h.n == 0 || h.v[0].change != 'D')
		return;
	ui_format_time(when, sizeof(when), h.v[0].time, h.v[0].offset);
	tset(c, "del_author", h.v[0].author);
	tset(c, "del_date", when);
	tset(c, "del_summary", h.v[0].summary);
}

/* A deleted page: who deleted it and why, and the version a restore brings back. */
int
ui_restore_form(struct req *r)
{
	const char *name;
	struct snap s, old;
	struct buf path = BUF_INIT;
	git_oid rev;
	char hex[GIT_OID_HEXSZ + 1], when[64];
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if ((rc = store_snap_open(&s, r->st, NULL)) < 0)
		return rc;
	if (page_exists(&s, &path, name)) {
		rc = ui_redirect(r, ui_page_url(r, "/wiki/", name)); /* nothing to restore */
		goto done;
	}
	if ((rc = ui_last_version(r, &rev, &s, path.ptr)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &rev);
	if ((rc = store_snap_open(&old, r->st, hex)) < 0)
		goto done;
	const git_signature *a = git_commit_author(old.commit);
	ui_format_time(when, sizeof(when), a->when.time, a->when.offset);
	store_snap_close(&old);
	struct tctx *c = form_context(r, "Deleted page", name, &s);
	tset(c, "deleted", "1");
	tset(c, "rev", hex);
	tset(c, "rev_date", when);
	hex[10] = '\0';
	tset(c, "rev_short", hex);
	deletion_vars(r, c, path.ptr);
	rc = ui_render_answer(r, KN_ENOTFOUND, "delete", c); /* the page is not there, even if this says more */
done:
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}

/* Restore (`restore` set) or revert page r->rest to the form's `rev`. */
static int
bring_back(struct req *r, int restore)
{
	const char *name, *rev = req_form(r, "rev"), *base_hex = req_form(r, "base"), *message;
	git_oid base, out;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (!rev || form_text(r, "message", &message) < 0)
		return KN_EINVAL;
	if (base_hex && *base_hex && parse_oid(&base, base_hex) < 0)
		return KN_EINVAL;
	struct store_author who = ui_author(r);
	rc = manage_bring_back(&out, r->st, base_hex && *base_hex ? &base : NULL, name, rev, restore, &who, message);
	if (rc == 0) {
		log_info("%s %s to %s by %s", restore ? "restore" : "revert", name, rev, who.name);
		rc = ui_redirect(r, ui_page_url(r, "/wiki/", name));
	} else if (rc == KN_ECONFLICT) {
		/* the router's page says: someone else changed this page meanwhile */
		log_info("%s %s: changed meanwhile, nothing written", restore ? "restore" : "revert", name);
	}
	return rc;
}

int
ui_restore(struct req *r)
{
	return bring_back(r, 1);
}

int
ui_revert(struct req *r)
{
	return bring_back(r, 0);
}

/* --- the deleted pages -------------------------------------------------------------------- */

struct deleted_row {
	const char *name;
	const char *author, *summary; /* NULL when the deleting commit was not found */
	int64_t time;
	int offset;
};

struct deleted_ctx {
	struct arena *a;
	struct deleted_row *row;
};

static int
deleted_entry(const struct store_logent *e, void *payload)
{
	struct deleted_ctx *d = payload;
	d->row->author = arena_strdup(d->a, e->author);
	d->row->summary = arena_strdup(d->a, e->summary);
	d->row->time = e->time;
	d->row->offset = e->offset;
	return 0;
}

/* The most recently deleted first; those whose deletion was not found last, by name. */
static int
cmp_deleted(const void *x, const void *y)
{
	const struct deleted_row *a = x, *b = y;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Deleted page file g->path (per the index) as a row of /deleted: 1, or 0 when it is a page
 * again, or a renamed page whose old name leads to the new one (no row). */
static int
deleted_row(struct req *r, struct snap *s, const struct index_deleted *g, struct deleted_row *row)
{
	struct buf name = BUF_INIT, path = BUF_INIT, to = BUF_INIT;
	int keep = pagename_from_path(&name, g->path, strlen(g->path)) == 0 && !page_exists(s, &path, name.ptr) &&
		   manage_redirect_target(&to, s, name.ptr) < 0;
	if (keep) {
		struct snap at;
		struct deleted_ctx d = { r->a, row };
		*row = (struct deleted_row){ .name = arena_strndup(r->a, name.ptr, name.len) };
		if (store_snap_open(&at, r->st, g->commit) == 0) {
			manage_deletion(&at, g->path, deleted_entry, &d);
			store_snap_close(&at);
		}
	}
	buf_free(&name);
	buf_free(&path);
	buf_free(&to);
	return keep;
}

int
ui_deleted(struct req *r)
{
	struct index *ix = ui_index(r);
	struct index_deleteds gone;
	struct snap s;
	int rc = ix ? index_deleted(&gone, ix, ui_scope_here(r), ui_space_name(r), r->a) : KN_EIO;
	if (rc < 0 || (rc = store_snap_open(&s, r->st, NULL)) < 0)
		return rc;
	struct deleted_row *rows = arena_alloc(r->a, (gone.n + 1) * sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < gone.n; i++)
		n += deleted_row(r, &s, &gone.v[i], &rows[n]);
	store_snap_close(&s);
	qsort(rows, n, sizeof(*rows), cmp_deleted);
	struct tctx *c = ui_context(r, "Deleted pages");
	for (size_t i = 0; i < n; i++) {
		struct tctx *it = tadd(c, "deleted");
		struct buf title = BUF_INIT;
		char when[64];
		pagename_title(&title, rows[i].name);
		tset(it, "name", rows[i].name);
		tset(it, "pagetitle", buf_cstr(&title));
		buf_free(&title);
		if (rows[i].author) {
			ui_format_time(when, sizeof(when), rows[i].time, rows[i].offset);
			tset(it, "date", when);
			tset(it, "author", rows[i].author);
			tset(it, "summary", rows[i].summary);
		}
	}
	if (n)
		tset(c, "has_deleted", "1");
	tsetf(c, "count", "%zu", n);
	return ui_render(r, "deleted", c);
}

/* --- blame -------------------------------------------------------------------------------- */

struct blame_ctx {
	struct req *r;
	struct tctx *c;
	struct buf nums;
};

static int
add_group(const struct manage_blame_group *g, void *payload)
{
	struct blame_ctx *b = payload;
	char hex[GIT_OID_HEXSZ + 1], when[64];
	git_commit *commit = NULL;
	git_oid_tostr(hex, sizeof(hex), g->id);
	ui_format_time(when, sizeof(when), g->time, g->offset);
	struct tctx *it = tadd(b->c, "groups");
	tset(it, "id", hex);
	tset(it, "short", arena_strndup(b->r->a, hex, 10));
	tset(it, "author", g->author);
	tset(it, "date", when);
	if (git_commit_lookup(&commit, b->r->st->repo, g->id) == 0)
		tset(it, "summary", git_commit_summary(commit));
	git_commit_free(commit);
	buf_reset(&b->nums);
	for (size_t i = 0; i < g->nlines; i++)
		buf_printf(&b->nums, "%zu\n", g->first_line + i);
	tset(it, "lines", buf_cstr(&b->nums));
	tset(it, "text", arena_strndup(b->r->a, g->text, g->len));
	return 0;
}

int
ui_blame(struct req *r)
{
	const char *name, *rev = req_query(r, "rev");
	struct snap s;
	struct buf path = BUF_INIT;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if ((rc = store_snap_open(&s, r->st, rev)) < 0)
		return rc;
	struct tctx *c = ui_context(r, "Blame");
	ui_page_vars(r, c, name);
	if (rev && s.commit) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &s.id);
		tset(c, "rev", hex);
		hex[10] = '\0';
		tset(c, "rev_short", hex);
	}
	struct blame_ctx b = { r, c, BUF_INIT };
	pagename_to_path(&path, name);
	rc = s.commit ? manage_blame(&s, path.ptr, add_group, &b) : KN_ENOTFOUND;
	if (rc == 0)
		rc = ui_render(r, "blame", c);
	buf_free(&b.nums);
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}
