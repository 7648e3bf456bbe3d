/* console.c - the controller of `cutover console` and `cutover watch`.
 *
 * The driver: takes the driver lock, opens the event log, builds the
 * provider, the monitor (refreshed every period), the orchestrator, the
 * heartbeat writer and, with [watch] listen, the TLS feed; every source is
 * on the one loop. Handlers update the view and tell the screen what
 * changed; the screen redraws at the end of the pass. Acting keys come
 * back here as requests: each is logged with its actor before anything
 * happens, and the orchestrator asks its question through a dialog.
 *
 * The watcher: builds none of that. It follows the state directory
 * (state.json, events.jsonl, snapshot.json) or a driver's feed, fills the
 * same view, and draws the same panes, with no acting key bound. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "eventlog.h"
#include "feed.h"
#include "fileio.h"
#include "heartbeat.h"
#include "hooks.h"
#include "lock.h"
#include "metrics.h"
#include "monitor.h"
#include "orchestrator.h"
#include "pg.h"
#include "provider.h"
#include "snapshot.h"
#include "state.h"
#include "ui.h"
#include "validate.h"
#include "model.h"

#define TICK_MS 250
#define SNAPSHOT_MIN_MS 250

struct file_key {
	bool exists;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct console {
	struct ctx *ctx;
	struct console_opts opts;
	struct loop *loop;
	struct model model;        /* what the screen, the snapshot, the feed
	                              and /metrics show (model.h) */
	struct ui *ui;
	struct ui_ops ops;
	int exit_code;

	/* The driver. */
	struct driver_lock *lock;
	struct eventlog *log;
	struct provider *prov;
	struct monitor *mon;
	struct orch *orch;
	struct pg *hb_pg;          /* the heartbeat on the source ... */
	struct pg *hb_dst;         /* ... and, once the way back runs, the target */
	struct heartbeat *hb;
	struct feed_server *feed;
	struct hooks *hooks;
	struct metrics_server *metrics;
	bool hooks_live;          /* watch: past the history sent on joining */
	struct validation *val;
	bool val_full;
	bool running;             /* an orch_run or orch_rollback is going */
	bool rollback_after;      /* R pressed during a run: roll back next */
	bool quit_after;          /* quit when the run has stopped */
	bool asked;               /* the orchestrator's question is open */
	bool closed_logged;
	bool val_dirty;           /* validation progress not yet drawn */
	char label[96];

	/* Both. */
	struct eventlog_reader reader;
	struct loop_timer *tick;
	int64_t last_second;
	bool snapshot_due;
	unsigned tables_written;   /* tables_generation of the last full one */
	bool tables_dirty;         /* the tables' checks changed since */
	int64_t snapshot_at;
	struct strbuf snapbuf;

	/* The watcher. */
	struct state file_state;
	bool have_file_state;
	struct file_key state_key, snap_key;
	int64_t lock_checked;
	struct feed_client *client;
};

static void
changed(struct console *c, unsigned what)
{
	c->model.now = now_ms();
	if (c->ui != NULL)
		ui_changed(c->ui, what);
}

/* The run's state to decide by: the orchestrator's own while driving
 * (the model's copy is what is shown, and may be a tick behind), the
 * model's for a watcher. */
static const struct state *
run_state(const struct console *c)
{
	return c->orch != NULL ? orch_state(c->orch) : model_state(&c->model);
}

/* ------------------------------------------------------------ event log */

static void
log_event(struct console *c, const char *kind, cJSON *data, const char *fmt,
    ...) PRINTF_LIKE(4, 5);

static void
log_event(struct console *c, const char *kind, cJSON *data, const char *fmt,
    ...)
{
	struct err e = { 0, "" };
	const struct state *st = run_state(c);
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (eventlog_append(c->log, kind, st != NULL ? phase_name(st->phase) :
	    NULL, data, &e, "%s", msg) < 0 && c->ui != NULL)
		ui_message(c->ui, true, "could not write the event log: %s", e.msg);
}

/* Every acting key press, before anything happens. */
static void
log_key(struct console *c, const char *key, const char *what)
{
	cJSON *data = cJSON_CreateObject();

	cJSON_AddStringToObject(data, "key", key);
	cJSON_AddStringToObject(data, "request", what);
	cJSON_AddStringToObject(data, "via", "console");
	log_event(c, "operator.key", data, "%s: %s", key, what);
}

