/* fuzz_render.c: Markdown -> HTML (render.c) for the index and a page view, in a space, with an oracle on the output: only the tags, attributes and classes the renderer makes, no script, ids once. */
#include "fuzz.h"

#include <ctype.h>
#include <strings.h>

#include "pagename.h"
#include "render.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	render_global_init();
	return 0;
}

/* Half the pages exist, by a hash of the name, so both kinds of wiki link are made. */
static int
exists(void *payload, const char *name)
{
	unsigned h = 5381;
	FUZZ_CHECK(pagename_check(name, strlen(name)) == 0, "page_exists asked about an invalid name '%s'", name);
	for (; *name; name++)
		h = h * 33 + (unsigned char)*name;
	return h & 1;
}

/* The tags cmark-gfm (safe mode; strikethrough, tasklist, table, autolink, footnotes) and
 * render.c (headings with ids and anchors, code boxes and colours, task boxes, table boxes,
 * wiki links) make, with the attributes each may have. Anything else is raw HTML that got
 * through. */
static const struct {
	const char *tag, *attrs; /* attrs: " a b " */
} allowed[] = {
	{ "p", " class " }, { "blockquote", " " }, { "ul", " " }, { "ol", " start " }, { "li", " id " },
	{ "pre", " tabindex " }, { "code", " class " }, { "span", " class " }, { "hr", " " }, { "br", " " },
	{ "em", " " }, { "strong", " " }, { "del", " " }, { "div", " class tabindex " },
	{ "a", " href title class id aria-label data-footnote-ref data-footnote-backref data-footnote-backref-idx " },
	{ "img", " src alt title " }, { "table", " " }, { "thead", " " }, { "tbody", " " }, { "tr", " " },
	{ "th", " align " }, { "td", " align " }, { "input", " type class checked disabled aria-label " },
	{ "section", " class data-footnotes " }, { "sup", " class " }, { "h1", " id " }, { "h2", " id " },
	{ "h3", " id " }, { "h4", " id " }, { "h5", " id " }, { "h6", " id " },
};

/* cmark-gfm's footnote attributes stand alone, without a value */
static const char bare_attrs[] = " data-footnotes data-footnote-ref data-footnote-backref ";

/* The spaces every render knows ([[finance:Page]]), and the render's own (NULL: the wiki,
 * as a page view says it; "wiki", as the index says it). */
static const char *const spaces[] = { "wiki", "finance", "hr", NULL };
static const char *own;

static const char *
attrs_of(const char *tag, size_t n)
{
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strlen(allowed[i].tag) == n && memcmp(allowed[i].tag, tag, n) == 0)
			return allowed[i].attrs;
	return NULL;
}

/* An entity as cmark writes them: &name; &#123; &#x1F; — its length, or 0. */
static size_t
entity(const char *s)
{
	size_t i = 1;
	if (s[i] == '#') {
		i++;
		int hex = s[i] == 'x' || s[i] == 'X';
		i += hex;
		size_t d = i;
		while (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))
			i++;
		return i > d && s[i] == ';' ? i + 1 : 0;
	}
	while (isalnum((unsigned char)s[i]))
		i++;
	return i > 1 && s[i] == ';' ? i + 1 : 0;
}

/* The URL a browser would follow: entities decoded (the ones cmark writes), tabs and line
 * breaks dropped, leading blanks and control bytes skipped, lowercased. */
static void
browser_url(struct buf *out, const char *v, size_t n)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c == '&') {
			size_t e = entity(v + i);
			FUZZ_CHECK(e, "a bare '&' in an attribute");
			if (strncmp(v + i, "&amp;", 5) == 0)
				c = '&';
			else if (strncmp(v + i, "&#x27;", 6) == 0 || strncmp(v + i, "&#39;", 5) == 0)
				c = '\'';
			else if (strncmp(v + i, "&quot;", 6) == 0)
				c = '"';
			else if (v[i + 1] == '#') /* any other number: what it stands for, if ASCII */
				c = (char)strtol(v + i + 2 + (v[i + 2] == 'x'), NULL, v[i + 2] == 'x' ? 16 : 10);
			else
				c = '?';
			i += e - 1;
		}
		if (c == '\t' || c == '\n' || c == '\r' || ((unsigned char)c <= ' ' && out->len == 0))
			continue;
		buf_putc(out, tolower((unsigned char)c));
	}
}

