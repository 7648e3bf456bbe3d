/* step-fence.c - fencing writes and draining the application's
 * connections, and their exact undo, by [drain] method:
 *   pgbouncer  PAUSE the database on pgbouncer (clients wait), then
 *              terminate what still connects directly;
 *   terminate  ALTER ROLE ... NOLOGIN, wait for in-flight transactions,
 *              terminate the sessions;
 *   readonly   ALTER DATABASE ... SET default_transaction_read_only, then
 *              terminate the sessions.
 * The same steps fence the target when a rollback after the switch needs
 * it; they take the side from the step (source or target). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "orch-internal.h"

const char SQL_APP_SESSIONS[] =
    "SELECT count(*), count(*) FILTER (WHERE xact_start IS NOT NULL)"
    " FROM pg_stat_activity WHERE usename = ANY($1::text[])"
    " AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
const char SQL_TERMINATE_APP_SESSIONS[] =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend'";

char *
sql_role_login(const char *role, bool login)
{
	char *q = pg_quote_ident(NULL, role);
	char *s = xasprintf("ALTER ROLE %s %s", q, login ? "LOGIN" : "NOLOGIN");

	free(q);
	return s;
}

char *
sql_database_readonly(const char *dbname, bool on)
{
	char *q = pg_quote_ident(NULL, dbname);
	char *s = on ? xasprintf("ALTER DATABASE %s SET "
	    "default_transaction_read_only = on", q) :
	    xasprintf("ALTER DATABASE %s RESET default_transaction_read_only", q);

	free(q);
	return s;
}

char *
roles_array(const struct config *cfg)
{
	return pg_array_literal(cfg->roles.v, cfg->roles.n);
}

static bool
is_target_step(struct orch *o)
{
	/* Fencing runs on the target only in a rollback after the switch. */
	return o->rolling_back && o->st.switched;
}

static struct pg *
side(struct orch *o)
{
	return is_target_step(o) ? o->dst : o->src;
}

static const char *
side_name(struct orch *o)
{
	return is_target_step(o) ? "target" : "source";
}

/* ---------------------------------------------------- pgbouncer PAUSE */

/* SHOW DATABASES: the row of our database, columns by name. */
static int
show_col(const PGresult *res, const char *name)
{
	return PQfnumber(res, name);
}

static int
show_row(const PGresult *res, const char *db)
{
	int r, c = show_col(res, "name");

	for (r = 0; c >= 0 && r < PQntuples(res); r++)
		if (strcmp(PQgetvalue(res, r, c), db) == 0)
			return r;
	return -1;
}

static int
pause_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	return flow_query_simple(f, O(f)->bouncer, "SHOW DATABASES");
}

static void
pause_unblock(struct loop_timer *t, void *arg)
{
	struct orch *o = arg;
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };

	(void)t;
	o->aux_timer = NULL;
	/* A transaction still open after wait_seconds holds PAUSE back: its
	 * session goes, so PAUSE completes and the fence holds. */
	orch_log(o, "action", NULL, NULL, "PAUSE still waits after %.0f s: "
	    "terminating the application's sessions on the %s",
	    o->cfg->drain_wait_seconds, side_name(o));
	pg_query(side(o), SQL_TERMINATE_APP_SESSIONS, 1, params, NULL, NULL);
	free(roles);
}

static int
pause_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	const char *db = o->cfg->pgbouncer_database;
	int r = show_row(prev, db), c = show_col(prev, "paused");
	char *sql;

	if (r < 0)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer has no database %s "
		    "([drain] pgbouncer_database)", db);
	if (c >= 0 && strcmp(PQgetvalue(prev, r, c), "1") == 0) {
		if (orch_already(f, "pgbouncer database paused") != 0)
			return FLOW_FAIL;
		f->pc++;	/* skip the wait for PAUSE's answer */
		return FLOW_NEXT;
	}
	sql = xasprintf("PAUSE %s", db);
	if (orch_act(f, "pause the application's pool on pgbouncer "
	    "(clients wait, they do not fail)", sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	o->aux_timer = loop_timer_add(o->loop,
	    (int64_t)(o->cfg->drain_wait_seconds * 1000), pause_unblock, o);
	flow_query_simple(f, o->bouncer, sql);
	free(sql);
	return FLOW_QUERY;
}

static int
pause_paused(struct flow *f, PGresult *prev)
{
	(void)prev;
	if (O(f)->aux_timer != NULL) {
		loop_timer_cancel(O(f)->aux_timer);
		O(f)->aux_timer = NULL;
	}
	return FLOW_NEXT;
}

static void
pause_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "pgbouncer: PAUSE %s (clients wait; after %.0f s a "
	    "transaction still open on the %s is terminated)\n",
	    o->cfg->pgbouncer_database, o->cfg->drain_wait_seconds, side_name(o));
}

