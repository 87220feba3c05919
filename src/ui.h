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
/* Atom feeds, from templates/feed.xml: the feed (`id`, `self` and `alternate` are paths, made
 * absolute with the base URL), its entries (`link` a path), and the answer. Text is made
 * fit for XML (no control bytes, valid UTF-8); the template escapes it. */
struct tctx *ui_feed_context(struct req *r, const char *title, const char *id, const char *self, const char *alternate,
			     int64_t updated);
void ui_feed_entry(struct req *r, struct tctx *feed, const char *title, const char *id, const char *link,
		   int64_t updated, const char *author, const char *summary);
int ui_feed_render(struct req *r, struct tctx *feed);
/* A change to a page, as recent changes, feeds and "who knows" see it. */
struct ui_change {
	char hex[GIT_OID_HEXSZ + 1];
	const char *space; /* the page's space */
	const char *name, *author, *summary;
	int64_t time;
	int offset;        /* minutes east of UTC */
	char kind;         /* 'A', 'M', 'D' */
};

struct ui_changes {
	struct ui_change *v;
	size_t n;
};

#define UI_RECENT_MAX 50 /* changes one list holds */

/* The newest page changes, at most UI_RECENT_MAX, newest first, from the history of every
 * space the viewer may read (of the request's space alone under /s/NAME/): all of them
 * (`kind` NULL), of one page of the request's space (`kind` "page", `value` its name), or
 * of the pages of customer, tag or department `value` (`kind` "customer", "tag",
 * "department"). *label names the selection (NULL for all). Strings in r's arena. 0,
 * KN_EINVAL (a bad kind or value), KN_EIO, KN_EGIT. */
int ui_changes(struct ui_changes *out, struct req *r, const char *kind, const char *value, const char **label);

/* "Who knows" a customer: the authors of the latest changes to its pages (git history),
 * most recent first, each once, with how many of those changes are theirs. */
struct ui_knower {
	const char *who;
	int64_t time; /* their latest change */
	int offset;
	size_t pages;
};

struct ui_knowers {
	struct ui_knower *v;
	size_t n;
};

int ui_knowers(struct ui_knowers *out, struct req *r, const char *customer);
/* The same into list "knows" of `c` (the customer page). */
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
/* GET /admin/replicas: the nodes, their heartbeats, how far each is behind (replica.c). */
int ui_admin_replicas(struct req *r);
int ui_admin_spaces(struct req *r);
int ui_admin_spaces_post(struct req *r);
int ui_admin_webhooks(struct req *r);
int ui_admin_webhooks_post(struct req *r);
int ui_health(struct req *r);
/* ui_watch.c: following (watches), the watching feed, unsubscribe links */
int ui_watch(struct req *r);
int ui_watch_post(struct req *r);
int ui_watching(struct req *r);
int ui_watching_post(struct req *r);
int ui_feed_watching(struct req *r);
int ui_unsubscribe(struct req *r);
int ui_unsubscribe_post(struct req *r);

#define UI_PAGE_MAX (1u << 20) /* bytes of Markdown a page saved from the web or the API may have */

/* What saving a page's text did (ui_save_page). Strings live in the request's arena. */
struct ui_save_result {
	const char *text;              /* the text as saved: LF line ends, a final newline */
	size_t len;
	char commit[GIT_OID_HEXSZ + 1]; /* the new commit (the tip when the text was the same) */
	int merged;                    /* a change saved meanwhile was merged in */
	int created;                   /* the page was not there before */
	/* on KN_ECONFLICT: the page at the tip now, and the text merged with it */
	char tip[GIT_OID_HEXSZ + 1];
	int exists;                    /* the page is at the tip (else it was deleted meanwhile) */
	const char *current;           /* its text ("" when it is not there) */
	size_t current_len;
	const char *merged_text;       /* conflict markers around only the lines that clash; NULL
				        * when there is nothing to merge with */
};

