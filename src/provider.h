/* provider.h - the replication engine behind one interface: AWS DMS
 * (provider-dms.c) or PostgreSQL's native logical replication
 * (provider-postgres.c). Everything is asynchronous on the one loop: an
 * operation starts, returns at once, and calls done() from the loop. */
#ifndef CUTOVER_PROVIDER_H
#define CUTOVER_PROVIDER_H

#include <stdbool.h>

#include "conf.h"
#include "loop.h"
#include "model.h"
#include "util.h"

struct provider;

/* rc 0 on success; otherwise e says what failed (e->code EXIT_RUNTIME for
 * an API or database failure after its retries). */
typedef void (*provider_done_fn)(struct provider *p, int rc,
    const struct err *e, void *arg);

/* Where the reverse replication starts: the instant the forward one
 * stopped (DMS CdcStartPosition / an LSN). */
struct provider_position {
	char *lsn;             /* PostgreSQL LSN on the target, "0/16B3748" */
	int64_t time_ms;       /* wall time, for DMS CdcStartTime */
};

struct provider_ops {
	const char *name;      /* "dms" | "postgres" */

	/* Refreshes p->status and p->tables (state, inserts/updates/deletes,
	 * provider lag). Never changes anything. */
	void (*refresh)(struct provider *p, provider_done_fn done, void *arg);

	/* Stops forward replication and waits until it has stopped (DMS:
	 * "stopped"; postgres: subscription disabled and its worker gone).
	 * Idempotent: already stopped is success. */
	void (*stop)(struct provider *p, provider_done_fn done, void *arg);

	/* Starts or resumes forward replication (idempotent). */
	void (*start)(struct provider *p, provider_done_fn done, void *arg);

	/* Starts replication from target to source from pos (idempotent). */
	void (*reverse_start)(struct provider *p,
	    const struct provider_position *pos, provider_done_fn done,
	    void *arg);
	/* Stops the reverse replication (idempotent). */
	void (*reverse_stop)(struct provider *p, provider_done_fn done,
	    void *arg);

	/* Plain words and exact calls of what stop/start/reverse_start would
	 * do, for --dry-run and the confirmation dialog. */
	void (*describe)(struct provider *p, const char *op, struct strbuf *out);

	void (*destroy)(struct provider *p);
};

struct provider {
	const struct provider_ops *ops;
	struct loop *loop;
	const struct config *cfg;
	struct repl_status status;
	struct table_list tables;
	/* start() skips what the source wrote before this position: after a
	 * reverse replication, the changes it brought back (postgres). */
	struct provider_position resume_from;
	/* refresh() leaves p->tables as it is when false: per-table figures of
	 * thousands of tables are not needed every second (the monitor asks
	 * for them every few refreshes). The status's table counts are kept
	 * fresh either way where the provider can count cheaply. */
	bool want_tables;
	/* CloudWatch series (dms) for the console's metrics pane; none for
	 * postgres, whose figures the monitor collects from the databases. */
	struct series *metrics;
	size_t nmetrics;
	void *impl;            /* the provider's own state */
};

/* Creates the provider the config names. Returns NULL with e set. */
struct provider *provider_new(struct loop *loop, const struct config *cfg,
    struct err *e);
void provider_free(struct provider *p);

/* The two implementations. */
struct provider *provider_postgres_new(struct loop *loop,
    const struct config *cfg, struct err *e);
struct provider *provider_dms_new(struct loop *loop, const struct config *cfg,
    struct err *e);

#endif
