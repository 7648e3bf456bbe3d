/* state.c - state.json, written atomically, read strictly. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "jsonout.h"
#include "state.h"

static const char *const phase_names[PHASE_COUNT] = {
	"pre_validation", "sync_wait", "drain", "final_sync",
	"stop_replication", "sequence_sync", "switch", "post_validation",
};
static const char *const status_names[] = {
	"pending", "running", "done", "failed", "rolled_back",
};
static const char *const repl_names[] = { "forward", "stopped", "reverse" };

const char *
phase_name(enum phase_id p)
{
	return (unsigned)p < PHASE_COUNT ? phase_names[p] : "unknown";
}

static int
index_of(const char *name, const char *const *names, size_t n)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int
phase_from_name(const char *name)
{
	return index_of(name, phase_names, PHASE_COUNT);
}

const char *
phase_status_name(enum phase_status s)
{
	return status_names[s];
}

int
phase_status_from_name(const char *name)
{
	return index_of(name, status_names, ARRAY_SIZE(status_names));
}

const char *
repl_direction_name(enum repl_direction d)
{
	return repl_names[d];
}

void
state_init(struct state *s, const char *environment, bool rehearsal)
{
	memset(s, 0, sizeof *s);
	s->version = STATE_VERSION;
	if (random_hex(s->run_id, 8) != 0)
		snprintf(s->run_id, sizeof s->run_id, "%016llx",
		    (unsigned long long)now_ms());
	s->environment = xstrdup(environment);
	s->rehearsal = rehearsal;
	s->created_at = now_ms();
	s->phase = PHASE_PRE_VALIDATION;
	s->phase_status = PS_PENDING;
	s->replication = REPL_FORWARD;
	s->attempt = 1;
}

void
state_add_fenced_role(struct state *s, const char *role)
{
	state_roles_add(&s->fenced_roles, &s->nfenced_roles, role);
}

void
state_clear_fenced_roles(struct state *s)
{
	state_roles_clear(&s->fenced_roles, &s->nfenced_roles);
}

void
state_roles_add(char ***v, size_t *n, const char *role)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], role) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(role);
}

void
state_roles_clear(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static const char *const ready_names[] = { "ok", "failed", "unknown" };

const char *
ready_status_name(int status)
{
	return status >= 0 && status <= READY_UNKNOWN ? ready_names[status] :
	    "unknown";
}

void
state_readiness_clear(struct state *s)
{
	size_t i;

	for (i = 0; i < s->nreadiness; i++) {
		free(s->readiness[i].item);
		free(s->readiness[i].detail);
	}
	free(s->readiness);
	s->readiness = NULL;
	s->nreadiness = 0;
}

void
state_readiness_add(struct state *s, const char *item, int status,
    const char *detail)
{
	struct readiness_item *r;

	s->readiness = xreallocarray(s->readiness, s->nreadiness + 1,
	    sizeof *s->readiness);
	r = &s->readiness[s->nreadiness++];
	r->item = xstrdup(item);
	r->status = status;
	r->detail = detail != NULL ? xstrdup(detail) : NULL;
}

void
state_set(char **field, const char *value)
{
	char *copy = value != NULL ? xstrdup(value) : NULL;

	free(*field);
	*field = copy;
}

bool
state_has_effects(const struct state *s)
{
	return s->fenced || s->switched || s->fenced_at != 0 ||
	    s->nfenced_roles > 0 || s->readonly_set || s->fence_slot != NULL ||
	    s->target_slot != NULL || s->switch_begun_at != 0 ||
	    s->switch_command != NULL || s->reverse_begun ||
	    s->replication != REPL_FORWARD || s->rollback_reason != NULL;
}

void
state_free(struct state *s)
{
	free(s->environment);
	free(s->sentinel_id);
	free(s->sentinel_lsn);
	free(s->reverse_slot_lsn);
	free(s->pgbouncer_original);
	free(s->rollback_reason);
	free(s->intent_step);
	free(s->intent_what);
	free(s->fence_slot);
	free(s->target_slot);
	free(s->target_fence_lsn);
	free(s->switch_command);
	free(s->forward_skip_lsn);
	free(s->alarm);
	state_clear_fenced_roles(s);
	state_roles_clear(&s->target_fenced_roles, &s->ntarget_fenced_roles);
	state_readiness_clear(s);
	memset(s, 0, sizeof *s);
}

char *
state_to_json(const struct state *s)
{
	cJSON *o = cJSON_CreateObject(), *phases, *p;
	struct strbuf sb;
	char *text;
	int i;

	cJSON_AddNumberToObject(o, "version", s->version);
	cJSON_AddStringToObject(o, "run_id", s->run_id);
	cJSON_AddStringToObject(o, "environment", s->environment);
	cJSON_AddBoolToObject(o, "rehearsal", s->rehearsal);
	cJSON_AddStringToObject(o, "phase", phase_name(s->phase));
	cJSON_AddStringToObject(o, "phase_status",
	    phase_status_name(s->phase_status));
	phases = cJSON_AddArrayToObject(o, "phases");
	for (i = 0; i < PHASE_COUNT; i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", phase_names[i]);
		cJSON_AddStringToObject(p, "status",
		    phase_status_name(s->phases[i].status));
		json_add_time(p, "started_at", s->phases[i].started_at);
		json_add_time(p, "finished_at", s->phases[i].finished_at);
		cJSON_AddItemToArray(phases, p);
	}
	cJSON_AddBoolToObject(o, "fenced", s->fenced);
	cJSON_AddStringToObject(o, "replication",
	    repl_direction_name(s->replication));
	cJSON_AddBoolToObject(o, "switched", s->switched);
	cJSON_AddNumberToObject(o, "attempt", s->attempt);
	cJSON_AddBoolToObject(o, "armed", s->armed);
	cJSON_AddBoolToObject(o, "completed", s->completed);
	json_add_time(o, "created_at", s->created_at);
	json_add_time(o, "fenced_at", s->fenced_at);
	json_add_time(o, "switched_at", s->switched_at);
	{
		cJSON *roles = cJSON_AddArrayToObject(o, "fenced_roles");
		size_t k;

		for (k = 0; k < s->nfenced_roles; k++)
			cJSON_AddItemToArray(roles,
			    cJSON_CreateString(s->fenced_roles[k]));
	}
	cJSON_AddBoolToObject(o, "readonly_set", s->readonly_set);
	cJSON_AddBoolToObject(o, "target_fenced", s->target_fenced ||
	    s->ntarget_fenced_roles > 0 || s->target_readonly_set);
	{
		cJSON *roles = cJSON_AddArrayToObject(o, "target_fenced_roles");
		size_t k;

		for (k = 0; k < s->ntarget_fenced_roles; k++)
			cJSON_AddItemToArray(roles,
			    cJSON_CreateString(s->target_fenced_roles[k]));
	}
	cJSON_AddBoolToObject(o, "target_readonly_set", s->target_readonly_set);
	json_add_string(o, "sentinel_id", s->sentinel_id);
	json_add_string(o, "sentinel_lsn", s->sentinel_lsn);
	json_add_string(o, "reverse_slot_lsn", s->reverse_slot_lsn);
	json_add_string(o, "pgbouncer_original", s->pgbouncer_original);
	json_add_string(o, "rollback_reason", s->rollback_reason);
	if (s->intent_step != NULL) {
		cJSON *in = cJSON_AddObjectToObject(o, "intent");

		cJSON_AddStringToObject(in, "step", s->intent_step);
		json_add_string(in, "what", s->intent_what);
		json_add_time(in, "at", s->intent_at);
	} else {
		cJSON_AddNullToObject(o, "intent");
	}
	json_add_string(o, "fence_slot", s->fence_slot);
	json_add_string(o, "target_slot", s->target_slot);
	json_add_string(o, "target_fence_lsn", s->target_fence_lsn);
	json_add_time(o, "switch_begun_at", s->switch_begun_at);
	json_add_string(o, "switch_command", s->switch_command);
	cJSON_AddBoolToObject(o, "reverse_begun", s->reverse_begun);
	json_add_string(o, "forward_skip_lsn", s->forward_skip_lsn);
	json_add_string(o, "alarm", s->alarm);
	cJSON_AddBoolToObject(o, "rollback_on_target", s->rollback_on_target);
	cJSON_AddBoolToObject(o, "rollback_source_let_in",
	    s->rollback_source_let_in);
	cJSON_AddNumberToObject(o, "rollbacks", s->rollbacks);
	{
		cJSON *a = cJSON_AddArrayToObject(o, "cut_approved");

		for (i = PHASE_DRAIN; i <= PHASE_SWITCH; i++)
			if (s->cut_approved & (1u << i))
				cJSON_AddItemToArray(a,
				    cJSON_CreateString(phase_names[i]));
	}
	if (s->nreadiness > 0) {
		cJSON *a = cJSON_AddArrayToObject(o, "readiness");
		size_t k;

		for (k = 0; k < s->nreadiness; k++) {
			cJSON *it = cJSON_CreateObject();

			cJSON_AddStringToObject(it, "item", s->readiness[k].item);
			cJSON_AddStringToObject(it, "status",
			    ready_status_name(s->readiness[k].status));
			json_add_string(it, "detail", s->readiness[k].detail);
			cJSON_AddItemToArray(a, it);
		}
		json_add_time(o, "readiness_at", s->readiness_at);
	}
	cJSON_AddNumberToObject(o, "log_seq", (double)s->log_seq);
	json_add_string(o, "log_hash", s->log_seq > 0 ? s->log_hash : NULL);

	text = cJSON_Print(o);
	cJSON_Delete(o);
	sb_init(&sb);
	sb_puts(&sb, text);
	sb_putc(&sb, '\n');
	cJSON_free(text);
	return sb_detach(&sb);
}

/* Field readers: each names the field and the file on a wrong type. */
struct reader {
	const cJSON *o;
	const char *name;
	struct err *e;
	int failed;
};

