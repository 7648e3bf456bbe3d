/* step-ready.c - sync_wait's readiness check before arming: the way back
 * and the switch's means are proven before the fence, not discovered
 * inside the write pause. Each item is ok, failed (it blocks arming and
 * names what to fix) or not checked (said, never answered ok):
 *
 *   reverse replication can be created (postgres: the target's wal_level,
 *     a free slot and WAL sender there, the privileges for the reverse
 *     publication on the target and subscription on the source, the
 *     source reaching the target with the reverse conninfo, tested with
 *     dblink when the source has it; dms: the reverse task exists, is
 *     stopped, and its source endpoint names the slot)
 *   pgbouncer's admin console answers and has the database entry
 *   the switch command exists and is executable
 *   every [drain] role that logs in on the source can log in on the target
 *
 * The checks run at once, each on its own query; the results go to
 * state.json (the phases pane shows them), the event log and `run`'s
 * output. Nothing is changed anywhere. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orch-internal.h"

enum {
	R_WAL, R_SLOT, R_SENDER, R_PUB, R_SUB, R_REACH, R_DMS, R_BOUNCER,
	R_COMMAND, R_ROLES, R_COUNT
};

static const char *const item_names[R_COUNT] = {
	"target wal_level = logical",
	"a free replication slot on the target",
	"a free WAL sender on the target",
	"privileges to create the reverse publication on the target",
	"privileges to create the reverse subscription on the source",
	"the source reaches the target (reverse conninfo)",
	"the reverse DMS task exists, is stopped, its endpoint names the slot",
	"pgbouncer's admin console answers and has the database entry",
	"the switch command exists and is executable",
	"every [drain] role can log in on the target",
};

struct ready {
	struct orch *o;
	struct flow *f;
	int pending;              /* checks in flight */
	bool abandoned;           /* the step went away: free when idle */
	bool starting;            /* still sending: nothing ends yet */
	bool used[R_COUNT];
	int status[R_COUNT];
	char *detail[R_COUNT];
	char *dblink;             /* the schema of dblink on the source */
	char **active;            /* [drain] roles that log in on the source */
	size_t nactive;
	struct provider_check pc;
};

static void
ready_free(struct ready *r)
{
	int i;

	for (i = 0; i < R_COUNT; i++)
		free(r->detail[i]);
	free(r->dblink);
	state_roles_clear(&r->active, &r->nactive);
	sb_free(&r->pc.fails);
	sb_free(&r->pc.warns);
	sb_free(&r->pc.facts);
	free(r);
}

/* The step's data: the ready itself outlives the step while a query
 * is in flight (its callback frees it then). */
struct ready_ref {
	struct ready *r;
	struct loop_timer *tick;   /* ends it from the loop */
};

static void
ref_cancel(void *p)
{
	struct ready_ref *ref = p;

	if (ref->tick != NULL)
		loop_timer_cancel(ref->tick);
	if (ref->r != NULL) {
		ref->r->abandoned = true;
		if (ref->r->pending == 0)
			ready_free(ref->r);
	}
}

static const struct step_data_def ready_data = {
	sizeof (struct ready_ref), ref_cancel, NULL
};

