/* dms.c - AWS DMS requests and responses; see dms.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws/dms.h"
#include "aws/json.h"
#include "jsonout.h"
#include "util.h"

#define DMS_MAX_PAGES 10000     /* 5 million tables: a broken Marker loop */

static int
aj_int_clamped(const cJSON *o, const char *key)
{
	int64_t v = aj_int(o, key, -1);

	return v < -1 || v > INT32_MAX ? -1 : (int)v;
}

void
dms_parse_task(const cJSON *o, struct dms_task *t)
{
	const cJSON *s;

	memset(t, 0, sizeof *t);
	t->arn = aj_strdup(o, "ReplicationTaskArn");
	t->identifier = aj_strdup(o, "ReplicationTaskIdentifier");
	t->status = aj_strdup(o, "Status");
	t->stop_reason = aj_strdup(o, "StopReason");
	t->last_failure = aj_strdup(o, "LastFailureMessage");
	t->migration_type = aj_strdup(o, "MigrationType");
	t->instance_arn = aj_strdup(o, "ReplicationInstanceArn");
	t->source_endpoint_arn = aj_strdup(o, "SourceEndpointArn");
	t->target_endpoint_arn = aj_strdup(o, "TargetEndpointArn");
	t->cdc_start_position = aj_strdup(o, "CdcStartPosition");
	t->cdc_stop_position = aj_strdup(o, "CdcStopPosition");
	t->recovery_checkpoint = aj_strdup(o, "RecoveryCheckpoint");
	t->settings = aj_strdup(o, "ReplicationTaskSettings");
	t->table_mappings = aj_strdup(o, "TableMappings");
	t->created_ms = aj_time(o, "ReplicationTaskCreationDate");
	t->started_ms = aj_time(o, "ReplicationTaskStartDate");
	t->stats.full_load_percent = -1;
	t->stats.elapsed_ms = -1;
	t->stats.tables_loaded = t->stats.tables_loading = -1;
	t->stats.tables_queued = t->stats.tables_errored = -1;
	if ((s = aj_object(o, "ReplicationTaskStats")) == NULL)
		return;
	t->has_stats = true;
	t->stats.full_load_percent = aj_int_clamped(s, "FullLoadProgressPercent");
	t->stats.elapsed_ms = aj_int(s, "ElapsedTimeMillis", -1);
	t->stats.tables_loaded = aj_int_clamped(s, "TablesLoaded");
	t->stats.tables_loading = aj_int_clamped(s, "TablesLoading");
	t->stats.tables_queued = aj_int_clamped(s, "TablesQueued");
	t->stats.tables_errored = aj_int_clamped(s, "TablesErrored");
	t->stats.fresh_start_ms = aj_time(s, "FreshStartDate");
	t->stats.start_ms = aj_time(s, "StartDate");
	t->stats.stop_ms = aj_time(s, "StopDate");
	t->stats.full_load_start_ms = aj_time(s, "FullLoadStartDate");
	t->stats.full_load_finish_ms = aj_time(s, "FullLoadFinishDate");
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
dms_task_copy(struct dms_task *dst, const struct dms_task *src)
{
	*dst = *src;
	dst->arn = dup_or_null(src->arn);
	dst->identifier = dup_or_null(src->identifier);
	dst->status = dup_or_null(src->status);
	dst->stop_reason = dup_or_null(src->stop_reason);
	dst->last_failure = dup_or_null(src->last_failure);
	dst->migration_type = dup_or_null(src->migration_type);
	dst->instance_arn = dup_or_null(src->instance_arn);
	dst->source_endpoint_arn = dup_or_null(src->source_endpoint_arn);
	dst->target_endpoint_arn = dup_or_null(src->target_endpoint_arn);
	dst->cdc_start_position = dup_or_null(src->cdc_start_position);
	dst->cdc_stop_position = dup_or_null(src->cdc_stop_position);
	dst->recovery_checkpoint = dup_or_null(src->recovery_checkpoint);
	dst->settings = dup_or_null(src->settings);
	dst->table_mappings = dup_or_null(src->table_mappings);
}

void
dms_task_free(struct dms_task *t)
{
	free(t->arn);
	free(t->identifier);
	free(t->status);
	free(t->stop_reason);
	free(t->last_failure);
	free(t->migration_type);
	free(t->instance_arn);
	free(t->source_endpoint_arn);
	free(t->target_endpoint_arn);
	free(t->cdc_start_position);
	free(t->cdc_stop_position);
	free(t->recovery_checkpoint);
	free(t->settings);
	free(t->table_mappings);
	memset(t, 0, sizeof *t);
}

void
dms_tasks_free(struct dms_task *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dms_task_free(&v[i]);
	free(v);
}

void
dms_tables_free(struct dms_table *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].schema);
		free(v[i].name);
		free(v[i].state);
		free(v[i].validation_state);
		free(v[i].validation_state_details);
	}
	free(v);
}

