/* ui.h: HTML page handlers (ui_*.c) and the helpers they share. */
#ifndef KENNIS_UI_H
#define KENNIS_UI_H

#include "req.h"
#include "render.h"
#include "spaces.h"
#include "tmpl.h"

struct index;
struct index_scope;

/* Handlers fill r's body (and content type, headers) and return 0, a KN_ answer
 * (KN_SEE_OTHER, KN_NOT_MODIFIED) or a KN_ error: the router turns an error into its error
 * page, unless the handler made a page of its own for it (ui_render_answer), and gives
 * every answer its HTTP status. Handlers never set a status. */
int ui_home(struct req *r);
int ui_view(struct req *r);
int ui_raw(struct req *r);
int ui_edit(struct req *r);
int ui_save(struct req *r);
int ui_preview(struct req *r);
int ui_rename_form(struct req *r);
int ui_rename(struct req *r);
int ui_delete_form(struct req *r);
int ui_delete(struct req *r);
int ui_restore_form(struct req *r);
int ui_restore(struct req *r);
int ui_revert(struct req *r);
/* GET /deleted: the deleted pages (not renamed ones), the most recently deleted first, with
 * who deleted them, why, and a link to each one's restore page. */
int ui_deleted(struct req *r);
int ui_blame(struct req *r);
int ui_upload(struct req *r);
int ui_detach(struct req *r);
/* Serve the attachment at `path` of the snapshot (safe type and disposition). */
int ui_file_serve(struct req *r, struct snap *s, const char *path);
/* Put the attachments of page `name` (files in the folder of that name) into list
 * "attachments" of `c`. */
void ui_list_attachments(struct req *r, struct tctx *c, struct snap *s, const char *name);
int ui_history(struct req *r);
int ui_diff(struct req *r);
int ui_pages(struct req *r);
/* GET /complete?q=: page names for the editor's [[ autocomplete, as JSON. */
int ui_complete(struct req *r);
int ui_search(struct req *r);
int ui_wanted(struct req *r);
int ui_customers(struct req *r);
int ui_customer(struct req *r);
int ui_tags(struct req *r);
int ui_tag(struct req *r);
int ui_departments(struct req *r);
int ui_department(struct req *r);
int ui_stale(struct req *r);
int ui_recent(struct req *r);
int ui_feed(struct req *r);
/* "Who knows" a customer: the authors of the latest changes to its pages (git history),
 * most recent first, into list "knows" of `c`. */
void ui_who_knows(struct req *r, struct tctx *c, const char *customer);
int ui_orphans(struct req *r);
/* Put the pages linking to file `path` at commit `hex` into list "backlinks" of `c`. */
void ui_backlinks(struct req *r, struct tctx *c, const char *hex, const char *path);
int ui_static(struct req *r);
int ui_login_form(struct req *r);
int ui_login(struct req *r);
int ui_logout(struct req *r);
int ui_register_form(struct req *r);
int ui_register(struct req *r);
int ui_account(struct req *r);
int ui_account_post(struct req *r);
int ui_admin(struct req *r);
int ui_admin_post(struct req *r);
int ui_admin_spaces(struct req *r);
int ui_admin_spaces_post(struct req *r);
int ui_health(struct req *r);

/* A template context with the layout's common values (site name, page title). */
struct tctx *ui_context(struct req *r, const char *title);
/* The address of page `name` for route `prefix` ("/wiki/", "/edit/") in the request's
 * space: "/s/finance/wiki/Globex" (escaped, in the arena). */
const char *ui_page_url(struct req *r, const char *prefix, const char *name);
/* How pages of the request's space render: links checked in snapshot `s`, within the
 * space, [[space:Page]] to the spaces registered. */
struct render_ctx ui_render_ctx(struct req *r, struct snap *s);
/* The cache key of a rendering of `path` at commit `hex` in the request's space. */
const char *ui_render_key(struct req *r, const char *hex, const char *path);
/* The name of the request's space ("wiki" outside /s/NAME/). */
const char *ui_space_name(const struct req *r);
/* The address prefix of a page of space `space` in list item `it`: "pbase" ("" or
 * "/s/NAME"), and "lock_space" (the space's name) for a page outside the wiki. */
void ui_space_vars(struct req *r, struct tctx *it, const char *space);
/* Render template `name` as the response body (text/html). */
int ui_render(struct req *r, const char *name, struct tctx *c);
/* Render template `name` as the answer to `err` (0: as ui_render): a page of the handler's
 * own, such as a form with the user's input and why it came back, with the router's status
 * for `err`. Returns `err`, or the rendering's own error. */
int ui_render_answer(struct req *r, int err, const char *name, struct tctx *c);
/* Validate r->rest as a page name; KN_EINVAL when it is not one. */
int ui_page_name(struct req *r, const char **name);
/* Common values of every page about one wiki page: name, title, folder crumbs. */
void ui_page_vars(struct req *r, struct tctx *c, const char *name);
/* "2026-11-22 14:52 +0100" */
void ui_format_time(char *out, size_t n, int64_t t, int offset_min);
/* Today's date in UTC, "2026-11-22": what `review-by:` dates are compared with. */
void ui_today(char out[16]);
/* KN_NOT_MODIFIED when the client's If-None-Match has `etag` (the answer), else 0; sets
 * the ETag either way. */
int ui_not_modified(struct req *r, const char *etag);
/* `in` as one line: control bytes become blanks, bytes in `drop` go, blanks are trimmed,
 * at most `max` bytes. NULL when nothing is left or the result is not UTF-8. */
const char *ui_one_line(struct arena *a, const char *in, size_t max, const char *drop);
/* The author of a web change: the logged-in account; in an open wiki the form's optional
 * `author` field; else "Anonymous". */
struct store_author ui_author(struct req *r);
/* render_ctx.page_exists for a struct snap: is there a page `name` in it? */
int ui_page_exists(void *snap, const char *name);
/* Send the client to `location` (a path on this server): returns KN_SEE_OTHER, the
 * handler's answer (303 See Other). */
int ui_redirect(struct req *r, const char *location);
/* The derived index for this request (the one way a handler reaches it), caught up with
 * main at the first call of a request, so a push or an edit shows at once; when the
 * catch-up fails (logged) the index as it is answers. NULL when it cannot be opened. */
struct index *ui_index(struct req *r);
/* 0 when the index holds all of history (every view of history needs it); while a first
 * index is being built, the answer: a 503 page with Retry-After (KN_EBUSY). */
int ui_index_complete(struct req *r, struct index *ix);
/* What the viewer of this request may see of the index (every view query takes it). */
const struct index_scope *ui_scope(struct req *r);
/* The scope of the request's own space only (its pages, wanted pages, orphans). */
const struct index_scope *ui_scope_here(struct req *r);
/* The version to restore of deleted page file `path` at snapshot `s` (which lacks it):
 * from the index when it can tell (a short walk, or none for a page that never was), else
 * by walking history (manage_last_version). 0, KN_ENOTFOUND or KN_EGIT. */
int ui_last_version(struct req *r, git_oid *rev, struct snap *s, const char *path);

#endif
