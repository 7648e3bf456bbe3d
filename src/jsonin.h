/* jsonin.h - reading members of our own JSON (state, events, snapshots,
 * reports, the lab's files): a member that is missing, null or of another
 * type is absent, never an error. AWS's responses have their own rules
 * (aws/json.h). */
#ifndef CUTOVER_JSONIN_H
#define CUTOVER_JSONIN_H

#include <stdbool.h>
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

/* What a feed or a snapshot sends is range-checked before it is used or
 * converted: a hostile feed must not make a watcher convert NaN or 1e300
 * to an integer. JSON_NUM_MAX is well inside int64_t and a double's exact
 * integers. */
#define JSON_NUM_MAX 1e15
/* A number in [lo, hi], else NAN. */
double json_num_in(const cJSON *o, const char *key, double lo, double hi);
/* An integer in [lo, hi], else def. */
int64_t json_int_in(const cJSON *o, const char *key, int64_t lo, int64_t hi,
    int64_t def);
/* true only for a JSON true. */
bool json_true(const cJSON *o, const char *key);

#endif
