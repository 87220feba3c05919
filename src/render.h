/* render.h: Markdown -> safe HTML (cmark-gfm), with wiki links and heading ids. */
#ifndef KENNIS_RENDER_H
#define KENNIS_RENDER_H

#include <stddef.h>
#include "kennis.h"

/* Bounds that keep a hostile page from stalling a worker (see docs/rendering.md). */
#define RENDER_MAX_INPUT   (2u << 20) /* bytes of Markdown rendered; the rest is cut */
#define RENDER_MAX_COLUMNS 64         /* a wider table is shown as plain text; cell and work
                                        budgets in render.c bound the rest (docs/rendering.md) */

#define RENDER_TOC_MIN 3   /* headings a page needs for a table of contents */
#define RENDER_TOC_MAX 200 /* entries of the contents at most (the rest are left out) */

/* What a page view adds to the plain rendering (the index and the search text do without). */
enum render_opt {
	RENDER_ANCHORS = 1,   /* each heading in <div class="heading hN">, with a "#" link to it after it */
	RENDER_HIGHLIGHT = 2, /* colours in fenced code of the languages highlight.h knows */
};

struct render_ctx {
	/* Does page `name` (a valid page name such as "Customers/Acme-Corp") exist? NULL: every
	 * page exists. */
	int (*page_exists)(void *payload, const char *name);
	void *payload;
	/* Wiki links found while rendering are appended here, one page name per line, when
	 * non-NULL (used later for backlinks); a link into another space is "SPACE\tName". */
	struct buf *links;
	/* The space of the page rendered (NULL: the wiki): its wiki links go to
	 * /s/SPACE/wiki/... (the wiki's to /wiki/...). */
	const char *space;
	/* The names of the spaces, NULL-terminated (NULL: none). [[NAME:Page]] with NAME one of
	 * them links into that space; nothing is looked up there (the reader may not be allowed
	 * to know whether the page exists), so it is never marked missing. */
	const char *const *spaces;
	unsigned opts; /* RENDER_ flags */
	/* When non-NULL and the page has RENDER_TOC_MIN headings or more outside quotes, lists
	 * and footnotes: the table of contents is appended here, nested <ul> lists of
	 * <li><a href="#id">text</a>, in document order (empty otherwise). */
	struct buf *toc;
};

/* Initialise cmark-gfm's extension registry (and libsodium); call once at start, before any
 * thread renders. */
void render_global_init(void);
/* Release what render_global_init set up (for a clean valgrind run); at exit only. */
void render_global_release(void);

/* Render `len` bytes of Markdown to HTML appended to `out`. Safe mode always: raw HTML is
 * dropped and javascript:/vbscript:/file:/data: URLs are removed (except
 * data:image/png|gif|jpeg|webp). `ctx` may be NULL: every page exists, no links collected;
 * ctx->links gets each page once.
 * [[Page Name]] and [[label|Page Name]] (label first, as in GitHub wikis) become
 *   <a class="wikilink" href="/wiki/Page-Name">...</a>
 * or, when ctx says the page does not exist,
 *   <a class="wikilink missing" href="/edit/Page-Name">...</a>;
 * [[finance:Page Name]] (a space of ctx->spaces) becomes
 *   <a class="wikilink space" href="/s/finance/wiki/Page-Name">...</a>.
 * Headings get unique ids (GitHub-style slugs); fenced code is
 *   <pre tabindex="0"><code class="language-x">...</code></pre>
 * tables sit in <div class="table" tabindex="0">, task-list boxes are named after their item,
 * footnotes ([^1]) are GitHub's (docs/rendering.md). Returns 0, or KN_ETOOBIG when the input
 * was cut at RENDER_MAX_INPUT (the output is still valid HTML, with a notice). */
int render_markdown(struct buf *out, const char *md, size_t len, const struct render_ctx *ctx);

#endif
