/* provider-dms.c - AWS DMS behind struct provider_ops.
 *
 * Watching (refresh) costs cents: every API has its own cadence, and the
 * calls run in the background on it, whatever the console's refresh.
 *   DescribeReplicationTasks  at most every [metrics] task_poll_seconds (6)
 *   DescribeTableStatistics   every [metrics] table_poll_seconds (30)
 *   GetMetricData             once a [metrics] period_seconds (60), when a
 *                             new period has begun, aligned to it
 *   DescribeReplicationInstances  once, for the metrics' dimension
 * A refresh answers from what the last calls brought. A throttled API
 * backs off (doubling, with jitter, up to a minute); what could not be
 * read keeps its last values, which age (the console marks them STALE).
 * Only a task that cannot be described fails a refresh.
 *
 * Acting (start, stop) waits out transitional statuses (creating,
 * testing, starting, stopping, modifying, moving) and sends each call once:
 *   stop     running -> StopReplicationTask; then poll until "stopped"
 *   start    resume-processing to continue where the task stopped;
 *            from a position (resume_from, after a rollback): the task is
 *            made CDC-only (ModifyReplicationTask MigrationType "cdc": a
 *            full-load-and-cdc task started with start-replication reloads
 *            every table) and started with start-replication and
 *            CdcStartPosition; never reload-target
 *   reverse  start-replication with CdcStartPosition, the LSN of the slot
 *            cutover created on the target ([rollback] reverse_slot, the
 *            reverse source endpoint's slotName), even for a task that
 *            ran before; one running from another position is stopped and
 *            started again from it
 * When an answer to Start/Stop/Modify is lost, the task's status says what
 * happened. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "aws/client.h"
#include "aws/cloudwatch.h"
#include "aws/dms.h"
#include "aws/json.h"
#include "provider-dms.h"
#include "provider-dms-settings.h"
#include "provider.h"
#include "util.h"

#define ACTION_POLL_MS 1000     /* inside the write pause: look often */
#define WAIT_TIMEOUT_MS (15 * 60 * 1000)
#define METRIC_POINTS 60         /* the window: this many periods */
#define BACKOFF_CAP_MS 60000     /* throttled: at most a minute apart */
#define TIME_FACTOR_MAX 1000

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

/* API_REVERSE: the reverse task's status, only while p->want_reverse. */
enum api { API_TASK, API_TABLES, API_METRICS, API_REVERSE, API_COUNT };

static const char *const api_what[API_COUNT] = {
	"the task's status", "the table statistics", "the CloudWatch metrics",
	"the reverse task's status"
};

/* When an API is called next, and how its last call went. Times in
 * "virtual" ms (see vnow) except ok_at. */
struct cadence {
	int64_t interval;          /* between calls */
	int64_t next;              /* due from; 0: now */
	int64_t period_done;       /* metrics: the last period read, -1 none */
	int64_t ok_at;             /* wall ms of the last answer, 0 none */
	int throttled;             /* throttled answers in a row */
	char *error;               /* the last call's failure, NULL if fine */
};

enum pop_kind {
	POP_POLL,                  /* the due calls of the cadence */
	POP_CACHED,                /* a refresh answered from the cache */
	POP_STOP,
	POP_START,
	POP_REVERSE_START,
	POP_REVERSE_STOP,
	POP_STOP_AT,
	POP_CHECK,
	POP_MAPPINGS,
};

struct waiter {
	provider_done_fn fn;
	void *arg;
};

/* One provider operation in flight. */
struct pop {
	struct provider *p;
	enum pop_kind kind;
	provider_done_fn done;
	void *arg;
	const char *arn;
	const char *what;          /* "the forward task" */
	struct dms_op *dop;
	struct cw_op *cop;
	struct loop_timer *timer;
	int64_t deadline;
	/* acting */
	bool sent;                 /* Start (or Stop) was sent */
	bool stop_first;           /* reverse: Stop sent to start elsewhere */
	bool modify_sent;          /* MigrationType "cdc" was asked */
	bool send_failed;          /* ...and the answer was an error */
	struct err send_err;
	char *lsn;                 /* CdcStartPosition */
	char *stop_position;
	/* polling: which APIs this poll calls */
	bool due[API_COUNT];
	int64_t v0;                /* virtual time the poll began */
	/* checking */
	struct provider_check *check;
	int stage;
	char *endpoint_arn;
	/* table mappings */
	char **mappings;
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
	struct dms_task rtask;     /* the reverse task, when described */
	bool have_rtask;
	struct dms_table *tables;  /* the last DescribeTableStatistics */
	size_t ntables;
	struct cadence cad[API_COUNT];
	bool primed;               /* the first poll has ended */
	struct pop *poller;        /* the poll in flight */
	struct loop_timer *poll_timer;
	struct waiter *waiters;    /* refreshes waiting for the first poll */
	size_t nwaiters;
	struct pop *ops;
	int64_t poll_ms;           /* while acting */
	int64_t wait_ms;
	int period;
	bool cloudwatch;
	/* Test-only time scale (CUTOVER_TEST_TIME_FACTOR): the cadence runs
	 * that many times faster, so a test can count the calls of ten
	 * minutes in thirty seconds. */
	double factor;
	int64_t t0;
	bool want_reverse;         /* p->want_reverse, as the cadence sees it */
};

