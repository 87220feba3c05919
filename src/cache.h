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

/* Free everything (at shutdown, for a clean leak check). */
void cache_release(void);

#endif
