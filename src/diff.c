/* diff.c: line diffs of two texts as an HTML table, computed by libgit2's xdiff. */
#include "diff.h"

#include <git2.h>

static void
lineno(struct buf *out, const char *cls, int n)
{
	if (n > 0)
		buf_printf(out, "<td class=\"%s\">%d</td>", cls, n);
	else
		buf_printf(out, "<td class=\"%s\"></td>", cls);
}

/* One <tr>: old and new line numbers (<= 0: none) and the text, escaped, without its '\n'. */
static void
row(struct buf *out, const char *cls, int old_no, int new_no, const char *text, size_t n)
{
	if (n && text[n - 1] == '\n')
		n--;
	buf_printf(out, "<tr class=\"%s\">", cls);
	lineno(out, "old", old_no);
	lineno(out, "new", new_no);
	buf_puts(out, "<td class=\"text\">");
	html_escape(out, text, n);
	buf_puts(out, "</td></tr>\n");
}

static void
line_row(struct buf *out, const git_diff_line *line)
{
	static const char eofnl[] = "\\ No newline at end of file";
	switch (line->origin) {
	case GIT_DIFF_LINE_ADDITION:
		row(out, "add", 0, line->new_lineno, line->content, line->content_len);
		break;
	case GIT_DIFF_LINE_DELETION:
		row(out, "del", line->old_lineno, 0, line->content, line->content_len);
		break;
	case GIT_DIFF_LINE_CONTEXT:
		row(out, "ctx", line->old_lineno, line->new_lineno, line->content, line->content_len);
		break;
	default: /* one of the three EOFNL markers; its content is only a '\n' */
		row(out, "ctx eofnl", 0, 0, eofnl, sizeof(eofnl) - 1);
		break;
	}
}

static int
hunk_rows(struct buf *out, git_patch *patch, size_t h)
{
	const git_diff_hunk *hunk;
	const git_diff_line *line;
	size_t lines;
	if (git_patch_get_hunk(&hunk, &lines, patch, h) < 0)
		return KN_EGIT;
	row(out, "hunk", 0, 0, hunk->header, hunk->header_len);
	for (size_t l = 0; l < lines; l++) {
		if (git_patch_get_line_in_hunk(&line, patch, h, l) < 0)
			return KN_EGIT;
		line_row(out, line);
	}
	return 0;
}

int
diff_html(struct buf *out, const char *a, size_t alen, const char *b, size_t blen)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	size_t start = out->len;
	int rc = KN_EGIT;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION); /* the _INIT macro trips -Wextra */
	opts.context_lines = 3;
	opts.flags |= GIT_DIFF_FORCE_TEXT; /* a NUL byte must not turn the page into "binary" */
	if (git_patch_from_buffers(&patch, a, alen, NULL, b, blen, NULL, &opts) < 0) {
		const git_error *e = git_error_last();
		log_error("diff: %s", e ? e->message : "git_patch_from_buffers failed");
		goto done;
	}
	size_t hunks = git_patch_num_hunks(patch);
	if (hunks == 0) {
		buf_puts(out, "<p class=\"nodiff\">No changes.</p>\n");
		rc = 0;
		goto done;
	}
	buf_puts(out, "<table class=\"diff\">\n");
	for (size_t h = 0; h < hunks; h++)
		if (hunk_rows(out, patch, h) < 0)
			goto done;
	buf_puts(out, "</table>\n");
	rc = 0;
done:
	if (rc < 0 && out->ptr) {
		out->len = start; /* no half table */
		out->ptr[start] = '\0';
	}
	git_patch_free(patch);
	return rc;
}
