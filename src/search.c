/* search.c: searching the index: bm25 ranking, filters and facets, results with snippets, shared caches
 * (the query language is search_query.c). */
#include "search.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "index_db.h"
#include "page.h"
#include "snippet.h"

#define SNIPPET_TOKENS   28  /* words in a result's snippet */
#define SNIPPET_FALLBACK 200 /* bytes of text shown when it cannot be tokenized */

static const char q_ranked_ids[] = "SELECT rowid, kennis_rank(fts, 10.0, 1.0, 1.0, 1.0) FROM fts WHERE fts MATCH ?1";
/* The text of a result shown, to highlight and cut a snippet from (snippet.c). \x01 and
 * \x02 never occur in indexed text (see html_text in index.c). */
static const char q_hit[] =
	"SELECT p.name, p.title, f.title, f.body, p.customer, p.updated_author, p.updated_time,"
	" p.updated_offset, (SELECT name FROM spaces WHERE id = p.space) FROM pages p JOIN fts f ON f.rowid = p.id"
	" WHERE p.id = ?1";
/* Both ordered by page id, scanning pages in rowid order (no sort). The fourth column: is
 * this the customer's own page (its title is the customer, or it is Customers/<name>.md)?
 * Its spelling of the customer is the one shown (to those who may read its space). */
static const char q_facet_pages[] =
	"SELECT id, customer, space, customer <> '' AND (title = customer COLLATE NOCASE OR"
	" path = 'Customers/' || replace(customer, ' ', '-') || '.md' COLLATE NOCASE)"
	" FROM pages WHERE hidden = 0 ORDER BY id";
/* by page id, from the covering indexes (hidden pages have no facet entry: skipped) */
static const char q_facet_tags[] = "SELECT page_id, tag FROM tags ORDER BY page_id";
static const char q_facet_depts[] = "SELECT page_id, dept FROM departments ORDER BY page_id";
/* FTS5's own table of row lengths in tokens: a varint per column (see rank_row). */
static const char q_facet_sizes[] = "SELECT id, sz FROM fts_docsize ORDER BY id";

/* --- filters and facets ------------------------------------------------------------------
 * Counting customers, tags and departments over thousands of matches in SQL (joins, GROUP
 * BY) costs tens of milliseconds; instead the server keeps every page's values as small
 * integers, loaded once per indexed commit and shared by all threads, and counts in C. */

/* One spelling of a value (its ASCII case) in one space, with the pages there that use it.
 * Which spelling is shown is decided per search, among the spaces the viewer may read
 * (vocab_shown): a spelling that only a confidential space uses is never shown to anyone
 * outside it. */
struct spelling {
	char *s;
	uint32_t value, space, pages, own; /* own: customer's own pages using it */
	uint32_t next; /* while loading: index + 1 of the value's next spelling, 0 none */
};

/* The distinct values of one kind, compared without ASCII case (like SQLite's NOCASE). */
struct vocab {
	char **v;       /* each value as first seen: its key for lookups, never shown as such */
	size_t n;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslot;
	struct spelling *sp; /* once loaded: by value, then spelling, then space */
	size_t nsp, capsp;
	uint32_t *first;     /* once loaded: value i's spellings are sp[first[i] .. first[i + 1]);
			      * while loading, the head of its list (index + 1) */
};

struct fpage {
	sqlite3_int64 id;
	uint32_t space; /* spaces.id */
	uint32_t first[SF_KINDS], count[SF_KINDS]; /* its values: vals[kind][first ..] */
	uint32_t ntok; /* tokens in all its full-text columns; NTOK_UNKNOWN: ask FTS5 */
	uint32_t ntitle; /* tokens in its title (valid when ntok is) */
	int own;         /* the customer's own page (q_facet_pages) */
};

/* The full-text table's columns (index_db.c). */
enum { COL_TITLE, COL_BODY, COL_CUSTOMER, COL_META, FTS_COLUMNS };

#define NTOK_UNKNOWN UINT32_MAX

struct facets {
	char gen[24];
	unsigned refs; /* holders; page_data.current is one */
	struct fpage *page; /* by id */
	size_t npage, cappage;
	uint32_t *at; /* at[id] = index in page + 1, 0 for none; NULL: ids too sparse */
	size_t nat;
	uint32_t *vals[SF_KINDS];
	size_t nvals[SF_KINDS], capvals[SF_KINDS];
	struct vocab vocab[SF_KINDS];
};

static uint32_t
fold_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h;
}

static void
vocab_rehash(struct vocab *vo)
{
	free(vo->slot);
	vo->nslot = vo->nslot ? vo->nslot * 2 : 64;
	vo->slot = xcalloc(vo->nslot, sizeof(uint32_t));
	for (size_t k = 0; k < vo->n; k++) {
		size_t i = fold_hash(vo->v[k]) & (vo->nslot - 1);
		while (vo->slot[i])
			i = (i + 1) & (vo->nslot - 1);
		vo->slot[i] = (uint32_t)k + 1;
	}
}

/* Index of value `s` (adding it when `add`); UINT32_MAX when absent. */
static uint32_t
vocab_find(struct vocab *vo, const char *s, int add)
{
	if (add && (vo->n + 1) * 2 > vo->nslot) {
		size_t cap = vo->nslot ? vo->nslot : 64;
		vo->v = xrealloc(vo->v, cap * sizeof(char *));
		vo->first = xrealloc(vo->first, (cap + 1) * sizeof(uint32_t));
		vocab_rehash(vo);
	}
	if (!vo->nslot)
		return UINT32_MAX;
	for (size_t i = fold_hash(s) & (vo->nslot - 1);; i = (i + 1) & (vo->nslot - 1)) {
		uint32_t k = vo->slot[i];
		if (k && strcasecmp(vo->v[k - 1], s) == 0)
			return k - 1;
		if (!k && !add)
			return UINT32_MAX;
		if (!k) {
			vo->v[vo->n] = xstrdup(s);
			vo->first[vo->n] = 0;
			vo->slot[i] = (uint32_t)++vo->n;
			return (uint32_t)vo->n - 1;
		}
	}
}

/* While loading: a page of space `space` spells value `idx` as `s` (`own`: the customer's
 * own page). */
static void
vocab_count(struct vocab *vo, uint32_t idx, const char *s, uint32_t space, int own)
{
	uint32_t *at = &vo->first[idx];
	while (*at && (vo->sp[*at - 1].space != space || strcmp(vo->sp[*at - 1].s, s) != 0))
		at = &vo->sp[*at - 1].next;
	if (!*at) {
		if (vo->nsp == vo->capsp) {
			vo->capsp = vo->capsp ? 2 * vo->capsp : 64;
			vo->sp = xrealloc(vo->sp, vo->capsp * sizeof(*vo->sp));
		}
		vo->sp[vo->nsp] = (struct spelling){ xstrdup(s), idx, space, 0, 0, 0 };
		*at = (uint32_t)++vo->nsp;
	}
	vo->sp[*at - 1].pages++;
	vo->sp[*at - 1].own += own != 0;
}

