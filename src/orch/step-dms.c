/* step-dms.c - the steps of the DMS path.
 *
 * replication.settings (pre_validation): the provider reads the settings
 * a cutover relies on (task settings, source endpoints) and judges them;
 * what cannot work refuses the run, what the operator should know needs
 * consent (logged).
 *
 * reverse_slot.create (stop_replication, after the forward task stopped,
 * before the reverse task starts and before the switch): a logical slot on
 * the target ([rollback] reverse_slot, the reverse source endpoint's
 * slotName), created before the target takes any write. Its LSN goes in
 * the state and the event log and is the reverse task's CdcStartPosition:
 * every write the target takes after the switch is past it. Created after
 * the forward task stopped, it holds none of the forward task's writes, so
 * nothing goes back that came from the source. A resumed run re-uses the
 * slot at its recorded position; a slot of an earlier attempt is dropped
 * and made again (inside the fence the target has taken no write).
 *
 * reverse_slot.drop (rollback, after reverse replication stopped): the
 * reverse task is stopped (again: idempotent) and the slot dropped, or it
 * would hold the target's WAL for good. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "orch-internal.h"

/* ------------------------------------------------ replication.settings */

struct pcheck {
	struct orch *o;
	struct flow *f;
	struct provider_check c;
};

static void
pcheck_free(struct pcheck *c)
{
	sb_free(&c->c.fails);
	sb_free(&c->c.warns);
	sb_free(&c->c.facts);
	free(c);
}

static void
settings_answer(struct orch *o, bool yes)
{
	struct err e = { 0, "" };

	if (yes) {
		orch_log(o, "operator.override", NULL, NULL, "the operator went on "
		    "despite the warnings about the DMS settings");
		flow_continue(o->flow, 0, &e);
	} else {
		err_set(&e, EXIT_ABORTED, "the operator stopped at the warnings "
		    "about the DMS settings");
		flow_continue(o->flow, -1, &e);
	}
}

/* "a\nb\n" -> "a; b" */
static char *
one_line(const struct strbuf *sb)
{
	char *s = xstrdup(sb->buf != NULL ? sb->buf : ""), *p;
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	for (p = s; (p = strchr(p, '\n')) != NULL; p++)
		*p = ';';
	return s;
}

static void
settings_done(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct pcheck *c = arg;
	struct orch *o = c->o;
	struct err le = { 0, "" };
	cJSON *data;
	char *fails;

	(void)p;
	if (o->flow != c->f) {         /* the step was abandoned meanwhile */
		pcheck_free(c);
		return;
	}
	if (rc != 0) {
		flow_continue(c->f, -1, e);
		pcheck_free(c);
		return;
	}
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "facts", c->c.facts.buf != NULL ?
	    c->c.facts.buf : "");
	cJSON_AddStringToObject(data, "warnings", c->c.warns.buf != NULL ?
	    c->c.warns.buf : "");
	cJSON_AddStringToObject(data, "failures", c->c.fails.buf != NULL ?
	    c->c.fails.buf : "");
	if (orch_log(o, "check", data, &le, "DMS settings: %s", c->c.fails.len ?
	    "not what a cutover needs" : c->c.warns.len ? "usable, with warnings" :
	    "as a cutover needs") != 0) {
		flow_continue(c->f, -1, &le);
	} else if (c->c.fails.len > 0) {
		fails = one_line(&c->c.fails);
		err_set(&le, EXIT_CHECK, "the DMS settings do not suit a cutover: "
		    "%s", fails);
		free(fails);
		flow_continue(c->f, -1, &le);
	} else if (c->c.warns.len > 0) {
		orch_ask(o, "The DMS settings have warnings: go on?",
		    "go on with pre_validation despite the warnings below; the "
		    "override is logged with who gave it\n", c->c.warns.buf,
		    DANGER_MEDIUM, settings_answer);
	} else {
		flow_continue(c->f, 0, &le);
	}
	pcheck_free(c);
}

static bool
settings_applies(struct orch *o)
{
	return o->prov->ops->check != NULL;
}

static int
settings_check(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct pcheck *c = xcalloc(1, sizeof *c);

	(void)prev;
	c->o = o;
	c->f = f;
	sb_init(&c->c.fails);
	sb_init(&c->c.warns);
	sb_init(&c->c.facts);
	orch_progress(o, "reading the DMS task and endpoint settings");
	o->prov->ops->check(o->prov, &c->c, settings_done, c);
	return flow_wait_external(f);
}

