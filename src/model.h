/* model.h - what the views show: plain data, no curses, no sockets.
 * Sources (providers, the databases, CloudWatch) fill it; the console
 * panes, `status --json` and the watch feed only read it. */
#ifndef CUTOVER_MODEL_H
#define CUTOVER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
