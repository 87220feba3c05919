/* test_page.c: the page reader: front matter split and values, code fences, headings, log sections. */
#include "tap.h"

#include "page.h"

static size_t
split(const char *s, const char **fm, size_t *len)
{
	return page_split(s, strlen(s), fm, len);
}

static void
test_split(void)
{
	const char *fm;
	size_t len, body;
	body = split("---\ntitle: A\n---\nbody\n", &fm, &len);
	ok(body == 17 && fm && len == 9 && strncmp(fm, "title: A\n", len) == 0, "LF: YAML and body");
	body = split("---\r\ntitle: A\r\n---\r\nbody\r\n", &fm, &len);
	ok(body == 20 && fm && len == 10 && strncmp(fm, "title: A\r\n", len) == 0, "CRLF: the same");
	body = split("---\ntitle: A\n...\nbody\n", &fm, &len);
	ok(body == 17 && len == 9, "'...' ends it too");
	body = split("---\ntitle: A\n---", &fm, &len);
	ok(body == 16 && len == 9, "closing line at the very end");
	body = split("---\n---\nbody", &fm, &len);
	ok(body == 8 && fm && len == 0, "empty front matter");
	body = split("---\ntitle: A\nno end\n", &fm, &len);
	ok(body == 0 && !fm && len == 0, "no closing line: no front matter");
	body = split("----\ntitle: A\n---\n", &fm, &len);
	ok(body == 0 && !fm, "'----' is no opening line");
	body = split("# Title\n---\nx\n---\n", &fm, &len);
	ok(body == 0 && !fm, "only at the very top");
	body = split("---\ntitle: A\n--- \nbody\n", &fm, &len);
	ok(body == 0, "'--- ' (a blank after) does not close");
}

static const char *
field(const struct page_meta *m, const char *key, size_t i)
{
	for (size_t k = 0; k < m->nfields; k++)
		if (strcmp(m->fields[k].key, key) == 0)
			return i < m->fields[k].nvalues ? m->fields[k].values[i] : NULL;
	return NULL;
}

static void
meta(struct page_meta *m, struct arena *a, const char *yaml)
{
	page_meta_parse(m, a, yaml, strlen(yaml));
}

