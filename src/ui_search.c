/* ui_search.c: the search page: full-text results, highlighted snippets, filters and facets. */
#include "ui.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "search.h"

/* A filter that came as a query parameter (the search box keeps its own in the text). */
struct param_filter {
	enum search_filter kind;
	const char *value;
};

struct search_page {
	struct req *r;
	const char *text;
	struct param_filter pf[SF_KINDS * SEARCH_MAX_FILTERS];
	size_t npf;
};

/* This search's address: the text, the parameter filters except number `drop`, plus
 * `add_value` as a filter of kind `add`, and a results page. */
static const char *
search_url(const struct search_page *sp, size_t drop, int add, const char *add_value, unsigned page)
{
	struct buf u = BUF_INIT;
	buf_puts(&u, "/search?q=");
	url_escape(&u, sp->text, strlen(sp->text), 0);
	for (size_t i = 0; i < sp->npf; i++) {
		if (i == drop)
			continue;
		buf_printf(&u, "&%s=", search_filter_name(sp->pf[i].kind));
		url_escape(&u, sp->pf[i].value, strlen(sp->pf[i].value), 0);
	}
	if (add_value) {
		buf_printf(&u, "&%s=", search_filter_name((enum search_filter)add));
		url_escape(&u, add_value, strlen(add_value), 0);
	}
	if (page > 1)
		buf_printf(&u, "&page=%u", page);
	const char *out = arena_strndup(sp->r->a, u.ptr, u.len);
	buf_free(&u);
	return out;
}

/* Filters from ?customer=&tag=&dept= (each may repeat), added to the parsed query. */
static void
param_filters(struct search_page *sp, struct search_query *q)
{
	const struct kvlist *l = &sp->r->query;
	for (size_t i = 0; i < l->n; i++)
		for (int k = 0; k < SF_KINDS; k++) {
			if (strcmp(l->v[i].key, search_filter_name((enum search_filter)k)) != 0)
				continue;
			size_t before = q->nfilters[k];
			search_add_filter(q, sp->r->a, (enum search_filter)k, l->v[i].val);
			if (q->nfilters[k] > before)
				sp->pf[sp->npf++] = (struct param_filter){ (enum search_filter)k, q->filters[k][before] };
		}
}

static void
set_filters(struct search_page *sp, struct tctx *c)
{
	for (size_t i = 0; i < sp->npf; i++) {
		struct tctx *f = tadd(c, "filters");
		tset(f, "kind", search_filter_name(sp->pf[i].kind));
		tset(f, "value", sp->pf[i].value);
		tset(f, "remove", search_url(sp, i, 0, NULL, 1));
	}
	if (sp->npf)
		tset(c, "has_filters", "1");
}

static int
filtered(const struct search_query *q, int kind, const char *value)
{
	for (size_t i = 0; i < q->nfilters[kind]; i++)
		if (strcasecmp(q->filters[kind][i], value) == 0)
			return 1;
	return 0;
}

/* Facet values as links that add the filter; values already filtered on are left out. */
static void
set_facets(struct search_page *sp, struct tctx *c, const struct search_query *q, const struct search_result *res)
{
	static const char *const labels[SF_KINDS] = { "Customers", "Tags", "Departments" };
	for (int k = 0; k < SF_KINDS; k++) {
		struct tctx *g = NULL;
		for (size_t i = 0; i < res->nfacets[k]; i++) {
			const struct search_facet *f = &res->facets[k][i];
			if (filtered(q, k, f->value))
				continue;
			if (!g) {
				g = tadd(c, "facet_groups");
				tset(g, "label", labels[k]);
				tset(g, "facet_kind", search_filter_name((enum search_filter)k));
				tset(c, "has_facets", "1");
			}
			struct tctx *v = tadd(g, "values");
			tset(v, "value", f->value);
			tsetf(v, "count", "%u", f->count);
			tset(v, "href", search_url(sp, SIZE_MAX, k, f->value, 1));
		}
	}
}

