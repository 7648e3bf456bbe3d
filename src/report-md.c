/* report-md.c - the report as Markdown: what the run was, its write
 * pauses as the driver and the clients saw them, phases, rollbacks,
 * validations, decisions, actions, and the trend across runs. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void
cell(struct strbuf *sb, const char *s)
{
	if (s == NULL || *s == '\0') {
		sb_putc(sb, '-');
		return;
	}
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '|':
		case '`':
		case '*':
		case '[':
		case ']':
			sb_putc(sb, '\\');
			sb_putc(sb, *s);
			break;
		case '<':
			sb_puts(sb, "&lt;");
			break;
		case '\n':
		case '\r':
			sb_putc(sb, ' ');
			break;
		default:
			sb_putc(sb, *s);
		}
	}
}

static const char *
count(int64_t n, char *buf, size_t len)
{
	char raw[32];
	size_t i, j = 0, digits;

	if (n < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(raw, sizeof raw, "%lld", (long long)n);
	digits = strlen(raw);
	for (i = 0; i < digits && j + 2 < len; i++) {
		if (i > 0 && (digits - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = raw[i];
	}
	buf[j] = '\0';
	return buf;
}

static const char *
dur(double s, char *buf, size_t len)
{
	report_fmt_duration(s, buf, len);
	return buf;
}

/* Seconds to the millisecond, "-" when unknown. */
static void
seconds3(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f s", v);
}

/* A write pause: always in seconds to the millisecond. */
static const char *
pause_text(const struct report_pause *p, char *buf, size_t len)
{
	if (p->end == 0 || isnan(p->seconds))
		snprintf(buf, len, "still paused at the log's end");
	else
		snprintf(buf, len, "%.3f s", p->seconds);
	return buf;
}

static const char *
ms_text(double ms, char *buf, size_t len)
{
	if (isnan(ms))
		snprintf(buf, len, "-");
	else if (ms < 10000)
		snprintf(buf, len, "%.0f ms", ms);
	else
		report_fmt_duration(ms / 1000.0, buf, len);
	return buf;
}

static const char *
clock_text(const struct report *r, int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		snprintf(buf, len, "-");
	else
		report_fmt_clock(r, ms, buf, len);
	return buf;
}

static void
lag_text(const struct report_lag *l, char *buf, size_t len)
{
	if (l->source != NULL && strcmp(l->source, "stopped") == 0)
		snprintf(buf, len, "- (replication stopped)");
	else if (isnan(l->seconds) || l->source == NULL)
		snprintf(buf, len, "-");
	else if (strcmp(l->source, "sample") == 0 && l->whole_seconds)
		snprintf(buf, len, "≤ %.0f s (whole-second sample)",
		    fmax(1, rint(l->seconds)));
	else
		snprintf(buf, len, "%.3f s%s", l->seconds,
		    strcmp(l->source, "sample") == 0 ? " (sample)" : "");
}

static void
banner(struct strbuf *sb, const struct report *r)
{
	const char *env = r->environment != NULL ? r->environment : "?";

	switch (r->look) {
	case LOOK_REHEARSAL:
		sb_printf(sb, "# Cutover report: REHEARSAL in %s\n\n", env);
		sb_printf(sb, "> **REHEARSAL** · environment `%s` · a rehearsal: "
		    "its figures are for planning; it is not the production "
		    "cutover.\n\n", env);
		break;
	case LOOK_PRODUCTION:
		sb_printf(sb, "# Cutover report: PRODUCTION (%s)\n\n", env);
		sb_printf(sb, "> **PRODUCTION** · environment `%s` · this is the "
		    "production cutover, not a rehearsal.\n\n", env);
		break;
	case LOOK_OTHER:
		sb_printf(sb, "# Cutover report: %s\n\n", env);
		sb_printf(sb, "> **%s, NOT MARKED AS A REHEARSAL** · environment `%s` "
		    "· `rehearsal` was not true in `[cutover]` for this run.\n\n",
		    env, env);
		break;
	}
}

