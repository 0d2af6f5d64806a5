#!/usr/bin/env bats
# Certificate chains built the way public CAs build them (issue 11, item
# 4): servers that send more than their path, or send it out of order, and
# cross-signed roots (the ISRG Root X1 / DST Root CA X3 pattern). The
# chains come from tests/helpers/chains.sh; each server is `openssl
# s_server -cert_chain`, which sends its chain file as it is, in order.
#
# Ground truth, established by hand on 2026-12-02 with OpenSSL 3.0.19
# (`openssl s_client -verify_return_error -verify_hostname localhost
# -CAfile TRUST`) and GnuTLS 3.7.9 (`gnutls-cli --x509cafile TRUST`), both
# TLS 1.3; "sent" is what follows the leaf, in order; B is the trusted root
# unless said otherwise:
#
#   case               sent                     s_client          gnutls-cli
#   plain              int                      ok                ok
#   extra              int, unrelated root      ok                ok
#   extra-first        unrelated root, int      ok                ok
#   extra-path         int, unrel. int, root    ok                ok
#   anchor             int, B                   ok                ok
#   anchor-first       B, int                   ok                ok
#   two-reversed       int1, int2 (leaf2 is     ok                ok
#                      under int2, int2 under int1)
#   two-shuffled       int1, B, int2            ok                ok
#   cross              int, B by A              ok                ok
#   cross-full         int, B by A, A           ok                ok
#   cross, trust A     int, B by A              ok                ok
#   cross-expired      int, B by A (expired)    ok                ok
#   cross-expired,     int, B by A (expired)    ok                ok
#     trust A and B
#   expired-int-first  expired int, int         ok                "chain uses
#                      (same name and key)                        expired
#                                                                 certificate"
#   cross-expired,     int, B by A (expired)    depth 2 Root B:   "chain uses
#     trust A only                              certificate has   expired
#                                               expired (10)      certificate"
#   cross, trust an    int, B by A              depth 2 Root B:   "issuer is
#     unrelated root                            unable to get     unknown"
#                                               local issuer (20)
#   missing-int        (nothing)                depth 0: unable   "issuer is
#                                               to get local      unknown"
#                                               issuer (20)
#   missing-int1       int2 (leaf2; int1, its   depth 1: unable   "issuer is
#                      issuer, left out)        to get local      unknown"
#                                               issuer (20)
#   expired-int        expired int              depth 1: cert.    "chain uses
#                                               has expired (10)  expired
#                                                                 certificate"
#   rogue              unrel. int, unrel. root  depth 2: self-    "issuer is
#     (a leaf under the unrelated root)         signed cert. in   unknown"
#                                               chain (19)
#   rogue-mixed        unrel. int, int, B       depth 1: unable   "issuer is
#                                               to get local      unknown"
#                                               issuer (20)
#
# tlsprobe agrees with s_client on every verdict: exit 0, or exit 5 with
# the reason. Where the two clients differ (expired-int-first), it follows
# s_client: a valid path exists, and the expired spare copy of the
# intermediate is not on it. Its messages name the certificate wolfSSL
# stopped at: for an untrusted path that is the leaf (depth 0, "unable to
# get local issuer certificate"), also where s_client names the top of the
# chain or says "self-signed certificate in certificate chain"; they then
# say where the chain sent leads ("a self-signed root that is not
# trusted", or the issuer that was neither sent nor trusted).
#
# Every certificate below a root here names where its issuer is published
# (authorityInfoAccess caIssuers, as public CAs' certificates do): where
# the missing issuer was left out by the server, tlsprobe says so, with
# that address; s_client and gnutls-cli say only what the table says.
#
# Before WOLFSSL_ALT_CERT_CHAINS, wolfSSL patch 0003 (the chain sorted into
# path order) and the held chain failures of tp_verify_cb, every case from
# extra to expired-int-first failed with exit 5.

# shellcheck disable=SC2034,SC2154 # TP_IN, status are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

