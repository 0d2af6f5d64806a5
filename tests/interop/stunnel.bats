#!/usr/bin/env bats
# stunnel4 5.68 (OpenSSL 3) in front of a plain python3 echo server: the
# default service (renegotiation = yes), one with renegotiation = no (which
# stunnel enforces by dropping the connection), and one with requireCert.
# Expected results: EXPECTED.md, "stunnel4".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# stunnel_start NAME: the echo backend, then stunnel in the foreground
# with a config in $TP_DIR/NAME. Exports STUNNEL_PORT, STUNNEL_NORENEG_PORT,
# STUNNEL_CC_PORT.
stunnel_start() {
	local name=$1 dir=$TP_DIR/$1 port noreneg cc echo_be
	ic_start_echo_backend "$name-echod" || return 1
	echo_be=$TP_PORT
	port=$(tp_free_port) && noreneg=$(tp_free_port) && cc=$(tp_free_port) ||
		return 1
	mkdir -p "$dir"
	cat >"$dir/stunnel.conf" <<EOF
foreground = yes
pid =
debug = info
output = $dir/stunnel.log
[echo]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$echo_be
cert = $CERTS/leaf.pem
key = $CERTS/leaf.key
[noreneg]
accept = 127.0.0.1:$noreneg
connect = 127.0.0.1:$echo_be
cert = $CERTS/leaf.pem
key = $CERTS/leaf.key
renegotiation = no
[cc]
accept = 127.0.0.1:$cc
connect = 127.0.0.1:$echo_be
cert = $CERTS/leaf.pem
key = $CERTS/leaf.key
CAfile = $CERTS/ca.pem
verifyChain = yes
requireCert = yes
EOF
	ic_start "$name" "$port" stunnel "$dir/stunnel.conf" &&
		ic_wait_port "$name" "$noreneg" &&
		ic_wait_port "$name" "$cc" || return 1
	export STUNNEL_PORT=$port STUNNEL_NORENEG_PORT=$noreneg STUNNEL_CC_PORT=$cc
}

setup_file() {
	ic_setup_file stunnel python3
	stunnel_start stunnel
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$CERTS/selfclient.key" -out "$CERTS/selfclient.pem" \
		-subj "/CN=self-signed client" -days 2 2>/dev/null
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
	tail -n 8 "$TP_DIR/stunnel/stunnel.log" >&2 2>/dev/null || true
}

@test "stunnel: connect and verify, TLS 1.3 by default, TLS 1.2 on request" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.2
}

@test "stunnel: piped lines come back from the echo backend at end of input" {
	TP_IN=$(tp_input 'hello\nworld\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
}

@test "stunnel: 1 MiB piped through the echo backend comes back byte for byte" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	TP_IN=$BATS_TEST_TMPDIR/blob
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/blob" "$OUT"
}

@test "stunnel: :reneg mid-stream (TLS 1.2) refused with a warning, the echo goes on" {
	TP_IN=$(ic_input_paced 'hello\n:reneg\n' +1 'world\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation'
}

@test "stunnel: :keyupdate req (TLS 1.3) is answered, the echo goes on" {
	TP_IN=$(tp_input 'hello\n:keyupdate req\nworld\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.key_updates_received 1
}

@test "stunnel: probe reneg: rejected (refused, alive), KeyUpdate answered" {
	ic_probe stunnel "$STUNNEL_PORT" --request 'ping\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .renegotiation.client_initiated.attempts_made 3
	ic_expect_probe '.renegotiation.client_initiated.attempts[2].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after true
	ic_expect_probe .tls13.key_update.status answered
}

@test "stunnel renegotiation = no: :reneg gets a warning, then stunnel resets the connection: exit 6" {
	TP_IN=$(ic_input_paced 'hello\n' +0.5 ':reneg\n' +1 'world\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$STUNNEL_NORENEG_PORT"
	[ "$status" -eq 6 ]
	tp_stdout_is 'hello\n'
	tp_stderr_has 'no_renegotiation' 'reset'
}

@test "stunnel renegotiation = no: probe reneg: rejected, not alive after the refusal" {
	ic_probe stunnel_noreneg "$STUNNEL_NORENEG_PORT" --request 'ping\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after false
	ic_expect_probe .renegotiation.client_initiated.stopped_early true
}

@test "stunnel requireCert: with --cert/--key, echoed" {
	TP_IN=$(tp_input 'hello\n')
	ic_run --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_CC_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\n'
}

@test "stunnel requireCert: none, TLS 1.3: certificate_required, exit 6; TLS 1.2: handshake_failure, exit 4" {
	TP_IN=$(ic_input_paced +1 'hello\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_CC_PORT"
	[ "$status" -eq 6 ]
	tp_stderr_has 'certificate_required'
	tp_stdout_is ''
	TP_IN=$(tp_input 'hello\n')
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_CC_PORT"
	[ "$status" -eq 4 ]
	tp_stderr_has 'handshake_failure'
}

@test "stunnel requireCert: certificate of an unknown CA: unknown_ca, exit 6" {
	TP_IN=$(ic_input_paced +1 'hello\n')
	ic_run --cert "$CERTS/selfclient.pem" --key "$CERTS/selfclient.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$STUNNEL_CC_PORT"
	[ "$status" -eq 6 ]
	tp_stderr_has 'unknown_ca'
}
