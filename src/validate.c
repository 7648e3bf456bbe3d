/* validate.c - the seven checks; see validate.h. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "checksum.h"
#include "dms-mappings.h"
#include "fileio.h"
#include "jsonout.h"
#include "heartbeat.h"
#include "pg.h"
#include "schema-diff.h"
#include "tablepat.h"
#include "validate.h"

/* Sample mode's exact counts: v[0] source, v[1] target. */
struct count_pair {
	int64_t v[2];
	int answers;
	char *error;
};

struct count_arg {
	struct count_pair *pair;
	int side;
};

/* Where a source table ends up: every one in exactly one place. */
enum cov_kind { COV_OUT, COV_COMPARED, COV_EXCLUDED, COV_NOT_REPLICATED };

struct tcov {
	enum cov_kind kind;
	const char *pattern;       /* COV_EXCLUDED: the exclude_tables item */
	char *why;                 /* COV_NOT_REPLICATED: the reason */
	bool error;                /* ...and it could not be compared at all
	                              (renamed by a DMS transformation) */
	char *note;                /* e.g. a --table that named a partition */
};

struct validation {
	struct loop *loop;
	const struct config *cfg;
	struct validate_opts opts;
	struct provider *prov;
	bool own_prov;
	struct pg *src_meta, *dst_meta;
	struct pg *src_schema, *dst_schema;   /* the schema snapshots, beside
	                                         the catalog's queries */
	struct pg **src_jobs, **dst_jobs;
	int jobs;

	struct catalog scat, dcat;
	struct tcov *cov;              /* per scat.tables entry */
	struct table_patterns excl;    /* [validation] exclude_tables */
	struct table_patterns only;    /* --table */
	size_t ncompared, nexcluded, nnot_replicated, nscope;
	char *usage_error;             /* a --table that matched nothing */
	/* dms: the forward task's table mappings, read through the provider
	 * beside the catalog; the coverage waits for both. */
	struct map_req *map;           /* the read in flight */
	bool map_wait;                 /* ...not answered yet */
	char *mappings;                /* TableMappings, or NULL */
	char *mappings_error;          /* why they could not be read */
	bool catalog_loaded;           /* on_catalog has run: after_catalog
	                                  waits only for the mappings */
	struct pg_batch *cat_batch;    /* the catalog's answers until then */
	struct schema_snapshot ssrc, sdst;
	int q_pub, q_schema_src, q_schema_dst;   /* batch indexes, or -1 */
	char *roles_param;
	struct table_info *work;       /* tables compared (views into scat) */
	size_t nwork;
	struct cksum *ck;
	struct count_pair *counts_exact;   /* sample mode: exact counts */
	struct count_arg *count_args;
	struct check_result unchecked; /* tables that could not be compared */

	struct check_result res[CHK_COUNT];

	double lag_e2e, lag_provider;
	char *lag_note;
	int64_t probe_beat;         /* the probe beat, source clock ms */
	int64_t probe_started;      /* mono ms the probe was written */
	struct loop_timer *probe_timer;

	int64_t started_at, finished_at;
	int64_t started_mono;
	int pending;
	bool finished;
	size_t tables_done, tables_total;
	validation_done_fn done;
	void *arg;
};

static void maybe_finish(struct validation *v);

static void
set_check(struct validation *v, enum check_id c, enum check_status s,
    const char *detail)
{
	v->res[c].status = s;
	free(v->res[c].detail);
	v->res[c].detail = detail != NULL ? xstrdup(detail) : NULL;
}

/* A new table entry of r, its numbers unknown. */
static struct table_result *
table_result_add(struct check_result *r, const char *table,
    enum check_status s, const char *detail)
{
	struct table_result *t;

	if (r->ntables == r->cap) {
		r->cap = r->cap == 0 ? 16 : 2 * r->cap;
		r->tables = xreallocarray(r->tables, r->cap, sizeof *r->tables);
	}
	t = &r->tables[r->ntables++];
	memset(t, 0, sizeof *t);
	t->table = xstrdup(table);
	t->status = s;
	t->detail = detail != NULL ? xstrdup(detail) : NULL;
	t->coverage = COVERAGE_COMPARED;
	t->source = t->target = t->rows = t->partitions = -1;
	return t;
}

static void
check_result_free(struct check_result *r)
{
	size_t i;

	for (i = 0; i < r->ntables; i++) {
		free(r->tables[i].table);
		free(r->tables[i].detail);
		cJSON_Delete(r->tables[i].mismatched_keys);
	}
	free(r->tables);
	for (i = 0; i < r->nsequences; i++) {
		free(r->sequences[i].sequence);
		free(r->sequences[i].detail);
	}
	free(r->sequences);
	if (r->schema != NULL) {
		schema_result_free(r->schema);
		free(r->schema);
	}
	free(r->detail);
	memset(r, 0, sizeof *r);
	r->wal_retained_bytes = -1;
	r->sample_percent = r->value_seconds = r->threshold_seconds =
	    r->end_to_end_seconds = r->provider_seconds = NAN;
}

static struct pg *
new_conn(struct validation *v, const char *conninfo, const char *label,
    int timeout_ms)
{
	struct pg_opts o = { conninfo, label, timeout_ms, 0, 0, false, false };
	struct pg *c;

	if (timeout_ms == 0)
		o.query_deadline_ms = 24 * 3600 * 1000;	/* keepalives catch the dead */
	c = pg_new(v->loop, &o);
	pg_catalog_names(c);
	return c;
}

/* ------------------------------------------------ replication_status */

static void
on_provider(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct validation *v = arg;
	const struct repl_status *st = &p->status;
	char buf[512];

	if (rc != 0) {
		set_check(v, CHK_REPLICATION_STATUS, CHECK_ERROR, e->msg);
	} else {
		enum check_status s = CHECK_PASS;

		snprintf(buf, sizeof buf, "%s", st->status != NULL ? st->status : "?");
		if (st->status == NULL || strcmp(st->status, "running") != 0)
			s = CHECK_FAIL;
		if (st->stop_reason != NULL) {
			s = CHECK_FAIL;
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ": %s",
			    st->stop_reason);
		}
		if (st->tables_errored > 0) {
			s = CHECK_FAIL;
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "; %d tables errored", st->tables_errored);
		}
		if (st->tables_loading > 0 || st->tables_queued > 0) {
			s = CHECK_FAIL;
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "; %d tables still loading, %d queued",
			    st->tables_loading > 0 ? st->tables_loading : 0,
			    st->tables_queued > 0 ? st->tables_queued : 0);
		}
		if (st->last_failure != NULL) {
			s = check_worse(s, CHECK_WARN);
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "; %s", st->last_failure);
		}
		if (st->wal_retained_bytes >= 0 && s != CHECK_PASS)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
			    "; WAL retained on the source: %lld bytes",
			    (long long)st->wal_retained_bytes);
		set_check(v, CHK_REPLICATION_STATUS, s, buf);
		v->lag_provider = st->lag_target;
		if (isnan(v->lag_provider))
			v->lag_provider = st->lag_source;
		if (st->wal_retained_bytes >= 0)
			v->res[CHK_REPLICATION_STATUS].wal_retained_bytes =
			    st->wal_retained_bytes;
	}
	v->pending--;
	maybe_finish(v);
}

/* After the switch: the reverse replication is the one that must run. */
static void
on_reverse(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct validation *v = arg;

	(void)c;
	if (res == NULL)
		set_check(v, CHK_REPLICATION_STATUS, CHECK_ERROR, error);
	else if (PQntuples(res) == 1 && pgr_bool(res, 0, 0) && pgr_bool(res, 0, 1))
		set_check(v, CHK_REPLICATION_STATUS, CHECK_PASS, "reverse replication "
		    "running (forward stopped after the switch, by design)");
	else
		set_check(v, CHK_REPLICATION_STATUS, CHECK_WARN, "reverse replication "
		    "is not running: a rollback would lose the writes made since the "
		    "switch");
	v->pending--;
	maybe_finish(v);
}

static void
start_after_switch(struct validation *v)
{
	const char *params[1] = { v->cfg->reverse_subscription };

	set_check(v, CHK_REPLICATION_LAG, CHECK_SKIP, "after the switch: the "
	    "application writes to the target");
	if (!v->cfg->reverse_replication || v->cfg->provider != PROVIDER_POSTGRES) {
		set_check(v, CHK_REPLICATION_STATUS, CHECK_SKIP,
		    v->cfg->reverse_replication ? "after the switch: forward "
		    "replication is stopped by design; the reverse one is the "
		    "provider's to report" : "after the switch: forward replication "
		    "is stopped by design; reverse replication is off");
		return;
	}
	v->pending++;
	pg_query(v->src_meta, "SELECT s.subenabled, EXISTS (SELECT 1 FROM"
	    " pg_stat_subscription w WHERE w.subid = s.oid AND w.relid IS NULL"
	    " AND w.pid IS NOT NULL) FROM pg_subscription s WHERE s.subname = $1",
	    1, params, on_reverse, v);
}

