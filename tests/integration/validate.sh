#!/usr/bin/env bash
# status and validate against two real PostgreSQL clusters with logical
# replication: a clean pass, named differences for integer, uuid and
# composite keys, sequences, tables without keys, stopped replication,
# hostile names, the JSON shape, and a server restarted mid-validation.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/replica.sh"

replica_up "$TOP_SRCDIR/tests/data/validate-schema.sql" \
	"$TOP_SRCDIR/tests/data/validate-data.sql" || bail_out "cannot set up replication"
C=(-c "$CONF")

run "$CUTOVER" "${C[@]}" setup --dry-run
rc_is 0 "setup --dry-run exits 0"
like "$OUT" 'CREATE TABLE IF NOT EXISTS cutover.heartbeat' "setup --dry-run prints the DDL"
is "$(psql_app src -c "select count(*) from pg_namespace where nspname = 'cutover'")" 0 \
	"setup --dry-run changes nothing"
run "$CUTOVER" "${C[@]}" setup
rc_is 0 "setup exits 0"
diag "$OUT"
run "$CUTOVER" "${C[@]}" setup
rc_is 0 "setup again is idempotent"
like "$("$CUTOVER" "${C[@]}" log)" 'setup: create the cutover schema on the source' "setup is logged"
wait_replicated

run "$CUTOVER" "${C[@]}" status --json
rc_is 0 "status --json exits 0"
STATUS=$OUT
py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$2"; }
is "$(py 'print(d["replication"]["provider"], d["replication"]["status"])' "$STATUS")" \
	"postgres running" "status: provider and status"
is "$(py 'print(sorted(d.keys()))' "$STATUS")" \
	"['driver', 'environment', 'phase', 'rehearsal', 'replication', 'tables']" "status: top-level keys"
is "$(py 'print(d["phase"])' "$STATUS")" "{'name': 'pre_validation', 'status': 'pending'}" "status: phase before a run"
is "$(py 'print(d["replication"]["tables_loaded"], d["replication"]["full_load_percent"])' "$STATUS")" \
	"11 100" "status: every table loaded (9 tables and the 2 of cutover)"
is "$(py 't=[x for x in d["tables"] if x["table"]=="public.accounts"][0]; print(t["state"], t["source_rows"], t["target_rows"])' "$STATUS")" \
	"replicating 20000 20000" "status: a table's state and rows"
like "$(py 'print(d["replication"]["lag_seconds"])' "$STATUS")" "'end_to_end'" "status: lag has source, target, end_to_end"
run "$CUTOVER" "${C[@]}" status
like "$OUT" 'replication  postgres: running' "status prints readable text"

run "$CUTOVER" "${C[@]}" validate --quick --output "$PG_TMP/quick.json"
rc_is 0 "quick validation passes with warnings"
like "$OUT" 'primary_keys +warn +1 of 9 tables without a primary key' "a table without a key warns primary_keys"
is "$(python3 -c 'import json,sys; print([c for c in json.load(open(sys.argv[1]))["checks"] if c["name"]=="primary_keys"][0]["tables_without_pk"])' "$PG_TMP/quick.json")" \
	"[{'table': 'public.audit_log', 'replica_identity': 'default'}]" "it is listed with its replica identity"
like "$OUT" 'checksums +skip' "quick validation skips checksums"
psql_app src -c 'alter table audit_log replica identity full' >/dev/null

run "$CUTOVER" "${C[@]}" validate --full --output "$PG_TMP/pass.json"
rc_is 0 "full validation passes on a faithful copy"
like "$OUT" 'primary_keys +warn .*1 of 9 tables without a primary key' "a table without a key but with replica identity full warns"
ok -f "$PG_TMP/pass.json" "--output writes the JSON"
ok -n "$(ls "$STATE"/validation/*-full.json 2>/dev/null)" "the result is kept under state_dir/validation"
python3 - "$PG_TMP/pass.json" <<'PY' >"$PG_TMP/shape.out" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d)[:6] == ["mode", "started_at", "finished_at", "environment", "passed", "checks"], list(d)
assert d["mode"] == "full" and d["passed"] is True and d["environment"] == "test"
names = [c["name"] for c in d["checks"]]
assert names == ["replication_status", "replication_lag", "row_counts", "checksums",
                 "sequences", "primary_keys", "schema"], names