static void
set_results(struct search_page *sp, struct tctx *c, const struct search_query *q, const struct search_result *res)
{
	size_t first = (size_t)(q->page - 1) * SEARCH_PAGE_SIZE;
	if (res->total == 0 || res->nhits == 0) {
		tset(c, res->total ? "past_end" : "no_results", "1");
		if (res->total)
			tsetf(c, "total", "%zu", res->total);
		if (q->page > 1 && res->total)
			tset(c, "first_href", search_url(sp, SIZE_MAX, 0, NULL, 1));
		return;
	}
	tsetf(c, "total", "%zu", res->total);
	tset(c, "pages_word", res->total == 1 ? "page matches" : "pages match");
	tsetf(c, "from", "%zu", first + 1);
	tsetf(c, "to", "%zu", first + res->nhits);
	for (size_t i = 0; i < res->nhits; i++) {
		const struct search_hit *h = &res->hits[i];
		struct tctx *it = tadd(c, "results");
		ui_space_vars(sp->r, it, h->space);
		char when[64] = "";
		if (h->updated_time)
			ui_format_time(when, sizeof(when), h->updated_time, h->updated_offset);
		tset(it, "name", h->name);
		tset_html(it, "title_html", h->title_html);
		tset_html(it, "snippet", h->snippet_html);
		tset(it, "customer", h->customer);
		tset(it, "customer_href", *h->customer ? search_url(sp, SIZE_MAX, SF_CUSTOMER, h->customer, 1) : "");
		tset(it, "date", when);
		tset(it, "author", h->updated_author);
	}
	if (q->page > 1)
		tset(c, "prev_href", search_url(sp, SIZE_MAX, 0, NULL, q->page - 1));
	if (first + res->nhits < res->total && q->page < SEARCH_MAX_PAGE)
		tset(c, "next_href", search_url(sp, SIZE_MAX, 0, NULL, q->page + 1));
}

int
ui_search(struct req *r)
{
	const char *pg = req_query(r, "page");
	struct search_page sp = { .r = r };
	struct search_query q;
	struct search_result res;
	long page = pg ? strtol(pg, NULL, 10) : 1;

	search_parse(&q, r->a, req_query(r, "q"));
	sp.text = q.text;
	param_filters(&sp, &q);
	q.page = page >= 1 && page <= SEARCH_MAX_PAGE ? (unsigned)page : 1;

	int blank = q.text[strspn(q.text, " ")] == '\0';
	struct tctx *c = ui_context(r, blank ? "Search" : arena_printf(r->a, "Search: %s", q.text));
	tset(c, "q", q.text);
	set_filters(&sp, c);
	if (q.truncated)
		tsetf(c, "notice", "Your search was long: only part of it was used (at most %d terms of %d words in all, "
				   "%d of them prefixes, and %d filters of a kind).",
		      SEARCH_MAX_TERMS, SEARCH_MAX_WORDS, SEARCH_MAX_PREFIX, SEARCH_MAX_FILTERS);
	if (!q.match && !q.nfilters[SF_CUSTOMER] && !q.nfilters[SF_TAG] && !q.nfilters[SF_DEPT]) {
		if (!blank) /* only operators or punctuation */
			tset(c, "no_results", "1");
		return ui_render(r, "search", c);
	}
	tset(c, "searched", "1");
	struct index *ix = ui_index(r);
	int rc = ix ? search_run(&res, ix, ui_scope(r), &q, r->a) : KN_EIO;
	if (rc < 0) {
		tset(c, "unavailable", "1");
		resp_header(r, "Retry-After", "5");
		return ui_render_answer(r, KN_EBUSY, "search", c);
	}
	if (res.partial)
		tset(c, "notice", "This search matched more text than one search may go through: the results are "
				  "from the pages it went through first. Fewer or rarer words find the rest.");
	set_results(&sp, c, &q, &res);
	set_facets(&sp, c, &q, &res);
	return ui_render(r, "search", c);
}