/* ---------------------------------------------------- replication_lag */

static void
lag_done(struct validation *v, double e2e, const char *note)
{
	v->lag_e2e = e2e;
	free(v->lag_note);
	v->lag_note = note != NULL ? xstrdup(note) : NULL;
	v->pending--;
	maybe_finish(v);
}

static void probe_poll(struct loop_timer *t, void *arg);

static void
probe_seen(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct validation *v = arg;
	int64_t waited = mono_ms() - v->probe_started;
	/* Past the threshold the check fails anyway: no need to wait more. */
	int64_t limit = (int64_t)(v->cfg->max_lag_seconds * 1200) + 500;

	(void)c;
	if (res == NULL) {
		lag_done(v, NAN, error);
		return;
	}
	if (PQntuples(res) == 1 && pgr_int64(res, 0, 0, 0) >= v->probe_beat) {
		lag_done(v, (double)waited / 1000.0, NULL);
		return;
	}
	if (waited > limit) {
		lag_done(v, (double)waited / 1000.0,
		    "the heartbeat written by this check has not reached the target");
		return;
	}
	v->probe_timer = loop_timer_add(v->loop, 50, probe_poll, v);
}

static void
probe_poll(struct loop_timer *t, void *arg)
{
	struct validation *v = arg;

	(void)t;
	v->probe_timer = NULL;
	pg_query(v->dst_meta, "SELECT beat_ms FROM cutover.heartbeat WHERE id = 1",
	    0, NULL, probe_seen, v);
}

static void
probe_written(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct validation *v = arg;

	(void)c;
	if (res == NULL || PQntuples(res) != 1) {
		lag_done(v, NAN, res == NULL ? error :
		    "no heartbeat row on the source (run `cutover setup`)");
		return;
	}
	/* The beat is in the source's clock, as the target will show it. */
	v->probe_beat = pgr_int64(res, 0, 0, 0);
	probe_poll(NULL, v);
}

static void
on_reading(const struct heartbeat_reading *r, void *arg)
{
	struct validation *v = arg;

	lag_done(v, r->lag_seconds, r->error != NULL ? r->error :
	    r->writer_active ? NULL : "no heartbeat writer is running");
}

static void
start_lag(struct validation *v)
{
	const char *params[1] = { actor() };

	v->pending++;
	if (!v->opts.probe_lag) {
		heartbeat_read(v->src_meta, v->dst_meta, on_reading, v);
		return;
	}
	v->probe_started = mono_ms();
	pg_query(v->src_meta, HEARTBEAT_WRITE_SQL, 1, params, probe_written, v);
}

static void
finish_lag(struct validation *v)
{
	struct check_result *r = &v->res[CHK_REPLICATION_LAG];
	double value = v->lag_e2e;
	char buf[256];

	if (isnan(value) || (!isnan(v->lag_provider) && v->lag_provider > value))
		value = v->lag_provider;
	if (isnan(value)) {
		set_check(v, CHK_REPLICATION_LAG, CHECK_ERROR, v->lag_note != NULL ?
		    v->lag_note : "no lag measurement");
	} else {
		snprintf(buf, sizeof buf, "%.3f s (end to end %s, provider %s)%s%s",
		    value, isnan(v->lag_e2e) ? "unknown" : "measured",
		    isnan(v->lag_provider) ? "unknown" : "reported",
		    v->lag_note != NULL ? "; " : "",
		    v->lag_note != NULL ? v->lag_note : "");
		set_check(v, CHK_REPLICATION_LAG, value < v->cfg->max_lag_seconds ?
		    CHECK_PASS : CHECK_FAIL, buf);
	}
	r->lag_given = r->lag_measured = true;
	r->value_seconds = value;
	r->threshold_seconds = v->cfg->max_lag_seconds;
	r->end_to_end_seconds = v->lag_e2e;
	r->provider_seconds = v->lag_provider;
}

/* ------------------------------------------------------------ coverage */

static void
free_coverage(struct validation *v)
{
	size_t i;

	for (i = 0; v->cov != NULL && i < v->scat.ntables; i++) {
		free(v->cov[i].why);
		free(v->cov[i].note);
	}
	free(v->cov);
	v->cov = NULL;
}

/* A table's name as the JSON and the terminal show it. */
static char *
cov_name(const struct table_info *t)
{
	return table_display(t->schema, t->name);
}

/* --table: which tables are in scope. A pattern that names a partition
 * selects its root (a partitioned table is compared whole). */
static void
decide_scope(struct validation *v)
{
	struct catalog *c = &v->scat;
	bool *hit = xcalloc(v->only.n + 1, sizeof *hit);
	struct strbuf miss;
	size_t i, k;

	for (i = 0; i < c->ntables; i++)
		v->cov[i].kind = v->only.n == 0 ? COV_COMPARED : COV_OUT;
	if (v->only.n == 0) {
		free(hit);
		return;
	}
	for (k = 0; k < v->only.n; k++) {
		const struct table_pattern *p = &v->only.v[k];

		for (i = 0; i < c->ntables; i++)
			if (table_pattern_match(p, c->tables[i].schema,
			    c->tables[i].name)) {
				v->cov[i].kind = COV_COMPARED;
				hit[k] = true;
			}
		for (i = 0; i < c->nparts; i++) {
			const struct part_info *pt = &c->parts[i];
			struct table_info *root;

			if (!table_pattern_match(p, pt->schema, pt->name) ||
			    (root = catalog_find(c, pt->root_schema,
			    pt->root_name)) == NULL)
				continue;
			hit[k] = true;
			if (v->cov[root - c->tables].kind == COV_COMPARED &&
			    v->cov[root - c->tables].note != NULL)
				continue;
			v->cov[root - c->tables].kind = COV_COMPARED;
			free(v->cov[root - c->tables].note);
			v->cov[root - c->tables].note = xasprintf("--table %s names a "
			    "partition: compared through its root", p->source);
		}
	}
	sb_init(&miss);
	for (k = 0; k < v->only.n; k++) {
		const struct table_pattern *p = &v->only.v[k];
		char *hint = NULL;

		if (hit[k])
			continue;
		/* A name written in the wrong case is the usual slip. */
		for (i = 0; i < c->ntables && hint == NULL; i++)
			if (strcasecmp(c->tables[i].schema, p->schema.text) == 0 &&
			    strcasecmp(c->tables[i].name, p->table.text) == 0)
				hint = table_pattern_quote(c->tables[i].schema,
				    c->tables[i].name);
		sb_printf(&miss, "%s--table %s matches no table of the source%s%s%s",
		    miss.len > 0 ? "; " : "", p->source, hint != NULL ?
		    " (unquoted names fold to lower case: did you mean " : "",
		    hint != NULL ? hint : "", hint != NULL ? "?)" : "");
		free(hint);
	}
	if (miss.len > 0)
		v->usage_error = sb_detach(&miss);
	else
		sb_free(&miss);
	free(hit);
}

/* Names of a root's leaves that are not carried, for the reason. */
struct leaf_gaps {
	size_t missing, unlogged;
	struct strbuf names;
};

static void
gap_add(struct leaf_gaps *g, const struct part_info *p)
{
	if (g->missing + g->unlogged <= 5)
		sb_printf(&g->names, "%s%s.%s", g->names.len ? ", " : "", p->schema,
		    p->name);
	else if (g->missing + g->unlogged == 6)
		sb_puts(&g->names, ", ...");
}

/* What the DMS task's table mappings do to each table and leaf (map not
 * NULL): verdicts and reasons, per scat.tables and scat.parts entry. */
struct map_verdicts {
	enum dms_verdict *t, *p;
	char **twhy;
};

static void
judge_mappings(struct validation *v, const struct dms_mappings *map,
    struct map_verdicts *mv)
{
	struct catalog *c = &v->scat;
	char *why;
	size_t i;