static void
on_event_line(const char *line, size_t len, void *arg)
{
	struct console *c = arg;

	model_add_event_line(&c->model, line, len);
	if (c->feed != NULL)
		feed_server_event(c->feed, line, len);
	/* The driver's hooks observe its own appends (setup_driver). */
	if (c->opts.watch)
		hooks_event(c->hooks, line, len);
}

static void
poll_events(struct console *c)
{
	if (eventlog_reader_poll(&c->reader, on_event_line, c) > 0)
		changed(c, MODEL_CH_EVENTS);
}

/* ------------------------------------------------------------ snapshots */

static void
write_snapshot(struct console *c, bool full)
{
	struct err e = { 0, "" };

	if (model_mon(&c->model) == NULL)
		return;
	sb_reset(&c->snapbuf);
	snapshot_json(&c->model, full, now_ms(), &c->snapbuf);
	if (full) {
		c->tables_written = c->model.mon.tables_generation;
		c->tables_dirty = false;
	}
	if (snapshot_save(c->ctx->state_dir, c->snapbuf.buf, c->snapbuf.len,
	    &e) != 0 && c->ui != NULL)
		ui_message(c->ui, true, "snapshot: %s", e.msg);
	if (c->feed != NULL)
		feed_server_snapshot(c->feed, c->snapbuf.buf, c->snapbuf.len, full);
	c->snapshot_at = mono_ms();
	c->snapshot_due = false;
	/* The buffer can be large with many tables: keep it only if small. */
	if (c->snapbuf.cap > (1u << 20)) {
		sb_free(&c->snapbuf);
		sb_init(&c->snapbuf);
	}
}

/* --------------------------------------------------------- validations */

static void
load_checks(struct console *c, const struct validation *v, const char *who)
{
	model_load_validation(&c->model, v, who);
	c->tables_dirty = true;	/* the tables' check column changes */
}

static void
on_val_progress(const struct validate_progress *pr, void *arg)
{
	struct console *c = arg;

	c->model.val_done = pr->tables_done;
	c->model.val_total = pr->tables_total;
	model_table_check_set(&c->model, pr->table, (int)pr->status);
	/* One table at a time can be thousands a second: the tick redraws. */
	c->val_dirty = true;
}

static void
on_val_done(struct validation *v, void *arg)
{
	struct console *c = arg;
	struct err e = { 0, "" };
	char *saved = NULL;
	cJSON *data;

	if (validation_save(v, c->ctx->state_dir, NULL, &saved, &e) != 0)
		ui_message(c->ui, true, "validation not saved: %s", e.msg);
	data = validation_event_data(v, saved);
	cJSON_AddStringToObject(data, "via", "console");
	log_event(c, "check", data, "validation %s: %s",
	    c->val_full ? "full" : "quick", validation_passed(v) ? "passed" :
	    "failed");
	free(saved);
	load_checks(c, v, "console");
	ui_message(c->ui, !validation_passed(v), "%s validation %s",
	    c->val_full ? "full" : "quick", validation_passed(v) ? "passed" :
	    "FAILED: see the phases pane and the tables' CHECK column");
	c->model.validating = false;
	validation_free(v);
	c->val = NULL;
	c->snapshot_due = true;
	changed(c, MODEL_CH_VALIDATION | MODEL_CH_STATE);
}

static void
start_validation(struct console *c, bool full)
{
	struct validate_opts o;
	const struct state *st = run_state(c);

	memset(&o, 0, sizeof o);
	o.full = full;
	o.probe_lag = true;
	o.sequences_synced = st != NULL &&
	    st->phases[PHASE_SEQUENCE_SYNC].status == PS_DONE;
	o.progress = on_val_progress;
	o.progress_arg = c;
	c->val_full = full;
	c->model.validating = true;
	c->model.validating_full = full;
	c->model.val_done = 0;
	c->model.val_total = 0;
	table_list_clear(&c->model.table_checks);
	c->val = validation_start(c->loop, &c->ctx->cfg, c->prov, &o,
	    on_val_done, c);
	changed(c, MODEL_CH_VALIDATION);
}

/* ------------------------------------------------------- the orchestrator */

/* The monitor reads, and the heartbeat is written, the way the changes
 * go: on the source while replication runs forward, on the target (where
 * the application writes, read arriving on the source) once reverse
 * replication may run. */
