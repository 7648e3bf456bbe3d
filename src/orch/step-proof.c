/* step-proof.c - the proof that the fence held. A logical decoding slot
 * (test_decoding) is created on the source when the fence is taken: from
 * then on it records every commit. Before stop_replication, and again at
 * the last instant before the application is let in on the target, the
 * slot is peeked (pg_logical_slot_peek_changes, which consumes nothing):
 * anything but cutover's own writes (its schema's heartbeat and sentinel)
 * means a writer got past the fence, and the switch does not happen: the
 * event log names the tables, the transactions and the sessions that
 * could have made them, and the run rolls back to the source with nothing
 * lost. The same proof runs on the target before a rollback after the
 * switch puts the application back on the source, and a slot made on the
 * target when the switch begins tells a rollback whether the application
 * ever wrote there. Changes a replication applied (they carry its
 * origin: forward on the target, reverse on the source) are not writers:
 * the peek skips them (only-local). Every slot is dropped when its work
 * is done (a slot keeps WAL). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "orch-internal.h"

/* Transactions in the slot that committed after $2 and changed anything
 * outside the cutover schema. */
#define PROOF_TXNS \
    "SELECT xid::text AS xid," \
    " string_agg(DISTINCT substring(data from" \
    "  '^table (.*?): (?:INSERT|UPDATE|DELETE|TRUNCATE)'), ', ')" \
    "  FILTER (WHERE data LIKE 'table %' AND data NOT LIKE 'table cutover.%')" \
    "  AS tables," \
    " count(*) FILTER (WHERE data LIKE 'table %'" \
    "  AND data NOT LIKE 'table cutover.%') AS changes," \
    " max(lsn) AS commit_lsn" \
    " FROM pg_logical_slot_peek_changes($1, NULL, NULL," \
    "  'skip-empty-xacts', '1', 'include-xids', '1', 'only-local', '1')" \
    " GROUP BY xid::text"

const char SQL_PROOF_COUNT[] =
    "SELECT count(*) FROM (" PROOF_TXNS ") x"
    " WHERE x.changes > 0 AND x.commit_lsn > $2::pg_lsn";
static const char SQL_PROOF_DETAIL[] =
    "SELECT x.xid, x.tables, x.changes, x.commit_lsn::text FROM ("
    PROOF_TXNS ") x WHERE x.changes > 0 AND x.commit_lsn > $2::pg_lsn"
    " ORDER BY x.commit_lsn LIMIT 20";
/* Who could have written: the sessions in this database now that are not
 * cutover's (role, application_name, client address). */
static const char SQL_SESSIONS_NOW[] =
    "SELECT usename, coalesce(application_name, ''),"
    " coalesce(host(client_addr) || ':' || client_port, 'local'), pid,"
    " coalesce(state, '')"
    " FROM pg_stat_activity WHERE backend_type = 'client backend'"
    " AND pid <> pg_backend_pid() AND datname = current_database()"
    " AND coalesce(application_name, '') <> 'cutover'"
    " ORDER BY state_change DESC NULLS LAST LIMIT 10";

/* Slot names: lower case, digits and _; one per side and attempt. */
static char *
slot_name(struct orch *o)
{
	return xasprintf("cutover_%s_a%d_%s", o->st.run_id, o->st.attempt,
	    orch_on_target(o) ? "target" : "fence");
}

static char **
slot_field(struct orch *o)
{
	return orch_on_target(o) ? &o->st.target_slot : &o->st.fence_slot;
}

static const char *
create_sql(void)
{
	return "SELECT pg_create_logical_replication_slot($1, 'test_decoding')";
}

/* ----------------------------------------------------- making a slot */

static int
slot_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *name = *slot_field(o) != NULL ? xstrdup(*slot_field(o)) :
	    slot_name(o);
	const char *params[1] = { name };
	int rc;

	(void)prev;
	rc = flow_query(f, orch_side(o), "SELECT EXISTS (SELECT 1 FROM"
	    " pg_replication_slots WHERE slot_name = $1)", 1, params);
	free(name);
	return rc;
}

static int
slot_make(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *name, *detail;
	const char *params[1];
	int rc;

	if (*slot_field(o) == NULL) {
		/* Recorded before it is made: a crash leaves no slot unknown. */
		name = slot_name(o);
		state_set(slot_field(o), name);
		free(name);
	}
	if (pgr_bool(prev, 0, 0)) {
		if (orch_already(f, *slot_field(o)) != 0)
			return FLOW_FAIL;
		return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
	}
	detail = xasprintf("SELECT pg_create_logical_replication_slot('%s', "
	    "'test_decoding')", *slot_field(o));
	if (orch_act(f, orch_on_target(o) ? "create the proof slot on the target "
	    "(it records every commit there from now)" : "create the proof slot "
	    "on the source (it records every commit from the fence on)",
	    detail) != 0) {
		free(detail);
		return FLOW_FAIL;
	}
	free(detail);
	params[0] = *slot_field(o);
	rc = flow_query(f, orch_side(o), create_sql(), 1, params);
	return rc;
}

