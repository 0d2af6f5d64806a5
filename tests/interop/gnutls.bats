#!/usr/bin/env bats
# gnutls-serv (GnuTLS 3.7) in echo mode: its default priority (safe
# renegotiation, TLS 1.3), NORMAL:%DISABLE_SAFE_RENEGOTIATION (no RFC
# 5746), and one that requires a client certificate. gnutls-serv has no
# listen address option: it binds the port on every address, and these
# tests only ever connect to 127.0.0.1. Expected results: EXPECTED.md,
# "gnutls-serv".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# gnutls_start NAME [ARGS...]: gnutls-serv --echo with the test
# certificate, plus ARGS. Sets TP_PORT.
gnutls_start() {
	local name=$1 port
	shift
	port=$(tp_free_port) || return 1
	ic_start "$name" "$port" gnutls-serv --port "$port" --echo \
		--x509certfile "$CERTS/leaf.pem" --x509keyfile "$CERTS/leaf.key" \
		"$@"
}

setup_file() {
	ic_setup_file gnutls-serv
	gnutls_start gnutls --disable-client-cert
	export GNUTLS_PORT=$TP_PORT
	gnutls_start gnutls_unsafe --disable-client-cert \
		--priority 'NORMAL:%DISABLE_SAFE_RENEGOTIATION'
	export GNUTLS_UNSAFE_PORT=$TP_PORT
	gnutls_start gnutls_cc --require-client-cert --verify-client-cert \
		--x509cafile "$CERTS/ca.pem"
	export GNUTLS_CC_PORT=$TP_PORT
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
}

@test "gnutls-serv: connect and verify, TLS 1.3; piped lines echoed at end of input" {
	ic_echo_lines "$GNUTLS_PORT"
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
}

@test "gnutls-serv: :reneg mid-stream (TLS 1.2) completes, data on both sides" {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$GNUTLS_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.protocol TLSv1.2
	ic_expect_session .connection.renegotiations 1
	ic_expect_session .connection.renegotiations_refused 0
}

@test "gnutls-serv: :keyupdate req (TLS 1.3) is answered" {
	ic_echo_keyupdate "$GNUTLS_PORT"
	ic_expect_session .connection.key_updates_sent 1
}

@test "gnutls-serv: probe reneg: accepted, mid-stream stream_ok, KeyUpdate answered" {
	ic_probe gnutls "$GNUTLS_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status accepted
	ic_expect_probe .renegotiation.client_initiated.attempts_completed 3
	ic_expect_probe .renegotiation.midstream.echo_detected true
	ic_expect_probe .renegotiation.midstream.stream_ok true
	ic_expect_probe .tls13.key_update.status answered
}

@test "gnutls-serv %DISABLE_SAFE_RENEGOTIATION: connects; :reneg is not attempted, session goes on" {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$GNUTLS_UNSAFE_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.secure_renegotiation false
	ic_expect_session .connection.renegotiations 0
	tp_stderr_has 'secure renegotiation'
}

@test "gnutls-serv %DISABLE_SAFE_RENEGOTIATION: probe reneg: not_supported, inconclusive" {
	ic_probe gnutls_unsafe "$GNUTLS_UNSAFE_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status not_supported
	ic_expect_probe .renegotiation.client_initiated.status inconclusive
	ic_expect_probe .verdicts.secure_renegotiation not_supported
}

@test "gnutls-serv --require-client-cert: with --cert/--key, echoed" {
	ic_cc_with_cert "$GNUTLS_CC_PORT" 'hello\n'
	tp_stdout_is 'hello\n'
}

@test "gnutls-serv --require-client-cert: none, TLS 1.3: certificate_required after the handshake, exit 6" {
	ic_cc_none_tls13 "$GNUTLS_CC_PORT" 'hello\n'
	tp_stdout_is ''
}

@test "gnutls-serv --require-client-cert: none, TLS 1.2: handshake fails (decode_error), exit 4" {
	ic_cc_none_tls12 "$GNUTLS_CC_PORT" 'hello\n' 'decode_error'
}
