/* world.c - the live world the orchestrator decides from: where
 * pgbouncer's entry points (SHOW DATABASES) and where the file a RELOAD
 * or a restart would read points, whether the pool is paused, whether the
 * target answers and whether anything but cutover wrote on it since the
 * switch began (its proof slot), whether forward replication runs. Never
 * a flag set at the end of a step: a crash may land between any two
 * actions, and resume, rollback and the switch timeout look here first.
 *
 * The look uses connections of its own with short deadlines, so a query
 * an abandoned step left hanging on the orchestrator's connections (a
 * PAUSE waiting, a dead server) does not hold it up. What cannot be seen
 * is unknown, and unknown is decided on the safe side. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "orch-internal.h"

#define LOOK_TIMEOUT_MS 8000

struct look {
	struct orch *o;
	world_fn done;
	struct pg *bouncer;
	struct pg *target;
	struct pg_batch *batch;
	int bq, tq, pq;            /* batch indexes, -1 none */
	int parts;
};

static enum where
where_entry(const struct orch *o, const char *entry)
{
	char *target = pgbouncer_target_entry(o->cfg);
	enum where w;

	if (entry == NULL)
		w = AT_UNKNOWN;
	else if (pgbouncer_entry_equal(entry, target))
		w = AT_TARGET;
	else if (o->st.pgbouncer_original == NULL ||
	    pgbouncer_entry_equal(entry, o->st.pgbouncer_original))
		w = AT_SOURCE;
	else
		w = AT_ELSEWHERE;
	free(target);
	return w;
}

const char *
where_name(enum where w)
{
	static const char *const names[] = { "unknown", "the source",
	    "the target", "elsewhere" };

	return names[w];
}

void
world_decide(const struct config *cfg, const struct state *st,
    struct world *w)
{
	bool pgb_switch = cfg->switch_method == SWITCH_PGBOUNCER;
	bool pgb_drain = cfg->drain_method == DRAIN_PGBOUNCER;
	bool begun = st->switch_begun_at != 0 || st->switch_command != NULL;
	bool held = pgb_drain && (!w->bouncer_ok || w->paused);

	/* Let in: the application can write on the target now. */
	if (st->switched)
		w->let_in = true;
	else if (pgb_switch)
		w->let_in = w->bouncer_ok && w->live_at == AT_TARGET && !w->paused;
	else
		w->let_in = st->switch_command != NULL &&
		    strcmp(st->switch_command, "forward succeeded") == 0 && !held;
	/* May have written on the target: then a way back must fence it
	 * and carry its writes back before the source is let in. */
	if (st->switched || w->let_in)
		w->on_target = true;
	else if (!begun)
		w->on_target = false;
	else if (w->target_writes > 0)
		w->on_target = true;
	else if (w->target_writes == 0)
		w->on_target = false;
	else if (pgb_switch)
		w->on_target = w->live_at != AT_SOURCE;
	else
		w->on_target = true;
}

static void
look_finish(struct look *l)
{
	struct orch *o = l->o;
	struct world *w = &o->world;
	world_fn done = l->done;

	world_decide(o->cfg, &o->st, w);
	w->looked = true;
	pg_free(l->bouncer);
	pg_free(l->target);
	free(l);
	done(o);
}

static void
look_part(struct look *l)
{
	if (--l->parts == 0)
		look_finish(l);
}

static void
look_batch_done(struct pg_batch *b, void *arg)
{
	struct look *l = arg;
	struct world *w = &l->o->world;
	const PGresult *res;
	size_t used = strlen(w->why);

	if (l->bq >= 0) {
		res = pg_batch_result(b, l->bq);
		if (res == NULL) {
			used += (size_t)snprintf(w->why + used, sizeof w->why - used,
			    "%spgbouncer: %s", used > 0 ? "; " : "",
			    pg_batch_error_of(b, l->bq));
		} else {
			int r = pgbouncer_show_row(res, l->o->cfg->pgbouncer_database);
			int pc = PQfnumber(res, "paused");

			w->bouncer_ok = r >= 0;
			if (r >= 0) {
				char *entry = pgbouncer_show_entry(res, r);

				w->paused = pc >= 0 &&
				    strcmp(PQgetvalue(res, r, pc), "1") == 0;
				w->live_at = where_entry(l->o, entry);
				free(entry);
			}
		}
	}
	if (l->tq >= 0) {
		res = pg_batch_result(b, l->tq);
		w->target_ok = res != NULL && !pgr_bool(res, 0, 0);
		if (res == NULL && used < sizeof w->why)
			used += (size_t)snprintf(w->why + used, sizeof w->why - used,
			    "%starget: %s", used > 0 ? "; " : "",
			    pg_batch_error_of(b, l->tq));
	}
	if (l->pq >= 0) {
		res = pg_batch_result(b, l->pq);
		w->target_writes = res != NULL ? (int)pgr_int64(res, 0, 0, -1) : -1;
	}
	pg_batch_free(b);
	l->batch = NULL;
	look_part(l);
}