static struct dms_impl *
impl(const struct provider *p)
{
	return p->impl;
}

/* The cadence's clock: monotonic ms, scaled by the test factor. */
static int64_t
vnow(const struct dms_impl *d)
{
	return d->t0 + (int64_t)((double)(mono_ms() - d->t0) * d->factor);
}

static int64_t
real_ms(const struct dms_impl *d, int64_t virtual_ms)
{
	return virtual_ms <= 0 ? 0 : (int64_t)((double)virtual_ms / d->factor);
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

static void
pop_free(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct pop **pp;

	for (pp = &d->ops; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	if (d->poller == op)
		d->poller = NULL;
	if (op->dop != NULL)
		dms_op_cancel(op->dop);
	if (op->cop != NULL)
		cw_op_cancel(op->cop);
	if (op->timer != NULL)
		loop_timer_cancel(op->timer);
	free(op->lsn);
	free(op->stop_position);
	free(op->endpoint_arn);
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
	if (done != NULL)
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

/* ---- cadence ------------------------------------------------------- */

/* "Op: Code: message (HTTP n)": is Code a throttling one? */
static bool
err_throttled(const struct err *e)
{
	const char *a = strstr(e->msg, ": "), *b;
	char code[128];
	size_t n;

	if (a == NULL)
		return false;
	a += 2;
	if ((b = strchr(a, ':')) == NULL || (n = (size_t)(b - a)) >= sizeof code)
		return false;
	memcpy(code, a, n);
	code[n] = '\0';
	return aws_error_is_throttling(code);
}

static uint32_t
jitter_u32(void)
{
	char hex[9];

	if (random_hex(hex, 4) != 0)
		return (uint32_t)mono_ms();
	return (uint32_t)strtoul(hex, NULL, 16);
}

static void
cadence_ok(struct dms_impl *d, enum api a, int64_t v)
{
	struct cadence *c = &d->cad[a];

	c->ok_at = now_ms();
	c->throttled = 0;
	set_str(&c->error, NULL);
	if (a == API_METRICS) {
		c->period_done = v / ((int64_t)d->period * 1000);
		c->next = 0;
	} else {
		c->next = v + c->interval;
	}
}

/* Throttled: the next call waits a doubling interval, with jitter,
 * capped at a minute; any other failure waits the normal interval. */
static void
cadence_fail(struct dms_impl *d, enum api a, int64_t v, const struct err *e)
{
	struct cadence *c = &d->cad[a];
	int64_t base = a == API_METRICS ? 60000 : c->interval, b;
	int i;

	set_str(&c->error, e->msg);
	if (!err_throttled(e)) {
		c->throttled = 0;
		c->next = v + base;
		return;
	}
	c->throttled++;
	b = base;
	for (i = 1; i < c->throttled && b < BACKOFF_CAP_MS; i++)
		b *= 2;
	if (b > BACKOFF_CAP_MS)
		b = BACKOFF_CAP_MS;
	c->next = v + b / 2 + (int64_t)(jitter_u32() % (uint32_t)(b / 2 + 1));
}

static bool
api_due(const struct dms_impl *d, enum api a, int64_t v)
{
	const struct cadence *c = &d->cad[a];

	if (a == API_METRICS)
		return d->cloudwatch && v >= c->next &&
		    v / ((int64_t)d->period * 1000) > c->period_done;
	if (a == API_REVERSE)
		return d->want_reverse && d->reverse_arn != NULL && v >= c->next;
	return v >= c->next;
}

static int64_t
api_next(const struct dms_impl *d, enum api a)
{
	const struct cadence *c = &d->cad[a];
	int64_t p;

	if (a != API_METRICS)
		return c->next;
	/* The next period's start, aligned: one request a period. */
	p = (c->period_done + 1) * (int64_t)d->period * 1000;
	return c->next > p ? c->next : p;
}

/* Whether the last answer is as fresh as the cadence allows: it worked,
 * and the next call is not overdue. */
static bool
api_fresh(const struct dms_impl *d, enum api a)
{
	const struct cadence *c = &d->cad[a];
	int64_t allowed = real_ms(d, a == API_METRICS ?
	    (int64_t)d->period * 1000 : c->interval) * 2 + 10000;

	return c->error == NULL && c->ok_at > 0 &&
	    now_ms() - c->ok_at <= allowed;
}

/* ---- refresh ------------------------------------------------------- */

static void poll_step(struct pop *op);
static void schedule(struct provider *p);

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* DescribeTableStatistics' answer is the callback's only during the call:
 * the cache keeps its own copy. */
static void
tables_keep(struct dms_impl *d, const struct dms_table *v, size_t n)
{
	size_t i;

	dms_tables_free(d->tables, d->ntables);
	d->tables = xcalloc(n + 1, sizeof *d->tables);
	d->ntables = n;
	for (i = 0; i < n; i++) {
		d->tables[i] = v[i];
		d->tables[i].schema = dup_or_null(v[i].schema);
		d->tables[i].name = dup_or_null(v[i].name);
		d->tables[i].state = dup_or_null(v[i].state);
		d->tables[i].validation_state = dup_or_null(v[i].validation_state);
		d->tables[i].validation_state_details =
		    dup_or_null(v[i].validation_state_details);
	}
}

/* The model's tables from the cached answer; what other sources put in
 * the entries (row counts, our checks) is carried over. */
static void
tables_from_cache(struct provider *p)
{
	struct dms_impl *d = impl(p);
	const struct dms_table *v = d->tables;
	struct table_list fresh;
	struct table_stat *t, *old;
	size_t i;

	memset(&fresh, 0, sizeof fresh);
	for (i = 0; i < d->ntables; i++) {
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

/* The reverse task's status into p->reverse while it is wanted (the
 * reverse task names no CloudWatch series here: its lag is the
 * heartbeat's). */
static void
reverse_from_cache(struct provider *p)
{
	struct dms_impl *d = impl(p);
	struct repl_status *s = &p->reverse;
	const struct cadence *c = &d->cad[API_REVERSE];

	repl_status_clear(s);
	if (!p->want_reverse)
		return;
	s->provider = xstrdup("dms");
	if (d->reverse_arn == NULL) {
		s->status = xstrdup("missing");
		s->stop_reason = xstrdup("no reverse task is configured "
		    "([replication] reverse_task_arn)");
		return;
	}
	if (!d->have_rtask) {
		s->status = xstrdup("unknown");
		set_str(&s->error, c->error);
		return;
	}
	s->status = xstrdup(d->rtask.status != NULL ? d->rtask.status :
	    "unknown");
	set_str(&s->stop_reason, d->rtask.stop_reason != NULL &&
	    *d->rtask.stop_reason != '\0' ? d->rtask.stop_reason : NULL);
	set_str(&s->last_failure, d->rtask.last_failure != NULL &&
	    *d->rtask.last_failure != '\0' ? d->rtask.last_failure : NULL);
	s->updated_at = api_fresh(d, API_REVERSE) ? now_ms() : c->ok_at;
	set_str(&s->error, c->error);
}

/* The model from what the last calls brought. Fresh parts are stamped
 * now; what could not be refreshed keeps the time of its last answer and
 * ages. Only a task that could not be described fails the refresh; the
 * other parts' failures are named in status.error. */
static int
model_from_cache(struct provider *p, struct err *e)
{
	struct dms_impl *d = impl(p);
	struct strbuf sb;
	int64_t now = now_ms(), stamp;
	size_t i;
	int a;

	if (d->have_task)
		status_from_task(p, &d->task);
	reverse_from_cache(p);
	if (p->want_tables && d->cad[API_TABLES].ok_at > 0)
		tables_from_cache(p);
	p->status.lag_source = fresh_last(d, &d->series[0]);
	p->status.lag_target = fresh_last(d, &d->series[1]);
	p->status.updated_at = api_fresh(d, API_TASK) ? now :
	    d->cad[API_TASK].ok_at;
	stamp = api_fresh(d, API_METRICS) ? now : d->cad[API_METRICS].ok_at;
	for (i = 0; i < NMETRICS; i++)
		d->series[i].updated_at = stamp;
	if (d->cad[API_TASK].error != NULL) {
		set_str(&p->status.error, d->cad[API_TASK].error);
		return err_set(e, EXIT_RUNTIME, "%s", d->cad[API_TASK].error);
	}
	sb_init(&sb);
	for (a = API_TABLES; a < API_COUNT; a++) {
		const struct cadence *c = &d->cad[a];

		if (c->error == NULL || a == API_REVERSE)
			continue;
		if (c->ok_at > 0)
			sb_printf(&sb, "%s%s (%s from %lld s ago)", sb.len ? "; " :
			    "", c->error, api_what[a],
			    (long long)((now - c->ok_at) / 1000));
		else
			sb_printf(&sb, "%s%s (%s not read yet)", sb.len ? "; " : "",
			    c->error, api_what[a]);
	}
	set_str(&p->status.error, sb.len > 0 ? sb.buf : NULL);
	sb_free(&sb);
	return 0;
}

/* The first poll has ended: the refreshes that waited for it get its
 * answer, and the cadence takes over. */
static void
poll_finish(struct pop *op)
{
	struct provider *p = op->p;
	struct dms_impl *d = impl(p);
	struct waiter *w;
	struct err e = { 0, "" };
	size_t n, i;
	int rc;

	pop_free(op);
	d->primed = true;
	rc = model_from_cache(p, &e);
	w = d->waiters;
	n = d->nwaiters;
	d->waiters = NULL;
	d->nwaiters = 0;
	schedule(p);
	for (i = 0; i < n; i++)
		w[i].fn(p, rc, rc != 0 ? &e : NULL, w[i].arg);
	free(w);
}

static void
on_poll_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);

	op->dop = NULL;
	if (t != NULL) {
		remember_task(op->p, t);
		cadence_ok(d, API_TASK, vnow(d));
	} else {
		cadence_fail(d, API_TASK, vnow(d), e);
	}
	poll_step(op);
}

static void
on_poll_reverse(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);

	op->dop = NULL;
	if (t != NULL) {
		if (d->have_rtask)
			dms_task_free(&d->rtask);
		dms_task_copy(&d->rtask, t);
		d->have_rtask = true;
		cadence_ok(d, API_REVERSE, vnow(d));
	} else {
		cadence_fail(d, API_REVERSE, vnow(d), e);
	}
	poll_step(op);
}

static void
on_poll_tables(const struct dms_table *v, size_t n, const struct err *e,
    void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);

	op->dop = NULL;
	if (e == NULL) {
		tables_keep(d, v, n);
		cadence_ok(d, API_TABLES, vnow(d));
	} else {
		/* The last good table list stays; the error says how old. */
		cadence_fail(d, API_TABLES, vnow(d), e);
	}
	poll_step(op);
}

static void
on_poll_metrics(const struct cw_result *v, size_t n, const struct err *e,
    void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);
	struct series *s;
	char id[64];
	size_t i, j, k;

	op->cop = NULL;
	if (e != NULL) {
		cadence_fail(d, API_METRICS, op->v0, e);
		poll_step(op);
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
	}
	cadence_ok(d, API_METRICS, op->v0);
	poll_step(op);
}

