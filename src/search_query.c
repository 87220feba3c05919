/* search_query.c: the query language of search: the words, phrases, prefixes and filters
 * (customer:, tag:, dept:, space:) of what was typed, parsed within a work budget into an
 * FTS5 MATCH expression, and the marks of highlighted text as HTML. No database here. */
#include "search.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "page.h"

static const char *const filter_names[SF_KINDS] = { "customer", "tag", "dept" };

const char *
search_filter_name(enum search_filter kind)
{
	return kind < SF_KINDS ? filter_names[kind] : "";
}

/* Copy the first `max` bytes of `s` into the arena, dropping invalid UTF-8 and turning
 * control bytes into spaces. */
static char *
clean_query(struct arena *a, const char *s, size_t max, int *truncated)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		*truncated = 1;
	}
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		if (len == 0 || len > n - i || !utf8_valid(s + i, len)) {
			i++;
			continue;
		}
		if (len == 1 && (c < ' ' || c == 0x7f))
			*o++ = ' ';
		else
			memcpy(o, s + i, len), o += len;
		i += len;
	}
	*o = '\0';
	return out;
}

void
search_add_filter(struct search_query *q, struct arena *a, enum search_filter kind, const char *value)
{
	int trunc = 0;
	if (kind == SF_KINDS && value) { /* space:NAME narrows the spaces searched */
		char *v = clean_query(a, value, 64, &trunc);
		for (char *c = v; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		if (*v && q->nspaces < SEARCH_MAX_FILTERS)
			q->spaces[q->nspaces++] = v;
		return;
	}
	if (kind >= SF_KINDS || !value)
		return;
	char *v = clean_query(a, value, PAGE_VALUE_MAX, &trunc);
	while (*v == ' ')
		v++;
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		v[--n] = '\0';
	if (n == 0)
		return;
	for (size_t i = 0; i < q->nfilters[kind]; i++)
		if (strcasecmp(q->filters[kind][i], v) == 0)
			return;
	if (q->nfilters[kind] == SEARCH_MAX_FILTERS) {
		q->truncated = 1;
		return;
	}
	q->filters[kind][q->nfilters[kind]++] = v;
}

/* Does the word hold something the tokenizer keeps (a letter or digit)? */
static int
has_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return 1;
	}
	return 0;
}

static int
is_punct(unsigned char c)
{
	return c < 0x80 && !(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Is code point `cp` surely a letter or digit to FTS5's unicode61 tokenizer? Only runs of
 * them in common blocks, every one checked against SQLite's tables (tests/fuzz/fuzz_search.c
 * keeps checking): any other character may be a separator to it (a dash, a combining mark). */
static int
surely_letter(uint32_t cp)
{
	static const uint32_t runs[][2] = {
		{ '0', '9' }, { 'A', 'Z' }, { 'a', 'z' },
		{ 0xC0, 0xD6 }, { 0xD8, 0xF6 }, { 0xF8, 0x2AF },     /* Latin-1 letters, Latin Extended, IPA */
		{ 0x388, 0x3F5 }, { 0x400, 0x481 }, { 0x48A, 0x52F }, /* Greek, Cyrillic */
		{ 0x5D0, 0x5EA }, { 0x620, 0x64A },                   /* Hebrew and Arabic letters */
		{ 0x3041, 0x3096 }, { 0x30A1, 0x30FA },               /* kana */
		{ 0x4E00, 0x9FFF }, { 0xAC00, 0xD7A3 },               /* CJK ideographs, Hangul */
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (cp >= runs[i][0] && cp <= runs[i][1])
			return 1;
	return 0;
}

/* Characters at the end of [s, s+n) (valid UTF-8) that FTS5 surely keeps in one word: a
 * prefix of one letter would expand to thousands of words, so it needs two. A character
 * that may be a separator ends the word: FTS5 reads "x—a*" or "xa\u0348b*" as a prefix of one
 * letter (found by fuzzing), so they are searched as words. */
static size_t
last_word_chars(const char *s, size_t n)
{
	size_t chars = 0;
	while (n) {
		size_t k = 1;
		while (k < n && k < 4 && ((unsigned char)s[n - k] & 0xC0) == 0x80)
			k++;
		const unsigned char *c = (const unsigned char *)s + n - k;
		uint32_t cp = k == 1 ? c[0] : c[0] & (0x7Fu >> k);
		for (size_t i = 1; i < k; i++)
			cp = cp << 6 | (c[i] & 0x3Fu);
		if (!surely_letter(cp))
			break;
		chars++;
		n -= k;
	}
	return chars;
}

/* --- the budget of a query -------------------------------------------------------------
 * A search's work grows with the words of its query: FTS5 matches every word of every
 * phrase against its positions in each matching page, and kennis_rank and the snippets go
 * over those matches again. A 200 KB page of "www.a.com " repeated and "a* a* a* ..."
 * (ten times) took 17 s (issue 15). So a query buys no more than a person types: a term
 * repeated is searched once, and at most SEARCH_MAX_WORDS words and SEARCH_MAX_PREFIX
 * prefixes are searched. What this costs at most is measured in docs/search.md. */

static int
is_word_byte(unsigned char c)
{
	return c >= 0x80 || !is_punct(c);
}

/* The words the tokenizer can cut [s, s+n) into, counted from above: a run of ASCII
 * letters and digits is one, and so is every non-ASCII character (unicode61 makes it a
 * letter or a separator by its category, so "a—a—a" is three words). */
static size_t
words_at_most(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0xC0 || (c < 0x80 && is_word_byte(c) && (i == 0 || !is_word_byte((unsigned char)s[i - 1]) ||
								   (unsigned char)s[i - 1] >= 0x80)))
			w++;
	}
	return w;
}

