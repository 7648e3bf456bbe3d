/* lab.c - the lab's directory, lab.json, and the processes it starts:
 * always as the unprivileged lab user, never holding our descriptors, and
 * stopped by pid with a zombie counted as stopped (PID 1 may not reap). */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "jsonin.h"
#include "lab.h"

static const char *const state_names[] = { "none", "building", "up", "failed" };

const char *
lab_state_name(enum lab_state s)
{
	return state_names[s];
}

const char *
lab_side_name(enum lab_side side)
{
	return side == LAB_SOURCE ? "source" : "target";
}

int
lab_side_port(const struct lab *lab, enum lab_side side)
{
	return side == LAB_SOURCE ? lab->source_port : lab->target_port;
}

char *
lab_path(const struct lab *lab, const char *rel)
{
	return xasprintf("%s/%s", lab->dir, rel);
}

void
lab_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* An absolute path without trailing slashes; the directory itself need
 * not exist. */
static char *
absolute_dir(const char *dir)
{
	char cwd[4096];
	char *p;
	size_t n;

	if (dir[0] == '/')
		p = xstrdup(dir);
	else if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	else if (strcmp(dir, ".") == 0)
		p = xstrdup(cwd);
	else
		p = xasprintf("%s/%s", cwd, str_startswith(dir, "./") ? dir + 2 :
		    dir);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

static int
resolve_user(struct lab *lab, const char *name, struct err *e)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		if ((pw = getpwuid(geteuid())) == NULL)
			return err_set(e, EXIT_RUNTIME,
			    "cannot find the user of uid %ld", (long)geteuid());
		lab->switch_user = false;
	} else {
		if (name != NULL) {
			pw = getpwnam(name);
			if (pw == NULL)
				return err_set(e, EXIT_USAGE,
				    "the lab user '%s' does not exist (CUTOVER_LAB_USER, "
				    "or the user the lab was built with)", name);
		} else if ((pw = getpwnam("postgres")) == NULL &&
		    (pw = getpwnam("nobody")) == NULL)
			return err_set(e, EXIT_RUNTIME,
			    "running as root, the lab needs an unprivileged user to run "
			    "the servers as, but neither postgres nor nobody exists; "
			    "set CUTOVER_LAB_USER");
		if (pw->pw_uid == 0)
			return err_set(e, EXIT_USAGE,
			    "the lab user '%s' is root: initdb and pgbouncer refuse to "
			    "run as root; set CUTOVER_LAB_USER to an unprivileged user",
			    pw->pw_name);
		lab->switch_user = true;
	}
	free(lab->user);
	lab->user = xstrdup(pw->pw_name);
	lab->uid = pw->pw_uid;
	lab->gid = pw->pw_gid;
	return 0;
}

static int
json_port(const cJSON *o, const char *key)
{
	return (int)json_int(cJSON_GetObjectItemCaseSensitive(o, key), "port", 0);
}

static int
lab_read(struct lab *lab, struct err *e)
{
	char *path = lab_path(lab, LAB_FILE), *buf;
	const char *s;
	size_t len, i;
	cJSON *o;

	if (file_read_all(path, 1 << 20, &buf, &len) != 0) {
		if (errno == ENOENT) {
			free(path);
			lab->state = LAB_NONE;
			return 0;
		}
		err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	o = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!cJSON_IsObject(o) || json_int(o, "version", 0) != 1) {
		cJSON_Delete(o);
		err_set(e, EXIT_RUNTIME, "%s: not a lab description this version "
		    "of cutover reads", path);
		free(path);
		return -1;
	}
	free(path);
	lab->state = LAB_FAILED;
	if ((s = json_str(o, "state")) != NULL)
		for (i = 0; i < ARRAY_SIZE(state_names); i++)
			if (strcmp(s, state_names[i]) == 0)
				lab->state = (enum lab_state)i;
	lab->step = json_strdup(o, "step");
	lab->error = json_strdup(o, "error");
	lab->builder = (pid_t)json_int(o, "builder_pid", 0);
	lab->created_ms = time_parse_rfc3339(json_str(o, "created_at") != NULL ?
	    json_str(o, "created_at") : "");
	lab->ready_ms = json_str(o, "ready_at") != NULL ?
	    time_parse_rfc3339(json_str(o, "ready_at")) : 0;
	lab->rows = json_int(o, "rows", 0);
	lab->accounts = json_int(o, "accounts", 0);
	lab->total_balance = json_strdup(o, "total_balance");
	lab->source_port = json_port(o, "source");
	lab->target_port = json_port(o, "target");
	lab->bouncer_port = json_port(o, "pgbouncer");
	free(lab->provider);
	lab->provider = xstrdup(json_str(o, "provider") != NULL ?
	    json_str(o, "provider") : "postgres");
	lab->dms_port = json_port(o, "dms");
	/* The processes keep running as the user the lab was built with. */
	if ((s = json_str(o, "user")) != NULL && geteuid() == 0 &&
	    strcmp(s, lab->user) != 0 && resolve_user(lab, s, e) != 0) {
		cJSON_Delete(o);
		return -1;
	}
	cJSON_Delete(o);
	return 0;
}

