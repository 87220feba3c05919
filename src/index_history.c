/* index_history.c: the commits of main and the pages each one changed, renames followed, recorded by the catch-up in one pass. */
#include "index_db.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* History, recent changes, the feeds and "who knows" read these tables (index_views.c)
 * instead of walking git: a page's history at 100,000 commits was a walk over all of them
 * with a path lookup each (944 ms); now it is one indexed query (docs/scale.md).
 *
 * commits(space, seq, ...): seq numbers a space's commits in the order the catch-up met
 * them, parents before children, so "newest first" is seq descending.
 * page_commits(space, path, seq, change, other): page file `path` changed in commit `seq`:
 * 'A' added, 'M' modified, 'D' deleted, 'R' renamed here from `other`, 'X' renamed away
 * to `other`. A merge counts for a file only where it differs from every parent (git
 * log's history simplification); commits.merge marks it, and recent changes leave merges
 * out as before (a merge repeats its parents' changes). */

static const char q_seq_max[] = "SELECT coalesce(max(seq), 0) FROM commits WHERE space = ?1";
static const char q_commit_add[] =
	"INSERT OR REPLACE INTO commits(space, seq, id, author, email, time, offset, summary, merge)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char q_change_add[] =
	"INSERT OR REPLACE INTO page_commits(space, path, seq, change, other) VALUES(?1, ?2, ?3, ?4, ?5)";
/* The newest commit that changed each page (of one path, or of every page): its "updated". */
static const char q_updated_one[] =
	"UPDATE pages SET (updated_commit, updated_time, updated_offset, updated_author, updated_email) = "
	"(SELECT c.id, c.time, c.offset, c.author, c.email FROM page_commits h JOIN commits c"
	" ON c.space = h.space AND c.seq = h.seq WHERE h.space = ?2 AND h.path = pages.path"
	" ORDER BY h.seq DESC LIMIT 1) WHERE space = ?2 AND path = ?1 AND EXISTS (SELECT 1 FROM page_commits h"
	" WHERE h.space = ?2 AND h.path = pages.path)";
static const char q_updated_all[] =
	"UPDATE pages SET (updated_commit, updated_time, updated_offset, updated_author, updated_email) = "
	"(SELECT c.id, c.time, c.offset, c.author, c.email FROM page_commits h JOIN commits c"
	" ON c.space = h.space AND c.seq = h.seq WHERE h.space = ?1 AND h.path = pages.path"
	" ORDER BY h.seq DESC LIMIT 1) WHERE space = ?1 AND EXISTS (SELECT 1 FROM page_commits h"
	" WHERE h.space = ?1 AND h.path = pages.path)";

/* Bind space id `space` (spaces.id) as parameter `col` of `s` (NULL: nothing). */
static void
bind_space(sqlite3_stmt *s, int col, sqlite3_int64 space)
{
	if (s)
		sqlite3_bind_int64(s, col, space);
}

#define change index_pchange
#define changes index_pchanges

static void
changes_add(struct changes *cs, const char *path, char kind, const char *other, const git_oid *id)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 16;
		cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
	}
	struct change *c = &cs->v[cs->n++];
	*c = (struct change){ xstrdup(path), xstrdup(other ? other : ""), kind, 1, { { 0 } } };
	if (id)
		git_oid_cpy(&c->id, id);
}

static void
changes_clear(struct changes *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].path);
		free(cs->v[i].other);
	}
	cs->n = 0;
}

