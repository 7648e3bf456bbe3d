/* cmd-log.c - `cutover log`: print, follow and verify the event log. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "eventlog.h"
#include "state.h"

struct log_print {
	bool json;
	bool color;
	int64_t lineno;
};

static const char *
kind_color(const char *kind)
{
	if (str_endswith(kind, ".failed") || str_startswith(kind, "error") ||
	    str_startswith(kind, "rollback"))
		return "\033[31m";
	if (str_endswith(kind, ".done") || str_endswith(kind, ".started"))
		return "\033[32m";
	if (strcmp(kind, "action") == 0 || str_startswith(kind, "operator"))
		return "\033[33m";
	return "";
}

static void
print_line(const char *line, size_t len, void *arg)
{
	struct log_print *lp = arg;
	char local[40];
	const char *why, *color;
	struct event ev;
	int64_t ms;

	lp->lineno++;
	if (lp->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
		fflush(stdout);
		return;
	}
	if (event_parse(line, len, &ev, &why) != 0) {
		printf("?? line %lld: not a valid event (%s)\n",
		    (long long)lp->lineno, why);
		fflush(stdout);
		return;
	}
	ms = time_parse_rfc3339(ev.ts);
	if (ms >= 0)
		time_local(ms, local, sizeof local);
	else
		snprintf(local, sizeof local, "%s", ev.ts);
	color = lp->color ? kind_color(ev.kind) : "";
	printf("%s %5lld %s%-18s%s %-16s %-24s %s\n", local, (long long)ev.seq,
	    color, ev.kind, *color != '\0' ? "\033[0m" : "",
	    ev.phase != NULL ? ev.phase : "-", ev.actor, ev.msg);
	fflush(stdout);
	event_free(&ev);
}

static int
log_verify(const char *dir, const char *path)
{
	struct verify_result r;
	struct err e = { 0, "" };
	struct state st;
	int64_t anchor = 0;
	char hash[65] = "";
	int rc;

	/* state.json anchors the log's end (when it is there and readable). */
	if (state_load(&st, dir, &e) == 0) {
		anchor = st.log_seq;
		memcpy(hash, st.log_hash, sizeof hash);
		state_free(&st);
	}
	rc = eventlog_verify_anchored(path, anchor, anchor > 0 ? hash : NULL, &r,
	    &e);
	if (rc < 0)
		return report_error(&e, NULL);
	if (rc == 0) {
		printf("%s: %lld events, hash chain intact\n", path,
		    (long long)r.lines);
		return EXIT_OK;
	}
	printf("%s:%lld: chain broken at seq %lld: %s\n", path,
	    (long long)r.bad_line, (long long)r.bad_seq, r.why);
	printf("%s: %lld events verified before the break\n", path,
	    (long long)r.lines);
	return EXIT_CHECK;
}

int
cmd_log(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct eventlog_reader rd;
	struct log_print lp = { false, false, 0 };
	struct err e = { 0, "" };
	bool follow = args_has(a, 'f'), verify = args_has(a, 'v');
	struct stat st;
	char *path;
	int rc;

	lp.json = args_has(a, 'j');
	if (verify && (follow || lp.json)) {
		err_set(&e, EXIT_USAGE, "usage: log: --verify cannot be combined with --follow or --json");
		return report_error(&e, cmd);
	}
	if (ctx_setup(ctx, ctx->g.state_dir != NULL ? CONFIG_NONE :
	    CONFIG_OPTIONAL, &e) != 0)
		return report_error(&e, cmd);
	if (stat(ctx->state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		err_set(&e, EXIT_USAGE, "%s: no such state directory", ctx->state_dir);
		return report_error(&e, cmd);
	}
	path = xasprintf("%s/%s", ctx->state_dir, EVENTLOG_FILE);
	if (verify) {
		rc = log_verify(ctx->state_dir, path);
		free(path);
		return rc;
	}
	lp.color = ctx->color && isatty(STDOUT_FILENO);
	if (eventlog_reader_open(&rd, path) != 0 && (errno != ENOENT || !follow)) {
		err_set(&e, errno == ENOENT ? EXIT_USAGE : EXIT_RUNTIME,
		    "%s: %s", path, errno == ENOENT ?
		    "no event log (no run has started in this state directory)" :
		    strerror(errno));
		free(path);
		eventlog_reader_close(&rd);
		return report_error(&e, cmd);
	}
	free(path);
	rc = EXIT_OK;
	for (;;) {
		if (eventlog_reader_poll(&rd, print_line, &lp) < 0) {
			err_set(&e, EXIT_RUNTIME, "%s: %s", rd.path, strerror(errno));
			rc = report_error(&e, cmd);
			break;
		}
		if (!follow)
			break;
		usleep(200000);
	}
	eventlog_reader_close(&rd);
	return rc;
}
