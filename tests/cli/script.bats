#!/usr/bin/env bats
# Script commands in --commands input and --script files: :expect waits for
# the server's reply before the next line, :sleep pauses, and an unmet
# expectation ends the run with status 8 within --expect-timeout, naming
# the pattern and the last line received.
#
# Peers: `tlsprobe serve` echoing each line 300 ms late (a reply that a
# script not waiting for it would lose to :quit), and a non-quiet
# `openssl s_server` whose stdin (tp_tell) speaks first, like an SMTP
# greeting, and one that sends 20 bytes and closes with close_notify.

# shellcheck disable=SC2034,SC2154 # status, elapsed are set by peers.bash
bats_require_minimum_version 1.5.0
load ../helpers/peers
BATS_LIB_PATH=$TP_TOP/bats
bats_load_library tlsprobe

setup_file() {
	tp_setup_file
	if ! tp_have_serve; then
		echo "this build has no 'tlsprobe serve'" >&2
		return 1
	fi
	tp_start_tlsprobe_serve slow --reply-delay 300
	export SLOW_PORT=$TP_PORT
	tp_start_tlsprobe_serve echo12 --tls1.2
	export ECHO12_PORT=$TP_PORT
	# Sends 20 bytes at once, then close_notify.
	tp_start_tlsprobe_serve source --mode source --source-bytes 20
	export SOURCE_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

slow() {
	tp_probe --commands --ca-file "$TP_DIR/slow-ca.pem" "$@" \
		"localhost:$SLOW_PORT"
}

# push_start: a fresh s_server named push (one connection) for a test that
# tells it what to send.
push_start() {
	PUSH=push$BATS_TEST_NUMBER
	tp_start_s_server "$PUSH" -naccept 1
	export PUSH_PORT=$TP_PORT
}

# bg_probe ARGS...: tp_probe in the background (the test talks to the
# peer meanwhile); bg_wait then sets status and shows tp_probe's report.
bg_probe() {
	(
		tp_probe "$@"
		echo "$status" >"$BATS_TEST_TMPDIR/status"
	) 2>"$BATS_TEST_TMPDIR/report" 3>&- &
	BG_PID=$!
}

bg_wait() {
	wait "$BG_PID" || true
	cat "$BATS_TEST_TMPDIR/report" >&2
	ERR=$BATS_TEST_TMPDIR/stderr
	OUT=$BATS_TEST_TMPDIR/stdout
	status=$(cat "$BATS_TEST_TMPDIR/status")
}

# push_connected: s_server has a client (it prints the cipher once the
# handshake is done).
push_connected() {
	grep -q '^CIPHER is' "$TP_DIR/$PUSH.log"
}

@test ":expect waits for the reply before the next line (:quit would lose it)" {
	TP_IN=$(tp_input 'one\n:expect ^one$\ntwo\n:expect ^two$\n:quit\n')
	slow
	[ "$status" -eq 0 ]
	tp_stdout_is 'one\ntwo\n'
}

@test "an unmet :expect ends with 8 within --expect-timeout, naming the pattern and the last line" {
	TP_IN=$(tp_input 'hello\n:expect ^never$\nnot sent\n')
	slow --expect-timeout 1
	[ "$status" -eq 8 ]
	[ "$elapsed" -ge 1 ] && [ "$elapsed" -le 4 ]
	tp_stderr_has "^tlsprobe: :expect '\^never\\$' not matched within 1 s" \
		"last line received: 'hello'"
	# The line after the :expect was never sent.
	tp_stdout_is 'hello\n'
}

@test ":expect matches across lines (\\\\n in the pattern) and per line (^, \$)" {
	TP_IN=$(tp_input 'alpha\nbeta\ngamma\n:expect ^beta$\\ngam\n:quit\n')
	slow
	[ "$status" -eq 0 ]
	TP_IN=$(tp_input 'alpha\nbeta\n:expect pha\\nbe\n:expect ^ta\n:quit\n')
	slow --expect-timeout 1
	# "^ta" is not at a line start: only "beta" is left after the match.
	[ "$status" -eq 8 ]
	tp_stderr_has "'\^ta' not matched"
}

@test "a match consumes the data: the same reply does not satisfy the next :expect" {
	TP_IN=$(tp_input 'ok\n:expect ok\n:expect ok\n')
	slow --expect-timeout 1
	[ "$status" -eq 8 ]
	tp_stderr_has "'ok' not matched" "last line received: 'ok'"
}

@test "CRLF replies: \$ matches before CR LF (--crlf sends them, the echo returns them)" {
	TP_IN=$(tp_input 'EHLO x\n:expect ^EHLO x$\n:quit\n')
	slow --crlf --expect-timeout 2
	[ "$status" -eq 0 ]
	tp_stdout_is 'EHLO x\r\n'
}

@test "--script FILE is --commands < FILE; a missing file is status 1" {
	local f=$BATS_TEST_TMPDIR/dialogue
	printf 'one\n:expect ^one$\n:quit\n' >"$f"
	tp_probe --script "$f" --ca-file "$TP_DIR/slow-ca.pem" \
		"localhost:$SLOW_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'one\n'
	tp_probe --script "$BATS_TEST_TMPDIR/none" --ca-file \
		"$TP_DIR/slow-ca.pem" "localhost:$SLOW_PORT"
	[ "$status" -eq 1 ]
	tp_stderr_has "--script .*none.*no such file"
}

@test ":sleep pauses; a bad :sleep or :expect pattern is refused" {
	TP_IN=$(tp_input 'a\n:expect a\n:sleep 1.5\n:quit\n')
	slow
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 1 ]
	TP_IN=$(tp_input 'a\n:expect a(\n:quit\n')
	slow
	[ "$status" -eq 2 ]
	tp_stderr_has "invalid :expect pattern 'a\(':"
	TP_IN=$(tp_input ':sleep soon\n:quit\n')
	slow
	tp_stderr_has "want seconds"
}