static int
cmp_spelling(const void *x, const void *y)
{
	const struct spelling *a = x, *b = y;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	int c = strcmp(a->s, b->s);
	if (c)
		return c;
	return a->space < b->space ? -1 : a->space > b->space;
}

/* After loading: the spellings in order, each value's together (vocab.first). */
static void
vocab_settle(struct vocab *vo)
{
	if (vo->nsp)
		qsort(vo->sp, vo->nsp, sizeof(*vo->sp), cmp_spelling);
	vo->first = xrealloc(vo->first, (vo->n + 1) * sizeof(uint32_t));
	size_t j = 0;
	for (size_t i = 0; i <= vo->n; i++) {
		while (j < vo->nsp && vo->sp[j].value < i)
			j++;
		vo->first[i] = (uint32_t)j;
	}
}

/* Is spelling (pages, own, s) shown before (pages2, own2, s2)? The customer's own page's,
 * then the one most pages use, then the first by bytes (capitals first). */
static int
spelling_wins(uint32_t pages, uint32_t own, const char *s, uint32_t pages2, uint32_t own2, const char *s2)
{
	if ((own > 0) != (own2 > 0))
		return own > 0;
	if (pages != pages2)
		return pages > pages2;
	return strcmp(s, s2) < 0;
}

/* Value `idx` as the pages of the spaces in `readable` (by spaces.id, n entries) spell it,
 * by the rule above counted over those pages only; NULL when none of them has it. Linear
 * in the value's spellings: those of one spelling are next to each other. */
static const char *
vocab_shown(const struct vocab *vo, uint32_t idx, const unsigned char *readable, size_t n)
{
	const char *best = NULL;
	uint32_t bpages = 0, bown = 0;
	if (idx >= vo->n)
		return NULL;
	for (uint32_t j = vo->first[idx], end = vo->first[idx + 1]; j < end;) {
		const char *s = vo->sp[j].s;
		uint32_t pages = 0, own = 0;
		for (; j < end && strcmp(vo->sp[j].s, s) == 0; j++) {
			if (vo->sp[j].space < n && readable[vo->sp[j].space]) {
				pages += vo->sp[j].pages;
				own += vo->sp[j].own;
			}
		}
		if (pages && (!best || spelling_wins(pages, own, s, bpages, bown, best))) {
			best = s;
			bpages = pages;
			bown = own;
		}
	}
	return best;
}

static void
facets_clear(struct facets *fc)
{
	for (int k = 0; k < SF_KINDS; k++) {
		for (size_t i = 0; i < fc->vocab[k].n; i++)
			free(fc->vocab[k].v[i]);
		free(fc->vocab[k].v);
		free(fc->vocab[k].slot);
		for (size_t i = 0; i < fc->vocab[k].nsp; i++)
			free(fc->vocab[k].sp[i].s);
		free(fc->vocab[k].sp);
		free(fc->vocab[k].first);
		free(fc->vals[k]);
	}
	free(fc->page);
	free(fc->at);
	memset(fc, 0, sizeof(*fc));
}

static void
facets_free(struct facets *fc)
{
	if (fc)
		facets_clear(fc);
	free(fc);
}

/* Add value `v` of kind `k` to page `p` (the last page added to its kind's list); `own`:
 * the page is the customer's own. */
static void
fpage_add(struct facets *fc, struct fpage *p, int k, const char *v, int own)
{
	uint32_t idx = vocab_find(&fc->vocab[k], v, 1);
	if (p->count[k] == 0)
		p->first[k] = (uint32_t)fc->nvals[k];
	for (uint32_t i = 0; i < p->count[k]; i++)
		if (fc->vals[k][p->first[k] + i] == idx)
			return; /* "Sales" and "sales" on one page */
	vocab_count(&fc->vocab[k], idx, v, p->space, own);
	if (fc->nvals[k] == fc->capvals[k]) {
		fc->capvals[k] = fc->capvals[k] ? fc->capvals[k] * 2 : 1024;
		fc->vals[k] = xrealloc(fc->vals[k], fc->capvals[k] * sizeof(uint32_t));
	}
	fc->vals[k][fc->nvals[k]++] = idx;
	p->count[k]++;
}

/* The tokens of a row from its fts_docsize blob: one SQLite varint per column (title,
 * body, customer, meta), and of its title into *title. Anything else: NTOK_UNKNOWN, and
 * the ranking asks FTS5. */
static uint32_t
docsize_tokens(const unsigned char *p, int n, uint32_t *title)
{
	uint64_t total = 0;
	int cols = 0;
	for (int i = 0; i < n; cols++) {
		uint64_t v = 0;
		int k = 0;
		for (;; k++) {
			if (i >= n)
				return NTOK_UNKNOWN;
			unsigned char c = p[i++];
			if (k == 8) {
				v = (v << 8) | c;
				break;
			}
			v = (v << 7) | (c & 0x7f);
			if (!(c & 0x80))
				break;
		}
		if (cols == COL_TITLE)
			*title = v < NTOK_UNKNOWN ? (uint32_t)v : NTOK_UNKNOWN;
		total += v;
	}
	return cols == FTS_COLUMNS && total < NTOK_UNKNOWN ? (uint32_t)total : NTOK_UNKNOWN;
}

