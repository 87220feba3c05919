/* links.c: wiki links resolved as GitHub wikis resolve them: root, own folder, then anywhere. */
#include "links.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pagename.h"
#include "store.h"

/* Every page of one tree by key (links_key), shared by all threads: immutable once made,
 * reference counted. */
struct entry {
	const char *key, *name;
};

struct pagedir {
	git_oid tree;
	unsigned refs;
	unsigned long used;
	struct entry *v;
	size_t n;
	char *pool; /* the keys and names, NUL-terminated */
	size_t pool_len;
	size_t gone; /* entries of earlier lists whose bytes the pool still holds */
};

#define DIR_SLOTS 4 /* trees kept: main, and a few just before it (or old revisions viewed) */

static struct {
	pthread_mutex_t mu;
	struct pagedir *slot[DIR_SLOTS];
	unsigned long ticks;
	unsigned long walked, derived; /* lists made each way */
} dirs = { PTHREAD_MUTEX_INITIALIZER, { NULL }, 0, 0, 0 };

void
links_counts(unsigned long *walked, unsigned long *derived)
{
	pthread_mutex_lock(&dirs.mu);
	*walked = dirs.walked;
	*derived = dirs.derived;
	pthread_mutex_unlock(&dirs.mu);
}

void
links_key(struct buf *out, const char *name, size_t n)
{
	const char *slash = memrchr(name, '/', n);
	size_t start = slash ? (size_t)(slash - name) + 1 : 0;
	for (size_t i = start; i < n; i++) {
		char c = name[i];
		buf_putc(out, c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c == ' ' ? '-' : c);
	}
}

static void
pagedir_unref_locked(struct pagedir *d)
{
	if (d && --d->refs == 0) {
		free(d->v);
		free(d->pool);
		free(d);
	}
}

static void
pagedir_release(struct pagedir *d)
{
	pthread_mutex_lock(&dirs.mu);
	pagedir_unref_locked(d);
	pthread_mutex_unlock(&dirs.mu);
}

void
links_global_release(void)
{
	pthread_mutex_lock(&dirs.mu);
	for (size_t i = 0; i < DIR_SLOTS; i++) {
		pagedir_unref_locked(dirs.slot[i]);
		dirs.slot[i] = NULL;
	}
	pthread_mutex_unlock(&dirs.mu);
}

/* While a tree is walked: offsets into `pool` (which moves as it grows). */
struct build {
	struct buf pool, path, name;
	size_t *off; /* key, name: two per page */
	size_t n, cap;
};

/* Page `b->name` joins the list: its key and name into the pool. */
static void
build_add(struct build *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->off = xrealloc(b->off, 2 * b->cap * sizeof(size_t));
	}
	b->off[2 * b->n] = b->pool.len;
	links_key(&b->pool, b->name.ptr, b->name.len);
	buf_putc(&b->pool, '\0');
	b->off[2 * b->n + 1] = b->pool.len;
	buf_put(&b->pool, b->name.ptr, b->name.len);
	buf_putc(&b->pool, '\0');
	b->n++;
}

/* Is tree entry `e` (NULL: none) at `path` a page? Its name into `name`. */
static int
entry_page(struct buf *name, const char *path, const git_tree_entry *e)
{
	git_filemode_t mode = e ? git_tree_entry_filemode(e) : 0;
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	buf_reset(name);
	return pagename_from_path(name, path, strlen(path)) == 0;
}

static int
collect(const char *root, const git_tree_entry *e, void *payload)
{
	struct build *b = payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	buf_reset(&b->path);
	buf_puts(&b->path, root);
	buf_puts(&b->path, git_tree_entry_name(e));
	if (entry_page(&b->name, b->path.ptr, e))
		build_add(b);
	return 0;
}

static int
cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : strcmp(a->name, b->name);
}

static void
build_free(struct build *b)
{
	buf_free(&b->pool);
	buf_free(&b->path);
	buf_free(&b->name);
	free(b->off);
}

