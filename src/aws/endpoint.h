/* endpoint.h - where AWS requests go and in which region they are signed.
 *
 * Region: [replication] region, else AWS_REGION, else AWS_DEFAULT_REGION,
 * else the profile's "region" in the config file.
 * Endpoint: AWS_ENDPOINT_URL_<SERVICE> (DATABASE_MIGRATION_SERVICE,
 * CLOUDWATCH, RDS), else AWS_ENDPOINT_URL, else the profile's endpoint_url,
 * else https://PREFIX.REGION.amazonaws.com (".com.cn" in China).
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores all but the default. */
#ifndef CUTOVER_AWS_ENDPOINT_H
#define CUTOVER_AWS_ENDPOINT_H

#include "util.h"

struct aws_service {
	const char *name;            /* for messages: "DMS" */
	const char *signing_name;    /* credential scope: "dms" */
	const char *endpoint_prefix; /* host: "dms" */
	const char *env_suffix;      /* AWS_ENDPOINT_URL_<this> */
	const char *target_prefix;   /* X-Amz-Target: "AmazonDMSv20160101" */
	const char *content_type;    /* "application/x-amz-json-1.1" */
};

extern const struct aws_service aws_service_dms;
extern const struct aws_service aws_service_cloudwatch;
extern const struct aws_service aws_service_rds;

/* The region, allocated; NULL with e set when none is configured.
 * configured is the config file's value (may be NULL). where (may be
 * NULL) receives a word for messages: "cutover.conf", "AWS_REGION". */
char *aws_region(const char *configured, const char **where, struct err *e);

/* The endpoint URL (no trailing slash), allocated. */
char *aws_endpoint(const struct aws_service *s, const char *region);

/* Host[:port] and path of a URL, for the Host header and signing. Returns
 * -1 when the URL is not http(s)://host... */
int aws_url_split(const char *url, char **scheme, char **hostport,
    char **path);

#endif
