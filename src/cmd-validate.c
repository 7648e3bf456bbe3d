/* cmd-validate.c - `cutover validate`: the six checks, headless. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "eventlog.h"
#include "state.h"
#include "validate.h"

struct run {
	bool done;
	bool tty;
};

static void
on_progress(const struct validate_progress *pr, void *arg)
{
	struct run *r = arg;

	if (!r->tty)
		return;
	fprintf(stderr, "  [%zu/%zu] %-40s %12lld rows %7.1f s %12.0f rows/s  %s%s%s\n",
	    pr->tables_done, pr->tables_total, pr->table, (long long)pr->rows,
	    pr->seconds, pr->seconds > 0 ? (double)pr->rows / pr->seconds : 0,
	    check_status_name(pr->status), pr->detail != NULL ? ": " : "",
	    pr->detail != NULL ? pr->detail : "");
}

static void
on_done(struct validation *v, void *arg)
{
	(void)v;
	((struct run *)arg)->done = true;
}

static void
print_summary(FILE *f, const struct validation *v, bool full)
{
	enum check_id c;

	fprintf(f, "validation (%s): %s\n", full ? "full" : "quick",
	    validation_passed(v) ? "passed" : "FAILED");
	for (c = 0; c < CHK_COUNT; c++)
		fprintf(f, "  %-20s %-5s %s\n", check_name(c),
		    check_status_name(validation_check_status(v, c)),
		    validation_check_detail(v, c) != NULL ?
		    validation_check_detail(v, c) : "");
}

static void
log_result(const struct ctx *ctx, const struct validation *v, const char *file,
    bool full)
{
	struct eventlog *log;
	struct err e = { 0, "" };
	cJSON *data = cJSON_CreateObject(), *checks;
	enum check_id c;

	cJSON_AddStringToObject(data, "mode", full ? "full" : "quick");
	cJSON_AddBoolToObject(data, "passed", validation_passed(v));
	if (file != NULL)
		cJSON_AddStringToObject(data, "file", file);
	checks = cJSON_AddObjectToObject(data, "checks");
	for (c = 0; c < CHK_COUNT; c++)
		cJSON_AddStringToObject(checks, check_name(c),
		    check_status_name(validation_check_status(v, c)));
	if (eventlog_open(&log, ctx->state_dir, ctx->environment, &e) != 0 ||
	    eventlog_append(log, "check", NULL, data, &e, "validation %s: %s",
	    full ? "full" : "quick", validation_passed(v) ? "passed" : "failed") < 0)
		fprintf(stderr, "cutover: could not log the result: %s\n", e.msg);
	eventlog_close(log);
}

int
cmd_validate(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "full", no_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "table", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct validate_opts opts;
	struct validation *v;
	struct err e = { 0, "" };
	struct run run = { false, false };
	const char *output = NULL;
	char **only = NULL, *saved = NULL;
	size_t nonly = 0, i;
	struct loop *loop;
	int64_t jobs;
	int opt, rc;

	memset(&opts, 0, sizeof opts);
	while ((opt = cmd_getopt(ctx, cmd, argc, argv, "o:t:j:", longopts,
	    &e)) != -1) {
		switch (opt) {
		case 'q':
			opts.full = false;
			break;
		case 'F':
			opts.full = true;
			break;
		case 'o':
			output = optarg;
			break;
		case 't':
			if (strchr(optarg, '.') == NULL) {
				err_set(&e, EXIT_USAGE, "usage: validate: --table %s: "
				    "expected SCHEMA.TABLE", optarg);
				goto usage;
			}
			only = xreallocarray(only, nonly + 1, sizeof *only);
			only[nonly++] = xstrdup(optarg);
			break;
		case 'j':
			if (parse_int64(optarg, &jobs) != 0 || jobs < 1 || jobs > 64) {
				err_set(&e, EXIT_USAGE, "usage: validate: --jobs %s: "
				    "expected 1 to 64", optarg);
				goto usage;
			}
			opts.jobs = (int)jobs;
			break;
		case 'h':
			print_command_help(stdout, cmd);
			rc = EXIT_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		goto usage;
	{
		/* After sequence_sync, a sequence behind is a failure. */
		struct state st;
		int k = state_load(&st, ctx->state_dir, &e);

		if (k < 0)
			goto usage;
		if (k == 0) {
			opts.sequences_synced =
			    st.phases[PHASE_SEQUENCE_SYNC].status == PS_DONE;
			opts.after_switch = st.switched;
			state_free(&st);
		}
	}
	opts.only = only;
	opts.nonly = nonly;
	opts.probe_lag = true;
	opts.progress = on_progress;
	opts.progress_arg = &run;
	run.tty = isatty(STDERR_FILENO);
	loop = loop_new();
	v = validation_start(loop, &ctx->cfg, NULL, &opts, on_done, &run);
	while (!run.done)
		loop_run_once(loop, 1000);
	rc = validation_exit_code(v);
	if (validation_save(v, ctx->state_dir, output, &saved, &e) != 0) {
		report_error(&e, cmd);
		rc = EXIT_RUNTIME;
	}
	print_summary(output != NULL && strcmp(output, "-") == 0 ? stderr : stdout,
	    v, opts.full);
	log_result(ctx, v, saved, opts.full);
	free(saved);
	validation_free(v);
	loop_free(loop);
	goto out;
usage:
	rc = report_error(&e, cmd);
out:
	for (i = 0; i < nonly; i++)
		free(only[i]);
	free(only);
	return rc;
}
