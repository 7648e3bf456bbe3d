#!/usr/bin/env bash
# The promise under fire (issue 10): each numbered reproduction of the
# review that broke it, as a case that failed with the cutover it was
# found in and must pass now. One lab, under a pgbench load through
# pgbouncer and a writer connected straight to the source; each case ends
# with the application on exactly one side and running, every committed
# row there, and the log verifying.
#
#   1  a failed post-validation does not undo the switch
#   2  a pgbouncer switch killed after RELOAD is rolled back for real
#   3  the fence stops writers that bypass pgbouncer, and proves it held
#   4  files are written safely as root
#   5  a fence taken but not yet recorded is undone (rollback, timeout,
#      a full state directory)
#   6  a crash between RESUME and switch.done, or between the entry
#      rewrite and RELOAD, then rollback
#   7  pgbouncer frozen at PAUSE: clients wait, none fails
#   8  a dead target at the switch: undone to the source
#   9  claims checked: final_sync fails fast on stopped replication, the
#      lag gate never passes on a stale heartbeat, rollback.done looks
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"
. "$TOP_SRCDIR/tests/lib/faults.sh"

command -v strace >/dev/null || bail_out "strace is needed to aim the kills"
lab_up 5000 || bail_out "the lab did not come up"
C=(-c "$CONF")
probe_setup || bail_out "the probe table did not replicate"
conf_set switch timeout_seconds 40
# A role that cannot log in before the run: the fences must leave it so.
for side in source target; do
	psql_on "$side" -c 'create role dormant_rw nologin' || bail_out "create role"
done
conf_set drain roles "app_rw, dormant_rw"

writer_start app app_rw
sleep 1

# Each case starts on a clean source with a load of its own, judged at
# its end. PROMISE_CASES="case_2 case_6a" runs only those (in a fresh lab:
# how each was checked against the cutover the review broke).
case_begin() {
	lab_load 50 3600 || bail_out "no load"
	sleep 0.5
}


# 5: kill -9 right after PAUSE, before the fence is complete; rollback.
case_5a() {
	case_begin
	kill_at '"kind":"action.done".*pause the application' run --yes
	is "$KILLED$LANDED" 11 "5: the driver was killed right after PAUSE"
	is "$(paused)" 1 "5: pgbouncer was left paused"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "5: rollback after a kill right after PAUSE rolls back (exit 5)"
	end_state "5 (rollback)" app
	load_judged "5 (rollback)"
}

# 5: the same, then the driver stays down past the switch timeout.
case_5b() {
	case_begin
	kill_at '"kind":"action.done".*pause the application' run --yes
	is "$KILLED$LANDED" 11 "5: killed right after PAUSE again"
	sleep_past_timeout
	run "$CUTOVER" "${C[@]}" run --yes --until sync_wait
	rc_is 5 "5: a driver started past the switch timeout undoes the fence (exit 5)"
	like "$("$CUTOVER" "${C[@]}" log | tail -30)" 'switch.timeout .*while no driver ran' \
		"5: the timeout is in the log"
	end_state "5 (down past the timeout)" app
	load_judged "5 (down past the timeout)"
}

