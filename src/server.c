/* server.c: libmicrohttpd glue: builds a struct req, dispatches it, streams git requests. */
#include "server.h"
#include "search.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cache.h"
#include "access.h"
#include "cgi.h"
#include "conns.h"
#include "edge.h"
#include "fanout.h"
#include "forward.h"
#include "githttp.h"
#include "notify.h"
#include "replica.h"
#include "index.h"
#include "maintenance.h"
#include "slowpool.h"
#include "repos.h"
#include "reqspace.h"

enum conn_kind { CONN_WEB, CONN_GIT, CONN_GIT_REFUSED, CONN_UPLOAD };

#define UPLOAD_FIELDS 8
#define UPLOAD_FIELD_MAX 8192 /* bytes of a non-file field of an upload form */

/* Per-request state, from the first callback to the completion notice. */
struct conn {
	struct MHD_Connection *mc;
	enum conn_kind kind;
	struct arena *a;
	struct req r;
	struct buf body;
	int reject;        /* a KN_ error to answer with once the request is read (0: none) */
	const char *detail; /* why, for the answer (NULL: the error page's own words) */
	int answered;      /* an answer is queued already: the rest of the body is dropped */
	int input_closed;
	size_t body_bytes;
	size_t body_max;   /* a streamed body (git, forwarded) beyond this is refused (0: no limit) */
	struct replica_write rw; /* a push on the primary: sent on to the replicas (replica.c) */
	struct cgi *cgi;
	atomic_int slow;        /* a slow view: 1 running on the slow pool, 2 done (its answer is ready) */
	struct conns_entry *ce; /* the connection's deadlines (conns.c) */
	struct timespec start;
	/* multipart uploads: the file goes to a temporary file, other fields to memory */
	struct MHD_PostProcessor *pp;
	int up_fd;
	char up_path[4200];
	struct { const char *key; struct buf val; } fields[UPLOAD_FIELDS];
	int nfields;
};

#define DISCARD_MAX (8u << 20) /* bytes of an oversized form read and dropped */

static const struct config *cfg;
static struct conns *conns; /* open connections: limits and deadlines */
static int started; /* before the daemon runs, startup errors are ours to report */
static atomic_ulong served;

static enum MHD_Result
collect_kv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct conn *c = cls;
	struct kvlist *l = kind == MHD_HEADER_KIND ? &c->r.headers : &c->r.query;
	const char *k = key, *v = value ? value : "";
	if (kind == MHD_GET_ARGUMENT_KIND) {
		/* Arguments arrive raw (see unescape_none): decode them here, refusing NUL. */
		k = url_decode(c->a, key, strlen(key), 1);
		v = url_decode(c->a, v, strlen(v), 1);
		if (!k || !v) {
			c->reject = KN_EINVAL;
			return MHD_YES;
		}
	}
	kv_add(c->a, l, arena_strdup(c->a, k), arena_strdup(c->a, v));
	return MHD_YES;
}

/* Rebuild the raw query string (for the CGI environment) from the raw arguments. */
static enum MHD_Result
collect_raw_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct buf *q = cls;
	if (q->len)
		buf_putc(q, '&');
	buf_puts(q, key);
	if (value) {
		buf_putc(q, '=');
		buf_puts(q, value);
	}
	return MHD_YES;
}

/* libmicrohttpd's own unescaping turns %00 into a silent truncation; keep URLs raw and
 * decode them ourselves, refusing NUL bytes. */
static size_t
unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static const char *
peer_address(struct MHD_Connection *mc, struct arena *a)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[INET6_ADDRSTRLEN] = "?";
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, host, sizeof(host));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, host, sizeof(host));
	}
	return arena_strdup(a, host);
}

