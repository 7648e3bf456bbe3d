/* monitor.h - keeps the model fresh: the provider's status and tables,
 * the heartbeat's end-to-end lag, both sides' row estimates, and the
 * databases' own figures (transactions/s, connections, WAL rate). One
 * refresh is a handful of concurrent queries; `status` runs one, the
 * console one every period. */
#ifndef CUTOVER_MONITOR_H
#define CUTOVER_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "lock.h"
#include "loop.h"
#include "model.h"
#include "provider.h"
#include "state.h"

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

struct monitor;
typedef void (*monitor_fn)(struct monitor *m, void *arg);

/* provider is borrowed (the caller frees it after the monitor). */
struct monitor *monitor_new(struct loop *loop, const struct config *cfg,
    struct provider *provider);
void monitor_free(struct monitor *m);
/* One refresh; fn runs from the loop when it is complete. A refresh asked
 * for while one runs is merged into it. */
void monitor_refresh(struct monitor *m, monitor_fn fn, void *arg);
/* Refreshes every period_ms; fn runs after each. */
void monitor_run(struct monitor *m, int period_ms, monitor_fn fn, void *arg);
const struct monitor_model *monitor_model(const struct monitor *m);

/* The run's direction: which heartbeat is read, whether the reverse
 * replication is read. Takes effect from the next refresh. */
void monitor_set_direction(struct monitor *m, enum repl_direction d,
    bool switched);

/* Whether the way back is watched: reverse replication may run. */
bool monitor_watch_reverse(const struct monitor_model *m);
/* The rollback verdict line once the way back is watched ("rollback:
 * lossless (reverse replication 0.3 s behind)", "rollback: would lose
 * writes since 16:02:11 (reverse subscription disabled)"); lossless says
 * which. Returns false (buf untouched) while it is not watched. */
bool monitor_rollback_verdict(const struct monitor_model *m, char *buf,
    size_t len, bool *lossless);

/* The JSON of `cutover status --json` (INTERFACE.md). state and driver
 * may be NULL. */
cJSON *status_json(const struct config *cfg, const struct state *state,
    const struct lock_holder *driver, const struct monitor_model *m);

#endif
