/* index.c: keeping the derived index up with main: the text of a page, catch-up from tree diffs, rebuild. */
#include "index_db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "links.h"
#include "page.h"
#include "pagename.h"
#include "render.h"

/* Every statement of the catch-up works in one space: ?9 is ix->space (bound by stmt_in). */
static const char q_page_id[] = "SELECT id FROM pages WHERE space = ?9 AND path = ?1";
static const char q_page_del[] = "DELETE FROM pages WHERE id = ?1";
static const char q_fts_del[] = "DELETE FROM fts WHERE rowid = ?1";
static const char q_tags_del[] = "DELETE FROM tags WHERE space = ?9 AND path = ?1";
static const char q_depts_del[] = "DELETE FROM departments WHERE space = ?9 AND path = ?1";
static const char q_links_del[] = "DELETE FROM links WHERE space = ?9 AND src = ?1";
static const char q_page_add[] =
	"INSERT INTO pages(space, path, name, title, blob, customer, owner, review_by, frontmatter, hidden)"
	" VALUES(?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10)";
static const char q_fts_add[] = "INSERT INTO fts(rowid, title, body, customer, meta) VALUES(?1, ?2, ?3, ?4, ?5)";
static const char q_tag_add[] = "INSERT OR IGNORE INTO tags(space, path, tag, page_id) VALUES(?9, ?1, ?2, ?3)";
static const char q_dept_add[] = "INSERT OR IGNORE INTO departments(space, path, dept, page_id) VALUES(?9, ?1, ?2, ?3)";
static const char q_link_add[] =
	"INSERT OR IGNORE INTO links(space, src, dst_space, dst, target, tkey) VALUES(?9, ?1, ?3, ?2, ?4, ?5)";
/* links within the space whose target another page of that last name could take over (or
 * give up); links into other spaces are never resolved (index_db.c) */
static const char q_links_key[] = "SELECT src, target, dst FROM links WHERE space = ?9 AND tkey = ?1 AND dst_space = ?9";
static const char q_link_set[] = "UPDATE links SET dst = ?3 WHERE space = ?9 AND src = ?1 AND dst_space = ?9 AND target = ?2";
/* A page file deleted (or renamed away) and not there now: its newest deletion. */
static const char q_gone_get[] =
	"SELECT c.id FROM page_commits h JOIN commits c ON c.space = h.space AND c.seq = h.seq"
	" WHERE h.space = ?9 AND h.path = ?1 AND h.change IN ('D', 'X')"
	" AND NOT EXISTS (SELECT 1 FROM pages WHERE space = ?9 AND path = ?1) ORDER BY h.seq DESC LIMIT 1";
static const char q_space_id[] = "SELECT id FROM spaces WHERE name = ?1";
static const char q_space_add[] = "INSERT OR IGNORE INTO spaces(name) VALUES(?1)";
static const char q_space_names[] = "SELECT name FROM spaces ORDER BY id";
static const char q_meta_del[] = "DELETE FROM index_meta WHERE key = ?1";

/* The statement for `sql` with the space being caught up bound as ?9. */
static sqlite3_stmt *
stmt_in(struct index *ix, const char *sql)
{
	sqlite3_stmt *s = index_stmt(ix, sql);
	if (s)
		sqlite3_bind_int64(s, 9, ix->space);
	return s;
}

/* --- text of a page: front matter, plain text, links ----------------------------------- */

/* Tags that do not separate words: their text runs on ("<strong>x</strong>y" is "xy"). */
static int
inline_tag(const char *t, size_t n)
{
	static const char *const names[] = { "a", "b", "code", "del", "em", "i", "img", "input", "mark",
					     "s", "span", "strong", "sub", "sup", "u" };
	if (n && *t == '/')
		t++, n--;
	size_t len = 0;
	while (len < n && ((t[len] >= 'a' && t[len] <= 'z') || (t[len] >= '0' && t[len] <= '9')))
		len++;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], t, len) == 0)
			return 1;
	return 0;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
	if (cp < 0x80) {
		buf_putc(out, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(out, (int)(0xC0 | (cp >> 6)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(out, (int)(0xE0 | (cp >> 12)));
		buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(out, (int)(0xF0 | (cp >> 18)));
		buf_putc(out, (int)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(out, (int)(0x80 | (cp & 0x3F)));
	}
}

/* Decode the entity at s (s[0] == '&'); returns bytes consumed (1: not an entity, '&' kept). */
static size_t
entity(struct buf *out, const char *s, size_t n)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t len = strlen(named[i].name);
		if (n >= len && memcmp(s, named[i].name, len) == 0) {
			buf_putc(out, named[i].c);
			return len;
		}
	}
	unsigned long cp;
	size_t len = entity_number(s, n, 7, &cp);
	if (len) {
		if (cp >= 0x20 && cp != 0x7f && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))
			put_utf8(out, cp);
		else
			buf_putc(out, ' ');
		return len;
	}
	buf_putc(out, '&');
	return 1;
}

/* Plain text of the renderer's HTML, appended to `out`: tags dropped (block tags separate
 * words), entities decoded, whitespace and control bytes collapsed to single spaces. So
 * the marker bytes of snippet() (\x01, \x02) never occur in indexed text. */
static void
html_text(struct buf *out, const char *h, size_t n)
{
	int space = 0;
	size_t start = out->len;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)h[i];
		if (c == '<') {
			const char *gt = memchr(h + i, '>', n - i);
			size_t end = gt ? (size_t)(gt - h) + 1 : n;
			if (!inline_tag(h + i + 1, end - i - 1))
				space = 1;
			i = end;
			continue;
		}
		if (c <= ' ' || c == 0x7f) {
			space = 1;
			i++;
			continue;
		}
		if (space && out->len > start)
			buf_putc(out, ' ');
		space = 0;
		if (c == '&') {
			size_t before = out->len;
			i += entity(out, h + i, n - i);
			if (out->len == before + 1 && out->ptr[before] == ' ')
				out->len--, out->ptr[out->len] = '\0', space = 1;
			continue;
		}
		buf_putc(out, c);
		i++;
	}
}

