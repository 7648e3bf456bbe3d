/* metrics.c - the OpenMetrics exposition of the view, and its server;
 * see metrics.h. Every family is written whole before the next (the
 * format wants it), its # TYPE and # HELP only when it has a sample. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "metrics.h"
#include "state.h"
#include "validate.h"

static const char *const phase_states[] = {
	"pending", "running", "done", "failed", "rolled_back",
};

/* One family being written. */
struct fam {
	struct strbuf *sb;
	const char *name;          /* the family's name */
	const char *type;          /* gauge, counter, info */
	const char *help;
	bool started;
};

static void
fam_begin(struct fam *f, struct strbuf *sb, const char *name,
    const char *type, const char *help)
{
	f->sb = sb;
	f->name = name;
	f->type = type;
	f->help = help;
	f->started = false;
}

static void
escape_label(struct strbuf *sb, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			sb_puts(sb, "\\\\");
		else if (*v == '"')
			sb_puts(sb, "\\\"");
		else if (*v == '\n')
			sb_puts(sb, "\\n");
		else
			sb_putc(sb, *v);
	}
}

/* Starts one sample: name{k="v",...}. labels: key, value pairs, NULL
 * ended; a NULL value leaves its label out. suffix: "_total", "_info". */
static void
sample_start(struct fam *f, const char *suffix, const char *const *labels)
{
	struct strbuf *sb = f->sb;
	bool first = true;
	size_t i;

	if (!f->started) {
		sb_printf(sb, "# TYPE %s %s\n# HELP %s %s\n", f->name, f->type,
		    f->name, f->help);
		f->started = true;
	}
	sb_printf(sb, "%s%s", f->name, suffix);
	for (i = 0; labels != NULL && labels[i] != NULL; i += 2) {
		if (labels[i + 1] == NULL)
			continue;
		sb_puts(sb, first ? "{" : ",");
		first = false;
		sb_printf(sb, "%s=\"", labels[i]);
		escape_label(sb, labels[i + 1]);
		sb_putc(sb, '"');
	}
	if (!first)
		sb_putc(sb, '}');
}

