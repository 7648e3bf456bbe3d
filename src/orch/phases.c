/* phases.c - the eight phases and the rollback as lists of steps. Each
 * step (step-*.c) is idempotent and says what it does; a phase is the
 * order they run in. */
#include "config.h"

#include "orch-internal.h"

static const struct step *const pre_validation[] = {
	&step_config_check, &step_schema_check, &step_replication_settings,
	&step_quick_validation, NULL
};
static const struct step *const sync_wait[] = {
	&step_matviews, &step_readiness, &step_lag_gate, &step_arm, NULL
};
/* PAUSE first (clients wait), then the database fence for every method,
 * then the proof slot. */
static const struct step *const drain[] = {
	&step_window_open, &step_pgbouncer_pause, &step_roles_nologin,
	&step_database_readonly, &step_sessions_drain, &step_fence_others,
	&step_fence_slot, &step_fenced, NULL
};
static const struct step *const final_sync[] = {
	&step_final_sync, &step_fence_proof, NULL
};
static const struct step *const stop_replication[] = {
	&step_replication_stop, &step_reverse_slot, &step_replication_reverse,
	NULL
};
static const struct step *const sequence_sync[] = {
	&step_sequences, NULL
};
/* The target answers before anything is repointed, the roles a rollback
 * fenced there can log in again, and the proof runs again at the last
 * instant before the application is let in (before RESUME with the
 * pgbouncer drain, else before the repoint or the command). */
static const struct step *const switch_steps[] = {
	&step_switch_target, &step_unfence_target,
	&step_fence_proof_before_switch, &step_pgbouncer_repoint,
	&step_switch_command, &step_fence_proof_before_resume,
	&step_pgbouncer_resume, &step_switched, &step_proof_drop, NULL
};
static const struct step *const post_validation[] = {
	&step_full_validation, NULL
};

const struct phase_def orch_phases[PHASE_COUNT] = {
	{ PHASE_PRE_VALIDATION, "replication healthy, row counts match, every "
	  "table has a primary key", DANGER_LOW, pre_validation },
	{ PHASE_SYNC_WAIT, "wait until the lag stays below the gate; then arm",
	  DANGER_LOW, sync_wait },
	{ PHASE_DRAIN, "fence writes on the source and drain the application's "
	  "connections", DANGER_HIGH, drain },
	{ PHASE_FINAL_SYNC, "a sentinel written after the fence must reach the "
	  "target; prove the fence held", DANGER_MEDIUM, final_sync },
	{ PHASE_STOP_REPLICATION, "stop forward replication, start reverse "
	  "replication", DANGER_HIGH, stop_replication },
	{ PHASE_SEQUENCE_SYNC, "set the target's sequences ahead of the source's",
	  DANGER_MEDIUM, sequence_sync },
	{ PHASE_SWITCH, "point the application at the target and let writes in",
	  DANGER_HIGH, switch_steps },
	{ PHASE_POST_VALIDATION, "full validation of the final state",
	  DANGER_LOW, post_validation },
};

/* The rollback: back to a writable source with forward replication
 * running, from wherever the run is. Which steps apply is decided from
 * the write-ahead records and, once when the rollback begins, from the
 * live world (rollback_on_target: the application may have written on
 * the target); each step looks at the live world again before it acts.
 * When the application may have written on the target, the target is
 * fenced, its writes are carried back and proven, and only then is the
 * source let in; the source is let in before anything else is cleaned up
 * on the target, so a dead target cannot keep the application waiting. */
const struct step *const orch_rollback_steps[] = {
	&step_target_pause, &step_target_nologin, &step_target_readonly,
	&step_target_drain, &step_target_slot, &step_reverse_catchup,
	&step_target_proof, &step_sequences_back, &step_pgbouncer_repoint_back,
	&step_switch_command_back, &step_forward_skip, &step_unfence_source,
	&step_reverse_stop, &step_reverse_slot_drop, &step_forward_start, &step_proof_drop_back,
	&step_rollback_verify, NULL
};

/* A rollback that found a writer on the target after its fence gives the
 * application back to the target, where it was. */
const struct step *const orch_giveback_steps[] = {
	&step_target_unfence_giveback, &step_pgbouncer_resume_giveback, NULL
};
