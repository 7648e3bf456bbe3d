/* model.c - the model: its containers, the figures, the owned model and
 * what only reads it; see model.h. */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "jsonin.h"
#include "jsonout.h"
#include "model.h"
#include "ring.h"
#include "validate.h"
#include "ring.h"
#include "util.h"

void
table_stat_clear(struct table_stat *t)
{
	size_t i;

	free(t->schema);
	free(t->name);
	free(t->state);
	free(t->validation_state);
	for (i = 0; i < t->nparts; i++)
		table_stat_clear(&t->parts[i]);
	free(t->parts);
	memset(t, 0, sizeof *t);
}

void
table_list_clear(struct table_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		table_stat_clear(&l->v[i]);
	free(l->v);
	free(l->index);
	memset(l, 0, sizeof *l);
}

/* FNV-1a over "schema\0name": thousands of tables are merged every
 * refresh, so lookups must not be linear. */
static size_t
name_hash(const char *schema, const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;

	for (p = schema; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0) * 1099511628211ULL;
	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)h;
}

static void
index_insert(struct table_list *l, size_t entry)
{
	size_t i = name_hash(l->v[entry].schema, l->v[entry].name) &
	    (l->index_cap - 1);

	while (l->index[i] != 0)
		i = (i + 1) & (l->index_cap - 1);
	l->index[i] = entry + 1;
}

static void
index_grow(struct table_list *l)
{
	size_t i;

	free(l->index);
	l->index_cap = l->index_cap ? 2 * l->index_cap : 128;
	l->index = xcalloc(l->index_cap, sizeof *l->index);
	for (i = 0; i < l->n; i++)
		index_insert(l, i);
}

struct table_stat *
table_list_find(const struct table_list *l, const char *schema,
    const char *name)
{
	size_t i, e;

	if (l->index_cap == 0)
		return NULL;
	i = name_hash(schema, name) & (l->index_cap - 1);
	while ((e = l->index[i]) != 0) {
		if (strcmp(l->v[e - 1].schema, schema) == 0 &&
		    strcmp(l->v[e - 1].name, name) == 0)
			return &l->v[e - 1];
		i = (i + 1) & (l->index_cap - 1);
	}
	return NULL;
}

struct table_stat *
table_list_get(struct table_list *l, const char *schema, const char *name)
{
	struct table_stat *t = table_list_find(l, schema, name);

	if (t != NULL)
		return t;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	if (2 * (l->n + 1) > l->index_cap) {
		index_grow(l);	/* before the new entry exists */
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof *t);
	t->schema = xstrdup(schema);
	t->name = xstrdup(name);
	t->source_rows = t->target_rows = -1;
	t->inserts = t->updates = t->deletes = t->ddls = -1;
	t->full_load_rows = -1;
	t->validation_failed_records = -1;
	t->check = -1;
	index_insert(l, l->n - 1);
	return t;
}

void
series_init(struct series *s, const char *name, const char *unit)
{
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->unit = xstrdup(unit);
}

void
series_clear(struct series *s)
{
	free(s->name);
	free(s->unit);
	memset(s, 0, sizeof *s);
}

void
series_push(struct series *s, int64_t t, double v)
{
	size_t i = ring_push(&s->start, &s->n, SERIES_MAX, NULL);

	s->t[i] = t;
	s->v[i] = v;
	s->updated_at = t;
}

double
series_at(const struct series *s, size_t i, int64_t *t)
{
	size_t k = ring_at(s->start, i, SERIES_MAX);

	if (t != NULL)
		*t = s->t[k];
	return s->v[k];
}

double
series_last(const struct series *s)
{
	return s->n > 0 ? series_at(s, s->n - 1, NULL) : NAN;
}

void
repl_status_init(struct repl_status *r)
{
	memset(r, 0, sizeof *r);
	r->full_load_percent = NAN;
	r->tables_loaded = r->tables_loading = -1;
	r->tables_queued = r->tables_errored = -1;
	r->lag_source = r->lag_target = NAN;
	r->wal_retained_bytes = -1;
}

void
repl_status_clear(struct repl_status *r)
{
	free(r->provider);
	free(r->status);
	free(r->stop_reason);
	free(r->last_failure);
	free(r->slot_name);
	free(r->confirmed_flush_lsn);
	free(r->error);
	repl_status_init(r);
}

/* ------------------------------------------------------------ the figures */

static const char *const series_names[SERIES_COUNT][2] = {
	{ "lag source", "s" },
	{ "lag target", "s" },
	{ "lag end to end", "s" },
	{ "source transactions/s", "count/s" },
	{ "source connections", "count" },
	{ "source WAL", "bytes/s" },
	{ "target transactions/s", "count/s" },
	{ "target connections", "count" },
	{ "lag reverse end to end", "s" },
};

