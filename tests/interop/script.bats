#!/usr/bin/env bats
# Scripted SMTP dialogues (:expect, --script) against a real Postfix 3.7
# (lib/postfix.bash; no MAIL FROM: its private instance runs no
# trivial-rewrite, so smtpd stalls on addresses): each command goes out only once the reply to the
# last has come, the way a person or expect(1) would talk to it; and an
# expectation Postfix never meets ends with exit 8 within
# --expect-timeout. Runs go through the bats library (bats/tlsprobe), as a
# user's suite would.

# shellcheck disable=SC2034,SC2154 # status, output, stderr: the library's
bats_require_minimum_version 1.5.0
load lib/common
load lib/postfix
BATS_LIB_PATH=$TP_TOP/bats
bats_load_library tlsprobe

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

@test "Postfix --starttls smtp --script: EHLO, NOOP, HELP (500), RSET, QUIT, each reply awaited; exit 0" {
	local script=$BATS_TEST_TMPDIR/smtp.script
	# "^250 " is the last line of the EHLO reply ("250-" before it).
	cat >"$script" <<'EOF'
EHLO client.test
:expect ^250 
NOOP
:expect ^250 2\.0\.0 Ok$
HELP
:expect ^500 5\.5\.2 Error: command not recognized$
RSET
:expect ^250 2\.0\.0 Ok$
QUIT
:expect ^221 2\.0\.0 Bye$
EOF
	tls_connect --starttls smtp --crlf --expect-timeout 10 \
		--script "$script" --ca-file "$CERTS/ca.pem" \
		"localhost:$POSTFIX_PORT"
	assert_tls_ok
	assert_tls_field starttls smtp
	assert_tls_field connection.protocol TLSv1.3
	[ "${lines[-1]}" = $'221 2.0.0 Bye\r' ]
	# Postfix saw the commands one at a time: no pipelining complaint.
	run ! grep -q "improper command pipelining" "$POSTFIX_DIR/maillog"
}

@test "Postfix: an :expect it never meets ends with 8 within --expect-timeout" {
	local start=$SECONDS
	TLS_INPUT=$'EHLO client.test\n:expect ^250 \nNOOP\n:expect ^299 never\nQUIT\n' \
		tls_connect --starttls smtp --crlf --commands --expect-timeout 2 \
		--ca-file "$CERTS/ca.pem" "localhost:$POSTFIX_PORT"
	assert_tls_exit 8
	[ $((SECONDS - start)) -le 5 ]
	[[ $stderr == *":expect '^299 never' not matched within 2 s"* ]]
	[[ $stderr == *"last line received: '250 2.0.0 Ok'"* ]]
	# QUIT, after the unmet expectation, was never sent.
	[[ $output != *"221"* ]]
}
