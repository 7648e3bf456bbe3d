/* view.h - everything a console screen shows, as plain data: the run's
 * state, the monitor's figures, the orchestrator's progress, the tail of
 * the event log. The driving console fills it from the orchestrator and
 * the monitor; a watcher fills it from a snapshot (local file or the TLS
 * feed). The panes only read it, and through it only the model (model.h):
 * this header does not include the monitor's. No curses here.
 *
 * Who owns what the view points to (state, mon, metrics): the view
 * borrows them from exactly one owner at a time, whoever fills it -
 *   the driving console: state is the orchestrator's (orch_state) or,
 *   before a run, the console's copy of state.json; mon is the monitor's
 *   (monitor_model(), written only by its refresh); metrics the
 *   provider's CloudWatch series. The console clears the pointers before
 *   it frees those.
 *   a watcher: all three point into its struct snapshot (snapshot.h),
 *   written only by snapshot_apply.
 * Everything else in the view is its own (view_clear frees it). */
#ifndef CUTOVER_VIEW_H
#define CUTOVER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "lock.h"
#include "model.h"
#include "state.h"

struct validation;

#define VIEW_EVENTS 1000           /* events kept for the log pane */

/* What changed, so the screen redraws only the panes that show it. */
enum {
	VIEW_CH_CLOCK = 0x01,      /* a second passed: clocks and ages */
	VIEW_CH_MONITOR = 0x02,    /* a refresh of the figures */
	VIEW_CH_STATE = 0x04,      /* the run's state, the orchestrator */
	VIEW_CH_EVENTS = 0x08,     /* new events */
	VIEW_CH_VALIDATION = 0x10, /* validation progress or result */
	VIEW_CH_HEADER = 0x20,     /* driver, watchers, feed, notices */
	VIEW_CH_ALL = 0xff
};

struct view_event {
	int64_t seq;
	int64_t ts;                /* wall ms */
	char *kind;
	char *phase;               /* NULL for none */
	char *actor;
	char *msg;
};

struct view_check {
	int status;                /* enum check_status, -1 none */
	char *detail;
};

struct view {
	bool read_only;            /* watch mode: nothing can act */
	char *environment;
	bool rehearsal;
	char *provider;            /* "postgres" | "dms" */
	double max_lag_seconds;
	int period_ms;             /* the driver's refresh period */
	int64_t now;               /* wall ms the screen is drawn for */

	/* The run. */
	const struct state *state; /* NULL before the first run */
	struct lock_holder driver; /* pid 0: no driver */
	int watchers;              /* feed watchers, -1 unknown */
	char *feed;                /* watch --connect: the feed's state */
	bool feed_ok;
	int64_t snapshot_at;       /* watch: wall ms the driver wrote it */
	char *notice;              /* one line for the operator, or NULL */
	bool notice_bad;

	/* The figures. */
	const struct monitor_model *mon;
	const struct series *metrics;   /* provider's (CloudWatch), or NULL */
	size_t nmetrics;

	/* The orchestrator (the driver's, or as the snapshot says). */
	bool busy;
	char *step;                /* the step under way, or NULL */
	char *progress;            /* its last progress line, or NULL */
	bool have_gate;
	double gate_lag_e2e, gate_lag_provider, gate_held, gate_hold,
	    gate_threshold;
	double switch_left;        /* seconds, -1 outside the window */
	int next_phase;            /* enum phase_id, PHASE_COUNT: complete */

	/* The last validation's checks and who ran it. */
	struct view_check checks[CHK_COUNT];
	char *checks_title;        /* "quick validation 16:02:11", NULL none */
	bool checks_passed;
	/* A validation the console runs now. */
	bool validating;
	bool validating_full;
	size_t val_done, val_total;
	/* Per-table results: schema "" and name "schema.name". */
	struct table_list table_checks;

	/* The tail of the event log, oldest first. */
	struct view_event *ev;
	size_t ev_start, ev_n;
	uint64_t ev_added;         /* events ever added (for scrolling) */
};

void view_init(struct view *v);
void view_clear(struct view *v);
/* Replaces *field by a copy of s (NULL allowed). */
void view_set(char **field, const char *s);

/* Appends one event line of events.jsonl (unparseable lines are shown as
 * such, never dropped silently). */
void view_add_event_line(struct view *v, const char *line, size_t len);
/* Forgets the events kept (a feed sends its tail again on reconnect). */
void view_events_reset(struct view *v);
/* The i-th oldest event kept (i < ev_n). */
const struct view_event *view_event_at(const struct view *v, size_t i);

/* Per-table validation results. */
void view_table_check_set(struct view *v, const char *qualified, int status);
int view_table_check(const struct view *v, const struct table_stat *t);
void view_checks_clear(struct view *v);
/* The checks and per-table results of a validation (the worse of its row
 * count and checksum), titled "<who> <mode> validation, <time>". */
void view_load_validation(struct view *v, const struct validation *val,
    const char *who);

/* Is data stamped at wall ms `at` older than two refresh periods? */
bool view_stale(const struct view *v, int64_t at);

#endif
