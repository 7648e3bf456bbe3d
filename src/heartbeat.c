/* heartbeat.c - the cutover schema, the heartbeat writer and reader, and
 * the sentinels; see heartbeat.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "heartbeat.h"

/* Idempotent DDL, run on both sides. The heartbeat's row is only inserted
 * on the source; replication brings it to the target. */
static const char *const ddl_both[] = {
	"CREATE SCHEMA IF NOT EXISTS cutover",
	("CREATE TABLE IF NOT EXISTS cutover.heartbeat ("
	" id integer PRIMARY KEY CHECK (id = 1),"
	" beat_ms bigint NOT NULL,"
	" ts timestamptz NOT NULL,"
	" driver text NOT NULL DEFAULT '')"),
	("CREATE TABLE IF NOT EXISTS cutover.sentinel ("
	" id text PRIMARY KEY,"
	" run_id text NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now(),"
	" note text)"),
	/* seq and prev_ms: the reader finds the beat after the one the
	 * applying side has, and how long it has waited there. */
	"ALTER TABLE cutover.heartbeat ADD COLUMN IF NOT EXISTS seq bigint NOT NULL DEFAULT 0",
	"ALTER TABLE cutover.heartbeat ADD COLUMN IF NOT EXISTS prev_ms bigint NOT NULL DEFAULT 0",
	("COMMENT ON SCHEMA cutover IS 'cutover: heartbeat and sentinel tables;"
	" drop after the migration (see cutover(1))'"),
};
static const char ddl_source_row[] =
    "INSERT INTO cutover.heartbeat (id, beat_ms, ts) VALUES (1, 0, now())"
    " ON CONFLICT (id) DO NOTHING";

/* `setup` is a flow (flow.h): each statement is logged, issued, and its
 * outcome logged by the step after it. */
struct setup {
	const struct config *cfg;
	struct eventlog *log;
	bool dry_run;
	FILE *out;
	struct pg *src, *dst;
	size_t i;                  /* the statement of a list being run */
	bool ddl_on_source;        /* ddl_both: the target's done */
	const char *what;          /* the statement in flight, for its log */
	struct pg *on;             /* ... and its side */
	bool skip;                 /* no publication/subscription to check */
	bool published;            /* FOR ALL TABLES */
	PGresult *populated;       /* matviews populated on the source */
	char **refresh;            /* matviews to populate on the target */
	size_t nrefresh;
};

/* Logs, then issues (or prints) one statement. */
static int
statement(struct flow *f, struct pg *c, const char *what, const char *sql)
{
	struct setup *s = f->ctx;
	cJSON *data;

	if (s->dry_run) {
		fprintf(s->out, "-- %s: %s\n%s;\n", pg_label(c), what, sql);
		return FLOW_NEXT;
	}
	if (s->log != NULL) {
		data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "side", pg_label(c));
		cJSON_AddStringToObject(data, "sql", sql);
		if (eventlog_append(s->log, "action", NULL, data, &f->e,
		    "setup: %s on the %s", what, pg_label(c)) < 0)
			return FLOW_FAIL;
	}
	s->what = what;
	s->on = c;
	return flow_query(f, c, sql, 0, NULL);
}

/* After statement(): logs that it is done (nothing when none ran). */
static int
statement_done(struct flow *f)
{
	struct setup *s = f->ctx;
	const char *what = s->what;

	if (what == NULL)
		return 0;
	s->what = NULL;
	if (s->log != NULL &&
	    eventlog_append(s->log, "action.done", NULL, NULL, &f->e,
	    "setup: %s on the %s: done", what, pg_label(s->on)) < 0)
		return -1;
	return 0;
}

static bool
first_bool(const PGresult *res)
{
	return res != NULL && PQntuples(res) > 0 && pgr_bool(res, 0, 0);
}

/* The target first: a change replicated for a table the target does not
 * have yet stops the apply worker with an error. */
static int
ddl(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;

	(void)prev;
	return statement(f, s->ddl_on_source ? s->src : s->dst,
	    "create the cutover schema", ddl_both[s->i]);
}

/* The next statement of ddl_both, on the target then on the source. */
static int
ddl_done(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;

	(void)prev;
	if (statement_done(f) < 0)
		return FLOW_FAIL;
	if (++s->i < ARRAY_SIZE(ddl_both))
		return flow_back(f, 1, 0);
	s->i = 0;
	if (s->ddl_on_source)
		return FLOW_NEXT;
	s->ddl_on_source = true;
	return flow_back(f, 1, 0);
}

static int
source_row(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;

	(void)prev;
	return statement(f, s->src, "create the heartbeat row", ddl_source_row);
}

static int
logged_done(struct flow *f, PGresult *prev)
{
	(void)prev;
	return statement_done(f) < 0 ? FLOW_FAIL : FLOW_NEXT;
}

