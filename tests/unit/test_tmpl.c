/* test_tmpl.c: template expansion escapes by default; request decoding refuses hostile bytes. */
#include "tap.h"

#include "req.h"
#include "tmpl.h"

static void
test_escape(void)
{
	struct buf b = BUF_INIT;
	html_puts(&b, "<a href=\"x\" onclick='y'>&</a>");
	is_str(buf_cstr(&b), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;", "html_escape");
	buf_reset(&b);
	url_escape(&b, "A b/c?d#e%", 10, 1);
	is_str(buf_cstr(&b), "A%20b/c%3Fd%23e%25", "url_escape keeps /");
	buf_free(&b);
	ok(utf8_valid("Müller", 7), "utf8: valid");
	ok(!utf8_valid("\xc3", 1), "utf8: truncated");
	ok(!utf8_valid("\xc0\x80", 2), "utf8: overlong");
	ok(!utf8_valid("\xed\xa0\x80", 3), "utf8: surrogate");
	ok(!utf8_valid("\xf4\x90\x80\x80", 4), "utf8: beyond U+10FFFF");
}

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
	ok(strstr(b.ptr, "href=\"/edit/A%20b/c\"") != NULL, ":url percent-encodes");
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

static void
test_decode(void)
{
	struct arena *a = arena_new();
	is_str(url_decode(a, "a%20b+c", 7, 1), "a b c", "decode with plus");
	is_str(url_decode(a, "a+b", 3, 0), "a+b", "plus kept in paths");
	ok(url_decode(a, "a%00b", 5, 0) == NULL, "NUL refused");
	ok(url_decode(a, "a%2", 3, 0) == NULL, "truncated escape refused");
	ok(url_decode(a, "a%zz", 4, 0) == NULL, "bad hex refused");
	struct kvlist l = { 0 };
	ok(form_parse(a, &l, "content=x%0Ay&base=&message=hi+there&flag", 41) == 0, "form parses");
	is_str(kv_get(&l, "content"), "x\ny", "form value decoded");
	is_str(kv_get(&l, "base"), "", "empty value");
	is_str(kv_get(&l, "message"), "hi there", "plus is space");
	is_str(kv_get(&l, "flag"), "", "key without =");
	struct kvlist l2 = { 0 };
	ok(form_parse(a, &l2, "a=%00", 5) < 0, "form with NUL refused");
	arena_free(a);
}

int
main(void)
{
	test_escape();
	test_templates();
	test_decode();
	return tap_done();
}