static void
monitor_model_init(struct monitor_model *m)
{
	int i;

	memset(m, 0, sizeof *m);
	repl_status_init(&m->repl);
	repl_status_init(&m->reverse);
	m->lag_e2e = NAN;
	m->lag_reverse = NAN;
	for (i = 0; i < SERIES_COUNT; i++)
		series_init(&m->series[i], series_names[i][0],
		    series_names[i][1]);
}

void
monitor_model_clear(struct monitor_model *m)
{
	int i;

	repl_status_clear(&m->repl);
	repl_status_clear(&m->reverse);
	table_list_clear(&m->tables);
	for (i = 0; i < SERIES_COUNT; i++)
		series_clear(&m->series[i]);
	free(m->lag_error);
	free(m->error);
	memset(m, 0, sizeof *m);
}


/* ------------------------------------------------ the monitor's figures */

bool
monitor_watch_reverse(const struct monitor_model *m)
{
	return m->direction == REPL_REVERSE || m->switched;
}

bool
monitor_rollback_verdict(const struct monitor_model *m, char *buf,
    size_t len, bool *lossless)
{
	const struct repl_status *r = &m->reverse;
	char when[32], why[160];

	if (!monitor_watch_reverse(m))
		return false;
	*lossless = r->status != NULL && (strcmp(r->status, "running") == 0 ||
	    strcmp(r->status, "starting") == 0);
	if (*lossless && strcmp(r->status, "starting") == 0)
		snprintf(buf, len, "rollback: lossless (reverse replication "
		    "starting)");
	else if (*lossless && !isnan(m->lag_reverse))
		snprintf(buf, len, "rollback: lossless (reverse replication "
		    "%.1f s behind)", m->lag_reverse);
	else if (*lossless)
		snprintf(buf, len, "rollback: lossless (reverse replication "
		    "running; its lag is unknown: %s)", m->lag_error != NULL ?
		    m->lag_error : "no heartbeat writer on the target");
	else {
		if (m->reverse_applied_ms > 0) {
			time_local(m->reverse_applied_ms, when, sizeof when);
			memmove(when, when + 11, strlen(when + 11) + 1);
		} else {
			snprintf(when, sizeof when, "the switch");
		}
		if (r->stop_reason != NULL)
			snprintf(why, sizeof why, "%s", r->stop_reason);
		else
			snprintf(why, sizeof why, "reverse replication %s",
			    r->status != NULL ? r->status : "unknown");
		snprintf(buf, len, "rollback: would lose writes since %s (%s)",
		    when, why);
	}
	return true;
}

/* One direction's keys, shared by both documents. */
static cJSON *
repl_one_json(const char *provider, const struct repl_status *r,
    double e2e, const char *error)
{
	cJSON *o = cJSON_CreateObject(), *lag;

	json_add_string(o, "provider", provider);
	json_add_string(o, "status", r->status);
	json_add_string(o, "stop_reason", r->stop_reason);
	json_add_number(o, "full_load_percent", r->full_load_percent);
	json_add_count(o, "tables_loaded", r->tables_loaded);
	json_add_count(o, "tables_loading", r->tables_loading);
	json_add_count(o, "tables_queued", r->tables_queued);
	json_add_count(o, "tables_errored", r->tables_errored);
	lag = cJSON_AddObjectToObject(o, "lag_seconds");
	json_add_number(lag, "source", r->lag_source);
	json_add_number(lag, "target", r->lag_target);
	json_add_number(lag, "end_to_end", e2e);
	json_add_string(o, "last_failure", r->last_failure);
	if (r->slot_name != NULL) {
		cJSON *slot = cJSON_AddObjectToObject(o, "slot");

		cJSON_AddStringToObject(slot, "name", r->slot_name);
		cJSON_AddBoolToObject(slot, "active", r->slot_active);
		json_add_string(slot, "confirmed_flush_lsn", r->confirmed_flush_lsn);
		json_add_count(slot, "wal_retained_bytes", r->wal_retained_bytes);
	}
	json_add_string(o, "error", error);
	return o;
}

cJSON *
model_repl_to_json(const struct monitor_model *m, const char *provider,
    enum repl_direction direction, enum repl_json_shape shape)
{
	const struct repl_status *r = &m->repl;
	bool status = shape == REPL_JSON_STATUS, lossless;
	bool back = monitor_watch_reverse(m) && m->reverse.status != NULL;
	cJSON *o, *rev;
	char verdict[256];

