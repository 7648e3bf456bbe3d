/* step-fence.c - fencing writes and draining the application's
 * connections, and their exact undo.
 *
 * Whatever [drain] method, the source is fenced at the database for the
 * application: the [drain] roles become NOLOGIN and their sessions end.
 * The method adds to that:
 *   pgbouncer  PAUSE the database on pgbouncer first (clients wait, they
 *              do not fail); after wait_seconds of pgbouncer answering,
 *              sessions still in a transaction are terminated;
 *   terminate  nothing more;
 *   readonly   ALTER DATABASE ... SET default_transaction_read_only
 *              (advisory: any session can turn it off).
 * Sessions of other roles are listed, and those holding writes waited for
 * or terminated ([drain] other_writers); prepared transactions block the
 * fence. The proof that it held is in step-proof.c.
 *
 * Every step exists for the source and, in a rollback after the
 * application wrote on the target, for the target (struct step's side):
 * explicit variants, not a test of where the run is. What a step changes
 * is recorded in state.json before it changes it, so the undo restores
 * exactly that. */
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
/* After PAUSE's wait: only sessions in a transaction, the ones holding
 * PAUSE back (an idle pooled connection harms nothing). */
static const char SQL_TERMINATE_APP_TRANSACTIONS[] =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()"
    " AND backend_type = 'client backend' AND xact_start IS NOT NULL"
    " AND state IN ('active', 'idle in transaction',"
    " 'idle in transaction (aborted)')";

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
uses_pgbouncer(struct orch *o)
{
	return o->cfg->drain_method == DRAIN_PGBOUNCER;
}

static bool
uses_readonly(struct orch *o)
{
	return o->cfg->drain_method == DRAIN_READONLY;
}

/* ---------------------------------------------------- pgbouncer PAUSE */

static bool
show_paused(const PGresult *res, const char *db)
{
	int r = pgbouncer_show_row(res, db), c = PQfnumber(res, "paused");

	return r >= 0 && c >= 0 && strcmp(PQgetvalue(res, r, c), "1") == 0;
}

/* PAUSE's clock: it counts only the time pgbouncer answers (a second
 * admin connection asks SHOW VERSION four times a second). While
 * pgbouncer is frozen the application's transactions cannot end either,
 * so that time is not held against them. */
struct pause_clock {
	struct orch *o;
	struct pg *probe;
	struct pg *db;             /* where transactions are terminated */
	const char *side;
	struct loop_timer *tick;
	int64_t credited_to;       /* mono ms counted up to here */
	int64_t answered_ms;
	int64_t sent_at;
	int64_t next_act_ms;       /* answered time of the next termination */
	bool probing;
};

#define PAUSE_TICK_MS 250
#define PAUSE_PROBE_MS 1000        /* slower than this: not answering */

static void
clock_cancel(void *arg)
{
	struct pause_clock *k = arg;

	if (k->tick != NULL)
		loop_timer_cancel(k->tick);
	pg_free(k->probe);
}

static const struct step_data_def pause_data = {
	sizeof (struct pause_clock), clock_cancel, NULL
};

static void
clock_terminated(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct orch *o = arg;
	cJSON *d = cJSON_CreateObject();

	(void)c;
	if (res != NULL)
		cJSON_AddNumberToObject(d, "terminated", (double)pgr_int64(res, 0,
		    0, 0));
	else
		cJSON_AddStringToObject(d, "error", error);
	orch_log(o, "check", d, NULL, "%s", res != NULL ?
	    "sessions in a transaction terminated so that PAUSE completes" :
	    "terminating the sessions in a transaction failed");
}

static void clock_tick(struct loop_timer *t, void *arg);