static void
set(struct ready *r, int i, int status, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static void
set(struct ready *r, int i, int status, const char *fmt, ...)
{
	va_list ap;

	free(r->detail[i]);
	va_start(ap, fmt);
	r->detail[i] = xvasprintf(fmt, ap);
	va_end(ap);
	r->status[i] = status;
	r->used[i] = true;
}

static void finished(struct ready *r);

/* A check answered: false when the step is gone (nothing more to do). */
static bool
answered(struct ready *r)
{
	r->pending--;
	if (r->abandoned) {
		if (r->pending == 0)
			ready_free(r);
		return false;
	}
	return true;
}

static void
settle(struct ready *r)
{
	if (r->pending == 0 && !r->starting)
		finished(r);
}

/* --------------------------------------------------------- the target */

static const char target_sql[] =
    "SELECT current_setting('wal_level'),"
    " current_setting('max_replication_slots')::int"
    "   - (SELECT count(*) FROM pg_replication_slots)::int,"
    " current_setting('max_wal_senders')::int"
    "   - (SELECT count(*) FROM pg_stat_activity"
    "      WHERE backend_type = 'walsender')::int,"
    " r.rolsuper, has_database_privilege(current_database(), 'CREATE'),"
    " (SELECT count(*) FROM pg_class c"
    "   JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE c.relkind IN ('r', 'p')"
    "     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    "     AND n.nspname NOT LIKE 'pg_toast%'"
    "     AND NOT pg_has_role(c.relowner, 'USAGE')),"
    " EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1),"
    " EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $2)"
    " FROM pg_roles r WHERE r.rolname = current_user";

static void
on_target(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;
	const char *wal;
	int64_t slots, senders, unowned;
	bool slot_exists;

	(void)c;
	if (!answered(r))
		return;
	if (res == NULL || PQntuples(res) != 1) {
		const char *why = error != NULL ? error : "no answer";

		set(r, R_WAL, READY_FAILED, "could not ask the target: %s", why);
		set(r, R_SLOT, READY_FAILED, "could not ask the target: %s", why);
		set(r, R_SENDER, READY_FAILED, "could not ask the target: %s", why);
		set(r, R_PUB, READY_FAILED, "could not ask the target: %s", why);
		settle(r);
		return;
	}
	wal = pgr_value(res, 0, 0);
	if (wal != NULL && strcmp(wal, "logical") == 0)
		set(r, R_WAL, READY_OK, "wal_level = logical");
	else
		set(r, R_WAL, READY_FAILED, "the target's wal_level is %s: reverse "
		    "replication needs logical (set wal_level = logical on the "
		    "target - rds.logical_replication = 1 on Aurora - and restart "
		    "it)", wal != NULL ? wal : "unknown");
	slots = pgr_int64(res, 0, 1, 0);
	slot_exists = pgr_bool(res, 0, 7);
	if (slots > 0 || slot_exists)
		set(r, R_SLOT, READY_OK, slot_exists ? "the reverse slot exists" :
		    "%lld free", (long long)slots);
	else
		set(r, R_SLOT, READY_FAILED, "every replication slot of the target "
		    "is taken (max_replication_slots): drop an unused slot or raise "
		    "max_replication_slots on the target");
	senders = pgr_int64(res, 0, 2, 0);
	if (senders > 0)
		set(r, R_SENDER, READY_OK, "%lld free", (long long)senders);
	else
		set(r, R_SENDER, READY_FAILED, "every WAL sender of the target is "
		    "busy (max_wal_senders): raise max_wal_senders on the target");
	unowned = pgr_int64(res, 0, 5, 0);
	if (pgr_bool(res, 0, 6))
		set(r, R_PUB, READY_OK, "the publication %s exists",
		    r->o->cfg->reverse_publication);
	else if (pgr_bool(res, 0, 3))
		set(r, R_PUB, READY_OK, "superuser");
	else if (!pgr_bool(res, 0, 4))
		set(r, R_PUB, READY_FAILED, "the target's migrator role has no "
		    "CREATE on the database: GRANT CREATE ON DATABASE to it, or "
		    "create the publication %s beforehand",
		    r->o->cfg->reverse_publication);
	else if (unowned > 0)
		set(r, R_PUB, READY_FAILED, "the target's migrator role does not "
		    "own %lld of the tables (a publication needs their owner): "
		    "grant it the owners' roles, or create the publication %s "
		    "beforehand", (long long)unowned,
		    r->o->cfg->reverse_publication);
	else
		set(r, R_PUB, READY_OK, "CREATE on the database, owns the tables");
	settle(r);
}

/* --------------------------------------------------------- the source */

static const char source_sql[] =
    "SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles g"
    "   WHERE g.rolname = 'pg_create_subscription'"
    "     AND pg_has_role(r.oid, g.oid, 'MEMBER')),"
    " (SELECT n.nspname FROM pg_extension e"
    "   JOIN pg_namespace n ON n.oid = e.extnamespace"
    "   WHERE e.extname = 'dblink')"
    " FROM pg_roles r WHERE r.rolname = current_user";

static void
on_reach(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;

	(void)c;
	if (!answered(r))
		return;
	if (res != NULL)
		set(r, R_REACH, READY_OK, "dblink connected from the source");
	else
		set(r, R_REACH, READY_FAILED, "the source could not connect to the "
		    "target with the reverse conninfo ([rollback] reverse_conninfo, "
		    "else [target] conninfo): %s; fix pg_hba.conf or the network "
		    "between them", error != NULL ? error : "no answer");
	settle(r);
}

static void
on_source(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;
	const struct config *cfg = r->o->cfg;
	const char *schema;

	if (!answered(r))
		return;
	if (res == NULL || PQntuples(res) != 1) {
		const char *why = error != NULL ? error : "no answer";

		set(r, R_SUB, READY_FAILED, "could not ask the source: %s", why);
		set(r, R_REACH, READY_FAILED, "could not ask the source: %s", why);
		settle(r);
		return;
	}
	if (pgr_bool(res, 0, 0))
		set(r, R_SUB, READY_OK, "superuser or pg_create_subscription");
	else
		set(r, R_SUB, READY_FAILED, "the source's migrator role may not "
		    "CREATE SUBSCRIPTION: it needs superuser (PostgreSQL 15; "
		    "rds_superuser on RDS) or pg_create_subscription (16 and "
		    "later)");
	schema = PQgetisnull(res, 0, 1) ? NULL : pgr_value(res, 0, 1);
	if (schema == NULL) {
		set(r, R_REACH, READY_UNKNOWN, "not checked: dblink is not "
		    "installed on the source (CREATE EXTENSION dblink there lets "
		    "cutover test it); check by hand that the source server "
		    "reaches the target with the reverse conninfo (pg_hba.conf, "
		    "firewall)");
	} else {
		char *q = pg_quote_ident(c, schema);
		char *sql = xasprintf("SELECT %s.dblink_connect('cutover_ready', $1),"
		    " %s.dblink_disconnect('cutover_ready')", q, q);
		const char *params[1] = { cfg->reverse_conninfo != NULL ?
		    cfg->reverse_conninfo : cfg->target_conninfo };

		r->pending++;
		pg_query(c, sql, 1, params, on_reach, r);
		free(sql);
		free(q);
	}
	settle(r);
}

/* ---------------------------------------------------------------- dms */

static void
on_dms(struct provider *prov, int rc, const struct err *e, void *arg)
{
	struct ready *r = arg;
	struct strbuf why;
	const char *p, *nl;

	(void)prov;
	if (!answered(r))
		return;
	if (rc != 0) {
		set(r, R_DMS, READY_FAILED, "could not ask DMS: %s",
		    e != NULL ? e->msg : "no answer");
		settle(r);
		return;
	}
	/* The lines about the reverse task and its endpoint. */
	sb_init(&why);
	for (p = r->pc.fails.buf; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (strncmp(p, "reverse", 7) == 0)
			sb_printf(&why, "%s%.*s", why.len > 0 ? "; " : "",
			    (int)(nl - p), p);
		if (*nl == '\0')
			break;
	}
	if (why.len > 0)
		set(r, R_DMS, READY_FAILED, "%s", why.buf);
	else
		set(r, R_DMS, READY_OK, "%s", r->o->cfg->reverse_task_arn);
	sb_free(&why);
	settle(r);
}

/* ----------------------------------------------------------- pgbouncer */

static void
on_bouncer(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;
	const char *db = r->o->cfg->pgbouncer_database;

	(void)c;
	if (!answered(r))
		return;
	if (res == NULL)
		set(r, R_BOUNCER, READY_FAILED, "pgbouncer's admin console does not "
		    "answer ([drain] pgbouncer_admin): %s", error != NULL ? error :
		    "no answer");
	else if (db == NULL || pgbouncer_show_row(res, db) < 0)
		set(r, R_BOUNCER, READY_FAILED, "pgbouncer has no database entry "
		    "%s ([drain] pgbouncer_database): add it to pgbouncer.ini and "
		    "RELOAD", db != NULL ? db : "(unset)");
	else
		set(r, R_BOUNCER, READY_OK, "SHOW DATABASES lists %s", db);
	settle(r);
}

/* --------------------------------------------------- the switch command */

/* The program the shell would run: the first word after VAR=value
 * assignments. */
static char *
command_program(const char *cmd)
{
	const char *p = cmd, *end;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, " \t;|&<>");
		if (end == p)
			return NULL;
		if (memchr(p, '=', (size_t)(end - p)) == NULL)
			return xstrndup(p, (size_t)(end - p));
		p = end;
	}
}

