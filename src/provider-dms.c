/* provider-dms.c - AWS DMS behind struct provider_ops.
 *
 * refresh:  DescribeReplicationTasks -> DescribeTableStatistics (every
 *           page) -> [metrics] DescribeReplicationInstances (once, for
 *           the instance's identifier) -> one GetMetricData
 * stop:     DescribeReplicationTasks; running -> StopReplicationTask; then
 *           DescribeReplicationTasks every poll until "stopped"
 * start:    DescribeReplicationTasks; not running -> StartReplicationTask
 *           (start-replication the first time, else resume-processing);
 *           then poll until "running"
 * Transitional statuses (starting, stopping, modifying, ...) are waited
 * out. Start and Stop are never sent twice by us: when their answer is
 * lost, the task's status says what happened. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "aws/client.h"
#include "aws/cloudwatch.h"
#include "aws/dms.h"
#include "provider-dms.h"
#include "provider.h"
#include "util.h"

#define POLL_MS 5000
#define WAIT_TIMEOUT_MS (15 * 60 * 1000)
#define METRIC_POINTS 60         /* the window: this many periods */

enum dims { D_TASK, D_INSTANCE, D_CLUSTER };

static const struct metric_def {
	const char *ns;
	const char *metric;
	const char *stat;
	const char *unit;
	enum dims dims;
} metric_defs[] = {
	/* Latency gates the cutover: the worst of each period. */
	{ "AWS/DMS", "CDCLatencySource", "Maximum", "s", D_TASK },
	{ "AWS/DMS", "CDCLatencyTarget", "Maximum", "s", D_TASK },
	{ "AWS/DMS", "CDCIncomingChanges", "Average", "count", D_TASK },
	{ "AWS/DMS", "CDCChangesDiskSource", "Average", "count", D_TASK },
	{ "AWS/DMS", "CDCThroughputRowsTarget", "Average", "rows/s", D_TASK },
	{ "AWS/DMS", "FullLoadThroughputRowsTarget", "Average", "rows/s",
	  D_TASK },
	{ "AWS/DMS", "CPUUtilization", "Average", "%", D_INSTANCE },
	{ "AWS/DMS", "FreeableMemory", "Average", "bytes", D_INSTANCE },
	{ "AWS/DMS", "FreeStorageSpace", "Average", "bytes", D_INSTANCE },
	{ "AWS/DMS", "SwapUsage", "Average", "bytes", D_INSTANCE },
	{ "AWS/RDS", "DatabaseConnections", "Average", "count", D_CLUSTER },
	{ "AWS/RDS", "CommitLatency", "Average", "ms", D_CLUSTER },
	{ "AWS/RDS", "AuroraReplicaLagMaximum", "Maximum", "ms", D_CLUSTER },
};
#define NMETRICS ARRAY_SIZE(metric_defs)

enum pop_kind {
	POP_REFRESH,
	POP_STOP,
	POP_START,
	POP_REVERSE_START,
	POP_REVERSE_STOP,
	POP_STOP_AT,
};

/* One provider operation in flight. */
struct pop {
	struct provider *p;
	struct err first_err;      /* refresh: the first call that failed */
	bool partial;
	enum pop_kind kind;
	provider_done_fn done;
	void *arg;
	const char *arn;
	const char *what;          /* "the forward task" */
	struct dms_op *dop;
	struct cw_op *cop;
	struct loop_timer *timer;
	int64_t deadline;
	bool sent;                 /* Start/Stop was sent */
	bool send_failed;          /* ...and its answer was an error */
	struct err send_err;
	char *lsn;
	int64_t time_ms;
	char *stop_position;
	struct pop *next;
};

struct dms_impl {
	struct aws_client *client;
	char *task_arn;
	char *reverse_arn;
	char *instance_arn;
	char *instance_id;
	char *cluster_id;
	char *task_id;
	struct series series[NMETRICS];
	struct dms_task task;
	bool have_task;
	struct pop *ops;
	int64_t poll_ms;
	int64_t wait_ms;
	int period;
	bool cloudwatch;
};

static struct dms_impl *
impl(const struct provider *p)
{
	return p->impl;
}

