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
	SERIES_COUNT
};

struct monitor_model {
	struct repl_status repl;
	struct table_list tables;  /* provider's tables with both sides' rows */
	double lag_e2e;            /* seconds, NAN unknown */
	bool heartbeat_writer;     /* someone writes heartbeats */
	char *lag_error;
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
/* The next refresh reads the per-table figures too (they are read every
 * tenth refresh otherwise). */
void monitor_tables_now(struct monitor *m);
/* Refreshes every period_ms; fn runs after each. */
void monitor_run(struct monitor *m, int period_ms, monitor_fn fn, void *arg);
const struct monitor_model *monitor_model(const struct monitor *m);

/* The JSON of `cutover status --json` (INTERFACE.md). state and driver
 * may be NULL. */
cJSON *status_json(const struct config *cfg, const struct state *state,
    const struct lock_holder *driver, const struct monitor_model *m);

#endif
