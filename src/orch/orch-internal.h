/* orch-internal.h - what the orchestrator's engine (orchestrator.c) and
 * its step files (step-*.c) share. Not for views: they use
 * orchestrator.h. */
#ifndef CUTOVER_ORCH_INTERNAL_H
#define CUTOVER_ORCH_INTERNAL_H

#include <stdio.h>

#include "flow.h"
#include "heartbeat.h"
#include "orchestrator.h"
#include "pg.h"
#include "pgbouncer.h"

/* Which database a step acts on: the fence and its undo exist for both
 * sides, as explicit variants (the target's in a rollback after the
 * application wrote there). */
enum step_side { SIDE_SOURCE, SIDE_TARGET };

/* What a step keeps while it runs, as tmux's modes keep theirs: size
 * bytes, zeroed, made when the step starts (orch_step_data() returns
 * them) and freed when it ends, done or abandoned. Nothing a step keeps
 * lives in struct orch. */
struct step_data_def {
	size_t size;
	/* Before the free: cancels what is pending (timers, queries, a
	 * validation; a child is killed and reaped). NULL: nothing. */
	void (*cancel)(void *data);
	/* SIGCHLD arrived (through the loop) while the step runs: it reaps
	 * its own child, and only that. NULL: it starts none. */
	void (*on_child)(void *data);
};

/* A step: one idempotent action of a phase or of the rollback. Its flow
 * first looks whether the action already happened (then it logs a
 * `check` and ends), else logs the `action` (fsync) and records in
 * state.json what it will change (write-ahead), takes it, and verifies
 * it. */
struct step {
	const char *name;          /* "pgbouncer.pause": in the log */
	bool (*applies)(struct orch *o);    /* NULL: always */
	/* One line a statement: plain words, then the exact call. */
	void (*describe)(struct orch *o, struct strbuf *out);
	const flow_step *flow;     /* f->ctx: the orch */
	enum step_side side;
	/* In a rollback: a failure (cleaning up on a dead target) is
	 * reported at the end and the rollback goes on. */
	bool best_effort;
	const struct step_data_def *data;   /* NULL: it keeps nothing */
};

/* Where pgbouncer's entry points. */
enum where { AT_UNKNOWN, AT_SOURCE, AT_TARGET, AT_ELSEWHERE };

