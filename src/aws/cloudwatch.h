/* cloudwatch.h - CloudWatch GetMetricData over AWS JSON 1.0
 * (X-Amz-Target: GraniteServiceVersion20100801.GetMetricData): many
 * metrics in one request (up to 500 queries), NextToken followed. */
#ifndef CUTOVER_AWS_CLOUDWATCH_H
#define CUTOVER_AWS_CLOUDWATCH_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "util.h"

#define CW_MAX_QUERIES 500
#define CW_MAX_DIMS 4

struct cw_query {
	char id[64];               /* [a-z][A-Za-z0-9_]* */
	const char *ns;            /* "AWS/DMS" */
	const char *metric;        /* "CDCLatencySource" */
	const char *stat;          /* "Average", "Maximum" */
	struct {
		const char *name;
		const char *value;
	} dims[CW_MAX_DIMS];
	size_t ndims;
};

/* One query's answer: points sorted oldest first. */
struct cw_result {
	char *id;
	char *label;
	char *status;              /* Complete, PartialData, ... */
	int64_t *t;                /* wall ms */
	double *v;
	size_t n;
};

cJSON *cw_req_get_metric_data(const struct cw_query *q, size_t nq,
    int64_t start_ms, int64_t end_ms, int period_seconds,
    const char *next_token);
/* Parses one page. Results with the same Id are merged by the caller. */
int cw_parse_results(const cJSON *resp, struct cw_result **v, size_t *n,
    char **next_token, struct err *e);
void cw_results_free(struct cw_result *v, size_t n);

struct cw_op;
typedef void (*cw_fn)(const struct cw_result *v, size_t n,
    const struct err *e, void *arg);

/* GetMetricData over [start, end), every page, results merged by Id.
 * The handle is invalid once fn runs. */
struct cw_op *cw_get_metric_data(struct aws_client *c,
    const struct cw_query *q, size_t nq, int64_t start_ms, int64_t end_ms,
    int period_seconds, cw_fn fn, void *arg, struct err *e);
void cw_op_cancel(struct cw_op *op);

#endif
