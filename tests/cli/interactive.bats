#!/usr/bin/env bats
# Interactive mode, driven in tmux as a person would: type a line and see
# the reply, :status, history (Up arrow, the history file), :quit, Ctrl-D,
# and peer data arriving while a line is half typed.
#
# Each test runs its own tmux server (socket in the test's temp dir, no
# user configuration) with one session whose pane runs tlsprobe under
# `timeout --foreground` (plain `timeout` would put tlsprobe in a
# background process group, where reading the terminal stops it), then
# writes tlsprobe's exit status to a file. Tests wait for what the screen
# shows by polling `tmux capture-pane`, never by fixed sleeps.

# shellcheck disable=SC2034,SC2154 # status, elapsed are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

# How long to wait for the screen, in seconds.
WAIT=${TP_TMUX_WAIT:-15}

setup_file() {
	tp_setup_file
	if ! command -v tmux >/dev/null; then
		echo "tmux is not installed (scripts/setup installs it)" >&2
		return 1
	fi
	if ! tp_have_serve; then
		echo "this build has no 'tlsprobe serve'" >&2
		return 1
	fi
	tp_start_tlsprobe_serve rev --mode reverse
	export REV_PORT=$TP_PORT
	# Not -quiet: lines written to its stdin (tp_tell) go to the client
	# when it is connected.
	tp_start_s_server push -tls1_3
	export PUSH_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

setup() {
	TM_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	TM_NAME=tp$BATS_TEST_NUMBER
	TM_EXIT=$BATS_TEST_TMPDIR/exit
	HIST=$BATS_TEST_TMPDIR/hist
	# remain-on-exit: the last screen can still be shown after a failure.
	printf 'set -g remain-on-exit on\nset -g history-limit 5000\n' \
		>"$BATS_TEST_TMPDIR/tmux.conf"
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -S "$TM_SOCK" ]; then
		echo "---- screen of tmux session $TM_NAME ----" >&2
		tm capture-pane -p -J -S -100 -t "$TM_NAME" >&2 || true
		echo "---- end of screen; exit file: $(cat "$TM_EXIT" \
			2>/dev/null || echo none) ----" >&2
	fi
	tm kill-server 2>/dev/null || true
	tp_dump_on_failure
}

tm() {
	tmux -S "$TM_SOCK" -f "$BATS_TEST_TMPDIR/tmux.conf" "$@"
}

# start_client [ENV=VALUE...] -- [TLSPROBE ARGS...]: run tlsprobe in a new
# 200x50 tmux session; its exit status goes to $TM_EXIT as EXIT=N.
start_client() {
	local envs=(HOME="$BATS_TEST_TMPDIR")
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	local cmd
	cmd=$(printf '%q ' env "${envs[@]}" timeout --foreground 60 \
		"$TLSPROBE" "$@")
	rm -f "$TM_EXIT"
	tm new-session -d -s "$TM_NAME" -x 200 -y 50 \
		"$cmd; echo EXIT=\$? >$(printf '%q' "$TM_EXIT")"
}

screen() {
	tm capture-pane -p -J -t "$TM_NAME"
}

# prompt_line: the screen line the cursor is on, trailing blanks removed.
prompt_line() {
	local y
	y=$(tm display-message -p -t "$TM_NAME" '#{cursor_y}')
	screen | sed -n "$((y + 1))p" | sed 's/[[:space:]]*$//'
}

screen_has() {
	screen | grep -Eq -- "$1"
}

# screen_count ERE: how many screen lines match.
screen_count() {
	screen | grep -Ec -- "$1" || true
}

prompt_is() {
	[ "$(prompt_line)" = "$(printf '%s' "tlsprobe> $1" |
		sed 's/[[:space:]]*$//')" ]
}

count_is() {
	[ "$(screen_count "$1")" -eq "$2" ]
}

# wait_for_pane ERE [SECS]: until a screen line matches ERE.
wait_for_pane() {
	wait_for "${2:-$WAIT}" screen_has "$1"
}

# wait_for_prompt TEXT [SECS]: until the cursor line is the prompt
# followed by TEXT (empty: a bare prompt).
wait_for_prompt() {
	wait_for "${2:-$WAIT}" prompt_is "$1"
}

# ready: connected, verified, and the prompt waits for input.
ready() {
	wait_for_pane '^Verification: ok'
	wait_for_prompt ''
}

# type_line TEXT: type TEXT (literally) and Enter.
type_line() {
	tm send-keys -t "$TM_NAME" -l -- "$1"
	tm send-keys -t "$TM_NAME" Enter
}

# exit_status_is N: tlsprobe ended (within $WAIT s) with status N.
exit_status_is() {
	wait_for "$WAIT" test -s "$TM_EXIT"
	echo "# $(cat "$TM_EXIT")" >&2
	[ "$(cat "$TM_EXIT")" = "EXIT=$1" ]
}

@test "a typed line goes out and the reply shows on screen; :quit exits 0" {
	start_client TLSPROBE_HISTORY="$HIST" -- --ca-file \
		"$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	# The :help hint once, below the session summary, not above it.
	wait_for_pane '^Type :help'
	[ "$(screen_count '^Type :help')" -eq 1 ]
	screen | awk '/^Verification: ok/ { v = NR } /^Type :help/ { h = NR }
		END { exit !(v && h > v) }'
	type_line 'hello there'
	wait_for_pane '^ereht olleh$'
	wait_for_prompt ''
	type_line ':quit'
	exit_status_is 0
}

