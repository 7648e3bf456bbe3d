/* validate.h - the seven checks of INTERFACE.md: replication_status,
 * replication_lag, row_counts, checksums, sequences, primary_keys and
 * schema. A validation runs asynchronously on the loop (the console
 * keeps answering) and ends as the JSON of `cutover validate --output`.
 *
 * Coverage is explicit: every user table of the source (plain or
 * partitioned, in every schema but the system ones and cutover's) is
 * compared, excluded by [validation] exclude_tables, or not replicated
 * (not in the publication, not selected whole by the DMS task's table
 * mappings (dms-mappings.h), or unlogged) - a failure naming it and why;
 * an error when DMS renames it, or its mappings cannot be read.
 * A check that compared nothing is never `pass`. */
#ifndef CUTOVER_VALIDATE_H
#define CUTOVER_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "conf.h"
#include "loop.h"
#include "provider.h"

struct schema_result;          /* schema-diff.h */

/* What a table's checksum or count found, for progress and the console. */
struct validate_progress {
	const char *table;         /* schema.name */
	const char *what;          /* "checksum", "count" */
	enum check_status status;
	int64_t rows;
	double seconds;
	const char *detail;
	size_t tables_done, tables_total;
};

struct validate_opts {
	bool full;                 /* exact counts and checksums */
	char **only;               /* --table patterns (tablepat.h), already
	                              parsed once by the caller; may be NULL */
	size_t nonly;
	int jobs;                  /* connections per side; 0 = [validation] jobs */
	bool probe_lag;            /* write a heartbeat and time it to the target */
	bool sequences_synced;     /* the run synced sequences: behind is a
	                              failure (before, it is expected: a warning) */
	bool after_switch;         /* the application writes to the target:
	                              forward replication is stopped by design,
	                              the reverse one is what runs */
	void (*progress)(const struct validate_progress *pr, void *arg);
	void *progress_arg;
};

/* Where a source table ends up in a table check. */
enum table_coverage {
	COVERAGE_COMPARED,
	COVERAGE_EXCLUDED,         /* by [validation] exclude_tables */
	COVERAGE_NOT_REPLICATED
};

/* One table's result in row_counts or checksums: what the console's CHECK
 * column, `validate`'s summary and the JSON read. Unknown numbers are -1
 * (null in the JSON). */
struct table_result {
	char *table;               /* schema.name */
	enum check_status status;
	char *detail;              /* NULL: none */
	enum table_coverage coverage;
	int64_t source, target;    /* row_counts: the two counts */
	int64_t rows;              /* checksums: the source's rows */
	int chunks, mismatched_chunks;
	cJSON *mismatched_keys;    /* checksums: [{"key", "diff"}], owned;
	                              NULL: none */
	bool keys_truncated;
	int64_t partitions;        /* a partitioned table's leaves, -1 not one */
	const char *replica_identity;  /* primary_keys: "full", "index", ... */
};

/* One sequence of the sequences check. */
struct sequence_result {
	char *sequence;            /* schema.name */
	bool has_source, has_target;   /* false: never used, or missing */
	int64_t source, target;    /* last_value (may be negative) */
	enum check_status status;
	char *detail;              /* NULL: none */
};

/* One check's result, owned by its validation. Beside the status, the
 * detail and the counts every check has, each check fills its own part;
 * the JSON gives a part's keys only when listed (or, for numbers, when
 * known) says so. */
struct check_result {
	enum check_status status;
	char *detail;              /* NULL: none */
	size_t compared, excluded, not_replicated;
	bool listed;               /* its list ("tables", "sequences",
	                              "tables_without_pk", the schema's
	                              "differences" and "not_carried") */
	/* row_counts, checksums ("tables"); primary_keys ("tables_without_pk":
	 * table and replica_identity only). */
	struct table_result *tables;
	size_t ntables, cap;
	const char *method;        /* row_counts: "exact" | "estimate";
	                              checksums: "full" | "sample"; NULL */
	double sample_percent;     /* checksums sampled; NAN otherwise */
	/* replication_status */
	int64_t wal_retained_bytes;    /* -1: not said */
	/* replication_lag: value_seconds (NAN: null) always once lag_given;
	 * the threshold and both measurements only once lag_measured. */
	bool lag_given, lag_measured;
	double value_seconds, threshold_seconds, end_to_end_seconds,
	    provider_seconds;
	/* sequences */
	struct sequence_result *sequences;
	size_t nsequences, seq_cap;
	/* schema: the differences and what replication does not carry */
	struct schema_result *schema;
};

struct validation;
typedef void (*validation_done_fn)(struct validation *v, void *arg);

/* Starts a validation. provider may be NULL (one is made and freed). done
 * runs from the loop when every check has a result. */
struct validation *validation_start(struct loop *loop,
    const struct config *cfg, struct provider *provider,
    const struct validate_opts *opts, validation_done_fn done, void *arg);
/* Stops a running validation (done is not called) or frees a finished one. */
void validation_free(struct validation *v);

/* After done: the JSON of INTERFACE.md, written from the typed results
 * by this one writer (the caller's to delete, but it refers to v's
 * results: use it before validation_free), whether it passed,
 * and the exit code: 0 passed, 1 a check failed, 2 a --table pattern
 * matched no table (validation_usage_error() says which), 3 a check could
 * not run. */
cJSON *validation_json(const struct validation *v);
bool validation_passed(const struct validation *v);
int validation_exit_code(const struct validation *v);
const char *validation_usage_error(const struct validation *v);
enum check_status validation_check_status(const struct validation *v,
    enum check_id c);
const char *validation_check_detail(const struct validation *v,
    enum check_id c);
/* The typed result of check c (valid until validation_free). */
const struct check_result *validation_result(const struct validation *v,
    enum check_id c);
/* "full" or "quick". */
const char *validation_mode(const struct validation *v);
/* The data of the `check` event a finished validation is logged with,
 * wherever it ran (cmd-validate.c, step-gates.c, console.c): {"mode",
 * "passed", "file" (where it was saved; left out when NULL), "checks"
 * ({"<check>": "<status>", ...})}. The caller may add its own keys. */
cJSON *validation_event_data(const struct validation *v, const char *file);

/* Writes the JSON to <state_dir>/validation/<started_at>.json (0600) and,
 * when path is not NULL, to path too. *saved receives the first file. */
int validation_save(const struct validation *v, const char *state_dir,
    const char *path, char **saved, struct err *e);

#endif
