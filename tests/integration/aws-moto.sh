#!/usr/bin/env bash
# The DMS provider and CloudWatch client against moto's server, with its
# signature checking and IAM policies on: the task is created with botocore,
# then described, started, stopped and resumed through our client, and what
# we show is compared with what botocore reads.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

python3 -c 'import moto, boto3' 2>/dev/null || bail_out "moto and boto3 are needed (pip install 'moto[server]')"
# moto records every request it answers: what we sent is checked, not
# only what the task looks like afterwards.
export MOTO_ENABLE_RECORDING=1 MOTO_RECORDER_FILEPATH="$AWS_TMP/requests.jsonl"
moto_start || bail_out "moto did not start: $(tail -5 "$AWS_TMP/moto.log")"
pass "moto listens on $MOTO_URL"

export MOTOCTL_STATE="$AWS_TMP/moto.json"
python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" setup \
	"$TOP_SRCDIR/docs/iam-policy-driver.json" >"$MOTOCTL_STATE" 2>"$AWS_TMP/setup.err" ||
	bail_out "moto setup failed: $(tail -3 "$AWS_TMP/setup.err")"
KEY=$(json_get "$(cat "$MOTOCTL_STATE")" 'd["key"]')
SECRET=$(json_get "$(cat "$MOTOCTL_STATE")" 'd["secret"]')
TASK=$(json_get "$(cat "$MOTOCTL_STATE")" 'd["task"]')
REVERSE=$(json_get "$(cat "$MOTOCTL_STATE")" 'd["reverse"]')
INSTANCE_ID=$(json_get "$(cat "$MOTOCTL_STATE")" 'd["instance_id"]')
like "$TASK" '^arn:aws:dms:us-east-1:123456789012:task:' "a task, instance and endpoints were created with botocore"

export AWS_ENDPOINT_URL="$MOTO_URL" AWS_ACCESS_KEY_ID="$KEY"
CONF="$AWS_TMP/cutover.conf"
aws_conf "$CONF" "$TASK" replication.reverse_task_arn="$REVERSE" metrics.cloudwatch=true

# -- signature checking is on ---------------------------------------------
AWS_SECRET_ACCESS_KEY="${SECRET}x" probe "$CONF" task
is "$RC" 3 "a request signed with a wrong secret fails (exit 3)"
like "$ERR" 'DescribeReplicationTasks: SignatureDoesNotMatch: The request signature we calculated does not match' \
	"the error names the operation and moto's SignatureDoesNotMatch"
like "$ERR" '\(HTTP 403\)' "and the HTTP status"
is "$(attempts)" 1 "a signature refusal is not retried"
AWS_ACCESS_KEY_ID=AKIAUNKNOWN0000000000 AWS_SECRET_ACCESS_KEY="$SECRET" probe "$CONF" task
like "$ERR" 'InvalidClientTokenId' "an unknown key is refused as AWS refuses it (InvalidClientTokenId)"

export AWS_SECRET_ACCESS_KEY="$SECRET"

