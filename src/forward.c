/* forward.c: a write that reaches a replica goes to the primary: `kennis forward`, a CGI program streaming it there with libcurl. */
#include "forward.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster.h"
#include "replica.h"

#define FORWARD_HEADERS_MAX 64

/* Headers that belong to one connection (RFC 9110 7.6.1), that curl sets itself, or that
 * only nodes may send: never passed on. */
static int
hop_by_hop(const char *name)
{
	static const char *const drop[] = { "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
					    "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length",
					    "Expect", "X-Kennis-Replication", "X-Kennis-Forwarded", "X-Kennis-Client",
					    "X-Kennis-Epoch", "X-Kennis-Node" };
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (strcasecmp(name, drop[i]) == 0)
			return 1;
	return 0;
}

int
forward_prepare(struct req *r, const char *url, const char *raw_query, char ***argv_out, char ***envp_out)
{
	char to[CLUSTER_URL_MAX], token[CLUSTER_TOKEN_LEN + 1];
	if (!replica_forward_target(to, sizeof(to), token, sizeof(token))) {
		log_warn("%s %s from %s: no primary is known to forward it to", r->method, r->path, r->remote);
		return KN_EBUSY;
	}
	size_t nh = r->headers.n < FORWARD_HEADERS_MAX ? r->headers.n : FORWARD_HEADERS_MAX;
	char **env = arena_alloc(r->a, (nh + 16) * sizeof(char *));
	size_t n = 0, h = 0;
	const char *path = getenv("PATH");
	env[n++] = arena_printf(r->a, "PATH=%s", path ? path : "/usr/bin:/bin");
	env[n++] = arena_printf(r->a, "KENNIS_FORWARD_TO=%s", to);
	env[n++] = arena_printf(r->a, "KENNIS_FORWARD_TOKEN=%s", token);
	env[n++] = arena_printf(r->a, "KENNIS_FORWARD_CLIENT=%s", r->remote);
	env[n++] = arena_printf(r->a, "REQUEST_METHOD=%s", r->method);
	env[n++] = arena_printf(r->a, "REQUEST_URI=%s%s%s", url, raw_query && *raw_query ? "?" : "",
				raw_query ? raw_query : "");
	env[n++] = arena_strdup(r->a, "KENNIS_LOG_FD=3");
	for (size_t i = 0; i < r->headers.n && h < nh; i++) {
		const struct kv *kv = &r->headers.v[i];
		if (hop_by_hop(kv->key) || strpbrk(kv->key, "\r\n") || strpbrk(kv->val, "\r\n"))
			continue;
		env[n++] = arena_printf(r->a, "KENNIS_FORWARD_H%zu=%s: %s", h++, kv->key, kv->val);
	}
	const char *cl = req_header(r, "Content-Length"), *te = req_header(r, "Transfer-Encoding");
	if (cl)
		env[n++] = arena_printf(r->a, "CONTENT_LENGTH=%s", cl);
	else if (te && strcasecmp(te, "chunked") == 0)
		env[n++] = arena_strdup(r->a, "KENNIS_FORWARD_CHUNKED=1");
	env[n] = NULL;
	char **argv = arena_alloc(r->a, 3 * sizeof(char *));
	argv[0] = arena_strdup(r->a, r->cfg->self_exe);
	argv[1] = arena_strdup(r->a, "forward");
	*argv_out = argv;
	*envp_out = env;
	log_info("%s %s from %s: a write on a replica, forwarded to the primary %s", r->method, r->path, r->remote, to);
	return 0;
}

/* ---- the CGI program ---- */

struct fwd {
	long status;
	int headers_out; /* the CGI header block is written */
	struct curl_slist *keep; /* the primary's headers, until the block is complete */
	int failed_write;
};

static size_t
read_body(char *dst, size_t size, size_t nmemb, void *p)
{
	size_t n = fread(dst, 1, size * nmemb, stdin);
	return n;
}

