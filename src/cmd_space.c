/* cmd_space.c: `kennis space add|list|set|del` and `kennis group add|del|list`. */
#include "cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spaces.h"
#include "state.h"
#include "space_repo.h"
#include "store.h"

static const char space_usage[] =
	"usage: kennis space add  [--data DIR] NAME [--read WHO,...] [--write WHO,...]\n"
	"       kennis space set  [--data DIR] NAME [--read WHO,...] [--write WHO,...]\n"
	"       kennis space list [--data DIR]\n"
	"       kennis space del  [--data DIR] NAME [--force]\n"
	"\n"
	"A space is a part of the wiki with its own readers and writers, kept in its own git\n"
	"repository (DIR/spaces/NAME.git; its pages are at /s/NAME/wiki/..., its repository at\n"
	"/s/NAME.git). WHO is a user name, @group, readers, editors, admins (the roles) or all.\n"
	"Without --read only admins read a new space; without --write, those who may read it\n"
	"may write it. Admins read and write every space. 'del' moves the repository aside to\n"
	"DIR/spaces/deleted/ (it refuses a space that has pages beyond its first commit unless\n"
	"--force is given); nothing is ever deleted.\n";

static const char group_usage[] =
	"usage: kennis group add  [--data DIR] GROUP [USER...]\n"
	"       kennis group del  [--data DIR] GROUP [USER...]\n"
	"       kennis group list [--data DIR]\n"
	"\n"
	"Groups name people for space access lists (@GROUP). 'add' creates the group if needed\n"
	"and adds the users; 'del' removes the users, or the whole group when none is named.\n";

#define MAX_ARGS 64

struct opts {
	const char *data, *read, *write;
	const char *args[MAX_ARGS];
	int nargs, force;
};

static int
parse(int argc, char **argv, struct opts *o, const char *usage)
{
	memset(o, 0, sizeof(*o));
	o->data = "data";
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = strcmp(a, "--data") == 0 ? &o->data
				    : strcmp(a, "--read") == 0 ? &o->read
				    : strcmp(a, "--write") == 0 ? &o->write
							       : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (strcmp(a, "--force") == 0) {
			o->force = 1;
		} else if (slot) {
			if (!v) {
				fprintf(stderr, "kennis: %s needs a value\n", a);
				return -1;
			}
			*slot = v;
			i++;
		} else if (a[0] == '-' || o->nargs == MAX_ARGS) {
			fprintf(stderr, "kennis: unexpected argument '%s'\n%s", a, usage);
			return -1;
		} else {
			o->args[o->nargs++] = a;
		}
	}
	return 0;
}

static struct db *
open_state(const char *data)
{
	struct db *db = NULL;
	char git[4096];
	snprintf(git, sizeof(git), "%s/wiki.git", data);
	if (access(git, F_OK) != 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (run: kennis init %s)\n", data, data);
		return NULL;
	}
	if (state_open(&db, data, NULL) < 0) {
		fprintf(stderr, "kennis: cannot open the state database of %s\n", data);
		return NULL;
	}
	return db;
}

static int
refused(int rc, const char *what, const char *name, struct buf *why)
{
	if (rc == KN_EEXISTS)
		fprintf(stderr, "kennis: %s %s already exists\n", what, name);
	else if (rc == KN_ENOTFOUND)
		fprintf(stderr, "kennis: no %s %s\n", what, name);
	else {
		if (why && why->len && why->ptr[why->len - 1] == ' ')
			why->ptr[--why->len] = '\0';
		fprintf(stderr, "kennis: %s %s: %s\n", what, name, why && why->len ? why->ptr : kn_strerror(rc));
	}
	return 1;
}

static int
space_add_cmd(struct db *db, const struct opts *o)
{
	struct buf why = BUF_INIT;
	const char *name = o->args[0];
	const char *read = o->read ? o->read : "admins", *write = o->write ? o->write : read;
	int rc = space_create(db, o->data, NULL, name, read, write, &why);
	if (rc < 0)
		refused(rc, "space", name, &why);
	else
		printf("kennis: space %s created (read: %s; write: %s); pages at /s/%s/wiki/Home, git at /s/%s.git\n", name,
		       read, write, name, name);
	buf_free(&why);
	return rc < 0;
}