static void
pop_free(struct pop *op)
{
	struct pop **pp;

	for (pp = &impl(op->p)->ops; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	if (op->dop != NULL)
		dms_op_cancel(op->dop);
	if (op->cop != NULL)
		cw_op_cancel(op->cop);
	if (op->timer != NULL)
		loop_timer_cancel(op->timer);
	free(op->lsn);
	free(op->stop_position);
	free(op);
}

static void
pop_finish(struct pop *op, const struct err *e)
{
	provider_done_fn done = op->done;
	void *arg = op->arg;
	struct provider *p = op->p;
	struct err copy;

	/* e may point into op (its send_err). */
	if (e != NULL)
		copy = *e;
	pop_free(op);
	done(p, e == NULL ? 0 : -1, e == NULL ? NULL : &copy, arg);
}

static struct pop *
pop_new(struct provider *p, enum pop_kind kind, const char *arn,
    const char *what, provider_done_fn done, void *arg)
{
	struct pop *op = xcalloc(1, sizeof *op);

	op->p = p;
	op->kind = kind;
	op->arn = arn;
	op->what = what;
	op->done = done;
	op->arg = arg;
	op->deadline = mono_ms() + impl(p)->wait_ms;
	op->next = impl(p)->ops;
	impl(p)->ops = op;
	return op;
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* The model's words for a described task. */
static void
status_from_task(struct provider *p, const struct dms_task *t)
{
	struct repl_status *s = &p->status;

	set_str(&s->provider, "dms");
	set_str(&s->status, t->status);
	set_str(&s->stop_reason, t->stop_reason != NULL &&
	    *t->stop_reason != '\0' ? t->stop_reason : NULL);
	set_str(&s->last_failure, t->last_failure != NULL &&
	    *t->last_failure != '\0' ? t->last_failure : NULL);
	s->full_load_percent = t->stats.full_load_percent >= 0 ?
	    (double)t->stats.full_load_percent : NAN;
	s->tables_loaded = t->stats.tables_loaded;
	s->tables_loading = t->stats.tables_loading;
	s->tables_queued = t->stats.tables_queued;
	s->tables_errored = t->stats.tables_errored;
}

static void
remember_task(struct provider *p, const struct dms_task *t)
{
	struct dms_impl *d = impl(p);

	if (d->have_task)
		dms_task_free(&d->task);
	dms_task_copy(&d->task, t);
	d->have_task = true;
	if (t->instance_arn != NULL && (d->instance_arn == NULL ||
	    strcmp(d->instance_arn, t->instance_arn) != 0)) {
		set_str(&d->instance_arn, t->instance_arn);
		set_str(&d->instance_id, NULL);
	}
}

/* ---- refresh ------------------------------------------------------- */

static void refresh_metrics(struct pop *op);

static void
refresh_fail(struct pop *op, const struct err *e)
{
	struct err all = *e;

	if (op->partial) {
		all = op->first_err;
		size_t n = strlen(all.msg);

		if (n + 3 < sizeof all.msg)
			snprintf(all.msg + n, sizeof all.msg - n, "; %.*s",
			    (int)(sizeof all.msg - n - 3), e->msg);
	}
	set_str(&op->p->status.error, all.msg);
	pop_finish(op, &all);
}

/* A failed part of a refresh does not stop the others: the operator
 * sees what could be read, and the error names what could not. */
static void
refresh_partial(struct pop *op, const struct err *e)
{
	if (!op->partial)
		op->first_err = *e;
	op->partial = true;
}

static void
refresh_ok(struct pop *op)
{
	if (op->partial) {
		struct err e = op->first_err;

		op->partial = false;
		refresh_fail(op, &e);
		return;
	}
	set_str(&op->p->status.error, NULL);
	op->p->status.updated_at = now_ms();
	pop_finish(op, NULL);
}

/* Tables are rebuilt from DMS's answer; what other sources put in the
 * entries (row counts, our checks) is carried over. */
static void
on_tables(const struct dms_table *v, size_t n, const struct err *e,
    void *arg)
{
	struct pop *op = arg;
	struct provider *p = op->p;
	struct table_list fresh;
	struct table_stat *t, *old;
	size_t i;

	memset(&fresh, 0, sizeof fresh);
	op->dop = NULL;
	if (e != NULL) {
		/* The last good table list stays; the error says it is old. */
		refresh_partial(op, e);
		goto next;
	}
	for (i = 0; i < n; i++) {
		t = table_list_get(&fresh, v[i].schema, v[i].name);
		if ((old = table_list_find(&p->tables, v[i].schema,
		    v[i].name)) != NULL) {
			t->source_rows = old->source_rows;
			t->target_rows = old->target_rows;
			t->rows_exact = old->rows_exact;
			t->check = old->check;
		}
		set_str(&t->state, v[i].state);
		t->inserts = v[i].inserts;
		t->updates = v[i].updates;
		t->deletes = v[i].deletes;
		t->ddls = v[i].ddls;
		t->full_load_rows = v[i].full_load_rows;
		set_str(&t->validation_state, v[i].validation_state);
		t->validation_failed_records = v[i].validation_failed;
	}
	table_list_clear(&p->tables);
	p->tables = fresh;
next:
	if (impl(p)->cloudwatch)
		refresh_metrics(op);
	else
		refresh_ok(op);
}

static void
on_refresh_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	struct err e2;

	op->dop = NULL;
	if (t == NULL) {
		refresh_fail(op, e);
		return;
	}
	status_from_task(op->p, t);
	remember_task(op->p, t);
	if (!op->p->want_tables) {
		/* The task's own statistics count the tables; the list of
		 * thousands waits for a refresh that wants it. */
		if (impl(op->p)->cloudwatch)
			refresh_metrics(op);
		else
			refresh_ok(op);
		return;
	}
	op->dop = dms_describe_tables(impl(op->p)->client, op->arn, on_tables,
	    op, &e2);
	if (op->dop == NULL)
		refresh_fail(op, &e2);
}

/* The newest point, if it is recent: a task that stopped publishing has
 * no latency now, not the one it had an hour ago. CloudWatch lags by a
 * few minutes, so recent is within 5 periods or 10 minutes. */
static double
fresh_last(const struct dms_impl *d, const struct series *s)
{
	int64_t t, window = (int64_t)d->period * 5 * 1000;

	if (s->n == 0)
		return NAN;
	if (window < 10 * 60 * 1000)
		window = 10 * 60 * 1000;
	(void)series_at(s, s->n - 1, &t);
	return t >= now_ms() - window ? series_last(s) : NAN;
}

static void
on_metrics(const struct cw_result *v, size_t n, const struct err *e,
    void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);
	struct series *s;
	char id[64];
	size_t i, j, k;

	op->cop = NULL;
	if (e != NULL) {
		/* Lag from CloudWatch is unknown now, not what it was. */
		op->p->status.lag_source = op->p->status.lag_target = NAN;
		refresh_fail(op, e);
		return;
	}
	for (i = 0; i < NMETRICS; i++) {
		s = &d->series[i];
		snprintf(id, sizeof id, "m%zu", i);
		for (j = 0; j < n; j++)
			if (strcmp(v[j].id, id) == 0)
				break;
		/* CloudWatch's latest window replaces ours. */
		s->start = s->n = 0;
		if (j < n)
			for (k = 0; k < v[j].n; k++)
				series_push(s, v[j].t[k], v[j].v[k]);
		s->updated_at = now_ms();
	}
	op->p->status.lag_source = fresh_last(d, &d->series[0]);
	op->p->status.lag_target = fresh_last(d, &d->series[1]);
	refresh_ok(op);
}

