# shellcheck shell=bash
# scripts/lib-install.sh - install what cutover's build, tests and lab need,
# on Debian or Ubuntu, only what is missing. Sourced by check and demo.

# Debian packages: build tools, libraries, servers and test tools.
CUTOVER_DEB_PACKAGES="build-essential autoconf automake autoconf-archive
pkg-config libncurses-dev libpq-dev libcurl4-openssl-dev libcjson-dev
libssl-dev libcmocka-dev pgbouncer tmux mandoc valgrind clang
libclang-rt-dev python3 python3-pip python3-psycopg2 shellcheck ca-certificates
postgresql-client curl python3-prometheus-client dpkg-dev debhelper lintian
librsvg2-bin strace"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

deb_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			printf '%s ' "$p"
	done
}

install_build_deps() {
	local missing pg='' node=''
	command -v apt-get >/dev/null 2>&1 || {
		echo "not a Debian/Ubuntu system: install the packages listed in README.md by hand"
		return 0
	}
	# PostgreSQL server binaries: any of 15, 16, 17; else install 15.
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pg=postgresql-15
	# Node.js and npm (for the workflow and Terraform checks) may come from
	# elsewhere (nodesource bundles npm): only install them when absent.
	command -v npm >/dev/null 2>&1 || node="nodejs npm"
	# shellcheck disable=SC2086
	missing=$(deb_missing $CUTOVER_DEB_PACKAGES $pg ${node:-})
	if [ -n "$missing" ]; then
		echo "apt-get install $missing"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || return 1
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null || {
			# postgresql-15 is not in every release: fall back to the default.
			[ -n "$pg" ] && missing=${missing//postgresql-15/postgresql}
			# shellcheck disable=SC2086
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null || return 1
		}
	fi
	install_infra_tools || return 1
	if ! python3 -c 'import moto' >/dev/null 2>&1; then
		echo "pip install moto[server]"
		python3 -m pip install -q 'moto[server]' 2>/dev/null ||
			python3 -m pip install -q --break-system-packages 'moto[server]' || return 1
	fi
	return 0
}

# The npm packages the infrastructure checks use (tests/infra/package.json,
# exact versions in its package-lock.json), into tests/infra/node_modules
# (gitignored). `npm ci` only when they are missing or the lock changed.
install_infra_tools() {
	local dir
	dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/infra"
	command -v npm >/dev/null 2>&1 || {
		echo "npm is not installed: the infrastructure checks will be skipped"
		return 0
	}
	if [ -f "$dir/node_modules/.package-lock.json" ] &&
		[ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		return 0
	fi
	echo "npm ci (tests/infra)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
}
