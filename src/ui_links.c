/* ui_links.c: the link graph: what links here, wanted pages, orphans (from the index). */
#include "ui.h"

#include <string.h>

#include "cache.h"
#include "index.h"
#include "pagename.h"

/* Add page `path` (a .md file) to list `key` of `c` as name and title; 0 if not a page. */
static struct tctx *
add_page(struct req *r, struct tctx *c, const char *key, const char *path)
{
	struct buf name = BUF_INIT, title = BUF_INIT;
	struct tctx *it = NULL;
	if (pagename_from_path(&name, path, strlen(path)) == 0) {
		pagename_title(&title, name.ptr);
		it = tadd(c, key);
		tset(it, "name", name.ptr);
		tset(it, "pagetitle", buf_cstr(&title));
	}
	buf_free(&name);
	buf_free(&title);
	return it;
}

/* The files linking to `path`, one per line, as of commit `hex`: cached under that key (a
 * page view then costs no SQL at all), else asked of the caught-up index. */
static int
backlink_list(struct req *r, struct buf *out, const char *hex, const char *path)
{
	char *key = arena_printf(r->a, "bl:%s:%s", hex, path);
	struct index_paths from;
	if (cache_get(out, key))
		return 0;
	struct index *ix = ui_index(r);
	if (!ix || index_backlinks(&from, ix, ui_scope(r), path, r->a) < 0) {
		log_warn("backlinks of %s: index not available", path);
		return KN_EIO;
	}
	for (size_t i = 0; i < from.n; i++) {
		buf_puts(out, from.v[i]);
		buf_putc(out, '\n');
	}
	if (!r->index_behind) /* kept under main's commit only when the index has it */
		cache_put(key, buf_cstr(out), out->len);
	return 0;
}

void
ui_backlinks(struct req *r, struct tctx *c, const char *hex, const char *path)
{
	struct buf list = BUF_INIT;
	if (backlink_list(r, &list, hex, path) == 0) {
		for (char *line = list.ptr, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (add_page(r, c, "backlinks", line))
				tset(c, "has_backlinks", "1");
		}
	}
	buf_free(&list);
}

int
ui_wanted(struct req *r)
{
	struct index *ix = ui_index(r);
	struct index_wanteds w;
	int rc = ix ? index_wanted(&w, ix, ui_scope(r), r->a) : KN_EIO;
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Wanted pages");
	for (size_t i = 0; i < w.n; i++) {
		struct tctx *it = add_page(r, c, "wanted", w.v[i].path);
		if (!it)
			continue;
		tsetf(it, "count", "%u", w.v[i].links);
		for (size_t k = 0; k < w.v[i].from.n; k++)
			add_page(r, it, "from", w.v[i].from.v[k]);
		tset(c, "has_wanted", "1");
	}
	return ui_render(r, "wanted", c);
}

int
ui_orphans(struct req *r)
{
	struct index *ix = ui_index(r);
	struct index_paths o;
	int rc = ix ? index_orphans(&o, ix, ui_scope(r), r->a) : KN_EIO;
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Orphaned pages");
	for (size_t i = 0; i < o.n; i++)
		if (add_page(r, c, "orphans", o.v[i]))
			tset(c, "has_orphans", "1");
	return ui_render(r, "orphans", c);
}
