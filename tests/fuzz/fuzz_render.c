/* fuzz_render.c: Markdown -> HTML (render.c) with an oracle on the output: only the tags and attributes the renderer makes, no script. */
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

/* The tags cmark-gfm (safe mode; strikethrough, tasklist, table, autolink) and render.c
 * make, with the attributes each may have. Anything else is raw HTML that got through. */
static const struct {
	const char *tag, *attrs; /* attrs: " a b " */
} allowed[] = {
	{ "p", " " }, { "blockquote", " " }, { "ul", " " }, { "ol", " start " }, { "li", " " },
	{ "pre", " lang " }, { "code", " " }, { "hr", " " }, { "br", " " }, { "em", " " }, { "strong", " " },
	{ "del", " " }, { "a", " href title class " }, { "img", " src alt title " }, { "table", " " },
	{ "thead", " " }, { "tbody", " " }, { "tr", " " }, { "th", " align " }, { "td", " align " },
	{ "input", " type checked disabled " }, { "h1", " id " }, { "h2", " id " }, { "h3", " id " },
	{ "h4", " id " }, { "h5", " id " }, { "h6", " id " },
};

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

/* One tag at s (after its '<'): name and attributes as allowed. Returns its length. */
static size_t
check_tag(const char *s)
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
	int href_wiki = 0;
	const char *cls = NULL;
	while (s[i] == ' ') {
		i++;
		if (s[i] == '/' && s[i + 1] == '>')
			break;
		size_t a = i;
		while (islower((unsigned char)s[i]))
			i++;
		char name[16];
		FUZZ_CHECK(i > a && i - a < sizeof(name), "a bad attribute in <%s: %.40s", tag, s + a);
		memcpy(name, s + a, i - a);
		name[i - a] = '\0';
		FUZZ_CHECK(strncmp(name, "on", 2) != 0, "an event handler attribute <%s %s>", tag, name);
		char spaced[20];
		snprintf(spaced, sizeof(spaced), " %s ", name);
		FUZZ_CHECK(strstr(attrs, spaced), "<%s> with an attribute the renderer never makes: %s", tag, name);
		FUZZ_CHECK(s[i] == '=' && s[i + 1] == '"', "<%s %s> without a quoted value", tag, name);
		i += 2;
		const char *v = s + i;
		size_t n = strcspn(v, "\"<>");
		FUZZ_CHECK(v[n] == '"', "<%s %s=...> value not closed by a quote", tag, name);
		if (strcmp(name, "href") == 0 || strcmp(name, "src") == 0)
			check_url(tag, v, n);
		if (strcmp(name, "href") == 0)
			href_wiki = strncmp(v, "/wiki/", 6) == 0 || strncmp(v, "/edit/", 6) == 0 || v[0] == '#';
		if (strcmp(name, "class") == 0)
			cls = v;
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(v[k] != '&' || entity(v + k), "a bare '&' in <%s %s>", tag, name);
		i += n + 1;
	}
	if (cls) /* only render.c's wiki links have a class: to a page, or a section ([[#Part]]) */
		FUZZ_CHECK((strncmp(cls, "wikilink\"", 9) == 0 || strncmp(cls, "wikilink missing\"", 17) == 0) && href_wiki,
			   "a class no wiki link of render.c has: %.60s", cls);
	if (s[i] == '/' && s[i + 1] == '>')
		i++;
	FUZZ_CHECK(s[i] == '>', "a tag not closed: <%.60s", s);
	return i + 1;
}

/* The whole output: text without '<', '>' or bare '&', and allowed tags. */
static void
check_html(const char *html, size_t n)
{
	static const char omitted[] = "<!-- raw HTML omitted -->";
	FUZZ_CHECK(fuzz_utf8_ok(html, n), "output is not valid UTF-8");
	FUZZ_CHECK(!strcasestr(html, "<script"), "a <script in the output");
	for (size_t i = 0; i < n;) {
		if (html[i] == '<') {
			if (strncmp(html + i, omitted, sizeof(omitted) - 1) == 0)
				i += sizeof(omitted) - 1;
			else
				i += check_tag(html + i + 1) + 1;
		} else {
			FUZZ_CHECK(html[i] != '>', "a raw '>' in text at %zu: %.60s", i, html + (i > 30 ? i - 30 : 0));
			FUZZ_CHECK(html[i] != '&' || entity(html + i), "a bare '&' in text at %zu", i);
			i++;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf html = BUF_INIT, links = BUF_INIT;
	struct render_ctx ctx = { exists, NULL, &links };
	int rc = render_markdown(&html, (const char *)data, size, &ctx);
	FUZZ_CHECK(rc == (size > RENDER_MAX_INPUT ? KN_ETOOBIG : 0), "render_markdown returned %d", rc);
	check_html(buf_cstr(&html), html.len);
	/* the links for backlinks: valid page names, one a line, each once */
	for (const char *l = buf_cstr(&links); *l;) {
		const char *nl = strchr(l, '\n');
		FUZZ_CHECK(nl && pagename_check(l, (size_t)(nl - l)) == 0, "a link that is no page name: %.60s", l);
		l = nl + 1;
	}
	buf_free(&html);
	buf_free(&links);
	return 0;
}
