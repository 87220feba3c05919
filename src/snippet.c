/* snippet.c: highlighted titles and snippets of search results, with FTS5's tokenizer. */
#include "snippet.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PHRASES  64
#define SNIPPET_SCAN (128u << 10) /* bytes of a text searched for the best window */
/* The work done for one text is bounded by counts, whatever the text and the query
 * (issue 15: a page of "www.a.com " repeated and "a* a* ..." took 17 s in window_score).
 * Matches: only the first MAX_MATCHES of all phrases are found, marked and scored, so
 * scoring the candidate windows costs at most MAX_MATCHES windows of at most MAX_MATCHES
 * matches each; a normal page has a few dozen. Comparisons: finding them stops after
 * MAX_COMPARES token comparisons (a phrase of 200 words that almost matches everywhere
 * costs 200 per token otherwise); a normal page needs tokens x phrases, far below. */
#define MAX_MATCHES  1024
#define MAX_COMPARES (4u << 20)

struct hl_tokenizer {
	fts5_tokenizer api;
	Fts5Tokenizer *tok;
};

/* Tokens of one text: byte ranges in it and their folded forms, back to back in `fold`. */
struct tok {
	int start, end;   /* bytes of the text */
	size_t off, len;  /* its folded form: fold.ptr[off .. off + len) */
};

struct tokens {
	struct tok *v;
	size_t n, cap;
	struct buf fold;
};

struct phrase {
	struct tokens t;
	int prefix; /* the last token matches any token it starts */
};

struct hl_query {
	struct phrase ph[MAX_PHRASES];
	int n;
};

/* One match of a phrase: tokens first .. last. */
struct inst {
	size_t first, last;
	int phrase;
};

fts5_api *
fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	return sqlite3_finalize(s) == SQLITE_OK ? api : NULL;
}

int
hl_tokenizer_open(struct hl_tokenizer **out, sqlite3 *db, const char *name, const char *const *args, int nargs)
{
	fts5_api *api = fts5_api_of(db);
	void *ud = NULL;
	struct hl_tokenizer *t = xcalloc(1, sizeof(*t));
	*out = NULL;
	int rc = api ? SQLITE_OK : SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = api->xFindTokenizer(api, name, &ud, &t->api);
	if (rc == SQLITE_OK)
		rc = t->api.xCreate(ud, (const char **)args, nargs, &t->tok);
	if (rc != SQLITE_OK) {
		log_error("search: FTS5 tokenizer %s: %s", name, sqlite3_errstr(rc));
		free(t);
		return KN_EIO;
	}
	*out = t;
	return 0;
}

void
hl_tokenizer_close(struct hl_tokenizer *t)
{
	if (t) {
		t->api.xDelete(t->tok);
		free(t);
	}
}

static int
collect(void *ctx, int tflags, const char *token, int ntoken, int start, int end)
{
	struct tokens *ts = ctx;
	if (tflags & FTS5_TOKEN_COLOCATED) /* a synonym at the same place: not from unicode61 */
		return SQLITE_OK;
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 64;
		ts->v = xrealloc(ts->v, ts->cap * sizeof(*ts->v));
	}
	ts->v[ts->n++] = (struct tok){ start, end, ts->fold.len, (size_t)ntoken };
	buf_put(&ts->fold, token, (size_t)ntoken);
	return SQLITE_OK;
}

static int
tokenize(struct hl_tokenizer *t, int flags, const char *text, size_t n, struct tokens *out)
{
	if (n > (size_t)INT32_MAX)
		return KN_ETOOBIG;
	int rc = t->api.xTokenize(t->tok, out, flags, text, (int)n, collect);
	return rc == SQLITE_OK ? 0 : KN_EIO;
}

static void
tokens_free(struct tokens *ts)
{
	free(ts->v);
	buf_free(&ts->fold);
	memset(ts, 0, sizeof(*ts));
}

/* Is phrase `ph` (the next after q->n) one of the phrases before it, as the tokenizer folds
 * them ("Gateway" = "gateway" = "GATEWAY")? A repeated phrase marks nothing more and only
 * multiplies the matches to score. */
static int
seen_before(const struct hl_query *q, const struct phrase *ph)
{
	for (int i = 0; i < q->n; i++) {
		const struct phrase *o = &q->ph[i];
		if (o->prefix == ph->prefix && o->t.n == ph->t.n && o->t.fold.len == ph->t.fold.len &&
		    memcmp(o->t.fold.ptr, ph->t.fold.ptr, ph->t.fold.len) == 0) {
			size_t j = 0; /* the same bytes could still be cut into other tokens */
			while (j < ph->t.n && o->t.v[j].len == ph->t.v[j].len)
				j++;
			if (j == ph->t.n)
				return 1;
		}
	}
	return 0;
}

