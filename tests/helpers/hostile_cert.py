#!/usr/bin/env python3
"""A certificate whose names a hostile server chose: control characters
and a NUL (tests/cli/security.bats).

usage: hostile_cert.py OUTDIR

Writes OUTDIR/hostile.pem (a self-signed leaf, ECDSA P-256) and
OUTDIR/hostile.key, and OUTDIR/spoof.pem and spoof.key: a self-signed
leaf whose only name entry is the CN "localhost/O=Example Bank\\x", which
printed in the /CN=.../O=... form without escaping would pass for an
Organization entry. Its subject CN is

    localhost\\0evil.example ESC]0;pwned BEL ESC[2K CR Connected (verified OK)

which, printed raw, retitles the terminal window, erases the line it is
on and writes a fake "verified" line in its place, and, cut at the NUL,
reads as plain "localhost". Its O holds DEL and a C1 CSI (U+009B), its
OU a right-to-left override (U+202E: "txt.exe" shows as "exe.txt") and a
zero-width space. Its
subjectAltName holds the DNS name SAN below, which retitles the terminal
too (a name a failed verification lists). The issuer is the subject
(self-signed). Needs the Python `cryptography`
package (Debian: python3-cryptography).
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CN = ("localhost\x00evil.example\x1b]0;pwned\x07\x1b[2K\r"
      "Connected (verified OK)")
ORG = "bad\x7forg\u009b31m"
OU = "\u202etxt.exe local\u200bhost"
SAN = "evil\x1b]0;pwned-by-san\x07.example"
SPOOF_CN = "localhost/O=Example Bank\\x"


def write(out, stem, name, sans):
    """A self-signed leaf for name, with sans as DNS names."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(s) for s in sans]), critical=False)
            .sign(key, hashes.SHA256()))
    with open(os.path.join(out, stem + ".pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(out, stem + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def main():
    out = sys.argv[1]
    # _validate=False: cryptography refuses such names otherwise, as it
    # should; a hostile server is not so polite.
    write(out, "hostile", x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG, _validate=False),
        x509.NameAttribute(NameOID.COMMON_NAME, CN, _validate=False),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, OU),
    ]), [SAN])
    write(out, "spoof", x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, SPOOF_CN),
    ]), ["localhost"])


if __name__ == "__main__":
    main()
