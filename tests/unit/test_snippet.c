/* test_snippet.c: highlights and snippets from FTS5's tokenizer, checked against FTS5's own
 * highlight() and snippet() on the same texts and queries. */
#include "snippet.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *db;
static struct hl_tokenizer *tk;

static const char *const docs[] = {
	"Acme Corp uses the Sync Gateway since 2019.",
	"Müller GmbH: contact Jürgen Müller (muller@example.com) about the e-mail gateway.",
	"gateway gateway GATEWAY, Gateway; gateways and gatekeepers.",
	"  ...leading punctuation, then sync; then gateway sync gateway!",
	"Kestrel Kestrels kestrel-like: KESTREL.",
	"Renewal talks usually start three months before the end date. The renewal quote was sent "
	"in May. Procurement requires three quotes for anything above EUR 10,000. They asked for a "
	"discount on the Sync Gateway and on the renewal quote. Decisions are made by a steering "
	"committee that meets every quarter. Their fiscal year ends in June, so budget questions go "
	"out in spring. The gateway team is the main day-to-day user of the Sync Gateway.",
	"Word one. Word two: word three! Word four? A very long sentence follows here with many many "
	"words in it so that no window of twenty eight tokens can hold all of the matches at once and "
	"the snippet has to choose the part with the most distinct phrases like sync and then "
	"gateway near the end where sync gateway appears together at last.",
	"<b>escaped</b> & \"quoted\" text: the snippet keeps bytes as they are; café CAFE cafe.",
	"the sync gateway team met the gateway team",
};

static const char *const queries[] = {
	"\"gateway\"", "\"sync gateway\"", "\"sync\" \"gateway\"", "\"gate\"*", "\"muller\"", "\"Müller\"",
	"\"e-mail\"", "\"kestrel\"", "\"renewal\" \"quote\"", "\"renewal quote\"", "\"cafe\"", "\"word\"",
	"\"say \"\"hi\"\"\"", "\"escaped\" \"quoted\"", "\"th\"*", "\"sync gate\"*",
	"\"sync gateway\" \"gateway team\"",
};

