/* edge.c: refuse requests whose framing two HTTP parsers could read differently. */
#include "edge.h"

#include <string.h>
#include <strings.h>

/* Why so strict: request smuggling needs a proxy in front and kennis to disagree on where a
 * request ends. libmicrohttpd 0.9.75 lets Transfer-Encoding silently override
 * Content-Length, ignores a Transfer-Encoding it does not know (and then reads the body to
 * the end of the connection), takes a header name with a trailing space as a different
 * header, and parses "0000…5" as 5. Every real client sends one plain Content-Length or
 * exactly "Transfer-Encoding: chunked", so refusing anything else costs nothing. */

#define CL_DIGITS_MAX 15 /* a petabyte: no parser anywhere overflows on it */

static int
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int
is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Field values may hold visible bytes, SP, HTAB and obs-text, never CTLs (a lone CR or a NUL
 * would end the value for some parsers and not for others). */
static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 1;
	return 0;
}

/* RFC 3986 host [":" port]: unreserved, pct-encoded, sub-delims, ':' and IP-literal brackets.
 * Empty is allowed (RFC 9112 3.2: a URI without authority). */
static int
host_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr("-._~%!$&'()*+,;=:[]", ch)))
			return 0;
	}
	return 1;
}

/* "0", or 1-15 digits not starting with 0. */
static int
length_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] || n > CL_DIGITS_MAX)
		return 0;
	return n == 1 || s[0] != '0';
}

static int
headers_ok(const struct kvlist *h, const char **why)
{
	for (size_t i = 0; i < h->n; i++) {
		if (!is_token(h->v[i].key)) {
			*why = "header name is not a token (space before the colon?)";
			return 0;
		}
		if (has_ctl(h->v[i].val)) {
			*why = "control byte in a header value";
			return 0;
		}
	}
	return 1;
}

static int
host_header_ok(int http10, const struct kvlist *h, const char **why)
{
	size_t n = kv_count(h, "Host");
	if (n > 1) {
		*why = "more than one Host";
		return 0;
	}
	if (n == 0 && !http10) {
		*why = "HTTP/1.1 without Host";
		return 0;
	}
	if (n == 1 && !host_ok(kv_get(h, "Host"))) {
		*why = "malformed Host";
		return 0;
	}
	return 1;
}

static int
body_framing_ok(int http10, const struct kvlist *h, const char **why)
{
	size_t nte = kv_count(h, "Transfer-Encoding"), ncl = kv_count(h, "Content-Length");
	if (nte) {
		if (http10)
			*why = "Transfer-Encoding in HTTP/1.0";
		else if (nte > 1)
			*why = "more than one Transfer-Encoding";
		else if (strcmp(kv_get(h, "Transfer-Encoding"), "chunked") != 0)
			*why = "Transfer-Encoding other than exactly chunked";
		else if (ncl)
			*why = "both Transfer-Encoding and Content-Length";
		else
			return 1;
		return 0;
	}
	if (ncl > 1) {
		*why = "more than one Content-Length";
		return 0;
	}
	if (ncl == 1 && !length_ok(kv_get(h, "Content-Length"))) {
		*why = "malformed Content-Length";
		return 0;
	}
	return 1;
}

int
edge_check(const char *version, const struct kvlist *h, const char **why)
{
	/* libmicrohttpd has already refused versions other than 1.x; 1.2+ is served as 1.1 */
	int http10 = version && strcmp(version, "HTTP/1.0") == 0;
	*why = NULL;
	if (headers_ok(h, why) && host_header_ok(http10, h, why) && body_framing_ok(http10, h, why))
		return 0;
	return KN_EINVAL;
}
