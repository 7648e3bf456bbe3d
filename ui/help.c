/* help.c - the help overlay, generated from the key table (keys.c) and
 * the request list (keys.h): what it says is what the keys do. In watch
 * mode the acting requests are not bound, so they are not listed. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ui-int.h"

static int
section(WINDOW *win, int y, int skip, int h, int w, const char *title)
{
	if (y - skip >= 1 && y - skip < h - 1)
		put(win, y - skip, 2, w - 4, A_BOLD | A_UNDERLINE, title);
	return y + 1;
}

static int
line(struct ui *ui, WINDOW *win, int y, int skip, int h, int w,
    enum request r)
{
	char keys[64];
	bool on;
	attr_t a;

	keys_names(r, ui->ops == NULL, keys, sizeof keys);
	if (keys[0] == '\0')
		return y;
	on = !(request_flags(r) & REQF_ACT) || ui->ops == NULL ||
	    ui->ops->enabled == NULL || ui->ops->enabled(r, ui->ops->arg);
	a = on ? A_NORMAL : theme(TH_DIM);
	if (y - skip >= 1 && y - skip < h - 1) {
		put(win, y - skip, 3, 16, theme(TH_KEY), keys);
		put(win, y - skip, 20, w - 22, a, request_help(r));
		if (!on)
			put_right(win, y - skip, 20, w - 22, theme(TH_DIM), "(not now)");
	}
	return y + 1;
}

void
help_draw(struct ui *ui)
{
	const struct pane *f = &ui->panes[ui->focus];
	int h = ui->lines - 2, w = ui->cols - 8 < 96 ? ui->cols - 8 : 96;
	int y = 1, r, i;
	char title[96];
	WINDOW *win;

	if (ui->overlay != NULL)
		delwin(ui->overlay);
	win = ui->overlay = newwin(h, w, 1, (ui->cols - w) / 2);
	werase(win);
	draw_box(win, A_NORMAL);
	snprintf(title, sizeof title, " cutover keys%s ", ui->ops == NULL ?
	    " (watch mode: READ-ONLY)" : "");
	put(win, 0, 2, w - 4, A_BOLD, title);
	y = section(win, y, ui->help_scroll, h, w, "Everywhere");
	for (r = REQ_NONE + 1; r < REQ_MAX; r++)
		if (!(request_flags(r) & REQF_PANE))
			y = line(ui, win, y, ui->help_scroll, h, w, r);
	if (f->ops->requests != NULL) {
		y++;
		snprintf(title, sizeof title, "In the focused pane (%s)",
		    f->ops->name);
		y = section(win, y, ui->help_scroll, h, w, title);
		for (i = 0; f->ops->requests[i] != REQ_NONE; i++)
			y = line(ui, win, y, ui->help_scroll, h, w,
			    f->ops->requests[i]);
	}
	y++;
	if (ui->ops == NULL) {
		if (y - ui->help_scroll < h - 1 && y - ui->help_scroll >= 1)
			put(win, y - ui->help_scroll, 2, w - 4, theme(TH_READONLY),
			    " Watch mode: nothing here can act on the run. ");
		y++;
	} else if (y - ui->help_scroll < h - 1 && y - ui->help_scroll >= 1) {
		put(win, y - ui->help_scroll, 2, w - 4, theme(TH_DIM),
		    "Every acting key and every answer is written to the event log "
		    "with your user@host.");
		y++;
	}
	if (y - ui->help_scroll > h - 1)
		put_right(win, h - 1, 2, w - 4, theme(TH_DIM), " more: Down ");
	touchwin(win);
	wnoutrefresh(win);
}

bool
help_key(struct ui *ui, int key, bool wide)
{
	if (!wide && (key == KEY_DOWN || key == KEY_NPAGE)) {
		ui->help_scroll += key == KEY_DOWN ? 1 : 10;
		ui->redraw_all = true;
		return false;
	}
	if (!wide && (key == KEY_UP || key == KEY_PPAGE)) {
		ui->help_scroll -= key == KEY_UP ? 1 : 10;
		if (ui->help_scroll < 0)
			ui->help_scroll = 0;
		ui->redraw_all = true;
		return false;
	}
	return true;
}
