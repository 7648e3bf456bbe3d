#!/usr/bin/env bash
# The product's promise, in the lab under load: `run --yes` to the end
# and `rollback --yes` with 0 failed and 0 lost transactions, checksums
# that match, writes after the switch on the target, the report.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"

lab_up 20000 || bail_out "the lab did not come up"
C=(-c "$CONF")

run "$CUTOVER" "${C[@]}" run --dry-run
rc_is 0 "run --dry-run exits 0"
like "$OUT" '== Run phase 3/8: drain' "the dry run prints every phase"
like "$OUT" 'pgbouncer: PAUSE app' "the dry run prints the admin commands"
like "$OUT" 'ALTER SUBSCRIPTION "cutover_sub" DISABLE' "the dry run prints the SQL"
ok ! -e "$LAB/state/state.json" "the dry run changes nothing"
run "$CUTOVER" "${C[@]}" run </dev/null
rc_is 2 "run without --yes and without a terminal refuses"

lab_load 200 25 || bail_out "no load"
sleep 2
run "$CUTOVER" "${C[@]}" run --yes
rc_is 0 "run --yes under load reaches post_validation"
is "$(app_points_at)" target "pgbouncer sends the application to the target"
pause=$(last_event run.switched | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["data"]["pause_seconds"] if e else 99)')
ok "$(python3 -c "print(int($pause < 5))")" = 1 "the write pause was short ($pause s)"
lab_wait_load || bail_out "the load did not end"
is "$(load_field failed)" 0 "0 failed pgbench transactions across the switch"
is "$(load_field lost)" 0 "0 lost transactions: every commit is on the target"
is "$(load_field duplicated)" 0 "no transaction applied twice"
is "$(load_field judged_on)" target "the load was judged on the target"
diag "committed $(load_field committed), longest transaction $(load_field max_latency_ms) ms, pause $pause s"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "after the load, source (via reverse replication) and target match"
run "$CUTOVER" "${C[@]}" log --verify
rc_is 0 "the event log verifies"
run "$CUTOVER" "${C[@]}" report
rc_is 0 "report exits 0"
like "$(cat "$LAB/state/report.md")" 'REHEARSAL' "the report marks a rehearsal"
like "$(cat "$LAB/state/report.md")" '\| 1 \| 1 \| the cut \| [0-9:.]+ \| [0-9:.]+ \| \*\*[0-9]+\.[0-9]{3} s\*\* \| the switch \|' "the report shows the write pause"
like "$(cat "$LAB/state/report.md")" '\| 1 \| switch \|' "the report has the phase table"
if python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$LAB/state/timeline.svg"; then
	pass "timeline.svg is well-formed SVG"
else
	fail "timeline.svg is not well-formed"
fi

# The way back, under load: nothing written on the target is lost.
lab_load 200 15 || bail_out "no second load"
sleep 2
run "$CUTOVER" "${C[@]}" rollback --yes
rc_is 5 "rollback --yes after the switch exits 5 (rolled back)"
is "$(app_points_at)" source "pgbouncer sends the application to the source again"
lab_wait_load || bail_out "the second load did not end"
is "$(load_field failed)" 0 "0 failed transactions across the rollback"
is "$(load_field lost)" 0 "0 lost transactions: every commit is on the source"
is "$(load_field judged_on)" source "the load was judged on the source"
run "$CUTOVER" "${C[@]}" status --json
like "$OUT" '"status":[[:space:]]+"running"' "forward replication runs again"
run "$CUTOVER" "${C[@]}" validate --full
rc_is 0 "after the rollback source and target match again"
run "$CUTOVER" "${C[@]}" log --verify
rc_is 0 "the event log still verifies"
is "$("$CUTOVER" "${C[@]}" log --json | actions_done_twice)" none "no action was taken twice"

# The report after the rollback: its write pause as the driver measured
# it (the target's PAUSE to the source's RESUME), and the clients' view.
run "$CUTOVER" "${C[@]}" report --json
rc_is 0 "report --json after the rollback exits 0"
md=$(cat "$LAB/state/report.md")
like "$md" '\| 2 \| 1 \| rollback 1 \(after the switch\) \| [0-9:.]+ \| [0-9:.]+ \| \*\*[0-9]+\.[0-9]{3} s\*\* \| rollback 1 \| [0-9]+ ms \| [0-9]+ ms \| 0 \|' \
	"the report shows the rollback's write pause and what the clients saw of it"
like "$md" '\| 2 \| 200 tx/s \| 4 \| [0-9,]+ \| 0 \| [0-9]+ ms \| [0-9]+ ms \| 0 \| 0 \| on the source: passed \|' \
	"the second load: 0 failed, 0 lost, judged on the source"
want=$("$CUTOVER" "${C[@]}" log --json | python3 -c '
import json, sys, datetime
ms = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
start = end = None
for line in sys.stdin:
    e = json.loads(line)
    d = e["data"]
    if e["kind"] == "action" and d.get("step") == "target.pause" and start is None:
        start = ms(e["ts"])
    if e["kind"] == "action.done" and d.get("step") == "source.unfence" and d.get("rollback"):
        end = ms(e["ts"])
print("%.3f" % (end - start) if start and end else "none")')
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f" % [p["seconds"] for p in d["write_pauses"] if p["kind"] == "rollback"][0])' "$LAB/state/report.json")
is "$got" "$want" "the rollback's pause is the driver's PAUSE to RESUME ($want s)"
run python3 "$TOP_SRCDIR/tests/integration/report-svg.py" "$LAB/state/timeline.svg" "$LAB/state/report.json"
rc_is 0 "the timeline of the real run checks out"

done_testing
