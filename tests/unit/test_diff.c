/* test_diff.c: HTML line diffs: rows, numbering, context, escaping, missing final newlines. */
#include "diff.h"
#include "tap.h"

#include <git2.h>
#include <stdlib.h>
#include <time.h>

/* The diff of two C strings; the caller frees it. */
static char *
diff(const char *a, const char *b)
{
	struct buf out = BUF_INIT;
	int rc = diff_html(&out, a, strlen(a), b, strlen(b));
	if (rc < 0)
		printf("# diff_html: %d\n", rc);
	return buf_detach(&out);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void
test_rows(void)
{
	char *got = diff("one\ntwo\nthree\n", "one\n2\nthree\nfour\n");
	is_str(got,
	       "<table class=\"diff\">\n"
	       "<tr class=\"hunk\"><td class=\"old\"></td><td class=\"new\"></td>"
	       "<td class=\"text\">@@ -1,3 +1,4 @@</td></tr>\n"
	       "<tr class=\"ctx\"><td class=\"old\">1</td><td class=\"new\">1</td>"
	       "<td class=\"text\">one</td></tr>\n"
	       "<tr class=\"del\"><td class=\"old\">2</td><td class=\"new\"></td>"
	       "<td class=\"text\">two</td></tr>\n"
	       "<tr class=\"add\"><td class=\"old\"></td><td class=\"new\">2</td>"
	       "<td class=\"text\">2</td></tr>\n"
	       "<tr class=\"ctx\"><td class=\"old\">3</td><td class=\"new\">3</td>"
	       "<td class=\"text\">three</td></tr>\n"
	       "<tr class=\"add\"><td class=\"old\"></td><td class=\"new\">4</td>"
	       "<td class=\"text\">four</td></tr>\n"
	       "</table>\n",
	       "add, del and ctx rows with old and new numbers");
	free(got);
}

static void
test_context(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	for (int i = 1; i <= 30; i++) {
		buf_printf(&a, "line %d\n", i);
		buf_printf(&b, i == 2 || i == 28 ? "LINE %d\n" : "line %d\n", i);
	}
	char *got = diff(a.ptr, b.ptr);
	ok(count(got, "class=\"hunk\"") == 2, "two changes far apart: two hunks");
	ok(strstr(got, ">line 5</td>") && !strstr(got, ">line 6</td>"), "3 lines of context");
	ok(strstr(got, "<tr class=\"del\"><td class=\"old\">28</td>"), "numbers in the second hunk");
	ok(strstr(got, "<td class=\"new\">28</td><td class=\"text\">LINE 28</td>"), "new number of the add");
	free(got);
	buf_free(&a);
	buf_free(&b);
}

static void
test_escaping(void)
{
	char *got = diff("a\n", "a\n<script>alert('x')</script> & \"q\"\n");
	ok(strstr(got, "<td class=\"text\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	           "&quot;q&quot;</td>"), "added text escaped");
	ok(!strstr(got, "<script"), "no raw <script>");
	free(got);

	/* xdiff puts the nearest line starting with a letter into the hunk header */
	got = diff("x<b>y\n1\n2\n3\n4\n5\n6\n7\n8\n", "x<b>y\n1\n2\n3\n4\n5\n6\n7\nchanged\n");
	ok(strstr(got, "@@ x&lt;b&gt;y</td>"), "hunk header escaped");
	ok(!strstr(got, "<b>"), "no raw tag from the header");
	free(got);
}

static void
test_eofnl(void)
{
	char *got = diff("a\nb", "a\nc");
	ok(strstr(got, "<tr class=\"del\"><td class=\"old\">2</td><td class=\"new\"></td>"
	           "<td class=\"text\">b</td></tr>"), "last line without newline: deleted");
	ok(strstr(got, "<tr class=\"add\"><td class=\"old\"></td><td class=\"new\">2</td>"
	           "<td class=\"text\">c</td></tr>"), "last line without newline: added");
	ok(count(got, "<tr class=\"ctx eofnl\">") == 2, "both sides marked");
	ok(strstr(got, "\\ No newline at end of file"), "marker text");
	free(got);

	got = diff("x\n", "x");
	ok(strstr(got, "class=\"del\"") && strstr(got, "class=\"add\"") && count(got, "eofnl") == 1,
	   "only the final newline removed");
	free(got);

	got = diff("", "new\n");
	ok(strstr(got, "@@ -0,0 +1 @@") && strstr(got, "<td class=\"new\">1</td><td class=\"text\">new</td>"),
	   "from an empty text");
	free(got);

	got = diff("gone\n", "");
	ok(strstr(got, "<td class=\"old\">1</td><td class=\"new\"></td><td class=\"text\">gone</td>"),
	   "to an empty text");
	free(got);
}

static void
test_nodiff(void)
{
	char *got = diff("same\ntext\n", "same\ntext\n");
	is_str(got, "<p class=\"nodiff\">No changes.</p>\n", "identical texts");
	free(got);
	got = diff("", "");
	is_str(got, "<p class=\"nodiff\">No changes.</p>\n", "two empty texts");
	free(got);
	got = diff("no newline", "no newline");
	is_str(got, "<p class=\"nodiff\">No changes.</p>\n", "identical, no final newline");
	free(got);

	struct buf out = BUF_INIT;
	ok(diff_html(&out, "a\0b\n", 4, "a\0c\n", 4) == 0 && strstr(buf_cstr(&out), "class=\"del\""),
	   "a NUL byte does not make it binary");
	buf_free(&out);

	buf_puts(&out, "<p>before</p>");
	diff_html(&out, "a\n", 2, "b\n", 2);
	ok(strncmp(buf_cstr(&out), "<p>before</p><table", 19) == 0, "appends to out");
	buf_free(&out);
}

static void
test_big(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
	struct timespec t0, t1;
	for (int i = 0; i < 20000; i++) {
		buf_printf(&a, "old line %d with some text\n", i);
		buf_printf(&b, "new line %d with other words\n", i * 7);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = diff_html(&out, a.ptr, a.len, b.ptr, b.len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(rc == 0 && count(out.ptr, "<tr class=\"del\">") == 20000, "20000 lines all changed");
	printf("# %zu + %zu bytes diffed in %.3f s\n", a.len, b.len, dt);
	buf_free(&a);
	buf_free(&b);
	buf_free(&out);
}

int
main(void)
{
	git_libgit2_init();
	test_rows();
	test_context();
	test_escaping();
	test_eofnl();
	test_nodiff();
	test_big();
	git_libgit2_shutdown();
	return tap_done();
}
