/* repos.c: a small per-thread cache of open repositories, keyed by their directory. */
#include "repos.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct open_repo {
	struct store *st;
	unsigned long used; /* the request (this thread's count) that used it last */
};

struct thread_repos {
	struct open_repo v[REPOS_MAX];
	size_t n;
	unsigned long request;
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
close_all(void *p)
{
	struct thread_repos *tr = p;
	if (!tr)
		return;
	for (size_t i = 0; i < tr->n; i++)
		store_close(tr->v[i].st);
	free(tr);
}

static void
make_key(void)
{
	pthread_key_create(&key, close_all);
}

static struct thread_repos *
mine(void)
{
	pthread_once(&once, make_key);
	struct thread_repos *tr = pthread_getspecific(key);
	if (!tr) {
		tr = xcalloc(1, sizeof(*tr));
		tr->request = 1;
		pthread_setspecific(key, tr);
	}
	return tr;
}

void
repos_request_begin(void)
{
	mine()->request++;
}

struct store *
repos_get(const char *gitdir)
{
	struct thread_repos *tr = mine();
	for (size_t i = 0; i < tr->n; i++)
		if (strcmp(tr->v[i].st->gitdir, gitdir) == 0) {
			tr->v[i].used = tr->request;
			return tr->v[i].st;
		}
	/* Room: beyond REPOS_KEEP, close the least recently used that this request has not
	 * touched (a store a request holds is never closed under it). */
	size_t at = tr->n;
	if (tr->n >= REPOS_KEEP) {
		size_t old = tr->n;
		for (size_t i = 0; i < tr->n; i++)
			if (tr->v[i].used != tr->request && (old == tr->n || tr->v[i].used < tr->v[old].used))
				old = i;
		if (old < tr->n) {
			store_close(tr->v[old].st);
			tr->v[old] = tr->v[--tr->n];
			at = tr->n;
		} else if (tr->n == REPOS_MAX) {
			log_error("cannot open repository %s: %d are open for one request", gitdir, REPOS_MAX);
			return NULL;
		}
	}
	struct store *st = NULL;
	if (store_open(&st, gitdir) < 0) {
		log_error("cannot open repository %s", gitdir);
		return NULL;
	}
	tr->v[at] = (struct open_repo){ st, tr->request };
	tr->n = at + 1 > tr->n ? at + 1 : tr->n;
	return st;
}

void
repos_release(void)
{
	pthread_once(&once, make_key);
	close_all(pthread_getspecific(key));
	pthread_setspecific(key, NULL);
}