static const cJSON *
field(struct reader *r, const cJSON *o, const char *key, int type_ok,
    const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (r->failed)
		return NULL;
	if (v == NULL || !type_ok) {
		r->failed = 1;
		err_set(r->e, EXIT_USAGE, "%s: field \"%s\" %s", r->name, key,
		    v == NULL ? "is missing" : want);
		return NULL;
	}
	return v;
}

static const char *
get_string(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	v = field(r, o, key, v != NULL && cJSON_IsString(v), "must be a string");
	return v != NULL ? v->valuestring : NULL;
}

/* A string or null (or absent: fields added later are optional). */
static char *
get_opt_string(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (r->failed || v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		field(r, o, key, 0, "must be a string or null");
		return NULL;
	}
	return xstrdup(v->valuestring);
}

static bool
get_bool(struct reader *r, const cJSON *o, const char *key, bool optional)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (optional && v == NULL)
		return false;
	v = field(r, o, key, v != NULL && cJSON_IsBool(v), "must be true or false");
	return v != NULL && cJSON_IsTrue(v);
}

static int64_t
get_time(struct reader *r, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	int64_t t;

	if (r->failed || v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || (t = time_parse_rfc3339(v->valuestring)) < 0) {
		field(r, o, key, 0, "must be an RFC 3339 UTC time or null");
		return 0;
	}
	return t;
}

