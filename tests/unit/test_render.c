/* test_render.c: Markdown rendering: GFM, wiki links, heading ids, XSS vectors, cost bounds. */
#include "render.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* Pages whose name starts with "Missing" do not exist. */
static int
exists(void *payload, const char *name)
{
	int *calls = payload;
	if (calls)
		(*calls)++;
	return strncmp(name, "Missing", 7) != 0;
}

static const struct render_ctx ctx = { exists, NULL, NULL };

/* Rendered HTML of `md`; the caller frees it. */
static char *
html(const char *md)
{
	struct buf out = BUF_INIT;
	render_markdown(&out, md, strlen(md), &ctx);
	return buf_detach(&out);
}

static void
is_html(const char *md, const char *want, const char *what)
{
	char *got = html(md);
	is_str(got, want, "%s", what);
	free(got);
}

static int
contains_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

static void
has(const char *md, const char *needle, const char *what)
{
	char *got = html(md);
	ok(strstr(got, needle), "%s", what);
	if (!strstr(got, needle))
		printf("#   html: %s\n", got);
	free(got);
}

static void
hasnt(const char *md, const char *needle, const char *what)
{
	char *got = html(md);
	ok(!contains_ci(got, needle), "%s", what);
	if (contains_ci(got, needle))
		printf("#   html: %s\n", got);
	free(got);
}

