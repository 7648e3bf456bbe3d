/* orch-internal.h - what the orchestrator's engine (orchestrator.c) and
 * its step files (step-*.c) share. Not for views: they use
 * orchestrator.h. */
#ifndef CUTOVER_ORCH_INTERNAL_H
#define CUTOVER_ORCH_INTERNAL_H

#include <stdio.h>
#include <sys/types.h>

#include "flow.h"
#include "heartbeat.h"
#include "orchestrator.h"
#include "pg.h"

/* A step: one idempotent action of a phase or of the rollback. Its flow
 * first looks whether the action already happened (then it logs a
 * `check` and ends), else logs the `action` (fsync), takes it, and
 * verifies it. */
struct step {
	const char *name;          /* "pgbouncer.pause": in the log */
	bool (*applies)(struct orch *o);    /* NULL: always */
	/* One line a statement: plain words, then the exact call. */
	void (*describe)(struct orch *o, struct strbuf *out);
	const flow_step *flow;     /* ctx = the orch */
};

struct phase_def {
	enum phase_id id;
	const char *title;
	enum danger danger;
	const struct step *const *steps;
};

struct orch {
	struct loop *loop;
	const struct config *cfg;
	char *state_dir;
	struct eventlog *log;
	struct provider *prov;
	struct orch_ui ui;
	struct orch_opts opts;
	struct state st;

	struct pg *src;            /* the migrator on the source */
	struct pg *dst;            /* ... on the target */
	struct pg *bouncer;        /* pgbouncer's admin console, or NULL */
	struct heartbeat *hb;

	/* What runs now. */
	bool busy;
	bool rolling_back;
	bool abort_asked;
	enum phase_id until;
	const struct phase_def *phase;      /* forward phase running, or NULL */
	const struct step *const *steps;    /* the list being run */
	size_t step_index;
	const struct step *step;            /* the step running */
	struct flow *flow;
	orch_done_fn done;
	void *done_arg;
	int exit_code;
	char *why;

	/* The action logged and taken, whose outcome is not logged yet. */
	char *act_what;
	char *act_detail;
	int64_t act_t0;

	/* The pending question. */
	bool asking;
	char *q_title, *q_plan, *q_warnings;
	void (*on_answer)(struct orch *o, bool yes);

	/* The switch timeout. */
	struct loop_timer *switch_timer;
	/* Lag samples for the report, one a second while a run goes. */
	struct loop_timer *sampler;
	bool sampling;

	/* Step scratch, reset when a step starts. */
	int k;                     /* an index a step loops with */
	int64_t t0;                /* a step's own clock (mono ms) */
	PGresult *saved;           /* a result kept across flow steps */
	struct validation *validation;
	struct validation *last_validation;
	bool validation_done;
	struct loop_timer *aux_timer;
	/* The lag gate. */
	struct orch_gate gate;
	bool gate_active;
	int64_t held_since;        /* mono ms; 0 = not below the threshold */
	/* A child process (switch command). */
	pid_t child;
	struct loop_io *child_io;
	struct strbuf child_out;
	int child_status;
	bool child_exited, child_eof;
	struct loop_timer *child_timer;
};

/* Logging: every event carries the current phase. Return -1 (with e set)
 * when the log cannot be written: the action must then not be taken. */
int orch_log(struct orch *o, const char *kind, cJSON *data, struct err *e,
    const char *fmt, ...) PRINTF_LIKE(5, 6);
/* Logs `action` for the running step; detail is the statement. */
int orch_act(struct flow *f, const char *what, const char *detail);
/* orch_act(), then the statement on c (simple protocol): FLOW_QUERY, or
 * FLOW_FAIL when the log could not be written. */
int orch_act_sql(struct flow *f, struct pg *c, const char *what,
    const char *sql);
/* Logs `check`: the running step found its action already done. */
int orch_already(struct flow *f, const char *what);
/* Replaces state.json; failure fails the flow. */
int orch_save(struct flow *f);
void orch_progress(struct orch *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
void orch_changed(struct orch *o);

#define O(f) ((struct orch *)(f)->ctx)

/* The steps (step-*.c) and the lists they make (phases.c). */
extern const struct step step_config_check, step_schema_check,
    step_quick_validation, step_full_validation, step_lag_gate, step_arm,
    step_window_open, step_pgbouncer_pause, step_roles_nologin,
    step_database_readonly, step_sessions_drain, step_fenced, step_final_sync,
    step_replication_stop, step_replication_reverse, step_sequences,
    step_pgbouncer_repoint, step_switch_command, step_unfence_target,
    step_pgbouncer_resume, step_switched, step_reverse_catchup,
    step_sequences_back, step_reverse_stop, step_forward_start,
    step_unfence_source, step_target_pause, step_target_nologin,
    step_target_readonly, step_target_drain, step_target_fenced,
    step_forward_start_skip, step_unfence_source_early,
    step_replication_settings, step_reverse_slot, step_reverse_slot_drop;
extern const struct phase_def orch_phases[PHASE_COUNT];
extern const struct step *const *const orch_rollback_steps_ptr;
#define orch_rollback_steps orch_rollback_steps_ptr

/* Shared by steps: pgbouncer's entry for the target, and SQL builders
 * (used both to act and to describe, so the two cannot differ). */
char *pgbouncer_target_entry(const struct config *cfg);
char *sql_role_login(const char *role, bool login);
char *sql_database_readonly(const char *dbname, bool on);
extern const char SQL_APP_SESSIONS[];
extern const char SQL_TERMINATE_APP_SESSIONS[];

/* The roles of [drain] roles as a PostgreSQL text[] literal parameter. */
char *roles_array(const struct config *cfg);

/* Child processes: SIGCHLD is delivered through the loop. */
void orch_child_reap(struct orch *o);

/* Asks the operator from inside a step (a warning to override). */
void orch_ask(struct orch *o, const char *title, const char *plan,
    const char *warnings, enum danger danger,
    void (*on_answer)(struct orch *o, bool yes));
/* A step set fenced_at or switched: (re)arms the switch timeout. */
void orch_switch_window_changed(struct orch *o);
/* Starts or stops the heartbeat writer on the source. */
void orch_heartbeat(struct orch *o, bool on);

/* A PostgreSQL array literal of strings, for text[] parameters. */
char *pg_array_literal(char *const *items, size_t n);
/* conninfo without its password, for a child's environment. */
char *conninfo_without_password(const char *conninfo);

#endif
