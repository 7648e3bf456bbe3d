/* provider-postgres.c - native logical replication as a provider: a
 * publication on the source, a subscription on the target, and for
 * rollback a reverse publication on the target and subscription on the
 * source. Status from pg_subscription, pg_stat_subscription and
 * pg_subscription_rel on the target, slot health from
 * pg_replication_slots on the source. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "provider.h"

#define WORKER_WAIT_MS 30000

struct pgprov {
	struct provider *p;
	struct pg *src;
	struct pg *dst;
};

/* One operation in flight: the flow's context. */
struct op {
	struct pgprov *pp;
	provider_done_fn done;
	void *arg;
	char *slot;                /* the forward slot name, when learnt */
	char *tables;              /* FOR TABLE list for the reverse publication */
};

static struct pgprov *
impl(struct provider *p)
{
	return p->impl;
}

static void
op_done(struct flow *f, int rc, const struct err *e, void *arg)
{
	struct op *op = arg;

	(void)f;
	op->done(op->pp->p, rc, e, op->arg);
	free(op->slot);
	free(op->tables);
	free(op);
}

static void
op_start(struct provider *p, const flow_step *steps, provider_done_fn done,
    void *arg)
{
	struct op *op = xcalloc(1, sizeof *op);

	op->pp = impl(p);
	op->done = done;
	op->arg = arg;
	flow_start(p->loop, steps, op, op_done, op);
}

/* A provider flow's context is its operation; the config it reads. */
static struct op *
op_of(const struct flow *f)
{
	return f->ctx;
}

static const struct config *
cfg_of(const struct flow *f)
{
	return op_of(f)->pp->p->cfg;
}

/* ---------------------------------------------------------------- refresh */

static const char sub_sql[] =
    "SELECT s.subenabled, s.subslotname, w.pid,"
    "  coalesce(ss.apply_error_count, 0), coalesce(ss.sync_error_count, 0),"
    "  (SELECT count(*) FROM pg_stat_subscription x"
    "    WHERE x.subid = s.oid AND x.relid IS NOT NULL)"
    " FROM pg_subscription s"
    " LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL"
    " LEFT JOIN pg_stat_subscription_stats ss ON ss.subid = s.oid"
    " WHERE s.subname = $1";
static const char rel_sql[] =
    "SELECT n.nspname, c.relname, r.srsubstate::text,"
    "  t.n_tup_ins, t.n_tup_upd, t.n_tup_del, t.n_live_tup"
    " FROM pg_subscription_rel r"
    " JOIN pg_subscription s ON s.oid = r.srsubid"
    " JOIN pg_class c ON c.oid = r.srrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_stat_user_tables t ON t.relid = c.oid"
    " WHERE s.subname = $1 ORDER BY 1, 2";
/* The states' counts alone, when the tables themselves are not wanted. */
static const char rel_count_sql[] =
    "SELECT NULL::name, NULL::name, r.srsubstate::text, NULL::bigint,"
    "  NULL::bigint, NULL::bigint, NULL::bigint"
    " FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
    " WHERE s.subname = $1";
static const char slot_sql[] =
    "SELECT s.slot_name, s.active, s.confirmed_flush_lsn::text,"
    "  pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint,"
    "  s.wal_status,"
    "  extract(epoch FROM r.write_lag), extract(epoch FROM r.replay_lag),"
    "  pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint"
    " FROM pg_replication_slots s"
    " LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid"
    " WHERE s.slot_type = 'logical'";

struct refresh {
	struct provider *p;
	provider_done_fn done;
	void *arg;
};

static const char *
table_state_name(char st)
{
	switch (st) {
	case 'i':
		return "initializing";
	case 'd':
		return "copying data";
	case 'f':
		return "copy finished";
	case 's':
		return "synchronized";
	case 'r':
		return "replicating";
	default:
		return "unknown";
	}
}

static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = v != NULL ? xstrdup(v) : NULL;
}