static int
space_cmd(struct db *db, const char *sub, const struct opts *o)
{
	struct buf why = BUF_INIT;
	int rc = 0;
	if (strcmp(sub, "list") == 0) {
		struct space *all = NULL;
		size_t n = 0;
		if (space_list(db, &all, &n) < 0)
			return 1;
		printf("%-20s %-30s %s\n", "SPACE", "READ", "WRITE");
		for (size_t i = 0; i < n; i++)
			printf("%-20s %-30s %s\n", all[i].name, i == 0 ? "readers (the roles)" : all[i].read,
			       i == 0 ? "editors (the roles)" : all[i].write);
		free(all);
		return 0;
	}
	if (o->nargs != 1) {
		fputs(space_usage, stderr);
		return 2;
	}
	const char *name = o->args[0];
	if (strcmp(sub, "add") == 0)
		return space_add_cmd(db, o);
	if (strcmp(sub, "set") == 0) {
		if (!o->read && !o->write) {
			fprintf(stderr, "kennis: space set needs --read or --write\n");
			return 2;
		}
		rc = space_set(db, name, o->read, o->write, &why);
		if (rc < 0)
			rc = refused(rc, "space", name, &why);
		else
			printf("kennis: space %s changed\n", name);
		buf_free(&why);
		return rc;
	}
	if (strcmp(sub, "del") == 0) {
		char aside[4200];
		rc = space_delete(db, o->data, name, o->force, aside, sizeof(aside));
		if (rc == KN_EEXISTS) {
			fprintf(stderr, "kennis: space %s has pages and history; to move it aside anyway: kennis space del --force %s\n",
				name, name);
			return 1;
		}
		if (rc < 0 && rc != KN_EIO)
			return refused(rc, "space", name, NULL);
		if (rc == 0)
			printf("kennis: space %s removed; its repository is kept at %s\n", name, aside);
		else
			fprintf(stderr, "kennis: space %s removed; its repository could not be moved aside (see the log)\n", name);
		return 0;
	}
	fprintf(stderr, "kennis: unknown space command '%s'\n%s", sub, space_usage);
	return 2;
}

static int
print_group(const char *group, const char *members, void *payload)
{
	printf("%-24s %s\n", group, members);
	return 0;
}

static int
group_cmd(struct db *db, const char *sub, const struct opts *o)
{
	struct buf why = BUF_INIT;
	int rc;
	if (strcmp(sub, "list") == 0)
		return group_list(db, print_group, NULL) < 0;
	if (o->nargs < 1 || (strcmp(sub, "add") != 0 && strcmp(sub, "del") != 0)) {
		fputs(group_usage, stderr);
		return 2;
	}
	const char *group = o->args[0];
	if (strcmp(sub, "add") == 0) {
		rc = group_add(db, group, o->args + 1, (size_t)(o->nargs - 1), &why);
		if (rc == 0)
			printf("kennis: group %s: %d user(s) added\n", group, o->nargs - 1);
	} else {
		rc = group_del(db, group, o->args + 1, (size_t)(o->nargs - 1));
		if (rc == 0)
			printf("kennis: group %s: %s\n", group, o->nargs > 1 ? "users removed" : "deleted");
	}
	if (rc < 0)
		rc = refused(rc, "group", group, &why);
	buf_free(&why);
	return rc;
}

int
cmd_space(int argc, char **argv)
{
	int group = strcmp(argv[0], "group") == 0;
	const char *usage = group ? group_usage : space_usage;
	struct opts o;
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	int p = parse(argc, argv, &o, usage);
	if (p)
		return p > 0 ? 0 : 2;
	struct db *db = open_state(o.data);
	if (!db)
		return 1;
	int rc = group ? group_cmd(db, argv[1], &o) : space_cmd(db, argv[1], &o);
	db_close(db);
	return rc;
}
