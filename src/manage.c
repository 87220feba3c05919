/* manage.c: rename (link rewriting, redirects), delete, restore, revert and blame on the store. */
#include "manage.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "page.h"
#include "pagename.h"

/* --- link rewriting (a pure function of the text) ----------------------------------------- */

/* A longer link destination is no page link. Destinations with '[' or ']' are not read
 * either: with both rules each scan of a destination ends before the next "](", which
 * keeps "](](](..." and "]((((((..." linear. */
#define MAX_DEST 2048

struct rw {
	struct buf *out;
	const char *old, *new_name;
	const char *dir;    /* folder of the page holding the text, with its '/', or "" */
	const char *newdir; /* the folder relative links must work from afterwards */
	int rebase;         /* the text is the moved page's own, and its folder changes */
	int count;
	const char *const *files; /* attachments moving from old/ to new_name/ */
	size_t nfiles;
};

/* Length of the folder part of `name`, its last '/' included. */
static size_t
dir_len(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) + 1 : 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode [s, s+n) into out; -1 on a malformed escape or a NUL. */
static int
pct_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c == 0)
			return -1;
		buf_putc(out, c);
	}
	return 0;
}

/* Resolve a relative URL path [p, p+n) against folder `dir` into `out` (a page name, still
 * percent-encoded); -1 when it climbs above the wiki root. */
static int
resolve(struct buf *out, const char *dir, const char *p, size_t n)
{
	buf_puts(out, dir);
	size_t i = 0;
	while (i < n) {
		const char *seg = p + i, *slash = memchr(seg, '/', n - i);
		size_t sl = slash ? (size_t)(slash - seg) : n - i;
		int last = !slash;
		i += sl + (last ? 0 : 1);
		if (sl == 1 && seg[0] == '.')
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			if (out->len == 0)
				return -1;
			out->len--; /* the folder's '/' */
			while (out->len > 0 && out->ptr[out->len - 1] != '/')
				out->len--;
			out->ptr[out->len] = '\0';
			continue;
		}
		buf_put(out, seg, sl);
		if (!last)
			buf_putc(out, '/');
	}
	return 0;
}

/* The page a Markdown link destination [d, d+n) leads to, seen from folder `dir`,
 * into `target` (decoded); `*rel` tells whether it was relative, `*frag` where "#..."
 * starts. -1 when it is no link to a page this code may touch. */
static int
dest_target(struct buf *target, int *rel, size_t *frag, const char *dir, const char *d, size_t n)
{
	const char *hash = memchr(d, '#', n);
	size_t pn = hash ? (size_t)(hash - d) : n, k = 0;
	struct buf path = BUF_INIT;
	int rc = -1;
	*frag = pn;
	if (pn == 0 || memchr(d, '?', pn) || memchr(d, '\\', pn) || memchr(d, '&', pn))
		return -1;
	/* a scheme (https:, mailto:) means another site */
	while (k < pn && ((d[k] >= 'a' && d[k] <= 'z') || (d[k] >= 'A' && d[k] <= 'Z') ||
			  (k > 0 && ((d[k] >= '0' && d[k] <= '9') || d[k] == '+' || d[k] == '.' || d[k] == '-'))))
		k++;
	if (k > 0 && k < pn && d[k] == ':')
		return -1;
	if (pn > 6 && strncmp(d, "/wiki/", 6) == 0) {
		*rel = 0;
		buf_put(&path, d + 6, pn - 6);
	} else if (d[0] == '/') {
		return -1;
	} else {
		*rel = 1;
		if (resolve(&path, dir, d, pn) < 0)
			goto done;
	}
	if (path.len == 0 || pct_decode(target, path.ptr, path.len) < 0)
		goto done;
	rc = pagename_check(target->ptr, target->len) == 0 ? 0 : -1;
done:
	buf_free(&path);
	return rc;
}

/* Write a destination for page `name` as seen from folder `dir`: relative when the link
 * was and the page is in that folder (or below), else /wiki/... */
static void
put_dest(struct buf *out, const char *name, int rel, const char *dir)
{
	size_t dl = strlen(dir);
	if (rel && strncmp(name, dir, dl) == 0 && name[dl]) {
		url_escape(out, name + dl, strlen(name + dl), 1);
		return;
	}
	buf_puts(out, "/wiki/");
	url_escape(out, name, strlen(name), 1);
}

/* Does relative destination [d, d+n) lead to `target` from the new folder too? */
static int
same_target(const struct rw *w, const char *target, const char *d, size_t n)
{
	struct buf t2 = BUF_INIT;
	int rel, same;
	size_t frag;
	same = dest_target(&t2, &rel, &frag, w->newdir, d, n) == 0 && strcmp(t2.ptr, target) == 0;
	buf_free(&t2);
	return same;
}

/* The name of the attachment `target` leads to when it is one that moves: "Old/logo.png"
 * gives "logo.png". */
