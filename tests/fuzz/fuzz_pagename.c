/* fuzz_pagename.c: page names (pagename.c) against a second, independent reading of their rules. */
#include "fuzz.h"

#include "pagename.h"

/* The rules of pagename.h, written again from the header's words (not from pagename.c):
 * 1 when [s, s+n) is an acceptable page name (page) or file path (!page). */
static int
ref_ok(const char *s, size_t n, int page)
{
	if (n == 0 || n > PAGENAME_MAX || !fuzz_utf8_ok(s, n) || fuzz_has_ctl(s, n))
		return 0;
	/* a backslash is refused; what GitHub wikis allow (: * ? " < > | # %) is not */
	if (memchr(s, '\\', n))
		return 0;
	/* part by part */
	for (size_t start = 0; start <= n;) {
		const char *slash = memchr(s + start, '/', n - start);
		size_t end = slash ? (size_t)(slash - s) : n, len = end - start;
		if (len == 0 || s[start] == '.')
			return 0; /* empty (a leading, trailing or double '/'), '.', '..', hidden */
		int last = !slash;
		if ((!last || !page) && (s[end - 1] == ' ' || s[end - 1] == '.'))
			return 0; /* a folder (or a file's name) ending in a space or '.' */
		start = end + 1;
		if (last)
			break;
	}
	return 1;
}

static void
check_name(const char *s, size_t n)
{
	int accepted = pagename_check(s, n) == 0;
	const char *why = pagename_problem(s, n);
	FUZZ_CHECK(accepted == (why == NULL), "pagename_check and pagename_problem disagree");
	FUZZ_CHECK(accepted == ref_ok(s, n, 1), "pagename_check says %d for a name the rules %s (%zu bytes)", accepted,
		   accepted ? "refuse" : "accept", n);
	if (!accepted)
		return;
	/* the invariants the rest of kennis relies on, spelled out once more */
	FUZZ_CHECK(n <= PAGENAME_MAX && !memchr(s, '\0', n) && !fuzz_has_ctl(s, n), "length or control byte");
	FUZZ_CHECK(s[0] != '.' && !memmem(s, n, "/.", 2) && s[0] != '/' && s[n - 1] != '/', "dot part or slash");

	/* name -> file -> name */
	struct buf path = BUF_INIT, back = BUF_INIT, title = BUF_INIT;
	pagename_to_path(&path, s);
	FUZZ_CHECK(pagename_path_problem(path.ptr, path.len) == NULL, "the file of an accepted name is refused");
	FUZZ_CHECK(pagename_from_path(&back, path.ptr, path.len) == 0 && back.len == n && memcmp(back.ptr, s, n) == 0,
		   "name -> file -> name is not the name");
	pagename_title(&title, s);
	FUZZ_CHECK(!strchr(buf_cstr(&title), '/') && !strchr(buf_cstr(&title), '-'), "a title holds '/' or '-'");
	buf_free(&path);
	buf_free(&back);
	buf_free(&title);
}

static void
check_path(const char *s, size_t n)
{
	const char *why = pagename_path_problem(s, n);
	int page = n >= 3 && memcmp(s + n - 3, ".md", 3) == 0;
	FUZZ_CHECK((why == NULL) == ref_ok(s, page ? n - 3 : n, page), "pagename_path_problem disagrees with the rules");
	struct buf name = BUF_INIT;
	int rc = pagename_from_path(&name, s, n);
	FUZZ_CHECK(rc < 0 || (page && why == NULL && name.len == n - 3 && memcmp(name.ptr, s, n - 3) == 0 &&
			      pagename_check(name.ptr, name.len) == 0),
		   "pagename_from_path gave a name that is not the file's");
	FUZZ_CHECK(rc == 0 || !page || why != NULL || n == 3, "a page file refused by pagename_from_path");
	buf_free(&name);
}

static void
check_link(const char *s, size_t n)
{
	struct buf out = BUF_INIT;
	buf_puts(&out, "x");
	int rc = pagename_from_link(&out, s, n);
	if (rc == 0) {
		FUZZ_CHECK(pagename_check(out.ptr + 1, out.len - 1) == 0, "a link target became an invalid name");
		FUZZ_CHECK(!memchr(out.ptr + 1, ' ', out.len - 1) && !memchr(out.ptr + 1, '\t', out.len - 1),
			   "a blank left in a name made from a link");
	} else {
		FUZZ_CHECK(out.len == 1 && strcmp(out.ptr, "x") == 0, "a refused link target left bytes behind");
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	FUZZ_CHECK(utf8_valid(s, size) == fuzz_utf8_ok(s, size), "utf8_valid disagrees with fuzz_utf8_ok");
	/* the buffers kennis hands in are NUL-terminated; pagename_title reads to the NUL */
	char *z = fuzz_str(data, size);
	check_name(z, size);
	check_path(z, size);
	check_link(z, size);
	free(z);
	return 0;
}
