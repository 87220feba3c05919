/* mailer.h: one e-mail (plain text and HTML alternatives) sent with libcurl's SMTP. */
#ifndef KENNIS_MAILER_H
#define KENNIS_MAILER_H

#include "kennis.h"

struct mail_server {
	const char *url;      /* smtp://host:port or smtps://host:port */
	const char *user;     /* NULL: no login */
	const char *password;
	const char *from;     /* the From address, "kennis <wiki@example.com>" or "wiki@example.com" */
};

struct mail {
	const char *to;              /* one address */
	const char *subject;         /* one line, UTF-8 */
	const char *text;            /* the plain text part */
	const char *html;            /* the HTML part (NULL: text only) */
	const char *unsubscribe_url; /* List-Unsubscribe (NULL: none) */
	const char *message_id;      /* "<id@host>" (NULL: libcurl's mailer adds none; the server may) */
};

/* Is `addr` a plain mailbox address (local@domain, no spaces, quotes, angle brackets or
 * control bytes; at most 254 bytes)? 0 or KN_EINVAL. */
int mail_address_check(const char *addr);

/* Send `m` through `srv`. 0, or KN_EINVAL (a bad address or header value), or KN_EIO with
 * `error` (256 bytes) saying why; `*retry` says whether a later try may succeed. */
int mail_send(const struct mail_server *srv, const struct mail *m, char *error, int *retry);
/* Closes the calling thread's mail connection (mail_send keeps one open per thread). */
void mail_thread_end(void);

#endif