c = {x["name"]: x for x in d["checks"]}
for x in d["checks"]:
    assert x["status"] in ("pass", "warn", "fail", "skip", "error")
    assert all(isinstance(x[k], int) for k in ("compared", "excluded", "not_replicated")), x
assert [c[n]["compared"] for n in ("row_counts", "checksums", "primary_keys")] == [9, 9, 9]
assert c["schema"]["status"] == "pass" and c["schema"]["differences"] == [], c["schema"]
assert c["replication_status"]["detail"] == "running"
assert isinstance(c["replication_lag"]["value_seconds"], (int, float))
assert c["replication_lag"]["threshold_seconds"] == 2
rc = {t["table"]: t for t in c["row_counts"]["tables"]}
assert set(rc["public.accounts"]) >= {"table", "source", "target", "diff", "status"}
assert rc["public.accounts"]["source"] == 20000 and rc["public.accounts"]["diff"] == 0
ck = {t["table"]: t for t in c["checksums"]["tables"]}
assert set(ck["public.accounts"]) >= {"table", "rows", "chunks", "mismatched_chunks", "mismatched_keys", "status"}
assert ck["public.accounts"]["rows"] == 20000 and ck["public.accounts"]["mismatched_keys"] == []
assert 'My Schema.We"ird Table' in ck and "public.select" in ck and "public.tablé_ünïcødé" in ck
assert ck['My Schema.We"ird Table']["status"] == "pass"
sq = {s["sequence"]: s for s in c["sequences"]["sequences"]}
assert set(sq["public.transfer_ids"]) >= {"sequence", "source", "target", "status"}
assert c["primary_keys"]["tables_without_pk"] == [{"table": "public.audit_log", "replica_identity": "full"}]
print("shape ok")
PY
is "$(tail -1 "$PG_TMP/shape.out")" "shape ok" "validate --output JSON matches INTERFACE.md field for field"
[ "$(tail -1 "$PG_TMP/shape.out")" = "shape ok" ] || diag "$(cat "$PG_TMP/shape.out")"

# Differences: stop replication, then change the target behind its back.
psql_app dst -c 'alter subscription cutover_sub disable' >/dev/null
psql_app dst >/dev/null <<'SQL'
UPDATE accounts SET balance = balance + 1 WHERE id = 4242;
DELETE FROM accounts WHERE id = 777;
INSERT INTO accounts VALUES (20001, 'extra', 1, now());
UPDATE items SET price = 0 WHERE id = md5('17')::uuid;
DELETE FROM items WHERE id = md5('2500')::uuid;
INSERT INTO items VALUES ('00000000-0000-0000-0000-000000000001', 'extra', 1);
UPDATE ledger SET amount = -1 WHERE book = 3 AND entry = 'e13';
DELETE FROM ledger WHERE book = 7 AND entry = 'e4007';
INSERT INTO ledger VALUES (11, 'extra', 1);
UPDATE "My Schema"."We""ird Table" SET "Col Umn" = 'changed' WHERE "select" = 5;
SQL
psql_app src -c "select setval('transfer_ids', 100000)" >/dev/null
psql_app src -c "insert into accounts values (30000, 'after the stop', 1, now())" >/dev/null

run "$CUTOVER" "${C[@]}" validate --full --output "$PG_TMP/fail.json"
rc_is 1 "full validation fails on a tampered copy"
like "$OUT" 'replication_status +fail +stopped: subscription disabled.*WAL retained on the source: [0-9]+ bytes' \
	"stopped replication fails replication_status and shows the WAL retained"
like "$OUT" 'sequences +warn +[0-9]+ of 2 sequences behind on the target \(expected until sequence_sync' \
	"before sequence_sync a sequence behind is a warning"
keys() { python3 - "$PG_TMP/fail.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ck = {t["table"]: t for c in d["checks"] if c["name"] == "checksums" for t in c["tables"]}
t = ck[sys.argv[2]]
print(t["status"], sorted((",".join(f"{k}={v}" for k, v in x["key"].items()), x["diff"]) for x in t["mismatched_keys"]))
PY
}
is "$(keys public.accounts)" \
	"fail [('id=20001', 'extra_on_target'), ('id=30000', 'missing_on_target'), ('id=4242', 'changed'), ('id=777', 'missing_on_target')]" \
	"integer key: exactly the changed, deleted and extra rows are named"