static const char *
moved_file(const struct rw *w, const char *target)
{
	size_t ol = strlen(w->old);
	if (strncmp(target, w->old, ol) != 0 || target[ol] != '/')
		return NULL;
	for (size_t i = 0; i < w->nfiles; i++)
		if (strcmp(target + ol + 1, w->files[i]) == 0)
			return w->files[i];
	return NULL;
}

/* Copy destination [d, d+n) to the output, changed if it leads to the old page or one of
 * its moving attachments (or, for the moved page's own text, if it is relative). */
static void
rewrite_dest(struct rw *w, const char *d, size_t n)
{
	struct buf target = BUF_INIT, nd = BUF_INIT;
	int rel = 0;
	size_t frag;
	if (dest_target(&target, &rel, &frag, w->dir, d, n) == 0) {
		const char *file = moved_file(w, target.ptr);
		if (strcmp(target.ptr, w->old) == 0) {
			put_dest(&nd, w->new_name, rel, w->newdir);
		} else if (file) {
			struct buf moved = BUF_INIT;
			buf_printf(&moved, "%s/%s", w->new_name, file);
			put_dest(&nd, moved.ptr, rel, w->newdir);
			buf_free(&moved);
		} else if (w->rebase && rel && !same_target(w, target.ptr, d, n)) {
			put_dest(&nd, target.ptr, rel, w->newdir);
		}
	}
	if (nd.len) {
		buf_put(&nd, d + frag, n - frag);
		if (nd.len != n || memcmp(nd.ptr, d, n) != 0)
			w->count++;
		buf_put(w->out, nd.ptr, nd.len);
	} else {
		buf_put(w->out, d, n);
	}
	buf_free(&target);
	buf_free(&nd);
}

/* A link destination may start at t[i] (after "](" or "]:"); copy it (rewritten) and return
 * where the scan goes on. `inline_link`: a ')' or a title must follow it. */
static size_t
link_dest(struct rw *w, const char *t, size_t i, size_t e, int inline_link)
{
	size_t j = i;
	while (j < e && is_blank(t[j]))
		j++;
	int angle = j < e && t[j] == '<';
	size_t ds = j + (size_t)angle, de = ds;
	buf_put(w->out, t + i, ds - i);
	if (angle) {
		while (de < e && de - ds <= MAX_DEST && !strchr("<>[]\n", t[de]))
			de++;
		if (de == e || t[de] != '>')
			return ds; /* no destination: the scan copies the rest as text */
	} else {
		int depth = 0;
		while (de < e && de - ds <= MAX_DEST && (unsigned char)t[de] > 0x20 && t[de] != 0x7f && t[de] != '[' &&
		       t[de] != ']') {
			if (t[de] == '\\' && de + 1 < e && (unsigned char)t[de + 1] > 0x20)
				de++;
			else if (t[de] == '(')
				depth++;
			else if (t[de] == ')' && depth-- == 0)
				break;
			de++;
		}
	}
	size_t after = de + (size_t)angle, k = after;
	while (k < e && is_blank(t[k]))
		k++;
	int ends = inline_link ? k < e && t[k] && strchr(")\"'(", t[k]) : k == e || t[k] == '\n' || t[k] == '\r' || k > after;
	if (de == ds || !ends || de - ds > MAX_DEST)
		return ds;
	rewrite_dest(w, t + ds, de - ds);
	return de;
}

/* The wiki link whose inside is [s, s+n): copy it, rewritten when it names the old page. */
static void
wiki_link(struct rw *w, const char *s, size_t n)
{
	const char *bar = memrchr(s, '|', n), *tgt = bar ? bar + 1 : s;
	size_t tn = (size_t)(s + n - tgt);
	const char *hash = memchr(tgt, '#', tn);
	size_t pn = hash ? (size_t)(hash - tgt) : tn;
	while (pn && is_blank(*tgt)) {
		tgt++;
		pn--;
	}
	while (pn && is_blank(tgt[pn - 1]))
		pn--;
	struct buf name = BUF_INIT;
	int match = pn && pagename_from_link(&name, tgt, pn) == 0 && strcmp(name.ptr, w->old) == 0;
	buf_puts(w->out, "[[");
	if (!match) {
		buf_put(w->out, s, n);
	} else {
		int blanks = memchr(tgt, ' ', pn) || memchr(tgt, '\t', pn);
		buf_put(w->out, s, (size_t)(tgt - s));
		for (const char *p = w->new_name; *p; p++)
			buf_putc(w->out, blanks && *p == '-' ? ' ' : *p);
		buf_put(w->out, tgt + pn, (size_t)(s + n - tgt - pn));
		w->count++;
	}
	buf_puts(w->out, "]]");
	buf_free(&name);
}