/* Is the FTS5 string t[0..n) one of the terms of the expression m[0..end) (as add_term
 * writes them: "text" with quotes doubled, maybe *, one blank between)? ASCII case is
 * ignored, as FTS5 ignores it. */
static int
term_repeated(const char *m, size_t end, const char *t, size_t n)
{
	for (size_t i = 0; i < end;) {
		size_t j = i + 1; /* after the opening quote */
		while (j < end && !(m[j] == '"' && (j + 1 >= end || m[j + 1] != '"')))
			j += m[j] == '"' ? 2 : 1;
		j++; /* the closing quote */
		if (j < end && m[j] == '*')
			j++;
		if (j - i == n && strncasecmp(m + i, t, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Keep or drop the term just written at m[start..] (after its blank, if any) within the
 * query's budget: 1 to keep it, 0 when the caller drops it. A prefix over the budget
 * loses its '*'. */
static int
term_in_budget(struct search_query *q, struct buf *m, size_t start, const char *s, size_t n)
{
	size_t at = start ? start + 1 : 0;
	int prefix = m->ptr[m->len - 1] == '*';
	if (term_repeated(m->ptr, start, m->ptr + at, m->len - at))
		return 0;
	if (prefix && q->nprefix == SEARCH_MAX_PREFIX) {
		m->ptr[--m->len] = '\0';
		prefix = 0;
		q->truncated = 1;
		if (term_repeated(m->ptr, start, m->ptr + at, m->len - at))
			return 0;
	}
	size_t w = words_at_most(s, n);
	if (q->nwords + w > SEARCH_MAX_WORDS) {
		q->truncated = 1;
		return 0;
	}
	q->nwords += w;
	q->nprefix += (size_t)prefix;
	return 1;
}

/* Add a word or phrase to the MATCH expression as an FTS5 string: "text" (quotes inside
 * doubled, though the parser leaves none), "text"* for a prefix. */
static void
add_term(struct search_query *q, struct buf *m, const char *s, size_t n, int prefix)
{
	if (!has_token(s, n))
		return;
	if (prefix && last_word_chars(s, n) < 2)
		prefix = 0;
	if (q->nterms == SEARCH_MAX_TERMS) {
		q->truncated = 1;
		return;
	}
	size_t start = m->len;
	if (m->len)
		buf_putc(m, ' ');
	buf_putc(m, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(m, '"');
		buf_putc(m, s[i]);
	}
	buf_putc(m, '"');
	if (prefix)
		buf_putc(m, '*');
	if (!term_in_budget(q, m, start, s, n)) {
		m->len = start;
		if (m->ptr)
			m->ptr[start] = '\0';
		return;
	}
	q->nterms++;
}

/* A bare word: punctuation around it is dropped, a trailing * asks for a prefix match, and
 * FTS operators (AND OR NOT NEAR) are no words. */
static void
add_word(struct search_query *q, struct buf *m, const char *s, size_t n)
{
	int prefix = 0;
	while (n && is_punct((unsigned char)s[n - 1]) && s[n - 1] != '*')
		n--;
	while (n && s[n - 1] == '*')
		n--, prefix = 1;
	while (n && is_punct((unsigned char)*s))
		s++, n--;
	while (n && is_punct((unsigned char)s[n - 1]))
		n--;
	static const char *const ops[] = { "AND", "OR", "NOT", "NEAR" };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (n == strlen(ops[i]) && memcmp(s, ops[i], n) == 0)
			return;
	char *w = xstrndup(s, n), *o = w;
	for (size_t i = 0; i < n; i++) /* a quote inside a word is a separator */
		*o++ = s[i] == '"' ? ' ' : s[i];
	add_term(q, m, w, (size_t)(o - w), prefix);
	free(w);
}

/* "customer:", "tag:", "dept:" (any case) at s: the kind, and *len the prefix length. */
static int
filter_prefix(const char *s, size_t *len)
{
	static const struct { const char *key; enum search_filter kind; } keys[] = {
		{ "customer:", SF_CUSTOMER }, { "tag:", SF_TAG }, { "tags:", SF_TAG },
		{ "dept:", SF_DEPT }, { "department:", SF_DEPT }, { "space:", SF_KINDS },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i].key);
		if (strncasecmp(s, keys[i].key, n) == 0) {
			*len = n;
			return (int)keys[i].kind;
		}
	}
	return -1;
}

void
search_parse(struct search_query *q, struct arena *a, const char *text)
{
	struct buf m = BUF_INIT;
	memset(q, 0, sizeof(*q));
	q->page = 1;
	const char *p = clean_query(a, text ? text : "", SEARCH_MAX_QUERY, &q->truncated);
	q->text = p;
	while (*p) {
		size_t klen;
		int kind;
		if (*p == ' ') {
			p++;
		} else if (*p == '"') { /* a phrase, to the closing quote or the end */
			const char *end = strchr(p + 1, '"');
			size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
			const char *next = end ? end + 1 : p + 1 + n;
			int prefix = *next == '*';
			while (*next == '*')
				next++;
			add_term(q, &m, p + 1, n, prefix);
			p = next;
		} else if ((kind = filter_prefix(p, &klen)) >= 0 && p[klen] && p[klen] != ' ') {
			const char *v = p + klen, *end;
			if (*v == '"') {
				end = strchr(++v, '"');
				p = end ? end + 1 : v + strlen(v);
			} else {
				end = v + strcspn(v, " ");
				p = end;
			}
			char *val = arena_strndup(a, v, end ? (size_t)(end - v) : strlen(v));
			search_add_filter(q, a, (enum search_filter)kind, val);
		} else {
			size_t n = strcspn(p, " ");
			add_word(q, &m, p, n);
			p += n;
		}
	}
	q->match = m.len ? arena_strndup(a, m.ptr, m.len) : NULL;
	buf_free(&m);
}

void
search_marks_to_html(struct buf *out, const char *s)
{
	int open = 0;
	while (*s) {
		size_t n = strcspn(s, "\x01\x02");
		html_escape(out, s, n);
		s += n;
		if (*s == '\x01' && !open) {
			buf_puts(out, "<mark>");
			open = 1;
		} else if (*s == '\x02' && open) {
			buf_puts(out, "</mark>");
			open = 0;
		}
		if (*s)
			s++;
	}
	if (open)
		buf_puts(out, "</mark>");
}
