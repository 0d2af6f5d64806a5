#!/usr/bin/env bats
# Signals and the terminal (issue 6, item 5): SIGPIPE on stdout, a closed
# stdout or stdin, and Ctrl-C in interactive mode (terminal restored,
# close_notify sent, the process ends by SIGINT as tlsprobe(1) says).
#
# Interactive tests run tlsprobe in a tmux pane under `sh -c` with a trap
# on INT (so the shell survives Ctrl-C and records the exit status and
# `stty -a` afterwards), each with its own tmux server (socket in the
# test's temp dir, no user configuration). They wait by polling, never by
# fixed sleeps.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed are read or set
# by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

WAIT=${TP_TMUX_WAIT:-15}

setup_file() {
	tp_setup_file
	if ! tp_have_serve; then
		echo "this build has no 'tlsprobe serve'" >&2
		return 1
	fi
	# Much more than a pipe holds: the writer must meet the closed end.
	tp_start_tlsprobe_serve source --mode source --source-bytes 1G
	export SOURCE_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

setup() {
	TM_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	TM_NAME=sig$BATS_TEST_NUMBER
	printf 'set -g remain-on-exit on\n' >"$BATS_TEST_TMPDIR/tmux.conf"
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -S "$TM_SOCK" ]; then
		echo "---- screen of tmux session $TM_NAME ----" >&2
		tm capture-pane -p -J -S -50 -t "$TM_NAME" >&2 || true
		echo "---- end of screen ----" >&2
	fi
	if [ -S "$TM_SOCK" ]; then
		tm kill-server 2>/dev/null || true
	fi
	tp_dump_on_failure
	local f
	for f in "$TP_DIR"/t-*.pid; do
		[ -e "$f" ] || continue
		tp_stop "$(basename "$f" .pid)"
	done
	rm -f "$TP_DIR"/t-*.log
}

# ms_since T0: milliseconds since T0 (date +%s%N).
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# ---- SIGPIPE and closed descriptors ----

@test "stdout piped into 'head -c 10': exit 1 at once, no message, not killed by SIGPIPE" {
	local t0 st err=$BATS_TEST_TMPDIR/err
	for quiet in --quiet ''; do
		t0=$(date +%s%N)
		# stdin stays open: it is the reader that must notice.
		# shellcheck disable=SC2086 # $quiet may be empty
		timeout -k 2 10 "$TLSPROBE" $quiet --ca-file \
			"$TP_DIR/source-ca.pem" "localhost:$SOURCE_PORT" \
			< <(sleep 15) 2>"$err" | head -c 10 >"$BATS_TEST_TMPDIR/out"
		st=${PIPESTATUS[0]}
		local ms
		ms=$(ms_since "$t0")
		echo "# ${quiet:-default}: status $st after $ms ms; stderr:" >&2
		sed 's/^/#   /' "$err" >&2
		[ "$st" -eq 1 ]
		[ "$ms" -lt 3000 ]
		[ "$(cat "$BATS_TEST_TMPDIR/out")" = abcdefghij ]
		# Quiet: no error line (the summary is not an error).
		if grep -q '^tlsprobe:' "$err"; then
			echo "# an error line was printed" >&2
			return 1
		fi
		if [ -n "$quiet" ]; then
			[ ! -s "$err" ]
		fi
	done
}

