/* step-switch.c - pointing the application at the target, and back:
 *   pgbouncer  rewrite the database entry in the file pgbouncer.ini
 *              %includes, RELOAD, RESUME;
 *   command    run [switch] command with PATH, HOME, LANG and CUTOVER_*
 *              variables only (never passwords), judged by its exit
 *              status, its output (scrubbed of secrets) logged.
 * Before the first effect the state records that the switch began
 * (write-ahead): from then on a rollback looks where the entry points,
 * in the file and live, and what the command reported. The forward and
 * back variants are separate steps. Then the run is switched, once the
 * live world shows it, and the switch timeout stops. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "fileio.h"
#include "orch-internal.h"

#define CHILD_OUTPUT_MAX 16384

/* ------------------------------------------------------ pgbouncer file */

/* Rewrites the entry of db to value through the one safe atomic write,
 * keeping the file's mode and owner (pgbouncer runs as another user and
 * must still read it). */
static int
entry_write(const char *path, const char *db, const char *value,
    struct err *e)
{
	char *text, *old;
	size_t len, a, b;
	struct strbuf sb;
	int rc;

	if (file_read_all(path, 1 << 20, &text, &len) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", path,
		    strerror(errno));
	if ((old = pgbouncer_file_entry(text, db, &a, &b)) == NULL) {
		free(text);
		return err_set(e, EXIT_RUNTIME, "%s: no entry for database %s",
		    path, db);
	}
	free(old);
	sb_init(&sb);
	sb_add(&sb, text, a);
	sb_printf(&sb, "%s = %s", db, value);
	sb_puts(&sb, text + b);
	free(text);
	rc = file_rewrite(path, sb.buf, sb.len, e);
	sb_free(&sb);
	return rc;
}

/* Whether SHOW DATABASES routes db to want (the keys want names). */
static bool
entry_matches(const PGresult *res, const char *db, const char *want)
{
	int r = pgbouncer_show_row(res, db);
	char *live;
	bool ok;

	if (r < 0 || want == NULL)
		return false;
	live = pgbouncer_show_entry(res, r);
	ok = pgbouncer_entry_equal(live, want);
	free(live);
	return ok;
}

static bool
back(const struct orch *o)
{
	return o->step != NULL && o->step->side == SIDE_TARGET;
}

/* Forward: the target; back: what the entry was before the switch. */
static char *
wanted_entry(struct orch *o)
{
	if (back(o))
		return o->st.pgbouncer_original != NULL ?
		    xstrdup(o->st.pgbouncer_original) : NULL;
	return pgbouncer_target_entry(o->cfg);
}

