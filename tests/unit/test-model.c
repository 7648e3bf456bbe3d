/* test-model.c - the replication object has one writer: `status --json`
 * writes it with the keys and values of INTERFACE.md (the text below is
 * what the tree wrote before the writer was shared), snapshot.json and
 * the feed write it with their own keys, and a watcher reads back what
 * the driver wrote. */
#include "unit.h"

#include <math.h>

#include "model.h"
#include "monitor.h"
#include "snapshot.h"
#include "state.h"

struct fixture {
	struct monitor_model m;
	struct config cfg;
	struct state st;
	struct lock_holder driver;
};

/* After the switch: forward stopped with its slot, the way back running
 * 0.3 s behind, a refresh that kept the statistics from before. */
static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	repl_status_init(&f->m.repl);
	repl_status_init(&f->m.reverse);
	f->m.repl.provider = xstrdup("postgres");
	f->m.repl.status = xstrdup("stopped");
	f->m.repl.full_load_percent = 100;
	f->m.repl.tables_loaded = 9;
	f->m.repl.lag_source = 0.25;
	f->m.repl.lag_target = 1.3;
	f->m.lag_e2e = 1.5;
	f->m.repl.slot_name = xstrdup("cutover_sub");
	f->m.repl.confirmed_flush_lsn = xstrdup("0/16B3748");
	f->m.repl.wal_retained_bytes = 123456789012;
	f->m.repl.updated_at = 1796000000123;
	f->m.repl.error = xstrdup("metrics \"unavailable\"\n");
	f->m.direction = REPL_REVERSE;
	f->m.switched = true;
	f->m.reverse.provider = xstrdup("postgres");
	f->m.reverse.status = xstrdup("running");
	f->m.lag_reverse = 0.3;
	f->m.reverse_applied_ms = 1796000000456;
	f->m.reverse.updated_at = 1796000000789;
	f->cfg.environment = xstrdup("prod");
	f->cfg.provider = PROVIDER_POSTGRES;
	state_init(&f->st, "prod", false);
	f->st.replication = REPL_REVERSE;
}

static void
fixture_free(struct fixture *f)
{
	repl_status_clear(&f->m.repl);
	repl_status_clear(&f->m.reverse);
	free(f->cfg.environment);
	state_free(&f->st);
}

static char *
replication_text(const cJSON *doc)
{
	return cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc,
	    "replication"));
}

static void
test_status_replication(void **unused)
{
	struct fixture f;
	cJSON *o;
	char *text;

	(void)unused;
	fixture_init(&f);
	o = status_json(&f.cfg, &f.st, &f.driver, &f.m);
	text = replication_text(o);
	assert_string_equal(text, "{\"provider\":\"postgres\",\"status\":"
	    "\"stopped\",\"stop_reason\":null,\"full_load_percent\":100,"
	    "\"tables_loaded\":9,\"tables_loading\":null,\"tables_queued\":null,"
	    "\"tables_errored\":null,\"lag_seconds\":{\"source\":0.25,"
	    "\"target\":1.3,\"end_to_end\":1.5},\"last_failure\":null,\"slot\":"
	    "{\"name\":\"cutover_sub\",\"active\":false,\"confirmed_flush_lsn\":"
	    "\"0/16B3748\",\"wal_retained_bytes\":123456789012},\"error\":null,"
	    "\"warning\":\"metrics \\\"unavailable\\\"\\n\",\"direction\":"
	    "\"reverse\",\"reverse\":{\"provider\":\"postgres\",\"status\":"
	    "\"running\",\"stop_reason\":null,\"full_load_percent\":null,"
	    "\"tables_loaded\":null,\"tables_loading\":null,\"tables_queued\":"
	    "null,\"tables_errored\":null,\"lag_seconds\":{\"source\":null,"
	    "\"target\":null,\"end_to_end\":0.3},\"last_failure\":null,"
	    "\"error\":null,\"warning\":null},\"rollback\":\"rollback: lossless "
	    "(reverse replication 0.3 s behind)\"}");
	cJSON_free(text);
	cJSON_Delete(o);
	/* Before any run, and with a refresh error: forward, no way back. */
	fixture_free(&f);
	fixture_init(&f);
	f.m.direction = REPL_FORWARD;
	f.m.switched = false;
	f.m.error = xstrdup("source: refused");
	o = status_json(&f.cfg, NULL, &f.driver, &f.m);
	text = replication_text(o);
	assert_non_null(strstr(text, "\"error\":\"source: refused\","
	    "\"warning\":null,\"direction\":\"forward\",\"reverse\":null,"
	    "\"rollback\":null}"));
	cJSON_free(text);
	cJSON_Delete(o);
	free(f.m.error);
	fixture_free(&f);
}

