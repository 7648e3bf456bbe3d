/* lab-status.c - asking the lab how it is, for `cutover lab status`; see
 * lab-status.h. Each server and pgbouncer's console are asked by a flow
 * (flow.h) on their own short-lived connection. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "lab-status.h"
#include "loop.h"
#include "pg.h"

static struct pg *
status_conn(struct loop *loop, const char *host, int port, const char *db,
    const char *user, const char *label, bool admin, int timeout_ms)
{
	char *ci = xasprintf("host=%s port=%d dbname=%s user=%s", host, port, db,
	    user);
	struct pg_opts o = { ci, label, admin ? 0 : timeout_ms, timeout_ms + 2000,
		3000, admin, true };
	struct pg *c = pg_new(loop, &o);

	free(ci);
	return c;
}

/* What a side runs: its subscriptions and its logical slots. */
static const char q_subs[] =
    "SELECT s.subname, s.subenabled,"
    " (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid),"
    " (SELECT count(*) FROM pg_subscription_rel r"
    "  WHERE r.srsubid = s.oid AND r.srsubstate = 'r'),"
    " EXISTS (SELECT 1 FROM pg_stat_subscription w WHERE w.subid = s.oid"
    "  AND w.pid IS NOT NULL AND w.relid IS NULL)"
    " FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid"
    " WHERE d.datname = current_database() ORDER BY 1";
static const char q_slots[] =
    "SELECT slot_name, active,"
    " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,"
    " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint"
    " FROM pg_replication_slots WHERE slot_type = 'logical'"
    " AND database = current_database() ORDER BY 1";

struct side_ask {
	struct pg *c;
	struct lab_side_status *st;
};

static int
side_ask_subs(struct flow *f, PGresult *prev)
{
	struct side_ask *a = f->ctx;

	(void)prev;
	return flow_query(f, a->c, q_subs, 0, NULL);
}

static int
side_ask_slots(struct flow *f, PGresult *res)
{
	struct side_ask *a = f->ctx;
	struct lab_side_status *st = a->st;
	int i;

	for (i = 0; i < PQntuples(res) && (size_t)i < ARRAY_SIZE(st->subs); i++) {
		struct lab_sub_status *u = &st->subs[st->nsubs++];

		u->name = xstrdup(pgr_value(res, i, 0));
		u->enabled = pgr_bool(res, i, 1);
		u->tables = pgr_int64(res, i, 2, 0);
		u->ready = pgr_int64(res, i, 3, 0);
		u->worker = pgr_bool(res, i, 4);
	}
	return flow_query(f, a->c, q_slots, 0, NULL);
}

static int
side_read_slots(struct flow *f, PGresult *res)
{
	struct side_ask *a = f->ctx;
	struct lab_side_status *st = a->st;
	int i;

	for (i = 0; i < PQntuples(res) && (size_t)i < ARRAY_SIZE(st->slots); i++) {
		struct lab_slot_status *l = &st->slots[st->nslots++];

		l->name = xstrdup(pgr_value(res, i, 0));
		l->active = pgr_bool(res, i, 1);
		l->retained = pgr_int64(res, i, 2, 0);
		l->behind = pgr_int64(res, i, 3, 0);
	}
	return FLOW_NEXT;
}

static const flow_step side_steps[] = {
	side_ask_subs, side_ask_slots, side_read_slots, NULL
};

static void
side_status(struct loop *loop, const struct lab *lab, enum lab_side s,
    struct lab_side_status *st)
{
	struct err e = { 0, "" };
	struct side_ask a;

	st->port = lab_side_port(lab, s);
	if ((st->pid = lab_server_pid(lab, s)) == 0)
		return;
	a.st = st;
	a.c = status_conn(loop, "127.0.0.1", st->port, LAB_DB, LAB_SUPERUSER,
	    lab_side_name(s), false, 10000);
	if (flow_run(loop, side_steps, &a, &e) != 0)
		st->error = xstrdup(e.msg);
	pg_free(a.c);
}

