/* step-sync.c - final sync (a sentinel written after the fence, seen on
 * the other side), stopping and reversing replication, and sequences. The
 * same steps carry the last writes back in a rollback after the switch,
 * with the sides swapped. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "orch-internal.h"

/* The back variants (a rollback after the application wrote on the
 * target) carry the writes from target to source: their side is the
 * target, where they begin. */
static bool
backwards(struct orch *o)
{
	return o->step != NULL && o->step->side == SIDE_TARGET;
}

static struct pg *
writer_side(struct orch *o)
{
	return backwards(o) ? o->dst : o->src;
}

static struct pg *
reader_side(struct orch *o)
{
	return backwards(o) ? o->src : o->dst;
}

const char *
replication_halted(const struct repl_status *st)
{
	static char why[256];

	if (st->status == NULL)
		return NULL;
	if (strcmp(st->status, "stopped") != 0 &&
	    strcmp(st->status, "failed") != 0 &&
	    strcmp(st->status, "missing") != 0)
		return NULL;
	snprintf(why, sizeof why, "%s%s%s", st->status,
	    st->stop_reason != NULL ? ": " : "",
	    st->stop_reason != NULL ? st->stop_reason : "");
	return why;
}

/* ------------------------------------------------------------ sentinel */

static const char *
sentinel_id(struct orch *o)
{
	return o->st.sentinel_id;
}

static int
sentinel_prepare(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *id;

	(void)prev;
	/* The id is chosen once and kept in the state: a resumed step looks
	 * for the same row. */
	id = xasprintf("%s-a%d-%s", o->st.run_id, o->st.attempt,
	    backwards(o) ? "back" : "final");
	if (o->st.sentinel_id == NULL || strcmp(o->st.sentinel_id, id) != 0) {
		free(o->st.sentinel_id);
		free(o->st.sentinel_lsn);
		o->st.sentinel_id = id;
		o->st.sentinel_lsn = NULL;
		if (orch_save(f) != 0)
			return FLOW_FAIL;
	} else {
		free(id);
	}
	if (o->st.sentinel_lsn != NULL)
		return FLOW_NEXT;
	/* A position taken after the fence and before the sentinel: when the
	 * other side has applied up to it, it has every write of before. */
	return flow_query(f, writer_side(o), "SELECT pg_current_wal_lsn()::text",
	    0, NULL);
}

static int
sentinel_lsn_keep(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[1];

	if (o->st.sentinel_lsn == NULL && prev != NULL) {
		o->st.sentinel_lsn = xstrdup(pgr_value(prev, 0, 0));
		if (orch_save(f) != 0)
			return FLOW_FAIL;
	}
	params[0] = sentinel_id(o);
	return flow_query(f, writer_side(o), "SELECT EXISTS (SELECT 1 FROM"
	    " cutover.sentinel WHERE id = $1)", 1, params);
}

