/* heartbeat.h - the small `cutover` schema on the source (replicated to
 * the target): a heartbeat row the driver updates ten times a second, so
 * end-to-end lag is measured on the target independent of what the
 * provider reports, and the sentinel rows that prove the final sync.
 *
 * The heartbeat carries the writing server's clock (beat_ms), written
 * every HEARTBEAT_INTERVAL_MS; the lag is that server's clock now minus
 * the beat after the last one applied on the other side, so only one
 * clock ever enters into it. */
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
 * to out and nothing changes. A flow run to its end with flow_run: for a
 * command's top level only. */
int heartbeat_setup(struct loop *loop, const struct config *cfg,
    struct eventlog *log, bool dry_run, FILE *out, struct err *e);

/* The writer: every interval_ms, UPDATE the heartbeat row on side (the
 * side the application writes on: the source, after the switch the
 * target). Each beat carries that server's clock_timestamp() in ms, the
 * previous beat's, and a sequence number; the reader compares them with
 * the same server's clock, so no two clocks are ever subtracted. */
#define HEARTBEAT_INTERVAL_MS 100
/* A writer whose last beat is older than this has stopped. */
#define HEARTBEAT_STALE_MS 3000
#define HEARTBEAT_NOW_MS \
	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
/* $1: the driver (actor()). Returns the beat's ms. */
#define HEARTBEAT_WRITE_SQL \
	"UPDATE cutover.heartbeat SET prev_ms = beat_ms, seq = seq + 1," \
	" beat_ms = " HEARTBEAT_NOW_MS ", ts = clock_timestamp()," \
	" driver = $1 WHERE id = 1 RETURNING beat_ms"
struct heartbeat;
struct heartbeat *heartbeat_start(struct loop *loop, struct pg *side,
    int interval_ms);
/* The same on a connection of its own (a query queued behind a beat on a
 * shared one would wait for it), closed by heartbeat_stop(). */
struct heartbeat *heartbeat_start_conn(struct loop *loop,
    const char *conninfo, const char *label, int interval_ms);
/* The next beats go to side (a beat in flight on the old one is
 * forgotten). */
void heartbeat_move(struct heartbeat *hb, struct pg *side);
void heartbeat_stop(struct heartbeat *hb);
/* The last write's error, or NULL. */
const char *heartbeat_error(const struct heartbeat *hb);

/* One reading of the heartbeat on both sides, asynchronously: the row on
 * the writing side (the source while replication runs forward, the
 * target once it runs back) with that server's clock now, and the row on
 * the applying side. lag_seconds is how long the oldest beat the applier
 * lacks has waited: 0 when it has the newest one and the writer still
 * writes; NAN when unknown, and when the applier has the newest beat but
 * the writer stopped (stale: nothing says what was written since). Exact
 * to one beat interval. */
struct heartbeat_reading {
	int64_t writer_beat_ms;    /* the newest beat (writer's clock), 0 none */
	int64_t writer_prev_ms;    /* the one before it */
	int64_t writer_seq;
	int64_t writer_now_ms;     /* the writer's clock at the reading */
	int64_t applied_beat_ms;   /* the newest beat applied, 0 none */
	int64_t applied_seq;
	double lag_seconds;
	bool writer_active;        /* its newest beat is younger than STALE */
	char *error;               /* NULL when the reading worked */
};
typedef void (*heartbeat_read_fn)(const struct heartbeat_reading *r,
    void *arg);
void heartbeat_read(struct pg *writer, struct pg *applier,
    heartbeat_read_fn fn, void *arg);
/* Fills lag_seconds and writer_active from the other fields. */
void heartbeat_lag(struct heartbeat_reading *r);

#endif
