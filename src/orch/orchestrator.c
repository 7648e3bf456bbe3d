/* orchestrator.c - the engine that runs phases and rollbacks step by
 * step; the steps themselves are in step-*.c. See orchestrator.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "model.h"
#include "orch-internal.h"
#include "report.h"

static void next_step(struct orch *o);
static int disk_full(struct orch *o);
static int state_write(struct orch *o, bool force, struct err *e);
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
	cJSON *copy;
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
	copy = data != NULL ? cJSON_Duplicate(data, 1) : NULL;
	seq = eventlog_append(o->log, kind, phase, data, e, "%s",
	    msg.buf != NULL ? msg.buf : "");
	if (seq < 0 && errno == ENOSPC && disk_full(o)) {
		seq = eventlog_append(o->log, kind, phase, copy, e, "%s",
		    msg.buf != NULL ? msg.buf : "");
		copy = NULL;
	}
	cJSON_Delete(copy);
	sb_free(&msg);
	return seq < 0 ? -1 : 0;
}

/* The state directory's file system is full: its reserve is released so
 * that the way back can be logged and recorded, and from now on no step
 * goes forward (orch_act refuses). Returns 1 when the reserve was there. */
static int
disk_full(struct orch *o)
{
	if (!reserve_release(o->state_dir))
		return 0;
	o->disk_full = true;
	eventlog_append(o->log, "error", o->phase != NULL ?
	    phase_name(o->phase->id) : NULL, NULL, NULL, "the file system of "
	    "the state directory %s is full: its 1 MiB reserve was released so "
	    "that the way back can be recorded; nothing more goes forward",
	    o->state_dir);
	return 1;
}

static cJSON *
step_data(struct orch *o, const char *detail)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "step", o->step != NULL ? o->step->name : "?");
	cJSON_AddNumberToObject(d, "attempt", o->st.attempt);
	if (o->rolling_back) {
		cJSON_AddTrueToObject(d, "rollback");
		/* Which rollback of the attempt (the same across a resume). */
		cJSON_AddNumberToObject(d, "rollback_run", o->st.rollbacks);
	}
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
	/* Its outcome is logged: no longer an intent (saved with the next
	 * state). */
	state_set(&o->st.intent_step, NULL);
	state_set(&o->st.intent_what, NULL);
	o->st.intent_at = 0;
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
	struct orch *o = f->ctx;

	settle_action(o, NULL);
}

int
orch_intent(struct orch *o, const char *what, struct err *e)
{
	state_set(&o->st.intent_step, o->step != NULL ? o->step->name : "?");
	state_set(&o->st.intent_what, what);
	o->st.intent_at = now_ms();
	return state_write(o, true, e);
}

int
orch_act(struct flow *f, const char *what, const char *detail)
{
	struct orch *o = f->ctx;

	/* With the state directory full, nothing goes forward: the step
	 * fails and the way back runs in the reserve's space. */
	if (o->disk_full && !o->rolling_back)
		return flow_fail(f, EXIT_RUNTIME, "the file system of the state "
		    "directory %s is full: free space, then run again",
		    o->state_dir);
	/* Logged (fsync) and recorded in state.json before it is taken,
	 * with whatever the step recorded of what it will change. */
	if (settle_action(o, &f->e) != 0 ||
	    orch_log(o, "action", step_data(o, detail), &f->e, "%s", what) != 0 ||
	    orch_intent(o, detail != NULL ? detail : what, &f->e) != 0)
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
	struct orch *o = f->ctx;

	if (orch_log(o, "check", step_data(o, NULL), &f->e, "already done: %s",
	    what) != 0)
		return FLOW_FAIL;
	return 0;
}

/* The state as compared between saves: without the log's anchor and the
 * intent, which change with every event and action. */
static char *
state_key(struct orch *o)
{
	char *step = o->st.intent_step, *what = o->st.intent_what, *text;
	int64_t at = o->st.intent_at, seq = o->st.log_seq;

	o->st.intent_step = o->st.intent_what = NULL;
	o->st.intent_at = 0;
	o->st.log_seq = 0;
	text = state_to_json(&o->st);
	o->st.intent_step = step;
	o->st.intent_what = what;
	o->st.intent_at = at;
	o->st.log_seq = seq;
	return text;
}

