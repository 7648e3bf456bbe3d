/* jsonin.h - reading members of our own JSON (state, events, snapshots,
 * reports, the lab's files): a member that is missing, null or of another
 * type is absent, never an error. AWS's responses have their own rules
 * (aws/json.h). */
#ifndef CUTOVER_JSONIN_H
#define CUTOVER_JSONIN_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* The string, or NULL. */
const char *json_str(const cJSON *o, const char *key);
/* A copy of the string, or NULL. */
char *json_strdup(const cJSON *o, const char *key);
/* A number; def when absent. */
double json_num(const cJSON *o, const char *key, double def);
/* A number as a whole number (truncated); def when absent or beyond
 * +-2^53, where a double no longer holds every integer. */
int64_t json_int(const cJSON *o, const char *key, int64_t def);

#endif