void
dms_instances_free(struct dms_instance *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].arn);
		free(v[i].identifier);
		free(v[i].status);
		free(v[i].instance_class);
	}
	free(v);
}

/* The list member of a response: missing or null is an empty list, any
 * other non-list is a malformed answer. */
static int
response_list(const cJSON *resp, const char *key, const cJSON **list,
    char **marker, struct err *e)
{
	const cJSON *v;
	const char *m;

	*list = NULL;
	if (marker != NULL)
		*marker = NULL;
	if (!cJSON_IsObject(resp))
		return err_set(e, EXIT_RUNTIME, "the answer is not a JSON object");
	v = cJSON_GetObjectItemCaseSensitive(resp, key);
	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsArray(v))
		return err_set(e, EXIT_RUNTIME, "%s in the answer is not a list",
		    key);
	*list = v;
	m = aj_str(resp, "Marker");
	if (marker != NULL && m != NULL && *m != '\0')
		*marker = xstrdup(m);
	return 0;
}

int
dms_parse_tasks(const cJSON *resp, struct dms_task **v, size_t *n,
    char **marker, struct err *e)
{
	const cJSON *list, *it;
	size_t i = 0;

	*v = NULL;
	*n = 0;
	if (response_list(resp, "ReplicationTasks", &list, marker, e) != 0)
		return -1;
	if (cJSON_IsArray(list)) {
		*v = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **v);
		cJSON_ArrayForEach(it, list)
			if (cJSON_IsObject(it))
				dms_parse_task(it, &(*v)[i++]);
	}
	*n = i;
	return 0;
}

int
dms_parse_tables(const cJSON *resp, struct dms_table **v, size_t *n,
    char **marker, struct err *e)
{
	const cJSON *list, *it;
	struct dms_table *t;
	size_t i = 0;

	*v = NULL;
	*n = 0;
	if (response_list(resp, "TableStatistics", &list, marker, e) != 0)
		return -1;
	if (cJSON_IsArray(list)) {
		*v = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **v);
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsObject(it) || aj_str(it, "TableName") == NULL)
				continue;
			t = &(*v)[i++];
			t->schema = aj_strdup(it, "SchemaName");
			if (t->schema == NULL)
				t->schema = xstrdup("");
			t->name = aj_strdup(it, "TableName");
			t->state = aj_strdup(it, "TableState");
			t->inserts = aj_int(it, "Inserts", -1);
			t->deletes = aj_int(it, "Deletes", -1);
			t->updates = aj_int(it, "Updates", -1);
			t->ddls = aj_int(it, "Ddls", -1);
			t->full_load_rows = aj_int(it, "FullLoadRows", -1);
			t->full_load_error_rows = aj_int(it, "FullLoadErrorRows",
			    -1);
			t->last_update_ms = aj_time(it, "LastUpdateTime");
			t->validation_state = aj_strdup(it, "ValidationState");
			t->validation_state_details = aj_strdup(it,
			    "ValidationStateDetails");
			t->validation_pending = aj_int(it,
			    "ValidationPendingRecords", -1);
			t->validation_failed = aj_int(it,
			    "ValidationFailedRecords", -1);
			t->validation_suspended = aj_int(it,
			    "ValidationSuspendedRecords", -1);
		}
	}
	*n = i;
	return 0;
}

