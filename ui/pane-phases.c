/* pane-phases.c - the eight phases as a stepper (done, running, pending,
 * failed, rolled back), the current phase's checks, the armed state, the
 * switch timeout counting down, and the next action with its key. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui-int.h"

static const char *const short_check[CHK_COUNT] = {
	"status", "lag", "rows", "cksum", "seq", "pk", "schema"
};

static const char *
glyph(enum phase_status s, enum role *r)
{
	switch (s) {
	case PS_DONE:
		*r = TH_OK;
		return G.done;
	case PS_RUNNING:
		*r = TH_WARN;
		return G.running;
	case PS_FAILED:
		*r = TH_BAD;
		return G.failed;
	case PS_ROLLED_BACK:
		*r = TH_BAD;
		return G.rolled_back;
	default:
		*r = TH_DIM;
		return G.pending;
	}
}

static enum phase_status
status_of(const struct model *v, int i)
{
	const struct state *st = model_state(v);

	if (st == NULL)
		return PS_PENDING;
	if ((int)st->phase == i && st->phase_status != PS_PENDING)
		return st->phase_status;
	return st->phases[i].status;
}

static void
list(struct pane *p, const struct model *v, int *y)
{
	const struct state *st = model_state(v);
	char buf[64], dur[32];
	enum phase_status s;
	enum role r;
	const char *g;
	int i, x, w = p->w - 2;

	for (i = 0; i < PHASE_COUNT && *y < p->h; i++, (*y)++) {
		s = status_of(v, i);
		g = glyph(s, &r);
		x = put(p->win, *y, 1, w, theme(r) | A_BOLD, g);
		snprintf(buf, sizeof buf, " %d %-17s", i + 1, phase_name(i));
		x += put(p->win, *y, 1 + x, w - x, st != NULL && (int)st->phase == i ?
		    A_BOLD : A_NORMAL, buf);
		x += put(p->win, *y, 1 + x, w - x, theme(r),
		    s == PS_PENDING ? "" : phase_status_name(s));
		if (st != NULL && st->phases[i].started_at > 0) {
			int64_t end = st->phases[i].finished_at > 0 ?
			    st->phases[i].finished_at : s == PS_RUNNING ? v->now : 0;

			if (end > 0) {
				fmt_age(dur, sizeof dur, end - st->phases[i].started_at);
				put_right(p->win, *y, 1 + x, w - x, theme(TH_DIM), dur);
			}
		}
	}
}

static void
stepper(struct pane *p, const struct model *v, int *y)
{
	const struct state *st = model_state(v);
	enum phase_status s;
	enum role r;
	const char *g;
	char buf[16];
	int i, x = 0, w = p->w - 2;

	for (i = 0; i < PHASE_COUNT; i++) {
		s = status_of(v, i);
		snprintf(buf, sizeof buf, "%d", i + 1);
		x += put(p->win, *y, 1 + x, w - x, st != NULL && (int)st->phase == i ?
		    A_BOLD | A_UNDERLINE : A_NORMAL, buf);
		g = glyph(s, &r);
		x += put(p->win, *y, 1 + x, w - x, theme(r) | A_BOLD, g);
		x += put(p->win, *y, 1 + x, w - x, A_NORMAL, " ");
	}
	(*y)++;
	if (st != NULL && *y < p->h) {
		x = putf(p->win, *y, 1, w, A_BOLD, "%s ", phase_name(st->phase));
		glyph(st->phase_status, &r);
		put(p->win, *y, 1 + x, w - x, theme(r), st->completed ? "complete" :
		    phase_status_name(st->phase_status));
		(*y)++;
	}
}

static void
checks(struct pane *p, const struct model *v, int *y, bool detailed)
{
	int i, x, w = p->w - 2;

	if (v->checks_title == NULL || *y >= p->h)
		return;
	if (!detailed) {
		x = put(p->win, *y, 1, w, theme(TH_DIM), "checks");
		for (i = 0; i < CHK_COUNT; i++) {
			int st = v->checks[i].status;

			x += put(p->win, *y, 1 + x, w - x, A_NORMAL, " ");
			x += put(p->win, *y, 1 + x, w - x, theme(check_role(st)) | A_BOLD,
			    st == CHECK_PASS ? G.done : st == CHECK_FAIL ||
			    st == CHECK_ERROR ? G.failed : st == CHECK_WARN ? "!" : "-");
			x += put(p->win, *y, 1 + x, w - x, A_NORMAL, short_check[i]);
		}
		(*y)++;
		return;
	}
	put(p->win, (*y)++, 1, w, A_BOLD, v->checks_title);
	for (i = 0; i < CHK_COUNT && *y < p->h; i++, (*y)++) {
		x = putf(p->win, *y, 3, w - 2, A_NORMAL, "%-19s", check_name(i));
		x += put(p->win, *y, 3 + x, w - 2 - x,
		    theme(check_role(v->checks[i].status)) | A_BOLD,
		    check_mark(v->checks[i].status));
		if (v->checks[i].detail != NULL)
			put(p->win, *y, 4 + x, w - 3 - x, A_NORMAL,
			    v->checks[i].detail);
	}
}

static void
next_action(struct pane *p, const struct model *v, int *y)
{
	const struct state *st = model_state(v);
	char buf[160], t[32];
	const char *key;
	int w = p->w - 2, x;

	if (*y >= p->h)
		return;
	if (st != NULL && st->armed && !st->fenced && st->fenced_at == 0 &&
	    *y < p->h) {
		/* Armed: the next action is the cut (one line: the pane is
		 * short, and the readiness list follows). */
		const char *run = keys_first(REQ_RUN, v->read_only);

		key = keys_first(REQ_DISARM, v->read_only);
		if (run != NULL && !v->busy)
			snprintf(buf, sizeof buf, "ARMED: %s opens the cut%s%s%s", run,
			    key != NULL ? " (" : "", key != NULL ? key : "",
			    key != NULL ? " disarms)" : "");
		else
			snprintf(buf, sizeof buf, "ARMED: drain fences writes next%s%s%s",
			    key != NULL ? " (" : "", key != NULL ? key : "",
			    key != NULL ? " disarms)" : "");
		put(p->win, (*y)++, 1, w, theme(TH_BAD) | A_BOLD, buf);
		if (run != NULL && !v->busy)
			return;
	}
	if (st != NULL && st->fenced_at != 0 && *y < p->h) {
		/* The write pause so far, live; once switched, what it was. */
		int64_t end = st->switched_at != 0 ? st->switched_at : v->now;

		if (st->switched_at == 0 || st->switched_at >= st->fenced_at) {
			snprintf(buf, sizeof buf, "write pause %s%.1f s",
			    st->switched_at != 0 ? "was " : "",
			    (double)(end - st->fenced_at) / 1000.0);
			put(p->win, (*y)++, 1, w, theme(st->switched_at != 0 ? TH_OK :
			    TH_BAD) | A_BOLD, buf);
		}
	}
	if (v->switch_left >= 0 && *y < p->h) {
		fmt_age(t, sizeof t, (int64_t)(v->switch_left * 1000));
		snprintf(buf, sizeof buf, "switch timeout in %s", t);
		put(p->win, (*y)++, 1, w, theme(v->switch_left < 60 ? TH_BAD : TH_WARN) |
		    A_BOLD, buf);
	}
	if (v->busy && *y < p->h) {
		x = put(p->win, *y, 1, w, theme(TH_WARN), "now: ");
		put(p->win, *y, 1 + x, w - x, A_NORMAL, v->progress != NULL ?
		    v->progress : v->step != NULL ? v->step : "working");
		(*y)++;
		return;
	}
	if (*y >= p->h)
		return;
	if (v->next_phase >= PHASE_COUNT || (st != NULL && st->completed)) {
		put(p->win, (*y)++, 1, w, theme(TH_OK), "run complete");
		return;
	}
	key = keys_first(REQ_RUN, v->read_only);
	if (v->next_phase >= PHASE_DRAIN && v->next_phase <= PHASE_SWITCH) {
		/* The cut: approved phase by phase before the fence. */
		if (key != NULL)
			snprintf(buf, sizeof buf, "next: %s opens the cut %d-%d "
			    "(y approves each)", key, v->next_phase + 1,
			    PHASE_SWITCH + 1);
		else
			snprintf(buf, sizeof buf, "next: the cut %d-%d (the driver "
			    "runs it)", v->next_phase + 1, PHASE_SWITCH + 1);
	} else if (key != NULL && w < 34)
		snprintf(buf, sizeof buf, "%s: run %d %s", key, v->next_phase + 1,
		    phase_name(v->next_phase));
	else if (key != NULL)
		snprintf(buf, sizeof buf, "next: %s runs %d/%d %s", key,
		    v->next_phase + 1, PHASE_COUNT, phase_name(v->next_phase));
	else
		snprintf(buf, sizeof buf, "next: %d/%d %s (the driver runs it)",
		    v->next_phase + 1, PHASE_COUNT, phase_name(v->next_phase));
	put(p->win, (*y)++, 1, w, A_BOLD, buf);
}

