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
	if (cache_get(out, key))
		return 0;
	sqlite3 *db = ui_index_db(r);
	sqlite3_stmt *st = NULL;
	if (!db || sqlite3_prepare_v2(db, "SELECT src FROM links WHERE dst = ?1 AND src <> ?1 ORDER BY src", -1, &st, NULL) != SQLITE_OK) {
		log_warn("backlinks of %s: index not available", path);
		return KN_EIO;
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		buf_puts(out, (const char *)sqlite3_column_text(st, 0));
		buf_putc(out, '\n');
	}
	sqlite3_finalize(st);
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
	sqlite3 *db = ui_index_db(r);
	sqlite3_stmt *st = NULL, *from = NULL;
	if (!db)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Wanted pages");
	if (sqlite3_prepare_v2(db,
			       "SELECT dst, count(*) AS n FROM links WHERE dst NOT IN (SELECT path FROM pages) "
			       "GROUP BY dst ORDER BY n DESC, dst LIMIT 1000",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT src FROM links WHERE dst = ? ORDER BY src LIMIT 50", -1, &from, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return KN_EIO;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *dst = (const char *)sqlite3_column_text(st, 0);
		struct tctx *it = add_page(r, c, "wanted", dst);
		if (!it)
			continue;
		tsetf(it, "count", "%d", sqlite3_column_int(st, 1));
		sqlite3_reset(from);
		sqlite3_bind_text(from, 1, dst, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(from) == SQLITE_ROW)
			add_page(r, it, "from", (const char *)sqlite3_column_text(from, 0));
		tset(c, "has_wanted", "1");
	}
	sqlite3_finalize(st);
	sqlite3_finalize(from);
	return ui_render(r, "wanted", c);
}

int
ui_orphans(struct req *r)
{
	sqlite3 *db = ui_index_db(r);
	sqlite3_stmt *st = NULL;
	if (!db)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Orphaned pages");
	/* Home and the frame/template pages (names starting with '_') are reached otherwise. */
	if (sqlite3_prepare_v2(db,
			       "SELECT path FROM pages WHERE path NOT IN (SELECT dst FROM links WHERE src <> dst) "
			       "AND path <> 'Home.md' AND path NOT LIKE '\\_%' ESCAPE '\\' "
			       "AND path NOT LIKE '%/\\_%' ESCAPE '\\' ORDER BY path LIMIT 5000",
			       -1, &st, NULL) != SQLITE_OK)
		return KN_EIO;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (add_page(r, c, "orphans", (const char *)sqlite3_column_text(st, 0)))
			tset(c, "has_orphans", "1");
	sqlite3_finalize(st);
	return ui_render(r, "orphans", c);
}