/* Length of a run of c at t[i]. */
static size_t
run_of(const char *t, size_t i, size_t e, char c)
{
	size_t k = 0;
	while (i + k < e && t[i + k] == c)
		k++;
	return k;
}

/* A reference definition "[label]: dest" may start at t[i] (a line start): where its
 * destination begins, or 0. */
static size_t
ref_def(const char *t, size_t i, size_t e)
{
	size_t j = i, sp = 0;
	while (j < e && t[j] == ' ' && sp < 3) {
		j++;
		sp++;
	}
	if (j >= e || t[j] != '[')
		return 0;
	for (j++; j < e && t[j] != ']'; j++)
		if (t[j] == '[' || t[j] == '\n')
			return 0;
	if (j + 1 >= e || t[j + 1] != ':' || j == i + sp + 1)
		return 0;
	return j + 2;
}

/* The backtick runs of a block, each with the next run of the same length: a code span
 * opened by one ends at that next run (CommonMark), found in one linear pass. */
struct ticks {
	size_t *pos, *len, *next, n, cur;
};

#define NO_RUN ((size_t)-1)

static void
ticks_find(struct ticks *tk, const char *t, size_t s, size_t e)
{
	size_t cap = 0, maxlen = 0;
	for (size_t i = s; i < e;) {
		size_t k = run_of(t, i, e, '`');
		if (!k) {
			i++;
			continue;
		}
		if (tk->n == cap) {
			cap = cap ? cap * 2 : 16;
			tk->pos = xrealloc(tk->pos, cap * sizeof(size_t));
			tk->len = xrealloc(tk->len, cap * sizeof(size_t));
		}
		tk->pos[tk->n] = i;
		tk->len[tk->n++] = k;
		maxlen = k > maxlen ? k : maxlen;
		i += k;
	}
	size_t *last = xmalloc((maxlen + 1) * sizeof(size_t));
	for (size_t k = 0; k <= maxlen; k++)
		last[k] = NO_RUN;
	tk->next = xmalloc((tk->n ? tk->n : 1) * sizeof(size_t));
	for (size_t r = tk->n; r-- > 0;) {
		tk->next[r] = last[tk->len[r]];
		last[tk->len[r]] = r;
	}
	free(last);
}

/* The code span opened by the backticks at t[i]: where it ends, or where the run ends
 * when it does not close (the backticks are then text). */
static size_t
code_span(struct ticks *tk, const char *t, size_t i, size_t e)
{
	if (!tk->next)
		ticks_find(tk, t, i, e);
	while (tk->cur < tk->n && tk->pos[tk->cur] < i)
		tk->cur++;
	if (tk->cur == tk->n || tk->pos[tk->cur] != i)
		return i + run_of(t, i, e, '`'); /* the rest of a run after "\`" */
	size_t nx = tk->next[tk->cur];
	return nx == NO_RUN ? i + tk->len[tk->cur] : tk->pos[nx] + tk->len[nx];
}

/* Inline scan of a block [s, e) without fences: code spans stay, links are rewritten. */
static void
scan_block(struct rw *w, const char *t, size_t s, size_t e)
{
	struct ticks tk = { 0 };
	size_t i = s;
	while (i < e) {
		char c = t[i];
		if (i == s || t[i - 1] == '\n') {
			size_t d = ref_def(t, i, e);
			if (d) {
				buf_put(w->out, t + i, d - i);
				i = link_dest(w, t, d, e, 0);
				continue;
			}
		}
		if (c == '\\' && i + 1 < e && t[i + 1] != '\n') {
			buf_put(w->out, t + i, 2);
			i += 2;
		} else if (c == '`') {
			size_t end = code_span(&tk, t, i, e);
			buf_put(w->out, t + i, end - i);
			i = end;
		} else if (c == '[' && i + 1 < e && t[i + 1] == '[') {
			size_t j = i + 2;
			while (j < e && t[j] != '[' && t[j] != ']' && t[j] != '\n')
				j++;
			if (j + 1 < e && t[j] == ']' && t[j + 1] == ']') {
				wiki_link(w, t + i + 2, j - i - 2);
				i = j + 2;
			} else {
				buf_putc(w->out, c);
				i++;
			}
		} else if (c == ']' && i + 1 < e && t[i + 1] == '(') {
			buf_put(w->out, "](", 2);
			i = link_dest(w, t, i + 2, e, 1);
		} else {
			buf_putc(w->out, c);
			i++;
		}
	}
	free(tk.pos);
	free(tk.len);
	free(tk.next);
}