static void
clock_answer(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct pause_clock *k = arg;
	struct orch *o = k->o;
	int64_t now = mono_ms();

	(void)c;
	(void)error;
	k->probing = false;
	if (res != NULL && now - k->sent_at <= PAUSE_PROBE_MS)
		k->answered_ms += now - k->credited_to;
	k->credited_to = now;
	if (k->answered_ms < k->next_act_ms)
		return;
	/* A transaction still open after wait_seconds holds PAUSE back: its
	 * session goes (it fails; the others only wait). */
	k->next_act_ms += (int64_t)(o->cfg->drain_wait_seconds * 1000) + 1000;
	{
		char *roles = roles_array(o->cfg);
		const char *params[1] = { roles };

		orch_log(o, "action", NULL, NULL, "PAUSE still waits after %.0f s "
		    "of pgbouncer answering: terminating the application's "
		    "sessions in a transaction on the %s (only those)",
		    (double)k->answered_ms / 1000.0, k->side);
		pg_query(k->db, SQL_TERMINATE_APP_TRANSACTIONS, 1, params,
		    clock_terminated, o);
		free(roles);
	}
}

static void
clock_tick(struct loop_timer *t, void *arg)
{
	struct pause_clock *k = arg;

	(void)t;
	k->tick = loop_timer_add(k->o->loop, PAUSE_TICK_MS, clock_tick, k);
	if (k->probing) {
		/* No answer yet: time since the last answer is not counted. */
		if (mono_ms() - k->sent_at > PAUSE_PROBE_MS)
			k->credited_to = mono_ms();
		return;
	}
	k->probing = true;
	k->sent_at = mono_ms();
	pg_query_simple(k->probe, "SHOW VERSION", clock_answer, k);
}

static void
clock_start(struct orch *o)
{
	struct pause_clock *k = orch_step_data(o);
	struct pg_opts po = { o->cfg->pgbouncer_admin, "pgbouncer", 0,
	    PAUSE_PROBE_MS + 1000, 2000, true, false };

	k->o = o;
	k->db = orch_side(o);
	k->side = orch_side_name(o);
	k->probe = pg_new(o->loop, &po);
	k->credited_to = mono_ms();
	k->next_act_ms = (int64_t)(o->cfg->drain_wait_seconds * 1000);
	k->tick = loop_timer_add(o->loop, 0, clock_tick, k);
}

static int
pause_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

static int
pause_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *db = o->cfg->pgbouncer_database;
	char *sql;

	if (pgbouncer_show_row(prev, db) < 0)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer has no database %s "
		    "([drain] pgbouncer_database)", db);
	if (show_paused(prev, db)) {
		if (orch_already(f, "pgbouncer database paused") != 0)
			return FLOW_FAIL;
		f->pc++;	/* skip the wait for PAUSE's answer */
		return FLOW_NEXT;
	}
	sql = xasprintf("PAUSE %s", db);
	if (orch_act(f, orch_on_target(o) ? "pause the application's pool on "
	    "pgbouncer (it points at the target; clients wait)" : "pause the "
	    "application's pool on pgbouncer (clients wait, they do not fail)",
	    sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	clock_start(o);
	flow_query_simple(f, o->bouncer, sql);
	free(sql);
	return FLOW_QUERY;
}

static int
pause_paused(struct flow *f, PGresult *prev)
{
	(void)f;
	(void)prev;
	return FLOW_NEXT;
}

static void
pause_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "pgbouncer: PAUSE %s (clients wait; after %.0f s of "
	    "pgbouncer answering, sessions still in a transaction on the %s are "
	    "terminated, and only those)\n", o->cfg->pgbouncer_database,
	    o->cfg->drain_wait_seconds, orch_side_name(o));
}

static const flow_step pause_flow[] = { pause_look, pause_act, pause_paused,
	NULL };
const struct step step_pgbouncer_pause = { "pgbouncer.pause", uses_pgbouncer,
	pause_describe, pause_flow, SIDE_SOURCE, false, &pause_data };

/* ------------------------------------------------------------ NOLOGIN */

static int
nologin_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, orch_side(o), "SELECT r, coalesce((SELECT rolcanlogin"
	    " FROM pg_roles WHERE rolname = r), false),"
	    " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)"
	    " FROM unnest($1::text[]) AS r", 1, params);
	free(roles);
	return rc;
}

/* The roles as looked at (name, can log in, exists), and the one at. */
struct nologin_walk {
	PGresult *roles;
	int k;
};

