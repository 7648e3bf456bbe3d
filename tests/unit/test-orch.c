/* test-orch.c - the orchestrator's mechanics that need no database: the
 * SIGCHLD handler reaps only its own child, a step's own data lives as
 * long as the step and gets SIGCHLD, the lag gate never passes on
 * an unknown lag, the write-ahead records say when there is something to
 * undo; and the watcher's side: absurd numbers in a snapshot are not
 * converted. */
#include "unit.h"

#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventlog.h"
#include "orch/orch-internal.h"
#include "snapshot.h"
#include "model.h"

/* An orchestrator with no database behind it (nothing is run). */
struct fixture {
	char *dir;
	struct loop *loop;
	struct config cfg;
	struct eventlog *log;
	struct provider *prov;
	struct orch *o;
};

static void
fixture_new(struct fixture *x)
{
	struct orch_ui ui = { NULL, NULL, NULL, NULL, NULL };
	struct orch_opts opts = { true, false, NULL };
	struct err e = { 0, "" };

	memset(x, 0, sizeof *x);
	x->dir = test_tmpdir();
	x->loop = loop_new();
	config_defaults(&x->cfg);
	x->cfg.provider = PROVIDER_POSTGRES;
	x->cfg.source_conninfo = xstrdup("host=127.0.0.1 port=1 dbname=none");
	x->cfg.target_conninfo = xstrdup("host=127.0.0.1 port=1 dbname=none");
	assert_int_equal(eventlog_open(&x->log, x->dir, x->cfg.environment, &e),
	    0);
	x->prov = provider_new(x->loop, &x->cfg, &e);
	assert_non_null(x->prov);
	x->o = orch_new(x->loop, &x->cfg, x->dir, x->log, x->prov, &ui, &opts,
	    &e);
	assert_non_null(x->o);
}

static void
fixture_free(struct fixture *x)
{
	orch_free(x->o);
	provider_free(x->prov);
	eventlog_close(x->log);
	loop_free(x->loop);
	config_free(&x->cfg);
	test_tmpdir_remove(x->dir);
}

/* A credential_process (or any child the driver did not start for the
 * switch) must still be there for its owner to reap. */
static void
test_reaps_only_its_child(void **state)
{
	struct fixture x;
	pid_t child;
	int i, status;

	(void)state;
	fixture_new(&x);
	child = fork();
	if (child == 0)
		_exit(7);
	/* SIGCHLD arrives through the loop's self-pipe. */
	for (i = 0; i < 20; i++)
		loop_run_once(x.loop, 20);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	fixture_free(&x);
}

/* A step that starts a child, as the switch command does. */
struct fake_child {
	pid_t pid;
	int status;
	bool reaped;
};
static int fake_cancels;