static void
settings_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "DMS: DescribeReplicationTasks (with settings) and "
	    "DescribeEndpoints for the forward and reverse tasks: commit-order "
	    "apply (BatchApplyEnabled false), apply errors STOP_TASK, the LOB "
	    "mode and limit, validation, the slots and plugins (read only)\n");
}

static const flow_step settings_flow[] = { settings_check, NULL };
const struct step step_replication_settings = { "replication.settings",
	settings_applies, settings_describe, settings_flow, SIDE_SOURCE, false, NULL };

/* ------------------------------------------------- reverse_slot.create */

static const char slot_sql[] =
    "SELECT plugin, active, confirmed_flush_lsn::text,"
    "  database = current_database(), slot_type, active_pid"
    " FROM pg_replication_slots WHERE slot_name = $1";

static bool
reverse_slot_applies(struct orch *o)
{
	return o->cfg->provider == PROVIDER_DMS && o->cfg->reverse_replication;
}

static int
slot_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[] = { o->cfg->reverse_slot };

	(void)prev;
	return flow_query(f, o->dst, slot_sql, 1, params);
}

static char *
drop_sql(const struct config *cfg)
{
	char *lit = pg_quote_literal(NULL, cfg->reverse_slot);
	char *sql = xasprintf("SELECT pg_drop_replication_slot(%s)", lit);

	free(lit);
	return sql;
}

static int
slot_decide(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct config *cfg = o->cfg;
	const char *params[] = { cfg->reverse_slot };
	const char *plugin, *pid;
	char *sql;
	int rc;

	if (PQntuples(prev) == 0) {
		if (o->st.reverse_slot_lsn != NULL && o->st.switched)
			return flow_fail(f, EXIT_RUNTIME, "target: the reverse slot "
			    "%s (recorded at %s) is gone: the writes the target took "
			    "since the switch cannot come back through it",
			    cfg->reverse_slot, o->st.reverse_slot_lsn);
		return FLOW_NEXT;
	}
	plugin = pgr_value(prev, 0, 0);
	pid = pgr_value(prev, 0, 5);
	if (!pgr_bool(prev, 0, 3) || strcmp(pgr_value(prev, 0, 4), "logical") != 0)
		return flow_fail(f, EXIT_CHECK, "target: a replication slot named "
		    "%s exists, but not a logical one of this database: choose "
		    "another [rollback] reverse_slot", cfg->reverse_slot);
	if (o->st.reverse_slot_lsn != NULL && plugin != NULL &&
	    strcmp(plugin, cfg->reverse_slot_plugin) == 0) {
		if (orch_already(f, "the reverse slot exists at its recorded "
		    "position") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	if (pgr_bool(prev, 0, 1))
		return flow_fail(f, EXIT_RUNTIME, "target: the replication slot %s "
		    "is in use (pid %s) and is not this attempt's: stop what reads "
		    "it (the reverse task of an earlier attempt?); cutover drops a "
		    "stale slot only when nothing reads it", cfg->reverse_slot,
		    pid != NULL ? pid : "?");
	/* Left by an earlier attempt, or made just before a crash: inside
	 * the fence the target has taken no write, so a new one is as good. */
	sql = drop_sql(cfg);
	rc = orch_act(f, "drop the stale reverse slot on the target", sql);
	free(sql);
	if (rc != 0)
		return FLOW_FAIL;
	return flow_query(f, o->dst, "SELECT pg_drop_replication_slot($1)", 1,
	    params);
}

static int
slot_create(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct config *cfg = o->cfg;
	const char *params[] = { cfg->reverse_slot, cfg->reverse_slot_plugin };
	char *a, *b, *sql;
	int rc;

	(void)prev;
	if (o->st.reverse_slot_lsn != NULL) {
		free(o->st.reverse_slot_lsn);
		o->st.reverse_slot_lsn = NULL;
		if (orch_save(f) != 0)
			return FLOW_FAIL;
	}
	a = pg_quote_literal(NULL, cfg->reverse_slot);
	b = pg_quote_literal(NULL, cfg->reverse_slot_plugin);
	sql = xasprintf("SELECT lsn FROM pg_create_logical_replication_slot(%s, "
	    "%s)", a, b);
	rc = orch_act(f, "create the reverse slot on the target, before it "
	    "takes a write", sql);
	free(a);
	free(b);
	free(sql);
	if (rc != 0)
		return FLOW_FAIL;
	return flow_query(f, o->dst, "SELECT lsn::text FROM"
	    " pg_create_logical_replication_slot($1, $2)", 2, params);
}

static int
slot_keep(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *lsn = pgr_value(prev, 0, 0);
	cJSON *data;

	if (lsn == NULL)
		return flow_fail(f, EXIT_RUNTIME, "target: "
		    "pg_create_logical_replication_slot gave no LSN");
	free(o->st.reverse_slot_lsn);
	o->st.reverse_slot_lsn = xstrdup(lsn);
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "slot", o->cfg->reverse_slot);
	cJSON_AddStringToObject(data, "plugin", o->cfg->reverse_slot_plugin);
	cJSON_AddStringToObject(data, "lsn", lsn);
	if (orch_log(o, "check", data, &f->e, "the reverse slot %s is on the "
	    "target at %s: the reverse task starts there", o->cfg->reverse_slot,
	    lsn) != 0)
		return FLOW_FAIL;
	return FLOW_DONE;
}

static void
slot_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "target: SELECT lsn FROM pg_create_logical_replication_"
	    "slot('%s', '%s') (unless this attempt's exists; a stale one is "
	    "dropped first); the LSN goes in the state and is the reverse "
	    "task's CdcStartPosition\n", o->cfg->reverse_slot,
	    o->cfg->reverse_slot_plugin);
}

