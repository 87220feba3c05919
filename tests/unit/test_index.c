/* test_index.c: the derived index on a real repository: catch-up, renames, views, search, damage. */
#include "tap.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "index_db.h"
#include "search.h"
#include "render.h"

static struct store *st;
static const char *const wiki_only[] = { "wiki" };
static const struct index_scope all = { wiki_only, 1 }, none = { NULL, 0 };
static struct store_author who = { "Unit Test", "unit@example.com" };
static char dbpath[128];

/* Commit `n` edits (path, content; NULL content deletes) on main. */
static int
commit(const char *msg, size_t n, ...)
{
	struct store_edit e[16];
	git_oid base, out;
	va_list ap;
	memset(e, 0, sizeof(e));
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		e[i].path = va_arg(ap, const char *);
		e[i].content = va_arg(ap, const char *);
		e[i].len = e[i].content ? strlen(e[i].content) : 0;
	}
	va_end(ap);
	if (git_reference_name_to_id(&base, st->repo, STORE_BRANCH) < 0)
		return -1;
	return store_commit(&out, st, &base, e, n, &who, msg);
}

/* Search `text` (page 1); the total, or -1 on error. Names of the hits go to `names`,
 * space-separated, in rank order. */
static long
search(struct index *ix, const char *text, struct buf *names)
{
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, text);
	int rc = search_run(&res, ix, &all, &q, a);
	if (names) {
		buf_reset(names);
		for (size_t i = 0; rc == 0 && i < res.nhits; i++)
			buf_printf(names, "%s%s", i ? " " : "", res.hits[i].name);
	}
	arena_free(a);
	return rc < 0 ? -1 : (long)res.total;
}

/* Run `sql` on the database file behind the index's back. */
static int
raw_sql(const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(dbpath, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int
check_quiet(struct index *ix)
{
	FILE *devnull = getenv("CHECK_OUT") ? stderr : fopen("/dev/null", "w");
	int rc = index_check(ix, "wiki", st, devnull);
	if (devnull != stderr)
		fclose(devnull);
	return rc;
}

static void
test_parse(void)
{
	struct arena *a = arena_new();
	struct search_query q;
	search_parse(&q, a, "foo \"bar baz\" qu* customer:\"Acme Corp\" TAG:x AND NEAR( (x) -y ^z *");
	is_str(q.match, "\"foo\" \"bar baz\" \"qu\"* \"x\" \"y\" \"z\"", "terms quoted, operators dropped");
	ok(q.nfilters[SF_CUSTOMER] == 1 && strcmp(q.filters[SF_CUSTOMER][0], "Acme Corp") == 0, "quoted filter value");
	ok(q.nfilters[SF_TAG] == 1 && strcmp(q.filters[SF_TAG][0], "x") == 0, "filter key in any case");
	search_parse(&q, a, "\"unbalanced phrase");
	is_str(q.match, "\"unbalanced phrase\"", "unbalanced quote: phrase to the end");
	search_parse(&q, a, "a\"b \x01x\x02 \xff\xfeok");
	is_str(q.match, "\"a b\" \"x\" \"ok\"", "quotes in words, control bytes, bad UTF-8 dropped");
	search_parse(&q, a, "a* ab* ü* \"x y\"* \"x yz\"*");
	is_str(q.match, "\"a\" \"ab\"* \"ü\" \"x y\" \"x yz\"*", "a prefix needs two characters");
	/* found by fuzzing: FTS5 cuts words at a dash or a combining mark, so these were prefixes
	 * of one letter ("a"*, "g"*) */
	search_parse(&q, a, "x\u2014a* tu1\u0348g* caf\u00e9* \u65e5\u672c* \u0431\u044b*");
	is_str(q.match, "\"x\u2014a\" \"tu1\u0348g\" \"caf\u00e9\"* \"\u65e5\u672c\"* \"\u0431\u044b\"*",
	       "a prefix needs two letters FTS5 keeps together");
	search_parse(&q, a, "* \"\" ** --- NEAR");
	ok(q.match == NULL && q.nterms == 0, "nothing searchable: no MATCH");
	search_parse(&q, a, "tag: customer:");
	ok(q.match && q.nfilters[SF_TAG] == 0, "empty filter value is a word");
	struct buf big = BUF_INIT;
	for (int i = 0; i < 2000; i++)
		buf_printf(&big, "w%d ", i);
	search_parse(&q, a, big.ptr);
	ok(q.nterms == SEARCH_MAX_TERMS && q.truncated, "long query: %d terms, truncated", (int)q.nterms);
	/* The budget of a query (issue 15): repeats, words in all terms, prefixes. */
	search_parse(&q, a, "a* a* a* a* a* a* a* a* a* a* a* a* a* a* a* a* a* a* a* a*");
	ok(q.match && strcmp(q.match, "\"a\"") == 0 && q.nterms == 1 && !q.truncated, "a repeated term is searched once");
	search_parse(&q, a, "Gateway gateway \"GATEWAY\" gate* GATE* \"sync gateway\" \"Sync Gateway\"");
	is_str(q.match, "\"Gateway\" \"gate\"* \"sync gateway\"", "repeats in any ASCII case are searched once");
	search_parse(&q, a, "ab* ac* ad* ae* af* ag* ah* ai* aj* ak* ab*");
	is_str(q.match, "\"ab\"* \"ac\"* \"ad\"* \"ae\"* \"af\"* \"ag\"* \"ah\"* \"ai\"* \"aj\" \"ak\"",
	       "prefixes beyond %d are searched as words", SEARCH_MAX_PREFIX);
	ok(q.truncated && q.nprefix == SEARCH_MAX_PREFIX, "and the query says it was cut");
	buf_reset(&big);
	buf_puts(&big, "first \"");
	for (int i = 0; i < 60; i++)
		buf_printf(&big, "w%d ", i);
	buf_puts(&big, "\" \"");
	for (int i = 0; i < 10; i++)
		buf_printf(&big, "v%d ", i);
	buf_puts(&big, "\" last");
	search_parse(&q, a, big.ptr);
	ok(q.nterms == 3 && q.nwords == 62 && q.truncated && strncmp(q.match, "\"first\" \"w0 w1", 14) == 0 &&
	   strstr(q.match, "v0") == NULL && strstr(q.match, "\"last\""),
	   "a phrase over %d words in all is dropped, later words still fit: %s", SEARCH_MAX_WORDS, q.match);
	buf_reset(&big);
	buf_puts(&big, "\"");
	for (int i = 0; i < 40; i++)
		buf_puts(&big, "x\u2014"); /* em dash: a separator to unicode61 */
	buf_puts(&big, "\"");
	search_parse(&q, a, big.ptr);
	ok(q.match == NULL && q.truncated, "non-ASCII separators count as words: 80 words are too many");
	buf_free(&big);
	arena_free(a);

	struct buf h = BUF_INIT;
	search_marks_to_html(&h, "a<\x01" "b&\x02 \x02" "c\x01" "d");
	is_str(h.ptr, "a&lt;<mark>b&amp;</mark> c<mark>d</mark>", "marks become <mark>, the rest is escaped");
	buf_free(&h);
}

static const char acme[] =
	"---\n"
	"title: Acme Holding\n"
	"customer: Acmetest Corp\n"
	"departments: [Field-Sales, Quality]\n"
	"tags:\n  - retail-x\n  - key-account\n"
	"owner: alice\n"
	"review-by: 2025-01-31\n"
	"crm-id: 4711\n"
	"---\n"
	"# Acme\n\nHerr **Müller** ordered 12 widgets. 5 < 6 & \"quoted\" <script>x</script>\n\n"
	"See [[Customers/Globex]] and [[Notes]].\n";

static void
test_search(struct index *ix)
{
	struct buf names = BUF_INIT;
	ok(commit("acme", 3, "Customers/Acme.md", acme,
		  "Notes.md", "Muller and the quick brown fox. widgets widgets widgets widgets.\n",
		  "Customers/Globex.md", "---\ncustomer: Globex\ntags: retail-x\ndepartments: field-sales\n---\nGlobex buys gadgets.\n") == 0,
	   "commit pages");
	ok(index_catch_up(ix, "wiki", st) == 0, "catch up");
	ok(check_quiet(ix) == 0, "index matches main");
	ok(search(ix, "muller", NULL) == 2, "'muller' finds both spellings");
	ok(search(ix, "Müller", NULL) == 2, "'Müller' too");
	ok(search(ix, "widg*", NULL) == 2, "prefix");
	ok(search(ix, "\"quick brown\"", &names) == 1 && strcmp(names.ptr, "Notes") == 0, "phrase");
	ok(search(ix, "\"brown quick\"", NULL) == 0, "phrase order matters");
	ok(search(ix, "holding", &names) == 1 && strcmp(names.ptr, "Customers/Acme") == 0, "front matter title");
	ok(search(ix, "widgets", &names) == 2 && strcmp(names.ptr, "Notes Customers/Acme") == 0,
	   "more hits rank higher");
	ok(search(ix, "customer:\"acmetest corp\"", &names) == 1 && strcmp(names.ptr, "Customers/Acme") == 0, "customer filter");
	ok(search(ix, "customer:acmetest", NULL) == 0, "customer filter matches whole values");
	ok(search(ix, "tag:RETAIL-X", NULL) == 2, "tag filter, any case");
	ok(search(ix, "dept:quality", NULL) == 1, "dept filter");
	ok(search(ix, "dept:FIELD-SALES", NULL) == 2, "'Field-Sales' and 'field-sales' are one department");
	ok(search(ix, "tag:retail-x dept:field-sales", NULL) == 2, "filters combine");
	ok(search(ix, "tag:retail-x dept:quality", NULL) == 1, "filters combine");
	ok(search(ix, "gadgets tag:retail-x", NULL) == 1, "terms and filters");
	ok(search(ix, "crm", NULL) == 0, "keys of the front matter are not text");

	/* Title weighted over body: a title hit beats four body hits. */
	ok(commit("fox", 1, "Fox-Farm.md", "---\ntitle: Widgets\n---\nnothing else here\n") == 0, "title page");
	index_catch_up(ix, "wiki", st);
	ok(search(ix, "widgets", &names) == 3 && strncmp(names.ptr, "Fox-Farm ", 9) == 0, "title hit first");

	/* Snippets: escaped, marks only, and the whole result. */
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, "quoted");
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.nhits == 1, "one hit");
	const struct search_hit *h = &res.hits[0];
	ok(strstr(h->snippet_html, "<mark>quoted</mark>") != NULL, "snippet highlights (%s)", h->snippet_html);
	ok(strstr(h->snippet_html, "5 &lt; 6 &amp; &quot;") != NULL, "snippet escapes the text");
	ok(!strstr(h->snippet_html, "<script") && !strstr(h->snippet_html, "<strong"), "no markup but marks");
	is_str(h->title, "Acme Holding", "title");
	is_str(h->customer, "Acmetest Corp", "customer");
	is_str(h->updated_author, "Unit Test", "author of the last change");
	ok(h->updated_time > 1700000000, "time of the last change");
	ok(res.nfacets[SF_DEPT] == 2 && res.nfacets[SF_TAG] == 2, "facets of the matches");
	search_parse(&q, a, "tag:retail-x");
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.total == 2 && res.nfacets[SF_CUSTOMER] == 2 &&
	   res.facets[SF_TAG][0].count == 2, "filter-only query lists pages with facets");
	ok(res.nhits == 2 && strlen(res.hits[0].snippet_html) > 0, "filter-only hits have an excerpt");
	arena_free(a);

	/* Invalid YAML must not keep a page out. */
	ok(commit("yaml", 1, "Broken.md", "---\ntitle: [unclosed\n: : :\n---\nzebra crossing\n") == 0, "bad YAML page");
	ok(index_catch_up(ix, "wiki", st) == 0, "catch up with bad YAML");
	ok(search(ix, "zebra", &names) == 1 && strcmp(names.ptr, "Broken") == 0, "still indexed");
	buf_free(&names);
}