/* Load the values of every page (the caller holds a read transaction at generation `gen`). */
static int
facets_load(struct index *ix, struct facets *fc, const char *gen)
{
	static const char *const lists[] = { q_facet_tags, q_facet_depts };
	static const int kinds[] = { SF_TAG, SF_DEPT };
	sqlite3_stmt *s = index_stmt(ix, q_facet_pages);
	int rc;
	facets_clear(fc);
	if (!s)
		return KN_EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fc->npage == fc->cappage) {
			fc->cappage = fc->cappage ? fc->cappage * 2 : 1024;
			fc->page = xrealloc(fc->page, fc->cappage * sizeof(*fc->page));
		}
		struct fpage *p = &fc->page[fc->npage++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->space = (uint32_t)sqlite3_column_int64(s, 2);
		p->ntok = NTOK_UNKNOWN;
		const char *cust = (const char *)sqlite3_column_text(s, 1);
		p->own = sqlite3_column_int(s, 3) != 0;
		if (cust && *cust)
			fpage_add(fc, p, SF_CUSTOMER, cust, p->own);
	}
	sqlite3_reset(s);
	for (size_t l = 0; rc == SQLITE_DONE && l < 2; l++) {
		size_t j = 0;
		if (!(s = index_stmt(ix, lists[l])))
			return KN_EIO;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(s, 0);
			while (j < fc->npage && fc->page[j].id < id)
				j++;
			if (j < fc->npage && fc->page[j].id == id)
				fpage_add(fc, &fc->page[j], kinds[l], (const char *)sqlite3_column_text(s, 1), 0);
		}
		sqlite3_reset(s);
	}
	if (rc == SQLITE_DONE && (s = index_stmt(ix, q_facet_sizes))) {
		size_t j = 0;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(s, 0);
			while (j < fc->npage && fc->page[j].id < id)
				j++;
			if (j < fc->npage && fc->page[j].id == id)
				fc->page[j].ntok = docsize_tokens(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1),
								  &fc->page[j].ntitle);
		}
		sqlite3_reset(s);
	}
	if (rc != SQLITE_DONE) {
		facets_clear(fc);
		return index_sql_fail(ix, rc, "load page data");
	}
	for (int k = 0; k < SF_KINDS; k++)
		vocab_settle(&fc->vocab[k]);
	/* Ids grow as pages change (a changed page is indexed anew): a direct table while they
	 * are dense enough, else fpage_find searches. */
	sqlite3_int64 maxid = fc->npage ? fc->page[fc->npage - 1].id : 0;
	if (maxid >= 0 && (uint64_t)maxid < 16 * (uint64_t)fc->npage + 65536) {
		fc->nat = (size_t)maxid + 1;
		fc->at = xcalloc(fc->nat, sizeof(*fc->at));
		for (size_t i = 0; i < fc->npage; i++)
			if (fc->page[i].id >= 0)
				fc->at[fc->page[i].id] = (uint32_t)i + 1;
	}
	snprintf(fc->gen, sizeof(fc->gen), "%s", gen);
	return 0;
}

/* The newest page data loaded, shared by all threads: immutable once loaded, reference
 * counted. One load per change of the wiki for the whole server, not one per thread. */
static struct {
	pthread_mutex_t mu;
	struct facets *current; /* the newest loaded (held), or NULL */
} page_data = { PTHREAD_MUTEX_INITIALIZER, NULL };

static void
facets_release(struct facets *fc)
{
	if (!fc)
		return;
	pthread_mutex_lock(&page_data.mu);
	int last = --fc->refs == 0;
	pthread_mutex_unlock(&page_data.mu);
	if (last)
		facets_free(fc);
}

/* The page data of the current generation (inside the caller's read transaction), held:
 * facets_release it. */
static int
facets_current(struct index *ix, struct facets **out)
{
	struct buf gen = BUF_INIT;
	struct facets *fc = NULL;
	int rc = index_meta_get(ix, "generation", &gen);
	if (rc == KN_ENOTFOUND)
		rc = 0;
	*out = NULL;
	if (rc < 0)
		goto done;
	pthread_mutex_lock(&page_data.mu);
	if (page_data.current && strcmp(page_data.current->gen, buf_cstr(&gen)) == 0) {
		fc = page_data.current;
		fc->refs++;
	}
	pthread_mutex_unlock(&page_data.mu);
	if (!fc) {
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fc = xcalloc(1, sizeof(*fc));
		if ((rc = facets_load(ix, fc, buf_cstr(&gen))) < 0) {
			facets_free(fc);
			goto done;
		}
		fc->refs = 1;
		log_info("index: page data of %zu pages loaded for search in %.1f ms", fc->npage, index_ms_since(&t0));
		struct facets *old = NULL;
		pthread_mutex_lock(&page_data.mu);
		old = page_data.current;
		page_data.current = fc;
		fc->refs++;
		pthread_mutex_unlock(&page_data.mu);
		facets_release(old);
	}
	*out = fc;
done:
	buf_free(&gen);
	return rc;
}

