/* test-report.c - the report's model from event logs written here: the
 * write pauses of a cut ended by the switch or by a rollback and of a
 * rollback after the switch, a pause still open, lag at a phase's start
 * and where it comes from, runs and attempts, decisions, a crash-resumed
 * rollback, the log's verification, and report --json read back. */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "eventlog.h"
#include "fileio.h"
#include "report.h"
#include "util.h"

#define T0 1795967400000LL	/* 2026-11-24T15:50:00.000Z */

struct tlog {
	char *dir;
	FILE *f;
	int64_t seq;
	int64_t t;
	const char *env;
	char prev[65];
};

static void
tlog_open(struct tlog *l)
{
	char *path;

	memset(l, 0, sizeof *l);
	l->dir = test_tmpdir();
	path = xasprintf("%s/%s", l->dir, EVENTLOG_FILE);
	l->f = fopen(path, "w");
	assert_non_null(l->f);
	free(path);
	memset(l->prev, '0', 64);
	l->t = T0;
	l->env = "staging";
}

/* One event dt ms after the last, chained as the driver chains them;
 * data is JSON text or NULL. */
static void
ev(struct tlog *l, int64_t dt, const char *kind, const char *phase,
    const char *msg, const char *data)
{
	char ts[40], hash[65], *body;

	l->t += dt;
	time_rfc3339(l->t, ts, sizeof ts);
	body = xasprintf("{\"seq\":%lld,\"ts\":\"%s\",\"kind\":\"%s\",\"phase\":"
	    "%s%s%s,\"actor\":\"sre@bastion\",\"environment\":\"%s\","
	    "\"msg\":\"%s\",\"data\":%s,\"prev\":\"%s\"}", (long long)++l->seq, ts,
	    kind, phase != NULL ? "\"" : "", phase != NULL ? phase : "null",
	    phase != NULL ? "\"" : "", l->env, msg, data != NULL ? data : "{}", l->prev);
	sha256_hex(body, strlen(body), hash);
	fprintf(l->f, "%.*s,\"hash\":\"%s\"}\n", (int)strlen(body) - 1, body, hash);
	memcpy(l->prev, hash, sizeof hash);
	free(body);
}

static void
sample(struct tlog *l, int64_t t, double e2e)
{
	char *path = xasprintf("%s/lag.jsonl", l->dir);
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fprintf(f, "{\"t\":%lld,\"e2e\":%.3f,\"provider\":0.100}\n", (long long)t,
	    e2e);
	fclose(f);
	free(path);
}

static void
build(struct tlog *l, struct report *r)
{
	struct err e = { 0, "" };

	fflush(l->f);
	assert_int_equal(report_build(r, l->dir, NULL, &e), 0);
}

static void
tlog_close(struct tlog *l)
{
	fclose(l->f);
	test_tmpdir_remove(l->dir);
}

static void
started(struct tlog *l, int64_t dt, const char *phase, int attempt,
    const char *lag)
{
	char data[80];

	if (lag != NULL)
		snprintf(data, sizeof data, "{\"attempt\":%d,\"lag_seconds\":%s}",
		    attempt, lag);
	else
		snprintf(data, sizeof data, "{\"attempt\":%d}", attempt);
	ev(l, dt, "phase.started", phase, "started", data);
}

static void
action(struct tlog *l, int64_t dt, const char *phase, const char *step,
    int64_t took, bool rollback)
{
	char data[120];

	snprintf(data, sizeof data, "{\"step\":\"%s\",\"attempt\":1%s}", step,
	    rollback ? ",\"rollback\":true" : "");
	ev(l, dt, "action", phase, step, data);
	ev(l, took, "action.done", phase, step, data);
}

/* A cut: drain .. switch, switched after the driver's pause_seconds. */
static void
cut(struct tlog *l, const char *pause)
{
	char data[64];

	started(l, 10, "drain", 1, "0.23");
	ev(l, 1, "run.window", "drain", "the write pause begins", NULL);
	action(l, 1, "drain", "pgbouncer.pause", 7, false);
	ev(l, 5, "phase.done", "drain", "done", NULL);
	started(l, 1, "final_sync", 1, "0.41");
	ev(l, 150, "phase.done", "final_sync", "done", NULL);
	started(l, 1, "stop_replication", 1, "0.91");
	action(l, 1, "stop_replication", "replication.stop", 20, false);
	ev(l, 1, "phase.done", "stop_replication", "done", NULL);
	started(l, 1, "switch", 1, "0.91");
	action(l, 1, "switch", "pgbouncer.resume", 2, false);
	snprintf(data, sizeof data, "{\"pause_seconds\":%s}", pause);
	ev(l, 2, "run.switched", "switch", "switched", data);
	ev(l, 1, "phase.done", "switch", "done", NULL);
}

