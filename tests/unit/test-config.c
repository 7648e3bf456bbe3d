/* test-config.c - cutover.conf parsing: good files, and every kind of bad
 * input naming FILE:LINE. */
#include "unit.h"

#include <libpq-fe.h>

#include "conf.h"
#include "tablepat.h"
#include "util.h"

#define MINIMAL \
	"[source]\nconninfo = host=src dbname=app\n" \
	"[target]\nconninfo = postgresql://migrator@aurora:5432/app\n" \
	"[replication]\nprovider = postgres\n"

static int
parse(struct config *c, const char *text, struct err *e)
{
	config_defaults(c);
	return config_parse(c, "t.conf", text, strlen(text), e);
}

/* Expects text to fail with a message containing want. */
/* Whether schema.name matches one of exclude_tables' patterns. */
static bool
excluded(const struct config *c, const char *schema, const char *name)
{
	struct table_patterns ps;
	bool hit;

	table_patterns_compile(&ps, c->exclude_tables.v, c->exclude_tables.n);
	hit = table_patterns_match(&ps, schema, name) != NULL;
	table_patterns_free(&ps);
	return hit;
}

static void
expect_error(const char *text, const char *want)
{
	struct config c;
	struct err e = { 0, "" };

	assert_int_equal(parse(&c, text, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	config_free(&c);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.environment, "staging");
	assert_string_equal(c.state_dir, "./cutover-state");
	assert_false(c.rehearsal);
	assert_int_equal(c.provider, PROVIDER_DMS);
	assert_string_equal(c.publication, "cutover_pub");
	assert_string_equal(c.subscription, "cutover_sub");
	assert_true(c.max_lag_seconds > 4.999 && c.max_lag_seconds < 5.001);
	assert_true(c.lag_hold_seconds > 29.999 && c.lag_hold_seconds < 30.001);
	assert_int_equal(c.jobs, 4);
	assert_false(c.row_count_tolerance.percent);
	assert_int_equal(c.drain_method, DRAIN_TERMINATE);
	assert_int_equal(c.roles.n, 1);
	assert_string_equal(c.roles.v[0], "app_rw");
	assert_string_equal(c.pgbouncer_database, "app");
	assert_int_equal(c.switch_method, SWITCH_COMMAND);
	assert_null(c.switch_command);
	assert_int_equal(c.sequence_margin, 1000);
	assert_true(c.reverse_replication);
	assert_true(c.cloudwatch);
	assert_int_equal(c.period_seconds, 60);
	assert_string_equal(c.reverse_slot, "cutover_reverse");
	assert_string_equal(c.reverse_slot_plugin, "test_decoding");
	assert_int_equal(c.task_poll_seconds, 6);
	assert_int_equal(c.table_poll_seconds, 30);
	assert_null(c.watch_listen);
	assert_null(c.target_reader_conninfo);
	config_free(&c);
}

static void
test_full_file(void **state)
{
	struct config c;
	struct err e = { 0, "" };
	const char *text =
	    "; a comment\n"
	    "# another\n"
	    "[cutover]\n"
	    "environment = prod   ; prod asks to type the name\n"
	    "state_dir = /var/lib/cutover\n"
	    "rehearsal = yes\n"
	    "[source]\n"
	    "conninfo = postgresql://migrator@src.example:5432/app?sslmode=verify-full\n"
	    "[target]\r\n"
	    "conninfo = host=aurora port=5432 dbname=app\r\n"
	    "reader_conninfo = host=aurora-ro dbname=app\n"
	    "[replication]\n"
	    "provider = dms\n"
	    "region = eu-west-1\n"
	    "task_arn = arn:aws:dms:eu-west-1:123456789012:task:ABC\n"
	    "[validation]\n"
	    "max_lag_seconds = 2.5\n"
	    "row_count_tolerance = 0.1%\n"
	    "checksum = sample:10\n"
	    "jobs = 8\n"
	    "exclude_tables = audit.*, public.tmp_?\n"
	    "[drain]\n"
	    "method = pgbouncer\n"
	    "roles = app_rw, app_batch\n"
	    "[switch]\n"
	    "command = \"/usr/local/bin/switch --note 'a ; b' # not a comment\"  ; comment\n"
	    "timeout_seconds = 120\n"
	    "[sequences]\nmargin = 0\n"
	    "[rollback]\nreverse_replication = off\n"
	    "[metrics]\nperiod_seconds = 300\n"
	    "[watch]\nlisten = 0.0.0.0:7700\ncert_file = c.pem\nkey_file = k.pem\n"
	    "token_file = t\n";

	(void)state;
	assert_int_equal(parse(&c, text, &e), 0);
	assert_string_equal(c.environment, "prod");
	assert_string_equal(c.state_dir, "/var/lib/cutover");
	assert_true(c.rehearsal);
	assert_string_equal(c.target_conninfo, "host=aurora port=5432 dbname=app");
	assert_string_equal(c.region, "eu-west-1");
	assert_true(c.max_lag_seconds > 2.49 && c.max_lag_seconds < 2.51);
	assert_true(c.row_count_tolerance.percent);
	assert_true(c.row_count_tolerance.value > 0.099 &&
	    c.row_count_tolerance.value < 0.101);
	assert_true(c.checksum_sample_percent > 9.99 &&
	    c.checksum_sample_percent < 10.01);
	assert_int_equal(c.jobs, 8);
	assert_int_equal(c.exclude_tables.n, 2);
	assert_true(excluded(&c, "audit", "events"));
	assert_true(excluded(&c, "public", "tmp_1"));
	assert_false(excluded(&c, "public", "tmp_12"));
	assert_false(excluded(&c, "public", "accounts"));
	assert_int_equal(c.drain_method, DRAIN_PGBOUNCER);
	assert_int_equal(c.roles.n, 2);
	assert_string_equal(c.roles.v[1], "app_batch");
	assert_string_equal(c.switch_command,
	    "/usr/local/bin/switch --note 'a ; b' # not a comment");
	assert_int_equal(c.sequence_margin, 0);
	assert_false(c.reverse_replication);
	assert_int_equal(c.period_seconds, 300);
	assert_string_equal(c.watch_listen, "0.0.0.0:7700");
	config_free(&c);
}

static void
test_errors_name_the_line(void **state)
{
	(void)state;
	expect_error(MINIMAL "[bogus]\n", "t.conf:7: unknown section [bogus]");
	expect_error(MINIMAL "[source]\n", "t.conf:7: duplicate section [source] (first at line 1)");
	expect_error("[source]\nconninfo = host=a\nconninfo = host=x\n",
	    "t.conf:3: duplicate key 'conninfo' in [source] (first at line 2)");
	expect_error(MINIMAL "[validation]\njobs = many\n", "t.conf:8: [validation] jobs: must be a whole number");
	expect_error(MINIMAL "[validation]\njobs = 0\n", "t.conf:8: [validation] jobs: must be between 1 and 64");
	expect_error(MINIMAL "[validation]\nmax_lag_seconds = -1\n", "t.conf:8:");
	expect_error(MINIMAL "[validation]\nmax_lag_seconds = nan\n", "must be a number");
	expect_error(MINIMAL "[validation]\nchecksum = half\n", "must be full or sample:PERCENT");
	expect_error(MINIMAL "[validation]\nchecksum = sample:0\n", "must be full or sample:PERCENT");
	expect_error(MINIMAL "[validation]\nrow_count_tolerance = 101%\n", "percentage");
	expect_error(MINIMAL "[validation]\nunknown_key = 1\n",
	    "t.conf:8: unknown key 'unknown_key' in [validation]");
	expect_error(MINIMAL "[drain]\nmethod = sledgehammer\n",
	    "must be one of: pgbouncer | terminate | readonly");
	expect_error(MINIMAL "[cutover]\nrehearsal = maybe\n", "must be true or false");
	expect_error(MINIMAL "[cutover]\nenvironment = pro d\n", "may only hold");
	expect_error(MINIMAL "[watch]\nlisten = nowhere\n", "must be HOST:PORT");
	expect_error(MINIMAL "[watch]\nlisten = 127.0.0.1:7000\n",
	    "t.conf:8: [watch] listen needs cert_file, key_file and token_file");
	expect_error(MINIMAL "[metrics]\nperiod_seconds = 45\n", "t.conf:8:");
	/* One point a minute: a shorter period only costs more. */
	expect_error(MINIMAL "[metrics]\nperiod_seconds = 30\n",
	    "t.conf:8: [metrics] period_seconds");
	expect_error(MINIMAL "[metrics]\ntask_poll_seconds = 1\n", "t.conf:8:");
	expect_error(MINIMAL "[metrics]\ntable_poll_seconds = 5\n", "t.conf:8:");
	expect_error(MINIMAL "[rollback]\nreverse_slot_plugin = wal2json\n",
	    "t.conf:8: [rollback] reverse_slot_plugin must be test_decoding or pglogical");
	expect_error(MINIMAL "[rollback]\nreverse_slot = bad\"slot\"name-that-is-"
	    "far-too-long-for-a-postgresql-identifier-of-63-bytes\n", "t.conf:8:");
	expect_error(MINIMAL "[replication]\n", "duplicate section");
	expect_error("key = 1\n", "t.conf:1: key 'key' outside of any section");
	expect_error("[source\n", "t.conf:1: section header without ']'");
	expect_error("[source] junk\n", "t.conf:1: text after section header");
	expect_error("[source]\njust words\n", "t.conf:2: expected 'key = value'");
	expect_error("[source]\nconninfo = \"open\n", "t.conf:2: unterminated quoted value");
	expect_error("[source]\nconninfo = \"a\" b\n", "t.conf:2: text after the closing quote");
	expect_error("[source]\nconninfo = host='unterminated\n",
	    "t.conf:2: [source] conninfo: invalid connection string");
	expect_error("[source]\nconninfo = postgresql://[bad\n", "t.conf:2:");
}

static void
test_required_keys(void **state)
{
	(void)state;
	expect_error("[target]\nconninfo = host=t\n", "[source] conninfo is required");
	expect_error("[source]\nconninfo =\n", "t.conf:2: [source] conninfo is required");
	/* The line named for a missing key is its section's header. */
	expect_error("[source]\nconninfo = host=s\n[target]\nreader_conninfo = host=r\n"
	    "[replication]\nprovider = postgres\n", "t.conf:3: [target] conninfo is required");
	/* provider = dms (the default) needs a task. */
	expect_error("[source]\nconninfo = host=s\n[target]\nconninfo = host=t\n",
	    "[replication] task_arn is required with provider = dms");
	expect_error("[source]\nconninfo = host=s\n[target]\nconninfo = host=t\n"
	    "[replication]\nprovider = dms\n",
	    "t.conf:6: [replication] task_arn is required with provider = dms");
	/* Every missing key at once, each on its line. */
	expect_error("[source]\nconninfo =\n[target]\nconninfo =\n",
	    "t.conf:2: [source] conninfo is required\n"
	    "t.conf:4: [target] conninfo is required\n"
	    "t.conf:4: [replication] task_arn is required with provider = dms");
}

static void
test_exclude_patterns(void **state)
{
	struct config c;
	struct err e = { 0, "" };

	(void)state;
	/* Quoted names hold commas, dots, quotes and capitals. */
	assert_int_equal(parse(&c, MINIMAL "[validation]\nexclude_tables = "
	    "\"My Schema\".\"a,b\", public.\"We\"\"ird.T\", Audit.*\n", &e), 0);
	assert_int_equal(c.exclude_tables.n, 3);
	assert_true(excluded(&c, "My Schema", "a,b"));
	assert_true(excluded(&c, "public", "We\"ird.T"));
	assert_true(excluded(&c, "audit", "anything"));
	assert_false(excluded(&c, "Audit", "anything"));
	assert_false(excluded(&c, "my schema", "a,b"));
	config_free(&c);
	expect_error(MINIMAL "[validation]\nexclude_tables = public\n",
	    "t.conf:8: [validation] exclude_tables: pattern public: expected "
	    "SCHEMA.TABLE");
	expect_error(MINIMAL "[validation]\nexclude_tables = public.\"open\n",
	    "t.conf:8: [validation] exclude_tables: unterminated double quote");
}

static void
test_hostile_bytes(void **state)
{
	struct strbuf sb;
	size_t i;

	(void)state;
	expect_error("[source]\nconninfo = host=\xff\xfe\n", "t.conf:2: invalid UTF-8");
	expect_error("[source]\nconninfo = host=\xc0\xaf\n", "t.conf:2: invalid UTF-8");
	expect_error("[source]\nconninfo = host=\x1b[31m\n", "t.conf:2: control character");
	sb_init(&sb);
	sb_puts(&sb, "[source]\nconninfo = host=");
	for (i = 0; i < 100000; i++)
		sb_putc(&sb, 'a');
	sb_putc(&sb, '\n');
	expect_error(sb.buf, "t.conf:2: line too long");
	sb_free(&sb);
	{
		/* A NUL byte in the middle of a line. */
		static const char text[] = "[source]\nconninfo = a\0b\n";
		struct config c;
		struct err e = { 0, "" };

		config_defaults(&c);
		assert_int_equal(config_parse(&c, "t.conf", text, sizeof text - 1, &e), -1);
		assert_non_null(strstr(e.msg, "t.conf:2: NUL byte"));
		config_free(&c);
	}
	{
		/* Non-ASCII UTF-8 in a value is fine; a BOM is skipped. */
		struct config c;
		struct err e = { 0, "" };

		assert_int_equal(parse(&c, "\xef\xbb\xbf" MINIMAL
		    "[drain]\nroles = appé_rw\n", &e), 0);
		assert_string_equal(c.roles.v[0], "appé_rw");
		config_free(&c);
	}
}

static void
test_load_missing_file(void **state)
{
	struct config c;
	struct err e = { 0, "" };

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, "/nonexistent/cutover.conf", &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "/nonexistent/cutover.conf: cannot read config"));
	config_free(&c);
}

