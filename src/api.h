/* api.h: the JSON API v1 (/api/v1/, docs/api.md): its entry in the route table, its error
 * answers, and the small pieces with rules of their own (errors' codes, cursors, nesting). */
#ifndef KENNIS_API_H
#define KENNIS_API_H

#include <stddef.h>

#include "req.h"

#define API_JSON_DEPTH 16    /* arrays and objects a request body may nest */
#define API_CURSOR_MAX 64    /* bytes of what a cursor carries */

/* The router's row for /api/v1/: api.c's own table of endpoints, who is asking (a token or
 * the session with its CSRF header), and every answer and error as JSON. */
int api_v1(struct req *r);

/* Make r's answer the JSON error for `err` (a KN_ code): {"error": {"code": "...", "message":
 * `message`}}, its status, and WWW-Authenticate on a 401. For error_page (server.c's own
 * refusals of an API request) and api.c itself. */
void api_error_body(struct req *r, int err, const char *message);

/* The error code the API names HTTP status `status` by: "bad_request", "not_found", ... */
const char *api_error_code(int status);

/* Cursors are opaque to clients: base64url of "K:VALUE", K the letter of the list they page
 * (so a cursor of one list is refused by another). encode: 0, or KN_ETOOBIG when `value` is
 * over API_CURSOR_MAX bytes or `out` (n bytes) too small. decode: `value` (n bytes) gets
 * what was encoded; KN_EINVAL for anything else: malformed, of another list, too long. */
int api_cursor_encode(char *out, size_t n, char kind, const char *value);
int api_cursor_decode(char *value, size_t n, char kind, const char *cursor);

/* How deep arrays and objects nest in JSON text [s, s+n), strings skipped; counting stops
 * past `max` (returns max + 1), so hostile text costs one pass and no parser stack. */
int api_json_depth(const char *s, size_t n, int max);

#endif
