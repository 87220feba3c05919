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

#endif