static struct fpage *
fpage_find(struct facets *fc, sqlite3_int64 id)
{
	if (fc->at)
		return id >= 0 && (uint64_t)id < fc->nat && fc->at[id] ? &fc->page[fc->at[id] - 1] : NULL;
	size_t lo = 0, hi = fc->npage;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fc->page[mid].id == id)
			return &fc->page[mid];
		if (fc->page[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- this connection's state -------------------------------------------------------------
 * kennis_rank is registered with each connection, and a tokenizer like the full-text
 * table's is kept for the results shown. Both are made at the first search on a connection
 * and go with it: SQLite calls search_conn_free when the connection closes. */

struct search_conn {
	struct facets *facets;   /* page data of the search under way (held), or NULL: kennis_rank
				  * takes row lengths from it */
	struct hl_tokenizer *hl; /* the full-text table's tokenizer, for the results shown */
	uint64_t rank_work;      /* kennis_rank's work in the ranking under way (RANK_WORK_MAX) */
	sqlite3_int64 rank_rows; /* at most this many rows can match it (its rarest phrase) */
};

static void rank_row(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
		     sqlite3_value **val);

static void
search_conn_free(void *p)
{
	struct search_conn *sc = p;
	hl_tokenizer_close(sc->hl);
	free(sc);
}

/* This connection's state, made on first use. */
static int
search_conn(struct index *ix, struct search_conn **out)
{
	/* The same tokenizer as the table's: 'unicode61 remove_diacritics 2' (index_db.c). */
	static const char *const args[] = { "remove_diacritics", "2" };
	struct search_conn *sc = ix->search;
	if (sc) {
		*out = sc;
		return 0;
	}
	sc = xcalloc(1, sizeof(*sc));
	int rc = hl_tokenizer_open(&sc->hl, ix->db, "unicode61", args, 2);
	fts5_api *api = rc < 0 ? NULL : fts5_api_of(ix->db);
	rc = api ? api->xCreateFunction(api, "kennis_rank", sc, rank_row, search_conn_free) : SQLITE_ERROR;
	if (rc != SQLITE_OK) { /* SQLite took nothing */
		search_conn_free(sc);
		return index_sql_fail(ix, rc, "register kennis_rank");
	}
	ix->search = *out = sc;
	return 0;
}

/* --- ranking --------------------------------------------------------------------------- *
 * kennis_rank(fts, w0, w1 ...) is FTS5's bm25(fts, w0, w1 ...), the same formula and the
 * same numbers (a unit test compares the two), computed with the row lengths the server
 * holds with its page data for filters and facets. FTS5's bm25 looks each matching row's
 * length up in fts_docsize, a B-tree search per row: more than half of its cost. Measured on the 10,000
 * page corpus, "customer" (every page): ORDER BY rank 22.9 ms; bm25() unsorted 15.5 ms;
 * kennis_rank 3.4 ms, and sorting 10,000 (score, id) pairs in C under 1 ms. */

#define BM25_K1 1.2
#define BM25_B  0.75

/* A page whose title or customer holds every phrase of the query outranks every page that
 * only mentions them (issue 13: the customer's own page came third behind pages about it).
 * kennis_rank adds a tier far above any bm25 score (at most about 25 per phrase, 32
 * phrases), so bm25 orders the pages within a tier:
 *   3  the title is the query (every phrase in it, and no other word: "Globex"), or the
 *      customer's own page (its title is its customer, or it is Customers/<name>.md) with
 *      every phrase in its title or customer ("acme" finds Acme Corp's own page first)
 *   2  every phrase is in the title ("Globex Call Notes")
 *   1  every phrase is in the title or the customer (pages of customer Globex)
 *   0  the rest */
#define RANK_TIER 1e6

struct rank_query {
	int nphrase, ncol;
	double avgdl;
	double *idf, *freq, *weight;
	int *size;      /* words of each phrase */
	uint32_t words; /* of all phrases: a title of that many tokens holding them all is the query */
};

/* --- the work budget of a ranking -------------------------------------------------------
 * Scoring a match costs FTS5 (finding the phrase, then handing its positions to
 * kennis_rank) about as much as the phrase has positions times words. Pages of one word
 * repeated make that huge (a 200 KB page of "www.a.com ": 20,000 positions of each word),
 * and a query of up to SEARCH_MAX_WORDS words multiplies it. So kennis_rank counts it per
 * row (positions x words of each phrase, and 1 per phrase), and a ranking stops once the
 * count passes RANK_WORK_MAX: it then holds the matches scored so far (the oldest pages
 * first, as FTS5 returns them) and says so. 2M is about 30 ms of such pages; a normal
 * page costs a few units per phrase, so a word on every page of a 100,000-page wiki
 * (about 1M) is scored in full. The phrases' idf pass (rank_query_new) counts too. */
#define RANK_WORK_MAX (2u << 20)

static void
rank_count_work(struct search_conn *sc, uint64_t positions, int words)
{
	sc->rank_work += positions * (uint64_t)(words > 0 ? words : 1) + 1;
}

static int
rank_over_budget(const struct search_conn *sc)
{
	return sc->rank_work > RANK_WORK_MAX;
}

/* One phrase's rows, for its idf. */
struct phrase_rows {
	struct search_conn *sc;
	sqlite3_int64 n;
	int words;
};

/* A row of the phrase (xQueryPhrase). Finding a phrase of several words costs FTS5 its
 * positions times words in each row, as in the ranking: counted the same way, and the
 * count stops (SQLITE_DONE) once the ranking's budget is spent. */
static int
count_hit(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	struct phrase_rows *pr = arg;
	uint64_t positions = 0;
	pr->n++;
	if (pr->words > 1) {
		Fts5PhraseIter it;
		int col, off;
		if (api->xPhraseFirst(fts, 0, &it, &col, &off) == SQLITE_OK)
			for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
				positions++;
	}
	rank_count_work(pr->sc, positions, pr->words);
	return rank_over_budget(pr->sc) ? SQLITE_DONE : SQLITE_OK;
}

static void
rank_query_free(void *p)
{
	struct rank_query *rq = p;
	if (rq) {
		free(rq->idf);
		free(rq->size);
		free(rq);
	}
}

/* The per-query part of bm25: average row length and each phrase's idf, from the number of
 * rows that contain it (one pass over its document list). */
static struct rank_query *
rank_query_new(const Fts5ExtensionApi *api, Fts5Context *fts, int nval, sqlite3_value **val, int *rc)
{
	struct rank_query *rq = xcalloc(1, sizeof(*rq));
	sqlite3_int64 nrow = 0, ntok = 0;
	struct search_conn *sc = api->xUserData(fts);
	sc->rank_work = 0; /* a new query: a new budget */
	sc->rank_rows = INT64_MAX;
	rq->nphrase = api->xPhraseCount(fts);
	rq->ncol = api->xColumnCount(fts);
	rq->idf = xcalloc((size_t)(2 * rq->nphrase + rq->ncol) + 1, sizeof(double));
	rq->freq = rq->idf + rq->nphrase;
	rq->weight = rq->freq + rq->nphrase;
	rq->size = xcalloc((size_t)rq->nphrase + 1, sizeof(int));
	for (int i = 0; i < rq->nphrase; i++) {
		rq->size[i] = api->xPhraseSize(fts, i);
		rq->words += (uint32_t)rq->size[i];
	}
	for (int c = 0; c < rq->ncol; c++)
		rq->weight[c] = c < nval ? sqlite3_value_double(val[c]) : 1.0;
	if ((*rc = api->xRowCount(fts, &nrow)) == SQLITE_OK)
		*rc = api->xColumnTotalSize(fts, -1, &ntok);
	rq->avgdl = nrow > 0 ? (double)ntok / (double)nrow : 1.0;
	if (rq->avgdl <= 0)
		rq->avgdl = 1.0;
	for (int i = 0; *rc == SQLITE_OK && i < rq->nphrase; i++) {
		struct phrase_rows pr = { sc, 0, rq->size[i] };
		*rc = api->xQueryPhrase(fts, i, &pr, count_hit);
		sqlite3_int64 nhit = pr.n;
		if (!rank_over_budget(sc) && nhit < sc->rank_rows)
			sc->rank_rows = nhit; /* counted in full */
		double idf = log(((double)nrow - (double)nhit + 0.5) / ((double)nhit + 0.5));
		rq->idf[i] = idf > 0 ? idf : 1e-6;
	}
	return rq;
}

static void
rank_row(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	struct search_conn *sc = api->xUserData(fts);
	struct rank_query *rq = api->xGetAuxdata(fts, 0);
	int rc = SQLITE_OK;
	if (!rq) {
		rq = rank_query_new(api, fts, nval, val, &rc);
		if (rc == SQLITE_OK)
			rc = api->xSetAuxdata(fts, rq, rank_query_free); /* frees rq on failure */
		else
			rank_query_free(rq);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	/* bit 0 of title_all: every phrase so far is in the title; of named_all: in the title
	 * or the customer (a phrase's columns as bits: COL_TITLE 1, COL_CUSTOMER 4) */
	unsigned title_all = 1, named_all = 1;
	for (int i = 0; i < rq->nphrase; i++) {
		Fts5PhraseIter it;
		int col, off;
		unsigned cols = 0;
		double f = 0;
		uint64_t hits = 0;
		if ((rc = api->xPhraseFirst(fts, i, &it, &col, &off)) != SQLITE_OK)
			break;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off), hits++) {
			f += col < rq->ncol ? rq->weight[col] : 1.0;
			cols |= 1u << (col & 31);
		}
		rq->freq[i] = f;
		title_all &= cols;
		named_all &= cols | cols >> COL_CUSTOMER;
		rank_count_work(sc, hits, rq->size[i]);
	}
	title_all &= 1;
	named_all &= 1;
	uint32_t ntok = NTOK_UNKNOWN, ntitle = NTOK_UNKNOWN;
	int own = 0;
	if (sc->facets) {
		struct fpage *p = fpage_find(sc->facets, api->xRowid(fts));
		own = p && p->own;
		if (p && p->ntok != NTOK_UNKNOWN) {
			ntok = p->ntok;
			ntitle = p->ntitle;
		}
	}
	if (rc == SQLITE_OK && ntok == NTOK_UNKNOWN) {
		int n = 0;
		rc = api->xColumnSize(fts, -1, &n);
		ntok = (uint32_t)(n > 0 ? n : 0);
		if (rc == SQLITE_OK && title_all && (rc = api->xColumnSize(fts, COL_TITLE, &n)) == SQLITE_OK)
			ntitle = (uint32_t)(n > 0 ? n : 0);
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	double score = 0, norm = BM25_K1 * (1 - BM25_B + BM25_B * (double)ntok / rq->avgdl);
	for (int i = 0; i < rq->nphrase; i++)
		score += rq->idf[i] * ((rq->freq[i] * (BM25_K1 + 1.0)) / (rq->freq[i] + norm));
	int tier = !named_all ? 0 : (title_all && ntitle == rq->words) || own ? 3 : title_all ? 2 : 1;
	sqlite3_result_double(ctx, -(score + tier * RANK_TIER));
}

struct scored {
	double score;
	sqlite3_int64 id;
};

static int
cmp_scored(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* --- rankings, shared by all threads ------------------------------------------------------
 * The scores of every match of one MATCH expression at one index generation: the next
 * results page, a facet link, or the same search by someone else reuse them. Kept
 * unsorted (in id order, as FTS5 returns them); each search picks its best with
 * select_best. The scores never change once made; the results shown so far (with their
 * snippets, the other costly part) are added as they are fetched. Reference counted, at
 * most --search-cache-mb in all (0: nothing is kept; every search scores anew). */

#define RANK_CACHE_SLOTS 256
#define MEMO_MAX         200 /* results remembered per ranking: the first 10 pages */

/* One result as shown (search_hit's strings in one allocation). */
struct memo_hit {
	sqlite3_int64 id;
	struct search_hit h;
	char *strings;
};

struct ranking {
	char *match;
	char gen[24];
	struct scored *hit;
	size_t n;
	size_t bytes;
	unsigned refs;      /* holders, the cache being one */
	unsigned long used; /* for LRU eviction */
	struct memo_hit *memo; /* results shown so far, with their snippets (under rankings.mu) */
	size_t nmemo;
	int cached; /* in rankings.slot, its bytes counted in rankings.bytes */
	int partial; /* stopped at RANK_WORK_MAX: the matches scored until then */
};

static struct {
	pthread_mutex_t mu;                      /* over all of this and the rankings' memos */
	struct ranking *slot[RANK_CACHE_SLOTS]; /* held */
	size_t bytes, budget;                    /* of the rankings held; at most */
	unsigned long ticks;                     /* for least-recently-used eviction */
} rankings = { .mu = PTHREAD_MUTEX_INITIALIZER, .budget = 32u << 20 };

void
search_configure_cache(size_t bytes)
{
	pthread_mutex_lock(&rankings.mu);
	rankings.budget = bytes;
	pthread_mutex_unlock(&rankings.mu);
}

static void
ranking_unref_locked(struct ranking *r)
{
	if (r && --r->refs == 0) {
		for (size_t i = 0; i < r->nmemo; i++)
			free(r->memo[i].strings);
		free(r->memo);
		free(r->match);
		free(r->hit);
		free(r);
	}
}

static void
ranking_release(struct ranking *r)
{
	pthread_mutex_lock(&rankings.mu);
	ranking_unref_locked(r);
	pthread_mutex_unlock(&rankings.mu);
}

static void
rank_evict_locked(size_t i)
{
	rankings.bytes -= rankings.slot[i]->bytes;
	rankings.slot[i]->cached = 0;
	ranking_unref_locked(rankings.slot[i]);
	rankings.slot[i] = NULL;
}

/* A held ranking of `match` at `gen`, or NULL. Rankings of other generations are dropped
 * on the way: the index has moved on. */
static struct ranking *
ranking_lookup(const char *match, const char *gen)
{
	struct ranking *found = NULL;
	pthread_mutex_lock(&rankings.mu);
	for (size_t i = 0; i < RANK_CACHE_SLOTS; i++) {
		struct ranking *r = rankings.slot[i];
		if (!r)
			continue;
		if (strcmp(r->gen, gen) != 0)
			rank_evict_locked(i);
		else if (!found && strcmp(r->match, match) == 0)
			found = r;
	}
	if (found) {
		found->refs++;
		found->used = ++rankings.ticks;
	}
	pthread_mutex_unlock(&rankings.mu);
	return found;
}

/* Offer a held ranking to the cache, evicting the least recently used to make room. */
static void
ranking_share(struct ranking *r)
{
	pthread_mutex_lock(&rankings.mu);
	while (r->bytes <= rankings.budget / 4) {
		size_t free_slot = RANK_CACHE_SLOTS, lru = RANK_CACHE_SLOTS;
		for (size_t i = 0; i < RANK_CACHE_SLOTS; i++) {
			if (!rankings.slot[i])
				free_slot = i;
			else if (lru == RANK_CACHE_SLOTS || rankings.slot[i]->used < rankings.slot[lru]->used)
				lru = i;
		}
		if (free_slot < RANK_CACHE_SLOTS && rankings.bytes + r->bytes <= rankings.budget) {
			r->refs++;
			r->used = ++rankings.ticks;
			r->cached = 1;
			rankings.slot[free_slot] = r;
			rankings.bytes += r->bytes;
			break;
		}
		if (lru == RANK_CACHE_SLOTS) /* cannot happen: r fits in an empty cache */
			break;
		rank_evict_locked(lru);
	}
	pthread_mutex_unlock(&rankings.mu);
}

/* Copy a remembered result of ranking `r` into `h` (strings into the arena): 1, else 0. */
static int
memo_get(struct ranking *r, sqlite3_int64 id, struct search_hit *h, struct arena *a)
{
	int found = 0;
	pthread_mutex_lock(&rankings.mu);
	for (size_t i = 0; i < r->nmemo && !found; i++) {
		const struct memo_hit *m = &r->memo[i];
		if (m->id != id)
			continue;
		*h = m->h;
		h->name = arena_strdup(a, m->h.name);
		h->title = arena_strdup(a, m->h.title);
		h->title_html = arena_strdup(a, m->h.title_html);
		h->snippet_html = arena_strdup(a, m->h.snippet_html);
		h->customer = arena_strdup(a, m->h.customer);
		h->updated_author = arena_strdup(a, m->h.updated_author);
		h->space = arena_strdup(a, m->h.space);
		found = 1;
	}
	pthread_mutex_unlock(&rankings.mu);
	return found;
}

/* Remember result `h` of ranking `r` (a shared one: others may read it meanwhile). */
static void
memo_put(struct ranking *r, sqlite3_int64 id, const struct search_hit *h)
{
	const char *f[7] = { h->name, h->title, h->title_html, h->snippet_html, h->customer, h->updated_author, h->space };
	size_t len[7], total = 0;
	for (int i = 0; i < 7; i++)
		total += (len[i] = strlen(f[i])) + 1;
	pthread_mutex_lock(&rankings.mu);
	int known = 0;
	for (size_t i = 0; i < r->nmemo; i++)
		known |= r->memo[i].id == id;
	if (!known && r->nmemo < MEMO_MAX && r->cached) {
		if (!r->memo) {
			r->memo = xcalloc(MEMO_MAX, sizeof(*r->memo));
			total += MEMO_MAX * sizeof(*r->memo);
		}
		struct memo_hit *m = &r->memo[r->nmemo++];
		char *p = m->strings = xmalloc(total);
		const char **to[7] = { &m->h.name, &m->h.title, &m->h.title_html, &m->h.snippet_html,
				       &m->h.customer, &m->h.updated_author, &m->h.space };
		m->id = id;
		m->h = *h;
		for (int i = 0; i < 7; i++) {
			memcpy(p, f[i], len[i] + 1);
			*to[i] = p;
			p += len[i] + 1;
		}
		r->bytes += total;
		rankings.bytes += total;
	}
	pthread_mutex_unlock(&rankings.mu);
}

void
search_global_release(void)
{
	pthread_mutex_lock(&page_data.mu);
	struct facets *fc = page_data.current;
	page_data.current = NULL;
	pthread_mutex_unlock(&page_data.mu);
	facets_release(fc);
	pthread_mutex_lock(&rankings.mu);
	for (size_t i = 0; i < RANK_CACHE_SLOTS; i++)
		if (rankings.slot[i])
			rank_evict_locked(i);
	pthread_mutex_unlock(&rankings.mu);
}

/* Score every match of `match` (the caller holds a read transaction at generation `gen`,
 * whose facet data is loaded) into a new held ranking. */
static int
ranking_compute(struct index *ix, const char *match, const char *gen, struct ranking **out)
{
	sqlite3_stmt *s = index_stmt(ix, q_ranked_ids);
	if (!s)
		return KN_EIO;
	struct ranking *r = xcalloc(1, sizeof(*r));
	size_t cap = 0;
	int rc;
	struct search_conn *sc = ix->search; /* made by search_run before any ranking */
	index_bind_str(s, 1, match);
	sc->rank_work = 0;
	/* The page data held (search_run) is of this transaction's generation: its lengths are
	 * the ones FTS5 would read. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 256;
			r->hit = xrealloc(r->hit, cap * sizeof(*r->hit));
		}
		r->hit[r->n++] = (struct scored){ sqlite3_column_double(s, 1), sqlite3_column_int64(s, 0) };
		if (rank_over_budget(sc)) {
			/* unless no more rows can match: then it is complete */
			r->partial = (sqlite3_int64)r->n < sc->rank_rows;
			if (r->partial)
				log_warn("search: \"%.80s\" stopped at its work budget after %zu matches", match, r->n);
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(r->hit);
		free(r);
		return index_sql_fail(ix, rc, "search");
	}
	r->match = xstrdup(match);
	snprintf(r->gen, sizeof(r->gen), "%s", gen);
	r->bytes = sizeof(*r) + cap * sizeof(*r->hit) + strlen(match) + 1;
	r->refs = 1;
	*out = r;
	return 0;
}

/* The ranking of `match` at `gen`, held (ranking_release it). FTS5 ignores case, so
 * "Gateway" and "gateway" share one (ASCII letters: enough for the common case). */
static int
ranking_get(struct index *ix, const char *match, const char *gen, struct ranking **out)
{
	char *key = xstrdup(match);
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
	int rc = 0;
	if (!(*out = ranking_lookup(key, gen)) && (rc = ranking_compute(ix, match, gen, out)) == 0) {
		free((*out)->match);
		(*out)->match = key;
		key = NULL;
		ranking_share(*out);
	}
	free(key);
	return rc;
}

static void
swap_scored(struct scored *a, struct scored *b)
{
	struct scored t = *a;
	*a = *b;
	*b = t;
}

/* Reorder v so that its k best (lowest score, then lowest id: all distinct) come first,
 * in order. A quickselect, then a sort of those k: for the first results page of 10,000
 * matches about a tenth of the cost of sorting them all. */
static void
select_best(struct scored *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;
	if (k > n)
		k = n;
	while (k > lo && k < hi && hi - lo > 1) {
		/* median of three to v[hi - 1], Lomuto partition around it */
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_scored(&v[mid], &v[lo]) < 0)
			swap_scored(&v[mid], &v[lo]);
		if (cmp_scored(&v[hi - 1], &v[lo]) < 0)
			swap_scored(&v[hi - 1], &v[lo]);
		if (cmp_scored(&v[mid], &v[hi - 1]) < 0)
			swap_scored(&v[mid], &v[hi - 1]);
		size_t store = lo;
		for (size_t i = lo; i < hi - 1; i++)
			if (cmp_scored(&v[i], &v[hi - 1]) < 0)
				swap_scored(&v[i], &v[store++]);
		swap_scored(&v[store], &v[hi - 1]);
		/* [lo, store) < v[store] < (store, hi) */
		if (k <= store)
			hi = store;
		else
			lo = store + 1;
	}
	qsort(v, k, sizeof(*v), cmp_scored);
}

/* One search's filters as value indexes, and its counts per value. */
struct tally {
	struct facets *fc;
	uint32_t want[SF_KINDS][SEARCH_MAX_FILTERS];
	size_t nwant[SF_KINDS];
	unsigned *count[SF_KINDS];
	size_t total;
	size_t first;                         /* matches before the page shown */
	sqlite3_int64 shown[SEARCH_PAGE_SIZE]; /* ids on the page shown, in rank order */
	size_t nshown;
	struct ranking *rank; /* held */
	unsigned char *readable; /* by spaces.id: pages of the spaces the viewer may search */
	size_t nreadable;
};

static int
has_value(const struct facets *fc, const struct fpage *p, int k, uint32_t v)
{
	for (uint32_t i = 0; i < p->count[k]; i++)
		if (fc->vals[k][p->first[k] + i] == v)
			return 1;
	return 0;
}

/* Count page `p` if it passes the filters (1), else 0. */
static int
tally_page(struct tally *t, const struct fpage *p)
{
	if (p->space >= t->nreadable || !t->readable[p->space])
		return 0;
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < t->nwant[k]; i++)
			if (!has_value(t->fc, p, k, t->want[k][i]))
				return 0;
	t->total++;
	for (int k = 0; k < SF_KINDS; k++)
		for (uint32_t i = 0; i < p->count[k]; i++)
			t->count[k][t->fc->vals[k][p->first[k] + i]]++;
	return 1;
}