static void
metrics_query(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct cw_query q[NMETRICS];
	size_t i, nq = 0;
	int64_t end, start;
	struct err e;

	memset(q, 0, sizeof q);
	for (i = 0; i < NMETRICS; i++) {
		const struct metric_def *m = &metric_defs[i];
		struct cw_query *x = &q[nq];

		if (m->dims == D_CLUSTER && d->cluster_id == NULL)
			continue;
		snprintf(x->id, sizeof x->id, "m%zu", i);
		x->ns = m->ns;
		x->metric = m->metric;
		x->stat = m->stat;
		if (m->dims == D_CLUSTER) {
			x->dims[0].name = "DBClusterIdentifier";
			x->dims[0].value = d->cluster_id;
			x->ndims = 1;
		} else {
			x->dims[0].name = "ReplicationInstanceIdentifier";
			x->dims[0].value = d->instance_id;
			x->ndims = 1;
			if (m->dims == D_TASK) {
				x->dims[1].name = "ReplicationTaskIdentifier";
				x->dims[1].value = d->task_id;
				x->ndims = 2;
			}
		}
		nq++;
	}
	end = now_ms();
	start = end - (int64_t)METRIC_POINTS * d->period * 1000;
	op->cop = cw_get_metric_data(d->client, q, nq, start, end, d->period,
	    on_metrics, op, &e);
	if (op->cop == NULL)
		refresh_fail(op, &e);
}

