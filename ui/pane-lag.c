/* pane-lag.c - the lag now (the provider's source and target side, and
 * the heartbeat's end to end), and a chart of the last minutes with the
 * max_lag_seconds threshold drawn across it. Once the way back is
 * watched, reverse replication's (target to source). */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "ui-int.h"

#define WINDOW_S 300

static int
lag_value(WINDOW *win, int y, int x, int w, const char *label, double s,
    double threshold)
{
	char buf[32];
	int n;

	n = put(win, y, x, w, A_NORMAL, label);
	fmt_seconds(buf, sizeof buf, s);
	n += put(win, y, x + n, w - n, theme(isnan(s) ? TH_DIM :
	    !isnan(threshold) && s > threshold ? TH_BAD : TH_OK) | A_BOLD, buf);
	return n;
}

static void
draw(struct pane *p, const struct model *v)
{
	const struct monitor_model *m = model_mon(v);
	const struct repl_status *r;
	const struct series *s;
	const char *now_label;
	char buf[96], thr[32];
	int x, w = p->w - 2, ch;
	bool back;

	snprintf(buf, sizeof buf, "last %dm", WINDOW_S / 60);
	pane_title(p, v, "Lag", buf, m != NULL ? m->refreshed_at : 0);
	if (m == NULL) {
		put(p->win, 1, 1, w, theme(TH_DIM), "no figures yet");
		return;
	}
	back = monitor_watch_reverse(m);
	r = back ? &m->reverse : &m->repl;
	x = lag_value(p->win, 1, 1, w, back ? "back " : "e2e ", back ?
	    m->lag_reverse : m->lag_e2e, v->max_lag_seconds);
	x += lag_value(p->win, 1, 1 + x, w - x, w >= 36 ? "  src " : " src ",
	    r->lag_source, v->max_lag_seconds);
	lag_value(p->win, 1, 1 + x, w - x, w >= 36 ? "  tgt " : " tgt ",
	    r->lag_target, v->max_lag_seconds);
	if (p->h < 4)
		return;
	if (back) {
		s = &m->series[SERIES_LAG_REVERSE];
		now_label = "back now";
	} else {
		s = &m->series[SERIES_LAG_E2E];
		now_label = "e2e now";
		if (s->n == 0 && m->series[SERIES_LAG_TARGET].n > 0) {
			s = &m->series[SERIES_LAG_TARGET];
			now_label = "tgt now";
		}
	}
	ch = p->h - 3;
	if (v->have_gate && ch > 2) {
		snprintf(buf, sizeof buf, "gate: below %.0f s for %.0f of %.0f s",
		    v->gate_threshold, v->gate_held, v->gate_hold);
		put(p->win, 2, 1, w, theme(v->gate_held >= v->gate_hold ? TH_OK :
		    TH_WARN), buf);
		spark_chart(p->win, 3, 1, ch - 1, w, s, v->max_lag_seconds, v->now,
		    WINDOW_S);
	} else {
		spark_chart(p->win, 2, 1, ch, w, s, v->max_lag_seconds, v->now,
		    WINDOW_S);
	}
	put(p->win, p->h - 1, 1, w, theme(TH_DIM), "-5m");
	put_right(p->win, p->h - 1, 1, w, theme(TH_DIM), now_label);
	if (!isnan(v->max_lag_seconds)) {
		/* Between "-5m" and the right label, never over them: a narrow
		 * pane (80 columns) drops the word, then the line. */
		int left = 4, right = w - text_width(now_label) - 1, tw, cx;

		fmt_seconds(thr, sizeof thr, v->max_lag_seconds);
		snprintf(buf, sizeof buf, "%s limit %s", G.threshold, thr);
		if ((tw = text_width(buf)) > right - left) {
			snprintf(buf, sizeof buf, "%s %s", G.threshold, thr);
			tw = text_width(buf);
		}
		cx = (w - tw) / 2;
		if (cx < left)
			cx = left;
		if (cx + tw > right)
			cx = right - tw;
		if (cx >= left)
			put(p->win, p->h - 1, 1 + cx, tw, theme(TH_THRESHOLD), buf);
	}
	if (m->lag_error != NULL && !v->have_gate && p->h > 5)
		put(p->win, 2, 1, w, theme(TH_WARN), m->lag_error);
	else if (!m->heartbeat_writer && s->n > 0 && !v->have_gate && p->h > 5)
		put(p->win, 2, 1, w, theme(TH_WARN), back ? "stale: no heartbeat "
		    "writer on the target" : "stale: no heartbeat writer");
}

const struct pane_ops pane_lag_ops = {
	.name = "Lag",
	.interest = MODEL_CH_MONITOR | MODEL_CH_CLOCK | MODEL_CH_STATE,
	.focusable = true,
	.draw = draw,
};