struct ranked {
	const char *value; /* its key (vocab.v): the order without case is every spelling's */
	unsigned count;
	uint32_t idx;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	int c = strcasecmp(x->value, y->value);
	return c ? c : strcmp(x->value, y->value);
}

/* The most frequent values of each kind into res (strings copied into the arena): a
 * bounded insertion, as there may be a distinct customer per match. */
static void
top_facets(struct search_result *res, struct tally *t, struct arena *a)
{
	for (int k = 0; k < SF_KINDS; k++) {
		struct vocab *vo = &t->fc->vocab[k];
		struct ranked top[SEARCH_FACETS + 1];
		size_t n = 0;
		for (size_t i = 0; i < vo->n; i++) {
			struct ranked r = { vo->v[i], t->count[k][i], (uint32_t)i };
			if (!r.count || (n == SEARCH_FACETS && cmp_ranked(&r, &top[n - 1]) >= 0))
				continue;
			size_t at = n < SEARCH_FACETS ? n++ : n - 1;
			while (at > 0 && cmp_ranked(&r, &top[at - 1]) < 0) {
				top[at] = top[at - 1];
				at--;
			}
			top[at] = r;
		}
		/* Shown as the pages the viewer may read spell it: a value counted is on such a
		 * page, so there is one (never the key, which may come from any space). */
		res->facets[k] = arena_alloc(a, (n + 1) * sizeof(struct search_facet));
		res->nfacets[k] = 0;
		for (size_t i = 0; i < n; i++) {
			const char *shown = vocab_shown(vo, top[i].idx, t->readable, t->nreadable);
			if (shown)
				res->facets[k][res->nfacets[k]++] = (struct search_facet){ arena_strdup(a, shown), top[i].count };
		}
	}
}

