/* diff.h: readable line diffs of two texts, as HTML. */
#ifndef KENNIS_DIFF_H
#define KENNIS_DIFF_H

#include <stddef.h>
#include "kennis.h"

/* Append to `out` an HTML table showing the line diff from `a` to `b` with 3 lines of
 * context: one <tr> per line, classes "add", "del", "ctx", "hunk" (and "ctx eofnl" for a
 * missing final newline), cells td.old, td.new, td.text, every text escaped. No size limit
 * of its own: callers bound the inputs. Identical texts give a "<p class=\"nodiff\">No changes.</p>".
 * Returns 0 or KN_EGIT. */
int diff_html(struct buf *out, const char *a, size_t alen, const char *b, size_t blen);

#endif
