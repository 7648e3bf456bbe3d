/* render - the panes drawn without a terminal: newterm() on /dev/null, a
 * fixed model, the screen dumped with mvwinnstr() and compared with the
 * golden files in tests/ui/golden (TAP). UPDATE_GOLDEN=1 rewrites them
 * (then read the diff before committing it).
 *
 *   render GOLDEN_DIR */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui-int.h"
#include "model.h"

#define T0 1795536000000LL       /* 2026-11-24T16:00:00Z */

static int ntests, nfailed;
static const char *golden_dir;

static struct state st;
static struct model view;

static void
add_table(const char *schema, const char *name, int64_t src, int64_t dst,
    const char *state, int64_t ins)
{
	struct table_stat *t = table_list_get(&view.mon.tables, schema, name);

	t->source_rows = src;
	t->target_rows = dst;
	t->state = xstrdup(state);
	t->inserts = ins;
	t->updates = ins / 10;
	t->deletes = ins / 100;
}

/* A partitioned table, its three partitions folded in (as the monitor
 * folds them). */
static void
add_partitioned(void)
{
	static const char *const leaves[] = { "events_2024", "events_2025",
	    "events_default" };
	struct table_stat *t = table_list_get(&view.mon.tables, "public", "events");
	size_t i;

	t->state = xstrdup("replicating");
	t->source_rows = 30000;
	t->target_rows = 29990;
	t->inserts = 300;
	t->updates = 30;
	t->deletes = 3;
	t->parts = xcalloc(3, sizeof *t->parts);
	for (i = 0; i < 3; i++) {
		struct table_stat *l = &t->parts[t->nparts++];

		l->schema = xstrdup("public");
		l->name = xstrdup(leaves[i]);
		l->state = xstrdup("replicating");
		l->source_rows = 10000;
		l->target_rows = i == 2 ? 9990 : 10000;
		l->inserts = 100;
		l->updates = 10;
		l->deletes = 1;
		l->check = -1;
		l->full_load_rows = l->ddls = l->validation_failed_records = -1;
	}
}

static void
add_event(int64_t seq, int64_t ts, const char *kind, const char *phase,
    const char *msg)
{
	char line[1024], t[40];

	time_rfc3339(ts, t, sizeof t);
	snprintf(line, sizeof line, "{\"seq\":%lld,\"ts\":\"%s\",\"kind\":\"%s\","
	    "\"phase\":%s%s%s,\"actor\":\"sre@bastion-1\",\"environment\":\"staging\","
	    "\"msg\":\"%s\",\"data\":{},\"prev\":\"%064d\",\"hash\":\"%064d\"}",
	    (long long)seq, t, kind, phase ? "\"" : "", phase ? phase : "null",
	    phase ? "\"" : "", msg, 0, 0);
	model_add_event_line(&view, line, strlen(line));
}

