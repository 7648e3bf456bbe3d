#!/usr/bin/env bash
# Runs shellcheck on every shell script of the tree: scripts/, .ci/run and every
# *.sh (tests/**/*.sh, tests/lib/*.sh, ...), at shellcheck's default
# severity (style and up). Sourced files are followed (-x), from the top of
# the tree, so `# shellcheck source=tests/lib/tap.sh` resolves.
# shellcheck source=tests/lib/tap.sh
. "$TOP_SRCDIR/tests/lib/tap.sh"

if ! command -v shellcheck >/dev/null 2>&1; then
	skip "shellcheck is not installed"
	done_testing
	exit
fi
cd "$TOP_SRCDIR" || exit 1

is_shell() { # FILE: named *.sh, or a sh/bash shebang
	case $1 in *.sh) return 0 ;; esac
	head -1 "$1" 2>/dev/null | grep -qE '^#!.*([/ ])(ba)?sh( |$)'
}

scripts=()
while IFS= read -r f; do
	is_shell "$f" && scripts+=("$f")
done < <(
	find . \( -name .git -o -name node_modules -o -name build-aux -o -name autom4te.cache \
		-o -name '_build' -o -name 'build' -o -name 'build-*' -o -name '.terraform' \) -prune -o \
		-type f \( -name '*.sh' -o -path './scripts/*' -o -path './.ci/*' \) -print |
		sed 's|^\./||' | sort
)

ok "${#scripts[@]}" -ge 10 "found the shell scripts (${#scripts[@]})"
for want in scripts/check scripts/lib-install.sh .ci/run tests/lib/tap.sh tests/infra/lib.sh; do
	if printf '%s\n' "${scripts[@]}" | grep -qxF "$want"; then
		pass "$want is among them"
	else
		fail "$want is among them"
	fi
done

for f in "${scripts[@]}"; do
	run shellcheck -x "$f"
	if [ "$RC" = 0 ]; then
		pass "shellcheck $f"
	else
		fail "shellcheck $f" "$(printf '%s\n' "$OUT" | head -30)"
	fi
done

# The check can fail: a script with two classic mistakes.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck disable=SC2016 # the $ belong to the bad script
printf '#!/bin/sh\ndir=$1\nrm -rf $dir/*\n[ $dir == / ] && echo root\n' >"$T/bad.sh"
run shellcheck -x "$T/bad.sh"
ok "$RC" != 0 "shellcheck refuses a script with an unquoted rm -rf \$dir/*"
like "$OUT" 'SC2086' "and names the finding (SC2086)"

done_testing
