/* monitor.c - periodic refresh of the model; see monitor.h. */
#include "config.h"

#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "heartbeat.h"
#include "jsonout.h"
#include "monitor.h"
#include "pg.h"

static const char *const series_names[SERIES_COUNT][2] = {
	{ "lag source", "s" },
	{ "lag target", "s" },
	{ "lag end to end", "s" },
	{ "source transactions/s", "count/s" },
	{ "source connections", "count" },
	{ "source WAL", "bytes/s" },
	{ "target transactions/s", "count/s" },
	{ "target connections", "count" },
};

/* Row estimates of every user table, cheap enough for 10,000 tables. */
static const char estimates_sql[] =
    "SELECT n.nspname, c.relname, " CATALOG_ESTIMATE_SQL
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname !~ '^pg_(toast|temp_)'";
static const char figures_sql[] =
    "SELECT xact_commit + xact_rollback, numbackends,"
    "  pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
    "    ELSE pg_current_wal_lsn() END, '0/0')::bigint"
    " FROM pg_stat_database WHERE datname = current_database()";

struct waiter {
	monitor_fn fn;
	void *arg;
};

struct monitor {
	struct loop *loop;
	const struct config *cfg;
	struct provider *prov;
	struct pg *src, *dst;
	struct monitor_model model;
	bool busy;
	int parts;                 /* outstanding parts of the refresh */
	struct waiter *waiters;
	size_t nwaiters;
	int period_ms;
	monitor_fn run_fn;
	void *run_arg;
	struct loop_timer *timer;
	/* the previous figures, for rates */
	int64_t prev_at;
	int64_t prev_src_xacts, prev_src_wal, prev_dst_xacts;
	/* this refresh's pieces, merged when all are in */
	struct pg_batch *batch;
	bool with_tables;          /* this refresh reads the per-table figures */
	bool tables_now;           /* the next one does, whatever its turn */
	bool trim_due;
	unsigned refreshes;
	struct heartbeat_reading reading;
	int prov_rc;
	char *prov_error;
};

static void part_done(struct monitor *m);

static void
set_error(char **field, const char *msg)
{
	free(*field);
	*field = msg != NULL ? xstrdup(msg) : NULL;
}

static void
on_provider(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct monitor *m = arg;

	(void)p;
	m->prov_rc = rc;
	set_error(&m->prov_error, rc != 0 ? e->msg : NULL);
	part_done(m);
}

static void
on_reading(const struct heartbeat_reading *r, void *arg)
{
	struct monitor *m = arg;

	free(m->reading.error);
	m->reading = *r;
	m->reading.error = r->error != NULL ? xstrdup(r->error) : NULL;
	part_done(m);
}

static void
on_batch(struct pg_batch *b, void *arg)
{
	struct monitor *m = arg;

	m->batch = b;
	part_done(m);
}

static void
copy_repl(struct repl_status *dst, const struct repl_status *src)
{
	repl_status_clear(dst);
	*dst = *src;
#define DUP(f) dst->f = src->f != NULL ? xstrdup(src->f) : NULL
	DUP(provider);
	DUP(status);
	DUP(stop_reason);
	DUP(last_failure);
	DUP(slot_name);
	DUP(confirmed_flush_lsn);
	DUP(error);
#undef DUP
}

/* The model takes the provider's fresh table list (thousands of entries
 * are not copied) and adds both sides' row estimates to it. */
static void
merge_tables(struct monitor *m)
{
	struct monitor_model *mm = &m->model;
	const PGresult *est;
	int side, r;

	table_list_clear(&mm->tables);
	mm->tables = m->prov->tables;
	memset(&m->prov->tables, 0, sizeof m->prov->tables);
	for (side = 0; side < 2; side++) {
		if (pg_batch_error_of(m->batch, side) != NULL)
			continue;
		est = pg_batch_result(m->batch, side);
		for (r = 0; r < PQntuples(est); r++) {
			struct table_stat *t;

			/* Only replicated tables (the provider's list) are shown. */
			t = table_list_find(&mm->tables, pgr_value(est, r, 0),
			    pgr_value(est, r, 1));
			if (t == NULL)
				continue;
			if (side == 0)
				t->source_rows = pgr_int64(est, r, 2, -1);
			else
				t->target_rows = pgr_int64(est, r, 2, -1);
		}
	}
}

