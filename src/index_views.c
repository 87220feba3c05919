/* index_views.c: the typed queries the views read: groups, page lists, backlinks, wanted pages, orphans. */
#include "index_db.h"

#include <strings.h>

/* SQL for the customer a page (table alias p) is about: front matter `customer:`, else the
 * folder under Customers/ with '-' as ' '. The one definition for every customer view. */
#define CUSTOMER_SQL_OF(t)                                                                                         \
	"CASE WHEN " t ".customer <> '' THEN " t ".customer "                                                      \
	"WHEN " t ".path LIKE 'Customers/%/%' THEN replace(substr(" t ".path, 11, instr(substr(" t ".path, 11), '/') - 1), '-', ' ') " \
	"ELSE '' END"
#define CUSTOMER_SQL CUSTOMER_SQL_OF("p")

/* Each page's customer, its time, and whether it is the customer's own page (its title is
 * the customer, or it is Customers/<name>.md): its spelling of the customer is the one
 * shown. Rows of pages p (hidden ones left out), with the scope's condition to follow. */
#define CUSTOMERS_SQL                                                                                             \
	"SELECT c, t, c <> '' AND (title = c COLLATE NOCASE OR "                                                   \
	"path = 'Customers/' || replace(c, ' ', '-') || '.md' COLLATE NOCASE) AS own FROM ("                      \
	"SELECT " CUSTOMER_SQL " AS c, p.updated_time AS t, p.title AS title, p.path AS path FROM pages p WHERE p.hidden = 0"

/* The columns of a struct index_page, from pages p (and its section last, in the queries
 * that have one): the space's name is column 7. */
#define PAGE_COLS "p.name, p.title, p.updated_author, p.updated_time, p.updated_offset, p.owner, p.review_by, " \
		  "(SELECT name FROM spaces WHERE id = p.space)"
#define SECTION_COL 8
#define STR_(x) #x
#define STR(x) STR_(x) /* a number in SQL text */

/* A space name as the registry allows them ([a-z0-9-]): safe inside SQL quotes. */
static int
plain_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

int
index_scope_none(const struct index_scope *sc)
{
	return !sc || sc->n == 0;
}

void
index_scope_sql(struct buf *sql, const struct index_scope *sc)
{
	size_t written = 0;
	if (index_scope_none(sc)) {
		buf_puts(sql, " AND 0"); /* no scope, or one that reads nothing: nothing */
		return;
	}
	buf_puts(sql, " AND p.space IN (SELECT id FROM spaces WHERE name IN (");
	for (size_t i = 0; i < sc->n; i++)
		if (plain_name(sc->spaces[i]))
			buf_printf(sql, "%s'%s'", written++ ? ", " : "", sc->spaces[i]);
	buf_puts(sql, written ? "))" : "''))");
}

/* `head`, the scope's condition, `tail`, prepared; NULL when that fails (logged). */
static sqlite3_stmt *
prepare(struct index *ix, const struct index_scope *sc, const char *head, const char *tail)
{
	struct buf sql = BUF_INIT;
	buf_puts(&sql, head);
	index_scope_sql(&sql, sc);
	buf_puts(&sql, tail);
	sqlite3_stmt *st = index_stmt_text(ix, sql.ptr);
	buf_free(&sql);
	return st;
}

/* Done with a statement of prepare() (kept by the connection): reset it, which ends its
 * read. 0, or KN_EIO when it ended with an error. */
static int
finish(struct index *ix, sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		index_sql_fail(ix, rc, sqlite3_sql(st));
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : KN_EIO;
}

static const char *
text(struct arena *a, sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return arena_strdup(a, t ? t : "");
}

/* Room for one more item in v[0..n) of `size` bytes each: the capacity is 4, then the
 * next power of two (grown in the arena). */
static void *
grow(struct arena *a, void *v, size_t n, size_t size)
{
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return v; /* room left */
	void *bigger = arena_alloc(a, (n ? n * 2 : 4) * size);
	if (n)
		memcpy(bigger, v, n * size);
	return bigger;
}