# name leaf chain-file: one s_server per case, for the whole file.
CASES='plain leaf chain-plain
extra leaf chain-extra
extra-first leaf chain-extra-first
extra-path leaf chain-extra-path
anchor leaf chain-anchor
anchor-first leaf chain-anchor-first
two-plain leaf2 chain2-plain
two-reversed leaf2 chain2-reversed
two-shuffled leaf2 chain2-shuffled
cross leaf chain-cross
cross-full leaf chain-cross-full
cross-expired leaf chain-cross-expired
expired-int-first leaf chain-expired-int-first
expired-int leaf chain-expired-int
rogue rogue chain-rogue
rogue-mixed rogue chain-rogue-mixed
missing-int1 leaf2 chain-missing-int1
revoked-int leaf-ri chain-revoked-int
revoked-leaf leaf-rv chain-plain'

setup_file() {
	tp_setup_file
	export CH=$CERTS/chains
	"$TP_HELPERS/chains.sh" "$CH"
	cat "$CH/root-a.pem" "$CH/root-b.pem" >"$CH/root-ab.pem"
	local name leaf chain
	while read -r name leaf chain; do
		tp_start_s_server_with "ch-$name" "chains/$leaf" -rev \
			-cert_chain "$CH/$chain.pem"
	done <<<"$CASES"
	# No chain at all: the intermediate is missing.
	tp_start_s_server_with ch-missing-int chains/leaf -rev
	tp_start_s_server_with ch-long-missing chains/long-leaf -rev
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# chain CASE TRUST [TLSPROBE ARGS...]: a line through case CASE's server,
# trusting $CH/TRUST.pem only.
chain() {
	local name=$1 trust=$2
	shift 2
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CH/$trust.pem" "$@" \
		"localhost:$(cat "$TP_DIR/ch-$name.port")"
}

# verifies CASE TRUST [TLSPROBE ARGS...]: exit 0, the data relayed, and a
# summary that says the verification was ok, with no failure logged.
verifies() {
	chain "$@"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Verification: ok$'
	if grep -Eqi 'fail|depth [0-9]' "$ERR"; then
		echo "# a verification failure was reported" >&2
		return 1
	fi
}

# refused CASE TRUST ERE [TLSPROBE ARGS...]: exit 5, nothing relayed, ERE
# in the message.
refused() {
	local name=$1 trust=$2 ere=$3
	shift 3
	chain "$name" "$trust" --quiet "$@"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	tp_stderr_has '^tlsprobe: certificate verification failed: ' "$ere"
}

@test "the plain paths verify (one and two intermediates)" {
	verifies plain root-b
	verifies two-plain root-b
	verifies plain root-b --tls1.2
}

@test "an unrelated CA sent with the path, after it, before it or with its own intermediate" {
	verifies extra root-b
	verifies extra-first root-b
	verifies extra-path root-b
	verifies extra root-b --tls1.2
}

@test "the trust anchor itself sent, after or before the intermediate" {
	verifies anchor root-b
	verifies anchor-first root-b
}

@test "intermediates out of order" {
	verifies two-reversed root-b
	verifies two-shuffled root-b
	verifies two-reversed root-b --tls1.2
}

@test "the trusted root cross-signed by an untrusted one (ISRG X1 / DST X3)" {
	verifies cross root-b
	verifies cross-full root-b
	verifies cross root-b --tls1.2
	# A client that trusts the old root only takes the path through the
	# cross-sign.
	verifies cross root-a
}

@test "an expired cross-sign next to a valid path" {
	verifies cross-expired root-b
	verifies cross-expired root-ab
	verifies cross-expired root-ab --tls1.2
}

@test "an expired copy of the intermediate next to the valid one" {
	verifies expired-int-first root-b
}

@test "only an expired cross-sign leads to the trusted root: certificate has expired" {
	refused cross-expired root-a 'certificate has expired'
}

@test "no path to a trusted root: unable to get local issuer certificate" {
	refused cross other-root 'unable to get local issuer certificate'
	refused missing-int root-b \
		'depth 0: unable to get local issuer certificate.*/CN=localhost'
}

@test "above an intermediate, a missing issuer may be a left-out intermediate or an untrusted root: both are said" {
	local either='the server leaves out an intermediate certificate, or that issuer is a root not trusted here'
	refused missing-int1 root-b "the chain sent ends at /CN=tlsprobe \
chains Intermediate 2, whose issuer /CN=tlsprobe chains Intermediate 1 was \
neither sent nor trusted; its authorityInfoAccess publishes that issuer at \
http://pki\\.tlsprobe\\.test/int1\\.der: $either$"
	# The whole chain sent, its root not trusted here (a private PKI):
	# not blamed on the server alone.
	refused plain other-root "the chain sent ends at /CN=tlsprobe chains \
Intermediate, whose issuer /CN=tlsprobe chains Root B was neither sent nor \
trusted; its authorityInfoAccess publishes that issuer at \
http://pki\\.tlsprobe\\.test/root-b\\.der: $either$"
	# A self-signed root sent and not trusted is said as such.
	refused rogue root-b 'a self-signed root that is not trusted'
	if grep -q 'leaves out an intermediate' "$ERR"; then
		echo "# a self-signed root was called a left-out intermediate" >&2
		return 1
	fi
}

@test "a failure in words as long as EV names make it is whole, in the error line and the report" {
	local end='the server likely leaves out an intermediate certificate'
	chain long-missing root-b --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 5 ]
	tp_stderr_has "^tlsprobe: certificate verification failed: depth 0: unable to get local issuer certificate: /CN=localhost/O=tlsprobe Long Names .*/C=GB; issuer not found: /CN=tlsprobe chains EV Intermediate CA G3/O=.*/C=GB was neither sent by the server nor trusted; .*: $end$"
	tp_json_is ".error | endswith(\"$end\") and length > 600" \
		"$BATS_TEST_TMPDIR/r.json"
	tp_json_is ".certificates.error | endswith(\"$end\")" \
		"$BATS_TEST_TMPDIR/r.json"
}

