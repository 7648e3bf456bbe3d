/* lab-load.c - `cutover lab load`: pgbench through pgbouncer as the
 * application role, in the background, with its per-transaction log kept
 * in the lab directory.
 *
 * The options are chosen so that a cutover does not fail the load: the
 * simple query protocol (no prepared statements, which transaction pooling
 * does not carry), connections held for the whole run (a paused pool makes
 * a waiting client wait, it does not refuse a new connection), no latency
 * limit (a transaction held by PAUSE is late, not skipped), and no retries
 * (so pgbench's transaction number in the log equals the script's :n and
 * every logged commit can be found again by its client reference). */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "jsonin.h"
#include "lab.h"

static cJSON *
read_json(const char *path)
{
	char *buf;
	size_t len;
	cJSON *o;

	if (file_read_all(path, 1 << 20, &buf, &len) != 0)
		return NULL;
	o = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Reads load id's load.json, pgbench.pid and exit.json into ld. A load
 * whose starter died early may lack some: what is there is used. */
static void
read_load(const struct lab *lab, int id, struct lab_load *ld)
{
	char *path = xasprintf("%s/load/%d/load.json", lab->dir, id);
	cJSON *o = read_json(path);

	free(path);
	memset(ld, 0, sizeof *ld);
	ld->id = id;
	ld->exit_code = -1;
	if (o != NULL) {
		ld->pid = (pid_t)json_int(o, "pid", 0);
		ld->monitor = (pid_t)json_int(o, "monitor_pid", 0);
		ld->rate = (int)json_int(o, "rate", 0);
		ld->duration = (int)json_int(o, "duration", 0);
		ld->clients = (int)json_int(o, "clients", 0);
		ld->started_ms = json_int(o, "started_ms", 0);
		cJSON_Delete(o);
	}
	path = xasprintf("load/%d/pgbench.pid", id);
	if (ld->pid == 0)
		ld->pid = (pid_t)lab_file_number(lab, path);
	free(path);
	path = xasprintf("%s/load/%d/exit.json", lab->dir, id);
	if ((o = read_json(path)) != NULL) {
		ld->ended = true;
		ld->exit_code = (int)json_int(o, "exit", -1);
		ld->exit_signal = (int)json_int(o, "signal", 0);
		ld->ended_ms = json_int(o, "ended_ms", 0);
		cJSON_Delete(o);
	}
	free(path);
}

/* The highest load number in D/load, 0 when none. */
static int
latest_id(const struct lab *lab)
{
	char *dir = lab_path(lab, "load"), *end;
	struct dirent *de;
	long v;
	int max = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		v = strtol(de->d_name, &end, 10);
		if (*end == '\0' && end != de->d_name && v > max && v < 1000000)
			max = (int)v;
	}
	closedir(d);
	free(dir);
	return max;
}

int
lab_load_latest(const struct lab *lab, struct lab_load *ld, struct err *e)
{
	int id = latest_id(lab);

	(void)e;
	memset(ld, 0, sizeof *ld);
	if (id == 0)
		return 0;
	read_load(lab, id, ld);
	return 1;
}

bool
lab_load_running(const struct lab_load *ld)
{
	return !ld->ended && lab_proc_alive(ld->pid, "pgbench");
}

static int
write_load(const struct lab *lab, const struct lab_load *ld, struct err *e)
{
	char *rel = xasprintf("load/%d/load.json", ld->id), *text;
	char *prefix = xasprintf("%s/load/%d/txn", lab->dir, ld->id);
	cJSON *o = cJSON_CreateObject();
	char ref[32];
	int rc;

	cJSON_AddNumberToObject(o, "id", ld->id);
	cJSON_AddNumberToObject(o, "pid", ld->pid);
	cJSON_AddNumberToObject(o, "monitor_pid", ld->monitor);
	cJSON_AddNumberToObject(o, "rate", ld->rate);
	cJSON_AddNumberToObject(o, "duration", ld->duration);
	cJSON_AddNumberToObject(o, "clients", ld->clients);
	cJSON_AddNumberToObject(o, "started_ms", (double)ld->started_ms);
	cJSON_AddStringToObject(o, "log_prefix", prefix);
	snprintf(ref, sizeof ref, "L%d-", ld->id);
	cJSON_AddStringToObject(o, "client_ref_prefix", ref);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	rc = lab_write_file(lab, rel, text, 0644, false, e);
	free(text);
	free(rel);
	free(prefix);
	return rc;
}

int
lab_load_start(struct lab *lab, int rate, int duration, int clients,
    struct lab_load *out, struct err *e)
{
	struct lab_load prev, ld;
	char *dir, *prefix_opt, *script, *pgbench, *tail;
	char s_port[16], s_clients[16], s_jobs[16], s_rate[16], s_time[16],
	    d_accounts[48], d_load[32];
	int64_t deadline;
	int rc = -1;