static void
verify_line(struct strbuf *sb, const struct report *r)
{
	if (r->log.state == 1)
		sb_printf(sb, "intact (`cutover log --verify`): %lld events, last "
		    "seq %lld, last hash `%s`", (long long)r->log.events,
		    (long long)r->log.last_seq, r->log.last_hash);
	else if (r->log.state == 0)
		sb_printf(sb, "**BROKEN** (`cutover log --verify`): %s; %lld good "
		    "events before it; last seq %lld, last hash `%s`", r->log.why,
		    (long long)r->log.events, (long long)r->log.last_seq,
		    r->log.last_hash);
	else
		sb_printf(sb, "**not verified**: %s", r->log.why);
}

static void
clients_text(struct strbuf *sb, const struct report_pause *p)
{
	char a[32], b[32];

	sb_printf(sb, "longest transaction %s, longest gap between commits %s, "
	    "%lld failed (lab load %d)", ms_text(p->clients.max_latency_ms, a,
	    sizeof a), ms_text(p->clients.max_gap_ms, b, sizeof b),
	    (long long)p->clients.failed, p->clients.load);
}

static void
summary(struct strbuf *sb, const struct report *r)
{
	char t[40], d[40];
	size_t i, n;
	int k;

	sb_puts(sb, "| | |\n|---|---|\n");
	sb_printf(sb, "| run | `%s` |\n", r->run_id);
	sb_puts(sb, "| outcome | ");
	cell(sb, r->outcome);
	if (r->nattempts > 1 || r->nrollbacks > 0)
		sb_printf(sb, " (attempt %d of %zu; %zu rollback%s)",
		    r->attempts[r->nattempts - 1].number, r->nattempts,
		    r->nrollbacks, r->nrollbacks == 1 ? "" : "s");
	sb_puts(sb, " |\n");
	time_rfc3339(r->start, t, sizeof t);
	sb_printf(sb, "| started | %s |\n", t);
	time_rfc3339(r->end, t, sizeof t);
	sb_printf(sb, "| ended | %s (%s) |\n", t,
	    dur((double)(r->end - r->start) / 1000.0, d, sizeof d));
	sb_puts(sb, "| attempts |");
	for (i = 0; i < r->nattempts; i++)
		sb_printf(sb, "%s %d: %s", i > 0 ? ";" : "", r->attempts[i].number,
		    r->attempts[i].outcome);
	sb_puts(sb, " |\n");
	/* Every pause, the cut's of each attempt first: the longest is as
	 * much the change board's business as the last. */
	for (k = 0; k < 2; k++) {
		n = 0;
		for (i = 0; i < r->npauses; i++) {
			const struct report_pause *p = &r->pauses[i];

			if (p->kind != (k == 0 ? PAUSE_CUT : PAUSE_ROLLBACK))
				continue;
			if (n++ == 0)
				sb_puts(sb, k == 0 ? "| write pause of the cut |" :
				    "| write pause of the rollbacks |");
			else
				sb_puts(sb, ";");
			if (k == 0)
				sb_printf(sb, " attempt %d: **%s** (%s", p->attempt,
				    pause_text(p, d, sizeof d), p->ended_by == NULL ?
				    "not ended" : strcmp(p->ended_by, "switch") == 0 ?
				    "ended by the switch" : "ended by a rollback");
			else
				sb_printf(sb, " rollback %d: **%s** (after the switch",
				    p->rollback, pause_text(p, d, sizeof d));
			if (p->have_clients) {
				sb_puts(sb, "; clients: ");
				clients_text(sb, p);
			}
			sb_puts(sb, ")");
		}
		if (n > 0)
			sb_puts(sb, " |\n");
		else if (k == 0)
			sb_puts(sb, "| write pause of the cut | none: the run never "
			    "took the fence |\n");
	}
	sb_puts(sb, "| event log | ");
	verify_line(sb, r);
	sb_puts(sb, " |\n\n");
}

