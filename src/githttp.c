/* githttp.c: map a /wiki.git/ request onto the CGI environment of `git http-backend`. */
#include "githttp.h"

#include "auth.h"
#include "locks.h"

#include <stdlib.h>
#include <string.h>

#ifndef GIT_HTTP_BACKEND
#define GIT_HTTP_BACKEND "/usr/lib/git-core/git-http-backend"
#endif

int
githttp_match(const char *path)
{
	return strncmp(path, GIT_PREFIX, strlen(GIT_PREFIX)) == 0 || strcmp(path, "/wiki.git") == 0;
}

static void
env_add(struct req *r, struct kvlist *env, const char *key, const char *val)
{
	if (val)
		kv_add(r->a, env, key, arena_printf(r->a, "%s=%s", key, val));
}

int
githttp_prepare(struct req *r, const char *raw_query, char ***argv_out, char ***envp_out)
{
	const char *sub = r->path + strlen(GIT_PREFIX) - 1; /* "/info/refs" ... */
	const char *service = req_query(r, "service");
	int is_get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;

	if (strlen(r->path) < strlen(GIT_PREFIX))
		return KN_ENOTFOUND;
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
			locks_unstick(r->cfg->git_dir, "push");
	} else {
		return KN_ENOTFOUND;
	}

	struct kvlist env = { 0 };
	env_add(r, &env, "GIT_PROJECT_ROOT", r->cfg->data_dir);
	env_add(r, &env, "GIT_HTTP_EXPORT_ALL", "1");
	env_add(r, &env, "PATH_INFO", arena_printf(r->a, "/wiki.git%s", sub));
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
	env_add(r, &env, "KENNIS_ROLE", arena_printf(r->a, "%d", r->role));
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
