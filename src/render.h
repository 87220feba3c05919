/* render.h: Markdown -> safe HTML (cmark-gfm), with wiki links and heading ids. */
#ifndef KENNIS_RENDER_H
#define KENNIS_RENDER_H

#include <stddef.h>
#include "kennis.h"

/* Bounds that keep a hostile page from stalling a worker (see docs/rendering.md). */
#define RENDER_MAX_INPUT   (2u << 20) /* bytes of Markdown rendered; the rest is cut */
#define RENDER_MAX_COLUMNS 64         /* a wider table is shown as plain text; cell and work
                                        budgets in render.c bound the rest (docs/rendering.md) */

struct render_ctx {
	/* Does page `name` (a valid page name such as "Customers/Acme-Corp") exist? NULL: every
	 * page exists. */
	int (*page_exists)(void *payload, const char *name);
	void *payload;
	/* Wiki links found while rendering are appended here, one page name per line, when
	 * non-NULL (used later for backlinks): the page each leads to (see resolve). */
	struct buf *links;
	/* Where a wiki link to page `name` (valid, as written: "Page-Name", "Folder/Page")
	 * leads: appends that page's name to `out` and returns 1, or appends the name of the
	 * page to create and returns 0 (links.c finds pages as GitHub wikis do). NULL:
	 * page_exists decides, for the name as written. */
	int (*resolve)(void *payload, const char *name, struct buf *out);
	/* The address relative link and image URLs are relative to, percent-encoded, ending in
	 * '/' ("/wiki/Customers/" for a page in Customers/): they are written as absolute
	 * paths, so they lead where they do on the page's own address wherever the HTML is
	 * shown (the front page at /, the preview). NULL: left as written. */
	const char *base;
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
 * (or the page ctx->resolve finds: "/wiki/Folder/Page-Name"),
 * or, when ctx says the page does not exist,
 *   <a class="wikilink missing" href="/edit/Page-Name">...</a>.
 * Headings get unique ids (GitHub-style slugs). Returns 0, or KN_ETOOBIG when the input was
 * cut at RENDER_MAX_INPUT (the output is still valid HTML, with a notice). */
int render_markdown(struct buf *out, const char *md, size_t len, const struct render_ctx *ctx);

#endif