int
dms_parse_instances(const cJSON *resp, struct dms_instance **v, size_t *n,
    char **marker, struct err *e)
{
	const cJSON *list, *it;
	size_t i = 0;

	*v = NULL;
	*n = 0;
	if (response_list(resp, "ReplicationInstances", &list, marker, e) != 0)
		return -1;
	if (cJSON_IsArray(list)) {
		*v = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **v);
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsObject(it))
				continue;
			(*v)[i].arn = aj_strdup(it, "ReplicationInstanceArn");
			(*v)[i].identifier = aj_strdup(it,
			    "ReplicationInstanceIdentifier");
			(*v)[i].status = aj_strdup(it, "ReplicationInstanceStatus");
			(*v)[i].instance_class = aj_strdup(it,
			    "ReplicationInstanceClass");
			i++;
		}
	}
	*n = i;
	return 0;
}

static int
tristate(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

int
dms_parse_endpoints(const cJSON *resp, struct dms_endpoint **v, size_t *n,
    char **marker, struct err *e)
{
	const cJSON *list, *it, *pg;
	struct dms_endpoint *ep;
	size_t i = 0;

	*v = NULL;
	*n = 0;
	if (response_list(resp, "Endpoints", &list, marker, e) != 0)
		return -1;
	if (cJSON_IsArray(list)) {
		*v = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **v);
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsObject(it))
				continue;
			ep = &(*v)[i++];
			ep->arn = aj_strdup(it, "EndpointArn");
			ep->identifier = aj_strdup(it, "EndpointIdentifier");
			ep->type = aj_strdup(it, "EndpointType");
			ep->engine = aj_strdup(it, "EngineName");
			pg = aj_object(it, "PostgreSQLSettings");
			ep->slot_name = aj_strdup(pg, "SlotName");
			ep->plugin_name = aj_strdup(pg, "PluginName");
			ep->heartbeat = tristate(pg, "HeartbeatEnable");
			ep->fail_on_lob_truncation = tristate(pg,
			    "FailTasksOnLobTruncation");
		}
	}
	*n = i;
	return 0;
}

void
dms_endpoints_free(struct dms_endpoint *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].arn);
		free(v[i].identifier);
		free(v[i].type);
		free(v[i].engine);
		free(v[i].slot_name);
		free(v[i].plugin_name);
	}
	free(v);
}

const char *
dms_arn_resource_id(const char *arn)
{
	const char *p;

	if (arn == NULL)
		return "";
	p = strrchr(arn, ':');
	return p != NULL ? p + 1 : arn;
}

bool
dms_status_transitional(const char *status)
{
	/* Not "deleting": a task going away is an error, not a wait. */
	static const char *words[] = { "creating", "testing", "starting",
	    "stopping", "modifying", "moving" };
	size_t i;

	if (status == NULL)
		return false;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(status, words[i]) == 0)
			return true;
	return false;
}

cJSON *
dms_task_to_json(const struct dms_task *t)
{
	cJSON *o = cJSON_CreateObject(), *s;

	json_add_string(o, "ReplicationTaskArn", t->arn);
	json_add_string(o, "ReplicationTaskIdentifier", t->identifier);
	json_add_string(o, "Status", t->status);
	json_add_string(o, "StopReason", t->stop_reason);
	json_add_string(o, "LastFailureMessage", t->last_failure);
	json_add_string(o, "MigrationType", t->migration_type);
	json_add_string(o, "ReplicationInstanceArn", t->instance_arn);
	json_add_string(o, "SourceEndpointArn", t->source_endpoint_arn);
	json_add_string(o, "TargetEndpointArn", t->target_endpoint_arn);
	json_add_string(o, "CdcStartPosition", t->cdc_start_position);
	json_add_string(o, "CdcStopPosition", t->cdc_stop_position);
	json_add_time(o, "ReplicationTaskCreationDate", t->created_ms);
	json_add_time(o, "ReplicationTaskStartDate", t->started_ms);
	if (!t->has_stats) {
		cJSON_AddNullToObject(o, "ReplicationTaskStats");
		return o;
	}
	s = cJSON_AddObjectToObject(o, "ReplicationTaskStats");
	json_add_count(s, "FullLoadProgressPercent", t->stats.full_load_percent);
	json_add_count(s, "ElapsedTimeMillis", t->stats.elapsed_ms);
	json_add_count(s, "TablesLoaded", t->stats.tables_loaded);
	json_add_count(s, "TablesLoading", t->stats.tables_loading);
	json_add_count(s, "TablesQueued", t->stats.tables_queued);
	json_add_count(s, "TablesErrored", t->stats.tables_errored);
	json_add_time(s, "FreshStartDate", t->stats.fresh_start_ms);
	json_add_time(s, "StartDate", t->stats.start_ms);
	json_add_time(s, "StopDate", t->stats.stop_ms);
	json_add_time(s, "FullLoadStartDate", t->stats.full_load_start_ms);
	json_add_time(s, "FullLoadFinishDate", t->stats.full_load_finish_ms);
	return o;
}