/* Append a value for the FTS text on its own, control bytes as spaces. */
static void
text_value(struct buf *out, const char *s)
{
	if (!s)
		return;
	if (out->len)
		buf_putc(out, ' ');
	for (; *s; s++)
		buf_putc(out, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
}

/* --- applying changes ------------------------------------------------------------------ */

/* Paths (re)indexed in this catch-up: they get their newest commit afterwards. */
struct pending {
	char **path;
	size_t n, cap;
};

static void
pending_add(struct pending *pd, const char *path)
{
	if (pd->n == pd->cap) {
		pd->cap = pd->cap ? pd->cap * 2 : 64;
		pd->path = xrealloc(pd->path, pd->cap * sizeof(char *));
	}
	pd->path[pd->n++] = xstrdup(path);
}

static void
pending_free(struct pending *pd)
{
	for (size_t i = 0; i < pd->n; i++)
		free(pd->path[i]);
	free(pd->path);
}

int
index_is_page(const char *path)
{
	struct buf name = BUF_INIT;
	int ok = pagename_from_path(&name, path, strlen(path)) == 0;
	buf_free(&name);
	return ok;
}

static int
delete_page(struct index *ix, const char *path)
{
	sqlite3_stmt *s = stmt_in(ix, q_page_id);
	if (!s)
		return KN_EIO;
	index_bind_str(s, 1, path);
	int rc = sqlite3_step(s);
	sqlite3_int64 id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return index_sql_fail(ix, rc, "look up page");
	if (rc == SQLITE_ROW) {
		if ((s = index_stmt(ix, q_fts_del)))
			sqlite3_bind_int64(s, 1, id);
		if ((rc = index_run(ix, s)) < 0)
			return rc;
		if ((s = index_stmt(ix, q_page_del)))
			sqlite3_bind_int64(s, 1, id);
		if ((rc = index_run(ix, s)) < 0)
			return rc;
	}
	static const char *const by_path[] = { q_tags_del, q_depts_del, q_links_del };
	for (size_t i = 0; i < sizeof(by_path) / sizeof(by_path[0]); i++) {
		s = stmt_in(ix, by_path[i]);
		index_bind_str(s, 1, path);
		if ((rc = index_run(ix, s)) < 0)
			return rc;
	}
	return 0;
}

static int
add_list(struct index *ix, const char *sql, const char *path, sqlite3_int64 page_id, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *s = stmt_in(ix, sql);
		index_bind_str(s, 1, path);
		index_bind_str(s, 2, v[i]);
		if (s)
			sqlite3_bind_int64(s, 3, page_id);
		int rc = index_run(ix, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Links found by the renderer: "SPACE\tName\tPage\n" for each page name a link names
 * (each once; render.h): SPACE empty within the page's space, Name as the link names it,
 * Page where it leads (links_resolve). The key lets a later page of the same last name
 * take a link within the space over (reresolve); a link into another space has none. */
static int
add_links(struct index *ix, const char *path, const struct buf *links)
{
	const char *p = buf_cstr((struct buf *)links), *nl;
	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		const char *t1 = memchr(p, '\t', (size_t)(nl - p));
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) : NULL;
		if (!t2)
			continue;
		sqlite3_int64 dst_space = ix->space;
		struct buf dst = BUF_INIT, target = BUF_INIT, key = BUF_INIT;
		if (t1 > p) {
			char sp[64];
			snprintf(sp, sizeof(sp), "%.*s", (int)(t1 - p), p);
			if (index_space_id(ix, sp, 0, &dst_space) < 0)
				dst_space = 0; /* a space the index does not know (yet) */
		} else {
			links_key(&key, t1 + 1, (size_t)(t2 - t1 - 1));
		}
		buf_put(&target, t1 + 1, (size_t)(t2 - t1 - 1));
		buf_put(&dst, t2 + 1, (size_t)(nl - t2 - 1));
		buf_puts(&dst, ".md");
		sqlite3_stmt *s = stmt_in(ix, q_link_add);
		index_bind_str(s, 1, path);
		index_bind_str(s, 2, dst.ptr);
		if (s)
			sqlite3_bind_int64(s, 3, dst_space);
		index_bind_str(s, 4, target.ptr);
		index_bind_str(s, 5, buf_cstr(&key));
		int rc = index_run(ix, s);
		buf_free(&dst);
		buf_free(&target);
		buf_free(&key);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A page made ready for the index: everything but the SQL, so that it can be done on
 * any thread with its own repository handle. */
struct prepared {
	char *path;
	git_oid blob;
	struct buf src;   /* the blob's bytes */
	const char *fm;   /* the front matter's YAML inside them, or NULL */
	size_t fm_len;
	struct page_meta meta; /* its values, in arena `a` */
	struct arena *a;
	struct buf name, title, text, links;
	struct buf metatext; /* owner, tags, departments, the name when the title differs */
	const char *const *spaces; /* the spaces links may go to ([[space:Page]]) */
	const char *space;         /* the page's own space (NULL: the wiki) */
	int rc;
	int ready;        /* pipeline: set by the worker under the lock */
};

static int
insert_page(struct index *ix, const struct prepared *p, sqlite3_int64 *page_id)
{
	char hex[GIT_OID_HEXSZ + 1];
	const char *name = p->name.ptr;
	git_oid_tostr(hex, sizeof(hex), &p->blob);
	sqlite3_stmt *s = stmt_in(ix, q_page_add);
	index_bind_str(s, 1, p->path);
	index_bind_str(s, 2, name);
	index_bind_str(s, 3, p->title.ptr);
	index_bind_str(s, 4, hex);
	index_bind_str(s, 5, p->meta.customer);
	index_bind_str(s, 6, p->meta.owner);
	index_bind_str(s, 7, p->meta.review_by);
	index_bind_text(s, 8, p->fm ? p->fm : "", p->fm_len);
	if (s)
		sqlite3_bind_int(s, 10, name[0] == '_' || strstr(name, "/_") != NULL);
	int rc = index_run(ix, s);
	if (rc < 0)
		return rc;
	sqlite3_int64 id = sqlite3_last_insert_rowid(ix->db);
	*page_id = id;
	if ((s = index_stmt(ix, q_fts_add))) {
		sqlite3_bind_int64(s, 1, id);
		index_bind_str(s, 2, p->title.ptr);
		index_bind_text(s, 3, buf_cstr((struct buf *)&p->text), p->text.len);
		index_bind_str(s, 4, p->meta.customer ? p->meta.customer : "");
		index_bind_text(s, 5, buf_cstr((struct buf *)&p->metatext), p->metatext.len);
	}
	return index_run(ix, s);
}

static void
prepared_free(struct prepared *p)
{
	free(p->path);
	arena_free(p->a);
	buf_free(&p->src);
	buf_free(&p->name);
	buf_free(&p->title);
	buf_free(&p->text);
	buf_free(&p->metatext);
	buf_free(&p->links);
	memset(p, 0, sizeof(*p));
}

/* The render_ctx.resolve of a page being indexed: where its links lead in the tree being
 * indexed (the renderer notes them for add_links). */
struct linking {
	git_tree *tree;
	const char *from;
};

static int
resolve_link(void *payload, const char *name, struct buf *out)
{
	struct linking *l = payload;
	return links_resolve(out, l->tree, l->from, name, strlen(name));
}

/* Read the blob, parse the front matter, render the text (0, or KN_EGIT in p->rc); its
 * links are resolved in `tree` (the tree being indexed, in `repo`). */
static void
prepare_page(struct prepared *p, git_repository *repo, git_tree *tree)
{
	git_blob *blob = NULL;
	struct buf html = BUF_INIT;
	if (git_blob_lookup(&blob, repo, &p->blob) < 0) {
		store_log_git_error("blob lookup", p->path);
		p->rc = KN_EGIT;
		return;
	}
	buf_put(&p->src, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	const char *md = buf_cstr(&p->src);
	const struct page_meta *d = &p->meta;
	pagename_from_path(&p->name, p->path, strlen(p->path));
	size_t body = page_split(md, p->src.len, &p->fm, &p->fm_len);
	p->a = arena_new();
	page_meta_parse(&p->meta, p->a, p->fm, p->fm_len);
	if (d->title)
		buf_puts(&p->title, d->title);
	else
		pagename_title(&p->title, p->name.ptr);

	/* The text people read, not Markdown syntax: render, then strip the tags. The links
	 * are resolved as the page view resolves them (in this space's tree), and noted for
	 * backlinks. */
	struct linking lk = { tree, p->path };
	struct render_ctx rctx = { .payload = &lk, .links = &p->links, .resolve = resolve_link, .space = p->space,
				   .spaces = p->spaces };
	render_markdown(&html, md + body, p->src.len - body, &rctx);
	html_text(&p->text, buf_cstr(&html), html.len);
	buf_free(&html);
	/* A first heading that repeats the title would open every snippet twice. */
	size_t tl = p->title.len;
	if (tl && p->text.len > tl && memcmp(p->text.ptr, p->title.ptr, tl) == 0 && p->text.ptr[tl] == ' ') {
		memmove(p->text.ptr, p->text.ptr + tl + 1, p->text.len - tl);
		p->text.len -= tl + 1;
	}
	/* Front matter values are searchable too, and so is the name when the title differs:
	 * in columns of their own (customer, meta), so that snippets are of the body only and
	 * a phrase never runs from the text into a value. */
	text_value(&p->metatext, d->owner);
	for (size_t i = 0; i < d->ntags; i++)
		text_value(&p->metatext, d->tags[i]);
	for (size_t i = 0; i < d->ndepts; i++)
		text_value(&p->metatext, d->depts[i]);
	if (d->title) {
		struct buf nt = BUF_INIT;
		pagename_title(&nt, p->name.ptr);
		text_value(&p->metatext, nt.ptr);
		buf_free(&nt);
	}
	p->rc = 0;
}

/* Replace the page's rows with the prepared ones. */
static int
write_page(struct index *ix, struct prepared *p, struct pending *pd)
{
	int rc = p->rc;
	sqlite3_int64 id = 0;
	if (rc == 0 && (rc = delete_page(ix, p->path)) == 0 &&
	    (rc = insert_page(ix, p, &id)) == 0 &&
	    (rc = add_list(ix, q_tag_add, p->path, id, p->meta.tags, p->meta.ntags)) == 0 &&
	    (rc = add_list(ix, q_dept_add, p->path, id, p->meta.depts, p->meta.ndepts)) == 0 &&
	    (rc = add_links(ix, p->path, &p->links)) == 0)
		pending_add(pd, p->path);
	return rc;
}

/* Pages to (re)index after the deletions of a diff, from `tree` (in the caller's repository). */
struct jobs {
	struct prepared *v;
	size_t n, cap;
	const char *const *spaces; /* for each page's links */
	const char *space;         /* the space of the pages (NULL: the wiki) */
	git_tree *tree;
};

static void
jobs_add(struct jobs *j, const char *path, const git_oid *blob)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->v = xrealloc(j->v, j->cap * sizeof(*j->v));
	}
	memset(&j->v[j->n], 0, sizeof(j->v[j->n]));
	j->v[j->n].path = xstrdup(path);
	j->v[j->n].spaces = j->spaces;
	j->v[j->n].space = j->space;
	git_oid_cpy(&j->v[j->n].blob, blob);
	j->n++;
}

/* A first index in the server commits every INDEX_BATCH pages, so that search and the
 * views answer from it as far as it goes ("indexing: N of M" says how far). */
#define INDEX_BATCH 2000
#define LONG_JOB 500 /* pages: a catch-up this big runs without anyone waiting for it */

static int new_generation(struct index *ix);
static void meta_key(char *out, size_t n, const char *what, const char *name);

/* Commit what is written and go on in a new transaction. */
static int
batch_commit(struct index *ix)
{
	int rc = new_generation(ix);
	if (rc == 0)
		rc = index_exec(ix, "COMMIT");
	if (rc == 0)
		rc = index_exec(ix, "BEGIN IMMEDIATE");
	return rc;
}

/* After each page written: progress, the server stopping, a batch commit. */
static int
job_step(struct index *ix, size_t *since)
{
	struct index_progress *p = ix->progress;
	if (!p)
		return 0;
	atomic_fetch_add(&p->done, 1);
	if (atomic_load(&p->stop))
		return KN_EBUSY;
	if (ix->batching && ++*since >= INDEX_BATCH) {
		*since = 0;
		return batch_commit(ix);
	}
	return 0;
}

/* A job of `n` pages starts. A long first index in the server is marked and committed in
 * batches from here on (index_meta "building:SPACE" = the commit it indexes). */
static int
job_begin(struct index *ix, size_t n, const char *hex)
{
	struct index_progress *p = ix->progress;
	if (!p)
		return 0;
	atomic_store(&p->done, 0);
	atomic_store(&p->total, n);
	atomic_store(&p->commits, 0);
	if (n < LONG_JOB)
		return 0;
	atomic_store(&p->busy, 1);
	if (!ix->first)
		return 0;
	ix->batching = 1;
	atomic_store(&p->building, 1);
	char key[96];
	meta_key(key, sizeof(key), "building", ix->space_label);
	int rc = index_meta_set(ix, key, hex);
	return rc < 0 ? rc : batch_commit(ix);
}

/* Many pages (a first index, a big push): rendering runs on worker threads while this
 * thread writes to SQLite, in order, at most PIPE_AHEAD pages behind. */
#define PIPE_MIN     64
#define PIPE_AHEAD   256        /* pages prepared but not yet written, at most */
#define PIPE_BYTES   (64u << 20) /* and their bytes (beyond the page the writer waits for) */
#define PIPE_WORKERS 8

struct pipeline {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jobs *jobs;
	const char *gitdir;
	const git_oid *tree; /* the tree indexed: each worker looks it up in its own repository */
	size_t next;     /* the next job a worker takes */
	size_t written;  /* jobs the writer is done with */
	size_t bytes;    /* held by prepared jobs not yet written */
	int stop;
};

/* Take the next job and prepare it (a worker, or the writer while it waits); called and
 * returns with pl->mu held. */
static void
pipe_prepare_next(struct pipeline *pl, git_repository *repo, git_tree *tree)
{
	struct prepared *p = &pl->jobs->v[pl->next++];
	pthread_mutex_unlock(&pl->mu);
	if (repo && tree)
		prepare_page(p, repo, tree);
	else
		p->rc = KN_EGIT;
	pthread_mutex_lock(&pl->mu);
	p->ready = 1;
	pl->bytes += p->src.len + p->text.len;
	pthread_cond_broadcast(&pl->cv);
}

/* Takes jobs in order, at most PIPE_AHEAD pages (and PIPE_BYTES) ahead of the writer. */
static void *
pipe_worker(void *arg)
{
	struct pipeline *pl = arg;
	struct store *st = NULL;
	git_tree *tree = NULL;
	int open_rc = store_open(&st, pl->gitdir);
	if (open_rc == 0 && git_tree_lookup(&tree, st->repo, pl->tree) < 0)
		store_log_git_error("tree lookup", "index worker");
	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!pl->stop && pl->next < pl->jobs->n &&
		       (pl->next >= pl->written + PIPE_AHEAD || (pl->next > pl->written && pl->bytes > PIPE_BYTES)))
			pthread_cond_wait(&pl->cv, &pl->mu);
		if (pl->stop || pl->next >= pl->jobs->n)
			break;
		pipe_prepare_next(pl, open_rc < 0 ? NULL : st->repo, tree);
	}
	pthread_mutex_unlock(&pl->mu);
	git_tree_free(tree);
	store_close(st);
	return NULL;
}