	mv->t = xcalloc(c->ntables + 1, sizeof *mv->t);
	mv->twhy = xcalloc(c->ntables + 1, sizeof *mv->twhy);
	mv->p = xcalloc(c->nparts + 1, sizeof *mv->p);
	if (map == NULL)
		return;
	for (i = 0; i < c->ntables; i++)
		if (v->cov[i].kind != COV_OUT)
			mv->t[i] = dms_mappings_judge(map, c->tables[i].schema,
			    c->tables[i].name, &mv->twhy[i]);
	for (i = 0; i < c->nparts; i++) {
		if (!c->parts[i].leaf)
			continue;
		mv->p[i] = dms_mappings_judge(map, c->parts[i].schema,
		    c->parts[i].name, &why);
		free(why);
	}
}

static void
map_verdicts_free(struct map_verdicts *mv, size_t ntables)
{
	size_t i;

	for (i = 0; i < ntables; i++)
		free(mv->twhy[i]);
	free(mv->twhy);
	free(mv->t);
	free(mv->p);
}

/* Excluded, not replicated or compared, for each table in scope. pub is
 * the publication's tables (postgres provider) or NULL; map the DMS
 * task's table mappings (dms provider) or NULL. */
static void
decide_coverage(struct validation *v, const PGresult *pub,
    const struct dms_mappings *map)
{
	struct catalog *c = &v->scat;
	bool *listed = xcalloc(c->ntables + 1, sizeof *listed);
	bool *leaf_listed = xcalloc(c->nparts + 1, sizeof *leaf_listed);
	struct leaf_gaps *gaps = xcalloc(c->ntables + 1, sizeof *gaps);
	struct map_verdicts mv;
	bool pub_exists = pub != NULL && PQntuples(pub) > 0;
	const struct table_pattern *pat;
	const char *pubname = v->cfg->publication;
	size_t i;
	int r;

	judge_mappings(v, map, &mv);
	for (r = 0; pub != NULL && r < PQntuples(pub); r++) {
		const char *sn = pgr_value(pub, r, 0), *tn = pgr_value(pub, r, 1);
		const struct table_info *t;
		const struct part_info *p;

		if (sn == NULL || tn == NULL)
			continue;	/* the publication exists, empty */
		if ((t = catalog_find(c, sn, tn)) != NULL)
			listed[t - c->tables] = true;
		else if ((p = catalog_find_part(c, sn, tn)) != NULL)
			leaf_listed[p - c->parts] = true;
	}
	for (i = 0; i < c->nparts; i++) {
		const struct part_info *p = &c->parts[i];
		struct table_info *root;

		if (!p->leaf || (root = catalog_find(c, p->root_schema,
		    p->root_name)) == NULL)
			continue;
		if (p->unlogged) {
			gaps[root - c->tables].unlogged++;
			gap_add(&gaps[root - c->tables], p);
		} else if ((pub != NULL && !leaf_listed[i]) ||
		    (map != NULL && mv.p[i] != DMS_CARRIED)) {
			gaps[root - c->tables].missing++;
			gap_add(&gaps[root - c->tables], p);
		}
	}
	for (i = 0; i < c->ntables; i++) {
		struct tcov *cv = &v->cov[i];
		const struct table_info *t = &c->tables[i];
		struct leaf_gaps *g = &gaps[i];

		if (cv->kind == COV_OUT)
			continue;
		v->nscope++;
		if ((pat = table_patterns_match(&v->excl, t->schema,
		    t->name)) != NULL) {
			cv->kind = COV_EXCLUDED;
			cv->pattern = pat->source;
			v->nexcluded++;
			continue;
		}
		if (t->unlogged)
			cv->why = xstrdup("unlogged: its changes are not written to "
			    "the WAL, so replication cannot carry them");
		else if (g->unlogged > 0)
			cv->why = xasprintf("%zu unlogged partitions (%s): replication "
			    "cannot carry them", g->unlogged, g->names.buf);
		else if (pub != NULL && !pub_exists)
			cv->why = xasprintf("publication %s does not exist on the "
			    "source", pubname);
		else if (pub != NULL && t->relkind != 'p' && !listed[i])
			cv->why = xasprintf("not in publication %s", pubname);
		else if (pub != NULL && t->relkind == 'p' && !listed[i] &&
		    g->missing > 0)
			cv->why = g->missing == t->nleaves ?
			    xasprintf("not in publication %s (nor are any of its %zu "
			    "partitions)", pubname, t->nleaves) :
			    xasprintf("%zu of its %zu partitions are not in "
			    "publication %s: %s", g->missing, t->nleaves, pubname,
			    g->names.buf);
		else if (map != NULL && t->relkind != 'p' &&
		    mv.t[i] != DMS_CARRIED) {
			cv->why = xstrdup(mv.twhy[i]);
			cv->error = mv.t[i] == DMS_TRANSFORMED;
		} else if (map != NULL && t->relkind == 'p' &&
		    (mv.t[i] == DMS_TRANSFORMED || mv.t[i] == DMS_PARTLY)) {
			cv->why = xstrdup(mv.twhy[i]);
			cv->error = mv.t[i] == DMS_TRANSFORMED;
		} else if (map != NULL && t->relkind == 'p' && g->missing > 0)
			/* A partitioned table is carried by its leaves. */
			cv->why = g->missing == t->nleaves &&
			    mv.t[i] != DMS_CARRIED ?
			    xasprintf("%s (nor are any of its %zu partitions)",
			    mv.twhy[i], t->nleaves) :
			    xasprintf("not replicated (%zu of its %zu partitions are "
			    "not carried whole by the DMS task's table mappings: "
			    "%s)", g->missing, t->nleaves, g->names.buf);
		else if (map != NULL && t->relkind == 'p' && t->nleaves == 0 &&
		    mv.t[i] != DMS_CARRIED)
			cv->why = xstrdup(mv.twhy[i]);
		if (cv->why != NULL) {
			cv->kind = COV_NOT_REPLICATED;
			v->nnot_replicated++;
		} else {
			cv->kind = COV_COMPARED;
			v->ncompared++;
		}
	}
	for (i = 0; i < c->ntables; i++)
		sb_free(&gaps[i].names);
	map_verdicts_free(&mv, c->ntables);
	free(gaps);
	free(listed);
	free(leaf_listed);
}

/* The per-check counts for a check about tables. */
static void
count_tables(struct validation *v, enum check_id c)
{
	v->res[c].compared = v->ncompared;
	v->res[c].excluded = v->nexcluded;
	v->res[c].not_replicated = v->nnot_replicated;
}

/* A table check that compared no table is never a pass: when no table
 * failed by name, an error if something prevented it (exclusion, no
 * replication), a warning when there is nothing at all. */
static enum check_status
nothing_compared(const struct validation *v, enum check_status s, char *buf,
    size_t len)
{
	if (v->ncompared > 0 || s == CHECK_FAIL || s == CHECK_ERROR)
		return s;
	if (v->nexcluded > 0 || v->nnot_replicated > 0) {
		snprintf(buf, len, "compared no table: of the %zu in scope, %zu "
		    "are excluded by exclude_tables and %zu not replicated",
		    v->nscope, v->nexcluded, v->nnot_replicated);
		return CHECK_ERROR;
	}
	snprintf(buf, len, "compared no table: the source has no user tables");
	return check_worse(s, CHECK_WARN);
}

/* The entries of excluded and not replicated tables in a table check's
 * list: the first are listed (skip), the second fail. */
static enum check_status
add_coverage_entries(struct validation *v, struct check_result *r)
{
	enum check_status s = CHECK_PASS;
	struct table_result *e;
	size_t i;

	for (i = 0; i < v->scat.ntables; i++) {
		const struct tcov *cv = &v->cov[i];
		const struct table_info *t = &v->scat.tables[i];
		char *name;

		if (cv->kind != COV_EXCLUDED && cv->kind != COV_NOT_REPLICATED)
			continue;
		name = cov_name(t);
		if (cv->kind == COV_EXCLUDED) {
			char *d = xasprintf("excluded by exclude_tables (%s)",
			    cv->pattern);

			e = table_result_add(r, name, CHECK_SKIP, d);
			e->coverage = COVERAGE_EXCLUDED;
			free(d);
		} else {
			/* Renamed by DMS: the target has no table of that
			 * name to compare with - not a verdict on its rows. */
			e = table_result_add(r, name, cv->error ? CHECK_ERROR :
			    CHECK_FAIL, cv->why);
			e->coverage = COVERAGE_NOT_REPLICATED;
			s = check_worse(s, e->status);
		}
		free(name);
	}
	return s;
}

/* -------------------------------------------------------- primary_keys */

static const char *
replident_name(char r)
{
	switch (r) {
	case 'f':
		return "full";
	case 'i':
		return "index";
	case 'n':
		return "nothing";
	default:
		return "default";
	}
}

