/* json.h - reading AWS JSON responses: members that may be missing, null
 * or of an unexpected type are "absent", never an error, and timestamps
 * come as epoch seconds (numbers) or ISO 8601 strings. */
#ifndef CUTOVER_AWS_JSON_H
#define CUTOVER_AWS_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A copy of a string member, or NULL when absent or not a string. */
char *aj_strdup(const cJSON *o, const char *key);
const char *aj_str(const cJSON *o, const char *key);
/* A whole number member (a number, or a string of digits); def when
 * absent. */
int64_t aj_int(const cJSON *o, const char *key, int64_t def);
/* A timestamp member in wall ms; 0 when absent or unreadable. */
int64_t aj_time(const cJSON *o, const char *key);
/* A timestamp value: epoch seconds, or ISO 8601 ("2026-11-24T16:00:00Z",
 * with a fraction, an offset, or none meaning UTC). -1 when unreadable. */
int64_t aj_time_value(const cJSON *v);
int64_t aws_parse_iso8601(const char *s);
/* An array member, or NULL. */
const cJSON *aj_array(const cJSON *o, const char *key);
const cJSON *aj_object(const cJSON *o, const char *key);

#endif
