/* events.c: one commit's page changes, read from git with their front matter before and after. */
#include "events.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pagename.h"

#define EVENTS_DIFF_MAX (256 * 1024)

const char *
events_action_name(char action)
{
	switch (action) {
	case 'c': return "created";
	case 'd': return "deleted";
	case 'r': return "renamed";
	default: return "edited";
	}
}

/* A page's file, not a frame or template (a part starting with '_'). */
static int
is_event_page(const char *path, struct buf *name)
{
	buf_reset(name);
	if (pagename_from_path(name, path, strlen(path)) < 0)
		return 0;
	return name->ptr[0] != '_' && !strstr(name->ptr, "/_");
}

/* The front matter of blob `id` into `m` (empty for the zero id or an unreadable blob). */
static void
read_meta(struct page_meta *m, git_repository *repo, const git_oid *id, struct arena *a)
{
	git_blob *b = NULL;
	memset(m, 0, sizeof(*m));
	if (git_oid_is_zero(id) || git_blob_lookup(&b, repo, id) < 0)
		return;
	const char *fm;
	size_t fm_len;
	page_split(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), &fm, &fm_len);
	page_meta_parse(m, a, fm, fm_len);
	git_blob_free(b);
}

static int
line_cb(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *p)
{
	struct page_change *pc = p;
	(void)d;
	(void)h;
	if (l->origin == GIT_DIFF_LINE_ADDITION)
		pc->added++;
	else if (l->origin == GIT_DIFF_LINE_DELETION)
		pc->removed++;
	return 0;
}

/* Lines added and removed between two blobs; not counted (left 0) when either is over
 * EVENTS_DIFF_MAX bytes, so that a huge page cannot make the fan-out spin. */
static void
line_stats(struct page_change *pc, git_repository *repo, const git_oid *from, const git_oid *to)
{
	git_blob *a = NULL, *b = NULL;
	if (!git_oid_is_zero(from))
		git_blob_lookup(&a, repo, from);
	if (!git_oid_is_zero(to))
		git_blob_lookup(&b, repo, to);
	if ((!a || git_blob_rawsize(a) <= EVENTS_DIFF_MAX) && (!b || git_blob_rawsize(b) <= EVENTS_DIFF_MAX))
		git_diff_blobs(a, NULL, b, NULL, NULL, NULL, NULL, NULL, line_cb, pc);
	git_blob_free(a);
	git_blob_free(b);
}

/* One changed page into `ev`: `was` its old name (NULL: new), `is` its new one (NULL:
 * deleted), the blobs before and after, `renamed` when git saw it move. */
static void
add_page(struct commit_event *ev, struct store *st, struct arena *a, const char *was, const char *is,
	 const git_oid *before, const git_oid *after, int renamed)
{
	if (ev->n == EVENTS_PAGES_MAX) {
		ev->more++;
		return;
	}
	struct page_change *pc = &ev->pages[ev->n++];
	git_oid zero = { { 0 } };
	memset(pc, 0, sizeof(*pc));
	pc->action = !was ? 'c' : !is ? 'd' : renamed ? 'r' : 'e';
	pc->name = arena_strdup(a, is ? is : was);
	pc->old_name = pc->action == 'r' ? arena_strdup(a, was) : NULL;
	git_oid_tostr(pc->sha, sizeof(pc->sha), after ? after : before);
	read_meta(&pc->before, st->repo, before ? before : &zero, a);
	read_meta(&pc->after, st->repo, after ? after : &zero, a);
	const struct page_meta *m = is ? &pc->after : &pc->before;
	if (m->title) {
		pc->title = m->title;
	} else {
		struct buf t = BUF_INIT;
		pagename_title(&t, pc->name);
		pc->title = arena_strdup(a, buf_cstr(&t));
		buf_free(&t);
	}
	line_stats(pc, st->repo, before ? before : &zero, after ? after : &zero);
}

/* The files a commit changed, as store_tree_changes reports them. */
struct file_change {
	const char *path;
	git_oid before, after; /* zero: not on that side */
};

struct file_changes {
	struct file_change *v;
	size_t n, cap;
	int gone, came; /* a file went, a file came: perhaps a rename, which git's diff tells */
	struct arena *a;
};

static int
note_change(const char *path, const git_tree_entry *eo, const git_tree_entry *en, void *payload)
{
	struct file_changes *fc = payload;
	int fo = eo && git_tree_entry_type(eo) == GIT_OBJECT_BLOB, fn = en && git_tree_entry_type(en) == GIT_OBJECT_BLOB;
	if (!fo && !fn)
		return 0;
	fc->gone |= fo && !fn;
	fc->came |= fn && !fo;
	if (fc->n == fc->cap) {
		fc->cap = fc->cap ? 2 * fc->cap : 16;
		struct file_change *v = arena_alloc(fc->a, fc->cap * sizeof(*v));
		if (fc->n)
			memcpy(v, fc->v, fc->n * sizeof(*v));
		fc->v = v;
	}
	struct file_change *c = &fc->v[fc->n++];
	memset(c, 0, sizeof(*c));
	c->path = arena_strdup(fc->a, path);
	if (fo)
		git_oid_cpy(&c->before, git_tree_entry_id(eo));
	if (fn)
		git_oid_cpy(&c->after, git_tree_entry_id(en));
	return 0;
}