static void
follow_direction(struct console *c)
{
	const struct state *st = run_state(c);
	bool back;

	if (st == NULL || c->mon == NULL)
		return;
	back = st->switched || st->replication == REPL_REVERSE;
	monitor_set_direction(c->mon, st->replication, st->switched);
	if (c->hb != NULL)
		heartbeat_move(c->hb, back ? c->hb_dst : c->hb_pg);
}

static void
from_orch(struct console *c)
{
	int what;

	if (c->orch == NULL)
		return;
	what = orch_apply(c->orch, &c->model,
	    phase_name(orch_state(c->orch)->phase));
	follow_direction(c);
	if (what & MODEL_CH_VALIDATION)
		c->tables_dirty = true;	/* the tables' check column changes */
	if (what != 0)
		changed(c, (unsigned)what);
}

static enum ui_danger
danger(enum danger d)
{
	return d == DANGER_HIGH ? UI_DANGER_HIGH : d == DANGER_MEDIUM ?
	    UI_DANGER_MEDIUM : UI_DANGER_LOW;
}

static void
on_answer(bool yes, const char *how, void *arg)
{
	struct console *c = arg;

	c->asked = false;
	if (c->orch != NULL)
		orch_answer(c->orch, yes, how);
	changed(c, MODEL_CH_STATE);
}

static void
orch_ask(struct orch *o, const struct orch_question *q, void *arg)
{
	struct console *c = arg;
	struct ui_question uq;

	(void)o;
	memset(&uq, 0, sizeof uq);
	uq.title = q->title;
	uq.plan = q->plan;
	uq.warnings = q->warnings;
	uq.danger = danger(q->danger);
	uq.type_name = q->type_name ? q->environment : NULL;
	uq.yes_label = q->yes_label != NULL ? q->yes_label : q->rollback ?
	    "Roll back" : "Run";
	uq.approve = q->kind == Q_APPROVE;
	uq.deadline = q->kind == Q_HOLD ? q->deadline : 0;
	c->asked = true;
	ui_confirm(c->ui, &uq, on_answer, c);
}

/* The question was withdrawn (the switch timeout, an interruption). */
static void
orch_unask(struct orch *o, void *arg)
{
	struct console *c = arg;

	(void)o;
	c->asked = false;
	if (c->ui != NULL) {
		ui_confirm_close(c->ui);
		ui_message(c->ui, true, "the question was withdrawn: the switch "
		    "timeout decided");
	}
	changed(c, MODEL_CH_STATE);
}

static void
orch_changed(struct orch *o, void *arg)
{
	struct console *c = arg;

	(void)o;
	from_orch(c);
	c->snapshot_due = true;
	changed(c, MODEL_CH_STATE);
}

static void
orch_progress(struct orch *o, const char *line, void *arg)
{
	struct console *c = arg;

	(void)o;
	model_set(&c->model.progress, line);
	changed(c, MODEL_CH_STATE);
}

static void start_rollback(struct console *c);

static void
on_run_done(struct orch *o, int code, const char *why, void *arg)
{
	struct console *c = arg;

	(void)o;
	c->running = false;
	from_orch(c);
	c->snapshot_due = true;
	if (c->ui != NULL) {
		if (code == 0)
			ui_message(c->ui, false, "%s", why != NULL && *why != '\0' ?
			    why : "done");
		else
			ui_message(c->ui, true, "stopped (exit %d): %s", code,
			    why != NULL ? why : "");
	}
	changed(c, MODEL_CH_STATE);
	if (c->quit_after) {
		loop_stop(c->loop);
		return;
	}
	if (c->rollback_after) {
		c->rollback_after = false;
		start_rollback(c);
	}
}

static void
start_rollback(struct console *c)
{
	c->running = true;
	orch_rollback(c->orch, "operator pressed R in the console", on_run_done,
	    c);
	from_orch(c);
	changed(c, MODEL_CH_STATE);
}

/* ------------------------------------------------------------- requests */

static bool
something_to_undo(const struct state *st)
{
	int i;

	if (st == NULL)
		return false;
	if (state_has_effects(st) || st->armed)
		return true;
	/* Anything started and not yet undone: the orchestrator decides what
	 * undoing it means (for the first two phases, nothing to change). */
	for (i = 0; i < PHASE_COUNT; i++)
		if (st->phases[i].status != PS_PENDING &&
		    st->phases[i].status != PS_ROLLED_BACK)
			return true;
	return false;
}

/* The write pause is open and the switch not done. */
static bool
st_in_cut(const struct state *st)
{
	return st != NULL && st->fenced_at != 0 && !st->switched &&
	    st->rollback_reason == NULL;
}