static void
test_cut_and_rollback_after_switch(void **state)
{
	struct tlog l;
	struct report r;
	int64_t fence, writes;

	(void)state;
	tlog_open(&l);
	ev(&l, 0, "run.started", NULL, "run 7f3c9a1e5b2d4c6f started in staging "
	    "(rehearsal)", NULL);
	cut(&l, "0.341");
	ev(&l, 3000, "rollback.started", "post_validation", "rollback from "
	    "post_validation", "{\"reason\":\"requested by the operator\","
	    "\"switched\":true}");
	action(&l, 2, "post_validation", "target.pause", 7, true);
	fence = l.t - 7;
	action(&l, 400, "post_validation", "pgbouncer.repoint", 2, true);
	ev(&l, 1, "check", "post_validation", "the application points at the "
	    "source again", NULL);
	action(&l, 130, "post_validation", "source.unfence", 17, true);
	writes = l.t;
	ev(&l, 4, "check", "post_validation", "the source is writable again", NULL);
	ev(&l, 4, "rollback.done", "post_validation", "rolled back", NULL);
	build(&l, &r);

	assert_true(r.have_run);
	assert_string_equal(r.run_id, "7f3c9a1e5b2d4c6f");
	assert_int_equal(r.rehearsal, 1);
	assert_int_equal(r.look, LOOK_REHEARSAL);
	assert_int_equal(r.nattempts, 1);
	assert_int_equal(r.nrollbacks, 1);
	assert_true(r.rollbacks[0].after_switch);
	assert_string_equal(r.rollbacks[0].status, "done");
	assert_int_equal(r.rollbacks[0].nchecks, 2);
	assert_int_equal(r.npauses, 2);
	/* The cut: the driver's own figure, ended by the switch. */
	assert_int_equal(r.pauses[0].kind, PAUSE_CUT);
	assert_true(fabs(r.pauses[0].seconds - 0.341) < 1e-9);
	assert_string_equal(r.pauses[0].ended_by, "switch");
	/* The rollback's: the target's PAUSE to the source's RESUME done. */
	assert_int_equal(r.pauses[1].kind, PAUSE_ROLLBACK);
	assert_int_equal(r.pauses[1].rollback, 1);
	assert_int_equal(r.pauses[1].start, fence);
	assert_int_equal(r.pauses[1].end, writes);
	assert_true(fabs(r.pauses[1].seconds - (double)(writes - fence) /
	    1000.0) < 1e-9);
	assert_true(r.attempts[0].phases[PHASE_DRAIN].undone);
	assert_false(r.attempts[0].phases[PHASE_PRE_VALIDATION].undone);
	assert_string_equal(r.outcome, "rolled back");
	assert_int_equal(r.nruns, 1);
	assert_true(r.runs[0].current);
	assert_true(fabs(r.runs[0].pause - 0.341) < 1e-9);
	assert_int_equal(r.runs[0].rollbacks, 1);
	assert_int_equal(r.log.state, 1);
	report_free(&r);
	tlog_close(&l);
}

static void
test_switch_timeout_rollback(void **state)
{
	struct tlog l;
	struct report r;
	int64_t fence;

	(void)state;
	tlog_open(&l);
	ev(&l, 0, "run.started", NULL, "run 3a9e0b7c4d1f2e58 started in staging",
	    NULL);
	started(&l, 10, "drain", 1, "0.44");
	ev(&l, 1, "run.window", "drain", "the write pause begins", NULL);
	fence = l.t;
	action(&l, 1, "drain", "pgbouncer.pause", 8, false);
	ev(&l, 5, "phase.done", "drain", "done", NULL);
	started(&l, 1, "final_sync", 1, "0.52");
	ev(&l, 60000, "switch.timeout", "final_sync", "switch timeout: 60 s "
	    "passed since the fence", NULL);
	ev(&l, 1, "rollback.started", "final_sync", "rollback from final_sync",
	    "{\"reason\":\"switch timeout\",\"switched\":false}");
	action(&l, 2, "final_sync", "source.unfence", 11, true);
	ev(&l, 3, "check", "final_sync", "the source is writable again", NULL);
	ev(&l, 2, "rollback.done", "final_sync", "rolled back", NULL);
	build(&l, &r);

	assert_int_equal(r.rehearsal, 0);
	assert_int_equal(r.look, LOOK_OTHER);
	assert_int_equal(r.ntimeouts, 1);
	assert_int_equal(r.nrollbacks, 1);
	assert_true(r.rollbacks[0].by_timeout);
	assert_false(r.rollbacks[0].after_switch);
	assert_int_equal(r.attempts[0].phases[PHASE_FINAL_SYNC].status,
	    RP_INTERRUPTED);
	assert_string_equal(r.attempts[0].phases[PHASE_FINAL_SYNC].failure,
	    "the switch timeout");
	/* One pause: the cut's, ended by the rollback's unfence. */
	assert_int_equal(r.npauses, 1);
	assert_int_equal(r.pauses[0].kind, PAUSE_CUT);
	assert_string_equal(r.pauses[0].ended_by, "rollback");
	assert_int_equal(r.pauses[0].rollback, 1);
	assert_int_equal(r.pauses[0].start, fence);
	assert_true(r.pauses[0].seconds > 60.0 && r.pauses[0].seconds < 60.1);
	assert_string_equal(r.outcome, "rolled back (switch timeout)");
	assert_true(fabs(r.runs[0].longest_pause - r.pauses[0].seconds) < 1e-9);
	report_free(&r);
	tlog_close(&l);
}

