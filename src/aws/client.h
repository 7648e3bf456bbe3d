/* client.h - calls to AWS JSON-protocol services (DMS: JSON 1.1,
 * CloudWatch: JSON 1.0): credentials, SigV4, one POST per attempt on the
 * loop, retries with capped exponential backoff and full jitter, and AWS
 * error bodies turned into errors that name the operation:
 *
 *   DescribeReplicationTasks: AccessDeniedException: User ... (HTTP 400)
 *
 * Retried: throttling errors, HTTP 5xx and network failures — but a call
 * that changes something and is not idempotent is retried only when the
 * request provably never left (no connection could be made). */
#ifndef CUTOVER_AWS_CLIENT_H
#define CUTOVER_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "aws/creds.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "loop.h"
#include "util.h"

struct aws_client_opts {
	int max_attempts;             /* default 4 */
	int64_t backoff_base_ms;      /* default 250 */
	int64_t backoff_cap_ms;       /* default 20000 */
	int64_t connect_timeout_ms;   /* default 5000 */
	int64_t timeout_ms;           /* per attempt; default 30000 */
	size_t max_body;              /* default 16 MiB */
};

struct aws_client {
	struct loop *loop;
	struct http *http;
	struct aws_creds_provider *creds;
	char *region;
	const char *region_from;      /* where the region came from */
	struct aws_client_opts opts;
	struct aws_call *calls;       /* in flight */
	struct {
		const struct aws_service *s;
		char *url;
	} endpoints[4];               /* resolved once, on first use */
	uint64_t attempts;            /* HTTP attempts made (for tests) */
};

struct aws_call;

/* resp (an object) is the callee's only during the call; on failure it is
 * NULL and e says what failed. */
typedef void (*aws_call_fn)(cJSON *resp, const struct err *e, void *arg);

/* configured_region is [replication] region (may be NULL). */
struct aws_client *aws_client_new(struct loop *loop,
    const char *configured_region, struct err *e);
/* Cancels the calls still in flight, without calling them back. */
void aws_client_free(struct aws_client *c);

/* Calls service's op with body (consumed; NULL for {}). idempotent:
 * reads, and changes that can be repeated harmlessly. Returns NULL only
 * when the call cannot start, with fn not called and e set. */
struct aws_call *aws_call(struct aws_client *c, const struct aws_service *s,
    const char *op, cJSON *body, bool idempotent, aws_call_fn fn, void *arg,
    struct err *e);
void aws_call_cancel(struct aws_call *call);

/* An AWS error answer: code from X-Amzn-ErrorType, "__type" or
 * "code"/"Code" (the part after '#' and before ':'), message from
 * "message"/"Message" (XML <Code>/<Message> too). Returns 0 when
 * something was found. */
struct aws_error {
	char code[128];
	char message[512];
};
int aws_error_parse(const char *error_type_header, const char *body,
    size_t len, struct aws_error *out);
bool aws_error_is_throttling(const char *code);
bool aws_error_is_expired_credentials(const char *code);

/* The delay before retry number attempt (1, 2, ...): uniformly random in
 * [0, min(cap, base * 2^(attempt-1))]. */
int64_t aws_backoff_ms(const struct aws_client_opts *o, int attempt);

/* Paging (Marker, NextToken): after a page whose answer named next
 * (NULL: the last page), *cursor (the token this page was asked with)
 * becomes next and *pages counts it. Returns 1 when another page is to
 * be asked for with *cursor, 0 when the list is complete, -1 (e set,
 * naming operation) when the service loops: the same token twice, or
 * more than max_pages pages. A partial list is never passed off as whole. */
int aws_next_page(const char *operation, char **cursor, char *next,
    int *pages, int max_pages, struct err *e);

#endif