/* The spaces of `scope` as a table by spaces.id in t. 0 or KN_EIO. */
static int
readable_spaces(struct index *ix, struct tally *t, const struct index_scope *scope)
{
	sqlite3_int64 maxid = 0;
	t->readable = NULL;
	t->nreadable = 0;
	if (index_scope_none(scope))
		return 0;
	if (index_sql_int(ix, "SELECT coalesce(max(id), 0) FROM spaces", &maxid) < 0)
		return KN_EIO;
	t->nreadable = (size_t)maxid + 1;
	t->readable = xcalloc(t->nreadable, 1);
	for (size_t i = 0; i < scope->n; i++) {
		sqlite3_int64 id;
		if (index_space_id(ix, scope->spaces[i], 0, &id) == 0 && id >= 0 && (size_t)id < t->nreadable)
			t->readable[id] = 1;
	}
	return 0;
}

/* Count the matches of `q` and their values, and note the ids of the page shown (for a
 * ranked search); 0 with t->total = 0 when a filter names a value no page has. */
static int
count_matches(struct index *ix, struct tally *t, const struct search_query *q)
{
	if (!t->nreadable)
		return 0; /* a viewer who may read nothing finds nothing */
	for (int k = 0; k < SF_KINDS; k++) {
		for (size_t i = 0; i < q->nfilters[k]; i++) {
			uint32_t v = vocab_find(&t->fc->vocab[k], q->filters[k][i], 0);
			if (v == UINT32_MAX)
				return 0;
			t->want[k][t->nwant[k]++] = v;
		}
		t->count[k] = xcalloc(t->fc->vocab[k].n + 1, sizeof(unsigned));
	}
	if (!q->match) {
		for (size_t i = 0; i < t->fc->npage; i++)
			tally_page(t, &t->fc->page[i]);
		return 0;
	}
	/* The matches that pass the filters are counted and copied; the page shown is picked
	 * from the copy. Hidden pages have no fpage: skipped. */
	int rc = ranking_get(ix, q->match, t->fc->gen, &t->rank);
	if (rc < 0)
		return rc;
	const struct ranking *r = t->rank;
	struct scored *pass = xmalloc((r->n ? r->n : 1) * sizeof(*pass));
	size_t npass = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct fpage *p = fpage_find(t->fc, r->hit[i].id);
		if (p && tally_page(t, p))
			pass[npass++] = r->hit[i];
	}
	if (t->first < npass) {
		size_t want = t->first + SEARCH_PAGE_SIZE;
		select_best(pass, npass, want);
		for (size_t i = t->first; i < want && i < npass; i++)
			t->shown[t->nshown++] = pass[i].id;
	}
	free(pass);
	return 0;
}

