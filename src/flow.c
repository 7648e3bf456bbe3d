/* flow.c - asynchronous step sequences; see flow.h. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static void run(struct flow *f, PGresult *prev);

static void
finish(struct flow *f, int rc)
{
	if (f->timer != NULL)
		loop_timer_cancel(f->timer);
	f->done(f, rc, &f->e, f->done_arg);
	free(f);
}

static void
on_result(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct flow *f = arg;

	f->querying = NULL;
	f->answered = c;
	if (res == NULL) {
		err_set(&f->e, EXIT_RUNTIME, "%s", error);
		finish(f, -1);
		return;
	}
	if (f->on_answer != NULL)
		f->on_answer(f);
	f->pc++;
	run(f, res);
}

static void
on_timer(struct loop_timer *t, void *arg)
{
	struct flow *f = arg;

	(void)t;
	f->timer = NULL;
	run(f, NULL);
}

static void
run(struct flow *f, PGresult *prev)
{
	int rc;

	for (;;) {
		if (f->steps[f->pc] == NULL) {
			finish(f, 0);
			return;
		}
		rc = f->steps[f->pc](f, prev);
		prev = NULL;
		switch (rc) {
		case FLOW_NEXT:
			f->pc++;
			f->poll_since = 0;
			continue;
		case FLOW_QUERY:
		case FLOW_WAIT:
			return;
		case FLOW_DONE:
			finish(f, 0);
			return;
		default:
			if (f->e.msg[0] == '\0')
				err_set(&f->e, EXIT_RUNTIME, "step %d failed", f->pc);
			finish(f, -1);
			return;
		}
	}
}

struct flow *
flow_start(struct loop *loop, const flow_step *steps, void *ctx,
    flow_done_fn done, void *arg)
{
	struct flow *f = xcalloc(1, sizeof *f);

	f->loop = loop;
	f->steps = steps;
	f->ctx = ctx;
	f->done = done;
	f->done_arg = arg;
	f->started_ms = mono_ms();
	f->timer = loop_timer_add(loop, 0, on_timer, f);
	return f;
}

void
flow_cancel(struct flow *f)
{
	if (f == NULL)
		return;
	if (f->timer != NULL)
		loop_timer_cancel(f->timer);
	if (f->querying != NULL)
		pg_forget(f->querying, f);
	free(f);
}

int
flow_query(struct flow *f, struct pg *c, const char *sql, int nparams,
    const char *const *params)
{
	f->querying = c;
	pg_query(c, sql, nparams, params, on_result, f);
	return FLOW_QUERY;
}

int
flow_query_simple(struct flow *f, struct pg *c, const char *sql)
{
	f->querying = c;
	pg_query_simple(c, sql, on_result, f);
	return FLOW_QUERY;
}

PGresult *
flow_keep(struct flow *f)
{
	return f->answered != NULL ? pg_take_result(f->answered) : NULL;
}

int
flow_wait_external(struct flow *f)
{
	(void)f;
	return FLOW_WAIT;
}

void
flow_continue(struct flow *f, int rc, const struct err *e)
{
	if (rc != 0) {
		f->e = *e;
		finish(f, -1);
		return;
	}
	if (f->on_answer != NULL)
		f->on_answer(f);
	f->pc++;
	f->poll_since = 0;
	run(f, NULL);
}

int
flow_back(struct flow *f, int n, int64_t delay_ms)
{
	if (f->poll_since == 0)
		f->poll_since = mono_ms();
	f->pc -= n;
	if (f->pc < 0)
		f->pc = 0;
	f->timer = loop_timer_add(f->loop, delay_ms, on_timer, f);
	return FLOW_WAIT;
}

int
flow_fail(struct flow *f, int code, const char *fmt, ...)
{
	va_list ap;

	f->e.code = code;
	va_start(ap, fmt);
	vsnprintf(f->e.msg, sizeof f->e.msg, fmt, ap);
	va_end(ap);
	return FLOW_FAIL;
}

int64_t
flow_waited(const struct flow *f)
{
	return f->poll_since == 0 ? 0 : mono_ms() - f->poll_since;
}

struct run_wait {
	bool done;
	int rc;
	struct err *e;
};

static void
run_done(struct flow *f, int rc, const struct err *e, void *arg)
{
	struct run_wait *w = arg;

	(void)f;
	w->done = true;
	w->rc = rc;
	if (rc != 0)
		*w->e = *e;
}

int
flow_run(struct loop *loop, const flow_step *steps, void *ctx, struct err *e)
{
	static bool running;
	struct run_wait w = { false, 0, e };
	struct flow *f;

	/* A nested run would dispatch callbacks of the outer flow's loop
	 * pass from inside one of them: a bug, not a condition to handle. */
	if (running) {
		fprintf(stderr, "cutover: internal error: flow_run nested\n");
		abort();
	}
	running = true;
	f = flow_start(loop, steps, ctx, run_done, &w);
	while (!w.done)
		if (loop_run_once(loop, 1000) < 0) {
			flow_cancel(f);
			running = false;
			return err_set(e, EXIT_RUNTIME, "the event loop failed: %s",
			    strerror(errno));
		}
	running = false;
	return w.rc;
}
