#!/usr/bin/env bash
# Generates certificate chains built the way public CAs build them, for
# tests/cli/chains.bats, with the openssl CLI, into DIR:
#
#   root-a.pem            "Root A", an old root the client does not trust
#                         (the DST Root CA X3 of the pattern)
#   root-b.pem            "Root B", the root the client trusts (ISRG Root X1)
#   b-by-a.pem            Root B's name and key, cross-signed by Root A
#   b-by-a-expired.pem    the same cross-sign, valid only in 2020
#   int.pem               "Intermediate", signed by Root B (R3)
#   leaf.pem leaf.key     localhost and 127.0.0.1, signed by Intermediate
#   int1.pem int2.pem     "Intermediate 1" under Root B, "Intermediate 2"
#                         under Intermediate 1
#   leaf2.pem leaf2.key   localhost and 127.0.0.1, signed by Intermediate 2
#   other-root.pem        "Unrelated Root", trusted by nobody
#   other-int.pem         "Unrelated Intermediate", under Unrelated Root
#   rogue.pem rogue.key   localhost and 127.0.0.1, signed by Unrelated
#                         Intermediate
#   expired-int.pem       "Intermediate", Root B's signature, valid only in
#                         2020 (same name and key as int.pem)
#   revoked-int.pem       "Revoked Intermediate" under Root B, revoked by it
#   leaf-ri.pem .key      localhost and 127.0.0.1, under Revoked Intermediate
#   leaf-rv.pem .key      localhost and 127.0.0.1, under Intermediate,
#                         revoked by it
#   long-int.pem          an intermediate under Root B with a name as long
#                         as EV CAs have (CN, O, OU, L, ST, C)
#   long-leaf.pem .key    localhost and 127.0.0.1, under it, as long
#   crl-root-b.pem        Root B's CRL (lists Revoked Intermediate)
#   crl-int.pem           Intermediate's CRL (lists leaf-rv)
#   crl-revoked-int.pem   Revoked Intermediate's CRL (lists no leaf)
#   crl-int-old.pem       Intermediate's CRL made before leaf-rv was revoked
#                         (lists nothing; an older CRL of the same issuer)
#   forged-int.pem        "Intermediate" (int.pem's name) with its own key,
#                         under Unrelated Root
#   crl-forged.pem        a CRL naming Intermediate as its issuer, signed by
#                         forged-int's key (its signature fails with
#                         int.pem's)
#
# Certificates below a root carry authorityInfoAccess, as public
# CAs do: caIssuers http://pki.tlsprobe.test/ISSUER.der (ISSUER: the issuer's
# file name), and for leaves OCSP http://ocsp.tlsprobe.test/.
#
# plus the chains a server sends after its leaf (chain-*.pem, in the order
# sent, for s_server -cert_chain): see the list at the end. Keys are EC
# P-256. Nothing here is committed: run it into a per-run temporary
# directory.
#
# usage: tests/helpers/chains.sh DIR
set -euo pipefail

# shellcheck source=tests/helpers/certdir.bash
. "$(dirname "$0")/certdir.bash"
certdir_enter chains "$@"

cat >openssl.cnf <<'CNF'
[ ca ]
default_ca = chains

