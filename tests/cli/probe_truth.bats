#!/usr/bin/env bats
# tlsprobe probe reneg against peers shaped like the real servers where its
# verdicts were once false (issue 12, items 1-3):
#
# - a server that speaks first (SMTP, IMAP, POP3 greeting written right
#   after the handshake) and answers a KeyUpdate before its next reply, as
#   Postfix, Exim and Dovecot do (checked by hand with s_client `K`, then a
#   command): the greeting left before the server could read our KeyUpdate,
#   so it must not count as "data without a KeyUpdate first";
# - a server that answers a client renegotiation with a plaintext "421 ...
#   lost input connection" and a close, as Exim with GnuTLS does: a refusal
#   by closing, said in words;
# - tlsprobe serve's echo, where each mid-stream renegotiation must run
#   with echoed data arriving inside it, and the stream be whole.
# The real servers themselves are in tests/interop/.

# shellcheck disable=SC2034,SC2154 # status, JSON, TP_* are set by helpers
bats_require_minimum_version 1.5.0
load ../helpers/peers
load ../helpers/probe_peers

# hostile_peer NAME MODE [ARGS...]: a hostile.py peer serving any number
# of connections (the probe opens several). Sets TP_PORT.
hostile_peer() {
	local name=$1 mode=$2 port
	shift 2
	port=$(tp_free_port)
	tp_start "$name" "$port" python3 "$TP_HELPERS/hostile.py" --count 0 \
		--cert "$CERTS/leaf.pem" --key "$CERTS/leaf.key" "$@" \
		"$port" "$mode"
}

setup_file() {
	tp_setup_file
	hostile_peer greeter greet-lines
	export GREETER_PORT=$TP_PORT
	hostile_peer exim_like reneg-plaintext --tls 1.2
	export EXIM_LIKE_PORT=$TP_PORT
	tp_start_tlsprobe_serve serve_echo
	export SERVE_ECHO_PORT=$TP_PORT
}

teardown_file() { tp_stop_all; }
teardown() { tp_dump_on_failure; }

@test "a server that greets first: its KeyUpdate answer is not missed (3 of 3)" {
	for _ in 1 2 3; do
		probe_run greeter "$CERTS/ca.pem" "$GREETER_PORT"
		[ "$status" -eq 0 ]
		probe_expect tls13.key_update.status answered
		probe_expect verdicts.tls13_key_update answered
	done
	# and no finding says otherwise
	run ! grep -q key_update_not_answered "$JSON"
}

@test "a server that greets first: --fail-on key_update_unanswered holds not" {
	probe_run greeter "$CERTS/ca.pem" "$GREETER_PORT" \
		--fail-on key_update_unanswered
	[ "$status" -eq 0 ]
}

@test "renegotiation answered by plaintext and a close: rejected, said in words" {
	probe_run exim_like "$CERTS/ca.pem" "$EXIM_LIKE_PORT"
	[ "$status" -eq 0 ]
	probe_expect renegotiation.client_initiated.status rejected
	probe_expect renegotiation.client_initiated.attempts.0.outcome plaintext
	local msg
	msg=$(probe_json_get "$JSON" \
		renegotiation.client_initiated.attempts.0.message)
	[[ $msg == *'plaintext'*'"421 4.4.2 hostile lost input connection"'* ]]
}

@test ":reneg answered by plaintext: the message quotes what the server said" {
	TP_IN=$(tp_input 'HELO x\n:reneg\n')
	tp_probe --commands --ca-file "$CERTS/ca.pem" \
		"localhost:$EXIM_LIKE_PORT"
	[ "$status" -ne 0 ]
	grep -qF 'plaintext, not TLS: "421 4.4.2 hostile lost input connection"' \
		"$ERR"
	run ! grep -q 'unknown type in record hdr' "$ERR"
}

@test "mid-stream: every renegotiation runs with echoed data in flight (3 of 3)" {
	for _ in 1 2 3; do
		probe_run serve_echo "$TP_DIR/serve_echo-ca.pem" \
			"$SERVE_ECHO_PORT"
		[ "$status" -eq 0 ]
		probe_expect renegotiation.midstream.stream_ok true
		probe_expect \
			renegotiation.midstream.renegotiations_with_data_in_flight 3
		probe_expect \
			renegotiation.midstream.renegotiations_with_echo_inside 3
	done
}
