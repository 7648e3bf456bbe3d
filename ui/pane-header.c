/* pane-header.c - who, where, what: the environment badge (PROD in red),
 * REHEARSAL, the run, its phase and state, the clocks (UTC and local),
 * the driver, the watchers, READ-ONLY in watch mode. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ui-int.h"

static void
clocks(const struct model *v, char *buf, size_t len)
{
	time_t t = (time_t)(v->now / 1000);
	struct tm u, l;
	char a[16], b[16], z[16];

	gmtime_r(&t, &u);
	localtime_r(&t, &l);
	strftime(a, sizeof a, "%H:%M:%S", &u);
	strftime(b, sizeof b, "%H:%M:%S", &l);
	strftime(z, sizeof z, "%Z", &l);
	if (strcmp(z, "UTC") == 0 || strcmp(z, "GMT") == 0)
		snprintf(buf, len, "%s UTC", a);
	else
		snprintf(buf, len, "%s UTC  %s %s", a, b, z);
}

static void
draw(struct pane *p, const struct model *v)
{
	const struct state *st = model_state(v);
	char badge[64], buf[768], clk[64];
	bool prod;
	int x = 0, i;
	enum role r;

	prod = v->environment != NULL && strcmp(v->environment, "prod") == 0;
	snprintf(badge, sizeof badge, " %s ", v->environment != NULL ?
	    v->environment : "?");
	for (i = 0; badge[i] != '\0'; i++)
		badge[i] = (char)toupper((unsigned char)badge[i]);
	x += put(p->win, 0, x, p->w, theme(prod ? TH_BADGE_PROD : TH_BADGE_CALM),
	    badge);
	x += put(p->win, 0, x, p->w - x, A_NORMAL, " ");
	if (v->rehearsal) {
		x += put(p->win, 0, x, p->w - x, theme(TH_WARN), "REHEARSAL");
		x += put(p->win, 0, x, p->w - x, A_NORMAL, " ");
	}
	if (v->read_only) {
		x += put(p->win, 0, x, p->w - x, theme(TH_READONLY), " READ-ONLY ");
		x += put(p->win, 0, x, p->w - x, A_NORMAL, " ");
	}
	if (st != NULL) {
		/* The run's id only where the state flags still fit after it
		 * (ARMED, FENCED, SWITCHED are what an operator must see). */
		if (p->w >= 100) {
			snprintf(buf, sizeof buf, "run %s  ", st->run_id);
			x += put(p->win, 0, x, p->w - x, theme(TH_DIM), buf);
		}
		snprintf(buf, sizeof buf, "phase %d/%d %s: ", (int)st->phase + 1,
		    PHASE_COUNT, phase_name(st->phase));
		x += put(p->win, 0, x, p->w - x, A_BOLD, buf);
		switch (st->phase_status) {
		case PS_DONE:
			r = TH_OK;
			break;
		case PS_RUNNING:
			r = TH_WARN;
			break;
		case PS_FAILED:
		case PS_ROLLED_BACK:
			r = TH_BAD;
			break;
		default:
			r = TH_NORMAL;
		}
		x += put(p->win, 0, x, p->w - x, theme(r) | A_BOLD,
		    st->completed ? "complete" : phase_status_name(st->phase_status));
		if (st->armed && !st->fenced)
			x += put(p->win, 0, x, p->w - x, theme(TH_BAD), "  ARMED");
		if (st->fenced)
			x += put(p->win, 0, x, p->w - x, theme(TH_BAD), "  FENCED");
		if (st->switched)
			x += put(p->win, 0, x, p->w - x, theme(TH_WARN), "  SWITCHED");
	} else {
		x += put(p->win, 0, x, p->w - x, theme(TH_DIM), "no run yet");
	}
	clocks(v, clk, sizeof clk);
	if (x + text_width(clk) + 2 < p->w)
		put_right(p->win, 0, 0, p->w, A_NORMAL, clk);

	/* Line 2: an alarm (a failure after the switch) takes it whole, in
	 * red, for the driver and every watcher alike. */
	if (st != NULL && st->alarm != NULL) {
		snprintf(buf, sizeof buf, "ALARM: %s", st->alarm);
		put(p->win, 1, 0, p->w, theme(TH_BAD) | A_BOLD | A_REVERSE, buf);
		return;
	}
	/* Line 2: who drives, who watches. A lost feed comes first: it is
	 * why everything else is getting old. */
	x = 0;
	if (v->feed != NULL && !v->feed_ok) {
		x += put(p->win, 1, x, p->w - x, A_NORMAL, "feed ");
		x += put(p->win, 1, x, p->w - x, theme(TH_BAD), v->feed);
		x += put(p->win, 1, x, p->w - x, A_NORMAL, "  ");
	}
	if (v->driver.pid != 0) {
		snprintf(buf, sizeof buf, "driver %s@%s (pid %ld, since %s)",
		    v->driver.user, v->driver.host, v->driver.pid, v->driver.since);
		x += put(p->win, 1, x, p->w, A_NORMAL, buf);
	} else {
		x += put(p->win, 1, x, p->w, theme(v->read_only ? TH_WARN : TH_DIM),
		    "no driver");
	}
	if (v->watchers >= 0) {
		snprintf(buf, sizeof buf, "  watchers %d", v->watchers);
		x += put(p->win, 1, x, p->w - x, A_NORMAL, buf);
	}
	if (v->feed != NULL && v->feed_ok) {
		x += put(p->win, 1, x, p->w - x, A_NORMAL, "  feed ");
		x += put(p->win, 1, x, p->w - x, theme(v->feed_ok ? TH_OK : TH_BAD),
		    v->feed);
	}
	if (v->read_only && v->snapshot_at > 0) {
		char age[32];

		fmt_age(age, sizeof age, v->now - v->snapshot_at);
		snprintf(buf, sizeof buf, "  snapshot %s old", age);
		x += put(p->win, 1, x, p->w - x, theme(model_stale(v,
		    v->snapshot_at) ? TH_STALE : TH_DIM), buf);
	}
	if (v->notice != NULL) {
		x += put(p->win, 1, x, p->w - x, A_NORMAL, "  ");
		put(p->win, 1, x, p->w - x, theme(v->notice_bad ? TH_BAD : TH_WARN),
		    v->notice);
	}
}

const struct pane_ops pane_header_ops = {
	.name = "Header",
	.interest = MODEL_CH_ALL,
	.draw = draw,
};