static void
nologin_cancel(void *data)
{
	struct nologin_walk *w = data;

	PQclear(w->roles);
}

static const struct step_data_def nologin_data = {
	sizeof (struct nologin_walk), nologin_cancel, NULL
};

/* Loops over the roles (w->k), one ALTER ROLE a time. */
static int
nologin_next(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct nologin_walk *w = orch_step_data(o);
	const char *role;
	char *sql;

	if (prev != NULL) {
		if (w->roles != NULL)
			PQclear(w->roles);
		w->roles = flow_keep(f);
		w->k = 0;
	}
	for (; w->k < PQntuples(w->roles); w->k++) {
		role = pgr_value(w->roles, w->k, 0);
		if (!pgr_bool(w->roles, w->k, 2))
			return flow_fail(f, EXIT_CHECK, "role %s does not exist on the "
			    "%s ([drain] roles)", role, orch_side_name(o));
		if (pgr_bool(w->roles, w->k, 1))
			break;
		if (orch_already(f, role) != 0)
			return FLOW_FAIL;
	}
	if (w->k >= PQntuples(w->roles))
		return FLOW_DONE;
	role = pgr_value(w->roles, w->k, 0);
	/* Recorded before the change: the undo gives back exactly this. */
	if (orch_on_target(o))
		state_roles_add(&o->st.target_fenced_roles,
		    &o->st.ntarget_fenced_roles, role);
	else
		state_add_fenced_role(&o->st, role);
	sql = sql_role_login(role, false);
	if (orch_act(f, orch_on_target(o) ? "stop new logins of an application "
	    "role on the target" : "stop new logins of an application role "
	    "(the database fence)", sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	flow_query_simple(f, orch_side(o), sql);
	free(sql);
	return FLOW_QUERY;
}

static int
nologin_again(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct nologin_walk *w = orch_step_data(o);

	(void)prev;
	w->k++;
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
		    orch_side_name(o), sql);
		free(sql);
	}
}

/* nologin_again goes back to nologin_next with FLOW_NEXT: nologin_next
 * then sees prev == NULL and goes on with the next role. */
static const flow_step nologin_flow[] = { nologin_look, nologin_next,
	nologin_again, NULL };
const struct step step_roles_nologin = { "roles.nologin", NULL,
	nologin_describe, nologin_flow, SIDE_SOURCE, false, &nologin_data };

/* ----------------------------------------------------------- readonly */

static int
ro_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, orch_side(o), "SELECT current_database(), EXISTS ("
	    "SELECT 1 FROM pg_db_role_setting s JOIN pg_database d"
	    " ON d.oid = s.setdatabase WHERE d.datname = current_database()"
	    " AND s.setrole = 0"
	    " AND 'default_transaction_read_only=on' = ANY (s.setconfig))",
	    0, NULL);
}

static int
ro_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *sql;

	if (pgr_bool(prev, 0, 1)) {
		if (orch_already(f, "database is read-only by default") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	if (orch_on_target(o))
		o->st.target_readonly_set = true;
	else
		o->st.readonly_set = true;
	sql = sql_database_readonly(pgr_value(prev, 0, 0), true);
	if (orch_act(f, "make new transactions read-only (advisory)", sql) != 0) {
		free(sql);
		return FLOW_FAIL;
	}
	flow_query_simple(f, orch_side(o), sql);
	free(sql);
	return FLOW_QUERY;
}

static void
ro_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "%s: ALTER DATABASE <this database> SET "
	    "default_transaction_read_only = on (unless set; advisory)\n",
	    orch_side_name(o));
}

static const flow_step ro_flow[] = { ro_look, ro_act, NULL };
const struct step step_database_readonly = { "database.readonly",
	uses_readonly, ro_describe, ro_flow, SIDE_SOURCE, false, NULL };

/* ------------------------------------------------ in-flight and kill */

static int
drain_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles = roles_array(o->cfg);
	const char *params[1] = { roles };
	int rc;

	(void)prev;
	rc = flow_query(f, orch_side(o), SQL_APP_SESSIONS, 1, params);
	free(roles);
	return rc;
}

