/* report.h - the rehearsal (or production) report a change board signs.
 *
 * A typed model of one run is built from the state directory - the event
 * log, the lag samples, the validation files, state.json and, in a lab,
 * the load's pgbench logs - and three writers render it: Markdown
 * (report-md.c), an SVG timeline (report-svg.c) and JSON (report-json.c).
 * The model holds plain data only: no cJSON, no file handles.
 *
 * What the model reads from the event log (kinds of INTERFACE.md; data
 * members are read when present and never required):
 *   run.started     a run or an attempt begins; data.run_id, data.attempt,
 *                   data.rehearsal, else "run ID started" / "attempt N of
 *                   run ID" and "(rehearsal)" in msg
 *   phase.started   data.lag_seconds: the driver's lag at the start
 *   phase.done, phase.failed
 *   run.window      the cut's write pause begins
 *   run.switched    data.pause_seconds: the cut's pause as the driver
 *                   measured it
 *   rollback.started  data.reason, data.switched; rollback.done,
 *                   rollback.failed; data.pause_seconds when present
 *   switch.timeout
 *   action, action.done (data.ms), action.failed: data.step, data.attempt,
 *                   data.rollback, data.detail
 *   check           data.checks, data.passed, data.file, data.mode,
 *                   data.lag_seconds, data.threshold_seconds
 *   operator.*      data.question, data.how, data.key, data.typed
 */
#ifndef CUTOVER_REPORT_H
#define CUTOVER_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "state.h"
#include "util.h"

#define LAG_SAMPLES_FILE "lag.jsonl"
#define REPORT_MAX_ZOOMS 4

/* The driver appends one lag sample a second while it runs. */
int lag_sample_append(const char *state_dir, int64_t t_ms, double e2e,
    double provider, struct err *e);

enum report_look {
	LOOK_REHEARSAL,       /* rehearsal = true */
	LOOK_PRODUCTION,      /* environment prod, not a rehearsal */
	LOOK_OTHER,           /* another environment, not marked a rehearsal */
};

enum report_phase_status {
	RP_NOT_RUN,
	RP_RUNNING,           /* still running when the log ends */
	RP_DONE,
	RP_FAILED,
	RP_INTERRUPTED,       /* a rollback (or the switch timeout) stopped it */
};

/* A lag figure and where it came from; seconds is NAN when unknown. */
struct report_lag {
	double seconds;
	const char *source;   /* static: "driver", "sample", "stopped" */
	int64_t at;
	bool whole_seconds;   /* a sample of a heartbeat that reads whole seconds */
};

struct report_check {
	int64_t at;
	int64_t seq;
	char *msg;
};

struct report_phase {
	enum report_phase_status status;
	int64_t start, end;   /* ms; end is the log's end while running */
	bool undone;          /* a rollback of its attempt undid it */
	struct report_lag lag;
	struct report_check *checks;
	size_t nchecks;
	char *failure;        /* phase.failed's msg */
};

struct report_attempt {
	int number;
	int64_t start, end;
	struct report_phase phases[PHASE_COUNT];
	char *outcome;        /* "completed", "rolled back", ... */
};

struct report_rollback {
	int number;           /* 1, 2, ... in the run */
	int attempt;
	int from_phase;       /* -1 unknown */
	int64_t start, end;   /* end 0: it did not finish */
	bool after_switch;
	bool by_timeout;
	char *reason;
	const char *status;   /* static: "done", "failed", "unfinished" */
	struct report_check *checks;
	size_t nchecks;
};

/* What the application's clients saw of a write pause: from the lab
 * load's per-transaction pgbench log. */
struct report_clients {
	int load;                 /* the lab load's number */
	int64_t in_window;        /* transactions that overlapped the pause */
	double max_latency_ms;    /* the longest of them */
	int64_t max_latency_end;
	double max_gap_ms;        /* the longest time between two commits */
	int64_t max_gap_end;      /* across the pause */
	int64_t failed;           /* transactions that failed in the pause */
};

enum report_pause_kind { PAUSE_CUT, PAUSE_ROLLBACK };

struct report_pause {
	enum report_pause_kind kind;
	int attempt;
	int rollback;             /* PAUSE_ROLLBACK: its number; a cut: the
	                             rollback that ended it, else 0 */
	int64_t start, end;       /* end 0: still paused at the log's end */
	double seconds;           /* the driver's figure; NAN when open */
	char *measured;           /* how the figure was taken */
	const char *ended_by;     /* static: "switch", "rollback", NULL */
	bool have_clients;
	struct report_clients clients;
};

struct report_marker {        /* switch timeouts */
	int64_t at;
	int attempt;
	char *msg;
};

struct report_validation {
	int64_t at;               /* the check event */
	int attempt;              /* 0: not inside an attempt */
	int phase;                /* -1: a validation of its own */
	char *mode;               /* quick, full, or NULL */
	int passed;               /* 1, 0, -1 unknown */
	char *not_passed;         /* "row_counts warn, sequences warn" */
	char *file;               /* as logged */
	bool read;                /* the file was found and read */
	int64_t started, finished;
	int64_t tables;           /* compared; -1 unknown */
	int64_t rows;             /* -1 unknown */
	const char *rows_how;     /* static: "checksummed", "counted", "estimated" */
};

