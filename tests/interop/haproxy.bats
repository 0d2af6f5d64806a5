#!/usr/bin/env bats
# HAProxy 2.6 (OpenSSL 3) terminating TLS in front of tiny plain backends:
# an HTTP frontend before a python3 HTTP server, a TCP frontend before a
# python3 echo server, and an HTTP frontend with `verify required`.
# Expected results: EXPECTED.md, "HAProxy".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# haproxy_start NAME: the backends, then haproxy -db (foreground, no
# daemon) with a config in $TP_DIR/NAME. Exports HAPROXY_WEB_PORT,
# HAPROXY_ECHO_PORT, HAPROXY_CC_PORT.
haproxy_start() {
	local name=$1 dir=$TP_DIR/$1 web echo cc web_be echo_be
	ic_start_http_backend "$name-httpd" "hello from the backend"$'\n' ||
		return 1
	web_be=$TP_PORT
	ic_start_echo_backend "$name-echod" || return 1
	echo_be=$TP_PORT
	web=$(tp_free_port) && echo=$(tp_free_port) && cc=$(tp_free_port) ||
		return 1
	mkdir -p "$dir"
	# HAProxy wants the key in the certificate's file.
	cat "$CERTS/leaf.pem" "$CERTS/leaf.key" >"$dir/leaf-full.pem"
	cat >"$dir/haproxy.cfg" <<EOF
global
	maxconn 100
defaults
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend web
	mode http
	bind 127.0.0.1:$web ssl crt $dir/leaf-full.pem
	default_backend web
frontend echo
	mode tcp
	bind 127.0.0.1:$echo ssl crt $dir/leaf-full.pem
	default_backend echo
frontend webcc
	mode http
	bind 127.0.0.1:$cc ssl crt $dir/leaf-full.pem ca-file $CERTS/ca.pem verify required
	default_backend web
backend web
	mode http
	server s1 127.0.0.1:$web_be
backend echo
	mode tcp
	server e1 127.0.0.1:$echo_be
EOF
	ic_start "$name" "$web" haproxy -db -f "$dir/haproxy.cfg" &&
		ic_wait_port "$name" "$echo" &&
		ic_wait_port "$name" "$cc" || return 1
	export HAPROXY_WEB_PORT=$web HAPROXY_ECHO_PORT=$echo HAPROXY_CC_PORT=$cc
}

setup_file() {
	ic_setup_file haproxy python3
	haproxy_start haproxy
	ic_selfclient_cert
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
}

GET_KEEP='GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
GET_CLOSE='GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

@test "HAProxy: connect and verify, TLS 1.3 by default, TLS 1.2 on request" {
	ic_connect_13_then_12 "$HAPROXY_WEB_PORT"
}

@test "HAProxy http: a piped keep-alive request keeps its reply at end of input" {
	ic_http_get "$HAPROXY_WEB_PORT" "$GET_KEEP"
	ic_stdout_has ' 200 OK' 'hello from the backend'
}

@test "HAProxy tcp: piped lines come back from the echo backend at end of input" {
	ic_echo_lines "$HAPROXY_ECHO_PORT"
}

@test "HAProxy tcp: 1 MiB piped through the echo backend comes back byte for byte" {
	ic_echo_1mib "$HAPROXY_ECHO_PORT"
}

@test "HAProxy http: :reneg mid-stream (TLS 1.2) refused with a warning, both replies arrive" {
	ic_http_reneg_refused "$HAPROXY_WEB_PORT" 1 "$GET_KEEP" "$GET_CLOSE" \
		--tls1.2
	[ "$(grep -c 'hello from the backend' "$OUT")" -eq 2 ]
}

@test "HAProxy tcp: :reneg mid-stream (TLS 1.2) refused, the echo goes on" {
	ic_echo_reneg_refused "$HAPROXY_ECHO_PORT"
}

@test "HAProxy tcp: :keyupdate req (TLS 1.3) is answered, the echo goes on" {
	ic_echo_keyupdate "$HAPROXY_ECHO_PORT"
}

@test "HAProxy tcp: probe reneg: rejected (refused), KeyUpdate answered" {
	ic_probe_refused_alive haproxy "$HAPROXY_ECHO_PORT"
	ic_expect_probe .renegotiation.client_initiated.attempts_made 3
	ic_expect_probe .renegotiation.midstream.stream_ok not_tested
	ic_expect_probe .tls13.key_update.status answered
}

@test "HAProxy verify required: with --cert/--key, the page" {
	ic_cc_with_cert "$HAPROXY_CC_PORT" "$GET_CLOSE"
	ic_stdout_has ' 200 OK' 'hello from the backend'
}

@test "HAProxy verify required: none, TLS 1.3: certificate_required after the handshake, exit 6" {
	ic_cc_none_tls13 "$HAPROXY_CC_PORT" "$GET_CLOSE"
	ic_stdout_lacks 'hello from the backend'
}

@test "HAProxy verify required: none, TLS 1.2: handshake_failure, exit 4" {
	ic_cc_none_tls12 "$HAPROXY_CC_PORT" "$GET_CLOSE" 'handshake_failure'
}

@test "HAProxy verify required: certificate of an unknown CA: unknown_ca, exit 6" {
	ic_cc_unknown_ca "$HAPROXY_CC_PORT" "$GET_CLOSE"
}
