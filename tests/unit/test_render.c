/* test_render.c: Markdown rendering: GFM, wiki links, heading ids and anchors, contents, code and its colours, footnotes, task lists, XSS vectors, cost bounds. */
#include "highlight.h"
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

/* The page view's rendering: anchors, colours and the contents (into `toc` when given). */
static char *
html_full(const char *md, struct buf *toc)
{
	struct buf out = BUF_INIT;
	struct render_ctx c = { .page_exists = exists, .opts = RENDER_ANCHORS | RENDER_HIGHLIGHT, .toc = toc };
	render_markdown(&out, md, strlen(md), &c);
	return buf_detach(&out);
}

/* Does `got` (freed here) hold `needle` as `want` says (hasnt: without ASCII case)? */
static void
check(char *got, const char *needle, int want, const char *what)
{
	int found = want ? strstr(got, needle) != NULL : contains_ci(got, needle);
	ok(found == want, "%s", what);
	if (found != want)
		printf("#   html: %s\n", got);
	free(got);
}

static void
has(const char *md, const char *needle, const char *what)
{
	check(html(md), needle, 1, what);
}

static void
hasnt(const char *md, const char *needle, const char *what)
{
	check(html(md), needle, 0, what);
}

static void
full_has(const char *md, const char *needle, const char *what)
{
	check(html_full(md, NULL), needle, 1, what);
}

static void
full_hasnt(const char *md, const char *needle, const char *what)
{
	check(html_full(md, NULL), needle, 0, what);
}

