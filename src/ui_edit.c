/* ui_edit.c: the edit form and saving it as a commit (compare-and-swap against its base). */
#include "ui.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "page.h"
#include "pagename.h"
#include "render.h"

#define MAX_PAGE (1u << 20)   /* bytes of Markdown a web edit may save */
#define MAX_MESSAGE 2000

/* Fill the form's values: `content` is what the textarea shows. */
static struct tctx *
edit_context(struct req *r, const char *name, const char *content, const char *base, int is_new)
{
	struct tctx *c = ui_context(r, is_new ? "New page" : "Edit");
	ui_page_vars(r, c, name);
	tset(c, "content", content);
	tset(c, "base", base);
	if (is_new)
		tset(c, "is_new", "1");
	return c;
}

/* Offer the pages under _Templates/ on a new page's form; prefill from ?template=NAME. */
struct tmpl_list {
	struct req *r;
	struct tctx *c;
	const char *page;
};

static int
add_template(const char *path, void *payload)
{
	struct tmpl_list *t = payload;
	struct buf name = BUF_INIT, title = BUF_INIT;
	if (strncmp(path, "_Templates/", 11) == 0 && !strchr(path + 11, '/') &&
	    pagename_from_path(&name, path + 11, strlen(path + 11)) == 0) {
		struct tctx *it = tadd(t->c, "templates");
		tset(t->c, "has_templates", "1");
		pagename_title(&title, name.ptr);
		tset(it, "template", name.ptr);
		tset(it, "template_title", buf_cstr(&title));
		tset(it, "page", t->page);
	}
	buf_free(&name);
	buf_free(&title);
	return 0;
}

static void
prefill_from_template(struct req *r, struct snap *s, struct buf *md)
{
	const char *t = req_query(r, "template");
	struct buf path = BUF_INIT;
	if (t && pagename_check(t, strlen(t)) == 0 && !strchr(t, '/')) {
		buf_printf(&path, "_Templates/%s.md", t);
		if (store_read(md, NULL, s, path.ptr) < 0)
			log_info("edit: no template %s", t);
	}
	buf_free(&path);
}

int
ui_edit(struct req *r)
{
	const char *name;
	struct snap s;
	struct buf path = BUF_INIT, md = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if ((rc = store_snap_open(&s, r->st, NULL)) < 0)
		return rc;
	if (s.commit)
		git_oid_tostr(hex, sizeof(hex), &s.id);
	pagename_to_path(&path, name);
	rc = store_read(&md, NULL, &s, path.ptr);
	if (rc == KN_ENOTFOUND)
		prefill_from_template(r, &s, &md);
	if (rc == 0 || rc == KN_ENOTFOUND) {
		struct tctx *c = edit_context(r, name, buf_cstr(&md), hex, rc == KN_ENOTFOUND);
		if (rc == KN_ENOTFOUND) {
			struct tmpl_list t = { r, c, name };
			store_walk(&s, add_template, &t);
		}
		resp_header(r, "Cache-Control", "no-store");
		rc = ui_render(r, "edit", c);
	}
	buf_free(&path);
	buf_free(&md);
	store_snap_close(&s);
	return rc;
}

/* Browsers send textarea text with CRLF line ends and no final newline; pages are stored
 * with LF and end with one (so that appended lines merge as appends, and git is happy). */
static char *
normalize_newlines(struct arena *a, const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *out = arena_alloc(a, n + 2), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			*o++ = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			*o++ = s[i];
		}
	}
	if (o > out && o[-1] != '\n')
		*o++ = '\n';
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}


int
ui_preview(struct req *r)
{
	const char *content = req_form(r, "content");
	struct snap s;
	size_t len;
	if (!content)
		return KN_EINVAL;
	content = normalize_newlines(r->a, content, &len);
	if (len > MAX_PAGE || !utf8_valid(content, len))
		return KN_EINVAL;
	int rc = store_snap_open(&s, r->st, NULL);
	if (rc < 0)
		return rc;
	/* The same renderer as the page view; front matter is not part of the preview. */
	const char *fm;
	size_t fm_len, body = page_split(content, len, &fm, &fm_len);
	struct render_ctx ctx = ui_render_ctx(r, &s);
	ctx.opts = RENDER_HIGHLIGHT;
	render_markdown(&r->out, content + body, len - body, &ctx);
	store_snap_close(&s);
	r->content_type = "text/html; charset=utf-8";
	resp_header(r, "Cache-Control", "no-store");
	return 0;
}


/* Is this line a conflict marker: seven `c` and the end or a blank (and a label)? */
static int
marker(const char *line, size_t len, char c)
{
	return len >= 7 && memcmp(line, (const char[]){ c, c, c, c, c, c, c }, 7) == 0 && (len == 7 || line[7] == ' ');
}

/* A diff3 merge as people read it: without the base's lines (from "||||||| base" up to
 * "======="), so each clash shows only the version saved meanwhile and the user's. */