static double
now(void)
{
	/* CPU time of this thread, not wall time: a busy machine must not fail the test */
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
rep(struct buf *b, const char *unit, size_t count)
{
	size_t n = strlen(unit);
	buf_grow(b, n * count);
	for (size_t i = 0; i < count; i++)
		buf_put(b, unit, n);
}

/* CPU seconds a pathological page may take: 1, times 4 under a sanitizer, times
 * $KENNIS_TIME_SCALE (say 50 under valgrind). A guard against quadratic blowups, which take
 * seconds to minutes here, not a benchmark. */
static double
time_limit(void)
{
	const char *env = getenv("KENNIS_TIME_SCALE");
	double limit = env && atof(env) > 0 ? atof(env) : 1;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	limit *= 4;
#endif
	return limit;
}

/* Render `md` (freed here), check the time bound, return the HTML for more checks. */
static char *
timed(struct buf *md, const char *what)
{
	struct buf out = BUF_INIT;
	double t0 = now();
	render_markdown(&out, buf_cstr(md), md->len, &ctx);
	double dt = now() - t0;
	ok(dt < time_limit(), "%s: %zu bytes in %.3f s", what, md->len, dt);
	buf_free(md);
	return buf_detach(&out);
}

static void
test_gfm(void)
{
	struct buf out = BUF_INIT;
	ok(render_markdown(&out, "", 0, NULL) == 0 && out.len == 0, "empty page, NULL ctx");
	buf_free(&out);
	is_html("Hello *world*\n", "<p>Hello <em>world</em></p>\n", "paragraph");
	has("~~gone~~", "<del>gone</del>", "strikethrough");
	has("- [ ] todo\n- [x] done\n", "<input type=\"checkbox\" disabled=\"\" /> todo", "tasklist open");
	has("- [ ] todo\n- [x] done\n", "<input type=\"checkbox\" checked=\"\" disabled=\"\" /> done",
	    "tasklist checked");
	has("|a|b|\n|-|:-:|\n|1|2|\n", "<td align=\"center\">2</td>", "table");
	has("see www.example.com now", "<a href=\"http://www.example.com\">www.example.com</a>",
	    "autolink extension");
	has("```c\nint x;\n```\n", "<pre lang=\"c\"><code>int x;\n</code></pre>", "GitHub pre lang");
	has("a\xff" "b", "a\xef\xbf\xbd" "b", "invalid UTF-8 replaced");
}

static void
test_wikilinks(void)
{
	is_html("See [[Acme Corp]].\n",
	        "<p>See <a class=\"wikilink\" href=\"/wiki/Acme-Corp\">Acme Corp</a>.</p>\n", "existing page");
	is_html("[[Missing Page]]\n",
	        "<p><a class=\"wikilink missing\" href=\"/edit/Missing-Page\">Missing Page</a></p>\n",
	        "missing page links to the editor");
	is_html("[[the boss|People/Jane Doe]]\n",
	        "<p><a class=\"wikilink\" href=\"/wiki/People/Jane-Doe\">the boss</a></p>\n",
	        "label form, folders keep '/'");
	is_html("[[ |Acme]]\n", "<p><a class=\"wikilink\" href=\"/wiki/Acme\">Acme</a></p>\n",
	        "empty label shows the target");
	has("[[Café au lait]]", "href=\"/wiki/Caf%C3%A9-au-lait\">Café au lait</a>", "name url-escaped");
	has("[[Fish & Chips]]", "href=\"/wiki/Fish-%26-Chips\">Fish &amp; Chips</a>", "& escaped twice over");
	has("[[a < b \"c\" 'd'|Page]]", ">a &lt; b &quot;c&quot; 'd'</a>", "label HTML-escaped");
	has("[[Page#Some Section]]", "href=\"/wiki/Page#some-section\">Page#Some Section</a>", "anchor");
	has("[[#Intro]]", "<a class=\"wikilink\" href=\"#intro\">#Intro</a>", "same-page anchor");
	has("[[Missing#Part]]", "href=\"/edit/Missing\"", "no anchor on a missing page");
	has("[[a]] and [[b]]", "<a class=\"wikilink\" href=\"/wiki/a\">a</a> and <a class=\"wikilink\" "
	    "href=\"/wiki/b\">b</a>", "two links in one text");
	has("[[[X]]]", "[<a class=\"wikilink\" href=\"/wiki/X\">X</a>]", "extra brackets stay text");
	has("*[[X]]*", "<em><a class=\"wikilink\" href=\"/wiki/X\">X</a></em>", "inside emphasis");
	has("|h|\n|-|\n|[[X]]|\n", "<td><a class=\"wikilink\" href=\"/wiki/X\">X</a></td>", "in a table cell");
	has("# See [[X]]\n", "<h1 id=\"see-x\">See <a class=\"wikilink\" href=\"/wiki/X\">X</a></h1>",
	    "in a heading");
	is_html("[[../etc]] [[a/../b]] [[.git]] [[a\\b]] [[]] [[#]] [[a]b]]\n",
	        "<p>[[../etc]] [[a/../b]] [[.git]] [[a\\b]] [[]] [[#]] [[a]b]]</p>\n", "invalid targets stay text");
	/* ':' is allowed in page names (GitHub wikis have "Installation:-Linux"): a scheme is
	 * then a page name, and the link stays on this site, percent-encoded. */
	is_html("[[a:b]] [[javascript:alert(1)]]\n",
		"<p><a class=\"wikilink\" href=\"/wiki/a%3Ab\">a:b</a> <a class=\"wikilink\" "
		"href=\"/wiki/javascript%3Aalert%281%29\">javascript:alert(1)</a></p>\n", "a scheme is a page name here");
	is_html("`[[X]]`\n", "<p><code>[[X]]</code></p>\n", "code span untouched");
	is_html("    [[X]]\n", "<pre><code>[[X]]\n</code></pre>\n", "code block untouched");
	has("[see [[X]]](http://a.example)", "<a href=\"http://a.example\">see [[X]]</a>", "not inside a link");
	has("![[[X]]](a.png)", "alt=\"[[X]]\"", "not inside an image description");
	is_html("[[a\nb]]\n", "<p>[[a\nb]]</p>\n", "no link across lines");
	has("[x](/a \"t\")", "<a href=\"/a\" title=\"t\">x</a>", "a titled link is left alone");
}

static void
test_links_ctx(void)
{
	struct buf links = BUF_INIT, out = BUF_INIT;
	int calls = 0;
	struct render_ctx c = { exists, &calls, &links };
	const char *md = "[[A]] [[Missing B]] [[x|A]] [[A#s]] [[#local]]\n";
	render_markdown(&out, md, strlen(md), &c);
	is_str(buf_cstr(&links), "A\nMissing-B\n", "links collected once per page");
	ok(calls == 2, "page_exists asked once per page (%d)", calls);
	buf_reset(&out);
	render_markdown(&out, md, strlen(md), NULL);
	ok(strstr(buf_cstr(&out), "class=\"wikilink\" href=\"/wiki/Missing-B\""), "NULL ctx: all pages exist");
	buf_free(&out);
	buf_free(&links);
}

static void
test_headings(void)
{
	is_html("# Hello World\n", "<h1 id=\"hello-world\">Hello World</h1>\n", "heading id");
	is_html("# A\n\n## A\n\n### A-1\n",
	        "<h1 id=\"a\">A</h1>\n<h2 id=\"a-1\">A</h2>\n<h3 id=\"a-1-1\">A-1</h3>\n", "ids are unique");
	has("## What's new? (v2.0)", "<h2 id=\"whats-new-v20\">", "punctuation dropped");
	has("# Größe & Maß", "<h1 id=\"größe--maß\">", "non-ASCII letters kept");
	has("# snake_case and-dash", "id=\"snake_case-and-dash\"", "'_' and '-' kept");
	has("# The `foo()` call", "<h1 id=\"the-foo-call\">The <code>foo()</code> call</h1>", "code in heading");
	has("# *Fancy* [link](http://x)", "<h1 id=\"fancy-link\"><em>Fancy</em> <a href=\"http://x\">link</a></h1>",
	    "inlines kept");
	has("Title\n=====\n", "<h1 id=\"title\">Title</h1>", "setext heading");
	has("#\n", "<h1 id=\"section\"></h1>", "empty heading");
	has("# a\" onclick=\"x\n", "<h1 id=\"a-onclickx\">", "quotes cannot leave the id");
	has("> # Quoted\n", "<blockquote>\n<h1 id=\"quoted\">Quoted</h1>\n</blockquote>", "heading in a quote");
	has("- # Item\n", "<li>\n<h1 id=\"item\">Item</h1>\n</li>", "heading in a list");
	is_html("## Contact Person!\n\nsee [[#Contact Person!]]\n",
	        "<h2 id=\"contact-person\">Contact Person!</h2>\n"
	        "<p>see <a class=\"wikilink\" href=\"#contact-person\">#Contact Person!</a></p>\n",
	        "anchor links match heading ids");
}

/* Issue 15 item 10: heading_id() frees the heading, and cmark-gfm's autolink extension
 * points a link's URL into the heading's own buffer (not into the text literal that
 * heading_text copies), so the href was made of freed bytes. Each case renders three times:
 * the output must be the same every time and hold what the heading says. Under
 * `make SAN=address` the freed read is reported at once. */
static void
test_heading_inlines(void)
{
	static const struct {
		const char *md, *want;
	} cases[] = {
		{ "# Head https://example.com/x\n",
		  "<h1 id=\"head-httpsexamplecomx\">Head <a href=\"https://example.com/x\">https://example.com/x</a></h1>" },
		{ "## see www.example.com/a?b=c now\n", "<a href=\"http://www.example.com/a?b=c\">www.example.com/a?b=c</a> now</h2>" },
		{ "### mail ada@example.com\n", "<a href=\"mailto:ada@example.com\">ada@example.com</a></h3>" },
		{ "# [label](https://example.com/l \"t\") and <https://example.com/angle>\n",
		  "<a href=\"https://example.com/l\" title=\"t\">label</a> and "
		  "<a href=\"https://example.com/angle\">https://example.com/angle</a></h1>" },
		{ "# `code https://example.com/c` *em https://example.com/e*\n",
		  "<code>code https://example.com/c</code> <em>em <a href=\"https://example.com/e\">https://example.com/e</a></em></h1>" },
		{ "# ![alt https://example.com/i](https://example.com/i.png \"ti\")\n",
		  "<img src=\"https://example.com/i.png\" alt=\"alt https://example.com/i\" title=\"ti\" /></h1>" },
		{ "# [[Acme Corp]] https://example.com/w **b**\n",
		  "<a class=\"wikilink\" href=\"/wiki/Acme-Corp\">Acme Corp</a> <a href=\"https://example.com/w\">https://example.com/w</a> <strong>b</strong></h1>" },
		{ "Setext https://example.com/s\n===\n", "<a href=\"https://example.com/s\">https://example.com/s</a></h1>" },
		{ "[r]: https://example.com/ref\n\n# [ref][r] ~~https://example.com/del~~\n",
		  "<a href=\"https://example.com/ref\">ref</a> <del><a href=\"https://example.com/del\">https://example.com/del</a></del></h1>" },
		{ "> - # deep https://example.com/d\n", "<a href=\"https://example.com/d\">https://example.com/d</a></h1>" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *first = html(cases[i].md);
		int same = 1;
		for (int k = 0; k < 2; k++) {
			char *again = html(cases[i].md);
			same = same && strcmp(first, again) == 0;
			free(again);
		}
		ok(same && strstr(first, cases[i].want), "URL in a heading, case %zu: stable and intact", i);
		if (!same || !strstr(first, cases[i].want))
			printf("#   md: %s#   want: %s\n#   html: %s\n", cases[i].md, cases[i].want, first);
		free(first);
	}
}

static void
test_xss(void)
{
	static const char *const vectors[] = {
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"a <img src=x onerror=alert(1)> b",
		"<a href=\"javascript:alert(1)\">x</a>",
		"[x](javascript:alert(1))",
		"[x](JAVASCRIPT:alert(1))",
		"[x](java&#x09;script:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"[x](\tjavascript:alert(1))",
		"[x](<javascript:alert(1)>)",
		"<javascript:alert(1)>",
		"<JavaScript:alert(1)>",
		"[x][r]\n\n[r]: javascript:alert(1)",
		"[r]\n\n[r]: javascript:alert(1)",
		"![x](javascript:alert(1))",
		"[x](vbscript:msgbox(1))",
		"[x](file:///etc/passwd)",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"![x](data:image/svg+xml;base64,PHN2Zz4=)",
		"[x](/ok \"a\\\" onmouseover=alert(1) x=\\\"\")",
		"[[x\" onmouseover=\"alert(1)|Page]]",
		"<iframe src=javascript:alert(1)>",
		"<svg onload=alert(1)>",
		"```\"><script>alert(1)</script>\nx\n```",
	};
	for (size_t i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		char *got = html(vectors[i]);
		int bad = contains_ci(got, "<script") || contains_ci(got, "<img src=x") ||
		          contains_ci(got, "<iframe") || contains_ci(got, "<svg") ||
		          contains_ci(got, "href=\"javascript") || contains_ci(got, "href=\"vbscript") ||
		          contains_ci(got, "href=\"file") || contains_ci(got, "href=\"data") ||
		          contains_ci(got, "src=\"javascript") || contains_ci(got, "src=\"data:image/svg") ||
		          contains_ci(got, "\" onmouseover") || contains_ci(got, "\" onerror") ||
		          contains_ci(got, "<a href=\"java\tscript");
		ok(!bad, "not executable: vector %zu", i);
		if (bad)
			printf("#   md: %s\n#   html: %s\n", vectors[i], got);
		free(got);
	}
	has("<script>x</script>", "<!-- raw HTML omitted -->", "raw HTML replaced by a comment");
	has("[x](JAVASCRIPT:alert(1))", "<a href=\"\">x</a>", "dangerous href emptied");
	hasnt("[x](java&#x09;script:alert(1))", "href=\"java\t", "tab is percent-encoded");
}

static void
test_cut(void)
{
	struct buf md = BUF_INIT, out = BUF_INIT;
	buf_putc(&md, 'a');
	rep(&md, "\xc3\xa9", RENDER_MAX_INPUT / 2 + 10); /* é: the cut lands inside one */
	int rc = render_markdown(&out, md.ptr, md.len, &ctx);
	ok(rc == KN_ETOOBIG, "over RENDER_MAX_INPUT: KN_ETOOBIG (%d)", rc);
	ok(strstr(buf_cstr(&out), "<p class=\"notice\">"), "notice appended");
	ok(!strstr(buf_cstr(&out), "\xef\xbf\xbd"), "cut at a UTF-8 boundary (no U+FFFD)");
	ok(utf8_valid(out.ptr, out.len), "output is valid UTF-8");
	buf_reset(&out);
	rc = render_markdown(&out, md.ptr, RENDER_MAX_INPUT, &ctx);
	ok(rc == 0, "exactly RENDER_MAX_INPUT is fine (%d)", rc);
	buf_free(&md);
	buf_free(&out);
}

/* The table extension of cmark-gfm 0.29.0.gfm.6 is quadratic three ways; each case here
 * takes seconds to minutes without the guard in affordable(). */
static void
test_tables_bounded(void)
{
	struct buf md = BUF_INIT;
	char *h;

	rep(&md, "|a", 2000);
	buf_puts(&md, "|\n");
	rep(&md, "|-", 2000);
	buf_puts(&md, "|\n");
	rep(&md, "|\n", 2000);
	h = timed(&md, "2000 columns x 2000 rows of '|'");
	ok(!strstr(h, "<table"), "a 2000-column table is text");
	free(h);

	rep(&md, "|a", 2000);
	buf_puts(&md, "|\n");
	rep(&md, "|-", 2000);
	buf_puts(&md, "|\n");
	rep(&md, "x\n", 2000);
	h = timed(&md, "2000 columns x 2000 padded rows");
	free(h);

	rep(&md, "|a", RENDER_MAX_COLUMNS);
	buf_puts(&md, "|\n");
	rep(&md, "|-", RENDER_MAX_COLUMNS);
	buf_puts(&md, "|\n");
	rep(&md, "x\n", 200000);
	h = timed(&md, "64 columns x 200000 padded rows");
	ok(!strstr(h, "<table"), "padding bounded: table shown as text");
	free(h);

	buf_puts(&md, "|a|b|\n|-|-|\n");
	rep(&md, "|", 200000);
	h = timed(&md, "a row of 200000 cells");
	free(h);

	rep(&md, "|a|b|\n|:-:|\n", 40000);
	h = timed(&md, "40000 header candidates in one paragraph");
	free(h);

	rep(&md, "|a", RENDER_MAX_COLUMNS);
	buf_puts(&md, "|\n");
	rep(&md, "|-", RENDER_MAX_COLUMNS);
	buf_puts(&md, "|\n");
	for (int i = 0; i < 2000; i++)
		rep(&md, "|cell", RENDER_MAX_COLUMNS), buf_puts(&md, "|\n");
	h = timed(&md, "64 columns x 2000 rows, all cells written");
	ok(strstr(h, "<table"), "a full 64-column table is still a table");
	free(h);

	buf_puts(&md, "|a|b|c|\n|-|-|-|\n");
	rep(&md, "|one|two|three|\n", 50000);
	h = timed(&md, "3 columns x 50000 rows");
	ok(strstr(h, "<table"), "a long narrow table is still a table");
	free(h);

	buf_puts(&md, "|a|b|\n");
	rep(&md, "|-", RENDER_MAX_COLUMNS + 1);
	buf_puts(&md, "|\n");
	h = timed(&md, "65 columns");
	ok(!strstr(h, "<table"), "more than RENDER_MAX_COLUMNS: no table");
	free(h);
}

static void
test_pathological(void)
{
	static const struct { const char *pre, *unit, *post; size_t count; const char *what; } cases[] = {
		{ "", "[", "", 1 << 20, "1 MB of '['" },
		{ "", "[[", "", 1 << 19, "1 MB of '[['" },
		{ "", "> ", "a [[X]]\n", 1 << 19, "1 MB of nested blockquotes" },
		{ "", "* ", "a\n", 1 << 19, "1 MB of nested list items" },
		{ "", "*a **a ", "b", 150000, "1 MB of emphasis openers" },
		{ "", "a_ ", "", 350000, "1 MB of unmatched '_'" },
		{ "", "[a](<b", "", 175000, "1 MB of unclosed links" },
		{ "", "[ (](", "", 200000, "1 MB of '[ (]('" },
		{ "", "[[a]] ", "", 175000, "1 MB of wiki links" },
		{ "", "# h\n", "", 250000, "1 MB of equal headings" },
		{ "", "a@b.co ", "", 150000, "1 MB of e-mail addresses in one line" },
		{ "", "www.a.com ", "", 100000, "1 MB of www autolinks" },
		{ "", "`", "", 1 << 20, "1 MB of backticks" },
		{ "", "<!-- ", "", 200000, "1 MB of unclosed comments" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf md = BUF_INIT;
		buf_puts(&md, cases[i].pre);
		rep(&md, cases[i].unit, cases[i].count);
		buf_puts(&md, cases[i].post);
		free(timed(&md, cases[i].what));
	}

	struct buf md = BUF_INIT;
	rep(&md, "[", 1 << 19);
	rep(&md, "]", 1 << 19);
	free(timed(&md, "1 MB of nested brackets"));

	rep(&md, "*", 350000);
	buf_putc(&md, 'a');
	rep(&md, "*", 350000);
	free(timed(&md, "700 KB of nested emphasis"));

	rep(&md, "> ", 100000);
	rep(&md, "[[a]] ", 100000);
	char *h = timed(&md, "100000 wiki links 100000 quotes deep");
	ok(strstr(h, "<p>&gt; &gt; &gt;"), "quotes past the nesting bound are text");
	free(h);

	for (int i = 0; i < 700; i++)
		rep(&md, " ", 2 * i), buf_puts(&md, "- a\n");
	rep(&md, "a *b* ", 100000);
	free(timed(&md, "600 KB of inlines in a list 700 deep"));
}

static void *
render_loop(void *arg)
{
	static const char md[] = "~~x~~ www.example.com [[P]] a@b.co\n";
	static const char want[] = "<p><del>x</del> <a href=\"http://www.example.com\">www.example.com</a> "
	                           "<a class=\"wikilink\" href=\"/wiki/P\">P</a> "
	                           "<a href=\"mailto:a@b.co\">a@b.co</a></p>\n";
	int *bad = arg;
	for (int i = 0; i < 300; i++) {
		struct buf out = BUF_INIT;
		render_markdown(&out, md, sizeof(md) - 1, NULL);
		if (strcmp(buf_cstr(&out), want) != 0)
			(*bad)++;
		buf_free(&out);
	}
	return NULL;
}

/* cmark-gfm keeps a global table of special characters; see finish_lock in render.c. */
static void
test_threads(void)
{
	pthread_t t[8];
	int bad[8] = { 0 }, total = 0;
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, render_loop, &bad[i]);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += bad[i];
	}
	ok(total == 0, "8 threads render the same page alike (%d differed)", total);
}

int
main(void)
{
	render_global_init();
	test_gfm();
	test_wikilinks();
	test_links_ctx();
	test_headings();
	test_heading_inlines();
	test_xss();
	test_cut();
	test_tables_bounded();
	test_pathological();
	test_threads();
	render_global_release();
	return tap_done();
}
