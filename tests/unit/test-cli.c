/* test-cli.c - global options, command lookup and per-command options. */
#include "unit.h"

#include "cmd.h"
#include "util.h"

static int
globals(struct globals *g, int argc, char **argv, bool *help, bool *version,
    struct err *e)
{
	memset(g, 0, sizeof *g);
	return cli_parse_globals(g, argc, argv, help, version, e);
}

static void
test_globals(void **state)
{
	int argv_argc;
	char **argv = test_argv(&argv_argc, "cutover", "-c", "x.conf", "--state-dir", "sd",
	    "-e", "prod", "--no-color", "log", "--json", NULL);
	struct globals g;
	struct err e = { 0, "" };
	bool help, version;
	int idx;

	(void)state;
	idx = globals(&g, 10, argv, &help, &version, &e);
	assert_int_equal(idx, 8);
	assert_string_equal(argv[idx], "log");
	assert_string_equal(g.config, "x.conf");
	assert_string_equal(g.state_dir, "sd");
	assert_string_equal(g.environment, "prod");
	assert_true(g.no_color);
	assert_false(help);
	assert_false(version);
	test_argv_free(argv);
}

static void
test_globals_errors(void **state)
{
	int missing_argc;
	char **missing = test_argv(&missing_argc, "cutover", "-c", NULL);
	int unknown_argc;
	char **unknown = test_argv(&unknown_argc, "cutover", "--bogus", "log", NULL);
	int help_argc;
	char **help = test_argv(&help_argc, "cutover", "--help", NULL);
	int version_argc;
	char **version = test_argv(&version_argc, "cutover", "-V", NULL);
	struct globals g;
	struct err e = { 0, "" };
	bool h, v;

	(void)state;
	assert_int_equal(globals(&g, 2, missing, &h, &v, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "-c"));
	assert_int_equal(globals(&g, 3, unknown, &h, &v, &e), -1);
	assert_non_null(strstr(e.msg, "--bogus"));
	assert_int_equal(globals(&g, 2, help, &h, &v, &e), 2);
	assert_true(h);
	assert_int_equal(globals(&g, 2, version, &h, &v, &e), 2);
	assert_true(v);
	test_argv_free(missing);
	test_argv_free(unknown);
	test_argv_free(help);
	test_argv_free(version);
}

static void
test_command_table(void **state)
{
	size_t i;

	(void)state;
	assert_non_null(command_find("log"));
	assert_non_null(command_find("init"));
	assert_null(command_find("teleport"));
	for (i = 0; i < ncommands; i++) {
		assert_true(commands[i].exec != NULL || commands[i].run != NULL);
		assert_non_null(commands[i].summary);
		assert_non_null(commands[i].synopsis);
	}
}

/* The parsed options a handler reads: in order, the last one wins for
 * args_get, all of a repeatable one for args_next; --help and errors keep
 * nothing. */
static void
test_args(void **state)
{
	static const struct cmd_opt opts[] = {
		{ 'j', 0, "json", NULL, "JSON" },
		{ 'o', 'o', "output", "FILE", "where" },
		{ 'C', 0, "compare", "DIR", "again and again" },
		{ 0, 0, NULL, NULL, NULL },
	};
	static const struct command test_cmd = { "report", "", "a test", opts,
	    NULL, NULL, NULL };
	int n;
	char **argv = test_argv(&n, "report", "-o", "a", "--compare", "x",
	    "--output", "b", "--compare", "y", NULL);
	int hn;
	char **help = test_argv(&hn, "report", "--json", "--help", NULL);
	int bn;
	char **bad = test_argv(&bn, "report", "--json", "--nope", NULL);
	struct ctx ctx;
	struct args a;
	struct err e = { 0, "" };
	size_t i = 0;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	assert_int_equal(args_parse(&ctx, &test_cmd, NULL, n, argv, &a, &e), 0);
	assert_int_equal(a.n, 4);
	assert_false(args_has(&a, 'j'));
	assert_null(args_get(&a, 'j'));
	assert_string_equal(args_get(&a, 'o'), "b");
	assert_string_equal(args_next(&a, 'C', &i), "x");
	assert_string_equal(args_next(&a, 'C', &i), "y");
	assert_null(args_next(&a, 'C', &i));
	args_free(&a);
	assert_int_equal(args_parse(&ctx, &test_cmd, NULL, hn, help, &a, &e), 1);
	assert_int_equal(a.n, 0);
	assert_int_equal(args_parse(&ctx, &test_cmd, NULL, bn, bad, &a, &e), -1);
	assert_int_equal(a.n, 0);
	assert_non_null(strstr(e.msg, "--nope"));
	test_argv_free(argv);
	test_argv_free(help);
	test_argv_free(bad);
}

