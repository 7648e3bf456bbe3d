/* jsonout.c - JSON members that are null when their value is absent:
 * the state, `status --json` and the lab all write them the same way. */
#include "config.h"

#include <math.h>

#include "jsonout.h"
#include "util.h"

void
json_add_string(cJSON *o, const char *key, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

void
json_add_count(cJSON *o, const char *key, int64_t v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

void
json_add_number(cJSON *o, const char *key, double v)
{
	if (!isnan(v))
		cJSON_AddNumberToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

void
json_add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	time_rfc3339(ms, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}
