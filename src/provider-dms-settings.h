/* provider-dms-settings.h - what a cutover needs of DMS's settings,
 * judged from DescribeReplicationTasks' ReplicationTaskSettings and
 * DescribeEndpoints' PostgreSQLSettings, for pre_validation. Pure
 * functions: they read what DMS answered and write lines to out's fails
 * (the run is refused), warns (the operator must accept them) and facts
 * (what was read, for the event log). */
#ifndef CUTOVER_PROVIDER_DMS_SETTINGS_H
#define CUTOVER_PROVIDER_DMS_SETTINGS_H

#include <stdbool.h>

#include "aws/dms.h"
#include "conf.h"
#include "provider.h"

/* A task (what: "forward task" or "reverse task"): commit-order apply,
 * apply errors STOP_TASK, LOB mode, validation; the reverse one CDC-only. */
void dms_judge_task(struct provider_check *out, const char *what,
    const struct dms_task *t, bool reverse);
/* A source endpoint: the forward one names a slot (and has DMS's
 * heartbeat); the reverse one reads [rollback] reverse_slot with
 * reverse_slot_plugin. */
void dms_judge_endpoint(struct provider_check *out, const struct config *cfg,
    const struct dms_endpoint *ep, bool reverse);

#endif