/* The page list of `tree`, made by walking it; NULL when the walk fails. */
static struct pagedir *
pagedir_build(git_tree *tree)
{
	struct build b = { BUF_INIT, BUF_INIT, BUF_INIT, NULL, 0, 0 };
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect, &b) < 0) {
		build_free(&b);
		return NULL;
	}
	struct pagedir *d = xcalloc(1, sizeof(*d));
	git_oid_cpy(&d->tree, git_tree_id(tree));
	d->refs = 1;
	d->n = b.n;
	d->pool_len = b.pool.len;
	d->pool = buf_detach(&b.pool);
	d->v = xmalloc((b.n ? b.n : 1) * sizeof(*d->v));
	for (size_t i = 0; i < b.n; i++)
		d->v[i] = (struct entry){ d->pool + b.off[2 * i], d->pool + b.off[2 * i + 1] };
	qsort(d->v, d->n, sizeof(*d->v), cmp_entry);
	build_free(&b);
	return d;
}

/* The first entry of `d` whose key is not below `key` (entries are sorted by key). */
static size_t
first_of_key(const struct pagedir *d, const char *key)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(d->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry of `d` with key and name of page `name`, or d->n. */
static size_t
find_entry(const struct pagedir *d, struct buf *key, const char *name, size_t n)
{
	buf_reset(key);
	links_key(key, name, n);
	size_t lo = first_of_key(d, key->ptr);
	for (; lo < d->n && strcmp(d->v[lo].key, key->ptr) == 0; lo++)
		if (strcmp(d->v[lo].name, name) == 0)
			return lo;
	return d->n;
}

/* While the trees are compared: the pages gone from the base list, the pages new. */
struct derive {
	const struct pagedir *base;
	unsigned char *drop;
	size_t dropped, limit;
	struct build add;
	struct buf key;
};

static int
derive_change(const char *path, const git_tree_entry *eo, const git_tree_entry *en, void *payload)
{
	struct derive *dv = payload;
	struct build *add = &dv->add;
	/* a page changed in place keeps its place in the list */
	if (eo && en && git_tree_entry_filemode(eo) == git_tree_entry_filemode(en))
		return 0;
	if (entry_page(&add->name, path, eo)) {
		size_t at = find_entry(dv->base, &dv->key, add->name.ptr, add->name.len);
		if (at < dv->base->n && !dv->drop[at]) {
			dv->drop[at] = 1;
			dv->dropped++;
		}
	}
	if (entry_page(&add->name, path, en))
		build_add(add);
	/* past this many changes a walk of the whole tree costs no more */
	return dv->dropped + add->n > dv->limit ? 1 : 0;
}

/* The page list of `tree` made from `base`'s (another tree of the same repository, e.g.
 * main before a save) and what differs between the two trees (store_tree_changes, which
 * skips every folder the change did not touch): a walk of every page and a sort cost 22 M
 * instructions a save at 10,000 pages, 45% of a web edit with the view it leads to
 * (callgrind, docs/scale.md), and grew with the wiki. NULL when it is no cheaper than a
 * walk (many changes; a pool holding the bytes of many pages gone) or fails: then the
 * caller walks. */
static struct pagedir *
pagedir_derive(const struct pagedir *base, git_tree *tree)
{
	git_repository *repo = git_tree_owner(tree);
	git_tree *old = NULL;
	if (base->gone > base->n / 4 + 64 || git_tree_lookup(&old, repo, &base->tree) < 0)
		return NULL;
	struct derive dv = { base, xcalloc(base->n ? base->n : 1, 1), 0, base->n / 8 + 64,
			     { BUF_INIT, BUF_INIT, BUF_INIT, NULL, 0, 0 }, BUF_INIT };
	struct build *add = &dv.add;
	int rc = store_tree_changes(repo, old, tree, derive_change, &dv);
	git_tree_free(old);
	buf_free(&dv.key);
	if (rc != 0) {
		free(dv.drop);
		build_free(add);
		return NULL;
	}
	/* One pool: the base's bytes (entries move by the same offset), then the new names. */
	struct pagedir *d = xcalloc(1, sizeof(*d));
	git_oid_cpy(&d->tree, git_tree_id(tree));
	d->refs = 1;
	d->pool_len = base->pool_len + add->pool.len;
	d->pool = xmalloc(d->pool_len ? d->pool_len : 1);
	memcpy(d->pool, base->pool, base->pool_len);
	if (add->pool.len)
		memcpy(d->pool + base->pool_len, add->pool.ptr, add->pool.len);
	d->gone = base->gone + dv.dropped;
	struct entry *added = xmalloc((add->n ? add->n : 1) * sizeof(*added));
	for (size_t i = 0; i < add->n; i++) {
		char *p = d->pool + base->pool_len;
		added[i] = (struct entry){ p + add->off[2 * i], p + add->off[2 * i + 1] };
	}
	qsort(added, add->n, sizeof(*added), cmp_entry);
	/* merge the base's entries that stay with the added ones, in order */
	d->v = xmalloc((base->n - dv.dropped + add->n + 1) * sizeof(*d->v));
	size_t i = 0, j = 0;
	while (i < base->n || j < add->n) {
		if (i < base->n && dv.drop[i]) {
			i++;
			continue;
		}
		struct entry e = { NULL, NULL };
		if (i < base->n)
			e = (struct entry){ d->pool + (base->v[i].key - base->pool), d->pool + (base->v[i].name - base->pool) };
		if (j < add->n && (i == base->n || cmp_entry(&added[j], &e) < 0)) {
			d->v[d->n++] = added[j++];
		} else {
			d->v[d->n++] = e;
			i++;
		}
	}
	free(added);
	free(dv.drop);
	build_free(add);
	return d;
}

/* The shared page list of `tree`, held (pagedir_release it), or NULL. */
static struct pagedir *
pagedir_get(git_tree *tree)
{
	struct pagedir *d = NULL;
	size_t lru = 0;
	pthread_mutex_lock(&dirs.mu);
	for (size_t i = 0; i < DIR_SLOTS && !d; i++)
		if (dirs.slot[i] && git_oid_equal(&dirs.slot[i]->tree, git_tree_id(tree)))
			d = dirs.slot[i];
	if (d) {
		d->refs++;
		d->used = ++dirs.ticks;
	}
	/* else the list used last, to make this one from (main's, before the save) */
	struct pagedir *base = NULL;
	for (size_t i = 0; i < DIR_SLOTS && !d; i++)
		if (dirs.slot[i] && (!base || dirs.slot[i]->used > base->used))
			base = dirs.slot[i];
	if (!d && base)
		base->refs++;
	pthread_mutex_unlock(&dirs.mu);
	if (d)
		return d;
	/* Made outside the lock (a walk of a big tree takes milliseconds); a thread that made
	 * the same one meanwhile wins, and this one is dropped. */
	struct pagedir *made = base ? pagedir_derive(base, tree) : NULL;
	int derived = made != NULL;
	if (base)
		pagedir_release(base);
	if (!made)
		made = pagedir_build(tree);
	if (!made)
		return NULL;
	pthread_mutex_lock(&dirs.mu);
	if (derived)
		dirs.derived++;
	else
		dirs.walked++;
	for (size_t i = 0; i < DIR_SLOTS && !d; i++)
		if (dirs.slot[i] && git_oid_equal(&dirs.slot[i]->tree, git_tree_id(tree)))
			d = dirs.slot[i];
	if (!d) {
		for (size_t i = 0; i < DIR_SLOTS; i++) {
			if (!dirs.slot[i]) {
				lru = i;
				break;
			}
			if (dirs.slot[i]->used < dirs.slot[lru]->used)
				lru = i;
		}
		pagedir_unref_locked(dirs.slot[lru]);
		dirs.slot[lru] = d = made; /* its first reference is the caller's */
		made = NULL;
		d->refs++; /* the slot's */
	} else {
		d->refs++; /* the caller's; the one made here goes */
	}
	d->used = ++dirs.ticks;
	pagedir_unref_locked(made);
	pthread_mutex_unlock(&dirs.mu);
	return d;
}

/* Is `path` a file in `tree`? */
static int
has_file(git_tree *tree, const char *path)
{
	git_tree_entry *e = NULL;
	if (git_tree_entry_bypath(&e, tree, path) < 0)
		return 0;
	int blob = git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	git_tree_entry_free(e);
	return blob;
}

/* Is page `name` there, looked up as the file `prefix` + name + ".md"? */
static int
page_at(git_tree *tree, struct buf *scratch, const char *prefix, size_t pn, const char *name, size_t n)
{
	buf_reset(scratch);
	buf_put(scratch, prefix, pn);
	buf_put(scratch, name, n);
	buf_puts(scratch, ".md");
	return has_file(tree, scratch->ptr);
}

static int
fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c == ' ' ? '-' : c;
}

