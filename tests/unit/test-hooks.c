/* test-hooks.c - the scrubber, child processes on the loop (output, input,
 * exit, timeout of the whole group, nothing inherited, only its own pid
 * reaped), and [hooks]: the config keys, matching, the environment, the
 * order, and no recursion through hook.* events. */
#include "unit.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "eventlog.h"
#include "fileio.h"
#include "hooks.h"
#include "loop.h"
#include "proc.h"
#include "scrub.h"
#include "util.h"

static void
expect_scrubbed(const char *in, const char *want)
{
	char *got = scrub_dup(in);

	if (strcmp(got, want) != 0)
		fail_msg("scrub(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, got, want);
	free(got);
}

static void
test_scrub(void **state)
{
	(void)state;
	expect_scrubbed("nothing secret here, seq 12", "nothing secret here, seq 12");
	expect_scrubbed("PGPASSWORD=hunter2 psql", "PGPASSWORD=******** psql");
	expect_scrubbed("password: 'a b c' then", "password: '********' then");
	expect_scrubbed("{\"api_token\":\"xyz123\"}", "{\"api_token\":\"********\"}");
	expect_scrubbed("postgresql://app:s3cret@db:5432/app",
	    "postgresql://app:********@db:5432/app");
	expect_scrubbed("postgresql://app@db/app", "postgresql://app@db/app");
	expect_scrubbed("key AKIAIOSFODNN7EXAMPLE used", "key ******** used");
	expect_scrubbed("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	    "AWS_SECRET_ACCESS_KEY=********");
	expect_scrubbed("got wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY back",
	    "got ******** back");
	expect_scrubbed("Authorization: Bearer abc.def.ghi", "Authorization: ********");
	expect_scrubbed("curl -H 'Bearer abcdef' x", "curl -H 'Bearer ********' x");
	expect_scrubbed("https://hooks.slack.com/services/T000/B000/XXXX done",
	    "https://hooks.slack.com/services/******** done");
	/* The log's own hashes are lower-case hex: left alone. */
	expect_scrubbed("prev e8af8c095639da815d23e294e7bf7ed643eae7669593dc1fdc76279ad0e2839b",
	    "prev e8af8c095639da815d23e294e7bf7ed643eae7669593dc1fdc76279ad0e2839b");
	scrub_register("correct-horse");
	expect_scrubbed("it said correct-horse twice: correct-horse",
	    "it said ******** twice: ********");
	scrub_forget();
	expect_scrubbed("correct-horse", "correct-horse");
}

/* ------------------------------------------------------------- proc */

struct ran {
	bool done;
	int exit_code, signo;
	bool timed_out, truncated;
	char *output;
};

static void
on_ran(const struct proc_result *r, void *arg)
{
	struct ran *ran = arg;

	ran->done = true;
	ran->exit_code = r->exit_code;
	ran->signo = r->signo;
	ran->timed_out = r->timed_out;
	ran->truncated = r->output_truncated;
	ran->output = xstrndup(r->output, r->output_len);
}

static void
run_proc(struct proc_opts *po, struct ran *ran)
{
	struct loop *l = loop_new();
	struct err e = { 0, "" };
	int64_t deadline = mono_ms() + 20000;

	memset(ran, 0, sizeof *ran);
	if (proc_start(l, po, on_ran, ran, &e) == NULL)
		fail_msg("proc_start: %s", e.msg);
	while (!ran->done && mono_ms() < deadline)
		loop_run_once(l, 100);
	assert_true(ran->done);
	loop_free(l);
}

static void
test_proc_output_input_exit(void **state)
{
	char *env[] = { (char *)(uintptr_t)"ONLY=this", NULL };
	struct proc_opts po;
	struct ran ran;

	(void)state;
	memset(&po, 0, sizeof po);
	po.command = "read line; echo \"got $line\"; echo \"env: $(env | grep -v '^PWD=' | "
	    "grep -v '^SHLVL=' | grep -v '^_=' | tr '\\n' ' ')\" >&2; exit 3";
	po.envp = env;
	po.input = "hello\n";
	po.input_len = 6;
	run_proc(&po, &ran);
	assert_int_equal(ran.exit_code, 3);
	assert_int_equal(ran.signo, 0);
	assert_false(ran.timed_out);
	assert_string_equal(ran.output, "got hello\nenv: ONLY=this \n");
	free(ran.output);

	/* A command that cannot be found: the shell says so, exit 127. */
	po.command = "/nonexistent/hook";
	po.input = NULL;
	run_proc(&po, &ran);
	assert_int_equal(ran.exit_code, 127);
	assert_non_null(strstr(ran.output, "/nonexistent/hook"));
	free(ran.output);

	/* Output is bounded. */
	po.command = "yes 0123456789 | head -c 100000";
	po.output_max = 1000;
	run_proc(&po, &ran);
	assert_int_equal(ran.exit_code, 0);
	assert_true(ran.truncated);
	assert_int_equal(strlen(ran.output), 1000);
	free(ran.output);
}

static bool
process_gone(pid_t pid)
{
	char path[64], *text = NULL;
	size_t len;
	bool gone;

	/* Gone, or a zombie waiting for its new parent to reap it. */
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (file_read_all(path, 4096, &text, &len) != 0)
		return true;
	gone = strstr(text, ") Z ") != NULL;
	free(text);
	return gone;
}

static void
test_proc_timeout_kills_group(void **state)
{
	char *dir = test_tmpdir(), *cmd, *pidfile, *text = NULL;
	struct proc_opts po;
	struct ran ran;
	int64_t pid = 0;
	size_t len;
	int i;

	(void)state;
	pidfile = xasprintf("%s/pid", dir);
	cmd = xasprintf("sleep 60 & echo $! > %s; wait", pidfile);
	memset(&po, 0, sizeof po);
	po.command = cmd;
	po.timeout_ms = 300;
	run_proc(&po, &ran);
	assert_true(ran.timed_out);
	assert_int_equal(ran.signo, SIGKILL);
	assert_int_equal(ran.exit_code, -1);
	free(ran.output);
	assert_int_equal(file_read_all(pidfile, 64, &text, &len), 0);
	assert_int_equal(parse_int64(str_trim(text), &pid), 0);
	/* The grandchild went with its group. */
	for (i = 0; i < 100 && !process_gone((pid_t)pid); i++)
		usleep(20000);
	assert_true(process_gone((pid_t)pid));
	free(text);
	free(cmd);
	free(pidfile);
	test_tmpdir_remove(dir);
}

static void
test_proc_inherits_nothing_reaps_only_its_own(void **state)
{
	struct proc_opts po;
	struct ran ran;
	char *cmd;
	pid_t other;
	int fd, status;

	(void)state;
	fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	assert_true(fd > 2);
	other = fork();
	if (other == 0)
		_exit(7);
	/* The other child has exited before ours even starts. */
	usleep(50000);
	cmd = xasprintf("test -e /proc/self/fd/%d && echo leaked; echo ok", fd);
	memset(&po, 0, sizeof po);
	po.command = cmd;
	run_proc(&po, &ran);
	assert_string_equal(ran.output, "ok\n");
	free(ran.output);
	free(cmd);
	close(fd);
	/* Its exit status is still ours to collect: proc never waited for
	 * any child but its own. */
	assert_int_equal(waitpid(other, &status, WNOHANG), other);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
}

/* ------------------------------------------------------------ config */

#define MINIMAL \
	"[source]\nconninfo = host=src dbname=app\n" \
	"[target]\nconninfo = host=dst dbname=app\n" \
	"[replication]\nprovider = postgres\n"

static void
test_hooks_config(void **state)
{
	struct config c;
	struct err e = { 0, "" };
	const char *good = MINIMAL
	    "[hooks]\ntimeout_seconds = 2.5\n"
	    "phase.started = /usr/local/bin/notify-slack\n"
	    "any = logger -t cutover\n"
	    "[metrics]\nlisten = :9187\n";
	const char *bad = MINIMAL "[hooks]\nphase.start = /bin/true\n";
	const char *dup = MINIMAL "[hooks]\nany = a\nany = b\n";
	const char *empty = MINIMAL "[hooks]\nerror =\n";
	char *tmpl;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "t.conf", good, strlen(good), &e), 0);
	assert_int_equal(c.nhooks, 2);
	assert_string_equal(c.hooks[0].kind, "phase.started");
	assert_string_equal(c.hooks[0].command, "/usr/local/bin/notify-slack");
	assert_string_equal(c.hooks[1].kind, "any");
	assert_true(c.hooks_timeout_seconds > 2.49 && c.hooks_timeout_seconds < 2.51);
	assert_string_equal(c.metrics_listen, ":9187");
	config_free(&c);

	config_defaults(&c);
	assert_int_equal(config_parse(&c, "t.conf", bad, strlen(bad), &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "t.conf:8: [hooks] phase.start: not an event kind"));
	config_free(&c);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "t.conf", dup, strlen(dup), &e), -1);
	assert_non_null(strstr(e.msg, "t.conf:9: duplicate key 'any' in [hooks]"));
	config_free(&c);
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "t.conf", empty, strlen(empty), &e), -1);
	assert_non_null(strstr(e.msg, "t.conf:8: [hooks] error: the command is empty"));
	config_free(&c);

	tmpl = config_template(NULL, 0);
	assert_non_null(strstr(tmpl, "[hooks]\n"));
	assert_non_null(strstr(tmpl, "timeout_seconds = 10\n"));
	assert_non_null(strstr(tmpl, "# phase.started = /usr/local/bin/notify-slack\n"));
	assert_non_null(strstr(tmpl, "[metrics]"));
	assert_non_null(strstr(tmpl, "\nlisten = \n"));
	/* The template parses back. */
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "tmpl", tmpl, strlen(tmpl), &e), -1);
	assert_non_null(strstr(e.msg, "conninfo is required"));
	config_free(&c);
	free(tmpl);
}