static void
look_refreshed(struct provider *p, int rc, const struct err *e, void *arg)
{
	struct look *l = arg;
	struct world *w = &l->o->world;

	(void)e;
	w->forward_running = rc == 0 && p->status.status != NULL &&
	    strcmp(p->status.status, "running") == 0;
	look_part(l);
}

void
world_look(struct orch *o, world_fn done)
{
	const struct config *c = o->cfg;
	struct look *l = xcalloc(1, sizeof *l);
	struct world *w = &o->world;
	char *text = NULL;
	size_t len, a, b;

	memset(w, 0, sizeof *w);
	w->target_writes = -1;
	w->live_at = w->file_at = AT_UNKNOWN;
	l->o = o;
	l->done = done;
	l->bq = l->tq = l->pq = -1;
	l->parts = 2;
	/* The file a RELOAD or a restart of pgbouncer would read. */
	if (c->switch_method == SWITCH_PGBOUNCER &&
	    c->pgbouncer_databases_file != NULL) {
		if (file_read_all(c->pgbouncer_databases_file, 1 << 20, &text,
		    &len) == 0) {
			char *entry = pgbouncer_file_entry(text,
			    c->pgbouncer_database, &a, &b);

			w->file_at = where_entry(o, entry);
			free(entry);
			free(text);
		} else {
			snprintf(w->why, sizeof w->why, "%s: %s",
			    c->pgbouncer_databases_file, strerror(errno));
		}
	}
	l->batch = pg_batch_new(look_batch_done, l);
	if (c->pgbouncer_admin != NULL &&
	    (c->drain_method == DRAIN_PGBOUNCER ||
	    c->switch_method == SWITCH_PGBOUNCER)) {
		struct pg_opts bo = { c->pgbouncer_admin, "pgbouncer", 0,
		    LOOK_TIMEOUT_MS, LOOK_TIMEOUT_MS, true, true };

		l->bouncer = pg_new(o->loop, &bo);
		l->bq = pg_batch_add_simple(l->batch, l->bouncer, "SHOW DATABASES");
	}
	{
		struct pg_opts to = { c->target_conninfo, "target", LOOK_TIMEOUT_MS,
		    LOOK_TIMEOUT_MS, LOOK_TIMEOUT_MS, false, true };

		l->target = pg_new(o->loop, &to);
		l->tq = pg_batch_add(l->batch, l->target,
		    "SELECT pg_is_in_recovery()", 0, NULL);
		/* Did anything but cutover write on the target since its proof
		 * slot was made (at the start of the switch)? */
		if (o->st.target_slot != NULL) {
			const char *params[2] = { o->st.target_slot, "0/0" };

			l->pq = pg_batch_add(l->batch, l->target, SQL_PROOF_COUNT, 2,
			    params);
		}
	}
	pg_batch_seal(l->batch);
	o->prov->ops->refresh(o->prov, look_refreshed, l);
}

void
world_describe(const struct orch *o, struct strbuf *out)
{
	const struct world *w = &o->world;

	if (!w->looked)
		return;
	if (o->cfg->pgbouncer_admin != NULL)
		sb_printf(out, "pgbouncer: %s, the live entry points at %s%s%s; ",
		    !w->bouncer_ok ? "does not answer" : w->paused ? "paused" :
		    "not paused", where_name(w->live_at),
		    o->cfg->switch_method == SWITCH_PGBOUNCER ? ", its file at " : "",
		    o->cfg->switch_method == SWITCH_PGBOUNCER ?
		    where_name(w->file_at) : "");
	sb_printf(out, "target: %s", w->target_ok ? "answers" :
	    "does not answer");
	if (w->target_writes >= 0)
		sb_printf(out, ", %d transaction%s by others since the switch began",
		    w->target_writes, w->target_writes == 1 ? "" : "s");
	sb_printf(out, "; forward replication %s",
	    w->forward_running ? "runs" : "does not run");
	if (w->why[0] != '\0')
		sb_printf(out, " (%s)", w->why);
}
