/* test-aws - the AWS response parsers, request bodies, error reading,
 * backoff, credential answers, the CLI's profile files and endpoints. */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "aws/client.h"
#include "aws/cloudwatch.h"
#include "aws/creds.h"
#include "aws/dms.h"
#include "aws/endpoint.h"
#include "aws/json.h"
#include "aws/profile.h"
#include "util.h"

static void
test_timestamps(void **state)
{
	cJSON *n;

	(void)state;
	assert_int_equal(aws_parse_iso8601("2026-11-24T16:00:00Z"),
	    INT64_C(1795536000000));
	assert_int_equal(aws_parse_iso8601("2026-11-24T16:00:00.25Z"),
	    INT64_C(1795536000250));
	assert_int_equal(aws_parse_iso8601("2026-11-24T17:30:00+01:30"),
	    INT64_C(1795536000000));
	assert_int_equal(aws_parse_iso8601("2026-11-24T14:00:00.000-02:00"),
	    INT64_C(1795536000000));
	/* moto writes Python's isoformat(): microseconds, no zone (UTC). */
	assert_int_equal(aws_parse_iso8601("2026-11-24T16:00:00.123456"),
	    INT64_C(1795536000123));
	assert_int_equal(aws_parse_iso8601("1970-01-01 00:00:01Z"), 1000);
	assert_int_equal(aws_parse_iso8601("2026-13-24T16:00:00Z"), -1);
	assert_int_equal(aws_parse_iso8601("2026-11-24"), -1);
	assert_int_equal(aws_parse_iso8601("2026-11-24T16:00:00Zjunk"), -1);
	assert_int_equal(aws_parse_iso8601("2026-11-24T16:00:00."), -1);
	assert_int_equal(aws_parse_iso8601(""), -1);
	n = cJSON_CreateNumber(1795536000.25);
	assert_int_equal(aj_time_value(n), INT64_C(1795536000250));
	cJSON_Delete(n);
	n = cJSON_CreateNumber(-5);
	assert_int_equal(aj_time_value(n), -1);
	cJSON_Delete(n);
	n = cJSON_CreateNumber(1e300);
	assert_int_equal(aj_time_value(n), -1);
	cJSON_Delete(n);
}

static cJSON *
parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	assert_non_null(j);
	return j;
}

static void
test_tasks(void **state)
{
	struct dms_task *v;
	size_t n;
	char *marker;
	struct err e;
	cJSON *j;

	(void)state;
	j = parse("{\"ReplicationTasks\": [{"
	    "\"ReplicationTaskArn\": \"arn:aws:dms:us-east-1:1:task:ABC\","
	    "\"ReplicationTaskIdentifier\": \"fwd\", \"Status\": \"stopped\","
	    "\"StopReason\": \"Stop Reason NORMAL\","
	    "\"LastFailureMessage\": null,"
	    "\"ReplicationTaskStartDate\": \"2026-11-24T16:00:00Z\","
	    "\"ReplicationTaskCreationDate\": 1795536000,"
	    "\"ReplicationTaskStats\": {\"FullLoadProgressPercent\": 42,"
	    "  \"ElapsedTimeMillis\": 123456789012, \"TablesLoaded\": \"7\","
	    "  \"TablesLoading\": null, \"TablesErrored\": 1e99,"
	    "  \"StopDate\": 1795536060.5}}, 17, \"x\"], \"Marker\": \"m2\"}");
	assert_int_equal(dms_parse_tasks(j, &v, &n, &marker, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].status, "stopped");
	assert_string_equal(v[0].stop_reason, "Stop Reason NORMAL");
	assert_null(v[0].last_failure);
	assert_int_equal(v[0].started_ms, INT64_C(1795536000000));
	assert_int_equal(v[0].created_ms, INT64_C(1795536000000));
	assert_true(v[0].has_stats);
	assert_int_equal(v[0].stats.full_load_percent, 42);
	assert_int_equal(v[0].stats.elapsed_ms, INT64_C(123456789012));
	assert_int_equal(v[0].stats.tables_loaded, 7);
	assert_int_equal(v[0].stats.tables_loading, -1);
	assert_int_equal(v[0].stats.tables_queued, -1);
	assert_int_equal(v[0].stats.tables_errored, -1);
	assert_int_equal(v[0].stats.stop_ms, INT64_C(1795536060500));
	assert_int_equal(v[0].stats.start_ms, 0);
	assert_string_equal(marker, "m2");
	assert_string_equal(dms_arn_resource_id(v[0].arn), "ABC");
	free(marker);
	dms_tasks_free(v, n);
	cJSON_Delete(j);

	j = parse("{\"ReplicationTasks\": null}");
	assert_int_equal(dms_parse_tasks(j, &v, &n, NULL, &e), 0);
	assert_int_equal(n, 0);
	dms_tasks_free(v, n);
	cJSON_Delete(j);
	j = parse("{\"ReplicationTasks\": \"many\"}");
	assert_int_equal(dms_parse_tasks(j, &v, &n, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "ReplicationTasks"));
	cJSON_Delete(j);
	j = parse("[1]");
	assert_int_equal(dms_parse_tasks(j, &v, &n, NULL, &e), -1);
	cJSON_Delete(j);

	assert_true(dms_status_transitional("stopping"));
	assert_true(dms_status_transitional("starting"));
	assert_true(dms_status_transitional("modifying"));
	assert_false(dms_status_transitional("running"));
	/* A task being created or tested is waited out before it is started;
	 * one being deleted is an error, not a wait. */
	assert_true(dms_status_transitional("creating"));
	assert_true(dms_status_transitional("testing"));
	assert_false(dms_status_transitional("deleting"));
	assert_false(dms_status_transitional(NULL));
}