static int
drain_wait(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

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

/* The roles cannot log in any more: their remaining sessions (direct
 * connections: pgbouncer's were closed by PAUSE) end, so none is left to
 * write later. */
static int
kill_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles;
	const char *params[1];
	int rc;

	if (pgr_int64(prev, 0, 0, 0) == 0)
		return FLOW_DONE;	/* nothing connected: nothing to log */
	if (orch_act(f, "terminate the application roles' remaining sessions "
	    "(they cannot log in again)", SQL_TERMINATE_APP_SESSIONS) != 0)
		return FLOW_FAIL;
	roles = roles_array(o->cfg);
	params[0] = roles;
	rc = flow_query(f, orch_side(o), SQL_TERMINATE_APP_SESSIONS, 1, params);
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
	struct orch *o = f->ctx;

	if (pgr_int64(prev, 0, 0, 0) > 0) {
		if (flow_waited(f) > 5000)
			return flow_fail(f, EXIT_RUNTIME, "%lld sessions of the "
			    "application roles are still on the %s after they were "
			    "terminated", (long long)pgr_int64(prev, 0, 0, 0),
			    orch_side_name(o));
		return flow_back(f, 1, 20);
	}
	return FLOW_NEXT;
}

static void
drain_describe(struct orch *o, struct strbuf *out)
{
	char *roles = roles_array(o->cfg);

	sb_printf(out, "%s: wait up to %.0f s for the application roles' "
	    "transactions to end, then end their sessions: %s with $1 = '%s'\n",
	    orch_side_name(o), o->cfg->drain_wait_seconds, SQL_TERMINATE_APP_SESSIONS,
	    roles);
	free(roles);
}

static const flow_step drain_flow[] = { drain_look, drain_wait, kill_look,
	kill_act, kill_verify, kill_done, NULL };
const struct step step_sessions_drain = { "sessions.terminate", NULL,
	drain_describe, drain_flow, SIDE_SOURCE, false, NULL };

/* ------------------------------------------------------ other writers */

/* Sessions the [drain] roles do not cover: other non-superuser,
 * non-replication roles' client sessions in this database (not cutover's
 * own). Columns: pid, role, application_name, client, writing. */
static const char SQL_OTHER_SESSIONS[] =
    "SELECT a.pid, a.usename, coalesce(a.application_name, ''),"
    " coalesce(host(a.client_addr) || ':' || a.client_port, 'local'),"
    " a.backend_xid IS NOT NULL"
    " FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid"
    " WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()"
    " AND a.datname = current_database()"
    " AND coalesce(a.application_name, '') <> 'cutover'"
    " AND NOT r.rolsuper AND NOT r.rolreplication"
    " AND NOT (a.usename = ANY($1::text[])) ORDER BY a.pid";
static const char SQL_PREPARED[] =
    "SELECT gid, owner, prepared::text FROM pg_prepared_xacts"
    " WHERE database = current_database() ORDER BY prepared";

static int
others_prepared(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query(f, o->src, SQL_PREPARED, 0, NULL);
}

static int
others_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles;
	const char *params[1];
	int rc;

	/* A prepared transaction commits whenever its owner says so: after
	 * the fence, its writes would be lost. It blocks the fence. */
	if (prev != NULL && PQntuples(prev) > 0) {
		struct strbuf sb;
		int r;

		sb_init(&sb);
		for (r = 0; r < PQntuples(prev) && r < 10; r++)
			sb_printf(&sb, "%s'%s' (owner %s, prepared %s)", r ? ", " : "",
			    pgr_value(prev, r, 0), pgr_value(prev, r, 1),
			    pgr_value(prev, r, 2));
		flow_fail(f, EXIT_CHECK, "prepared transactions hold writes on the "
		    "source: %s; COMMIT PREPARED or ROLLBACK PREPARED them, then "
		    "run again", sb.buf);
		sb_free(&sb);
		return FLOW_FAIL;
	}
	roles = roles_array(o->cfg);
	params[0] = roles;
	rc = flow_query(f, o->src, SQL_OTHER_SESSIONS, 1, params);
	free(roles);
	return rc;
}

