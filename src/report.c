/* report.c - the lag samples the driver keeps, what the report's writers
 * share (names, durations, clock times, the run's summary) and the trend
 * across runs. The model is built in report-model.c; other runs are
 * read by report-compare.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "report-int.h"

int
lag_sample_append(const char *state_dir, int64_t t_ms, double e2e,
    double provider, struct err *e)
{
	char *path = xasprintf("%s/%s", state_dir, LAG_SAMPLES_FILE), line[160];
	int fd, n;

	n = snprintf(line, sizeof line, "{\"t\":%lld,\"e2e\":%s%.3f,"
	    "\"provider\":%s%.3f}\n", (long long)t_ms, "", isnan(e2e) ? -1 : e2e,
	    "", isnan(provider) ? -1 : provider);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, line, (size_t)n) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	close(fd);
	free(path);
	return 0;
}

const char *
report_look_name(enum report_look l)
{
	switch (l) {
	case LOOK_REHEARSAL:
		return "rehearsal";
	case LOOK_PRODUCTION:
		return "production";
	case LOOK_OTHER:
		break;
	}
	return "other";
}

const char *
report_phase_status_name(enum report_phase_status s)
{
	static const char *const names[] = { "not run", "running", "done",
		"failed", "interrupted" };

	return names[s];
}

const char *
report_pause_kind_name(enum report_pause_kind k)
{
	return k == PAUSE_CUT ? "cut" : "rollback";
}

void
report_fmt_duration(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 60)
		snprintf(buf, len, "%.3f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%d min %.1f s", (int)(s / 60),
		    s - 60 * floor(s / 60));
	else
		snprintf(buf, len, "%d h %02d min", (int)(s / 3600),
		    (int)(fmod(s, 3600) / 60));
}

void
report_fmt_clock(const struct report *r, int64_t ms, char *buf, size_t len)
{
	char full[40];

	time_rfc3339(ms, full, sizeof full);
	/* 2026-11-24T16:00:12.345Z */
	if (r->start > 0 && ms / 86400000 == r->start / 86400000)
		snprintf(buf, len, "%.12s", full + 11);
	else
		snprintf(buf, len, "%.10s %.12s", full, full + 11);
}

const struct report_pause *
report_last_cut(const struct report *r)
{
	size_t i;

	for (i = r->npauses; i-- > 0;)
		if (r->pauses[i].kind == PAUSE_CUT)
			return &r->pauses[i];
	return NULL;
}

static double
max_nan(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return a > b ? a : b;
}

void
report_summarise(const struct report *r, struct report_run_summary *s)
{
	const struct report_pause *cut = report_last_cut(r);
	size_t i;
	int p;

	memset(s, 0, sizeof *s);
	s->run_id = xstrdup(r->run_id != NULL ? r->run_id : "?");
	s->environment = xstrdup(r->environment != NULL ? r->environment : "?");
	s->rehearsal = r->rehearsal;
	s->started = r->start;
	s->duration = (double)(r->end - r->start) / 1000.0;
	s->outcome = xstrdup(r->outcome != NULL ? r->outcome : "?");
	s->pause = cut != NULL ? cut->seconds : NAN;
	s->rollback_pause = s->longest_pause = NAN;
	for (i = 0; i < r->npauses; i++) {
		if (r->pauses[i].end == 0)
			continue;
		if (r->pauses[i].kind == PAUSE_ROLLBACK)
			s->rollback_pause = max_nan(s->rollback_pause,
			    r->pauses[i].seconds);
		s->longest_pause = max_nan(s->longest_pause, r->pauses[i].seconds);
	}
	/* The driver's own readings and the samples; a whole-second sample
	 * is an upper bound, not a figure. */
	s->worst_lag = NAN;
	for (i = 0; i < r->nattempts; i++)
		for (p = 0; p < PHASE_COUNT; p++)
			if (strcmp(r->attempts[i].phases[p].lag.source != NULL ?
			    r->attempts[i].phases[p].lag.source : "", "driver") == 0)
				s->worst_lag = max_nan(s->worst_lag,
				    r->attempts[i].phases[p].lag.seconds);
	for (i = 0; i < r->nsamples; i++) {
		double v = r->samples[i].e2e;

		if (isnan(v) || (!isnan(s->worst_lag) && v <= s->worst_lag))
			continue;
		s->worst_lag = v;
		s->worst_lag_upper_bound = r->samples_whole_seconds;
	}
	s->validation_seconds = NAN;
	for (i = 0; i < r->nvalidations; i++) {
		const struct report_validation *v = &r->validations[i];

		if (v->attempt > 0 && v->read && v->finished >= v->started &&
		    v->started > 0)
			s->validation_seconds = (isnan(s->validation_seconds) ? 0 :
			    s->validation_seconds) + (double)(v->finished -
			    v->started) / 1000.0;
	}
	s->rollbacks = (int)r->nrollbacks;
	s->attempts = (int)r->nattempts;
	s->current = true;
}

