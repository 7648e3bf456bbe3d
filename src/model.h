/* model.h - what the views show: plain data, no curses, no sockets.
 *
 * One owned model (struct model, at the end) holds everything a screen,
 * `status --json`, the watch feed and /metrics show: the replication both
 * ways, the lag history, the tables with their validation results, the
 * provider's metrics, the run's state (the phases and readiness), the
 * orchestrator's progress, the event tail and the watchers. It owns all
 * of it: nothing in it points into a source. Each source writes it
 * through one function:
 *   monitor_apply   a refresh's figures (monitor.c; the driver, status)
 *   orch_apply      the run's state and the orchestrator's progress
 *                   (src/orch/orchestrator.c; the driver)
 *   snapshot_apply  a snapshot or the feed (snapshot.c; a watcher)
 * and the console adds what only it knows (events, its own validation,
 * the feed's and the lock's news). The readers only read it. */
#ifndef CUTOVER_MODEL_H
#define CUTOVER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "lock.h"
#include "state.h"

/* Unknown numbers: NAN for doubles (isnan), -1 for counts. */

/* The replication as its provider reports it. */
struct repl_status {
	char *provider;            /* "dms" | "postgres" */
	char *status;              /* provider's word: "running", "stopped", ... */
	char *stop_reason;         /* NULL when none */
	char *last_failure;        /* NULL when none */
	double full_load_percent;
	int tables_loaded, tables_loading, tables_queued, tables_errored;
	double lag_source;         /* seconds: provider's source-side latency */
	double lag_target;         /* seconds: provider's target-side latency */
	/* Source-side slot health (postgres provider; -1/NULL otherwise). */
	char *slot_name;
	bool slot_active;
	int64_t wal_retained_bytes;
	char *confirmed_flush_lsn;
	int64_t updated_at;        /* wall ms of the last successful refresh */
	char *error;               /* the last refresh's error, NULL when fine */
};

/* One replicated table: the provider's view and our own counts. */
struct table_stat {
	char *schema;
	char *name;
	char *state;               /* provider's table state, readable */
	int64_t source_rows;       /* -1 unknown */
	int64_t target_rows;
	bool rows_exact;           /* counted, not estimated */
	int64_t inserts, updates, deletes, ddls;
	int64_t full_load_rows;
	char *validation_state;    /* DMS ValidationState, NULL otherwise */
	int64_t validation_failed_records;
	int check;                 /* enum check_status of our validation, -1 none */
	/* A partitioned table is one row: its partitions, as the provider
	 * reports them, are folded in here (rows and counts summed into the
	 * table's; the tables pane unfolds them). */
	struct table_stat *parts;
	size_t nparts;
};

struct table_list {
	struct table_stat *v;
	size_t n, cap;
	size_t *index;             /* open addressing: entry + 1, 0 = empty */
	size_t index_cap;
};

/* Frees the strings of one entry. */
void table_stat_clear(struct table_stat *t);
void table_list_clear(struct table_list *l);
/* The entry for schema.name, added (with unknowns) when missing. */
struct table_stat *table_list_get(struct table_list *l, const char *schema,
    const char *name);
struct table_stat *table_list_find(const struct table_list *l,
    const char *schema, const char *name);

/* A time series for the lag and metrics panes: a ring of samples. */
#define SERIES_MAX 360
struct series {
	char *name;                /* "CDCLatencySource", "tps", ... */
	char *unit;                /* "s", "%", "bytes", "count/s" */
	int64_t t[SERIES_MAX];     /* wall ms */
	double v[SERIES_MAX];
	size_t start, n;
	int64_t updated_at;
};

void series_init(struct series *s, const char *name, const char *unit);
void series_clear(struct series *s);
void series_push(struct series *s, int64_t t, double v);
/* The i-th oldest sample (i < n). */
double series_at(const struct series *s, size_t i, int64_t *t);
double series_last(const struct series *s);   /* NAN when empty */

void repl_status_clear(struct repl_status *r);
void repl_status_init(struct repl_status *r);


