/* test_store.c: commits on a real bare repository: compare-and-swap, conflicts, history. */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "store.h"

static int
count_entry(const struct store_logent *e, void *payload)
{
	(*(int *)payload)++;
	return 0;
}

static int
read_page(struct store *st, const char *path, struct buf *out)
{
	struct snap s;
	int rc = store_snap_open(&s, st, NULL);
	if (rc == 0)
		rc = store_read(out, NULL, &s, path);
	store_snap_close(&s);
	return rc;
}

int
main(void)
{
	char dir[] = "/tmp/kennis-unit-XXXXXX", gitdir[64];
	struct store *st = NULL;
	struct store_author who = { "Unit Test", "unit@example.com" };
	git_oid base, c1, c2, c3;
	struct buf b = BUF_INIT;

	git_libgit2_init();
	if (!mkdtemp(dir))
		return 1;
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	ok(store_init(gitdir, "/bin/false") == 0, "init creates the repository");
	ok(store_init(gitdir, "/bin/false") == KN_EEXISTS, "init refuses an existing one");
	ok(store_open(&st, gitdir) == 0, "open");
	ok(store_is_kennis(st), "marked as a kennis repository");
	ok(read_page(st, "Home.md", &b) == 0 && strstr(b.ptr, "Welcome"), "starter Home page");
	buf_reset(&b);
	ok(git_reference_name_to_id(&base, st->repo, STORE_BRANCH) == 0, "main exists");

	struct store_edit e1 = { "A.md", "one\n", 4 };
	ok(store_commit(&c1, st, &base, &e1, 1, &who, "a1") == 0, "commit on the tip");
	struct store_edit e2 = { "B.md", "bee\n", 4 };
	ok(store_commit(&c2, st, &base, &e2, 1, &who, "b1") == 0, "commit from an old base, other page: applied");
	ok(read_page(st, "A.md", &b) == 0 && strcmp(b.ptr, "one\n") == 0, "earlier page kept");
	buf_reset(&b);
	struct store_edit e3 = { "A.md", "two\n", 4 };
	ok(store_commit(&c3, st, &base, &e3, 1, &who, "a2") == KN_ECONFLICT, "same page from an old base: conflict");
	ok(read_page(st, "A.md", &b) == 0 && strcmp(b.ptr, "one\n") == 0, "conflict wrote nothing");
	buf_reset(&b);
	ok(store_commit(&c3, st, &c2, &e3, 1, &who, "a2") == 0, "same page from the tip: saved");
	git_oid again;
	ok(store_commit(&again, st, &c3, &e3, 1, &who, "noop") == 0 && git_oid_equal(&again, &c3),
	   "unchanged content makes no empty commit");
	struct store_edit nested = { "Deep/Er/Page.md", "x", 1 };
	ok(store_commit(&again, st, &c3, &nested, 1, &who, "nested") == 0, "nested folders are created");

	struct snap s;
	int n = 0;
	store_snap_open(&s, st, NULL);
	ok(store_log(&s, "A.md", 0, 100, count_entry, &n) == 0 && n == 2, "history of A has 2 commits (%d)", n);
	n = 0;
	store_log(&s, "A.md", 1, 100, count_entry, &n);
	ok(n == 1, "skip works");
	n = 0;
	store_log(&s, NULL, 0, 100, count_entry, &n);
	ok(n == 5, "whole-wiki history has 5 commits (%d)", n);
	store_snap_close(&s);

	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &c1);
	hex[12] = '\0';
	ok(store_snap_open(&s, st, hex) == 0 && git_oid_equal(&s.id, &c1), "abbreviated rev resolves");
	store_snap_close(&s);
	ok(store_snap_open(&s, st, "zz") == KN_EINVAL, "bad rev is KN_EINVAL");
	ok(store_snap_open(&s, st, "0000000000") == KN_ENOTFOUND, "unknown rev is KN_ENOTFOUND");

	/* Three-way merge through store_commit_merge: two edits of one page from one base. */
	git_oid mb, m1, m2;
	int merged = -1;
	struct store_edit p0 = { "M.md", "alpha\nbeta\ngamma\n", 17 };
	ok(store_commit(&mb, st, &again, &p0, 1, &who, "m0") == 0, "page for merging");
	struct store_edit p1 = { "M.md", "ALPHA\nbeta\ngamma\n", 17 };
	struct store_edit p2 = { "M.md", "alpha\nbeta\nGAMMA\n", 17 };
	ok(store_commit_merge(&m1, &merged, st, &mb, &p1, 1, &who, "m1") == 0 && merged == 0, "first edit: no merge needed");
	ok(store_commit_merge(&m2, &merged, st, &mb, &p2, 1, &who, "m2") == 0 && merged == 1, "second edit from the same base merged");
	buf_reset(&b);
	read_page(st, "M.md", &b);
	is_str(buf_cstr(&b), "ALPHA\nbeta\nGAMMA\n", "both edits kept");
	struct store_edit p3 = { "M.md", "alpha\nBETA?\ngamma\n", 18 };
	struct store_edit p4 = { "M.md", "alpha\nBETA!\ngamma\n", 18 };
	ok(store_commit_merge(&m1, &merged, st, &m2, &p3, 1, &who, "m3") == 0, "edit on the tip");
	ok(store_commit_merge(&m1, &merged, st, &m2, &p4, 1, &who, "m4") == KN_ECONFLICT, "clashing line: conflict");
	buf_reset(&b);
	read_page(st, "M.md", &b);
	is_str(buf_cstr(&b), "alpha\nBETA?\ngamma\n", "conflict wrote nothing");

	/* store_merge_text and append-only logs */
	const char *lb = "# Acme\n\nIntro.\n\n## Log\n\n- 1 May: first\n";
	const char *lt = "# Acme\n\nIntro.\n\n## Log\n\n- 1 May: first\n- 2 May: alice called\n";
	const char *lo = "# Acme\n\nIntro.\n\n## Log\n\n- 1 May: first\n- 2 May: bob shipped\n";
	buf_reset(&b);
	ok(store_merge_text(&b, lb, strlen(lb), lt, strlen(lt), lo, strlen(lo)) == 0, "two appends to a log merge");
	is_str(buf_cstr(&b), "# Acme\n\nIntro.\n\n## Log\n\n- 1 May: first\n- 2 May: alice called\n- 2 May: bob shipped\n",
	       "both entries, first committed first");
	const char *nb = "# Acme\n\n## Notes\n\n- a\n";
	const char *nt = "# Acme\n\n## Notes\n\n- a\n- b\n";
	const char *no = "# Acme\n\n## Notes\n\n- a\n- c\n";
	buf_reset(&b);
	ok(store_merge_text(&b, nb, strlen(nb), nt, strlen(nt), no, strlen(no)) == KN_ECONFLICT, "same appends outside a log conflict");
	ok(strstr(buf_cstr(&b), "<<<<<<<") != NULL, "conflict text has markers");
	const char *fb = "---\nlog: true\n---\n- a\n";
	const char *ft = "---\nlog: true\n---\n- a\n- b\n";
	const char *fo = "---\nlog: true\n---\n- a\n- c\n";
	buf_reset(&b);
	ok(store_merge_text(&b, fb, strlen(fb), ft, strlen(ft), fo, strlen(fo)) == 0, "front matter log: true makes the page a log");
	is_str(buf_cstr(&b), "---\nlog: true\n---\n- a\n- b\n- c\n", "both kept in order");
	const char *cb = "## Log\n\n- a\n";
	const char *ct = "## Log\n\n- a changed\n";
	const char *co = "## Log\n\n- a edited\n";
	buf_reset(&b);
	ok(store_merge_text(&b, cb, strlen(cb), ct, strlen(ct), co, strlen(co)) == KN_ECONFLICT, "changing a log entry twice conflicts");
	const char *xb = "## Log\n- a\n## After\n- x\n";
	const char *xt = "## Log\n- a\n## After\n- x\n- y\n";
	const char *xo = "## Log\n- a\n## After\n- x\n- z\n";
	buf_reset(&b);
	ok(store_merge_text(&b, xb, strlen(xb), xt, strlen(xt), xo, strlen(xo)) == KN_ECONFLICT, "the log section ends at the next heading");

	/* Log sections follow page.c's rules: code fences and CRLF front matter. */
	static const struct { const char *b, *t, *o, *want, *what; } logs[] = {
		{ "```\n## Log\n```\n- a\n", "```\n## Log\n```\n- a\n- b\n", "```\n## Log\n```\n- a\n- c\n", NULL,
		  "'## Log' in a code block opens no log: conflict" },
		{ "## Log\n```\n# code\n```\n- a\n", "## Log\n```\n# code\n```\n- a\n- b\n",
		  "## Log\n```\n# code\n```\n- a\n- c\n", "## Log\n```\n# code\n```\n- a\n- b\n- c\n",
		  "a heading in a code block does not end the log" },
		{ "## Log\n- a\n", "## Log\n- a\n- b\n```\nx\n```\n", "## Log\n- a\n- c\n",
		  "## Log\n- a\n- b\n```\nx\n```\n- c\n", "an entry with a code block is an entry" },
		{ "## Log\n- a\n", "## Log\n- a\n- b\n```\n", "## Log\n- a\n- c\n", NULL,
		  "an entry that leaves a code fence open: conflict" },
		{ "---\r\nlog: true\r\n---\r\n- a\r\n", "---\r\nlog: true\r\n---\r\n- a\r\n- b\r\n",
		  "---\r\nlog: true\r\n---\r\n- a\r\n- c\r\n", "---\r\nlog: true\r\n---\r\n- a\r\n- b\r\n- c\r\n",
		  "log: true in CRLF front matter" },
	};
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		buf_reset(&b);
		int rc = store_merge_text(&b, logs[i].b, strlen(logs[i].b), logs[i].t, strlen(logs[i].t), logs[i].o,
					  strlen(logs[i].o));
		if (logs[i].want)
			ok(rc == 0 && strcmp(buf_cstr(&b), logs[i].want) == 0, "%s", logs[i].what);
		else
			ok(rc == KN_ECONFLICT, "%s", logs[i].what);
	}

	/* A single edit rewrites the trees on its path itself (store.c, splice_path): the tree it
	 * makes must be the one libgit2 makes, in git's order (a folder sorts as "name/"), with
	 * folders made and removed as needed. */
	static const struct { const char *path, *content; } splices[] = {
		{ "Order/a.md", "1\n" },   { "Order/a-b.md", "2\n" }, { "Order/a/x.md", "3\n" },
		{ "Order/a0.md", "4\n" },  { "Order/a.b.md", "5\n" }, { "Order/a/x.md", "3b\n" },
		{ "Order/A.md", "6\n" },   { "Order/a/y/z.md", "7\n" }, { "Order/a/y/z.md", NULL },
		{ "Order/a/x.md", NULL },  { "Order/a-b.md", NULL },   { "Top.md", "8\n" },
		{ "Order/\xc3\xa9.md", "9\n" },
	};
	int same = 0;
	for (size_t i = 0; i < sizeof(splices) / sizeof(splices[0]); i++) {
		git_oid tip, made, want;
		git_commit *before = NULL, *after = NULL;
		git_tree *bt = NULL;
		struct store_edit se = { splices[i].path, splices[i].content, splices[i].content ? strlen(splices[i].content) : 0 };
		git_tree_update up = { splices[i].content ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE, { { 0 } },
				       GIT_FILEMODE_BLOB, splices[i].path };
		if (splices[i].content)
			git_blob_create_from_buffer(&up.id, st->repo, splices[i].content, strlen(splices[i].content));
		if (git_reference_name_to_id(&tip, st->repo, STORE_BRANCH) == 0 && git_commit_lookup(&before, st->repo, &tip) == 0 &&
		    git_commit_tree(&bt, before) == 0 && git_tree_create_updated(&want, st->repo, bt, 1, &up) == 0 &&
		    store_commit(&made, st, &tip, &se, 1, &who, "splice") == 0 && git_commit_lookup(&after, st->repo, &made) == 0 &&
		    git_oid_equal(git_commit_tree_id(after), &want))
			same++;
		else
			printf("# splice %s: not the tree libgit2 makes\n", splices[i].path);
		git_tree_free(bt);
		git_commit_free(before);
		git_commit_free(after);
	}
	ok(same == (int)(sizeof(splices) / sizeof(splices[0])), "single edits make libgit2's trees (%d)", same);
	struct store_edit gone = { "Nope/None.md", NULL, 0 };
	ok(store_commit(&c3, st, NULL, &gone, 1, &who, "nothing") != 0, "removing what is not there fails, as before");
	char fsck[256];
	snprintf(fsck, sizeof(fsck), "git -C %s fsck --strict --no-dangling >/dev/null 2>&1", gitdir);
	ok(system(fsck) == 0, "and git fsck --strict finds them sound");

	/* store_tip keeps main's commit while the file it comes from looks the same: every
	 * move is seen at once, by git itself (a new loose ref, or only packed-refs after
	 * pack-refs) or by another handle of this process. */
	struct store *other = NULL;
	git_oid was, seen, moved;
	ok(store_open(&other, gitdir) == 0 && store_tip(&was, other) == 0, "a second handle reads main");
	int right = 1;
	for (int i = 0; i < 30; i++) {
		const git_oid *want = i % 2 ? &c2 : &c3;
		char id[GIT_OID_HEXSZ + 1], git[512];
		git_oid_tostr(id, sizeof(id), want);
		/* every third: then main only in packed-refs */
		snprintf(git, sizeof(git), "git --git-dir=%s update-ref refs/heads/main %s && { [ %d != 2 ] || git --git-dir=%s pack-refs --all; }",
			 gitdir, id, i % 3, gitdir);
		right &= system(git) == 0 && store_tip(&seen, other) == 0 && git_oid_equal(&seen, want);
		right &= store_tip(&seen, other) == 0 && git_oid_equal(&seen, want); /* and kept */
	}
	ok(right, "30 moves of main by git (every third then packed): each seen at once");
	struct store_edit e5 = { "Tip.md", "tip\n", 4 };
	ok(store_tip(&seen, other) == 0 && store_commit(&moved, st, &seen, &e5, 1, &who, "tip") == 0 &&
	   store_tip(&seen, other) == 0 && git_oid_equal(&seen, &moved), "a commit by another handle: seen at once");
	store_close(other);

	/* main pointing at a blob: the commit fails cleanly (and frees what it made: make SAN=address). */
	git_oid blob, out;
	git_reference *ref = NULL;
	struct store_edit e4 = { "A.md", "three\n", 6 };
	ok(git_blob_create_from_buffer(&blob, st->repo, "x", 1) == 0 &&
	   git_reference_create(&ref, st->repo, STORE_BRANCH, &blob, 1, "break main") == 0, "main set to a blob");
	git_reference_free(ref);
	ok(store_commit(&out, st, &blob, &e4, 1, &who, "on a blob") == KN_EGIT, "a tip that is no commit: KN_EGIT");

	buf_free(&b);
	store_close(st);
	git_libgit2_shutdown();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
