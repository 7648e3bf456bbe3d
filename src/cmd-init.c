/* cmd-init.c - `cutover init`: a commented cutover.conf, optionally filled
 * from `terraform output -json`. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "cmd.h"
#include "fileio.h"
#include "tfoutput.h"

static int
read_input(const char *path, char **buf, size_t *len, struct err *e)
{
	struct strbuf sb;
	char chunk[65536];
	size_t n;

	if (strcmp(path, "-") != 0) {
		if (file_read_all(path, 16 << 20, buf, len) != 0)
			return err_set(e, EXIT_USAGE, "%s: cannot read: %s", path,
			    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		return 0;
	}
	sb_init(&sb);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		sb_add(&sb, chunk, n);
		if (sb.len > (16u << 20)) {
			sb_free(&sb);
			return err_set(e, EXIT_USAGE, "standard input: larger than 16 MiB");
		}
	}
	*len = sb.len;
	*buf = sb_detach(&sb);
	return 0;
}

int
cmd_init(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct err e = { 0, "" };
	struct config check;
	struct tf_values tf;
	struct kv kv[TF_MAX_VALUES];
	const char *from = args_get(a, 't'), *out = args_get(a, 'o');
	bool force = args_has(a, 'f'), explicit_path;
	char *text, *input = NULL;
	size_t len = 0;
	int rc = EXIT_OK;

	memset(&tf, 0, sizeof tf);
	if (out == NULL)
		out = config_default_path(ctx->g.config, &explicit_path);
	if (from != NULL) {
		if (read_input(from, &input, &len, &e) != 0 ||
		    tf_values_parse(&tf, strcmp(from, "-") == 0 ? "standard input" :
		    from, input, len, &e) != 0) {
			free(input);
			tf_values_free(&tf);
			return report_error(&e, cmd);
		}
		free(input);
	}
	if (ctx->g.environment != NULL)
		tf_values_set(&tf, "cutover.environment", ctx->g.environment);
	text = config_template(kv, tf_values_kv(&tf, kv));
	if (strcmp(out, "-") == 0) {
		fputs(text, stdout);
	} else if (!force && access(out, F_OK) == 0) {
		err_set(&e, EXIT_USAGE, "%s already exists; use --force to replace it",
		    out);
		rc = report_error(&e, cmd);
	} else if (file_write_atomic(out, text, strlen(text), 0600, &e) != 0) {
		rc = report_error(&e, cmd);
	} else {
		/* Say what is still missing before the file can be used. */
		config_defaults(&check);
		if (config_parse(&check, out, text, strlen(text), &e) == 0)
			fprintf(stderr, "cutover: wrote %s; it is complete\n", out);
		else {
			fprintf(stderr, "cutover: wrote %s; still to fill in:\n  ",
			    out);
			print_lines(stderr, e.msg, "  ");
			fputc('\n', stderr);
		}
		config_free(&check);
	}
	free(text);
	tf_values_free(&tf);
	return rc;
}
