/* ceiling.c: the raw libmicrohttpd ceiling for kennis's page views: a server with the flags
 * and options kennis uses (internal thread pool, epoll, suspend/resume, the same limits and
 * timeouts), answering every GET with the same bytes, a page as kennis renders it, with the
 * headers kennis sends. It parses, routes and renders nothing: what is left is
 * libmicrohttpd and the kernel, the most a page view could ever reach on this machine.
 *
 *   cc -O2 -o bench/out/ceiling bench/ceiling.c $(pkg-config --cflags --libs libmicrohttpd)
 *   bench/out/ceiling PORT THREADS BODYFILE     (bench/scale.sh builds and runs it)
 *
 * Like kennis it answers on the second call of the access handler (answering on the first
 * turns keep-alive off in 0.9.75). The response is made once and queued for every request
 * (libmicrohttpd counts its references), so no allocation or copy of the body happens per
 * request. It runs until SIGTERM or SIGINT. Not built by make: a benchmark tool only. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct MHD_Response *page;
static int marker; /* con_cls of a request seen once */

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method, const char *version,
	   const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	if (!*con_cls) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(mc, MHD_HTTP_OK, page);
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	*con_cls = NULL;
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ceiling PORT THREADS BODYFILE\n");
		return 2;
	}
	FILE *f = fopen(argv[3], "rb");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	static char body[4 << 20];
	size_t n = fread(body, 1, sizeof(body), f);
	fclose(f);
	page = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_PERSISTENT);
	/* the headers kennis sends with a page view */
	MHD_add_response_header(page, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; "
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(page, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(page, "Referrer-Policy", "same-origin");
	MHD_add_response_header(page, "X-Frame-Options", "DENY");
	MHD_add_response_header(page, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(page, "Cache-Control", "no-cache");
	MHD_add_response_header(page, "ETag", "\"0123456789abcdef0123456789abcdef01234567-6543210f-m-89abcdef\"");

	sigset_t sigs;
	int sig;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)atoi(argv[1]), NULL, NULL, on_request, NULL,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
						MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]),
						MHD_OPTION_CONNECTION_TIMEOUT, 30u,
						MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
						MHD_OPTION_CONNECTION_LIMIT, 4096u,
						MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ceiling: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	printf("ceiling: serving %zu bytes on port %s\n", n, argv[1]);
	fflush(stdout);
	sigwait(&sigs, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(page);
	return 0;
}
