#!/usr/bin/env bash
# Fitting into the SRE's stack, on one lab cutover (issue 16): [hooks] on
# the driver receive every phase event in order with the documented
# variables and nothing secret; a failing and a hanging hook stop
# nothing; `watch --hooks` runs a watcher's own hooks from what it sees;
# /metrics during the run shows the phase advance and the lag series, and
# every page parses with a real OpenMetrics parser (prometheus_client).
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/lab.sh"
. "$TOP_SRCDIR/tests/ui/lib.sh"
trap 'ui_teardown; lab_teardown' EXIT

# Debian's python3-prometheus-client lives beside /usr/bin/python3.
PARSER_PY=/usr/bin/python3
if ! "$PARSER_PY" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
	bail_out "python3-prometheus-client is not installed (scripts/lib-install.sh installs it)"
fi

lab_up 20000 || bail_out "the lab did not come up"
T=$LAB_T
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The driver's hooks: every event to a recorder; a failing and a hanging one.
cat >"$T/record.sh" <<'EOF'
#!/bin/sh
# One line an event: the variables, what came on stdin, what else is set.
stdin=$(cat)
same=no
[ "$stdin" = "$CUTOVER_EVENT_JSON" ] && same=yes
kind=$(printf '%s' "$stdin" | sed -n 's/^{"seq":\([0-9]*\),"ts":"[^"]*","kind":"\([^"]*\)".*/\2 \1/p')
extra=$(env | cut -d= -f1 | grep -Ev '^(PATH|HOME|LANG|PWD|SHLVL|_|CUTOVER_(HOOK|EVENT_KIND|EVENT_SEQ|PHASE|RUN_ID|ENVIRONMENT|MSG|EVENT_JSON))$' | tr '\n' ',')
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$CUTOVER_EVENT_KIND" "$CUTOVER_PHASE" \
	"$CUTOVER_RUN_ID" "$CUTOVER_ENVIRONMENT" "$CUTOVER_MSG" "$CUTOVER_EVENT_SEQ" \
	"$kind" "$same" "$extra" >>"$RECORD_FILE"
echo "recorded $CUTOVER_EVENT_KIND password=not-for-the-log"
EOF
sed -i "2a RECORD_FILE=$T/driver.tsv" "$T/record.sh"
cp "$T/record.sh" "$T/wrecord.sh"
sed -i "s|^RECORD_FILE=.*|RECORD_FILE=$T/watcher.tsv|" "$T/wrecord.sh"
chmod +x "$T/record.sh" "$T/wrecord.sh"

# The watcher's own file: the lab's, with its own [hooks].
cp "$CONF" "$T/watcher.conf"
python3 - "$CONF" "$T" "$PORT" <<'EOF'
import sys
conf, t, port = sys.argv[1:]
s = open(conf).read()
head, metrics = s.split("[metrics]\n", 1)
metrics = metrics.replace("\nlisten = \n", "\nlisten = :%s\n" % port, 1)
s = head + "[metrics]\n" + metrics
s = s.replace("[hooks]\n", "[hooks]\nany = %s/record.sh\nrun.armed = echo failing on purpose; exit 3\n"
              "run.switched = sleep 60\n" % t, 1)
s = s.replace("\ntimeout_seconds = 10\n", "\ntimeout_seconds = 2\n", 1)
open(conf, "w").write(s)
w = open(t + "/watcher.conf").read()
w = w.replace("[hooks]\n", "[hooks]\nany = %s/wrecord.sh\n" % t, 1)
open(t + "/watcher.conf", "w").write(w)
EOF
grep -q "^listen = :$PORT" "$CONF" || bail_out "could not set [metrics] listen"
grep -q "^timeout_seconds = 2" "$CONF" || bail_out "could not set [hooks] timeout_seconds"

