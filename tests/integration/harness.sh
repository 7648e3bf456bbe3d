#!/usr/bin/env bash
# The PostgreSQL test harness itself: clusters start on free loopback
# ports, unprivileged, and are always torn down, even when a test fails.
# shellcheck disable=SC2154 # pg_start sets NAME_PORT and NAME_DIR
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/pg.sh"

pg_start one || bail_out "cannot start a cluster"
pg_start two || bail_out "cannot start a second cluster"
ok "$one_PORT" != "$two_PORT" "two clusters on two ports"
is "$(psql_at one -c 'select 41 + 1')" 42 "the first cluster answers"
is "$(psql_at two -c 'show server_version_num' | cut -c1-2)" \
	"$("$PG_BINDIR/postgres" --version | sed 's/[^0-9]*\([0-9][0-9]\).*/\1/')" \
	"the server is the PostgreSQL of PG_BINDIR"
is "$(psql_at one -c 'show listen_addresses')" 127.0.0.1 "it listens on loopback only"
is "$(psql_at one -c 'show wal_level')" logical "wal_level is logical"
owner=$(ps -o user= -p "$(head -1 "$one_DIR/data/postmaster.pid")")
ok "$owner" != root "the server does not run as root ($owner)"

# A test that fails halfway still tears its clusters down.
out=$(bash -c '
	. "$TOP_SRCDIR/tests/lib/pg.sh"
	pg_start doomed >/dev/null || exit 3
	echo "$PG_TMP $(head -1 "$doomed_DIR/data/postmaster.pid")"
	false || exit 1
')
tmp=${out% *}
pid=${out#* }
ok -n "$pid" "the failing test had started a server"
sleep 0.5
# (A zombie is a stopped server whose parent is gone and PID 1 does not reap.)
state=$(ps -o stat= -p "$pid" 2>/dev/null)
case $state in
"" | Z*) pass "its server was stopped" ;;
*) fail "its server was left running ($state)" ;;
esac
ok ! -e "$tmp" "its temp directory was removed"

done_testing