int
lab_open(struct lab *lab, const char *dir, struct err *e)
{
	const char *env = getenv("PG_BINDIR");

	memset(lab, 0, sizeof *lab);
	lab->lock_fd = -1;
	if ((lab->dir = absolute_dir(dir)) == NULL)
		return err_set(e, EXIT_RUNTIME, "cannot find the current directory: %s",
		    strerror(errno));
	lab->bindir = xstrdup(env != NULL && *env != '\0' ? env : PG_BINDIR);
	env = getenv("CUTOVER_LAB_USER");
	if (resolve_user(lab, env != NULL && *env != '\0' ? env : NULL, e) != 0)
		return -1;
	return lab_read(lab, e);
}

int
lab_reload(struct lab *lab, struct err *e)
{
	free(lab->step);
	free(lab->error);
	free(lab->total_balance);
	lab->step = lab->error = lab->total_balance = NULL;
	return lab_read(lab, e);
}

void
lab_free(struct lab *lab)
{
	if (lab->lock_fd >= 0)
		close(lab->lock_fd);
	free(lab->dir);
	free(lab->bindir);
	free(lab->user);
	free(lab->step);
	free(lab->error);
	free(lab->total_balance);
	free(lab->provider);
	memset(lab, 0, sizeof *lab);
	lab->lock_fd = -1;
}

bool
lab_exists(const struct lab *lab)
{
	return lab->state != LAB_NONE;
}

