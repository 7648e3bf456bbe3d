/* snapshot.c - the JSON of the console's model; see snapshot.h. Written
 * by hand into one buffer: with 10,000 tables a cJSON tree would cost the
 * driver several megabytes a second for a picture. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "jsonin.h"
#include "snapshot.h"

/* s escaped for a JSON string, without the quotes. */
static void
jraw(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			sb_puts(sb, "\\\"");
			break;
		case '\\':
			sb_puts(sb, "\\\\");
			break;
		case '\n':
			sb_puts(sb, "\\n");
			break;
		case '\t':
			sb_puts(sb, "\\t");
			break;
		case '\r':
			sb_puts(sb, "\\r");
			break;
		default:
			if (*p < 0x20) {
				sb_puts(sb, "\\u00");
				sb_putc(sb, hex[*p >> 4]);
				sb_putc(sb, hex[*p & 15]);
			} else
				sb_putc(sb, (char)*p);
		}
	}
}

static void
jstr(struct strbuf *sb, const char *s)
{
	if (s == NULL) {
		sb_puts(sb, "null");
		return;
	}
	sb_putc(sb, '"');
	jraw(sb, s);
	sb_putc(sb, '"');
}

static void
jnum(struct strbuf *sb, double v)
{
	if (isnan(v) || isinf(v))
		sb_puts(sb, "null");
	else
		sb_printf(sb, "%.17g", v);
}

static void
jcount(struct strbuf *sb, int64_t v)
{
	if (v < 0)
		sb_puts(sb, "null");
	else
		sb_printf(sb, "%lld", (long long)v);
}

static void
key(struct strbuf *sb, const char *k, bool *first)
{
	if (!*first)
		sb_putc(sb, ',');
	*first = false;
	jstr(sb, k);
	sb_putc(sb, ':');
}

static void
jseries(struct strbuf *sb, const struct series *s)
{
	size_t i;
	int64_t t;
	double v;

	sb_puts(sb, "{\"name\":");
	jstr(sb, s->name);
	sb_puts(sb, ",\"unit\":");
	jstr(sb, s->unit);
	sb_printf(sb, ",\"updated_ms\":%lld,\"t\":[", (long long)s->updated_at);
	for (i = 0; i < s->n; i++) {
		series_at(s, i, &t);
		sb_printf(sb, "%s%lld", i > 0 ? "," : "", (long long)t);
	}
	sb_puts(sb, "],\"v\":[");
	for (i = 0; i < s->n; i++) {
		v = series_at(s, i, NULL);
		if (i > 0)
			sb_putc(sb, ',');
		if (isnan(v) || isinf(v))
			sb_puts(sb, "null");
		else
			sb_printf(sb, "%.6g", v);
	}
	sb_puts(sb, "]}");
}

/* The replication, by the model's one writer (status --json's keys and
 * the snapshot's own). */
static void
jrepl(struct strbuf *sb, const struct model *v, const struct monitor_model *m)
{
	cJSON *o = model_repl_to_json(m, v->provider, m->direction,
	    REPL_JSON_SNAPSHOT);
	char *text = cJSON_PrintUnformatted(o);

	sb_puts(sb, text);
	cJSON_free(text);
	cJSON_Delete(o);
}