static void
check_url(const char *tag, const char *v, size_t n)
{
	struct buf u = BUF_INIT;
	browser_url(&u, v, n);
	const char *s = buf_cstr(&u);
	static const char *const bad[] = { "javascript:", "vbscript:", "file:", "data:" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strncmp(s, bad[i], strlen(bad[i])) != 0)
			continue;
		/* cmark-gfm's safe mode keeps these (render.h), in links too: images, no script */
		int image = i == 3 &&
			    (strncmp(s, "data:image/png", 14) == 0 || strncmp(s, "data:image/gif", 14) == 0 ||
			     strncmp(s, "data:image/jpeg", 15) == 0 || strncmp(s, "data:image/webp", 15) == 0);
		FUZZ_CHECK(image, "<%s> with a %s URL: %.*s", tag, bad[i], (int)n, v);
	}
	buf_free(&u);
}

/* Does [v, v+n) start with the string `p`? */
static int
starts(const char *v, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && memcmp(v, p, k) == 0;
}

/* Is `href` ([n bytes]) where a wiki link of class `cls` goes: a page of the render's own
 * space (/s/OWN/wiki/ or, missing, /s/OWN/edit/; the wiki's without /s/), a section of this
 * page, or (class "wikilink space") a page of another space it knows? */
static int
wiki_href_ok(const char *cls, const char *href, size_t n)
{
	char base[32] = "";
	if (own && strcmp(own, "wiki") != 0)
		snprintf(base, sizeof(base), "/s/%s", own);
	char wiki[48], edit[48];
	snprintf(wiki, sizeof(wiki), "%s/wiki/", base);
	snprintf(edit, sizeof(edit), "%s/edit/", base);
	if (strcmp(cls, "wikilink") == 0)
		return starts(href, n, wiki) || starts(href, n, "#");
	if (strcmp(cls, "wikilink missing") == 0)
		return starts(href, n, edit);
	/* into another space: never the own one, never one it does not know */
	for (const char *const *sp = spaces; *sp; sp++) {
		char other[48];
		snprintf(other, sizeof(other), strcmp(*sp, "wiki") == 0 ? "/wiki/" : "/s/%s/wiki/", *sp);
		if (starts(href, n, other))
			return strcmp(other, wiki) != 0;
	}
	return 0;
}

/* A class as render.c or cmark-gfm gives it to `tag`; wiki-link classes only on wiki links
 * (`href` of `hn` bytes, or NULL). */
static void
check_class(const char *tag, const char *cls, size_t n, const char *href, size_t hn)
{
	char c[64];
	FUZZ_CHECK(n < sizeof(c) || strcmp(tag, "code") == 0, "<%s> with a class of %zu bytes", tag, n);
	snprintf(c, sizeof(c), "%.*s", (int)n, cls);
	if (strcmp(tag, "a") == 0) {
		if (strcmp(c, "anchor") == 0)
			FUZZ_CHECK(href && starts(href, hn, "#"), "a heading's anchor that goes elsewhere");
		else if (strcmp(c, "footnote-backref") == 0)
			FUZZ_CHECK(href && starts(href, hn, "#fnref-"), "a footnote's way back that goes elsewhere");
		else
			FUZZ_CHECK((strcmp(c, "wikilink") == 0 || strcmp(c, "wikilink missing") == 0 ||
				    strcmp(c, "wikilink space") == 0) &&
					   href && wiki_href_ok(c, href, hn),
				   "<a class=\"%s\" href=\"%.*s\"> is no wiki link of render.c (in space %s)", c,
				   href ? (int)hn : 0, href ? href : "", own ? own : "(none)");
		return;
	}
	int ok = (strcmp(tag, "div") == 0 &&
		  (strcmp(c, "table") == 0 || (strncmp(c, "heading h", 9) == 0 && c[9] >= '1' && c[9] <= '6' && !c[10]))) ||
		 (strcmp(tag, "code") == 0 && starts(cls, n, "language-") && n > 9) ||
		 (strcmp(tag, "span") == 0 && starts(cls, n, "hl-") && n > 3 && strspn(c + 3, "abcdefghijklmnopqrstuvwxyz") == n - 3) ||
		 (strcmp(tag, "input") == 0 && strcmp(c, "task") == 0) ||
		 (strcmp(tag, "sup") == 0 && strcmp(c, "footnote-ref") == 0) ||
		 (strcmp(tag, "section") == 0 && strcmp(c, "footnotes") == 0) ||
		 (strcmp(tag, "p") == 0 && strcmp(c, "notice") == 0);
	FUZZ_CHECK(ok, "<%s class=\"%s\">: a class the renderer never gives it", tag, c);
}