static void
add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms <= 0)
		return;
	time_rfc3339(ms, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void
add_port(cJSON *o, const char *key, int port)
{
	cJSON *p = cJSON_AddObjectToObject(o, key);

	cJSON_AddNumberToObject(p, "port", port);
}

int
lab_save(const struct lab *lab, struct err *e)
{
	cJSON *o = cJSON_CreateObject();
	char *text, *path;
	int rc;

	cJSON_AddNumberToObject(o, "version", 1);
	cJSON_AddStringToObject(o, "state", lab_state_name(lab->state));
	if (lab->step != NULL)
		cJSON_AddStringToObject(o, "step", lab->step);
	if (lab->error != NULL)
		cJSON_AddStringToObject(o, "error", lab->error);
	if (lab->state == LAB_BUILDING)
		cJSON_AddNumberToObject(o, "builder_pid", lab->builder);
	add_time(o, "created_at", lab->created_ms);
	add_time(o, "ready_at", lab->ready_ms);
	cJSON_AddStringToObject(o, "user", lab->user);
	cJSON_AddNumberToObject(o, "rows", (double)lab->rows);
	cJSON_AddNumberToObject(o, "accounts", (double)lab->accounts);
	if (lab->total_balance != NULL)
		cJSON_AddStringToObject(o, "total_balance", lab->total_balance);
	add_port(o, "source", lab->source_port);
	add_port(o, "target", lab->target_port);
	add_port(o, "pgbouncer", lab->bouncer_port);
	cJSON_AddStringToObject(o, "provider", lab->provider != NULL ?
	    lab->provider : "postgres");
	if (lab_is_dms(lab))
		add_port(o, "dms", lab->dms_port);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	path = lab_path(lab, LAB_FILE);
	rc = file_write_atomic(path, text, strlen(text), 0644, e);
	free(path);
	free(text);
	return rc;
}

int
lab_lock(struct lab *lab, struct err *e)
{
	char *path = lab_path(lab, "lab.lock");

	lab->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lab->lock_fd < 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot open: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(lab->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		close(lab->lock_fd);
		lab->lock_fd = -1;
		if (errno == EWOULDBLOCK)
			return err_set(e, EXIT_CHECK, "another `cutover lab` command "
			    "(up, load or down) is working on %s; wait for it", lab->dir);
		return err_set(e, EXIT_RUNTIME, "%s/lab.lock: cannot lock: %s",
		    lab->dir, strerror(errno));
	}
	return 0;
}

/* What the lab user's processes write in goes to that user (when the
 * lab runs as root and switches to it). */
static int
give_to_user(const struct lab *lab, const char *path, struct err *e)
{
	if (lab->switch_user && chown(path, lab->uid, lab->gid) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot give it to %s: %s",
		    path, lab->user, strerror(errno));
	return 0;
}

int
lab_mkdir(const struct lab *lab, const char *rel, bool for_user,
    struct err *e)
{
	char *path = lab_path(lab, rel);
	struct stat st;
	int rc = 0;

	if (mkdir(path, for_user ? 0700 : 0755) != 0 &&
	    (errno != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = err_set(e, EXIT_RUNTIME, "%s: cannot create the directory: %s",
		    path, strerror(errno));
	else if (for_user)
		rc = give_to_user(lab, path, e);
	free(path);
	return rc;
}

int
lab_write_file(const struct lab *lab, const char *rel, const char *text,
    mode_t mode, bool for_user, struct err *e)
{
	char *path = lab_path(lab, rel);
	int rc;

	rc = file_write_atomic(path, text, strlen(text), mode, e);
	if (rc == 0 && for_user)
		rc = give_to_user(lab, path, e);
	free(path);
	return rc;
}

/* In a child: become the lab user. */
static int
drop_privileges(const struct lab *lab)
{
	if (!lab->switch_user)
		return 0;
	if (initgroups(lab->user, lab->gid) != 0 || setgid(lab->gid) != 0 ||
	    setuid(lab->uid) != 0)
		return -1;
	return 0;
}

/* In a child: close every descriptor above stderr, so that no server or
 * load ever holds our sockets, pipes or a caller's output pipe. */
static void
close_other_fds(void)
{
	int fds[1024], n = 0, i, fd;
	struct dirent *d;
	DIR *dir;
	long max;

	if ((dir = opendir("/proc/self/fd")) != NULL) {
		while ((d = readdir(dir)) != NULL && n < (int)ARRAY_SIZE(fds)) {
			fd = atoi(d->d_name);
			if (fd > 2 && fd != dirfd(dir))
				fds[n++] = fd;
		}
		closedir(dir);
		if (n < (int)ARRAY_SIZE(fds)) {
			for (i = 0; i < n; i++)
				close(fds[i]);
			return;
		}
	}
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		close(fd);
}

static void
scrub_environment(void)
{
	static const char *const vars[] = { "PGDATA", "PGHOST", "PGHOSTADDR",
		"PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS", "PGSERVICE",
		"PGSERVICEFILE", "PGSSLMODE", "PGPASSWORD", "PGPASSFILE" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

/* In a child, then exec: the lab user, in D, output to out_rel. */
static void
exec_child(const struct lab *lab, const char *const *argv,
    const char *out_rel)
{
	char *out;
	int fd;

	close_other_fds();
	scrub_environment();
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (drop_privileges(lab) != 0)
		_exit(125);
	if (chdir(lab->dir) != 0)
		_exit(124);
	out = xasprintf("%s/%s", lab->dir, out_rel);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		_exit(123);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	{
		/* execv wants char *const[]: a copy, in the child only. */
		char **v;
		size_t n = 0, i;

		while (argv[n] != NULL)
			n++;
		v = xcalloc(n + 1, sizeof *v);
		for (i = 0; i < n; i++)
			v[i] = xstrdup(argv[i]);
		execv(v[0], v);
	}
	dprintf(2, "cutover lab: cannot execute %s: %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static const char *
child_failure(int code)
{
	switch (code) {
	case 125:
		return "could not switch to the lab user";
	case 124:
		return "the lab user cannot enter the lab directory";
	case 123:
		return "the lab user cannot write the output file";
	case 127:
		return "could not execute it";
	}
	return NULL;
}

static int
wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

pid_t
lab_start(const struct lab *lab, const char *const *argv, const char *out_rel,
    struct err *e)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return err_set(e, EXIT_RUNTIME, "cannot fork for %s: %s", argv[0],
		    strerror(errno));
	if (pid == 0)
		exec_child(lab, argv, out_rel);
	return pid;
}

int
lab_wait(const struct lab *lab, pid_t pid, const char *const *argv,
    const char *out_rel, struct err *e)
{
	const char *why;
	int code;

	code = wait_status(pid);
	if (code < 0)
		return err_set(e, EXIT_RUNTIME, "%s: lost track of it: %s", argv[0],
		    strerror(errno));
	if ((why = child_failure(code)) != NULL)
		return err_set(e, EXIT_RUNTIME, "%s (as %s): %s (see %s/%s)",
		    argv[0], lab->user, why, lab->dir, out_rel);
	return code;
}

int
lab_run(const struct lab *lab, const char *const *argv, const char *out_rel,
    struct err *e)
{
	pid_t pid = lab_start(lab, argv, out_rel, e);

	if (pid < 0)
		return -1;
	return lab_wait(lab, pid, argv, out_rel, e);
}

pid_t
lab_spawn_detached(const struct lab *lab, const char *const *argv,
    const char *out_rel, const char *pid_rel, const char *status_rel,
    pid_t *monitor, struct err *e)
{
	pid_t pid, child = 0;
	int p[2], fd, code;
	ssize_t n;

	fflush(NULL);
	if (pipe(p) != 0)
		return err_set(e, EXIT_RUNTIME, "cannot create a pipe: %s",
		    strerror(errno));
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return err_set(e, EXIT_RUNTIME, "cannot fork for %s: %s", argv[0],
		    strerror(errno));
	}
	if (pid == 0) {
		/* The monitor: its own session, so that a terminal's hangup or
		 * Ctrl-C does not reach the load; waits for it and records how
		 * it ended. */
		struct err me = { 0, "" };
		char *status_path, *pid_path, *text;

		setsid();
		close(p[0]);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		if ((child = fork()) == 0) {
			close(p[1]);
			exec_child(lab, argv, out_rel);
		}
		(void)!write(p[1], &child, sizeof child);
		close(p[1]);
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		close_other_fds();
		if (child < 0)
			_exit(1);
		/* Recorded here too, so that whoever stops the lab finds it even
		 * if the command that started it died before saying so. */
		pid_path = xasprintf("%s/%s", lab->dir, pid_rel);
		text = xasprintf("%ld\n", (long)child);
		file_write_atomic(pid_path, text, strlen(text), 0644, &me);
		free(text);
		free(pid_path);
		code = wait_status(child);
		status_path = xasprintf("%s/%s", lab->dir, status_rel);
		if (code >= 128)
			text = xasprintf("{\"signal\": %d, \"ended_ms\": %lld}\n",
			    code - 128, (long long)now_ms());
		else
			text = xasprintf("{\"exit\": %d, \"ended_ms\": %lld}\n", code,
			    (long long)now_ms());
		file_write_atomic(status_path, text, strlen(text), 0644, &me);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], &child, sizeof child)) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n != (ssize_t)sizeof child || child <= 0)
		return err_set(e, EXIT_RUNTIME, "could not start %s in the "
		    "background", argv[0]);
	*monitor = pid;
	return child;
}

/* "pid (comm) S ppid ..." of /proc/pid/stat: state, comm and ppid. */
static int
proc_stat(pid_t pid, char *state, char *comm, size_t commlen, pid_t *ppid)
{
	char path[64], buf[512], *open_paren, *close_paren;
	ssize_t n;
	long pp;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (open_paren == NULL || close_paren == NULL || close_paren < open_paren ||
	    close_paren[1] != ' ' || close_paren[2] == '\0')
		return -1;
	*state = close_paren[2];
	if (comm != NULL) {
		size_t len = (size_t)(close_paren - open_paren - 1);

		if (len >= commlen)
			len = commlen - 1;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
	}
	if (ppid != NULL) {
		pp = strtol(close_paren + 4, NULL, 10);
		*ppid = (pid_t)pp;
	}
	return 0;
}

bool
lab_proc_alive(pid_t pid, const char *comm)
{
	char state, name[64];

	if (pid <= 0)
		return false;
	/* Our own child that ended: reap it. */
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return false;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return false;
	if (proc_stat(pid, &state, name, sizeof name, NULL) != 0)
		return access("/proc/self/stat", F_OK) != 0;  /* no /proc: trust kill */
	if (state == 'Z' || state == 'X')
		return false;
	if (comm != NULL && strncmp(name, comm, 15) != 0)
		return false;
	return true;
}

static bool
wait_gone(pid_t pid, const char *comm, int ms)
{
	int64_t end = mono_ms() + ms;

	while (lab_proc_alive(pid, comm)) {
		if (mono_ms() >= end)
			return false;
		lab_sleep_ms(20);
	}
	return true;
}

int
lab_proc_stop(pid_t pid, const char *comm, const int *sigs,
    const int *wait_ms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!lab_proc_alive(pid, comm))
			return 0;
		kill(pid, sigs[i]);
		if (wait_gone(pid, comm, wait_ms[i]))
			return 0;
	}
	return lab_proc_alive(pid, comm) ? -1 : 0;
}

