# shellcheck shell=bash
# tests/ui/lib.sh - driving the real binary in tmux: a private server
# (-L, -f /dev/null), sessions of a fixed size running a plain shell with a
# known prompt, and helpers to read the screen.
#
#   . "$TOP_SRCDIR/tests/ui/lib.sh"       # after replica.sh (chains its trap)
#   term_start drv 120 40                  # a shell in session drv
#   term_run drv "$CUTOVER -c $CONF console"
#   wait_screen drv 'public\.accounts' 10  # regex, seconds; 0 when it showed
#   screen drv                             # capture-pane -p
#   keys drv Enter                         # send-keys

TMUX_SOCK="cutover-test-$$"
tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }

ui_teardown() {
	tm kill-server >/dev/null 2>&1
	declare -F pg_teardown >/dev/null && pg_teardown
}
trap 'ui_teardown' EXIT

term_start() { # NAME W H [ENV=VALUE...]
	local name=$1 w=$2 h=$3 e args=()
	shift 3
	for e in LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC "$@"; do args+=(-e "$e"); done
	if ! tm has-session 2>/dev/null; then
		tm new-session -d -s "$name" -x "$w" -y "$h" "${args[@]}" \
			"env PS1='PROMPT\$ ' bash --norc --noprofile" || return 1
		tm set-option -g default-size "${w}x${h}" >/dev/null
	else
		tm new-session -d -s "$name" -x "$w" -y "$h" "${args[@]}" \
			"env PS1='PROMPT\$ ' bash --norc --noprofile" || return 1
	fi
	wait_screen "$name" 'PROMPT\$' 10
}

term_run() { # NAME COMMAND
	tm send-keys -t "$1" -l "$2"
	tm send-keys -t "$1" Enter
}

screen() { tm capture-pane -p -t "$1"; }
screen_color() { tm capture-pane -p -e -t "$1"; }
keys() { local n=$1; shift; tm send-keys -t "$n" "$@"; }
typed() { tm send-keys -t "$1" -l "$2"; }

# Waits until the screen matches REGEX; returns 1 after SECONDS.
wait_screen() { # NAME REGEX [SECONDS]
	local i n=$(( ${3:-10} * 20 ))
	for ((i = 0; i < n; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	return 1
}

# Waits until the screen no longer matches REGEX.
wait_screen_gone() { # NAME REGEX [SECONDS]
	local i n=$(( ${3:-10} * 20 ))
	for ((i = 0; i < n; i++)); do
		screen "$1" | grep -Eq -- "$2" || return 0
		sleep 0.05
	done
	return 1
}

alternate_on() { tm display -p -t "$1" '#{alternate_on}'; }

# The last non-empty line of the screen.
last_line() { screen "$1" | grep -v '^[[:space:]]*$' | tail -1; }

# The pid of the command running in the session's shell.
pane_child() { pgrep -P "$(tm display -p -t "$1" '#{pane_pid}')" | head -1; }

# A fingerprint of what a driver could have changed: state and log.
fingerprint() { # STATE_DIR
	{ sha256sum "$1/state.json" 2>/dev/null; wc -l <"$1/events.jsonl"; } | tr '\n' ' '
}

# The kinds of the events after line N.
kinds_after() { # STATE_DIR N
	tail -n +"$(($2 + 1))" "$1/events.jsonl" |
		python3 -c 'import json,sys; print(" ".join(json.loads(l)["kind"] for l in sys.stdin))'
}

state_field() { # STATE_DIR PYTHON-EXPRESSION-ON-d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1/state.json"
}
