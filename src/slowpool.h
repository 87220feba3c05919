/* slowpool.h: threads apart from libmicrohttpd's workers for views that can take long. */
#ifndef KENNIS_SLOWPOOL_H
#define KENNIS_SLOWPOOL_H

#include <stddef.h>
#include "kennis.h"

/* Start `threads` threads with room for `queue` waiting jobs. 0 or KN_EIO. */
int slowpool_start(unsigned threads, size_t queue);
/* Run run(arg, 0) on one of them: 0, or KN_EBUSY when the queue is full (or stopping). */
int slowpool_submit(void (*run)(void *arg, int cancelled), void *arg);
/* Stop: the jobs still queued are run with `cancelled` set (to answer without doing the
 * work), the ones running finish; then the threads are joined. */
void slowpool_stop(void);

#endif
