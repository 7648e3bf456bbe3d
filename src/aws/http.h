/* http.h - HTTP(S) requests on libcurl's multi interface, driven by the
 * one poll loop: curl's sockets become loop watchers and its timeout a
 * loop timer, so nothing here ever blocks. One attempt per request:
 * retrying is the caller's business (aws/client.c). */
#ifndef CUTOVER_AWS_HTTP_H
#define CUTOVER_AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "util.h"

struct http;
struct http_xfer;

struct http_request {
	const char *method;            /* "GET", "PUT", "POST" */
	const char *url;
	const char *const *headers;    /* "Name: value", may be NULL */
	size_t nheaders;
	const char *body;              /* NULL: none */
	size_t body_len;
	int64_t connect_timeout_ms;    /* 0: the default */
	int64_t timeout_ms;            /* whole transfer; 0: the default */
	size_t max_body;               /* response bytes; 0: the default */
	/* A new connection, never reused: curl silently sends a request
	 * again when a reused connection dies before answering, which a
	 * call that is not idempotent must never see. */
	bool fresh_connection;
};

enum http_failure {
	HTTP_OK = 0,            /* a response arrived (any status) */
	HTTP_CONNECT,           /* no connection: the request was not sent */
	HTTP_TIMEOUT,           /* the time ran out (sent or not) */
	HTTP_TOO_LARGE,         /* the response passed max_body */
	HTTP_NETWORK,           /* another transport error after sending */
};

struct http_response {
	enum http_failure failure;
	bool sent;              /* the request may have reached the server */
	long status;            /* HTTP status, 0 without a response */
	struct strbuf body;     /* NUL-terminated; wiped when freed */
	char *content_type;
	char *error_type;       /* X-Amzn-ErrorType */
	char *request_id;       /* X-Amzn-RequestId */
	char error[256];        /* curl's words when failure != HTTP_OK */
	int64_t elapsed_ms;
};

typedef void (*http_done_fn)(struct http_response *r, void *arg);

#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_DEFAULT_MAX_BODY (16u << 20)

struct http *http_new(struct loop *loop, struct err *e);
/* Cancels every transfer still running (without calling back). */
void http_free(struct http *h);

/* Starts a request; done is called from the loop exactly once, unless the
 * transfer is cancelled first. The response is the caller's during the
 * call only. Returns NULL with e set when it cannot even start. */
struct http_xfer *http_start(struct http *h, const struct http_request *req,
    http_done_fn done, void *arg, struct err *e);
void http_cancel(struct http_xfer *x);

#endif
