/* fuzz_edge.c: request framing (edge_check) against a second reading of edge.h's rules. */
#include "fuzz.h"

#include <strings.h>

#include "edge.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static int
count(const struct kvlist *h, const char *name, const char **first)
{
	int n = 0;
	*first = NULL;
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].key, name) == 0 && !n++)
			*first = h->v[i].val;
	return n;
}

/* edge.h, read again: 1 when the framing is acceptable. */
static int
ref_ok(const char *version, const struct kvlist *h)
{
	int http10 = strcmp(version, "HTTP/1.0") == 0;
	const char *host, *te, *cl;
	for (size_t i = 0; i < h->n; i++) {
		const char *k = h->v[i].key, *v = h->v[i].val;
		if (!*k || strspn(k, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(k))
			return 0; /* a name that is not a token */
		for (; *v; v++)
			if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
				return 0; /* a control byte in a value */
	}
	int hosts = count(h, "Host", &host);
	if (hosts > 1 || (hosts == 0 && !http10))
		return 0;
	if (hosts == 1 && strspn(host, "-._~%!$&'()*+,;=:[]0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
				  strlen(host))
		return 0; /* bytes no host name has */
	int tes = count(h, "Transfer-Encoding", &te), cls = count(h, "Content-Length", &cl);
	if (tes)
		return !http10 && tes == 1 && strcmp(te, "chunked") == 0 && cls == 0;
	if (cls > 1)
		return 0;
	if (cls == 1) {
		size_t d = strspn(cl, "0123456789");
		return d > 0 && d <= 15 && !cl[d] && (d == 1 || cl[0] != '0');
	}
	return 1;
}

/* The input: a version byte, then header lines "Name:value" (a line without ':' is a name
 * with an empty value). Names and values are C strings, as libmicrohttpd hands them. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = { "HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0" };
	if (size == 0)
		return 0;
	const char *version = versions[data[0] & 3];
	data++, size--;
	struct arena *a = arena_new();
	struct kvlist h = { 0 };
	while (size) {
		char *line = fuzz_take(&data, &size, '\n');
		char *colon = strchr(line, ':');
		if (colon)
			*colon = '\0';
		kv_add(a, &h, arena_strdup(a, line), arena_strdup(a, colon ? colon + 1 : ""));
		free(line);
	}
	const char *why = NULL;
	int rc = edge_check(version, &h, &why);
	FUZZ_CHECK(rc == 0 || rc == KN_EINVAL, "edge_check returned %d", rc);
	FUZZ_CHECK((rc == 0) == (why == NULL), "a reason with an accepted request, or none with a refused one");
	FUZZ_CHECK((rc == 0) == ref_ok(version, &h), "edge_check %s a request the rules %s (%s)", rc ? "refuses" : "accepts",
		   rc ? "accept" : "refuse", why ? why : "-");
	arena_free(a);
	return 0;
}