static void
pauses(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40], c[40], d[40], e[40];
	size_t i;

	sb_puts(sb, "## Write pauses\n\n");
	if (r->npauses == 0) {
		sb_puts(sb, "None: no fence was taken in this run.\n\n");
		return;
	}
	sb_puts(sb, "From the fence (in a rollback after the switch: the "
	    "target's fence) until writes were let in again, as the driver "
	    "measured it.");
	if (r->nloads > 0)
		sb_puts(sb, " The clients' columns come from the lab load's pgbench "
		    "log: the longest transaction that overlapped the pause, the "
		    "longest time between two commits across it, and the "
		    "transactions that failed from the fence until a second after.");
	else
		sb_puts(sb, " No lab load ran during the run: what the "
		    "application's clients saw is not known here.");
	sb_puts(sb, "\n\n| # | attempt | pause | fenced (UTC) | writes again "
	    "(UTC) | driver | ended by |");
	if (r->nloads > 0)
		sb_puts(sb, " clients: longest transaction | longest gap between "
		    "commits | failed |\n|---|---|---|---|---|---|---|---|---|---|\n");
	else
		sb_puts(sb, "\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->npauses; i++) {
		const struct report_pause *p = &r->pauses[i];

		sb_printf(sb, "| %zu | %d | ", i + 1, p->attempt);
		if (p->kind == PAUSE_CUT)
			sb_puts(sb, "the cut");
		else
			sb_printf(sb, "rollback %d (after the switch)", p->rollback);
		sb_printf(sb, " | %s | %s | **%s** | ", clock_text(r, p->start, a,
		    sizeof a), p->end != 0 ? clock_text(r, p->end, b, sizeof b) :
		    "-", pause_text(p, c, sizeof c));
		if (p->ended_by == NULL)
			sb_puts(sb, "-");
		else if (strcmp(p->ended_by, "switch") == 0)
			sb_puts(sb, "the switch");
		else
			sb_printf(sb, "rollback %d", p->rollback);
		if (p->have_clients)
			sb_printf(sb, " | %s | %s | %lld |\n",
			    ms_text(p->clients.max_latency_ms, d, sizeof d),
			    ms_text(p->clients.max_gap_ms, e, sizeof e),
			    (long long)p->clients.failed);
		else if (r->nloads > 0)
			sb_puts(sb, " | - | - | - |\n");
		else
			sb_puts(sb, " |\n");
	}
	sb_puts(sb, "\nHow each figure was taken:\n\n");
	for (i = 0; i < r->npauses; i++)
		sb_printf(sb, "%zu. %s\n", i + 1, r->pauses[i].measured);
	sb_puts(sb, "\n");
	if (r->nloads == 0)
		return;
	sb_puts(sb, "### The lab load during the run\n\n| load | rate | clients | "
	    "committed in the run | failed in the run | longest transaction | "
	    "longest gap between commits | lost | duplicated | judged |\n"
	    "|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nloads; i++) {
		const struct report_load *l = &r->loads[i];

		sb_printf(sb, "| %d | %d tx/s | %d | %s | %s | %s | %s | ", l->id,
		    l->rate, l->clients, count(l->committed, a, sizeof a),
		    count(l->failed, b, sizeof b), ms_text(l->max_latency_ms, c,
		    sizeof c), ms_text(l->max_gap_ms, d, sizeof d));
		if (l->judged) {
			sb_printf(sb, "%s | %s | on the %s: ", count(l->lost, a,
			    sizeof a), count(l->duplicated, b, sizeof b),
			    l->judged_on != NULL ? l->judged_on : "?");
			cell(sb, l->verdict);
		} else {
			sb_puts(sb, "- | - | not judged: run `cutover lab status` "
			    "once the load has ended");
		}
		if (l->error != NULL) {
			sb_puts(sb, "; unread: ");
			cell(sb, l->error);
		}
		sb_puts(sb, " |\n");
	}
	sb_puts(sb, "\n");
}

