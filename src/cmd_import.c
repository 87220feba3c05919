/* cmd_import.c: `kennis import DIR SOURCE`: an existing wiki, history and all, becomes main. */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "index.h"
#include "pagename.h"
#include "space_repo.h"
#include "spaces.h"
#include "state.h"
#include "store.h"

extern char **environ;

static const char import_usage[] =
	"usage: kennis import DIR SOURCE\n"
	"       kennis import --space NAME DIR SOURCE\n"
	"\n"
	"Bring an existing wiki into DIR, history and all: SOURCE is a git repository (a path,\n"
	"file://..., https://github.com/OWNER/REPO.wiki.git, an ssh address: whatever 'git clone'\n"
	"takes). Its default branch becomes main with every commit as it was (authors, dates,\n"
	"messages). File names a GitHub wiki allows are page names here too; files that cannot be\n"
	"pages (dotfiles such as .vscode/settings.json, names with a backslash) stay in git and are\n"
	"listed in /pages. Only what git itself refuses in any repository (a '.git' or '..' path,\n"
	"broken objects: git's fsck) stops an import.\n"
	"\n"
	"Without --space the history becomes the wiki: DIR is made as 'kennis init --empty DIR'\n"
	"makes it; a DIR whose wiki has no commit yet (init --empty, or an import that failed) is\n"
	"used as it is. A wiki that already has pages is not touched: push to it instead.\n"
	"\n"
	"  --space NAME   the history becomes the confidential space NAME of DIR instead. Make\n"
	"                 the space first (kennis space add --data DIR NAME --read ...), so that\n"
	"                 who may read it is settled before anything is in it; the import replaces\n"
	"                 the one commit 'space add' made (its Home page), and refuses a space\n"
	"                 that holds anything else.\n";

/* Run git (found on PATH) with `argv`, its output on ours; its exit status, or -1. */
static int
run_git(char *const argv[])
{
	pid_t pid;
	int status, rc = posix_spawnp(&pid, "git", NULL, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "kennis: cannot run git: %s\n", strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* DIR/wiki.git ready to receive a history: made empty, or one that has no main yet. */
static int
empty_wiki(const char *dir, const char *gitdir)
{
	char exe[PATH_MAX];
	struct store *st = NULL;
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0) {
		fprintf(stderr, "kennis: cannot find my own executable\n");
		return -1;
	}
	exe[len] = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "kennis: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = store_init_with(gitdir, exe, NULL, 0, NULL);
	if (rc == 0)
		return 0;
	if (rc != KN_EEXISTS) {
		fprintf(stderr, "kennis: cannot create the wiki in %s: %s\n", gitdir, kn_strerror(rc));
		return -1;
	}
	if (store_open(&st, gitdir) < 0 || !store_is_kennis(st)) {
		fprintf(stderr, "kennis: %s exists and is not a kennis wiki: not touching it\n", gitdir);
		store_close(st);
		return -1;
	}
	git_oid id;
	int has_main = git_reference_name_to_id(&id, st->repo, STORE_BRANCH) == 0;
	store_close(st);
	if (has_main) {
		fprintf(stderr, "kennis: %s already has pages: not touching it (push to it instead)\n", gitdir);
		return -1;
	}
	return 0;
}

struct tally {
	size_t pages, files, hidden;
	char *first_hidden[10];
};

/* Count pages, attachments the web serves, and files that stay in git only. */
static int
count_file(const char *path, void *payload)
{
	struct tally *t = payload;
	size_t n = strlen(path);
	struct buf name = BUF_INIT;
	if (pagename_from_path(&name, path, n) == 0)
		t->pages++;
	else if (!pagename_problem(path, n))
		t->files++;
	else if (t->hidden++ < sizeof(t->first_hidden) / sizeof(*t->first_hidden))
		t->first_hidden[t->hidden - 1] = xstrdup(path);
	buf_free(&name);
	return 0;
}

/* What came in: commits, pages, other files, and the files only git has. */
static void
report(const char *gitdir)
{
	struct store *st = NULL;
	struct snap s;
	struct tally t = { 0 };
	size_t commits = 0;
	git_revwalk *w = NULL;
	git_oid id;
	if (store_open(&st, gitdir) < 0 || store_snap_open(&s, st, NULL) < 0) {
		store_close(st);
		return;
	}
	if (git_revwalk_new(&w, st->repo) == 0 && git_revwalk_push(w, &s.id) == 0)
		while (git_revwalk_next(&id, w) == 0)
			commits++;
	git_revwalk_free(w);
	store_walk(&s, count_file, &t);
	printf("kennis: imported %zu commits: %zu pages, %zu other files", commits, t.pages, t.files);
	if (t.hidden)
		printf(", and %zu files that cannot be pages (kept in git, listed in /pages):", t.hidden);
	printf("\n");
	for (size_t i = 0; i < t.hidden && i < sizeof(t.first_hidden) / sizeof(*t.first_hidden); i++) {
		for (char *p = t.first_hidden[i]; *p; p++) /* a name is no terminal escape */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		printf("  %s\n", t.first_hidden[i]);
		free(t.first_hidden[i]);
	}
	if (t.hidden > sizeof(t.first_hidden) / sizeof(*t.first_hidden))
		printf("  ...\n");
	store_snap_close(&s);
	store_close(st);
}

/* DATA/spaces/NAME.git ready to receive a history: the space is registered and its main
 * holds nothing but the commit space add made. */
static int
empty_space(const char *dir, const char *name, char *gitdir, size_t n)
{
	struct db *db = NULL;
	struct space sp;
	char wiki[PATH_MAX];
	if (space_name_check(name, 0) < 0) {
		fprintf(stderr, "kennis: '%s' is no space name (1 to %d of a-z, 0-9, '-'; not 'wiki')\n", name,
			SPACE_NAME_MAX);
		return -1;
	}
	snprintf(wiki, sizeof(wiki), "%s/wiki.git", dir);
	if (access(wiki, F_OK) != 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (make it with kennis init first)\n", dir);
		return -1;
	}
	if (state_open(&db, dir, NULL) < 0) {
		fprintf(stderr, "kennis: cannot open the state database of %s\n", dir);
		return -1;
	}
	int rc = space_get(db, name, &sp);
	db_close(db);
	if (rc == KN_ENOTFOUND) {
		fprintf(stderr, "kennis: %s has no space %s: make it first (kennis space add --data %s %s --read WHO)\n", dir,
			name, dir, name);
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "kennis: cannot read the spaces of %s: %s\n", dir, kn_strerror(rc));
		return -1;
	}
	space_gitdir(gitdir, n, dir, name);
	if ((rc = space_repo_is_new(gitdir, name)) != 1) {
		fprintf(stderr, rc == 0 ? "kennis: space %s holds more than the Home page 'space add' made: not touching it "
					  "(push to it instead)\n"
					: "kennis: the repository of space %s cannot be opened\n",
			name);
		return -1;
	}
	return 0;
}

