/* tmpl.h: HTML templates (templates/NAME.html, embedded), escaping by default. */
#ifndef KENNIS_TMPL_H
#define KENNIS_TMPL_H

#include "kennis.h"

/* Syntax (a mustache subset):
 *   {{key}}        value HTML-escaped
 *   {{key:url}}    value percent-encoded as a URL path (keeps '/'), then HTML-escaped
 *   {{{key}}}      raw HTML, only for values set with tset_html (text values are escaped)
 *   {{#key}}..{{/key}}  a list: once per item; a value: once if non-empty
 *   {{^key}}..{{/key}}  once if key is missing, empty or an empty list
 *   {{>name}}      include templates/name.html
 *   {{! comment}}
 * Keys are looked up in the current list item, then its parents. */
struct tctx;

/* A context whose memory lives in arena `a`. */
struct tctx *tctx_new(struct arena *a);
/* Set `key` to text (copied into the arena). */
void tset(struct tctx *c, const char *key, const char *text);
void tsetf(struct tctx *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set `key` to HTML made by the renderer or by code that escaped every input itself. */
void tset_html(struct tctx *c, const char *key, const char *html);
/* Append a new item to list `key` and return its context. */
struct tctx *tadd(struct tctx *c, const char *key);

/* Expand template `name` ("view" -> templates/view.html) into `out`. Returns 0 or
 * KN_ENOTFOUND (no such template; logged). */
int tmpl_render(struct buf *out, const char *name, struct tctx *c);

#endif
