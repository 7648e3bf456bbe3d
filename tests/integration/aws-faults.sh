#!/usr/bin/env bash
# Faults between us and AWS: 5xx, throttling bursts, a server that never
# answers, truncated, non-JSON and huge bodies, expired credentials, lost
# answers. Each ends in a clear error or a successful retry, within the
# timeouts, and Start/Stop are never sent twice.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

fake_start --tables 30 --hang 30 || bail_out "the fake AWS endpoint did not start"
export AWS_ENDPOINT_URL="$FAKE_URL" AWS_ACCESS_KEY_ID="$FAKE_KEY" AWS_SECRET_ACCESS_KEY="$FAKE_SECRET"
CONF="$AWS_TMP/cutover.conf"
aws_conf "$CONF" "$FAKE_TASK" metrics.cloudwatch=true
script() { printf '%s' "$1" >"$FAKE_DIR/script.json"; }
FAST=(-b 20 -p 50 -w 5000)

script '{"DescribeReplicationTasks": ["500", "503"]}'
probe "${FAST[@]}" "$CONF" refresh
is "$RC" 0 "HTTP 500 then 503: retried, then the refresh succeeds"
is "$(attempts)" 6 "two retries (3 describes, a tables page, the instance, the metrics)"

script '{"DescribeTableStatistics": ["throttle", "throttle", "throttle"]}'
probe "${FAST[@]}" "$CONF" refresh
is "$RC" 0 "a burst of three ThrottlingExceptions: retried with backoff, success"
script '{"GetMetricData": ["toomany", "toomany"]}'
probe "${FAST[@]}" "$CONF" refresh
is "$RC" 0 "429 TooManyRequestsException (X-Amzn-ErrorType header): retried, success"

script '{"DescribeReplicationTasks": ["throttle", "throttle", "throttle", "throttle", "throttle"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 3 "throttled past the attempts: exit 3"
like "$ERR" 'DescribeReplicationTasks: ThrottlingException: Rate exceeded \(HTTP 400\) \(after 4 attempts\)' \
	"the error names the operation, the code, the status and the attempts"

script '{"DescribeReplicationTasks": ["denied"]}'
probe "${FAST[@]}" "$CONF" task
like "$ERR" 'DescribeReplicationTasks: AccessDeniedException: User: arn:aws:iam::123456789012:user/sre is not authorized to perform: dms:DescribeReplicationTasks \(HTTP 400\)' \
	"AccessDenied reads as AWS wrote it"
is "$(attempts)" 1 "and is not retried"

script '{"DescribeReplicationTasks": ["hang", "hang"]}'
start=$(date +%s%N)
probe "${FAST[@]}" -t 700 -a 2 "$CONF" task
ms=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "a server that accepts and never answers: exit 3"
like "$ERR" 'DescribeReplicationTasks: .*(timed out|Timeout).*\(after 2 attempts\)' "a timeout, after the attempts allowed"
ok "$ms" -lt 5000 "no hang beyond the timeouts (${ms} ms for 2 x 700 ms)"

script '{"DescribeReplicationTasks": ["truncate"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 0 "a truncated body: retried, success"
is "$(attempts)" 2 "after one retry"

script '{"DescribeReplicationTasks": ["reset"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 0 "a connection reset: retried, success"

script '{"DescribeReplicationTasks": ["nonjson"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 3 "HTTP 200 with an HTML page: exit 3"
like "$ERR" 'DescribeReplicationTasks: the answer is not a JSON object \(HTTP 200, Content-Type text/html' \
	"a clear error naming the content type"

script '{"DescribeReplicationTasks": ["ctype", "ctype", "ctype", "ctype"]}'
probe "${FAST[@]}" "$CONF" task
like "$ERR" 'DescribeReplicationTasks: HTTP 502 with no AWS error in the answer \(Content-Type text/html' \
	"a 502 from a proxy: retried, then named for what it is"

script '{"DescribeReplicationTasks": ["huge"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 3 "a 20 MiB answer: exit 3"
like "$ERR" 'larger than 16777216 bytes' "the size bound is named"
is "$(attempts)" 1 "and not fetched again"

script '{"DescribeReplicationTasks": ["expired"]}'
probe "${FAST[@]}" "$CONF" task
is "$RC" 0 "ExpiredTokenException once: credentials fetched again, success"

script '{"DescribeReplicationTasks": ["expired", "expired"]}'
probe "${FAST[@]}" "$CONF" task
like "$ERR" 'DescribeReplicationTasks: ExpiredTokenException: The security token included in the request is expired' \
	"still expired after a fresh fetch: a clear error"

# -- never twice: StartReplicationTask and StopReplicationTask ---------------
: >"$FAKE_DIR/requests.jsonl"
script '{"StopReplicationTask": ["500"]}'
probe "${FAST[@]}" "$CONF" stop
is "$RC" 3 "StopReplicationTask answered 500: the stop fails"
is "$(fake_count 'r.get("op") == "StopReplicationTask"')" 1 "it was sent once, not retried"
like "$ERR" 'StopReplicationTask: InternalFailure: fake 500 \(HTTP 500\)' "the error says what DMS answered"

: >"$FAKE_DIR/requests.jsonl"
script '{"StopReplicationTask": ["lost"]}'
probe "${FAST[@]}" -t 1000 "$CONF" stop
is "$RC" 0 "StopReplicationTask carried out but its answer lost: the task's status shows it stopped"
is "$(fake_count 'r.get("op") == "StopReplicationTask"')" 1 "still sent once"

: >"$FAKE_DIR/requests.jsonl"
script '{"StartReplicationTask": ["hang"]}'
probe "${FAST[@]}" -t 700 "$CONF" start
is "$RC" 3 "StartReplicationTask timed out and the task is not running: exit 3"
is "$(fake_count 'r.get("op") == "StartReplicationTask"')" 1 "sent once"
like "$ERR" 'may have reached DMS, so it was not repeated' "the error says why it was not repeated"

script '{"StartReplicationTask": ["throttle"]}'
probe "${FAST[@]}" "$CONF" start
is "$(fake_count 'r.get("op") == "StartReplicationTask"')" 2 "a throttled StartReplicationTask is not repeated either"
like "$ERR" 'StartReplicationTask: ThrottlingException' "the throttling is reported"

# -- nobody listening ------------------------------------------------------------
AWS_ENDPOINT_URL="http://127.0.0.1:$(free_port)" probe "${FAST[@]}" "$CONF" task
is "$RC" 3 "nobody listening: exit 3"
like "$ERR" "DescribeReplicationTasks: http://127.0.0.1:[0-9]+: .*(refused|connect).*\\(after 4 attempts\\)" \
	"connection refused, retried, named"
AWS_ENDPOINT_URL="http://127.0.0.1:$(free_port)" probe "${FAST[@]}" "$CONF" start
like "$ERR" "\\(after 4 attempts\\)" "a Start that never left is retried too: nothing reached DMS"

script '{"DescribeReplicationTasks": ["500", "hang", "truncate"], "DescribeTableStatistics": ["throttle"]}'
probe_valgrind "retries through a 500, a timeout, a truncated body and throttling" "${FAST[@]}" -t 700 "$CONF" refresh
script '{"StopReplicationTask": ["lost"]}'
probe_valgrind "a stop whose answer is lost" "${FAST[@]}" -t 1000 "$CONF" stop

no_secrets "$FAKE_SECRET" -- "$FAKE_DIR"
done_testing
