/* orchestrator-stub.c - STUB so the console links and can be looked at
 * before src/orchestrator.c (issue 5) is merged from main: it asks the
 * orchestrator's question and records phases as done without doing
 * anything. DELETE ON MERGE (and drop it from Makefile.am). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "orchestrator.h"

struct orch {
	struct loop *loop;
	const struct config *cfg;
	char *dir;
	struct eventlog *log;
	struct orch_ui ui;
	struct state st;
	bool busy, rollback, asking;
	enum phase_id until;
	orch_done_fn done;
	void *arg;
	char title[128];
};

struct orch *
orch_new(struct loop *loop, const struct config *cfg, const char *state_dir,
    struct eventlog *log, struct provider *prov, const struct orch_ui *ui,
    const struct orch_opts *opts, struct err *e)
{
	struct orch *o = xcalloc(1, sizeof *o);
	int rc;

	(void)prov;
	(void)opts;
	o->loop = loop;
	o->cfg = cfg;
	o->dir = xstrdup(state_dir);
	o->log = log;
	o->ui = *ui;
	rc = state_load(&o->st, state_dir, e);
	if (rc < 0) {
		free(o->dir);
		free(o);
		return NULL;
	}
	if (rc == 1) {
		state_init(&o->st, cfg->environment, cfg->rehearsal);
		if (state_save(&o->st, state_dir, e) != 0 ||
		    eventlog_append(log, "run.started", NULL, NULL, e,
		    "run %s started", o->st.run_id) < 0) {
			state_free(&o->st);
			free(o->dir);
			free(o);
			return NULL;
		}
	}
	return o;
}

void
orch_free(struct orch *o)
{
	if (o == NULL)
		return;
	state_free(&o->st);
	free(o->dir);
	free(o);
}

void
orch_run(struct orch *o, enum phase_id until, orch_done_fn done, void *arg)
{
	struct orch_question q;

	o->until = until;
	o->done = done;
	o->arg = arg;
	o->busy = true;
	o->rollback = false;
	memset(&q, 0, sizeof q);
	snprintf(o->title, sizeof o->title, "Run phase %d/8: %s",
	    (int)o->st.phase + 1, phase_name(o->st.phase));
	q.title = o->title;
	q.plan = "STUB orchestrator: nothing is done; the phase is marked done";
	q.danger = o->st.phase >= PHASE_DRAIN ? DANGER_HIGH : DANGER_LOW;
	q.type_name = strcmp(o->cfg->environment, "prod") == 0;
	q.environment = o->cfg->environment;
	q.phase = o->st.phase;
	o->asking = true;
	o->ui.ask(o, &q, o->ui.arg);
}

void
orch_rollback(struct orch *o, const char *reason, orch_done_fn done,
    void *arg)
{
	struct orch_question q;

	(void)reason;
	o->done = done;
	o->arg = arg;
	o->busy = true;
	o->rollback = true;
	memset(&q, 0, sizeof q);
	q.title = "Roll back";
	q.plan = "STUB orchestrator: the phases are marked rolled back";
	q.danger = DANGER_HIGH;
	q.type_name = strcmp(o->cfg->environment, "prod") == 0;
	q.environment = o->cfg->environment;
	q.rollback = true;
	o->asking = true;
	o->ui.ask(o, &q, o->ui.arg);
}

void
orch_answer(struct orch *o, bool yes, const char *how)
{
	struct err e = { 0, "" };
	int i;

	o->asking = false;
	eventlog_append(o->log, "operator.decision", phase_name(o->st.phase),
	    NULL, &e, "%s: %s", yes ? "yes" : "no", how);
	if (!yes) {
		o->busy = false;
		o->done(o, EXIT_ABORTED, "the operator said no", o->arg);
		return;
	}
	if (o->rollback) {
		for (i = 0; i < PHASE_COUNT; i++)
			if (o->st.phases[i].status != PS_PENDING)
				o->st.phases[i].status = PS_ROLLED_BACK;
		o->st.phase_status = PS_ROLLED_BACK;
		eventlog_append(o->log, "rollback.done", NULL, NULL, &e, "stub");
	} else {
		o->st.phases[o->st.phase].status = PS_DONE;
		o->st.phases[o->st.phase].started_at = now_ms();
		o->st.phases[o->st.phase].finished_at = now_ms();
		eventlog_append(o->log, "phase.done", phase_name(o->st.phase), NULL,
		    &e, "stub");
		if (o->st.phase + 1 < PHASE_COUNT)
			o->st.phase++;
		else
			o->st.completed = true;
		o->st.phase_status = PS_PENDING;
	}
	state_save(&o->st, o->dir, &e);
	o->busy = false;
	if (o->ui.changed != NULL)
		o->ui.changed(o, o->ui.arg);
	o->done(o, 0, "stub: done", o->arg);
}

void
orch_abort(struct orch *o)
{
	(void)o;
}

int
orch_disarm(struct orch *o, struct err *e)
{
	(void)o;
	return err_set(e, EXIT_CHECK, "not armed");
}

const struct state *
orch_state(const struct orch *o)
{
	return &o->st;
}

bool
orch_busy(const struct orch *o)
{
	return o->busy;
}

const char *
orch_step(const struct orch *o)
{
	(void)o;
	return NULL;
}

bool
orch_gate(const struct orch *o, struct orch_gate *g)
{
	(void)o;
	(void)g;
	return false;
}

double
orch_switch_time_left(const struct orch *o)
{
	(void)o;
	return -1;
}

const struct validation *
orch_last_validation(const struct orch *o)
{
	(void)o;
	return NULL;
}

char *
orch_describe_phase(struct orch *o, enum phase_id p)
{
	(void)o;
	return xstrdup(phase_name(p));
}

char *
orch_describe_rollback(struct orch *o)
{
	(void)o;
	return xstrdup("rollback");
}

enum phase_id
orch_next_phase(const struct orch *o)
{
	return o->st.completed ? PHASE_COUNT : o->st.phase;
}
