#!/usr/bin/env bats
# --ciphers and --ciphersuites as in s_client (issue 11, item 5): --ciphers
# replaces the suites for TLS 1.2 and older, --ciphersuites the TLS 1.3
# ones, and each leaves the other version's defaults alone. Before, the
# two went to wolfSSL as one list, so --ciphers alone offered no TLS 1.3
# suite (handshake_failure from a TLS 1.3 server) and --ciphersuites alone
# no TLS 1.2 one.
#
# The certificates are EC (tests/helpers/certs.sh): TLS 1.2 suites are the
# ECDHE-ECDSA ones.

# shellcheck disable=SC2034,SC2154 # TP_IN, status are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_s_server any -rev
	export ANY_PORT=$TP_PORT
	tp_start_s_server v12 -rev -tls1_2
	export V12_PORT=$TP_PORT
	# Servers that accept one suite only, and not the first default.
	tp_start_s_server only13chacha -rev -tls1_3 \
		-ciphersuites TLS_CHACHA20_POLY1305_SHA256
	export ONLY13CHACHA_PORT=$TP_PORT
	tp_start_s_server only12chacha -rev -tls1_2 \
		-cipher ECDHE-ECDSA-CHACHA20-POLY1305
	export ONLY12CHACHA_PORT=$TP_PORT
	tp_start_s_server only13aes256 -rev -tls1_3 \
		-ciphersuites TLS_AES_256_GCM_SHA384
	export ONLY13AES256_PORT=$TP_PORT
	tp_start_s_server only12aes256 -rev -tls1_2 \
		-cipher ECDHE-ECDSA-AES256-GCM-SHA384
	export ONLY12AES256_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# probe PORT [ARGS...]: a line through s_server -rev on PORT.
probe() {
	local port=$1
	shift
	TP_IN=$(tp_input 'hello\n')
	tp_probe --brief --ca-file "$CERTS/ca.pem" "$@" "localhost:$port"
}

@test "--ciphers alone: TLS 1.3 is still negotiated with its default suites" {
	probe "$ANY_PORT" --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'TLSv1\.3 TLS_AES_128_GCM_SHA256'
	# The s_client spelling, and an RSA suite the server cannot use in
	# TLS 1.2 (the case of the issue): TLS 1.3 does not care.
	probe "$ANY_PORT" -cipher ECDHE-RSA-AES128-GCM-SHA256
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'TLSv1\.3'
	# All the TLS 1.3 defaults, not only the first.
	probe "$ONLY13CHACHA_PORT" --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
	[ "$status" -eq 0 ]
	tp_stderr_has 'TLSv1\.3 TLS_CHACHA20_POLY1305_SHA256'
}

@test "--ciphers is honoured in TLS 1.2" {
	local s
	for s in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305; do
		probe "$V12_PORT" --ciphers "$s"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\n'
		[ "$s" != ECDHE-ECDSA-AES128-GCM-SHA256 ] ||
			tp_stderr_has 'TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 '
		[ "$s" != ECDHE-ECDSA-CHACHA20-POLY1305 ] ||
			tp_stderr_has 'TLSv1\.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 '
	done
	# Only what was given: a server that wants another suite refuses.
	probe "$ONLY12AES256_PORT" --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
	[ "$status" -eq 4 ]
	tp_stderr_has 'handshake_failure'
}

@test "--ciphersuites alone: TLS 1.2 is still possible with its default suites" {
	probe "$V12_PORT" --ciphersuites TLS_AES_256_GCM_SHA384
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'TLSv1\.2 TLS_ECDHE_ECDSA_'
	probe "$ONLY12CHACHA_PORT" -ciphersuites TLS_AES_256_GCM_SHA384
	[ "$status" -eq 0 ]
	tp_stderr_has 'TLSv1\.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 '
}

@test "--ciphersuites is honoured in TLS 1.3 (IANA and wolfSSL names)" {
	local s
	for s in TLS_AES_256_GCM_SHA384 TLS13-AES256-GCM-SHA384; do
		probe "$ANY_PORT" --ciphersuites "$s"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\n'
		tp_stderr_has 'TLSv1\.3 TLS_AES_256_GCM_SHA384 '
	done
	probe "$ONLY13CHACHA_PORT" --ciphersuites TLS_AES_256_GCM_SHA384
	[ "$status" -eq 4 ]
	tp_stderr_has 'handshake_failure'
}

@test "both options: each version uses its own list" {
	local both=(--ciphers ECDHE-ECDSA-CHACHA20-POLY1305
		--ciphersuites TLS_AES_256_GCM_SHA384)
	probe "$ANY_PORT" "${both[@]}"
	[ "$status" -eq 0 ]
	tp_stderr_has 'TLSv1\.3 TLS_AES_256_GCM_SHA384 '
	probe "$V12_PORT" "${both[@]}"
	[ "$status" -eq 0 ]
	tp_stderr_has 'TLSv1\.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 '
	probe "$ONLY13AES256_PORT" "${both[@]}"
	[ "$status" -eq 0 ]
	probe "$ONLY12AES256_PORT" "${both[@]}"
	[ "$status" -eq 4 ]
}

@test "a list without a suite of its version is a usage error" {
	probe "$ANY_PORT" --ciphers TLS_AES_128_GCM_SHA256
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has 'no TLS 1\.2 or older cipher suite in .TLS_AES_128_GCM_SHA256.'
	probe "$ANY_PORT" --ciphersuites ECDHE-ECDSA-AES128-GCM-SHA256
	[ "$status" -eq 2 ]
	tp_stderr_has 'no TLS 1\.3 cipher suite in .ECDHE-ECDSA-AES128-GCM-SHA256.'
	probe "$ANY_PORT" --ciphers NO-SUCH-CIPHER
	[ "$status" -eq 2 ]
	tp_stderr_has "NO-SUCH-CIPHER"
}
