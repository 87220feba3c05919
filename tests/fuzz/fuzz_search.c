/* fuzz_search.c: the search box's parser (search_parse): its MATCH expression runs in FTS5 and keeps the budgets. */
#include "fuzz.h"

#include <sqlite3.h>

#include "page.h"
#include "search.h"

/* The full-text table as index_db.c makes it (same tokenizer and prefix indexes), with a
 * few pages, and a second table with a vocabulary view to see the tokens of each term. */
static const char schema[] =
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
	"INSERT INTO fts(rowid, title, body) VALUES (1, 'Acme Corp', 'Gateway timeout at the customer''s site'),"
	" (2, 'Ünïcode Café', 'naïve résumé 日本語 テスト a—b'), (3, 'a', 'a b c d e f g h');"
	"CREATE VIRTUAL TABLE tok USING fts5(x, tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE VIRTUAL TABLE tokv USING fts5vocab(tok, instance);";

static sqlite3 *db;
static sqlite3_stmt *match_st, *tok_ins, *tok_sel, *tok_del;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT rowid FROM fts WHERE fts MATCH ?1", -1, &match_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO tok(rowid, x) VALUES (1, ?1)", -1, &tok_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT term FROM tokv ORDER BY offset", -1, &tok_sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "DELETE FROM tok", -1, &tok_del, NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_search: %s\n", sqlite3_errmsg(db));
		abort();
	}
	return 0;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The tokens FTS5 makes of `text`: how many, and the length in characters of the last. */
static size_t
tokens(const char *text, size_t *last_chars)
{
	size_t n = 0;
	*last_chars = 0;
	sqlite3_bind_text(tok_ins, 1, text, -1, SQLITE_STATIC);
	FUZZ_CHECK(sqlite3_step(tok_ins) == SQLITE_DONE, "insert: %s", sqlite3_errmsg(db));
	sqlite3_reset(tok_ins);
	while (sqlite3_step(tok_sel) == SQLITE_ROW) {
		n++;
		*last_chars = utf8_chars((const char *)sqlite3_column_text(tok_sel, 0));
	}
	sqlite3_reset(tok_sel);
	FUZZ_CHECK(sqlite3_step(tok_del) == SQLITE_DONE, "delete: %s", sqlite3_errmsg(db));
	sqlite3_reset(tok_del);
	return n;
}

/* Walk the MATCH expression as search_parse promises to write it: "text" terms (a quote
 * inside doubled), each maybe followed by '*', one blank between. Checks each term's
 * tokens against the budgets; returns the number of terms. */
static size_t
check_match(const struct search_query *q, size_t *prefixes, size_t *words)
{
	const char *m = q->match;
	struct buf term = BUF_INIT;
	size_t terms = 0;
	*prefixes = *words = 0;
	while (*m) {
		FUZZ_CHECK(*m == '"', "a term does not start with a quote: %s", q->match);
		buf_reset(&term);
		for (m++;; m++) {
			FUZZ_CHECK(*m, "an unclosed term: %s", q->match);
			if (*m == '"' && m[1] != '"')
				break;
			if (*m == '"')
				m++;
			buf_putc(&term, *m);
		}
		m++;
		int prefix = *m == '*';
		m += prefix;
		FUZZ_CHECK(*m == '\0' || (*m == ' ' && m[1] == '"'), "terms not separated by one blank: %s", q->match);
		m += *m == ' ';
		size_t last, n = tokens(buf_cstr(&term), &last);
		/* a term of separators only ("—") makes no token: FTS5 ignores it, harmless */
		/* docs/security.md: a prefix of one letter would expand to every word it starts */
		FUZZ_CHECK(!prefix || last >= 2, "prefix term \"%s\"* ends in a token of %zu character(s)", buf_cstr(&term),
			   last);
		*words += n;
		*prefixes += (size_t)prefix;
		terms++;
	}
	buf_free(&term);
	return terms;
}