static void
metrics_query(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct cw_query q[NMETRICS];
	size_t i, nq = 0;
	int64_t end, start, period_ms = (int64_t)d->period * 1000;
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
	/* Whole periods, aligned: the one just ended is the newest. */
	end = now_ms() / period_ms * period_ms;
	start = end - (int64_t)METRIC_POINTS * period_ms;
	op->cop = cw_get_metric_data(d->client, q, nq, start, end, d->period,
	    on_poll_metrics, op, &e);
	if (op->cop == NULL) {
		cadence_fail(d, API_METRICS, op->v0, &e);
		poll_step(op);
	}
}

static void
on_poll_instance(const struct dms_instance *inst, const struct err *e,
    void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);

	op->dop = NULL;
	if (inst == NULL) {
		cadence_fail(d, API_METRICS, op->v0, e);
		poll_step(op);
		return;
	}
	set_str(&d->instance_id, inst->identifier);
	metrics_query(op);
}

/* The due calls, one after the other. */
static void
poll_step(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct err e;

	if (op->due[API_TASK]) {
		op->due[API_TASK] = false;
		op->dop = dms_describe_task(d->client, d->task_arn, on_poll_task,
		    op, &e);
		if (op->dop == NULL) {
			cadence_fail(d, API_TASK, vnow(d), &e);
			poll_step(op);
		}
		return;
	}
	if (op->due[API_REVERSE]) {
		op->due[API_REVERSE] = false;
		op->dop = dms_describe_task(d->client, d->reverse_arn,
		    on_poll_reverse, op, &e);
		if (op->dop == NULL) {
			cadence_fail(d, API_REVERSE, vnow(d), &e);
			poll_step(op);
		}
		return;
	}
	if (op->due[API_TABLES]) {
		op->due[API_TABLES] = false;
		op->dop = dms_describe_tables(d->client, d->task_arn,
		    on_poll_tables, op, &e);
		if (op->dop == NULL) {
			cadence_fail(d, API_TABLES, vnow(d), &e);
			poll_step(op);
		}
		return;
	}
	if (op->due[API_METRICS]) {
		op->due[API_METRICS] = false;
		if (d->instance_id != NULL) {
			metrics_query(op);
			return;
		}
		if (d->instance_arn == NULL) {
			err_set(&e, EXIT_RUNTIME, "GetMetricData: the task names no "
			    "ReplicationInstanceArn (or could not be described), so "
			    "its CloudWatch metrics cannot be found");
			cadence_fail(d, API_METRICS, op->v0, &e);
			poll_step(op);
			return;
		}
		op->dop = dms_describe_instance(d->client, d->instance_arn,
		    on_poll_instance, op, &e);
		if (op->dop == NULL) {
			cadence_fail(d, API_METRICS, op->v0, &e);
			poll_step(op);
		}
		return;
	}
	poll_finish(op);
}