static void
on_instance(const struct dms_instance *inst, const struct err *e, void *arg)
{
	struct pop *op = arg;

	op->dop = NULL;
	if (inst == NULL) {
		refresh_fail(op, e);
		return;
	}
	set_str(&impl(op->p)->instance_id, inst->identifier);
	metrics_query(op);
}

static void
refresh_metrics(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct err e;

	if (d->instance_id != NULL) {
		metrics_query(op);
		return;
	}
	if (d->instance_arn == NULL) {
		err_set(&e, EXIT_RUNTIME, "DescribeReplicationTasks: the task "
		    "names no ReplicationInstanceArn, so its CloudWatch metrics "
		    "cannot be found");
		refresh_fail(op, &e);
		return;
	}
	op->dop = dms_describe_instance(d->client, d->instance_arn,
	    on_instance, op, &e);
	if (op->dop == NULL)
		refresh_fail(op, &e);
}

static void
dms_refresh(struct provider *p, provider_done_fn done, void *arg)
{
	struct pop *op = pop_new(p, POP_REFRESH, impl(p)->task_arn,
	    "the forward task", done, arg);
	struct err e;

	op->dop = dms_describe_task(impl(p)->client, op->arn, on_refresh_task,
	    op, &e);
	if (op->dop == NULL)
		refresh_fail(op, &e);
}

/* ---- stop and start ------------------------------------------------ */

static void step_describe(struct pop *op);

static void
on_poll_timer(struct loop_timer *t, void *arg)
{
	struct pop *op = arg;

	(void)t;
	op->timer = NULL;
	step_describe(op);
}

static void
poll_again(struct pop *op, const struct dms_task *t)
{
	struct err e;

	if (mono_ms() >= op->deadline) {
		err_set(&e, EXIT_RUNTIME, "%s %s is still \"%s\" after %lld s: "
		    "gave up waiting", op->what, op->arn,
		    t->status ? t->status : "?",
		    (long long)(impl(op->p)->wait_ms / 1000));
		pop_finish(op, &e);
		return;
	}
	op->timer = loop_timer_add(op->p->loop, impl(op->p)->poll_ms,
	    on_poll_timer, op);
}

static void
task_words(const struct dms_task *t, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s", t->stop_reason ? "; StopReason: " : "",
	    t->stop_reason ? t->stop_reason : "",
	    t->last_failure ? "; LastFailureMessage: " : "",
	    t->last_failure ? t->last_failure : "");
}

static void on_action(const struct dms_task *t, const struct err *e,
    void *arg);

static bool
is_stop(const struct pop *op)
{
	return op->kind == POP_STOP || op->kind == POP_REVERSE_STOP;
}

static void
send_action(struct pop *op, const struct dms_task *t)
{
	struct dms_impl *d = impl(op->p);
	const char *type;
	struct err e;

	op->sent = true;
	if (is_stop(op)) {
		op->dop = dms_stop_task(d->client, op->arn, on_action, op, &e);
	} else {
		type = t->started_ms == 0 && (t->status == NULL ||
		    strcmp(t->status, "ready") == 0 ||
		    strcmp(t->status, "creating") == 0) ?
		    "start-replication" : "resume-processing";
		op->dop = dms_start_task(d->client, op->arn, type, op->lsn,
		    op->lsn == NULL ? op->time_ms : 0, op->stop_position,
		    on_action, op, &e);
	}
	if (op->dop == NULL)
		pop_finish(op, &e);
}