/* ---- requests ------------------------------------------------------ */

static cJSON *
arn_filter(const char *name, const char *arn)
{
	cJSON *filters = cJSON_CreateArray(), *f = cJSON_CreateObject();
	cJSON *vals = cJSON_CreateArray();

	cJSON_AddStringToObject(f, "Name", name);
	cJSON_AddItemToArray(vals, cJSON_CreateString(arn));
	cJSON_AddItemToObject(f, "Values", vals);
	cJSON_AddItemToArray(filters, f);
	return filters;
}

cJSON *
dms_req_describe_task(const char *arn)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddItemToObject(b, "Filters",
	    arn_filter("replication-task-arn", arn));
	cJSON_AddBoolToObject(b, "WithoutSettings", 1);
	return b;
}

cJSON *
dms_req_describe_task_settings(const char *arn)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddItemToObject(b, "Filters",
	    arn_filter("replication-task-arn", arn));
	return b;
}

cJSON *
dms_req_describe_endpoint(const char *endpoint_arn)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddItemToObject(b, "Filters",
	    arn_filter("endpoint-arn", endpoint_arn));
	return b;
}

cJSON *
dms_req_tables(const char *arn, const char *marker)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "ReplicationTaskArn", arn);
	cJSON_AddNumberToObject(b, "MaxRecords", DMS_TABLE_PAGE);
	if (marker != NULL)
		cJSON_AddStringToObject(b, "Marker", marker);
	return b;
}

cJSON *
dms_req_describe_instance(const char *instance_arn)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddItemToObject(b, "Filters",
	    arn_filter("replication-instance-arn", instance_arn));
	return b;
}

cJSON *
dms_req_start(const char *arn, const char *type,
    const char *cdc_start_position, int64_t cdc_start_time_ms,
    const char *cdc_stop_position)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "ReplicationTaskArn", arn);
	cJSON_AddStringToObject(b, "StartReplicationTaskType", type);
	/* DMS takes one of the two start points. */
	if (cdc_start_position != NULL && *cdc_start_position != '\0')
		cJSON_AddStringToObject(b, "CdcStartPosition",
		    cdc_start_position);
	else if (cdc_start_time_ms > 0)
		cJSON_AddNumberToObject(b, "CdcStartTime",
		    (double)(cdc_start_time_ms / 1000));
	if (cdc_stop_position != NULL && *cdc_stop_position != '\0')
		cJSON_AddStringToObject(b, "CdcStopPosition", cdc_stop_position);
	return b;
}

cJSON *
dms_req_stop(const char *arn)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "ReplicationTaskArn", arn);
	return b;
}

cJSON *
dms_req_modify_migration_type(const char *arn, const char *type)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "ReplicationTaskArn", arn);
	cJSON_AddStringToObject(b, "MigrationType", type);
	return b;
}

/* ---- calls --------------------------------------------------------- */

enum op_kind { OP_DESCRIBE_TASK, OP_TABLES, OP_INSTANCE, OP_TASK_ACTION,
	OP_ENDPOINT };

struct dms_op {
	struct aws_client *c;
	enum op_kind kind;
	char *arn;
	struct aws_call *call;
	dms_task_fn task_fn;
	dms_tables_fn tables_fn;
	dms_instance_fn instance_fn;
	dms_endpoint_fn endpoint_fn;
	void *arg;
	struct dms_table *tables;
	size_t ntables;
	char *marker;
	int pages;
};

static void
op_free(struct dms_op *op)
{
	if (op->call != NULL)
		aws_call_cancel(op->call);
	dms_tables_free(op->tables, op->ntables);
	free(op->marker);
	free(op->arn);
	free(op);
}

void
dms_op_cancel(struct dms_op *op)
{
	if (op != NULL)
		op_free(op);
}

