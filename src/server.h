/* server.h: the HTTP server (the only module that calls libmicrohttpd). */
#ifndef KENNIS_SERVER_H
#define KENNIS_SERVER_H

#include "req.h"

/* Serve cfg until SIGINT/SIGTERM (or cfg->exit_after requests). Returns a process exit
 * code; startup failures are one clear line on stderr and 1. */
int server_run(const struct config *cfg);

#endif
