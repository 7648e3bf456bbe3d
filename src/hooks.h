/* hooks.h - [hooks]: commands run on events, as notifications.
 *
 * A hook is `EVENT.KIND = COMMAND` (or `any = COMMAND`). For every event
 * that matches, COMMAND runs under /bin/sh -c with a minimal environment
 * (PATH, HOME, LANG, and CUTOVER_EVENT_KIND, CUTOVER_EVENT_SEQ,
 * CUTOVER_PHASE, CUTOVER_RUN_ID, CUTOVER_ENVIRONMENT, CUTOVER_MSG,
 * CUTOVER_EVENT_JSON, CUTOVER_HOOK; never a secret of ours) and the
 * event's JSON line on its standard input. Each hook runs one at a time, in
 * the order of the events (each hook has its own queue: a slow one
 * delays only itself), on the loop (proc.h): they never block the
 * cut or the screen. [hooks] timeout_seconds kills one that hangs (its
 * process group). Each run's outcome - exit status, the first lines of
 * its output, scrubbed (scrub.h) - goes to the caller's outcome function,
 * which the driver turns into a hook.done or hook.failed event. A failing
 * hook never stops anything.
 *
 * Matching: the event's own kind; `validation.done` matches the `check`
 * event that records a validation's result; `error` matches every
 * *.failed event and switch.timeout; `any` matches every event except
 * hook.* ones, so that a hook's outcome never sets off hooks through
 * `any`. hook.done and hook.failed run only hooks named for them, and the
 * outcome of such a run sets off nothing more. */
#ifndef CUTOVER_HOOKS_H
#define CUTOVER_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "eventlog.h"
#include "loop.h"

#define HOOKS_QUEUE_MAX 1000       /* runs waiting per hook; more are dropped */
#define HOOKS_OUTPUT_LINES 10      /* lines of output kept in the log */
#define HOOKS_OUTPUT_BYTES 2048
#define HOOKS_ENV_JSON_MAX 65536   /* CUTOVER_EVENT_JSON; stdin is whole */
#define HOOKS_DRAIN_MS 30000       /* at exit, beyond one timeout */

struct hook_outcome {
	const char *hook;          /* the key that matched: "phase.started", "any" */
	const char *command;       /* as configured, scrubbed */
	const char *kind;          /* the event's kind */
	int64_t seq;               /* the event's seq */
	const char *phase;         /* the event's phase, NULL none */
	bool ok;                   /* exited 0 */
	int exit_code;             /* -1: did not exit (killed, not started) */
	int signo;
	bool timed_out;
	int64_t duration_ms;
	const char *why;           /* "exit 0", "timed out after 10 s", ... */
	const char *output;        /* first lines, scrubbed ("" none) */
	unsigned dropped;          /* runs dropped (queue full) since the last outcome */
};

struct hooks;
typedef void (*hooks_outcome_fn)(const struct hook_outcome *o, void *arg);
typedef const char *(*hooks_run_id_fn)(void *arg);

/* NULL when cfg has no hook. run_id (may be NULL) gives the run id for
 * CUTOVER_RUN_ID when the event is queued. */
struct hooks *hooks_new(struct loop *loop, const struct config *cfg,
    hooks_run_id_fn run_id, hooks_outcome_fn outcome, void *arg);
/* Cancels what runs (killing it) and what waits. */
void hooks_free(struct hooks *h);

/* One new event line (without its newline): queues the hooks it sets
 * off. Events at or below the last seq seen are ignored (a feed sends its
 * tail again after a reconnection). */
void hooks_event(struct hooks *h, const char *line, size_t len);
/* As an eventlog observer (eventlog_observe(log, hooks_observer, h)). */
void hooks_observer(const char *line, size_t len, void *arg);
/* While held, events only move the last seq seen: a watcher that joins
 * does not run hooks for the history it is sent. */
void hooks_hold(struct hooks *h, bool hold);

bool hooks_idle(const struct hooks *h);
/* Runs the loop until every queued hook has run, at most max_ms; what is
 * still running then is killed, and it and what never ran are reported
 * to the outcome function (not run, killed). */
void hooks_drain(struct hooks *h, int64_t max_ms);

/* The outcome as an event: hook.done or hook.failed. */
void hooks_log_outcome(struct eventlog *log, const struct hook_outcome *o);

/* NULL when name may be a [hooks] key, else why not. */
const char *hook_key_check(const char *name);

#endif
