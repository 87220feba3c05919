/* hook.c: the push rules, applied inside git receive-pack (quarantine-aware). */
#include "hook.h"

#include <git2.h>
#include <string.h>

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "cluster.h"
#include "index.h"
#include "kennis.h"
#include "pagename.h"
#include "store.h"

/* Inside pre-receive the new objects sit in a quarantine directory that git names in the
 * environment (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES): open the
 * repository from the environment so they are visible. */
static git_repository *
open_from_env(FILE *msg)
{
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0) {
		const git_error *e = git_error_last();
		fprintf(msg, "kennis: cannot open the repository: %s\n", e ? e->message : "?");
		return NULL;
	}
	return repo;
}

static int
check_update(git_repository *repo, const char *old_hex, const char *new_hex, const char *ref, FILE *msg)
{
	git_oid old_id, new_id;
	if (git_oid_fromstr(&old_id, old_hex) < 0 || git_oid_fromstr(&new_id, new_hex) < 0) {
		fprintf(msg, "kennis: malformed ref update for %s\n", ref);
		return 1;
	}
	if (strcmp(ref, STORE_BRANCH) != 0) {
		fprintf(msg, "kennis: only the main branch is the wiki; push to main (not %s)\n", ref);
		return 1;
	}
	if (git_oid_is_zero(&new_id)) {
		fprintf(msg, "kennis: deleting main is not allowed: the wiki keeps all history\n");
		return 1;
	}
	if (!git_oid_is_zero(&old_id) && !git_oid_equal(&old_id, &new_id) &&
	    git_graph_descendant_of(repo, &new_id, &old_id) != 1) {
		fprintf(msg, "kennis: rewriting main's history (force-push) is not allowed;\n"
			     "kennis: pull, merge or rebase your commits on top, and push again\n");
		return 1;
	}
	return 0;
}

struct file_rules {
	git_repository *repo;
	FILE *msg;
	size_t max_file;
	int problems;
	git_tree *before; /* main before the push: what the wiki already holds */
};

#define MAX_PROBLEMS 20

static void
problem(struct file_rules *fr, const char *path, const char *why)
{
	if (fr->problems++ < MAX_PROBLEMS)
		fprintf(fr->msg, "kennis: %s: %s\n", path, why);
	log_warn("push refused: %s: %s", path, why);
}

/* Is `path` in main before the push: 2 with this very blob and mode, 1 as another version,
 * 0 not at all. */
static int
held_before(const struct file_rules *fr, const git_diff_file *f)
{
	git_tree_entry *e = NULL;
	if (!fr->before || git_tree_entry_bypath(&e, fr->before, f->path) < 0)
		return 0;
	int same = git_oid_equal(git_tree_entry_id(e), &f->id) && git_tree_entry_filemode(e) == f->mode;
	int blob = git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	git_tree_entry_free(e);
	return same ? 2 : blob;
}

/* The same rules as the web for what the push brings: a path the web can serve
 * (pagename.c decides, for the web too), a bounded size, and Markdown pages in UTF-8.
 * What the wiki already holds is not judged again (a merge of an older branch brings it
 * along), and a file it holds may change even when its name is no page name (a dotfile an
 * import brought), except git's own files (pagename_kept_problem). */
static int
check_file(const git_diff_delta *d, float progress, void *payload)
{
	struct file_rules *fr = payload;
	const char *path = d->new_file.path;
	const char *why;
	char msg[160];
	if (d->status == GIT_DELTA_DELETED)
		return 0;
	int held = held_before(fr, &d->new_file);
	if (held == 2)
		return 0;
	why = held ? pagename_kept_problem(path, strlen(path)) : pagename_path_problem(path, strlen(path));
	if (why) {
		snprintf(msg, sizeof(msg), "not an allowed file name: %s", why);
		problem(fr, path, msg);
		return 0;
	}
	if (d->new_file.mode == GIT_FILEMODE_LINK || d->new_file.mode == GIT_FILEMODE_COMMIT) {
		problem(fr, path, "symbolic links and submodules are not allowed");
		return 0;
	}
	if (d->new_file.size > fr->max_file) {
		problem(fr, path, "file too large for this wiki");
		return 0;
	}
	size_t n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".md") == 0) {
		git_blob *b = NULL;
		if (git_blob_lookup(&b, fr->repo, &d->new_file.id) < 0) {
			problem(fr, path, "cannot read the file");
			return 0;
		}
		if (!utf8_valid(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b)))
			problem(fr, path, "a page must be UTF-8 text");
		git_blob_free(b);
	}
	return 0;
}

