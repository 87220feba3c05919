/* test_pagename.c: the one page-name validator and its mappings. */
#include "tap.h"

#include "pagename.h"

static int
valid(const char *s)
{
	return pagename_check(s, strlen(s)) == 0;
}

static void
test_check(void)
{
	static const char *good[] = { "Home", "Customers/Acme-Corp", "A/B/C", "Müller-GmbH", "_Sidebar",
				      "a.b", "Q3 review", "x-1_2" };
	static const char *bad[] = { "", "..", "../x", "a/../b", "a/..", ".git", "a/.git/config", ".hidden",
				     "/abs", "trail/", "a//b", "a\\b", "a:b", "a*b", "a?b", "a\"b", "a<b", "a>b",
				     "a|b", "a#b", "a%b", "ctl\x01", "tab\tx", "nl\nx", "del\x7f", "bad\xff",
				     "\xc0\xaf", "\xed\xa0\x80", "trailing ", "trailing.", "sp /x", "dot./x" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(valid(good[i]), "valid: '%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(!valid(bad[i]), "invalid: '%s'", bad[i]);
	char longname[PAGENAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	ok(pagename_check(longname, PAGENAME_MAX) == 0, "%d bytes is allowed", PAGENAME_MAX);
	ok(pagename_check(longname, PAGENAME_MAX + 1) < 0, "%d bytes is too long", PAGENAME_MAX + 1);
	ok(pagename_check("a\0b", 3) < 0, "embedded NUL is invalid");
}

static void
test_link(void)
{
	struct buf b = BUF_INIT;
	ok(pagename_from_link(&b, "Acme Corp", 9) == 0, "link target converts");
	is_str(buf_cstr(&b), "Acme-Corp", "spaces become dashes");
	buf_reset(&b);
	pagename_from_link(&b, "  Customers/Acme   Corp ", 24);
	is_str(buf_cstr(&b), "Customers/Acme-Corp", "trimmed, blank runs collapse");
	buf_reset(&b);
	buf_puts(&b, "keep:");
	ok(pagename_from_link(&b, "../etc", 6) < 0, "traversal target refused");
	is_str(buf_cstr(&b), "keep:", "refused target appends nothing");
	buf_free(&b);
}

static void
test_paths(void)
{
	struct buf b = BUF_INIT;
	pagename_to_path(&b, "Customers/Acme-Corp");
	is_str(buf_cstr(&b), "Customers/Acme-Corp.md", "name to path");
	buf_reset(&b);
	ok(pagename_from_path(&b, "A/B.md", 6) == 0, "path to name");
	is_str(buf_cstr(&b), "A/B", "path to name strips .md");
	buf_reset(&b);
	ok(pagename_from_path(&b, "img.png", 7) < 0, "not a page: .png");
	ok(pagename_from_path(&b, ".md", 3) < 0, "not a page: bare .md");
	ok(pagename_from_path(&b, ".x/a.md", 7) < 0, "not a page: hidden folder");
	buf_reset(&b);
	pagename_title(&b, "Customers/Acme-Corp");
	is_str(buf_cstr(&b), "Acme Corp", "title is the last part with spaces");
	buf_free(&b);
}

int
main(void)
{
	test_check();
	test_link();
	test_paths();
	return tap_done();
}
