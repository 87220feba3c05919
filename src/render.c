/* render.c: Markdown -> safe HTML with cmark-gfm: wiki links, headings (ids, anchors, contents), code, footnotes, task lists, cost bounds. */
#include "render.h"
#include "highlight.h"
#include "pagename.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm/registry.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Never CMARK_OPT_UNSAFE: cmark then drops raw HTML and javascript:/vbscript:/file:/data: URLs.
 * Fenced code is <pre><code class="language-x"> (not GitHub's <pre lang="x">); footnotes are
 * added when the page can afford them (USE_FOOTNOTES). */
#define OPTIONS (CMARK_OPT_NORMALIZE | CMARK_OPT_VALIDATE_UTF8)

/* Every insertion into the tree makes cmark walk from the parent to the root, so nodes nested
 * deeper than this keep their plain text (no wiki links, no heading id) to stay linear. */
#define MAX_DEPTH 100

/* Cost budgets for the cmark-gfm 0.29.0.gfm.6 extensions, in the rough units of
 * docs/rendering.md (~3 ns each); over budget, the document is parsed without that extension. */
#define TABLE_WORK_MAX  (1u << 26)
#define TABLE_CELLS_SLACK 65536 /* padded cells allowed beyond one per input byte */
#define EMAIL_WORK_MAX  (1u << 25)
#define EMAIL_DEPTH     1000    /* the autolink extension stops after this many '@' per text */
#define NEST_WORK_MAX   (1u << 25)
#define MAX_NEST        64      /* containers a line may open when nesting is over budget */

#define FOOTNOTE_MAX 10000 /* "[^" in a page, beyond which it is parsed without footnotes */

/* Highlighting: code blocks larger than this are only escaped, and so is code beyond the
 * page's total (a token costs ~30 bytes of markup: docs/rendering.md). */
#define HIGHLIGHT_BLOCK_MAX (128u << 10)
#define HIGHLIGHT_PAGE_MAX  (512u << 10)
#define TOC_TEXT_MAX        200 /* bytes of a heading's text in the contents and labels */

enum { USE_TABLE = 1, USE_AUTOLINK = 2, FLATTEN = 4, USE_FOOTNOTES = 8 };

#define NONCE_LEN 32 /* hex digits of the per-render marker in wiki-link titles */

/* cmark-gfm 0.29.0.gfm.6 sets and clears its global SPECIAL_CHARS table around inline parsing
 * in cmark_parser_finish; two threads finishing at once would lose '~' or ':' for each other. */
static pthread_mutex_t finish_lock = PTHREAD_MUTEX_INITIALIZER;

/* String set with keyed hashing: a page may not pick colliding heading names. */
struct slot {
	char *key;
	size_t len, hash;
	size_t val;
};

struct strset {
	struct slot *slot;
	size_t cap, n;
	const unsigned char *seed;
};

/* Nodes found by the walk and rewritten after it (replacing a node under the iterator would
 * end the walk early). */
struct nodes {
	cmark_node **v;
	size_t n, cap;
};

/* The table of contents as it is built: nested lists, one level per open list. */
struct toc {
	struct buf html;
	int level[7]; /* heading level of each open list */
	int depth;    /* lists open */
	size_t entries;
};

struct render {
	const struct render_ctx *ctx;
	unsigned opts;       /* ctx->opts, 0 without ctx */
	unsigned char seed[crypto_shorthash_KEYBYTES];
	char nonce[NONCE_LEN + 1];
	struct strset pages; /* page name -> 2 * its target + exists, so a page is looked up once */
	char **targets;      /* the page each name leads to */
	size_t ntargets, captargets;
	struct strset ids;   /* heading ids handed out -> next numeric suffix to try */
	struct nodes heads;  /* headings in document order */
	struct nodes code;   /* code blocks */
	struct nodes tasks;  /* task-list items */
	struct nodes tables; /* tables */
	struct buf scratch[4]; /* reused by every heading and code block */
	struct toc toc;
	size_t highlighted;  /* bytes of code coloured so far */
	size_t nlinks;
};

void
render_global_init(void)
{
	cmark_gfm_core_extensions_ensure_registered();
	if (sodium_init() < 0)
		log_error("render: libsodium failed to initialise");
}

void
render_global_release(void)
{
	cmark_release_plugins();
}

static size_t
strset_hash(const struct strset *s, const char *k, size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	size_t v;
	crypto_shorthash(h, (const unsigned char *)k, n, s->seed);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void
strset_grow(struct strset *s)
{
	struct slot *old = s->slot;
	size_t oldcap = s->cap;
	s->cap = oldcap ? oldcap * 2 : 64;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = old[i].hash & (s->cap - 1);
		while (s->slot[j].key)
			j = (j + 1) & (s->cap - 1);
		s->slot[j] = old[i];
	}
	free(old);
}

/* Index of `k` in `s`, added with val 0 when absent (*added = 1). An index is valid until
 * the next key is added. */
static size_t
strset_add(struct strset *s, const char *k, size_t n, int *added)
{
	size_t h = strset_hash(s, k, n), i = 0;
	if (s->cap) {
		for (i = h & (s->cap - 1); s->slot[i].key; i = (i + 1) & (s->cap - 1)) {
			struct slot *e = &s->slot[i];
			if (e->hash == h && e->len == n && memcmp(e->key, k, n) == 0) {
				*added = 0;
				return i;
			}
		}
	}
	if (2 * (s->n + 1) > s->cap) {
		strset_grow(s);
		for (i = h & (s->cap - 1); s->slot[i].key; i = (i + 1) & (s->cap - 1))
			;
	}
	s->slot[i] = (struct slot){ xstrndup(k, n), n, h, 0 };
	s->n++;
	*added = 1;
	return i;
}

static void
strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i].key);
	free(s->slot);
}