/* FTS5's function `fn` ("highlight(t, 0, ...)" etc.) on row `id` for `match`, or NULL. */
static char *
fts5(const char *fn, const char *match, int id)
{
	char sql[256];
	sqlite3_stmt *s = NULL;
	char *out = NULL;
	snprintf(sql, sizeof(sql), "SELECT %s FROM t WHERE t MATCH ?1 AND rowid = ?2", fn);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		out = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* Words in s as unicode61 splits these texts (runs of letters, digits and non-ASCII
 * bytes), the ellipsis "…" and the marks left out. */
static size_t
words(const char *s)
{
	size_t n = 0;
	int in = 0;
	while (*s) {
		if (strncmp(s, "…", 3) == 0) {
			in = 0;
			s += 3;
			continue;
		}
		int w = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			(unsigned char)*s >= 0x80;
		n += w && !in;
		in = w;
		s++;
	}
	return n;
}

/* Does the snippet start where its text starts (its first 8 bytes, marks left out)? */
static int
starts_text(const char *snip, const char *text)
{
	for (int n = 0; *snip && *text && n < 8; snip++, n++) {
		if (*snip == '\x01' || *snip == '\x02')
			continue;
		if (*snip != *text++)
			return 0;
	}
	return 1;
}

/* CPU seconds of the highlight and the snippet of `text` for `match`, results in *hl and
 * *snip (caller frees). */
static double
cpu_of(const char *match, const char *text, size_t n, struct buf *hl, struct buf *snip)
{
	struct hl_query *q = hl_query_new(tk, match);
	clock_t t0 = clock();
	hl_highlight(hl, tk, q, text, n);
	hl_snippet(snip, tk, q, text, n, 28, "…");
	double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
	hl_query_free(q);
	return s;
}

/* Issue 15: the work is bounded by counts, whatever the text and the query. Before, a text
 * of "www.a.com " repeated with "a" ten times, or with phrases that all match at every
 * repetition, cost (matches)^2: seconds for these 20 KB. */
static void
test_bounded(struct buf *b)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
	const double limit = 0.5;
#else
	const double limit = 0.05;
#endif
	struct buf text = BUF_INIT, h1 = BUF_INIT, s1 = BUF_INIT, h2 = BUF_INIT, s2 = BUF_INIT;
	for (int i = 0; i < 2000; i++)
		buf_puts(&text, "www.a.com ");
	double one = cpu_of("\"a\"", text.ptr, text.len, &h1, &s1);
	double ten = cpu_of("\"a\" \"A\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\" \"a\"", text.ptr, text.len, &h2, &s2);
	ok(strcmp(s1.ptr, s2.ptr) == 0 && strcmp(h1.ptr, h2.ptr) == 0, "a phrase repeated marks and cuts as once");
	ok(ten < limit, "\"a\" ten times on 2,000 matches: %.1f ms CPU (once: %.1f ms)", ten * 1e3, one * 1e3);
	buf_reset(&b[0]);
	buf_puts(b, "\"www\" \"a\" \"com\"");
	const char *w[] = { "www", "a", "com" };
	for (int len = 2; len <= 10; len++)
		for (int off = 0; off < 3; off++) {
			buf_puts(b, " \"");
			for (int k = 0; k < len; k++)
				buf_printf(b, "%s%s", k ? " " : "", w[(off + k) % 3]);
			buf_putc(b, '"');
		}
	buf_reset(&h2);
	buf_reset(&s2);
	double many = cpu_of(b->ptr, text.ptr, text.len, &h2, &s2);
	ok(many < limit, "30 phrases matching at every repetition: %.1f ms CPU", many * 1e3);
	ok(count_char(s2.ptr, '\x01') > 0 && count_char(s2.ptr, '\x01') == count_char(s2.ptr, '\x02') &&
	   words(s2.ptr) <= 28, "and the snippet is sound: %.80s", s2.ptr);
	/* Past the first 1024 matches nothing more is marked: the highlight is cut short of
	 * marks, not of text. */
	ok(h1.len > text.len && count_char(h1.ptr, '\x01') == 1024 && strstr(h1.ptr, text.ptr + text.len - 100),
	   "a highlight marks the first 1024 matches and keeps all the text");
	buf_free(&text);
	buf_free(&h1);
	buf_free(&s1);
	buf_free(&h2);
	buf_free(&s2);
}

