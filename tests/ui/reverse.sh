#!/usr/bin/env bash
# The lag's truth and the way back, on two real replicated clusters with
# the console driving (it writes the heartbeat): caught up, the end-to-end
# lag reads under 0.1 s; with the subscription stopped for 3 s it reads
# about 3 s. After the switch `status --json` and the console follow the
# direction: reverse replication with a live lag, the target's slot, the
# table states, the rollback verdict; stopping the reverse subscription by
# hand turns the verdict into "would lose writes since ..." at the next
# refresh. (About 40 s.)
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/replica.sh"
. "$TOP_SRCDIR/tests/ui/lib.sh"

replica_up "$TOP_SRCDIR/tests/data/validate-schema.sql" \
	"$TOP_SRCDIR/tests/data/validate-data.sql" || bail_out "cannot set up replication"
psql_app src -c 'alter table audit_log replica identity full' >/dev/null
MPORT=$(free_port)
printf '[drain]\nroles = app_rw\n[switch]\nmethod = command\ncommand = true\n[metrics]\nlisten = 127.0.0.1:%s\n' "$MPORT" >>"$CONF"
sed -i 's/^jobs = 2$/jobs = 2\nlag_hold_seconds = 1/' "$CONF"
psql_app src -c 'create role app_rw login' >/dev/null
psql_app dst -c 'create role app_rw login' >/dev/null
"$CUTOVER" -c "$CONF" setup >/dev/null 2>&1 || bail_out "cutover setup failed"
wait_replicated
C="$CUTOVER -c $CONF"

# A field of `status --json` (python expression on d).
status_field() { # EXPR
	$C status --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
# Whether x is within [lo, hi].
within() { python3 -c "import sys; x=$1; sys.exit(0 if x is not None and $2 <= x <= $3 else 1)"; }
# Stops a subscription at once: disabled, its worker ended.
sub_stop() { # SIDE NAME
	psql_app "$1" -c "alter subscription $2 disable" >/dev/null
	psql_app "$1" -c "select pg_terminate_backend(pid) from pg_stat_subscription where subname = '$2' and pid is not null" >/dev/null
}

# A cutover schema from an earlier version (no seq column): pre_validation
# names it, and setup brings it up to date.
psql_app dst -c 'alter table cutover.heartbeat drop column seq' >/dev/null
run $C run --yes --until pre_validation
rc_is 1 "a heartbeat table without seq: pre_validation fails"
like "$OUT" 'cutover schema is missing on the target, or older than this cutover: run .cutover setup.' \
	"... and says to run cutover setup"
"$CUTOVER" -c "$CONF" setup >/dev/null 2>&1 || bail_out "cutover setup failed"
is "$(psql_app dst -c "select count(*) from pg_attribute where attrelid = 'cutover.heartbeat'::regclass and attname = 'seq'")" 1 \
	"cutover setup adds the column again"

term_start drv 200 40 || bail_out "tmux did not start"
term_run drv "$C console"
wait_screen drv 'e2e [0-9.]+s' 20
ok $? = 0 "the console writes the heartbeat and shows the end-to-end lag"

# Caught up: the lag is the heartbeat's of 100 ms, not a second's. The
# median of five readings, so one slow apply under load does not decide.
lags=()
for _ in 1 2 3 4 5; do
	lags+=("$(status_field "d['replication']['lag_seconds']['end_to_end']")")
	sleep 0.3
done
median=$(printf '%s\n' "${lags[@]}" | python3 -c 'import sys; v=sorted(float(x) if x != "None" else 99 for x in sys.stdin.read().split()); print(v[len(v)//2])')
diag "caught up, end-to-end lag readings: ${lags[*]}"
ok "$(python3 -c "print(int($median < 0.1))")" = 1 "caught up: the end-to-end lag reads under 0.1 s (median $median s)"
is "$(status_field "d['replication']['direction']")" forward "status --json: direction forward before any run"
is "$(status_field "d['replication']['reverse']")" None "status --json: no reverse object before the switch"

# Replication stopped for 3 s: the lag reads those 3 s (not the time the
# test took: the heartbeat's clocks say it).
sub_stop dst cutover_sub
sleep 3
lag=$(status_field "d['replication']['lag_seconds']['end_to_end']")
within "$lag" 2.5 6
ok $? = 0 "the subscription stopped for 3 s: the lag reads about 3 s ($lag s)"
psql_app dst -c 'alter subscription cutover_sub enable' >/dev/null
wait_replicated
for _ in $(seq 1 100); do
	lag=$(status_field "d['replication']['lag_seconds']['end_to_end']")
	within "$lag" 0 0.5 && break
	sleep 0.2
done
within "$lag" 0 0.5
ok $? = 0 "enabled again, the lag comes back down ($lag s)"

# The heartbeat's writer gone with the target caught up: stale, not 0.
keys drv q
wait_screen drv 'PROMPT\$' 10
sleep 3.5
lag=$(status_field "d['replication']['lag_seconds']['end_to_end']")
is "$lag" None "no heartbeat writer for 3 s: the lag is unknown, not 0"
run $C status
like "$OUT" 'end-to-end unknown \(no heartbeat writer\)' "status says the heartbeat has no writer"

# The switch, headless; then the console drives again (after the switch
# it writes the heartbeat on the target).
run $C run --yes
rc_is 0 "run --yes switches to the target"
term_run drv "$C console"
wait_screen drv 'rollback: lossless \(reverse replication [0-9.]+ s behind\)' 20
ok $? = 0 "the console shows the verdict: lossless, reverse replication's lag"
S=$(screen drv)
like "$S" 'reverse running, lag [0-9.]+s' "the replication pane shows reverse replication running"
like "$S" 'target slot cutover_rev_sub active, WAL' "... its slot on the target and its WAL"
like "$S" 'source slot cutover_sub inactive, WAL' "... the forward slot left on the source and its WAL ..."
like "$S" 'drop once' "... with the advice to drop it"
like "$S" 'back [0-9.]+s' "the lag pane shows the way back's lag"
like "$S" 'public\.accounts +reverse' "the tables pane says the tables replicate back"
unlike "$S" 'replicating' "no table says replicating after the switch"
diag "$S"
for _ in $(seq 1 50); do
	J=$($C status --json 2>/dev/null)
	lag=$(printf '%s' "$J" | python3 -c "import json,sys; print(json.load(sys.stdin)['replication']['reverse']['lag_seconds']['end_to_end'])")
	within "$lag" 0 2 && break
	sleep 0.2
done
is "$(printf '%s' "$J" | python3 -c "import json,sys; print(json.load(sys.stdin)['replication']['direction'])")" reverse \
	"status --json: direction reverse after the switch"
within "$lag" 0 2
ok $? = 0 "status --json: a live reverse end-to-end lag ($lag s)"
is "$(printf '%s' "$J" | python3 -c "import json,sys; r=json.load(sys.stdin)['replication']['reverse']; print(r['status'], r['slot']['name'], r['slot']['wal_retained_bytes'] >= 0)")" \
	"running cutover_rev_sub True" "status --json: reverse status, the target's slot and its WAL"
is "$(printf '%s' "$J" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['replication']['status'], d['replication']['slot']['active'])")" \
	"stopped False" "status --json: the forward replication stopped, its slot inactive"