int
cmd_import(int argc, char **argv)
{
	char gitdir[PATH_MAX];
	const char *space = NULL, *args[2];
	int nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(import_usage, stdout);
			return 0;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--space") == 0 && i + 1 < argc && !space) {
			space = argv[++i];
		} else if (argv[i][0] == '-' || nargs == 2) {
			fputs(import_usage, stderr);
			return 2;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (nargs != 2) {
		fputs(import_usage, stderr);
		return 2;
	}
	const char *dir = args[0], *source = args[1];
	if (space ? empty_space(dir, space, gitdir, sizeof(gitdir)) < 0
		  : snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir) >= (int)sizeof(gitdir) || empty_wiki(dir, gitdir) < 0)
		return 1;
	/* git's own fetch: every transport git knows, its progress on our terminal, and fsck
	 * on every object received (a ".git" or ".." path, a broken tree: refused). The
	 * source's default branch (HEAD) becomes main (over a new space's first commit); no
	 * hook runs for a fetch. */
	char gitdir_opt[PATH_MAX + 16];
	snprintf(gitdir_opt, sizeof(gitdir_opt), "--git-dir=%s", gitdir);
	char *fetch[] = { "git", gitdir_opt, "-c", "fetch.fsckObjects=true", "-c", "transfer.fsckObjects=true", "fetch",
			  "--no-tags", "--no-write-fetch-head", "--", (char *)source, "+HEAD:" STORE_BRANCH, NULL };
	int rc = run_git(fetch);
	if (rc != 0) {
		fprintf(stderr, "kennis: git could not fetch %s (exit status %d); %s is as it was, try again\n", source, rc,
			gitdir);
		return 1;
	}
	report(gitdir);
	/* Index now, so that serve starts at once and problems show here. */
	log_min_level = LOG_WARN;
	if (index_update(dir, space ? space : SPACE_WIKI, gitdir) < 0)
		fprintf(stderr, "kennis: the search index is not built yet; kennis serve builds it\n");
	if (space)
		printf("kennis: the space %s holds it now: /s/%s/wiki/Home, readable as its read list says\n", space, space);
	printf("kennis: serve it with: kennis serve --data %s\n", dir);
	return 0;
}
