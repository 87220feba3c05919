/* test_conns.c: connection limits per address and in all, deadlines, and the log that does not flood. */
#include "tap.h"

#include "conns.h"
#include "kennis.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &in6->sin6_addr);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		inet_pton(AF_INET, text, &in->sin_addr);
	}
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static int
admits(struct conns *cs, const char *text)
{
	struct sockaddr_storage ss = addr(text);
	return conns_admit(cs, SA(ss)) == 0;
}

static struct conns_entry *
open_from(struct conns *cs, int fd, const char *text)
{
	struct sockaddr_storage ss = addr(text);
	return conns_open(cs, fd, SA(ss));
}

/* Has the server side of a socket pair been shut down (the peer reads end of stream)? */
static int
was_cut(int peer)
{
	char ch;
	fcntl(peer, F_SETFL, O_NONBLOCK);
	return read(peer, &ch, 1) == 0;
}

static void
test_limits(void)
{
	struct conns_limits lim = { .max_total = 3, .per_addr = 2, .header_ms = 1000 };
	struct conns *cs = conns_new(&lim);
	ok(admits(cs, "10.0.0.1"), "a first connection is admitted");
	struct conns_entry *a = open_from(cs, -1, "10.0.0.1"), *b = open_from(cs, -1, "10.0.0.1");
	ok(!admits(cs, "10.0.0.1"), "a third from one address is refused (2 per address)");
	ok(admits(cs, "10.0.0.2"), "another address is admitted");
	struct conns_entry *c = open_from(cs, -1, "10.0.0.2");
	ok(!admits(cs, "10.0.0.3"), "a fourth in all is refused (3 in all)");
	conns_close(cs, a);
	ok(admits(cs, "10.0.0.1"), "after one closes its address is admitted again");
	conns_close(cs, b);
	conns_close(cs, c);
	conns_close(cs, NULL);
	conns_free(cs);

	struct conns_limits lim6 = { .max_total = 100, .per_addr = 1, .header_ms = 1000 };
	cs = conns_new(&lim6);
	a = open_from(cs, -1, "2001:db8:1:2::1");
	ok(!admits(cs, "2001:db8:1:2:ffff::9"), "IPv6: the same /64 counts as one address");
	ok(admits(cs, "2001:db8:1:3::1"), "IPv6: another /64 is another address");
	ok(admits(cs, "10.0.0.1"), "IPv4 next to IPv6");
	conns_free(cs); /* frees the entry still open */
}

static void
test_deadlines(void)
{
	struct conns_limits lim = { .max_total = 10, .per_addr = 10, .header_ms = 1000, .min_rate = 100 };
	struct conns *cs = conns_new(&lim);
	int head[2], body[2], reply[2], idle[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, head);
	socketpair(AF_UNIX, SOCK_STREAM, 0, body);
	socketpair(AF_UNIX, SOCK_STREAM, 0, reply);
	socketpair(AF_UNIX, SOCK_STREAM, 0, idle);
	int64_t t0 = conns_now_ms();
	struct conns_entry *h = open_from(cs, head[0], "10.0.0.1");
	struct conns_entry *b = open_from(cs, body[0], "10.0.0.1");
	struct conns_entry *r = open_from(cs, reply[0], "10.0.0.1");
	struct conns_entry *i = open_from(cs, idle[0], "10.0.0.1");
	conns_headers_done(cs, b);
	conns_body(cs, b, 500); /* five more seconds at 100 bytes/s */
	conns_headers_done(cs, r);
	conns_replying(cs, r);
	conns_headers_done(cs, i);
	conns_replying(cs, i);

	conns_idle(cs, i); /* answered: a header deadline again, from now */
	ok(conns_sweep(cs, t0 + 500) == 0, "nothing is cut before a deadline");
	ok(!was_cut(head[1]) && !was_cut(idle[1]), "not at 500 ms");
	ok(conns_sweep(cs, t0 + 1100) == 2, "two cut at 1.1 s");
	ok(was_cut(head[1]), "no complete header block in 1 s: cut");
	ok(was_cut(idle[1]), "kept alive with no new request for 1 s after its response: cut");
	ok(!was_cut(body[1]), "a body at the minimum rate is not cut");
	ok(conns_sweep(cs, t0 + 1100) == 0, "a cut connection is not cut twice");
	ok(conns_sweep(cs, t0 + 5500) == 0 && !was_cut(body[1]), "the body is within 1 s + 500 bytes at 100 bytes/s");
	ok(conns_sweep(cs, t0 + 6200) == 1 && was_cut(body[1]), "the slow body is cut after 6 s");
	ok(conns_sweep(cs, t0 + 1000000000) == 0 && !was_cut(reply[1]), "a request being answered is never cut");
	conns_close(cs, h);
	conns_close(cs, b);
	conns_close(cs, r);
	conns_close(cs, i);
	conns_free(cs);
	for (int k = 0; k < 2; k++) {
		close(head[k]);
		close(body[k]);
		close(reply[k]);
		close(idle[k]);
	}

	struct conns_limits norate = { .max_total = 10, .per_addr = 10, .header_ms = 1000 };
	cs = conns_new(&norate);
	socketpair(AF_UNIX, SOCK_STREAM, 0, body);
	b = open_from(cs, body[0], "10.0.0.1");
	conns_headers_done(cs, b);
	ok(conns_sweep(cs, conns_now_ms() + 1000000) == 0, "with no minimum rate a body has no deadline");
	conns_free(cs);
	close(body[0]);
	close(body[1]);
}

static void
test_log(void)
{
	int p[2];
	char out[65536];
	struct conns_limits lim = { .max_total = 1, .per_addr = 1, .header_ms = 1000 };
	struct conns *cs = conns_new(&lim);
	pipe(p);
	log_set_fd(p[1]);
	struct conns_entry *e = open_from(cs, -1, "10.0.0.1");
	for (int k = 0; k < 100; k++)
		admits(cs, k % 2 ? "10.0.0.1" : "10.0.0.2");
	conns_sweep(cs, conns_now_ms() + 10001); /* (fd -1: the cut is only a log line) */
	log_set_fd(2);
	close(p[1]);
	ssize_t n = read(p[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	int lines = 0;
	for (char *s = out; *s; s++)
		lines += *s == '\n';
	ok(lines == 7, "100 refusals and a cut make 5 + 1 lines and a summary (%d lines)", lines);
	ok(strstr(out, "connection from 10.0.0.2 refused: the server has 1 open, its limit") != NULL, "a refusal names the address");
	ok(strstr(out, "connection from 10.0.0.1 cut: no complete header block in 1000 ms") != NULL,
	   "another kind of line has a budget of its own");
	ok(strstr(out, "95 more such warnings") && strstr(out, "10.0.0.2 x47") && strstr(out, "10.0.0.1 x48"),
	   "the summary counts per address");
	if (lines != 7 || !strstr(out, "95 more"))
		printf("# %s", out);
	conns_close(cs, e);
	conns_free(cs);
	close(p[0]);
}

static void
test_budget(void)
{
	unsigned n = conns_fd_budget(4);
	ok(n >= 16 && n <= 65536, "a connection budget from the file limit (%u)", n);
}

int
main(void)
{
	test_limits();
	test_deadlines();
	test_log();
	test_budget();
	return tap_done();
}
