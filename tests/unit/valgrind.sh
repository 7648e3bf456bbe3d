#!/usr/bin/env bash
# The unit tests under valgrind: no invalid accesses, no leaks.
. "$TOP_SRCDIR/tests/lib/tap.sh"
tests=
for t in "$TOP_BUILDDIR"/tests/unit/test-*; do
	# The test programs, not their .o, .log or .trs files.
	[ -e "$t" ] && ! [[ ${t##*/} =~ \.[a-z]*$ ]] && tests="$tests $t"
done
if [ -n "${SANITIZERS:-}" ]; then
	skip "built with sanitizers: valgrind cannot run ASan binaries"
elif ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind is not installed"
else
	for t in $tests; do
		log=$(mktemp)
		CMOCKA_MESSAGE_OUTPUT=STDOUT valgrind -q --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
			--child-silent-after-fork=yes --error-exitcode=99 "$t" >"$log" 2>&1
		rc=$?
		if [ "$rc" = 0 ]; then
			pass "$(basename "$t") under valgrind: no errors, no leaks"
		else
			fail "$(basename "$t") under valgrind (exit $rc)"
			sed 's/^/# /' "$log" | tail -40
		fi
		rm -f "$log"
	done
fi
done_testing