static struct conn *
conn_new(struct MHD_Connection *mc, const char *url, const char *method)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->mc = mc;
	c->a = arena_new();
	c->r.a = c->a;
	c->r.cfg = cfg;
	c->r.method = arena_strdup(c->a, strcmp(method, "HEAD") == 0 ? "GET" : method);
	c->r.remote = peer_address(mc, c->a);
	c->r.status = 200;
	c->up_fd = -1;
	c->r.path = url_decode(c->a, url, strlen(url), 0);
	if (!c->r.path || c->r.path[0] != '/') {
		/* refused (400); the raw address, which holds no NUL, says where for the log and
		 * the kind of answer (an API request gets JSON) */
		c->r.path = url[0] == '/' ? arena_strdup(c->a, url) : "/";
		c->reject = KN_EINVAL;
	}
	MHD_get_connection_values(mc, MHD_HEADER_KIND, collect_kv, c);
	MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, collect_kv, c);
	replica_trust_forwarded(&c->r); /* forwarded by another node: the client's address */
	return c;
}

/* The Content-Security-Policy of every response, made once at start (--img-src adds to
 * img-src; req_img_src_parse let nothing in that could end the directive). */
static char csp[1400];

static void
make_csp(const char *img_src)
{
	snprintf(csp, sizeof(csp),
		 "default-src 'none'; style-src 'self'; img-src 'self' data:%s%s; script-src 'self'; connect-src 'self'; "
		 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		 img_src ? " " : "", img_src ? img_src : "");
}

static void
add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static void
release_shared(void *v)
{
	cache_val_unref(v);
}