static void
jtables(struct strbuf *sb, const struct model *v, const struct table_list *l)
{
	size_t i;

	sb_putc(sb, '[');
	for (i = 0; i < l->n; i++) {
		const struct table_stat *t = &l->v[i];
		int c = model_table_check(v, t);

		if (i > 0)
			sb_putc(sb, ',');
		/* schema.name for people (as status --json), and the parts */
		sb_puts(sb, "{\"table\":\"");
		jraw(sb, t->schema);
		sb_putc(sb, '.');
		jraw(sb, t->name);
		sb_putc(sb, '"');
		sb_puts(sb, ",\"schema\":");
		jstr(sb, t->schema);
		sb_puts(sb, ",\"name\":");
		jstr(sb, t->name);
		sb_puts(sb, ",\"state\":");
		jstr(sb, t->state);
		sb_puts(sb, ",\"source_rows\":");
		jcount(sb, t->source_rows);
		sb_puts(sb, ",\"target_rows\":");
		jcount(sb, t->target_rows);
		sb_puts(sb, ",\"inserts\":");
		jcount(sb, t->inserts);
		sb_puts(sb, ",\"updates\":");
		jcount(sb, t->updates);
		sb_puts(sb, ",\"deletes\":");
		jcount(sb, t->deletes);
		sb_puts(sb, ",\"check\":");
		jstr(sb, c >= 0 ? check_status_name(c) : NULL);
		if (t->nparts > 0) {
			/* The partitions folded into a partitioned table. */
			struct table_list parts;

			memset(&parts, 0, sizeof parts);
			parts.v = t->parts;
			parts.n = t->nparts;
			sb_puts(sb, ",\"parts\":");
			jtables(sb, v, &parts);
		}
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
}

void
snapshot_json(const struct model *v, bool with_tables, int64_t now,
    struct strbuf *sb)
{
	const struct monitor_model *m = model_mon(v);
	const struct state *st = model_state(v);
	char ts[40];
	bool f = true;
	size_t i;

	time_rfc3339(now, ts, sizeof ts);
	sb_putc(sb, '{');
	key(sb, "version", &f);
	sb_printf(sb, "%d", SNAPSHOT_VERSION);
	key(sb, "written_at", &f);
	jstr(sb, ts);
	key(sb, "written_ms", &f);
	sb_printf(sb, "%lld", (long long)now);
	key(sb, "environment", &f);
	jstr(sb, v->environment);
	key(sb, "rehearsal", &f);
	sb_puts(sb, v->rehearsal ? "true" : "false");
	key(sb, "phase", &f);
	sb_puts(sb, "{\"name\":");
	jstr(sb, phase_name(st != NULL ? st->phase : PHASE_PRE_VALIDATION));
	sb_puts(sb, ",\"status\":");
	jstr(sb, phase_status_name(st != NULL ? st->phase_status : PS_PENDING));
	sb_putc(sb, '}');
	if (m != NULL) {
		key(sb, "replication", &f);
		jrepl(sb, v, m);
		if (with_tables) {
			key(sb, "tables", &f);
			jtables(sb, v, &m->tables);
		}
	}
	key(sb, "driver", &f);
	if (v->driver.pid != 0) {
		sb_printf(sb, "{\"pid\":%ld,\"user\":", v->driver.pid);
		jstr(sb, v->driver.user);
		sb_puts(sb, ",\"host\":");
		jstr(sb, v->driver.host);
		sb_puts(sb, ",\"since\":");
		jstr(sb, v->driver.since);
		sb_putc(sb, '}');
	} else
		sb_puts(sb, "null");
	key(sb, "watchers", &f);
	sb_printf(sb, "%d", v->watchers);
	key(sb, "provider", &f);
	jstr(sb, v->provider);
	key(sb, "max_lag_seconds", &f);
	jnum(sb, v->max_lag_seconds);
	key(sb, "period_ms", &f);
	sb_printf(sb, "%d", v->period_ms);
	key(sb, "state", &f);
	if (st != NULL) {
		char *text = state_to_json(st), *p;

		/* One line: the feed is one JSON object a line. Newlines and tabs
		 * are only whitespace there (strings escape theirs). */
		for (p = text; *p != '\0'; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		sb_puts(sb, text);
		free(text);
	} else
		sb_puts(sb, "null");
	if (m != NULL) {
		key(sb, "monitor", &f);
		sb_printf(sb, "{\"refreshed_ms\":%lld,\"generation\":%u,"
		    "\"heartbeat_writer\":%s,\"error\":", (long long)m->refreshed_at,
		    m->generation, m->heartbeat_writer ? "true" : "false");
		jstr(sb, m->error);
		sb_puts(sb, ",\"lag_error\":");
		jstr(sb, m->lag_error);
		sb_putc(sb, '}');
		key(sb, "series", &f);
		sb_putc(sb, '[');
		for (i = 0; i < SERIES_COUNT; i++) {
			if (i > 0)
				sb_putc(sb, ',');
			jseries(sb, &m->series[i]);
		}
		sb_putc(sb, ']');
	}
	key(sb, "metrics", &f);
	sb_putc(sb, '[');
	for (i = 0; i < v->nmetrics; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		jseries(sb, &v->metrics[i]);
	}
	sb_putc(sb, ']');
	key(sb, "orchestrator", &f);
	sb_printf(sb, "{\"busy\":%s,\"step\":", v->busy ? "true" : "false");
	jstr(sb, v->step);
	sb_puts(sb, ",\"progress\":");
	jstr(sb, v->progress);
	sb_puts(sb, ",\"next_phase\":");
	jstr(sb, v->next_phase < PHASE_COUNT ? phase_name(v->next_phase) : NULL);
	sb_puts(sb, ",\"switch_seconds_left\":");
	jnum(sb, v->switch_left >= 0 ? v->switch_left : NAN);
	sb_puts(sb, ",\"gate\":");
	if (v->have_gate) {
		sb_puts(sb, "{\"lag_e2e\":");
		jnum(sb, v->gate_lag_e2e);
		sb_puts(sb, ",\"lag_provider\":");
		jnum(sb, v->gate_lag_provider);
		sb_puts(sb, ",\"held_seconds\":");
		jnum(sb, v->gate_held);
		sb_puts(sb, ",\"hold_seconds\":");
		jnum(sb, v->gate_hold);
		sb_puts(sb, ",\"threshold_seconds\":");
		jnum(sb, v->gate_threshold);
		sb_putc(sb, '}');
	} else
		sb_puts(sb, "null");
	sb_puts(sb, ",\"checks\":");
	if (v->checks_title != NULL) {
		sb_puts(sb, "{\"title\":");
		jstr(sb, v->checks_title);
		sb_printf(sb, ",\"passed\":%s,\"list\":[",
		    v->checks_passed ? "true" : "false");
		for (i = 0; i < CHK_COUNT; i++) {
			if (i > 0)
				sb_putc(sb, ',');
			sb_puts(sb, "{\"name\":");
			jstr(sb, check_name(i));
			sb_puts(sb, ",\"status\":");
			jstr(sb, v->checks[i].status >= 0 ?
			    check_status_name(v->checks[i].status) : NULL);
			sb_puts(sb, ",\"detail\":");
			jstr(sb, v->checks[i].detail);
			sb_putc(sb, '}');
		}
		sb_puts(sb, "]}");
	} else
		sb_puts(sb, "null");
	sb_putc(sb, '}');
	key(sb, "validation", &f);
	sb_printf(sb, "{\"running\":%s,\"full\":%s,\"tables_done\":%zu,"
	    "\"tables_total\":%zu}", v->validating ? "true" : "false",
	    v->validating_full ? "true" : "false", v->val_done, v->val_total);
	sb_putc(sb, '}');
}

int
snapshot_save(const char *state_dir, const char *json, size_t len,
    struct err *e)
{
	char *path = xasprintf("%s/%s", state_dir, SNAPSHOT_FILE);
	struct strbuf sb;
	int rc;

	sb_init(&sb);
	sb_add(&sb, json, len);
	sb_putc(&sb, '\n');
	rc = file_write_atomic(path, sb.buf, sb.len, 0600, e);
	sb_free(&sb);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- reading */

/* Numbers from a snapshot or a feed are range-checked (jsonin.h). */
#define NUM_MAX JSON_NUM_MAX

static double
gnum(const cJSON *o, const char *k)
{
	return json_num_in(o, k, -NUM_MAX, NUM_MAX);
}

static int64_t
gcount(const cJSON *o, const char *k)
{
	return json_int_in(o, k, 0, (int64_t)NUM_MAX, -1);
}

/* Wall milliseconds, 0 when absent or absurd. */
static int64_t
gtime(const cJSON *o, const char *k)
{
	return json_int_in(o, k, 0, (int64_t)NUM_MAX, 0);
}

static int
status_from_name(const char *s)
{
	int i;

	for (i = CHECK_PASS; s != NULL && i <= CHECK_ERROR; i++)
		if (strcmp(check_status_name(i), s) == 0)
			return i;
	return -1;
}

static void
read_series(struct series *s, const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
	const cJSON *a, *b;
	const char *name = json_str(o, "name"), *unit = json_str(o, "unit");

	series_clear(s);
	series_init(s, name != NULL ? name : "", unit != NULL ? unit : "");
	for (a = t != NULL ? t->child : NULL, b = v != NULL ? v->child : NULL;
	    a != NULL && b != NULL; a = a->next, b = b->next) {
		if (!cJSON_IsNumber(a) || !(a->valuedouble >= 0 &&
		    a->valuedouble <= NUM_MAX))
			continue;
		series_push(s, (int64_t)a->valuedouble, cJSON_IsNumber(b) &&
		    b->valuedouble >= -NUM_MAX && b->valuedouble <= NUM_MAX ?
		    b->valuedouble : NAN);
	}
	s->updated_at = gtime(o, "updated_ms");
}

static void
read_tables(struct table_list *l, const cJSON *arr)
{
	const cJSON *o;

	table_list_clear(l);
	cJSON_ArrayForEach(o, arr) {
		const char *schema = json_str(o, "schema"), *name = json_str(o, "name");
		struct table_stat *t;

		if (schema == NULL || name == NULL)
			continue;
		t = table_list_get(l, schema, name);
		t->state = json_strdup(o, "state");
		t->source_rows = gcount(o, "source_rows");
		t->target_rows = gcount(o, "target_rows");
		t->inserts = gcount(o, "inserts");
		t->updates = gcount(o, "updates");
		t->deletes = gcount(o, "deletes");
		t->check = status_from_name(json_str(o, "check"));
		if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "parts"))) {
			struct table_list parts;

			memset(&parts, 0, sizeof parts);
			read_tables(&parts, cJSON_GetObjectItemCaseSensitive(o,
			    "parts"));
			t = table_list_find(l, schema, name);
			t->parts = parts.v;
			t->nparts = parts.n;
			free(parts.index);
		}
	}
}

