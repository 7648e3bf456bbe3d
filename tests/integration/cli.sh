#!/usr/bin/env bash
# The command line: help, version, exit codes, config errors, and init.
. "$TOP_SRCDIR/tests/lib/tap.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

run "$CUTOVER" --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^cutover [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"

run "$CUTOVER" --help
is "$RC" 0 "--help exits 0"
help=$OUT
cmds=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/p' | awk 'NR>1 && NF {print $1}')
ok -n "$cmds" "--help lists commands"
for c in $cmds; do
	run "$CUTOVER" "$c" --help
	is "$RC" 0 "cutover $c --help exits 0"
	like "$OUT" "^Usage: cutover \\[GLOBAL OPTIONS\\] $c" "cutover $c --help shows its usage"
	run "$CUTOVER" --help "$c"
	like "$OUT" "^Usage: cutover \\[GLOBAL OPTIONS\\] $c" "cutover --help $c shows the command's usage"
	like "$(cat "$TOP_SRCDIR/man/cutover.1")" "^\\.It Cm $c( |$)" "man page documents $c"
	like "$(cat "$TOP_SRCDIR/README.md")" "cutover $c" "README mentions cutover $c"
	# Every option the help advertises is accepted (then --help stops
	# before anything runs), and the command's entry in cutover(1)
	# documents it (by its long or its short name): help, parser and
	# manual cannot drift apart.
	entry=$(awk -v c="$c" '/^\.It Cm / { on = ($3 == c) } on' \
	    "$TOP_SRCDIR/man/cutover.1")
	synopsis=$(printf '%s\n' "$OUT" | sed -n '1,/^$/p')
	while read -r short long arg; do
		# Values its argument may take: the first one it accepts counts.
		case $arg in
		'') vals=(none) ;;
		N|SECONDS|TPS|S) vals=(2 60 1000) ;;
		P) vals=(postgres) ;;
		PHASE) vals=(drain) ;;
		S.T) vals=(public.t) ;;
		*) vals=(x) ;;
		esac
		for opt in $short $long; do
			[ "$opt" = - ] && continue
			for v in "${vals[@]}"; do
				val=("$v")
				[ "$v" = none ] && val=()
				if [ "$c" = lab ]; then
					# Its options follow a subcommand: one of them takes it.
					for sub in up load status down; do
						run "$CUTOVER" lab "$sub" "$opt" "${val[@]}" --help
						[ "$RC" = 0 ] && break
					done
				else
					run "$CUTOVER" "$c" "$opt" "${val[@]}" --help
				fi
				[ "$RC" = 0 ] && break
			done
			is "$RC" 0 "cutover $c accepts $opt, as its --help says"
		done
		[ "$long" = --help ] && continue
		like "$synopsis" -- "$long( |\]|\||$)" "the synopsis of cutover $c shows $long"
		man_long="Fl \\-$(printf '%s' "${long#--}" | sed 's/-/\\-/g')"
		if grep -qF -- "$man_long" <<<"$entry" ||
		    { [ "$short" != - ] && grep -qE -- "Fl ${short#-}( |$)" <<<"$entry"; }; then
			pass "cutover(1) documents $c $long"
		else
			fail "cutover(1) documents $c $long"
		fi
	done < <(printf '%s\n' "$OUT" | sed -n \
	    -e 's/^  *\(-[a-zA-Z]\), \(--[a-z-]*\)\( [A-Z|.]*\)\{0,1\}.*/\1 \2\3/p' \
	    -e 's/^  *\(--[a-z-]*\)\( [A-Z|.]*\)\{0,1\}.*/- \1\2/p')
done
# Every command the man page documents is in --help (no drift either way).
# shellcheck disable=SC2013 # command names hold no spaces
for c in $(sed -n '/^\.Sh COMMANDS/,/^\.Sh /s/^\.It Cm \([a-z]*\).*/\1/p' "$TOP_SRCDIR/man/cutover.1" | sort -u); do
	like "$cmds" "^$c\$" "--help lists $c, as the man page does"
done

run "$CUTOVER" teleport
is "$RC" 2 "unknown command exits 2"
like "$OUT" "unknown command 'teleport'" "unknown command is named"
run "$CUTOVER" --bogus log
is "$RC" 2 "unknown global option exits 2"
like "$OUT" -- "--bogus" "unknown global option is named"
run "$CUTOVER" log --bogus
is "$RC" 2 "unknown command option exits 2"
like "$OUT" -- "--bogus" "unknown command option is named"
run "$CUTOVER" -c
is "$RC" 2 "missing option argument exits 2"
run "$CUTOVER" -e 'pro d' -s . log
is "$RC" 2 "bad --environment exits 2"

# Config errors name FILE:LINE and exit 2.
printf '[source]\nconninfo = host=s\n[target]\nconninfo = host=t\n[replication]\nprovider = postgres\n[drain]\nmethod = hammer\n' >bad.conf
mkdir -p cutover-state
run "$CUTOVER" -c bad.conf log
is "$RC" 2 "a bad config value exits 2"
like "$OUT" 'bad.conf:8: \[drain\] method: must be one of' "the error names FILE:LINE and the key"
run "$CUTOVER" -c missing.conf log
is "$RC" 2 "a missing config file exits 2"
like "$OUT" 'missing.conf: cannot read config' "the missing file is named"
printf '[source]\nconninfo = \xff\n' >utf.conf
run "$CUTOVER" -c utf.conf log
like "$OUT" 'utf.conf:2: invalid UTF-8' "non-UTF-8 bytes are reported with their line"
CUTOVER_CONFIG=bad.conf run "$CUTOVER" log
like "$OUT" 'bad.conf:8' "CUTOVER_CONFIG names the config file"

# init
run "$CUTOVER" init
is "$RC" 0 "init writes ./cutover.conf"
ok -f cutover.conf "cutover.conf exists"
is "$(stat -c %a cutover.conf)" 600 "cutover.conf is 0600"
like "$(cat cutover.conf)" '^max_lag_seconds = 5$' "the template holds every key with its default"
like "$OUT" 'still to fill in:' "init says what is still missing"
like "$OUT" '^  (\./)?cutover.conf:[0-9]+: \[source\] conninfo is required' "... every missing key: the source's"
like "$OUT" '^  (\./)?cutover.conf:[0-9]+: \[target\] conninfo is required' "... and the target's, at once"
like "$OUT" '^  (\./)?cutover.conf:[0-9]+: \[replication\] task_arn is required with provider = dms' "... and the DMS task's"
run "$CUTOVER" init
is "$RC" 2 "init refuses to overwrite"
like "$OUT" 'already exists; use --force' "init says why"
run "$CUTOVER" init --force
is "$RC" 0 "init --force replaces"
run "$CUTOVER" init -o -
like "$OUT" '^\[watch\]$' "init -o - writes to standard output"
keys=$(grep -cE '^[a-z_]+ = ' cutover.conf)
man_keys=$(grep -cE '^\.It Cm [a-z_]+$' "$TOP_SRCDIR/man/cutover.conf.5")
is "$keys" "$man_keys" "cutover.conf(5) documents as many keys as the template has"
# shellcheck disable=SC2013 # key names hold no spaces
for k in $(grep -oE '^[a-z_]+' cutover.conf | sort -u); do
	like "$(cat "$TOP_SRCDIR/man/cutover.conf.5")" "^\\.It Cm $k\$" "cutover.conf(5) documents $k"
done

fixture=$TOP_SRCDIR/tests/data/terraform-output-staging.json
run "$CUTOVER" init --from-terraform "$fixture" -o tf.conf
is "$RC" 0 "init --from-terraform exits 0"
like "$OUT" 'it is complete' "the config from Terraform outputs is complete"
like "$(cat tf.conf)" '^task_arn = arn:aws:dms:' "the task ARN is filled in"
like "$(cat tf.conf)" '^environment = staging$' "the environment is filled in"
run "$CUTOVER" init --from-terraform - -o stdin.conf <"$fixture"
is "$RC" 0 "init --from-terraform - reads standard input"
if cmp -s tf.conf stdin.conf; then pass "stdin and file give the same config"; else fail "stdin and file differ"; fi
echo '{"cutover_source_conninfo": {"value": "host=s password=hunter2", "type": "string"}}' >pw.json
run "$CUTOVER" init --from-terraform pw.json -o pw.conf
is "$RC" 2 "a password in a Terraform output is refused"
unlike "$OUT" hunter2 "the refusal does not print the password"
ok ! -e pw.conf "nothing is written when refused"
echo '{"unrelated": {"value": "x"}}' >none.json
run "$CUTOVER" init --from-terraform none.json -o none.conf
is "$RC" 2 "outputs without cutover_* are refused"
echo 'not json' >junk.json
run "$CUTOVER" init --from-terraform junk.json -o junk.conf
is "$RC" 2 "non-JSON Terraform output is refused"

done_testing
