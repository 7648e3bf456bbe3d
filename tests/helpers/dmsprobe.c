/* dmsprobe - drives the DMS provider and the AWS client the way the
 * console does, for the integration tests.
 *
 *   dmsprobe [options] CONFIG COMMAND [ARG]
 *
 *   refresh          one refresh: {"replication": ..., "tables": [...],
 *                    "task": ...} (names as in `status --json`)
 *   task             DescribeReplicationTasks only: the task as JSON
 *   metrics          a refresh, then the CloudWatch series as JSON
 *   stop | reverse-stop   the provider operations
 *   start [LSN]      start (from LSN: the provider's resume_from)
 *   reverse-start [LSN|@EPOCH_MS]  from a position or an instant
 *   watch SECONDS    refresh once a second as the console does, for
 *                    SECONDS (of CUTOVER_TEST_TIME_FACTOR-scaled time):
 *                    {"refreshes", "failed", "replication", "tables"}
 *   check            the settings check: {"fails", "warns", "facts"}
 *   stop-at POSITION resume with a CdcStopPosition, wait for the stop
 *   describe OP      the --dry-run words for OP
 *   mappings FILE    ModifyReplicationTask: the forward task's
 *                    TableMappings become FILE's text (the task must not
 *                    be running); then the mappings the provider reads
 *   creds [N]        resolve credentials N times (default 1), one loop
 *                    pass apart: source, key id, expiry, fetch count
 *   endpoints        the region and the endpoints
 *
 * Options: -t MS timeout per attempt, -C MS connect timeout, -a N
 * attempts, -b MS backoff base, -p MS poll, -w MS wait. Errors go to
 * stderr, exit 3 (runtime) or 2 (usage). Secrets never reach the output. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/dms.h"
#include "aws/endpoint.h"
#include "conf.h"
#include "loop.h"
#include "provider-dms.h"
#include "provider.h"
#include "util.h"

static struct loop *loop;
static int result = -1;
static struct err result_err;
static bool finished;

static void
on_done(struct provider *p, int rc, const struct err *e, void *arg)
{
	(void)p;
	(void)arg;
	result = rc;
	if (e != NULL)
		result_err = *e;
	finished = true;
	loop_stop(loop);
}

static void
run_loop(void)
{
	while (!finished)
		if (loop_run_once(loop, 1000) < 0)
			break;
}

static void
add_num(cJSON *o, const char *k, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, v);
}

static void
add_count(cJSON *o, const char *k, int64_t v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v == NULL)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddStringToObject(o, k, v);
}

static cJSON *
status_json(const struct provider *p)
{
	const struct repl_status *s = &p->status;
	cJSON *o = cJSON_CreateObject(), *lag;

	add_str(o, "provider", s->provider);
	add_str(o, "status", s->status);
	add_str(o, "stop_reason", s->stop_reason);
	add_str(o, "last_failure", s->last_failure);
	add_num(o, "full_load_percent", s->full_load_percent);
	add_count(o, "tables_loaded", s->tables_loaded);
	add_count(o, "tables_loading", s->tables_loading);
	add_count(o, "tables_queued", s->tables_queued);
	add_count(o, "tables_errored", s->tables_errored);
	lag = cJSON_AddObjectToObject(o, "lag_seconds");
	add_num(lag, "source", s->lag_source);
	add_num(lag, "target", s->lag_target);
	cJSON_AddNullToObject(lag, "end_to_end");
	add_str(o, "error", s->error);
	return o;
}

static cJSON *
tables_json(const struct provider *p)
{
	cJSON *a = cJSON_CreateArray(), *o;
	char *name;
	size_t i;

	for (i = 0; i < p->tables.n; i++) {
		const struct table_stat *t = &p->tables.v[i];

		o = cJSON_CreateObject();
		name = xasprintf("%s.%s", t->schema, t->name);
		cJSON_AddStringToObject(o, "table", name);
		free(name);
		add_str(o, "state", t->state);
		add_count(o, "source_rows", t->source_rows);
		add_count(o, "target_rows", t->target_rows);
		add_count(o, "inserts", t->inserts);
		add_count(o, "updates", t->updates);
		add_count(o, "deletes", t->deletes);
		add_count(o, "ddls", t->ddls);
		add_count(o, "full_load_rows", t->full_load_rows);
		add_str(o, "validation_state", t->validation_state);
		add_count(o, "validation_failed_records",
		    t->validation_failed_records);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void
print_json(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static int
fail(const char *what)
{
	fprintf(stderr, "dmsprobe: %s: %s\n", what, result_err.msg);
	return result_err.code ? result_err.code : EXIT_RUNTIME;
}

/* ---- task ----------------------------------------------------------- */

