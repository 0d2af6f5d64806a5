#!/usr/bin/env bash
# Generates throw-away test certificates with the openssl CLI into DIR:
#
#   ca.pem ca.key               a CA ("tlsprobe test CA")
#   leaf.pem leaf.key           localhost, 127.0.0.1 and ::1, signed by the CA
#   expired.pem expired.key     the same names, valid only in 2020
#   wrongname.pem wrongname.key only wrong.example, signed by the CA
#   other-ca.pem                an unrelated CA (trusting it must not help)
#   selfsigned.pem .key         localhost, 127.0.0.1 and ::1, self-signed
#   notyet.pem notyet.key       the leaf's names, valid only in 2099
#   clientonly.pem .key         the leaf's names, but extendedKeyUsage
#                               clientAuth only (no serverAuth)
#   client.pem client.key       "tlsprobe client", clientAuth, by the CA (the
#                               name probe_peers.bash and the interop
#                               helpers give theirs)
#
# Keys are EC P-256 (fast to make). Nothing here is ever committed: run it
# into a per-run temporary directory.
#
# usage: tests/helpers/certs.sh DIR
set -euo pipefail

# shellcheck source=tests/helpers/certdir.bash
. "$(dirname "$0")/certdir.bash"
certdir_enter certs "$@"

cat >openssl.cnf <<'CNF'
[ ca ]
default_ca = testca

[ testca ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no

[ anything ]
commonName = supplied

[ req ]
distinguished_name = dn
prompt = no

[ dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[ v3_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[ v3_clientonly ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1

[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ v3_self ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
CNF

rm -rf newcerts index.txt* serial*
mkdir newcerts
: >index.txt
echo 1000 >serial

# CA and an unrelated second CA.
for ca in ca other-ca; do
	newkey "$ca.key"
	openssl req -config openssl.cnf -new -x509 -key "$ca.key" \
		-subj "/CN=tlsprobe test $ca" -days 2 -extensions v3_ca \
		-out "$ca.pem" 2>>"$log"
done

# sign NAME CN EXTENSIONS [openssl ca date options...]
sign() {
	local name=$1 cn=$2 ext=$3
	shift 3
	newkey "$name.key"
	openssl req -config openssl.cnf -new -key "$name.key" \
		-subj "/CN=$cn" -out "$name.csr" 2>>"$log"
	openssl ca -batch -config openssl.cnf -notext -cert ca.pem \
		-keyfile ca.key -extensions "$ext" \
		-in "$name.csr" -out "$name.pem" "$@" >>"$log" 2>&1
	rm -f "$name.csr"
}

sign leaf localhost v3_leaf -days 2
sign expired localhost v3_leaf \
	-startdate 20200101000000Z -enddate 20200102000000Z
sign wrongname wrong.example v3_wrong -days 2
sign notyet localhost v3_leaf \
	-startdate 20990101000000Z -enddate 20990102000000Z
sign clientonly localhost v3_clientonly -days 2
sign client "tlsprobe client" v3_client -days 2
newkey selfsigned.key
openssl req -config openssl.cnf -new -x509 -key selfsigned.key \
	-subj /CN=localhost -days 2 -extensions v3_self -out selfsigned.pem \
	2>>"$log"

# Sanity: the good leaf verifies, the others do not. (Not "! cmd": set -e
# ignores it.)
openssl verify -CAfile ca.pem -verify_hostname localhost leaf.pem \
	>>"$log" 2>&1
for bad in expired wrongname notyet clientonly selfsigned; do
	if openssl verify -CAfile ca.pem -verify_hostname localhost \
		-purpose sslserver "$bad.pem" \
		>>"$log" 2>&1; then
		echo "certs.sh: $bad.pem verifies but must not" >&2
		exit 1
	fi
done
rm -rf newcerts index.txt* serial*
trap - ERR