	memset(&ld, 0, sizeof ld);
	if (lab_load_latest(lab, &prev, e) < 0)
		return -1;
	if (prev.id > 0 && lab_load_running(&prev))
		return err_set(e, EXIT_CHECK, "load %d is still running (pgbench "
		    "pid %ld); `cutover lab load --dir %s --stop` ends it", prev.id,
		    (long)prev.pid, lab->dir);
	ld.id = prev.id + 1;
	ld.rate = rate;
	ld.duration = duration;
	ld.clients = clients;
	if (lab_mkdir(lab, "load", true, e) != 0 ||
	    lab_write_file(lab, "load/transfer.sql", lab_transfer_script, 0644,
	    true, e) != 0)
		return -1;
	dir = xasprintf("load/%d", ld.id);
	if (lab_mkdir(lab, dir, true, e) != 0) {
		free(dir);
		return -1;
	}
	snprintf(s_port, sizeof s_port, "%d", lab->bouncer_port);
	snprintf(s_clients, sizeof s_clients, "%d", clients);
	snprintf(s_jobs, sizeof s_jobs, "%d", clients < 4 ? clients : 4);
	snprintf(s_rate, sizeof s_rate, "%d", rate);
	snprintf(s_time, sizeof s_time, "%d", duration);
	snprintf(d_accounts, sizeof d_accounts, "accounts=%lld",
	    (long long)lab->accounts);
	snprintf(d_load, sizeof d_load, "load=%d", ld.id);
	/* Say what this load is before it starts. */
	if (write_load(lab, &ld, e) != 0) {
		free(dir);
		return -1;
	}
	prefix_opt = xasprintf("--log-prefix=%s/load/%d/txn", lab->dir, ld.id);
	script = lab_path(lab, "load/transfer.sql");
	pgbench = xasprintf("%s/pgbench", lab->bindir);
	{
		char *out_rel = xasprintf("load/%d/pgbench.out", ld.id);
		char *status_rel = xasprintf("load/%d/exit.json", ld.id);
		char *pid_rel = xasprintf("load/%d/pgbench.pid", ld.id);
		const char *argv[] = { pgbench, "-h", "127.0.0.1", "-p", s_port,
			"-U", LAB_APP_ROLE, "-n", "-c", s_clients, "-j", s_jobs,
			"-R", s_rate, "-T", s_time, "-P", "5", "-M", "simple", "-l",
			prefix_opt, "-f", script, "-D", d_accounts, "-D", d_load,
			"-D", "n=0", LAB_DB, NULL };

		ld.started_ms = now_ms();
		ld.pid = lab_spawn_detached(lab, argv, out_rel, pid_rel, status_rel,
		    &ld.monitor, e);
		free(status_rel);
		free(pid_rel);
		if (ld.pid < 0) {
			free(out_rel);
			goto out;
		}
		if (write_load(lab, &ld, e) != 0) {
			free(out_rel);
			goto out;
		}
		/* pgbench connects every client first: a refused connection or
		 * a bad script ends it at once. */
		deadline = mono_ms() + 1500;
		while (mono_ms() < deadline) {
			struct lab_load now;

			read_load(lab, ld.id, &now);
			if (now.ended) {
				if (now.exit_code != 0) {
					tail = lab_tail(lab, out_rel, 6);
					err_set(e, EXIT_RUNTIME, "pgbench ended at once "
					    "(exit %d; see %s/%s):%s", now.exit_code, lab->dir,
					    out_rel, tail);
					free(tail);
					free(out_rel);
					goto out;
				}
				break;
			}
			lab_sleep_ms(50);
		}
		free(out_rel);
	}
	*out = ld;
	rc = 0;
out:
	free(dir);
	free(prefix_opt);
	free(script);
	free(pgbench);
	return rc;
}

int
lab_load_stop(const struct lab *lab, const struct lab_load *ld,
    struct err *e)
{
	static const int sigs[] = { SIGINT, SIGKILL };
	static const int waits[] = { 10000, 5000 };
	int64_t deadline;

	if (lab_proc_stop(ld->pid, "pgbench", sigs, waits, ARRAY_SIZE(sigs)) != 0)
		return err_set(e, EXIT_RUNTIME, "pgbench (load %d, pid %ld) does not "
		    "stop", ld->id, (long)ld->pid);
	/* Its monitor records how it ended, then exits. */
	deadline = mono_ms() + 5000;
	while (lab_proc_alive(ld->monitor, NULL) && mono_ms() < deadline)
		lab_sleep_ms(20);
	(void)lab;
	return 0;
}
