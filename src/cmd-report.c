/* cmd-report.c - `cutover report [--output FILE]`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "report.h"

int
cmd_report(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct err e = { 0, "" };
	const char *out = NULL;
	char *md, *svg, *slash;
	int opt, rc;

	while ((opt = cmd_getopt(ctx, cmd, argc, argv, "o:", longopts, &e)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
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
	md = out != NULL ? xstrdup(out) : xasprintf("%s/report.md", ctx->state_dir);
	/* The SVG goes beside the Markdown (in the state directory when the
	 * Markdown goes to standard output). */
	slash = strrchr(md, '/');
	svg = strcmp(md, "-") == 0 ? xasprintf("%s/timeline.svg",
	    ctx->state_dir) : slash != NULL ? xasprintf("%.*s/timeline.svg",
	    (int)(slash - md), md) : xstrdup("timeline.svg");
	rc = report_write(ctx->state_dir, &ctx->cfg, md, svg, &e);
	if (rc == 0 && strcmp(md, "-") == 0)
		fprintf(stderr, "%s\n", svg);
	else if (rc == 0)
		printf("%s\n%s\n", md, svg);
	free(md);
	free(svg);
	return rc == 0 ? EXIT_OK : report_error(&e, cmd);
}