/* Column `col` is the path, col + 1 its space's name. */
static void
paths_add(struct index_paths *out, struct arena *a, sqlite3_stmt *st, int col)
{
	out->space = grow(a, out->space, out->n, sizeof(*out->space));
	out->v = grow(a, out->v, out->n, sizeof(*out->v));
	out->space[out->n] = text(a, st, col + 1);
	out->v[out->n++] = text(a, st, col);
}

/* A list of paths: the first column of every row, the space's name the second. */
static int
paths(struct index_paths *out, struct index *ix, sqlite3_stmt *st, struct arena *a)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return KN_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		paths_add(out, a, st, 0);
	return finish(ix, st, rc);
}

/* Every spelling of the values of `key` (any case) with its pages, newest change and
 * whether the customer's own page uses it (customers), the spellings of one value next to
 * each other; only those of the value bound to ?1 (any case) when `one`. */
static sqlite3_stmt *
spellings(struct index *ix, const struct index_scope *sc, enum index_key key, int one)
{
	/* head, (scope), middle, the condition of `one`, tail */
	static const char *const sql[INDEX_KEYS][4] = {
		[INDEX_CUSTOMER] = { "SELECT c, count(*), max(t), max(own) FROM (" CUSTOMERS_SQL, ")) WHERE c <> '' ",
				     "AND c = ?1 COLLATE NOCASE ", "GROUP BY c ORDER BY c COLLATE NOCASE, c" },
		[INDEX_TAG] = { "SELECT t.tag, count(*), max(p.updated_time), 0 FROM tags t JOIN pages p ON p.id = t.page_id "
				"WHERE p.hidden = 0", " ", "AND t.tag = ?1 COLLATE NOCASE ",
				"GROUP BY t.tag ORDER BY t.tag COLLATE NOCASE, t.tag" },
		[INDEX_DEPT] = { "SELECT d.dept, count(*), max(p.updated_time), 0 FROM departments d "
				 "JOIN pages p ON p.id = d.page_id WHERE p.hidden = 0", " ", "AND d.dept = ?1 COLLATE NOCASE ",
				 "GROUP BY d.dept ORDER BY d.dept COLLATE NOCASE, d.dept" },
	};
	struct buf tail = BUF_INIT;
	buf_puts(&tail, sql[key][1]);
	if (one)
		buf_puts(&tail, sql[key][2]);
	buf_puts(&tail, sql[key][3]);
	sqlite3_stmt *st = prepare(ix, sc, sql[key][0], tail.ptr);
	buf_free(&tail);
	return st;
}

/* Is spelling `s` (pages, own) shown before the one in `g` (its pages and own flag)? The
 * customer's own page's, then most pages', then the first by bytes (capitals first). */
static int
spelling_wins(const char *s, unsigned pages, int own, const char *g, unsigned gpages, int gown)
{
	if (own != gown)
		return own;
	if (pages != gpages)
		return pages > gpages;
	return strcmp(s, g) < 0;
}

