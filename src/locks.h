/* locks.h: lock files that dead writers left in the repository: find, judge, clear, report
 * them; and the data directory's own lock (one server per data directory). docs/security.md
 * ("Crashes and stale locks") gives the rule and why it is safe. */
#ifndef KENNIS_LOCKS_H
#define KENNIS_LOCKS_H

#include <stdio.h>

#include "kennis.h"

/* A lock younger than this may belong to a writer that is about to finish: never cleared.
 * At start-up (no writer of this data directory's server can be alive) and for `kennis
 * check --fix`, the server waits until a young lock is this old. */
#define LOCKS_STARTUP_AGE 2.0 /* seconds */
/* While serving, a lock must be this old before a save or a push clears it. */
#define LOCKS_SERVING_AGE 5.0

/* Hold DATA exclusively for this process's lifetime (flock on the directory, not inherited
 * by children): a second `kennis serve` on the same data directory is refused. Returns 0,
 * KN_ELOCKED when another process holds it, or KN_EIO (errno says why). */
int locks_hold_data_dir(const char *data_dir);

/* Start-up, with the data directory held: every lock file in the repository at `gitdir`
 * that no process can be holding is removed, each logged (path, age). Young locks are
 * waited for (up to LOCKS_STARTUP_AGE), and so are other processes that have the
 * repository open (up to 5 s); locks still in use are left, logged, for the serving rule.
 * Returns the number removed (>= 0). */
int locks_startup(const char *gitdir);

/* Before a ref update that found a lock taken (a web save), or before a push: remove the
 * repository's lock files that are older than LOCKS_SERVING_AGE while no ref update of
 * this process is under way and no other process has the repository open. `context` names
 * the operation for the log ("save of Customers/Acme.md"). Returns the number removed. */
int locks_unstick(const char *gitdir, const char *context);

/* Around an in-process ref update (store.c): locks_unstick never clears while one runs. */
void locks_writer_begin(void);
void locks_writer_end(void);

/* `kennis check`: one line on `report` per lock file in repository `gitdir` of data
 * directory `data_dir` (DATA/wiki.git, DATA/spaces/NAME.git), with its age and
 * whether it is stale; with `fix`, stale ones are removed (not while a server holds the
 * data directory: it clears them itself). Returns 0 when no lock is (or, fixed, remains)
 * older than LOCKS_STARTUP_AGE, 1 when one is, or a negative KN_ code. */
int locks_check(const char *data_dir, const char *gitdir, FILE *report, int fix);

#endif