/* A rollback after the switch fails before the unfence; the operator's
 * second rollback unfences: one pause, from the first fence to that. */
static void
test_failed_rollback_pause_goes_on(void **state)
{
	struct tlog l;
	struct report r;
	int64_t fence, writes;

	(void)state;
	tlog_open(&l);
	ev(&l, 0, "run.started", NULL, "run dd started in staging", NULL);
	cut(&l, "0.3");
	ev(&l, 1000, "rollback.started", "switch", "rollback from switch",
	    "{\"reason\":\"requested\",\"switched\":true}");
	action(&l, 2, "switch", "target.pause", 7, true);
	fence = l.t - 7;
	ev(&l, 5, "action", "switch", "reverse catch-up",
	    "{\"step\":\"sentinel.back\",\"attempt\":1,\"rollback\":true}");
	ev(&l, 30000, "action.failed", "switch", "sentinel.back: timed out",
	    "{\"step\":\"sentinel.back\",\"attempt\":1,\"rollback\":true}");
	ev(&l, 1, "rollback.failed", "switch", "the rollback stopped", NULL);
	ev(&l, 60000, "rollback.started", "switch", "rollback from switch",
	    "{\"reason\":\"requested\",\"switched\":true}");
	action(&l, 2, "switch", "source.unfence", 10, true);
	writes = l.t;
	ev(&l, 2, "rollback.done", "switch", "rolled back", NULL);
	build(&l, &r);

	assert_int_equal(r.nrollbacks, 2);
	assert_string_equal(r.rollbacks[0].status, "failed");
	assert_string_equal(r.rollbacks[1].status, "done");
	assert_int_equal(r.npauses, 2);
	assert_int_equal(r.pauses[1].kind, PAUSE_ROLLBACK);
	assert_int_equal(r.pauses[1].start, fence);
	assert_int_equal(r.pauses[1].end, writes);
	assert_string_equal(r.pauses[1].ended_by, "rollback");
	assert_string_equal(r.actions[r.nactions - 2].outcome, "failed");
	assert_string_equal(r.outcome, "rolled back");
	report_free(&r);
	tlog_close(&l);
}

static void
test_still_paused(void **state)
{
	struct tlog l;
	struct report r;

	(void)state;
	tlog_open(&l);
	l.env = "prod";
	ev(&l, 0, "run.started", NULL, "run aa started in prod", NULL);
	started(&l, 10, "drain", 1, NULL);
	ev(&l, 1, "run.window", "drain", "the write pause begins", NULL);
	action(&l, 1, "drain", "pgbouncer.pause", 8, false);
	build(&l, &r);

	assert_int_equal(r.look, LOOK_PRODUCTION);
	assert_int_equal(r.npauses, 1);
	assert_int_equal(r.pauses[0].end, 0);
	assert_null(r.pauses[0].ended_by);
	assert_non_null(strstr(r.pauses[0].measured, "still paused"));
	assert_int_equal(r.attempts[0].phases[PHASE_DRAIN].status, RP_RUNNING);
	assert_string_equal(r.outcome, "running drain");
	assert_true(isnan(r.runs[0].pause));
	report_free(&r);
	tlog_close(&l);
}

