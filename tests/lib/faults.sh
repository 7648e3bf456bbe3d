# shellcheck shell=bash
# tests/lib/faults.sh - aimed faults on a lab, for the promise tests (with
# tap.sh and lab.sh sourced first):
#
#   kill_at REGEX run --yes     kill -9 the driver right after the first new
#                               event line matching REGEX: every fsync of
#                               the event log is slowed (strace), so the
#                               driver cannot go past that line before the
#                               kill lands; the landing is checked
#   writer_start NAME ROLE      a writer straight to the source (no
#                               pgbouncer) that reconnects after every error
#   end_state NAME              what every case ends with: the application
#                               on exactly one side (pgbouncer's file and
#                               live entry agree) and running (not paused),
#                               every committed probe row on that side, the
#                               log verifying

EVENTS=$LAB/state/events.jsonl
FSYNC_DELAY_US=${FSYNC_DELAY_US:-120000}
DIRECTWRITER=$TOP_BUILDDIR/tests/helpers/directwriter
WRITERS=()
declare -A WRITER_PID=()

faults_teardown() {
	local n
	for n in "${WRITERS[@]}"; do
		kill "${WRITER_PID[$n]}" 2>/dev/null
	done
	[ -n "${BOUNCER_STOPPED:-}" ] && kill -CONT "$BOUNCER_STOPPED" 2>/dev/null
	lab_teardown
}
trap faults_teardown EXIT

conf_get() { # SECTION KEY
	sed -n "/^\[$1\]/,/^\[/s/^$2 = //p" "$CONF" | head -1
}

# The lab keeps its ports: read once, in the test's own shell (probe_setup
# does it), so that the subshells of $(...) find them.
declare -A LAB_PORTS=()
lab_ports_load() {
	local side
	for side in source target pgbouncer; do
		LAB_PORTS[$side]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['$side']['port'])" \
			"$LAB/lab.json")
	done
}
lab_port() { # source|target|pgbouncer
	[ -n "${LAB_PORTS[$1]:-}" ] || lab_ports_load
	echo "${LAB_PORTS[$1]}"
}
# As a DBA would, through a fence that may be there: a readonly fence
# (default_transaction_read_only) stays on the target after a rollback.
psql_on() { # source|target SQL...
	local port
	port=$(lab_port "$1")
	shift
	PGOPTIONS='-c default_transaction_read_only=off' \
		psql "host=127.0.0.1 port=$port dbname=app user=postgres" -X -A -t -q "$@"
}
bouncer_admin() { # SQL
	psql "$(conf_get drain pgbouncer_admin)" -X -A -t -c "$1"
}
bouncer_pid() {
	cat "$LAB/pgbouncer/pgbouncer.pid"
}

# pgbouncer's app entry, live (SHOW DATABASES) and in its file: a port.
live_port() {
	bouncer_admin 'show databases' | awk -F'|' '$1 == "app" {print $3}'
}
file_port() {
	sed -n 's/^app = .*port=\([0-9]*\).*/\1/p' "$LAB/pgbouncer/databases.ini"
}
side_of_port() { # PORT
	if [ "$1" = "$(lab_port source)" ]; then echo source
	elif [ "$1" = "$(lab_port target)" ]; then echo target
	else echo "elsewhere($1)"; fi
}
paused() {
	bouncer_admin 'show databases' | awk -F'|' '$1 == "app" {print $12}'
}

