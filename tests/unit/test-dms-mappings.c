/* test-dms-mappings - a DMS task's table mappings judged as DMS applies
 * them: wildcards, include / exclude / explicit, filters, renames. */
#include "unit.h"

#include "dms-mappings.h"
#include "util.h"

static void
test_like(void **state)
{
	static const struct {
		const char *pat, *s;
		bool match;
	} cases[] = {
		{ "%", "", true },
		{ "%", "accounts", true },
		{ "accounts", "accounts", true },
		{ "accounts", "Accounts", false },       /* case-sensitive */
		{ "Accounts", "accounts", false },
		{ "acc%", "accounts", true },
		{ "acc%", "ac", false },
		{ "%s", "accounts", true },
		{ "%cc%n%", "accounts", true },
		{ "%x%", "accounts", false },
		{ "a%s", "as", true },
		{ "_", "a", true },
		{ "_", "", false },
		{ "_", "ab", false },
		{ "acc_unts", "accounts", true },
		{ "acc_unts", "acc_unts", true },
		{ "order_items", "orderXitems", true },   /* _ is a wildcard */
		{ "order[_]items", "orderXitems", false },/* [_] is not */
		{ "order[_]items", "order_items", true },
		{ "100[%]", "100%", true },
		{ "100[%]", "1000", false },
		{ "t[ab]", "ta", true },
		{ "t[ab]", "tb", true },
		{ "t[ab]", "tc", false },
		{ "t[a-d]", "tc", true },
		{ "t[a-d]", "te", false },
		{ "t[a-]", "t-", true },
		{ "t[]]", "t]", true },
		{ "t[", "t[", true },                     /* no set: a character */
		{ "t[x", "t[x", true },
		{ "t[]", "t[]", true },
		{ "ü_", "üx", true },                     /* _ is a character */
		{ "_", "ü", true },
		{ "__", "ü", false },
		{ "[ä-ö]", "ö", true },
		{ "%_", "", false },
		{ "%a%a%a%a%a%a%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (dms_like(cases[i].pat, cases[i].s) != cases[i].match)
			fail_msg("\"%s\" on \"%s\": expected %s", cases[i].pat,
			    cases[i].s, cases[i].match ? "a match" : "no match");
}

static enum dms_verdict
judge(const char *json, const char *schema, const char *table, char **why)
{
	struct dms_mappings m;
	struct err e = { 0, "" };
	enum dms_verdict v;

	if (dms_mappings_parse(&m, json, &e) != 0)
		fail_msg("parse: %s", e.msg);
	v = dms_mappings_judge(&m, schema, table, why);
	dms_mappings_free(&m);
	return v;
}

#define SEL(id, action, schema, table) \
	"{\"rule-type\":\"selection\",\"rule-id\":\"" id "\",\"rule-name\":\"" id \
	"\",\"object-locator\":{\"schema-name\":\"" schema "\",\"table-name\":\"" \
	table "\"},\"rule-action\":\"" action "\"}"

static void
expect(const char *json, const char *schema, const char *table,
    enum dms_verdict want, const char *why_has)
{
	char *why = NULL;
	enum dms_verdict v = judge(json, schema, table, &why);

	if (v != want)
		fail_msg("%s.%s: verdict %d, expected %d (%s) in %s", schema, table,
		    (int)v, (int)want, why ? why : "-", json);
	if (why_has == NULL && why != NULL)
		fail_msg("%s.%s: unexpected reason %s", schema, table, why);
	if (why_has != NULL && (why == NULL || strstr(why, why_has) == NULL))
		fail_msg("%s.%s: reason \"%s\" lacks \"%s\"", schema, table,
		    why ? why : "(none)", why_has);
	free(why);
}

static void
test_selection(void **state)
{
	const char *all = "{\"rules\":[" SEL("1", "include", "%", "%") "]}";
	const char *but = "{\"rules\":[" SEL("1", "include", "public", "%") ","
	    SEL("2", "exclude", "public", "audit[_]%") "]}";
	/* Exclude wins whatever the order. */
	const char *first = "{\"rules\":[" SEL("9", "exclude", "public", "big")
	    "," SEL("1", "include", "%", "%") "]}";
	const char *expl = "{\"rules\":[" SEL("1", "explicit", "public", "a%")
	    "]}";
	const char *views = "{\"rules\":[{\"rule-type\":\"selection\","
	    "\"rule-id\":\"1\",\"rule-name\":\"v\",\"object-locator\":{"
	    "\"schema-name\":\"%\",\"table-name\":\"%\",\"table-type\":\"view\"},"
	    "\"rule-action\":\"include\"}]}";
	const char *allt = "{\"rules\":[{\"rule-type\":\"selection\","
	    "\"rule-id\":2,\"object-locator\":{\"schema-name\":\"%\","
	    "\"table-name\":\"%\",\"table-type\":\"all\"},\"rule-action\":"
	    "\"include\",\"load-order\":3},{\"rule-type\":\"table-settings\","
	    "\"rule-id\":\"3\",\"object-locator\":{\"schema-name\":\"x\"}}]}";

	(void)state;
	expect(all, "public", "accounts", DMS_CARRIED, NULL);
	expect(all, "Other", "Mixed Case", DMS_CARRIED, NULL);
	expect(but, "public", "accounts", DMS_CARRIED, NULL);
	expect(but, "public", "audit_log", DMS_NOT_SELECTED,
	    "excluded by rule 2 of the DMS task's table mappings");
	expect(but, "public", "auditlog", DMS_CARRIED, NULL);
	expect(but, "sales", "orders", DMS_NOT_SELECTED,
	    "not selected by the DMS task's table mappings");
	expect(but, "Public", "accounts", DMS_NOT_SELECTED, "not selected");
	expect(first, "public", "big", DMS_NOT_SELECTED, "excluded by rule 9");
	expect(first, "public", "small", DMS_CARRIED, NULL);
	expect(expl, "public", "a%", DMS_CARRIED, NULL);
	expect(expl, "public", "ab", DMS_NOT_SELECTED, "not selected");
	expect(views, "public", "accounts", DMS_NOT_SELECTED, "not selected");
	expect(allt, "public", "accounts", DMS_CARRIED, NULL);
	expect("{\"rules\":[]}", "public", "accounts", DMS_NOT_SELECTED,
	    "not selected");
}

static void
test_filters(void **state)
{
	const char *f = "{\"rules\":[{\"rule-type\":\"selection\",\"rule-id\":"
	    "\"1\",\"rule-name\":\"recent\",\"object-locator\":{\"schema-name\":"
	    "\"public\",\"table-name\":\"orders\"},\"rule-action\":\"include\","
	    "\"filters\":[{\"filter-type\":\"source\",\"column-name\":"
	    "\"created_at\",\"filter-conditions\":[{\"filter-operator\":\"gte\","
	    "\"value\":\"2020-01-01\"}]}]}," SEL("2", "include", "public", "%")
	    ",{\"rule-type\":\"selection\",\"rule-id\":\"3\",\"object-locator\":{"
	    "\"schema-name\":\"public\",\"table-name\":\"all_rows\"},"
	    "\"rule-action\":\"include\",\"filters\":[]}]}";

	(void)state;
	expect(f, "public", "orders", DMS_PARTLY,
	    "partly replicated (source filter on column created_at, rule recent");
	expect(f, "public", "customers", DMS_CARRIED, NULL);
	expect(f, "public", "all_rows", DMS_CARRIED, NULL);
}

#define TR(id, target, action, loc, extra) \
	"{\"rule-type\":\"transformation\",\"rule-id\":\"" id "\",\"rule-name\":" \
	"\"" id "\",\"rule-target\":\"" target "\",\"object-locator\":{" loc \
	"},\"rule-action\":\"" action "\"" extra "}"

static void
test_transformations(void **state)
{
	const char *base = SEL("1", "include", "%", "%");
	char *j;

	(void)state;
	/* Lower-casing names that already are: nothing changes. */
	j = xasprintf("{\"rules\":[%s,%s,%s]}", base, TR("2", "schema",
	    "convert-lowercase", "\"schema-name\":\"%\"", ""), TR("3", "table",
	    "convert-lowercase", "\"schema-name\":\"%\",\"table-name\":\"%\"", ""));
	expect(j, "public", "accounts", DMS_CARRIED, NULL);
	expect(j, "public", "Accounts", DMS_TRANSFORMED,
	    "renamed by a transformation rule (3, convert-lowercase) to "
	    "public.accounts");
	expect(j, "Sales", "x", DMS_TRANSFORMED, "(2, convert-lowercase) to "
	    "sales.x");
	free(j);
	j = xasprintf("{\"rules\":[%s,%s]}", base, TR("4", "table", "add-prefix",
	    "\"schema-name\":\"public\",\"table-name\":\"t%\"",
	    ",\"value\":\"old_\""));
	expect(j, "public", "tx", DMS_TRANSFORMED, "to public.old_tx on the "
	    "target: not compared");
	expect(j, "public", "ax", DMS_CARRIED, NULL);
	expect(j, "other", "tx", DMS_CARRIED, NULL);
	free(j);
	j = xasprintf("{\"rules\":[%s,%s,%s]}", base, TR("5", "schema", "rename",
	    "\"schema-name\":\"app\"", ",\"value\":\"app2\""), TR("6", "table",
	    "remove-suffix", "\"schema-name\":\"%\",\"table-name\":\"%\"",
	    ",\"value\":\"_v1\""));
	expect(j, "app", "users", DMS_TRANSFORMED, "(5, rename) to app2.users");
	expect(j, "public", "users_v1", DMS_TRANSFORMED, "to public.users");
	expect(j, "public", "users_v2", DMS_CARRIED, NULL);
	free(j);
	j = xasprintf("{\"rules\":[%s,%s,%s]}", base, TR("7", "table",
	    "replace-prefix", "\"schema-name\":\"%\",\"table-name\":\"%\"",
	    ",\"old-value\":\"tmp_\",\"value\":\"t_\""), TR("8", "table",
	    "define-primary-key", "\"schema-name\":\"%\",\"table-name\":\"k\"",
	    ""));
	expect(j, "public", "tmp_a", DMS_TRANSFORMED, "to public.t_a");
	expect(j, "public", "k", DMS_CARRIED, NULL);
	free(j);
	j = xasprintf("{\"rules\":[%s,%s,%s]}", base, TR("9", "column",
	    "remove-column", "\"schema-name\":\"public\",\"table-name\":\"users\","
	    "\"column-name\":\"ssn\"", ""), TR("10", "index", "rename",
	    "\"schema-name\":\"%\",\"table-name\":\"%\",\"index-name\":\"%\"",
	    ",\"value\":\"x\""));
	expect(j, "public", "users", DMS_TRANSFORMED, "its columns are changed "
	    "by transformation rule 9 (remove-column on column ssn)");
	expect(j, "public", "orders", DMS_CARRIED, NULL);
	free(j);
	/* An action this module cannot follow: never compared as if it
	 * did nothing. */
	j = xasprintf("{\"rules\":[%s,%s]}", base, TR("11", "table",
	    "shuffle-name", "\"schema-name\":\"%\",\"table-name\":\"%\"", ""));
	expect(j, "public", "a", DMS_TRANSFORMED, "transformed by rule 11 "
	    "(shuffle-name on the table)");
	free(j);
	/* Excluded beats renamed: it is not on the target at all. */
	j = xasprintf("{\"rules\":[%s,%s,%s]}", base, SEL("12", "exclude",
	    "public", "a"), TR("13", "table", "add-suffix",
	    "\"schema-name\":\"%\",\"table-name\":\"%\"", ",\"value\":\"_x\""));
	expect(j, "public", "a", DMS_NOT_SELECTED, "excluded by rule 12");
	free(j);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",
		"not json",
		"[]",
		"{\"rules\":{}}",
		"{\"rules\":[1]}",
		"{\"rules\":[{\"rule-type\":\"selection\",\"rule-id\":\"1\","
		    "\"rule-action\":\"include\"}]}",
		"{\"rules\":[{\"rule-type\":\"selection\",\"rule-id\":\"1\","
		    "\"object-locator\":{\"schema-name\":\"%\",\"table-name\":"
		    "\"%\"},\"rule-action\":\"maybe\"}]}",
		"{\"rules\":[{\"rule-type\":\"selection\",\"rule-id\":\"1\","
		    "\"object-locator\":{\"schema-name\":\"%\",\"table-name\":"
		    "\"%\"}}]}",
	};
	struct dms_mappings m;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e.msg[0] = '\0';
		if (dms_mappings_parse(&m, bad[i], &e) == 0)
			fail_msg("accepted %s", bad[i] ? bad[i] : "NULL");
		if (e.msg[0] == '\0')
			fail_msg("no reason for %s", bad[i] ? bad[i] : "NULL");
	}
	assert_int_equal(dms_mappings_parse(&m, "{\"rules\":[{\"rule-type\":"
	    "\"selection\",\"rule-id\":\"1\",\"object-locator\":{\"schema-name\":"
	    "\"%\",\"table-name\":\"%\"},\"rule-action\":\"maybe\"}]}", &e), -1);
	assert_non_null(strstr(e.msg, "selection rule 1 has rule-action "
	    "\"maybe\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_like),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_transformations),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
