/* dialog.c - the confirmation: what will happen, in the orchestrator's
 * own words, coloured by danger; it starts on Cancel, and where the
 * environment asks for it (prod), the answer is typing the environment's
 * name. The text is copied when the dialog opens: whatever happens under
 * it, what the operator reads is what they confirm. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui-int.h"

enum { F_CANCEL, F_YES, F_INPUT };

struct dialog {
	char *title, *plan, *warnings, *type_name, *yes_label;
	enum ui_danger danger;
	ui_answer_fn fn;
	void *arg;
	bool approve;         /* y approves, n/Escape cancels */
	int64_t deadline;     /* counting down, or 0 */
	bool answered;
	bool scrolled;        /* the plan was scrolled to "y approve" */
	int focus;
	char input[128];
	char *error;
	int scroll;
	int plan_rows;        /* rows the plan had last drawn */
	int nlines;
	WINDOW *win;
	int h, w;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct dialog *
dialog_new(const struct ui_question *q, ui_answer_fn fn, void *arg)
{
	struct dialog *d = xcalloc(1, sizeof *d);

	d->title = xstrdup(q->title != NULL ? q->title : "Confirm");
	d->plan = xstrdup(q->plan != NULL ? q->plan : "");
	d->warnings = dup_or_null(q->warnings);
	d->type_name = dup_or_null(q->type_name);
	d->yes_label = xstrdup(q->yes_label != NULL ? q->yes_label : "Yes");
	d->danger = q->danger;
	d->approve = q->approve;
	d->deadline = q->deadline;
	d->fn = fn;
	d->arg = arg;
	d->focus = F_CANCEL;
	return d;
}

void
dialog_free(struct dialog *d)
{
	if (d == NULL)
		return;
	if (d->win != NULL)
		delwin(d->win);
	free(d->title);
	free(d->plan);
	free(d->warnings);
	free(d->type_name);
	free(d->yes_label);
	free(d->error);
	free(d);
}

bool
dialog_answered(const struct dialog *d)
{
	return d->answered;
}

/* Splits text into lines of at most w columns, breaking at spaces. */
static char **
wrap(const char *text, int w, int *n)
{
	char **lines = NULL, *copy = xstrdup(text), *line, *save = NULL;
	int count = 0;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;

		do {
			size_t len = strlen(p), cut = len, i;
			char *piece;

			if (text_width(p) > w) {
				/* the longest prefix that fits, at a space if any */
				cut = 0;
				for (i = 1; i <= len; i++) {
					char *tmp = xstrndup(p, i);
					int tw = text_width(tmp);

					free(tmp);
					if (tw > w)
						break;
					if ((p[i] & 0xc0) != 0x80)
						cut = i;
				}
				for (i = cut; i > cut / 2; i--)
					if (p[i] == ' ') {
						cut = i;
						break;
					}
				if (cut == 0)
					cut = 1;
			}
			piece = xstrndup(p, cut);
			lines = xreallocarray(lines, (size_t)count + 1, sizeof *lines);
			lines[count++] = piece;
			p += cut;
			while (*p == ' ')
				p++;
		} while (*p != '\0');
	}
	free(copy);
	*n = count;
	return lines;
}

