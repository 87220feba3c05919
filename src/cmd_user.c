/* cmd_user.c: `kennis user add|passwd|list|del` and `kennis token add|list|revoke`. */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "state.h"

static const char user_usage[] =
	"usage: kennis user add    [--data DIR] --role reader|editor|admin [--email E] [--display NAME] USER\n"
	"       kennis user passwd [--data DIR] USER\n"
	"       kennis user role   [--data DIR] --role ROLE USER\n"
	"       kennis user list   [--data DIR]\n"
	"       kennis user del    [--data DIR] USER\n"
	"\n"
	"Passwords (at least 8 characters) are read from standard input, or asked for twice\n"
	"when it is a terminal. They are stored as argon2id hashes.\n";

static const char token_usage[] =
	"usage: kennis token add    [--data DIR] [--label TEXT] [--scope read|write] USER\n"
	"       kennis token list   [--data DIR] [USER]\n"
	"       kennis token revoke [--data DIR] ID\n"
	"\n"
	"A personal access token is for git over HTTP and the API (as the password of HTTP\n"
	"Basic auth, or `Authorization: Bearer TOKEN`). It is shown once, when it is made, and\n"
	"stored only as a hash. --scope read: it may clone, fetch and read the API, but not\n"
	"push or change anything; write (the default) may do whatever its user may.\n";

struct opts {
	const char *data, *role, *email, *display, *label, *scope, *arg;
};

static int
parse(int argc, char **argv, struct opts *o, const char *usage)
{
	memset(o, 0, sizeof(*o));
	o->data = "data";
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = strcmp(a, "--data") == 0      ? &o->data
				    : strcmp(a, "--role") == 0    ? &o->role
				    : strcmp(a, "--email") == 0   ? &o->email
				    : strcmp(a, "--display") == 0 ? &o->display
				    : strcmp(a, "--label") == 0   ? &o->label
				    : strcmp(a, "--scope") == 0   ? &o->scope
								  : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 1;
		}
		if (slot) {
			if (!v) {
				fprintf(stderr, "kennis: %s needs a value\n", a);
				return -1;
			}
			*slot = v;
			i++;
		} else if (a[0] == '-' || o->arg) {
			fprintf(stderr, "kennis: unexpected argument '%s'\n%s", a, usage);
			return -1;
		} else {
			o->arg = a;
		}
	}
	return 0;
}

static struct db *
open_db(const char *data)
{
	struct db *db = NULL;
	char git[4096];
	snprintf(git, sizeof(git), "%s/wiki.git", data);
	if (access(git, F_OK) != 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (run: kennis init %s)\n", data, data);
		return NULL;
	}
	if (auth_global_init() < 0 || state_open(&db, data, NULL) < 0) {
		char target[4096];
		state_target(target, sizeof(target), data, NULL);
		fprintf(stderr, "kennis: cannot open the state database %s\n", db_is_postgres_url(target) ? "(PostgreSQL)" : target);
		return NULL;
	}
	return db;
}

/* One line from stdin; on a terminal, asked twice without echo. */
static int
read_password(char *out, size_t n)
{
	int tty = isatty(0);
	struct termios old, quiet;
	char again[256];
	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round ? again : out;
		size_t len = round ? sizeof(again) : n;
		if (tty) {
			fputs(round ? "Again: " : "Password: ", stderr);
			tcgetattr(0, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSANOW, &quiet);
		}
		char *got = fgets(dst, (int)len, stdin);
		if (tty) {
			tcsetattr(0, TCSANOW, &old);
			fputc('\n', stderr);
		}
		if (!got)
			return -1;
		dst[strcspn(dst, "\r\n")] = '\0';
	}
	if (tty && strcmp(out, again) != 0) {
		fprintf(stderr, "kennis: the passwords differ\n");
		return -1;
	}
	if (strlen(out) < 8) {
		fprintf(stderr, "kennis: a password needs at least 8 characters\n");
		return -1;
	}
	return 0;
}

static int
print_user(const struct user *u, void *payload)
{
	printf("%-20s %-7s %-24s %s\n", u->name, role_name(u->role), u->display, u->email);
	return 0;
}

static int
say(int rc, const char *what, const char *name)
{
	if (rc == 0)
		return 0;
	if (rc == KN_EEXISTS)
		fprintf(stderr, "kennis: user %s already exists\n", name);
	else if (rc == KN_ENOTFOUND)
		fprintf(stderr, "kennis: no user %s\n", name);
	else
		fprintf(stderr, "kennis: cannot %s %s: %s\n", what, name, kn_strerror(rc));
	return 1;
}