# History before anyone watches: a watcher's hooks must not replay it.
"$CUTOVER" -c "$CONF" setup >/dev/null 2>&1
before=$("$CUTOVER" -c "$CONF" log --json | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')

term_start w 120 40 || bail_out "tmux"
term_run w "$CUTOVER -c $T/watcher.conf watch --hooks"
wait_screen w 'lab' 15 || diag "the watcher's screen: $(screen w | head -5)"

# Scrape /metrics as fast as it answers, until the run is over.
(
	i=0
	while [ ! -e "$T/run.done" ]; do
		i=$((i + 1))
		curl -s -o "$T/scrape.$i" "http://127.0.0.1:$PORT/metrics" || rm -f "$T/scrape.$i"
		sleep 0.05
	done
) &
scraper=$!

PGPASSWORD=pg-secret-not-for-hooks AWS_SECRET_ACCESS_KEY=aws-secret-not-for-hooks \
	run "$CUTOVER" -c "$CONF" run --yes
touch "$T/run.done"
wait "$scraper"
rc_is 0 "run --yes reaches post_validation with hooks that fail and hang"
run_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$LAB/state/state.json")

# --- the driver's hooks
phases="pre_validation sync_wait drain final_sync stop_replication sequence_sync switch post_validation"
want=$(for p in $phases; do printf 'phase.started %s\nphase.done %s\n' "$p" "$p"; done)
got=$(awk -F'\t' '$1 ~ /^phase\./ {print $1, $2}' "$T/driver.tsv")
is "$got" "$want" "the hook received all 16 phase events, in order"
is "$(awk -F'\t' '$1 ~ /^phase\./' "$T/driver.tsv" | wc -l | tr -d ' ')" 16 "16 phase events counted"
bad=$(awk -F'\t' -v id="$run_id" '$1 ~ /^phase\./ && ($3 != id || $4 != "lab" || $5 == "" || $6 == "")' "$T/driver.tsv")
is "$bad" "" "each had CUTOVER_RUN_ID, CUTOVER_ENVIRONMENT, CUTOVER_MSG and the seq"
bad=$(awk -F'\t' '$7 != $1 " " $6 || $8 != "yes"' "$T/driver.tsv")
is "$bad" "" "stdin and CUTOVER_EVENT_JSON held the same event, for every hook run"
is "$(cut -f9 "$T/driver.tsv" | sort -u | tr -d '\n')" "" "nothing else in a hook's environment (no PGPASSWORD, no AWS keys)"
is "$(grep -c $'^hook\.' "$T/driver.tsv")" 0 "any never ran for the hooks' own events"
like "$(cut -f1 "$T/driver.tsv" | tr '\n' ' ')" 'run\.started .*run\.armed .*run\.switched ' "run.started, run.armed and run.switched came too"

log=$("$CUTOVER" -c "$CONF" log --json)
n_any=$(wc -l <"$T/driver.tsv" | tr -d ' ')
n_done=$(printf '%s\n' "$log" | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["kind"] == "hook.done" and json.loads(l)["data"]["hook"] == "any"))')
is "$n_done" "$n_any" "every run of the any hook is logged as hook.done"
armed=$(printf '%s\n' "$log" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["kind"] == "hook.failed" and e["data"]["hook"] == "run.armed":
        print(e["data"]["exit_code"], e["data"]["output"])')
is "$armed" "3 failing on purpose" "the failing hook: hook.failed with its exit status and output"
hung=$(printf '%s\n' "$log" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if e["kind"] == "hook.failed" and e["data"]["hook"] == "run.switched":
        print(e["data"]["timed_out"], e["msg"])')
like "$hung" '^True .*timed out after 2 s' "the hanging hook was killed at its timeout and logged"
like "$log" 'recorded phase\.done password=\*\*\*\*\*\*\*\*' "hook output in the log is scrubbed"
unlike "$log" 'not-for-the-log|secret-not-for-hooks' "no secret reached the log"
pause=$(last_event run.switched | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["pause_seconds"])')
ok "$(python3 -c "print(int($pause < 2))")" = 1 "the hanging hook did not hold the write pause ($pause s)"
run "$CUTOVER" -c "$CONF" log --verify
rc_is 0 "the event log with the hooks' outcomes verifies"

# --- the watcher's hooks (watch --hooks, following the state directory)
for _ in $(seq 1 100); do
	grep -q $'^phase.done\tpost_validation' "$T/watcher.tsv" 2>/dev/null && break
	sleep 0.1
done
got=$(awk -F'\t' '$1 ~ /^phase\./ {print $1, $2}' "$T/watcher.tsv" 2>/dev/null)
is "$got" "$want" "watch --hooks ran the watcher's hook for all 16 phase events, in order"
first=$(head -1 "$T/watcher.tsv" 2>/dev/null | cut -f6)
ok "${first:-0}" -gt "$before" "the watcher's hooks did not replay the history before it joined"
bad=$(awk -F'\t' '$4 != "lab" || $9 != ""' "$T/watcher.tsv" 2>/dev/null)
is "$bad" "" "the watcher's hooks had the same variables and nothing more"
keys w q
tm kill-session -t w >/dev/null 2>&1

# --- /metrics during the run
n=$(find "$T" -maxdepth 1 -name 'scrape.*' -size +0 | wc -l)
ok "$n" -ge 3 "/metrics answered during the run ($n pages)"
parsed=$("$PARSER_PY" - "$T" <<'EOF'
import glob, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
pages = sorted(glob.glob(sys.argv[1] + "/scrape.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
bad = phases = lag = 0
seen = []
for p in pages:
    text = open(p).read()
    if not text:
        continue
    try:
        fams = {f.name: f for f in text_string_to_metric_families(text)}
    except Exception as e:
        bad += 1
        print("unparsable %s: %s" % (p, e), file=sys.stderr)
        continue
    n = fams["cutover_phase_number"].samples[0].value
    if not seen or seen[-1] != n:
        seen.append(n)
    if "cutover_replication_lag_seconds" in fams and any(
            s.labels.get("measure") == "end_to_end" for s in fams["cutover_replication_lag_seconds"].samples):
        lag += 1
print(bad, lag, " ".join(str(int(x)) for x in seen))
EOF
)
read -r bad lag seen <<<"$parsed"
is "$bad" 0 "every page parses with prometheus_client's OpenMetrics parser"
ok "${lag:-0}" -ge 1 "the pages carry the end-to-end lag series"
like "$seen" '^([1-2] )+.*8$' "the phase advances on the page, sync_wait to post_validation ($seen)"
ok "$(python3 -c "s='$seen'.split(); print(int(s == sorted(s, key=int)))")" = 1 "and never goes back"
unlike "$(cat "$T"/scrape.* 2>/dev/null)" 'secret|password|conninfo' "no credentials on the page"
missing=$(python3 - "$TOP_SRCDIR/docs/grafana-dashboard.json" "$T" <<'EOF'
import glob, json, re, sys
dash = json.load(open(sys.argv[1]))
names = set()
for p in dash["panels"]:
    for t in p.get("targets", []):
        names |= set(re.findall(r"cutover_[a-z_]+", t["expr"]))
pages = "".join(open(f).read() for f in glob.glob(sys.argv[2] + "/scrape.*"))
served = set(re.findall(r"^(cutover_[a-z_]+)", pages, re.M))
# Series the lab cannot show: no switch window when scraped, no AWS, no watcher.
maybe = {"cutover_switch_time_left_seconds", "cutover_aws_calls_total", "cutover_watchers"}
print(" ".join(sorted(n for n in names - served - maybe)))
EOF
)
is "$missing" "" "every series the Grafana dashboard graphs is on the page"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
is "$code" 000 "/metrics is gone once run has exited"

done_testing
