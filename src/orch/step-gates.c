/* step-gates.c - the steps of pre_validation and sync_wait: the config is
 * complete, the cutover schema exists, the quick checks pass, and the
 * lag stays below the gate long enough; then the run is armed. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orch-internal.h"

/* ------------------------------------------------------- config.check */

static int
config_problem(struct flow *f, const char *what)
{
	struct orch *o = f->ctx;
	const struct config *c = o->cfg;

	return flow_fail(f, EXIT_CHECK, "%s: %s", c->path != NULL ? c->path :
	    "cutover.conf", what);
}

static bool
simple_name(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return s != NULL;
}

static int
config_check(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct config *c = o->cfg;

	(void)prev;
	if ((c->drain_method == DRAIN_PGBOUNCER ||
	    c->switch_method == SWITCH_PGBOUNCER) && c->pgbouncer_admin == NULL)
		return config_problem(f, "[drain] pgbouncer_admin is needed by "
		    "the pgbouncer drain or switch method");
	if ((c->drain_method == DRAIN_PGBOUNCER ||
	    c->switch_method == SWITCH_PGBOUNCER) &&
	    !simple_name(c->pgbouncer_database))
		return config_problem(f, "[drain] pgbouncer_database must be a "
		    "plain name (letters, digits, _)");
	/* The database fence (NOLOGIN) is taken whatever the method. */
	if (c->roles.n == 0)
		return config_problem(f, "[drain] roles is empty: nothing to fence "
		    "at the database (every method makes those roles NOLOGIN)");
	/* default_transaction_read_only is advisory: any session turns it
	 * off. In prod it is not the fence. */
	if (c->drain_method == DRAIN_READONLY &&
	    strcmp(c->environment, "prod") == 0)
		return config_problem(f, "[drain] method = readonly is advisory "
		    "(any session can SET default_transaction_read_only = off) and "
		    "cannot be chosen alone in prod: use terminate or pgbouncer");
	if (c->switch_method == SWITCH_COMMAND && c->switch_command == NULL)
		return config_problem(f, "[switch] command is empty (method command)");
	if (c->switch_method == SWITCH_PGBOUNCER) {
		if (c->pgbouncer_databases_file == NULL)
			return config_problem(f, "[switch] pgbouncer_databases_file is "
			    "needed by the pgbouncer switch method");
		if (access(c->pgbouncer_databases_file, R_OK | W_OK) != 0)
			return config_problem(f, "[switch] pgbouncer_databases_file "
			    "cannot be read and written by this user");
	}
	if (c->provider == PROVIDER_DMS && c->reverse_replication &&
	    c->reverse_task_arn == NULL)
		return config_problem(f, "[rollback] reverse_replication needs "
		    "[replication] reverse_task_arn with provider dms (or set "
		    "reverse_replication = false, and lose writes on a rollback "
		    "after the switch)");
	return FLOW_NEXT;
}

static void
config_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "check that cutover.conf has what every phase needs\n");
}

static const flow_step config_flow[] = { config_check, NULL };
const struct step step_config_check = { "config.check", NULL,
	config_describe, config_flow, SIDE_SOURCE, false, NULL };

/* ------------------------------------------------------- schema.check */

/* 2 tables and the heartbeat's seq and prev_ms columns (a schema set up
 * by an earlier version lacks them): 4. */
static const char cutover_tables_sql[] =
    "SELECT count(*) + (SELECT count(*) FROM pg_attribute a"
    "  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n"
    "  ON n.oid = c.relnamespace WHERE n.nspname = 'cutover'"
    "  AND c.relname = 'heartbeat' AND a.attname IN ('seq', 'prev_ms')"
    "  AND NOT a.attisdropped)"
    " FROM pg_class c JOIN pg_namespace n"
    " ON n.oid = c.relnamespace WHERE n.nspname = 'cutover'"
    " AND c.relname IN ('heartbeat', 'sentinel') AND c.relkind = 'r'";

static int
schema_src(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, o->src, cutover_tables_sql, 0, NULL);
}

static int
schema_dst(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (pgr_int64(prev, 0, 0, 0) != 4)
		return flow_fail(f, EXIT_CHECK, "the cutover schema is missing on "
		    "the source, or older than this cutover: run `cutover setup`");
	return flow_query(f, o->dst, cutover_tables_sql, 0, NULL);
}