static void
sessions_text(const PGresult *res, bool writing_only, struct strbuf *sb)
{
	int r, n = 0;

	for (r = 0; r < PQntuples(res); r++) {
		if (writing_only && !pgr_bool(res, r, 4))
			continue;
		if (n++ >= 10) {
			sb_puts(sb, ", ...");
			break;
		}
		sb_printf(sb, "%srole %s, application_name '%s', client %s (pid %s)",
		    n > 1 ? "; " : "", pgr_value(res, r, 1), pgr_value(res, r, 2),
		    pgr_value(res, r, 3), pgr_value(res, r, 0));
	}
}

static int
count_writing(const PGresult *res)
{
	int r, n = 0;

	for (r = 0; r < PQntuples(res); r++)
		if (pgr_bool(res, r, 4))
			n++;
	return n;
}

static int
others_judge(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct strbuf sb;
	int writing = count_writing(prev);
	cJSON *d;

	if (PQntuples(prev) > 0 && f->tries++ == 0) {
		/* Named once: not fenced by NOLOGIN, watched by the proof. */
		sb_init(&sb);
		sessions_text(prev, false, &sb);
		d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "sessions", PQntuples(prev));
		cJSON_AddNumberToObject(d, "writing", writing);
		cJSON_AddStringToObject(d, "detail", sb.buf);
		if (orch_log(o, "check", d, &f->e, "sessions of roles not in [drain] "
		    "roles are on the source (the proof will show whether they "
		    "write): %s", sb.buf) != 0) {
			sb_free(&sb);
			return FLOW_FAIL;
		}
		sb_free(&sb);
	}
	if (writing == 0)
		return FLOW_DONE;
	if (flow_waited(f) <= (int64_t)(o->cfg->drain_wait_seconds * 1000))
		return flow_back(f, 1, 50);
	sb_init(&sb);
	sessions_text(prev, true, &sb);
	if (o->cfg->other_writers != OTHER_WRITERS_TERMINATE) {
		flow_fail(f, EXIT_CHECK, "sessions of roles not in [drain] roles "
		    "still hold writes after %.0f s: %s; end them, add their roles "
		    "to [drain] roles, or set [drain] other_writers = terminate",
		    o->cfg->drain_wait_seconds, sb.buf);
		sb_free(&sb);
		return FLOW_FAIL;
	}
	if (orch_act(f, "terminate the sessions of other roles that hold writes "
	    "([drain] other_writers = terminate)", sb.buf) != 0) {
		sb_free(&sb);
		return FLOW_FAIL;
	}
	sb_free(&sb);
	{
		struct strbuf pids;
		const char *params[1];
		int r, rc;

		sb_init(&pids);
		sb_putc(&pids, '{');
		for (r = 0; r < PQntuples(prev); r++)
			if (pgr_bool(prev, r, 4))
				sb_printf(&pids, "%s%s", pids.len > 1 ? "," : "",
				    pgr_value(prev, r, 0));
		sb_putc(&pids, '}');
		params[0] = pids.buf;
		rc = flow_query(f, o->src, "SELECT count(pg_terminate_backend(p))"
		    " FROM unnest($1::int[]) AS p", 1, params);
		sb_free(&pids);
		return rc;
	}
}

static int
others_gone(struct flow *f, PGresult *prev)
{
	(void)f;
	(void)prev;
	return FLOW_NEXT;
}

static void
others_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "source: no prepared transaction (else stop); name the "
	    "sessions of other non-superuser roles; wait up to %.0f s for those "
	    "holding writes, then %s\n", o->cfg->drain_wait_seconds,
	    o->cfg->other_writers == OTHER_WRITERS_TERMINATE ?
	    "terminate them" : "stop (other_writers = wait)");
}

static const flow_step others_flow[] = { others_prepared, others_look,
	others_judge, others_gone, NULL };
const struct step step_fence_others = { "fence.others", NULL,
	others_describe, others_flow, SIDE_SOURCE, false, NULL };

/* ------------------------------------------------------ fence taken */

/* The claim is checked before it is logged: the roles cannot log in, none
 * of their sessions is left, pgbouncer is paused, the proof slot is there. */