/* How page `cand` matches link name [name, name+n): 2 its last parts are those bytes, 1 the
 * same without ASCII case and with ' ' as '-', 0 not at all. */
static int
match(const char *cand, const char *name, size_t n)
{
	size_t len = strlen(cand);
	if (len < n || (len > n && cand[len - n - 1] != '/'))
		return 0;
	const char *tail = cand + len - n;
	if (memcmp(tail, name, n) == 0)
		return 2;
	for (size_t i = 0; i < n; i++)
		if (fold(tail[i]) != fold(name[i]))
			return 0;
	return 1;
}

/* Leading folders `dir` (with its final '/', dn bytes) and page `cand` have in common. */
static size_t
common_folders(const char *dir, size_t dn, const char *cand)
{
	size_t parts = 0, i = 0;
	while (i < dn) { /* dir may be NULL when dn is 0 */
		const char *slash = memchr(dir + i, '/', dn - i);
		if (!slash)
			return parts;
		size_t len = (size_t)(slash - dir) - i;
		if (strncmp(cand + i, dir + i, len) != 0 || cand[i + len] != '/')
			return parts;
		parts++;
		i += len + 1;
	}
	return parts;
}

static size_t
folders(const char *s)
{
	size_t k = 0;
	for (; *s; s++)
		k += *s == '/';
	return k;
}

