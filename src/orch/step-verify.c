/* step-verify.c - rollback.verify, the rollback's last step. */
#include "config.h"

#include <stdlib.h>

#include "orch-internal.h"

/* Before rollback.done says "the source is writable and forward
 * replication runs", the live world is looked at: pgbouncer routes the
 * application to the source (live and in its file) and is not paused,
 * the roles this run fenced can log in, the subscription is enabled with
 * its apply worker (or the DMS task runs). A claim that does not hold is
 * an error that says what is wrong. */
#define VERIFY_TRIES 15            /* 2 s apart: an apply worker starting */

static void
verify_looked(struct orch *o)
{
	struct err e = { 0, "" };

	if (o->flow != NULL)
		flow_continue(o->flow, 0, &e);
}

static int
verify_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	world_look(o, verify_looked);
	return flow_wait_external(f);
}

static int
verify_roles(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles = pg_array_literal(o->st.fenced_roles, o->st.nfenced_roles);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, o->src, "SELECT count(*) FROM pg_roles WHERE rolname"
	    " = ANY($1::text[]) AND NOT rolcanlogin", 1, params);
	free(roles);
	return rc;
}

static int
verify_judge(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct world *w = &o->world;
	const struct repl_status *rs = &o->prov->status;
	bool pgb_drain = o->cfg->drain_method == DRAIN_PGBOUNCER;
	bool pgb_switch = o->cfg->switch_method == SWITCH_PGBOUNCER;
	struct strbuf claim;

	if (pgr_int64(prev, 0, 0, 0) > 0)
		return flow_fail(f, EXIT_RUNTIME, "the source is not writable for "
		    "the application: %lld of the roles this run fenced still "
		    "cannot log in", (long long)pgr_int64(prev, 0, 0, 0));
	if ((pgb_drain || pgb_switch) && !w->bouncer_ok)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer does not answer (%s): "
		    "where the application goes is unknown", w->why);
	if (pgb_drain && w->paused)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer's %s is still paused",
		    o->cfg->pgbouncer_database);
	if (pgb_switch && w->live_at != AT_SOURCE)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer routes %s to %s, not "
		    "to the source", o->cfg->pgbouncer_database,
		    where_name(w->live_at));
	if (pgb_switch && w->file_at != AT_SOURCE)
		return flow_fail(f, EXIT_RUNTIME, "%s points %s at %s: a RELOAD or "
		    "a restart of pgbouncer would send the application there",
		    o->cfg->pgbouncer_databases_file, o->cfg->pgbouncer_database,
		    where_name(w->file_at));
	if (!w->forward_running && o->not_done.len == 0) {
		if (f->tries++ < VERIFY_TRIES)
			return flow_back(f, 2, 2000);
		return flow_fail(f, EXIT_RUNTIME, "the source is writable, but "
		    "forward replication does not run: %s%s%s", rs->status != NULL ?
		    rs->status : "unknown", rs->stop_reason != NULL ? ", " : "",
		    rs->stop_reason != NULL ? rs->stop_reason : rs->error != NULL ?
		    rs->error : "");
	}
	sb_init(&claim);
	sb_printf(&claim, "the source is writable (the roles this run fenced "
	    "can log in%s)", pgb_switch ? ", pgbouncer routes the application "
	    "there, live and in its file, and is not paused" : pgb_drain ?
	    ", pgbouncer is not paused" : "");
	sb_printf(&claim, " and forward replication %s", w->forward_running ?
	    "runs" : "does NOT run (see what was not done)");
	free(o->verified);
	o->verified = sb_detach(&claim);
	return orch_log(o, "check", NULL, &f->e, "verified: %s", o->verified) ?
	    FLOW_FAIL : FLOW_NEXT;
}

static void
verify_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "check, before saying so, that the source is writable "
	    "(roles, pgbouncer live and file) and forward replication runs\n");
}

static const flow_step verify_flow[] = { verify_look, verify_roles,
	verify_judge, NULL };
const struct step step_rollback_verify = { "rollback.verify", NULL,
	verify_describe, verify_flow, SIDE_SOURCE, false, NULL };