void
index_pchanges_free(struct index_pchanges *cs)
{
	changes_clear(cs);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

/* The page file changes of diff `d` (a rename only when both names are pages). */
static void
collect(struct changes *cs, git_diff *d)
{
	size_t n = git_diff_num_deltas(d);
	for (size_t i = 0; i < n; i++) {
		const git_diff_delta *dd = git_diff_get_delta(d, i);
		const char *oldp = dd->old_file.path, *newp = dd->new_file.path;
		int oldpage = index_is_page(oldp), newpage = index_is_page(newp);
		switch (dd->status) {
		case GIT_DELTA_ADDED:
		case GIT_DELTA_COPIED:
			if (newpage)
				changes_add(cs, newp, 'A', NULL, &dd->new_file.id);
			break;
		case GIT_DELTA_MODIFIED:
		case GIT_DELTA_TYPECHANGE:
			if (newpage)
				changes_add(cs, newp, 'M', NULL, &dd->new_file.id);
			break;
		case GIT_DELTA_DELETED:
			if (oldpage)
				changes_add(cs, oldp, 'D', NULL, NULL);
			break;
		case GIT_DELTA_RENAMED:
			if (oldpage)
				changes_add(cs, oldp, newpage ? 'X' : 'D', newpage ? newp : NULL, NULL);
			if (newpage)
				changes_add(cs, newp, oldpage ? 'R' : 'A', oldpage ? oldp : NULL, &dd->new_file.id);
			break;
		default:
			break;
		}
	}
}

static int
diff_trees(git_diff **out, git_repository *repo, git_tree *old, git_tree *new, int renames)
{
	if (git_diff_tree_to_tree(out, repo, old, new, NULL) < 0)
		return KN_EGIT;
	if (renames) {
		git_diff_find_options fo;
		git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
		fo.flags = GIT_DIFF_FIND_RENAMES;
		if (git_diff_find_similar(*out, &fo) < 0)
			return KN_EGIT;
	}
	return 0;
}

static int
cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

static int
is_file(const git_tree_entry *e)
{
	return e && git_tree_entry_type(e) == GIT_OBJECT_BLOB && index_is_file_mode((uint16_t)git_tree_entry_filemode(e));
}

/* store_tree_changes' report of one entry: a page file added, changed or deleted. */
static int
page_change(const char *path, const git_tree_entry *eo, const git_tree_entry *en, void *payload)
{
	struct changes *cs = payload;
	int fo = is_file(eo), fn = is_file(en);
	char kind = fo && fn ? 'M' : fo ? 'D' : fn ? 'A' : 0;
	if (kind && index_is_page(path))
		changes_add(cs, path, kind, NULL, kind == 'D' ? NULL : git_tree_entry_id(en));
	return 0;
}

/* The page files that differ between trees `old` and `new` (NULL: empty): the history of
 * 10,000 commits of a wiki of 10,000 pages in 20 folders took 71 s with git_diff_tree_to_tree,
 * 5.8 s with store_tree_changes (one busy machine, the same run; docs/scale.md). */
static int
tree_changes(struct changes *cs, git_repository *repo, const git_tree *old, const git_tree *new)
{
	return store_tree_changes(repo, old, new, page_change, cs);
}

/* Did a page go and another come in the same change? Then git's rename detection says
 * whether it moved. */
static int
may_rename(const struct changes *cs)
{
	int gone = 0, added = 0;
	for (size_t i = 0; i < cs->n; i++) {
		gone |= cs->v[i].kind == 'D';
		added |= cs->v[i].kind == 'A';
	}
	return gone && added;
}

int
index_tree_changes(struct index_pchanges *cs, git_repository *repo, git_tree *pt, git_tree *tree, int renames)
{
	size_t mark = cs->n;
	int rc = tree_changes(cs, repo, pt, tree);
	if (rc < 0 || !renames || !pt || !may_rename(cs))
		return rc;
	git_diff *d = NULL;
	for (size_t i = mark; i < cs->n; i++) {
		free(cs->v[i].path);
		free(cs->v[i].other);
	}
	cs->n = mark;
	rc = diff_trees(&d, repo, pt, tree, 1);
	if (rc == 0)
		collect(cs, d);
	git_diff_free(d);
	return rc;
}

/* The page changes of commit `c`: against its parent (renames found), or for a merge the
 * files that differ from every parent. */
static int
commit_changes(struct changes *cs, git_repository *repo, git_commit *c, git_tree *tree)
{
	unsigned np = git_commit_parentcount(c);
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < (np ? np : 1); i++) {
		git_commit *p = NULL;
		git_tree *pt = NULL;
		struct changes mine = { 0 };
		if (np && (git_commit_parent(&p, c, i) < 0 || git_commit_tree(&pt, p) < 0))
			rc = KN_EGIT;
		if (rc == 0)
			rc = index_tree_changes(i == 0 ? cs : &mine, repo, pt, tree, np == 1);
		if (rc == 0 && i > 0) {
			/* keep what this parent sees changed too */
			qsort(mine.v, mine.n, sizeof(*mine.v), cmp_change);
			for (size_t k = 0; k < cs->n; k++)
				if (bsearch(&cs->v[k], mine.v, mine.n, sizeof(*mine.v), cmp_change))
					cs->v[k].hits++;
		}
		changes_clear(&mine);
		free(mine.v);
		git_tree_free(pt);
		git_commit_free(p);
	}
	if (np > 1) { /* a merge: only the files that differ from every parent */
		size_t keep = 0;
		for (size_t k = 0; k < cs->n; k++) {
			if (cs->v[k].hits == np) {
				cs->v[keep++] = cs->v[k];
			} else {
				free(cs->v[k].path);
				free(cs->v[k].other);
			}
		}
		cs->n = keep;
	}
	return rc;
}

