/* dms.h - the AWS DMS calls the console needs (AWS JSON 1.1, X-Amz-Target
 * AmazonDMSv20160101.*), their request bodies and response parsers.
 * Parsers accept what the API reference allows: every member may be
 * missing or null, timestamps may be epoch numbers or ISO strings. */
#ifndef CUTOVER_AWS_DMS_H
#define CUTOVER_AWS_DMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "util.h"

#define DMS_TABLE_PAGE 500      /* DescribeTableStatistics MaxRecords */

/* ReplicationTaskStats; -1 (and 0 for times) when absent. */
struct dms_task_stats {
	int full_load_percent;
	int64_t elapsed_ms;
	int tables_loaded, tables_loading, tables_queued, tables_errored;
	int64_t fresh_start_ms, start_ms, stop_ms;
	int64_t full_load_start_ms, full_load_finish_ms;
};

struct dms_task {
	char *arn;
	char *identifier;            /* the task's name */
	char *status;
	char *stop_reason;
	char *last_failure;
	char *migration_type;
	char *instance_arn;
	char *source_endpoint_arn;
	char *target_endpoint_arn;
	char *cdc_start_position;
	char *cdc_stop_position;
	char *recovery_checkpoint;
	char *settings;              /* ReplicationTaskSettings (a JSON text) */
	char *table_mappings;        /* TableMappings (a JSON text) */
	int64_t created_ms;
	int64_t started_ms;          /* ReplicationTaskStartDate; 0 never */
	bool has_stats;
	struct dms_task_stats stats;
};

struct dms_table {
	char *schema;
	char *name;
	char *state;                 /* TableState */
	int64_t inserts, deletes, updates, ddls;
	int64_t full_load_rows, full_load_error_rows;
	int64_t last_update_ms;
	char *validation_state;
	char *validation_state_details;
	int64_t validation_pending, validation_failed, validation_suspended;
};

/* An endpoint, with the PostgreSQLSettings a cutover relies on. */
struct dms_endpoint {
	char *arn;
	char *identifier;
	char *type;                  /* SOURCE | TARGET */
	char *engine;                /* postgres, aurora-postgresql, ... */
	char *slot_name;             /* PostgreSQLSettings.SlotName */
	char *plugin_name;           /* ... PluginName */
	int heartbeat;               /* ... HeartbeatEnable: 1, 0, -1 absent */
	int fail_on_lob_truncation;  /* ... FailTasksOnLobTruncation */
};

struct dms_instance {
	char *arn;
	char *identifier;            /* ReplicationInstanceIdentifier */
	char *status;
	char *instance_class;
};

/* Parse a whole response. *marker (may be NULL) receives the Marker for
 * the next page, or NULL on the last. Return 0, or -1 with e set when the
 * answer is not shaped like the API's at all. */
int dms_parse_tasks(const cJSON *resp, struct dms_task **v, size_t *n,
    char **marker, struct err *e);
int dms_parse_tables(const cJSON *resp, struct dms_table **v, size_t *n,
    char **marker, struct err *e);
int dms_parse_instances(const cJSON *resp, struct dms_instance **v,
    size_t *n, char **marker, struct err *e);
int dms_parse_endpoints(const cJSON *resp, struct dms_endpoint **v,
    size_t *n, char **marker, struct err *e);
void dms_endpoints_free(struct dms_endpoint *v, size_t n);
/* One ReplicationTask object. */
void dms_parse_task(const cJSON *o, struct dms_task *t);

void dms_task_free(struct dms_task *t);
void dms_tasks_free(struct dms_task *v, size_t n);
void dms_tables_free(struct dms_table *v, size_t n);
void dms_instances_free(struct dms_instance *v, size_t n);
void dms_task_copy(struct dms_task *dst, const struct dms_task *src);

/* The task with the API's member names; times as RFC 3339 UTC with
 * milliseconds, absent members null. */
cJSON *dms_task_to_json(const struct dms_task *t);

/* The last part of an ARN: the ReplicationTaskIdentifier dimension
 * CloudWatch uses ("arn:aws:dms:r:a:task:ABC" -> "ABC"). */
const char *dms_arn_resource_id(const char *arn);

/* Is the status one that passes by itself (creating, testing, starting,
 * stopping, modifying, moving)? */
bool dms_status_transitional(const char *status);

/* Request bodies. cdc_start_time_ms <= 0 and NULL strings are left out. */
cJSON *dms_req_describe_task(const char *arn);
cJSON *dms_req_describe_task_settings(const char *arn);
cJSON *dms_req_describe_endpoint(const char *endpoint_arn);
cJSON *dms_req_tables(const char *arn, const char *marker);
cJSON *dms_req_describe_instance(const char *instance_arn);
cJSON *dms_req_start(const char *arn, const char *type,
    const char *cdc_start_position, int64_t cdc_start_time_ms,
    const char *cdc_stop_position);
cJSON *dms_req_stop(const char *arn);
cJSON *dms_req_modify_migration_type(const char *arn, const char *type);

/* Asynchronous calls. Callbacks get NULL and e on failure; what they get
 * is theirs only during the call. An op's handle is invalid once its
 * callback runs (never cancel it from there). */
struct dms_op;
typedef void (*dms_task_fn)(const struct dms_task *t, const struct err *e,
    void *arg);
typedef void (*dms_tables_fn)(const struct dms_table *v, size_t n,
    const struct err *e, void *arg);
typedef void (*dms_instance_fn)(const struct dms_instance *i,
    const struct err *e, void *arg);
typedef void (*dms_endpoint_fn)(const struct dms_endpoint *ep,
    const struct err *e, void *arg);

/* DescribeReplicationTasks by ARN (WithoutSettings); not found is an
 * error. */
struct dms_op *dms_describe_task(struct aws_client *c, const char *arn,
    dms_task_fn fn, void *arg, struct err *e);
/* The same with the task's settings (ReplicationTaskSettings and
 * TableMappings). */
struct dms_op *dms_describe_task_settings(struct aws_client *c,
    const char *arn, dms_task_fn fn, void *arg, struct err *e);
/* DescribeEndpoints by ARN. */
struct dms_op *dms_describe_endpoint(struct aws_client *c,
    const char *endpoint_arn, dms_endpoint_fn fn, void *arg, struct err *e);
/* DescribeTableStatistics, every page. */
struct dms_op *dms_describe_tables(struct aws_client *c, const char *arn,
    dms_tables_fn fn, void *arg, struct err *e);
/* DescribeReplicationInstances by ARN. */
struct dms_op *dms_describe_instance(struct aws_client *c,
    const char *instance_arn, dms_instance_fn fn, void *arg, struct err *e);
/* StartReplicationTask (type: start-replication, resume-processing,
 * reload-target). Not retried once it may have reached DMS. */
struct dms_op *dms_start_task(struct aws_client *c, const char *arn,
    const char *type, const char *cdc_start_position,
    int64_t cdc_start_time_ms, const char *cdc_stop_position,
    dms_task_fn fn, void *arg, struct err *e);
/* StopReplicationTask. Not retried once it may have reached DMS. */
struct dms_op *dms_stop_task(struct aws_client *c, const char *arn,
    dms_task_fn fn, void *arg, struct err *e);
/* ModifyReplicationTask setting MigrationType (a stopped task): a
 * full-load-and-cdc task becomes "cdc", which DMS starts at a position. */
struct dms_op *dms_modify_migration_type(struct aws_client *c,
    const char *arn, const char *type, dms_task_fn fn, void *arg,
    struct err *e);
void dms_op_cancel(struct dms_op *op);

#endif