int
index_groups(struct index_groups *out, struct index *ix, const struct index_scope *sc, enum index_key key,
	     struct arena *a)
{
	int rc, gown = 0;
	unsigned gpages = 0; /* the shown spelling's own pages, for the next row to beat */
	memset(out, 0, sizeof(*out));
	if ((unsigned)key >= INDEX_KEYS)
		return KN_EINVAL;
	sqlite3_stmt *st = spellings(ix, sc, key, 0);
	if (!st)
		return KN_EIO;
	/* GROUP BY COLLATE NOCASE would show one spelling at random (the last row SQLite
	 * read: the latest "acme corp" renamed Acme Corp everywhere): the spellings come one by
	 * one, each value's together, and are merged here. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		unsigned pages = (unsigned)sqlite3_column_int(st, 1);
		int64_t newest = sqlite3_column_int64(st, 2);
		int own = sqlite3_column_int(st, 3) != 0;
		struct index_group *g = out->n ? &out->v[out->n - 1] : NULL;
		if (!s)
			continue;
		if (g && strcasecmp(g->value, s) == 0) {
			if (spelling_wins(s, pages, own, g->value, gpages, gown)) {
				g->value = arena_strdup(a, s);
				gpages = pages;
				gown = own;
			}
			g->pages += pages;
			g->newest = newest > g->newest ? newest : g->newest;
			continue;
		}
		out->v = grow(a, out->v, out->n, sizeof(*out->v));
		out->v[out->n++] = (struct index_group){ arena_strdup(a, s), pages, newest };
		gpages = pages;
		gown = own;
	}
	return finish(ix, st, rc);
}

const char *
index_spelling(struct index *ix, const struct index_scope *sc, enum index_key key, const char *value, struct arena *a)
{
	const char *best = NULL;
	unsigned bpages = 0;
	int bown = 0, rc;
	if ((unsigned)key >= INDEX_KEYS || !value)
		return value;
	sqlite3_stmt *st = spellings(ix, sc, key, 1);
	if (!st)
		return value;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		unsigned pages = (unsigned)sqlite3_column_int(st, 1);
		int own = sqlite3_column_int(st, 3) != 0;
		if (s && (!best || spelling_wins(s, pages, own, best, bpages, bown))) {
			best = arena_strdup(a, s);
			bpages = pages;
			bown = own;
		}
	}
	finish(ix, st, rc);
	return best ? best : value;
}

/* Rows of PAGE_COLS (and a section in column 7 when the query has one). */
static int
pages(struct index_pages *out, struct index *ix, sqlite3_stmt *st, const char *value, struct arena *a)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return KN_EIO;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	int sections = sqlite3_column_count(st) > SECTION_COL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->v = grow(a, out->v, out->n, sizeof(*out->v));
		out->v[out->n++] = (struct index_page){
			.name = text(a, st, 0),
			.title = text(a, st, 1),
			.updated_author = text(a, st, 2),
			.updated_time = sqlite3_column_int64(st, 3),
			.updated_offset = sqlite3_column_int(st, 4),
			.owner = text(a, st, 5),
			.review_by = text(a, st, 6),
			.space = text(a, st, 7),
			.section = sections ? text(a, st, SECTION_COL) : "",
		};
	}
	return finish(ix, st, rc);
}

int
index_pages_with(struct index_pages *out, struct index *ix, const struct index_scope *sc, enum index_key key,
		 const char *value, struct arena *a)
{
	static const char *const sql[INDEX_KEYS][2] = {
		[INDEX_CUSTOMER] = { "SELECT " PAGE_COLS ", coalesce(d.dept, '') FROM pages p "
				     "LEFT JOIN departments d ON d.page_id = p.id "
				     "WHERE p.hidden = 0 AND (" CUSTOMER_SQL ") = ?1 COLLATE NOCASE",
				     " ORDER BY coalesce(d.dept, '') = '', coalesce(d.dept, '') COLLATE NOCASE, "
				     "p.updated_time DESC" },
		[INDEX_TAG] = { "SELECT " PAGE_COLS " FROM pages p JOIN tags t ON t.page_id = p.id WHERE p.hidden = 0 "
				"AND t.tag = ?1 COLLATE NOCASE",
				" ORDER BY p.updated_time DESC" },
		[INDEX_DEPT] = { "SELECT " PAGE_COLS " FROM pages p JOIN departments d ON d.page_id = p.id "
				 "WHERE p.hidden = 0 AND d.dept = ?1 COLLATE NOCASE",
				 " ORDER BY p.updated_time DESC" },
	};
	memset(out, 0, sizeof(*out));
	if ((unsigned)key >= INDEX_KEYS)
		return KN_EINVAL;
	int rc = pages(out, ix, prepare(ix, sc, sql[key][0], sql[key][1]), value, a);
	/* Sections come by department without case; each page writes its own: one spelling
	 * per section (the rows of one come together). */
	const char *raw = NULL, *shown = NULL;
	for (size_t i = 0; rc == 0 && i < out->n; i++) {
		struct index_page *p = &out->v[i];
		if (!*p->section)
			continue;
		if (!raw || strcasecmp(raw, p->section) != 0) {
			raw = p->section;
			shown = index_spelling(ix, sc, INDEX_DEPT, raw, a);
		}
		p->section = shown;
	}
	return rc;
}

