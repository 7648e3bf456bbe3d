/* cmd-console.c - `cutover console` and `cutover watch`: options, then
 * console.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "console.h"

int
cmd_console(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct console_opts o;
	struct err e = { 0, "" };
	const char *refresh = args_get(a, 'r');
	double secs;

	memset(&o, 0, sizeof o);
	o.refresh_ms = 1000;
	o.mouse = args_has(a, 'm');
	if (refresh != NULL) {
		if (parse_double(refresh, &secs) != 0 || secs < 0.2 ||
		    secs > 60) {
			err_set(&e, EXIT_USAGE, "usage: console: --refresh %s: "
			    "expected 0.2 to 60 seconds", refresh);
			return report_error(&e, cmd);
		}
		o.refresh_ms = (int)(secs * 1000);
	}
	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	return console_main(ctx, &o);
}

int
cmd_watch(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct console_opts o;
	struct err e = { 0, "" };
	enum config_need need;

	memset(&o, 0, sizeof o);
	o.watch = true;
	o.refresh_ms = 1000;
	o.connect = args_get(a, 'C');
	o.token_file = args_get(a, 'T');
	o.ca_file = args_get(a, 'A');
	o.mouse = args_has(a, 'm');
	o.hooks = args_has(a, 'H');
	if (o.connect != NULL && o.token_file == NULL) {
		err_set(&e, EXIT_USAGE, "usage: watch: --connect needs "
		    "--token-file");
		return report_error(&e, cmd);
	}
	if (o.connect == NULL && (o.token_file != NULL || o.ca_file != NULL)) {
		err_set(&e, EXIT_USAGE, "usage: watch: --token-file and --ca-file "
		    "go with --connect");
		return report_error(&e, cmd);
	}
	/* With --connect the config is not read at all: a watcher on another
	 * machine has nothing of the driver's. Locally it gives the state
	 * directory, and its credentials are dropped unread (console.c).
	 * --hooks, or -c FILE with --connect, reads the watcher's own file
	 * for [hooks] and [metrics]. */
	need = o.connect != NULL ? CONFIG_NONE : CONFIG_OPTIONAL;
	if (o.hooks || (o.connect != NULL && ctx->g.config != NULL))
		need = CONFIG_WATCHER;
	if (ctx_setup(ctx, need, &e) != 0)
		return report_error(&e, cmd);
	return console_main(ctx, &o);
}