/* One commit as history records it. */
struct commit_row {
	const char *hex, *author, *email, *summary;
	int64_t time;
	int offset;
	int merge;
};

static int
record_commit(struct index *ix, sqlite3_int64 space, sqlite3_int64 seq, const struct commit_row *c,
	      const struct changes *cs)
{
	sqlite3_stmt *s = index_stmt(ix, q_commit_add);
	bind_space(s, 1, space);
	if (s)
		sqlite3_bind_int64(s, 2, seq);
	index_bind_str(s, 3, c->hex);
	index_bind_str(s, 4, c->author);
	index_bind_str(s, 5, c->email);
	if (s) {
		sqlite3_bind_int64(s, 6, c->time);
		sqlite3_bind_int(s, 7, c->offset);
	}
	index_bind_str(s, 8, c->summary);
	if (s)
		sqlite3_bind_int(s, 9, c->merge);
	int rc = index_run(ix, s);
	for (size_t i = 0; rc == 0 && i < cs->n; i++) {
		char kind[2] = { cs->v[i].kind, '\0' };
		s = index_stmt(ix, q_change_add);
		bind_space(s, 1, space);
		index_bind_str(s, 2, cs->v[i].path);
		if (s)
			sqlite3_bind_int64(s, 3, seq);
		index_bind_str(s, 4, kind);
		index_bind_str(s, 5, cs->v[i].other);
		rc = index_run(ix, s);
	}
	return rc;
}

static int
record_git_commit(struct index *ix, sqlite3_int64 space, sqlite3_int64 seq, git_commit *c, const struct changes *cs)
{
	char hex[GIT_OID_HEXSZ + 1];
	const git_signature *a = git_commit_author(c);
	const char *summary = git_commit_summary(c);
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	struct commit_row row = { hex, a->name, a->email, summary ? summary : "", a->when.time, a->when.offset,
				  git_commit_parentcount(c) > 1 };
	return record_commit(ix, space, seq, &row, cs);
}

/* One step of history done: progress, and the server stopping. */
static int
history_step(struct index *ix, size_t *ncommits)
{
	(*ncommits)++;
	if (!ix->progress)
		return 0;
	atomic_fetch_add(&ix->progress->commits, 1);
	return atomic_load(&ix->progress->stop) ? KN_EBUSY : 0;
}

/* --- a first history from `git log` ----------------------------------------------------------
 * libgit2 rebuilds every version of a tree from the start of its delta chain (it keeps only
 * the chains' bases): at 100,000 pages in 20 folders a commit cost 1.7 ms of reading trees.
 * git keeps the objects it rebuilt and lists the same changes five times faster, so a first
 * history (all of main) is read from `git log --raw`; catch-ups, a few commits each, walk
 * with libgit2 (docs/scale.md). */

/* Start `git log` of `to` (without what `from` has, when given) with its output on *out. */
static int
git_log_open(pid_t *pid, FILE **out, const char *gitdir, const git_oid *from, const git_oid *to)
{
	char range[2 * GIT_OID_HEXSZ + 3], dir[4200];
	int fds[2];
	snprintf(dir, sizeof(dir), "--git-dir=%s", gitdir);
	if (from) {
		git_oid_tostr(range, GIT_OID_HEXSZ + 1, from);
		strcat(range, "..");
		git_oid_tostr(range + GIT_OID_HEXSZ + 2, GIT_OID_HEXSZ + 1, to);
	} else {
		git_oid_tostr(range, sizeof(range), to);
	}
	/* Whatever the machine's git configuration says: root commits listed, paths as they
	 * are, renames found, no signatures, notes, colours or external diff programs. */
	char *argv[] = { "git", dir, "-c", "log.showRoot=true", "-c", "log.showSignature=false", "-c",
			 "core.quotePath=false", "-c", "diff.renames=true", "-c", "log.mailmap=false", "log",
			 "--reverse", "--topo-order", "--raw", "-c", "-M", "--no-abbrev", "-z", "--no-color",
			 "--no-ext-diff", "--no-notes", "--date=raw",
			 "--format=%x01%H %P%x00%an%x00%ae%x00%ad%x00%s", range, "--", NULL };
	posix_spawn_file_actions_t fa;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return KN_EIO;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int rc = posix_spawnp(pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		log_warn("index: cannot run git log: %s", strerror(rc));
		return KN_EIO;
	}
	*out = fdopen(fds[0], "r");
	if (!*out) {
		close(fds[0]);
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		return KN_EIO;
	}
	return 0;
}

