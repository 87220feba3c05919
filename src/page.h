/* page.h: a page's text as kennis reads it: front matter and Markdown body, the front
 * matter's values, and the block structure the merge and the link rewriter need (code
 * fences, headings, log sections). The one place these rules live. */
#ifndef KENNIS_PAGE_H
#define KENNIS_PAGE_H

#include <stddef.h>

#include "kennis.h"

#define PAGE_FM_MAX    (64u << 10) /* bytes of front matter handed to the YAML parser */
#define PAGE_VALUE_MAX 200         /* bytes of one known value kept (title, customer, a tag...) */
#define PAGE_LIST_MAX  64          /* items of one known list kept (tags, departments) */

/* Split optional YAML front matter off the top of a page: a first line "---", up to a line
 * "---" or "..." (LF or CRLF line ends). Returns the offset where the Markdown body starts
 * (0 when there is no front matter); *fm and *fm_len give the YAML between the two lines
 * (NULL and 0 when there is none). */
size_t page_split(const char *s, size_t n, const char **fm, size_t *fm_len);

/* One top-level key of the front matter as written, for showing: its scalar value, or the
 * scalars of its list (other items are left out). */
struct page_field {
	const char *key;
	const char **values;
	size_t nvalues;
	int list; /* written as a list (else one scalar, or a value of another kind: none) */
};

/* The front matter, read once. Known keys (any case): `title`, `customer` (a list: its
 * first item), `owner`, `review-by` (or `review_by`), `tags`/`tag` and
 * `departments`/`department` (a list or one scalar), `log` (`true`, any case). Their values
 * are one line each (control bytes as blanks, trimmed, at most PAGE_VALUE_MAX bytes cut on
 * a character boundary; empty ones dropped); the first of a repeated scalar key wins, lists
 * of repeated keys add up (to PAGE_LIST_MAX). */
struct page_meta {
	const char *title, *customer, *owner, *review_by; /* NULL when absent */
	const char **tags, **depts;
	size_t ntags, ndepts;
	int log;                  /* `log: true`: the whole page is an append-only log */
	int mapping;              /* the YAML is a mapping of keys (else empty, or not readable) */
	struct page_field *fields; /* every top-level key, in order, values as written */
	size_t nfields;
	const char *error;        /* why the YAML could not be read, or NULL: the page is read all
	                           * the same (libyaml's problem and the page's line number) */
};

/* Read front matter `fm` (len bytes, as page_split gives it; NULL for none) into `m`;
 * strings live in arena `a`. Never fails: YAML that is too long, does not parse or is not
 * a mapping leaves `m` empty but for m->error. */
void page_meta_parse(struct page_meta *m, struct arena *a, const char *fm, size_t len);

/* Does page text `s` (n bytes) say `log: true` in its front matter? */
int page_is_log(const char *s, size_t n);

/* --- block structure, line by line ----------------------------------------------------
 * Lines are given without their '\n' (a '\r' before it is allowed). A fenced code block
 * opens with a run of three or more '`' or '~' (backticks: no backtick after them on the
 * line) and closes with a line of at least as many of the same character and nothing else;
 * indentation and block-quote markers before a fence are skipped, so a fence nested in a
 * list or quote counts too (erring towards "this is code"). Inside a fence no line is a
 * heading. A heading is an ATX heading: up to three blanks, 1 to 6 '#', then a blank or
 * the end of the line; its text is what follows, without blanks and closing '#'s. */

enum page_line_kind {
	PAGE_TEXT,    /* a line of a paragraph, list, table ... */
	PAGE_BLANK,   /* blanks only (outside a fence) */
	PAGE_FENCE,   /* opens or closes a fenced code block */
	PAGE_CODE,    /* inside a fenced code block */
	PAGE_HEADING, /* an ATX heading */
};

/* Where a scan of the lines of a text is: inside a code fence or not. Start zeroed. */
struct page_lines {
	size_t fence; /* length of the open fence's run; 0 outside a fence */
	char fence_char;
};

/* What `line` (n bytes) is, given the lines before it (ls), and ls moved past it. For a
 * heading, *level (1-6) and its text [*text, *text + *tlen) are set when the pointers are
 * given. */
enum page_line_kind page_line(struct page_lines *ls, const char *line, size_t n, int *level, const char **text,
			      size_t *tlen);

/* Append-only log sections: the section under a heading named "Log" (any level, any case),
 * up to the next heading of the same or a higher level; or the whole page when its front
 * matter says `log: true`. Start with page_log_init. */
struct page_log {
	struct page_lines lines;
	int level; /* level of the open log section's heading; 0 outside one */
	int whole; /* the whole page is a log */
};

void page_log_init(struct page_log *lg, int whole_page);
/* Move past `line`: 1 when the lines after it are inside a log section, else 0. */
int page_log_line(struct page_log *lg, const char *line, size_t n);
/* Are the lines after those fed so far inside a log section? */
int page_log_inside(const struct page_log *lg);

#endif