/* The positive number the file begins with, or 0. */
static long
read_number(const char *path)
{
	char *buf;
	size_t len;
	long v;

	if (file_read_all(path, 4096, &buf, &len) != 0)
		return 0;
	v = strtol(buf, NULL, 10);
	free(buf);
	return v > 0 ? v : 0;
}

static pid_t
read_pid_file(const char *path)
{
	return (pid_t)read_number(path);
}

long
lab_file_number(const struct lab *lab, const char *rel)
{
	char *path = lab_path(lab, rel);
	long v = read_number(path);

	free(path);
	return v;
}

char *
lab_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *p;

	if (path == NULL)
		return NULL;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		p = xasprintf("%s/%s", dir, name);
		if (access(p, X_OK) == 0) {
			free(copy);
			return p;
		}
		free(p);
	}
	free(copy);
	return NULL;
}

void
lab_remove_stale_pid_files(const struct lab *lab)
{
	char *path;
	pid_t pid;
	int side;

	for (side = 0; side < 2; side++) {
		path = xasprintf("%s/%s/data/postmaster.pid", lab->dir,
		    lab_side_name((enum lab_side)side));
		if ((pid = read_pid_file(path)) != 0 &&
		    !lab_proc_alive(pid, "postgres"))
			unlink(path);
		free(path);
	}
	path = lab_path(lab, "pgbouncer/pgbouncer.pid");
	if ((pid = read_pid_file(path)) != 0 && !lab_proc_alive(pid, "pgbouncer"))
		unlink(path);
	free(path);
}