int
manage_rewrite_links(struct buf *out, const char *md, size_t len, const char *page, const char *old_name,
		     const char *new_name, const char *const *files, size_t nfiles)
{
	struct buf dir = BUF_INIT, newdir = BUF_INIT;
	buf_put(&dir, page, dir_len(page));
	int own = strcmp(page, old_name) == 0;
	buf_put(&newdir, own ? new_name : page, dir_len(own ? new_name : page));
	struct rw w = { out, old_name, new_name, buf_cstr(&dir), buf_cstr(&newdir), 0, 0, files, nfiles };
	w.rebase = own && strcmp(w.dir, w.newdir) != 0;
	struct page_lines ls = { 0 }; /* code blocks are page.c's to find */
	size_t i = 0;
	buf_grow(out, len + 1);
	while (i < len) {
		const char *nl = memchr(md + i, '\n', len - i);
		size_t le = nl ? (size_t)(nl - md) : len, next = nl ? le + 1 : len;
		enum page_line_kind kind = page_line(&ls, md + i, le - i, NULL, NULL, NULL);
		if (kind == PAGE_CODE || kind == PAGE_FENCE || kind == PAGE_BLANK) {
			buf_put(out, md + i, next - i);
			i = next;
			continue;
		}
		/* a block: lines up to a blank line or a fence */
		size_t e = next;
		while (e < len) {
			const char *n2 = memchr(md + e, '\n', len - e);
			size_t l2 = n2 ? (size_t)(n2 - md) : len;
			struct page_lines peek = ls;
			enum page_line_kind k2 = page_line(&peek, md + e, l2 - e, NULL, NULL, NULL);
			if (k2 == PAGE_BLANK || k2 == PAGE_FENCE)
				break;
			ls = peek;
			e = n2 ? l2 + 1 : len;
		}
		scan_block(&w, md, i, e);
		i = e;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	buf_free(&dir);
	buf_free(&newdir);
	return w.count;
}

/* --- redirects ---------------------------------------------------------------------------- */

static const char redirects_head[] =
	"# Redirects\n"
	"\n"
	"Pages that were renamed. Opening an old name leads to the new page, as long as no page\n"
	"has the old name. One redirect per line, `- Old-Name -> New-Name`; renames keep this list\n"
	"up to date, and you may edit it (delete a line to drop a redirect).\n"
	"\n";

/* Parse a line "- Old Name -> New-Name" (or "* ..."): page names into `from` and `to`
 * (link form: blanks become '-'). Returns 1 for such a line, else 0. */
static int
redirect_line(const char *line, size_t n, struct buf *from, struct buf *to)
{
	size_t i = 0;
	buf_reset(from);
	buf_reset(to);
	while (i < n && is_blank(line[i]))
		i++;
	if (i + 1 >= n || (line[i] != '-' && line[i] != '*') || !is_blank(line[i + 1]))
		return 0;
	i += 2;
	const char *arrow = NULL;
	for (size_t k = i; k + 1 < n; k++)
		if (line[k] == '-' && line[k + 1] == '>')
			arrow = line + k;
	if (!arrow)
		return 0;
	size_t tn = (size_t)(line + n - arrow - 2);
	while (tn && (arrow[2 + tn - 1] == '\r'))
		tn--;
	return pagename_from_link(from, line + i, (size_t)(arrow - line) - i) == 0 &&
	       pagename_from_link(to, arrow + 2, tn) == 0;
}

void
manage_redirects_update(struct buf *out, const char *text, size_t len, const char *old_name,
			const char *new_name)
{
	struct buf from = BUF_INIT, to = BUF_INIT;
	if (len == 0)
		buf_puts(out, redirects_head);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t le = nl ? (size_t)(nl - text) : len;
		if (!redirect_line(text + i, le - i, &from, &to)) {
			buf_put(out, text + i, le - i);
			buf_putc(out, '\n');
		} else if (strcmp(to.ptr, old_name) == 0 && strcmp(from.ptr, new_name) != 0) {
			buf_printf(out, "- %s -> %s\n", from.ptr, new_name); /* A -> Old becomes A -> New */
		} else if (strcmp(from.ptr, new_name) != 0 && strcmp(from.ptr, old_name) != 0) {
			buf_put(out, text + i, le - i); /* untouched, as written */
			buf_putc(out, '\n');
		}
		i = nl ? le + 1 : len;
	}
	buf_printf(out, "- %s -> %s\n", old_name, new_name);
	buf_free(&from);
	buf_free(&to);
}

/* Is there a file or folder at `path` in the snapshot? */
static int
path_taken(struct snap *s, const char *path)
{
	git_tree_entry *e = NULL;
	if (!s->tree || git_tree_entry_bypath(&e, s->tree, path) < 0)
		return 0;
	git_tree_entry_free(e);
	return 1;
}

static int
page_exists(struct snap *s, const char *name)
{
	struct buf path = BUF_INIT;
	pagename_to_path(&path, name);
	int found = path_taken(s, path.ptr);
	buf_free(&path);
	return found;
}

