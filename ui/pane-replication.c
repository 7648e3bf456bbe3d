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

/* Puts text from row *y on, broken at spaces to the pane's width, at most
 * max rows (the last one cut). */
static void
wrapped(struct pane *p, int *y, int w, attr_t attr, const char *text,
    int max)
{
	const char *s = text, *brk, *q;
	char line[256];
	int rows = 0;
	size_t n;

	while (*s != '\0' && *y < p->h && rows < max) {
		n = strlen(s);
		if ((int)n > w && rows + 1 < max) {
			brk = NULL;
			for (q = s; q < s + w && *q != '\0'; q++)
				if (*q == ' ')
					brk = q;
			n = brk != NULL && brk > s ? (size_t)(brk - s) : (size_t)w;
		}
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		put(p->win, (*y)++, 1, w, attr, line);
		rows++;
		s += n;
		while (*s == ' ')
			s++;
	}
}

/* "target slot NAME active, WAL 48.0 KiB"; in a narrow pane without the
 * name (status shows it): "target WAL 48.0 KiB". */
static void
slot_text(char *buf, size_t len, int w, const char *side,
    const struct repl_status *r, bool drop)
{
	char a[32];

	fmt_bytes(a, sizeof a, (double)r->wal_retained_bytes);
	snprintf(buf, len, "%s slot %s %s, WAL %s%s", side, r->slot_name,
	    r->slot_active ? "active" : "inactive", a, drop ?
	    ": drop once final" : "");
	if (w < 40 && (int)strlen(buf) > w)
		snprintf(buf, len, "%s WAL %s%s%s", side, a, r->slot_active ||
		    drop ? "" : " (inactive)", drop ? ": drop once final" : "");
}

static void
draw_reverse(struct pane *p, const struct model *v)
{
	const struct monitor_model *m = model_mon(v);
	const struct repl_status *r = &m->reverse, *f = &m->repl;
	char buf[256], lag[32];
	bool lossless = false;
	int y = 1, w = p->w - 2;

	/* What matters first, each line wrapped in a narrow pane: the
	 * verdict, the way back, then what the forward side left. */
	if (monitor_rollback_verdict(m, buf, sizeof buf, &lossless)) {
		/* A narrow pane keeps the verdict's words; its reason is the
		 * next line's. */
		if (w < 50 && strstr(buf, " (") != NULL)
			*strstr(buf, " (") = '\0';
		wrapped(p, &y, w, theme(lossless ? TH_OK : TH_BAD) | A_BOLD, buf,
		    3);
	}
	fmt_seconds(lag, sizeof lag, m->lag_reverse);
	snprintf(buf, sizeof buf, "reverse %s%s%s%s, lag %s", r->status != NULL ?
	    r->status : "unknown", r->stop_reason != NULL ? " (" : "",
	    r->stop_reason != NULL ? r->stop_reason : "",
	    r->stop_reason != NULL ? ")" : "", lag);
	if ((int)strlen(buf) > w && r->stop_reason == NULL)
		snprintf(buf, sizeof buf, "reverse %s %s", r->status != NULL ?
		    r->status : "unknown", lag);
	wrapped(p, &y, w, theme(status_role(r->status)), buf, 2);
	if (r->last_failure != NULL) {
		snprintf(buf, sizeof buf, "failure %s", r->last_failure);
		wrapped(p, &y, w, theme(TH_BAD), buf, 2);
	}
	if (r->slot_name != NULL) {
		slot_text(buf, sizeof buf, w, "target", r, false);
		wrapped(p, &y, w, theme(r->slot_active ? TH_NORMAL : TH_WARN), buf,
		    2);
	}
	if (f->slot_name != NULL) {
		slot_text(buf, sizeof buf, w, "source", f, m->switched);
		wrapped(p, &y, w, theme(f->wal_retained_bytes > ((int64_t)1 << 30) ?
		    TH_WARN : TH_DIM), buf, 2);
	}
	snprintf(buf, sizeof buf, "forward %s%s%s%s", f->status != NULL ?
	    f->status : "unknown", f->stop_reason != NULL ? " (" : "",
	    f->stop_reason != NULL ? f->stop_reason : "",
	    f->stop_reason != NULL ? ")" : "");
	wrapped(p, &y, w, theme(TH_DIM), buf, 1);
	if (m->error != NULL || r->error != NULL)
		wrapped(p, &y, w, theme(TH_BAD), m->error != NULL ? m->error :
		    r->error, 2);
}

static void
draw(struct pane *p, const struct model *v)
{
	const struct monitor_model *m = model_mon(v);
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
	.interest = MODEL_CH_MONITOR | MODEL_CH_CLOCK,
	.focusable = true,
	.draw = draw,
};
