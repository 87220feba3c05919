/* test_cache.c: the rendered-page LRU cache: hits, misses, the size bound, LRU order. */
#include "tap.h"

#include "cache.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	char val[100];
	memset(val, 'v', sizeof(val));

	ok(!cache_get(&b, "a"), "disabled cache misses");
	cache_configure(1000);
	ok(!cache_get(&b, "a"), "empty cache misses");
	cache_put("a", "alpha", 5);
	ok(cache_get(&b, "a") && strcmp(buf_cstr(&b), "alpha") == 0, "hit returns the value");
	buf_reset(&b);
	cache_put("a", "other", 5);
	cache_get(&b, "a");
	is_str(buf_cstr(&b), "alpha", "a key's first value stays (values are immutable)");
	buf_reset(&b);

	/* 10 x 100 bytes fill it; "a" (5 bytes) was touched last before these, so it goes first. */
	for (int i = 0; i < 10; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		cache_put(key, val, sizeof(val));
	}
	ok(!cache_get(&b, "a"), "least recently used entry evicted");
	ok(cache_get(&b, "k9"), "newest entry kept");
	buf_reset(&b);
	ok(cache_get(&b, "k1"), "k1 still there");   /* touch k1: now k2 is the oldest */
	buf_reset(&b);
	cache_put("k10", val, sizeof(val));
	ok(!cache_get(&b, "k0") || !cache_get(&b, "k2"), "an old entry made room");
	buf_reset(&b);
	ok(cache_get(&b, "k1"), "recently used entry survived eviction");
	buf_reset(&b);
	char big[200];
	memset(big, 'x', sizeof(big));
	cache_put("big", big, sizeof(big));
	ok(!cache_get(&b, "big"), "an entry over 1/8 of the cache is not stored");
	cache_release();
	ok(!cache_get(&b, "k9"), "release empties the cache");
	buf_free(&b);
	return tap_done();
}
