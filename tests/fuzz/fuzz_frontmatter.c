/* fuzz_frontmatter.c: a page's text as page.c reads it: the front matter split, its YAML values, the line structure. */
#include "fuzz.h"

#include "page.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* A known value: one line, trimmed, valid UTF-8, at most PAGE_VALUE_MAX bytes. */
static void
check_value(const char *what, const char *v)
{
	if (!v)
		return;
	size_t n = strlen(v);
	FUZZ_CHECK(n > 0 && n <= PAGE_VALUE_MAX, "%s: %zu bytes", what, n);
	FUZZ_CHECK(!fuzz_has_ctl(v, n) && v[0] != ' ' && v[n - 1] != ' ', "%s: not one trimmed line: '%s'", what, v);
	FUZZ_CHECK(fuzz_utf8_ok(v, n), "%s: not valid UTF-8: '%s'", what, v);
}

static void
check_meta(const struct page_meta *m, size_t len)
{
	check_value("title", m->title);
	check_value("customer", m->customer);
	check_value("owner", m->owner);
	check_value("review-by", m->review_by);
	FUZZ_CHECK(m->ntags <= PAGE_LIST_MAX && m->ndepts <= PAGE_LIST_MAX, "%zu tags, %zu departments", m->ntags,
		   m->ndepts);
	for (size_t i = 0; i < m->ntags; i++)
		check_value("tag", m->tags[i]);
	for (size_t i = 0; i < m->ndepts; i++)
		check_value("department", m->depts[i]);
	FUZZ_CHECK(m->mapping || (m->nfields == 0 && !m->title && !m->ntags && !m->log), "values without a mapping");
	/* Fields as written come from the YAML's own bytes, so together they are never more
	 * than it: what a page view shows (and allocates) is bounded by the page. */
	size_t bytes = 0, values = 0;
	for (size_t i = 0; i < m->nfields; i++) {
		const struct page_field *f = &m->fields[i];
		FUZZ_CHECK(f->key != NULL, "field %zu without a key", i);
		bytes += strlen(f->key);
		values += f->nvalues;
		for (size_t k = 0; k < f->nvalues; k++) {
			FUZZ_CHECK(f->values[k] != NULL, "field %zu value %zu is NULL", i, k);
			bytes += strlen(f->values[k]);
		}
	}
	FUZZ_CHECK(bytes <= len && values <= len + 1 && m->nfields <= len, "%zu fields, %zu values, %zu bytes from %zu bytes of YAML",
		   m->nfields, values, bytes, len);
}

/* The line structure: kinds, levels and heading text inside the line. */
static void
check_lines(const char *s, size_t n, int whole_log)
{
	struct page_lines ls = { 0 };
	struct page_log lg;
	page_log_init(&lg, whole_log);
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - s) - pos : n - pos;
		int level = 0;
		const char *t = NULL;
		size_t tlen = 0;
		enum page_line_kind k = page_line(&ls, s + pos, len, &level, &t, &tlen);
		FUZZ_CHECK(k >= PAGE_TEXT && k <= PAGE_HEADING, "kind %d", (int)k);
		if (k == PAGE_HEADING)
			FUZZ_CHECK(level >= 1 && level <= 6 && t >= s + pos && t + tlen <= s + pos + len, "heading %d", level);
		int inside = page_log_line(&lg, s + pos, len);
		FUZZ_CHECK(inside == page_log_inside(&lg) && (!whole_log || inside), "log state");
		pos += len + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *fm;
	size_t len;
	size_t body = page_split(s, size, &fm, &len);
	FUZZ_CHECK(body <= size, "body at %zu of %zu", body, size);
	FUZZ_CHECK((fm == NULL) == (body == 0) && (!fm || (fm >= s + 4 && fm + len <= s + body)), "front matter bounds");
	struct arena *a = arena_new();
	struct page_meta m;
	page_meta_parse(&m, a, fm, len);
	check_meta(&m, len);
	FUZZ_CHECK(page_is_log(s, size) == m.log, "page_is_log disagrees with page_meta_parse");
	check_lines(s + body, size - body, m.log);
	arena_free(a);
	return 0;
}