static int
state_write(struct orch *o, bool force, struct err *e)
{
	char *text;
	int rc;

	if (o->opts.dry_run)
		return 0;
	/* A state that only differs by the log's anchor or a settled intent
	 * need not be written again (fewer fsyncs inside the write pause);
	 * an intent (force) always is, before its effect. */
	text = state_key(o);
	if (!force && o->saved_state != NULL &&
	    strcmp(text, o->saved_state) == 0) {
		free(text);
		return 0;
	}
	/* The log's end as it is now: `log --verify` finds it cut short. */
	if (o->log != NULL)
		eventlog_last(o->log, &o->st.log_seq, o->st.log_hash);
	rc = state_save(&o->st, o->state_dir, e);
	if (rc != 0 && errno == ENOSPC && disk_full(o))
		rc = state_save(&o->st, o->state_dir, e);
	free(o->saved_state);
	o->saved_state = rc == 0 ? text : NULL;
	if (rc != 0)
		free(text);
	return rc;
}

int
orch_state_save(struct orch *o, struct err *e)
{
	return state_write(o, false, e);
}

int
orch_save(struct flow *f)
{
	struct orch *o = f->ctx;

	return orch_state_save(o, &f->e) != 0 ? FLOW_FAIL : 0;
}

bool
orch_on_target(const struct orch *o)
{
	return o->step != NULL && o->step->side == SIDE_TARGET;
}

struct pg *
orch_side(struct orch *o)
{
	return orch_on_target(o) ? o->dst : o->src;
}

const char *
orch_side_name(const struct orch *o)
{
	return orch_on_target(o) ? "target" : "source";
}

void
orch_progress(struct orch *o, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (o->ui.progress == NULL)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	o->ui.progress(o, line, o->ui.arg);
	free(line);
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
	/* PAUSE may wait while pgbouncer does not answer: the switch
	 * timeout bounds it, not a query deadline. */
	struct pg_opts bo = { c->pgbouncer_admin, "pgbouncer", 0,
	    (int)(c->switch_timeout_seconds * 1000) + 30000, 0, true, false };

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

/* SIGCHLD goes to the running step (the switch command's reaps its own
 * child): other children (a credential_process, hooks, the lab's
 * helpers) belong to whoever started them. */
void
orch_child_reap(struct orch *o)
{
	if (o->sd != NULL && o->sd_def->on_child != NULL)
		o->sd_def->on_child(o->sd);
}

static void
on_sigchld(int signo, void *arg)
{
	(void)signo;
	orch_child_reap(arg);
}

/* ------------------------------------------------------ a step's data */

void *
orch_step_data(struct orch *o)
{
	return o->sd;
}

void
orch_step_begin(struct orch *o, const struct step *s)
{
	orch_step_end(o);
	o->step = s;
	if (s->data != NULL) {
		o->sd = xcalloc(1, s->data->size);
		o->sd_def = s->data;
	}
}

/* Its cancel kills a child still running: a timeout or the rollback
 * hotkey does not leave the switch command behind. */
void
orch_step_end(struct orch *o)
{
	void *sd = o->sd;

	if (sd == NULL)
		return;
	o->sd = NULL;
	if (o->sd_def->cancel != NULL)
		o->sd_def->cancel(sd);
	o->sd_def = NULL;
	free(sd);
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
	orch_step_end(o);
	o->step = NULL;
}

/* ----------------------------------------------------- switch timeout */

static void automatic_undo(struct orch *o, const char *why, bool timeout);
static void unask(struct orch *o);

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
	/* A question open between two phases (the hold point) gets no
	 * answer any more. */
	unask(o);
	automatic_undo(o, why, true);
}

/* When the switch must be done by: the fence's time plus [switch]
 * timeout_seconds (the one place that adds them). */
static int64_t
switch_deadline(const struct orch *o)
{
	return o->st.fenced_at + (int64_t)(o->cfg->switch_timeout_seconds *
	    1000);
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
	left = switch_deadline(o) - now_ms();
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
	if (!isnan(r->lag_seconds) && !lag_gate_waiting(o))
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
		o->hb = heartbeat_start_conn(o->loop, o->cfg->source_conninfo,
		    "source (heartbeat)", HEARTBEAT_INTERVAL_MS);
	if (!on && o->hb != NULL) {
		heartbeat_stop(o->hb);
		o->hb = NULL;
	}
}

/* Asks q (its title, plan and warnings are kept here: the UI may show
 * them after this returns). */
static void
ask_q(struct orch *o, struct orch_question *q,
    void (*on_answer)(struct orch *, bool))
{
	char *title = xstrdup(q->title), *plan = xstrdup(q->plan);
	char *warnings = q->warnings != NULL ? xstrdup(q->warnings) : NULL;

	free(o->q_title);
	free(o->q_plan);
	free(o->q_warnings);
	o->q_title = title;
	o->q_plan = plan;
	o->q_warnings = warnings;
	o->q_kind = q->kind;
	o->q_phase = q->phase;
	o->on_answer = on_answer;
	if (o->opts.yes) {
		orch_answer(o, true, "--yes");
		return;
	}
	o->asking = true;
	q->title = o->q_title;
	q->plan = o->q_plan;
	q->warnings = o->q_warnings;
	q->type_name = q->kind != Q_APPROVE &&
	    strcmp(o->cfg->environment, "prod") == 0;
	q->environment = o->cfg->environment;
	o->ui.ask(o, q, o->ui.arg);
}

