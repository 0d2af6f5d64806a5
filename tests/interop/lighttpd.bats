#!/usr/bin/env bats
# lighttpd 1.4 (mod_openssl, OpenSSL 3): a static site, and a second socket
# with ssl.verifyclient.activate and .enforce. lighttpd kills a connection
# whose client starts a renegotiation (after OpenSSL's warning
# no_renegotiation). Expected results: EXPECTED.md, "lighttpd".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# lighttpd_start NAME: lighttpd -D (foreground) with a config in
# $TP_DIR/NAME; the site on LIGHTTPD_PORT, the client-certificate socket
# on LIGHTTPD_CC_PORT.
lighttpd_start() {
	local name=$1 dir=$TP_DIR/$1 port cc_port
	port=$(tp_free_port) && cc_port=$(tp_free_port) || return 1
	mkdir -p "$dir/www"
	echo "hello from lighttpd" >"$dir/www/index.txt"
	cat >"$dir/lighttpd.conf" <<EOF
server.modules = ("mod_openssl")
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$dir/error.log"
index-file.names = ("index.txt")
mimetype.assign = (".txt" => "text/plain")
ssl.engine = "enable"
ssl.pemfile = "$CERTS/leaf.pem"
ssl.privkey = "$CERTS/leaf.key"
\$SERVER["socket"] == "127.0.0.1:$cc_port" {
	ssl.engine = "enable"
	ssl.pemfile = "$CERTS/leaf.pem"
	ssl.privkey = "$CERTS/leaf.key"
	ssl.ca-file = "$CERTS/ca.pem"
	ssl.verifyclient.activate = "enable"
	ssl.verifyclient.enforce = "enable"
}
EOF
	ic_start "$name" "$port" lighttpd -D -f "$dir/lighttpd.conf" &&
		ic_wait_port "$name" "$cc_port" || return 1
	export LIGHTTPD_PORT=$port LIGHTTPD_CC_PORT=$cc_port
}

setup_file() {
	ic_setup_file lighttpd
	lighttpd_start lighttpd
	ic_selfclient_cert
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
	tail -n 5 "$TP_DIR/lighttpd/error.log" >&2 2>/dev/null || true
}

GET_KEEP='GET /index.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
GET_CLOSE='GET /index.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'

@test "lighttpd: connect and verify, TLS 1.3 by default, TLS 1.2 on request" {
	ic_connect_13_then_12 "$LIGHTTPD_PORT"
}

@test "lighttpd: a piped keep-alive request keeps its reply at end of input" {
	ic_http_get "$LIGHTTPD_PORT" "$GET_KEEP"
	ic_stdout_has 'HTTP/1.1 200 OK' 'hello from lighttpd'
}

@test "lighttpd: :reneg mid-stream (TLS 1.2): warning no_renegotiation, then lighttpd closes; exit 0, second request unanswered" {
	ic_http_reneg_refused "$LIGHTTPD_PORT" 1.5 "$GET_KEEP" "$GET_CLOSE" \
		--tls1.2
	[ "$(grep -c 'hello from lighttpd' "$OUT")" -eq 1 ]
}

@test "lighttpd: :keyupdate req (TLS 1.3) is answered" {
	ic_http_keyupdate "$LIGHTTPD_PORT" "$GET_CLOSE"
	ic_stdout_has 'hello from lighttpd'
}

@test "lighttpd: probe reneg: rejected (refused, then the connection ends), KeyUpdate answered" {
	ic_probe lighttpd "$LIGHTTPD_PORT" \
		--request 'GET /index.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	# The warning no_renegotiation comes first, then close_notify (a
	# request already on its way may still be answered in between, so
	# attempts[0].alive is not fixed; the connection does not survive).
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after false
	ic_expect_probe .renegotiation.client_initiated.stopped_early true
	ic_expect_probe .renegotiation.midstream.stream_ok not_tested
	ic_expect_probe .tls13.key_update.status answered
}

@test "lighttpd verifyclient: with --cert/--key, the page" {
	ic_cc_with_cert "$LIGHTTPD_CC_PORT" "$GET_CLOSE"
	ic_stdout_has 'HTTP/1.1 200 OK' 'hello from lighttpd'
}

@test "lighttpd verifyclient: none, TLS 1.3: certificate_required after the handshake, exit 6" {
	ic_cc_none_tls13 "$LIGHTTPD_CC_PORT" "$GET_CLOSE"
	ic_stdout_lacks 'hello from lighttpd'
}

@test "lighttpd verifyclient: none, TLS 1.2: handshake_failure, exit 4" {
	ic_cc_none_tls12 "$LIGHTTPD_CC_PORT" "$GET_CLOSE" 'handshake_failure'
}

@test "lighttpd verifyclient: certificate of an unknown CA: unknown_ca, exit 6" {
	ic_cc_unknown_ca "$LIGHTTPD_CC_PORT" "$GET_CLOSE"
}