int
events_of_commit(struct commit_event *ev, struct store *st, const char *space, git_commit *c, struct arena *a)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	struct buf name = BUF_INIT, old = BUF_INIT;
	struct file_changes fc = { NULL, 0, 0, 0, 0, a };
	int rc = KN_EGIT;
	const git_signature *au = git_commit_author(c);
	memset(ev, 0, sizeof(*ev));
	ev->space = space;
	git_oid_tostr(ev->hex, sizeof(ev->hex), git_commit_id(c));
	ev->author = arena_strdup(a, au->name ? au->name : "");
	ev->email = arena_strdup(a, au->email ? au->email : "");
	ev->message = arena_strdup(a, git_commit_message(c) ? git_commit_message(c) : "");
	ev->time = au->when.time;
	/* What changed, comparing only the folders that differ (git_diff_tree_to_tree was
	 * 11 M instructions of a web edit at 10,000 pages: docs/scale.md); git's diff, for its
	 * rename detection, only when a file went and another came. */
	if (git_commit_tree(&tree, c) < 0 ||
	    (git_commit_parentcount(c) > 0 && (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0)) ||
	    store_tree_changes(st->repo, ptree, tree, note_change, &fc) < 0) {
		store_log_git_error("events: changes", ev->hex);
		goto done;
	}
	if (!(fc.gone && fc.came)) {
		ev->pages = arena_alloc(a, (fc.n < EVENTS_PAGES_MAX ? fc.n : EVENTS_PAGES_MAX) * sizeof(*ev->pages) + 1);
		for (size_t i = 0; i < fc.n; i++) {
			const struct file_change *f = &fc.v[i];
			int was = !git_oid_is_zero(&f->before) && is_event_page(f->path, &old);
			int is = !git_oid_is_zero(&f->after) && is_event_page(f->path, &name);
			if (was || is)
				add_page(ev, st, a, was ? old.ptr : NULL, is ? name.ptr : NULL, was ? &f->before : NULL,
					 is ? &f->after : NULL, 0);
		}
		rc = 0;
		goto done;
	}
	git_diff_find_options fo;
	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	fo.flags = GIT_DIFF_FIND_RENAMES;
	if (git_diff_tree_to_tree(&diff, st->repo, ptree, tree, NULL) < 0 || git_diff_find_similar(diff, &fo) < 0) {
		store_log_git_error("events: renames", ev->hex);
		goto done;
	}
	size_t nd = git_diff_num_deltas(diff);
	ev->pages = arena_alloc(a, (nd < EVENTS_PAGES_MAX ? nd : EVENTS_PAGES_MAX) * sizeof(*ev->pages) + 1);
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		int was = d->status != GIT_DELTA_ADDED && is_event_page(d->old_file.path, &old);
		int is = d->status != GIT_DELTA_DELETED && is_event_page(d->new_file.path, &name);
		if (was || is)
			add_page(ev, st, a, was ? old.ptr : NULL, is ? name.ptr : NULL, was ? &d->old_file.id : NULL,
				 is ? &d->new_file.id : NULL, d->status == GIT_DELTA_RENAMED);
	}
	rc = 0;
done:
	buf_free(&name);
	buf_free(&old);
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	return rc;
}

static int
in_list(const char *const *v, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i], value) == 0)
			return 1;
	return 0;
}

static int
meta_has(const struct page_meta *m, int kind, const char *value, const char *name)
{
	switch (kind) {
	case 0: {
		if (m->customer)
			return strcasecmp(m->customer, value) == 0;
		/* a page under Customers/<name>/ is about <name> ('-' as ' '), as the index says */
		if (!name || strncmp(name, "Customers/", 10) != 0 || !strchr(name + 10, '/'))
			return 0;
		size_t len = (size_t)(strchr(name + 10, '/') - (name + 10));
		if (len != strlen(value))
			return 0;
		for (size_t i = 0; i < len; i++) {
			char c = name[10 + i] == '-' ? ' ' : name[10 + i];
			if ((c | 0x20) != (value[i] | 0x20))
				return 0;
		}
		return 1;
	}
	case 1: return in_list(m->tags, m->ntags, value);
	case 2: return in_list(m->depts, m->ndepts, value);
	case 3: return m->owner && strcasecmp(m->owner, value) == 0;
	}
	return 0;
}

int
events_touches(const struct page_change *p, int kind, const char *value)
{
	return meta_has(&p->before, kind, value, p->old_name ? p->old_name : p->name) ||
	       meta_has(&p->after, kind, value, p->name);
}
