/* test_manage.c: link rewriting for renames, the redirect list, and rename/delete/restore/
 * revert/blame on a real bare repository. */
#include "tap.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "manage.h"

/* Rewrite `md` (on page `page`) from `from` to `to` and compare with `want`. */
static void
rw(const char *page, const char *from, const char *to, const char *md, const char *want, int nwant)
{
	struct buf out = BUF_INIT;
	int n = manage_rewrite_links(&out, md, strlen(md), page, from, to, NULL, 0);
	is_str(buf_cstr(&out), want, "%s: %s", page, md);
	ok(n == nwant, "  %d link(s) changed (got %d)", nwant, n);
	buf_free(&out);
}

static void
test_wikilinks(void)
{
	rw("Home", "Acme", "Acme-Corp", "See [[Acme]].", "See [[Acme-Corp]].", 1);
	rw("Home", "Acme-Corp", "Customers/Acme-Corp", "See [[Acme Corp]] and [[Acme-Corp]].",
	   "See [[Customers/Acme Corp]] and [[Customers/Acme-Corp]].", 2);
	rw("Home", "Acme-Corp", "Globex", "[[the client|Acme Corp]] [[x| Acme Corp #Contacts ]]",
	   "[[the client|Globex]] [[x| Globex #Contacts ]]", 2);
	rw("Home", "Acme", "Acme-Corp", "Not these: [[Acme Corp]] [[Acmes]] [[Customers/Acme]] [[#Acme]] Acme",
	   "Not these: [[Acme Corp]] [[Acmes]] [[Customers/Acme]] [[#Acme]] Acme", 0);
	rw("Home", "Acme", "New", "[[Acme|Other]] keeps its target", "[[Acme|Other]] keeps its target", 0);
	rw("Home", "Customers/Acme-Corp", "Clients/Acme", "[[Customers/Acme   Corp]]", "[[Clients/Acme]]", 1);
	rw("Home", "Acme", "B", "[[[[Acme]] [[Acme\n]] [Acme]", "[[[[B]] [[Acme\n]] [Acme]", 1);
	rw("Home", "Acme", "B", "[[Acme]]", "[[B]]", 1);
	rw("Home", "Acme", "Ünïcode-Name", "[[Acme]]", "[[Ünïcode-Name]]", 1);
	rw("Home", "Acme", "B", "", "", 0);
}

static void
test_code(void)
{
	rw("Home", "Acme", "B", "`[[Acme]]` and ``a ` [[Acme]]`` and [[Acme]]",
	   "`[[Acme]]` and ``a ` [[Acme]]`` and [[B]]", 1);
	rw("Home", "Acme", "B", "```\n[[Acme]]\n```\n[[Acme]]\n", "```\n[[Acme]]\n```\n[[B]]\n", 1);
	rw("Home", "Acme", "B", "~~~~ text\n[[Acme]]\n~~~\nstill code [[Acme]]\n~~~~~\n[[Acme]]",
	   "~~~~ text\n[[Acme]]\n~~~\nstill code [[Acme]]\n~~~~~\n[[B]]", 1);
	rw("Home", "Acme", "B", "- item\n  ```\n  [[Acme]]\n  ```\n> ```\n> [(x)](Acme)\n> ```\n",
	   "- item\n  ```\n  [[Acme]]\n  ```\n> ```\n> [(x)](Acme)\n> ```\n", 0);
	rw("Home", "Acme", "B", "unclosed ` [[Acme]]", "unclosed ` [[B]]", 1);
	rw("Home", "Acme", "B", "span over\nlines `a\n[[Acme]]` [[Acme]]", "span over\nlines `a\n[[Acme]]` [[B]]", 1);
	rw("Home", "Acme", "B", "no span across\n\nparagraphs `a\n\n[[Acme]]`", "no span across\n\nparagraphs `a\n\n[[B]]`", 1);
	rw("Home", "Acme", "B", "escaped \\`[[Acme]]`", "escaped \\`[[B]]`", 1);
	rw("Home", "Acme", "B", "``` not a fence ``` [[Acme]]", "``` not a fence ``` [[B]]", 1);
	rw("Home", "Acme", "B", "```\nunclosed fence [[Acme]]", "```\nunclosed fence [[Acme]]", 0);
}

