/* state.h: where the state that is not in git lives: DATA/kennis.db (SQLite, one node), or
 * the PostgreSQL database named by the `db` setting (several nodes). */
#ifndef KENNIS_STATE_H
#define KENNIS_STATE_H

#include <stddef.h>

#include "db.h"

/* The database of data directory `data_dir`: `db_setting` when given (--db, a PostgreSQL
 * URL), else $KENNIS_DB, else the `db` line of DATA/kennis.conf, else DATA/kennis.db.
 * Written into `out`. */
void state_target(char *out, size_t n, const char *data_dir, const char *db_setting);

/* Open the state database for `data_dir` (as state_target says) and bring every
 * component's schema up to date (accounts first, then spaces and groups). Caller closes
 * with db_close. 0 or KN_EIO (logged). */
int state_open(struct db **out, const char *data_dir, const char *db_setting);

/* The value of setting `key` in DATA/kennis.conf ("key = value" lines, '#' comments) into
 * `out`: 1 found, 0 not (for commands other than serve, which reads the whole file). */
int conf_value(char *out, size_t n, const char *data_dir, const char *key);

#endif
