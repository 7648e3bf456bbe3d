/* conf.h - cutover.conf: typed, validated settings with defaults. */
#ifndef CUTOVER_CONF_H
#define CUTOVER_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum provider_kind { PROVIDER_DMS, PROVIDER_POSTGRES };
enum drain_method { DRAIN_PGBOUNCER, DRAIN_TERMINATE, DRAIN_READONLY };
enum switch_method { SWITCH_PGBOUNCER, SWITCH_COMMAND };
/* What the fence does with sessions of other roles that hold writes. */
enum other_writers { OTHER_WRITERS_WAIT, OTHER_WRITERS_TERMINATE };

struct strlist {
	char **v;
	size_t n;
};

/* A row-count tolerance: absolute rows, or a percentage of the source. */
struct tolerance {
	bool percent;
	double value;
};

struct config {
	char *path;          /* the file it came from, or NULL for defaults */

	/* [cutover] */
	char *environment;
	char *state_dir;
	bool rehearsal;

	/* [source], [target] */
	char *source_conninfo;
	char *target_conninfo;
	char *target_reader_conninfo;   /* NULL when unset */

	/* [replication] */
	enum provider_kind provider;
	char *region;                   /* NULL: AWS_REGION / profile */
	char *task_arn;
	char *reverse_task_arn;
	char *publication;
	char *subscription;

	/* [validation] */
	double max_lag_seconds;
	double lag_hold_seconds;
	double lag_wait_seconds;
	struct tolerance row_count_tolerance;
	double checksum_sample_percent; /* 100 = full */
	int jobs;
	struct strlist exclude_tables;

	/* [drain] */
	enum drain_method drain_method;
	struct strlist roles;
	char *pgbouncer_admin;
	char *pgbouncer_database;
	double drain_wait_seconds;
	enum other_writers other_writers;

	/* [switch] */
	enum switch_method switch_method;
	char *switch_command;
	double switch_timeout_seconds;
	bool switch_confirm;            /* hold after sequence_sync and ask */
	char *pgbouncer_databases_file;
	char *pgbouncer_target;

	/* [sequences] */
	int64_t sequence_margin;

	/* [rollback] */
	bool reverse_replication;
	char *reverse_conninfo;
	char *reverse_publication;
	char *reverse_subscription;
	char *reverse_slot;             /* dms: created on the target */
	char *reverse_slot_plugin;      /* test_decoding | pglogical | pgoutput */

	/* [metrics] */
	bool cloudwatch;
	int period_seconds;
	char *aurora_cluster;
	int task_poll_seconds;          /* DescribeReplicationTasks at most this often */
	int table_poll_seconds;         /* DescribeTableStatistics */

	char *metrics_listen;           /* [HOST]:PORT of /metrics, NULL off */

	/* [hooks]: event kind (or "any") = command */
	double hooks_timeout_seconds;
	struct hook_def {
		char *kind;
		char *command;
		int line;               /* where cutover.conf set it */
	} *hooks;
	size_t nhooks;

	/* [watch] */
	char *watch_listen;
	char *watch_cert_file;
	char *watch_key_file;
	char *watch_token_file;
};

/* Fills c with every default. */
void config_defaults(struct config *c);
void config_free(struct config *c);

/* Parses buf (name is used in FILE:LINE messages) into c, which must hold
 * the defaults. Unknown sections and keys, duplicates, bad values and
 * missing required keys set e (EXIT_USAGE) and return -1. */
int config_parse(struct config *c, const char *name, const char *buf,
    size_t len, struct err *e);

/* Reads and parses path. */
int config_load(struct config *c, const char *path, struct err *e);
/* The same for a watcher's own file (`watch --hooks`): every key is
 * checked, but required ones may be missing - it connects to nothing. */
int config_load_partial(struct config *c, const char *path, struct err *e);

/* Where the config comes from: the -c option, $CUTOVER_CONFIG, or
 * ./cutover.conf. *explicit is set when the user named it. */
const char *config_default_path(const char *option, bool *explicit_path);

/* Writes the commented template with every key. values (may be NULL) maps
 * "section.key" to a value to fill in instead of the default. */
struct kv {
	const char *key;
	const char *value;
};
char *config_template(const struct kv *values, size_t nvalues);

const char *provider_name(enum provider_kind p);

/* conninfo (key=value or a URI) rewritten as key=value pairs, in libpq's
 * order, without the empty ones; its password and sslpassword become
 * ******** or, with CONNINFO_DROP_SECRETS, are left out. A value is quoted
 * (libpq's '...' with \' and \\) when it holds a space, a quote or a
 * backslash, or always with CONNINFO_QUOTE_ALL. "" for NULL, NULL when
 * libpq cannot parse it. */
#define CONNINFO_DROP_SECRETS 0x1
#define CONNINFO_QUOTE_ALL 0x2
char *conninfo_safe(const char *conninfo, int flags);
/* For messages and logs: conninfo_safe(conninfo, 0), or a placeholder
 * when it cannot be parsed. */
char *conninfo_redact(const char *conninfo);

#endif