static int
schema_done(struct flow *f, PGresult *prev)
{
	if (pgr_int64(prev, 0, 0, 0) != 4)
		return flow_fail(f, EXIT_CHECK, "the cutover schema is missing on "
		    "the target, or older than this cutover: run `cutover setup`");
	return FLOW_NEXT;
}

static void
schema_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "check that cutover.heartbeat and cutover.sentinel exist on "
	    "both sides\n");
}

static const flow_step schema_flow[] = { schema_src, schema_dst, schema_done,
	NULL };
const struct step step_schema_check = { "schema.check", NULL,
	schema_describe, schema_flow, SIDE_SOURCE, false, NULL };

/* --------------------------------------------------------- validation */

/* The validation running, until it reports (then it is the orch's
 * last_validation). */
struct validation_step {
	struct validation *v;
};

static void
validation_cancel(void *data)
{
	struct validation_step *d = data;

	validation_free(d->v);
}

static const struct step_data_def validation_data = {
	sizeof (struct validation_step), validation_cancel, NULL
};

static void
override_answer(struct orch *o, bool yes)
{
	struct err e = { 0, "" };

	if (yes) {
		orch_log(o, "operator.override", NULL, NULL,
		    "the operator went on despite the validation's warnings");
		flow_continue(o->flow, 0, &e);
	} else {
		err_set(&e, EXIT_ABORTED, "the operator stopped at the validation's "
		    "warnings");
		flow_continue(o->flow, -1, &e);
	}
}

static void
validation_done(struct validation *v, void *arg)
{
	struct orch *o = arg;
	struct strbuf bad, warn;
	struct err e = { 0, "" };
	enum check_id c;
	bool full = o->st.phase == PHASE_POST_VALIDATION;
	struct validation_step *vs = orch_step_data(o);
	struct err se = { 0, "" };
	char *saved = NULL;
	cJSON *data;

	validation_free(o->last_validation);
	o->last_validation = v;
	vs->v = NULL;	/* kept as last_validation */
	sb_init(&bad);
	sb_init(&warn);
	for (c = 0; c < CHK_COUNT; c++) {
		enum check_status s = validation_check_status(v, c);
		const char *d = validation_check_detail(v, c);

		if (s == CHECK_FAIL || s == CHECK_ERROR)
			sb_printf(&bad, "%s%s: %s", bad.len ? "; " : "", check_name(c),
			    d != NULL ? d : check_status_name(s));
		else if (s == CHECK_WARN)
			sb_printf(&warn, "%s: %s\n", check_name(c), d != NULL ? d : "");
	}
	if (validation_save(v, o->state_dir, NULL, &saved, &se) != 0) {
		free(saved);
		saved = NULL;
	}
	data = validation_event_data(v, saved);
	free(saved);
	orch_log(o, "check", data, NULL, "%s validation: %s", full ? "full" :
	    "quick", validation_passed(v) ? "passed" : "failed");
	if (bad.len > 0) {
		err_set(&e, validation_exit_code(v) == EXIT_RUNTIME ? EXIT_RUNTIME :
		    EXIT_CHECK, "validation failed: %s", bad.buf);
		flow_continue(o->flow, -1, &e);
	} else if (warn.len > 0 && !full) {
		orch_ask(o, "The quick validation has warnings: go on?",
		    "go on with pre_validation done despite the warnings below; "
		    "the override is logged with who gave it\n", warn.buf,
		    DANGER_MEDIUM, override_answer);
	} else {
		flow_continue(o->flow, 0, &e);
	}
	sb_free(&bad);
	sb_free(&warn);
}

static int
validate_start(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct validation_step *vs = orch_step_data(o);
	struct validate_opts opts;

	(void)prev;
	memset(&opts, 0, sizeof opts);
	opts.full = o->st.phase == PHASE_POST_VALIDATION;
	opts.sequences_synced = opts.full;
	opts.after_switch = o->st.switched;
	/* The driver's own heartbeat writer runs until stop_replication;
	 * after it, a probe is the only way to see lag (and none is needed). */
	opts.probe_lag = false;
	orch_progress(o, "%s validation running", opts.full ? "full" : "quick");
	vs->v = validation_start(o->loop, o->cfg, o->prov, &opts,
	    validation_done, o);
	return flow_wait_external(f);
}