# The probe table, on both sides, replicated, writable by the roles.
probe_setup() {
	local side
	lab_ports_load
	for side in target source; do
		psql_on "$side" -c 'create table if not exists probe (id text primary key, at timestamptz not null default now())' \
			-c 'grant select, insert on probe to app_rw' || return 1
	done
	psql_on target -c 'alter subscription cutover_sub refresh publication' || return 1
	for _ in $(seq 1 200); do
		[ "$(psql_on target -c "select count(*) from pg_subscription_rel where srsubstate <> 'r'")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

writer_start() { # NAME ROLE
	"$DIRECTWRITER" "host=127.0.0.1 port=$(lab_port source) dbname=app user=$2 application_name=directwriter-$1 connect_timeout=2" \
		"$LAB_T/writer-$1.out" "$1" 20 2>>"$LAB_T/writer-$1.err" &
	WRITER_PID[$1]=$!
	WRITERS+=("$1")
}
writer_stop() { # NAME
	kill "${WRITER_PID[$1]}" 2>/dev/null
	wait "${WRITER_PID[$1]}" 2>/dev/null
}

# Every probe row NAME committed is on SIDE, and nothing it did not write.
# Prints "ok N/M" or what is wrong.
probe_check() { # NAME SIDE
	# What it said it committed first, then what is there: rows written
	# in between are newer than anything it said, and not held against it.
	cp "$LAB_T/writer-$1.out" "$LAB_T/writer-$1.said"
	psql_on "$2" -c "select id from probe where id like '$1-%'" >"$LAB_T/probe-$1.$2" || {
		echo "cannot read the $2"
		return
	}
	python3 - "$LAB_T/writer-$1.said" "$LAB_T/probe-$1.$2" <<'PY'
import sys
ok, unknown, last = set(), set(), 0
num = lambda i: int(i.rsplit("-", 1)[1])
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) > 1 and w[0] in ("ok", "unknown"):
        (ok if w[0] == "ok" else unknown).add(w[1])
        last = max(last, num(w[1]))
there = set(l.strip() for l in open(sys.argv[2]) if l.strip())
missing = ok - there
extra = set(i for i in there - ok - unknown if num(i) <= last)
if missing or extra:
    print(f"{len(missing)} committed rows missing {sorted(missing)[:5]}, {len(extra)} never written {sorted(extra)[:5]}")
else:
    print(f"ok {len(ok & there)}/{len(ok)}")
PY
}

# Runs cutover ARGS and kill -9s it right after the first new event line
# matching REGEX (over the raw JSON line). Sets KILLED=1 when it was
# killed, and LANDED=1 when the aimed line is the log's last (the kill
# landed before anything else was logged); else KILLED=0 and RC. One
# Python process watches the log (no fork per look), so the kill lands
# within the slowed fsync even on a busy machine.
kill_at() { # REGEX ARGS...
	local re=$1 off spid
	shift
	off=$(stat -c %s "$EVENTS" 2>/dev/null || echo 0)
	KILLED=0
	LANDED=0
	# In a subshell (not exec'd): the shell does not report the kill.
	# LeakSanitizer cannot run under ptrace: no leak check in there.
	(ASAN_OPTIONS=detect_leaks=0 strace -f -qq --seccomp-bpf -e trace=fsync -P "$EVENTS" \
		-e inject=fsync:delay_exit="$FSYNC_DELAY_US" -o /dev/null \
		"$CUTOVER" -c "$CONF" "$@" >>"$LAB_T/driver.log" 2>&1; exit $?) \
		2>>"$LAB_T/driver.log" &
	spid=$!
	KILLED=$(python3 - "$EVENTS" "$off" "$re" "$spid" <<'PY'
import os, re, signal, sys, time
path, off, rx, top = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3]), int(sys.argv[4])
def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []
def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""
def driver():
    todo = [top]
    while todo:
        p = todo.pop()
        if comm(p) == "cutover":
            return p
        todo += children(p)
    return None
buf = b""
deadline = time.time() + 600
while time.time() < deadline:
    try:
        with open(path, "rb") as f:
            f.seek(off)
            buf = f.read()
    except OSError:
        buf = b""
    for line in buf.split(b"\n")[:-1]:
        if rx.search(line.decode("utf-8", "replace")):
            d = driver()
            if d:
                os.kill(d, signal.SIGKILL)
                print(1)
            else:
                print(0)
            sys.exit(0)
    if not os.path.exists(f"/proc/{top}") or not driver():
        if not driver():
            print(0)
            sys.exit(0)
    time.sleep(0.002)
print(0)
PY
)
	wait "$spid"
	# shellcheck disable=SC2034 # read by the tests
	RC=$?
	if [ "$KILLED" = 1 ]; then
		tail -1 "$EVENTS" | grep -qE -- "$re" && LANDED=1
		echo "--- killed at /$re/ (landed: $LANDED): $(tail -1 "$EVENTS" | cut -c1-200)" >>"$LAB_T/driver.log"
	fi
}

