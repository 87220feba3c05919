/* snippet.h: the highlighted title and the snippet of a search result, computed from the
 * stored text with FTS5's own tokenizer (so a word is found exactly where FTS5 matched it)
 * instead of FTS5's highlight() and snippet(), which need the query looked up again for
 * every result shown. See docs/search.md. */
#ifndef KENNIS_SNIPPET_H
#define KENNIS_SNIPPET_H

#include <sqlite3.h>

#include "kennis.h"

#define SNIPPET_MARK_OPEN  '\x01' /* around a match in the output; search_marks_to_html */
#define SNIPPET_MARK_CLOSE '\x02' /* turns them into <mark> and </mark> */

struct hl_tokenizer;
struct hl_query;

/* Connection `db`'s FTS5 API (to register functions, find tokenizers), or NULL. */
fts5_api *fts5_api_of(sqlite3 *db);

/* The tokenizer `name` with `args` (as in the table's tokenize option) of connection `db`'s
 * FTS5. Returns 0 or a KN_ code. */
int hl_tokenizer_open(struct hl_tokenizer **out, sqlite3 *db, const char *name, const char *const *args, int nargs);
void hl_tokenizer_close(struct hl_tokenizer *t);

/* The phrases of an FTS5 expression as search_parse writes them: "quoted strings" (a ""
 * inside is a quote), each optionally followed by * (prefix), separated by blanks. NULL
 * when it has none. */
struct hl_query *hl_query_new(struct hl_tokenizer *t, const char *match);
void hl_query_free(struct hl_query *q);

/* Append text[0..n) to `out` with every match of a phrase between SNIPPET_MARK_OPEN and
 * SNIPPET_MARK_CLOSE (overlapping matches merged), as FTS5's highlight() does. */
int hl_highlight(struct buf *out, struct hl_tokenizer *t, const struct hl_query *q, const char *text, size_t n);

/* Append the best window of at most `ntokens` tokens of text[0..n): most distinct phrases,
 * then most matches, preferring the start of a sentence; matches marked; `ellipsis` where
 * text was cut. A text of at most `ntokens` tokens is highlighted whole. Only the first
 * 128 KiB of a text are searched. */
int hl_snippet(struct buf *out, struct hl_tokenizer *t, const struct hl_query *q, const char *text, size_t n,
	       int ntokens, const char *ellipsis);

#endif
