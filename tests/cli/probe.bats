#!/usr/bin/env bats
# tlsprobe probe reneg: verdicts compared with ground truth, on servers
# whose renegotiation policy is known. Where Debian's testssl.sh is
# installed it runs on twin servers in the background, and the last test
# prints both verdicts side by side (and writes build/probe-ground-truth.txt).

# shellcheck disable=SC2034,SC2154 # status, JSON, TP_* are set by helpers
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

# name port-variable for the ground-truth table, in order
TRUTH=(s12accept s12refuse s13 gnutls nginx serve_allow serve_refuse
	serve_limit3)

setup_file() {
	tp_setup_file
	tp_start_s_server s12accept -tls1_2 -client_renegotiation
	export S12ACCEPT_PORT=$TP_PORT
	tp_start_s_server s12refuse -tls1_2
	export S12REFUSE_PORT=$TP_PORT
	tp_start_s_server s13 -tls1_3 -rev
	export S13_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls --echo
	export GNUTLS_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls_unsafe --echo \
		--priority 'NORMAL:%DISABLE_SAFE_RENEGOTIATION'
	export GNUTLS_UNSAFE_PORT=$TP_PORT
	tp_start_nginx nginx
	export NGINX_PORT=$TP_PORT
	tp_start_tlsprobe_serve serve_allow
	export SERVE_ALLOW_PORT=$TP_PORT
	tp_start_tlsprobe_serve serve_refuse --client-reneg refuse
	export SERVE_REFUSE_PORT=$TP_PORT
	tp_start_tlsprobe_serve serve_limit3 --client-reneg limit:3
	export SERVE_LIMIT3_PORT=$TP_PORT
	tp_start_tlsprobe_serve serve_hello --hello-request-interval 1
	export SERVE_HELLO_PORT=$TP_PORT

	# testssl.sh, in parallel. s_server takes one connection at a time,
	# so it gets twins of its own; the others serve both.
	if command -v testssl >/dev/null; then
		tp_start_s_server ts_s12accept -tls1_2 -client_renegotiation
		probe_testssl_start s12accept "$TP_PORT"
		tp_start_s_server ts_s12refuse -tls1_2
		probe_testssl_start s12refuse "$TP_PORT"
		tp_start_s_server ts_s13 -tls1_3
		probe_testssl_start s13 "$TP_PORT"
		probe_testssl_start gnutls "$GNUTLS_PORT"
		probe_testssl_start nginx "$NGINX_PORT"
		probe_testssl_start serve_allow "$SERVE_ALLOW_PORT"
		probe_testssl_start serve_refuse "$SERVE_REFUSE_PORT"
		probe_testssl_start serve_limit3 "$SERVE_LIMIT3_PORT"
	fi
}

