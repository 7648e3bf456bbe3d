/* provider-dms-settings.c - what a cutover needs of DMS's settings; see
 * provider-dms-settings.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "provider-dms-settings.h"

static const cJSON *
member(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	return b == NULL ? x : cJSON_GetObjectItemCaseSensitive(x, b);
}

static int
setting_bool(const cJSON *s, const char *a, const char *b, int def)
{
	const cJSON *v = member(s, a, b);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static const char *
setting_str(const cJSON *s, const char *a, const char *b, const char *def)
{
	const cJSON *v = member(s, a, b);

	return cJSON_IsString(v) ? v->valuestring : def;
}

/* What a financial cutover needs of a task (forward or reverse). */
void
dms_judge_task(struct provider_check *out, const char *what,
    const struct dms_task *t, bool reverse)
{
	/* DMS's defaults when a setting is absent. */
	static const struct {
		const char *key, *def;
	} apply[] = {
		{ "ApplyErrorInsertPolicy", "LOG_ERROR" },
		{ "ApplyErrorUpdatePolicy", "LOG_ERROR" },
		{ "ApplyErrorDeletePolicy", "IGNORE_RECORD" },
		{ "ApplyErrorEscalationPolicy", "LOG_ERROR" },
	};
	const char *side = reverse ? "source" : "target";
	cJSON *s = t->settings != NULL ? cJSON_Parse(t->settings) : NULL;
	const cJSON *lobmax;
	size_t i;
	int bad = 0;

	if (t->migration_type != NULL)
		sb_printf(&out->facts, "%s %s: MigrationType %s\n", what,
		    t->identifier != NULL ? t->identifier : t->arn,
		    t->migration_type);
	if (reverse && t->status != NULL && strcmp(t->status, "stopped") != 0 &&
	    strcmp(t->status, "ready") != 0 && strcmp(t->status, "failed") != 0)
		sb_printf(&out->fails, "%s: Status is %s: the reverse task must be "
		    "stopped before the cut (it starts at the switch, from the "
		    "slot cutover creates): stop it\n", what, t->status);
	if (reverse && (t->migration_type == NULL ||
	    strcmp(t->migration_type, "cdc") != 0))
		sb_printf(&out->fails, "%s: MigrationType is %s, not cdc: the "
		    "reverse task must only carry changes (a full load would copy "
		    "the target onto the source)\n", what, t->migration_type ?
		    t->migration_type : "unknown");
	if (!cJSON_IsObject(s)) {
		sb_printf(&out->fails, "%s: DescribeReplicationTasks gave no "
		    "readable ReplicationTaskSettings: its settings cannot be "
		    "checked\n", what);
		cJSON_Delete(s);
		return;
	}
	if (setting_bool(s, "TargetMetadata", "BatchApplyEnabled", 0) == 1)
		sb_printf(&out->fails, "%s: TargetMetadata.BatchApplyEnabled is "
		    "true: DMS then applies changes in batches, not in commit "
		    "order, so a sentinel seen on the %s would not prove that "
		    "every commit before it is there; cutover refuses it rather "
		    "than trust the task's recovery checkpoint (set it to false)\n",
		    what, side);
	else
		sb_printf(&out->facts, "%s: BatchApplyEnabled false (commit-order "
		    "apply: the sentinel proof holds)\n", what);
	lobmax = member(s, "TargetMetadata", "LobMaxSize");
	if (setting_bool(s, "TargetMetadata", "SupportLobs", 1) == 0)
		sb_printf(&out->fails, "%s: TargetMetadata.SupportLobs is false: "
		    "LOB columns (text, bytea, json, jsonb, xml, ...) would not "
		    "be replicated\n", what);
	else if (setting_bool(s, "TargetMetadata", "FullLobMode", 0) == 1)
		sb_printf(&out->facts, "%s: full LOB mode (values of any "
		    "length)\n", what);
	else
		sb_printf(&out->warns, "%s: limited LOB mode: values longer than "
		    "LobMaxSize = %.0f KB in text, bytea, json, jsonb or xml "
		    "columns are truncated on the %s (or fail the task, with "
		    "FailTasksOnLobTruncation on the source endpoint); make sure "
		    "no value is longer\n", what, cJSON_IsNumber(lobmax) ?
		    lobmax->valuedouble : 32, side);
	if (setting_bool(s, "ValidationSettings", "EnableValidation", 0) == 1)
		sb_printf(&out->facts, "%s: DMS validation on (%s)\n", what,
		    setting_str(s, "ValidationSettings", "ValidationMode",
		    "ROW_LEVEL"));
	else if (!reverse)
		sb_printf(&out->warns, "%s: DMS validation is off: cutover's own "
		    "checksums are the only comparison of the two sides\n", what);
	else
		sb_printf(&out->facts, "%s: DMS validation off (cutover validates "
		    "the source before switching back)\n", what);
	for (i = 0; i < ARRAY_SIZE(apply); i++) {
		const char *v = setting_str(s, "ErrorBehavior", apply[i].key,
		    apply[i].def);

		if (strcmp(v, "STOP_TASK") == 0)
			continue;
		bad++;
		sb_printf(&out->fails, "%s: ErrorBehavior.%s is %s: an apply "
		    "conflict during CDC (a row already there, or not there) "
		    "means the %s no longer matches; a financial cutover "
		    "stops the task on it (STOP_TASK) instead of logging or "
		    "skipping the row and carrying on\n", what, apply[i].key, v,
		    side);
	}
	if (bad == 0)
		sb_printf(&out->facts, "%s: an apply conflict stops the task "
		    "(STOP_TASK)\n", what);
	cJSON_Delete(s);
}