/* Check every file that each new commit adds or changes. */
static int
check_commits(git_repository *repo, const git_oid *old_id, const git_oid *new_id, FILE *msg, size_t max_file)
{
	git_revwalk *walk = NULL;
	git_commit *old_commit = NULL;
	git_oid id;
	struct file_rules fr = { repo, msg, max_file, 0, NULL };
	int count = 0, rc = 0;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, new_id) < 0 ||
	    git_revwalk_hide(walk, old_id) < 0 || git_commit_lookup(&old_commit, repo, old_id) < 0 ||
	    git_commit_tree(&fr.before, old_commit) < 0) {
		fprintf(msg, "kennis: cannot walk the pushed commits\n");
		git_commit_free(old_commit);
		git_revwalk_free(walk);
		return 1;
	}
	git_commit_free(old_commit);
	while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		git_diff *diff = NULL;
		if (++count > 100000) {
			fprintf(msg, "kennis: too many commits in one push\n");
			rc = 1;
			break;
		}
		if (git_commit_lookup(&c, repo, &id) < 0 || git_commit_tree(&t, c) < 0 ||
		    (git_commit_parentcount(c) > 0 && (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0)) ||
		    git_diff_tree_to_tree(&diff, repo, pt, t, NULL) < 0 ||
		    git_diff_foreach(diff, check_file, NULL, NULL, NULL, &fr) < 0) {
			fprintf(msg, "kennis: cannot read a pushed commit\n");
			rc = 1;
		}
		git_diff_free(diff);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	git_tree_free(fr.before);
	if (fr.problems > MAX_PROBLEMS)
		fprintf(msg, "kennis: ... and %d more problems\n", fr.problems - MAX_PROBLEMS);
	return rc || fr.problems > 0;
}

/* A replication push (KENNIS_REPLICATION: the pushing primary's epoch, which the server
 * checked is the current one; githttp.c sets it for the replication principal only): main
 * only, never deleted, no content rules (they were applied where the change was made). A
 * fast-forward, or, from a primary of a newer epoch than the one main follows (after a
 * failover), a rewrite: then the old tip, which nobody acknowledged, is kept as
 * refs/kennis/diverged/EPOCH (EPOCH-TIME when that is taken), not lost. post-receive
 * records the new epoch once main is updated. 0 take it, 1 refuse. */
static int
replication_update(git_repository *repo, const char *old_hex, const char *new_hex, const char *ref, long long epoch,
		   FILE *msg)
{
	git_oid old_id, new_id, had;
	char keep[96];
	if (git_oid_fromstr(&old_id, old_hex) < 0 || git_oid_fromstr(&new_id, new_hex) < 0 ||
	    strcmp(ref, STORE_BRANCH) != 0 || git_oid_is_zero(&new_id)) {
		fprintf(msg, "kennis: replication: only updates of main are taken\n");
		log_warn("replication push refused: %.64s %.64s %.200s is not an update of main", old_hex, new_hex, ref);
		return 1;
	}
	if (git_oid_is_zero(&old_id) || git_oid_equal(&old_id, &new_id) ||
	    git_graph_descendant_of(repo, &new_id, &old_id) == 1)
		return 0;
	int64_t mine = cluster_repo_epoch(repo);
	if (epoch <= mine) {
		fprintf(msg, "kennis: replication: main has commits the primary (epoch %lld) does not, and it follows "
			     "epoch %lld: not rewritten\n", epoch, (long long)mine);
		log_error("replication push refused: %s would rewrite main (%s) at epoch %lld; main follows epoch %lld",
			  new_hex, old_hex, epoch, (long long)mine);
		return 1;
	}
	snprintf(keep, sizeof(keep), "refs/kennis/diverged/%lld", epoch);
	if (git_reference_name_to_id(&had, repo, keep) == 0 && !git_oid_equal(&had, &old_id))
		snprintf(keep, sizeof(keep), "refs/kennis/diverged/%lld-%lld", epoch, (long long)time(NULL));
	git_reference *k = NULL;
	if (git_reference_create(&k, repo, keep, &old_id, 1, "kennis: main before a new primary's history") < 0) {
		const git_error *e = git_error_last();
		fprintf(msg, "kennis: replication: cannot keep the old main as %s\n", keep);
		log_error("replication push refused: cannot keep main (%s) as %s: %s", old_hex, keep, e ? e->message : "?");
		return 1;
	}
	git_reference_free(k);
	log_warn("replication: main (%s) had commits the new primary (epoch %lld) does not: kept as %s", old_hex, epoch,
		 keep);
	return 0;
}