# 5: the same, and the state directory's file system fills up right
# after PAUSE.
case_5c() {
	local state=$LAB/state spid off
	case_begin
	mkdir -p "$LAB_T/state.keep" && cp -a "$state/." "$LAB_T/state.keep/"
	if ! mount -t tmpfs -o size=6m,mode=0700 tmpfs "$state" ||
		! cp -a "$LAB_T/state.keep/." "$state/"; then
		bail_out "cannot mount a small file system on the state directory"
	fi
	"$CUTOVER" "${C[@]}" run --yes --until sync_wait >>"$LAB_T/driver.log" 2>&1
	(ASAN_OPTIONS=detect_leaks=0 strace -f -qq --seccomp-bpf -e trace=fsync -P "$EVENTS" \
		-e inject=fsync:delay_exit=300000 -o /dev/null \
		"$CUTOVER" "${C[@]}" run --yes >"$LAB_T/full.log" 2>&1; exit $?) &
	spid=$!
	off=$(stat -c %s "$EVENTS")
	for _ in $(seq 1 3000); do
		tail -c +$((off + 1)) "$EVENTS" |
			grep -q '"kind":"action.done".*pause the application' && break
		sleep 0.005
	done
	dd if=/dev/zero of="$state/fill" bs=64k 2>/dev/null
	wait "$spid"
	RC=$?
	OUT=$(cat "$LAB_T/full.log")
	rc_is 5 "5: the state directory full right after PAUSE: the run undoes itself (exit 5)"
	like "$("$CUTOVER" "${C[@]}" log | tail -40)" 'is full: its 1 MiB reserve was released' \
		"5: the full disk and the released reserve are in the log"
	rm -f "$state/fill"
	end_state "5 (state directory full)" app
	cp -a "$state/." "$LAB_T/state.keep/" && umount "$state" &&
		cp -a "$LAB_T/state.keep/." "$state/"
	chmod 700 "$state"
	load_judged "5 (state directory full)"
}

# 2: kill -9 right after RELOAD (pgbouncer routes app to the target, still
# paused), then rollback.
case_2() {
	case_begin
	kill_at '"kind":"action.done".*reload pgbouncer' run --yes
	is "$KILLED$LANDED" 11 "2: the driver was killed right after RELOAD"
	is "$(side_of_port "$(live_port)")" target "2: pgbouncer routes app to the target"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "2: rollback after a kill right after RELOAD (exit 5)"
	end_state "2" app
	is "$END_SIDE" source "2: the application is back on the source"
	is "$(replication_runs)" running "2: forward replication runs (looked at)"
	load_judged "2"
}

# 6: kill -9 between RESUME and switch.done: the application writes on
# the target; the rollback must fence it and carry its writes back.
case_6a() {
	case_begin
	kill_at '"kind":"action.done".*resume the application' run --yes
	is "$KILLED$LANDED" 11 "6: the driver was killed right after RESUME"
	sleep 2 # the application writes on the target meanwhile
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "6: rollback after a kill right after RESUME (exit 5)"
	like "$("$CUTOVER" "${C[@]}" log | tail -40)" 'sentinel is on the source' \
		"6: the target's writes were carried back before the source was let in"
	end_state "6 (after RESUME)" app
	is "$END_SIDE" source "6: the application is back on the source"
	is "$(replication_runs)" running "6: forward replication runs"
	load_judged "6 (after RESUME)"
}

# 6: kill -9 between the entry file's rewrite and RELOAD.
case_6b() {
	case_begin
	kill_at '"kind":"action.done".*entry at the target' run --yes
	is "$KILLED$LANDED" 11 "6: the driver was killed between the rewrite and RELOAD"
	is "$(side_of_port "$(file_port)")" target "6: the file points at the target, live does not"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "6: rollback after a kill between the rewrite and RELOAD (exit 5)"
	end_state "6 (rewrite, no RELOAD)" app
	is "$END_SIDE" source "6: the file and pgbouncer point at the source"
	load_judged "6 (rewrite, no RELOAD)"
}

