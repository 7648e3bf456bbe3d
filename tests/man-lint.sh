#!/usr/bin/env bash
# mandoc -Tlint on the man pages: no warnings.
. "$TOP_SRCDIR/tests/lib/tap.sh"
: "${MANDOC:=$(command -v mandoc)}"
for page in "$TOP_SRCDIR"/man/*.[1-9]; do
	if [ -z "$MANDOC" ]; then
		skip "mandoc is not installed ($page)"
		continue
	fi
	run "$MANDOC" -Tlint -Wwarning "$page"
	if [ "$RC" = 0 ] && [ -z "$OUT" ]; then
		pass "mandoc -Tlint $(basename "$page")"
	else
		fail "mandoc -Tlint $(basename "$page")" "$OUT"
	fi
done
done_testing
