#!/usr/bin/env bash
# The console end to end, in tmux, on two real replicated clusters: the
# panes and their figures, a phase through Enter and the confirmation, the
# cut approved phase by phase before the fence, a
# cancelled dialog that changes nothing, prod refusing a wrong name, R
# rolling back, the driver lock, resizing down to "too small" and back,
# and the terminal given back by q, SIGTERM and a crash.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/replica.sh"
. "$TOP_SRCDIR/tests/ui/lib.sh"

replica_up "$TOP_SRCDIR/tests/data/validate-schema.sql" \
	"$TOP_SRCDIR/tests/data/validate-data.sql" || bail_out "cannot set up replication"
psql_app src -c 'alter table audit_log replica identity full' >/dev/null
printf '[drain]\nroles = app_rw\n[switch]\nmethod = command\ncommand = true\n' >>"$CONF"
sed -i 's/^jobs = 2$/jobs = 2\nlag_hold_seconds = 1/' "$CONF"
# The application role exists on both sides (the schema check fails a
# [drain] role missing on the target: the application could not log in
# there after the switch).
psql_app src -c 'create role app_rw login' >/dev/null
psql_app dst -c 'create role app_rw login' >/dev/null
"$CUTOVER" -c "$CONF" setup >/dev/null 2>&1 || bail_out "cutover setup failed"
wait_replicated
C="$CUTOVER -c $CONF"

term_start drv 120 40 || bail_out "tmux did not start"
term_run drv "$C console"
wait_screen drv 'public\.accounts' 20
ok $? = 0 "the console shows the tables pane with public.accounts"
wait_screen drv 'public\.accounts +replicating +20,000 +20,000 +0 ' 10
ok $? = 0 "public.accounts: 20,000 rows on both sides, difference 0"
wait_screen drv 'e2e [0-9.]+s' 15
ok $? = 0 "the lag pane shows the end-to-end lag from the heartbeat"
S=$(screen drv)
for pane in 'Replication' 'Lag' 'Phases' 'Tables' 'Events' 'Metrics'; do
	like "$S" "─ $pane |  $pane " "the $pane pane is drawn"
done
like "$S" '^ TEST  ' "the header shows the environment badge"
like "$S" 'phase 1/8 pre_validation: pending' "the header shows the phase and its state"
like "$S" '[0-9]{2}:[0-9]{2}:[0-9]{2} UTC' "the header shows the UTC clock"
like "$S" "driver $(id -un)@" "the header names the driver"
like "$S" 'status +running' "the replication pane shows the provider's status"
like "$S" 'load +█+ 100%' "full load at 100% with a bar"
like "$S" 'limit 2.0s' "the lag chart draws the max_lag_seconds threshold"
like "$S" '1 pre_validation' "the phases pane lists the phases"
like "$S" 'next: Enter runs 1/8 pre_validation' "the next action names its key"
like "$S" 'console.opened' "the event log pane shows the console opening"
like "$S" 'source xact/s' "the metrics pane shows the source's transactions/s"
like "$(last_line drv)" 'Help.*Run pre_validation.*Validate.*Quit' "the function bar shows the keys that act now"
unlike "$(last_line drv)" 'Disarm|Rollback' "keys that do nothing now are not in the function bar"

# The driver lock: a second console is refused, naming the holder.
run $C console </dev/null
rc_is 4 "a second console exits 4 while the first holds the lock"
like "$OUT" "pid [0-9]+.*$(id -un)" "the refusal names the holder's pid and user"

# A cancelled dialog changes nothing but the record of the key and answer.
ST=$(dirname "$CONF")/state
nlines=$(wc -l <"$ST/events.jsonl")
state_before=$(cat "$ST/state.json")
keys drv Enter
wait_screen drv 'Run phase 1/8: pre_validation' 10
ok $? = 0 "Enter opens the confirmation for phase 1/8 pre_validation"
S=$(screen drv)
like "$S" '\[ Cancel \]' "the dialog offers Cancel"
like "$S" 'This will:' "the dialog says what will happen"
keys drv Escape
wait_screen_gone drv '[│|] This will:' 5
ok $? = 0 "Esc closes the dialog"
sleep 0.5
is "$(cat "$ST/state.json")" "$state_before" "a cancelled dialog leaves state.json as it was"
like "$(kinds_after "$ST" "$nlines")" '^(operator\.[a-z]+ ?)+$' "a cancelled dialog logs only the operator's key and answer"
like "$(tail -n +"$((nlines + 1))" "$ST/events.jsonl")" '"actor":"[^"]+@[^"]+"' "the key press is logged with its actor"

