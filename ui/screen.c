/* screen.c - the terminal: curses set up on the loop, the layout of the
 * panes, input routed to the dialog, the help, the focused pane or the
 * key table, and the deferred redraw: handlers only mark panes dirty, and
 * once per loop pass the dirty ones are drawn (wnoutrefresh) and the
 * terminal updated once (doupdate), as tmux does. The terminal is given
 * back on every way out: normal exit, SIGTERM (by the caller), crashes. */
#include "config.h"

#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ui-int.h"

#define MIN_LINES 24
#define MIN_COLS 80

static struct ui *the_ui;          /* for the crash handlers */

void
ui_emergency_restore(void)
{
	if (the_ui != NULL && !the_ui->ended && the_ui->screen != NULL) {
		the_ui->ended = true;
		endwin();
		if (the_ui->out != NULL)
			fflush(the_ui->out);
	}
}

static void
on_crash(int signo)
{
	/* Not async-signal-safe in theory; in practice endwin() writes the
	 * terminal's reset strings, and leaving the terminal in raw mode on
	 * the alternate screen is worse. Then die as we would have. */
	ui_emergency_restore();
	signal(signo, SIG_DFL);
	raise(signo);
}

static void
crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static const struct pane_ops *const pane_table[P_COUNT] = {
	[P_HEADER] = &pane_header_ops,
	[P_REPL] = &pane_repl_ops,
	[P_LAG] = &pane_lag_ops,
	[P_PHASES] = &pane_phases_ops,
	[P_TABLES] = &pane_tables_ops,
	[P_EVENTS] = &pane_events_ops,
	[P_METRICS] = &pane_metrics_ops,
	[P_FUNCBAR] = &pane_funcbar_ops,
};

static void
place(struct pane *p, int y, int x, int h, int w)
{
	if (p->win != NULL) {
		delwin(p->win);
		p->win = NULL;
	}
	p->y = y;
	p->x = x;
	p->h = h;
	p->w = w;
	p->visible = h > 0 && w > 0;
	p->dirty = true;
	if (!p->visible)
		return;
	p->win = newwin(h, w, y, x);
	if (p->ops->resize != NULL)
		p->ops->resize(p);
}

void
screen_layout(struct ui *ui)
{
	int H = ui->lines, W = ui->cols, a, c, t, w1, w2, mw, i;

	ui->too_small = H < MIN_LINES || W < MIN_COLS;
	ui->clear_next = true;
	for (i = 0; i < P_COUNT; i++)
		ui->panes[i].zoomed = false;
	if (ui->too_small) {
		for (i = 0; i < P_COUNT; i++)
			place(&ui->panes[i], 0, 0, 0, 0);
		return;
	}
	place(&ui->panes[P_HEADER], 0, 0, 2, W);
	place(&ui->panes[P_FUNCBAR], H - 1, 0, 1, W);
	if (ui->zoom) {
		for (i = 0; i < P_COUNT; i++) {
			if (i == P_HEADER || i == P_FUNCBAR)
				continue;
			if (i == ui->focus) {
				place(&ui->panes[i], 2, 0, H - 3, W);
				ui->panes[i].zoomed = true;
			} else
				place(&ui->panes[i], 0, 0, 0, 0);
		}
		return;
	}
	a = H >= 40 ? 12 : H >= 30 ? 10 : 8;
	c = H >= 40 ? 9 : H >= 30 ? 7 : 5;
	t = H - 3 - a - c;
	w1 = W * 30 / 100;
	w2 = W * 34 / 100;
	place(&ui->panes[P_REPL], 2, 0, a, w1);
	place(&ui->panes[P_LAG], 2, w1, a, w2);
	place(&ui->panes[P_PHASES], 2, w1 + w2, a, W - w1 - w2);
	place(&ui->panes[P_TABLES], 2 + a, 0, t, W);
	mw = W >= 120 ? 44 : W * 36 / 100;
	place(&ui->panes[P_EVENTS], 2 + a + t, 0, c, W - mw);
	place(&ui->panes[P_METRICS], 2 + a + t, W - mw, c, mw);
}

static void
all_dirty(struct ui *ui)
{
	int i;

	for (i = 0; i < P_COUNT; i++)
		ui->panes[i].dirty = true;
}

void
ui_changed(struct ui *ui, unsigned what)
{
	struct pane *p;
	int i;

	for (i = 0; i < P_COUNT; i++) {
		p = &ui->panes[i];
		if ((p->ops->interest & what) == 0)
			continue;
		if (p->ops->update != NULL)
			p->ops->update(p, ui->model, what);
		p->dirty = true;
	}
}