static void
fake_reap(void *data)
{
	struct fake_child *c = data;

	if (!c->reaped && c->pid > 0 &&
	    waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->reaped = true;
}

static void
fake_cancel(void *data)
{
	(void)data;
	fake_cancels++;
}

static const struct step_data_def fake_data = {
	sizeof (struct fake_child), fake_cancel, fake_reap
};
static const flow_step fake_flow[] = { NULL };
static const struct step fake_step = { "test.child", NULL, NULL, fake_flow,
	SIDE_SOURCE, false, &fake_data };

/* The running step's own data: made (zeroed) when it starts, given
 * SIGCHLD while it runs, cancelled once and freed when it ends. The
 * switch command's steps reap their child so. */
static void
test_step_data_life(void **state)
{
	struct fixture x;
	struct fake_child *c;
	int i;

	(void)state;
	assert_non_null(step_switch_command.data);
	assert_non_null(step_switch_command.data->on_child);
	assert_non_null(step_switch_command.data->cancel);
	assert_ptr_equal(step_switch_command_back.data,
	    step_switch_command.data);
	fixture_new(&x);
	assert_null(orch_step_data(x.o));
	fake_cancels = 0;
	orch_step_begin(x.o, &fake_step);
	assert_ptr_equal(x.o->step, &fake_step);
	c = orch_step_data(x.o);
	assert_non_null(c);
	assert_int_equal(c->pid, 0);
	assert_false(c->reaped);
	c->pid = fork();
	if (c->pid == 0)
		_exit(3);
	assert_true(c->pid > 0);
	/* SIGCHLD arrives through the loop's self-pipe; a loaded machine
	 * may take a while. */
	for (i = 0; i < 500 && !c->reaped; i++)
		loop_run_once(x.loop, 20);
	assert_true(c->reaped);
	assert_true(WIFEXITED(c->status));
	assert_int_equal(WEXITSTATUS(c->status), 3);
	assert_int_equal(fake_cancels, 0);
	orch_step_end(x.o);
	assert_int_equal(fake_cancels, 1);
	assert_null(orch_step_data(x.o));
	orch_step_end(x.o);
	assert_int_equal(fake_cancels, 1);
	/* Abandoned while running (orch_free): cancelled too. */
	orch_step_begin(x.o, &fake_step);
	assert_non_null(orch_step_data(x.o));
	fixture_free(&x);
	assert_int_equal(fake_cancels, 2);
}

/* orch_apply is how the orchestrator writes a model: a copy of the run's
 * state (a change is reported once, and the copy does not follow the
 * orchestrator's state until applied again), the progress, the window. */
static void
test_orch_apply(void **state)
{
	struct fixture x;
	struct model md;
	const struct state *got;

	(void)state;
	fixture_new(&x);
	model_init(&md);
	assert_int_equal(orch_apply(x.o, &md, "run") & MODEL_CH_STATE,
	    MODEL_CH_STATE);
	got = model_state(&md);
	assert_non_null(got);
	if (got == NULL)
		return;
	assert_string_equal(got->run_id, orch_state(x.o)->run_id);
	assert_int_equal(orch_apply(x.o, &md, "run"), 0);
	assert_false(md.busy);
	assert_null(md.step);
	assert_false(md.have_gate);
	assert_true(md.switch_left < 0);
	assert_int_equal(md.next_phase, PHASE_PRE_VALIDATION);
	x.o->st.phases[PHASE_PRE_VALIDATION].status = PS_DONE;
	x.o->st.phase = PHASE_SYNC_WAIT;
	assert_int_equal(md.state.phase, PHASE_PRE_VALIDATION);
	assert_int_equal(orch_apply(x.o, &md, "run"), MODEL_CH_STATE);
	assert_true(md.have_state);
	assert_int_equal(md.state.phase, PHASE_SYNC_WAIT);
	assert_int_equal(md.next_phase, PHASE_SYNC_WAIT);
	x.o->st.completed = true;
	orch_apply(x.o, &md, "run");
	assert_int_equal(md.next_phase, PHASE_COUNT);
	model_clear(&md);
	fixture_free(&x);
}

/* The phase state machine over every phase, status and flag: which phase
 * runs next, which phases are the cut (approved together before the
 * fence), when disarming is allowed and what it leaves. */
static void
test_phase_machine(void **state)
{
	struct fixture x;
	struct err e = { 0, "" };
	int p, ps, done, armed, fenced, began, cases = 0;
	enum phase_id want;
	size_t i;
	bool allowed;

	(void)state;
	fixture_new(&x);
	for (p = 0; p < PHASE_COUNT; p++) {
		assert_int_equal(orch_phases[p].id, p);
		assert_non_null(orch_phases[p].steps[0]);
		for (i = 0; orch_phases[p].steps[i] != NULL; i++) {
			assert_non_null(orch_phases[p].steps[i]->name);
			assert_non_null(orch_phases[p].steps[i]->flow);
		}
		assert_int_equal(orch_in_cut((enum phase_id)p),
		    p >= PHASE_DRAIN && p <= PHASE_SWITCH);
	}
	for (p = 0; p < PHASE_COUNT; p++)
	for (ps = PS_PENDING; ps <= PS_ROLLED_BACK; ps++)
	for (done = 0; done < 2; done++)
	for (armed = 0; armed < 2; armed++)
	for (fenced = 0; fenced < 2; fenced++)
	for (began = 0; began < 2; began++) {
		struct state *st = &x.o->st;

		st->phase = (enum phase_id)p;
		st->phase_status = (enum phase_status)ps;
		st->phases[p].status = (enum phase_status)ps;
		st->completed = done;
		st->armed = armed;
		st->fenced = fenced;
		st->fenced_at = began ? 1700000000000 : 0;
		cases++;
		want = done ? PHASE_COUNT : ps == PS_ROLLED_BACK ?
		    PHASE_PRE_VALIDATION : (enum phase_id)p;
		assert_int_equal(orch_next_phase(x.o), want);
		allowed = armed && !fenced && !began;
		assert_int_equal(orch_disarm(x.o, &e) == 0, allowed);
		assert_false(st->armed && allowed);
		if (!allowed)
			assert_int_equal(st->armed, armed);
		assert_int_equal(st->phase, allowed && p == PHASE_DRAIN &&
		    ps == PS_PENDING ? PHASE_SYNC_WAIT : (enum phase_id)p);
		assert_int_equal(st->fenced, fenced);
	}
	assert_int_equal(cases, PHASE_COUNT * 5 * 2 * 2 * 2 * 2);
	fixture_free(&x);
}

static void
test_gate_unknown_lag(void **state)
{
	(void)state;
	assert_true(lag_below_gate(1.0, 0.5, 5));
	assert_false(lag_below_gate(1.0, NAN, 5));	/* provider unknown */
	assert_false(lag_below_gate(NAN, 0.5, 5));	/* heartbeat stale */
	assert_false(lag_below_gate(6.0, 0.5, 5));
	assert_false(lag_below_gate(1.0, 5.0, 5));
}

/* What a rollback has to look at comes from the records written before
 * each effect, not from flags set at the end of a step. */
static void
test_effects_from_records(void **state)
{
	struct state s;

	(void)state;
	state_init(&s, "staging", false);
	assert_false(state_has_effects(&s));
	s.fenced_at = 1700000000000;	/* window.open, before PAUSE */
	assert_true(state_has_effects(&s));
	s.fenced_at = 0;
	state_set(&s.switch_command, "forward started");
	assert_true(state_has_effects(&s));
	state_set(&s.switch_command, NULL);
	s.reverse_begun = true;
	assert_true(state_has_effects(&s));
	state_free(&s);
}

/* world_decide over every combination of what can be seen and recorded
 * (methods, the switch's records, pgbouncer answering or not, where its
 * entry points, paused or not, writes seen on the target or unknown):
 * the rules a rollback and a resume rely on hold in every one of them. */
static void
test_world_decisions_exhaustive(void **state)
{
	static const char *const cmd_said[] = { NULL, "forward started",
	    "forward succeeded", "forward failed" };
	struct config cfg;
	struct state st;
	struct world w;
	int sm, dm, sw, begun, cmd, ok, live, paused, writes, cases = 0;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	state_init(&st, "staging", false);
	for (sm = 0; sm < 2; sm++)
	for (dm = 0; dm < 3; dm++)
	for (sw = 0; sw < 2; sw++)
	for (begun = 0; begun < 2; begun++)
	for (cmd = 0; cmd < 4; cmd++)
	for (ok = 0; ok < 2; ok++)
	for (live = AT_UNKNOWN; live <= AT_ELSEWHERE; live++)
	for (paused = 0; paused < 2; paused++)
	for (writes = -1; writes <= 1; writes++) {
		bool anything_begun;

		cfg.switch_method = sm ? SWITCH_COMMAND : SWITCH_PGBOUNCER;
		cfg.drain_method = (enum drain_method)dm;
		st.switched = sw;
		st.switch_begun_at = begun ? 1700000000000 : 0;
		state_set(&st.switch_command, cmd_said[cmd]);
		memset(&w, 0, sizeof w);
		w.looked = true;
		w.bouncer_ok = ok;
		w.live_at = ok ? (enum where)live : AT_UNKNOWN;
		w.paused = ok && paused;
		w.target_writes = writes;
		world_decide(&cfg, &st, &w);
		cases++;
		anything_begun = sw || begun || cmd_said[cmd] != NULL;

		/* Whoever may be writing on the target is never forgotten. */
		if (w.let_in)
			assert_true(w.on_target);
		if (sw)
			assert_true(w.let_in && w.on_target);
		if (anything_begun && writes > 0)
			assert_true(w.on_target);
		/* Nothing begun and nothing let in: nothing to carry back. */
		if (!anything_begun && !w.let_in)
			assert_false(w.on_target);
		/* The switch begun, nothing seen on the target for sure, and
		 * pgbouncer not seen at the source: assume the target. */
		if (anything_begun && writes < 0 && (sm == 1 ||
		    w.live_at != AT_SOURCE))
			assert_true(w.on_target);
		/* pgbouncer switch: let in only as seen live, unpaused, at
		 * the target (or recorded done). */
		if (sm == 0 && !sw)
			assert_int_equal(w.let_in, ok && w.live_at == AT_TARGET &&
			    !w.paused);
		/* command switch: let in only once the command said so, and
		 * not while pgbouncer's drain may still hold the clients. */
		if (sm == 1 && !sw && w.let_in) {
			assert_string_equal(cmd_said[cmd], "forward succeeded");
			if (dm == DRAIN_PGBOUNCER)
				assert_true(ok && !w.paused);
		}
	}
	assert_int_equal(cases, 2 * 3 * 2 * 2 * 4 * 2 * 4 * 2 * 3);
	state_free(&st);
}

/* The rollback's plan over every combination of methods, providers and
 * records: the target is fenced only when the application may have
 * written there, and then before the source is let in; the source's
 * fence is lifted exactly when one was begun; the last step always
 * checks what the rollback claims; every step says what it does (the
 * plan shown is the plan run). */
static void
test_rollback_plan(void **state)
{
	struct config cfg;
	struct orch o;
	int dm, sm, pv, rr, on_target, fenced, begun, rev, cases = 0;
	size_t i, unfence = 0, last = 0;

	(void)state;
	for (i = 0; orch_rollback_steps[i] != NULL; i++) {
		assert_non_null(orch_rollback_steps[i]->describe);
		if (orch_rollback_steps[i] == &step_unfence_source)
			unfence = i;
		last = i;
	}
	assert_ptr_equal(orch_rollback_steps[last], &step_rollback_verify);
	for (i = 0; orch_rollback_steps[i] != NULL; i++)
		if (strncmp(orch_rollback_steps[i]->name, "target.", 7) == 0)
			assert_true(i < unfence);
	memset(&cfg, 0, sizeof cfg);
	memset(&o, 0, sizeof o);
	o.cfg = &cfg;
	state_init(&o.st, "staging", false);
	for (dm = 0; dm < 3; dm++)
	for (sm = 0; sm < 2; sm++)
	for (pv = 0; pv < 2; pv++)
	for (rr = 0; rr < 2; rr++)
	for (on_target = 0; on_target < 2; on_target++)
	for (fenced = 0; fenced < 2; fenced++)
	for (begun = 0; begun < 2; begun++)
	for (rev = 0; rev < 2; rev++) {
		cfg.drain_method = (enum drain_method)dm;
		cfg.switch_method = sm ? SWITCH_COMMAND : SWITCH_PGBOUNCER;
		cfg.provider = pv ? PROVIDER_DMS : PROVIDER_POSTGRES;
		cfg.reverse_replication = rr;
		o.st.rollback_on_target = on_target;
		o.st.fenced_at = fenced ? 1700000000000 : 0;
		o.st.switch_begun_at = begun ? 1700000000001 : 0;
		o.st.reverse_begun = rev;
		o.st.replication = rev ? REPL_REVERSE : REPL_FORWARD;
		cases++;
		for (i = 0; orch_rollback_steps[i] != NULL; i++) {
			const struct step *st = orch_rollback_steps[i];
			bool applies = st->applies == NULL || st->applies(&o);

			if (strncmp(st->name, "target.", 7) == 0 && !on_target)
				assert_false(applies);
			if (st == &step_unfence_source)
				assert_int_equal(applies, fenced);
			if (st == &step_rollback_verify)
				assert_true(applies);
		}
	}
	assert_int_equal(cases, 3 * 2 * 2 * 2 * 2 * 2 * 2 * 2);
	state_free(&o.st);
}

/* A hostile feed or snapshot: numbers out of range are unknown, never
 * converted to integers (UB). */
static void
test_snapshot_numbers_checked(void **state)
{
	static const char text[] =
	    "{\"version\": 1, \"watchers\": 1e300, \"period_ms\": -1e300,"
	    " \"written_ms\": 1e308, \"max_lag_seconds\": 1e308,"
	    " \"driver\": {\"pid\": 1e20, \"user\": \"x\"},"
	    " \"replication\": {\"tables_loaded\": 1e300, \"tables_errored\": -5,"
	    "  \"full_load_percent\": 1e9, \"updated_ms\": -1,"
	    "  \"lag_seconds\": {\"end_to_end\": 1e300}},"
	    " \"monitor\": {\"generation\": 1e300, \"refreshed_ms\": 1e300},"
	    " \"series\": [{\"name\": \"lag\", \"t\": [1e300, -1, 1000],"
	    "  \"v\": [1, 2, 1e300], \"updated_ms\": 1e300}]}";
	struct model v;
	struct err e = { 0, "" };

	(void)state;
	model_init(&v);
	v.period_ms = 1000;
	assert_int_equal(snapshot_apply(&v, text, sizeof text - 1, &e), 0);
	assert_int_equal(v.watchers, -1);
	assert_int_equal(v.period_ms, 1000);
	assert_int_equal(v.snapshot_at, 0);
	assert_true(isnan(v.max_lag_seconds));
	assert_int_equal(v.driver.pid, 0);
	assert_int_equal(v.mon.repl.tables_loaded, -1);
	assert_int_equal(v.mon.repl.tables_errored, -1);
	assert_true(isnan(v.mon.repl.full_load_percent));
	assert_int_equal(v.mon.repl.updated_at, 0);
	assert_true(isnan(v.mon.lag_e2e));
	assert_int_equal(v.mon.generation, 0);
	assert_int_equal(v.mon.refreshed_at, 0);
	model_clear(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaps_only_its_child),
		cmocka_unit_test(test_step_data_life),
		cmocka_unit_test(test_orch_apply),
		cmocka_unit_test(test_phase_machine),
		cmocka_unit_test(test_gate_unknown_lag),
		cmocka_unit_test(test_effects_from_records),
		cmocka_unit_test(test_world_decisions_exhaustive),
		cmocka_unit_test(test_rollback_plan),
		cmocka_unit_test(test_snapshot_numbers_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