static void
test_template_round_trip(void **state)
{
	static const struct kv fill[] = {
		{ "source.conninfo", "host=src dbname=app" },
		{ "target.conninfo", "host=dst dbname=app" },
		{ "replication.provider", "postgres" },
		{ "switch.command", "echo a ; b" },
	};
	struct config c;
	struct err e = { 0, "" };
	char *text;

	(void)state;
	/* The bare template is every key, but the required ones are empty. */
	text = config_template(NULL, 0);
	assert_non_null(strstr(text, "[watch]"));
	assert_non_null(strstr(text, "max_lag_seconds = 5\n"));
	expect_error(text, "[source] conninfo is required");
	free(text);

	text = config_template(fill, ARRAY_SIZE(fill));
	assert_int_equal(parse(&c, text, &e), 0);
	assert_string_equal(c.switch_command, "echo a ; b");
	assert_string_equal(c.source_conninfo, "host=src dbname=app");
	config_free(&c);
	free(text);
}

static void
test_redact(void **state)
{
	char *r;

	(void)state;
	r = conninfo_redact("host=a password=s3cret dbname=app");
	assert_null(strstr(r, "s3cret"));
	assert_non_null(strstr(r, "password=********"));
	assert_non_null(strstr(r, "host=a"));
	free(r);
	r = conninfo_redact("postgresql://u:hunter2@h:5432/db");
	assert_null(strstr(r, "hunter2"));
	assert_non_null(strstr(r, "user=u"));
	free(r);
}