static void
fill_tables(struct provider *p, const PGresult *rel)
{
	struct repl_status *st = &p->status;
	int i, loaded = 0, loading = 0, queued = 0;

	if (p->want_tables)
		table_list_clear(&p->tables);
	for (i = 0; i < PQntuples(rel); i++) {
		char s = pgr_value(rel, i, 2) != NULL ? pgr_value(rel, i, 2)[0] : '?';

		if (p->want_tables) {
			struct table_stat *t = table_list_get(&p->tables,
			    pgr_value(rel, i, 0), pgr_value(rel, i, 1));

			set_str(&t->state, table_state_name(s));
			t->inserts = pgr_int64(rel, i, 3, -1);
			t->updates = pgr_int64(rel, i, 4, -1);
			t->deletes = pgr_int64(rel, i, 5, -1);
			t->target_rows = pgr_int64(rel, i, 6, -1);
		}
		if (s == 'r' || s == 's')
			loaded++;
		else if (s == 'd' || s == 'f')
			loading++;
		else
			queued++;
	}
	st->tables_loaded = loaded;
	st->tables_loading = loading;
	st->tables_queued = queued;
	st->tables_errored = 0;
	st->full_load_percent = PQntuples(rel) > 0 ?
	    100.0 * loaded / PQntuples(rel) : NAN;
}

static void
fill_slot(struct repl_status *st, const PGresult *slots, const char *name)
{
	int i;

	for (i = 0; i < PQntuples(slots); i++) {
		if (name == NULL || strcmp(pgr_value(slots, i, 0), name) != 0)
			continue;
		set_str(&st->slot_name, name);
		st->slot_active = pgr_bool(slots, i, 1);
		set_str(&st->confirmed_flush_lsn, pgr_value(slots, i, 2));
		st->wal_retained_bytes = pgr_int64(slots, i, 3, -1);
		st->lag_source = pgr_double(slots, i, 5, NAN);
		st->lag_target = pgr_double(slots, i, 6, NAN);
		/* The walsender reports no lag when idle: caught up is 0. */
		if (pgr_int64(slots, i, 7, -1) == 0 && st->slot_active) {
			if (isnan(st->lag_source))
				st->lag_source = 0;
			if (isnan(st->lag_target))
				st->lag_target = 0;
		}
		return;
	}
}

/* The reverse replication: its subscription on the source (sub, with
 * sub_sql's columns) and its slot on the target (slots). */
static void
fill_reverse(struct provider *p, const PGresult *sub, const PGresult *slots,
    const char *error)
{
	struct repl_status *st = &p->reverse;
	char buf[256];

	repl_status_clear(st);
	st->provider = xstrdup("postgres");
	if (error != NULL) {
		st->status = xstrdup("unknown");
		st->error = xstrdup(error);
		return;
	}
	st->updated_at = now_ms();
	if (PQntuples(sub) != 1) {
		st->status = xstrdup("missing");
		snprintf(buf, sizeof buf, "subscription %s does not exist on the "
		    "source", p->cfg->reverse_subscription);
		st->stop_reason = xstrdup(buf);
		return;
	}
	st->status = xstrdup(!pgr_bool(sub, 0, 0) ? "stopped" :
	    pgr_value(sub, 0, 2) != NULL ? "running" : "starting");
	if (!pgr_bool(sub, 0, 0))
		st->stop_reason = xstrdup("reverse subscription disabled");
	if (pgr_int64(sub, 0, 3, 0) > 0 || pgr_int64(sub, 0, 4, 0) > 0) {
		snprintf(buf, sizeof buf, "%lld apply errors so far (see the "
		    "source's server log)", (long long)(pgr_int64(sub, 0, 3, 0) +
		    pgr_int64(sub, 0, 4, 0)));
		st->last_failure = xstrdup(buf);
	}
	fill_slot(st, slots, pgr_value(sub, 0, 1));
}