/* The contents of `md`. */
static void
is_toc(const char *md, const char *want, const char *what)
{
	struct buf toc = BUF_INIT;
	free(html_full(md, &toc));
	is_str(buf_cstr(&toc), want, "%s", what);
	buf_free(&toc);
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

/* Render `md` (freed here) as a page view does (anchors, colours, contents), check the time
 * bound, return the HTML for more checks. */
static char *
timed(struct buf *md, const char *what)
{
	struct buf out = BUF_INIT, toc = BUF_INIT;
	struct render_ctx c = { .page_exists = exists, .opts = RENDER_ANCHORS | RENDER_HIGHLIGHT, .toc = &toc };
	double t0 = now();
	render_markdown(&out, buf_cstr(md), md->len, &c);
	double dt = now() - t0;
	ok(dt < time_limit(), "%s: %zu bytes in %.3f s", what, md->len, dt);
	buf_free(md);
	buf_free(&toc);
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
	has("- [ ] todo\n- [x] done\n", "<li><input type=\"checkbox\" class=\"task\" disabled=\"\" aria-label=\"todo\" /> todo</li>",
	    "tasklist open, named after its item");
	has("- [ ] todo\n- [x] done\n", "<li><input type=\"checkbox\" class=\"task\" disabled=\"\" checked=\"\" aria-label=\"done\" /> done</li>",
	    "tasklist checked");
	has("- [ ] call *Acme* about `x`\n  and more\n", "aria-label=\"call Acme about x and more\" /> call <em>Acme</em>",
	    "a task's name is its text, without formatting");
	has("- [ ] a \"quoted\" <b>x</b> & 'y'\n", "aria-label=\"a &quot;quoted&quot; x &amp; &#39;y&#39;\"",
	    "a task's name is escaped");
	has("- [ ] todo\n\n- [x] loose\n", "<li>\n<p><input type=\"checkbox\" class=\"task\" disabled=\"\" checked=\"\" aria-label=\"loose\" /> loose</p>",
	    "a loose list's box goes into its paragraph");
	hasnt("- [ ] todo\n", "<li><input type=\"checkbox\" disabled", "no unnamed box is left");
	has("|a|b|\n|-|:-:|\n|1|2|\n", "<td align=\"center\">2</td>", "table");
	has("|a|b|\n|-|:-:|\n|1|2|\n", "<div class=\"table\" tabindex=\"0\">\n<table>", "a table sits in a focusable box");
	has("see www.example.com now", "<a href=\"http://www.example.com\">www.example.com</a>",
	    "autolink extension");
	has("```c\nint x;\n```\n", "<pre tabindex=\"0\"><code class=\"language-c\">int x;\n</code></pre>", "language-x class, focusable box");
	has("a\xff" "b", "a\xef\xbf\xbd" "b", "invalid UTF-8 replaced");
}

/* [[space:Page]]: links into other spaces, never looked up there; links inside a space. */
static void
test_space_links(void)
{
	static const char *const spaces[] = { "wiki", "finance", "installation", NULL };
	struct buf out = BUF_INIT, links = BUF_INIT;
	struct render_ctx in_wiki = { .links = &links, .spaces = spaces };
	const char *md = "[[finance:Globex Terms]] [[Home]] [[nospace:Page]] [[finance:]] [[finance:../x]] "
			 "[[Installation: Linux]] [[installation:Linux]] [[Finance:Globex]]\n";
	render_markdown(&out, md, strlen(md), &in_wiki);
	ok(strstr(out.ptr, "<a class=\"wikilink space\" href=\"/s/finance/wiki/Globex-Terms\">finance:Globex Terms</a>") != NULL,
	   "a link into another space: %s", out.ptr);
	ok(strstr(out.ptr, "href=\"/wiki/Home\"") != NULL, "a wiki link from the wiki");
	ok(strstr(out.ptr, "<a class=\"wikilink\" href=\"/wiki/nospace%3APage\">nospace:Page</a>") != NULL,
	   "an unknown prefix is part of the page name");
	ok(strstr(out.ptr, "<a class=\"wikilink\" href=\"/wiki/Installation%3A-Linux\">Installation: Linux</a>") != NULL &&
	   strstr(out.ptr, "<a class=\"wikilink\" href=\"/wiki/Finance%3AGlobex\">") != NULL,
	   "a prefix that is a space's name only in another case is part of the page name");
	ok(strstr(out.ptr, "<a class=\"wikilink space\" href=\"/s/installation/wiki/Linux\">") != NULL,
	   "the exact name of a space is a space");
	ok(!strstr(out.ptr, "href=\"/s/finance/wiki/\"") && !strstr(out.ptr, "../x\""), "no empty or traversing space link");
	ok(strstr(links.ptr, "finance\tGlobex-Terms\tGlobex-Terms\n") != NULL && strstr(links.ptr, "\tHome\tHome\n") != NULL &&
	   strstr(links.ptr, "\tInstallation:-Linux\tInstallation:-Linux\n") != NULL,
	   "links reported with their space: %s", links.ptr);
	buf_reset(&out);
	buf_reset(&links);
	struct render_ctx in_fin = { .links = &links, .space = "finance", .spaces = spaces };
	md = "[[Other Page]] [[wiki:Home]] [[finance:Own Page]]\n";
	render_markdown(&out, md, strlen(md), &in_fin);
	ok(strstr(out.ptr, "href=\"/s/finance/wiki/Other-Page\"") != NULL, "a plain link in a space stays in it: %s", out.ptr);
	ok(strstr(out.ptr, "class=\"wikilink space\" href=\"/wiki/Home\"") != NULL, "[[wiki:Home]] from a space");
	ok(strstr(out.ptr, "class=\"wikilink\" href=\"/s/finance/wiki/Own-Page\"") != NULL, "[[own-space:Page]] is a link in the space");
	ok(strstr(links.ptr, "wiki\tHome\tHome\n") != NULL && strstr(links.ptr, "\tOwn-Page\tOwn-Page\n") != NULL &&
	   !strstr(links.ptr, "finance\t"),
	   "reported: %s", links.ptr);
	buf_free(&out);
	buf_free(&links);
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
	is_html("    [[X]]\n", "<pre tabindex=\"0\"><code>[[X]]\n</code></pre>\n", "code block untouched");
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
	is_str(buf_cstr(&links), "\tA\tA\n\tMissing-B\tMissing-B\n", "links collected once per page");
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
test_anchors(void)
{
	full_has("## Contact Person\n",
	         "<div class=\"heading h2\"><h2 id=\"contact-person\">Contact Person</h2>"
	         "<a class=\"anchor\" href=\"#contact-person\" aria-label=\"Link to this section: Contact Person\">#</a></div>",
	         "anchor: a # link to the heading's id, after the heading, named after it");
	full_has("# Größe & Maß\n", "<h1 id=\"größe--maß\">Größe &amp; Maß</h1><a class=\"anchor\" href=\"#gr%C3%B6%C3%9Fe--ma%C3%9F\"",
	         "anchor: the id percent-encoded in the link");
	full_has("# a\" onclick=\"x <b>\n", "aria-label=\"Link to this section: a&quot; onclick=&quot;x\"",
	         "anchor: the heading's text escaped in the label (raw HTML left out)");
	full_has("> # Quoted\n", "<blockquote>\n<div class=\"heading h1\"><h1 id=\"quoted\">", "anchor on a quoted heading too");
	has("## Plain\n", "<h2 id=\"plain\">Plain</h2>", "no anchors without RENDER_ANCHORS (the index's text)");
	hasnt("## Plain\n", "class=\"anchor\"", "no anchor link without RENDER_ANCHORS");
	char *a = html_full("# A\n\n## A\n\n# A\n", NULL);
	ok(strstr(a, "id=\"a\"") && strstr(a, "id=\"a-1\"") && strstr(a, "id=\"a-2\"") && strstr(a, "href=\"#a-2\""),
	   "anchors follow the unique ids");
	free(a);
	char *once = html_full("# One\n\n## Two\n\nText [[#Two]]\n", NULL), *again = html_full("# One\n\n## Two\n\nText [[#Two]]\n", NULL);
	ok(strcmp(once, again) == 0 && strstr(once, "href=\"#two\">#Two</a>"), "ids and anchors are stable, and wiki links find them");
	free(once);
	free(again);
}

static void
test_toc(void)
{
	is_toc("# One\n\n## Two\n\n## Three\n\n### Four\n\n# Five\n",
	       "<ul><li><a href=\"#one\">One</a><ul><li><a href=\"#two\">Two</a></li><li><a href=\"#three\">Three</a>"
	       "<ul><li><a href=\"#four\">Four</a></li></ul></li></ul></li><li><a href=\"#five\">Five</a></li></ul>",
	       "contents: nested by level, in order");
	is_toc("# One\n\n## Two\n", "", "contents: none for two headings");
	is_toc("# One\n\n> ## Quoted\n\n- ## Listed\n\ntext[^1]\n\n[^1]: note\n  # In a note\n", "",
	       "contents: headings in quotes, lists and footnotes do not count");
	is_toc("### Deep\n\n# Top\n\n### Deep again\n",
	       "<ul><li><a href=\"#deep\">Deep</a></li></ul><ul><li><a href=\"#top\">Top</a><ul><li><a href=\"#deep-again\">Deep again</a></li></ul></li></ul>",
	       "contents: a page starting deeper than it goes on stays valid HTML");
	is_toc("# A\n\n# A\n\n# <script>alert(1)</script> & \"x\"\n",
	       "<ul><li><a href=\"#a\">A</a></li><li><a href=\"#a-1\">A</a></li><li><a href=\"#alert1--x\">alert(1) &amp; &quot;x&quot;</a></li></ul>",
	       "contents: unique ids, text escaped, raw HTML left out");
	is_toc("# `code` and *em* [link](http://x)\n\n# b\n\n# c\n",
	       "<ul><li><a href=\"#code-and-em-link\">code and em link</a></li><li><a href=\"#b\">b</a></li><li><a href=\"#c\">c</a></li></ul>",
	       "contents: the headings' text without formatting or links");
	struct buf md = BUF_INIT, toc = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_printf(&md, "## h%d\n\n", i);
	free(html_full(buf_cstr(&md), &toc));
	size_t items = 0;
	for (const char *p = buf_cstr(&toc); (p = strstr(p, "<li>")); p++)
		items++;
	ok(items == RENDER_TOC_MAX, "contents: at most %d entries (%zu)", RENDER_TOC_MAX, items);
	buf_free(&md);
	buf_free(&toc);
	struct buf out = BUF_INIT;
	struct render_ctx c = { .page_exists = exists };
	ok(render_markdown(&out, "# a\n# b\n# c\n", 12, &c) == 0, "no contents asked for: none made");
	buf_free(&out);
}

static void
test_code(void)
{
	ok(highlight_check_lists() == 0, "the highlighter's word lists are sorted (list %d)", highlight_check_lists());
	has("```C {.numbers}\nint x;\n```\n", "<code class=\"language-C\">", "language-x is the fence's first word, as written");
	has("    indented\n", "<pre tabindex=\"0\"><code>indented", "indented code: no class");
	has("```\"><script>alert(1)</script>\nx\n```\n", "<code class=\"language-&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">",
	    "the class is escaped");
	hasnt("```c\nint x; // y\n```\n", "<span", "no colours without RENDER_HIGHLIGHT");
	full_has("```c\n#include <stdio.h>\nint main(void) { return 0; } /* done */\nchar *s = \"a\\\"b\";\n```\n",
	         "<span class=\"hl-meta\">#include &lt;stdio.h&gt;</span>\n<span class=\"hl-type\">int</span> main(<span class=\"hl-type\">void</span>) { "
	         "<span class=\"hl-keyword\">return</span> <span class=\"hl-number\">0</span>; } <span class=\"hl-comment\">/* done */</span>\n"
	         "<span class=\"hl-type\">char</span> *s = <span class=\"hl-string\">&quot;a\\&quot;b&quot;</span>;",
	         "C: preprocessor, types, keywords, numbers, comments, strings with escapes");
	full_has("```python\n@app.route('/')\ndef f(x=None):\n    \"\"\"Doc\n    string\"\"\"  # c\n```\n",
	         "<span class=\"hl-meta\">@app</span>.route(<span class=\"hl-string\">&#39;/&#39;</span>)\n"
	         "<span class=\"hl-keyword\">def</span> f(x=<span class=\"hl-literal\">None</span>):\n    "
	         "<span class=\"hl-string\">&quot;&quot;&quot;Doc\n    string&quot;&quot;&quot;</span>  <span class=\"hl-comment\"># c</span>",
	         "Python: decorators, keywords, literals, triple-quoted strings over lines, comments");
	full_has("```sh\necho \"$HOME\" ${PATH} $# a#b # note\n```\n",
	         "<span class=\"hl-keyword\">echo</span> <span class=\"hl-string\">&quot;$HOME&quot;</span> <span class=\"hl-var\">${PATH}</span> "
	         "<span class=\"hl-var\">$#</span> a#b <span class=\"hl-comment\"># note</span>",
	         "shell: variables, and '#' a comment only at a word's start");
	full_has("```json\n{\"key\": [1, true, null, \"v\"]}\n```\n",
	         "{<span class=\"hl-attr\">&quot;key&quot;</span>: [<span class=\"hl-number\">1</span>, <span class=\"hl-literal\">true</span>, "
	         "<span class=\"hl-literal\">null</span>, <span class=\"hl-string\">&quot;v&quot;</span>]}", "JSON: keys apart from strings");
	full_has("```yaml\n# c\nname: \"Acme\" # x\nitems:\n  - enabled: yes\n    count: 3\n```\n",
	         "<span class=\"hl-comment\"># c</span>\n<span class=\"hl-attr\">name</span>: <span class=\"hl-string\">&quot;Acme&quot;</span> "
	         "<span class=\"hl-comment\"># x</span>\n<span class=\"hl-attr\">items</span>:\n  - <span class=\"hl-attr\">enabled</span>: "
	         "<span class=\"hl-literal\">yes</span>\n    <span class=\"hl-attr\">count</span>: <span class=\"hl-number\">3</span>",
	         "YAML: keys, strings, comments, literals, numbers");
	full_has("```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n```\n",
	         "<span class=\"hl-meta\">--- a/x</span>\n<span class=\"hl-meta\">+++ b/x</span>\n<span class=\"hl-section\">@@ -1 +1 @@</span>\n"
	         "<span class=\"hl-del\">-old</span>\n<span class=\"hl-add\">+new</span>\n same", "diff: lines");
	full_has("```html\n<a href=\"x\" class='y'>&amp; t</a><!-- c -->\n```\n",
	         "<span class=\"hl-tag\">&lt;a</span> <span class=\"hl-attr\">href</span>=<span class=\"hl-string\">&quot;x&quot;</span> "
	         "<span class=\"hl-attr\">class</span>=<span class=\"hl-string\">&#39;y&#39;</span><span class=\"hl-tag\">&gt;</span>"
	         "<span class=\"hl-literal\">&amp;amp;</span> t<span class=\"hl-tag\">&lt;/a</span><span class=\"hl-tag\">&gt;</span>"
	         "<span class=\"hl-comment\">&lt;!-- c --&gt;</span>", "HTML: tags, attributes, values, entities, comments");
	full_has("```SQL\nSELECT name FROM t WHERE id = 'it''s' -- c\n```\n",
	         "<span class=\"hl-keyword\">SELECT</span> name <span class=\"hl-keyword\">FROM</span> t <span class=\"hl-keyword\">WHERE</span> id = "
	         "<span class=\"hl-string\">&#39;it&#39;</span><span class=\"hl-string\">&#39;s&#39;</span> <span class=\"hl-comment\">-- c</span>",
	         "SQL: keywords in any case, the fence word in any case");
	full_has("```toml\n[server]\nport = 8080 # c\nname = \"x\"\n```\n",
	         "<span class=\"hl-section\">[server]</span>\n<span class=\"hl-attr\">port</span> = <span class=\"hl-number\">8080</span> "
	         "<span class=\"hl-comment\"># c</span>\n<span class=\"hl-attr\">name</span> = <span class=\"hl-string\">&quot;x&quot;</span>",
	         "TOML: sections, keys, values");
	full_has("```rust\nfn f<'a>(x: &'a str) -> char { 'x' }\n```\n",
	         "<span class=\"hl-keyword\">fn</span> f&lt;&#39;a&gt;(x: &amp;&#39;a <span class=\"hl-type\">str</span>) -&gt; "
	         "<span class=\"hl-type\">char</span> { <span class=\"hl-string\">&#39;x&#39;</span> }", "Rust: lifetimes are no strings");
	full_has("```go\ns := `raw\n\\n` // c\n```\n", "<span class=\"hl-string\">`raw\n\\n`</span> <span class=\"hl-comment\">// c</span>",
	         "Go: raw strings over lines");
	static const char *const langs[] = { "c", "cpp", "cs", "go", "rust", "java", "kotlin", "js", "ts", "json", "python",
					     "ruby", "bash", "dockerfile", "sql", "css", "yaml", "ini", "diff", "xml" };
	for (size_t i = 0; i < sizeof(langs) / sizeof(*langs); i++)
		ok(highlight_known(langs[i], strlen(langs[i])), "a known language: %s", langs[i]);
	full_hasnt("```brainfuck\n+[-->]\n```\n", "<span", "an unknown language is only escaped");
	full_has("```c\n</code></pre><script>alert(1)</script>\n```\n", "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;", "code is escaped inside colours");
	/* budgets: a block over HIGHLIGHT_BLOCK_MAX is escaped, not coloured */
	struct buf md = BUF_INIT;
	buf_puts(&md, "```c\n");
	rep(&md, "int x; ", 20000);
	buf_puts(&md, "\n```\n");
	char *big = html_full(buf_cstr(&md), NULL);
	ok(strstr(big, "language-c\">int x; int") != NULL, "a code block of 140 KB is not coloured");
	free(big);
	buf_free(&md);
	/* every byte is looked at a bounded number of times: 1 MB of openers that never close */
	static const char *const hostile[][2] = { { "python", "\"\"\"'''" }, { "c", "/*\"'" }, { "html", "<a b='<!--" },
						  { "yaml", "- \"a: '" }, { "sh", "${\"'`$(" }, { "ini", "[a=\"" },
						  { "python", "'" }, { "json", "\" " }, { "xml", "<a " }, { "yaml", "a: " } };
	for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++) {
		struct buf code = BUF_INIT, out = BUF_INIT;
		rep(&code, hostile[i][1], (1u << 20) / strlen(hostile[i][1]));
		double t0 = now();
		highlight(&out, hostile[i][0], strlen(hostile[i][0]), code.ptr, code.len);
		double dt = now() - t0;
		ok(dt < time_limit(), "highlight %s: 1 MB of '%s' in %.3f s", hostile[i][0], hostile[i][1], dt);
		buf_free(&code);
		buf_free(&out);
	}
}

static void
test_footnotes(void)
{
	has("Text[^1].\n\n[^1]: The note.\n",
	    "<p>Text<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\" data-footnote-ref>1</a></sup>.</p>", "a footnote reference");
	has("Text[^1].\n\n[^1]: The note.\n", "<section class=\"footnotes\" data-footnotes>\n<ol>\n<li id=\"fn-1\">\n<p>The note. "
	    "<a href=\"#fnref-1\" class=\"footnote-backref\"", "the notes at the end, with a way back");
	has("x[^<script>\"'] y\n\n[^<script>\"']: note\n", "id=\"fnref-%3Cscript%3E%22&#x27;\"", "a label is escaped in ids");
	hasnt("x[^<script>\"'] y\n\n[^<script>\"']: note\n", "<script", "no tag from a label");
	has("x[^a]\n\n[^a]: [go](javascript:alert(1)) <img src=x onerror=y>\n", "<a href=\"\">go</a> <!-- raw HTML omitted -->",
	    "a note is Markdown in safe mode");
	has("# fn 1\n\nx[^1]\n\n[^1]: n\n", "<h1 id=\"h-fn-1\">fn 1</h1>", "a heading never takes a footnote's id");
	has("## fnref-1\n\n[[#fnref 1]]\n", "<h2 id=\"h-fnref-1\">", "... nor a back link's");
	/* found by fuzz_render: the second "fn" was made "fn-1", the note's id */
	has("[^1]: n [^1]\n# fn\n# fn\n", "<h1 id=\"h-fn\">fn</h1>\n<h1 id=\"h-fn-1\">fn</h1>", "... nor by a suffix for a second one");
	has("x[^1]\n# FNref\n## fnref\n\n[^1]: n\n", "<h2 id=\"h-fnref-1\">", "... fnref alike");
	has("# fnx\n# fn_\n", "<h1 id=\"fnx\">fnx</h1>\n<h1 id=\"fn_\">", "a word that only starts with fn keeps its slug");
	has("## fnref-1\n\n[[#fnref 1]]\n", "href=\"#h-fnref-1\"", "and wiki links to it follow");
	has("x [^nowhere]\n", "<p>x [^nowhere]</p>", "a reference to no note stays text");
	/* cmark-gfm 0.29.0.gfm.6 gives such a reference over two lines back cut in columns of two
	 * lines (github/cmark-gfm#282): here after "a\n\xc3", half an "é" (found by fuzz_render) */
	char *cut = html("[^a\n\xc3\xa9" "bcd]\n");
	ok(utf8_valid(cut, strlen(cut)), "a reference over two lines, cut by cmark-gfm: still valid UTF-8");
	free(cut);
	/* cmark-gfm 0.29.0.gfm.6 made a reference of "[" and an entity's '^' and read the
	 * entity's text after freeing it (fuzz_render; ASan in make SAN=... test sees it) */
	is_html("x [&#94;abc] y\n", "<p>x [^abc] y</p>\n", "a caret entity after a bracket: text, not a reference");
	is_html("x [&#x5e;abc]\n\n[^abc]: n\n", "<p>x [^abc]</p>\n", "... in hex, with a note of that name");
	is_html("[&#0000094;a] [&Hat;b]\n", "<p>[^a] [^b]</p>\n", "... with leading zeros, and by name");
	is_html("![&#X5E;a](b)\n", "<p>![^a](b)</p>\n", "... after an image's bracket");
	is_html("\\[&#94;a]\n", "<p>[^a]</p>\n", "an escaped bracket stays as it is");
	is_html("\\\\[&#94;a]\n", "<p>\\[^a]</p>\n", "a bracket after an escaped backslash is escaped");
	has("[&#94;a] then[^1]\n\n[^1]: n\n", "<p>[^a] then<sup class=\"footnote-ref\">", "the page's real references stay");
	is_html("`[&#94;]`\n", "<p><code>\\[&amp;#94;]</code></p>\n", "in code the added backslash shows (docs/rendering.md)");
	is_html("[&#95;a] [&#x5f0;b]\n", "<p>[_a] [\xd7\xb0" "b]</p>\n", "other entities after a bracket are left");
	struct buf md = BUF_INIT;
	rep(&md, "[^a] ", 10001);
	buf_puts(&md, "\n\n[^a]: x\n");
	char *out = timed(&md, "10001 references to one note");
	ok(!strstr(out, "footnote-ref"), "over 10000 references: the page is read without footnotes");
	free(out);
	rep(&md, "[^a] ", 9999);
	buf_puts(&md, "\n\n[^a]: x\n");
	out = timed(&md, "9999 references to one note");
	ok(strstr(out, "fnref-a-9999") && strlen(out) < (4u << 20), "9999 references (and the note) still are footnotes (%zu bytes)", strlen(out));
	free(out);
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
		"```html\n<script>alert(1)</script><img src=x onerror=alert(1)>\n```",
		"```c\n\"</span><script>alert(1)</script>\n```",
		"# <script>alert(1)</script>\n\n## \"><img src=x onerror=alert(1)>\n\n### x\" onmouseover=\"alert(1)\n",
		"x[^<script>alert(1)</script>]\n\n[^<script>alert(1)</script>]: y",
		"x[^\"onmouseover=alert(1)]\n\n[^\"onmouseover=alert(1)]: y",
		"x[^1]\n\n[^1]: <script>alert(1)</script> [a](javascript:alert(1))",
		"- [ ] <script>alert(1)</script>\" onmouseover=\"alert(1)\n",
	};
	const size_t nv = sizeof(vectors) / sizeof(*vectors);
	for (size_t i = 0; i < 2 * nv; i++) {
		size_t v = i % nv;
		struct buf all = BUF_INIT;
		char *page = i < nv ? html(vectors[v]) : html_full(vectors[v], &all);
		buf_puts(&all, page); /* the contents too */
		free(page);
		char *got = buf_detach(&all);
		int bad = contains_ci(got, "<script") || contains_ci(got, "<img src=x") ||
		          contains_ci(got, "<iframe") || contains_ci(got, "<svg") ||
		          contains_ci(got, "href=\"javascript") || contains_ci(got, "href=\"vbscript") ||
		          contains_ci(got, "href=\"file") || contains_ci(got, "href=\"data") ||
		          contains_ci(got, "src=\"javascript") || contains_ci(got, "src=\"data:image/svg") ||
		          contains_ci(got, "\" onmouseover") || contains_ci(got, "\" onerror") ||
		          contains_ci(got, "<a href=\"java\tscript");
		ok(!bad, "not executable: vector %zu%s", v, i < nv ? "" : ", with anchors, colours and contents");
		if (bad)
			printf("#   md: %s\n#   html: %s\n", vectors[v], got);
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
		{ "", "```c\nint x = 1; /* c */\n```\n", "", 40000, "1 MB of C code blocks" },
		{ "```sh\n", "${\"'`$( # ", "\n```\n", 100000, "1 MB of shell openers in one block" },
		{ "", "- [ ] a *b*\n", "", 100000, "1 MB of task items" },
		{ "", "x[^a] ", "\n\n[^a]: note\n", 9990, "9990 references to one note" },
		{ "", "[^a]: [^a]\n", "", 9990, "9990 notes citing themselves" },
		{ "", "|a|b|\n|-|-|\n\n", "", 70000, "1 MB of small tables" },
		{ "", "## a `b` *c* [d](e)\n", "", 50000, "1 MB of headings with inlines" },
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
	test_space_links();
	test_links_ctx();
	test_headings();
	test_heading_inlines();
	test_anchors();
	test_toc();
	test_code();
	test_footnotes();
	test_xss();
	test_cut();
	test_tables_bounded();
	test_pathological();
	test_threads();
	render_global_release();
	return tap_done();
}