int
cmd_user(int argc, char **argv)
{
	struct opts o;
	char pw[256];
	int rc = 1;
	if (argc < 2) {
		fputs(user_usage, stderr);
		return 2;
	}
	int p = parse(argc, argv, &o, user_usage);
	if (p)
		return p > 0 ? 0 : 2;
	const char *sub = argv[1];
	int needs_name = strcmp(sub, "list") != 0;
	if (needs_name && (!o.arg || auth_name_check(o.arg) < 0)) {
		fprintf(stderr, "kennis: give a user name (letters, digits, . _ -; at most %d)\n%s", AUTH_NAME_MAX, user_usage);
		return 2;
	}
	struct db *db = open_db(o.data);
	if (!db)
		return 1;
	if (strcmp(sub, "add") == 0) {
		enum role r = role_parse(o.role);
		if (r == ROLE_NONE)
			fprintf(stderr, "kennis: --role must be reader, editor or admin\n");
		else if (read_password(pw, sizeof(pw)) == 0 &&
			 !say(auth_user_add(db, o.arg, o.display, o.email, r, pw), "add", o.arg)) {
			printf("kennis: added %s (%s)\n", o.arg, role_name(r));
			rc = 0;
		}
	} else if (strcmp(sub, "passwd") == 0) {
		if (read_password(pw, sizeof(pw)) == 0 && !say(auth_user_passwd(db, o.arg, pw), "change the password of", o.arg)) {
			printf("kennis: password of %s changed; their sessions ended\n", o.arg);
			rc = 0;
		}
	} else if (strcmp(sub, "role") == 0) {
		enum role r = role_parse(o.role);
		if (r == ROLE_NONE)
			fprintf(stderr, "kennis: --role must be reader, editor or admin\n");
		else
			rc = say(auth_user_set_role(db, o.arg, r), "change the role of", o.arg);
	} else if (strcmp(sub, "list") == 0) {
		rc = auth_user_list(db, print_user, NULL) < 0;
	} else if (strcmp(sub, "del") == 0) {
		rc = say(auth_user_del(db, o.arg), "delete", o.arg);
		if (!rc)
			printf("kennis: deleted %s (their pages and history stay)\n", o.arg);
	} else {
		fprintf(stderr, "kennis: unknown user command '%s'\n%s", sub, user_usage);
		rc = 2;
	}
	explicit_bzero(pw, sizeof(pw));
	db_close(db);
	return rc;
}

static int
print_token(int64_t id, const char *user, const char *label, enum token_scope scope, int64_t created, int64_t last_used,
	    void *payload)
{
	char c[32] = "-", l[32] = "never";
	time_t tc = (time_t)created, tl = (time_t)last_used;
	strftime(c, sizeof(c), "%Y-%m-%d", gmtime(&tc));
	if (last_used)
		strftime(l, sizeof(l), "%Y-%m-%d %H:%M", gmtime(&tl));
	printf("%-6lld %-20s %-24s %-5s created %s, last used %s\n", (long long)id, user, label, token_scope_name(scope), c,
	       l);
	return 0;
}

int
cmd_token(int argc, char **argv)
{
	struct opts o;
	int rc = 1;
	if (argc < 2) {
		fputs(token_usage, stderr);
		return 2;
	}
	int p = parse(argc, argv, &o, token_usage);
	if (p)
		return p > 0 ? 0 : 2;
	const char *sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
		fprintf(stderr, "kennis: unknown token command '%s'\n%s", sub, token_usage);
		return 2;
	}
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "revoke") == 0) && !o.arg) {
		fputs(token_usage, stderr);
		return 2;
	}
	struct db *db = open_db(o.data);
	if (!db)
		return 1;
	if (strcmp(sub, "add") == 0) {
		char token[AUTH_TOKEN_LEN + 1];
		int64_t id;
		int scope = o.scope ? token_scope_parse(o.scope) : TOKEN_WRITE;
		if (scope < 0) {
			fprintf(stderr, "kennis: --scope is read or write, not '%s'\n", o.scope);
			db_close(db);
			return 2;
		}
		if (!say(auth_token_add(db, o.arg, o.label, (enum token_scope)scope, token, &id), "make a token for", o.arg)) {
			printf("%s\n", token);
			fprintf(stderr, "kennis: token %lld for %s (scope %s); it is shown only now. Use it as the password for "
					"git:\n  git clone http://%s@HOST/wiki.git\n",
				(long long)id, o.arg, token_scope_name((enum token_scope)scope), o.arg);
			rc = 0;
		}
	} else if (strcmp(sub, "list") == 0) {
		rc = auth_token_list(db, o.arg, print_token, NULL) < 0;
	} else {
		char *end;
		long long id = strtoll(o.arg, &end, 10);
		if (*end || id <= 0)
			fprintf(stderr, "kennis: revoke takes a token id (see kennis token list)\n");
		else if (auth_token_revoke(db, id) < 0)
			fprintf(stderr, "kennis: no token %lld\n", id);
		else {
			printf("kennis: token %lld revoked\n", id);
			rc = 0;
		}
	}
	db_close(db);
	return rc;
}
