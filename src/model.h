/* model.h - what the views show: plain data, no curses, no sockets.
 * Sources (providers, the databases, CloudWatch) fill it; the console
 * panes, `status --json` and the watch feed only read it. */
#ifndef CUTOVER_MODEL_H
#define CUTOVER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

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

#endif
