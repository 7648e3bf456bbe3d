/* test-orch.c - the orchestrator's mechanics that need no database: the
 * SIGCHLD handler reaps only its own child, the lag gate never passes on
 * an unknown lag, the write-ahead records say when there is something to
 * undo; and the watcher's side: absurd numbers in a snapshot are not
 * converted. */
#include "unit.h"

#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventlog.h"
#include "orch-internal.h"
#include "snapshot.h"
#include "view.h"

/* A credential_process (or any child the driver did not start for the
 * switch) must still be there for its owner to reap. */
static void
test_reaps_only_its_child(void **state)
{
	char *dir = test_tmpdir();
	struct loop *loop = loop_new();
	struct config cfg;
	struct eventlog *log = NULL;
	struct provider *prov;
	struct orch_ui ui = { NULL, NULL, NULL, NULL, NULL };
	struct orch_opts opts = { true, false, NULL };
	struct err e = { 0, "" };
	struct orch *o;
	pid_t child;
	int i, status;

	(void)state;
	config_defaults(&cfg);
	cfg.provider = PROVIDER_POSTGRES;
	cfg.source_conninfo = xstrdup("host=127.0.0.1 port=1 dbname=none");
	cfg.target_conninfo = xstrdup("host=127.0.0.1 port=1 dbname=none");
	assert_int_equal(eventlog_open(&log, dir, cfg.environment, &e), 0);
	prov = provider_new(loop, &cfg, &e);
	assert_non_null(prov);
	o = orch_new(loop, &cfg, dir, log, prov, &ui, &opts, &e);
	assert_non_null(o);
	child = fork();
	if (child == 0)
		_exit(7);
	/* SIGCHLD arrives through the loop's self-pipe. */
	for (i = 0; i < 20; i++)
		loop_run_once(loop, 20);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	orch_free(o);
	provider_free(prov);
	eventlog_close(log);
	loop_free(loop);
	config_free(&cfg);
	test_tmpdir_remove(dir);
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
	struct snapshot s;
	struct view v;
	struct err e = { 0, "" };

	(void)state;
	snapshot_init(&s);
	view_init(&v);
	v.period_ms = 1000;
	assert_int_equal(snapshot_apply(&s, &v, text, sizeof text - 1, &e), 0);
	assert_int_equal(v.watchers, -1);
	assert_int_equal(v.period_ms, 1000);
	assert_int_equal(v.snapshot_at, 0);
	assert_true(isnan(v.max_lag_seconds));
	assert_int_equal(v.driver.pid, 0);
	assert_int_equal(s.mon.repl.tables_loaded, -1);
	assert_int_equal(s.mon.repl.tables_errored, -1);
	assert_true(isnan(s.mon.repl.full_load_percent));
	assert_int_equal(s.mon.repl.updated_at, 0);
	assert_true(isnan(s.mon.lag_e2e));
	assert_int_equal(s.mon.generation, 0);
	assert_int_equal(s.mon.refreshed_at, 0);
	view_clear(&v);
	snapshot_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaps_only_its_child),
		cmocka_unit_test(test_gate_unknown_lag),
		cmocka_unit_test(test_effects_from_records),
		cmocka_unit_test(test_snapshot_numbers_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
