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

struct monitor;
typedef void (*monitor_fn)(struct monitor *m, void *arg);

/* provider is borrowed (the caller frees it after the monitor). The
 * monitor writes md's figures (md->mon, the provider's metrics) when a
 * refresh is complete, and nothing else does while it runs; md outlives
 * the monitor. */
struct monitor *monitor_new(struct loop *loop, const struct config *cfg,
    struct provider *provider, struct model *md);
void monitor_free(struct monitor *m);
/* One refresh; fn runs from the loop when it is complete. A refresh asked
 * for while one runs is merged into it. */
void monitor_refresh(struct monitor *m, monitor_fn fn, void *arg);
/* Refreshes every period_ms; fn runs after each. */
void monitor_run(struct monitor *m, int period_ms, monitor_fn fn, void *arg);

/* The run's direction: which heartbeat is read, whether the reverse
 * replication is read. Takes effect from the next refresh. */
void monitor_set_direction(struct monitor *m, enum repl_direction d,
    bool switched);

/* The JSON of `cutover status --json` (INTERFACE.md). state and driver
 * may be NULL. */
cJSON *status_json(const struct config *cfg, const struct state *state,
    const struct lock_holder *driver, const struct monitor_model *m);

#endif