static void
refresh_done(struct pg_batch *b, void *arg)
{
	struct refresh *r = arg;
	struct provider *p = r->p;
	struct repl_status *st = &p->status;
	const PGresult *sub = pg_batch_result(b, 0);
	const char *error = pg_batch_error_of(b, 0);
	struct err e = { 0, "" };
	char buf[256];
	int rc = 0, i;

	/* The forward part's first error (the reverse part's is its own). */
	for (i = 1; error == NULL && i < 3; i++)
		error = pg_batch_error_of(b, i);
	if (p->want_reverse) {
		const char *rerr = pg_batch_error_of(b, 3);

		fill_reverse(p, pg_batch_result(b, 3), pg_batch_result(b, 4),
		    rerr != NULL ? rerr : pg_batch_error_of(b, 4));
	} else {
		repl_status_clear(&p->reverse);
	}
	repl_status_clear(st);
	st->provider = xstrdup("postgres");
	if (error != NULL) {
		st->status = xstrdup("unknown");
		st->error = xstrdup(error);
		rc = err_set(&e, EXIT_RUNTIME, "%s", error);
	} else if (PQntuples(sub) != 1) {
		st->status = xstrdup("missing");
		snprintf(buf, sizeof buf, "subscription %s does not exist on the target",
		    p->cfg->subscription);
		st->stop_reason = xstrdup(buf);
		st->updated_at = now_ms();
	} else {
		bool enabled = pgr_bool(sub, 0, 0);
		bool worker = pgr_value(sub, 0, 2) != NULL;
		int64_t apply_err = pgr_int64(sub, 0, 3, 0);
		int64_t sync_err = pgr_int64(sub, 0, 4, 0);

		st->status = xstrdup(!enabled ? "stopped" : worker ? "running" :
		    "starting");
		if (!enabled)
			st->stop_reason = xstrdup("subscription disabled");
		if (apply_err > 0 || sync_err > 0) {
			snprintf(buf, sizeof buf, "%lld apply and %lld table sync "
			    "errors so far (see the target's server log)",
			    (long long)apply_err, (long long)sync_err);
			st->last_failure = xstrdup(buf);
		}
		fill_tables(p, pg_batch_result(b, 1));
		fill_slot(st, pg_batch_result(b, 2), pgr_value(sub, 0, 1));
		st->updated_at = now_ms();
	}
	r->done(p, rc, &e, r->arg);
	pg_batch_free(b);
	free(r);
}

static void
pg_refresh(struct provider *p, provider_done_fn done, void *arg)
{
	struct refresh *r = xcalloc(1, sizeof *r);
	const char *sub[] = { p->cfg->subscription };
	const char *rsub[] = { p->cfg->reverse_subscription };
	struct pg_batch *b;

	r->p = p;
	r->done = done;
	r->arg = arg;
	b = pg_batch_new(refresh_done, r);
	pg_batch_add(b, impl(p)->dst, sub_sql, 1, sub);
	pg_batch_add(b, impl(p)->dst, p->want_tables ? rel_sql : rel_count_sql,
	    1, sub);
	pg_batch_add(b, impl(p)->src, slot_sql, 0, NULL);
	if (p->want_reverse) {
		pg_batch_add(b, impl(p)->src, sub_sql, 1, rsub);
		pg_batch_add(b, impl(p)->dst, slot_sql, 0, NULL);
	}
	pg_batch_seal(b);
}

/* ------------------------------------------------------------ stop/start */

static const char worker_sql[] =
    "SELECT s.subenabled, s.subslotname,"
    "  EXISTS (SELECT 1 FROM pg_stat_subscription w"
    "    WHERE w.subid = s.oid AND w.relid IS NULL AND w.pid IS NOT NULL)"
    " FROM pg_subscription s WHERE s.subname = $1";

static int
sub_look(struct flow *f, PGresult *prev)
{
	const char *params[] = { cfg_of(f)->subscription };

	(void)prev;
	return flow_query(f, op_of(f)->pp->dst, worker_sql, 1, params);
}

static int
alter_sub(struct flow *f, struct pg *c, const char *name, const char *verb)
{
	char *q = pg_quote_ident(c, name), *sql;
	int rc;

	sql = xasprintf("ALTER SUBSCRIPTION %s %s", q, verb);
	rc = flow_query_simple(f, c, sql);
	free(q);
	free(sql);
	return rc;
}

static int
stop_disable(struct flow *f, PGresult *prev)
{
	if (PQntuples(prev) != 1)
		return flow_fail(f, EXIT_RUNTIME, "target: subscription %s does "
		    "not exist", cfg_of(f)->subscription);
	if (!pgr_bool(prev, 0, 0))
		return FLOW_NEXT;	/* already disabled */
	return alter_sub(f, op_of(f)->pp->dst, cfg_of(f)->subscription,
	    "DISABLE");
}

