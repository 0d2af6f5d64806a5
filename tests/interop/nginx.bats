#!/usr/bin/env bats
# nginx (Debian's, OpenSSL 3): TLS 1.2 and 1.3, a plain site and one with
# `ssl_verify_client on`. Expected results: EXPECTED.md, "nginx".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# nginx_start NAME: nginx in the foreground (no master process) with its
# own prefix, pid file and logs in $TP_DIR/NAME; a plain TLS site on
# NGINX_PORT, a client-certificate site on NGINX_CC_PORT, and two sites
# stapling an OCSP response from a file (tests/helpers/ocsp.sh in $OC):
# a good leaf on NGINX_GOOD_PORT, a revoked one on NGINX_REVOKED_PORT;
# and a certificate from a public-CA-like chain (tests/helpers/chains.sh
# in $CH) installed as its leaf alone, the usual mistake, on
# NGINX_LEAFONLY_PORT, and as leaf plus intermediate ("fullchain") on
# NGINX_FULLCHAIN_PORT.
nginx_start() {
	local name=$1 dir=$TP_DIR/$1 port cc_port good_port revoked_port
	local leafonly_port fullchain_port
	port=$(tp_free_port) && cc_port=$(tp_free_port) &&
		good_port=$(tp_free_port) && revoked_port=$(tp_free_port) &&
		leafonly_port=$(tp_free_port) && fullchain_port=$(tp_free_port) ||
		return 1
	cat "$CH/leaf.pem" "$CH/int.pem" >"$dir.fullchain.pem"
	mkdir -p "$dir/logs" "$dir/tmp"
	cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	ssl_certificate $CERTS/leaf.pem;
	ssl_certificate_key $CERTS/leaf.key;
	ssl_protocols TLSv1.2 TLSv1.3;
	keepalive_timeout 30s;
	server {
		listen 127.0.0.1:$port ssl;
		location / { return 200 "hello from nginx\n"; }
	}
	server {
		listen 127.0.0.1:$cc_port ssl;
		ssl_client_certificate $CERTS/ca.pem;
		ssl_verify_client on;
		location / { return 200 "client \$ssl_client_s_dn\n"; }
	}
	server {
		listen 127.0.0.1:$good_port ssl;
		ssl_certificate $OC/good.pem;
		ssl_certificate_key $OC/good.key;
		ssl_stapling on;
		ssl_stapling_file $OC/good.der;
		ssl_trusted_certificate $OC/ca.pem;
		location / { return 200 "good leaf\n"; }
	}
	server {
		listen 127.0.0.1:$revoked_port ssl;
		ssl_certificate $OC/revoked.pem;
		ssl_certificate_key $OC/revoked.key;
		ssl_stapling on;
		ssl_stapling_file $OC/revoked.der;
		ssl_trusted_certificate $OC/ca.pem;
		location / { return 200 "revoked leaf\n"; }
	}
	server {
		listen 127.0.0.1:$leafonly_port ssl;
		ssl_certificate $CH/leaf.pem;
		ssl_certificate_key $CH/leaf.key;
		location / { return 200 "leaf only\n"; }
	}
	server {
		listen 127.0.0.1:$fullchain_port ssl;
		ssl_certificate $dir.fullchain.pem;
		ssl_certificate_key $CH/leaf.key;
		location / { return 200 "full chain\n"; }
	}
}
EOF
	ic_start "$name" "$port" nginx -e "$dir/logs/error.log" -p "$dir" \
		-c "$dir/nginx.conf" &&
		ic_wait_port "$name" "$cc_port" &&
		ic_wait_port "$name" "$good_port" &&
		ic_wait_port "$name" "$revoked_port" &&
		ic_wait_port "$name" "$leafonly_port" &&
		ic_wait_port "$name" "$fullchain_port" || return 1
	export NGINX_PORT=$port NGINX_CC_PORT=$cc_port
	export NGINX_GOOD_PORT=$good_port NGINX_REVOKED_PORT=$revoked_port
	export NGINX_LEAFONLY_PORT=$leafonly_port
	export NGINX_FULLCHAIN_PORT=$fullchain_port
}

setup_file() {
	ic_setup_file nginx
	export OC=$CERTS/ocsp
	"$TP_HELPERS/ocsp.sh" "$OC"
	export CH=$CERTS/chains
	"$TP_HELPERS/chains.sh" "$CH"
	nginx_start nginx
	# A client certificate from a CA that nginx does not trust.
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

@test "nginx: connect and verify, TLS 1.3 by default" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
}

@test "nginx: --tls1.2 gives TLS 1.2 with secure renegotiation" {
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.2
	ic_expect_session .connection.secure_renegotiation true
}

@test "nginx: a piped keep-alive request keeps its reply at end of input" {
	ic_http_get "$NGINX_PORT" "$GET_KEEP"
	ic_stdout_has 'HTTP/1.1 200 OK' 'hello from nginx'
}

@test "nginx: ssl_verify_client on, with --cert/--key: the page (TLS 1.3 and 1.2)" {
	local v
	for v in --tls1.3 --tls1.2; do
		TP_IN=$(tp_input "$GET_CLOSE")
		ic_run "$v" --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
			--ca-file "$CERTS/ca.pem" "localhost:$NGINX_CC_PORT"
		[ "$status" -eq 0 ]
		ic_stdout_has 'HTTP/1.1 200 OK' 'client CN=tlsprobe client'
	done
}

@test "nginx: ssl_verify_client on, no certificate: 400 No required SSL certificate" {
	ic_http_get "$NGINX_CC_PORT" "$GET_CLOSE"
	ic_stdout_has 'HTTP/1.1 400' 'No required SSL certificate was sent'
	ic_stdout_lacks 'client CN='
}