/* Where the redirect list sends `name` in `list` (one hop), into `to`; 0 or -1. */
static int
redirect_hop(struct buf *to, const struct buf *list, const char *name)
{
	struct buf from = BUF_INIT;
	int rc = -1;
	for (size_t i = 0; i < list->len && rc < 0;) {
		const char *nl = memchr(list->ptr + i, '\n', list->len - i);
		size_t le = nl ? (size_t)(nl - list->ptr) : list->len;
		if (redirect_line(list->ptr + i, le - i, &from, to) && strcmp(from.ptr, name) == 0)
			rc = 0;
		i = nl ? le + 1 : list->len;
	}
	buf_free(&from);
	return rc;
}

int
manage_redirect_target(struct buf *out, struct snap *s, const char *name)
{
	struct buf list = BUF_INIT, cur = BUF_INIT, to = BUF_INIT;
	int rc = KN_ENOTFOUND;
	if (store_read(&list, NULL, s, MANAGE_REDIRECTS) < 0)
		goto done;
	buf_puts(&cur, name);
	/* a few hops for hand-made chains; only an existing page ends the search (no loops) */
	for (int hop = 0; hop < 8; hop++) {
		if (redirect_hop(&to, &list, cur.ptr) < 0)
			break;
		if (page_exists(s, to.ptr)) {
			buf_put(out, to.ptr, to.len);
			rc = 0;
			break;
		}
		buf_reset(&cur);
		buf_put(&cur, to.ptr, to.len);
	}
done:
	buf_free(&list);
	buf_free(&cur);
	buf_free(&to);
	return rc;
}

/* --- history ------------------------------------------------------------------------------ */

int
manage_last_version(git_oid *rev, struct snap *s, const char *path)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = KN_ENOTFOUND;
	if (!s->commit)
		return KN_ENOTFOUND;
	if (git_revwalk_new(&walk, s->st->repo) < 0 || git_revwalk_push(walk, &s->id) < 0) {
		store_log_git_error("revwalk", path);
		git_revwalk_free(walk);
		return KN_EGIT;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	for (int seen = 0; seen < MANAGE_HISTORY_MAX && git_revwalk_next(&id, walk) == 0; seen++) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		int found = git_commit_lookup(&c, s->st->repo, &id) == 0 && git_commit_tree(&t, c) == 0 &&
			    git_tree_entry_bypath(&e, t, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_BLOB;
		git_tree_entry_free(e);
		git_tree_free(t);
		git_commit_free(c);
		if (found) {
			git_oid_cpy(rev, &id);
			rc = 0;
			break;
		}
	}
	git_revwalk_free(walk);
	return rc;
}

/* Does commit `c` have file `path`? */
static int
commit_has(git_commit *c, const char *path)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	int found = git_commit_tree(&t, c) == 0 && git_tree_entry_bypath(&e, t, path) == 0 &&
		    git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	git_tree_entry_free(e);
	git_tree_free(t);
	return found;
}

int
manage_deletion(struct snap *s, const char *path, int (*cb)(const struct store_logent *e, void *payload),
		void *payload)
{
	git_commit *c = NULL, *parent = NULL;
	int rc = KN_ENOTFOUND;
	if (!s->commit || git_commit_dup(&c, s->commit) < 0)
		return KN_ENOTFOUND;
	for (int step = 0; step < MANAGE_DELETION_WALK && git_commit_parentcount(c) > 0; step++) {
		if (git_commit_parent(&parent, c, 0) < 0) {
			store_log_git_error("parent", path);
			rc = KN_EGIT;
			break;
		}
		if (commit_has(parent, path)) {
			const git_signature *a = git_commit_author(c);
			const char *summary = git_commit_summary(c);
			struct store_logent e = { .id = git_commit_id(c), .author = a->name, .email = a->email,
						  .summary = summary ? summary : "", .message = git_commit_message(c),
						  .time = a->when.time, .offset = a->when.offset, .change = 'D' };
			cb(&e, payload);
			rc = 0;
			break;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}

/* --- rename ------------------------------------------------------------------------------- */

struct rename_ctx {
	struct snap *s;
	const char *old_name, *new_name, *old_path;
	struct store_edit *edits;
	size_t n, cap;
	struct buf names; /* pages with rewritten links, for the commit message */
	struct buf md, name;
	int rc;
	int stale; /* the page itself changed since the user's base */
	char **files;  /* its attachments (names in its folder), moving with it */
	git_oid *blobs;
	size_t nfiles;
};

static void
add_edit(struct rename_ctx *c, const char *path, char *content, size_t len)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->edits = xrealloc(c->edits, c->cap * sizeof(*c->edits));
	}
	c->edits[c->n++] = (struct store_edit){ .path = xstrdup(path), .content = content, .len = len };
}

static void
add_blob_edit(struct rename_ctx *c, const char *path, const git_oid *blob)
{
	add_edit(c, path, NULL, 0);
	c->edits[c->n - 1].blob = blob;
}

/* The page's attachments: the files in its folder that are no pages (as the page view
 * lists them). 0, or KN_EEXISTS when one of them cannot go to the new folder. */