static void
check_command(struct ready *r)
{
	const char *cmd = r->o->cfg->switch_command;
	char *prog, *path, *dir, *save = NULL, *full;
	const char *env;
	bool found = false;

	if (cmd == NULL || *cmd == '\0') {
		set(r, R_COMMAND, READY_FAILED, "[switch] command is empty: name "
		    "the command that points the application at the target");
		return;
	}
	if ((prog = command_program(cmd)) == NULL || strchr(prog, '\'') ||
	    strchr(prog, '"') || strchr(prog, '$') || strchr(prog, '`')) {
		set(r, R_COMMAND, READY_UNKNOWN, "not checked: the command's "
		    "program cannot be told without running the shell; run it by "
		    "hand once (it must be idempotent)");
		free(prog);
		return;
	}
	if (strchr(prog, '/') != NULL) {
		if (access(prog, X_OK) == 0)
			set(r, R_COMMAND, READY_OK, "%s is executable", prog);
		else
			set(r, R_COMMAND, READY_FAILED, "%s: %s ([switch] command)",
			    prog, strerror(errno));
		free(prog);
		return;
	}
	env = getenv("PATH");
	path = xstrdup(env != NULL ? env : "/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir != NULL && !found;
	    dir = strtok_r(NULL, ":", &save)) {
		full = xasprintf("%s/%s", *dir != '\0' ? dir : ".", prog);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(path);
	if (found)
		set(r, R_COMMAND, READY_OK, "%s is in PATH", prog);
	else
		set(r, R_COMMAND, READY_FAILED, "%s is not an executable in PATH "
		    "([switch] command): install it or give its full path", prog);
	free(prog);
}

/* ---------------------------------------------------------- the roles */

/* The roles and whether each exists and can log in, in [drain] order. */
static const char roles_sql[] =
    "SELECT u.r, coalesce(c.rolcanlogin, false), c.rolname IS NOT NULL"
    " FROM unnest($1::text[]) WITH ORDINALITY u(r, i)"
    " LEFT JOIN pg_roles c ON c.rolname = u.r ORDER BY u.i";

static bool
in_list(char *const *v, size_t n, const char *role)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], role) == 0)
			return true;
	return false;
}

