/* cmd-report.c - `cutover report [--output FILE|-] [--json]
 * [--compare DIR|FILE]...`: report.md and timeline.svg beside it and,
 * with --json, the same content as JSON: written beside them (the
 * Markdown's name with .json for .md) and printed on standard output. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fileio.h"
#include "report.h"

/* FILE.md -> FILE.json; anything else gets .json added. */
static char *
json_path(const char *md)
{
	size_t n = strlen(md);

	if (n > 3 && strcmp(md + n - 3, ".md") == 0)
		return xasprintf("%.*s.json", (int)(n - 3), md);
	return xasprintf("%s.json", md);
}

static int
write_file(const char *path, const char *text, struct err *e)
{
	return file_write_atomic(path, text, strlen(text), 0644, e);
}

int
cmd_report(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct err e = { 0, "" };
	struct report r;
	const char *out = args_get(a, 'o'), **compare = NULL, *compare_arg;
	const char *svg_name;
	char *md = NULL, *svg = NULL, *json = NULL, *slash;
	char *md_text = NULL, *svg_text = NULL, *json_text = NULL;
	size_t ncompare = 0, i = 0;
	bool want_json = args_has(a, 'j'), to_stdout;
	int rc = EXIT_OK;

	while ((compare_arg = args_next(a, 'C', &i)) != NULL) {
		compare = xreallocarray(compare, ncompare + 1, sizeof *compare);
		compare[ncompare++] = compare_arg;
	}
	i = 0;
	/* The config gives the lag gate's line; the report reads the rest
	 * from the state directory. */
	if (ctx_setup(ctx, CONFIG_OPTIONAL, &e) != 0) {
		free(compare);
		return report_error(&e, cmd);
	}
	if (report_build(&r, ctx->state_dir, ctx->have_config ? &ctx->cfg : NULL,
	    &e) != 0) {
		free(compare);
		return report_error(&e, cmd);
	}
	for (i = 0; i < ncompare; i++) {
		if (report_compare(&r, compare[i], &e) != 0) {
			rc = report_error(&e, cmd);
			goto out;
		}
	}
	md = out != NULL ? xstrdup(out) : xasprintf("%s/report.md", ctx->state_dir);
	/* The SVG goes beside the Markdown, which links to it by name (in
	 * the state directory when the Markdown goes to standard output). */
	to_stdout = strcmp(md, "-") == 0;
	slash = strrchr(md, '/');
	svg = to_stdout ? xasprintf("%s/timeline.svg", ctx->state_dir) :
	    slash != NULL ? xasprintf("%.*s/timeline.svg", (int)(slash - md), md) :
	    xstrdup("timeline.svg");
	svg_name = strrchr(svg, '/') != NULL ? strrchr(svg, '/') + 1 : svg;
	md_text = report_markdown(&r, svg_name);
	svg_text = report_svg(&r);
	if (write_file(svg, svg_text, &e) != 0 ||
	    (!to_stdout && write_file(md, md_text, &e) != 0)) {
		rc = report_error(&e, cmd);
		goto out;
	}
	if (want_json) {
		char *text = report_json(&r);

		json = to_stdout ? xasprintf("%s/report.json", ctx->state_dir) :
		    json_path(md);
		json_text = xasprintf("%s\n", text);
		free(text);
		if (write_file(json, json_text, &e) != 0) {
			rc = report_error(&e, cmd);
			goto out;
		}
	}
	if (to_stdout) {
		/* The Markdown is the output; where the rest went, on stderr. */
		if (fputs(md_text, stdout) == EOF || fflush(stdout) != 0) {
			err_set(&e, EXIT_RUNTIME, "report: standard output: %s",
			    strerror(errno));
			rc = report_error(&e, cmd);
			goto out;
		}
		fprintf(stderr, "%s\n", svg);
		if (json != NULL)
			fprintf(stderr, "%s\n", json);
	} else if (want_json) {
		fputs(json_text, stdout);
	} else {
		printf("%s\n%s\n", md, svg);
	}
out:
	free(md_text);
	free(svg_text);
	free(json_text);
	free(md);
	free(svg);
	free(json);
	free(compare);
	report_free(&r);
	return rc;
}