/* One per core beyond the writer's, which prepares pages too while it waits. */
static unsigned
pipe_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus <= 2 ? 1 : cpus > PIPE_WORKERS ? PIPE_WORKERS : (unsigned)cpus - 1;
}

static int
write_pipelined(struct index *ix, struct store *st, struct jobs *j, struct pending *pd)
{
	struct pipeline pl = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, j, st->gitdir, git_tree_id(j->tree),
			       0, 0, 0, 0 };
	pthread_t th[PIPE_WORKERS];
	unsigned nth = 0, want = pipe_workers();
	int rc = 0;
	for (; nth < want; nth++)
		if (pthread_create(&th[nth], NULL, pipe_worker, &pl) != 0)
			break;
	size_t since = 0;
	pthread_mutex_lock(&pl.mu);
	for (size_t i = 0; i < j->n && rc == 0; i++) {
		struct prepared *p = &j->v[i];
		/* Waiting for page i: rather prepare one (page i itself, if nobody took it). */
		while (!p->ready) {
			if (pl.next < j->n && pl.next < pl.written + PIPE_AHEAD)
				pipe_prepare_next(&pl, st->repo, j->tree);
			else
				pthread_cond_wait(&pl.cv, &pl.mu);
		}
		pthread_mutex_unlock(&pl.mu);
		rc = write_page(ix, p, pd);
		if (rc == 0)
			rc = job_step(ix, &since);
		pthread_mutex_lock(&pl.mu);
		pl.bytes -= p->src.len + p->text.len;
		prepared_free(p);
		pl.written = i + 1;
		pl.stop = rc < 0;
		pthread_cond_broadcast(&pl.cv);
	}
	pl.stop = 1;
	pthread_cond_broadcast(&pl.cv);
	pthread_mutex_unlock(&pl.mu);
	for (unsigned t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	pthread_cond_destroy(&pl.cv);
	pthread_mutex_destroy(&pl.mu);
	return rc;
}