/* Step 3: the best page of `d` for the name, or NULL. */
static const char *
anywhere(const struct pagedir *d, const char *dir, size_t dn, const char *name, size_t n)
{
	struct buf key = BUF_INIT;
	links_key(&key, name, n);
	size_t lo = first_of_key(d, key.ptr);
	const char *best = NULL;
	int best_m = 0;
	size_t best_common = 0, best_depth = 0;
	for (size_t i = lo; i < d->n && strcmp(d->v[i].key, key.ptr) == 0; i++) {
		const char *cand = d->v[i].name;
		int m = match(cand, name, n);
		if (!m)
			continue;
		size_t common = common_folders(dir, dn, cand), depth = folders(cand);
		/* entries come by path within a key: only a strictly better one replaces */
		if (!best || m > best_m || (m == best_m && (common > best_common ||
							    (common == best_common && depth < best_depth)))) {
			best = cand;
			best_m = m;
			best_common = common;
			best_depth = depth;
		}
	}
	buf_free(&key);
	return best;
}

int
links_resolve(struct buf *out, git_tree *tree, const char *from, const char *name, size_t n)
{
	struct buf scratch = BUF_INIT;
	const char *slash = from ? strrchr(from, '/') : NULL;
	size_t dn = slash ? (size_t)(slash - from) + 1 : 0;
	int found = 0;
	if (tree && page_at(tree, &scratch, "", 0, name, n)) {
		buf_put(out, name, n);
		found = 1;
	} else if (tree && dn && page_at(tree, &scratch, from, dn, name, n)) {
		buf_put(out, from, dn);
		buf_put(out, name, n);
		found = 1;
	} else if (tree) {
		struct pagedir *d = pagedir_get(tree);
		const char *hit = d ? anywhere(d, from, dn, name, n) : NULL;
		if (hit) {
			buf_puts(out, hit);
			found = 1;
		}
		if (d)
			pagedir_release(d);
	}
	if (!found)
		buf_put(out, name, n);
	buf_free(&scratch);
	return found;
}
