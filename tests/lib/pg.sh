# shellcheck shell=bash
# tests/lib/pg.sh - throwaway PostgreSQL clusters (and pgbouncer) for the
# integration tests. Every test that needs a server sources this file:
#
#   . "$TOP_SRCDIR/tests/lib/pg.sh"
#   pg_start src               # initdb + start; sets src_PORT, src_DIR
#   pg_start dst "wal_level = logical"
#   psql_at src -c 'select 1'
#   pg_conninfo src            # host=127.0.0.1 port=... user=postgres dbname=postgres
#
# Clusters live under one temp directory, listen on 127.0.0.1 only, on
# free ports, and are stopped and removed by an EXIT trap however the test
# ends. As root, the servers run as an unprivileged user (initdb refuses
# root): $CUTOVER_PG_USER, else postgres, else nobody.

: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"

PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cutover-test.XXXXXX") || exit 1
chmod 755 "$PG_TMP"
PG_CLUSTERS=()
PG_PIDS=()

if [ "$(id -u)" = 0 ]; then
	PG_USER=${CUTOVER_PG_USER:-}
	if [ -z "$PG_USER" ]; then
		if id postgres >/dev/null 2>&1; then PG_USER=postgres; else PG_USER=nobody; fi
	fi
	as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
	PG_USER=$(id -un)
	as_pg() { "$@"; }
fi

pg_teardown() {
	local name dir pid
	for name in "${PG_CLUSTERS[@]}"; do
		dir=$PG_TMP/$name
		[ -f "$dir/data/postmaster.pid" ] &&
			as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1
	done
	for pid in "${PG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$PG_TMP"
}
trap 'pg_teardown' EXIT
trap 'exit 130' INT TERM

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# pg_start NAME [postgresql.conf lines...]
pg_start() {
	local name=$1 dir port
	shift
	dir=$PG_TMP/$name
	mkdir -p "$dir"
	chown "$PG_USER" "$dir" 2>/dev/null || true
	as_pg "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	PG_CLUSTERS+=("$name")
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		{
			echo "listen_addresses = '127.0.0.1'"
			echo "port = $port"
			echo "unix_socket_directories = '$dir'"
			echo "fsync = off"
			echo "wal_level = logical"
			echo "max_wal_senders = 20"
			echo "max_replication_slots = 20"
			echo "max_logical_replication_workers = 16"
			echo "max_worker_processes = 32"
			echo "shared_buffers = 64MB"
			echo "log_min_messages = warning"
			local line
			for line in "$@"; do echo "$line"; done
		} >"$dir/data/postgresql.auto.conf"
		if as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
			-t 60 start >/dev/null 2>&1; then
			printf -v "${name}_PORT" '%s' "$port"
			printf -v "${name}_DIR" '%s' "$dir"
			return 0
		fi
	done
	cat "$dir/server.log" >&2
	return 1
}

pg_stop() { # NAME [mode]
	as_pg "$PG_BINDIR/pg_ctl" -D "$PG_TMP/$1/data" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1
}

pg_restart() { # NAME
	as_pg "$PG_BINDIR/pg_ctl" -D "$PG_TMP/$1/data" -l "$PG_TMP/$1/server.log" \
		-m fast -w -t 60 restart >/dev/null 2>&1
}

pg_port() { local v="${1}_PORT"; printf '%s' "${!v}"; }

pg_conninfo() { # NAME [dbname]
	printf 'host=127.0.0.1 port=%s user=postgres dbname=%s' "$(pg_port "$1")" "${2:-postgres}"
}

psql_at() { # NAME [psql args...]: quiet, unaligned, tuples only, stop on error
	local name=$1
	shift
	psql "host=127.0.0.1 port=$(pg_port "$name") user=postgres dbname=${PGDATABASE_TEST:-postgres}" \
		-X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# pgbouncer_start NAME DBNAME TARGET_CLUSTER: pgbouncer in front of a
# cluster, transaction pooling, trust auth, admin console for postgres;
# the [databases] entries live in NAME.databases.ini (%include'd) so a
# switch can rewrite them. Sets NAME_PORT and NAME_DBFILE.
pgbouncer_start() {
	local name=$1 db=$2 cluster=$3 dir port
	dir=$PG_TMP/$name
	mkdir -p "$dir"
	port=$(free_port)
	printf '%s = host=127.0.0.1 port=%s dbname=%s\n' "$db" "$(pg_port "$cluster")" "$db" \
		>"$dir/databases.ini"
	printf '"postgres" ""\n"app_rw" ""\n' >"$dir/users.txt"
	cat >"$dir/pgbouncer.ini" <<INI
[databases]
%include $dir/databases.ini
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
ignore_startup_parameters = extra_float_digits,options
INI
	chown -R "$PG_USER" "$dir" 2>/dev/null || true
	as_pg pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1 || return 1
	for _ in $(seq 1 50); do
		[ -f "$dir/pgbouncer.pid" ] && break
		sleep 0.1
	done
	PG_PIDS+=("$(cat "$dir/pgbouncer.pid")")
	printf -v "${name}_PORT" '%s' "$port"
	printf -v "${name}_DBFILE" '%s' "$dir/databases.ini"
}