static void
on_task(const struct dms_task *t, const struct err *e, void *arg)
{
	(void)arg;
	finished = true;
	if (t == NULL) {
		result_err = *e;
		return;
	}
	result = 0;
	print_json(dms_task_to_json(t));
}

/* ---- mappings ------------------------------------------------------- */

static void
on_modified(cJSON *resp, const struct err *e, void *arg)
{
	(void)arg;
	finished = true;
	loop_stop(loop);
	if (resp == NULL) {
		result_err = *e;
		return;
	}
	result = 0;
}

static char *mappings_read;

static int
set_mappings(struct provider *p, struct aws_client *client,
    const struct config *cfg, const char *file)
{
	cJSON *body = cJSON_CreateObject();
	struct strbuf sb;
	FILE *f = fopen(file, "r");
	char buf[4096];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "dmsprobe: %s: cannot read it\n", file);
		cJSON_Delete(body);
		return EXIT_USAGE;
	}
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_printf(&sb, "%.*s", (int)n, buf);
	fclose(f);
	cJSON_AddStringToObject(body, "ReplicationTaskArn", cfg->task_arn);
	cJSON_AddStringToObject(body, "TableMappings", sb.buf != NULL ? sb.buf :
	    "");
	sb_free(&sb);
	if (aws_call(client, &aws_service_dms, "ModifyReplicationTask", body,
	    false, on_modified, NULL, &result_err) == NULL)
		return fail("ModifyReplicationTask");
	run_loop();
	if (result != 0)
		return fail("ModifyReplicationTask");
	result = -1;
	finished = false;
	p->ops->table_mappings(p, &mappings_read, on_done, NULL);
	run_loop();
	if (result != 0)
		return fail("table mappings");
	printf("%s\n", mappings_read != NULL ? mappings_read : "null");
	free(mappings_read);
	return 0;
}

/* ---- creds ---------------------------------------------------------- */

static int creds_left;
static struct aws_creds_provider *creds_provider;

