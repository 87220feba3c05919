/* req.c: request helpers shared by the server and tests: key/value lists, URL decoding,
 * the base of absolute URLs. */
#include "req.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
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

/* The host of a base URL: [IPv6] or letters, digits, '.' and '-' in labels. Returns its
 * length, or 0 when there is none. */
static size_t
base_host(const char *s)
{
	if (*s == '[') {
		const char *end = strchr(s, ']');
		char ip6[INET6_ADDRSTRLEN + 1];
		struct in6_addr a;
		size_t n = end ? (size_t)(end - s - 1) : 0;
		if (!n || n >= sizeof(ip6))
			return 0;
		memcpy(ip6, s + 1, n);
		ip6[n] = '\0';
		return inet_pton(AF_INET6, ip6, &a) == 1 ? n + 2 : 0;
	}
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	if (!n || s[0] == '.' || s[0] == '-' || s[n - 1] == '-' || memmem(s, n, "..", 2))
		return 0;
	return n;
}

char *
req_base_url_parse(const char *s, const char **why)
{
	size_t scheme = strncasecmp(s, "http://", 7) == 0 ? 7 : strncasecmp(s, "https://", 8) == 0 ? 8 : 0;
	*why = "it must start with http:// or https://";
	if (!scheme)
		return NULL;
	const char *host = s + scheme, *p;
	size_t hn = base_host(host);
	*why = "no host name (a user name, spaces or other characters are not allowed there)";
	if (!hn)
		return NULL;
	p = host + hn;
	if (*p == ':') {
		char *end;
		long port = isdigit((unsigned char)p[1]) ? strtol(p + 1, &end, 10) : 0;
		*why = "the port must be a number from 1 to 65535";
		if (port < 1 || port > 65535 || end - p > 6)
			return NULL;
		p = end;
	}
	if (*p == '/')
		p++;
	*why = "nothing may follow the host and port but one '/' (no path, query or fragment: kennis serves from /)";
	if (*p)
		return NULL;
	size_t n = (size_t)(p - s) - (p[-1] == '/');
	char *out = xstrndup(s, n);
	for (size_t i = 0; i < scheme + hn; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	*why = NULL;
	return out;
}

/* Length of the CSP source expression at s (up to a blank, a comma or the end) when it is a
 * scheme source ("https:") or a host source ([scheme://]host[:port][/path], host "*",
 * "*.name" or a DNS name or IPv4 address); 0 when it is neither. */
static size_t
csp_source(const char *s)
{
	size_t n = strcspn(s, " ,"), i = 0, k = 0;
	if (n == 1 && s[0] == '*')
		return 1;
	/* scheme */
	while (k < n && (isalpha((unsigned char)s[k]) || (k && (isdigit((unsigned char)s[k]) || strchr("+.-", s[k])))))
		k++;
	if (k && k < n && s[k] == ':' && k + 1 == n)
		return n; /* a scheme source */
	if (k && k + 2 < n && s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/')
		i = k + 3;
	/* host: "*", "*.labels" or labels */
	if (i < n && s[i] == '*') {
		i++;
		if (i < n && s[i] != ':' && s[i] != '/' && s[i++] != '.')
			return 0;
	}
	size_t h = i;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
		i++;
	if (i == h && !(h > 0 && s[h - 1] == '*'))
		return 0;
	if (i < n && s[i] == ':') { /* port: digits or "*" */
		size_t p = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == p && i < n && s[i] == '*')
			i++;
		if (i == p)
			return 0;
	}
	if (i < n && s[i] == '/') /* path: unreserved bytes, '/' and escapes only */
		while (i < n && (isalnum((unsigned char)s[i]) || strchr("-._~/%", s[i])))
			i++;
	return i == n ? n : 0;
}

char *
req_img_src_parse(const char *s, const char **why)
{
	struct buf out = BUF_INIT;
	*why = "nothing given";
	if (strlen(s) > 1024) {
		*why = "longer than 1024 bytes";
		return NULL;
	}
	for (const char *p = s; *p;) {
		if (*p == ' ' || *p == ',' || *p == '\t') {
			p++;
			continue;
		}
		size_t n = csp_source(p);
		if (n == 0) {
			*why = strchr("'\"", *p) ? "keywords in quotes ('self', 'unsafe-inline', nonces, hashes) are not allowed"
						 : "not a scheme (https:) or host source (cdn.example.com, https://*.example.org)";
			buf_free(&out);
			return NULL;
		}
		if (out.len)
			buf_putc(&out, ' ');
		buf_put(&out, p, n);
		p += n;
	}
	if (!out.len)
		return NULL;
	*why = NULL;
	return buf_detach(&out);
}

/* Set by the server thread before it prints the address, read by workers: atomic. */
static _Atomic(char *) listen_url;

void
req_set_listen_url(const char *url)
{
	char *old = atomic_exchange(&listen_url, xstrdup(url));
	free(old); /* a second call is the caller's (a test's) business: no request may run then */
}

const char *
req_base_url(const struct req *r)
{
	if (r->cfg && r->cfg->base_url)
		return r->cfg->base_url;
	const char *l = atomic_load(&listen_url);
	return l ? l : "http://127.0.0.1";
}

char *
req_abs_url(struct req *r, const char *path)
{
	return arena_printf(r->a, "%s%s", req_base_url(r), path);
}
