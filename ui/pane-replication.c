/* pane-replication.c - what the provider says: status, stop reason and
 * last failure, full load with a bar, the tables' load states, and the
 * replication slot's WAL retained on the source. Once the way back may
 * run (reverse replication started, or the switch made), the way back
 * instead: the rollback verdict, reverse replication's status and lag,
 * its slot on the target, and the forward slot left on the source. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui-int.h"

static enum role
status_role(const char *s)
{
	if (s == NULL)
		return TH_DIM;
	if (strcmp(s, "running") == 0 || strcmp(s, "replicating") == 0)
		return TH_OK;
	if (strstr(s, "fail") != NULL || strstr(s, "error") != NULL)
		return TH_BAD;
	return TH_WARN;
}

static void
slot_line(struct pane *p, int y, int w, const char *side,
    const struct repl_status *r, bool drop)
{
	char a[32];
	int x;

	fmt_bytes(a, sizeof a, (double)r->wal_retained_bytes);
	x = putf(p->win, y, 1, w, A_NORMAL, "%s slot %s", side, r->slot_name);
	x += put(p->win, y, 1 + x, w - x, theme(r->slot_active || drop ?
	    TH_NORMAL : TH_BAD), r->slot_active ? " active" : " inactive");
	x += putf(p->win, y, 1 + x, w - x, theme(r->wal_retained_bytes >
	    ((int64_t)1 << 30) ? TH_WARN : TH_NORMAL), ", WAL %s", a);
	if (drop)
		put(p->win, y, 1 + x, w - x, theme(TH_DIM),
		    ": drop once final");
}

static void
draw_reverse(struct pane *p, const struct view *v)
{
	const struct monitor_model *m = v->mon;
	const struct repl_status *r = &m->reverse, *f = &m->repl;
	char buf[256], lag[32];
	bool lossless = false;
	int y = 1, x, w = p->w - 2;

	if (monitor_rollback_verdict(m, buf, sizeof buf, &lossless))
		put(p->win, y++, 1, w, theme(lossless ? TH_OK : TH_BAD) | A_BOLD,
		    buf);
	if (y < p->h) {
		x = put(p->win, y, 1, w, A_NORMAL, "reverse ");
		x += put(p->win, y, 1 + x, w - x, theme(status_role(r->status)) |
		    A_BOLD, r->status != NULL ? r->status : "unknown");
		if (r->stop_reason != NULL)
			x += putf(p->win, y, 1 + x, w - x, theme(TH_WARN), " (%s)",
			    r->stop_reason);
		fmt_seconds(lag, sizeof lag, m->lag_reverse);
		putf(p->win, y, 1 + x, w - x, A_NORMAL, "  lag %s", lag);
		y++;
	}
	if (y < p->h && r->last_failure != NULL)
		putf(p->win, y++, 1, w, theme(TH_BAD), "failure %s",
		    r->last_failure);
	if (y < p->h && r->slot_name != NULL)
		slot_line(p, y++, w, "target", r, false);
	if (y < p->h) {
		x = put(p->win, y, 1, w, A_NORMAL, "forward ");
		x += put(p->win, y, 1 + x, w - x, theme(TH_DIM), f->status != NULL ?
		    f->status : "unknown");
		if (f->stop_reason != NULL)
			putf(p->win, y, 1 + x, w - x, theme(TH_DIM), " (%s)",
			    f->stop_reason);
		y++;
	}
	if (y < p->h && f->slot_name != NULL)
		slot_line(p, y++, w, "source", f, m->switched);
	if (y < p->h && (m->error != NULL || r->error != NULL))
		put(p->win, y, 1, w, theme(TH_BAD), m->error != NULL ? m->error :
		    r->error);
}

static void
draw(struct pane *p, const struct view *v)
{
	const struct monitor_model *m = v->mon;
	const struct repl_status *r;
	char buf[256], a[32], b[32], c[32], d[32];
	int y = 1, x, w = p->w - 2;

	snprintf(buf, sizeof buf, "%s%s", v->provider != NULL ? v->provider :
	    "", m != NULL && monitor_watch_reverse(m) ? ", the way back" : "");
	pane_title(p, v, "Replication", buf, m != NULL ?
	    m->repl.updated_at : 0);
	if (m == NULL) {
		put(p->win, y, 1, w, theme(TH_DIM), "no figures yet");
		return;
	}
	if (monitor_watch_reverse(m)) {
		draw_reverse(p, v);
		return;
	}
	r = &m->repl;
	x = put(p->win, y, 1, w, A_NORMAL, "status  ");
	x += put(p->win, y, 1 + x, w - x, theme(status_role(r->status)) | A_BOLD,
	    r->status != NULL ? r->status : "unknown");
	if (r->stop_reason != NULL) {
		x += put(p->win, y, 1 + x, w - x, A_NORMAL, " (");
		x += put(p->win, y, 1 + x, w - x, theme(TH_WARN), r->stop_reason);
		put(p->win, y, 1 + x, w - x, A_NORMAL, ")");
	}
	y++;
	if (r->last_failure != NULL && y < p->h) {
		x = put(p->win, y, 1, w, A_NORMAL, "failure ");
		put(p->win, y, 1 + x, w - x, theme(TH_BAD), r->last_failure);
		y++;
	}
	if (y < p->h) {
		x = put(p->win, y, 1, w, A_NORMAL, "load    ");
		if (isnan(r->full_load_percent)) {
			put(p->win, y, 1 + x, w - x, theme(TH_DIM), "-");
		} else {
			snprintf(buf, sizeof buf, " %3.0f%%", r->full_load_percent);
			draw_bar(p->win, y, 1 + x, w - x - 5, r->full_load_percent / 100,
			    theme(r->full_load_percent >= 100 ? TH_OK : TH_WARN));
			put(p->win, y, 1 + w - 5, 5, A_BOLD, buf);
		}
		y++;
	}
	if (y < p->h) {
		fmt_count(a, sizeof a, r->tables_loaded);
		fmt_count(b, sizeof b, r->tables_loading);
		snprintf(buf, sizeof buf, w >= 30 ? "tables  %s loaded, %s loading" :
		    "loaded %s, loading %s", a, b);
		put(p->win, y++, 1, w, A_NORMAL, buf);
	}
	if (y < p->h) {
		fmt_count(c, sizeof c, r->tables_queued);
		fmt_count(d, sizeof d, r->tables_errored);
		snprintf(buf, sizeof buf, w >= 30 ? "        %s queued, " :
		    "queued %s, ", c);
		x = put(p->win, y, 1, w, A_NORMAL, buf);
		snprintf(buf, sizeof buf, "%s errored", d);
		put(p->win, y, 1 + x, w - x, theme(r->tables_errored > 0 ? TH_BAD :
		    TH_NORMAL), buf);
		y++;
	}
	if (y < p->h && (r->slot_name != NULL || r->wal_retained_bytes >= 0)) {
		fmt_bytes(a, sizeof a, (double)r->wal_retained_bytes);
		x = put(p->win, y, 1, w, A_NORMAL, "WAL retained ");
		snprintf(buf, sizeof buf, "%s", a);
		x += put(p->win, y, 1 + x, w - x, theme(r->wal_retained_bytes >
		    ((int64_t)1 << 30) ? TH_WARN : TH_NORMAL), buf);
		y++;
		if (r->slot_name != NULL && y < p->h) {
			x = put(p->win, y, 1, w, A_NORMAL, "slot ");
			x += put(p->win, y, 1 + x, w - x, A_NORMAL, r->slot_name);
			put(p->win, y, 1 + x, w - x, theme(r->slot_active ? TH_OK : TH_BAD),
			    r->slot_active ? " active" : " INACTIVE");
			y++;
		}
	}
	if (y < p->h && r->confirmed_flush_lsn != NULL && p->zoomed) {
		putf(p->win, y++, 1, w, A_NORMAL, "flushed %s",
		    r->confirmed_flush_lsn);
	}
	if (y < p->h && (m->error != NULL || r->error != NULL)) {
		put(p->win, y, 1, w, theme(TH_BAD), m->error != NULL ? m->error :
		    r->error);
	}
}

const struct pane_ops pane_repl_ops = {
	.name = "Replication",
	.interest = VIEW_CH_MONITOR | VIEW_CH_CLOCK,
	.focusable = true,
	.draw = draw,
};