/* --- cost estimate, before parsing -------------------------------------------------------- */

struct line_scan {
	size_t pipes; /* unescaped '|' */
	size_t delim; /* columns, when the line could be a table delimiter row */
	size_t ats;   /* '@' */
	size_t nest;  /* containers the line's prefix may open or continue (over-estimate) */
	size_t cut;   /* offset of the marker that goes past MAX_NEST, else the line length */
	int blank;    /* nothing but blanks and '>': ends tables and paragraphs */
};

static int
is_container_mark(char c)
{
	return c == ' ' || c == '\t' || c == '>' || c == '*' || c == '+' || c == '.' ||
	       c == ')' || (c >= '0' && c <= '9');
}

/* Length of the container marker at s: '>', a bullet, or "123." / "123)"; 0 for none. */
static size_t
marker_len(const char *s, size_t n)
{
	size_t i = 0;
	if (n && s[0] == '>')
		return 1;
	if (n && (s[0] == '*' || s[0] == '+' || s[0] == '-'))
		i = 1;
	else {
		while (i < n && i < 9 && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == 0 || i == n || (s[i] != '.' && s[i] != ')'))
			return 0;
		i++;
	}
	return i == n || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ? i : 0;
}

static int
thematic_break(const char *s, size_t n)
{
	size_t marks = 0;
	char c = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
			continue;
		if ((s[i] != '*' && s[i] != '-' && s[i] != '_') || (c && s[i] != c))
			return 0;
		c = s[i];
		marks++;
	}
	return marks >= 3;
}

/* How deep the line's prefix may nest: each marker counts, and so does each pair of blank
 * columns, since list items nest by indentation. Never less than cmark's real depth. */
static void
scan_nest(struct line_scan *ls, const char *s, size_t n)
{
	size_t i = 0, marks = 0, cols = 0, m;
	ls->cut = n;
	if (thematic_break(s, n))
		return;
	for (;;) {
		for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
			cols += s[i] == '\t' ? 4 : 1;
		if (!(m = marker_len(s + i, n - i)))
			break;
		if (++marks + cols / 2 > MAX_NEST && ls->cut == n)
			ls->cut = i + m - 1;
		i += m;
	}
	ls->nest = marks + cols / 2;
}

/* Generous on purpose: whatever cmark might take for a delimiter row ("|:-|--|", "- ---",
 * "> 1. |-|") counts, with container marks skipped and every dash run a column. */
static void
scan_line(struct line_scan *ls, const char *s, size_t n)
{
	size_t i = 0, cols = 0;
	int dash = 0, delim = 1;
	memset(ls, 0, sizeof(*ls));
	scan_nest(ls, s, n);
	ls->blank = 1;
	for (; i < n && is_container_mark(s[i]); i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '>')
			ls->blank = 0;
	if (i < n && !(i == n - 1 && s[i] == '\r'))
		ls->blank = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			i++;
			delim = 0;
		} else if (c == '|') {
			ls->pipes++;
			cols += dash;
			dash = 0;
		} else if (c == '-') {
			dash = 1;
		} else if (c == '@') {
			ls->ats++;
			delim = 0;
		} else if (c != ':' && c != ' ' && c != '\t' && c != '\r') {
			delim = 0;
		}
	}
	cols += dash;
	ls->delim = delim ? cols : 0;
}

/* Running estimate over the lines; the units (~3 ns) are in docs/rendering.md. */
struct cost {
	size_t table, cells, email, nest; /* totals */
	size_t run, cols, depth;          /* since the last blank line */
	unsigned use;
};

static void
cost_line(struct cost *c, const struct line_scan *ls, size_t len)
{
	size_t line = len + ls->pipes * ls->pipes / 2 + 10 * (ls->pipes + 1);
	c->email += (ls->ats < EMAIL_DEPTH ? ls->ats : EMAIL_DEPTH) * len;
	if (ls->blank) {
		c->run = c->cols = c->depth = 0;
		return;
	}
	if (ls->delim > RENDER_MAX_COLUMNS)
		c->use &= ~USE_TABLE;
	if (c->cols) {
		c->table += line;
		c->cells += c->cols;
	}
	if (ls->delim) {
		c->table += c->run;
		c->cols = ls->delim;
	}
	c->run += line;
	if (ls->nest > c->depth)
		c->depth = ls->nest;
	c->nest += c->depth * len;
}

/* What `md` can afford; see docs/rendering.md. cmark-gfm 0.29.0.gfm.6 is quadratic in the
 * table extension (rows padded to the header's width, a linked-list append per cell, the
 * paragraph re-parsed as a header at each delimiter-like line), in the autolink extension
 * (each e-mail address copies the rest of its text), and in nesting (each inline node added
 * walks up to the root). */
static unsigned
affordable(const char *md, size_t len)
{
	struct cost c = { .use = USE_TABLE | USE_AUTOLINK };
	/* Each footnote reference costs ~250 bytes of HTML (its link and a way back in the
	 * note), from 4 bytes of input: a bound on the count bounds the output. */
	size_t notes = 0;
	for (const char *p = md, *end = md + len; notes <= FOOTNOTE_MAX && (p = memmem(p, (size_t)(end - p), "[^", 2)); p += 2)
		notes++;
	if (notes <= FOOTNOTE_MAX)
		c.use |= USE_FOOTNOTES;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(md + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - md) : len;
		struct line_scan ls;
		scan_line(&ls, md + pos, end - pos);
		cost_line(&c, &ls, end - pos + 1);
		pos = end + 1;
	}
	if (c.table > TABLE_WORK_MAX || c.cells > len + TABLE_CELLS_SLACK)
		c.use &= ~USE_TABLE;
	if (c.email > EMAIL_WORK_MAX)
		c.use &= ~USE_AUTOLINK;
	if (c.nest > NEST_WORK_MAX)
		c.use |= FLATTEN;
	return c.use;
}