static void
test_tables(void **state)
{
	struct dms_table *v;
	size_t n;
	char *marker;
	struct err e;
	cJSON *j;

	(void)state;
	j = parse("{\"TableStatistics\": [{\"SchemaName\": \"public\","
	    "\"TableName\": \"accounts\", \"Inserts\": 10, \"Updates\": 3,"
	    "\"Deletes\": 0, \"Ddls\": 1, \"FullLoadRows\": 1000,"
	    "\"TableState\": \"Table completed\", \"ValidationState\":"
	    "\"Validated\", \"ValidationFailedRecords\": 0,"
	    "\"LastUpdateTime\": \"2026-11-24T16:00:00.000Z\"},"
	    "{\"SchemaName\": \"x\"}, {\"TableName\": \"noschema\"}],"
	    "\"Marker\": \"\"}");
	assert_int_equal(dms_parse_tables(j, &v, &n, &marker, &e), 0);
	assert_int_equal(n, 2);
	assert_null(marker);       /* an empty Marker is the last page */
	assert_string_equal(v[0].schema, "public");
	assert_int_equal(v[0].inserts, 10);
	assert_int_equal(v[0].ddls, 1);
	assert_int_equal(v[0].full_load_rows, 1000);
	assert_string_equal(v[0].validation_state, "Validated");
	assert_int_equal(v[0].last_update_ms, INT64_C(1795536000000));
	assert_string_equal(v[1].schema, "");
	assert_int_equal(v[1].inserts, -1);
	assert_null(v[1].state);
	dms_tables_free(v, n);
	cJSON_Delete(j);
}

static void
test_instances(void **state)
{
	struct dms_instance *v;
	size_t n;
	struct err e;
	cJSON *j;

	(void)state;
	j = parse("{\"ReplicationInstances\": [{\"ReplicationInstanceArn\":"
	    "\"arn:aws:dms:r:1:rep:X\", \"ReplicationInstanceIdentifier\":"
	    "\"ri-prod\", \"ReplicationInstanceStatus\": \"available\"}]}");
	assert_int_equal(dms_parse_instances(j, &v, &n, NULL, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].identifier, "ri-prod");
	dms_instances_free(v, n);
	cJSON_Delete(j);
}

static void
expect_json(cJSON *body, const char *want)
{
	char *s = cJSON_PrintUnformatted(body);

	assert_string_equal(s, want);
	free(s);
	cJSON_Delete(body);
}

