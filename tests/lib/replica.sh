# shellcheck shell=bash
# tests/lib/replica.sh - a source and a target cluster with native logical
# replication between them and a cutover.conf for them (provider postgres).
#
#   . "$TOP_SRCDIR/tests/lib/replica.sh"
#   replica_up SCHEMA.sql DATA.sql    # sets CONF, STATE, src/dst clusters
#   psql_app src -c '...'             # psql on database app
#   wait_replicated                   # every table in state r, caught up
#
# Sources pg.sh, so the clusters are torn down by its EXIT trap.

. "$TOP_SRCDIR/tests/lib/pg.sh"

psql_app() { # NAME [psql args...]
	local name=$1
	shift
	PGDATABASE_TEST=app psql_at "$name" "$@"
}

# Waits until every table of the subscription is ready and the source's
# current WAL position has been confirmed by the target.
wait_replicated() {
	local lsn
	for _ in $(seq 1 600); do
		[ "$(psql_app dst -c "select count(*) from pg_subscription_rel where srsubstate <> 'r'")" = 0 ] &&
			[ "$(psql_app dst -c 'select count(*) from pg_subscription_rel')" -gt 0 ] && break
		sleep 0.1
	done
	lsn=$(psql_app src -c 'select pg_current_wal_lsn()')
	for _ in $(seq 1 600); do
		[ "$(psql_app src -c "select count(*) from pg_replication_slots where slot_name = 'cutover_sub' and confirmed_flush_lsn >= '$lsn'")" = 1 ] && return 0
		sleep 0.1
	done
	echo "replication did not catch up" >&2
	return 1
}

replica_up() { # SCHEMA.sql [DATA.sql]
	pg_start src || return 1
	pg_start dst || return 1
	psql_at src -c 'create database app' >/dev/null || return 1
	psql_at dst -c 'create database app' >/dev/null || return 1
	psql_app src -f "$1" >/dev/null || return 1
	psql_app dst -f "$1" >/dev/null || return 1
	[ -n "${2:-}" ] && { psql_app src -f "$2" >/dev/null || return 1; }
	psql_app src -c 'create publication cutover_pub for all tables' >/dev/null || return 1
	psql_app dst -c "create subscription cutover_sub connection '$(pg_conninfo src app)' publication cutover_pub" \
		>/dev/null 2>&1 || return 1
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
max_lag_seconds = 2
jobs = 2
CONF
	wait_replicated
}