static int
slot_made(struct flow *f, PGresult *prev)
{
	(void)f;
	(void)prev;
	return FLOW_NEXT;
}

static void
slot_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: SELECT pg_create_logical_replication_slot("
	    "'cutover_<run>_a<attempt>_%s', 'test_decoding') (the proof slot)\n",
	    orch_side_name(o), orch_on_target(o) ? "target" : "fence");
}

static const flow_step slot_flow[] = { slot_look, slot_make, slot_made,
	NULL };
const struct step step_fence_slot = { "fence.slot", NULL, slot_describe,
	slot_flow, SIDE_SOURCE, false, NULL };

/* In a rollback after the application wrote on the target: the target's
 * slot (made now if the switch's is gone), and the target's WAL position
 * once its fence holds: the proof counts what committed after it. */
static int
tfence_lsn(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (o->st.target_fence_lsn != NULL)
		return FLOW_DONE;	/* kept from before a crash */
	return flow_query(f, o->dst, "SELECT pg_current_wal_lsn()::text", 0,
	    NULL);
}

static int
tfence_keep(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	state_set(&o->st.target_fence_lsn, pgr_value(prev, 0, 0));
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	return orch_log(o, "check", NULL, &f->e, "the target's fence holds from "
	    "%s: what commits there after it is a writer past the fence",
	    o->st.target_fence_lsn) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static bool
rollback_on_target(struct orch *o)
{
	return o->st.rollback_on_target;
}

static const flow_step tslot_flow[] = { slot_look, slot_make, tfence_lsn,
	tfence_keep, NULL };
const struct step step_target_slot = { "target.slot", rollback_on_target,
	slot_describe, tslot_flow, SIDE_TARGET, false, NULL };

/* ------------------------------------------- the switch: target first */

/* Before anything is repointed the target must answer and be writable;
 * its proof slot then tells a rollback whether the application wrote
 * there. Without wal_level = logical on the target there is no slot, and
 * a rollback inside the switch assumes it did. */
static int
st_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[1] = { o->st.target_slot != NULL ?
	    o->st.target_slot : "" };

	(void)prev;
	/* Once the switch began, this step was done (its slot may even be
	 * gone again, dropped at the end of the switch). */
	if (o->st.switch_begun_at != 0 || o->st.switched) {
		if (orch_already(f, "the target answered before the switch began")
		    != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	return flow_query(f, o->dst, "SELECT pg_is_in_recovery(),"
	    " current_setting('wal_level'), EXISTS (SELECT 1 FROM"
	    " pg_replication_slots WHERE slot_name = $1)", 1, params);
}

static int
st_judge(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (pgr_bool(prev, 0, 0))
		return flow_fail(f, EXIT_RUNTIME, "the target is a standby (in "
		    "recovery): it cannot take the application's writes");
	if (strcmp(pgr_value(prev, 0, 1), "logical") != 0) {
		if (orch_log(o, "check", NULL, &f->e, "the target answers; its "
		    "wal_level is %s, so no proof slot there: a rollback inside "
		    "the switch will assume the application wrote on it",
		    pgr_value(prev, 0, 1)) != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	return FLOW_NEXT;
}

static void
st_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "target: must answer and not be a standby, or nothing is "
	    "switched (the run undoes itself); SELECT "
	    "pg_create_logical_replication_slot('cutover_<run>_a<attempt>_target', "
	    "'test_decoding') when its wal_level is logical\n");
}

static const flow_step st_flow[] = { st_look, st_judge, slot_look, slot_make,
	slot_made, NULL };
const struct step step_switch_target = { "switch.target", NULL, st_describe,
	st_flow, SIDE_TARGET, false, NULL };

/* ---------------------------------------------------------- the proof */

static int
proof_peek(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[2] = { *slot_field(o), orch_on_target(o) &&
	    o->st.target_fence_lsn != NULL ? o->st.target_fence_lsn : "0/0" };

	(void)prev;
	if (params[0] == NULL)
		return flow_fail(f, EXIT_RUNTIME, "there is no proof slot on the "
		    "%s: nothing can show that the fence held", orch_side_name(o));
	return flow_query(f, orch_side(o), SQL_PROOF_DETAIL, 2, params);
}

/* The transactions the proof found, kept for the message while the
 * sessions are looked up. */
struct proof_found {
	PGresult *tx;
};

static void
proof_cancel(void *data)
{
	struct proof_found *p = data;

	PQclear(p->tx);
}

static const struct step_data_def proof_data = {
	sizeof (struct proof_found), proof_cancel, NULL
};

static int
proof_judge(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct proof_found *p;

	if (PQntuples(prev) == 0) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "slot", *slot_field(o));
		if (orch_log(o, "check", d, &f->e, "proof: nothing but cutover "
		    "committed on the %s since its fence (slot %s)", orch_side_name(o),
		    *slot_field(o)) != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	/* Kept for the message; the sessions are looked up next. */
	p = orch_step_data(o);
	if (p->tx != NULL)
		PQclear(p->tx);
	p->tx = flow_keep(f);
	return flow_query(f, orch_side(o), SQL_SESSIONS_NOW, 0, NULL);
}

static int
proof_failed(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct proof_found *p = orch_step_data(o);
	const PGresult *tx = p->tx;
	struct strbuf tables, who;
	cJSON *d = cJSON_CreateObject(), *arr, *it;
	int r;

	sb_init(&tables);
	sb_init(&who);
	arr = cJSON_AddArrayToObject(d, "transactions");
	for (r = 0; r < PQntuples(tx); r++) {
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "xid", pgr_value(tx, r, 0));
		cJSON_AddStringToObject(it, "tables", pgr_value(tx, r, 1) != NULL ?
		    pgr_value(tx, r, 1) : "");
		cJSON_AddNumberToObject(it, "changes", (double)pgr_int64(tx, r, 2, 0));
		cJSON_AddStringToObject(it, "commit_lsn", pgr_value(tx, r, 3));
		cJSON_AddItemToArray(arr, it);
		if (r < 5)
			sb_printf(&tables, "%sxid %s (%s)", r ? ", " : "",
			    pgr_value(tx, r, 0), pgr_value(tx, r, 1) != NULL ?
			    pgr_value(tx, r, 1) : "?");
	}
	if (PQntuples(tx) > 5)
		sb_printf(&tables, " and %d more", PQntuples(tx) - 5);
	arr = cJSON_AddArrayToObject(d, "sessions");
	for (r = 0; r < PQntuples(prev); r++) {
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "role", pgr_value(prev, r, 0));
		cJSON_AddStringToObject(it, "application_name", pgr_value(prev, r, 1));
		cJSON_AddStringToObject(it, "client", pgr_value(prev, r, 2));
		cJSON_AddNumberToObject(it, "pid", (double)pgr_int64(prev, r, 3, 0));
		cJSON_AddItemToArray(arr, it);
		if (r < 5)
			sb_printf(&who, "%srole %s, application_name '%s', client %s",
			    r ? "; " : "", pgr_value(prev, r, 0), pgr_value(prev, r, 1),
			    pgr_value(prev, r, 2));
	}
	cJSON_AddStringToObject(d, "slot", *slot_field(o));
	orch_log(o, "fence.leak", d, NULL, "proof failed: %d transaction%s "
	    "committed on the %s after its fence by someone else: %s; sessions "
	    "there now: %s", PQntuples(tx), PQntuples(tx) == 1 ? "" : "s",
	    orch_side_name(o), tables.buf, who.len > 0 ? who.buf :
	    "none (the writer has gone)");
	flow_fail(f, EXIT_CHECK, "the fence did not hold: %d transaction%s "
	    "committed on the %s after the fence by someone else (%s; sessions "
	    "there now: %s)", PQntuples(tx), PQntuples(tx) == 1 ? "" : "s",
	    orch_side_name(o), tables.buf, who.len > 0 ? who.buf : "none");
	sb_free(&tables);
	sb_free(&who);
	return FLOW_FAIL;
}

