/* gitrun.c: git as a child process with a deadline and its stderr kept. */
#include "gitrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The child's environment: a clean one, not the server's (no GIT_DIR of a hook, no
 * KENNIS_* of a request), with `config` as GIT_CONFIG_COUNT pairs. */
static char **
child_env(struct arena *a, const char *gitdir, const char *const *config)
{
	size_t nc = 0;
	while (config && config[2 * nc])
		nc++;
	char **env = arena_alloc(a, (12 + 2 * nc) * sizeof(char *));
	size_t n = 0;
	const char *path = getenv("PATH");
	env[n++] = arena_printf(a, "PATH=%s", path ? path : "/usr/bin:/bin");
	env[n++] = arena_printf(a, "GIT_DIR=%s", gitdir);
	env[n++] = arena_printf(a, "HOME=%s", gitdir);
	env[n++] = arena_strdup(a, "GIT_CONFIG_NOSYSTEM=1");
	env[n++] = arena_strdup(a, "GIT_TERMINAL_PROMPT=0");
	env[n++] = arena_strdup(a, "GIT_ASKPASS=/bin/false");
	env[n++] = arena_strdup(a, "LANG=C");
	env[n++] = arena_printf(a, "GIT_CONFIG_COUNT=%zu", nc);
	for (size_t i = 0; i < nc; i++) {
		env[n++] = arena_printf(a, "GIT_CONFIG_KEY_%zu=%s", i, config[2 * i]);
		env[n++] = arena_printf(a, "GIT_CONFIG_VALUE_%zu=%s", i, config[2 * i + 1]);
	}
	env[n] = NULL;
	return env;
}

int
gitrun(const char *gitdir, const char *const *args, const char *const *config, int timeout_ms, struct buf *err)
{
	struct arena *a = arena_new();
	int pipefd[2] = { -1, -1 }, rc = KN_EIO, status = 0;
	size_t na = 0;
	pid_t pid = -1;
	while (args[na])
		na++;
	char **argv = arena_alloc(a, (na + 2) * sizeof(char *));
	argv[0] = "git";
	for (size_t i = 0; i < na; i++)
		argv[i + 1] = (char *)args[i];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		log_error("git %s: cannot make a pipe: %s", args[0], strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	int e = posix_spawnp(&pid, "git", &fa, &attr, argv, child_env(a, gitdir, config));
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (e != 0) {
		log_error("git %s: cannot start git: %s", args[0], strerror(e));
		pid = -1;
		goto done;
	}
	/* Read its output until it closes (the child ended) or the deadline passes. */
	int64_t deadline = now_ms() + timeout_ms;
	char chunk[4096];
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			log_warn("git %s on %s: no answer within %d ms, stopped", args[0], gitdir, timeout_ms);
			break;
		}
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		int pr = poll(&p, 1, (int)(left < 1000 ? left : 1000));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		ssize_t n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (err) {
			buf_put(err, chunk, (size_t)n);
			if (err->len > GITRUN_ERR_MAX) { /* keep the end: git says what failed last */
				memmove(err->ptr, err->ptr + err->len - GITRUN_ERR_MAX / 2, GITRUN_ERR_MAX / 2);
				err->len = GITRUN_ERR_MAX / 2;
				err->ptr[err->len] = '\0';
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
done:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	arena_free(a);
	return rc;
}
