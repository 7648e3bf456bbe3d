/* test-validation.c - the pure parts of validation: SCHEMA.TABLE
 * patterns, the catalog's partition folding, the schema check's rules,
 * and multi-line messages. The databases' side is in
 * tests/integration/validate-coverage.sh. */
#include "unit.h"

#include <stdio.h>

#include <libpq-fe.h>

#include "catalog.h"
#include "schema-diff.h"
#include "tablepat.h"
#include "util.h"

/* ------------------------------------------------------------ patterns */

static bool
matches(const char *pattern, const char *schema, const char *name)
{
	struct table_pattern p;
	char why[256];
	bool m;

	if (table_pattern_parse(&p, pattern, why, sizeof why) != 0)
		fail_msg("pattern %s: %s", pattern, why);
	m = table_pattern_match(&p, schema, name);
	table_pattern_free(&p);
	return m;
}

static void
expect_bad(const char *pattern, const char *want)
{
	struct table_pattern p;
	char why[256];

	assert_int_equal(table_pattern_parse(&p, pattern, why, sizeof why), -1);
	if (strstr(why, want) == NULL)
		fail_msg("pattern %s: \"%s\" lacks \"%s\"", pattern, why, want);
}

static void
test_patterns(void **state)
{
	(void)state;
	assert_true(matches("public.accounts", "public", "accounts"));
	/* Unquoted names fold to lower case, as in SQL; quoted ones not. */
	assert_true(matches("Public.Accounts", "public", "accounts"));
	assert_false(matches("Public.Accounts", "Public", "Accounts"));
	assert_true(matches("\"Public\".\"Accounts\"", "Public", "Accounts"));
	/* Dots, quotes, spaces and wildcards inside quotes are literal. */
	assert_true(matches("\"My Schema\".\"We\"\"ird Table\"", "My Schema",
	    "We\"ird Table"));
	assert_true(matches("public.\"a.b\"", "public", "a.b"));
	assert_false(matches("public.\"a.b\"", "public.a", "b"));
	assert_true(matches("public.\"x*\"", "public", "x*"));
	assert_false(matches("public.\"x*\"", "public", "xy"));
	/* Wildcards. */
	assert_true(matches("public.audit_*", "public", "audit_2024"));
	assert_true(matches("public.audit_*", "public", "audit_"));
	assert_false(matches("public.audit_*", "public", "audits"));
	assert_true(matches("*.events", "sales", "events"));
	assert_true(matches("*.*", "a", "b"));
	assert_true(matches("public.t?", "public", "t1"));
	assert_false(matches("public.t?", "public", "t12"));
	/* ? is one character, not one byte. */
	assert_true(matches("public.tabl?", "public", "tablé"));
	assert_true(matches("public.*_log", "public", "a_log_b_log"));
	assert_false(matches("public.*_log", "public", "a_log_b"));
	/* Mixed: quoted part beside a wildcard. */
	assert_true(matches("\"Sales\".order*", "Sales", "orders_2024"));
	expect_bad("accounts", "expected SCHEMA.TABLE");
	expect_bad("a.b.c", "more than one dot");
	expect_bad("\"open.x", "unterminated double quote");
	expect_bad(".x", "empty schema");
	expect_bad("public.", "empty table");
}

static void
test_pattern_lists(void **state)
{
	char **items, why[256];
	int n, i;

	(void)state;
	n = table_pattern_split(" a.b , \"x,y\".z,, c.\"d,e\" ", &items, why,
	    sizeof why);
	assert_int_equal(n, 3);
	assert_string_equal(items[0], "a.b");
	assert_string_equal(items[1], "\"x,y\".z");
	assert_string_equal(items[2], "c.\"d,e\"");
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	assert_int_equal(table_pattern_split("a.\"b", &items, why, sizeof why),
	    -1);
	assert_null(items);
	/* Quoting for messages: only what needs it. */
	{
		char *q = table_pattern_quote("public", "accounts");

		assert_string_equal(q, "public.accounts");
		free(q);
		q = table_pattern_quote("My Schema", "We\"ird");
		assert_string_equal(q, "\"My Schema\".\"We\"\"ird\"");
		free(q);
		q = table_pattern_quote("Sales", "orders");
		assert_string_equal(q, "\"Sales\".orders");
		free(q);
	}
}

