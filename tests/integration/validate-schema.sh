#!/usr/bin/env bash
# The schema check names every difference that would hurt after the
# switch, one case per kind (tests/data/validate-rich.sql on both sides,
# then the target damaged one way per kind); text keys in two collations
# are bisected without false differences; a sequence the migrator cannot
# read is an error and sequence_sync refuses to guess.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"

RICH=$TOP_SRCDIR/tests/data/validate-rich.sql
DATA=$TOP_SRCDIR/tests/data/validate-rich-data.sql
psql_db() { local side=$1 db=$2; shift 2; PGDATABASE_TEST=$db psql_at "$side" "$@"; }
src() { psql_db src app "$@"; }
dst() { psql_db dst app "$@"; }

pg_start src || bail_out "no source cluster"
pg_start dst || bail_out "no target cluster"
psql_at src -c 'create role app_ro' >/dev/null
for side in src dst; do
	psql_at "$side" -c 'create role app_rw' >/dev/null
	psql_at "$side" -c 'create database app' >/dev/null
done
src -v words_coll=en-x-icu -v matview_data=1 -f "$RICH" >/dev/null || bail_out "source schema"
dst -v words_coll=C -v matview_data=1 -f "$RICH" >/dev/null || bail_out "target schema"
src -f "$DATA" >/dev/null || bail_out "source data"
dst -f "$DATA" >/dev/null || bail_out "target data"
for side in src dst; do
	psql_db "$side" app -c 'refresh materialized view event_totals' >/dev/null
done
src -c 'create publication cutover_pub for all tables' >/dev/null

STATE=$PG_TMP/state
CONF=$PG_TMP/cutover.conf
cat >"$CONF" <<CONF
[cutover]
environment = test
state_dir = $STATE
[source]
conninfo = $(pg_conninfo src app)
[target]
conninfo = $(pg_conninfo dst app)
[replication]
provider = postgres
[validation]
jobs = 2
[drain]
roles = app_rw, app_ro
CONF
C=(-c "$CONF")
J=$PG_TMP/v.json

run "$CUTOVER" "${C[@]}" validate --quick --output "$J"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="schema"][0]; print(sorted((x["kind"], x["object"], x["attribute"], x["status"]) for x in c["differences"]))' "$J")" \
	"[('column', 'public.words.w', 'collation', 'warn'), ('role', 'app_ro', None, 'fail')]" \
	"the same schema on both sides: only the collation of words.w and the role app_ro differ"

# One difference of each kind, on one side or the other.
src >/dev/null <<'SQL'
CREATE SCHEMA reporting;
CREATE TABLE only_src (id int PRIMARY KEY);
CREATE TABLE idt (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
ALTER TABLE measurements ADD CONSTRAINT measurements_v_key UNIQUE (sensor, at, v);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER ledger_touch BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TYPE mood ADD VALUE 'angry';
CREATE SEQUENCE src_only_seq;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION hstore;
SELECT lo_from_bytea(4242, 'not carried');
SQL
dst >/dev/null <<'SQL'
CREATE TABLE idt (id int PRIMARY KEY);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
ALTER TABLE ledger_books DROP COLUMN title;
ALTER TABLE "Billing"."Invoice Lines" ALTER COLUMN "Amount" TYPE real;
ALTER TABLE notes ALTER COLUMN note SET NOT NULL;
ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;
ALTER TABLE accounts ALTER COLUMN name_upper DROP EXPRESSION;
ALTER TABLE ledger DROP CONSTRAINT ledger_pkey;
ALTER TABLE ledger ADD CONSTRAINT ledger_pkey PRIMARY KEY (entry, book);
ALTER TABLE ledger DROP CONSTRAINT ledger_amount_small;
ALTER TABLE ledger DROP CONSTRAINT ledger_book_fkey;
DROP INDEX ledger_amount;
DROP INDEX events_body;
CREATE INDEX events_body ON events USING btree (id);
ALTER TABLE notes DISABLE TRIGGER notes_fill;
ALTER DOMAIN cents DROP CONSTRAINT cents_check;
CREATE OR REPLACE VIEW big_accounts AS SELECT id, name FROM accounts WHERE balance > 2000;
REFRESH MATERIALIZED VIEW event_totals WITH NO DATA;
ALTER SEQUENCE invoice_numbers INCREMENT BY 5;
DROP PROCEDURE touch_note(int);
CREATE OR REPLACE FUNCTION add_cents(a cents, b cents) RETURNS cents LANGUAGE sql
    IMMUTABLE AS 'SELECT a + b + 0';
CREATE EXTENSION hstore VERSION '1.4';
REVOKE INSERT ON notes FROM app_rw;
ALTER TABLE notes ADD COLUMN must text NOT NULL DEFAULT 'x';
ALTER TABLE notes ALTER COLUMN must DROP DEFAULT;
DROP INDEX notes_code;
INSERT INTO notes VALUES (1000, 'dup', 'c1', 'x');
SQL
# A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind.
dst -c 'create unique index concurrently notes_code on notes (code)' >/dev/null 2>&1
is "$(dst -c "select indisvalid from pg_index where indexrelid = 'notes_code'::regclass")" f \
	"the target holds an invalid index (a failed CREATE INDEX CONCURRENTLY)"

run "$CUTOVER" "${C[@]}" validate --quick --output "$J"
ok "$RC" != 0 "the differences fail the validation (no replication here: the lag check cannot run)"
python3 - "$J" >"$PG_TMP/items" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["checks"] if c["name"] == "schema"][0]
for x in c["differences"]:
    print("|".join(str(x[k]) for k in ("kind", "object", "problem", "attribute", "status")))
