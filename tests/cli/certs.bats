#!/usr/bin/env bats
# What tlsprobe says about a server's certificates (issue 13, items 1, 5
# and 6): on a failed verification, the chain as sent and what was tried,
# and a diagnosis in words; on a good one, the verified path; the facts of
# each certificate; --verify-name; the server's request for a client
# certificate; a client key that does not belong to its certificate.
#
# Ground truth, by hand on 2026-12-02 with OpenSSL 3.0 (`openssl s_client
# -verify_return_error -verify_hostname localhost -CAfile TRUST`) and
# GnuTLS 3.7 (`gnutls-cli --x509cafile TRUST`) against these s_servers:
#
#   case             s_client                          gnutls-cli
#   self-signed      depth=0: self-signed certificate  issuer is unknown
#                    (18)
#   missing int.     depth=0: unable to get local      issuer is unknown
#                    issuer certificate (20)
#   expired          depth=0: certificate has expired  chain uses expired
#                    (10), notAfter=Jan 2 ... 2020     certificate
#   not yet valid    certificate is not yet valid (9), (not yet activated)
#                    notBefore=Jan 1 ... 2099
#   wrong name       hostname mismatch (62)            name does not match
#   clientAuth only  unsuitable certificate purpose    does not match the
#                    (26)                              intended purpose
#   good chain       depth=2 Root B, depth=1           trusted
#                    Intermediate, depth=0 localhost
#   -Verify 1        "Acceptable client certificate    "Server has requested
#     -CAfile ca       CA names: CN = tlsprobe test ca" a certificate"
#
# Neither prints the certificate's names on a mismatch, nor the issuer
# that was not found; s_client prints the chain it received, gnutls-cli
# the certificate list.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, OUT, ERR: peers.bash
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	export CH=$CERTS/chains
	"$TP_HELPERS/chains.sh" "$CH"
	local name
	for name in selfsigned expired notyet wrongname clientonly; do
		tp_start_s_server_with "$name" "$name" -rev
	done
	tp_start_s_server_with missing-int chains/leaf -rev
	tp_start_s_server_with good chains/leaf -rev \
		-cert_chain "$CH/chain-plain.pem"
	tp_start_s_server cc12 -rev -tls1_2 -Verify 1 -CAfile "$CERTS/ca.pem"
	tp_start_s_server cc13 -rev -verify 1 -CAfile "$CERTS/ca.pem"
	# not tp_start_gnutls_serv: it disables client certificates
	local gport
	gport=$(tp_free_port)
	tp_start gnutls-cc "$gport" gnutls-serv --port "$gport" --echo \
		--x509certfile "$CERTS/leaf.pem" --x509keyfile "$CERTS/leaf.key" \
		--require-client-cert --x509cafile "$CERTS/ca.pem"
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# port NAME: the port of peer NAME.
port() {
	cat "$TP_DIR/$1.port"
}

# against NAME TRUST [ARGS...]: a line to peer NAME's s_server trusting
# TRUST (a file), with a --json report in $JSON.
against() {
	local name=$1 trust=$2
	shift 2
	JSON=$BATS_TEST_TMPDIR/report.json
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$trust" --json "$JSON" "$@" \
		"localhost:$(port "$name")"
}

# refused_with ERE: exit 5, nothing relayed, the chain and what was tried
# before the error line, which matches ERE; the report has the chain.
refused_with() {
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has '^Peer chain \(as sent\): [0-9] certificates?$' \
		"^Tried: name 'localhost', CAs of --ca-file " \
		"^tlsprobe: certificate verification failed: $1"
	# the error line comes last
	tail -n 1 "$ERR" | grep -q '^tlsprobe: certificate verification failed'
	tp_json_is '.exit_status == 5 and .connection == null'
	tp_json_is '.certificates.verified == false'
	tp_json_is '.certificates.chain[0].subject | startswith("/CN=")'
}

ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

@test "a self-signed leaf is called so, with its chain line and names" {
	against selfsigned "$CERTS/ca.pem"
	refused_with 'depth 0: self-signed certificate: /CN=localhost; it is its own issuer, and not trusted$'
	tp_stderr_has "^ 0 /CN=localhost, issued by /CN=localhost, valid $ISO to $ISO, names DNS:localhost, IP:127.0.0.1, IP:::1$"
	run ! grep -q 'local issuer' "$ERR"
	tp_json_is '.certificates.chain | length == 1'
	tp_json_is '.certificates.chain[0].sans == ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]'
}

@test "a missing intermediate: the issuer that was not found is named, with where it is published" {
	against missing-int "$CH/root-b.pem"
	refused_with 'depth 0: unable to get local issuer certificate: /CN=localhost; issuer not found: /CN=tlsprobe chains Intermediate was neither sent by the server nor trusted; its authorityInfoAccess publishes that issuer at http://pki\.tlsprobe\.test/int\.der: the server likely leaves out an intermediate certificate$'
	tp_stderr_has '^ 0 /CN=localhost, issued by /CN=tlsprobe chains Intermediate, '
	tp_json_is '.certificates.error | contains("issuer not found: /CN=tlsprobe chains Intermediate")'
}