static void
on_creds(const struct aws_creds *c, const struct err *e, void *arg)
{
	cJSON *o;
	char buf[40];

	(void)arg;
	if (c == NULL) {
		result_err = *e;
		finished = true;
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", c->source);
	cJSON_AddStringToObject(o, "access_key_id", c->access_key_id);
	cJSON_AddBoolToObject(o, "session_token", c->session_token != NULL);
	if (c->expires_ms > 0) {
		time_rfc3339(c->expires_ms, buf, sizeof buf);
		cJSON_AddStringToObject(o, "expires", buf);
	} else
		cJSON_AddNullToObject(o, "expires");
	cJSON_AddNumberToObject(o, "fetches", aws_creds_fetches(creds_provider));
	print_json(o);
	fflush(stdout);
	if (--creds_left > 0) {
		aws_creds_get(creds_provider, on_creds, NULL);
		return;
	}
	result = 0;
	finished = true;
}

/* A console's refreshes: one a second of the (scaled) clock. */
static int
watch(struct provider *p, double seconds)
{
	const char *fs = getenv("CUTOVER_TEST_TIME_FACTOR");
	double f = fs != NULL && atof(fs) >= 1 ? atof(fs) : 1;
	int64_t tick = (int64_t)(1000 / f), end, next;
	int refreshes = 0, failed = 0;
	cJSON *o;

	if (tick < 1)
		tick = 1;
	end = mono_ms() + (int64_t)(seconds * 1000 / f);
	while (mono_ms() < end) {
		next = mono_ms() + tick;
		finished = false;
		p->want_tables = refreshes % 10 == 0;
		p->ops->refresh(p, on_done, NULL);
		run_loop();
		refreshes++;
		if (result != 0)
			failed++;
		while (mono_ms() < next)
			loop_run_once(loop, next - mono_ms());
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "refreshes", refreshes);
	cJSON_AddNumberToObject(o, "failed", failed);
	cJSON_AddItemToObject(o, "replication", status_json(p));
	print_json(o);
	return result == 0 ? 0 : fail("watch");
}

static int
check(struct provider *p)
{
	struct provider_check c;
	cJSON *o;
	int rc;

	if (p->ops->check == NULL) {
		fprintf(stderr, "dmsprobe: the provider checks nothing\n");
		return EXIT_RUNTIME;
	}
	sb_init(&c.fails);
	sb_init(&c.warns);
	sb_init(&c.facts);
	p->ops->check(p, &c, on_done, NULL);
	run_loop();
	rc = result == 0 ? 0 : fail("check");
	o = cJSON_CreateObject();
	add_str(o, "fails", c.fails.buf != NULL ? c.fails.buf : "");
	add_str(o, "warns", c.warns.buf != NULL ? c.warns.buf : "");
	add_str(o, "facts", c.facts.buf != NULL ? c.facts.buf : "");
	print_json(o);
	sb_free(&c.fails);
	sb_free(&c.warns);
	sb_free(&c.facts);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: dmsprobe [-t MS] [-C MS] [-a N] [-b MS] "
	    "[-p MS] [-w MS] CONFIG COMMAND [ARG]\n");
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct provider *p = NULL;
	struct aws_client *client;
	struct provider_position pos;
	struct strbuf sb;
	struct err e = { 0, "" };
	const char *cmd, *arg;
	int64_t timeout = 0, connect = 0, backoff = -1, poll = -1, wait = -1;
	int attempts = 0, c, rc = 0;
	cJSON *o, *a, *pts, *pt;
	const struct series *s;
	size_t n, i, k;

	while ((c = getopt(argc, argv, "t:C:a:b:p:w:")) != -1) {
		switch (c) {
		case 't': timeout = atoll(optarg); break;
		case 'C': connect = atoll(optarg); break;
		case 'a': attempts = atoi(optarg); break;
		case 'b': backoff = atoll(optarg); break;
		case 'p': poll = atoll(optarg); break;
		case 'w': wait = atoll(optarg); break;
		default: return usage();
		}
	}
	if (argc - optind < 2)
		return usage();
	cmd = argv[optind + 1];
	arg = argc - optind > 2 ? argv[optind + 2] : NULL;
	config_defaults(&cfg);
	if (config_load(&cfg, argv[optind], &e) != 0) {
		fprintf(stderr, "dmsprobe: %s\n", e.msg);
		config_free(&cfg);
		return e.code;
	}
	loop = loop_new();

	if (strcmp(cmd, "endpoints") == 0) {
		const char *from = NULL;
		char *region = aws_region(cfg.region, &from, &e), *u;

		if (region == NULL) {
			fprintf(stderr, "dmsprobe: %s\n", e.msg);
			rc = e.code;
			goto out;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "region", region);
		cJSON_AddStringToObject(o, "region_from", from);
		u = aws_endpoint(&aws_service_dms, region);
		cJSON_AddStringToObject(o, "dms", u);
		free(u);
		u = aws_endpoint(&aws_service_cloudwatch, region);
		cJSON_AddStringToObject(o, "cloudwatch", u);
		free(u);
		u = aws_endpoint(&aws_service_rds, region);
		cJSON_AddStringToObject(o, "rds", u);
		free(u);
		free(region);
		print_json(o);
		goto out;
	}
	if (strcmp(cmd, "creds") == 0) {
		struct http *h = http_new(loop, &e);

		creds_provider = aws_creds_provider_new(loop, h);
		creds_left = arg != NULL ? atoi(arg) : 1;
		aws_creds_get(creds_provider, on_creds, NULL);
		run_loop();
		aws_creds_provider_free(creds_provider);
		http_free(h);
		rc = result == 0 ? 0 : fail("credentials");
		goto out;
	}

	if ((p = provider_new(loop, &cfg, &e)) == NULL) {
		fprintf(stderr, "dmsprobe: %s\n", e.msg);
		rc = e.code;
		goto out;
	}
	client = provider_dms_client(p);
	if (timeout > 0)
		client->opts.timeout_ms = timeout;
	if (connect > 0)
		client->opts.connect_timeout_ms = connect;
	if (attempts > 0)
		client->opts.max_attempts = attempts;
	if (backoff >= 0)
		client->opts.backoff_base_ms = backoff;
	if (poll >= 0 || wait >= 0)
		provider_dms_set_waits(p, poll >= 0 ? poll : 5000,
		    wait >= 0 ? wait : 15 * 60 * 1000);

	if (strcmp(cmd, "refresh") == 0 || strcmp(cmd, "metrics") == 0) {
		p->ops->refresh(p, on_done, NULL);
		run_loop();
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "replication", status_json(p));
		if (strcmp(cmd, "refresh") == 0) {
			char *tj = provider_dms_task_json(p);

			cJSON_AddItemToObject(o, "tables", tables_json(p));
			cJSON_AddItemToObject(o, "task", tj != NULL ?
			    cJSON_Parse(tj) : cJSON_CreateNull());
			free(tj);
		} else {
			a = cJSON_AddArrayToObject(o, "series");
			s = provider_dms_series(p, &n);
			for (i = 0; i < n; i++) {
				cJSON *so = cJSON_CreateObject();

				cJSON_AddStringToObject(so, "name", s[i].name);
				cJSON_AddStringToObject(so, "unit", s[i].unit);
				pts = cJSON_AddArrayToObject(so, "points");
				for (k = 0; k < s[i].n; k++) {
					int64_t t;
					double v = series_at(&s[i], k, &t);

					pt = cJSON_CreateArray();
					cJSON_AddItemToArray(pt,
					    cJSON_CreateNumber((double)t));
					cJSON_AddItemToArray(pt,
					    cJSON_CreateNumber(v));
					cJSON_AddItemToArray(pts, pt);
				}
				cJSON_AddItemToArray(a, so);
			}
		}
		print_json(o);
		rc = result == 0 ? 0 : fail(cmd);
	} else if (strcmp(cmd, "task") == 0) {
		if (dms_describe_task(client, cfg.task_arn, on_task, NULL,
		    &result_err) == NULL)
			finished = true;
		run_loop();
		rc = result == 0 ? 0 : fail(cmd);
	} else if (strcmp(cmd, "watch") == 0 && arg != NULL) {
		rc = watch(p, atof(arg));
	} else if (strcmp(cmd, "check") == 0) {
		rc = check(p);
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "start") == 0 ||
	    strcmp(cmd, "reverse-stop") == 0) {
		if (strcmp(cmd, "stop") == 0)
			p->ops->stop(p, on_done, NULL);
		else if (strcmp(cmd, "start") == 0) {
			if (arg != NULL)
				p->resume_from.lsn = xstrdup(arg);
			p->ops->start(p, on_done, NULL);
		}
		else
			p->ops->reverse_stop(p, on_done, NULL);
		run_loop();
		rc = result == 0 ? 0 : fail(cmd);
	} else if (strcmp(cmd, "reverse-start") == 0) {
		memset(&pos, 0, sizeof pos);
		if (arg != NULL && arg[0] == '@')
			pos.time_ms = atoll(arg + 1);
		else if (arg != NULL)
			pos.lsn = xstrdup(arg);
		p->ops->reverse_start(p, &pos, on_done, NULL);
		run_loop();
		free(pos.lsn);
		rc = result == 0 ? 0 : fail(cmd);
	} else if (strcmp(cmd, "stop-at") == 0 && arg != NULL) {
		provider_dms_stop_at(p, arg, on_done, NULL);
		run_loop();
		rc = result == 0 ? 0 : fail(cmd);
	} else if (strcmp(cmd, "mappings") == 0 && arg != NULL) {
		rc = set_mappings(p, client, &cfg, arg);
	} else if (strcmp(cmd, "describe") == 0 && arg != NULL) {
		sb_init(&sb);
		p->ops->describe(p, arg, &sb);
		fputs(sb.buf != NULL ? sb.buf : "", stdout);
		sb_free(&sb);
	} else
		rc = usage();
	if (rc == 0 && (strcmp(cmd, "stop") == 0 || strcmp(cmd, "start") == 0 ||
	    strcmp(cmd, "stop-at") == 0))
		printf("%s: %s\n", cmd, p->status.status ? p->status.status : "?");
	fprintf(stderr, "dmsprobe: %llu HTTP attempts\n",
	    (unsigned long long)client->attempts);
out:
	if (p != NULL) {
		free(p->resume_from.lsn);
		p->resume_from.lsn = NULL;
	}
	provider_free(p);
	loop_free(loop);
	config_free(&cfg);
	return rc;
}