static void
op_fail(struct dms_op *op, const struct err *e)
{
	switch (op->kind) {
	case OP_DESCRIBE_TASK:
	case OP_TASK_ACTION:
		op->task_fn(NULL, e, op->arg);
		break;
	case OP_TABLES:
		op->tables_fn(NULL, 0, e, op->arg);
		break;
	case OP_INSTANCE:
		op->instance_fn(NULL, e, op->arg);
		break;
	case OP_ENDPOINT:
		op->endpoint_fn(NULL, e, op->arg);
		break;
	}
	op_free(op);
}

static void on_answer(cJSON *resp, const struct err *ce, void *arg);

static int
op_call(struct dms_op *op, const char *name, cJSON *body, bool idempotent,
    struct err *e)
{
	op->call = aws_call(op->c, &aws_service_dms, name, body, idempotent,
	    on_answer, op, e);
	return op->call != NULL ? 0 : -1;
}

static void
on_answer(cJSON *resp, const struct err *ce, void *arg)
{
	struct dms_op *op = arg;
	struct dms_task *tasks, task;
	struct dms_instance *inst;
	struct dms_endpoint *eps;
	struct dms_table *page;
	size_t n, i;
	char *marker;
	struct err e;
	const char *what;

	op->call = NULL;
	if (resp == NULL) {
		op_fail(op, ce);
		return;
	}
	switch (op->kind) {
	case OP_DESCRIBE_TASK:
		if (dms_parse_tasks(resp, &tasks, &n, NULL, &e) != 0) {
			err_prefix(&e, "DescribeReplicationTasks: ");
			op_fail(op, &e);
			return;
		}
		for (i = 0; i < n; i++)
			if (tasks[i].arn != NULL && strcmp(tasks[i].arn,
			    op->arn) == 0)
				break;
		if (i == n) {
			dms_tasks_free(tasks, n);
			err_set(&e, EXIT_RUNTIME, "DescribeReplicationTasks: no "
			    "task %s in region %s", op->arn, op->c->region);
			op_fail(op, &e);
			return;
		}
		op->task_fn(&tasks[i], NULL, op->arg);
		dms_tasks_free(tasks, n);
		op_free(op);
		return;
	case OP_TASK_ACTION:
		what = op->marker;      /* the operation's name */
		if (aj_object(resp, "ReplicationTask") == NULL) {
			err_set(&e, EXIT_RUNTIME, "%s: the answer has no "
			    "ReplicationTask", what);
			op_fail(op, &e);
			return;
		}
		dms_parse_task(aj_object(resp, "ReplicationTask"), &task);
		op->task_fn(&task, NULL, op->arg);
		dms_task_free(&task);
		op_free(op);
		return;
	case OP_INSTANCE:
		if (dms_parse_instances(resp, &inst, &n, NULL, &e) != 0) {
			err_prefix(&e, "DescribeReplicationInstances: ");
			op_fail(op, &e);
			return;
		}
		for (i = 0; i < n; i++)
			if (inst[i].arn != NULL && strcmp(inst[i].arn,
			    op->arn) == 0 && inst[i].identifier != NULL)
				break;
		if (i == n) {
			dms_instances_free(inst, n);
			err_set(&e, EXIT_RUNTIME, "DescribeReplicationInstances: "
			    "no replication instance %s", op->arn);
			op_fail(op, &e);
			return;
		}
		op->instance_fn(&inst[i], NULL, op->arg);
		dms_instances_free(inst, n);
		op_free(op);
		return;
	case OP_ENDPOINT:
		if (dms_parse_endpoints(resp, &eps, &n, NULL, &e) != 0) {
			err_prefix(&e, "DescribeEndpoints: ");
			op_fail(op, &e);
			return;
		}
		for (i = 0; i < n; i++)
			if (eps[i].arn != NULL && strcmp(eps[i].arn, op->arn) == 0)
				break;
		if (i == n) {
			dms_endpoints_free(eps, n);
			err_set(&e, EXIT_RUNTIME, "DescribeEndpoints: no endpoint %s",
			    op->arn);
			op_fail(op, &e);
			return;
		}
		op->endpoint_fn(&eps[i], NULL, op->arg);
		dms_endpoints_free(eps, n);
		op_free(op);
		return;
	case OP_TABLES:
		if (dms_parse_tables(resp, &page, &n, &marker, &e) != 0) {
			err_prefix(&e, "DescribeTableStatistics: ");
			op_fail(op, &e);
			return;
		}
		op->tables = xreallocarray(op->tables, op->ntables + n + 1,
		    sizeof *op->tables);
		if (n > 0)
			memcpy(op->tables + op->ntables, page, n * sizeof *page);
		op->ntables += n;
		free(page);             /* its strings moved to op->tables */
		switch (aws_next_page("DescribeTableStatistics", &op->marker,
		    marker, &op->pages, DMS_MAX_PAGES, &e)) {
		case 1:
			if (op_call(op, "DescribeTableStatistics",
			    dms_req_tables(op->arn, op->marker), true, &e) != 0)
				op_fail(op, &e);
			return;
		case -1:
			op_fail(op, &e);
			return;
		}
		op->tables_fn(op->tables, op->ntables, NULL, op->arg);
		op_free(op);
		return;
	}
}