/* The postgres provider: the cutover tables must be published and
 * subscribed, or the heartbeat never reaches the target. */
static int
publication_exists(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *pub[] = { s->cfg->publication };

	(void)prev;
	if (s->cfg->provider != PROVIDER_POSTGRES) {
		if (s->out != NULL)
			fprintf(s->out, "cutover: the DMS task's table mappings "
			    "must include the schema \"cutover\" (the Terraform dms "
			    "module's do); reload the task's tables if the schema "
			    "was created after the task started\n");
		s->skip = true;
		return FLOW_NEXT;
	}
	if (s->dry_run) {
		fprintf(s->out, "-- source: publish cutover.heartbeat and "
		    "cutover.sentinel in %s unless it is FOR ALL TABLES\n"
		    "-- target: ALTER SUBSCRIPTION %s REFRESH PUBLICATION "
		    "unless they are subscribed already\n",
		    s->cfg->publication, s->cfg->subscription);
		s->skip = true;
		return FLOW_NEXT;
	}
	return flow_query(f, s->src,
	    "SELECT true FROM pg_publication WHERE pubname = $1", 1, pub);
}

static int
publication_all(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *pub[] = { s->cfg->publication };

	if (s->skip)
		return FLOW_NEXT;
	if (!first_bool(prev))
		return flow_fail(f, EXIT_CHECK, "publication %s does not exist on "
		    "the source ([replication] publication)", s->cfg->publication);
	return flow_query(f, s->src,
	    "SELECT puballtables FROM pg_publication WHERE pubname = $1", 1, pub);
}

static int
publication_tables(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *pub[] = { s->cfg->publication };

	if (s->skip)
		return FLOW_NEXT;
	if (first_bool(prev)) {
		s->published = true;
		return FLOW_NEXT;
	}
	return flow_query(f, s->src, "SELECT count(*) = 2 FROM pg_publication_tables"
	    " WHERE pubname = $1 AND schemaname = 'cutover'"
	    " AND tablename IN ('heartbeat', 'sentinel')", 1, pub);
}

static int
publish(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	char *q, *sql;
	int rc;

	if (s->skip || s->published || first_bool(prev))
		return FLOW_NEXT;
	q = pg_quote_ident(s->src, s->cfg->publication);
	sql = xasprintf("ALTER PUBLICATION %s ADD TABLE"
	    " cutover.heartbeat, cutover.sentinel", q);
	free(q);
	rc = statement(f, s->src, "publish the cutover tables", sql);
	free(sql);
	return rc;
}

static int
subscription_exists(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *sub[] = { s->cfg->subscription };

	(void)prev;
	if (s->skip)
		return FLOW_NEXT;
	return flow_query(f, s->dst,
	    "SELECT true FROM pg_subscription WHERE subname = $1", 1, sub);
}

static int
subscription_tables(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *sub[] = { s->cfg->subscription };

	if (s->skip)
		return FLOW_NEXT;
	if (!first_bool(prev))
		return flow_fail(f, EXIT_CHECK, "subscription %s does not exist on "
		    "the target ([replication] subscription)",
		    s->cfg->subscription);
	return flow_query(f, s->dst, "SELECT count(*) = 2 FROM pg_subscription_rel r"
	    " JOIN pg_subscription s ON s.oid = r.srsubid"
	    " JOIN pg_class c ON c.oid = r.srrelid"
	    " JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE s.subname = $1 AND n.nspname = 'cutover'"
	    " AND c.relname IN ('heartbeat', 'sentinel')", 1, sub);
}

static int
subscribe(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	char *q, *sql;
	int rc;

	if (s->skip || first_bool(prev))
		return FLOW_NEXT;
	q = pg_quote_ident(s->dst, s->cfg->subscription);
	sql = xasprintf("ALTER SUBSCRIPTION %s REFRESH PUBLICATION", q);
	free(q);
	rc = statement(f, s->dst, "subscribe to the cutover tables", sql);
	free(sql);
	return rc;
}

/* Materialized views the target holds without data (pg_dump
 * --schema-only creates them WITH NO DATA) fail the application's first
 * SELECT and the schema check: populate those the source has populated.
 * sync_wait refreshes them again before the fence. */
static const char matviews_sql[] =
    "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'm' AND c.relispopulated = $1"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    " ORDER BY 1";

static int
matviews_populated(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *yes[] = { "true" };

	(void)prev;
	if (s->dry_run) {
		fprintf(s->out, "-- target: REFRESH MATERIALIZED VIEW for each "
		    "view populated on the source but not on the target\n");
		return FLOW_DONE;
	}
	return flow_query(f, s->src, matviews_sql, 1, yes);
}