static int
repoint(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *path = o->cfg->pgbouncer_databases_file;
	const char *db = o->cfg->pgbouncer_database;
	char *text, *cur, *want, *detail;
	size_t len, a, b;

	(void)prev;
	if (file_read_all(path, 1 << 20, &text, &len) != 0)
		return flow_fail(f, EXIT_RUNTIME, "%s: cannot read: %s", path,
		    strerror(errno));
	cur = pgbouncer_file_entry(text, db, &a, &b);
	free(text);
	if (cur == NULL)
		return flow_fail(f, EXIT_RUNTIME, "%s: no entry for database %s",
		    path, db);
	if (!back(o) && o->st.pgbouncer_original == NULL) {
		/* Kept before the file changes: the way back. */
		o->st.pgbouncer_original = xstrdup(cur);
		if (orch_save(f) != 0) {
			free(cur);
			return FLOW_FAIL;
		}
	}
	if ((want = wanted_entry(o)) == NULL) {
		free(cur);
		return flow_fail(f, EXIT_RUNTIME, "the original pgbouncer entry is "
		    "not in the state: cannot point %s back", db);
	}
	if (pgbouncer_entry_equal(cur, want)) {
		free(cur);
		free(want);
		if (orch_already(f, back(o) ? "the entry file points at the source" :
		    "the entry file points at the target") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	if (!back(o) && o->st.switch_begun_at == 0)
		o->st.switch_begun_at = now_ms();	/* saved by orch_act */
	detail = xasprintf("%s: %s = %s (was: %s)", path, db, want, cur);
	free(cur);
	if (orch_act(f, back(o) ? "point the application's database entry "
	    "back at the source (the file)" : "point the application's database "
	    "entry at the target (the file)", detail) != 0 ||
	    entry_write(path, db, want, &f->e) != 0) {
		free(detail);
		free(want);
		return FLOW_FAIL;
	}
	free(detail);
	free(want);
	return FLOW_NEXT;
}

/* SHOW DATABASES says where the entry points now: before the RELOAD,
 * and after it to verify. */
static int
show_databases(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

/* Whether SHOW DATABASES (res) has the entry this direction wants. */
static bool
entry_is_wanted(struct orch *o, PGresult *res)
{
	char *want = wanted_entry(o);
	bool there = entry_matches(res, o->cfg->pgbouncer_database, want);

	free(want);
	return there;
}

static int
reload_act(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (entry_is_wanted(o, prev)) {
		if (orch_already(f, "pgbouncer uses that entry") != 0)
			return FLOW_FAIL;
		f->pc += 2;	/* skip the verification */
		return FLOW_NEXT;
	}
	if (!back(o) && o->st.switch_begun_at == 0)
		o->st.switch_begun_at = now_ms();	/* saved by orch_act */
	if (orch_act(f, "reload pgbouncer's configuration", "RELOAD") != 0)
		return FLOW_FAIL;
	return flow_query_simple(f, o->bouncer, "RELOAD");
}

static int
reload_done(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	if (!entry_is_wanted(o, prev))
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer still routes %s "
		    "elsewhere after RELOAD (is %s the file pgbouncer.ini "
		    "includes?)", o->cfg->pgbouncer_database,
		    o->cfg->pgbouncer_databases_file);
	return FLOW_NEXT;
}

/* Back: the claim is checked, file and live, before it is logged. */
static int
back_checked(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (!back(o))
		return FLOW_NEXT;
	return orch_log(o, "check", NULL, &f->e, "pgbouncer's entry points at "
	    "the source again, in %s and live (SHOW DATABASES)",
	    o->cfg->pgbouncer_databases_file) != 0 ? FLOW_FAIL : FLOW_NEXT;
}

static void
repoint_describe(struct orch *o, struct strbuf *out)
{
	char *want = wanted_entry(o);

	sb_printf(out, "rewrite %s: %s = %s\npgbouncer: RELOAD (and check SHOW "
	    "DATABASES)\n", o->cfg->pgbouncer_databases_file != NULL ?
	    o->cfg->pgbouncer_databases_file : "<pgbouncer_databases_file>",
	    o->cfg->pgbouncer_database, want != NULL ? want :
	    "<the entry before the switch>");
	free(want);
}

static bool
switch_pgbouncer(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_PGBOUNCER;
}

/* Back whenever the switch began: the file or the live entry may point
 * at the target whatever a crash left (the flow looks at both). */
static bool
switch_pgbouncer_back(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_PGBOUNCER &&
	    (o->st.switch_begun_at != 0 || o->st.switched ||
	    o->st.pgbouncer_original != NULL);
}

static const flow_step repoint_flow[] = { repoint, show_databases,
	reload_act, show_databases, reload_done, back_checked, NULL };
const struct step step_pgbouncer_repoint = { "pgbouncer.repoint",
	switch_pgbouncer, repoint_describe, repoint_flow, SIDE_SOURCE, false, NULL };
const struct step step_pgbouncer_repoint_back = { "pgbouncer.repoint",
	switch_pgbouncer_back, repoint_describe, repoint_flow, SIDE_TARGET,
	false, NULL };

/* ------------------------------------------------------------ command */

/* What the switch command gets in CUTOVER_SOURCE/TARGET_CONNINFO: no
 * password, every value quoted; "" when libpq cannot parse it. */
static char *
conninfo_for_command(const char *conninfo)
{
	char *s = conninfo_safe(conninfo, CONNINFO_DROP_SECRETS |
	    CONNINFO_QUOTE_ALL);

	return s != NULL ? s : xstrdup("");
}

/* The command's whole environment: PATH, HOME, LANG, the locale, the
 * caller's CUTOVER_* variables and ours. Nothing else: not PGPASSWORD,
 * not AWS_SECRET_ACCESS_KEY, not whatever else the driver's shell holds. */
static char **
child_env(struct orch *o, const char *src, const char *dst)
{
	static const char *const keep[] = { "HOME", "LANG", "LC_ALL",
	    "LC_CTYPE", "TZ", "USER", "LOGNAME" };
	extern char **environ;
	const char *path = getenv("PATH");
	char **env = xcalloc(32 + ARRAY_SIZE(keep), sizeof *env), **p;
	size_t n = 0, i;

	env[n++] = xasprintf("PATH=%s", path != NULL && *path != '\0' ? path :
	    "/usr/local/bin:/usr/bin:/bin");
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		if (getenv(keep[i]) != NULL)
			env[n++] = xasprintf("%s=%s", keep[i], getenv(keep[i]));
	for (p = environ; p != NULL && *p != NULL && n < 24; p++)
		if (str_startswith(*p, "CUTOVER_") &&
		    !str_startswith(*p, "CUTOVER_SOURCE_CONNINFO=") &&
		    !str_startswith(*p, "CUTOVER_TARGET_CONNINFO=") &&
		    !str_startswith(*p, "CUTOVER_ENVIRONMENT=") &&
		    !str_startswith(*p, "CUTOVER_RUN_ID=") &&
		    !str_startswith(*p, "CUTOVER_SWITCH_DIRECTION="))
			env[n++] = xstrdup(*p);
	env[n++] = xasprintf("CUTOVER_SOURCE_CONNINFO=%s", src);
	env[n++] = xasprintf("CUTOVER_TARGET_CONNINFO=%s", dst);
	env[n++] = xasprintf("CUTOVER_ENVIRONMENT=%s", o->cfg->environment);
	env[n++] = xasprintf("CUTOVER_RUN_ID=%s", o->st.run_id);
	env[n++] = xasprintf("CUTOVER_SWITCH_DIRECTION=%s", back(o) ?
	    "back" : "forward");
	env[n] = NULL;
	return env;
}

static void
child_env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* The switch command running: its process group, its output, and how
 * it ended. */
struct cmd_child {
	struct orch *o;
	pid_t pid;
	struct loop_io *io;
	struct strbuf out;
	int status;
	bool exited, eof;
	struct loop_timer *poll;
};

/* SIGCHLD (through the loop): reaps this child only; hooks (proc.c) and
 * a credential_process have children of their own. */
static void
cmd_reap(void *data)
{
	struct cmd_child *c = data;
	int status;
	pid_t pid;

	if (c->pid <= 0 || c->exited)
		return;
	while ((pid = waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (pid == c->pid) {
		c->status = status;
		c->exited = true;
	}
}

/* The step ends (done, a timeout, the rollback hotkey): a command still
 * running is killed, its group first, and reaped. */
static void
cmd_cancel(void *data)
{
	struct cmd_child *c = data;

	if (c->pid > 0 && !c->exited) {
		int status;

		kill(-c->pid, SIGTERM);
		kill(c->pid, SIGTERM);
		usleep(100000);
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (c->io != NULL) {
		close(loop_io_fd(c->io));
		loop_io_remove(c->io);
	}
	if (c->poll != NULL)
		loop_timer_cancel(c->poll);
	sb_free(&c->out);
}

static const struct step_data_def cmd_data = {
	sizeof (struct cmd_child), cmd_cancel, cmd_reap
};

static void cmd_check(struct cmd_child *c);

static void
on_child_output(struct loop_io *io, int fd, int revents, void *arg)
{
	struct cmd_child *c = arg;
	char buf[4096];
	ssize_t n;

	(void)io;
	(void)revents;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		if (c->out.len < CHILD_OUTPUT_MAX)
			sb_add(&c->out, buf, (size_t)n);
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(fd);
	loop_io_remove(c->io);
	c->io = NULL;
	c->eof = true;
	cmd_check(c);
}

/* Called on output EOF and on SIGCHLD (via a short poll timer). */
static void
cmd_poll(struct loop_timer *t, void *arg)
{
	struct cmd_child *c = arg;

	(void)t;
	c->poll = NULL;
	cmd_reap(c);
	cmd_check(c);
}

/* Ends the step once the command exited and its output is read: c is
 * freed by then. */
static void
cmd_check(struct cmd_child *c)
{
	struct orch *o = c->o;
	struct err e = { 0, "" };
	struct strbuf clean;
	cJSON *d;
	int status;

	if (!c->exited || !c->eof) {
		if (c->poll == NULL)
			c->poll = loop_timer_add(o->loop, 50, cmd_poll, c);
		return;
	}
	status = c->status;
	c->pid = 0;
	sb_init(&clean);
	if (c->out.buf != NULL) {
		struct strbuf scrubbed;

		/* What goes to the log (and to every watcher) has what looks
		 * like a secret taken out. */
		sb_init(&scrubbed);
		secrets_scrub(&scrubbed, c->out.buf, c->out.len);
		if (scrubbed.buf != NULL)
			utf8_sanitize(&clean, scrubbed.buf, scrubbed.len);
		sb_free(&scrubbed);
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "step", o->step != NULL ? o->step->name : "?");
	cJSON_AddStringToObject(d, "output", clean.buf != NULL ? clean.buf : "");
	if (WIFEXITED(status))
		cJSON_AddNumberToObject(d, "exit_status", WEXITSTATUS(status));
	orch_log(o, "action.output", d, NULL, "the switch command %s",
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "succeeded" : "failed");
	sb_free(&clean);
	/* What it reported is what a rollback decides from. */
	{
		char *what = xasprintf("%s %s", back(o) ? "back" : "forward",
		    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "succeeded" :
		    "failed");

		state_set(&o->st.switch_command, what);
		free(what);
	}
	if (orch_state_save(o, &e) != 0) {
		flow_continue(o->flow, -1, &e);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		flow_continue(o->flow, 0, &e);
	} else {
		err_set(&e, EXIT_RUNTIME, "the switch command %s %d",
		    WIFEXITED(status) ? "exited with status" : "was killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		flow_continue(o->flow, -1, &e);
	}
}

static int
cmd_run(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	struct cmd_child *c = orch_step_data(o);
	char *src = conninfo_for_command(o->cfg->source_conninfo);
	char *dst = conninfo_for_command(o->cfg->target_conninfo);
	int fds[2];
	pid_t pid;

	char **env;

	(void)prev;
	/* What it reported is the look: a command that said it succeeded
	 * (before a crash) is not run again. */
	if (streq(o->st.switch_command, back(o) ? "back succeeded" :
	    "forward succeeded")) {
		free(src);
		free(dst);
		if (orch_already(f, "the switch command reported success") != 0)
			return FLOW_FAIL;
		return FLOW_DONE;
	}
	/* Built before fork(): the child only calls async-signal-safe
	 * functions. */
	env = child_env(o, src, dst);
	/* Recorded before it runs: from here a rollback runs it back. */
	state_set(&o->st.switch_command, back(o) ? "back started" :
	    "forward started");
	if (!back(o) && o->st.switch_begun_at == 0)
		o->st.switch_begun_at = now_ms();
	if (orch_act(f, back(o) ? "run the switch command to point the "
	    "application back at the source" : "run the switch command",
	    o->cfg->switch_command) != 0 || pipe(fds) != 0) {
		child_env_free(env);
		free(src);
		free(dst);
		return FLOW_FAIL;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		child_env_free(env);
		free(src);
		free(dst);
		return flow_fail(f, EXIT_RUNTIME, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		signal(SIGPIPE, SIG_DFL);
		execle("/bin/sh", "sh", "-c", o->cfg->switch_command, (char *)NULL,
		    env);
		_exit(127);
	}
	child_env_free(env);
	free(src);
	free(dst);
	close(fds[1]);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	c->o = o;
	c->pid = pid;
	c->io = loop_io_add(o->loop, fds[0], POLLIN, on_child_output, c);
	return flow_wait_external(f);
}

static void
cmd_describe(struct orch *o, struct strbuf *out)
{
	sb_printf(out, "run: %s (in an environment of PATH, HOME, LANG and "
	    "CUTOVER_* only: CUTOVER_SWITCH_DIRECTION=%s, "
	    "CUTOVER_TARGET_CONNINFO, CUTOVER_SOURCE_CONNINFO, "
	    "CUTOVER_ENVIRONMENT, CUTOVER_RUN_ID; judged by its exit status)\n",
	    o->cfg->switch_command != NULL ? o->cfg->switch_command : "<command>",
	    back(o) ? "back" : "forward");
}

static bool
switch_command(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_COMMAND;
}

/* Back once the command ran in any direction (it must be idempotent: a
 * crash while it ran leaves its outcome unknown). */
static bool
switch_command_back(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_COMMAND &&
	    (o->st.switch_command != NULL || o->st.switched);
}

static const flow_step cmd_flow[] = { cmd_run, NULL };
const struct step step_switch_command = { "switch.command", switch_command,
	cmd_describe, cmd_flow, SIDE_SOURCE, false, &cmd_data };
const struct step step_switch_command_back = { "switch.command",
	switch_command_back, cmd_describe, cmd_flow, SIDE_TARGET, false,
	&cmd_data };

/* ----------------------------------------------------------- switched */

/* The run is switched once the live world shows it: pgbouncer routes the
 * application to the target and lets it in, or the command said so. */
static int
switched_look(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;

	(void)prev;
	if (o->cfg->switch_method != SWITCH_PGBOUNCER &&
	    o->cfg->drain_method != DRAIN_PGBOUNCER)
		return FLOW_NEXT;
	return flow_query_simple(f, o->bouncer, "SHOW DATABASES");
}

static int
switched(struct flow *f, PGresult *prev)
{
	struct orch *o = f->ctx;
	const char *db = o->cfg->pgbouncer_database;

	if (prev != NULL) {
		int r = pgbouncer_show_row(prev, db), pc = PQfnumber(prev, "paused");
		char *want = pgbouncer_target_entry(o->cfg);
		bool there = entry_matches(prev, db, want);

		free(want);
		if (r < 0 || (pc >= 0 && strcmp(PQgetvalue(prev, r, pc), "1") == 0))
			return flow_fail(f, EXIT_RUNTIME, "pgbouncer's %s is still "
			    "paused: the application is not let in", db);
		if (o->cfg->switch_method == SWITCH_PGBOUNCER && !there)
			return flow_fail(f, EXIT_RUNTIME, "pgbouncer does not route %s "
			    "to the target", db);
	}
	if (o->cfg->switch_method == SWITCH_COMMAND &&
	    !streq(o->st.switch_command, "forward succeeded"))
		return flow_fail(f, EXIT_RUNTIME, "the switch command did not "
		    "report success");
	if (o->st.switched)
		return FLOW_NEXT;
	o->st.switched = true;
	o->st.switched_at = now_ms();
	if (orch_save(f) != 0)
		return FLOW_FAIL;
	orch_switch_window_changed(o);
	{
		cJSON *d = cJSON_CreateObject();

		cJSON_AddNumberToObject(d, "pause_seconds",
		    (double)(o->st.switched_at - o->st.fenced_at) / 1000.0);
		if (orch_log(o, "run.switched", d, &f->e, "the application writes "
		    "to the target; the write pause lasted %.3f s",
		    (double)(o->st.switched_at - o->st.fenced_at) / 1000.0) != 0)
			return FLOW_FAIL;
	}
	return FLOW_NEXT;
}

static const flow_step switched_flow[] = { switched_look, switched, NULL };
const struct step step_switched = { "switch.done", NULL, NULL,
	switched_flow, SIDE_SOURCE, false, NULL };