/* One look at the task decides the next step. */
static void
on_step_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	struct err e2;
	char words[900];
	const char *st;

	op->dop = NULL;
	if (t == NULL) {
		pop_finish(op, e);
		return;
	}
	if (op->arn == impl(op->p)->task_arn) {
		status_from_task(op->p, t);
		remember_task(op->p, t);
	}
	st = t->status != NULL ? t->status : "";
	task_words(t, words, sizeof words);
	if (is_stop(op) || (op->kind == POP_STOP_AT && op->sent)) {
		if (strcmp(st, "stopped") == 0 || (!op->sent &&
		    (strcmp(st, "ready") == 0 || strcmp(st, "failed") == 0))) {
			pop_finish(op, NULL);        /* not running: done */
			return;
		}
		if (op->sent && strcmp(st, "failed") == 0) {
			err_set(&e2, EXIT_RUNTIME, "%s %s failed while stopping%s",
			    op->what, op->arn, words);
			pop_finish(op, &e2);
			return;
		}
		if (op->send_failed && !dms_status_transitional(st)) {
			/* Stop was refused or lost and the task runs on. */
			pop_finish(op, &op->send_err);
			return;
		}
		if (!op->sent && !dms_status_transitional(st) &&
		    op->kind != POP_STOP_AT) {
			send_action(op, t);
			return;
		}
		poll_again(op, t);
		return;
	}
	/* Starting (also POP_STOP_AT before its start). */
	if (strcmp(st, "running") == 0) {
		if (op->kind == POP_STOP_AT && !op->sent) {
			err_set(&e2, EXIT_RUNTIME, "%s %s is running: DMS takes a "
			    "CdcStopPosition only when it starts a task; stop it "
			    "first", op->what, op->arn);
			pop_finish(op, &e2);
			return;
		}
		if (op->kind != POP_STOP_AT) {
			pop_finish(op, NULL);
			return;
		}
	}
	if (dms_status_transitional(st)) {
		poll_again(op, t);
		return;
	}
	if (op->send_failed) {
		pop_finish(op, &op->send_err);
		return;
	}
	if (op->sent) {
		if (strcmp(st, "failed") == 0 || strcmp(st, "stopped") == 0) {
			err_set(&e2, EXIT_RUNTIME, "%s %s is \"%s\" after "
			    "StartReplicationTask%s", op->what, op->arn, st,
			    words);
			pop_finish(op, &e2);
			return;
		}
		poll_again(op, t);      /* "ready" a moment after the call */
		return;
	}
	send_action(op, t);
}

static void
step_describe(struct pop *op)
{
	struct err e;

	op->dop = dms_describe_task(impl(op->p)->client, op->arn, on_step_task,
	    op, &e);
	if (op->dop == NULL)
		pop_finish(op, &e);
}

/* The answer to Start/Stop. An error answer is not the end: the task's
 * status shows whether the call took effect after all (a lost answer, an
 * "invalid state" because it is already stopping). */
static void
on_action(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;

	op->dop = NULL;
	if (t == NULL) {
		op->send_failed = true;
		op->send_err = *e;
	}
	step_describe(op);
}

static struct pop *
task_op(struct provider *p, enum pop_kind kind, provider_done_fn done,
    void *arg)
{
	struct dms_impl *d = impl(p);
	bool reverse = kind == POP_REVERSE_START || kind == POP_REVERSE_STOP;
	struct err e;

	if (reverse && d->reverse_arn == NULL) {
		err_set(&e, EXIT_USAGE, "[replication] reverse_task_arn is not "
		    "set: there is no reverse DMS task");
		done(p, -1, &e, arg);
		return NULL;
	}
	return pop_new(p, kind, reverse ? d->reverse_arn : d->task_arn,
	    reverse ? "the reverse task" : "the forward task", done, arg);
}

static void
dms_stop(struct provider *p, provider_done_fn done, void *arg)
{
	struct pop *op = task_op(p, POP_STOP, done, arg);

	if (op != NULL)
		step_describe(op);
}

static void
dms_start(struct provider *p, provider_done_fn done, void *arg)
{
	struct pop *op = task_op(p, POP_START, done, arg);

	if (op != NULL)
		step_describe(op);
}

static void
dms_reverse_start(struct provider *p, const struct provider_position *pos,
    provider_done_fn done, void *arg)
{
	struct pop *op = task_op(p, POP_REVERSE_START, done, arg);

	if (op == NULL)
		return;
	if (pos != NULL) {
		op->lsn = pos->lsn != NULL && *pos->lsn != '\0' ?
		    xstrdup(pos->lsn) : NULL;
		op->time_ms = pos->time_ms;
	}
	step_describe(op);
}

