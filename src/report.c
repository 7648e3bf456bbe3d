/* report.c - Markdown and SVG from the event log; see report.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eventlog.h"
#include "fileio.h"
#include "report.h"
#include "state.h"

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

struct sample {
	int64_t t;
	double e2e, provider;
};

struct span {
	int phase;
	int attempt;
	int64_t start, end;
	char status[16];
};

struct rdata {
	struct event *ev;
	size_t nev;
	struct sample *s;
	size_t ns;
	struct span *sp;
	size_t nsp;
	int64_t t0, t1;
	double max_lag;
};

static void
on_line(const char *line, size_t len, void *arg)
{
	struct rdata *d = arg;
	const char *why;
	struct event ev;

	if (event_parse(line, len, &ev, &why) != 0)
		return;
	d->ev = xreallocarray(d->ev, d->nev + 1, sizeof *d->ev);
	d->ev[d->nev++] = ev;
}

static void
load_samples(struct rdata *d, const char *state_dir)
{
	char *path = xasprintf("%s/%s", state_dir, LAG_SAMPLES_FILE), *text, *p;
	size_t len;

	if (file_read_all(path, 64 << 20, &text, &len) != 0) {
		free(path);
		return;
	}
	for (p = text; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		cJSON *o;

		if (nl != NULL)
			*nl = '\0';
		if ((o = cJSON_Parse(p)) != NULL) {
			const cJSON *t = cJSON_GetObjectItem(o, "t");
			const cJSON *a = cJSON_GetObjectItem(o, "e2e");
			const cJSON *b = cJSON_GetObjectItem(o, "provider");

			if (cJSON_IsNumber(t) && cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
				d->s = xreallocarray(d->s, d->ns + 1, sizeof *d->s);
				d->s[d->ns].t = (int64_t)t->valuedouble;
				d->s[d->ns].e2e = a->valuedouble < 0 ? NAN : a->valuedouble;
				d->s[d->ns].provider = b->valuedouble < 0 ? NAN :
				    b->valuedouble;
				d->ns++;
			}
			cJSON_Delete(o);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(text);
	free(path);
}

static int64_t
ev_ms(const struct event *ev)
{
	return time_parse_rfc3339(ev->ts);
}

static const cJSON *
ev_data(const struct event *ev, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(ev->data, key);
}

static void
build_spans(struct rdata *d)
{
	size_t i, j;
	int attempt = 1;

	for (i = 0; i < d->nev; i++) {
		const struct event *ev = &d->ev[i];
		int p = ev->phase != NULL ? phase_from_name(ev->phase) : -1;
		const cJSON *a = ev_data(ev, "attempt");

		if (cJSON_IsNumber(a))
			attempt = a->valueint;
		if (strcmp(ev->kind, "phase.started") == 0 && p >= 0) {
			d->sp = xreallocarray(d->sp, d->nsp + 1, sizeof *d->sp);
			d->sp[d->nsp].phase = p;
			d->sp[d->nsp].attempt = attempt;
			d->sp[d->nsp].start = ev_ms(ev);
			d->sp[d->nsp].end = 0;
			snprintf(d->sp[d->nsp].status, sizeof d->sp[0].status, "running");
			d->nsp++;
			continue;
		}
		if (p < 0 || (strcmp(ev->kind, "phase.done") != 0 &&
		    strcmp(ev->kind, "phase.failed") != 0 &&
		    strcmp(ev->kind, "rollback.done") != 0))
			continue;
		for (j = d->nsp; j-- > 0;) {
			if (d->sp[j].phase == p && d->sp[j].end == 0) {
				d->sp[j].end = ev_ms(ev);
				snprintf(d->sp[j].status, sizeof d->sp[0].status, "%s",
				    strcmp(ev->kind, "phase.done") == 0 ? "done" :
				    strcmp(ev->kind, "phase.failed") == 0 ? "failed" :
				    "rolled back");
				break;
			}
		}
	}
	if (d->nev > 0) {
		d->t0 = ev_ms(&d->ev[0]);
		d->t1 = ev_ms(&d->ev[d->nev - 1]);
	}
	for (i = 0; i < d->nsp; i++)
		if (d->sp[i].end == 0)
			d->sp[i].end = d->t1;
}

static double
lag_near(const struct rdata *d, int64_t t)
{
	size_t i;
	double v = NAN;

	for (i = 0; i < d->ns && d->s[i].t <= t; i++)
		v = d->s[i].e2e;
	return v;
}

static void
md_escape(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|' || *s == '`')
			sb_putc(sb, '\\');
		sb_putc(sb, *s == '\n' ? ' ' : *s);
	}
}

static char *
markdown(const struct rdata *d, const struct state *st, bool have_state,
    const struct config *cfg, const char *svg_name)
{
	struct strbuf sb;
	char t[40];
	size_t i;
	int64_t fence = 0, sw = 0;

	sb_init(&sb);
	sb_printf(&sb, "# Cutover report%s\n\n", cfg->rehearsal ||
	    (have_state && st->rehearsal) ? " — REHEARSAL" : "");
	sb_printf(&sb, "- environment: **%s**%s\n", cfg->environment,
	    cfg->rehearsal ? " (rehearsal: nothing here touched production)" :
	    "");
	if (have_state) {
		sb_printf(&sb, "- run: `%s`, attempt %d\n", st->run_id, st->attempt);
		sb_printf(&sb, "- outcome: phase `%s` %s%s%s\n", phase_name(st->phase),
		    phase_status_name(st->phase_status), st->completed ?
		    " (the run is complete)" : "", st->switched ?
		    "; the application writes to the target" : "");
	}
	if (d->nev > 0) {
		time_rfc3339(d->t0, t, sizeof t);
		sb_printf(&sb, "- first event: %s; ", t);
		time_rfc3339(d->t1, t, sizeof t);
		sb_printf(&sb, "last event: %s (%.1f s)\n", t,
		    (double)(d->t1 - d->t0) / 1000.0);
	}
	sb_printf(&sb, "\n![timeline](%s)\n\n## Phases\n\n", svg_name);
	sb_puts(&sb, "| attempt | phase | started (UTC) | duration | lag at start | status |\n"
	    "|---|---|---|---|---|---|\n");
	for (i = 0; i < d->nsp; i++) {
		const struct span *s = &d->sp[i];
		double lag = lag_near(d, s->start);
		char lagtext[32];

		if (isnan(lag))
			snprintf(lagtext, sizeof lagtext, "-");
		else
			snprintf(lagtext, sizeof lagtext, "%.2f s", lag);
		time_rfc3339(s->start, t, sizeof t);
		sb_printf(&sb, "| %d | %s | %s | %.3f s | %s | %s |\n", s->attempt,
		    phase_name(s->phase), t, (double)(s->end - s->start) / 1000.0,
		    lagtext, s->status);
	}
	sb_puts(&sb, "\n## The write pause\n\n");
	for (i = 0; i < d->nev; i++) {
		const struct event *ev = &d->ev[i];

		if (strcmp(ev->kind, "run.window") == 0)
			fence = ev_ms(ev);
		if (strcmp(ev->kind, "run.switched") == 0 && fence != 0) {
			sw = ev_ms(ev);
			time_rfc3339(fence, t, sizeof t);
			sb_printf(&sb, "- fence at %s, switch done %.3f s later", t,
			    (double)(sw - fence) / 1000.0);
			{
				const cJSON *p = ev_data(ev, "pause_seconds");

				if (cJSON_IsNumber(p))
					sb_printf(&sb, " (measured by the driver: %.3f s)",
					    p->valuedouble);
			}
			sb_puts(&sb, "\n");
			fence = 0;
		}
		if (strcmp(ev->kind, "rollback.done") == 0 && fence != 0) {
			time_rfc3339(fence, t, sizeof t);
			sb_printf(&sb, "- fence at %s, lifted by a rollback %.3f s later\n",
			    t, (double)(ev_ms(ev) - fence) / 1000.0);
			fence = 0;
		}
	}
	if (sw == 0)
		sb_puts(&sb, "- no switch happened\n");
	sb_puts(&sb, "\n## Validations\n\n");
	for (i = 0; i < d->nev; i++) {
		const struct event *ev = &d->ev[i];
		const cJSON *checks = ev_data(ev, "checks"), *c, *f;

		if (strcmp(ev->kind, "check") != 0 || checks == NULL)
			continue;
		time_rfc3339(ev_ms(ev), t, sizeof t);
		sb_printf(&sb, "- %s — %s:", t, ev->msg);
		cJSON_ArrayForEach(c, checks)
			if (cJSON_IsString(c))
				sb_printf(&sb, " %s %s;", c->string, c->valuestring);
		if ((f = ev_data(ev, "file")) != NULL && cJSON_IsString(f))
			sb_printf(&sb, " (`%s`)", f->valuestring);
		sb_puts(&sb, "\n");
	}
	sb_puts(&sb, "\n## Rollbacks\n\n");
	{
		int n = 0;

		for (i = 0; i < d->nev; i++) {
			const struct event *ev = &d->ev[i];

			if (!str_startswith(ev->kind, "rollback.") &&
			    strcmp(ev->kind, "switch.timeout") != 0)
				continue;
			time_rfc3339(ev_ms(ev), t, sizeof t);
			sb_printf(&sb, "- %s `%s` (%s): ", t, ev->kind,
			    ev->phase != NULL ? ev->phase : "-");
			md_escape(&sb, ev->msg);
			sb_puts(&sb, "\n");
			n++;
		}
		if (n == 0)
			sb_puts(&sb, "- none\n");
	}
	sb_puts(&sb, "\n## Decisions\n\n| time (UTC) | who | what |\n|---|---|---|\n");
	for (i = 0; i < d->nev; i++) {
		const struct event *ev = &d->ev[i];

		if (!str_startswith(ev->kind, "operator."))
			continue;
		time_rfc3339(ev_ms(ev), t, sizeof t);
		sb_printf(&sb, "| %s | %s | ", t, ev->actor);
		md_escape(&sb, ev->msg);
		sb_puts(&sb, " |\n");
	}
	sb_puts(&sb, "\n## Actions\n\n| time (UTC) | phase | event | what |\n"
	    "|---|---|---|---|\n");
	for (i = 0; i < d->nev; i++) {
		const struct event *ev = &d->ev[i];

		if (!str_startswith(ev->kind, "action") &&
		    strcmp(ev->kind, "run.switched") != 0 &&
		    strcmp(ev->kind, "run.window") != 0)
			continue;
		time_rfc3339(ev_ms(ev), t, sizeof t);
		sb_printf(&sb, "| %s | %s | %s | ", t, ev->phase != NULL ? ev->phase :
		    "-", ev->kind);
		md_escape(&sb, ev->msg);
		sb_puts(&sb, " |\n");
	}
	sb_puts(&sb, "\nThe event log verifies with `cutover log --verify`.\n");
	return sb_detach(&sb);
}

static const char *const phase_colours[PHASE_COUNT] = {
	"#8ecae6", "#219ebc", "#e76f51", "#f4a261", "#e9c46a", "#2a9d8f",
	"#d62828", "#90be6d",
};

static char *
svg(const struct rdata *d, double threshold)
{
	const double W = 1000, H = 320, left = 60, right = 20, top = 30;
	const double band = 40, ly0 = 110, lh = 180;
	double span = d->t1 > d->t0 ? (double)(d->t1 - d->t0) : 1, maxlag;
	struct strbuf sb;
	size_t i;
	bool first = true;

#define X(t) (left + ((double)((t) - d->t0)) / span * (W - left - right))
	maxlag = threshold * 1.5;
	for (i = 0; i < d->ns; i++)
		if (!isnan(d->s[i].e2e) && d->s[i].e2e > maxlag)
			maxlag = d->s[i].e2e;
#define Y(v) (ly0 + lh - (v) / maxlag * lh)
	sb_init(&sb);
	sb_printf(&sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
	sb_printf(&sb, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
	    W, H);
	sb_printf(&sb, "<text x=\"%.0f\" y=\"18\" font-size=\"13\">phases over "
	    "the end-to-end lag (s)</text>\n", left);
	for (i = 0; i < d->nsp; i++) {
		const struct span *s = &d->sp[i];
		double x0 = X(s->start), x1 = X(s->end);

		if (x1 - x0 < 1)
			x1 = x0 + 1;
		sb_printf(&sb, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" "
		    "height=\"%.0f\" fill=\"%s\" opacity=\"%s\"><title>%s (%s) "
		    "%.3f s</title></rect>\n", x0, top, x1 - x0, band,
		    phase_colours[s->phase], strcmp(s->status, "done") == 0 ?
		    "1" : "0.5", phase_name(s->phase), s->status,
		    (double)(s->end - s->start) / 1000.0);
		sb_printf(&sb, "<text x=\"%.1f\" y=\"%.0f\" transform=\"rotate(30 "
		    "%.1f %.0f)\">%s</text>\n", x0 + 2, top + band + 12, x0 + 2,
		    top + band + 12, phase_name(s->phase));
	}
	sb_printf(&sb, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
	    "stroke=\"black\"/>\n", left, ly0 + lh, W - right, ly0 + lh);
	sb_printf(&sb, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
	    "stroke=\"black\"/>\n", left, ly0, left, ly0 + lh);
	sb_printf(&sb, "<text x=\"5\" y=\"%.0f\">%.1f</text><text x=\"5\" "
	    "y=\"%.0f\">0</text>\n", ly0 + 4, maxlag, ly0 + lh);
	sb_printf(&sb, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
	    "stroke=\"red\" stroke-dasharray=\"4 3\"/><text x=\"%.0f\" "
	    "y=\"%.1f\" fill=\"red\">max_lag_seconds %.1f</text>\n", left,
	    Y(threshold), W - right, Y(threshold), W - right - 140,
	    Y(threshold) - 3, threshold);
	sb_puts(&sb, "<polyline fill=\"none\" stroke=\"#023047\" points=\"");
	for (i = 0; i < d->ns; i++) {
		if (isnan(d->s[i].e2e) || d->s[i].t < d->t0 || d->s[i].t > d->t1)
			continue;
		sb_printf(&sb, "%s%.1f,%.1f", first ? "" : " ", X(d->s[i].t),
		    Y(d->s[i].e2e));
		first = false;
	}
	sb_puts(&sb, "\"/>\n");
	sb_printf(&sb, "<text x=\"%.0f\" y=\"%.0f\">0 s</text><text x=\"%.0f\" "
	    "y=\"%.0f\" text-anchor=\"end\">%.1f s</text>\n", left, H - 5,
	    W - right, H - 5, span / 1000.0);
	sb_puts(&sb, "</svg>\n");
#undef X
#undef Y
	return sb_detach(&sb);
}

int
report_write(const char *state_dir, const struct config *cfg,
    const char *md_path, const char *svg_path, struct err *e)
{
	struct eventlog_reader r;
	struct rdata d;
	struct state st;
	char *log = xasprintf("%s/%s", state_dir, EVENTLOG_FILE), *md, *pic;
	const char *svg_name;
	size_t i;
	int k, rc = 0;

	memset(&d, 0, sizeof d);
	if (eventlog_reader_open(&r, log) != 0) {
		err_set(e, EXIT_USAGE, "%s: %s", log, strerror(errno));
		eventlog_reader_close(&r);
		free(log);
		return -1;
	}
	free(log);
	eventlog_reader_poll(&r, on_line, &d);
	eventlog_reader_close(&r);
	load_samples(&d, state_dir);
	build_spans(&d);
	k = state_load(&st, state_dir, e);
	if (k < 0) {
		rc = -1;
		goto out;
	}
	svg_name = strrchr(svg_path, '/') != NULL ? strrchr(svg_path, '/') + 1 :
	    svg_path;
	md = markdown(&d, &st, k == 0, cfg, svg_name);
	pic = svg(&d, cfg->max_lag_seconds);
	/* "-": the Markdown to standard output. */
	if (strcmp(md_path, "-") == 0) {
		if (fputs(md, stdout) == EOF || fflush(stdout) != 0)
			rc = err_set(e, EXIT_RUNTIME, "standard output: %s",
			    strerror(errno));
	} else if (file_write_atomic(md_path, md, strlen(md), 0644, e) != 0) {
		rc = -1;
	}
	if (rc == 0 && file_write_atomic(svg_path, pic, strlen(pic), 0644, e) != 0)
		rc = -1;
	free(md);
	free(pic);
	if (k == 0)
		state_free(&st);
out:
	for (i = 0; i < d.nev; i++)
		event_free(&d.ev[i]);
	free(d.ev);
	free(d.s);
	free(d.sp);
	return rc;
}
