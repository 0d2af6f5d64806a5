#!/usr/bin/env bats
# openssl s_server (OpenSSL 3.0) variants, each a line-reversing server
# (-rev): TLS 1.2 only with OpenSSL's default policy, with
# -client_renegotiation, -no_renegotiation, -legacy_renegotiation (alone
# and with -client_renegotiation), and TLS 1.3 only. s_server takes one
# connection at a time, so every variant is its own process. Expected
# results: EXPECTED.md, "openssl s_server".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

setup_file() {
	ic_setup_file openssl
	tp_start_s_server s12 -tls1_2 -rev
	export S12_PORT=$TP_PORT
	tp_start_s_server s12accept -tls1_2 -client_renegotiation -rev
	export S12ACCEPT_PORT=$TP_PORT
	tp_start_s_server s12norenego -tls1_2 -no_renegotiation -rev
	export S12NORENEGO_PORT=$TP_PORT
	tp_start_s_server s12legacy -tls1_2 -legacy_renegotiation -rev
	export S12LEGACY_PORT=$TP_PORT
	tp_start_s_server s12legacyaccept -tls1_2 -legacy_renegotiation \
		-client_renegotiation -rev
	export S12LEGACYACCEPT_PORT=$TP_PORT
	tp_start_s_server s13 -tls1_3 -rev
	export S13_PORT=$TP_PORT
	# A byte-exact echo (s_server -quiet feeding itself through a fifo)
	# that allows client renegotiation: the mid-stream tests.
	tp_start_s_server_echo s12echo -tls1_2 -client_renegotiation
	export S12ECHO_PORT=$TP_PORT
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
}

# reneg_refused PORT: `hello`, :reneg, `world` piped with --commands: the
# renegotiation is refused with a warning no_renegotiation, the session
# goes on, exit 0.
reneg_refused() {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation|no renegotiation|refused'
}

# reneg_completed PORT: the same, and the renegotiation completes.
reneg_completed() {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
	ic_expect_session .connection.renegotiations 1
	ic_expect_session .connection.renegotiations_refused 0
	ic_expect_session .connection.handshakes 2
}

@test "s_server -tls1_2: connect and verify, TLS 1.2" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$S12_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.2
	ic_expect_session .connection.verification.ok true
	ic_expect_session .connection.secure_renegotiation true
}

@test "s_server -tls1_2: piped lines come back reversed at end of input" {
	TP_IN=$(tp_input 'hello\nworld\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$S12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
}

@test "s_server -tls1_2: --tls1.3 fails the handshake (protocol_version), exit 4" {
	ic_run --tls1.3 --ca-file "$CERTS/ca.pem" "localhost:$S12_PORT"
	[ "$status" -eq 4 ]
	tp_stderr_has 'protocol.?version|version'
}

@test "s_server -tls1_2: :reneg refused (warning no_renegotiation), session goes on" {
	reneg_refused "$S12_PORT"
}

@test "s_server -tls1_2: probe reneg: rejected, TLS 1.3 not applicable" {
	ic_probe s12 "$S12_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.protocol_tested TLSv1.2
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .renegotiation.client_initiated.attempts_made 3
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after true
	ic_expect_probe .renegotiation.server_initiated.status not_observed
	ic_expect_probe .tls13.supported false
	ic_expect_probe .tls13.key_update.status not_applicable
}

@test "s_server -tls1_2 -client_renegotiation: :reneg completes, data on both sides of it" {
	reneg_completed "$S12ACCEPT_PORT"
}

@test "s_server -tls1_2 -client_renegotiation: probe reneg: accepted 3 of 3" {
	ic_probe s12accept "$S12ACCEPT_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status accepted
	ic_expect_probe .renegotiation.client_initiated.attempts_completed 3
	# -rev is no echo: the mid-stream test cannot run.
	ic_expect_probe .renegotiation.midstream.stream_ok not_tested
}

@test "s_server -quiet echo -tls1_2 -client_renegotiation: :reneg in the middle of 512 KiB, echoed byte for byte" {
	# base64 lines: no line of the data starts with ':'.
	head -c 196608 /dev/urandom | base64 >"$BATS_TEST_TMPDIR/p1"
	head -c 196608 /dev/urandom | base64 >"$BATS_TEST_TMPDIR/p2"
	cat "$BATS_TEST_TMPDIR/p1" "$BATS_TEST_TMPDIR/p2" >"$BATS_TEST_TMPDIR/want"
	{
		cat "$BATS_TEST_TMPDIR/p1"
		echo ':reneg'
		cat "$BATS_TEST_TMPDIR/p2"
	} >"$BATS_TEST_TMPDIR/in"
	TP_IN=$BATS_TEST_TMPDIR/in
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$S12ECHO_PORT"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	ic_expect_session .connection.renegotiations 1
}

@test "s_server -quiet echo -tls1_2 -client_renegotiation: probe reneg: accepted, mid-stream stream_ok with 3 renegotiations" {
	ic_probe s12echo "$S12ECHO_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status accepted
	ic_expect_probe .renegotiation.midstream.echo_detected true
	ic_expect_probe .renegotiation.midstream.stream_ok true
	ic_expect_probe .renegotiation.midstream.renegotiations_completed 3
	ic_expect_probe .renegotiation.midstream.bytes_received 262144
}

@test "s_server -tls1_2 -no_renegotiation: :reneg refused, session goes on" {
	reneg_refused "$S12NORENEGO_PORT"
}

@test "s_server -tls1_2 -no_renegotiation: probe reneg: rejected" {
	ic_probe s12norenego "$S12NORENEGO_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .renegotiation.client_initiated.attempts_completed 0
}

@test "s_server -tls1_2 -legacy_renegotiation alone: :reneg refused (it does not allow client renegotiation)" {
	reneg_refused "$S12LEGACY_PORT"
}

@test "s_server -tls1_2 -legacy_renegotiation -client_renegotiation: :reneg completes" {
	reneg_completed "$S12LEGACYACCEPT_PORT"
}

@test "s_server -tls1_2 -legacy_renegotiation -client_renegotiation: probe reneg: accepted, secure renegotiation supported" {
	ic_probe s12legacyaccept "$S12LEGACYACCEPT_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status accepted
}

@test "s_server -tls1_3: connect and verify, TLS 1.3; --tls1.2 fails, exit 4" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$S13_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$S13_PORT"
	[ "$status" -eq 4 ]
}

@test "s_server -tls1_3: :keyupdate and :keyupdate req mid-stream; the request is answered" {
	TP_IN=$(tp_input 'hello\n:keyupdate\nworld\n:keyupdate req\nagain\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$S13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\nniaga\n'
	ic_expect_session .connection.key_updates_sent 2
	ic_expect_session .connection.key_updates_received 1
}

@test "s_server -tls1_3: :reneg says TLS 1.3 has none, the session goes on" {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$S13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\ndlrow\n'
	ic_expect_session .connection.renegotiations 0
	tp_stderr_has 'TLS ?v?1\.3'
}

@test "s_server -tls1_3: probe reneg: not_applicable, KeyUpdate answered" {
	ic_probe s13 "$S13_PORT"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.protocol_tested TLSv1.3
	ic_expect_probe .renegotiation.client_initiated.status not_applicable
	ic_expect_probe .renegotiation.secure_renegotiation.status \
		not_applicable
	ic_expect_probe .tls13.supported true
	ic_expect_probe .tls13.key_update.status answered
}
