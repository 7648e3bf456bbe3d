#!/usr/bin/env bash
# The readiness check before arming, in the lab: each failing item (a
# role that cannot log in on the target, pgbouncer's admin console down,
# a missing switch command, no free replication slot on the target, the
# target's wal_level = replica) blocks arming with its message; a check
# that could not be made (no dblink on the source) says so and is not
# "ok". Then the headless cut: `run` without --yes on a terminal asks the
# cut's five phases before the fence, then the fence, then the hold point
# of [switch] confirm, and nothing else.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"
. "$TOP_SRCDIR/tests/lib/faults.sh"

lab_up 2000 || bail_out "the lab did not come up"
C=(-c "$CONF")
ST=$LAB/state
LAB_USER=$(stat -c %U "$LAB/source/data")
item_status() { # ITEM-REGEX
	python3 -c 'import json,re,sys
d = json.load(open(sys.argv[1]))
print(" ".join(i["status"] for i in d.get("readiness", []) if re.search(sys.argv[2], i["item"])))' \
		"$ST/state.json" "$1"
}
state_field() { # STATE_DIR PYTHON-EXPRESSION-ON-d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1/state.json"
}
kinds_after() { # STATE_DIR N
	tail -n +"$(($2 + 1))" "$1/events.jsonl" |
		python3 -c 'import json,sys; print(" ".join(json.loads(l)["kind"] for l in sys.stdin))'
}
arm() { run "$CUTOVER" "${C[@]}" run --yes --until sync_wait; }
target_restart() {
	runuser -u "$LAB_USER" -- "$PG_BINDIR/pg_ctl" -D "$LAB/target/data" -m fast -w restart >/dev/null 2>&1
}

run "$CUTOVER" "${C[@]}" run --yes --until pre_validation
rc_is 0 "pre_validation passes"

# 1. A [drain] role that cannot log in on the target.
psql_on target -c 'alter role app_rw nologin' >/dev/null
arm
rc_is 1 "a role that cannot log in on the target: arming refused, exit 1"
like "$OUT" 'not ready to arm: every \[drain\] role can log in on the target: role app_rw cannot log in on the target' \
	"the message names the role and what to fix"
is "$(item_status 'drain\] role')" failed "state.json records the item failed"
is "$(state_field "$ST" 'd["armed"]')" False "the run is not armed"
like "$OUT" 'readiness: not checked the source reaches the target .*dblink is not installed' \
	"without dblink on the source the reach is 'not checked', said, not ok"
is "$(item_status 'source reaches')" unknown "state.json says not checked (unknown)"
psql_on target -c 'alter role app_rw login' >/dev/null

# 2. pgbouncer's admin console does not answer.
admin=$(conf_get drain pgbouncer_admin)
conf_set drain pgbouncer_admin "${admin/port=$(lab_port pgbouncer)/port=1}"
arm
rc_is 1 "pgbouncer's admin console down: arming refused"
like "$OUT" "pgbouncer's admin console answers and has the database entry: pgbouncer's admin console does not answer" \
	"the message says pgbouncer's admin console does not answer"
conf_set drain pgbouncer_admin "$admin"

# 3. The switch command does not exist.
conf_set switch method command
conf_set switch command '/nonexistent/switch-app --to-target'
arm
rc_is 1 "a missing switch command: arming refused"
like "$OUT" 'the switch command exists and is executable: /nonexistent/switch-app: No such file' \
	"the message names the missing program"
conf_set switch method pgbouncer
conf_set switch command ''

# 4. No free replication slot on the target.
psql_on target -c "select count(pg_create_logical_replication_slot('fill_' || g, 'test_decoding'))
	from generate_series(1, (select current_setting('max_replication_slots')::int - count(*)::int
	from pg_replication_slots)) g" >/dev/null
arm
rc_is 1 "no free slot on the target: arming refused"
like "$OUT" 'a free replication slot on the target: every replication slot of the target is taken' \
	"the message says every slot is taken and what to do"