@test "an expired leaf: the dates it was valid" {
	against expired "$CERTS/ca.pem"
	refused_with 'depth 0: certificate has expired: /CN=localhost; valid from 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z$'
	tp_json_is '.certificates.chain[0].not_after == "2020-01-02T00:00:00Z"'
}

@test "a leaf not yet valid: the dates it will be valid" {
	against notyet "$CERTS/ca.pem"
	refused_with 'depth 0: certificate is not yet valid: /CN=localhost; valid from 2099-01-01T00:00:00Z to 2099-01-02T00:00:00Z$'
	tp_json_is '.certificates.chain[0].not_before == "2099-01-01T00:00:00Z"'
}

@test "a name mismatch lists the certificate's names" {
	against wrongname "$CERTS/ca.pem"
	refused_with "depth 0: certificate does not match name 'localhost'; its names: DNS:wrong.example\$"
	tp_stderr_has '^ 0 /CN=wrong.example, .*, names DNS:wrong.example$'
	tp_json_is '.certificates.verify_name == "localhost"'
}

@test "a leaf for clients only: unsuitable purpose, no serverAuth" {
	against clientonly "$CERTS/ca.pem"
	refused_with 'depth 0: unsuitable certificate purpose: /CN=localhost; its extendedKeyUsage has no serverAuth \(clientAuth only\)$'
}

@test "--quiet and --brief keep a failed verification to its one error line" {
	local v
	for v in --quiet --brief; do
		against missing-int "$CH/root-b.pem" "$v"
		[ "$status" -eq 5 ]
		[ "$(wc -l <"$ERR")" -eq 1 ]
		tp_json_is '.certificates.chain | length == 1'
	done
}

@test "--showcerts on a failed verification: each certificate's facts and PEM" {
	against selfsigned "$CERTS/ca.pem" --showcerts
	[ "$status" -eq 5 ]
	local serial fp
	serial=$(openssl x509 -in "$CERTS/selfsigned.pem" -noout -serial)
	fp=$(openssl x509 -in "$CERTS/selfsigned.pem" -noout -fingerprint \
		-sha256)
	tp_stderr_has "^   serial: ${serial#serial=}$" \
		"^   sha256: ${fp#*=}$" \
		'^   key: EC 256 bits, signed with ecdsa-with-SHA256$' \
		'^-----BEGIN CERTIFICATE-----$'
	# the PEM is the certificate's own
	sed -n '/^-----BEGIN/,/^-----END/p' "$ERR" >"$BATS_TEST_TMPDIR/got.pem"
	cmp "$BATS_TEST_TMPDIR/got.pem" "$CERTS/selfsigned.pem"
}

@test "a good chain: the verified path as depth lines, top first, and in the report" {
	against good "$CH/root-b.pem"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	grep -A3 '^Verified path:$' "$ERR" >"$BATS_TEST_TMPDIR/path"
	printf '%s\n' 'Verified path:' \
		' depth=2 /CN=tlsprobe chains Root B (trusted, not sent)' \
		' depth=1 /CN=tlsprobe chains Intermediate' \
		' depth=0 /CN=localhost' | diff - "$BATS_TEST_TMPDIR/path"
	tp_json_is '[.certificates.verified_path[] | [.depth, .sent_index]] == [[0, 0], [1, 1], [2, null]]'
	tp_json_is '.certificates.verified_path[2].subject == "/CN=tlsprobe chains Root B"'
	tp_json_is '.certificates.verified == true and .certificates.error == null'
}