	if (status) {
		/* The refresh's first error; what could not be refreshed this
		 * time (dms: the table statistics or the metrics), shown from
		 * before, is a warning, not an error of the status. */
		o = repl_one_json(provider, r, m->lag_e2e, m->error);
		json_add_string(o, "warning", m->error == NULL ? r->error : NULL);
	} else {
		o = repl_one_json(provider, r, m->lag_e2e, r->error);
		cJSON_AddNumberToObject(o, "updated_ms", (double)r->updated_at);
	}
	cJSON_AddStringToObject(o, "direction", repl_direction_name(direction));
	if (!status)
		cJSON_AddBoolToObject(o, "switched", m->switched);
	if (!back) {
		cJSON_AddNullToObject(o, "reverse");
	} else if (status) {
		rev = repl_one_json(provider, &m->reverse, m->lag_reverse,
		    m->reverse.error);
		cJSON_AddNullToObject(rev, "warning");
		cJSON_AddItemToObject(o, "reverse", rev);
	} else {
		rev = repl_one_json(provider, &m->reverse, m->lag_reverse,
		    m->reverse.error);
		cJSON_AddNumberToObject(rev, "updated_ms",
		    (double)m->reverse.updated_at);
		cJSON_AddNumberToObject(rev, "reverse_applied_ms",
		    (double)m->reverse_applied_ms);
		cJSON_AddItemToObject(o, "reverse", rev);
	}
	if (status) {
		if (monitor_rollback_verdict(m, verdict, sizeof verdict,
		    &lossless))
			cJSON_AddStringToObject(o, "rollback", verdict);
		else
			cJSON_AddNullToObject(o, "rollback");
	}
	return o;
}

static void
repl_one_from_json(struct repl_status *r, double *e2e, const cJSON *o)
{
	const cJSON *lag = cJSON_GetObjectItemCaseSensitive(o, "lag_seconds");
	const cJSON *slot = cJSON_GetObjectItemCaseSensitive(o, "slot");

	repl_status_clear(r);
	r->provider = json_strdup(o, "provider");
	r->status = json_strdup(o, "status");
	r->stop_reason = json_strdup(o, "stop_reason");
	r->last_failure = json_strdup(o, "last_failure");
	r->error = json_strdup(o, "error");
	r->full_load_percent = json_num_in(o, "full_load_percent", 0, 100);
	r->tables_loaded = (int)json_int_in(o, "tables_loaded", 0, INT_MAX, -1);
	r->tables_loading = (int)json_int_in(o, "tables_loading", 0, INT_MAX, -1);
	r->tables_queued = (int)json_int_in(o, "tables_queued", 0, INT_MAX, -1);
	r->tables_errored = (int)json_int_in(o, "tables_errored", 0, INT_MAX, -1);
	r->lag_source = json_num_in(lag, "source", 0, JSON_NUM_MAX);
	r->lag_target = json_num_in(lag, "target", 0, JSON_NUM_MAX);
	*e2e = json_num_in(lag, "end_to_end", 0, JSON_NUM_MAX);
	if (cJSON_IsObject(slot)) {
		r->slot_name = json_strdup(slot, "name");
		r->slot_active = json_true(slot, "active");
		r->confirmed_flush_lsn = json_strdup(slot, "confirmed_flush_lsn");
		r->wal_retained_bytes = json_int_in(slot, "wal_retained_bytes", 0,
		    (int64_t)JSON_NUM_MAX, -1);
	}
	r->updated_at = json_int_in(o, "updated_ms", 0, (int64_t)JSON_NUM_MAX, 0);
}

void
model_repl_from_json(struct monitor_model *m, const cJSON *o)
{
	const char *dir = json_str(o, "direction");
	const cJSON *y;

	repl_one_from_json(&m->repl, &m->lag_e2e, o);
	m->direction = dir != NULL && strcmp(dir, "reverse") == 0 ?
	    REPL_REVERSE : dir != NULL && strcmp(dir, "stopped") == 0 ?
	    REPL_STOPPED : REPL_FORWARD;
	m->switched = json_true(o, "switched");
	y = cJSON_GetObjectItemCaseSensitive(o, "reverse");
	if (cJSON_IsObject(y)) {
		repl_one_from_json(&m->reverse, &m->lag_reverse, y);
		m->reverse_applied_ms = json_int_in(y, "reverse_applied_ms", 0,
		    (int64_t)JSON_NUM_MAX, 0);
	} else {
		repl_status_clear(&m->reverse);
		m->lag_reverse = NAN;
		m->reverse_applied_ms = 0;
	}
}

/* ------------------------------------------------------ the owned model */