/* Copy `md` with a backslash before each container marker past MAX_NEST, so the rest of
 * that line is text. */
static void
flatten(struct buf *out, const char *md, size_t len)
{
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(md + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - md) : len, next = nl ? end + 1 : len;
		struct line_scan ls;
		scan_nest(&ls, md + pos, end - pos);
		buf_put(out, md + pos, ls.cut);
		if (ls.cut < end - pos)
			buf_putc(out, '\\');
		buf_put(out, md + pos + ls.cut, next - pos - ls.cut);
		pos = next;
	}
}

/* Is `s` (n bytes, at a '&') an entity cmark decodes to '^': &#94; or &#x5E; (any case,
 * leading zeros) or &Hat;? Up to 16 digits, more than cmark's 8: an entity cmark would not
 * decode costs only its bracket (shown the same unless it opened a link). */
static int
caret_entity(const char *s, size_t n)
{
	unsigned long cp;
	return (n >= 5 && memcmp(s, "&Hat;", 5) == 0) || (entity_number(s, n, 16, &cp) && cp == '^');
}

/* Where `md` has a bracket that opens with a caret written as an entity ("[&#94;x]"), the
 * bracket escaped ("\[&#94;x]": the text "[^x]"), into `out`; 0 when there is none (nothing
 * copied). cmark-gfm 0.29.0.gfm.6 takes "[" and a text node that starts with '^' as a
 * footnote reference and keeps a pointer into that node's text, then frees the node: the
 * entity's decoded text is its own allocation, so the reference reads freed memory (found
 * by fuzz_render; later cmark-gfm asks for one text node). A bracket already escaped is
 * left; in code the backslash shows (docs/rendering.md). */
static int
caret_brackets(struct buf *out, const char *md, size_t len)
{
	const char *p = md, *end = md + len, *from = md, *b;
	int found = 0;
	while ((b = memmem(p, (size_t)(end - p), "[&", 2))) {
		p = b + 1;
		if (!caret_entity(b + 1, (size_t)(end - b - 1)))
			continue;
		size_t slashes = 0;
		while (b - slashes > md && *(b - slashes - 1) == '\\')
			slashes++;
		if (slashes & 1)
			continue;
		buf_put(out, from, (size_t)(b - from));
		buf_putc(out, '\\');
		from = b;
		found = 1;
	}
	if (found)
		buf_put(out, from, (size_t)(end - from));
	return found;
}

/* --- parsing ------------------------------------------------------------------------------ */

static int
options(unsigned use)
{
	return OPTIONS | (use & USE_FOOTNOTES ? CMARK_OPT_FOOTNOTES : 0);
}

static cmark_parser *
parser_new(unsigned use)
{
	static const char *const names[] = { "strikethrough", "tasklist", "table", "autolink" };
	cmark_parser *p = cmark_parser_new(options(use));
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if ((i == 2 && !(use & USE_TABLE)) || (i == 3 && !(use & USE_AUTOLINK)))
			continue;
		cmark_syntax_extension *ext = cmark_find_syntax_extension(names[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(p, ext);
	}
	return p;
}

static cmark_node *
parse(cmark_parser *p, const char *md, size_t len)
{
	cmark_parser_feed(p, md, len);
	pthread_mutex_lock(&finish_lock);
	cmark_node *doc = cmark_parser_finish(p);
	pthread_mutex_unlock(&finish_lock);
	return doc;
}

/* --- slugs -------------------------------------------------------------------------------- */

/* Non-ASCII punctuation and symbols GitHub drops from slugs; only the common blocks, every
 * other code point is kept as a letter. */
static int
unicode_drop(uint32_t cp)
{
	return (cp >= 0xA0 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) ||
	       cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x206F) ||
	       (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
	       (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
	       (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0xFEFF || cp == 0xFFFD;
}

/* Length of the UTF-8 sequence at s (n > 0 bytes, s[0] >= 0x80) and its code point; 1 and
 * U+FFFD for a stray byte (cmark validated the text, but see valid_text). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
	if (len == 1 || len > n) {
		*cp = 0xFFFD;
		return 1;
	}
	uint32_t c = s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	*cp = c;
	return len;
}

/* Is `slug` "fn" or "fnref", alone or followed by '-': a footnote's id ("fn-1", "fnref-1"),
 * or one that unique_id's "-1" would make one of? */
static int
footnote_like(const char *slug)
{
	const char *rest = strncmp(slug, "fnref", 5) == 0 ? slug + 5 : strncmp(slug, "fn", 2) == 0 ? slug + 2 : NULL;
	return rest && (*rest == '\0' || *rest == '-');
}

/* GitHub's slug: ASCII lowercased, ' ' -> '-', punctuation but '-' and '_' dropped. A slug
 * that is or starts like a footnote's id ("fn", "fn-1", "fnref-1") gets "h-" in front, so
 * a heading never takes a footnote's id, not even as the second "fn" made "fn-1" (cmark
 * names them; it has no hook to change that). */
static void
slugify(struct buf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t start = out->len;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t k = utf8_next(s + i, n - i, &cp);
			if (!unicode_drop(cp))
				buf_put(out, s + i, k);
			i += k;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
			buf_putc(out, c);
		else if (c >= 'A' && c <= 'Z')
			buf_putc(out, c + ('a' - 'A'));
		else if (c == ' ')
			buf_putc(out, '-');
		i++;
	}
	const char *slug = buf_cstr(out) + start;
	if (footnote_like(slug)) {
		buf_puts(out, "h-"); /* room, then move the slug up by two */
		memmove(out->ptr + start + 2, out->ptr + start, out->len - start - 2);
		memcpy(out->ptr + start, "h-", 2);
	}
}

/* Make the slug in `id` unique in the document: "x", then "x-1", "x-2"... skipping ids an
 * earlier heading already holds. */
static void
unique_id(struct render *r, struct buf *id)
{
	int added;
	if (id->len == 0)
		buf_puts(id, "section");
	size_t i = strset_add(&r->ids, id->ptr, id->len, &added);
	if (added)
		return;
	size_t base = id->len, n = r->ids.slot[i].val;
	do {
		id->len = base;
		buf_printf(id, "-%zu", ++n);
		strset_add(&r->ids, id->ptr, id->len, &added);
	} while (!added);
	i = strset_add(&r->ids, id->ptr, base, &added); /* the adds above may have moved it */
	r->ids.slot[i].val = n;
}

/* --- wiki links --------------------------------------------------------------------------- */

/* Is `node` shallow enough to rewrite, and outside link text and image descriptions? */
static int
rewritable(cmark_node *node)
{
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		node = cmark_node_parent(node);
		if (!node)
			return 1;
		cmark_node_type t = cmark_node_get_type(node);
		if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE)
			return 0;
	}
	return 0;
}