is "$(keys public.items)" \
	"fail [('id=00000000-0000-0000-0000-000000000001', 'extra_on_target'), ('id=$(psql_app src -c "select md5('17')::uuid")', 'changed'), ('id=$(psql_app src -c "select md5('2500')::uuid")', 'missing_on_target')]" \
	"uuid key: exactly those rows are named"
is "$(keys public.ledger)" \
	"fail [('book=11,entry=extra', 'extra_on_target'), ('book=3,entry=e13', 'changed'), ('book=7,entry=e4007', 'missing_on_target')]" \
	"composite key: exactly those rows are named"
is "$(keys 'My Schema.We"ird Table')" "fail [('select=5', 'changed')]" "hostile names: the changed row is named"
is "$(keys public.wide)" "pass []" "an untouched table still passes"
like "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([t for c in d["checks"] if c["name"]=="row_counts" for t in c["tables"] if t["table"]=="public.items"])' "$PG_TMP/fail.json")" \
	"'diff': 0, 'status': 'pass'" "row counts can match while rows differ"
run "$CUTOVER" "${C[@]}" validate --full --table public.ledger --jobs 1
rc_is 1 "--table limits the validation to one table and still fails it"
like "$OUT" 'checksums +fail +1 of 1 tables differ' "only that table is compared"

# Sampling compares a share of the rows and still finds gross damage.
psql_app dst -c 'delete from accounts where id % 2 = 0' >/dev/null
sed -i 's/^jobs = 2$/jobs = 2\nchecksum = sample:20/' "$CONF"
run "$CUTOVER" "${C[@]}" validate --full --table public.accounts
rc_is 1 "sample:20 finds rows missing all over a table"
like "$OUT" 'row_counts +fail' "sample mode counts exactly"

# A server restarted in the middle of a validation: an error or a
# reconnect, never a hang or a wrong pass. The target holds a lock on a
# table that differs, so the validation is surely inside its query when
# the target restarts; a pass would be wrong.
sed -i 's/^checksum = sample:20$//' "$CONF"
psql_app dst -c 'alter subscription cutover_sub enable' >/dev/null
psql_app src -c 'create table big (id bigint primary key, pad text)' >/dev/null
psql_app dst -c 'create table big (id bigint primary key, pad text)' >/dev/null
wait_replicated
psql_app src -c "insert into big select g, 'x' from generate_series(1, 1000) g" >/dev/null
wait_replicated
psql_app dst -c 'alter subscription cutover_sub disable' >/dev/null
psql_app dst -c "update big set pad = 'y' where id = 500" >/dev/null
psql_app dst -c 'begin; lock table big in access exclusive mode; select pg_sleep(60)' >/dev/null 2>&1 &
timeout 120 "$CUTOVER" "${C[@]}" validate --full --table public.big --jobs 1 >"$PG_TMP/restart.out" 2>&1 &
vpid=$!
for _ in $(seq 1 500); do
	[ "$(psql_app dst -c "select count(*) from pg_stat_activity where application_name = 'cutover' and wait_event_type = 'Lock'")" -gt 0 ] && break
	sleep 0.02
done
pg_restart dst
wait "$vpid"
vrc=$?
ok "$vrc" != 124 "a restart mid-validation does not hang it (exit $vrc)"
ok "$vrc" = 3 -o "$vrc" = 1 "it ends in an error or, reconnected, finds the difference: never a wrong pass"
like "$(cat "$PG_TMP/restart.out")" 'checksums +(error|fail)' "the outcome names the checksums check"
diag "$(grep checksums "$PG_TMP/restart.out")"

# After sequence_sync a sequence behind the source is a failure.
python3 - "$STATE/state.json" <<'PY'
import json, sys
phases = ["pre_validation", "sync_wait", "drain", "final_sync", "stop_replication",
          "sequence_sync", "switch", "post_validation"]
st = {"version": 1, "run_id": "t", "environment": "test", "rehearsal": False,
      "phase": "switch", "phase_status": "pending",
      "phases": [{"name": p, "status": "done" if i < 6 else "pending",
                  "started_at": None, "finished_at": None} for i, p in enumerate(phases)],
      "fenced": True, "replication": "stopped", "switched": False}
json.dump(st, open(sys.argv[1], "w"))
PY
run "$CUTOVER" "${C[@]}" validate --quick
like "$OUT" 'sequences +fail +[0-9]+ of 2 sequences behind on the target$' "after sequence_sync a sequence behind fails sequences"

done_testing
