/* provider-dms.h - what the DMS provider offers beyond struct
 * provider_ops: the CloudWatch series for the metrics pane, stopping at a
 * CDC position, and the knobs the tests turn. */
#ifndef CUTOVER_PROVIDER_DMS_H
#define CUTOVER_PROVIDER_DMS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "provider.h"

struct aws_client;

/* The CloudWatch series, refreshed by every refresh when [metrics]
 * cloudwatch is on: the DMS task's CDCLatencySource, CDCLatencyTarget,
 * CDCIncomingChanges, CDCChangesDiskSource, CDCThroughputRowsTarget,
 * FullLoadThroughputRowsTarget; the replication instance's
 * CPUUtilization, FreeableMemory, FreeStorageSpace, SwapUsage; Aurora's
 * DatabaseConnections, CommitLatency, AuroraReplicaLagMaximum. */
const struct series *provider_dms_series(const struct provider *p,
    size_t *n);

/* Resumes the stopped forward task with a CdcStopPosition
 * ("server_time:2026-11-24T16:00:00" or "commit_time:...") and waits
 * until DMS has stopped it there. A running task is refused: DMS sets a
 * stop position only when it starts a task. */
void provider_dms_stop_at(struct provider *p, const char *position,
    provider_done_fn done, void *arg);

/* The client (retry and timeout settings) and the waits: how often a
 * transitional status is polled, and how long stop/start wait. */
struct aws_client *provider_dms_client(struct provider *p);
void provider_dms_set_waits(struct provider *p, int64_t poll_ms,
    int64_t timeout_ms);

/* The task as DMS last described it, as JSON (NULL before the first
 * refresh): for --json outputs and tests. */
char *provider_dms_task_json(const struct provider *p);

#endif
