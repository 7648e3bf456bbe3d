/* report-json.c - `report --json`: the report's model as one JSON
 * document (the same content as the Markdown), and reading the "runs" of
 * such a document back for `--compare FILE`. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jsonin.h"
#include "jsonout.h"
#include "report-int.h"

#define REPORT_JSON_VERSION 1

static void
add_seconds(cJSON *o, const char *key, int64_t from, int64_t to)
{
	json_add_number(o, key, from > 0 && to >= from ?
	    (double)(to - from) / 1000.0 : NAN);
}

static void
add_checks(cJSON *o, const struct report_check *c, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, "checks"), *x;
	size_t i;

	for (i = 0; i < n; i++) {
		x = cJSON_CreateObject();
		json_add_time(x, "at", c[i].at);
		cJSON_AddNumberToObject(x, "seq", (double)c[i].seq);
		cJSON_AddStringToObject(x, "msg", c[i].msg);
		cJSON_AddItemToArray(a, x);
	}
}

static cJSON *
lag_json(const struct report_lag *l)
{
	cJSON *o = cJSON_CreateObject();

	json_add_number(o, "seconds", l->seconds);
	json_add_string(o, "source", l->source);
	json_add_time(o, "at", l->source != NULL &&
	    strcmp(l->source, "stopped") != 0 ? l->at : 0);
	cJSON_AddBoolToObject(o, "whole_seconds", l->whole_seconds);
	return o;
}

static cJSON *
attempts_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x, *ps, *p;
	size_t i;
	int k;

	for (i = 0; i < r->nattempts; i++) {
		const struct report_attempt *at = &r->attempts[i];

		x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "attempt", at->number);
		json_add_time(x, "started_at", at->start);
		json_add_time(x, "ended_at", at->end);
		cJSON_AddStringToObject(x, "outcome", at->outcome);
		ps = cJSON_AddArrayToObject(x, "phases");
		for (k = 0; k < PHASE_COUNT; k++) {
			const struct report_phase *ph = &at->phases[k];

			if (ph->status == RP_NOT_RUN)
				continue;
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "name", phase_name(k));
			cJSON_AddStringToObject(p, "status",
			    report_phase_status_name(ph->status));
			cJSON_AddBoolToObject(p, "undone_by_rollback", ph->undone);
			json_add_time(p, "started_at", ph->start);
			json_add_time(p, "finished_at", ph->end);
			add_seconds(p, "duration_seconds", ph->start, ph->end);
			cJSON_AddItemToObject(p, "lag_at_start", lag_json(&ph->lag));
			add_checks(p, ph->checks, ph->nchecks);
			json_add_string(p, "failure", ph->failure);
			cJSON_AddItemToArray(ps, p);
		}
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
pauses_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x, *c;
	size_t i;

	for (i = 0; i < r->npauses; i++) {
		const struct report_pause *p = &r->pauses[i];

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "kind", report_pause_kind_name(p->kind));
		cJSON_AddNumberToObject(x, "attempt", p->attempt);
		json_add_count(x, "rollback", p->rollback > 0 ? p->rollback : -1);
		json_add_time(x, "started_at", p->start);
		json_add_time(x, "ended_at", p->end);
		json_add_number(x, "seconds", p->end != 0 ? p->seconds : NAN);
		json_add_string(x, "measured", p->measured);
		json_add_string(x, "ended_by", p->ended_by);
		if (p->have_clients) {
			c = cJSON_AddObjectToObject(x, "clients");
			cJSON_AddNumberToObject(c, "load", p->clients.load);
			cJSON_AddNumberToObject(c, "transactions_in_pause",
			    (double)p->clients.in_window);
			cJSON_AddNumberToObject(c, "max_latency_ms",
			    p->clients.max_latency_ms);
			json_add_time(c, "max_latency_end", p->clients.max_latency_end);
			cJSON_AddNumberToObject(c, "max_commit_gap_ms",
			    p->clients.max_gap_ms);
			json_add_time(c, "max_commit_gap_end", p->clients.max_gap_end);
			cJSON_AddNumberToObject(c, "failed", (double)p->clients.failed);
		} else {
			cJSON_AddNullToObject(x, "clients");
		}
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
rollbacks_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->nrollbacks; i++) {
		const struct report_rollback *rb = &r->rollbacks[i];

		x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "number", rb->number);
		cJSON_AddNumberToObject(x, "attempt", rb->attempt);
		json_add_string(x, "from_phase", rb->from_phase >= 0 ?
		    phase_name(rb->from_phase) : NULL);
		json_add_time(x, "started_at", rb->start);
		json_add_time(x, "finished_at", rb->end);
		add_seconds(x, "duration_seconds", rb->start, rb->end);
		cJSON_AddBoolToObject(x, "after_switch", rb->after_switch);
		cJSON_AddBoolToObject(x, "switch_timeout", rb->by_timeout);
		json_add_string(x, "reason", rb->reason);
		cJSON_AddStringToObject(x, "status", rb->status);
		add_checks(x, rb->checks, rb->nchecks);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
validations_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->nvalidations; i++) {
		const struct report_validation *v = &r->validations[i];
		double took = v->read && v->started > 0 && v->finished >= v->started ?
		    (double)(v->finished - v->started) / 1000.0 : NAN;

		x = cJSON_CreateObject();
		json_add_time(x, "at", v->at);
		json_add_count(x, "attempt", v->attempt > 0 ? v->attempt : -1);
		json_add_string(x, "phase", v->phase >= 0 ? phase_name(v->phase) :
		    NULL);
		json_add_string(x, "mode", v->mode);
		if (v->passed >= 0)
			cJSON_AddBoolToObject(x, "passed", v->passed == 1);
		else
			cJSON_AddNullToObject(x, "passed");
		json_add_string(x, "not_passing", v->not_passed != NULL &&
		    *v->not_passed != '\0' ? v->not_passed : NULL);
		json_add_string(x, "file", v->file);
		cJSON_AddBoolToObject(x, "file_read", v->read);
		json_add_time(x, "started_at", v->read ? v->started : 0);
		json_add_time(x, "finished_at", v->read ? v->finished : 0);
		json_add_number(x, "duration_seconds", took);
		json_add_count(x, "tables_compared", v->tables);
		json_add_count(x, "rows", v->rows);
		json_add_string(x, "rows_how", v->rows >= 0 ? v->rows_how : NULL);
		json_add_number(x, "rows_per_second", v->rows >= 0 && took > 0 ?
		    rint((double)v->rows / took) : NAN);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
decisions_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->ndecisions; i++) {
		const struct report_decision *d = &r->decisions[i];

		x = cJSON_CreateObject();
		json_add_time(x, "at", d->at);
		cJSON_AddNumberToObject(x, "attempt", d->attempt);
		json_add_string(x, "phase", d->phase);
		cJSON_AddStringToObject(x, "who", d->who);
		cJSON_AddStringToObject(x, "kind", d->kind);
		cJSON_AddStringToObject(x, "what", d->what);
		cJSON_AddStringToObject(x, "answer", d->answer);
		cJSON_AddStringToObject(x, "how", d->how);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
actions_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->nactions; i++) {
		const struct report_action *ac = &r->actions[i];

		x = cJSON_CreateObject();
		json_add_time(x, "at", ac->at);
		cJSON_AddNumberToObject(x, "seq", (double)ac->seq);
		cJSON_AddNumberToObject(x, "attempt", ac->attempt);
		json_add_count(x, "rollback", ac->rollback > 0 ? ac->rollback : -1);
		json_add_string(x, "phase", ac->phase);
		cJSON_AddStringToObject(x, "kind", ac->kind);
		json_add_string(x, "step", ac->step);
		cJSON_AddStringToObject(x, "what", ac->what);
		json_add_string(x, "detail", ac->detail);
		json_add_string(x, "outcome", *ac->outcome != '\0' ? ac->outcome :
		    NULL);
		json_add_string(x, "error", ac->error);
		json_add_number(x, "ms", ac->ms);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static cJSON *
lag_samples_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *a, *x;
	size_t i;

	json_add_number(o, "threshold_seconds", r->threshold);
	json_add_string(o, "threshold_source", r->threshold_source);
	cJSON_AddBoolToObject(o, "samples_whole_seconds",
	    r->samples_whole_seconds);
	a = cJSON_AddArrayToObject(o, "samples");
	for (i = 0; i < r->nsamples; i++) {
		x = cJSON_CreateObject();
		json_add_time(x, "t", r->samples[i].t);
		json_add_number(x, "end_to_end_seconds", r->samples[i].e2e);
		json_add_number(x, "provider_seconds", r->samples[i].provider);
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

static cJSON *
loads_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->nloads; i++) {
		const struct report_load *l = &r->loads[i];

		x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "load", l->id);
		cJSON_AddNumberToObject(x, "rate", l->rate);
		cJSON_AddNumberToObject(x, "clients", l->clients);
		json_add_time(x, "started_at", l->started);
		json_add_time(x, "ended_at", l->ended);
		cJSON_AddNumberToObject(x, "committed_in_run", (double)l->committed);
		cJSON_AddNumberToObject(x, "failed_in_run", (double)l->failed);
		cJSON_AddNumberToObject(x, "max_latency_ms", l->max_latency_ms);
		cJSON_AddNumberToObject(x, "max_commit_gap_ms", l->max_gap_ms);
		cJSON_AddBoolToObject(x, "judged", l->judged);
		json_add_count(x, "lost", l->judged ? l->lost : -1);
		json_add_count(x, "duplicated", l->judged ? l->duplicated : -1);
		json_add_string(x, "judged_on", l->judged_on);
		json_add_string(x, "verdict", l->verdict);
		json_add_string(x, "error", l->error);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static void
add_rehearsal(cJSON *o, int rehearsal)
{
	if (rehearsal >= 0)
		cJSON_AddBoolToObject(o, "rehearsal", rehearsal == 1);
	else
		cJSON_AddNullToObject(o, "rehearsal");
}

static cJSON *
runs_json(const struct report *r)
{
	cJSON *a = cJSON_CreateArray(), *x;
	size_t i;

	for (i = 0; i < r->nruns; i++) {
		const struct report_run_summary *s = &r->runs[i];

		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "run_id", s->run_id);
		json_add_time(x, "started_at", s->started);
		cJSON_AddStringToObject(x, "environment", s->environment);
		add_rehearsal(x, s->rehearsal);
		cJSON_AddStringToObject(x, "outcome", s->outcome);
		json_add_number(x, "duration_seconds", s->duration);
		json_add_number(x, "write_pause_seconds", s->pause);
		json_add_number(x, "rollback_pause_seconds", s->rollback_pause);
		json_add_number(x, "longest_pause_seconds", s->longest_pause);
		json_add_number(x, "worst_lag_seconds", s->worst_lag);
		cJSON_AddBoolToObject(x, "worst_lag_upper_bound",
		    s->worst_lag_upper_bound);
		json_add_number(x, "validation_seconds", s->validation_seconds);
		cJSON_AddNumberToObject(x, "rollbacks", s->rollbacks);
		cJSON_AddNumberToObject(x, "attempts", s->attempts);
		json_add_string(x, "source", s->current ? NULL : s->source);
		cJSON_AddBoolToObject(x, "this_report", s->current);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

char *
report_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *x;
	char *text;
	size_t i;

	cJSON_AddNumberToObject(o, "version", REPORT_JSON_VERSION);
	x = cJSON_AddObjectToObject(o, "run");
	json_add_string(x, "run_id", r->have_run ? r->run_id : NULL);
	json_add_string(x, "environment", r->environment);
	add_rehearsal(x, r->rehearsal);
	cJSON_AddStringToObject(x, "look", report_look_name(r->look));
	json_add_time(x, "started_at", r->start);
	json_add_time(x, "ended_at", r->end);
	add_seconds(x, "duration_seconds", r->start, r->end);
	json_add_string(x, "outcome", r->outcome);
	cJSON_AddItemToObject(o, "attempts", attempts_json(r));
	cJSON_AddItemToObject(o, "write_pauses", pauses_json(r));
	cJSON_AddItemToObject(o, "rollbacks", rollbacks_json(r));
	x = cJSON_AddArrayToObject(o, "switch_timeouts");
	for (i = 0; i < r->ntimeouts; i++) {
		cJSON *t = cJSON_CreateObject();

		json_add_time(t, "at", r->timeouts[i].at);
		cJSON_AddNumberToObject(t, "attempt", r->timeouts[i].attempt);
		cJSON_AddStringToObject(t, "msg", r->timeouts[i].msg);
		cJSON_AddItemToArray(x, t);
	}
	cJSON_AddItemToObject(o, "validations", validations_json(r));
	cJSON_AddItemToObject(o, "decisions", decisions_json(r));
	cJSON_AddItemToObject(o, "actions", actions_json(r));
	x = cJSON_AddObjectToObject(o, "before_the_run");
	cJSON_AddNumberToObject(x, "events", (double)r->before_events);
	cJSON_AddNumberToObject(x, "setup_actions", (double)r->setup_actions);
	json_add_time(x, "setup_first_at", r->setup_first);
	json_add_time(x, "setup_last_at", r->setup_last);
	cJSON_AddNumberToObject(x, "validations_not_listed",
	    (double)r->before_validations);
	cJSON_AddNumberToObject(o, "events_after_the_run", (double)r->after_events);
	cJSON_AddItemToObject(o, "lag", lag_samples_json(r));
	cJSON_AddItemToObject(o, "lab_loads", loads_json(r));
	x = cJSON_AddObjectToObject(o, "event_log");
	json_add_string(x, "verified", r->log.state == 1 ? "intact" :
	    r->log.state == 0 ? "broken" : "unreadable");
	cJSON_AddNumberToObject(x, "events", (double)r->log.events);
	cJSON_AddNumberToObject(x, "last_seq", (double)r->log.last_seq);
	json_add_string(x, "last_hash", r->log.last_hash[0] != '\0' ?
	    r->log.last_hash : NULL);
	json_add_string(x, "problem", r->log.why[0] != '\0' ? r->log.why : NULL);
	cJSON_AddItemToObject(o, "runs", runs_json(r));
	text = cJSON_Print(o);
	cJSON_Delete(o);
	return text;
}

/* ------------------------------------------------------------ reading */

