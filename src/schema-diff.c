/* schema-diff.c - the `schema` check; see schema-diff.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "schema-diff.h"
#include "tablepat.h"
#include "util.h"

static const char *const kind_names[SK_COUNT] = {
	"schema", "table", "column", "primary_key", "unique", "check",
	"foreign_key", "exclusion", "index", "trigger", "enum", "domain",
	"view", "materialized_view", "sequence", "function", "extension",
	"role", "grant", "large_objects", "database",
};

static const char *const problem_names[] = {
	"missing_on_target", "extra_on_target", "differs", "invalid_on_target",
	"disabled_on_target", "unpopulated_on_target", "privileges_missing",
};

const char *
schema_kind_name(enum schema_kind k)
{
	return kind_names[k];
}

const char *
schema_problem_name(enum schema_problem p)
{
	return problem_names[p];
}

/*
 * Every object of one side, as rows (kind, key, match, tschema, tname,
 * a1..a6), in no order. The session runs with search_path = pg_catalog (see
 * pg_opts.catalog_names), so every name in a definition is qualified the
 * same way on both sides. Objects that belong to an extension are the
 * extension's (compared as its version); the cutover schema is ours.
 * Partitions are left out: a partitioned table is compared at its root,
 * whatever the partitioning of the target.
 */
