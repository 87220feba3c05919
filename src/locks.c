/* locks.c: stale lock files of the repository (left by writers that died): find, judge, clear, report. */
#include "locks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Why a lock file can be judged at all: git's and libgit2's lock files (`X.lock`, created
 * with O_EXCL, renamed over X to commit) carry no owner. A writer holds one for as long as
 * it takes to write a few bytes (a ref: 41); nothing that kennis runs holds one for seconds.
 * So a lock file is stale when (1) it is older than a bound, (2) no ref update of this
 * process is under way (kennis's own writers, counted below), and (3) no other process has
 * the repository open: no working directory inside it and no open file inside it, read
 * from /proc. Every git that writes the repository has one of the two (receive-pack and
 * its hooks chdir into it; git keeps its packs open), a git started elsewhere with
 * --git-dir has the lock file itself open while writing it, and between closing it and
 * renaming it (microseconds) the age bound covers it. Processes of other users cannot be
 * read; they cannot write this user's repository either (its files are this user's).
 * docs/security.md says what this does not cover. */

struct lock_file {
	char *path;    /* relative to the repository: "refs/heads/main.lock" */
	double age;    /* seconds since it was last written (negative: in the future) */
	struct stat sb; /* what was judged: only that very file is removed */
};

struct lock_list {
	struct lock_file *v;
	size_t n, cap;
};

static atomic_int writers;
static pthread_mutex_t clear_mu = PTHREAD_MUTEX_INITIALIZER;
static struct timespec last_scan, last_note; /* under clear_mu */
static int last_busy;                        /* the last scan found the repository in use */

static double
now_s(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
since_s(const struct timespec *t)
{
	return now_s(CLOCK_MONOTONIC) - ((double)t->tv_sec + (double)t->tv_nsec / 1e9);
}

static void
list_add(struct lock_list *l, const char *rel, const struct stat *sb)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	double mtime = (double)sb->st_mtim.tv_sec + (double)sb->st_mtim.tv_nsec / 1e9;
	l->v[l->n++] = (struct lock_file){ xstrdup(rel), now_s(CLOCK_REALTIME) - mtime, *sb };
}

static void
list_free(struct lock_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Folders of objects hold no locks worth a walk (loose objects: 256 folders of files). */
static int
skip_dir(const char *rel)
{
	return strncmp(rel, "objects/", 8) == 0 && strcmp(rel, "objects/info") != 0 &&
	       strncmp(rel, "objects/info/", 13) != 0 && strcmp(rel, "objects/pack") != 0;
}

/* Every *.lock under gitdir/rel (rel "" is the repository itself). */
static void
walk(struct lock_list *l, const char *gitdir, const char *rel, int depth)
{
	struct buf dir = BUF_INIT, sub = BUF_INIT;
	buf_printf(&dir, "%s%s%s", gitdir, *rel ? "/" : "", rel);
	DIR *d = depth < 16 ? opendir(dir.ptr) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct stat sb;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		buf_reset(&sub);
		buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (S_ISDIR(sb.st_mode) && !skip_dir(sub.ptr))
			walk(l, gitdir, sub.ptr, depth + 1);
		else if (S_ISREG(sb.st_mode) && n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0)
			list_add(l, sub.ptr, &sb);
	}
	if (d)
		closedir(d);
	buf_free(&dir);
	buf_free(&sub);
}

static void
find_locks(struct lock_list *l, const char *gitdir)
{
	walk(l, gitdir, "", 0);
}

static int
in_repo(const char *path, const char *root, size_t rlen)
{
	return strncmp(path, root, rlen) == 0 && (path[rlen] == '\0' || path[rlen] == '/');
}

/* Does process `pid` (a /proc name) have its working directory or an open file in root? */
static int
pid_uses(const char *pid, const char *root, size_t rlen)
{
	char p[600], link[PATH_MAX];
	snprintf(p, sizeof(p), "/proc/%s/cwd", pid);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (in_repo(link, root, rlen))
			return 1;
	}
	snprintf(p, sizeof(p), "/proc/%s/fd", pid);
	DIR *d = opendir(p); /* another user's process: EACCES, skipped */
	struct dirent *e;
	int hit = 0;
	while (d && !hit && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/fd/%s", pid, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			hit = in_repo(link, root, rlen);
		}
	}
	if (d)
		closedir(d);
	return hit;
}

/* A process other than this one that has the repository open: 1 (*pid, name set), 0 none,
 * -1 cannot tell (no /proc). */
static int
repo_user(const char *gitdir, int *pid, char *name, size_t namelen)
{
	char root[PATH_MAX], self[32];
	int found = 0;
	if (!realpath(gitdir, root))
		return -1;
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	size_t rlen = strlen(root);
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, self) == 0)
			continue;
		if (!pid_uses(e->d_name, root, rlen))
			continue;
		found = 1;
		*pid = atoi(e->d_name);
		snprintf(name, namelen, "?");
		char p[300];
		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		FILE *f = fopen(p, "r");
		if (f) {
			if (fgets(name, (int)namelen, f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
		}
	}
	closedir(d);
	return found;
}

