#!/usr/bin/env bash
# The DMS provider against the fake endpoint, for what moto lacks:
# DescribeTableStatistics over 1,200 tables (three pages of 500),
# realistic ReplicationTaskStats, StartReplicationTask's types and CDC
# positions, transitional states, and one GetMetricData per refresh. The
# fake checks every signature with botocore's signer and every request's
# shape.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

fake_start --tables 1200 --creating || bail_out "the fake AWS endpoint did not start"
export AWS_ENDPOINT_URL="$FAKE_URL" AWS_ACCESS_KEY_ID="$FAKE_KEY" AWS_SECRET_ACCESS_KEY="$FAKE_SECRET"
CONF="$AWS_TMP/cutover.conf"
aws_conf "$CONF" "$FAKE_TASK" replication.reverse_task_arn="$FAKE_REVERSE" metrics.cloudwatch=true

# -- refresh -----------------------------------------------------------------
probe "$CONF" refresh
is "$RC" 0 "refresh: exit 0"
J=$OUT
is "$(json_get "$J" 'len(d["tables"])')" 1200 "1,200 tables read"
is "$(json_get "$J" 'len(set(t["table"] for t in d["tables"]))')" 1200 "each once"
is "$(fake_count 'r.get("op") == "DescribeTableStatistics"')" 3 "in three DescribeTableStatistics pages"
is "$(fake_count 'r.get("op") == "DescribeTableStatistics" and r["body"].get("MaxRecords") == 500')" 3 "of MaxRecords 500"
is "$(fake_count 'r.get("op") == "DescribeTableStatistics" and r["body"].get("Marker") in ("page-500", "page-1000")')" 2 \
	"following each Marker"
is "$(fake_count '"signature_ok" in r and not r["signature_ok"]')" 0 "every request's signature checks out (botocore's signer)"
is "$(fake_count '"shape_error" in r')" 0 "every request is shaped as the API wants"
is "$(fake_count 'r.get("op") == "DescribeReplicationTasks" and r["body"] == {"Filters": [{"Name": "replication-task-arn", "Values": ["'"$FAKE_TASK"'"]}], "WithoutSettings": True}')" 1 \
	"DescribeReplicationTasks filters by the task ARN, WithoutSettings"
is "$(fake_count 'r.get("target", "").startswith("AmazonDMSv20160101.") and r["content_type"] != "application/x-amz-json-1.1"')" 0 \
	"DMS requests are AWS JSON 1.1"
is "$(fake_count 'r.get("target") == "GraniteServiceVersion20100801.GetMetricData" and r["content_type"] == "application/x-amz-json-1.0"')" 1 \
	"one GetMetricData per refresh, over AWS JSON 1.0"

R='d["replication"]'
is "$(json_get "$J" "$R"'["status"]')" running "status running"
is "$(json_get "$J" "$R"'["stop_reason"]')" None "no stop reason"
is "$(json_get "$J" "$R"'["last_failure"]')" "Last Error ODBC general error. Task error notification received." "LastFailureMessage kept"
is "$(json_get "$J" "[${R}[k] for k in ('full_load_percent', 'tables_loaded', 'tables_loading', 'tables_queued', 'tables_errored')]")" \
	"[100, 1197, 1, 1, 1]" "ReplicationTaskStats: percent, loaded, loading, queued, errored"
is "$(json_get "$J" 'd["task"]["ReplicationTaskStats"]["ElapsedTimeMillis"]')" 7384012 "ElapsedTimeMillis"
is "$(json_get "$J" 'd["task"]["ReplicationTaskStats"]["FullLoadStartDate"]')" 2026-11-24T06:00:01.500Z "epoch-number dates read"
is "$(json_get "$J" 'd["task"]["ReplicationTaskStats"]["StopDate"]')" None "a missing date is null"
T='next(t for t in d["tables"] if t["table"] == "app.t0007")'
is "$(json_get "$J" "[${T}[k] for k in ('state', 'inserts', 'updates', 'deletes', 'ddls', 'full_load_rows', 'validation_state', 'validation_failed_records')]")" \
	"['Table error', 70, 21, 0, 0, 1007, 'Mismatched records', 12]" "a table's state, counts and validation"
T='next(t for t in d["tables"] if t["table"] == "public.t0008")'
is "$(json_get "$J" "[${T}[k] for k in ('inserts', 'updates', 'full_load_rows', 'validation_state', 'deletes')]")" \
	"[None, None, None, None, 1]" "missing members are unknown (null), not zero"

