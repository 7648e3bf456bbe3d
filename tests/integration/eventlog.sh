#!/usr/bin/env bash
# The event log through the CLI: printing, --json, --follow, --verify on
# every kind of tampering, an independent verifier, and kill -9 mid-append.
. "$TOP_SRCDIR/tests/lib/tap.sh"

W=$TOP_BUILDDIR/tests/helpers/logwriter
T=$(mktemp -d)
FOLLOW_PID=
trap '[ -n "$FOLLOW_PID" ] && kill "$FOLLOW_PID" 2>/dev/null; rm -rf "$T"' EXIT
S=$T/state
mkdir -p "$S"

run "$W" "$S" 5
is "$RC" 0 "five events appended"
run "$CUTOVER" -s "$S" log
is "$RC" 0 "log exits 0"
is "$(printf '%s\n' "$OUT" | wc -l)" 5 "log prints one line per event"
like "$OUT" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +1 action +- +[^ ]+@[^ ]+ +event 0$' "a line shows local time, seq, kind, phase, actor, message"
run "$CUTOVER" log -s "$S" --json
is "$(printf '%s\n' "$OUT" | head -1 | cut -c1-8)" '{"seq":1' "--json prints the raw lines"
is "$(stat -c %a "$S/events.jsonl")" 600 "events.jsonl is 0600"

# Anyone can verify the chain in a few lines of another language.
verify_py() {
	python3 - "$1" <<'PY'
import hashlib, json, sys
prev = "0" * 64
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    line = raw.rstrip(b"\n")
    body, sep, tail = line.rpartition(b',"hash":"')
    h = tail[:-2].decode()
    assert sep and tail.endswith(b'"}'), f"line {n}: no final hash member"
    assert hashlib.sha256(body + b"}").hexdigest() == h, f"line {n}: hash"
    ev = json.loads(line)
    assert ev["seq"] == n and ev["prev"] == prev, f"line {n}: chain"
    assert list(ev)[-1] == "hash"
    prev = h
print("ok", n)
PY
}
run verify_py "$S/events.jsonl"
is "$OUT" "ok 5" "an independent Python verifier accepts the chain"

run "$CUTOVER" -s "$S" log --verify
is "$RC" 0 "log --verify exits 0 on an intact log"
like "$OUT" '5 events, hash chain intact' "verify says so"

tamper() { # NAME PYTHON-EXPR-ON-lines
	cp "$S/events.jsonl" "$T/$1.jsonl.orig"
	python3 - "$S/events.jsonl" "$2" <<'PY'
import sys
p, expr = sys.argv[1], sys.argv[2]
lines = open(p, "rb").read().split(b"\n")[:-1]
lines = eval(expr)
open(p, "wb").write(b"".join(l + b"\n" for l in lines))
PY
	run "$CUTOVER" -s "$S" log --verify
	cp "$T/$1.jsonl.orig" "$S/events.jsonl"
}
tamper modified 'lines[:2] + [lines[2].replace(b"event 2", b"event 7")] + lines[3:]'
is "$RC" 1 "a modified middle line fails verify"
like "$OUT" 'chain broken at seq 3' "verify names seq 3"
tamper deleted 'lines[:2] + lines[3:]'
is "$RC" 1 "a deleted line fails verify"
like "$OUT" 'chain broken at seq 3.*found seq 4' "verify names seq 3 and what it found"
tamper reordered 'lines[:1] + [lines[2], lines[1]] + lines[3:]'
is "$RC" 1 "reordered lines fail verify"
like "$OUT" 'chain broken at seq 2' "verify names seq 2"
tamper truncated_first 'lines[1:]'
like "$OUT" 'chain broken at seq 1' "a deleted first line names seq 1"
tamper rehashed 'lines[:3] + [lines[3].replace(b"event 3", b"event X")] + lines[4:]'
like "$OUT" 'seq 4: the line.s hash does not match' "a modified line is caught by its own hash"

# A torn last line: verify reports it; the next writer repairs it.
printf '{"seq":6,"ts":"20' >>"$S/events.jsonl"
run "$CUTOVER" -s "$S" log --verify
is "$RC" 1 "a torn last line fails verify"
like "$OUT" 'seq 6: the last line is incomplete' "verify names the torn seq"
run "$W" "$S" 1
is "$RC" 0 "the next writer appends after a torn line"
run "$CUTOVER" -s "$S" log --verify
is "$RC" 0 "after the repair the chain verifies"
like "$("$CUTOVER" -s "$S" log)" 'log.repaired' "the repair is an event in the log"
ok -n "$(ls "$S"/events.jsonl.torn-* 2>/dev/null)" "the torn bytes are kept as evidence"

# kill -9 at random instants while appending; the next append repairs.
K=$T/killed
mkdir -p "$K"
bad=0
for _ in $(seq 1 20); do
	"$W" "$K" forever >"$T/w.out" 2>&1 &
	pid=$!
	while ! grep -q ready "$T/w.out" 2>/dev/null; do sleep 0.01; done
	sleep "0.0$((RANDOM % 9))$((RANDOM % 10))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	"$W" "$K" 1 >/dev/null 2>&1 || bad=$((bad + 1))
	"$CUTOVER" -s "$K" log --verify >"$T/v.out" 2>&1 || { bad=$((bad + 1)); cat "$T/v.out"; }
done
is "$bad" 0 "20 kill -9 mid-append: every next append verifies"
ok "$(wc -l <"$K/events.jsonl")" -gt 40 "the crash test appended events"

# --follow prints lines as another process appends.
F=$T/follow
mkdir -p "$F"
"$W" "$F" 2 >/dev/null
"$CUTOVER" -s "$F" log --follow >"$T/follow.out" 2>&1 &
FOLLOW_PID=$!
sleep 0.5
"$W" "$F" 3 >/dev/null
for _ in $(seq 1 50); do
	[ "$(wc -l <"$T/follow.out")" -ge 5 ] && break
	sleep 0.1
done
is "$(wc -l <"$T/follow.out")" 5 "--follow prints events appended later"
kill "$FOLLOW_PID"
FOLLOW_PID=

run "$CUTOVER" -s "$T/nowhere" log
is "$RC" 2 "a missing state directory exits 2"
mkdir -p "$T/empty"
run "$CUTOVER" -s "$T/empty" log
is "$RC" 2 "a state directory without a log exits 2"
like "$OUT" 'no event log' "and says so"

done_testing