/* A disabled subscription's worker notices within about a second; the
 * cutover's write pause should not wait for that, so it is ended. */
static int
stop_worker_end(struct flow *f, PGresult *prev)
{
	const char *params[] = { cfg_of(f)->subscription };

	(void)prev;
	return flow_query(f, op_of(f)->pp->dst,
	    "SELECT count(pg_terminate_backend(w.pid))"
	    " FROM pg_stat_subscription w JOIN pg_subscription s ON s.oid = w.subid"
	    " WHERE s.subname = $1 AND NOT s.subenabled AND w.pid IS NOT NULL",
	    1, params);
}

static int
stop_worker_gone(struct flow *f, PGresult *prev)
{
	if (!pgr_bool(prev, 0, 2))
		return FLOW_DONE;
	if (flow_waited(f) > WORKER_WAIT_MS)
		return flow_fail(f, EXIT_RUNTIME, "target: the apply worker of %s "
		    "is still running %d s after DISABLE", cfg_of(f)->subscription,
		    WORKER_WAIT_MS / 1000);
	return flow_back(f, 1, 10);
}

static const flow_step stop_steps[] = {
	sub_look, stop_disable, stop_worker_end, sub_look, stop_worker_gone, NULL
};

static void
pg_stop(struct provider *p, provider_done_fn done, void *arg)
{
	op_start(p, stop_steps, done, arg);
}

/* After a reverse replication the source's WAL holds the changes it
 * brought back from the target: the forward slot skips past them, or
 * they would be applied to the target a second time. */
static int
start_slot(struct flow *f, PGresult *prev)
{
	struct op *op = op_of(f);
	const char *params[2];

	if (PQntuples(prev) != 1)
		return flow_fail(f, EXIT_RUNTIME, "target: subscription %s does "
		    "not exist", cfg_of(f)->subscription);
	if (pgr_bool(prev, 0, 0) || op->pp->p->resume_from.lsn == NULL ||
	    pgr_value(prev, 0, 1) == NULL)
		return FLOW_NEXT;
	op->slot = xstrdup(pgr_value(prev, 0, 1));
	params[0] = op->slot;
	params[1] = op->pp->p->resume_from.lsn;
	return flow_query(f, op->pp->src,
	    "SELECT pg_replication_slot_advance(slot_name, $2::pg_lsn)"
	    " FROM pg_replication_slots WHERE slot_name = $1"
	    " AND confirmed_flush_lsn < $2::pg_lsn", 2, params);
}

static int
start_enable(struct flow *f, PGresult *prev)
{
	(void)prev;
	return sub_look(f, NULL);
}

static int
start_enable2(struct flow *f, PGresult *prev)
{
	if (pgr_bool(prev, 0, 0))
		return FLOW_NEXT;	/* already enabled */
	return alter_sub(f, op_of(f)->pp->dst, cfg_of(f)->subscription, "ENABLE");
}

static int
start_worker_up(struct flow *f, PGresult *prev)
{
	if (pgr_bool(prev, 0, 2))
		return FLOW_DONE;
	if (flow_waited(f) > WORKER_WAIT_MS)
		return flow_fail(f, EXIT_RUNTIME, "target: the apply worker of %s "
		    "did not start within %d s of ENABLE (see the target's "
		    "server log)", cfg_of(f)->subscription, WORKER_WAIT_MS / 1000);
	return flow_back(f, 1, 20);
}

static const flow_step start_steps[] = {
	sub_look, start_slot, start_enable, start_enable2, sub_look,
	start_worker_up, NULL
};

static void
pg_start(struct provider *p, provider_done_fn done, void *arg)
{
	op_start(p, start_steps, done, arg);
}

/* --------------------------------------------------------------- reverse */

static int
rev_tables(struct flow *f, PGresult *prev)
{
	const char *params[] = { cfg_of(f)->publication };

	(void)prev;
	return flow_query(f, op_of(f)->pp->src,
	    "SELECT schemaname, tablename FROM pg_publication_tables"
	    " WHERE pubname = $1 ORDER BY 1, 2", 1, params);
}

