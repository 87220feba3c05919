/* fuzz_githttp.c: the git `service` parameter (githttp_service) must be the one git http-backend reads from the same query. */
#include "fuzz.h"

#include "githttp.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

/* git's hex2chr() half: 0-15, or -1 */
static int
hexval_of(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* git's url_decode_internal (url.c), as git 2.39 has it: to the first byte of `stop`
 * (skipped), '+' is a space, "%XX" is that byte when both are hex digits and it is not 0
 * (git keeps "%00" as it is). Sets *nul when a %00 was seen. */
static char *
git_decode(const char **query, const char *stop, int *nul)
{
	struct buf out = BUF_INIT;
	const char *q = *query;
	for (; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if (strchr(stop, c)) {
			q++;
			break;
		}
		int hi = c == '%' ? hexval_of(q[1]) : -1, lo = hi >= 0 ? hexval_of(q[2]) : -1;
		if (lo >= 0 && (hi | lo)) {
			buf_putc(&out, hi << 4 | lo);
			q += 2;
			continue;
		}
		*nul |= lo == 0 && hi == 0;
		buf_putc(&out, c == '+' ? ' ' : c);
	}
	*query = q;
	return buf_detach(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query = fuzz_str(data, size); /* git reads QUERY_STRING from its environment: a C string */
	struct arena *a = arena_new();
	const char *service = NULL;
	int rc = githttp_service(query, a, &service);

	/* git http-backend's get_parameters(): name, value, ...; a repeated name keeps the last */
	const char *q = query;
	char *last = NULL;
	int services = 0, nul = 0;
	while (*q) {
		char *name = git_decode(&q, "&=", &nul), *value = git_decode(&q, "&", &nul);
		if (strcmp(name, "service") == 0) {
			services++;
			free(last);
			last = value;
		} else {
			free(value);
		}
		free(name);
	}
	if (rc == 0) {
		FUZZ_CHECK(services <= 1 && !nul, "accepted with %d services%s", services, nul ? " and a %00" : "");
		FUZZ_CHECK((service == NULL) == (last == NULL) && (!service || strcmp(service, last) == 0),
			   "kennis reads service '%s', git '%s'", service ? service : "(none)", last ? last : "(none)");
	} else {
		FUZZ_CHECK(rc == KN_EINVAL && !service, "refused with %d", rc);
		FUZZ_CHECK(services > 1 || nul, "refused a query git reads as one service");
	}
	free(last);
	arena_free(a);
	free(query);
	return 0;
}
