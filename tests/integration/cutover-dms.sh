#!/usr/bin/env bash
# The DMS path end to end, in the lab with its DMS emulator (lab up
# --provider dms: tasks that move data between two real clusters), under a
# pgbench load through pgbouncer: the whole cutover; a rollback after the
# switch; a second attempt after it; kill -9 of the driver between the
# fence and the switch, then resume. Each with 0 failed, 0 lost and 0
# duplicated transactions counted on the side the application points at.
# First, the calls a console makes over ten minutes of watching (on a clock
# 20 times faster: 30 s). Last, validation's coverage by the forward task's
# table mappings.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"

TMUX_SOCK="cutover-dms-$$"
trap 'tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1; lab_teardown' EXIT

# The emulator's SigV4 verifier against AWS's own test vectors.
run "${CUTOVER_LAB_PYTHON:-/usr/bin/python3}" "$CUTOVER_DMS_EMULATOR" --check-vectors "$TOP_SRCDIR/tests/data/sigv4/botocore/aws4_testsuite"
rc_is 0 "the emulator's SigV4 verifier computes every vector of AWS's test suite"
like "$OUT" '^34 vectors, 0 failed$' "all 34 of them"

lab_up 20000 dms || bail_out "the lab did not come up with --provider dms"
C=(-c "$CONF")
REQ=$LAB/dms/requests.jsonl
pass "lab up --provider dms: the clusters, pgbouncer and the DMS emulator"
like "$(cat "$LAB_T/up.log")" "AWS_PROFILE=cutover-lab cutover -c $LAB/cutover.conf" \
	"lab up prints how to open the console on it"
is "$(sed -n 's/^provider = //p' "$CONF")" dms "its cutover.conf says provider = dms"

# Requests the emulator answered, from line FROM on, matching a Python
# condition on r (one JSON object a line).
req_count() { # FROM CONDITION
	python3 -c '
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if i >= int(sys.argv[2]) and eval(sys.argv[3]):
        n += 1
print(n)' "$REQ" "$1" "$2"
}
req_lines() { if [ -f "$REQ" ]; then wc -l <"$REQ"; else echo 0; fi; }
# The body of the last request of an operation, as JSON.
req_last() { # OP
	python3 -c '
import json, sys
last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["op"] == sys.argv[2]:
        last = r
print(json.dumps(last["body"]) if last else "null")' "$REQ" "$1"
}
state_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$LAB/state/state.json" "$1"; }
slot_on_target() {
	psql "$(sed -n '/^\[target\]/,/^\[/s/^conninfo = //p' "$CONF")" -X -A -t -c \
		"SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cutover_reverse'"
}
judge() { # WHAT: the load's verdict, on the side the application points at
	lab_wait_load || bail_out "the load did not end"
	is "$(load_field failed)" 0 "$1: 0 failed transactions"
	is "$(load_field lost)" 0 "$1: 0 lost transactions"
	is "$(load_field duplicated)" 0 "$1: 0 duplicated transactions"
	is "$(load_field judged_on)" "$(app_points_at)" "$1: judged where the application points ($(app_points_at))"
	diag "$1: committed $(load_field committed), longest transaction $(load_field max_latency_ms) ms"
}

# -- the emulator answers as DMS does ------------------------------------------
PROBE=$TOP_BUILDDIR/tests/helpers/dmsprobe
KEY=$(sed -n 's/^aws_access_key_id = //p' "$LAB/aws/credentials")
run env AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY=not-the-secret "$PROBE" "$CONF" task
rc_is 3 "a request signed with a wrong secret is refused"
like "$OUT" 'InvalidSignatureException: The request signature we calculated does not match' \
	"with AWS's InvalidSignatureException"
run env AWS_ACCESS_KEY_ID=AKIAUNKNOWN000000000 AWS_SECRET_ACCESS_KEY=x "$PROBE" "$CONF" task
like "$OUT" 'UnrecognizedClientException' "an unknown key: UnrecognizedClientException"
run "$PROBE" -p 200 -w 20000 "$CONF" reverse-start 0/1
rc_is 3 "the reverse task at a position, without the slot its endpoint names: refused"
like "$OUT" "is \"failed\" after StartReplicationTask.*FATAL_ERROR.*Replication slot 'cutover_reverse' does not exist" \
	"the task fails as DMS fails it: the slot does not exist"
