/* webhook.c: one Standard Webhooks delivery with libcurl, pinned to a checked address. */
#include "webhook.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define SECRET_BYTES 24
#define SECRET_MAX_BYTES 64
#define ANSWER_MAX (64 * 1024)

void
webhook_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
webhook_global_release(void)
{
	curl_global_cleanup();
}

void
webhook_secret_new(char *out)
{
	unsigned char raw[SECRET_BYTES];
	randombytes_buf(raw, sizeof(raw));
	memcpy(out, "whsec_", 6);
	sodium_bin2base64(out + 6, WEBHOOK_SECRET_MAX + 1 - 6, raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
}

/* The key a whsec_ secret encodes; its length, or -1. */
static int
secret_key(unsigned char *key, const char *s)
{
	size_t n = 0;
	if (!s || strncmp(s, "whsec_", 6) != 0 || strlen(s) > WEBHOOK_SECRET_MAX)
		return -1;
	if (sodium_base642bin(key, SECRET_MAX_BYTES, s + 6, strlen(s + 6), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n < SECRET_BYTES)
		return -1;
	return (int)n;
}

int
webhook_secret_check(const char *s)
{
	unsigned char key[SECRET_MAX_BYTES];
	return secret_key(key, s) < 0 ? KN_EINVAL : 0;
}

int
webhook_sign(struct buf *out, const char *secret, const char *id, int64_t timestamp, const char *body, size_t len)
{
	unsigned char key[SECRET_MAX_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	char ts[32], b64[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	crypto_auth_hmacsha256_state st;
	int n = secret_key(key, secret);
	if (n < 0)
		return KN_EINVAL;
	snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
	crypto_auth_hmacsha256_init(&st, key, (size_t)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, strlen(id));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
	buf_puts(out, "v1,");
	buf_puts(out, b64);
	sodium_memzero(key, sizeof(key));
	return 0;
}

/* ---- targets ------------------------------------------------------------------------------ */

struct target {
	char scheme[8];
	char host[256];
	long port;
};

static int
parse_url(struct target *t, const char *url, struct buf *why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *port = NULL;
	int rc = KN_EINVAL;
	if (!url || strlen(url) > WEBHOOK_URL_MAX) {
		if (why)
			buf_printf(why, "a webhook URL is at most %d bytes", WEBHOOK_URL_MAX);
		goto done;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			if (why)
				buf_puts(why, "the URL holds a space or a control character");
			goto done;
		}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		if (why)
			buf_puts(why, "not a URL (want http://HOST[:PORT]/PATH or https://...)");
		goto done;
	}
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		if (why)
			buf_printf(why, "only http and https are delivered to, not %.20s", scheme);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		if (why)
			buf_puts(why, "no user name or password in the URL: the signature authenticates kennis");
		goto done;
	}
	if (strlen(host) >= sizeof(t->host)) {
		if (why)
			buf_puts(why, "the host name is too long");
		goto done;
	}
	snprintf(t->scheme, sizeof(t->scheme), "%s", strcasecmp(scheme, "https") == 0 ? "https" : "http");
	/* [v6] literals come back with their brackets; getaddrinfo wants them bare */
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']')
		snprintf(t->host, sizeof(t->host), "%.*s", (int)(hl - 2), host + 1);
	else
		snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = strcmp(t->scheme, "https") == 0 ? 443 : 80;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		t->port = strtol(port, NULL, 10);
	rc = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int
webhook_url_check(const char *url, struct buf *why)
{
	struct target t;
	return parse_url(&t, url, why);
}

static int
v4_private(uint32_t a)
{
	static const struct { uint32_t net, mask; } nets[] = {
		{ 0x00000000, 0xff000000 }, /* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 }, /* 10/8 */
		{ 0x64400000, 0xffc00000 }, /* 100.64/10 shared (CGNAT) */
		{ 0x7f000000, 0xff000000 }, /* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 }, /* 169.254/16 link-local (cloud metadata) */
		{ 0xac100000, 0xfff00000 }, /* 172.16/12 */
		{ 0xc0000000, 0xffffff00 }, /* 192.0.0/24 protocol assignments */
		{ 0xc0000200, 0xffffff00 }, /* 192.0.2/24 documentation */
		{ 0xc0a80000, 0xffff0000 }, /* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 }, /* 198.18/15 benchmarking */
		{ 0xc6336400, 0xffffff00 }, /* 198.51.100/24 documentation */
		{ 0xcb007100, 0xffffff00 }, /* 203.0.113/24 documentation */
		{ 0xe0000000, 0xf0000000 }, /* 224/4 multicast */
		{ 0xf0000000, 0xf0000000 }, /* 240/4 reserved, broadcast */
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if ((a & nets[i].mask) == nets[i].net)
			return 1;
	return 0;
}

int
webhook_addr_private(const void *sockaddr)
{
	const struct sockaddr *sa = sockaddr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = sockaddr;
		return v4_private(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6)
		return 1;
	const unsigned char *b = ((const struct sockaddr_in6 *)sockaddr)->sin6_addr.s6_addr;
	static const unsigned char zero[16];
	uint32_t embedded = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
	if (memcmp(b, zero, 15) == 0)
		return 1; /* :: and ::1 */
	if (memcmp(b, zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff)
		return v4_private(embedded); /* ::ffff:a.b.c.d */
	if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && memcmp(b + 4, zero, 8) == 0)
		return v4_private(embedded); /* 64:ff9b::/96 NAT64 */
	if ((b[0] & 0xfe) == 0xfc)
		return 1; /* fc00::/7 unique local */
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return 1; /* fe80::/10 link-local */
	if (b[0] == 0xff)
		return 1; /* multicast */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return 1; /* 2001:db8::/32 documentation */
	if (b[0] == 0x01 && memcmp(b + 1, zero, 7) == 0)
		return 1; /* 100::/64 discard */
	return 0;
}

/* Resolve the target and pick the address to connect to: "1.2.3.4" or "::1" in `ip`. */
static int
resolve(const struct target *t, char *ip, size_t n, int allow_private, struct webhook_result *res)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[16];
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%ld", t->port);
	int e = getaddrinfo(t->host, port, &hints, &ai);
	if (e != 0) {
		snprintf(res->error, sizeof(res->error), "cannot resolve %.200s: %s", t->host, gai_strerror(e));
		res->retry = e == EAI_AGAIN || e == EAI_FAIL || e == EAI_SYSTEM;
		return KN_EIO;
	}
	int rc = KN_EIO;
	/* Every address the name has must be public: curl is pinned to the first, but a
	 * mixed answer is a sign of a name pointed inward on purpose. */
	for (struct addrinfo *p = ai; p; p = p->ai_next)
		if (!allow_private && webhook_addr_private(p->ai_addr)) {
			snprintf(res->error, sizeof(res->error),
				 "%.120s resolves to a private, loopback or link-local address: refused "
				 "(serve --webhook-allow-private allows it)", t->host);
			goto done;
		}
	const void *addr = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
						    : (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
	if (!inet_ntop(ai->ai_family, addr, ip, (socklen_t)n)) {
		snprintf(res->error, sizeof(res->error), "cannot format the address of %.200s", t->host);
		goto done;
	}
	rc = 0;
done:
	freeaddrinfo(ai);
	return rc;
}

static size_t
drop_answer(char *p, size_t size, size_t n, void *counter)
{
	size_t *got = counter;
	*got += size * n;
	return *got > ANSWER_MAX ? 0 : size * n; /* a receiver that talks on is cut off */
}

int
webhook_post(struct webhook_result *res, const char *url, const char *secret, const char *id, int64_t timestamp,
	     const char *body, size_t len, int allow_private)
{
	struct target t;
	struct buf why = BUF_INIT, hdr = BUF_INIT, pin = BUF_INIT;
	struct curl_slist *headers = NULL, *resolve_list = NULL;
	char ip[INET6_ADDRSTRLEN];
	size_t got = 0;
	int rc = KN_EIO;
	CURL *c = NULL;

	memset(res, 0, sizeof(*res));
	if (parse_url(&t, url, &why) < 0) {
		snprintf(res->error, sizeof(res->error), "%s", buf_cstr(&why));
		goto done;
	}
	if (resolve(&t, ip, sizeof(ip), allow_private, res) < 0)
		goto done;
	buf_printf(&pin, "%s:%ld:%s%s%s", t.host, t.port, strchr(ip, ':') ? "[" : "", ip, strchr(ip, ':') ? "]" : "");
	resolve_list = curl_slist_append(NULL, pin.ptr);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	buf_printf(&hdr, "webhook-id: %s", id);
	headers = curl_slist_append(headers, hdr.ptr);
	buf_reset(&hdr);
	buf_printf(&hdr, "webhook-timestamp: %lld", (long long)timestamp);
	headers = curl_slist_append(headers, hdr.ptr);
	if (secret) {
		buf_reset(&hdr);
		buf_puts(&hdr, "webhook-signature: ");
		if (webhook_sign(&hdr, secret, id, timestamp, body, len) < 0) {
			snprintf(res->error, sizeof(res->error), "the endpoint's secret is not a whsec_ secret");
			goto done;
		}
		headers = curl_slist_append(headers, hdr.ptr);
	}
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	c = curl_easy_init();
	if (!c) {
		snprintf(res->error, sizeof(res->error), "libcurl failed to start");
		res->retry = 1;
		goto done;
	}
	char err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve_list);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* a proxy would undo the address check */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kennis-webhooks/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->status >= 200 && res->status < 300) {
		rc = 0; /* what it said after 64 KiB does not matter */
	} else if (cc != CURLE_OK && res->status == 0) {
		snprintf(res->error, sizeof(res->error), "%s", err[0] ? err : curl_easy_strerror(cc));
		res->retry = 1;
	} else {
		snprintf(res->error, sizeof(res->error), "the receiver answered HTTP %ld", res->status);
		/* 4xx other than these means the receiver will never take it */
		res->retry = res->status >= 500 || res->status == 429 || res->status == 408 || res->status < 200;
	}
done:
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve_list);
	buf_free(&why);
	buf_free(&hdr);
	buf_free(&pin);
	return rc;
}
