#!/usr/bin/env bash
# cutover lab: up from nothing, replication to state r, counts that match,
# pgbouncer as the application's endpoint, a load through it judged clean,
# a deleted transfer judged lost, and down leaving nothing behind.
. "$TOP_SRCDIR/tests/lib/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/cutover-lab-test.XXXXXX") || exit 1
LAB=$T/lab
teardown() {
	"$CUTOVER" lab down --dir "$LAB" >/dev/null 2>&1
	rm -rf "$T"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# jq-less JSON: jget 'EXPR' reads a JSON document on stdin, prints d EXPR.
jget() { python3 -c "import json,sys; d=json.load(sys.stdin); v=d$1; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)"; }
port() { jget "['$1']['port']" <"$LAB/lab.json"; }
psql_on() { # PORT [psql args...] (as postgres, database app)
	local p=$1
	shift
	psql "host=127.0.0.1 port=$p user=postgres dbname=app" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# As root the servers run as an unprivileged user, who must be able to
# reach the lab: mktemp's 0700 directory is refused, naming it.
if [ "$(id -u)" = 0 ]; then
	run "$CUTOVER" lab up --dir "$LAB" --rows 20000
	is "$RC" 2 "lab up refuses a directory the lab user cannot reach"
	like "$OUT" "cannot enter $T" "... and names the directory in the way"
	ok ! -e "$LAB" "... and leaves nothing behind"
fi
chmod 755 "$T"

# A directory that is not a lab is never taken over or removed.
mkdir "$T/other" && echo keep >"$T/other/file"
run "$CUTOVER" lab up --dir "$T/other" --rows 20000
is "$RC" 2 "lab up refuses a non-empty directory that is not a lab"
run "$CUTOVER" lab down --dir "$T/other"
is "$RC" 2 "lab down refuses a directory that is not a lab"
ok -f "$T/other/file" "... and leaves it alone"

start=$(date +%s)
run "$CUTOVER" lab up --dir "$LAB" --rows 20000
is "$RC" 0 "lab up --rows 20000 from nothing"
[ "$RC" = 0 ] || { diag "$OUT"; bail_out "the lab did not come up"; }
diag "lab up took $(($(date +%s) - start)) s"
like "$OUT" "cutover -c $LAB/cutover.conf" "it prints the command that opens the console"

SRC=$(port source)
DST=$(port target)
BNC=$(port pgbouncer)
tables="accounts transfers ledger_entries daily_balances payment_methods account_statements audit_log"

# Replication: every published table in state r, row counts equal.
ntables=$(psql_on "$SRC" -c "select count(*) from pg_publication_tables where pubname = 'cutover_pub'")
ok "$ntables" -ge 9 "the publication has the 7 tables and the cutover schema's ($ntables)"
is "$(psql_on "$DST" -c "select count(*) filter (where srsubstate = 'r') || '/' || count(*) from pg_subscription_rel")" \
	"$ntables/$ntables" "every table of the subscription is in state r"
total=0
mismatch=
for t in $tables; do
	s=$(psql_on "$SRC" -c "select count(*) from $t")
	d=$(psql_on "$DST" -c "select count(*) from $t")
	[ "$s" = "$d" ] || mismatch="$mismatch $t:$s/$d"
	total=$((total + s))
done
is "$mismatch" "" "source and target row counts match for every table"
is "$total" 20000 "the tables hold --rows rows in all"
is "$(psql_on "$SRC" -c "select count(*) from pg_constraint where contype = 'p' and conrelid::regclass::text in ('payment_methods', 'daily_balances', 'audit_log')")" \
	2 "a uuid key, a composite key, and a table without one"
is "$(psql_on "$SRC" -c "select atttypid::regtype from pg_attribute where attrelid = 'payment_methods'::regclass and attname = 'id'")" \
	uuid "payment_methods is uuid-keyed"
is "$(psql_on "$SRC" -c "select string_agg(distinct format_type(atttypid, null), ',')
	from pg_attribute where attrelid = 'account_statements'::regclass and attnum > 0
	and format_type(atttypid, null) in ('numeric', 'timestamp with time zone', 'jsonb', 'bytea')")" \
	"bytea,jsonb,numeric,timestamp with time zone" "the wide table has numeric, timestamptz, jsonb and bytea"
is "$(psql_on "$SRC" -c "select count(*) filter (where metadata is null) > 0
	and count(*) filter (where delivered_at is null) > 0 from account_statements")" t \
	"the wide table holds NULLs"
is "$(psql_on "$DST" -c "select count(*) from cutover.heartbeat")" 1 \
	"the cutover schema is set up and its heartbeat row replicated"
is "$(psql_on "$SRC" -c "show listen_addresses")" 127.0.0.1 "the source listens on loopback only"
is "$(psql_on "$DST" -c "show wal_level")" logical "the target can publish too (reverse replication)"
owner=$(ps -o user= -p "$(head -1 "$LAB/source/data/postmaster.pid")")
owner_b=$(ps -o user= -p "$(cat "$LAB/pgbouncer/pgbouncer.pid")")
if [ "$(id -u)" = 0 ]; then
	ok "$owner" != root "as root, the servers run unprivileged ($owner)"
	ok "$owner_b" != root "as root, pgbouncer runs unprivileged ($owner_b)"
else
	is "$owner" "$(id -un)" "the servers run as the user"
fi

# pgbouncer: the application's endpoint, as app_rw; its admin console.
is "$(psql "host=127.0.0.1 port=$BNC user=app_rw dbname=app" -X -A -t -c 'select current_user')" \
	app_rw "pgbouncer answers as app_rw"
like "$(psql "host=127.0.0.1 port=$BNC user=postgres dbname=pgbouncer" -X -A -t -c 'show config' 2>&1)" \
	'pool_mode\|transaction' "pgbouncer pools by transaction"
like "$(cat "$LAB/pgbouncer/pgbouncer.ini")" "^%include $LAB/pgbouncer/databases.ini" \
	"pgbouncer.ini includes the databases file the switch rewrites"

# cutover.conf: complete, and the setup was logged in the run's event log.
conf=$(cat "$LAB/cutover.conf")
like "$conf" '^provider = postgres$' "cutover.conf: provider = postgres"
like "$conf" "^pgbouncer_databases_file = $LAB/pgbouncer/databases.ini\$" "cutover.conf: the databases file"
like "$conf" "^pgbouncer_target = host=127.0.0.1 port=$DST dbname=app\$" "cutover.conf: the switch's new entry"
like "$conf" "^pgbouncer_admin = host=127.0.0.1 port=$BNC dbname=pgbouncer user=postgres\$" \
	"cutover.conf: pgbouncer's admin console"
run "$CUTOVER" -c "$LAB/cutover.conf" log --verify
is "$RC" 0 "cutover.conf loads and the setup's event log verifies"

# Up again: says so, breaks nothing.
run "$CUTOVER" lab up --dir "$LAB" --rows 20000
is "$RC" 0 "lab up on a lab that is up exits 0"
like "$OUT" "already up" "... and says it is already up"
is "$(port source)" "$SRC" "... and keeps its servers"

# A load through pgbouncer, judged.
run "$CUTOVER" lab load --dir "$LAB" --rate 50 --duration 5 --clients 4
is "$RC" 0 "lab load --rate 50 --duration 5 starts"
sleep 2
clients=$(psql "host=127.0.0.1 port=$BNC user=postgres dbname=pgbouncer" -X -A -t -F ' ' -c 'show clients' |
	awk '$1 == "C" && $2 == "app_rw" && $3 == "app"' | wc -l)
is "$clients" 4 "its 4 clients are pgbouncer's, as app_rw"
run "$CUTOVER" lab load --dir "$LAB" --rate 50 --duration 5
is "$RC" 1 "a second load while one runs is refused"
for _ in $(seq 1 60); do
	[ "$("$CUTOVER" lab status --dir "$LAB" --json | jget "['load']['running']")" = false ] && break
	sleep 0.5
done
run "$CUTOVER" lab status --dir "$LAB" --json
is "$RC" 0 "lab status --json exits 0 after a clean load"
json=$OUT
committed=$(jget "['load']['committed']" <<<"$json")
ok "$committed" -ge 200 "the load committed about 250 transactions ($committed)"
is "$(jget "['load']['failed']" <<<"$json")" 0 "0 failed transactions"
is "$(jget "['load']['lost']" <<<"$json")" 0 "0 lost transactions"
is "$(jget "['load']['duplicated']" <<<"$json")" 0 "0 duplicated transactions"
is "$(jget "['load']['judged_on']" <<<"$json")" source "judged on the source, where the application points"
is "$(jget "['load']['exit_status']" <<<"$json")" 0 "pgbench exited 0"
is "$(jget "['load']['passed']" <<<"$json")" true "the load passed"
is "$(psql_on "$SRC" -c "select count(*) from transfers where client_ref like 'L1-%'")" "$committed" \
	"the source holds exactly the transfers pgbench committed"
is "$(jget "['load']['balance_total']['ok']" <<<"$json")" true "the balances still add up"
ok "$(jget "['load']['max_latency_ms']" <<<"$json" | cut -d. -f1)" -gt 0 "the longest transaction is measured"
ok "$(jget "['load']['max_commit_gap_ms']" <<<"$json" | cut -d. -f1)" -gt 0 "the longest gap between commits is measured"
ls "$LAB"/load/1/txn.* >/dev/null 2>&1
is "$?" 0 "pgbench's per-transaction log is kept in the lab"

# The judge can fail: a committed transfer deleted on the primary is lost.
ref=$(psql_on "$SRC" -c "select client_ref from transfers where client_ref like 'L1-%' order by id desc limit 1")
psql_on "$SRC" -c "with t as (select id from transfers where client_ref = '$ref'),
	l as (delete from ledger_entries where transfer_id in (select id from t))
	delete from transfers where id in (select id from t)"
run "$CUTOVER" lab status --dir "$LAB" --json
is "$RC" 1 "lab status exits 1 when a transaction is lost"
is "$(jget "['load']['lost']" <<<"$OUT")" 1 "1 lost transaction"
is "$(jget "['load']['lost_refs']" <<<"$OUT")" "[\"$ref\"]" "the lost transaction is named ($ref)"
is "$(jget "['load']['passed']" <<<"$OUT")" false "the load no longer passes"
run "$CUTOVER" lab status --dir "$LAB"
like "$OUT" "verdict +failed: 1 lost transaction \\($ref\\)" "the human status says so"

# ... and a client error is a failed transaction: a load against a
# database that refuses the application's writes.
psql_on "$SRC" -c "revoke insert on ledger_entries from app_rw"
run "$CUTOVER" lab load --dir "$LAB" --rate 20 --duration 2 --clients 2
for _ in $(seq 1 40); do
	[ "$("$CUTOVER" lab status --dir "$LAB" --json | jget "['load']['running']")" = false ] && break
	sleep 0.25
done
run "$CUTOVER" lab status --dir "$LAB" --json
is "$RC" 1 "lab status exits 1 when clients failed"
is "$(jget "['load']['id']" <<<"$OUT")" 2 "it judges the latest load"
is "$(jget "['load']['failed']" <<<"$OUT")" 2 "both clients' failures are counted"
like "$(jget "['load']['verdict']" <<<"$OUT")" "2 clients aborted by an error .*permission denied" \
	"the verdict names pgbench's error"
psql_on "$SRC" -c "grant insert on ledger_entries to app_rw"

# Down: every process stopped (a zombie counts: PID 1 may not reap), the
# directory gone.
pids="$(head -1 "$LAB/source/data/postmaster.pid") $(head -1 "$LAB/target/data/postmaster.pid") $(cat "$LAB/pgbouncer/pgbouncer.pid")"
kids=
for p in $pids; do kids="$kids $(ps -o pid= --ppid "$p" | tr '\n' ' ')"; done
load_pids=
for l in "$LAB"/load/*/load.json; do
	load_pids="$load_pids $(jget "['pid']" <"$l") $(jget "['monitor_pid']" <"$l")"
done
run "$CUTOVER" lab down --dir "$LAB"
is "$RC" 0 "lab down exits 0"
left=
for p in $pids $kids $load_pids; do
	case $(ps -o stat= -p "$p" 2>/dev/null) in
	"" | Z*) ;;
	*) left="$left $p" ;;
	esac
done
is "$left" "" "no process of the lab is left (servers, backends, pgbouncer, pgbench)"
ok ! -e "$LAB" "the lab directory is removed"
run "$CUTOVER" lab down --dir "$LAB"
is "$RC" 0 "lab down again: nothing to do"
run "$CUTOVER" lab status --dir "$LAB"
is "$RC" 1 "lab status without a lab exits 1"

done_testing
