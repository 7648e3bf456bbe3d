/* main.c - cutover: global options, then the command. */
#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int
main(int argc, char **argv)
{
	static char console_name[] = "console";
	static char *console_argv[] = { console_name, NULL };
	const struct command *cmd;
	struct ctx ctx;
	struct err e = { 0, "" };
	bool help, version;
	int idx, rc;

	setlocale(LC_ALL, "");
	/* Buffers of megabytes (snapshots and results with 10,000 tables)
	 * go to mmap and back to the kernel when freed. A fixed threshold:
	 * glibc's moving one would keep them in the heap after the first. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	memset(&ctx, 0, sizeof ctx);
	idx = cli_parse_globals(&ctx.g, argc, argv, &help, &version, &e);
	if (idx < 0)
		return report_error(&e, NULL);
	if (version) {
		printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (idx >= argc) {
		if (help) {
			print_usage(stdout);
			return EXIT_OK;
		}
		/* No command means `console` once it exists. */
		if ((cmd = command_find("console")) == NULL) {
			print_usage(stderr);
			return EXIT_USAGE;
		}
		argc = 1;
		argv = console_argv;
		idx = 0;
	} else if ((cmd = command_find(argv[idx])) == NULL) {
		err_set(&e, EXIT_USAGE, "usage: unknown command '%s'", argv[idx]);
		return report_error(&e, NULL);
	}
	if (help) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (cmd->exec != NULL)
		rc = args_exec(&ctx, cmd, NULL, argc - idx, argv + idx, cmd->exec);
	else
		rc = cmd->run(&ctx, cmd, argc - idx, argv + idx);
	ctx_free(&ctx);
	return rc;
}
