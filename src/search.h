/* search.h: full-text search of the index: the query language, ranked results with
 * highlighted snippets, filters and facets. */
#ifndef KENNIS_SEARCH_H
#define KENNIS_SEARCH_H

#include <stdint.h>

#include "index.h"
#include "kennis.h"

#define SEARCH_PAGE_SIZE   20
#define SEARCH_MAX_QUERY   1024 /* bytes of the query text that are read; the rest is ignored */
#define SEARCH_MAX_TERMS   32   /* words and phrases */
#define SEARCH_MAX_WORDS   64   /* words in all terms together (a phrase counts its words) */
#define SEARCH_MAX_PREFIX  8    /* prefix terms (foo*); later ones are searched as words */
#define SEARCH_MAX_FILTERS 8    /* per kind (customer, tag, dept) */
#define SEARCH_MAX_PAGE    500  /* deepest results page served */
#define SEARCH_FACETS      12   /* values shown per facet */

enum search_filter { SF_CUSTOMER, SF_TAG, SF_DEPT, SF_KINDS };

/* A parsed query. `match` is an FTS5 expression built by search_parse from quoted terms
 * only, so no user input can make it a syntax error; NULL when there are no terms. */
struct search_query {
	const char *match;
	const char *text;    /* the query text as read: cut, control bytes and bad UTF-8 dropped */
	const char *filters[SF_KINDS][SEARCH_MAX_FILTERS];
	size_t nfilters[SF_KINDS];
	const char *spaces[SEARCH_MAX_FILTERS]; /* space:NAME: only these spaces (of the scope) */
	size_t nspaces;
	size_t nterms;
	size_t nwords;   /* words in the terms, counted from above (SEARCH_MAX_WORDS) */
	size_t nprefix;  /* prefix terms (SEARCH_MAX_PREFIX) */
	unsigned page;   /* 1-based */
	int truncated;   /* words, prefixes, filters or bytes over the limits were ignored */
};

/* Parse `text` (the search box: words, "phrases", prefix*, customer:X tag:X dept:X, values
 * may be quoted) into `q`; strings live in arena `a`. FTS operators (AND OR NOT NEAR, ^,
 * parentheses, column filters) lose their meaning; control bytes and invalid UTF-8 are
 * dropped. A repeated term is searched once; terms beyond the limits above are dropped
 * (prefixes: searched as words) and `truncated` set. Never fails. `q->page` is set to 1. */
void search_parse(struct search_query *q, struct arena *a, const char *text);
/* Add a filter (from a query parameter); ignored when empty or over the limit. Kind
 * SF_KINDS is space:NAME (only that space of the scope is searched). */
void search_add_filter(struct search_query *q, struct arena *a, enum search_filter kind, const char *value);
/* "customer", "tag", "dept" */
const char *search_filter_name(enum search_filter kind);

struct search_hit {
	const char *name;        /* page name, "Customers/Acme-Corp" */
	const char *title;       /* plain text */
	const char *title_html;  /* escaped, matches in <mark> */
	const char *snippet_html;/* escaped, matches in <mark>, "…" where text was cut */
	const char *customer;    /* "" when none */
	const char *updated_author;
	int64_t updated_time;    /* seconds since the epoch; 0 unknown */
	int updated_offset;      /* minutes east of UTC */
	const char *space;       /* the page's space: "wiki", "finance" */
};

struct search_facet {
	const char *value;
	unsigned count;
};

struct search_result {
	size_t total;            /* matching pages */
	struct search_hit *hits; /* this page of them (at most SEARCH_PAGE_SIZE) */
	size_t nhits;
	struct search_facet *facets[SF_KINDS]; /* most frequent values among all matches */
	size_t nfacets[SF_KINDS];
	int partial; /* the ranking stopped at its work budget: total, facets and the pages
		      * shown are of the matches scored until then */
};

/* Run `q` against the index (caught up by the caller), as far as `scope` lets the viewer
 * see it: matches ranked by bm25 (title weighted 10, body 1), or by title when the query
 * has only filters; the scores of a MATCH expression and the results shown are kept for
 * all threads (search_configure_cache), so other pages and filters of a search are cheap.
 * Pages with a part starting with '_' (frames such as _Sidebar, templates in _Templates/)
 * are indexed but never found. Result memory lives in arena `a`. A query with neither
 * terms nor filters gives no results. Returns 0 or KN_EIO. */
int search_run(struct search_result *res, struct index *ix, const struct index_scope *scope, const struct search_query *q,
	       struct arena *a);

/* Append `s` HTML-escaped, with \x01 ... \x02 (the marks of snippet() and highlight())
 * turned into <mark> ... </mark>; unbalanced marks are closed. */
void search_marks_to_html(struct buf *out, const char *s);


/* Memory for search results shared by all threads (default 32 MiB; 0: none kept). */
void search_configure_cache(size_t bytes);
/* Free what searches keep across threads (at exit, for leak checkers). */
void search_global_release(void);

#endif