/* ------------------------------------------------------------- catalog */

/* A PGresult with the columns of CATALOG_TABLES_SQL. */
static PGresult *
tables_result(const char *const rows[][10], int n)
{
	PGresAttDesc att[10];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int i, j;

	memset(att, 0, sizeof att);
	for (j = 0; j < 10; j++) {
		att[j].name = (char *)(uintptr_t)"c";
		att[j].typid = 25;
		att[j].typlen = -1;
		att[j].atttypmod = -1;
	}
	assert_true(PQsetResultAttrs(res, 10, att));
	for (i = 0; i < n; i++)
		for (j = 0; j < 10; j++)
			assert_true(PQsetvalue(res, i, j, (char *)(uintptr_t)rows[i][j],
			    rows[i][j] != NULL ? (int)strlen(rows[i][j]) : -1));
	return res;
}

static void
test_catalog_partitions(void **state)
{
	static const char *const rows[][10] = {
		{ "public", "events", "-1", "d", "[[\"id\", \"bigint\", false], "
		  "[\"at\", \"date\", false]]", "[\"id\", \"at\"]", "p", "p", NULL,
		  NULL },
		{ "public", "events_2024", "0", "d", NULL, "[\"id\", \"at\"]", "p",
		  "p", "public", "events" },
		{ "public", "events_2024_q1", "100", "d", NULL, "[\"id\", \"at\"]",
		  "r", "p", "public", "events" },
		{ "public", "events_2024_q2", "250", "d", NULL, "[\"id\", \"at\"]",
		  "r", "u", "public", "events" },
		{ "public", "events_default", "7", "d", NULL, "[\"id\", \"at\"]",
		  "r", "p", "public", "events" },
		{ "public", "empty_parent", "-1", "d", NULL, "[\"id\"]", "p", "p",
		  NULL, NULL },
		{ "Sales", "Orders", "42", "d", "[[\"code\", \"text\", true]]",
		  "[\"code\"]", "r", "u", NULL, NULL },
	};
	PGresult *res = tables_result(rows, 7);
	struct catalog cat;
	struct err e = { 0, "" };
	const struct table_info *t;
	const struct part_info *p;

	(void)state;
	memset(&cat, 0, sizeof cat);
	assert_int_equal(catalog_load_tables(&cat, res, &e), 0);
	/* The partitioned table is one table; its partitions stand apart. */
	assert_int_equal(cat.ntables, 3);
	assert_int_equal(cat.nparts, 4);
	t = catalog_find(&cat, "public", "events");
	assert_non_null(t);
	assert_int_equal(t->relkind, 'p');
	assert_int_equal(t->nleaves, 3);
	/* The estimate is the sum over the leaves, never the parent's 0. */
	assert_int_equal(t->est_rows, 357);
	assert_int_equal(t->npk, 2);
	assert_false(t->pk_collatable[0]);
	assert_int_equal(catalog_find(&cat, "public", "empty_parent")->est_rows, 0);
	/* A leaf, at any level, leads to the root. */
	assert_ptr_equal(catalog_owner(&cat, "public", "events_2024_q2"), t);
	assert_ptr_equal(catalog_owner(&cat, "public", "events_2024"), t);
	assert_ptr_equal(catalog_owner(&cat, "public", "events"), t);
	assert_null(catalog_owner(&cat, "public", "nothing"));
	p = catalog_find_part(&cat, "public", "events_2024_q2");
	assert_true(p->leaf && p->unlogged);
	assert_false(catalog_find_part(&cat, "public", "events_2024")->leaf);
	t = catalog_find(&cat, "Sales", "Orders");
	assert_true(t->unlogged && t->pk_collatable[0] && !t->int_key);
	catalog_free(&cat);
	PQclear(res);
}

/* --------------------------------------------------------------- schema */

#define OBJ(k, key, t, a0, a1, a2, a3, a4, a5) \
	{ k, key, key, "public", t, { a0, a1, a2, a3, a4, a5 } }