static int
held_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *roles = roles_array(o->cfg);
	const char *params[2] = { roles, o->st.fence_slot };
	int rc;

	(void)prev;
	rc = flow_query(f, o->src, "SELECT"
	    " (SELECT count(*) FROM pg_roles WHERE rolname = ANY($1::text[])"
	    "  AND rolcanlogin),"
	    " (SELECT count(*) FROM pg_stat_activity WHERE usename ="
	    "  ANY($1::text[]) AND backend_type = 'client backend'),"
	    " EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $2)",
	    2, params);
	free(roles);
	return rc;
}

static int
held_bouncer(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (pgr_int64(prev, 0, 0, 0) > 0)
		return flow_fail(f, EXIT_RUNTIME, "the fence does not hold: %lld of "
		    "the [drain] roles can still log in on the source",
		    (long long)pgr_int64(prev, 0, 0, 0));
	if (pgr_int64(prev, 0, 1, 0) > 0)
		return flow_fail(f, EXIT_RUNTIME, "the fence does not hold: %lld "
		    "sessions of the [drain] roles are on the source",
		    (long long)pgr_int64(prev, 0, 1, 0));
	if (!pgr_bool(prev, 0, 2))
		return flow_fail(f, EXIT_RUNTIME, "the proof slot %s is not on the "
		    "source", o->st.fence_slot != NULL ? o->st.fence_slot : "?");
	if (!uses_pgbouncer(o))
		return FLOW_NEXT;	/* held() with no SHOW DATABASES to read */
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

static int
held(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (prev != NULL && !show_paused(prev, o->cfg->pgbouncer_database))
		return flow_fail(f, EXIT_RUNTIME, "the fence does not hold: "
		    "pgbouncer's %s is not paused", o->cfg->pgbouncer_database);
	if (!o->st.fenced) {
		o->st.fenced = true;
		o->st.armed = false;
		if (orch_save(f) != 0)
			return FLOW_FAIL;
	}
	if (orch_log(o, "check", NULL, &f->e, "the fence holds: the [drain] "
	    "roles cannot log in and none of their sessions is left%s; the "
	    "proof slot %s records every commit from here",
	    uses_pgbouncer(o) ? ", pgbouncer is paused" : "",
	    o->st.fence_slot) != 0)
		return FLOW_FAIL;
	return FLOW_NEXT;
}

static const flow_step fenced_flow[] = { held_look, held_bouncer, held,
	NULL };
const struct step step_fenced = { "fence.taken", NULL, NULL, fenced_flow,
	SIDE_SOURCE, false, NULL };

/* --------------------------------------------------- the window opens */

static int
window_open(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (!o->st.armed && !o->st.fenced && o->st.fenced_at == 0)
		return flow_fail(f, EXIT_CHECK, "the run is not armed: run "
		    "sync_wait first");
	if (o->st.fenced_at != 0)
		return FLOW_NEXT;
	/* Recorded before the first fencing action: from here a rollback
	 * looks at pgbouncer and the roles, whatever a crash left. */
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
	window_flow, SIDE_SOURCE, false, NULL };

/* ----------------------------------------------------------- RESUME */

static int
resume_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

static int
resume_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *sql;
	int rc;

	if (!show_paused(prev, o->cfg->pgbouncer_database)) {
		if (orch_already(f, "pgbouncer database not paused") != 0)
			return FLOW_FAIL;
		f->pc += 2;	/* past resume_verify and resume_done */
		return FLOW_NEXT;
	}
	sql = xasprintf("RESUME %s", o->cfg->pgbouncer_database);
	rc = orch_act_sql(f, o->bouncer, "resume the application's pool on "
	    "pgbouncer", sql);
	free(sql);
	return rc;
}

static int
resume_verify(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

static int
resume_done(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (show_paused(prev, o->cfg->pgbouncer_database))
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer's %s is still paused "
		    "after RESUME", o->cfg->pgbouncer_database);
	return FLOW_NEXT;
}

static void
resume_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "pgbouncer: RESUME %s (if paused)\n",
	    o->cfg->pgbouncer_database);
}

