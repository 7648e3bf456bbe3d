/* report-model.c - the report's model from a state directory: the runs in
 * the event log and, for the last one, its attempts, phases, rollbacks
 * and write pauses, validations, decisions and actions, the lag samples,
 * and the event log's verification. See report.h for the events read. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "eventlog.h"
#include "fileio.h"
#include "report-int.h"

/* Validations before the run shown in the report; older ones are counted. */
#define BEFORE_VALIDATIONS_SHOWN 3
/* A lag sample stands for a phase's start when it is at most this old. */
#define SAMPLE_MAX_AGE_MS 5000

struct evlist {
	struct event *ev;
	int64_t *t;
	size_t n, cap;
};

/* ------------------------------------------------------------ reading */

static void
on_line(const char *line, size_t len, void *arg)
{
	struct evlist *l = arg;
	const char *why;
	struct event ev;

	/* A line that does not parse is the verification's to name. */
	if (event_parse(line, len, &ev, &why) != 0)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->ev = xreallocarray(l->ev, l->cap, sizeof *l->ev);
		l->t = xreallocarray(l->t, l->cap, sizeof *l->t);
	}
	l->t[l->n] = time_parse_rfc3339(ev.ts);
	l->ev[l->n++] = ev;
}

static void
evlist_free(struct evlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		event_free(&l->ev[i]);
	free(l->ev);
	free(l->t);
}