static void
phases(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40], lag[64];
	size_t i, k;
	int p;

	sb_puts(sb, "## Phases\n\nLag at start: the end-to-end lag the driver "
	    "logged when the phase started; \"sample\" marks a lag sample at most "
	    "5 s older instead. Once `stop_replication` is done the forward lag no "
	    "longer applies.\n\n| attempt | phase | started (UTC) | duration | "
	    "lag at start | checks | result |\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nattempts; i++) {
		const struct report_attempt *at = &r->attempts[i];

		for (p = 0; p < PHASE_COUNT; p++) {
			const struct report_phase *ph = &at->phases[p];

			if (ph->status == RP_NOT_RUN)
				continue;
			lag_text(&ph->lag, lag, sizeof lag);
			sb_printf(sb, "| %d | %s | %s | %s | %s | ", at->number,
			    phase_name(p), clock_text(r, ph->start, a, sizeof a),
			    dur((double)(ph->end - ph->start) / 1000.0, b, sizeof b),
			    lag);
			for (k = 0; k < ph->nchecks; k++) {
				if (k > 0)
					sb_puts(sb, "; ");
				cell(sb, ph->checks[k].msg);
			}
			if (ph->nchecks == 0)
				sb_puts(sb, "-");
			sb_puts(sb, " | ");
			if (ph->status == RP_FAILED) {
				sb_puts(sb, "**failed**: ");
				cell(sb, ph->failure);
			} else if (ph->status == RP_INTERRUPTED) {
				sb_puts(sb, "**interrupted**");
				if (ph->failure != NULL) {
					sb_puts(sb, " by ");
					cell(sb, ph->failure);
				}
			} else {
				sb_puts(sb, report_phase_status_name(ph->status));
			}
			if (ph->undone)
				sb_puts(sb, "; undone by the rollback");
			sb_puts(sb, " |\n");
		}
	}
	sb_puts(sb, "\n");
}

static void
rollbacks(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40];
	size_t i, k;

	sb_puts(sb, "## Rollbacks\n\n");
	if (r->nrollbacks == 0)
		sb_puts(sb, "None.\n\n");
	else
		sb_puts(sb, "| # | attempt | from | started (UTC) | took | after "
		    "the switch | why | result | checks |\n"
		    "|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nrollbacks; i++) {
		const struct report_rollback *rb = &r->rollbacks[i];

		sb_printf(sb, "| %d | %d | %s | %s | %s | %s | ", rb->number,
		    rb->attempt, rb->from_phase >= 0 ? phase_name(rb->from_phase) :
		    "-", clock_text(r, rb->start, a, sizeof a), rb->end != 0 ?
		    dur((double)(rb->end - rb->start) / 1000.0, b, sizeof b) : "-",
		    rb->after_switch ? "yes" : "no");
		cell(sb, rb->reason);
		sb_printf(sb, " | %s | ", rb->status);
		for (k = 0; k < rb->nchecks; k++) {
			if (k > 0)
				sb_puts(sb, "; ");
			cell(sb, rb->checks[k].msg);
		}
		if (rb->nchecks == 0)
			sb_puts(sb, "-");
		sb_puts(sb, " |\n");
	}
	if (r->nrollbacks > 0)
		sb_puts(sb, "\n");
	if (r->ntimeouts == 0)
		return;
	sb_puts(sb, "Switch timeouts:\n\n");
	for (i = 0; i < r->ntimeouts; i++) {
		sb_printf(sb, "- %s, attempt %d: ", clock_text(r, r->timeouts[i].at,
		    a, sizeof a), r->timeouts[i].attempt);
		cell(sb, r->timeouts[i].msg);
		sb_puts(sb, "\n");
	}
	sb_puts(sb, "\n");
}