static const char *
col_text(struct arena *a, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	return arena_strdup(a, t ? t : "");
}

static const char *
marked_html(struct arena *a, sqlite3_stmt *s, int col)
{
	struct buf b = BUF_INIT;
	const char *t = (const char *)sqlite3_column_text(s, col);
	search_marks_to_html(&b, t ? t : "");
	const char *out = arena_strndup(a, buf_cstr(&b), b.len);
	buf_free(&b);
	return out;
}

static void
read_hit(struct search_hit *h, sqlite3_stmt *s, struct arena *a)
{
	h->name = col_text(a, s, 0);
	h->title = col_text(a, s, 1);
	h->title_html = sqlite3_column_type(s, 2) == SQLITE_NULL ? marked_html(a, s, 1) : marked_html(a, s, 2);
	h->snippet_html = marked_html(a, s, 3);
	h->customer = col_text(a, s, 4);
	h->updated_author = col_text(a, s, 5);
	h->updated_time = sqlite3_column_int64(s, 6);
	h->updated_offset = sqlite3_column_int(s, 7);
	h->space = col_text(a, s, 8);
}

/* A column marked by `mark` (hl_highlight or a snippet of 28 tokens) as HTML. */
static const char *
marked_column(struct arena *a, sqlite3_stmt *s, int col, struct hl_tokenizer *hl, const struct hl_query *hq,
	      int snippet)
{
	struct buf m = BUF_INIT, h = BUF_INIT;
	const char *text = (const char *)sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	int rc = !text ? KN_EINVAL
		 : snippet ? hl_snippet(&m, hl, hq, text, n, SNIPPET_TOKENS, "…")
			   : hl_highlight(&m, hl, hq, text, n);
	if (rc < 0) { /* cannot tokenize: the text as it is */
		buf_reset(&m);
		if (snippet && n > SNIPPET_FALLBACK) /* cut on a character boundary */
			for (n = SNIPPET_FALLBACK; n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80; n--)
				;
		if (text)
			buf_put(&m, text, n);
	}
	search_marks_to_html(&h, buf_cstr(&m));
	const char *out = arena_strndup(a, buf_cstr(&h), h.len);
	buf_free(&m);
	buf_free(&h);
	return out;
}

static void
read_ranked_hit(struct search_hit *h, sqlite3_stmt *s, struct hl_tokenizer *hl, const struct hl_query *hq,
		struct arena *a)
{
	h->name = col_text(a, s, 0);
	h->title = col_text(a, s, 1);
	h->title_html = marked_column(a, s, sqlite3_column_type(s, 2) == SQLITE_NULL ? 1 : 2, hl, hq, 0);
	h->snippet_html = marked_column(a, s, 3, hl, hq, 1);
	h->customer = col_text(a, s, 4);
	h->updated_author = col_text(a, s, 5);
	h->updated_time = sqlite3_column_int64(s, 6);
	h->updated_offset = sqlite3_column_int(s, 7);
	h->space = col_text(a, s, 8);
}

