/* state.h - state.json: the run's state, replaced atomically after every
 * step, so a crashed driver resumes from it. */
#ifndef CUTOVER_STATE_H
#define CUTOVER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define STATE_VERSION 1

enum phase_id {
	PHASE_PRE_VALIDATION,
	PHASE_SYNC_WAIT,
	PHASE_DRAIN,
	PHASE_FINAL_SYNC,
	PHASE_STOP_REPLICATION,
	PHASE_SEQUENCE_SYNC,
	PHASE_SWITCH,
	PHASE_POST_VALIDATION,
	PHASE_COUNT
};

enum phase_status {
	PS_PENDING,
	PS_RUNNING,
	PS_DONE,
	PS_FAILED,
	PS_ROLLED_BACK,
};

enum repl_direction { REPL_FORWARD, REPL_STOPPED, REPL_REVERSE };

struct phase_record {
	enum phase_status status;
	int64_t started_at;     /* ms since the epoch, 0 = not yet */
	int64_t finished_at;
};

struct state {
	int version;
	char run_id[40];
	char *environment;
	bool rehearsal;
	int64_t created_at;

	enum phase_id phase;              /* the current (or next) phase */
	enum phase_status phase_status;
	struct phase_record phases[PHASE_COUNT];

	bool fenced;
	enum repl_direction replication;
	bool switched;

	/* Orchestrator facts that must survive a crash. Every record of an
	 * effect is saved BEFORE the effect is taken (write-ahead, as the
	 * event log's `action` is): a crash between the two finds the record
	 * and the live world says whether the effect happened. */
	int attempt;                      /* 1, 2, ... after each rollback */
	bool armed;
	int64_t fenced_at;                /* the fence began; the switch timeout
	                                     runs from here */
	int64_t switched_at;              /* the write pause window ends here */
	char **fenced_roles;              /* source roles this run made NOLOGIN */
	size_t nfenced_roles;
	bool readonly_set;                /* this run set default_transaction_read_only */
	bool target_fenced;               /* a rollback fenced the target */
	char **target_fenced_roles;       /* target roles a rollback made NOLOGIN */
	size_t ntarget_fenced_roles;
	bool target_readonly_set;
	char *sentinel_id;
	char *sentinel_lsn;
	char *reverse_slot_lsn;           /* dms: the reverse slot on the target */
	char *pgbouncer_original;         /* the database entry before the switch */
	char *rollback_reason;            /* set while a rollback is under way */
	bool completed;                   /* post_validation done */

	/* The action whose effect began and whose outcome is not logged yet:
	 * the step's name and the statement. NULL when none. */
	char *intent_step;
	char *intent_what;
	int64_t intent_at;
	/* The proof slots (logical decoding) this attempt created: on the
	 * source at the fence, on the target at the switch or at its fence. */
	char *fence_slot;
	char *target_slot;
	char *target_fence_lsn;           /* the target's WAL when its fence held */
	int64_t switch_begun_at;          /* the switch's first effect began */
	char *switch_command;             /* "forward started", "forward
	                                     succeeded", "back failed", ... */
	bool reverse_begun;               /* reverse replication's start began */
	char *forward_skip_lsn;           /* forward replication restarts past
	                                     this (what reverse brought back) */
	char *alarm;                      /* a failure after the switch, and how
	                                     to go back; NULL when none */
	int rollbacks;                    /* rollbacks begun in this attempt */
	bool rollback_on_target;          /* decided when the rollback began:
	                                     the application may have written on
	                                     the target (kept when it resumes) */
	bool rollback_source_let_in;      /* the rollback began letting the
	                                     application in on the source: the
	                                     target's fence and what came back
	                                     are behind it, never done again */

	/* The phases of the cut (drain .. switch) the operator approved
	 * before the fence, one bit a phase: recorded with the final
	 * confirmation, so a driver restarted inside the cut runs them
	 * without asking again, and asks for any other. */
	unsigned cut_approved;
	/* The readiness check before arming: the way back and the switch's
	 * means, each item ok, failed (blocks arming) or not checked. */
	struct readiness_item {
		char *item;
		int status;               /* READY_OK, READY_FAILED, READY_UNKNOWN */
		char *detail;
	} *readiness;
	size_t nreadiness;
	int64_t readiness_at;

	/* The event log as it was when the state was saved: its last seq
	 * and hash (`log --verify` finds a log cut short after it). */
	int64_t log_seq;
	char log_hash[65];
};

enum { READY_OK, READY_FAILED, READY_UNKNOWN };
const char *ready_status_name(int status);
void state_readiness_clear(struct state *s);
void state_readiness_add(struct state *s, const char *item, int status,
    const char *detail);

/* Adds a role to fenced_roles (once). */
void state_add_fenced_role(struct state *s, const char *role);
void state_clear_fenced_roles(struct state *s);
/* The same for a list of roles (target_fenced_roles). */
void state_roles_add(char ***v, size_t *n, const char *role);
void state_roles_clear(char ***v, size_t *n);
/* Replaces *field with a copy of value (NULL allowed). */
void state_set(char **field, const char *value);
/* Whether this attempt began anything with an effect that a rollback
 * would have to look at (from the write-ahead records, not from flags set
 * at the end of steps). */
bool state_has_effects(const struct state *s);

const char *phase_name(enum phase_id p);
/* Returns -1 for an unknown name. */
int phase_from_name(const char *name);
const char *phase_status_name(enum phase_status s);
int phase_status_from_name(const char *name);
const char *repl_direction_name(enum repl_direction d);

/* A fresh run: new run id, every phase pending. */
void state_init(struct state *s, const char *environment, bool rehearsal);
void state_free(struct state *s);

/* Serializes s (pretty JSON with a final newline). */
char *state_to_json(const struct state *s);
/* Parses text; errors name the file and what is wrong (EXIT_USAGE). */
int state_from_json(struct state *s, const char *name, const char *text,
    size_t len, struct err *e);

/* <dir>/state.json. Load returns 1 when there is no state file yet, 0 when
 * loaded, -1 on error: a corrupt, truncated or newer file is an error and
 * is never replaced. */
int state_load(struct state *s, const char *dir, struct err *e);
int state_save(const struct state *s, const char *dir, struct err *e);

#endif