int
report_json_runs(struct report *r, const char *path, const char *text,
    size_t len, struct err *e)
{
	cJSON *o = cJSON_ParseWithLength(text, len);
	const cJSON *runs, *x, *v;
	int i = 0;

	runs = cJSON_GetObjectItemCaseSensitive(o, "runs");
	if (!cJSON_IsObject(o) || !cJSON_IsArray(runs)) {
		cJSON_Delete(o);
		return err_set(e, EXIT_USAGE, "usage: report: --compare %s: not a "
		    "state directory or a `cutover report --json` document (no "
		    "\"runs\")", path);
	}
	cJSON_ArrayForEach(x, runs) {
		struct report_run_summary s;
		const char *id = json_str(x, "run_id"), *at = json_str(x, "started_at");
		const char *src = json_str(x, "source");

		i++;
		if (id == NULL || at == NULL || time_parse_rfc3339(at) < 0) {
			cJSON_Delete(o);
			return err_set(e, EXIT_USAGE, "usage: report: --compare %s: "
			    "runs[%d] has no run_id or started_at", path, i - 1);
		}
		memset(&s, 0, sizeof s);
		s.run_id = xstrdup(id);
		s.started = time_parse_rfc3339(at);
		s.environment = xstrdup(json_str(x, "environment") != NULL ?
		    json_str(x, "environment") : "?");
		v = cJSON_GetObjectItemCaseSensitive(x, "rehearsal");
		s.rehearsal = cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
		s.outcome = xstrdup(json_str(x, "outcome") != NULL ?
		    json_str(x, "outcome") : "?");
		s.duration = json_num(x, "duration_seconds", NAN);
		s.pause = json_num(x, "write_pause_seconds", NAN);
		s.rollback_pause = json_num(x, "rollback_pause_seconds", NAN);
		s.longest_pause = json_num(x, "longest_pause_seconds", NAN);
		s.worst_lag = json_num(x, "worst_lag_seconds", NAN);
		s.worst_lag_upper_bound = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(x, "worst_lag_upper_bound"));
		s.validation_seconds = json_num(x, "validation_seconds", NAN);
		s.rollbacks = isnan(json_num(x, "rollbacks", NAN)) ? 0 :
		    (int)json_num(x, "rollbacks", NAN);
		s.attempts = isnan(json_num(x, "attempts", NAN)) ? 0 :
		    (int)json_num(x, "attempts", NAN);
		/* A run the earlier report had from elsewhere keeps its origin. */
		s.source = src != NULL ? xasprintf("%s (via %s)", src, path) :
		    xstrdup(path);
		report_add_run(r, &s);
	}
	cJSON_Delete(o);
	return 0;
}
