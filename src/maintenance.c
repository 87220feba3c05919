/* maintenance.c: the repository kept packed: loose objects are repacked in the background, never in the way of a writer. */
#include "maintenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Every save writes a few loose objects (a blob, the trees on its path, a commit; the trees
 * stored uncompressed: store.c), and pushes of few objects leave them loose too. Left
 * alone, 100 saves in a folder of 5,000 pages leave 45 MB of loose files that every reader
 * of the object database has to look through. A thread looks every --repack-check seconds
 * (30) and,
 * past a number of them (--repack-loose), runs `git repack -d --geometric=2`: the loose
 * objects go into a new pack (compressed, with deltas), small packs are merged into bigger
 * ones in a geometric progression (so the big pack of a large wiki is rarely rewritten),
 * and only then are the loose files removed. git takes no lock a writer waits for: saves and
 * pushes go on while it runs, and objects they write meanwhile stay loose until the next
 * round (docs/scale.md). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t th;
	int running, stop;
	pid_t child;
	const char *gitdir;
	unsigned threshold, every_s;
	unsigned long repacks;
} mt = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

size_t
maintenance_loose_objects(const char *gitdir, size_t stop_at)
{
	size_t n = 0;
	char path[4200];
	for (int d = 0; d < 256 && n < stop_at; d++) {
		snprintf(path, sizeof(path), "%s/objects/%02x", gitdir, d);
		DIR *dir = opendir(path);
		if (!dir)
			continue;
		for (struct dirent *e; n < stop_at && (e = readdir(dir));)
			if (strlen(e->d_name) == 38) /* the 40 hex digits but the folder's two */
				n++;
		closedir(dir);
	}
	return n;
}

/* Run git repack and wait for it (the child is known, so a stopping server can end it). */
static int
repack(void)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "--git-dir=%s", mt.gitdir);
	char *argv[] = { "git", dir, "-c", "gc.auto=0", "repack", "-d", "-q", "--geometric=2", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	pthread_mutex_lock(&mt.mu);
	int rc = mt.stop ? ECANCELED : posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	if (rc == 0)
		mt.child = pid;
	pthread_mutex_unlock(&mt.mu);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		if (rc != ECANCELED)
			log_warn("maintenance: cannot run git repack: %s", strerror(rc));
		return KN_EIO;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&mt.mu);
	mt.child = 0;
	pthread_mutex_unlock(&mt.mu);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : KN_EIO;
}

static void *
maintenance_main(void *arg)
{
	pthread_mutex_lock(&mt.mu);
	while (!mt.stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += mt.every_s;
		pthread_cond_timedwait(&mt.wake, &mt.mu, &ts);
		if (mt.stop)
			break;
		pthread_mutex_unlock(&mt.mu);
		size_t loose = maintenance_loose_objects(mt.gitdir, mt.threshold);
		if (loose >= mt.threshold) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			int rc = repack();
			clock_gettime(CLOCK_MONOTONIC, &t1);
			double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
			if (rc == 0)
				log_info("maintenance: packed %zu+ loose objects in %.0f ms", loose, ms);
			else
				log_warn("maintenance: git repack failed after %.0f ms; tried again later", ms);
			mt.repacks++;
		}
		pthread_mutex_lock(&mt.mu);
	}
	pthread_mutex_unlock(&mt.mu);
	return NULL;
}

int
maintenance_start(const char *gitdir, unsigned loose_threshold, unsigned every_s)
{
	if (!loose_threshold)
		return 0; /* switched off */
	mt.gitdir = gitdir;
	mt.threshold = loose_threshold;
	mt.every_s = every_s ? every_s : 30;
	mt.stop = 0;
	if (pthread_create(&mt.th, NULL, maintenance_main, NULL) != 0) {
		log_error("maintenance: cannot start a thread");
		return KN_EIO;
	}
	mt.running = 1;
	return 0;
}

void
maintenance_check_now(void)
{
	pthread_mutex_lock(&mt.mu);
	pthread_cond_signal(&mt.wake);
	pthread_mutex_unlock(&mt.mu);
}

void
maintenance_stop(void)
{
	if (!mt.running)
		return;
	pthread_mutex_lock(&mt.mu);
	mt.stop = 1;
	if (mt.child)
		kill(mt.child, SIGTERM); /* git leaves a temporary pack, which its next run removes */
	pthread_cond_broadcast(&mt.wake);
	pthread_mutex_unlock(&mt.mu);
	pthread_join(mt.th, NULL);
	mt.running = 0;
}
