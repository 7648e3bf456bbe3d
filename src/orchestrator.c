/* orchestrator.c - the engine that runs phases and rollbacks step by
 * step; the steps themselves are in step-*.c. See orchestrator.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "orch-internal.h"
#include "report.h"

static void next_step(struct orch *o);
static void rollback_finished(struct orch *o);
static void run_phase(struct orch *o, enum phase_id p);
static void start_rollback(struct orch *o, const char *reason);
static void finish(struct orch *o, int code, const char *why);

/* ----------------------------------------------------------- logging */

int
orch_log(struct orch *o, const char *kind, cJSON *data, struct err *e,
    const char *fmt, ...)
{
	struct strbuf msg;
	const char *phase = NULL;
	va_list ap;
	int64_t seq;

	if (o->opts.dry_run) {
		cJSON_Delete(data);
		return 0;
	}
	if (o->phase != NULL)
		phase = phase_name(o->phase->id);
	else if (o->rolling_back || o->busy)
		phase = phase_name(o->st.phase);
	sb_init(&msg);
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	seq = eventlog_append(o->log, kind, phase, data, e, "%s",
	    msg.buf != NULL ? msg.buf : "");
	sb_free(&msg);
	return seq < 0 ? -1 : 0;
}

static cJSON *
step_data(struct orch *o, const char *detail)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "step", o->step != NULL ? o->step->name : "?");
	cJSON_AddNumberToObject(d, "attempt", o->st.attempt);
	if (o->rolling_back)
		cJSON_AddTrueToObject(d, "rollback");
	if (detail != NULL)
		cJSON_AddStringToObject(d, "detail", detail);
	return d;
}

/* Logs the outcome of the action taken last, once it has answered. */
static int
settle_action(struct orch *o, struct err *e)
{
	cJSON *d;
	int rc;

	if (o->act_what == NULL)
		return 0;
	d = step_data(o, o->act_detail);
	cJSON_AddNumberToObject(d, "ms", (double)(mono_ms() - o->act_t0));
	rc = orch_log(o, "action.done", d, e, "done: %s", o->act_what);
	free(o->act_what);
	free(o->act_detail);
	o->act_what = o->act_detail = NULL;
	return rc;
}

static void
forget_action(struct orch *o)
{
	free(o->act_what);
	free(o->act_detail);
	o->act_what = o->act_detail = NULL;
}

static void
on_flow_answer(struct flow *f)
{
	settle_action(O(f), NULL);
}

int
orch_act(struct flow *f, const char *what, const char *detail)
{
	struct orch *o = O(f);

	if (settle_action(o, &f->e) != 0 ||
	    orch_log(o, "action", step_data(o, detail), &f->e, "%s", what) != 0)
		return FLOW_FAIL;
	o->act_what = xstrdup(what);
	o->act_detail = detail != NULL ? xstrdup(detail) : NULL;
	o->act_t0 = mono_ms();
	orch_progress(o, "%s", what);
	return 0;
}

int
orch_act_sql(struct flow *f, struct pg *c, const char *what, const char *sql)
{
	if (orch_act(f, what, sql) != 0)
		return FLOW_FAIL;
	return flow_query_simple(f, c, sql);
}

int
orch_already(struct flow *f, const char *what)
{
	struct orch *o = O(f);

	if (orch_log(o, "check", step_data(o, NULL), &f->e, "already done: %s",
	    what) != 0)
		return FLOW_FAIL;
	return 0;
}

int
orch_state_save(struct orch *o, struct err *e)
{
	if (o->opts.dry_run)
		return 0;
	/* The log's end as it is now: `log --verify` finds it cut short. */
	if (o->log != NULL)
		eventlog_last(o->log, &o->st.log_seq, o->st.log_hash);
	return state_save(&o->st, o->state_dir, e);
}

int
orch_save(struct flow *f)
{
	return orch_state_save(O(f), &f->e) != 0 ? FLOW_FAIL : 0;
}