static const struct index_group *
group(const struct index_groups *g, const char *value)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->v[i].value, value) == 0)
			return &g->v[i];
	return NULL;
}

static int
wanted_has(const struct index_wanteds *w, const char *path)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].path, path) == 0)
			return 1;
	return 0;
}

static int
has_path(const struct index_paths *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i], path) == 0)
			return 1;
	return 0;
}

/* The typed queries of the views, on the pages of test_search, and the scope. */
static void
test_views(struct index *ix)
{
	struct arena *a = arena_new();
	struct index_groups g;
	struct index_pages pl;
	struct index_paths paths;
	struct index_wanteds w;
	const struct index_group *one;
	ok(commit("links", 3, "Linker.md", "[[Nowhere Page]], [[Aardvark]], [[Linker]] and [[Customers/Globex]]\n",
		  "_Frame.md", "[[Nowhere Page]]\n", "_Sidebar.md", "no link home\n") == 0 &&
	   index_catch_up(ix, "wiki", st) == 0, "pages with links");

	ok(index_groups(&g, ix, &all, INDEX_CUSTOMER, a) == 0 && (one = group(&g, "Acmetest Corp")) && one->pages == 1 &&
	   one->newest > 1700000000 && group(&g, "Globex") && group(&g, "Acme Corp"), "customers, with pages and newest change");
	ok(index_groups(&g, ix, &all, INDEX_TAG, a) == 0 && (one = group(&g, "retail-x")) && one->pages == 2,
	   "tags: retail-x on two pages");
	ok(index_groups(&g, ix, &all, INDEX_DEPT, a) == 0 && (one = group(&g, "Field-Sales")) && one->pages == 2 &&
	   !group(&g, "field-sales"), "departments: 'Field-Sales' and 'field-sales' are one group");
	ok(index_pages_with(&pl, ix, &all, INDEX_CUSTOMER, "acmetest corp", a) == 0 && pl.n == 2 &&
	   strcmp(pl.v[0].name, "Customers/Acme") == 0 && strcmp(pl.v[0].section, "Field-Sales") == 0 &&
	   strcmp(pl.v[1].section, "Quality") == 0 && strcmp(pl.v[0].title, "Acme Holding") == 0 &&
	   strcmp(pl.v[0].owner, "alice") == 0, "a customer's pages, once per department");
	ok(index_pages_with(&pl, ix, &all, INDEX_CUSTOMER, "Acme Corp", a) == 0 && pl.n == 4 &&
	   strcmp(pl.v[0].name, "Customers/Acme-Corp") == 0, "a customer from its folder and front matter");
	ok(index_pages_with(&pl, ix, &all, INDEX_TAG, "RETAIL-X", a) == 0 && pl.n == 2 && strcmp(pl.v[0].section, "") == 0,
	   "a tag's pages, any case, no sections");
	ok(index_pages_due(&pl, ix, &all, "2025-02-01", a) == 0 && pl.n == 1 && strcmp(pl.v[0].name, "Customers/Acme") == 0 &&
	   strcmp(pl.v[0].section, "alice") == 0 && strcmp(pl.v[0].review_by, "2025-01-31") == 0, "due for review, by owner");
	ok(index_pages_due(&pl, ix, &all, "2025-01-31", a) == 0 && pl.n == 0, "not due on the day itself");
	ok(index_paths_with(&paths, ix, &all, INDEX_DEPT, "quality", a) == 0 && paths.n == 1 &&
	   has_path(&paths, "Customers/Acme.md"), "the files of a department");
	ok(index_backlinks(&paths, ix, &all, "wiki", "Customers/Globex.md", a) == 0 && paths.n == 2 &&
	   strcmp(paths.v[0], "Customers/Acme.md") == 0 && strcmp(paths.v[1], "Linker.md") == 0, "backlinks, by path");
	ok(index_backlinks(&paths, ix, &all, "wiki", "Linker.md", a) == 0 && paths.n == 0, "a link to itself is no backlink");
	ok(index_wanted(&w, ix, &all, "wiki", a) == 0 && w.n == 2 && strcmp(w.v[0].path, "Nowhere-Page.md") == 0 && w.v[0].links == 2 &&
	   w.v[0].from.n == 2 && strcmp(w.v[0].from.v[0], "Linker.md") == 0 && strcmp(w.v[0].from.v[1], "_Frame.md") == 0 &&
	   strcmp(w.v[1].path, "Aardvark.md") == 0 && w.v[1].links == 1, "wanted: the most linked first, with who links");
	ok(index_orphans(&paths, ix, &all, "wiki", a) == 0 && !has_path(&paths, "Notes.md") && !has_path(&paths, "Customers/Globex.md") &&
	   has_path(&paths, "Broken.md") && has_path(&paths, "Linker.md"),
	   "orphans: pages nothing else links to (a link to itself does not count)");
	ok(!has_path(&paths, "Home.md") && !has_path(&paths, "_Frame.md") && !has_path(&paths, "_Sidebar.md"),
	   "not Home, frames or templates, though nothing links to them");

	/* A scope that may read nothing sees nothing, in every query (and search). */
	int seen = 0;
	seen += index_groups(&g, ix, &none, INDEX_TAG, a) != 0 || g.n != 0;
	seen += index_pages_with(&pl, ix, &none, INDEX_TAG, "retail-x", a) != 0 || pl.n != 0;
	seen += index_pages_due(&pl, ix, &none, "2999-01-01", a) != 0 || pl.n != 0;
	seen += index_paths_with(&paths, ix, &none, INDEX_TAG, "retail-x", a) != 0 || paths.n != 0;
	seen += index_backlinks(&paths, ix, &none, "wiki", "Customers/Globex.md", a) != 0 || paths.n != 0;
	seen += index_wanted(&w, ix, &none, "wiki", a) != 0 || w.n != 0;
	seen += index_orphans(&paths, ix, &none, "wiki", a) != 0 || paths.n != 0;
	seen += index_pages_with(&pl, ix, NULL, INDEX_TAG, "retail-x", a) != 0 || pl.n != 0;
	ok(seen == 0, "a scope that reads nothing, or none, sees nothing (%d queries saw something)", seen);
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, "widgets");
	ok(search_run(&res, ix, &none, &q, a) == 0 && res.total == 0 && res.nhits == 0, "search too");
	search_parse(&q, a, "tag:retail-x");
	ok(search_run(&res, ix, &none, &q, a) == 0 && res.total == 0 && res.nhits == 0, "a search of filters too");
	arena_free(a);
}

