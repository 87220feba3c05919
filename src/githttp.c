/* githttp.c: map a /wiki.git/ request onto the CGI environment of `git http-backend`. */
#include "githttp.h"

#include "auth.h"
#include "locks.h"
#include "spaces.h"

#include <stdlib.h>
#include <string.h>

#ifndef GIT_HTTP_BACKEND
#define GIT_HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
#endif

static void
env_add(struct req *r, struct kvlist *env, const char *key, const char *val)
{
	if (val)
		kv_add(r->a, env, key, arena_printf(r->a, "%s=%s", key, val));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One name or value of a query, decoded as git's url_decode_internal (url.c) does: it ends
 * at the first byte of `stop` (which is skipped) or at the end, '+' is a space, and "%XX"
 * is that byte when both digits are hex (else the '%' stays). %00 is refused: git versions
 * differ on it (old ones decode it and then truncate at the NUL). 0 or KN_EINVAL. */
static int
git_decode(struct buf *out, const char **query, const char *stop)
{
	const char *q = *query;
	int rc = 0;
	buf_reset(out);
	for (; *q; q++) {
		if (strchr(stop, *q)) {
			q++;
			break;
		}
		int hi = *q == '%' ? hexval((unsigned char)q[1]) : -1;
		int lo = hi >= 0 ? hexval((unsigned char)q[2]) : -1;
		if (lo >= 0) {
			if (hi == 0 && lo == 0)
				rc = KN_EINVAL;
			buf_putc(out, hi << 4 | lo);
			q += 2;
		} else {
			buf_putc(out, *q == '+' ? ' ' : *q);
		}
	}
	*query = q;
	return rc;
}

int
githttp_service(const char *raw_query, struct arena *a, const char **service)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	const char *q = raw_query ? raw_query : "";
	int rc = 0, seen = 0;
	*service = NULL;
	/* git http-backend's get_parameters(): name up to '&' or '=', then the value up to '&';
	 * so "service&git-receive-pack" is service=git-receive-pack to git, and so to us. */
	while (rc == 0 && *q) {
		if (git_decode(&name, &q, "&=") < 0 || git_decode(&value, &q, "&") < 0)
			rc = KN_EINVAL;
		else if (strcmp(buf_cstr(&name), "service") == 0 && seen++)
			rc = KN_EINVAL; /* git takes the last, a naive reader the first: refuse both */
		else if (strcmp(buf_cstr(&name), "service") == 0)
			*service = arena_strdup(a, buf_cstr(&value));
	}
	if (rc < 0)
		*service = NULL;
	buf_free(&name);
	buf_free(&value);
	return rc;
}

int
githttp_split(const char *path, char *space, size_t n, const char **sub)
{
	const char *rest;
	size_t gl = strlen(GIT_PREFIX) - 1; /* "/wiki.git" */
	if (strncmp(path, GIT_PREFIX, gl) == 0 && (path[gl] == '/' || !path[gl])) {
		snprintf(space, n, "wiki");
		*sub = path + strlen(GIT_PREFIX) - 1;
		return 0;
	}
	if (router_space_path(path, space, n, &rest) == 2 && space_name_check(space, 0) == 0) {
		*sub = rest;
		return 0;
	}
	return KN_ENOTFOUND;
}

int
githttp_prepare(struct req *r, const char *space, int may_write, const char *raw_query, char ***argv_out,
		char ***envp_out)
{
	const char *service, *sub;
	char name[64], gitdir[4200];
	int is_get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;

	if (githttp_split(r->path, name, sizeof(name), &sub) < 0 || strcmp(name, space) != 0)
		return KN_ENOTFOUND;
	space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, space);
	if (githttp_service(raw_query, r->a, &service) < 0)
		return KN_EINVAL;
	/* Only the smart protocol: no dumb file access into the repository. */
	if (strcmp(sub, "/info/refs") == 0) {
		if (!is_get || !service)
			return KN_ENOTFOUND;
		if (strcmp(service, "git-upload-pack") != 0 && strcmp(service, "git-receive-pack") != 0)
			return KN_EINVAL;
	} else if (strcmp(sub, "/git-upload-pack") == 0 || strcmp(sub, "/git-receive-pack") == 0) {
		if (strcmp(r->method, "POST") != 0)
			return KN_EINVAL;
		/* A push updates refs: a lock a dead writer left would fail it ("failed to update
		 * ref") after git's 5 s wait. */
		if (strcmp(sub, "/git-receive-pack") == 0)
			locks_unstick(gitdir, "push");
	} else {
		return KN_ENOTFOUND;
	}

	struct kvlist env = { 0 };
	env_add(r, &env, "GIT_PROJECT_ROOT", r->cfg->data_dir);
	env_add(r, &env, "GIT_HTTP_EXPORT_ALL", "1");
	env_add(r, &env, "PATH_INFO", strcmp(space, "wiki") == 0 ? arena_printf(r->a, "/wiki.git%s", sub)
								 : arena_printf(r->a, "/spaces/%s.git%s", space, sub));
	env_add(r, &env, "REQUEST_METHOD", r->method);
	env_add(r, &env, "QUERY_STRING", raw_query ? raw_query : "");
	env_add(r, &env, "CONTENT_TYPE", req_header(r, "Content-Type"));
	/* A chunked body has no length: http-backend then reads to end of input. */
	env_add(r, &env, "CONTENT_LENGTH", req_header(r, "Content-Length"));
	env_add(r, &env, "HTTP_CONTENT_ENCODING", req_header(r, "Content-Encoding"));
	env_add(r, &env, "GIT_PROTOCOL", req_header(r, "Git-Protocol"));
	env_add(r, &env, "REMOTE_ADDR", r->remote);
	/* Who pushes, for the hook (the same rules as on the web) and git's reflog. */
	env_add(r, &env, "REMOTE_USER", r->user ? r->user->name : "anonymous");
	env_add(r, &env, "KENNIS_USER", r->user ? r->user->name : "anonymous");
	/* The role the hook judges the push by: in a space its write list decides, so one who
	 * may write there pushes as an editor of it (the server checked before git started). */
	env_add(r, &env, "KENNIS_ROLE", arena_printf(r->a, "%d", may_write ? ROLE_EDITOR : r->role < ROLE_EDITOR ? r->role : ROLE_READER));
	env_add(r, &env, "KENNIS_SPACE", space);
	env_add(r, &env, "KENNIS_MAX_FILE", arena_printf(r->a, "%zu", r->cfg->max_file));
	env_add(r, &env, "SERVER_PROTOCOL", "HTTP/1.1");
	env_add(r, &env, "GATEWAY_INTERFACE", "CGI/1.1");
	env_add(r, &env, "PATH", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	env_add(r, &env, "HOME", r->cfg->data_dir);
	/* The hooks run this very binary with the same data directory. */
	env_add(r, &env, "KENNIS_BIN", r->cfg->self_exe);
	env_add(r, &env, "KENNIS_DATA", r->cfg->data_dir);
	env_add(r, &env, "KENNIS_LOG_FD", "3");
	env_add(r, &env, "GIT_CONFIG_NOSYSTEM", "1");
	env_add(r, &env, "LANG", "C");

	char **envp = arena_alloc(r->a, (env.n + 1) * sizeof(char *));
	for (size_t i = 0; i < env.n; i++)
		envp[i] = (char *)env.v[i].val;
	char **argv = arena_alloc(r->a, 2 * sizeof(char *));
	argv[0] = arena_strdup(r->a, GIT_HTTP_BACKEND);
	*argv_out = argv;
	*envp_out = envp;
	return 0;
}
