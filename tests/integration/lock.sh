#!/usr/bin/env bash
# The driver lock: one driver per state directory, the holder named, stale
# locks taken over, a race with exactly one winner, unwritable directories.
. "$TOP_SRCDIR/tests/lib/tap.sh"

L=$TOP_BUILDDIR/tests/helpers/lockholder
W=$TOP_BUILDDIR/tests/helpers/logwriter
T=$(mktemp -d)
chmod 755 "$T"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$T"' EXIT
S=$T/state
mkdir -p "$S"

"$L" "$S" >"$T/a.out" 2>&1 &
A=$!
PIDS+=("$A")
for _ in $(seq 1 100); do grep -q locked "$T/a.out" && break; sleep 0.02; done
like "$(cat "$T/a.out")" "^locked $A" "the first driver takes the lock"

run "$L" "$S" --once
is "$RC" 4 "a second driver exits 4"
like "$OUT" "held by another driver: pid $A, $(id -un)@$(hostname), since [0-9]{4}-[0-9]{2}-[0-9]{2}T" \
	"the message names pid, user@host and since"

kill -9 "$A"
wait "$A" 2>/dev/null
run "$L" "$S" --once
is "$RC" 0 "after the holder died the lock is free"
like "$OUT" "took over a stale lock of pid $A" "the stale holder is recognised"
run "$L" "$S" --once
unlike "$OUT" "stale" "a clean release leaves no stale holder"

# Two drivers started at the same instant: exactly one wins, ten times.
wins_ok=0
for i in $(seq 1 10); do
	R=$T/race$i
	mkdir -p "$R"
	"$L" "$R" >"$T/r1.out" 2>&1 &
	p1=$!
	"$L" "$R" >"$T/r2.out" 2>&1 &
	p2=$!
	PIDS+=("$p1" "$p2")
	sleep 0.3
	winners=$(cat "$T/r1.out" "$T/r2.out" | grep -c '^locked')
	losers=$(cat "$T/r1.out" "$T/r2.out" | grep -c 'held by another driver')
	[ "$winners" = 1 ] && [ "$losers" = 1 ] && wins_ok=$((wins_ok + 1))
	kill "$p1" "$p2" 2>/dev/null
	wait "$p1" "$p2" 2>/dev/null
done
is "$wins_ok" 10 "two drivers started at once: exactly one wins, every time"

# A state directory the driver cannot write.
RO=$T/readonly
mkdir -p "$RO"
if [ "$(id -u)" = 0 ]; then
	chmod 700 "$RO"   # root's; run the writer as nobody
	run runuser -u nobody -- "$W" "$RO" 1
else
	chmod 500 "$RO"
	run "$W" "$RO" 1
fi
is "$RC" 3 "an unwritable state directory is a runtime error (exit 3)"
like "$OUT" "$RO/events.jsonl: cannot open: Permission denied" "the error names the file and why"

done_testing