static int
rev_pub_look(struct flow *f, PGresult *prev)
{
	struct op *op = op_of(f);
	const char *params[] = { cfg_of(f)->reverse_publication };
	struct strbuf sb;
	int i;

	if (PQntuples(prev) == 0)
		return flow_fail(f, EXIT_RUNTIME, "source: publication %s holds "
		    "no tables", cfg_of(f)->publication);
	sb_init(&sb);
	for (i = 0; i < PQntuples(prev); i++) {
		char *q = pg_quote_qualified(op->pp->dst, pgr_value(prev, i, 0),
		    pgr_value(prev, i, 1));

		sb_printf(&sb, "%s%s", i ? ", " : "", q);
		free(q);
	}
	op->tables = sb_detach(&sb);
	return flow_query(f, op->pp->dst,
	    "SELECT count(*) FROM pg_publication WHERE pubname = $1", 1, params);
}

static int
rev_pub_create(struct flow *f, PGresult *prev)
{
	struct op *op = op_of(f);
	char *q, *sql;
	int rc;

	if (pgr_int64(prev, 0, 0, 0) > 0)
		return FLOW_NEXT;
	q = pg_quote_ident(op->pp->dst, cfg_of(f)->reverse_publication);
	sql = xasprintf("CREATE PUBLICATION %s FOR TABLE %s", q, op->tables);
	rc = flow_query_simple(f, op->pp->dst, sql);
	free(q);
	free(sql);
	return rc;
}

static int
rev_sub_look(struct flow *f, PGresult *prev)
{
	const char *params[] = { cfg_of(f)->reverse_subscription };

	(void)prev;
	return flow_query(f, op_of(f)->pp->src,
	    "SELECT count(*) FROM pg_subscription WHERE subname = $1", 1, params);
}

/* A slot left on the target by an earlier attempt would replay old
 * changes: an inactive one of the reverse subscription's name goes. */
static int
rev_stale_slot(struct flow *f, PGresult *prev)
{
	const char *params[] = { cfg_of(f)->reverse_subscription };

	if (pgr_int64(prev, 0, 0, 0) > 0) {
		f->pc += 2;	/* the subscription exists: skip creating it */
		return FLOW_NEXT;
	}
	return flow_query(f, op_of(f)->pp->dst,
	    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
	    " WHERE slot_name = $1 AND NOT active", 1, params);
}

static int
rev_sub_create(struct flow *f, PGresult *prev)
{
	const struct config *cfg = cfg_of(f);
	struct pg *src = op_of(f)->pp->src;
	char *s, *p, *c, *sql;
	int rc;

	(void)prev;
	s = pg_quote_ident(src, cfg->reverse_subscription);
	p = pg_quote_ident(src, cfg->reverse_publication);
	c = pg_quote_literal(src, cfg->reverse_conninfo != NULL ?
	    cfg->reverse_conninfo : cfg->target_conninfo);
	/* copy_data = false: the source has every row already. */
	sql = xasprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s"
	    " WITH (copy_data = false, create_slot = true, enabled = true)", s, c, p);
	rc = flow_query_simple(f, src, sql);
	secure_zero(sql, strlen(sql));
	secure_zero(c, strlen(c));
	free(s);
	free(p);
	free(c);
	free(sql);
	return rc;
}

/* Where rev_stale_slot lands when the subscription exists already. */
static int
rev_skip(struct flow *f, PGresult *prev)
{
	(void)f;
	(void)prev;
	return FLOW_NEXT;
}

/* The reverse slot exists once CREATE SUBSCRIPTION returns, so no change
 * on the target can be missed; waiting for the apply worker to start
 * would only lengthen the write pause (post_validation checks it). */
static const flow_step reverse_start_steps[] = {
	rev_tables, rev_pub_look, rev_pub_create, rev_sub_look, rev_stale_slot,
	rev_sub_create, rev_skip, NULL
};

static void
pg_reverse_start(struct provider *p, const struct provider_position *pos,
    provider_done_fn done, void *arg)
{
	(void)pos;	/* the reverse slot starts where the target is now */
	op_start(p, reverse_start_steps, done, arg);
}