static void
test_changes(struct index *ix)
{
	struct buf names = BUF_INIT;
	ok(commit("rename", 2, "Notes.md", NULL, "Archive/Old-Notes.md",
		  "Muller and the quick brown fox. widgets widgets widgets widgets.\n") == 0, "rename by git");
	ok(index_catch_up(ix, "wiki", st) == 0, "catch up after rename");
	ok(search(ix, "\"quick brown\"", &names) == 1 && strcmp(names.ptr, "Archive/Old-Notes") == 0,
	   "search follows the rename");
	ok(commit("delete", 1, "Fox-Farm.md", NULL) == 0, "delete");
	ok(index_catch_up(ix, "wiki", st) == 0 && search(ix, "nothing", NULL) == 0, "deleted page gone");
	ok(commit("attach", 2, "logo.png", "\x89PNG", "_Sidebar.md", "sidebar text\n") == 0, "attachment");
	ok(index_catch_up(ix, "wiki", st) == 0 && check_quiet(ix) == 0, "attachments are no pages; check passes");

	/* Paging: 25 matches, 20 on the first page. */
	for (int i = 0; i < 25; i++) {
		char path[32], body[64];
		snprintf(path, sizeof(path), "Many/P%02d.md", i);
		snprintf(body, sizeof(body), "pagingterm number %d\n", i);
		commit("many", 1, path, body);
	}
	ok(index_catch_up(ix, "wiki", st) == 0, "25 commits caught up at once");
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, "pagingterm");
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.total == 25 && res.nhits == 20, "page 1: 20 of 25");
	q.page = 2;
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.total == 25 && res.nhits == 5, "page 2: 5");
	q.page = 9;
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.nhits == 0, "past the end: none");
	arena_free(a);

	/* A big commit goes through the rendering pipeline (worker threads). */
	struct store_edit big[100];
	char paths[100][32], bodies[100][64];
	memset(big, 0, sizeof(big));
	for (int i = 0; i < 100; i++) {
		snprintf(paths[i], sizeof(paths[i]), "Bulk/B%03d.md", i);
		snprintf(bodies[i], sizeof(bodies[i]), "---\ntags: bulk\n---\nbulkterm %d [[Bulk/B%03d]]\n", i, (i + 1) % 100);
		big[i].path = paths[i];
		big[i].content = bodies[i];
		big[i].len = strlen(bodies[i]);
	}
	git_oid tip, out;
	git_reference_name_to_id(&tip, st->repo, STORE_BRANCH);
	ok(store_commit(&out, st, &tip, big, 100, &who, "bulk") == 0, "one commit of 100 pages");
	ok(index_catch_up(ix, "wiki", st) == 0 && check_quiet(ix) == 0, "indexed through the pipeline");
	ok(search(ix, "bulkterm", NULL) == 100 && search(ix, "tag:bulk", NULL) == 100, "all 100 found");

	/* Each page keeps the commit that last changed it, not the tip. */
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	sqlite3_open(dbpath, &db);
	sqlite3_prepare_v2(db, "SELECT count(DISTINCT updated_commit) FROM pages WHERE path LIKE 'Many/%'", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 25, "25 distinct commits");
	sqlite3_finalize(s);
	sqlite3_prepare_v2(db, "SELECT group_concat(dst, ' ') FROM (SELECT dst FROM links WHERE src = 'Customers/Acme.md' ORDER BY dst)", -1, &s, NULL);
	ok(sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "Customers/Globex.md Notes.md") == 0,
	   "links recorded");
	sqlite3_finalize(s);
	sqlite3_close(db);
	buf_free(&names);
}

