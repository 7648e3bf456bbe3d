/* lab.h - the local rehearsal lab: a source and a target PostgreSQL
 * cluster, pgbouncer in front of the source, a financial schema with
 * native logical replication between them, a cutover.conf for it, and a
 * pgbench load whose per-transaction log is judged afterwards (failed,
 * lost and duplicated transactions, the longest stall).
 *
 * Layout of the lab directory D:
 *   lab.json              what the lab is (ports, user, state); the marker
 *                         `lab down` needs before it removes D
 *   lab.lock              held by up, load and down while they work
 *   cutover.conf          the configuration for the cutover on this lab
 *   state/                the cutover's state_dir
 *   source/, target/      data/, server.log, initdb.log, pg_ctl.log
 *   pgbouncer/            pgbouncer.ini, databases.ini (%include'd: the
 *                         switch rewrites its entry), userlist.txt, log, pid
 *   load/transfer.sql     the pgbench script
 *   load/N/               load N: load.json, pgbench.out, txn.* (pgbench -l),
 *                         exit.json (pgbench's exit status, when it ended),
 *                         judgement.json (`lab status`'s verdict once it
 *                         ended, for `cutover report`)
 *   dms/                  --provider dms: the DMS emulator (its copy, its
 *                         emulator.json, port, tasks.json, requests.jsonl,
 *                         emulator.log, emulator.pid)
 *   aws/                  --provider dms: config and credentials of the
 *                         profile cutover-lab, for the emulator
 *
 * As root, every process the lab starts runs as an unprivileged user:
 * $CUTOVER_LAB_USER, else postgres if it exists, else nobody. */
#ifndef CUTOVER_LAB_H
#define CUTOVER_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util.h"

#define LAB_DEFAULT_DIR "./cutover-lab"
#define LAB_DEFAULT_ROWS 1000000
#define LAB_MIN_ROWS 1000
#define LAB_MAX_ROWS 1000000000
#define LAB_DB "app"
#define LAB_APP_ROLE "app_rw"
#define LAB_SUPERUSER "postgres"
#define LAB_PUBLICATION "cutover_pub"
#define LAB_SUBSCRIPTION "cutover_sub"
#define LAB_FILE "lab.json"

enum lab_state { LAB_NONE, LAB_BUILDING, LAB_UP, LAB_FAILED };

enum lab_side { LAB_SOURCE, LAB_TARGET };

struct lab {
	char *dir;                /* absolute */
	char *bindir;             /* $PG_BINDIR, else configure's PG_BINDIR */
	char *user;               /* who runs the servers, pgbouncer, pgbench */
	uid_t uid;
	gid_t gid;
	bool switch_user;         /* we are root: children drop to user */
	int lock_fd;

	/* lab.json */
	enum lab_state state;
	char *step;               /* building: in progress; failed: where */
	char *error;              /* failed: what went wrong */
	pid_t builder;            /* building: the pid of `lab up` */
	int64_t created_ms;
	int64_t ready_ms;
	int64_t rows;
	int64_t accounts;         /* account ids are 1..accounts */
	char *total_balance;      /* sum(accounts.balance): moving money keeps it */
	int source_port;
	int target_port;
	int bouncer_port;
	/* --provider: "postgres", or "dms" with the DMS emulator (lab-dms.c) */
	char *provider;
	int dms_port;
};

/* lab.c: the directory, lab.json, processes. */
int lab_open(struct lab *lab, const char *dir, struct err *e);
/* Reads lab.json again (after taking the lock). */
int lab_reload(struct lab *lab, struct err *e);
void lab_free(struct lab *lab);
/* Whether D holds a lab.json (any state). */
bool lab_exists(const struct lab *lab);
int lab_save(const struct lab *lab, struct err *e);
const char *lab_state_name(enum lab_state s);
const char *lab_side_name(enum lab_side side);
int lab_side_port(const struct lab *lab, enum lab_side side);
/* D/<rel>, the caller frees. */
char *lab_path(const struct lab *lab, const char *rel);
/* Takes D/lab.lock; fails naming the holder's purpose when busy. */
int lab_lock(struct lab *lab, struct err *e);
/* mkdir D/<rel> (0700 for the user's directories, else 0755). */
int lab_mkdir(const struct lab *lab, const char *rel, bool for_user,
    struct err *e);
