/* lab-dms.c - `cutover lab up --provider dms`: the DMS emulator
 * (lab-dms-emulator.py) beside the lab's two clusters, so that a cutover
 * with provider = dms can be rehearsed on one machine.
 *
 * The forward task is the lab's own publication and subscription; the
 * reverse task is a publication on the target and a subscription on the
 * source, created disabled, that reads the slot cutover creates on the
 * target before the switch ([rollback] reverse_slot). The emulator starts
 * and stops them as DMS starts and stops tasks, and answers the DMS and
 * CloudWatch calls cutover makes, signed with the key of the profile
 * cutover-lab in DIR/aws/. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "lab.h"
#include "loop.h"
#include "pg.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/cutover"
#endif

#define EMULATOR_COPY "dms/lab-dms-emulator.py"
#define EMULATOR_WAIT_MS 20000

const char *
lab_dms_emulator_source(void)
{
	const char *env = getenv("CUTOVER_DMS_EMULATOR");

	return env != NULL && *env != '\0' ? env :
	    PKGDATADIR "/lab-dms-emulator.py";
}

/* Debian's interpreter (python3-psycopg2 is for it), unless told. */
static char *
python(void)
{
	const char *env = getenv("CUTOVER_LAB_PYTHON");
	char *p;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (access("/usr/bin/python3", X_OK) == 0)
		return xstrdup("/usr/bin/python3");
	if ((p = lab_which("python3")) != NULL)
		return p;
	return xstrdup("python3");
}

