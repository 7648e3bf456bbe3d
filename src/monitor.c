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

/* Row estimates of every user table, cheap enough for 10,000 tables;
 * partitions with their root (a partitioned table's rows are its
 * leaves'). */
static const char estimates_sql[] =
    "SELECT n.nspname, c.relname, " CATALOG_ESTIMATE_SQL ", c.relkind::text,"
    "  CASE WHEN c.relispartition THEN (SELECT rn.nspname FROM pg_class rc"
    "    JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
    "    WHERE rc.oid = pg_partition_root(c.oid)) END,"
    "  CASE WHEN c.relispartition THEN (SELECT rc.relname FROM pg_class rc"
    "    WHERE rc.oid = pg_partition_root(c.oid)) END"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE c.relkind IN ('r', 'p')"
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
	struct model *md;          /* the model it writes (monitor_apply) */
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
	enum repl_direction direction;
	bool switched;
	bool reversed;             /* this refresh read the way back */
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

/* Once forward replication has stopped its tables' states say so: the
 * forward provider's own word ("replicating") is no longer true. */
static void
set_table_state(struct table_stat *t, const char *state)
{
	size_t i;

	if (t->state == NULL || strcmp(t->state, state) != 0) {
		free(t->state);
		t->state = xstrdup(state);
	}
	for (i = 0; i < t->nparts; i++)
		set_table_state(&t->parts[i], state);
}

static void
direction_states(struct monitor_model *mm)
{
	const char *state;
	size_t i;

	if (mm->direction == REPL_FORWARD)
		return;
	state = mm->direction == REPL_REVERSE && mm->reverse.status != NULL &&
	    (strcmp(mm->reverse.status, "running") == 0 ||
	    strcmp(mm->reverse.status, "starting") == 0) ? "reverse" : "stopped";
	for (i = 0; i < mm->tables.n; i++)
		set_table_state(&mm->tables.v[i], state);
}

/* A partition and its root, from one side's estimates (strings in the
 * result). */
struct part_ref {
	const char *schema, *name, *root_schema, *root_name;
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct part_ref *x = a, *y = b;
	int c = strcmp(x->schema, y->schema);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static struct part_ref *
part_refs(const PGresult *est, size_t *n)
{
	struct part_ref *v;
	int r;

	*n = 0;
	if (est == NULL || PQnfields(est) < 6)
		return NULL;
	v = xcalloc((size_t)PQntuples(est) + 1, sizeof *v);
	for (r = 0; r < PQntuples(est); r++) {
		if (pgr_value(est, r, 4) == NULL || pgr_value(est, r, 5) == NULL)
			continue;
		v[*n].schema = pgr_value(est, r, 0);
		v[*n].name = pgr_value(est, r, 1);
		v[*n].root_schema = pgr_value(est, r, 4);
		v[*n].root_name = pgr_value(est, r, 5);
		(*n)++;
	}
	qsort(v, *n, sizeof *v, cmp_ref);
	return v;
}

static const struct part_ref *
find_ref(const struct part_ref *v, size_t n, const char *schema,
    const char *name)
{
	struct part_ref key = { schema, name, NULL, NULL };

	return v != NULL ? bsearch(&key, v, n, sizeof *v, cmp_ref) : NULL;
}

static void
add_count(int64_t *sum, int64_t v)
{
	if (v < 0)
		return;
	*sum = (*sum < 0 ? 0 : *sum) + v;
}

/* Moves a partition's entry under its root's (made when missing): the
 * root shows once, with the partitions' counts summed. */
static void
fold_part(struct table_list *l, const struct part_ref *r,
    struct table_stat *leaf)
{
	struct table_stat *root = table_list_get(l, r->root_schema, r->root_name);

