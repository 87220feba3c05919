/* ui_links.c: the link graph: what links here, wanted pages, orphans (from the index). */
#include "ui.h"

#include <string.h>

#include "cache.h"
#include "index.h"
#include "pagename.h"

/* Add page `path` (a .md file) of space `space` to list `key` of `c` as name and title,
 * with its address prefix; 0 if not a page. */
static struct tctx *
add_page(struct req *r, struct tctx *c, const char *key, const char *space, const char *path)
{
	struct buf name = BUF_INIT, title = BUF_INIT;
	struct tctx *it = NULL;
	if (pagename_from_path(&name, path, strlen(path)) == 0) {
		pagename_title(&title, name.ptr);
		it = tadd(c, key);
		tset(it, "name", name.ptr);
		tset(it, "pagetitle", buf_cstr(&title));
		ui_space_vars(r, it, space);
	}
	buf_free(&name);
	buf_free(&title);
	return it;
}

/* The files linking to `path` of this request's space, one "SPACE\tpath" per line, as of
 * commit `hex`: cached under that key with the spaces the viewer may read (links may come
 * from any of them), else asked of the caught-up index. A link from another space shows
 * once the index has caught that space up: within a second (ui_index). */
static int
backlink_list(struct req *r, struct buf *out, const char *hex, const char *path)
{
	const char *space = ui_space_name(r);
	const struct index_scope *sc = ui_scope(r);
	struct buf key = BUF_INIT;
	struct index_paths from;
	buf_printf(&key, "bl:%s:%s:%s:", space, hex, path);
	for (size_t i = 0; i < sc->n; i++)
		buf_printf(&key, "%s,", sc->spaces[i]);
	int rc = 0;
	if (cache_get(out, key.ptr))
		goto done;
	struct index *ix = ui_index(r);
	if (!ix || index_backlinks(&from, ix, sc, space, path, r->a) < 0) {
		log_warn("backlinks of %s in space %s: index not available", path, space);
		rc = KN_EIO;
		goto done;
	}
	for (size_t i = 0; i < from.n; i++)
		buf_printf(out, "%s\t%s\n", from.space[i], from.v[i]);
	/* only while every space is caught up: the entry could be stale otherwise; and kept
	 * under main's commit only when the index has it */
	if (sc->n <= 1 && !r->index_behind)
		cache_put(key.ptr, buf_cstr(out), out->len);
done:
	buf_free(&key);
	return rc;
}

void
ui_backlinks(struct req *r, struct tctx *c, const char *hex, const char *path)
{
	struct buf list = BUF_INIT;
	if (backlink_list(r, &list, hex, path) == 0) {
		for (char *line = list.ptr, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			char *tab = strchr(line, '\t');
			if (tab)
				*tab = '\0';
			if (tab && add_page(r, c, "backlinks", line, tab + 1))
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
	const char *space = ui_space_name(r);
	int rc = ix ? index_wanted(&w, ix, ui_scope(r), space, r->a) : KN_EIO;
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Wanted pages");
	for (size_t i = 0; i < w.n; i++) {
		struct tctx *it = add_page(r, c, "wanted", space, w.v[i].path);
		if (!it)
			continue;
		tsetf(it, "count", "%u", w.v[i].links);
		for (size_t k = 0; k < w.v[i].from.n; k++)
			add_page(r, it, "from", w.v[i].from.space[k], w.v[i].from.v[k]);
		tset(c, "has_wanted", "1");
	}
	return ui_render(r, "wanted", c);
}

int
ui_orphans(struct req *r)
{
	struct index *ix = ui_index(r);
	struct index_paths o;
	int rc = ix ? index_orphans(&o, ix, ui_scope_here(r), ui_space_name(r), r->a) : KN_EIO;
	if (rc < 0)
		return rc;
	struct tctx *c = ui_context(r, "Orphaned pages");
	for (size_t i = 0; i < o.n; i++)
		if (add_page(r, c, "orphans", o.space[i], o.v[i]))
			tset(c, "has_orphans", "1");
	return ui_render(r, "orphans", c);
}