TGT=$(sed -n '/^\[target\]/,/^\[/s/^conninfo = //p' "$CONF")
psql "$TGT" -X -q -A -t -c "SELECT 1 FROM pg_create_logical_replication_slot('cutover_reverse', 'pgoutput')" >/dev/null
run "$PROBE" -p 200 -w 20000 "$CONF" reverse-start FFFFFFFF/0
like "$OUT" 'CdcStartPosition FFFFFFFF/0 is not a position of the source.s WAL' \
	"a position past the end of the source's WAL fails the task"
run "$PROBE" -p 200 -w 20000 "$CONF" reverse-start 0/1
like "$OUT" 'is before what replication slot .cutover_reverse. still holds' \
	"a position the slot no longer holds fails the task"
run "$PROBE" -p 200 -w 20000 "$CONF" reverse-start @1795600000000
like "$OUT" 'needs a CdcStartPosition' "a start time is refused by cutover itself (PostgreSQL has none)"
psql "$TGT" -X -q -A -t -c "SELECT pg_drop_replication_slot('cutover_reverse')" >/dev/null
RUN_FROM=$(req_lines)     # the cutovers' requests from here on

# -- watching costs cents ----------------------------------------------------
# The real console, its refresh every second, for ten minutes of a clock 20
# times faster (CUTOVER_TEST_TIME_FACTOR, test-only): the DMS calls of ten
# minutes must be at most 130, the GetMetricData calls at most 11.
from=$(req_lines)
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -x 120 -y 40 \
	"env CUTOVER_TEST_TIME_FACTOR=20 TERM=screen $CUTOVER ${C[*]} console; sleep 600"
sleep 30
tmux -L "$TMUX_SOCK" send-keys q
sleep 1
tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1
# Ten minutes of the scaled clock from the console's first call: 30 s.
t0=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])["t"])' "$REQ" "$from")
dms=$(req_count "$from" 'r["service"] == "dms" and r["t"] < '"$t0"' + 30')
gmd=$(req_count "$from" 'r["op"] == "GetMetricData" and r["t"] < '"$t0"' + 30')
ok "$dms" -le 130 "a console's ten minutes: $dms DMS calls (at most 130)"
ok "$dms" -ge 60 "and it kept watching ($dms calls: the task every 6 s, the tables every 30 s; a loaded machine stretches the scaled intervals)"
ok "$gmd" -le 11 "$gmd GetMetricData calls (at most 11: one a minute)"
ok "$gmd" -ge 5 "and it kept reading the metrics ($gmd)"
is "$(req_count "$from" 'not r["signature_ok"]')" 0 "every request was signed right (the emulator checks SigV4)"

# -- 1. the whole cutover -------------------------------------------------------
lab_load 200 25 || bail_out "no load"
sleep 2
run "$CUTOVER" "${C[@]}" run --yes
rc_is 0 "run --yes with provider = dms under load reaches post_validation"
is "$(app_points_at)" target "pgbouncer sends the application to the target"
lsn=$(state_field reverse_slot_lsn)
like "$lsn" '^[0-9A-F]+/[0-9A-F]+$' "the reverse slot's LSN is in the state ($lsn)"
like "$("$CUTOVER" "${C[@]}" log)" "the reverse slot cutover_reverse is on the target at $lsn" \
	"and in the event log"
is "$(req_last StartReplicationTask)" \
	"{\"ReplicationTaskArn\": \"arn:aws:dms:us-east-1:123456789012:task:LABREVERSETASK0000000000000\", \"StartReplicationTaskType\": \"start-replication\", \"CdcStartPosition\": \"$lsn\"}" \
	"the reverse task started with start-replication from that LSN, on the target's WAL"
like "$("$CUTOVER" "${C[@]}" log)" 'DMS settings: usable, with warnings' "pre_validation read the DMS settings"
judge "cutover"
# After the switch status follows the direction: the reverse task.
J=$("$CUTOVER" "${C[@]}" status --json 2>/dev/null)
is "$(printf '%s' "$J" | python3 -c 'import json,sys; r=json.load(sys.stdin)["replication"]; print(r["direction"], r["reverse"]["provider"], r["reverse"]["status"])')" \
	"reverse dms running" "status --json after the switch: direction reverse, the reverse task running"