static void
test_hostile(struct index *ix)
{
	static const char *const qs[] = {
		"", "*", "NEAR(", "NEAR(a b, 2)", "\"", "\"\"", "\"unbalanced", "a AND OR NOT", "(((", ")))",
		"title:foo", "body:x", "^x", "-x", "+x", "{a b}", "a:b", "customer:", "tag:\"", "\x01\x02",
		"\xff\xfe\xfd", "***", "a*b*c", "'", "\\", "%", "_", "--", "/*", "NOT x", "x NOT", "—", "\"—\"",
		"customer:\"x\"\"y\"", "Müller*", "ü*",
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		if (search(ix, qs[i], NULL) < 0) {
			bad++;
			printf("# query failed: %s\n", qs[i]);
		}
	ok(bad == 0, "hostile queries answer (%d failed)", bad);
	struct buf big = BUF_INIT;
	srand(7);
	for (int i = 0; i < 10240; i++)
		buf_putc(&big, 1 + rand() % 255);
	ok(search(ix, big.ptr, NULL) >= 0, "10 KB of random bytes");
	buf_reset(&big);
	for (int i = 0; i < 5000; i++)
		buf_puts(&big, "a* ");
	ok(search(ix, big.ptr, NULL) >= 0, "thousands of prefixes");
	buf_reset(&big);
	for (int i = 0; i < 3000; i++)
		buf_puts(&big, "\"x");
	ok(search(ix, big.ptr, NULL) >= 0, "thousands of quotes");
	buf_free(&big);
}

/* Issue 15: a ranking's work is bounded. Eight 100 KB pages of "www.a.com " and a query
 * of phrases that match at every repetition: the ranking stops at its budget and says so;
 * one word on the same pages is ranked in full. */
static void
test_budget(struct index *ix)
{
	struct buf big = BUF_INIT, q = BUF_INIT;
	for (int i = 0; i < 10240; i++)
		buf_puts(&big, "www.a.com ");
	ok(commit("big pages", 8, "Budget/B1.md", big.ptr, "Budget/B2.md", big.ptr, "Budget/B3.md", big.ptr,
		  "Budget/B4.md", big.ptr, "Budget/B5.md", big.ptr, "Budget/B6.md", big.ptr, "Budget/B7.md", big.ptr,
		  "Budget/B8.md", big.ptr) == 0 && index_catch_up(ix, "wiki", st) == 0, "eight pages of one sentence repeated");
	const char *w[] = { "www", "a", "com" };
	for (int len = 1; len <= 6; len++)
		for (int off = 0; off < 3; off++) {
			buf_puts(&q, q.len ? " \"" : "\"");
			for (int k = 0; k < len; k++)
				buf_printf(&q, "%s%s", k ? " " : "", w[(off + k) % 3]);
			buf_putc(&q, '"');
		}
	struct arena *a = arena_new();
	struct search_query sq;
	struct search_result res;
	search_parse(&sq, a, q.ptr);
	clock_t t0 = clock();
	int rc = search_run(&res, ix, &all, &sq, a);
	double ms = (double)(clock() - t0) * 1e3 / CLOCKS_PER_SEC;
	ok(rc == 0 && res.partial && res.total >= 1 && res.total < 8 && res.nhits == res.total,
	   "18 phrases (63 words) on them: stopped at the budget with %zu of 8 pages, %.0f ms CPU", res.total, ms);
	search_parse(&sq, a, "www");
	ok(search_run(&res, ix, &all, &sq, a) == 0 && !res.partial && res.total == 8, "one word: all 8, in full");
	search_parse(&sq, a, "\"www a com\"");
	ok(search_run(&res, ix, &all, &sq, a) == 0 && !res.partial && res.total == 8, "one phrase: all 8, in full");
	arena_free(a);
	ok(commit("no big pages", 8, "Budget/B1.md", NULL, "Budget/B2.md", NULL, "Budget/B3.md", NULL, "Budget/B4.md",
		  NULL, "Budget/B5.md", NULL, "Budget/B6.md", NULL, "Budget/B7.md", NULL, "Budget/B8.md", NULL) == 0,
	   "the big pages go again");
	buf_free(&big);
	buf_free(&q);
}

static int
reopen(struct index **ix)
{
	index_close(*ix);
	*ix = NULL;
	return index_open(ix, dbpath);
}

static void
wipe_files(const char *suffix)
{
	char p[160];
	snprintf(p, sizeof(p), "%s%s", dbpath, suffix);
	unlink(p);
}

/* The tables as the two branches merged here left them (their schema_sql, comments dropped):
 * 4 had spaces but links without target/tkey and fts without customer/meta; 5 had those
 * but no space column anywhere. A wiki indexed by either must rebuild its index. */
static const char schema_v4[] =
	"DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS departments;"
	"DROP TABLE IF EXISTS links; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS gone;"
	"DROP TABLE IF EXISTS spaces; DELETE FROM index_meta;"
	"CREATE TABLE spaces(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"INSERT INTO spaces(id, name) VALUES(1, 'wiki');"
	"CREATE TABLE pages(id INTEGER PRIMARY KEY, space INTEGER NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL,"
	" title TEXT NOT NULL, blob TEXT NOT NULL, customer TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '',"
	" review_by TEXT NOT NULL DEFAULT '', frontmatter TEXT NOT NULL DEFAULT '', hidden INTEGER NOT NULL DEFAULT 0,"
	" updated_commit TEXT NOT NULL DEFAULT '', updated_time INTEGER NOT NULL DEFAULT 0,"
	" updated_offset INTEGER NOT NULL DEFAULT 0, updated_author TEXT NOT NULL DEFAULT '',"
	" updated_email TEXT NOT NULL DEFAULT '', UNIQUE(space, path));"
	"CREATE INDEX pages_customer ON pages(customer COLLATE NOCASE);"
	"CREATE INDEX pages_review_by ON pages(review_by);"
	"CREATE INDEX pages_updated ON pages(updated_time);"
	"CREATE TABLE tags(space INTEGER NOT NULL, path TEXT NOT NULL, tag TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(space, path, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_page ON tags(page_id, tag);"
	"CREATE INDEX tags_tag ON tags(tag COLLATE NOCASE);"
	"CREATE TABLE departments(space INTEGER NOT NULL, path TEXT NOT NULL, dept TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(space, path, dept)) WITHOUT ROWID;"
	"CREATE INDEX departments_page ON departments(page_id, dept);"
	"CREATE INDEX departments_dept ON departments(dept COLLATE NOCASE);"
	"CREATE TABLE links(space INTEGER NOT NULL, src TEXT NOT NULL, dst_space INTEGER NOT NULL, dst TEXT NOT NULL,"
	" PRIMARY KEY(space, src, dst_space, dst)) WITHOUT ROWID;"
	"CREATE INDEX links_dst ON links(dst_space, dst);"
	"CREATE TABLE gone(space INTEGER NOT NULL, path TEXT NOT NULL, commit_id TEXT NOT NULL,"
	" PRIMARY KEY(space, path)) WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');"
	"INSERT INTO pages(id, space, path, name, title, blob) VALUES(1, 1, 'Old.md', 'Old', 'Old', '00');"
	"INSERT INTO fts(rowid, title, body) VALUES(1, 'Old', 'oldbranchterm');"
	"INSERT INTO index_meta(key, value) VALUES('schema', '4'), ('last_commit:wiki', '";
static const char schema_v5[] =
	"DROP TABLE IF EXISTS pages; DROP TABLE IF EXISTS tags; DROP TABLE IF EXISTS departments;"
	"DROP TABLE IF EXISTS links; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS gone;"
	"DROP TABLE IF EXISTS spaces; DELETE FROM index_meta;"
	"CREATE TABLE pages(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, name TEXT NOT NULL, title TEXT NOT NULL,"
	" blob TEXT NOT NULL, customer TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '',"
	" review_by TEXT NOT NULL DEFAULT '', frontmatter TEXT NOT NULL DEFAULT '', hidden INTEGER NOT NULL DEFAULT 0,"
	" updated_commit TEXT NOT NULL DEFAULT '', updated_time INTEGER NOT NULL DEFAULT 0,"
	" updated_offset INTEGER NOT NULL DEFAULT 0, updated_author TEXT NOT NULL DEFAULT '',"
	" updated_email TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX pages_customer ON pages(customer COLLATE NOCASE);"
	"CREATE INDEX pages_review_by ON pages(review_by);"
	"CREATE INDEX pages_updated ON pages(updated_time);"
	"CREATE TABLE tags(path TEXT NOT NULL, tag TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(path, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_page ON tags(page_id, tag);"
	"CREATE INDEX tags_tag ON tags(tag COLLATE NOCASE);"
	"CREATE TABLE departments(path TEXT NOT NULL, dept TEXT NOT NULL, page_id INTEGER NOT NULL,"
	" PRIMARY KEY(path, dept)) WITHOUT ROWID;"
	"CREATE INDEX departments_page ON departments(page_id, dept);"
	"CREATE INDEX departments_dept ON departments(dept COLLATE NOCASE);"
	"CREATE TABLE links(src TEXT NOT NULL, dst TEXT NOT NULL, target TEXT NOT NULL, tkey TEXT NOT NULL,"
	" PRIMARY KEY(src, target)) WITHOUT ROWID;"
	"CREATE INDEX links_dst ON links(dst);"
	"CREATE INDEX links_tkey ON links(tkey);"
	"CREATE TABLE gone(path TEXT PRIMARY KEY, commit_id TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE fts USING fts5(title, body, customer, meta, tokenize = 'unicode61 remove_diacritics 2',"
	" prefix = '2 3');"
	"INSERT INTO pages(id, path, name, title, blob) VALUES(1, 'Old.md', 'Old', 'Old', '00');"
	"INSERT INTO fts(rowid, title, body) VALUES(1, 'Old', 'oldbranchterm');"
	"INSERT INTO index_meta(key, value) VALUES('schema', '5'), ('last_commit', '";

/* An index left by an older kennis (`old`, which ends where main's commit id goes): opened,
 * caught up and checked, it is the current one (the old rows gone, every page found). */
static void
test_old_schema(struct index **ix, const char *old, const char *label)
{
	char hex[GIT_OID_HEXSZ + 1], sql[8192];
	git_oid head;
	ok(git_reference_name_to_id(&head, st->repo, STORE_BRANCH) == 0, "%s: main", label);
	git_oid_tostr(hex, sizeof(hex), &head);
	index_close(*ix);
	*ix = NULL;
	snprintf(sql, sizeof(sql), "%s%s');", old, hex);
	ok(raw_sql(sql) == SQLITE_OK, "%s: the tables of that version, with a page that is not in git", label);
	ok(index_open(ix, dbpath) == 0 && index_catch_up(*ix, "wiki", st) == 0, "%s: opened and caught up", label);
	ok(*ix && check_quiet(*ix) == 0, "%s: rebuilt (check finds it sound)", label);
	ok(*ix && search(*ix, "zebra", NULL) == 1 && search(*ix, "oldbranchterm", NULL) == 0,
	   "%s: the pages of git are found, the old rows are gone", label);
}

static void
test_damage(struct index **ix, const char *dir)
{
	/* Behind its back: a row lost, a blob id changed, a stale commit. */
	ok(raw_sql("DELETE FROM pages WHERE path = 'Broken.md'") == SQLITE_OK, "drop a row behind the index's back");
	ok(check_quiet(*ix) == 1, "check sees the missing page");
	ok(search(*ix, "bulkterm tag:bulk", NULL) == 100, "a search remembered before the rebuild");
	int rrc = index_rebuild(*ix, "wiki", st), crc = check_quiet(*ix);
	ok(rrc == 0 && crc == 0, "rebuild repairs it (%d %d)", rrc, crc);
	struct buf names = BUF_INIT;
	ok(search(*ix, "bulkterm tag:bulk", &names) == 100 && strncmp(names.ptr, "Bulk/B", 6) == 0,
	   "after the rebuild (new page ids) the same search is right");
	buf_free(&names);
	ok(raw_sql("UPDATE index_meta SET value = '0123456789012345678901234567890123456789' WHERE key = 'last_commit:wiki'") == SQLITE_OK,
	   "last commit unknown to git");
	ok(index_catch_up(*ix, "wiki", st) == 0 && check_quiet(*ix) == 0, "unknown last commit: reindexed");
	ok(raw_sql("UPDATE index_meta SET value = '0' WHERE key = 'schema'") == SQLITE_OK, "old schema version");
	ok(reopen(ix) == 0 && index_catch_up(*ix, "wiki", st) == 0 && check_quiet(*ix) == 0, "old schema: rebuilt");
	test_old_schema(ix, schema_v4, "schema 4 (spaces)");
	test_old_schema(ix, schema_v5, "schema 5 (issue 13)");

	/* Deleted file. */
	index_close(*ix);
	*ix = NULL;
	wipe_files("");
	wipe_files("-wal");
	wipe_files("-shm");
	ok(index_open(ix, dbpath) == 0 && index_catch_up(*ix, "wiki", st) == 0 && search(*ix, "zebra", NULL) == 1,
	   "deleted file: recreated and filled");

	/* Not a database at all. */
	index_close(*ix);
	*ix = NULL;
	wipe_files("-wal");
	wipe_files("-shm");
	FILE *f = fopen(dbpath, "w");
	for (int i = 0; i < 100000; i++)
		fputc("garbage"[i % 7], f);
	fclose(f);
	ok(index_open(ix, dbpath) == 0, "garbage file: open resets it");
	ok(*ix && index_catch_up(*ix, "wiki", st) == 0 && search(*ix, "zebra", NULL) == 1, "garbage file: reindexed");

	/* Damage inside: overwrite pages in the middle of the file. */
	index_close(*ix);
	*ix = NULL;
	ok(raw_sql("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK, "checkpoint");
	f = fopen(dbpath, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	for (long off = 4096 * 2; off < size; off += 4096 * 2) {
		fseek(f, off + 100, SEEK_SET);
		for (int i = 0; i < 512; i++)
			fputc(0xA5, f);
	}
	fclose(f);
	char gitdir[160];
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	struct index_repo wiki = { "wiki", gitdir };
	ok(index_startup(dir, &wiki, 1) == 0, "damaged pages: startup repairs (%ld bytes)", size);
	ok(index_open(ix, dbpath) == 0 && check_quiet(*ix) == 0, "and the index matches main");
	ok(search(*ix, "zebra", NULL) == 1, "search works again");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ls %s/" INDEX_FILE ".damaged-* >/dev/null 2>&1", dir);
	ok(system(cmd) == 0, "a copy of the damaged file is kept");
}

struct thread_arg {
	struct config cfg;
	int rc;
	long hits;
};

static void *
thread_main(void *p)
{
	struct thread_arg *t = p;
	struct store *mine = NULL;
	struct index *ix = index_for_thread(&t->cfg);
	t->rc = !ix || store_open(&mine, t->cfg.git_dir) < 0 ? -1 : index_catch_up(ix, "wiki", mine);
	t->hits = ix ? search(ix, "pagingterm", NULL) : -1;
	store_close(mine);
	return NULL;
}

static void
test_threads(const char *dir)
{
	char gitdir[160];
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	ok(commit("more", 1, "Many/P99.md", "pagingterm once more\n") == 0, "one more page");
	struct thread_arg t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].cfg.data_dir = dir;
		t[i].cfg.git_dir = gitdir;
		pthread_create(&th[i], NULL, thread_main, &t[i]);
	}
	int good = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		good += t[i].rc == 0 && t[i].hits == 26;
	}
	ok(good == 4, "four threads catch up at once, each with its own connection (%d good)", good);

	/* As the post-receive hook would: git runs it inside the bare repository. */
	char cwd[256];
	ok(commit("hook", 1, "Pushed.md", "pushedterm\n") == 0, "a commit for the hook");
	ok(getcwd(cwd, sizeof(cwd)) && chdir(gitdir) == 0 && index_update("..", "wiki", ".") == 0 && chdir(cwd) == 0,
	   "index_update from inside the repository");
	struct index *ix = NULL;
	ok(index_open(&ix, dbpath) == 0 && search(ix, "pushedterm", NULL) == 1, "the hook's update is searchable");
	index_close(ix);
}

/* Every match of `text` in rank order, all result pages, space-separated. */
static void
search_all(struct index *ix, const char *text, struct buf *names)
{
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, text);
	buf_reset(names);
	for (q.page = 1; search_run(&res, ix, &all, &q, a) == 0 && res.nhits > 0; q.page++)
		for (size_t i = 0; i < res.nhits; i++)
			buf_printf(names, "%s%s", names->len ? " " : "", res.hits[i].name);
	arena_free(a);
}