int lab_write_file(const struct lab *lab, const char *rel, const char *text,
    mode_t mode, bool for_user, struct err *e);
/* Whether the lab user can enter D (as root, the parents of D may be
 * closed to it); why names the directory that is not. */
bool lab_user_can_enter(const struct lab *lab, char *why, size_t whylen);
/* Runs argv as the lab user in D with stdout and stderr appended to
 * out_path (D-relative); returns its exit status (128+N for a signal),
 * or -1 with e set when it could not be started. */
int lab_run(const struct lab *lab, const char *const *argv,
    const char *out_rel, struct err *e);
/* lab_run in two halves, to run several at once. */
pid_t lab_start(const struct lab *lab, const char *const *argv,
    const char *out_rel, struct err *e);
int lab_wait(const struct lab *lab, pid_t pid, const char *const *argv,
    const char *out_rel, struct err *e);
/* Runs argv as the lab user, detached (own session, reparented), with a
 * small monitor process that writes its pid to pid_rel at once and
 * {"exit": N} or {"signal": N} to status_rel when it ends. Returns argv's
 * pid (and the monitor's). */
pid_t lab_spawn_detached(const struct lab *lab, const char *const *argv,
    const char *out_rel, const char *pid_rel, const char *status_rel,
    pid_t *monitor, struct err *e);
/* Whether pid runs (a zombie does not: PID 1 may not reap) and, when comm
 * is given and /proc tells, is a process of that name. */
bool lab_proc_alive(pid_t pid, const char *comm);
/* Signals pid with each of sigs in turn, waiting up to wait_ms[i] after
 * each, until it no longer runs. Returns 0 when it stopped. */
int lab_proc_stop(pid_t pid, const char *comm, const int *sigs,
    const int *wait_ms, size_t n);
/* The positive number a small file of the lab (a pid or port file, rel to
 * its directory) begins with, or 0 when it is missing or holds none. */
long lab_file_number(const struct lab *lab, const char *rel);
/* The first NAME in $PATH that can be run (allocated), or NULL. */
char *lab_which(const char *name);
/* The postmaster of a side, or 0 when it does not run. */
pid_t lab_server_pid(const struct lab *lab, enum lab_side side);
pid_t lab_bouncer_pid(const struct lab *lab);
/* Removes postmaster.pid and pgbouncer.pid files whose process is gone (a
 * zombie of a crashed one would make the server think it still runs). */
void lab_remove_stale_pid_files(const struct lab *lab);
/* Stops a side's postmaster (fast, then immediate, then kill) and waits
 * for its children. */
int lab_server_stop(const struct lab *lab, enum lab_side side, struct err *e);
int lab_bouncer_stop(const struct lab *lab, struct err *e);
/* Stops everything the lab started: the load, the DMS emulator,
 * pgbouncer, both servers (lab-stop.c). */