for x in c["not_carried"]:
    print("|".join(str(x.get(k)) for k in ("kind", "object", "count", "status")))
print("status|" + c["status"])
PY
diag "$(cat "$PG_TMP/items")"
item() { # LINE DESCRIPTION: the item is named, with its status
	if grep -qxF -- "$1" "$PG_TMP/items"; then pass "$2"; else fail "$2" "no item $1"; fi
}
item "schema|reporting|missing_on_target|None|fail" "a missing schema fails"
item "table|public.only_src|missing_on_target|None|fail" "a missing table fails"
item "column|public.ledger_books.title|missing_on_target|None|fail" "a missing column fails"
item 'column|"Billing"."Invoice Lines"."Amount"|differs|type|fail' "a column type that differs fails (quoted names)"
item "column|public.notes.note|differs|not_null|fail" "NOT NULL on the target only fails"
item "column|public.accounts.balance|differs|default|fail" "a default missing on the target fails"
item "column|public.accounts.name_upper|differs|generated|fail" "a generated column that is plain on the target fails"
item "column|public.words.w|differs|collation|warn" "a collation that differs warns"
item "column|public.idt.id|differs|identity|fail" "an identity missing on the target fails"
item "column|public.notes.must|extra_on_target|None|fail" "a NOT NULL column without default only on the target fails"
item "primary_key|public.ledger.ledger_pkey|differs|definition|fail" "a primary key on other columns fails"
item "unique|public.measurements.measurements_v_key|missing_on_target|None|fail" "a missing unique constraint fails"
item "check|public.ledger.ledger_amount_small|missing_on_target|None|fail" "a missing check constraint fails"
item "foreign_key|public.ledger.ledger_book_fkey|missing_on_target|None|fail" "a missing foreign key fails"
item "index|public.ledger.ledger_amount|missing_on_target|None|fail" "a missing index fails"
item "index|public.notes.notes_code|invalid_on_target|valid|fail" "an invalid index on the target fails"
item "index|public.events.events_body|differs|definition|warn" "an index defined otherwise under the same name warns"
item "trigger|public.ledger.ledger_touch|missing_on_target|None|fail" "a missing trigger fails"
item "trigger|public.notes.notes_fill|disabled_on_target|enabled|fail" "a trigger disabled on the target fails"
item "enum|public.mood|differs|labels|fail" "enum labels that differ fail"
item "domain|public.cents|differs|constraints|warn" "a domain constraint that differs warns"
item "view|public.big_accounts|differs|definition|warn" "a view definition that differs warns"
item "materialized_view|public.event_totals|unpopulated_on_target|populated|fail" "an unpopulated materialized view fails"
item "sequence|public.invoice_numbers|differs|increment|fail" "a sequence increment that differs fails"
item "sequence|public.src_only_seq|missing_on_target|None|fail" "a missing sequence fails"
item "function|public.touch_note(IN i integer)|missing_on_target|None|fail" "a missing procedure fails"
item "function|public.add_cents(a public.cents, b public.cents)|differs|body|warn" "a function body that differs warns"
item "extension|pgcrypto|missing_on_target|None|fail" "a missing extension fails"
item "extension|hstore|differs|version|warn" "an extension version that differs warns"
item "grant|app_rw on public.notes|privileges_missing|privileges|fail" "a grant missing for an application role on the target fails"
item "role|app_ro|missing_on_target|None|fail" "an application role missing on the target fails"
item "large_objects|large objects|1|fail" "large objects missing on the target fail, with their count"
item "status|fail" "the schema check fails"
like "$OUT" 'schema +fail +[0-9]+ differences \([0-9]+ fail, [0-9]+ warn\)' "the terminal summary counts them"
like "$OUT" 'fail grant app_rw on public.notes: lacks INSERT on the target' "the terminal lists them"