static const flow_step slot_flow[] = { slot_look, slot_decide, slot_create,
	slot_keep, NULL };
const struct step step_reverse_slot = { "reverse_slot.create",
	reverse_slot_applies, slot_describe, slot_flow, SIDE_TARGET, false, NULL };

/* --------------------------------------------------- reverse_slot.drop */

#define SLOT_RELEASE_WAIT_MS 60000

struct rstop {
	struct orch *o;
	struct flow *f;
};

static void
rstop_done(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct rstop *r = arg;

	(void)p;
	if (r->o->flow == r->f)
		flow_continue(r->f, rc, e);
	free(r);
}

static bool
slot_drop_applies(struct orch *o)
{
	return reverse_slot_applies(o) && o->st.reverse_slot_lsn != NULL &&
	    o->st.replication != REPL_REVERSE;
}

/* The reverse task reads the slot: it must be stopped (it may run when a
 * crash came between its start and the state saying so). */
static int
drop_stop_task(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct rstop *r = xcalloc(1, sizeof *r);

	(void)prev;
	r->o = o;
	r->f = f;
	orch_progress(o, "the reverse task must be stopped before its slot "
	    "goes");
	o->prov->ops->reverse_stop(o->prov, rstop_done, r);
	return flow_wait_external(f);
}

static int
drop_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	return slot_look(f, NULL);
}

static int
drop_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *params[] = { o->cfg->reverse_slot };
	char *sql;
	int rc;

	if (PQntuples(prev) == 0) {
		if (orch_already(f, "the reverse slot is gone") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	if (pgr_bool(prev, 0, 1)) {
		/* DMS's connection may outlive the task's stop a moment. */
		if (flow_waited(f) > SLOT_RELEASE_WAIT_MS)
			return flow_fail(f, EXIT_RUNTIME, "target: the reverse slot "
			    "%s is still in use (pid %s) %d s after the reverse task "
			    "stopped", o->cfg->reverse_slot, pgr_value(prev, 0, 5) ?
			    pgr_value(prev, 0, 5) : "?", SLOT_RELEASE_WAIT_MS / 1000);
		return flow_back(f, 1, 1000);
	}
	sql = drop_sql(o->cfg);
	rc = orch_act(f, "drop the reverse slot on the target (it would hold "
	    "the target's WAL)", sql);
	free(sql);
	if (rc != 0)
		return FLOW_FAIL;
	return flow_query(f, o->dst, "SELECT pg_drop_replication_slot(slot_name)"
	    " FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", 1,
	    params);
}

static int
drop_forget(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	free(o->st.reverse_slot_lsn);
	o->st.reverse_slot_lsn = NULL;
	return orch_save(f) != 0 ? FLOW_FAIL : FLOW_DONE;
}

static void
drop_describe(struct orch *o, struct strbuf *out)
{
	o->prov->ops->describe(o->prov, "reverse_stop", out);
	sb_printf(out, "target: SELECT pg_drop_replication_slot('%s') once "
	    "nothing reads it\n", o->cfg->reverse_slot);
}

static const flow_step drop_flow[] = { drop_stop_task, drop_look, drop_act,
	drop_forget, NULL };
const struct step step_reverse_slot_drop = { "reverse_slot.drop",
	slot_drop_applies, drop_describe, drop_flow, SIDE_TARGET, true, NULL };