static void
proof_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: prove the fence held: pg_logical_slot_peek_changes "
	    "of the proof slot shows nothing but cutover's own writes (else no "
	    "switch%s)\n", orch_side_name(o), orch_on_target(o) ?
	    " back: the application stays on the target" : ": roll back");
}

/* Before the application is let in on the target; once the switch is
 * done (a resumed run), its slot may be gone already. */
static bool
proof_applies(struct orch *o)
{
	return !o->st.switched;
}

/* In the switch, at the last instant before the application is let in:
 * before RESUME when pgbouncer holds it paused, else before the entry
 * is repointed or the command runs (either lets it in). */
static bool
proof_before_switch_applies(struct orch *o)
{
	return !o->st.switched && o->cfg->drain_method != DRAIN_PGBOUNCER;
}

static bool
proof_before_resume_applies(struct orch *o)
{
	return !o->st.switched && o->cfg->drain_method == DRAIN_PGBOUNCER;
}

static const flow_step proof_flow[] = { proof_peek, proof_judge,
	proof_failed, NULL };
const struct step step_fence_proof = { "fence.proof", proof_applies,
	proof_describe, proof_flow, SIDE_SOURCE, false, &proof_data };
const struct step step_fence_proof_before_switch = { "fence.proof",
	proof_before_switch_applies, proof_describe, proof_flow, SIDE_SOURCE,
	false, &proof_data };