struct hl_query *
hl_query_new(struct hl_tokenizer *t, const char *match)
{
	struct hl_query *q = xcalloc(1, sizeof(*q));
	struct buf s = BUF_INIT;
	const char *p = match ? match : "";
	while (*p && q->n < MAX_PHRASES) {
		if (*p != '"') {
			p++;
			continue;
		}
		buf_reset(&s);
		for (p++; *p; p++) {
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				break;
			buf_putc(&s, *p);
		}
		if (*p == '"')
			p++;
		struct phrase *ph = &q->ph[q->n];
		ph->prefix = *p == '*';
		int flags = FTS5_TOKENIZE_QUERY | (ph->prefix ? FTS5_TOKENIZE_PREFIX : 0);
		if (tokenize(t, flags, s.ptr ? s.ptr : "", s.len, &ph->t) == 0 && ph->t.n > 0 && !seen_before(q, ph))
			q->n++;
		else
			tokens_free(&ph->t);
	}
	buf_free(&s);
	if (q->n == 0) {
		free(q);
		return NULL;
	}
	return q;
}

void
hl_query_free(struct hl_query *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->n; i++)
		tokens_free(&q->ph[i].t);
	free(q);
}

static int
token_matches(const struct tokens *d, size_t i, const struct phrase *ph, size_t j)
{
	const struct tok *a = &d->v[i], *b = &ph->t.v[j];
	int prefix = ph->prefix && j + 1 == ph->t.n;
	if (prefix ? a->len < b->len : a->len != b->len)
		return 0;
	return memcmp(d->fold.ptr + a->off, ph->t.fold.ptr + b->off, b->len) == 0;
}

/* The matches of every phrase, by first token (then phrase): all of them, or the first
 * MAX_MATCHES, or those found within MAX_COMPARES token comparisons. */
static size_t
find_instances(const struct tokens *d, const struct hl_query *q, struct inst **out)
{
	struct inst *v = NULL;
	size_t n = 0, cap = 0, work = 0;
	for (size_t i = 0; i < d->n && n < MAX_MATCHES && work < MAX_COMPARES; i++) {
		for (int p = 0; p < q->n && n < MAX_MATCHES; p++) {
			const struct phrase *ph = &q->ph[p];
			size_t j = 0;
			while (j < ph->t.n && i + j < d->n && token_matches(d, i + j, ph, j))
				j++;
			work += j + 1;
			if (j < ph->t.n)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct inst){ i, i + ph->t.n - 1, p };
		}
	}
	*out = v;
	return n;
}

/* Append tokens from .. to (inclusive) of `text` with their matches marked; `lead` and
 * `trail` add the text before the first and after the last token. */
static void
emit(struct buf *out, const char *text, size_t n, const struct tokens *d, const struct inst *in, size_t nin,
     size_t from, size_t to, int lead, int trail)
{
	size_t at = lead ? 0 : (size_t)d->v[from].start;
	size_t stop = trail ? n : (size_t)d->v[to].end;
	for (size_t k = 0; k < nin; k++) {
		if (in[k].last < from || in[k].first > to)
			continue;
		size_t first = in[k].first < from ? from : in[k].first, last = in[k].last;
		while (k + 1 < nin && in[k + 1].first <= last) /* overlapping matches: one mark */
			if (in[++k].last > last)
				last = in[k].last;
		if (last > to)
			last = to;
		size_t s = (size_t)d->v[first].start, e = (size_t)d->v[last].end;
		if (s < at) /* cannot happen with ordered instances; never emit twice */
			continue;
		buf_put(out, text + at, s - at);
		buf_putc(out, SNIPPET_MARK_OPEN);
		buf_put(out, text + s, e - s);
		buf_putc(out, SNIPPET_MARK_CLOSE);
		at = e;
	}
	if (stop > at)
		buf_put(out, text + at, stop - at);
}

int
hl_highlight(struct buf *out, struct hl_tokenizer *t, const struct hl_query *q, const char *text, size_t n)
{
	struct tokens d = { 0 };
	struct inst *in = NULL;
	int rc = q ? tokenize(t, FTS5_TOKENIZE_DOCUMENT, text, n, &d) : 0;
	if (rc == 0 && d.n > 0) {
		size_t nin = find_instances(&d, q, &in);
		emit(out, text, n, &d, in, nin, 0, d.n - 1, 1, 1);
	} else if (rc == 0) {
		buf_put(out, text, n);
	}
	free(in);
	tokens_free(&d);
	return rc;
}

