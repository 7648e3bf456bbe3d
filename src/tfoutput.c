/* tfoutput.c - `terraform output -json` to cutover.conf values. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "tfoutput.h"

/* The Terraform environments (terraform/environments/NAME) define these. */
static const struct {
	const char *output;
	const char *key;
	bool conninfo;
} map[] = {
	{ "cutover_environment", "cutover.environment", false },
	{ "cutover_source_conninfo", "source.conninfo", true },
	{ "cutover_target_conninfo", "target.conninfo", true },
	{ "cutover_target_reader_conninfo", "target.reader_conninfo", true },
	{ "cutover_region", "replication.region", false },
	{ "cutover_dms_task_arn", "replication.task_arn", false },
	{ "cutover_dms_reverse_task_arn", "replication.reverse_task_arn", false },
	{ "cutover_aurora_cluster_id", "metrics.aurora_cluster", false },
	{ "cutover_reverse_slot", "rollback.reverse_slot", false },
	{ "cutover_reverse_slot_plugin", "rollback.reverse_slot_plugin", false },
};

void
tf_values_set(struct tf_values *v, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->key[i], key) == 0) {
			free(v->value[i]);
			v->value[i] = xstrdup(value);
			return;
		}
	}
	if (v->n < TF_MAX_VALUES) {
		v->key[v->n] = xstrdup(key);
		v->value[v->n] = xstrdup(value);
		v->n++;
	}
}

void
tf_values_free(struct tf_values *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->key[i]);
		free(v->value[i]);
	}
	v->n = 0;
}

size_t
tf_values_kv(const struct tf_values *v, struct kv *kv)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		kv[i].key = v->key[i];
		kv[i].value = v->value[i];
	}
	return v->n;
}

static bool
has_password(const char *conninfo)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	bool found = false;

	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL) {
		PQfreemem(msg);
		return false;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    *o->val != '\0')
			found = true;
	PQconninfoFree(opts);
	return found;
}

int
tf_values_parse(struct tf_values *v, const char *name, const char *json,
    size_t len, struct err *e)
{
	const cJSON *out, *val;
	cJSON *root;
	size_t i, found = 0;

	root = cJSON_ParseWithLength(json, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return err_set(e, EXIT_USAGE,
		    "%s: not the JSON object of `terraform output -json`", name);
	}
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		out = cJSON_GetObjectItemCaseSensitive(root, map[i].output);
		if (out == NULL)
			continue;
		found++;
		val = cJSON_GetObjectItemCaseSensitive(out, "value");
		if (!cJSON_IsObject(out) || val == NULL) {
			cJSON_Delete(root);
			return err_set(e, EXIT_USAGE,
			    "%s: output %s has no \"value\"", name, map[i].output);
		}
		if (cJSON_IsNull(val))
			continue;
		if (!cJSON_IsString(val)) {
			cJSON_Delete(root);
			return err_set(e, EXIT_USAGE,
			    "%s: output %s must be a string", name, map[i].output);
		}
		if (strchr(val->valuestring, '\n') != NULL) {
			cJSON_Delete(root);
			return err_set(e, EXIT_USAGE,
			    "%s: output %s holds a line break", name, map[i].output);
		}
		if (map[i].conninfo && has_password(val->valuestring)) {
			cJSON_Delete(root);
			return err_set(e, EXIT_USAGE,
			    "%s: output %s holds a password; cutover.conf never holds "
			    "secrets (use ~/.pgpass or Secrets Manager)", name,
			    map[i].output);
		}
		if (*val->valuestring == '\0')
			continue;
		tf_values_set(v, map[i].key, val->valuestring);
		if (strcmp(map[i].key, "replication.task_arn") == 0)
			tf_values_set(v, "replication.provider", "dms");
	}
	cJSON_Delete(root);
	if (found == 0)
		return err_set(e, EXIT_USAGE,
		    "%s: none of the cutover_* outputs (cutover_source_conninfo, "
		    "cutover_target_conninfo, cutover_dms_task_arn, ...) is there",
		    name);
	return 0;
}