int
index_page_get(struct index_page *out, struct index *ix, const struct index_scope *sc, const char *space,
	       const char *path, struct arena *a)
{
	struct index_pages one;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = prepare(ix, sc, "SELECT " PAGE_COLS " FROM pages p WHERE p.path = ?1 "
				   "AND p.space = (SELECT id FROM spaces WHERE name = ?2)", "");
	if (st)
		sqlite3_bind_text(st, 2, space, -1, SQLITE_STATIC);
	int rc = pages(&one, ix, st, path, a);
	if (rc == 0 && one.n == 0)
		rc = KN_ENOTFOUND;
	if (rc == 0)
		*out = one.v[0];
	return rc;
}

int
index_pages_due(struct index_pages *out, struct index *ix, const struct index_scope *sc, const char *today,
		struct arena *a)
{
	return pages(out, ix,
		     prepare(ix, sc, "SELECT " PAGE_COLS ", p.owner FROM pages p WHERE p.hidden = 0 AND p.review_by <> '' "
				     "AND p.review_by < ?1",
			     " ORDER BY p.owner = '', p.owner COLLATE NOCASE, p.review_by"),
		     today, a);
}

#define SPACE_OF(alias) "(SELECT name FROM spaces WHERE id = " alias ".space)"

int
index_paths_with(struct index_paths *out, struct index *ix, const struct index_scope *sc, enum index_key key,
		 const char *value, struct arena *a)
{
	static const char *const sql[INDEX_KEYS] = {
		[INDEX_CUSTOMER] = "SELECT p.path, " SPACE_OF("p") " FROM pages p WHERE (" CUSTOMER_SQL ") = ?1 COLLATE NOCASE",
		[INDEX_TAG] = "SELECT p.path, " SPACE_OF("p") " FROM tags t JOIN pages p ON p.id = t.page_id "
			      "WHERE t.tag = ?1 COLLATE NOCASE",
		[INDEX_DEPT] = "SELECT p.path, " SPACE_OF("p") " FROM departments d JOIN pages p ON p.id = d.page_id "
			       "WHERE d.dept = ?1 COLLATE NOCASE",
	};
	memset(out, 0, sizeof(*out));
	if ((unsigned)key >= INDEX_KEYS)
		return KN_EINVAL;
	sqlite3_stmt *st = prepare(ix, sc, sql[key], "");
	if (st)
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	return paths(out, ix, st, a);
}

/* The space id of `space` for a query (0, which no row has, when the index does not know it). */
static sqlite3_int64
space_id(struct index *ix, const char *space)
{
	sqlite3_int64 id = 0;
	return index_space_id(ix, space, 0, &id) == 0 ? id : 0;
}

int
index_backlinks(struct index_paths *out, struct index *ix, const struct index_scope *sc, const char *space,
		const char *path, struct arena *a)
{
	/* from any space the viewer may read (p is the linking page); one row per page:
	 * [[Page]] and [[Folder/Page]] on one page are two links to one page */
	sqlite3_stmt *st = prepare(ix, sc, "SELECT l.src, " SPACE_OF("p") " FROM links l JOIN pages p ON p.space = l.space "
					   "AND p.path = l.src WHERE l.dst_space = ?2 AND l.dst = ?1 "
					   "AND NOT (l.space = ?2 AND l.src = ?1)",
				   " GROUP BY p.id ORDER BY p.space <> ?2, l.src");
	if (st) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, space_id(ix, space));
	}
	return paths(out, ix, st, a);
}

