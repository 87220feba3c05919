/* test_util.c: buffers, the arena, HTML and URL escaping, UTF-8 validation, error names. */
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

#include "kennis.h"

static void
test_buf(void)
{
	struct buf b = BUF_INIT;
	is_str(buf_cstr(&b), "", "an empty buffer reads as \"\"");
	buf_puts(&b, "abc");
	buf_putc(&b, 'd');
	buf_put(&b, "e\0f", 3);
	ok(b.len == 7 && memcmp(b.ptr, "abcde\0f", 7) == 0 && b.ptr[7] == '\0', "puts, putc, put: NUL-terminated, NULs kept");
	buf_reset(&b);
	ok(b.len == 0 && b.ptr && b.ptr[0] == '\0', "reset keeps the memory, empties the text");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%04d", i);
	ok(b.len == 4000 && strncmp(b.ptr + 3996, "0999", 4) == 0 && b.cap > b.len, "printf appends, growing");
	char *p = buf_detach(&b);
	ok(p && strlen(p) == 4000 && !b.ptr && b.len == 0 && b.cap == 0, "detach hands the memory over");
	free(p);
	p = buf_detach(&b);
	ok(p && *p == '\0', "detach of an empty buffer: \"\", never NULL");
	free(p);
	buf_free(&b);
}

static void
test_arena(void)
{
	struct arena *a = arena_new();
	char *s = arena_strdup(a, "hello");
	char *big = arena_alloc(a, 100000);
	char *t = arena_printf(a, "%s-%d", s, 42);
	ok(((uintptr_t)big & 15) == 0 && ((uintptr_t)t & 15) == 0, "allocations are 16-byte aligned");
	ok(big[0] == 0 && big[99999] == 0, "allocations are zeroed, big ones too");
	is_str(t, "hello-42", "printf into the arena");
	is_str(arena_strndup(a, "abcdef", 3), "abc", "strndup");
	is_str(s, "hello", "earlier strings stay");
	arena_free(a);
}

static void
test_escape(void)
{
	struct buf b = BUF_INIT;
	html_puts(&b, "<a href=\"x\" onclick='y'>&</a>");
	is_str(buf_cstr(&b), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;", "html_escape");
	buf_reset(&b);
	html_escape(&b, "a\0<b", 4);
	ok(b.len == 7 && memcmp(b.ptr, "a\0&lt;b", 7) == 0, "html_escape takes a length, NUL and all");
	buf_reset(&b);
	url_escape(&b, "A b/c?d#e%", 10, 1);
	is_str(buf_cstr(&b), "A%20b/c%3Fd%23e%25", "url_escape keeps /");
	buf_reset(&b);
	url_escape(&b, "a/b~c_d.e-f", 11, 0);
	is_str(buf_cstr(&b), "a%2Fb~c_d.e-f", "url_escape without keep_slash: unreserved bytes only");
	buf_reset(&b);
	url_escape(&b, "Müller", 7, 0);
	is_str(buf_cstr(&b), "M%C3%BCller", "bytes of UTF-8 are escaped");
	buf_free(&b);
}

static void
test_utf8(void)
{
	static const struct { const char *s; size_t n; int valid; const char *what; } cases[] = {
		{ "Müller", 7, 1, "two-byte" },
		{ "\xe2\x82\xac", 3, 1, "three-byte (€)" },
		{ "\xf0\x9f\x98\x80", 4, 1, "four-byte (emoji)" },
		{ "a\0b", 3, 1, "NUL is ASCII" },
		{ "\xc3", 1, 0, "truncated" },
		{ "\xe2\x82", 2, 0, "truncated three-byte" },
		{ "\xc0\x80", 2, 0, "overlong NUL" },
		{ "\xc1\xbf", 2, 0, "overlong two-byte" },
		{ "\xe0\x80\xaf", 3, 0, "overlong three-byte" },
		{ "\xf0\x80\x80\xaf", 4, 0, "overlong four-byte" },
		{ "\xed\xa0\x80", 3, 0, "surrogate" },
		{ "\xf4\x90\x80\x80", 4, 0, "beyond U+10FFFF" },
		{ "\xf5\x80\x80\x80", 4, 0, "lead byte F5" },
		{ "\x80", 1, 0, "lone continuation" },
		{ "\xc3\x28", 2, 0, "bad continuation" },
		{ "\xff", 1, 0, "FF" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(utf8_valid(cases[i].s, cases[i].n) == cases[i].valid, "utf8: %s is %s", cases[i].what,
		   cases[i].valid ? "valid" : "invalid");
}

/* entity_number: the numeric references index.c decodes and render.c looks for */
static void
test_entity_number(void)
{
	unsigned long cp = 1;
	ok(entity_number("&#94;x", 6, 7, &cp) == 5 && cp == 94, "decimal");
	ok(entity_number("&#X5e;", 6, 7, &cp) == 6 && cp == 94, "hex, either case");
	ok(entity_number("&#00000094;", 11, 7, &cp) == 0, "more digits than allowed: none");
	ok(entity_number("&#00000094;", 11, 8, &cp) == 11 && cp == 94, "leading zeros within the digits allowed");
	ok(entity_number("&#99999999999;", 14, 16, &cp) == 14 && cp == 0x110000, "too large: capped");
	ok(entity_number("&#94", 4, 7, &cp) == 0, "no ';': none");
	ok(entity_number("&#;", 3, 7, &cp) == 0 && entity_number("&#x;", 4, 7, &cp) == 0, "no digits: none");
	ok(entity_number("&#xg;", 5, 7, &cp) == 0 && entity_number("&amp;", 5, 7, &cp) == 0, "not a number: none");
	ok(entity_number("&#94;", 4, 7, &cp) == 0, "only the n bytes given are read");
}

static void
test_errors(void)
{
	int names = 0;
	for (int e = KN_EINVAL; e >= KN_EMETHOD; e--)
		names += strcmp(kn_strerror(e), "unknown error") != 0;
	ok(names == -KN_EMETHOD, "every KN_ error has a name (%d of %d)", names, -KN_EMETHOD);
	is_str(kn_strerror(KN_OK), "ok", "KN_OK");
	is_str(kn_strerror(-99), "unknown error", "an unknown code");
}

int
main(void)
{
	test_buf();
	test_arena();
	test_escape();
	test_utf8();
	test_entity_number();
	test_errors();
	return tap_done();
}