psql_on target -c "select count(pg_drop_replication_slot(slot_name)) from pg_replication_slots
	where slot_name like 'fill\\_%'" >/dev/null

# 5. The target's wal_level is replica.
psql_on target -c 'alter system set wal_level = replica' >/dev/null
target_restart
arm
rc_is 1 "wal_level = replica on the target: arming refused"
like "$OUT" "target wal_level = logical: the target's wal_level is replica: reverse replication needs logical" \
	"the message names wal_level and what to set"
psql_on target -c 'alter system reset wal_level' >/dev/null
target_restart

# Ready: dblink on the source tests the way back's connection.
psql_on source -c 'create extension dblink' >/dev/null
arm
rc_is 0 "every item ok: armed"
like "$OUT" 'readiness: ok the source reaches the target \(reverse conninfo\): dblink connected' \
	"with dblink the source's connection to the target is tested"
is "$(python3 -c 'import json,sys; print(sorted({i["status"] for i in json.load(open(sys.argv[1]))["readiness"]}))' "$ST/state.json")" \
	"['ok']" "every readiness item ok in state.json"
is "$(state_field "$ST" 'd["armed"]')" True "the run is armed"

# The headless cut on a terminal, with the hold point. The first run
# stops after final_sync: its cut is drain and final_sync, approved and
# then the fence; the second asks only for the phases not approved yet,
# then the rest of the cut, then "switch now?"; nothing else is asked.
conf_set switch confirm true
headless() { # UNTIL: answers y to approvals, yes to the rest; prints what was asked
	python3 - "$CUTOVER" "$CONF" "$1" <<'PY'
import os, pty, re, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-c", sys.argv[2], "run", "--until", sys.argv[3]])
buf, deadline = b"", time.time() + 120
approve = re.compile(rb"approve \d/8 (\w+) \(\d of \d\): y approves, n cancels the cut \[y/n\] $")
while time.time() < deadline:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    buf += data
    m = approve.search(buf)
    if m:
        print("asked:", m.group(1).decode())
        os.write(fd, b"y\n")
        buf = b""
    elif re.search(rb"Go on\? \[yes/no\] $", buf):
        print("asked:", "hold" if b"Switch now?" in buf else
              "fence" if b"Take the fence" in buf else
              "rest" if b"Run the rest of the cut" in buf else "other")
        os.write(fd, b"yes\n")
        buf = b""
_, status = os.waitpid(pid, 0)
print("rc=%d" % os.waitstatus_to_exitcode(status))
PY
}
n0=$(wc -l <"$ST/events.jsonl")
out=$(headless final_sync)
like "$out" 'rc=0' "run --until final_sync on a terminal stops inside the cut"
is "$(echo "$out" | sed -n 's/^asked: //p' | tr '\n' ' ')" "drain final_sync fence " \
	"it asks the cut up to final_sync, then the fence"
is "$(state_field "$ST" 'd["cut_approved"]')" "['drain', 'final_sync']" "state.json records the approved phases"
out=$(headless switch)
like "$out" 'rc=0' "run --until switch completes the cut"
is "$(echo "$out" | sed -n 's/^asked: //p' | tr '\n' ' ')" "stop_replication sequence_sync switch rest hold " \
	"a resumed cut asks only for what was not approved, then the hold point"
K=$(kinds_after "$ST" "$n0")
like "$K" '^(.* )?(operator\.confirm ){3}.*run\.window .*(operator\.confirm ){4}.*operator\.confirm .*run\.switched' \
	"the approvals and the fence, the rest approved, then the hold point's answer, then the switch"
like "$(tail -n +"$((n0 + 1))" "$ST/events.jsonl" | grep '"cut":"hold"')" 'Switch now' "the hold point's answer is logged as such"
is "$(side_of_port "$(live_port)")" target "the application is on the target"

done_testing