int
lab_dms_check(const struct lab *lab, struct err *e)
{
	const char *src = lab_dms_emulator_source();
	char *py = python(), *tail, *dir;
	const char *argv[] = { py, "-c", "import psycopg2", NULL };
	int code;

	if (access(src, R_OK) != 0) {
		err_set(e, EXIT_RUNTIME, "the DMS emulator %s: %s (it is installed "
		    "with cutover; CUTOVER_DMS_EMULATOR names another)", src,
		    strerror(errno));
		free(py);
		return -1;
	}
	if (lab_mkdir(lab, "dms", true, e) != 0) {
		free(py);
		return -1;
	}
	code = lab_run(lab, argv, "dms/python-check.log", e);
	if (code > 0) {
		tail = lab_tail(lab, "dms/python-check.log", 2);
		err_set(e, EXIT_RUNTIME, "the DMS emulator needs Python 3 with "
		    "psycopg2: %s -c 'import psycopg2' failed (Debian: apt-get "
		    "install python3-psycopg2; CUTOVER_LAB_PYTHON names another "
		    "interpreter):%s", py, tail);
		free(tail);
	}
	free(py);
	/* Nothing of the check stays: lab up starts from an empty D. */
	dir = lab_path(lab, "dms");
	remove_tree(dir);
	free(dir);
	return code == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ prepare */

static int
run_sql(struct loop *loop, int port, const char *label, const char *what,
    const char *text, struct err *e)
{
	char *ci = lab_conninfo(port, LAB_DB, LAB_SUPERUSER);
	struct pg_opts o = { ci, label, 0, 600000, 10000, false, true };
	struct pg *c = pg_new(loop, &o);
	const struct lab_sql sql = { what, text };
	int rc;

	free(ci);
	rc = lab_sql_run(loop, c, &sql, 1, e);
	pg_free(c);
	return rc;
}

/* The reverse task's publication on the target and its subscription on
 * the source: disabled, no slot of its own (it reads the one cutover
 * creates), no copy (the source has every row). */
static int
reverse_replication(struct loop *loop, struct lab *lab, struct err *e)
{
	char *dst = lab_conninfo(lab->target_port, LAB_DB, LAB_SUPERUSER);
	char *lit = pg_quote_literal(NULL, dst), *text;
	int rc;

	free(dst);
	if (run_sql(loop, lab->target_port, "target", "creating the reverse "
	    "task's publication on the target", "CREATE PUBLICATION "
	    LAB_DMS_REVERSE_PUB " FOR ALL TABLES", e) != 0) {
		free(lit);
		return -1;
	}
	text = xasprintf("CREATE SUBSCRIPTION " LAB_DMS_REVERSE_SUB
	    " CONNECTION %s PUBLICATION " LAB_DMS_REVERSE_PUB " WITH "
	    "(create_slot = false, slot_name = '" LAB_DMS_REVERSE_SLOT "', "
	    "enabled = false, copy_data = false)", lit);
	rc = run_sql(loop, lab->source_port, "source", "creating the reverse "
	    "task's subscription on the source", text, e);
	free(text);
	free(lit);
	return rc;
}

/* A key pair for the emulator, from the kernel's random bytes. */
static int
random_chars(char *out, size_t n, const char *alphabet, struct err *e)
{
	unsigned char buf[64];
	size_t k = strlen(alphabet), i;
	ssize_t got;
	int fd;

	if (n > sizeof buf ||
	    (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, EXIT_RUNTIME, "/dev/urandom: %s",
		    strerror(errno));
	got = read(fd, buf, n);
	close(fd);
	if (got != (ssize_t)n)
		return err_set(e, EXIT_RUNTIME, "/dev/urandom: short read");
	for (i = 0; i < n; i++)
		out[i] = alphabet[buf[i] % k];
	out[n] = '\0';
	secure_zero(buf, sizeof buf);
	return 0;
}

static int
write_credentials(struct lab *lab, struct err *e)
{
	char id[17], secret[41], *text;
	int rc;

	if (random_chars(id, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", e) != 0 ||
	    random_chars(secret, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/", e) != 0)
		return -1;
	text = xasprintf("# The lab's DMS emulator: a key it alone knows.\n"
	    "[" LAB_DMS_PROFILE "]\naws_access_key_id = AKIA%.16s\n"
	    "aws_secret_access_key = %s\n", id, secret);
	rc = lab_write_file(lab, "aws/credentials", text, 0600, true, e);
	secure_zero(text, strlen(text));
	secure_zero(secret, sizeof secret);
	free(text);
	return rc;
}

static cJSON *
endpoint(const char *id, const char *resource, const char *type,
    const char *engine, int port, const char *slot, bool heartbeat)
{
	cJSON *o = cJSON_CreateObject();
	char *ci = lab_conninfo(port, LAB_DB, LAB_SUPERUSER);

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "resource", resource);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "engine", engine);
	cJSON_AddStringToObject(o, "conninfo", ci);
	cJSON_AddNumberToObject(o, "port", port);
	cJSON_AddStringToObject(o, "database", LAB_DB);
	if (slot != NULL) {
		/* The emulator reads slots with native logical replication. */
		cJSON_AddStringToObject(o, "slot_name", slot);
		cJSON_AddStringToObject(o, "plugin", "pgoutput");
		cJSON_AddBoolToObject(o, "heartbeat", heartbeat);
	}
	free(ci);
	return o;
}

/* What the emulator honours: the apply-error policies (STOP_TASK: a
 * conflict stops the task) and validation (off: it compares nothing). The
 * rest is what its native replication does anyway: whole values (no LOB
 * limit), commit-order apply (no batch apply). */
static cJSON *
task_settings(void)
{
	cJSON *s = cJSON_CreateObject(), *x;

	x = cJSON_AddObjectToObject(s, "TargetMetadata");
	cJSON_AddBoolToObject(x, "SupportLobs", 1);
	cJSON_AddBoolToObject(x, "FullLobMode", 1);
	cJSON_AddBoolToObject(x, "LimitedSizeLobMode", 0);
	cJSON_AddNumberToObject(x, "LobMaxSize", 0);
	cJSON_AddNumberToObject(x, "LobChunkSize", 64);
	cJSON_AddBoolToObject(x, "BatchApplyEnabled", 0);
	x = cJSON_AddObjectToObject(s, "ErrorBehavior");
	cJSON_AddStringToObject(x, "DataErrorPolicy", "STOP_TASK");
	cJSON_AddStringToObject(x, "TableErrorPolicy", "STOP_TASK");
	cJSON_AddStringToObject(x, "ApplyErrorInsertPolicy", "STOP_TASK");
	cJSON_AddStringToObject(x, "ApplyErrorUpdatePolicy", "STOP_TASK");
	cJSON_AddStringToObject(x, "ApplyErrorDeletePolicy", "STOP_TASK");
	cJSON_AddStringToObject(x, "ApplyErrorEscalationPolicy", "STOP_TASK");
	x = cJSON_AddObjectToObject(s, "ValidationSettings");
	cJSON_AddBoolToObject(x, "EnableValidation", 0);
	return s;
}

static cJSON *
task(const char *id, const char *arn, const char *type, const char *src,
    const char *dst, const char *pub, const char *sub)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "resource", strrchr(arn, ':') + 1);
	cJSON_AddStringToObject(o, "migration_type", type);
	cJSON_AddStringToObject(o, "source", src);
	cJSON_AddStringToObject(o, "target", dst);
	cJSON_AddStringToObject(o, "publication", pub);
	cJSON_AddStringToObject(o, "subscription", sub);
	cJSON_AddItemToObject(o, "settings", task_settings());
	/* What the publication carries (FOR ALL TABLES), as DMS says it. */
	cJSON_AddItemToObject(o, "table_mappings", cJSON_Parse("{\"rules\":["
	    "{\"rule-type\":\"selection\",\"rule-id\":\"1\",\"rule-name\":"
	    "\"all-tables\",\"object-locator\":{\"schema-name\":\"%\","
	    "\"table-name\":\"%\"},\"rule-action\":\"include\"}]}"));
	return o;
}

/* aws/config and dms/emulator.json, which name the emulator's port. */
static int
write_config_files(struct lab *lab, struct err *e)
{
	cJSON *o = cJSON_CreateObject(), *eps, *tasks;
	char *creds = lab_path(lab, "aws/credentials");
	char *state = lab_path(lab, "dms");
	char *tgt = lab_conninfo(lab->target_port, LAB_DB, LAB_SUPERUSER);
	char *text;
	int rc;

	cJSON_AddNumberToObject(o, "port", lab->dms_port);
	cJSON_AddStringToObject(o, "region", LAB_DMS_REGION);
	cJSON_AddStringToObject(o, "account", "123456789012");
	cJSON_AddStringToObject(o, "credentials_file", creds);
	cJSON_AddStringToObject(o, "state_dir", state);
	cJSON_AddStringToObject(o, "instance_id", "cutover-lab-dms");
	cJSON_AddStringToObject(o, "instance_resource",
	    "LABINSTANCE0000000000000000");
	cJSON_AddStringToObject(o, "cluster_id", LAB_DMS_CLUSTER);
	cJSON_AddStringToObject(o, "cluster_conninfo", tgt);
	cJSON_AddNumberToObject(o, "starting_seconds", 2);
	cJSON_AddNumberToObject(o, "stopping_seconds", 2);
	eps = cJSON_AddObjectToObject(o, "endpoints");
	cJSON_AddItemToObject(eps, "source", endpoint("cutover-lab-source",
	    "LABSOURCEENDPOINT0000000000", "source", "postgres",
	    lab->source_port, LAB_SUBSCRIPTION, false));
	cJSON_AddItemToObject(eps, "target", endpoint("cutover-lab-target",
	    "LABTARGETENDPOINT0000000000", "target", "aurora-postgresql",
	    lab->target_port, NULL, false));
	cJSON_AddItemToObject(eps, "reverse_source", endpoint(
	    "cutover-lab-reverse-source", "LABREVSOURCEENDPOINT0000000", "source",
	    "aurora-postgresql", lab->target_port, LAB_DMS_REVERSE_SLOT, false));
	cJSON_AddItemToObject(eps, "reverse_target", endpoint(
	    "cutover-lab-reverse-target", "LABREVTARGETENDPOINT0000000", "target",
	    "postgres", lab->source_port, NULL, false));
	tasks = cJSON_AddArrayToObject(o, "tasks");
	cJSON_AddItemToArray(tasks, task("cutover-lab-forward",
	    LAB_DMS_FORWARD_ARN, "full-load-and-cdc", "source", "target",
	    LAB_PUBLICATION, LAB_SUBSCRIPTION));
	cJSON_AddItemToArray(tasks, task("cutover-lab-reverse",
	    LAB_DMS_REVERSE_ARN, "cdc", "reverse_source", "reverse_target",
	    LAB_DMS_REVERSE_PUB, LAB_DMS_REVERSE_SUB));
	text = cJSON_Print(o);
	cJSON_Delete(o);
	rc = lab_write_file(lab, "dms/emulator.json", text, 0600, true, e);
	free(text);
	free(creds);
	free(state);
	free(tgt);
	if (rc != 0)
		return -1;
	text = xasprintf("# The lab's DMS emulator (cutover lab up --provider "
	    "dms).\n[profile " LAB_DMS_PROFILE "]\nregion = " LAB_DMS_REGION
	    "\nendpoint_url = http://127.0.0.1:%d\n", lab->dms_port);
	rc = lab_write_file(lab, "aws/config", text, 0600, true, e);
	free(text);
	return rc;
}

static int
choose_port(struct lab *lab, struct err *e)
{
	int used[4] = { lab->source_port, lab->target_port, lab->bouncer_port,
		lab->dms_port };

	if ((lab->dms_port = lab_free_port(used, 4)) < 0)
		return err_set(e, EXIT_RUNTIME, "no free port on 127.0.0.1: %s",
		    strerror(errno));
	return 0;
}

int
lab_dms_prepare(struct loop *loop, struct lab *lab, struct err *e)
{
	char *text, *path;
	size_t len;
	int rc;

	if (reverse_replication(loop, lab, e) != 0)
		return -1;
	if (lab_mkdir(lab, "aws", true, e) != 0 ||
	    lab_mkdir(lab, "dms", true, e) != 0 ||
	    write_credentials(lab, e) != 0 || choose_port(lab, e) != 0 ||
	    write_config_files(lab, e) != 0)
		return -1;
	/* The lab keeps its own copy: the lab user may not reach the
	 * installed one, and the lab goes on with the version it began. */
	path = xstrdup(lab_dms_emulator_source());
	if (file_read_all(path, 4 << 20, &text, &len) != 0) {
		err_set(e, EXIT_RUNTIME, "%s: cannot read: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	rc = lab_write_file(lab, EMULATOR_COPY, text, 0755, true, e);
	free(text);
	return rc;
}

/* ---------------------------------------------------- the process */

/* /proc/PID/cmdline names our emulator (a pid may be reused). */
static bool
is_emulator(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, "lab-dms-emulator") != NULL;
}

pid_t
lab_dms_pid(const struct lab *lab)
{
	pid_t pid;

	if (!lab_is_dms(lab) || (pid = (pid_t)lab_file_number(lab,
	    "dms/emulator.pid")) == 0)
		return 0;
	return lab_proc_alive(pid, NULL) && is_emulator(pid) ? pid : 0;
}

int
lab_dms_stop(const struct lab *lab, struct err *e)
{
	static const int sigs[] = { SIGTERM, SIGKILL };
	static const int waits[] = { 5000, 5000 };
	pid_t pid = lab_dms_pid(lab);

	if (pid == 0)
		return 0;
	if (lab_proc_stop(pid, NULL, sigs, waits, ARRAY_SIZE(sigs)) != 0)
		return err_set(e, EXIT_RUNTIME, "the DMS emulator (pid %ld) does "
		    "not stop", (long)pid);
	return 0;
}

static bool
answers(int port)
{
	struct sockaddr_in sa;
	int fd, rc;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	return rc == 0;
}

int
lab_dms_start(struct lab *lab, bool new_port, struct err *e)
{
	char *py = python(), *script = lab_path(lab, EMULATOR_COPY);
	char *conf = lab_path(lab, "dms/emulator.json"), *portfile, *tail;
	const char *argv[] = { py, script, conf, NULL };
	pid_t pid, monitor;
	int64_t deadline;
	int try, rc = -1;

	for (try = 0; try < 3; try++) {
		if (new_port && try > 0 && (choose_port(lab, e) != 0 ||
		    write_config_files(lab, e) != 0))
			goto out;
		portfile = lab_path(lab, "dms/port");
		unlink(portfile);
		free(portfile);
		lab_progress("starting the DMS emulator on 127.0.0.1:%d",
		    lab->dms_port);
		pid = lab_spawn_detached(lab, argv, "dms/emulator.log",
		    "dms/emulator.pid", "dms/emulator.exit", &monitor, e);
		if (pid < 0)
			goto out;
		deadline = mono_ms() + EMULATOR_WAIT_MS;
		while (mono_ms() < deadline && lab_proc_alive(pid, NULL)) {
			if (lab_file_number(lab, "dms/port") == lab->dms_port &&
			    answers(lab->dms_port)) {
				rc = 0;
				goto out;
			}
			lab_sleep_ms(100);
		}
		tail = lab_tail(lab, "dms/emulator.log", 6);
		if (lab_proc_alive(pid, NULL)) {
			kill(pid, SIGKILL);
			err_set(e, EXIT_RUNTIME, "the DMS emulator did not listen on "
			    "127.0.0.1:%d within %d s (see %s/dms/emulator.log):%s",
			    lab->dms_port, EMULATOR_WAIT_MS / 1000, lab->dir, tail);
			free(tail);
			goto out;
		}
		err_set(e, EXIT_RUNTIME, "the DMS emulator exited (see "
		    "%s/dms/emulator.log):%s", lab->dir, tail);
		if (!new_port || strstr(tail, "Address already in use") == NULL) {
			free(tail);
			goto out;
		}
		free(tail);
	}
out:
	free(py);
	free(script);
	free(conf);
	return rc;
}

char *
lab_dms_env(const struct lab *lab)
{
	return xasprintf("AWS_CONFIG_FILE=%s/aws/config "
	    "AWS_SHARED_CREDENTIALS_FILE=%s/aws/credentials AWS_PROFILE="
	    LAB_DMS_PROFILE, lab->dir, lab->dir);
}