is "$(printf '%s' "$J" | python3 -c "import json,sys; d=json.load(sys.stdin); print(sorted({t['state'] for t in d['tables']}))")" \
	"['reverse']" "status --json: every table's state is reverse"
like "$(printf '%s' "$J" | python3 -c "import json,sys; print(json.load(sys.stdin)['replication']['rollback'])")" \
	'^rollback: lossless \(reverse replication [0-9.]+ s behind\)$' "status --json: the rollback verdict"
is "$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['replication']; print(r['direction'], r['reverse']['status'])" "$STATE/snapshot.json")" \
	"reverse running" "the watch snapshot carries the direction and the reverse replication"

# /metrics: both directions, parsed by a real OpenMetrics parser.
got=$(/usr/bin/python3 - "$MPORT" <<'EOF'
import sys, urllib.request
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
fams = {f.name: f for f in text_string_to_metric_families(text)}
lag = [s for s in fams["cutover_replication_lag_seconds"].samples
       if s.labels.get("direction") == "reverse" and s.labels["measure"] == "end_to_end"]
print(len(lag), int(fams["cutover_rollback_lossless"].samples[0].value),
      sorted(s.labels["direction"] for s in fams["cutover_replication"].samples))
EOF
)
is "$got" "1 1 ['forward', 'reverse']" "/metrics: the reverse end-to-end lag, lossless, both directions' status"

# The reverse subscription stopped by hand: the next refresh says what a
# rollback would lose.
sub_stop src cutover_rev_sub
J=$($C status --json 2>/dev/null)
like "$(printf '%s' "$J" | python3 -c "import json,sys; print(json.load(sys.stdin)['replication']['rollback'])")" \
	'^rollback: would lose writes since [0-9]{2}:[0-9]{2}:[0-9]{2} \(reverse subscription disabled\)$' \
	"status --json at the next refresh: would lose writes since the last beat that came back"
is "$(printf '%s' "$J" | python3 -c "import json,sys; d=json.load(sys.stdin); print(sorted({t['state'] for t in d['tables']}))")" \
	"['stopped']" "status --json: the tables' state is stopped"
wait_screen drv 'rollback: would lose writes since [0-9]{2}:[0-9]{2}:[0-9]{2}' 5
ok $? = 0 "the console's verdict turns within two refreshes"
like "$(screen drv)" 'reverse stopped \(reverse subscription disabled\)' "the console says why"
run $C status
like "$OUT" 'rollback: would lose writes since' "status prints the verdict"
like "$OUT" 'reverse +stopped \(reverse subscription disabled\)' "status prints the reverse replication's state"

psql_app src -c 'alter subscription cutover_rev_sub enable' >/dev/null
wait_screen drv 'rollback: lossless' 20
ok $? = 0 "enabled again: lossless again"

# At 80x24 the verdict still leads the replication pane, and the lag
# chart's labels do not run into each other.
tm resize-window -t drv -x 80 -y 24
sleep 1.5
S=$(screen drv)
diag "$S"
like "$S" 'rollback: lossless' "80x24: the verdict is shown"
like "$S" '-5m +[^ ]+ ([^ ]+ )?[0-9.]+s +back now' "80x24: the lag chart's labels stand apart"
keys drv q
wait_screen drv 'PROMPT\$' 10
done_testing
