/* fuzz_scope.c: search_run on a real index of two spaces: whatever the query, answers (hits, totals, facets) come only from the spaces of the viewer's scope. */
#include "fuzz.h"

#include <strings.h>
#include <unistd.h>

#include "search.h"
#include "render.h"

/* The wiki and a confidential space, each with pages that share words, names and values
 * with the other's, and values of its own (the finance ones must never show to a viewer
 * of the wiki alone). */
struct page {
	const char *path, *text;
};

static const struct page wiki_pages[] = {
	{ "Home.md", "# Home\n\nWelcome. Budget meeting notes, zebra crossing, gateway.\n" },
	{ "Customers/Acme-Corp.md", "---\ncustomer: Acme Corp\ntags: [vip, budget]\ndepartments: Sales\n---\n"
				    "# Acme\n\nGateway timeout budget at the customer's site. Café naïve.\n" },
	{ "Notes/Plan.md", "---\ntags: plan\nowner: ada\n---\nThe plan for budget 2026, zebra, a—b, 日本語.\n" },
	{ "_Sidebar.md", "[[Home]] budget zebra\n" },
};

static const struct page finance_pages[] = {
	{ "Payroll.md", "---\ncustomer: Secretcorp\ntags: [payroll, budget]\ndepartments: Finance\n---\n"
			"# Payroll\n\nSalaries zebraquok budget secret gateway plan.\n" },
	{ "Customers/Acme-Corp.md", "---\ncustomer: Acme Corp\ntags: [secretag]\ndepartments: [Finance, Sales]\n---\n"
				    "Acme secret rebate budget gateway café.\n" },
	{ "Budget.md", "---\ntags: budget\n---\nBudget 2026 zebra plan, naïve 日本語 forecast.\n" },
	{ "_Footer.md", "secret footer budget zebraquok\n" },
};

/* What each space holds, for the oracle: page names and the values of each facet kind. */
struct holds {
	const char *names[8];
	size_t nnames;
	const char *values[SF_KINDS][16];
	size_t nvalues[SF_KINDS];
};

static const char *const space_names[2] = { "wiki", "finance" };
static struct holds holds[2];
static struct index *ix;
static char dir[4200];

static void
hold_values(struct holds *h, enum search_filter k, const char *list)
{
	/* "a, b" or "a" */
	char *copy = xstrdup(list), *save = NULL;
	for (char *v = strtok_r(copy, ",[]", &save); v; v = strtok_r(NULL, ",[]", &save)) {
		while (*v == ' ')
			v++;
		if (*v && h->nvalues[k] < 16)
			h->values[k][h->nvalues[k]++] = xstrdup(v);
	}
	free(copy);
}

/* The names and front matter values of `pages`, read the simple way (one line a key). */
static void
hold(struct holds *h, const struct page *pages, size_t n)
{
	static const char *const keys[SF_KINDS] = { "customer: ", "tags: ", "departments: " };
	for (size_t i = 0; i < n; i++) {
		h->names[h->nnames++] = xstrndup(pages[i].path, strlen(pages[i].path) - 3);
		for (int k = 0; k < SF_KINDS; k++) {
			const char *at = strstr(pages[i].text, keys[k]);
			if (at) {
				char *line = xstrndup(at + strlen(keys[k]), strcspn(at + strlen(keys[k]), "\n"));
				hold_values(h, (enum search_filter)k, line);
				free(line);
			}
		}
	}
	/* a page under Customers/ has its folder's customer too */
	h->values[SF_CUSTOMER][h->nvalues[SF_CUSTOMER]++] = "Acme Corp";
}

static void
make_space(int i, const struct page *pages, size_t n)
{
	struct store_edit e[8];
	struct store *st = NULL;
	char gitdir[4300];
	memset(e, 0, sizeof(e));
	for (size_t k = 0; k < n; k++) {
		e[k].path = pages[k].path;
		e[k].content = pages[k].text;
		e[k].len = strlen(pages[k].text);
	}
	snprintf(gitdir, sizeof(gitdir), "%s/%s.git", dir, space_names[i]);
	if (store_init_with(gitdir, "/bin/false", e, n, "pages") < 0 || store_open(&st, gitdir) < 0 ||
	    index_catch_up(ix, space_names[i], st) < 0) {
		fprintf(stderr, "fuzz_scope: cannot make space %s in %s\n", space_names[i], dir);
		abort();
	}
	store_close(st);
	hold(&holds[i], pages, n);
}