# -- describe: what we show is what botocore reads -------------------------
compare_task() { # OUR-JSON BOTOCORE-JSON -> "ok" or the differences
	python3 - "$1" "$2" <<'PY'
import datetime, json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def ms(v):
    if v is None:
        return None
    d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    # To the millisecond, as the model keeps times (moto has microseconds).
    return (d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(milliseconds=1)
bad = []
for k in ("ReplicationTaskArn", "ReplicationTaskIdentifier", "Status", "StopReason", "LastFailureMessage",
          "MigrationType", "ReplicationInstanceArn", "SourceEndpointArn", "TargetEndpointArn"):
    if ours.get(k) != theirs.get(k):
        bad.append("%s: %r != %r" % (k, ours.get(k), theirs.get(k)))
for k in ("ReplicationTaskCreationDate", "ReplicationTaskStartDate"):
    if ms(ours.get(k)) != ms(theirs.get(k)):
        bad.append("%s: %r != %r" % (k, ours.get(k), theirs.get(k)))
so, st = ours.get("ReplicationTaskStats") or {}, theirs.get("ReplicationTaskStats") or {}
for k in ("FullLoadProgressPercent", "ElapsedTimeMillis", "TablesLoaded", "TablesLoading", "TablesQueued", "TablesErrored"):
    if so.get(k) != st.get(k):
        bad.append("Stats.%s: %r != %r" % (k, so.get(k), st.get(k)))
for k in ("FreshStartDate", "StartDate", "StopDate", "FullLoadStartDate", "FullLoadFinishDate"):
    if ms(so.get(k)) != ms(st.get(k)):
        bad.append("Stats.%s: %r != %r" % (k, so.get(k), st.get(k)))
print("ok" if not bad else "; ".join(bad))
PY
}

probe "$CONF" task
is "$RC" 0 "DescribeReplicationTasks through our client succeeds"
BOTO=$(python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" describe "$TASK")
is "$(compare_task "$OUT" "$BOTO")" ok "the task is shown exactly as botocore reads it (status $(json_get "$BOTO" 'd["Status"]'))"

probe -b 5 "$CONF" refresh
is "$RC" 0 "a refresh against moto, which has no DescribeTableStatistics, shows the task (exit 0)"
like "$(json_get "$OUT" 'd["replication"]["error"]')" '^DescribeTableStatistics: HTTP 500' \
	"and names the call moto lacks"
is "$(json_get "$OUT" 'd["replication"]["status"]')" "$(json_get "$BOTO" 'd["Status"]')" \
	"the replication status is still the task's status"
is "$(json_get "$OUT" 'd["replication"]["tables_loaded"]')" "$(json_get "$BOTO" 'd["ReplicationTaskStats"]["TablesLoaded"]')" \
	"tables_loaded is ReplicationTaskStats.TablesLoaded"
is "$(json_get "$OUT" 'd["replication"]["full_load_percent"]')" "$(json_get "$BOTO" 'd["ReplicationTaskStats"]["FullLoadProgressPercent"]')" \
	"full_load_percent is ReplicationTaskStats.FullLoadProgressPercent"

# -- start, stop, resume -----------------------------------------------------
# The fields of the last OPERATION request moto received for ARN, as
# "FIELD=VALUE ..." (absent fields say FIELD=-).
last_sent() { # OPERATION ARN FIELD...
	python3 - "$AWS_TMP/requests.jsonl" "$@" <<'PY'
import base64, json, sys
path, op, arn, fields = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
last = None
for line in open(path):
    r = json.loads(line)
    target = {k.lower(): v for k, v in r["headers"].items()}.get("x-amz-target", "")
    if not target.endswith("." + op):
        continue
    body = base64.b64decode(r["body"]) if r.get("body_encoded") else r.get("body") or "{}"
    b = json.loads(body)
    if b.get("ReplicationTaskArn") == arn:
        last = b
print("none" if last is None else " ".join("%s=%s" % (f, last.get(f, "-")) for f in fields))
PY
}
status_of() { python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" describe "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Status"])'; }

probe -p 100 -w 10000 "$CONF" start
is "$RC" 0 "start: exit 0 ($ERR)"
is "$(status_of "$TASK")" running "botocore sees the task running"
is "$(last_sent StartReplicationTask "$TASK" StartReplicationTaskType CdcStartPosition)" \
	"StartReplicationTaskType=start-replication CdcStartPosition=-" \
	"a task that never ran is started with start-replication, at no position"
probe "$CONF" task
is "$(compare_task "$OUT" "$(python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" describe "$TASK")")" ok \
	"the running task is shown exactly as botocore reads it"
probe -p 100 -w 10000 "$CONF" start
is "$RC" 0 "start of a running task is a success"
is "$(attempts)" 1 "and makes no StartReplicationTask call (one describe)"

probe -p 100 -w 10000 "$CONF" stop
is "$RC" 0 "stop: exit 0"
is "$(status_of "$TASK")" stopped "botocore sees the task stopped"
# moto refuses StopReplicationTask for a task that is not running: a
# second stop succeeds only because it asks first and sends nothing.
probe -p 100 -w 10000 "$CONF" stop
is "$RC" 0 "stop of a stopped task is a success"
is "$(attempts)" 1 "and only describes it"

probe -p 100 -w 10000 "$CONF" start
is "$RC" 0 "resume: exit 0"
is "$(status_of "$TASK")" running "botocore sees the task running again"
is "$(last_sent StartReplicationTask "$TASK" StartReplicationTaskType CdcStartPosition)" \
	"StartReplicationTaskType=resume-processing CdcStartPosition=-" \
	"a stopped task is continued where it stopped (resume-processing, no position)"

probe -p 100 -w 10000 "$CONF" reverse-start 0/16B3748
is "$RC" 0 "reverse-start from an LSN: exit 0"
is "$(status_of "$REVERSE")" running "botocore sees the reverse task running"
is "$(last_sent StartReplicationTask "$REVERSE" StartReplicationTaskType CdcStartPosition)" \
	"StartReplicationTaskType=start-replication CdcStartPosition=0/16B3748" \
	"the reverse task starts at the position given (start-replication, CdcStartPosition)"
probe -p 100 -w 10000 "$CONF" reverse-stop
is "$RC" 0 "reverse-stop: exit 0"
is "$(status_of "$REVERSE")" stopped "botocore sees the reverse task stopped"

# -- CloudWatch: PutMetricData with botocore, GetMetricData with ours -------
python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" put-metrics "$INSTANCE_ID" "${TASK##*:}" prodcluster >/dev/null
is "$?" 0 "botocore put five points of each metric"
probe -b 5 "$CONF" metrics
series() { json_get "$OUT" "[float(x[1]) for s in d['series'] if s['name'] == '$1' for x in s['points']]"; }
is "$(series CDCLatencySource)" "[1.0, 2.0, 3.0, 4.0, 5.0]" "CDCLatencySource: the five points put, oldest first"
is "$(series CDCLatencyTarget)" "[2.0, 3.0, 4.0, 5.0, 6.0]" "CDCLatencyTarget too"
is "$(series CPUUtilization)" "[20.0, 21.0, 22.0, 23.0, 24.0]" "the instance's CPUUtilization"
is "$(series DatabaseConnections)" "[40.0, 41.0, 42.0, 43.0, 44.0]" "Aurora's DatabaseConnections by DBClusterIdentifier (the target host's first label)"
is "$(json_get "$OUT" 'float(d["replication"]["lag_seconds"]["source"])')" 5.0 "lag_seconds.source is the latest CDCLatencySource"
is "$(json_get "$OUT" 'float(d["replication"]["lag_seconds"]["target"])')" 6.0 "lag_seconds.target is the latest CDCLatencyTarget"
is "$(series SwapUsage)" "[]" "a metric nobody put has no points (not zeros)"

# -- the documented policy, read statements only -----------------------------
R=$(python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" reader "$TOP_SRCDIR/docs/iam-policy-driver.json")
RKEY=$(json_get "$R" 'd["key"]')
RSECRET=$(json_get "$R" 'd["secret"]')
AWS_ACCESS_KEY_ID=$RKEY AWS_SECRET_ACCESS_KEY=$RSECRET probe -b 5 "$CONF" metrics
like "$(json_get "$OUT" 'd["replication"]["error"]')" '^DescribeTableStatistics: HTTP 500' \
	"the policy's read statements allow every read but the one moto lacks"
AWS_ACCESS_KEY_ID=$RKEY AWS_SECRET_ACCESS_KEY=$RSECRET probe -p 100 -w 5000 "$CONF" stop
is "$RC" 3 "without its Start/Stop statement, stopping is refused"
like "$ERR" "StopReplicationTask: AccessDenied.*not authorized to perform: dms:StopReplicationTask" \
	"and the error says which permission is missing"
is "$(status_of "$TASK")" running "the task runs on"

# -- cutover status --json: the task as botocore reads it, beside real
# databases (the heartbeat and the row estimates come from them).
. "$TOP_SRCDIR/tests/lib/pg.sh"
trap 'pg_teardown; aws_cleanup' EXIT
pg_start src >/dev/null || bail_out "cannot start a cluster"
pg_start dst >/dev/null || bail_out "cannot start a cluster"
SCONF="$AWS_TMP/status.conf"
aws_conf "$SCONF" "$TASK" metrics.cloudwatch=true
sed -i "s|^conninfo = postgresql://migrator@src.example:5432/app|conninfo = $(pg_conninfo src)|; s|^conninfo = postgresql://migrator@prodcluster.*|conninfo = $(pg_conninfo dst)|" "$SCONF"
printf '[cutover]\nstate_dir = %s\n' "$AWS_TMP/state" >>"$SCONF"
"$CUTOVER" -c "$SCONF" status --json >"$AWS_TMP/status.json" 2>"$AWS_TMP/status.err"
src=$?
python3 "$TOP_SRCDIR/tests/aws/motoctl.py" "$MOTO_URL" describe "$TASK" >"$AWS_TMP/boto.json"
is "$(python3 - "$AWS_TMP/status.json" "$AWS_TMP/boto.json" 2>&1 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["replication"]
b = json.load(open(sys.argv[2]))
st = b.get("ReplicationTaskStats") or {}
want = {"provider": "dms", "status": b["Status"], "stop_reason": b.get("StopReason"),
        "full_load_percent": st.get("FullLoadProgressPercent"),
        "tables_loaded": st.get("TablesLoaded"), "tables_loading": st.get("TablesLoading"),
        "tables_queued": st.get("TablesQueued"), "tables_errored": st.get("TablesErrored")}
got = {k: s[k] for k in want}
print("ok" if got == want else f"{got} != {want}")
PY
)" ok "cutover status --json shows the task as botocore reads it"
like "$(cat "$AWS_TMP/status.err")" 'DescribeTableStatistics' \
	"the one call moto lacks is named, the rest is shown"
is "$src" 0 "status exits 0: the task itself was read"
like "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replication"]["warning"])' "$AWS_TMP/status.json")" \
	'^DescribeTableStatistics: HTTP 500' "status --json names it in replication.warning"
unlike "$(cat "$AWS_TMP/status.json" "$AWS_TMP/status.err")" "$SECRET" "status shows no secret"

no_secrets "$SECRET" "$RSECRET" -- "$AWS_TMP/moto.log"
done_testing
