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
	/* "trailing " and "Acme Inc." are files "trailing .md" and "Acme Inc..md": the rule
	 * against a final space or '.' is for parts of a file's path (issue 15 item 8). */
	/* The characters a GitHub wiki allows (issue 13): "Installation:-Linux", "umask-?". */
	static const char *good[] = { "Home", "Customers/Acme-Corp", "A/B/C", "Müller-GmbH", "_Sidebar",
				      "a.b", "Q3 review", "x-1_2", "trailing ", "Acme Inc.", " lead", "a/b ",
				      "Installation:-Linux", "umask-?", "a:b", "a*b", "a?b", "a\"b", "a<b", "a>b",
				      "a|b", "C#-notes", "100%", "%2e%2e", "a:/b", "?/x" };
	static const char *bad[] = { "", "..", "../x", "a/../b", "a/..", ".git", "a/.git/config", ".hidden",
				     "/abs", "trail/", "a//b", "a\\b", "..\\x", "ctl\x01", "tab\tx", "nl\nx", "del\x7f",
				     "bad\xff", "\xc0\xaf", "\xed\xa0\x80", "sp /x", "dot./x", "a /b/c" };
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

/* One rule for the push hook and the web: a file is allowed exactly when the web can
 * show it, and the reason names the rule. */
static void
test_path_rules(void)
{
	static const struct {
		const char *path, *why; /* why: a word of the reason, or NULL when allowed */
	} cases[] = {
		{ "Home.md", NULL },
		{ "trail .md", NULL },
		{ "Acme Inc..md", NULL },
		{ "Customers/Acme-Corp/logo.png", NULL },
		{ "a:b.md", NULL },
		{ "a?b.png", NULL },
		{ "x%41.md", NULL },
		{ "umask-?.md", NULL },
		{ "a\\b.md", "backslash" },
		{ "dir /x.md", "space or '.'" },
		{ "dir./x.png", "space or '.'" },
		{ "logo.png ", "space or '.'" },
		{ "logo.", "space or '.'" },
		{ ".github/x.md", "starts with '.'" },
		{ "a/.md", "'/'" },
		{ "a//b.md", "empty part" },
		{ "ctl\x01.md", "control" },
		{ "bad\xff.md", "UTF-8" },
		{ ".md", "empty" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *p = cases[i].path, *why = pagename_path_problem(p, strlen(p));
		if (!cases[i].why)
			ok(!why, "file allowed: '%s' (%s)", p, why ? why : "");
		else
			ok(why && strstr(why, cases[i].why), "file refused: '%s' (%s)", p, why ? why : "allowed");
	}
	/* A page of PAGENAME_MAX bytes is a file of PAGENAME_MAX + 3: the hook must take it. */
	char name[PAGENAME_MAX + 5];
	memset(name, 'a', sizeof(name));
	memcpy(name + PAGENAME_MAX, ".md", 3);
	ok(pagename_check(name, PAGENAME_MAX) == 0 && !pagename_path_problem(name, PAGENAME_MAX + 3),
	   "a page name of %d bytes: name and file both allowed", PAGENAME_MAX);
	memcpy(name + PAGENAME_MAX + 1, ".md", 3);
	ok(pagename_path_problem(name, PAGENAME_MAX + 4) != NULL, "a page name of %d bytes: file refused", PAGENAME_MAX + 1);
	ok(pagename_path_problem(name, PAGENAME_MAX + 1) != NULL, "an attachment path of %d bytes: refused", PAGENAME_MAX + 1);
	/* every page file the hook allows is a page the web shows, and the other way round */
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *p = cases[i].path;
		size_t n = strlen(p);
		if (n < 3 || strcmp(p + n - 3, ".md") != 0)
			continue;
		buf_reset(&b);
		ok((pagename_from_path(&b, p, n) == 0) == !pagename_path_problem(p, n), "hook and web agree on '%s'", p);
	}
	buf_free(&b);
}

/* What a push may change of a file the wiki already holds (an imported dotfile): all but
 * git's own files, traversal and bytes no path should hold. */
static void
test_kept_rules(void)
{
	static const struct {
		const char *path, *why;
	} cases[] = {
		{ ".vscode/settings.json", NULL },
		{ "Folder/.DS_Store", NULL },
		{ "a:b.md", NULL },
		{ "trail ", NULL },
		{ "dir /x.md", NULL },
		{ ".gitignore", ".git" },
		{ ".GitModules", ".git" },
		{ "a/.git/config", ".git" },
		{ ".github/workflows/x.yml", ".git" },
		{ "a/../b", "'..'" },
		{ "./a", "'.'" },
		{ "a//b", "empty part" },
		{ "/a", "'/'" },
		{ "ctl\x01", "control" },
		{ "bad\xff", "UTF-8" },
		{ "", "empty" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *p = cases[i].path, *why = pagename_kept_problem(p, strlen(p));
		if (!cases[i].why)
			ok(!why, "kept file may change: '%s' (%s)", p, why ? why : "");
		else
			ok(why && strstr(why, cases[i].why), "kept file may not change: '%s' (%s)", p, why ? why : "allowed");
	}
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
	buf_reset(&b);
	ok(pagename_from_link(&b, "Installation: Linux", 19) == 0, "a GitHub wiki name with ':'");
	is_str(buf_cstr(&b), "Installation:-Linux", "as GitHub writes its file");
	buf_reset(&b);
	ok(pagename_from_link(&b, "umask ?", 7) == 0 && strcmp(b.ptr, "umask-?") == 0, "and with '?'");
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
	test_path_rules();
	test_kept_rules();
	test_link();
	test_paths();
	return tap_done();
}