static void
test_requests(void **state)
{
	(void)state;
	expect_json(dms_req_describe_task("arn:t"),
	    "{\"Filters\":[{\"Name\":\"replication-task-arn\",\"Values\":"
	    "[\"arn:t\"]}],\"WithoutSettings\":true}");
	expect_json(dms_req_tables("arn:t", NULL),
	    "{\"ReplicationTaskArn\":\"arn:t\",\"MaxRecords\":500}");
	expect_json(dms_req_tables("arn:t", "m"),
	    "{\"ReplicationTaskArn\":\"arn:t\",\"MaxRecords\":500,"
	    "\"Marker\":\"m\"}");
	expect_json(dms_req_start("arn:t", "start-replication", "0/16B3748",
	    INT64_C(1795536000000), NULL),
	    "{\"ReplicationTaskArn\":\"arn:t\",\"StartReplicationTaskType\":"
	    "\"start-replication\",\"CdcStartPosition\":\"0/16B3748\"}");
	expect_json(dms_req_start("arn:t", "resume-processing", NULL,
	    INT64_C(1795536000999), "server_time:2026-11-24T16:00:00"),
	    "{\"ReplicationTaskArn\":\"arn:t\",\"StartReplicationTaskType\":"
	    "\"resume-processing\",\"CdcStartTime\":1795536000,"
	    "\"CdcStopPosition\":\"server_time:2026-11-24T16:00:00\"}");
	expect_json(dms_req_stop("arn:t"), "{\"ReplicationTaskArn\":\"arn:t\"}");
}

static void
test_metrics(void **state)
{
	struct cw_query q;
	struct cw_result *v;
	size_t n;
	char *tok;
	struct err e;
	cJSON *j;

	(void)state;
	memset(&q, 0, sizeof q);
	snprintf(q.id, sizeof q.id, "m0");
	q.ns = "AWS/DMS";
	q.metric = "CDCLatencySource";
	q.stat = "Maximum";
	q.dims[0].name = "ReplicationInstanceIdentifier";
	q.dims[0].value = "ri";
	q.ndims = 1;
	expect_json(cw_req_get_metric_data(&q, 1, INT64_C(1795536000500),
	    INT64_C(1795539600000), 60, NULL),
	    "{\"MetricDataQueries\":[{\"Id\":\"m0\",\"MetricStat\":{\"Metric\":"
	    "{\"Namespace\":\"AWS/DMS\",\"MetricName\":\"CDCLatencySource\","
	    "\"Dimensions\":[{\"Name\":\"ReplicationInstanceIdentifier\","
	    "\"Value\":\"ri\"}]},\"Period\":60,\"Stat\":\"Maximum\"},"
	    "\"ReturnData\":true}],\"StartTime\":1795536000,\"EndTime\":"
	    "1795539600,\"ScanBy\":\"TimestampAscending\"}");

	j = parse("{\"MetricDataResults\": [{\"Id\": \"m0\", \"Label\": \"x\","
	    "\"Timestamps\": [1795536120, \"2026-11-24T16:00:00Z\", 1795536060,"
	    "\"bad\"], \"Values\": [3, 1, 2, 4, 5], \"StatusCode\": "
	    "\"Complete\"}, {\"Id\": \"m1\", \"Timestamps\": [1], \"Values\":"
	    "[]}, {\"Label\": \"no id\"}], \"NextToken\": \"t2\"}");
	assert_int_equal(cw_parse_results(j, &v, &n, &tok, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].n, 3);
	assert_int_equal(v[0].t[0], INT64_C(1795536000000));
	assert_true(v[0].v[0] > 0.99 && v[0].v[0] < 1.01);
	assert_true(v[0].v[2] > 2.99 && v[0].v[2] < 3.01);
	assert_int_equal(v[1].n, 0);
	assert_string_equal(tok, "t2");
	free(tok);
	cw_results_free(v, n);
	cJSON_Delete(j);
	j = parse("{\"MetricDataResults\": {}}");
	assert_int_equal(cw_parse_results(j, &v, &n, NULL, &e), -1);
	cJSON_Delete(j);
}

static void
test_errors(void **state)
{
	struct aws_error ae;
	const char *b;

	(void)state;
	b = "{\"__type\": \"com.amazonaws.dms#ResourceNotFoundFault\","
	    "\"message\": \"No Tasks found\"}";
	assert_int_equal(aws_error_parse(NULL, b, strlen(b), &ae), 0);
	assert_string_equal(ae.code, "ResourceNotFoundFault");
	assert_string_equal(ae.message, "No Tasks found");
	b = "{\"Message\": \"Rate\\u0007 exceeded\"}";
	assert_int_equal(aws_error_parse("ThrottlingException:http://internal"
	    ".amazon.com/coral/", b, strlen(b), &ae), 0);
	assert_string_equal(ae.code, "ThrottlingException");
	assert_string_equal(ae.message, "Rate? exceeded");
	b = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>User x"
	    "</Message></Error></ErrorResponse>";
	assert_int_equal(aws_error_parse(NULL, b, strlen(b), &ae), 0);
	assert_string_equal(ae.code, "AccessDenied");
	assert_string_equal(ae.message, "User x");
	assert_int_equal(aws_error_parse(NULL, "<html>", 6, &ae), -1);
	assert_int_equal(aws_error_parse(NULL, "", 0, &ae), -1);
	assert_true(aws_error_is_throttling("Throttling"));
	assert_true(aws_error_is_throttling("ThrottlingException"));
	assert_true(aws_error_is_throttling("TooManyRequestsException"));
	assert_false(aws_error_is_throttling("AccessDeniedException"));
	assert_true(aws_error_is_expired_credentials("ExpiredTokenException"));
}

