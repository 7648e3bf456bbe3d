/* lab-up.c - `cutover lab up`: builds the lab step by step, recording the
 * step in lab.json, and on failure stops what it started and says which
 * step failed and which log to read. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "eventlog.h"
#include "fileio.h"
#include "flow.h"
#include "heartbeat.h"
#include "lab.h"
#include "loop.h"
#include "pg.h"

static int
set_step(struct lab *lab, const char *step, struct err *e)
{
	free(lab->step);
	lab->step = xstrdup(step);
	return lab_save(lab, e);
}

static char *
bin(const struct lab *lab, const char *name)
{
	return xasprintf("%s/%s", lab->bindir, name);
}

/* pgbouncer is not in PG_BINDIR: $PATH, then where Debian puts it. */
static char *
find_pgbouncer(void)
{
	static const char *const fixed[] = { "/usr/sbin/pgbouncer",
		"/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer",
		"/usr/local/sbin/pgbouncer" };
	char *p;
	size_t i;

	if ((p = lab_which("pgbouncer")) != NULL)
		return p;
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		if (access(fixed[i], X_OK) == 0)
			return xstrdup(fixed[i]);
	return NULL;
}

static int
check_programs(const struct lab *lab, struct err *e)
{
	static const char *const names[] = { "initdb", "pg_ctl", "postgres",
		"pgbench" };
	char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		p = bin(lab, names[i]);
		if (access(p, X_OK) != 0) {
			err_set(e, EXIT_RUNTIME, "%s: %s; set PG_BINDIR to the "
			    "directory of the PostgreSQL server programs (Debian: "
			    "apt-get install postgresql-15)", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	if ((p = find_pgbouncer()) == NULL)
		return err_set(e, EXIT_RUNTIME, "pgbouncer is not installed "
		    "(Debian: apt-get install pgbouncer)");
	free(p);
	return 0;
}

/* ------------------------------------------------------------ servers */

static int
initdb_both(struct lab *lab, struct err *e)
{
	pid_t pids[2];
	const char *argv_s[2][12];
	char *data[2], *initdb = bin(lab, "initdb"), *logs[2];
	int side, rc = 0, code;

	for (side = 0; side < 2; side++) {
		const char *name = lab_side_name((enum lab_side)side);

		if (lab_mkdir(lab, name, true, e) != 0) {
			free(initdb);
			return -1;
		}
		data[side] = xasprintf("%s/%s/data", lab->dir, name);
		logs[side] = xasprintf("%s/initdb.log", name);
		argv_s[side][0] = initdb;
		argv_s[side][1] = "-D";
		argv_s[side][2] = data[side];
		argv_s[side][3] = "-U";
		argv_s[side][4] = LAB_SUPERUSER;
		argv_s[side][5] = "-A";
		argv_s[side][6] = "trust";
		argv_s[side][7] = "-E";
		argv_s[side][8] = "UTF8";
		argv_s[side][9] = "--locale=C.UTF-8";
		argv_s[side][10] = "-N";	/* initdb need not fsync */
		argv_s[side][11] = NULL;
	}
	lab_progress("initdb: the source and target clusters");
	for (side = 0; side < 2; side++)
		pids[side] = lab_start(lab, argv_s[side],
		    logs[side], e);
	for (side = 0; side < 2; side++) {
		if (pids[side] < 0) {
			rc = -1;
			continue;
		}
		code = lab_wait(lab, pids[side], argv_s[side],
		    logs[side], rc == 0 ? e : &(struct err){ 0, "" });
		if (code != 0 && rc == 0) {
			if (code > 0) {
				char *tail = lab_tail(lab, logs[side], 5);

				err_set(e, EXIT_RUNTIME, "initdb of the %s failed "
				    "(exit %d; see %s/%s):%s",
				    lab_side_name((enum lab_side)side), code, lab->dir,
				    logs[side], tail);
				free(tail);
			}
			rc = -1;
		}
	}
	for (side = 0; side < 2; side++) {
		free(data[side]);
		free(logs[side]);
	}
	free(initdb);
	return rc;
}

static const char server_conf[] =
    "# cutover lab: the %s server. Loopback only, no Unix socket.\n"
    "listen_addresses = '127.0.0.1'\n"
    "port = %d\n"
    "unix_socket_directories = ''\n"
    "max_connections = 200\n"
    "shared_buffers = 128MB\n"
    "# logical replication both ways: forward, and reverse after the switch\n"
    "wal_level = logical\n"
    "max_wal_senders = 20\n"
    "max_replication_slots = 20\n"
    "max_logical_replication_workers = 16\n"
    "max_sync_workers_per_subscription = 4\n"
    "max_worker_processes = 32\n"
    "# a failed apply worker (say, a table published before the subscriber\n"
    "# has it) is retried after 1 s, not 5\n"
    "wal_retrieve_retry_interval = 1s\n"
    "max_wal_size = 4GB\n"
    "checkpoint_timeout = 15min\n"
    "timezone = 'UTC'\n"
    "lc_messages = 'C'\n"
    "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n";

static const char hba_conf[] =
    "# cutover lab: loopback only, trust\n"
    "host all all 127.0.0.1/32 trust\n"
    "host replication all 127.0.0.1/32 trust\n";

static int
configure_server(struct lab *lab, enum lab_side side, int port, struct err *e)
{
	const char *name = lab_side_name(side);
	char *rel, *text, *conf;
	size_t len;
	FILE *f;
	int rc;

	text = xasprintf(server_conf, name, port);
	rel = xasprintf("%s/data/lab.conf", name);
	rc = lab_write_file(lab, rel, text, 0600, true, e);
	free(rel);
	free(text);
	if (rc != 0)
		return -1;
	rel = xasprintf("%s/data/pg_hba.conf", name);
	rc = lab_write_file(lab, rel, hba_conf, 0600, true, e);
	free(rel);
	if (rc != 0)
		return -1;
	/* Once: postgresql.conf includes lab.conf. */
	conf = xasprintf("%s/%s/data/postgresql.conf", lab->dir, name);
	if (file_read_all(conf, 1 << 20, &text, &len) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", conf,
		    strerror(errno));
		free(conf);
		return -1;
	}
	if (strstr(text, "include = 'lab.conf'") == NULL) {
		if ((f = fopen(conf, "a")) == NULL ||
		    fputs("\n# cutover lab\ninclude = 'lab.conf'\n", f) == EOF ||
		    fclose(f) != 0) {
			err_set(e, EXIT_RUNTIME, "%s: cannot append: %s", conf,
			    strerror(errno));
			free(text);
			free(conf);
			return -1;
		}
	}
	free(text);
	free(conf);
	return 0;
}

static int
pg_ctl_start(struct lab *lab, enum lab_side side, struct err *e)
{
	const char *name = lab_side_name(side);
	char *pg_ctl = bin(lab, "pg_ctl");
	char *data = xasprintf("%s/%s/data", lab->dir, name);
	char *log = xasprintf("%s/%s/server.log", lab->dir, name);
	char *out = xasprintf("%s/pg_ctl.log", name);
	const char *argv[] = { pg_ctl, "-D", data, "-l", log, "-w", "-t", "120",
		"start", NULL };
	int code;

	code = lab_run(lab, argv, out, e);
	free(pg_ctl);
	free(data);
	free(log);
	free(out);
	return code;
}

/* Starts a side's server, choosing a new port while the one tried is
 * taken. */
static int
start_server(struct lab *lab, enum lab_side side, bool new_port,
    struct err *e)
{
	const char *name = lab_side_name(side);
	int *port = side == LAB_SOURCE ? &lab->source_port : &lab->target_port;
	int used[3] = { lab->source_port, lab->target_port, lab->bouncer_port };
	char *log_rel = xasprintf("%s/server.log", name), *tail, *text, *path;
	size_t len;
	int try, code;

	for (try = 0; try < 5; try++) {
		if (new_port) {
			if ((*port = lab_free_port(used, 3)) < 0) {
				free(log_rel);
				return err_set(e, EXIT_RUNTIME, "no free port on "
				    "127.0.0.1: %s", strerror(errno));
			}
			if (configure_server(lab, side, *port, e) != 0) {
				free(log_rel);
				return -1;
			}
		}
		lab_progress("starting the %s server on 127.0.0.1:%d", name, *port);
		if ((code = pg_ctl_start(lab, side, e)) < 0) {
			free(log_rel);
			return -1;
		}
		if (code == 0) {
			free(log_rel);
			return 0;
		}
		/* Someone took the port between our probe and the start? */
		path = lab_path(lab, log_rel);
		if (file_read_all(path, 64 << 20, &text, &len) != 0)
			text = NULL;
		free(path);
		if (!new_port || text == NULL ||
		    (strstr(text, "could not bind") == NULL &&
		    strstr(text, "already in use") == NULL)) {
			free(text);
			break;
		}
		free(text);
	}
	tail = lab_tail(lab, log_rel, 8);
	err_set(e, EXIT_RUNTIME, "the %s server did not start on 127.0.0.1:%d "
	    "(see %s/%s and %s/%s/pg_ctl.log):%s", name, *port, lab->dir, log_rel,
	    lab->dir, name, tail);
	free(tail);
	free(log_rel);
	return -1;
}

/* ---------------------------------------------------------- pgbouncer */

static const char bouncer_ini[] =
    ";; cutover lab: pgbouncer in front of the source, the application's\n"
    ";; endpoint (database app, user " LAB_APP_ROLE ").\n"
    "[pgbouncer]\n"
    "listen_addr = 127.0.0.1\n"
    "listen_port = %d\n"
    "unix_socket_dir =\n"
    "auth_type = trust\n"
    "auth_file = %s/pgbouncer/userlist.txt\n"
    ";; the admin console the cutover drains and switches through\n"
    "admin_users = " LAB_SUPERUSER "\n"
    "stats_users = " LAB_SUPERUSER "\n"
    "pool_mode = transaction\n"
    "max_client_conn = 500\n"
    "default_pool_size = 20\n"
    ";; PAUSE makes clients wait, and they must not fail while the cutover\n"
    ";; holds them: longer than [switch] timeout_seconds (60).\n"
    "query_wait_timeout = 120\n"
    "server_connect_timeout = 5\n"
    "server_login_retry = 1\n"
    "ignore_startup_parameters = extra_float_digits\n"
    "logfile = %s/pgbouncer/pgbouncer.log\n"
    "pidfile = %s/pgbouncer/pgbouncer.pid\n"
    "log_connections = 0\n"
    "log_disconnections = 0\n"
    ";; [databases] is a file of its own: the cutover's switch rewrites the\n"
    ";; app entry there ([switch] pgbouncer_databases_file) and RELOADs.\n"
    "%%include %s/pgbouncer/databases.ini\n";

static char *
databases_ini(int port)
{
	return xasprintf(";; cutover lab: where the application's database is.\n"
	    ";; The cutover's switch rewrites this entry, then RELOADs pgbouncer.\n"
	    "[databases]\n"
	    "%s = host=127.0.0.1 port=%d dbname=%s\n", LAB_DB, port, LAB_DB);
}

static int
write_bouncer_files(struct lab *lab, bool databases, struct err *e)
{
	char *text;
	int rc;

	if (lab_mkdir(lab, "pgbouncer", true, e) != 0)
		return -1;
	text = xasprintf(bouncer_ini, lab->bouncer_port, lab->dir, lab->dir,
	    lab->dir, lab->dir);
	rc = lab_write_file(lab, "pgbouncer/pgbouncer.ini", text, 0644, true, e);
	free(text);
	if (rc != 0)
		return -1;
	if (lab_write_file(lab, "pgbouncer/userlist.txt",
	    "\"" LAB_SUPERUSER "\" \"\"\n\"" LAB_APP_ROLE "\" \"\"\n", 0600, true,
	    e) != 0)
		return -1;
	if (!databases)
		return 0;
	/* Readable by all: whoever drives the cutover rewrites it. */
	text = databases_ini(lab->source_port);
	rc = lab_write_file(lab, "pgbouncer/databases.ini", text, 0644, true, e);
	free(text);
	return rc;
}

/* Whether the admin console answers; why gets the last error. */
static bool
bouncer_answers(struct lab *lab, struct loop *loop, int timeout_ms, char *why,
    size_t whylen)
{
	char *ci = lab_conninfo(lab->bouncer_port, "pgbouncer", LAB_SUPERUSER);
	struct pg_opts o = { ci, "pgbouncer", 0, 5000, 2000, true, true };
	int64_t end = mono_ms() + timeout_ms;
	const struct lab_sql version = { "", "SHOW VERSION" };
	struct err e = { 0, "" };
	struct pg *c;
	int rc;

	for (;;) {
		c = pg_new(loop, &o);
		rc = lab_sql_run(loop, c, &version, 1, &e);
		pg_free(c);
		if (rc == 0) {
			free(ci);
			return true;
		}
		snprintf(why, whylen, "%s", e.msg);
		if (mono_ms() >= end)
			break;
		lab_sleep_ms(100);
	}
	free(ci);
	return false;
}

static int
start_bouncer(struct lab *lab, struct loop *loop, bool new_port,
    struct err *e)
{
	char *pgbouncer = find_pgbouncer(), *ini, *tail, why[1024] = "";
	int used[3], try, code;

	if (pgbouncer == NULL)
		return err_set(e, EXIT_RUNTIME, "pgbouncer is not installed "
		    "(Debian: apt-get install pgbouncer)");
	ini = lab_path(lab, "pgbouncer/pgbouncer.ini");
	for (try = 0; try < 5; try++) {
		const char *argv[] = { pgbouncer, "-d", ini, NULL };

		if (new_port) {
			used[0] = lab->source_port;
			used[1] = lab->target_port;
			used[2] = lab->bouncer_port;
			if ((lab->bouncer_port = lab_free_port(used, 3)) < 0) {
				free(pgbouncer);
				free(ini);
				return err_set(e, EXIT_RUNTIME, "no free port on "
				    "127.0.0.1: %s", strerror(errno));
			}
			if (write_bouncer_files(lab, try == 0, e) != 0)
				goto fail;
		}
		lab_progress("starting pgbouncer on 127.0.0.1:%d", lab->bouncer_port);
		if ((code = lab_run(lab, argv, "pgbouncer/pgbouncer.out", e)) < 0)
			goto fail;
		if (code == 0 && bouncer_answers(lab, loop, 10000, why, sizeof why)) {
			free(pgbouncer);
			free(ini);
			return 0;
		}
		if (code != 0)
			snprintf(why, sizeof why, "pgbouncer exited with status %d",
			    code);
		/* Port taken between our probe and the start: try another. */
		tail = lab_tail(lab, "pgbouncer/pgbouncer.log", 3);
		if (!new_port || (strstr(tail, "in use") == NULL &&
		    strstr(tail, "bind") == NULL)) {
			free(tail);
			break;
		}
		free(tail);
		lab_bouncer_stop(lab, e);
	}
	tail = lab_tail(lab, "pgbouncer/pgbouncer.log", 6);
	err_set(e, EXIT_RUNTIME, "pgbouncer did not come up on 127.0.0.1:%d: %s "
	    "(see %s/pgbouncer/pgbouncer.log):%s", lab->bouncer_port, why,
	    lab->dir, tail);
	free(tail);
fail:
	free(pgbouncer);
	free(ini);
	return -1;
}

/* ------------------------------------------------------------- SQL */

static struct pg *
connect_to(struct loop *loop, int port, const char *dbname, const char *label)
{
	char *ci = lab_conninfo(port, dbname, LAB_SUPERUSER);
	/* No statement timeout: loading and indexing take as long as they
	 * take; the client-side deadline still bounds a hung server. */
	struct pg_opts o = { ci, label, 0, 3600 * 1000, 10000, false, true };
	struct pg *c = pg_new(loop, &o);

	free(ci);
	return c;
}

/* A conversation of the lab on one connection, as a flow (flow.h): each
 * step says what it does, for the error when it fails. */
struct talk {
	struct lab *lab;
	struct pg *c;              /* the source, or the target */
	struct pg *src;            /* wait_replication's other side */
	const char *what;          /* the step's, NULL when its own error */
	int64_t start, expected, ready, total, copied, last_ready, last_copied,
	    progress_at, baseline;
};

static int
talk(struct flow *f, const char *what, const char *text)
{
	struct talk *t = f->ctx;

	t->what = what;
	return flow_query_simple(f, t->c, text);
}

static int
talk_run(struct loop *loop, const flow_step *steps, struct talk *t,
    struct err *e)
{
	if (flow_run(loop, steps, t, e) != 0)
		return t->what != NULL ? err_prefix(e, "%s", t->what) : -1;
	return 0;
}

static int
create_role_and_db(struct loop *loop, struct lab *lab, enum lab_side side,
    struct err *e)
{
	static const struct lab_sql script[] = {
		{ "creating the application role",
		    "CREATE ROLE " LAB_APP_ROLE " LOGIN" },
		{ "creating the database", "CREATE DATABASE " LAB_DB },
	};
	struct pg *c = connect_to(loop, lab_side_port(lab, side), "postgres",
	    lab_side_name(side));
	int rc;

	rc = lab_sql_run(loop, c, script, ARRAY_SIZE(script), e);
	pg_free(c);
	return rc;
}

static int
source_constraints(struct flow *f, PGresult *prev)
{
	struct talk *t = f->ctx;

	(void)prev;
	t->start = mono_ms();
	lab_progress("indexes, foreign keys and statistics on the source");
	return talk(f, "creating indexes and foreign keys on the source",
	    lab_schema_constraints_sql);
}

static int
source_sequences(struct flow *f, PGresult *prev)
{
	(void)prev;
	return talk(f, "setting the sequences on the source",
	    "SELECT setval('transfers_id_seq', coalesce(max(id), 0) + 1, false)"
	    " FROM transfers;"
	    "SELECT setval('ledger_entries_id_seq', coalesce(max(id), 0) + 1, false)"
	    " FROM ledger_entries");
}

static int
source_analyze(struct flow *f, PGresult *prev)
{
	(void)prev;
	return talk(f, "analyzing the source", "ANALYZE");
}

/* The money in the bank: every movement keeps the total. */
static int
source_sum(struct flow *f, PGresult *prev)
{
	struct talk *t = f->ctx;

	(void)prev;
	t->what = "summing the balances on the source";
	return flow_query(f, t->c, "SELECT sum(balance)::text FROM accounts", 0,
	    NULL);
}

static int
source_total(struct flow *f, PGresult *res)
{
	struct talk *t = f->ctx;

	free(t->lab->total_balance);
	t->lab->total_balance = xstrdup(pgr_value(res, 0, 0) != NULL ?
	    pgr_value(res, 0, 0) : "0");
	lab_progress_done("indexes, foreign keys and statistics in %.1f s",
	    (double)(mono_ms() - t->start) / 1000);
	return FLOW_NEXT;
}

static const flow_step source_finish_steps[] = {
	source_constraints, source_sequences, source_analyze, source_sum,
	source_total, NULL
};

static int
fill_source(struct loop *loop, struct lab *lab, struct err *e)
{
	static const struct lab_sql tables = {
		"creating the tables on the source", lab_schema_tables_sql };
	static const struct lab_sql publication = {
		"creating the publication on the source",
		"CREATE PUBLICATION " LAB_PUBLICATION " FOR ALL TABLES" };
	struct talk t;
	int rc = -1;

	memset(&t, 0, sizeof t);
	t.lab = lab;
	t.c = connect_to(loop, lab->source_port, LAB_DB, "source");
	if (set_step(lab, "the schema on the source", e) != 0 ||
	    lab_sql_run(loop, t.c, &tables, 1, e) != 0)
		goto out;
	if (set_step(lab, "the rows on the source", e) != 0 ||
	    lab_generate(loop, t.c, lab->rows, &lab->accounts, e) != 0)
		goto out;
	if (set_step(lab, "indexes and foreign keys on the source", e) != 0 ||
	    talk_run(loop, source_finish_steps, &t, e) != 0)
		goto out;
	if (set_step(lab, "the publication on the source", e) != 0 ||
	    lab_sql_run(loop, t.c, &publication, 1, e) != 0)
		goto out;
	rc = 0;
out:
	pg_free(t.c);
	return rc;
}

static int
prepare_target(struct loop *loop, struct lab *lab, struct err *e)
{
	static const struct lab_sql schema[] = {
		{ "creating the tables on the target", lab_schema_tables_sql },
		{ "creating indexes and foreign keys on the target",
		    lab_schema_constraints_sql },
	};
	struct pg *c = connect_to(loop, lab->target_port, LAB_DB, "target");
	struct lab_sql subscription;
	char *src, *lit, *text;
	int rc = -1;

	if (set_step(lab, "the schema on the target", e) != 0 ||
	    lab_sql_run(loop, c, schema, ARRAY_SIZE(schema), e) != 0)
		goto out;
	if (set_step(lab, "the subscription on the target", e) != 0)
		goto out;
	src = lab_conninfo(lab->source_port, LAB_DB, LAB_SUPERUSER);
	lit = pg_quote_literal(c, src);
	text = xasprintf("CREATE SUBSCRIPTION " LAB_SUBSCRIPTION " CONNECTION %s "
	    "PUBLICATION " LAB_PUBLICATION, lit);
	subscription.what = "creating the subscription on the target";
	subscription.text = text;
	rc = lab_sql_run(loop, c, &subscription, 1, e);
	free(text);
	free(lit);
	free(src);
out:
	pg_free(c);
	return rc;
}

/* Waits until the subscription has every published table in state r. */
static int
count_published(struct flow *f, PGresult *prev)
{
	static const char q_source[] =
	    "SELECT count(*) FROM pg_publication_tables WHERE pubname = $1";
	struct talk *t = f->ctx;
	const char *pub[] = { LAB_PUBLICATION };

	(void)prev;
	t->what = "counting the published tables";
	return flow_query(f, t->src, q_source, 1, pub);
}

static int
ask_subscription(struct flow *f, PGresult *res)
{
	static const char q_target[] =
	    "SELECT count(*) FILTER (WHERE r.srsubstate = 'r'), count(*),"
	    " (SELECT coalesce(sum(bytes_processed), 0) FROM pg_stat_progress_copy),"
	    " (SELECT coalesce(sum(sync_error_count + apply_error_count), 0)"
	    "  FROM pg_stat_subscription_stats WHERE subname = $1)"
	    " FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
	    " WHERE s.subname = $1";
	struct talk *t = f->ctx;
	const char *sub[] = { LAB_SUBSCRIPTION };

	if (res != NULL)
		t->expected = pgr_int64(res, 0, 0, 0);
	t->what = "reading the subscription's state";
	return flow_query(f, t->c, q_target, 1, sub);
}

static int
subscription_state(struct flow *f, PGresult *res)
{
	struct talk *t = f->ctx;
	struct lab *lab = t->lab;
	int64_t errors;
	char b[32], *tail;

	t->ready = pgr_int64(res, 0, 0, 0);
	t->total = pgr_int64(res, 0, 1, 0);
	t->copied = pgr_int64(res, 0, 2, 0) > t->copied ? pgr_int64(res, 0, 2, 0) :
	    t->copied;
	errors = pgr_int64(res, 0, 3, 0);
	if (t->ready == t->total && t->total >= t->expected)
		return FLOW_NEXT;
	if (t->ready != t->last_ready || t->copied != t->last_copied) {
		t->last_ready = t->ready;
		t->last_copied = t->copied;
		t->progress_at = mono_ms();
	}
	if (t->baseline < 0)
		t->baseline = errors;
	/* A worker that failed once is retried (a table created on the
	 * source before the target has it does that); one that keeps
	 * failing while nothing moves is a broken lab. */
	t->what = NULL;
	if (errors > t->baseline && mono_ms() - t->progress_at > 30000) {
		tail = lab_tail(lab, "target/server.log", 4);
		flow_fail(f, EXIT_RUNTIME, "replication: %" PRId64 " of %" PRId64
		    " tables ready and the subscription %s keeps failing (see "
		    "%s/target/server.log):%s", t->ready, t->expected,
		    LAB_SUBSCRIPTION, lab->dir, tail);
		free(tail);
		return FLOW_FAIL;
	}
	if (mono_ms() - t->start > 3600 * 1000)
		return flow_fail(f, EXIT_RUNTIME, "replication: only %" PRId64
		    " of %" PRId64 " tables ready after an hour; see "
		    "%s/target/server.log", t->ready, t->expected, lab->dir);
	lab_progress("replication: %" PRId64 " of %" PRId64 " tables ready "
	    "(state r), copying%s%s, %.0f s", t->ready, t->expected,
	    t->copied > 0 ? " " : "", t->copied > 0 ?
	    lab_bytes(t->copied, b, sizeof b) : "",
	    (double)(mono_ms() - t->start) / 1000);
	return flow_back(f, 1, 250);
}

static int
analyze_target(struct flow *f, PGresult *prev)
{
	struct talk *t = f->ctx;

	(void)prev;
	lab_progress_done("replication: all %" PRId64 " tables ready (state r) "
	    "in %.1f s", t->total, (double)(mono_ms() - t->start) / 1000);
	return talk(f, "analyzing the target", "ANALYZE");
}

static const flow_step replication_steps[] = {
	count_published, ask_subscription, subscription_state, analyze_target,
	NULL
};

static int
wait_replication(struct loop *loop, struct lab *lab, struct err *e)
{
	struct talk t;
	int rc;

	memset(&t, 0, sizeof t);
	t.lab = lab;
	t.c = connect_to(loop, lab->target_port, LAB_DB, "target");
	t.src = connect_to(loop, lab->source_port, LAB_DB, "source");
	t.start = t.progress_at = mono_ms();
	t.last_ready = t.last_copied = t.baseline = -1;
	rc = talk_run(loop, replication_steps, &t, e);
	pg_free(t.c);
	pg_free(t.src);
	return rc;
}

/* The application's endpoint works: pgbouncer, as the application role.
 * (The admin-console mode of the pg layer sends no session options, which
 * pgbouncer would refuse.) */
static int
check_app_endpoint(struct loop *loop, struct lab *lab, struct err *e)
{
	char *ci = lab_conninfo(lab->bouncer_port, LAB_DB, LAB_APP_ROLE);
	struct pg_opts o = { ci, "pgbouncer", 0, 10000, 5000, true, true };
	struct pg *c = pg_new(loop, &o);
	const struct lab_sql probe = { "",
	    "SELECT current_user, count(*) FROM accounts" };
	int rc;

	rc = lab_sql_run(loop, c, &probe, 1, e);
	pg_free(c);
	free(ci);
	if (rc != 0)
		return err_prefix(e, "the application's endpoint (pgbouncer, as "
		    LAB_APP_ROLE "; see %s/pgbouncer/pgbouncer.log)", lab->dir);
	return 0;
}

/* ------------------------------------------------------- cutover.conf */

static int
write_config(struct lab *lab, struct err *e)
{
	char *src = lab_conninfo(lab->source_port, LAB_DB, LAB_SUPERUSER);
	char *dst = lab_conninfo(lab->target_port, LAB_DB, LAB_SUPERUSER);
	char *admin = lab_conninfo(lab->bouncer_port, "pgbouncer", LAB_SUPERUSER);
	char *state = lab_path(lab, "state");
	char *dbfile = lab_path(lab, "pgbouncer/databases.ini");
	char *entry = xasprintf("host=127.0.0.1 port=%d dbname=%s",
	    lab->target_port, LAB_DB);
	char *path = lab_path(lab, "cutover.conf"), *text;
	bool dms = lab_is_dms(lab);
	const struct kv kv[] = {
		{ "cutover.environment", "lab" },
		{ "cutover.state_dir", state },
		{ "cutover.rehearsal", "true" },
		{ "source.conninfo", src },
		{ "target.conninfo", dst },
		{ "replication.provider", dms ? "dms" : "postgres" },
		{ "replication.region", dms ? LAB_DMS_REGION : "" },
		{ "replication.task_arn", dms ? LAB_DMS_FORWARD_ARN : "" },
		{ "replication.reverse_task_arn", dms ? LAB_DMS_REVERSE_ARN : "" },
		{ "replication.publication", LAB_PUBLICATION },
		{ "replication.subscription", LAB_SUBSCRIPTION },
		{ "validation.max_lag_seconds", "5" },
		{ "validation.lag_hold_seconds", "10" },
		{ "drain.method", "pgbouncer" },
		{ "drain.roles", LAB_APP_ROLE },
		{ "drain.pgbouncer_admin", admin },
		{ "drain.pgbouncer_database", LAB_DB },
		{ "switch.method", "pgbouncer" },
		{ "switch.timeout_seconds", "60" },
		{ "switch.pgbouncer_databases_file", dbfile },
		{ "switch.pgbouncer_target", entry },
		{ "rollback.reverse_replication", "true" },
		/* The emulator reads the reverse slot through a subscription. */
		{ "rollback.reverse_slot", LAB_DMS_REVERSE_SLOT },
		{ "rollback.reverse_slot_plugin", dms ? "pgoutput" :
		  "test_decoding" },
		{ "metrics.cloudwatch", dms ? "true" : "false" },
		{ "metrics.aurora_cluster", dms ? LAB_DMS_CLUSTER : "" },
	};
	struct config check;
	int rc;

	text = config_template(kv, ARRAY_SIZE(kv));
	/* What we write must load. */
	config_defaults(&check);
	rc = config_parse(&check, path, text, strlen(text), e);
	config_free(&check);
	if (rc == 0)
		rc = file_write_atomic(path, text, strlen(text), 0600, e);
	free(text);
	free(src);
	free(dst);
	free(admin);
	free(state);
	free(dbfile);
	free(entry);
	free(path);
	return rc;
}

/* The cutover schema (heartbeat, sentinel): the same logged step an
 * operator takes before a cutover, recorded in the lab's event log. */
static int
setup_cutover_schema(struct loop *loop, struct lab *lab, struct err *e)
{
	char *path = lab_path(lab, "cutover.conf");
	struct eventlog *log = NULL;
	struct config cfg;
	int rc = -1;

	config_defaults(&cfg);
	if (config_load(&cfg, path, e) != 0)
		goto out;
	/* The emulated forward task replicates its publication: the cutover
	 * tables join it as they join the postgres provider's. */
	if (lab_is_dms(lab))
		cfg.provider = PROVIDER_POSTGRES;
	if (dir_ensure_private(cfg.state_dir, e) != 0 ||
	    eventlog_open(&log, cfg.state_dir, cfg.environment, e) != 0)
		goto out;
	if (heartbeat_setup(loop, &cfg, log, false, stdout, e) != 0) {
		err_prefix(e, "setting up the cutover schema");
		goto out;
	}
	rc = 0;
out:
	eventlog_close(log);
	config_free(&cfg);
	free(path);
	return rc;
}

/* ------------------------------------------------------------- up */

/* Stops what a failed build started and records the failure. */
static void
build_failed(struct lab *lab, struct err *e)
{
	struct err stop = { 0, "" };
	char *msg;

	if (lab_stop_all(lab, &stop) != 0)
		fprintf(stderr, "cutover: %s\n", stop.msg);
	lab->state = LAB_FAILED;
	free(lab->error);
	lab->error = xstrdup(e->msg);
	lab_save(lab, &stop);
	msg = xstrdup(e->msg);
	err_set(e, e->code != 0 ? e->code : EXIT_RUNTIME,
	    "lab up failed at step '%s': %s\nThe processes it started are "
	    "stopped and %s is kept for its logs: `cutover lab up --dir %s` "
	    "starts over, `cutover lab down --dir %s` removes it.",
	    lab->step != NULL ? lab->step : "?", msg, lab->dir, lab->dir, lab->dir);
	free(msg);
}

static int
build(struct lab *lab, struct loop *loop, struct err *e)
{
	if (set_step(lab, "initdb", e) != 0 || initdb_both(lab, e) != 0)
		return -1;
	lab_progress_done("initdb: the source and target clusters in %s/source "
	    "and %s/target", lab->dir, lab->dir);
	if (set_step(lab, "start the source server", e) != 0 ||
	    start_server(lab, LAB_SOURCE, true, e) != 0 ||
	    lab_save(lab, e) != 0)
		return -1;
	if (set_step(lab, "start the target server", e) != 0 ||
	    start_server(lab, LAB_TARGET, true, e) != 0 ||
	    lab_save(lab, e) != 0)
		return -1;
	lab_progress_done("servers: source on 127.0.0.1:%d, target on "
	    "127.0.0.1:%d (as %s)", lab->source_port, lab->target_port, lab->user);
	if (set_step(lab, "start pgbouncer", e) != 0 ||
	    start_bouncer(lab, loop, true, e) != 0 || lab_save(lab, e) != 0)
		return -1;
	lab_progress_done("pgbouncer: 127.0.0.1:%d, transaction pooling, in "
	    "front of the source", lab->bouncer_port);
	if (set_step(lab, "roles and databases", e) != 0 ||
	    create_role_and_db(loop, lab, LAB_SOURCE, e) != 0 ||
	    create_role_and_db(loop, lab, LAB_TARGET, e) != 0)
		return -1;
	if (fill_source(loop, lab, e) != 0 || prepare_target(loop, lab, e) != 0)
		return -1;
	if (set_step(lab, "cutover.conf", e) != 0 || write_config(lab, e) != 0)
		return -1;
	if (set_step(lab, "the cutover schema", e) != 0 ||
	    setup_cutover_schema(loop, lab, e) != 0)
		return -1;
	if (set_step(lab, "replication", e) != 0 ||
	    wait_replication(loop, lab, e) != 0)
		return -1;
	if (set_step(lab, "the application's endpoint", e) != 0 ||
	    check_app_endpoint(loop, lab, e) != 0)
		return -1;
	if (!lab_is_dms(lab))
		return 0;
	if (set_step(lab, "the DMS emulator", e) != 0 ||
	    lab_dms_prepare(loop, lab, e) != 0 || lab_save(lab, e) != 0 ||
	    lab_dms_start(lab, true, e) != 0 || lab_save(lab, e) != 0)
		return -1;
	lab_progress_done("DMS emulator: 127.0.0.1:%d, the forward task "
	    "running, the reverse task ready", lab->dms_port);
	return 0;
}

int
lab_up(struct lab *lab, int64_t rows, struct err *e)
{
	struct loop *loop;
	char why[4096];

	if (check_programs(lab, e) != 0)
		return -1;
	if (!lab_user_can_enter(lab, why, sizeof why))
		return err_set(e, EXIT_USAGE, "the lab's servers run as %s, which "
		    "cannot enter %s%s%s; choose a --dir it can reach (for "
		    "example under /tmp) or set CUTOVER_LAB_USER", lab->user,
		    *why != '\0' ? why : lab->dir,
		    *why != '\0' && strcmp(why, lab->dir) != 0 ? ", the way to " : "",
		    *why != '\0' && strcmp(why, lab->dir) != 0 ? lab->dir : "");
	if (lab_is_dms(lab) && lab_dms_check(lab, e) != 0)
		return -1;
	lab->state = LAB_BUILDING;
	lab->builder = getpid();
	lab->created_ms = now_ms();
	lab->ready_ms = 0;
	lab->rows = rows;
	lab->source_port = lab->target_port = lab->bouncer_port = 0;
	lab->dms_port = 0;
	free(lab->error);
	lab->error = NULL;
	if (lab_save(lab, e) != 0)
		return -1;
	loop = loop_new();
	if (build(lab, loop, e) != 0) {
		build_failed(lab, e);
		loop_free(loop);
		return -1;
	}
	loop_free(loop);
	lab->state = LAB_UP;
	lab->ready_ms = now_ms();
	free(lab->step);
	lab->step = NULL;
	return lab_save(lab, e);
}

int
lab_restart_stopped(struct lab *lab, char *restarted, size_t len,
    struct err *e)
{
	struct loop *loop = loop_new();
	size_t used = 0;
	int side, rc = -1;

	restarted[0] = '\0';
	lab_remove_stale_pid_files(lab);
	for (side = 0; side < 2; side++) {
		if (lab_server_pid(lab, (enum lab_side)side) != 0)
			continue;
		if (start_server(lab, (enum lab_side)side, false, e) != 0)
			goto out;
		used += (size_t)snprintf(restarted + used, len - used, "%s%s",
		    used > 0 ? ", " : "", lab_side_name((enum lab_side)side));
		if (used >= len)
			used = len - 1;
	}
	if (lab_bouncer_pid(lab) == 0) {
		if (start_bouncer(lab, loop, false, e) != 0)
			goto out;
		used += (size_t)snprintf(restarted + used, len - used,
		    "%spgbouncer", used > 0 ? ", " : "");
		if (used >= len)
			used = len - 1;
	}
	if (lab_is_dms(lab) && lab_dms_pid(lab) == 0) {
		if (lab_dms_start(lab, false, e) != 0)
			goto out;
		snprintf(restarted + used, len - used, "%sthe DMS emulator",
		    used > 0 ? ", " : "");
	}
	rc = 0;
out:
	loop_free(loop);
	return rc;
}

int
lab_clear(struct lab *lab, struct err *e)
{
	struct dirent *de;
	char *path;
	DIR *d;
	int rc = 0;

	if ((d = opendir(lab->dir)) == NULL)
		return err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", lab->dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "lab.lock") == 0)
			continue;
		path = lab_path(lab, de->d_name);
		if (remove_tree(path) != 0 && rc == 0)
			rc = err_set(e, EXIT_RUNTIME, "%s: cannot remove: %s", path,
			    strerror(errno));
		free(path);
	}
	closedir(d);
	return rc;
}

bool
lab_dir_unused(const char *dir)
{
	struct dirent *de;
	bool unused = true;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "lab.lock") != 0) {
			unused = false;
			break;
		}
	closedir(d);
	return unused;
}

int
lab_mkdir_p(const char *dir, struct err *e)
{
	char *path = xstrdup(dir), *s;
	struct stat st;

	for (s = path + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST) {
				err_set(e, EXIT_RUNTIME, "%s: cannot create the directory: "
				    "%s", path, strerror(errno));
				free(path);
				return -1;
			}
			if ((*s = c) == '\0')
				break;
		}
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, EXIT_USAGE, "%s: not a directory", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}
