#!/usr/bin/env bash
# The operator documentation: the IAM policies are valid JSON and grant the
# driver exactly what the console needs; the runbook and troubleshooting
# guide use the real command names, phases and exit codes, cover what an
# operator must find there, and their links resolve.
# shellcheck source=tests/lib/tap.sh
. "$TOP_SRCDIR/tests/lib/tap.sh"

D=$TOP_SRCDIR/docs
for f in runbook.md troubleshooting.md iam/driver-policy.json iam/terraform-policy.json; do
	ok -s "$D/$f" "docs/$f exists"
done

# Policies: parse, list the actions, refuse wildcards.
actions() { # FILE [EFFECT]
	python3 - "$1" "${2:-Allow}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["Version"] == "2012-10-17"
for st in doc["Statement"]:
    if st["Effect"] != sys.argv[2]:
        continue
    acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
    for a in acts:
        print(a)
PY
}
for p in driver-policy terraform-policy; do
	run actions "$D/iam/$p.json"
	is "$RC" 0 "docs/iam/$p.json is a valid IAM policy document"
	unlike "$OUT" '(^|:)\*$' "docs/iam/$p.json grants no wildcard action"
done
got=$(actions "$D/iam/driver-policy.json" | sort | paste -sd' ' -)
want="cloudwatch:GetMetricData dms:DescribeEndpoints dms:DescribeReplicationInstances dms:DescribeReplicationTasks dms:DescribeTableStatistics dms:ModifyReplicationTask dms:StartReplicationTask dms:StopReplicationTask"
is "$got" "$want" "the driver policy grants exactly the DMS and CloudWatch actions the console calls"
tf=$(actions "$D/iam/terraform-policy.json")
for a in rds:CreateDBCluster dms:CreateReplicationTask dms:CreateEndpoint iam:PassRole dynamodb:PutItem s3:PutObject events:PutRule sns:CreateTopic cloudwatch:PutMetricAlarm; do
	like "$tf" "^$a\$" "the Terraform policy allows $a"
done

runbook=$(cat "$D/runbook.md")
trouble=$(cat "$D/troubleshooting.md")
both="$runbook
$trouble"

# Commands: only those of the interface (INTERFACE.md: the program).
commands=$("$CUTOVER" --help | sed -n "/^Commands:/,/^$/p" | awk "NR>1 && NF {print \$1}" | tr "\n" " ")
used=$(printf '%s\n' "$both" | grep -oE '`cutover [a-z]+' | awk '{print $2}' | sort -u)
for c in $used; do
	case " $commands " in
	*" $c "*) pass "the docs use cutover $c, a real command" ;;
	*) fail "the docs use cutover $c, which is not a command of cutover" ;;
	esac
done
for c in run rollback validate status report log watch init lab; do
	like "$runbook" "cutover $c" "the runbook shows cutover $c"
done

# Phases, from the C source, each in the runbook.
for p in $(sed -n '/^static const char \*const phase_names/,/};/p' "$TOP_SRCDIR/src/state.c" | grep -oE '"[a-z_]+"' | tr -d '"'); do
	like "$runbook" "\`$p\`" "the runbook describes phase $p"
done
for code in 0 1 2 3 4 5; do
	like "$runbook" "^\\| $code \\|" "the runbook explains exit code $code"
done

# What an operator must find.
like "$runbook" 'DROP SCHEMA cutover CASCADE' "the runbook removes the cutover schema"
like "$runbook" 'after the reverse replication is gone' "and only after the reverse replication is gone"
like "$runbook" '(G|g)o / no-go' "the runbook has the go/no-go checks"
like "$runbook" '(R|r)ollback decisions' "the runbook has the rollback decisions"
like "$runbook" 'cutover lab up' "the rehearsal starts in the lab"
for s in 'DMS task failed' "stuck in \`starting\`" "Lag that won't drop" "WAL filling the source's disk" \
	'Sequence errors after the switch' 'Validation mismatches'; do
	like "$trouble" "^## .*$s" "troubleshooting has a section: $s"
done
for w in pg_replication_slots wal_status max_slot_wal_keep_size mismatched_keys; do
	like "$trouble" "$w" "troubleshooting explains $w"
done

# Relative links resolve.
for f in "$D"/*.md; do
	while IFS= read -r link; do
		if [ -e "$D/$link" ]; then
			pass "docs/${f##*/} links to $link, which exists"
		else
			fail "docs/${f##*/} links to $link, which does not exist"
		fi
	done < <(grep -oE '\]\([^)#]+' "$f" | sed 's/^](//' | grep -v '://')
done

done_testing