static void
push_figures(struct monitor *m, int64_t now)
{
	struct series *s = m->model.series;
	const PGresult *a = pg_batch_result(m->batch, 2);
	const PGresult *b = pg_batch_result(m->batch, 3);
	double dt = m->prev_at > 0 ? (double)(now - m->prev_at) / 1000.0 : 0;
	int64_t v;

	if (a != NULL && PQntuples(a) == 1) {
		v = pgr_int64(a, 0, 0, 0);
		if (dt > 0 && m->prev_src_xacts > 0)
			series_push(&s[SERIES_SRC_TPS], now,
			    (double)(v - m->prev_src_xacts) / dt);
		m->prev_src_xacts = v;
		series_push(&s[SERIES_SRC_CONNECTIONS], now,
		    (double)pgr_int64(a, 0, 1, 0));
		v = pgr_int64(a, 0, 2, 0);
		if (dt > 0 && m->prev_src_wal > 0)
			series_push(&s[SERIES_SRC_WAL_RATE], now,
			    (double)(v - m->prev_src_wal) / dt);
		m->prev_src_wal = v;
	}
	if (b != NULL && PQntuples(b) == 1) {
		v = pgr_int64(b, 0, 0, 0);
		if (dt > 0 && m->prev_dst_xacts > 0)
			series_push(&s[SERIES_DST_TPS], now,
			    (double)(v - m->prev_dst_xacts) / dt);
		m->prev_dst_xacts = v;
		series_push(&s[SERIES_DST_CONNECTIONS], now,
		    (double)pgr_int64(b, 0, 1, 0));
	}
	m->prev_at = now;
}

static void
complete(struct monitor *m)
{
	struct monitor_model *mm = &m->model;
	int64_t now = now_ms();
	struct waiter *w = m->waiters;
	size_t nw = m->nwaiters, i;
	const char *err;

	copy_repl(&mm->repl, &m->prov->status);
	if (m->with_tables) {
		merge_tables(m);
		mm->tables_refreshed_at = now;
		mm->tables_generation++;
	}
	if (m->with_tables)
		m->trim_due = true;
	push_figures(m, now);
	mm->lag_e2e = m->reading.lag_seconds;
	mm->heartbeat_writer = m->reading.writer_active;
	set_error(&mm->lag_error, m->reading.error);
	if (!isnan(mm->repl.lag_source))
		series_push(&mm->series[SERIES_LAG_SOURCE], now, mm->repl.lag_source);
	if (!isnan(mm->repl.lag_target))
		series_push(&mm->series[SERIES_LAG_TARGET], now, mm->repl.lag_target);
	if (!isnan(mm->lag_e2e))
		series_push(&mm->series[SERIES_LAG_E2E], now, mm->lag_e2e);
	err = m->prov_error != NULL ? m->prov_error : pg_batch_error(m->batch);
	set_error(&mm->error, err);
	if (err == NULL)
		mm->refreshed_at = now;
	mm->generation++;
	pg_batch_free(m->batch);
	m->batch = NULL;
	m->busy = false;
	if (m->trim_due) {
		/* Thousands of rows were just parsed and freed: give the pages
		 * back (the console's resident memory is what operators see). */
		malloc_trim(0);
		m->trim_due = false;
	}
	m->waiters = NULL;
	m->nwaiters = 0;
	for (i = 0; i < nw; i++)
		w[i].fn(m, w[i].arg);
	free(w);
}

