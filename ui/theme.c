/* theme.c - colours as a table of roles, with a monochrome scheme for
 * NO_COLOR, --no-color and terminals without colours (as htop's colour
 * schemes), and the glyphs: Unicode when the locale is UTF-8, else ASCII. */
#include "config.h"

#include "ui-int.h"

struct role_style {
	short fg, bg;
	attr_t color_attr;     /* with colours */
	attr_t mono_attr;      /* without */
};

static const struct role_style styles[TH_COUNT] = {
	[TH_NORMAL] =        { -1, -1, A_NORMAL, A_NORMAL },
	[TH_DIM] =           { -1, -1, A_DIM, A_DIM },
	[TH_TITLE] =         { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[TH_TITLE_FOCUS] =   { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD },
	[TH_OK] =            { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[TH_WARN] =          { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[TH_BAD] =           { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TH_STALE] =         { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE },
	[TH_BADGE_PROD] =    { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[TH_BADGE_CALM] =    { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[TH_READONLY] =      { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD },
	[TH_SELECT] =        { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TH_MISMATCH] =      { COLOR_RED, -1, A_BOLD, A_BOLD },
	[TH_KEY] =           { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TH_KEY_LABEL] =     { -1, -1, A_NORMAL, A_NORMAL },
	[TH_THRESHOLD] =     { COLOR_RED, -1, A_NORMAL, A_NORMAL },
	[TH_SPARK] =         { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[TH_DIALOG] =        { -1, -1, A_NORMAL, A_NORMAL },
	[TH_DIALOG_LOW] =    { COLOR_GREEN, -1, A_BOLD, A_NORMAL },
	[TH_DIALOG_MEDIUM] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[TH_DIALOG_HIGH] =   { COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TH_BUTTON] =        { -1, -1, A_NORMAL, A_NORMAL },
	[TH_BUTTON_FOCUS] =  { COLOR_BLACK, COLOR_WHITE, A_BOLD, A_REVERSE | A_BOLD },
	[TH_INPUT] =         { -1, -1, A_UNDERLINE, A_UNDERLINE },
};

static attr_t attrs[TH_COUNT];
static bool colored;

void
theme_init(bool color)
{
	int i;

	colored = color && has_colors();
	if (colored) {
		start_color();
		use_default_colors();
	}
	for (i = 0; i < TH_COUNT; i++) {
		if (!colored) {
			attrs[i] = styles[i].mono_attr;
			continue;
		}
		if (styles[i].fg == -1 && styles[i].bg == -1) {
			attrs[i] = styles[i].color_attr;
			continue;
		}
		init_pair((short)(i + 1), styles[i].fg, styles[i].bg);
		attrs[i] = COLOR_PAIR(i + 1) | styles[i].color_attr;
	}
}

attr_t
theme(enum role r)
{
	return attrs[r];
}

struct glyphs G;

void
glyphs_init(bool utf8)
{
	static const char *const ublocks[9] = { " ", "\u2581", "\u2582",
	    "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char *const ablocks[9] = { " ", "_", ".", ",", "-", "=",
	    "+", "*", "#" };
	int i;

	G.utf8 = utf8;
	for (i = 0; i < 9; i++)
		G.blocks[i] = utf8 ? ublocks[i] : ablocks[i];
	G.hline = utf8 ? "\u2500" : "-";
	G.vline = utf8 ? "\u2502" : "|";
	G.bar_full = utf8 ? "\u2588" : "#";
	G.bar_empty = utf8 ? "\u2591" : ".";
	G.done = utf8 ? "\u2714" : "+";
	G.running = utf8 ? "\u25b6" : ">";
	G.pending = utf8 ? "\u00b7" : ".";
	G.failed = utf8 ? "\u2718" : "X";
	G.rolled_back = utf8 ? "\u21b6" : "<";
	G.up = utf8 ? "\u25b2" : "^";
	G.down = utf8 ? "\u25bc" : "v";
	G.ellipsis = utf8 ? "\u2026" : "~";
	G.threshold = utf8 ? "\u254c" : "-";
}