static int
matviews_empty(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	const char *no[] = { "false" };

	(void)prev;
	s->populated = flow_keep(f);
	return flow_query(f, s->dst, matviews_sql, 1, no);
}

static int
matviews_pick(struct flow *f, PGresult *empty)
{
	struct setup *s = f->ctx;
	int i, j;

	for (i = 0; i < PQntuples(empty); i++)
		for (j = 0; j < PQntuples(s->populated); j++)
			if (strcmp(pgr_value(empty, i, 0), pgr_value(s->populated, j,
			    0)) == 0) {
				s->refresh = xreallocarray(s->refresh, s->nrefresh + 1,
				    sizeof *s->refresh);
				s->refresh[s->nrefresh++] = xstrdup(pgr_value(empty,
				    i, 0));
			}
	s->i = 0;
	return FLOW_NEXT;
}

static int
matview_refresh(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;
	char *sql;
	int rc;

	(void)prev;
	if (s->i >= s->nrefresh)
		return FLOW_DONE;
	sql = xasprintf("REFRESH MATERIALIZED VIEW %s", s->refresh[s->i]);
	rc = statement(f, s->dst, "populate a materialized view", sql);
	free(sql);
	return rc;
}

static int
matview_refreshed(struct flow *f, PGresult *prev)
{
	struct setup *s = f->ctx;

	(void)prev;
	if (statement_done(f) < 0)
		return FLOW_FAIL;
	s->i++;
	return flow_back(f, 1, 0);
}

static const flow_step setup_steps[] = {
	ddl, ddl_done,
	source_row, logged_done,
	publication_exists, publication_all, publication_tables,
	publish, logged_done,
	subscription_exists, subscription_tables,
	subscribe, logged_done,
	matviews_populated, matviews_empty, matviews_pick,
	matview_refresh, matview_refreshed,
	NULL
};

int
heartbeat_setup(struct loop *loop, const struct config *cfg,
    struct eventlog *log, bool dry_run, FILE *out, struct err *e)
{
	struct pg_opts so = { cfg->source_conninfo, "source", 60000, 0, 0,
	    false, true };
	struct pg_opts to = { cfg->target_conninfo, "target", 60000, 0, 0,
	    false, true };
	struct setup s;
	size_t i;
	int rc;

	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.log = log;
	s.dry_run = dry_run;
	s.out = out;
	s.src = pg_new(loop, &so);
	s.dst = pg_new(loop, &to);
	rc = flow_run(loop, setup_steps, &s, e);
	if (rc != 0 && s.what != NULL && s.log != NULL)
		eventlog_append(s.log, "action.failed", NULL, NULL, NULL,
		    "setup: %s on the %s failed: %s", s.what, pg_label(s.on),
		    e->msg);
	if (s.populated != NULL)
		PQclear(s.populated);
	for (i = 0; i < s.nrefresh; i++)
		free(s.refresh[i]);
	free(s.refresh);
	pg_free(s.src);
	pg_free(s.dst);
	return rc;
}

struct heartbeat {
	struct loop *loop;
	struct pg *side;
	struct pg *own;            /* heartbeat_start_conn's connection */
	int interval_ms;
	struct loop_timer *timer;
	bool in_flight;
	int64_t last_written;
	char *error;
};

static void beat(struct loop_timer *t, void *arg);

/* A column a reader or writer names is missing: the schema predates it. */
static char *
schema_error(const char *error)
{
	if (error != NULL && strstr(error, "column") != NULL &&
	    strstr(error, "does not exist") != NULL)
		return xasprintf("%s (the cutover schema is older than this "
		    "cutover: run `cutover setup`)", error);
	return xstrdup(error);
}

static void
beat_done(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct heartbeat *hb = arg;

	hb->in_flight = false;
	free(hb->error);
	hb->error = NULL;
	if (res == NULL)
		hb->error = schema_error(error);
	else if (PQntuples(res) == 1)
		hb->last_written = pgr_int64(res, 0, 0, 0);
	else
		hb->error = xasprintf("%s: the heartbeat row is missing; run "
		    "`cutover setup`", pg_label(c));
}

static void
beat(struct loop_timer *t, void *arg)
{
	struct heartbeat *hb = arg;
	const char *params[1] = { actor() };

	(void)t;
	hb->timer = loop_timer_add(hb->loop, hb->interval_ms, beat, hb);
	if (hb->in_flight)
		return;		/* the last one has not come back: no pile-up */
	hb->in_flight = true;
	pg_query(hb->side, HEARTBEAT_WRITE_SQL, 1, params, beat_done, hb);
}

struct heartbeat *
heartbeat_start(struct loop *loop, struct pg *side, int interval_ms)
{
	struct heartbeat *hb = xcalloc(1, sizeof *hb);

	hb->loop = loop;
	hb->side = side;
	hb->interval_ms = interval_ms;
	hb->timer = loop_timer_add(loop, 0, beat, hb);
	return hb;
}