static int
sentinel_write_step(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[3] = { sentinel_id(o), o->st.run_id,
	    backwards(o) ? "rollback: the target's last writes" :
	    "final sync: written after the fence" };

	if (pgr_bool(prev, 0, 0)) {
		if (orch_already(f, "sentinel written") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	if (orch_act(f, backwards(o) ? "write a sentinel on the target" :
	    "write the sentinel on the source", sentinel_id(o)) != 0)
		return FLOW_FAIL;
	return flow_query(f, writer_side(o), "INSERT INTO cutover.sentinel (id,"
	    " run_id, note) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", 3,
	    params);
}

/* The sentinel is on the other side and, for the postgres provider, the
 * subscription's origin has applied past the position taken before it
 * (pg_replication_origin_status moves as each transaction is applied,
 * unlike the slot's confirmed position, which waits for feedback). The
 * same look says whether the replication it waits for still runs: a
 * disabled subscription or a missing apply worker fails the step at once,
 * not at the switch timeout. */
static int
sentinel_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[3] = { sentinel_id(o), o->st.sentinel_lsn != NULL ?
	    o->st.sentinel_lsn : "0/0", backwards(o) ?
	    o->cfg->reverse_subscription : o->cfg->subscription };

	(void)prev;
	if (o->cfg->provider != PROVIDER_POSTGRES)
		return flow_query(f, reader_side(o), "SELECT EXISTS (SELECT 1 FROM"
		    " cutover.sentinel WHERE id = $1), true, true, true", 1, params);
	return flow_query(f, reader_side(o), "SELECT EXISTS (SELECT 1 FROM"
	    " cutover.sentinel WHERE id = $1), coalesce((SELECT bool_or("
	    "o.remote_lsn >= $2::pg_lsn) FROM pg_replication_origin_status o"
	    " JOIN pg_subscription s ON o.external_id = 'pg_' || s.oid"
	    " WHERE s.subname = $3), false),"
	    " (SELECT s.subenabled FROM pg_subscription s WHERE s.subname = $3),"
	    " EXISTS (SELECT 1 FROM pg_stat_subscription w JOIN pg_subscription s"
	    " ON s.oid = w.subid WHERE s.subname = $3 AND w.relid IS NULL"
	    " AND w.pid IS NOT NULL)", 3, params);
}

/* How long an apply worker may be missing (restarting after an error)
 * before the replication counts as stopped. */
#define WORKER_GRACE_MS 3000

struct sync_wait {
	int64_t worker_gone_at;    /* mono ms, 0 while it runs */
	int64_t refreshed_at;      /* dms: the provider's status */
};

static const struct step_data_def sync_wait_data = {
	sizeof (struct sync_wait), NULL, NULL
};

static void
provider_polled(struct provider *p, int rc, const struct err *e, void *arg)
{
	(void)p;
	(void)rc;
	(void)e;
	(void)arg;
}

static int
sentinel_seen(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct sync_wait *w = orch_step_data(o);
	const char *sub = backwards(o) ? o->cfg->reverse_subscription :
	    o->cfg->subscription;
	const char *halted;

	if (pgr_bool(prev, 0, 0) && pgr_bool(prev, 0, 1)) {
		if (orch_log(o, "check", NULL, &f->e, "%s: the sentinel is on the "
		    "%s%s", backwards(o) ? "reverse catch-up" : "final sync",
		    backwards(o) ? "source" : "target",
		    o->cfg->provider == PROVIDER_POSTGRES ?
		    " and the subscription applied past the position taken "
		    "before it" : "") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	/* The replication waited for must run: fail now if it cannot. */
	if (o->cfg->provider == PROVIDER_POSTGRES) {
		if (PQgetisnull(prev, 0, 2))
			return flow_fail(f, EXIT_RUNTIME, "subscription %s does not "
			    "exist on the %s: the sentinel cannot arrive", sub,
			    backwards(o) ? "source" : "target");
		if (!pgr_bool(prev, 0, 2))
			return flow_fail(f, EXIT_RUNTIME, "%s replication is disabled "
			    "(subscription %s on the %s): the sentinel cannot arrive",
			    backwards(o) ? "reverse" : "forward", sub,
			    backwards(o) ? "source" : "target");
		if (!pgr_bool(prev, 0, 3)) {
			if (w->worker_gone_at == 0)
				w->worker_gone_at = mono_ms();
			else if (mono_ms() - w->worker_gone_at > WORKER_GRACE_MS)
				return flow_fail(f, EXIT_RUNTIME, "the apply worker of "
				    "subscription %s on the %s is gone (for %d s; see that "
				    "server's log): the sentinel cannot arrive", sub,
				    backwards(o) ? "source" : "target",
				    WORKER_GRACE_MS / 1000);
		} else {
			w->worker_gone_at = 0;
		}
	} else if (!backwards(o)) {
		if ((halted = replication_halted(&o->prov->status)) != NULL &&
		    o->prov->status.updated_at > 0)
			return flow_fail(f, EXIT_RUNTIME, "forward replication is not "
			    "running (%s): the sentinel cannot arrive", halted);
		if (mono_ms() - w->refreshed_at > 2000) {
			w->refreshed_at = mono_ms();
			o->prov->ops->refresh(o->prov, provider_polled, NULL);
		}
	}
	return flow_back(f, 1, 10);
}

static void
final_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: SELECT pg_current_wal_lsn(); INSERT INTO "
	    "cutover.sentinel (id, run_id, note) VALUES ('<run>-a<attempt>-%s', "
	    "...) ON CONFLICT DO NOTHING\n", backwards(o) ? "target" : "source",
	    backwards(o) ? "back" : "final");
	sb_printf(out, "%s: wait until the sentinel is there%s\n",
	    backwards(o) ? "source" : "target",
	    o->cfg->provider == PROVIDER_POSTGRES && !backwards(o) ?
	    " and the subscription's origin (pg_replication_origin_status) "
	    "applied past that position" : "");
}

static const flow_step final_flow[] = { sentinel_prepare, sentinel_lsn_keep,
	sentinel_write_step, sentinel_look, sentinel_seen, NULL };
const struct step step_final_sync = { "sentinel.sync", NULL, final_describe,
	final_flow, SIDE_SOURCE, false, &sync_wait_data };

static bool
reverse_catchup_applies(struct orch *o)
{
	return o->st.rollback_on_target && o->st.replication == REPL_REVERSE;
}

const struct step step_reverse_catchup = { "sentinel.back",
	reverse_catchup_applies, final_describe, final_flow, SIDE_TARGET,
	false, &sync_wait_data };

/* ------------------------------------------------ provider operations */

/* A provider call in flight. On success the state records the new
 * replication direction (and is saved) before the flow goes on and the
 * action's outcome is logged: a crash in between then finds the state
 * already moved on and does not take the action again. */
struct pcall {
	struct orch *o;
	struct flow *f;
	int now;                   /* enum repl_direction after success */
};

static void
provider_done(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct pcall *c = arg;
	struct err se = { 0, "" };

	(void)p;
	/* A step abandoned meanwhile: nothing waits for this answer. */
	if (c->o->flow == c->f) {
		if (rc == 0) {
			c->o->st.replication = (enum repl_direction)c->now;
			if (orch_state_save(c->o, &se) != 0) {
				rc = -1;
				e = &se;
			}
		}
		flow_continue(c->f, rc, e);
	}
	free(c);
}

static struct pcall *
pcall(struct flow *f, enum repl_direction now)
{
	struct pcall *c = xcalloc(1, sizeof *c);

	c->o = f->ctx;
	c->f = f;
	c->now = now;
	return c;
}

static int
stop_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct strbuf d;

	(void)prev;
	if (o->st.replication != REPL_FORWARD) {
		if (orch_already(f, "forward replication stopped") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	sb_init(&d);
	o->prov->ops->describe(o->prov, "stop", &d);
	if (orch_act(f, "stop forward replication", d.buf) != 0) {
		sb_free(&d);
		return FLOW_FAIL;
	}
	sb_free(&d);
	orch_heartbeat(o, false);
	o->prov->ops->stop(o->prov, provider_done, pcall(f, REPL_STOPPED));
	return flow_wait_external(f);
}

static void
stop_describe(struct orch *o, struct strbuf *out)
{
	o->prov->ops->describe(o->prov, "stop", out);
}

static const flow_step stop_flow[] = { stop_act, NULL };
const struct step step_replication_stop = { "replication.stop", NULL,
	stop_describe, stop_flow, SIDE_SOURCE, false, NULL };

static bool
reverse_applies(struct orch *o)
{
	return o->cfg->reverse_replication;
}

static int
reverse_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct provider_position pos;
	struct strbuf d;

	(void)prev;
	if (o->st.replication == REPL_REVERSE) {
		if (orch_already(f, "reverse replication running") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	sb_init(&d);
	o->prov->ops->describe(o->prov, "reverse_start", &d);
	o->st.reverse_begun = true;	/* saved with the action, before it */
	if (orch_act(f, "start reverse replication (target to source)",
	    d.buf) != 0) {
		sb_free(&d);
		return FLOW_FAIL;
	}
	sb_free(&d);
	/* dms: the reverse slot's LSN on the target (reverse_slot.create);
	 * the postgres provider's subscription makes its own slot. */
	pos.lsn = o->st.reverse_slot_lsn;
	pos.time_ms = 0;
	o->prov->ops->reverse_start(o->prov, &pos, provider_done,
	    pcall(f, REPL_REVERSE));
	return flow_wait_external(f);
}

static void
reverse_describe(struct orch *o, struct strbuf *out)
{
	o->prov->ops->describe(o->prov, "reverse_start", out);
}

static const flow_step reverse_flow[] = { reverse_act, NULL };
const struct step step_replication_reverse = { "replication.reverse",
	reverse_applies, reverse_describe, reverse_flow, SIDE_SOURCE, false, NULL };

/* Rollback: the reverse replication goes (whatever a crash left of its
 * start), then forward starts again if it does not run. */
static bool
reverse_stop_applies(struct orch *o)
{
	return o->st.replication == REPL_REVERSE || o->st.reverse_begun;
}

/* Postgres: whether the reverse subscription (on the source) and its
 * publication (on the target) are still there. A rollback killed after
 * dropping them, before it recorded so, must not drop them again: it
 * says so and goes on. (DMS: its stop describes the task first and sends
 * nothing to a stopped one.) */
static int
rs_look_sub(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[] = { o->cfg->reverse_subscription };

	(void)prev;
	if (o->cfg->provider != PROVIDER_POSTGRES) {
		f->pc += 2;	/* to reverse_stop_act */
		return FLOW_NEXT;
	}
	return flow_query(f, o->src, "SELECT count(*) FROM pg_subscription"
	    " WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database"
	    " WHERE datname = current_database())", 1, params);
}

static int
rs_look_pub(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[] = { o->cfg->reverse_publication };

	if (pgr_int64(prev, 0, 0, 1) > 0) {
		f->pc += 1;	/* it is there: to reverse_stop_act */
		return FLOW_NEXT;
	}
	return flow_query(f, o->dst, "SELECT count(*) FROM pg_publication"
	    " WHERE pubname = $1", 1, params);
}

static int
rs_judge(struct flow *f, PGresult *prev)
{
	if (pgr_int64(prev, 0, 0, 1) > 0)
		return FLOW_NEXT;
	if (orch_already(f, "reverse replication is gone (its subscription on "
	    "the source and its publication on the target)") != 0)
		return FLOW_FAIL;
	f->pc += 1;	/* past reverse_stop_act, to reverse_stopped */
	return FLOW_NEXT;
}

static int
reverse_stop_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct strbuf d;

	(void)prev;
	sb_init(&d);
	o->prov->ops->describe(o->prov, "reverse_stop", &d);
	if (orch_act(f, "stop reverse replication", d.buf) != 0) {
		sb_free(&d);
		return FLOW_FAIL;
	}
	sb_free(&d);
	o->prov->ops->reverse_stop(o->prov, provider_done,
	    pcall(f, REPL_STOPPED));
	return flow_wait_external(f);
}

static int
reverse_stopped(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	o->st.reverse_begun = false;
	return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static void
reverse_stop_describe(struct orch *o, struct strbuf *out)
{
	o->prov->ops->describe(o->prov, "reverse_stop", out);
}

static const flow_step reverse_stop_flow[] = { rs_look_sub, rs_look_pub,
	rs_judge, reverse_stop_act, reverse_stopped, NULL };
const struct step step_reverse_stop = { "replication.reverse_stop",
	reverse_stop_applies, reverse_stop_describe, reverse_stop_flow,
	SIDE_SOURCE, true, NULL };

/* After writes came back through reverse replication, forward
 * replication must skip them (they are on the target already): the
 * source's position is recorded before the source is let in, so the
 * application's new writes there are never skipped. */
static bool
forward_skip_applies(struct orch *o)
{
	return o->st.rollback_on_target && o->st.forward_skip_lsn == NULL;
}

static int
skip_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, o->src, "SELECT pg_current_wal_lsn()::text", 0,
	    NULL);
}

static int
skip_keep(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	state_set(&o->st.forward_skip_lsn, pgr_value(prev, 0, 0));
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	return orch_log(o, "check", NULL, &f->e, "forward replication will "
	    "restart past %s on the source (what the reverse replication "
	    "brought back is on the target already)", o->st.forward_skip_lsn) ?
	    FLOW_FAIL : FLOW_NEXT;
}

static void
skip_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "source: SELECT pg_current_wal_lsn() (forward replication "
	    "restarts past it)\n");
}