const struct step step_fence_proof_before_resume = { "fence.proof",
	proof_before_resume_applies, proof_describe, proof_flow, SIDE_SOURCE,
	false, &proof_data };

static bool
target_proof_applies(struct orch *o)
{
	return o->st.rollback_on_target && o->st.target_slot != NULL;
}

const struct step step_target_proof = { "target.proof", target_proof_applies,
	proof_describe, proof_flow, SIDE_TARGET, false, &proof_data };

/* ----------------------------------------------------- slots dropped */

/* Each recorded slot is looked for and dropped where it is; a failure (a
 * dead target) is reported (the step is best effort) and the record kept
 * for the next try. */
struct drop {
	struct orch *o;
	struct flow *f;
	bool target;
	bool looking;
};

static void
clear_record(struct orch *o, bool target)
{
	char **field = target ? &o->st.target_slot : &o->st.fence_slot;

	free(*field);
	*field = NULL;
	if (target) {
		free(o->st.target_fence_lsn);
		o->st.target_fence_lsn = NULL;
	}
}

static void
dropped(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct drop *d = arg;
	struct orch *o = d->o;
	char *name = d->target ? o->st.target_slot : o->st.fence_slot;
	struct err e = { 0, "" };

	(void)c;
	if (o->flow != d->f) {
		free(d);
		return;
	}
	if (res == NULL) {
		err_set(&e, EXIT_RUNTIME, "the proof slot %s on the %s could not be "
		    "dropped (it keeps WAL: drop it by hand): %s", name,
		    d->target ? "target" : "source", error);
		free(d);
		flow_continue(o->flow, -1, &e);
		return;
	}
	if (d->looking && !pgr_bool(res, 0, 0)) {
		/* Gone already (dropped before a crash). */
		orch_log(o, "check", NULL, NULL, "already done: the proof slot %s "
		    "is not on the %s", name, d->target ? "target" : "source");
		clear_record(o, d->target);
		d->looking = false;
		free(d);
		flow_continue(o->flow, 0, &e);
		return;
	}
	if (d->looking) {
		const char *params[1] = { name };
		char *detail = xasprintf("SELECT pg_drop_replication_slot('%s')",
		    name);

		d->looking = false;
		if (orch_act(d->f, d->target ? "drop the proof slot on the target" :
		    "drop the proof slot on the source", detail) != 0) {
			free(detail);
			e = d->f->e;
			free(d);
			flow_continue(o->flow, -1, &e);
			return;
		}
		free(detail);
		pg_query(d->target ? o->dst : o->src, "SELECT pg_drop_replication_"
		    "slot($1)", 1, params, dropped, d);
		return;
	}
	clear_record(o, d->target);
	free(d);
	flow_continue(o->flow, 0, &e);
}

static int
drop_one(struct flow *f, bool target)
{
	struct orch *o = f->ctx;
	char *name = target ? o->st.target_slot : o->st.fence_slot;
	struct drop *d;
	const char *params[1] = { name };

	if (name == NULL)
		return FLOW_NEXT;
	d = xcalloc(1, sizeof *d);
	d->o = o;
	d->f = f;
	d->target = target;
	d->looking = true;
	pg_query(target ? o->dst : o->src, "SELECT EXISTS (SELECT 1 FROM"
	    " pg_replication_slots WHERE slot_name = $1)", 1, params, dropped, d);
	return flow_wait_external(f);
}

static int
drop_source(struct flow *f, PGresult *prev)
{
	(void)prev;
	return drop_one(f, false);
}

static int
drop_target(struct flow *f, PGresult *prev)
{
	(void)prev;
	return drop_one(f, true);
}

static int
drop_saved(struct flow *f, PGresult *prev)
{
	(void)prev;
	return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static bool
drop_applies(struct orch *o)
{
	return o->st.fence_slot != NULL || o->st.target_slot != NULL;
}

static void
drop_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "drop the proof slots this attempt made (they keep WAL): "
	    "SELECT pg_drop_replication_slot(...)\n");
}

static const flow_step drop_flow[] = { drop_source, drop_target, drop_saved,
	NULL };
const struct step step_proof_drop = { "proof.drop", drop_applies,
	drop_describe, drop_flow, SIDE_SOURCE, true, NULL };
const struct step step_proof_drop_back = { "proof.drop", drop_applies,
	drop_describe, drop_flow, SIDE_SOURCE, true, NULL };
