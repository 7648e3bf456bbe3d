/* pane-events.c - the tail of the event log, newest at the bottom,
 * scrollable (End follows new events again), kinds coloured. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui-int.h"

struct events {
	size_t back;          /* lines scrolled up from the newest */
	uint64_t seen;        /* v->ev_added when last drawn */
};

static enum role
kind_role(const char *kind)
{
	if (str_endswith(kind, ".failed") || str_startswith(kind, "error") ||
	    str_startswith(kind, "rollback") || strcmp(kind, "??") == 0 ||
	    str_endswith(kind, ".refused"))
		return TH_BAD;
	if (str_endswith(kind, ".done") || str_endswith(kind, ".started") ||
	    str_startswith(kind, "watch."))
		return TH_OK;
	if (strcmp(kind, "action") == 0 || str_startswith(kind, "operator"))
		return TH_WARN;
	return TH_NORMAL;
}

static void
init(struct pane *p)
{
	p->data = xcalloc(1, sizeof(struct events));
}

static void
pane_free(struct pane *p)
{
	free(p->data);
	p->data = NULL;
}

static void
update(struct pane *p, const struct model *v, unsigned what)
{
	struct events *e = p->data;

	(void)what;
	/* Scrolled up: stay on the same events while new ones arrive. */
	if (e->back > 0 && v->ev_added > e->seen)
		e->back += (size_t)(v->ev_added - e->seen);
	if (e->back >= v->ev_n)
		e->back = v->ev_n > 0 ? v->ev_n - 1 : 0;
	e->seen = v->ev_added;
}

static void
draw(struct pane *p, const struct model *v)
{
	struct events *e = p->data;
	const struct model_event *ev;
	char right[64], ts[16];
	int rows = p->h - 1, y, x, w = p->w - 2;
	size_t last, i;
	time_t t;
	struct tm tm;

	if (e->back > 0)
		snprintf(right, sizeof right, "%zu newer below (End)", e->back);
	else
		snprintf(right, sizeof right, "%zu events", v->ev_n);
	pane_title(p, v, "Events", right, -1);
	if (v->ev_n == 0) {
		put(p->win, 1, 1, w, theme(TH_DIM), "no events yet");
		return;
	}
	last = v->ev_n - 1 - (e->back < v->ev_n ? e->back : v->ev_n - 1);
	for (y = rows; y >= 1; y--) {
		size_t back = (size_t)(rows - y);

		if (back > last)
			break;
		i = last - back;
		ev = model_event_at(v, i);
		t = (time_t)(ev->ts / 1000);
		localtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%H:%M:%S", &tm);
		x = putf(p->win, y, 1, w, theme(TH_DIM), "%s %5lld ", ts,
		    (long long)ev->seq);
		x += putf(p->win, y, 1 + x, w - x, theme(kind_role(ev->kind)),
		    "%-17s ", ev->kind);
		if (p->w >= 100) {
			x += putf(p->win, y, 1 + x, w - x, theme(TH_DIM), "%-15s ",
			    ev->phase != NULL ? ev->phase : "-");
			x += putf(p->win, y, 1 + x, w - x, theme(TH_DIM), "%s ",
			    ev->actor);
		}
		put(p->win, y, 1 + x, w - x, A_NORMAL, ev->msg);
	}
}

static bool
request(struct pane *p, const struct model *v, enum request r)
{
	struct events *e = p->data;
	size_t page = (size_t)(p->h > 2 ? p->h - 2 : 1);
	size_t max = v->ev_n > 0 ? v->ev_n - 1 : 0;

	switch (r) {
	case REQ_UP:
		e->back++;
		break;
	case REQ_DOWN:
		if (e->back > 0)
			e->back--;
		break;
	case REQ_PAGE_UP:
		e->back += page;
		break;
	case REQ_PAGE_DOWN:
		e->back = e->back > page ? e->back - page : 0;
		break;
	case REQ_HOME:
		e->back = max;
		break;
	case REQ_END:
		e->back = 0;
		break;
	default:
		return false;
	}
	if (e->back > max)
		e->back = max;
	e->seen = v->ev_added;
	return true;
}

static const enum request requests[] = {
	REQ_UP, REQ_DOWN, REQ_PAGE_UP, REQ_PAGE_DOWN, REQ_HOME, REQ_END, REQ_NONE
};

const struct pane_ops pane_events_ops = {
	.name = "Events",
	.interest = MODEL_CH_EVENTS,
	.focusable = true,
	.init = init,
	.free = pane_free,
	.update = update,
	.draw = draw,
	.request = request,
	.requests = requests,
};