static const flow_step skip_flow[] = { skip_look, skip_keep, NULL };
const struct step step_forward_skip = { "replication.skip",
	forward_skip_applies, skip_describe, skip_flow, SIDE_SOURCE, false, NULL };

/* Forward replication runs at the end of every rollback: the step looks
 * at it first and starts it only if it does not run. With the reverse
 * replication still in place (its stop failed) it must not start: the
 * two would replicate each other's changes. */
static void
forward_refreshed(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct pcall *c = arg;
	struct err ok = { 0, "" };

	(void)e;
	if (c->o->flow == c->f) {
		if (rc == 0 && p->status.status != NULL &&
		    strcmp(p->status.status, "running") == 0 &&
		    c->o->st.replication == REPL_FORWARD) {
			c->f->pc++;	/* past forward_act */
			orch_already(c->f, "forward replication runs");
		}
		flow_continue(c->f, 0, &ok);
	}
	free(c);
}

static int
forward_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (o->st.replication == REPL_REVERSE || o->st.reverse_begun)
		return flow_fail(f, EXIT_RUNTIME, "reverse replication is still in "
		    "place: forward replication is not started while it is");
	o->prov->ops->refresh(o->prov, forward_refreshed,
	    pcall(f, REPL_FORWARD));
	return flow_wait_external(f);
}

