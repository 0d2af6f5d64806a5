#!/usr/bin/env bash
# Generates oversized certificate material for the hostile-peer tests
# (tests/cli/hostile.bats) with the openssl CLI, into DIR:
#
#   root.pem root.key   a CA ("hostile root") to trust with --ca-file
#   chain.pem           DEPTH intermediates under root, each signing the
#                       next, in the order a server sends them (the leaf's
#                       issuer first)
#   deep.pem deep.key   a leaf for localhost and 127.0.0.1 signed by the
#                       last intermediate: a chain DEPTH + 2 certificates
#                       long
#   fat.pem fat.key     a leaf for localhost and 127.0.0.1 signed by root,
#                       carrying a 60 KiB non-critical private extension
#
# Keys are EC P-256. Nothing here is committed: run it into a per-run
# temporary directory. About 1.5 s for DEPTH 30 on two cores.
#
# usage: tests/helpers/bigchain.sh DIR [DEPTH]    (DEPTH defaults to 30)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [DEPTH]" >&2
	exit 2
fi
dir=$1
depth=${2:-30}
mkdir -p "$dir"
cd "$dir"

log=bigchain.log
: >"$log"
trap 'echo "bigchain.sh: failed in $dir; openssl said:" >&2; cat "$log" >&2' ERR

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>>"$log"
}

# sign NAME SUBJECT ISSUER EXTENSION: NAME.pem for NAME.key, by ISSUER.
sign() {
	openssl req -new -key "$1.key" -subj "$2" 2>>"$log" |
		openssl x509 -req -CA "$3.pem" -CAkey "$3.key" \
			-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
			-days 2 -extfile ext.cnf -extensions "$4" \
			-out "$1.pem" >>"$log" 2>&1
}

# 60 KiB of zeros as one OCTET STRING, in a private-arc extension.
fat=$(head -c 61440 /dev/zero | od -An -v -tx1 | tr -d ' \n')
cat >ext.cnf <<CNF
[ ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1

[ fat ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
1.3.6.1.4.1.55555.1 = ASN1:FORMAT:HEX,OCTETSTRING:$fat
CNF

newkey root.key
openssl req -new -x509 -key root.key -subj "/CN=hostile root" -days 2 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out root.pem 2>>"$log"

prev=root
: >chain.pem
for i in $(seq 1 "$depth"); do
	newkey "int$i.key"
	sign "int$i" "/CN=hostile intermediate $i" "$prev" ca
	cat "int$i.pem" chain.pem >chain.tmp
	mv chain.tmp chain.pem
	prev=int$i
done

newkey deep.key
sign deep /CN=localhost "$prev" leaf
newkey fat.key
sign fat /CN=localhost root fat
rm -f int*.key int*.pem ext.cnf

# Sanity: both leaves verify with enough depth allowed.
openssl verify -CAfile root.pem -untrusted chain.pem deep.pem >>"$log" 2>&1
openssl verify -CAfile root.pem fat.pem >>"$log" 2>&1
trap - ERR
