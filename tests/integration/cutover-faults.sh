#!/usr/bin/env bash
# What goes wrong between the fence and the switch undoes itself: a switch
# command that fails, one that hangs past the timeout, a target that goes
# down during the final sync, a sentinel that never arrives. Each ends with
# the source writable, forward replication running, 0 lost transactions,
# exit 5 and the reason in the log.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"

lab_up 20000 || bail_out "the lab did not come up"
C=(-c "$CONF")
LAB_USER=$(stat -c %U "$LAB/source/data")

# The outcome every scenario must end with.
consistent() { # NAME
	is "$(app_points_at)" source "$1: the application goes to the source"
	is "$(psql "$(sed -n 's/^pgbouncer_admin = //p' "$CONF")" -X -A -t -c 'show databases' |
		awk -F'|' '$1 == "app" {print $12}')" 0 "$1: pgbouncer is not paused"
	run "$CUTOVER" "${C[@]}" status --json
	like "$OUT" '"status":[[:space:]]+"running"' "$1: forward replication runs"
	like "$("$CUTOVER" "${C[@]}" log | tail -3)" 'rollback.done' "$1: the log ends with the rollback"
}

cat >"$LAB_T/switch.sh" <<'SH'
#!/bin/sh
# Forward fails; back (a rollback) has nothing to undo.
echo "switching $CUTOVER_SWITCH_DIRECTION for $CUTOVER_ENVIRONMENT"
[ "$CUTOVER_SWITCH_DIRECTION" = back ] && exit 0
exit 3
SH
cat >"$LAB_T/hang.sh" <<'SH'
#!/bin/sh
[ "$CUTOVER_SWITCH_DIRECTION" = back ] && exit 0
exec sleep 600
SH
chmod +x "$LAB_T/switch.sh" "$LAB_T/hang.sh"
conf_set switch timeout_seconds 8

lab_load 100 120 || bail_out "no load"
sleep 1

# 1. A switch command that fails.
conf_set switch method command
conf_set switch command "$LAB_T/switch.sh"
run "$CUTOVER" "${C[@]}" run --yes
rc_is 5 "a failing switch command: exit 5"
like "$("$CUTOVER" "${C[@]}" log)" 'switch.command: the switch command exited with status 3' \
	"the reason is in the log"
like "$("$CUTOVER" "${C[@]}" log --json | grep '"action.output"')" 'switching forward for lab' \
	"the command's output is in the log"
consistent "failing command"

# 2. A switch command that hangs past the timeout.
conf_set switch command "$LAB_T/hang.sh"
run "$CUTOVER" "${C[@]}" run --yes
rc_is 5 "a hanging switch command: exit 5"
like "$("$CUTOVER" "${C[@]}" log)" 'switch.timeout .*switch timeout: 8 s passed' "the timeout is in the log"
ok -z "$(pgrep -f 'sleep 600')" "the hanging command was killed"
consistent "hanging command"
conf_set switch method pgbouncer

# 3. The target goes down during the final sync.
run "$CUTOVER" "${C[@]}" run --yes --until drain
rc_is 0 "run --until drain stops with the fence taken"
runuser -u "$LAB_USER" -- "$PG_BINDIR/pg_ctl" -D "$LAB/target/data" -m fast -w stop >/dev/null 2>&1 ||
	"$PG_BINDIR/pg_ctl" -D "$LAB/target/data" -m fast -w stop >/dev/null 2>&1
run "$CUTOVER" "${C[@]}" run --yes
rc_is 3 "the target down during the final sync: back on the source, exit 3 (forward replication cannot run)"
like "$OUT" 'runs on the source again' "it says the application runs on the source"
like "$("$CUTOVER" "${C[@]}" log)" 'final_sync failed: sentinel.sync: target' "the reason names the target"
is "$(app_points_at)" source "target down: the application went to the source at once"
"$CUTOVER" lab up --dir "$LAB" >/dev/null 2>&1
run "$CUTOVER" "${C[@]}" rollback --yes
rc_is 5 "with the target back, the rollback completes: exit 5"
consistent "target down"

# 4. A sentinel that never arrives: the target's apply is stuck behind a
# lock on the sentinel table.
run "$CUTOVER" "${C[@]}" run --yes --until drain
rc_is 0 "run --until drain again"
psql "$(sed -n '/^\[target\]/,/^\[/s/^conninfo = //p' "$CONF")" -X -q \
	-c 'begin; lock table cutover.sentinel in access exclusive mode; select pg_sleep(30)' >/dev/null 2>&1 &
locker=$!
sleep 0.5
run "$CUTOVER" "${C[@]}" run --yes
rc_is 5 "a sentinel that never arrives: exit 5 at the timeout"
like "$("$CUTOVER" "${C[@]}" log)" 'switch timeout' "the timeout is in the log"
kill "$locker" 2>/dev/null
psql "$(sed -n '/^\[target\]/,/^\[/s/^conninfo = //p' "$CONF")" -X -q -A -t \
	-c "select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()" >/dev/null
consistent "sentinel never arrives"

"$CUTOVER" lab load --dir "$LAB" --stop >/dev/null 2>&1
lab_wait_load
is "$(load_field failed)" 0 "0 failed transactions through all four"
is "$(load_field lost)" 0 "0 lost transactions through all four"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "source and target match afterwards"
run "$CUTOVER" "${C[@]}" log --verify
rc_is 0 "the event log verifies"

done_testing