#define GOBJ(k, key, a0, a1, a2, a3, a4) \
	{ k, key, key, NULL, NULL, { a0, a1, a2, a3, a4, NULL } }

/* Runs the diff and returns the status and detail of the item about
 * object (and attribute, when given), or CHECK_PASS when none. */
static enum check_status
item_status(const struct schema_obj *src, size_t ns,
    const struct schema_obj *dst, size_t nd, const char *object,
    const char *attribute, char *detail, size_t len)
{
	struct schema_snapshot a, b;
	struct schema_result r;
	enum check_status s = CHECK_PASS;
	size_t i;

	schema_snapshot_from(&a, src, ns);
	schema_snapshot_from(&b, dst, nd);
	schema_diff(&a, &b, NULL, NULL, &r);
	if (detail != NULL)
		detail[0] = '\0';
	for (i = 0; i < r.nitems; i++) {
		const struct schema_item *it = &r.items[i];

		if (strcmp(it->object, object) != 0 || (attribute != NULL &&
		    (it->attribute == NULL || strcmp(it->attribute, attribute) != 0)))
			continue;
		s = it->status;
		if (detail != NULL)
			snprintf(detail, len, "%s", it->detail);
		break;
	}
	schema_result_free(&r);
	schema_snapshot_free(&a);
	schema_snapshot_free(&b);
	return s;
}

/* One object on the source, another (or none) on the target. */
static enum check_status
one(struct schema_obj s, const struct schema_obj *t, const char *attribute)
{
	return item_status(&s, 1, t, t != NULL ? 1 : 0, s.key, attribute, NULL, 0);
}

static void
test_schema_rules(void **state)
{
	struct schema_obj col = OBJ(SK_COLUMN, "public.t.c", "t", "integer",
	    "true", "0", NULL, NULL, NULL), c2;
	struct schema_obj tab = OBJ(SK_TABLE, "public.t", "t", "r", "p", NULL,
	    NULL, NULL, NULL), t2;
	char detail[512];

	(void)state;
	/* Missing objects fail, whatever their kind. */
	assert_int_equal(one(tab, NULL, NULL), CHECK_FAIL);
	assert_int_equal(one(col, NULL, NULL), CHECK_FAIL);
	/* The same object on both sides: nothing to say. */
	assert_int_equal(one(col, &col, NULL), CHECK_PASS);
	/* Partitioned on one side, plain on the other: allowed. */
	t2 = tab;
	t2.a[0] = "p";
	assert_int_equal(one(tab, &t2, NULL), CHECK_PASS);
	t2.a[0] = "r";
	t2.a[1] = "u";
	assert_int_equal(one(tab, &t2, "persistence"), CHECK_FAIL);
	/* Columns: type, NOT NULL both ways, default, generated, collation,
	 * identity. */
	c2 = col;
	c2.a[0] = "bigint";
	assert_int_equal(item_status(&col, 1, &c2, 1, "public.t.c", "type",
	    detail, sizeof detail), CHECK_FAIL);
	assert_string_equal(detail, "type integer on the source, bigint on the "
	    "target");
	c2 = col;
	c2.a[1] = "false";
	assert_int_equal(one(col, &c2, "not_null"), CHECK_WARN);
	assert_int_equal(one(c2, &col, "not_null"), CHECK_FAIL);
	c2 = col;
	c2.a[2] = NULL;
	assert_int_equal(one(col, &c2, "default"), CHECK_FAIL);
	c2.a[2] = "1";
	assert_int_equal(one(col, &c2, "default"), CHECK_WARN);
	c2 = col;
	c2.a[3] = "(a * 2)";
	assert_int_equal(one(col, &c2, "generated"), CHECK_FAIL);
	c2 = col;
	c2.a[4] = "pg_catalog.\"C\"";
	assert_int_equal(one(col, &c2, "collation"), CHECK_WARN);
	c2 = col;
	c2.a[5] = "a";
	assert_int_equal(one(c2, &col, "identity"), CHECK_FAIL);
	/* A column only on the target: NOT NULL without a default fails. */
	{
		struct schema_obj extra = OBJ(SK_COLUMN, "public.t.x", "t", "text",
		    "true", NULL, NULL, NULL, NULL);

		assert_int_equal(item_status(&col, 1, (struct schema_obj[]){ col,
		    extra }, 2, "public.t.x", NULL, NULL, 0), CHECK_FAIL);
		extra.a[1] = "false";
		assert_int_equal(item_status(&col, 1, (struct schema_obj[]){ col,
		    extra }, 2, "public.t.x", NULL, NULL, 0), CHECK_WARN);
	}
}

