/* console.h - `cutover console` (the driver) and `cutover watch` (the
 * read-only view): the controller between the loop's sources and the
 * screen (ui/). */
#ifndef CUTOVER_CONSOLE_H
#define CUTOVER_CONSOLE_H

#include <stdbool.h>

#include "cmd.h"

struct console_opts {
	bool watch;                /* read-only */
	const char *connect;       /* watch: HOST:PORT of a driver's feed */
	const char *token_file;
	const char *ca_file;
	bool mouse;
	bool hooks;                /* watch: run [hooks] on the events seen */
	int refresh_ms;            /* the figures' refresh period */
};

/* Runs until the operator quits; returns the exit code. */
int console_main(struct ctx *ctx, const struct console_opts *opts);

#endif
