/* test_links.c: wiki links found as GitHub wikis find pages: root, the page's folder, then anywhere. */
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>

#include "links.h"
#include "manage.h"
#include "render.h"
#include "store.h"

static struct store *st;
static struct snap snap;

static const char *const files[] = {
	"Home.md", "Page.md", "A/Page.md", "A/Sub.md", "A/B/x.md", "Folder/Deep/Page-Name.md", "Folder/Deep/Only.md",
	"X/Dup.md", "Y/Z/Dup.md", "A/B/C/Dup.md", "E/case.md", "F/Case.md", "Other/Page Name 2.md",
	"Installation:-Linux.md", "Q/umask-?.md", "img/pic.png", ".vscode/Hidden.md",
};

/* Where [[name]] on page file `from` leads: "page" or "-page" when missing. */
static const char *
where(const char *from, const char *name)
{
	static char out[256];
	struct buf b = BUF_INIT;
	int found = links_resolve(&b, snap.tree, from, name, strlen(name));
	snprintf(out, sizeof(out), "%s%s", found ? "" : "-", buf_cstr(&b));
	buf_free(&b);
	return out;
}

static void
test_resolve(void)
{
	is_str(where("A/B/x.md", "Page"), "Page", "the root first, even from a folder with a nearer one");
	is_str(where("A/x.md", "Sub"), "A/Sub", "then the page's own folder");
	is_str(where("Home.md", "Sub"), "A/Sub", "then the one page of that name anywhere");
	is_str(where("Home.md", "Only"), "Folder/Deep/Only", "anywhere, deep down");
	is_str(where(NULL, "Only"), "Folder/Deep/Only", "from a text of no page");
	is_str(where("Home.md", "Deep/Only"), "Folder/Deep/Only", "a name with a folder: its last parts");
	is_str(where("Home.md", "eep/Only"), "-eep/Only", "whole parts only");
	is_str(where("Home.md", "Nope/Only"), "-Nope/Only", "no such page: the name as written, from the root");
	is_str(where("Home.md", "Page-Name"), "Folder/Deep/Page-Name", "[[Page Name]] finds Page-Name.md anywhere");
	is_str(where("Home.md", "page-name"), "Folder/Deep/Page-Name", "without ASCII case");
	is_str(where("Home.md", "Page-Name-2"), "Other/Page Name 2", "and a file with blanks (' ' as '-')");
	is_str(where("Home.md", "Installation:-Linux"), "Installation:-Linux", "a GitHub name with ':'");
	is_str(where("Home.md", "umask-?"), "Q/umask-?", "and with '?', in a folder");
	is_str(where("Home.md", "pic"), "-pic", "an attachment is no page");
	is_str(where("Home.md", "Hidden"), "-Hidden", "a file in a dot-folder is no page");
	/* several pages of one name: the nearest */
	is_str(where("A/B/y.md", "Dup"), "A/B/C/Dup", "ambiguous: the most folders in common (A/B)");
	is_str(where("X/q.md", "Dup"), "X/Dup", "... (X)");
	is_str(where("Y/q.md", "Dup"), "Y/Z/Dup", "... (Y)");
	is_str(where("Home.md", "Dup"), "X/Dup", "none in common: the fewest folders");
	is_str(where("E/x.md", "Case"), "F/Case", "the same bytes before a nearer page of another case");
	is_str(where("Home.md", "case"), "E/case", "... either way");
	struct buf b = BUF_INIT;
	ok(links_resolve(&b, NULL, "Home.md", "Page", 4) == 0 && strcmp(b.ptr, "Page") == 0, "an empty wiki has no pages");
	buf_reset(&b);
	links_key(&b, "Folder/Page Name", 16);
	is_str(b.ptr, "page-name", "the key: the last part, lower case, blanks as '-'");
	buf_free(&b);
}

struct linking {
	const char *from;
};

static int
resolve(void *payload, const char *name, struct buf *out)
{
	struct linking *l = payload;
	return links_resolve(out, snap.tree, l->from, name, strlen(name));
}