@test "stdout piped into 'head -c 10' with stdin at EOF: exit 1 at once" {
	local t0 st
	t0=$(date +%s%N)
	timeout -k 2 10 "$TLSPROBE" --quiet --ca-file "$TP_DIR/source-ca.pem" \
		"localhost:$SOURCE_PORT" </dev/null 2>"$BATS_TEST_TMPDIR/err" |
		head -c 10 >/dev/null
	st=${PIPESTATUS[0]}
	echo "# status $st after $(ms_since "$t0") ms" >&2
	[ "$st" -eq 1 ]
	[ "$(ms_since "$t0")" -lt 3000 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "a closed stdout (>&-): exit 1 with one error line, no hang" {
	local t0 st=0
	t0=$(date +%s%N)
	timeout -k 2 10 "$TLSPROBE" --quiet --ca-file "$TP_DIR/source-ca.pem" \
		"localhost:$SOURCE_PORT" < <(sleep 15) \
		2>"$BATS_TEST_TMPDIR/err" >&- || st=$?
	echo "# status $st after $(ms_since "$t0") ms:" \
		"$(cat "$BATS_TEST_TMPDIR/err")" >&2
	[ "$st" -eq 1 ]
	[ "$(ms_since "$t0")" -lt 3000 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ]
	grep -Eq '^tlsprobe: .*(standard output|stdout)' "$BATS_TEST_TMPDIR/err"
}

@test "a closed stdout with an echo peer: the first reply ends the run, no hang" {
	tp_start_tlsprobe_serve t-echo
	local t0 st=0
	t0=$(date +%s%N)
	printf 'hello\n' | timeout -k 2 10 "$TLSPROBE" --quiet --ca-file \
		"$TP_DIR/t-echo-ca.pem" "localhost:$TP_PORT" \
		2>"$BATS_TEST_TMPDIR/err" >&- || st=$?
	echo "# status $st after $(ms_since "$t0") ms:" \
		"$(cat "$BATS_TEST_TMPDIR/err")" >&2
	[ "$st" -eq 1 ]
	[ "$(ms_since "$t0")" -lt 3000 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ]
}

@test "a closed stdin (<&-) is the end of input: exit 0, no hang" {
	tp_start_tlsprobe_serve t-echo
	local t0 st=0
	t0=$(date +%s%N)
	timeout -k 2 5 "$TLSPROBE" --quiet --ca-file "$TP_DIR/t-echo-ca.pem" \
		"localhost:$TP_PORT" <&- >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" || st=$?
	echo "# status $st after $(ms_since "$t0") ms:" \
		"$(cat "$BATS_TEST_TMPDIR/err")" >&2
	[ "$st" -ne 124 ] || {
		echo "# hung: killed by timeout after 5 s" >&2
		return 1
	}
	[ "$st" -eq 0 ]
	[ "$(ms_since "$t0")" -lt 3000 ]
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
}

# ---- Ctrl-C in interactive mode ----

tm() {
	tmux -S "$TM_SOCK" -f "$BATS_TEST_TMPDIR/tmux.conf" "$@"
}

screen_has() {
	tm capture-pane -p -J -t "$TM_NAME" | grep -Eq -- "$1"
}

# start_pane [TLSPROBE ARGS...]: in a new tmux session, `sh` records
# `stty -a` in $D/before, runs tlsprobe (stdout to $D/out, stderr on the
# screen), then records EXIT=N in $D/exit and `stty -a` in $D/after.
start_pane() {
	D=$BATS_TEST_TMPDIR
	local cmd
	cmd=$(printf '%q ' env TLSPROBE_HISTORY= HOME="$D" "$TLSPROBE" "$@")
	# shellcheck disable=SC2016 # expanded by the pane's sh
	tm new-session -d -s "$TM_NAME" -x 160 -y 40 sh -c "
		trap : INT QUIT
		stty -a >'$D/before'
		$cmd >'$D/out'
		echo EXIT=\$? >'$D/exit'
		stty -a >'$D/after'
		echo DONE
		sleep 120"
}

# tty_flags FILE: the icanon and echo flags in `stty -a` output, as
# "icanon echo" or "-icanon -echo" and so on.
tty_flags() {
	tr ' ' '\n' <"$1" | grep -Ex -- '-?(icanon|echo)' | tr '\n' ' ' |
		sed 's/ $//'
}

pane_tty_flags() {
	stty -a -F "$(tm display-message -p -t "$TM_NAME" '#{pane_tty}')" |
		tr ' ' '\n' | grep -Ex -- '-?(icanon|echo)' | tr '\n' ' ' |
		sed 's/ $//'
}

# serve_log_has NAME ERE: peer NAME's log matches ERE.
serve_log_has() {
	grep -Eq -- "$2" "$TP_DIR/$1.log"
}

@test "Ctrl-C in interactive mode: close_notify sent, terminal restored, ends by SIGINT" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	tp_start_tlsprobe_serve t-rev --mode reverse
	start_pane --ca-file "$TP_DIR/t-rev-ca.pem" "localhost:$TP_PORT"
	wait_for "$WAIT" screen_has '^Verification: ok'
	wait_for "$WAIT" screen_has '^tlsprobe> $'
	[ "$(tty_flags "$D/before")" = "icanon echo" ]
	# readline has the terminal: no canonical mode, no echo.
	echo "# during the session: $(pane_tty_flags)" >&2
	[ "$(pane_tty_flags)" = "-icanon -echo" ]
	tm send-keys -t "$TM_NAME" -l 'hello'
	tm send-keys -t "$TM_NAME" Enter
	wait_for "$WAIT" grep -qx olleh "$D/out"
	# A half-typed line is dropped, not sent.
	tm send-keys -t "$TM_NAME" -l 'half typed'
	wait_for "$WAIT" screen_has '^tlsprobe> half typed$'
	local t0
	t0=$(date +%s%N)
	tm send-keys -t "$TM_NAME" C-c
	wait_for "$WAIT" test -s "$D/exit"
	wait_for "$WAIT" test -s "$D/after"
	echo "# $(cat "$D/exit") after $(ms_since "$t0") ms;" \
		"terminal after: $(tty_flags "$D/after")" >&2
	[ "$(ms_since "$t0")" -lt 3000 ]
	# tlsprobe(1): "ends by the signal that interrupted it".
	[ "$(cat "$D/exit")" = EXIT=130 ]
	[ "$(tty_flags "$D/after")" = "icanon echo" ]
	diff "$D/before" "$D/after" >&2
	# The data received is on stdout; the half-typed line never left.
	[ "$(cat "$D/out")" = olleh ]
	wait_for 5 serve_log_has t-rev 'closed after 6 bytes in'
	# The server saw a close_notify, not a bare FIN.
	if ! serve_log_has t-rev 'alert received: close_notify'; then
		echo "# no close_notify reached the server" >&2
		return 1
	fi
}

@test "Ctrl-C during a stalled handshake: ends at once, terminal restored" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	command -v python3 >/dev/null || skip "python3 is not installed"
	local port
	port=$(tp_free_port)
	tp_start t-stall "$port" python3 "$TP_HELPERS/hostile.py" \
		--hold 60 "$port" stall-accept
	start_pane --timeout 30 --ca-file "$CERTS/ca.pem" "localhost:$port"
	wait_for "$WAIT" serve_log_has t-stall 'accepted'
	# The input thread runs from the start, so the prompt is up even
	# while the handshake waits.
	wait_for "$WAIT" screen_has '^tlsprobe> $'
	local t0
	t0=$(date +%s%N)
	tm send-keys -t "$TM_NAME" C-c
	wait_for "$WAIT" test -s "$D/after"
	echo "# $(cat "$D/exit") after $(ms_since "$t0") ms;" \
		"terminal after: $(tty_flags "$D/after")" >&2
	[ "$(ms_since "$t0")" -lt 3000 ]
	[ "$(cat "$D/exit")" = EXIT=130 ]
	[ "$(tty_flags "$D/after")" = "icanon echo" ]
	[ ! -s "$D/out" ]
}

@test "Ctrl-\\ (SIGQUIT) in interactive mode: terminal restored, ends by SIGQUIT" {
	command -v tmux >/dev/null || skip "tmux is not installed"
	tp_start_tlsprobe_serve t-quit
	start_pane --ca-file "$TP_DIR/t-quit-ca.pem" "localhost:$TP_PORT"
	wait_for "$WAIT" screen_has '^tlsprobe> $'
	[ "$(pane_tty_flags)" = "-icanon -echo" ]
	# shellcheck disable=SC1003 # a backslash, not an escape
	tm send-keys -t "$TM_NAME" 'C-\'
	wait_for "$WAIT" test -s "$D/after"
	echo "# $(cat "$D/exit"); terminal after: $(tty_flags "$D/after")" >&2
	# It used to die of the signal at once, the terminal left raw.
	[ "$(tty_flags "$D/after")" = "icanon echo" ]
	[ "$(cat "$D/exit")" = EXIT=131 ]
	wait_for 5 serve_log_has t-quit 'alert received: close_notify'
}