@test "--showcerts and the report say where a certificate's issuer and OCSP responder are published" {
	chain missing-int root-b --showcerts --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 5 ]
	tp_stderr_has '^   issuer published at: http://pki\.tlsprobe\.test/int\.der$'
	tp_stderr_has '^   OCSP responder: http://ocsp\.tlsprobe\.test/$'
	tp_json_is '.certificates.chain[0].ca_issuers == "http://pki.tlsprobe.test/int.der"' \
		"$BATS_TEST_TMPDIR/r.json"
	tp_json_is '.certificates.chain[0].ocsp_uri == "http://ocsp.tlsprobe.test/"' \
		"$BATS_TEST_TMPDIR/r.json"
}

@test "an expired intermediate on the only path: certificate has expired" {
	refused expired-int root-b \
		'depth 1: certificate has expired: /CN=tlsprobe chains Intermediate'
}

@test "a leaf under an untrusted CA is refused, even next to a valid intermediate and root" {
	refused rogue root-b 'unable to get local issuer certificate'
	refused rogue-mixed root-b 'unable to get local issuer certificate'
	# --insecure goes on, and still tells why.
	chain rogue-mixed root-b --insecure
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'unable to get local issuer certificate'
}

# CRLs of a path like a public CA's: the leaf's CRL is signed by the
# intermediate, the intermediate's by the root. Ground truth, by hand on
# 2026-12-02 with OpenSSL 3.0 s_client -verify_return_error -CAfile
# root-b.pem, the CRLs given with -CRL (leaf only) or, for
# -crl_check_all, in -CAfile (s_client's -CRL takes one CRL):
#   revoked-leaf, -CRL crl-int -crl_check            depth 0: certificate
#                                                    revoked (23)
#   revoked-int, -CRL crl-revoked-int -crl_check     ok (the leaf only)
#   revoked-int, both CRLs, -crl_check_all           depth 1: certificate
#                                                    revoked (23)
#   revoked-int, -CRL crl-revoked-int -crl_check_all depth 1: unable to get
#                                                    certificate CRL (3)
#   plain, both CRLs, -crl_check_all                 ok
#   revoked-leaf, crl-int and crl-int-old in -CAfile depth 0: certificate
#   (both orders), -crl_check                        revoked (23): the newest
#                                                    (openssl verify
#                                                    -CRLfile: the same)
#   plain, -CRL crl-forged -crl_check                depth 0: CRL signature
#                                                    failure (8)
# Before patch 0009 a CRL signed by an intermediate could not be loaded
# (exit 1, "its issuer is not a trusted CA"), so none of these could run.

