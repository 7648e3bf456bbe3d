#!/usr/bin/env bash
# The fault matrix (issue 10, item 7). On one lab, under a pgbench load
# through pgbouncer and a writer connected straight to the source (it
# reconnects after every error, its probe rows counted on the side the
# application points at afterwards):
#
#   for every step boundary of the cut, from the fence to the end of the
#   switch (right after each `action` and each `action.done`, with the
#   event log's fsync slowed so each kill -9 lands where it is aimed):
#   kill -9 the driver, then (a) resume, (b) roll back, (c) leave it down
#   past the switch timeout and then start it;
#
#   for every step boundary of a rollback after the switch: kill -9 the
#   rollback, start it again: it completes, taking no action twice
#   (GAUNTLET_ROLLBACK=0 leaves this part out by hand);
#
#   and: post_validation failing after the switch; the target stopped
#   during final_sync and at the start of switch; pgbouncer frozen
#   (SIGSTOP, 20 s) at PAUSE and during the switch; the forward
#   subscription disabled during sync_wait and during final_sync; two
#   drivers started at once; the state directory filled up right after
#   PAUSE.
#
# Each case ends with the application on exactly one side and running
# (not paused), pgbouncer's entry file and live entry agreeing, every row
# the direct writer committed on that side, and `log --verify` passing;
# the load is judged per batch of cases: 0 failed transactions through
# pgbouncer, 0 lost, nothing applied twice. The lab is reused: every case
# ends (or is rolled back to end) on a clean source, which is checked too.
#
# GAUNTLET_VARIANTS (default "resume rollback down"), GAUNTLET_ONLY (a
# regex over the boundaries, the rollback's too) and GAUNTLET_NAMED=0
# (no named faults) narrow it down by hand; CI runs it whole.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"
. "$TOP_SRCDIR/tests/lib/faults.sh"

command -v strace >/dev/null || bail_out "strace is needed to aim the kills"
VARIANTS=${GAUNTLET_VARIANTS:-resume rollback down}
KILL_TIMEOUT=10        # the switch timeout for the kill matrix, seconds
FSYNC_DELAY_US=${FSYNC_DELAY_US:-80000}
T0=$(date +%s)

lab_up 5000 || bail_out "the lab did not come up"
C=(-c "$CONF")
probe_setup || bail_out "the probe table did not replicate"
conf_set validation lag_hold_seconds 0
conf_set switch timeout_seconds "$KILL_TIMEOUT"
writer_start app app_rw
lab_load 40 7200 || bail_out "no load"
sleep 1

# The way every case starts: armed (pre_validation and sync_wait done),
# without slowed fsyncs.
arm() {
	run "$CUTOVER" "${C[@]}" run --yes --until sync_wait
	[ "$RC" = 0 ] || {
		diag "arming failed (exit $RC):"
		printf '%s\n' "$OUT" | tail -5 | sed 's/^/#   /'
	}
}

# Back to a clean source when a case ended on the target.
to_source() { # NAME
	if [ "$END_SIDE" = target ]; then
		run "$CUTOVER" "${C[@]}" rollback --yes
		rc_is 5 "$1: rolled back to the source to go on"
		end_state "$1, back on the source" app
	fi
	is "$END_SIDE" source "$1: the lab is on a clean source for the next case"
}

batch=0
judge_batch() { # NAME
	load_judged "$1"
	lab_load 40 7200 || bail_out "no load"
	batch=$((batch + 1))
}

# ---------------------------------------------------------- boundaries
# Learn the boundaries from one clean run: every `action` and
# `action.done` from the fence (run.window) to the end of the switch, in
# order, as (kind, message, how many of those came before).
arm
n0=$(last_seq)
run "$CUTOVER" "${C[@]}" run --yes
rc_is 0 "the clean run to learn the boundaries (exit 0)"
end_state "clean run" app
cat >"$LAB_T/boundaries.py" <<'PY'
import json, sys
n0 = int(sys.argv[1])
inside, seen = False, {}
for line in sys.stdin:
    e = json.loads(line)
    if e["seq"] <= n0:
        continue
    if e["kind"] == "run.window":
        inside = True
    if inside and e["kind"] in ("action", "action.done"):
        key = (e["kind"], e["msg"])
        seen[key] = seen.get(key, 0) + 1
        print(f'{e["kind"]}\t{seen[key]}\t{e["msg"]}')
    if inside and e["kind"] == "phase.done" and e["phase"] == "switch":
        break