static void
test_lag_at_start(void **state)
{
	struct tlog l;
	struct report r;
	const struct report_attempt *a;

	(void)state;
	tlog_open(&l);
	ev(&l, 0, "run.started", NULL, "run bb started in staging", NULL);
	/* Whole-second samples of a one-second heartbeat. */
	sample(&l, T0 + 1000, 2);
	sample(&l, T0 + 2000, 1);
	sample(&l, T0 + 3000, 1);
	started(&l, 0, "pre_validation", 1, NULL);	/* before any sample */
	ev(&l, 500, "phase.done", "pre_validation", "done", NULL);
	started(&l, 3000, "sync_wait", 1, NULL);	/* 0.5 s after a sample */
	ev(&l, 20000, "phase.done", "sync_wait", "done", NULL);
	cut(&l, "0.3");
	started(&l, 1, "post_validation", 1, "0.91");
	ev(&l, 100, "phase.done", "post_validation", "done", NULL);
	build(&l, &r);
	a = &r.attempts[0];

	assert_true(r.samples_whole_seconds);
	assert_string_equal(a->phases[PHASE_SYNC_WAIT].lag.source, "sample");
	assert_true(a->phases[PHASE_SYNC_WAIT].lag.whole_seconds);
	assert_true(fabs(a->phases[PHASE_SYNC_WAIT].lag.seconds - 1.0) < 1e-9);
	/* The driver's sub-second reading wins over the samples. */
	assert_string_equal(a->phases[PHASE_DRAIN].lag.source, "driver");
	assert_true(fabs(a->phases[PHASE_DRAIN].lag.seconds - 0.23) < 1e-9);
	assert_true(fabs(a->phases[PHASE_STOP_REPLICATION].lag.seconds - 0.91) <
	    1e-9);
	/* No sample before it and no reading: unknown, not made up. */
	assert_null(a->phases[PHASE_PRE_VALIDATION].lag.source);
	assert_true(isnan(a->phases[PHASE_PRE_VALIDATION].lag.seconds));
	/* After stop_replication the forward lag means nothing. */
	assert_string_equal(a->phases[PHASE_SWITCH].lag.source, "stopped");
	assert_true(isnan(a->phases[PHASE_SWITCH].lag.seconds));
	assert_string_equal(a->phases[PHASE_POST_VALIDATION].lag.source,
	    "stopped");
	/* The worst lag: the 2 s sample, an upper bound. */
	assert_true(fabs(r.runs[0].worst_lag - 2.0) < 1e-9);
	assert_true(r.runs[0].worst_lag_upper_bound);
	assert_string_equal(r.outcome, "completed");
	report_free(&r);
	tlog_close(&l);
}