void
report_run_summary_free(struct report_run_summary *s)
{
	free(s->run_id);
	free(s->environment);
	free(s->outcome);
	free(s->source);
	memset(s, 0, sizeof *s);
}

static int
by_start(const void *a, const void *b)
{
	const struct report_run_summary *x = a, *y = b;

	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->run_id, y->run_id);
}

void
report_add_run(struct report *r, struct report_run_summary *s)
{
	size_t i;

	for (i = 0; i < r->nruns; i++) {
		if (strcmp(r->runs[i].run_id, s->run_id) == 0) {
			report_run_summary_free(s);
			return;
		}
	}
	r->runs = xreallocarray(r->runs, r->nruns + 1, sizeof *r->runs);
	r->runs[r->nruns++] = *s;
	memset(s, 0, sizeof *s);
	if (r->nruns > 1)
		qsort(r->runs, r->nruns, sizeof *r->runs, by_start);
}

static void
free_checks(struct report_check *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].msg);
	free(c);
}

void
report_free(struct report *r)
{
	size_t i;
	int p;

	free(r->run_id);
	free(r->environment);
	free(r->outcome);
	for (i = 0; i < r->nattempts; i++) {
		for (p = 0; p < PHASE_COUNT; p++) {
			free_checks(r->attempts[i].phases[p].checks,
			    r->attempts[i].phases[p].nchecks);
			free(r->attempts[i].phases[p].failure);
		}
		free(r->attempts[i].outcome);
	}
	free(r->attempts);
	for (i = 0; i < r->nrollbacks; i++) {
		free(r->rollbacks[i].reason);
		free_checks(r->rollbacks[i].checks, r->rollbacks[i].nchecks);
	}
	free(r->rollbacks);
	for (i = 0; i < r->npauses; i++)
		free(r->pauses[i].measured);
	free(r->pauses);
	for (i = 0; i < r->ntimeouts; i++)
		free(r->timeouts[i].msg);
	free(r->timeouts);
	for (i = 0; i < r->nvalidations; i++) {
		free(r->validations[i].mode);
		free(r->validations[i].not_passed);
		free(r->validations[i].file);
	}
	free(r->validations);
	for (i = 0; i < r->ndecisions; i++) {
		free(r->decisions[i].phase);
		free(r->decisions[i].who);
		free(r->decisions[i].kind);
		free(r->decisions[i].what);
		free(r->decisions[i].answer);
		free(r->decisions[i].how);
	}
	free(r->decisions);
	for (i = 0; i < r->nactions; i++) {
		free(r->actions[i].phase);
		free(r->actions[i].kind);
		free(r->actions[i].step);
		free(r->actions[i].what);
		free(r->actions[i].detail);
		free(r->actions[i].error);
	}
	free(r->actions);
	free(r->samples);
	for (i = 0; i < r->nloads; i++) {
		free(r->loads[i].judged_on);
		free(r->loads[i].verdict);
		free(r->loads[i].error);
	}
	free(r->loads);
	for (i = 0; i < r->nruns; i++)
		report_run_summary_free(&r->runs[i]);
	free(r->runs);
	memset(r, 0, sizeof *r);
}