static int64_t
col_int(const PGresult *res, int row, const char *name)
{
	int col = PQfnumber(res, name);

	return col < 0 ? 0 : pgr_int64(res, row, col, 0);
}

static const char *
col_str(const PGresult *res, int row, const char *name)
{
	int col = PQfnumber(res, name);

	return col < 0 ? NULL : pgr_value(res, row, col);
}

/* pgbouncer's admin console: where the application's entry points, and
 * its pools (whose failure is not worth an error of its own). */
struct bouncer_ask {
	struct pg *c;
	struct lab_bouncer_status *b;
	bool listed;             /* SHOW DATABASES answered */
};

static int
bouncer_ask_databases(struct flow *f, PGresult *prev)
{
	struct bouncer_ask *a = f->ctx;

	(void)prev;
	return flow_query_simple(f, a->c, "SHOW DATABASES");
}

static int
bouncer_ask_pools(struct flow *f, PGresult *res)
{
	struct bouncer_ask *a = f->ctx;
	struct lab_bouncer_status *b = a->b;
	int i;

	a->listed = true;
	for (i = 0; i < PQntuples(res); i++) {
		const char *name = col_str(res, i, "name");

		if (name == NULL || strcmp(name, LAB_DB) != 0)
			continue;
		b->live = true;
		b->host = xstrdup(col_str(res, i, "host") != NULL ?
		    col_str(res, i, "host") : "127.0.0.1");
		b->entry_port = (int)col_int(res, i, "port");
		b->dbname = xstrdup(col_str(res, i, "database") != NULL ?
		    col_str(res, i, "database") : LAB_DB);
		b->paused = col_int(res, i, "paused") != 0;
	}
	return flow_query_simple(f, a->c, "SHOW POOLS");
}

static int
bouncer_read_pools(struct flow *f, PGresult *res)
{
	struct bouncer_ask *a = f->ctx;
	struct lab_bouncer_status *b = a->b;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		const char *db = col_str(res, i, "database");

		if (db == NULL || strcmp(db, LAB_DB) != 0)
			continue;
		b->cl_active += col_int(res, i, "cl_active");
		b->cl_waiting += col_int(res, i, "cl_waiting");
		b->sv_active += col_int(res, i, "sv_active");
	}
	return FLOW_NEXT;
}

static const flow_step bouncer_steps[] = {
	bouncer_ask_databases, bouncer_ask_pools, bouncer_read_pools, NULL
};

static void
bouncer_status(struct loop *loop, const struct lab *lab,
    struct lab_bouncer_status *b)
{
	struct err e = { 0, "" };
	char *fhost = NULL, *fdb = NULL;
	struct bouncer_ask a = { NULL, b, false };
	int fport = 0;

	b->port = lab->bouncer_port;
	if (lab_bouncer_entry(lab, &fhost, &fport, &fdb, &e) != 0)
		b->error = xstrdup(e.msg);
	if ((b->pid = lab_bouncer_pid(lab)) != 0) {
		a.c = status_conn(loop, "127.0.0.1", b->port, "pgbouncer",
		    LAB_SUPERUSER, "pgbouncer", true, 5000);
		if (flow_run(loop, bouncer_steps, &a, &e) != 0 && !a.listed) {
			free(b->error);
			b->error = xstrdup(e.msg);
		}
		pg_free(a.c);
	}
	if (!b->live && fhost != NULL) {
		b->host = fhost;
		b->entry_port = fport;
		b->dbname = fdb;
		fhost = fdb = NULL;
	} else if (b->live && fhost != NULL && fport != b->entry_port) {
		b->file_entry = xasprintf("host=%s port=%d dbname=%s", fhost, fport,
		    fdb);
	}
	free(fhost);
	free(fdb);
}