# Enter, confirm: pre_validation runs (its warnings asked about too).
keys drv Enter
wait_screen drv 'Run phase 1/8: pre_validation' 10
keys drv Tab
sleep 0.2
keys drv Enter
for i in $(seq 1 600); do
	[ "$(state_field "$ST" 'd["phases"][0]["status"]')" = "done" ] && break
	if screen drv | grep -q 'warnings: go on'; then
		keys drv Tab
		sleep 0.2
		keys drv Enter
		warned=1
	fi
	sleep 0.1
done
ok "${warned:-0}" = 1 "the quick validation's warning is put to the operator in a dialog"
is "$(state_field "$ST" 'd["phases"][0]["status"]')" "done" "Enter + confirm runs pre_validation to done"
wait_screen drv '✔ 1 pre_validation +done' 5
ok $? = 0 "the phases pane shows pre_validation done"
wait_screen drv 'phase 2/8 sync_wait' 5
ok $? = 0 "the header moves to phase 2/8 sync_wait"

# v: a quick validation from the console, its checks in the phases pane.
keys drv v
wait_screen drv 'validation (passed|FAILED)' 60
ok $? = 0 "v runs a quick validation and says how it ended"
like "$(tail -5 "$ST/events.jsonl")" '"kind":"check".*validation quick' "the validation is logged"

# sync_wait (the lag gate), then drain: armed, then fenced.
run_phase() { # INDEX NAME
	keys drv Enter
	wait_screen drv "Run phase $(($1 + 1))/8: $2" 10 || return 1
	keys drv Tab
	sleep 0.2
	keys drv Enter
	for _ in $(seq 1 600); do
		[ "$(state_field "$ST" "d['phases'][$1]['status']")" = "done" ] && return 0
		sleep 0.1
	done
	return 1
}
run_phase 1 sync_wait
ok $? = 0 "Enter + confirm runs sync_wait through the lag gate"
wait_screen drv 'ARMED' 5
ok $? = 0 "after sync_wait the run is shown ARMED"
like "$(last_line drv)" 'Disarm' "the function bar offers a to disarm"
like "$(screen drv)" 'ARMED: Enter opens the cut' "armed, the next action is the cut"

# The cut: Enter opens it; y approves each of its five phases, then the
# fence is confirmed like any dialog; the phases run back to back.
keys drv Enter
for p in 3:drain 4:final_sync 5:stop_replication 6:sequence_sync 7:switch; do
	wait_screen drv "┌─ The cut: approve ${p%%:*}/8 ${p#*:}" 10 || break
	keys drv y
done
wait_screen drv '┌─ Take the fence: run the cut' 10
ok $? = 0 "after y to each of the cut's five phases the fence is asked for"
like "$(screen drv)" '\[ Cancel \]' "the fence's confirmation starts like every dialog"
keys drv Tab
sleep 0.2
keys drv Enter
for _ in $(seq 1 600); do
	[ "$(state_field "$ST" "d['phases'][6]['status']")" = "done" ] && break
	sleep 0.1
done
is "$(state_field "$ST" "d['phases'][6]['status']")" "done" "the cut runs to the switch without another question"
wait_screen drv 'write pause was [0-9.]+ s' 5
ok $? = 0 "the phases pane shows the write pause"

# R rolls back (after the switch: through reverse replication).
nlines=$(wc -l <"$ST/events.jsonl")
keys drv R
wait_screen drv 'Roll back to the source' 10
ok $? = 0 "R opens the rollback confirmation"
like "$(screen drv)" 'danger: HIGH' "the rollback dialog is marked high danger"
keys drv Tab
sleep 0.2
keys drv Enter
for i in $(seq 1 300); do
	grep -q '"kind":"rollback.done"' "$ST/events.jsonl" && break
	sleep 0.1
