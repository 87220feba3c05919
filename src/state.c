/* state.c: opening the state database (SQLite or PostgreSQL) with every schema in place. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "spaces.h"
#include "watches.h"
#include "webhooks.h"

int
conf_value(char *out, size_t n, const char *data_dir, const char *key)
{
	char path[4096], line[2048];
	int found = 0;
	snprintf(path, sizeof(path), "%s/kennis.conf", data_dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *eq = strchr(p, '=');
		size_t k = strcspn(p, " \t=");
		if (*p == '#' || !eq || k != strlen(key) || strncmp(p, key, k) != 0)
			continue;
		char *v = eq + 1 + strspn(eq + 1, " \t");
		v[strcspn(v, "\r\n")] = '\0';
		snprintf(out, n, "%s", v);
		found = 1;
	}
	fclose(f);
	return found;
}

void
state_target(char *out, size_t n, const char *data_dir, const char *db_setting)
{
	const char *env = getenv("KENNIS_DB");
	if (db_setting && *db_setting)
		snprintf(out, n, "%s", db_setting);
	else if (env && *env)
		snprintf(out, n, "%s", env);
	else if (!conf_value(out, n, data_dir, "db") || !*out)
		snprintf(out, n, "%s/kennis.db", data_dir);
}

int
state_open(struct db **out, const char *data_dir, const char *db_setting)
{
	char target[4096];
	struct db *db = NULL;
	state_target(target, sizeof(target), data_dir, db_setting);
	*out = NULL;
	if (db_open(&db, target) < 0)
		return KN_EIO;
	if (auth_db_init(db) < 0 || spaces_db_init(db) < 0 || outbox_db_init(db) < 0 ||
	    webhooks_db_init(db) < 0 || watches_db_init(db) < 0) {
		db_close(db);
		return KN_EIO;
	}
	*out = db;
	return 0;
}