static void
check_primary_keys(struct validation *v)
{
	struct check_result *r = &v->res[CHK_PRIMARY_KEYS];
	enum check_status s = CHECK_PASS;
	size_t i, n = 0;
	char buf[256];

	r->listed = true;
	for (i = 0; i < v->scat.ntables; i++) {
		const struct table_info *t = &v->scat.tables[i];
		char *name;

		if (v->cov[i].kind != COV_COMPARED || t->npk > 0)
			continue;
		n++;
		name = cov_name(t);
		table_result_add(r, name, CHECK_WARN, NULL)->replica_identity =
		    replident_name(t->replident);
		free(name);
		/* Listed with its replica identity: with FULL or an index its
		 * updates and deletes replicate; with the default they cannot
		 * (an insert-only table still copies). Its rows cannot be
		 * named by the checksums either. A warning the operator sees. */
		s = check_worse(s, CHECK_WARN);
	}
	if (n == 0)
		snprintf(buf, sizeof buf, "every table has a primary key (%zu "
		    "tables)", v->ncompared);
	else
		snprintf(buf, sizeof buf, "%zu of %zu tables without a primary key "
		    "(see their replica identity)", n, v->ncompared);
	count_tables(v, CHK_PRIMARY_KEYS);
	s = nothing_compared(v, s, buf, sizeof buf);
	set_check(v, CHK_PRIMARY_KEYS, s, buf);
}

/* ----------------------------------------------------------- sequences */

/* The value the next nextval() moves past: last_value, or one step
 * before start when the sequence was never used. */
static int64_t
seq_effective(const struct sequence_info *s)
{
	return s->used ? s->last_value : s->start_value - s->increment;
}

static void
check_sequences(struct validation *v)
{
	struct check_result *r = &v->res[CHK_SEQUENCES];
	struct sequence_result *e;
	enum check_status s = CHECK_PASS;
	size_t i, bad = 0, unreadable = 0, compared = 0, excluded = 0;
	char buf[256];

	r->listed = true;
	for (i = 0; i < v->scat.nseqs; i++) {
		const struct sequence_info *a = &v->scat.seqs[i];
		const struct sequence_info *b = catalog_find_sequence(&v->dcat,
		    a->schema, a->name);
		char *name, *why = NULL;
		enum check_status st;

		if (table_patterns_match(&v->excl, a->schema, a->name) != NULL) {
			excluded++;
			continue;
		}
		compared++;
		name = table_display(a->schema, a->name);
		if (!a->readable || (b != NULL && !b->readable)) {
			/* NULL is "never used" only when we may read it. */
			st = CHECK_ERROR;
			why = xasprintf("cannot read its value on the %s: this role "
			    "lacks SELECT or USAGE on sequence %s (GRANT SELECT ON "
			    "SEQUENCE ... TO the migrator)", !a->readable ? "source" :
			    "target", name);
			unreadable++;
		} else if (b == NULL)
			st = CHECK_FAIL;
		else if (a->increment > 0)
			st = seq_effective(b) >= seq_effective(a) ? CHECK_PASS : CHECK_FAIL;
		else
			st = seq_effective(b) <= seq_effective(a) ? CHECK_PASS : CHECK_FAIL;
		/* Replication does not carry sequences: until sequence_sync has
		 * run, behind is expected. */
		if (st == CHECK_FAIL && b != NULL && !v->opts.sequences_synced)
			st = CHECK_WARN;
		if (r->nsequences == r->seq_cap) {
			r->seq_cap = r->seq_cap == 0 ? 16 : 2 * r->seq_cap;
			r->sequences = xreallocarray(r->sequences, r->seq_cap,
			    sizeof *r->sequences);
		}
		e = &r->sequences[r->nsequences++];
		memset(e, 0, sizeof *e);
		e->sequence = xstrdup(name);
		e->has_source = a->used;
		e->source = a->last_value;
		e->has_target = b != NULL && b->used;
		e->target = b != NULL ? b->last_value : 0;
		e->status = st;
		if (why != NULL)
			e->detail = xstrdup(why);
		else if (b == NULL)
			e->detail = xstrdup("missing on the target");
		if (st != CHECK_PASS && st != CHECK_ERROR)
			bad++;
		s = check_worse(s, st);
		free(why);
		free(name);
	}
	v->res[CHK_SEQUENCES].compared = compared;
	v->res[CHK_SEQUENCES].excluded = excluded;
	if (unreadable > 0)
		snprintf(buf, sizeof buf, "%zu of %zu sequences cannot be read by "
		    "this role (their values are unknown, not unused)%s",
		    unreadable, compared, bad > 0 ? "; others behind" : "");
	else if (bad > 0)
		snprintf(buf, sizeof buf, "%zu of %zu sequences behind on the target%s",
		    bad, compared, s == CHECK_WARN ?
		    " (expected until sequence_sync sets them)" : "");
	else if (compared == 0) {
		/* Nothing to compare is not a pass. */
		snprintf(buf, sizeof buf, excluded > 0 ? "compared no sequence: "
		    "every one is excluded" : "the source has no sequences");
		s = excluded > 0 ? CHECK_ERROR : CHECK_SKIP;
	} else
		snprintf(buf, sizeof buf, "%zu sequences", compared);
	set_check(v, CHK_SEQUENCES, s, buf);
}

/* -------------------------------------------------------------- schema */

static enum schema_scope
schema_scope(const char *tschema, const char *tname, void *arg)
{
	struct validation *v = arg;
	size_t k;

	if (tschema == NULL || tname == NULL)
		return v->only.n > 0 ? SCOPE_OUT : SCOPE_IN;
	if (v->only.n > 0) {
		for (k = 0; k < v->only.n; k++)
			if (table_pattern_match(&v->only.v[k], tschema, tname))
				break;
		if (k == v->only.n)
			return SCOPE_OUT;
	}
	if (table_patterns_match(&v->excl, tschema, tname) != NULL)
		return SCOPE_EXCLUDED;
	return SCOPE_IN;
}

static void
check_schema(struct validation *v, const struct schema_snapshot *src,
    const struct schema_snapshot *dst)
{
	struct schema_result *r = xcalloc(1, sizeof *r);
	enum check_status s;
	char buf[256];

	schema_diff(src, dst, schema_scope, v, r);
	/* The result is the check's: the JSON is written from it. */
	v->res[CHK_SCHEMA].schema = r;
	v->res[CHK_SCHEMA].listed = true;
	v->res[CHK_SCHEMA].compared = r->compared;
	v->res[CHK_SCHEMA].excluded = r->excluded;
	v->res[CHK_SCHEMA].not_replicated = r->nuncarried;
	s = r->status;
	if (r->fails + r->warns > 0)
		snprintf(buf, sizeof buf, "%zu differences (%zu fail, %zu warn) in "
		    "%zu objects compared", r->fails + r->warns, r->fails, r->warns,
		    r->compared);
	else
		snprintf(buf, sizeof buf, "the catalogs match (%zu objects "
		    "compared)", r->compared);
	if (r->compared == 0) {
		snprintf(buf, sizeof buf, r->excluded > 0 ? "compared no object: "
		    "every one in scope is excluded" : "compared no object");
		s = r->excluded > 0 ? CHECK_ERROR : check_worse(s, CHECK_WARN);
	}
	set_check(v, CHK_SCHEMA, s, buf);
}

/* ---------------------------------------------------------- row_counts */

static enum check_status
count_status(const struct validation *v, int64_t src, int64_t dst, bool exact)
{
	double diff = (double)llabs(src - dst), allowed;

	if (src < 0 || dst < 0)
		return CHECK_ERROR;
	allowed = v->cfg->row_count_tolerance.percent ?
	    v->cfg->row_count_tolerance.value * (double)src / 100.0 :
	    v->cfg->row_count_tolerance.value;
	if (diff <= allowed)
		return CHECK_PASS;
	/* Estimates (statistics not yet collected, autovacuum behind) cannot
	 * prove a difference: they only point at one. */
	return exact ? CHECK_FAIL : CHECK_WARN;
}

static void
add_count(struct validation *v, struct check_result *r,
    const struct table_info *a, int64_t src, int64_t dst, bool exact,
    const char *note, bool moved, const char *aside,
    enum check_status *overall)
{
	enum check_status st = note != NULL ? CHECK_FAIL : moved ? CHECK_PASS :
	    count_status(v, src, dst, exact);
	struct table_result *e;
	char *t = cov_name(a);