static bool
req_enabled(enum request r, void *arg)
{
	struct console *c = arg;
	const struct state *st = run_state(c);
	bool dialog = c->ui != NULL && ui_confirming(c->ui);

	switch (r) {
	case REQ_RUN:
		return c->orch != NULL && !dialog && !c->running &&
		    orch_next_phase(c->orch) < PHASE_COUNT;
	case REQ_ROLLBACK:
		return c->orch != NULL && !dialog && !c->rollback_after &&
		    (c->running || something_to_undo(st));
	case REQ_DISARM:
		return c->orch != NULL && !dialog && st != NULL && st->armed &&
		    !st->fenced;
	case REQ_VALIDATE:
	case REQ_VALIDATE_FULL:
		return !dialog && c->val == NULL;
	case REQ_QUIT:
		return true;
	default:
		return true;
	}
}

static const char *
req_label(enum request r, void *arg)
{
	struct console *c = arg;
	enum phase_id next;

	if (r != REQ_RUN || c->orch == NULL)
		return NULL;
	next = orch_next_phase(c->orch);
	if (next >= PHASE_COUNT)
		return NULL;
	if (orch_in_cut(next))
		snprintf(c->label, sizeof c->label, "Run the cut");
	else
		snprintf(c->label, sizeof c->label, "Run %s", phase_name(next));
	return c->label;
}

static void
on_quit_answer(bool yes, const char *how, void *arg)
{
	struct console *c = arg;
	cJSON *data = cJSON_CreateObject();

	cJSON_AddBoolToObject(data, "quit", yes);
	cJSON_AddStringToObject(data, "how", how);
	log_event(c, "operator.decision", data, "quit while %s: %s (%s)",
	    c->running ? "a run was going" : "a validation ran",
	    yes ? "yes" : "no", how);
	if (!yes)
		return;
	if (c->running) {
		c->quit_after = true;
		orch_abort(c->orch);
		ui_message(c->ui, false, "stopping after the current step...");
		return;
	}
	loop_stop(c->loop);
}

static void
request_quit(struct console *c)
{
	struct ui_question q;
	char plan[512];

	if (!c->running && c->val == NULL) {
		loop_stop(c->loop);
		return;
	}
	snprintf(plan, sizeof plan, "%s%s",
	    c->running ? "Stop the run after its current step. state.json keeps "
	    "where it is: the next console resumes from there.\n" : "",
	    c->val != NULL ? "Stop the validation that is running (its result is "
	    "lost).\n" : "");
	memset(&q, 0, sizeof q);
	q.title = "Quit the console?";
	q.plan = plan;
	q.danger = c->running ? UI_DANGER_MEDIUM : UI_DANGER_LOW;
	q.yes_label = "Quit";
	ui_confirm(c->ui, &q, on_quit_answer, c);
}

static void
on_request(enum request r, void *arg)
{
	struct console *c = arg;
	struct err e = { 0, "" };
	enum phase_id next;
	char what[128];

	switch (r) {
	case REQ_RUN:
		next = orch_next_phase(c->orch);
		if (orch_in_cut(next))
			snprintf(what, sizeof what, "run the cut: phases %d-%d "
			    "(%s .. switch)", (int)next + 1, PHASE_SWITCH + 1,
			    phase_name(next));
		else
			snprintf(what, sizeof what, "run phase %d/%d %s",
			    (int)next + 1, PHASE_COUNT, phase_name(next));
		log_key(c, "Enter", what);
		c->running = true;
		/* The cut's phases run back to back, approved before the
		 * fence; every other phase alone. */
		orch_run(c->orch, orch_in_cut(next) ? PHASE_SWITCH : next,
		    on_run_done, c);
		from_orch(c);
		changed(c, MODEL_CH_STATE);
		break;
	case REQ_ROLLBACK:
		if (c->running && st_in_cut(run_state(c))) {
			/* Inside the write pause no question: the cut stops at
			 * once and the live world decides the way back (to the
			 * writable source; after a switch done in the world, an
			 * alarm). */
			log_key(c, "R", "abort the cut back to the source");
			if (orch_interrupt(c->orch, "the operator pressed R in the "
			    "console", on_run_done, c))
				ui_message(c->ui, false, "aborting the cut: back to the "
				    "writable source");
			else {
				c->rollback_after = true;
				ui_message(c->ui, false, "stopping the run after its "
				    "current step, then the rollback asks");
			}
		} else if (c->running) {
			log_key(c, "R", "stop the run and roll back");
			c->rollback_after = true;
			orch_abort(c->orch);
			ui_message(c->ui, false, "stopping the run after its current "
			    "step, then the rollback asks");
		} else {
			log_key(c, "R", "roll back");
			start_rollback(c);
		}
		break;
	case REQ_DISARM:
		log_key(c, "a", "disarm the run");
		if (orch_disarm(c->orch, &e) != 0)
			ui_message(c->ui, true, "disarm: %s", e.msg);
		else
			ui_message(c->ui, false, "disarmed: back to sync_wait");
		from_orch(c);
		c->snapshot_due = true;
		changed(c, MODEL_CH_STATE);
		break;
	case REQ_VALIDATE:
	case REQ_VALIDATE_FULL:
		log_key(c, r == REQ_VALIDATE ? "v" : "V", r == REQ_VALIDATE ?
		    "quick validation" : "full validation");
		start_validation(c, r == REQ_VALIDATE_FULL);
		break;
	case REQ_QUIT:
		request_quit(c);
		break;
	default:
		break;
	}
}