/* Index the pages of `j` (and free them). */
static int
write_jobs(struct index *ix, struct store *st, struct jobs *j, struct pending *pd, const char *hex)
{
	size_t since = 0;
	int rc = job_begin(ix, j->n, hex);
	if (rc < 0) {
		/* nothing written */
	} else if (j->n >= PIPE_MIN) {
		rc = write_pipelined(ix, st, j, pd);
	} else {
		for (size_t i = 0; i < j->n && rc == 0; i++) {
			prepare_page(&j->v[i], st->repo, j->tree);
			rc = write_page(ix, &j->v[i], pd);
			if (rc == 0)
				rc = job_step(ix, &since);
		}
	}
	for (size_t i = 0; i < j->n; i++)
		prepared_free(&j->v[i]);
	free(j->v);
	return rc;
}

int
index_is_file_mode(uint16_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys (links_key) of pages that came or went in change `c`, added to `keys` one per
 * line: links elsewhere to a page of that last name may lead elsewhere now. */
static void
note_existence(struct buf *keys, const struct index_pchange *c)
{
	const char *paths[2] = { NULL, NULL };
	switch (c->kind) {
	case 'A':
	case 'D':
		paths[0] = c->path;
		break;
	case 'R': /* here from `other` */
	case 'X': /* away to `other` */
		paths[0] = c->path;
		paths[1] = *c->other ? c->other : NULL;
		break;
	default:
		return;
	}
	for (int i = 0; i < 2 && paths[i]; i++) {
		struct buf name = BUF_INIT;
		if (pagename_from_path(&name, paths[i], strlen(paths[i])) == 0) {
			links_key(keys, name.ptr, name.len);
			buf_putc(keys, '\n');
		}
		buf_free(&name);
	}
}

/* A link row to look at again. */
struct relink {
	char *src, *target, *dst;
};

/* The links rows of key `key` whose page the link leads to is another one in `tree` now,
 * updated. */
static int
reresolve_key(struct index *ix, git_tree *tree, const char *key)
{
	struct relink *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	sqlite3_stmt *s = stmt_in(ix, q_links_key);
	if (!s)
		return KN_EIO;
	index_bind_str(s, 1, key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = (struct relink){ xstrdup((const char *)sqlite3_column_text(s, 0)),
					  xstrdup((const char *)sqlite3_column_text(s, 1)),
					  xstrdup((const char *)sqlite3_column_text(s, 2)) };
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? 0 : index_sql_fail(ix, rc, "links of a name");
	for (size_t i = 0; i < n; i++) {
		struct buf dst = BUF_INIT;
		links_resolve(&dst, tree, v[i].src, v[i].target, strlen(v[i].target));
		buf_puts(&dst, ".md");
		if (rc == 0 && strcmp(dst.ptr, v[i].dst) != 0 && (s = stmt_in(ix, q_link_set))) {
			index_bind_str(s, 1, v[i].src);
			index_bind_str(s, 2, v[i].target);
			index_bind_str(s, 3, dst.ptr);
			rc = index_run(ix, s);
		} else if (rc == 0 && !s) {
			rc = KN_EIO;
		}
		buf_free(&dst);
		free(v[i].src);
		free(v[i].target);
		free(v[i].dst);
	}
	free(v);
	return rc;
}

/* Links of other pages may lead elsewhere when pages come or go: [[Page]] found
 * Folder/Page.md until a Page.md appears at the root. Look at those of the names in
 * `keys` (one per line) again, each name once. */
static int
reresolve(struct index *ix, git_tree *tree, struct buf *keys)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (char *p = keys->ptr, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = p;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (i == 0 || strcmp(v[i - 1], v[i]) != 0)
			rc = reresolve_key(ix, tree, v[i]);
	free(v);
	return rc;
}

/* Apply the page changes between trees old..new (old NULL: everything is new) of commit
 * `to_hex`: deletions now, then the pages to index. The same walk as history's
 * (index_tree_changes): a catch-up of one edit compares the folders that changed by blob
 * id, where git_diff built every path (11 of the 26 million instructions of an edit of a
 * wiki of 10,000 pages; docs/scale.md). */
static int
apply_diff(struct index *ix, struct store *st, git_tree *old, git_tree *new, struct pending *pd, size_t *changes,
	   const char *to_hex)
{
	struct index_pchanges cs = { 0 };
	struct jobs j = { .spaces = (const char *const *)ix->space_names,
			  .space = strcmp(ix->space_label, "wiki") == 0 ? NULL : ix->space_label,
			  .tree = new };
	struct buf keys = BUF_INIT;
	int rc = index_tree_changes(&cs, st->repo, old, new, old != NULL);
	if (rc < 0)
		store_log_git_error("diff", "index");
	for (size_t i = 0; rc == 0 && i < cs.n; i++) {
		const struct index_pchange *c = &cs.v[i];
		(*changes)++;
		if (old)
			note_existence(&keys, c);
		if (c->kind == 'D' || c->kind == 'X')
			rc = delete_page(ix, c->path);
		else
			jobs_add(&j, c->path, &c->id);
	}
	index_pchanges_free(&cs);
	if (rc == 0) {
		rc = write_jobs(ix, st, &j, pd, to_hex);
		if (rc == 0 && keys.len)
			rc = reresolve(ix, new, &keys);
		buf_free(&keys);
		return rc;
	}
	buf_free(&keys);
	for (size_t i = 0; i < j.n; i++)
		prepared_free(&j.v[i]);
	free(j.v);
	return rc;
}

int
index_gone(struct index *ix, const char *space, const char *path, git_oid *where)
{
	sqlite3_int64 id;
	int rc = index_space_id(ix, space, 0, &id);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = index_stmt(ix, q_gone_get);
	if (!s)
		return KN_EIO;
	sqlite3_bind_int64(s, 9, id);
	index_bind_str(s, 1, path);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(s, 0);
		rc = hex && git_oid_fromstr(where, hex) == 0 ? 0 : KN_EIO;
	} else {
		rc = rc == SQLITE_DONE ? KN_ENOTFOUND : index_sql_fail(ix, rc, "deleted pages");
	}
	sqlite3_reset(s);
	return rc;
}

/* What index_meta records for a space whose main is no commit yet (indexed, nothing in it). */
#define EMPTY_MARK "-"

/* The index_meta key of `what` ("last_commit", "building") of space `name`. */
static void
meta_key(char *out, size_t n, const char *what, const char *name)
{
	snprintf(out, n, "%s:%s", what, name);
}

static int
set_last_indexed(struct index *ix, const char *hex)
{
	char key[96];
	meta_key(key, sizeof(key), "last_commit", ix->space_label);
	return index_meta_set(ix, key, hex);
}

/* Inside a write transaction: every row of the space being caught up goes, its history too. */
static int
clear_space(struct index *ix)
{
	static const char *const sql[] = {
		"DELETE FROM fts WHERE rowid IN (SELECT id FROM pages WHERE space = ?9)",
		"DELETE FROM pages WHERE space = ?9", "DELETE FROM tags WHERE space = ?9",
		"DELETE FROM departments WHERE space = ?9", "DELETE FROM links WHERE space = ?9",
		"DELETE FROM commits WHERE space = ?9", "DELETE FROM page_commits WHERE space = ?9",
		/* full-text rows of no page (a damaged index): a new page could get their id */
		"DELETE FROM fts WHERE rowid NOT IN (SELECT id FROM pages)",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		int rc = index_run(ix, stmt_in(ix, sql[i]));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Inside a write transaction: index main (`to`, NULL for an empty wiki) of the space
 * entered (enter_space) from the state of commit `from` (NULL: from nothing; the space's rows must be gone then):
 * the pages that changed, then the commits in between (index_history.c), which give each
 * re-indexed page its newest change. */
static int
apply_range(struct index *ix, struct store *st, const git_oid *from, const git_oid *to, size_t *changes)
{
	git_commit *fc = NULL, *tc = NULL;
	git_tree *ft = NULL, *tt = NULL;
	struct pending pd = { 0 };
	char hex[GIT_OID_HEXSZ + 1] = "";
	size_t ncommits = 0;
	struct timespec t0;
	int rc = KN_EGIT;
	if (from && (git_commit_lookup(&fc, st->repo, from) < 0 || git_commit_tree(&ft, fc) < 0)) {
		store_log_git_error("last indexed commit", "index");
		goto done;
	}
	if (to && (git_commit_lookup(&tc, st->repo, to) < 0 || git_commit_tree(&tt, tc) < 0)) {
		store_log_git_error("commit lookup", STORE_BRANCH);
		goto done;
	}
	if (to)
		git_oid_tostr(hex, sizeof(hex), to);
	if (!tt && !ft)
		rc = 0;
	else if (!tt) /* main is gone: no pages, no history */
		rc = clear_space(ix);
	else
		rc = apply_diff(ix, st, ft, tt, &pd, changes, hex);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (rc == 0 && tc)
		rc = index_history_add(ix, st, ix->space, from, to, &ncommits);
	if (rc == 0 && tc)
		rc = index_history_updated(ix, ix->space, (const char *const *)pd.path, pd.n, !from);
	if (rc == 0 && ncommits > 1000)
		log_info("index: history of %zu commits in %.0f ms", ncommits, index_ms_since(&t0));
	if (rc == 0)
		rc = set_last_indexed(ix, to ? hex : EMPTY_MARK);
done:
	pending_free(&pd);
	git_tree_free(ft);
	git_tree_free(tt);
	git_commit_free(fc);
	git_commit_free(tc);
	return rc;
}

/* After a bulk change (a first index, a big push: 64 pages and at least an eighth of the
 * wiki), merge the full-text index into one segment. FTS5 writes a large transaction as
 * several segments of similar size, and every term lookup searches each of them: with the
 * 8 segments a 10,000-page index is built as, fetching 20 results costs 3x and ranking
 * 1.4x what it does after the merge (0.5 s, once). Small edits add small segments, which
 * FTS5's automerge folds in. */
static int
compact_fts(struct index *ix, size_t changes)
{
	sqlite3_int64 pages = 0;
	if (changes < PIPE_MIN)
		return 0;
	int rc = index_sql_int(ix, "SELECT count(*) FROM pages", &pages);
	if (rc < 0 || (sqlite3_int64)changes * 8 < pages)
		return rc;
	return index_exec(ix, "INSERT INTO fts(fts) VALUES('optimize')");
}

/* Main's commit into `out`; *have = 0 for an empty wiki. */
int
index_main_commit(git_oid *out, int *have, struct store *st)
{
	int rc = git_reference_name_to_id(out, st->repo, STORE_BRANCH);
	*have = rc == 0;
	if (rc == 0 || rc == GIT_ENOTFOUND)
		return 0;
	store_log_git_error("resolve", STORE_BRANCH);
	return KN_EGIT;
}

/* The last indexed commit of space `space` as hex into `out`: "" never indexed, "-" indexed
 * while its main was no commit. */
int
index_last_indexed(struct index *ix, const char *space, struct buf *out)
{
	char key[96];
	meta_key(key, sizeof(key), "last_commit", space);
	int rc = index_meta_get(ix, key, out);
	return rc == KN_ENOTFOUND ? 0 : rc;
}

/* Is `hex` a commit in the repository? Into *out when so. */
static int
known_commit(git_oid *out, struct store *st, const char *hex)
{
	git_commit *c = NULL;
	if (strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(out, hex) < 0 || git_commit_lookup(&c, st->repo, out) < 0)
		return 0;
	git_commit_free(c);
	return 1;
}

/* Every write gets a new random generation: page ids (rowids) change on a rebuild even at
 * the same commit, so the caches of search results key on this, not on the commit. */
static int
new_generation(struct index *ix)
{
	uint64_t g;
	char hex[24];
	sqlite3_randomness(sizeof(g), &g);
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)g);
	return index_meta_set(ix, "generation", hex);
}

int
index_space_id(struct index *ix, const char *name, int create, sqlite3_int64 *id)
{
	sqlite3_stmt *s;
	int rc;
	if (create && (s = index_stmt(ix, q_space_add)) != NULL) {
		index_bind_str(s, 1, name);
		if ((rc = index_run(ix, s)) < 0)
			return rc;
	}
	if (!(s = index_stmt(ix, q_space_id)))
		return KN_EIO;
	index_bind_str(s, 1, name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? KN_ENOTFOUND : index_sql_fail(ix, rc, "space id");
}

static void
free_space_names(struct index *ix)
{
	for (size_t i = 0; ix->space_names && ix->space_names[i]; i++)
		free(ix->space_names[i]);
	free(ix->space_names);
	ix->space_names = NULL;
}

/* Inside a transaction: work in space `name` (registered if new), and know every space's
 * name for the links. */
static int
enter_space(struct index *ix, const char *name)
{
	size_t n = 0, cap = 8;
	int rc = index_space_id(ix, name, 1, &ix->space);
	if (rc < 0)
		return rc;
	snprintf(ix->space_label, sizeof(ix->space_label), "%s", name);
	free_space_names(ix);
	ix->space_names = xcalloc(cap, sizeof(char *));
	sqlite3_stmt *s = index_stmt(ix, q_space_names);
	if (!s)
		return KN_EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n + 1 == cap)
			ix->space_names = xrealloc(ix->space_names, (cap *= 2) * sizeof(char *));
		ix->space_names[n++] = xstrdup((const char *)sqlite3_column_text(s, 0));
		ix->space_names[n] = NULL;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : index_sql_fail(ix, rc, "space names");
}

/* One write transaction: catch space `space` up from its last indexed commit, or (`full`)
 * from nothing. */
static int
update(struct index *ix, const char *space, struct store *st, int full)
{
	char bkey[96];
	struct buf last = BUF_INIT, building = BUF_INIT;
	git_oid main_id, from;
	char hex[GIT_OID_HEXSZ + 1] = "";
	int have_main, incremental = 0, rc;
	size_t changes = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Another writer held the index for the whole busy timeout: another process or
	 * thread is catching up (a big push, the server's indexer). Not an error: the caller
	 * decides whether to wait on. */
	if ((rc = sqlite3_exec(ix->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) == SQLITE_BUSY)
		return KN_EBUSY;
	if (rc != SQLITE_OK)
		return index_sql_fail(ix, rc, "BEGIN IMMEDIATE");
	if ((rc = enter_space(ix, space)) < 0)
		goto done;
	/* Read both again inside the transaction: another thread or process may have done it. */
	if ((rc = index_main_commit(&main_id, &have_main, st)) < 0 || (rc = index_last_indexed(ix, space, &last)) < 0)
		goto done;
	if (have_main)
		git_oid_tostr(hex, sizeof(hex), &main_id);
	/* A first index the server builds in batches is marked "building" until it ends:
	 * others (the push hook) leave it to the server; the server itself starts it over
	 * when it finds the mark of one it did not finish. */
	meta_key(bkey, sizeof(bkey), "building", space);
	if ((rc = index_meta_get(ix, bkey, &building)) < 0 && rc != KN_ENOTFOUND)
		goto done;
	rc = 0;
	if (building.len && !full && !ix->progress)
		goto done;
	if (building.len && ix->progress) {
		log_warn("index: the first index of space %s did not finish: starting it over", space);
		full = 1;
	}
	if (!full && strcmp(have_main ? hex : EMPTY_MARK, buf_cstr(&last)) == 0)
		goto done;
	if (!full && last.len && strcmp(last.ptr, EMPTY_MARK) != 0) {
		/* History is recorded from there on: main must have grown from it. */
		incremental = known_commit(&from, st, last.ptr) && have_main &&
			      git_graph_descendant_of(st->repo, &main_id, &from) == 1;
		if (!incremental)
			log_warn("index: last indexed commit %s of space %s is not in main's history: reindexing it",
				 last.ptr, space);
	}
	if (!incremental) {
		if ((rc = clear_space(ix)) < 0)
			goto done;
		ix->first = 1;
	}
	rc = apply_range(ix, st, incremental ? &from : NULL, have_main ? &main_id : NULL, &changes);
	if (rc == 0 && ix->batching) {
		sqlite3_stmt *s = index_stmt(ix, q_meta_del);
		index_bind_str(s, 1, bkey);
		rc = index_run(ix, s);
	}
	if (rc == 0)
		rc = compact_fts(ix, changes);
	if (rc == 0)
		rc = new_generation(ix);
	if (rc == 0)
		log_info("index: space %s %s %.10s (%zu page changes) in %.0f ms", space,
			 incremental ? "caught up to" : "indexed", have_main ? hex : "empty", changes, index_ms_since(&t0));
done:
	buf_free(&last);
	buf_free(&building);
	ix->batching = ix->first = 0;
	free_space_names(ix);
	if (rc == 0)
		rc = index_exec(ix, "COMMIT");
	if (rc < 0)
		index_rollback(ix);
	return rc;
}

int
index_current(struct index *ix, const char *space, struct store *st)
{
	struct buf last = BUF_INIT;
	git_oid main_id;
	int have_main, rc;
	if ((rc = index_main_commit(&main_id, &have_main, st)) < 0 || (rc = index_last_indexed(ix, space, &last)) < 0) {
		buf_free(&last);
		return rc;
	}
	char hex[GIT_OID_HEXSZ + 1] = "";
	if (have_main)
		git_oid_tostr(hex, sizeof(hex), &main_id);
	rc = strcmp(have_main ? hex : EMPTY_MARK, buf_cstr(&last)) == 0;
	buf_free(&last);
	return rc;
}

int
index_behind_only_by(struct index *ix, const char *space, struct store *st, const char *path)
{
	struct buf last = BUF_INIT;
	git_oid main_id, from;
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	struct index_pchanges cs = { 0 };
	int have_main, rc = index_current(ix, space, st);
	if (rc != 0)
		return rc > 0;
	/* one commit ahead: main's only parent is the last indexed commit */
	if (index_main_commit(&main_id, &have_main, st) < 0 || !have_main || index_last_indexed(ix, space, &last) < 0 ||
	    git_oid_fromstr(&from, buf_cstr(&last)) < 0 || git_commit_lookup(&c, st->repo, &main_id) < 0 ||
	    git_commit_parentcount(c) != 1 || !git_oid_equal(git_commit_parent_id(c, 0), &from))
		goto done;
	/* and it changed page `path` alone */
	if (git_commit_parent(&parent, c, 0) == 0 && git_commit_tree(&t, c) == 0 && git_commit_tree(&pt, parent) == 0 &&
	    index_tree_changes(&cs, st->repo, pt, t, 0) == 0)
		rc = cs.n == 1 && strcmp(cs.v[0].path, path) == 0;
done:
	index_pchanges_free(&cs);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(parent);
	git_commit_free(c);
	buf_free(&last);
	return rc;
}

int
index_generation(struct index *ix, struct buf *out)
{
	int rc = index_meta_get(ix, "generation", out);
	return rc == KN_ENOTFOUND ? 0 : rc;
}

void
index_set_progress(struct index *ix, struct index_progress *p)
{
	ix->progress = p;
}

int
index_catch_up(struct index *ix, const char *space, struct store *st)
{
	int rc;
	if (ix->corrupt && (rc = index_recover(ix)) < 0)
		return rc;
	if ((rc = index_current(ix, space, st)) != 0)
		return rc > 0 ? 0 : rc;
	rc = update(ix, space, st, 0);
	if (rc < 0 && ix->corrupt && index_recover(ix) == 0)
		rc = update(ix, space, st, 0);
	return rc;
}

int
index_rebuild(struct index *ix, const char *space, struct store *st)
{
	int rc;
	if (ix->corrupt && (rc = index_recover(ix)) < 0)
		return rc;
	rc = update(ix, space, st, 1);
	if (rc < 0 && ix->corrupt && index_recover(ix) == 0)
		rc = update(ix, space, st, 1);
	return rc;
}

int
index_open_checked(struct index **out, const char *data_dir)
{
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/" INDEX_FILE, data_dir);
	int rc = index_open(out, path.ptr);
	buf_free(&path);
	if (rc == 0 && !index_sound(*out, "PRAGMA quick_check", NULL) && (rc = index_recover(*out)) < 0) {
		index_close(*out);
		*out = NULL;
	}
	return rc;
}

int
index_drop_space(struct index *ix, const char *space)
{
	sqlite3_int64 id;
	char key[96];
	struct buf last = BUF_INIT;
	int rc = index_space_id(ix, space, 0, &id);
	if (rc == KN_ENOTFOUND)
		return 0;
	if (rc == 0 && (rc = index_last_indexed(ix, space, &last)) == 0 && last.len == 0) {
		buf_free(&last);
		return 0; /* dropped before, or never indexed */
	}
	buf_free(&last);
	if (rc < 0 || (rc = index_exec(ix, "BEGIN IMMEDIATE")) < 0)
		return rc;
	ix->space = id;
	meta_key(key, sizeof(key), "last_commit", space);
	if ((rc = clear_space(ix)) == 0 && (rc = index_meta_set(ix, key, "")) == 0)
		rc = new_generation(ix);
	if (rc == 0) {
		log_info("index: space %s removed from the index", space);
		return index_exec(ix, "COMMIT");
	}
	index_rollback(ix);
	return rc;
}

/* Rows of spaces that are not in `spaces` (deleted while this server was not running) go. */
void
index_drop_unlisted(struct index *ix, const struct index_repo *spaces, size_t n)
{
	sqlite3_stmt *s = index_stmt(ix, q_space_names);
	char *gone[64];
	size_t ngone = 0;
	while (s && sqlite3_step(s) == SQLITE_ROW && ngone < 64) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		size_t i = 0;
		while (i < n && strcmp(spaces[i].name, name) != 0)
			i++;
		if (i == n)
			gone[ngone++] = xstrdup(name);
	}
	if (s)
		sqlite3_reset(s);
	for (size_t i = 0; i < ngone; i++) {
		index_drop_space(ix, gone[i]);
		free(gone[i]);
	}
}

int
index_catch_up_all(struct index *ix, const struct index_repo *spaces, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct store *st = NULL;
		int r = store_open(&st, spaces[i].gitdir);
		if (r == 0)
			r = index_catch_up(ix, spaces[i].name, st);
		else
			log_error("index: cannot open the repository %s of space %s", spaces[i].gitdir, spaces[i].name);
		store_close(st);
		if (r < 0 && rc == 0)
			rc = r;
		if (ix->progress && atomic_load(&ix->progress->stop))
			break;
	}
	return rc;
}

/* Open DATA/index.db, optionally check it (a damaged file is repaired), catch up every
 * space of `spaces` (at start-up, also drop the rows of spaces not among them). */
static int
update_dir(const char *data_dir, const struct index_repo *spaces, size_t n, int check)
{
	struct index *ix = NULL;
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/" INDEX_FILE, data_dir);
	int rc = check ? index_open_checked(&ix, data_dir) : index_open(&ix, path.ptr);
	buf_free(&path);
	if (rc < 0)
		return rc;
	if (check)
		index_drop_unlisted(ix, spaces, n);
	rc = index_catch_up_all(ix, spaces, n);
	index_close(ix);
	return rc;
}

int
index_startup(const char *data_dir, const struct index_repo *spaces, size_t n)
{
	return update_dir(data_dir, spaces, n, 1);
}

int
index_update(const char *data_dir, const char *space, const char *git_dir)
{
	struct index_repo one = { space, git_dir };
	return update_dir(data_dir, &one, 1, 0);
}