	root->parts = xreallocarray(root->parts, root->nparts + 1,
	    sizeof *root->parts);
	root->parts[root->nparts++] = *leaf;
	if (root->state == NULL && leaf->state != NULL)
		root->state = xstrdup(leaf->state);
	else if (root->state != NULL && (leaf->state == NULL ||
	    strcmp(root->state, leaf->state) != 0) &&
	    strcmp(root->state, "mixed") != 0) {
		free(root->state);
		root->state = xstrdup("mixed");
	}
	add_count(&root->inserts, leaf->inserts);
	add_count(&root->updates, leaf->updates);
	add_count(&root->deletes, leaf->deletes);
	add_count(&root->full_load_rows, leaf->full_load_rows);
	memset(leaf, 0, sizeof *leaf);
}

static struct table_stat *
leaf_of(struct table_stat *root, const char *schema, const char *name)
{
	size_t i;

	for (i = 0; i < root->nparts; i++)
		if (strcmp(root->parts[i].schema, schema) == 0 &&
		    strcmp(root->parts[i].name, name) == 0)
			return &root->parts[i];
	return NULL;
}

/* A partition the provider does not report on its own (the publication
 * publishes via the root): listed from the catalog, counts unknown. */
static struct table_stat *
add_leaf(struct table_stat *root, const char *schema, const char *name)
{
	struct table_stat *l;

	root->parts = xreallocarray(root->parts, root->nparts + 1,
	    sizeof *root->parts);
	l = &root->parts[root->nparts++];
	memset(l, 0, sizeof *l);
	l->schema = xstrdup(schema);
	l->name = xstrdup(name);
	l->source_rows = l->target_rows = -1;
	l->inserts = l->updates = l->deletes = l->ddls = -1;
	l->full_load_rows = l->validation_failed_records = -1;
	l->check = -1;
	return l;
}

/* The model takes the provider's fresh table list (thousands of entries
 * are moved, not copied), folds partitions into their partitioned table
 * and adds both sides' row estimates to it. */
static void
merge_tables(struct monitor *m)
{
	struct monitor_model *mm = &m->md->mon;
	struct table_list in = m->prov->tables, from_catalog;
	struct part_ref *refs[2];
	size_t nrefs[2], i;
	const PGresult *est;
	int side, r, pass;

	memset(&m->prov->tables, 0, sizeof m->prov->tables);
	table_list_clear(&mm->tables);
	for (side = 0; side < 2; side++)
		refs[side] = part_refs(pg_batch_error_of(m->batch, side) == NULL ?
		    pg_batch_result(m->batch, side) : NULL, &nrefs[side]);
	for (i = 0; i < in.n; i++) {
		struct table_stat *t = &in.v[i], *e;
		const struct part_ref *ref;
		char *schema, *name;

		/* The provider names the target's relations (postgres) or the
		 * source's (DMS): either side may know it as a partition. */
		ref = find_ref(refs[1], nrefs[1], t->schema, t->name);
		if (ref == NULL)
			ref = find_ref(refs[0], nrefs[0], t->schema, t->name);
		if (ref != NULL) {
			fold_part(&mm->tables, ref, t);
			continue;
		}
		e = table_list_get(&mm->tables, t->schema, t->name);
		schema = e->schema;
		name = e->name;
		if (e->parts != NULL) {
			/* Its partitions came first: keep them. */
			struct table_stat *parts = e->parts;
			size_t np = e->nparts;

			free(e->state);
			*e = *t;
			e->parts = parts;
			e->nparts = np;
		} else {
			*e = *t;
		}
		e->schema = schema;
		e->name = name;
		free(t->schema);
		free(t->name);
		memset(t, 0, sizeof *t);
	}
	table_list_clear(&in);
	/* Estimates: a plain table's own; a partitioned table's, the sum over
	 * its leaves (the second pass). When the provider reports the
	 * partitioned table itself (published via its root), its partitions
	 * come from the source's catalog. */
	memset(&from_catalog, 0, sizeof from_catalog);
	for (pass = 0; pass < 2; pass++)
		for (side = 0; side < 2; side++) {
			if (pg_batch_error_of(m->batch, side) != NULL)
				continue;
			est = pg_batch_result(m->batch, side);
			for (r = 0; r < PQntuples(est); r++) {
				const char *kind = PQnfields(est) > 3 ?
				    pgr_value(est, r, 3) : NULL;
				bool part = PQnfields(est) > 5 &&
				    pgr_value(est, r, 4) != NULL;
				int64_t n = pgr_int64(est, r, 2, -1);
				struct table_stat *t, *leaf;

				if (pass == 0 && !part) {
					/* Only replicated tables (the provider's list). */
					t = table_list_find(&mm->tables, pgr_value(est, r, 0),
					    pgr_value(est, r, 1));
					if (t == NULL)
						continue;
					if (kind != NULL && kind[0] == 'p') {
						n = -1;	/* summed in the next pass */
						if (side == 0 && t->nparts == 0)
							table_list_get(&from_catalog, t->schema,
							    t->name);
					}
					if (side == 0)
						t->source_rows = n;
					else
						t->target_rows = n;
				} else if (pass == 1 && part && kind != NULL &&
				    kind[0] == 'r') {
					t = table_list_find(&mm->tables, pgr_value(est, r, 4),
					    pgr_value(est, r, 5));
					if (t == NULL)
						continue;
					add_count(side == 0 ? &t->source_rows :
					    &t->target_rows, n);
					if (side == 0 && table_list_find(&from_catalog,
					    t->schema, t->name) != NULL)
						leaf = add_leaf(t, pgr_value(est, r, 0),
						    pgr_value(est, r, 1));
					else
						leaf = t->nparts < 1000 ? leaf_of(t,
						    pgr_value(est, r, 0), pgr_value(est, r, 1)) :
						    NULL;
					if (leaf != NULL && side == 0)
						leaf->source_rows = n;
					else if (leaf != NULL)
						leaf->target_rows = n;
				}
			}
		}
	table_list_clear(&from_catalog);
	free(refs[0]);
	free(refs[1]);
}

static void
push_figures(struct monitor *m, int64_t now)
{
	struct series *s = m->md->mon.series;
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

/* The one place the monitor writes the model: this refresh's pieces
 * (the provider's status and tables, the heartbeat's reading, both
 * databases' figures, the provider's metrics), all at once when the last
 * part is in. */
static void
monitor_apply(struct monitor *m)
{
	struct monitor_model *mm = &m->md->mon;
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
	mm->direction = m->direction;
	mm->switched = m->switched;
	mm->heartbeat_writer = m->reading.writer_active;
	set_error(&mm->lag_error, m->reading.error);
	if (m->reversed) {
		copy_repl(&mm->reverse, &m->prov->reverse);
		mm->lag_e2e = NAN;
		mm->lag_reverse = m->reading.lag_seconds;
		mm->reverse_applied_ms = m->reading.applied_beat_ms;
		if (!isnan(mm->lag_reverse))
			series_push(&mm->series[SERIES_LAG_REVERSE], now,
			    mm->lag_reverse);
	} else {
		repl_status_clear(&mm->reverse);
		mm->lag_reverse = NAN;
		mm->reverse_applied_ms = 0;
		/* Stopped: no heartbeat crosses, so no lag is true. */
		mm->lag_e2e = m->direction == REPL_FORWARD ?
		    m->reading.lag_seconds : NAN;
	}
	direction_states(mm);
	model_set_metrics(m->md, m->prov->metrics, m->prov->nmetrics);
	m->md->have_mon = true;
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
		monitor_apply(m);
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
	m->reversed = m->direction == REPL_REVERSE || m->switched;
	m->prov->want_tables = m->with_tables;
	m->prov->want_reverse = m->reversed;
	m->prov->ops->refresh(m->prov, on_provider, m);
	/* The heartbeat of the way the changes go: written where the
	 * application writes, read where they arrive. */
	if (m->reversed) {
		heartbeat_read(m->dst, m->src, on_reading, m);
	} else if (m->direction == REPL_FORWARD) {
		heartbeat_read(m->src, m->dst, on_reading, m);
	} else {
		free(m->reading.error);
		memset(&m->reading, 0, sizeof m->reading);
		m->reading.lag_seconds = NAN;
		m->parts--;
	}
	b = pg_batch_new(on_batch, m);
	pg_batch_add(b, m->src, m->with_tables ? estimates_sql : none_sql, 0, NULL);
	pg_batch_add(b, m->dst, m->with_tables ? estimates_sql : none_sql, 0, NULL);
	pg_batch_add(b, m->src, figures_sql, 0, NULL);
	pg_batch_add(b, m->dst, figures_sql, 0, NULL);
	pg_batch_seal(b);
}

void
monitor_set_direction(struct monitor *m, enum repl_direction d,
    bool switched)
{
	/* The tables' states follow at once (the provider's come back with
	 * a forward direction). */
	if (d != m->direction)
		m->tables_now = true;
	m->direction = d;
	m->switched = switched;
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

struct monitor *
monitor_new(struct loop *loop, const struct config *cfg,
    struct provider *provider, struct model *md)
{
	struct pg_opts so = { cfg->source_conninfo, "source", 15000, 0, 0,
	    false, false };
	struct pg_opts to = { cfg->target_conninfo, "target", 15000, 0, 0,
	    false, false };
	struct monitor *m = xcalloc(1, sizeof *m);

	m->loop = loop;
	m->cfg = cfg;
	m->prov = provider;
	m->md = md;
	m->src = pg_new(loop, &so);
	m->dst = pg_new(loop, &to);
	m->reading.lag_seconds = NAN;
	return m;
}

void
monitor_free(struct monitor *m)
{
	if (m == NULL)
		return;
	if (m->timer != NULL)
		loop_timer_cancel(m->timer);
	pg_batch_free(m->batch);
	pg_free(m->src);
	pg_free(m->dst);
	free(m->reading.error);
	free(m->prov_error);
	free(m->waiters);
	free(m);
}

cJSON *
status_json(const struct config *cfg, const struct state *state,
    const struct lock_holder *driver, const struct monitor_model *m)
{
	cJSON *o = cJSON_CreateObject(), *ph, *tabs, *t, *d;
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
	/* The direction is the run's (forward before any run). */
	cJSON_AddItemToObject(o, "replication", model_repl_to_json(m,
	    provider_name(cfg->provider), state != NULL ? state->replication :
	    REPL_FORWARD, REPL_JSON_STATUS));
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
		if (s->nparts > 0) {
			/* A partitioned table: once, with its partitions. */
			cJSON *parts = cJSON_CreateArray();
			size_t k;

			cJSON_AddNumberToObject(t, "partitions", (double)s->nparts);
			for (k = 0; k < s->nparts; k++) {
				char *pn = xasprintf("%s.%s", s->parts[k].schema,
				    s->parts[k].name);

				cJSON_AddItemToArray(parts, cJSON_CreateString(pn));
				free(pn);
			}
			cJSON_AddItemToObject(t, "partition_tables", parts);
		}
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