# 3 and 4: the run to the end with the writer straight to the source: it
# is refused from the fence on, and nothing it committed is lost. A link
# planted at the old fixed temporary name of the entry file changes
# nothing as root.
case_3() {
	case_begin
	mkdir -m 700 "$LAB_T/rootonly"
	ln -sf "$LAB_T/rootonly/pwned" "$LAB/pgbouncer/databases.ini.cutover-tmp"
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 0 "3: run --yes to the end with a direct writer (exit 0)"
	end_state "3" app
	is "$END_SIDE" target "3: the application is on the target"
	like "$(grep -c '^refused' "$LAB_T/writer-app.out")" '^[1-9]' \
		"3: the direct writer was refused after the fence (NOLOGIN, whatever the method)"
	ok ! -e "$LAB_T/rootonly/pwned" "4: root followed no link planted in pgbouncer's directory"
	ok -f "$LAB/pgbouncer/databases.ini" -a ! -L "$LAB/pgbouncer/databases.ini" \
		"4: databases.ini is still a regular file"
	is "$(stat -c %U:%a "$LAB/pgbouncer/databases.ini")" "$(stat -c %U "$LAB/pgbouncer"):644" \
		"4: databases.ini keeps its owner and mode"
	rm -f "$LAB/pgbouncer/databases.ini.cutover-tmp"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "3: back to the source (exit 5)"
	end_state "3 (back)" app
	load_judged "3"
}