int
index_wanted(struct index_wanteds *out, struct index *ix, const struct index_scope *sc, const char *space,
	     struct arena *a)
{
	int rc;
	memset(out, 0, sizeof(*out));
	sqlite3_int64 id = space_id(ix, space);
	/* a page counts once however many of its links name the missing page */
	sqlite3_stmt *st = prepare(ix, sc, "SELECT l.dst, count(DISTINCT p.id) AS n FROM links l JOIN pages p "
					   "ON p.space = l.space AND p.path = l.src WHERE l.dst_space = ?1 "
					   "AND l.dst NOT IN (SELECT path FROM pages WHERE space = ?1)",
				   " GROUP BY l.dst ORDER BY n DESC, l.dst LIMIT 1000");
	sqlite3_stmt *from = prepare(ix, sc, "SELECT l.src, " SPACE_OF("p") " FROM links l JOIN pages p ON p.space = l.space "
					     "AND p.path = l.src WHERE l.dst_space = ?2 AND l.dst = ?1",
				     " GROUP BY p.id ORDER BY p.space <> ?2, l.src LIMIT 50");
	if (!st || !from)
		return KN_EIO;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->v = grow(a, out->v, out->n, sizeof(*out->v));
		struct index_wanted *w = &out->v[out->n++];
		*w = (struct index_wanted){ text(a, st, 0), (unsigned)sqlite3_column_int(st, 1), { NULL, NULL, 0 } };
		sqlite3_reset(from);
		sqlite3_bind_text(from, 1, w->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(from, 2, id);
		int frc;
		while ((frc = sqlite3_step(from)) == SQLITE_ROW)
			paths_add(&w->from, a, from, 0);
		if (frc != SQLITE_DONE) {
			rc = frc;
			break;
		}
	}
	sqlite3_reset(from);
	return finish(ix, st, rc);
}

int
index_deleted(struct index_deleteds *out, struct index *ix, const struct index_scope *sc, const char *space,
	      struct arena *a)
{
	int rc;
	memset(out, 0, sizeof(*out));
	/* Each file's newest deletion, when it is not there now (history has a space column as
	 * pages do: the scope's condition reads it as p.space). */
	sqlite3_stmt *st = prepare(ix, sc,
				   "SELECT p.path, c.id FROM page_commits p JOIN commits c ON c.space = p.space AND c.seq = p.seq"
				   " WHERE p.space = ?1 AND p.change IN ('D', 'X') AND p.seq = (SELECT max(h.seq) FROM page_commits h"
				   " WHERE h.space = p.space AND h.path = p.path AND h.change IN ('D', 'X'))"
				   " AND NOT EXISTS (SELECT 1 FROM pages g WHERE g.space = p.space AND g.path = p.path)",
				   " ORDER BY p.path LIMIT " STR(INDEX_DELETED_MAX));
	if (!st)
		return KN_EIO;
	sqlite3_bind_int64(st, 1, space_id(ix, space));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->v = grow(a, out->v, out->n, sizeof(*out->v));
		out->v[out->n++] = (struct index_deleted){ text(a, st, 0), text(a, st, 1) };
	}
	return finish(ix, st, rc);
}

int
index_orphans(struct index_paths *out, struct index *ix, const struct index_scope *sc, const char *space,
	      struct arena *a)
{
	/* Links from spaces the viewer may not read count too: the page is linked, whoever can
	 * see from where (the list would otherwise tell that nothing links it). */
	sqlite3_stmt *st = prepare(ix, sc, "SELECT p.path, " SPACE_OF("p") " FROM pages p WHERE p.space = ?1 AND "
					   "p.path NOT IN (SELECT dst FROM links WHERE dst_space = ?1 AND NOT (space = ?1 AND src = dst)) "
					   "AND p.path <> 'Home.md' AND p.path NOT LIKE '\\_%' ESCAPE '\\' "
					   "AND p.path NOT LIKE '%/\\_%' ESCAPE '\\'",
				   " ORDER BY p.path LIMIT 5000");
	if (st)
		sqlite3_bind_int64(st, 1, space_id(ix, space));
	return paths(out, ix, st, a);
}

/* --- history: what changed, when, by whom (index_history.c records it) ------------------- */

