# shellcheck shell=bash
# tests/lib/aws.sh - moto and the fake AWS endpoint for the AWS tests.
#
#   . "$TOP_SRCDIR/tests/lib/aws.sh"
#   moto_start          # MOTO_URL, signature checking still off
#   fake_start [ARGS]   # FAKE_URL, FAKE_DIR (requests.jsonl, script.json)
#   aws_conf FILE TASK_ARN [KEY=VALUE...]   # a cutover.conf for the provider
#
# Everything listens on 127.0.0.1 and is stopped on exit. The tests never
# reach a real AWS: no profile of the user's is read (HOME is private) and
# the instance metadata service is off unless a test points it at loopback.

# The interpreter itself, not a version manager's shim (pyenv's costs half a
# second a call).
PYTHON=$(command python3 -c 'import sys; print(sys.executable)')
python3() { "$PYTHON" "$@"; }
# (Servers are started with "$PYTHON" itself: a function sent to the
# background is a subshell, and $! would name it, not the server.)

AWS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cutover-aws.XXXXXX")
AWS_PIDS=()
DMSPROBE="$TOP_BUILDDIR/tests/helpers/dmsprobe"

aws_cleanup() {
	local p
	for p in "${AWS_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	# A server stuck in a handler (the hanging fake) may outlive SIGTERM.
	for p in "${AWS_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$AWS_TMP"
}
trap aws_cleanup EXIT

for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do
	unset "$v"
done
export HOME="$AWS_TMP/home"
mkdir -p "$HOME"
export AWS_EC2_METADATA_DISABLED=true
export NO_PROXY='*' no_proxy='*'

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

moto_start() {
	local tries=0
	while [ $tries -lt 3 ]; do
		MOTO_PORT=$(free_port)
		"$PYTHON" "$TOP_SRCDIR/tests/aws/motoserver.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$AWS_TMP/moto.log" 2>&1 &
		MOTO_PID=$!
		AWS_PIDS+=("$MOTO_PID")
		MOTO_URL="http://127.0.0.1:$MOTO_PORT"
		for _ in $(seq 1 100); do
			if curl -s -o /dev/null "$MOTO_URL/moto-api/"; then
				return 0
			fi
			kill -0 "$MOTO_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$MOTO_PID" 2>/dev/null
		tries=$((tries + 1))
	done
	return 1
}