/* Does a sentence start at token i: the first token, or one after . ! ? : or a line end. */
static int
sentence_start(const char *text, const struct tokens *d, size_t i)
{
	if (i == 0)
		return 1;
	for (int b = d->v[i - 1].end; b < d->v[i].start; b++)
		if (strchr(".!?:\n", text[b]))
			return 1;
	return 0;
}

/* The first of the matches (ordered by first token) that starts at or after token `start`. */
static size_t
first_from(const struct inst *in, size_t nin, size_t start)
{
	size_t lo = 0, hi = nin;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (in[mid].first < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The score of the window of `len` tokens at `start`: 1000 for each phrase matched in it,
 * 1 for each further match. With `adjusted`, the window is moved so that its matches sit
 * in the middle. Only the matches that start inside the window are looked at (found by
 * binary search): the cost is that of the window, not of the whole text. */
static long
window_score(const struct inst *in, size_t nin, size_t ntok, size_t start, size_t len, int nphrase,
	     size_t *adjusted)
{
	unsigned char seen[MAX_PHRASES] = { 0 };
	long score = 0;
	size_t first = SIZE_MAX, last = 0;
	for (size_t k = first_from(in, nin, start); k < nin && in[k].first < start + len; k++) {
		if (in[k].last >= start + len || in[k].phrase >= nphrase)
			continue;
		score += seen[in[k].phrase] ? 1 : 1000;
		seen[in[k].phrase] = 1;
		if (first == SIZE_MAX)
			first = in[k].first;
		if (in[k].last > last)
			last = in[k].last;
	}
	if (adjusted) {
		size_t s = start;
		if (first != SIZE_MAX) {
			size_t span = last - first + 1;
			s = first > (len - span) / 2 ? first - (len - span) / 2 : 0;
		}
		if (s + len > ntok)
			s = ntok - len;
		*adjusted = s;
	}
	return score;
}

int
hl_snippet(struct buf *out, struct hl_tokenizer *t, const struct hl_query *q, const char *text, size_t n,
	   int ntokens, const char *ellipsis)
{
	struct tokens d = { 0 };
	struct inst *in = NULL;
	/* A snippet is looked for in the first SNIPPET_SCAN bytes only (cut on a character):
	 * a 3 MiB page among the results must not cost 30 ms of tokenizing. */
	size_t scan = n;
	if (scan > SNIPPET_SCAN)
		for (scan = SNIPPET_SCAN; scan > 0 && ((unsigned char)text[scan] & 0xc0) == 0x80; scan--)
			;
	int rc = q ? tokenize(t, FTS5_TOKENIZE_DOCUMENT, text, scan, &d) : 0;
	size_t len = ntokens > 0 ? (size_t)ntokens : 1;
	if (rc != 0 || d.n == 0) {
		if (rc == 0)
			buf_put(out, text, scan);
		if (rc == 0 && scan < n)
			buf_puts(out, ellipsis);
		tokens_free(&d);
		return rc;
	}
	size_t nin = find_instances(&d, q, &in);
	if (d.n <= len) {
		emit(out, text, scan, &d, in, nin, 0, d.n - 1, 1, 1);
		if (scan < n)
			buf_puts(out, ellipsis);
	} else {
		size_t best = 0, last_sentence = 0;
		long best_score = -1;
		size_t k = 0;
		/* Candidates: a window around each token where a match starts, and one from the
		 * start of its sentence (preferred: a snippet that starts a sentence reads better).
		 * Several phrases starting at one token make one candidate, not one each: the
		 * same window scores the same. */
		for (size_t i = 0; i < d.n && k < nin; i++) {
			if (sentence_start(text, &d, i))
				last_sentence = i;
			if (in[k].first != i)
				continue;
			while (k < nin && in[k].first == i)
				k++;
			size_t adj;
			long sc = window_score(in, nin, d.n, i, len, q->n, &adj);
			if (sc > best_score) {
				best_score = sc;
				best = adj;
			}
			if (last_sentence < i && i - last_sentence < len) {
				sc = window_score(in, nin, d.n, last_sentence, len, q->n, NULL) +
				     (last_sentence == 0 ? 120 : 100);
				if (sc > best_score) {
					best_score = sc;
					best = last_sentence;
				}
			}
		}
		size_t end = best + len - 1 < d.n - 1 ? best + len - 1 : d.n - 1;
		if (best > 0)
			buf_puts(out, ellipsis);
		emit(out, text, scan, &d, in, nin, best, end, best == 0, end == d.n - 1);
		if (end < d.n - 1 || scan < n)
			buf_puts(out, ellipsis);
	}
	free(in);
	tokens_free(&d);
	return 0;
}