pid_t
lab_server_pid(const struct lab *lab, enum lab_side side)
{
	char *path = xasprintf("%s/%s/data/postmaster.pid", lab->dir,
	    lab_side_name(side));
	pid_t pid = read_pid_file(path);

	free(path);
	return lab_proc_alive(pid, "postgres") ? pid : 0;
}

pid_t
lab_bouncer_pid(const struct lab *lab)
{
	char *path = lab_path(lab, "pgbouncer/pgbouncer.pid");
	pid_t pid = read_pid_file(path);

	free(path);
	return lab_proc_alive(pid, "pgbouncer") ? pid : 0;
}

/* The processes whose parent is pid (a postmaster's backends). */
static size_t
children_of(pid_t pid, pid_t *out, size_t max)
{
	struct dirent *d;
	size_t n = 0;
	char state;
	pid_t ppid, p;
	DIR *dir;

	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL && n < max) {
		p = (pid_t)atol(d->d_name);
		if (p > 0 && proc_stat(p, &state, NULL, 0, &ppid) == 0 &&
		    ppid == pid && state != 'Z')
			out[n++] = p;
	}
	closedir(dir);
	return n;
}

int
lab_server_stop(const struct lab *lab, enum lab_side side, struct err *e)
{
	/* fast shutdown, then immediate, then kill */
	static const int sigs[] = { SIGINT, SIGQUIT, SIGKILL };
	static const int waits[] = { 30000, 10000, 5000 };
	pid_t pid = lab_server_pid(lab, side), kids[256];
	size_t n, i;

	if (pid == 0)
		return 0;
	n = children_of(pid, kids, ARRAY_SIZE(kids));
	if (lab_proc_stop(pid, "postgres", sigs, waits, ARRAY_SIZE(sigs)) != 0)
		return err_set(e, EXIT_RUNTIME, "the %s server (pid %ld) does not "
		    "stop", lab_side_name(side), (long)pid);
	for (i = 0; i < n; i++)
		if (!wait_gone(kids[i], NULL, 5000)) {
			kill(kids[i], SIGKILL);
			if (!wait_gone(kids[i], NULL, 5000))
				return err_set(e, EXIT_RUNTIME, "a process of the %s "
				    "server (pid %ld) does not stop", lab_side_name(side),
				    (long)kids[i]);
		}
	return 0;
}

