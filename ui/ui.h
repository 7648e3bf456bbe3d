/* ui.h - the console's screen, for the code that drives it. It does not
 * include curses: src/console.c fills a struct model and says what changed;
 * the screen draws the dirty panes once at the end of every loop pass
 * (wnoutrefresh on each, one doupdate), as tmux does. */
#ifndef CUTOVER_UI_H
#define CUTOVER_UI_H

#include <stdbool.h>
#include <stdio.h>

#include "keys.h"
#include "loop.h"
#include "model.h"
#include "util.h"

struct ui;

enum ui_danger { UI_DANGER_LOW, UI_DANGER_MEDIUM, UI_DANGER_HIGH };

/* A question for the operator. The dialog keeps its own copy: what it
 * shows never changes while it is open, whatever happens underneath. */
struct ui_question {
	const char *title;
	const char *plan;          /* one action a line */
	const char *warnings;      /* or NULL */
	enum ui_danger danger;
	const char *type_name;     /* the answer is typing this name, or NULL */
	const char *yes_label;     /* "Run", "Roll back", "Quit" */
	/* The approval of one phase of the cut: y approves, n or Escape
	 * cancels, and the plan shows first the line with "y approve". */
	bool approve;
	/* A time limit shown counting down (epoch ms), or 0. */
	int64_t deadline;
};

/* how: "key Enter", "typed prod", "key Esc" - for the event log. */
typedef void (*ui_answer_fn)(bool yes, const char *how, void *arg);

/* What the keys that act do. NULL in watch mode: there, acting requests
 * are not bound at all. */
struct ui_ops {
	void (*request)(enum request r, void *arg);
	/* Whether r does something right now (the function bar shows only
	 * those). */
	bool (*enabled)(enum request r, void *arg);
	/* The function bar's label for r now ("Run drain"), or NULL. */
	const char *(*label)(enum request r, void *arg);
	/* A name typed into a confirmation did not match (for the log). */
	void (*mistyped)(const char *typed, void *arg);
	void *arg;
};

struct ui_opts {
	bool color;                /* false: the monochrome theme */
	bool mouse;
	const struct ui_ops *ops;  /* NULL: read-only */
	/* Tests: draw into these instead of the terminal, without signal
	 * handlers or a watcher on standard input. */
	FILE *in, *out;
	const char *term;
	int lines, cols;
};

struct ui *ui_new(struct loop *loop, struct model *model,
    const struct ui_opts *opts, struct err *e);
/* Restores the terminal. */
void ui_free(struct ui *ui);

/* The view changed (MODEL_CH_*): the panes that show it redraw at the end
 * of the pass. */
void ui_changed(struct ui *ui, unsigned what);
void ui_confirm(struct ui *ui, const struct ui_question *q, ui_answer_fn fn,
    void *arg);
bool ui_confirming(const struct ui *ui);
/* Closes the open question without an answer (it was withdrawn). */
void ui_confirm_close(struct ui *ui);
/* A line in the function bar until the next key. */
void ui_message(struct ui *ui, bool bad, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

/* For tests: a key as if typed, a redraw now, the screen as text. */
void ui_key(struct ui *ui, int key);
void ui_draw(struct ui *ui);
void ui_dump(struct ui *ui, FILE *out);

/* The terminal as it was, from anywhere (crash handlers, exit paths). */
void ui_emergency_restore(void);

#endif
