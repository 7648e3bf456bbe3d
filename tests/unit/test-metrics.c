/* test-metrics.c - the /metrics page from a fixed view: label values
 * escaped, unknowns left out, the tables bounded, both directions' lag
 * and the rollback verdict after the switch; the heartbeat's lag from
 * its readings; and its HTTP server on the loop (200, 404, 405, HEAD). The exposition of a real run is parsed
 * by prometheus_client in tests/integration/stack.sh. */
#include "unit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "counters.h"
#include "heartbeat.h"
#include "httpserv.h"
#include "metrics.h"
#include "model.h"
#include "monitor.h"
#include "state.h"

struct fixture {
	struct model v;
	struct state st;           /* the run's; the model holds a copy */
};

static void
fixture_init(struct fixture *f, size_t ntables)
{
	char name[32];
	size_t i;
	int s;

	memset(f, 0, sizeof *f);
	model_init(&f->v);
	model_set(&f->v.environment, "prod");
	model_set(&f->v.provider, "postgres");
	state_init(&f->st, "prod", false);
	f->st.phase = PHASE_DRAIN;
	f->st.phases[PHASE_PRE_VALIDATION].status = PS_DONE;
	f->st.phases[PHASE_DRAIN].status = PS_RUNNING;
	f->v.now = 1796000000000;            /* the page is drawn for this time */
	f->st.phases[PHASE_DRAIN].started_at = f->v.now - 1500;
	f->st.fenced = true;
	f->st.fenced_at = f->v.now - 1200;
	model_set_state(&f->v, &f->st);
	f->v.mon.repl.provider = xstrdup("postgres");
	f->v.mon.repl.status = xstrdup("running");
	f->v.mon.repl.lag_source = 0.25;
	f->v.mon.repl.lag_target = NAN;          /* unknown: no sample */
	f->v.mon.lag_e2e = 1.5;
	f->v.mon.lag_reverse = NAN;
	f->v.mon.repl.slot_name = xstrdup("cutover_sub");
	f->v.mon.repl.wal_retained_bytes = 123456789012;
	for (s = 0; s < SERIES_COUNT; s++) {
		series_clear(&f->v.mon.series[s]);
		series_init(&f->v.mon.series[s], "x", "count");
	}
	table_list_get(&f->v.mon.tables, "s", "we\"ird\\name\nhere")->source_rows = 7;
	for (i = 1; i < ntables; i++) {
		snprintf(name, sizeof name, "t%05zu", i);
		table_list_get(&f->v.mon.tables, "public", name)->source_rows =
		    (int64_t)i;
	}
	f->v.have_mon = true;
}

static void
fixture_free(struct fixture *f)
{
	model_clear(&f->v);
	state_free(&f->st);
}

static size_t
count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

static void
test_render(void **state)
{
	struct fixture f;
	struct strbuf sb;

	(void)state;
	fixture_init(&f, 2500);
	counters_reset();
	counter_inc("aws_calls", "DescribeReplicationTasks", "ok");
	counter_inc("aws_calls", "DescribeReplicationTasks", "ok");
	counter_inc("aws_calls", "StopReplicationTask", "error");
	sb_init(&sb);
	metrics_render(&f.v, &sb);
	assert_true(str_endswith(sb.buf, "\n# EOF\n"));
	assert_non_null(strstr(sb.buf, "cutover_run_info{environment=\"prod\",run_id=\""));
	assert_non_null(strstr(sb.buf, "\ncutover_phase_number 3\n"));
	assert_non_null(strstr(sb.buf, "\ncutover_phase{phase=\"drain\"} 1\n"));
	assert_non_null(strstr(sb.buf,
	    "\ncutover_phase_state{phase=\"drain\",state=\"running\"} 1\n"));
	assert_non_null(strstr(sb.buf, "\ncutover_fenced 1\n"));
	assert_non_null(strstr(sb.buf, "\ncutover_write_pause_seconds{of=\"cut\"} 1.2\n"));
	assert_non_null(strstr(sb.buf,
	    "\ncutover_phase_duration_seconds{phase=\"drain\"} 1.5\n"));
	assert_null(strstr(sb.buf, "of=\"rollback\""));
	assert_non_null(strstr(sb.buf, "measure=\"provider_source\"} 0.25\n"));
	assert_null(strstr(sb.buf, "provider_target"));	/* NaN: left out */
	assert_null(strstr(sb.buf, "NaN"));
	assert_non_null(strstr(sb.buf,
	    "cutover_replication_slot_wal_retained_bytes{slot=\"cutover_sub\","
	    "direction=\"forward\"} 123456789012\n"));
	/* Label values escaped as OpenMetrics wants. */
	assert_non_null(strstr(sb.buf,
	    "cutover_table_rows{table=\"s.we\\\"ird\\\\name\\nhere\",side=\"source\"} 7\n"));
	/* Bounded: 2000 tables of 2500, each with its source rows only. */
	assert_non_null(strstr(sb.buf, "\ncutover_tables 2500\n"));
	assert_non_null(strstr(sb.buf, "\ncutover_tables_exported 2000\n"));
	assert_int_equal(count_lines(sb.buf, "cutover_table_rows{"), 2000);
	assert_non_null(strstr(sb.buf, "# TYPE cutover_aws_calls counter\n"));
	assert_non_null(strstr(sb.buf,
	    "cutover_aws_calls_total{api=\"DescribeReplicationTasks\",outcome=\"ok\"} 2\n"));
	assert_non_null(strstr(sb.buf,
	    "cutover_aws_calls_total{api=\"StopReplicationTask\",outcome=\"error\"} 1\n"));
	/* Every family once: its TYPE line once. */
	assert_int_equal(count_lines(sb.buf, "# TYPE cutover_table_rows "), 1);
	sb_free(&sb);
	counters_reset();
	fixture_free(&f);
}