int
lab_bouncer_stop(const struct lab *lab, struct err *e)
{
	static const int sigs[] = { SIGTERM, SIGKILL };
	static const int waits[] = { 10000, 5000 };
	pid_t pid = lab_bouncer_pid(lab);

	if (pid == 0)
		return 0;
	if (lab_proc_stop(pid, "pgbouncer", sigs, waits, ARRAY_SIZE(sigs)) != 0)
		return err_set(e, EXIT_RUNTIME, "pgbouncer (pid %ld) does not stop",
		    (long)pid);
	return 0;
}

bool
lab_is_dms(const struct lab *lab)
{
	return lab->provider != NULL && strcmp(lab->provider, "dms") == 0;
}

int
lab_remove(const struct lab *lab, struct err *e)
{
	char *marker = lab_path(lab, LAB_FILE);
	bool ours = access(marker, F_OK) == 0;

	free(marker);
	if (!ours)
		return err_set(e, EXIT_USAGE, "%s holds no %s: not removing a "
		    "directory that is not a lab", lab->dir, LAB_FILE);
	if (remove_tree(lab->dir) != 0)
		return err_set(e, EXIT_RUNTIME, "%s: cannot remove it all: %s",
		    lab->dir, strerror(errno));
	return 0;
}

int
lab_free_port(const int *avoid, size_t navoid)
{
	struct sockaddr_in sa;
	socklen_t len;
	int fd, port, try;
	size_t i;

	for (try = 0; try < 50; try++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof sa;
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
			close(fd);
			return -1;
		}
		close(fd);
		port = ntohs(sa.sin_port);
		for (i = 0; i < navoid; i++)
			if (avoid[i] == port)
				break;
		if (i == navoid)
			return port;
	}
	return -1;
}

const char *
lab_bytes(int64_t b, char *buf, size_t len)
{
	if (b >= 10LL << 30)
		snprintf(buf, len, "%.0f GB", (double)b / (1 << 30));
	else if (b >= 10 << 20)
		snprintf(buf, len, "%.0f MB", (double)b / (1 << 20));
	else if (b >= 10 << 10)
		snprintf(buf, len, "%.0f kB", (double)b / 1024);
	else
		snprintf(buf, len, "%lld B", (long long)b);
	return buf;
}

