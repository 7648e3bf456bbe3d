/* step-switch.c - pointing the application at the target, and back:
 *   pgbouncer  rewrite the database entry in the file pgbouncer.ini
 *              %includes, RELOAD, RESUME;
 *   command    run [switch] command with CUTOVER_* variables (never
 *              passwords), judged by its exit status, its output logged.
 * Then the run is switched and the switch timeout stops. */
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

char *
pgbouncer_target_entry(const struct config *cfg)
{
	PQconninfoOption *opts, *o;
	struct strbuf sb;
	char *msg = NULL;

	if (cfg->pgbouncer_target != NULL)
		return xstrdup(cfg->pgbouncer_target);
	sb_init(&sb);
	opts = PQconninfoParse(cfg->target_conninfo, &msg);
	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 ||
		    strcmp(o->keyword, "port") == 0 ||
		    strcmp(o->keyword, "dbname") == 0)
			sb_printf(&sb, "%s%s=%s", sb.len ? " " : "", o->keyword, o->val);
	}
	PQconninfoFree(opts);
	PQfreemem(msg);
	return sb_detach(&sb);
}

/* Finds "db = value" in the file; returns the value (trimmed) and the
 * line's byte range, or NULL. */
static char *
entry_find(const char *text, const char *db, size_t *start, size_t *end)
{
	const char *p = text, *nl, *eq;
	size_t dblen = strlen(db);

	while (*p != '\0') {
		const char *q = p;

		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(nl - q) > dblen && strncmp(q, db, dblen) == 0) {
			eq = q + dblen;
			while (eq < nl && (*eq == ' ' || *eq == '\t'))
				eq++;
			if (eq < nl && *eq == '=') {
				char *v = xstrndup(eq + 1, (size_t)(nl - eq - 1));
				char *t = xstrdup(str_trim(v));

				free(v);
				*start = (size_t)(p - text);
				*end = (size_t)(nl - text);
				return t;
			}
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return NULL;
}

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
	if ((old = entry_find(text, db, &a, &b)) == NULL) {
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

static const char *
wanted_entry(struct orch *o, char **owned)
{
	/* Forward: the target; in a rollback: what the entry was. */
	if (o->rolling_back) {
		*owned = NULL;
		return o->st.pgbouncer_original;
	}
	*owned = pgbouncer_target_entry(o->cfg);
	return *owned;
}

static int
repoint(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	const char *path = o->cfg->pgbouncer_databases_file;
	const char *db = o->cfg->pgbouncer_database;
	char *text, *cur, *owned, *detail;
	const char *want;
	size_t len, a, b;

	(void)prev;
	if (file_read_all(path, 1 << 20, &text, &len) != 0)
		return flow_fail(f, EXIT_RUNTIME, "%s: cannot read: %s", path,
		    strerror(errno));
	cur = entry_find(text, db, &a, &b);
	free(text);
	if (cur == NULL)
		return flow_fail(f, EXIT_RUNTIME, "%s: no entry for database %s",
		    path, db);
	if (!o->rolling_back && o->st.pgbouncer_original == NULL) {
		/* Kept before the file changes: the way back. */
		o->st.pgbouncer_original = xstrdup(cur);
		if (orch_save(f) != 0) {
			free(cur);
			return FLOW_FAIL;
		}
	}
	want = wanted_entry(o, &owned);
	if (want == NULL) {
		free(cur);
		return flow_fail(f, EXIT_RUNTIME, "the original pgbouncer entry is "
		    "not in the state: cannot point %s back", db);
	}
	if (strcmp(cur, want) == 0) {
		free(cur);
		free(owned);
		if (orch_already(f, "pgbouncer entry points there") != 0)
			return FLOW_FAIL;
		return FLOW_NEXT;
	}
	detail = xasprintf("%s: %s = %s (was: %s)", path, db, want, cur);
	free(cur);
	if (orch_act(f, o->rolling_back ? "point the application's database "
	    "entry back at the source" : "point the application's database "
	    "entry at the target", detail) != 0 ||
	    entry_write(path, db, want, &f->e) != 0) {
		free(detail);
		free(owned);
		return FLOW_FAIL;
	}
	free(detail);
	free(owned);
	return FLOW_NEXT;
}

/* SHOW DATABASES says where the entry points now. */
static int
reload_look(struct flow *f, PGresult *prev)
{
	(void)prev;
	return flow_query_simple(f, O(f)->bouncer, "SHOW DATABASES");
}

static bool
entry_matches(const PGresult *res, const char *db, const char *want)
{
	PQconninfoOption *opts, *op;
	int r, hc = PQfnumber(res, "host"), pc = PQfnumber(res, "port");
	int dc = PQfnumber(res, "database"), nc = PQfnumber(res, "name");
	char *msg = NULL;
	bool ok = true;

	for (r = 0; r < PQntuples(res); r++)
		if (nc >= 0 && strcmp(PQgetvalue(res, r, nc), db) == 0)
			break;
	if (r == PQntuples(res))
		return false;
	opts = PQconninfoParse(want, &msg);
	for (op = opts; op != NULL && op->keyword != NULL; op++) {
		int col = strcmp(op->keyword, "host") == 0 ? hc :
		    strcmp(op->keyword, "port") == 0 ? pc :
		    strcmp(op->keyword, "dbname") == 0 ? dc : -1;

		if (col >= 0 && op->val != NULL && *op->val != '\0' &&
		    strcmp(PQgetvalue(res, r, col), op->val) != 0)
			ok = false;
	}
	PQconninfoFree(opts);
	PQfreemem(msg);
	return ok;
}

static int
reload_act(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *owned;
	const char *want = wanted_entry(o, &owned);
	bool there = want != NULL && entry_matches(prev, o->cfg->pgbouncer_database,
	    want);

	free(owned);
	if (there) {
		if (orch_already(f, "pgbouncer uses the new entry") != 0)
			return FLOW_FAIL;
		f->pc += 2;	/* skip the verification */
		return FLOW_NEXT;
	}
	if (orch_act(f, "reload pgbouncer's configuration", "RELOAD") != 0)
		return FLOW_FAIL;
	return flow_query_simple(f, o->bouncer, "RELOAD");
}

static int
reload_verify(struct flow *f, PGresult *prev)
{
	(void)prev;
	return flow_query_simple(f, O(f)->bouncer, "SHOW DATABASES");
}

static int
reload_done(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);
	char *owned;
	const char *want = wanted_entry(o, &owned);
	bool there = entry_matches(prev, o->cfg->pgbouncer_database, want);

	free(owned);
	if (!there)
		return flow_fail(f, EXIT_RUNTIME, "pgbouncer still routes %s "
		    "elsewhere after RELOAD (is %s the file pgbouncer.ini "
		    "includes?)", o->cfg->pgbouncer_database,
		    o->cfg->pgbouncer_databases_file);
	return FLOW_NEXT;
}

static void
repoint_describe(struct orch *o, struct strbuf *out)
{
	char *owned;
	const char *want = wanted_entry(o, &owned);

	sb_printf(out, "rewrite %s: %s = %s\npgbouncer: RELOAD (and check SHOW "
	    "DATABASES)\n", o->cfg->pgbouncer_databases_file != NULL ?
	    o->cfg->pgbouncer_databases_file : "<pgbouncer_databases_file>",
	    o->cfg->pgbouncer_database, want != NULL ? want :
	    "<the entry before the switch>");
	free(owned);
}

static bool
switch_pgbouncer(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_PGBOUNCER &&
	    (!o->rolling_back || o->st.switched);
}

static const flow_step repoint_flow[] = { repoint, reload_look, reload_act,
	reload_verify, reload_done, NULL };
const struct step step_pgbouncer_repoint = { "pgbouncer.repoint",
	switch_pgbouncer, repoint_describe, repoint_flow };

/* ------------------------------------------------------------ command */

char *
conninfo_without_password(const char *conninfo)
{
	PQconninfoOption *opts, *o;
	struct strbuf sb;
	char *msg = NULL;
	const char *p;

	sb_init(&sb);
	opts = PQconninfoParse(conninfo, &msg);
	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0' ||
		    strcmp(o->keyword, "password") == 0 ||
		    strcmp(o->keyword, "sslpassword") == 0)
			continue;
		sb_printf(&sb, "%s%s='", sb.len ? " " : "", o->keyword);
		for (p = o->val; *p != '\0'; p++) {
			if (*p == '\'' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '\'');
	}
	PQconninfoFree(opts);
	PQfreemem(msg);
	return sb_detach(&sb);
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
	env[n++] = xasprintf("CUTOVER_SWITCH_DIRECTION=%s", o->rolling_back ?
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

static void cmd_check(struct orch *o);

static void
on_child_output(struct loop_io *io, int fd, int revents, void *arg)
{
	struct orch *o = arg;
	char buf[4096];
	ssize_t n;

	(void)io;
	(void)revents;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		if (o->child_out.len < CHILD_OUTPUT_MAX)
			sb_add(&o->child_out, buf, (size_t)n);
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(fd);
	loop_io_remove(o->child_io);
	o->child_io = NULL;
	o->child_eof = true;
	cmd_check(o);
}

/* Called on output EOF and on SIGCHLD (via a short poll timer). */
static void
cmd_poll(struct loop_timer *t, void *arg)
{
	struct orch *o = arg;

	(void)t;
	o->child_timer = NULL;
	orch_child_reap(o);
	cmd_check(o);
}

static void
cmd_check(struct orch *o)
{
	struct err e = { 0, "" };
	struct strbuf clean;
	cJSON *d;
	int status;

	if (!o->child_exited || !o->child_eof) {
		if (o->child_timer == NULL)
			o->child_timer = loop_timer_add(o->loop, 50, cmd_poll, o);
		return;
	}
	status = o->child_status;
	o->child = 0;
	sb_init(&clean);
	if (o->child_out.buf != NULL) {
		struct strbuf scrubbed;

		/* What goes to the log (and to every watcher) has what looks
		 * like a secret taken out. */
		sb_init(&scrubbed);
		secrets_scrub(&scrubbed, o->child_out.buf, o->child_out.len);
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
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
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
	struct orch *o = O(f);
	char *src = conninfo_without_password(o->cfg->source_conninfo);
	char *dst = conninfo_without_password(o->cfg->target_conninfo);
	int fds[2];
	pid_t pid;

	char **env;

	(void)prev;
	/* Built before fork(): the child only calls async-signal-safe
	 * functions. */
	env = child_env(o, src, dst);
	if (orch_act(f, o->rolling_back ? "run the switch command to point the "
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
	o->child = pid;
	o->child_exited = o->child_eof = false;
	sb_reset(&o->child_out);
	o->child_io = loop_io_add(o->loop, fds[0], POLLIN, on_child_output, o);
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
	    o->rolling_back ? "back" : "forward");
}

static bool
switch_command(struct orch *o)
{
	return o->cfg->switch_method == SWITCH_COMMAND &&
	    (!o->rolling_back || o->st.switched || o->st.phase == PHASE_SWITCH);
}

static const flow_step cmd_flow[] = { cmd_run, NULL };
const struct step step_switch_command = { "switch.command", switch_command,
	cmd_describe, cmd_flow };

/* ----------------------------------------------------------- switched */

static int
switched(struct flow *f, PGresult *prev)
{
	struct orch *o = O(f);

	(void)prev;
	if (o->rolling_back) {
		o->st.switched = false;
		if (orch_save(f) != 0)
			return FLOW_FAIL;
		return orch_log(o, "check", NULL, &f->e, "the application points at "
		    "the source again") ? FLOW_FAIL : FLOW_NEXT;
	}
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

static bool
switched_applies(struct orch *o)
{
	return !o->rolling_back || o->st.switched;
}

static const flow_step switched_flow[] = { switched, NULL };
const struct step step_switched = { "switch.done", switched_applies, NULL,
	switched_flow };