static int
get_enum(struct reader *r, const cJSON *o, const char *key,
    int (*lookup)(const char *))
{
	const char *s = get_string(r, o, key);
	int v;

	if (s == NULL)
		return 0;
	if ((v = lookup(s)) < 0) {
		r->failed = 1;
		err_set(r->e, EXIT_USAGE, "%s: field \"%s\" has unknown value \"%s\"",
		    r->name, key, s);
		return 0;
	}
	return v;
}

static int
repl_from_name(const char *name)
{
	return index_of(name, repl_names, ARRAY_SIZE(repl_names));
}

static int
read_phases(struct reader *r, struct state *s)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(r->o, "phases");
	const cJSON *p;
	int idx;

	if (field(r, r->o, "phases", arr != NULL && cJSON_IsArray(arr),
	    "must be an array") == NULL)
		return -1;
	cJSON_ArrayForEach(p, arr) {
		if (!cJSON_IsObject(p)) {
			r->failed = 1;
			return err_set(r->e, EXIT_USAGE,
			    "%s: \"phases\" holds a non-object", r->name);
		}
		idx = get_enum(r, p, "name", phase_from_name);
		if (r->failed)
			return -1;
		s->phases[idx].status = (enum phase_status)get_enum(r, p, "status",
		    phase_status_from_name);
		s->phases[idx].started_at = get_time(r, p, "started_at");
		s->phases[idx].finished_at = get_time(r, p, "finished_at");
	}
	return r->failed ? -1 : 0;
}

