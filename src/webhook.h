/* webhook.h: sending one signed webhook (Standard Webhooks: webhook-id, webhook-timestamp,
 * webhook-signature v1 = base64 HMAC-SHA256), secrets in the whsec_ form, and the check
 * that keeps deliveries away from private addresses. */
#ifndef KENNIS_WEBHOOK_H
#define KENNIS_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "kennis.h"

#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_SECRET_MAX 128  /* characters of a whsec_ secret */
#define WEBHOOK_TIMEOUT_MS 10000

/* A new secret: "whsec_" + base64 of 24 random bytes. `out` holds WEBHOOK_SECRET_MAX + 1. */
void webhook_secret_new(char *out);
/* Is `s` a secret of the spec's form (whsec_ + base64 of 24..64 bytes)? 0 or KN_EINVAL. */
int webhook_secret_check(const char *s);

/* The webhook-signature header value for message `id`, `timestamp` (seconds) and `body`:
 * "v1," + base64(HMAC-SHA256(key, id "." timestamp "." body)), key = the bytes the whsec_
 * secret encodes. Appends to `out`. 0 or KN_EINVAL (a bad secret). */
int webhook_sign(struct buf *out, const char *secret, const char *id, int64_t timestamp, const char *body, size_t len);

/* Check a target URL as given by an admin: http or https, a host, no user name or
 * password, at most WEBHOOK_URL_MAX bytes. 0 or KN_EINVAL (`why` says why). */
int webhook_url_check(const char *url, struct buf *why);

/* Is the address (struct sockaddr_in / sockaddr_in6) loopback, private, link-local,
 * shared (CGNAT), multicast, unspecified or reserved: anything but the public Internet? */
int webhook_addr_private(const void *sockaddr);

/* The outcome of one delivery attempt. */
struct webhook_result {
	long status;        /* HTTP status, 0 when there was none */
	int retry;          /* worth trying again later (network error, 5xx, 429, 408) */
	char error[256];    /* why it failed, for the delivery log ("" when delivered) */
};

/* POST `body` (JSON) to `url`, signed with `secret` (NULL: unsigned), as message `id` at
 * `timestamp`. The host is resolved once and the connection pinned to that address, which
 * must not be private unless `allow_private` (so a name that resolves elsewhere on the next
 * look-up cannot turn the request inward). No redirects are followed; the answer is read
 * up to 64 KiB and dropped. Returns 0 when the receiver answered 2xx, else KN_EIO with
 * `res` saying why. */
int webhook_post(struct webhook_result *res, const char *url, const char *secret, const char *id, int64_t timestamp,
		 const char *body, size_t len, int allow_private);

/* Call once at start (libcurl's global init) and at exit. */
void webhook_global_init(void);
void webhook_global_release(void);

#endif