static void
start_poll(struct provider *p)
{
	struct dms_impl *d = impl(p);
	struct pop *op;
	bool any = false;
	int a;

	if (d->poller != NULL)
		return;
	op = pop_new(p, POP_POLL, d->task_arn, "the forward task", NULL, NULL);
	op->v0 = vnow(d);
	for (a = 0; a < API_COUNT; a++)
		any |= op->due[a] = api_due(d, (enum api)a, op->v0);
	d->poller = op;
	if (!any && d->primed) {
		pop_free(op);
		schedule(p);
		return;
	}
	poll_step(op);
}

static void
on_poll_timer(struct loop_timer *t, void *arg)
{
	struct provider *p = arg;

	(void)t;
	impl(p)->poll_timer = NULL;
	start_poll(p);
}

/* The timer for the next due call. */
static void
schedule(struct provider *p)
{
	struct dms_impl *d = impl(p);
	int64_t next = INT64_MAX, t;
	int a;

	if (d->poll_timer != NULL) {
		loop_timer_cancel(d->poll_timer);
		d->poll_timer = NULL;
	}
	if (d->poller != NULL || !d->primed)
		return;
	for (a = 0; a < API_COUNT; a++) {
		if (a == API_METRICS && !d->cloudwatch)
			continue;
		if (a == API_REVERSE && (!d->want_reverse || d->reverse_arn == NULL))
			continue;
		if ((t = api_next(d, (enum api)a)) < next)
			next = t;
	}
	d->poll_timer = loop_timer_add(p->loop, real_ms(d, next - vnow(d)) + 1,
	    on_poll_timer, p);
}