/* The ids of one output, to see that each is given once (a heading, a footnote, its
 * references: a link to #x must find one place). */
struct ids {
	char **v;
	size_t n, cap;
};

static void
ids_add(struct ids *ids, const char *v, size_t n)
{
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 64;
		ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	ids->v[ids->n++] = xstrndup(v, n);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
ids_check_free(struct ids *ids)
{
	if (ids->n)
		qsort(ids->v, ids->n, sizeof(*ids->v), cmp_str);
	for (size_t i = 0; i + 1 < ids->n; i++)
		FUZZ_CHECK(strcmp(ids->v[i], ids->v[i + 1]) != 0, "id \"%s\" given twice", ids->v[i]);
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
}

/* One tag at s (after its '<'): name and attributes as allowed. Returns its length. */
static size_t
check_tag(const char *s, struct ids *ids)
{
	size_t i = s[0] == '/', start = i;
	char tag[16];
	while (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))
		i++;
	FUZZ_CHECK(i > start && i - start < sizeof(tag), "a tag without a name: <%.40s", s);
	memcpy(tag, s + start, i - start);
	tag[i - start] = '\0';
	const char *attrs = attrs_of(tag, i - start);
	FUZZ_CHECK(attrs, "a tag the renderer never makes: <%s", tag);
	const char *cls = NULL, *href = NULL;
	size_t cn = 0, hn = 0;
	while (s[i] == ' ') {
		i++;
		if (s[i] == '/' && s[i + 1] == '>')
			break;
		size_t a = i;
		while (islower((unsigned char)s[i]) || s[i] == '-')
			i++;
		char name[32];
		FUZZ_CHECK(i > a && i - a < sizeof(name), "a bad attribute in <%s: %.40s", tag, s + a);
		memcpy(name, s + a, i - a);
		name[i - a] = '\0';
		FUZZ_CHECK(strncmp(name, "on", 2) != 0, "an event handler attribute <%s %s>", tag, name);
		char spaced[40];
		snprintf(spaced, sizeof(spaced), " %s ", name);
		FUZZ_CHECK(strstr(attrs, spaced), "<%s> with an attribute the renderer never makes: %s", tag, name);
		if (strstr(bare_attrs, spaced) && (s[i] == ' ' || s[i] == '>'))
			continue;
		FUZZ_CHECK(s[i] == '=' && s[i + 1] == '"', "<%s %s> without a quoted value", tag, name);
		i += 2;
		const char *v = s + i;
		size_t n = strcspn(v, "\"<>");
		FUZZ_CHECK(v[n] == '"', "<%s %s=...> value not closed by a quote", tag, name);
		if (strcmp(name, "href") == 0 || strcmp(name, "src") == 0)
			check_url(tag, v, n);
		if (strcmp(name, "href") == 0) {
			href = v;
			hn = n;
		}
		if (strcmp(name, "class") == 0) {
			cls = v;
			cn = n;
		}
		if (strcmp(name, "id") == 0)
			ids_add(ids, v, n);
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(v[k] != '&' || entity(v + k), "a bare '&' in <%s %s>", tag, name);
		i += n + 1;
	}
	if (cls)
		check_class(tag, cls, cn, href, hn);
	if (s[i] == '/' && s[i + 1] == '>')
		i++;
	FUZZ_CHECK(s[i] == '>', "a tag not closed: <%.60s", s);
	return i + 1;
}

