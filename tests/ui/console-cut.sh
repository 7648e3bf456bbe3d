#!/usr/bin/env bash
# The cut in the console, on the lab under load through pgbouncer: the
# five phases inside the write pause are approved before the fence, then
# run back to back with no other question, so the operator's reading
# time is not in the write pause; R during the cut goes back to a
# writable source; 0 lost.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"
. "$TOP_SRCDIR/tests/lib/faults.sh"
. "$TOP_SRCDIR/tests/ui/lib.sh"
trap 'tm kill-server >/dev/null 2>&1; faults_teardown' EXIT

# The simulated operator reads each dialog this long before answering.
WAIT=${CUT_OPERATOR_WAIT:-3}

lab_up 5000 || bail_out "the lab did not come up"
ST=$LAB/state
lab_load 200 300 || bail_out "no load"
term_start drv 120 40 || bail_out "tmux did not start"
term_run drv "$CUTOVER -c $CONF console"
wait_screen drv 'Phases' 20 || bail_out "the console did not start"

# A phase confirmed the ordinary way (Tab to the button, Enter), its
# warnings too, until it is done.
confirm_phase() { # INDEX NAME
	keys drv Enter
	wait_screen drv "Run phase $(($1 + 1))/8: $2" 15 || return 1
	keys drv Tab
	sleep 0.2
	keys drv Enter
	for _ in $(seq 1 900); do
		[ "$(state_field "$ST" "d['phases'][$1]['status']")" = "done" ] && return 0
		if screen drv | grep -q '┌─ The .*warnings: go on'; then
			keys drv Tab
			sleep 0.2
			keys drv Enter
			wait_screen_gone drv '┌─ The .*warnings: go on' 5
		fi
		sleep 0.1
	done
	return 1
}
# The cut's five approvals (y after WAIT_EACH seconds), then the fence.
approve_cut() { # WAIT_EACH
	local p
	keys drv Enter
	for p in 3:drain 4:final_sync 5:stop_replication 6:sequence_sync 7:switch; do
		wait_screen drv "┌─ The cut: approve ${p%%:*}/8 ${p#*:}" 10 || return 1
		[ "$1" = 0 ] || sleep "$1"
		keys drv y
	done
	wait_screen drv '┌─ Take the fence: run the cut' 10 || return 1
	[ "$1" = 0 ] || sleep "$1"
	keys drv Tab
	sleep 0.2
	keys drv Enter
}

confirm_phase 0 pre_validation
ok $? = 0 "pre_validation runs"
confirm_phase 1 sync_wait
ok $? = 0 "sync_wait runs: the readiness check, the lag gate, armed"
wait_screen drv 'readiness [0-9]+ ok, 0 failed' 5
ok $? = 0 "the phases pane shows the readiness check with nothing failed"
wait_screen drv 'ARMED: Enter opens the cut' 5
ok $? = 0 "the next action is the cut, opened by Enter"
like "$(last_line drv)" 'Run the cut' "the function bar offers to run the cut"

# The dialog: the five phases in order with their actions, the timeout,
# how to abort; n cancels and changes nothing.
before=$(cat "$ST/state.json")
keys drv Enter
wait_screen drv '┌─ The cut: approve 3/8 drain \(1 of 5\)' 10
ok $? = 0 "Enter opens the cut at its first phase"
S=$(screen drv)
like "$S" '\[y approve \] 3/8 drain' "the dialog says y approve beside the phase it is on"
like "$S" 'Switch timeout: 60 s from the fence' "the dialog names the switch timeout"
like "$S" 'To abort: R \(rollback\)' "the dialog says how to abort"
like "$S" 'pgbouncer: PAUSE app' "the dialog lists the phase's exact actions"
like "$S" 'y approve +n/Esc cancel the cut' "the dialog's keys are y and n/Esc"
keys drv y
wait_screen drv '┌─ The cut: approve 4/8 final_sync \(2 of 5\)' 5
ok $? = 0 "y approves drain and moves to final_sync"
like "$(screen drv)" '\[y approve \] 4/8 final_sync' "the dialog shows the next phase to approve"
like "$(tail -3 "$ST/events.jsonl")" '"kind":"operator.confirm".*"approve":"drain"' "the approval is logged as its own operator.confirm, naming the phase"
keys drv n
wait_screen_gone drv 'n/Esc cancel the cut' 5
ok $? = 0 "n cancels the cut"
sleep 0.5
is "$(state_field "$ST" 'd["cut_approved"]')" "[]" "a cancelled cut records no approval"
is "$(state_field "$ST" 'd["armed"], d["fenced_at"]')" "True None" "a cancelled cut leaves the run armed, no fence"
unlike "$before" '"fenced": true' "(the state was not fenced before either)"

