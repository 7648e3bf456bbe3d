/* jsonout.h - JSON members that are null when their value is absent. */
#ifndef CUTOVER_JSONOUT_H
#define CUTOVER_JSONOUT_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* NULL -> null. */
void json_add_string(cJSON *o, const char *key, const char *v);
/* Negative (unknown) -> null. */
void json_add_count(cJSON *o, const char *key, int64_t v);
/* NaN (unknown) -> null. */
void json_add_number(cJSON *o, const char *key, double v);
/* Milliseconds since the epoch as RFC 3339 UTC; 0 or less (never) -> null. */
void json_add_time(cJSON *o, const char *key, int64_t ms);

#endif
