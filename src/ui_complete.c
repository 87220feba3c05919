/* ui_complete.c: page names for the editor's [[ autocomplete, as JSON (GET /complete?q=). */
#include "ui.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pagename.h"

#define COMPLETE_MAX 20      /* suggestions in one answer */
#define COMPLETE_SCAN 20000  /* files looked at, at most: bounds the cost on a huge wiki */
#define COMPLETE_QUERY 200   /* bytes of query; a longer one matches nothing */
#define STOP (-1)            /* ends store_walk (git_tree_walk takes a positive value as "skip") */

/* The walk's state. Names that start with the query (or whose last part does) come first;
 * other names that contain it fill up the answer. */
struct complete {
	const char *q;     /* the query, blanks as '-' (as in page names) */
	size_t qlen, scanned, nprefix, nother;
	json_t *prefix, *other;
	struct buf name, title;
};

/* A name the user would link to: no part starting with '_' (_Sidebar, _Templates/...). */
static int
linkable(const char *name)
{
	for (const char *p = name; p; p = strchr(p, '/')) {
		p += *p == '/';
		if (*p == '_')
			return 0;
	}
	return 1;
}

static int
starts_with(const char *s, const char *q, size_t n)
{
	return strncasecmp(s, q, n) == 0;
}

static void
add_match(struct complete *c, json_t *list, size_t *count)
{
	json_t *o = json_pack("{s:s, s:s}", "name", c->name.ptr, "title", buf_cstr(&c->title));
	if (o && json_array_append_new(list, o) == 0)
		(*count)++;
	/* json_pack refuses text that is not UTF-8: such a name is simply not offered */
}

static int
complete_one(const char *path, void *payload)
{
	struct complete *c = payload;
	if (++c->scanned > COMPLETE_SCAN)
		return STOP;
	buf_reset(&c->name);
	if (pagename_from_path(&c->name, path, strlen(path)) < 0 || !linkable(c->name.ptr))
		return 0;
	const char *leaf = strrchr(c->name.ptr, '/');
	leaf = leaf ? leaf + 1 : c->name.ptr;
	int prefix = starts_with(c->name.ptr, c->q, c->qlen) || starts_with(leaf, c->q, c->qlen);
	if (!prefix && (c->nother >= COMPLETE_MAX || !strcasestr(c->name.ptr, c->q)))
		return 0;
	buf_reset(&c->title);
	pagename_title(&c->title, c->name.ptr);
	if (prefix)
		add_match(c, c->prefix, &c->nprefix);
	else
		add_match(c, c->other, &c->nother);
	return c->nprefix >= COMPLETE_MAX ? STOP : 0; /* enough of the best kind */
}

/* The query as page names spell it: trimmed, blanks as '-'. */
static char *
normalize_query(struct arena *a, const char *q)
{
	while (*q == ' ')
		q++;
	char *out = arena_strdup(a, q);
	size_t n = strlen(out);
	while (n && out[n - 1] == ' ')
		out[--n] = '\0';
	for (char *p = out; *p; p++)
		if (*p == ' ' || *p == '\t')
			*p = '-';
	return out;
}

/* GET /complete?q=TEXT: {"pages":[{"name":"Customers/Acme-Corp","title":"Acme Corp"},...]},
 * at most COMPLETE_MAX, names matching TEXT case-insensitively (ASCII), those starting
 * with it first, in tree order. Walks the snapshot's tree and stops after COMPLETE_SCAN
 * files, so on a very large wiki a match late in the tree may be missed. */
int
ui_complete(struct req *r)
{
	const char *q = req_query(r, "q");
	struct complete c = { .prefix = json_array(), .other = json_array(), .name = BUF_INIT, .title = BUF_INIT };
	struct snap s;
	int rc = 0;
	q = normalize_query(r->a, q ? q : "");
	c.q = q;
	c.qlen = strlen(q);
	if (c.qlen <= COMPLETE_QUERY && utf8_valid(q, c.qlen)) {
		if ((rc = store_snap_open(&s, r->st, NULL)) < 0)
			goto done;
		store_walk(&s, complete_one, &c);
		store_snap_close(&s);
	}
	for (size_t i = 0; i < json_array_size(c.other) && json_array_size(c.prefix) < COMPLETE_MAX; i++)
		json_array_append(c.prefix, json_array_get(c.other, i));
	json_t *doc = json_pack("{s:O}", "pages", c.prefix);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		abort(); /* out of memory: the only way these calls fail here */
	buf_puts(&r->out, text);
	free(text);
	json_decref(doc);
	r->content_type = "application/json";
	resp_header(r, "Cache-Control", "no-store");
done:
	json_decref(c.prefix);
	json_decref(c.other);
	buf_free(&c.name);
	buf_free(&c.title);
	return rc;
}
