/* jsonin.c - see jsonin.h. */
#include "config.h"

#include <math.h>

#include "jsonin.h"
#include "util.h"

#define EXACT_MAX 9007199254740992.0   /* 2^53 */

const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *
json_strdup(const cJSON *o, const char *key)
{
	const char *s = json_str(o, key);

	return s != NULL ? xstrdup(s) : NULL;
}

double
json_num(const cJSON *o, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

int64_t
json_int(const cJSON *o, const char *key, int64_t def)
{
	double d = json_num(o, key, NAN);

	if (isnan(d) || d > EXACT_MAX || d < -EXACT_MAX)
		return def;
	return (int64_t)d;
}

double
json_num_in(const cJSON *o, const char *key, double lo, double hi)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || isnan(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return NAN;
	return v->valuedouble;
}

int64_t
json_int_in(const cJSON *o, const char *key, int64_t lo, int64_t hi,
    int64_t def)
{
	double d = json_num_in(o, key, (double)lo, (double)hi);

	return isnan(d) ? def : (int64_t)d;
}

bool
json_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}
