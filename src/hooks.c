/* hooks.c - [hooks] commands run on events; see hooks.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "jsonin.h"
#include "proc.h"
#include "scrub.h"

/* Every kind the program logs, and the two names that gather several. */
static const char *const known_kinds[] = {
	"action", "action.done", "action.failed", "action.output", "check",
	"console.closed", "console.opened", "error", "hook.done",
	"hook.failed", "lock.taken_over", "log.repaired", "operator.abort",
	"operator.confirm", "operator.decision", "operator.decline",
	"operator.key", "operator.override", "phase.done", "phase.failed",
	"phase.started", "rollback.done", "rollback.failed",
	"rollback.started", "run.armed", "run.disarmed", "run.started",
	"run.switched", "run.window", "switch.timeout", "validation.done",
	"watch.joined", "watch.left", "watch.refused",
};

struct hook_job {
	struct hook_job *next;
	const char *hook;          /* the key (the config's string) */
	const char *command;
	char *line;
	size_t len;
	char *kind, *phase, *msg, *environment, *run_id;
	int64_t seq;
	bool nested;               /* set off by a hook.* event */
};

/* One queue a configured hook: its runs go one at a time, in event order,
 * and a slow hook delays only itself. */
struct hook_queue {
	struct hooks *h;
	struct hook_job *head, *tail;
	size_t queued;
	struct hook_job *running;
	struct proc *proc;
};

struct hooks {
	struct loop *loop;
	const struct config *cfg;
	hooks_run_id_fn run_id;
	hooks_outcome_fn outcome;
	void *arg;
	struct hook_queue *q;      /* one per cfg->hooks[i] */
	struct loop_timer *kick;
	int64_t last_seq;
	bool hold;
	unsigned dropped;
	char *path, *home, *lang;  /* of our environment, when hooks_new ran */
};

const char *
hook_key_check(const char *name)
{
	size_t i;

	if (strcmp(name, "any") == 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(known_kinds); i++)
		if (strcmp(name, known_kinds[i]) == 0)
			return NULL;
	return "not an event kind (for example run.started, phase.started, "
	    "phase.done, phase.failed, run.armed, run.switched, rollback.started, "
	    "rollback.done, validation.done, error, or any; see cutover.conf(5))";
}

static void
job_free(struct hook_job *j)
{
	if (j == NULL)
		return;
	free(j->line);
	free(j->kind);
	free(j->phase);
	free(j->msg);
	free(j->environment);
	free(j->run_id);
	free(j);
}

struct hooks *
hooks_new(struct loop *loop, const struct config *cfg, hooks_run_id_fn run_id,
    hooks_outcome_fn outcome, void *arg)
{
	struct hooks *h;
	const char *v;
	size_t i;

	if (cfg->nhooks == 0)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->loop = loop;
	h->cfg = cfg;
	h->run_id = run_id;
	h->outcome = outcome;
	h->arg = arg;
	v = getenv("PATH");
	h->path = xstrdup(v != NULL && *v != '\0' ? v :
	    "/usr/local/bin:/usr/bin:/bin");
	h->home = (v = getenv("HOME")) != NULL ? xstrdup(v) : NULL;
	h->lang = (v = getenv("LANG")) != NULL ? xstrdup(v) : NULL;
	h->q = xcalloc(cfg->nhooks, sizeof *h->q);
	for (i = 0; i < cfg->nhooks; i++)
		h->q[i].h = h;
	/* Whatever a hook prints, our own secrets are starred. */
	scrub_register_environment();
	return h;
}

void
hooks_free(struct hooks *h)
{
	struct hook_job *j, *next;
	size_t i;

	if (h == NULL)
		return;
	if (h->kick != NULL)
		loop_timer_cancel(h->kick);
	for (i = 0; i < h->cfg->nhooks; i++) {
		proc_cancel(h->q[i].proc);
		job_free(h->q[i].running);
		for (j = h->q[i].head; j != NULL; j = next) {
			next = j->next;
			job_free(j);
		}
	}
	free(h->q);
	free(h->path);
	free(h->home);
	free(h->lang);
	free(h);
}

void
hooks_hold(struct hooks *h, bool hold)
{
	if (h != NULL)
		h->hold = hold;
}