static void
on_mistyped(const char *typed, void *arg)
{
	struct console *c = arg;
	cJSON *data = cJSON_CreateObject();

	cJSON_AddStringToObject(data, "typed", typed);
	cJSON_AddStringToObject(data, "expected", c->model.environment);
	log_event(c, "operator.key", data, "typed '%s' to confirm in %s: does not "
	    "match, not confirmed", typed, c->model.environment);
}

/* --------------------------------------------------------------- sources */

static void
on_refreshed(struct monitor *m, void *arg)
{
	struct console *c = arg;

	(void)m;	/* it wrote c->model (monitor_apply) */
	if (c->hb != NULL && heartbeat_error(c->hb) != NULL) {
		model_set(&c->model.notice, heartbeat_error(c->hb));
		c->model.notice_bad = true;
	} else if (c->model.notice_bad) {
		model_set(&c->model.notice, NULL);
	}
	changed(c, MODEL_CH_MONITOR | MODEL_CH_HEADER);
	/* Thousands of tables are written only when they were re-read (or
	 * their checks changed), not every second. */
	write_snapshot(c, c->tables_dirty ||
	    c->model.mon.tables_generation != c->tables_written);
}

static void
on_watchers(void *arg)
{
	struct console *c = arg;

	c->model.watchers = feed_server_watchers(c->feed);
	c->snapshot_due = true;
	changed(c, MODEL_CH_HEADER);
}

static bool
file_changed(const char *path, struct file_key *k)
{
	struct stat st;
	struct file_key n;

	memset(&n, 0, sizeof n);
	if (stat(path, &st) == 0) {
		n.exists = true;
		n.ino = st.st_ino;
		n.size = st.st_size;
		n.mtime = st.st_mtim;
	}
	if (n.exists == k->exists && n.ino == k->ino && n.size == k->size &&
	    n.mtime.tv_sec == k->mtime.tv_sec &&
	    n.mtime.tv_nsec == k->mtime.tv_nsec)
		return false;
	*k = n;
	return true;
}

/* The watcher's local sources: state.json, snapshot.json, the lock. */
static void
watch_local(struct console *c)
{
	struct err e = { 0, "" };
	char *path, *text;
	size_t len;
	struct state st;
	int rc;

	path = xasprintf("%s/%s", c->ctx->state_dir, SNAPSHOT_FILE);
	if (file_changed(path, &c->snap_key) && c->snap_key.exists &&
	    file_read_all(path, SNAPSHOT_MAX, &text, &len) == 0) {
		if (snapshot_apply(&c->model, text, len, &e) != 0) {
			model_set(&c->model.notice, e.msg);
			c->model.notice_bad = true;
		}
		free(text);
		/* The state file is fresher than the snapshot's copy. */
		if (c->have_file_state)
			model_set_state(&c->model, &c->file_state);
		c->model.driver.pid = 0;
		c->lock_checked = 0;
		changed(c, MODEL_CH_ALL);
	}
	free(path);
	path = xasprintf("%s/state.json", c->ctx->state_dir);
	if (file_changed(path, &c->state_key)) {
		rc = state_load(&st, c->ctx->state_dir, &e);
		if (rc == 0) {
			if (c->have_file_state)
				state_free(&c->file_state);
			c->file_state = st;
			c->have_file_state = true;
			model_set_state(&c->model, &c->file_state);
			if (c->model.busy && (st.phase_status != PS_RUNNING))
				c->model.busy = false;
			changed(c, MODEL_CH_STATE | MODEL_CH_HEADER);
		} else if (rc < 0) {
			/* A state being replaced: the next tick reads it. */
			memset(&c->state_key, 0, sizeof c->state_key);
		}
	}
	free(path);
	if (mono_ms() - c->lock_checked >= 1000) {
		struct lock_holder h;

		c->lock_checked = mono_ms();
		lock_query(c->ctx->state_dir, &h);
		if (memcmp(&h, &c->model.driver, sizeof h) != 0) {
			c->model.driver = h;
			changed(c, MODEL_CH_HEADER);
		}
	}
}

