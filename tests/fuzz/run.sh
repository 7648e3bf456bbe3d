#!/usr/bin/env bash
# Runs every libFuzzer target briefly (FUZZ_SECONDS, default 10) from its
# seed corpus. Built only with ./configure CC=clang --enable-fuzzing.
. "$TOP_SRCDIR/tests/lib/tap.sh"
secs=${FUZZ_SECONDS:-10}
found=0
for t in "$TOP_BUILDDIR"/tests/fuzz/fuzz-*; do
	[ -x "$t" ] || continue
	case $t in *.o | *.c) continue ;; esac
	found=1
	name=$(basename "$t")
	work=$(mktemp -d)
	seeds=$TOP_SRCDIR/tests/fuzz/corpus/${name#fuzz-}
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" >"$work.log" 2>&1; then
		pass "$name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}') runs, no crash"
	else
		fail "$name crashed"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$work.log" | head -20 | sed 's/^/# /'
	fi
	rm -rf "$work" "$work.log"
done
[ "$found" = 1 ] || skip "no fuzz targets built (configure --enable-fuzzing)"
done_testing
