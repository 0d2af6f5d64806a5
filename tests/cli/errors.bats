#!/usr/bin/env bats
# Failures and their exit statuses: connect (3), handshake (4),
# verification (5), timeout (7), and --insecure.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed, stderr_lines
# are read or set by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_s_server rev -rev
	export REV_PORT=$TP_PORT
	tp_start_s_server_with expired expired -rev
	export EXPIRED_PORT=$TP_PORT
	tp_start_s_server_with wrongname wrongname -rev
	export WRONGNAME_PORT=$TP_PORT
	tp_start_fake garbage garbage
	export GARBAGE_PORT=$TP_PORT
	tp_start_fake hangup hangup
	export HANGUP_PORT=$TP_PORT
	tp_start_fake stall stall
	export STALL_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "unresolvable host: exit 3" {
	tp_probe --timeout 5 no-such-host.invalid:443
	[ "$status" -eq 3 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'no-such-host\.invalid'
}

@test "refused port: exit 3" {
	port=$(tp_free_port)
	tp_probe --timeout 5 "127.0.0.1:$port"
	[ "$status" -eq 3 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'refused|connect'
}

@test "untrusted server certificate (no --ca-file): exit 5, no data" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe "localhost:$REV_PORT"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'verif|certificate|trust|issuer'
}

@test "certificate from another CA (--ca-file other CA): exit 5" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/other-ca.pem" "localhost:$REV_PORT"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
}

@test "wrong name (--servername wrong.example): exit 5, no data" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" --servername wrong.example \
		"localhost:$REV_PORT"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'name|host|match'
}

@test "certificate for another name (wrong.example leaf): exit 5" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$WRONGNAME_PORT"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
}

@test "expired certificate: exit 5, no data" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$EXPIRED_PORT"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'expired|date|valid'
}

@test "--insecure with an untrusted certificate: proceeds, exit 0, warns" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --insecure "localhost:$REV_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'insecure|warning'
}

@test "--insecure with an expired certificate: proceeds, records why" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --insecure --ca-file "$CERTS/ca.pem" \
		"localhost:$EXPIRED_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'insecure|warning' 'expired|date|valid'
}

@test "a server that speaks HTTP, not TLS: exit 4" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --timeout 5 --ca-file "$CERTS/ca.pem" "localhost:$GARBAGE_PORT"
	[ "$status" -eq 4 ]
	[ ! -s "$OUT" ]
}

@test "a server that closes during the handshake: exit 4" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --timeout 5 --ca-file "$CERTS/ca.pem" "localhost:$HANGUP_PORT"
	[ "$status" -eq 4 ]
	[ ! -s "$OUT" ]
}

@test "a server that accepts and stalls, --timeout 2: exit 7 within 5 s" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --timeout 2 --ca-file "$CERTS/ca.pem" "localhost:$STALL_PORT"
	[ "$status" -eq 7 ]
	[ "$elapsed" -le 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has 'time'
}