#define CHANGE_COLS \
	"p.path, p.change, p.other, c.id, c.author, c.email, c.summary, c.time, c.offset, " SPACE_OF("p")

static void
change_add(struct index_changes *out, struct arena *a, sqlite3_stmt *st)
{
	out->v = grow(a, out->v, out->n, sizeof(*out->v));
	struct index_change *ch = &out->v[out->n++];
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	*ch = (struct index_change){
		.path = text(a, st, 0),
		.change = kind && *kind ? *kind : 'M',
		.other = text(a, st, 2),
		.id = text(a, st, 3),
		.author = text(a, st, 4),
		.email = text(a, st, 5),
		.summary = text(a, st, 6),
		.time = sqlite3_column_int64(st, 7),
		.offset = sqlite3_column_int(st, 8),
		.space = text(a, st, 9),
	};
}

/* The rows of `st` (CHANGE_COLS), appended; at most `limit` in all. */
static int
changes(struct index_changes *out, struct index *ix, sqlite3_stmt *st, size_t limit, struct arena *a)
{
	int rc = SQLITE_DONE;
	if (!st)
		return KN_EIO;
	while (out->n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
		change_add(out, a, st);
	return finish(ix, st, rc);
}

/* The name page file `path` had before commit `before` (a rename into it at or after
 * `after`), and that commit: 1 found, 0 none, or KN_EIO. */
static int
renamed_from(struct index *ix, sqlite3_int64 space, const char *path, sqlite3_int64 before, const char **from, sqlite3_int64 *at,
	     struct arena *a)
{
	static const char sql[] = "SELECT other, seq FROM page_commits WHERE space = ?1 AND path = ?2 AND seq < ?3"
				  " AND change = 'R' ORDER BY seq DESC LIMIT 1";
	sqlite3_stmt *st = index_stmt(ix, sql);
	if (!st)
		return KN_EIO;
	sqlite3_bind_int64(st, 1, space);
	index_bind_str(st, 2, path);
	sqlite3_bind_int64(st, 3, before);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*from = text(a, st, 0);
		*at = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_sql_fail(ix, rc, sql);
	return rc == SQLITE_ROW;
}

int
index_page_history(struct index_changes *out, struct index *ix, const struct index_scope *sc, const char *space,
		   const char *path, size_t skip, size_t limit, struct arena *a)
{
	sqlite3_int64 sid = space_id(ix, space);
	/* The file's names, newest first: [path, before), each back to the rename into it,
	 * whose row (change 'R') is the first of that name's part of the history. */
	sqlite3_int64 before = INT64_MAX, at = 0;
	int hops = 0, rc = 0;
	memset(out, 0, sizeof(*out));
	while (rc == 0 && out->n < limit && path && hops++ < 100) {
		const char *from = NULL;
		int found = renamed_from(ix, sid, path, before, &from, &at, a);
		if (found < 0)
			return found;
		if (!found)
			at = 0;
		/* the rows of this name in [at, before), newest first */
		struct buf sql = BUF_INIT;
		buf_puts(&sql, "SELECT " CHANGE_COLS " FROM page_commits p JOIN commits c ON c.space = p.space"
			       " AND c.seq = p.seq WHERE p.space = ?1 AND p.path = ?2 AND p.seq < ?3 AND p.seq >= ?4");
		index_scope_sql(&sql, sc);
		buf_puts(&sql, " ORDER BY p.seq DESC LIMIT ?5 OFFSET ?6");
		sqlite3_stmt *st = index_stmt_text(ix, sql.ptr);
		buf_free(&sql);
		if (!st)
			return KN_EIO;
		size_t had = out->n;
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, before);
		sqlite3_bind_int64(st, 4, at);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)(limit - out->n));
		sqlite3_bind_int64(st, 6, (sqlite3_int64)skip);
		rc = changes(out, ix, st, limit, a);
		if (rc == 0 && skip) {
			/* the rows skipped here: count this name's rows to know how many are left */
			static const char count_sql[] = "SELECT count(*) FROM page_commits WHERE space = ?1 AND path = ?2"
							" AND seq < ?3 AND seq >= ?4";
			sqlite3_stmt *cs = index_stmt(ix, count_sql);
			if (!cs)
				return KN_EIO;
			sqlite3_bind_int64(cs, 1, sid);
			index_bind_str(cs, 2, path);
			sqlite3_bind_int64(cs, 3, before);
			sqlite3_bind_int64(cs, 4, at);
			sqlite3_int64 n = sqlite3_step(cs) == SQLITE_ROW ? sqlite3_column_int64(cs, 0) : 0;
			sqlite3_reset(cs);
			size_t used = (size_t)n - (out->n - had);
			skip = used >= skip ? 0 : skip - used;
		}
		if (!found)
			break;
		path = from;
		before = at;
	}
	return rc;
}