static void
test_schema_definitions(void **state)
{
	/* Constraints and indexes pair by definition, not by name. */
	struct schema_obj pk = { SK_PRIMARY_KEY, "public.t.t_pkey",
		"public.t PRIMARY KEY (id)", "public", "t",
		{ "PRIMARY KEY (id)", "true", NULL, NULL, NULL, NULL } };
	struct schema_obj pk_renamed = pk, pk_other = pk, fk, fk2, ix, ix2, tg, tg2;

	(void)state;
	pk_renamed.key = "public.t.t_pk";
	assert_int_equal(one(pk, &pk_renamed, NULL), CHECK_PASS);
	pk_other.match = "public.t PRIMARY KEY (id, at)";
	pk_other.a[0] = "PRIMARY KEY (id, at)";
	assert_int_equal(one(pk, &pk_other, "definition"), CHECK_FAIL);
	fk = pk;
	fk.kind = SK_FOREIGN_KEY;
	fk.key = "public.t.t_fk";
	fk.match = "public.t FOREIGN KEY (a) REFERENCES public.u(id)";
	fk.a[0] = "FOREIGN KEY (a) REFERENCES public.u(id)";
	assert_int_equal(one(fk, NULL, NULL), CHECK_FAIL);
	fk2 = fk;
	fk2.match = "public.t FOREIGN KEY (a) REFERENCES public.u(id) ON DELETE "
	    "CASCADE";
	assert_int_equal(one(fk, &fk2, "definition"), CHECK_WARN);
	fk2 = fk;
	fk2.a[1] = "false";
	assert_int_equal(one(fk, &fk2, "validated"), CHECK_WARN);
	/* Indexes: missing fails, invalid fails, another definition under
	 * the same name warns, an extra unique one warns. */
	ix = (struct schema_obj){ SK_INDEX, "public.t.t_at",
		"public.t CREATE INDEX ON public.t USING btree (at)", "public", "t",
		{ "CREATE INDEX ON public.t USING btree (at)", "true", "t_at", NULL,
		  NULL, NULL } };
	assert_int_equal(one(ix, NULL, NULL), CHECK_FAIL);
	ix2 = ix;
	ix2.a[1] = "false";
	assert_int_equal(one(ix, &ix2, "valid"), CHECK_FAIL);
	ix2 = ix;
	ix2.match = "public.t CREATE INDEX ON public.t USING hash (at)";
	assert_int_equal(one(ix, &ix2, "definition"), CHECK_WARN);
	ix2 = ix;
	ix2.key = "public.t.u";
	ix2.match = "public.t CREATE UNIQUE INDEX ON public.t USING btree (x)";
	ix2.a[0] = "CREATE UNIQUE INDEX ON public.t USING btree (x)";
	assert_int_equal(item_status(&ix, 1, (struct schema_obj[]){ ix, ix2 }, 2,
	    "public.t.u", NULL, NULL, 0), CHECK_WARN);
	/* Triggers: disabled on the target fails; another definition warns. */
	tg = (struct schema_obj)OBJ(SK_TRIGGER, "public.t.audit", "t",
	    "CREATE TRIGGER audit ...", "O", NULL, NULL, NULL, NULL);
	tg2 = tg;
	tg2.a[1] = "D";
	assert_int_equal(one(tg, &tg2, "enabled"), CHECK_FAIL);
	tg2.a[1] = "A";
	assert_int_equal(one(tg, &tg2, "enabled"), CHECK_WARN);
	tg2 = tg;
	tg2.a[0] = "CREATE TRIGGER audit ... other";
	assert_int_equal(one(tg, &tg2, "definition"), CHECK_WARN);
	assert_int_equal(one(tg, NULL, NULL), CHECK_FAIL);
}