static void
on_tick(struct loop_timer *t, void *arg)
{
	struct console *c = arg;
	int64_t now = now_ms();

	(void)t;
	c->tick = loop_timer_add(c->loop, TICK_MS, on_tick, c);
	c->model.now = now;
	if (c->client == NULL)
		poll_events(c);
	if (c->opts.watch && c->client == NULL)
		watch_local(c);
	from_orch(c);
	if (c->val_dirty) {
		c->val_dirty = false;
		changed(c, MODEL_CH_VALIDATION);
	}
	if (c->snapshot_due && mono_ms() - c->snapshot_at >= SNAPSHOT_MIN_MS)
		write_snapshot(c, c->tables_dirty);
	if (now / 1000 != c->last_second) {
		c->last_second = now / 1000;
		changed(c, MODEL_CH_CLOCK);
	}
}

static void
on_signal(int signo, void *arg)
{
	struct console *c = arg;

	if (c->log != NULL && !c->closed_logged) {
		log_event(c, "console.closed", NULL, "console closed by signal %s%s",
		    signo == SIGTERM ? "TERM" : signo == SIGHUP ? "HUP" : "INT",
		    c->running ? " during a run" : "");
		c->closed_logged = true;
	}
	if (c->running) {
		orch_abort(c->orch);
		c->exit_code = EXIT_ABORTED;
	}
	loop_stop(c->loop);
}

/* ----------------------------------------------------------- the feed, watch */

static void
on_feed_msg(const char *type, const cJSON *msg, void *arg)
{
	struct console *c = arg;
	struct err e = { 0, "" };
	const char *line;

	if (strcmp(type, "hello") == 0) {
		/* The driver sends its log's tail again: start over. */
		model_events_reset(&c->model);
		changed(c, MODEL_CH_EVENTS);
	} else if (strcmp(type, "snapshot") == 0) {
		/* The tail comes before the first snapshot: history, which
		 * hooks do not announce. After a reconnection what was missed
		 * runs them (the seq says what was seen). */
		if (!c->hooks_live) {
			c->hooks_live = true;
			hooks_hold(c->hooks, false);
		}
		if (snapshot_apply_json(&c->model,
		    cJSON_GetObjectItemCaseSensitive(msg, "snapshot"), &e) != 0) {
			model_set(&c->model.notice, e.msg);
			c->model.notice_bad = true;
		}
		changed(c, MODEL_CH_ALL);
	} else if (strcmp(type, "event") == 0) {
		line = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg,
		    "line"));
		if (line != NULL) {
			model_add_event_line(&c->model, line, strlen(line));
			hooks_event(c->hooks, line, strlen(line));
			changed(c, MODEL_CH_EVENTS);
		}
	}
}

static void
on_feed_status(bool connected, const char *text, void *arg)
{
	struct console *c = arg;

	model_set(&c->model.feed, text);
	c->model.feed_ok = connected;
	changed(c, MODEL_CH_HEADER);
}

/* --------------------------------------------------------------- hooks */

static const char *
hook_run_id(void *arg)
{
	struct console *c = arg;

	const struct state *st = run_state(c);

	return st != NULL ? st->run_id : NULL;
}

/* The driver logs what its hooks did; a watcher, who writes nothing to
 * the driver's log, shows it on its own screen. */
static void
hook_outcome(const struct hook_outcome *o, void *arg)
{
	struct console *c = arg;

	if (c->log != NULL)
		hooks_log_outcome(c->log, o);
	if (c->ui != NULL && (!o->ok || c->opts.watch))
		ui_message(c->ui, !o->ok, "hook %s for %s #%lld: %s", o->hook,
		    o->kind, (long long)o->seq, o->why);
}