@test "each certificate's facts in the report are openssl's" {
	against good "$CH/root-b.pem"
	[ "$status" -eq 0 ]
	local i pem want got
	for i in 0 1; do
		pem=$CH/leaf.pem
		[ "$i" -eq 1 ] && pem=$CH/int.pem
		want=$(openssl x509 -in "$pem" -noout -serial)
		got=$(jq -r ".connection.peer_chain[$i].serial" "$JSON")
		[ "$got" = "${want#serial=}" ]
		want=$(openssl x509 -in "$pem" -noout -fingerprint -sha256)
		got=$(jq -r ".certificates.chain[$i].sha256_fingerprint" "$JSON")
		[ "$got" = "${want#*=}" ]
		want=$(date -u -d "$(openssl x509 -in "$pem" -noout -enddate |
			cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
		got=$(jq -r ".certificates.chain[$i].not_after" "$JSON")
		[ "$got" = "$want" ]
	done
	tp_json_is '.certificates.chain[0] | .key_type == "EC" and .key_bits == 256 and .signature_algorithm == "ecdsa-with-SHA256"'
	tp_json_is '.certificates.chain[0].sans == ["DNS:localhost", "IP:127.0.0.1"]'
	tp_json_is '.certificates.chain[1].sans == []'
	tp_json_is '.connection.peer_chain == .certificates.chain'
}

@test "--verify-name checks another name than the SNI" {
	against good "$CH/root-b.pem" --verify-name wrong.example
	[ "$status" -eq 5 ]
	tp_stderr_has "does not match name 'wrong.example'; its names: DNS:localhost, IP:127.0.0.1\$" \
		"^Tried: name 'wrong.example'"
	against good "$CH/root-b.pem" --verify-name 127.0.0.1
	[ "$status" -eq 0 ]
	tp_json_is '.certificates.verify_name == "127.0.0.1"'
	tp_json_is '.connection.sni == "localhost"'
	# s_client's spelling
	against good "$CH/root-b.pem" -verify_hostname other.example
	[ "$status" -eq 5 ]
	tp_stderr_has "does not match name 'other.example'"
}

@test "a --key of another certificate is refused before connecting: exit 2, one line" {
	TP_IN=/dev/null
	# nothing listens there: a connection attempt would be exit 3
	tp_probe --cert "$CERTS/client.pem" --key "$CERTS/leaf.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$(tp_free_port)"
	[ "$status" -eq 2 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has "^tlsprobe: the private key '.*/leaf.key' does not belong to the certificate '.*/client.pem'\$"
}

@test "s_server asks for a certificate (TLS 1.2): the request, its CA and none sent before the error" {
	against cc12 "$CERTS/ca.pem"
	[ "$status" -eq 4 ]
	tp_stderr_has '^Client certificate: requested by the server, naming CAs /CN=tlsprobe test ca; none was sent$'
	tp_json_is '.certificates.client_certificate == {"requested": true, "ca_names": ["/CN=tlsprobe test ca"], "sent": false}'
}

@test "s_server asks for a certificate (TLS 1.3): one was sent, in the summary and the report" {
	against cc13 "$CERTS/ca.pem" --cert "$CERTS/client.pem" \
		--key "$CERTS/client.key"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Client certificate: requested by the server, naming CAs /CN=tlsprobe test ca; one was sent$'
	tp_json_is '.certificates.client_certificate == {"requested": true, "ca_names": ["/CN=tlsprobe test ca"], "sent": true}'
}

@test "no request, no client certificate line" {
	against good "$CH/root-b.pem" --cert "$CERTS/client.pem" \
		--key "$CERTS/client.key"
	[ "$status" -eq 0 ]
	run ! grep -q '^Client certificate' "$ERR"
	tp_json_is '.certificates.client_certificate.requested == false'
}

@test "gnutls-serv --require-client-cert: the request and its CA names, TLS 1.3 and 1.2" {
	local v
	for v in --tls1.3 --tls1.2; do
		against gnutls-cc "$CERTS/ca.pem" "$v" --cert "$CERTS/client.pem" \
			--key "$CERTS/client.key"
		[ "$status" -eq 0 ]
		tp_stdout_is 'hello\n'
		tp_stderr_has '^Client certificate: requested by the server, naming CAs /CN=tlsprobe test ca; one was sent$'
	done
}

# without_system_cas: $TLSPROBE becomes a wrapper that runs it with the
# system's CA directories empty (tests/helpers/no_system_cas.sh).
without_system_cas() {
	if [ "$(id -u)" -ne 0 ] || ! unshare --mount true 2>/dev/null; then
		skip "needs root and unshare --mount to hide the system CAs"
	fi
	local w=$BATS_TEST_TMPDIR/no-system-cas
	printf '#!/bin/sh\nexec %q %q "$@"\n' \
		"$TP_HELPERS/no_system_cas.sh" "$TLSPROBE" >"$w"
	chmod +x "$w"
	TLSPROBE=$w
}

@test "no system CA at all (no ca-certificates): the error says the trust store is empty, not only the issuer" {
	JSON=$BATS_TEST_TMPDIR/report.json
	# the system's store, where there is one: no such note
	tp_probe --json "$JSON" "localhost:$(port good)"
	[ "$status" -eq 5 ]
	run ! grep -q "trust store is empty" "$ERR"
	without_system_cas
	tp_probe --json "$JSON" "localhost:$(port good)"
	[ "$status" -eq 5 ]
	tp_stderr_has "^Tried: name 'localhost', the system's trusted CAs$" \
		"^tlsprobe: certificate verification failed: depth 0: unable to get local issuer certificate: /CN=localhost; the system's trust store is empty: no CA certificate in /etc/ssl/certs, /etc/pki/ca-trust/source/anchors, /etc/pki/tls/certs \\(Debian: install ca-certificates\\); the chain sent ends at /CN=tlsprobe chains Intermediate, whose issuer /CN=tlsprobe chains Root B was neither sent nor trusted$"
	tp_json_is '.certificates.error | contains("the system'"'"'s trust store is empty")'
	# a CA file given: the system's store is not asked, and not blamed
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$(port good)"
	[ "$status" -eq 5 ]
	run ! grep -q "trust store is empty" "$ERR"
}