struct report_decision {
	int64_t at;
	int attempt;
	char *phase;
	char *who;
	char *kind;               /* operator.confirm, ... */
	char *what;
	char *answer;
	char *how;
};

struct report_action {
	int64_t at;
	int64_t seq;
	int attempt;
	int rollback;             /* its number when taken in a rollback */
	char *phase;
	char *kind;               /* action, run.window, run.switched, ... */
	char *step;
	char *what;
	char *detail;
	const char *outcome;      /* static: "done", "failed", "no answer", "" */
	char *error;              /* action.failed: why */
	double ms;                /* NAN unknown */
};

struct report_sample {
	int64_t t;
	double e2e, provider;     /* NAN unknown */
};

struct report_load {          /* a lab load that ran during the run */
	int id;
	int rate, clients, duration;
	int64_t started, ended;   /* ended 0: unknown or still running */
	int64_t committed, failed;   /* during the run */
	double max_latency_ms;    /* during the run */
	double max_gap_ms;
	bool judged;              /* `lab status` judged it against the primary */
	int64_t lost, duplicated;
	char *judged_on;
	char *verdict;
	char *error;              /* the logs could not be read */
};

struct report_verify {
	int state;                /* 1 intact, 0 broken, -1 unreadable */
	int64_t events;
	int64_t last_seq;
	char last_hash[65];
	char why[300];
};

/* One row of the trend across rehearsals. */
struct report_run_summary {
	char *run_id;
	char *environment;
	int rehearsal;            /* 1, 0, -1 unknown */
	int64_t started;
	double duration;          /* seconds */
	char *outcome;
	double pause;             /* the last cut's write pause; NAN none */
	double rollback_pause;    /* the longest rollback pause; NAN none */
	double longest_pause;     /* the longest of all; NAN none */
	double worst_lag;         /* NAN unknown */
	bool worst_lag_upper_bound;  /* from a whole-second sample: at most */
	double validation_seconds; /* NAN unknown */
	int rollbacks;
	int attempts;
	char *source;             /* where it was read */
	bool current;             /* the run this report is about */
};

struct report {
	bool have_run;
	char *run_id;
	char *environment;
	int rehearsal;            /* 1, 0, -1 unknown */
	enum report_look look;
	int64_t start, end;
	char *outcome;
	struct report_attempt *attempts;
	size_t nattempts;
	struct report_rollback *rollbacks;
	size_t nrollbacks;
	struct report_pause *pauses;
	size_t npauses;
	struct report_marker *timeouts;
	size_t ntimeouts;
	struct report_validation *validations;
	size_t nvalidations;
	struct report_decision *decisions;
	size_t ndecisions;
	struct report_action *actions;
	size_t nactions;
	struct report_sample *samples;    /* inside the run */
	size_t nsamples;
	bool samples_whole_seconds;
	double threshold;                 /* the lag gate; NAN unknown */
	const char *threshold_source;
	struct report_load *loads;
	size_t nloads;

	/* Outside the run: what came before it and after it. */
	size_t setup_actions;
	int64_t setup_first, setup_last;
	size_t before_validations;
	size_t before_events;
	size_t after_events;

	struct report_verify log;
	struct report_run_summary *runs;  /* the trend, oldest first */
	size_t nruns;
};

/* Builds the report of the last run in state_dir (cfg may be NULL: the
 * lag gate's threshold then comes from the log alone). A missing event
 * log is an error (EXIT_USAGE); a log without a run gives a report that
 * says so. */
int report_build(struct report *r, const char *state_dir,
    const struct config *cfg, struct err *e);
/* Adds the runs of another state directory, or of an earlier
 * `report --json` file, to the trend. */
int report_compare(struct report *r, const char *path, struct err *e);
void report_free(struct report *r);

/* The writers; each returns a string the caller frees. */
char *report_markdown(const struct report *r, const char *svg_name);
char *report_svg(const struct report *r);
char *report_json(const struct report *r);

/* Reads the "runs" of a report --json document into the trend. */
int report_json_runs(struct report *r, const char *path, const char *text,
    size_t len, struct err *e);

/* Shared by the writers. */
const char *report_look_name(enum report_look l);
const char *report_phase_status_name(enum report_phase_status s);
const char *report_pause_kind_name(enum report_pause_kind k);
/* "0.412 s", "4 min 12.3 s", "1 h 02 min"; "-" for NAN. */
void report_fmt_duration(double seconds, char *buf, size_t len);
/* Wall-clock UTC "16:00:12.345", with the date when day differs from the
 * run's first day. */
void report_fmt_clock(const struct report *r, int64_t ms, char *buf,
    size_t len);
/* The summary of the report's own run (for the trend and the writers). */
void report_summarise(const struct report *r, struct report_run_summary *s);
/* The cut's pause that ends the run (the last cut), or NULL. */
const struct report_pause *report_last_cut(const struct report *r);

#endif