fake_start() {
	FAKE_DIR="$AWS_TMP/fake.$RANDOM"
	mkdir -p "$FAKE_DIR"
	"$PYTHON" "$TOP_SRCDIR/tests/aws/fakeaws.py" "$FAKE_DIR" "$@" >"$FAKE_DIR/log" 2>&1 &
	FAKE_PID=$!
	AWS_PIDS+=("$FAKE_PID")
	for _ in $(seq 1 100); do
		if [ -s "$FAKE_DIR/port" ]; then
			# shellcheck disable=SC2034 # read by the tests that source this file
			FAKE_URL="http://127.0.0.1:$(cat "$FAKE_DIR/port")"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# The fake's fixed key (the AWS example-style pair it knows) and its tasks.
# shellcheck disable=SC2034 # read by the tests that source this file
{
	FAKE_KEY=AKIDFAKEEXAMPLE
	FAKE_SECRET=fake/Secret/Key+ForTheTests0000000000000
	FAKE_TASK=arn:aws:dms:us-east-1:123456789012:task:FWDTASKABCDEFGHIJKLMNOP
	FAKE_REVERSE=arn:aws:dms:us-east-1:123456789012:task:REVTASKABCDEFGHIJKLMNOP
}

aws_conf() { # FILE TASK_ARN [section.key=value ...]
	local f=$1 task=$2
	shift 2
	{
		printf '[source]\nconninfo = postgresql://migrator@src.example:5432/app\n'
		printf '[target]\nconninfo = postgresql://migrator@prodcluster.cluster-c1x2.us-east-1.rds.amazonaws.com:5432/app\n'
		printf '[replication]\nprovider = dms\nregion = us-east-1\ntask_arn = %s\n' "$task"
		local kv k
		for kv in "$@"; do
			case $kv in replication.*) k=${kv#replication.}; printf '%s = %s\n' "${k%%=*}" "${kv#*=}" ;; esac
		done
		printf '[metrics]\n'
		for kv in "$@"; do
			case $kv in metrics.*) k=${kv#metrics.}; printf '%s = %s\n' "${k%%=*}" "${kv#*=}" ;; esac
		done
	} >"$f"
}

# A top-level string, number or boolean member of one line of compact
# JSON, without starting Python (values hold no quote or comma here).
jfield() { # JSON KEY
	sed -n "s/.*\"$2\":\(\"\([^\"]*\)\"\|\([^,}]*\)\).*/\2\3/p" <<<"$1" | head -1
}

# json_get JSON PYTHON-EXPRESSION-ON-d
json_get() {
	printf '%s' "$1" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# Everything dmsprobe printed, for the secret checks.
PROBE_LOG="$AWS_TMP/outputs.log"
: >"$PROBE_LOG"

# shellcheck disable=SC2034 # OUT is read by the tests
probe() { # dmsprobe ARGS: sets OUT (stdout), ERR (stderr), RC
	"$DMSPROBE" "$@" >"$AWS_TMP/p.out" 2>"$AWS_TMP/p.err"
	RC=$?
	OUT=$(cat "$AWS_TMP/p.out")
	ERR=$(cat "$AWS_TMP/p.err")
	{
		printf '== dmsprobe %s (exit %s)\n' "$*" "$RC"
		cat "$AWS_TMP/p.out" "$AWS_TMP/p.err"
	} >>"$PROBE_LOG"
}

# HTTP attempts the last probe made (it says so on stderr).
attempts() {
	sed -n 's/^dmsprobe: \([0-9]*\) HTTP attempts$/\1/p' <<<"$ERR"
}

# Fails a case for every secret found in what our program printed or
# logged (FILES after --).
no_secrets() { # SECRET... [-- FILE...]
	local secrets=() files=("$PROBE_LOG") s found=0
	while [ $# -gt 0 ]; do
		[ "$1" = -- ] && { shift; files+=("$@"); break; }
		secrets+=("$1")
		shift
	done
	for s in "${secrets[@]}"; do
		if grep -rqF -- "$s" "${files[@]}" 2>/dev/null; then
			fail "a secret (${s:0:4}...) appears in the output"
			found=1
		fi
	done
	[ $found = 0 ] && pass "no secret (${#secrets[@]} checked) in $(wc -l <"$PROBE_LOG") lines of output"
	return 0
}

# Requests the fake received, as JSON lines; count of those matching a
# Python condition on r.
fake_count() {
	python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if eval(sys.argv[2]):
        n += 1
print(n)' "$FAKE_DIR/requests.jsonl" "$1"
}

# dmsprobe under valgrind: no invalid access, no leak (definite or
# indirect). Skipped, and counted as a skip, where valgrind cannot run.
probe_valgrind() { # DESCRIPTION dmsprobe-ARGS...
	local desc=$1
	shift
	if [ -n "${SANITIZERS:-}" ]; then
		skip "$desc: built with sanitizers (they check this run instead)"
		return
	fi
	if ! command -v valgrind >/dev/null 2>&1; then
		skip "$desc: valgrind is not installed"
		return
	fi
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=99 \
		"$DMSPROBE" "$@" >"$AWS_TMP/vg.out" 2>"$AWS_TMP/vg.err"
	local rc=$?
	cat "$AWS_TMP/vg.out" "$AWS_TMP/vg.err" >>"$PROBE_LOG"
	if [ "$rc" = 99 ]; then
		fail "$desc (valgrind)"
		sed 's/^/# /' "$AWS_TMP/vg.err" | head -40
	else
		pass "$desc: no invalid access, no leak under valgrind (exit $rc)"
	fi
}
