#!/usr/bin/env bats
# The bats library for users' suites (bats/tlsprobe/load.bash), loaded as
# users load the installed one: bats_load_library with BATS_LIB_PATH. Each
# assertion is checked both ways: it passes on what is true and fails,
# with bats-assert's readable message, on what is not.

# shellcheck disable=SC2034,SC2154 # status, output, stderr... are the
# library's results, read here
bats_require_minimum_version 1.5.0
load ../helpers/peers

BATS_LIB_PATH=$TP_TOP/bats
bats_load_library tlsprobe

setup_file() {
	tp_setup_file
	tp_start_tlsprobe_serve refuse --client-reneg refuse
	export REFUSE_PORT=$TP_PORT
	tp_start_tlsprobe_serve echo
	export ECHO_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "tls_connect: a TLS 1.3 handshake; status, stderr and the JSON report" {
	tls_connect --ca-file "$TP_DIR/refuse-ca.pem" "localhost:$REFUSE_PORT"
	assert_tls_ok
	assert_tls_exit 0
	assert_tls_field connection.protocol TLSv1.3
	assert_tls_field connection.verification.ok true
	assert_tls_field port "$REFUSE_PORT"
	assert_tls_field exit_status 0
	[[ $stderr == *"Verification: ok"* ]]
}

@test "tls_connect: TLS_INPUT goes to the server, its reply to \$output and \${lines[@]}" {
	TLS_INPUT=$'one\ntwo\n' tls_connect --ca-file "$TP_DIR/echo-ca.pem" \
		"localhost:$ECHO_PORT"
	assert_tls_ok
	[ "$output" = $'one\ntwo' ]
	[ "${lines[1]}" = two ]
	printf 'three\n' >"$BATS_TEST_TMPDIR/in"
	TLS_INPUT_FILE=$BATS_TEST_TMPDIR/in tls_connect --ca-file \
		"$TP_DIR/echo-ca.pem" "localhost:$ECHO_PORT"
	[ "$output" = three ]
}

@test "an untrusted server: assert_tls_exit 5 passes, assert_tls_ok fails showing the status and stderr" {
	tls_connect "localhost:$REFUSE_PORT"
	assert_tls_exit 5
	run -1 assert_tls_ok
	[[ $output == *"-- tlsprobe exit status differs --"* ]]
	[[ $output == *"expected : 0"* ]]
	[[ $output == *"actual   : 5"* ]]
	[[ $output == *"stderr"*"verif"* ]]
}

@test "assert_tls_field fails on a wrong value, naming field, expected and actual" {
	tls_connect --ca-file "$TP_DIR/refuse-ca.pem" "localhost:$REFUSE_PORT"
	run -1 assert_tls_field connection.protocol TLSv1.2
	[[ $output == *"-- JSON field differs --"* ]]
	[[ $output == *"field    : connection.protocol"* ]]
	[[ $output == *"expected : TLSv1.2"* ]]
	[[ $output == *"actual   : TLSv1.3"* ]]
	run -1 assert_tls_field no.such.field x
	[[ $output == *"actual   : null"* ]]
}

@test "tls_probe_reneg: a refused client renegotiation; a wrong verdict fails" {
	tls_probe_reneg --attempts 2 --ca-file "$TP_DIR/refuse-ca.pem" \
		"localhost:$REFUSE_PORT"
	assert_tls_ok
	assert_reneg_verdict client_initiated rejected
	assert_reneg_verdict secure_renegotiation supported
	assert_tls_field renegotiation.client_initiated.attempts_made 2
	run -1 assert_reneg_verdict client_initiated accepted
	[[ $output == *"-- renegotiation verdict differs --"* ]]
	[[ $output == *"expected : accepted"* ]]
	[[ $output == *"actual   : rejected"* ]]
}

@test "tls_probe_reneg: the report's fields as connect's (port a number), and a report for a target that cannot be probed" {
	tls_probe_reneg --attempts 1 --hello-wait 100 \
		--ca-file "$TP_DIR/refuse-ca.pem" "localhost:$REFUSE_PORT"
	assert_tls_ok
	assert_tls_field target.port "$REFUSE_PORT"
	assert_tls_field connections.0.sni localhost
	assert_tls_field exit_status 0
	tls_probe_reneg --ca-file "$TP_DIR/refuse-ca.pem" "127.0.0.1:1"
	assert_tls_exit 3
	assert_tls_field exit_status 3
	assert_tls_field connections.0.timing.connect_ms null
}

@test "without jq, the JSON assertions say that jq is missing, not that a field differs" {
	tls_connect --ca-file "$TP_DIR/refuse-ca.pem" "localhost:$REFUSE_PORT"
	assert_tls_ok
	# a PATH with what a failure message needs, and no jq
	local bin=$BATS_TEST_TMPDIR/nojq t
	mkdir "$bin"
	for t in sed wc cat; do
		ln -s "$(command -v "$t")" "$bin/$t"
	done
	PATH=$bin assert_tls_exit 0 # needs no jq
	PATH=$bin run -1 assert_tls_field connection.protocol TLSv1.3
	[[ $output == *"-- assert_tls_field: jq not found --"* ]]
	[[ $output == *"apt-get install jq"* ]]
	[[ $output != *"field differs"* ]]
	PATH=$bin run -1 assert_reneg_verdict client_initiated rejected
	[[ $output == *"-- assert_reneg_verdict: jq not found --"* ]]
}

@test "misuse fails loudly: an assertion before any run, wrong arguments" {
	run -1 assert_tls_ok
	[[ $output == *"no tls_connect or tls_probe_reneg ran"* ]]
	tls_connect --ca-file "$TP_DIR/refuse-ca.pem" "localhost:$REFUSE_PORT"
	run -1 assert_tls_field connection.protocol
	[[ $output == *"want PATH VALUE"* ]]
}

@test "TLS_TIMEOUT kills a run that hangs: status 124, said in stderr" {
	TLS_TIMEOUT=1 TLS_INPUT=x tls_connect --linger 30 --close-idle 60000 \
		--ca-file "$TP_DIR/echo-ca.pem" "localhost:$ECHO_PORT"
	assert_tls_exit 124
	[[ $stderr == *"killed after 1 s"* ]]
}
