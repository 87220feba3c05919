/* page.c: a page's text as kennis reads it: front matter, its values, headings, code fences, log sections. */
#include "page.h"

#include <string.h>
#include <strings.h>
#include <yaml.h>

size_t
page_split(const char *s, size_t n, const char **fm, size_t *fm_len)
{
	*fm = NULL;
	*fm_len = 0;
	if (n < 4 || strncmp(s, "---", 3) != 0 || (s[3] != '\n' && !(s[3] == '\r' && n > 4 && s[4] == '\n')))
		return 0;
	const char *start = (const char *)memchr(s, '\n', n) + 1, *p = start, *end = s + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t len = (size_t)(le - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 3 && (strncmp(p, "---", 3) == 0 || strncmp(p, "...", 3) == 0)) {
			*fm = start;
			*fm_len = (size_t)(p - start);
			return nl ? (size_t)(nl + 1 - s) : n;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* --- front matter ------------------------------------------------------------------------ */

/* A YAML scalar as a one-line value: control bytes become spaces, trimmed, cut at
 * PAGE_VALUE_MAX bytes (on a character boundary). NULL when nothing is left. */
static const char *
clean_value(struct arena *a, const unsigned char *s, size_t n)
{
	char out[PAGE_VALUE_MAX + 1];
	size_t o = 0;
	while (n && (*s <= ' ' || *s == 0x7f))
		s++, n--;
	for (size_t i = 0; i < n && o < PAGE_VALUE_MAX; i++)
		out[o++] = s[i] < ' ' || s[i] == 0x7f ? ' ' : (char)s[i];
	if (n > PAGE_VALUE_MAX) /* cut: s[o] is the first byte left out (out[i] is s[i]'s) */
		while (o && (s[o] & 0xC0) == 0x80)
			o--; /* it continues a character: drop that character's bytes before it */
	while (o && out[o - 1] == ' ')
		o--;
	return o ? arena_strndup(a, out, o) : NULL;
}

static const char *
scalar_value(struct arena *a, yaml_node_t *v)
{
	return v && v->type == YAML_SCALAR_NODE ? clean_value(a, v->data.scalar.value, v->data.scalar.length) : NULL;
}

/* A growing list of strings in the arena (at most PAGE_LIST_MAX). */
static void
list_add(struct arena *a, const char ***v, size_t *n, const char *s)
{
	if (!s || *n == PAGE_LIST_MAX)
		return;
	if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
		const char **bigger = arena_alloc(a, (*n ? *n * 2 : 1) * sizeof(char *));
		if (*n)
			memcpy(bigger, *v, *n * sizeof(char *));
		*v = bigger;
	}
	(*v)[(*n)++] = s;
}

/* What reading one front matter may cost. The YAML's bytes bound everything it holds, but an
 * alias ("other: *a") repeats a node without repeating its bytes: 64 KiB of aliases to a
 * list of 10,000 items made 46 million values (1 GB, 2 s) at each page view and index run
 * (found by fuzz_frontmatter). So both are spent from budgets of the YAML's length: the
 * bytes of the fields as written (and 1 a value or item), the list items looked at for
 * known values. A page without aliases never reaches either. */
struct budget {
	size_t bytes, items;
};

/* A scalar or a list of scalars ("tags: [a, b]", "departments: Sales"), cleaned, while the
 * list has room and the budget lasts. */
static void
scalar_list(struct arena *a, const char ***v, size_t *n, yaml_document_t *doc, yaml_node_t *node, struct budget *b)
{
	if (node && node->type == YAML_SCALAR_NODE) {
		list_add(a, v, n, scalar_value(a, node));
	} else if (node && node->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top && *n < PAGE_LIST_MAX && b->items; it++, b->items--)
			list_add(a, v, n, scalar_value(a, yaml_document_get_node(doc, *it)));
	}
}

/* The first scalar of a scalar or a list, cleaned ("customer: [Acme, Other]" is Acme). */
static const char *
first_scalar(struct arena *a, yaml_document_t *doc, yaml_node_t *node, struct budget *b)
{
	if (node && node->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top && b->items;
		     it++, b->items--) {
			const char *v = scalar_value(a, yaml_document_get_node(doc, *it));
			if (v)
				return v;
		}
		return NULL;
	}
	return scalar_value(a, node);
}