void
orch_progress(struct orch *o, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;

	if (o->ui.progress == NULL)
		return;
	sb_init(&sb);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	o->ui.progress(o, sb.buf != NULL ? sb.buf : "", o->ui.arg);
	sb_free(&sb);
}

void
orch_changed(struct orch *o)
{
	if (o->ui.changed != NULL)
		o->ui.changed(o, o->ui.arg);
}

static int
save(struct orch *o, struct err *e)
{
	return orch_state_save(o, e);
}

/* ------------------------------------------------------- connections */

static void
connections_open(struct orch *o)
{
	const struct config *c = o->cfg;
	struct pg_opts so = { c->source_conninfo, "source", 30000, 0, 0,
	    false, false };
	struct pg_opts to = { c->target_conninfo, "target", 30000, 0, 0,
	    false, false };
	struct pg_opts bo = { c->pgbouncer_admin, "pgbouncer", 0,
	    (int)(c->drain_wait_seconds * 1000) + 30000, 0, true, false };

	o->src = pg_new(o->loop, &so);
	o->dst = pg_new(o->loop, &to);
	o->bouncer = c->pgbouncer_admin != NULL ? pg_new(o->loop, &bo) : NULL;
}

static void
connections_close(struct orch *o)
{
	if (o->hb != NULL) {
		heartbeat_stop(o->hb);
		o->hb = NULL;
	}
	pg_free(o->src);
	pg_free(o->dst);
	pg_free(o->bouncer);
	o->src = o->dst = o->bouncer = NULL;
}

/* After an abandoned step a query may still hang on a connection (a
 * PAUSE waiting, a server gone): the rollback starts on fresh ones. */
static void
connections_renew(struct orch *o)
{
	orch_heartbeat(o, false);
	pg_close_failing(o->src, "abandoned for a rollback");
	pg_close_failing(o->dst, "abandoned for a rollback");
	pg_close_failing(o->bouncer, "abandoned for a rollback");
	o->src = o->dst = o->bouncer = NULL;
	connections_open(o);
}

/* ------------------------------------------------------ child process */

/* Reaps the switch command only: other children (a credential_process,
 * the lab's helpers) belong to whoever started them. */
void
orch_child_reap(struct orch *o)
{
	int status;

	if (o->child <= 0 || o->child_exited)
		return;
	if (waitpid(o->child, &status, WNOHANG) == o->child) {
		o->child_status = status;
		o->child_exited = true;
	}
}

static void
on_sigchld(int signo, void *arg)
{
	(void)signo;
	orch_child_reap(arg);
}