static void
trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Does the page `name` leads to exist? `name` becomes that page's name (ctx->resolve). ctx
 * is asked once per name, and each page is added to ctx->links once: a page may link the
 * same page thousands of times. */
static int
page_exists(struct render *r, struct buf *name)
{
	int added;
	size_t i = strset_add(&r->pages, name->ptr, name->len, &added);
	if (added) {
		const struct render_ctx *c = r->ctx;
		const char *key = r->pages.slot[i].key;
		struct buf to = BUF_INIT;
		int found;
		if (c && c->resolve) {
			found = c->resolve(c->payload, key, &to) == 1;
		} else {
			found = !c || !c->page_exists || c->page_exists(c->payload, key);
			buf_put(&to, name->ptr, name->len);
		}
		if (r->ntargets == r->captargets) {
			r->captargets = r->captargets ? 2 * r->captargets : 16;
			r->targets = xrealloc(r->targets, r->captargets * sizeof(*r->targets));
		}
		r->targets[r->ntargets] = buf_detach(&to);
		r->pages.slot[i].val = 2 * r->ntargets++ + (size_t)found;
		if (c && c->links)
			buf_printf(c->links, "\t%s\t%s\n", key, r->targets[r->ntargets - 1]);
	}
	size_t val = r->pages.slot[i].val;
	buf_reset(name);
	buf_puts(name, r->targets[val / 2]);
	return val & 1;
}

/* The address prefix of space `name` ([n bytes]): "" for the wiki, "/s/NAME" else. */
static void
space_base(struct buf *url, const char *name, size_t n)
{
	if (n && !(n == 4 && memcmp(name, "wiki", 4) == 0)) {
		buf_puts(url, "/s/");
		buf_put(url, name, n);
	}
}

/* A target "NAME:Page" whose NAME is one of ctx->spaces: the length of NAME (the page
 * starts at t + len + 1), else 0; *own says whether it is the page's own space. */
static size_t
space_prefix(const struct render *r, const char *t, size_t n, int *own)
{
	const char *colon = memchr(t, ':', n);
	const char *mine = r->ctx && r->ctx->space ? r->ctx->space : "wiki";
	*own = 0;
	if (!colon || !r->ctx || !r->ctx->spaces)
		return 0;
	size_t len = (size_t)(colon - t);
	for (const char *const *sp = r->ctx->spaces; *sp; sp++)
		if (strlen(*sp) == len && memcmp(*sp, t, len) == 0) {
			*own = strlen(mine) == len && memcmp(mine, t, len) == 0;
			return len;
		}
	return 0;
}

/* A link into another space: `url` is /s/NAME/wiki/Page (NAME: [t, t+sn)); the link is
 * reported as "NAME\tPage\tPage" (never looked up: render.h). 0, or -1 for an invalid page
 * name. */
static int
space_link_url(struct render *r, struct buf *url, const char *t, size_t sn, const char *page, size_t pn)
{
	struct buf name = BUF_INIT;
	trim(&page, &pn);
	if (pn == 0 || pagename_from_link(&name, page, pn) < 0) {
		buf_free(&name);
		return -1;
	}
	space_base(url, t, sn);
	buf_puts(url, "/wiki/");
	url_escape(url, name.ptr, name.len, 1);
	if (r->ctx && r->ctx->links) {
		buf_printf(r->ctx->links, "%.*s\t%s\t%s\n", (int)sn, t, name.ptr, name.ptr);
	}
	buf_free(&name);
	return 0;
}

/* Fill `url` for target "Page#Section" (either part may be empty, not both); 0 or -1 when
 * the page name is invalid. `*missing` tells which class the link gets: 0 a page, 1 a
 * missing page, 2 a page in another space. */
