/* keys.h - every request a key can make, in one list (as tig does): the
 * enum, the name, the short label of the function bar and the help text
 * all come from REQ_LIST, and the bindings in keys.c name requests, so
 * the help overlay and the function bar cannot drift from what the keys
 * do. This header does not include curses: the driver's controller
 * (src/console.c) sees the requests without seeing the terminal. */
#ifndef CUTOVER_KEYS_H
#define CUTOVER_KEYS_H

#include <stdbool.h>

/* Flags: ACT requests change something (the run, the databases, the log)
 * and exist only in the driving console: in watch mode they are not
 * bound, not listed, not drawn. PANE requests go to the focused pane. */
#define REQF_ACT  0x01
#define REQF_PANE 0x02

/*  id              label        help                                                flags */
#define REQ_LIST(_) \
	_(HELP,          "Help",      "show this help (any key closes it)",               0) \
	_(FOCUS_NEXT,    "Focus",     "focus the next pane",                              0) \
	_(FOCUS_PREV,    "Back",      "focus the previous pane",                          0) \
	_(ZOOM,          "Zoom",      "zoom the focused pane to the whole screen, again to go back", 0) \
	_(RUN,           "Run",       "run the next phase (a confirmation says exactly what it will do)", REQF_ACT) \
	_(ROLLBACK,      "Rollback",  "roll back from where the run is (asks first)",     REQF_ACT) \
	_(DISARM,        "Disarm",    "cancel an armed run before the fence (back to sync_wait)", REQF_ACT) \
	_(VALIDATE,      "Validate",  "quick validation: catalog row estimates, no checksums", REQF_ACT) \
	_(VALIDATE_FULL, "Full",      "full validation: exact counts and in-database checksums", REQF_ACT) \
	_(REDRAW,        "Redraw",    "redraw the whole screen",                          0) \
	_(QUIT,          "Quit",      "quit (asks first while something runs)",           0) \
	_(UP,            "Up",        "scroll up one line",                               REQF_PANE) \
	_(DOWN,          "Down",      "scroll down one line",                             REQF_PANE) \
	_(PAGE_UP,       "PgUp",      "scroll up one page",                               REQF_PANE) \
	_(PAGE_DOWN,     "PgDn",      "scroll down one page",                             REQF_PANE) \
	_(HOME,          "Top",       "go to the first line",                             REQF_PANE) \
	_(END,           "End",       "go to the last line (the log follows new events again)", REQF_PANE) \
	_(SORT_NEXT,     "Sort",      "tables: sort by the next column",                  REQF_PANE) \
	_(SORT_PREV,     "SortBack",  "tables: sort by the previous column",              REQF_PANE) \
	_(SORT_REVERSE,  "Reverse",   "tables: reverse the sort order",                   REQF_PANE) \
	_(FILTER,        "Filter",    "tables: show only names containing a text (Enter applies, Esc clears)", REQF_PANE) \
	_(MISMATCHES,    "Mismatch",  "tables: show only mismatched tables, again for all", REQF_PANE) \
	_(PARTITIONS,    "Parts",     "tables: unfold or fold the partitions of a partitioned table [+N]", REQF_PANE)

#define REQ_ENUM(id, label, help, flags) REQ_##id,
enum request {
	REQ_NONE = 0,
	REQ_LIST(REQ_ENUM)
	REQ_MAX
};
#undef REQ_ENUM

const char *request_label(enum request r);
const char *request_help(enum request r);
int request_flags(enum request r);

#endif