static enum MHD_Result
queue_req(struct conn *c)
{
	struct req *r = &c->r;
	size_t len = r->out.len;
	struct MHD_Response *resp;
	if (r->shared) {
		/* a cached page: its bytes go out as they are, the reference with them */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(r->shared_len, (void *)r->shared_body,
									      release_shared, r->shared);
		if (resp)
			r->shared = NULL;
	} else {
		resp = MHD_create_response_from_buffer(len, len ? buf_detach(&r->out) : (void *)"",
						       len ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	add_security_headers(resp);
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	for (size_t i = 0; i < r->resp_headers.n; i++)
		MHD_add_response_header(resp, r->resp_headers.v[i].key, r->resp_headers.v[i].val);
	enum MHD_Result ret = MHD_queue_response(c->mc, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answer with the error page of `err` (a KN_ code; the router says its status). */
static enum MHD_Result
queue_error(struct conn *c, int err)
{
	cache_val_unref(c->r.shared);
	c->r.shared = NULL;
	buf_reset(&c->r.out);
	error_page(&c->r, err, c->detail);
	if (err == KN_EAUTH && c->kind == CONN_GIT_REFUSED)
		resp_header(&c->r, "WWW-Authenticate", "Basic realm=\"kennis\", charset=\"UTF-8\"");
	return queue_req(c);
}

/* A request whose framing is ambiguous (edge.c): 400, and the connection is closed, so
 * nothing sent after it is ever read as a request. */
static enum MHD_Result
refuse_framing(struct conn *c, const char *why)
{
	conns_log(conns, c->r.remote, "%s %s from %s: %s, refused and closed", c->r.method, c->r.path, c->r.remote, why);
	c->answered = 1;
	buf_reset(&c->r.out);
	error_page(&c->r, KN_EINVAL, NULL);
	resp_header(&c->r, "Connection", "close"); /* after the error page, which starts the headers afresh */
	return queue_req(c);
}

/* ---- git: the connection is suspended whenever the CGI pump has nothing for it ---- */

static void
hook_suspend(void *p)
{
	MHD_suspend_connection(((struct conn *)p)->mc);
}

static void
hook_resume(void *p)
{
	MHD_resume_connection(((struct conn *)p)->mc);
}

static ssize_t
git_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct conn *c = cls;
	ssize_t n = cgi_read(c->cgi, out, max);
	if (n == -1) /* a push on the primary is done when the replicas asked for hold it */
		return replica_push_end(&c->rw) < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	if (n == -2)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

/* Who may do this git request? 0, or the error to answer (KN_EAUTH asks for credentials).
 * `service` is read from the very query string git gets, by git's rules (githttp.c). */
static int
git_permitted(struct conn *c, const char *raw_query, const char *space, int *may_write)
{
	struct req *r = &c->r;
	const char *service;
	*may_write = 0;
	if (githttp_service(raw_query, r->a, &service) < 0) {
		log_warn("git %s %s from %s: service given twice, or a %%00 in the query, refused", r->method, r->path,
			 r->remote);
		return KN_EINVAL;
	}
	int push = (service && strcmp(service, "git-receive-pack") == 0) || strstr(r->path, "/git-receive-pack");
	int node = replica_git_auth(r, space, push, may_write); /* another node of the cluster */
	if (node != 0)
		return node > 0 ? 0 : node;
	if (access_identify_basic(r) < 0)
		return KN_EAUTH;
	/* The same rule as the web (reqspace.c): the wiki by the roles, a space by its lists. A
	 * space one may not read is not there: 404 for an account, and for anonymous the same
	 * 401 whether it exists or not. */
	const struct space *sp = reqspace_readable(r, space);
	int may_read = sp != NULL;
	*may_write = sp && reqspace_may_write(r, sp);
	if (may_read && (!push || *may_write))
		return 0;
	log_warn("git %s %s from %s: %s may not %s space %s", r->method, r->path, r->remote,
		 r->user ? r->user->name : "anonymous", push ? "push to" : "read", space);
	/* Anonymous: 401, so that git asks for a name and a token (and the same whether the
	 * space exists or not). */
	if (!r->user)
		return KN_EAUTH;
	if (!may_read)
		return KN_ENOTFOUND;
	if (r->read_only)
		c->detail = "This token may only read (scope read): pushing needs a token of scope write "
			    "(kennis token add --scope write, or your account page).";
	else if (strcmp(space, SPACE_WIKI) == 0)
		c->detail = router_role_detail(r, push ? ROLE_EDITOR : ROLE_READER, push ? "Pushing" : "Reading this wiki");
	else
		c->detail = arena_printf(r->a, "Pushing to the space %s is for the people its write list names; you, %s, "
				     "may read it. Ask an admin to add you.", space, r->user->name);
	return KN_EFORBIDDEN;
}

/* Start git http-backend for this request: 0, or the KN_ error to answer. */
static int
git_begin(struct conn *c)
{
	struct buf q = BUF_INIT;
	char **argv, **envp;
	char space[64];
	const char *sub;
	int may_write = 0;
	MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, collect_raw_query, &q);
	int rc = githttp_split(c->r.path, space, sizeof(space), &sub);
	if (rc == 0)
		rc = git_permitted(c, buf_cstr(&q), space, &may_write);
	if (rc == 0)
		rc = githttp_prepare(&c->r, space, may_write, buf_cstr(&q), &argv, &envp);
	buf_free(&q);
	if (rc < 0)
		return rc;
	c->body_max = cfg->max_git_body;
	if (strcmp(sub, "/git-receive-pack") == 0)
		replica_write_begin(&c->rw, &c->r, c->r.path);
	struct cgi_hooks hooks = { hook_suspend, hook_resume, c };
	char spill_dir[4200];
	snprintf(spill_dir, sizeof(spill_dir), "%s/tmp", cfg->data_dir);
	if (cgi_start(&c->cgi, argv, envp, &hooks, spill_dir) < 0)
		return KN_EBUSY;
	return 0;
}

static enum MHD_Result
git_step(struct conn *c, const char *data, size_t *size)
{
	if (*size) {
		/* All of it: what git has not read yet waits in memory or a file, so the
		 * connection is never suspended while the body arrives. */
		c->body_bytes += *size;
		int refused = c->body_max && c->body_bytes > c->body_max ? KN_ETOOBIG : 0;
		if (!refused && cgi_write(c->cgi, data, *size) < 0)
			refused = KN_EBUSY;
		*size = 0;
		if (refused) {
			if (refused == KN_ETOOBIG)
				log_warn("git %s from %s: body over %zu bytes, refused", c->r.path, c->r.remote,
					 c->body_max);
			else
				log_error("git %s from %s: cannot queue the request body", c->r.path, c->r.remote);
			cgi_free(c->cgi);
			c->cgi = NULL;
			c->kind = CONN_WEB;
			return queue_error(c, refused);
		}
		return MHD_YES;
	}
	if (!c->input_closed) {
		cgi_close_input(c->cgi);
		c->input_closed = 1;
	}
	int status = 0;
	struct kvlist hdrs = { 0 };
	if (!cgi_headers(c->cgi, c->a, &status, &hdrs))
		return MHD_YES; /* suspended until the headers arrive */
	if (status == 502) {
		log_error("git %s: git http-backend gave no valid response", c->r.path);
		return queue_error(c, KN_EBACKEND);
	}
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, git_reader, c, NULL);
	if (!resp)
		return MHD_NO;
	for (size_t i = 0; i < hdrs.n; i++)
		MHD_add_response_header(resp, hdrs.v[i].key, hdrs.v[i].val);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	c->r.status = status;
	enum MHD_Result ret = MHD_queue_response(c->mc, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Who is asking, then the route table; 0, or the error to answer with. */
static int
route(struct conn *c)
{
	/* This worker thread's handle of the wiki's repository (libgit2 objects are not shared
	 * across threads); the router switches to a space's (reqspace_enter). */
	repos_request_begin();
	c->r.st = repos_get(cfg->git_dir);
	if (!c->r.st || access_identify_web(&c->r) < 0)
		return KN_EBUSY;
	struct replica_write w;
	replica_write_begin(&w, &c->r, c->r.path);
	router_dispatch(&c->r);
	replica_write_end(&w, &c->r); /* the primary: sent on to the replicas, maybe waited for */
	return 0;
}

/* A slow view on a thread of the slow pool; its connection waits suspended. */
static void
run_slow(void *arg, int cancelled)
{
	struct conn *c = arg;
	if (cancelled || route(c) < 0) { /* the server stops, or cannot serve it now */
		buf_reset(&c->r.out);
		error_page(&c->r, KN_EBUSY, NULL);
	}
	atomic_store(&c->slow, 2);
	MHD_resume_connection(c->mc);
}

/* A complete web request: who is asking, then the route table. A view that can take long
 * runs on the slow pool, so it never holds up this worker's other connections; when the
 * pool's queue is full, the answer is 503 with Retry-After. */
static enum MHD_Result
dispatch(struct conn *c)
{
	if (router_slow(c->r.method, c->r.path)) {
		atomic_store(&c->slow, 1);
		MHD_suspend_connection(c->mc);
		if (slowpool_submit(run_slow, c) == 0)
			return MHD_YES;
		MHD_resume_connection(c->mc);
		atomic_store(&c->slow, 0);
		log_warn("%s %s from %s: the slow views' queue is full: 503", c->r.method, c->r.path, c->r.remote);
		enum MHD_Result ret = queue_error(c, KN_EBUSY);
		return ret;
	}
	if (route(c) < 0)
		return queue_error(c, KN_EBUSY);
	return queue_req(c);
}

/* ---- uploads: multipart bodies streamed to a temporary file ---- */

static int
upload_field(struct conn *c, const char *key, const char *data, size_t size)
{
	int i;
	for (i = 0; i < c->nfields; i++)
		if (strcmp(c->fields[i].key, key) == 0)
			break;
	if (i == c->nfields) {
		if (c->nfields == UPLOAD_FIELDS)
			return -1;
		c->fields[c->nfields++].key = arena_strdup(c->a, key);
	}
	if (c->fields[i].val.len + size > UPLOAD_FIELD_MAX)
		return -1;
	buf_put(&c->fields[i].val, data, size);
	return 0;
}

static enum MHD_Result
upload_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename, const char *ctype,
	    const char *enc, const char *data, uint64_t off, size_t size)
{
	struct conn *c = cls;
	struct req *r = &c->r;
	if (strcmp(key, "file") != 0 || !filename)
		return upload_field(c, key, data, size) < 0 ? MHD_NO : MHD_YES;
	if (r->upload_name && strcmp(r->upload_name, filename) != 0)
		return MHD_YES; /* one file per upload: ignore others */
	if (!r->upload_name) {
		snprintf(c->up_path, sizeof(c->up_path), "%s/tmp/upload-XXXXXX", cfg->data_dir);
		c->up_fd = mkstemp(c->up_path);
		if (c->up_fd < 0) {
			log_error("upload %s: cannot create %s: %s", r->path, c->up_path, strerror(errno));
			c->up_path[0] = '\0';
			return MHD_NO;
		}
		r->upload_name = arena_strdup(c->a, filename);
		r->upload_type = arena_strdup(c->a, ctype ? ctype : "application/octet-stream");
	}
	if (r->upload_too_big || r->upload_size + size > cfg->max_file) {
		r->upload_too_big = 1; /* keep reading, to answer 413 cleanly */
		return MHD_YES;
	}
	for (size_t done = 0; done < size;) {
		ssize_t w = write(c->up_fd, data + done, size - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("upload %s: write %s: %s", r->path, c->up_path, strerror(errno));
			return MHD_NO;
		}
		done += (size_t)w;
	}
	r->upload_size += size;
	return MHD_YES;
}

static void
upload_cleanup(struct conn *c)
{
	if (c->pp)
		MHD_destroy_post_processor(c->pp);
	c->pp = NULL;
	if (c->up_fd >= 0)
		close(c->up_fd);
	c->up_fd = -1;
	if (c->up_path[0])
		unlink(c->up_path);
	c->up_path[0] = '\0';
	for (int i = 0; i < c->nfields; i++)
		buf_free(&c->fields[i].val);
	c->nfields = 0;
}

static enum MHD_Result upload_final(struct conn *c);

static enum MHD_Result
upload_step(struct conn *c, const char *data, size_t *size)
{
	if (*size) {
		c->body_bytes += *size;
		if (!c->reject && (c->body_bytes > cfg->max_file + (1u << 20) ||
				   MHD_post_process(c->pp, data, *size) != MHD_YES)) {
			log_warn("upload %s from %s: refused (%zu bytes so far)", c->r.path, c->r.remote, c->body_bytes);
			c->reject = c->body_bytes > cfg->max_file ? KN_ETOOBIG : KN_EINVAL;
		}
		*size = 0;
		return MHD_YES;
	}
	if (c->reject)
		return queue_error(c, c->reject);
	return upload_final(c);
}

/* ---- web requests ---- */

static enum MHD_Result
web_final(struct conn *c)
{
	struct req *r = &c->r;
	r->body = buf_cstr(&c->body);
	r->body_len = c->body.len;
	const char *ct = req_header(r, "Content-Type");
	if (c->body.len && ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
	    router_body(r->method, r->path) == BODY_FORM &&
	    form_parse(c->a, &r->form, c->body.ptr, c->body.len) < 0)
		return queue_error(c, KN_EINVAL);
	return dispatch(c);
}

static enum MHD_Result
upload_final(struct conn *c)
{
	struct req *r = &c->r;
	if (c->up_fd >= 0) {
		close(c->up_fd);
		c->up_fd = -1;
	}
	for (int i = 0; i < c->nfields; i++)
		kv_add(c->a, &r->form, c->fields[i].key, arena_strndup(c->a, buf_cstr(&c->fields[i].val), c->fields[i].val.len));
	r->upload_path = c->up_path[0] ? c->up_path : NULL;
	return dispatch(c);
}

/* ---- forwarded to the primary (a write reaching a replica): forward.c runs as the CGI ---- */

static const char *
forward_raw_query(struct conn *c)
{
	struct buf q = BUF_INIT;
	MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, collect_raw_query, &q);
	const char *s = arena_strdup(c->a, buf_cstr(&q));
	buf_free(&q);
	return s;
}

static int
forward_begin(struct conn *c, const char *url)
{
	char **argv, **envp;
	char spill_dir[4200];
	int rc = forward_prepare(&c->r, url, forward_raw_query(c), &argv, &envp);
	if (rc < 0)
		return rc;
	struct cgi_hooks hooks = { hook_suspend, hook_resume, c };
	snprintf(spill_dir, sizeof(spill_dir), "%s/tmp", cfg->data_dir);
	return cgi_start(&c->cgi, argv, envp, &hooks, spill_dir) < 0 ? KN_EBUSY : 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method, const char *version,
	   const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;
	if (!c) {
		/* First call: headers only. Answer on a later call (answering now would turn
		 * keep-alive off). */
		c = conn_new(mc, url, method);
		*con_cls = c;
		const union MHD_ConnectionInfo *sc = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		c->ce = sc ? sc->socket_context : NULL;
		conns_headers_done(conns, c->ce);
		const char *why;
		if (edge_check(version, &c->r.headers, &why) < 0)
			return refuse_framing(c, why);
		const char *cl = req_header(&c->r, "Content-Length");
		enum route_body body = router_body(c->r.method, c->r.path); /* a row of the route table */
		if (!c->reject && body != BODY_GIT && cl && strtoull(cl, NULL, 10) > cfg->max_form) {
			/* Refuse before the body is sent (the client may be waiting on 100-continue). */
			log_warn("%s %s from %s: body over %zu bytes, refused", method, url, c->r.remote, cfg->max_form);
			c->answered = 1;
			return queue_error(c, KN_ETOOBIG);
		}
		int fw = c->reject ? 0 : replica_forwards(&c->r, body == BODY_GIT, forward_raw_query(c));
		if (fw < 0) {
			c->answered = 1;
			return queue_error(c, fw);
		}
		if (fw > 0) { /* a replica: the primary answers this one (forward.c) */
			c->kind = CONN_GIT;
			c->body_max = body == BODY_GIT ? cfg->max_git_body : body == BODY_MULTIPART ? cfg->max_file + (1u << 20)
											    : cfg->max_form;
			c->reject = forward_begin(c, url);
			if (c->reject)
				c->kind = CONN_GIT_REFUSED;
			return MHD_YES;
		}
		if (!c->reject && body == BODY_MULTIPART) {
			c->kind = CONN_UPLOAD;
			c->pp = MHD_create_post_processor(mc, 64 * 1024, upload_iter, c);
			if (!c->pp) /* not multipart/form-data or urlencoded */
				c->reject = KN_EINVAL;
			if (cl && strtoull(cl, NULL, 10) > cfg->max_file + (1u << 20)) {
				log_warn("upload %s from %s: over %zu bytes, refused", url, c->r.remote, cfg->max_file);
				c->answered = 1;
				return queue_error(c, KN_ETOOBIG);
			}
			return MHD_YES;
		}
		if (!c->reject && body == BODY_GIT) {
			c->kind = CONN_GIT;
			c->reject = git_begin(c);
			if (c->reject)
				c->kind = CONN_GIT_REFUSED;
		}
		return MHD_YES;
	}
	if (*upload_data_size)
		conns_body(conns, c->ce, *upload_data_size);
	else
		conns_replying(conns, c->ce);
	if (c->kind == CONN_GIT)
		return git_step(c, upload_data, upload_data_size);
	if (c->kind == CONN_UPLOAD)
		return c->answered ? (*upload_data_size = 0, MHD_YES) : upload_step(c, upload_data, upload_data_size);
	if (c->kind == CONN_GIT_REFUSED) {
		if (*upload_data_size) {
			*upload_data_size = 0; /* a refused git body is read and dropped */
			return MHD_YES;
		}
		return queue_error(c, c->reject);
	}
	if (*upload_data_size) {
		c->body_bytes += *upload_data_size;
		if (!c->reject && c->body.len + *upload_data_size > cfg->max_form) {
			log_warn("%s %s from %s: body over %zu bytes, refused", method, c->r.path, c->r.remote, cfg->max_form);
			c->reject = KN_ETOOBIG;
			buf_free(&c->body);
		}
		/* An oversized body is read and dropped (so the client sees the 413 instead of a
		 * reset), up to a bound; past it the connection is cut. */
		if (c->reject == KN_ETOOBIG && !c->answered && c->body_bytes > cfg->max_form + DISCARD_MAX) {
			*upload_data_size = 0;
			c->answered = 1;
			return queue_error(c, KN_ETOOBIG);
		}
		if (!c->reject)
			buf_put(&c->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (atomic_load(&c->slow) == 2) {
		atomic_store(&c->slow, 0);
		return queue_req(c); /* resumed: the slow view's answer */
	}
	if (atomic_load(&c->slow) == 1 || c->answered)
		return MHD_YES; /* still running; or already answered */
	if (c->reject)
		return queue_error(c, c->reject);
	return web_final(c);
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;
	if (!c)
		return;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ms = (double)(end.tv_sec - c->start.tv_sec) * 1e3 + (double)(end.tv_nsec - c->start.tv_nsec) / 1e6;
	log_info("%s %s %d %.1fms %s%s", c->r.method, c->r.path, c->r.status, ms, c->r.remote,
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	/* A POST (PUT, DELETE) may have made a commit (a save, a rename, a push): the fan-out
	 * looks now. */
	if (strcmp(c->r.method, "GET") != 0 && c->r.status < 400)
		fanout_wake();
	conns_idle(conns, c->ce);
	cgi_free(c->cgi);
	upload_cleanup(c);
	buf_free(&c->body);
	buf_free(&c->r.out);
	cache_val_unref(c->r.shared);
	arena_free(c->a);
	free(c);
	*con_cls = NULL;
	unsigned long n = atomic_fetch_add(&served, 1) + 1;
	if (cfg->exit_after && n == cfg->exit_after)
		kill(getpid(), SIGTERM);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (!started)
		return;
	struct buf b = BUF_INIT;
	buf_vprintf(&b, fmt, ap);
	while (b.len && b.ptr[b.len - 1] == '\n')
		b.ptr[--b.len] = '\0';
	conns_log(conns, NULL, "http: %s", buf_cstr(&b)); /* clients can make these by the thousand */
	buf_free(&b);
}

/* Accept policy: the per-address and total limits, with the refusals logged (libmicrohttpd's
 * own limits log without the address). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	return conns_admit(conns, sa) == 0 ? MHD_YES : MHD_NO;
}

/* Connections enter the registry when they open and leave it before their socket is closed
 * (libmicrohttpd notifies "closed" first), so a deadline never cuts a reused descriptor. */
static void
on_connection(void *cls, struct MHD_Connection *mc, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		*socket_context = fd ? conns_open(conns, fd->connect_fd, ad ? ad->client_addr : NULL) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_close(conns, *socket_context);
		*socket_context = NULL;
	}
}

static int
parse_listen(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	return inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) == 1 ? 0 : -1;
}

/* The fan-out thread (commits into notices, mails and webhook calls) and the senders that
 * deliver them; neither keeps a request waiting. */
static void
start_notifications(const struct config *c, const char *listen_url)
{
	static char from[300];
	if (c->mail_from) {
		snprintf(from, sizeof(from), "%s", c->mail_from);
	} else {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		snprintf(from, sizeof(from), "kennis@%s", host);
	}
	struct notify_settings ns = { c->data_dir, c->db_url, { c->smtp_url, c->smtp_user, c->smtp_password, from },
				      c->webhook_private, 2 };
	struct fanout_settings fs = { c->data_dir, c->db_url, c->base_url ? c->base_url : listen_url, c->smtp_url != NULL,
				      c->digest_minute, 0 };
	static char base[4200];
	snprintf(base, sizeof(base), "%s", fs.base_url);
	fs.base_url = base;
	if (!c->smtp_url)
		log_info("no --smtp: watchers follow in their feed (/feed/watching); no mail is sent");
	if (notify_start(&ns) < 0)
		log_error("notifications do not run: webhooks and mails wait in the queue");
	/* The fan-out runs on the primary only (a node that becomes the primary starts it). */
	replica_start(c, listen_url, &fs);
}

int
server_run(const struct config *config)
{
	struct sockaddr_in sa;
	sigset_t sigs;
	int sig = 0;

	cfg = config;
	make_csp(cfg->img_src);
	if (parse_listen(cfg->listen, &sa) < 0) {
		fprintf(stderr, "kennis: bad --listen address '%s' (want HOST:PORT)\n", cfg->listen);
		return 1;
	}
	/* Signals are taken by sigwait below; every thread started from here blocks them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* uploads are spooled here, on the repository's file system */
	char tmpdir[4200];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", cfg->data_dir);
	if (mkdir(tmpdir, 0700) < 0 && errno != EEXIST)
		log_warn("cannot create %s: %s (uploads will fail)", tmpdir, strerror(errno));
	cache_configure(cfg->cache_bytes);
	search_configure_cache(cfg->search_cache_bytes);
	access_global_init();

	struct conns_limits lim = { cfg->max_conns, cfg->per_ip, cfg->header_timeout * 1000, cfg->min_rate };
	if (!lim.max_total)
		lim.max_total = conns_fd_budget(cfg->threads);
	if (lim.per_addr >= lim.max_total) /* one address must never fill the server */
		lim.per_addr = lim.max_total / 2 ? lim.max_total / 2 : 1;
	conns = conns_new(&lim);
	if (conns_start(conns) < 0) {
		fprintf(stderr, "kennis: cannot start a thread\n");
		conns_free(conns);
		conns = NULL;
		return 1;
	}

	/* as many threads for slow views as workers, and room for 64 waiting */
	if (slowpool_start(cfg->threads, 64) < 0) {
		fprintf(stderr, "kennis: cannot start a thread\n");
		conns_free(conns);
		conns = NULL;
		return 1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	/* libmicrohttpd's own limits only back ours up (on_accept counts with the address and
	 * logs it); its total is split among the threads, so leave room for an uneven split. */
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, on_accept, NULL, on_request, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_CONNECTION_LIMIT, lim.max_total + lim.max_total / 4 + cfg->threads,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim.per_addr + cfg->threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
		MHD_OPTION_END);
	if (!d) {
		int e = errno;
		slowpool_stop();
		fprintf(stderr, "kennis: cannot listen on %s: %s\n", cfg->listen,
			e ? strerror(e) : "address in use or not available");
		conns_free(conns);
		conns = NULL;
		return 1;
	}
	started = 1;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char url[64];
	snprintf(url, sizeof(url), "http://%s:%u", sa.sin_addr.s_addr == htonl(INADDR_ANY) ? "127.0.0.1" : inet_ntoa(sa.sin_addr),
		 di ? di->port : ntohs(sa.sin_port));
	/* Only now is the port known (--listen HOST:0); nobody can have it before this line. */
	req_set_listen_url(url);
	if (!cfg->base_url && (sa.sin_addr.s_addr == htonl(INADDR_ANY) || cfg->behind_tls))
		log_warn("no --base-url: feeds link to %s; set it to the address people use", url);
	start_notifications(cfg, url); /* before the first request: a primary's role is settled */
	printf("kennis: serving %s on %s/\n", cfg->data_dir, url);
	fflush(stdout);
	/* Only now the index: the server answers while it catches up (a first index of a big
	 * wiki takes minutes; docs/scale.md). */
	indexer_start(cfg);
	maintenance_start(cfg->git_dir, cfg->repack_loose, cfg->repack_check);
	log_info("listening on %s, %u threads; at most %u connections, %u per address; a header block "
		 "within %u s, a request body at %u bytes/s or more", cfg->listen, cfg->threads, lim.max_total,
		 lim.per_addr, cfg->header_timeout, cfg->min_rate);
	sigwait(&sigs, &sig);
	log_info("signal %d: shutting down", sig);
	slowpool_stop(); /* its connections resumed: libmicrohttpd stops none suspended */
	MHD_stop_daemon(d);
	replica_stop();
	notify_stop();
	maintenance_stop();
	indexer_stop();
	conns_free(conns); /* every connection has closed: the registry is empty */
	conns = NULL;
	cache_release();
	reqspace_release();
	return 0;
}