const char SCHEMA_SNAPSHOT_SQL[] =
    "WITH ns AS ("
    "  SELECT n.oid, n.nspname FROM pg_namespace n"
    "  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')"
    "    AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
    "    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.deptype = 'e'"
    "      AND d.classid = 'pg_namespace'::regclass AND d.objid = n.oid)),"
    " rel AS ("
    "  SELECT c.oid, c.relname, c.relkind, c.relpersistence,"
    "    c.relispopulated, n.nspname, format('%I.%I', n.nspname, c.relname)"
    "    AS qname"
    "  FROM pg_class c JOIN ns n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND NOT c.relispartition"
    "    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.deptype = 'e'"
    "      AND d.classid = 'pg_class'::regclass AND d.objid = c.oid)),"
    " roles AS ("
    "  SELECT r.oid, r.rolname FROM pg_roles r"
    "  WHERE r.rolname = ANY (string_to_array($1, ',')))"
    " SELECT * FROM ("
    /* the database: encoding and default collation */
    "  SELECT 'database' AS kind, 'database' AS key, 'database' AS match,"
    "    NULL::text AS tschema, NULL::text AS tname,"
    "    pg_encoding_to_char(d.encoding)::text AS a1, d.datcollate::text AS a2,"
    "    d.datctype::text AS a3, NULL::text AS a4, NULL::text AS a5,"
    "    NULL::text AS a6"
    "  FROM pg_database d WHERE d.datname = current_database()"
    " UNION ALL"
    "  SELECT 'schema', quote_ident(nspname), quote_ident(nspname), NULL, NULL,"
    "    NULL, NULL, NULL, NULL, NULL, NULL FROM ns"
    " UNION ALL"
    "  SELECT 'table', qname, qname, nspname, relname, relkind::text,"
    "    relpersistence::text, CASE WHEN relpersistence = 'u' THEN"
    "    pg_total_relation_size(oid)::text END, NULL, NULL, NULL"
    "  FROM rel WHERE relkind IN ('r', 'p')"
    " UNION ALL"
    "  SELECT 'column', r.qname || '.' || quote_ident(a.attname),"
    "    r.qname || '.' || quote_ident(a.attname), r.nspname, r.relname,"
    "    format_type(a.atttypid, a.atttypmod), a.attnotnull::text,"
    "    CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,"
    "    CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,"
    "    CASE WHEN a.attcollation <> t.typcollation THEN (SELECT"
    "      format('%I.%I', cn.nspname, co.collname) FROM pg_collation co"
    "      JOIN pg_namespace cn ON cn.oid = co.collnamespace"
    "      WHERE co.oid = a.attcollation) END,"
    "    NULLIF(a.attidentity::text, '')"
    "  FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0"
    "    AND NOT a.attisdropped"
    "  JOIN pg_type t ON t.oid = a.atttypid"
    "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    "  WHERE r.relkind IN ('r', 'p')"
    " UNION ALL"
    "  SELECT CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique'"
    "    WHEN 'c' THEN 'check' WHEN 'f' THEN 'foreign_key' ELSE 'exclusion' END,"
    "    r.qname || '.' || quote_ident(k.conname), r.qname || ' ' || x.def,"
    "    r.nspname, r.relname, x.def, k.convalidated::text, NULL, NULL, NULL,"
    "    NULL"
    "  FROM rel r JOIN pg_constraint k ON k.conrelid = r.oid"
    "  CROSS JOIN LATERAL (SELECT pg_get_constraintdef(k.oid) AS def) x"
    "  WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND r.relkind IN ('r', 'p')"
    " UNION ALL"
    "  SELECT 'index', r.qname || '.' || quote_ident(ic.relname),"
    "    r.qname || ' ' || x.def, r.nspname, r.relname, x.def,"
    "    (i.indisvalid AND i.indisready)::text, quote_ident(ic.relname), NULL,"
    "    NULL, NULL"
    "  FROM rel r JOIN pg_index i ON i.indrelid = r.oid"
    "  JOIN pg_class ic ON ic.oid = i.indexrelid"
    "  CROSS JOIN LATERAL (SELECT replace(replace(pg_get_indexdef(i.indexrelid),"
    "    ' INDEX ' || quote_ident(ic.relname) || ' ON ', ' INDEX ON '),"
    "    ' ON ONLY ', ' ON ') AS def) x"
    "  WHERE r.relkind IN ('r', 'p', 'm') AND NOT EXISTS (SELECT 1"
    "    FROM pg_constraint k WHERE k.conindid = i.indexrelid"
    "    AND k.conrelid = r.oid AND k.contype IN ('p', 'u', 'x'))"
    " UNION ALL"
    "  SELECT 'trigger', r.qname || '.' || quote_ident(g.tgname),"
    "    r.qname || '.' || quote_ident(g.tgname), r.nspname, r.relname,"
    "    pg_get_triggerdef(g.oid), g.tgenabled::text, NULL, NULL, NULL, NULL"
    "  FROM rel r JOIN pg_trigger g ON g.tgrelid = r.oid"
    "  WHERE NOT g.tgisinternal"
    " UNION ALL"
    "  SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'domain' END,"
    "    format('%I.%I', n.nspname, t.typname),"
    "    format('%I.%I', n.nspname, t.typname), NULL, NULL,"
    "    CASE WHEN t.typtype = 'e' THEN (SELECT json_agg(e.enumlabel ORDER BY"
    "      e.enumsortorder)::text FROM pg_enum e WHERE e.enumtypid = t.oid)"
    "      ELSE format_type(t.typbasetype, t.typtypmod) END,"
    "    CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END,"
    "    CASE WHEN t.typtype = 'd' THEN t.typdefault END,"
    "    CASE WHEN t.typtype = 'd' THEN (SELECT json_agg(pg_get_constraintdef("
    "      k.oid) ORDER BY pg_get_constraintdef(k.oid))::text FROM"
    "      pg_constraint k WHERE k.contypid = t.oid) END, NULL, NULL"
    "  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace"
    "  WHERE t.typtype IN ('e', 'd') AND NOT EXISTS (SELECT 1 FROM pg_depend d"
    "    WHERE d.deptype = 'e' AND d.classid = 'pg_type'::regclass"
    "    AND d.objid = t.oid)"
    " UNION ALL"
    "  SELECT CASE relkind WHEN 'v' THEN 'view' ELSE 'materialized_view' END,"
    "    qname, qname, nspname, relname, pg_get_viewdef(oid),"
    "    relispopulated::text, CASE WHEN relkind = 'm' THEN"
    "    pg_total_relation_size(oid)::text END, NULL, NULL, NULL"
    "  FROM rel WHERE relkind IN ('v', 'm')"
    " UNION ALL"
    "  SELECT 'sequence', r.qname, r.qname, r.nspname, r.relname,"
    "    format_type(s.seqtypid, NULL), s.seqincrement::text,"
    "    (SELECT format('%I.%I.%I', on2.nspname, oc.relname, oa.attname)"
    "      FROM pg_depend d JOIN pg_class oc ON oc.oid = d.refobjid"
    "      JOIN pg_namespace on2 ON on2.oid = oc.relnamespace"
    "      JOIN pg_attribute oa ON oa.attrelid = oc.oid"
    "        AND oa.attnum = d.refobjsubid"
    "      WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid"
    "        AND d.refclassid = 'pg_class'::regclass"
    "        AND d.deptype IN ('a', 'i') LIMIT 1), NULL, NULL, NULL"
    "  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid"
    "  WHERE r.relkind = 'S'"
    " UNION ALL"
    "  SELECT 'function', format('%I.%I(%s)', n.nspname, p.proname,"
    "    pg_get_function_identity_arguments(p.oid)),"
    "    format('%I.%I(%s)', n.nspname, p.proname,"
    "    pg_get_function_identity_arguments(p.oid)), NULL, NULL,"
    "    p.prokind::text, pg_get_function_result(p.oid), l.lanname::text,"
    "    md5(p.prosrc), p.provolatile::text || CASE WHEN p.prosecdef THEN"
    "    ', security definer' ELSE '' END, NULL"
    "  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace"
    "  JOIN pg_language l ON l.oid = p.prolang"
    "  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.deptype = 'e'"
    "    AND d.classid = 'pg_proc'::regclass AND d.objid = p.oid)"
    " UNION ALL"
    "  SELECT 'extension', quote_ident(extname), quote_ident(extname), NULL,"
    "    NULL, extversion, NULL, NULL, NULL, NULL, NULL FROM pg_extension"
    " UNION ALL"
    "  SELECT 'role', quote_ident(u.r), quote_ident(u.r), NULL, NULL, NULL,"
    "    NULL, NULL, NULL, NULL, NULL"
    "  FROM unnest(string_to_array($1, ',')) AS u(r) JOIN roles ON roles.rolname = u.r"
    " UNION ALL"
    "  SELECT 'grant', quote_ident(o.rolname) || ' on ' || r.qname,"
    "    quote_ident(o.rolname) || ' on ' || r.qname, r.nspname, r.relname,"
    "    CASE WHEN r.relkind = 'S' THEN concat_ws(',',"
    "      CASE WHEN has_sequence_privilege(o.oid, r.oid, 'USAGE')"
    "        THEN 'USAGE' END,"
    "      CASE WHEN has_sequence_privilege(o.oid, r.oid, 'SELECT')"
    "        THEN 'SELECT' END,"
    "      CASE WHEN has_sequence_privilege(o.oid, r.oid, 'UPDATE')"
    "        THEN 'UPDATE' END)"
    "    ELSE concat_ws(',',"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'SELECT')"
    "        THEN 'SELECT' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'INSERT')"
    "        THEN 'INSERT' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'UPDATE')"
    "        THEN 'UPDATE' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'DELETE')"
    "        THEN 'DELETE' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'TRUNCATE')"
    "        THEN 'TRUNCATE' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'REFERENCES')"
    "        THEN 'REFERENCES' END,"
    "      CASE WHEN has_table_privilege(o.oid, r.oid, 'TRIGGER')"
    "        THEN 'TRIGGER' END) END,"
    "    NULL, NULL, NULL, NULL, NULL"
    "  FROM rel r CROSS JOIN roles o"
    " UNION ALL"
    "  SELECT 'grant', quote_ident(o.rolname) || ' on schema '"
    "    || quote_ident(n.nspname), quote_ident(o.rolname) || ' on schema '"
    "    || quote_ident(n.nspname), NULL, NULL,"
    "    CASE WHEN has_schema_privilege(o.oid, n.oid, 'USAGE') THEN 'USAGE'"
    "    ELSE '' END, NULL, NULL, NULL, NULL, NULL"
    "  FROM ns n CROSS JOIN roles o"
    " UNION ALL"
    "  SELECT 'large_objects', 'large objects', 'large objects', NULL, NULL,"
    "    (SELECT count(*) FROM pg_largeobject_metadata)::text,"
    "    pg_relation_size('pg_catalog.pg_largeobject')::text, NULL, NULL,"
    "    NULL, NULL"
    " ) x";