/* After the switch: the forward series stay "forward", the reverse ones
 * come as "reverse", with the rollback verdict. */
static void
test_render_reverse(void **state)
{
	struct fixture f;
	struct strbuf sb;
	char verdict[256];
	bool lossless = false;

	(void)state;
	fixture_init(&f, 1);
	assert_false(monitor_rollback_verdict(&f.v.mon, verdict, sizeof verdict,
	    &lossless));
	f.st.replication = REPL_REVERSE;
	f.st.switched = true;
	model_set_state(&f.v, &f.st);
	f.v.mon.direction = REPL_REVERSE;
	f.v.mon.switched = true;
	f.v.mon.lag_e2e = NAN;
	free(f.v.mon.repl.status);
	f.v.mon.repl.status = xstrdup("stopped");
	f.v.mon.reverse.provider = xstrdup("postgres");
	f.v.mon.reverse.status = xstrdup("running");
	f.v.mon.reverse.slot_name = xstrdup("cutover_rev_sub");
	f.v.mon.reverse.slot_active = true;
	f.v.mon.reverse.wal_retained_bytes = 4096;
	f.v.mon.lag_reverse = 0.3;
	sb_init(&sb);
	metrics_render(&f.v, &sb);
	assert_non_null(strstr(sb.buf,
	    "cutover_replication_direction{direction=\"reverse\"} 1\n"));
	assert_non_null(strstr(sb.buf, "cutover_replication_info{direction="
	    "\"reverse\",provider=\"postgres\",status=\"running\"} 1\n"));
	assert_non_null(strstr(sb.buf, "cutover_replication_info{direction="
	    "\"forward\",provider=\"postgres\",status=\"stopped\"} 1\n"));
	assert_non_null(strstr(sb.buf, "cutover_replication_lag_seconds{"
	    "direction=\"reverse\",measure=\"end_to_end\"} 0.3\n"));
	assert_null(strstr(sb.buf, "direction=\"forward\",measure=\"end_to_end\""));
	assert_non_null(strstr(sb.buf, "cutover_replication_slot_wal_retained_"
	    "bytes{slot=\"cutover_rev_sub\",direction=\"reverse\"} 4096\n"));
	assert_non_null(strstr(sb.buf, "cutover_replication_slot_wal_retained_"
	    "bytes{slot=\"cutover_sub\",direction=\"forward\"} 123456789012\n"));
	assert_non_null(strstr(sb.buf, "\ncutover_rollback_lossless 1\n"));
	assert_int_equal(count_lines(sb.buf,
	    "# TYPE cutover_replication_lag_seconds "), 1);
	assert_true(monitor_rollback_verdict(&f.v.mon, verdict, sizeof verdict,
	    &lossless));
	assert_true(lossless);
	assert_string_equal(verdict,
	    "rollback: lossless (reverse replication 0.3 s behind)");
	sb_free(&sb);

	/* Disabled by hand: the writes since the last beat that came back
	 * would be lost. */
	free(f.v.mon.reverse.status);
	f.v.mon.reverse.status = xstrdup("stopped");
	f.v.mon.reverse.stop_reason = xstrdup("reverse subscription disabled");
	f.v.mon.reverse_applied_ms = f.v.now - 4000;
	sb_init(&sb);
	metrics_render(&f.v, &sb);
	assert_non_null(strstr(sb.buf, "\ncutover_rollback_lossless 0\n"));
	sb_free(&sb);
	assert_true(monitor_rollback_verdict(&f.v.mon, verdict, sizeof verdict,
	    &lossless));
	assert_false(lossless);
	assert_non_null(strstr(verdict, "rollback: would lose writes since "));
	assert_non_null(strstr(verdict, " (reverse subscription disabled)"));
	assert_int_equal(strlen(verdict), strlen("rollback: would lose writes "
	    "since 12:34:56 (reverse subscription disabled)"));
	fixture_free(&f);
}

/* The heartbeat's lag from one reading: the writing server's clock only,
 * to one beat interval; a stopped writer is stale, not a lag of 0. */
