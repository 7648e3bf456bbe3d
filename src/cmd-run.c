/* cmd-run.c - `cutover run` and `cutover rollback`: the orchestrator
 * headless. Without --yes every phase is confirmed on the terminal (in
 * prod by typing the environment's name), the cut's five phases before
 * the fence (y or n to each, then the confirmation); --dry-run prints
 * every statement and changes nothing. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "eventlog.h"
#include "fileio.h"
#include "hooks.h"
#include "lock.h"
#include "metrics.h"
#include "monitor.h"
#include "orchestrator.h"
#include "provider.h"

struct headless {
	struct loop *loop;
	struct orch *orch;
	bool done;
	int exit_code;
	char *why;
	/* the pending question */
	bool asking;
	bool type_name;
	bool approve;             /* y/n approves a phase of the cut */
	char *environment;
	struct loop_io *stdin_io;
	struct strbuf line;
	struct eventlog *log;
	struct hooks *hooks;
	/* [metrics] listen: the figures /metrics shows, refreshed here. */
	struct monitor *mon;
	struct metrics_server *metrics;
	struct model model;        /* what /metrics shows */
	bool have_model;
};

/* The driver's appends: to the hooks, and to the view /metrics reads. */
static void
observe(const char *line, size_t len, void *arg)
{
	struct headless *h = arg;

	hooks_event(h->hooks, line, len);
	if (h->have_model)
		model_add_event_line(&h->model, line, len);
}