static int
forward_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct strbuf d;

	(void)prev;
	free(o->prov->resume_from.lsn);
	o->prov->resume_from.lsn = o->st.forward_skip_lsn != NULL ?
	    xstrdup(o->st.forward_skip_lsn) : NULL;
	sb_init(&d);
	o->prov->ops->describe(o->prov, "start", &d);
	if (orch_act(f, "start forward replication again", d.buf) != 0) {
		sb_free(&d);
		return FLOW_FAIL;
	}
	sb_free(&d);
	o->prov->ops->start(o->prov, provider_done, pcall(f, REPL_FORWARD));
	return flow_wait_external(f);
}

static int
forward_done(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	free(o->prov->resume_from.lsn);
	o->prov->resume_from.lsn = NULL;
	o->st.replication = REPL_FORWARD;
	free(o->st.forward_skip_lsn);
	o->st.forward_skip_lsn = NULL;
	o->st.switched_at = 0;
	return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static void
forward_describe(struct orch *o, struct strbuf *out)
{
	o->prov->ops->describe(o->prov, "start", out);
}

static const flow_step forward_flow[] = { forward_look, forward_act,
	forward_done, NULL };
const struct step step_forward_start = { "replication.start", NULL,
	forward_describe, forward_flow, SIDE_SOURCE, true, NULL };

/* ---------------------------------------------------------- sequences */

/* The sequences go the way the writes go: from writer_side() to
 * reader_side(). */

/* The sequences of the side read first, while the other is read. */
struct seq_read {
	PGresult *from;
};

static void
seq_cancel(void *data)
{
	struct seq_read *r = data;

	PQclear(r->from);
}

static const struct step_data_def seq_data = {
	sizeof (struct seq_read), seq_cancel, NULL
};

static int
seq_read_from(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, writer_side(o), CATALOG_SEQUENCES_SQL, 0, NULL);
}

