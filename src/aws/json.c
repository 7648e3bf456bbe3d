/* json.c - tolerant readers for AWS JSON; see json.h. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/json.h"
#include "util.h"

const char *
aj_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring :
	    NULL;
}

char *
aj_strdup(const cJSON *o, const char *key)
{
	const char *s = aj_str(o, key);

	return s != NULL ? xstrdup(s) : NULL;
}

int64_t
aj_int(const cJSON *o, const char *key, int64_t def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	int64_t n;

	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* A double beyond int64 would be undefined to convert. */
		if (!isfinite(d) || d >= 9.2e18 || d <= -9.2e18)
			return def;
		return (int64_t)d;
	}
	if (cJSON_IsString(v) && v->valuestring != NULL &&
	    parse_int64(v->valuestring, &n) == 0)
		return n;
	return def;
}

const cJSON *
aj_array(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *
aj_object(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsObject(v) ? v : NULL;
}

static int
digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
aws_parse_iso8601(const char *s)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, ms = 0, nd = 0, oh, om, sign;
	int64_t t;

	if (s == NULL)
		return -1;
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1 || d > 31 ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = digits(&p, 2)) < 0 || mi > 59 || *p++ != ':' ||
	    (sec = digits(&p, 2)) < 0 || sec > 60)
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++)
			if (nd < 3) {
				ms = ms * 10 + (*p - '0');
				nd++;
			}
		while (nd++ < 3)
			ms *= 10;
	}
	t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	    1000 + ms;
	if (*p == '\0')
		return t;                 /* no zone: UTC, as moto writes */
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return t;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((oh = digits(&p, 2)) < 0 || oh > 23)
		return -1;
	if (*p == ':')
		p++;
	if ((om = digits(&p, 2)) < 0 || om > 59 || *p != '\0')
		return -1;
	return t - sign * (int64_t)(oh * 3600 + om * 60) * 1000;
}

int64_t
aj_time_value(const cJSON *v)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!isfinite(d) || d < 0 || d > 1e13)
			return -1;
		return (int64_t)llround(d * 1000.0);
	}
	if (cJSON_IsString(v) && v->valuestring != NULL)
		return aws_parse_iso8601(v->valuestring);
	return -1;
}

int64_t
aj_time(const cJSON *o, const char *key)
{
	int64_t t = aj_time_value(cJSON_GetObjectItemCaseSensitive(o, key));

	return t < 0 ? 0 : t;
}