static int
find_kind(const char *name)
{
	int k;

	for (k = 0; k < SK_COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

static int
cmp_obj(const void *a, const void *b)
{
	const struct schema_obj *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void
index_kinds(struct schema_snapshot *s)
{
	size_t i = 0;
	int k;

	qsort(s->objs, s->nobjs, sizeof *s->objs, cmp_obj);
	for (k = 0; k <= SK_COUNT; k++) {
		while (i < s->nobjs && (int)s->objs[i].kind < k)
			i++;
		s->first[k] = i;
	}
}

int
schema_snapshot_load(struct schema_snapshot *s, PGresult *res)
{
	int i, j, k, rows = PQntuples(res);

	memset(s, 0, sizeof *s);
	s->res = res;
	s->objs = xcalloc((size_t)rows + 1, sizeof *s->objs);
	for (i = 0; i < rows; i++) {
		struct schema_obj *o = &s->objs[s->nobjs];

		if ((k = find_kind(pgr_value(res, i, 0))) < 0)
			return -1;
		o->kind = (enum schema_kind)k;
		o->key = pgr_value(res, i, 1);
		o->match = pgr_value(res, i, 2);
		o->tschema = pgr_value(res, i, 3);
		o->tname = pgr_value(res, i, 4);
		for (j = 0; j < SCHEMA_NATTR; j++)
			o->a[j] = pgr_value(res, i, 5 + j);
		if (o->key == NULL || o->match == NULL)
			continue;
		s->nobjs++;
	}
	/* Sorted here (byte order, the kinds' order ours): cheaper than an
	 * ORDER BY over 50,000 rows on the server. */
	index_kinds(s);
	return 0;
}

void
schema_snapshot_from(struct schema_snapshot *s, const struct schema_obj *objs,
    size_t n)
{
	memset(s, 0, sizeof *s);
	s->objs = xcalloc(n + 1, sizeof *s->objs);
	if (n > 0)
		memcpy(s->objs, objs, n * sizeof *objs);
	s->nobjs = n;
	index_kinds(s);
}

void
schema_snapshot_free(struct schema_snapshot *s)
{
	free(s->objs);
	if (s->res != NULL)
		PQclear(s->res);
	memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ results */

struct diff {
	struct schema_result *out;
	schema_scope_fn scope;
	void *arg;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The table in the --table syntax: copied into a pattern, it names it. */
static char *
table_of(const struct schema_obj *o)
{
	return o->tschema != NULL && o->tname != NULL ?
	    table_pattern_quote(o->tschema, o->tname) : NULL;
}

static void PRINTF_LIKE(8, 9)
add_item(struct diff *d, const struct schema_obj *o, enum schema_problem p,
    const char *attribute, const char *src, const char *dst,
    enum check_status st, const char *fmt, ...)
{
	struct schema_result *r = d->out;
	struct schema_item *it;
	va_list ap;

	if (st == CHECK_PASS)
		return;
	r->items = xreallocarray(r->items, r->nitems + 1, sizeof *r->items);
	it = &r->items[r->nitems++];
	memset(it, 0, sizeof *it);
	it->kind = o->kind;
	it->problem = p;
	it->object = xstrdup(o->key);
	it->table = table_of(o);
	it->attribute = attribute;
	it->source = dup_or_null(src);
	it->target = dup_or_null(dst);
	it->status = st;
	{
		struct strbuf sb;

		sb_init(&sb);
		va_start(ap, fmt);
		sb_vprintf(&sb, fmt, ap);
		va_end(ap);
		it->detail = sb_detach(&sb);
	}
	if (st == CHECK_FAIL)
		r->fails++;
	else if (st == CHECK_WARN)
		r->warns++;
	r->status = check_worse(r->status, st);
}

static void
add_uncarried(struct diff *d, const char *what, const char *object,
    int64_t count, int64_t bytes, enum check_status st, const char *detail)
{
	struct schema_result *r = d->out;
	struct schema_uncarried *u;

	r->uncarried = xreallocarray(r->uncarried, r->nuncarried + 1,
	    sizeof *r->uncarried);
	u = &r->uncarried[r->nuncarried++];
	u->what = what;
	u->object = xstrdup(object);
	u->count = count;
	u->bytes = bytes;
	u->status = st;
	u->detail = xstrdup(detail);
	if (st == CHECK_FAIL)
		r->fails++;
	else if (st == CHECK_WARN)
		r->warns++;
	r->status = check_worse(r->status, st);
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *
or_none(const char *s)
{
	return s != NULL && *s != '\0' ? s : "(none)";
}

static int64_t
num(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : -1;
}

static bool
is_true(const char *s)
{
	return s != NULL && strcmp(s, "true") == 0;
}

/* Privileges in a but not in b (both comma-separated), or NULL. */
static char *
privileges_lacking(const char *a, const char *b)
{
	struct strbuf sb;
	char *copy = xstrdup(a != NULL ? a : ""), *tok, *save = NULL;

	sb_init(&sb);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		const char *p = b;
		size_t n = strlen(tok);
		bool found = false;

		while (p != NULL && (p = strstr(p, tok)) != NULL) {
			if ((p == b || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) {
				found = true;
				break;
			}
			p += n;
		}
		if (!found)
			sb_printf(&sb, "%s%s", sb.len ? ", " : "", tok);
	}
	free(copy);
	if (sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

static const char *
trigger_state(const char *e)
{
	if (e == NULL)
		return "?";
	switch (e[0]) {
	case 'O':
		return "enabled";
	case 'D':
		return "disabled";
	case 'R':
		return "enabled for replica sessions only";
	case 'A':
		return "enabled always";
	default:
		return e;
	}
}

/* Attributes of a pair that was found on both sides. */
/* Attribute i differs: "<label> X on the source, Y on the target". */
static void
attr_differs(struct diff *d, const struct schema_obj *s,
    const struct schema_obj *t, int i, const char *attribute,
    enum check_status st, const char *label)
{
	if (!same(s->a[i], t->a[i]))
		add_item(d, s, SP_DIFFERS, attribute, s->a[i], t->a[i], st,
		    "%s %s on the source, %s on the target", label,
		    or_none(s->a[i]), or_none(t->a[i]));
}

/* Attribute i differs, said in a fixed sentence. */
static void
attr_differs_say(struct diff *d, const struct schema_obj *s,
    const struct schema_obj *t, int i, const char *attribute,
    enum check_status st, const char *sentence)
{
	if (!same(s->a[i], t->a[i]))
		add_item(d, s, SP_DIFFERS, attribute, s->a[i], t->a[i], st,
		    "%s", sentence);
}

static void
compare_pair(struct diff *d, const struct schema_obj *s,
    const struct schema_obj *t)
{
	char *lack;

	switch (s->kind) {
	case SK_DATABASE:
		if (!same(s->a[0], t->a[0]))
			add_item(d, s, SP_DIFFERS, "encoding", s->a[0], t->a[0],
			    CHECK_FAIL, "the databases' encodings differ (%s on the "
			    "source, %s on the target)", or_none(s->a[0]),
			    or_none(t->a[0]));
		if (!same(s->a[1], t->a[1]) || !same(s->a[2], t->a[2]))
			add_item(d, s, SP_DIFFERS, "collation", s->a[1], t->a[1],
			    CHECK_WARN, "the databases' default collations differ "
			    "(%s on the source, %s on the target): text sorts and "
			    "compares differently after the switch",
			    or_none(s->a[1]), or_none(t->a[1]));
		break;
	case SK_TABLE:
		if (!same(s->a[1], t->a[1]) && t->a[1] != NULL &&
		    strcmp(t->a[1], "u") == 0)
			add_item(d, s, SP_DIFFERS, "persistence", "logged",
			    "unlogged", CHECK_FAIL, "unlogged on the target: its "
			    "rows would be lost in a crash after the switch");
		break;
	case SK_COLUMN:
		attr_differs(d, s, t, 0, "type", CHECK_FAIL, "type");
		if (!is_true(s->a[1]) && is_true(t->a[1]))
			add_item(d, s, SP_DIFFERS, "not_null", "nullable",
			    "not null", CHECK_FAIL, "NOT NULL on the target only: "
			    "writes the source accepts would fail");
		else if (is_true(s->a[1]) && !is_true(t->a[1]))
			add_item(d, s, SP_DIFFERS, "not_null", "not null",
			    "nullable", CHECK_WARN, "NOT NULL on the source only");
		if (s->a[2] != NULL && t->a[2] == NULL)
			add_item(d, s, SP_DIFFERS, "default", s->a[2], NULL,
			    CHECK_FAIL, "no default on the target (the source's: "
			    "%s): inserts that leave the column out would differ",
			    s->a[2]);
		else if (!same(s->a[2], t->a[2]))
			add_item(d, s, SP_DIFFERS, "default", s->a[2], t->a[2],
			    CHECK_WARN, "default %s on the source, %s on the target",
			    or_none(s->a[2]), or_none(t->a[2]));
		attr_differs(d, s, t, 3, "generated", CHECK_FAIL, "generated as");
		if (!same(s->a[4], t->a[4]))
			add_item(d, s, SP_DIFFERS, "collation", s->a[4], t->a[4],
			    CHECK_WARN, "collation %s on the source, %s on the "
			    "target: text sorts and compares differently",
			    s->a[4] != NULL ? s->a[4] : "(the type's default)",
			    t->a[4] != NULL ? t->a[4] : "(the type's default)");
		if (!same(s->a[5], t->a[5]))
			add_item(d, s, SP_DIFFERS, "identity", s->a[5], t->a[5],
			    CHECK_FAIL, "identity %s on the source, %s on the target",
			    s->a[5] == NULL ? "(none)" : s->a[5][0] == 'a' ?
			    "ALWAYS" : "BY DEFAULT", t->a[5] == NULL ? "(none)" :
			    t->a[5][0] == 'a' ? "ALWAYS" : "BY DEFAULT");
		break;
	case SK_PRIMARY_KEY:
	case SK_UNIQUE:
	case SK_CHECK:
	case SK_FOREIGN_KEY:
	case SK_EXCLUSION:
		if (is_true(s->a[1]) && !is_true(t->a[1]))
			add_item(d, s, SP_DIFFERS, "validated", "valid",
			    "not valid", CHECK_WARN, "NOT VALID on the target: "
			    "rows already there were never checked");
		break;
	case SK_INDEX:
		if (!is_true(t->a[1]))
			add_item(d, s, SP_INVALID, "valid", "valid", "invalid",
			    CHECK_FAIL, "index %s is invalid on the target (a "
			    "failed CREATE INDEX CONCURRENTLY?): rebuild it",
			    or_none(t->a[2]));
		break;
	case SK_TRIGGER:
		attr_differs_say(d, s, t, 0, "definition", CHECK_WARN,
		    "the trigger's definition differs");
		if (s->a[1] != NULL && t->a[1] != NULL && s->a[1][0] != 'D' &&
		    t->a[1][0] == 'D')
			add_item(d, s, SP_DISABLED, "enabled", trigger_state(s->a[1]),
			    trigger_state(t->a[1]), CHECK_FAIL, "disabled on the "
			    "target: it would not fire after the switch (ALTER "
			    "TABLE ... ENABLE TRIGGER)");
		else if (!same(s->a[1], t->a[1]))
			add_item(d, s, SP_DIFFERS, "enabled", trigger_state(s->a[1]),
			    trigger_state(t->a[1]), CHECK_WARN, "%s on the source, "
			    "%s on the target", trigger_state(s->a[1]),
			    trigger_state(t->a[1]));
		break;
	case SK_ENUM:
		attr_differs(d, s, t, 0, "labels", CHECK_FAIL, "labels");
		break;
	case SK_DOMAIN:
		attr_differs(d, s, t, 0, "base_type", CHECK_FAIL, "base type");
		attr_differs_say(d, s, t, 1, "not_null", CHECK_WARN,
		    "NOT NULL differs");
		attr_differs(d, s, t, 2, "default", CHECK_WARN, "default");
		attr_differs(d, s, t, 3, "constraints", CHECK_WARN, "constraints");
		break;
	case SK_VIEW:
		attr_differs_say(d, s, t, 0, "definition", CHECK_WARN,
		    "the view's definition differs");
		break;
	case SK_MATVIEW:
		attr_differs_say(d, s, t, 0, "definition", CHECK_WARN,
		    "the materialized view's definition differs");
		if (is_true(s->a[1]) && !is_true(t->a[1]))
			add_item(d, s, SP_UNPOPULATED, "populated", "populated",
			    "not populated", CHECK_FAIL, "not populated on the "
			    "target: a SELECT on it fails until it is refreshed "
			    "(sync_wait refreshes it; `cutover setup` populates it "
			    "now)");
		break;
	case SK_SEQUENCE:
		attr_differs(d, s, t, 0, "type", CHECK_FAIL, "type");
		attr_differs(d, s, t, 1, "increment", CHECK_FAIL, "increment");
		attr_differs(d, s, t, 2, "owned_by", CHECK_WARN, "owned by");
		break;
	case SK_FUNCTION:
		if (!same(s->a[0], t->a[0]))
			add_item(d, s, SP_DIFFERS, "kind", s->a[0], t->a[0],
			    CHECK_FAIL, "a %s on the source, a %s on the target",
			    s->a[0] != NULL && s->a[0][0] == 'p' ? "procedure" :
			    "function", t->a[0] != NULL && t->a[0][0] == 'p' ?
			    "procedure" : "function");
		attr_differs(d, s, t, 1, "result", CHECK_FAIL, "returns");
		attr_differs(d, s, t, 2, "language", CHECK_WARN, "language");
		if (!same(s->a[3], t->a[3]))
			add_item(d, s, SP_DIFFERS, "body", s->a[3], t->a[3],
			    CHECK_WARN, "the body differs (md5 %s on the source, %s "
			    "on the target)", or_none(s->a[3]), or_none(t->a[3]));
		attr_differs(d, s, t, 4, "volatility", CHECK_WARN,
		    "volatility or security");
		break;
	case SK_EXTENSION:
		attr_differs(d, s, t, 0, "version", CHECK_WARN, "version");
		break;
	case SK_GRANT:
		if ((lack = privileges_lacking(s->a[0], t->a[0])) != NULL) {
			add_item(d, s, SP_PRIVILEGES, "privileges", s->a[0], t->a[0],
			    CHECK_FAIL, "lacks %s on the target (it has them on the "
			    "source)", lack);
			free(lack);
		}
		break;
	default:
		break;
	}
}

/* What a missing object costs. */
static enum check_status
missing_status(const struct schema_obj *s)
{
	switch (s->kind) {
	case SK_GRANT:
		/* No grant row on the target: the role or the object is
		 * missing there, and is named as such. */
	case SK_DATABASE:
	case SK_LARGE_OBJECTS:
		return CHECK_PASS;
	default:
		return CHECK_FAIL;
	}
}

static const char *
missing_detail(const struct schema_obj *s)
{
	switch (s->kind) {
	case SK_ROLE:
		return "the application role does not exist on the target";
	case SK_EXTENSION:
		return "the extension is not installed on the target";
	default:
		return "missing on the target";
	}
}

/* An object on the target only. */
static void
extra(struct diff *d, const struct schema_obj *t)
{
	switch (t->kind) {
	case SK_COLUMN:
		if (is_true(t->a[1]) && t->a[2] == NULL && t->a[3] == NULL &&
		    t->a[5] == NULL)
			add_item(d, t, SP_EXTRA, NULL, NULL, t->a[0], CHECK_FAIL,
			    "only on the target, NOT NULL without a default: the "
			    "application's inserts would fail");
		else
			add_item(d, t, SP_EXTRA, NULL, NULL, t->a[0], CHECK_WARN,
			    "only on the target");
		break;
	case SK_PRIMARY_KEY:
	case SK_UNIQUE:
	case SK_CHECK:
	case SK_FOREIGN_KEY:
	case SK_EXCLUSION:
		add_item(d, t, SP_EXTRA, NULL, NULL, t->a[0], CHECK_WARN,
		    "only on the target: it may refuse writes the source "
		    "accepts");
		break;
	case SK_INDEX:
		if (t->a[0] != NULL && strncmp(t->a[0], "CREATE UNIQUE", 13) == 0)
			add_item(d, t, SP_EXTRA, NULL, NULL, t->a[0], CHECK_WARN,
			    "unique index only on the target: it may refuse writes "
			    "the source accepts");
		break;
	case SK_TRIGGER:
		add_item(d, t, SP_EXTRA, NULL, NULL, t->a[0], CHECK_WARN,
		    "trigger only on the target: it fires on the application's "
		    "writes after the switch");
		break;
	default:
		break;
	}
}

static bool
matched_by_definition(enum schema_kind k)
{
	return k == SK_PRIMARY_KEY || k == SK_UNIQUE || k == SK_CHECK ||
	    k == SK_FOREIGN_KEY || k == SK_EXCLUSION || k == SK_INDEX;
}

static int
cmp_match(const void *a, const void *b)
{
	const struct schema_obj *x = *(const struct schema_obj *const *)a;
	const struct schema_obj *y = *(const struct schema_obj *const *)b;

	return strcmp(x->match, y->match);
}

static enum schema_scope
scope_of(struct diff *d, const struct schema_obj *o)
{
	if (d->scope == NULL)
		return SCOPE_IN;
	return d->scope(o->tschema, o->tname, d->arg);
}

/* Things replication does not carry, from the source's rows. */
static void
uncarried(struct diff *d, const struct schema_obj *s, const struct schema_obj *t)
{
	char buf[512];

	if (s->kind == SK_LARGE_OBJECTS) {
		int64_t ns = num(s->a[0]), nt = t != NULL ? num(t->a[0]) : 0;

		if (ns <= 0)
			return;
		if (nt < ns)
			snprintf(buf, sizeof buf, "%lld large objects on the source, "
			    "%lld on the target: neither logical replication nor "
			    "DMS copies them (see cutover(1), NOT REPLICATED)",
			    (long long)ns, (long long)nt);
		else
			snprintf(buf, sizeof buf, "%lld large objects on both sides; "
			    "replication does not carry them and their contents are "
			    "not compared", (long long)ns);
		add_uncarried(d, "large_objects", "large objects", ns, num(s->a[1]),
		    nt < ns ? CHECK_FAIL : CHECK_WARN, buf);
	} else if (s->kind == SK_TABLE && s->a[1] != NULL &&
	    strcmp(s->a[1], "u") == 0) {
		add_uncarried(d, "unlogged_table", s->key, -1, num(s->a[2]),
		    CHECK_WARN, "unlogged: its changes are not in the WAL, so "
		    "replication does not carry them (exclude it, or make it "
		    "logged: ALTER TABLE ... SET LOGGED)");
	} else if (s->kind == SK_MATVIEW && is_true(s->a[1])) {
		add_uncarried(d, "materialized_view", s->key, -1, num(s->a[2]),
		    CHECK_PASS, "its contents are not replicated: sync_wait "
		    "refreshes it on the target before the fence");
	}
}

static void
diff_kind(struct diff *d, const struct schema_snapshot *src,
    const struct schema_snapshot *dst, enum schema_kind k)
{
	const struct schema_obj *S = src->objs + src->first[k];
	const struct schema_obj *D = dst->objs + dst->first[k];
	size_t ns = src->first[k + 1] - src->first[k];
	size_t nd = dst->first[k + 1] - dst->first[k];
	const struct schema_obj **bymatch = NULL;
	bool *paired = xcalloc(nd + 1, sizeof *paired);
	struct schema_obj key;
	size_t i;

	if (matched_by_definition(k)) {
		bymatch = xcalloc(nd + 1, sizeof *bymatch);
		for (i = 0; i < nd; i++)
			bymatch[i] = &D[i];
		qsort(bymatch, nd, sizeof *bymatch, cmp_match);
	}
	for (i = 0; i < ns; i++) {
		const struct schema_obj *s = &S[i], *t = NULL, **hit;
		enum schema_scope sc = scope_of(d, s);

		if (sc == SCOPE_OUT)
			continue;
		if (sc == SCOPE_EXCLUDED) {
			d->out->excluded++;
			continue;
		}
		d->out->compared++;
		key = *s;
		if (bymatch != NULL) {
			const struct schema_obj *kp = &key;

			hit = bsearch(&kp, bymatch, nd, sizeof *bymatch, cmp_match);
			t = hit != NULL ? *hit : NULL;
		} else {
			t = bsearch(&key, D, nd, sizeof *D, cmp_obj);
		}
		uncarried(d, s, t);
		if (t != NULL) {
			paired[t - D] = true;
			compare_pair(d, s, t);
			continue;
		}
		if (bymatch != NULL) {
			/* Another definition under the same name? */
			t = bsearch(&key, D, nd, sizeof *D, cmp_obj);
			if (t != NULL && !paired[t - D]) {
				paired[t - D] = true;
				add_item(d, s, SP_DIFFERS, "definition", s->a[0], t->a[0],
				    k == SK_PRIMARY_KEY || k == SK_UNIQUE ? CHECK_FAIL :
				    CHECK_WARN, "%s on the source, %s on the target",
				    or_none(s->a[0]), or_none(t->a[0]));
				continue;
			}
		}
		add_item(d, s, SP_MISSING, NULL, s->a[0], NULL, missing_status(s),
		    "%s", missing_detail(s));
	}
	for (i = 0; i < nd; i++) {
		enum schema_scope sc;

		if (paired[i])
			continue;
		sc = scope_of(d, &D[i]);
		if (sc == SCOPE_IN)
			extra(d, &D[i]);
	}
	free(bymatch);
	free(paired);
}

void
schema_diff(const struct schema_snapshot *src, const struct schema_snapshot *dst,
    schema_scope_fn scope, void *arg, struct schema_result *out)
{
	struct diff d = { out, scope, arg };
	int k;

	memset(out, 0, sizeof *out);
	out->status = CHECK_PASS;
	for (k = 0; k < SK_COUNT; k++)
		diff_kind(&d, src, dst, (enum schema_kind)k);
}

void
schema_result_free(struct schema_result *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].object);
		free(r->items[i].table);
		free(r->items[i].source);
		free(r->items[i].target);
		free(r->items[i].detail);
	}
	for (i = 0; i < r->nuncarried; i++) {
		free(r->uncarried[i].object);
		free(r->uncarried[i].detail);
	}
	free(r->items);
	free(r->uncarried);
	memset(r, 0, sizeof *r);
}