/* Save `content` as page `name` of the request's space, by the request's author: the one way
 * the edit form (ui_save) and the API (PUT /api/v1/pages/…) write a page. `base_hex` is the
 * commit the text was made from ("" or NULL: the page is meant to be new); when main moved
 * meanwhile the change is three-way merged (store_commit_merge). `message` NULL, empty or
 * unfit (too long, not UTF-8): "Update NAME". Returns 0, KN_EINVAL (the text is not UTF-8,
 * a malformed base), KN_ETOOBIG (over UI_PAGE_MAX), KN_ECONFLICT (nothing written; `res`
 * holds the current text and the merge), or a store error (logged). */
int ui_save_page(struct req *r, const char *name, const char *content, const char *base_hex, const char *message,
		 struct ui_save_result *res);

/* Page (or frame) file `path` at commit `hex` rendered to safe HTML, with heading anchors
 * and colours; `toc` (NULL: not wanted) gets its table of contents or NULL. Cached by
 * commit and file (ui_render_key), so the page view and the API render a page once. In r's
 * arena. */
char *ui_page_html(struct req *r, struct snap *s, const char *hex, const char *path, const char *md, size_t len,
		   const char **toc);
/* The customer an address names: "Acme-Corp" and "Acme Corp" both mean "Acme Corp". */
const char *ui_customer_name(struct arena *a, const char *in);

/* What renaming a page did (ui_rename_page); strings in the request's arena. */
struct ui_rename_result {
	const char *new_name;           /* the name in link form (NULL when `to` was not a name) */
	const char *space;              /* the space it is in now */
	char commit[GIT_OID_HEXSZ + 1]; /* the commit that put it there */
	size_t npages;                  /* other pages whose links were rewritten (same space) */
	int same;                       /* KN_EINVAL because `to` is its name already */
};

/* Rename page `name` of the request's space to `to` (a title or a name: its link form is
 * the new name), or move it into space `to_space` (NULL, "" or its own: a rename), by the
 * request's author, as of commit `base` (the page must be unchanged since; NULL: no check):
 * the one way the rename form and the API do it. 0; KN_EINVAL (not a name, or the same);
 * KN_EFORBIDDEN (may not write `to_space`, or cannot read it); KN_EEXISTS (the name is
 * taken); KN_ECONFLICT (the page changed since `base`); KN_ENOTFOUND; a store error. */
int ui_rename_page(struct req *r, const char *name, const char *to, const char *to_space, const git_oid *base,
		   const char *message, struct ui_rename_result *res);

/* A template context with the layout's common values (site name, page title). */
struct tctx *ui_context(struct req *r, const char *title);
/* The address of page `name` for route `prefix` ("/wiki/", "/edit/") in the request's
 * space: "/s/finance/wiki/Globex" (escaped, in the arena). */
const char *ui_page_url(struct req *r, const char *prefix, const char *name);
/* How file `from` ("Folder/Page.md", a frame's "Folder/_Sidebar.md"; NULL: a text of no
 * folder) of the request's space renders: wiki links found from it in snapshot `s` as
 * GitHub wikis find pages (links.c), within the space; [[space:Page]] to the spaces
 * registered; relative URLs from its folder's address. */
struct render_ctx ui_render_ctx(struct req *r, struct snap *s, const char *from);
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
/* Is `next` a path of this site (not "//host", no backslash or control byte)? */
int ui_local_path(const char *next);
/* A text being rendered for the web: the page file it is (`from`, "Folder/Page.md", or a
 * frame's "Folder/_Sidebar.md"; NULL: none) in snapshot `s`. */
struct ui_linking {
	struct snap *s;
	const char *from;
};
/* render_ctx.resolve for a struct ui_linking: the page a wiki link leads to (links.c). */
int ui_link_resolve(void *linking, const char *name, struct buf *out);
/* render_ctx.base for file `path` ("Folder/Page.md") in the request's space:
 * "/wiki/Folder/" ("/s/NAME/wiki/Folder/"), percent-encoded (in the arena). */
const char *ui_link_base(struct req *r, const char *path);
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