Q='[q for r in map(json.loads, open("'"$FAKE_DIR"'/requests.jsonl")) if "metric_queries" in r for q in r["metric_queries"]]'
MQ=$(python3 -c "import json; print(json.dumps($Q))")
is "$(json_get "$MQ" 'len(d)')" 13 "13 metrics in that one request"
is "$(json_get "$MQ" 'sorted(set(q["Dimensions"].get("ReplicationTaskIdentifier") for q in d if q["MetricName"].startswith(("CDC", "FullLoad"))))')" \
	"['FWDTASKABCDEFGHIJKLMNOP']" "task metrics by the ARN's last part, not the task's name"
is "$(json_get "$MQ" 'sorted(set(q["Dimensions"].get("ReplicationInstanceIdentifier") for q in d if q["Namespace"] == "AWS/DMS"))')" \
	"['cutover-ri-prod']" "and the instance's identifier from DescribeReplicationInstances"
is "$(json_get "$MQ" 'sorted(q["MetricName"] for q in d if q["Namespace"] == "AWS/RDS" and q["Dimensions"] == {"DBClusterIdentifier": "prodcluster"})')" \
	"['AuroraReplicaLagMaximum', 'CommitLatency', 'DatabaseConnections']" "Aurora metrics by DBClusterIdentifier"
is "$(json_get "$J" "[float(${R}['lag_seconds'][k]) for k in ('source', 'target')]")" "[2.0, 3.5]" \
	"lag from the newest CDCLatencySource and CDCLatencyTarget points"

aws_conf "$AWS_TMP/nocw.conf" "$FAKE_TASK" metrics.cloudwatch=false metrics.aurora_cluster=other
: >"$FAKE_DIR/requests.jsonl"
probe "$AWS_TMP/nocw.conf" refresh
is "$RC" 0 "with [metrics] cloudwatch = false"
is "$(fake_count 'r.get("op") == "GetMetricData"')" 0 "no CloudWatch request"
is "$(json_get "$OUT" "$R"'["lag_seconds"]["source"]')" None "and no provider lag"

# -- stop, start, reverse ------------------------------------------------------
: >"$FAKE_DIR/requests.jsonl"
probe -p 50 -w 5000 "$CONF" stop
is "$RC" 0 "stop: waits out \"stopping\", exit 0"
is "$OUT" "stop: stopped" "the task is stopped"
is "$(fake_count 'r.get("op") == "StopReplicationTask"')" 1 "StopReplicationTask sent once"
probe -p 50 -w 5000 "$CONF" stop
is "$(fake_count 'r.get("op") == "StopReplicationTask"')" 1 "stopping a stopped task sends nothing"

probe -p 50 -w 5000 "$CONF" start
is "$RC" 0 "start: waits out \"starting\", exit 0"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"]["StartReplicationTaskType"] == "resume-processing"')" 1 \
	"a task that ran before is resumed (resume-processing)"

probe -p 50 -w 5000 "$CONF" reverse-start 0/16B3748
is "$RC" 0 "reverse-start: exit 0"
is "$(fake_count 'r.get("statuses", {}).get("'"$FAKE_REVERSE"'") == "creating"')" 1 \
	"the reverse task was still \"creating\" when first looked at: waited out"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"] == {"ReplicationTaskArn": "'"$FAKE_REVERSE"'", "StartReplicationTaskType": "start-replication", "CdcStartPosition": "0/16B3748"}')" 1 \
	"the never-run reverse task: start-replication from CdcStartPosition"
probe -p 50 -w 5000 "$CONF" reverse-start 0/16B3748
is "$(fake_count 'r.get("op") == "StartReplicationTask"')" 2 "reverse-start of the reverse task running from that position sends nothing"
probe -p 50 -w 5000 "$CONF" reverse-start 0/2000000
is "$RC" 0 "reverse-start from another position: exit 0"
is "$(fake_count 'r.get("op") == "StopReplicationTask" and r["body"]["ReplicationTaskArn"] == "'"$FAKE_REVERSE"'"')" 1 \
	"a reverse task running from another position is stopped first"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"].get("CdcStartPosition") == "0/2000000" and r["body"]["StartReplicationTaskType"] == "start-replication"')" 1 \
	"then started with start-replication from the new position"
probe -p 50 -w 5000 "$CONF" reverse-stop
is "$RC" 0 "reverse-stop: exit 0"
probe -p 50 -w 5000 "$CONF" reverse-start 0/3000000
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"] == {"ReplicationTaskArn": "'"$FAKE_REVERSE"'", "StartReplicationTaskType": "start-replication", "CdcStartPosition": "0/3000000"}')" 1 \
	"a reverse task that ran before: start-replication with the position, never resume-processing"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"]["StartReplicationTaskType"] != "start-replication" and r["body"]["ReplicationTaskArn"] == "'"$FAKE_REVERSE"'"')" 0 \
	"no other start type was ever sent for the reverse task"