@test "nginx: ssl_verify_client on: the request, the CA it names, and whether a certificate was sent" {
	TP_IN=$(tp_input "$GET_CLOSE")
	ic_run --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$NGINX_CC_PORT"
	[ "$status" -eq 0 ]
	tp_stderr_has '^Client certificate: requested by the server, naming CAs /CN=tlsprobe test ca; one was sent$'
	ic_expect_session '.certificates.client_certificate.ca_names[0]' \
		'/CN=tlsprobe test ca'
	ic_expect_session .certificates.client_certificate.sent true
	ic_http_get "$NGINX_CC_PORT" "$GET_CLOSE"
	tp_stderr_has '; none was sent$'
	ic_expect_session .certificates.client_certificate.requested true
}

@test "nginx: a failed verification shows the chain nginx sent and the verified path of a good one" {
	ic_run --ca-file "$CERTS/other-ca.pem" "localhost:$NGINX_PORT"
	[ "$status" -eq 5 ]
	tp_stderr_has '^ 0 /CN=localhost, issued by /CN=tlsprobe test ca, valid .*, names DNS:localhost, IP:127.0.0.1, IP:::1$' \
		'issuer not found: /CN=tlsprobe test ca was neither sent by the server nor trusted$'
	ic_expect_session '.certificates.chain[0].subject' /CN=localhost
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	tp_stderr_has '^ depth=1 /CN=tlsprobe test ca \(trusted, not sent\)$' \
		'^ depth=0 /CN=localhost$'
}

@test "nginx: a certificate installed without its intermediate: the left-out intermediate named, exit 5; with it, verified" {
	ic_run --ca-file "$CH/root-b.pem" "localhost:$NGINX_LEAFONLY_PORT"
	[ "$status" -eq 5 ]
	tp_stderr_has 'depth 0: unable to get local issuer certificate: /CN=localhost; issuer not found: /CN=tlsprobe chains Intermediate was neither sent by the server nor trusted; its authorityInfoAccess publishes that issuer at http://pki\.tlsprobe\.test/int\.der: the server likely leaves out an intermediate certificate$'
	ic_expect_session '.certificates.chain | length' 1
	ic_expect_session '.certificates.chain[0].ca_issuers' \
		http://pki.tlsprobe.test/int.der
	TP_IN=$(tp_input "$GET_CLOSE")
	ic_run --ca-file "$CH/root-b.pem" "localhost:$NGINX_FULLCHAIN_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'full chain'
	tp_stderr_has '^ depth=2 /CN=tlsprobe chains Root B \(trusted, not sent\)$' \
		'^ depth=1 /CN=tlsprobe chains Intermediate$'
}

@test "nginx: ssl_verify_client on, certificate of an unknown CA: 400 certificate error" {
	TP_IN=$(tp_input "$GET_CLOSE")
	ic_run --cert "$CERTS/selfclient.pem" --key "$CERTS/selfclient.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$NGINX_CC_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'HTTP/1.1 400' 'The SSL certificate error'
}

@test "nginx: :reneg mid-stream (TLS 1.2) is refused with a warning, both replies arrive" {
	TP_IN=$(tp_input "$GET_KEEP:reneg\n$GET_CLOSE")
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" \
		"localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation|refused'
	[ "$(grep -c 'hello from nginx' "$OUT")" -eq 2 ]
}

@test "nginx: :keyupdate req (TLS 1.3) is answered with the server's KeyUpdate" {
	TP_IN=$(tp_input ":keyupdate req\n$GET_CLOSE")
	ic_run --commands --tls1.3 --ca-file "$CERTS/ca.pem" \
		"localhost:$NGINX_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.key_updates_sent 1
	ic_expect_session .connection.key_updates_received 1
	ic_stdout_has 'hello from nginx'
}

@test "nginx: probe reneg: rejected (refused, alive), KeyUpdate answered" {
	ic_probe nginx "$NGINX_PORT" \
		--request 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe '.renegotiation.client_initiated.attempts[2].alive' true
	ic_expect_probe .renegotiation.server_initiated.status not_observed
	ic_expect_probe .renegotiation.midstream.stream_ok not_tested
	ic_expect_probe .tls13.key_update.status answered
}

@test "nginx: ssl_stapling_file, good leaf: --status shows the staple (TLS 1.3 and 1.2)" {
	for v in 1.3 1.2; do
		TP_IN=$(tp_input "$GET_CLOSE")
		ic_run "--tls$v" --status --ca-file "$OC/ca.pem" \
			"localhost:$NGINX_GOOD_PORT"
		[ "$status" -eq 0 ]
		ic_stdout_has 'HTTP/1.1 200 OK' 'good leaf'
		tp_stderr_has '^OCSP: good \(this update '
		ic_expect_session .connection.ocsp.status good
		ic_expect_session .connection.ocsp.accepted true
	done
}

@test "nginx: ssl_stapling_file, revoked leaf: --status fails verification, --insecure shows REVOKED" {
	TP_IN=$(tp_input "$GET_CLOSE")
	ic_run --status --ca-file "$OC/ca.pem" "localhost:$NGINX_REVOKED_PORT"
	[ "$status" -eq 5 ]
	ic_stdout_lacks 'revoked leaf'
	tp_stderr_has 'certificate revoked \(stapled OCSP response: revoked at .*reason keyCompromise\)'
	ic_run --status --insecure --ca-file "$OC/ca.pem" \
		"localhost:$NGINX_REVOKED_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'revoked leaf'
	tp_stderr_has '^OCSP: REVOKED at .*, reason keyCompromise'
	ic_expect_session .connection.ocsp.revocation_reason keyCompromise
}