static void
test_meta(void)
{
	struct arena *a = arena_new();
	struct page_meta m;
	meta(&m, a, "Title: Acme Holding\ncustomer: [Acme Corp, Other]\nOWNER: alice\nreview_by: 2025-01-31\n"
		    "tags: [retail, key-account]\ntag: extra\ndepartment: Sales\ncrm-id: 4711\ntitle: Second\n");
	is_str(m.title, "Acme Holding", "title, key in any case; the first of two wins");
	is_str(m.customer, "Acme Corp", "customer: the first of a list");
	is_str(m.owner, "alice", "owner");
	is_str(m.review_by, "2025-01-31", "review_by spelled with '_'");
	ok(m.ntags == 3 && strcmp(m.tags[0], "retail") == 0 && strcmp(m.tags[2], "extra") == 0, "tags and tag add up");
	ok(m.ndepts == 1 && strcmp(m.depts[0], "Sales") == 0, "one department as a scalar");
	ok(m.mapping && !m.error && !m.log, "a mapping, no error, no log");
	ok(m.nfields == 9, "every key is a field (%zu)", m.nfields);
	is_str(field(&m, "crm-id", 0), "4711", "unknown keys are fields, as written");
	is_str(field(&m, "customer", 1), "Other", "list values are fields");

	meta(&m, a, "title: \"a\\tb\\x01c   \"\ntags: [\"\", \" x \"]\n");
	is_str(m.title, "a b c", "control bytes become blanks, trimmed");
	ok(m.ntags == 1 && strcmp(m.tags[0], "x") == 0, "empty values dropped");
	is_str(field(&m, "title", 0), "a\tb\x01" "c   ", "the field keeps the value as written");

	struct buf long_value = BUF_INIT;
	buf_puts(&long_value, "title: ");
	for (int i = 0; i < 150; i++)
		buf_puts(&long_value, "é"); /* 300 bytes */
	meta(&m, a, long_value.ptr);
	ok(m.title && strlen(m.title) == 200 && utf8_valid(m.title, strlen(m.title)), "values cut at 200 bytes");
	buf_reset(&long_value);
	buf_puts(&long_value, "title: a");
	for (int i = 0; i < 150; i++)
		buf_puts(&long_value, "é"); /* 301 bytes: the 200th and 201st are one character */
	meta(&m, a, long_value.ptr);
	ok(m.title && strlen(m.title) == 199 && utf8_valid(m.title, strlen(m.title)), "a value is cut before a character");
	buf_reset(&long_value);
	buf_puts(&long_value, "tags: [");
	for (int i = 0; i < 100; i++)
		buf_printf(&long_value, "%st%d", i ? ", " : "", i);
	buf_puts(&long_value, "]\n");
	meta(&m, a, long_value.ptr);
	ok(m.ntags == PAGE_LIST_MAX, "at most %d items kept (%zu)", PAGE_LIST_MAX, m.ntags);
	buf_free(&long_value);

	meta(&m, a, "log: true\n");
	ok(m.log, "log: true");
	meta(&m, a, "Log: TRUE # a comment\n");
	ok(m.log, "log: TRUE, key in any case, with a comment");
	meta(&m, a, "log: false\n");
	ok(!m.log, "log: false");

	meta(&m, a, "title: [unclosed\n: : :\n");
	ok(m.error && strstr(m.error, "(line ") && !m.title && !m.mapping, "bad YAML: an error with a line, no values (%s)",
	   m.error ? m.error : "none");
	meta(&m, a, "- a\n- b\n");
	ok(m.error && strstr(m.error, "not a list of 'key: value'") && m.nfields == 0, "a list is no front matter");
	meta(&m, a, "");
	ok(!m.error && !m.mapping && m.nfields == 0, "empty front matter: nothing, no error");
	page_meta_parse(&m, a, NULL, 0);
	ok(!m.error && !m.title, "no front matter at all");
	struct buf big = BUF_INIT;
	for (size_t i = 0; i < PAGE_FM_MAX / 8 + 1; i++)
		buf_puts(&big, "k: vvvv\n");
	page_meta_parse(&m, a, big.ptr, big.len);
	ok(m.error && strcmp(m.error, "front matter too long") == 0 && !m.mapping, "over 64 KiB: not read");
	buf_free(&big);

	/* Aliases repeat a node without repeating its bytes: 64 KiB of "kN: *a" to a list of
	 * 10,000 items made 46 million values (found by fuzz_frontmatter). Fields as written
	 * are bounded by the YAML's bytes; known values are read all the same. */
	struct buf amp = BUF_INIT;
	buf_puts(&amp, "a: &a [");
	for (int i = 0; i < 10000; i++)
		buf_puts(&amp, i ? ",x" : "x");
	buf_puts(&amp, "]\n");
	for (int i = 0; amp.len < 60000; i++)
		buf_printf(&amp, "k%d: *a\ntags: *a\ncustomer: *a\n", i);
	buf_puts(&amp, "title: Last\n");
	meta(&m, a, amp.ptr);
	size_t values = 0;
	for (size_t i = 0; i < m.nfields; i++)
		values += m.fields[i].nvalues;
	ok(m.fields[0].nvalues == 10000 && values <= amp.len, "aliases: %zu values shown from %zu bytes", values, amp.len);
	ok(m.ntags == PAGE_LIST_MAX && m.customer && strcmp(m.customer, "x") == 0 && m.title && strcmp(m.title, "Last") == 0,
	   "aliases: known values as ever");
	buf_free(&amp);
	arena_free(a);

	const char *logs[] = { "---\nlog: true\n---\n- a\n", "---\r\nlog: true\r\n---\r\n- a\r\n", "---\nlog: true\n...\n- a\n" };
	for (size_t i = 0; i < 3; i++)
		ok(page_is_log(logs[i], strlen(logs[i])), "page_is_log, case %zu (LF, CRLF, '...')", i);
	ok(!page_is_log("log: true\n", 10), "no front matter: no log");
	ok(!page_is_log("---\ntitle: x\n---\nlog: true\n", 27), "log: true in the body does not count");
}

