/* edge.h: is a request's framing unambiguous? Judged from the headers libmicrohttpd parsed. */
#ifndef KENNIS_EDGE_H
#define KENNIS_EDGE_H

#include "req.h"

/* Judge the framing of a request: `version` as sent ("HTTP/1.1"), `h` every header line in
 * order, duplicates included, names exactly as sent. Refused: a header name that is not a
 * token (e.g. a space before the colon) or a value holding a control byte; HTTP/1.1 without
 * exactly one valid Host; Transfer-Encoding other than one header saying exactly
 * "chunked", or any in HTTP/1.0; Transfer-Encoding together with Content-Length; more than
 * one Content-Length, or one that is not a plain decimal number of at most 15 digits
 * without leading zeros. Returns 0, or KN_EINVAL with *why set to a static phrase for the
 * log. Pure: no I/O, no allocation. */
int edge_check(const char *version, const struct kvlist *h, const char **why);

#endif