static void
on_cached(struct loop_timer *t, void *arg)
{
	struct pop *op = arg;
	struct err e = { 0, "" };

	(void)t;
	op->timer = NULL;
	if (model_from_cache(op->p, &e) != 0)
		pop_finish(op, &e);
	else
		pop_finish(op, NULL);
}

/* Before the first poll has ended, a refresh waits for it; after, it is
 * answered from the cache at once (from the loop, not inside the call). */
static void
dms_refresh(struct provider *p, provider_done_fn done, void *arg)
{
	struct dms_impl *d = impl(p);
	struct pop *op;

	if (p->want_reverse && !d->want_reverse) {
		/* Now wanted: described at once, then on the task's cadence. */
		d->want_reverse = true;
		d->cad[API_REVERSE].next = 0;
		if (d->primed && d->poller == NULL) {
			schedule(p);
			start_poll(p);
		}
	}
	d->want_reverse = p->want_reverse;
	if (!d->primed) {
		d->waiters = xreallocarray(d->waiters, d->nwaiters + 1,
		    sizeof *d->waiters);
		d->waiters[d->nwaiters].fn = done;
		d->waiters[d->nwaiters].arg = arg;
		d->nwaiters++;
		start_poll(p);
		return;
	}
	op = pop_new(p, POP_CACHED, d->task_arn, "the forward task", done, arg);
	op->timer = loop_timer_add(p->loop, 0, on_cached, op);
}

/* ---- stop and start ------------------------------------------------ */

static void step_describe(struct pop *op);

static void
on_action_timer(struct loop_timer *t, void *arg)
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
	    on_action_timer, op);
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

static bool
never_ran(const struct dms_task *t)
{
	return t->started_ms == 0 && (t->status == NULL ||
	    strcmp(t->status, "ready") == 0 || strcmp(t->status, "creating") == 0);
}