static void
quick_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "quick validation: replication status and lag, row counts "
	    "from catalog estimates, sequences, primary keys, schema (read "
	    "only)\n");
}

static void
full_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "full validation: exact row counts and in-database "
	    "checksums of every table on both sides, sequences, primary keys, "
	    "schema (read only)\n");
}

static const flow_step validate_flow[] = { validate_start, NULL };
const struct step step_quick_validation = { "validation.quick", NULL,
	quick_describe, validate_flow, SIDE_SOURCE, false, &validation_data };
const struct step step_full_validation = { "validation.full", NULL,
	full_describe, validate_flow, SIDE_SOURCE, false, &validation_data };

/* ----------------------------------------------------------- lag gate */

/* The gate waiting: since when the lag is below it, and its next look.
 * The figures it shows are the orch's (o->gate: they outlive it). */
struct lag_gate {
	bool waiting;
	int64_t started;           /* mono ms */
	int64_t held_since;        /* mono ms; 0 = not below the threshold */
	struct loop_timer *tick;
};

static void
gate_cancel(void *data)
{
	struct lag_gate *d = data;

	if (d->tick != NULL)
		loop_timer_cancel(d->tick);
}

static const struct step_data_def gate_data = {
	sizeof (struct lag_gate), gate_cancel, NULL
};

bool
lag_gate_waiting(const struct orch *o)
{
	return o->step == &step_lag_gate && o->sd != NULL &&
	    ((const struct lag_gate *)o->sd)->waiting;
}

/* One look (the heartbeat and the provider); it outlives the step if
 * the step is abandoned meanwhile. */
struct gate_tick {
	struct orch *o;
	struct flow *f;
	int parts;
};

static void gate_schedule(struct orch *o);

/* An unknown lag is never below the gate: not the provider's (NaN), not
 * the heartbeat's (NaN as well when its writer is stale). */
bool
lag_below_gate(double e2e, double provider, double threshold)
{
	return !isnan(e2e) && e2e < threshold && !isnan(provider) &&
	    provider < threshold;
}

static void
gate_evaluate(struct orch *o)
{
	struct orch_gate *g = &o->gate;
	struct lag_gate *lg = orch_step_data(o);
	struct err e = { 0, "" };
	int64_t now = mono_ms();
	const char *halted = replication_halted(&o->prov->status);
	bool below;

	/* Stopped replication cannot catch up: fail now, not after
	 * lag_wait_seconds. */
	if (halted != NULL) {
		lg->waiting = false;
		err_set(&e, EXIT_CHECK, "forward replication is not running (%s): "
		    "the lag gate cannot pass", halted);
		flow_continue(o->flow, -1, &e);
		return;
	}
	below = lag_below_gate(g->lag_e2e, g->lag_provider,
	    g->threshold_seconds);
	if (!below)
		lg->held_since = 0;
	else if (lg->held_since == 0)
		lg->held_since = now;
	g->held_seconds = lg->held_since != 0 ?
	    (double)(now - lg->held_since) / 1000.0 : 0;
	orch_changed(o);
	if (g->held_seconds >= g->hold_seconds && below) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddNumberToObject(d, "lag_seconds", g->lag_e2e);
		if (!isnan(g->lag_provider))
			cJSON_AddNumberToObject(d, "provider_lag_seconds",
			    g->lag_provider);
		cJSON_AddNumberToObject(d, "held_seconds", g->held_seconds);
		orch_log(o, "check", d, NULL, "lag gate passed: %.2f s below %.1f s "
		    "for %.0f s", g->lag_e2e, g->threshold_seconds, g->held_seconds);
		lg->waiting = false;
		flow_continue(o->flow, 0, &e);
		return;
	}
	if (now - lg->started > (int64_t)(o->cfg->lag_wait_seconds * 1000)) {
		lg->waiting = false;
		err_set(&e, EXIT_CHECK, "the lag did not stay below %.1f s for %.0f s "
		    "within %.0f s (now: end to end %.2f s)", g->threshold_seconds,
		    g->hold_seconds, o->cfg->lag_wait_seconds, g->lag_e2e);
		flow_continue(o->flow, -1, &e);
		return;
	}
	if (isnan(g->lag_e2e) || isnan(g->lag_provider))
		orch_progress(o, "lag gate: %s unknown (%s): waiting",
		    isnan(g->lag_e2e) ? "the end-to-end lag" : "the provider's lag",
		    isnan(g->lag_e2e) ? "the heartbeat is stale or unreadable" :
		    "the provider does not report it");
	else
		orch_progress(o, "lag gate: end to end %.2f s, provider %.2f s, "
		    "below %.1f s for %.0f of %.0f s", g->lag_e2e, g->lag_provider,
		    g->threshold_seconds, g->held_seconds, g->hold_seconds);
	gate_schedule(o);
}

