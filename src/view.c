/* view.c - the console's model; see view.h. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "validate.h"
#include "view.h"
#include "ring.h"

void
view_init(struct view *v)
{
	int i;

	memset(v, 0, sizeof *v);
	v->watchers = -1;
	v->switch_left = -1;
	v->next_phase = PHASE_PRE_VALIDATION;
	v->max_lag_seconds = NAN;
	v->period_ms = 1000;
	for (i = 0; i < CHK_COUNT; i++)
		v->checks[i].status = -1;
	v->ev = xcalloc(VIEW_EVENTS, sizeof *v->ev);
}

static void
event_clear(struct view_event *e)
{
	free(e->kind);
	free(e->phase);
	free(e->actor);
	free(e->msg);
	memset(e, 0, sizeof *e);
}

void
view_checks_clear(struct view *v)
{
	int i;

	for (i = 0; i < CHK_COUNT; i++) {
		free(v->checks[i].detail);
		v->checks[i].detail = NULL;
		v->checks[i].status = -1;
	}
	free(v->checks_title);
	v->checks_title = NULL;
	v->checks_passed = false;
}

void
view_clear(struct view *v)
{
	size_t i;

	free(v->environment);
	free(v->provider);
	free(v->feed);
	free(v->notice);
	free(v->step);
	free(v->progress);
	view_checks_clear(v);
	table_list_clear(&v->table_checks);
	for (i = 0; i < VIEW_EVENTS; i++)
		event_clear(&v->ev[i]);
	free(v->ev);
	memset(v, 0, sizeof *v);
}

void
view_set(char **field, const char *s)
{
	if (*field != NULL && s != NULL && strcmp(*field, s) == 0)
		return;
	free(*field);
	*field = s != NULL ? xstrdup(s) : NULL;
}

static char *
clean(const char *s)
{
	struct strbuf sb;

	sb_init(&sb);
	utf8_sanitize(&sb, s, strlen(s));
	return sb_detach(&sb);
}

void
view_add_event_line(struct view *v, const char *line, size_t len)
{
	struct view_event *e;
	struct event ev;
	const char *why;

	e = &v->ev[ring_push(&v->ev_start, &v->ev_n, VIEW_EVENTS, NULL)];
	event_clear(e);
	v->ev_added++;
	if (event_parse(line, len, &ev, &why) != 0) {
		e->seq = -1;
		e->kind = xstrdup("??");
		e->actor = xstrdup("");
		e->msg = xasprintf("not a valid event: %s", why);
		return;
	}
	e->seq = ev.seq;
	e->ts = time_parse_rfc3339(ev.ts);
	e->kind = clean(ev.kind);
	e->phase = ev.phase != NULL ? clean(ev.phase) : NULL;
	e->actor = clean(ev.actor);
	e->msg = clean(ev.msg);
	event_free(&ev);
}

void
view_events_reset(struct view *v)
{
	size_t i;

	for (i = 0; i < VIEW_EVENTS; i++)
		event_clear(&v->ev[i]);
	v->ev_start = v->ev_n = 0;
	v->ev_added++;
}

const struct view_event *
view_event_at(const struct view *v, size_t i)
{
	return &v->ev[ring_at(v->ev_start, i, VIEW_EVENTS)];
}

void
view_table_check_set(struct view *v, const char *qualified, int status)
{
	table_list_get(&v->table_checks, "", qualified)->check = status;
}

int
view_table_check(const struct view *v, const struct table_stat *t)
{
	const struct table_stat *c;
	char buf[512];

	if (t->check >= 0)
		return t->check;
	if (v->table_checks.n == 0)
		return -1;
	snprintf(buf, sizeof buf, "%s.%s", t->schema, t->name);
	c = table_list_find(&v->table_checks, "", buf);
	return c != NULL ? c->check : -1;
}

bool
view_stale(const struct view *v, int64_t at)
{
	if (at <= 0)
		return true;
	return v->now - at > 2 * (int64_t)v->period_ms;
}
void
view_load_validation(struct view *vw, const struct validation *v,
    const char *who)
{
	static const enum check_id table_checks[] = { CHK_ROW_COUNTS,
	    CHK_CHECKSUMS };
	char title[160], ts[40];
	size_t i, n;

	view_checks_clear(vw);
	time_local(now_ms(), ts, sizeof ts);
	snprintf(title, sizeof title, "%s %s validation, %s", who,
	    validation_mode(v), ts + 11 > ts ? ts + 11 : ts);
	vw->checks_title = xstrdup(title);
	vw->checks_passed = validation_passed(v);
	for (i = 0; i < CHK_COUNT; i++) {
		const struct check_result *r = validation_result(v, i);

		vw->checks[i].status = (int)r->status;
		view_set(&vw->checks[i].detail, r->detail);
	}
	/* Per-table results: the worse of the row count and the checksum. */
	table_list_clear(&vw->table_checks);
	for (i = 0; i < sizeof table_checks / sizeof table_checks[0]; i++) {
		const struct check_result *r = validation_result(v,
		    table_checks[i]);

		for (n = 0; n < r->ntables; n++) {
			const struct table_result *t = &r->tables[n];
			struct table_stat *ts2;

			ts2 = table_list_get(&vw->table_checks, "", t->table);
			ts2->check = ts2->check < 0 ? (int)t->status :
			    (int)check_worse(ts2->check, t->status);
		}
	}
}