static void
part_done(struct monitor *m)
{
	if (--m->parts == 0)
		complete(m);
}

/* The per-table figures (thousands of rows on each side) every
 * MONITOR_TABLES_EVERY refreshes; status, lag and figures every time. */
#define MONITOR_TABLES_EVERY 10

static void
start_refresh(struct monitor *m)
{
	static const char none_sql[] =
	    "SELECT NULL::name, NULL::name, NULL::bigint WHERE false";
	struct pg_batch *b;

	m->busy = true;
	m->parts = 3;
	m->with_tables = m->refreshes++ % MONITOR_TABLES_EVERY == 0 ||
	    m->tables_now;
	m->tables_now = false;
	m->prov->want_tables = m->with_tables;
	m->prov->ops->refresh(m->prov, on_provider, m);
	heartbeat_read(m->src, m->dst, on_reading, m);
	b = pg_batch_new(on_batch, m);
	pg_batch_add(b, m->src, m->with_tables ? estimates_sql : none_sql, 0, NULL);
	pg_batch_add(b, m->dst, m->with_tables ? estimates_sql : none_sql, 0, NULL);
	pg_batch_add(b, m->src, figures_sql, 0, NULL);
	pg_batch_add(b, m->dst, figures_sql, 0, NULL);
	pg_batch_seal(b);
}

void
monitor_tables_now(struct monitor *m)
{
	m->tables_now = true;
}

void
monitor_refresh(struct monitor *m, monitor_fn fn, void *arg)
{
	m->waiters = xreallocarray(m->waiters, m->nwaiters + 1,
	    sizeof *m->waiters);
	m->waiters[m->nwaiters].fn = fn;
	m->waiters[m->nwaiters].arg = arg;
	m->nwaiters++;
	if (!m->busy)
		start_refresh(m);
}

static void tick(struct loop_timer *t, void *arg);

static void
ran(struct monitor *m, void *arg)
{
	(void)arg;
	if (m->run_fn != NULL)
		m->run_fn(m, m->run_arg);
}

static void
tick(struct loop_timer *t, void *arg)
{
	struct monitor *m = arg;

	(void)t;
	m->timer = loop_timer_add(m->loop, m->period_ms, tick, m);
	if (!m->busy)
		monitor_refresh(m, ran, NULL);
}

void
monitor_run(struct monitor *m, int period_ms, monitor_fn fn, void *arg)
{
	m->period_ms = period_ms;
	m->run_fn = fn;
	m->run_arg = arg;
	if (m->timer == NULL)
		m->timer = loop_timer_add(m->loop, 0, tick, m);
}

const struct monitor_model *
monitor_model(const struct monitor *m)
{
	return &m->model;
}

struct monitor *
monitor_new(struct loop *loop, const struct config *cfg,
    struct provider *provider)
{
	struct pg_opts so = { cfg->source_conninfo, "source", 15000, 0, 0,
	    false, false };
	struct pg_opts to = { cfg->target_conninfo, "target", 15000, 0, 0,
	    false, false };
	struct monitor *m = xcalloc(1, sizeof *m);
	int i;

	m->loop = loop;
	m->cfg = cfg;
	m->prov = provider;
	m->src = pg_new(loop, &so);
	m->dst = pg_new(loop, &to);
	repl_status_init(&m->model.repl);
	m->model.lag_e2e = NAN;
	m->reading.lag_seconds = NAN;
	for (i = 0; i < SERIES_COUNT; i++)
		series_init(&m->model.series[i], series_names[i][0],
		    series_names[i][1]);
	return m;
}

void
monitor_free(struct monitor *m)
{
	int i;

	if (m == NULL)
		return;
	if (m->timer != NULL)
		loop_timer_cancel(m->timer);
	pg_batch_free(m->batch);
	pg_free(m->src);
	pg_free(m->dst);
	repl_status_clear(&m->model.repl);
	table_list_clear(&m->model.tables);
	for (i = 0; i < SERIES_COUNT; i++)
		series_clear(&m->model.series[i]);
	free(m->model.lag_error);
	free(m->model.error);
	free(m->reading.error);
	free(m->prov_error);
	free(m->waiters);
	free(m);
}

