#!/usr/bin/env bash
# The Terraform tree, without terraform: every .tf and .tfvars file parses,
# module calls match the modules' variables, module outputs referenced exist,
# variables and outputs are described, no secret is written down. And the
# checker itself is shown to fail on broken copies (negative tests).
# shellcheck source=tests/infra/lib.sh
. "$TOP_SRCDIR/tests/infra/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! infra_tools "$T/tools"; then
	skip "Terraform static checks: $INFRA_WHY"
	done_testing
	exit
fi
check() { node "$T/tools/tf-check.mjs" "$@"; }

# The real tree: one TAP case per directory.
check "$TOP_SRCDIR/terraform" >"$T/out" 2>"$T/err"
rc=$?
tap_groups "terraform" <"$T/out"
is "$rc" 0 "tf-check exits 0 on the tree"
[ -s "$T/err" ] && diag "$(cat "$T/err")"
n_tf=$(find "$TOP_SRCDIR/terraform" -name '*.tf' -not -path '*/.terraform/*' | wc -l)
n_parsed=$(grep -c '\.tf parses$' "$T/out")
is "$n_parsed" "$n_tf" "every .tf file was parsed ($n_tf files)"

# Negative tests: each breaks a copy in one way; the checker must fail and
# name the problem.
broken() { # NAME: a fresh copy of the tree in $T/NAME
	rm -rf "${T:?}/$1"
	cp -R "$TOP_SRCDIR/terraform" "$T/$1"
	chmod -R u+w "$T/$1"
}

broken unknown-var
sed -i 's|^  source = "../../modules/dms"$|&\n  no_such_setting = true|' "$T/unknown-var/environments/staging/main.tf"
run check "$T/unknown-var"
is "$RC" 1 "a module call with an unknown variable fails the check"
like "$OUT" 'module\.dms passes unknown variable\(s\) no_such_setting \(not declared in modules/dms\)' \
	"and the failure names the call, the variable and the module"

broken missing-var
sed -i '/^  target_secret_arn  *= var\.target_secret_arn$/d' "$T/missing-var/environments/prod/main.tf"
run check "$T/missing-var"
is "$RC" 1 "a module call without a required variable fails the check"
like "$OUT" 'module\.dms does not pass required variable\(s\) target_secret_arn' "and names the missing variable"

broken unknown-output
sed -i 's/module\.aurora\.cluster_id$/module.aurora.cluster_name/' "$T/unknown-output/environments/dev/outputs.tf"
run check "$T/unknown-output"
is "$RC" 1 "a reference to an output the module lacks fails the check"
like "$OUT" 'modules/aurora declares no output "cluster_name"' "and names the output"

broken parse-error
printf 'resource "aws_sns_topic" "x" {\n  name = \n}\n' >"$T/parse-error/modules/monitoring/broken.tf"
run check "$T/parse-error"
is "$RC" 1 "a .tf file that does not parse fails the check"
like "$OUT" 'modules/monitoring/broken\.tf parses.*Invalid expression' "and names the file"

broken tfvars-typo
echo 'aurora_instance_clas = "db.r6g.large"' >>"$T/tfvars-typo/environments/staging/terraform.tfvars"
run check "$T/tfvars-typo"
is "$RC" 1 "a misspelt variable in terraform.tfvars fails the check"
like "$OUT" 'undeclared: aurora_instance_clas' "and names it"

broken no-description
sed -i '/^variable "reader_count" {$/,/^}$/{/description/d}' "$T/no-description/modules/aurora/variables.tf"
run check "$T/no-description"
is "$RC" 1 "a variable without a description fails the check"
like "$OUT" 'variable reader_count has a description' "and names it"

# The environments share their code word for word: what differs is in
# locals.tf, backend.tf and terraform.tfvars.
env_dir=$TOP_SRCDIR/terraform/environments
for f in main.tf variables.tf outputs.tf versions.tf; do
	for env in staging prod; do
		if cmp -s "$env_dir/dev/$f" "$env_dir/$env/$f"; then
			pass "environments/$env/$f is environments/dev/$f"
		else
			fail "environments/$env/$f differs from environments/dev/$f" "$(diff "$env_dir/dev/$f" "$env_dir/$env/$f" | head -10)"
		fi
	done
done
for env in dev staging prod; do
	like "$(cat "$env_dir/$env/locals.tf")" "environment *= *\"$env\"" "environments/$env/locals.tf names $env"
	backend=$(cat "$env_dir/$env/backend.tf")
	like "$backend" 'backend "s3"' "environments/$env: S3 backend"
	like "$backend" 'dynamodb_table *= *"[^"]+"' "environments/$env: DynamoDB state lock"
	like "$backend" "key *= *\"cutover/$env/terraform.tfstate\"" "environments/$env: its own state key"
	like "$backend" 'encrypt *= *true' "environments/$env: encrypted state"
done
like "$(cat "$env_dir/prod/locals.tf")" 'deletion_protection *= *true' "prod's Aurora has deletion protection, not from a variable"

# Secrets are never written down: no password attribute with a value, no
# secret version (it would put the secret in the state).
hits=$(grep -rnE '^\s*(master_)?password\s*=|secret_string|aws_secretsmanager_secret_version' \
	--include='*.tf' --include='*.tfvars' --include='*.hcl' "$TOP_SRCDIR/terraform" || true)
is "$hits" "" "no password or secret value in the Terraform files"
like "$(cat "$TOP_SRCDIR/terraform/modules/aurora/main.tf")" 'manage_master_user_password *= *true' \
	"Aurora's master password is managed by RDS in Secrets Manager"
endpoints=$(grep -c '^resource "aws_dms_endpoint"' "$TOP_SRCDIR/terraform/modules/dms/main.tf")
with_secret=$(grep -c 'secrets_manager_access_role_arn *= ' "$TOP_SRCDIR/terraform/modules/dms/main.tf")
ok "$endpoints" -ge 2 "the dms module defines its endpoints ($endpoints)"
is "$with_secret" "$endpoints" "every DMS endpoint reads its credentials through Secrets Manager"

done_testing
