/* ui-int.h - what the files of ui/ share: the pane interface (as tmux's
 * window modes and tig's views: a table of functions per pane), the
 * theme, and drawing helpers. Everything that includes curses is in ui/. */
#ifndef CUTOVER_UI_INT_H
#define CUTOVER_UI_INT_H

#ifdef HAVE_NCURSESW
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif
#include <stdbool.h>
#include <stdint.h>

#include "keys.h"
#include "model.h"
#include "ui.h"

/* ---------------------------------------------------------------- theme */

enum role {
	TH_NORMAL,
	TH_DIM,
	TH_TITLE,          /* a pane's title rule */
	TH_TITLE_FOCUS,
	TH_OK,
	TH_WARN,
	TH_BAD,
	TH_STALE,
	TH_BADGE_PROD,
	TH_BADGE_CALM,
	TH_READONLY,
	TH_SELECT,         /* the cursor line */
	TH_MISMATCH,
	TH_KEY,            /* function bar: the key */
	TH_KEY_LABEL,
	TH_THRESHOLD,
	TH_SPARK,
	TH_DIALOG,
	TH_DIALOG_LOW,     /* borders by danger */
	TH_DIALOG_MEDIUM,
	TH_DIALOG_HIGH,
	TH_BUTTON,
	TH_BUTTON_FOCUS,
	TH_INPUT,
	TH_COUNT
};

void theme_init(bool color);
attr_t theme(enum role r);

/* Unicode or ASCII glyphs, chosen once from the locale. */
struct glyphs {
	bool utf8;
	const char *hline;        /* ─ or - */
	const char *vline;
	const char *blocks[9];    /* " ", ▁ .. █ or " ", ".", ... */
	const char *bar_full, *bar_empty;
	const char *done, *running, *pending, *failed, *rolled_back;
	const char *up, *down;    /* sort marks */
	const char *ellipsis;
	const char *threshold;    /* the threshold line's character */
};
extern struct glyphs G;
void glyphs_init(bool utf8);

/* ---------------------------------------------------------------- panes */

enum pane_id {
	P_HEADER,
	P_REPL,
	P_LAG,
	P_PHASES,
	P_TABLES,
	P_EVENTS,
	P_METRICS,
	P_FUNCBAR,
	P_COUNT
};

struct pane;

struct pane_ops {
	const char *name;
	unsigned interest;         /* MODEL_CH_* that make it redraw */
	bool focusable;
	void (*init)(struct pane *p);
	void (*free)(struct pane *p);
	/* The window was (re)made: h, w are new. */
	void (*resize)(struct pane *p);
	/* The view changed: recompute what is derived (sorting, ...). */
	void (*update)(struct pane *p, const struct model *v, unsigned what);
	void (*draw)(struct pane *p, const struct model *v);
	/* A PANE request while focused; true when handled. */
	bool (*request)(struct pane *p, const struct model *v, enum request r);
	/* A raw key while the pane captures input (the tables filter);
	 * true when handled. */
	bool (*key)(struct pane *p, const struct model *v, int key, bool wide);
	/* Whether it takes raw keys now. */
	bool (*capturing)(const struct pane *p);
	/* The PANE requests it handles, REQ_NONE-terminated (help, bar). */
	const enum request *requests;
};

struct pane {
	const struct pane_ops *ops;
	struct ui *ui;
	WINDOW *win;
	int y, x, h, w;
	bool visible;
	bool dirty;
	bool focused;
	bool zoomed;
	void *data;
};

extern const struct pane_ops pane_header_ops, pane_repl_ops, pane_lag_ops,
    pane_phases_ops, pane_tables_ops, pane_events_ops, pane_metrics_ops,
    pane_funcbar_ops;

/* ------------------------------------------------------------ the screen */

struct dialog;
struct help;

