#!/usr/bin/env bats
# Postfix 3.7 smtpd (OpenSSL 3), started by start_postfix
# (lib/postfix.bash): a plain SMTP port offering STARTTLS and an SMTPS
# (wrapper mode) port. Postfix answers QUIT and closes at once, so a
# client that sent close_notify with the QUIT can lose the 221 to a reset
# (issue 11). Expected results: EXPECTED.md, "Postfix".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common
load lib/postfix

setup_file() {
	ic_setup_file postfix
	start_postfix "$CERTS/leaf.pem" "$CERTS/leaf.key"
}

teardown_file() {
	stop_postfix || true
	ic_teardown_file
}

teardown() {
	ic_tail_on_failure "Postfix maillog" "${POSTFIX_DIR:-}" maillog
}

@test "Postfix --starttls smtp: connect and verify, TLS 1.3; the STARTTLS exchange timed between connect and handshake" {
	ic_run --starttls smtp --ca-file "$CERTS/ca.pem" \
		"localhost:$POSTFIX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .starttls smtp
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
	ic_expect_session '.timing | .connect_ms < .starttls_ms and
		.starttls_ms < .handshake_ms' true
	tp_stderr_has '^Timing: .*connect [0-9.]+ ms, starttls [0-9.]+ ms, handshake '
}

@test "Postfix --starttls smtp: EHLO and QUIT piped, 221 on stdout and exit 0 (10 of 10)" {
	local i
	TP_IN=$(tp_input 'EHLO client.test\r\nQUIT\r\n')
	for i in $(seq 1 10); do
		echo "# run $i" >&2
		ic_run --starttls smtp --ca-file "$CERTS/ca.pem" \
			"localhost:$POSTFIX_PORT"
		[ "$status" -eq 0 ]
		ic_stdout_has '250-mail.tlsprobe.test' '221 2.0.0 Bye'
	done
}

@test "Postfix --starttls smtp --crlf: LF lines sent as CRLF, 221" {
	TP_IN=$(tp_input 'EHLO client.test\nQUIT\n')
	ic_run --starttls smtp --crlf --ca-file "$CERTS/ca.pem" \
		"localhost:$POSTFIX_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has '221 2.0.0 Bye'
}

@test "Postfix SMTPS: banner, EHLO and QUIT piped, 221 and exit 0 (10 of 10)" {
	local i
	TP_IN=$(tp_input 'EHLO client.test\r\nQUIT\r\n')
	for i in $(seq 1 10); do
		echo "# run $i" >&2
		ic_run --ca-file "$CERTS/ca.pem" "localhost:$POSTFIX_SMTPS_PORT"
		[ "$status" -eq 0 ]
		ic_stdout_has '220 mail.tlsprobe.test ESMTP' '221 2.0.0 Bye'
	done
}

@test "Postfix: --starttls smtp on the SMTPS port: no banner comes, exit 7 after --timeout" {
	ic_run --starttls smtp --timeout 2 --ca-file "$CERTS/ca.pem" \
		"localhost:$POSTFIX_SMTPS_PORT"
	[ "$status" -eq 7 ]
	[ "$elapsed" -le 4 ]
}

@test "Postfix STARTTLS: :reneg mid-stream (TLS 1.2) refused with a warning, NOOP and QUIT still answered" {
	TP_IN=$(ic_input_paced 'EHLO client.test\r\n:reneg\n' +1 \
		'NOOP\r\nQUIT\r\n')
	ic_run --commands --tls1.2 --starttls smtp --ca-file "$CERTS/ca.pem" \
		"localhost:$POSTFIX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation'
	ic_stdout_has '250 2.0.0 Ok' '221 2.0.0 Bye'
}

@test "Postfix STARTTLS: :keyupdate req (TLS 1.3) is answered" {
	ic_keyupdate_paced "$POSTFIX_PORT" 0.3 'NOOP\r\nQUIT\r\n' \
		--starttls smtp
	ic_stdout_has '250 2.0.0 Ok'
}

@test "Postfix SMTPS: probe reneg: rejected (refused, alive), KeyUpdate answered" {
	ic_probe_refused_alive postfix_smtps "$POSTFIX_SMTPS_PORT" \
		--request 'NOOP\r\n'
	ic_expect_probe .tls13.key_update.status answered
}

@test "Postfix STARTTLS: a failed verification (unknown CA, --verify-name) names the chain and what was tried, exit 5" {
	ic_run --starttls smtp --ca-file "$CERTS/other-ca.pem" \
		"localhost:$POSTFIX_PORT"
	[ "$status" -eq 5 ]
	tp_stderr_has '^ 0 /CN=localhost, issued by /CN=tlsprobe test ca, valid .*, names DNS:localhost, IP:127.0.0.1, IP:::1$' \
		"^Tried: name 'localhost', CAs of --ca-file " \
		'issuer not found: /CN=tlsprobe test ca was neither sent by the server nor trusted$'
	ic_expect_session .starttls smtp
	ic_expect_session .certificates.verified false
	ic_expect_session '.certificates.chain[0].subject' /CN=localhost
	# s_client -verify_hostname mail.example: "hostname mismatch" (62).
	ic_run --starttls smtp --ca-file "$CERTS/ca.pem" \
		--verify-name mail.example "localhost:$POSTFIX_PORT"
	[ "$status" -eq 5 ]
	tp_stderr_has "^Tried: name 'mail.example', CAs of --ca-file " \
		"certificate does not match name 'mail.example'; its names: DNS:localhost, IP:127.0.0.1, IP:::1$"
	ic_expect_session .certificates.verify_name mail.example
	ic_expect_session .servername localhost
	ic_expect_session .exit_status 5
}