static int
seq_read_to(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct seq_read *r = orch_step_data(o);

	(void)prev;
	if (r->from != NULL)
		PQclear(r->from);
	r->from = flow_keep(f);
	return flow_query(f, reader_side(o), CATALOG_SEQUENCES_SQL, 0, NULL);
}

/* Which sequences of the other side are short of the wanted value: the
 * source's (or target's) value plus the margin, in the sequence's
 * direction. Never lowers one. */
static int
seq_set(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct seq_read *r = orch_step_data(o);
	struct catalog from = { 0 }, to = { 0 };
	struct err e = { 0, "" };
	char **schemas = NULL, **names = NULL, **values = NULL;
	char *a1, *a2, *a3, detail[256];
	const char *params[3];
	size_t i, n = 0;
	int rc;

	catalog_load_sequences(&from, r->from, &e);
	catalog_load_sequences(&to, prev, &e);
	/* A value we may not read is unknown, not "never used": refuse to
	 * guess rather than set a sequence below what the source handed out. */
	for (i = 0; i < from.nseqs + to.nseqs; i++) {
		const struct sequence_info *u = i < from.nseqs ? &from.seqs[i] :
		    &to.seqs[i - from.nseqs];

		if (!u->readable) {
			rc = flow_fail(f, EXIT_CHECK, "sequence %s.%s cannot be read on "
			    "the %s: this role lacks SELECT or USAGE on it, so its "
			    "value is unknown; grant it and run the phase again",
			    u->schema, u->name, (i < from.nseqs) != backwards(o) ?
			    "source" : "target");
			catalog_free(&from);
			catalog_free(&to);
			return rc;
		}
	}
	for (i = 0; i < from.nseqs; i++) {
		const struct sequence_info *a = &from.seqs[i];
		const struct sequence_info *b = catalog_find_sequence(&to,
		    a->schema, a->name);
		int64_t base = a->used ? a->last_value : a->start_value;
		int64_t want = a->increment > 0 ? base + o->cfg->sequence_margin :
		    base - o->cfg->sequence_margin;

		if (b == NULL)
			continue;	/* reported by validation */
		if (b->used && (a->increment > 0 ? b->last_value >= want :
		    b->last_value <= want))
			continue;
		schemas = xreallocarray(schemas, n + 1, sizeof *schemas);
		names = xreallocarray(names, n + 1, sizeof *names);
		values = xreallocarray(values, n + 1, sizeof *values);
		schemas[n] = a->schema;
		names[n] = a->name;
		values[n] = xasprintf("%lld", (long long)want);
		n++;
	}
	if (n == 0) {
		catalog_free(&from);
		catalog_free(&to);
		if (orch_already(f, "every sequence is ahead") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	snprintf(detail, sizeof detail, "setval on %zu sequences of the %s to at "
	    "least the %s's value + %lld", n, backwards(o) ? "source" : "target",
	    backwards(o) ? "target" : "source", (long long)o->cfg->sequence_margin);
	a1 = pg_array_literal(schemas, n);
	a2 = pg_array_literal(names, n);
	a3 = pg_array_literal(values, n);
	params[0] = a1;
	params[1] = a2;
	params[2] = a3;
	rc = orch_act(f, "synchronise sequences", detail);
	if (rc == 0)
		rc = flow_query(f, reader_side(o), "SELECT count(setval("
		    "format('%I.%I', s, n)::regclass, v, true))"
		    " FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(s, n, v)",
		    3, params);
	for (i = 0; i < n; i++)
		free(values[i]);
	free(schemas);
	free(names);
	free(values);
	free(a1);
	free(a2);
	free(a3);
	catalog_free(&from);
	catalog_free(&to);
	return rc;
}

static void
seq_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: read every sequence; %s: SELECT setval(...) for each "
	    "sequence below the %s's value + %lld (never lowering one)\n",
	    backwards(o) ? "target" : "source", backwards(o) ? "source" : "target",
	    backwards(o) ? "target" : "source", (long long)o->cfg->sequence_margin);
}

static const flow_step seq_flow[] = { seq_read_from, seq_read_to, seq_set,
	NULL };
const struct step step_sequences = { "sequences.sync", NULL, seq_describe,
	seq_flow, SIDE_SOURCE, false, &seq_data };

static bool
seq_back_applies(struct orch *o)
{
	return o->st.rollback_on_target;
}

const struct step step_sequences_back = { "sequences.back", seq_back_applies,
	seq_describe, seq_flow, SIDE_TARGET, false, &seq_data };