static int
wikilink_url(struct render *r, struct buf *url, const char *t, size_t n, int *missing)
{
	struct buf name = BUF_INIT, slug = BUF_INIT;
	const char *hash = memchr(t, '#', n);
	const char *anchor = hash ? hash + 1 : t + n;
	size_t pn = hash ? (size_t)(hash - t) : n, an = (size_t)(t + n - anchor);
	int rc = -1;
	trim(&t, &pn);
	trim(&anchor, &an);
	slugify(&slug, anchor, an);
	*missing = 0;
	if (pn == 0 && slug.len == 0)
		goto done;
	int own = 0;
	size_t sn = pn ? space_prefix(r, t, pn, &own) : 0;
	if (sn && own) { /* [[finance:Page]] in finance: a link in the space */
		t += sn + 1;
		pn -= sn + 1;
		trim(&t, &pn);
		sn = 0;
		if (pn == 0)
			goto done;
	}
	if (sn) {
		if (space_link_url(r, url, t, sn, t + sn + 1, pn - sn - 1) < 0)
			goto done;
		*missing = 2;
	} else if (pn) {
		if (pagename_from_link(&name, t, pn) < 0)
			goto done;
		*missing = !page_exists(r, &name);
		if (r->ctx && r->ctx->space)
			space_base(url, r->ctx->space, strlen(r->ctx->space));
		buf_puts(url, *missing ? "/edit/" : "/wiki/");
		url_escape(url, name.ptr, name.len, 1);
	}
	if (slug.len && *missing != 1) {
		buf_putc(url, '#');
		url_escape(url, slug.ptr, slug.len, 0);
	}
	rc = 0;
done:
	buf_free(&name);
	buf_free(&slug);
	return rc;
}

static cmark_node *
text_node(const char *s, size_t n)
{
	cmark_node *node = cmark_node_new(CMARK_NODE_TEXT);
	char *lit = xstrndup(s, n);
	cmark_node_set_literal(node, lit);
	free(lit);
	return node;
}

/* A link node for the inside of "[[...]]", or NULL when it is no wiki link. Its title is the
 * render's nonce plus 'w' or 'm', which fix_links turns into the class. */
static cmark_node *
wikilink(struct render *r, const char *s, size_t n)
{
	struct buf url = BUF_INIT;
	const char *bar = memrchr(s, '|', n), *target = bar ? bar + 1 : s, *label = s;
	size_t tn = (size_t)(s + n - target), ln = bar ? (size_t)(bar - s) : n;
	cmark_node *link = NULL;
	int missing;
	if (memchr(s, '[', n) || memchr(s, ']', n))
		goto done;
	if (wikilink_url(r, &url, target, tn, &missing) < 0)
		goto done;
	trim(&label, &ln);
	if (ln == 0) {
		label = target;
		ln = tn;
		trim(&label, &ln);
	}
	char title[NONCE_LEN + 2];
	memcpy(title, r->nonce, NONCE_LEN);
	title[NONCE_LEN] = missing == 1 ? 'm' : missing == 2 ? 's' : 'w';
	title[NONCE_LEN + 1] = '\0';
	link = cmark_node_new(CMARK_NODE_LINK);
	cmark_node_set_url(link, url.ptr);
	cmark_node_set_title(link, title);
	cmark_node_append_child(link, text_node(label, ln));
done:
	buf_free(&url);
	return link;
}

/* Insert `link` and the text before it ahead of `node`; 0 when the parent refused. */
static int
insert_link(cmark_node *node, cmark_node *link, const char *pre, size_t n)
{
	if (!cmark_node_insert_before(node, link)) {
		cmark_node_free(link);
		return 0;
	}
	if (n) {
		cmark_node *text = text_node(pre, n);
		if (!cmark_node_insert_before(link, text))
			cmark_node_free(text);
	}
	return 1;
}

/* Replace each [[...]] in text node `node`. New nodes go in before `node`, which keeps the
 * tail, so an iterator standing on `node` never visits them. One pass: a "]]" closes the
 * nearest "[[" before it. */
static void
wikilinks_in(struct render *r, cmark_node *node)
{
	const char *lit = cmark_node_get_literal(node);
	if (!lit || !strstr(lit, "[[") || !rewritable(node))
		return;
	char *s = xstrdup(lit);
	size_t n = strlen(s), done = 0, open = 0;
	int have_open = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] == '[' && s[i + 1] == '[') {
			open = i;
			have_open = 1;
		} else if (s[i] == ']' && s[i + 1] == ']' && have_open) {
			cmark_node *link = wikilink(r, s + open + 2, i - open - 2);
			if (link && insert_link(node, link, s + done, open - done)) {
				done = i + 2;
				r->nlinks++;
			}
			have_open = 0;
			i++;
		}
	}
	if (done)
		cmark_node_set_literal(node, s + done);
	free(s);
}

/* --- headings ----------------------------------------------------------------------------- */

/* Append the text of heading `h` for its slug, and make every string under `h` own its bytes.
 * cmark points text literals into the heading's buffer, and the autolink extension points a
 * link's URL there too (a chunk shared with its text node); heading_id frees the heading, so
 * anything still pointing in would be read after free. cmark's getters copy a borrowed chunk
 * into memory the node owns, so calling them is the whole fix: every literal, URL and title. */
static void
heading_text(struct buf *out, cmark_node *h)
{
	cmark_node *only = cmark_node_first_child(h);
	if (only && !cmark_node_next(only) && cmark_node_get_type(only) == CMARK_NODE_TEXT) {
		buf_puts(out, cmark_node_get_literal(only)); /* the usual case needs no iterator */
		return;
	}
	cmark_iter *it = cmark_iter_new(h);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		int lit = t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE || t == CMARK_NODE_HTML_INLINE;
		const char *s = lit ? cmark_node_get_literal(n) : NULL;
		if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) {
			(void)cmark_node_get_url(n);
			(void)cmark_node_get_title(n);
		}
		if (s && t != CMARK_NODE_HTML_INLINE)
			buf_puts(out, s);
		else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			buf_putc(out, ' ');
	}
	cmark_iter_free(it);
}

static cmark_node *
raw_inline(const char *html)
{
	cmark_node *node = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
	cmark_node_set_on_enter(node, html);
	return node;
}

/* Append `text` (a heading's plain text) cut to TOC_TEXT_MAX bytes on a character
 * boundary, blanks collapsed, HTML-escaped. */