static void
validations(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40], c[40], d[40];
	size_t i;

	sb_puts(sb, "## Validations\n\n");
	if (r->before_validations > 0)
		sb_printf(sb, "%zu earlier validation%s before the run %s not "
		    "listed.\n\n", r->before_validations,
		    r->before_validations == 1 ? "" : "s",
		    r->before_validations == 1 ? "is" : "are");
	if (r->nvalidations == 0) {
		sb_puts(sb, "None.\n\n");
		return;
	}
	sb_puts(sb, "| time (UTC) | when | mode | result | not passing | tables "
	    "compared | rows | took | rows/s | file |\n"
	    "|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nvalidations; i++) {
		const struct report_validation *v = &r->validations[i];
		double took = v->read && v->finished >= v->started && v->started > 0 ?
		    (double)(v->finished - v->started) / 1000.0 : NAN;
		const char *base = v->file != NULL ? strrchr(v->file, '/') : NULL;

		sb_printf(sb, "| %s | ", clock_text(r, v->at, a, sizeof a));
		if (v->attempt == 0)
			sb_puts(sb, "before the run");
		else if (v->phase >= 0)
			sb_printf(sb, "attempt %d, %s", v->attempt,
			    phase_name(v->phase));
		else
			sb_printf(sb, "attempt %d", v->attempt);
		sb_printf(sb, " | %s | %s | ", v->mode != NULL ? v->mode : "-",
		    v->passed == 1 ? "passed" : v->passed == 0 ? "**failed**" : "-");
		cell(sb, v->not_passed);
		sb_printf(sb, " | %s | %s", count(v->tables, b, sizeof b),
		    count(v->rows, c, sizeof c));
		if (v->rows >= 0 && v->rows_how != NULL)
			sb_printf(sb, " %s", v->rows_how);
		sb_printf(sb, " | %s | ", dur(took, d, sizeof d));
		if (v->rows >= 0 && !isnan(took) && took > 0)
			sb_printf(sb, "%s", count((int64_t)llround((double)v->rows /
			    took), a, sizeof a));
		else
			sb_puts(sb, "-");
		sb_puts(sb, " | ");
		if (v->file != NULL) {
			sb_puts(sb, "`");
			sb_puts(sb, base != NULL ? base + 1 : v->file);
			sb_puts(sb, v->read ? "`" : "` (not found)");
		} else {
			sb_puts(sb, "-");
		}
		sb_puts(sb, " |\n");
	}
	sb_puts(sb, "\n");
}

static void
decisions(struct strbuf *sb, const struct report *r)
{
	char a[40];
	size_t i;

	sb_puts(sb, "## Decisions\n\n");
	if (r->ndecisions == 0) {
		sb_puts(sb, "None.\n\n");
		return;
	}
	sb_puts(sb, "| time (UTC) | attempt | phase | who | decision | answer | "
	    "how |\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->ndecisions; i++) {
		const struct report_decision *d = &r->decisions[i];

		sb_printf(sb, "| %s | %d | %s | ", clock_text(r, d->at, a, sizeof a),
		    d->attempt, d->phase != NULL ? d->phase : "-");
		cell(sb, d->who);
		sb_puts(sb, " | ");
		cell(sb, d->what);
		sb_puts(sb, " | ");
		cell(sb, d->answer);
		sb_puts(sb, " | ");
		cell(sb, d->how);
		sb_puts(sb, " |\n");
	}
	sb_puts(sb, "\n");
}

static void
actions(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40];
	size_t i;

	sb_puts(sb, "## Actions of the run\n\n");
	if (r->setup_actions > 0)
		sb_printf(sb, "Before the run: %zu set-up action%s (`cutover "
		    "setup`), %s to %s, not listed; %zu event%s before the run in "
		    "all.\n\n", r->setup_actions, r->setup_actions == 1 ? "" : "s",
		    clock_text(r, r->setup_first, a, sizeof a),
		    clock_text(r, r->setup_last, b, sizeof b), r->before_events,
		    r->before_events == 1 ? "" : "s");
	else if (r->before_events > 0)
		sb_printf(sb, "Before the run: %zu event%s, no set-up action.\n\n",
		    r->before_events, r->before_events == 1 ? "" : "s");
	if (r->nactions == 0) {
		sb_puts(sb, "None.\n\n");
		return;
	}
	sb_puts(sb, "| time (UTC) | attempt | phase | step | action | result | "
	    "took |\n|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nactions; i++) {
		const struct report_action *x = &r->actions[i];

		sb_printf(sb, "| %s | %d | ", clock_text(r, x->at, a, sizeof a),
		    x->attempt);
		if (x->rollback > 0)
			sb_printf(sb, "rollback %d", x->rollback);
		else
			sb_puts(sb, x->phase != NULL ? x->phase : "-");
		sb_puts(sb, " | ");
		cell(sb, x->step != NULL ? x->step : x->kind);
		sb_puts(sb, " | ");
		cell(sb, x->what);
		sb_puts(sb, " | ");
		if (x->error != NULL) {
			sb_puts(sb, "**failed**: ");
			cell(sb, x->error);
		} else {
			cell(sb, x->outcome);
		}
		sb_printf(sb, " | %s |\n", ms_text(x->ms, b, sizeof b));
	}
	sb_puts(sb, "\n");
	if (r->after_events > 0)
		sb_printf(sb, "After the run: %zu event%s, not part of this "
		    "report.\n\n", r->after_events, r->after_events == 1 ? "" : "s");
}

