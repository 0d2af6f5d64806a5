#!/usr/bin/env bats
# Revocation (issue 13, item 2): --status asks for a stapled OCSP response
# (s_client -status), --crl-file checks the leaf against a CRL (s_client
# -CRL with -crl_check). The CA, leaves, responses (`openssl ocsp -index`)
# and CRLs come from tests/helpers/ocsp.sh; each server is `openssl
# s_server -status_file RESPONSE`, which staples that response as it is,
# or `-status_url` with `openssl ocsp -index -port` as a live responder.
#
# gnutls-serv --ocsp-response staples too (good, and revoked with
# --ignore-ocsp-response-errors); s_client -status shows the same status.
#
# Ground truth, taken by hand on 2026-12-02 with OpenSSL 3.0.19 (`openssl
# s_client -status -CAfile ca.pem -verify_return_error`) and GnuTLS 3.7.9
# (`gnutls-cli --x509cafile ca.pem`, which asks for the status by default):
#
#   staple     s_client -status                   gnutls-cli
#   good       "Cert Status: good", exit 0         trusted, exit 0
#   revoked    "Cert Status: revoked", Revocation  "The certificate was
#              Time, Revocation Reason:            revoked via OCSP", NOT
#              keyCompromise (0x1); Verification:  trusted, exit 1
#              OK, exit 0
#   unknown    "Cert Status: unknown", exit 0      trusted, exit 0
#   expired    "Cert Status: good", Next Update    "The received OCSP status
#              in the past; Verification: OK,      response is invalid", NOT
#              exit 0                              trusted, exit 1
#   none       "OCSP response: no response sent"   trusted, exit 0
#
#   CRL (s_client -CAfile ca.pem ...)
#   revoked leaf, -CRL crl.pem -crl_check   "certificate revoked" (23)
#   good leaf,    -CRL crl.pem -crl_check   Verification: OK
#   good leaf,    -CRL other CA's CRL       "unable to get certificate CRL"
#                 -crl_check                (3)
#   good leaf,    -crl_check, no -CRL       "unable to get certificate CRL"
#   revoked leaf, -CRL crl.pem (no          Verification: OK: the CRL is
#                 -crl_check)               loaded and never consulted
#   good leaf,    -CRL expired CRL          "CRL has expired" (12)
#                 -crl_check
#
# tlsprobe fails verification (exit 5) as gnutls-cli does where a staple
# proves revocation or cannot be trusted, and reports "unknown" and "none"
# as both clients do; --insecure goes on and reports. --crl-file always
# checks (no silent -CRL without -crl_check), and --crl-check alone is a
# usage error (exit 2): without a CRL file every certificate would fail.

# shellcheck disable=SC2034,SC2154 # TP_IN, status are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

# name leaf response ("-": staple nothing)
SERVERS='good good good
revoked revoked revoked
unknown unknown unknown
expired good expired
none good -
wrong good revoked
multi good multi
crl-revoked revoked -'

