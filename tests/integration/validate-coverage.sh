#!/usr/bin/env bash
# Validation never passes over data it did not compare, on a schema richer
# than the lab's (tests/data/validate-rich.sql): multi-level range/list
# and hash partitions with defaults, published via the leaves and via the
# root, a table partitioned on the source and plain on the target, an
# unlogged table, a table left out of the publication, --table and
# exclude_tables patterns, a materialized view refreshed by sync_wait,
# and a large object. The schema check's differences are in
# validate-schema.sh.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"

RICH=$TOP_SRCDIR/tests/data/validate-rich.sql
DATA=$TOP_SRCDIR/tests/data/validate-rich-data.sql
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1" "$2"; }
# check NAME FILE: one check's object of a validation JSON, as JSON.
check() { py "print(json.dumps([c for c in d['checks'] if c['name'] == '$1'][0]))" "$2"; }
# entry CHECK TABLE FILE: one table's entry in a check.
entry() {
	python3 - "$3" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["checks"] if c["name"] == sys.argv[2]][0]
t = [t for t in c["tables"] if t["table"] == sys.argv[3]]
print(json.dumps(t[0], sort_keys=True) if t else "absent")
PY
}
# keys TABLE FILE: the differing keys the checksums name.
keys() {
	python3 - "$2" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["checks"] if c["name"] == "checksums"][0]
t = [t for t in c["tables"] if t["table"] == sys.argv[2]][0]
print(t["status"], sorted((",".join(f"{k}={v}" for k, v in x["key"].items()), x["diff"])
                          for x in t["mismatched_keys"]))
PY
}
psql_db() { local side=$1 db=$2; shift 2; PGDATABASE_TEST=$db psql_at "$side" "$@"; }