static const flow_step resume_flow[] = { resume_look, resume_act,
	resume_verify, resume_done, NULL };
const struct step step_pgbouncer_resume = { "pgbouncer.resume",
	uses_pgbouncer, resume_describe, resume_flow, SIDE_SOURCE, false, NULL };
const struct step step_pgbouncer_resume_giveback = { "pgbouncer.resume",
	uses_pgbouncer, resume_describe, resume_flow, SIDE_TARGET, false, NULL };

/* ----------------------------------------------------- login, again */

/* The role of fenced_roles() at. */
struct login_walk {
	size_t k;
};

static const struct step_data_def login_data = {
	sizeof (struct login_walk), NULL, NULL
};

/* The roles this run made NOLOGIN on a side (login_walk loops over
 * them), each looked at first. */
static char **
fenced_roles(struct orch *o, size_t *n)
{
	if (orch_on_target(o)) {
		*n = o->st.ntarget_fenced_roles;
		return o->st.target_fenced_roles;
	}
	*n = o->st.nfenced_roles;
	return o->st.fenced_roles;
}

static int
login_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct login_walk *w = orch_step_data(o);
	const char *params[1];
	size_t n;
	char **roles = fenced_roles(o, &n);

	(void)prev;
	if (w->k >= n) {
		f->pc += 2;	/* every role done: past login_next, login_again */
		return FLOW_NEXT;
	}
	params[0] = roles[w->k];
	return flow_query(f, orch_side(o), "SELECT coalesce((SELECT rolcanlogin FROM"
	    " pg_roles WHERE rolname = $1), true)", 1, params);
}