/* The same order from FTS5's own bm25 (title weighted 10), on a separate connection: pages
 * with every phrase in the title first (kennis_rank's tier 2; these pages have neither a
 * customer nor a title that is only the query), then bm25. */
static void
bm25_order(const char *match, struct buf *names)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct buf in_title = BUF_INIT;
	buf_printf(&in_title, "title : (%s)", match);
	buf_reset(names);
	sqlite3_open(dbpath, &db);
	sqlite3_prepare_v2(db, "SELECT p.name FROM fts JOIN pages p ON p.id = fts.rowid WHERE fts MATCH ?1"
			       " AND p.hidden = 0 ORDER BY fts.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?2) DESC,"
			       " bm25(fts, 10.0, 1.0, 1.0, 1.0), fts.rowid", -1, &s, NULL);
	sqlite3_bind_text(s, 1, match, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, in_title.ptr, -1, SQLITE_TRANSIENT);
	buf_free(&in_title);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(names, "%s%s", names->len ? " " : "", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* kennis_rank must order exactly as bm25 within its tiers: pages where the term count, the
 * page length and title hits all vary, so that a wrong length, weight or idf reorders them. */
static void
test_ranking(struct index *ix)
{
	static const char *const queries[][2] = {
		{ "rankalpha", "\"rankalpha\"" },
		{ "rankalpha rankbeta", "\"rankalpha\" \"rankbeta\"" },
		{ "\"rankalpha rankbeta\"", "\"rankalpha rankbeta\"" },
		{ "rankal*", "\"rankal\"*" },
		{ "rankgamma rankalpha", "\"rankgamma\" \"rankalpha\"" },
	};
	struct store_edit e[90];
	char paths[90][32];
	struct buf body[90], got = BUF_INIT, want = BUF_INIT;
	memset(e, 0, sizeof(e));
	memset(body, 0, sizeof(body));
	for (int i = 0; i < 90; i++) {
		snprintf(paths[i], sizeof(paths[i]), "Rank/R%02d.md", i);
		if (i % 7 == 0)
			buf_printf(&body[i], "---\ntitle: Rankalpha %d\n---\n", i);
		for (int k = 0; k < i % 5 + 1; k++)
			buf_puts(&body[i], "rankalpha ");
		if (i % 3 == 0)
			buf_puts(&body[i], "rankalpha rankbeta ");
		if (i % 11 == 0)
			buf_puts(&body[i], "rankgamma ");
		for (int k = 0; k < (i * 37) % 90; k++)
			buf_printf(&body[i], "filler%d ", k);
		buf_puts(&body[i], "\n");
		e[i].path = paths[i];
		e[i].content = body[i].ptr;
		e[i].len = body[i].len;
	}
	git_oid tip, out;
	git_reference_name_to_id(&tip, st->repo, STORE_BRANCH);
	ok(store_commit(&out, st, &tip, e, 90, &who, "ranking") == 0 && index_catch_up(ix, "wiki", st) == 0,
	   "90 pages to rank");
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		search_all(ix, queries[i][0], &got);
		bm25_order(queries[i][1], &want);
		ok(want.len > 40, "'%s' matches several pages", queries[i][0]);
		is_str(buf_cstr(&got), buf_cstr(&want), "'%s' ranks as bm25 does", queries[i][0]);
	}
	for (int i = 0; i < 90; i++)
		buf_free(&body[i]);
	buf_free(&got);
	buf_free(&want);
}

