/* fuzz_request.c: request decoding (req.c, router.c, githttp.c): percent escapes, forms, --base-url and space paths against simple reference readings. */
#include "fuzz.h"

#include <ctype.h>

#include "githttp.h"
#include "req.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static int
hex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* What [s, s+n) decodes to by req.h's words, into out: 1, or 0 when it must be refused (a
 * malformed escape, or a NUL in the result). */
static int
ref_decode(struct buf *out, const char *s, size_t n, int plus)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 || hex((unsigned char)s[i + 1]) < 0 || hex((unsigned char)s[i + 2]) < 0)
				return 0;
			c = (unsigned char)(hex((unsigned char)s[i + 1]) * 16 + hex((unsigned char)s[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0)
			return 0;
		buf_putc(out, c);
	}
	return 1;
}

static void
check_decode(struct arena *a, const char *s, size_t n)
{
	struct buf want = BUF_INIT;
	for (int plus = 0; plus < 2; plus++) {
		const char *got = url_decode(a, s, n, plus);
		int ok = ref_decode(&want, s, n, plus);
		FUZZ_CHECK((got != NULL) == ok, "url_decode %s what the rules %s", got ? "accepts" : "refuses",
			   ok ? "accept" : "refuse");
		/* a C string with no NUL inside: its length is all of it */
		FUZZ_CHECK(!got || (strlen(got) == want.len && memcmp(got, buf_cstr(&want), want.len) == 0),
			   "url_decode gave other bytes than the rules");
	}
	buf_free(&want);
}

static void
check_form(struct arena *a, const char *s, size_t n)
{
	struct kvlist l = { 0 };
	int rc = form_parse(a, &l, s, n);
	/* the reference: pieces between '&', empty ones skipped, name up to the first '=' */
	struct buf k = BUF_INIT, v = BUF_INIT;
	size_t pieces = 0, at = 0;
	int ok = 1;
	for (size_t i = 0; i <= n && ok; i++) {
		if (i < n && s[i] != '&')
			continue;
		if (i > at) {
			const char *p = s + at, *eq = memchr(p, '=', i - at);
			size_t kn = eq ? (size_t)(eq - p) : i - at;
			ok = ref_decode(&k, p, kn, 1) && (eq ? ref_decode(&v, eq + 1, i - at - kn - 1, 1) : (buf_reset(&v), 1));
			if (ok && rc == 0) {
				FUZZ_CHECK(pieces < l.n && strcmp(l.v[pieces].key, buf_cstr(&k)) == 0 &&
						   strcmp(l.v[pieces].val, buf_cstr(&v)) == 0,
					   "form field %zu is not what the rules make", pieces);
			}
			pieces++;
		}
		at = i + 1;
	}
	FUZZ_CHECK((rc == 0) == ok, "form_parse says %d, the rules %s", rc, ok ? "accept" : "refuse");
	FUZZ_CHECK(rc != 0 || l.n == pieces, "form_parse made %zu fields of %zu pieces", l.n, pieces);
	buf_free(&k);
	buf_free(&v);
}

/* --base-url: what is accepted is normalised, and normalising it again changes nothing. */
static void
check_base_url(const char *s)
{
	const char *why = NULL, *why2 = NULL;
	char *url = req_base_url_parse(s, &why);
	FUZZ_CHECK((url == NULL) == (why != NULL), "a base URL without a reason or a reason with a URL");
	if (!url)
		return;
	size_t n = strlen(url);
	int https = strncmp(url, "https://", 8) == 0;
	FUZZ_CHECK(https || strncmp(url, "http://", 7) == 0, "base URL '%s' is not http(s)://", url);
	FUZZ_CHECK(n > (https ? 8u : 7u) && url[n - 1] != '/', "base URL '%s' has no host or ends in '/'", url);
	const char *host = url + (https ? 8 : 7);
	for (const char *p = host; *p; p++)
		FUZZ_CHECK(isalnum((unsigned char)*p) || strchr(".-:[]", *p), "base URL '%s' holds '%c'", url, *p);
	FUZZ_CHECK(!strchr(host, '/') && !strchr(url, '@') && !strchr(url, '?') && !strchr(url, '#'),
		   "base URL '%s' has a path, user, query or fragment", url);
	char *again = req_base_url_parse(url, &why2);
	FUZZ_CHECK(again && strcmp(again, url) == 0, "base URL '%s' is not stable (%s)", url, again ? again : why2);
	free(again);
	free(url);
}

/* A space name by spaces.h's words: 1..32 of [a-z0-9-], starting with a letter or digit. */
static int
ref_space_name(const char *s, size_t n)
{
	if (n == 0 || n > 32 || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
}

/* A path under a space (router_space_path, githttp_split) against req.h's and githttp.h's
 * words: "/s/NAME/..." is 1, "/s/NAME.git..." 2, with NAME a valid space name ("wiki" too),
 * *rest what follows; any other "/s/..." -1; git's are "/wiki.git[/...]" (the wiki's) and
 * "/s/NAME.git..." for NAME not "wiki". */
static void
check_space_path(const char *path)
{
	char name[64], sp[64];
	const char *rest = NULL, *sub = NULL;
	int rc = router_space_path(path, name, sizeof(name), &rest);
	int want = 0;
	size_t len = 0;
	if (strncmp(path, "/s/", 3) == 0) {
		len = strcspn(path + 3, "/");
		int git = len > 4 && memcmp(path + 3 + len - 4, ".git", 4) == 0;
		want = ref_space_name(path + 3, len - (git ? 4 : 0)) ? 1 + git : -1;
	}
	FUZZ_CHECK(rc == want, "router_space_path says %d, the rules %d: %.80s", rc, want, path);
	if (rc > 0) {
		size_t nl = strlen(name);
		FUZZ_CHECK(strncmp(name, path + 3, nl) == 0 && nl == len - (rc == 2 ? 4 : 0) && rest == path + 3 + len,
			   "router_space_path read name '%s', rest '%s' of %.80s", name, rest, path);
	}
	int grc = githttp_split(path, sp, sizeof(sp), &sub);
	int wiki = strncmp(path, "/wiki.git", 9) == 0 && (path[9] == '/' || !path[9]);
	int gwant = wiki || (rc == 2 && strcmp(name, "wiki") != 0);
	FUZZ_CHECK((grc == 0) == gwant && (grc == 0 || grc == KN_ENOTFOUND), "githttp_split says %d for %.80s", grc, path);
	if (grc == 0)
		FUZZ_CHECK(wiki ? strcmp(sp, "wiki") == 0 && sub == path + 9 : strcmp(sp, name) == 0 && sub == rest,
			   "githttp_split read space '%s', rest '%s' of %.80s", sp, sub, path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *s = (const char *)data;
	check_decode(a, s, size);
	check_form(a, s, size);
	char *z = fuzz_str(data, size);
	check_base_url(z);
	check_space_path(z);
	free(z);
	arena_free(a);
	return 0;
}