@test "--crl-file with the intermediate's CRL: a leaf it lists is revoked, exit 5" {
	refused revoked-leaf root-b \
		"depth 0: certificate revoked \\(listed in its issuer's CRL\\): /CN=localhost$" \
		--crl-file "$CH/crl-int.pem" --crl-check
	chain plain root-b --crl-file "$CH/crl-int.pem"
	[ "$status" -eq 0 ]
	tp_stderr_has "^CRL: good"
}

@test "--crl-check-all: a revoked intermediate fails at depth 1; --crl-check alone checks the leaf only" {
	chain revoked-int root-b --crl-file "$CH/crl-revoked-int.pem" --crl-check
	[ "$status" -eq 0 ]
	refused revoked-int root-b \
		"depth 1: certificate revoked \\(listed in its issuer's CRL\\): /CN=tlsprobe chains Revoked Intermediate$" \
		--crl-file "$CH/crl-root-b.pem" --crl-file "$CH/crl-revoked-int.pem" \
		--crl-check-all
	refused revoked-int root-b \
		'depth 1: unable to get certificate CRL .*: /CN=tlsprobe chains Revoked Intermediate$' \
		--crl-file "$CH/crl-revoked-int.pem" -crl_check_all
}

@test "--crl-check-all: every CRL of a good path, verified" {
	chain plain root-b --crl-file "$CH/crl-root-b.pem" \
		--crl-file "$CH/crl-int.pem" --crl-check-all
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has '^Verification: ok$' '^CRL: good'
	refused plain root-b \
		'depth 1: unable to get certificate CRL .*: /CN=tlsprobe chains Intermediate$' \
		--crl-file "$CH/crl-int.pem" --crl-check-all
}

# wolfSSL uses only the CRL of an issuer loaded last (AddCRL puts each at
# the head of its list; the first of the issuer's found is used), so an
# older CRL given after the newest hid the leaf it revokes ("CRL: good",
# exit 0). Two CRLs of one issuer are refused, in either order.
@test "--crl-file: two CRLs of one issuer are refused (exit 1), whatever their order" {
	local msg="^tlsprobe: CRL files '.*/%s' and '.*/%s' are both of issuer \
/CN=tlsprobe chains Intermediate: give one CRL per issuer \\(its newest\\)$"
	chain revoked-leaf root-b --crl-file "$CH/crl-int.pem" \
		--crl-file "$CH/crl-int-old.pem"
	[ "$status" -eq 1 ]
	[ ! -s "$OUT" ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	# shellcheck disable=SC2059 # the format is ours
	tp_stderr_has "$(printf "$msg" crl-int.pem crl-int-old.pem)"
	chain revoked-leaf root-b --crl-file "$CH/crl-int-old.pem" \
		--crl-file "$CH/crl-int.pem"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2059
	tp_stderr_has "$(printf "$msg" crl-int-old.pem crl-int.pem)"
	# Each alone is used; CRLs of different issuers go together.
	refused revoked-leaf root-b 'depth 0: certificate revoked' \
		--crl-file "$CH/crl-int.pem"
	chain revoked-leaf root-b --crl-file "$CH/crl-int-old.pem"
	[ "$status" -eq 0 ]
	refused revoked-leaf root-b 'depth 0: certificate revoked' \
		--crl-file "$CH/crl-root-b.pem" --crl-file "$CH/crl-int.pem" \
		--crl-check-all
}

# A CRL that names the leaf's issuer but is signed by another key is
# verified when used (patch 0009) and fails: that is a bad CRL, not a
# missing one (wolfSSL said "unable to get certificate CRL").
@test "--crl-file: a forged CRL of the intermediate is a CRL signature failure (exit 5), not a missing CRL" {
	refused plain root-b 'depth 0: CRL signature failure: /CN=localhost$' \
		--crl-file "$CH/crl-forged.pem" --crl-check
	JSON=$BATS_TEST_TMPDIR/report.json
	chain plain root-b --crl-file "$CH/crl-forged.pem" --json "$JSON"
	[ "$status" -eq 5 ]
	[ ! -s "$OUT" ]
	tp_stderr_has '^CRL: ERROR' 'depth 0: CRL signature failure'
	tp_json_is '.certificates.crl.status == "error"'
	if grep -qi 'unable to get certificate CRL\|missing' "$ERR"; then
		echo "# the forged CRL was reported as missing" >&2
		return 1
	fi
}
