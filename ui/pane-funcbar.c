/* pane-funcbar.c - the bottom line: the keys that do something right now
 * (from the key table, asking the driver which acting ones are enabled),
 * READ-ONLY in watch mode, or a message after an action. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ui-int.h"

static int
item(struct pane *p, int x, const char *key, const char *label)
{
	int n;

	if (x >= p->w)
		return x;
	n = put(p->win, 0, x, p->w - x, theme(TH_KEY), key);
	n += put(p->win, 0, x + n, p->w - x - n, theme(TH_KEY_LABEL), label);
	n += put(p->win, 0, x + n, p->w - x - n, A_NORMAL, " ");
	return x + n;
}

static int
req_item(struct pane *p, const struct model *v, int x, enum request r)
{
	const struct ui_ops *ops = p->ui->ops;
	const char *key = keys_first(r, v->read_only), *label = NULL;
	char buf[64];

	if (key == NULL)
		return x;
	if ((request_flags(r) & REQF_ACT) || r == REQ_QUIT) {
		if (ops == NULL && r != REQ_QUIT)
			return x;
		if (ops != NULL && ops->enabled != NULL && !ops->enabled(r, ops->arg))
			return x;
		if (ops != NULL && ops->label != NULL)
			label = ops->label(r, ops->arg);
	}
	snprintf(buf, sizeof buf, "%s", label != NULL ? label :
	    request_label(r));
	return item(p, x, key, buf);
}

static void
draw(struct pane *p, const struct model *v)
{
	struct ui *ui = p->ui;
	const struct pane *f = &ui->panes[ui->focus];
	char buf[64];
	int x = 0, i;
	static const enum request global[] = { REQ_HELP, REQ_FOCUS_NEXT,
	    REQ_ZOOM, REQ_RUN, REQ_ROLLBACK, REQ_DISARM, REQ_VALIDATE,
	    REQ_VALIDATE_FULL };

	fill(p->win, 0, 0, p->w, A_NORMAL, " ");
	if (ui->help) {
		item(p, 0, "Esc", "close the help");
		return;
	}
	if (ui->dialog != NULL) {
		x = item(p, 0, "Tab", "next");
		x = item(p, x, "Enter", "choose");
		item(p, x, "Esc", "cancel");
		return;
	}
	if (f->ops->capturing != NULL && f->ops->capturing(f)) {
		x = item(p, 0, "Enter", "apply filter");
		item(p, x, "Esc", "clear filter");
		return;
	}
	if (v->read_only)
		x += put(p->win, 0, x, p->w, theme(TH_READONLY), "READ-ONLY") + 1;
	for (i = 0; i < (int)ARRAY_SIZE(global); i++)
		x = req_item(p, v, x, global[i]);
	if (f->ops->requests != NULL) {
		for (i = 0; f->ops->requests[i] != REQ_NONE; i++) {
			enum request r = f->ops->requests[i];

			if (r == REQ_SORT_NEXT || r == REQ_FILTER ||
			    r == REQ_MISMATCHES)
				x = req_item(p, v, x, r);
		}
	}
	x = req_item(p, v, x, REQ_QUIT);
	if (ui->message != NULL) {
		/* After the keys, or over them when there is no room. */
		int mw = text_width(ui->message) + 2;

		if (x + mw > p->w) {
			fill(p->win, 0, 0, p->w, A_NORMAL, " ");
			x = 0;
		}
		put_right(p->win, 0, x, p->w - x, theme(ui->message_bad ? TH_BAD :
		    TH_OK) | A_BOLD, ui->message);
		return;
	}
	if (v->validating) {
		snprintf(buf, sizeof buf, " validating (%s) %zu/%zu ",
		    v->validating_full ? "full" : "quick", v->val_done,
		    v->val_total);
		if (x + text_width(buf) < p->w)
			put_right(p->win, 0, 0, p->w, theme(TH_WARN), buf);
	}
}

const struct pane_ops pane_funcbar_ops = {
	.name = "Function bar",
	.interest = MODEL_CH_STATE | MODEL_CH_VALIDATION,
	.draw = draw,
};