bool
hooks_idle(const struct hooks *h)
{
	size_t i;

	if (h == NULL)
		return true;
	for (i = 0; i < h->cfg->nhooks; i++)
		if (h->q[i].running != NULL || h->q[i].head != NULL)
			return false;
	return true;
}

static bool
matches(const char *key, const char *kind, bool validation_result)
{
	bool own = str_startswith(kind, "hook.");

	if (strcmp(key, kind) == 0)
		return true;
	if (own)
		return false;
	if (strcmp(key, "any") == 0)
		return true;
	if (strcmp(key, "validation.done") == 0)
		return validation_result;
	if (strcmp(key, "error") == 0)
		return str_endswith(kind, ".failed") ||
		    strcmp(kind, "switch.timeout") == 0;
	return false;
}

static void start_next(struct hook_queue *q);

static void
on_kick(struct loop_timer *t, void *arg)
{
	struct hooks *h = arg;
	size_t i;

	(void)t;
	h->kick = NULL;
	for (i = 0; i < h->cfg->nhooks; i++)
		start_next(&h->q[i]);
}

/* Starts idle queues with work from the loop, never from inside the
 * caller (an eventlog append). */
static void
kick(struct hooks *h)
{
	size_t i;

	if (h->kick != NULL)
		return;
	for (i = 0; i < h->cfg->nhooks; i++)
		if (h->q[i].running == NULL && h->q[i].head != NULL) {
			h->kick = loop_timer_add(h->loop, 0, on_kick, h);
			return;
		}
}

void
hooks_event(struct hooks *h, const char *line, size_t len)
{
	const cJSON *seq, *data, *passed;
	struct hook_job *j;
	const char *kind, *run_id;
	bool validation_result, nested;
	cJSON *o;
	size_t i;

	if (h == NULL)
		return;
	o = cJSON_ParseWithLength(line, len);
	seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
	kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
	if (o == NULL || !cJSON_IsNumber(seq) || kind == NULL ||
	    (int64_t)seq->valuedouble <= h->last_seq) {
		cJSON_Delete(o);
		return;
	}
	h->last_seq = (int64_t)seq->valuedouble;
	if (h->hold) {
		cJSON_Delete(o);
		return;
	}
	data = cJSON_GetObjectItemCaseSensitive(o, "data");
	passed = cJSON_GetObjectItemCaseSensitive(data, "passed");
	validation_result = strcmp(kind, "check") == 0 && cJSON_IsBool(passed);
	nested = str_startswith(kind, "hook.");
	/* The outcome of a hook set off by a hook's outcome ends it there. */
	if (nested && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data,
	    "nested"))) {
		cJSON_Delete(o);
		return;
	}
	run_id = h->run_id != NULL ? h->run_id(h->arg) : NULL;
	for (i = 0; i < h->cfg->nhooks; i++) {
		const struct hook_def *d = &h->cfg->hooks[i];

		struct hook_queue *q = &h->q[i];

		if (!matches(d->kind, kind, validation_result))
			continue;
		if (q->queued >= HOOKS_QUEUE_MAX) {
			h->dropped++;
			continue;
		}
		j = xcalloc(1, sizeof *j);
		j->hook = d->kind;
		j->command = d->command;
		j->line = xstrndup(line, len);
		j->len = len;
		j->seq = h->last_seq;
		j->kind = xstrdup(kind);
		j->phase = json_strdup(o, "phase");
		j->msg = json_strdup(o, "msg");
		j->environment = json_strdup(o, "environment");
		j->run_id = run_id != NULL && *run_id != '\0' ? xstrdup(run_id) :
		    NULL;
		j->nested = nested;
		if (q->tail != NULL)
			q->tail->next = j;
		else
			q->head = j;
		q->tail = j;
		q->queued++;
	}
	cJSON_Delete(o);
	kick(h);
}

void
hooks_observer(const char *line, size_t len, void *arg)
{
	hooks_event(arg, line, len);
}

/* The event for CUTOVER_EVENT_JSON: whole, or without its data when too
 * large for one environment variable. */
static char *
env_json(const struct hook_job *j)
{
	cJSON *o;
	char *s, *copy;

	if (j->len <= HOOKS_ENV_JSON_MAX)
		return xstrndup(j->line, j->len);
	o = cJSON_ParseWithLength(j->line, j->len);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "data");
	cJSON_AddBoolToObject(o, "data_omitted", true);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	copy = xstrdup(s != NULL ? s : "{}");
	cJSON_free(s);
	return copy;
}