/* The live world as last looked at (world.c), and what it decides. */
struct world {
	bool looked;
	bool bouncer_ok;           /* pgbouncer answered SHOW DATABASES */
	bool paused;
	enum where live_at;        /* SHOW DATABASES */
	enum where file_at;        /* pgbouncer_databases_file */
	bool target_ok;            /* answers, and is not a standby */
	int target_writes;         /* transactions not cutover's on the target
	                              since the switch began; -1 unknown */
	bool forward_running;
	char why[512];             /* what could not be seen */
	/* Decided: */
	bool let_in;               /* the application writes on the target:
	                              the switch is done in the world */
	bool on_target;            /* it may have written there */
};
typedef void (*world_fn)(struct orch *o);

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

	/* The live world, as the last look saw it. */
	struct world world;

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
	/* An automatic undo waiting for its look at the world. */
	char *undo_why;
	bool undo_timeout;
	/* What rollback.verify saw hold, for rollback.done. */
	char *verified;
	/* state.json as last written (without the log anchor). */
	char *saved_state;
	/* The state directory filled up: its reserve was released. */
	bool disk_full;

	/* The action logged and taken, whose outcome is not logged yet. */
	char *act_what;
	char *act_detail;
	int64_t act_t0;

	/* The pending question. */
	bool asking;
	char *q_title, *q_plan, *q_warnings;
	enum orch_qkind q_kind;
	enum phase_id q_phase;
	/* The cut's approvals before the fence: from..to, the phase asked
	 * now, and those approved so far (recorded in state.json with the
	 * final confirmation only). */
	enum phase_id cut_from, cut_to, cut_at;
	unsigned cut_pending;
	void (*on_answer)(struct orch *o, bool yes);

	/* The switch timeout. */
	struct loop_timer *switch_timer;
	/* Lag samples for the report, one a second while a run goes. */
	struct loop_timer *sampler;
	bool sampling;

	/* The running step's own data, or NULL, and what it is (the
	 * step's data: it ends with it even once o->step is gone). */
	void *sd;
	const struct step_data_def *sd_def;
	/* Failures of best-effort rollback steps, reported at the end. */
	struct strbuf not_done;

	/* What outlives the step that sets it. The last validation: the
	 * console and `run` show it after its step ended, until the next. */
	struct validation *last_validation;
	/* The lag figures: the gate step sets its threshold and hold, the
	 * sampler the end-to-end lag between gates; phase.started logs it
	 * and the console shows it (orch_gate()). */
	struct orch_gate gate;
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
/* Replaces state.json (anchoring the event log's last seq and hash). */
int orch_state_save(struct orch *o, struct err *e);
/* orch_state_save() from a step: failure fails the flow. */
int orch_save(struct flow *f);
void orch_progress(struct orch *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The side the running step acts on (its `side`): the connection and
 * its name for messages. */
bool orch_on_target(const struct orch *o);
struct pg *orch_side(struct orch *o);
const char *orch_side_name(const struct orch *o);
void orch_changed(struct orch *o);

/* The steps (step-*.c) and the lists they make (phases.c). */
extern const struct step step_config_check, step_schema_check,
    step_quick_validation, step_full_validation, step_lag_gate, step_arm,
    step_window_open, step_pgbouncer_pause, step_roles_nologin,
    step_database_readonly, step_sessions_drain, step_fence_others,
    step_fence_slot, step_fenced, step_final_sync, step_fence_proof,
    step_replication_stop, step_replication_reverse, step_sequences,
    step_switch_target, step_fence_proof_before_switch,
    step_fence_proof_before_resume, step_pgbouncer_repoint,
    step_switch_command,
    step_unfence_target, step_pgbouncer_resume, step_switched,
    step_proof_drop,
    /* the rollback */
    step_target_pause, step_target_nologin, step_target_readonly,
    step_target_drain, step_target_slot, step_reverse_catchup,
    step_target_proof, step_sequences_back, step_pgbouncer_repoint_back,
    step_switch_command_back, step_forward_skip, step_unfence_source,
    step_reverse_stop, step_forward_start, step_proof_drop_back,
    step_rollback_verify,
    /* giving the application back to the target */
    step_target_unfence_giveback, step_pgbouncer_resume_giveback;
extern const struct step step_matviews;	/* step-matviews.c */
extern const struct step step_readiness;	/* step-ready.c */
extern const struct step step_replication_settings, step_reverse_slot,
    step_reverse_slot_drop;	/* step-dms.c */
extern const struct phase_def orch_phases[PHASE_COUNT];
extern const struct step *const orch_rollback_steps[];
extern const struct step *const orch_giveback_steps[];

/* The running step's own data (made from its step->data when it
 * started). */
void *orch_step_data(struct orch *o);
/* The engine's step life (next_step() and the abandon paths; the unit
 * test): orch_step_begin() makes s's data and makes it the running step,
 * orch_step_end() cancels and frees that data. */
void orch_step_begin(struct orch *o, const struct step *s);
void orch_step_end(struct orch *o);
/* The lag gate step is running and waiting (step-gates.c). */
bool lag_gate_waiting(const struct orch *o);

/* Records in state.json, before an effect, that it begins (write-ahead):
 * the step and the statement. orch_act() does it for every action. */
int orch_intent(struct orch *o, const char *what, struct err *e);

/* Looks at the live world (world.c): o->world is filled, then done runs
 * from the loop. */
void world_look(struct orch *o, world_fn done);
/* One line of what the look saw, for logs and questions. */
void world_describe(const struct orch *o, struct strbuf *out);
/* The decisions (let_in, on_target) from what w saw and from the
 * write-ahead records: pure, and unknown is decided on the safe side. */
void world_decide(const struct config *cfg, const struct state *st,
    struct world *w);
const char *where_name(enum where w);

/* Shared by steps: SQL builders (used both to act and to describe, so
 * the two cannot differ). */
/* The proof: transactions other than cutover's (not only cutover.*
 * tables) in a logical slot ($1) that committed after $2 (pg_lsn). */
extern const char SQL_PROOF_COUNT[];
char *sql_role_login(const char *role, bool login);
char *sql_database_readonly(const char *dbname, bool on);
extern const char SQL_APP_SESSIONS[];
extern const char SQL_TERMINATE_APP_SESSIONS[];

/* The roles of [drain] roles as a PostgreSQL text[] literal parameter. */
char *roles_array(const struct config *cfg);

/* SIGCHLD, delivered through the loop: the running step's on_child. */
void orch_child_reap(struct orch *o);

/* Asks the operator from inside a step (a warning to override). */
void orch_ask(struct orch *o, const char *title, const char *plan,
    const char *warnings, enum danger danger,
    void (*on_answer)(struct orch *o, bool yes));
/* A step set fenced_at or switched: (re)arms the switch timeout. */
void orch_switch_window_changed(struct orch *o);
/* Starts or stops the heartbeat writer on the source. */
void orch_heartbeat(struct orch *o, bool on);

/* The lag gate's test: both lags known and below threshold. */
bool lag_below_gate(double e2e, double provider, double threshold);

/* Why the provider's status says forward replication is not running
 * ("stopped: subscription disabled"), or NULL while it runs or starts. */
const char *replication_halted(const struct repl_status *st);

#endif