static void
gate_part(struct gate_tick *t)
{
	struct orch *o = t->o;

	if (--t->parts > 0)
		return;
	/* A step abandoned meanwhile: its flow is gone. */
	if (o->flow == t->f && lag_gate_waiting(o))
		gate_evaluate(o);
	free(t);
}

static void
gate_reading(const struct heartbeat_reading *r, void *arg)
{
	struct gate_tick *t = arg;

	/* Two beats of a writer that stopped agree and give 0: the lag is
	 * only known while the heartbeat writer runs. */
	if (t->o->flow == t->f)
		t->o->gate.lag_e2e = r->writer_active ? r->lag_seconds : NAN;
	gate_part(t);
}

static void
gate_refreshed(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct gate_tick *t = arg;

	(void)e;
	if (t->o->flow == t->f)
		t->o->gate.lag_provider = rc == 0 ? p->status.lag_target : NAN;
	gate_part(t);
}

static void
gate_tick(struct loop_timer *tm, void *arg)
{
	struct orch *o = arg;
	struct lag_gate *d = orch_step_data(o);
	struct gate_tick *t = xcalloc(1, sizeof *t);

	(void)tm;
	d->tick = NULL;
	t->o = o;
	t->f = o->flow;
	t->parts = 2;
	heartbeat_read(o->src, o->dst, gate_reading, t);
	o->prov->ops->refresh(o->prov, gate_refreshed, t);
}

static void
gate_schedule(struct orch *o)
{
	struct lag_gate *d = orch_step_data(o);

	d->tick = loop_timer_add(o->loop, 500, gate_tick, o);
}

static int
gate_start(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct lag_gate *d = orch_step_data(o);

	(void)prev;
	o->gate.threshold_seconds = o->cfg->max_lag_seconds;
	o->gate.hold_seconds = o->cfg->lag_hold_seconds;
	o->gate.held_seconds = 0;
	d->started = mono_ms();
	d->held_since = 0;
	d->waiting = true;
	d->tick = loop_timer_add(o->loop, 0, gate_tick, o);
	return flow_wait_external(f);
}

static void
gate_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "wait until the end-to-end lag (heartbeat, its writer "
	    "running) and the provider's lag are known and stay below %.1f s "
	    "for %.0f s without a break (at most %.0f s; stopped replication "
	    "fails at once)\n", o->cfg->max_lag_seconds, o->cfg->lag_hold_seconds,
	    o->cfg->lag_wait_seconds);
}

static const flow_step gate_flow[] = { gate_start, NULL };
const struct step step_lag_gate = { "lag.gate", NULL, gate_describe,
	gate_flow, SIDE_SOURCE, false, &gate_data };

/* ---------------------------------------------------------------- arm */

static int
arm(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (o->st.armed)
		return FLOW_NEXT;
	o->st.armed = true;
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	if (orch_log(o, "run.armed", NULL, &f->e, "armed: the next phase takes "
	    "the fence; cancel with `a` in the console until then") != 0)
		return FLOW_FAIL;
	return FLOW_NEXT;
}

static void
arm_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "arm the run: the next phase (drain) takes the fence\n");
}

static const flow_step arm_flow[] = { arm, NULL };
const struct step step_arm = { "run.arm", NULL, arm_describe, arm_flow,
	SIDE_SOURCE, false, NULL };