static void
draw_too_small(struct ui *ui)
{
	char a[96], b[96];
	int y = ui->lines / 2 - 1;

	werase(stdscr);
	snprintf(a, sizeof a, "cutover needs at least %dx%d", MIN_COLS,
	    MIN_LINES);
	snprintf(b, sizeof b, "this terminal is %dx%d: enlarge it", ui->cols,
	    ui->lines);
	if (y < 0)
		y = 0;
	put(stdscr, y, (ui->cols - text_width(a)) / 2 > 0 ?
	    (ui->cols - text_width(a)) / 2 : 0, ui->cols, theme(TH_WARN), a);
	if (y + 1 < ui->lines)
		put(stdscr, y + 1, (ui->cols - text_width(b)) / 2 > 0 ?
		    (ui->cols - text_width(b)) / 2 : 0, ui->cols, A_NORMAL, b);
	if (y + 2 < ui->lines)
		put(stdscr, y + 2, 0, ui->cols, theme(TH_DIM),
		    ui->model->read_only ? "(q quits)" : "(q quits; nothing runs "
		    "from this screen)");
	wnoutrefresh(stdscr);
}

void
screen_draw(struct ui *ui)
{
	bool any = false;
	struct pane *p;
	int i;

	if (ui->ended)
		return;
	if (ui->clear_next) {
		/* A new layout: wipe what the old one left. */
		werase(stdscr);
		wnoutrefresh(stdscr);
		ui->clear_next = false;
		any = true;
	}
	if (ui->too_small) {
		if (ui->redraw_all || any) {
			draw_too_small(ui);
			doupdate();
		}
		ui->redraw_all = false;
		return;
	}
	if (ui->redraw_all)
		all_dirty(ui);
	ui->redraw_all = false;
	ui->model->now = ui->model->now;
	for (i = 0; i < P_COUNT; i++) {
		p = &ui->panes[i];
		p->focused = i == ui->focus && p->ops->focusable;
		if (!p->visible || !p->dirty)
			continue;
		werase(p->win);
		p->ops->draw(p, ui->model);
		wnoutrefresh(p->win);
		p->dirty = false;
		any = true;
	}
	if (!any)
		return;
	if (ui->help)
		help_draw(ui);
	else if (ui->dialog != NULL)
		dialog_draw(ui->dialog, ui);
	doupdate();
}

static void
on_pass(void *arg)
{
	screen_draw(arg);
}

static void
focus_move(struct ui *ui, int dir)
{
	int i = ui->focus;

	do {
		i = (i + dir + P_COUNT) % P_COUNT;
	} while (!pane_table[i]->focusable);
	ui->panes[ui->focus].dirty = true;
	ui->focus = i;
	ui->panes[i].dirty = true;
	ui->panes[P_FUNCBAR].dirty = true;
	if (ui->zoom)
		screen_layout(ui);
}

static void
request(struct ui *ui, enum request r)
{
	struct pane *p = &ui->panes[ui->focus];

	switch (r) {
	case REQ_NONE:
		return;
	case REQ_HELP:
		ui->help = true;
		ui->help_scroll = 0;
		ui->redraw_all = true;
		return;
	case REQ_FOCUS_NEXT:
		focus_move(ui, 1);
		return;
	case REQ_FOCUS_PREV:
		focus_move(ui, -1);
		return;
	case REQ_ZOOM:
		ui->zoom = !ui->zoom;
		screen_layout(ui);
		return;
	case REQ_REDRAW:
		clearok(curscr, TRUE);
		ui->redraw_all = true;
		return;
	case REQ_QUIT:
		if (ui->ops == NULL) {
			loop_stop(ui->loop);
			return;
		}
		break;
	default:
		break;
	}
	if (request_flags(r) & REQF_PANE) {
		if (p->ops->request != NULL && p->ops->request(p, ui->model, r))
			p->dirty = true;
		return;
	}
	/* QUIT and the acting requests belong to the driver. */
	if (ui->ops == NULL)
		return;
	if (ui->ops->enabled != NULL && !ui->ops->enabled(r, ui->ops->arg)) {
		ui_message(ui, true, "%s: not now", request_label(r));
		return;
	}
	ui->ops->request(r, ui->ops->arg);
}

static struct pane *
pane_at(struct ui *ui, int y, int x)
{
	int i;

	for (i = 0; i < P_COUNT; i++) {
		struct pane *p = &ui->panes[i];

		if (p->visible && y >= p->y && y < p->y + p->h && x >= p->x &&
		    x < p->x + p->w)
			return p;
	}
	return NULL;
}

