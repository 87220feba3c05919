/* slowpool.c: a few threads for the views that can take long, so that they never hold up a libmicrohttpd worker. */
#include "slowpool.h"

#include <pthread.h>
#include <stdlib.h>

/* libmicrohttpd gives each of its worker threads a fixed set of connections: a view that
 * takes a second on a worker holds up every other connection of that worker for that
 * second, and 32 of them at once left a server of two workers answering nothing, not even
 * /healthz (docs/scale.md). server.c suspends such a request's connection and hands it to
 * these threads; a request that finds the queue full is answered 503 at once. */

struct job {
	void (*run)(void *arg, int cancelled);
	void *arg;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t more;
	pthread_t *th;
	unsigned nth;
	struct job *q;
	size_t cap, head, n;
	int stop;
} sp = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void *
slow_main(void *arg)
{
	pthread_mutex_lock(&sp.mu);
	for (;;) {
		while (!sp.n && !sp.stop)
			pthread_cond_wait(&sp.more, &sp.mu);
		if (!sp.n)
			break; /* stopping, and the queue is empty */
		struct job j = sp.q[sp.head];
		int cancelled = sp.stop;
		sp.head = (sp.head + 1) % sp.cap;
		sp.n--;
		pthread_mutex_unlock(&sp.mu);
		j.run(j.arg, cancelled);
		pthread_mutex_lock(&sp.mu);
	}
	pthread_mutex_unlock(&sp.mu);
	return NULL;
}

int
slowpool_start(unsigned threads, size_t queue)
{
	sp.cap = queue ? queue : 1;
	sp.q = xcalloc(sp.cap, sizeof(*sp.q));
	sp.th = xcalloc(threads ? threads : 1, sizeof(*sp.th));
	sp.stop = 0;
	for (sp.nth = 0; sp.nth < (threads ? threads : 1); sp.nth++)
		if (pthread_create(&sp.th[sp.nth], NULL, slow_main, NULL) != 0)
			break;
	if (sp.nth == 0) {
		log_error("slow views: cannot start a thread");
		return KN_EIO;
	}
	return 0;
}

int
slowpool_submit(void (*run)(void *arg, int cancelled), void *arg)
{
	int rc = KN_EBUSY;
	pthread_mutex_lock(&sp.mu);
	if (sp.nth && !sp.stop && sp.n < sp.cap) {
		sp.q[(sp.head + sp.n) % sp.cap] = (struct job){ run, arg };
		sp.n++;
		pthread_cond_signal(&sp.more);
		rc = 0;
	}
	pthread_mutex_unlock(&sp.mu);
	return rc;
}

void
slowpool_stop(void)
{
	pthread_mutex_lock(&sp.mu);
	sp.stop = 1;
	pthread_cond_broadcast(&sp.more);
	pthread_mutex_unlock(&sp.mu);
	for (unsigned i = 0; i < sp.nth; i++)
		pthread_join(sp.th[i], NULL);
	free(sp.th);
	free(sp.q);
	sp.th = NULL;
	sp.q = NULL;
	sp.nth = 0;
	sp.n = sp.head = 0;
}