static void
test_mdlinks(void)
{
	rw("Home", "Acme-Corp", "Globex", "[a](Acme-Corp) [b](/wiki/Acme-Corp#x) [c](<Acme-Corp> \"t\") [d]( Acme-Corp )",
	   "[a](Globex) [b](/wiki/Globex#x) [c](<Globex> \"t\") [d]( Globex )", 4);
	rw("Home", "Acme-Corp", "Customers/Acme", "[a](Acme-Corp) ![i](./Acme-Corp)",
	   "[a](Customers/Acme) ![i](Customers/Acme)", 2);
	/* relative links resolve from the linking page's folder, as in a browser */
	rw("Customers/Globex", "Customers/Acme", "Clients/Acme", "[a](Acme) [b](../Customers/Acme) [c](/wiki/Customers/Acme)",
	   "[a](/wiki/Clients/Acme) [b](/wiki/Clients/Acme) [c](/wiki/Clients/Acme)", 3);
	rw("Customers/Globex", "Customers/Acme", "Customers/Acme-Corp", "[a](Acme) [b](Acme#Contacts)",
	   "[a](Acme-Corp) [b](Acme-Corp#Contacts)", 2);
	rw("Customers/Globex", "Acme", "B", "[a](Acme) [b](../Acme)", "[a](Acme) [b](/wiki/B)", 1);
	rw("Home", "Acme-Corp", "B", "[a](Acme%2DCorp) [b](/wiki/Acme%2dCorp)", "[a](B) [b](/wiki/B)", 2);
	rw("Home", "Acme-Corp", "Über Uns", "[a](Acme-Corp)", "[a](%C3%9Cber%20Uns)", 1);
	/* left alone: other sites, pinned revisions, other pages, other routes, odd escapes */
	const char *keep = "[a](https://x.example/wiki/Acme-Corp) [b](/wiki/Acme-Corp?rev=abcd) [c](Acme-Corp-2) "
			   "[d](/edit/Acme-Corp) [e](#Acme-Corp) [f](Acme\\-Corp) [g](../../Acme-Corp) [h](Acme%ZZ) "
			   "[i](mailto:Acme-Corp) `[j](Acme-Corp)` [k] (Acme-Corp)";
	rw("Home", "Acme-Corp", "B", keep, keep, 0);
	rw("Home", "Acme-Corp", "B", "[ref]: /wiki/Acme-Corp\n   [r2]: Acme-Corp \"title\"\n[[x]]: Acme-Corp\n",
	   "[ref]: /wiki/B\n   [r2]: B \"title\"\n[[x]]: Acme-Corp\n", 2);
	rw("Home", "Acme", "B", "[a](Acme(1)) [b](Acme) (Acme)", "[a](Acme(1)) [b](B) (Acme)", 1);
}

static void
test_own_page(void)
{
	/* The moved page's own relative links keep their targets when its folder changes. */
	rw("Customers/Acme", "Customers/Acme", "Clients/Acme",
	   "[g](Globex) [h](../Home) [s](Acme) [[Customers/Acme]] [w](/wiki/Customers/Globex) [u](https://x)",
	   "[g](/wiki/Customers/Globex) [h](../Home) [s](Acme) [[Clients/Acme]] [w](/wiki/Customers/Globex) [u](https://x)",
	   2);
	rw("Acme", "Acme", "Clients/Acme", "[s](Acme) [g](Clients/Globex) [h](Home)",
	   "[s](Acme) [g](Globex) [h](/wiki/Home)", 2);
	rw("Customers/Acme", "Customers/Acme", "Customers/Acme-Corp", "[g](Globex) [s](Acme)",
	   "[g](Globex) [s](Acme-Corp)", 1);
}

static void
test_hostile(void)
{
	/* Long runs of unmatched syntax must stay fast (linear), and come out unchanged. */
	size_t n = 1 << 20;
	char *md = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		md[i] = "`](["[i % 4];
	md[n] = '\0';
	struct buf out = BUF_INIT;
	manage_rewrite_links(&out, md, n, "Home", "Acme", "B", NULL, 0);
	ok(out.len == n && memcmp(out.ptr, md, n) == 0, "1 MiB of ` ]( [ comes out unchanged");
	buf_reset(&out);
	for (size_t i = 0, k = 1; i < n; k++)
		for (size_t j = 0; j <= k && i < n; j++, i++)
			md[i] = j < k ? '`' : 'x';
	manage_rewrite_links(&out, md, n, "Home", "Acme", "B", NULL, 0);
	ok(out.len == n && memcmp(out.ptr, md, n) == 0, "backtick runs of every length come out unchanged");
	static const char *const pats[] = { "](", "](<", "]((((((((", "[[", "[a]: ", "[x](Acme)" };
	for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		size_t pl = strlen(pats[p]);
		for (size_t i = 0; i < n; i++)
			md[i] = pats[p][i % pl];
		buf_reset(&out);
		clock_t t0 = clock();
		int changed = manage_rewrite_links(&out, md, n, "Home", "Acme", "B", NULL, 0);
		double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
		ok(p == 5 ? changed > 100000 : out.len == n && memcmp(out.ptr, md, n) == 0,
		   "1 MiB of \"%s\" repeated: %.3f s", pats[p], secs);
	}
	free(md);
	buf_free(&out);
}

