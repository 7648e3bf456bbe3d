# shellcheck shell=bash disable=SC2034 # INFRA_WHY is read by the tests
# tests/infra/lib.sh - shared by the infra tests (tests/infra/*.sh).
#
#   . "$TOP_SRCDIR/tests/infra/lib.sh"
#   infra_tools DIR || skip "$INFRA_WHY"     the npm checkers, ready in DIR
#   infra_terraform DIR || skip "$INFRA_WHY" terraform that works offline
#   tap_groups <checker output                one TAP case per group
#
# The checkers (tests/infra/*.mjs) run from a copy next to a link to their
# node_modules: the source tree may be read-only (make distcheck) and the
# packages may be installed elsewhere (CUTOVER_INFRA_NODE_MODULES).

# shellcheck source=tests/lib/tap.sh
. "$TOP_SRCDIR/tests/lib/tap.sh"

INFRA_SRC=$TOP_SRCDIR/tests/infra
: "${CUTOVER_INFRA_NODE_MODULES:=$INFRA_SRC/node_modules}"
INFRA_WHY=

infra_tools() { # DIR
	local dir=$1 pkg
	if ! command -v node >/dev/null 2>&1; then
		INFRA_WHY="node is not installed"
		return 1
	fi
	for pkg in @cdktf/hcl2json @action-validator/cli @action-validator/core @actions/workflow-parser yaml; do
		if [ ! -f "$CUTOVER_INFRA_NODE_MODULES/$pkg/package.json" ]; then
			INFRA_WHY="npm package $pkg is not installed in $CUTOVER_INFRA_NODE_MODULES (scripts/lib-install.sh installs it)"
			return 1
		fi
	done
	mkdir -p "$dir" || return 1
	cp "$INFRA_SRC"/*.mjs "$dir"/ || return 1
	ln -sfn "$CUTOVER_INFRA_NODE_MODULES" "$dir/node_modules"
}

# Sets TF_CLI_CONFIG_FILE (and TF_PLUGIN_CACHE_DIR) so that `terraform init`
# finds the AWS provider: in the offline mirror (TF_PLUGIN_MIRROR, default
# /opt/tf-plugins) or, with CUTOVER_TF_ONLINE=1, from the registry. Returns
# 1 with INFRA_WHY set when neither is possible: the caller skips.
infra_terraform() { # DIR
	local dir=$1 mirror=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
	INFRA_WHY=
	if ! command -v terraform >/dev/null 2>&1; then
		INFRA_WHY="terraform is not installed"
		return 1
	fi
	mkdir -p "$dir/plugin-cache" || return 1
	if [ -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
		printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" >"$dir/terraformrc"
	elif [ "${CUTOVER_TF_ONLINE:-0}" = 1 ]; then
		printf 'plugin_cache_dir = "%s"\n' "$dir/plugin-cache" >"$dir/terraformrc"
	else
		INFRA_WHY="no offline provider mirror at $mirror (set TF_PLUGIN_MIRROR, or CUTOVER_TF_ONLINE=1 to download)"
		return 1
	fi
	export TF_CLI_CONFIG_FILE=$dir/terraformrc
	export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
	unset TF_DATA_DIR TF_WORKSPACE
	return 0
}

# Reads "ok<TAB>group<TAB>what" / "not ok<TAB>group<TAB>what<TAB>why" lines
# and prints one TAP case per group, named "PREFIX group: N checks", with
# every failed check of the group as a diagnostic.
tap_groups() { # PREFIX
	local prefix=$1 status group what why g
	local -a order=()
	local -A total=() bad=() notes=()
	while IFS=$'\t' read -r status group what why; do
		[ -n "$group" ] || continue
		if [ -z "${total[$group]+set}" ]; then
			order+=("$group")
			total[$group]=0
			bad[$group]=0
			notes[$group]=
		fi
		total[$group]=$((total[$group] + 1))
		if [ "$status" != ok ]; then
			bad[$group]=$((bad[$group] + 1))
			notes[$group]+="$what: $why"$'\n'
		fi
	done
	if [ ${#order[@]} -eq 0 ]; then
		fail "$prefix: the checker reported nothing"
		return
	fi
	for g in "${order[@]}"; do
		if [ "${bad[$g]}" -eq 0 ]; then
			pass "$prefix $g: ${total[$g]} checks"
		else
			fail "$prefix $g: ${bad[$g]} of ${total[$g]} checks failed"
			printf '%s' "${notes[$g]}" | sed 's/^/#   /'
		fi
	done
}