/* DMS's PluginName as the slot's output plugin. */
static const char *
plugin_of(const char *dms_name)
{
	if (dms_name == NULL)
		return NULL;
	if (strcmp(dms_name, "test-decoding") == 0)
		return "test_decoding";
	if (strcmp(dms_name, "pglogical") == 0 ||
	    strcmp(dms_name, "pgoutput") == 0)
		return dms_name;    /* pgoutput: the lab's emulator */
	return NULL;               /* no-preference: DMS chooses */
}

void
dms_judge_endpoint(struct provider_check *out, const struct config *cfg,
    const struct dms_endpoint *ep, bool reverse)
{
	const char *what = reverse ? "reverse source endpoint" :
	    "forward source endpoint";
	const char *plugin = plugin_of(ep->plugin_name);

	sb_printf(&out->facts, "%s %s: SlotName %s, PluginName %s, "
	    "HeartbeatEnable %s\n", what, ep->identifier != NULL ?
	    ep->identifier : ep->arn, ep->slot_name != NULL ? ep->slot_name :
	    "(none)", ep->plugin_name != NULL ? ep->plugin_name : "(default)",
	    ep->heartbeat == 1 ? "true" : "false");
	if (!reverse) {
		if ((ep->slot_name == NULL || *ep->slot_name == '\0') &&
		    cfg->reverse_replication)
			sb_printf(&out->fails, "%s: no SlotName: after a rollback "
			    "from the switch the forward task must start past what "
			    "reverse replication brought back, and DMS starts a "
			    "PostgreSQL source at a CdcStartPosition only from a "
			    "named slot (Terraform: slot_name)\n", what);
		if (ep->heartbeat != 1)
			sb_printf(&out->warns, "%s: HeartbeatEnable is off: an idle "
			    "source's slot holds its WAL\n", what);
		return;
	}
	if (ep->slot_name == NULL || strcmp(ep->slot_name,
	    cfg->reverse_slot) != 0)
		sb_printf(&out->fails, "%s: SlotName is %s, [rollback] "
		    "reverse_slot is %s: the reverse task must read the slot "
		    "cutover creates on the target before the switch\n", what,
		    ep->slot_name != NULL ? ep->slot_name : "not set",
		    cfg->reverse_slot);
	if (plugin == NULL)
		sb_printf(&out->fails, "%s: PluginName is %s: name the plugin "
		    "(test-decoding or pglogical) so that the slot cutover creates "
		    "is the one DMS reads\n", what, ep->plugin_name != NULL ?
		    ep->plugin_name : "not set");
	else if (strcmp(plugin, cfg->reverse_slot_plugin) != 0)
		sb_printf(&out->fails, "%s: PluginName %s, but [rollback] "
		    "reverse_slot_plugin is %s\n", what, ep->plugin_name,
		    cfg->reverse_slot_plugin);
}