int
index_recent_changes(struct index_changes *out, struct index *ix, const struct index_scope *sc, const char *space,
		     enum index_key key, const char *value, const char *path, size_t limit, struct arena *a)
{
	/* The filters as index_paths_with has them: the files with that value now. */
	static const char *const in_sql[INDEX_KEYS] = {
		[INDEX_CUSTOMER] = " AND (p.space, p.path) IN (SELECT f.space, f.path FROM pages f WHERE ("
				   CUSTOMER_SQL_OF("f") ") = ?3 COLLATE NOCASE)",
		[INDEX_TAG] = " AND (p.space, p.path) IN (SELECT t.space, t.path FROM tags t WHERE t.tag = ?3 COLLATE NOCASE)",
		[INDEX_DEPT] = " AND (p.space, p.path) IN (SELECT d.space, d.path FROM departments d"
			       " WHERE d.dept = ?3 COLLATE NOCASE)",
	};
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	if (value && (unsigned)key >= INDEX_KEYS)
		return KN_EINVAL;
	/* One space: its commits in the order recorded (parents first), by its own numbers,
	 * newest first down page_commits_seq (one file: its primary key). Several: by time,
	 * newest first, down commits_time. Either way no sort, and LIMIT stops the scan (the
	 * planner, seeing the scope's space list, would sort every commit of those spaces). */
	if (!space && sc && sc->n == 1)
		space = sc->spaces[0];
	if (space && path)
		buf_puts(&sql, "SELECT " CHANGE_COLS " FROM page_commits p JOIN commits c ON c.space = p.space"
			       " AND c.seq = p.seq WHERE c.merge = 0 AND p.change <> 'X'");
	else if (space)
		buf_puts(&sql, "SELECT " CHANGE_COLS " FROM page_commits p INDEXED BY page_commits_seq JOIN commits c"
			       " ON c.space = p.space AND c.seq = p.seq WHERE c.merge = 0 AND p.change <> 'X'");
	else
		buf_puts(&sql, "SELECT " CHANGE_COLS " FROM commits c INDEXED BY commits_time CROSS JOIN page_commits p"
			       " INDEXED BY page_commits_seq ON p.space = c.space AND p.seq = c.seq"
			       " WHERE c.merge = 0 AND p.change <> 'X'");
	if (space)
		buf_puts(&sql, " AND p.space = ?1");
	if (path)
		buf_puts(&sql, " AND p.path = ?2");
	else if (value)
		buf_puts(&sql, in_sql[key]);
	else /* frames and templates are no news */
		buf_puts(&sql, " AND p.path NOT LIKE '\\_%' ESCAPE '\\' AND p.path NOT LIKE '%/\\_%' ESCAPE '\\'");
	index_scope_sql(&sql, sc);
	buf_puts(&sql, space ? " ORDER BY p.seq DESC LIMIT ?4" : " ORDER BY c.time DESC, c.seq DESC LIMIT ?4");
	st = index_stmt_text(ix, sql.ptr);
	buf_free(&sql);
	if (!st)
		return KN_EIO;
	if (space)
		sqlite3_bind_int64(st, 1, space_id(ix, space));
	if (path)
		sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	if (value)
		sqlite3_bind_text(st, 3, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
	return changes(out, ix, st, limit, a);
}