PY
"$CUTOVER" "${C[@]}" log --json | python3 "$LAB_T/boundaries.py" "$n0" >"$LAB_T/boundaries"
nb=$(wc -l <"$LAB_T/boundaries")
LET_IN=$(grep -n "^action.done	1	done: resume the application's pool" "$LAB_T/boundaries" | cut -d: -f1)
ok -n "$LET_IN" "the boundary where the application is let in is #$LET_IN"
ok "$nb" -ge 20 "found $nb step boundaries from the fence to the end of the switch"
diag "boundaries: $(cut -f3 "$LAB_T/boundaries" | sort -u | tr '\n' ';')"
to_source "clean run"

# Kill at a boundary: the first line of that kind and message (each
# action of the cut happens once; a repeated one would be aimed at its
# first occurrence, and LANDED says whether that is where it landed).
kill_boundary() { # KIND MSG
	local re
	# shellcheck disable=SC2016 # a sed expression, not a shell one
	re="\"kind\":\"$1\",.*\"msg\":\"$(printf '%s' "$2" | sed 's/[][\.*^$()+?{}|/]/\\&/g')\""
	kill_at "$re" run --yes
}

mapfile -t BOUNDARIES <"$LAB_T/boundaries"
i=0
for b in "${BOUNDARIES[@]}"; do
	i=$((i + 1))
	kind=${b%%$'\t'*}
	msg=${b#*$'\t'*$'\t'}
	if [ -n "${GAUNTLET_ONLY:-}" ] && ! printf '%s %s' "$kind" "$msg" | grep -qE "$GAUNTLET_ONLY"; then
		continue
	fi
	for v in $VARIANTS; do
		name="#$i $v after $kind '$msg'"
		arm
		kill_boundary "$kind" "$msg"
		is "$KILLED$LANDED" 11 "$name: killed right after it"
		case $v in
		resume)
			run "$CUTOVER" "${C[@]}" run --yes
			rc_is 0 "$name: resume finishes the cut and the run (exit 0)"
			;;
		rollback)
			run "$CUTOVER" "${C[@]}" rollback --yes
			rc_is 5 "$name: the rollback goes back to the source (exit 5)"
			;;
		down)
			sleep_past_timeout
			run "$CUTOVER" "${C[@]}" run --yes
			# Once RESUME let the application in on the target, the
			# switch happened: it is finished, not undone.
			if [ "$i" -ge "$LET_IN" ]; then
				rc_is 0 "$name: started past the timeout, the switch done in the world is finished (exit 0)"
			else
				rc_is 5 "$name: started past the timeout, undone to the source (exit 5)"
			fi
			;;
		esac
		end_state "$name" app
		to_source "$name"
	done
	# The load's judgement every few boundaries, so a failure is found
	# near where it happened.
	[ $((i % 5)) = 0 ] && judge_batch "boundaries up to #$i"
done
judge_batch "all boundaries"
diag "kill matrix: $(($(date +%s) - T0)) s so far"

# ------------------------------------------------- rollback boundaries
# The same for the way back: every `action` and `action.done` of a
# rollback after the switch (the application on the target), learned from
# one clean rollback; kill -9 the rollback right after each, start it
# again: it completes (exit 5), the application runs on the source with
# every committed row, and no action of that rollback was taken twice
# (a resumed rollback must not PAUSE or fence again what it let in).
if [ "${GAUNTLET_ROLLBACK:-1}" = 1 ]; then
	arm
	run "$CUTOVER" "${C[@]}" run --yes --until switch
	rc_is 0 "rollback boundaries: run --until switch"
	n0=$(last_seq)
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "the clean rollback to learn its boundaries (exit 5)"
	end_state "clean rollback" app
	cat >"$LAB_T/rb-boundaries.py" <<'PY'