@test ":status shows protocol, verification and counters" {
	start_client TLSPROBE_HISTORY="$HIST" -- --tls1.2 --ca-file \
		"$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line ':status'
	# The lines after the :status line, not the summary at connect.
	local after='/^tlsprobe> :status$/ { on = 1; next } on'
	# shellcheck disable=SC2317 # called through wait_for
	status_shown() {
		screen | awk "$after" | grep -Eq '^Protocol: TLS ?v?1\.2' &&
			screen | awk "$after" | grep -Eq '^Verification: ok' &&
			screen | awk "$after" | grep -Eqi 'renegotiation'
	}
	wait_for "$WAIT" status_shown
	wait_for_prompt ''
	type_line ':quit'
	exit_status_is 0
}

@test "history: Up recalls the last line, Enter sends it again; the file keeps the lines" {
	start_client TLSPROBE_HISTORY="$HIST" -- --ca-file \
		"$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line 'first line'
	wait_for_pane '^enil tsrif$'
	wait_for_prompt ''
	tm send-keys -t "$TM_NAME" Up
	wait_for_prompt 'first line'
	tm send-keys -t "$TM_NAME" Enter
	wait_for "$WAIT" count_is '^enil tsrif$' 2
	type_line 'second line'
	wait_for_pane '^enil dnoces$'
	wait_for_prompt ''
	type_line ':quit'
	exit_status_is 0
	# A line sent twice in a row is kept once.
	printf 'first line\nsecond line\n:quit\n' >"$BATS_TEST_TMPDIR/want-hist"
	diff "$BATS_TEST_TMPDIR/want-hist" "$HIST"
}

@test "history survives the session: the default file under \$HOME is read back" {
	start_client -- --ca-file "$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line 'remember me'
	wait_for_pane '^em rebmemer$'
	wait_for_prompt ''
	type_line ':quit'
	exit_status_is 0
	grep -qx 'remember me' "$BATS_TEST_TMPDIR/.tlsprobe_history"
	tm kill-server
	start_client -- --ca-file "$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	tm send-keys -t "$TM_NAME" Up
	wait_for_prompt ':quit'
	tm send-keys -t "$TM_NAME" Up
	wait_for_prompt 'remember me'
	tm send-keys -t "$TM_NAME" Enter
	wait_for_pane '^em rebmemer$'
	wait_for_prompt ''
	type_line ':quit'
	exit_status_is 0
}

@test "Ctrl-D at an empty prompt closes the session with status 0" {
	start_client TLSPROBE_HISTORY="$HIST" -- --ca-file \
		"$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line 'bye'
	wait_for_pane '^eyb$'
	wait_for_prompt ''
	tm send-keys -t "$TM_NAME" C-d
	exit_status_is 0
}

@test "Ctrl-D: the closing lines follow the prompt line, no blank line between" {
	start_client TLSPROBE_HISTORY="$HIST" -- --ca-file \
		"$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line 'bye'
	wait_for_pane '^eyb$'
	wait_for_prompt ''
	tm send-keys -t "$TM_NAME" C-d
	exit_status_is 0
	# Readline ends the line at EOF itself: one more newline would
	# leave a blank line above the Timing line.
	screen | awk '/^tlsprobe> *$/ { p = NR } /^Timing: / { t = NR }
		END { exit !(p && t == p + 1) }'
}

@test "peer data arriving while a line is half typed shows above the prompt; the typing survives" {
	start_client TLSPROBE_HISTORY="$HIST" -- --ca-file "$CERTS/ca.pem" \
		"localhost:$PUSH_PORT"
	ready
	tm send-keys -t "$TM_NAME" -l abc
	wait_for_prompt abc
	tp_tell push 'pushed by the server'
	wait_for_pane '^pushed by the server$'
	wait_for_prompt abc
	# The pushed line is above the prompt line, which still has abc.
	local y
	y=$(tm display-message -p -t "$TM_NAME" '#{cursor_y}')
	screen | head -n "$y" | grep -qx 'pushed by the server'
	# Finish the line: the server receives it whole.
	tm send-keys -t "$TM_NAME" -l def
	wait_for_prompt abcdef
	tm send-keys -t "$TM_NAME" Enter
	wait_for "$WAIT" grep -qx abcdef "$TP_DIR/push.log"
	type_line ':quit'
	exit_status_is 0
}

@test ":expect at the prompt waits for the reply; one left unmet exits 8 naming it" {
	start_client TLSPROBE_HISTORY="$HIST" -- --expect-timeout 2 \
		--ca-file "$TP_DIR/rev-ca.pem" "localhost:$REV_PORT"
	ready
	type_line 'abc'
	type_line ':expect ^cba$'
	wait_for_pane '^cba$'
	wait_for_prompt ''
	# Matched: still running. The reply is consumed, so the same
	# pattern again is unmet.
	[ ! -s "$TM_EXIT" ]
	type_line ':expect ^cba$'
	exit_status_is 8
	wait_for_pane "tlsprobe: :expect '\\^cba\\$' not matched within 2 s"
	screen_has "last line received: 'cba'"
}