struct heartbeat *
heartbeat_start_conn(struct loop *loop, const char *conninfo,
    const char *label, int interval_ms)
{
	struct pg_opts po;
	struct heartbeat *hb;

	memset(&po, 0, sizeof po);
	po.conninfo = conninfo;
	po.label = label;
	po.statement_timeout_ms = 5000;
	hb = heartbeat_start(loop, pg_new(loop, &po), interval_ms);
	hb->own = hb->side;
	return hb;
}

void
heartbeat_move(struct heartbeat *hb, struct pg *side)
{
	if (hb->side == side)
		return;
	pg_forget(hb->side, hb);
	hb->in_flight = false;
	hb->side = side;
	free(hb->error);
	hb->error = NULL;
}

void
heartbeat_stop(struct heartbeat *hb)
{
	if (hb == NULL)
		return;
	if (hb->timer != NULL)
		loop_timer_cancel(hb->timer);
	pg_forget(hb->side, hb);
	pg_free(hb->own);
	free(hb->error);
	free(hb);
}

const char *
heartbeat_error(const struct heartbeat *hb)
{
	return hb->error;
}

/* The lag from one look at both sides; every time is the writing
 * server's clock (the applier's beat was written there too). */
void
heartbeat_lag(struct heartbeat_reading *r)
{
	int64_t next;

	r->lag_seconds = NAN;
	r->writer_active = r->writer_beat_ms > 0 &&
	    r->writer_now_ms - r->writer_beat_ms < HEARTBEAT_STALE_MS;
	if (r->applied_beat_ms <= 0 || r->writer_beat_ms <= 0)
		return;		/* nothing was replicated yet */
	if (r->applied_seq >= r->writer_seq) {
		/* Everything up to the newest beat is applied. Only a writer
		 * that still writes makes that a lag of 0: else nothing says
		 * what was written since. */
		if (r->writer_active)
			r->lag_seconds = 0;
		return;
	}
	/* The applier waits for the beat after its own: the newest when it
	 * is one behind; else, further back, the one an interval after its
	 * own (no later than the one before the newest). */
	if (r->applied_seq + 1 >= r->writer_seq)
		next = r->writer_beat_ms;
	else {
		next = r->applied_beat_ms + (r->writer_beat_ms - r->writer_prev_ms);
		if (next > r->writer_prev_ms)
			next = r->writer_prev_ms;
		if (next < r->applied_beat_ms)
			next = r->applied_beat_ms;
	}
	r->lag_seconds = (double)(r->writer_now_ms - next) / 1000.0;
	if (r->lag_seconds < 0)
		r->lag_seconds = 0;
}

struct reading {
	heartbeat_read_fn fn;
	void *arg;
};

static void
reading_done(struct pg_batch *b, void *arg)
{
	struct reading *rd = arg;
	struct heartbeat_reading r;
	const char *err = pg_batch_error(b);
	const PGresult *w, *a;

	memset(&r, 0, sizeof r);
	r.lag_seconds = NAN;
	if (err != NULL) {
		r.error = schema_error(err);
	} else if (PQntuples(w = pg_batch_result(b, 0)) != 1 ||
	    PQntuples(a = pg_batch_result(b, 1)) != 1) {
		r.error = xstrdup("the heartbeat row is missing; run `cutover setup`");
	} else {
		r.writer_beat_ms = pgr_int64(w, 0, 0, 0);
		r.writer_prev_ms = pgr_int64(w, 0, 1, 0);
		r.writer_seq = pgr_int64(w, 0, 2, 0);
		r.writer_now_ms = pgr_int64(w, 0, 3, 0);
		r.applied_beat_ms = pgr_int64(a, 0, 0, 0);
		r.applied_seq = pgr_int64(a, 0, 1, 0);
		heartbeat_lag(&r);
	}
	rd->fn(&r, rd->arg);
	free(r.error);
	pg_batch_free(b);
	free(rd);
}

void
heartbeat_read(struct pg *writer, struct pg *applier, heartbeat_read_fn fn,
    void *arg)
{
	static const char wsql[] =
	    "SELECT beat_ms, prev_ms, seq, " HEARTBEAT_NOW_MS
	    " FROM cutover.heartbeat WHERE id = 1";
	static const char asql[] =
	    "SELECT beat_ms, seq FROM cutover.heartbeat WHERE id = 1";
	struct reading *rd = xcalloc(1, sizeof *rd);
	struct pg_batch *b;

	rd->fn = fn;
	rd->arg = arg;
	b = pg_batch_new(reading_done, rd);
	pg_batch_add(b, writer, wsql, 0, NULL);
	pg_batch_add(b, applier, asql, 0, NULL);
	pg_batch_seal(b);
}