static bool
uses_pgbouncer(struct orch *o)
{
	return o->cfg->drain_method == DRAIN_PGBOUNCER;
}

static const flow_step pause_flow[] = { pause_look, pause_act, pause_paused,
	NULL };
const struct step step_pgbouncer_pause = { "pgbouncer.pause", uses_pgbouncer,
	pause_describe, pause_flow };

/* ------------------------------------------------------------ NOLOGIN */

static int
nologin_look(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, side(o), "SELECT r, coalesce((SELECT rolcanlogin"
	    " FROM pg_roles WHERE rolname = r), false),"
	    " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)"
	    " FROM unnest($1::text[]) AS r", 1, params);
	free(roles);
	return rc;
}

/* Loops over the roles (o->k), one ALTER ROLE a time. */
static int
nologin_next(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	const char *role;
	char *sql;

	if (prev != NULL) {
		if (o->saved != NULL)
			PQclear(o->saved);
		o->saved = flow_keep(f);
		o->k = 0;
	}
	for (; o->k < PQntuples(o->saved); o->k++) {
		role = pgr_value(o->saved, o->k, 0);
		if (!pgr_bool(o->saved, o->k, 2))
			return flow_fail(f, EXIT_CHECK, "role %s does not exist on the "
			    "%s ([drain] roles)", role, side_name(o));
		if (pgr_bool(o->saved, o->k, 1))
			break;
		if (orch_already(f, role) != 0)
			return FLOW_FAIL;
	}
	if (o->k >= PQntuples(o->saved))
		return FLOW_DONE;
	role = pgr_value(o->saved, o->k, 0);
	sql = sql_role_login(role, false);
	if (orch_act(f, "stop new logins of an application role", sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	if (is_target_step(o))
		o->st.target_fenced = true;
	else
		state_add_fenced_role(&o->st, role);
	if (orch_save(f) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	flow_query_simple(f, side(o), sql);
	free(sql);
	return FLOW_QUERY;
}

static int
nologin_again(struct flow *f, PGresult *prev)
{
	(void)prev;
	O(f)->k++;
	f->pc -= 2;	/* back to nologin_next, with no new result */
	return FLOW_NEXT;
}

static void
nologin_describe(struct orch *o, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < o->cfg->roles.n; i++) {
		char *sql = sql_role_login(o->cfg->roles.v[i], false);

		sb_printf(out, "%s: %s (unless it cannot log in already)\n",
		    side_name(o), sql);
		free(sql);
	}
}

static bool
uses_terminate(struct orch *o)
{
	return o->cfg->drain_method == DRAIN_TERMINATE;
}

/* nologin_again goes back to nologin_next with FLOW_NEXT: nologin_next
 * then sees prev == NULL and goes on with the next role. */
static const flow_step nologin_flow[] = { nologin_look, nologin_next,
	nologin_again, NULL };
const struct step step_roles_nologin = { "roles.nologin", uses_terminate,
	nologin_describe, nologin_flow };

/* ----------------------------------------------------------- readonly */

static int
ro_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	return flow_query(f, side(O(f)), "SELECT current_database(), EXISTS ("
	    "SELECT 1 FROM pg_db_role_setting s JOIN pg_database d"
	    " ON d.oid = s.setdatabase WHERE d.datname = current_database()"
	    " AND s.setrole = 0"
	    " AND 'default_transaction_read_only=on' = ANY (s.setconfig))",
	    0, NULL);
}

static int
ro_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *sql;

	if (pgr_bool(prev, 0, 1)) {
		if (orch_already(f, "database is read-only by default") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	sql = sql_database_readonly(pgr_value(prev, 0, 0), true);
	if (orch_act(f, "make new transactions read-only", sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	if (is_target_step(o))
		o->st.target_fenced = true;
	else
		o->st.readonly_set = true;
	if (orch_save(f) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	flow_query_simple(f, side(o), sql);
	free(sql);
	return FLOW_QUERY;
}

static void
ro_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: ALTER DATABASE <this database> SET "
	    "default_transaction_read_only = on (unless set)\n", side_name(o));
}

static bool
uses_readonly(struct orch *o)
{
	return o->cfg->drain_method == DRAIN_READONLY;
}

static const flow_step ro_flow[] = { ro_look, ro_act, NULL };
const struct step step_database_readonly = { "database.readonly",
	uses_readonly, ro_describe, ro_flow };

/* ------------------------------------------------ in-flight and kill */

static int
drain_look(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, side(o), SQL_APP_SESSIONS, 1, params);
	free(roles);
	return rc;
}

static int
drain_wait(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);

	/* In-flight transactions may finish for up to wait_seconds. */
	if (pgr_int64(prev, 0, 1, 0) == 0 ||
	    flow_waited(f) > (int64_t)(o->cfg->drain_wait_seconds * 1000))
		return FLOW_NEXT;
	return flow_back(f, 1, 10);
}

static int
kill_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	return drain_look(f, NULL);
}