/* ------------------------------------------------ the monitor's figures */

enum {
	SERIES_LAG_SOURCE,         /* provider's source-side latency */
	SERIES_LAG_TARGET,         /* provider's target-side latency */
	SERIES_LAG_E2E,            /* the heartbeat's */
	SERIES_SRC_TPS,
	SERIES_SRC_CONNECTIONS,
	SERIES_SRC_WAL_RATE,
	SERIES_DST_TPS,
	SERIES_DST_CONNECTIONS,
	SERIES_LAG_REVERSE,        /* the heartbeat's, target to source */
	SERIES_COUNT
};

struct monitor_model {
	struct repl_status repl;
	struct table_list tables;  /* provider's tables with both sides' rows */
	double lag_e2e;            /* seconds, NAN unknown (and once stopped) */
	bool heartbeat_writer;     /* someone writes the direction's heartbeats */
	char *lag_error;
	/* Which way the replication runs (the run's state), and whether the
	 * application writes on the target (switched). */
	enum repl_direction direction;
	bool switched;
	/* The way back, read once it may run (direction reverse or
	 * switched): status NULL before. lag_reverse is the heartbeat's,
	 * written on the target and read arriving on the source;
	 * reverse_applied_ms the newest beat the source has (the target's
	 * clock, wall ms), 0 unknown. */
	struct repl_status reverse;
	double lag_reverse;
	int64_t reverse_applied_ms;
	struct series series[SERIES_COUNT];
	int64_t refreshed_at;      /* wall ms of the last complete refresh */
	int64_t tables_refreshed_at;   /* ... of the per-table figures */
	unsigned tables_generation;    /* bumped when the tables are refreshed */
	char *error;               /* the last refresh's first error, or NULL */
	unsigned generation;       /* bumped by every refresh */
};

void monitor_model_clear(struct monitor_model *m);

/* Whether the way back is watched: reverse replication may run. */
bool monitor_watch_reverse(const struct monitor_model *m);
/* The rollback verdict line once the way back is watched ("rollback:
 * lossless (reverse replication 0.3 s behind)", "rollback: would lose
 * writes since 16:02:11 (reverse subscription disabled)"); lossless says
 * which. Returns false (buf untouched) while it is not watched. */
bool monitor_rollback_verdict(const struct monitor_model *m, char *buf,
    size_t len, bool *lossless);

/* The replication object ("replication" of INTERFACE.md): the one writer
 * of `status --json`, snapshot.json and the watch feed, and its reader.
 * Both documents share the keys of one direction (provider ... error)
 * and "direction"/"reverse"; each adds its own. */
enum repl_json_shape {
	REPL_JSON_STATUS,          /* status --json: "warning", "rollback";
	                              "error" is the refresh's first */
	REPL_JSON_SNAPSHOT         /* snapshot.json, the feed: "updated_ms",
	                              "switched", "reverse_applied_ms" */
};
/* provider may be NULL (null); direction is the run's. */
cJSON *model_repl_to_json(const struct monitor_model *m,
    const char *provider, enum repl_direction direction,
    enum repl_json_shape shape);
/* Reads a snapshot's replication object into m (repl, lag_e2e,
 * direction, switched, reverse, lag_reverse, reverse_applied_ms). Numbers
 * are range-checked: a feed must not make the watcher convert NaN or
 * 1e300 to an integer. */
void model_repl_from_json(struct monitor_model *m, const cJSON *o);


/* ---------------------------------------------------- the owned model */

struct validation;

#define MODEL_EVENTS 1000           /* events kept for the log pane */

/* What changed, so the screen redraws only the panes that show it. */
enum {
	MODEL_CH_CLOCK = 0x01,      /* a second passed: clocks and ages */
	MODEL_CH_MONITOR = 0x02,    /* a refresh of the figures */
	MODEL_CH_STATE = 0x04,      /* the run's state, the orchestrator */
	MODEL_CH_EVENTS = 0x08,     /* new events */
	MODEL_CH_VALIDATION = 0x10, /* validation progress or result */
	MODEL_CH_HEADER = 0x20,     /* driver, watchers, feed, notices */
	MODEL_CH_ALL = 0xff
};