static void
outcome(struct hooks *h, struct hook_job *j, const struct proc_result *r,
    const char *start_error)
{
	struct hook_outcome o;
	struct strbuf head, clean, scrubbed, why;
	char *command;
	size_t i, lines = 0;

	memset(&o, 0, sizeof o);
	sb_init(&head);
	sb_init(&clean);
	sb_init(&scrubbed);
	sb_init(&why);
	if (r != NULL) {
		/* The first lines, each made printable, joined by newlines. */
		for (i = 0; i < r->output_len && clean.len < HOOKS_OUTPUT_BYTES;
		    i++) {
			if (r->output[i] != '\n') {
				if (clean.len + head.len < HOOKS_OUTPUT_BYTES)
					sb_putc(&head, r->output[i]);
				continue;
			}
			if (lines > 0)
				sb_putc(&clean, '\n');
			if (head.len > 0)
				utf8_sanitize(&clean, head.buf, head.len);
			sb_reset(&head);
			if (++lines >= HOOKS_OUTPUT_LINES) {
				i++;
				break;
			}
		}
		if (head.len > 0) {
			if (lines > 0)
				sb_putc(&clean, '\n');
			utf8_sanitize(&clean, head.buf, head.len);
		}
		if (clean.len > 0)
			scrub_text(&scrubbed, clean.buf, clean.len);
		if (r->timed_out)
			sb_printf(&why, "timed out after %g s: its process group "
			    "was killed", h->cfg->hooks_timeout_seconds);
		else if (r->status_lost)
			sb_puts(&why, "ended, but its exit status was collected "
			    "elsewhere (unknown)");
		else if (r->signo != 0)
			sb_printf(&why, "killed by signal %d", r->signo);
		else
			sb_printf(&why, "exit %d", r->exit_code);
		if (i < r->output_len || r->output_truncated)
			sb_puts(&scrubbed, scrubbed.len > 0 ? "\n..." : "...");
		o.exit_code = r->exit_code;
		o.signo = r->signo;
		o.timed_out = r->timed_out;
		o.duration_ms = r->duration_ms;
		o.ok = !r->timed_out && !r->status_lost && r->signo == 0 &&
		    r->exit_code == 0;
	} else {
		char *e = scrub_dup(start_error);

		if (str_startswith(e, "not run") || str_startswith(e, "killed"))
			sb_puts(&why, e);
		else
			sb_printf(&why, "cannot start: %s", e);
		free(e);
		o.exit_code = -1;
	}
	command = scrub_dup(j->command);
	o.hook = j->hook;
	o.command = command;
	o.kind = j->kind;
	o.seq = j->seq;
	o.phase = j->phase;
	o.why = why.buf != NULL ? why.buf : "";
	o.output = scrubbed.buf != NULL ? scrubbed.buf : "";
	o.dropped = h->dropped;
	h->dropped = 0;
	if (h->outcome != NULL)
		h->outcome(&o, h->arg);
	free(command);
	sb_free(&head);
	sb_free(&clean);
	sb_free(&scrubbed);
	sb_free(&why);
}

static void
on_done(const struct proc_result *r, void *arg)
{
	struct hook_queue *q = arg;
	struct hook_job *j = q->running;
	struct hooks *h = q->h;

	q->running = NULL;
	q->proc = NULL;
	outcome(h, j, r, NULL);
	job_free(j);
	kick(h);
}