static int
login_next(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct login_walk *w = orch_step_data(o);
	size_t n;
	char **roles = fenced_roles(o, &n), *sql;
	int rc;

	if (pgr_bool(prev, 0, 0)) {
		if (orch_already(f, roles[w->k]) != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	sql = sql_role_login(roles[w->k], true);
	rc = orch_act_sql(f, orch_side(o), orch_on_target(o) ? "allow logins of an "
	    "application role on the target again (a rollback had stopped them)"
	    : "allow logins of an application role again", sql);
	free(sql);
	return rc;
}

static int
login_again(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct login_walk *w = orch_step_data(o);

	(void)prev;
	w->k++;
	return flow_back(f, 2, 0);	/* to login_look */
}

static int
rw_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (!(orch_on_target(o) ? o->st.target_readonly_set : o->st.readonly_set)) {
		f->pc++;	/* past rw_do */
		return FLOW_NEXT;
	}
	return ro_look(f, NULL);
}

static int
rw_do(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	char *sql;
	int rc;

	if (!pgr_bool(prev, 0, 1)) {
		if (orch_already(f, "database writable by default") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	sql = sql_database_readonly(pgr_value(prev, 0, 0), false);
	rc = orch_act_sql(f, orch_side(o), "make new transactions writable again",
	    sql);
	free(sql);
	return rc;
}

/* The claim "the source is writable" is checked before it is logged. */
static int
writable_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	size_t n;
	char **roles = fenced_roles(o, &n);
	char *arr = pg_array_literal(roles, n);
	const char *params[1] = { arr };
	int rc;

	(void)prev;
	rc = flow_query(f, orch_side(o), "SELECT count(*) FROM pg_roles WHERE rolname"
	    " = ANY($1::text[]) AND NOT rolcanlogin", 1, params);
	free(arr);
	return rc;
}

static int
writable_done(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (pgr_int64(prev, 0, 0, 0) > 0)
		return flow_fail(f, EXIT_RUNTIME, "%lld of the roles this run "
		    "fenced still cannot log in on the %s",
		    (long long)pgr_int64(prev, 0, 0, 0), orch_side_name(o));
	if (orch_on_target(o)) {
		state_roles_clear(&o->st.target_fenced_roles,
		    &o->st.ntarget_fenced_roles);
		o->st.target_readonly_set = false;
		o->st.target_fenced = false;
		return orch_save(f) != 0 ? FLOW_FAIL : FLOW_NEXT;
	}
	o->st.fenced = false;
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	return FLOW_NEXT;
}

/* Source: the roles first, then RESUME (else pgbouncer's new connections
 * as a NOLOGIN role would fail the clients). */
static int
unfence_resume(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (!uses_pgbouncer(o)) {
		f->pc += 3;	/* past the RESUME steps, to unfenced */
		return FLOW_NEXT;
	}
	return resume_look(f, NULL);
}

static int
unfenced(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	o->st.fenced_at = 0;
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	orch_switch_window_changed(o);
	return orch_log(o, "check", NULL, &f->e, "the source is writable again: "
	    "the roles this run fenced can log in%s",
	    uses_pgbouncer(o) ? " and pgbouncer is not paused" : "") ?
	    FLOW_FAIL : FLOW_NEXT;
}

static void
unfence_describe(struct orch *o, struct strbuf *out)
{
	size_t i, n;
	char **roles = fenced_roles(o, &n);

	for (i = 0; i < n; i++) {
		char *sql = sql_role_login(roles[i], true);

		sb_printf(out, "%s: %s\n", orch_side_name(o), sql);
		free(sql);
	}
	if (n == 0 && !orch_on_target(o))
		sb_puts(out, "source: ALTER ROLE ... LOGIN for each role this run "
		    "made NOLOGIN (none so far)\n");
	if (orch_on_target(o) ? o->st.target_readonly_set : o->st.readonly_set)
		sb_printf(out, "%s: ALTER DATABASE <this database> RESET "
		    "default_transaction_read_only\n", orch_side_name(o));
	if (!orch_on_target(o) && uses_pgbouncer(o))
		resume_describe(o, out);
}

static bool
fence_begun(struct orch *o)
{
	return o->st.fenced || o->st.fenced_at != 0 || o->st.nfenced_roles > 0 ||
	    o->st.readonly_set;
}

static const flow_step unfence_flow[] = { login_look, login_next,
	login_again, rw_look, rw_do, writable_look, writable_done,
	unfence_resume, resume_act, resume_verify, resume_done, unfenced, NULL };
const struct step step_unfence_source = { "source.unfence", fence_begun,
	unfence_describe, unfence_flow, SIDE_SOURCE, false, &login_data };

/* The target's fence from an earlier attempt's rollback, lifted exactly
 * (the roles it recorded) before the application goes there. */
static bool
target_unfence_applies(struct orch *o)
{
	return o->st.ntarget_fenced_roles > 0 || o->st.target_readonly_set;
}

static const flow_step tunfence_flow[] = { login_look, login_next,
	login_again, rw_look, rw_do, writable_look, writable_done, NULL };
const struct step step_unfence_target = { "target.unfence",
	target_unfence_applies, unfence_describe, tunfence_flow, SIDE_TARGET,
	false, &login_data };
const struct step step_target_unfence_giveback = { "target.unfence",
	target_unfence_applies, unfence_describe, tunfence_flow, SIDE_TARGET,
	false, &login_data };

/* ------------------------------------------- the target, in a rollback */

static bool
rollback_on_target(struct orch *o)
{
	return o->st.rollback_on_target;
}

static bool
rollback_on_target_pgbouncer(struct orch *o)
{
	return o->st.rollback_on_target && uses_pgbouncer(o);
}

static bool
rollback_on_target_readonly(struct orch *o)
{
	return o->st.rollback_on_target && uses_readonly(o);
}

const struct step step_target_pause = { "target.pause",
	rollback_on_target_pgbouncer, pause_describe, pause_flow, SIDE_TARGET,
	false, &pause_data };
const struct step step_target_nologin = { "target.nologin",
	rollback_on_target, nologin_describe, nologin_flow, SIDE_TARGET, false,
	&nologin_data };
const struct step step_target_readonly = { "target.readonly",
	rollback_on_target_readonly, ro_describe, ro_flow, SIDE_TARGET, false, NULL };
const struct step step_target_drain = { "target.terminate",
	rollback_on_target, drain_describe, drain_flow, SIDE_TARGET, false, NULL };