/* The readiness check before arming: a summary, and each item that is
 * not ok with what to fix (every item when zoomed). Shown until the
 * fence. */
static void
readiness(struct pane *p, const struct model *v, int *y, bool all)
{
	const struct state *st = model_state(v);
	int nok = 0, nfail = 0, nunk = 0, x, w = p->w - 2;
	size_t i;

	if (st == NULL || st->nreadiness == 0 || st->fenced_at != 0 ||
	    st->phase > PHASE_DRAIN || *y >= p->h)
		return;
	for (i = 0; i < st->nreadiness; i++) {
		if (st->readiness[i].status == READY_OK)
			nok++;
		else if (st->readiness[i].status == READY_FAILED)
			nfail++;
		else
			nunk++;
	}
	x = put(p->win, *y, 1, w, A_BOLD, "readiness ");
	putf(p->win, (*y)++, 1 + x, w - x, theme(nfail > 0 ? TH_BAD : nunk > 0 ?
	    TH_WARN : TH_OK) | A_BOLD, "%d ok, %d failed, %d not checked%s",
	    nok, nfail, nunk, nfail > 0 ? ": arming blocked" : "");
	for (i = 0; i < st->nreadiness && *y < p->h; i++) {
		const struct readiness_item *it = &st->readiness[i];
		enum role r = it->status == READY_OK ? TH_OK :
		    it->status == READY_FAILED ? TH_BAD : TH_WARN;

		if (!all && it->status != READY_FAILED)
			continue;
		x = put(p->win, *y, 2, w - 1, theme(r) | A_BOLD,
		    it->status == READY_OK ? G.done : it->status == READY_FAILED ?
		    G.failed : "?");
		x += put(p->win, *y, 3 + x, w - 2 - x, A_NORMAL, it->item);
		if (all && it->status != READY_OK && it->detail != NULL &&
		    *y + 1 < p->h) {
			(*y)++;
			put(p->win, *y, 4, w - 3, theme(r), it->detail);
		}
		(*y)++;
	}
}

static void
draw(struct pane *p, const struct model *v)
{
	int y = 1;

	pane_title(p, v, "Phases", v->busy ? "running" : NULL, -1);
	if (p->h - 1 >= PHASE_COUNT + 3) {
		list(p, v, &y);
		next_action(p, v, &y);
		readiness(p, v, &y, p->zoomed);
		checks(p, v, &y, p->zoomed);
		if (p->zoomed && v->step != NULL && y < p->h)
			putf(p->win, y++, 1, p->w - 2, theme(TH_DIM), "step: %s",
			    v->step);
	} else {
		stepper(p, v, &y);
		next_action(p, v, &y);
		readiness(p, v, &y, false);
		checks(p, v, &y, false);
	}
}

const struct pane_ops pane_phases_ops = {
	.name = "Phases",
	.interest = MODEL_CH_STATE | MODEL_CH_CLOCK | MODEL_CH_VALIDATION,
	.focusable = true,
	.draw = draw,
};