static void
trend(struct strbuf *sb, const struct report *r)
{
	char a[40], b[40], c[40], d[40], e[40], t[40];
	size_t i;

	sb_puts(sb, "## Trend across runs\n\n");
	if (r->nruns == 0) {
		sb_puts(sb, "No run.\n\n");
		return;
	}
	sb_puts(sb, "The write pause is the last cut's; the longest pause is the "
	    "longest of every cut and rollback in the run.\n\n");
	sb_puts(sb, "| started (UTC) | run | environment | rehearsal | outcome | "
	    "duration | write pause | longest pause | worst lag | validation "
	    "time | rollbacks | from |\n"
	    "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->nruns; i++) {
		const struct report_run_summary *s = &r->runs[i];

		time_rfc3339(s->started, t, sizeof t);
		sb_printf(sb, "| %.10s %.5s | %s`%s`%s | ", t, t + 11,
		    s->current ? "**" : "", s->run_id, s->current ? "**" : "");
		cell(sb, s->environment);
		sb_printf(sb, " | %s | ", s->rehearsal == 1 ? "yes" :
		    s->rehearsal == 0 ? "**no**" : "?");
		cell(sb, s->outcome);
		seconds3(s->pause, b, sizeof b);
		seconds3(s->longest_pause, c, sizeof c);
		if (s->worst_lag_upper_bound)
			snprintf(d, sizeof d, "≤ %.0f s", s->worst_lag);
		else
			seconds3(s->worst_lag, d, sizeof d);
		sb_printf(sb, " | %s | %s | %s | %s | %s | %d | ",
		    dur(s->duration, a, sizeof a), b, c, d,
		    dur(s->validation_seconds, e, sizeof e), s->rollbacks);
		if (s->current)
			sb_puts(sb, "this report");
		else
			cell(sb, s->source);
		sb_puts(sb, " |\n");
	}
	sb_puts(sb, "\n");
}

char *
report_markdown(const struct report *r, const char *svg_name)
{
	struct strbuf sb;

	sb_init(&sb);
	if (!r->have_run) {
		sb_puts(&sb, "# Cutover report\n\nThe event log holds no run yet "
		    "(no `run.started`): nothing to report.\n\n| | |\n|---|---|\n"
		    "| event log | ");
		verify_line(&sb, r);
		sb_puts(&sb, " |\n");
		return sb_detach(&sb);
	}
	banner(&sb, r);
	summary(&sb, r);
	sb_printf(&sb, "![The run's timeline: phases, rollbacks, write pauses and "
	    "the lag](%s)\n\n", svg_name);
	pauses(&sb, r);
	phases(&sb, r);
	rollbacks(&sb, r);
	validations(&sb, r);
	decisions(&sb, r);
	actions(&sb, r);
	trend(&sb, r);
	sb_puts(&sb, "---\n\nEvent log: ");
	verify_line(&sb, r);
	sb_puts(&sb, ". Check it with `cutover log --verify`: the last hash "
	    "ties this report to its log.\n");
	return sb_detach(&sb);
}