static void
test_backoff(void **state)
{
	struct aws_client_opts o = { 4, 100, 1000, 0, 0, 0 };
	int64_t d, max = 0;
	int i, a;

	(void)state;
	for (a = 1; a <= 8; a++)
		for (i = 0; i < 200; i++) {
			d = aws_backoff_ms(&o, a);
			assert_true(d >= 0);
			/* full jitter under min(cap, base * 2^(a-1)) */
			assert_true(d <= (a == 1 ? 100 : a == 2 ? 200 : a == 3 ?
			    400 : a == 4 ? 800 : 1000));
			if (d > max)
				max = d;
		}
	assert_true(max > 500);    /* it does reach high */
}

static void
test_creds_answers(void **state)
{
	struct aws_creds c;
	struct err e;
	const char *b;

	(void)state;
	b = "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\":"
	    "\"S3CRET\", \"SessionToken\": \"T0KEN\", \"Expiration\":"
	    "\"2026-11-24T16:00:00Z\"}";
	assert_int_equal(aws_creds_parse(b, strlen(b), "p", &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKID");
	assert_string_equal(c.session_token, "T0KEN");
	assert_int_equal(c.expires_ms, INT64_C(1795536000000));
	aws_creds_clear(&c);
	b = "{\"Code\": \"Success\", \"AccessKeyId\": \"ASIA\", \"SecretAccessKey\":"
	    "\"S3CRET\", \"Token\": \"T0KEN\", \"Expiration\": "
	    "\"2026-11-24T16:00:00Z\"}";
	assert_int_equal(aws_creds_parse(b, strlen(b), "imds", &c, &e), 0);
	assert_string_equal(c.session_token, "T0KEN");
	aws_creds_clear(&c);
	b = "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"Message\": \"no\","
	    "\"SecretAccessKey\": \"S3CRET\"}";
	assert_int_equal(aws_creds_parse(b, strlen(b), "imds", &c, &e), -1);
	assert_non_null(strstr(e.msg, "AssumeRoleUnauthorizedAccess"));
	assert_null(strstr(e.msg, "S3CRET"));
	b = "{\"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"S3CRET\","
	    "\"Expiration\": \"tomorrow\"}";
	assert_int_equal(aws_creds_parse(b, strlen(b), "p", &c, &e), -1);
	assert_null(strstr(e.msg, "S3CRET"));
	b = "{\"AccessKeyId\": \"AKID\"}";
	assert_int_equal(aws_creds_parse(b, strlen(b), "p", &c, &e), -1);
	assert_int_equal(aws_creds_parse("S3CRET", 6, "p", &c, &e), -1);
	assert_null(strstr(e.msg, "S3CRET"));
}

static void
test_profiles(void **state)
{
	struct aws_profiles p, q;
	const char *cfg =
	    "; comment\n"
	    "[default]\r\n"
	    "region = eu-west-1\r\n"
	    "[profile prod]\n"
	    "aws_access_key_id=AK\n"
	    "s3 =\n"
	    "  max_concurrent_requests = 20\n"
	    "output = json # not a comment in botocore\n"
	    "[prod2]\n"
	    "region = x\n"
	    "[sso-session s]\n"
	    "sso_region = y\n"
	    "[profile  spaced ]\n"
	    "region=z\n"
	    "[broken\n"
	    "orphan = 1\n";

	(void)state;
	memset(&p, 0, sizeof p);
	aws_profiles_parse(&p, cfg, strlen(cfg), true);
	assert_string_equal(aws_profile_get(aws_profiles_find(&p, "default"),
	    "region"), "eu-west-1");
	assert_string_equal(aws_profile_get(aws_profiles_find(&p, "prod"),
	    "aws_access_key_id"), "AK");
	assert_string_equal(aws_profile_get(aws_profiles_find(&p, "prod"),
	    "s3.max_concurrent_requests"), "20");
	assert_string_equal(aws_profile_get(aws_profiles_find(&p, "prod"),
	    "output"), "json # not a comment in botocore");
	assert_null(aws_profiles_find(&p, "prod2"));
	assert_null(aws_profiles_find(&p, "s"));
	assert_non_null(aws_profiles_find(&p, "spaced"));
	aws_profiles_free(&p);
	memset(&q, 0, sizeof q);
	aws_profiles_parse(&q, cfg, strlen(cfg), false);
	assert_non_null(aws_profiles_find(&q, "prod2"));
	assert_non_null(aws_profiles_find(&q, "profile prod"));
	aws_profiles_free(&q);
}

static void
test_urls(void **state)
{
	char *s, *h, *p;

	(void)state;
	assert_int_equal(aws_url_split("https://dms.us-east-1.amazonaws.com",
	    &s, &h, &p), 0);
	assert_string_equal(h, "dms.us-east-1.amazonaws.com");
	assert_string_equal(p, "/");
	free(s);
	free(h);
	free(p);
	assert_int_equal(aws_url_split("http://127.0.0.1:4566/x?y", &s, &h,
	    &p), 0);
	assert_string_equal(h, "127.0.0.1:4566");
	assert_string_equal(p, "/x");
	free(s);
	free(h);
	free(p);
	assert_int_equal(aws_url_split("https://h:443/", &s, &h, &p), 0);
	assert_string_equal(h, "h");
	free(s);
	free(h);
	free(p);
	assert_int_equal(aws_url_split("ftp://h/", &s, &h, &p), -1);
	assert_int_equal(aws_url_split("http://user@h/", &s, &h, &p), -1);
	assert_int_equal(aws_url_split("http:///", &s, &h, &p), -1);
}

/* The container credentials URL: loopback literals and the documented
 * ECS/EKS addresses over http, anything over https, never user
 * information or look-alike names. */
static void
test_container_url(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1/creds", "http://127.0.0.1:8080/creds",
		"http://127.12.0.1:1/", "http://localhost/c", "http://LOCALHOST:9/c",
		"http://[::1]:80/c", "http://169.254.170.2/v2/credentials/x",
		"http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/c",
		"https://creds.example.com/x", "http://127.0.0.1?x",
	};
	static const char *const bad[] = {
		"http://localhost:1@evil.example/", "http://127.0.0.1@evil/",
		"http://127.x.example/", "http://127.0.0.1.evil.example/",
		"http://localhost.evil.example/", "http://127.1/",
		"http://128.0.0.1/", "http://169.254.170.2.evil/",
		"http://127.0.0.256/", "http://localhost:/", "http://localhost:80x/",
		"http://[::1/", "https://user:pw@creds.example.com/", "ftp://127.0.0.1/",
		"http://", "http:///x", "http://evil.example\\@127.0.0.1/", NULL,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!aws_container_url_allowed(good[i]))
			fail_msg("refused %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (aws_container_url_allowed(bad[i]))
			fail_msg("allowed %s", bad[i]);
}

/* Paging never passes a partial list off as whole. */
static void
test_paging(void **state)
{
	char *cursor = NULL;
	int pages = 0;
	struct err e;

	(void)state;
	assert_int_equal(aws_next_page("Op", &cursor, xstrdup("a"), &pages, 3,
	    &e), 1);
	assert_string_equal(cursor, "a");
	assert_int_equal(aws_next_page("Op", &cursor, xstrdup("b"), &pages, 3,
	    &e), 1);
	/* The same token again: the service loops. */
	assert_int_equal(aws_next_page("Op", &cursor, xstrdup("b"), &pages, 3,
	    &e), -1);
	assert_non_null(strstr(e.msg, "Op: the same page token"));
	/* The page limit reached with more to come is an error too. */
	assert_int_equal(aws_next_page("Op", &cursor, xstrdup("c"), &pages, 3,
	    &e), -1);
	assert_non_null(strstr(e.msg, "more than 3 pages"));
	free(cursor);
	cursor = NULL;
	pages = 0;
	/* The last page: done, whatever the count. */
	assert_int_equal(aws_next_page("Op", &cursor, NULL, &pages, 1, &e), 0);
	assert_null(cursor);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_creds_answers),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_container_url),
		cmocka_unit_test(test_paging),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