/* The ranked results shown: their rows, snippets and highlighted titles. */
static int
fetch_ranked(struct search_result *res, struct index *ix, struct search_conn *sc, const struct search_query *q,
	     const struct tally *t, struct arena *a)
{
	struct hl_query *hq = NULL;
	res->hits = arena_alloc(a, SEARCH_PAGE_SIZE * sizeof(struct search_hit));
	for (size_t i = 0; i < t->nshown; i++) {
		if (memo_get(t->rank, t->shown[i], &res->hits[res->nhits], a)) {
			res->nhits++;
			continue;
		}
		sqlite3_stmt *s = index_stmt(ix, q_hit);
		if (!s) {
			hl_query_free(hq);
			return KN_EIO;
		}
		if (!hq)
			hq = hl_query_new(sc->hl, q->match);
		sqlite3_bind_int64(s, 1, t->shown[i]);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			read_ranked_hit(&res->hits[res->nhits], s, sc->hl, hq, a);
			memo_put(t->rank, t->shown[i], &res->hits[res->nhits++]);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			hl_query_free(hq);
			return index_sql_fail(ix, rc, "search results");
		}
	}
	hl_query_free(hq);
	return 0;
}

/* The results of a query of filters only, by title. */
static int
fetch_listed(struct search_result *res, struct index *ix, const struct index_scope *scope, const struct search_query *q,
	     struct arena *a)
{
	/* IN lists: SQLite starts from the tag's index, and looks a page's text up only for
	 * the rows it returns. */
	static const char *const cond[SF_KINDS][2] = {
		{ " AND p.customer = ?", " COLLATE NOCASE" },
		{ " AND p.id IN (SELECT page_id FROM tags WHERE tag = ?", " COLLATE NOCASE)" },
		{ " AND p.id IN (SELECT page_id FROM departments WHERE dept = ?", " COLLATE NOCASE)" },
	};
	struct buf sql = BUF_INIT;
	sqlite3_stmt *s = NULL;
	int col = 3, rc;
	buf_puts(&sql, "SELECT p.name, p.title, NULL, (SELECT substr(f.body, 1, 200) ||"
		       " CASE WHEN length(f.body) > 200 THEN '…' ELSE '' END FROM fts f WHERE f.rowid = p.id),"
		       " p.customer, p.updated_author, p.updated_time, p.updated_offset,"
		       " (SELECT name FROM spaces WHERE id = p.space)"
		       " FROM pages p WHERE p.hidden = 0");
	index_scope_sql(&sql, scope);
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < q->nfilters[k]; i++)
			buf_printf(&sql, "%s%d%s", cond[k][0], col++, cond[k][1]);
	buf_puts(&sql, " ORDER BY p.title COLLATE NOCASE, p.path LIMIT ?1 OFFSET ?2");
	s = index_stmt_text(ix, sql.ptr);
	buf_free(&sql);
	if (!s)
		return KN_EIO;
	sqlite3_bind_int(s, 1, SEARCH_PAGE_SIZE);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(q->page ? q->page - 1 : 0) * SEARCH_PAGE_SIZE);
	col = 3;
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < q->nfilters[k]; i++)
			index_bind_str(s, col++, q->filters[k][i]);
	res->hits = arena_alloc(a, SEARCH_PAGE_SIZE * sizeof(struct search_hit));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && res->nhits < SEARCH_PAGE_SIZE)
		read_hit(&res->hits[res->nhits++], s, a);
	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : index_sql_fail(ix, rc, "search results");
}

int
search_run(struct search_result *res, struct index *ix, const struct index_scope *scope, const struct search_query *q,
	   struct arena *a)
{
	struct tally t = { 0 };
	struct search_conn *sc = NULL;
	int rc;
	memset(res, 0, sizeof(*res));
	t.first = (size_t)(q->page ? q->page - 1 : 0) * SEARCH_PAGE_SIZE;
	/* space:NAME keeps the spaces of the scope that the query names */
	struct index_scope narrowed = { NULL, 0 };
	if (q->nspaces && scope) {
		const char **v = arena_alloc(a, (scope->n + 1) * sizeof(char *));
		for (size_t i = 0; i < scope->n; i++)
			for (size_t k = 0; k < q->nspaces; k++)
				if (strcmp(scope->spaces[i], q->spaces[k]) == 0)
					v[narrowed.n++] = scope->spaces[i];
		narrowed.spaces = v;
		scope = &narrowed;
	}
	if (!q->match && !q->nfilters[SF_CUSTOMER] && !q->nfilters[SF_TAG] && !q->nfilters[SF_DEPT] && !q->nspaces)
		return 0;
	if ((rc = search_conn(ix, &sc)) < 0)
		return rc;
	/* One read transaction: counts, facets and the page all see the same index. Scoring
	 * all matches is what costs (kennis_rank for each); the scores are shared by all
	 * threads (ranking_get), and filters, counts, facets and the page shown are worked out
	 * in C from them, so paging, facet links and a repeated search do not score again. */
	if ((rc = index_exec(ix, "BEGIN")) < 0)
		return rc;
	if ((rc = readable_spaces(ix, &t, scope)) == 0 && (rc = facets_current(ix, &t.fc)) == 0) {
		sc->facets = t.fc; /* for kennis_rank's row lengths */
		rc = count_matches(ix, &t, q);
	}
	res->total = t.total;
	res->partial = t.rank && t.rank->partial;
	if (rc == 0 && t.total > 0)
		top_facets(res, &t, a);
	if (rc == 0 && t.first < t.total)
		rc = q->match ? fetch_ranked(res, ix, sc, q, &t, a) : fetch_listed(res, ix, scope, q, a);
	/* a customer as most pages (or its own page) spell it, as the facets show it: among
	 * the pages the viewer may read (the hit is one of them) */
	for (size_t i = 0; rc == 0 && i < res->nhits; i++) {
		uint32_t v = *res->hits[i].customer ? vocab_find(&t.fc->vocab[SF_CUSTOMER], res->hits[i].customer, 0)
						    : UINT32_MAX;
		const char *shown = v != UINT32_MAX ? vocab_shown(&t.fc->vocab[SF_CUSTOMER], v, t.readable, t.nreadable)
						    : NULL;
		if (shown)
			res->hits[i].customer = arena_strdup(a, shown);
	}
	for (int k = 0; k < SF_KINDS; k++)
		free(t.count[k]);
	free(t.readable);
	if (t.rank)
		ranking_release(t.rank);
	sc->facets = NULL;
	facets_release(t.fc);
	index_rollback(ix); /* nothing was written */
	return rc;
}