static void
test_schema_types_and_code(void **state)
{
	struct schema_obj en = GOBJ(SK_ENUM, "public.mood", "[\"sad\", \"ok\"]",
	    NULL, NULL, NULL, NULL), en2 = en;
	struct schema_obj dom = GOBJ(SK_DOMAIN, "public.cents", "bigint", "false",
	    NULL, "[\"CHECK ((VALUE >= 0))\"]", NULL), dom2 = dom;
	struct schema_obj mv = OBJ(SK_MATVIEW, "public.totals", "totals",
	    " SELECT 1", "true", "8192", NULL, NULL, NULL), mv2 = mv;
	struct schema_obj seq = OBJ(SK_SEQUENCE, "public.s", "s", "bigint", "1",
	    "public.t.id", NULL, NULL, NULL), seq2 = seq;
	struct schema_obj fn = GOBJ(SK_FUNCTION, "public.f(integer)", "f",
	    "integer", "plpgsql", "abc", "v"), fn2 = fn;
	struct schema_obj ext = GOBJ(SK_EXTENSION, "pgcrypto", "1.3", NULL,
	    NULL, NULL, NULL), ext2 = ext;
	struct schema_obj gr = { SK_GRANT, "app_rw on public.t",
		"app_rw on public.t", "public", "t",
		{ "SELECT,INSERT,UPDATE,DELETE", NULL, NULL, NULL, NULL, NULL } },
	    gr2 = gr;
	struct schema_obj view = OBJ(SK_VIEW, "public.v", "v", " SELECT 1",
	    NULL, NULL, NULL, NULL, NULL), view2 = view;
	char detail[512];

	(void)state;
	en2.a[0] = "[\"ok\", \"sad\"]";
	assert_int_equal(one(en, &en2, "labels"), CHECK_FAIL);
	assert_int_equal(one(en, NULL, NULL), CHECK_FAIL);
	dom2.a[3] = NULL;
	assert_int_equal(one(dom, &dom2, "constraints"), CHECK_WARN);
	dom2 = dom;
	dom2.a[0] = "integer";
	assert_int_equal(one(dom, &dom2, "base_type"), CHECK_FAIL);
	mv2.a[1] = "false";
	assert_int_equal(one(mv, &mv2, "populated"), CHECK_FAIL);
	/* Unpopulated on both sides: the application cannot use it either. */
	mv.a[1] = "false";
	assert_int_equal(one(mv, &mv2, "populated"), CHECK_PASS);
	view2.a[0] = " SELECT 2";
	assert_int_equal(one(view, &view2, "definition"), CHECK_WARN);
	assert_int_equal(one(view, NULL, NULL), CHECK_FAIL);
	seq2.a[1] = "10";
	assert_int_equal(one(seq, &seq2, "increment"), CHECK_FAIL);
	seq2 = seq;
	seq2.a[0] = "integer";
	assert_int_equal(one(seq, &seq2, "type"), CHECK_FAIL);
	seq2 = seq;
	seq2.a[2] = NULL;
	assert_int_equal(one(seq, &seq2, "owned_by"), CHECK_WARN);
	fn2.a[3] = "abd";
	assert_int_equal(one(fn, &fn2, "body"), CHECK_WARN);
	fn2 = fn;
	fn2.a[1] = "bigint";
	assert_int_equal(one(fn, &fn2, "result"), CHECK_FAIL);
	assert_int_equal(one(fn, NULL, NULL), CHECK_FAIL);
	ext2.a[0] = "1.2";
	assert_int_equal(one(ext, &ext2, "version"), CHECK_WARN);
	assert_int_equal(one(ext, NULL, NULL), CHECK_FAIL);
	/* Grants: what the role may do on the source, it must on the target. */
	gr2.a[0] = "SELECT,UPDATE";
	assert_int_equal(item_status(&gr, 1, &gr2, 1, gr.key, "privileges",
	    detail, sizeof detail), CHECK_FAIL);
	assert_string_equal(detail, "lacks INSERT, DELETE on the target (it has "
	    "them on the source)");
	gr2.a[0] = "SELECT,INSERT,UPDATE,DELETE,TRUNCATE";
	assert_int_equal(one(gr, &gr2, "privileges"), CHECK_PASS);
	/* A role with nothing on the source lacks nothing. */
	gr.a[0] = "";
	gr2.a[0] = "";
	assert_int_equal(one(gr, &gr2, "privileges"), CHECK_PASS);
}

