#!/usr/bin/env bash
# The GitHub Actions workflows, offline: each validates against the
# workflow JSON schema (@action-validator/cli) and parses with GitHub's own
# parser (@actions/workflow-parser), and follows this project's rules
# (pinned actions, least privilege, cutover.yml's phases and concurrency).
# Negative tests: a copy with a bad key fails both validators, naming the
# key; a copy with an unpinned action fails the rules, naming it.
# shellcheck source=tests/infra/lib.sh
. "$TOP_SRCDIR/tests/infra/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

wf_dir=$TOP_SRCDIR/.github/workflows
for w in ci cutover terraform-plan terraform-apply validate; do
	ok -f "$wf_dir/$w.yml" ".github/workflows/$w.yml exists"
done

if ! infra_tools "$T/tools"; then
	skip "workflow checks: $INFRA_WHY"
	done_testing
	exit
fi
validator=$T/tools/node_modules/@action-validator/cli/cli.mjs
phases=$(sed -n '/phase_names\[\]\|^static const char \*const phase/,/};/p' "$TOP_SRCDIR/src/state.c" |
	grep -oE '"[a-z_]+"' | tr -d '"' | paste -sd, -)
is "$(printf '%s' "$phases" | tr ',' '\n' | grep -c .)" 8 "src/state.c names the eight phases ($phases)"

for f in "$wf_dir"/*.yml; do
	name=${f##*/}
	run node "$validator" "$f"
	if [ "$RC" = 0 ]; then
		pass "$name validates against the workflow schema (action-validator)"
	else
		fail "$name validates against the workflow schema (action-validator)" "$OUT"
	fi
done

node "$T/tools/workflow-check.mjs" parse "$wf_dir"/*.yml >"$T/parse.out" 2>&1
rc=$?
tap_groups "workflow-parser" <"$T/parse.out"
is "$rc" 0 "@actions/workflow-parser reports no error"

node "$T/tools/workflow-check.mjs" policy --phases "$phases" "$wf_dir"/*.yml >"$T/policy.out" 2>&1
rc=$?
tap_groups "policy" <"$T/policy.out"
is "$rc" 0 "every workflow follows the rules"

# The cutover commands the workflows call exist, with the options they use.
for w in cutover validate; do
	text=$(cat "$wf_dir/$w.yml")
	case $w in
	cutover)
		# shellcheck disable=SC2016 # the $ are the workflow's, matched literally
		like "$text" 'run --yes --until "\$UNTIL"' "cutover.yml runs cutover run --yes --until PHASE"
		like "$text" 'log --verify' "cutover.yml verifies the event log"
		like "$text" 'report --output' "cutover.yml writes the report"
		# shellcheck disable=SC2016 # the $ are the workflow's, matched literally
		like "$text" 'report --json >"\$CUTOVER_STATE_DIR/report.json"' "and the report as JSON"
		like "$text" 'for f in state\.json events\.jsonl report\.md timeline\.svg report\.json validation' \
			"and keeps report.md, timeline.svg and report.json as artifacts"
		like "$text" 'getEnvironment' "cutover.yml reads its environment's protection rules with the job's token"
		like "$text" 'env === "prod" && reviewers.length === 0' "and refuses prod without required reviewers"
		unlike "$text" 'status --json \|' "cutover.yml pipes no status into tee (pipefail would abort on a partial one)"
		;;
	validate)
		# shellcheck disable=SC2016 # the $ are the workflow's, matched literally
		like "$text" 'validate "--\$MODE" --output result\.json' "validate.yml runs cutover validate --quick|--full --output"
		like "$text" 'path: result\.json' "validate.yml uploads result.json"
		;;
	esac
done

# The approved plan is the applied plan.
plan=$(cat "$wf_dir/terraform-plan.yml")
apply=$(cat "$wf_dir/terraform-apply.yml")
like "$plan" 'name: tfplan-\$\{\{ matrix.environment \}\}' "terraform-plan uploads each environment's binary plan"
like "$plan" 'sha256sum tfplan' "with its SHA-256"
like "$plan" 'Binary plan .*SHA-256' "and puts that SHA-256 in the comment reviewers read"
unlike "$apply" 'terraform plan' "terraform-apply makes no plan of its own"
like "$apply" 'run-id: \$\{\{ needs.approved-plan.outputs.run_id \}\}' "it downloads the plan run's artifact"
is "$(grep -c 'terraform apply -no-color plan-artifact/tfplan$' "$wf_dir/terraform-apply.yml")" 3 \
	"and applies exactly that file, in each of the three environments"
is "$(grep -c 'sha256sum plan-artifact/tfplan' "$wf_dir/terraform-apply.yml")" 3 "after checking its SHA-256"
# shellcheck disable=SC2016 # the $ are the workflow's, matched literally
like "$apply" 'git diff --quiet "\$PLANNED_SHA" "\$GITHUB_SHA" -- terraform' \
	"it refuses when terraform/ moved since the plan"
for e in staging prod; do
	like "$apply" "environment: $e" "the $e apply waits for the $e environment's reviewers"
done

# Negative: a job that outlives its AWS role session.
sed 's/^          role-duration-seconds: 43200$/          role-duration-seconds: 3600/' "$wf_dir/cutover.yml" >"$T/session.yml"
run node "$T/tools/workflow-check.mjs" policy --phases "$phases" "$T/session.yml"
is "$RC" 1 "the rules refuse a job whose timeout outlives its role session"
like "$OUT" 'timeout within the AWS role session.*705 min > 3600 s' "and say by how much"

# Negative: a bad key. Both validators must refuse the copy and name it.
sed 's/^    timeout-minutes: 705$/&\n    runs-onn: ubuntu-24.04/' "$wf_dir/cutover.yml" >"$T/bad-key.yml"
ok "$(grep -c 'runs-onn' "$T/bad-key.yml")" = 1 "the broken copy holds the bad key"
run node "$validator" "$T/bad-key.yml"
ok "$RC" != 0 "action-validator refuses a workflow with a bad key"
like "$OUT" "Additional property 'runs-onn' is not allowed" "and names the key"
run node "$T/tools/workflow-check.mjs" parse "$T/bad-key.yml"
is "$RC" 1 "@actions/workflow-parser refuses it too"
like "$OUT" "Unexpected value 'runs-onn'" "and names the key"

# Negative: an action pinned to a tag, and write access widened.
sed -e 's/actions\/checkout@[0-9a-f]\{40\} # v[0-9.]*/actions\/checkout@v4/' \
	-e 's/^      id-token: write .*/      packages: write/' "$wf_dir/cutover.yml" >"$T/unpinned.yml"
run node "$T/tools/workflow-check.mjs" policy --phases "$phases" "$T/unpinned.yml"
is "$RC" 1 "the rules refuse an action pinned to a tag"
like "$OUT" 'uses: actions/checkout@v4' "and name it"
like "$OUT" 'writes only id-token or pull-requests.*packages: write' "and refuse packages: write"

# Negative: an until choice that is not a phase.
sed 's/^          - sequence_sync$/          - sequences_sync/' "$wf_dir/cutover.yml" >"$T/phase.yml"
run node "$T/tools/workflow-check.mjs" policy --phases "$phases" "$T/phase.yml"
is "$RC" 1 "the rules refuse an --until choice that is not a phase"

done_testing