char *
lab_conninfo(int port, const char *dbname, const char *user)
{
	return xasprintf("host=127.0.0.1 port=%d dbname=%s user=%s", port, dbname,
	    user);
}

bool
lab_user_can_enter(const struct lab *lab, char *why, size_t whylen)
{
	pid_t pid;
	int p[2], code;
	ssize_t n;

	why[0] = '\0';
	if (!lab->switch_user)
		return true;
	if (pipe(p) != 0)
		return true;	/* the servers' own errors will say it */
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return true;
	}
	if (pid == 0) {
		char *path = xstrdup(lab->dir), *s;

		close(p[0]);
		if (drop_privileges(lab) != 0)
			_exit(2);
		/* Each directory down to D must be searchable. */
		for (s = path + 1;; s++) {
			if (*s == '/' || *s == '\0') {
				char c = *s;

				*s = '\0';
				if (access(path, X_OK) != 0) {
					(void)!write(p[1], path, strlen(path));
					_exit(1);
				}
				if ((*s = c) == '\0')
					break;
			}
		}
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], why, whylen - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	code = wait_status(pid);
	return code == 0;
}

static bool
on_terminal(void)
{
	return isatty(STDOUT_FILENO) == 1;
}

void
lab_progress(const char *fmt, ...)
{
	va_list ap;

	if (!on_terminal())
		return;
	fputs("\r\033[K", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void
lab_progress_done(const char *fmt, ...)
{
	va_list ap;

	if (on_terminal())
		fputs("\r\033[K", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

char *
lab_tail(const struct lab *lab, const char *rel, int lines)
{
	char *path = lab_path(lab, rel), *buf, *p;
	struct strbuf sb;
	size_t len;
	int n = 0;

	if (file_read_all(path, 64 << 20, &buf, &len) != 0) {
		free(path);
		return xstrdup("");
	}
	free(path);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	for (p = buf + len; p > buf; p--)
		if (p[-1] == '\n' && ++n == lines)
			break;
	sb_init(&sb);
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);

		sb_puts(&sb, "\n  | ");
		utf8_sanitize(&sb, p, l);
		p += l + (nl != NULL);
	}
	free(buf);
	return sb_detach(&sb);
}

int
lab_bouncer_entry(const struct lab *lab, char **host, int *port,
    char **dbname, struct err *e)
{
	char *path = lab_path(lab, "pgbouncer/databases.ini"), *buf, *line,
	    *save = NULL, *v, *key, *val;
	size_t len;
	int found = 0;

	*host = *dbname = NULL;
	*port = 5432;
	if (file_read_all(path, 1 << 20, &buf, &len) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((v = strchr(line, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(str_trim(line), LAB_DB) != 0)
			continue;
		found = 1;
		/* key=value pairs separated by blanks; values may be quoted. */
		while (*v != '\0') {
			while (*v == ' ' || *v == '\t')
				v++;
			key = v;
			while (*v != '\0' && *v != '=' && *v != ' ')
				v++;
			if (*v != '=')
				break;
			*v++ = '\0';
			if (*v == '\'') {
				val = ++v;
				while (*v != '\0' && *v != '\'')
					v++;
			} else {
				val = v;
				while (*v != '\0' && *v != ' ' && *v != '\t')
					v++;
			}
			if (*v != '\0')
				*v++ = '\0';
			if (strcmp(key, "host") == 0) {
				free(*host);
				*host = xstrdup(val);
			} else if (strcmp(key, "port") == 0) {
				*port = atoi(val);
			} else if (strcmp(key, "dbname") == 0) {
				free(*dbname);
				*dbname = xstrdup(val);
			}
		}
	}
	free(buf);
	if (!found) {
		err_set(e, EXIT_RUNTIME, "%s: no '%s' entry", path, LAB_DB);
		free(path);
		return -1;
	}
	free(path);
	if (*host == NULL)
		*host = xstrdup("127.0.0.1");
	if (*dbname == NULL)
		*dbname = xstrdup(LAB_DB);
	return 0;
}