probe -p 50 -w 5000 "$CONF" reverse-stop
n=$(fake_count 'True')
probe -p 50 -w 5000 "$CONF" reverse-start @1795600000000
is "$RC" 3 "reverse-start from an instant is refused: a PostgreSQL source has no CDC start time"
like "$ERR" "needs a CdcStartPosition" "and says what it needs"
is "$(fake_count 'True')" "$n" "without any call"

# The forward task after a rollback from the switch: from a position past
# what reverse replication brought back. A full-load-and-cdc task started
# with start-replication would reload every table: it is made CDC-only.
probe -p 50 -w 5000 "$CONF" stop
: >"$FAKE_DIR/requests.jsonl"
probe -p 50 -w 5000 "$CONF" start 0/5000000
is "$RC" 0 "forward start from a position: exit 0"
is "$(fake_count 'r.get("op") == "ModifyReplicationTask" and r["body"] == {"ReplicationTaskArn": "'"$FAKE_TASK"'", "MigrationType": "cdc"}')" 1 \
	"the full-load-and-cdc task is made CDC-only first (ModifyReplicationTask)"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"] == {"ReplicationTaskArn": "'"$FAKE_TASK"'", "StartReplicationTaskType": "start-replication", "CdcStartPosition": "0/5000000"}')" 1 \
	"then started with start-replication and CdcStartPosition"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"]["StartReplicationTaskType"] == "reload-target"')" 0 "never reload-target"
probe -p 50 -w 5000 "$CONF" stop
probe -p 50 -w 5000 "$CONF" start
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"] == {"ReplicationTaskArn": "'"$FAKE_TASK"'", "StartReplicationTaskType": "resume-processing"}')" 1 \
	"without a position it continues where it stopped (resume-processing)"
is "$(fake_count 'r.get("op") == "ModifyReplicationTask"')" 1 "and a CDC-only task is not modified again"

probe -p 50 -w 5000 "$CONF" stop-at server_time:2026-11-24T16:00:00
is "$RC" 3 "stop-at on a running task is refused"
like "$ERR" "is running: DMS takes a CdcStopPosition only when it starts a task" "and says why"
probe -p 50 -w 5000 "$CONF" stop
probe -p 50 -w 5000 "$CONF" stop-at server_time:2026-11-24T16:00:00
is "$RC" 0 "stop-at on a stopped task: resumes it to the position and waits for the stop"
is "$(fake_count 'r.get("op") == "StartReplicationTask" and r["body"].get("CdcStopPosition") == "server_time:2026-11-24T16:00:00"')" 1 \
	"StartReplicationTask carries the CdcStopPosition"
probe "$CONF" refresh
like "$(json_get "$OUT" "$R"'["stop_reason"]')" CDC_STOP_POSITION_REACHED "the stop reason says where it stopped"

probe -p 50 -w 400 "$AWS_TMP/nocw.conf" reverse-start 0/16B3748
is "$RC" 2 "reverse-start without reverse_task_arn is a configuration error"

# -- the settings a cutover relies on (pre_validation) ---------------------------
probe "$CONF" check
is "$RC" 0 "check: exit 0"
is "$(json_get "$OUT" 'd["fails"]')" "" "the fake's settings are what a cutover needs"
like "$(json_get "$OUT" 'd["warns"]')" 'limited LOB mode: values longer than LobMaxSize = 32 KB' \
	"limited LOB mode is a warning naming the limit"
like "$(json_get "$OUT" 'd["facts"]')" 'reverse source endpoint cutover-reverse-source: SlotName cutover_reverse, PluginName test-decoding' \
	"the reverse source endpoint's slot and plugin are read"
is "$(fake_count 'r.get("op") == "DescribeReplicationTasks" and "WithoutSettings" not in r["body"]')" 2 \
	"both tasks are read with their settings"
cat >"$FAKE_DIR/script.json" <<'JSON'
{"settings": {"TargetMetadata": {"BatchApplyEnabled": true, "SupportLobs": true, "FullLobMode": true},
              "ErrorBehavior": {"ApplyErrorInsertPolicy": "LOG_ERROR", "ApplyErrorUpdatePolicy": "STOP_TASK",
                                "ApplyErrorDeletePolicy": "STOP_TASK", "ApplyErrorEscalationPolicy": "STOP_TASK"}},
 "endpoints": {"cutover-source": {"PluginName": "test-decoding"},
               "cutover-reverse-source": {"SlotName": "other_slot", "PluginName": "pglogical"}}}