static void
start_next(struct hook_queue *q)
{
	struct hooks *h = q->h;
	struct proc_opts po;
	struct err e = { 0, "" };
	struct hook_job *j;
	const char *run_id;
	char *env[16], seq[32], *json;
	size_t n = 0, i;

	while (q->running == NULL && (j = q->head) != NULL) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued--;
		j->next = NULL;
		json = env_json(j);
		snprintf(seq, sizeof seq, "%lld", (long long)j->seq);
		n = 0;
		env[n++] = xasprintf("PATH=%s", h->path);
		if (h->home != NULL)
			env[n++] = xasprintf("HOME=%s", h->home);
		if (h->lang != NULL)
			env[n++] = xasprintf("LANG=%s", h->lang);
		env[n++] = xasprintf("CUTOVER_HOOK=%s", j->hook);
		env[n++] = xasprintf("CUTOVER_EVENT_KIND=%s", j->kind);
		env[n++] = xasprintf("CUTOVER_EVENT_SEQ=%s", seq);
		env[n++] = xasprintf("CUTOVER_PHASE=%s", j->phase != NULL ?
		    j->phase : "");
		/* A run's first event may come before its id is known. */
		if (j->run_id == NULL && h->run_id != NULL &&
		    (run_id = h->run_id(h->arg)) != NULL)
			j->run_id = xstrdup(run_id);
		env[n++] = xasprintf("CUTOVER_RUN_ID=%s", j->run_id != NULL ?
		    j->run_id : "");
		env[n++] = xasprintf("CUTOVER_ENVIRONMENT=%s", j->environment !=
		    NULL ? j->environment : "");
		env[n++] = xasprintf("CUTOVER_MSG=%s", j->msg != NULL ? j->msg : "");
		env[n++] = xasprintf("CUTOVER_EVENT_JSON=%s", json);
		env[n] = NULL;
		free(json);
		memset(&po, 0, sizeof po);
		po.command = j->command;
		po.envp = env;
		po.input = j->line;
		po.input_len = j->len + 1;
		j->line[j->len] = '\n';	/* xstrndup left room: the NUL */
		po.timeout_ms = (int64_t)(h->cfg->hooks_timeout_seconds * 1000);
		po.output_max = PROC_OUTPUT_MAX;
		q->running = j;
		q->proc = proc_start(h->loop, &po, on_done, q, &e);
		j->line[j->len] = '\0';
		for (i = 0; i < n; i++)
			free(env[i]);
		if (q->proc == NULL) {
			q->running = NULL;
			outcome(h, j, NULL, e.msg);
			job_free(j);
		}
	}
}

void
hooks_drain(struct hooks *h, int64_t max_ms)
{
	int64_t deadline = mono_ms() + max_ms;
	struct hook_job *j;
	size_t i;

	while (!hooks_idle(h) && mono_ms() < deadline)
		if (loop_run_once(h->loop, 100) < 0)
			break;
	if (h == NULL)
		return;
	/* What could not run in time is said, not dropped in silence. */
	for (i = 0; i < h->cfg->nhooks; i++) {
		struct hook_queue *q = &h->q[i];

		if (q->running != NULL) {
			proc_cancel(q->proc);
			q->proc = NULL;
			j = q->running;
			q->running = NULL;
			outcome(h, j, NULL, "killed: cutover was exiting");
			job_free(j);
		}
		while ((j = q->head) != NULL) {
			q->head = j->next;
			q->queued--;
			outcome(h, j, NULL, "not run: cutover was exiting and the "
			    "hooks before it took too long");
			job_free(j);
		}
		q->tail = NULL;
	}
}

void
hooks_log_outcome(struct eventlog *log, const struct hook_outcome *o)
{
	struct err e = { 0, "" };
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "hook", o->hook);
	cJSON_AddStringToObject(d, "command", o->command);
	cJSON_AddStringToObject(d, "event_kind", o->kind);
	cJSON_AddNumberToObject(d, "event_seq", (double)o->seq);
	if (o->exit_code >= 0)
		cJSON_AddNumberToObject(d, "exit_code", o->exit_code);
	else
		cJSON_AddNullToObject(d, "exit_code");
	if (o->signo != 0)
		cJSON_AddNumberToObject(d, "signal", o->signo);
	cJSON_AddBoolToObject(d, "timed_out", o->timed_out);
	cJSON_AddNumberToObject(d, "duration_ms", (double)o->duration_ms);
	cJSON_AddStringToObject(d, "output", o->output);
	if (o->dropped > 0)
		cJSON_AddNumberToObject(d, "dropped", o->dropped);
	if (str_startswith(o->kind, "hook."))
		cJSON_AddBoolToObject(d, "nested", true);
	if (eventlog_append(log, o->ok ? "hook.done" : "hook.failed", o->phase, d,
	    &e, "hook %s for %s #%lld: %s", o->hook, o->kind, (long long)o->seq,
	    o->why) < 0)
		fprintf(stderr, "cutover: could not log a hook's outcome: %s\n",
		    e.msg);
}
