#!/usr/bin/env bash
# `cutover report` on fixed state directories (tests/data/report, written by
# its make-fixture.py): a rehearsal in a lab with a rollback after the switch
# and a second attempt gives the golden report.md; timeline.svg has its rows,
# labels and shaded pauses where they must be and renders to a 1,200 px PNG;
# report --json says the same; the trend lists every run, from --compare
# state directories and earlier report --json files; production looks
# different; a broken log is said to be broken; bad input is named.
# shellcheck disable=SC2016 # the backquotes in the patterns are Markdown's
# shellcheck source=tests/lib/tap.sh
. "$TOP_SRCDIR/tests/lib/tap.sh"

DATA=$TOP_SRCDIR/tests/data/report
CHECK_SVG=$TOP_SRCDIR/tests/integration/report-svg.py
T=$(mktemp -d "${TMPDIR:-/tmp}/cutover-report-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cp -a "$DATA/." "$T/"
cd "$T" || exit 1
C=(-c lab/cutover.conf -s lab/state)


# The golden report: relative --compare paths keep it the same anywhere.
run "$CUTOVER" "${C[@]}" report --compare staging-1 --compare earlier-report.json
is "$RC" 0 "report exits 0"
is "$OUT" "lab/state/report.md
lab/state/timeline.svg" "report prints the files it wrote"
if diff -u "$DATA/golden-report.md" lab/state/report.md >"$T/md.diff"; then
	pass "report.md is the golden one"
else
	fail "report.md differs from tests/data/report/golden-report.md"
	head -60 "$T/md.diff" | sed 's/^/# /'
fi
md=$(cat lab/state/report.md)
like "$md" '^# Cutover report: REHEARSAL in staging' "the title says rehearsal"
like "$md" '\| 2 \| 1 \| rollback 1 \(after the switch\) \| 15:53:04\.004 \| 15:53:04\.564 \| \*\*0\.560 s\*\* \| rollback 1 \| 531 ms \| 564 ms \| 0 \|' \
	"the rollback's write pause appears with its measured duration and the clients' view"
like "$md" '\| 1 \| drain \| 15:50:41\.413 \| 0\.030 s \| 0\.230 s \|' "lag at start is the driver's sub-second reading"
unlike "$md" '\| 1\.00 s \|' "no quantised 1.00 s lag at start"
like "$md" 'Before the run: 9 set-up actions' "set-up is summarised, not listed"
unlike "$md" '\| setup: create' "no set-up line among the run's actions"
like "$md" '\| `1c2d3e4f5a6b7c8d` \| staging \| yes \| completed \| 1 min 36\.5 s \| 0\.412 s \|' "the trend lists the earlier report's run"
like "$md" '\| `3a9e0b7c4d1f2e58` \| staging \| yes \| completed \| 21 min 19\.8 s \| 0\.331 s \| 60\.014 s \|' "the trend lists the earlier state directory's run"
like "$md" '\*\*`7f3c9a1e5b2d4c6f`\*\* \| staging \| yes \| completed \| 16 min 10\.6 s \| 0\.290 s \| 0\.560 s \|' "the trend lists this run"
hash=$(tail -1 lab/state/events.jsonl | sed 's/.*"hash":"\([0-9a-f]*\)"}$/\1/')
like "$md" "intact \(\`cutover log --verify\`\): 146 events, last seq 146, last hash \`$hash\`" "the report states the log's verification and last hash"

# The timeline: structure against the report's own JSON.
run "$CUTOVER" "${C[@]}" report --json --compare staging-1 --compare earlier-report.json
is "$RC" 0 "report --json exits 0"
if printf '%s\n' "$OUT" | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
	pass "report --json prints one JSON document"
else
	fail "report --json does not print JSON" "$OUT"
fi
ok -s lab/state/report.json "report --json writes report.json beside report.md"
if cmp -s <(printf '%s\n' "$OUT") lab/state/report.json; then
	pass "what it prints is what it wrote"
else
	fail "the printed JSON differs from report.json"
fi
run python3 "$CHECK_SVG" lab/state/timeline.svg lab/state/report.json
is "$RC" 0 "timeline.svg: rows, bars, shaded pauses, labels, lag and footer are where they must be"
[ "$RC" = 0 ] || diag "$OUT"
j() { python3 -c "import json,sys; d=json.load(open('lab/state/report.json')); print($1)"; }
is "$(j '[p["seconds"] for p in d["write_pauses"]]')" "[0.341, 0.56, 0.29]" "JSON: the three write pauses"
is "$(j '[p["kind"] for p in d["write_pauses"]]')" "['cut', 'rollback', 'cut']" "JSON: two cuts and the rollback's pause"
is "$(j 'd["write_pauses"][1]["clients"]["max_commit_gap_ms"]')" "564.148" "JSON: the clients' view of the rollback"
is "$(j '[r["run_id"] for r in d["runs"]]')" "['1c2d3e4f5a6b7c8d', '3a9e0b7c4d1f2e58', '7f3c9a1e5b2d4c6f']" "JSON: the trend, oldest first"
is "$(j 'd["event_log"]["last_hash"]')" "$hash" "JSON: the log's last hash"
is "$(j 'd["attempts"][0]["phases"][2]["lag_at_start"]')" \
	"{'seconds': 0.23, 'source': 'driver', 'at': '2026-11-24T15:50:41.413Z', 'whole_seconds': False}" \
	"JSON: lag at start and where it came from"
is "$(j 'sum(1 for a in d["actions"] if a["what"].startswith("setup"))')" 0 "JSON: no set-up action among the run's"

# The PNG renders, 1,200 px wide.
if command -v rsvg-convert >/dev/null 2>&1; then
	if rsvg-convert lab/state/timeline.svg -o timeline.png 2>"$T/rsvg.err"; then
		size=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' timeline.png)
		h=$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("height"))' lab/state/timeline.svg)
		is "$size" "1200x$h" "rsvg-convert renders the timeline at 1,200 px"
	else
		fail "rsvg-convert cannot render timeline.svg" "$(cat "$T/rsvg.err")"
	fi