/* The start type by what the task needs: a position needs
 * start-replication (DMS starts a CDC task there, even one that ran
 * before); continuing needs resume-processing; a task that never ran,
 * start-replication. Never reload-target. */
static const char *
start_type(const struct pop *op, const struct dms_task *t)
{
	if (op->kind == POP_STOP_AT)
		return never_ran(t) ? "start-replication" : "resume-processing";
	if (op->lsn != NULL || never_ran(t))
		return "start-replication";
	return "resume-processing";
}

static void
send_action(struct pop *op, const struct dms_task *t)
{
	struct dms_impl *d = impl(op->p);
	struct err e;

	op->sent = true;
	if (is_stop(op))
		op->dop = dms_stop_task(d->client, op->arn, on_action, op, &e);
	else
		op->dop = dms_start_task(d->client, op->arn, start_type(op, t),
		    op->lsn, 0, op->stop_position, on_action, op, &e);
	if (op->dop == NULL)
		pop_finish(op, &e);
}

static void
send_call(struct pop *op, struct dms_op *(*call)(struct pop *, struct err *))
{
	struct err e;

	if ((op->dop = call(op, &e)) == NULL)
		pop_finish(op, &e);
}

static struct dms_op *
call_stop(struct pop *op, struct err *e)
{
	return dms_stop_task(impl(op->p)->client, op->arn, on_action, op, e);
}

static struct dms_op *
call_make_cdc(struct pop *op, struct err *e)
{
	return dms_modify_migration_type(impl(op->p)->client, op->arn, "cdc",
	    on_action, op, e);
}

static bool
same_position(const struct dms_task *t, const char *lsn)
{
	return t->cdc_start_position != NULL && lsn != NULL &&
	    strcasecmp(t->cdc_start_position, lsn) == 0;
}

/* Stopping: done once stopped (or never running). */
static void
step_stopping(struct pop *op, const struct dms_task *t, const char *st,
    const char *words)
{
	struct err e2;

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
}