static void
load_samples(const char *state_dir, struct report_sample **out, size_t *nout)
{
	char *path = xasprintf("%s/%s", state_dir, LAG_SAMPLES_FILE), *text, *p;
	struct report_sample *s = NULL;
	size_t len, n = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	if (file_read_all(path, 256 << 20, &text, &len) != 0) {
		free(path);
		return;
	}
	free(path);
	for (p = text; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		const cJSON *t, *a, *b;
		cJSON *o;

		if (nl != NULL)
			*nl = '\0';
		o = cJSON_Parse(p);
		t = cJSON_GetObjectItemCaseSensitive(o, "t");
		a = cJSON_GetObjectItemCaseSensitive(o, "e2e");
		b = cJSON_GetObjectItemCaseSensitive(o, "provider");
		if (cJSON_IsNumber(t)) {
			if (n == cap) {
				cap = cap == 0 ? 256 : cap * 2;
				s = xreallocarray(s, cap, sizeof *s);
			}
			s[n].t = (int64_t)t->valuedouble;
			/* The driver writes -1 (or null) for "unknown". */
			s[n].e2e = cJSON_IsNumber(a) && a->valuedouble >= 0 ?
			    a->valuedouble : NAN;
			s[n].provider = cJSON_IsNumber(b) && b->valuedouble >= 0 ?
			    b->valuedouble : NAN;
			n++;
		}
		cJSON_Delete(o);
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(text);
	*out = s;
	*nout = n;
}

/* ----------------------------------------------------- event's data */

static const cJSON *
dget(const struct event *ev, const char *key)
{
	return ev->data != NULL ? cJSON_GetObjectItemCaseSensitive(ev->data, key) :
	    NULL;
}

static double
dnum(const struct event *ev, const char *key)
{
	const cJSON *v = dget(ev, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *
dstr(const struct event *ev, const char *key)
{
	const cJSON *v = dget(ev, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
dbool(const struct event *ev, const char *key)
{
	const cJSON *v = dget(ev, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static bool
is(const struct event *ev, const char *kind)
{
	return strcmp(ev->kind, kind) == 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The run id and attempt a run.started names: its data, else its msg
 * ("run ID started in ENV", "attempt N of run ID"). */
static void
run_ids(const struct event *ev, char *id, size_t idlen, int *attempt)
{
	const char *s = dstr(ev, "run_id");
	double a = dnum(ev, "attempt");
	char buf[64];
	int n;

	id[0] = '\0';
	*attempt = isnan(a) ? 0 : (int)a;
	if (s != NULL)
		snprintf(id, idlen, "%s", s);
	if (sscanf(ev->msg, "attempt %d of run %63s", &n, buf) == 2) {
		if (*attempt == 0)
			*attempt = n;
		if (id[0] == '\0')
			snprintf(id, idlen, "%s", buf);
	} else if (sscanf(ev->msg, "run %63s started", buf) == 1) {
		if (*attempt == 0)
			*attempt = 1;
		if (id[0] == '\0')
			snprintf(id, idlen, "%s", buf);
	}
}

/* Whether ev is the orchestrator's, so that it belongs to the run even
 * when nothing else happens after it; a run ends with the last of them. */
static bool
run_event(const struct event *ev)
{
	const char *k = ev->kind;

	if (str_startswith(k, "phase.") || str_startswith(k, "rollback.") ||
	    str_startswith(k, "run.") || str_startswith(k, "switch."))
		return true;
	if (str_startswith(k, "action") && dget(ev, "attempt") != NULL)
		return true;
	return strcmp(k, "operator.confirm") == 0 ||
	    strcmp(k, "operator.decline") == 0 ||
	    strcmp(k, "operator.override") == 0 ||
	    strcmp(k, "operator.abort") == 0;
}

static bool
validation_event(const struct event *ev)
{
	return is(ev, "check") && (cJSON_IsObject(dget(ev, "checks")) ||
	    dstr(ev, "file") != NULL);
}

/* -------------------------------------------------------- validations */

static void
sum_tables(const cJSON *check, const char *member, int64_t *tables,
    int64_t *rows)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(check, "tables"), *x;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(check, "compared");

	*tables = -1;
	*rows = -1;
	if (!cJSON_IsArray(t))
		return;
	*tables = cJSON_GetArraySize(t);
	if (cJSON_IsNumber(c))
		*tables = (int64_t)c->valuedouble;
	cJSON_ArrayForEach(x, t) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, member);

		if (cJSON_IsNumber(v))
			*rows = (*rows < 0 ? 0 : *rows) + (int64_t)v->valuedouble;
	}
}

static char *
open_validation(const char *file, const char *state_dir, size_t *len)
{
	const char *base = strrchr(file, '/');
	char *text, *alt;

	if (file_read_all(file, 256 << 20, &text, len) == 0)
		return text;
	/* The state directory may have moved (an archived copy). */
	alt = xasprintf("%s/validation/%s", state_dir, base != NULL ? base + 1 :
	    file);
	if (file_read_all(alt, 256 << 20, &text, len) != 0)
		text = NULL;
	free(alt);
	return text;
}

static void
validation_read(struct report_validation *v, const char *state_dir)
{
	const cJSON *x, *checks;
	int64_t rc_tables = -1, rc_rows = -1, cs_tables = -1, cs_rows = -1;
	const char *rc_method = NULL;
	bool cs_skipped = true;
	size_t len;
	char *text = open_validation(v->file, state_dir, &len);
	cJSON *o;

	if (text == NULL)
		return;
	o = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return;
	}
	v->read = true;
	x = cJSON_GetObjectItemCaseSensitive(o, "started_at");
	if (cJSON_IsString(x))
		v->started = time_parse_rfc3339(x->valuestring);
	x = cJSON_GetObjectItemCaseSensitive(o, "finished_at");
	if (cJSON_IsString(x))
		v->finished = time_parse_rfc3339(x->valuestring);
	x = cJSON_GetObjectItemCaseSensitive(o, "mode");
	if (v->mode == NULL && cJSON_IsString(x))
		v->mode = xstrdup(x->valuestring);
	x = cJSON_GetObjectItemCaseSensitive(o, "passed");
	if (v->passed < 0 && cJSON_IsBool(x))
		v->passed = cJSON_IsTrue(x);
	checks = cJSON_GetObjectItemCaseSensitive(o, "checks");
	cJSON_ArrayForEach(x, checks) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "name");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(x, "status");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(x, "method");

		if (!cJSON_IsString(name))
			continue;
		if (strcmp(name->valuestring, "row_counts") == 0) {
			sum_tables(x, "source", &rc_tables, &rc_rows);
			rc_method = cJSON_IsString(m) ? m->valuestring : NULL;
		} else if (strcmp(name->valuestring, "checksums") == 0) {
			sum_tables(x, "rows", &cs_tables, &cs_rows);
			cs_skipped = !cJSON_IsString(st) ||
			    strcmp(st->valuestring, "skip") == 0;
		}
	}
	if (!cs_skipped && cs_tables >= 0) {
		v->tables = cs_tables;
		v->rows = cs_rows;
		v->rows_how = "checksummed";
	} else if (rc_tables >= 0) {
		v->tables = rc_tables;
		v->rows = rc_rows;
		v->rows_how = rc_method != NULL && strcmp(rc_method, "estimate") == 0 ?
		    "estimated" : "counted";
	}
	cJSON_Delete(o);
}

static void
add_validation(struct report *r, const struct event *ev, int64_t t,
    int attempt, int phase, const char *state_dir)
{
	struct report_validation *v;
	const cJSON *checks = dget(ev, "checks"), *c;
	const char *mode = dstr(ev, "mode"), *file = dstr(ev, "file");
	struct strbuf np;

	r->validations = xreallocarray(r->validations, r->nvalidations + 1,
	    sizeof *r->validations);
	v = &r->validations[r->nvalidations++];
	memset(v, 0, sizeof *v);
	v->at = t;
	v->attempt = attempt;
	v->phase = phase;
	v->passed = dbool(ev, "passed");
	if (v->passed < 0)
		v->passed = strstr(ev->msg, "passed") != NULL ? 1 :
		    strstr(ev->msg, "failed") != NULL ? 0 : -1;
	if (mode == NULL)
		mode = strstr(ev->msg, "full") != NULL ? "full" :
		    strstr(ev->msg, "quick") != NULL ? "quick" : NULL;
	v->mode = dup_or_null(mode);
	sb_init(&np);
	cJSON_ArrayForEach(c, checks) {
		if (!cJSON_IsString(c) || strcmp(c->valuestring, "pass") == 0 ||
		    strcmp(c->valuestring, "skip") == 0)
			continue;
		sb_printf(&np, "%s%s %s", np.len > 0 ? ", " : "", c->string,
		    c->valuestring);
	}
	v->not_passed = sb_detach(&np);
	v->tables = v->rows = -1;
	if (file != NULL) {
		v->file = xstrdup(file);
		validation_read(v, state_dir);
	}
}

/* ------------------------------------------------------------ the run */

struct build {
	struct report *r;
	const struct evlist *l;
	const char *state_dir;
	bool details;

	/* the attempt being read */
	struct report_attempt *a;
	ssize_t rb;           /* the rollback under way, or -1 */
	ssize_t cut;          /* the cut's pause while open, or -1 */
	ssize_t rb_pause;     /* the rollback's pause while open, or -1 */
	ssize_t action;       /* the action awaiting its outcome, or -1 */
	bool switched;
	bool timed_out;       /* a switch.timeout before the rollback */
	int64_t unfenced_at;  /* when the source took writes again */
	int64_t unfenced_seq;
	int64_t rb_first_action;
	int64_t rb_first_seq;
	int64_t cut_seq;      /* the seq that opened the cut's pause */
	int64_t rb_pause_seq; /* ... and the rollback's */
};

static ssize_t
new_pause(struct report *r, enum report_pause_kind kind, int attempt,
    int64_t start)
{
	struct report_pause *p;

	r->pauses = xreallocarray(r->pauses, r->npauses + 1, sizeof *r->pauses);
	p = &r->pauses[r->npauses];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->attempt = attempt;
	p->start = start;
	p->seconds = NAN;
	return (ssize_t)r->npauses++;
}

static void
close_pause(struct report_pause *p, int64_t end, int64_t from_seq,
    int64_t to_seq, const char *to_what)
{
	p->end = end;
	p->seconds = (double)(end - p->start) / 1000.0;
	free(p->measured);
	p->measured = xasprintf("the driver's event times: seq %lld to seq %lld "
	    "(%s)", (long long)from_seq, (long long)to_seq, to_what);
}

static void
add_check(struct report_check **c, size_t *n, const struct event *ev,
    int64_t t)
{
	*c = xreallocarray(*c, *n + 1, sizeof **c);
	(*c)[*n].at = t;
	(*c)[*n].seq = ev->seq;
	(*c)[*n].msg = xstrdup(ev->msg);
	(*n)++;
}

static struct report_action *
new_action(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	struct report_action *x;
	const char *detail = dstr(ev, "detail");

	r->actions = xreallocarray(r->actions, r->nactions + 1,
	    sizeof *r->actions);
	x = &r->actions[r->nactions++];
	memset(x, 0, sizeof *x);
	x->at = t;
	x->seq = ev->seq;
	x->attempt = b->a->number;
	x->rollback = b->rb >= 0 ? r->rollbacks[b->rb].number : 0;
	x->phase = dup_or_null(ev->phase);
	x->kind = xstrdup(ev->kind);
	x->step = dup_or_null(dstr(ev, "step"));
	x->what = xstrdup(ev->msg);
	x->detail = is(ev, "action") ? dup_or_null(detail) : NULL;
	x->outcome = "";
	x->ms = NAN;
	return x;
}

static void
on_action(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	const char *step = dstr(ev, "step");
	struct report_action *x;

	if (is(ev, "action")) {
		x = new_action(b, ev, t);
		x->outcome = "no answer";
		b->action = (ssize_t)(x - r->actions);
		/* A rollback after the switch fences the target first: the
		 * application's writes wait from here. */
		if (b->rb >= 0 && b->rb_first_action == 0) {
			b->rb_first_action = t;
			b->rb_first_seq = ev->seq;
		}
		if (b->rb_pause >= 0 && r->pauses[b->rb_pause].start == 0 &&
		    step != NULL && str_startswith(step, "target.") &&
		    strcmp(step, "target.unfence") != 0) {
			r->pauses[b->rb_pause].start = t;
			b->rb_pause_seq = ev->seq;
		}
		return;
	}
	if (is(ev, "action.done") || is(ev, "action.failed")) {
		x = b->action >= 0 ? &r->actions[b->action] : new_action(b, ev, t);
		b->action = -1;
		if (is(ev, "action.done")) {
			x->outcome = "done";
			x->ms = dnum(ev, "ms");
			if (isnan(x->ms))
				x->ms = (double)(t - x->at);
		} else {
			x->outcome = "failed";
			free(x->error);
			x->error = xstrdup(ev->msg);
		}
		if (b->rb >= 0 && is(ev, "action.done") && step != NULL &&
		    strcmp(step, "source.unfence") == 0) {
			b->unfenced_at = t;
			b->unfenced_seq = ev->seq;
		}
		return;
	}
	/* action.output, run.window, run.switched, run.armed, ... */
	x = new_action(b, ev, t);
	(void)x;
}

static void
on_rollback_started(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	struct report_rollback *rb;
	const char *reason = dstr(ev, "reason");
	int p, sw = dbool(ev, "switched");

	/* A rollback a crash interrupted goes on as the same rollback. */
	if (b->rb >= 0 && r->rollbacks[b->rb].end == 0)
		return;
	for (p = 0; p < PHASE_COUNT; p++) {
		struct report_phase *ph = &b->a->phases[p];

		if (ph->status == RP_RUNNING) {
			ph->status = RP_INTERRUPTED;
			ph->end = t;
			if (b->timed_out && ph->failure == NULL)
				ph->failure = xstrdup("the switch timeout");
		}
	}
	r->rollbacks = xreallocarray(r->rollbacks, r->nrollbacks + 1,
	    sizeof *r->rollbacks);
	rb = &r->rollbacks[r->nrollbacks];
	memset(rb, 0, sizeof *rb);
	rb->number = (int)r->nrollbacks + 1;
	rb->attempt = b->a->number;
	rb->from_phase = ev->phase != NULL ? phase_from_name(ev->phase) : -1;
	rb->start = t;
	rb->after_switch = sw >= 0 ? sw == 1 : b->switched;
	rb->by_timeout = b->timed_out;
	rb->reason = xstrdup(reason != NULL ? reason : ev->msg);
	rb->status = "unfinished";
	b->rb = (ssize_t)r->nrollbacks++;
	b->unfenced_at = b->unfenced_seq = 0;
	b->rb_first_action = b->rb_first_seq = 0;
	b->timed_out = false;
	/* After a failed rollback the target may still be fenced: the pause
	 * goes on into the next one. */
	if (rb->after_switch && b->rb_pause < 0) {
		b->rb_pause = new_pause(r, PAUSE_ROLLBACK, b->a->number, 0);
		r->pauses[b->rb_pause].rollback = rb->number;
	}
}

static void
on_rollback_end(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	struct report_rollback *rb;
	bool done = is(ev, "rollback.done");
	double driver = dnum(ev, "pause_seconds");
	int64_t end = b->unfenced_at, end_seq = b->unfenced_seq;
	const char *end_what = "the source's unfence done";
	int p;

	if (b->rb < 0)
		return;
	rb = &r->rollbacks[b->rb];
	rb->end = t;
	rb->status = done ? "done" : "failed";
	if (end == 0 && done) {
		end = t;
		end_seq = ev->seq;
		end_what = "rollback.done";
	}
	if (b->rb_pause >= 0) {
		struct report_pause *pp = &r->pauses[b->rb_pause];
		int64_t from_seq = b->rb_pause_seq;

		/* No step fenced the target by name: from the first action. */
		if (pp->start == 0) {
			pp->start = b->rb_first_action != 0 ? b->rb_first_action :
			    rb->start;
			from_seq = b->rb_first_action != 0 ? b->rb_first_seq : 0;
		}
		if (end != 0) {
			close_pause(pp, end, from_seq, end_seq, end_what);
			pp->ended_by = "rollback";
			b->rb_pause = -1;
		}
		if (!isnan(driver)) {
			pp->seconds = driver;
			free(pp->measured);
			pp->measured = xstrdup("the driver (rollback.done)");
		}
	}
	if (b->cut >= 0 && end != 0) {
		struct report_pause *cp = &r->pauses[b->cut];

		close_pause(cp, end, b->cut_seq, end_seq, end_what);
		cp->ended_by = "rollback";
		cp->rollback = rb->number;
		if (!isnan(driver) && !rb->after_switch) {
			cp->seconds = driver;
			free(cp->measured);
			cp->measured = xstrdup("the driver (rollback.done)");
		}
		b->cut = -1;
	}
	if (done)
		for (p = PHASE_DRAIN; p < PHASE_COUNT; p++)
			if (b->a->phases[p].status != RP_NOT_RUN)
				b->a->phases[p].undone = true;
	b->rb = -1;
}

static void
on_decision(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	struct report_decision *d;
	const char *q = dstr(ev, "question"), *how = dstr(ev, "how");
	const char *key = dstr(ev, "key"), *typed = dstr(ev, "typed");
	const char *req = dstr(ev, "request");
	const char *k = ev->kind + strlen("operator.");

	r->decisions = xreallocarray(r->decisions, r->ndecisions + 1,
	    sizeof *r->decisions);
	d = &r->decisions[r->ndecisions++];
	memset(d, 0, sizeof *d);
	d->at = t;
	d->attempt = b->a != NULL ? b->a->number : 0;
	d->phase = dup_or_null(ev->phase);
	d->who = xstrdup(ev->actor);
	d->kind = xstrdup(ev->kind);
	d->what = xstrdup(q != NULL ? q : req != NULL ? req : ev->msg);
	if (dbool(ev, "quit") >= 0)
		d->answer = xstrdup(dbool(ev, "quit") == 1 ? "yes" : "no");
	else
		d->answer = xstrdup(strcmp(k, "confirm") == 0 ? "yes" :
		    strcmp(k, "decline") == 0 ? "no" : strcmp(k, "key") == 0 ?
		    "pressed" : strcmp(k, "override") == 0 ? "went on" : k);
	if (how != NULL)
		d->how = xstrdup(how);
	else if (key != NULL)
		d->how = xasprintf("key %s", key);
	else if (typed != NULL)
		d->how = xasprintf("typed \"%s\"", typed);
	else
		d->how = xstrdup("-");
}

static void
on_event(struct build *b, const struct event *ev, int64_t t)
{
	struct report *r = b->r;
	struct report_attempt *a = b->a;
	int p = ev->phase != NULL ? phase_from_name(ev->phase) : -1;
	double th;

	if (is(ev, "phase.started") && p >= 0) {
		struct report_phase *ph = &a->phases[p];

		if (ph->status == RP_NOT_RUN) {
			ph->start = t;
			ph->lag.seconds = dnum(ev, "lag_seconds");
			ph->lag.source = isnan(ph->lag.seconds) ? NULL : "driver";
			ph->lag.at = t;
		}
		ph->status = RP_RUNNING;	/* a resumed phase runs on */
		ph->end = 0;
	} else if ((is(ev, "phase.done") || is(ev, "phase.failed")) && p >= 0) {
		struct report_phase *ph = &a->phases[p];

		if (ph->status == RP_NOT_RUN)
			ph->start = t;
		ph->end = t;
		ph->status = is(ev, "phase.done") ? RP_DONE : RP_FAILED;
		if (ph->status == RP_FAILED) {
			free(ph->failure);
			ph->failure = xstrdup(ev->msg);
		}
	} else if (is(ev, "rollback.started")) {
		on_rollback_started(b, ev, t);
	} else if (is(ev, "rollback.done") || is(ev, "rollback.failed")) {
		on_rollback_end(b, ev, t);
	} else if (is(ev, "switch.timeout")) {
		r->timeouts = xreallocarray(r->timeouts, r->ntimeouts + 1,
		    sizeof *r->timeouts);
		r->timeouts[r->ntimeouts].at = t;
		r->timeouts[r->ntimeouts].attempt = a->number;
		r->timeouts[r->ntimeouts].msg = xstrdup(ev->msg);
		r->ntimeouts++;
		b->timed_out = true;
	} else if (is(ev, "check")) {
		if (validation_event(ev))
			add_validation(r, ev, t, a->number, p >= 0 &&
			    a->phases[p].status == RP_RUNNING ? p : -1,
			    b->state_dir);
		th = dnum(ev, "threshold_seconds");
		if (isnan(th)) {
			double held;

			if (sscanf(ev->msg, "lag gate passed: %lf s below %lf s", &held,
			    &th) != 2)
				th = NAN;
		}
		if (!isnan(th)) {
			r->threshold = th;
			r->threshold_source = "the lag gate's check";
		}
		if (b->rb >= 0) {
			add_check(&r->rollbacks[b->rb].checks,
			    &r->rollbacks[b->rb].nchecks, ev, t);
			if (b->unfenced_at == 0 && strstr(ev->msg, "writable again")) {
				b->unfenced_at = t;
				b->unfenced_seq = ev->seq;
			}
		} else if (p >= 0 && a->phases[p].status == RP_RUNNING) {
			add_check(&a->phases[p].checks, &a->phases[p].nchecks, ev, t);
		}
	} else if (str_startswith(ev->kind, "operator.")) {
		on_decision(b, ev, t);
	}

	if (is(ev, "run.window") && b->cut < 0) {
		b->cut = new_pause(r, PAUSE_CUT, a->number, t);
		b->cut_seq = ev->seq;
	} else if (is(ev, "run.switched")) {
		double s = dnum(ev, "pause_seconds");

		b->switched = true;
		if (b->cut >= 0) {
			struct report_pause *cp = &r->pauses[b->cut];

			close_pause(cp, t, b->cut_seq, ev->seq, "run.switched");
			cp->ended_by = "switch";
			if (!isnan(s)) {
				cp->seconds = s;
				free(cp->measured);
				cp->measured = xstrdup("the driver (run.switched "
				    "pause_seconds)");
			}
			b->cut = -1;
		}
	}
	if (str_startswith(ev->kind, "action") || is(ev, "run.window") ||
	    is(ev, "run.switched") || is(ev, "run.armed") ||
	    is(ev, "run.disarmed"))
		on_action(b, ev, t);
}

static char *
attempt_outcome(const struct report *r, const struct report_attempt *a)
{
	const struct report_rollback *rb = NULL;
	int64_t last = 0;
	int p, lastp = -1;
	size_t i;

	for (i = 0; i < r->nrollbacks; i++)
		if (r->rollbacks[i].attempt == a->number)
			rb = &r->rollbacks[i];
	for (p = 0; p < PHASE_COUNT; p++)
		if (a->phases[p].status != RP_NOT_RUN && a->phases[p].start >= last) {
			last = a->phases[p].start;
			lastp = p;
		}
	if (rb != NULL && rb->start >= last) {
		if (strcmp(rb->status, "done") == 0)
			return xstrdup(rb->by_timeout ? "rolled back (switch timeout)" :
			    "rolled back");
		return xstrdup(strcmp(rb->status, "failed") == 0 ?
		    "rollback failed" : "rolling back (unfinished)");
	}
	if (lastp < 0)
		return xstrdup("not started");
	switch (a->phases[lastp].status) {
	case RP_DONE:
		return lastp == PHASE_POST_VALIDATION ? xstrdup("completed") :
		    xasprintf("stopped after %s", phase_name(lastp));
	case RP_FAILED:
		return xasprintf("failed in %s", phase_name(lastp));
	case RP_RUNNING:
		return xasprintf("running %s", phase_name(lastp));
	default:
		return xasprintf("interrupted in %s", phase_name(lastp));
	}
}

/* Lag at each phase's start: the driver's own figure logged with
 * phase.started; else a lag sample at most SAMPLE_MAX_AGE_MS old. Once
 * forward replication is stopped, the forward lag means nothing. */
static void
phase_lags(struct report *r, struct report_attempt *a)
{
	const struct report_phase *stop = &a->phases[PHASE_STOP_REPLICATION];
	int p;
	size_t i;

	for (p = 0; p < PHASE_COUNT; p++) {
		struct report_phase *ph = &a->phases[p];

		if (ph->status == RP_NOT_RUN)
			continue;
		if (p > PHASE_STOP_REPLICATION && stop->status == RP_DONE &&
		    stop->end <= ph->start) {
			ph->lag.seconds = NAN;
			ph->lag.source = "stopped";
			continue;
		}
		if (ph->lag.source != NULL)
			continue;
		for (i = r->nsamples; i-- > 0;) {
			const struct report_sample *s = &r->samples[i];

			if (s->t > ph->start || isnan(s->e2e))
				continue;
			if (ph->start - s->t <= SAMPLE_MAX_AGE_MS) {
				ph->lag.seconds = s->e2e;
				ph->lag.source = "sample";
				ph->lag.at = s->t;
				ph->lag.whole_seconds = r->samples_whole_seconds;
			}
			break;
		}
	}
}

static void
take_samples(struct report *r, const struct report_sample *s, size_t ns)
{
	size_t i, n = 0, whole = 0;

	for (i = 0; i < ns; i++) {
		if (s[i].t < r->start || s[i].t > r->end)
			continue;
		r->samples = xreallocarray(r->samples, r->nsamples + 1,
		    sizeof *r->samples);
		r->samples[r->nsamples++] = s[i];
		if (!isnan(s[i].e2e)) {
			n++;
			if (fabs(s[i].e2e - rint(s[i].e2e)) < 0.02)
				whole++;
		}
	}
	/* A one-second heartbeat reads whole seconds when caught up. */
	r->samples_whole_seconds = n >= 3 && whole == n;
}

/* The run in events [from, to); before_from: where the events before it
 * start (after the previous run's end). */
static void
build_run(struct report *r, const struct evlist *l, size_t before_from,
    size_t from, size_t to, const struct report_sample *s, size_t ns,
    const char *state_dir, bool details)
{
	struct build b;
	size_t i, k, last = from, nbefore_val = 0;
	size_t *starts = NULL, nstarts = 0;
	char id[64];
	int attempt, reh;

	memset(&b, 0, sizeof b);
	b.r = r;
	b.l = l;
	b.state_dir = state_dir;
	b.details = details;
	r->have_run = true;
	run_ids(&l->ev[from], id, sizeof id, &attempt);
	r->run_id = xstrdup(id[0] != '\0' ? id : "?");
	r->environment = xstrdup(l->ev[from].environment);
	reh = dbool(&l->ev[from], "rehearsal");
	if (reh < 0 && strncmp(l->ev[from].msg, "run ", 4) == 0)
		reh = strstr(l->ev[from].msg, "(rehearsal)") != NULL;
	r->rehearsal = reh;
	r->start = l->t[from];

	/* Attempts begin at each run.started; the run ends with the last
	 * event the orchestrator logged. */
	for (i = from; i < to; i++) {
		if (is(&l->ev[i], "run.started")) {
			starts = xreallocarray(starts, nstarts + 1, sizeof *starts);
			starts[nstarts++] = i;
		}
		if (run_event(&l->ev[i]))
			last = i;
	}
	r->end = l->t[last];
	r->attempts = xcalloc(nstarts, sizeof *r->attempts);
	r->nattempts = nstarts;

	/* Before the run: set-up, and the validations nearest to it. */
	for (i = before_from; i < from; i++) {
		const struct event *ev = &l->ev[i];

		r->before_events++;
		if (is(ev, "action") && dget(ev, "attempt") == NULL) {
			if (r->setup_actions++ == 0)
				r->setup_first = l->t[i];
			r->setup_last = l->t[i];
		}
		if (validation_event(ev))
			nbefore_val++;
	}
	for (i = before_from; i < from; i++) {
		if (!validation_event(&l->ev[i]))
			continue;
		if (nbefore_val-- > BEFORE_VALIDATIONS_SHOWN) {
			r->before_validations++;
			continue;
		}
		add_validation(r, &l->ev[i], l->t[i], 0, -1, state_dir);
	}

	for (k = 0; k < nstarts; k++) {
		size_t end = k + 1 < nstarts ? starts[k + 1] : last + 1;

		b.a = &r->attempts[k];
		run_ids(&l->ev[starts[k]], id, sizeof id, &attempt);
		b.a->number = attempt > 0 ? attempt : (int)k + 1;
		b.a->start = l->t[starts[k]];
		b.a->end = b.a->start;
		b.rb = b.cut = b.rb_pause = b.action = -1;
		b.switched = b.timed_out = false;
		for (i = starts[k]; i < end && i <= last; i++) {
			on_event(&b, &l->ev[i], l->t[i]);
			if (run_event(&l->ev[i]))
				b.a->end = l->t[i];
		}
		/* A rollback pause still open: from its first action (a
		 * rollback pause exists only once a rollback has started). */
		if (b.rb_pause >= 0 && r->pauses[b.rb_pause].start == 0)
			r->pauses[b.rb_pause].start = b.rb_first_action != 0 ?
			    b.rb_first_action :
			    r->rollbacks[r->nrollbacks - 1].start;
		for (i = 0; i < PHASE_COUNT; i++)
			if (b.a->phases[i].status == RP_RUNNING)
				b.a->phases[i].end = r->end;
	}
	r->after_events = to - last - 1;
	free(starts);

	take_samples(r, s, ns);
	for (k = 0; k < r->nattempts; k++) {
		phase_lags(r, &r->attempts[k]);
		r->attempts[k].outcome = attempt_outcome(r, &r->attempts[k]);
	}
	r->outcome = xstrdup(r->nattempts > 0 ?
	    r->attempts[r->nattempts - 1].outcome : "not started");
	for (i = 0; i < r->npauses; i++)
		if (r->pauses[i].measured == NULL)
			r->pauses[i].measured = xstrdup(r->pauses[i].end == 0 ?
			    "still paused when the log ends" : "?");
	if (details)
		report_lab_loads(r, state_dir);
}

static enum report_look
look_of(const struct report *r)
{
	if (r->rehearsal == 1)
		return LOOK_REHEARSAL;
	if (r->environment != NULL && (strcmp(r->environment, "prod") == 0 ||
	    strcmp(r->environment, "production") == 0))
		return LOOK_PRODUCTION;
	return LOOK_OTHER;
}

static void
verify_log(struct report *r, const char *path, const struct evlist *l)
{
	struct verify_result vr;
	struct err e = { 0, "" };
	int rc = eventlog_verify(path, &vr, &e);

	r->log.state = rc == 0 ? 1 : rc == 1 ? 0 : -1;
	r->log.events = vr.lines;
	snprintf(r->log.why, sizeof r->log.why, "%s", rc == 1 ? vr.why :
	    rc < 0 ? e.msg : "");
	if (l->n > 0) {
		r->log.last_seq = l->ev[l->n - 1].seq;
		snprintf(r->log.last_hash, sizeof r->log.last_hash, "%s",
		    l->ev[l->n - 1].hash);
	}
}

int
report_build(struct report *r, const char *state_dir, const struct config *cfg,
    struct err *e)
{
	struct eventlog_reader rd;
	struct evlist l;
	struct report_sample *s;
	struct state st;
	size_t ns, i, *runs = NULL, nruns = 0, *lasts = NULL;
	char *path = xasprintf("%s/%s", state_dir, EVENTLOG_FILE), cur[64];
	int attempt, k;

	memset(r, 0, sizeof *r);
	memset(&l, 0, sizeof l);
	r->threshold = NAN;
	if (eventlog_reader_open(&rd, path) != 0) {
		err_set(e, EXIT_USAGE, "%s: %s", path, strerror(errno));
		eventlog_reader_close(&rd);
		free(path);
		return -1;
	}
	while (eventlog_reader_poll(&rd, on_line, &l) > 0)
		;
	eventlog_reader_close(&rd);
	verify_log(r, path, &l);
	free(path);
	if (cfg != NULL) {
		r->threshold = cfg->max_lag_seconds;
		r->threshold_source = "cutover.conf max_lag_seconds";
	}
	load_samples(state_dir, &s, &ns);

	/* The runs: a run.started of a new run id, or of a first attempt. */
	cur[0] = '\0';
	for (i = 0; i < l.n; i++) {
		char id[64];

		if (!is(&l.ev[i], "run.started"))
			continue;
		run_ids(&l.ev[i], id, sizeof id, &attempt);
		if (nruns == 0 || (id[0] != '\0' && cur[0] != '\0' ?
		    strcmp(id, cur) != 0 : attempt <= 1)) {
			runs = xreallocarray(runs, nruns + 1, sizeof *runs);
			runs[nruns++] = i;
		}
		if (id[0] != '\0')
			snprintf(cur, sizeof cur, "%s", id);
	}
	lasts = xcalloc(nruns + 1, sizeof *lasts);
	for (k = 0; k < (int)nruns; k++) {
		size_t to = k + 1 < (int)nruns ? runs[k + 1] : l.n;

		lasts[k] = runs[k];
		for (i = runs[k]; i < to; i++)
			if (run_event(&l.ev[i]))
				lasts[k] = i;
	}
	/* Every run but the last, for the trend. */
	for (k = 0; k + 1 < (int)nruns; k++) {
		struct report other;
		struct report_run_summary sum;

		memset(&other, 0, sizeof other);
		other.threshold = NAN;
		build_run(&other, &l, k > 0 ? lasts[k - 1] + 1 : 0, runs[k],
		    runs[k + 1], s, ns, state_dir, false);
		report_summarise(&other, &sum);
		sum.source = xstrdup(state_dir);
		sum.current = false;
		report_add_run(r, &sum);
		report_free(&other);
	}
	if (nruns > 0) {
		struct report_run_summary sum;

		build_run(r, &l, nruns > 1 ? lasts[nruns - 2] + 1 : 0,
		    runs[nruns - 1], l.n, s, ns, state_dir, true);
		/* state.json knows whether the current run is a rehearsal. */
		if (state_load(&st, state_dir, e) == 0) {
			if (strcmp(st.run_id, r->run_id) == 0)
				r->rehearsal = st.rehearsal;
			state_free(&st);
		}
		e->code = 0;
		e->msg[0] = '\0';
		report_summarise(r, &sum);
		sum.source = xstrdup(state_dir);
		report_add_run(r, &sum);
	} else {
		r->before_events = l.n;
		r->outcome = xstrdup("no run in the event log");
	}
	r->look = look_of(r);
	free(runs);
	free(lasts);
	free(s);
	evlist_free(&l);
	return 0;
}
