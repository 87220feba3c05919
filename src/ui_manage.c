/* ui_manage.c: rename, delete, restore and revert pages (forms and their POSTs), and blame. */
#include "ui.h"

#include <string.h>

#include "auth.h"
#include "index.h"
#include "manage.h"
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

/* "/wiki/Customers/Acme-Corp" for prefix "/wiki/" (in the arena). */
static const char *
page_url(struct req *r, const char *prefix, const char *name)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, prefix);
	url_escape(&b, name, strlen(name), 1);
	const char *out = arena_strndup(r->a, b.ptr, b.len);
	buf_free(&b);
	return out;
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
	const char *error;                 /* the notice, or NULL */
	const char *old_base;              /* the stale base of a refused change (diff link) */
};

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
	struct buf new_name = BUF_INIT;
	git_oid base, out;
	size_t npages = 0;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (!to || parse_oid(&base, base_hex) < 0 || form_text(r, "message", &message) < 0)
		return KN_EINVAL;
	struct form_vals v = { .to = to, .message = message };
	/* People type titles ("Customers/Acme Corp"): the link form is the name. */
	if (pagename_from_link(&new_name, to, strlen(to)) < 0) {
		v.error = "That is not a valid page name. Names may not start with a dot, contain '..', "
			  "control characters or any of \\ : * ? \" < > | # %.";
		rc = show_form(r, "rename", "Rename", name, KN_EINVAL, &v);
		goto done;
	}
	if (strcmp(new_name.ptr, name) == 0) {
		v.error = "That is the page's name already.";
		rc = show_form(r, "rename", "Rename", name, KN_EINVAL, &v);
		goto done;
	}
	struct store_author who = ui_author(r);
	rc = manage_rename(&out, &npages, r->st, &base, name, new_name.ptr, &who, message);
	if (rc == 0) {
		log_info("rename %s to %s by %s: %zu other pages updated", name, new_name.ptr, who.name, npages);
		rc = ui_redirect(r, page_url(r, "/wiki/", new_name.ptr));
	} else if (rc == KN_EEXISTS) {
		v.error = arena_printf(r->a, "There is a page called %s already. Choose another name, or rename "
					     "or delete that page first.", new_name.ptr);
		rc = show_form(r, "rename", "Rename", name, KN_EEXISTS, &v);
	} else if (rc == KN_ECONFLICT) {
		v.error = "This page was changed since you opened this form, so nothing was renamed. "
			  "Check the change, then rename again.";
		v.old_base = base_hex;
		rc = show_form(r, "rename", "Rename", name, KN_ECONFLICT, &v);
	} else {
		log_warn("rename %s to %s: %s", name, new_name.ptr, kn_strerror(rc));
	}
done:
	buf_free(&new_name);
	return rc;
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
		rc = ui_redirect(r, page_url(r, "/restore/", name));
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
	if (!ix || index_page_history(&h, ix, ui_scope(r), path, 0, 1, r->a) < 0 || h.n == 0 || h.v[0].change != 'D')
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
		rc = ui_redirect(r, page_url(r, "/wiki/", name)); /* nothing to restore */
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
		rc = ui_redirect(r, page_url(r, "/wiki/", name));
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
