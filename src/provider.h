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

/* Where a replication starts (DMS CdcStartPosition): reverse, the LSN of
 * the reverse slot on the target, taken before the target took a write;
 * forward after a rollback, the source's LSN past what came back. */
struct provider_position {
	char *lsn;             /* PostgreSQL LSN, "0/16B3748" */
	int64_t time_ms;       /* unused: PostgreSQL sources have no CDC start time */
};

/* What the replication's own settings say before a run (pre_validation):
 * fails refuse it, warns need the operator's consent, facts are what was
 * read (for the event log). One line each. */
struct provider_check {
	struct strbuf fails;
	struct strbuf warns;
	struct strbuf facts;
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

	/* Starts or resumes forward replication (idempotent); from
	 * resume_from when it is set. */
	void (*start)(struct provider *p, provider_done_fn done, void *arg);

	/* Starts replication from target to source from pos (idempotent;
	 * dms: pos->lsn is required, and a reverse task running from
	 * elsewhere is restarted from it). */
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

	/* Reads and judges the replication's settings into out (NULL: the
	 * provider has none to check). */
	void (*check)(struct provider *p, struct provider_check *out,
	    provider_done_fn done, void *arg);

	/* Which tables the replication selects, for validation's coverage
	 * (NULL: none to read; postgres's publication is read from the
	 * source). dms: the forward task's TableMappings, read with
	 * DescribeReplicationTasks; on rc 0 *out is that JSON text (NULL when
	 * the task has none), the caller's to free. */
	void (*table_mappings)(struct provider *p, char **out,
	    provider_done_fn done, void *arg);
};

struct provider {
	const struct provider_ops *ops;
	struct loop *loop;
	const struct config *cfg;
	struct repl_status status;
	struct table_list tables;
	/* start() skips what the source wrote before this position: after a
	 * reverse replication, the changes it brought back. */
	struct provider_position resume_from;
	/* refresh() leaves p->tables as it is when false: per-table figures of
	 * thousands of tables are not needed every second (the monitor asks
	 * for them every few refreshes). The status's table counts are kept
	 * fresh either way where the provider can count cheaply. */
	bool want_tables;
	/* refresh() reads the reverse replication into p->reverse too (its
	 * status, the slot on the target, its WAL) while this is set: from
	 * the moment it may run (the monitor sets it by the run's direction).
	 * reverse.status stays NULL while it is not read. */
	bool want_reverse;
	struct repl_status reverse;
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