static void
dms_reverse_stop(struct provider *p, provider_done_fn done, void *arg)
{
	struct pop *op = task_op(p, POP_REVERSE_STOP, done, arg);

	if (op != NULL)
		step_describe(op);
}

void
provider_dms_stop_at(struct provider *p, const char *position,
    provider_done_fn done, void *arg)
{
	struct pop *op = task_op(p, POP_STOP_AT, done, arg);

	if (op == NULL)
		return;
	op->stop_position = xstrdup(position);
	step_describe(op);
}

/* ---- describe, accessors, construction ----------------------------- */

static void
describe_task_call(struct strbuf *out, const char *arn)
{
	sb_printf(out, "  DescribeReplicationTasks {\"Filters\":[{\"Name\":"
	    "\"replication-task-arn\",\"Values\":[\"%s\"]}],"
	    "\"WithoutSettings\":true}\n", arn);
}

static void
dms_describe(struct provider *p, const char *op, struct strbuf *out)
{
	struct dms_impl *d = impl(p);
	const char *arn = d->task_arn;
	char *ep = aws_endpoint(&aws_service_dms, d->client->region);

	if (strcmp(op, "reverse_start") == 0 || strcmp(op, "reverse_stop") == 0)
		arn = d->reverse_arn;
	if (arn == NULL) {
		sb_printf(out, "No reverse DMS task is configured "
		    "([replication] reverse_task_arn): nothing to do.\n");
		free(ep);
		return;
	}
	if (strcmp(op, "stop") == 0 || strcmp(op, "reverse_stop") == 0) {
		sb_printf(out, "Stop the DMS task %s (region %s, %s) and wait "
		    "until it is stopped; a task that is not running is left "
		    "as it is.\n", arn, d->client->region, ep);
		describe_task_call(out, arn);
		sb_printf(out, "  StopReplicationTask {\"ReplicationTaskArn\":"
		    "\"%s\"}   (only when the task is running; sent once)\n",
		    arn);
		sb_printf(out, "  DescribeReplicationTasks every %lld s until "
		    "Status is \"stopped\" (at most %lld s)\n",
		    (long long)(d->poll_ms / 1000), (long long)(d->wait_ms / 1000));
	} else if (strcmp(op, "start") == 0 || strcmp(op, "reverse_start") == 0) {
		bool rev = strcmp(op, "reverse_start") == 0;

		sb_printf(out, "Start the %s DMS task %s (region %s, %s) and "
		    "wait until it is running; a running task is left as it "
		    "is.\n", rev ? "reverse" : "forward", arn, d->client->region,
		    ep);
		describe_task_call(out, arn);
		sb_printf(out, "  StartReplicationTask {\"ReplicationTaskArn\":"
		    "\"%s\",\"StartReplicationTaskType\":\"start-replication\" "
		    "the first time, else \"resume-processing\"%s}   (sent once)\n",
		    arn, rev ? ",\"CdcStartPosition\":\"<the LSN where the "
		    "forward task stopped>\" (or \"CdcStartTime\": <that "
		    "instant, epoch seconds>)" : "");
		sb_printf(out, "  DescribeReplicationTasks every %lld s until "
		    "Status is \"running\" (at most %lld s)\n",
		    (long long)(d->poll_ms / 1000), (long long)(d->wait_ms / 1000));
	} else if (strcmp(op, "refresh") == 0) {
		sb_printf(out, "Read the DMS task %s (changes nothing).\n", arn);
		describe_task_call(out, arn);
		sb_printf(out, "  DescribeTableStatistics {\"ReplicationTaskArn\":"
		    "\"%s\",\"MaxRecords\":%d} and every further Marker page\n",
		    arn, DMS_TABLE_PAGE);
		if (d->cloudwatch)
			sb_printf(out, "  GetMetricData (CloudWatch, one request: "
			    "%zu metrics)\n", NMETRICS);
	} else
		sb_printf(out, "The DMS provider has no operation \"%s\".\n", op);
	free(ep);
}