	if (note == NULL && moved)
		note = "the counts moved while they were taken (changes in "
		    "flight); the rows match";
	else if (note == NULL)
		note = aside;
	e = table_result_add(r, t, st, note);
	e->source = src >= 0 ? src : -1;
	e->target = dst >= 0 ? dst : -1;
	if (a->relkind == 'p')
		e->partitions = (int64_t)a->nleaves;
	*overall = check_worse(*overall, st);
	free(t);
}

/* The index of a in v->work (which holds a sorted subset of the source
 * catalog), or v->nwork. */
static size_t
work_index(const struct validation *v, const struct table_info *a)
{
	size_t lo = 0, hi = v->nwork, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(v->work[mid].schema, a->schema);
		if (c == 0)
			c = strcmp(v->work[mid].name, a->name);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v->nwork;
}

static void
finish_row_counts(struct validation *v, bool exact)
{
	struct check_result *res = &v->res[CHK_ROW_COUNTS];
	enum check_status s = CHECK_PASS;
	char buf[256];
	size_t i, n;

	res->listed = true;
	res->method = exact ? "exact" : "estimate";
	for (i = 0; i < v->scat.ntables; i++) {
		const struct table_info *a = &v->scat.tables[i];
		const struct table_info *b;
		int64_t src, dst;
		const char *note;
		bool moved = false;

		if (v->cov[i].kind != COV_COMPARED)
			continue;
		b = catalog_find(&v->dcat, a->schema, a->name);
		src = a->est_rows;
		dst = b != NULL ? b->est_rows : -1;
		note = b == NULL ? "missing on the target" : NULL;
		if (exact && b != NULL) {
			/* From the checksum pass, or the sample mode's counts. */
			src = dst = -1;
			/* work keeps the catalog's order: a binary search. */
			for (n = work_index(v, a); n < v->nwork; n = v->nwork) {
				if (v->counts_exact != NULL) {
					src = v->counts_exact[n].v[0];
					dst = v->counts_exact[n].v[1];
					note = v->counts_exact[n].error;
				} else {
					const struct cksum_result *r = cksum_result_at(v->ck, n);

					src = r->rows_src;
					dst = r->rows_dst;
					if (r->status == CHECK_ERROR)
						note = r->detail;
					/* Rows compared equal after settling: the
					 * counts only moved while they were taken. */
					if (r->status == CHECK_PASS && src != dst)
						moved = true;
				}
			}
			if (src < 0 && note == NULL)
				note = "not compared";
		}
		add_count(v, res, a, src, dst, exact, note, moved, v->cov[i].note,
		    &s);
	}
	s = check_worse(s, add_coverage_entries(v, res));
	snprintf(buf, sizeof buf, "%zu tables %s", v->ncompared,
	    exact ? "counted" : "from catalog estimates");
	if (v->nnot_replicated > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %zu not "
		    "replicated", v->nnot_replicated);
	if (v->nexcluded > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %zu "
		    "excluded", v->nexcluded);
	count_tables(v, CHK_ROW_COUNTS);
	s = nothing_compared(v, s, buf, sizeof buf);
	set_check(v, CHK_ROW_COUNTS, s, buf);
}

static void
count_done(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct count_arg *ca = arg;
	struct count_pair *cp = ca->pair;

	(void)c;
	if (res == NULL) {
		if (cp->error == NULL)
			cp->error = xstrdup(error);
	} else {
		cp->v[ca->side] = pgr_int64(res, 0, 0, -1);
	}
	cp->answers++;
}

/* ----------------------------------------------------------- checksums */

static void
on_table(const struct cksum_result *r, void *arg)
{
	struct validation *v = arg;
	struct validate_progress pr;

	v->tables_done++;
	if (v->opts.progress == NULL)
		return;
	memset(&pr, 0, sizeof pr);
	pr.table = r->display;
	pr.what = "checksum";
	pr.status = r->status;
	pr.rows = r->rows_src;
	pr.seconds = r->seconds;
	pr.detail = r->detail;
	pr.tables_done = v->tables_done;
	pr.tables_total = v->tables_total;
	v->opts.progress(&pr, v->opts.progress_arg);
}

static void
finish_checksums(struct validation *v, struct check_result *extra)
{
	struct check_result *res = &v->res[CHK_CHECKSUMS];
	struct table_result *e;
	enum check_status s = CHECK_PASS;
	size_t i, bad = 0, compared;
	char buf[256];

	res->listed = true;
	for (i = 0; v->ck != NULL && i < cksum_count(v->ck); i++) {
		const struct cksum_result *r = cksum_result_at(v->ck, i);

		e = table_result_add(res, r->display, r->status, r->detail);
		e->rows = r->rows_src;
		e->chunks = r->chunks;
		e->mismatched_chunks = r->mismatched_chunks;
		e->mismatched_keys = cJSON_Duplicate(r->mismatched_keys, 1);
		e->keys_truncated = r->truncated;
		if (r->table->relkind == 'p')
			e->partitions = (int64_t)r->table->nleaves;
		if (r->status != CHECK_PASS)
			bad++;
		s = check_worse(s, r->status);
	}
	/* Tables that could not be compared at all (missing, other columns). */
	for (i = 0; i < extra->ntables; i++) {
		e = table_result_add(res, extra->tables[i].table,
		    extra->tables[i].status, extra->tables[i].detail);
		e->rows = extra->tables[i].rows;
		bad++;
		s = check_worse(s, CHECK_FAIL);
	}
	check_result_free(extra);
	compared = res->ntables;
	s = check_worse(s, add_coverage_entries(v, res));
	res->method = v->cfg->checksum_sample_percent < 100 ? "sample" : "full";
	if (v->cfg->checksum_sample_percent < 100)
		res->sample_percent = v->cfg->checksum_sample_percent;
	if (bad > 0)
		snprintf(buf, sizeof buf, "%zu of %zu tables differ", bad, compared);
	else
		snprintf(buf, sizeof buf, "%zu tables match", compared);
	if (v->nnot_replicated > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %zu not "
		    "replicated", v->nnot_replicated);
	if (v->nexcluded > 0)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %zu "
		    "excluded", v->nexcluded);
	count_tables(v, CHK_CHECKSUMS);
	s = nothing_compared(v, s, buf, sizeof buf);
	set_check(v, CHK_CHECKSUMS, s, buf);
}

static void
on_checksums_done(void *arg)
{
	struct validation *v = arg;

	v->pending--;
	maybe_finish(v);
}

/* Same column names on both sides, or a reason why not. */
static char *
column_mismatch(const struct table_info *a, const struct table_info *b)
{
	int i, j;

	for (i = 0; i < a->ncols; i++) {
		for (j = 0; j < b->ncols; j++)
			if (strcmp(a->cols[i], b->cols[j]) == 0)
				break;
		if (j == b->ncols)
			return xasprintf("column %s is missing on the target", a->cols[i]);
	}
	for (j = 0; j < b->ncols; j++) {
		for (i = 0; i < a->ncols; i++)
			if (strcmp(a->cols[i], b->cols[j]) == 0)
				break;
		if (i == a->ncols)
			return xasprintf("column %s exists only on the target", b->cols[j]);
	}
	return NULL;
}