static void
kill_child(struct orch *o)
{
	if (o->child > 0 && !o->child_exited) {
		int status;

		kill(-o->child, SIGTERM);
		kill(o->child, SIGTERM);
		usleep(100000);
		kill(-o->child, SIGKILL);
		kill(o->child, SIGKILL);
		while (waitpid(o->child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (o->child_io != NULL) {
		close(loop_io_fd(o->child_io));
		loop_io_remove(o->child_io);
		o->child_io = NULL;
	}
	if (o->child_timer != NULL) {
		loop_timer_cancel(o->child_timer);
		o->child_timer = NULL;
	}
	o->child = 0;
}

/* ------------------------------------------------------ step scratch */

static void
scratch_reset(struct orch *o)
{
	o->k = 0;
	o->t0 = mono_ms();
	if (o->saved != NULL) {
		PQclear(o->saved);
		o->saved = NULL;
	}
	if (o->aux_timer != NULL) {
		loop_timer_cancel(o->aux_timer);
		o->aux_timer = NULL;
	}
	if (o->validation != NULL) {
		validation_free(o->validation);
		o->validation = NULL;
	}
	o->gate_active = false;
	kill_child(o);
	sb_free(&o->child_out);
	o->child_exited = o->child_eof = false;
}

/* Abandons the running step (timeout, rollback hotkey). */
static void
abandon_step(struct orch *o)
{
	forget_action(o);
	if (o->flow != NULL) {
		flow_cancel(o->flow);
		o->flow = NULL;
	}
	scratch_reset(o);
	o->step = NULL;
}

/* ----------------------------------------------------- switch timeout */

static void
on_switch_timeout(struct loop_timer *t, void *arg)
{
	struct orch *o = arg;
	char why[160];

	(void)t;
	o->switch_timer = NULL;
	if (o->rolling_back || o->st.switched || o->st.fenced_at == 0)
		return;
	snprintf(why, sizeof why, "switch timeout: %.0f s passed since the "
	    "fence without a completed switch", o->cfg->switch_timeout_seconds);
	orch_log(o, "switch.timeout", NULL, NULL, "%s", why);
	abandon_step(o);
	connections_renew(o);
	o->phase = NULL;
	start_rollback(o, why);
}

static void
arm_switch_timer(struct orch *o)
{
	int64_t left;

	if (o->switch_timer != NULL) {
		loop_timer_cancel(o->switch_timer);
		o->switch_timer = NULL;
	}
	if (o->st.fenced_at == 0 || o->st.switched || o->opts.dry_run)
		return;
	left = o->st.fenced_at + (int64_t)(o->cfg->switch_timeout_seconds *
	    1000) - now_ms();
	o->switch_timer = loop_timer_add(o->loop, left > 0 ? left : 0,
	    on_switch_timeout, o);
}

void
orch_switch_window_changed(struct orch *o)
{
	arm_switch_timer(o);
}

/* ------------------------------------------------------ lag samples */

static void sample_tick(struct loop_timer *t, void *arg);

static void
on_sample(const struct heartbeat_reading *r, void *arg)
{
	struct orch *o = arg;
	struct err e = { 0, "" };
	double e2e = r->writer_active ? r->lag_seconds : NAN;

	o->sampling = false;
	if (o->opts.dry_run)
		return;
	if (!isnan(e2e) || o->st.replication != REPL_FORWARD)
		lag_sample_append(o->state_dir, now_ms(), e2e,
		    o->prov->status.lag_target, &e);
	if (!isnan(r->lag_seconds) && !o->gate_active)
		o->gate.lag_e2e = e2e;
}

static void
sample_tick(struct loop_timer *t, void *arg)
{
	struct orch *o = arg;

	(void)t;
	o->sampler = loop_timer_add(o->loop, 1000, sample_tick, o);
	if (!o->busy || o->sampling || o->opts.dry_run)
		return;
	if (o->st.replication != REPL_FORWARD || o->st.switched) {
		struct heartbeat_reading none;

		memset(&none, 0, sizeof none);
		none.lag_seconds = NAN;
		on_sample(&none, o);
		return;
	}
	o->sampling = true;
	heartbeat_read(o->src, o->dst, on_sample, o);
}

/* ------------------------------------------------------------ asking */

void
orch_heartbeat(struct orch *o, bool on)
{
	if (on && o->hb == NULL && !o->opts.dry_run)
		o->hb = heartbeat_start(o->loop, o->src, 1000);
	if (!on && o->hb != NULL) {
		heartbeat_stop(o->hb);
		o->hb = NULL;
	}
}

static void
ask(struct orch *o, const char *title, const char *plan, const char *warnings,
    enum danger danger, enum phase_id phase, bool rollback,
    void (*on_answer)(struct orch *, bool))
{
	struct orch_question q;

	free(o->q_title);
	free(o->q_plan);
	free(o->q_warnings);
	o->q_title = xstrdup(title);
	o->q_plan = xstrdup(plan);
	o->q_warnings = warnings != NULL ? xstrdup(warnings) : NULL;
	o->on_answer = on_answer;
	if (o->opts.yes) {
		orch_answer(o, true, "--yes");
		return;
	}
	o->asking = true;
	memset(&q, 0, sizeof q);
	q.title = o->q_title;
	q.plan = o->q_plan;
	q.warnings = o->q_warnings;
	q.danger = danger;
	q.type_name = strcmp(o->cfg->environment, "prod") == 0;
	q.environment = o->cfg->environment;
	q.phase = phase;
	q.rollback = rollback;
	o->ui.ask(o, &q, o->ui.arg);
}

void
orch_ask(struct orch *o, const char *title, const char *plan,
    const char *warnings, enum danger danger,
    void (*on_answer)(struct orch *o, bool yes))
{
	ask(o, title, plan, warnings, danger, o->st.phase, false, on_answer);
}

void
orch_answer(struct orch *o, bool yes, const char *how)
{
	void (*fn)(struct orch *, bool) = o->on_answer;
	cJSON *d = cJSON_CreateObject();

	o->asking = false;
	o->on_answer = NULL;
	cJSON_AddStringToObject(d, "question", o->q_title != NULL ? o->q_title : "");
	cJSON_AddStringToObject(d, "how", how != NULL ? how : "");
	orch_log(o, yes ? "operator.confirm" : "operator.decline", d, NULL,
	    "%s: %s (%s)", o->q_title != NULL ? o->q_title : "?",
	    yes ? "yes" : "no", how != NULL ? how : "");
	if (fn != NULL)
		fn(o, yes);
}

/* ------------------------------------------------------------- plans */

static bool
step_applies(struct orch *o, const struct step *s)
{
	return s->applies == NULL || s->applies(o);
}

static void
describe_steps(struct orch *o, const struct step *const *steps,
    struct strbuf *out)
{
	size_t i;

	for (i = 0; steps[i] != NULL; i++)
		if (step_applies(o, steps[i]) && steps[i]->describe != NULL)
			steps[i]->describe(o, out);
}

char *
orch_describe_phase(struct orch *o, enum phase_id p)
{
	struct strbuf sb;

	sb_init(&sb);
	describe_steps(o, orch_phases[p].steps, &sb);
	return sb_detach(&sb);
}

char *
orch_describe_rollback(struct orch *o)
{
	struct strbuf sb;

	sb_init(&sb);
	describe_steps(o, orch_rollback_steps, &sb);
	if (sb.len == 0)
		sb_puts(&sb, "nothing to undo: the source is writable and forward "
		    "replication runs\n");
	return sb_detach(&sb);
}

/* ------------------------------------------------------------- steps */

static void
on_step_done(struct flow *f, int rc, const struct err *e, void *arg)
{
	struct orch *o = arg;
	const struct step *s = o->step;
	struct err se = { 0, "" };
	char why[1100];

	(void)f;
	o->flow = NULL;
	scratch_reset(o);
	if (rc == 0)
		settle_action(o, NULL);
	else
		forget_action(o);	/* its outcome is the action.failed below */
	if (rc == 0) {
		/* The state file is replaced after every step. */
		if (save(o, &se) != 0) {
			finish(o, EXIT_RUNTIME, se.msg);
			return;
		}
		orch_changed(o);
		if (o->abort_asked && !o->rolling_back) {
			finish(o, EXIT_ABORTED, "aborted by the operator");
			return;
		}
		o->step_index++;
		next_step(o);
		return;
	}
	snprintf(why, sizeof why, "%s: %s", s != NULL ? s->name : "?", e->msg);
	orch_log(o, "action.failed", step_data(o, e->msg), NULL, "%s", why);
	o->step = NULL;
	if (o->rolling_back) {
		orch_log(o, "rollback.failed", NULL, NULL,
		    "the rollback stopped: %s; run `cutover rollback` again once "
		    "the cause is fixed", why);
		finish(o, EXIT_RUNTIME, why);
		return;
	}
	if (o->phase != NULL) {
		enum phase_id p = o->phase->id;

		o->st.phases[p].status = PS_FAILED;
		o->st.phase_status = PS_FAILED;
		orch_log(o, "phase.failed", NULL, NULL, "%s failed: %s",
		    phase_name(p), why);
		save(o, &se);
		/* Between the fence and the switch a failure undoes itself. */
		if (o->st.fenced || p == PHASE_DRAIN || p == PHASE_SWITCH) {
			o->phase = NULL;
			connections_renew(o);
			start_rollback(o, why);
			return;
		}
		finish(o, e->code == EXIT_CHECK ? EXIT_CHECK : EXIT_RUNTIME, why);
		return;
	}
	finish(o, EXIT_RUNTIME, why);
}

static void
next_step(struct orch *o)
{
	const struct step *s;

	while ((s = o->steps[o->step_index]) != NULL && !step_applies(o, s))
		o->step_index++;
	if (s == NULL) {
		o->step = NULL;
		if (o->rolling_back) {
			rollback_finished(o);
			finish(o, o->exit_code, o->why);
			return;
		}
		/* The phase's steps are done. */
		{
			enum phase_id p = o->phase->id;
			struct err e = { 0, "" };

			o->st.phases[p].status = PS_DONE;
			o->st.phases[p].finished_at = now_ms();
			if (p == PHASE_POST_VALIDATION) {
				o->st.phase_status = PS_DONE;
				o->st.completed = true;
			} else {
				o->st.phase = p + 1;
				o->st.phase_status = PS_PENDING;
			}
			if (orch_log(o, "phase.done", NULL, &e, "%s done in %.1f s",
			    phase_name(p), (double)(o->st.phases[p].finished_at -
			    o->st.phases[p].started_at) / 1000.0) != 0 ||
			    save(o, &e) != 0) {
				finish(o, EXIT_RUNTIME, e.msg);
				return;
			}
			o->phase = NULL;
			orch_changed(o);
			if (p >= o->until || p == PHASE_POST_VALIDATION) {
				finish(o, EXIT_OK, NULL);
				return;
			}
			run_phase(o, p + 1);
		}
		return;
	}
	o->step = s;
	scratch_reset(o);
	orch_changed(o);
	o->flow = flow_start(o->loop, s->flow, o, on_step_done, o);
	o->flow->on_answer = on_flow_answer;
}

/* ------------------------------------------------------------ phases */

static void
phase_answer(struct orch *o, bool yes)
{
	enum phase_id p = o->st.phase;
	struct err e = { 0, "" };
	cJSON *d;

	if (!yes) {
		finish(o, EXIT_ABORTED, "the operator declined");
		return;
	}
	o->phase = &orch_phases[p];
	if (o->st.phases[p].started_at == 0)
		o->st.phases[p].started_at = now_ms();
	o->st.phases[p].status = PS_RUNNING;
	o->st.phase_status = PS_RUNNING;
	d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "attempt", o->st.attempt);
	if (!isnan(o->gate.lag_e2e))
		cJSON_AddNumberToObject(d, "lag_seconds", o->gate.lag_e2e);
	if (save(o, &e) != 0 || orch_log(o, "phase.started", d, &e,
	    "%s: %s", phase_name(p), o->phase->title) != 0) {
		finish(o, EXIT_RUNTIME, e.msg);
		return;
	}
	o->steps = o->phase->steps;
	o->step_index = 0;
	next_step(o);
}

static void
run_phase(struct orch *o, enum phase_id p)
{
	char title[160], *plan;

	if (p > o->until) {
		finish(o, EXIT_OK, NULL);
		return;
	}
	if (o->abort_asked) {
		finish(o, EXIT_ABORTED, "aborted by the operator");
		return;
	}
	o->st.phase = p;
	snprintf(title, sizeof title, "%s phase %d/8: %s — %s",
	    o->st.phase_status == PS_RUNNING ? "Resume" : "Run", (int)p + 1,
	    phase_name(p), orch_phases[p].title);
	plan = orch_describe_phase(o, p);
	if (o->opts.dry_run) {
		fprintf(o->opts.dry_run_out, "== %s\n%s\n", title, plan);
		free(plan);
		o->st.phase = p;
		if (p >= o->until || p == PHASE_POST_VALIDATION) {
			finish(o, EXIT_OK, NULL);
			return;
		}
		run_phase(o, p + 1);
		return;
	}
	ask(o, title, plan, NULL, orch_phases[p].danger, p, false, phase_answer);
	free(plan);
}

/* ----------------------------------------------------------- rollback */

static void
rollback_finished(struct orch *o)
{
	struct err e = { 0, "" };
	int p;

	for (p = PHASE_DRAIN; p <= (int)o->st.phase && p < PHASE_COUNT; p++)
		if (o->st.phases[p].status != PS_PENDING)
			o->st.phases[p].status = PS_ROLLED_BACK;
	o->st.phase_status = PS_ROLLED_BACK;
	o->st.armed = false;
	o->st.completed = false;
	free(o->st.rollback_reason);
	o->st.rollback_reason = NULL;
	if (save(o, &e) != 0 || orch_log(o, "rollback.done", NULL, &e,
	    "rolled back: the source is writable and forward replication "
	    "runs") != 0) {
		o->exit_code = EXIT_RUNTIME;
		free(o->why);
		o->why = xstrdup(e.msg);
	}
}

static void
start_rollback(struct orch *o, const char *reason)
{
	struct err e = { 0, "" };
	cJSON *d = cJSON_CreateObject();
	char *r = xstrdup(reason);	/* reason may be o->why itself */

	o->rolling_back = true;
	o->busy = true;
	o->exit_code = EXIT_ABORTED;
	free(o->why);
	o->why = r;
	reason = r;
	if (o->st.rollback_reason == NULL)
		o->st.rollback_reason = xstrdup(reason);
	cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddBoolToObject(d, "fenced", o->st.fenced);
	cJSON_AddBoolToObject(d, "switched", o->st.switched);
	cJSON_AddStringToObject(d, "replication",
	    repl_direction_name(o->st.replication));
	if (save(o, &e) != 0 || orch_log(o, "rollback.started", d, &e,
	    "rollback from %s: %s", phase_name(o->st.phase), reason) != 0) {
		finish(o, EXIT_RUNTIME, e.msg);
		return;
	}
	if (o->switch_timer != NULL) {
		loop_timer_cancel(o->switch_timer);
		o->switch_timer = NULL;
	}
	o->steps = orch_rollback_steps;
	o->step_index = 0;
	next_step(o);
}

static void
rollback_answer(struct orch *o, bool yes)
{
	if (!yes) {
		finish(o, EXIT_ABORTED, "the operator declined the rollback");
		return;
	}
	start_rollback(o, o->why != NULL ? o->why : "requested by the operator");
}

static bool
nothing_to_undo(const struct orch *o)
{
	return !o->st.fenced && !o->st.switched && !o->st.target_fenced &&
	    o->st.replication == REPL_FORWARD && o->st.rollback_reason == NULL;
}

void
orch_rollback(struct orch *o, const char *reason, orch_done_fn done,
    void *arg)
{
	char *plan;

	if (o->rolling_back) {
		/* Already rolling back: the caller waits for the same end. */
		o->done = done;
		o->done_arg = arg;
		return;
	}
	if (o->busy) {
		/* The rollback hotkey during a phase: that phase stops here. */
		orch_log(o, "operator.abort", NULL, NULL,
		    "the running step %s is abandoned for a rollback",
		    o->step != NULL ? o->step->name : "-");
		abandon_step(o);
		connections_renew(o);
		o->phase = NULL;
	}
	o->busy = true;
	o->done = done;
	o->done_arg = arg;
	free(o->why);
	o->why = xstrdup(reason != NULL ? reason : "requested by the operator");
	if (nothing_to_undo(o)) {
		orch_log(o, "check", NULL, NULL, "rollback: nothing to undo");
		if (o->st.armed) {
			struct err e = { 0, "" };

			orch_disarm(o, &e);
		}
		finish(o, EXIT_OK, "nothing to undo");
		return;
	}
	plan = orch_describe_rollback(o);
	if (o->opts.dry_run) {
		fprintf(o->opts.dry_run_out, "== Roll back from %s\n%s\n",
		    phase_name(o->st.phase), plan);
		free(plan);
		finish(o, EXIT_OK, NULL);
		return;
	}
	if (o->st.rollback_reason != NULL) {
		/* A rollback a crash interrupted: it goes on without asking. */
		free(plan);
		start_rollback(o, o->st.rollback_reason);
		return;
	}
	ask(o, "Roll back to the source", plan,
	    o->st.switched && !o->cfg->reverse_replication ?
	    "reverse replication is off: writes made on the target since the "
	    "switch will NOT reach the source" : NULL, DANGER_HIGH, o->st.phase,
	    true, rollback_answer);
	free(plan);
}

/* -------------------------------------------------------------- runs */

static void
finish(struct orch *o, int code, const char *why)
{
	orch_done_fn fn = o->done;
	void *arg = o->done_arg;
	char *w = why != NULL ? xstrdup(why) : NULL;

	o->busy = false;
	o->rolling_back = false;
	o->abort_asked = false;
	o->phase = NULL;
	o->step = NULL;
	o->done = NULL;
	orch_changed(o);
	if (fn != NULL)
		fn(o, code, w, arg);
	free(w);
}

static void
new_attempt(struct orch *o)
{
	struct err e = { 0, "" };
	int p;

	o->st.attempt++;
	for (p = 0; p < PHASE_COUNT; p++) {
		o->st.phases[p].status = PS_PENDING;
		o->st.phases[p].started_at = o->st.phases[p].finished_at = 0;
	}
	o->st.phase = PHASE_PRE_VALIDATION;
	o->st.phase_status = PS_PENDING;
	o->st.fenced_at = o->st.switched_at = 0;
	free(o->st.sentinel_id);
	free(o->st.sentinel_lsn);
	o->st.sentinel_id = o->st.sentinel_lsn = NULL;
	save(o, &e);
	orch_log(o, "run.started", NULL, NULL, "attempt %d of run %s",
	    o->st.attempt, o->st.run_id);
}

void
orch_run(struct orch *o, enum phase_id until, orch_done_fn done, void *arg)
{
	int64_t deadline;

	o->done = done;
	o->done_arg = arg;
	o->until = until;
	if (o->busy) {
		finish(o, EXIT_USAGE, "a run or rollback is already going");
		return;
	}
	o->busy = true;
	o->abort_asked = false;
	if (o->st.rollback_reason != NULL) {
		orch_progress(o, "resuming the interrupted rollback: %s",
		    o->st.rollback_reason);
		start_rollback(o, o->st.rollback_reason);
		return;
	}
	if (o->st.completed) {
		finish(o, EXIT_OK, "the run is complete");
		return;
	}
	if (o->st.phase_status == PS_ROLLED_BACK && !o->opts.dry_run)
		new_attempt(o);
	/* A driver that was down past the switch timeout undoes at once. */
	deadline = o->st.fenced_at + (int64_t)(o->cfg->switch_timeout_seconds * 1000);
	if (o->st.fenced_at != 0 && !o->st.switched && now_ms() >= deadline &&
	    !o->opts.dry_run) {
		orch_log(o, "switch.timeout", NULL, NULL,
		    "the switch timeout passed while no driver ran");
		start_rollback(o, "switch timeout passed while no driver ran");
		return;
	}
	arm_switch_timer(o);
	orch_heartbeat(o, !o->st.switched && o->st.replication == REPL_FORWARD);
	run_phase(o, o->st.phase);
}

int
orch_disarm(struct orch *o, struct err *e)
{
	if (!o->st.armed)
		return err_set(e, EXIT_USAGE, "the run is not armed");
	if (o->st.fenced)
		return err_set(e, EXIT_USAGE, "the fence is taken: roll back instead");
	o->st.armed = false;
	if (o->st.phase == PHASE_DRAIN && o->st.phase_status == PS_PENDING) {
		o->st.phase = PHASE_SYNC_WAIT;
		o->st.phases[PHASE_SYNC_WAIT].status = PS_PENDING;
	}
	if (save(o, e) != 0)
		return -1;
	orch_log(o, "run.disarmed", NULL, NULL,
	    "the armed run was cancelled before the fence");
	orch_changed(o);
	return 0;
}

void
orch_abort(struct orch *o)
{
	if (o->busy)
		o->abort_asked = true;
}

/* ------------------------------------------------------------- views */

const struct state *
orch_state(const struct orch *o)
{
	return &o->st;
}

bool
orch_busy(const struct orch *o)
{
	return o->busy;
}

const char *
orch_step(const struct orch *o)
{
	return o->step != NULL ? o->step->name : NULL;
}

bool
orch_gate(const struct orch *o, struct orch_gate *g)
{
	*g = o->gate;
	return o->gate_active;
}

double
orch_switch_time_left(const struct orch *o)
{
	if (o->st.fenced_at == 0 || o->st.switched)
		return -1;
	return (double)(o->st.fenced_at - now_ms()) / 1000.0 +
	    o->cfg->switch_timeout_seconds;
}

const struct validation *
orch_last_validation(const struct orch *o)
{
	return o->last_validation;
}

enum phase_id
orch_next_phase(const struct orch *o)
{
	if (o->st.completed)
		return PHASE_COUNT;
	if (o->st.phase_status == PS_ROLLED_BACK)
		return PHASE_PRE_VALIDATION;
	return o->st.phase;
}

/* ------------------------------------------------------ construction */

struct orch *
orch_new(struct loop *loop, const struct config *cfg, const char *state_dir,
    struct eventlog *log, struct provider *prov, const struct orch_ui *ui,
    const struct orch_opts *opts, struct err *e)
{
	struct orch *o = xcalloc(1, sizeof *o);
	int rc;

	o->loop = loop;
	o->cfg = cfg;
	o->state_dir = xstrdup(state_dir);
	o->log = log;
	o->prov = prov;
	o->ui = *ui;
	o->opts = *opts;
	o->gate.lag_e2e = o->gate.lag_provider = NAN;
	sb_init(&o->child_out);
	rc = state_load(&o->st, state_dir, e);
	if (rc < 0) {
		orch_free(o);
		return NULL;
	}
	if (rc == 1) {
		state_init(&o->st, cfg->environment, cfg->rehearsal);
		if (!opts->dry_run && (save(o, e) != 0 ||
		    orch_log(o, "run.started", NULL, e, "run %s started in %s%s",
		    o->st.run_id, cfg->environment, cfg->rehearsal ?
		    " (rehearsal)" : "") != 0)) {
			orch_free(o);
			return NULL;
		}
	} else if (strcmp(o->st.environment, cfg->environment) != 0) {
		err_set(e, EXIT_USAGE, "%s/state.json belongs to environment %s, "
		    "not %s", state_dir, o->st.environment, cfg->environment);
		orch_free(o);
		return NULL;
	}
	connections_open(o);
	loop_signal(loop, SIGCHLD, on_sigchld, o);
	o->sampler = loop_timer_add(loop, 1000, sample_tick, o);
	return o;
}

void
orch_free(struct orch *o)
{
	if (o == NULL)
		return;
	abandon_step(o);
	if (o->switch_timer != NULL)
		loop_timer_cancel(o->switch_timer);
	if (o->sampler != NULL)
		loop_timer_cancel(o->sampler);
	connections_close(o);
	validation_free(o->last_validation);
	state_free(&o->st);
	free(o->state_dir);
	free(o->q_title);
	free(o->q_plan);
	free(o->q_warnings);
	free(o->why);
	free(o);
}
