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
	ic_selfclient_cert
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
	tail -n 8 "$TP_DIR/stunnel/stunnel.log" >&2 2>/dev/null || true
}

@test "stunnel: connect and verify, TLS 1.3 by default, TLS 1.2 on request" {
	ic_connect_13_then_12 "$STUNNEL_PORT"
}

@test "stunnel: piped lines come back from the echo backend at end of input" {
	ic_echo_lines "$STUNNEL_PORT"
}

@test "stunnel: 1 MiB piped through the echo backend comes back byte for byte" {
	ic_echo_1mib "$STUNNEL_PORT"
}

@test "stunnel: :reneg mid-stream (TLS 1.2) refused with a warning, the echo goes on" {
	ic_echo_reneg_refused "$STUNNEL_PORT"
	ic_expect_session .connection.renegotiations 0
	tp_stderr_has 'no_renegotiation'
}

@test "stunnel: :keyupdate req (TLS 1.3) is answered, the echo goes on" {
	ic_echo_keyupdate "$STUNNEL_PORT"
}

@test "stunnel: probe reneg: rejected (refused, alive), KeyUpdate answered" {
	ic_probe_refused_alive stunnel "$STUNNEL_PORT" --request 'ping\n'
	ic_expect_probe .renegotiation.client_initiated.attempts_made 3
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
	ic_cc_with_cert "$STUNNEL_CC_PORT" 'hello\n'
	tp_stdout_is 'hello\n'
}

@test "stunnel requireCert: none, TLS 1.3: certificate_required, exit 6; TLS 1.2: handshake_failure, exit 4" {
	ic_cc_none_tls13 "$STUNNEL_CC_PORT" 'hello\n'
	tp_stdout_is ''
	ic_cc_none_tls12 "$STUNNEL_CC_PORT" 'hello\n' 'handshake_failure'
}

@test "stunnel requireCert: certificate of an unknown CA: unknown_ca, exit 6" {
	ic_cc_unknown_ca "$STUNNEL_CC_PORT" 'hello\n'
}