static void
start_compare(struct validation *v)
{
	bool *keep = xcalloc(v->scat.ntables + 1, sizeof *keep);
	struct table_result *e;
	size_t i;
	int j;

	for (i = 0; i < v->scat.ntables; i++) {
		const struct table_info *a = &v->scat.tables[i];
		const struct table_info *b;
		char *why;

		if (v->cov[i].kind != COV_COMPARED)
			continue;
		b = catalog_find(&v->dcat, a->schema, a->name);
		why = b == NULL ? xstrdup("missing on the target") :
		    column_mismatch(a, b);
		keep[i] = why == NULL;
		if (why != NULL) {
			char *name = cov_name(a);

			e = table_result_add(&v->unchecked, name, CHECK_FAIL, why);
			e->rows = a->est_rows;
			free(name);
			free(why);
		}
	}
	/* work: the comparable tables, copied out of the source catalog. */
	v->work = xcalloc(v->scat.ntables + 1, sizeof *v->work);
	for (i = 0; i < v->scat.ntables; i++)
		if (keep[i])
			v->work[v->nwork++] = v->scat.tables[i];
	free(keep);
	v->tables_total = v->nwork;

	v->src_jobs = xcalloc((size_t)v->jobs, sizeof *v->src_jobs);
	v->dst_jobs = xcalloc((size_t)v->jobs, sizeof *v->dst_jobs);
	for (j = 0; j < v->jobs; j++) {
		v->src_jobs[j] = new_conn(v, v->cfg->source_conninfo, "source", 0);
		v->dst_jobs[j] = new_conn(v, v->cfg->target_reader_conninfo != NULL ?
		    v->cfg->target_reader_conninfo : v->cfg->target_conninfo,
		    v->cfg->target_reader_conninfo != NULL ? "target reader" :
		    "target", 0);
	}
	v->pending++;
	v->ck = cksum_start(v->loop, v->src_jobs, v->dst_jobs, v->jobs, v->work,
	    v->nwork, v->cfg->checksum_sample_percent, true, on_table,
	    on_checksums_done, v);
	if (v->cfg->checksum_sample_percent < 100) {
		/* Sampled checksums cannot count: count exactly, beside them. */
		v->counts_exact = xcalloc(v->nwork + 1, sizeof *v->counts_exact);
		v->count_args = xcalloc(2 * v->nwork + 1, sizeof *v->count_args);
		for (i = 0; i < v->nwork; i++) {
			char *q = pg_quote_qualified(NULL, v->work[i].schema,
			    v->work[i].name);
			char *sql = xasprintf("SELECT count(*) FROM %s", q);

			v->counts_exact[i].v[0] = v->counts_exact[i].v[1] = -1;
			v->count_args[2 * i].pair = &v->counts_exact[i];
			v->count_args[2 * i + 1].pair = &v->counts_exact[i];
			v->count_args[2 * i + 1].side = 1;
			pg_query(v->src_jobs[i % (size_t)v->jobs], sql, 0, NULL,
			    count_done, &v->count_args[2 * i]);
			pg_query(v->dst_jobs[i % (size_t)v->jobs], sql, 0, NULL,
			    count_done, &v->count_args[2 * i + 1]);
			free(q);
			free(sql);
		}
	}
}

/* ------------------------------------------------------------- catalog */

static void
catalog_failed(struct validation *v, const char *error)
{
	enum check_id c;

	for (c = CHK_ROW_COUNTS; c < CHK_COUNT; c++)
		set_check(v, c, CHECK_ERROR, error);
}

/* The catalog's answers are gone: free what on_catalog kept. */
static void
catalog_release(struct validation *v)
{
	schema_snapshot_free(&v->ssrc);
	schema_snapshot_free(&v->sdst);
	memset(&v->ssrc, 0, sizeof v->ssrc);
	memset(&v->sdst, 0, sizeof v->sdst);
	pg_batch_free(v->cat_batch);
	v->cat_batch = NULL;
	/* Not needed by the checksums that may follow. */
	pg_free(v->src_schema);
	pg_free(v->dst_schema);
	v->src_schema = v->dst_schema = NULL;
}

/* The table checks cannot know what is replicated: an error (naming the
 * AWS error), never a comparison that would pass or fail on a guess. */
static void
coverage_unknown(struct validation *v)
{
	char *msg = xasprintf("the DMS task's table mappings could not be "
	    "read, so which tables it replicates is unknown: %s",
	    v->mappings_error);

	set_check(v, CHK_ROW_COUNTS, CHECK_ERROR, msg);
	set_check(v, CHK_CHECKSUMS, CHECK_ERROR, msg);
	v->res[CHK_ROW_COUNTS].listed = true;
	v->res[CHK_CHECKSUMS].listed = true;
	free(msg);
}

/* The catalog is loaded and, with dms, the task's mappings are in. */
static void
after_catalog(struct validation *v)
{
	const PGresult *pub = NULL;
	struct dms_mappings map, *mp = NULL;
	struct err e = { 0, "" };

	if (v->q_pub >= 0)
		pub = pg_batch_result(v->cat_batch, v->q_pub);
	if (v->cfg->provider == PROVIDER_DMS && v->mappings_error == NULL) {
		if (dms_mappings_parse(&map, v->mappings, &e) == 0)
			mp = &map;
		else
			v->mappings_error = xasprintf("DescribeReplicationTasks: %s",
			    e.msg);
	}
	v->cov = xcalloc(v->scat.ntables + 1, sizeof *v->cov);
	decide_scope(v);
	if (v->usage_error != NULL) {
		catalog_failed(v, v->usage_error);
		goto out;
	}
	decide_coverage(v, pub, mp);
	if (v->mappings_error != NULL)
		coverage_unknown(v);
	check_primary_keys(v);
	check_sequences(v);
	if (v->q_schema_src >= 0)
		check_schema(v, &v->ssrc, &v->sdst);
	if (v->mappings_error != NULL) {
		/* row_counts and checksums: said above */
	} else if (v->opts.full) {
		start_compare(v);
	} else {
		set_check(v, CHK_CHECKSUMS, CHECK_SKIP, "quick validation: no checksums");
		v->res[CHK_CHECKSUMS].listed = true;
		count_tables(v, CHK_CHECKSUMS);
	}
out:
	if (mp != NULL)
		dms_mappings_free(mp);
	catalog_release(v);
	v->pending--;
	maybe_finish(v);
}

static void
on_catalog(struct pg_batch *b, void *arg)
{
	struct validation *v = arg;
	const char *error = pg_batch_error(b);
	struct err e = { 0, "" };

	v->cat_batch = b;
	if (error == NULL &&
	    (catalog_load_tables(&v->scat, pg_batch_result(b, 0), &e) != 0 ||
	    catalog_load_sequences(&v->scat, pg_batch_result(b, 1), &e) != 0 ||
	    catalog_load_tables(&v->dcat, pg_batch_result(b, 2), &e) != 0 ||
	    catalog_load_sequences(&v->dcat, pg_batch_result(b, 3), &e) != 0))
		error = e.msg;
	if (error == NULL && v->q_schema_src >= 0 &&
	    (schema_snapshot_load(&v->ssrc, pg_batch_take(b, v->q_schema_src)) != 0 ||
	    schema_snapshot_load(&v->sdst, pg_batch_take(b, v->q_schema_dst)) != 0))
		error = "schema: unexpected catalog rows";
	if (error != NULL) {
		catalog_failed(v, error);
		catalog_release(v);
		v->pending--;
		maybe_finish(v);
		return;
	}
	v->catalog_loaded = true;
	if (!v->map_wait)
		after_catalog(v);
}

/* ------------------------------------------------------ table mappings */

/* One read of the mappings; outlives a validation freed before the
 * provider answers (v is then NULL). */
struct map_req {
	struct validation *v;
	char *text;
};

static void
on_mappings(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct map_req *r = arg;
	struct validation *v = r->v;

	(void)p;
	if (v == NULL) {
		free(r->text);
		free(r);
		return;
	}
	v->map = NULL;
	v->map_wait = false;
	if (rc != 0)
		v->mappings_error = xstrdup(e != NULL ? e->msg :
		    "DescribeReplicationTasks failed");
	else if (r->text == NULL)
		v->mappings_error = xstrdup("DescribeReplicationTasks: the forward "
		    "task has no TableMappings");
	v->mappings = r->text;
	free(r);
	if (v->catalog_loaded)
		after_catalog(v);
}

/* dms: the forward task's TableMappings decide what is replicated. */
static void
start_mappings(struct validation *v)
{
	struct map_req *r;

	if (v->cfg->provider != PROVIDER_DMS)
		return;
	if (v->prov == NULL || v->prov->ops->table_mappings == NULL) {
		v->mappings_error = xstrdup(v->prov == NULL ? "no DMS provider" :
		    "the provider cannot read table mappings");
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->v = v;
	v->map = r;
	v->map_wait = true;
	/* May answer at once (a request that could not be made). */
	v->prov->ops->table_mappings(v->prov, &r->text, on_mappings, r);
}

static void
start_catalog(struct validation *v)
{
	const char *pub[] = { v->cfg->publication };
	const char *roles[1];
	struct pg_batch *b = pg_batch_new(on_catalog, v);
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < v->cfg->roles.n; i++)
		sb_printf(&sb, "%s%s", i ? "," : "", v->cfg->roles.v[i]);
	v->roles_param = sb.buf != NULL ? sb_detach(&sb) : xstrdup("");
	roles[0] = v->roles_param;
	v->pending++;
	pg_batch_add(b, v->src_meta, CATALOG_TABLES_SQL, 0, NULL);
	pg_batch_add(b, v->src_meta, CATALOG_SEQUENCES_SQL, 0, NULL);
	pg_batch_add(b, v->dst_meta, CATALOG_TABLES_SQL, 0, NULL);
	pg_batch_add(b, v->dst_meta, CATALOG_SEQUENCES_SQL, 0, NULL);
	v->q_pub = v->q_schema_src = v->q_schema_dst = -1;
	if (v->cfg->provider == PROVIDER_POSTGRES)
		v->q_pub = pg_batch_add(b, v->src_meta, CATALOG_PUBLICATION_SQL, 1,
		    pub);
	v->src_schema = new_conn(v, v->cfg->source_conninfo, "source", 60000);
	v->dst_schema = new_conn(v, v->cfg->target_conninfo, "target", 60000);
	v->q_schema_src = pg_batch_add(b, v->src_schema, SCHEMA_SNAPSHOT_SQL, 1,
	    roles);
	v->q_schema_dst = pg_batch_add(b, v->dst_schema, SCHEMA_SNAPSHOT_SQL, 1,
	    roles);
	pg_batch_seal(b);
}

