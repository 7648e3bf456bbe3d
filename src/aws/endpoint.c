/* endpoint.c - regions and endpoints; see endpoint.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/endpoint.h"
#include "aws/profile.h"
#include "util.h"

const struct aws_service aws_service_dms = {
	"DMS", "dms", "dms", "DATABASE_MIGRATION_SERVICE",
	"AmazonDMSv20160101", "application/x-amz-json-1.1",
};

/* CloudWatch speaks AWS JSON 1.0 with the Granite target prefix as well
 * as the query protocol; JSON keeps one code path for both services. */
const struct aws_service aws_service_cloudwatch = {
	"CloudWatch", "monitoring", "monitoring", "CLOUDWATCH",
	"GraniteServiceVersion20100801", "application/x-amz-json-1.0",
};

/* Resolved for completeness and the metrics of Aurora, which come from
 * CloudWatch: no RDS API call is made today. */
const struct aws_service aws_service_rds = {
	"RDS", "rds", "rds", "RDS", "", "",
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The profile's value of key in the config file, allocated. */
static char *
profile_value(const char *key)
{
	struct aws_profiles cfg;
	struct err e;
	char *path = aws_config_file_path(), *v = NULL;
	const char *s;

	if (aws_profiles_load(&cfg, path, true, &e) == 0) {
		s = aws_profile_get(aws_profiles_find(&cfg,
		    aws_profile_name(NULL)), key);
		if (s != NULL && *s != '\0')
			v = xstrdup(s);
		aws_profiles_free(&cfg);
	}
	free(path);
	return v;
}

static bool
valid_region(const char *r)
{
	const char *p;

	if (*r == '\0' || strlen(r) > 64)
		return false;
	for (p = r; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-'))
			return false;
	return true;
}

char *
aws_region(const char *configured, const char **where, struct err *e)
{
	const char *r = NULL, *w = NULL;
	char *v = NULL;

	if (configured != NULL && *configured != '\0') {
		r = configured;
		w = "[replication] region";
	} else if ((r = env("AWS_REGION")) != NULL)
		w = "AWS_REGION";
	else if ((r = env("AWS_DEFAULT_REGION")) != NULL)
		w = "AWS_DEFAULT_REGION";
	else if ((v = profile_value("region")) != NULL) {
		r = v;
		w = "the AWS profile";
	}
	if (r == NULL) {
		err_set(e, EXIT_USAGE, "no AWS region: set [replication] region "
		    "in cutover.conf, AWS_REGION, or region in the AWS profile");
		return NULL;
	}
	if (!valid_region(r)) {
		err_set(e, EXIT_USAGE, "%s: \"%.64s\" is not an AWS region", w, r);
		free(v);
		return NULL;
	}
	if (where != NULL)
		*where = w;
	if (v != NULL)
		return v;
	return xstrdup(r);
}

char *
aws_endpoint(const struct aws_service *s, const char *region)
{
	const char *ign = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	char *name, *url = NULL;
	const char *v;

	if (ign == NULL || strcasecmp(ign, "true") != 0) {
		name = xasprintf("AWS_ENDPOINT_URL_%s", s->env_suffix);
		v = env(name);
		free(name);
		if (v == NULL)
			v = env("AWS_ENDPOINT_URL");
		if (v != NULL)
			url = xstrdup(v);
		else
			url = profile_value("endpoint_url");
	}
	if (url == NULL)
		url = xasprintf("https://%s.%s.amazonaws.com%s",
		    s->endpoint_prefix, region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	while (str_endswith(url, "/"))
		url[strlen(url) - 1] = '\0';
	return url;
}

int
aws_url_split(const char *url, char **scheme, char **hostport, char **path)
{
	const char *p, *h;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0) {
		*scheme = xstrdup("https");
		h = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*scheme = xstrdup("http");
		h = url + 7;
	} else
		return -1;
	n = strcspn(h, "/?#");
	if (n == 0 || memchr(h, '@', n) != NULL) {
		free(*scheme);
		return -1;
	}
	*hostport = xstrndup(h, n);
	p = h + n;
	*path = xstrndup(*p == '/' ? p : "/", *p == '/' ? strcspn(p, "?#") : 1);
	/* Default ports are left out of the Host header. */
	if (strcmp(*scheme, "https") == 0 && str_endswith(*hostport, ":443"))
		(*hostport)[strlen(*hostport) - 4] = '\0';
	else if (strcmp(*scheme, "http") == 0 && str_endswith(*hostport, ":80"))
		(*hostport)[strlen(*hostport) - 3] = '\0';
	return 0;
}