static void
mouse(struct ui *ui)
{
	MEVENT ev;
	struct pane *p;
	int i;

	if (getmouse(&ev) != OK || (p = pane_at(ui, ev.y, ev.x)) == NULL ||
	    !p->ops->focusable)
		return;
	i = (int)(p - ui->panes);
	if (i != ui->focus) {
		ui->panes[ui->focus].dirty = true;
		ui->focus = i;
		p->dirty = true;
		ui->panes[P_FUNCBAR].dirty = true;
	}
	if (p->ops->request == NULL)
		return;
	if (ev.bstate & BUTTON4_PRESSED)
		for (i = 0; i < 3; i++)
			p->ops->request(p, ui->model, REQ_UP);
#ifdef BUTTON5_PRESSED
	else if (ev.bstate & BUTTON5_PRESSED)
		for (i = 0; i < 3; i++)
			p->ops->request(p, ui->model, REQ_DOWN);
#endif
}

static void
resize(struct ui *ui)
{
	struct winsize ws;

	if (ui->opts.out == NULL && ioctl(fileno(ui->out), TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	ui->lines = LINES;
	ui->cols = COLS;
	screen_layout(ui);
	clearok(curscr, TRUE);
	ui->redraw_all = true;
}

static void
handle_key(struct ui *ui, int key, bool wide)
{
	struct pane *p = &ui->panes[ui->focus];
	bool had_message = ui->message != NULL;

	if (!wide && key == KEY_RESIZE) {
		resize(ui);
		return;
	}
	if (had_message) {
		free(ui->message);
		ui->message = NULL;
		ui->panes[P_FUNCBAR].dirty = true;
	}
	if (ui->too_small) {
		if (wide && (key == 'q' || key == 3) && ui->dialog == NULL)
			request(ui, REQ_QUIT);
		return;
	}
	if (!wide && key == KEY_MOUSE) {
		mouse(ui);
		return;
	}
	if (ui->help) {
		if (help_key(ui, key, wide)) {
			ui->help = false;
			ui->redraw_all = true;
			touchwin(stdscr);
		}
		return;
	}
	if (ui->dialog != NULL) {
		struct dialog *d = ui->dialog;

		if (dialog_key(d, ui, key, wide)) {
			if (ui->dialog == d)
				ui->dialog = NULL;
			dialog_free(d);
			ui->redraw_all = true;
		} else if (ui->dialog == d) {
			/* only the dialog changed */
			dialog_draw(d, ui);
			doupdate();
		}
		return;
	}
	if (p->ops->capturing != NULL && p->ops->capturing(p)) {
		if (p->ops->key(p, ui->model, key, wide)) {
			p->dirty = true;
			ui->panes[P_FUNCBAR].dirty = true;
		}
		return;
	}
	if (wide && key == 3) {             /* C-c: as q */
		request(ui, REQ_QUIT);
		return;
	}
	request(ui, keys_lookup(key, wide, ui->ops == NULL));
	ui->panes[P_FUNCBAR].dirty = true;
}

void
ui_key(struct ui *ui, int key)
{
	bool wide = key < KEY_MIN;

	handle_key(ui, key, wide);
}

static void
on_input(struct loop_io *io, int fd, int revents, void *arg)
{
	struct ui *ui = arg;
	wint_t wc;
	int rc, n = 0;

	(void)io;
	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		/* The terminal is gone: nothing to draw on any more. */
		if (!(revents & POLLIN)) {
			ui_emergency_restore();
			loop_stop(ui->loop);
			return;
		}
	}
	while (n++ < 256 && (rc = wget_wch(stdscr, &wc)) != ERR)
		handle_key(ui, (int)wc, rc == OK);
}

static void
on_winch(int signo, void *arg)
{
	(void)signo;
	resize(arg);
}

static void
on_cont(int signo, void *arg)
{
	struct ui *ui = arg;

	(void)signo;
	/* After a stop: the terminal may have been used by someone else. */
	reset_prog_mode();
	clearok(curscr, TRUE);
	ui->redraw_all = true;
}

static bool
locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0);
}

struct ui *
ui_new(struct loop *loop, struct model *model, const struct ui_opts *opts,
    struct err *e)
{
	struct ui *ui = xcalloc(1, sizeof *ui);
	const char *term;
	int i;