static void
fill_model(void)
{
	static const char *const names[SERIES_COUNT] = { "lag source",
	    "lag target", "lag end to end", "source transactions/s",
	    "source connections", "source WAL", "target transactions/s",
	    "target connections", "lag reverse end to end" };
	static const char *const units[SERIES_COUNT] = { "s", "s", "s",
	    "count/s", "count", "bytes/s", "count/s", "count", "s" };
	int i, k;

	model_init(&view);
	view.mon.lag_reverse = NAN;
	view.mon.repl.provider = xstrdup("postgres");
	view.mon.repl.status = xstrdup("running");
	view.mon.repl.full_load_percent = 100;
	view.mon.repl.tables_loaded = 11;
	view.mon.repl.tables_loading = 0;
	view.mon.repl.tables_queued = 0;
	view.mon.repl.tables_errored = 0;
	view.mon.repl.lag_source = 0.4;
	view.mon.repl.lag_target = 0.9;
	view.mon.repl.slot_name = xstrdup("cutover_sub");
	view.mon.repl.slot_active = true;
	view.mon.repl.wal_retained_bytes = 3 << 20;
	view.mon.repl.updated_at = T0 - 500;
	view.mon.lag_e2e = 1.3;
	view.mon.heartbeat_writer = true;
	view.mon.refreshed_at = T0 - 500;
	view.mon.tables_refreshed_at = T0 - 500;
	for (i = 0; i < SERIES_COUNT; i++) {
		series_clear(&view.mon.series[i]);
		series_init(&view.mon.series[i], names[i], units[i]);
	}
	for (k = 0; k < 300; k++) {
		int64_t t = T0 - 300000 + k * 1000;
		double wave = 1 + sin(k / 20.0);

		series_push(&view.mon.series[SERIES_LAG_E2E], t, k > 200 && k < 230 ?
		    3.5 : wave);
		series_push(&view.mon.series[SERIES_SRC_TPS], t, 180 + 40 * wave);
		series_push(&view.mon.series[SERIES_DST_TPS], t, 170 + 40 * wave);
		series_push(&view.mon.series[SERIES_SRC_CONNECTIONS], t, 42);
		series_push(&view.mon.series[SERIES_DST_CONNECTIONS], t, 3);
		series_push(&view.mon.series[SERIES_SRC_WAL_RATE], t, 2e6 * wave);
		if (k > 240)
			series_push(&view.mon.series[SERIES_LAG_REVERSE], t, k > 280 &&
			    k < 290 ? 2.5 : 0.3 * wave);
	}
	add_table("public", "accounts", 1000000, 1000000, "replicating", 5123);
	add_table("public", "transfers", 2500000, 2499990, "replicating", 90211);
	add_table("public", "ledger_entries", 5000000, 4999200, "replicating",
	    180422);
	add_table("public", "audit_log", 100, 100, "replicating", 0);
	add_table("public", "wide", 20000, 20000, "replicating", 12);
	add_table("cutover", "heartbeat", 1, 1, "replicating", 1);
	add_table("cutover", "sentinel", 0, 0, "replicating", 0);
	add_table("My Schema", "We\"ird Table", 300, 300, "replicating", 0);
	add_table("public", "tabl\xc3\xa9_\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9",
	    300, 300, "replicating", 0);
	add_table("billing", "invoices", 12000, -1, "syncing", -1);

	memset(&st, 0, sizeof st);
	snprintf(st.run_id, sizeof st.run_id, "4f2a9c01d3e5b7a8");
	st.environment = xstrdup("staging");
	st.phase = PHASE_SYNC_WAIT;
	st.phase_status = PS_RUNNING;
	st.phases[0].status = PS_DONE;
	st.phases[0].started_at = T0 - 600000;
	st.phases[0].finished_at = T0 - 540000;
	st.phases[1].status = PS_RUNNING;
	st.phases[1].started_at = T0 - 40000;
	st.replication = REPL_FORWARD;

	view.environment = xstrdup("staging");
	view.provider = xstrdup("postgres");
	view.max_lag_seconds = 2;
	view.period_ms = 1000;
	view.now = T0;
	st.version = STATE_VERSION;	/* the model copies it through its JSON */
	view.driver.pid = 4242;
	snprintf(view.driver.user, sizeof view.driver.user, "sre");
	snprintf(view.driver.host, sizeof view.driver.host, "bastion-1");
	snprintf(view.driver.since, sizeof view.driver.since,
	    "2026-11-24T15:40:00.000Z");
	view.watchers = 2;
	view.have_mon = true;
	view.busy = true;
	view.step = xstrdup("waiting for the lag gate");
	view.progress = xstrdup("lag 1.3 s below 2 s for 12 of 30 s");
	view.have_gate = true;
	view.gate_lag_e2e = 1.3;
	view.gate_held = 12;
	view.gate_hold = 30;
	view.gate_threshold = 2;
	view.next_phase = PHASE_SYNC_WAIT;
	view.checks_title = xstrdup("pre_validation quick validation, 15:51:00");
	view.checks_passed = true;
	for (i = 0; i < CHK_COUNT; i++)
		view.checks[i].status = i == CHK_CHECKSUMS ? CHECK_SKIP :
		    i == CHK_PRIMARY_KEYS ? CHECK_WARN : CHECK_PASS;
	model_set(&view.checks[CHK_PRIMARY_KEYS].detail,
	    "1 tables without a primary key");
	model_table_check_set(&view, "public.transfers", CHECK_FAIL);
	model_table_check_set(&view, "public.accounts", CHECK_PASS);
	add_event(1, T0 - 900000, "run.started", NULL, "run 4f2a9c01d3e5b7a8 started");
	add_event(2, T0 - 610000, "console.opened", NULL, "console opened by sre@bastion-1");
	add_event(3, T0 - 600000, "operator.key", "pre_validation", "Enter: run phase 1/8 pre_validation");
	add_event(4, T0 - 599000, "operator.decision", "pre_validation", "yes: key Enter on the confirm button");
	add_event(5, T0 - 598000, "phase.started", "pre_validation", "phase pre_validation started");
	add_event(6, T0 - 540000, "check", "pre_validation", "validation quick: passed");
	add_event(7, T0 - 540000, "phase.done", "pre_validation", "phase pre_validation done");
	add_event(8, T0 - 40000, "phase.started", "sync_wait", "phase sync_wait started");
	add_event(9, T0 - 30000, "watch.joined", NULL, "watcher 10.0.0.7:50122 joined (2 watching)");
	add_event(10, T0 - 10000, "watch.refused", NULL, "watcher 10.0.0.9:41000 refused: wrong token");
}

