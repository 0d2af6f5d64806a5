#!/usr/bin/env bats
# Renegotiation and key update, driven with --commands from piped stdin and
# by the server (s_server reads `r`, `k`, `K` lines on its stdin).

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed, stderr_lines
# are read or set by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_s_server accepts -tls1_2 -client_renegotiation -rev
	export ACCEPTS_PORT=$TP_PORT
	tp_start_s_server refuses -tls1_2 -rev
	export REFUSES_PORT=$TP_PORT
	tp_start_s_server tls13 -tls1_3 -rev
	export TLS13_PORT=$TP_PORT
	# Not -rev and not -quiet: s_server then takes commands on its stdin
	# and sends its other stdin lines to the client.
	tp_start_s_server driver12 -tls1_2
	export DRIVER12_PORT=$TP_PORT
	tp_start_s_server driver13 -tls1_3
	export DRIVER13_PORT=$TP_PORT
	tp_start_s_server quitpeer -tls1_3
	export QUIT_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls12 --echo --priority 'NORMAL:-VERS-TLS1.3'
	export GNUTLS12_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test ":reneg against s_server -client_renegotiation completes, data flows" {
	# 10 runs: the reply to "hello" may arrive while the renegotiation is
	# under way (wolfSSL's APP_DATA_READY), and its bytes must survive.
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	for _ in $(seq 1 10); do
		tp_probe --commands --ca-file "$CERTS/ca.pem" \
			"localhost:$ACCEPTS_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\ndlrow\n'
		tp_stderr_has 'renegotiat' 'complete|done|finished|succe|ok'
	done
}

@test "three :reneg in a row, data between them" {
	TP_IN=$(tp_input 'a1\n:reneg\nb2\n:reneg\nc3\n:reneg\nd4\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$ACCEPTS_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is '1a\n2b\n3c\n4d\n'
	[ "$(grep -ci 'renegotiat' "$ERR")" -ge 3 ]
}

@test ":reneg refused (s_server default): no_renegotiation reported, session goes on" {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$REFUSES_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
	tp_stderr_has 'no_renegotiation|no renegotiation|refused'
}

@test ":reneg against gnutls-serv (TLS 1.2 echo) completes" {
	printf 'hello\n:reneg\nworld\n' >"$BATS_TEST_TMPDIR/in"
	TP_IN=$(tp_input_then_wait "$BATS_TEST_TMPDIR/in" 1)
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$GNUTLS12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	tp_stderr_has 'renegotiat'
}

@test "TLS 1.3: :reneg explains there is none and :keyupdate works" {
	TP_IN=$(tp_input 'hello\n:reneg\n:keyupdate\nworld\n:keyupdate req\nagain\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$TLS13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\nniaga\n'
	tp_stderr_has 'TLS ?v?1\.3' 'key ?update'
}

@test ":status prints the session on stderr, never on stdout" {
	TP_IN=$(tp_input 'hello\n:status\nworld\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$ACCEPTS_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
	tp_stderr_has 'TLS ?v?1\.2'
}

@test ":quit ends the session; later lines are not sent" {
	# quitpeer is a plain s_server that logs what it receives and
	# sends nothing.
	TP_IN=$(tp_input 'hello\n:quit\nworld\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$QUIT_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is ''
	sleep 0.2
	grep -q '^hello' "$TP_DIR/quitpeer.log"
	if grep -q '^world' "$TP_DIR/quitpeer.log"; then
		echo "# the line after :quit reached the server" >&2
		return 1
	fi
}

@test "::line sends a literal leading colon with --commands" {
	TP_IN=$(tp_input '::reneg\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" "localhost:$TLS13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'gener:\n'
}

# Drive a session where the server acts: client stdin is a fifo fed by a
# script that interleaves client lines with s_server stdin commands.
# usage: server_driven PEER PORT CMD... where CMD is c:TEXT (client line),
# s:TEXT (line to s_server's stdin) or w:SECS (pause). Extra tlsprobe args
# come from $EXTRA.
server_driven() {
	local peer=$1 port=$2 step
	shift 2
	local fifo=$BATS_TEST_TMPDIR/driver.in
	rm -f "$fifo"
	mkfifo "$fifo"
	{
		sleep 0.5
		for step in "$@"; do
			case $step in
			c:*) printf '%s\n' "${step#c:}" ;;
			s:*) tp_tell "$peer" "${step#s:}" ;;
			w:*) sleep "${step#w:}" ;;
			esac
		done
	} >"$fifo" 3>&- &
	TP_IN=$fifo
	# shellcheck disable=SC2086 # EXTRA is a word list
	tp_probe ${EXTRA:-} --ca-file "$CERTS/ca.pem" "localhost:$port"
}

@test "server-initiated renegotiation (HelloRequest) in TLS 1.2" {
	EXTRA=--msg server_driven driver12 "$DRIVER12_PORT" \
		c:hello w:0.5 s:r w:1 's:after reneg' w:0.5 c:world w:0.5
	[ "$status" -eq 0 ]
	tp_stdout_is 'after reneg\n'
	tp_stderr_has 'renegotiat'
	grep -q '^hello' "$TP_DIR/driver12.log"
	grep -q '^world' "$TP_DIR/driver12.log"
}

@test "server KeyUpdate with update_requested in TLS 1.3" {
	EXTRA=--msg server_driven driver13 "$DRIVER13_PORT" \
		c:hello w:0.5 s:K w:0.5 's:after update' w:0.5 c:world w:0.5
	[ "$status" -eq 0 ]
	tp_stdout_is 'after update\n'
	tp_stderr_has 'key ?update'
	grep -q '^hello' "$TP_DIR/driver13.log"
	grep -q '^world' "$TP_DIR/driver13.log"
}

@test "the server's KeyUpdates are told, the first three each, then counted (TLS 1.3)" {
	local i script=''
	tp_start_tlsprobe_serve ku13 --key-update-every 1
	# Each line waits for its echo: one server write, one KeyUpdate, each.
	for i in 1 2 3 4 5 6; do
		script+="line $i\n:expect ^line $i\n"
	done
	TP_IN=$(tp_input "$script")
	tp_probe --commands --json "$BATS_TEST_TMPDIR/r.json" \
		--ca-file "$TP_DIR/ku13-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Peer sent a KeyUpdate$' "$ERR")" -eq 3 ]
	[ "$(grep -c '^Peer sent a KeyUpdate; further ones are counted, not shown (--msg shows each)$' "$ERR")" -eq 1 ]
	tp_json_is '.connection.key_updates_received >= 6' "$BATS_TEST_TMPDIR/r.json"
	# --msg shows each instead.
	TP_IN=$(tp_input "$script")
	tp_probe --commands --msg --ca-file "$TP_DIR/ku13-ca.pem" \
		"localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^<<< KeyUpdate' "$ERR")" -ge 6 ]
	run ! grep -q '^Peer sent a KeyUpdate' "$ERR"
}

@test "a renegotiation the server asks for (HelloRequest) is told when it starts and when it is done" {
	tp_start_tlsprobe_serve hr12 --hello-request-every 5
	TP_IN=$(tp_input 'hello world\n')
	tp_probe --tls1.2 --ca-file "$TP_DIR/hr12-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello world\n'
	tp_stderr_has '^Peer started a renegotiation$' \
		'^Peer renegotiation done \(handshake 2, TLS_[A-Z0-9_]+\)$'
}