/* The kinds of the lines of `text`, one letter each: t b f c h (heading: its level). */
static void
kinds(struct buf *out, const char *text)
{
	struct page_lines ls = { 0 };
	buf_reset(out);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int level = 0;
		switch (page_line(&ls, p, n, &level, NULL, NULL)) {
		case PAGE_TEXT: buf_putc(out, 't'); break;
		case PAGE_BLANK: buf_putc(out, 'b'); break;
		case PAGE_FENCE: buf_putc(out, 'f'); break;
		case PAGE_CODE: buf_putc(out, 'c'); break;
		case PAGE_HEADING: buf_printf(out, "%d", level); break;
		}
		p += n + (nl ? 1 : 0);
	}
}

static void
test_lines(void)
{
	struct buf k = BUF_INIT;
	kinds(&k, "# One\ntext\n\n## Two ##\n###### Six\n####### seven\n#nospace\n   # three blanks\n    # four\n");
	is_str(k.ptr, "1tb26tt1t", "ATX headings: 1-6 '#', a blank after, up to three blanks before");
	kinds(&k, "```\n# not a heading\n```\n# heading\n");
	is_str(k.ptr, "fcf1", "no heading inside a fence");
	kinds(&k, "~~~~ text\n~~~\n# still code\n~~~~~\nafter\n");
	is_str(k.ptr, "fccft", "a fence closes with at least as many of its character");
	kinds(&k, "```a``` is a span\n# heading\n");
	is_str(k.ptr, "t1", "backticks closed on the line: a code span, no fence");
	kinds(&k, "> ```\n> # quoted code\n> ```\n- item\n  ```\n  # listed code\n  ```\n");
	is_str(k.ptr, "fcftfcf", "fences in quotes and lists count");
	kinds(&k, "```\n\n```\n \t\r\n");
	is_str(k.ptr, "fcfb", "a blank line inside a fence is code; blanks and CR outside are blank");
	const char *t;
	size_t tl;
	int level;
	struct page_lines ls = { 0 };
	ok(page_line(&ls, "## Log ##  \r", 12, &level, &t, &tl) == PAGE_HEADING && level == 2 && tl == 3 &&
	   strncmp(t, "Log", 3) == 0, "heading text without blanks, closing '#'s and CR");
	buf_free(&k);
}

/* Which lines of `text` are inside a log section, one letter each: y or n. */
static void
logs(struct buf *out, const char *text, int whole)
{
	struct page_log lg;
	page_log_init(&lg, whole);
	buf_reset(out);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_putc(out, page_log_line(&lg, p, n) ? 'y' : 'n');
		p += n + (nl ? 1 : 0);
	}
}

static void
test_log(void)
{
	struct buf k = BUF_INIT;
	logs(&k, "# Acme\nintro\n## Log\n- a\n### 1 May\n- b\n## Next\n- c\n", 0);
	is_str(k.ptr, "nnyyyynn", "the Log section, deeper headings inside, up to the next of its level");
	logs(&k, "## LOG\n- a\n# Top\n- b\n", 0);
	is_str(k.ptr, "yynn", "any case; a higher heading ends it");
	logs(&k, "```\n## Log\n```\n- a\n", 0);
	is_str(k.ptr, "nnnn", "a Log heading in a code block opens no log");
	logs(&k, "## Log\n```\n## Next\n```\n- a\n## Next\n", 0);
	is_str(k.ptr, "yyyyyn", "a heading in a code block does not end the log");
	logs(&k, "# Page\n- a\n## Other\n", 1);
	is_str(k.ptr, "yyy", "log: true makes the whole page a log");
	buf_free(&k);
}

int
main(void)
{
	test_split();
	test_meta();
	test_lines();
	test_log();
	return tap_done();
}
