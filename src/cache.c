/* cache.c: LRU cache of rendered pages: a chained hash table plus a doubly linked list. */
#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A value: immutable once made, freed by its last holder (the cache or a request that
 * is still sending it). */
struct cache_val {
	atomic_size_t refs;
	size_t len;
	char data[]; /* len bytes and a NUL */
};

struct entry {
	struct entry *hnext;        /* hash chain */
	struct entry *prev, *next;  /* LRU list, most recent at head */
	uint64_t hash;
	char *key;
	struct cache_val *val;
	size_t len;
};

#define NBUCKETS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static struct entry *head, *tail;
static size_t used, limit;

static uint64_t
hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
cache_configure(size_t max_bytes)
{
	limit = max_bytes;
}

static void
unlink_lru(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		tail = e->prev;
	e->prev = e->next = NULL;
}

static void
push_front(struct entry *e)
{
	e->next = head;
	e->prev = NULL;
	if (head)
		head->prev = e;
	head = e;
	if (!tail)
		tail = e;
}

static struct entry **
find_slot(const char *key, uint64_t h)
{
	struct entry **p = &buckets[h % NBUCKETS];
	while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->hnext;
	return p;
}

static void
drop(struct entry *e)
{
	struct entry **p = find_slot(e->key, e->hash);
	*p = e->hnext;
	unlink_lru(e);
	used -= e->len;
	free(e->key);
	cache_val_unref(e->val);
	free(e);
}

int
cache_get(struct buf *out, const char *key)
{
	if (!limit)
		return 0;
	uint64_t h = hash_key(key);
	pthread_mutex_lock(&lock);
	struct entry *e = *find_slot(key, h);
	if (e) {
		unlink_lru(e);
		push_front(e);
		buf_put(out, e->val->data, e->len);
	}
	pthread_mutex_unlock(&lock);
	return e != NULL;
}

struct cache_val *
cache_val_new(const void *data, size_t len)
{
	struct cache_val *v = xmalloc(sizeof(*v) + len + 1);
	atomic_init(&v->refs, 1);
	v->len = len;
	memcpy(v->data, data, len);
	v->data[len] = '\0';
	return v;
}

const char *
cache_val_data(const struct cache_val *v, size_t *len)
{
	*len = v->len;
	return v->data;
}

void
cache_val_unref(struct cache_val *v)
{
	if (v && atomic_fetch_sub(&v->refs, 1) == 1)
		free(v);
}

struct cache_val *
cache_get_val(const char *key)
{
	if (!limit)
		return NULL;
	uint64_t h = hash_key(key);
	pthread_mutex_lock(&lock);
	struct entry *e = *find_slot(key, h);
	struct cache_val *v = NULL;
	if (e) {
		unlink_lru(e);
		push_front(e);
		v = e->val;
		atomic_fetch_add(&v->refs, 1);
	}
	pthread_mutex_unlock(&lock);
	return v;
}

void
cache_put_val(const char *key, struct cache_val *v)
{
	if (!limit || v->len > limit / 8)
		return; /* one huge page must not flush everything else */
	uint64_t h = hash_key(key);
	pthread_mutex_lock(&lock);
	struct entry **slot = find_slot(key, h);
	if (*slot) {
		/* made twice by racing threads: same bytes, keep the first */
		pthread_mutex_unlock(&lock);
		return;
	}
	struct entry *e = xcalloc(1, sizeof(*e));
	e->hash = h;
	e->key = xstrdup(key);
	e->val = v;
	atomic_fetch_add(&v->refs, 1);
	e->len = v->len;
	*slot = e;
	push_front(e);
	used += e->len;
	while (used > limit && tail)
		drop(tail);
	pthread_mutex_unlock(&lock);
}

void
cache_put(const char *key, const char *val, size_t len)
{
	if (!limit || len > limit / 8)
		return;
	struct cache_val *v = cache_val_new(val, len);
	cache_put_val(key, v);
	cache_val_unref(v);
}

void
cache_release(void)
{
	pthread_mutex_lock(&lock);
	while (tail)
		drop(tail);
	pthread_mutex_unlock(&lock);
}
