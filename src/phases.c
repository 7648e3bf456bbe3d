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
	&step_lag_gate, &step_arm, NULL
};
static const struct step *const drain[] = {
	&step_window_open, &step_pgbouncer_pause, &step_roles_nologin,
	&step_database_readonly, &step_sessions_drain, &step_fenced, NULL
};
static const struct step *const final_sync[] = {
	&step_final_sync, NULL
};
static const struct step *const stop_replication[] = {
	&step_replication_stop, &step_reverse_slot, &step_replication_reverse,
	NULL
};
static const struct step *const sequence_sync[] = {
	&step_sequences, NULL
};
static const struct step *const switch_steps[] = {
	&step_pgbouncer_repoint, &step_switch_command, &step_unfence_target,
	&step_pgbouncer_resume, &step_switched, NULL
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
	  "target", DANGER_MEDIUM, final_sync },
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
 * running. Steps that do not apply to where the run is are skipped; after
 * the switch the target is fenced and its last writes are carried back
 * by reverse replication before the application goes back. */
static const struct step *const rollback_list[] = {
	&step_target_pause, &step_target_nologin, &step_target_readonly,
	&step_target_drain, &step_target_fenced,
	&step_reverse_catchup, &step_sequences_back, &step_pgbouncer_repoint,
	&step_switch_command, &step_switched, &step_unfence_source_early,
	&step_reverse_stop, &step_reverse_slot_drop, &step_forward_start_skip,
	&step_unfence_source,
	&step_forward_start, NULL
};
const struct step *const *const orch_rollback_steps_ptr = rollback_list;