setup_file() {
	tp_setup_file
	export OC=$CERTS/ocsp
	"$TP_HELPERS/ocsp.sh" "$OC"
	cat "$OC/ca.pem" "$OC/other-ca.pem" >"$OC/both-ca.pem"
	local name leaf resp
	while read -r name leaf resp; do
		if [ "$resp" = - ]; then
			tp_start_s_server_with "oc-$name" "ocsp/$leaf" -rev
		else
			tp_start_s_server_with "oc-$name" "ocsp/$leaf" -rev \
				-status_file "$OC/$resp.der"
		fi
	done <<<"$SERVERS"
	# The live flow: s_server asks an OCSP responder (openssl ocsp
	# -index, which takes a port only and listens on every address) for
	# each handshake and staples its answer.
	local rport
	rport=$(tp_free_port)
	(cd "$OC" && tp_start oc-responder "$rport" openssl ocsp \
		-index index.txt -port "$rport" -rsigner ca.pem -rkey ca.key \
		-CA ca.pem -ndays 1)
	local gport
	for leaf in good revoked; do
		tp_start_s_server_with "oc-live-$leaf" "ocsp/$leaf" -rev \
			-CAfile "$OC/ca.pem" -status_url "http://127.0.0.1:$rport/"
		# gnutls-serv staples a response that says revoked only when
		# told to ignore its errors ("The session or certificate has
		# expired" otherwise).
		gport=$(tp_free_port)
		tp_start "oc-gnutls-$leaf" "$gport" gnutls-serv --port "$gport" \
			--x509certfile "$OC/$leaf.pem" \
			--x509keyfile "$OC/$leaf.key" --disable-client-cert \
			--echo --ocsp-response "$OC/$leaf.der" \
			--ignore-ocsp-response-errors
	done
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# probe NAME [TLSPROBE ARGS...]: a line through server NAME, trusting the
# OCSP test CA, with a JSON report in $JSON.
probe() {
	local name=$1
	shift
	TP_IN=$(tp_input 'hello\n')
	JSON=$BATS_TEST_TMPDIR/report.json
	tp_probe --ca-file "$OC/ca.pem" --json "$JSON" "$@" \
		"localhost:$(cat "$TP_DIR/oc-$name.port")"
}

@test "--status: a good staple is shown with its times (TLS 1.2 and 1.3)" {
	for v in 1.2 1.3; do
		probe good --status "--tls$v"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\n'
		tp_stderr_has '^Verification: ok' \
			'^OCSP: good \(this update 20[0-9-]+T[0-9:]+Z, next update 20[0-9-]+T[0-9:]+Z\)'
		tp_json_is '.connection.ocsp | .status == "good" and .accepted
			and .problem == null and .response_status == 0
			and (.this_update | test("^20..-..-..T..:..:..Z$"))
			and (.next_update | test("^20..-..-..T..:..:..Z$"))
			and (.produced_at | test("Z$"))
			and .revocation_time == null and .length > 0'
	done
}

@test "--brief keeps one line and adds the OCSP and CRL status" {
	probe good --status --brief --tls1.3
	[ "$status" -eq 0 ]
	[ "$(grep -c . "$ERR")" -eq 1 ]
	tp_stderr_has '^Connected to .*, verify ok, resumed no, ocsp good$'
	probe revoked --status --brief --insecure --tls1.2
	[ "$status" -eq 0 ]
	tp_stderr_has ', ocsp revoked$'
}

@test "--status: a revoked staple fails verification (exit 5) with its time and reason" {
	for v in 1.2 1.3; do
		probe revoked --status "--tls$v"
		[ "$status" -eq 5 ]
		[ ! -s "$OUT" ]
		tp_stderr_has 'verification failed: .*certificate revoked' \
			'stapled OCSP response: revoked at 20[0-9-]+T[0-9:]+Z, reason keyCompromise' \
			'^OCSP: REVOKED at 20[^ ]+Z, reason keyCompromise \(this update'
		# "connection" is null: the report has it with the certificates.
		tp_json_is '.connection == null and (.certificates.ocsp | .status
			== "revoked" and .revocation_reason == "keyCompromise")'
	done
}