int
snapshot_apply_json(struct model *v, const cJSON *o, struct err *e)
{
	const cJSON *x, *y, *it;
	struct state st;
	char *text;
	int i;

	if (!cJSON_IsObject(o) || json_int_in(o, "version", 0, INT_MAX, -1) !=
	    SNAPSHOT_VERSION)
		return err_set(e, EXIT_RUNTIME, "snapshot: not a version %d "
		    "snapshot", SNAPSHOT_VERSION);
	/* The run's state first: the only part that can fail. */
	x = cJSON_GetObjectItemCaseSensitive(o, "state");
	if (cJSON_IsObject(x)) {
		text = cJSON_PrintUnformatted(x);
		if (state_from_json(&st, "snapshot", text, strlen(text), e) != 0) {
			state_free(&st);
			cJSON_free(text);
			return -1;
		}
		cJSON_free(text);
		model_set_state(v, &st);
		state_free(&st);
	}
	model_set(&v->environment, json_str(o, "environment"));
	v->rehearsal = json_true(o, "rehearsal");
	model_set(&v->provider, json_str(o, "provider"));
	v->max_lag_seconds = json_num_in(o, "max_lag_seconds", 0, NUM_MAX);
	if (json_int_in(o, "period_ms", 1, 86400000, 0) > 0)
		v->period_ms = (int)json_int_in(o, "period_ms", 1, 86400000, 0);
	v->snapshot_at = gtime(o, "written_ms");
	v->watchers = (int)json_int_in(o, "watchers", 0, INT_MAX, -1);
	x = cJSON_GetObjectItemCaseSensitive(o, "driver");
	memset(&v->driver, 0, sizeof v->driver);
	if (cJSON_IsObject(x)) {
		v->driver.pid = (long)json_int_in(x, "pid", 0, INT_MAX, 0);
		snprintf(v->driver.user, sizeof v->driver.user, "%s",
		    json_str(x, "user") != NULL ? json_str(x, "user") : "?");
		snprintf(v->driver.host, sizeof v->driver.host, "%s",
		    json_str(x, "host") != NULL ? json_str(x, "host") : "?");
		snprintf(v->driver.since, sizeof v->driver.since, "%s",
		    json_str(x, "since") != NULL ? json_str(x, "since") : "?");
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "replication");
	if (cJSON_IsObject(x))
		model_repl_from_json(&v->mon, x);
	x = cJSON_GetObjectItemCaseSensitive(o, "tables");
	if (cJSON_IsArray(x)) {
		read_tables(&v->mon.tables, x);
		v->mon.tables_refreshed_at = v->snapshot_at > 0 ? v->snapshot_at :
		    now_ms();
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "monitor");
	if (cJSON_IsObject(x)) {
		v->mon.refreshed_at = gtime(x, "refreshed_ms");
		v->mon.generation = (unsigned)json_int_in(x, "generation", 0, UINT_MAX, 0);
		v->mon.heartbeat_writer = json_true(x, "heartbeat_writer");
		free(v->mon.error);
		v->mon.error = json_strdup(x, "error");
		free(v->mon.lag_error);
		v->mon.lag_error = json_strdup(x, "lag_error");
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "series");
	if (cJSON_IsArray(x)) {
		i = 0;
		cJSON_ArrayForEach(it, x) {
			if (i >= SERIES_COUNT)
				break;
			read_series(&v->mon.series[i++], it);
		}
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "metrics");
	if (cJSON_IsArray(x)) {
		model_set_metrics(v, NULL, 0);
		v->nmetrics = (size_t)cJSON_GetArraySize(x);
		v->metrics = v->nmetrics > 0 ? xcalloc(v->nmetrics,
		    sizeof *v->metrics) : NULL;
		i = 0;
		cJSON_ArrayForEach(it, x)
			read_series(&v->metrics[i++], it);
	}
	v->have_mon = true;
	x = cJSON_GetObjectItemCaseSensitive(o, "orchestrator");
	if (cJSON_IsObject(x)) {
		const char *np = json_str(x, "next_phase");
		double left = gnum(x, "switch_seconds_left");

		v->busy = json_true(x, "busy");
		model_set(&v->step, json_str(x, "step"));
		model_set(&v->progress, json_str(x, "progress"));
		v->next_phase = np != NULL && phase_from_name(np) >= 0 ?
		    phase_from_name(np) : PHASE_COUNT;
		v->switch_left = isnan(left) ? -1 : left;
		y = cJSON_GetObjectItemCaseSensitive(x, "gate");
		v->have_gate = cJSON_IsObject(y);
		if (v->have_gate) {
			v->gate_lag_e2e = gnum(y, "lag_e2e");
			v->gate_lag_provider = gnum(y, "lag_provider");
			v->gate_held = gnum(y, "held_seconds");
			v->gate_hold = gnum(y, "hold_seconds");
			v->gate_threshold = gnum(y, "threshold_seconds");
		}
		y = cJSON_GetObjectItemCaseSensitive(x, "checks");
		model_checks_clear(v);
		if (cJSON_IsObject(y)) {
			model_set(&v->checks_title, json_str(y, "title"));
			v->checks_passed = json_true(y, "passed");
			i = 0;
			cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(y,
			    "list")) {
				if (i >= CHK_COUNT)
					break;
				v->checks[i].status = status_from_name(json_str(it, "status"));
				model_set(&v->checks[i].detail, json_str(it, "detail"));
				i++;
			}
		}
	}
	x = cJSON_GetObjectItemCaseSensitive(o, "validation");
	if (cJSON_IsObject(x)) {
		v->validating = json_true(x, "running");
		v->validating_full = json_true(x, "full");
		v->val_done = gcount(x, "tables_done") > 0 ?
		    (size_t)gcount(x, "tables_done") : 0;
		v->val_total = gcount(x, "tables_total") > 0 ?
		    (size_t)gcount(x, "tables_total") : 0;
	}
	return 0;
}

int
snapshot_apply(struct model *v, const char *text, size_t len, struct err *e)
{
	cJSON *o = cJSON_ParseWithLength(text, len);
	int rc;

	if (o == NULL)
		return err_set(e, EXIT_RUNTIME, "snapshot: not valid JSON");
	rc = snapshot_apply_json(v, o, e);
	cJSON_Delete(o);
	return rc;
}