static void
dms_destroy(struct provider *p)
{
	struct dms_impl *d = impl(p);
	size_t i;

	if (d == NULL)
		return;
	while (d->ops != NULL)
		pop_free(d->ops);
	aws_client_free(d->client);
	for (i = 0; i < NMETRICS; i++)
		series_clear(&d->series[i]);
	if (d->have_task)
		dms_task_free(&d->task);
	free(d->task_arn);
	free(d->reverse_arn);
	free(d->instance_arn);
	free(d->instance_id);
	free(d->cluster_id);
	free(d->task_id);
	free(d);
	p->impl = NULL;
}

static const struct provider_ops dms_ops = {
	"dms",
	dms_refresh,
	dms_stop,
	dms_start,
	dms_reverse_start,
	dms_reverse_stop,
	dms_describe,
	dms_destroy,
};

const struct series *
provider_dms_series(const struct provider *p, size_t *n)
{
	*n = NMETRICS;
	return impl(p)->series;
}

struct aws_client *
provider_dms_client(struct provider *p)
{
	return impl(p)->client;
}

void
provider_dms_set_waits(struct provider *p, int64_t poll_ms,
    int64_t timeout_ms)
{
	impl(p)->poll_ms = poll_ms;
	impl(p)->wait_ms = timeout_ms;
}

char *
provider_dms_task_json(const struct provider *p)
{
	const struct dms_impl *d = impl(p);
	cJSON *o;
	char *out;

	if (!d->have_task)
		return NULL;
	o = dms_task_to_json(&d->task);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* The DBClusterIdentifier: [metrics] aurora_cluster, else the first label
 * of the target's host name (an Aurora endpoint starts with it). */
static char *
cluster_id(const struct config *cfg)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *id = NULL;
	const char *h;
	size_t n;

	if (cfg->aurora_cluster != NULL && *cfg->aurora_cluster != '\0')
		return xstrdup(cfg->aurora_cluster);
	if (cfg->target_conninfo == NULL)
		return NULL;
	opts = PQconninfoParse(cfg->target_conninfo, &err);
	if (opts == NULL) {
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") != 0 || o->val == NULL)
			continue;
		h = o->val;
		n = strcspn(h, ".,");
		/* Not a name: a path (socket), an address. */
		if (n > 0 && h[0] != '/' && strchr("0123456789[", h[0]) == NULL &&
		    h[n] == '.')
			id = xstrndup(h, n);
	}
	PQconninfoFree(opts);
	return id;
}

struct provider *
provider_dms_new(struct loop *loop, const struct config *cfg, struct err *e)
{
	struct provider *p;
	struct dms_impl *d;
	struct aws_client *client;
	size_t i;

	if (cfg->task_arn == NULL || *cfg->task_arn == '\0') {
		err_set(e, EXIT_USAGE, "[replication] task_arn is required with "
		    "provider = dms");
		return NULL;
	}
	if ((client = aws_client_new(loop, cfg->region, e)) == NULL)
		return NULL;
	p = xcalloc(1, sizeof *p);
	d = xcalloc(1, sizeof *d);
	p->ops = &dms_ops;
	p->loop = loop;
	p->cfg = cfg;
	p->impl = d;
	p->want_tables = true;
	/* The console's metrics pane reads them through struct provider. */
	p->metrics = d->series;
	p->nmetrics = NMETRICS;
	repl_status_init(&p->status);
	p->status.provider = xstrdup("dms");
	d->client = client;
	d->task_arn = xstrdup(cfg->task_arn);
	d->reverse_arn = cfg->reverse_task_arn != NULL &&
	    *cfg->reverse_task_arn != '\0' ? xstrdup(cfg->reverse_task_arn) :
	    NULL;
	d->task_id = xstrdup(dms_arn_resource_id(cfg->task_arn));
	d->cluster_id = cluster_id(cfg);
	d->cloudwatch = cfg->cloudwatch;
	d->period = cfg->period_seconds > 0 ? cfg->period_seconds : 60;
	d->poll_ms = POLL_MS;
	d->wait_ms = WAIT_TIMEOUT_MS;
	for (i = 0; i < NMETRICS; i++)
		series_init(&d->series[i], metric_defs[i].metric,
		    metric_defs[i].unit);
	return p;
}