[ chains ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = anything
unique_subject = no
crlnumber = crlnumber
default_crl_days = 2
copy_extensions = none
email_in_dn = no

[ anything ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
localityName = optional
stateOrProvinceName = optional
countryName = optional

[ req ]
distinguished_name = dn
prompt = no

[ dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# Below a root, as public CAs do: where the issuer's certificate and the
# OCSP responder are published (nothing listens there).
[ v3_int ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = caIssuers;URI:http://pki.tlsprobe.test/$ENV::AIA_ISSUER.der

[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://ocsp.tlsprobe.test/, caIssuers;URI:http://pki.tlsprobe.test/$ENV::AIA_ISSUER.der
CNF

# Every section is parsed by each command, also before sign() sets it.
export AIA_ISSUER=none
rm -rf newcerts index.txt* serial* crlnumber*
mkdir newcerts
: >index.txt
echo 1000 >serial
echo 01 >crlnumber

# root NAME CN: a self-signed CA.
root() {
	newkey "$1.key"
	openssl req -config openssl.cnf -new -x509 -key "$1.key" \
		-subj "/CN=$2" -days 2 -extensions v3_ca -out "$1.pem" 2>>"$log"
}

# sign NAME KEY CN ISSUER EXTENSIONS [openssl ca date options...]: NAME.pem
# for KEY.key (made when missing), signed by ISSUER.
sign() {
	local name=$1 key=$2 cn=$3 issuer=$4 ext=$5
	shift 5
	[ -e "$key.key" ] || newkey "$key.key"
	export AIA_ISSUER=$issuer
	openssl req -config openssl.cnf -new -key "$key.key" -subj "/CN=$cn" \
		-out "$name.csr" 2>>"$log"
	openssl ca -batch -config openssl.cnf -notext -cert "$issuer.pem" \
		-keyfile "$issuer.key" -extensions "$ext" -in "$name.csr" \
		-out "$name.pem" "$@" >>"$log" 2>&1
	rm -f "$name.csr"
}

old=(-startdate 20200101000000Z -enddate 20200102000000Z)

root root-a "tlsprobe chains Root A"
root root-b "tlsprobe chains Root B"
root other-root "tlsprobe chains Unrelated Root"
# Cross-signs reuse Root B's name and key: the same CA, two issuers.
sign b-by-a root-b "tlsprobe chains Root B" root-a v3_ca -days 2
sign b-by-a-expired root-b "tlsprobe chains Root B" root-a v3_ca "${old[@]}"
sign int int "tlsprobe chains Intermediate" root-b v3_int -days 2
sign expired-int int "tlsprobe chains Intermediate" root-b v3_int "${old[@]}"
sign leaf leaf localhost int v3_leaf -days 2
sign int1 int1 "tlsprobe chains Intermediate 1" root-b v3_int -days 2
sign int2 int2 "tlsprobe chains Intermediate 2" int1 v3_int -days 2
sign leaf2 leaf2 localhost int2 v3_leaf -days 2
sign other-int other-int "tlsprobe chains Unrelated Intermediate" \
	other-root v3_int -days 2
sign rogue rogue localhost other-int v3_leaf -days 2
sign revoked-int revoked-int "tlsprobe chains Revoked Intermediate" root-b \
	v3_int -days 2
sign leaf-ri leaf-ri localhost revoked-int v3_leaf -days 2
sign leaf-rv leaf-rv localhost int v3_leaf -days 2
long_dn="O=tlsprobe Long Names Trust Services Limited Liability Company"
long_dn+="/OU=Certification Authority Operations and Policy Department"
long_dn+="/L=Llanfairpwllgwyngyll/ST=Isle of Anglesey/C=GB"
sign long-int long-int "tlsprobe chains EV Intermediate CA G3/$long_dn" \
	root-b v3_int -days 2
sign long-leaf long-leaf "localhost/$long_dn" long-int v3_leaf -days 2
sign forged-int forged-int "tlsprobe chains Intermediate" other-root v3_int \
	-days 2
# crl NAME ISSUER [openssl ca options...]: ISSUER's CRL. The database is
# shared, so each CRL lists every serial revoked so far; a serial of another
# issuer matches none of this issuer's certificates.
crl() {
	local name=$1 issuer=$2
	shift 2
	openssl ca -batch -config openssl.cnf -cert "$issuer.pem" \
		-keyfile "$issuer.key" -gencrl -out "$name.pem" "$@" >>"$log" 2>&1
}
# Before any revocation, an hour older than the others: an older CRL of
# Intermediate, listing nothing.
crl crl-int-old int -crl_lastupdate "$(date -u -d '1 hour ago' +%Y%m%d%H%M%SZ)"
# revoke NAME ISSUER
revoke() {
	openssl ca -batch -config openssl.cnf -cert "$2.pem" -keyfile "$2.key" \
		-revoke "$1.pem" -crl_reason keyCompromise >>"$log" 2>&1
}
revoke revoked-int root-b
revoke leaf-rv int
crl crl-root-b root-b
crl crl-int int
crl crl-revoked-int revoked-int
crl crl-forged forged-int

# What servers send after their leaf, in order.
cat int.pem >chain-plain.pem
cat int.pem other-root.pem >chain-extra.pem
cat other-root.pem int.pem >chain-extra-first.pem
cat int.pem other-int.pem other-root.pem >chain-extra-path.pem
cat int.pem root-b.pem >chain-anchor.pem
cat root-b.pem int.pem >chain-anchor-first.pem
cat int2.pem int1.pem >chain2-plain.pem
cat int1.pem int2.pem >chain2-reversed.pem
cat int1.pem root-b.pem int2.pem >chain2-shuffled.pem
cat int.pem b-by-a.pem >chain-cross.pem
cat int.pem b-by-a.pem root-a.pem >chain-cross-full.pem
cat int.pem b-by-a-expired.pem >chain-cross-expired.pem
cat expired-int.pem int.pem >chain-expired-int-first.pem
cat expired-int.pem >chain-expired-int.pem
cat int2.pem >chain-missing-int1.pem
cat revoked-int.pem >chain-revoked-int.pem
cat other-int.pem other-root.pem >chain-rogue.pem
cat other-int.pem int.pem root-b.pem >chain-rogue-mixed.pem
: >chain-none.pem

# Sanity: the paths the tests rely on verify (or not) as intended. (Not
# "! cmd": set -e ignores it.)
{
	openssl verify -CAfile root-b.pem -untrusted chain-plain.pem leaf.pem
	openssl verify -CAfile root-b.pem -untrusted chain2-plain.pem leaf2.pem
	openssl verify -CAfile root-a.pem -untrusted chain-cross.pem leaf.pem
} >>"$log" 2>&1
for bad in b-by-a-expired expired-int; do
	if openssl verify -CAfile root-a.pem -CAfile root-b.pem "$bad.pem" \
		>>"$log" 2>&1; then
		echo "chains.sh: $bad.pem verifies but must not" >&2
		exit 1
	fi
done
rm -rf newcerts index.txt* serial* crlnumber*
trap - ERR