static void
compare(const char *name, const char *got, size_t len)
{
	char *path = xasprintf("%s/%s.txt", golden_dir, name), *want = NULL;
	size_t wlen = 0;
	FILE *f;

	ntests++;
	if (getenv("UPDATE_GOLDEN") != NULL) {
		f = fopen(path, "w");
		if (f != NULL) {
			fwrite(got, 1, len, f);
			fclose(f);
		}
	}
	f = fopen(path, "r");
	if (f != NULL) {
		want = xmalloc(1 << 20);
		wlen = fread(want, 1, (1 << 20) - 1, f);
		want[wlen] = '\0';
		fclose(f);
	}
	if (want != NULL && wlen == len && memcmp(want, got, len) == 0) {
		printf("ok %d - %s matches its golden screen\n", ntests, name);
	} else {
		const char *a = got, *b = want != NULL ? want : "";
		int line = 1, shown = 0;

		nfailed++;
		printf("not ok %d - %s matches its golden screen (%s)\n", ntests, name,
		    path);
		while ((*a != '\0' || *b != '\0') && shown < 6) {
			size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

			if (la != lb || memcmp(a, b, la) != 0) {
				printf("# line %d\n#  got: %.*s\n# want: %.*s\n", line,
				    (int)la, a, (int)lb, b);
				shown++;
			}
			a += la + (a[la] == '\n');
			b += lb + (b[lb] == '\n');
			line++;
		}
	}
	free(want);
	free(path);
}

struct ucase {
	const char *name;
	const char *locale;
	int lines, cols;
	bool color;
	bool read_only;
	const char *keys;          /* typed after the first draw */
	bool dialog;
	const char *env;
	int64_t now_shift;         /* ms added to the clock: stale data */
};

static bool
enabled(enum request r, void *arg)
{
	(void)arg;
	return r != REQ_DISARM && r != REQ_RUN;
}

static void
request(enum request r, void *arg)
{
	(void)r;
	(void)arg;
}

static void
answer(bool yes, const char *how, void *arg)
{
	(void)yes;
	(void)how;
	(void)arg;
}

/* After the switch (on) or before it (off): the run's state, the way
 * back in the model, the tables' states as the monitor sets them. */
