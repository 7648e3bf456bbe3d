#!/usr/bin/env bash
# The Terraform tree with terraform itself, offline:
#   - terraform fmt -check -recursive;
#   - in every environment: init -backend=false, validate, and a terraform
#     test that applies it with the AWS provider mocked, from its real
#     terraform.tfvars (so every variable validation runs), and checks the
#     outputs `cutover init --from-terraform` reads: staging's must equal the
#     fixture tests/data/terraform-output-staging.json, value and type;
#     dev's and prod's must be strings and passwordless conninfo URIs;
#   - every module's own tests (terraform/modules/*/tests/*.tftest.hcl).
# The negative case: staging against a fixture with a different source host
# and region must fail. Where terraform or the provider cannot be had, every
# case is reported as skipped, never as passed.
# shellcheck source=tests/infra/lib.sh
. "$TOP_SRCDIR/tests/infra/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

envs="dev staging prod"
modules=$(find "$TOP_SRCDIR/terraform/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fixture=$TOP_SRCDIR/tests/data/terraform-output-staging.json

if ! infra_terraform "$T"; then
	skip "terraform fmt -check -recursive: $INFRA_WHY"
	for env in $envs; do
		skip "terraform init + validate environments/$env: $INFRA_WHY"
		skip "terraform test environments/$env outputs: $INFRA_WHY"
	done
	skip "terraform test staging against a wrong fixture fails: $INFRA_WHY"
	for m in $modules; do skip "terraform test modules/$m: $INFRA_WHY"; done
	done_testing
	exit
fi

# The outputs cutover reads, from the C source (no second list to drift).
outputs=$(grep -oE '"cutover_[a-z_]+"' "$TOP_SRCDIR/src/tfoutput.c" | tr -d '"' | paste -sd, -)

# terraform writes .terraform/ and a lock file where it runs: work on a
# copy, never in the source tree (which distcheck makes read-only).
cp -R "$TOP_SRCDIR/terraform" "$T/tf"
chmod -R u+w "$T/tf"
find "$T/tf" \( -name .terraform -o -name .terraform.lock.hcl \) -prune -exec rm -rf {} +
mkdir -p "$T/res"

run terraform fmt -check -recursive -diff "$T/tf"
if [ "$RC" = 0 ]; then
	pass "terraform fmt -check -recursive"
else
	fail "terraform fmt -check -recursive (run terraform fmt -recursive terraform/)" "$OUT"
fi

# A job writes its cases to $T/res/JOB, one "0|1<TAB>description" line each,
# diagnostics as "#<TAB>text" lines; the cases are printed in order after.
case_line() { # FILE STATUS DESCRIPTION [DIAG]
	printf '%s\t%s\n' "$2" "$3" >>"$1"
	if [ -n "${4:-}" ]; then printf '%s\n' "$4" | grep -vE '^  - ' | tail -25 | sed 's/^/#\t/' >>"$1"; fi
}

tf() { # DIR ARGS... -> $OUT, $RC
	OUT=$(terraform -chdir="$1" "${@:2}" -no-color 2>&1)
	RC=$?
}

tf_test() { # DIR RESULT-FILE DESCRIPTION
	local n
	tf "$1" test
	n=$(printf '%s\n' "$OUT" | grep -c '^  run ".*"\.\.\. pass$')
	if [ "$RC" = 0 ] && printf '%s' "$OUT" | grep -q '^Success!'; then
		case_line "$2" 0 "$3 ($n runs)"
	else
		case_line "$2" 1 "$3" "$OUT"
	fi
}

env_job() { # ENV
	local env=$1 dir=$T/tf/environments/$1 res=$T/res/env-$1
	tf "$dir" init -backend=false -input=false
	if [ "$RC" != 0 ]; then
		case_line "$res" 1 "terraform init -backend=false environments/$env" "$OUT"
		case_line "$res" 1 "terraform test environments/$env outputs (not run)"
		return
	fi
	tf "$dir" validate
	if [ "$RC" = 0 ] && ! printf '%s' "$OUT" | grep -q Warning; then
		case_line "$res" 0 "terraform init -backend=false + validate environments/$env"
	else
		case_line "$res" 1 "terraform validate environments/$env (no error, no warning)" "$OUT"
	fi
	mkdir -p "$dir/tests"
	if [ "$env" = staging ]; then
		python3 "$INFRA_SRC/env-outputs-tftest.py" "$env" "$INFRA_SRC/mock-aws.hcl" "$outputs" "$fixture" \
			>"$dir/tests/cutover-outputs.tftest.hcl"
		tf_test "$dir" "$res" "terraform test environments/$env: outputs equal tests/data/terraform-output-staging.json"
		# The same test against a fixture that names another source host
		# and region must fail: the comparison is real.
		sed 's/pg-primary\.staging\.internal/pg-elsewhere.staging.internal/; s/"value": "eu-west-1"/"value": "us-east-2"/' \
			"$fixture" >"$T/wrong-fixture.json"
		python3 "$INFRA_SRC/env-outputs-tftest.py" "$env" "$INFRA_SRC/mock-aws.hcl" "$outputs" "$T/wrong-fixture.json" \
			>"$dir/tests/cutover-outputs.tftest.hcl"
		tf "$dir" test
		if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q 'cutover_region is "eu-west-1", the fixture has us-east-2'; then
			case_line "$res" 0 "terraform test staging against a wrong fixture fails, naming the output"
		else
			case_line "$res" 1 "terraform test staging against a wrong fixture fails, naming the output" "$OUT"
		fi
	else
		python3 "$INFRA_SRC/env-outputs-tftest.py" "$env" "$INFRA_SRC/mock-aws.hcl" "$outputs" \
			>"$dir/tests/cutover-outputs.tftest.hcl"
		tf_test "$dir" "$res" "terraform test environments/$env: outputs are strings, conninfo without password"
	fi
}

module_job() { # MODULE
	local m=$1 dir=$T/tf/modules/$1 res=$T/res/module-$1
	if ! ls "$dir"/tests/*.tftest.hcl >/dev/null 2>&1; then
		case_line "$res" 1 "modules/$m has tests (terraform/modules/$m/tests/*.tftest.hcl)"
		return
	fi
	tf "$dir" init -backend=false -input=false
	if [ "$RC" != 0 ]; then
		case_line "$res" 1 "terraform init modules/$m" "$OUT"
		return
	fi
	tf_test "$dir" "$res" "terraform test modules/$m"
}

# Two jobs at a time (the provider is a large binary each run loads).
jobs_list=()
for env in $envs; do jobs_list+=("env_job $env"); done
for m in $modules; do jobs_list+=("module_job $m"); done
for job in "${jobs_list[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "${INFRA_JOBS:-2}" ]; do wait -n; done
	$job &
done
wait

for job in "${jobs_list[@]}"; do
	read -r kind what <<<"$job"
	f=$T/res/${kind%_job}-$what
	if [ ! -s "$f" ]; then
		fail "$job reported nothing"
		continue
	fi
	while IFS=$'\t' read -r status text; do
		case $status in
		'#') diag "$text" ;;
		0) pass "$text" ;;
		*) fail "$text" ;;
		esac
	done <"$f"
done

done_testing
