# shellcheck shell=bash
# tests/lib/tap.sh - TAP output for the shell tests.
#
#   . "$TOP_SRCDIR/tests/lib/tap.sh"
#   ok "$(cmd)" = x "description"     # test(1) expression
#   is "$got" "$want" "description"
#   like "$text" 'regex' "description"
#   skip "why"                          # one skipped case
#   done_testing                        # prints the plan, sets the exit code
#
# Exit status: non-zero when a case failed, so a crash shows too.

TAP_N=0
TAP_FAILED=0

: "${CUTOVER:=cutover}"
: "${TOP_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TOP_BUILDDIR:=$TOP_SRCDIR}"

tap_result() { # STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		printf 'ok %d - %s\n' "$TAP_N" "$2"
	else
		printf 'not ok %d - %s\n' "$TAP_N" "$2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

ok() { # test(1) EXPRESSION... DESCRIPTION
	local desc="${*: -1}"
	local n=$(($# - 1))
	if test "${@:1:$n}"; then tap_result 0 "$desc"; else tap_result 1 "$desc"; fi
}

pass() { tap_result 0 "$1"; }
fail() { tap_result 1 "$1"; [ $# -gt 1 ] && diag "$2"; return 0; }

is() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		diag "got:  $1"
		diag "want: $2"
	fi
}

like() { # TEXT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		diag "no match for /$2/ in:"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'
	fi
}

unlike() { # TEXT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		tap_result 1 "$3"
		diag "unexpected match for /$2/"
	else
		tap_result 0 "$3"
	fi
}

skip() { # WHY
	TAP_N=$((TAP_N + 1))
	printf 'ok %d # SKIP %s\n' "$TAP_N" "$1"
}

diag() { printf '# %s\n' "$@"; }

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

done_testing() {
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# Checks the exit status of the last run(); shows its output when wrong.
rc_is() { # WANT DESCRIPTION
	if [ "$RC" = "$1" ]; then
		tap_result 0 "$2"
	else
		tap_result 1 "$2"
		diag "exit status $RC, wanted $1; output:"
		printf '%s\n' "$OUT" | head -40 | sed 's/^/#   /'
	fi
}

# Runs "$@" capturing stdout+stderr in $OUT and the status in $RC.
# shellcheck disable=SC2034 # OUT and RC are read by the tests
run() {
	OUT=$("$@" 2>&1)
	RC=$?
}