static int
collect_attachments(struct rename_ctx *c, struct snap *s)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	int rc = 0;
	if (!s->tree || git_tree_entry_bypath(&e, s->tree, c->old_name) < 0)
		return 0;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE && git_tree_lookup(&t, s->st->repo, git_tree_entry_id(e)) == 0) {
		size_t n = git_tree_entrycount(t);
		c->files = xcalloc(n + 1, sizeof(*c->files));
		c->blobs = xcalloc(n + 1, sizeof(*c->blobs));
		for (size_t i = 0; i < n && rc == 0; i++) {
			const git_tree_entry *f = git_tree_entry_byindex(t, i);
			const char *fn = git_tree_entry_name(f), *dot = strrchr(fn, '.');
			if (git_tree_entry_filemode(f) != GIT_FILEMODE_BLOB || (dot && strcasecmp(dot, ".md") == 0))
				continue;
			struct buf to = BUF_INIT;
			buf_printf(&to, "%s/%s", c->new_name, fn);
			if (path_taken(s, to.ptr))
				rc = KN_EEXISTS;
			buf_free(&to);
			c->files[c->nfiles] = xstrdup(fn);
			git_oid_cpy(&c->blobs[c->nfiles++], git_tree_entry_id(f));
		}
	}
	git_oid id;
	if (rc == 0 && c->nfiles && store_blob_id(&id, s, c->new_name) == 0)
		rc = KN_EEXISTS; /* a file where the new folder would go */
	git_tree_free(t);
	git_tree_entry_free(e);
	return rc;
}

/* store_walk callback: rewrite the links of one page. */
static int
rewrite_page(const char *path, void *payload)
{
	struct rename_ctx *c = payload;
	buf_reset(&c->name);
	if (strcmp(path, c->old_path) == 0 || strcmp(path, MANAGE_REDIRECTS) == 0 ||
	    pagename_from_path(&c->name, path, strlen(path)) < 0)
		return 0;
	buf_reset(&c->md);
	if ((c->rc = store_read(&c->md, NULL, c->s, path)) < 0)
		return 1;
	struct buf out = BUF_INIT;
	if (manage_rewrite_links(&out, c->md.ptr, c->md.len, c->name.ptr, c->old_name, c->new_name,
				 (const char *const *)c->files, c->nfiles) > 0) {
		size_t len = out.len;
		add_edit(c, path, buf_detach(&out), len);
		buf_printf(&c->names, "%s\n", c->name.ptr);
	}
	buf_free(&out);
	return 0;
}

/* Does page `path` hold the same blob at commit `base` as in snapshot `tip`? */
static int
unchanged_since(struct snap *tip, const git_oid *base, const char *path)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct snap b;
	git_oid x, y;
	if (!base || git_oid_equal(base, &tip->id))
		return 1;
	git_oid_tostr(hex, sizeof(hex), base);
	if (store_snap_open(&b, tip->st, hex) < 0)
		return 0;
	int same = store_blob_id(&x, &b, path) == 0 && store_blob_id(&y, tip, path) == 0 && git_oid_equal(&x, &y);
	store_snap_close(&b);
	return same;
}

/* Is the new page's path free, and no file sits where one of its folders would go? */
static int
name_free(struct snap *s, const char *new_path)
{
	if (path_taken(s, new_path))
		return 0;
	for (const char *p = new_path; (p = strchr(p, '/')); p++) {
		git_oid id;
		char *dir = xstrndup(new_path, (size_t)(p - new_path));
		int file = store_blob_id(&id, s, dir) == 0;
		free(dir);
		if (file)
			return 0;
	}
	return 1;
}

static void
rename_message(struct buf *msg, const struct rename_ctx *c, const char *message)
{
	buf_printf(msg, "Rename %s to %s", c->old_name, c->new_name);
	if (message && *message)
		buf_printf(msg, ": %s", message);
	if (c->nfiles) {
		buf_printf(msg, "\n\nAttachments moved along:");
		for (size_t i = 0; i < c->nfiles; i++)
			buf_printf(msg, " %s", c->files[i]);
	}
	if (c->names.len) {
		size_t n = 0;
		for (size_t i = 0; i < c->names.len; i++)
			n += c->names.ptr[i] == '\n';
		buf_printf(msg, "\n\nLinks updated in %zu page%s:\n", n, n == 1 ? "" : "s");
		buf_put(msg, c->names.ptr, c->names.len);
	}
}