static void
sample(struct fam *f, const char *const *labels, double value)
{
	if (isnan(value))
		return;	/* unknown: no sample rather than a made-up one */
	sample_start(f, "", labels);
	if (isinf(value))
		sb_printf(f->sb, " %s\n", value > 0 ? "+Inf" : "-Inf");
	else if (fabs(value) < 1e15 && fabs(value - (double)(long long)value) <
	    1e-9)
		sb_printf(f->sb, " %lld\n", (long long)value);
	else
		sb_printf(f->sb, " %.15g\n", value);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
gauge(struct strbuf *sb, const char *name, const char *help, double value)
{
	struct fam f;

	fam_begin(&f, sb, name, "gauge", help);
	sample(&f, NULL, value);
}

static double
count_or_nan(int64_t n)
{
	return n < 0 ? NAN : (double)n;
}

/* ---------------------------------------------------------------- run */

static void
render_run(const struct model *v, struct strbuf *sb, int64_t now)
{
	const struct state *st = model_state(v);
	struct fam f;
	int p, s;

	fam_begin(&f, sb, "cutover_run", "info",
	    "The run: environment, run id, provider, rehearsal.");
	sample_start(&f, "_info", L("environment", v->environment,
	    "run_id", st != NULL ? st->run_id : NULL, "provider", v->provider,
	    "rehearsal", v->rehearsal ? "true" : "false"));
	sb_puts(sb, " 1\n");
	if (st == NULL)
		return;

	fam_begin(&f, sb, "cutover_phase", "gauge",
	    "1 for the current (or next) phase, 0 for the others.");
	for (p = 0; p < PHASE_COUNT; p++)
		sample(&f, L("phase", phase_name(p)), p == (int)st->phase);
	gauge(sb, "cutover_phase_number",
	    "The current (or next) phase, 1 (pre_validation) to 8 (post_validation).",
	    (double)st->phase + 1);
	fam_begin(&f, sb, "cutover_phase_state", "gauge",
	    "1 for each phase's state (pending, running, done, failed, rolled_back).");
	for (p = 0; p < PHASE_COUNT; p++)
		for (s = 0; s < (int)ARRAY_SIZE(phase_states); s++)
			sample(&f, L("phase", phase_name(p), "state", phase_states[s]),
			    (int)st->phases[p].status == s);
	fam_begin(&f, sb, "cutover_phase_started_timestamp_seconds", "gauge",
	    "When each phase last started (Unix time).");
	for (p = 0; p < PHASE_COUNT; p++)
		if (st->phases[p].started_at > 0)
			sample(&f, L("phase", phase_name(p)),
			    (double)st->phases[p].started_at / 1000);
	fam_begin(&f, sb, "cutover_phase_duration_seconds", "gauge",
	    "How long each phase took, or has taken so far while it runs.");
	for (p = 0; p < PHASE_COUNT; p++) {
		const struct phase_record *r = &st->phases[p];

		if (r->started_at <= 0)
			continue;
		if (r->finished_at >= r->started_at)
			sample(&f, L("phase", phase_name(p)),
			    (double)(r->finished_at - r->started_at) / 1000);
		else if (r->status == PS_RUNNING)
			sample(&f, L("phase", phase_name(p)),
			    (double)(now - r->started_at) / 1000);
	}
	gauge(sb, "cutover_run_completed",
	    "1 once post_validation is done.", st->completed);
	gauge(sb, "cutover_run_attempt",
	    "The run's attempt: 1, then 2, ... after each rollback.", st->attempt);
	gauge(sb, "cutover_armed",
	    "1 while the run is armed: the next phase takes the write pause.",
	    st->armed);
	gauge(sb, "cutover_fenced",
	    "1 while the source is fenced (writes paused).", st->fenced);
	gauge(sb, "cutover_switched",
	    "1 once the application points at the target.", st->switched);
	gauge(sb, "cutover_busy",
	    "1 while the orchestrator runs a step.", v->busy);
	if (v->switch_left >= 0)
		gauge(sb, "cutover_switch_time_left_seconds",
		    "Seconds left before the switch timeout undoes the run.",
		    v->switch_left);
}

/* The write pause of the last cut (fence to switch, or to now while it
 * lasts) and of the last rollback (its start to its end, from the
 * events kept). */
static void
render_pauses(const struct model *v, struct strbuf *sb, int64_t now)
{
	const struct state *st = model_state(v);
	const struct model_event *ev;
	int64_t rb_start = 0, rb_end = 0;
	double cut = NAN, rollback = NAN;
	struct fam f;
	size_t i;

	if (st != NULL && st->fenced_at > 0) {
		if (st->switched_at >= st->fenced_at)
			cut = (double)(st->switched_at - st->fenced_at) / 1000;
		else if (st->fenced)
			cut = (double)(now - st->fenced_at) / 1000;
	}
	for (i = 0; i < v->ev_n; i++) {
		ev = model_event_at(v, i);
		if (ev->kind == NULL)
			continue;
		if (strcmp(ev->kind, "rollback.started") == 0) {
			rb_start = ev->ts;
			rb_end = 0;
		} else if (strcmp(ev->kind, "rollback.done") == 0 && rb_start > 0)
			rb_end = ev->ts;
	}
	if (rb_start > 0)
		rollback = (double)((rb_end > 0 ? rb_end : now) - rb_start) / 1000;
	fam_begin(&f, sb, "cutover_write_pause_seconds", "gauge",
	    "The write pause of the last cut (fence to switch) and the last "
	    "rollback (start to end), so far while it lasts.");
	sample(&f, L("of", "cut"), cut);
	sample(&f, L("of", "rollback"), rollback);
}

/* -------------------------------------------------------- replication */

static void
render_replication(const struct model *v, struct strbuf *sb, int64_t now)
{
	static const char *const dirs[] = { "forward", "stopped", "reverse" };
	const struct monitor_model *m = model_mon(v);
	const struct state *st = model_state(v);
	const struct repl_status *r, *back;
	const char *dir;
	char verdict[256];
	bool lossless;
	struct fam f;
	size_t i;

	dir = st != NULL ? repl_direction_name(st->replication) : "forward";
	if (st != NULL) {
		fam_begin(&f, sb, "cutover_replication_direction", "gauge",
		    "1 for the replication's direction (forward, stopped, reverse).");
		for (i = 0; i < ARRAY_SIZE(dirs); i++)
			sample(&f, L("direction", dirs[i]), strcmp(dir, dirs[i]) == 0);
	}
	if (m == NULL)
		return;
	r = &m->repl;
	/* The forward replication is labelled "forward" whatever the run's
	 * direction; the reverse one "reverse", once the way back is watched
	 * (reverse replication started or the switch made). */
	back = monitor_watch_reverse(m) && m->reverse.status != NULL ?
	    &m->reverse : NULL;
	fam_begin(&f, sb, "cutover_replication", "info",
	    "The replication as its provider reports it, each direction.");
	sample_start(&f, "_info", L("direction", "forward", "provider",
	    r->provider, "status", r->status != NULL ? r->status : "unknown"));
	sb_puts(sb, " 1\n");
	if (back != NULL) {
		sample_start(&f, "_info", L("direction", "reverse", "provider",
		    back->provider, "status", back->status));
		sb_puts(sb, " 1\n");
	}
	fam_begin(&f, sb, "cutover_replication_lag_seconds", "gauge",
	    "Replication lag, both directions: the provider's (source and "
	    "target side) and end to end (the heartbeat).");
	sample(&f, L("direction", "forward", "measure", "provider_source"),
	    r->lag_source);
	sample(&f, L("direction", "forward", "measure", "provider_target"),
	    r->lag_target);
	sample(&f, L("direction", "forward", "measure", "end_to_end"),
	    m->lag_e2e);
	if (back != NULL) {
		sample(&f, L("direction", "reverse", "measure", "provider_source"),
		    back->lag_source);
		sample(&f, L("direction", "reverse", "measure", "provider_target"),
		    back->lag_target);
		sample(&f, L("direction", "reverse", "measure", "end_to_end"),
		    m->lag_reverse);
	}
	if (monitor_rollback_verdict(m, verdict, sizeof verdict, &lossless))
		gauge(sb, "cutover_rollback_lossless", "1 while a rollback would "
		    "lose no write made on the target (reverse replication runs), "
		    "0 when it would; only once the way back is watched.",
		    lossless);
	gauge(sb, "cutover_replication_full_load_percent",
	    "The provider's full load progress.", r->full_load_percent);
	fam_begin(&f, sb, "cutover_replication_tables", "gauge",
	    "Tables by load state, as the provider counts them.");
	sample(&f, L("state", "loaded"), count_or_nan(r->tables_loaded));
	sample(&f, L("state", "loading"), count_or_nan(r->tables_loading));
	sample(&f, L("state", "queued"), count_or_nan(r->tables_queued));
	sample(&f, L("state", "errored"), count_or_nan(r->tables_errored));
	fam_begin(&f, sb, "cutover_replication_slot_wal_retained_bytes",
	    "gauge", "WAL the replication slot holds back (forward: on the "
	    "source; reverse: on the target).");
	if (r->slot_name != NULL)
		sample(&f, L("slot", r->slot_name, "direction", "forward"),
		    count_or_nan(r->wal_retained_bytes));
	if (back != NULL && back->slot_name != NULL)
		sample(&f, L("slot", back->slot_name, "direction", "reverse"),
		    count_or_nan(back->wal_retained_bytes));
	fam_begin(&f, sb, "cutover_replication_slot_active", "gauge",
	    "1 while a consumer is connected to the slot.");
	if (r->slot_name != NULL)
		sample(&f, L("slot", r->slot_name, "direction", "forward"),
		    r->slot_active);
	if (back != NULL && back->slot_name != NULL)
		sample(&f, L("slot", back->slot_name, "direction", "reverse"),
		    back->slot_active);
	fam_begin(&f, sb, "cutover_database_transactions_per_second", "gauge",
	    "Committed transactions per second.");
	sample(&f, L("side", "source"), series_last(&m->series[SERIES_SRC_TPS]));
	sample(&f, L("side", "target"), series_last(&m->series[SERIES_DST_TPS]));
	fam_begin(&f, sb, "cutover_database_connections", "gauge",
	    "Client connections.");
	sample(&f, L("side", "source"),
	    series_last(&m->series[SERIES_SRC_CONNECTIONS]));
	sample(&f, L("side", "target"),
	    series_last(&m->series[SERIES_DST_CONNECTIONS]));
	gauge(sb, "cutover_source_wal_bytes_per_second",
	    "WAL written on the source per second.",
	    series_last(&m->series[SERIES_SRC_WAL_RATE]));
	if (m->refreshed_at > 0)
		gauge(sb, "cutover_figures_age_seconds",
		    "Age of the last complete refresh of these figures.",
		    (double)(now - m->refreshed_at) / 1000);
	if (v->metrics != NULL && v->nmetrics > 0) {
		fam_begin(&f, sb, "cutover_provider_metric", "gauge",
		    "The provider's own metrics (CloudWatch), last value.");
		for (i = 0; i < v->nmetrics; i++)
			sample(&f, L("name", v->metrics[i].name, "unit",
			    v->metrics[i].unit), series_last(&v->metrics[i]));
	}
}

/* ------------------------------------------------------------- tables */

static void
render_tables(const struct model *v, struct strbuf *sb)
{
	const struct monitor_model *mon = model_mon(v);
	const struct table_list *tl = mon != NULL ? &mon->tables : NULL;
	struct fam f;
	char name[600];
	size_t i, n;
	int check;

	if (tl == NULL)
		return;
	n = tl->n < METRICS_TABLES ? tl->n : METRICS_TABLES;
	gauge(sb, "cutover_tables", "Replicated tables.", (double)tl->n);
	gauge(sb, "cutover_tables_exported",
	    "Tables with per-table series here (at most 2000).", (double)n);
	fam_begin(&f, sb, "cutover_table_rows", "gauge",
	    "Rows of each table on each side (catalog estimates unless counted).");
	for (i = 0; i < n && sb->len < METRICS_MAX_BYTES / 2; i++) {
		const struct table_stat *t = &tl->v[i];

		snprintf(name, sizeof name, "%s.%s", t->schema, t->name);
		sample(&f, L("table", name, "side", "source"),
		    count_or_nan(t->source_rows));
		sample(&f, L("table", name, "side", "target"),
		    count_or_nan(t->target_rows));
	}
	fam_begin(&f, sb, "cutover_table_validation", "gauge",
	    "1 for each table's last validation status (pass, warn, fail, "
	    "skip, error).");
	for (i = 0; i < n && sb->len < METRICS_MAX_BYTES * 3 / 4; i++) {
		const struct table_stat *t = &tl->v[i];

		if ((check = model_table_check(v, t)) < 0)
			continue;
		snprintf(name, sizeof name, "%s.%s", t->schema, t->name);
		sample(&f, L("table", name, "status", check_status_name(check)), 1);
	}
}

static void
render_validation(const struct model *v, struct strbuf *sb)
{
	struct fam f;
	int c;

	fam_begin(&f, sb, "cutover_validation_check", "gauge",
	    "1 for each check's status in the last validation.");
	for (c = 0; c < CHK_COUNT; c++)
		if (v->checks[c].status >= 0)
			sample(&f, L("check", check_name(c), "status",
			    check_status_name(v->checks[c].status)), 1);
	if (v->checks_title != NULL)
		gauge(sb, "cutover_validation_passed",
		    "1 when the last validation passed.", v->checks_passed);
	gauge(sb, "cutover_validation_running",
	    "1 while a validation runs in the console.", v->validating);
}

static void
render_aws(struct strbuf *sb)
{
	const struct counter *c;
	struct fam f;
	size_t i;

	fam_begin(&f, sb, "cutover_aws_calls", "counter",
	    "AWS API calls made by this process, by API and outcome (after retries).");
	for (i = 0; i < counters_count(); i++) {
		c = counter_at(i);
		if (strcmp(c->family, "aws_calls") != 0)
			continue;
		sample_start(&f, "_total", L("api", c->a, "outcome", c->b));
		sb_printf(sb, " %llu\n", (unsigned long long)c->n);
	}
}

void
metrics_render(const struct model *v, struct strbuf *out)
{
	int64_t now = v->now > 0 ? v->now : now_ms();

	render_run(v, out, now);
	render_pauses(v, out, now);
	render_replication(v, out, now);
	render_validation(v, out);
	if (v->watchers >= 0)
		gauge(out, "cutover_watchers", "Watchers on the feed.",
		    v->watchers);
	render_aws(out);
	render_tables(v, out);
	sb_puts(out, "# EOF\n");
}

/* ------------------------------------------------------------- server */

struct metrics_server {
	struct httpserv *http;
	struct model *v;
	void (*fill)(struct model *v, void *arg);
	void *arg;
};

static int
page(const char *path, struct strbuf *body, const char **type, void *arg)
{
	struct metrics_server *m = arg;

	if (strcmp(path, "/metrics") != 0)
		return 404;
	m->v->now = now_ms();
	if (m->fill != NULL)
		m->fill(m->v, m->arg);
	metrics_render(m->v, body);
	*type = METRICS_CONTENT_TYPE;
	return 200;
}

struct metrics_server *
metrics_server_new(struct loop *loop, const char *listen, struct model *v,
    void (*fill)(struct model *v, void *arg), void *arg, struct err *e)
{
	struct metrics_server *m = xcalloc(1, sizeof *m);

	m->v = v;
	m->fill = fill;
	m->arg = arg;
	if ((m->http = httpserv_new(loop, listen, page, m, e)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_server_free(struct metrics_server *m)
{
	if (m == NULL)
		return;
	httpserv_free(m->http);
	free(m);
}

const char *
metrics_server_address(const struct metrics_server *m)
{
	return httpserv_address(m->http);
}
