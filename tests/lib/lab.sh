# shellcheck shell=bash
# tests/lib/lab.sh - a rehearsal lab (cutover lab up) for the orchestration
# tests, always taken down by an EXIT trap.
#
#   . "$TOP_SRCDIR/tests/lib/lab.sh"
#   lab_up 20000            # sets LAB, CONF; fast gates for tests
#   lab_load 200 30         # background load through pgbouncer
#   lab_wait_load           # until the load has ended
#   load_field lost         # a figure of `lab status --json`'s load

LAB_T=$(mktemp -d "${TMPDIR:-/tmp}/cutover-lab-test.XXXXXX") || exit 1
chmod 755 "$LAB_T"
LAB=$LAB_T/lab
CONF=$LAB/cutover.conf
lab_teardown() {
	"$CUTOVER" lab down --dir "$LAB" >/dev/null 2>&1
	rm -rf "$LAB_T"
}
trap lab_teardown EXIT
trap 'exit 130' INT TERM

lab_up() { # ROWS [PROVIDER]
	"$CUTOVER" lab up --dir "$LAB" --rows "$1" --provider "${2:-postgres}" \
		>"$LAB_T/up.log" 2>&1 || {
		cat "$LAB_T/up.log"
		return 1
	}
	# Tests do not wait half a minute for the lag gate.
	sed -i 's/^lag_hold_seconds = .*/lag_hold_seconds = 2/' "$CONF"
	# --provider dms: the lab's profile finds the emulator, and nothing of
	# the user's AWS setup is read.
	if [ "${2:-}" = dms ]; then
		local v
		for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do
			unset "$v"
		done
		export AWS_CONFIG_FILE=$LAB/aws/config
		export AWS_SHARED_CREDENTIALS_FILE=$LAB/aws/credentials
		export AWS_PROFILE=cutover-lab AWS_EC2_METADATA_DISABLED=true
	fi
}

lab_load() { # RATE DURATION
	"$CUTOVER" lab load --dir "$LAB" --rate "$1" --duration "$2" --clients 4 \
		>"$LAB_T/load.log" 2>&1
}

lab_status_json() {
	"$CUTOVER" lab status --dir "$LAB" --json 2>/dev/null
}

lab_wait_load() {
	for _ in $(seq 1 300); do
		[ "$(lab_status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["load"]["running"])' 2>/dev/null)" = False ] &&
			return 0
		sleep 0.5
	done
	return 1
}

load_field() { # FIELD
	lab_status_json | python3 -c "import json,sys; print(json.load(sys.stdin)['load']['$1'])"
}

# Sets KEY of [SECTION] in the lab's cutover.conf (the key must be there).
conf_set() { # SECTION KEY VALUE
	python3 - "$CONF" "$1" "$2" "$3" <<'PY'
import sys
path, section, key, value = sys.argv[1:]
out, cur, done = [], None, False
for line in open(path):
    s = line.strip()
    if s.startswith("["):
        cur = s.strip("[]")
    elif cur == section and s.split("=")[0].strip() == key:
        line = f"{key} = {value}\n"
        done = True
    out.append(line)
assert done, (section, key)
open(path, "w").write("".join(out))
PY
}

# Where pgbouncer sends the application now: "source" or "target"; when
# pgbouncer cannot be asked, or routes "app" to neither, it says so (the
# caller's comparison then fails with the reason) and returns 1.
app_points_at() {
	local out port
	if ! out=$(psql "$(sed -n 's/^pgbouncer_admin = //p' "$CONF")" -X -A -t \
	    -c 'show databases' 2>&1); then
		echo "unknown (pgbouncer's admin console did not answer: ${out//$'\n'/ })"
		return 1
	fi
	port=$(printf '%s\n' "$out" | awk -F'|' '$1 == "app" {print $3}')
	if [ -z "$port" ]; then
		echo "unknown (pgbouncer has no database app)"
		return 1
	fi
	if sed -n '/^\[source\]/,/^\[/p' "$CONF" | grep -q "port=$port\b"; then
		echo source
	elif sed -n '/^\[target\]/,/^\[/p' "$CONF" | grep -q "port=$port\b"; then
		echo target
	else
		echo "unknown (app goes to port $port: neither [source] nor [target])"
		return 1
	fi
}

# The last event of a kind, as JSON.
last_event() { # KIND
	"$CUTOVER" -c "$CONF" log --json | python3 -c "
import json, sys
last = None
for line in sys.stdin:
    e = json.loads(line)
    if e['kind'] == '$1':
        last = e
print(json.dumps(last))"
}

# The actions logged as done more than once (attempt, step, rollback and
# which rollback of the attempt, detail), or "none"; the event log on
# stdin (`cutover log --json`).
actions_done_twice() {
	python3 -c '
import json, sys, collections
done = collections.Counter()
for line in sys.stdin:
    e = json.loads(line)
    if e["kind"] == "action.done" and "step" in e["data"]:
        d = e["data"]
        done[(d.get("attempt"), d.get("step"), d.get("rollback", False), d.get("rollback_run"), d.get("detail"))] += 1
twice = [k for k, n in done.items() if n > 1]
print(twice if done and twice else "none" if done else "no actions logged")'
}
