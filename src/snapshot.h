/* snapshot.h - the console's picture as JSON, for those who watch: the
 * driving console writes it to <state_dir>/snapshot.json (atomically,
 * after every refresh and when the run changes) and sends it over the
 * watch feed; a watcher reads it back into its own model
 * (snapshot_apply) and draws the same panes. It is the JSON of `status --json` plus what the panes need
 * beyond it: the run's full state, the series of the sparklines, the
 * orchestrator's progress and the last validation's checks. It never
 * holds a secret: no conninfo, no token. */
#ifndef CUTOVER_SNAPSHOT_H
#define CUTOVER_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "state.h"
#include "util.h"

#define SNAPSHOT_FILE "snapshot.json"
#define SNAPSHOT_VERSION 1
#define SNAPSHOT_MAX (64 << 20)

/* Writes the snapshot of v into out. Without tables (they are re-read
 * every tenth refresh; between, only the run, the replication and the
 * series change) the tables are left out and a reader keeps the ones it
 * has. */
void snapshot_json(const struct model *v, bool with_tables, int64_t now,
    struct strbuf *out);
/* Replaces <state_dir>/snapshot.json (write, rename; no fsync: it is a
 * picture, not a record). */
int snapshot_save(const char *state_dir, const char *json, size_t len,
    struct err *e);

/* Reads a snapshot into v (a watcher's model): the one place a snapshot
 * writes a model. Returns 0, or -1 with e set; on error nothing changes. */
int snapshot_apply(struct model *v, const char *text, size_t len,
    struct err *e);
int snapshot_apply_json(struct model *v, const cJSON *o, struct err *e);

#endif
