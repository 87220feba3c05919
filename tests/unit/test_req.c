/* test_req.c: request decoding: percent escapes, forms, header and parameter lists. */
#include "tap.h"

#include <stdlib.h>

#include "req.h"

static void
test_decode(void)
{
	struct arena *a = arena_new();
	is_str(url_decode(a, "a%20b+c", 7, 1), "a b c", "decode with plus");
	is_str(url_decode(a, "a+b", 3, 0), "a+b", "plus kept in paths");
	is_str(url_decode(a, "%C3%bc%2f", 9, 0), "ü/", "escapes in either case; %%2F is a slash");
	is_str(url_decode(a, "abc", 2, 0), "ab", "only n bytes are read");
	ok(url_decode(a, "a%00b", 5, 0) == NULL, "NUL refused");
	ok(url_decode(a, "a%2", 3, 0) == NULL, "truncated escape refused");
	ok(url_decode(a, "a%", 2, 0) == NULL, "lone %% refused");
	ok(url_decode(a, "a%zz", 4, 0) == NULL, "bad hex refused");
	ok(url_decode(a, "a%2", 2, 0) == NULL, "an escape cut by n refused");
	arena_free(a);
}

static void
test_form(void)
{
	struct arena *a = arena_new();
	struct kvlist l = { 0 };
	ok(form_parse(a, &l, "content=x%0Ay&base=&message=hi+there&flag", 41) == 0, "form parses");
	is_str(kv_get(&l, "content"), "x\ny", "form value decoded");
	is_str(kv_get(&l, "base"), "", "empty value");
	is_str(kv_get(&l, "message"), "hi there", "plus is space");
	is_str(kv_get(&l, "flag"), "", "key without =");
	ok(l.n == 4, "four fields");
	struct kvlist l2 = { 0 };
	ok(form_parse(a, &l2, "a=%00", 5) < 0, "form with NUL refused");
	struct kvlist l3 = { 0 };
	ok(form_parse(a, &l3, "&&a=1&&b=2&", 11) == 0 && l3.n == 2, "empty parts are skipped");
	struct kvlist l4 = { 0 };
	ok(form_parse(a, &l4, "a%3Db=c%26d", 11) == 0 && l4.n == 1 && strcmp(l4.v[0].key, "a=b") == 0 &&
	   strcmp(l4.v[0].val, "c&d") == 0, "escaped = and & are data");
	struct kvlist l5 = { 0 };
	ok(form_parse(a, &l5, "a=1&a=2", 7) == 0 && l5.n == 2 && strcmp(kv_get(&l5, "a"), "1") == 0 && kv_count(&l5, "a") == 2,
	   "a repeated key: both kept, the first answers");
	arena_free(a);
}

static void
test_lists(void)
{
	struct arena *a = arena_new();
	struct kvlist h = { 0 };
	for (int i = 0; i < 40; i++)
		kv_add(a, &h, arena_printf(a, "X-%d", i), arena_printf(a, "%d", i));
	kv_add(a, &h, "Content-Length", "1");
	kv_add(a, &h, "content-length", "2");
	ok(h.n == 42 && strcmp(kv_get(&h, "X-39"), "39") == 0, "a list grows");
	is_str(kv_get(&h, "CONTENT-LENGTH"), "1", "keys without case: the first value");
	ok(kv_count(&h, "Content-length") == 2, "kv_count sees duplicates (for request smuggling)");
	ok(kv_get(&h, "Missing") == NULL && kv_count(&h, "Missing") == 0, "absent keys");
	struct req r = { .a = a };
	resp_header(&r, "X-Test", "v");
	ok(r.resp_headers.n == 1 && strcmp(kv_get(&r.resp_headers, "x-test"), "v") == 0, "resp_header");
	arena_free(a);
}

/* --img-src: sources only, nothing that could add or loosen another directive. */
static void
test_img_src(void)
{
	static const struct { const char *in, *out; } good[] = {
		{ "https:", "https:" },
		{ "https: data:", "https: data:" },
		{ "cdn.example.com", "cdn.example.com" },
		{ " https://img.example.org:8443/img/ , *.example.net ", "https://img.example.org:8443/img/ *.example.net" },
		{ "*", "*" },
		{ "http://*:*", "http://*:*" },
		{ "10.0.0.5:8080", "10.0.0.5:8080" },
	};
	static const char *const bad[] = {
		"", " , ", "'self'", "'unsafe-inline'", "'unsafe-eval'", "'nonce-abc'", "https:; script-src *",
		"https: ;", "a'b", "x\"y", "cdn.example.com/x;y", "https:\nscript-src", "ex ample.com/\x01", "*.",
		"https://", "https://:80", "a.com:x", "a.com/p?q", "ümlaut.de", "*evil.com",
	};
	const char *why;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		char *v = req_img_src_parse(good[i].in, &why);
		is_str(v, good[i].out, "--img-src '%s' is taken", good[i].in);
		free(v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *v = req_img_src_parse(bad[i], &why);
		ok(!v && why, "--img-src '%s' is refused (%s)", bad[i], why ? why : v);
		free(v);
	}
}

int
main(void)
{
	test_img_src();
	test_decode();
	test_form();
	test_lists();
	return tap_done();
}