static void
label_text(struct buf *out, const struct buf *text)
{
	const char *s = buf_cstr((struct buf *)text);
	size_t n = text->len < TOC_TEXT_MAX ? text->len : TOC_TEXT_MAX, start = 0;
	int words = 0;
	while (n < text->len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
			continue;
		if (i > start) {
			if (words++)
				buf_putc(out, ' ');
			html_escape(out, s + start, i - start);
		}
		start = i + 1;
	}
}

/* Add heading `level` with `id` and `text` to the contents: a list per level, nested as the
 * levels go (a jump of several levels opens one list). */
static void
toc_add(struct toc *t, int level, const struct buf *id, const struct buf *text)
{
	struct buf *h = &t->html;
	if (t->entries++ >= RENDER_TOC_MAX)
		return;
	while (t->depth > 0 && t->level[t->depth - 1] > level) {
		buf_puts(h, "</li></ul>");
		t->depth--;
	}
	if (t->depth > 0 && t->level[t->depth - 1] == level) {
		buf_puts(h, "</li>");
	} else if (t->depth < (int)(sizeof(t->level) / sizeof(*t->level))) {
		buf_puts(h, "<ul>");
		t->level[t->depth++] = level;
	} else {
		buf_puts(h, "</li>");
	}
	buf_puts(h, "<li><a href=\"#");
	url_escape(h, id->ptr, id->len, 0);
	buf_puts(h, "\">");
	label_text(h, text);
	buf_puts(h, "</a>");
}

/* The finished contents into `out`, when there are RENDER_TOC_MIN entries or more. */
static void
toc_finish(struct toc *t, struct buf *out)
{
	while (t->depth > 0) {
		buf_puts(&t->html, "</li></ul>");
		t->depth--;
	}
	if (out && t->entries >= RENDER_TOC_MIN)
		buf_put(out, t->html.ptr, t->html.len);
}

/* The opening and closing markup of heading `h` (level `level`) with id `id` into `open`
 * and `close`: "<hN id=...>" and "</hN>", with RENDER_ANCHORS wrapped in a div with a "#"
 * link after the heading (outside it, so that the heading's name stays its text). */
static void
heading_tags(struct render *r, struct buf *open, struct buf *close, char level, const struct buf *id,
	     const struct buf *text)
{
	if (r->opts & RENDER_ANCHORS) {
		buf_puts(open, "<div class=\"heading h");
		buf_putc(open, level);
		buf_puts(open, "\">");
	}
	buf_puts(open, "<h");
	buf_putc(open, level);
	buf_puts(open, " id=\"");
	html_escape(open, id->ptr, id->len);
	buf_puts(open, "\">");
	buf_puts(close, "</h");
	buf_putc(close, level);
	buf_putc(close, '>');
	if (r->opts & RENDER_ANCHORS) {
		buf_puts(close, "<a class=\"anchor\" href=\"#");
		url_escape(close, id->ptr, id->len, 0);
		buf_puts(close, "\" aria-label=\"Link to this section: ");
		label_text(close, text);
		buf_puts(close, "\">#</a></div>");
	}
}

/* Swap heading `h` for a custom block that renders "<hN id="slug">...</hN>": cmark's own
 * heading output has no attribute hook. The block is filled while detached, so each move
 * costs O(1) instead of a walk to the root. A heading of the page itself (not in a quote,
 * list or footnote) goes into the contents. */
static void
heading_id(struct render *r, cmark_node *h)
{
	struct buf *text = &r->scratch[0], *id = &r->scratch[1], *tag = &r->scratch[2], *close = &r->scratch[3];
	int lv = cmark_node_get_heading_level(h);
	char level = (char)('0' + lv);
	cmark_node *block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK), *child;
	buf_reset(text);
	buf_reset(id);
	buf_reset(tag);
	buf_reset(close);
	heading_text(text, h);
	slugify(id, buf_cstr(text), text->len);
	unique_id(r, id);
	heading_tags(r, tag, close, level, id, text);
	if (cmark_node_get_type(cmark_node_parent(h)) == CMARK_NODE_DOCUMENT)
		toc_add(&r->toc, lv, id, text);
	cmark_node_append_child(block, raw_inline(tag->ptr));
	while ((child = cmark_node_first_child(h)))
		cmark_node_append_child(block, child);
	cmark_node_append_child(block, raw_inline(buf_cstr(close)));
	if (cmark_node_replace(h, block)) {
		cmark_node_free(h);
		return;
	}
	/* Never seen (any container holding a heading takes a custom block): hand the text back
	 * rather than lose it. */
	cmark_node_free(cmark_node_first_child(block));
	cmark_node_free(cmark_node_last_child(block));
	while ((child = cmark_node_first_child(block)))
		cmark_node_append_child(h, child);
	cmark_node_free(block);
}

/* A relative URL of link or image `n` made absolute from ctx->base: "logo.png" on a page in
 * Customers/ becomes "/wiki/Customers/logo.png". Paths, fragments, queries and URLs with a
 * scheme stay as written. */
static void
absolute_url(struct render *r, cmark_node *n)
{
	const char *url = cmark_node_get_url(n);
	size_t k = 0;
	if (!url || !*url || *url == '/' || *url == '#' || *url == '?')
		return;
	while ((url[k] >= 'a' && url[k] <= 'z') || (url[k] >= 'A' && url[k] <= 'Z') ||
	       (k > 0 && ((url[k] >= '0' && url[k] <= '9') || url[k] == '+' || url[k] == '.' || url[k] == '-')))
		k++;
	if (k > 0 && url[k] == ':')
		return;
	struct buf abs = BUF_INIT;
	buf_puts(&abs, r->ctx->base);
	buf_puts(&abs, url);
	cmark_node_set_url(n, abs.ptr);
	buf_free(&abs);
}

/* --- code blocks, task lists, tables ------------------------------------------------------ */