cJSON *
status_json(const struct config *cfg, const struct state *state,
    const struct lock_holder *driver, const struct monitor_model *m)
{
	cJSON *o = cJSON_CreateObject(), *ph, *rep, *lag, *tabs, *t, *d;
	const struct repl_status *r = &m->repl;
	size_t i;

	cJSON_AddStringToObject(o, "environment", cfg->environment);
	cJSON_AddBoolToObject(o, "rehearsal", cfg->rehearsal);
	ph = cJSON_AddObjectToObject(o, "phase");
	if (state != NULL) {
		cJSON_AddStringToObject(ph, "name", phase_name(state->phase));
		cJSON_AddStringToObject(ph, "status",
		    phase_status_name(state->phase_status));
	} else {
		cJSON_AddStringToObject(ph, "name", phase_name(PHASE_PRE_VALIDATION));
		cJSON_AddStringToObject(ph, "status", "pending");
	}
	rep = cJSON_AddObjectToObject(o, "replication");
	cJSON_AddStringToObject(rep, "provider", provider_name(cfg->provider));
	json_add_string(rep, "status", r->status);
	json_add_string(rep, "stop_reason", r->stop_reason);
	json_add_number(rep, "full_load_percent", r->full_load_percent);
	json_add_count(rep, "tables_loaded", r->tables_loaded);
	json_add_count(rep, "tables_loading", r->tables_loading);
	json_add_count(rep, "tables_queued", r->tables_queued);
	json_add_count(rep, "tables_errored", r->tables_errored);
	lag = cJSON_AddObjectToObject(rep, "lag_seconds");
	json_add_number(lag, "source", r->lag_source);
	json_add_number(lag, "target", r->lag_target);
	json_add_number(lag, "end_to_end", m->lag_e2e);
	json_add_string(rep, "last_failure", r->last_failure);
	if (r->slot_name != NULL) {
		cJSON *slot = cJSON_AddObjectToObject(rep, "slot");

		cJSON_AddStringToObject(slot, "name", r->slot_name);
		cJSON_AddBoolToObject(slot, "active", r->slot_active);
		json_add_string(slot, "confirmed_flush_lsn", r->confirmed_flush_lsn);
		json_add_count(slot, "wal_retained_bytes", r->wal_retained_bytes);
	}
	json_add_string(rep, "error", m->error);
	/* What could not be refreshed this time (dms: the table statistics or
	 * the metrics), shown from before; not an error of the status. */
	json_add_string(rep, "warning", m->error == NULL ? r->error : NULL);
	tabs = cJSON_AddArrayToObject(o, "tables");
	for (i = 0; i < m->tables.n; i++) {
		const struct table_stat *s = &m->tables.v[i];
		char *name = xasprintf("%s.%s", s->schema, s->name);

		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "table", name);
		json_add_string(t, "state", s->state);
		json_add_count(t, "source_rows", s->source_rows);
		json_add_count(t, "target_rows", s->target_rows);
		json_add_count(t, "inserts", s->inserts);
		json_add_count(t, "updates", s->updates);
		json_add_count(t, "deletes", s->deletes);
		cJSON_AddItemToArray(tabs, t);
		free(name);
	}
	if (driver != NULL && driver->pid != 0) {
		d = cJSON_AddObjectToObject(o, "driver");
		cJSON_AddNumberToObject(d, "pid", (double)driver->pid);
		cJSON_AddStringToObject(d, "user", driver->user);
		cJSON_AddStringToObject(d, "host", driver->host);
		cJSON_AddStringToObject(d, "since", driver->since);
	} else {
		cJSON_AddNullToObject(o, "driver");
	}
	return o;
}