int
hook_pre_receive(FILE *in, FILE *msg)
{
	char line[512], old_hex[64], new_hex[64], ref[400];
	int refused = 0;
	const char *role = getenv("KENNIS_ROLE"), *user = getenv("KENNIS_USER");
	const char *maxs = getenv("KENNIS_MAX_FILE");
	size_t max_file = maxs ? (size_t)strtoull(maxs, NULL, 10) : (64u << 20);
	/* The server checked the role already; a push that reaches git another way (ssh, a
	 * local clone) gets the same check if the role is known. */
	if (role && atoi(role) < ROLE_EDITOR) {
		fprintf(msg, "kennis: %s may not change the wiki\n", user ? user : "this user");
		return 1;
	}
	const char *repl = getenv("KENNIS_REPLICATION");
	if (repl) {
		git_repository *rr = open_from_env(msg);
		if (!rr)
			return 1;
		while (fgets(line, sizeof(line), in)) {
			if (sscanf(line, "%63s %63s %399s", old_hex, new_hex, ref) != 3)
				old_hex[0] = '\0';
			refused |= replication_update(rr, old_hex, new_hex, ref, strtoll(repl, NULL, 10), msg);
		}
		git_repository_free(rr);
		return refused;
	}
	git_repository *repo = open_from_env(msg);
	if (!repo)
		return 1;
	while (fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%63s %63s %399s", old_hex, new_hex, ref) != 3) {
			fprintf(msg, "kennis: malformed hook input\n");
			refused = 1;
			continue;
		}
		if (check_update(repo, old_hex, new_hex, ref, msg)) {
			refused = 1;
			log_warn("push by %s refused: %s %.10s..%.10s", user ? user : "-", ref, old_hex, new_hex);
			continue;
		}
		git_oid o, n;
		git_oid_fromstr(&o, old_hex);
		git_oid_fromstr(&n, new_hex);
		/* A push that makes main (into a wiki made with init --empty) brings an existing
		 * history, taken as it is, as kennis import takes one: only git's fsck
		 * (receive.fsckObjects) judges it. Every later push is judged file by file. */
		if (git_oid_is_zero(&o)) {
			log_info("push by %s: main made from an existing history (%.10s)", user ? user : "-", new_hex);
			continue;
		}
		if (check_commits(repo, &o, &n, msg, max_file)) {
			refused = 1;
			log_warn("push by %s refused: files break the wiki's rules (%.10s..%.10s)", user ? user : "-",
				 old_hex, new_hex);
		}
	}
	git_repository_free(repo);
	return refused;
}

int
hook_where(char *data, size_t dn, char *space, size_t sn)
{
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return KN_EIO;
	size_t n = strlen(cwd);
	const char *slash = strrchr(cwd, '/');
	if (!slash || n < 5 || strcmp(cwd + n - 4, ".git") != 0)
		return KN_EINVAL;
	const char *base = slash + 1;
	if (strcmp(base, "wiki.git") == 0) {
		snprintf(data, dn, "..");
		snprintf(space, sn, "wiki");
		return 0;
	}
	/* DATA/spaces/NAME.git */
	size_t parent = (size_t)(slash - cwd);
	if (parent < 7 || strncmp(cwd + parent - 7, "/spaces", 7) != 0 || (size_t)(n - 4 - (size_t)(base - cwd)) >= sn)
		return KN_EINVAL;
	snprintf(space, sn, "%.*s", (int)(n - 4 - (size_t)(base - cwd)), base);
	snprintf(data, dn, "../..");
	return 0;
}

/* How long a push waits, at most, for another indexer to let go of the index (seconds). */
#define HOOK_INDEX_WAIT 300

int
hook_post_receive(FILE *in, FILE *msg)
{
	char line[512];
	/* The server resolves main on every request, so a push is on the web at once.
	 * (Derived indexes will catch up from here.) */
	const char *user = getenv("KENNIS_USER");
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		log_info("push by %s: %s", user ? user : "-", line);
	}
	/* Index the push now: the pusher waits for it, not the next reader. git runs hooks
	 * inside the repository: DATA/wiki.git, or DATA/spaces/NAME.git for a space. A failure
	 * is harmless (the next request catches up). */
	const char *repl = getenv("KENNIS_REPLICATION");
	git_repository *repo = repl ? open_from_env(msg) : NULL;
	if (repo && strtoll(repl, NULL, 10) > cluster_repo_epoch(repo)) {
		/* main follows the pushing primary from now on (pre-receive allowed its rewrite) */
		git_config *cfg = NULL;
		if (git_repository_config(&cfg, repo) < 0 || git_config_set_int64(cfg, "kennis.epoch", strtoll(repl, NULL, 10)) < 0)
			log_error("replication: cannot record epoch %s in the repository's config", repl);
		git_config_free(cfg);
	}
	git_repository_free(repo);
	char data[4096], space[64];
	if (hook_where(data, sizeof(data), space, sizeof(space)) < 0) {
		log_warn("push: cannot tell which space this repository is; index not updated now");
		return 0;
	}
	/* Another indexer (the server's, which polls for pushes) may be taking this push in
	 * already: the pusher still waits until the index has it, or the push would be
	 * answered before a search finds it. Bounded: past HOOK_INDEX_WAIT the next request
	 * catches up. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc;
	while ((rc = index_update(data, space, ".")) == KN_EBUSY) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= HOOK_INDEX_WAIT)
			break;
		log_info("push: the index of space %s is busy with another catch-up; waiting for it", space);
	}
	if (rc < 0)
		log_warn("push: index of space %s not updated now (%s); it catches up at the next request", space,
			 rc == KN_EBUSY ? "busy" : "failed");
	return 0;
}
