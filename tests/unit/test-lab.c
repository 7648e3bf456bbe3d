/* test-lab.c - the lab's pure parts: pgbench's per-transaction log and
 * output as the judge reads them, the split of --rows over the tables,
 * and pgbouncer's databases file. (Everything that needs servers is in
 * tests/integration/lab.sh.) */
#include "unit.h"

#include <stdio.h>
#include <sys/stat.h>

#include "lab.h"
#include "util.h"

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
test_logline(void **state)
{
	struct lab_logline l;

	(void)state;
	/* with --rate: a schedule lag column */
	assert_int_equal(lab_parse_logline("3 17 4276 0 1795589234 812596 170\n",
	    &l), 0);
	assert_int_equal(l.client, 3);
	assert_int_equal(l.txno, 17);
	assert_true(l.committed);
	assert_int_equal(l.latency_us, 4276);
	assert_int_equal(l.end_us, 1795589234812596LL);
	/* without --rate */
	assert_int_equal(lab_parse_logline("0 1 99 0 1 2", &l), 0);
	assert_true(l.committed);
	/* failures are not commits */
	assert_int_equal(lab_parse_logline("1 5 failed 0 1795589234 1 0 0", &l),
	    0);
	assert_false(l.committed);
	assert_int_equal(lab_parse_logline("1 6 serialization 0 1 1", &l), 0);
	assert_false(l.committed);
	/* what is not a log line */
	assert_int_equal(lab_parse_logline("", &l), -1);
	assert_int_equal(lab_parse_logline("3 17 4276 0 1795589234", &l), -1);
	assert_int_equal(lab_parse_logline("progress: 5.0 s, 50.0 tps", &l), -1);
	assert_int_equal(lab_parse_logline("3 17 12ab 0 1 2", &l), -1);
	assert_int_equal(lab_parse_logline("3 17 12 0 1 1000000", &l), -1);
}

static void
test_output(void **state)
{
	struct lab_judgement j;

	(void)state;
	memset(&j, 0, sizeof j);
	lab_judge_output("pgbench (15.20)\n"
	    "progress: 5.0 s, 50.0 tps, lat 2.1 ms stddev 1.0, 0 failed\n"
	    "number of transactions actually processed: 247\n"
	    "number of failed transactions: 0 (0.000%)\n"
	    "tps = 49.488664 (without initial connection time)\n", &j);
	assert_int_equal(j.failed, 0);
	assert_int_equal(j.aborted_clients, 0);
	assert_null(j.pgbench_error);
	lab_judgement_free(&j);

	/* pgbench 15's own words (a target without the grants, say). */
	lab_judge_output("pgbench (15.20 (Debian 15.20-0+deb12u1))\n"
	    "pgbench: error: client 0 script 0 aborted in command 10 query 0: "
	    "ERROR:  permission denied for table ledger_entries\n"
	    "pgbench: error: client 1 script 0 aborted in command 10 query 0: "
	    "ERROR:  permission denied for table ledger_entries\n"
	    "number of failed transactions: 3 (1.000%)\n"
	    "pgbench: error: Run was aborted; the above results are incomplete.\n",
	    &j);
	assert_int_equal(j.failed, 3);
	assert_int_equal(j.aborted_clients, 2);
	assert_non_null(j.pgbench_error);
	assert_non_null(strstr(j.pgbench_error, "client 0 script 0 aborted"));
	lab_judgement_free(&j);

	/* Older pgbench, and a run aborted without a client line. */
	lab_judge_output("client 5 aborted in command 8 query 0: ERROR: x\n", &j);
	assert_int_equal(j.aborted_clients, 1);
	lab_judgement_free(&j);
	lab_judge_output("Run was aborted; the above results are incomplete.\n",
	    &j);
	assert_int_equal(j.aborted_clients, 1);
	lab_judgement_free(&j);

	/* A connection that fails at the start. */
	lab_judge_output("pgbench: error: connection to server at \"127.0.0.1\", "
	    "port 1 failed: Connection refused\n", &j);
	assert_int_equal(j.aborted_clients, 0);
	assert_non_null(strstr(j.pgbench_error, "Connection refused"));
	lab_judgement_free(&j);
}

