/* req.h: one HTTP request and its response, independent of libmicrohttpd (handlers and
 * tests use only this). */
#ifndef KENNIS_REQ_H
#define KENNIS_REQ_H

#include "config.h"
#include "kennis.h"
#include "store.h"

struct kv {
	const char *key, *val;
};

struct kvlist {
	struct kv *v;
	size_t n, cap;
};

struct user;
struct cache_val;

struct req {
	struct arena *a;
	const struct config *cfg;
	struct store *st;       /* this worker thread's repository */
	const char *method;
	const char *path;       /* percent-decoded, starts with '/' */
	const char *rest;       /* the part of path after the route's prefix */
	const char *remote;     /* client address */
	const struct user *user; /* logged in (session, token or proxy), or NULL */
	int role;               /* what this request may do (enum role), anonymous included */
	const char *csrf;       /* the session's CSRF token, or NULL */
	int read_only;          /* identified by a token of scope read: it may change nothing,
				 * whatever the user's role and the spaces' write lists say */
	int open_mode;          /* no accounts exist yet: everyone may read and edit */
	/* The space the page routes work in (reqspace.c): NULL for the wiki until the router
	 * enters /s/NAME/..., with `base` the prefix of its addresses ("" or "/s/NAME"). */
	const struct space *space;
	const char *base;
	struct reqspaces *spaces; /* the registry and the viewer's rights, loaded on first use */
	int index_ready;        /* the index was caught up with main in this request */
	int index_behind;       /* ... or it was not there yet: what it says is not kept */
	int index_nowait;       /* set by a handler: answer from the index as it is, never wait */
	struct kvlist query, headers, form;
	const char *body;
	size_t body_len;
	/* a file from a multipart upload, spooled to disk (server.c removes it afterwards) */
	const char *upload_path, *upload_name, *upload_type;
	size_t upload_size;
	int upload_too_big;

	/* response */
	int status;             /* set by the router from the handler's answer (and by server.c for git) */
	int own_page;           /* the handler's error comes with a page of its own (ui_render_answer) */
	const char *content_type;
	struct kvlist resp_headers;
	struct buf out;
	/* Or the body as bytes shared with the page cache (a cached view), sent without a
	 * copy: the request holds a reference, which server.c hands to libmicrohttpd. */
	struct cache_val *shared;
	const char *shared_body; /* the body's bytes inside it */
	size_t shared_len;
};

void kv_add(struct arena *a, struct kvlist *l, const char *key, const char *val);
/* First value of `key` (case-insensitive for headers), or NULL. */
const char *kv_get(const struct kvlist *l, const char *key);
size_t kv_count(const struct kvlist *l, const char *key);

#define req_query(r, k) kv_get(&(r)->query, (k))
#define req_header(r, k) kv_get(&(r)->headers, (k))
#define req_form(r, k) kv_get(&(r)->form, (k))
void resp_header(struct req *r, const char *key, const char *val);

/* Percent-decode [s, s+n) into the arena; '+' means ' ' when `plus`. NULL when the result
 * would hold a NUL byte or a malformed escape (hostile input). */
char *url_decode(struct arena *a, const char *s, size_t n, int plus);
/* Parse an application/x-www-form-urlencoded string into `l`; KN_EINVAL on bad encoding. */
int form_parse(struct arena *a, struct kvlist *l, const char *s, size_t n);

/* Check and normalise a --base-url: "http://" or "https://", a host (DNS name, IPv4, or
 * [IPv6]), an optional port, an optional final "/", nothing else (no user, path, query or
 * fragment: kennis serves from "/", and a path would make every absolute link wrong).
 * Returns a malloc'd copy, scheme and host lowercased, without the final "/" (so base +
 * "/path" never has "//"); NULL with *why set when `s` is not acceptable. */
char *req_base_url_parse(const char *s, const char **why);

/* Check and normalise an --img-src: sources of images from other sites, added to the
 * Content-Security-Policy's img-src: scheme sources ("https:") and host sources
 * ("cdn.example.com", "*.example.org", "https://img.example.org:8443/img/", "*"),
 * separated by blanks or commas. Nothing in quotes ('unsafe-inline', nonces, hashes), no
 * ';' or other bytes that could end the directive and start another. Returns a malloc'd
 * copy with the sources one blank apart; NULL with *why set when `s` is not acceptable. */
char *req_img_src_parse(const char *s, const char **why);

/* The listen address as a URL ("http://127.0.0.1:8080"), set by server.c once it knows the
 * port; the base of absolute URLs when no --base-url is given. Copied. */
void req_set_listen_url(const char *url);

/* The base of absolute URLs for this request: cfg->base_url, else the listen URL. Never
 * the Host header, which the client chooses (issue 15). Never ends in '/'. */
const char *req_base_url(const struct req *r);

/* Base URL + `path` (starting with '/', already escaped) in r's arena: "https://wiki/x". */
char *req_abs_url(struct req *r, const char *path);


/* How the route of `method` `path` takes the request's body, for server.c before the body
 * arrives. */
enum route_body {
	BODY_FORM,      /* kept in memory (at most --max-form) and parsed as a form */
	BODY_MULTIPART, /* a multipart upload: the file to a temporary file (server.c) */
	BODY_GIT,       /* streamed to git http-backend (server.c, githttp.c, cgi.c) */
	BODY_JSON,      /* the API: kept in memory (at most --max-form), never parsed as a form */
};
enum route_body router_body(const char *method, const char *path);
/* Can the route of `method` `path` take long (server.c runs it apart from its workers)? */
int router_slow(const char *method, const char *path);
/* Is `path` under a space, "/s/NAME/..." (1) or "/s/NAME.git..." (2)? NAME into `name`,
 * *rest what follows it ("/wiki/X", "/info/refs", or ""). 0 not a space path, -1 a bad
 * one (empty or too long a name). */
int router_space_path(const char *path, char *name, size_t n, const char **rest);

/* Route the request: permission, handler, and the answer's status, content type and body.
 * Called by server.c and tests. */
void router_dispatch(struct req *r);

/* The HTTP status of a handler's answer `rc`: 0 (its page), a KN_ answer or a KN_ error.
 * The one place codes become statuses. */
int router_status(int rc);

/* Fill `r` with the HTML error page for `err` (a KN_ code), its status, and a log line; a
 * git request (a BODY_GIT route) gets the same as text/plain lines, which git shows. */
void error_page(struct req *r, int err, const char *detail);

/* Why logged-in `r` may not do `what` ("Pushing"): the role it needs, the user's role, and
 * the admins to ask (names from the accounts), in two lines; in r's arena. Only for a
 * logged-in user: anonymous refusals name nobody (docs/security.md). */
const char *router_role_detail(struct req *r, int need, const char *what);

#endif
