/* cache.h: a bounded, thread-safe LRU cache of immutable byte strings (rendered pages keyed
 * by commit id and name: a key's value can never change, so nothing is ever invalidated). */
#ifndef KENNIS_CACHE_H
#define KENNIS_CACHE_H

#include <stddef.h>
#include "kennis.h"

/* Set the total size bound (bytes of values); 0 turns the cache off. Call before serving. */
void cache_configure(size_t max_bytes);

/* Append the value of `key` to `out` and return 1, or return 0 when absent. */
int cache_get(struct buf *out, const char *key);

/* Store a copy of `val` under `key` (evicting the least recently used entries). */
void cache_put(const char *key, const char *val, size_t len);

/* Values shared without a copy: made once, immutable, freed by their last holder. A page
 * view hands its cached bytes to the network this way (server.c). */
struct cache_val;
/* A value holding a copy of `data`; the caller holds the one reference. */
struct cache_val *cache_val_new(const void *data, size_t len);
const char *cache_val_data(const struct cache_val *v, size_t *len);
/* Drop a reference (NULL: nothing). */
void cache_val_unref(struct cache_val *v);
/* The value of `key` with a reference for the caller, or NULL when absent. */
struct cache_val *cache_get_val(const char *key);
/* Keep `v` under `key` (the cache takes a reference of its own; the caller keeps its). */
void cache_put_val(const char *key, struct cache_val *v);

/* Free everything (at shutdown, for a clean leak check). */
void cache_release(void);

#endif