static void
check_filters(const struct search_query *q)
{
	for (int k = 0; k < SF_KINDS; k++) {
		FUZZ_CHECK(q->nfilters[k] <= SEARCH_MAX_FILTERS, "too many filters");
		for (size_t i = 0; i < q->nfilters[k]; i++) {
			const char *v = q->filters[k][i];
			size_t n = strlen(v);
			FUZZ_CHECK(n > 0 && n <= PAGE_VALUE_MAX && v[0] != ' ' && v[n - 1] != ' ', "filter value '%s'", v);
			FUZZ_CHECK(fuzz_utf8_ok(v, n) && !fuzz_has_ctl(v, n), "filter value not clean UTF-8");
		}
	}
	/* space:NAME only narrows the spaces searched (search_run keeps those of the scope
	 * that it names): a name as it is compared there, lower case */
	FUZZ_CHECK(q->nspaces <= SEARCH_MAX_FILTERS, "%zu space filters", q->nspaces);
	for (size_t i = 0; i < q->nspaces; i++) {
		const char *v = q->spaces[i];
		size_t n = strlen(v);
		FUZZ_CHECK(n > 0 && n <= 64 && fuzz_utf8_ok(v, n) && !fuzz_has_ctl(v, n), "space filter '%s'", v);
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(v[k] < 'A' || v[k] > 'Z', "space filter '%s' not in lower case", v);
	}
}

/* search_marks_to_html: escaped text, and marks that open and close in turn. */
static void
check_marks(const char *s)
{
	struct buf out = BUF_INIT;
	search_marks_to_html(&out, s);
	const char *p = buf_cstr(&out);
	int open = 0;
	while ((p = strpbrk(p, "<>\"'"))) {
		if (strncmp(p, "<mark>", 6) == 0 && !open) {
			open = 1;
			p += 6;
		} else if (strncmp(p, "</mark>", 7) == 0 && open) {
			open = 0;
			p += 7;
		} else {
			FUZZ_CHECK(0, "unescaped markup in the marks' HTML: %s", buf_cstr(&out));
		}
	}
	FUZZ_CHECK(!open, "a <mark> left open");
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size); /* the search box's text ends at a NUL, as a C string */
	struct arena *a = arena_new();
	struct search_query q;
	search_parse(&q, a, text);

	FUZZ_CHECK(q.page == 1, "page %u", q.page);
	FUZZ_CHECK(strlen(q.text) <= SEARCH_MAX_QUERY && fuzz_utf8_ok(q.text, strlen(q.text)) &&
			   !fuzz_has_ctl(q.text, strlen(q.text)),
		   "the query text as read is not clean");
	FUZZ_CHECK(q.nterms <= SEARCH_MAX_TERMS && q.nwords <= SEARCH_MAX_WORDS && q.nprefix <= SEARCH_MAX_PREFIX,
		   "over the limits: %zu terms, %zu words, %zu prefixes", q.nterms, q.nwords, q.nprefix);
	FUZZ_CHECK((q.match == NULL) == (q.nterms == 0), "match %s with %zu terms", q.match ? q.match : "NULL", q.nterms);
	check_filters(&q);
	if (q.match) {
		size_t prefixes, words;
		FUZZ_CHECK(check_match(&q, &prefixes, &words) == q.nterms, "nterms is not the terms in %s", q.match);
		FUZZ_CHECK(prefixes == q.nprefix, "nprefix %zu, but %zu prefixes in %s", q.nprefix, prefixes, q.match);
		FUZZ_CHECK(words <= q.nwords, "FTS5 makes %zu tokens of %s, counted %zu", words, q.match, q.nwords);
		/* and FTS5 takes it: no syntax error, whatever the input */
		sqlite3_bind_text(match_st, 1, q.match, -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(match_st)) == SQLITE_ROW)
			;
		FUZZ_CHECK(rc == SQLITE_DONE, "FTS5 refuses %s: %s", q.match, sqlite3_errmsg(db));
		sqlite3_reset(match_st);
	}
	check_marks(text);
	arena_free(a);
	free(text);
	return 0;
}