int lab_stop_all(const struct lab *lab, struct err *e);
/* Made with --provider dms. */
bool lab_is_dms(const struct lab *lab);
/* rm -r D; refuses a directory without lab.json. */
int lab_remove(const struct lab *lab, struct err *e);
/* A TCP port on 127.0.0.1 nothing listens on right now, not in avoid. */
int lab_free_port(const int *avoid, size_t navoid);
void lab_sleep_ms(int ms);
/* "12 kB", "340 MB" */
const char *lab_bytes(int64_t b, char *buf, size_t len);
/* libpq conninfo of a server of the lab. */
char *lab_conninfo(int port, const char *dbname, const char *user);
/* Progress lines: on a terminal they are rewritten in place. */
void lab_progress(const char *fmt, ...) PRINTF_LIKE(1, 2);
void lab_progress_done(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* The last lines of a D-relative file, indented, for error messages. */
char *lab_tail(const struct lab *lab, const char *rel, int lines);

/* lab-up.c */
/* Builds the lab in D (the caller holds the lock; D holds nothing else;
 * lab->provider says which). */
int lab_up(struct lab *lab, int64_t rows, struct err *e);
/* Removes everything in D but the lock (a half-built lab). */
int lab_clear(struct lab *lab, struct err *e);
/* Whether dir is missing or holds nothing but a lab.lock. */
bool lab_dir_unused(const char *dir);
int lab_mkdir_p(const char *dir, struct err *e);
/* Starts the stopped parts of a lab that is up (after a reboot).
 * *restarted gets their names. */
int lab_restart_stopped(struct lab *lab, char *restarted, size_t len,
    struct err *e);

/* lab-dms.c: --provider dms, the DMS emulator beside the clusters. */
#define LAB_DMS_PROFILE "cutover-lab"
#define LAB_DMS_REGION "us-east-1"
#define LAB_DMS_FORWARD_ARN \
	"arn:aws:dms:us-east-1:123456789012:task:LABFORWARDTASK0000000000000"
#define LAB_DMS_REVERSE_ARN \
	"arn:aws:dms:us-east-1:123456789012:task:LABREVERSETASK0000000000000"
#define LAB_DMS_REVERSE_SLOT "cutover_reverse"
#define LAB_DMS_REVERSE_PUB "dms_reverse_pub"
#define LAB_DMS_REVERSE_SUB "dms_reverse_sub"
#define LAB_DMS_CLUSTER "cutover-lab-target"
/* The emulator's source: $CUTOVER_DMS_EMULATOR, else the installed one. */
const char *lab_dms_emulator_source(void);
/* Checks that the emulator and Python with psycopg2 are there. */
int lab_dms_check(const struct lab *lab, struct err *e);
/* The reverse task's publication (target) and subscription (source),
 * the profile's files and the emulator's configuration. */
struct loop;
int lab_dms_prepare(struct loop *loop, struct lab *lab, struct err *e);
/* Starts the emulator (new_port: choose its port) and waits until it
 * listens. */
int lab_dms_start(struct lab *lab, bool new_port, struct err *e);
pid_t lab_dms_pid(const struct lab *lab);
int lab_dms_stop(const struct lab *lab, struct err *e);
/* "AWS_CONFIG_FILE=... AWS_SHARED_CREDENTIALS_FILE=... AWS_PROFILE=..." */
char *lab_dms_env(const struct lab *lab);

/* lab-data.c: the schema, the rows, the pgbench script. */
struct pg;
/* Table and sequence DDL with primary keys (run on both sides). */
extern const char lab_schema_tables_sql[];
/* Secondary indexes, foreign keys, grants (after the rows on the source). */
extern const char lab_schema_constraints_sql[];
/* The application tables, in load order. */
extern const char *const lab_tables[];
extern const size_t lab_ntables;
/* How many rows each table gets for a total of rows. */
void lab_rows_split(int64_t rows, int64_t counts[]);
/* Fills the source's tables, showing progress (flow_run: for a command's
 * top level only). */
int lab_generate(struct loop *loop, struct pg *src, int64_t rows,
    int64_t *accounts, struct err *e);
/* A statement of a lab script: what it does (for its error) and its text
 * (several statements may share one, on the simple protocol). */
struct lab_sql {
	const char *what;
	const char *text;
};
/* Runs n statements on c in order (a flow, run with flow_run: for a
 * command's top level only), stopping at the first that fails; its error
 * is prefixed with its what. */
int lab_sql_run(struct loop *loop, struct pg *c, const struct lab_sql *sql,
    size_t n, struct err *e);
/* The pgbench script of one money movement. */
extern const char lab_transfer_script[];

/* lab-load.c */
struct lab_load {
	int id;
	pid_t pid;               /* pgbench */
	pid_t monitor;
	int rate;
	int duration;
	int clients;
	int64_t started_ms;
	/* from exit.json when pgbench has ended */
	bool ended;
	int exit_code;           /* -1 unknown */
	int exit_signal;         /* 0 none */
	int64_t ended_ms;
};
/* The latest load (0: none; 1: found; -1: error). */
int lab_load_latest(const struct lab *lab, struct lab_load *ld,
    struct err *e);
bool lab_load_running(const struct lab_load *ld);
int lab_load_start(struct lab *lab, int rate, int duration, int clients,
    struct lab_load *out, struct err *e);
/* Stops a running load (SIGINT to pgbench; waits). */
int lab_load_stop(const struct lab *lab, const struct lab_load *ld,
    struct err *e);

/* lab-judge.c: the verdict on a load. */
struct lab_client {
	int client;
	int64_t committed;       /* log lines that committed */
	int64_t failed;          /* log lines "failed" */
	int64_t found;           /* distinct refs of this client on the primary */
	int64_t lost;
	int64_t duplicated;
	int64_t unconfirmed;
};
struct lab_judgement {
	/* from pgbench's log and output */
	int64_t transactions;    /* log lines */
	int64_t committed;
	int64_t failed;          /* "failed" log lines + pgbench's count */
	int aborted_clients;     /* "client N aborted" in pgbench's output */
	char *pgbench_error;     /* the first error line of its output */
	double max_latency_ms;
	double max_gap_ms;       /* longest time between two commits */
	int64_t max_gap_at_ms;   /* when that gap ended (wall) */
	int64_t first_commit_ms;
	int64_t last_commit_ms;
	/* against the primary */
	bool compared;
	char *primary;           /* "source", "target" or host:port */
	char *primary_conninfo;
	int64_t found;
	int64_t lost;
	int64_t duplicated;
	int64_t unconfirmed;
	char **lost_refs;        /* up to LAB_MAX_REFS */
	size_t nlost_refs;
	char **duplicated_refs;
	size_t nduplicated_refs;
	bool balance_checked;
	bool balance_ok;
	char *balance_total;     /* sum(accounts.balance) on the primary now */
	char *balance_expected;  /* ... and when the lab was built */
	struct lab_client *clients;
	size_t nclients;
	bool passed;
	char *verdict;           /* one line: why it failed, or "passed" */
	struct lab_judge_acc *acc;   /* per client, lab-judge.c's own */
};
#define LAB_MAX_REFS 20

/* One pgbench -l line: "client txno time script epoch us [lag [retries]]".
 * time is microseconds, or "failed"/"skipped"/"serialization"/"deadlock".
 * Returns 0, or -1 for a line that is not one. */
struct lab_logline {
	int client;
	int64_t txno;
	bool committed;
	int64_t latency_us;
	int64_t end_us;          /* wall time it ended, µs since the epoch */
};
int lab_parse_logline(const char *line, struct lab_logline *out);

/* Reads load ld's logs and pgbench's output (j must be zeroed). */
int lab_judge_logs(const struct lab *lab, const struct lab_load *ld,
    struct lab_judgement *j, struct err *e);
/* Parses pgbench's output: failed count, aborted clients, first error. */
void lab_judge_output(const char *text, struct lab_judgement *j);
/* Compares with the transfers on the primary (where the application
 * points now: pgbouncer's entry). Runs the loop (flow_run): for a
 * command's top level only. */
int lab_judge_primary(struct loop *loop, struct pg *primary,
    const struct lab *lab, const struct lab_load *ld, struct lab_judgement *j,
    struct err *e);
/* Sets passed and verdict. */
void lab_judge_finish(const struct lab_load *ld, struct lab_judgement *j);
void lab_judgement_free(struct lab_judgement *j);

/* Where pgbouncer's app entry points: parses "host=... port=... dbname=..."
 * of the `app` line in databases.ini. Returns 0 and sets host, port, dbname
 * (the caller frees), or -1 with e set. */
int lab_bouncer_entry(const struct lab *lab, char **host, int *port,
    char **dbname, struct err *e);

#endif