# 6c: a rollback killed right after it let the application in on the
# source (its RESUME): started again, it goes on from there; it does not
# PAUSE or fence again what it let in.
case_6c() {
	local n again
	case_begin
	run "$CUTOVER" "${C[@]}" run --yes --until switch
	rc_is 0 "6c: run --until switch"
	sleep 1 # the application writes on the target
	kill_at '"kind":"action.done".*resume the application' rollback --yes
	is "$KILLED$LANDED" 11 "6c: the rollback was killed right after its RESUME"
	n=$(last_seq)
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "6c: the rollback started again completes (exit 5)"
	again=$("$CUTOVER" "${C[@]}" log --json | python3 -c "
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    d = e.get('data') or {}
    if e['seq'] > $n and e['kind'] == 'action' and (d.get('step', '').startswith('target.') or 'pause' in e['msg']):
        print(d.get('step'), e['msg'][:60])")
	is "$again" "" "6c: nothing before the source's unfence was done again"
	end_state "6c (rollback resumed)" app
	is "$END_SIDE" source "6c: the application is on the source"
	load_judged "6c"
}

# 1: post_validation fails after the switch: nothing undoes itself. (The
# target's fence of the rollback before gives back only what it took.)
case_1() {
	local n
	case_begin
	run "$CUTOVER" "${C[@]}" run --yes --until switch
	rc_is 0 "1: run --until switch"
	is "$(psql_on target -c "select rolcanlogin from pg_roles where rolname = 'dormant_rw'")" f \
		"the target's unfence gave back only what a fence took (dormant_rw stays NOLOGIN)"
	is "$(psql_on target -c "select rolcanlogin from pg_roles where rolname = 'app_rw'")" t \
		"... and app_rw can log in on the target"
	psql_on source -c "insert into accounts (id, customer_name, iban, currency) values (99000001, 'x', 'x', 'EUR')"
	n=$(last_seq)
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 1 "1: a failed post_validation exits 1"
	like "$OUT" "To go back: cutover -c $CONF rollback" "1: it says the exact command to roll back"
	is "$(event_after "$n" rollback.started)" "" "1: nothing rolled back by itself"
	like "$(event_after "$n" alarm)" 'validation failed' "1: an alarm is logged"
	end_state "1 (after the alarm)" app
	is "$END_SIDE" target "1: the application stays on the target"
	psql_on source -c 'delete from accounts where id = 99000001'
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "1: the operator rolls back (exit 5)"
	end_state "1 (rolled back)" app
	load_judged "1"
}

# 3: a writer of a role [drain] roles does not name: the proof catches
# it, nothing is switched, the run rolls back with nothing lost.
case_3proof() {
	local n leak
	case_begin
	psql_on source -c 'create role batch_rw login' -c 'grant select, insert on probe to batch_rw'
	writer_start batch batch_rw
	sleep 1
	n=$(last_seq)
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 5 "3: a writer past the fence: no switch, rolled back (exit 5)"
	leak=$(event_after "$n" fence.leak)
	like "$leak" 'batch_rw' "3: the leak names the role"
	like "$leak" "directwriter-batch" "3: ... the application_name"
	like "$leak" '127\.0\.0\.1:[0-9]+' "3: ... the client address"
	like "$leak" 'public\.probe' "3: ... and the table"
	end_state "3 (proof)" app batch
	is "$END_SIDE" source "3: the application is on the source"
	writer_stop batch
	psql_on source -c "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'batch_rw'" >/dev/null
	psql_on source -c 'revoke all on probe from batch_rw' -c 'drop role batch_rw'
	load_judged "3 (proof)"
}

# 4: sessions of roles not in [drain] roles holding writes at the fence
# are waited for and the drain stops (other_writers = wait), or
# terminated (terminate); a prepared transaction stops the fence.
case_others() {
	local hold
	case_begin
	psql_on source -c 'create role batch_rw login' -c 'grant select, insert on probe to batch_rw'
	conf_set drain wait_seconds 2
	hold_write() {
		psql "host=127.0.0.1 port=$(lab_port source) dbname=app user=batch_rw application_name=batchjob" \
			-X -q -c "begin; insert into probe (id) values ('hold-$1'); select pg_sleep(60)" >/dev/null 2>&1 &
		hold=$!
		sleep 0.5
	}
	hold_write 1
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 5 "4: a session of another role holding writes at the fence: the drain stops, undone (exit 5)"
	like "$OUT" 'still hold writes.*role batch_rw, application_name .batchjob.' "4: ... naming the role and application"
	end_state "other writer (wait)" app
	conf_set drain other_writers terminate
	run "$CUTOVER" "${C[@]}" run --yes --until drain
	rc_is 0 "4: other_writers = terminate: the fence is taken"
	like "$("$CUTOVER" "${C[@]}" log | tail -20)" 'terminate the sessions of other roles' \
		"4: ... after terminating the session holding writes"
	wait "$hold"
	is "$(psql_on source -c "select count(*) from probe where id = 'hold-1'")" 0 \
		"4: its transaction was rolled back, not committed behind the fence"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "4: rolled back (exit 5)"
	conf_set drain other_writers wait
	conf_set drain wait_seconds 10
	psql_on source -c 'revoke all on probe from batch_rw' -c 'drop role batch_rw'
	end_state "other writer (terminate)" app
	load_judged "other writers"
}

# 4: a prepared transaction stops the fence (it could commit after it).
case_prepared() {
	# The lab's servers allow none: a restart first, before the load.
	psql_on source -c 'alter system set max_prepared_transactions = 5'
	runuser -u "$(stat -c %U "$LAB/source/data")" -- "$PG_BINDIR/pg_ctl" \
		-D "$LAB/source/data" -m fast -w restart >/dev/null 2>&1 ||
		bail_out "the source did not restart"
	sleep 2
	case_begin
	psql_on source -c "begin; insert into probe (id) values ('prepared-1'); prepare transaction 'cutover_test_gid'"
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 5 "4: a prepared transaction stops the fence (exit 5)"
	like "$OUT" "prepared transactions hold writes on the source: 'cutover_test_gid'" \
		"4: ... naming it"
	psql_on source -c "rollback prepared 'cutover_test_gid'"
	end_state "prepared transaction" app
	load_judged "prepared transaction"
}

# 3 (target side): after the switch, a writer on the target that the
# target's fence does not stop: the rollback does not go back, it gives
# the application back to the target; once the writer stops, it does.
case_target_leak() {
	case_begin
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 0 "target proof: run to the end"
	psql_on target -c 'create role batch_rw login' -c 'grant select, insert on probe to batch_rw'
	"$DIRECTWRITER" "host=127.0.0.1 port=$(lab_port target) dbname=app user=batch_rw application_name=directwriter-tbatch connect_timeout=2" \
		"$LAB_T/writer-tbatch.out" tbatch 20 2>/dev/null &
	WRITER_PID[tbatch]=$!
	WRITERS+=(tbatch)
	sleep 1
	# The rollback's events slowed: the writer (a commit every 20 ms)
	# lands between the target's fence and its proof, as a slower one
	# would on a busy day.
	slowed rollback --yes
	rc_is 1 "target proof: a writer on the target after its fence stops the rollback (exit 1)"
	like "$OUT" 'stays on the target' "target proof: ... and says the application stays on the target"
	like "$("$CUTOVER" "${C[@]}" log --json | grep '"fence.leak"' | tail -1)" 'batch_rw' \
		"target proof: the leak names the role"
	end_state "target proof (given back)" app
	is "$END_SIDE" target "target proof: the application is on the target, let in again"
	writer_stop tbatch
	psql_on target -c "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'batch_rw'" >/dev/null
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "target proof: with the writer gone, the rollback goes back (exit 5)"
	end_state "target proof (back)" app tbatch
	is "$END_SIDE" source "target proof: the application is on the source"
	psql_on target -c 'revoke all on probe from batch_rw' -c 'drop role batch_rw'
	load_judged "target proof"
}

# 7: pgbouncer frozen (SIGSTOP) 20 s when PAUSE is sent, a transaction of
# the application open through it: the clock stops with pgbouncer, nothing
# is terminated for the frozen time, and the transaction commits once
# pgbouncer answers again (then PAUSE completes). The clients only waited.
case_7() {
	local dpid off
	conf_set switch timeout_seconds 60
	case_begin
	coproc HELD { psql "host=127.0.0.1 port=$(lab_port pgbouncer) dbname=app user=app_rw" -X -q 2>&1; }
	echo "begin; insert into probe (id) values ('held-7');" >&"${HELD[1]}"
	sleep 1
	"$CUTOVER" "${C[@]}" run --yes --until drain >"$LAB_T/frozen.log" 2>&1 &
	dpid=$!
	# Frozen as PAUSE is sent (it waits for the open transaction).
	off=$(stat -c %s "$EVENTS")
	for _ in $(seq 1 6000); do
		tail -c +$((off + 1)) "$EVENTS" | grep -q '"kind":"action",.*pause the application' && break
		sleep 0.002
	done
	BOUNCER_STOPPED=$(bouncer_pid)
	kill -STOP "$BOUNCER_STOPPED"
	sleep 20
	kill -CONT "$BOUNCER_STOPPED"
	BOUNCER_STOPPED=
	echo "commit;" >&"${HELD[1]}"
	echo '\q' >&"${HELD[1]}"
	wait "$HELD_PID" 2>/dev/null
	wait "$dpid"
	RC=$?
	rc_is 0 "7: the fence is taken after pgbouncer was frozen 20 s at PAUSE"
	unlike "$("$CUTOVER" "${C[@]}" log | tail -20)" 'terminating the application' \
		"7: no session was terminated for the frozen time"
	is "$(psql_on source -c "select count(*) from probe where id = 'held-7'")" 1 \
		"7: the transaction open through pgbouncer committed after the freeze"
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "7: rolled back (exit 5)"
	end_state "7" app
	load_judged "7 (pgbouncer frozen at PAUSE)"
	conf_set switch timeout_seconds 40
}

# The other drain methods: terminate (the database fence alone) and
# readonly (advisory, on top of it): the whole cut and back. Without the
# pgbench load: with these methods the application's sessions are ended,
# not paused (that is what they are).
case_methods() {
	local m
	for m in terminate readonly; do
		conf_set drain method "$m"
		run "$CUTOVER" "${C[@]}" run --yes
		rc_is 0 "method $m: run --yes to the end (exit 0)"
		like "$("$CUTOVER" "${C[@]}" log | tail -60)" 'the fence holds' \
			"method $m: the fence is taken and checked"
		end_state "method $m" app
		is "$END_SIDE" target "method $m: the application is on the target"
		run "$CUTOVER" "${C[@]}" rollback --yes
		rc_is 5 "method $m: rolled back (exit 5)"
		end_state "method $m, back" app
		is "$(psql_on source -c "select rolcanlogin from pg_roles where rolname = 'app_rw'")" t \
			"method $m: app_rw can log in on the source again"
	done
	is "$(psql_on source -c "select count(*) from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = 'app' and 'default_transaction_read_only=on' = any (s.setconfig)")" 0 \
		"method readonly: the database is writable by default again"
	conf_set drain method pgbouncer
}

# 8: the target dead when the switch starts: nothing is repointed, the
# source is let in first, and what could not be cleaned up is said.
case_8() {
	case_begin
	run "$CUTOVER" "${C[@]}" run --yes --until sequence_sync
	rc_is 0 "8: run --until sequence_sync"
	runuser -u "$(stat -c %U "$LAB/target/data")" -- "$PG_BINDIR/pg_ctl" \
		-D "$LAB/target/data" -m fast -w stop >/dev/null 2>&1
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 3 "8: a dead target at the switch: back on the source, cleanup not done (exit 3)"
	like "$OUT" 'runs on the source again' "8: it says the application runs on the source"
	end_state "8 (target down)" app
	is "$END_SIDE" source "8: the application is on the source"
	"$CUTOVER" lab up --dir "$LAB" >/dev/null 2>&1
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "8: with the target back, the rollback completes (exit 5)"
	is "$(replication_runs)" running "8: forward replication runs again"
	end_state "8 (target back)" app
	load_judged "8"
}

# 9: final_sync fails fast on a disabled subscription; the rollback starts
# forward replication again and says so only once it looked.
case_9a() {
	local n
	case_begin
	run "$CUTOVER" "${C[@]}" run --yes --until drain
	rc_is 0 "9: run --until drain"
	psql_on target -c 'alter subscription cutover_sub disable'
	# Its apply worker notices within a moment; until then it applies.
	for _ in $(seq 1 100); do
		[ "$(psql_on target -c "select count(*) from pg_stat_subscription where subname = 'cutover_sub' and pid is not null")" = 0 ] && break
		sleep 0.1
	done
	n=$(last_seq)
	run "$CUTOVER" "${C[@]}" run --yes
	rc_is 5 "9: a disabled subscription during final_sync: rolled back (exit 5)"
	like "$(event_after "$n" phase.failed)" 'replication is disabled' \
		"9: final_sync failed because replication is disabled, not at the timeout"
	like "$(event_after "$n" rollback.done)" 'forward replication runs' \
		"9: rollback.done says forward replication runs ..."
	is "$(replication_runs)" running "9: ... and it does"
	end_state "9 (subscription disabled)" app
	load_judged "9 (subscription disabled)"
}

# 9: the lag gate never passes on a stale heartbeat: its writer's updates
# fail, and the two last beats agree (a lag of 0 the old gate took).
case_9b() {
	conf_set validation lag_wait_seconds 6
	# A beat written (by a driver) and replicated, then no more.
	run "$CUTOVER" "${C[@]}" run --yes --until pre_validation
	sleep 2
	psql_on source -c 'alter table cutover.heartbeat add constraint test_stale check (beat_ms < 1) not valid'
	sleep 6 # the last beat written is older than the writer's 5 s
	run "$CUTOVER" "${C[@]}" run --yes --until sync_wait
	rc_is 1 "9: a stale heartbeat: the lag gate does not pass (exit 1)"
	like "$OUT" 'heartbeat is stale' "9: ... it says the heartbeat is stale"
	psql_on source -c 'alter table cutover.heartbeat drop constraint test_stale'
	conf_set validation lag_wait_seconds 1800
}

# The switch command: a minimal environment, its output scrubbed.
case_command() {
	local outputs
	cat >"$LAB_T/switch.sh" <<SH
#!/bin/sh
env
echo "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
echo "connecting with password=hunter2"
port=\$( [ "\$CUTOVER_SWITCH_DIRECTION" = back ] && echo $(lab_port source) || echo $(lab_port target))
sed -i "s/^app = .*/app = host=127.0.0.1 port=\$port dbname=app/" $LAB/pgbouncer/databases.ini
psql "$(conf_get drain pgbouncer_admin)" -X -q -c RELOAD
SH
	chmod 755 "$LAB_T/switch.sh"
	conf_set switch method command
	conf_set switch command "$LAB_T/switch.sh"
	case_begin
	PGPASSWORD=sekrit-pg AWS_SECRET_ACCESS_KEY=sekrit-aws run "$CUTOVER" "${C[@]}" run --yes
	rc_is 0 "the command switch method: run --yes (exit 0)"
	outputs=$("$CUTOVER" "${C[@]}" log --json | grep '"action.output"')
	like "$outputs" 'CUTOVER_SWITCH_DIRECTION=forward' "the switch command sees the CUTOVER_* variables"
	unlike "$outputs" 'PGPASSWORD|sekrit|AWS_SECRET' "... and no password or AWS secret"
	unlike "$outputs" 'hunter2|wJalrXUtnFEMI' "its output is scrubbed of secrets"
	like "$outputs" '\[redacted\]' "... what was scrubbed is marked"
	end_state "command switch" app
	run "$CUTOVER" "${C[@]}" rollback --yes
	rc_is 5 "the command switch rolled back (exit 5)"
	end_state "command switch back" app
	is "$END_SIDE" source "the command switched the application back"
	conf_set switch method pgbouncer
	load_judged "command switch"
}

# 4 and the files: --output on a character device stays a device; - is
# standard output; the state directory must be ours and 0700; a log cut
# short after state.json recorded its end is a break.
case_files() {
	if ! mknod "$LAB_T/null" c 1 3 || ! mknod "$LAB_T/null2" c 1 3; then
		bail_out "mknod"
	fi
	run "$CUTOVER" "${C[@]}" validate --quick --output "$LAB_T/null"
	ok -c "$LAB_T/null" "4: validate --output on a character device leaves it a device"
	run "$CUTOVER" "${C[@]}" init --output "$LAB_T/null2" --force
	rc_is 0 "4: init --output --force on a character device"
	ok -c "$LAB_T/null2" "4: ... leaves it a device"
	run "$CUTOVER" "${C[@]}" report --output -
	like "$OUT" '^# ' "report --output - writes the Markdown to standard output"
	chmod 755 "$LAB/state"
	run "$CUTOVER" "${C[@]}" run --yes --until pre_validation
	rc_is 2 "a state directory open to others: exit 2"
	like "$OUT" 'mode 0755' "... naming its mode"
	chmod 700 "$LAB/state"
	conf_set drain method readonly
	run "$CUTOVER" "${C[@]}" -e prod -s "$LAB_T/prod-state" run --yes --until pre_validation
	rc_is 1 "the readonly method alone in prod: refused (exit 1)"
	like "$OUT" 'readonly is advisory' "... saying why"
	conf_set drain method pgbouncer
	cp "$EVENTS" "$LAB_T/events.keep"
	head -n $(($(wc -l <"$LAB_T/events.keep") / 2)) "$LAB_T/events.keep" >"$EVENTS"
	run "$CUTOVER" "${C[@]}" log --verify
	rc_is 1 "log --verify: a log cut short at the end is a break (exit 1)"
	like "$OUT" 'are missing' "... naming the missing seqs"
	cp "$LAB_T/events.keep" "$EVENTS"
}

for c in ${PROMISE_CASES:-case_5a case_5b case_5c case_2 case_6a case_6b case_6c \
	case_3 case_1 case_3proof case_others case_prepared case_target_leak \
	case_methods case_7 case_8 \
	case_9a case_9b case_command case_files}; do
	"$c"
done

writer_stop app
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "source and target match at the end"
is "$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)" none "no action was taken twice"

done_testing
