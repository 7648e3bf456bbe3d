/* heartbeat.h - the small `cutover` schema on the source (replicated to
 * the target): a heartbeat row the driver updates every second, so
 * end-to-end lag is measured on the target independent of what the
 * provider reports, and the sentinel rows that prove the final sync.
 *
 * The heartbeat carries the writer's own wall clock (beat_ms); the lag is
 * that writer's clock now minus the beat visible on the target, so the
 * database servers' clocks never enter into it. */
#ifndef CUTOVER_HEARTBEAT_H
#define CUTOVER_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "eventlog.h"
#include "loop.h"
#include "pg.h"
#include "util.h"

#define CUTOVER_SCHEMA "cutover"

/* `cutover setup`: creates the schema and its tables on both sides and,
 * for the postgres provider, adds them to the publication and refreshes
 * the subscription. Every statement is logged before it runs (when log is
 * not NULL); each is idempotent. With dry_run the statements are printed
 * to out and nothing changes. */
int heartbeat_setup(struct loop *loop, const struct config *cfg,
    struct eventlog *log, bool dry_run, FILE *out, struct err *e);

/* Whether the schema is in place on both sides: 1 yes, 0 no (why says
 * what is missing), -1 error. */
int heartbeat_check_setup(struct pg *source, struct pg *target, char *why,
    size_t whylen, struct err *e);

/* The writer: every interval_ms, UPDATE the heartbeat row on source. */
struct heartbeat;
struct heartbeat *heartbeat_start(struct loop *loop, struct pg *source,
    int interval_ms);
void heartbeat_stop(struct heartbeat *hb);
/* Wall ms of the last beat written (0 before the first). */
int64_t heartbeat_last_written(const struct heartbeat *hb);
/* The last write's error, or NULL. */
const char *heartbeat_error(const struct heartbeat *hb);

/* One reading of the heartbeat on both sides, asynchronously:
 * source_beat_ms and target_beat_ms (0 when unknown); lag_seconds is the
 * end-to-end lag: now - target beat while a writer is active (its beat on
 * the source younger than 5 s), else source beat - target beat (the lag
 * when the writer stopped), NAN when unknown. */
struct heartbeat_reading {
	int64_t source_beat_ms;
	int64_t target_beat_ms;
	double lag_seconds;
	bool writer_active;
	char *error;           /* NULL when the reading worked */
};
typedef void (*heartbeat_read_fn)(const struct heartbeat_reading *r,
    void *arg);
void heartbeat_read(struct pg *source, struct pg *target,
    heartbeat_read_fn fn, void *arg);

/* Sentinels: written on one side, waited for on the other. */
void sentinel_write(struct pg *side, const char *id, const char *run_id,
    const char *note, pg_result_fn fn, void *arg);
/* Result: one row with column "found" true/false. */
void sentinel_check(struct pg *side, const char *id, pg_result_fn fn,
    void *arg);

#endif