@test "--status --insecure: a revoked staple is reported loudly and the session goes on" {
	probe revoked --status --insecure
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Verification: FAILED .*certificate revoked' \
		'^OCSP: REVOKED at 20[^ ]+Z, reason keyCompromise \(this update'
	tp_json_is '.connection.ocsp | .status == "revoked" and .accepted
		and .revocation_reason == "keyCompromise"
		and (.revocation_time | test("^20..-..-..T..:..:..Z$"))'
	tp_json_is '.connection.verification.ok == false'
}

@test "--status: an unknown staple is reported, not failed (as s_client and gnutls-cli)" {
	probe unknown --status
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Verification: ok' \
		'^OCSP: unknown: the responder does not know this certificate \(this update'
	tp_json_is '.connection.ocsp | .status == "unknown" and .accepted'
}

@test "--status: an expired staple fails verification, naming its next update" {
	probe expired --status
	[ "$status" -eq 5 ]
	tp_stderr_has 'verification failed: .*stapled OCSP response not accepted: expired: its next update \(20[^)]+Z\) has passed' \
		'^OCSP: good, NOT ACCEPTED: expired'
	probe expired --status --insecure
	[ "$status" -eq 0 ]
	tp_stderr_has '^OCSP: good, NOT ACCEPTED: expired'
	tp_json_is '.connection.ocsp | .status == "good" and (.accepted | not)
		and (.problem | test("^expired"))'
}

@test "--status --insecure, untrusted chain: the staple is shown as not checked (TLS 1.2 and 1.3)" {
	for v in 1.2 1.3; do
		TP_IN=$(tp_input 'hello\n')
		JSON=$BATS_TEST_TMPDIR/report.json
		tp_probe "--tls$v" --status --insecure --ca-file "$OC/other-ca.pem" \
			--json "$JSON" "localhost:$(cat "$TP_DIR/oc-good.port")"
		[ "$status" -eq 0 ]
		tp_stderr_has '^Verification: FAILED \(1 failure' \
			'^OCSP: good, NOT ACCEPTED: not checked: the certificate failed verification first \(this update'
		tp_json_is '.connection.verification.failures == 1
			and .connection.ocsp.status == "good"
			and (.connection.ocsp.accepted | not)'
	done
}

@test "--status: a response about two certificates is read for the server's (revoked one first)" {
	probe multi --status
	[ "$status" -eq 0 ]
	tp_stderr_has '^OCSP: good \(this update'
	tp_json_is '.connection.ocsp | .status == "good" and .accepted
		and .revocation_time == null and .revocation_reason == null'
}

@test "--status: a staple for another certificate fails verification" {
	probe wrong --status
	[ "$status" -eq 5 ]
	tp_stderr_has 'stapled OCSP response not accepted: not for this certificate'
}

@test "--status: a server that staples nothing is reported as none (TLS 1.2 and 1.3)" {
	for v in 1.2 1.3; do
		probe none --status "--tls$v"
		[ "$status" -eq 0 ]
		tp_stdout_is 'olleh\n'
		tp_stderr_has '^OCSP: no response stapled'
		tp_json_is '.connection.ocsp == {"status": "none"}'
	done
}

@test "without --status nothing is asked for: no OCSP line, \"ocsp\": null" {
	probe revoked
	[ "$status" -eq 0 ]
	[ "$(grep -c '^OCSP:' "$ERR")" -eq 0 ]
	tp_json_is '.connection | has("ocsp") and .ocsp == null
		and has("crl") and .crl == null'
}

@test "--status: s_server -status_url staples a live responder's answer (good, revoked)" {
	probe live-good --status
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^OCSP: good \(this update'
	probe live-revoked --status
	[ "$status" -eq 5 ]
	tp_stderr_has 'certificate revoked \(stapled OCSP response: revoked at .*reason keyCompromise\)'
}

@test "--status: gnutls-serv --ocsp-response, good and revoked (TLS 1.2 and 1.3)" {
	for v in 1.2 1.3; do
		probe gnutls-good --status "--tls$v"
		[ "$status" -eq 0 ]
		tp_stdout_is 'hello\n'
		tp_stderr_has '^OCSP: good \(this update'
		probe gnutls-revoked --status "--tls$v"
		[ "$status" -eq 5 ]
		tp_stderr_has 'certificate revoked \(stapled OCSP response: revoked at .*reason keyCompromise\)'
	done
}

@test ":status repeats the OCSP line" {
	TP_IN=$(tp_input 'hello\n:status\n')
	tp_probe --commands --status --ca-file "$OC/ca.pem" \
		"localhost:$(cat "$TP_DIR/oc-good.port")"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^OCSP: good (this update' "$ERR")" -eq 2 ]
}

@test "--status: a refused renegotiation keeps the staple of the handshake" {
	# s_server (OpenSSL 3) refuses a client's renegotiation by default.
	TP_IN=$(tp_input 'hello\n:reneg\nworld\n')
	JSON=$BATS_TEST_TMPDIR/report.json
	tp_probe --commands --tls1.2 --status --ca-file "$OC/ca.pem" \
		--json "$JSON" "localhost:$(cat "$TP_DIR/oc-good.port")"
	[ "$status" -eq 0 ]
	tp_stderr_has 'renegotiation refused'
	tp_json_is '.connection.renegotiations_refused == 1
		and .connection.ocsp.status == "good"'
}

@test "-status, s_client's spelling, asks too" {
	probe good -status
	[ "$status" -eq 0 ]
	tp_stderr_has '^OCSP: good'
}

@test "--crl-file: a revoked leaf fails verification (exit 5)" {
	probe crl-revoked --crl-file "$OC/crl.pem" --crl-check
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has "verification failed: depth 0: certificate revoked \(listed in its issuer's CRL\)" \
		'^CRL: REVOKED'
	tp_json_is '.certificates.crl.status == "revoked"'
	# -CRL alone checks too (s_client's -CRL without -crl_check does not).
	probe crl-revoked -CRL "$OC/crl.pem"
	[ "$status" -eq 5 ]
	tp_stderr_has 'certificate revoked'
}

@test "--crl-file: a leaf the CRL does not list passes, and says so" {
	probe none --crl-file "$OC/crl.pem"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Verification: ok' "^CRL: good \(not listed in its issuer's CRL\)"
	tp_json_is '.connection.crl == {"status": "good"} and .connection.ocsp == null'
}

@test "--crl-file --insecure: a revoked leaf is reported and the session goes on" {
	probe crl-revoked --crl-file "$OC/crl.pem" --insecure
	[ "$status" -eq 0 ]
	tp_stderr_has "^CRL: REVOKED"
	tp_json_is '.connection.crl.status == "revoked"'
}

@test "--crl-file with no CRL of the leaf's issuer fails: unable to get certificate CRL" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$OC/both-ca.pem" --crl-file "$OC/other-crl.pem" \
		--crl-check "localhost:$(cat "$TP_DIR/oc-none.port")"
	[ "$status" -eq 5 ]
	tp_stderr_has 'unable to get certificate CRL \(no CRL of its issuer was loaded\)'
	# Its signer not trusted, the CRL still loads (an intermediate's would
	# be checked when used), and is no CRL of the leaf's issuer: the
	# same failure (s_client -CRL other-crl.pem -crl_check: num=3).
	probe none --crl-file "$OC/other-crl.pem" --crl-check
	[ "$status" -eq 5 ]
	tp_stderr_has 'unable to get certificate CRL \(no CRL of its issuer was loaded\)'
}

@test "--crl-check without --crl-file is a usage error (exit 2)" {
	probe none --crl-check
	[ "$status" -eq 2 ]
	tp_stderr_has '--crl-check needs --crl-file'
	probe none -crl_check
	[ "$status" -eq 2 ]
	probe none --crl-check-all
	[ "$status" -eq 2 ]
	tp_stderr_has '--crl-check-all needs --crl-file'
	probe none -crl_check_all
	[ "$status" -eq 2 ]
}

@test "--crl-file: at most 8, one CRL each (exit 2 beyond)" {
	local i args=()
	for i in 1 2 3 4 5 6 7 8 9; do
		args+=(--crl-file "$OC/crl.pem")
	done
	probe none "${args[@]}"
	[ "$status" -eq 2 ]
	tp_stderr_has 'at most 8 --crl-file'
	# 8 pass the option count; being of one issuer, the second is refused
	# as it loads (one CRL per issuer: chains.bats).
	probe none "${args[@]:2}"
	[ "$status" -eq 1 ]
	tp_stderr_has "CRL files '.*crl.pem' and '.*crl.pem' are both of issuer"
	probe none --crl-file "$OC/crl.pem"
	[ "$status" -eq 0 ]
}

@test "--crl-file that cannot be read, is no CRL or has expired: one line, exit 1" {
	probe none --crl-file "$BATS_TEST_TMPDIR/missing.pem"
	[ "$status" -eq 1 ]
	tp_stderr_has "cannot read CRL file '.*missing.pem': No such file"
	[ "$(wc -l <"$ERR")" -eq 1 ]
	probe none --crl-file "$OC/good.pem"
	[ "$status" -eq 1 ]
	tp_stderr_has "cannot load CRL file .*good.pem': not a CRL"
	# An expired one is refused as it loads (s_client: "CRL has expired" at verification).
	probe none --crl-file "$OC/expired-crl.pem"
	[ "$status" -eq 1 ]
	tp_stderr_has "cannot load CRL file .*expired-crl.pem': .*past its next update"
}

@test "--status --crl-file --reconnect: a resumed session says why nothing was checked" {
	# No certificate, so no staple and no CRL check, on resumption (the
	# server sends neither): not "failed verification first".
	probe good --status --crl-file "$OC/crl.pem" --reconnect 1
	[ "$status" -eq 0 ]
	tp_stderr_has '^Resumed: yes' \
		'^OCSP: no response stapled \(session resumed: no certificate was sent\)' \
		'^CRL: not checked \(session resumed: no certificate was sent\)'
	run ! grep -q 'failed verification first' "$ERR"
	tp_json_is '.reconnects[0].resumed == true'
}