/* Is the mode field of a raw diff line (octal) a regular file's? */
static int
file_mode_of(const char *octal)
{
	return index_is_file_mode((uint16_t)strtoul(octal, NULL, 8));
}

/* A raw diff entry `line` (":mode ... status", "::..." for a merge) and its path(s), read
 * from `f`, into `cs`: page files only, regular files only. */
static int
git_raw_change(struct changes *cs, FILE *f, const char *line, char **tok, size_t *cap)
{
	int parents = 0;
	while (line[parents] == ':')
		parents++;
	/* fields: parents + 1 modes, parents + 1 ids, the status (one letter per parent) */
	char *copy = xstrdup(line + parents), *field[16], *save = NULL;
	int nf = 0;
	for (char *t = strtok_r(copy, " ", &save); t && nf < 16; t = strtok_r(NULL, " ", &save))
		field[nf++] = t;
	int want = 2 * (parents + 1) + 1, rc = 0;
	if (nf != want) {
		free(copy);
		return KN_EGIT;
	}
	const char *status = field[nf - 1], *newmode = field[parents];
	char kind = status[strlen(status) - 1];
	int oldfile = parents == 1 && file_mode_of(field[0]), newfile = file_mode_of(newmode);
	git_oid id;
	int have_id = git_oid_fromstr(&id, field[2 * parents + 1]) == 0;
	char *p1 = NULL;
	if (getdelim(tok, cap, '\0', f) < 0) {
		free(copy);
		return KN_EGIT;
	}
	p1 = xstrdup(*tok);
	if (parents == 1 && (status[0] == 'R' || status[0] == 'C')) {
		if (getdelim(tok, cap, '\0', f) < 0)
			rc = KN_EGIT;
		const char *p2 = *tok;
		int oldpage = rc == 0 && status[0] == 'R' && oldfile && index_is_page(p1);
		int newpage = rc == 0 && newfile && index_is_page(p2);
		if (oldpage)
			changes_add(cs, p1, newpage ? 'X' : 'D', newpage ? p2 : NULL, NULL);
		if (newpage)
			changes_add(cs, p2, oldpage ? 'R' : 'A', oldpage ? p1 : NULL, have_id ? &id : NULL);
	} else if (index_is_page(p1)) {
		if (parents > 1)
			kind = kind == 'A' || kind == 'D' ? kind : 'M';
		if (kind == 'T') /* a type change: a page came or went */
			kind = newfile ? 'A' : 'D';
		if (kind == 'D' ? oldfile || parents > 1 : newfile)
			changes_add(cs, p1, kind == 'A' || kind == 'D' ? kind : 'M', NULL, kind == 'D' ? NULL : &id);
	}
	free(p1);
	free(copy);
	return rc;
}

/* Minutes east of UTC of "+0130". */
static int
tz_minutes(const char *tz)
{
	if (!tz || (tz[0] != '+' && tz[0] != '-') || strlen(tz) < 5)
		return 0;
	int m = (tz[1] - '0') * 600 + (tz[2] - '0') * 60 + (tz[3] - '0') * 10 + (tz[4] - '0');
	return tz[0] == '-' ? -m : m;
}

