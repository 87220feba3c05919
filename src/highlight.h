/* highlight.h: syntax colours for fenced code, on the server: a small lexer for a few languages. */
#ifndef KENNIS_HIGHLIGHT_H
#define KENNIS_HIGHLIGHT_H

#include <stddef.h>
#include "kennis.h"

/* Append `code` (n bytes, UTF-8) to `out` as HTML text for a <code> element: every byte
 * escaped, and the tokens of language `lang` (a code fence's first word, any case: "c",
 * "Python", "sh" ...; NULL or unknown: none) wrapped in <span class="hl-KIND">, KIND one of
 * keyword, type, literal, string, number, comment, meta, tag, attr, var, section, add,
 * del. Linear in n: each byte is looked at a bounded number of times. Returns 1 when the
 * language is known, else 0 (the code was only escaped). docs/rendering.md lists the
 * languages and what is coloured. */
int highlight(struct buf *out, const char *lang, size_t lang_len, const char *code, size_t n);

/* Is `lang` (lang_len bytes) a language highlight() knows? */
int highlight_known(const char *lang, size_t lang_len);

/* For the unit test: 0 when every word list is sorted (they are searched by bisection),
 * else the position of the first list out of order (1-based). */
int highlight_check_lists(void);

#endif
