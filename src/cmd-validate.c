/* cmd-validate.c - `cutover validate`: the seven checks, headless. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "eventlog.h"
#include "jsonin.h"
#include "schema-diff.h"
#include "state.h"
#include "tablepat.h"
#include "validate.h"

#define SHOW_KEYS 10            /* differing keys printed per table */
#define SHOW_TABLES 20          /* failing tables printed per check */
#define SHOW_SCHEMA 40          /* schema differences printed */

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

static const char *
diff_words(const char *diff)
{
	if (diff == NULL)
		return "?";
	if (strcmp(diff, "changed") == 0)
		return "changed";
	if (strcmp(diff, "missing_on_target") == 0)
		return "missing on target";
	if (strcmp(diff, "extra_on_target") == 0)
		return "extra on target";
	return diff;
}

/* "id=4242" or "book=3, entry=e13". */
static void
print_key(FILE *f, const cJSON *key)
{
	const cJSON *it;
	bool first = true;

	cJSON_ArrayForEach(it, key) {
		fprintf(f, "%s%s=", first ? "" : ", ", it->string);
		if (cJSON_IsString(it))
			print_lines(f, it->valuestring, "");
		else
			fputs("NULL", f);
		first = false;
	}
}

/* Under a failing table check: the tables that failed, each with up to
 * SHOW_KEYS differing keys and their kind. */
static void
print_tables(FILE *f, const struct check_result *r)
{
	const cJSON *k;
	size_t i, shown = 0, bad = 0;

	for (i = 0; i < r->ntables; i++) {
		const struct table_result *t = &r->tables[i];
		int n = 0, total;

		if (t->status != CHECK_FAIL && t->status != CHECK_ERROR)
			continue;
		if (++bad > SHOW_TABLES)
			continue;
		shown++;
		fprintf(f, "      %s %s", check_status_name(t->status), t->table);
		if (t->detail != NULL) {
			fputs(": ", f);
			print_lines(f, t->detail, "        ");
		}
		fputc('\n', f);
		total = cJSON_GetArraySize(t->mismatched_keys);
		cJSON_ArrayForEach(k, t->mismatched_keys) {
			if (n++ >= SHOW_KEYS)
				break;
			fprintf(f, "        %-18s ", diff_words(json_str(k, "diff")));
			print_key(f, cJSON_GetObjectItemCaseSensitive(k, "key"));
			fputc('\n', f);
		}
		if (total > SHOW_KEYS)
			fprintf(f, "        ... and %d more (see the JSON)\n",
			    total - SHOW_KEYS);
	}
	if (bad > shown)
		fprintf(f, "      ... and %zu more tables (see the JSON)\n",
		    bad - shown);
}

/* Under the sequences check: those that failed or could not be read. */
static void
print_sequences(FILE *f, const struct check_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nsequences; i++) {
		const struct sequence_result *q = &r->sequences[i];

		if (q->status != CHECK_FAIL && q->status != CHECK_ERROR)
			continue;
		if (++n > SHOW_TABLES)
			continue;
		fprintf(f, "      %s %s", check_status_name(q->status), q->sequence);
		if (q->detail != NULL) {
			fputs(": ", f);
			print_lines(f, q->detail, "        ");
		}
		fputc('\n', f);
	}
	if (n > SHOW_TABLES)
		fprintf(f, "      ... and %zu more (see the JSON)\n",
		    n - SHOW_TABLES);
}

/* The differences, failures first. */
static void
print_schema(FILE *f, const struct check_result *cr)
{
	const struct schema_result *r = cr->schema;
	size_t i, n = 0, total = 0;
	int pass;

	if (r == NULL)
		return;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->nitems; i++) {
			const struct schema_item *d = &r->items[i];

			if ((d->status == CHECK_FAIL) != (pass == 0))
				continue;
			if (++total > SHOW_SCHEMA)
				continue;
			fprintf(f, "      %-4s %s %s: ", check_status_name(d->status),
			    schema_kind_name(d->kind), d->object);
			print_lines(f, d->detail, "        ");
			fputc('\n', f);
			n++;
		}
	if (total > n)
		fprintf(f, "      ... and %zu more (see the JSON)\n", total - n);
	for (i = 0; i < r->nuncarried; i++) {
		const struct schema_uncarried *u = &r->uncarried[i];

		fprintf(f, "      not carried: %s", u->object);
		if (u->bytes >= 0)
			fprintf(f, " (%.0f bytes)", (double)u->bytes);
		fputs(": ", f);
		print_lines(f, u->detail, "        ");
		fputc('\n', f);
	}
}