static void
ask(struct orch *o, const char *title, const char *plan, const char *warnings,
    enum danger danger, enum phase_id phase, bool rollback,
    void (*on_answer)(struct orch *, bool))
{
	struct orch_question q;

	memset(&q, 0, sizeof q);
	q.kind = Q_CONFIRM;
	q.title = title;
	q.plan = plan;
	q.warnings = warnings;
	q.danger = danger;
	q.phase = phase;
	q.rollback = rollback;
	q.yes_label = rollback ? "Roll back" : "Run";
	ask_q(o, &q, on_answer);
}

/* The pending question gets no answer any more: the UI closes it. */
static void
unask(struct orch *o)
{
	bool was = o->asking;

	o->asking = false;
	o->on_answer = NULL;
	if (was && o->ui.unask != NULL)
		o->ui.unask(o, o->ui.arg);
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
	if (o->q_kind == Q_APPROVE) {
		/* One approval a phase of the cut, before the fence. */
		cJSON_AddStringToObject(d, "approve", phase_name(o->q_phase));
		cJSON_AddStringToObject(d, "cut", "approve");
	} else if (o->q_kind == Q_HOLD) {
		cJSON_AddStringToObject(d, "cut", "hold");
	}
	orch_log(o, yes ? "operator.confirm" : "operator.decline", d, NULL,
	    "%s: %s (%s)", o->q_title != NULL ? o->q_title : "?",
	    yes ? "yes" : "no", how != NULL ? how : "");
	o->q_kind = Q_CONFIRM;
	if (fn != NULL)
		fn(o, yes);
}