static void
free_lines(char **l, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void
dialog_draw(struct dialog *d, struct ui *ui)
{
	static const char *const danger_word[] = { "low", "MEDIUM", "HIGH" };
	static const enum role danger_role[] = { TH_DIALOG_LOW, TH_DIALOG_MEDIUM,
	    TH_DIALOG_HIGH };
	char **plan, **warn = NULL, buf[256];
	int nplan, nwarn = 0, w, h, y, x, fixed, rows, i, bx;
	attr_t border = theme(danger_role[d->danger]);

	w = ui->cols - 4 < 100 ? ui->cols - 4 : 100;
	if (w < 20)
		return;
	plan = wrap(d->plan, w - 4, &nplan);
	if (d->warnings != NULL)
		warn = wrap(d->warnings, w - 6, &nwarn);
	/* title, blank, [plan], blank, [warnings], [input, error], blank, buttons */
	fixed = 2 + 1 + 1 + 1 + (nwarn > 0 ? nwarn + 1 : 0) +
	    (d->deadline != 0 ? 1 : 0) +
	    (d->type_name != NULL ? 2 : 0) + (d->error != NULL ? 1 : 0) + 1 + 1;
	h = fixed + nplan;
	if (h > ui->lines - 2)
		h = ui->lines - 2;
	rows = h - fixed;
	if (rows < 1)
		rows = 1;
	d->plan_rows = rows;
	d->nlines = nplan;
	if (d->approve && !d->scrolled) {
		/* The phase being approved in view, with its actions below. */
		for (i = 0; i < nplan; i++)
			if (strstr(plan[i], "[y approve ]") != NULL) {
				/* Where it would not show, it comes second. */
				if (i >= rows - 2)
					d->scroll = i - 1;
				break;
			}
		d->scrolled = true;
	}
	if (d->scroll > nplan - rows)
		d->scroll = nplan - rows > 0 ? nplan - rows : 0;
	if (d->win == NULL || d->h != h || d->w != w) {
		if (d->win != NULL)
			delwin(d->win);
		d->win = newwin(h, w, (ui->lines - h) / 2, (ui->cols - w) / 2);
		d->h = h;
		d->w = w;
	} else {
		mvwin(d->win, (ui->lines - h) / 2, (ui->cols - w) / 2);
	}
	werase(d->win);
	draw_box(d->win, border);
	snprintf(buf, sizeof buf, " %s ", d->title);
	put(d->win, 0, 2, w - 4, border | A_BOLD, buf);
	snprintf(buf, sizeof buf, " danger: %s ", danger_word[d->danger]);
	put_right(d->win, 0, 2, w - 4, border | A_BOLD, buf);
	y = 1;
	put(d->win, y++, 2, w - 4, A_BOLD, "This will:");
	for (i = 0; i < rows && d->scroll + i < nplan; i++)
		put(d->win, y + i, 2, w - 4, A_NORMAL, plan[d->scroll + i]);
	if (nplan > rows) {
		snprintf(buf, sizeof buf, " %d-%d of %d lines (Up/Down) ",
		    d->scroll + 1, d->scroll + rows < nplan ? d->scroll + rows : nplan,
		    nplan);
		put_right(d->win, y + rows, 2, w - 4, theme(TH_DIM), buf);
	}
	y += rows + 1;
	if (nwarn > 0) {
		for (i = 0; i < nwarn && y < h - 1; i++, y++)
			put(d->win, y, 4, w - 6, theme(TH_WARN), warn[i]);
		y++;
	}
	if (d->deadline != 0 && y < h - 1) {
		int64_t left = d->deadline - now_ms();

		snprintf(buf, sizeof buf, "switch timeout in %.0f s (the write "
		    "pause is open)", left > 0 ? (double)left / 1000.0 : 0.0);
		put(d->win, y++, 2, w - 4, theme(TH_BAD) | A_BOLD, buf);
	}
	if (d->type_name != NULL && y < h - 1) {
		snprintf(buf, sizeof buf, "Type %s to confirm: ", d->type_name);
		x = put(d->win, y, 2, w - 4, A_BOLD, buf);
		fill(d->win, y, 2 + x, 20, theme(TH_INPUT) | (d->focus == F_INPUT ?
		    A_BOLD : 0), " ");
		put(d->win, y, 2 + x, 20, theme(TH_INPUT) | A_BOLD, d->input);
		y++;
	}
	if (d->error != NULL && y < h - 1)
		put(d->win, y++, 2, w - 4, theme(TH_BAD) | A_BOLD, d->error);
	/* buttons */
	y = h - 2;
	bx = w / 2 - 14;
	if (d->approve) {
		put(d->win, y, 2, w - 4, border | A_BOLD, "y approve   "
		    "n/Esc cancel the cut   Up/Down scroll");
		goto out;
	}
	put(d->win, y, bx, 12, theme(d->focus == F_CANCEL ? TH_BUTTON_FOCUS :
	    TH_BUTTON), "[ Cancel ]");
	if (d->type_name == NULL) {
		snprintf(buf, sizeof buf, "[ %s ]", d->yes_label);
		put(d->win, y, bx + 16, w - bx - 18, theme(d->focus == F_YES ?
		    TH_BUTTON_FOCUS : TH_BUTTON) | (d->focus == F_YES ? border : 0),
		    buf);
	} else {
		snprintf(buf, sizeof buf, "type the name, Enter: %s", d->yes_label);
		put(d->win, y, bx + 16, w - bx - 18, theme(TH_DIM), buf);
	}
out:
	free_lines(plan, nplan);
	if (warn != NULL)
		free_lines(warn, nwarn);
	touchwin(d->win);
	wnoutrefresh(d->win);
}

static bool
answer(struct dialog *d, bool yes, const char *how)
{
	d->answered = true;
	d->fn(yes, how, d->arg);
	return true;
}

bool
dialog_key(struct dialog *d, struct ui *ui, int key, bool wide)
{
	size_t n = strlen(d->input), m;
	char mb[8], how[160];
	mbstate_t st;

	if (wide && key == 27)
		return answer(d, false, "key Esc");
	if (d->approve && wide && (key == 'y' || key == 'Y'))
		return answer(d, true, "key y");
	if (d->approve && wide && (key == 'n' || key == 'N'))
		return answer(d, false, "key n");
	if (!wide && (key == KEY_UP || key == KEY_PPAGE)) {
		d->scroll -= key == KEY_UP ? 1 : d->plan_rows;
		if (d->scroll < 0)
			d->scroll = 0;
		return false;
	}
	if (!wide && (key == KEY_DOWN || key == KEY_NPAGE)) {
		d->scroll += key == KEY_DOWN ? 1 : d->plan_rows;
		if (d->scroll > d->nlines - d->plan_rows)
			d->scroll = d->nlines - d->plan_rows > 0 ?
			    d->nlines - d->plan_rows : 0;
		return false;
	}
	if (d->approve)
		return false;	/* only y, n, Escape and scrolling */
	if ((wide && key == '\t') || (!wide && (key == KEY_RIGHT ||
	    key == KEY_LEFT || key == KEY_BTAB))) {
		d->focus = d->focus == F_CANCEL ? (d->type_name != NULL ? F_INPUT :
		    F_YES) : F_CANCEL;
		return false;
	}
	if ((wide && (key == '\r' || key == '\n')) || (!wide &&
	    key == KEY_ENTER)) {
		if (d->focus == F_CANCEL)
			return answer(d, false, "key Enter on Cancel");
		if (d->type_name == NULL)
			return answer(d, true, "key Enter on the confirm button");
		if (strcmp(d->input, d->type_name) == 0) {
			snprintf(how, sizeof how, "typed %s", d->type_name);
			return answer(d, true, how);
		}
		free(d->error);
		d->error = xasprintf("'%s' is not '%s': not confirmed",
		    d->input, d->type_name);
		if (ui->ops != NULL && ui->ops->mistyped != NULL)
			ui->ops->mistyped(d->input, ui->ops->arg);
		d->input[0] = '\0';
		return false;
	}
	if (d->type_name == NULL)
		return false;
	if ((!wide && key == KEY_BACKSPACE) || (wide && (key == 127 ||
	    key == 8))) {
		while (n > 0 && (d->input[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
		d->input[n] = '\0';
		return false;
	}
	if (wide && key >= 32) {
		/* Typing goes to the name field, from Cancel too. */
		d->focus = F_INPUT;
		memset(&st, 0, sizeof st);
		m = wcrtomb(mb, (wchar_t)key, &st);
		if (m != (size_t)-1 && n + m + 1 < sizeof d->input) {
			memcpy(d->input + n, mb, m);
			d->input[n + m] = '\0';
		}
		free(d->error);
		d->error = NULL;
	}
	return false;
}
