/* req.c: request helpers shared by the server and tests: key/value lists, URL decoding. */
#include "req.h"

#include <strings.h>
#include <string.h>

void
kv_add(struct arena *a, struct kvlist *l, const char *key, const char *val)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct kv *v = arena_alloc(a, cap * sizeof(*v));
		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].key = key;
	l->v[l->n].val = val;
	l->n++;
}

const char *
kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

size_t
kv_count(const struct kvlist *l, const char *key)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += strcasecmp(l->v[i].key, key) == 0;
	return n;
}

void
resp_header(struct req *r, const char *key, const char *val)
{
	kv_add(r->a, &r->resp_headers, arena_strdup(r->a, key), arena_strdup(r->a, val));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
url_decode(struct arena *a, const char *s, size_t n, int plus)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
				return NULL;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0')
			return NULL;
		*o++ = c;
	}
	*o = '\0';
	return out;
}

int
form_parse(struct arena *a, struct kvlist *l, const char *s, size_t n)
{
	const char *end = s + n;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pe - s));
		if (pe > s) {
			const char *ke = eq ? eq : pe;
			char *k = url_decode(a, s, (size_t)(ke - s), 1);
			char *v = eq ? url_decode(a, eq + 1, (size_t)(pe - eq - 1), 1) : arena_strdup(a, "");
			if (!k || !v)
				return KN_EINVAL;
			kv_add(a, l, k, v);
		}
		s = pe + 1;
	}
	return 0;
}
