/* pane-metrics.c - the provider's CloudWatch series (DMS task and
 * instance, Aurora) as sparklines with their current values; with the
 * postgres provider, the databases' own figures from the monitor
 * (transactions/s, connections, WAL rate). */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "ui-int.h"

static const struct {
	int series;
	const char *label;
} pg_series[] = {
	{ SERIES_SRC_TPS, "source xact/s" },
	{ SERIES_DST_TPS, "target xact/s" },
	{ SERIES_SRC_CONNECTIONS, "source conns" },
	{ SERIES_DST_CONNECTIONS, "target conns" },
	{ SERIES_SRC_WAL_RATE, "source WAL" },
};

static void
line(struct pane *p, int y, const struct series *s, const char *label,
    int name_w)
{
	char val[32];
	int w = p->w - 2, vw = 11, sw;

	put(p->win, y, 1, name_w, A_NORMAL, label != NULL ? label : s->name);
	fmt_rate(val, sizeof val, series_last(s), s->unit);
	sw = w - name_w - vw - 2;
	if (sw > 0)
		sparkline(p->win, y, 1 + name_w + 1, sw, s, NAN, theme(TH_SPARK));
	put_right(p->win, y, 1 + w - vw, vw, A_BOLD, s->n > 0 ? val : "-");
}

static void
draw(struct pane *p, const struct model *v)
{
	const struct monitor_model *mon = model_mon(v);
	int y = 1, name_w = p->w >= 60 ? 24 : 13;
	int64_t stamp = 0;
	size_t i;

	if (v->nmetrics > 0) {
		for (i = 0; i < v->nmetrics; i++)
			if (v->metrics[i].updated_at > stamp)
				stamp = v->metrics[i].updated_at;
		pane_title(p, v, "Metrics", "CloudWatch", stamp);
		for (i = 0; i < v->nmetrics && y < p->h; i++, y++)
			line(p, y, &v->metrics[i], NULL, name_w);
		return;
	}
	pane_title(p, v, "Metrics", "databases", mon != NULL ?
	    mon->refreshed_at : 0);
	if (mon == NULL) {
		put(p->win, 1, 1, p->w - 2, theme(TH_DIM), "no figures yet");
		return;
	}
	for (i = 0; i < ARRAY_SIZE(pg_series) && y < p->h; i++, y++)
		line(p, y, &mon->series[pg_series[i].series], pg_series[i].label,
		    name_w);
}

const struct pane_ops pane_metrics_ops = {
	.name = "Metrics",
	.interest = MODEL_CH_MONITOR | MODEL_CH_CLOCK,
	.focusable = true,
	.draw = draw,
};
