#!/usr/bin/env bats
# tlsprobe probe reneg: the connection options it shares with the connect
# command (--starttls, --cert/--key, --keylog and SSLKEYLOGFILE,
# --servername/--noservername), each against a peer that shows whether it
# took effect.

# shellcheck disable=SC2034,SC2153,SC2154 # status, JSON, TP_* are set by helpers
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

setup_file() {
	tp_setup_file
	probe_client_cert
	# TLS 1.2, renegotiation allowed: behind a STARTTLS front.
	tp_start_s_server smtp_backend -tls1_2 -client_renegotiation
	tp_start_starttls_front smtp smtp "$TP_PORT"
	export SMTP_PORT=$TP_PORT
	tp_start_s_server pop3_backend -tls1_2
	tp_start_starttls_front pop3 pop3 "$TP_PORT"
	export POP3_PORT=$TP_PORT
	# A client certificate is required at every handshake.
	tp_start_s_server needcert -tls1_2 -client_renegotiation \
		-Verify 1 -CAfile "$CERTS/ca.pem"
	export NEEDCERT_PORT=$TP_PORT
	probe_start_sni_server
	tp_start_tlsprobe_serve serve
	export SERVE_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "--starttls smtp: the probe runs through the SMTP preamble" {
	probe_run smtp "$CERTS/ca.pem" "$SMTP_PORT" --starttls smtp \
		--attempts 3
	[ "$status" -eq 0 ]
	probe_expect target.starttls smtp
	probe_expect renegotiation.protocol_tested TLSv1.2
	probe_expect renegotiation.client_initiated.status accepted
	# The hand-written ClientHellos go through STARTTLS too.
	probe_expect renegotiation.secure_renegotiation.extension supported
	probe_expect renegotiation.secure_renegotiation.scsv supported
	grep -q 'STARTTLS done' "$TP_DIR/smtp.log"
	# The text report says how the connection was made.
	tp_probe probe reneg --starttls smtp --attempts 1 --hello-wait 100 \
		--ca-file "$CERTS/ca.pem" "localhost:$SMTP_PORT"
	[ "$status" -eq 0 ]
	grep -q "^target: .* after STARTTLS (smtp)$" "$OUT"
}

@test "--starttls pop3: rejected, as the TLS server behind it" {
	probe_run pop3 "$CERTS/ca.pem" "$POP3_PORT" --starttls pop3 \
		--attempts 2
	[ "$status" -eq 0 ]
	probe_expect target.starttls pop3
	probe_expect renegotiation.client_initiated.status rejected
}

@test "without --starttls a STARTTLS port is no TLS server; a bad protocol is a usage error" {
	tp_probe probe reneg --attempts 1 --timeout 2 --ca-file "$CERTS/ca.pem" \
		"localhost:$SMTP_PORT"
	[ "$status" -eq 4 ]
	tp_probe probe reneg --starttls gopher "localhost:$SMTP_PORT"
	[ "$status" -eq 2 ]
	tp_stderr_has 'invalid --starttls protocol'
}

@test "--cert/--key: a server that requires a client certificate is probed" {
	probe_run needcert "$CERTS/ca.pem" "$NEEDCERT_PORT" --attempts 2 \
		--cert "$CERTS/client.pem" --key "$CERTS/client.key"
	[ "$status" -eq 0 ]
	probe_expect settings.client_certificate true
	probe_expect renegotiation.client_initiated.status accepted
	probe_expect renegotiation.client_initiated.attempts_completed 2
	grep -q 'tlsprobe client' "$TP_DIR/needcert.log"
}

@test "without --cert the same server fails the handshake; --key alone and a missing file are errors" {
	tp_probe probe reneg --attempts 1 --ca-file "$CERTS/ca.pem" \
		"localhost:$NEEDCERT_PORT"
	[ "$status" -eq 4 ]
	tp_probe probe reneg --key "$CERTS/client.key" "localhost:$NEEDCERT_PORT"
	[ "$status" -eq 2 ]
	tp_stderr_has '--key needs --cert'
	tp_probe probe reneg --cert "$TP_DIR/nonexistent.pem" \
		"localhost:$NEEDCERT_PORT"
	[ "$status" -eq 1 ]
	tp_stderr_has 'nonexistent.pem'
}

@test "--keylog: secrets of every handshake, TLS 1.2 and 1.3, with the loud note" {
	local log=$BATS_TEST_TMPDIR/keys.log
	probe_run serve "$TP_DIR/serve-ca.pem" "$SERVE_PORT" --attempts 2 \
		--keylog "$log"
	[ "$status" -eq 0 ]
	tp_stderr_has "Note: TLS secrets are logged to $log"
	# The first handshake and two renegotiations at least, on TLS 1.2.
	[ "$(grep -c '^CLIENT_RANDOM ' "$log")" -ge 3 ]
	grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$log"
}

@test "SSLKEYLOGFILE: the same, and --keylog wins over it" {
	local env=$BATS_TEST_TMPDIR/env.log opt=$BATS_TEST_TMPDIR/opt.log
	SSLKEYLOGFILE=$env probe_run serve "$TP_DIR/serve-ca.pem" \
		"$SERVE_PORT" --attempts 1
	[ "$status" -eq 0 ]
	tp_stderr_has "Note: TLS secrets are logged to $env"
	grep -q '^CLIENT_RANDOM ' "$env"
	SSLKEYLOGFILE=$env probe_run serve "$TP_DIR/serve-ca.pem" \
		"$SERVE_PORT" --attempts 1 --keylog "$opt"
	[ "$status" -eq 0 ]
	grep -q '^CLIENT_RANDOM ' "$opt"
}

@test "--servername NAME: sent as SNI and verified, on every connection" {
	probe_run sni "$CERTS/ca.pem" "$SNI_PORT" --attempts 2 \
		--servername wrong.example
	[ "$status" -eq 0 ]
	probe_expect target.servername wrong.example
	probe_expect renegotiation.client_initiated.status accepted
	probe_expect renegotiation.secure_renegotiation.extension supported
}

@test "default SNI is HOST; --noservername sends none and verifies HOST, with connect's warning" {
	# SNI "localhost" is not the server's name: a fatal alert.
	tp_probe probe reneg --attempts 1 --ca-file "$CERTS/ca.pem" \
		"localhost:$SNI_PORT"
	[ "$status" -eq 4 ]
	probe_run sni "$CERTS/ca.pem" "$SNI_PORT" --attempts 2 --noservername
	[ "$status" -eq 0 ]
	tp_stderr_has 'WARNING: --noservername'
	probe_expect target.servername null
	probe_expect renegotiation.client_initiated.status accepted
	# The hand-written ClientHellos carry no SNI either.
	probe_expect renegotiation.secure_renegotiation.extension supported
	probe_expect renegotiation.secure_renegotiation.scsv supported
}

@test "--verify-name NAME: the certificate is verified for NAME, not for the SNI name" {
	tp_probe probe reneg --attempts 1 --hello-wait 100 \
		--ca-file "$TP_DIR/serve-ca.pem" --verify-name wrong.example \
		"localhost:$SERVE_PORT"
	[ "$status" -eq 5 ]
	tp_stderr_has "does not match name 'wrong.example'"
	tp_probe probe reneg --attempts 1 --hello-wait 100 \
		--ca-file "$TP_DIR/serve-ca.pem" --verify-name localhost \
		--servername other.example "localhost:$SERVE_PORT"
	[ "$status" -eq 0 ]
	tp_probe probe reneg --verify-name '' "localhost:$SERVE_PORT"
	[ "$status" -eq 2 ]
	tp_stderr_has 'empty --verify-name'
}

@test "name options as connect has them: conflicts and an empty name" {
	tp_probe probe reneg --servername x --noservername "localhost:$SNI_PORT"
	[ "$status" -eq 2 ]
	tp_stderr_has 'conflict'
	tp_probe probe reneg --servername '' "localhost:$SNI_PORT"
	[ "$status" -eq 2 ]
	tp_stderr_has 'noservername'
}

@test "--help lists the connection options" {
	tp_probe probe reneg --help
	[ "$status" -eq 0 ]
	for o in --starttls --cert --key --keylog --servername --noservername \
		--verify-name --targets --jobs; do
		grep -q -- "$o" "$OUT"
	done
}
