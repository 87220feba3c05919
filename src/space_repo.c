/* space_repo.c: a space's registry entry and its repository, made and removed together. */
#include "space_repo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "index.h"
#include "spaces.h"
#include "store.h"

/* The first commit of a new space: a Home page that says what the space is. */
static int
make_repo(const char *data, const char *self_exe, const char *name, char *gitdir, size_t n)
{
	char exe[PATH_MAX], dir[4096];
	struct buf home = BUF_INIT;
	if (self_exe) {
		snprintf(exe, sizeof(exe), "%s", self_exe);
	} else {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len <= 0)
			return KN_EIO;
		exe[len] = '\0';
	}
	snprintf(dir, sizeof(dir), "%s/spaces", data);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return KN_EIO;
	snprintf(gitdir, n, "%s/spaces/%s.git", data, name);
	buf_printf(&home, "# %s\n\nThe home page of the space **%s**. Its pages are seen only by the people its "
			  "read list names; search, customer views and feeds show them to nobody else.\n",
		   name, name);
	struct store_edit e = { "Home.md", home.ptr, home.len, NULL, NULL };
	char msg[128];
	snprintf(msg, sizeof(msg), "Start the space %s", name);
	int rc = store_init_with(gitdir, exe, &e, 1, msg);
	buf_free(&home);
	return rc;
}

/* Has the space's main more than its first commit? 1, 0, or KN_ code. */
static int
space_has_work(const char *gitdir)
{
	struct store *st = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	int n = 0;
	if (store_open(&st, gitdir) < 0)
		return KN_ENOTFOUND;
	if (git_revwalk_new(&walk, st->repo) == 0 && git_revwalk_push_ref(walk, STORE_BRANCH) == 0)
		while (n < 2 && git_revwalk_next(&id, walk) == 0)
			n++;
	git_revwalk_free(walk);
	store_close(st);
	return n > 1;
}

/* Move DATA/spaces/NAME.git to DATA/spaces/deleted/NAME-TIME.git. */
static int
move_aside(const char *data, const char *name, char *to, size_t n)
{
	char from[4096], dir[4096], stamp[32];
	time_t t = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&t));
	snprintf(dir, sizeof(dir), "%s/spaces/deleted", data);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return KN_EIO;
	snprintf(from, sizeof(from), "%s/spaces/%s.git", data, name);
	snprintf(to, n, "%s/%s-%s.git", dir, name, stamp);
	if (access(from, F_OK) != 0)
		return KN_ENOTFOUND;
	return rename(from, to) == 0 ? 0 : KN_EIO;
}

int
space_create(struct db *db, const char *data_dir, const char *self_exe, const char *name, const char *read,
	     const char *write, struct buf *why)
{
	char gitdir[4200], aside[4200];
	/* Everything is checked before a repository exists, so a refusal leaves nothing. */
	int rc = space_check_new(db, name, read, write, why);
	if (rc < 0)
		return rc;
	rc = make_repo(data_dir, self_exe, name, gitdir, sizeof(gitdir));
	if (rc == KN_EEXISTS) {
		buf_printf(why, "%s exists already (a space deleted and not moved aside?); it is left alone", gitdir);
		return rc;
	}
	if (rc < 0) {
		log_error("space %s: cannot create the repository %s: %s", name, gitdir, kn_strerror(rc));
		buf_printf(why, "the repository %s could not be made (see the log)", gitdir);
		return rc;
	}
	rc = space_add(db, name, read, write, why);
	if (rc < 0 && move_aside(data_dir, name, aside, sizeof(aside)) == 0)
		log_warn("space %s: not registered (%s); its new repository was moved to %s", name, buf_cstr(why), aside);
	if (rc == 0) {
		log_info("space %s created (read: %s; write: %s)", name, read, write);
		/* indexed now, so that check and the views know it before anyone visits it */
		if (index_update(data_dir, name, gitdir) < 0)
			log_warn("space %s: not indexed yet; the server catches up at its first request", name);
	}
	return rc;
}

int
space_delete(struct db *db, const char *data_dir, const char *name, int force, char *aside, size_t n)
{
	char gitdir[4200];
	struct space sp;
	if (strcmp(name, SPACE_WIKI) == 0)
		return KN_EINVAL;
	int rc = space_get(db, name, &sp);
	if (rc < 0)
		return rc;
	space_gitdir(gitdir, sizeof(gitdir), data_dir, name);
	if (space_has_work(gitdir) == 1 && !force)
		return KN_EEXISTS;
	/* The registry first: once it is gone nobody reaches the space, whatever happens to
	 * the files next. */
	if ((rc = space_remove(db, name)) < 0)
		return rc;
	rc = move_aside(data_dir, name, aside, n);
	if (rc < 0) {
		log_error("space %s removed from the registry; its repository %s could not be moved aside: %s", name, gitdir,
			  kn_strerror(rc));
		return KN_EIO;
	}
	log_info("space %s removed; its repository is kept at %s", name, aside);
	return 0;
}