JSON
probe "$CONF" check
F=$(json_get "$OUT" 'd["fails"]')
like "$F" 'BatchApplyEnabled is true: DMS then applies changes in batches' "BatchApplyEnabled is refused"
like "$F" 'ApplyErrorInsertPolicy is LOG_ERROR' "an apply-error policy other than STOP_TASK is refused"
like "$F" 'forward source endpoint: no SlotName' "a forward source endpoint without a slot is refused"
like "$F" 'SlotName is other_slot, \[rollback\] reverse_slot is cutover_reverse' "the reverse slot must be the one cutover creates"
like "$F" 'PluginName pglogical, but \[rollback\] reverse_slot_plugin is test_decoding' "and its plugin the configured one"
like "$(json_get "$OUT" 'd["warns"]')" 'DMS validation is off' "validation off is a warning"
rm -f "$FAKE_DIR/script.json"

# -- watching costs cents ---------------------------------------------------------
# Ten minutes of a console refreshing every second, on a clock 60 times
# faster (10 s): the calls each API may make in ten minutes, no more.
: >"$FAKE_DIR/requests.jsonl"
CUTOVER_TEST_TIME_FACTOR=60 probe "$CONF" watch 600
is "$RC" 0 "watch: exit 0"
refreshes=$(json_get "$OUT" 'd["refreshes"]')
ok "$refreshes" -ge 500 "the console refreshed $refreshes times"
tasks=$(fake_count 'r.get("op") == "DescribeReplicationTasks"')
pages=$(fake_count 'r.get("op") == "DescribeTableStatistics"')
gmd=$(fake_count 'r.get("op") == "GetMetricData"')
ok "$tasks" -le 101 "DescribeReplicationTasks at most every 6 s: $tasks calls"
ok "$tasks" -ge 50 "and it kept looking ($tasks; a slow machine stretches the scaled clock's intervals)"
ok "$pages" -le 63 "DescribeTableStatistics every 30 s: $pages pages of 500 (3 a call)"
# Ten minutes hold 11 minute marks (0 to 10); the last refresh may begin
# just before the end and, on a loaded machine, finish a scaled minute
# later (one second of real time): one more mark. A call per refresh
# would be ~600.
ok "$gmd" -le 12 "GetMetricData once a minute: $gmd calls"
ok "$gmd" -ge 5 "and it kept reading them ($gmd)"
is "$(fake_count 'r.get("op") == "DescribeReplicationInstances"')" 1 "the instance is described once"

# Throttled: DescribeReplicationTasks backs off (doubling with jitter, up
# to a minute) instead of asking every 6 s.
printf '{"DescribeReplicationTasks": [%s]}' "$(printf '"throttle",%.0s' $(seq 1 60) | sed 's/,$//')" >"$FAKE_DIR/script.json"
: >"$FAKE_DIR/requests.jsonl"
CUTOVER_TEST_TIME_FACTOR=60 probe -a 1 "$CONF" watch 300
throttled=$(fake_count 'r.get("op") == "DescribeReplicationTasks"')
ok "$throttled" -le 14 "throttled for 5 minutes: $throttled DescribeReplicationTasks, not 50"
like "$(json_get "$OUT" 'd["replication"]["error"]')" 'ThrottlingException' "the error says it is throttled"
rm -f "$FAKE_DIR/script.json"

# One metric call failing is not a failed status: the metrics age.
printf '{"GetMetricData": ["500", "500", "500", "500"]}' >"$FAKE_DIR/script.json"
probe -b 5 "$CONF" refresh
is "$RC" 0 "a refresh whose GetMetricData failed exits 0"
like "$(json_get "$OUT" 'd["replication"]["error"]')" 'GetMetricData: InternalFailure.*the CloudWatch metrics not read yet' \
	"and names what could not be read"
is "$(json_get "$OUT" 'd["replication"]["status"]')" stopped "the task's status is there (stopped by the stop-at above)"
rm -f "$FAKE_DIR/script.json"

# -- describe (--dry-run) --------------------------------------------------------
probe "$CONF" describe stop
like "$OUT" "StopReplicationTask \\{\"ReplicationTaskArn\":\"$FAKE_TASK\"\\}" "describe stop: the exact call"
like "$OUT" "DescribeReplicationTasks every" "and the wait"
probe "$CONF" describe reverse_start
like "$OUT" "CdcStartPosition" "describe reverse_start names the CDC start position"
like "$OUT" "$FAKE_REVERSE" "and the reverse task"

# -- signatures --------------------------------------------------------------------
AWS_SECRET_ACCESS_KEY=not-the-secret probe "$CONF" task
like "$ERR" "DescribeReplicationTasks: InvalidSignatureException: The request signature we calculated does not match" \
	"a wrong secret: AWS's InvalidSignatureException, named with the operation"

probe_valgrind "a refresh of 1,200 tables with metrics" "$CONF" refresh
probe_valgrind "a stop and its wait" -p 50 -w 5000 "$CONF" stop

no_secrets "$FAKE_SECRET" -- "$FAKE_DIR"
done_testing
