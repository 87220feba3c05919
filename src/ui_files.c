/* ui_files.c: attachments: upload into git next to a page, list, delete, serve safely. */
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "pagename.h"

/* How a type is served: inline only for types a browser cannot run script from. */
static const struct {
	const char *ext, *type;
	int is_inline;
} types[] = {
	{ "png", "image/png", 1 },        { "jpg", "image/jpeg", 1 },
	{ "jpeg", "image/jpeg", 1 },      { "gif", "image/gif", 1 },
	{ "webp", "image/webp", 1 },      { "pdf", "application/pdf", 1 },
	{ "txt", "text/plain; charset=utf-8", 1 },
	{ "csv", "text/csv; charset=utf-8", 1 },
	{ "svg", "image/svg+xml", 0 },    { "json", "application/json", 0 },
	{ "zip", "application/zip", 0 },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 0 },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 0 },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", 0 },
	{ "eml", "message/rfc822", 0 },
};

static const char *
extension(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* Is `ext` in the comma-separated allowed list? */
static int
allowed(const char *list, const char *ext)
{
	size_t n = strlen(ext);
	while (n && list && *list) {
		list += strspn(list, ", ");
		size_t len = strcspn(list, ", ");
		if (len == n && strncasecmp(list, ext, n) == 0)
			return 1;
		list += len;
	}
	return 0;
}

int
ui_file_serve(struct req *r, struct snap *s, const char *path)
{
	const char *ext = extension(path);
	const char *type = "application/octet-stream";
	int is_inline = 0;
	if (strcasecmp(ext, "md") == 0)
		return KN_ENOTFOUND;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(types[i].ext, ext) == 0) {
			type = types[i].type;
			is_inline = types[i].is_inline;
		}
	buf_reset(&r->out);
	int rc = store_read(&r->out, NULL, s, path);
	if (rc < 0)
		return rc;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	r->content_type = type;
	/* Anything a browser could run (HTML, SVG, unknown) is a download, and sandboxed even
	 * if opened: it never runs script in the wiki's origin. */
	resp_header(r, "Content-Disposition", arena_printf(r->a, "%s; filename=\"%s\"", is_inline ? "inline" : "attachment", base));
	resp_header(r, "Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
	resp_header(r, "Cache-Control", "no-cache");
	return 0;
}

static int
is_image(const char *name)
{
	const char *ext = extension(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(types[i].ext, ext) == 0)
			return types[i].is_inline && strncmp(types[i].type, "image/", 6) == 0;
	return 0;
}

void
ui_list_attachments(struct req *r, struct tctx *c, struct snap *s, const char *name)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	if (!s->tree || git_tree_entry_bypath(&e, s->tree, name) < 0)
		return;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE && git_tree_lookup(&t, s->st->repo, git_tree_entry_id(e)) == 0) {
		const char *leaf = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		for (size_t i = 0; i < git_tree_entrycount(t); i++) {
			const git_tree_entry *f = git_tree_entry_byindex(t, i);
			const char *fn = git_tree_entry_name(f);
			if (git_tree_entry_type(f) != GIT_OBJECT_BLOB || strcasecmp(extension(fn), "md") == 0)
				continue;
			struct tctx *it = tadd(c, "attachments");
			tset(c, "has_attachments", "1");
			tset(it, "file", fn);
			/* the Markdown to embed it from the page itself (relative to /wiki/Folder/) */
			tset(it, "embed", arena_printf(r->a, "%s(%s/%s)", is_image(fn) ? "![]" : "[file]", leaf, fn));
		}
	}
	git_tree_free(t);
	git_tree_entry_free(e);
}


/* Send the client back to the page's attachments (KN_SEE_OTHER). */
static int
back_to_page(struct req *r, const char *name)
{
	return ui_redirect(r, arena_printf(r->a, "%s#attachments", ui_page_url(r, "/wiki/", name)));
}

int
ui_upload(struct req *r)
{
	const char *name;
	struct buf path = BUF_INIT, file = BUF_INIT, msg = BUF_INIT;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (r->upload_too_big)
		return KN_ETOOBIG;
	if (!r->upload_path || !r->upload_name)
		return KN_EINVAL;
	/* Only the base name, blanks as '-', and then the same rules as page names. */
	const char *base = r->upload_name;
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (const char *p = base; *p; p++)
		buf_putc(&file, *p == ' ' ? '-' : *p);
	buf_printf(&path, "%s/%s", name, buf_cstr(&file));
	const char *ext = extension(file.ptr ? file.ptr : "");
	/* the push hook's rule for files, so an upload never makes what a push may not */
	const char *why = file.len ? pagename_path_problem(path.ptr, path.len) : "an empty name";
	if (why || !allowed(r->cfg->upload_types, ext)) {
		log_warn("upload %s: %s refused (%s)", name, r->upload_name,
			 why ? why : arena_printf(r->a, "type %s not allowed", ext));
		rc = KN_EINVAL;
		goto done;
	}
	buf_printf(&msg, "Attach %s to %s", buf_cstr(&file), name);
	struct store_edit edit = { .path = path.ptr, .from_file = r->upload_path };
	struct store_author who = ui_author(r);
	git_oid out, tip;
	/* A file of the same name is replaced (its old version stays in history). */
	struct snap s;
	if ((rc = store_snap_open(&s, r->st, NULL)) < 0)
		goto done;
	tip = s.id;
	store_snap_close(&s);
	rc = store_commit(&out, r->st, &tip, &edit, 1, &who, msg.ptr);
	if (rc == 0) {
		log_info("upload %s by %s: %s (%zu bytes)", name, who.name, path.ptr, r->upload_size);
		rc = back_to_page(r, name);
	}
done:
	buf_free(&path);
	buf_free(&file);
	buf_free(&msg);
	return rc;
}

int
ui_detach(struct req *r)
{
	const char *name, *file = req_form(r, "file");
	struct buf path = BUF_INIT, msg = BUF_INIT;
	struct snap s;
	git_oid id;
	int rc = ui_page_name(r, &name);
	if (rc < 0)
		return rc;
	if (!file || strchr(file, '/') || strcasecmp(extension(file), "md") == 0)
		return KN_EINVAL;
	buf_printf(&path, "%s/%s", name, file);
	if (pagename_check(path.ptr, path.len) < 0) {
		rc = KN_EINVAL;
		goto done;
	}
	if ((rc = store_snap_open(&s, r->st, NULL)) < 0)
		goto done;
	rc = store_blob_id(&id, &s, path.ptr);
	git_oid tip = s.id;
	store_snap_close(&s);
	if (rc < 0)
		goto done;
	buf_printf(&msg, "Remove attachment %s from %s", file, name);
	struct store_edit edit = { .path = path.ptr };
	struct store_author who = ui_author(r);
	git_oid out;
	/* base: the version just looked at; if the file changes meanwhile, nothing is removed */
	rc = store_commit(&out, r->st, &tip, &edit, 1, &who, msg.ptr);
	if (rc == 0) {
		log_info("detach %s by %s: %s", name, who.name, path.ptr);
		rc = back_to_page(r, name);
	}
done:
	buf_free(&path);
	buf_free(&msg);
	return rc;
}