static int
key_is(yaml_node_t *k, const char *a, const char *b)
{
	const char *s = (const char *)k->data.scalar.value;
	size_t n = k->data.scalar.length;
	return (strlen(a) == n && strncasecmp(s, a, n) == 0) || (b && strlen(b) == n && strncasecmp(s, b, n) == 0);
}

/* A scalar's bytes as written, when the budget still has room for them (and 1 for the
 * value itself); else NULL. */
static const char *
spend(struct arena *a, struct budget *b, const yaml_node_t *s)
{
	if (s->data.scalar.length >= b->bytes)
		return NULL;
	b->bytes -= s->data.scalar.length + 1;
	return arena_strndup(a, (const char *)s->data.scalar.value, s->data.scalar.length);
}

/* The key's values as written, for showing, while the budget lasts. */
static void
add_field(struct page_meta *m, struct arena *a, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *v, struct budget *b)
{
	const char *key = spend(a, b, k);
	if (!key)
		return;
	struct page_field *f = &m->fields[m->nfields++];
	f->key = key;
	if (v->type == YAML_SCALAR_NODE) {
		f->values = arena_alloc(a, sizeof(char *));
		if ((f->values[0] = spend(a, b, v)))
			f->nvalues = 1;
	} else if (v->type == YAML_SEQUENCE_NODE) {
		f->list = 1;
		size_t items = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		f->values = arena_alloc(a, (items < b->bytes ? items + 1 : b->bytes + 1) * sizeof(char *));
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top && b->bytes; it++) {
			yaml_node_t *e = yaml_document_get_node(doc, *it);
			const char *val = e && e->type == YAML_SCALAR_NODE ? spend(a, b, e) : NULL;
			if (val)
				f->values[f->nvalues++] = val;
			else if (e && e->type == YAML_SCALAR_NODE)
				break; /* out of budget */
			else
				b->bytes--; /* an item not shown ("[]") costs its visit */
		}
	}
}

/* One top-level key: the known ones into their fields (the first of a scalar wins, so a
 * repeat costs nothing), every one into m->fields. */
static void
read_key(struct page_meta *m, struct arena *a, yaml_document_t *doc, yaml_node_t *k, yaml_node_t *v, struct budget *b)
{
	add_field(m, a, doc, k, v, b);
	if (key_is(k, "title", NULL)) {
		if (!m->title)
			m->title = scalar_value(a, v);
	} else if (key_is(k, "customer", NULL)) {
		if (!m->customer)
			m->customer = first_scalar(a, doc, v, b); /* a list: the first customer */
	} else if (key_is(k, "owner", NULL)) {
		if (!m->owner)
			m->owner = scalar_value(a, v);
	} else if (key_is(k, "review-by", "review_by")) {
		if (!m->review_by)
			m->review_by = scalar_value(a, v);
	} else if (key_is(k, "tags", "tag")) {
		scalar_list(a, &m->tags, &m->ntags, doc, v, b);
	} else if (key_is(k, "departments", "department")) {
		scalar_list(a, &m->depts, &m->ndepts, doc, v, b);
	} else if (key_is(k, "log", NULL)) {
		const char *val = scalar_value(a, v);
		m->log = val && strcasecmp(val, "true") == 0;
	}
}

void
page_meta_parse(struct page_meta *m, struct arena *a, const char *fm, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	memset(m, 0, sizeof(*m));
	if (!fm)
		return;
	if (len > PAGE_FM_MAX) {
		m->error = "front matter too long";
		return;
	}
	if (!yaml_parser_initialize(&p)) {
		m->error = "front matter cannot be read";
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)fm, len);
	if (!yaml_parser_load(&p, &doc)) {
		/* line numbers of the page: the YAML starts on its second line */
		m->error = arena_printf(a, "%s (line %zu)", p.problem ? p.problem : "invalid YAML", p.problem_mark.line + 2);
		yaml_parser_delete(&p);
		return;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *pr = root->data.mapping.pairs.start, *end = root->data.mapping.pairs.top;
		struct budget b = { len + 1, len + 1 };
		m->mapping = 1;
		m->fields = arena_alloc(a, ((size_t)(end - pr) + 1) * sizeof(*m->fields));
		for (; pr < end; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
			yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
			if (k && v && k->type == YAML_SCALAR_NODE)
				read_key(m, a, &doc, k, v, &b);
		}
	} else if (root) {
		m->error = "front matter is not a list of 'key: value' lines";
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
}

