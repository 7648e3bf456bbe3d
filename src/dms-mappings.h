/* dms-mappings.h - which source tables a DMS task carries, judged from its
 * table mappings (DescribeReplicationTasks' TableMappings) by DMS's own
 * rules, for validation's coverage. Pure: text in, verdicts out.
 *
 * Selection rules (rule-type "selection"): object-locator schema-name and
 * table-name are patterns, case-sensitive, where % is any run of
 * characters, _ one character, [ab] one of a set, [a-d] one of a range
 * and [_] (or [%]) the character itself; rule-action "explicit" names one
 * table exactly (no wildcards). A table is carried when an include or
 * explicit rule selects it and no exclude rule does (exclude wins, in any
 * order); table-type "view" rules select no table. An include rule with
 * source filters carries only some rows. load-order and parallel-load
 * change nothing here.
 *
 * Transformation rules (rule-type "transformation") that rename a schema or
 * table (rename, add-/remove-/replace-prefix, -suffix, convert-lowercase,
 * convert-uppercase) are applied; a table whose name changes, or whose
 * columns a rule changes (rule-target "column"), cannot be compared by
 * name. Rules for indexes and tablespaces, define-primary-key and
 * table-settings change no data and are ignored. */
#ifndef CUTOVER_DMS_MAPPINGS_H
#define CUTOVER_DMS_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct dms_rule;

struct dms_mappings {
	struct dms_rule *v;
	size_t n;
};

enum dms_verdict {
	DMS_CARRIED,           /* whole, under its own name: compare it */
	DMS_NOT_SELECTED,      /* no rule selects it, or one excludes it */
	DMS_PARTLY,            /* selected with a source filter */
	DMS_TRANSFORMED        /* renamed, or its columns changed: the target
	                          has no table of that name and shape */
};

/* Parses a TableMappings text. Returns 0, or -1 with e saying what is
 * wrong (not JSON, no rules array, a rule DMS would not accept: a
 * selection rule without its locator or with an unknown action). */
int dms_mappings_parse(struct dms_mappings *m, const char *json,
    struct err *e);
void dms_mappings_free(struct dms_mappings *m);

/* What happens to schema.table. *why (NULL for DMS_CARRIED) is a
 * sentence for the validation, the caller's to free. */
enum dms_verdict dms_mappings_judge(const struct dms_mappings *m,
    const char *schema, const char *table, char **why);

/* Does s match a DMS table-mapping pattern (see above)? */
bool dms_like(const char *pattern, const char *s);

#endif