static void
on_roles(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;
	const struct state *st = &r->o->st;
	struct strbuf bad;
	int i, n = 0;

	(void)c;
	if (!answered(r))
		return;
	if (res == NULL) {
		set(r, R_ROLES, READY_FAILED, "could not ask the target: %s",
		    error != NULL ? error : "no answer");
		settle(r);
		return;
	}
	sb_init(&bad);
	for (i = 0; i < PQntuples(res); i++) {
		const char *role = pgr_value(res, i, 0);

		/* Roles the application does not log in as on the source
		 * (NOLOGIN there, not by this run's fence) need not on the
		 * target either. */
		if (!in_list(r->active, r->nactive, role))
			continue;
		n++;
		if (!pgr_bool(res, i, 2))
			sb_printf(&bad, "%srole %s does not exist on the target "
			    "(CREATE ROLE ... LOGIN there)", bad.len ? "; " : "", role);
		else if (!pgr_bool(res, i, 1) &&
		    !in_list(st->target_fenced_roles, st->ntarget_fenced_roles,
		    role))
			sb_printf(&bad, "%srole %s cannot log in on the target "
			    "(ALTER ROLE ... LOGIN there)", bad.len ? "; " : "", role);
	}
	if (bad.len > 0)
		set(r, R_ROLES, READY_FAILED, "%s", bad.buf);
	else
		set(r, R_ROLES, READY_OK, "%d role%s that log in on the source",
		    n, n == 1 ? "" : "s");
	sb_free(&bad);
	settle(r);
}

/* The source first: which roles the application logs in as. */
static void
on_roles_source(struct pg *c, PGresult *res, const char *error, void *arg)
{
	struct ready *r = arg;
	const struct state *st = &r->o->st;
	char *roles;
	const char *params[1];
	int i;

	(void)c;
	if (!answered(r))
		return;
	if (res == NULL) {
		set(r, R_ROLES, READY_FAILED, "could not ask the source: %s",
		    error != NULL ? error : "no answer");
		settle(r);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		const char *role = pgr_value(res, i, 0);

		if (pgr_bool(res, i, 1) || in_list(st->fenced_roles,
		    st->nfenced_roles, role))
			state_roles_add(&r->active, &r->nactive, role);
	}
	roles = roles_array(r->o->cfg);
	params[0] = roles;
	r->pending++;
	pg_query(r->o->dst, roles_sql, 1, params, on_roles, r);
	free(roles);
	settle(r);
}

/* --------------------------------------------------------------- end */

