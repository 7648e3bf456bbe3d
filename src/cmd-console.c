/* cmd-console.c - `cutover console` and `cutover watch`: options, then
 * console.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "console.h"

int
cmd_console(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	struct console_opts o;
	struct err e = { 0, "" };
	double secs;
	int opt;

	memset(&o, 0, sizeof o);
	o.refresh_ms = 1000;
	while ((opt = cmd_getopt(ctx, cmd, NULL, argc, argv, &e)) != -1) {
		switch (opt) {
		case 'm':
			o.mouse = true;
			break;
		case 'r':
			if (parse_double(optarg, &secs) != 0 || secs < 0.2 ||
			    secs > 60) {
				err_set(&e, EXIT_USAGE, "usage: console: --refresh %s: "
				    "expected 0.2 to 60 seconds", optarg);
				return report_error(&e, cmd);
			}
			o.refresh_ms = (int)(secs * 1000);
			break;
		case 'h':
			print_command_help(stdout, cmd);
			return EXIT_OK;
		default:
			return report_error(&e, cmd);
		}
	}
	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	return console_main(ctx, &o);
}

int
cmd_watch(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	struct console_opts o;
	struct err e = { 0, "" };
	enum config_need need;
	int opt;

	memset(&o, 0, sizeof o);
	o.watch = true;
	o.refresh_ms = 1000;
	while ((opt = cmd_getopt(ctx, cmd, NULL, argc, argv, &e)) != -1) {
		switch (opt) {
		case 'C':
			o.connect = optarg;
			break;
		case 'T':
			o.token_file = optarg;
			break;
		case 'A':
			o.ca_file = optarg;
			break;
		case 'm':
			o.mouse = true;
			break;
		case 'H':
			o.hooks = true;
			break;
		case 'h':
			print_command_help(stdout, cmd);
			return EXIT_OK;
		default:
			return report_error(&e, cmd);
		}
	}
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