/* ------------------------------------------------------------- the end */

static bool
counts_finished(const struct validation *v)
{
	size_t i;

	for (i = 0; v->counts_exact != NULL && i < v->nwork; i++)
		if (v->counts_exact[i].answers < 2)
			return false;
	return true;
}

static void
recheck_counts(struct loop_timer *t, void *arg)
{
	(void)t;
	maybe_finish(arg);
}

static void
maybe_finish(struct validation *v)
{
	if (v->finished || v->pending > 0)
		return;
	if (!counts_finished(v)) {
		loop_timer_add(v->loop, 50, recheck_counts, v);
		return;
	}
	v->finished = true;
	if (!v->opts.after_switch)
		finish_lag(v);
	else
		v->res[CHK_REPLICATION_LAG].lag_given = true;
	if (v->res[CHK_ROW_COUNTS].status != CHECK_ERROR)
		finish_row_counts(v, v->opts.full);
	if (v->opts.full && v->res[CHK_CHECKSUMS].status != CHECK_ERROR)
		finish_checksums(v, &v->unchecked);
	/* The results are in the JSON now: give the working set back (with
	 * 10,000 tables, megabytes) before the caller prints or keeps it. */
	cksum_free(v->ck);
	v->ck = NULL;
	free(v->work);
	v->work = NULL;
	free_coverage(v);
	catalog_free(&v->scat);
	catalog_free(&v->dcat);
	v->finished_at = now_ms();
	v->done(v, v->arg);
}

struct validation *
validation_start(struct loop *loop, const struct config *cfg,
    struct provider *provider, const struct validate_opts *opts,
    validation_done_fn done, void *arg)
{
	struct validation *v = xcalloc(1, sizeof *v);
	struct err e = { 0, "" };
	enum check_id c;

	v->loop = loop;
	v->cfg = cfg;
	v->opts = *opts;
	v->jobs = opts->jobs > 0 ? opts->jobs : cfg->jobs;
	v->done = done;
	v->arg = arg;
	v->lag_e2e = v->lag_provider = NAN;
	v->started_at = now_ms();
	v->started_mono = mono_ms();
	for (c = 0; c < CHK_COUNT; c++) {
		check_result_free(&v->res[c]);	/* the unknowns */
		v->res[c].status = CHECK_SKIP;
	}
	table_patterns_compile(&v->excl, cfg->exclude_tables.v,
	    cfg->exclude_tables.n);
	table_patterns_compile(&v->only, opts->only, opts->nonly);
	v->src_meta = new_conn(v, cfg->source_conninfo, "source", 60000);
	v->dst_meta = new_conn(v, cfg->target_conninfo, "target", 60000);
	v->prov = provider;
	if (opts->after_switch) {
		start_after_switch(v);
		/* dms: the mappings still say what was replicated. */
		if (v->prov == NULL && cfg->provider == PROVIDER_DMS &&
		    (v->prov = provider_new(loop, cfg, &e)) != NULL)
			v->own_prov = true;
	} else {
		if (v->prov == NULL) {
			v->prov = provider_new(loop, cfg, &e);
			v->own_prov = true;
		}
		if (v->prov == NULL) {
			set_check(v, CHK_REPLICATION_STATUS, CHECK_ERROR, e.msg);
		} else {
			v->pending++;
			v->prov->ops->refresh(v->prov, on_provider, v);
		}
		start_lag(v);
	}
	if (v->prov == NULL && cfg->provider == PROVIDER_DMS)
		v->mappings_error = xstrdup(e.msg);
	else
		start_mappings(v);
	start_catalog(v);
	return v;
}

void
validation_free(struct validation *v)
{
	enum check_id c;
	size_t i;
	int j;

	if (v == NULL)
		return;
	if (v->probe_timer != NULL)
		loop_timer_cancel(v->probe_timer);
	cksum_free(v->ck);
	for (j = 0; v->src_jobs != NULL && j < v->jobs; j++) {
		pg_free(v->src_jobs[j]);
		pg_free(v->dst_jobs[j]);
	}
	free(v->src_jobs);
	free(v->dst_jobs);
	pg_free(v->src_meta);
	pg_free(v->dst_meta);
	pg_free(v->src_schema);
	pg_free(v->dst_schema);
	if (v->map != NULL)
		v->map->v = NULL;      /* its answer frees it */
	if (v->own_prov)
		provider_free(v->prov);
	if (v->map != NULL && v->own_prov) {
		/* The provider went with its request: no answer will come. */
		free(v->map->text);
		free(v->map);
	}
	v->map = NULL;
	pg_batch_free(v->cat_batch);
	schema_snapshot_free(&v->ssrc);
	schema_snapshot_free(&v->sdst);
	free(v->mappings);
	free(v->mappings_error);
	for (i = 0; v->counts_exact != NULL && i < v->nwork; i++)
		free(v->counts_exact[i].error);
	free(v->counts_exact);
	free(v->count_args);
	check_result_free(&v->unchecked);
	free(v->work);
	free_coverage(v);
	catalog_free(&v->scat);
	catalog_free(&v->dcat);
	table_patterns_free(&v->excl);
	table_patterns_free(&v->only);
	free(v->usage_error);
	free(v->roles_param);
	for (c = 0; c < CHK_COUNT; c++) {
		check_result_free(&v->res[c]);
	}
	free(v->lag_note);
	free(v);
}

/* One table of row_counts or checksums, in the key order of INTERFACE.md. */
static cJSON *
table_result_json(const struct table_result *t, enum check_id c)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "table", t->table);
	if (c == CHK_ROW_COUNTS) {
		json_add_count(e, "source", t->source);
		json_add_count(e, "target", t->target);
		json_add_number(e, "diff", t->source >= 0 && t->target >= 0 ?
		    (double)(t->target - t->source) : NAN);
	} else {
		/* A table not compared has no rows to speak of. */
		json_add_number(e, "rows", t->coverage == COVERAGE_COMPARED ?
		    (double)t->rows : NAN);
		cJSON_AddNumberToObject(e, "chunks", t->chunks);
		cJSON_AddNumberToObject(e, "mismatched_chunks",
		    t->mismatched_chunks);
		/* A reference, not a copy: the keys can be most of the text. */
		if (t->mismatched_keys != NULL)
			cJSON_AddItemReferenceToObject(e, "mismatched_keys",
			    t->mismatched_keys);
		else
			cJSON_AddItemToObject(e, "mismatched_keys",
			    cJSON_CreateArray());
		if (t->keys_truncated)
			cJSON_AddTrueToObject(e, "keys_truncated");
	}
	if (t->partitions >= 0)
		cJSON_AddNumberToObject(e, "partitions", (double)t->partitions);
	cJSON_AddStringToObject(e, "status", check_status_name(t->status));
	if (t->coverage == COVERAGE_EXCLUDED)
		cJSON_AddStringToObject(e, "coverage", "excluded");
	else if (t->coverage == COVERAGE_NOT_REPLICATED)
		cJSON_AddStringToObject(e, "coverage", "not_replicated");
	if (t->detail != NULL)
		cJSON_AddStringToObject(e, "detail", t->detail);
	return e;
}

/* A string member, left out when there is none (as cJSON does). */
static void
add_str(cJSON *o, const char *k, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, k, s);
}