/* The value libpq reads for keyword in conninfo, or NULL. */
static char *
conninfo_value(const char *conninfo, const char *keyword)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL, *v = NULL;

	opts = PQconninfoParse(conninfo, &msg);
	PQfreemem(msg);
	assert_non_null(opts);
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL)
			v = xstrdup(o->val);
	PQconninfoFree(opts);
	return v;
}

static void
test_conninfo_safe(void **state)
{
	static const char *const tricky = "host=h password='p w\\'d' "
	    "application_name='my app' dbname='o\\'brien' "
	    "options='-c search_path=a\\\\b' sslpassword=k3y";
	static const struct {
		const char *keyword, *value;
	} values[] = {
		{ "host", "h" },
		{ "application_name", "my app" },
		{ "dbname", "o'brien" },
		{ "options", "-c search_path=a\\b" },
	};
	char *r, *v;
	size_t i;

	(void)state;
	/* For messages: secrets masked, quoted only where needed, libpq's
	 * order. */
	r = conninfo_safe(tricky, 0);
	assert_string_equal(r, "password=******** dbname='o\\'brien' host=h "
	    "options='-c search_path=a\\\\b' application_name='my app' "
	    "sslpassword=********");
	free(r);
	/* For the switch command: secrets left out, every value quoted, and
	 * libpq reads back exactly the values given. */
	r = conninfo_safe(tricky, CONNINFO_DROP_SECRETS | CONNINFO_QUOTE_ALL);
	assert_string_equal(r, "dbname='o\\'brien' host='h' "
	    "options='-c search_path=a\\\\b' application_name='my app'");
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		v = conninfo_value(r, values[i].keyword);
		assert_non_null(v);
		assert_string_equal(v, values[i].value);
		free(v);
	}
	assert_null(conninfo_value(r, "password"));
	assert_null(conninfo_value(r, "sslpassword"));
	free(r);
	/* A URI: its password never survives either way. */
	r = conninfo_safe("postgresql://u:hunter2@h:5432/my%20db?sslmode=require",
	    0);
	assert_string_equal(r, "user=u password=******** dbname='my db' host=h "
	    "port=5432 sslmode=require");
	free(r);
	r = conninfo_safe("postgresql://u:hunter2@h:5432/db",
	    CONNINFO_DROP_SECRETS | CONNINFO_QUOTE_ALL);
	assert_string_equal(r, "user='u' dbname='db' host='h' port='5432'");
	free(r);
	/* Unparsable: NULL, and a placeholder that repeats nothing of it. */
	assert_null(conninfo_safe("host=h password='s3cret", 0));
	r = conninfo_redact("host=h password='s3cret");
	assert_string_equal(r, "(unparsable connection string)");
	free(r);
	r = conninfo_safe(NULL, CONNINFO_DROP_SECRETS);
	assert_string_equal(r, "");
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_exclude_patterns),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_template_round_trip),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_conninfo_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