static void
switched(bool on)
{
	size_t i;

	st.replication = on ? REPL_REVERSE : REPL_FORWARD;
	st.switched = on;
	st.phase = on ? PHASE_POST_VALIDATION : PHASE_SYNC_WAIT;
	view.mon.direction = st.replication;
	view.mon.switched = on;
	view.have_gate = !on;
	view.busy = !on;
	/* Switched with post_validation still to run (run --until switch). */
	view.next_phase = on ? PHASE_POST_VALIDATION : PHASE_SYNC_WAIT;
	st.phase_status = on ? PS_PENDING : PS_RUNNING;
	view.mon.lag_e2e = on ? NAN : 1.3;
	free(view.mon.repl.status);
	view.mon.repl.status = xstrdup(on ? "stopped" : "running");
	free(view.mon.repl.stop_reason);
	view.mon.repl.stop_reason = on ? xstrdup("subscription disabled") : NULL;
	view.mon.repl.slot_active = !on;
	repl_status_clear(&view.mon.reverse);
	view.mon.lag_reverse = on ? 0.3 : NAN;
	if (on) {
		view.mon.reverse.provider = xstrdup("postgres");
		view.mon.reverse.status = xstrdup("running");
		view.mon.reverse.slot_name = xstrdup("cutover_rev_sub");
		view.mon.reverse.slot_active = true;
		view.mon.reverse.wal_retained_bytes = 48 << 10;
		view.mon.reverse.lag_source = 0.1;
		view.mon.reverse.lag_target = 0.2;
		view.mon.reverse.updated_at = T0 - 500;
	}
	for (i = 1; i < PHASE_COUNT; i++) {
		st.phases[i].status = !on ? (i == 1 ? PS_RUNNING : PS_PENDING) :
		    i + 1 < PHASE_COUNT ? PS_DONE : PS_PENDING;
		st.phases[i].started_at = on && i + 1 < PHASE_COUNT ?
		    T0 - 40000 + (int64_t)i * 1000 : !on && i == 1 ? T0 - 40000 : 0;
		st.phases[i].finished_at = on && i + 1 < PHASE_COUNT ?
		    st.phases[i].started_at + 500 : 0;
	}
	st.fenced = on;
	for (i = 0; i < view.mon.tables.n; i++) {
		free(view.mon.tables.v[i].state);
		view.mon.tables.v[i].state = xstrdup(on ? "reverse" : i == 9 ?
		    "syncing" : "replicating");
	}
}