# --table limits the check to a table's objects; exclude_tables leaves its out.
run "$CUTOVER" "${C[@]}" validate --quick --table public.ledger --output "$J"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="schema"][0]; print(sorted({x["table"] for x in c["differences"]}))' "$J")" \
	"['public.ledger']" "--table: only the table's objects are compared"
sed -i 's/^jobs = 2$/jobs = 2\nexclude_tables = public.ledger/' "$CONF"
run "$CUTOVER" "${C[@]}" validate --quick --output "$J"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="schema"][0]; print([x["object"] for x in c["differences"] if x["table"] == "public.ledger"], c["excluded"] > 0)' "$J")" \
	"[] True" "an excluded table's objects are counted as excluded, not named"
sed -i 's/^exclude_tables = public.ledger$//' "$CONF"

# Text keys in two collations: bisection finds the one real difference
# and no false ones ("C" on both sides, whatever each column's collation).
key=$(dst -c "select w from words order by w collate \"C\" offset 1234 limit 1")
dst -c "update words set n = -1 where w = '$key'" >/dev/null
run "$CUTOVER" "${C[@]}" validate --full --table public.words --output "$J"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="checksums"][0]; t=c["tables"][0]; print(t["status"], [(k["key"]["w"], k["diff"]) for k in t["mismatched_keys"]])' "$J")" \
	"fail [('$key', 'changed')]" "en-x-icu and C sort the keys differently: only the real difference is named"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="checksums"][0]; print(c["tables"][0]["mismatched_chunks"] >= 1, c["tables"][0]["chunks"] > 3)' "$J")" \
	"True True" "... found by bisection (the table is larger than one chunk)"

# A sequence the migrator cannot read: an error, never "unused".
psql_at src -c "create role migrator login" >/dev/null
src >/dev/null <<'SQL'
GRANT USAGE ON SCHEMA public, "Billing" TO migrator;
GRANT SELECT ON ALL TABLES IN SCHEMA public, "Billing" TO migrator;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO migrator;
REVOKE ALL ON SEQUENCE invoice_numbers FROM migrator;
SQL
MCONF=$PG_TMP/migrator.conf
sed "s/port=$(pg_port src) user=postgres/port=$(pg_port src) user=migrator/" "$CONF" >"$MCONF"
grep -q 'port='"$(pg_port src)"' user=migrator' "$MCONF" || bail_out "migrator config"
run "$CUTOVER" -c "$MCONF" validate --quick --output "$J"
rc_is 3 "a sequence the migrator cannot read makes the validation unable to conclude (exit 3)"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=[c for c in d["checks"] if c["name"]=="sequences"][0]; s=[s for s in c["sequences"] if s["sequence"]=="public.invoice_numbers"][0]; print(c["status"], s["status"], s["source"])' "$J")" \
	"error error None" "sequences: an error for it, not a pass over NULL"
like "$OUT" 'lacks SELECT or USAGE on sequence public.invoice_numbers' "the message names the sequence and the privilege"

# sequence_sync refuses to guess: a run resumed at that phase stops there.
python3 - "$STATE/state.json" <<'PY'
import json, os, sys
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
phases = ["pre_validation", "sync_wait", "drain", "final_sync", "stop_replication",
          "sequence_sync", "switch", "post_validation"]
st = {"version": 1, "run_id": "t", "environment": "test", "rehearsal": False,
      "phase": "sequence_sync", "phase_status": "pending",
      "phases": [{"name": p, "status": "done" if i < 5 else "pending",
                  "started_at": None, "finished_at": None} for i, p in enumerate(phases)],
      "fenced": False, "replication": "stopped", "switched": False}
json.dump(st, open(sys.argv[1], "w"))
PY
before=$(dst -c "select last_value from invoice_numbers")
run "$CUTOVER" -c "$MCONF" run --until sequence_sync --yes
ok "$RC" != 0 "sequence_sync fails (exit $RC)"
like "$OUT$("$CUTOVER" -c "$MCONF" log 2>&1)" 'sequence public.invoice_numbers cannot be read on the source' \
	"... naming the sequence it cannot read"
is "$(dst -c "select last_value from invoice_numbers")" "$before" "... and sets no sequence from a guess"

done_testing
