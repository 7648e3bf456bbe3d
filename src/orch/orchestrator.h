/* orchestrator.h - the cutover as a state machine over the eight phases
 * of INTERFACE.md. Each phase is a table entry of steps; each step checks
 * whether it already happened, logs its action (fsync) before taking it
 * and its outcome after, and the state file is replaced after every step,
 * so a driver killed at any instant resumes where it was and never applies
 * a destructive step twice. The headless `run`/`rollback` and the console
 * drive the same orchestrator; everything runs on the one loop. */
#ifndef CUTOVER_ORCHESTRATOR_H
#define CUTOVER_ORCHESTRATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "eventlog.h"
#include "loop.h"
#include "provider.h"
#include "state.h"
#include "util.h"
#include "validate.h"

struct orch;

/* How dangerous what is asked is: the dialog's colour. */
enum danger { DANGER_LOW, DANGER_MEDIUM, DANGER_HIGH };

/* What a question is: a confirmation (starts on Cancel; in prod typing
 * the environment's name), the approval of one phase of the cut before
 * the fence (y approves, n or Escape cancels the cut), or the hold point
 * before the switch ([switch] confirm), asked inside the write pause with
 * the switch timeout counting down. */
enum orch_qkind { Q_CONFIRM, Q_APPROVE, Q_HOLD };

/* A question for the operator, before a phase or a rollback. Its text is
 * fixed when it is asked: it never changes under the operator. */
struct orch_question {
	enum orch_qkind kind;
	const char *yes_label;     /* "Run", "Roll back", "Take the fence" */
	/* Q_APPROVE: the cut's header and this phase's actions alone (the
	 * plan has the whole cut, the phase approved marked). first: the
	 * cut's first approval. */
	const char *intro;
	const char *detail;
	bool first;
	int64_t deadline;          /* Q_HOLD: the switch timeout's end (epoch ms) */
	const char *title;         /* "Run phase 3/8: drain" */
	const char *plan;          /* what will happen, one action a line, with
	                              the exact SQL / admin / API calls */
	const char *warnings;      /* warnings to override, or NULL */
	enum danger danger;
	bool type_name;            /* prod: the answer is typing the environment */
	const char *environment;
	enum phase_id phase;
	bool rollback;
};

/* The driver's side: headless prompt or console dialog. ask() must later
 * call orch_answer() exactly once (from the loop, any time later). */
struct orch_ui {
	void (*ask)(struct orch *o, const struct orch_question *q, void *arg);
	/* The state, the current step or the gate's figures changed. */
	void (*changed)(struct orch *o, void *arg);
	/* The pending question was withdrawn (the switch timeout or an
	 * interruption decided): the UI closes it; may be NULL. */
	void (*unask)(struct orch *o, void *arg);
	/* One line of progress for people ("waiting for lag: 3.2 s ..."). */
	void (*progress)(struct orch *o, const char *line, void *arg);
	void *arg;
};

struct orch_opts {
	bool yes;                  /* never ask (headless --yes) */
	bool dry_run;              /* print every statement, change nothing */
	FILE *dry_run_out;
};

/* Creates the orchestrator on an opened event log and a provider (both
 * borrowed). Loads state.json, or creates a new run (run.started) when
 * there is none. Returns NULL with e set. */
struct orch *orch_new(struct loop *loop, const struct config *cfg,
    const char *state_dir, struct eventlog *log, struct provider *prov,
    const struct orch_ui *ui, const struct orch_opts *opts, struct err *e);
void orch_free(struct orch *o);

typedef void (*orch_done_fn)(struct orch *o, int exit_code, const char *why,
    void *arg);

/* Runs phases from the current one up to and including until (or resumes
 * a rollback that a crash interrupted). done gets the exit code of
 * INTERFACE.md: 0 reached until, 1 a gate or precondition failed, 3 a
 * runtime failure left nothing to undo, 5 the operator aborted or the run
 * rolled back (automatically: switch timeout or a failure between drain
 * and switch). */
void orch_run(struct orch *o, enum phase_id until, orch_done_fn done,
    void *arg);
/* Rolls back from wherever the run is to a writable source with forward
 * replication running (after the switch: through reverse replication).
 * reason is logged. Exit code 5 when rolled back, 0 when nothing was to
 * undo, 3 when the rollback itself failed (the log says where). */
void orch_rollback(struct orch *o, const char *reason, orch_done_fn done,
    void *arg);
/* Cancels an armed run (before the fence): back to sync_wait. Returns 0,
 * or -1 when not armed or the fence is already taken. */
int orch_disarm(struct orch *o, struct err *e);
/* The operator's answer to the pending question; how is logged
 * ("typed prod", "--yes", "key Enter"). */
void orch_answer(struct orch *o, bool yes, const char *how);
/* Whether phase p is inside the cut (drain .. switch): the console runs
 * them back to back, approved before the fence. */
bool orch_in_cut(enum phase_id p);
/* Asks a running orch_run/orch_rollback to stop after the current step
 * (quit in the console): done gets 5. */
void orch_abort(struct orch *o);
/* A signal: inside the write pause the running step is abandoned and the
 * live world decides (back to the source, or, if the application is
 * already let in on the target, stop and alarm), and done gets the
 * outcome: returns 1. Elsewhere it is orch_abort(): returns 0. */
int orch_interrupt(struct orch *o, const char *why, orch_done_fn done,
    void *arg);

/* What the views show. */
const struct state *orch_state(const struct orch *o);
/* The gate's figures while sync_wait runs (orch_apply copies them). */
struct orch_gate {
	double lag_e2e, lag_provider;  /* seconds, NAN unknown */
	double held_seconds;           /* below the threshold for this long */
	double hold_seconds;           /* needed */
	double threshold_seconds;
};
/* The plan of a phase or of the rollback, for the help and dry runs. */
char *orch_describe_phase(struct orch *o, enum phase_id p);
char *orch_describe_rollback(struct orch *o);
/* The next phase to run, or PHASE_COUNT when the run is complete. */
enum phase_id orch_next_phase(const struct orch *o);

/* The one place the orchestrator writes a model (model.h): a copy of the
 * run's state, the step under way, the lag gate, the switch window, the
 * next phase, and the last validation's checks (titled "<who> ...") when
 * it is a new one. Returns the MODEL_CH_* parts that changed. */
struct model;
int orch_apply(const struct orch *o, struct model *md, const char *who);

#endif