/* Put custom block `block` in the place of `node` (freed); 0 when the parent refused. */
static int
replace(cmark_node *node, cmark_node *block)
{
	if (cmark_node_replace(node, block)) {
		cmark_node_free(node);
		return 1;
	}
	cmark_node_free(block);
	return 0;
}

/* A code block as "<pre tabindex="0"><code class="language-x">...</code></pre>": x is the
 * fence's first word, escaped; the code coloured (RENDER_HIGHLIGHT, within the budgets) or
 * escaped. The box scrolls sideways, so it takes the keyboard focus (axe: a region that
 * scrolls must be reachable without a mouse); the renderer cannot know which boxes will
 * scroll on a given screen, so every one does. */
static void
code_block(struct render *r, cmark_node *node)
{
	struct buf *html = &r->scratch[0];
	const char *info = cmark_node_get_fence_info(node), *code = cmark_node_get_literal(node);
	size_t lang = 0, len = code ? strlen(code) : 0;
	info = info ? info : "";
	while (info[lang] && info[lang] != ' ' && info[lang] != '\t')
		lang++;
	buf_reset(html);
	buf_puts(html, "<pre tabindex=\"0\"><code");
	if (lang) {
		buf_puts(html, " class=\"language-");
		html_escape(html, info, lang);
		buf_putc(html, '"');
	}
	buf_putc(html, '>');
	if ((r->opts & RENDER_HIGHLIGHT) && len <= HIGHLIGHT_BLOCK_MAX && r->highlighted + len <= HIGHLIGHT_PAGE_MAX &&
	    highlight(html, info, lang, code ? code : "", len))
		r->highlighted += len;
	else if (len)
		html_escape(html, code, len);
	buf_puts(html, "</code></pre>");
	cmark_node *block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
	cmark_node_set_on_enter(block, buf_cstr(html));
	replace(node, block);
}

/* The plain text of the first paragraph of task item `item` into `out` (for its label). */
static void
item_text(struct buf *out, cmark_node *item)
{
	cmark_node *p = cmark_node_first_child(item);
	if (!p || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH)
		return;
	cmark_iter *it = cmark_iter_new(p);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && out->len < TOC_TEXT_MAX) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
			buf_puts(out, cmark_node_get_literal(n));
		else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			buf_putc(out, ' ');
	}
	cmark_iter_free(it);
}

/* A task-list item's checkbox, named after the item's text: the tasklist extension's box
 * has no name, and a form control without one fails axe's "label" rule. The item becomes
 * a plain one with the box in front of its text. */
static void
task_item(struct render *r, cmark_node *item)
{
	struct buf *text = &r->scratch[0], *box = &r->scratch[1];
	buf_reset(text);
	buf_reset(box);
	item_text(text, item);
	buf_puts(box, "<input type=\"checkbox\" class=\"task\" disabled=\"\"");
	if (cmark_gfm_extensions_get_tasklist_item_checked(item))
		buf_puts(box, " checked=\"\"");
	buf_puts(box, " aria-label=\"");
	label_text(box, text);
	if (!text->len)
		buf_puts(box, "task");
	buf_puts(box, "\" /> ");
	cmark_node_set_syntax_extension(item, NULL);
	cmark_node *first = cmark_node_first_child(item);
	if (first && cmark_node_get_type(first) == CMARK_NODE_PARAGRAPH) {
		cmark_node_prepend_child(first, raw_inline(box->ptr));
	} else {
		cmark_node *block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
		cmark_node_set_on_enter(block, box->ptr);
		if (!cmark_node_prepend_child(item, block))
			cmark_node_free(block);
	}
}

/* A table in a box that scrolls sideways and takes the keyboard focus (as code blocks do);
 * the table itself stays a table for screen readers. */
static void
table_box(cmark_node *table)
{
	cmark_node *box = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
	cmark_node_set_on_enter(box, "<div class=\"table\" tabindex=\"0\">");
	cmark_node_set_on_exit(box, "</div>");
	if (!cmark_node_insert_before(table, box)) {
		cmark_node_free(box);
		return;
	}
	cmark_node_unlink(table);
	cmark_node_append_child(box, table);
}

static void
nodes_add(struct nodes *l, cmark_node *n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = n;
}

/* Text node `node` made valid UTF-8 again, each bad byte a U+FFFD. cmark validated the
 * page, but cmark-gfm 0.29.0.gfm.6 copies a footnote reference that spans lines ("[^a\nbc]",
 * no note of that name) back as text of a length counted in columns of two different lines
 * (github/cmark-gfm#282): some of it is lost, and the cut may split a character (found by
 * fuzz_render). */
static void
valid_text(cmark_node *node)
{
	const char *lit = cmark_node_get_literal(node);
	size_t n = lit ? strlen(lit) : 0;
	if (utf8_valid(lit, n))
		return;
	struct buf fixed = BUF_INIT;
	const unsigned char *s = (const unsigned char *)lit;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = s[i] < 0x80 ? 1 : utf8_next(s + i, n - i, &cp);
		if (s[i] >= 0x80 && (k == 1 || !utf8_valid(lit + i, k))) {
			buf_puts(&fixed, "\xEF\xBF\xBD");
			k = 1;
		} else {
			buf_put(&fixed, lit + i, k);
		}
		i += k;
	}
	cmark_node_set_literal(node, buf_cstr(&fixed));
	buf_free(&fixed);
}

/* One walk for wiki links; headings, code blocks, task items and tables are only
 * collected, since replacing a block under the iterator would end the walk early. */