/* ------------------------------------------------------------- hooks */

struct hook_test {
	struct eventlog *log;
	int outcomes, failed;
};

static void
log_outcome(const struct hook_outcome *o, void *arg)
{
	struct hook_test *t = arg;

	t->outcomes++;
	t->failed += !o->ok;
	hooks_log_outcome(t->log, o);
}

static const char *
fixed_run_id(void *arg)
{
	(void)arg;
	return "run-42";
}

static char *
read_file(const char *path)
{
	char *text = NULL;
	size_t len;

	if (file_read_all(path, 1 << 20, &text, &len) != 0)
		return xstrdup("");
	return text;
}

static void
test_hooks_run_in_order_with_env(void **state)
{
	char *dir = test_tmpdir(), *out, *text, *cmd, *line;
	struct hook_test t = { NULL, 0, 0 };
	struct err e = { 0, "" };
	struct config c;
	struct hooks *h;
	struct loop *l;

	(void)state;
	setenv("PGPASSWORD", "pg-secret-value", 1);
	out = xasprintf("%s/out", dir);
	config_defaults(&c);
	/* Each hook writes its own file: hooks run side by side, each one
	 * in event order. */
	cmd = xasprintf("f=%s.$CUTOVER_HOOK; printf '%%s|%%s|%%s|%%s|%%s|%%s\\n' "
	    "\"$CUTOVER_EVENT_KIND\" \"$CUTOVER_PHASE\" \"$CUTOVER_RUN_ID\" "
	    "\"$CUTOVER_ENVIRONMENT\" \"$CUTOVER_MSG\" \"${PGPASSWORD:-none}\" >> $f; "
	    "head -c 7 >> $f; echo >> $f; echo \"$CUTOVER_EVENT_JSON\" | head -c 7 >> $f; "
	    "echo >> $f; echo 'said pg-secret-value'", out);
	c.hooks = xcalloc(3, sizeof *c.hooks);
	c.hooks[0].kind = xstrdup("phase.started");
	c.hooks[0].command = xstrdup(cmd);
	c.hooks[1].kind = xstrdup("any");
	c.hooks[1].command = xstrdup(cmd);
	c.hooks[2].kind = xstrdup("validation.done");
	c.hooks[2].command = xstrdup(cmd);
	c.nhooks = 3;
	l = loop_new();
	assert_int_equal(eventlog_open(&t.log, dir, "staging", &e), 0);
	h = hooks_new(l, &c, fixed_run_id, log_outcome, &t);
	assert_non_null(h);
	eventlog_observe(t.log, hooks_observer, h);
	assert_true(eventlog_append(t.log, "phase.started", "drain", NULL, &e,
	    "drain started") > 0);
	{
		cJSON *d = cJSON_CreateObject();

		cJSON_AddBoolToObject(d, "passed", true);
		assert_true(eventlog_append(t.log, "check", NULL, d, &e,
		    "full validation: passed") > 0);
	}
	hooks_drain(h, 20000);
	assert_true(hooks_idle(h));
	/* phase.started: its own hook and any; check: any and validation.done;
	 * the four hook.done events set off nothing. */
	assert_int_equal(t.outcomes, 4);
	assert_int_equal(t.failed, 0);
	line = xasprintf("%s.phase.started", out);
	text = read_file(line);
	assert_string_equal(text,
	    "phase.started|drain|run-42|staging|drain started|none\n{\"seq\":\n{\"seq\":\n");
	free(text);
	free(line);
	line = xasprintf("%s.any", out);
	text = read_file(line);
	assert_string_equal(text,
	    "phase.started|drain|run-42|staging|drain started|none\n{\"seq\":\n{\"seq\":\n"
	    "check||run-42|staging|full validation: passed|none\n{\"seq\":\n{\"seq\":\n");
	free(text);
	free(line);
	line = xasprintf("%s.validation.done", out);
	text = read_file(line);
	assert_string_equal(text,
	    "check||run-42|staging|full validation: passed|none\n{\"seq\":\n{\"seq\":\n");
	free(text);
	free(line);
	/* The outcomes are in the log, scrubbed of our secret. */
	line = xasprintf("%s/events.jsonl", dir);
	text = read_file(line);
	assert_non_null(strstr(text, "\"kind\":\"hook.done\""));
	assert_non_null(strstr(text, "said ********"));
	assert_null(strstr(text, "pg-secret-value"));
	free(text);
	free(line);
	eventlog_observe(t.log, NULL, NULL);
	hooks_free(h);
	eventlog_close(t.log);
	loop_free(l);
	config_free(&c);
	free(cmd);
	free(out);
	unsetenv("PGPASSWORD");
	scrub_forget();
	test_tmpdir_remove(dir);
}