/* What the driver writes, a watcher reads: the same model again. */
static void
test_snapshot_round_trip(void **unused)
{
	struct fixture f;
	struct model v, w;
	struct strbuf sb;
	struct err e = { 0, "" };
	cJSON *a, *b;
	char *ta, *tb;

	(void)unused;
	fixture_init(&f);
	model_init(&v);
	model_set(&v.environment, "prod");
	model_set(&v.provider, "postgres");
	v.period_ms = 2000;
	monitor_model_clear(&v.mon);
	v.mon = f.m;               /* the model owns its figures */
	v.have_mon = true;
	memset(&f.m, 0, sizeof f.m);
	sb_init(&sb);
	snapshot_json(&v, false, 1796000000000, &sb);
	model_init(&w);
	assert_int_equal(snapshot_apply(&w, sb.buf, sb.len, &e), 0);
	assert_non_null(model_mon(&w));
	assert_int_equal(w.mon.direction, REPL_REVERSE);
	assert_true(w.mon.switched);
	assert_string_equal(w.mon.repl.status, "stopped");
	assert_string_equal(w.mon.repl.slot_name, "cutover_sub");
	assert_true(w.mon.repl.wal_retained_bytes == 123456789012);
	assert_float_equal(w.mon.lag_e2e, 1.5, 0);
	assert_float_equal(w.mon.repl.full_load_percent, 100, 0);
	assert_float_equal(w.mon.lag_reverse, 0.3, 0);
	assert_true(w.mon.reverse_applied_ms == 1796000000456);
	assert_true(w.mon.reverse.updated_at == 1796000000789);
	/* Both directions, key for key. */
	a = model_repl_to_json(&v.mon, "postgres", v.mon.direction,
	    REPL_JSON_SNAPSHOT);
	b = model_repl_to_json(&w.mon, "postgres", w.mon.direction,
	    REPL_JSON_SNAPSHOT);
	ta = cJSON_PrintUnformatted(a);
	tb = cJSON_PrintUnformatted(b);
	assert_string_equal(ta, tb);
	assert_non_null(strstr(ta, "\"updated_ms\":1796000000123,"
	    "\"direction\":\"reverse\",\"switched\":true,\"reverse\":{"));
	assert_non_null(strstr(ta, "\"reverse_applied_ms\":1796000000456}}"));
	cJSON_free(ta);
	cJSON_free(tb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	sb_free(&sb);
	model_clear(&v);
	model_clear(&w);
	fixture_free(&f);
}

/* A hostile feed: absurd numbers are unknown, never converted. */
static void
test_repl_from_json_bounds(void **unused)
{
	struct monitor_model m;
	cJSON *o = cJSON_Parse("{\"status\":\"running\",\"full_load_percent\":"
	    "1e300,\"tables_loaded\":-4,\"lag_seconds\":{\"source\":\"x\","
	    "\"end_to_end\":1e300},\"slot\":{\"name\":\"s\",\"wal_retained_bytes\":"
	    "1e300},\"updated_ms\":-1,\"direction\":\"sideways\",\"reverse\":7}");

	(void)unused;
	memset(&m, 0, sizeof m);
	repl_status_init(&m.repl);
	repl_status_init(&m.reverse);
	model_repl_from_json(&m, o);
	assert_string_equal(m.repl.status, "running");
	assert_true(isnan(m.repl.full_load_percent));
	assert_int_equal(m.repl.tables_loaded, -1);
	assert_true(isnan(m.repl.lag_source));
	assert_true(isnan(m.lag_e2e));
	assert_true(m.repl.wal_retained_bytes == -1);
	assert_true(m.repl.updated_at == 0);
	assert_int_equal(m.direction, REPL_FORWARD);
	assert_null(m.reverse.status);
	assert_true(isnan(m.lag_reverse));
	repl_status_clear(&m.repl);
	repl_status_clear(&m.reverse);
	cJSON_Delete(o);
}

/* The model owns what it shows: the state and the metrics are copies, so
 * the source may change or go away (a watcher's snapshot replaced, the
 * orchestrator freed) and the screen still reads what was applied. */
static void
test_model_owns_its_copies(void **unused)
{
	struct model v;
	struct state st;
	struct series m[2];
	const struct state *got;

	(void)unused;
	model_init(&v);
	assert_null(model_state(&v));
	assert_null(model_mon(&v));
	state_init(&st, "prod", false);
	st.phase = PHASE_DRAIN;
	state_add_fenced_role(&st, "app_rw");
	assert_true(model_set_state(&v, &st));
	assert_false(model_set_state(&v, &st));   /* the same: no redraw */
	st.phase = PHASE_FINAL_SYNC;
	got = model_state(&v);
	assert_non_null(got);
	assert_true(got != NULL && got->phase == PHASE_DRAIN);
	assert_true(model_set_state(&v, &st));
	state_free(&st);
	got = model_state(&v);
	assert_non_null(got);
	if (got == NULL)
		return;
	assert_int_equal(got->phase, PHASE_FINAL_SYNC);
	assert_int_equal(got->nfenced_roles, 1);
	assert_string_equal(got->fenced_roles[0], "app_rw");
	assert_string_equal(got->environment, "prod");
	assert_true(model_set_state(&v, NULL));
	assert_null(model_state(&v));

	series_init(&m[0], "CDCLatencySource", "s");
	series_init(&m[1], "CPUUtilization", "%");
	series_push(&m[0], 1796000000000, 0.5);
	model_set_metrics(&v, m, 2);
	series_clear(&m[0]);
	series_clear(&m[1]);
	assert_int_equal(v.nmetrics, 2);
	assert_string_equal(v.metrics[0].name, "CDCLatencySource");
	assert_string_equal(v.metrics[1].unit, "%");
	assert_float_equal(series_last(&v.metrics[0]), 0.5, 0);
	model_set_metrics(&v, NULL, 0);
	assert_int_equal(v.nmetrics, 0);
	assert_null(v.metrics);
	model_clear(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_replication),
		cmocka_unit_test(test_snapshot_round_trip),
		cmocka_unit_test(test_repl_from_json_bounds),
		cmocka_unit_test(test_model_owns_its_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
