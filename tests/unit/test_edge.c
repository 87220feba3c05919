/* test_edge.c: which request framings the edge refuses, and that ordinary ones pass. */
#include "tap.h"

#include "edge.h"

/* Build a header list from "Name: value" lines (split at the first ':', one space skipped,
 * as libmicrohttpd hands them over) and judge it. */
static int
judge(struct arena *a, const char *version, const char *const *lines, const char **why)
{
	struct kvlist h = { 0 };
	for (; *lines; lines++) {
		const char *colon = strchr(*lines, ':');
		const char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		kv_add(a, &h, arena_strndup(a, *lines, (size_t)(colon - *lines)), arena_strdup(a, v));
	}
	return edge_check(version, &h, why);
}

/* The header a case is about: the last one. */
static const char *
last(const char *const *l)
{
	const char *s = "";
	for (; *l; l++)
		s = *l;
	return s;
}

#define PASS(version, ...) do { \
	const char *l[] = { __VA_ARGS__, NULL }, *w_ = NULL; \
	int rc = judge(a, version, l, &w_); \
	ok(rc == 0, "passes: %s %s (%s)", version, last(l), w_ ? w_ : "-"); \
} while (0)
#define FAIL(version, want, ...) do { \
	const char *l[] = { __VA_ARGS__, NULL }, *w_ = NULL; \
	int rc = judge(a, version, l, &w_); \
	ok(rc == KN_EINVAL && w_ && strcmp(w_, want) == 0, "refused: %s %s (%s)", version, last(l), \
	   w_ ? w_ : "-"); \
} while (0)

int
main(void)
{
	struct arena *a = arena_new();
	const char *none[] = { NULL }, *why;

	PASS("HTTP/1.1", "Host: wiki.example.com");
	PASS("HTTP/1.1", "Host: 127.0.0.1:8080", "User-Agent: curl/7.88.1", "Accept: */*");
	PASS("HTTP/1.1", "Host: [::1]:8080");
	PASS("HTTP/1.1", "Host: ");
	PASS("HTTP/1.1", "Host: x", "Content-Length: 0");
	PASS("HTTP/1.1", "Host: x", "Content-Length: 5");
	PASS("HTTP/1.1", "Host: x", "Content-Length: 999999999999999");
	PASS("HTTP/1.1", "Host: x", "Transfer-Encoding: chunked");
	PASS("HTTP/1.1", "Host: x", "X-Tab:\tvalue\twith tabs", "Cookie: a=b; c=d");
	PASS("HTTP/1.1", "Host: x", "X-Utf8: M\xc3\xbcller");
	PASS("HTTP/1.2", "Host: x");
	PASS("HTTP/1.0", "Content-Length: 3");
	PASS("HTTP/1.0", "Accept: */*");
	ok(edge_check("HTTP/1.0", &(struct kvlist){ 0 }, &why) == 0, "HTTP/1.0 without any header passes");

	ok(judge(a, "HTTP/1.1", none, &why) == KN_EINVAL, "HTTP/1.1 without any header is refused");
	FAIL("HTTP/1.1", "HTTP/1.1 without Host", "Accept: */*");
	FAIL("HTTP/1.1", "more than one Host", "Host: a", "Host: b");
	FAIL("HTTP/1.1", "more than one Host", "Host: a", "host: a");
	FAIL("HTTP/1.0", "more than one Host", "Host: a", "Host: b");
	FAIL("HTTP/1.1", "malformed Host", "Host: a b");
	FAIL("HTTP/1.1", "malformed Host", "Host: evil.com/x");
	FAIL("HTTP/1.1", "malformed Host", "Host: user@evil.com");

	FAIL("HTTP/1.1", "both Transfer-Encoding and Content-Length", "Host: x", "Content-Length: 5",
	     "Transfer-Encoding: chunked");
	FAIL("HTTP/1.1", "both Transfer-Encoding and Content-Length", "Host: x", "Transfer-Encoding: chunked",
	     "Content-Length: 0");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: CHUNKED");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: chunked ");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: gzip, chunked");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: identity");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: ");
	FAIL("HTTP/1.1", "Transfer-Encoding other than exactly chunked", "Host: x", "Transfer-Encoding: chunked, chunked");
	FAIL("HTTP/1.1", "more than one Transfer-Encoding", "Host: x", "Transfer-Encoding: chunked",
	     "Transfer-Encoding: chunked");
	FAIL("HTTP/1.1", "more than one Transfer-Encoding", "Host: x", "transfer-encoding: identity",
	     "Transfer-Encoding: chunked");
	FAIL("HTTP/1.0", "Transfer-Encoding in HTTP/1.0", "Transfer-Encoding: chunked");

	FAIL("HTTP/1.1", "more than one Content-Length", "Host: x", "Content-Length: 5", "Content-Length: 5");
	FAIL("HTTP/1.1", "more than one Content-Length", "Host: x", "Content-Length: 5", "content-length: 7");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 5, 5");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: -1");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: +5");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 0x5");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 05");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 00000000000000000000005");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 1000000000000000");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: ");
	FAIL("HTTP/1.1", "malformed Content-Length", "Host: x", "Content-Length: 5 ");

	FAIL("HTTP/1.1", "header name is not a token (space before the colon?)", "Host: x", "Content-Length : 5");
	FAIL("HTTP/1.1", "header name is not a token (space before the colon?)", "Host: x", "Content-Length\t: 5");
	FAIL("HTTP/1.1", "header name is not a token (space before the colon?)", "Host: x", ": empty name");
	FAIL("HTTP/1.1", "header name is not a token (space before the colon?)", "Host: x", "X\x01Y: 1");
	FAIL("HTTP/1.1", "control byte in a header value", "Host: x", "X-A: a\rb");
	FAIL("HTTP/1.1", "control byte in a header value", "Host: x", "X-A: a\x7f");
	arena_free(a);
	return tap_done();
}