bool
orch_in_cut(enum phase_id p)
{
	return p >= PHASE_DRAIN && p <= PHASE_SWITCH;
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

/* The way back, as a command an operator can paste. */
static char *
rollback_command(const struct orch *o)
{
	if (o->cfg->path == NULL)
		return xasprintf("cutover -s %s rollback", o->state_dir);
	if (o->cfg->state_dir != NULL && strcmp(o->cfg->state_dir,
	    o->state_dir) == 0)
		return xasprintf("cutover -c %s rollback", o->cfg->path);
	return xasprintf("cutover -c %s -s %s rollback", o->cfg->path,
	    o->state_dir);
}

/* After the switch nothing undoes itself: a failure stops and alarms
 * (the console shows it in red, watchers too), and the way back is the
 * operator's. */
static void
raise_alarm(struct orch *o, const char *why)
{
	struct err e = { 0, "" };
	char *cmd = rollback_command(o);

	free(o->st.alarm);
	o->st.alarm = xasprintf("%s. The application stays on the target "
	    "(nothing undoes itself after the switch). To go back: %s", why, cmd);
	free(cmd);
	orch_state_save(o, &e);
	orch_log(o, "alarm", NULL, NULL, "%s", o->st.alarm);
	finish(o, EXIT_CHECK, o->st.alarm);
}

static void
on_step_done(struct flow *f, int rc, const struct err *e, void *arg)
{
	struct orch *o = arg;
	const struct step *s = o->step;
	struct err se = { 0, "" };
	char why[1100];

	(void)f;
	o->flow = NULL;
	orch_step_end(o);
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
	/* Cleaning up (a slot, a replication on a dead target): reported,
	 * and the rest goes on. */
	if (s != NULL && s->best_effort) {
		if (o->rolling_back)
			sb_printf(&o->not_done, "%s%s", o->not_done.len ? "; " : "",
			    why);
		else
			orch_log(o, "check", NULL, NULL, "warning: %s", why);
		save(o, &se);
		o->step_index++;
		next_step(o);
		return;
	}
	if (o->rolling_back) {
		if (s == &step_target_proof) {
			/* Someone wrote on the target after its fence: going back
			 * could lose it. The application stays where it is, let in
			 * again, and the operator finds the writer. */
			free(o->why);
			o->why = xasprintf("the rollback stopped: %s; the application "
			    "stays on the target (let in again); stop that writer, "
			    "then run `cutover rollback` again", e->msg);
			o->exit_code = EXIT_CHECK;
			o->steps = orch_giveback_steps;
			o->step_index = 0;
			next_step(o);
			return;
		}
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
		o->phase = NULL;
		/* From the fence until the switch is done in the world, a
		 * failure undoes itself; after it, nothing does. */
		if (p >= PHASE_DRAIN && p <= PHASE_SWITCH &&
		    state_has_effects(&o->st)) {
			connections_renew(o);
			automatic_undo(o, why, false);
			return;
		}
		if (p == PHASE_POST_VALIDATION && o->st.switched) {
			raise_alarm(o, why);
			return;
		}
		finish(o, e->code == EXIT_CHECK || e->code == EXIT_ABORTED ?
		    e->code : EXIT_RUNTIME, why);
		return;
	}
	finish(o, EXIT_RUNTIME, why);
}

/* Once a rollback has begun letting the application in on the source,
 * the steps before that (the target's fence, carrying its writes back,
 * pointing the application back) are done: a resumed rollback goes on
 * from there, or it would PAUSE and fence again what it just let in. */
static bool
behind_the_let_in(const struct orch *o, size_t i)
{
	size_t k;

	if (o->steps != orch_rollback_steps || !o->st.rollback_source_let_in)
		return false;
	for (k = 0; orch_rollback_steps[k] != NULL; k++)
		if (orch_rollback_steps[k] == &step_unfence_source)
			return i < k;
	return false;
}

static void
next_step(struct orch *o)
{
	const struct step *s;
	struct err se = { 0, "" };

	while ((s = o->steps[o->step_index]) != NULL &&
	    (!step_applies(o, s) || behind_the_let_in(o, o->step_index)))
		o->step_index++;
	if (s == &step_unfence_source && o->steps == orch_rollback_steps &&
	    !o->st.rollback_source_let_in) {
		o->st.rollback_source_let_in = true;	/* before its first act */
		if (save(o, &se) != 0) {
			finish(o, EXIT_RUNTIME, se.msg);
			return;
		}
	}
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
				free(o->st.alarm);
				o->st.alarm = NULL;
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
	orch_step_begin(o, s);
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

/* ------------------------------------------------------------ the cut */

/* The five phases inside the write pause are approved one by one before
 * the fence, then confirmed once (in prod by typing the environment's
 * name); after that they run back to back without a question, so no
 * operator's reading time falls inside the write pause. */

static void cut_ask(struct orch *o);

/* Every line of text indented. */
static void
indent(struct strbuf *out, const char *text, const char *pfx)
{
	const char *p = text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		sb_printf(out, "%s%.*s\n", pfx, nl != NULL ? (int)(nl - p) :
		    (int)strlen(p), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

static void
cut_intro(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "The cut: phases %d-%d (%s .. %s) run back to back "
	    "inside the write pause, without another question.\n",
	    (int)o->cut_from + 1, (int)o->cut_to + 1, phase_name(o->cut_from),
	    phase_name(o->cut_to));
	sb_printf(out, "Switch timeout: %.0f s from the fence; past it "
	    "everything is undone back to the writable source.\n",
	    o->cfg->switch_timeout_seconds);
	sb_puts(out, "To abort: R (rollback) in the console, or Ctrl-C "
	    "headless, at any moment of the cut: back to the writable source.\n");
	if (o->cfg->switch_confirm && o->cut_to == PHASE_SWITCH)
		sb_puts(out, "[switch] confirm: the run holds after sequence_sync "
		    "and asks \"switch now?\"; that wait counts inside the write "
		    "pause.\n");
}

static char *
cut_plan(struct orch *o, enum phase_id at, char **intro, char **detail)
{
	struct strbuf sb, in, ph;
	int p;

	sb_init(&sb);
	sb_init(&in);
	cut_intro(o, &in);
	sb_puts(&sb, in.buf);
	sb_putc(&sb, '\n');
	for (p = o->cut_from; p <= (int)o->cut_to; p++) {
		bool done = (o->cut_pending & (1u << p)) != 0;
		char *steps = orch_describe_phase(o, p);

		sb_printf(&sb, "%s %d/8 %s — %s\n", done ? "[ approved ]" :
		    p == (int)at ? "[y approve ]" : "[ to approve]", p + 1,
		    phase_name(p), orch_phases[p].title);
		indent(&sb, steps, "      ");
		if (detail != NULL && p == (int)at) {
			sb_init(&ph);
			sb_printf(&ph, "%d/8 %s — %s\n", p + 1, phase_name(p),
			    orch_phases[p].title);
			indent(&ph, steps, "    ");
			*detail = sb_detach(&ph);
		}
		free(steps);
	}
	if (intro != NULL)
		*intro = sb_detach(&in);
	else
		sb_free(&in);
	return sb_detach(&sb);
}

static void
cut_cancelled(struct orch *o)
{
	o->cut_pending = 0;
	finish(o, EXIT_ABORTED, o->st.fenced_at != 0 ? "the operator declined "
	    "the rest of the cut: the write pause stays open and the switch "
	    "timeout runs; R (or `cutover rollback`) goes back" : "the operator "
	    "cancelled the cut before the fence: nothing changed (the run stays "
	    "armed; a disarms)");
}

static void
cut_confirmed(struct orch *o, bool yes)
{
	struct err e = { 0, "" };

	if (!yes) {
		cut_cancelled(o);
		return;
	}
	/* Recorded before the first phase: a driver restarted inside the
	 * cut runs these without asking, and only these. */
	o->st.cut_approved |= o->cut_pending;
	o->cut_pending = 0;
	if (save(o, &e) != 0) {
		finish(o, EXIT_RUNTIME, e.msg);
		return;
	}
	o->st.phase = o->cut_from;
	phase_answer(o, true);
}

static void
cut_answer(struct orch *o, bool yes)
{
	if (!yes) {
		cut_cancelled(o);
		return;
	}
	o->cut_pending |= 1u << o->cut_at;
	o->cut_at++;
	cut_ask(o);
}

static void
cut_ask(struct orch *o)
{
	struct orch_question q;
	char title[160], *plan, *intro = NULL, *detail = NULL;

	memset(&q, 0, sizeof q);
	q.phase = o->cut_at;
	if (o->cut_at <= o->cut_to) {
		snprintf(title, sizeof title, "The cut: approve %d/8 %s (%d of %d)",
		    (int)o->cut_at + 1, phase_name(o->cut_at),
		    (int)(o->cut_at - o->cut_from) + 1,
		    (int)(o->cut_to - o->cut_from) + 1);
		plan = cut_plan(o, o->cut_at, &intro, &detail);
		q.kind = Q_APPROVE;
		q.danger = orch_phases[o->cut_at].danger;
		q.yes_label = "Approve";
		q.first = o->cut_at == o->cut_from;
		q.intro = intro;
		q.detail = detail;
		q.title = title;
		q.plan = plan;
		ask_q(o, &q, cut_answer);
	} else {
		if (o->st.fenced_at != 0)
			snprintf(title, sizeof title, "Run the rest of the cut: %s .. "
			    "%s", phase_name(o->cut_from), phase_name(o->cut_to));
		else
			snprintf(title, sizeof title, "Take the fence: run the cut "
			    "(%s .. %s)", phase_name(o->cut_from),
			    phase_name(o->cut_to));
		plan = cut_plan(o, PHASE_COUNT, NULL, NULL);
		q.kind = Q_CONFIRM;
		q.phase = o->cut_from;
		q.danger = DANGER_HIGH;
		q.yes_label = o->st.fenced_at != 0 ? "Run the cut" :
		    "Take the fence";
		q.title = title;
		q.plan = plan;
		ask_q(o, &q, cut_confirmed);
	}
	free(plan);
	free(intro);
	free(detail);
}

static void
cut_begin(struct orch *o, enum phase_id p)
{
	o->cut_from = o->cut_at = p;
	o->cut_to = o->until < PHASE_SWITCH ? o->until : PHASE_SWITCH;
	o->cut_pending = 0;
	cut_ask(o);
}

/* [switch] confirm: the hold point before the switch, inside the write
 * pause, the switch timeout counting down. No goes back to the source. */
static void
hold_answer(struct orch *o, bool yes)
{
	if (yes) {
		phase_answer(o, true);
		return;
	}
	automatic_undo(o, "the operator declined the switch at the hold point",
	    false);
}

static void
hold_ask(struct orch *o, const char *plan)
{
	struct orch_question q;
	char warn[400];
	int64_t deadline = switch_deadline(o);

	snprintf(warn, sizeof warn, "The write pause is open: the application's "
	    "writes are held while this question waits. The switch timeout ends "
	    "in %.0f s; then everything is undone back to the source. No goes "
	    "back to the source now.\n", (double)(deadline - now_ms()) / 1000.0);
	memset(&q, 0, sizeof q);
	q.kind = Q_HOLD;
	q.title = "Switch now? (the hold point of [switch] confirm)";
	q.plan = plan;
	q.warnings = warn;
	q.danger = DANGER_HIGH;
	q.phase = PHASE_SWITCH;
	q.yes_label = "Switch";
	q.deadline = deadline;
	ask_q(o, &q, hold_answer);
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
	if (orch_in_cut(p)) {
		if ((o->st.cut_approved & (1u << p)) == 0) {
			free(plan);
			cut_begin(o, p);
			return;
		}
		if (p == PHASE_SWITCH && o->cfg->switch_confirm &&
		    o->st.switch_begun_at == 0 && !o->st.switched &&
		    o->st.phases[p].status != PS_RUNNING) {
			hold_ask(o, plan);
			free(plan);
			return;
		}
		free(plan);
		phase_answer(o, true);
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

	if (o->steps == orch_giveback_steps) {
		/* The rollback was given up: the run is where it was. The next
		 * one takes the target's fence again, from its own position. */
		free(o->st.rollback_reason);
		o->st.rollback_reason = NULL;
		o->st.rollback_on_target = false;
		o->st.rollback_source_let_in = false;
		state_set(&o->st.target_fence_lsn, NULL);
		save(o, &e);
		orch_log(o, "rollback.failed", NULL, NULL, "%s", o->why);
		return;
	}
	if (o->not_done.len > 0) {
		/* The source is writable (checked), the target not cleaned up:
		 * the rollback stays under way until it is. */
		free(o->why);
		o->why = xasprintf("the application runs on the source again (the "
		    "source is writable: checked) but the rollback is not "
		    "complete: %s; run `cutover rollback` again once that is "
		    "fixed", o->not_done.buf);
		o->exit_code = EXIT_RUNTIME;
		save(o, &e);
		orch_log(o, "rollback.failed", NULL, NULL, "%s", o->why);
		return;
	}
	for (p = PHASE_DRAIN; p <= (int)o->st.phase && p < PHASE_COUNT; p++)
		if (o->st.phases[p].status != PS_PENDING)
			o->st.phases[p].status = PS_ROLLED_BACK;
	o->st.phase_status = PS_ROLLED_BACK;
	o->st.armed = false;
	o->st.cut_approved = 0;
	o->st.completed = false;
	o->st.fenced = false;
	o->st.fenced_at = 0;
	o->st.switched = false;
	o->st.switched_at = 0;
	o->st.switch_begun_at = 0;
	o->st.readonly_set = false;
	o->st.rollback_on_target = false;
	o->st.rollback_source_let_in = false;
	state_clear_fenced_roles(&o->st);
	state_set(&o->st.switch_command, NULL);
	state_set(&o->st.target_fence_lsn, NULL);
	state_set(&o->st.rollback_reason, NULL);
	state_set(&o->st.alarm, NULL);
	if (save(o, &e) != 0 || orch_log(o, "rollback.done", NULL, &e,
	    "rolled back: %s", o->verified != NULL ? o->verified :
	    "the source is writable and forward replication runs") != 0) {
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
	struct strbuf seen;

	o->rolling_back = true;
	o->busy = true;
	o->exit_code = EXIT_ABORTED;
	free(o->why);
	o->why = r;
	reason = r;
	free(o->verified);
	o->verified = NULL;
	sb_reset(&o->not_done);
	if (o->st.rollback_reason == NULL) {
		/* Decided once, from the live world, and kept: a resumed
		 * rollback goes the same way. */
		o->st.rollback_reason = xstrdup(reason);
		o->st.rollback_on_target = o->world.on_target;
		o->st.rollbacks++;
	}
	cJSON_AddStringToObject(d, "reason", reason);
	cJSON_AddBoolToObject(d, "application_may_be_on_target",
	    o->st.rollback_on_target);
	cJSON_AddStringToObject(d, "replication",
	    repl_direction_name(o->st.replication));
	sb_init(&seen);
	world_describe(o, &seen);
	if (seen.len > 0)
		cJSON_AddStringToObject(d, "world", seen.buf);
	sb_free(&seen);
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

/* What an automatic undo (a failure inside the cut, the switch timeout,
 * a driver that was down past it) does is decided by the live world: if
 * the application was let in on the target, the switch happened and
 * nothing undoes it; else the run goes back to the source. */
static void
undo_looked(struct orch *o)
{
	struct strbuf seen;
	char *why = o->undo_why;
	bool timeout = o->undo_timeout;

	o->undo_why = NULL;
	sb_init(&seen);
	world_describe(o, &seen);
	orch_log(o, "check", NULL, NULL, "the live world: %s%s",
	    seen.buf != NULL ? seen.buf : "", o->world.let_in ?
	    "; the application is let in on the target: the switch is done" :
	    "");
	sb_free(&seen);
	if (o->world.let_in) {
		if (timeout) {
			/* The switch completed in the world: finish it. */
			orch_progress(o, "the switch is done in the world: finishing "
			    "it instead of undoing it");
			o->busy = true;
			o->st.phase = PHASE_SWITCH;
			run_phase(o, PHASE_SWITCH);
		} else {
			raise_alarm(o, why);
		}
		free(why);
		return;
	}
	start_rollback(o, why);
	free(why);
}

static void
automatic_undo(struct orch *o, const char *why, bool timeout)
{
	/* One decision at a time: the timeout must not start another. */
	if (o->switch_timer != NULL) {
		loop_timer_cancel(o->switch_timer);
		o->switch_timer = NULL;
	}
	free(o->undo_why);
	o->undo_why = xstrdup(why);
	o->undo_timeout = timeout;
	o->busy = true;
	orch_progress(o, "%s: looking at pgbouncer, the target and the "
	    "replication before undoing anything", why);
	world_look(o, undo_looked);
}

static void
rollback_answer(struct orch *o, bool yes)
{
	if (o->rolling_back)
		return;
	if (!yes) {
		o->st.rollback_on_target = false;
		arm_switch_timer(o);
		finish(o, EXIT_ABORTED, "the operator declined the rollback");
		return;
	}
	start_rollback(o, o->why != NULL ? o->why : "requested by the operator");
}

static void
rollback_looked(struct orch *o)
{
	struct strbuf warn, seen;
	char *plan;

	/* The plan shown is the one that will run. */
	o->st.rollback_on_target = o->world.on_target;
	plan = orch_describe_rollback(o);
	sb_init(&seen);
	world_describe(o, &seen);
	if (o->opts.dry_run) {
		fprintf(o->opts.dry_run_out, "== Roll back from %s\n(%s)\n%s\n",
		    phase_name(o->st.phase), seen.buf != NULL ? seen.buf : "", plan);
		free(plan);
		sb_free(&seen);
		o->st.rollback_on_target = false;
		finish(o, EXIT_OK, NULL);
		return;
	}
	sb_init(&warn);
	if (o->world.on_target && !o->cfg->reverse_replication) {
		int64_t since = o->st.switched_at != 0 ? o->st.switched_at :
		    o->st.switch_begun_at;

		sb_printf(&warn, "reverse replication is off: the writes made on "
		    "the target in the last %.0f s (since the switch) will NOT "
		    "reach the source\n", since != 0 ?
		    (double)(now_ms() - since) / 1000.0 : 0.0);
	}
	if (o->world.why[0] != '\0')
		sb_printf(&warn, "what could not be seen: %s\n", o->world.why);
	sb_printf(&seen, "\n");
	sb_puts(&seen, plan);
	ask(o, "Roll back to the source", seen.buf, warn.len > 0 ? warn.buf :
	    NULL, DANGER_HIGH, o->st.phase, true, rollback_answer);
	free(plan);
	sb_free(&seen);
	sb_free(&warn);
}

void
orch_rollback(struct orch *o, const char *reason, orch_done_fn done,
    void *arg)
{
	if (o->rolling_back || o->undo_why != NULL) {
		/* Already rolling back, or about to (an automatic undo looks
		 * at the world): the caller waits for the same end. */
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
	if (o->st.rollback_reason != NULL) {
		/* A rollback a crash interrupted: it goes on without asking,
		 * the way it was decided. */
		if (o->opts.dry_run) {
			char *plan = orch_describe_rollback(o);

			fprintf(o->opts.dry_run_out, "== Roll back from %s\n%s\n",
			    phase_name(o->st.phase), plan);
			free(plan);
			finish(o, EXIT_OK, NULL);
			return;
		}
		start_rollback(o, o->st.rollback_reason);
		return;
	}
	if (!state_has_effects(&o->st)) {
		orch_log(o, "check", NULL, NULL, "rollback: nothing to undo (no "
		    "fence, switch or replication change was begun)");
		if (o->st.armed) {
			struct err e = { 0, "" };

			orch_disarm(o, &e);
		}
		finish(o, EXIT_OK, "nothing to undo");
		return;
	}
	/* The operator is going back already: the timeout would only do
	 * the same. It is re-armed if the answer is no. */
	if (o->switch_timer != NULL) {
		loop_timer_cancel(o->switch_timer);
		o->switch_timer = NULL;
	}
	world_look(o, rollback_looked);
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

/* What run.started says in data: the report tells runs and attempts
 * apart by it rather than by the message's words. */
static cJSON *
run_data(const struct orch *o)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "run_id", o->st.run_id);
	cJSON_AddNumberToObject(d, "attempt", o->st.attempt);
	cJSON_AddBoolToObject(d, "rehearsal", o->st.rehearsal);
	return d;
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
	o->st.fenced_at = o->st.switched_at = o->st.switch_begun_at = 0;
	o->st.rollbacks = 0;
	o->st.rollback_source_let_in = false;
	o->st.cut_approved = 0;
	free(o->st.sentinel_id);
	free(o->st.sentinel_lsn);
	o->st.sentinel_id = o->st.sentinel_lsn = NULL;
	save(o, &e);
	orch_log(o, "run.started", run_data(o), NULL, "attempt %d of run %s",
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
		if (o->opts.dry_run) {
			finish(o, EXIT_OK, NULL);
			return;
		}
		start_rollback(o, o->st.rollback_reason);
		return;
	}
	if (o->st.completed) {
		finish(o, EXIT_OK, "the run is complete");
		return;
	}
	if (o->st.phase_status == PS_ROLLED_BACK && !o->opts.dry_run)
		new_attempt(o);
	/* A driver that was down past the switch timeout: the live world
	 * says whether the switch happened (then it is finished) or not
	 * (then the run undoes itself). */
	deadline = switch_deadline(o);
	if (o->st.fenced_at != 0 && !o->st.switched && now_ms() >= deadline &&
	    !o->opts.dry_run) {
		orch_log(o, "switch.timeout", NULL, NULL,
		    "the switch timeout passed while no driver ran");
		automatic_undo(o, "switch timeout passed while no driver ran", true);
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
	if (o->st.fenced || o->st.fenced_at != 0)
		return err_set(e, EXIT_USAGE, "the fence is taken: roll back instead");
	o->st.armed = false;
	o->st.cut_approved = 0;
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

int
orch_interrupt(struct orch *o, const char *why, orch_done_fn done,
    void *arg)
{
	if (o->rolling_back || o->st.switched || o->st.fenced_at == 0 ||
	    o->opts.dry_run) {
		orch_abort(o);
		return 0;
	}
	/* Inside the cut: the live world decides, as for the timeout, but
	 * a switch already done in the world stops and alarms. */
	orch_log(o, "operator.abort", NULL, NULL, "%s during the write pause "
	    "(step %s)", why, o->step != NULL ? o->step->name : "-");
	abandon_step(o);
	connections_renew(o);
	o->phase = NULL;
	unask(o);
	o->done = done;
	o->done_arg = arg;
	automatic_undo(o, why, false);
	return 1;
}

/* ------------------------------------------------------------- views */

const struct state *
orch_state(const struct orch *o)
{
	return &o->st;
}

/* The current step, or NULL. */
static const char *
orch_step(const struct orch *o)
{
	return o->step != NULL ? o->step->name : NULL;
}

/* The gate's figures; whether it is waiting. */
static bool
orch_gate(const struct orch *o, struct orch_gate *g)
{
	*g = o->gate;
	return lag_gate_waiting(o);
}

/* Seconds left of the switch timeout while the window is open, else -1. */
static double
orch_switch_time_left(const struct orch *o)
{
	if (o->st.fenced_at == 0 || o->st.switched)
		return -1;
	return (double)(switch_deadline(o) - now_ms()) / 1000.0;
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

int
orch_apply(const struct orch *o, struct model *md, const char *who)
{
	double left = md->switch_left, held = md->gate_held;
	bool had_gate = md->have_gate, was_busy = md->busy;
	struct orch_gate g;
	int changed = 0;

	if (model_set_state(md, &o->st))
		changed |= MODEL_CH_STATE;
	md->busy = o->busy;
	model_set(&md->step, orch_step(o));
	if (!md->busy)
		model_set(&md->progress, NULL);
	md->have_gate = orch_gate(o, &g);
	if (md->have_gate) {
		md->gate_lag_e2e = g.lag_e2e;
		md->gate_lag_provider = g.lag_provider;
		md->gate_held = g.held_seconds;
		md->gate_hold = g.hold_seconds;
		md->gate_threshold = g.threshold_seconds;
	}
	md->switch_left = orch_switch_time_left(o);
	md->next_phase = orch_next_phase(o);
	if (fabs(left - md->switch_left) > 0.5 || had_gate != md->have_gate ||
	    fabs(held - md->gate_held) > 0.01 || was_busy != md->busy)
		changed |= MODEL_CH_STATE;
	if (o->last_validation != NULL &&
	    o->last_validation != md->checks_from) {
		md->checks_from = o->last_validation;
		model_load_validation(md, o->last_validation, who);
		changed |= MODEL_CH_VALIDATION;
	}
	return changed;
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
	sb_init(&o->not_done);
	rc = state_load(&o->st, state_dir, e);
	if (rc < 0) {
		orch_free(o);
		return NULL;
	}
	if (rc == 1) {
		state_init(&o->st, cfg->environment, cfg->rehearsal);
		if (!opts->dry_run && (save(o, e) != 0 ||
		    orch_log(o, "run.started", run_data(o), e,
		    "run %s started in %s%s", o->st.run_id, cfg->environment,
		    cfg->rehearsal ? " (rehearsal)" : "") != 0)) {
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
	free(o->verified);
	sb_free(&o->not_done);
	free(o->undo_why);
	free(o->saved_state);
	free(o);
}