static void
rewrite(struct render *r, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node_type t = cmark_node_get_type(n);
		if (t == CMARK_NODE_TEXT) {
			valid_text(n);
			wikilinks_in(r, n);
		} else if ((t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) && r->ctx && r->ctx->base) {
			absolute_url(r, n);
		} else if (t == CMARK_NODE_HEADING && rewritable(n)) {
			nodes_add(&r->heads, n);
		} else if (t == CMARK_NODE_CODE_BLOCK && rewritable(n)) {
			nodes_add(&r->code, n);
		} else if (t == CMARK_NODE_ITEM && cmark_node_get_syntax_extension(n) && rewritable(n) &&
			   strcmp(cmark_node_get_type_string(n), "tasklist") == 0) {
			nodes_add(&r->tasks, n);
		} else if (cmark_node_get_syntax_extension(n) && rewritable(n) &&
			   strcmp(cmark_node_get_type_string(n), "table") == 0) {
			nodes_add(&r->tables, n);
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < r->heads.n; i++)
		heading_id(r, r->heads.v[i]);
	for (size_t i = 0; i < r->code.n; i++)
		code_block(r, r->code.v[i]);
	for (size_t i = 0; i < r->tasks.n; i++)
		task_item(r, r->tasks.v[i]);
	for (size_t i = 0; i < r->tables.n; i++)
		table_box(r->tables.v[i]);
}

/* --- output ------------------------------------------------------------------------------- */

/* Append `html` (n bytes) to `out`, turning each wiki link's
 *   <a href="URL" title="NONCEw">   into   <a class="wikilink" href="URL">
 * The nonce is random per render, so page text cannot forge a marker; URLs we built hold no
 * '<', so the nearest '<' before the title is the link's own. One memchr pass: strstr from
 * each match would be quadratic under ASan, whose interceptor measures the whole rest. */
static void
fix_links(struct buf *out, const char *html, size_t n, const char *nonce)
{
	static const char attr[] = "\" title=\"";
	const size_t alen = sizeof(attr) - 1, plen = alen + NONCE_LEN + 3; /* flag, '"', '>' */
	const char *p = html, *q = html, *end = html + n, *m;
	while ((m = memchr(q, '"', (size_t)(end - q)))) {
		q = m + 1;
		if ((size_t)(end - m) < plen || memcmp(m, attr, alen) != 0 ||
		    memcmp(m + alen, nonce, NONCE_LEN) != 0)
			continue;
		char flag = m[alen + NONCE_LEN];
		const char *a = m;
		while (a > p && *a != '<')
			a--;
		if ((flag != 'w' && flag != 'm' && flag != 's') || memcmp(m + plen - 2, "\">", 2) != 0 ||
		    strncmp(a, "<a href=\"", 9) != 0)
			continue;
		buf_put(out, p, (size_t)(a - p));
		buf_puts(out, flag == 'm'   ? "<a class=\"wikilink missing\" href=\""
			      : flag == 's' ? "<a class=\"wikilink space\" href=\""
					    : "<a class=\"wikilink\" href=\"");
		buf_put(out, a + 9, (size_t)(m - a - 9));
		buf_puts(out, "\">");
		p = q = m + plen;
	}
	buf_put(out, p, (size_t)(end - p));
}

/* Where to cut `len` bytes at most `max`, without splitting a UTF-8 sequence. */
static size_t
cut_at(const char *md, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)md[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static void
render_init(struct render *r, const struct render_ctx *ctx)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[NONCE_LEN / 2];
	memset(r, 0, sizeof(*r));
	r->ctx = ctx;
	r->opts = ctx ? ctx->opts : 0;
	randombytes_buf(r->seed, sizeof(r->seed));
	randombytes_buf(rnd, sizeof(rnd));
	for (size_t i = 0; i < sizeof(rnd); i++) {
		r->nonce[2 * i] = hex[rnd[i] >> 4];
		r->nonce[2 * i + 1] = hex[rnd[i] & 15];
	}
	r->pages.seed = r->ids.seed = r->seed;
}

int
render_markdown(struct buf *out, const char *md, size_t len, const struct render_ctx *ctx)
{
	struct render r;
	struct buf flat = BUF_INIT, fixed = BUF_INIT;
	size_t n = cut_at(md, len, RENDER_MAX_INPUT);
	unsigned use = affordable(md, n);
	cmark_parser *parser = parser_new(use);
	const char *src = md;
	size_t srclen = n;
	if (use & FLATTEN) {
		flatten(&flat, md, n);
		src = flat.ptr;
		srclen = flat.len;
	}
	if ((use & USE_FOOTNOTES) && caret_brackets(&fixed, src, srclen)) {
		src = fixed.ptr;
		srclen = fixed.len;
	}
	cmark_node *doc = parse(parser, src, srclen);
	buf_free(&flat);
	buf_free(&fixed);
	render_init(&r, ctx);
	rewrite(&r, doc);
	toc_finish(&r.toc, ctx ? ctx->toc : NULL);
	char *html = cmark_render_html(doc, options(use), cmark_parser_get_syntax_extensions(parser));
	if (r.nlinks)
		fix_links(out, html, strlen(html), r.nonce);
	else
		buf_puts(out, html);
	if (n < len)
		buf_printf(out, "<p class=\"notice\">This page is longer than %u bytes; the rest "
		           "is not shown.</p>\n", (unsigned)RENDER_MAX_INPUT);
	free(html);
	cmark_node_free(doc);
	cmark_parser_free(parser);
	strset_free(&r.pages);
	strset_free(&r.ids);
	free(r.heads.v);
	free(r.code.v);
	free(r.tasks.v);
	free(r.tables.v);
	buf_free(&r.toc.html);
	for (size_t i = 0; i < r.ntargets; i++)
		free(r.targets[i]);
	free(r.targets);
	for (size_t i = 0; i < sizeof(r.scratch) / sizeof(*r.scratch); i++)
		buf_free(&r.scratch[i]);
	return n < len ? KN_ETOOBIG : 0;
}
