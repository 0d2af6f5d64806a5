#!/usr/bin/env bats
# Apache httpd 2.4 with mod_ssl (OpenSSL 3), started by start_apache
# (lib/apache.bash): a TLS 1.2-only port where /private asks for a client
# certificate by renegotiating (HelloRequest) after reading the request,
# and a TLS 1.2+1.3 port where it asks by TLS 1.3 post-handshake
# authentication. Expected results: EXPECTED.md, "Apache".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common
load lib/apache

setup_file() {
	ic_setup_file apache2
	start_apache "$CERTS/leaf.pem" "$CERTS/leaf.key" "$CERTS/ca.pem"
}

teardown_file() {
	stop_apache || true
	ic_teardown_file
}

teardown() {
	ic_tail_on_failure "Apache error.log" "${APACHE_DIR:-}" error.log
}

PUB_KEEP='GET /page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
PUB_CLOSE='GET /page.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
PRIV='GET /private/page.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

@test "Apache TLS 1.2 port: connect and verify, TLS 1.2" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$APACHE_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.2
	ic_expect_session .connection.verification.ok true
	ic_expect_session .connection.secure_renegotiation true
}

@test "Apache 1.2+1.3 port: connect and verify, TLS 1.3" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$APACHE13_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
}

@test "Apache: a piped keep-alive request for the public page keeps its reply at end of input" {
	ic_http_get "$APACHE_PORT" "$PUB_KEEP"
	ic_stdout_has 'HTTP/1.1 200 OK' 'public page'
}

@test "Apache TLS 1.2 /private, piped with --cert/--key: the server's renegotiation is answered, the page, exit 0 (10 of 10)" {
	local i
	TP_IN=$(tp_input "$PRIV")
	for i in $(seq 1 10); do
		echo "# run $i" >&2
		ic_run --timeout 5 --cert "$CERTS/client.pem" \
			--key "$CERTS/client.key" --ca-file "$CERTS/ca.pem" \
			"localhost:$APACHE_PORT"
		[ "$status" -eq 0 ]
		ic_stdout_has 'HTTP/1.1 200 OK' 'private page'
		ic_expect_session .connection.handshakes 2
	done
}

@test "Apache TLS 1.2 /private, paced input with --cert/--key: the page, exit 0" {
	TP_IN=$(ic_input_paced "$PRIV" +1)
	ic_run --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$APACHE_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'HTTP/1.1 200 OK' 'private page'
}

@test "Apache TLS 1.2 /private without a certificate: handshake_failure in the renegotiation, exit 6 within 3 s" {
	TP_IN=$(tp_input "$PRIV")
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$APACHE_PORT"
	[ "$status" -eq 6 ]
	[ "$elapsed" -le 3 ]
	tp_stderr_has 'handshake_failure'
	ic_stdout_lacks 'private page'
}

@test "Apache 1.2+1.3 port /private with --cert/--key over TLS 1.3: post-handshake auth, the page" {
	TP_IN=$(ic_input_paced "$PRIV" +1)
	ic_run --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$APACHE13_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_stdout_has 'HTTP/1.1 200 OK' 'private page'
}

@test "Apache 1.2+1.3 port /private without a certificate over TLS 1.3: 403, exit 0" {
	ic_http_get "$APACHE13_PORT" "$PRIV"
	ic_stdout_has 'HTTP/1.1 403 Forbidden'
}

@test "Apache: :reneg mid-stream (TLS 1.2) refused with a warning, both replies arrive" {
	ic_http_reneg_refused "$APACHE_PORT" 1 "$PUB_KEEP" "$PUB_CLOSE"
	[ "$(grep -c 'public page' "$OUT")" -eq 2 ]
}

@test "Apache: :keyupdate req (TLS 1.3) is answered" {
	ic_http_keyupdate "$APACHE13_PORT" "$PUB_CLOSE"
	ic_stdout_has 'public page'
}

@test "Apache TLS 1.2 port: probe reneg: client-initiated rejected (refused, alive), no HelloRequest for the public page" {
	ic_probe_refused_alive apache "$APACHE_PORT" \
		--request 'GET /page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
	ic_expect_probe .renegotiation.server_initiated.status not_observed
	ic_expect_probe .tls13.supported false
}

@test "Apache TLS 1.2 port: probe reneg --request /private: HelloRequest seen, server-initiated renegotiation failed (no certificate)" {
	ic_probe apache_private "$APACHE_PORT" --attempts 1 \
		--request 'GET /private/page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.server_initiated.status failed
	ic_expect_probe .renegotiation.server_initiated.hello_requests 1
}

@test "Apache 1.2+1.3 port: probe reneg: KeyUpdate answered" {
	ic_probe apache13 "$APACHE13_PORT" \
		--request 'GET /page.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe .tls13.key_update.status answered
}