void
model_init(struct model *v)
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
	v->ev = xcalloc(MODEL_EVENTS, sizeof *v->ev);
	monitor_model_init(&v->mon);
}

static void
event_clear(struct model_event *e)
{
	free(e->kind);
	free(e->phase);
	free(e->actor);
	free(e->msg);
	memset(e, 0, sizeof *e);
}

void
model_checks_clear(struct model *v)
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
model_clear(struct model *v)
{
	size_t i;

	free(v->environment);
	free(v->provider);
	free(v->feed);
	free(v->notice);
	free(v->step);
	free(v->progress);
	model_checks_clear(v);
	table_list_clear(&v->table_checks);
	model_set_state(v, NULL);
	monitor_model_clear(&v->mon);
	model_set_metrics(v, NULL, 0);
	for (i = 0; i < MODEL_EVENTS; i++)
		event_clear(&v->ev[i]);
	free(v->ev);
	memset(v, 0, sizeof *v);
}

bool
model_set_state(struct model *v, const struct state *s)
{
	struct err e = { 0, "" };
	struct state copy;
	char *json;

	if (s == NULL) {
		if (!v->have_state)
			return false;
		state_free(&v->state);
		v->have_state = false;
		free(v->state_json);
		v->state_json = NULL;
		return true;
	}
	/* Through its JSON, the one complete picture of a state: a field
	 * added to the state is never left out of the copy. */
	json = state_to_json(s);
	if (v->state_json != NULL && strcmp(json, v->state_json) == 0) {
		free(json);
		return false;
	}
	if (state_from_json(&copy, "state", json, strlen(json), &e) != 0) {
		/* What state_save writes state_load reads: not reached. The
		 * screen keeps the last copy and says why. */
		state_free(&copy);
		free(json);
		model_set(&v->notice, e.msg);
		v->notice_bad = true;
		return false;
	}
	if (v->have_state)
		state_free(&v->state);
	v->state = copy;
	v->have_state = true;
	free(v->state_json);
	v->state_json = json;
	return true;
}

void
model_set_metrics(struct model *v, const struct series *s, size_t n)
{
	size_t i;

	for (i = 0; i < v->nmetrics; i++)
		series_clear(&v->metrics[i]);
	if (n != v->nmetrics) {
		free(v->metrics);
		v->metrics = n > 0 ? xcalloc(n, sizeof *v->metrics) : NULL;
		v->nmetrics = n;
	}
	for (i = 0; i < n; i++) {
		v->metrics[i] = s[i];
		v->metrics[i].name = xstrdup(s[i].name != NULL ? s[i].name : "");
		v->metrics[i].unit = xstrdup(s[i].unit != NULL ? s[i].unit : "");
	}
}

void
model_set(char **field, const char *s)
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
model_add_event_line(struct model *v, const char *line, size_t len)
{
	struct model_event *e;
	struct event ev;
	const char *why;

	e = &v->ev[ring_push(&v->ev_start, &v->ev_n, MODEL_EVENTS, NULL)];
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
model_events_reset(struct model *v)
{
	size_t i;

	for (i = 0; i < MODEL_EVENTS; i++)
		event_clear(&v->ev[i]);
	v->ev_start = v->ev_n = 0;
	v->ev_added++;
}

const struct model_event *
model_event_at(const struct model *v, size_t i)
{
	return &v->ev[ring_at(v->ev_start, i, MODEL_EVENTS)];
}

void
model_table_check_set(struct model *v, const char *qualified, int status)
{
	table_list_get(&v->table_checks, "", qualified)->check = status;
}

int
model_table_check(const struct model *v, const struct table_stat *t)
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
model_stale(const struct model *v, int64_t at)
{
	if (at <= 0)
		return true;
	return v->now - at > 2 * (int64_t)v->period_ms;
}
void
model_load_validation(struct model *vw, const struct validation *v,
    const char *who)
{
	static const enum check_id table_checks[] = { CHK_ROW_COUNTS,
	    CHK_CHECKSUMS };
	char title[160], ts[40];
	size_t i, n;

	model_checks_clear(vw);
	time_local(now_ms(), ts, sizeof ts);
	snprintf(title, sizeof title, "%s %s validation, %s", who,
	    validation_mode(v), ts + 11 > ts ? ts + 11 : ts);
	vw->checks_title = xstrdup(title);
	vw->checks_passed = validation_passed(v);
	for (i = 0; i < CHK_COUNT; i++) {
		const struct check_result *r = validation_result(v, i);

		vw->checks[i].status = (int)r->status;
		model_set(&vw->checks[i].detail, r->detail);
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