static int
rev_drop_sub(struct flow *f, PGresult *prev)
{
	struct pg *src = op_of(f)->pp->src;
	char *q, *sql;
	int rc;

	(void)prev;
	q = pg_quote_ident(src, cfg_of(f)->reverse_subscription);
	sql = xasprintf("DROP SUBSCRIPTION IF EXISTS %s", q);
	rc = flow_query_simple(f, src, sql);
	free(q);
	free(sql);
	return rc;
}

static int
rev_drop_pub(struct flow *f, PGresult *prev)
{
	struct pg *dst = op_of(f)->pp->dst;
	char *q, *sql;
	int rc;

	(void)prev;
	q = pg_quote_ident(dst, cfg_of(f)->reverse_publication);
	sql = xasprintf("DROP PUBLICATION IF EXISTS %s", q);
	rc = flow_query_simple(f, dst, sql);
	free(q);
	free(sql);
	return rc;
}

static const flow_step reverse_stop_steps[] = {
	rev_drop_sub, rev_drop_pub, NULL
};

static void
pg_reverse_stop(struct provider *p, provider_done_fn done, void *arg)
{
	op_start(p, reverse_stop_steps, done, arg);
}

static void
pg_describe(struct provider *p, const char *op, struct strbuf *out)
{
	const struct config *c = p->cfg;
	char *sub = pg_quote_ident(NULL, c->subscription);
	char *rsub = pg_quote_ident(NULL, c->reverse_subscription);
	char *rpub = pg_quote_ident(NULL, c->reverse_publication);

	if (strcmp(op, "stop") == 0) {
		sb_printf(out, "target: ALTER SUBSCRIPTION %s DISABLE (unless "
		    "disabled), end its apply worker (pg_terminate_backend) and "
		    "wait until it has exited\n", sub);
	} else if (strcmp(op, "start") == 0) {
		sb_printf(out, "source: advance the forward slot past the changes "
		    "the reverse replication brought back (when there was one)\n"
		    "target: ALTER SUBSCRIPTION %s ENABLE (unless enabled), then "
		    "wait until its apply worker runs\n", sub);
	} else if (strcmp(op, "reverse_start") == 0) {
		sb_printf(out, "target: CREATE PUBLICATION %s FOR TABLE <the "
		    "tables of publication %s> (unless it exists)\n"
		    "source: CREATE SUBSCRIPTION %s CONNECTION '<target>' "
		    "PUBLICATION %s WITH (copy_data = false, create_slot = true) "
		    "(unless it exists)\n",
		    rpub, c->publication, rsub, rpub);
	} else if (strcmp(op, "reverse_stop") == 0) {
		sb_printf(out, "source: DROP SUBSCRIPTION IF EXISTS %s\n"
		    "target: DROP PUBLICATION IF EXISTS %s\n", rsub, rpub);
	}
	free(sub);
	free(rsub);
	free(rpub);
}

static void
pg_destroy(struct provider *p)
{
	struct pgprov *pp = impl(p);

	pg_free(pp->src);
	pg_free(pp->dst);
	free(pp);
}

static const struct provider_ops postgres_ops = {
	"postgres",
	pg_refresh,
	pg_stop,
	pg_start,
	pg_reverse_start,
	pg_reverse_stop,
	pg_describe,
	pg_destroy,
	NULL,		/* its settings are the publication's: nothing to check */
	NULL,		/* validation reads the publication from the source */
};

struct provider *
provider_postgres_new(struct loop *loop, const struct config *cfg,
    struct err *e)
{
	struct pg_opts so = { cfg->source_conninfo, "source", 15000, 0, 0,
	    false, false };
	struct pg_opts to = { cfg->target_conninfo, "target", 15000, 0, 0,
	    false, false };
	struct provider *p = xcalloc(1, sizeof *p);
	struct pgprov *pp = xcalloc(1, sizeof *pp);

	(void)e;
	p->ops = &postgres_ops;
	p->loop = loop;
	p->cfg = cfg;
	p->want_tables = true;
	repl_status_init(&p->status);
	repl_status_init(&p->reverse);
	pp->p = p;
	pp->src = pg_new(loop, &so);
	pp->dst = pg_new(loop, &to);
	p->impl = pp;
	return p;
}