import json, sys
n0, seen = int(sys.argv[1]), set()
for line in sys.stdin:
    e = json.loads(line)
    if e["seq"] > n0 and e["kind"] in ("action", "action.done"):
        key = (e["kind"], e["msg"])
        if key not in seen:
            seen.add(key)
            print(e["kind"] + "\t" + e["msg"])
PY
	"$CUTOVER" "${C[@]}" log --json | python3 "$LAB_T/rb-boundaries.py" "$n0" >"$LAB_T/rb-boundaries"
	mapfile -t RB <"$LAB_T/rb-boundaries"
	ok "${#RB[@]}" -ge 10 "found ${#RB[@]} step boundaries in a rollback after the switch"
	j=0
	for b in "${RB[@]}"; do
		j=$((j + 1))
		kind=${b%%$'\t'*}
		msg=${b#*$'\t'}
		if [ -n "${GAUNTLET_ONLY:-}" ] && ! printf '%s %s' "$kind" "$msg" | grep -qE "$GAUNTLET_ONLY"; then
			continue
		fi
		name="rollback #$j killed after $kind '$msg'"
		twice_before=$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)
		arm
		run "$CUTOVER" "${C[@]}" run --yes --until switch
		rc_is 0 "$name: run --until switch"
		# shellcheck disable=SC2016 # a sed expression, not a shell one
		kill_at "\"kind\":\"$kind\",.*\"msg\":\"$(printf '%s' "$msg" | sed 's/[][\.*^$()+?{}|/]/\\&/g')\"" rollback --yes
		is "$KILLED$LANDED" 11 "$name: killed right after it"
		run "$CUTOVER" "${C[@]}" rollback --yes
		rc_is 5 "$name: the rollback started again completes (exit 5)"
		end_state "$name" app
		is "$END_SIDE" source "$name: the application is on the source"
		# Only this case's: one found earlier is reported there.
		is "$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)" \
			"$twice_before" "$name: no action was taken twice"
		[ $((j % 5)) = 0 ] && judge_batch "rollback boundaries up to #$j"
	done
	judge_batch "all rollback boundaries"
	diag "kill matrix with the rollback's: $(($(date +%s) - T0)) s so far"
fi

# --------------------------------------------------------- named faults
conf_set switch timeout_seconds 60
if [ "${GAUNTLET_NAMED:-1}" = 1 ]; then

# post_validation failing after the switch: an alarm, no undo.
arm
run "$CUTOVER" "${C[@]}" run --yes --until switch
rc_is 0 "post_validation fault: run --until switch"
psql_on source -c "insert into accounts (id, customer_name, iban, currency) values (99000002, 'x', 'x', 'EUR')"
n=$(last_seq)
run "$CUTOVER" "${C[@]}" run --yes
rc_is 1 "post_validation fails after the switch: exit 1, an alarm"
is "$(event_after "$n" rollback.started)" "" "post_validation fault: nothing undoes itself"
end_state "post_validation fault" app
is "$END_SIDE" target "post_validation fault: the application stays on the target"
psql_on source -c 'delete from accounts where id = 99000002'
to_source "post_validation fault"

# The target stopped during final_sync, then at the start of switch.
target_stop() {
	runuser -u "$(stat -c %U "$LAB/target/data")" -- "$PG_BINDIR/pg_ctl" \
		-D "$LAB/target/data" -m fast -w stop >/dev/null 2>&1
}
for at in final_sync switch; do
	arm
	if [ "$at" = final_sync ]; then
		run "$CUTOVER" "${C[@]}" run --yes --until drain
	else
		run "$CUTOVER" "${C[@]}" run --yes --until sequence_sync
	fi
	target_stop
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 3 "target down at $at: back on the source, the target's part not done (exit 3)"
	end_state "target down at $at" app
	is "$END_SIDE" source "target down at $at: the application is on the source"
	"$CUTOVER" lab up --dir "$LAB" >/dev/null 2>&1
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "target down at $at: back up, the rollback completes (exit 5)"
	is "$(replication_runs)" running "target down at $at: forward replication runs"
	end_state "target down at $at, after" app
done
judge_batch "post_validation, target down"