/* Backlinks follow links as links.c resolves them, also when a page that takes a link
 * over comes or goes without the linking page changing. */
static void
test_relink(struct index *ix)
{
	struct arena *a = arena_new();
	struct index_paths p;
	struct index_wanteds w;
	ok(commit("deep", 2, "Lk/Deep/Target.md", "deep target\n", "Linker2.md", "[[Target]] and [[deep/target]]\n") == 0 &&
	   index_catch_up(ix, "wiki", st) == 0, "a link to a page in a folder, by name");
	ok(index_backlinks(&p, ix, &all, "wiki", "Lk/Deep/Target.md", a) == 0 && p.n == 1 && has_path(&p, "Linker2.md"),
	   "its backlink, once though two links lead there: [[Target]] found Lk/Deep/Target.md");
	ok(index_wanted(&w, ix, &all, "wiki", a) == 0 && !wanted_has(&w, "Target.md"), "and it is not wanted");
	ok(commit("root", 1, "Target.md", "root target\n") == 0 && index_catch_up(ix, "wiki", st) == 0, "a Target at the root");
	ok(index_backlinks(&p, ix, &all, "wiki", "Target.md", a) == 0 && has_path(&p, "Linker2.md"),
	   "takes [[Target]] over, though Linker2 did not change");
	ok(index_backlinks(&p, ix, &all, "wiki", "Lk/Deep/Target.md", a) == 0 && p.n == 1 && has_path(&p, "Linker2.md"),
	   "[[deep/target]] still leads to the deep one");
	ok(commit("unroot", 1, "Target.md", NULL) == 0 && index_catch_up(ix, "wiki", st) == 0 &&
	   index_backlinks(&p, ix, &all, "wiki", "Lk/Deep/Target.md", a) == 0 && has_path(&p, "Linker2.md"),
	   "gone again: the link leads to the deep one again");
	ok(index_rebuild(ix, "wiki", st) == 0 && index_backlinks(&p, ix, &all, "wiki", "Lk/Deep/Target.md", a) == 0 && has_path(&p, "Linker2.md"),
	   "a rebuilt index says the same");
	arena_free(a);
}

/* Issue 13: the customer's own page first, snippets from the text only, and values shown
 * as most pages (or the customer's own page) spell them. */
