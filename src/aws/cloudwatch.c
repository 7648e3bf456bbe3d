/* cloudwatch.c - GetMetricData; see cloudwatch.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cloudwatch.h"
#include "aws/json.h"
#include "util.h"

#define CW_MAX_PAGES 100

cJSON *
cw_req_get_metric_data(const struct cw_query *q, size_t nq, int64_t start_ms,
    int64_t end_ms, int period_seconds, const char *next_token)
{
	cJSON *b = cJSON_CreateObject(), *qs, *o, *ms, *m, *dims, *d;
	size_t i, j;

	qs = cJSON_AddArrayToObject(b, "MetricDataQueries");
	for (i = 0; i < nq && i < CW_MAX_QUERIES; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Id", q[i].id);
		ms = cJSON_AddObjectToObject(o, "MetricStat");
		m = cJSON_AddObjectToObject(ms, "Metric");
		cJSON_AddStringToObject(m, "Namespace", q[i].ns);
		cJSON_AddStringToObject(m, "MetricName", q[i].metric);
		dims = cJSON_AddArrayToObject(m, "Dimensions");
		for (j = 0; j < q[i].ndims; j++) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "Name", q[i].dims[j].name);
			cJSON_AddStringToObject(d, "Value", q[i].dims[j].value);
			cJSON_AddItemToArray(dims, d);
		}
		cJSON_AddNumberToObject(ms, "Period", period_seconds);
		cJSON_AddStringToObject(ms, "Stat", q[i].stat);
		cJSON_AddBoolToObject(o, "ReturnData", 1);
		cJSON_AddItemToArray(qs, o);
	}
	/* JSON protocols carry timestamps as epoch seconds. */
	cJSON_AddNumberToObject(b, "StartTime", (double)(start_ms / 1000));
	cJSON_AddNumberToObject(b, "EndTime", (double)(end_ms / 1000));
	cJSON_AddStringToObject(b, "ScanBy", "TimestampAscending");
	if (next_token != NULL)
		cJSON_AddStringToObject(b, "NextToken", next_token);
	return b;
}

struct point {
	int64_t t;
	double v;
};

static int
point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	return x->t < y->t ? -1 : x->t > y->t;
}

int
cw_parse_results(const cJSON *resp, struct cw_result **v, size_t *n,
    char **next_token, struct err *e)
{
	const cJSON *list, *it, *ts, *vs, *a, *b;
	struct cw_result *r;
	struct point *pts;
	size_t i = 0, k, np, cap;
	const char *tok;

	*v = NULL;
	*n = 0;
	if (next_token != NULL)
		*next_token = NULL;
	if (!cJSON_IsObject(resp))
		return err_set(e, EXIT_RUNTIME, "the answer is not a JSON object");
	list = cJSON_GetObjectItemCaseSensitive(resp, "MetricDataResults");
	if (list != NULL && !cJSON_IsNull(list) && !cJSON_IsArray(list))
		return err_set(e, EXIT_RUNTIME,
		    "MetricDataResults in the answer is not a list");
	tok = aj_str(resp, "NextToken");
	if (next_token != NULL && tok != NULL && *tok != '\0')
		*next_token = xstrdup(tok);
	if (!cJSON_IsArray(list))
		return 0;
	*v = xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **v);
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsObject(it) || aj_str(it, "Id") == NULL)
			continue;
		r = &(*v)[i++];
		r->id = aj_strdup(it, "Id");
		r->label = aj_strdup(it, "Label");
		r->status = aj_strdup(it, "StatusCode");
		ts = aj_array(it, "Timestamps");
		vs = aj_array(it, "Values");
		cap = ts != NULL && vs != NULL ?
		    (size_t)cJSON_GetArraySize(ts) : 0;
		pts = xcalloc(cap + 1, sizeof *pts);
		np = 0;
		/* Pairs up to the shorter list; unreadable points dropped. */
		for (a = ts ? ts->child : NULL, b = vs ? vs->child : NULL;
		    a != NULL && b != NULL && np < cap;
		    a = a->next, b = b->next) {
			int64_t t = aj_time_value(a);

			if (t < 0 || !cJSON_IsNumber(b) ||
			    !isfinite(b->valuedouble))
				continue;
			pts[np].t = t;
			pts[np].v = b->valuedouble;
			np++;
		}
		qsort(pts, np, sizeof *pts, point_cmp);
		r->t = xcalloc(np + 1, sizeof *r->t);
		r->v = xcalloc(np + 1, sizeof *r->v);
		for (k = 0; k < np; k++) {
			r->t[k] = pts[k].t;
			r->v[k] = pts[k].v;
		}
		r->n = np;
		free(pts);
	}
	*n = i;
	return 0;
}