static void
redirects(const char *in, const char *from, const char *to, const char *want, const char *what)
{
	struct buf out = BUF_INIT;
	manage_redirects_update(&out, in, strlen(in), from, to);
	is_str(buf_cstr(&out), want, "%s", what);
	buf_free(&out);
}

static void
test_redirects(void)
{
	struct buf out = BUF_INIT;
	manage_redirects_update(&out, "", 0, "Old", "New");
	ok(strncmp(buf_cstr(&out), "# Redirects\n\n", 13) == 0 && strstr(out.ptr, "\n\n- Old -> New\n") &&
	   out.ptr[out.len - 1] == '\n' && strlen(strstr(out.ptr, "\n\n- Old")) == 15,
	   "a new list gets a heading, an explanation and the line");
	buf_free(&out);
	redirects("# R\n- A -> Old\n* X ->  Y  \n", "Old", "New", "# R\n- A -> New\n* X ->  Y  \n- Old -> New\n",
		  "a chain to the old name is shortened, other lines stay as written");
	redirects("- New -> Old\n- Old -> Z\n", "Old", "New", "- Old -> New\n", "no redirect away from either name");
	redirects("no newline at the end", "A", "B", "no newline at the end\n- A -> B\n", "a last line without newline");
	redirects("- Acme Corp -> B\ntext - not -> a redirect? yes it is not\n", "Acme-Corp", "C",
		  "text - not -> a redirect? yes it is not\n- Acme-Corp -> C\n", "names compare in link form");
}

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
	buf_reset(out);
	int rc = store_snap_open(&s, st, NULL);
	if (rc == 0)
		rc = store_read(out, NULL, &s, path);
	store_snap_close(&s);
	return rc;
}

struct blame_seen {
	int groups;
	size_t lines;
	char authors[256];
};

static int
blame_cb(const struct manage_blame_group *g, void *payload)
{
	struct blame_seen *b = payload;
	b->groups++;
	b->lines += g->nlines;
	strncat(b->authors, g->author, sizeof(b->authors) - strlen(b->authors) - 2);
	strcat(b->authors, ";");
	return 0;
}

/* A new wiki repository in a new directory made from template `dir`; NULL on failure. */
static struct store *
new_repo(char *dir)
{
	char gitdir[64];
	struct store *st = NULL;
	if (!mkdtemp(dir))
		return NULL;
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	ok(store_init(gitdir, "/bin/false") == 0 && store_open(&st, gitdir) == 0, "repository");
	return st;
}

