/* test_webhook.c: Standard Webhooks signatures (the spec's own vector), secrets, target
 * URL checks, the private-address rule, and deliveries to a receiver on 127.0.0.1. */
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webhook.h"

static int
is_private(const char *ip)
{
	struct sockaddr_in in = { 0 };
	struct sockaddr_in6 in6 = { 0 };
	if (inet_pton(AF_INET, ip, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		return webhook_addr_private(&in);
	}
	if (inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		return webhook_addr_private(&in6);
	}
	return -1;
}

/* A receiver that answers each connection with the next status of `statuses` and keeps
 * what it was sent. */
struct receiver {
	int fd, port;
	const int *statuses;
	int n;
	char last[8192];
};

static void *
receive(void *arg)
{
	struct receiver *rv = arg;
	for (int i = 0; i < rv->n; i++) {
		int c = accept(rv->fd, NULL, NULL);
		if (c < 0)
			break;
		size_t got = 0;
		ssize_t r;
		memset(rv->last, 0, sizeof(rv->last));
		/* headers, then the body (small: one read after the blank line is enough here) */
		while (got < sizeof(rv->last) - 1 && (r = read(c, rv->last + got, sizeof(rv->last) - 1 - got)) > 0) {
			got += (size_t)r;
			char *end = strstr(rv->last, "\r\n\r\n");
			char *cl = strcasestr(rv->last, "content-length:");
			if (end && cl && got >= (size_t)(end + 4 - rv->last) + (size_t)atoi(cl + 15))
				break;
		}
		char answer[128];
		int len = snprintf(answer, sizeof(answer), "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
				   rv->statuses[i]);
		if (write(c, answer, (size_t)len) < 0)
			break;
		close(c);
	}
	return NULL;
}

static void
deliveries(void)
{
	static const int statuses[] = { 200, 500, 410 };
	struct receiver rv = { 0 };
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	struct webhook_result res;
	char url[64], secret[WEBHOOK_SECRET_MAX + 1];
	const char *body = "{\"pages\":[]}";

	rv.fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(rv.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(rv.fd, 4) < 0 ||
	    getsockname(rv.fd, (struct sockaddr *)&sa, &sl) < 0) {
		ok(0, "receiver socket");
		return;
	}
	rv.port = ntohs(sa.sin_port);
	rv.statuses = statuses;
	rv.n = 3;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rv.port);
	webhook_secret_new(secret);

	ok(webhook_post(&res, url, secret, "msg_1", 1700000000, body, strlen(body), 0) == KN_EIO && !res.retry &&
	   strstr(res.error, "private"), "loopback target refused without allow_private: %s", res.error);
	pthread_create(&th, NULL, receive, &rv);
	int rc = webhook_post(&res, url, secret, "msg_1", 1700000000, body, strlen(body), 1);
	ok(rc == 0 && res.status == 200, "delivered (%ld %s)", res.status, res.error);
	struct buf sig = BUF_INIT;
	webhook_sign(&sig, secret, "msg_1", 1700000000, body, strlen(body));
	ok(strcasestr(rv.last, "webhook-id: msg_1\r\n") && strcasestr(rv.last, "webhook-timestamp: 1700000000\r\n") &&
	   strstr(rv.last, sig.ptr) && strstr(rv.last, body) && strcasestr(rv.last, "content-type: application/json"),
	   "the receiver got id, timestamp, signature, JSON body");
	buf_free(&sig);
	rc = webhook_post(&res, url, secret, "msg_2", 1700000001, body, strlen(body), 1);
	ok(rc == KN_EIO && res.status == 500 && res.retry, "500 is retried (%ld)", res.status);
	rc = webhook_post(&res, url, secret, "msg_3", 1700000002, body, strlen(body), 1);
	ok(rc == KN_EIO && res.status == 410 && !res.retry, "410 is given up (%ld)", res.status);
	pthread_join(th, NULL);
	close(rv.fd);
	ok(webhook_post(&res, url, secret, "msg_4", 1700000003, body, strlen(body), 1) == KN_EIO && res.retry && res.status == 0,
	   "nobody listening: retried later (%s)", res.error);
	ok(webhook_post(&res, "http://no-such-host.invalid/x", secret, "m", 1, body, strlen(body), 1) == KN_EIO,
	   "an unknown host fails (%s)", res.error);
	ok(webhook_post(&res, "ftp://example.com/x", secret, "m", 1, body, strlen(body), 1) == KN_EIO && !res.retry,
	   "ftp is refused (%s)", res.error);
}

int
main(void)
{
	struct buf b = BUF_INIT;
	char secret[WEBHOOK_SECRET_MAX + 1];
	webhook_global_init();

	/* The vector of the spec's reference libraries. */
	const char *payload = "{\"test\": 2432232314}";
	ok(webhook_sign(&b, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload,
			strlen(payload)) == 0, "sign");
	is_str(buf_cstr(&b), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "signature equals the spec's vector");
	buf_reset(&b);
	ok(webhook_sign(&b, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "x", 1) == KN_EINVAL &&
	   webhook_sign(&b, "whsec_!!!", "m", 1, "x", 1) == KN_EINVAL && webhook_sign(&b, "whsec_YWJj", "m", 1, "x", 1) == KN_EINVAL,
	   "secrets without whsec_, not base64, or too short are refused");
	webhook_secret_new(secret);
	ok(strncmp(secret, "whsec_", 6) == 0 && webhook_secret_check(secret) == 0, "a new secret is valid: %s", secret);
	char other[WEBHOOK_SECRET_MAX + 1];
	webhook_secret_new(other);
	ok(strcmp(secret, other) != 0, "two new secrets differ");

	ok(webhook_url_check("https://crm.example.com/hooks/kennis?x=1", NULL) == 0, "https URL");
	ok(webhook_url_check("http://[2001:db8::1]:8080/x", NULL) == 0, "IPv6 literal URL");
	const char *bad[] = { "ftp://x/", "javascript:alert(1)", "http://user:pw@x/", "http://", "x", "http://a b/",
			      "http://x/\r\nHost: y", "file:///etc/passwd", "" };
	int refused = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += webhook_url_check(bad[i], &b) == KN_EINVAL;
	ok(refused == (int)(sizeof(bad) / sizeof(bad[0])), "bad URLs refused (%d): %s", refused, buf_cstr(&b));

	const char *priv[] = { "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
			       "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1",
			       "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "ff02::1", "2001:db8::1" };
	const char *pub[] = { "93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8" };
	int p = 0, q = 0;
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (is_private(priv[i]) == 1)
			p++;
		else
			printf("# not private: %s\n", priv[i]);
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
		if (is_private(pub[i]) == 0)
			q++;
		else
			printf("# private: %s\n", pub[i]);
	ok(p == (int)(sizeof(priv) / sizeof(priv[0])), "private, loopback, link-local, mapped addresses are private (%d)", p);
	ok(q == (int)(sizeof(pub) / sizeof(pub[0])), "public addresses are public (%d)", q);
	deliveries();
	buf_free(&b);
	webhook_global_release();
	return tap_done();
}