struct model_event {
	int64_t seq;
	int64_t ts;                /* wall ms */
	char *kind;
	char *phase;               /* NULL for none */
	char *actor;
	char *msg;
};

struct model_check {
	int status;                /* enum check_status, -1 none */
	char *detail;
};

struct model {
	bool read_only;            /* watch mode: nothing can act */
	char *environment;
	bool rehearsal;
	char *provider;            /* "postgres" | "dms" */
	double max_lag_seconds;
	int period_ms;             /* the driver's refresh period */
	int64_t now;               /* wall ms the screen is drawn for */

	/* The run: its state (phases, readiness, what it did), a copy the
	 * model owns; read it through model_state(). state_json is the copy's
	 * JSON, to tell a change from none. */
	struct state state;
	bool have_state;
	char *state_json;
	struct lock_holder driver; /* pid 0: no driver */
	int watchers;              /* feed watchers, -1 unknown */
	char *feed;                /* watch --connect: the feed's state */
	bool feed_ok;
	int64_t snapshot_at;       /* watch: wall ms the driver wrote it */
	char *notice;              /* one line for the operator, or NULL */
	bool notice_bad;

	/* The figures: written by monitor_apply (the driver) or
	 * snapshot_apply (a watcher); read through model_mon(). */
	struct monitor_model mon;
	bool have_mon;             /* a refresh (or snapshot) came in */
	struct series *metrics;    /* provider's (CloudWatch), or NULL */
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
	struct model_check checks[CHK_COUNT];
	char *checks_title;        /* "quick validation 16:02:11", NULL none */
	const void *checks_from;   /* which validation they are (compared,
	                              never read) */
	bool checks_passed;
	/* A validation the console runs now. */
	bool validating;
	bool validating_full;
	size_t val_done, val_total;
	/* Per-table results: schema "" and name "schema.name". */
	struct table_list table_checks;

	/* The tail of the event log, oldest first. */
	struct model_event *ev;
	size_t ev_start, ev_n;
	uint64_t ev_added;         /* events ever added (for scrolling) */
};

void model_init(struct model *v);
void model_clear(struct model *v);
/* Replaces *field by a copy of s (NULL allowed). */
void model_set(char **field, const char *s);

/* Appends one event line of events.jsonl (unparseable lines are shown as
 * such, never dropped silently). */
void model_add_event_line(struct model *v, const char *line, size_t len);
/* Forgets the events kept (a feed sends its tail again on reconnect). */
void model_events_reset(struct model *v);
/* The i-th oldest event kept (i < ev_n). */
const struct model_event *model_event_at(const struct model *v, size_t i);

/* Per-table validation results. */
void model_table_check_set(struct model *v, const char *qualified, int status);
int model_table_check(const struct model *v, const struct table_stat *t);
void model_checks_clear(struct model *v);
/* The checks and per-table results of a validation (the worse of its row
 * count and checksum), titled "<who> <mode> validation, <time>". */
void model_load_validation(struct model *v, const struct validation *val,
    const char *who);

/* The run's state, NULL before the first run. */
static inline const struct state *
model_state(const struct model *v)
{
	return v->have_state ? &v->state : NULL;
}

/* The figures, NULL before the first refresh (or snapshot). */
static inline const struct monitor_model *
model_mon(const struct model *v)
{
	return v->have_mon ? &v->mon : NULL;
}

/* Replaces the model's copy of the run's state by s (NULL: no run yet).
 * Returns whether it changed. */
bool model_set_state(struct model *v, const struct state *s);
/* Replaces the provider's metrics by a copy of s[0..n). */
void model_set_metrics(struct model *v, const struct series *s, size_t n);

/* Is data stamped at wall ms `at` older than two refresh periods? */
bool model_stale(const struct model *v, int64_t at);

#endif