# R during the cut: a session of another role holding a write keeps the
# fence waiting (up to [drain] wait_seconds); R aborts the cut back to
# the writable source, without a question.
psql_on source -c 'create role other_writer login' >/dev/null
psql "host=127.0.0.1 port=$(lab_port source) dbname=app user=other_writer" -X -q \
	-c 'begin; select txid_current(); select pg_sleep(12); commit' >/dev/null 2>&1 &
HOLDER=$!
sleep 1
n0=$(wc -l <"$ST/events.jsonl")
approve_cut 0 || bail_out "the cut's dialogs did not show"
for _ in $(seq 1 100); do
	grep -q 'sessions of roles not in \[drain\] roles are on the source' "$ST/events.jsonl" && break
	sleep 0.1
done
wait_screen drv 'write pause [0-9.]+ s' 5
ok $? = 0 "inside the cut the phases pane counts the write pause live"
keys drv R
for _ in $(seq 1 300); do
	grep -q '"kind":"rollback.done"' "$ST/events.jsonl" && break
	sleep 0.1
done
K=$(kinds_after "$ST" "$n0")
like "$K" 'run\.window .*operator\.key .*operator\.abort .*rollback\.started .*rollback\.done' \
	"R during the cut aborts it and rolls back to the source"
unlike "$(tail -n +"$((n0 + 1))" "$ST/events.jsonl" | grep -A100 '"kind":"operator.abort"' | grep -c '"kind":"operator.confirm"')" '^[1-9]' \
	"no question was asked on the way back"
is "$(side_of_port "$(live_port)")" source "pgbouncer sends the application to the source"
is "$(paused)" 0 "pgbouncer is not paused: the source takes writes"
is "$(psql_on source -c "select rolcanlogin from pg_roles where rolname = 'app_rw'")" t "the application role can log in on the source"
wait "$HOLDER" 2>/dev/null

# The whole cut again, the operator reading each dialog for WAIT s.
confirm_phase 0 pre_validation
ok $? = 0 "a new attempt: pre_validation"
confirm_phase 1 sync_wait
ok $? = 0 "a new attempt: sync_wait armed"
n0=$(wc -l <"$ST/events.jsonl")
approve_cut "$WAIT"
ok $? = 0 "the operator approves the five phases and takes the fence (${WAIT} s before each answer)"
for _ in $(seq 1 600); do
	[ "$(state_field "$ST" 'd["phases"][6]["status"]')" = "done" ] && break
	sleep 0.1
done
is "$(state_field "$ST" 'd["phases"][6]["status"]')" "done" "the five phases complete with no other dialog"
is "$(side_of_port "$(live_port)")" target "pgbouncer sends the application to the target"
tail -n +"$((n0 + 1))" "$ST/events.jsonl" >"$LAB_T/cut.jsonl"
check=$(python3 - "$LAB_T/cut.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["kind"] for e in ev]
w = kinds.index("run.window")
s = kinds.index("run.switched")
approved = [e["data"].get("approve") for e in ev[:w] if e["kind"] == "operator.confirm" and e["data"].get("approve")]
fence = [e for e in ev[:w] if e["kind"] == "operator.confirm" and not e["data"].get("approve")]
inside = [e["kind"] for e in ev[w:s] if e["kind"].startswith("operator.")]
actors = {e.get("actor") for e in ev[:w] if e["kind"] == "operator.confirm"}
print(" ".join(approved), "|", len(fence), "|", len(inside), "|", len(actors), "|",
      ev[s]["data"]["pause_seconds"])
PY
)
diag "approved | fence confirmations | operator events inside the pause | actors | pause: $check"
like "$check" '^drain final_sync stop_replication sequence_sync switch \| 1 \| 0 \| 1 \| ' \
	"an operator.confirm per phase, in order, and the fence's, all before the fence; none inside the pause"
pause=${check##*| }
ok "$(python3 -c "print(int($pause < $WAIT))")" = 1 \
	"the write pause the driver logged ($pause s) is well under one of the operator's ${WAIT} s answers"
wait_screen drv 'write pause was [0-9.]+ s' 5
ok $? = 0 "the phases pane shows what the write pause was"
wait_screen drv '✔ 7 switch +done' 5
ok $? = 0 "the stepper ticks the switch done with its duration"

load_judged "the console's cut"
keys drv q
wait_screen drv 'PROMPT\$ *$' 10

done_testing
