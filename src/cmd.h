/* cmd.h: command-line subcommands outside main.c. */
#ifndef KENNIS_CMD_H
#define KENNIS_CMD_H

/* argv[0] is the command name ("user"), argv[1] the subcommand. Return an exit status. */
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
/* `kennis space …` and `kennis group …` (argv[0] tells which). */
int cmd_space(int argc, char **argv);
/* `kennis webhook add|list|del|test`. */
int cmd_webhook(int argc, char **argv);
/* `kennis notify digest|queue`. */
int cmd_notify(int argc, char **argv);

/* `kennis import DIR SOURCE`: an existing wiki's history becomes main (cmd_import.c). */
int cmd_import(int argc, char **argv);
/* `kennis promote --data DIR`: make this replica the primary (cmd_replica.c). */
int cmd_promote(int argc, char **argv);
/* Make DIR a replica's data directory (an empty wiki.git, no first commit) unless it has
 * one; `verbose` says so on stdout (init --replica). 0, or -1 with a message on stderr. */
int replica_init_dir(const char *dir, const char *self_exe, int verbose);

#endif