/* One attempt of manage_rename on the current tip. */
static int
rename_once(git_oid *out, size_t *npages, struct store *st, const git_oid *base, const char *old_path,
	    const char *new_path, struct rename_ctx *c, const struct store_author *who, const char *message)
{
	struct snap s;
	struct buf moved = BUF_INIT, redirects = BUF_INIT, list = BUF_INIT, msg = BUF_INIT;
	int rc = store_snap_open(&s, st, NULL);
	if (rc < 0)
		return rc;
	c->s = &s;
	c->old_path = old_path;
	if ((rc = store_read(&c->md, NULL, &s, old_path)) < 0)
		goto done;
	if (!unchanged_since(&s, base, old_path)) {
		c->stale = 1;
		rc = KN_ECONFLICT;
		goto done;
	}
	if (!name_free(&s, new_path) || (rc = collect_attachments(c, &s)) < 0) {
		rc = KN_EEXISTS;
		goto done;
	}
	manage_rewrite_links(&moved, c->md.ptr, c->md.len, c->old_name, c->old_name, c->new_name,
			     (const char *const *)c->files, c->nfiles);
	add_edit(c, old_path, NULL, 0);
	size_t len = moved.len;
	add_edit(c, new_path, buf_detach(&moved), len);
	store_read(&list, NULL, &s, MANAGE_REDIRECTS); /* absent: a new list */
	manage_redirects_update(&redirects, list.ptr, list.len, c->old_name, c->new_name);
	len = redirects.len;
	add_edit(c, MANAGE_REDIRECTS, buf_detach(&redirects), len);
	for (size_t i = 0; i < c->nfiles; i++) {
		struct buf from = BUF_INIT, to = BUF_INIT;
		buf_printf(&from, "%s/%s", c->old_name, c->files[i]);
		buf_printf(&to, "%s/%s", c->new_name, c->files[i]);
		add_edit(c, from.ptr, NULL, 0);
		add_blob_edit(c, to.ptr, &c->blobs[i]);
		buf_free(&from);
		buf_free(&to);
	}
	size_t fixed = c->n;
	*npages = 0;
	if ((rc = store_walk(&s, rewrite_page, c)) != 0) {
		rc = c->rc < 0 ? c->rc : KN_EGIT;
		goto done;
	}
	*npages = c->n - fixed;
	rename_message(&msg, c, message);
	rc = store_commit(out, st, &s.id, c->edits, c->n, who, msg.ptr);
done:
	buf_free(&moved);
	buf_free(&redirects);
	buf_free(&list);
	buf_free(&msg);
	store_snap_close(&s);
	return rc;
}

static void
rename_reset(struct rename_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free((char *)c->edits[i].path);
		free((char *)c->edits[i].content);
	}
	c->n = 0;
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->blobs);
	c->files = NULL;
	c->blobs = NULL;
	c->nfiles = 0;
	buf_reset(&c->names);
	buf_reset(&c->md);
}

int
manage_rename(git_oid *out, size_t *npages, struct store *st, const git_oid *base, const char *old_name,
	      const char *new_name, const struct store_author *who, const char *message)
{
	struct buf old_path = BUF_INIT, new_path = BUF_INIT, norm = BUF_INIT;
	struct rename_ctx c = { .old_name = old_name, .new_name = new_name };
	int rc = KN_EINVAL;
	*npages = 0;
	/* The new name must be reachable by wiki links: its link form is itself (no blanks). */
	if (pagename_check(old_name, strlen(old_name)) < 0 ||
	    pagename_from_link(&norm, new_name, strlen(new_name)) < 0 || strcmp(norm.ptr, new_name) != 0 ||
	    strcmp(old_name, new_name) == 0)
		goto done;
	pagename_to_path(&old_path, old_name);
	pagename_to_path(&new_path, new_name);
	/* the redirect list is kept by renames: it is not renamed, nor renamed onto */
	if (strcmp(old_path.ptr, MANAGE_REDIRECTS) == 0 || strcmp(new_path.ptr, MANAGE_REDIRECTS) == 0)
		goto done;
	/* Pages elsewhere may change while the rename is computed: start again on the new tip,
	 * as long as the page itself is as the user saw it. */
	for (int attempt = 0; attempt < 5; attempt++) {
		rename_reset(&c);
		rc = rename_once(out, npages, st, base, old_path.ptr, new_path.ptr, &c, who, message);
		if (rc != KN_ECONFLICT || c.stale)
			break;
		log_info("rename %s: main moved meanwhile, attempt %d", old_name, attempt + 2);
	}
done:
	rename_reset(&c);
	free(c.edits);
	buf_free(&c.names);
	buf_free(&c.md);
	buf_free(&c.name);
	buf_free(&old_path);
	buf_free(&new_path);
	buf_free(&norm);
	return rc;
}

/* --- delete, restore, revert -------------------------------------------------------------- */