	ui->loop = loop;
	ui->model = model;
	ui->opts = *opts;
	ui->ops = opts->ops;
	ui->focus = P_TABLES;
	if (opts->out != NULL) {
		ui->in = opts->in;
		ui->out = opts->out;
		if (opts->lines > 0) {
			char buf[16];

			snprintf(buf, sizeof buf, "%d", opts->lines);
			setenv("LINES", buf, 1);
			snprintf(buf, sizeof buf, "%d", opts->cols);
			setenv("COLUMNS", buf, 1);
		}
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			free(ui);
			err_set(e, EXIT_USAGE, "the console needs a terminal on "
			    "standard input and output (for scripts: cutover status, "
			    "run, rollback)");
			return NULL;
		}
		ui->in = stdin;
		ui->out = stdout;
		/* Ours, not ncurses': resize in the loop, not in a handler. */
		loop_signal(loop, SIGWINCH, on_winch, ui);
		loop_signal(loop, SIGCONT, on_cont, ui);
	}
	term = opts->term != NULL ? opts->term : getenv("TERM");
	if (term == NULL || *term == '\0')
		term = "vt100";
	set_escdelay(25);
	ui->screen = newterm(term, ui->out, ui->in);
	if (ui->screen == NULL) {
		free(ui);
		err_set(e, EXIT_USAGE, "cannot use the terminal type '%s' (TERM)",
		    term);
		return NULL;
	}
	the_ui = ui;
	if (opts->out == NULL) {
		crash_handlers();
		atexit(ui_emergency_restore);
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (opts->mouse)
		mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		    | BUTTON5_PRESSED
#endif
		    , NULL);
	theme_init(opts->color);
	glyphs_init(locale_utf8());
	for (i = 0; i < P_COUNT; i++) {
		ui->panes[i].ops = pane_table[i];
		ui->panes[i].ui = ui;
		if (pane_table[i]->init != NULL)
			pane_table[i]->init(&ui->panes[i]);
	}
	if (opts->out != NULL && opts->lines > 0)
		resize_term(opts->lines, opts->cols);
	ui->lines = LINES;
	ui->cols = COLS;
	screen_layout(ui);
	ui_changed(ui, MODEL_CH_ALL);
	if (opts->out == NULL)
		ui->io = loop_io_add(loop, fileno(ui->in), POLLIN, on_input, ui);
	loop_on_pass(loop, on_pass, ui);
	return ui;
}

void
ui_free(struct ui *ui)
{
	int i;

	if (ui == NULL)
		return;
	loop_on_pass(ui->loop, NULL, NULL);
	if (ui->io != NULL)
		loop_io_remove(ui->io);
	if (ui->dialog != NULL)
		dialog_free(ui->dialog);
	for (i = 0; i < P_COUNT; i++) {
		if (ui->panes[i].ops->free != NULL)
			ui->panes[i].ops->free(&ui->panes[i]);
		if (ui->panes[i].win != NULL)
			delwin(ui->panes[i].win);
	}
	if (ui->overlay != NULL)
		delwin(ui->overlay);
	if (!ui->ended) {
		ui->ended = true;
		endwin();
	}
	fflush(ui->out);
	delscreen(ui->screen);
	if (the_ui == ui)
		the_ui = NULL;
	free(ui->message);
	free(ui);
}

void
ui_confirm(struct ui *ui, const struct ui_question *q, ui_answer_fn fn,
    void *arg)
{
	if (ui->dialog != NULL && !dialog_answered(ui->dialog)) {
		/* One question at a time: the newer one is refused. */
		fn(false, "another question was open", arg);
		return;
	}
	/* A dialog answering now is freed by the key handler that answered
	 * it: the next question (the cut's next phase) takes its place. */
	ui->help = false;
	ui->dialog = dialog_new(q, fn, arg);
	ui->redraw_all = true;
}

bool
ui_confirming(const struct ui *ui)
{
	return ui->dialog != NULL;
}

void
ui_confirm_close(struct ui *ui)
{
	if (ui->dialog == NULL || dialog_answered(ui->dialog))
		return;
	dialog_free(ui->dialog);
	ui->dialog = NULL;
	ui->redraw_all = true;
	touchwin(stdscr);
}

void
ui_message(struct ui *ui, bool bad, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb;

	sb_init(&sb);
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	free(ui->message);
	ui->message = sb_detach(&sb);
	ui->message_bad = bad;
	ui->panes[P_FUNCBAR].dirty = true;
}

void
ui_draw(struct ui *ui)
{
	screen_draw(ui);
}

void
ui_dump(struct ui *ui, FILE *out)
{
	char *buf = xmalloc((size_t)ui->cols * 8 + 1);
	int y, n;

	for (y = 0; y < ui->lines; y++) {
		n = mvwinnstr(curscr, y, 0, buf, ui->cols * 8);
		if (n < 0)
			n = 0;
		buf[n] = '\0';
		while (n > 0 && buf[n - 1] == ' ')
			buf[--n] = '\0';
		fprintf(out, "%s\n", buf);
	}
	free(buf);
}
