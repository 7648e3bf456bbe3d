#!/usr/bin/env bash
# Terraform environments -> cutover.conf: every environment outputs exactly
# the names `cutover init --from-terraform` reads (src/tfoutput.c), the
# staging fixture has exactly those, and cutover turns the fixture into a
# config it loads. (The values themselves are checked against terraform in
# tests/infra/terraform.sh.)
# shellcheck source=tests/infra/lib.sh
. "$TOP_SRCDIR/tests/infra/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fixture=$TOP_SRCDIR/tests/data/terraform-output-staging.json
want=$(grep -oE '"cutover_[a-z_]+"' "$TOP_SRCDIR/src/tfoutput.c" | tr -d '"' | sort)
ok "$(printf '%s\n' "$want" | wc -l)" -ge 8 "src/tfoutput.c maps the cutover_* outputs"

if infra_tools "$T/tools"; then
	run node "$T/tools/tf-check.mjs" --outputs "$TOP_SRCDIR/terraform"
	is "$RC" 0 "the environments' outputs can be listed"
	for env in dev staging prod; do
		got=$(printf '%s\n' "$OUT" | awk -F'\t' -v e="$env" '$1 == e { print $2 }' | sort)
		is "$got" "$want" "environments/$env outputs exactly the names cutover init reads"
	done
else
	for env in dev staging prod; do skip "environments/$env outputs: $INFRA_WHY"; done
fi

# The fixture: exactly those names, each a string with "value".
keys=$(grep -oE '^  "[a-z_]+": \{' "$fixture" | grep -oE '[a-z_]+' | sort)
is "$keys" "$want" "the staging fixture holds exactly those outputs"
is "$(grep -c '"type": "string"' "$fixture")" "$(printf '%s\n' "$want" | wc -l)" "every fixture output is a string"
unlike "$(cat "$fixture")" 'password' "no password in the fixture"

# The staging environment and its fixture agree where the values come from
# the environment's own files (the rest is built by AWS).
tfvars=$TOP_SRCDIR/terraform/environments/staging/terraform.tfvars
tfvar() { sed -n "s/^$1 *= *\"\\(.*\\)\"\$/\\1/p" "$tfvars"; }
like "$(cat "$fixture")" "\"value\": \"$(tfvar region)\"" "the fixture's region is staging's"
like "$(cat "$fixture")" "\"value\": \"$(tfvar name)\"" "the fixture's Aurora cluster is staging's"
like "$(cat "$fixture")" "postgresql://$(tfvar migration_user)@$(tfvar source_host):5432/$(tfvar database_name)\\?sslmode=$(tfvar sslmode)\"" \
	"the fixture's source conninfo is built from staging's variables"

# cutover itself: the fixture becomes a config cutover loads.
cd "$T" || exit 1
run "$CUTOVER" init --from-terraform "$fixture" -o tf.conf
is "$RC" 0 "cutover init --from-terraform (staging fixture) exits 0"
like "$OUT" 'it is complete' "the written config is complete"
conf=$(cat tf.conf)
like "$conf" '^environment = staging$' "[cutover] environment comes from the outputs"
like "$conf" '^provider = dms$' "the DMS task makes the provider dms"
like "$conf" '^reverse_task_arn = arn:aws:dms:' "the reverse task is filled in"
like "$conf" '^reader_conninfo = postgresql://migrator@app-staging\.cluster-ro-' "the reader endpoint is filled in"
like "$conf" '^aurora_cluster = app-staging$' "the Aurora cluster for the metrics is filled in"
# Load it for real: `log --verify` reads the config (without -s, its
# state_dir, ./cutover-state, comes from it) and then the event log.
mkdir cutover-state
if [ -x "$TOP_BUILDDIR/tests/helpers/logwriter" ]; then
	"$TOP_BUILDDIR/tests/helpers/logwriter" cutover-state 3 >/dev/null 2>&1
	run "$CUTOVER" -c tf.conf log --verify
	is "$RC" 0 "cutover -c tf.conf log --verify accepts the config"
else
	skip "the logwriter helper is not built"
fi
# And the same for a config cutover must refuse: the check can fail.
sed 's/^provider = dms$/provider = carrier-pigeon/' tf.conf >bad.conf
run "$CUTOVER" -c bad.conf log --verify
is "$RC" 2 "a broken copy of that config is refused (exit 2)"
like "$OUT" 'bad\.conf:[0-9]+:' "and the refusal names FILE:LINE"

done_testing