static void
test_heartbeat_lag(void **state)
{
	struct heartbeat_reading r;
	const int64_t t = 1796000000000;

	(void)state;
	memset(&r, 0, sizeof r);
	/* Caught up: the applier has the newest beat, 40 ms old. */
	r.writer_beat_ms = t;
	r.writer_prev_ms = t - 100;
	r.writer_seq = 500;
	r.writer_now_ms = t + 40;
	r.applied_beat_ms = t;
	r.applied_seq = 500;
	heartbeat_lag(&r);
	assert_true(r.writer_active);
	assert_true(r.lag_seconds < 0.1);
	/* One beat behind, the newest written 30 ms ago. */
	r.applied_beat_ms = t - 100;
	r.applied_seq = 499;
	r.writer_now_ms = t + 30;
	heartbeat_lag(&r);
	assert_true(fabs(r.lag_seconds - 0.03) < 1e-9);
	/* Replication stopped 3 s ago: the applier has the beat written then,
	 * the writer went on every 100 ms. */
	r.writer_beat_ms = t + 3000;
	r.writer_prev_ms = t + 2900;
	r.writer_seq = 530;
	r.writer_now_ms = t + 3050;
	r.applied_beat_ms = t;
	r.applied_seq = 500;
	heartbeat_lag(&r);
	assert_true(r.lag_seconds > 2.9 && r.lag_seconds <= 3.05);
	/* The writer stopped 4 s ago with the applier caught up: stale. */
	r.writer_beat_ms = t;
	r.writer_prev_ms = t - 100;
	r.writer_seq = 500;
	r.writer_now_ms = t + 4000;
	heartbeat_lag(&r);
	assert_false(r.writer_active);
	assert_true(isnan(r.lag_seconds));
	/* ... and behind: the beat it lacks has waited that long. */
	r.applied_beat_ms = t - 100;
	r.applied_seq = 499;
	heartbeat_lag(&r);
	assert_true(fabs(r.lag_seconds - 4.0) < 1e-9);
	/* Nothing replicated yet: unknown. */
	r.applied_beat_ms = 0;
	r.applied_seq = 0;
	heartbeat_lag(&r);
	assert_true(isnan(r.lag_seconds));
}

/* ------------------------------------------------------------ server */

struct client {
	int fd;
	struct strbuf got;
	bool done;
};

static void
on_client(struct loop_io *io, int fd, int revents, void *arg)
{
	struct client *c = arg;
	char buf[4096];
	ssize_t n;

	(void)revents;
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		sb_add(&c->got, buf, (size_t)n);
		return;
	}
	c->done = true;
	loop_io_remove(io);
}

/* Sends request to the server and returns the whole answer. */
static char *
ask(struct loop *l, int port, const char *request)
{
	struct sockaddr_in sa;
	struct client c;
	int64_t deadline = mono_ms() + 10000;

	memset(&c, 0, sizeof c);
	sb_init(&c.got);
	c.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(write(c.fd, request, strlen(request)),
	    (ssize_t)strlen(request));
	loop_io_add(l, c.fd, POLLIN, on_client, &c);
	while (!c.done && mono_ms() < deadline)
		loop_run_once(l, 100);
	assert_true(c.done);
	close(c.fd);
	return c.got.buf != NULL ? sb_detach(&c.got) : xstrdup("");
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
test_server(void **state)
{
	struct err e = { 0, "" };
	struct metrics_server *m;
	struct fixture f;
	struct loop *l;
	char listen[32], *a;
	int port = free_port();

	(void)state;
	fixture_init(&f, 3);
	l = loop_new();
	snprintf(listen, sizeof listen, ":%d", port);
	m = metrics_server_new(l, listen, &f.v, NULL, NULL, &e);
	if (m == NULL)
		fail_msg("metrics_server_new: %s", e.msg);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	assert_string_equal(metrics_server_address(m), listen);

	a = ask(l, port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_true(str_startswith(a, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(a, "Content-Type: application/openmetrics-text; "
	    "version=1.0.0; charset=utf-8\r\n"));
	assert_non_null(strstr(a, "\r\n\r\n# TYPE cutover_run info\n"));
	assert_true(str_endswith(a, "# EOF\n"));
	free(a);
	a = ask(l, port, "HEAD /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_true(str_startswith(a, "HTTP/1.1 200 OK\r\n"));
	assert_true(str_endswith(a, "\r\n\r\n"));
	free(a);
	a = ask(l, port, "GET /other HTTP/1.1\r\n\r\n");
	assert_true(str_startswith(a, "HTTP/1.1 404 Not Found\r\n"));
	free(a);
	a = ask(l, port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_true(str_startswith(a, "HTTP/1.1 405 Method Not Allowed\r\n"));
	free(a);
	a = ask(l, port, "nonsense\r\n\r\n");
	assert_true(str_startswith(a, "HTTP/1.1 400 Bad Request\r\n"));
	free(a);

	/* A second server on the same port: an error that names it. */
	snprintf(listen, sizeof listen, ":%d", port);
	assert_null(metrics_server_new(l, listen, &f.v, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "[metrics] listen"));
	assert_null(metrics_server_new(l, "nonsense", &f.v, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "is not HOST:PORT"));

	metrics_server_free(m);
	loop_free(l);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_reverse),
		cmocka_unit_test(test_heartbeat_lag),
		cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