/* --------------------------------------------------------------- setup */

static void
scrub(char **s)
{
	if (*s != NULL) {
		secure_zero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static int
setup_watch(struct console *c, struct err *e)
{
	struct config *cfg = &c->ctx->cfg;
	char *path;

	/* Watch mode holds no credentials: what the config names for the
	 * databases is dropped before anything else happens. */
	scrub(&cfg->source_conninfo);
	scrub(&cfg->target_conninfo);
	scrub(&cfg->target_reader_conninfo);
	scrub(&cfg->pgbouncer_admin);
	scrub(&cfg->reverse_conninfo);
	c->model.read_only = true;
	if (c->opts.hooks) {
		c->hooks = hooks_new(c->loop, cfg, hook_run_id, hook_outcome, c);
		if (c->hooks == NULL)
			return err_set(e, EXIT_USAGE, "watch --hooks: %s has no "
			    "[hooks] command", cfg->path != NULL ? cfg->path :
			    "the configuration");
		hooks_hold(c->hooks, true);
	}
	if (c->opts.connect != NULL) {
		/* Served from a watcher's own file (-c); a local watcher shares
		 * the driver's, whose /metrics is already served. */
		if (cfg->metrics_listen != NULL && (c->metrics =
		    metrics_server_new(c->loop, cfg->metrics_listen, &c->model,
		    NULL, NULL, e)) == NULL)
			return -1;
		c->client = feed_client_new(c->loop, c->opts.connect,
		    c->opts.token_file, c->opts.ca_file, on_feed_msg,
		    on_feed_status, c, e);
		return c->client != NULL ? 0 : -1;
	}
	model_set(&c->model.environment, c->ctx->environment);
	if (access(c->ctx->state_dir, R_OK | X_OK) != 0)
		return err_set(e, EXIT_USAGE, "%s: %s (watch follows the state "
		    "directory of a driver on this host; -s DIR names it)",
		    c->ctx->state_dir, strerror(errno));
	path = xasprintf("%s/%s", c->ctx->state_dir, EVENTLOG_FILE);
	eventlog_reader_open(&c->reader, path);
	free(path);
	watch_local(c);
	poll_events(c);
	c->hooks_live = true;
	hooks_hold(c->hooks, false);
	return 0;
}

static int
setup_driver(struct console *c, struct err *e)
{
	struct config *cfg = &c->ctx->cfg;
	struct orch_ui oui;
	struct orch_opts oo;
	struct pg_opts po;
	char *path;

	if (driver_take(c->ctx, &c->lock, &c->log, e) != 0)
		return -1;
	if ((c->hooks = hooks_new(c->loop, cfg, hook_run_id, hook_outcome,
	    c)) != NULL)
		eventlog_observe(c->log, hooks_observer, c->hooks);
	lock_query(c->ctx->state_dir, &c->model.driver);
	model_set(&c->model.environment, c->ctx->environment);
	if ((c->prov = provider_new(c->loop, cfg, e)) == NULL)
		return -1;
	c->mon = monitor_new(c->loop, cfg, c->prov, &c->model);
	memset(&oui, 0, sizeof oui);
	oui.ask = orch_ask;
	oui.unask = orch_unask;
	oui.changed = orch_changed;
	oui.progress = orch_progress;
	oui.arg = c;
	memset(&oo, 0, sizeof oo);
	c->orch = orch_new(c->loop, cfg, c->ctx->state_dir, c->log, c->prov,
	    &oui, &oo, e);
	if (c->orch == NULL)
		return -1;
	from_orch(c);
	if (cfg->watch_listen != NULL) {
		c->feed = feed_server_new(c->loop, cfg, c->log, on_watchers, c, e);
		if (c->feed == NULL)
			return -1;
		c->model.watchers = 0;
	}
	if (cfg->metrics_listen != NULL && (c->metrics = metrics_server_new(
	    c->loop, cfg->metrics_listen, &c->model, NULL, NULL, e)) == NULL)
		return -1;
	/* The driver writes the heartbeat the end-to-end lag is read from. */
	memset(&po, 0, sizeof po);
	po.conninfo = cfg->source_conninfo;
	po.label = "source (heartbeat)";
	po.statement_timeout_ms = 5000;
	c->hb_pg = pg_new(c->loop, &po);
	po.conninfo = cfg->target_conninfo;
	po.label = "target (heartbeat)";
	c->hb_dst = pg_new(c->loop, &po);
	c->hb = heartbeat_start(c->loop, c->hb_pg, HEARTBEAT_INTERVAL_MS);
	follow_direction(c);
	path = xasprintf("%s/%s", c->ctx->state_dir, EVENTLOG_FILE);
	eventlog_reader_open(&c->reader, path);
	free(path);
	log_event(c, "console.opened", NULL, "console opened by %s%s%s%s%s",
	    actor(), c->feed != NULL ? ", watch feed on " : "",
	    c->feed != NULL ? feed_server_address(c->feed) : "",
	    c->metrics != NULL ? ", /metrics on " : "",
	    c->metrics != NULL ? metrics_server_address(c->metrics) : "");
	poll_events(c);
	monitor_run(c->mon, c->opts.refresh_ms, on_refreshed, c);
	return 0;
}

int
console_main(struct ctx *ctx, const struct console_opts *opts)
{
	struct console *c = xcalloc(1, sizeof *c);
	struct err e = { 0, "" };
	struct ui_opts uo;
	int rc;

	c->ctx = ctx;
	c->opts = *opts;
	if (c->opts.refresh_ms <= 0)
		c->opts.refresh_ms = 1000;
	c->loop = loop_new();
	model_init(&c->model);
	sb_init(&c->snapbuf);
	c->reader.fd = -1;
	c->model.period_ms = c->opts.refresh_ms;
	c->model.max_lag_seconds = ctx->cfg.max_lag_seconds;
	c->model.rehearsal = ctx->cfg.rehearsal;
	model_set(&c->model.provider, provider_name(ctx->cfg.provider));
	c->model.now = now_ms();
	if ((opts->watch ? setup_watch(c, &e) : setup_driver(c, &e)) != 0)
		goto fail;
	loop_signal(c->loop, SIGTERM, on_signal, c);
	loop_signal(c->loop, SIGHUP, on_signal, c);
	loop_signal(c->loop, SIGINT, on_signal, c);
	signal(SIGPIPE, SIG_IGN);
	memset(&uo, 0, sizeof uo);
	uo.color = ctx->color;
	uo.mouse = opts->mouse;
	if (!opts->watch) {
		c->ops.request = on_request;
		c->ops.enabled = req_enabled;
		c->ops.label = req_label;
		c->ops.mistyped = on_mistyped;
		c->ops.arg = c;
		uo.ops = &c->ops;
	}
	if ((c->ui = ui_new(c->loop, &c->model, &uo, &e)) == NULL)
		goto fail;
	c->tick = loop_timer_add(c->loop, TICK_MS, on_tick, c);
	loop_run(c->loop);
	ui_free(c->ui);
	c->ui = NULL;
	rc = c->exit_code;
	if (c->log != NULL && !c->closed_logged)
		log_event(c, "console.closed", NULL, "console closed by %s",
		    actor());
	/* The last notifications go out, within a hook's timeout. */
	hooks_drain(c->hooks, (int64_t)(ctx->cfg.hooks_timeout_seconds * 1000) +
	    HOOKS_DRAIN_MS);
	goto out;
fail:
	rc = report_error(&e, command_find(opts->watch ? "watch" : "console"));
out:
	if (c->tick != NULL)
		loop_timer_cancel(c->tick);
	if (c->log != NULL)
		eventlog_observe(c->log, NULL, NULL);
	hooks_free(c->hooks);
	if (c->val != NULL)
		validation_free(c->val);
	if (c->orch != NULL)
		orch_free(c->orch);
	if (c->hb != NULL)
		heartbeat_stop(c->hb);
	if (c->hb_pg != NULL)
		pg_free(c->hb_pg);
	if (c->hb_dst != NULL)
		pg_free(c->hb_dst);
	metrics_server_free(c->metrics);
	feed_server_free(c->feed);
	feed_client_free(c->client);
	if (c->mon != NULL)
		monitor_free(c->mon);
	if (c->prov != NULL)
		provider_free(c->prov);
	if (c->log != NULL)
		eventlog_close(c->log);
	if (c->lock != NULL)
		lock_release(c->lock);
	eventlog_reader_close(&c->reader);
	if (c->have_file_state)
		state_free(&c->file_state);
	model_clear(&c->model);
	sb_free(&c->snapbuf);
	loop_free(c->loop);
	free(c);
	return rc;
}