static void
test_tiers(struct index *ix)
{
	struct buf names = BUF_INIT, own = BUF_INIT;
	buf_puts(&own, "---\ncustomer: Zyxcorp Group\ntags: [Zlogistics]\n---\nAbout zyxcorp. ");
	for (int i = 0; i < 300; i++)
		buf_printf(&own, "history%d ", i);
	buf_puts(&own, "\n");
	ok(commit("tiers", 6, "Customers/Zyxcorp-Group.md", own.ptr,
		  "Zy/Call.md", "---\ntitle: Zyxcorp Call Notes\n---\nWe called them.\n",
		  "Zy/Shipping.md", "---\ncustomer: zyxcorp group\ntags: [zlogistics]\n---\nZdeliveries at 10:00.\n",
		  "Zy/Invoices.md", "---\ncustomer: zyxcorp group\ntags: [zlogistics]\ndepartments: [Zfinance]\n---\nPaid in 30 days.\n",
		  "Zy/Mention.md", "zyxcorp zyxcorp zyxcorp group at the fair\n",
		  "Zy/Team.md", "---\ndepartments: [zfinance]\ncustomer: Other Zy\n---\nzfinance team\n") == 0 &&
	   index_catch_up(ix, "wiki", st) == 0, "a customer's own page, a page titled after it, its pages, a mention");
	long total = search(ix, "zyxcorp", &names);
	ok(total == 5 && (strcmp(names.ptr, "Customers/Zyxcorp-Group Zy/Call Zy/Invoices Zy/Shipping Zy/Mention") == 0 ||
			  strcmp(names.ptr, "Customers/Zyxcorp-Group Zy/Call Zy/Shipping Zy/Invoices Zy/Mention") == 0),
	   "the title, then a title with it, then the customer's pages, then mentions (%s)", buf_cstr(&names));
	total = search(ix, "zyxcorp group", &names);
	ok(total == 4 && strncmp(names.ptr, "Customers/Zyxcorp-Group Zy/", 27) == 0 &&
	   strcmp(names.ptr + strlen(names.ptr) - 10, "Zy/Mention") == 0, "the same for two words (%s)", buf_cstr(&names));
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, "zdeliveries");
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.nhits == 1, "one hit");
	is_str(res.nhits ? res.hits[0].snippet_html : "", "<mark>Zdeliveries</mark> at 10:00.",
	       "the snippet is of the text only, no front matter");
	is_str(res.hits[0].customer, "Zyxcorp Group", "its customer as the customer's own page spells it");
	search_parse(&q, a, "zyxcorp");
	ok(search_run(&res, ix, &all, &q, a) == 0 && res.nfacets[SF_CUSTOMER] == 1 &&
	   strcmp(res.facets[SF_CUSTOMER][0].value, "Zyxcorp Group") == 0 && res.facets[SF_CUSTOMER][0].count == 3,
	   "facet: one customer, the own page's spelling, though 2 of 3 pages write it in lower case");
	ok(res.nfacets[SF_TAG] == 1 && strcmp(res.facets[SF_TAG][0].value, "zlogistics") == 0,
	   "facet: a tag as most pages spell it (%s)", res.nfacets[SF_TAG] ? res.facets[SF_TAG][0].value : "none");
	search_parse(&q, a, "zfinance");
	ok(search(ix, "zfinance", NULL) == 2 && search_run(&res, ix, &all, &q, a) == 0, "a department word");
	struct index_groups g;
	ok(index_groups(&g, ix, &all, INDEX_CUSTOMER, a) == 0 && group(&g, "Zyxcorp Group") && group(&g, "Zyxcorp Group")->pages == 3 &&
	   !group(&g, "zyxcorp group"), "customers: one group, the own page's spelling");
	ok(index_groups(&g, ix, &all, INDEX_TAG, a) == 0 && group(&g, "zlogistics") && group(&g, "zlogistics")->pages == 3 &&
	   !group(&g, "Zlogistics"), "tags: one group, as most pages spell it");
	ok(index_groups(&g, ix, &all, INDEX_DEPT, a) == 0 && group(&g, "Zfinance") && group(&g, "Zfinance")->pages == 2,
	   "departments: a tie goes to the first by bytes (capitals first)");
	struct index_pages pl;
	ok(index_pages_with(&pl, ix, &all, INDEX_CUSTOMER, "ZYXCORP GROUP", a) == 0 && pl.n == 3, "the customer's pages");
	is_str(index_spelling(ix, &all, INDEX_CUSTOMER, "ZYXCORP GROUP", a), "Zyxcorp Group", "its spelling for the view's title");
	is_str(index_spelling(ix, &all, INDEX_TAG, "ZLOGISTICS", a), "zlogistics", "a tag's");
	is_str(index_spelling(ix, &all, INDEX_TAG, "no such tag", a), "no such tag", "a value no page has: as given");
	ok(commit("team", 1, "Zy/Team.md", "---\ndepartments: [zfinance]\ncustomer: zyxcorp group\n---\nzfinance team\n") == 0 &&
	   index_catch_up(ix, "wiki", st) == 0 && index_pages_with(&pl, ix, &all, INDEX_CUSTOMER, "zyxcorp group", a) == 0 && pl.n == 4 &&
	   strcmp(pl.v[0].section, "Zfinance") == 0 && strcmp(pl.v[1].section, "Zfinance") == 0,
	   "a customer's pages in one section per department, whatever case each page writes");
	arena_free(a);
	buf_free(&names);
	buf_free(&own);
}

/* Deleted pages are known to the index (index_gone), from catch-ups and, for a first
 * index, from history; a page that is there again is not gone. */
static void
test_gone(struct index *ix)
{
	git_oid where, tip;
	ok(index_gone(ix, "wiki", "Notes.md", &where) == 0 && index_gone(ix, "wiki", "Fox-Farm.md", &where) == 0,
	   "renamed-away and deleted pages are gone");
	git_reference_name_to_id(&tip, st->repo, STORE_BRANCH);
	ok(index_gone(ix, "wiki", "Fox-Farm.md", &where) == 0 && git_oid_equal(&where, &tip) == 0,
	   "recorded at the commit the index caught up to (not the tip now)");
	ok(index_gone(ix, "wiki", "Never-Was.md", &where) == KN_ENOTFOUND, "a page that never was is not gone");
	ok(index_gone(ix, "wiki", "Archive/Old-Notes.md", &where) == KN_ENOTFOUND, "a page that is there is not gone");
	ok(commit("back", 1, "Fox-Farm.md", "the fox is back\n") == 0 && index_catch_up(ix, "wiki", st) == 0 &&
	   index_gone(ix, "wiki", "Fox-Farm.md", &where) == KN_ENOTFOUND, "a page created again is not gone");
	ok(commit("again", 1, "Fox-Farm.md", NULL) == 0 && index_catch_up(ix, "wiki", st) == 0 &&
	   index_gone(ix, "wiki", "Fox-Farm.md", &where) == 0, "and gone again after a second delete");
	/* From scratch: the history walk finds the same. */
	ok(index_rebuild(ix, "wiki", st) == 0, "rebuild the index from git");
	ok(index_gone(ix, "wiki", "Notes.md", &where) == 0 && index_gone(ix, "wiki", "Fox-Farm.md", &where) == 0,
	   "a rebuilt index knows the deleted pages from history");
	git_commit *c = NULL;
	int found = git_commit_lookup(&c, st->repo, &where) == 0 && strcmp(git_commit_summary(c), "again") == 0;
	git_commit_free(c);
	ok(found, "the newest deletion: the commit that deleted it");
	ok(index_gone(ix, "wiki", "Archive/Old-Notes.md", &where) == KN_ENOTFOUND &&
	   index_gone(ix, "wiki", "Never-Was.md", &where) == KN_ENOTFOUND, "pages there now, or never, are not gone");
}

