#!/usr/bin/env bash
# Generates a test CA with revocation data into DIR, with the openssl CLI:
#
#   ca.pem ca.key             the CA ("tlsprobe OCSP test CA")
#   good.pem good.key         localhost, 127.0.0.1: valid, not revoked
#   revoked.pem revoked.key   the same names, revoked (keyCompromise)
#   unknown.pem unknown.key   the same names, signed by the CA but not in
#                             its database: the responder says "unknown"
#   index.txt                 the CA database (good, revoked)
#   good.der revoked.der unknown.der
#                             stapled OCSP responses for those leaves, made
#                             by `openssl ocsp -index` (signed by the CA,
#                             next update in 7 days)
#   multi.der                 one response about revoked.pem and good.pem,
#                             in that order
#   expired.der               a response for good.pem whose next update has
#                             passed (openssl ocsp only makes next updates
#                             in the future: Python's cryptography makes
#                             this one, signed by the same CA)
#   crl.pem                   the CA's CRL, listing revoked.pem
#   expired-crl.pem           a CRL of the CA whose next update has passed
#                             (made by Python's cryptography, as above)
#   other-ca.pem other-crl.pem  an unrelated CA and its empty CRL (a CRL,
#                             but none for our CA)
#
# Keys are EC P-256. Nothing here is ever committed: run it into a per-run
# temporary directory.
#
# usage: tests/helpers/ocsp.sh DIR
set -euo pipefail

# shellcheck source=tests/helpers/certdir.bash
. "$(dirname "$0")/certdir.bash"
certdir_enter ocsp "$@"

cat >openssl.cnf <<'CNF'
[ ca ]
default_ca = testca

[ testca ]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
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
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash

[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF

rm -rf newcerts index.txt* serial* crlnumber*
mkdir newcerts
: >index.txt
echo 2000 >serial
echo 01 >crlnumber

for ca in ca other-ca; do
	newkey "$ca.key"
	openssl req -config openssl.cnf -new -x509 -key "$ca.key" \
		-subj "/CN=tlsprobe OCSP test $ca" -days 2 -extensions v3_ca \
		-out "$ca.pem" 2>>"$log"
done

# sign NAME: a localhost leaf signed by ca, recorded in index.txt
sign() {
	newkey "$1.key"
	openssl req -config openssl.cnf -new -key "$1.key" \
		-subj "/CN=localhost $1" -out "$1.csr" 2>>"$log"
	openssl ca -batch -config openssl.cnf -notext -cert ca.pem \
		-keyfile ca.key -extensions v3_leaf -days 2 \
		-in "$1.csr" -out "$1.pem" >>"$log" 2>&1
	rm -f "$1.csr"
}

sign good
sign revoked
cp index.txt index.keep
sign unknown
mv index.keep index.txt # the CA "forgot" unknown.pem
openssl ca -config openssl.cnf -cert ca.pem -keyfile ca.key \
	-revoke revoked.pem -crl_reason keyCompromise >>"$log" 2>&1
openssl ca -config openssl.cnf -cert ca.pem -keyfile ca.key -gencrl \
	-out crl.pem >>"$log" 2>&1
# other-ca's CRL: its own (empty) database.
: >index.txt.other
sed 's/^database = index.txt$/database = index.txt.other/' openssl.cnf \
	>other.cnf
openssl ca -config other.cnf -cert other-ca.pem -keyfile other-ca.key \
	-gencrl -out other-crl.pem >>"$log" 2>&1

for leaf in good revoked unknown; do
	openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key \
		-CA ca.pem -issuer ca.pem -cert "$leaf.pem" -ndays 7 -no_nonce \
		-respout "$leaf.der" >>"$log" 2>&1
done
# Two SingleResponses, revoked.pem's first: for good.pem, the second.
openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem \
	-issuer ca.pem -cert revoked.pem -cert good.pem -ndays 7 -no_nonce \
	-respout multi.der >>"$log" 2>&1

python3 - >>"$log" 2>&1 <<'PY'
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

def load_cert(name):
    with open(name, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())

ca, leaf = load_cert("ca.pem"), load_cert("good.pem")
with open("ca.key", "rb") as f:
    key = serialization.load_pem_private_key(f.read(), None)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
builder = ocsp.OCSPResponseBuilder().add_response(
    cert=leaf, issuer=ca, algorithm=hashes.SHA1(),
    cert_status=ocsp.OCSPCertStatus.GOOD,
    this_update=now - datetime.timedelta(days=3),
    next_update=now - datetime.timedelta(days=1),
    revocation_time=None, revocation_reason=None,
).responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
resp = builder.sign(key, hashes.SHA256())
with open("expired.der", "wb") as f:
    f.write(resp.public_bytes(serialization.Encoding.DER))
crl = x509.CertificateRevocationListBuilder().issuer_name(
    ca.subject).last_update(now - datetime.timedelta(days=3)).next_update(
    now - datetime.timedelta(days=1)).add_extension(
    x509.CRLNumber(99), False).sign(key, hashes.SHA256())
with open("expired-crl.pem", "wb") as f:
    f.write(crl.public_bytes(serialization.Encoding.PEM))
PY

# Sanity: what each response says, as openssl reads it.
check() {
	openssl ocsp -respin "$1.der" -CAfile ca.pem -issuer ca.pem \
		-cert "$2.pem" -no_nonce 2>&1 | tee -a "$log" | grep -q "$3"
}
check good good ': good'
check revoked revoked ': revoked'
check unknown unknown ': unknown'
check expired good 'Status times invalid'
rm -rf newcerts
trap - ERR