static const char *
fmt_age(char *out, size_t n, double s)
{
	if (s < 0)
		snprintf(out, n, "from the future (%.0f s ahead)", -s);
	else if (s < 120)
		snprintf(out, n, "%.1f s", s);
	else if (s < 2 * 3600)
		snprintf(out, n, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, n, "%.0f h", s / 3600);
	else
		snprintf(out, n, "%.0f days", s / 86400);
	return out;
}

/* What a lock left behind blocks, for people reading the log or the check. */
static const char *
blocks(const char *path)
{
	if (strncmp(path, "refs/", 5) == 0 || strcmp(path, "packed-refs.lock") == 0 || strcmp(path, "HEAD.lock") == 0)
		return "saves and pushes wait and fail until it goes";
	if (strcmp(path, "gc.log.lock") == 0)
		return "automatic git gc is refused until it goes";
	if (strcmp(path, "config.lock") == 0)
		return "changes of the repository's config fail until it goes";
	return "git cannot write that file until it goes";
}

/* Remove lock `lf` if the file there is still the one judged (same inode, same mtime,
 * same size): a lock taken anew meanwhile is someone's, and stays. 0 removed, -1 not. */
static int
remove_judged(const char *gitdir, const struct lock_file *lf)
{
	struct buf p = BUF_INIT;
	struct stat sb;
	int rc = -1;
	buf_printf(&p, "%s/%s", gitdir, lf->path);
	if (lstat(p.ptr, &sb) < 0 || sb.st_ino != lf->sb.st_ino || sb.st_dev != lf->sb.st_dev ||
	    sb.st_size != lf->sb.st_size || sb.st_mtim.tv_sec != lf->sb.st_mtim.tv_sec ||
	    sb.st_mtim.tv_nsec != lf->sb.st_mtim.tv_nsec)
		log_info("locks: %s went or was taken anew meanwhile: left alone", p.ptr);
	else if (unlink(p.ptr) < 0)
		log_error("locks: cannot remove %s: %s", p.ptr, strerror(errno));
	else
		rc = 0;
	buf_free(&p);
	return rc;
}

int
locks_hold_data_dir(const char *data_dir)
{
	/* The directory itself, not a file in it: nothing for anyone to delete by mistake.
	 * O_CLOEXEC: git http-backend and the hooks must not inherit it, or an orphan of a
	 * killed server would keep the next one from starting. */
	int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return KN_EIO;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		close(fd);
		errno = err; /* for the caller's message */
		return err == EWOULDBLOCK ? KN_ELOCKED : KN_EIO;
	}
	return 0; /* fd stays open: the lock lasts as long as the process */
}

int
locks_startup(const char *gitdir)
{
	struct lock_list l = { 0 };
	int removed = 0, pid = 0, user;
	char name[64] = "", age[48];
	find_locks(&l, gitdir);
	if (l.n == 0)
		return 0;
	double youngest = l.v[0].age;
	for (size_t i = 1; i < l.n; i++)
		if (l.v[i].age < youngest)
			youngest = l.v[i].age;
	if (youngest < LOCKS_STARTUP_AGE) {
		/* A writer killed a moment ago (kill -9 and a restart): wait for its lock to be
		 * old enough rather than let the first save wait for it. */
		double wait = youngest < 0 ? LOCKS_STARTUP_AGE : LOCKS_STARTUP_AGE - youngest;
		log_info("locks: %zu lock file(s) in %s, one %s old: waiting %.1f s before judging them", l.n, gitdir,
			 fmt_age(age, sizeof(age), youngest), wait);
		nanosleep(&(struct timespec){ (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) }, NULL);
		list_free(&l);
		find_locks(&l, gitdir);
	}
	/* Children of a killed server (git receive-pack, its hooks) finish on their own. */
	for (int i = 0; (user = repo_user(gitdir, &pid, name, sizeof(name))) == 1 && l.n && i < 50; i++)
		nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
	for (size_t i = 0; i < l.n; i++) {
		const struct lock_file *lf = &l.v[i];
		fmt_age(age, sizeof(age), lf->age);
		if (lf->age < LOCKS_STARTUP_AGE)
			log_warn("locks: %s/%s is %s old: left alone (a writer may hold it)", gitdir, lf->path, age);
		else if (user == 1)
			log_warn("locks: %s/%s is %s old, but process %d (%s) has the repository open: left alone; "
				 "a save or push clears it once it is stale (%s)", gitdir, lf->path, age, pid, name,
				 blocks(lf->path));
		else if (user < 0)
			log_warn("locks: %s/%s is %s old; with no /proc kennis cannot tell who holds it: left "
				 "alone (remove it by hand if no git runs on this repository)", gitdir, lf->path, age);
		else if (remove_judged(gitdir, lf) == 0) {
			log_warn("locks: removed stale %s/%s at start-up (%s old, no process has the repository "
				 "open; a writer died holding it)", gitdir, lf->path, age);
			removed++;
		}
	}
	list_free(&l);
	return removed;
}