void
cw_results_free(struct cw_result *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].label);
		free(v[i].status);
		free(v[i].t);
		free(v[i].v);
	}
	free(v);
}

struct cw_op {
	struct aws_client *c;
	struct aws_call *call;
	struct cw_query *q;
	size_t nq;
	int64_t start_ms, end_ms;
	int period;
	char *token;
	int pages;
	struct cw_result *res;
	size_t nres;
	cw_fn fn;
	void *arg;
};

void
cw_op_cancel(struct cw_op *op)
{
	if (op == NULL)
		return;
	if (op->call != NULL)
		aws_call_cancel(op->call);
	cw_results_free(op->res, op->nres);
	free(op->q);
	free(op->token);
	free(op);
}

/* Appends a page's results, joining points of an Id seen before. */
static void
merge(struct cw_op *op, struct cw_result *page, size_t n)
{
	size_t i, j, k;
	struct cw_result *r;

	for (i = 0; i < n; i++) {
		for (j = 0; j < op->nres; j++)
			if (strcmp(op->res[j].id, page[i].id) == 0)
				break;
		if (j == op->nres) {
			op->res = xreallocarray(op->res, op->nres + 1,
			    sizeof *op->res);
			op->res[op->nres++] = page[i];
			memset(&page[i], 0, sizeof page[i]);
			continue;
		}
		r = &op->res[j];
		r->t = xreallocarray(r->t, r->n + page[i].n + 1, sizeof *r->t);
		r->v = xreallocarray(r->v, r->n + page[i].n + 1, sizeof *r->v);
		for (k = 0; k < page[i].n; k++) {
			r->t[r->n] = page[i].t[k];
			r->v[r->n++] = page[i].v[k];
		}
	}
	cw_results_free(page, n);
}

static void
on_page(cJSON *resp, const struct err *ce, void *arg)
{
	struct cw_op *op = arg;
	struct cw_result *page;
	size_t n;
	char *token;
	struct err e;

	op->call = NULL;
	if (resp == NULL) {
		op->fn(NULL, 0, ce, op->arg);
		cw_op_cancel(op);
		return;
	}
	if (cw_parse_results(resp, &page, &n, &token, &e) != 0) {
		err_prefix(&e, "GetMetricData: ");
		op->fn(NULL, 0, &e, op->arg);
		cw_op_cancel(op);
		return;
	}
	merge(op, page, n);
	switch (aws_next_page("GetMetricData", &op->token, token, &op->pages,
	    CW_MAX_PAGES, &e)) {
	case 1:
		op->call = aws_call(op->c, &aws_service_cloudwatch,
		    "GetMetricData", cw_req_get_metric_data(op->q, op->nq,
		    op->start_ms, op->end_ms, op->period, op->token), true,
		    on_page, op, &e);
		if (op->call == NULL) {
			op->fn(NULL, 0, &e, op->arg);
			cw_op_cancel(op);
		}
		return;
	case -1:
		op->fn(NULL, 0, &e, op->arg);
		cw_op_cancel(op);
		return;
	}
	op->fn(op->res, op->nres, NULL, op->arg);
	cw_op_cancel(op);
}

struct cw_op *
cw_get_metric_data(struct aws_client *c, const struct cw_query *q, size_t nq,
    int64_t start_ms, int64_t end_ms, int period_seconds, cw_fn fn,
    void *arg, struct err *e)
{
	struct cw_op *op = xcalloc(1, sizeof *op);

	if (nq > CW_MAX_QUERIES) {
		free(op);
		err_set(e, EXIT_RUNTIME, "GetMetricData: %zu queries, at most "
		    "%d in one request", nq, CW_MAX_QUERIES);
		return NULL;
	}
	op->c = c;
	op->q = xcalloc(nq + 1, sizeof *q);
	if (nq > 0)
		memcpy(op->q, q, nq * sizeof *q);
	op->nq = nq;
	op->start_ms = start_ms;
	op->end_ms = end_ms;
	op->period = period_seconds;
	op->fn = fn;
	op->arg = arg;
	op->call = aws_call(c, &aws_service_cloudwatch, "GetMetricData",
	    cw_req_get_metric_data(q, nq, start_ms, end_ms, period_seconds,
	    NULL), true, on_page, op, e);
	if (op->call == NULL) {
		free(op->q);
		free(op);
		return NULL;
	}
	return op;
}