static enum schema_scope
scope_excluding_t(const char *tschema, const char *tname, void *arg)
{
	(void)arg;
	if (tschema == NULL)
		return SCOPE_IN;
	return strcmp(tname, "t") == 0 ? SCOPE_EXCLUDED : SCOPE_IN;
}

static void
test_schema_scope_and_uncarried(void **state)
{
	struct schema_obj src[] = {
		OBJ(SK_TABLE, "public.t", "t", "r", "u", "16384", NULL, NULL, NULL),
		OBJ(SK_TABLE, "public.u", "u", "r", "u", "8192", NULL, NULL, NULL),
		OBJ(SK_COLUMN, "public.t.a", "t", "int", "false", NULL, NULL,
		    NULL, NULL),
		GOBJ(SK_LARGE_OBJECTS, "large objects", "3", "24576", NULL, NULL,
		    NULL),
	};
	struct schema_obj dst[] = {
		OBJ(SK_TABLE, "public.u", "u", "r", "p", NULL, NULL, NULL, NULL),
		GOBJ(SK_LARGE_OBJECTS, "large objects", "0", "0", NULL, NULL, NULL),
	};
	struct schema_snapshot a, b;
	struct schema_result r;
	size_t i;
	bool lo = false, unlogged_u = false;

	(void)state;
	schema_snapshot_from(&a, src, ARRAY_SIZE(src));
	schema_snapshot_from(&b, dst, ARRAY_SIZE(dst));
	schema_diff(&a, &b, scope_excluding_t, NULL, &r);
	/* public.t and its column are excluded: not named, but counted. */
	assert_int_equal(r.excluded, 2);
	assert_int_equal(r.compared, 2);
	for (i = 0; i < r.nitems; i++)
		assert_string_not_equal(r.items[i].object, "public.t");
	for (i = 0; i < r.nuncarried; i++) {
		const struct schema_uncarried *u = &r.uncarried[i];

		if (strcmp(u->what, "large_objects") == 0) {
			lo = true;
			assert_int_equal(u->count, 3);
			assert_int_equal(u->bytes, 24576);
			assert_int_equal(u->status, CHECK_FAIL);
		} else if (strcmp(u->object, "public.u") == 0) {
			unlogged_u = true;
			assert_int_equal(u->bytes, 8192);
			assert_int_equal(u->status, CHECK_WARN);
		}
	}
	assert_true(lo && unlogged_u);
	assert_int_equal(r.status, CHECK_FAIL);
	schema_result_free(&r);
	schema_snapshot_free(&a);
	schema_snapshot_free(&b);
}

/* ------------------------------------------------------------ messages */

static void
test_multiline_messages(void **state)
{
	struct strbuf sb;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	sb_init(&sb);
	{
		const char *m = "ERROR:  bad\nDETAIL:\tx\x1b[31m\n";

		utf8_sanitize_lines(&sb, m, strlen(m));
	}
	assert_string_equal(sb.buf, "ERROR:  bad\nDETAIL:\tx?[31m\n");
	sb_free(&sb);
	sb_init(&sb);
	utf8_sanitize(&sb, "a\nb", 3);
	assert_string_equal(sb.buf, "a?b");
	sb_free(&sb);
	f = open_memstream(&buf, &len);
	print_lines(f, "connection failed: refused\n\tIs the server running?\n"
	    "LINE 1: SELECT x\n               ^", "  ");
	fclose(f);
	/* A tab gives way to the indent; spaces keep the caret in place. */
	assert_string_equal(buf, "connection failed: refused\n  Is the server "
	    "running?\n  LINE 1: SELECT x\n                 ^");
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_pattern_lists),
		cmocka_unit_test(test_catalog_partitions),
		cmocka_unit_test(test_schema_rules),
		cmocka_unit_test(test_schema_definitions),
		cmocka_unit_test(test_schema_types_and_code),
		cmocka_unit_test(test_schema_scope_and_uncarried),
		cmocka_unit_test(test_multiline_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
