/* step-matviews.c - sync_wait's materialized views: replication carries
 * their tables, never their contents, so before the fence (never inside
 * the write pause) each view the source holds data in is refreshed on the
 * target when it is unpopulated there or its rows differ from the
 * source's. Idempotent: a view that is populated and matches is only
 * looked at (a `check` in the log). */
#include "config.h"

#include <stdlib.h>

#include "orch-internal.h"

/* The source's populated views; the cutover schema is ours. */
static const char matviews_sql[] =
    "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'm' AND c.relispopulated"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    " ORDER BY 1";

/* A view's rows in any order: their number and the sum of their hashes. */
#define MV_HASH "count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text"

/* The source's materialized views, and the one looked at. */
struct mv_walk {
	PGresult *views;
	int k;
};

static void
mv_cancel(void *data)
{
	struct mv_walk *w = data;

	PQclear(w->views);
}

static const struct step_data_def mv_data = {
	sizeof (struct mv_walk), mv_cancel, NULL
};

static int
mv_list(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, o->src, matviews_sql, 0, NULL);
}

static int
mv_keep(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);

	if (w->views != NULL)
		PQclear(w->views);
	w->views = flow_keep(f);
	(void)prev;
	w->k = 0;
	return FLOW_NEXT;
}

/* View k on the target: missing (no row), unpopulated, or populated. */
static int
mv_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);
	const char *params[1];

	(void)prev;
	if (w->k >= PQntuples(w->views))
		return FLOW_DONE;
	params[0] = pgr_value(w->views, w->k, 0);
	return flow_query(f, o->dst, "SELECT c.relispopulated FROM pg_class c"
	    " WHERE c.oid = to_regclass($1) AND c.relkind = 'm'", 1, params);
}

static int
mv_refresh(struct flow *f, const char *name)
{
	struct orch *o = f->ctx;
	char *sql = xasprintf("REFRESH MATERIALIZED VIEW %s", name);
	int rc;

	rc = orch_act_sql(f, o->dst, "refresh materialized views on the "
	    "target", sql);
	free(sql);
	return rc;
}

static int
mv_decide(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);
	const char *name = pgr_value(w->views, w->k, 0);
	char *sql;
	int rc;

	if (PQntuples(prev) == 0) {
		/* Missing on the target: the schema check names it. */
		f->pc += 2;
		return FLOW_NEXT;
	}
	if (!pgr_bool(prev, 0, 0)) {
		f->pc += 2;	/* after the refresh: mv_next */
		return mv_refresh(f, name);
	}
	sql = xasprintf("SELECT " MV_HASH " FROM %s AS t", name);
	rc = flow_query(f, o->src, sql, 0, NULL);
	free(sql);
	return rc;
}

/* prev: the source's count and hash; the target compares its own. */
static int
mv_compare(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);
	const char *params[2] = { pgr_value(prev, 0, 0), pgr_value(prev, 0, 1) };
	char *sql = xasprintf("SELECT count(*) = $1::bigint AND coalesce(sum("
	    "hashtextextended(t::text, 0)), 0)::text = $2 FROM %s AS t",
	    pgr_value(w->views, w->k, 0));
	int rc;

	rc = flow_query(f, o->dst, sql, 2, params);
	free(sql);
	return rc;
}

static int
mv_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);
	const char *name = pgr_value(w->views, w->k, 0);
	char *what;

	if (!pgr_bool(prev, 0, 0))
		return mv_refresh(f, name);
	what = xasprintf("materialized view %s is populated on the target and "
	    "matches the source", name);
	if (orch_already(f, what) != 0) {
		free(what);
		return FLOW_FAIL;
	}
	free(what);
	return FLOW_NEXT;
}

static int
mv_next(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct mv_walk *w = orch_step_data(o);

	(void)prev;
	w->k++;
	return flow_back(f, 4, 0);	/* to mv_look */
}

static void
mv_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "target: REFRESH MATERIALIZED VIEW for each view populated "
	    "on the source that is unpopulated on the target or whose rows "
	    "differ from the source's (count and hash of its rows on both "
	    "sides); before the fence\n");
}

static const flow_step mv_flow[] = { mv_list, mv_keep, mv_look, mv_decide,
	mv_compare, mv_act, mv_next, NULL };
const struct step step_matviews = { "matviews.refresh", NULL, mv_describe,
	mv_flow, SIDE_TARGET, false, &mv_data };