static void
say(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void
say(const char *fmt, ...)
{
	char ts[40];
	va_list ap;

	time_local(now_ms(), ts, sizeof ts);
	fprintf(stderr, "%s ", ts + 11);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_stdin(struct loop_io *io, int fd, int revents, void *arg)
{
	struct headless *h = arg;
	char buf[256];
	ssize_t n;
	char *nl;
	bool yes;

	(void)io;
	(void)revents;
	n = read(fd, buf, sizeof buf);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		loop_io_remove(h->stdin_io);
		h->stdin_io = NULL;
		h->asking = false;
		orch_answer(h->orch, false, "end of input");
		return;
	}
	sb_add(&h->line, buf, (size_t)n);
	if ((nl = memchr(h->line.buf, '\n', h->line.len)) == NULL)
		return;
	*nl = '\0';
	str_trim(h->line.buf);
	yes = h->type_name ? strcmp(h->line.buf, h->environment) == 0 :
	    strcmp(h->line.buf, "yes") == 0 || strcmp(h->line.buf, "y") == 0;
	if (h->approve && !yes && strcmp(h->line.buf, "n") != 0 &&
	    strcmp(h->line.buf, "no") != 0) {
		/* Neither: asked again, nothing is decided by a typo. */
		sb_reset(&h->line);
		fprintf(stdout, "y approves, n cancels the cut: ");
		fflush(stdout);
		return;
	}
	loop_io_remove(h->stdin_io);
	h->stdin_io = NULL;
	h->asking = false;
	{
		char how[300];

		snprintf(how, sizeof how, "typed \"%.200s\" on the terminal",
		    h->line.buf);
		sb_reset(&h->line);
		orch_answer(h->orch, yes, how);
	}
}

static void
ui_ask(struct orch *o, const struct orch_question *q, void *arg)
{
	struct headless *h = arg;

	(void)o;
	if (q->kind == Q_APPROVE) {
		/* The cut, approved phase by phase before the fence: its header
		 * once, then each phase's actions. */
		if (q->first)
			fprintf(stdout, "\n%s", q->intro != NULL ? q->intro : "");
		fprintf(stdout, "\n%s", q->detail != NULL ? q->detail : q->plan);
		fprintf(stdout, "%s: y approves, n cancels the cut [y/n] ",
		    q->title);
	} else {
		fprintf(stdout, "\n%s\n", q->title);
		fprintf(stdout, "%s", q->plan);
		if (q->warnings != NULL)
			fprintf(stdout, "WARNINGS:\n%s", q->warnings);
		if (q->type_name)
			fprintf(stdout, "Type the environment's name (%s) to go on: ",
			    q->environment);
		else
			fprintf(stdout, "Go on? [yes/no] ");
	}
	fflush(stdout);
	free(h->environment);
	h->environment = xstrdup(q->environment);
	h->type_name = q->type_name;
	h->approve = q->kind == Q_APPROVE;
	h->asking = true;
	sb_reset(&h->line);
	h->stdin_io = loop_io_add(h->loop, STDIN_FILENO, POLLIN, on_stdin, h);
}

/* The question was withdrawn (the switch timeout decided). */
static void
ui_unask(struct orch *o, void *arg)
{
	struct headless *h = arg;

	(void)o;
	if (h->stdin_io != NULL) {
		loop_io_remove(h->stdin_io);
		h->stdin_io = NULL;
	}
	h->asking = false;
	fprintf(stdout, "\n(the question is withdrawn: the switch timeout "
	    "decided)\n");
	fflush(stdout);
}

static void
ui_progress(struct orch *o, const char *line, void *arg)
{
	(void)o;
	(void)arg;
	say("%s", line);
}

static void
on_done(struct orch *o, int code, const char *why, void *arg)
{
	struct headless *h = arg;

	(void)o;
	h->done = true;
	h->exit_code = code;
	free(h->why);
	h->why = why != NULL ? xstrdup(why) : NULL;
}

static void
on_signal(int signo, void *arg)
{
	struct headless *h = arg;
	const struct state *st = orch_state(h->orch);

	say("%s received", signo == SIGINT ? "SIGINT" : "SIGTERM");
	(void)st;
	/* Never leave the source fenced behind: inside the write pause the
	 * live world decides what undoing means. */
	if (orch_interrupt(h->orch, signo == SIGINT ? "interrupted (SIGINT)" :
	    "terminated (SIGTERM)", on_done, h))
		say("the write pause is open: looking at the live world to go "
		    "back to the source");
	else
		say("stopping after the current step");
}

static const char *
hook_run_id(void *arg)
{
	struct headless *h = arg;

	return h->orch != NULL ? orch_state(h->orch)->run_id : NULL;
}

static void
hook_outcome(const struct hook_outcome *o, void *arg)
{
	struct headless *h = arg;

	hooks_log_outcome(h->log, o);
	if (!o->ok)
		say("hook %s for %s #%lld: %s", o->hook, o->kind,
		    (long long)o->seq, o->why);
}

static void
on_refreshed(struct monitor *m, void *arg)
{
	struct headless *h = arg;
	const struct state *st = h->orch != NULL ? orch_state(h->orch) : NULL;

	/* The next refresh reads the way the changes go now. */
	if (st != NULL)
		monitor_set_direction(m, st->replication, st->switched);
}

/* Brings the model up to date from the orchestrator for each page. */
static void
metrics_fill(struct model *v, void *arg)
{
	struct headless *h = arg;

	if (h->orch != NULL)
		orch_apply(h->orch, v, "run");
}

static int
start_metrics(struct headless *h, struct ctx *ctx, struct provider *prov,
    struct err *e)
{
	model_init(&h->model);
	h->have_model = true;
	model_set(&h->model.environment, ctx->environment);
	model_set(&h->model.provider, provider_name(ctx->cfg.provider));
	h->model.rehearsal = ctx->cfg.rehearsal;
	h->model.max_lag_seconds = ctx->cfg.max_lag_seconds;
	h->model.watchers = -1;
	if ((h->metrics = metrics_server_new(h->loop, ctx->cfg.metrics_listen,
	    &h->model, metrics_fill, h, e)) == NULL)
		return -1;
	h->mon = monitor_new(h->loop, &ctx->cfg, prov, &h->model);
	monitor_run(h->mon, 1000, on_refreshed, h);
	say("/metrics on http://%s/metrics", metrics_server_address(h->metrics));
	return 0;
}

static int
drive(struct ctx *ctx, const struct command *cmd, bool rollback, bool yes,
    bool dry_run, enum phase_id until)
{
	struct driver_lock *lock = NULL;
	struct eventlog *log = NULL;
	struct provider *prov = NULL;
	struct headless h;
	struct orch_ui ui = { ui_ask, NULL, ui_unask, ui_progress, NULL };
	struct orch_opts opts = { yes, dry_run, stdout };
	struct err e = { 0, "" };
	int rc;

	memset(&h, 0, sizeof h);
	sb_init(&h.line);
	if (!yes && !dry_run && !isatty(STDIN_FILENO)) {
		err_set(&e, EXIT_USAGE, "usage: %s: no terminal to confirm on; "
		    "use --yes to run without asking", cmd->name);
		return report_error(&e, cmd);
	}
	h.loop = loop_new();
	ui.arg = &h;
	if (!dry_run && driver_take(ctx, &lock, &log, &e) != 0)
		goto fail;
	h.log = log;
	if (log != NULL) {
		h.hooks = hooks_new(h.loop, &ctx->cfg, hook_run_id, hook_outcome,
		    &h);
		eventlog_observe(log, observe, &h);
	}
	if ((prov = provider_new(h.loop, &ctx->cfg, &e)) == NULL ||
	    (h.orch = orch_new(h.loop, &ctx->cfg, ctx->state_dir, log, prov, &ui,
	    &opts, &e)) == NULL)
		goto fail;
	if (!dry_run && ctx->cfg.metrics_listen != NULL &&
	    start_metrics(&h, ctx, prov, &e) != 0)
		goto fail;
	if (!dry_run) {
		loop_signal(h.loop, SIGINT, on_signal, &h);
		loop_signal(h.loop, SIGTERM, on_signal, &h);
	}
	if (rollback)
		orch_rollback(h.orch, "requested by the operator (cutover rollback)",
		    on_done, &h);
	else
		orch_run(h.orch, until, on_done, &h);
	while (!h.done)
		if (loop_run_once(h.loop, 1000) < 0)
			break;
	rc = h.exit_code;
	/* The last events' notifications go out before we do, within a
	 * hook's timeout. */
	hooks_drain(h.hooks, (int64_t)(ctx->cfg.hooks_timeout_seconds * 1000) +
	    HOOKS_DRAIN_MS);
	if (h.why != NULL)
		say("%s: %s", rc == EXIT_OK ? "done" : "stopped", h.why);
	else if (!dry_run)
		say("done: %s %s", phase_name(orch_state(h.orch)->phase),
		    phase_status_name(orch_state(h.orch)->phase_status));
	goto out;
fail:
	rc = report_error(&e, cmd);
out:
	if (log != NULL)
		eventlog_observe(log, NULL, NULL);
	hooks_free(h.hooks);
	metrics_server_free(h.metrics);
	if (h.mon != NULL)
		monitor_free(h.mon);
	if (h.have_model)
		model_clear(&h.model);
	orch_free(h.orch);
	provider_free(prov);
	eventlog_close(log);
	lock_release(lock);
	loop_free(h.loop);
	free(h.why);
	free(h.environment);
	sb_free(&h.line);
	return rc;
}

int
cmd_run(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct err e = { 0, "" };
	int until = PHASE_POST_VALIDATION;

	if (args_get(a, 'u') != NULL &&
	    (until = phase_from_name(args_get(a, 'u'))) < 0) {
		err_set(&e, EXIT_USAGE, "usage: run: --until %s: not a phase "
		    "(pre_validation, sync_wait, drain, final_sync, "
		    "stop_replication, sequence_sync, switch, post_validation)",
		    args_get(a, 'u'));
		return report_error(&e, cmd);
	}
	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	return drive(ctx, cmd, false, args_has(a, 'y'), args_has(a, 'n'),
	    (enum phase_id)until);
}

int
cmd_rollback(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct err e = { 0, "" };

	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	return drive(ctx, cmd, true, args_has(a, 'y'), args_has(a, 'n'),
	    PHASE_POST_VALIDATION);
}