static void
test_logs(void **state)
{
	char *dir = test_tmpdir(), *load;
	struct lab_judgement j;
	struct lab_load ld;
	struct lab lab;
	struct err e = { 0, "" };

	(void)state;
	memset(&lab, 0, sizeof lab);
	lab.dir = dir;
	load = xasprintf("%s/load", dir);
	assert_int_equal(mkdir(load, 0700), 0);
	free(load);
	load = xasprintf("%s/load/1", dir);
	assert_int_equal(mkdir(load, 0700), 0);
	/* Two threads' files; the second ends in a half-written line. */
	write_file(load, "txn.100",
	    "0 1 1500 0 1000 000000 10\n"
	    "0 2 2500 0 1000 100000 10\n"
	    "0 3 failed 0 1000 150000 10\n"
	    "0 4 9000 0 1002 600000 10\n");
	write_file(load, "txn.100.1",
	    "1 1 800 0 1000 050000 10\n"
	    "1 2 1200 0 1000 900000 10\n"
	    "7 1 1200 0 1000 900000 10\n"
	    "1 3 99");
	write_file(load, "pgbench.out", "number of failed transactions: 1 (20%)\n");
	memset(&ld, 0, sizeof ld);
	ld.id = 1;
	ld.clients = 2;
	ld.ended = true;
	ld.exit_code = 0;
	memset(&j, 0, sizeof j);
	assert_int_equal(lab_judge_logs(&lab, &ld, &j, &e), 0);
	assert_int_equal(j.transactions, 6);	/* client 7 is not one of 2 */
	assert_int_equal(j.committed, 5);
	assert_int_equal(j.failed, 1);
	assert_int_equal(j.clients[0].committed, 3);
	assert_int_equal(j.clients[0].failed, 1);
	assert_int_equal(j.clients[1].committed, 2);
	assert_true(j.max_latency_ms > 8.99 && j.max_latency_ms < 9.01);
	/* commits at 1000.000, .050, .100, .900 and 1002.600: 1.7 s apart */
	assert_true(j.max_gap_ms > 1699.9 && j.max_gap_ms < 1700.1);
	assert_int_equal(j.max_gap_at_ms, 1002600);
	/* Not compared with a database: never a pass. */
	lab_judge_finish(&ld, &j);
	assert_false(j.passed);
	assert_non_null(strstr(j.verdict, "1 failed transaction"));
	assert_non_null(strstr(j.verdict, "not compared"));
	lab_judgement_free(&j);
	free(load);
	test_tmpdir_remove(dir);
}

static void
test_rows_split(void **state)
{
	static const int64_t totals[] = { 1000, 1001, 20000, 999999, 1000000,
		10000000 };
	int64_t counts[16], sum;
	size_t i, t;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(totals); i++) {
		lab_rows_split(totals[i], counts);
		sum = 0;
		for (t = 0; t < lab_ntables; t++) {
			assert_true(counts[t] >= 0);
			sum += counts[t];
		}
		assert_int_equal(sum, totals[i]);
		/* two ledger entries per transfer, at least two accounts */
		assert_int_equal(counts[2], 2 * counts[1]);
		assert_true(counts[0] >= 2);
	}
}

static void
test_bouncer_entry(void **state)
{
	char *dir = test_tmpdir(), *sub, *host, *db;
	struct lab lab;
	struct err e = { 0, "" };
	int port;

	(void)state;
	memset(&lab, 0, sizeof lab);
	lab.dir = dir;
	sub = xasprintf("%s/pgbouncer", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(sub, "databases.ini", ";; app = host=comment port=1\n"
	    "[databases]\n"
	    "other = host=10.0.0.1 port=7\n"
	    "app = host=127.0.0.1 port=5433 dbname=app pool_size=20\n");
	assert_int_equal(lab_bouncer_entry(&lab, &host, &port, &db, &e), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5433);
	assert_string_equal(db, "app");
	free(host);
	free(db);
	/* As a switch may write it: quoted, other order, no dbname. */
	write_file(sub, "databases.ini", "[databases]\n"
	    "app = port=6000  host='127.0.0.1'\n");
	assert_int_equal(lab_bouncer_entry(&lab, &host, &port, &db, &e), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 6000);
	assert_string_equal(db, "app");
	free(host);
	free(db);
	write_file(sub, "databases.ini", "[databases]\nother = host=x\n");
	assert_int_equal(lab_bouncer_entry(&lab, &host, &port, &db, &e), -1);
	assert_non_null(strstr(e.msg, "no 'app' entry"));
	free(sub);
	test_tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logline),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_rows_split),
		cmocka_unit_test(test_bouncer_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