static void
drop_repo(struct store *st, const char *dir)
{
	char cmd[128];
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void
test_store(void)
{
	char dir[] = "/tmp/kennis-unit-XXXXXX", hex[GIT_OID_HEXSZ + 1];
	struct store *st = NULL;
	struct store_author ann = { "Ann", "ann@example.com" }, bob = { "Bob", "bob@example.com" };
	git_oid base, c1, c2, tip;
	struct buf b = BUF_INIT;
	struct snap s;
	size_t np;

	git_libgit2_init();
	if (!(st = new_repo(dir)))
		return;
	struct store_edit e[] = {
		{ .path = "Customers/Acme.md", .content = "# Acme\n\nSee [x](Globex).\n", .len = 25 },
		{ .path = "Customers/Globex.md", .content = "[[Customers/Acme]] and [a](Acme)\n", .len = 33 },
		{ .path = "Notes.md", .content = "`[[Customers/Acme]]` [[Customers/Acme Corp]]\n", .len = 45 },
	};
	git_reference_name_to_id(&base, st->repo, STORE_BRANCH);
	ok(store_commit(&c1, st, &base, e, 3, &ann, "pages") == 0, "three pages");

	ok(manage_rename(&tip, &np, st, &c1, "Customers/Acme", "Customers/Globex", &ann, NULL) == KN_EEXISTS,
	   "rename onto an existing page: refused");
	ok(manage_rename(&tip, &np, st, &c1, "Customers/Acme", "Customers/Globex/Sub", &ann, NULL) == 0,
	   "a folder beside a page of the same name is fine");
	ok(manage_rename(&tip, &np, st, &tip, "Customers/Globex/Sub", "Customers/Acme", &ann, NULL) == 0, "and back");
	git_reference_name_to_id(&c1, st->repo, STORE_BRANCH);
	ok(manage_rename(&tip, &np, st, &c1, "Customers/Acme", "Customers/Acme", &ann, NULL) == KN_EINVAL, "same name");
	ok(manage_rename(&tip, &np, st, &c1, "Customers/Acme", "Acme Corp", &ann, NULL) == KN_EINVAL, "blanks");
	ok(manage_rename(&tip, &np, st, &c1, "Nope", "Nope2", &ann, NULL) == KN_ENOTFOUND, "missing page");
	ok(manage_rename(&tip, &np, st, &c1, "Notes", "_Redirects", &ann, NULL) == KN_EINVAL &&
	   manage_rename(&tip, &np, st, &c1, "_Redirects", "R", &ann, NULL) == KN_EINVAL, "the redirect list stays");
	struct store_edit other = { .path = "Other.md", .content = "x", .len = 1 };
	ok(store_commit(&c2, st, &c1, &other, 1, &bob, "other") == 0, "someone edits another page");
	ok(manage_rename(&tip, &np, st, &c1, "Customers/Acme", "Clients/Acme", &ann, "moved") == 0 && np == 1,
	   "rename from an older base: applied (%zu page rewritten)", np);
	ok(read_page(st, "Clients/Acme.md", &b) == 0 && strcmp(b.ptr, "# Acme\n\nSee [x](/wiki/Customers/Globex).\n") == 0,
	   "moved, own relative link re-based");
	ok(read_page(st, "Customers/Acme.md", &b) == KN_ENOTFOUND, "old file gone");
	ok(read_page(st, "Customers/Globex.md", &b) == 0 && strcmp(b.ptr, "[[Clients/Acme]] and [a](/wiki/Clients/Acme)\n") == 0,
	   "links in another page rewritten");
	ok(read_page(st, "Notes.md", &b) == 0 && strstr(b.ptr, "`[[Customers/Acme]]`"), "code span untouched");
	ok(read_page(st, "_Redirects.md", &b) == 0 && strstr(b.ptr, "\n- Customers/Acme -> Clients/Acme\n"),
	   "redirect recorded");

	git_commit *cm = NULL;
	git_commit_lookup(&cm, st->repo, &tip);
	ok(cm && strstr(git_commit_message(cm), "Rename Customers/Acme to Clients/Acme: moved\n\nLinks updated in 1 page:\nCustomers/Globex\n"),
	   "commit message");
	ok(cm && git_commit_parentcount(cm) == 1 && git_oid_equal(git_commit_parent_id(cm, 0), &c2), "one commit on top");
	git_commit_free(cm);

	store_snap_open(&s, st, NULL);
	buf_reset(&b);
	ok(manage_redirect_target(&b, &s, "Customers/Acme") == 0 && strcmp(b.ptr, "Clients/Acme") == 0, "redirect target");
	buf_reset(&b);
	ok(manage_redirect_target(&b, &s, "Customers/Other") == KN_ENOTFOUND, "no redirect for other names");
	store_snap_close(&s);
	ok(manage_rename(&tip, &np, st, &c1, "Clients/Acme", "Acme", &ann, NULL) == KN_ECONFLICT,
	   "rename with a base older than the page's last change: conflict");
	git_reference_name_to_id(&c1, st->repo, STORE_BRANCH);
	ok(manage_rename(&tip, &np, st, &c1, "Clients/Acme", "Acme", &ann, NULL) == 0, "rename again");
	store_snap_open(&s, st, NULL);
	buf_reset(&b);
	ok(manage_redirect_target(&b, &s, "Customers/Acme") == 0 && strcmp(b.ptr, "Acme") == 0, "chain shortened");
	store_snap_close(&s);

	/* delete, restore, revert */
	git_reference_name_to_id(&c1, st->repo, STORE_BRANCH);
	ok(manage_delete(&tip, st, &c1, "Acme", &bob, "duplicate") == 0, "delete");
	ok(read_page(st, "Acme.md", &b) == KN_ENOTFOUND, "deleted");
	ok(manage_delete(&tip, st, &tip, "Acme", &bob, "again") == KN_ENOTFOUND, "delete a missing page: not found");
	store_snap_open(&s, st, NULL);
	git_oid last;
	ok(manage_last_version(&last, &s, "Acme.md") == 0 && git_oid_equal(&last, &c1), "last version found");
	ok(manage_last_version(&last, &s, "Never.md") == KN_ENOTFOUND, "never existed");
	int n = 0;
	store_log(&s, "Acme.md", 0, 10, count_entry, &n);
	ok(n == 2, "history still lists the page (%d)", n);
	store_snap_close(&s);
	git_oid_tostr(hex, sizeof(hex), &c1);
	ok(manage_bring_back(&tip, st, NULL, "Acme", hex, 1, &ann, NULL) == 0, "restore");
	ok(read_page(st, "Acme.md", &b) == 0 && strstr(b.ptr, "# Acme"), "restored content");
	ok(manage_bring_back(&tip, st, NULL, "Acme", hex, 1, &ann, NULL) == KN_ECONFLICT, "restore of an existing page: conflict");
	ok(manage_bring_back(&tip, st, NULL, "Acme", "zz", 0, &ann, NULL) == KN_EINVAL, "bad rev");
	ok(manage_bring_back(&tip, st, NULL, "Acme", "", 0, &ann, NULL) == KN_EINVAL, "no rev");
	ok(manage_bring_back(&tip, st, NULL, "Acme", "0000000000", 0, &ann, NULL) == KN_ENOTFOUND, "unknown rev");
	git_oid_tostr(hex, sizeof(hex), &base);
	ok(manage_bring_back(&tip, st, NULL, "Acme", hex, 0, &ann, NULL) == KN_ENOTFOUND, "revert to before the page existed");

	const char *t2 = "# Acme\n\nSee [x](/wiki/Customers/Globex).\nBob's line\n";
	struct store_edit v2 = { .path = "Acme.md", .content = t2, .len = strlen(t2) };
	git_reference_name_to_id(&c1, st->repo, STORE_BRANCH);
	ok(store_commit(&c2, st, &c1, &v2, 1, &bob, "bob") == 0, "Bob edits");
	git_oid_tostr(hex, sizeof(hex), &c1);
	ok(manage_bring_back(&tip, st, &c1, "Acme", hex, 0, &ann, NULL) == KN_ECONFLICT, "revert from a stale base: conflict");
	store_snap_open(&s, st, NULL);
	struct blame_seen bs = { 0 };
	ok(manage_blame(&s, "Acme.md", blame_cb, &bs) == 0 && bs.lines == 4, "blame covers 4 lines (%zu)", bs.lines);
	ok(strstr(bs.authors, "Ann;") && strstr(bs.authors, "Bob;") && bs.groups == 2, "two authors, two groups: %s",
	   bs.authors);
	ok(manage_blame(&s, "Nope.md", blame_cb, &bs) == KN_ENOTFOUND, "blame of a missing page");
	store_snap_close(&s);
	ok(manage_bring_back(&tip, st, &c2, "Acme", hex, 0, &ann, "undo") == 0, "revert");
	ok(read_page(st, "Acme.md", &b) == 0 && !strstr(b.ptr, "Bob"), "reverted content");
	git_commit_lookup(&cm, st->repo, &tip);
	ok(cm && git_oid_equal(git_commit_parent_id(cm, 0), &c2) && strncmp(git_commit_message(cm), "Revert Acme to ", 15) == 0,
	   "revert is a new commit: %s", cm ? git_commit_summary(cm) : "");
	git_commit_free(cm);

	buf_free(&b);
	drop_repo(st, dir);
}

/* Attachments (files in the page's folder that are no pages) move with it; pages below it
 * stay; links to them follow, relative or absolute, from the page and elsewhere. */
static void
test_attachments(void)
{
	char dir[] = "/tmp/kennis-unit-XXXXXX";
	struct store *st = NULL;
	struct store_author ann = { "Ann", "ann@example.com" };
	struct buf b = BUF_INIT;
	size_t np;
	if (!(st = new_repo(dir)))
		return;
	git_oid t0, t1, tip;
	struct store_edit att[] = {
		{ .path = "Clients/Acme/logo.png", .content = "PNG", .len = 3 },
		{ .path = "Clients/Acme/contract.pdf", .content = "PDF", .len = 3 },
		{ .path = "Clients/Acme/Sub-Page.md", .content = "sub\n", .len = 4 },
		{ .path = "Clients/Acme.md", .content = "![](Acme/logo.png) [c](Acme/contract.pdf) [s](Acme/Sub-Page)\n", .len = 61 },
		{ .path = "Notes.md", .content = "[c](/wiki/Clients/Acme/contract.pdf) [o](Clients/Acme/other.txt)\n", .len = 65 },
	};
	git_reference_name_to_id(&t0, st->repo, STORE_BRANCH);
	ok(store_commit(&t1, st, &t0, att, 5, &ann, "attachments") == 0, "a page with two attachments and a sub-page");
	int rrc = manage_rename(&tip, &np, st, &t1, "Clients/Acme", "Archive/Acme-Old", &ann, NULL);
	ok(rrc == 0 && np == 1, "rename it (%d; %zu other page rewritten: Notes)", rrc, rrc == 0 ? np : 0);
	ok(read_page(st, "Archive/Acme-Old/logo.png", &b) == 0 && strcmp(b.ptr, "PNG") == 0 &&
	   read_page(st, "Archive/Acme-Old/contract.pdf", &b) == 0 && strcmp(b.ptr, "PDF") == 0,
	   "the attachments moved, same content");
	ok(read_page(st, "Clients/Acme/logo.png", &b) == KN_ENOTFOUND && read_page(st, "Clients/Acme/contract.pdf", &b) == KN_ENOTFOUND,
	   "and are gone from the old folder");
	ok(read_page(st, "Clients/Acme/Sub-Page.md", &b) == 0, "a page below the old one stays where it is");
	ok(read_page(st, "Archive/Acme-Old.md", &b) == 0, "the page moved");
	is_str(b.ptr, "![](Acme-Old/logo.png) [c](Acme-Old/contract.pdf) [s](/wiki/Clients/Acme/Sub-Page)\n",
	       "its links: to the moved attachments relative, to the sub-page re-based");
	ok(read_page(st, "Notes.md", &b) == 0, "the other page");
	is_str(b.ptr, "[c](/wiki/Archive/Acme-Old/contract.pdf) [o](Clients/Acme/other.txt)\n",
	       "its link to a moved attachment follows; one to a file that did not move stays");
	git_commit *ac = NULL;
	git_commit_lookup(&ac, st->repo, &tip);
	ok(ac && strstr(git_commit_message(ac), "Attachments moved along: contract.pdf logo.png"),
	   "the commit says which attachments moved");
	git_commit_free(ac);
	struct store_edit clash = { .path = "Clients/Acme/logo.png", .content = "X", .len = 1 };
	struct store_edit back = { .path = "Clients/Acme.md", .content = "x\n", .len = 2 };
	git_reference_name_to_id(&t0, st->repo, STORE_BRANCH);
	ok(store_commit(&t1, st, &t0, &clash, 1, &ann, "clash") == 0 && store_commit(&t0, st, &t1, &back, 1, &ann, "page") == 0,
	   "a new page Clients/Acme, and a file in its folder");
	ok(manage_rename(&tip, &np, st, &t0, "Archive/Acme-Old", "Clients/Acme-2", &ann, NULL) == 0, "moving elsewhere is fine");
	git_reference_name_to_id(&t0, st->repo, STORE_BRANCH);
	struct store_edit taken = { .path = "Clients/Acme-3/logo.png", .content = "Y", .len = 1 };
	ok(store_commit(&t1, st, &t0, &taken, 1, &ann, "taken") == 0 &&
	   manage_rename(&tip, &np, st, &t1, "Clients/Acme-2", "Clients/Acme-3", &ann, NULL) == KN_EEXISTS,
	   "an attachment that would overwrite a file: the rename is refused");
	ok(read_page(st, "Clients/Acme-2/logo.png", &b) == 0 && strcmp(b.ptr, "PNG") == 0, "nothing moved");
	buf_free(&b);
	drop_repo(st, dir);
}

int
main(void)
{
	test_wikilinks();
	test_code();
	test_mdlinks();
	test_own_page();
	test_hostile();
	test_redirects();
	test_store();
	test_attachments();
	git_libgit2_shutdown();
	return tap_done();
}