static void
drop_base_lines(struct buf *out, const char *m, size_t n)
{
	enum { OUT, OURS, BASE, THEIRS } state = OUT;
	const char *p = m, *end = m + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t len = (size_t)((nl ? nl : end) - p);
		if (state == OUT && marker(p, len, '<'))
			state = OURS;
		else if (state == OURS && marker(p, len, '|'))
			state = BASE;
		else if (state == BASE && len == 7 && marker(p, len, '='))
			state = THEIRS;
		else if (state == THEIRS && marker(p, len, '>'))
			state = OUT;
		if (state != BASE)
			buf_put(out, p, (size_t)(next - p));
		p = next;
	}
}

/* `mine` (made from `old_base`) merged with `cur`, conflict markers around the lines that
 * clash, into `out` (appended). 0, or KN_EGIT when the merge itself failed. */
static int
merge_for_user(struct buf *out, struct req *r, const char *path, const char *old_base, const char *cur, size_t cur_len,
	       const char *mine, size_t mine_len)
{
	struct buf base = BUF_INIT, merged = BUF_INIT;
	struct snap at;
	int has_base = 0;
	if (*old_base && store_snap_open(&at, r->st, old_base) == 0) {
		has_base = store_read(&base, NULL, &at, path) == 0;
		store_snap_close(&at);
	}
	int rc = store_merge_text(&merged, has_base ? buf_cstr(&base) : NULL, base.len, cur, cur_len, mine, mine_len);
	if (rc == 0 || rc == KN_ECONFLICT) {
		drop_base_lines(out, merged.ptr ? merged.ptr : "", merged.len);
		rc = 0;
	}
	buf_free(&base);
	buf_free(&merged);
	return rc;
}

/* The user's edit could not be applied: give the form back with their text intact, merged
 * with the current version where the two agree, both versions beside it. */
static int
conflict_page(struct req *r, const char *name, const char *content, size_t len, const char *old_base)
{
	struct snap s;
	struct buf path = BUF_INIT, cur = BUF_INIT, merged = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int rc = store_snap_open(&s, r->st, NULL);
	if (rc < 0)
		return rc;
	git_oid_tostr(hex, sizeof(hex), &s.id);
	pagename_to_path(&path, name);
	int exists = store_read(&cur, NULL, &s, path.ptr) == 0;
	/* A page deleted meanwhile has nothing to merge with: the user's text as it is. */
	int merged_ok = exists && merge_for_user(&merged, r, path.ptr, old_base, buf_cstr(&cur), cur.len, content, len) == 0;
	/* The new base is the current tip: saving again is a deliberate choice by a user who
	 * has seen the other change. */
	struct tctx *c = edit_context(r, name, merged_ok ? buf_cstr(&merged) : content, hex, !exists);
	tset(c, "conflict", "1");
	tset(c, "current", buf_cstr(&cur));
	tset(c, "old_base", old_base);
	if (merged_ok) {
		tset(c, "merged", "1");
		tset(c, "mine", content);
	}
	log_info("save %s: changed since base %s, edit returned to the user", name, old_base);
	rc = ui_render_answer(r, KN_ECONFLICT, "edit", c);
	buf_free(&path);
	buf_free(&cur);
	buf_free(&merged);
	store_snap_close(&s);
	return rc;
}

int
ui_save(struct req *r)
{
	const char *name, *content = req_form(r, "content"), *base_hex = req_form(r, "base");
	const char *message = req_form(r, "message");
	git_oid base;
	size_t len;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (!content || !base_hex)
		return KN_EINVAL;
	content = normalize_newlines(r->a, content, &len);
	if (len > MAX_PAGE)
		return KN_ETOOBIG;
	if (!utf8_valid(content, len))
		return KN_EINVAL;
	if (*base_hex && (strlen(base_hex) != GIT_OID_HEXSZ || git_oid_fromstr(&base, base_hex) < 0))
		return KN_EINVAL;

	struct buf msg = BUF_INIT, path = BUF_INIT;
	if (message && *message && strlen(message) <= MAX_MESSAGE && utf8_valid(message, strlen(message)))
		buf_puts(&msg, message);
	else
		buf_printf(&msg, "Update %s", name);
	pagename_to_path(&path, name);
	struct store_edit edit = { path.ptr, content, len };
	struct store_author who = ui_author(r);
	git_oid out;
	int merged = 0;
	rc = store_commit_merge(&out, &merged, r->st, *base_hex ? &base : NULL, &edit, 1, &who, msg.ptr);
	if (rc == KN_ECONFLICT) {
		rc = conflict_page(r, name, content, len, base_hex);
	} else if (rc == 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &out);
		log_info("save %s by %s: commit %s%s", name, who.name, hex, merged ? " (merged)" : "");
		/* with merged=1 the page tells the user */
		rc = ui_redirect(r, arena_printf(r->a, "%s%s", ui_page_url(r, "/wiki/", name), merged ? "?merged=1" : ""));
	} else {
		log_error("save %s by %s: %s", name, who.name, kn_strerror(rc));
	}
	buf_free(&msg);
	buf_free(&path);
	return rc;
}
