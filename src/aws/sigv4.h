/* sigv4.h - AWS Signature Version 4 (HMAC-SHA256), header signing and
 * presigned query strings, as the AWS test suites define them. Pure: no
 * I/O, no clock (the caller passes the time). */
#ifndef CUTOVER_AWS_SIGV4_H
#define CUTOVER_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct sigv4_header {
	const char *name;
	const char *value;
};

/* The request as it goes on the wire. */
struct sigv4_request {
	const char *method;
	const char *path;          /* the path as sent: "/", "/a b" */
	const char *query;         /* without '?'; NULL or "" for none */
	const struct sigv4_header *headers;  /* must include Host */
	size_t nheaders;
	const void *body;
	size_t body_len;
};

struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;           /* NULL when none */
};

struct sigv4_opts {
	const char *region;
	const char *service;                 /* signing name: "dms" */
	int64_t time;                        /* seconds since the epoch */
	bool normalize_path;                 /* every service but S3 */
	bool sign_body;                      /* add x-amz-content-sha256 */
	bool omit_session_token;             /* token added unsigned */
	int64_t expires;                     /* presigning: X-Amz-Expires */
};

/* Headers the caller must add to the request it sends (header signing). */
struct sigv4_added {
	const char *name;
	char *value;
};

struct sigv4_signed {
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers;                /* "host;x-amz-date" */
	char signature[65];
	char amz_date[17];                   /* 20150830T123600Z */
	char payload_hash[65];
	char *authorization;                 /* header signing */
	char *query;                         /* presigning: the whole query */
	struct sigv4_added add[4];           /* X-Amz-Date, token, ... */
	size_t nadd;
};

/* Signs with an Authorization header. Returns 0, or -1 with e set when
 * the request cannot be signed (no Host header, bad input). */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
    const struct sigv4_opts *o, struct sigv4_signed *out, struct err *e);
/* Signs in the query string (a presigned URL). */
int sigv4_presign(const struct sigv4_request *req,
    const struct sigv4_key *key, const struct sigv4_opts *o,
    struct sigv4_signed *out, struct err *e);
/* Frees and wipes (the canonical request may hold a session token). */
void sigv4_signed_free(struct sigv4_signed *s);

/* RFC 3986 encoding of every byte but the unreserved ones (and '/' when
 * keep_slash), upper-case hex, as SigV4 wants it. */
void sigv4_uri_encode(struct strbuf *out, const char *s, size_t n,
    bool keep_slash);
/* The canonical URI of a path: normalized (when asked) and encoded. */
char *sigv4_canonical_path(const char *path, bool normalize);
/* The canonical query string: decoded, re-encoded, sorted by key then
 * value. */
char *sigv4_canonical_query(const char *query);

/* Lower-case hex SHA-256 and HMAC-SHA256. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
void sigv4_hmac(const void *key, size_t keylen, const void *data,
    size_t len, unsigned char out[32]);

#endif