int
main(void)
{
	static const char *const args[] = { "remove_diacritics", "2" };
	ok(sqlite3_open(":memory:", &db) == SQLITE_OK, "in-memory database");
	ok(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
			NULL, NULL, NULL) == SQLITE_OK, "FTS5 table");
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		sqlite3_stmt *s = NULL;
		sqlite3_prepare_v2(db, "INSERT INTO t(rowid, body) VALUES(?1, ?2)", -1, &s, NULL);
		sqlite3_bind_int(s, 1, (int)i + 1);
		sqlite3_bind_text(s, 2, docs[i], -1, SQLITE_STATIC);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
	ok(hl_tokenizer_open(&tk, db, "unicode61", args, 2) == 0, "the table's tokenizer");
	ok(hl_query_new(tk, "") == NULL && hl_query_new(tk, "\"--\" \"\"") == NULL, "no phrases: no query");

	int pairs = 0, same_hl = 0, snip_ok = 0, snip_same = 0;
	for (size_t qi = 0; qi < sizeof(queries) / sizeof(queries[0]); qi++) {
		struct hl_query *q = hl_query_new(tk, queries[qi]);
		for (size_t di = 0; di < sizeof(docs) / sizeof(docs[0]); di++) {
			char *want = fts5("highlight(t, 0, char(1), char(2))", queries[qi], (int)di + 1);
			if (!want)
				continue; /* not a match */
			pairs++;
			struct buf got = BUF_INIT, snip = BUF_INIT;
			hl_highlight(&got, tk, q, docs[di], strlen(docs[di]));
			if (strcmp(buf_cstr(&got), want) == 0)
				same_hl++;
			else
				printf("# highlight %s in doc %zu:\n#   got:  %s\n#   want: %s\n", queries[qi], di + 1,
				       buf_cstr(&got), want);
			/* Snippets: ours may pick another window than FTS5's, but never a worse one
			 * (as many marks of distinct phrases), never longer, with "…" where cut. */
			char *fsnip = fts5("snippet(t, 0, char(1), char(2), '…', 28)", queries[qi], (int)di + 1);
			hl_snippet(&snip, tk, q, docs[di], strlen(docs[di]), 28, "…");
			const char *sn = buf_cstr(&snip);
			int good = fsnip && count_char(sn, '\x01') >= (count_char(fsnip, '\x01') > 0) &&
				   count_char(sn, '\x01') == count_char(sn, '\x02') && words(sn) <= 28 &&
				   (strncmp(sn, "…", 3) == 0) == !starts_text(sn, docs[di]);
			snip_ok += good;
			snip_same += fsnip && strcmp(sn, fsnip) == 0;
			if (!good)
				printf("# snippet %s in doc %zu (%zu marks, %zu words):\n#   got:  %s\n#   fts5: %s\n",
				       queries[qi], di + 1, count_char(sn, '\x01'), words(sn), sn, fsnip ? fsnip : "(null)");
			free(fsnip);
			free(want);
			buf_free(&got);
			buf_free(&snip);
		}
		hl_query_free(q);
	}
	ok(pairs >= 30, "%d matching (query, text) pairs", pairs);
	ok(same_hl == pairs, "highlight equals FTS5's highlight() in %d of %d", same_hl, pairs);
	ok(snip_ok == pairs, "snippets are sound in %d of %d (%d the same as FTS5's)", snip_ok, pairs, snip_same);

	/* Specific cases. */
	struct hl_query *q = hl_query_new(tk, "\"sync gateway\" \"gateway\"");
	struct buf b = BUF_INIT;
	hl_highlight(&b, tk, q, "a Sync Gateway b", 16);
	is_str(buf_cstr(&b), "a \001Sync Gateway\002 b", "overlapping matches make one mark");
	hl_query_free(q);
	q = hl_query_new(tk, "\"say \"\"hi\"\"\"");
	buf_reset(&b);
	hl_highlight(&b, tk, q, "they say \"hi\" here", 18);
	is_str(buf_cstr(&b), "they \001say \"hi\002\" here", "a quote inside a phrase");
	hl_query_free(q);
	q = hl_query_new(tk, "\"zzz\"");
	buf_reset(&b);
	hl_snippet(&b, tk, q, docs[5], strlen(docs[5]), 10, "…");
	ok(strncmp(buf_cstr(&b), "Renewal talks", 13) == 0 && words(buf_cstr(&b)) == 10 &&
	   strcmp(b.ptr + b.len - 3, "…") == 0, "no match: the start of the text, cut");
	hl_query_free(q);
	q = hl_query_new(tk, "\"committee\"");
	buf_reset(&b);
	hl_snippet(&b, tk, q, docs[5], strlen(docs[5]), 12, "…");
	ok(strncmp(buf_cstr(&b), "…Decisions are made", 21) == 0 && strstr(b.ptr, "\001committee\002"),
	   "a snippet starts at the sentence of its match: %s", buf_cstr(&b));
	hl_query_free(q);
	/* A huge text: only its first 128 KiB are searched, and the snippet says it was cut. */
	struct buf big = BUF_INIT;
	for (int i = 0; i < 20000; i++)
		buf_puts(&big, "filler words here ");
	buf_puts(&big, "needle");
	q = hl_query_new(tk, "\"needle\"");
	buf_reset(&b);
	hl_snippet(&b, tk, q, big.ptr, big.len, 28, "…");
	ok(!strchr(buf_cstr(&b), '\x01') && words(b.ptr) == 28 && strcmp(b.ptr + b.len - 3, "…") == 0,
	   "a match past 128 KiB is not looked for");
	buf_reset(&b);
	hl_snippet(&b, tk, q, big.ptr + big.len - 200, 200, 28, "…");
	ok(strstr(buf_cstr(&b), "\001needle\002") != NULL, "but found in a shorter text");
	hl_query_free(q);
	buf_free(&big);
	test_bounded(&b);
	buf_free(&b);

	hl_tokenizer_close(tk);
	sqlite3_close(db);
	return tap_done();
}