struct ui {
	struct loop *loop;
	struct model *model;       /* what it draws (borrowed) */
	struct ui_opts opts;
	const struct ui_ops *ops;  /* NULL: read-only */
	SCREEN *screen;
	FILE *in, *out;
	struct loop_io *io;
	struct loop_timer *esc_timer;
	struct pane panes[P_COUNT];
	int focus;                 /* enum pane_id */
	bool zoom;
	bool too_small;
	bool redraw_all;
	bool clear_next;
	int lines, cols;
	struct dialog *dialog;
	bool help;
	int help_scroll;
	WINDOW *overlay;           /* the help's window */
	char *message;
	bool message_bad;
	bool ended;
};

/* Draws what is dirty, then overlays, then one doupdate(). */
void screen_layout(struct ui *ui);
void screen_draw(struct ui *ui);

/* ---------------------------------------------------------- key bindings */

/* The request bound to key (wide: a wide character from wget_wch), for
 * this mode. REQ_NONE when unbound. */
enum request keys_lookup(int key, bool wide, bool read_only);
/* The names of the keys bound to r ("Enter", "?", "F1"), space-separated,
 * into buf; "" when none. */
void keys_names(enum request r, bool read_only, char *buf, size_t len);
/* The first key's name. */
const char *keys_first(enum request r, bool read_only);

/* ---------------------------------------------------------------- dialog */

bool dialog_answered(const struct dialog *d);
struct dialog *dialog_new(const struct ui_question *q, ui_answer_fn fn,
    void *arg);
void dialog_free(struct dialog *d);
void dialog_draw(struct dialog *d, struct ui *ui);
/* Returns true when the dialog is done (answered): the caller frees it
 * after the answer ran. */
bool dialog_key(struct dialog *d, struct ui *ui, int key, bool wide);

/* ------------------------------------------------------------------ help */

void help_draw(struct ui *ui);
/* true: the key closed the help. */
bool help_key(struct ui *ui, int key, bool wide);

/* ---------------------------------------------------------- draw helpers */

/* Writes s at (y, x) clipped to w columns (UTF-8 aware; controls
 * replaced), with attr. Returns the columns used. */
int put(WINDOW *win, int y, int x, int w, attr_t attr, const char *s);
int putf(WINDOW *win, int y, int x, int w, attr_t attr, const char *fmt, ...)
    PRINTF_LIKE(6, 7);
/* The same, right-aligned in w columns. */
int put_right(WINDOW *win, int y, int x, int w, attr_t attr, const char *s);
/* Display columns of s. */
int text_width(const char *s);
/* Fills w columns at (y, x) with ch (a glyph string). */
void fill(WINDOW *win, int y, int x, int w, attr_t attr, const char *glyph);
/* A pane's title rule on its first line: focus, the title, a right part
 * (ages, sort...), and STALE with the age when stamp is old. */
void pane_title(struct pane *p, const struct model *v, const char *title,
    const char *right, int64_t stamp);
/* A border: Unicode lines, or ASCII when the locale is not UTF-8. */
void draw_box(WINDOW *win, attr_t attr);
/* A horizontal bar of w columns for a fraction 0..1. */
void draw_bar(WINDOW *win, int y, int x, int w, double frac, attr_t attr);

/* Sparklines (sparkline.c): the last samples of s, one column each,
 * scaled to [0, max]; NAN max: the samples' own maximum. */
void sparkline(WINDOW *win, int y, int x, int w, const struct series *s,
    double max, attr_t attr);
/* A chart of h rows with a threshold line (NAN: none); samples over the
 * threshold are drawn in the bad colour. */
void spark_chart(WINDOW *win, int y, int x, int h, int w,
    const struct series *s, double threshold, int64_t now, int window_s);

/* Formatting (format.c). */
void fmt_age(char *buf, size_t len, int64_t ms);       /* 12s, 3m05s, 2h10m */
void fmt_seconds(char *buf, size_t len, double s);     /* 0.8 s or - */
void fmt_bytes(char *buf, size_t len, double b);       /* 1.2 GiB */
void fmt_rate(char *buf, size_t len, double v, const char *unit);

const char *check_mark(int status);
enum role check_role(int status);

#endif