static const char *
which_side(const struct lab *lab, const char *host, int port)
{
	if (host == NULL || (strcmp(host, "127.0.0.1") != 0 &&
	    strcmp(host, "localhost") != 0))
		return NULL;
	if (port == lab->source_port)
		return "source";
	if (port == lab->target_port)
		return "target";
	return NULL;
}

static void
judge_load(struct loop *loop, const struct lab *lab, struct lab_status *st)
{
	struct err e = { 0, "" };
	struct lab_judgement *j = &st->judge;
	struct pg *c;

	if (lab_judge_logs(lab, &st->load, j, &e) != 0) {
		st->judge_error = xstrdup(e.msg);
		lab_judge_finish(&st->load, j);
		return;
	}
	if (st->bouncer.host == NULL) {
		st->judge_error = xasprintf("cannot tell where the application "
		    "points: %s", st->bouncer.error != NULL ? st->bouncer.error :
		    "no app entry");
	} else {
		j->primary = xstrdup(st->points_to != NULL ? st->points_to : "");
		if (st->points_to == NULL) {
			free(j->primary);
			j->primary = xasprintf("%s:%d", st->bouncer.host,
			    st->bouncer.entry_port);
		}
		c = status_conn(loop, st->bouncer.host, st->bouncer.entry_port,
		    st->bouncer.dbname, LAB_SUPERUSER, j->primary, false, 60000);
		if (lab_judge_primary(loop, c, lab, &st->load, j, &e) != 0)
			st->judge_error = xstrdup(e.msg);
		pg_free(c);
	}
	lab_judge_finish(&st->load, j);
}

int
lab_status_gather(const struct lab *lab, struct lab_status *st, struct err *e)
{
	struct loop *loop = loop_new();
	int r, s;

	memset(st, 0, sizeof *st);
	for (s = 0; s < 2; s++)
		side_status(loop, lab, (enum lab_side)s, &st->side[s]);
	bouncer_status(loop, lab, &st->bouncer);
	st->points_to = which_side(lab, st->bouncer.host, st->bouncer.entry_port);
	st->dms_pid = lab_dms_pid(lab);
	st->all_running = st->side[0].pid != 0 && st->side[1].pid != 0 &&
	    st->bouncer.pid != 0 && (!lab_is_dms(lab) || st->dms_pid != 0);
	if ((r = lab_load_latest(lab, &st->load, e)) < 0) {
		loop_free(loop);
		return -1;
	}
	if (r > 0) {
		st->have_load = true;
		st->load_running = lab_load_running(&st->load);
		judge_load(loop, lab, st);
	}
	loop_free(loop);
	return 0;
}

void
lab_status_free(struct lab_status *st)
{
	size_t s, i;

	for (s = 0; s < 2; s++) {
		free(st->side[s].error);
		for (i = 0; i < st->side[s].nsubs; i++)
			free(st->side[s].subs[i].name);
		for (i = 0; i < st->side[s].nslots; i++)
			free(st->side[s].slots[i].name);
	}
	free(st->bouncer.error);
	free(st->bouncer.host);
	free(st->bouncer.dbname);
	free(st->bouncer.file_entry);
	free(st->judge_error);
	lab_judgement_free(&st->judge);
}

const struct lab_sub_status *
lab_status_forward_sub(const struct lab_status *st)
{
	size_t i;

	for (i = 0; i < st->side[LAB_TARGET].nsubs; i++)
		if (strcmp(st->side[LAB_TARGET].subs[i].name, LAB_SUBSCRIPTION) == 0)
			return &st->side[LAB_TARGET].subs[i];
	return NULL;
}

const struct lab_slot_status *
lab_status_slot(const struct lab_side_status *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nslots; i++)
		if (strcmp(s->slots[i].name, name) == 0)
			return &s->slots[i];
	return NULL;
}

bool
lab_status_ok(const struct lab *lab, const struct lab_status *st)
{
	return lab->state == LAB_UP && st->all_running && (!st->have_load ||
	    (st->judge.passed && st->judge_error == NULL));
}