static void
cleanup(void)
{
	char cmd[4300];
	index_close(ix);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_scope: could not remove %s\n", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char db[4300];
	fuzz_quiet();
	git_libgit2_init();
	render_global_init();
	snprintf(dir, sizeof(dir), "%s/kennis-fuzz-scope.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(db, sizeof(db), "%s/" INDEX_FILE, dir);
	if (index_open(&ix, db) < 0)
		abort();
	atexit(cleanup);
	make_space(0, wiki_pages, sizeof(wiki_pages) / sizeof(wiki_pages[0]));
	make_space(1, finance_pages, sizeof(finance_pages) / sizeof(finance_pages[0]));
	return 0;
}

static int
in_scope(const struct index_scope *sc, const char *space)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->spaces[i], space) == 0)
			return 1;
	return 0;
}

/* Does a space of the scope hold page `name` (as its space says), or value `v` of kind k? */
static int
holds_name(const char *space, const char *name)
{
	for (int s = 0; s < 2; s++)
		if (strcmp(space, space_names[s]) == 0)
			for (size_t i = 0; i < holds[s].nnames; i++)
				if (strcmp(holds[s].names[i], name) == 0)
					return 1;
	return 0;
}

static int
holds_value(const struct index_scope *sc, int k, const char *v)
{
	for (int s = 0; s < 2; s++)
		if (in_scope(sc, space_names[s]))
			for (size_t i = 0; i < holds[s].nvalues[k]; i++)
				if (strcasecmp(holds[s].values[k][i], v) == 0)
					return 1;
	return 0;
}

/* The input: a byte for the viewer's scope (none, the wiki, finance, both) and the results
 * page, then the search box's text. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const both[] = { "wiki", "finance" };
	static const struct index_scope scopes[4] = { { NULL, 0 }, { both, 1 }, { both + 1, 1 }, { both, 2 } };
	if (size == 0)
		return 0;
	const struct index_scope *sc = &scopes[data[0] & 3];
	char *text = fuzz_str(data + 1, size - 1);
	struct arena *a = arena_new();
	struct search_query q;
	struct search_result res;
	search_parse(&q, a, text);
	q.page = 1 + ((data[0] >> 2) & 3);
	int rc = search_run(&res, ix, sc, &q, a);
	FUZZ_CHECK(rc == 0, "search_run returned %d", rc);
	size_t pages = 0;
	for (int s = 0; s < 2; s++)
		pages += in_scope(sc, space_names[s]) ? holds[s].nnames : 0;
	FUZZ_CHECK(res.total <= pages && res.nhits <= res.total && res.nhits <= SEARCH_PAGE_SIZE,
		   "%zu hits of %zu from %zu pages in the scope", res.nhits, res.total, pages);
	for (size_t i = 0; i < res.nhits; i++) {
		const struct search_hit *h = &res.hits[i];
		FUZZ_CHECK(h->space && in_scope(sc, h->space), "a hit from space '%s' outside the scope (%zu spaces)",
			   h->space ? h->space : "(null)", sc->n);
		FUZZ_CHECK(holds_name(h->space, h->name), "a hit '%s' that space '%s' does not hold", h->name, h->space);
	}
	for (int k = 0; k < SF_KINDS; k++)
		for (size_t i = 0; i < res.nfacets[k]; i++) {
			const struct search_facet *f = &res.facets[k][i];
			FUZZ_CHECK(f->count <= res.total && holds_value(sc, k, f->value),
				   "%s facet '%s' (%u pages) that no space of the scope has", search_filter_name(k), f->value,
				   f->count);
		}
	arena_free(a);
	free(text);
	return 0;
}
