#!/usr/bin/env bats
# probe reneg's connection options and batch mode against real servers:
# Postfix through --starttls smtp, Apache's client-certificate directory
# with --cert/--key, and both in one --targets batch. Expected results:
# EXPECTED.md, "Postfix" and "Apache" (the ground truth by s_client).

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common
load lib/postfix
load lib/apache

PRIV='GET /private/page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'

setup_file() {
	ic_setup_file postfix apache2
	start_postfix "$CERTS/leaf.pem" "$CERTS/leaf.key"
	start_apache "$CERTS/leaf.pem" "$CERTS/leaf.key" "$CERTS/ca.pem"
}

teardown_file() {
	stop_apache || true
	stop_postfix || true
	ic_teardown_file
}

@test "Postfix --starttls smtp: rejected (refused, alive), KeyUpdate answered" {
	ic_probe postfix_starttls "$POSTFIX_PORT" --starttls smtp \
		--request 'NOOP\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .target.starttls smtp
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.secure_renegotiation.extension supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after true
	ic_expect_probe .tls13.key_update.status answered
}

@test "Apache TLS 1.2 /private with --cert/--key: the server's renegotiation completes" {
	ic_probe apache_cert "$APACHE_PORT" --attempts 1 --request "$PRIV" \
		--cert "$CERTS/client.pem" --key "$CERTS/client.key"
	[ "$status" -eq 0 ]
	ic_expect_probe .settings.client_certificate true
	ic_expect_probe .renegotiation.server_initiated.hello_requests 1
	ic_expect_probe .renegotiation.server_initiated.status completed
	ic_expect_probe .renegotiation.client_initiated.status rejected
}

@test "--targets: Postfix (STARTTLS and SMTPS) and Apache (both ports) in one batch, --jobs 4 equal to --jobs 1" {
	local jobs
	cat >"$TP_DIR/fleet" <<EOF
# mail
localhost:$POSTFIX_PORT --starttls smtp --request 'NOOP\r\n'
localhost:$POSTFIX_SMTPS_PORT --request 'NOOP\r\n'
# web: a request of their own (an SMTP command gets a 400 and a close)
localhost:$APACHE_PORT --request 'GET /page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
localhost:$APACHE13_PORT --request 'GET /page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
EOF
	for jobs in 1 4; do
		TP_LIMIT=120 tp_probe probe reneg --ca-file "$CERTS/ca.pem" \
			--attempts 3 --timeout 3 \
			--targets "$TP_DIR/fleet" --jobs "$jobs"
		[ "$status" -eq 0 ]
		jq -r '[.target.port, .verdicts.client_initiated,
			.verdicts.secure_renegotiation] | join(" ")' "$OUT" \
			>"$TP_DIR/v$jobs"
		sed 's/^/# /' "$TP_DIR/v$jobs" >&2
	done
	diff "$TP_DIR/v1" "$TP_DIR/v4"
	[ "$(grep -c ' rejected supported$' "$TP_DIR/v4")" -eq 4 ]
}