/* The history tables as text (behind the index's back), for comparing two builds. */
static void
dump_history(struct buf *out)
{
	static const char *const q[] = {
		"SELECT seq, id, author, email, time, offset, summary, merge FROM commits ORDER BY space, seq",
		"SELECT path, seq, change, other FROM page_commits ORDER BY space, path, seq",
		"SELECT path, updated_commit, updated_author, updated_time FROM pages ORDER BY path",
	};
	sqlite3 *db = NULL;
	buf_reset(out);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *s = NULL;
		sqlite3_prepare_v2(db, q[i], -1, &s, NULL);
		while (s && sqlite3_step(s) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(s); c++)
				buf_printf(out, "%s%c", (const char *)sqlite3_column_text(s, c),
					   c + 1 < sqlite3_column_count(s) ? '|' : '\n');
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* Make commit `out` with `parents` (np of them) and main's tree with `path` set to `text`. */
static int
raw_commit(git_oid *out, const git_oid *parents, size_t np, const git_oid *tree_of, const char *path,
	   const char *text, const char *msg)
{
	git_commit *pc[2] = { NULL, NULL }, *base = NULL;
	git_tree *bt = NULL, *nt = NULL;
	git_signature *sig = NULL;
	git_tree_update up = { GIT_TREE_UPDATE_UPSERT, { { 0 } }, GIT_FILEMODE_BLOB, path };
	git_oid tid;
	int rc = -1;
	if (git_blob_create_from_buffer(&up.id, st->repo, text, strlen(text)) == 0 &&
	    git_commit_lookup(&base, st->repo, tree_of) == 0 && git_commit_tree(&bt, base) == 0 &&
	    git_tree_create_updated(&tid, st->repo, bt, 1, &up) == 0 && git_tree_lookup(&nt, st->repo, &tid) == 0 &&
	    git_signature_now(&sig, "Merger", "merger@example.com") == 0 &&
	    git_commit_lookup(&pc[0], st->repo, &parents[0]) == 0 &&
	    (np < 2 || git_commit_lookup(&pc[1], st->repo, &parents[1]) == 0))
		rc = git_commit_create(out, st->repo, NULL, sig, sig, NULL, msg, nt, np, (const git_commit **)pc);
	git_commit_free(pc[0]);
	git_commit_free(pc[1]);
	git_commit_free(base);
	git_tree_free(bt);
	git_tree_free(nt);
	git_signature_free(sig);
	return rc;
}

/* History from the index (index_history.c): renames followed, merges counted only for the
 * files that differ from every parent, and the same tables from `git log` (a first index)
 * as from libgit2's walk (catch-ups, and a first index without git). */
static void
test_history(struct index *ix)
{
	struct arena *a = arena_new();
	struct index_changes h;
	git_oid t, x, y, m, q;
	git_reference *ref = NULL;
	ok(commit("old notes", 1, "Old-Name.md", "kept across the rename\n") == 0 &&
	   commit("renamed", 2, "Old-Name.md", NULL, "New-Name.md", "kept across the rename\n") == 0 &&
	   index_catch_up(ix, "wiki", st) == 0, "a page renamed");
	ok(index_page_history(&h, ix, &all, "wiki", "New-Name.md", 0, 10, a) == 0 && h.n == 2 && h.v[0].change == 'R' &&
	   strcmp(h.v[0].other, "Old-Name.md") == 0 && h.v[1].change == 'A' && strcmp(h.v[1].path, "Old-Name.md") == 0,
	   "its history goes on under the old name");
	ok(index_page_history(&h, ix, &all, "wiki", "New-Name.md", 1, 10, a) == 0 && h.n == 1 && h.v[0].change == 'A',
	   "and pages through the rename");
	/* two branches and a merge that also changes a third page itself */
	git_reference_name_to_id(&t, st->repo, STORE_BRANCH);
	ok(raw_commit(&x, &t, 1, &t, "Left.md", "left side\n", "left") == 0 &&
	   raw_commit(&y, &t, 1, &t, "Right.md", "right side\n", "right") == 0 &&
	   raw_commit(&q, &x, 1, &y, "Left.md", "left side\n", "tmp") == 0, "two branches");
	git_oid two[2] = { x, y };
	ok(raw_commit(&m, two, 2, &q, "Merged-Only.md", "made in the merge\n", "merge both") == 0 &&
	   git_reference_create(&ref, st->repo, STORE_BRANCH, &m, 1, "merge") == 0 && index_catch_up(ix, "wiki", st) == 0,
	   "merged on main");
	git_reference_free(ref);
	char mhex[GIT_OID_HEXSZ + 1], xhex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(mhex, sizeof(mhex), &m);
	git_oid_tostr(xhex, sizeof(xhex), &x);
	ok(index_page_history(&h, ix, &all, "wiki", "Merged-Only.md", 0, 10, a) == 0 && h.n == 1 && strcmp(h.v[0].id, mhex) == 0,
	   "a file the merge made is the merge's");
	ok(index_page_history(&h, ix, &all, "wiki", "Left.md", 0, 10, a) == 0 && h.n == 1 && strcmp(h.v[0].id, xhex) == 0,
	   "a file from one side is that side's commit, not the merge's");
	ok(index_recent_changes(&h, ix, &all, NULL, INDEX_KEYS, NULL, NULL, 50, a) == 0 && h.n > 0 &&
	   strcmp(h.v[0].id, mhex) != 0, "recent changes leave the merge out");
	/* a first index: git log and the libgit2 walk record the same */
	struct buf via_git = BUF_INIT, via_walk = BUF_INIT;
	char *path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	ok(index_rebuild(ix, "wiki", st) == 0, "rebuild (git log)");
	dump_history(&via_git);
	setenv("PATH", "/nonexistent", 1); /* no git: the walk */
	ok(index_rebuild(ix, "wiki", st) == 0, "rebuild without git (libgit2's walk)");
	dump_history(&via_walk);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	ok(via_git.len > 100 && strcmp(via_git.ptr, via_walk.ptr) == 0, "the same history both ways");
	buf_free(&via_git);
	buf_free(&via_walk);
	arena_free(a);
}

/* Statements built at run time are kept by their text: the same text is the same prepared
 * statement; past INDEX_TSTMTS the least recently used gives way, never one running nor
 * the one handed out just before. */
static void
test_stmt_cache(struct index *ix)
{
	char sql[64];
	sqlite3_stmt *a = index_stmt_text(ix, "SELECT 'kept'");
	ok(a && a == index_stmt_text(ix, "SELECT 'kept'"), "the same text is the same statement");
	ok(sqlite3_step(a) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(a, 0), "kept") == 0,
	   "a kept statement runs");
	/* a is running; many more texts */
	int good = 1;
	sqlite3_stmt *prev = NULL, *prev_again = NULL;
	for (int i = 0; i < 3 * INDEX_TSTMTS; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		sqlite3_stmt *s = index_stmt_text(ix, sql);
		good &= s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == i;
		sqlite3_reset(s);
		if (i == 2 * INDEX_TSTMTS) {
			prev = s;
			snprintf(sql, sizeof(sql), "SELECT %d", 10000 + i); /* one more, at once */
			sqlite3_stmt *t = index_stmt_text(ix, sql);
			good &= t && t != s;
			snprintf(sql, sizeof(sql), "SELECT %d", i);
			prev_again = index_stmt_text(ix, sql);
		}
	}
	ok(good, "%d texts each give their own answer", 3 * INDEX_TSTMTS);
	ok(ix->ntstmts == INDEX_TSTMTS, "at most %d are kept (%zu)", INDEX_TSTMTS, ix->ntstmts);
	ok(prev && prev == prev_again, "the one handed out just before the next stays");
	ok(sqlite3_step(a) == SQLITE_DONE && a == index_stmt_text(ix, "SELECT 'kept'"),
	   "a running statement was not given away");
}

int
main(void)
{
	char dir[] = "/tmp/kennis-index-XXXXXX", gitdir[64];
	struct index *ix = NULL;
	git_libgit2_init();
	render_global_init();
	log_min_level = getenv("LOG") ? LOG_INFO : LOG_ERROR + 1;
	if (!mkdtemp(dir))
		return 1;
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/" INDEX_FILE, dir);

	test_parse();
	ok(store_init(gitdir, "/bin/false") == 0 && store_open(&st, gitdir) == 0, "repository");
	ok(index_open(&ix, dbpath) == 0, "open a new index");
	ok(index_catch_up(ix, "wiki", st) == 0, "first catch-up indexes the starter wiki");
	ok(search(ix, "welcome", NULL) >= 1, "starter Home is found");
	ok(index_catch_up(ix, "wiki", st) == 0, "nothing changed: nothing to do");
	test_search(ix);
	test_views(ix);
	test_changes(ix);
	test_gone(ix);
	test_relink(ix);
	test_history(ix);
	test_stmt_cache(ix);
	test_ranking(ix);
	test_tiers(ix);
	test_hostile(ix);
	test_budget(ix);
	test_damage(&ix, dir);
	test_threads(dir);

	index_close(ix);
	search_global_release();
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	render_global_release();
	git_libgit2_shutdown();
	return tap_done();
}