# wait_caught_up DB SLOT: every table ready and the source's position
# confirmed by the target.
wait_caught_up() {
	local db=$1 slot=$2 lsn
	for _ in $(seq 1 600); do
		[ "$(psql_db dst "$db" -c "select count(*) from pg_subscription_rel where srsubstate <> 'r'")" = 0 ] &&
			[ "$(psql_db dst "$db" -c 'select count(*) from pg_subscription_rel')" -gt 0 ] && break
		sleep 0.1
	done
	lsn=$(psql_db src "$db" -c 'select pg_current_wal_lsn()')
	for _ in $(seq 1 600); do
		[ "$(psql_db src "$db" -c "select count(*) from pg_replication_slots where slot_name = '$slot' and confirmed_flush_lsn >= '$lsn'")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# conf DB PUB SUB [extra lines]: a cutover.conf for one database pair.
conf() {
	local db=$1 pub=$2 sub=$3
	shift 3
	cat <<CONF
[cutover]
environment = test
state_dir = $PG_TMP/state-$db
[source]
conninfo = $(pg_conninfo src "$db")
[target]
conninfo = $(pg_conninfo dst "$db")
[replication]
provider = postgres
publication = $pub
subscription = $sub
[validation]
max_lag_seconds = 5
lag_hold_seconds = 1
jobs = 2
$(printf '%s\n' "$@")
[drain]
roles = app_rw
[switch]
# Arming checks that the switch command exists (readiness).
command = /bin/true
CONF
}

pg_start src || bail_out "no source cluster"
pg_start dst || bail_out "no target cluster"
for side in src dst; do
	psql_at "$side" -c 'create role app_rw' >/dev/null
	psql_at "$side" -c 'create database app' >/dev/null
	psql_at "$side" -c 'create database app2' >/dev/null
done

# app: the same layout on both sides, FOR ALL TABLES via the leaves; the
# target's materialized view created WITH NO DATA (as pg_dump
# --schema-only leaves it).
psql_db src app -v words_coll=en-x-icu -v matview_data=1 -f "$RICH" >/dev/null || bail_out "source schema"
psql_db dst app -v words_coll=C -f "$RICH" >/dev/null || bail_out "target schema"
psql_db src app -f "$DATA" >/dev/null || bail_out "source data"
psql_db src app -c 'refresh materialized view event_totals' >/dev/null
psql_db src app -c "select lo_from_bytea(4242, 'a large object the replication never sees')" >/dev/null
psql_db dst app -c "select lo_from_bytea(4242, 'a large object the replication never sees')" >/dev/null
psql_db src app -c 'create publication cutover_pub for all tables' >/dev/null
psql_db dst app -c "create subscription cutover_sub connection '$(pg_conninfo src app)' publication cutover_pub" >/dev/null 2>&1 ||
	bail_out "no subscription for app"

# app2: the target laid out its own way (events hash partitioned,
# measurements plain), published via the root, notes left out.
psql_db src app2 -v words_coll=C -v matview_data=1 -f "$RICH" >/dev/null || bail_out "source schema 2"
psql_db dst app2 -v words_coll=C -v matview_data=1 -v other_layout=1 -f "$RICH" >/dev/null || bail_out "target schema 2"
psql_db src app2 -f "$DATA" >/dev/null || bail_out "source data 2"
psql_db src app2 -c 'create publication cutover_pub2 for table events, accounts, measurements,
	words, ledger_books, ledger, "Billing"."Invoice Lines" with (publish_via_partition_root = true)' >/dev/null
psql_db dst app2 -c "create subscription cutover_sub2 connection '$(pg_conninfo src app2)' publication cutover_pub2" >/dev/null 2>&1 ||
	bail_out "no subscription for app2"
wait_caught_up app cutover_sub || bail_out "app did not catch up"
wait_caught_up app2 cutover_sub2 || bail_out "app2 did not catch up"
for db in app app2; do
	psql_db src "$db" -c 'analyze' >/dev/null
	psql_db dst "$db" -c 'analyze' >/dev/null
done

CONF1=$PG_TMP/app.conf
conf app cutover_pub cutover_sub >"$CONF1"
C1=(-c "$CONF1")
run "$CUTOVER" "${C1[@]}" setup
rc_is 0 "setup on app"
psql_db dst app -c 'refresh materialized view event_totals' >/dev/null
psql_db dst app -c 'create materialized view event_totals_2 as select 1 as x with no data' >/dev/null
psql_db src app -c 'create materialized view event_totals_2 as select 1 as x' >/dev/null
wait_caught_up app cutover_sub || bail_out "app did not catch up after setup"

# --- Via the leaves: the partitioned tables are compared at their root.
run "$CUTOVER" "${C1[@]}" validate --full --output "$PG_TMP/leaves.json"
rc_is 1 "an unlogged table is not replicated: the validation fails"
J=$PG_TMP/leaves.json
is "$(entry row_counts public.events "$J")" \
	'{"diff": 0, "partitions": 5, "source": 3000, "status": "pass", "table": "public.events", "target": 3000}' \
	"row_counts: a table partitioned on two levels counts once, at its root"
is "$(py 'c=[c for c in d["checks"] if c["name"]=="checksums"][0]; t=[t for t in c["tables"] if t["table"]=="public.events"][0]; print(t["status"], t["rows"], t["partitions"])' "$J")" \
	"pass 3000 5" "checksums: the partitioned table is compared whole"
is "$(entry row_counts public.accounts "$J" | py 'print(d["source"], d["target"], d["status"])' /dev/stdin)" \
	"1000 1000 pass" "hash partitions: counted at the root"
is "$(entry row_counts public.session_cache "$J")" \
	'{"coverage": "not_replicated", "detail": "unlogged: its changes are not written to the WAL, so replication cannot carry them", "diff": null, "source": null, "status": "fail", "table": "public.session_cache", "target": null}' \
	"the unlogged table fails row_counts, named as not replicated and why"
is "$(entry checksums public.session_cache "$J" | py 'print(d["status"], d["coverage"])' /dev/stdin)" \
	"fail not_replicated" "... and checksums"
is "$(check row_counts "$J" | py 'print(d["compared"], d["excluded"], d["not_replicated"])' /dev/stdin)" \
	"8 0 1" "row_counts counts compared, excluded and not replicated tables"
is "$(entry row_counts public.events_2024_eu "$J")" absent "no partition is listed on its own"
like "$OUT" 'row_counts +fail +8 tables counted; 1 not replicated' "the terminal summary says so"
like "$OUT" 'fail public.session_cache: unlogged' "... and names the table under the check"
like "$(check schema "$J")" '"kind": "materialized_view", "object": "public.event_totals_2", "table": "public.event_totals_2", "problem": "unpopulated_on_target"' \
	"schema: an unpopulated materialized view on the target is named"
is "$(check schema "$J" | py 'print(d["status"])' /dev/stdin)" fail "... and fails the schema check"
like "$(check schema "$J")" '"kind": "large_objects", "object": "large objects", "count": 1, "bytes": [0-9]+' \
	"a large object is listed with its size as not carried"
like "$(check schema "$J")" '"kind": "unlogged_table", "object": "public.session_cache"' \
	"the unlogged table is listed as not carried"

# Only a table that is not replicated: named, and no check passes over it.
run "$CUTOVER" "${C1[@]}" validate --quick --table public.session_cache --output "$J"
is "$(py 'print([(c["name"], c["status"], c["compared"], c["not_replicated"]) for c in d["checks"] if c["name"] in ("row_counts", "primary_keys")])' "$J")" \
	"[('row_counts', 'fail', 0, 1), ('primary_keys', 'error', 0, 1)]" \
	"a selection with nothing replicated: row_counts fails it by name, primary_keys compared nothing (error)"

# Excluded by pattern: listed as excluded, the checks pass.
conf app cutover_pub cutover_sub 'exclude_tables = public.session_*, "Billing".nothing' >"$CONF1"
psql_db dst app -c 'refresh materialized view event_totals_2' >/dev/null
run "$CUTOVER" "${C1[@]}" validate --full --output "$J"
rc_is 0 "with the unlogged table excluded the validation passes"
is "$(entry row_counts public.session_cache "$J" | py 'print(d["status"], d["coverage"], d["detail"])' /dev/stdin)" \
	"skip excluded excluded by exclude_tables (public.session_*)" "the excluded table is listed as excluded, with its pattern"
is "$(check checksums "$J" | py 'print(d["status"], d["compared"], d["excluded"], d["not_replicated"])' /dev/stdin)" \
	"pass 8 1 0" "checksums: 8 compared, 1 excluded"
like "$OUT" 'schema +warn' "schema warns about what is not carried (the large object)"

# A row changed in a leaf on the target.
psql_db dst app -c 'alter subscription cutover_sub disable' >/dev/null
psql_db dst app -c "update events_2024_us set amount = amount + 1 where id = 400" >/dev/null
psql_db dst app -c "delete from events_default where id = 7" >/dev/null
run "$CUTOVER" "${C1[@]}" validate --full --output "$J"
rc_is 1 "a row changed in a leaf on the target fails the validation"
id400=$(psql_db src app -c "select format('id=400,at=%s,region=%s', at, region) from events where id = 400")
id7=$(psql_db src app -c "select format('id=7,at=%s,region=%s', at, region) from events where id = 7")
is "$(keys public.events "$J")" "fail [('$id400', 'changed'), ('$id7', 'missing_on_target')]" \
	"checksums name the changed and the missing key of the partitioned table"
is "$(entry row_counts public.events "$J" | py 'print(d["source"], d["target"], d["status"])' /dev/stdin)" \
	"3000 2999 fail" "exact counts are summed over the leaves"
like "$OUT" 'changed +id=400, at=2024-08-04, region=us' "the terminal names the changed key"
like "$OUT" 'missing on target +id=7, at=' "... and the missing one, with their kind"
psql_db dst app -c "update events_2024_us set amount = amount - 1 where id = 400" >/dev/null
psql_db src app -c "copy (select * from events where id = 7) to stdout" | psql_db dst app -c "copy events from stdin" >/dev/null
psql_db dst app -c 'alter subscription cutover_sub enable' >/dev/null

# --table: patterns; a typo is a usage error; 0 compared is never a pass.
run "$CUTOVER" "${C1[@]}" validate --full --table public.flim
rc_is 2 "--table that matches nothing exits 2"
like "$OUT" 'validate: --table public.flim matches no table of the source' "... naming it"
run "$CUTOVER" "${C1[@]}" validate --quick --table public.Events
rc_is 0 "--table folds unquoted names to lower case"
run "$CUTOVER" "${C1[@]}" validate --quick --table '"Billing"."invoice lines"'
rc_is 2 "--table with a quoted name keeps its case"
like "$OUT" 'did you mean "Billing"."Invoice Lines"' "... and suggests the name it meant"
run "$CUTOVER" "${C1[@]}" validate --full --table '"Billing"."Invoice Lines"' --table 'public.ledger*' --output "$J"
rc_is 0 "--table with quoted mixed-case names and a wildcard"
is "$(check checksums "$J" | py 'print(sorted(t["table"] for t in d["tables"]), d["compared"])' /dev/stdin)" \
	"['Billing.Invoice Lines', 'public.ledger', 'public.ledger_books'] 3" "exactly the tables the patterns name"
run "$CUTOVER" "${C1[@]}" validate --full --table public.events_2024_eu --output "$J"
rc_is 0 "--table naming a partition compares its root"
is "$(check checksums "$J" | py 'print([t["table"] for t in d["tables"]])' /dev/stdin)" "['public.events']" "... the whole partitioned table"
is "$(entry row_counts public.events "$J" | py 'print(d["detail"])' /dev/stdin)" \
	"--table public.events_2024_eu names a partition: compared through its root" "... and says so"
run "$CUTOVER" "${C1[@]}" validate --full --table public.session_cache --output "$J"
rc_is 3 "a validation that compared no table (all excluded) is not a pass"
is "$(check row_counts "$J" | py 'print(d["status"], d["compared"], d["excluded"])' /dev/stdin)" "error 0 1" \
	"row_counts: error, 0 compared, 1 excluded"
like "$OUT" '^validation \(full\): could not run \(exit 3\): row_counts: compared no table' "the headline says it could not run"
run "$CUTOVER" "${C1[@]}" validate --quick --table 'public.no_such_*'
rc_is 2 "a pattern that matches nothing is a usage error too"

# sync_wait refreshes the materialized views on the target, before the fence.
psql_db dst app -c 'create materialized view event_totals_3 as select 1 as x with no data' >/dev/null
psql_db src app -c 'create materialized view event_totals_3 as select 1 as x' >/dev/null
psql_db src app -c "insert into events values (5000, '2024-03-01', 'eu', 'ok', 5, '{}', null, null)" >/dev/null
psql_db src app -c 'refresh materialized view event_totals' >/dev/null
wait_caught_up app cutover_sub || bail_out "app did not catch up"
run "$CUTOVER" "${C1[@]}" validate --quick --output "$J"
like "$(check schema "$J")" '"object": "public.event_totals_3".*"problem": "unpopulated_on_target"' "schema fails before sync_wait"
run "$CUTOVER" "${C1[@]}" run --dry-run
like "$OUT" 'REFRESH MATERIALIZED VIEW' "the dry run shows the refresh"
python3 - "$PG_TMP/state-app/state.json" <<'PY'
import json, sys
phases = ["pre_validation", "sync_wait", "drain", "final_sync", "stop_replication",
          "sequence_sync", "switch", "post_validation"]
st = {"version": 1, "run_id": "t", "environment": "test", "rehearsal": False,
      "phase": "sync_wait", "phase_status": "pending",
      "phases": [{"name": p, "status": "done" if i < 1 else "pending",
                  "started_at": None, "finished_at": None} for i, p in enumerate(phases)],
      "fenced": False, "replication": "forward", "switched": False}
json.dump(st, open(sys.argv[1], "w"))
PY
run "$CUTOVER" "${C1[@]}" run --until sync_wait --yes
rc_is 0 "sync_wait runs"
like "$("$CUTOVER" "${C1[@]}" log)" 'action.*refresh materialized views on the target' "the refresh is logged as an action"
is "$(psql_db dst app -c "select relispopulated from pg_class where relname = 'event_totals_3'")" t "the view is populated on the target"
is "$(psql_db dst app -c "select n from event_totals where region = 'eu'")" \
	"$(psql_db src app -c "select count(*) from events where region = 'eu'")" "a stale view is refreshed too"
run "$CUTOVER" "${C1[@]}" validate --quick --output "$J"
is "$(check schema "$J" | py 'print(d["status"], [x["object"] for x in d["differences"]])' /dev/stdin)" \
	"warn ['public.words.w']" "schema passes the views after the refresh (the collation and the large object warn)"
python3 - "$PG_TMP/state-app/state.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
st["phase"], st["phase_status"] = "sync_wait", "pending"
st["phases"][1]["status"] = "pending"
st["armed"] = False
json.dump(st, open(sys.argv[1], "w"))
PY
run "$CUTOVER" "${C1[@]}" run --until sync_wait --yes
rc_is 0 "sync_wait again"
L=$("$CUTOVER" "${C1[@]}" log)
like "$L" 'check .*already done: materialized view public.event_totals_3 is populated on the target and matches the source' \
	"the refresh is idempotent: the second time it only looks"
is "$(printf '%s\n' "$L" | grep -c 'action .*refresh materialized views on the target')" 2 \
	"... two refreshes in all (the unpopulated view and the stale one)"

# FOR ALL TABLES with publish_via_partition_root: the publication lists
# the roots; still compared once, and a changed leaf row is still named.
psql_db src app -c 'alter publication cutover_pub set (publish_via_partition_root = true)' >/dev/null
psql_db dst app -c 'alter subscription cutover_sub refresh publication with (copy_data = false)' >/dev/null
wait_caught_up app cutover_sub || bail_out "app did not catch up via the root"
is "$(psql_db src app -c "select count(*) from pg_publication_tables where pubname = 'cutover_pub' and tablename like 'events%'")" 1 \
	"via the root, the publication lists the partitioned table, not its leaves"
run "$CUTOVER" "${C1[@]}" validate --full --output "$J"
rc_is 0 "FOR ALL TABLES via the root: the validation passes"
is "$(entry row_counts public.events "$J" | py 'print(d["source"], d["target"], d["status"], d["partitions"])' /dev/stdin)" \
	"3001 3001 pass 5" "... the partitioned table counted at its root"
psql_db dst app -c 'alter subscription cutover_sub disable' >/dev/null
psql_db dst app -c "update events_2025 set kind = 'happy' where id = 600" >/dev/null
run "$CUTOVER" "${C1[@]}" validate --full --output "$J"
is "$(keys public.events "$J")" \
	"fail [('$(psql_db src app -c "select format('id=600,at=%s,region=%s', at, region) from events where id = 600")', 'changed')]" \
	"via the root, a row changed in a leaf on the target is named"
psql_db dst app -c "update events_2025 set kind = 'sad' where id = 600" >/dev/null
psql_db dst app -c 'alter subscription cutover_sub enable' >/dev/null

# --- Via the root, the target partitioned its own way: compared at the root.
CONF2=$PG_TMP/app2.conf
conf app2 cutover_pub2 cutover_sub2 >"$CONF2"
C2=(-c "$CONF2")
run "$CUTOVER" "${C2[@]}" setup
rc_is 0 "setup on app2"
wait_caught_up app2 cutover_sub2 || bail_out "app2 did not catch up after setup"
J2=$PG_TMP/root.json
run "$CUTOVER" "${C2[@]}" validate --full --output "$J2"
rc_is 1 "a table missing from the publication fails the validation"
is "$(entry row_counts public.notes "$J2" | py 'print(d["status"], d["coverage"], d["detail"])' /dev/stdin)" \
	"fail not_replicated not in publication cutover_pub2" "... named as not replicated: not in the publication"
is "$(entry row_counts public.measurements "$J2" | py 'print(d["source"], d["target"], d["status"], d["partitions"])' /dev/stdin)" \
	"2000 2000 pass 3" "partitioned on the source, plain on the target: counted"
is "$(entry checksums public.measurements "$J2" | py 'print(d["status"], d["rows"])' /dev/stdin)" \
	"pass 2000" "... and compared"
is "$(entry checksums public.events "$J2" | py 'print(d["status"], d["rows"])' /dev/stdin)" \
	"pass 3000" "range/list on the source, hash on the target: compared"
run "$CUTOVER" "${C2[@]}" validate --quick --output "$J2"
is "$(entry row_counts public.events "$J2" | py 'print(d["source"], d["target"], d["status"])' /dev/stdin)" \
	"3000 3000 pass" "--quick: a partitioned table's estimate is the sum over its leaves (not 0 / 0)"
conf app2 cutover_pub2 cutover_sub2 'exclude_tables = public.notes, public.session_cache' >"$CONF2"
run "$CUTOVER" "${C2[@]}" validate --full --output "$J2"
rc_is 0 "with those excluded it passes"
psql_db dst app2 -c 'alter subscription cutover_sub2 disable' >/dev/null
psql_db dst app2 -c "update measurements set v = -1 where sensor = 3 and at = '2024-01-01 00:02+00'" >/dev/null
psql_db dst app2 -c "update events set tags = '{changed}' where id = 2222" >/dev/null
run "$CUTOVER" "${C2[@]}" validate --full --output "$J2"
rc_is 1 "rows changed on a target partitioned differently fail"
is "$(keys public.measurements "$J2")" "fail [('sensor=3,at=2024-01-01 00:02:00+00', 'changed')]" \
	"the changed key of the plain target table is named"
is "$(keys public.events "$J2")" \
	"fail [('$(psql_db src app2 -c "select format('id=2222,at=%s,region=%s', at, region) from events where id = 2222")', 'changed')]" \
	"the changed key of the hash-partitioned target is named"

# The tables pane and status show a partitioned table once.
run "$CUTOVER" "${C1[@]}" status --json
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print([(t["table"], t.get("partitions")) for t in d["tables"] if "events" in t["table"]])')" \
	"[('public.events', 5)]" "status --json lists the partitioned table once, with its partitions"
run "$CUTOVER" "${C1[@]}" status
like "$OUT" 'public\.events .*\(5 partitions\)' "status text too"

done_testing
