/* maintenance.h: the repository kept packed in the background (git repack), for `kennis serve`. */
#ifndef KENNIS_MAINTENANCE_H
#define KENNIS_MAINTENANCE_H

#include <stddef.h>
#include "kennis.h"

/* Start the thread that repacks `gitdir` once it holds `loose_threshold` loose objects or
 * more (0: never), looked at every `every_s` seconds. 0 or KN_EIO. */
int maintenance_start(const char *gitdir, unsigned loose_threshold, unsigned every_s);
/* Look now (after a burst of writes). */
void maintenance_check_now(void);
/* Stop the thread (a repack under way is ended: git cleans up after itself next time). */
void maintenance_stop(void);
/* Loose objects in `gitdir`, counted up to `stop_at`. */
size_t maintenance_loose_objects(const char *gitdir, size_t stop_at);

#endif