static void
test_runs_attempts_decisions(void **state)
{
	struct tlog l;
	struct report r;
	char *path, *text;
	size_t len;

	(void)state;
	tlog_open(&l);
	/* A first run, named in data. */
	ev(&l, 0, "run.started", NULL, "started", "{\"run_id\":\"r1\","
	    "\"attempt\":1,\"rehearsal\":true}");
	started(&l, 10, "pre_validation", 1, NULL);
	ev(&l, 100, "phase.done", "pre_validation", "done", NULL);
	ev(&l, 5000, "check", NULL, "validation quick: passed", NULL);
	/* Set-up before the second run, then the run, named in msg. */
	ev(&l, 60000, "action", NULL, "setup: create the cutover schema",
	    "{\"side\":\"target\"}");
	ev(&l, 10, "action.done", NULL, "setup: done", NULL);
	ev(&l, 60000, "run.started", NULL, "run r2 started in staging", NULL);
	ev(&l, 1, "operator.key", "pre_validation", "Enter: run",
	    "{\"key\":\"Enter\",\"request\":\"run pre_validation\"}");
	ev(&l, 1, "operator.confirm", "pre_validation", "Run phase 1/8: yes",
	    "{\"question\":\"Run phase 1/8\",\"how\":\"key y\"}");
	ev(&l, 1, "operator.key", "pre_validation", "typed 'stg'",
	    "{\"typed\":\"stg\",\"expected\":\"staging\"}");
	started(&l, 1, "pre_validation", 1, NULL);
	ev(&l, 100, "phase.failed", "pre_validation", "pre_validation failed: "
	    "row counts differ", NULL);
	/* A crashed driver's rollback resumed: one rollback, not two. */
	ev(&l, 10, "rollback.started", "pre_validation", "rollback", NULL);
	ev(&l, 10, "rollback.started", "pre_validation", "rollback", NULL);
	ev(&l, 10, "rollback.done", "pre_validation", "rolled back", NULL);
	ev(&l, 60000, "run.started", "pre_validation", "attempt 2 of run r2",
	    NULL);
	started(&l, 1, "pre_validation", 2, NULL);
	ev(&l, 100, "phase.done", "pre_validation", "done", NULL);
	ev(&l, 100000, "watch.joined", NULL, "a watcher joined", NULL);
	build(&l, &r);

	assert_string_equal(r.run_id, "r2");
	assert_int_equal(r.rehearsal, 0);
	assert_int_equal(r.nattempts, 2);
	assert_int_equal(r.attempts[0].number, 1);
	assert_int_equal(r.attempts[1].number, 2);
	assert_int_equal(r.attempts[0].phases[PHASE_PRE_VALIDATION].status,
	    RP_FAILED);
	assert_int_equal(r.nrollbacks, 1);
	assert_int_equal(r.setup_actions, 1);
	assert_int_equal(r.after_events, 1);
	assert_int_equal(r.ndecisions, 3);
	assert_string_equal(r.decisions[0].how, "key Enter");
	assert_string_equal(r.decisions[0].what, "run pre_validation");
	assert_string_equal(r.decisions[1].answer, "yes");
	assert_string_equal(r.decisions[1].how, "key y");
	assert_string_equal(r.decisions[2].how, "typed \"stg\"");
	/* The trend: both runs, oldest first, this one marked. */
	assert_int_equal(r.nruns, 2);
	assert_string_equal(r.runs[0].run_id, "r1");
	assert_int_equal(r.runs[0].rehearsal, 1);
	assert_false(r.runs[0].current);
	assert_string_equal(r.runs[1].run_id, "r2");
	assert_true(r.runs[1].current);
	assert_int_equal(r.runs[1].attempts, 2);

	/* report --json read back for --compare: the same runs. */
	text = report_json(&r);
	path = xasprintf("%s/earlier.json", l.dir);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	free(text);
	report_free(&r);
	{
		struct report other;
		struct err e = { 0, "" };
		char *empty = test_tmpdir(), *log = xasprintf("%s/%s", empty,
		    EVENTLOG_FILE);
		FILE *f = fopen(log, "w");

		assert_non_null(f);
		fclose(f);
		assert_int_equal(report_build(&other, empty, NULL, &e), 0);
		assert_false(other.have_run);
		assert_int_equal(report_compare(&other, path, &e), 0);
		assert_int_equal(other.nruns, 2);
		assert_string_equal(other.runs[1].run_id, "r2");
		assert_int_equal(other.runs[1].attempts, 2);
		assert_false(other.runs[1].current);
		assert_string_equal(other.runs[1].source, path);
		/* Not a report: a clear error naming the file. */
		len = strlen(log);
		assert_int_equal(report_compare(&other, log, &e), -1);
		assert_int_equal(e.code, EXIT_USAGE);
		assert_non_null(strstr(e.msg, log));
		assert_int_equal(report_compare(&other, "/nonexistent/x", &e), -1);
		assert_non_null(strstr(e.msg, "/nonexistent/x"));
		(void)len;
		report_free(&other);
		free(log);
		test_tmpdir_remove(empty);
	}
	free(path);
	tlog_close(&l);
}

static void
test_broken_log(void **state)
{
	struct tlog l;
	struct report r;
	char *path, *text, *p;
	size_t len;
	FILE *f;

	(void)state;
	tlog_open(&l);
	ev(&l, 0, "run.started", NULL, "run cc started in staging", NULL);
	ev(&l, 10, "check", NULL, "validation quick: passed", NULL);
	ev(&l, 10, "check", NULL, "the last one", NULL);
	fclose(l.f);
	l.f = NULL;
	/* Someone edits the second line. */
	path = xasprintf("%s/%s", l.dir, EVENTLOG_FILE);
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	p = strstr(text, "passed");
	assert_non_null(p);
	memcpy(p, "failed", 6);
	f = fopen(path, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	free(text);
	{
		struct err e = { 0, "" };

		assert_int_equal(report_build(&r, l.dir, NULL, &e), 0);
	}
	assert_int_equal(r.log.state, 0);
	assert_non_null(strstr(r.log.why, "seq 2"));
	assert_int_equal(r.log.last_seq, 3);
	assert_int_equal(strlen(r.log.last_hash), 64);
	report_free(&r);
	free(path);
	test_tmpdir_remove(l.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_and_rollback_after_switch),
		cmocka_unit_test(test_switch_timeout_rollback),
		cmocka_unit_test(test_failed_rollback_pause_goes_on),
		cmocka_unit_test(test_still_paused),
		cmocka_unit_test(test_lag_at_start),
		cmocka_unit_test(test_runs_attempts_decisions),
		cmocka_unit_test(test_broken_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