static int
history_from_git(struct index *ix, const char *gitdir, sqlite3_int64 space, const git_oid *from, const git_oid *to,
		 sqlite3_int64 *seq, size_t *ncommits)
{
	pid_t pid;
	FILE *f = NULL;
	char *tok = NULL, *field[5] = { 0 };
	size_t cap = 0;
	struct changes cs = { 0 };
	int rc = git_log_open(&pid, &f, gitdir, from, to), have = 0, status;
	if (rc < 0)
		return rc;
	for (;;) {
		ssize_t n = getdelim(&tok, &cap, '\0', f);
		const char *t = n > 0 ? tok + (tok[0] == '\n') : NULL;
		if (have && (!t || t[0] == '\x01')) {
			/* the commit before is complete */
			char *sp = strchr(field[0], ' '), *tz = strchr(field[3], ' ');
			struct commit_row row = { field[0], field[1], field[2], field[4], strtoll(field[3], NULL, 10),
						  tz_minutes(tz ? tz + 1 : NULL), 0 };
			if (sp) {
				*sp = '\0';
				row.merge = strchr(sp + 1, ' ') != NULL;
			}
			rc = record_commit(ix, space, ++*seq, &row, &cs);
			changes_clear(&cs);
			for (int i = 0; i < 5; i++)
				free(field[i]);
			have = 0;
			if (rc == 0)
				rc = history_step(ix, ncommits);
		}
		if (rc < 0 || !t)
			break;
		if (t[0] == '\x01') {
			field[0] = xstrdup(t + 1);
			for (int i = 1; i < 5 && rc == 0; i++)
				if (getdelim(&tok, &cap, '\0', f) < 0)
					rc = KN_EGIT;
				else
					field[i] = xstrdup(tok);
			if (rc < 0) {
				for (int i = 0; i < 5; i++)
					free(field[i]);
				break;
			}
			have = 1;
		} else if (t[0] == ':' && have) {
			rc = git_raw_change(&cs, f, t, &tok, &cap);
		} else if (t[0]) {
			rc = KN_EGIT; /* not git log's output as asked for */
		}
	}
	if (rc < 0)
		kill(pid, SIGTERM);
	fclose(f);
	free(tok);
	index_pchanges_free(&cs);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = rc < 0 ? rc : KN_EGIT;
	return rc;
}

int
index_history_add(struct index *ix, struct store *st, sqlite3_int64 space, const git_oid *from, const git_oid *to,
		  size_t *ncommits)
{
	git_revwalk *walk = NULL;
	struct changes cs = { 0 };
	sqlite3_int64 seq = 0;
	git_oid id;
	int rc = 0;
	*ncommits = 0;
	sqlite3_stmt *s = index_stmt(ix, q_seq_max);
	if (!s)
		return KN_EIO;
	bind_space(s, 1, space);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return index_sql_fail(ix, rc, "last commit number");
	if (!from) {
		/* all of history: git log, unless git cannot (then the walk below, from scratch) */
		sqlite3_int64 seq0 = seq;
		if ((rc = history_from_git(ix, st->gitdir, space, NULL, to, &seq, ncommits)) != KN_EGIT &&
		    rc != KN_EIO)
			return rc;
		log_warn("index: git log did not list the history; walking it with libgit2");
		static const char *const undo[] = { "DELETE FROM page_commits WHERE space = ?1 AND seq > ?2",
						    "DELETE FROM commits WHERE space = ?1 AND seq > ?2" };
		for (int i = 0; i < 2; i++) {
			sqlite3_stmt *d = index_stmt(ix, undo[i]);
			bind_space(d, 1, space);
			if (d)
				sqlite3_bind_int64(d, 2, seq0);
			if ((rc = index_run(ix, d)) < 0)
				return rc;
		}
		seq = seq0;
		*ncommits = 0;
	}
	rc = 0;
	if (git_revwalk_new(&walk, st->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, to) < 0 || (from && git_revwalk_hide(walk, from) < 0)) {
		store_log_git_error("revwalk", "index history");
		git_revwalk_free(walk);
		return KN_EGIT;
	}
	while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		git_tree *tree = NULL;
		if (git_commit_lookup(&c, st->repo, &id) < 0 || git_commit_tree(&tree, c) < 0) {
			store_log_git_error("commit lookup", "index history");
			rc = KN_EGIT;
		}
		if (rc == 0 && (rc = commit_changes(&cs, st->repo, c, tree)) < 0)
			store_log_git_error("history diff", "index");
		if (rc == 0)
			rc = record_git_commit(ix, space, ++seq, c, &cs);
		changes_clear(&cs);
		git_tree_free(tree);
		git_commit_free(c);
		if (rc == 0)
			rc = history_step(ix, ncommits);
	}
	free(cs.v);
	git_revwalk_free(walk);
	return rc;
}

int
index_history_updated(struct index *ix, sqlite3_int64 space, const char *const *paths, size_t n, int all)
{
	if (all) {
		sqlite3_stmt *s = index_stmt(ix, q_updated_all);
		bind_space(s, 1, space);
		return index_run(ix, s);
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = index_stmt(ix, q_updated_one);
		index_bind_str(s, 1, paths[i]);
		bind_space(s, 2, space);
		int rc = index_run(ix, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}
