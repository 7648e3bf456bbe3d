/* dms-mappings.c - which source tables a DMS task carries; see
 * dms-mappings.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "dms-mappings.h"

enum rule_type { RULE_SELECTION, RULE_TRANSFORMATION };
enum sel_action { SEL_INCLUDE, SEL_EXCLUDE, SEL_EXPLICIT };

struct dms_rule {
	enum rule_type type;
	char *name;                /* rule-name, else rule-id, else its index */
	char *action;              /* rule-action as written */
	enum sel_action sel;
	bool tables;               /* selection: table-type table or all */
	char *target;              /* transformation: rule-target */
	char *schema, *table, *column;   /* object-locator; NULL when absent */
	char *value, *old_value;
	char *filters;             /* selection: the filtered columns, or NULL */
};

/* ------------------------------------------------------------ patterns */

/* One character of UTF-8 text (a byte that starts no valid sequence counts
 * as one character): its code point, *s moved past it. */
static unsigned long
next_cp(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	unsigned long cp;
	int n, i;

	if (p[0] < 0x80 || p[0] < 0xc2 || p[0] > 0xf4) {
		*s += 1;
		return p[0];
	}
	n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : 1;
	cp = p[0] & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s += 1;
			return p[0];
		}
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*s += n + 1;
	return cp;
}

/* The end of a set "[...]" starting at p (past its ']'), or NULL when p
 * starts no set: then '[' is an ordinary character. The first member may
 * be ']' ("[]]" is the set of ']'). */
static const char *
set_end(const char *p)
{
	const char *q;

	if (p[0] != '[' || p[1] == '\0')
		return NULL;
	q = strchr(p + 2, ']');
	return q != NULL ? q + 1 : NULL;
}

static bool
set_has(const char *p, const char *end, unsigned long c)
{
	const char *q = p + 1;
	unsigned long lo, hi;

	end--;                     /* the closing ']' */
	while (q < end) {
		lo = next_cp(&q);
		if (q[0] == '-' && q + 1 < end) {
			q++;
			hi = next_cp(&q);
			if (lo <= c && c <= hi)
				return true;
		} else if (lo == c)
			return true;
	}
	return false;
}

/* Does the pattern element at *p match the character at *s? Both move on
 * when it does. */
static bool
match_one(const char **p, const char **s)
{
	const char *pp = *p, *ss = *s, *end;
	unsigned long c = next_cp(&ss);

	if (*pp == '_') {
		*p = pp + 1;
		*s = ss;
		return true;
	}
	if ((end = set_end(pp)) != NULL) {
		if (!set_has(pp, end, c))
			return false;
		*p = end;
		*s = ss;
		return true;
	}
	if (next_cp(&pp) != c)
		return false;
	*p = pp;
	*s = ss;
	return true;
}

/* Greedy with one backtracking point, as for globs: every element but %
 * matches exactly one character, so the last % is the only one that ever
 * needs to take more; linear-ish, never exponential. */