static void
print_summary(FILE *f, const struct validation *v, bool full)
{
	enum check_id c;
	int rc = validation_exit_code(v);

	if (rc == EXIT_RUNTIME) {
		/* Which check could not run, and why. */
		fprintf(f, "validation (%s): could not run (exit 3)", full ?
		    "full" : "quick");
		for (c = 0; c < CHK_COUNT; c++)
			if (validation_check_status(v, c) == CHECK_ERROR) {
				fprintf(f, ": %s: ", check_name(c));
				print_lines(f, validation_check_detail(v, c), "  ");
				break;
			}
		fputc('\n', f);
	} else {
		fprintf(f, "validation (%s): %s\n", full ? "full" : "quick",
		    validation_passed(v) ? "passed" : "FAILED");
	}
	for (c = 0; c < CHK_COUNT; c++) {
		const struct check_result *r = validation_result(v, c);

		fprintf(f, "  %-20s %-5s ", check_name(c),
		    check_status_name(r->status));
		print_lines(f, r->detail != NULL ? r->detail : "",
		    "                             ");
		fputc('\n', f);
		if ((c == CHK_ROW_COUNTS || c == CHK_CHECKSUMS) &&
		    (r->status == CHECK_FAIL || r->status == CHECK_ERROR))
			print_tables(f, r);
		if (c == CHK_SEQUENCES)
			print_sequences(f, r);
		if (c == CHK_SCHEMA)
			print_schema(f, r);
	}
}

static void
log_result(const struct ctx *ctx, const struct validation *v, const char *file,
    bool full)
{
	struct eventlog *log;
	struct err e = { 0, "" };
	cJSON *data = validation_event_data(v, file);

	if (eventlog_open(&log, ctx->state_dir, ctx->environment, &e) != 0 ||
	    eventlog_append(log, "check", NULL, data, &e, "validation %s: %s",
	    full ? "full" : "quick", validation_passed(v) ? "passed" : "failed") < 0)
		fprintf(stderr, "cutover: could not log the result: %s\n", e.msg);
	eventlog_close(log);
}

int
cmd_validate(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct validate_opts opts;
	struct validation *v;
	struct err e = { 0, "" };
	struct run run = { false, false };
	const char *output = NULL;
	char **only = NULL, *saved = NULL;
	size_t nonly = 0, i;
	struct loop *loop;
	int64_t jobs;
	int rc;

	memset(&opts, 0, sizeof opts);
	for (i = 0; i < a->n; i++) {
		const char *arg = a->v[i].value;

		switch (a->v[i].key) {
		case 'q':
			opts.full = false;
			break;
		case 'F':
			opts.full = true;
			break;
		case 'o':
			output = arg;
			break;
		case 't': {
			struct table_pattern pat;
			char why[256];

			if (table_pattern_parse(&pat, arg, why, sizeof why) != 0) {
				err_set(&e, EXIT_USAGE, "usage: validate: --table %s: %s",
				    arg, why);
				goto usage;
			}
			table_pattern_free(&pat);
		}
			only = xreallocarray(only, nonly + 1, sizeof *only);
			only[nonly++] = xstrdup(arg);
			break;
		case 'j':
			if (parse_int64(arg, &jobs) != 0 || jobs < 1 || jobs > 64) {
				err_set(&e, EXIT_USAGE, "usage: validate: --jobs %s: "
				    "expected 1 to 64", arg);
				goto usage;
			}
			opts.jobs = (int)jobs;
			break;
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
	if (validation_usage_error(v) != NULL) {
		/* Nothing was compared: no result to keep. */
		err_set(&e, EXIT_USAGE, "validate: %s", validation_usage_error(v));
		rc = report_error(&e, cmd);
		validation_free(v);
		loop_free(loop);
		goto out;
	}
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