static void
finished(struct ready *r)
{
	struct orch *o = r->o;
	struct err e = { 0, "" };
	struct strbuf failed;
	cJSON *d = cJSON_CreateObject(), *items;
	int i, nok = 0, nfail = 0, nunk = 0;

	state_readiness_clear(&o->st);
	o->st.readiness_at = now_ms();
	items = cJSON_AddArrayToObject(d, "readiness");
	sb_init(&failed);
	for (i = 0; i < R_COUNT; i++) {
		cJSON *it;

		if (!r->used[i])
			continue;
		state_readiness_add(&o->st, item_names[i], r->status[i],
		    r->detail[i]);
		it = cJSON_CreateObject();
		cJSON_AddStringToObject(it, "item", item_names[i]);
		cJSON_AddStringToObject(it, "status",
		    ready_status_name(r->status[i]));
		cJSON_AddStringToObject(it, "detail", r->detail[i]);
		cJSON_AddItemToArray(items, it);
		orch_progress(o, "readiness: %s %s: %s", r->status[i] == READY_OK ?
		    "ok" : r->status[i] == READY_FAILED ? "FAILED" : "not checked",
		    item_names[i], r->detail[i]);
		if (r->status[i] == READY_OK)
			nok++;
		else if (r->status[i] == READY_FAILED) {
			nfail++;
			sb_printf(&failed, "%s%s: %s", failed.len ? "; " : "",
			    item_names[i], r->detail[i]);
		} else
			nunk++;
	}
	if (orch_state_save(o, &e) != 0 || orch_log(o, "check", d, &e,
	    "readiness before arming: %d ok, %d failed, %d not checked", nok,
	    nfail, nunk) != 0) {
		sb_free(&failed);
		flow_continue(r->f, -1, &e);
		return;
	}
	orch_changed(o);
	if (nfail > 0) {
		err_set(&e, EXIT_CHECK, "not ready to arm: %s", failed.buf);
		sb_free(&failed);
		flow_continue(r->f, -1, &e);
		return;
	}
	sb_free(&failed);
	flow_continue(r->f, 0, NULL);
}

/* Every check answered while they were sent: ended from the loop (a
 * flow cannot go on from inside its own step). */
static void
ready_tick(struct loop_timer *t, void *arg)
{
	struct orch *o = arg;
	struct ready_ref *ref = orch_step_data(o);

	(void)t;
	ref->tick = NULL;
	if (ref != NULL && ref->r != NULL)
		finished(ref->r);
}

static int
ready_start(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const struct config *cfg = o->cfg;
	struct ready_ref *ref = orch_step_data(o);
	struct ready *r = xcalloc(1, sizeof *r);

	(void)prev;
	ref->r = r;
	r->o = o;
	r->f = f;
	sb_init(&r->pc.fails);
	sb_init(&r->pc.warns);
	sb_init(&r->pc.facts);
	r->starting = true;
	if (cfg->reverse_replication && cfg->provider == PROVIDER_POSTGRES) {
		const char *params[2] = { cfg->reverse_publication,
		    cfg->reverse_subscription };

		r->pending += 2;
		pg_query(o->dst, target_sql, 2, params, on_target, r);
		pg_query(o->src, source_sql, 0, NULL, on_source, r);
	}
	if (cfg->reverse_replication && cfg->provider == PROVIDER_DMS &&
	    o->prov->ops->check != NULL) {
		r->pending++;
		o->prov->ops->check(o->prov, &r->pc, on_dms, r);
	}
	if (o->bouncer != NULL) {
		r->pending++;
		pg_query_simple(o->bouncer, "SHOW DATABASES", on_bouncer, r);
	}
	if (cfg->switch_method == SWITCH_COMMAND)
		check_command(r);
	if (cfg->roles.n > 0) {
		char *roles = roles_array(cfg);
		const char *params[1] = { roles };

		r->pending++;
		pg_query(o->src, roles_sql, 1, params, on_roles_source, r);
		free(roles);
	}
	r->starting = false;
	if (r->pending == 0)
		ref->tick = loop_timer_add(o->loop, 0, ready_tick, o);
	return flow_wait_external(f);
}

static void
ready_describe(struct orch *o, struct strbuf *out)
{
	const struct config *cfg = o->cfg;

	sb_puts(out, "readiness before arming (changes nothing; a failing item "
	    "blocks arming):");
	if (cfg->reverse_replication && cfg->provider == PROVIDER_POSTGRES)
		sb_puts(out, " reverse replication can be created (target "
		    "wal_level, a free slot and WAL sender, the privileges for the "
		    "publication and the subscription, the source reaching the "
		    "target by dblink when installed);");
	if (cfg->reverse_replication && cfg->provider == PROVIDER_DMS)
		sb_puts(out, " the reverse task exists, is stopped and its "
		    "endpoint names the slot;");
	if (cfg->pgbouncer_admin != NULL)
		sb_puts(out, " pgbouncer's admin console answers SHOW DATABASES "
		    "with the database entry;");
	if (cfg->switch_method == SWITCH_COMMAND)
		sb_puts(out, " the switch command exists and is executable;");
	if (cfg->roles.n > 0)
		sb_puts(out, " every [drain] role can log in on the target;");
	sb_putc(out, '\n');
}

static bool
ready_applies(struct orch *o)
{
	/* Arming once is enough: a resumed sync_wait that armed does not
	 * check again. */
	return !o->st.armed;
}

static const flow_step ready_flow[] = { ready_start, NULL };
const struct step step_readiness = { "readiness", ready_applies,
	ready_describe, ready_flow, SIDE_SOURCE, false, &ready_data };