/* The renderer asks once per name and links what links.c found. */
static void
test_render(void)
{
	struct buf html = BUF_INIT, links = BUF_INIT;
	struct linking l = { "A/B/x.md" };
	struct render_ctx ctx = { NULL, &l, &links, resolve };
	render_markdown(&html, "[[Only]] [[x|Dup]] [[Page Name#Top]] [[Nothing Here]] [[Only]]\n", 64, &ctx);
	ok(strstr(html.ptr, "<a class=\"wikilink\" href=\"/wiki/Folder/Deep/Only\">Only</a>") != NULL, "found anywhere");
	ok(strstr(html.ptr, "<a class=\"wikilink\" href=\"/wiki/A/B/C/Dup\">x</a>") != NULL, "the nearest");
	ok(strstr(html.ptr, "<a class=\"wikilink\" href=\"/wiki/Folder/Deep/Page-Name#top\">") != NULL, "with its anchor");
	ok(strstr(html.ptr, "<a class=\"wikilink missing\" href=\"/edit/Nothing-Here\">") != NULL, "missing: create at the root");
	is_str(links.ptr, "\tOnly\tFolder/Deep/Only\n\tDup\tA/B/C/Dup\n\tPage-Name\tFolder/Deep/Page-Name\n\tNothing-Here\tNothing-Here\n",
	       "links: each name once, as written and as found");
	buf_free(&html);
	buf_free(&links);
}

/* Relative URLs are written from the page's folder, so they lead where they do on the
 * page's own address wherever the HTML is shown (the front page at /, the preview). */
static void
test_base(void)
{
	struct buf html = BUF_INIT;
	struct render_ctx ctx = { NULL, NULL, NULL, NULL, "/wiki/A%3F/B/" };
	const char md[] = "[a](x/y) ![i](logo.png) [b](/abs) [c](#frag) [d](https://e.com/) [e](mailto:x@y.z) "
			  "[f](../up) [g](?rev=1) [h](Installation:-Linux)\n";
	render_markdown(&html, md, sizeof(md) - 1, &ctx);
	ok(strstr(html.ptr, "<a href=\"/wiki/A%3F/B/x/y\">a</a>") && strstr(html.ptr, "<img src=\"/wiki/A%3F/B/logo.png\"") &&
	   strstr(html.ptr, "<a href=\"/wiki/A%3F/B/../up\">f</a>"), "relative links and images: from the folder (%s)", html.ptr);
	ok(strstr(html.ptr, "<a href=\"/abs\">b</a>") && strstr(html.ptr, "<a href=\"#frag\">c</a>") &&
	   strstr(html.ptr, "<a href=\"https://e.com/\">d</a>") && strstr(html.ptr, "<a href=\"mailto:x@y.z\">e</a>") &&
	   strstr(html.ptr, "<a href=\"?rev=1\">g</a>") && strstr(html.ptr, "<a href=\"Installation:-Linux\">h</a>"),
	   "paths, fragments, queries and schemes (as a browser reads them) stay");
	buf_free(&html);
}

/* Many threads resolve at once (the page list of a tree is shared). */
static void *
resolver_thread(void *arg)
{
	struct store *mine = NULL;
	struct snap s;
	long bad = 0;
	(void)arg;
	if (store_open(&mine, st->gitdir) < 0 || store_snap_open(&s, mine, NULL) < 0)
		return (void *)1;
	for (int i = 0; i < 300; i++) {
		struct buf b = BUF_INIT;
		bad += links_resolve(&b, s.tree, "Y/q.md", "Dup", 3) != 1 || strcmp(b.ptr, "Y/Z/Dup") != 0;
		buf_free(&b);
	}
	store_snap_close(&s);
	store_close(mine);
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t th[6];
	long bad = 0;
	links_global_release();
	for (int i = 0; i < 6; i++)
		pthread_create(&th[i], NULL, resolver_thread, NULL);
	for (int i = 0; i < 6; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += (long)r;
	}
	ok(bad == 0, "6 threads x 300 resolutions, all right (%ld wrong)", bad);
}

/* A rename follows links that found the page anywhere: they then name it in full. */
static void
test_rename(void)
{
	struct store_author who = { "Unit Test", "unit@example.com" };
	git_oid out;
	size_t n = 0;
	struct store_edit e = { .path = "Home.md", .content = "[[Only]] and [[Deep/Only]] and [[Page]]\n" };
	e.len = strlen(e.content);
	ok(store_commit(&out, st, &snap.id, &e, 1, &who, "links") == 0, "a page linking Only");
	ok(manage_rename(&out, &n, st, NULL, "Folder/Deep/Only", "Folder/Deep/Single", &who, NULL) == 0 && n == 1,
	   "rename Folder/Deep/Only (%zu pages with links)", n);
	struct snap s;
	struct buf md = BUF_INIT;
	ok(store_snap_open(&s, st, NULL) == 0 && store_read(&md, NULL, &s, "Home.md") == 0, "read Home");
	is_str(buf_cstr(&md), "[[Folder/Deep/Single]] and [[Folder/Deep/Single]] and [[Page]]\n",
	       "the links that found it now name the new page in full; others stay");
	buf_free(&md);
	store_snap_close(&s);
}

