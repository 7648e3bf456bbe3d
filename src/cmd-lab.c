/* cmd-lab.c - `cutover lab up|load|status|down`: the local rehearsal lab
 * (src/lab/, see lab.h): the options, the calls and the output. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "jsonout.h"
#include "lab.h"
#include "lab-status.h"

/* ------------------------------------------------------------- options */

static int
parse_count(const char *opt, const char *arg, int64_t min, int64_t max,
    int64_t *out, struct err *e)
{
	int64_t v;

	if (parse_int64(arg, &v) != 0 || v < min || v > max)
		return err_set(e, EXIT_USAGE, "usage: lab: %s: '%s' must be a whole "
		    "number from %" PRId64 " to %" PRId64, opt, arg, min, max);
	*out = v;
	return 0;
}

/* The lab's directory: --dir, the last one given. */
static const char *
lab_dir(const struct args *a)
{
	const char *dir = args_get(a, 'd');

	return dir != NULL ? dir : LAB_DEFAULT_DIR;
}

/* ------------------------------------------------------------- status */

static void
json_refs(cJSON *o, const char *key, char **refs, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(refs[i]));
}

static cJSON *
side_json(const struct lab_side_status *s)
{
	cJSON *o = cJSON_CreateObject(), *a, *x;
	size_t i;

	cJSON_AddNumberToObject(o, "port", s->port);
	cJSON_AddBoolToObject(o, "running", s->pid != 0);
	if (s->pid != 0)
		cJSON_AddNumberToObject(o, "pid", s->pid);
	else
		cJSON_AddNullToObject(o, "pid");
	json_add_string(o, "error", s->error);
	a = cJSON_AddArrayToObject(o, "subscriptions");
	for (i = 0; i < s->nsubs; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", s->subs[i].name);
		cJSON_AddBoolToObject(x, "enabled", s->subs[i].enabled);
		cJSON_AddBoolToObject(x, "worker", s->subs[i].worker);
		cJSON_AddNumberToObject(x, "tables", (double)s->subs[i].tables);
		cJSON_AddNumberToObject(x, "tables_ready", (double)s->subs[i].ready);
		cJSON_AddItemToArray(a, x);
	}
	a = cJSON_AddArrayToObject(o, "slots");
	for (i = 0; i < s->nslots; i++) {
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", s->slots[i].name);
		cJSON_AddBoolToObject(x, "active", s->slots[i].active);
		cJSON_AddNumberToObject(x, "retained_wal_bytes",
		    (double)s->slots[i].retained);
		cJSON_AddNumberToObject(x, "unconfirmed_wal_bytes",
		    (double)s->slots[i].behind);
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

static cJSON *
load_json(const struct lab_status *st)
{
	const struct lab_load *ld = &st->load;
	const struct lab_judgement *j = &st->judge;
	cJSON *o = cJSON_CreateObject(), *a, *x, *b;
	double secs;
	size_t i;

	cJSON_AddNumberToObject(o, "id", ld->id);
	cJSON_AddBoolToObject(o, "running", st->load_running);
	cJSON_AddNumberToObject(o, "pid", ld->pid);
	cJSON_AddNumberToObject(o, "rate", ld->rate);
	cJSON_AddNumberToObject(o, "duration", ld->duration);
	cJSON_AddNumberToObject(o, "clients", ld->clients);
	json_add_time(o, "started_at", ld->started_ms);
	json_add_time(o, "ended_at", ld->ended ? ld->ended_ms : 0);
	if (ld->ended && ld->exit_signal == 0)
		cJSON_AddNumberToObject(o, "exit_status", ld->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_status");
	if (ld->exit_signal != 0)
		cJSON_AddNumberToObject(o, "signal", ld->exit_signal);
	else
		cJSON_AddNullToObject(o, "signal");
	cJSON_AddNumberToObject(o, "transactions", (double)j->transactions);
	cJSON_AddNumberToObject(o, "committed", (double)j->committed);
	cJSON_AddNumberToObject(o, "failed", (double)(j->failed +
	    j->aborted_clients));
	cJSON_AddNumberToObject(o, "failed_transactions", (double)j->failed);
	cJSON_AddNumberToObject(o, "aborted_clients", j->aborted_clients);
	json_add_string(o, "pgbench_error", j->pgbench_error);
	cJSON_AddBoolToObject(o, "compared", j->compared);
	json_add_string(o, "judged_on", j->compared ? j->primary : NULL);
	cJSON_AddNumberToObject(o, "found", (double)j->found);
	cJSON_AddNumberToObject(o, "lost", (double)j->lost);
	cJSON_AddNumberToObject(o, "duplicated", (double)j->duplicated);
	cJSON_AddNumberToObject(o, "unconfirmed", (double)j->unconfirmed);
	json_refs(o, "lost_refs", j->lost_refs, j->nlost_refs);
	json_refs(o, "duplicated_refs", j->duplicated_refs, j->nduplicated_refs);
	cJSON_AddNumberToObject(o, "max_latency_ms", j->max_latency_ms);
	cJSON_AddNumberToObject(o, "max_commit_gap_ms", j->max_gap_ms);
	json_add_time(o, "max_commit_gap_at", j->max_gap_at_ms);
	secs = (double)(j->last_commit_ms - j->first_commit_ms) / 1000;
	cJSON_AddNumberToObject(o, "tps", secs > 0 ?
	    (double)(j->committed - 1) / secs : 0);
	if (j->balance_checked) {
		b = cJSON_AddObjectToObject(o, "balance_total");
		cJSON_AddStringToObject(b, "expected", j->balance_expected);
		cJSON_AddStringToObject(b, "actual", j->balance_total);
		cJSON_AddBoolToObject(b, "ok", j->balance_ok);
	} else {
		cJSON_AddNullToObject(o, "balance_total");
	}
	json_add_string(o, "error", st->judge_error);
	cJSON_AddBoolToObject(o, "passed", j->passed && st->judge_error == NULL);
	cJSON_AddStringToObject(o, "verdict", st->judge_error != NULL ?
	    "not judged" : j->verdict);
	a = cJSON_AddArrayToObject(o, "per_client");
	for (i = 0; i < j->nclients; i++) {
		const struct lab_client *c = &j->clients[i];

		x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "client", c->client);
		cJSON_AddNumberToObject(x, "committed", (double)c->committed);
		cJSON_AddNumberToObject(x, "failed", (double)c->failed);
		cJSON_AddNumberToObject(x, "found", (double)c->found);
		cJSON_AddNumberToObject(x, "lost", (double)c->lost);
		cJSON_AddNumberToObject(x, "duplicated", (double)c->duplicated);
		cJSON_AddNumberToObject(x, "unconfirmed", (double)c->unconfirmed);
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

/* The verdict on a load that has ended stays in load/N/judgement.json
 * (the shape of `lab status --json`'s load), for `cutover report`. */
static void
keep_judgement(const struct lab *lab, const struct lab_status *st)
{
	struct err e = { 0, "" };
	char *rel, *text;
	cJSON *o;

	if (!st->have_load || st->load_running || !st->load.ended ||
	    st->judge_error != NULL || !st->judge.compared)
		return;
	rel = xasprintf("load/%d/judgement.json", st->load.id);
	o = load_json(st);
	text = cJSON_Print(o);
	if (lab_write_file(lab, rel, text, 0644, false, &e) != 0)
		fprintf(stderr, "cutover: lab status: the judgement is not kept for "
		    "the report: %s\n", e.msg);
	free(text);
	cJSON_Delete(o);
	free(rel);
}

static void
print_json(const struct lab *lab, const struct lab_status *st, bool ok)
{
	const struct lab_sub_status *fw = lab_status_forward_sub(st);
	const struct lab_slot_status *slot =
	    lab_status_slot(&st->side[LAB_SOURCE], LAB_SUBSCRIPTION);
	cJSON *o = cJSON_CreateObject(), *x;
	char *text, *conf = lab_path(lab, "cutover.conf");

	cJSON_AddStringToObject(o, "dir", lab->dir);
	cJSON_AddStringToObject(o, "state", lab_state_name(lab->state));
	json_add_string(o, "step", lab->step);
	if (lab->state == LAB_BUILDING)
		cJSON_AddBoolToObject(o, "builder_running",
		    lab_proc_alive(lab->builder, NULL));
	json_add_string(o, "error", lab->error);
	cJSON_AddStringToObject(o, "user", lab->user);
	cJSON_AddNumberToObject(o, "rows", (double)lab->rows);
	json_add_time(o, "created_at", lab->created_ms);
	json_add_time(o, "ready_at", lab->ready_ms);
	cJSON_AddStringToObject(o, "config", conf);
	cJSON_AddBoolToObject(o, "running", st->all_running);
	cJSON_AddBoolToObject(o, "ok", ok);
	cJSON_AddItemToObject(o, "source", side_json(&st->side[LAB_SOURCE]));
	cJSON_AddItemToObject(o, "target", side_json(&st->side[LAB_TARGET]));
	x = cJSON_AddObjectToObject(o, "pgbouncer");
	cJSON_AddNumberToObject(x, "port", st->bouncer.port);
	cJSON_AddBoolToObject(x, "running", st->bouncer.pid != 0);
	if (st->bouncer.pid != 0)
		cJSON_AddNumberToObject(x, "pid", st->bouncer.pid);
	else
		cJSON_AddNullToObject(x, "pid");
	json_add_string(x, "error", st->bouncer.error);
	cJSON_AddStringToObject(x, "database", LAB_DB);
	json_add_string(x, "points_to", st->points_to);
	json_add_string(x, "host", st->bouncer.host);
	cJSON_AddNumberToObject(x, "entry_port", st->bouncer.entry_port);
	cJSON_AddBoolToObject(x, "live", st->bouncer.live);
	json_add_string(x, "file_entry_differs", st->bouncer.file_entry);
	cJSON_AddBoolToObject(x, "paused", st->bouncer.paused);
	cJSON_AddNumberToObject(x, "clients_active", (double)st->bouncer.cl_active);
	cJSON_AddNumberToObject(x, "clients_waiting",
	    (double)st->bouncer.cl_waiting);
	cJSON_AddNumberToObject(x, "servers_active", (double)st->bouncer.sv_active);
	cJSON_AddStringToObject(o, "provider", lab_is_dms(lab) ? "dms" :
	    "postgres");
	if (lab_is_dms(lab)) {
		x = cJSON_AddObjectToObject(o, "dms");
		cJSON_AddNumberToObject(x, "port", lab->dms_port);
		cJSON_AddBoolToObject(x, "running", st->dms_pid != 0);
		if (st->dms_pid != 0)
			cJSON_AddNumberToObject(x, "pid", st->dms_pid);
		else
			cJSON_AddNullToObject(x, "pid");
	}
	x = cJSON_AddObjectToObject(o, "replication");
	cJSON_AddStringToObject(x, "publication", LAB_PUBLICATION);
	cJSON_AddStringToObject(x, "subscription", LAB_SUBSCRIPTION);
	cJSON_AddBoolToObject(x, "exists", fw != NULL);
	cJSON_AddBoolToObject(x, "enabled", fw != NULL && fw->enabled);
	cJSON_AddBoolToObject(x, "worker", fw != NULL && fw->worker);
	cJSON_AddNumberToObject(x, "tables", fw != NULL ? (double)fw->tables : 0);
	cJSON_AddNumberToObject(x, "tables_ready", fw != NULL ?
	    (double)fw->ready : 0);
	cJSON_AddBoolToObject(x, "slot_active", slot != NULL && slot->active);
	if (slot != NULL)
		cJSON_AddNumberToObject(x, "retained_wal_bytes",
		    (double)slot->retained);
	else
		cJSON_AddNullToObject(x, "retained_wal_bytes");
	if (st->have_load)
		cJSON_AddItemToObject(o, "load", load_json(st));
	else
		cJSON_AddNullToObject(o, "load");
	text = cJSON_Print(o);
	puts(text);
	free(text);
	free(conf);
	cJSON_Delete(o);
}

static void
print_side(const struct lab *lab, enum lab_side s,
    const struct lab_side_status *st)
{
	char b[32];
	size_t i;

	printf("  %-11s 127.0.0.1:%-5d ", lab_side_name(s), st->port);
	if (st->pid == 0) {
		printf("stopped (log: %s/%s/server.log)\n", lab->dir,
		    lab_side_name(s));
		return;
	}
	printf("running (pid %ld)", (long)st->pid);
	if (st->error != NULL)
		printf("; cannot ask it: %s", st->error);
	putchar('\n');
	for (i = 0; i < st->nsubs; i++)
		printf("  %-11s subscription %s: %s, %" PRId64 " of %" PRId64
		    " tables ready (r)%s\n", "", st->subs[i].name,
		    st->subs[i].enabled ? "enabled" : "DISABLED", st->subs[i].ready,
		    st->subs[i].tables, st->subs[i].enabled && !st->subs[i].worker ?
		    ", no apply worker running" : "");
	for (i = 0; i < st->nslots; i++)
		printf("  %-11s slot %s: %s, %s of WAL retained\n", "",
		    st->slots[i].name, st->slots[i].active ? "active" : "INACTIVE",
		    lab_bytes(st->slots[i].retained, b, sizeof b));
}

static void
print_load(const struct lab *lab, const struct lab_status *st)
{
	const struct lab_load *ld = &st->load;
	const struct lab_judgement *j = &st->judge;
	char when[40];
	int64_t elapsed;

	elapsed = ((ld->ended ? ld->ended_ms : now_ms()) - ld->started_ms) / 1000;
	printf("  %-11s ", "load");
	if (st->load_running)
		printf("%d running (pid %ld): %" PRId64 " s of %d s", ld->id,
		    (long)ld->pid, elapsed, ld->duration);
	else if (ld->ended && ld->exit_signal != 0)
		printf("%d stopped by signal %d after %" PRId64 " s", ld->id,
		    ld->exit_signal, elapsed);
	else if (ld->ended)
		printf("%d ended (pgbench exit %d) after %" PRId64 " s", ld->id,
		    ld->exit_code, elapsed);
	else
		printf("%d is not running (pgbench gone, its end unrecorded)",
		    ld->id);
	printf(", %d tx/s asked, %d clients through pgbouncer\n", ld->rate,
	    ld->clients);
	printf("  %-11s %" PRId64 " transactions logged in %s/load/%d/, %"
	    PRId64 " committed, %" PRId64 " failed, %d client%s aborted\n", "",
	    j->transactions, lab->dir, ld->id, j->committed, j->failed,
	    j->aborted_clients, j->aborted_clients == 1 ? "" : "s");
	if (j->compared)
		printf("  %-11s on the %s (where the application points): %" PRId64
		    " lost, %" PRId64 " duplicated, %" PRId64 " unconfirmed%s%s\n", "",
		    j->primary, j->lost, j->duplicated, j->unconfirmed,
		    st->load_running && j->unconfirmed > 0 ?
		    " (committed, not yet in pgbench's buffered log)" : "",
		    j->balance_checked ? (j->balance_ok ? "; the balances add up" :
		    "; the balances DO NOT add up") : "");
	if (j->committed > 0) {
		time_local(j->max_gap_at_ms, when, sizeof when);
		printf("  %-11s longest transaction %.1f ms, longest gap between "
		    "commits %.1f ms (ending %s)\n", "", j->max_latency_ms,
		    j->max_gap_ms, when);
	}
	if (st->judge_error != NULL)
		printf("  %-11s not judged: %s\n", "verdict", st->judge_error);
	else
		printf("  %-11s %s%s\n", "verdict", j->verdict,
		    st->load_running && j->passed ? " so far" : "");
}

static void
print_dms(const struct lab *lab, const struct lab_status *st)
{
	printf("  %-11s 127.0.0.1:%-5d ", "dms", lab->dms_port);
	if (st->dms_pid == 0)
		printf("the emulator is stopped (log: %s/dms/emulator.log)\n",
		    lab->dir);
	else
		printf("the emulator runs (pid %ld); its requests in "
		    "%s/dms/requests.jsonl\n", (long)st->dms_pid, lab->dir);
}

static void
print_status(const struct lab *lab, const struct lab_status *st)
{
	char when[40];

	printf("lab %s: ", lab->dir);
	switch (lab->state) {
	case LAB_UP:
		time_local(lab->ready_ms, when, sizeof when);
		printf("up since %s, %" PRId64 " rows, processes run as %s\n", when,
		    lab->rows, lab->user);
		break;
	case LAB_BUILDING:
		if (lab_proc_alive(lab->builder, NULL))
			printf("being built (lab up, pid %ld): %s\n",
			    (long)lab->builder, lab->step != NULL ? lab->step : "?");
		else
			printf("half-built: lab up (pid %ld) was interrupted at '%s'; "
			    "`cutover lab up --dir %s` starts over, `cutover lab down "
			    "--dir %s` removes it\n", (long)lab->builder,
			    lab->step != NULL ? lab->step : "?", lab->dir, lab->dir);
		break;
	case LAB_FAILED:
		printf("half-built: lab up failed at '%s': %s\n"
		    "`cutover lab up --dir %s` starts over, `cutover lab down "
		    "--dir %s` removes it\n", lab->step != NULL ? lab->step : "?",
		    lab->error != NULL ? lab->error : "?", lab->dir, lab->dir);
		break;
	case LAB_NONE:
		break;
	}
	print_side(lab, LAB_SOURCE, &st->side[LAB_SOURCE]);
	print_side(lab, LAB_TARGET, &st->side[LAB_TARGET]);
	printf("  %-11s 127.0.0.1:%-5d ", "pgbouncer", st->bouncer.port);
	if (st->bouncer.pid == 0)
		printf("stopped (log: %s/pgbouncer/pgbouncer.log)", lab->dir);
	else
		printf("running (pid %ld)", (long)st->bouncer.pid);
	putchar('\n');
	if (st->bouncer.host != NULL)
		printf("  %-11s %s -> %s (%s:%d)%s; %" PRId64 " clients active, %"
		    PRId64 " waiting\n", "", LAB_DB,
		    st->points_to != NULL ? st->points_to : "?", st->bouncer.host,
		    st->bouncer.entry_port, st->bouncer.paused ? ", PAUSED" : "",
		    st->bouncer.cl_active, st->bouncer.cl_waiting);
	if (st->bouncer.file_entry != NULL)
		printf("  %-11s databases.ini says %s (not reloaded yet)\n", "",
		    st->bouncer.file_entry);
	if (st->bouncer.error != NULL && st->bouncer.pid != 0)
		printf("  %-11s cannot ask it: %s\n", "", st->bouncer.error);
	if (lab_is_dms(lab))
		print_dms(lab, st);
	if (st->have_load)
		print_load(lab, st);
	else
		printf("  %-11s none yet: cutover lab load --dir %s\n", "load",
		    lab->dir);
	if (lab->state == LAB_UP && lab_is_dms(lab)) {
		char *env = lab_dms_env(lab);

		printf("console:      %s cutover -c %s/cutover.conf\n", env,
		    lab->dir);
		free(env);
	} else if (lab->state == LAB_UP) {
		printf("console:      cutover -c %s/cutover.conf\n", lab->dir);
	}
}

static int
lab_status_cmd(struct ctx *ctx, const struct command *cmd,
    const struct args *a)
{
	const char *dir = lab_dir(a);
	struct err e = { 0, "" };
	struct lab_status st;
	struct lab lab;
	bool json = args_has(a, 'j'), ok;

	(void)ctx;
	if (lab_open(&lab, dir, &e) != 0) {
		lab_free(&lab);
		return report_error(&e, cmd);
	}
	if (!lab_exists(&lab)) {
		if (json) {
			cJSON *o = cJSON_CreateObject();
			char *text;

			cJSON_AddStringToObject(o, "dir", lab.dir);
			cJSON_AddStringToObject(o, "state", "none");
			cJSON_AddBoolToObject(o, "ok", false);
			text = cJSON_Print(o);
			puts(text);
			free(text);
			cJSON_Delete(o);
		} else
			printf("no lab in %s: `cutover lab up --dir %s` builds one\n",
			    lab.dir, lab.dir);
		lab_free(&lab);
		return EXIT_CHECK;
	}
	if (lab_status_gather(&lab, &st, &e) != 0) {
		lab_free(&lab);
		return report_error(&e, cmd);
	}
	ok = lab_status_ok(&lab, &st);
	keep_judgement(&lab, &st);
	if (json)
		print_json(&lab, &st, ok);
	else
		print_status(&lab, &st);
	lab_status_free(&st);
	lab_free(&lab);
	return ok ? EXIT_OK : EXIT_CHECK;
}

/* ----------------------------------------------------------------- up */

static void
print_up(const struct lab *lab, const char *headline)
{
	int64_t counts[16];
	size_t i;

	lab_rows_split(lab->rows, counts);
	printf("%s\n", headline);
	printf("  source     127.0.0.1:%-5d  log %s/source/server.log\n",
	    lab->source_port, lab->dir);
	printf("  target     127.0.0.1:%-5d  subscription %s to the source's "
	    "publication %s\n", lab->target_port, LAB_SUBSCRIPTION,
	    LAB_PUBLICATION);
	printf("  pgbouncer  127.0.0.1:%-5d  the application's endpoint: "
	    "database %s as %s\n", lab->bouncer_port, LAB_DB, LAB_APP_ROLE);
	printf("  rows       ");
	for (i = 0; i < lab_ntables; i++)
		printf("%s%s %" PRId64, i > 0 ? ", " : "", lab_tables[i], counts[i]);
	printf("\n  config     %s/cutover.conf (environment lab, rehearsal, "
	    "provider %s)\n", lab->dir, lab_is_dms(lab) ? "dms" : "postgres");
	if (lab_is_dms(lab))
		printf("  dms        127.0.0.1:%-5d  the DMS emulator: tasks "
		    "cutover-lab-forward and -reverse, profile %s in %s/aws\n",
		    lab->dms_port, LAB_DMS_PROFILE, lab->dir);
	printf("Put it under load:  cutover lab load --dir %s --rate 200\n"
	    "Judge the load:     cutover lab status --dir %s\n"
	    "Tear it down:       cutover lab down --dir %s\n"
	    "Open the console on it:\n", lab->dir, lab->dir, lab->dir);
	if (lab_is_dms(lab)) {
		char *env = lab_dms_env(lab);

		printf("  %s cutover -c %s/cutover.conf\n", env, lab->dir);
		free(env);
	} else {
		printf("  cutover -c %s/cutover.conf\n", lab->dir);
	}
}

static int
lab_up_cmd(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	const char *dir = lab_dir(a), *provider = "postgres";
	struct err e = { 0, "" };
	int64_t rows = LAB_DEFAULT_ROWS, start = mono_ms();
	bool created, rows_given = false;
	char restarted[128], *headline, *lock;
	struct lab lab;
	int rc = EXIT_OK;
	size_t i;

	(void)ctx;
	/* In the order given, so the first bad value is the one named. */
	for (i = 0; i < a->n; i++)
		switch (a->v[i].key) {
		case 'r':
			if (parse_count("--rows", a->v[i].value, LAB_MIN_ROWS,
			    LAB_MAX_ROWS, &rows, &e) != 0)
				return report_error(&e, cmd);
			rows_given = true;
			break;
		case 'p':
			if (strcmp(a->v[i].value, "postgres") != 0 &&
			    strcmp(a->v[i].value, "dms") != 0) {
				err_set(&e, EXIT_USAGE, "usage: lab up: --provider %s: "
				    "expected postgres or dms", a->v[i].value);
				return report_error(&e, cmd);
			}
			provider = a->v[i].value;
			break;
		}
	if (lab_open(&lab, dir, &e) != 0)
		goto fail;
	if (!lab_exists(&lab) && !lab_dir_unused(lab.dir)) {
		err_set(&e, EXIT_USAGE, "%s exists and is not a lab (no %s in it); "
		    "choose another --dir", lab.dir, LAB_FILE);
		goto fail;
	}
	created = access(lab.dir, F_OK) != 0;
	if (lab_mkdir_p(lab.dir, &e) != 0 || lab_lock(&lab, &e) != 0 ||
	    lab_reload(&lab, &e) != 0)
		goto fail;
	switch (lab.state) {
	case LAB_UP:
		if (lab_restart_stopped(&lab, restarted, sizeof restarted, &e) != 0)
			goto fail;
		if (*restarted != '\0')
			headline = xasprintf("The lab in %s was up but stopped; "
			    "started again: %s.", lab.dir, restarted);
		else
			headline = xasprintf("The lab in %s is already up; nothing "
			    "changed%s.", lab.dir, rows_given ? " (--rows is for a "
			    "new lab: `cutover lab down` first)" : "");
		print_up(&lab, headline);
		free(headline);
		lab_free(&lab);
		return EXIT_OK;
	case LAB_BUILDING:
	case LAB_FAILED:
		printf("%s holds a half-built lab (lab up %s at '%s'); removing it "
		    "and starting over\n", lab.dir, lab.state == LAB_FAILED ?
		    "failed" : "was interrupted", lab.step != NULL ? lab.step : "?");
		if (lab_stop_all(&lab, &e) != 0 || lab_clear(&lab, &e) != 0)
			goto fail;
		break;
	case LAB_NONE:
		break;
	}
	free(lab.provider);
	lab.provider = xstrdup(provider);
	if (lab_up(&lab, rows, &e) != 0) {
		/* Nothing was built: leave no empty directory behind. */
		if (created && !lab_exists(&lab)) {
			lock = lab_path(&lab, "lab.lock");
			unlink(lock);
			free(lock);
			rmdir(lab.dir);
		}
		goto fail;
	}
	headline = xasprintf("The lab is up in %s (built in %.1f s; its "
	    "processes run as %s).", lab.dir, (double)(mono_ms() - start) / 1000,
	    lab.user);
	print_up(&lab, headline);
	free(headline);
	lab_free(&lab);
	return rc;
fail:
	lab_free(&lab);
	return report_error(&e, cmd);
}

/* --------------------------------------------------------------- load */

static int
lab_load_cmd(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	const char *dir = lab_dir(a);
	struct err e = { 0, "" };
	int64_t rate = 100, duration = 300, clients = 8;
	struct lab_load ld;
	struct lab lab;
	bool stop = args_has(a, 'S');
	size_t i;
	int rc = 0;

	(void)ctx;
	/* In the order given, so the first bad value is the one named. */
	for (i = 0; i < a->n && rc == 0; i++)
		switch (a->v[i].key) {
		case 'R':
			rc = parse_count("--rate", a->v[i].value, 1, 100000, &rate,
			    &e);
			break;
		case 'T':
			rc = parse_count("--duration", a->v[i].value, 1, 7 * 86400,
			    &duration, &e);
			break;
		case 'C':
			rc = parse_count("--clients", a->v[i].value, 1, 100, &clients,
			    &e);
			break;
		}
	if (rc != 0)
		return report_error(&e, cmd);
	if (lab_open(&lab, dir, &e) != 0)
		goto fail;
	if (lab.state != LAB_UP) {
		err_set(&e, EXIT_CHECK, "no lab is up in %s: `cutover lab up --dir "
		    "%s` first", lab.dir, lab.dir);
		goto fail;
	}
	if (lab_lock(&lab, &e) != 0)
		goto fail;
	if (stop) {
		if (lab_load_latest(&lab, &ld, &e) < 0)
			goto fail;
		if (ld.id == 0 || !lab_load_running(&ld)) {
			printf("no load is running in %s\n", lab.dir);
		} else {
			if (lab_load_stop(&lab, &ld, &e) != 0)
				goto fail;
			printf("load %d stopped; `cutover lab status --dir %s` judges "
			    "what it did\n", ld.id, lab.dir);
		}
		lab_free(&lab);
		return EXIT_OK;
	}
	if (lab_bouncer_pid(&lab) == 0) {
		err_set(&e, EXIT_CHECK, "pgbouncer is not running in %s: "
		    "`cutover lab up --dir %s` starts it again", lab.dir, lab.dir);
		goto fail;
	}
	if (lab_load_start(&lab, (int)rate, (int)duration, (int)clients, &ld,
	    &e) != 0)
		goto fail;
	printf("load %d started: pgbench (pid %ld), %d clients through pgbouncer "
	    "127.0.0.1:%d as %s,\n%d tx/s for %d s; it stops by itself. Its "
	    "per-transaction log is in %s/load/%d/.\n"
	    "Judge it:  cutover lab status --dir %s\n"
	    "Stop it:   cutover lab load --dir %s --stop\n", ld.id, (long)ld.pid,
	    ld.clients, lab.bouncer_port, LAB_APP_ROLE, ld.rate, ld.duration,
	    lab.dir, ld.id, lab.dir, lab.dir);
	lab_free(&lab);
	return EXIT_OK;
fail:
	lab_free(&lab);
	return report_error(&e, cmd);
}

/* --------------------------------------------------------------- down */

static int
lab_down_cmd(struct ctx *ctx, const struct command *cmd, const struct args *a)
{
	const char *dir = lab_dir(a);
	struct err e = { 0, "" };
	struct lab lab;
	char *lock;

	(void)ctx;
	if (lab_open(&lab, dir, &e) != 0)
		goto fail;
	if (!lab_exists(&lab)) {
		if (access(lab.dir, F_OK) != 0) {
			printf("no lab in %s: nothing to do\n", lab.dir);
			lab_free(&lab);
			return EXIT_OK;
		}
		if (!lab_dir_unused(lab.dir)) {
			err_set(&e, EXIT_USAGE, "%s is not a lab (no %s in it): not "
			    "touching it", lab.dir, LAB_FILE);
			goto fail;
		}
		/* What an early failure of lab up may leave: an empty directory. */
		lock = lab_path(&lab, "lab.lock");
		unlink(lock);
		free(lock);
		if (rmdir(lab.dir) != 0) {
			err_set(&e, EXIT_RUNTIME, "%s: cannot remove: %s", lab.dir,
			    strerror(errno));
			goto fail;
		}
		printf("removed the empty %s\n", lab.dir);
		lab_free(&lab);
		return EXIT_OK;
	}
	if (lab_lock(&lab, &e) != 0)
		goto fail;
	if (lab_stop_all(&lab, &e) != 0) {
		err_prefix(&e, "stopping the lab in %s (nothing removed)", lab.dir);
		goto fail;
	}
	if (lab_remove(&lab, &e) != 0)
		goto fail;
	printf("the lab in %s is down: its load, pgbouncer and both servers are "
	    "stopped and the directory is removed\n", lab.dir);
	lab_free(&lab);
	return EXIT_OK;
fail:
	lab_free(&lab);
	return report_error(&e, cmd);
}

/* ---------------------------------------------------------------- lab */

int
cmd_lab(struct ctx *ctx, const struct command *cmd, int argc, char **argv)
{
	/* Each subcommand takes its own keys of the lab's options (cmd.c). */
	static const struct {
		const char *name;
		const char *keys;
		cmd_exec_fn exec;
	} subs[] = {
		{ "up", "drp", lab_up_cmd },
		{ "load", "dRTCS", lab_load_cmd },
		{ "status", "dj", lab_status_cmd },
		{ "down", "d", lab_down_cmd },
	};
	struct err e = { 0, "" };
	size_t i;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0)) {
			print_command_help(stdout, cmd);
			return EXIT_OK;
		}
		err_set(&e, EXIT_USAGE, "usage: lab: which one: up, load, status or "
		    "down");
		return report_error(&e, cmd);
	}
	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return args_exec(ctx, cmd, subs[i].keys, argc - 1, argv + 1,
			    subs[i].exec);
	err_set(&e, EXIT_USAGE, "usage: lab: unknown subcommand '%s' (up, load, "
	    "status or down)", argv[1]);
	return report_error(&e, cmd);
}