done
like "$(kinds_after "$ST" "$nlines")" '^operator\.key .*operator\.confirm .*rollback\.started.*rollback\.done' \
	"R is logged, confirmed, and the rollback runs to done"
is "$(psql_app src -c "select rolcanlogin from pg_roles where rolname = 'app_rw'")" t \
	"after the rollback the application role can log in again"
tail -n +"$((nlines + 1))" "$ST/events.jsonl" | python3 -c 'import json,sys
for l in sys.stdin: d=json.loads(l); print("#", d["kind"], d["msg"][:110])'
wait_screen drv 'rolled_back' 5
ok $? = 0 "the phases pane shows the phases rolled back"

# Resizing: 80x24 works, 60x15 says so, and back.
tm resize-window -t drv -x 80 -y 24
wait_screen drv 'Tables' 5
ok $? = 0 "at 80x24 the panes are drawn"
S=$(screen drv)
like "$S" 'Phases' "at 80x24 the phases pane is there"
like "$S" 'public\.' "at 80x24 the tables are there"
tm resize-window -t drv -x 60 -y 15
wait_screen drv 'needs at least 80x24' 5
ok $? = 0 "at 60x15 a clear message asks for a larger terminal"
tm resize-window -t drv -x 120 -y 40
wait_screen drv 'public\.accounts' 5
ok $? = 0 "back at 120x40 the panes return"

# q gives the terminal back.
ok "$(alternate_on drv)" = 1 "the console runs on the alternate screen"
keys drv q
wait_screen drv 'PROMPT\$ *$' 5
ok "$(alternate_on drv)" = 0 "after q the alternate screen is off"
like "$(last_line drv)" '^PROMPT\$ *$' "after q the shell prompt is back"
like "$(tail -1 "$ST/events.jsonl")" '"kind":"console.closed"' "quitting is logged"

# prod: the confirmation is typing the name; a wrong name is refused.
tm resize-window -t drv -x 120 -y 40
PST=$PG_TMP/prod-state
term_run drv "$C -e prod -s $PST console"
wait_screen drv 'PROD' 20
ok $? = 0 "with -e prod the header shows the PROD badge"
S=$(screen_color drv)
like "$S" $'\e\\[[0-9;]*41m PROD |\e\\[[0-9;]*41;[0-9;]*m PROD ' "the PROD badge is red"
state_before=$(cat "$PST/state.json")
keys drv Enter
wait_screen drv 'Type prod to confirm' 10
ok $? = 0 "in prod the dialog asks for the environment's name"
typed drv prd
keys drv Enter
wait_screen drv "'prd' is not 'prod'" 5
ok $? = 0 "a wrong name is refused in the dialog"
keys drv Escape
wait_screen_gone drv 'Type prod' 5
sleep 0.5
is "$(cat "$PST/state.json")" "$state_before" "a wrong name changes nothing"
like "$(grep -c 'does not match, not confirmed' "$PST/events.jsonl")" '^[1-9]' "the mistyped name is logged"

# SIGTERM: terminal restored.
kill -TERM "$(pane_child drv)"
wait_screen drv 'PROMPT\$ *$' 5
ok "$(alternate_on drv)" = 0 "after SIGTERM the alternate screen is off"
like "$(last_line drv)" '^PROMPT\$ *$' "after SIGTERM the prompt is back"

# A crash (SIGSEGV): terminal restored, and the process still dies of it.
term_run drv "$C console"
wait_screen drv 'public\.accounts' 20
kill -SEGV "$(pane_child drv)"
wait_screen drv 'PROMPT\$ *$' 5
ok "$(alternate_on drv)" = 0 "after a crash the alternate screen is off"
term_run drv 'echo "status=$?"'
wait_screen drv 'status=139' 5
ok $? = 0 "the crash still ends the process by SIGSEGV (status 139)"

# NO_COLOR: no colours at all, the monochrome theme.
term_run drv "NO_COLOR=1 $C console"
wait_screen drv 'public\.accounts' 20
unlike "$(screen_color drv)" $'\e\\[[0-9;]*(3[0-7]|4[0-7]|38;|48;)' "with NO_COLOR no colour is drawn"
keys drv q
wait_screen drv 'PROMPT\$ *$' 5

done_testing