static void
schema_json(cJSON *c, const struct schema_result *r)
{
	cJSON *arr, *e;
	size_t i;

	arr = cJSON_AddArrayToObject(c, "differences");
	for (i = 0; r != NULL && i < r->nitems; i++) {
		const struct schema_item *it = &r->items[i];

		e = cJSON_CreateObject();
		add_str(e, "kind", schema_kind_name(it->kind));
		add_str(e, "object", it->object);
		json_add_string(e, "table", it->table);
		add_str(e, "problem", schema_problem_name(it->problem));
		json_add_string(e, "attribute", it->attribute);
		json_add_string(e, "source", it->source);
		json_add_string(e, "target", it->target);
		add_str(e, "status", check_status_name(it->status));
		add_str(e, "detail", it->detail);
		cJSON_AddItemToArray(arr, e);
	}
	arr = cJSON_AddArrayToObject(c, "not_carried");
	for (i = 0; r != NULL && i < r->nuncarried; i++) {
		const struct schema_uncarried *u = &r->uncarried[i];

		e = cJSON_CreateObject();
		add_str(e, "kind", u->what);
		add_str(e, "object", u->object);
		if (u->count >= 0)
			cJSON_AddNumberToObject(e, "count", (double)u->count);
		json_add_count(e, "bytes", u->bytes);
		add_str(e, "status", check_status_name(u->status));
		add_str(e, "detail", u->detail);
		cJSON_AddItemToArray(arr, e);
	}
}

/* What check c says beyond the members every check has, in the order of
 * INTERFACE.md. */
static void
check_members_json(cJSON *c, enum check_id id, const struct check_result *r)
{
	cJSON *arr, *e;
	size_t n;

	switch (id) {
	case CHK_REPLICATION_STATUS:
		if (r->wal_retained_bytes >= 0)
			cJSON_AddNumberToObject(c, "wal_retained_bytes",
			    (double)r->wal_retained_bytes);
		break;
	case CHK_REPLICATION_LAG:
		if (r->lag_given)
			json_add_number(c, "value_seconds", r->value_seconds);
		if (r->lag_measured) {
			cJSON_AddNumberToObject(c, "threshold_seconds",
			    r->threshold_seconds);
			json_add_number(c, "end_to_end_seconds",
			    r->end_to_end_seconds);
			json_add_number(c, "provider_seconds", r->provider_seconds);
		}
		break;
	case CHK_ROW_COUNTS:
	case CHK_CHECKSUMS:
		if (r->listed) {
			arr = cJSON_AddArrayToObject(c, "tables");
			for (n = 0; n < r->ntables; n++)
				cJSON_AddItemToArray(arr,
				    table_result_json(&r->tables[n], id));
		}
		add_str(c, "method", r->method);
		if (!isnan(r->sample_percent))
			cJSON_AddNumberToObject(c, "sample_percent",
			    r->sample_percent);
		break;
	case CHK_PRIMARY_KEYS:
		if (!r->listed)
			break;
		arr = cJSON_AddArrayToObject(c, "tables_without_pk");
		for (n = 0; n < r->ntables; n++) {
			e = cJSON_CreateObject();
			add_str(e, "table", r->tables[n].table);
			add_str(e, "replica_identity",
			    r->tables[n].replica_identity);
			cJSON_AddItemToArray(arr, e);
		}
		break;
	case CHK_SEQUENCES:
		if (!r->listed)
			break;
		arr = cJSON_AddArrayToObject(c, "sequences");
		for (n = 0; n < r->nsequences; n++) {
			const struct sequence_result *q = &r->sequences[n];

			e = cJSON_CreateObject();
			add_str(e, "sequence", q->sequence);
			/* A sequence's value may be negative: null by flag. */
			json_add_number(e, "source", q->has_source ?
			    (double)q->source : NAN);
			json_add_number(e, "target", q->has_target ?
			    (double)q->target : NAN);
			add_str(e, "status", check_status_name(q->status));
			add_str(e, "detail", q->detail);
			cJSON_AddItemToArray(arr, e);
		}
		break;
	case CHK_SCHEMA:
		if (r->listed)
			schema_json(c, r->schema);
		break;
	default:
		break;
	}
}

cJSON *
validation_json(const struct validation *v)
{
	cJSON *o = cJSON_CreateObject(), *checks, *c;
	char ts[40];
	enum check_id i;

	cJSON_AddStringToObject(o, "mode", v->opts.full ? "full" : "quick");
	time_rfc3339(v->started_at, ts, sizeof ts);
	cJSON_AddStringToObject(o, "started_at", ts);
	time_rfc3339(v->finished_at, ts, sizeof ts);
	cJSON_AddStringToObject(o, "finished_at", ts);
	cJSON_AddStringToObject(o, "environment", v->cfg->environment);
	cJSON_AddBoolToObject(o, "passed", validation_passed(v));
	checks = cJSON_AddArrayToObject(o, "checks");
	for (i = 0; i < CHK_COUNT; i++) {
		const struct check_result *r = &v->res[i];

		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", check_name(i));
		cJSON_AddStringToObject(c, "status", check_status_name(r->status));
		if (r->detail != NULL)
			cJSON_AddStringToObject(c, "detail", r->detail);
		cJSON_AddNumberToObject(c, "compared", (double)r->compared);
		cJSON_AddNumberToObject(c, "excluded", (double)r->excluded);
		cJSON_AddNumberToObject(c, "not_replicated",
		    (double)r->not_replicated);
		check_members_json(c, i, r);
		cJSON_AddItemToArray(checks, c);
	}
	return o;
}

bool
validation_passed(const struct validation *v)
{
	enum check_id c;

	for (c = 0; c < CHK_COUNT; c++)
		if (v->res[c].status == CHECK_FAIL ||
		    v->res[c].status == CHECK_ERROR)
			return false;
	return true;
}

int
validation_exit_code(const struct validation *v)
{
	enum check_id c;
	int rc = EXIT_OK;

	if (v->usage_error != NULL)
		return EXIT_USAGE;
	for (c = 0; c < CHK_COUNT; c++) {
		if (v->res[c].status == CHECK_ERROR)
			return EXIT_RUNTIME;
		if (v->res[c].status == CHECK_FAIL)
			rc = EXIT_CHECK;
	}
	return rc;
}

const char *
validation_usage_error(const struct validation *v)
{
	return v->usage_error;
}

enum check_status
validation_check_status(const struct validation *v, enum check_id c)
{
	return v->res[c].status;
}

const char *
validation_check_detail(const struct validation *v, enum check_id c)
{
	return v->res[c].detail;
}

const struct check_result *
validation_result(const struct validation *v, enum check_id c)
{
	return &v->res[c];
}

/* {"<check>": "<status>", ...}: the checks of a `check` event. */
static cJSON *
validation_statuses_json(const struct validation *v)
{
	cJSON *o = cJSON_CreateObject();
	enum check_id c;

	for (c = 0; c < CHK_COUNT; c++)
		cJSON_AddStringToObject(o, check_name(c),
		    check_status_name(v->res[c].status));
	return o;
}

const char *
validation_mode(const struct validation *v)
{
	return v->opts.full ? "full" : "quick";
}

cJSON *
validation_event_data(const struct validation *v, const char *file)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mode", validation_mode(v));
	cJSON_AddBoolToObject(o, "passed", validation_passed(v));
	if (file != NULL)
		cJSON_AddStringToObject(o, "file", file);
	cJSON_AddItemToObject(o, "checks", validation_statuses_json(v));
	return o;
}

int
validation_save(const struct validation *v, const char *state_dir,
    const char *path, char **saved, struct err *e)
{
	cJSON *o = validation_json(v);
	char *text = cJSON_Print(o), *dir, *file, ts[40], *p;
	size_t len = strlen(text);
	int rc = 0;

	cJSON_Delete(o);
	/* The newline takes the terminator's place (the buffer holds
	 * len + 1 bytes): no second copy of a text that can be megabytes. */
	text[len++] = '\n';
	*saved = NULL;
	dir = xasprintf("%s/validation", state_dir);
	if (dir_ensure_private(state_dir, e) != 0 || dir_ensure_private(dir, e) != 0) {
		rc = -1;
	} else {
		time_rfc3339(v->started_at, ts, sizeof ts);
		for (p = ts; *p != '\0'; p++)
			if (*p == ':')
				*p = '-';
		file = xasprintf("%s/%s-%s.json", dir, ts, v->opts.full ? "full" :
		    "quick");
		if (file_write_atomic(file, text, len, 0600, e) != 0) {
			rc = -1;
			free(file);
		} else {
			*saved = file;
		}
	}
	if (rc == 0 && path != NULL && strcmp(path, "-") != 0 &&
	    file_write_atomic(path, text, len, 0644, e) != 0)
		rc = -1;
	if (rc == 0 && path != NULL && strcmp(path, "-") == 0)
		fwrite(text, 1, len, stdout);
	free(dir);
	cJSON_free(text);
	return rc;
}