static void
test_command_options(void **state)
{
	static const struct cmd_opt opts[] = {
		{ 'j', 0, "json", NULL, "JSON" },
		{ 'o', 'o', "output", "FILE", "where" },
		{ 0, 0, NULL, NULL, NULL },
	};
	static const struct command test_cmd = { "status", "[--json] "
	    "[--output FILE]", "a test", opts, NULL, NULL, NULL };
	int argv_argc;
	char **argv = test_argv(&argv_argc, "status", "--json", "-s", "dir", "-o", "f",
	    "--no-color", NULL);
	int bad_argc;
	char **bad = test_argv(&bad_argc, "status", "--jsn", NULL);
	int extra_argc;
	char **extra = test_argv(&extra_argc, "status", "stray", NULL);
	int needs_argc;
	char **needs = test_argv(&needs_argc, "status", "--output", NULL);
	int only_argc;
	char **only = test_argv(&only_argc, "status", "--output", "f", NULL);
	const struct command *cmd = &test_cmd;
	struct ctx ctx;
	struct err e = { 0, "" };
	struct args a;
	size_t i;
	int seen_j = 0, seen_o = 0;

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	assert_int_equal(args_parse(&ctx, cmd, NULL, 7, argv, &a, &e), 0);
	for (i = 0; i < a.n; i++) {
		if (a.v[i].key == 'j')
			seen_j++;
		else if (a.v[i].key == 'o')
			seen_o++;
		else
			fail_msg("unexpected option %d", a.v[i].key);
	}
	args_free(&a);
	assert_int_equal(seen_j, 1);
	assert_int_equal(seen_o, 1);
	assert_string_equal(ctx.g.state_dir, "dir");
	assert_true(ctx.g.no_color);

	assert_int_equal(args_parse(&ctx, cmd, NULL, 2, bad, &a, &e), -1);
	assert_non_null(strstr(e.msg, "--jsn"));
	assert_int_equal(args_parse(&ctx, cmd, NULL, 2, extra, &a, &e), -1);
	assert_non_null(strstr(e.msg, "unexpected argument 'stray'"));
	assert_int_equal(args_parse(&ctx, cmd, NULL, 2, needs, &a, &e), -1);
	assert_non_null(strstr(e.msg, "--output needs an argument"));
	/* A subcommand that takes only --json refuses --output. */
	assert_int_equal(args_parse(&ctx, cmd, "j", 3, only, &a, &e), -1);
	assert_non_null(strstr(e.msg, "--output"));
	test_argv_free(only);
	test_argv_free(argv);
	test_argv_free(bad);
	test_argv_free(extra);
	test_argv_free(needs);
}

static void
test_environment_override(void **state)
{
	struct ctx ctx;
	struct err e = { 0, "" };

	(void)state;
	memset(&ctx, 0, sizeof ctx);
	ctx.g.environment = "prod";
	ctx.g.state_dir = "/tmp/sd";
	assert_int_equal(ctx_setup(&ctx, CONFIG_NONE, &e), 0);
	assert_string_equal(ctx.environment, "prod");
	assert_string_equal(ctx.state_dir, "/tmp/sd");
	ctx_free(&ctx);

	memset(&ctx, 0, sizeof ctx);
	ctx.g.environment = "pr od";
	assert_int_equal(ctx_setup(&ctx, CONFIG_NONE, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	ctx_free(&ctx);

	memset(&ctx, 0, sizeof ctx);
	ctx.g.config = "/nonexistent.conf";
	assert_int_equal(ctx_setup(&ctx, CONFIG_OPTIONAL, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent.conf"));
	ctx_free(&ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_globals_errors),
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_command_options),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_environment_override),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
