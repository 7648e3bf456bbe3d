#!/usr/bin/env bash
# kill -9 of the driver at random instants across a run and across a
# rollback, each followed by a restart: the run ends consistent, the log
# verifies, and no action was taken twice.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"

KILLS=${CUTOVER_CRASH_KILLS:-10}    # per half: a run, then a rollback
lab_up 20000 || bail_out "the lab did not come up"
C=(-c "$CONF")
sed -i 's/^timeout_seconds = .*/timeout_seconds = 20/' "$CONF"
lab_load 100 600 || bail_out "no load"
sleep 1

# Starts CMD in the background and kills it -9 right after it has
# logged a random 2 to 5 more events (most lives make some progress
# and the kills land all over the flow, inside the write pause too).
# Sets KILLED (1/0) and RC.
attempt() {
	local log=$LAB/state/events.jsonl pid n0 k
	n0=$(wc -l <"$log" 2>/dev/null || echo 0)
	k=$((2 + RANDOM % 4))
	"$CUTOVER" "${C[@]}" "$@" --yes >>"$LAB_T/driver.log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid")" != Z ]; do
		if [ "$(wc -l <"$log")" -ge $((n0 + k)) ]; then
			kill -9 "$pid"
			wait "$pid" 2>/dev/null
			KILLED=1
			echo "--- killed after $k events: $(tail -1 "$log" | cut -c1-160)" >>"$LAB_T/driver.log"
			return
		fi
		sleep 0.005
	done
	wait "$pid"
	RC=$?
	KILLED=0
}

# Drives CMD to its end through KILLS kill -9s, then without kills.
through_kills() { # WANT-RC CMD...
	local want=$1 n=0 tries=0
	shift
	while [ "$n" -lt "$KILLS" ] && [ "$tries" -lt $((KILLS * 6)) ]; do
		tries=$((tries + 1))
		attempt "$@"
		if [ "$KILLED" = 1 ]; then
			n=$((n + 1))
		elif [ "$RC" = "$want" ]; then
			break	# it got to the end before the next kill
		fi
	done
	KILLS_DONE=$n
	for _ in 1 2 3 4 5; do
		"$CUTOVER" "${C[@]}" "$@" --yes >>"$LAB_T/driver.log" 2>&1
		RC=$?
		[ "$RC" = "$want" ] && break
	done
}

through_kills 0 run
is "$RC" 0 "the run reached its end after $KILLS_DONE kill -9s"
is "$(app_points_at)" target "the application is on the target"
through_kills 5 rollback
is "$RC" 5 "the rollback completed after $KILLS_DONE kill -9s"
is "$(app_points_at)" source "the application is on the source again"
run "$CUTOVER" "${C[@]}" status --json
like "$OUT" '"status":[[:space:]]+"running"' "forward replication runs"
"$CUTOVER" lab load --dir "$LAB" --stop >/dev/null 2>&1
lab_wait_load
is "$(load_field failed)" 0 "0 failed transactions through every kill"
is "$(load_field lost)" 0 "0 lost transactions through every kill"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "source and target match at the end"
run "$CUTOVER" "${C[@]}" log --verify
rc_is 0 "the event log verifies after every kill"
twice=$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)
is "$twice" none "no action was taken twice"
if [ "$twice" != none ]; then
	# What led to it: the kills and every step event around them.
	grep 'killed after' "$LAB_T/driver.log" | sed 's/^/# /'
	"$CUTOVER" "${C[@]}" log --json | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    d = e.get("data") or {}
    if e["kind"] in ("action", "action.done", "check", "rollback.started", "lock.taken_over", "run.started", "phase.started"):
        print("# %s %s %s %s %s" % (e["seq"], e["kind"], d.get("step", ""), (d.get("detail") or "")[:60], e["msg"][:80]))'
fi
like "$("$CUTOVER" "${C[@]}" log)" 'lock.taken_over' "restarts took over the dead drivers' locks, logged"
if [ "$(grep -c 'killed after' "$LAB_T/driver.log")" -ge 2 ]; then
	pass "the drivers were killed ($(grep -c 'killed after' "$LAB_T/driver.log") times)"
else
	fail "the drivers were hardly killed"
fi

done_testing