static int
kill_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *roles;
	const char *params[1];
	int rc;

	if (pgr_int64(prev, 0, 0, 0) == 0)
		return FLOW_DONE;	/* nothing connected: nothing to log */
	if (orch_act(f, "terminate the application's remaining sessions",
	    SQL_TERMINATE_APP_SESSIONS) != 0)
		return FLOW_FAIL;
	roles = roles_array(o->cfg);
	params[0] = roles;
	rc = flow_query(f, side(o), SQL_TERMINATE_APP_SESSIONS, 1, params);
	free(roles);
	return rc;
}

static int
kill_verify(struct flow *f, PGresult *prev)
{
	(void)prev;
	return drain_look(f, NULL);
}

static int
kill_done(struct flow *f, PGresult *prev)
{
	/* pgbouncer's pooled connections may come back idle; a session in a
	 * transaction must not. */
	if (pgr_int64(prev, 0, 1, 0) > 0) {
		if (flow_waited(f) > 5000)
			return flow_fail(f, EXIT_RUNTIME, "application sessions still "
			    "run transactions on the %s after termination",
			    side_name(O(f)));
		return flow_back(f, 1, 20);
	}
	return FLOW_NEXT;
}

static void
drain_describe(struct orch *o, struct strbuf *out)
{
	char *roles = roles_array(o->cfg);

	sb_printf(out, "%s: wait up to %.0f s for the application's "
	    "transactions to end, then %s with $1 = '%s'\n", side_name(o),
	    o->cfg->drain_wait_seconds, SQL_TERMINATE_APP_SESSIONS, roles);
	free(roles);
}

static const flow_step drain_flow[] = { drain_look, drain_wait, kill_look,
	kill_act, kill_verify, kill_done, NULL };
const struct step step_sessions_drain = { "sessions.terminate", NULL,
	drain_describe, drain_flow };

/* ------------------------------------------------------ fence taken */

static int
fenced(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);

	(void)prev;
	if (is_target_step(o)) {
		o->st.target_fenced = true;
		return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
	}
	if (o->st.fenced)
		return FLOW_NEXT;
	o->st.fenced = true;
	o->st.armed = false;
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	if (orch_log(o, "check", NULL, &f->e, "the fence holds: no application "
	    "transaction runs on the source") != 0)
		return FLOW_FAIL;
	return FLOW_NEXT;
}

static const flow_step fenced_flow[] = { fenced, NULL };
const struct step step_fenced = { "fence.taken", NULL, NULL, fenced_flow };

/* --------------------------------------------------- the window opens */

static int
window_open(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);

	(void)prev;
	if (!o->st.armed && !o->st.fenced && o->st.fenced_at == 0)
		return flow_fail(f, EXIT_CHECK, "the run is not armed: run "
		    "sync_wait first");
	if (o->st.fenced_at != 0)
		return FLOW_NEXT;
	o->st.fenced_at = now_ms();
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	if (orch_log(o, "run.window", NULL, &f->e, "the write pause begins; the "
	    "switch must be done within %.0f s or the run undoes itself",
	    o->cfg->switch_timeout_seconds) != 0)
		return FLOW_FAIL;
	orch_switch_window_changed(o);
	return FLOW_NEXT;
}

