/* cmd-status.c - `cutover status [--json]`: one snapshot of replication,
 * lag, tables and phase. It changes nothing. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lock.h"
#include "monitor.h"
#include "state.h"

static void
on_refreshed(struct monitor *m, void *arg)
{
	(void)m;
	*(bool *)arg = true;
}

static void
fmt_lag(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%.1f s", v);
}

/* The way back: reverse replication, its lag and slot on the target,
 * and the forward slot it leaves on the source. */
static void
print_reverse(const struct monitor_model *m)
{
	const struct repl_status *r = &m->reverse, *f = &m->repl;
	char lag[32];

	printf("reverse      %s", r->status != NULL ? r->status : "unknown");
	if (r->stop_reason != NULL)
		printf(" (%s)", r->stop_reason);
	fmt_lag(lag, sizeof lag, m->lag_reverse);
	printf("  end-to-end %s%s\n", lag, m->heartbeat_writer ? "" :
	    " (no heartbeat writer on the target)");
	if (r->last_failure != NULL)
		printf("rev failure  %s\n", r->last_failure);
	if (r->error != NULL)
		printf("rev error    %s\n", r->error);
	if (r->slot_name != NULL)
		printf("target slot  %s %s, WAL retained %lld bytes\n",
		    r->slot_name, r->slot_active ? "active" : "INACTIVE",
		    (long long)r->wal_retained_bytes);
	if (f->slot_name != NULL)
		printf("source slot  %s %s, WAL retained %lld bytes%s\n",
		    f->slot_name, f->slot_active ? "active" : "inactive",
		    (long long)f->wal_retained_bytes, m->switched ? " (the forward "
		    "slot: drop it once the migration is final)" : "");
}

static void
print_text(const struct ctx *ctx, const struct state *st, bool have_state,
    const struct lock_holder *driver, const struct monitor_model *m)
{
	const struct repl_status *r = &m->repl;
	char a[32], b[32], c[32], d[32], verdict[256];
	bool lossless;
	size_t i;

	printf("environment  %s%s\n", ctx->environment,
	    ctx->cfg.rehearsal ? " (rehearsal)" : "");
	if (have_state)
		printf("run          %s  phase %s (%s)%s%s\n", st->run_id,
		    phase_name(st->phase), phase_status_name(st->phase_status),
		    st->fenced ? "  FENCED" : "", st->switched ? "  SWITCHED" : "");
	else
		printf("run          none yet\n");
	printf("replication  %s: %s", provider_name(ctx->cfg.provider),
	    r->status != NULL ? r->status : "unknown");
	if (r->stop_reason != NULL)
		printf(" (%s)", r->stop_reason);
	printf("  direction %s\n", repl_direction_name(m->direction));
	if (r->last_failure != NULL)
		printf("last failure %s\n", r->last_failure);
	if (!isnan(r->full_load_percent))
		printf("full load    %.0f%%  tables %d loaded, %d loading, %d queued, "
		    "%d errored\n", r->full_load_percent, r->tables_loaded,
		    r->tables_loading, r->tables_queued, r->tables_errored);
	fmt_lag(a, sizeof a, r->lag_source);
	fmt_lag(b, sizeof b, r->lag_target);
	fmt_lag(c, sizeof c, m->lag_e2e);
	printf("lag          source %s  target %s  end-to-end %s%s\n", a, b, c,
	    m->heartbeat_writer ? "" : " (no heartbeat writer)");
	if (r->slot_name != NULL && !monitor_watch_reverse(m))
		printf("slot         %s %s, WAL retained %lld bytes\n", r->slot_name,
		    r->slot_active ? "active" : "INACTIVE",
		    (long long)r->wal_retained_bytes);
	if (monitor_watch_reverse(m))
		print_reverse(m);
	if (monitor_rollback_verdict(m, verdict, sizeof verdict, &lossless))
		printf("%s\n", verdict);
	if (driver->pid != 0)
		printf("driver       pid %ld %s@%s since %s\n", driver->pid,
		    driver->user, driver->host, driver->since);
	else
		printf("driver       none\n");
	if (m->error != NULL)
		printf("error        %s\n", m->error);
	if (m->tables.n == 0)
		return;
	printf("\n%-40s %-16s %12s %12s %8s %10s %10s %10s\n", "TABLE", "STATE",
	    "SOURCE ROWS", "TARGET ROWS", "DIFF", "INSERTS", "UPDATES", "DELETES");
	for (i = 0; i < m->tables.n; i++) {
		const struct table_stat *t = &m->tables.v[i];
		char name[256], diff[32];

		if (t->nparts > 0)
			snprintf(name, sizeof name, "%s.%s (%zu partitions)", t->schema,
			    t->name, t->nparts);
		else
			snprintf(name, sizeof name, "%s.%s", t->schema, t->name);
		fmt_count(a, sizeof a, t->inserts);
		fmt_count(b, sizeof b, t->updates);
		fmt_count(c, sizeof c, t->deletes);
		if (t->source_rows >= 0 && t->target_rows >= 0)
			snprintf(diff, sizeof diff, "%lld",
			    (long long)(t->target_rows - t->source_rows));
		else
			snprintf(diff, sizeof diff, "-");
		fmt_count(d, sizeof d, t->source_rows);
		printf("%-40s %-16s %12s ", name, t->state != NULL ? t->state : "-", d);
		fmt_count(d, sizeof d, t->target_rows);
		printf("%12s %8s %10s %10s %10s\n", d, diff, a, b, c);
	}
}

int
cmd_status(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	struct err e = { 0, "" };
	struct lock_holder driver;
	struct provider *prov;
	struct monitor *mon;
	struct model md;
	struct state st;
	struct loop *loop;
	bool json = args_has(a, 'j'), done = false, have_state = false;
	int rc = EXIT_OK, srk;

	if (ctx_setup(ctx, CONFIG_REQUIRED, &e) != 0)
		return report_error(&e, cmd);
	srk = state_load(&st, ctx->state_dir, &e);
	if (srk < 0)
		return report_error(&e, cmd);
	have_state = srk == 0;
	lock_query(ctx->state_dir, &driver);
	loop = loop_new();
	if ((prov = provider_new(loop, &ctx->cfg, &e)) == NULL) {
		loop_free(loop);
		if (have_state)
			state_free(&st);
		return report_error(&e, cmd);
	}
	model_init(&md);
	mon = monitor_new(loop, &ctx->cfg, prov, &md);
	if (have_state)
		monitor_set_direction(mon, st.replication, st.switched);
	monitor_refresh(mon, on_refreshed, &done);
	while (!done)
		loop_run_once(loop, 1000);
	if (json) {
		cJSON *o = status_json(&ctx->cfg, have_state ? &st : NULL, &driver,
		    &md.mon);
		char *text = cJSON_Print(o);

		printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(o);
	} else {
		print_text(ctx, &st, have_state, &driver, &md.mon);
	}
	/* Exit 3 when the replication itself (the DMS task, the
	 * subscription) or a database could not be read; a part shown from
	 * before (table statistics, a metric) is only named. */
	if (md.mon.error != NULL) {
		fprintf(stderr, "cutover: status is incomplete: %s\n",
		    md.mon.error);
		rc = EXIT_RUNTIME;
	} else if (md.mon.repl.error != NULL) {
		fprintf(stderr, "cutover: status: not refreshed, shown from "
		    "before: %s\n", md.mon.repl.error);
	}
	monitor_free(mon);
	model_clear(&md);
	provider_free(prov);
	loop_free(loop);
	if (have_state)
		state_free(&st);
	return rc;
}