# pgbouncer frozen 20 s at PAUSE, then during the switch (at RELOAD).
frozen() { # NAME REGEX
	local dpid off
	arm
	"$CUTOVER" "${C[@]}" run --yes >"$LAB_T/frozen.log" 2>&1 &
	dpid=$!
	off=$(stat -c %s "$EVENTS")
	for _ in $(seq 1 6000); do
		tail -c +$((off + 1)) "$EVENTS" | grep -qE "$2" && break
		sleep 0.002
	done
	BOUNCER_STOPPED=$(bouncer_pid)
	kill -STOP "$BOUNCER_STOPPED"
	sleep 20
	kill -CONT "$BOUNCER_STOPPED"
	BOUNCER_STOPPED=
	wait "$dpid"
	RC=$?
	OUT=$(cat "$LAB_T/frozen.log")
	rc_is 0 "$1: the run completes (exit 0)"
	end_state "$1" app
	to_source "$1"
}
frozen "pgbouncer frozen at PAUSE" '"kind":"action",.*pause the application'
frozen "pgbouncer frozen during the switch" '"kind":"action",.*reload pgbouncer'
judge_batch "pgbouncer frozen"

# The forward subscription disabled during sync_wait, then during
# final_sync.
run "$CUTOVER" "${C[@]}" run --yes --until pre_validation
psql_on target -c 'alter subscription cutover_sub disable'
run "$CUTOVER" "${C[@]}" run --yes --until sync_wait
rc_is 1 "subscription disabled during sync_wait: the gate fails at once (exit 1)"
like "$OUT" 'not running' "... saying replication is not running"
psql_on target -c 'alter subscription cutover_sub enable'
end_state "subscription disabled during sync_wait" app
arm
run "$CUTOVER" "${C[@]}" run --yes --until drain
psql_on target -c 'alter subscription cutover_sub disable'
run "$CUTOVER" "${C[@]}" run --yes
rc_is 5 "subscription disabled during final_sync: undone at once (exit 5)"
is "$(replication_runs)" running "subscription disabled during final_sync: forward replication runs again"
end_state "subscription disabled during final_sync" app

# Two drivers started at once: one runs, the other exits 4.
arm
"$CUTOVER" "${C[@]}" run --yes >"$LAB_T/d1.log" 2>&1 &
d1=$!
"$CUTOVER" "${C[@]}" run --yes >"$LAB_T/d2.log" 2>&1 &
d2=$!
wait "$d1"
r1=$?
wait "$d2"
r2=$?
is "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "0 4 " "two drivers at once: one completes (0), the other exits 4"
end_state "two drivers" app
to_source "two drivers"
judge_batch "subscription disabled, two drivers"

# The state directory filled up right after PAUSE.
conf_set switch timeout_seconds "$KILL_TIMEOUT"
state=$LAB/state
mkdir -p "$LAB_T/state.keep" && cp -a "$state/." "$LAB_T/state.keep/"
if ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$state" ||
	! cp -a "$LAB_T/state.keep/." "$state/"; then
	bail_out "cannot mount a small file system on the state directory"
fi
arm
(ASAN_OPTIONS=detect_leaks=0 strace -f -qq --seccomp-bpf -e trace=fsync -P "$EVENTS" -e inject=fsync:delay_exit=300000 \
	-o /dev/null "$CUTOVER" "${C[@]}" run --yes >"$LAB_T/full.log" 2>&1; exit $?) &
spid=$!
off=$(stat -c %s "$EVENTS")
for _ in $(seq 1 3000); do
	tail -c +$((off + 1)) "$EVENTS" | grep -q '"kind":"action.done".*pause the application' && break
	sleep 0.005
done
dd if=/dev/zero of="$state/fill" bs=64k 2>/dev/null
wait "$spid"
RC=$?
OUT=$(cat "$LAB_T/full.log")
rc_is 5 "state directory full right after PAUSE: undone (exit 5)"
rm -f "$state/fill"
end_state "state directory full" app
cp -a "$state/." "$LAB_T/state.keep/" && umount "$state" && cp -a "$LAB_T/state.keep/." "$state/"
chmod 700 "$state"
fi	# GAUNTLET_NAMED

writer_stop app
load_judged "the last batch"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "source and target match at the end"
is "$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)" none "no action was taken twice"
diag "the gauntlet took $(($(date +%s) - T0)) s"

done_testing