static void
window_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "start the switch timeout: %.0f s from now until the "
	    "switch is done, or everything is undone\n",
	    o->cfg->switch_timeout_seconds);
}

static const flow_step window_flow[] = { window_open, NULL };
const struct step step_window_open = { "window.open", NULL, window_describe,
	window_flow };

/* ----------------------------------------------------------- unfence */

static bool
unfence_source_applies(struct orch *o)
{
	return o->st.fenced;
}

/* Without pgbouncer there is nothing to resume: on to what follows
 * (the unfence flow goes on with the roles and the database). */
static int
resume_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	if (O(f)->cfg->drain_method != DRAIN_PGBOUNCER &&
	    O(f)->cfg->switch_method != SWITCH_PGBOUNCER) {
		f->pc++;	/* past resume_act */
		return FLOW_NEXT;
	}
	return flow_query_simple(f, O(f)->bouncer, "SHOW DATABASES");
}

static int
resume_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	const char *db = o->cfg->pgbouncer_database;
	int r = show_row(prev, db), c = show_col(prev, "paused");
	char *sql;
	int rc;

	if (r < 0 || c < 0 || strcmp(PQgetvalue(prev, r, c), "1") != 0) {
		if (orch_already(f, "pgbouncer database not paused") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	sql = xasprintf("RESUME %s", db);
	rc = orch_act_sql(f, o->bouncer, "resume the application's pool on "
	    "pgbouncer", sql);
	free(sql);
	return rc;
}

static void
resume_describe(struct orch *o, struct strbuf *out)
{
	if (o->cfg->drain_method == DRAIN_PGBOUNCER ||
	    o->cfg->switch_method == SWITCH_PGBOUNCER)
		sb_printf(out, "pgbouncer: RESUME %s (if paused)\n",
		    o->cfg->pgbouncer_database);
}

static const flow_step resume_flow[] = { resume_look, resume_act, NULL };
const struct step step_pgbouncer_resume = { "pgbouncer.resume", NULL,
	resume_describe, resume_flow };

/* The source's roles and database setting, as they were: each role this
 * run made NOLOGIN (o->k), looked at first. */
static int
login_look(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	const char *params[1];

	(void)prev;
	if ((size_t)o->k >= o->st.nfenced_roles) {
		f->pc += 2;	/* every role done: past login_next, login_again */
		return FLOW_NEXT;
	}
	params[0] = o->st.fenced_roles[o->k];
	return flow_query(f, o->src, "SELECT coalesce((SELECT rolcanlogin FROM"
	    " pg_roles WHERE rolname = $1), true)", 1, params);
}

static int
login_next(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *sql;
	int rc;

	if (pgr_bool(prev, 0, 0)) {
		if (orch_already(f, o->st.fenced_roles[o->k]) != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	sql = sql_role_login(o->st.fenced_roles[o->k], true);
	rc = orch_act_sql(f, o->src, "allow logins of an application role "
	    "again", sql);
	free(sql);
	return rc;
}

static int
login_again(struct flow *f, PGresult *prev)
{
	(void)prev;
	O(f)->k++;
	return flow_back(f, 2, 0);	/* to login_look */
}

static int
rw_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	if (!O(f)->st.readonly_set) {
		f->pc++;	/* past rw_do */
		return FLOW_NEXT;
	}
	return ro_look(f, NULL);
}

static int
rw_do(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *sql;
	int rc;

	if (!pgr_bool(prev, 0, 1)) {
		if (orch_already(f, "database writable by default") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	sql = sql_database_readonly(pgr_value(prev, 0, 0), false);
	rc = orch_act_sql(f, o->src, "make new transactions writable again",
	    sql);
	free(sql);
	return rc;
}

static int
unfenced(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);

	(void)prev;
	state_clear_fenced_roles(&o->st);
	o->st.readonly_set = false;
	o->st.fenced = false;
	o->st.fenced_at = 0;
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	orch_switch_window_changed(o);
	return orch_log(o, "check", NULL, &f->e, "the source is writable again") ?
	    FLOW_FAIL : FLOW_NEXT;
}

static void
unfence_describe(struct orch *o, struct strbuf *out)
{
	size_t i;

	resume_describe(o, out);
	for (i = 0; i < o->st.nfenced_roles; i++) {
		char *sql = sql_role_login(o->st.fenced_roles[i], true);

		sb_printf(out, "source: %s\n", sql);
		free(sql);
	}
	if (o->cfg->drain_method == DRAIN_TERMINATE && o->st.nfenced_roles == 0)
		sb_puts(out, "source: ALTER ROLE ... LOGIN for the roles this run "
		    "made NOLOGIN\n");
	if (o->st.readonly_set || o->cfg->drain_method == DRAIN_READONLY)
		sb_puts(out, "source: ALTER DATABASE <this database> RESET "
		    "default_transaction_read_only (if this run set it)\n");
}

static const flow_step unfence_flow[] = { resume_look, resume_act,
	login_look, login_next, login_again, rw_look, rw_do, unfenced, NULL };
const struct step step_unfence_source = { "source.unfence",
	unfence_source_applies, unfence_describe, unfence_flow };

/* When the application never wrote on the target, the source is made
 * writable first: nothing on the target side (down, perhaps) can then
 * keep it fenced. */
static bool
unfence_source_early_applies(struct orch *o)
{
	return o->st.fenced && o->st.switched_at == 0;
}

const struct step step_unfence_source_early = { "source.unfence",
	unfence_source_early_applies, unfence_describe, unfence_flow };

/* The target after a rollback: fenced for the next attempt's switch to
 * open again. */
static bool
unfence_target_applies(struct orch *o)
{
	return o->st.target_fenced && !o->rolling_back;
}

static int
tlogin_look(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, o->dst, "SELECT rolname FROM pg_roles"
	    " WHERE rolname = ANY($1::text[]) AND NOT rolcanlogin", 1, params);
	free(roles);
	return rc;
}

static int
tlogin_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	struct strbuf sb;
	int r;

	if (o->cfg->drain_method == DRAIN_TERMINATE) {
		sb_init(&sb);
		for (r = 0; r < PQntuples(prev); r++) {
			char *sql = sql_role_login(pgr_value(prev, r, 0), true);

			sb_printf(&sb, "%s; ", sql);
			free(sql);
		}
		if (sb.len > 0) {
			if (orch_act(f, "allow the application's logins on the target",
			    sb.buf) != 0) {
				sb_free(&sb);
				return FLOW_FAIL;
			}
			flow_query_simple(f, o->dst, sb.buf);
			sb_free(&sb);
			return FLOW_QUERY;
		}
		sb_free(&sb);
	} else if (o->cfg->drain_method == DRAIN_READONLY) {
		if (orch_act(f, "make the target writable again", "ALTER DATABASE "
		    "<this database> RESET default_transaction_read_only") != 0)
			return FLOW_FAIL;
		return flow_query_simple(f, o->dst, "DO $$ BEGIN EXECUTE format("
		    "'ALTER DATABASE %I RESET default_transaction_read_only',"
		    " current_database()); END $$");
	}
	return FLOW_NEXT;
}

static int
tlogin_done(struct flow *f, PGresult *prev)
{
	(void)prev;
	O(f)->st.target_fenced = false;
	return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static void
tlogin_describe(struct orch *o, struct strbuf *out)
{
	(void)o;
	sb_puts(out, "target: lift the fence a rollback put there (roles LOGIN "
	    "or RESET default_transaction_read_only)\n");
}

static const flow_step tlogin_flow[] = { tlogin_look, tlogin_act, tlogin_done,
	NULL };
const struct step step_unfence_target = { "target.unfence",
	unfence_target_applies, tlogin_describe, tlogin_flow };

/* ------------------------------------------- the target, in a rollback */

static bool
after_switch(struct orch *o)
{
	return o->st.switched;
}

static bool
after_switch_pgbouncer(struct orch *o)
{
	return o->st.switched && uses_pgbouncer(o);
}

static bool
after_switch_terminate(struct orch *o)
{
	return o->st.switched && uses_terminate(o);
}

static bool
after_switch_readonly(struct orch *o)
{
	return o->st.switched && uses_readonly(o);
}

const struct step step_target_pause = { "target.pause",
	after_switch_pgbouncer, pause_describe, pause_flow };
const struct step step_target_nologin = { "target.nologin",
	after_switch_terminate, nologin_describe, nologin_flow };
const struct step step_target_readonly = { "target.readonly",
	after_switch_readonly, ro_describe, ro_flow };
const struct step step_target_drain = { "target.terminate", after_switch,
	drain_describe, drain_flow };
const struct step step_target_fenced = { "target.fenced", after_switch, NULL,
	fenced_flow };