/* One look at the task decides the next step. */
static void
on_step_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	struct dms_impl *d = impl(op->p);
	struct err e2;
	char words[900];
	const char *st;

	op->dop = NULL;
	if (t == NULL) {
		pop_finish(op, e);
		return;
	}
	if (op->arn == d->task_arn) {
		/* Counts as the cadence's look at the task. */
		remember_task(op->p, t);
		status_from_task(op->p, t);
		cadence_ok(d, API_TASK, vnow(d));
	}
	st = t->status != NULL ? t->status : "";
	task_words(t, words, sizeof words);
	if (is_stop(op) || (op->kind == POP_STOP_AT && op->sent)) {
		step_stopping(op, t, st, words);
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
		if (op->kind == POP_REVERSE_START && !op->sent) {
			if (same_position(t, op->lsn)) {
				pop_finish(op, NULL);    /* ours, already running */
				return;
			}
			/* Running from another position (an earlier attempt's):
			 * stopped, then started from ours. */
			if (!op->stop_first) {
				op->stop_first = true;
				send_call(op, call_stop);
				return;
			}
			if (op->send_failed) {
				pop_finish(op, &op->send_err);
				return;
			}
			poll_again(op, t);
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
	if (strcmp(st, "deleting") == 0) {
		err_set(&e2, EXIT_RUNTIME, "%s %s is being deleted", op->what,
		    op->arn);
		pop_finish(op, &e2);
		return;
	}
	/* A position is a CDC task's start point: a full-load-and-cdc task
	 * started with start-replication would reload every table. */
	if (op->lsn != NULL && t->migration_type != NULL &&
	    strcmp(t->migration_type, "cdc") != 0) {
		if (!op->modify_sent) {
			op->modify_sent = true;
			send_call(op, call_make_cdc);
			return;
		}
		err_set(&e2, EXIT_RUNTIME, "%s %s is still \"%s\" after "
		    "ModifyReplicationTask MigrationType \"cdc\": DMS starts only "
		    "a CDC task at a CdcStartPosition", op->what, op->arn,
		    t->migration_type);
		pop_finish(op, &e2);
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

/* The answer to Start/Stop/Modify. An error answer is not the end: the
 * task's status shows whether the call took effect after all (a lost
 * answer, an "invalid state" because it is already stopping). */
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

	if (op == NULL)
		return;
	if (p->resume_from.lsn != NULL && *p->resume_from.lsn != '\0')
		op->lsn = xstrdup(p->resume_from.lsn);
	step_describe(op);
}

static void
dms_reverse_start(struct provider *p, const struct provider_position *pos,
    provider_done_fn done, void *arg)
{
	struct err e;
	struct pop *op;

	if ((op = task_op(p, POP_REVERSE_START, done, arg)) == NULL)
		return;
	if (pos == NULL || pos->lsn == NULL || *pos->lsn == '\0') {
		err_set(&e, EXIT_RUNTIME, "the reverse task needs a "
		    "CdcStartPosition, the LSN of the reverse slot on the target "
		    "([rollback] reverse_slot); a PostgreSQL source has no CDC "
		    "start time");
		pop_finish(op, &e);
		return;
	}
	op->lsn = xstrdup(pos->lsn);
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

/* ---- pre_validation: the settings (provider-dms-settings.c) ------- */

static void check_next(struct pop *op);

static void
on_check_endpoint(const struct dms_endpoint *ep, const struct err *e,
    void *arg)
{
	struct pop *op = arg;

	op->dop = NULL;
	if (ep == NULL) {
		pop_finish(op, e);
		return;
	}
	dms_judge_endpoint(op->check, op->p->cfg, ep, op->stage >= 3);
	check_next(op);
}

static void
on_check_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;
	bool reverse = op->stage >= 2;

	op->dop = NULL;
	if (t == NULL) {
		pop_finish(op, e);
		return;
	}
	dms_judge_task(op->check, reverse ? "reverse task" : "forward task", t,
	    reverse);
	set_str(&op->endpoint_arn, t->source_endpoint_arn);
	if (op->endpoint_arn == NULL)
		sb_printf(&op->check->fails, "%s task %s names no "
		    "SourceEndpointArn\n", reverse ? "reverse" : "forward", t->arn);
	check_next(op);
}

/* forward task, its source endpoint, then (with reverse replication)
 * the reverse task and its source endpoint. */
static void
check_next(struct pop *op)
{
	struct dms_impl *d = impl(op->p);
	struct err e;
	bool reverse = op->p->cfg->reverse_replication && d->reverse_arn != NULL;

	op->stage++;
	switch (op->stage) {
	case 1:
	case 3:
		if (op->endpoint_arn == NULL)
			break;
		op->dop = dms_describe_endpoint(d->client, op->endpoint_arn,
		    on_check_endpoint, op, &e);
		break;
	case 2:
		if (!reverse) {
			pop_finish(op, NULL);
			return;
		}
		op->dop = dms_describe_task_settings(d->client, d->reverse_arn,
		    on_check_task, op, &e);
		break;
	case 0:
		op->dop = dms_describe_task_settings(d->client, d->task_arn,
		    on_check_task, op, &e);
		break;
	default:
		pop_finish(op, NULL);
		return;
	}
	if (op->dop == NULL && op->endpoint_arn == NULL && (op->stage == 1 ||
	    op->stage == 3)) {
		check_next(op);         /* no endpoint to read: said above */
		return;
	}
	if (op->dop == NULL)
		pop_finish(op, &e);
}

static void
dms_check(struct provider *p, struct provider_check *out,
    provider_done_fn done, void *arg)
{
	struct pop *op = pop_new(p, POP_CHECK, impl(p)->task_arn,
	    "the forward task", done, arg);

	op->check = out;
	op->stage = -1;
	check_next(op);
}

/* ---- validation: the forward task's table mappings ------------------ */

static void
on_mappings_task(const struct dms_task *t, const struct err *e, void *arg)
{
	struct pop *op = arg;

	op->dop = NULL;
	if (t == NULL) {
		pop_finish(op, e);
		return;
	}
	*op->mappings = t->table_mappings != NULL ?
	    xstrdup(t->table_mappings) : NULL;
	pop_finish(op, NULL);
}

/* DescribeReplicationTasks without WithoutSettings: with it, DMS leaves
 * the settings and the mappings out. */
static void
dms_table_mappings(struct provider *p, char **out, provider_done_fn done,
    void *arg)
{
	struct dms_impl *d = impl(p);
	struct pop *op = pop_new(p, POP_MAPPINGS, d->task_arn,
	    "the forward task", done, arg);
	struct err e;

	*out = NULL;
	op->mappings = out;
	op->dop = dms_describe_task_settings(d->client, d->task_arn,
	    on_mappings_task, op, &e);
	if (op->dop == NULL)
		pop_finish(op, &e);
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
describe_wait(struct strbuf *out, const struct dms_impl *d, const char *st)
{
	sb_printf(out, "  DescribeReplicationTasks every %lld s until Status is "
	    "\"%s\" (at most %lld s; creating, testing, starting, stopping, "
	    "modifying and moving are waited out)\n",
	    (long long)(d->poll_ms / 1000), st, (long long)(d->wait_ms / 1000));
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
		describe_wait(out, d, "stopped");
	} else if (strcmp(op, "start") == 0) {
		bool pos = p->resume_from.lsn != NULL;

		sb_printf(out, "Start the forward DMS task %s (region %s, %s) and "
		    "wait until it is running; a running task is left as it "
		    "is.\n", arn, d->client->region, ep);
		describe_task_call(out, arn);
		if (pos)
			sb_printf(out, "  ModifyReplicationTask {\"ReplicationTask"
			    "Arn\":\"%s\",\"MigrationType\":\"cdc\"}   (unless it is "
			    "CDC-only: a full-load-and-cdc task would reload every "
			    "table)\n  StartReplicationTask {\"ReplicationTaskArn\":"
			    "\"%s\",\"StartReplicationTaskType\":\"start-replication\","
			    "\"CdcStartPosition\":\"%s\"}   (past what reverse "
			    "replication brought back; sent once)\n", arn, arn,
			    p->resume_from.lsn);
		else
			sb_printf(out, "  StartReplicationTask {\"ReplicationTaskArn\":"
			    "\"%s\",\"StartReplicationTaskType\":\"resume-processing\"}"
			    "   (where it stopped; \"start-replication\" if it never "
			    "ran; sent once)\n", arn);
		describe_wait(out, d, "running");
	} else if (strcmp(op, "reverse_start") == 0) {
		sb_printf(out, "Start the reverse DMS task %s (region %s, %s) from "
		    "the slot %s cutover created on the target, and wait until it "
		    "is running; one running from another position is stopped "
		    "first.\n", arn, d->client->region, ep, p->cfg->reverse_slot);
		describe_task_call(out, arn);
		sb_printf(out, "  StartReplicationTask {\"ReplicationTaskArn\":"
		    "\"%s\",\"StartReplicationTaskType\":\"start-replication\","
		    "\"CdcStartPosition\":\"<the slot's LSN, in the state>\"}   "
		    "(sent once)\n", arn);
		describe_wait(out, d, "running");
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
	if (d->poll_timer != NULL)
		loop_timer_cancel(d->poll_timer);
	free(d->waiters);
	aws_client_free(d->client);
	for (i = 0; i < NMETRICS; i++)
		series_clear(&d->series[i]);
	for (i = 0; i < API_COUNT; i++)
		free(d->cad[i].error);
	if (d->have_task)
		dms_task_free(&d->task);
	if (d->have_rtask)
		dms_task_free(&d->rtask);
	dms_tables_free(d->tables, d->ntables);
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
	dms_check,
	dms_table_mappings,
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

/* CUTOVER_TEST_TIME_FACTOR: for tests only, the cadence's clock runs
 * that many times faster. */
static double
time_factor(void)
{
	const char *s = getenv("CUTOVER_TEST_TIME_FACTOR");
	double f;

	if (s == NULL || *s == '\0' || parse_double(s, &f) != 0 || f < 1)
		return 1;
	return f > TIME_FACTOR_MAX ? TIME_FACTOR_MAX : f;
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
	repl_status_init(&p->reverse);
	p->status.provider = xstrdup("dms");
	d->client = client;
	d->task_arn = xstrdup(cfg->task_arn);
	d->reverse_arn = cfg->reverse_task_arn != NULL &&
	    *cfg->reverse_task_arn != '\0' ? xstrdup(cfg->reverse_task_arn) :
	    NULL;
	d->task_id = xstrdup(dms_arn_resource_id(cfg->task_arn));
	d->cluster_id = cluster_id(cfg);
	d->cloudwatch = cfg->cloudwatch;
	d->period = cfg->period_seconds >= 60 ? cfg->period_seconds : 60;
	d->poll_ms = ACTION_POLL_MS;
	d->wait_ms = WAIT_TIMEOUT_MS;
	d->factor = time_factor();
	d->t0 = mono_ms();
	d->cad[API_TASK].interval = (int64_t)(cfg->task_poll_seconds >= 5 ?
	    cfg->task_poll_seconds : 6) * 1000;
	d->cad[API_TABLES].interval = (int64_t)(cfg->table_poll_seconds >= 30 ?
	    cfg->table_poll_seconds : 30) * 1000;
	d->cad[API_METRICS].interval = (int64_t)d->period * 1000;
	d->cad[API_METRICS].period_done = -1;
	d->cad[API_REVERSE].interval = d->cad[API_TASK].interval;
	for (i = 0; i < NMETRICS; i++)
		series_init(&d->series[i], metric_defs[i].metric,
		    metric_defs[i].unit);
	return p;
}