like "$(printf '%s' "$J" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replication"]["rollback"])')" \
	'^rollback: lossless \(reverse replication running' "status --json: the rollback verdict from the reverse task"

# -- 2. rollback after the switch ----------------------------------------------
from=$(req_lines)
lab_load 200 20 || bail_out "no second load"
sleep 2
run "$CUTOVER" "${C[@]}" rollback --yes
rc_is 5 "rollback --yes after the switch exits 5 (rolled back)"
is "$(app_points_at)" source "pgbouncer sends the application to the source again"
is "$(slot_on_target)" 0 "the reverse slot is dropped (it would hold the target's WAL)"
is "$(state_field reverse_slot_lsn)" None "and forgotten by the state"
is "$(req_count "$from" 'r["op"] == "ModifyReplicationTask" and r["body"].get("MigrationType") == "cdc"')" 1 \
	"the forward task is made CDC-only"
is "$(req_count "$from" 'r["op"] == "StartReplicationTask" and r["body"]["ReplicationTaskArn"].endswith("LABFORWARDTASK0000000000000") and r["body"]["StartReplicationTaskType"] == "start-replication" and "CdcStartPosition" in r["body"]')" 1 \
	"and started at a position past what reverse replication brought back"
judge "rollback"
run "$CUTOVER" "${C[@]}" status --json
like "$OUT" '"status":[[:space:]]+"running"' "forward replication runs again"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "after the rollback source and target match (nothing replayed twice)"

# -- 3. a second attempt --------------------------------------------------------
from=$(req_lines)
lab_load 200 20 || bail_out "no third load"
sleep 2
run "$CUTOVER" "${C[@]}" run --yes
rc_is 0 "a second attempt after the rollback reaches post_validation"
lsn2=$(state_field reverse_slot_lsn)
ok "$lsn2" != "$lsn" "with a new reverse slot ($lsn2)"
is "$(req_count "$from" 'r["op"] == "StartReplicationTask" and r["body"]["ReplicationTaskArn"].endswith("LABREVERSETASK0000000000000") and r["body"] == {"ReplicationTaskArn": r["body"]["ReplicationTaskArn"], "StartReplicationTaskType": "start-replication", "CdcStartPosition": "'"$lsn2"'"}')" 1 \
	"the reverse task, which ran before, starts with start-replication from the new slot"
is "$(req_count "$RUN_FROM" 'r["op"] == "StartReplicationTask" and r["body"]["StartReplicationTaskType"] in ("resume-processing", "reload-target") and r["body"]["ReplicationTaskArn"].endswith("LABREVERSETASK0000000000000")')" 0 \
	"the reverse task was never resumed or reloaded"
judge "second attempt"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "after the second attempt source and target match"

# -- 4. kill -9 between the fence and the switch, then resume ------------------
run "$CUTOVER" "${C[@]}" rollback --yes
rc_is 5 "back to the source for the crash case"
lab_load 200 30 || bail_out "no fourth load"
sleep 2
log=$LAB/state/events.jsonl
n0=$(wc -l <"$log")
"$CUTOVER" "${C[@]}" run --yes >"$LAB_T/killed.log" 2>&1 &
pid=$!
killed=0
for _ in $(seq 1 3000); do
	if tail -n +"$((n0 + 1))" "$log" | grep -q '"msg":"start reverse replication (target to source)"'; then
		kill -9 "$pid"
		killed=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
wait "$pid" 2>/dev/null
is "$killed" 1 "the driver was killed -9 as it started reverse replication (fenced, not switched)"
is "$(state_field switched)" False "the crash came before the switch"
is "$(state_field fenced)" True "inside the fence"
lsn3=$(state_field reverse_slot_lsn)
run "$CUTOVER" "${C[@]}" run --yes
rc_is 0 "the resumed run reaches post_validation"
is "$(state_field reverse_slot_lsn)" "$lsn3" "the resumed run re-used the slot at its recorded position"
is "$(req_count "$RUN_FROM" 'r["op"] == "StartReplicationTask" and r["body"].get("CdcStartPosition") not in (None, "'"$lsn"'", "'"$lsn2"'", "'"$lsn3"'") and r["body"]["ReplicationTaskArn"].endswith("LABREVERSETASK0000000000000")')" 0 \
	"the reverse task was only ever started from a recorded slot position"
judge "kill -9 and resume"

run "$CUTOVER" "${C[@]}" log --verify
rc_is 0 "the event log verifies"
is "$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)" none "no action was taken twice"
is "$(req_count "$RUN_FROM" 'not r["signature_ok"]')" 0 "every request of the runs was signed right"
"$CUTOVER" lab status --dir "$LAB" >"$LAB_T/status.txt" 2>&1
like "$(cat "$LAB_T/status.txt")" 'dms +127\.0\.0\.1:[0-9]+ +the emulator runs' "lab status shows the emulator"

# Without DMS the status cannot say what the task does: exit 3. lab up
# starts a stopped emulator again.
kill "$(cat "$LAB/dms/emulator.pid")"
sleep 1
run "$CUTOVER" "${C[@]}" status
rc_is 3 "status exits 3 when the task cannot be described"
like "$OUT" 'DescribeReplicationTasks' "and names the call"
run "$CUTOVER" lab status --dir "$LAB"
rc_is 1 "lab status: not all is well"
like "$OUT" 'the emulator is stopped' "the emulator is stopped"
run "$CUTOVER" lab up --dir "$LAB"
like "$OUT" 'started again: the DMS emulator' "lab up starts it again"
run "$CUTOVER" "${C[@]}" status
rc_is 0 "and status reads the task again"

# -- 5. validation reads the forward task's table mappings ---------------------
# After the switch the forward task is stopped, so its mappings can be
# changed. The emulator moves data by its publication (all tables) whatever
# the mappings say: a table they leave out still matches row for row, and
# must fail by name, not pass by its rows.
NTABLES=$(psql "$(sed -n '/^\[source\]/,/^\[/s/^conninfo = //p' "$CONF")" -X -A -t -c \
	"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
	   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'cutover')
	   AND n.nspname NOT LIKE 'pg\_%'")
MAP=$LAB_T/mappings.json
VJ=$LAB_T/validation.json
set_mappings() { # RULES...: the rules' JSON objects
	(IFS=, && printf '{"rules":[%s]}\n' "$*") >"$MAP"
	# A modified task is "modifying" for a moment, as DMS's is.
	for _ in $(seq 1 40); do
		"$PROBE" "$CONF" mappings "$MAP" >"$LAB_T/mappings.out" 2>&1 && return 0
		grep -q 'currently modifying' "$LAB_T/mappings.out" || return 1
		sleep 0.25
	done
	return 1
}
sel() { # ID ACTION SCHEMA TABLE
	printf '{"rule-type":"selection","rule-id":"%s","rule-name":"%s","object-locator":{"schema-name":"%s","table-name":"%s"},"rule-action":"%s"}' \
		"$1" "$1" "$3" "$4" "$2"
}
# CHECK FIELD [TABLE]: a check's field, or a field of one of its tables.
vfield() {
	python3 -c '
import json, sys
c = [c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == sys.argv[2]][0]
if len(sys.argv) > 4:
    t = [t for t in c["tables"] if t["table"] == sys.argv[4]]
    print(t[0].get(sys.argv[3]) if t else "absent")
else:
    print(c.get(sys.argv[3]))' "$VJ" "$@"
}

set_mappings "$(sel all include % %)" "$(sel no-audit exclude public 'audit[_]%')" ||
	{ cat "$LAB_T/mappings.out"; bail_out "the mappings could not be set"; }
like "$(cat "$LAB_T/mappings.out")" 'no-audit' "ModifyReplicationTask set the mappings, and the provider reads them back"
run "$CUTOVER" "${C[@]}" validate --full -o "$VJ"
rc_is 1 "a table the task's mappings exclude fails validation (its rows would match)"
like "$OUT" 'fail public\.audit_log: not replicated \(excluded by rule no-audit of the DMS task.s table mappings\)' \
	"it is named, with the rule that excludes it"
for chk in row_counts checksums; do
	is "$(vfield $chk status)" fail "$chk fails"
	is "$(vfield $chk not_replicated)" 1 "$chk: 1 not replicated"
	is "$(vfield $chk compared)" "$((NTABLES - 1))" "$chk: the other $((NTABLES - 1)) compared"
	is "$(vfield $chk coverage public.audit_log)" not_replicated "$chk lists it as not replicated"
	is "$(vfield $chk status public.accounts)" pass "$chk: the others pass"
done

# Wildcards as DMS reads them: _ one character, [st] a set; explicit.
set_mappings "$(sel ends-in-s include 'publ_c' '%[st]')" || bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --quick -o "$VJ"
rc_is 1 "include publ_c.%[st]: audit_log is not selected"
is "$(vfield row_counts detail public.audit_log)" "not replicated (not selected by the DMS task's table mappings)" \
	"named as not selected by the mappings"
is "$(vfield row_counts compared)" "$((NTABLES - 1))" "the tables the wildcards select are compared"
set_mappings "$(sel ends-in-s include 'publ_c' '%[st]')" "$(sel audit explicit public audit_log)" ||
	bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --full -o "$VJ"
is "$(vfield row_counts status)/$(vfield checksums status)" pass/pass \
	"with audit_log selected explicitly every table is compared and matches"
is "$(vfield checksums compared)/$(vfield checksums not_replicated)" "$NTABLES/0" "$NTABLES compared, 0 not replicated"

# A source filter: only some rows are carried, so it fails by name.
set_mappings "$(sel all-but-audit include public '%s')" \
	'{"rule-type":"selection","rule-id":"3","rule-name":"recent","object-locator":{"schema-name":"public","table-name":"audit_log"},"rule-action":"include","filters":[{"filter-type":"source","column-name":"logged_at","filter-conditions":[{"filter-operator":"gte","value":"2020-01-01"}]}]}' ||
	bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --quick -o "$VJ"
rc_is 1 "a table selected with a source filter fails"
like "$(vfield row_counts detail public.audit_log)" '^partly replicated \(source filter on column logged_at, rule recent' \
	"as partly replicated, naming the filtered column"
is "$(vfield row_counts not_replicated)/$(vfield row_counts compared)" "1/$((NTABLES - 1))" \
	"1 not replicated, the other $((NTABLES - 1)) compared"

# A renaming transformation: never compared against the wrong table.
set_mappings "$(sel all include % %)" \
	'{"rule-type":"transformation","rule-id":"9","rule-name":"old","rule-target":"table","object-locator":{"schema-name":"public","table-name":"audit_log"},"rule-action":"add-prefix","value":"old_"}' ||
	bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --quick -o "$VJ"
rc_is 3 "a table renamed by a transformation rule: validation could not run on it"
is "$(vfield row_counts status public.audit_log)" error "it is an error, not a pass or a row count"
like "$(vfield row_counts detail public.audit_log)" 'renamed by a transformation rule \(old, add-prefix\) to public\.old_audit_log' \
	"naming the rule and the target's name"
set_mappings "$(sel all include % %)" || bail_out "mappings: $(cat "$LAB_T/mappings.out")"

# A partitioned table is carried by its partitions: one the mappings
# exclude fails the table, at its root. (The same rows on both sides: the
# forward task is stopped after the switch.)
SRC=$(sed -n '/^\[source\]/,/^\[/s/^conninfo = //p' "$CONF")
for side in "$SRC" "$TGT"; do
	psql "$side" -X -q -v ON_ERROR_STOP=1 -c "
		CREATE TABLE public.ledger_months (id bigint, month int, PRIMARY KEY (id, month)) PARTITION BY LIST (month);
		CREATE TABLE public.ledger_months_1 PARTITION OF public.ledger_months FOR VALUES IN (1);
		CREATE TABLE public.ledger_months_2 PARTITION OF public.ledger_months FOR VALUES IN (2);
		INSERT INTO public.ledger_months SELECT g, 1 + g % 2 FROM generate_series(1, 100) g;
		ANALYZE public.ledger_months" || bail_out "no partitioned table on $side"
done
set_mappings "$(sel all include % %)" "$(sel not-feb exclude public 'ledger[_]months[_]2')" ||
	bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --quick -o "$VJ"
rc_is 1 "a partition the mappings exclude fails its partitioned table"
is "$(vfield row_counts detail public.ledger_months)" \
	"not replicated (1 of its 2 partitions are not carried whole by the DMS task's table mappings: public.ledger_months_2)" \
	"named at its root, with the partition"
set_mappings "$(sel all include % %)" || bail_out "mappings: $(cat "$LAB_T/mappings.out")"
run "$CUTOVER" "${C[@]}" validate --full -o "$VJ"
is "$(vfield checksums status public.ledger_months)/$(vfield checksums compared)" "pass/$((NTABLES + 1))" \
	"every partition selected: compared once, at its root, and it matches"

# The mappings cannot be read: an error naming AWS's, never a pass.
sed 's/^task_arn = .*/task_arn = arn:aws:dms:us-east-1:123456789012:task:NOSUCHTASK/' "$CONF" >"$LAB_T/badtask.conf"
run "$CUTOVER" -c "$LAB_T/badtask.conf" validate --quick -o "$VJ"
rc_is 3 "a task that cannot be described: could not run"
like "$(vfield row_counts detail)" 'table mappings could not be read.*ResourceNotFoundFault' "row_counts names the AWS error"
is "$(vfield row_counts status)/$(vfield checksums status)" error/error "row_counts and checksums are errors"

done_testing
