/* creds.h - AWS credentials found the way the AWS CLI finds them:
 *
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   2. the profile (AWS_PROFILE, else "default") in the credentials file,
 *      then in the config file: static keys, else credential_process
 *   3. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   4. the EC2 instance metadata service, v2 (a token PUT, then the
 *      role's credentials); AWS_EC2_METADATA_SERVICE_ENDPOINT overrides
 *      the address, AWS_EC2_METADATA_DISABLED=true skips it
 *
 * Temporary credentials are fetched again before they expire. Everything
 * is asynchronous on the loop. Secrets are wiped when freed and never put
 * in an error message. */
#ifndef CUTOVER_AWS_CREDS_H
#define CUTOVER_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/http.h"
#include "loop.h"
#include "util.h"

struct aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;       /* NULL for long-term keys */
	int64_t expires_ms;        /* wall ms; 0: does not expire */
	char source[160];          /* "environment", "profile prod in ...", */
};

void aws_creds_clear(struct aws_creds *c);
void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/* What a credential source answered, as JSON: credential_process's
 * {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
 * "Expiration"} or the container's and IMDS's {"AccessKeyId",
 * "SecretAccessKey", "Token", "Expiration"[, "Code"]}. what names the
 * source in errors. */
int aws_creds_parse(const char *buf, size_t len, const char *what,
    struct aws_creds *out, struct err *e);

struct aws_creds_provider;
struct aws_creds_req;

typedef void (*aws_creds_fn)(const struct aws_creds *c, const struct err *e,
    void *arg);

struct aws_creds_provider *aws_creds_provider_new(struct loop *loop,
    struct http *http);
void aws_creds_provider_free(struct aws_creds_provider *p);

/* Calls fn from the loop with valid credentials, or with e set. The
 * returned handle cancels the request (fn is then never called); it is
 * invalid once fn has run. */
struct aws_creds_req *aws_creds_get(struct aws_creds_provider *p,
    aws_creds_fn fn, void *arg);
void aws_creds_cancel(struct aws_creds_req *r);
/* Forgets the cached credentials (after an ExpiredToken answer). */
void aws_creds_invalidate(struct aws_creds_provider *p);
/* How many times the chain was resolved (for tests). */
unsigned aws_creds_fetches(const struct aws_creds_provider *p);
/* Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be used: https:// (no
 * user information), or http:// to a loopback literal (127.a.b.c,
 * localhost, [::1]) or the ECS/EKS addresses 169.254.170.2,
 * 169.254.170.23, [fd00:ec2::23], with at most a numeric port. */
bool aws_container_url_allowed(const char *url);

#endif