static void
flush_headers(struct fwd *f)
{
	if (f->headers_out)
		return;
	printf("Status: %ld\r\n", f->status ? f->status : 502);
	for (struct curl_slist *s = f->keep; s; s = s->next)
		printf("%s\r\n", s->data);
	printf("\r\n");
	fflush(stdout);
	f->headers_out = 1;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *p)
{
	struct fwd *f = p;
	size_t n = size * nmemb, len = n;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', len);
		f->status = sp ? strtol(sp + 1, NULL, 10) : 502;
		curl_slist_free_all(f->keep); /* an interim answer's headers are not ours */
		f->keep = NULL;
		return n;
	}
	if (len == 0) {
		if (f->status >= 200)
			flush_headers(f);
		return n;
	}
	char h[8192];
	if (len >= sizeof(h))
		return n;
	memcpy(h, line, len);
	h[len] = '\0';
	char *colon = strchr(h, ':');
	if (!colon)
		return n;
	*colon = '\0';
	int drop = hop_by_hop(h);
	*colon = ':';
	if (!drop)
		f->keep = curl_slist_append(f->keep, h);
	return n;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *p)
{
	struct fwd *f = p;
	size_t n = size * nmemb;
	flush_headers(f);
	if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0) {
		f->failed_write = 1;
		return 0; /* the client went away */
	}
	return n;
}

int
forward_main(void)
{
	const char *to = getenv("KENNIS_FORWARD_TO"), *token = getenv("KENNIS_FORWARD_TOKEN");
	const char *client = getenv("KENNIS_FORWARD_CLIENT"), *method = getenv("REQUEST_METHOD");
	const char *uri = getenv("REQUEST_URI"), *cl = getenv("CONTENT_LENGTH");
	const char *fd = getenv("KENNIS_LOG_FD");
	char err[CURL_ERROR_SIZE] = "", url[CLUSTER_URL_MAX + 16384];
	struct fwd f = { 0 };
	if (fd && atoi(fd) > 2 && fcntl(atoi(fd), F_GETFD) != -1)
		log_set_fd(atoi(fd));
	if (!to || !token || !method || !uri || uri[0] != '/' || strlen(to) >= CLUSTER_URL_MAX || strlen(uri) >= 16000) {
		fputs("kennis forward: run by kennis serve on a replica, not by people\n", stderr);
		return 2;
	}
	snprintf(url, sizeof(url), "%s%s", to, uri);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char line[8192];
	for (int i = 0; i < FORWARD_HEADERS_MAX; i++) {
		char name[32];
		snprintf(name, sizeof(name), "KENNIS_FORWARD_H%d", i);
		const char *h = getenv(name);
		if (!h)
			break;
		hdrs = curl_slist_append(hdrs, h);
	}
	snprintf(line, sizeof(line), "X-Kennis-Forwarded: %s", token);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Kennis-Client: %s", client ? client : "");
	hdrs = curl_slist_append(hdrs, line);
	hdrs = curl_slist_append(hdrs, "Expect:");
	int body = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	if (getenv("KENNIS_FORWARD_CHUNKED"))
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* A push may wait a while for the primary's hooks and replicas: give up only on silence. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(c, CURLOPT_HTTP_TRANSFER_DECODING, 1L);
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, cl ? (curl_off_t)strtoll(cl, NULL, 10) : (curl_off_t)-1);
	}
	CURLcode rc = curl_easy_perform(c);
	int status = 0;
	if (rc != CURLE_OK && !f.headers_out && !f.failed_write) {
		log_warn("forward %s %s to the primary %s: %s", method, uri, to, err[0] ? err : curl_easy_strerror(rc));
		printf("Status: 503\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\r\n"
		       "This server is a replica and could not reach the primary to pass your change on (%s).\n"
		       "Nothing was changed by this request as far as this server knows; try again in a moment.\n",
		       err[0] ? err : curl_easy_strerror(rc));
	} else if (rc != CURLE_OK) {
		log_warn("forward %s %s to the primary %s: cut off mid-answer: %s", method, uri, to,
			 err[0] ? err : curl_easy_strerror(rc));
		status = 1;
	} else {
		flush_headers(&f);
	}
	fflush(stdout);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(f.keep);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return status;
}