static void
run(const struct ucase *uc)
{
	struct ui_ops ops = { request, enabled, NULL, NULL, NULL };
	struct ui_opts o;
	struct loop *loop = loop_new();
	struct err e = { 0, "" };
	FILE *in = fopen("/dev/null", "r"), *out = fopen("/dev/null", "w");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct ui *ui;
	const char *k;
	struct table_list saved_tables;

	setlocale(LC_ALL, uc->locale);
	if (strcmp(uc->name, "tables-partitions") == 0)
		add_partitioned();	/* the last case: the others do not see it */
	if (strncmp(uc->name, "switched-", 9) == 0)
		switched(true);
	model_set_state(&view, &st);
	if (strcmp(uc->name, "watch-no-tables-yet") == 0) {
		saved_tables = view.mon.tables;
		memset(&view.mon.tables, 0, sizeof view.mon.tables);
		view.mon.tables_refreshed_at = 0;
	}
	view.read_only = uc->read_only;
	view.now = T0 + uc->now_shift;
	model_set(&view.environment, uc->env != NULL ? uc->env : "staging");
	memset(&o, 0, sizeof o);
	o.color = uc->color;
	o.ops = uc->read_only ? NULL : &ops;
	o.in = in;
	o.out = out;
	o.term = "xterm-256color";
	o.lines = uc->lines;
	o.cols = uc->cols;
	ui = ui_new(loop, &view, &o, &e);
	if (ui == NULL) {
		printf("not ok %d - %s: %s\n", ++ntests, uc->name, e.msg);
		nfailed++;
		return;
	}
	ui_changed(ui, MODEL_CH_ALL);
	ui_draw(ui);
	for (k = uc->keys; k != NULL && *k != '\0'; k++)
		ui_key(ui, *k == '\n' ? '\r' : *k);
	if (uc->dialog) {
		struct ui_question q;

		memset(&q, 0, sizeof q);
		q.title = "Run phase 3/8: drain";
		q.plan = "Fence writes on the source: PAUSE app on pgbouncer "
		    "(admin 127.0.0.1:6432)\n"
		    "Terminate the remaining sessions of app_rw on the source: "
		    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
		    "usename = 'app_rw'\n"
		    "The switch timeout starts: 300 s to the switch, or everything "
		    "is undone";
		q.danger = UI_DANGER_HIGH;
		q.type_name = strcmp(view.environment, "prod") == 0 ? "prod" : NULL;
		q.yes_label = "Run";
		ui_confirm(ui, &q, answer, NULL);
		for (k = "pr\x7f" "rd"; *k != '\0' && q.type_name != NULL; k++)
			ui_key(ui, *k);
	}
	ui_draw(ui);
	ui_dump(ui, mem);
	fclose(mem);
	ui_free(ui);
	loop_free(loop);
	fclose(in);
	fclose(out);
	compare(uc->name, buf, len);
	free(buf);
	if (strncmp(uc->name, "switched-", 9) == 0)
		switched(false);
	if (strcmp(uc->name, "watch-no-tables-yet") == 0) {
		view.mon.tables = saved_tables;
		view.mon.tables_refreshed_at = T0 - 500;
	}
}

int
main(int argc, char **argv)
{
	static const struct ucase cases[] = {
		{ "driver-120x40", "C.UTF-8", 40, 120, true, false, NULL, false,
		  NULL, 0 },
		{ "driver-80x24", "C.UTF-8", 24, 80, true, false, NULL, false,
		  NULL, 0 },
		{ "too-small-60x15", "C.UTF-8", 15, 60, true, false, NULL, false,
		  NULL, 0 },
		{ "watch-120x40", "C.UTF-8", 40, 120, true, true, NULL, false,
		  NULL, 0 },
		/* A watcher before the driver's first full snapshot. */
		{ "watch-no-tables-yet", "C.UTF-8", 24, 80, true, true, NULL,
		  false, NULL, 0 },
		{ "watch-help", "C.UTF-8", 40, 120, true, true, "?", false,
		  NULL, 0 },
		{ "driver-help", "C.UTF-8", 40, 120, true, false, "?", false,
		  NULL, 0 },
		{ "prod-dialog", "C.UTF-8", 40, 120, true, false, NULL, true,
		  "prod", 0 },
		{ "ascii-mono", "C", 40, 120, false, false, NULL, false, NULL, 0 },
		{ "stale", "C.UTF-8", 40, 120, true, true, NULL, false, NULL,
		  65000 },
		{ "tables-sort-filter", "C.UTF-8", 40, 120, true, false,
		  "ssssS/acc\n", false, NULL, 0 },
		{ "tables-zoom-mismatches", "C.UTF-8", 40, 120, true, false,
		  "zm", false, NULL, 0 },
		/* After the switch: the way back. */
		{ "switched-120x40", "C.UTF-8", 40, 120, true, false, NULL, false,
		  NULL, 0 },
		{ "switched-80x24", "C.UTF-8", 24, 80, true, false, NULL, false,
		  NULL, 0 },
		/* A partitioned table is one row [+3]; p unfolds it. */
		{ "tables-partitions", "C.UTF-8", 40, 120, true, false,
		  "/events\njp", false, NULL, 0 },
	};
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: render GOLDEN_DIR\n");
		return 2;
	}
	golden_dir = argv[1];
	setenv("TZ", "UTC", 1);
	tzset();
	fill_model();
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run(&cases[i]);
	printf("1..%d\n", ntests);
	return nfailed > 0;
}