teardown_file() {
	local f
	for f in "$TP_DIR"/*.testssl.pid; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "s_server -tls1_2 -client_renegotiation: accepted, 10 of 10" {
	probe_run s12accept "$CERTS/ca.pem" "$S12ACCEPT_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.protocol_tested TLSv1.2
	probe_expect renegotiation.secure_renegotiation.status supported
	probe_expect renegotiation.client_initiated.status accepted
	probe_expect renegotiation.client_initiated.attempts_completed 10
	probe_expect renegotiation.client_initiated.attempts.9.outcome completed
	probe_expect renegotiation.midstream.stream_ok not_tested
	probe_expect tls13.key_update.status not_applicable
}

@test "s_server -tls1_2 (OpenSSL 3 default): rejected, each a warning no_renegotiation, session alive" {
	probe_run s12refuse "$CERTS/ca.pem" "$S12REFUSE_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status rejected
	probe_expect renegotiation.client_initiated.attempts_completed 0
	probe_expect renegotiation.client_initiated.attempts_made 10
	probe_expect renegotiation.client_initiated.attempts.0.outcome refused
	probe_expect renegotiation.client_initiated.attempts.9.outcome refused
	probe_expect renegotiation.client_initiated.alive_after true
}

@test "s_server -tls1_3: renegotiation not_applicable, KeyUpdate answered" {
	probe_run s13 "$CERTS/ca.pem" "$S13_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.protocol_tested TLSv1.3
	probe_expect renegotiation.secure_renegotiation.status not_applicable
	probe_expect renegotiation.client_initiated.status not_applicable
	probe_expect tls13.supported true
	probe_expect tls13.key_update.status answered
}

@test "RFC 5746 signalling: extension alone and SCSV alone are each honoured" {
	probe_run s12accept "$CERTS/ca.pem" "$S12ACCEPT_PORT" --attempts 1
	[ "$status" -eq 0 ]
	probe_expect renegotiation.secure_renegotiation.status supported
	probe_expect renegotiation.secure_renegotiation.extension supported
	probe_expect renegotiation.secure_renegotiation.scsv supported
}

@test "gnutls-serv without safe renegotiation: not_supported by either signal" {
	probe_run gnutls_unsafe "$CERTS/ca.pem" "$GNUTLS_UNSAFE_PORT" --attempts 1
	[ "$status" -eq 0 ]
	probe_expect renegotiation.secure_renegotiation.status not_supported
	probe_expect renegotiation.secure_renegotiation.extension not_supported
	probe_expect renegotiation.secure_renegotiation.scsv not_supported
	grep -q secure_renegotiation_not_supported "$JSON"
}

@test "tlsprobe serve --client-reneg ignore: ignored" {
	tp_start_tlsprobe_serve serve_ignore --client-reneg ignore
	probe_run serve_ignore "$TP_DIR/serve_ignore-ca.pem" "$TP_PORT" \
		--attempts 3 --timeout 2
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status ignored
}

@test "gnutls-serv --echo: accepted, mid-stream stream_ok, KeyUpdate answered" {
	probe_run gnutls "$CERTS/ca.pem" "$GNUTLS_PORT" --attempts 5
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status accepted
	probe_expect renegotiation.midstream.echo_detected true
	probe_expect renegotiation.midstream.stream_ok true
	probe_expect tls13.key_update.status answered
}

@test "nginx: rejected, and --request shows the session alive after each refusal" {
	probe_run nginx "$CERTS/ca.pem" "$NGINX_PORT" --attempts 3 \
		--request 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status rejected
	probe_expect renegotiation.client_initiated.attempts.0.outcome refused
	probe_expect renegotiation.client_initiated.attempts.2.alive true
	probe_expect renegotiation.midstream.stream_ok not_tested
}

@test "tlsprobe serve (allow): accepted, mid-stream stream_ok with interleaved records" {
	probe_run serve_allow "$TP_DIR/serve_allow-ca.pem" "$SERVE_ALLOW_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status accepted
	probe_expect renegotiation.midstream.stream_ok true
	probe_expect renegotiation.midstream.renegotiations_completed 3
	local sent recv
	sent=$(probe_json_get "$JSON" renegotiation.midstream.checksum_sent)
	recv=$(probe_json_get "$JSON" renegotiation.midstream.checksum_received)
	[ "$sent" = "$recv" ]
	probe_expect tls13.key_update.status answered
}

@test "tlsprobe serve --client-reneg refuse: rejected" {
	probe_run serve_refuse "$TP_DIR/serve_refuse-ca.pem" "$SERVE_REFUSE_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status rejected
	probe_expect renegotiation.client_initiated.attempts_completed 0
	# A warning no_renegotiation, as OpenSSL does: the session goes on.
	probe_expect renegotiation.client_initiated.attempts.0.outcome refused
	probe_expect renegotiation.client_initiated.attempts.9.outcome refused
}

@test "tlsprobe serve --client-reneg limit:3: limited_after_n with n=3" {
	probe_run serve_limit3 "$TP_DIR/serve_limit3-ca.pem" \
		"$SERVE_LIMIT3_PORT" --attempts 6
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status limited_after_n
	probe_expect renegotiation.client_initiated.limit 3
	probe_expect renegotiation.client_initiated.attempts_completed 3
	# Past the limit, serve refuses with a warning alert, as OpenSSL does,
	# and the session goes on.
	probe_expect renegotiation.client_initiated.attempts.3.outcome \
		refused
}

@test "tlsprobe serve --hello-request-interval 1: HelloRequest seen and completed" {
	probe_run serve_hello "$TP_DIR/serve_hello-ca.pem" "$SERVE_HELLO_PORT" \
		--attempts 1 --hello-wait 2500
	[ "$status" -eq 0 ]
	probe_expect renegotiation.server_initiated.status completed
	[ "$(probe_json_get "$JSON" renegotiation.server_initiated.hello_requests)" -ge 1 ]
}

@test "text report on stdout by default; --json - replaces it with JSON" {
	tp_probe probe reneg --attempts 2 --ca-file "$CERTS/ca.pem" \
		"localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 0 ]
	grep -q '^client-initiated: *accepted, 2 of 2' "$OUT"
	grep -q '^findings:' "$OUT"
	tp_probe probe reneg --attempts 2 --json - --ca-file "$CERTS/ca.pem" \
		"localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 0 ]
	probe_json_get "$OUT" findings.0.severity
}

@test "--fail-on: a matching verdict exits 1, a non-matching one 0" {
	tp_probe probe reneg --attempts 2 --fail-on accepted,ignored \
		--ca-file "$CERTS/ca.pem" "localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 1 ]
	tp_stderr_has 'fail-on accepted'
	tp_probe probe reneg --attempts 2 --fail-on rejected \
		--ca-file "$CERTS/ca.pem" "localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 0 ]
}

@test "exit status when the probe cannot run: 3 connect, 5 verify, 2 usage" {
	local port
	port=$(tp_free_port)
	tp_probe probe reneg "127.0.0.1:$port"
	[ "$status" -eq 3 ]
	tp_probe probe reneg "localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 5 ]
	tp_probe probe reneg --attempts 0 "localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 2 ]
	tp_probe probe reneg --fail-on bogus "localhost:$S12ACCEPT_PORT"
	[ "$status" -eq 2 ]
}

@test "ground truth: tlsprobe verdicts beside testssl.sh's" {
	local name want ours theirs f table=$TP_DIR/ground-truth.txt
	declare -A expect=([s12accept]=accepted [s12refuse]=rejected
		[s13]=not_applicable [gnutls]=accepted [nginx]=rejected
		[serve_allow]=accepted [serve_refuse]=rejected
		[serve_limit3]=limited_after_n)
	# testssl runs in the background since setup_file; bounded wait.
	for f in "$TP_DIR"/*.testssl.pid; do
		[ -e "$f" ] || continue
		for _ in $(seq 1 450); do
			kill -0 "$(cat "$f")" 2>/dev/null || break
			sleep 0.1
		done
	done
	printf '%-14s %-16s %-16s %s\n' server expected tlsprobe testssl.sh \
		>"$table"
	for name in "${TRUTH[@]}"; do
		ours=$(probe_json_get "$TP_DIR/$name.json" \
			renegotiation.client_initiated.status 2>/dev/null ||
			echo "no_report")
		if command -v testssl >/dev/null; then
			theirs=$(probe_testssl_verdict "$name")
		else
			theirs="not_installed"
		fi
		want=${expect[$name]}
		printf '%-14s %-16s %-16s %s\n' "$name" "$want" "$ours" \
			"$theirs" >>"$table"
	done
	sed 's/^/# /' "$table" >&3
	if [ -d "$TP_TOP/build" ]; then
		cp "$table" "$TP_TOP/build/probe-ground-truth.txt"
	fi
	# tlsprobe must match the ground truth on every server.
	for name in "${TRUTH[@]}"; do
		grep -Eq "^$name +${expect[$name]} +${expect[$name]} " "$table"
	done
}