int
state_from_json(struct state *s, const char *name, const char *text,
    size_t len, struct err *e)
{
	struct reader r = { NULL, name, e, 0 };
	const cJSON *v;
	cJSON *o;
	const char *str;

	memset(s, 0, sizeof *s);
	if (len == 0)
		return err_set(e, EXIT_USAGE,
		    "%s: empty state file (a crash while it was first written?); "
		    "move it aside to start a new run", name);
	o = cJSON_ParseWithLength(text, len);
	if (o == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return err_set(e, EXIT_USAGE,
		    "%s: not a valid JSON object (truncated or corrupt); it is kept "
		    "as it is: repair or move it aside", name);
	}
	r.o = o;
	v = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (v == NULL || !cJSON_IsNumber(v)) {
		cJSON_Delete(o);
		return err_set(e, EXIT_USAGE, "%s: no \"version\" number", name);
	}
	if (v->valuedouble > STATE_VERSION) {
		err_set(e, EXIT_USAGE,
		    "%s: version %g is newer than this cutover understands (%d); "
		    "use a newer cutover", name, v->valuedouble, STATE_VERSION);
		cJSON_Delete(o);
		return -1;
	}
	if (v->valuedouble < STATE_VERSION || v->valueint != STATE_VERSION) {
		err_set(e, EXIT_USAGE, "%s: unsupported version %g", name,
		    v->valuedouble);
		cJSON_Delete(o);
		return -1;
	}
	s->version = STATE_VERSION;
	if ((str = get_string(&r, o, "run_id")) != NULL)
		snprintf(s->run_id, sizeof s->run_id, "%s", str);
	if ((str = get_string(&r, o, "environment")) != NULL)
		s->environment = xstrdup(str);
	s->rehearsal = get_bool(&r, o, "rehearsal", false);
	s->phase = (enum phase_id)get_enum(&r, o, "phase", phase_from_name);
	s->phase_status = (enum phase_status)get_enum(&r, o, "phase_status",
	    phase_status_from_name);
	s->fenced = get_bool(&r, o, "fenced", false);
	s->replication = (enum repl_direction)get_enum(&r, o, "replication",
	    repl_from_name);
	s->switched = get_bool(&r, o, "switched", false);
	s->armed = get_bool(&r, o, "armed", true);
	s->completed = get_bool(&r, o, "completed", true);
	s->created_at = get_time(&r, o, "created_at");
	s->fenced_at = get_time(&r, o, "fenced_at");
	s->switched_at = get_time(&r, o, "switched_at");
	s->readonly_set = get_bool(&r, o, "readonly_set", true);
	s->target_fenced = get_bool(&r, o, "target_fenced", true);
	v = cJSON_GetObjectItemCaseSensitive(o, "attempt");
	s->attempt = v != NULL && cJSON_IsNumber(v) && v->valueint > 0 ?
	    v->valueint : 1;
	v = cJSON_GetObjectItemCaseSensitive(o, "fenced_roles");
	if (v != NULL && cJSON_IsArray(v)) {
		const cJSON *it;

		cJSON_ArrayForEach(it, v)
			if (cJSON_IsString(it))
				state_add_fenced_role(s, it->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "target_fenced_roles");
	if (v != NULL && cJSON_IsArray(v)) {
		const cJSON *it;

		cJSON_ArrayForEach(it, v)
			if (cJSON_IsString(it))
				state_roles_add(&s->target_fenced_roles,
				    &s->ntarget_fenced_roles, it->valuestring);
	}
	s->target_readonly_set = get_bool(&r, o, "target_readonly_set", true);
	v = cJSON_GetObjectItemCaseSensitive(o, "intent");
	if (v != NULL && cJSON_IsObject(v)) {
		s->intent_step = get_opt_string(&r, v, "step");
		s->intent_what = get_opt_string(&r, v, "what");
		s->intent_at = get_time(&r, v, "at");
	}
	s->fence_slot = get_opt_string(&r, o, "fence_slot");
	s->target_slot = get_opt_string(&r, o, "target_slot");
	s->target_fence_lsn = get_opt_string(&r, o, "target_fence_lsn");
	s->switch_begun_at = get_time(&r, o, "switch_begun_at");
	s->switch_command = get_opt_string(&r, o, "switch_command");
	s->reverse_begun = get_bool(&r, o, "reverse_begun", true);
	s->forward_skip_lsn = get_opt_string(&r, o, "forward_skip_lsn");
	s->alarm = get_opt_string(&r, o, "alarm");
	s->rollback_on_target = get_bool(&r, o, "rollback_on_target", true);
	s->rollback_source_let_in = get_bool(&r, o, "rollback_source_let_in",
	    true);
	v = cJSON_GetObjectItemCaseSensitive(o, "rollbacks");
	s->rollbacks = v != NULL && cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 1e6 ? (int)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "cut_approved");
	if (v != NULL && cJSON_IsArray(v)) {
		const cJSON *it;
		int p;

		cJSON_ArrayForEach(it, v)
			if (cJSON_IsString(it) &&
			    (p = phase_from_name(it->valuestring)) >= PHASE_DRAIN &&
			    p <= PHASE_SWITCH)
				s->cut_approved |= 1u << p;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "readiness");
	if (v != NULL && cJSON_IsArray(v)) {
		const cJSON *it;

		cJSON_ArrayForEach(it, v) {
			const char *item = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(it, "item"));
			const char *st = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(it, "status"));
			const char *detail = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(it, "detail"));

			if (item != NULL && st != NULL)
				state_readiness_add(s, item, strcmp(st, "ok") == 0 ?
				    READY_OK : strcmp(st, "failed") == 0 ?
				    READY_FAILED : READY_UNKNOWN, detail);
		}
		s->readiness_at = get_time(&r, o, "readiness_at");
	}
	s->sentinel_id = get_opt_string(&r, o, "sentinel_id");
	s->sentinel_lsn = get_opt_string(&r, o, "sentinel_lsn");
	s->reverse_slot_lsn = get_opt_string(&r, o, "reverse_slot_lsn");
	s->pgbouncer_original = get_opt_string(&r, o, "pgbouncer_original");
	s->rollback_reason = get_opt_string(&r, o, "rollback_reason");
	v = cJSON_GetObjectItemCaseSensitive(o, "log_seq");
	if (v != NULL && cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 9e15)
		s->log_seq = (int64_t)v->valuedouble;
	{
		char *h = get_opt_string(&r, o, "log_hash");

		if (h != NULL && strlen(h) == 64)
			memcpy(s->log_hash, h, 65);
		else
			s->log_seq = 0;
		free(h);
	}
	if (!r.failed)
		read_phases(&r, s);
	cJSON_Delete(o);
	if (r.failed) {
		state_free(s);
		return -1;
	}
	return 0;
}

static char *
state_path(const char *dir)
{
	return xasprintf("%s/state.json", dir);
}

int
state_load(struct state *s, const char *dir, struct err *e)
{
	char *path = state_path(dir), *text;
	size_t len;
	int rc;

	if (file_read_all(path, 16 << 20, &text, &len) != 0) {
		if (errno == ENOENT) {
			free(path);
			return 1;
		}
		err_set(e, errno == EFBIG ? EXIT_USAGE : EXIT_RUNTIME,
		    "%s: cannot read: %s", path,
		    errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		free(path);
		return -1;
	}
	rc = state_from_json(s, path, text, len, e);
	free(text);
	free(path);
	return rc;
}

int
state_save(const struct state *s, const char *dir, struct err *e)
{
	char *path = state_path(dir), *text = state_to_json(s);
	int rc;

	rc = file_write_atomic(path, text, strlen(text), 0600, e);
	free(text);
	free(path);
	return rc;
}
