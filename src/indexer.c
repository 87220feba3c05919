/* indexer.c: the server's indexer thread: the index catches up with main in the background, never in a request. */
#include "index_db.h"

#include "db.h"
#include "spaces.h"
#include "state.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

/* Requests ask (indexer_wait) and the thread answers in rounds: a request that saw main
 * move takes a ticket; the thread serves every ticket taken before its round starts, and
 * wakes the waiters when the round ends. Without tickets it looks every POLL_MS, for
 * pushes whose hook could not catch up itself. */
#define POLL_MS 2000

static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake, done;
	pthread_t th;
	int running, stop;
	unsigned long asked, served; /* tickets taken; tickets whose round has ended */
	const struct config *cfg;
	struct index_progress progress;
} ixr = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Open the index (checked first: a damaged one is rebuilt) and the state database (the
 * registry of spaces). */
static int
open_both(struct index **ix, struct db **db)
{
	int rc = index_open_checked(ix, ixr.cfg->data_dir);
	if (rc == 0)
		rc = state_open(db, ixr.cfg->data_dir, ixr.cfg->db_url);
	if (rc == 0)
		index_set_progress(*ix, &ixr.progress);
	return rc;
}

/* One round: every space of the registry caught up with its main (the first round also
 * drops the rows of spaces deleted while no server ran). */
static void
round_all(struct index *ix, struct db *db, int first)
{
	struct index_repo *repos = NULL;
	size_t n = 0;
	if (space_repos(db, ixr.cfg->data_dir, &repos, &n) < 0) {
		log_warn("indexer: cannot read the spaces from the state database; the index answers as it is");
		return;
	}
	if (first)
		index_drop_unlisted(ix, repos, n);
	if (index_catch_up_all(ix, repos, n) < 0 && !atomic_load(&ixr.progress.stop))
		log_warn("indexer: the index could not catch up with every space; it answers as it is");
	space_repos_free(repos, n);
}

static void *
indexer_main(void *arg)
{
	struct index *ix = NULL;
	struct db *db = NULL;
	int ready = open_both(&ix, &db) == 0, first = 1;
	if (!ready)
		log_error("indexer: cannot open the index or the state database; views that need the index fail");
	pthread_mutex_lock(&ixr.mu);
	while (!ixr.stop) {
		unsigned long round = ixr.asked;
		pthread_mutex_unlock(&ixr.mu);
		if (ready)
			round_all(ix, db, first);
		first = 0;
		/* a long job (a first index) freed hundreds of MB across malloc's arenas: give back
		 * what is free, or it stays counted as the server's memory */
		if (atomic_load(&ixr.progress.busy))
			malloc_trim(0);
		pthread_mutex_lock(&ixr.mu);
		atomic_store(&ixr.progress.busy, 0);
		atomic_store(&ixr.progress.building, 0);
		ixr.served = round;
		pthread_cond_broadcast(&ixr.done);
		if (ixr.stop || ixr.asked != round)
			continue;
		struct timespec ts;
		deadline_in(&ts, POLL_MS);
		pthread_cond_timedwait(&ixr.wake, &ixr.mu, &ts);
	}
	pthread_mutex_unlock(&ixr.mu);
	index_close(ix);
	db_close(db);
	return NULL;
}

int
indexer_start(const struct config *cfg)
{
	ixr.cfg = cfg;
	ixr.stop = 0;
	atomic_store(&ixr.progress.stop, 0);
	/* The first round (the check of the file, then the catch-up) counts as long: nobody
	 * waits for it, and /healthz says "indexing" until it is done. */
	atomic_store(&ixr.progress.busy, 1);
	if (pthread_create(&ixr.th, NULL, indexer_main, NULL) != 0) {
		log_error("indexer: cannot start a thread");
		return KN_EIO;
	}
	ixr.running = 1;
	return 0;
}

void
indexer_stop(void)
{
	if (!ixr.running)
		return;
	pthread_mutex_lock(&ixr.mu);
	ixr.stop = 1;
	atomic_store(&ixr.progress.stop, 1);
	pthread_cond_broadcast(&ixr.wake);
	pthread_mutex_unlock(&ixr.mu);
	pthread_join(ixr.th, NULL);
	ixr.running = 0;
}

int
indexer_running(void)
{
	return ixr.running;
}

int
indexer_wait(struct index *ix, const char *space, struct store *st, int max_ms)
{
	int rc = index_current(ix, space, st);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (atomic_load(&ixr.progress.busy))
		return KN_EBUSY;
	struct timespec end;
	deadline_in(&end, max_ms);
	pthread_mutex_lock(&ixr.mu);
	unsigned long ticket = ++ixr.asked;
	pthread_cond_signal(&ixr.wake);
	/* Waits in short steps: a round that turns out long sets `busy` without a signal. */
	while (ixr.served < ticket && !ixr.stop && !atomic_load(&ixr.progress.busy)) {
		struct timespec step, now;
		deadline_in(&step, 50);
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		pthread_cond_timedwait(&ixr.done, &ixr.mu, &step);
	}
	rc = ixr.served >= ticket ? 0 : KN_EBUSY;
	pthread_mutex_unlock(&ixr.mu);
	return rc;
}

void
indexer_nudge(void)
{
	if (!ixr.running)
		return;
	pthread_mutex_lock(&ixr.mu);
	ixr.asked++;
	pthread_cond_signal(&ixr.wake);
	pthread_mutex_unlock(&ixr.mu);
}

int
indexer_progress(size_t *done, size_t *total, size_t *commits, int *building)
{
	*done = atomic_load(&ixr.progress.done);
	*total = atomic_load(&ixr.progress.total);
	*commits = atomic_load(&ixr.progress.commits);
	*building = atomic_load(&ixr.progress.building);
	return ixr.running && atomic_load(&ixr.progress.busy);
}
