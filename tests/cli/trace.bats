#!/usr/bin/env bats
# --msg names every handshake message from its plaintext (decrypted ones
# too: cmake/patches/0005), both ways, in TLS 1.2 with a renegotiation and
# in TLS 1.3 with a KeyUpdate; never a type read from encrypted bytes.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, ERR are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_s_server reneg12 -tls1_2 -client_renegotiation -rev
	export RENEG12_PORT=$TP_PORT
	tp_start_s_server ku13 -tls1_3 -rev
	export KU13_PORT=$TP_PORT
	tp_start_s_server auth12 -tls1_2 -rev -Verify 1 -CAfile "$CERTS/ca.pem"
	export AUTH12_PORT=$TP_PORT
	tp_start_s_server auth13 -tls1_3 -rev -Verify 1 -CAfile "$CERTS/ca.pem"
	export AUTH13_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# msgs DIR: the handshake messages of the last tp_probe's trace going one
# way (">>>" sent, "<<<" received), names on one line; session tickets
# (their number is the server's choice) left out.
msgs() {
	sed -n "s/^$1 handshake \([A-Za-z]*\) ([0-9]*), length [0-9]*$/\1/p" \
		"$ERR" | grep -vx NewSessionTicket | paste -sd' '
}

# expect_msgs DIR WANT: the messages going one way are exactly WANT, and
# every handshake line of the trace is a well-formed one.
expect_msgs() {
	local got
	got=$(msgs "$1")
	if [ "$got" != "$2" ]; then
		echo "# $1 messages: '$got', want '$2'" >&2
		return 1
	fi
}

# Every "handshake" line is one expect_msgs parsed (a name, a type, a
# length), so no other shape (unknown (N)...) slipped in.
all_lines_named() {
	local bad
	bad=$(grep -E '^(>>>|<<<) handshake ' "$ERR" |
		grep -Ev '^(>>>|<<<) handshake [A-Za-z]+ \([0-9]+\), length [0-9]+$' |
		grep -v ' unknown ' || true)
	bad+=$(grep -E '^(>>>|<<<) handshake unknown' "$ERR" || true)
	if [ -n "$bad" ]; then
		echo "# malformed or unknown handshake lines: $bad" >&2
		return 1
	fi
}

@test "--msg, TLS 1.2 with a renegotiation, 20 runs: every message named, both ways" {
	local hs_out='ClientHello ClientKeyExchange Finished'
	local hs_in='ServerHello Certificate ServerKeyExchange ServerHelloDone Finished'
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	for _ in $(seq 1 20); do
		tp_probe --msg --commands --ca-file "$CERTS/ca.pem" \
			"localhost:$RENEG12_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\ndlrow\n'
		expect_msgs '>>>' "$hs_out $hs_out"
		expect_msgs '<<<' "$hs_in $hs_in"
		all_lines_named
		# Finished has a 12-byte verify_data in TLS 1.2.
		[ "$(grep -c '^>>> handshake Finished (20), length 12$' "$ERR")" -eq 2 ]
		[ "$(grep -c '^<<< handshake Finished (20), length 12$' "$ERR")" -eq 2 ]
		# Records stay traced as records, beside the messages.
		grep -q '^>>> record handshake, length ' "$ERR"
	done
}

@test "--msg, TLS 1.3 with a KeyUpdate, 20 runs: every message named, both ways" {
	TP_IN=$(tp_input 'hello\n:keyupdate req\nworld\n')
	for _ in $(seq 1 20); do
		tp_probe --msg --commands --ca-file "$CERTS/ca.pem" \
			"localhost:$KU13_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\ndlrow\n'
		expect_msgs '>>>' 'ClientHello Finished KeyUpdate'
		expect_msgs '<<<' 'ServerHello EncryptedExtensions Certificate CertificateVerify Finished KeyUpdate'
		all_lines_named
		grep -q '^<<< handshake NewSessionTicket (4), length ' "$ERR"
		# KeyUpdate's body is its one request byte.
		grep -q '^>>> handshake KeyUpdate (24), length 1$' "$ERR"
		# The encrypted records are records (application_data).
		grep -q '^>>> record application_data, length ' "$ERR"
	done
}

@test "--msg with a client certificate: CertificateRequest, then ours (Certificate, CertificateVerify), TLS 1.2 and 1.3" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --msg --cert "$CERTS/leaf.pem" --key "$CERTS/leaf.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$AUTH12_PORT"
	[ "$status" -eq 0 ]
	expect_msgs '>>>' 'ClientHello Certificate ClientKeyExchange CertificateVerify Finished'
	expect_msgs '<<<' 'ServerHello Certificate ServerKeyExchange CertificateRequest ServerHelloDone Finished'
	all_lines_named
	tp_probe --msg --cert "$CERTS/leaf.pem" --key "$CERTS/leaf.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$AUTH13_PORT"
	[ "$status" -eq 0 ]
	expect_msgs '>>>' 'ClientHello Certificate CertificateVerify Finished'
	expect_msgs '<<<' 'ServerHello EncryptedExtensions CertificateRequest Certificate CertificateVerify Finished'
	all_lines_named
}

# line_of REGEX: the number of the first line of the trace matching REGEX.
line_of() {
	grep -n -m1 -E "$1" "$ERR" | cut -d: -f1
}

@test "--msg: the summary comes after the trace of the handshake it sums up, before a command's line, 20 runs" {
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	for _ in $(seq 1 20); do
		tp_probe --msg --commands --ca-file "$CERTS/ca.pem" \
			"localhost:$RENEG12_PORT"
		[ "$status" -eq 0 ]
		local done_at summary_at reneg_at
		done_at=$(line_of '^--- handshake done')
		summary_at=$(line_of '^Connected: ')
		reneg_at=$(line_of '^Renegotiating\.\.\.$')
		echo "# handshake done: line $done_at, summary: $summary_at, Renegotiating: $reneg_at" >&2
		[ "$done_at" -lt "$summary_at" ]
		[ "$summary_at" -lt "$reneg_at" ]
	done
}