@test "a greeting-first server: :expect its banner, then answer; the server sees our line" {
	push_start
	TP_IN=$(tp_input ':expect ^220 \nEHLO probe\n:expect ^250 \n:quit\n')
	bg_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$PUSH_PORT"
	wait_for 10 push_connected
	tp_tell "$PUSH" '220 mail.test ESMTP'
	wait_for 10 grep -q '^EHLO probe' "$TP_DIR/$PUSH.log"
	tp_tell "$PUSH" '250 hello'
	bg_wait
	[ "$status" -eq 0 ]
	tp_stdout_is '220 mail.test ESMTP\n250 hello\n'
}

@test "the server closes (close_notify) before the pattern comes: status 8, not 0" {
	TP_IN=$(tp_input ':expect ^never$\n')
	tp_probe --commands --ca-file "$TP_DIR/source-ca.pem" \
		"localhost:$SOURCE_PORT"
	[ "$status" -eq 8 ]
	tp_stdout_is 'abcdefghijklmnopqrst'
	tp_stderr_has "closed before :expect '\\^never\\$' matched" \
		"last line received: 'abcdefghijklmnopqrst'"
}

@test "the server closes during a :sleep: the :expect after it still fails (8), data before it is dropped" {
	local f=$BATS_TEST_TMPDIR/script
	printf 'hello\n:sleep 2\nmore\n:reneg\n:expect ^never$\n' >"$f"
	tp_probe --script "$f" --ca-file "$TP_DIR/source-ca.pem" \
		"localhost:$SOURCE_PORT"
	[ "$status" -eq 8 ]
	[ "$elapsed" -le 2 ]
	tp_stdout_is 'abcdefghijklmnopqrst'
	tp_stderr_has "closed before :expect '\\^never\\$' matched"
	run ! grep -Eq "^Renegotiat" "$ERR"
}

@test "renegotiation between expectations, TLS 1.2: the session goes on (bats library)" {
	TLS_INPUT=$'ping\n:expect ^ping$\n:reneg\npong\n:expect ^pong$\n:quit\n' \
		tls_connect --commands --tls1.2 --expect-timeout 5 \
		--ca-file "$TP_DIR/echo12-ca.pem" "localhost:$ECHO12_PORT"
	assert_tls_ok
	[ "$output" = $'ping\npong' ]
	assert_tls_field connection.protocol TLSv1.2
	assert_tls_field connection.renegotiations 1
	[[ $stderr == *"Renegotiation done"* ]]
}

@test "a reply far larger than the 64 KiB window: its end still matches" {
	local in=$BATS_TEST_TMPDIR/big
	{
		head -c 300000 /dev/zero | tr '\0' x
		printf 'END\n:expect x{100}END$\n:quit\n'
	} >"$in"
	TP_IN=$in tp_probe --commands --ca-file "$TP_DIR/echo12-ca.pem" \
		"localhost:$ECHO12_PORT"
	[ "$status" -eq 0 ]
	[ "$(wc -c <"$OUT")" -eq 300004 ]
}
