/* fuzz.h: what every libFuzzer target of tests/fuzz/ shares: the entry point, a failing oracle, input helpers. */
#ifndef KENNIS_FUZZ_H
#define KENNIS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kennis.h"

/* libFuzzer calls this once per input; 0 always (a failed oracle aborts). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Called once before the first input (optional in each target). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An oracle failed: say which, show the input's bytes, and abort, so libFuzzer keeps the
 * input as a crash (crash-<sha1>) like any sanitizer report. */
#define FUZZ_CHECK(cond, ...)                                                                  \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz oracle failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                              \
	} while (0)

/* The input as a NUL-terminated string (NUL bytes inside kept: callers that want C strings
 * stop at the first). Caller frees. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Split off the input's bytes up to the first `sep` (or all of it) as a string. */
static inline char *
fuzz_take(const uint8_t **data, size_t *size, char sep)
{
	const uint8_t *end = memchr(*data, sep, *size);
	size_t n = end ? (size_t)(end - *data) : *size;
	char *s = fuzz_str(*data, n);
	*data += end ? n + 1 : n;
	*size -= end ? n + 1 : n;
	return s;
}

/* Does [s, s+n) hold a control byte (below 0x20, or DEL)? */
static inline int
fuzz_has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Is [s, s+n) valid UTF-8? Written apart from util.c's utf8_valid, so each checks the other:
 * the shortest form only, no surrogates, nothing above U+10FFFF. */
static inline int
fuzz_utf8_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2 : (s[i] & 0xF0) == 0xE0 ? 3 : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
		static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (len == 0 || len > n - i)
			return 0;
		cp = len == 1 ? s[i] : s[i] & (0xFFu >> (len + 1));
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if ((len > 1 && cp < least[len]) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/* Keep kennis's log quiet: the fuzzers feed it hostile input on purpose. */
static inline void
fuzz_quiet(void)
{
	log_min_level = LOG_ERROR + 1;
}

#endif
