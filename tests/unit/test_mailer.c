/* test_mailer.c: mails through libcurl's SMTP to a small SMTP sink on 127.0.0.1: headers,
 * the two alternatives, UTF-8 subjects, and refusals of hostile header values. */
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailer.h"

struct sink {
	int fd;
	char data[16384]; /* what came after DATA */
	char rcpt[256];
	int code_rcpt;    /* answer to RCPT */
};

static int
line_in(int c, char *out, size_t n)
{
	size_t i = 0;
	while (i + 1 < n && read(c, out + i, 1) == 1)
		if (out[i++] == '\n')
			break;
	out[i] = '\0';
	return (int)i;
}

static void
say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		return;
}

static void *
serve(void *arg)
{
	struct sink *sk = arg;
	char line[1024];
	int c = accept(sk->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	say(c, "220 sink ESMTP\r\n");
	while (line_in(c, line, sizeof(line)) > 0) {
		if (strncasecmp(line, "EHLO", 4) == 0)
			say(c, "250-sink\r\n250 8BITMIME\r\n");
		else if (strncasecmp(line, "MAIL FROM", 9) == 0)
			say(c, "250 ok\r\n");
		else if (strncasecmp(line, "RCPT TO", 7) == 0) {
			snprintf(sk->rcpt, sizeof(sk->rcpt), "%s", line);
			say(c, sk->code_rcpt == 550 ? "550 no such user\r\n" : "250 ok\r\n");
		} else if (strncasecmp(line, "DATA", 4) == 0) {
			say(c, "354 go\r\n");
			size_t got = 0;
			while (line_in(c, line, sizeof(line)) > 0 && strcmp(line, ".\r\n") != 0) {
				size_t n = strlen(line);
				if (got + n < sizeof(sk->data)) {
					memcpy(sk->data + got, line, n);
					got += n;
				}
			}
			sk->data[got] = '\0';
			say(c, "250 queued\r\n");
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			say(c, "221 bye\r\n");
			break;
		} else
			say(c, "250 ok\r\n");
	}
	close(c);
	return NULL;
}

static int
start_sink(struct sink *sk, char *url, size_t n)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	memset(sk->data, 0, sizeof(sk->data));
	sk->fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(sk->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(sk->fd, 2) < 0 ||
	    getsockname(sk->fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	snprintf(url, n, "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
	return 0;
}

int
main(void)
{
	struct sink sk = { 0 };
	char url[64], err[256];
	int retry = 0;
	pthread_t th;

	ok(mail_address_check("ada@example.com") == 0 && mail_address_check("a.b+c@x.co") == 0, "plain addresses");
	ok(mail_address_check("ada") < 0 && mail_address_check("@x.com") < 0 && mail_address_check("a@b") < 0 &&
	   mail_address_check("a b@x.com") < 0 && mail_address_check("<a@x.com>") < 0 &&
	   mail_address_check("a@x.com\r\nBcc: v@x.com") < 0 && mail_address_check("") < 0, "odd addresses refused");

	if (start_sink(&sk, url, sizeof(url)) < 0) {
		ok(0, "sink");
		return tap_done();
	}
	pthread_create(&th, NULL, serve, &sk);
	struct mail_server srv = { url, NULL, NULL, "Kennis Wiki <wiki@example.com>" };
	struct mail m = { "ada@example.com", "Globex: 2 pages changed — Zoë's notes", "Plain text body\nline two\n",
			  "<p>HTML <b>body</b></p>", "http://wiki.example.com/watching?unsubscribe=x", "<e1@kennis>" };
	int rc = mail_send(&srv, &m, err, &retry);
	mail_thread_end(); /* mail_send keeps the connection for the next mail: QUIT, or the sink waits */
	pthread_join(th, NULL);
	close(sk.fd);
	ok(rc == 0, "sent (%s)", err);
	ok(strstr(sk.rcpt, "<ada@example.com>") != NULL, "recipient");
	ok(strstr(sk.data, "From: Kennis Wiki <wiki@example.com>\r\n") && strstr(sk.data, "To: ada@example.com\r\n"),
	   "From and To headers");
	ok(strstr(sk.data, "Subject: =?UTF-8?B?") != NULL, "a UTF-8 subject is an encoded word");
	ok(strstr(sk.data, "List-Unsubscribe: <http://wiki.example.com/watching?unsubscribe=x>\r\n") != NULL,
	   "List-Unsubscribe");
	ok(strstr(sk.data, "Message-ID: <e1@kennis>") && strstr(sk.data, "Auto-Submitted: auto-generated"),
	   "Message-ID, Auto-Submitted");
	ok(strstr(sk.data, "multipart/alternative") && strstr(sk.data, "text/plain; charset=utf-8") &&
	   strstr(sk.data, "text/html; charset=utf-8") && strstr(sk.data, "Plain text body"),
	   "text and HTML alternatives");

	struct mail evil = m;
	evil.subject = "hi\r\nBcc: victim@example.com";
	ok(mail_send(&srv, &evil, err, &retry) == KN_EINVAL, "a subject with a line break is refused");
	evil = m;
	evil.to = "ada@example.com\r\nBcc: v@example.com";
	ok(mail_send(&srv, &evil, err, &retry) == KN_EINVAL, "a recipient with a line break is refused");
	struct mail_server bad = { "http://x", NULL, NULL, "wiki@example.com" };
	ok(mail_send(&bad, &m, err, &retry) == KN_EINVAL, "a non-SMTP URL is refused");

	/* a recipient the server refuses is final; nobody listening is worth a retry */
	sk.code_rcpt = 550;
	start_sink(&sk, url, sizeof(url));
	srv.url = url;
	pthread_create(&th, NULL, serve, &sk);
	rc = mail_send(&srv, &m, err, &retry);
	mail_thread_end();
	pthread_join(th, NULL);
	close(sk.fd);
	ok(rc == KN_EIO && !retry, "550 is final (%s)", err);
	rc = mail_send(&srv, &m, err, &retry);
	ok(rc == KN_EIO && retry, "no server: retry later (%s)", err);
	mail_thread_end();
	return tap_done();
}