# Runs cutover ARGS with every fsync of the event log slowed (each event
# then takes FSYNC_DELAY_US): a window between two events becomes wide
# enough for a writer of the test to land in it. Sets RC and OUT.
# shellcheck disable=SC2034 # OUT and RC are read by the tests
slowed() { # ARGS...
	OUT=$(ASAN_OPTIONS=detect_leaks=0 strace -f -qq --seccomp-bpf -e trace=fsync -P "$EVENTS" \
		-e inject=fsync:delay_exit="$FSYNC_DELAY_US" -o /dev/null \
		"$CUTOVER" -c "$CONF" "$@" 2>&1)
	RC=$?
}

# The first event of KIND after seq N, as "seq msg" (the log on stdin).
event_after() { # N KIND
	"$CUTOVER" -c "$CONF" log --json | python3 -c "
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e['seq'] > $1 and e['kind'] == '$2':
        print(e['seq'], e['msg']); break"
}
last_seq() {
	wc -l <"$EVENTS"
}

# Sleeps until the switch timeout of the fence state.json records has
# passed.
sleep_past_timeout() {
	local left
	left=$(python3 - "$LAB/state/state.json" "$(conf_get switch timeout_seconds)" <<'PY'
import json, sys, datetime
s = json.load(open(sys.argv[1]))
t = s.get("fenced_at")
if not t:
    print(0)
else:
    at = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    left = at.timestamp() + float(sys.argv[2]) - datetime.datetime.now(datetime.timezone.utc).timestamp()
    print(max(0, int(left) + 1))
PY
)
	sleep "$left"
}

# The end state every case is judged on.
end_state() { # NAME [WRITER...]
	local name=$1 live file w
	shift
	live=$(side_of_port "$(live_port)")
	file=$(side_of_port "$(file_port)")
	is "$file" "$live" "$name: pgbouncer's file and live entry agree ($live)"
	is "$(paused)" 0 "$name: the application runs (pgbouncer is not paused)"
	for w in "$@"; do
		like "$(probe_check "$w" "$live")" '^ok ' "$name: every row the direct writer $w committed is on the $live"
	done
	run "$CUTOVER" -c "$CONF" log --verify
	rc_is 0 "$name: the event log verifies"
	# shellcheck disable=SC2034 # read by the tests
	END_SIDE=$live
}

replication_runs() {
	"$CUTOVER" -c "$CONF" status --json 2>/dev/null | python3 -c \
		'import json,sys; d=json.load(sys.stdin); print(d["replication"]["status"])'
}

# Stops the load and judges it: 0 failed, 0 lost, nothing twice.
load_judged() { # NAME
	local f
	"$CUTOVER" lab load --dir "$LAB" --stop >/dev/null 2>&1
	lab_wait_load
	f=$(load_field failed)
	is "$f" 0 "$1: 0 failed transactions through pgbouncer"
	if [ "$f" != 0 ]; then
		diag "pgbench: $(load_field pgbench_error)"
		grep -h -v '^[0-9]* [0-9]* [0-9]* ' "$LAB"/load/*/pgbench.out 2>/dev/null | tail -5 |
			sed 's/^/# /'
		grep -h ' failed ' "$LAB"/load/*/txn.* 2>/dev/null | tail -3 | sed 's/^/# txn: /'
	fi
	is "$(load_field lost)" 0 "$1: 0 lost transactions"
	is "$(load_field duplicated)" 0 "$1: no transaction applied twice"
}