static struct dms_op *
op_new(struct aws_client *c, enum op_kind kind, const char *arn, void *arg)
{
	struct dms_op *op = xcalloc(1, sizeof *op);

	op->c = c;
	op->kind = kind;
	op->arn = xstrdup(arn != NULL ? arn : "");
	op->arg = arg;
	return op;
}

static struct dms_op *
op_start(struct dms_op *op, const char *name, cJSON *body, bool idempotent,
    struct err *e)
{
	if (op_call(op, name, body, idempotent, e) != 0) {
		op->call = NULL;
		op_free(op);
		return NULL;
	}
	return op;
}

struct dms_op *
dms_describe_task(struct aws_client *c, const char *arn, dms_task_fn fn,
    void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_DESCRIBE_TASK, arn, arg);

	op->task_fn = fn;
	return op_start(op, "DescribeReplicationTasks",
	    dms_req_describe_task(arn), true, e);
}

struct dms_op *
dms_describe_task_settings(struct aws_client *c, const char *arn,
    dms_task_fn fn, void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_DESCRIBE_TASK, arn, arg);

	op->task_fn = fn;
	return op_start(op, "DescribeReplicationTasks",
	    dms_req_describe_task_settings(arn), true, e);
}

struct dms_op *
dms_describe_endpoint(struct aws_client *c, const char *endpoint_arn,
    dms_endpoint_fn fn, void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_ENDPOINT, endpoint_arn, arg);

	op->endpoint_fn = fn;
	return op_start(op, "DescribeEndpoints",
	    dms_req_describe_endpoint(endpoint_arn), true, e);
}

struct dms_op *
dms_describe_tables(struct aws_client *c, const char *arn, dms_tables_fn fn,
    void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_TABLES, arn, arg);

	op->tables_fn = fn;
	return op_start(op, "DescribeTableStatistics", dms_req_tables(arn, NULL),
	    true, e);
}

struct dms_op *
dms_describe_instance(struct aws_client *c, const char *instance_arn,
    dms_instance_fn fn, void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_INSTANCE, instance_arn, arg);

	op->instance_fn = fn;
	return op_start(op, "DescribeReplicationInstances",
	    dms_req_describe_instance(instance_arn), true, e);
}

static struct dms_op *
task_action(struct aws_client *c, const char *arn, const char *name,
    cJSON *body, dms_task_fn fn, void *arg, struct err *e)
{
	struct dms_op *op = op_new(c, OP_TASK_ACTION, arn, arg);

	op->task_fn = fn;
	op->marker = xstrdup(name);
	return op_start(op, name, body, false, e);
}

struct dms_op *
dms_start_task(struct aws_client *c, const char *arn, const char *type,
    const char *cdc_start_position, int64_t cdc_start_time_ms,
    const char *cdc_stop_position, dms_task_fn fn, void *arg, struct err *e)
{
	return task_action(c, arn, "StartReplicationTask",
	    dms_req_start(arn, type, cdc_start_position, cdc_start_time_ms,
	    cdc_stop_position), fn, arg, e);
}

struct dms_op *
dms_stop_task(struct aws_client *c, const char *arn, dms_task_fn fn,
    void *arg, struct err *e)
{
	return task_action(c, arn, "StopReplicationTask", dms_req_stop(arn),
	    fn, arg, e);
}

struct dms_op *
dms_modify_migration_type(struct aws_client *c, const char *arn,
    const char *type, dms_task_fn fn, void *arg, struct err *e)
{
	return task_action(c, arn, "ModifyReplicationTask",
	    dms_req_modify_migration_type(arn, type), fn, arg, e);
}
