#!/usr/bin/env python3
"""A small hand-written TLS 1.2 server, for server behaviours the usual
servers cannot be made to show (tests/cli/security.bats, issue 16 item 5).

usage: tls12_server.py PORT MODE

Listens on 127.0.0.1:PORT, serves one connection, then exits. One cipher
suite, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 on P-256, with a fresh
self-signed certificate for localhost (clients use --insecure); no
extended master secret, no renegotiation. After the handshake it echoes
application data until close_notify, which it answers.

Modes:
  empty-ext   the ServerHello carries an empty extensions block (its
              length 0): valid (RFC 5246 7.4.1.4), and it agrees to none
              of the client's extensions, extended_master_secret included
  one-byte    every plaintext handshake record (the first flight:
              ServerHello to ServerHelloDone) carries one byte of handshake
              data, so each 4-byte message header spans four records (RFC
              5246 6.2.1 allows any fragmentation); the encrypted Finished
              comes whole

Needs the Python `cryptography` package (Debian: python3-cryptography).
"""
import datetime
import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

SUITE = 0xC02B  # TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256


def prf(secret, label, seed, n):
    """TLS 1.2 PRF with SHA-256 (RFC 5246 5)."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:n]


def make_cert():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.DER)


class Conn:
    def __init__(self, sock, mode):
        self.s, self.mode = sock, mode
        self.buf = b""
        self.hs = b""          # handshake messages read, not yet parsed
        self.transcript = b""
        self.rkey = self.wkey = None
        self.rseq = self.wseq = 0

    def read_exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("client closed")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_record(self):
        typ, _, n = struct.unpack("!BHH", self.read_exact(5))
        body = self.read_exact(n)
        if self.rkey is not None:
            nonce = self.rkey[1] + body[:8]
            aad = struct.pack("!QBHH", self.rseq, typ, 0x0303, n - 24)
            body = AESGCM(self.rkey[0]).decrypt(nonce, body[8:], aad)
            self.rseq += 1
        return typ, body

    def write_record(self, typ, body):
        if self.wkey is not None:
            explicit = struct.pack("!Q", self.wseq)
            aad = struct.pack("!QBHH", self.wseq, typ, 0x0303, len(body))
            body = explicit + AESGCM(self.wkey[0]).encrypt(
                self.wkey[1] + explicit, body, aad)
            self.wseq += 1
        self.s.sendall(struct.pack("!BHH", typ, 0x0303, len(body)) + body)

    def read_handshake(self, want):
        while len(self.hs) < 4 or len(self.hs) < 4 + int.from_bytes(
                self.hs[1:4], "big"):
            typ, body = self.read_record()
            if typ != 22:
                raise ValueError("record type %d during handshake" % typ)
            self.hs += body
        n = 4 + int.from_bytes(self.hs[1:4], "big")
        msg, self.hs = self.hs[:n], self.hs[n:]
        if msg[0] != want:
            raise ValueError("handshake type %d, wanted %d" % (msg[0], want))
        self.transcript += msg
        return msg[4:]

    def write_handshake(self, msgs):
        data = b"".join(struct.pack("!B", t) + len(b).to_bytes(3, "big") + b
                        for t, b in msgs)
        self.transcript += data
        if self.mode == "one-byte" and self.wkey is None:
            for i in range(len(data)):
                self.write_record(22, data[i:i + 1])
        else:
            self.write_record(22, data)


def client_hello_random(body):
    if struct.unpack("!H", body[:2])[0] != 0x0303:
        pass  # a TLS 1.3 client says 1.2 here too
    crandom = body[2:34]
    sid_len = body[34]
    i = 35 + sid_len
    n = struct.unpack("!H", body[i:i + 2])[0]
    suites = [struct.unpack("!H", body[j:j + 2])[0]
              for j in range(i + 2, i + 2 + n, 2)]
    if SUITE not in suites:
        raise ValueError("the client does not offer %04x" % SUITE)
    return crandom


def server_flight(c, crandom, key, cert):
    srandom = os.urandom(32)
    hello = struct.pack("!H", 0x0303) + srandom + b"\x00" + \
        struct.pack("!HB", SUITE, 0)
    if c.mode == "empty-ext":
        hello += b"\x00\x00"
    eph = ec.generate_private_key(ec.SECP256R1())
    point = eph.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.UncompressedPoint)
    params = struct.pack("!BHB", 3, 0x0017, len(point)) + point
    sig = key.sign(crandom + srandom + params, ec.ECDSA(hashes.SHA256()))
    ske = params + struct.pack("!HH", 0x0403, len(sig)) + sig
    certs = len(cert).to_bytes(3, "big") + cert
    c.write_handshake([(2, hello),
                       (11, len(certs).to_bytes(3, "big") + certs),
                       (12, ske), (14, b"")])
    return srandom, eph


def handshake(c, key, cert):
    crandom = client_hello_random(c.read_handshake(1))
    srandom, eph = server_flight(c, crandom, key, cert)
    cke = c.read_handshake(16)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), cke[1:1 + cke[0]])
    pms = eph.exchange(ec.ECDH(), peer)
    ms = prf(pms, b"master secret", crandom + srandom, 48)
    kb = prf(ms, b"key expansion", srandom + crandom, 40)
    ckey, skey, civ, siv = kb[:16], kb[16:32], kb[32:36], kb[36:40]
    typ, _ = c.read_record()
    if typ != 20:
        raise ValueError("no ChangeCipherSpec")
    c.rkey = (ckey, civ)
    want = prf(ms, b"client finished",
               hashlib.sha256(c.transcript).digest(), 12)
    if c.read_handshake(20) != want:
        raise ValueError("the client's Finished does not verify")
    c.write_record(20, b"\x01")
    c.wkey = (skey, siv)
    c.write_handshake([(20, prf(ms, b"server finished",
                                hashlib.sha256(c.transcript).digest(), 12))])


def echo(c):
    while True:
        typ, body = c.read_record()
        if typ == 23:
            c.write_record(23, body)
        elif typ == 21:
            c.write_record(21, b"\x01\x00")  # close_notify
            return


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    key, cert = make_cert()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(1)
    print("tls12_server %s on %d" % (mode, port), flush=True)
    sock, _ = lsock.accept()
    c = Conn(sock, mode)
    try:
        handshake(c, key, cert)
        print("handshake done", flush=True)
        echo(c)
        print("closed cleanly", flush=True)
    except (ValueError, EOFError, OSError, InvalidTag) as e:
        print("failed: %s" % e, flush=True)
    sock.close()


if __name__ == "__main__":
    main()