int
manage_delete(git_oid *out, struct store *st, const git_oid *base, const char *name,
	      const struct store_author *who, const char *reason)
{
	struct snap s;
	struct buf path = BUF_INIT, msg = BUF_INIT;
	git_oid id;
	int rc = store_snap_open(&s, st, NULL);
	if (rc < 0)
		return rc;
	pagename_to_path(&path, name);
	if ((rc = store_blob_id(&id, &s, path.ptr)) < 0)
		goto done;
	buf_printf(&msg, "Delete %s: %s", name, reason);
	struct store_edit del = { .path = path.ptr };
	rc = store_commit(out, st, base, &del, 1, who, msg.ptr);
done:
	buf_free(&path);
	buf_free(&msg);
	store_snap_close(&s);
	return rc;
}

int
manage_bring_back(git_oid *out, struct store *st, const git_oid *base, const char *name, const char *rev,
		  int restore, const struct store_author *who, const char *message)
{
	struct snap old, tip;
	struct buf path = BUF_INIT, md = BUF_INIT, msg = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	int rc = store_snap_open(&old, st, rev && *rev ? rev : "-");
	if (rc < 0)
		return rc;
	if ((rc = store_snap_open(&tip, st, NULL)) < 0) {
		store_snap_close(&old);
		return rc;
	}
	pagename_to_path(&path, name);
	if ((rc = store_read(&md, NULL, &old, path.ptr)) < 0)
		goto done;
	git_oid_tostr(hex, 11, &old.id);
	if (restore && store_blob_id(&id, &tip, path.ptr) == 0) {
		rc = KN_ECONFLICT; /* it is back already */
		goto done;
	}
	buf_printf(&msg, "%s %s %s %s", restore ? "Restore" : "Revert", name, restore ? "from" : "to", hex);
	if (message && *message)
		buf_printf(&msg, ": %s", message);
	struct store_edit e = { .path = path.ptr, .content = md.ptr ? md.ptr : "", .len = md.len };
	/* A restore's base is "no such page" (NULL): it fails if the page came back meanwhile. */
	rc = store_commit(out, st, restore ? NULL : base ? base : &tip.id, &e, 1, who, msg.ptr);
done:
	buf_free(&path);
	buf_free(&md);
	buf_free(&msg);
	store_snap_close(&old);
	store_snap_close(&tip);
	return rc;
}

/* --- blame -------------------------------------------------------------------------------- */

static int
emit_group(const git_blame_hunk *h, size_t first, size_t count, const size_t *off, const char *text,
	   int (*cb)(const struct manage_blame_group *g, void *payload), void *payload)
{
	const git_signature *sig = h->final_signature;
	struct manage_blame_group g = {
		.id = &h->final_commit_id,
		.author = sig && sig->name ? sig->name : "unknown",
		.time = sig ? sig->when.time : 0,
		.offset = sig ? sig->when.offset : 0,
		.first_line = first,
		.nlines = count,
		.text = text + off[first - 1],
		.len = off[first - 1 + count] - off[first - 1],
	};
	return cb(&g, payload);
}

int
manage_blame(struct snap *s, const char *path, int (*cb)(const struct manage_blame_group *g, void *payload),
	     void *payload)
{
	git_blame *blame = NULL;
	git_blame_options opts;
	struct buf md = BUF_INIT;
	size_t *off = NULL, nl = 0;
	int rc = store_read(&md, NULL, s, path);
	if (rc < 0)
		return rc;
	/* line k (1-based) is [off[k-1], off[k]) */
	off = xmalloc((md.len + 2) * sizeof(size_t));
	off[0] = 0;
	for (size_t i = 0; i < md.len; i++)
		if (md.ptr[i] == '\n')
			off[++nl] = i + 1;
	if (md.len && md.ptr[md.len - 1] != '\n')
		off[++nl] = md.len;
	git_blame_options_init(&opts, GIT_BLAME_OPTIONS_VERSION);
	git_oid_cpy(&opts.newest_commit, &s->id);
	if (git_blame_file(&blame, s->st->repo, path, &opts) < 0) {
		store_log_git_error("blame", path);
		rc = KN_EGIT;
		goto done;
	}
	/* libgit2 splits a commit's lines into several hunks at times: join neighbours */
	const git_blame_hunk *cur = NULL;
	size_t first = 0, count = 0;
	uint32_t nh = git_blame_get_hunk_count(blame);
	for (uint32_t i = 0; i <= nh && rc == 0; i++) {
		const git_blame_hunk *h = i < nh ? git_blame_get_hunk_byindex(blame, i) : NULL;
		size_t start = h ? h->final_start_line_number : 0, n = h ? h->lines_in_hunk : 0;
		if (h && (start < 1 || start > nl))
			continue;
		if (h && start + n - 1 > nl)
			n = nl - start + 1;
		if (cur && h && git_oid_equal(&h->final_commit_id, &cur->final_commit_id) && start == first + count) {
			count += n;
			continue;
		}
		if (cur)
			rc = emit_group(cur, first, count, off, md.ptr, cb, payload);
		cur = h;
		first = start;
		count = n;
	}
done:
	git_blame_free(blame);
	free(off);
	buf_free(&md);
	return rc;
}