static void
test_hooks_no_recursion(void **state)
{
	char *dir = test_tmpdir(), *path, *text, *p;
	struct hook_test t = { NULL, 0, 0 };
	struct err e = { 0, "" };
	struct config c;
	struct hooks *h;
	struct loop *l;
	int lines = 0;

	(void)state;
	config_defaults(&c);
	c.hooks_timeout_seconds = 0.3;
	c.hooks = xcalloc(3, sizeof *c.hooks);
	c.hooks[0].kind = xstrdup("any");
	c.hooks[0].command = xstrdup("echo failing; exit 1");
	c.hooks[1].kind = xstrdup("hook.failed");
	c.hooks[1].command = xstrdup("exit 2");
	c.hooks[2].kind = xstrdup("error");
	c.hooks[2].command = xstrdup("sleep 30");
	c.nhooks = 3;
	l = loop_new();
	assert_int_equal(eventlog_open(&t.log, dir, "staging", &e), 0);
	h = hooks_new(l, &c, NULL, log_outcome, &t);
	eventlog_observe(t.log, hooks_observer, h);
	assert_true(eventlog_append(t.log, "phase.failed", "drain", NULL, &e,
	    "drain failed") > 0);
	hooks_drain(h, 20000);
	assert_true(hooks_idle(h));
	/* phase.failed runs `any` (fails) and `error` (times out); each
	 * hook.failed runs the hook.failed hook once (fails, nested); the
	 * nested outcomes set off nothing. */
	assert_int_equal(t.outcomes, 4);
	assert_int_equal(t.failed, 4);
	path = xasprintf("%s/events.jsonl", dir);
	text = read_file(path);
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 5);
	assert_non_null(strstr(text, "timed out after 0.3 s"));
	assert_non_null(strstr(text, "\"output\":\"failing\""));
	assert_non_null(strstr(text, "\"nested\":true"));
	free(text);
	free(path);
	eventlog_observe(t.log, NULL, NULL);
	hooks_free(h);
	eventlog_close(t.log);
	loop_free(l);
	config_free(&c);
	test_tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_proc_output_input_exit),
		cmocka_unit_test(test_proc_timeout_kills_group),
		cmocka_unit_test(test_proc_inherits_nothing_reaps_only_its_own),
		cmocka_unit_test(test_hooks_config),
		cmocka_unit_test(test_hooks_run_in_order_with_env),
		cmocka_unit_test(test_hooks_no_recursion),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
