/* reqspace.c: the spaces registry cached for the server, and the viewer's rights per request. */
#include "reqspace.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "repos.h"

#define REGISTRY_TTL_MS 1000 /* a space added or changed elsewhere (the CLI, another node) shows within this */
#define REGISTRY_FRESH_MS 100 /* a name the registry lacks is looked for again if it is older than this */

/* One reading of the registry, shared by the requests that use it (reference counted). */
struct registry {
	unsigned refs;
	int64_t loaded_ms;
	struct space *v; /* the wiki first */
	size_t n;
	const char **names; /* NULL-terminated */
};

static struct {
	pthread_mutex_t mu;
	struct registry *cur;
} reg = { PTHREAD_MUTEX_INITIALIZER, NULL };

/* What one request sees: the registry it took, and the viewer's rights in each space. */
struct reqspaces {
	struct registry *reg;
	unsigned char *read, *write;
	struct viewer viewer;
	int reread; /* the registry was read again for a name it lacked (find) */
};

static int64_t
now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
registry_unref(struct registry *g)
{
	int last;
	if (!g)
		return;
	pthread_mutex_lock(&reg.mu);
	last = --g->refs == 0;
	pthread_mutex_unlock(&reg.mu);
	if (last) {
		free(g->v);
		free(g->names);
		free(g);
	}
}

static void
release_in_arena(void *p)
{
	registry_unref(p);
}

/* The current registry, held (read anew when older than REGISTRY_TTL_MS). */
static struct registry *
registry_get(struct req *r)
{
	int64_t t = now_ms();
	struct registry *g = NULL;
	pthread_mutex_lock(&reg.mu);
	if (reg.cur && t - reg.cur->loaded_ms < REGISTRY_TTL_MS) {
		g = reg.cur;
		g->refs++;
	}
	pthread_mutex_unlock(&reg.mu);
	if (g)
		return g;
	struct db *db = access_db(r->cfg);
	g = xcalloc(1, sizeof(*g));
	if (!db || space_list(db, &g->v, &g->n) < 0) {
		free(g);
		return NULL;
	}
	g->names = xcalloc(g->n + 1, sizeof(char *));
	for (size_t i = 0; i < g->n; i++)
		g->names[i] = g->v[i].name;
	g->loaded_ms = t;
	g->refs = 2; /* the cache's and the caller's */
	pthread_mutex_lock(&reg.mu);
	struct registry *old = reg.cur;
	reg.cur = g;
	pthread_mutex_unlock(&reg.mu);
	registry_unref(old);
	return g;
}

void
reqspace_changed(void)
{
	pthread_mutex_lock(&reg.mu);
	struct registry *old = reg.cur;
	reg.cur = NULL;
	pthread_mutex_unlock(&reg.mu);
	registry_unref(old);
}

void
reqspace_release(void)
{
	reqspace_changed();
}

/* Does any access list of the registry name a group? (Else the viewer's groups are not
 * worth a query.) */
static int
lists_name_groups(const struct registry *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (strchr(g->v[i].read, '@') || strchr(g->v[i].write, '@'))
			return 1;
	return 0;
}

int
reqspace_load(struct req *r)
{
	if (r->spaces)
		return 0;
	struct registry *g = registry_get(r);
	if (!g) {
		log_error("%s %s: cannot read the spaces registry", r->method, r->path);
		return KN_EIO;
	}
	arena_defer(r->a, release_in_arena, g);
	struct reqspaces *rs = arena_alloc(r->a, sizeof(*rs));
	rs->reg = g;
	rs->read = arena_alloc(r->a, g->n + 1);
	rs->write = arena_alloc(r->a, g->n + 1);
	rs->viewer.user = r->user;
	rs->viewer.role = r->role;
	struct db *db = r->user && lists_name_groups(g) ? access_db(r->cfg) : NULL;
	if (db && viewer_load_groups(db, &rs->viewer, r->a) < 0)
		log_warn("%s %s: groups of %s not read: group entries do not let them in", r->method, r->path, r->user->name);
	for (size_t i = 0; i < g->n; i++) {
		rs->read[i] = (unsigned char)space_may_read(&g->v[i], &rs->viewer);
		/* a read-only token writes nowhere: here, so that git, the web and the API agree */
		rs->write[i] = (unsigned char)(!r->read_only && space_may_write(&g->v[i], &rs->viewer));
	}
	r->spaces = rs;
	return 0;
}

/* The index of space `sp` (or of name `name`) in the request's registry, or -1. */
static long
find(struct req *r, const struct space *sp, const char *name)
{
	if (reqspace_load(r) < 0)
		return -1;
	const struct registry *g = r->spaces->reg;
	for (size_t i = 0; i < g->n; i++)
		if ((sp && sp == &g->v[i]) || (!sp && strcmp(g->v[i].name, name ? name : SPACE_WIKI) == 0))
			return (long)i;
	/* a space from an older reading of the registry: by name */
	if (sp)
		return find(r, NULL, sp->name);
	/* A name it lacks may be a space just made (by the CLI, or seen first by a replica that
	 * forwards a write here): read the registry again, once a request, and only when it is
	 * older than REGISTRY_FRESH_MS (so unknown names cannot make every request a query). */
	if (!r->spaces->reread && now_ms() - g->loaded_ms >= REGISTRY_FRESH_MS) {
		reqspace_changed();
		r->spaces = NULL;
		if (reqspace_load(r) < 0)
			return -1;
		r->spaces->reread = 1;
		return find(r, NULL, name);
	}
	return -1;
}

const struct space *
reqspace_readable(struct req *r, const char *name)
{
	long i = find(r, NULL, name);
	return i >= 0 && r->spaces->read[i] ? &r->spaces->reg->v[i] : NULL;
}

int
reqspace_may_read(struct req *r, const struct space *sp)
{
	long i = find(r, sp, NULL);
	return i >= 0 && r->spaces->read[i];
}

int
reqspace_may_write(struct req *r, const struct space *sp)
{
	long i = find(r, sp, NULL);
	return i >= 0 && r->spaces->write[i];
}

const char *const *
reqspace_names(struct req *r)
{
	static const char *const none[] = { SPACE_WIKI, NULL };
	if (reqspace_load(r) < 0)
		return none;
	return r->spaces->reg->names;
}

const char *const *
reqspace_readable_names(struct req *r, size_t *n)
{
	*n = 0;
	if (reqspace_load(r) < 0)
		return NULL;
	const struct registry *g = r->spaces->reg;
	const char **v = arena_alloc(r->a, (g->n + 1) * sizeof(char *));
	for (size_t i = 0; i < g->n; i++)
		if (r->spaces->read[i])
			v[(*n)++] = g->v[i].name;
	return v;
}

const char *
reqspace_base(struct req *r, const char *name)
{
	if (!name || strcmp(name, SPACE_WIKI) == 0)
		return "";
	return arena_printf(r->a, "/s/%s", name);
}

int
reqspace_enter(struct req *r, const char *name)
{
	const struct space *sp = reqspace_readable(r, name);
	char gitdir[4200];
	if (!sp)
		return r->spaces ? KN_ENOTFOUND : KN_EIO;
	space_gitdir(gitdir, sizeof(gitdir), r->cfg->data_dir, sp->name);
	struct store *st = repos_get(gitdir);
	if (!st) {
		log_error("%s %s: the repository of space %s does not open", r->method, r->path, sp->name);
		return KN_EIO;
	}
	r->space = sp;
	r->base = reqspace_base(r, sp->name);
	r->st = st;
	return 0;
}
