/* cmd_notify.c: `kennis notify digest|queue`: the daily digest now, and what waits to go out. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fanout.h"
#include "state.h"

static const char usage[] =
	"usage: kennis notify digest [--data DIR]\n"
	"       kennis notify queue  [--data DIR]\n"
	"\n"
	"digest: queue the daily digest now (mails of the changes that people follow in their\n"
	"digest and have not had yet); the running server sends them.\n"
	"queue: what waits to go out (webhook calls and mails), with the last failure of each.\n";

static int
queue(struct db *db)
{
	struct db_res *r = NULL;
	int rc = db_query(&r, db,
			  "SELECT id, kind, target, attempts, state, next_at, coalesce(last_status, 0), coalesce(last_error, '') "
			  "FROM outbox WHERE state <> 1 ORDER BY created LIMIT 1000",
			  "");
	int n = 0;
	while (rc == 0 && (rc = db_row(r)) == 1) {
		rc = 0;
		time_t t = (time_t)db_col_int(r, 5);
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("%s\t%s %lld\t%s %s\ttries %lld\t%s\n", db_col_text(r, 0),
		       db_col_int(r, 1) == 1 ? "webhook" : "mail to user", (long long)db_col_int(r, 2),
		       db_col_int(r, 4) == 2 ? "gave up" : "next", db_col_int(r, 4) == 2 ? "" : when,
		       (long long)db_col_int(r, 3), db_col_text(r, 7));
		n++;
	}
	db_res_free(r);
	if (rc < 0)
		return 1;
	if (n == 0)
		printf("nothing waits to go out\n");
	return 0;
}

int
cmd_notify(int argc, char **argv)
{
	const char *data = "data", *what = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (!what && argv[i][0] != '-')
			what = argv[i];
		else {
			fprintf(stderr, "kennis: unexpected argument '%s'\n%s", argv[i], usage);
			return 2;
		}
	}
	if (!what || (strcmp(what, "digest") != 0 && strcmp(what, "queue") != 0)) {
		fputs(usage, stderr);
		return 2;
	}
	struct db *db = NULL;
	if (state_open(&db, data, NULL) < 0) {
		fprintf(stderr, "kennis: cannot open the state database of %s\n", data);
		return 1;
	}
	int rc;
	if (strcmp(what, "queue") == 0) {
		rc = queue(db);
	} else {
		char base[512] = "";
		struct fanout_settings s = { data, NULL, base, 1, -1, 0 };
		fanout_base_url(db, base, sizeof(base));
		int n = fanout_digest(db, &s, (int64_t)time(NULL), 1);
		if (n >= 0)
			printf("kennis: %d digest mail%s queued\n", n, n == 1 ? "" : "s");
		rc = n < 0;
	}
	db_close(db);
	return rc;
}
