/* test_tmpl.c: template expansion escapes by default; raw slots take HTML values only. */
#include "tap.h"

#include "tmpl.h"

static void
test_templates(void)
{
	struct arena *a = arena_new();
	struct tctx *c = tctx_new(a);
	struct buf b = BUF_INIT;
	tset(c, "title", "<script>alert(1)</script>");
	tset(c, "pagetitle", "");
	tset(c, "site", "k");
	tset(c, "status", "404");
	tset(c, "message", "a & b");
	tset(c, "detail", "\"quoted\"");
	ok(tmpl_render(&b, "error", c) == 0, "error template renders");
	ok(strstr(b.ptr, "<script>") == NULL, "text values are escaped");
	ok(strstr(b.ptr, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "escaped title present");
	ok(strstr(b.ptr, "a &amp; b") != NULL, "ampersand escaped");
	ok(strstr(b.ptr, "&quot;quoted&quot;") != NULL, "quotes escaped");
	buf_reset(&b);

	/* Raw slots only pass values typed as HTML. */
	tset(c, "body", "<b>text</b>");
	tset(c, "name", "A b/c");
	tset(c, "header", "");
	tset(c, "footer", "");
	tset(c, "sidebar", "");
	ok(tmpl_render(&b, "view", c) == 0, "view renders");
	ok(strstr(b.ptr, "<b>text</b>") == NULL, "text value in a raw slot is still escaped");
	ok(strstr(b.ptr, "href=\"/history/A%20b/c\"") != NULL, ":url percent-encodes");
	buf_reset(&b);
	tset_html(c, "body", "<b>html</b>");
	tmpl_render(&b, "view", c);
	ok(strstr(b.ptr, "<b>html</b>") != NULL, "HTML value in a raw slot is raw");
	buf_reset(&b);

	/* Lists and inverted sections. */
	struct tctx *f = tadd(c, "folders");
	tset(f, "folder", "Customers");
	struct tctx *p1 = tadd(f, "pages");
	tset(p1, "name", "Customers/A");
	tset(p1, "pagetitle", "A");
	struct tctx *p2 = tadd(f, "pages");
	tset(p2, "name", "Customers/B");
	tset(p2, "pagetitle", "B<");
	tset(c, "count", "2");
	ok(tmpl_render(&b, "pages", c) == 0, "pages renders");
	ok(strstr(b.ptr, "href=\"/wiki/Customers/A\">A</a>") && strstr(b.ptr, ">B&lt;</a>"), "list items expanded");
	ok(strstr(b.ptr, "id=\"Customers\"") != NULL, "parent list value visible");
	buf_reset(&b);
	ok(tmpl_render(&b, "no-such-template", c) == KN_ENOTFOUND, "missing template is KN_ENOTFOUND");
	buf_free(&b);
	arena_free(a);
}

int
main(void)
{
	test_templates();
	return tap_done();
}