/* The whole output: text without '<', '>' or bare '&', and allowed tags, each id once. */
static void
check_html(const char *html, size_t n)
{
	static const char omitted[] = "<!-- raw HTML omitted -->";
	struct ids ids = { 0 };
	FUZZ_CHECK(fuzz_utf8_ok(html, n), "output is not valid UTF-8");
	FUZZ_CHECK(!strcasestr(html, "<script"), "a <script in the output");
	for (size_t i = 0; i < n;) {
		if (html[i] == '<') {
			if (strncmp(html + i, omitted, sizeof(omitted) - 1) == 0)
				i += sizeof(omitted) - 1;
			else
				i += check_tag(html + i + 1, &ids) + 1;
		} else {
			FUZZ_CHECK(html[i] != '>', "a raw '>' in text at %zu: %.60s", i, html + (i > 30 ? i - 30 : 0));
			FUZZ_CHECK(html[i] != '&' || entity(html + i), "a bare '&' in text at %zu", i);
			i++;
		}
	}
	ids_check_free(&ids);
}

/* The table of contents (beside the page): nested lists of links to the page's sections. */
static void
check_toc(const char *toc, size_t n)
{
	check_html(toc, n);
	for (const char *t = toc; (t = strchr(t, '<')); t++) {
		t += t[1] == '/';
		FUZZ_CHECK(strncmp(t, "<ul>", 4) == 0 || strncmp(t, "<li>", 4) == 0 || strncmp(t, "/ul>", 4) == 0 ||
				   strncmp(t, "/li>", 4) == 0 || strncmp(t, "/a>", 3) == 0 || strncmp(t, "<a href=\"#", 10) == 0,
			   "the contents hold more than lists of links to sections: %.40s", t);
	}
}

/* The links for backlinks, one a line, "SPACE\tName\tPage": SPACE empty for a link within
 * the render's own space, else a space the render knows that is not its own; Name (as the
 * link names it) and Page (where it leads) valid page names. */
static void
check_links(const char *l)
{
	while (*l) {
		const char *nl = strchr(l, '\n');
		FUZZ_CHECK(nl, "the links do not end in a line break");
		const char *t1 = memchr(l, '\t', (size_t)(nl - l));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		FUZZ_CHECK(t1 && t2, "a link line is not SPACE, name and page: %.60s", l);
		size_t sn = (size_t)(t1 - l);
		if (sn) {
			int known = 0;
			for (const char *const *sp = spaces; *sp; sp++)
				known |= strlen(*sp) == sn && memcmp(*sp, l, sn) == 0;
			FUZZ_CHECK(known && !(strlen(own ? own : "wiki") == sn && memcmp(own ? own : "wiki", l, sn) == 0),
				   "a link into space '%.*s' (the render's: %s)", (int)sn, l, own ? own : "wiki");
		}
		FUZZ_CHECK(pagename_check(t1 + 1, (size_t)(t2 - t1 - 1)) == 0, "a link name that is no page name: %.60s", t1 + 1);
		FUZZ_CHECK(pagename_check(t2 + 1, (size_t)(nl - t2 - 1)) == 0, "a link to no page name: %.60s", t2 + 1);
		l = nl + 1;
	}
}

/* Each input is rendered twice, as kennis does: for the index (every page exists, the links
 * collected) and for a page view (lookups, anchors, colours, contents), both in one of three
 * spaces picked by the input's bytes, so each input keeps its space. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const owns[] = { NULL, "wiki", "finance" };
	unsigned h = 0;
	for (size_t i = 0; i < size; i++)
		h = h * 31 + data[i];
	own = owns[h % 3];

	struct buf html = BUF_INIT, links = BUF_INIT, toc = BUF_INIT;
	struct render_ctx index = { .links = &links, .space = own, .spaces = spaces };
	int rc = render_markdown(&html, (const char *)data, size, &index);
	FUZZ_CHECK(rc == (size > RENDER_MAX_INPUT ? KN_ETOOBIG : 0), "render_markdown returned %d", rc);
	check_html(buf_cstr(&html), html.len);
	check_links(buf_cstr(&links));

	struct render_ctx view = { .page_exists = exists, .space = own, .spaces = spaces,
				   .opts = RENDER_ANCHORS | RENDER_HIGHLIGHT, .toc = &toc };
	buf_reset(&html);
	rc = render_markdown(&html, (const char *)data, size, &view);
	FUZZ_CHECK(rc == (size > RENDER_MAX_INPUT ? KN_ETOOBIG : 0), "render_markdown returned %d", rc);
	check_html(buf_cstr(&html), html.len);
	check_toc(buf_cstr(&toc), toc.len);
	buf_free(&html);
	buf_free(&links);
	buf_free(&toc);
	return 0;
}