void
locks_writer_begin(void)
{
	atomic_fetch_add(&writers, 1);
}

void
locks_writer_end(void)
{
	atomic_fetch_sub(&writers, 1);
}

int
locks_unstick(const char *gitdir, const char *context)
{
	struct lock_list l = { 0 };
	int removed = 0, pid = 0, user;
	char name[64] = "", age[48];
	find_locks(&l, gitdir);
	size_t old = 0;
	for (size_t i = 0; i < l.n; i++)
		old += l.v[i].age >= LOCKS_SERVING_AGE;
	if (old == 0) {
		list_free(&l);
		return 0;
	}
	/* One judge at a time (the identity check before unlink relies on it); while another
	 * process has the repository open, the /proc scan is repeated at most once a second
	 * however many saves are retrying. */
	pthread_mutex_lock(&clear_mu);
	if (atomic_load(&writers) > 0 || (last_busy && since_s(&last_scan) < 1.0))
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &last_scan);
	user = repo_user(gitdir, &pid, name, sizeof(name));
	last_busy = user != 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct lock_file *lf = &l.v[i];
		if (lf->age < LOCKS_SERVING_AGE)
			continue;
		fmt_age(age, sizeof(age), lf->age);
		if (user != 0) {
			if (!last_note.tv_sec || since_s(&last_note) >= 30) {
				clock_gettime(CLOCK_MONOTONIC, &last_note);
				log_warn("locks: %s/%s is %s old (%s: %s), but %s: left alone", gitdir, lf->path, age,
					 context, blocks(lf->path),
					 user > 0 ? "another process has the repository open" : "kennis cannot tell who holds it (no /proc)");
				if (user > 0)
					log_warn("locks: that process is %d (%s)", pid, name);
			}
		} else if (remove_judged(gitdir, lf) == 0) {
			log_warn("locks: removed stale %s/%s before the %s (%s old, no ref update under way, no other "
				 "process has the repository open)", gitdir, lf->path, context, age);
			removed++;
		}
	}
done:
	pthread_mutex_unlock(&clear_mu);
	list_free(&l);
	return removed;
}

int
locks_check(const char *data_dir, const char *gitdir, FILE *report, int fix)
{
	struct lock_list l = { 0 };
	struct buf git = BUF_INIT;
	int bad = 0, pid = 0, user, dfd = -1, server;
	char name[64] = "", age[48];
	buf_puts(&git, gitdir);
	find_locks(&l, git.ptr);
	if (l.n == 0)
		goto done;
	/* A running server holds the data directory; it judges with what only it knows (its
	 * own writers), so the check leaves its locks to it. Held here too while fixing, so
	 * that no server starts meanwhile. */
	dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	server = dfd >= 0 && flock(dfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	user = repo_user(git.ptr, &pid, name, sizeof(name));
	for (size_t i = 0; i < l.n; i++) {
		const struct lock_file *lf = &l.v[i];
		fmt_age(age, sizeof(age), lf->age);
		if (lf->age >= 0 && lf->age < LOCKS_STARTUP_AGE) {
			fprintf(report, "lock: %s is %s old: a write under way, probably\n", lf->path, age);
			continue;
		}
		bad++;
		if (server)
			fprintf(report, "lock: %s is %s old (%s); kennis serve runs on %s and removes it before the next "
					"save or push once it is stale\n", lf->path, age, blocks(lf->path), data_dir);
		else if (user > 0)
			fprintf(report, "lock: %s is %s old (%s), but process %d (%s) has the repository open: left "
					"alone; if that is no git, end it and run kennis check --fix\n",
				lf->path, age, blocks(lf->path), pid, name);
		else if (user < 0 || lf->age < 0)
			fprintf(report, "lock: %s is %s old (%s); kennis cannot tell who holds it: remove it by hand "
					"if no git runs on this repository\n", lf->path, age, blocks(lf->path));
		else if (fix && remove_judged(git.ptr, lf) == 0) {
			fprintf(report, "lock: removed stale %s (%s old)\n", lf->path, age);
			log_warn("locks: removed stale %s/%s (kennis check --fix; %s old)", git.ptr, lf->path, age);
			bad--;
		} else
			fprintf(report, "lock: %s is stale (%s old, no process has the repository open): %s; kennis "
					"check --fix or starting kennis serve removes it\n", lf->path, age, blocks(lf->path));
	}
done:
	if (dfd >= 0)
		close(dfd); /* and with it the flock, if taken */
	list_free(&l);
	buf_free(&git);
	return bad ? 1 : 0;
}