/* The page list of a new tree is made from the newest one kept and the diff: it finds what
 * a list read from the whole tree finds. */
static void
test_derived(void)
{
	static const char *const names[] = { "Page", "Sub", "Only", "Single", "Dup", "case", "Case", "Page-Name",
					     "Far-Away", "far away", "Deep/Page-Name", "Moved", "Gone-Soon", "x" };
	static const char *const froms[] = { "Home.md", "A/B/y.md", "X/q.md", "Y/q.md", "New/Deep/z.md" };
	struct store_author who = { "Unit Test", "unit@example.com" };
	struct store_edit e[5] = {
		{ .path = "New/Deep/Far-Away.md", .content = "far\n" },
		{ .path = "New/Dup.md", .content = "dup\n" },
		{ .path = "A/B/C/Dup.md" },			/* deleted */
		{ .path = "Moved/Gone-Soon.md", .content = "g\n" },
		{ .path = "Y/Z/Dup.md", .content = "changed in place\n" },
	};
	for (size_t i = 0; i < 5; i++)
		e[i].len = e[i].content ? strlen(e[i].content) : 0;
	struct snap s;
	git_oid out;
	unsigned long w0, d0, w1, d1, w2, d2;
	ok(store_snap_open(&s, st, NULL) == 0, "main as it is");
	struct buf b = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	links_resolve(&b, s.tree, "Home.md", "Dup", 3); /* its list is kept */
	links_counts(&w0, &d0);
	ok(store_commit(&out, st, &s.id, e, 5, &who, "pages come and go") == 0, "add three pages, delete one, change one");
	store_snap_close(&s);
	ok(store_snap_open(&s, st, NULL) == 0, "the new main");
	for (int pass = 0; pass < 2; pass++) {
		struct buf *into = pass ? &want : &got;
		if (pass)
			links_global_release(); /* nothing kept: the next list is read from the whole tree */
		for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
			for (size_t j = 0; j < sizeof(froms) / sizeof(*froms); j++) {
				buf_reset(&b);
				int found = links_resolve(&b, s.tree, froms[j], names[i], strlen(names[i]));
				buf_printf(into, "%s %s -> %s%s\n", froms[j], names[i], found ? "" : "-", b.ptr);
			}
		if (!pass)
			links_counts(&w1, &d1);
	}
	links_counts(&w2, &d2);
	ok(d1 == d0 + 1 && w1 == w0, "the new tree's list was made from the old one (walked %lu, derived %lu)", w1 - w0,
	   d1 - d0);
	ok(w2 == w1 + 1, "and, with nothing kept, read from the whole tree");
	ok(strcmp(got.ptr, want.ptr) == 0, "both find the same pages for %zu links", sizeof(names) / sizeof(*names) *
										 sizeof(froms) / sizeof(*froms));
	if (getenv("SHOW") || strcmp(got.ptr, want.ptr) != 0)
		fprintf(stderr, "# derived:\n%s# walked:\n%s", got.ptr, want.ptr);
	ok(strstr(got.ptr, "Home.md Far-Away -> New/Deep/Far-Away\n") && strstr(got.ptr, "Home.md Gone-Soon -> Moved/Gone-Soon\n"),
	   "added pages are found anywhere");
	ok(strstr(got.ptr, "A/B/y.md Dup -> New/Dup\n") != NULL,
	   "a deleted one is not (A/B/C/Dup gone: the fewest folders, then the first by path)");
	buf_free(&b);
	buf_free(&got);
	buf_free(&want);
	store_snap_close(&s);
}

int
main(void)
{
	char dir[] = "/tmp/kennis-links-XXXXXX", gitdir[64];
	struct store_edit e[sizeof(files) / sizeof(*files)];
	git_libgit2_init();
	render_global_init();
	log_min_level = LOG_ERROR + 1;
	if (!mkdtemp(dir))
		return 1;
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	memset(e, 0, sizeof(e));
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		e[i] = (struct store_edit){ .path = files[i], .content = "text\n", .len = 5 };
	ok(store_init_with(gitdir, "/bin/false", e, sizeof(files) / sizeof(*files), "pages") == 0 &&
	   store_open(&st, gitdir) == 0 && store_snap_open(&snap, st, NULL) == 0, "a repository of pages in folders");
	test_resolve();
	test_render();
	test_base();
	test_threads();
	test_rename();
	test_derived();
	store_snap_close(&snap);
	store_close(st);
	links_global_release();
	render_global_release();
	git_libgit2_shutdown();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