bool
dms_like(const char *pattern, const char *s)
{
	const char *p = pattern, *star_p = NULL, *star_s = NULL;

	while (*s != '\0') {
		if (*p == '%') {
			while (*p == '%')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p != '\0' && match_one(&p, &s))
			continue;
		if (star_p == NULL)
			return false;
		p = star_p;
		(void)next_cp(&star_s);
		s = star_s;
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

/* --------------------------------------------------------------- rules */

static char *
str_member(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(x))
		return xstrdup(x->valuestring);
	if (cJSON_IsNumber(x))
		return xasprintf("%.0f", x->valuedouble);
	return NULL;
}

static void
rule_free(struct dms_rule *r)
{
	free(r->name);
	free(r->action);
	free(r->target);
	free(r->schema);
	free(r->table);
	free(r->column);
	free(r->value);
	free(r->old_value);
	free(r->filters);
}

void
dms_mappings_free(struct dms_mappings *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		rule_free(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* The columns a selection rule's filters name, "a, b", or NULL. */
static char *
filter_columns(const cJSON *rule)
{
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(rule, "filters");
	const cJSON *f;
	struct strbuf sb;

	if (!cJSON_IsArray(fs) || cJSON_GetArraySize(fs) == 0)
		return NULL;
	sb_init(&sb);
	cJSON_ArrayForEach(f, fs) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(f, "column-name");

		sb_printf(&sb, "%s%s", sb.len > 0 ? ", " : "",
		    cJSON_IsString(c) ? c->valuestring : "?");
	}
	return sb_detach(&sb);
}

static int
parse_rule(struct dms_rule *r, const cJSON *o, size_t idx, bool *keep,
    struct err *e)
{
	const cJSON *loc = cJSON_GetObjectItemCaseSensitive(o, "object-locator");
	char *type = str_member(o, "rule-type"), *tt;

	*keep = false;
	memset(r, 0, sizeof *r);
	if (type == NULL || (strcmp(type, "selection") != 0 &&
	    strcmp(type, "transformation") != 0)) {
		free(type);             /* table-settings, post-processing, ... */
		return 0;
	}
	r->type = strcmp(type, "selection") == 0 ? RULE_SELECTION :
	    RULE_TRANSFORMATION;
	free(type);
	if ((r->name = str_member(o, "rule-name")) == NULL &&
	    (r->name = str_member(o, "rule-id")) == NULL)
		r->name = xasprintf("#%zu", idx + 1);
	r->action = str_member(o, "rule-action");
	r->target = str_member(o, "rule-target");
	r->schema = str_member(loc, "schema-name");
	r->table = str_member(loc, "table-name");
	r->column = str_member(loc, "column-name");
	r->value = str_member(o, "value");
	r->old_value = str_member(o, "old-value");
	if (r->action == NULL) {
		err_set(e, EXIT_RUNTIME, "rule %s has no rule-action", r->name);
		rule_free(r);
		return -1;
	}
	if (r->type == RULE_TRANSFORMATION) {
		*keep = true;
		return 0;
	}
	if (strcmp(r->action, "include") == 0)
		r->sel = SEL_INCLUDE;
	else if (strcmp(r->action, "exclude") == 0)
		r->sel = SEL_EXCLUDE;
	else if (strcmp(r->action, "explicit") == 0)
		r->sel = SEL_EXPLICIT;
	else {
		err_set(e, EXIT_RUNTIME, "selection rule %s has rule-action \"%s\" "
		    "(DMS knows include, exclude and explicit)", r->name, r->action);
		rule_free(r);
		return -1;
	}
	if (r->schema == NULL || r->table == NULL) {
		err_set(e, EXIT_RUNTIME, "selection rule %s has no object-locator "
		    "with schema-name and table-name", r->name);
		rule_free(r);
		return -1;
	}
	tt = str_member(loc, "table-type");
	r->tables = tt == NULL || strcmp(tt, "table") == 0 ||
	    strcmp(tt, "all") == 0;
	free(tt);
	r->filters = filter_columns(o);
	*keep = true;
	return 0;
}

int
dms_mappings_parse(struct dms_mappings *m, const char *json, struct err *e)
{
	cJSON *doc = json != NULL ? cJSON_Parse(json) : NULL;
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
	const cJSON *o;
	size_t i = 0;
	bool keep;

	m->v = NULL;
	m->n = 0;
	if (!cJSON_IsArray(rules)) {
		err_set(e, EXIT_RUNTIME, json == NULL ? "the task has no "
		    "TableMappings" : doc == NULL ? "the task's TableMappings is not "
		    "JSON" : "the task's TableMappings has no \"rules\" array");
		cJSON_Delete(doc);
		return -1;
	}
	m->v = xcalloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof *m->v);
	cJSON_ArrayForEach(o, rules) {
		if (!cJSON_IsObject(o)) {
			err_set(e, EXIT_RUNTIME, "the task's TableMappings: rule %zu "
			    "is not an object", i + 1);
			goto fail;
		}
		if (parse_rule(&m->v[m->n], o, i, &keep, e) != 0) {
			err_prefix(e, "the task's TableMappings: ");
			goto fail;
		}
		if (keep)
			m->n++;
		i++;
	}
	cJSON_Delete(doc);
	return 0;
fail:
	cJSON_Delete(doc);
	dms_mappings_free(m);
	return -1;
}

/* ------------------------------------------------------------- judging */

static bool
names_match(const struct dms_rule *r, const char *pat, const char *s)
{
	if (r->type == RULE_SELECTION && r->sel == SEL_EXPLICIT)
		return strcmp(pat, s) == 0;
	return dms_like(pat, s);
}

static bool
starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool
ends(const char *s, const char *p)
{
	size_t a = strlen(s), b = strlen(p);

	return a >= b && strcmp(s + a - b, p) == 0;
}

/* The name a renaming action gives name, or NULL when the action is not
 * one that renames (or lacks its value). */
static char *
renamed(const struct dms_rule *r, const char *name, bool *known)
{
	const char *a = r->action, *v = r->value, *o = r->old_value;
	char *out;
	size_t i;

	*known = true;
	if (strcmp(a, "convert-lowercase") == 0 ||
	    strcmp(a, "convert-uppercase") == 0) {
		out = xstrdup(name);
		for (i = 0; out[i] != '\0'; i++)
			if (a[8] == 'l' && out[i] >= 'A' && out[i] <= 'Z')
				out[i] = (char)(out[i] - 'A' + 'a');
			else if (a[8] == 'u' && out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
		return out;
	}
	if (strcmp(a, "rename") == 0 && v != NULL)
		return xstrdup(v);
	if (strcmp(a, "add-prefix") == 0 && v != NULL)
		return xasprintf("%s%s", v, name);
	if (strcmp(a, "add-suffix") == 0 && v != NULL)
		return xasprintf("%s%s", name, v);
	if (strcmp(a, "remove-prefix") == 0 && v != NULL)
		return xstrdup(starts(name, v) ? name + strlen(v) : name);
	if (strcmp(a, "remove-suffix") == 0 && v != NULL)
		return ends(name, v) ? xstrndup(name, strlen(name) - strlen(v)) :
		    xstrdup(name);
	if (strcmp(a, "replace-prefix") == 0 && v != NULL && o != NULL)
		return starts(name, o) ? xasprintf("%s%s", v, name + strlen(o)) :
		    xstrdup(name);
	if (strcmp(a, "replace-suffix") == 0 && v != NULL && o != NULL)
		return ends(name, o) ? xasprintf("%.*s%s",
		    (int)(strlen(name) - strlen(o)), name, v) : xstrdup(name);
	*known = false;
	return NULL;
}

/* Transformations: the verdict, or DMS_CARRIED. DMS takes one rule per
 * level; the first that matches is the one applied. */
static enum dms_verdict
judge_transformations(const struct dms_mappings *m, const char *schema,
    const char *table, char **why)
{
	const struct dms_rule *rs = NULL, *rt = NULL;
	char *ns = NULL, *nt = NULL;
	bool known = true;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct dms_rule *r = &m->v[i];
		const char *tg = r->target != NULL ? r->target : "";

		if (r->type != RULE_TRANSFORMATION || r->schema == NULL ||
		    !names_match(r, r->schema, schema))
			continue;
		if (strcmp(tg, "schema") == 0) {
			if (rs == NULL)
				rs = r;
			continue;
		}
		if (r->table == NULL || !names_match(r, r->table, table))
			continue;
		if (strcmp(tg, "table") == 0) {
			if (strcmp(r->action, "define-primary-key") != 0 &&
			    rt == NULL)
				rt = r;
		} else if (strcmp(tg, "column") == 0) {
			*why = xasprintf("its columns are changed by transformation "
			    "rule %s (%s%s%s): not compared", r->name, r->action,
			    r->column != NULL ? " on column " : "",
			    r->column != NULL ? r->column : "");
			return DMS_TRANSFORMED;
		}
	}
	if (rs != NULL && (ns = renamed(rs, schema, &known)) == NULL) {
		*why = xasprintf("transformed by rule %s (%s on schema %s): not "
		    "compared", rs->name, rs->action, schema);
		return DMS_TRANSFORMED;
	}
	if (rt != NULL && (nt = renamed(rt, table, &known)) == NULL) {
		free(ns);
		*why = xasprintf("transformed by rule %s (%s on the table): not "
		    "compared", rt->name, rt->action);
		return DMS_TRANSFORMED;
	}
	if ((ns != NULL && strcmp(ns, schema) != 0) ||
	    (nt != NULL && strcmp(nt, table) != 0)) {
		char *to = table_display(ns != NULL ? ns : schema,
		    nt != NULL ? nt : table);

		*why = xasprintf("renamed by a transformation rule (%s, %s) to %s "
		    "on the target: not compared", ns != NULL &&
		    strcmp(ns, schema) != 0 ? rs->name : rt->name,
		    ns != NULL && strcmp(ns, schema) != 0 ? rs->action : rt->action,
		    to);
		free(to);
		free(ns);
		free(nt);
		return DMS_TRANSFORMED;
	}
	free(ns);
	free(nt);
	return DMS_CARRIED;
}

enum dms_verdict
dms_mappings_judge(const struct dms_mappings *m, const char *schema,
    const char *table, char **why)
{
	const struct dms_rule *inc = NULL, *exc = NULL, *filt = NULL;
	enum dms_verdict t;
	size_t i;

	*why = NULL;
	for (i = 0; i < m->n; i++) {
		const struct dms_rule *r = &m->v[i];

		if (r->type != RULE_SELECTION || !r->tables ||
		    !names_match(r, r->schema, schema) ||
		    !names_match(r, r->table, table))
			continue;
		if (r->sel == SEL_EXCLUDE) {
			if (exc == NULL)
				exc = r;
		} else {
			if (inc == NULL)
				inc = r;
			if (r->filters != NULL && filt == NULL)
				filt = r;
		}
	}
	if (exc != NULL) {
		*why = xasprintf("not replicated (excluded by rule %s of the DMS "
		    "task's table mappings)", exc->name);
		return DMS_NOT_SELECTED;
	}
	if (inc == NULL) {
		*why = xstrdup("not replicated (not selected by the DMS task's "
		    "table mappings)");
		return DMS_NOT_SELECTED;
	}
	if ((t = judge_transformations(m, schema, table, why)) != DMS_CARRIED)
		return t;
	if (filt != NULL) {
		*why = xasprintf("partly replicated (source filter on column%s %s, "
		    "rule %s of the DMS task's table mappings): its rows cannot "
		    "all match", strchr(filt->filters, ',') != NULL ? "s" : "",
		    filt->filters, filt->name);
		return DMS_PARTLY;
	}
	return DMS_CARRIED;
}