int
page_is_log(const char *s, size_t n)
{
	const char *fm;
	size_t len;
	struct page_meta m;
	page_split(s, n, &fm, &len);
	if (!fm)
		return 0;
	struct arena *a = arena_new();
	page_meta_parse(&m, a, fm, len);
	int log = m.log;
	arena_free(a);
	return log;
}

/* --- block structure ----------------------------------------------------------------------- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Blanks only (a '\r' at the end allowed)? */
static int
blank_line(const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(line[i]) && line[i] != '\r')
			return 0;
	return 1;
}

/* The run of fence characters opening a code fence on this line, or 0. */
static size_t
fence_open(const char *line, size_t n, char *fc)
{
	size_t i = 0, run = 0;
	while (i < n && (is_blank(line[i]) || line[i] == '>'))
		i++;
	if (i == n || (line[i] != '`' && line[i] != '~'))
		return 0;
	*fc = line[i];
	while (i + run < n && line[i + run] == *fc)
		run++;
	if (run < 3)
		return 0;
	if (*fc == '`' && memchr(line + i + run, '`', n - i - run))
		return 0; /* ```a``` is a code span, not a fence */
	return run;
}

/* Does this line close a fence of `run` characters `fc`? */
static int
fence_close(const char *line, size_t n, char fc, size_t run)
{
	size_t i = 0, k = 0;
	while (i < n && (is_blank(line[i]) || line[i] == '>'))
		i++;
	while (i + k < n && line[i + k] == fc)
		k++;
	if (k < run)
		return 0;
	return blank_line(line + i + k, n - i - k);
}

/* ATX heading level of a line (0: not a heading), with its text. */
static int
heading(const char *line, size_t n, const char **text, size_t *tlen)
{
	size_t i = 0, lead = 0;
	while (lead < n && lead < 3 && line[lead] == ' ')
		lead++;
	while (lead + i < n && i < 7 && line[lead + i] == '#')
		i++;
	if (i == 0 || i > 6 || (lead + i < n && !is_blank(line[lead + i]) && line[lead + i] != '\r'))
		return 0;
	const char *t = line + lead + i;
	size_t len = n - lead - i;
	while (len && is_blank(*t))
		t++, len--;
	while (len && (is_blank(t[len - 1]) || t[len - 1] == '#' || t[len - 1] == '\r'))
		len--;
	*text = t;
	*tlen = len;
	return (int)i;
}

enum page_line_kind
page_line(struct page_lines *ls, const char *line, size_t n, int *level, const char **text, size_t *tlen)
{
	const char *t;
	size_t tl;
	int lv;
	if (ls->fence) {
		if (fence_close(line, n, ls->fence_char, ls->fence)) {
			ls->fence = 0;
			return PAGE_FENCE;
		}
		return PAGE_CODE;
	}
	if ((ls->fence = fence_open(line, n, &ls->fence_char)) > 0)
		return PAGE_FENCE;
	if (blank_line(line, n))
		return PAGE_BLANK;
	if ((lv = heading(line, n, &t, &tl)) == 0)
		return PAGE_TEXT;
	if (level)
		*level = lv;
	if (text)
		*text = t;
	if (tlen)
		*tlen = tl;
	return PAGE_HEADING;
}

void
page_log_init(struct page_log *lg, int whole_page)
{
	memset(lg, 0, sizeof(*lg));
	lg->whole = whole_page;
}

int
page_log_line(struct page_log *lg, const char *line, size_t n)
{
	const char *t;
	size_t tl;
	int level;
	if (page_line(&lg->lines, line, n, &level, &t, &tl) == PAGE_HEADING && !lg->whole) {
		if (tl == 3 && strncasecmp(t, "log", 3) == 0)
			lg->level = level;
		else if (lg->level && level <= lg->level)
			lg->level = 0;
	}
	return page_log_inside(lg);
}

int
page_log_inside(const struct page_log *lg)
{
	return lg->whole || lg->level > 0;
}