else
	skip "rsvg-convert is not installed (Debian: librsvg2-bin)"
fi

# The earlier rehearsal on its own: the switch timeout and the 60 s pause.
run "$CUTOVER" -s staging-1 report --json
is "$RC" 0 "report on the earlier state directory exits 0"
run python3 "$CHECK_SVG" staging-1/timeline.svg staging-1/report.json
is "$RC" 0 "its timeline marks the switch timeout and the interrupted final_sync"
[ "$RC" = 0 ] || diag "$OUT"
like "$(cat staging-1/report.md)" '\| 1 \| final_sync \| .* \| \*\*interrupted\*\* by the switch timeout; undone by the rollback \|' "the timed-out phase is marked"
like "$(cat staging-1/report.md)" 'attempt 1: \*\*60\.014 s\*\* \(ended by a rollback\); attempt 2: \*\*0\.331 s\*\*' "every cut's pause is in the summary"
like "$(cat staging-1/timeline.svg)" 'class="switch-timeout"' "the switch timeout is drawn"

# A run recorded in the lab (run, rollback after the switch, run again).
run "$CUTOVER" -s recorded report --json
rc_is 0 "report on the recorded lab run exits 0"
run python3 "$CHECK_SVG" recorded/timeline.svg recorded/report.json
is "$RC" 0 "its timeline checks out: the zooms' tick labels stay clear of the row labels"
[ "$RC" = 0 ] || diag "$OUT"
like "$(cat recorded/report.md)" '\| 2 \| 1 \| rollback 1 \(after the switch\) \| 17:16:18\.039 \| 17:16:18\.149 \| \*\*0\.110 s\*\* \| rollback 1 \|' \
	"its rollback's pause is the target's PAUSE to the source's RESUME"

# An earlier report --json as --compare: its runs, marked where they came from.
mkdir out
run "$CUTOVER" "${C[@]}" report --output out/r.md --json --compare staging-1/report.json
is "$RC" 0 "--compare takes an earlier report --json"
ok -s out/r.json "--output FILE.md --json writes FILE.json"
ok -s out/timeline.svg "and timeline.svg beside it"
like "$(cat out/r.md)" '`3a9e0b7c4d1f2e58` \| .* \| staging-1/report\.json \|' "the run from the JSON names its file"

# Production looks different: the earlier run, as if in prod (chain rewritten).
mkdir prod
python3 - staging-1/events.jsonl prod/events.jsonl <<'PY'
import hashlib, json, sys
prev = "0" * 64
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        del e["hash"]
        e["environment"] = "prod"
        e["msg"] = e["msg"].replace(" in staging (rehearsal)", " in prod")
        if e["kind"] == "run.started" and "rehearsal" in e["data"]:
            e["data"]["rehearsal"] = False
        e["prev"] = prev
        body = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256(body.encode()).hexdigest()
        out.write(body[:-1] + ',"hash":"%s"}\n' % prev)
PY
run "$CUTOVER" -s prod log --verify
is "$RC" 0 "the rewritten production log verifies"
run "$CUTOVER" -s prod report --json
is "$RC" 0 "report on a production run exits 0"
like "$(cat prod/report.md)" '^# Cutover report: PRODUCTION \(prod\)' "a production report says PRODUCTION"
unlike "$(cat prod/report.md)" 'REHEARSAL' "and never rehearsal"
like "$(cat prod/timeline.svg)" 'class="banner" data-look="production" [^>]*fill="#9b1c1c"' "its timeline has the red production banner"
run python3 "$CHECK_SVG" prod/timeline.svg prod/report.json
is "$RC" 0 "the production timeline checks out too"

# A broken log is reported as broken, with where.
mkdir broken
sed '5s/done in/DONE in/' staging-1/events.jsonl >broken/events.jsonl
run "$CUTOVER" -s broken report
is "$RC" 0 "report on a broken log still reports"
like "$(cat broken/report.md)" '\*\*BROKEN\*\* \(`cutover log --verify`\): seq 5' "and says the log is broken at seq 5"
like "$(cat broken/timeline.svg)" 'class="log-verify"[^>]*>event log BROKEN' "the timeline says so too"

# No run yet; bad input.
mkdir empty
head -3 lab/state/events.jsonl >empty/events.jsonl
run "$CUTOVER" -s empty report
is "$RC" 0 "a log without a run gives a report"
like "$(cat empty/report.md)" 'holds no run yet' "that says there is no run"
run "$CUTOVER" -s nowhere report
is "$RC" 2 "no event log: exit 2"
like "$OUT" 'nowhere/events\.jsonl' "naming the file"
run "$CUTOVER" "${C[@]}" report --compare missing-dir
is "$RC" 2 "--compare of nothing: exit 2"
like "$OUT" 'missing-dir' "naming it"
run "$CUTOVER" "${C[@]}" report --compare lab/cutover.conf
is "$RC" 2 "--compare of a file that is no report: exit 2"
like "$OUT" 'lab/cutover\.conf: not a state directory or a `cutover report --json` document' "saying what it is not"
run "$CUTOVER" "${C[@]}" report extra
is "$RC" 2 "a stray argument: exit 2"

done_testing
