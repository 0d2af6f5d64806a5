#!/usr/bin/env python3
"""A hostile TLS peer for the CLI tests (tests/cli/hostile.bats).

usage: hostile.py [--count N] [--tls 1.2|1.3] [--cert PEM --key KEY]
                  [--hold SECS] [--alerts N] [--delay SECS] PORT MODE

Listens on 127.0.0.1:PORT and serves N connections (default 1; 0 means
forever), each in its own thread, misbehaving as MODE says. Python 3 and its
standard library only. Where a mode needs real TLS, the server side runs in
Python's ssl module over memory BIOs (ssl.SSLObject), so the harness decides
which bytes reach the socket and when: it can send half a ServerHello, stop
after the first record, or write raw bytes into the stream after the
handshake.

After misbehaving, a connection is held open ("hold": read and discard until
the client closes, at most --hold seconds, default 30) unless the mode
closes it: the client must react to what it was sent, not to an end of
stream that follows it.

Modes (CH: the client's ClientHello; SH: the ServerHello record):

  Before or during the handshake
    nontls          read CH, answer 4 KiB of non-TLS bytes (an SSH banner
                    and random bytes), hold
    banner          send a plaintext banner before reading anything, hold
    garbage         read CH, answer 16 records with valid handshake headers
                    (type 22, version 3.3, 512 bytes) and random bodies, hold
    truncated       read CH, send a record header announcing 1000 bytes and
                    100 of them, close (FIN)
    fin-accept      close right after accept
    rst-accept      reset (SO_LINGER 0) right after accept
    fin-hello       read CH, close
    rst-hello       read CH, reset
    fin-partial     read CH, send the first half of the real SH, close
    rst-partial     read CH, send the first half of the real SH, reset
    fin-flight      read CH, send the whole first server flight, close
    rst-flight      read CH, send the whole first server flight, reset
    stall-accept    accept, never read or write, hold
    stall-hello     read CH, never answer, hold
    stall-sh        read CH, send the SH record only, hold
    stall-flight    read CH, send the whole first server flight, hold
    alerts          read CH, send --alerts (default 1000) plaintext warning
                    alerts (unrecognized_name), then the real server flight,
                    and hold (a client that ignored them would go on)
    oversize        read CH, send one plaintext handshake record of
                    2^14 + 2048 + 1 bytes (over every record limit), hold

  After a completed handshake (TLS via the ssl module); most send the line
  "payload\\n" as application data first, then wait --delay seconds
  (default 0.3) before misbehaving (0: in the same write)
    stall-after     complete the handshake, send nothing, hold
    data-stall      payload, hold
    data-close      payload, close_notify, close (the well-behaved control)
    data-fin        payload, close without close_notify (FIN)
    data-rst        payload, reset
    data-garbage    payload, 4 KiB of random bytes, hold
    data-records    payload, 16 application-data records with random
                    bodies (valid headers, bad MACs), hold
    data-truncated  payload, a record header announcing 1000 bytes and 100
                    of them, close (FIN)
    data-oversize   payload, an application-data record header announcing
                    2^14 + 2048 + 1 bytes and that many random bytes, hold
    data-alerts     payload, --alerts plaintext warning alerts, hold

  Mail-server-like dialogues (no payload first)
    greet-lines     send "220 ..." at once after the handshake, as SMTP,
                    IMAP and POP3 servers do, then answer each line with
                    "250 ok" until the client closes (KeyUpdates are
                    answered by OpenSSL, before the next reply)
    reneg-plaintext answer lines with "250 ok"; a handshake record from
                    the client (a renegotiation) gets a plaintext
                    "421 ... lost input connection" and a close, as Exim
                    with GnuTLS does

Every connection is logged on stdout, one line per step.
"""

import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time

REC_HANDSHAKE = 22
REC_ALERT = 21
REC_APPDATA = 23
MAX_OVER = (1 << 14) + 2048 + 1  # one over the largest TLS 1.2 ciphertext

PRE_MODES = {
    "nontls", "banner", "garbage", "truncated",
    "fin-accept", "rst-accept", "fin-hello", "rst-hello",
    "fin-partial", "rst-partial", "fin-flight", "rst-flight",
    "stall-accept", "stall-hello", "stall-sh", "stall-flight",
    "alerts", "oversize",
}
POST_MODES = {
    "stall-after", "data-stall", "data-close", "data-fin", "data-rst",
    "data-garbage", "data-records", "data-truncated", "data-oversize",
    "data-alerts", "greet-lines", "reneg-plaintext",
}

log_lock = threading.Lock()


def log(cid, msg):
    with log_lock:
        print("hostile: #%d %s" % (cid, msg), flush=True)


def record(rtype, body, version=0x0303):
    return struct.pack("!BHH", rtype, version, len(body)) + body


def warning_alerts(n):
    # level 1 (warning), 112 unrecognized_name: the most common warning
    return record(REC_ALERT, b"\x01\x70") * n


def split_records(data):
    """Splits a byte string of whole TLS records into a list of records."""
    out = []
    while len(data) >= 5:
        n = struct.unpack("!H", data[3:5])[0]
        out.append(data[:5 + n])
        data = data[5 + n:]
    if data:
        out.append(data)
    return out


class Conn:
    def __init__(self, sock, cid, args, ctx):
        self.sock = sock
        self.cid = cid
        self.args = args
        self.ctx = ctx
        self.pending = b""  # client bytes read but not yet given to TLS

    def log(self, msg):
        log(self.cid, msg)

    def send(self, data):
        self.sock.sendall(data)

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.sock.close()
        self.log("reset")

    def fin(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.log("closed (FIN)")

    def hold(self):
        """Reads and discards until the client closes or --hold passes."""
        self.log("holding the connection")
        end = time.monotonic() + self.args.hold
        total = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                self.log("hold time over")
                break
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                self.log("client: %s" % e)
                break
            if not b:
                self.log("client closed after %d more bytes" % total)
                break
            total += len(b)
        self.sock.close()

    def read_record(self):
        """Reads one whole TLS record from the client (the ClientHello)."""
        buf = self.pending
        self.sock.settimeout(10)
        while True:
            if len(buf) >= 5:
                n = struct.unpack("!H", buf[3:5])[0]
                if len(buf) >= 5 + n:
                    self.pending = buf[5 + n:]
                    return buf[:5 + n]
            b = self.sock.recv(65536)
            if not b:
                raise EOFError("client closed")
            buf += b

    def read_hello(self):
        rec = self.read_record()
        self.log("read ClientHello record (%d bytes, type %d)" %
                 (len(rec), rec[0]))
        return rec

    # TLS server over memory BIOs
    def tls_start(self, hello):
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = self.ctx.wrap_bio(self.inc, self.out, server_side=True)
        self.inc.write(hello)
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return self.out.read()

    def tls_pump(self):
        """Runs the handshake to its end; returns when it is complete."""
        while True:
            try:
                self.obj.do_handshake()
                self.send(self.out.read())
                self.log("handshake complete: %s" % self.obj.version())
                return
            except ssl.SSLWantReadError:
                self.send(self.out.read())
            b = self.pending or self.sock.recv(65536)
            self.pending = b""
            if not b:
                raise EOFError("client closed during the handshake")
            self.inc.write(b)

    def tls_write(self, data):
        self.obj.write(data)
        return self.out.read()

    def client_records(self):
        """Yields each whole record the client sends until it closes."""
        buf = self.pending
        self.pending = b""
        self.sock.settimeout(self.args.hold)
        while True:
            while len(buf) >= 5 and \
                    len(buf) >= 5 + struct.unpack("!H", buf[3:5])[0]:
                n = 5 + struct.unpack("!H", buf[3:5])[0]
                yield buf[:n]
                buf = buf[n:]
            b = self.sock.recv(65536)
            if not b:
                return
            buf += b

    def answer_lines(self, rec):
        """Feeds one record to TLS; answers each complete line."""
        self.inc.write(rec)
        got = b""
        try:
            while True:
                got += self.obj.read(65536)
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        for _ in range(got.count(b"\n")):
            self.obj.write(b"250 ok\r\n")
        self.send(self.out.read())


def dialogue(conn):
    """The greet-lines and reneg-plaintext modes."""
    if conn.args.mode == "greet-lines":
        conn.send(conn.tls_write(b"220 hostile ESMTP ready\r\n"))
        conn.log("sent the greeting")
    for rec in conn.client_records():
        if rec[0] == REC_HANDSHAKE and conn.args.mode == "reneg-plaintext":
            conn.send(b"421 4.4.2 hostile lost input connection\r\n")
            conn.log("renegotiation: answered in plaintext")
            return conn.fin()
        conn.answer_lines(rec)
    conn.log("client closed")
    conn.sock.close()


def serve(conn):
    a = conn.args
    m = a.mode
    if m in ("fin-accept", "rst-accept", "stall-accept", "banner"):
        if m == "fin-accept":
            return conn.fin()
        if m == "rst-accept":
            return conn.reset()
        if m == "banner":
            conn.send(b"220 hostile ESMTP not TLS\r\n")
            conn.log("sent a plaintext banner")
        return conn.hold()

    hello = conn.read_hello()
    if m == "nontls":
        conn.send(b"SSH-2.0-hostile\r\n" + os.urandom(4096))
        conn.log("sent non-TLS bytes")
        return conn.hold()
    if m == "garbage":
        for _ in range(16):
            conn.send(record(REC_HANDSHAKE, os.urandom(512)))
        conn.log("sent 16 garbage handshake records")
        return conn.hold()
    if m == "truncated":
        conn.send(struct.pack("!BHH", REC_HANDSHAKE, 0x0303, 1000) +
                  os.urandom(100))
        conn.log("sent 100 of 1000 announced bytes")
        return conn.fin()
    if m in ("fin-hello", "rst-hello"):
        return conn.fin() if m == "fin-hello" else conn.reset()
    if m == "stall-hello":
        return conn.hold()
    if m == "oversize":
        conn.send(record(REC_HANDSHAKE, os.urandom(MAX_OVER)))
        conn.log("sent a %d-byte plaintext record" % MAX_OVER)
        return conn.hold()

    flight = conn.tls_start(hello)
    recs = split_records(flight)
    conn.log("server flight: %d bytes in %d records" %
             (len(flight), len(recs)))
    if m in ("fin-partial", "rst-partial"):
        conn.send(recs[0][:len(recs[0]) // 2])
        conn.log("sent %d of %d ServerHello bytes" %
                 (len(recs[0]) // 2, len(recs[0])))
        return conn.fin() if m == "fin-partial" else conn.reset()
    if m == "stall-sh":
        conn.send(recs[0])
        conn.log("sent the ServerHello record only")
        return conn.hold()
    if m in ("fin-flight", "rst-flight", "stall-flight"):
        conn.send(flight)
        conn.log("sent the whole first flight")
        if m == "stall-flight":
            return conn.hold()
        # Let the flight leave before a reset discards it.
        time.sleep(0.2)
        return conn.fin() if m == "fin-flight" else conn.reset()
    if m == "alerts":
        conn.send(warning_alerts(a.alerts) + flight)
        conn.log("sent %d warning alerts, then the flight" % a.alerts)
        conn.tls_pump()
        return conn.hold()

    # After the handshake.
    conn.send(flight)
    conn.tls_pump()
    if m == "stall-after":
        return conn.hold()
    if m in ("greet-lines", "reneg-plaintext"):
        return dialogue(conn)
    payload = conn.tls_write(b"payload\n")
    if m == "data-close":
        try:
            conn.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        conn.send(payload + conn.out.read())
        conn.log("sent payload and close_notify")
        time.sleep(a.delay)
        return conn.fin()
    bad = b""
    close = conn.hold
    if m == "data-stall":
        pass
    elif m == "data-fin":
        close = conn.fin
    elif m == "data-rst":
        close = conn.reset
    elif m == "data-garbage":
        bad = os.urandom(4096)
    elif m == "data-records":
        bad = b"".join(record(REC_APPDATA, os.urandom(512))
                       for _ in range(16))
    elif m == "data-truncated":
        bad = struct.pack("!BHH", REC_APPDATA, 0x0303, 1000) + \
            os.urandom(100)
        close = conn.fin
    elif m == "data-oversize":
        bad = record(REC_APPDATA, os.urandom(MAX_OVER))
    elif m == "data-alerts":
        bad = warning_alerts(a.alerts)
    if a.delay > 0:
        conn.send(payload)
        conn.log("sent payload")
        time.sleep(a.delay)
        if bad:
            conn.send(bad)
    else:
        conn.send(payload + bad)
        conn.log("sent payload")
    if bad:
        conn.log("sent %d hostile bytes" % len(bad))
    return close()


def handle(sock, cid, args, ctx):
    conn = Conn(sock, cid, args, ctx)
    try:
        serve(conn)
    except (OSError, EOFError, ssl.SSLError) as e:
        conn.log("ended: %s: %s" % (type(e).__name__, e))
        try:
            sock.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser(description="A hostile TLS peer.")
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=sorted(PRE_MODES | POST_MODES))
    p.add_argument("--count", type=int, default=1,
                   help="connections to serve (0: forever)")
    p.add_argument("--tls", choices=("1.2", "1.3"),
                   help="pin the TLS version of the modes that use TLS")
    p.add_argument("--cert", help="certificate chain (PEM)")
    p.add_argument("--key", help="private key (PEM)")
    p.add_argument("--hold", type=float, default=30.0)
    p.add_argument("--alerts", type=int, default=1000)
    p.add_argument("--delay", type=float, default=0.3)
    args = p.parse_args()

    ctx = None
    needs_tls = args.mode in POST_MODES or args.mode in (
        "fin-partial", "rst-partial", "fin-flight", "rst-flight",
        "stall-sh", "stall-flight", "alerts")
    if needs_tls:
        if not args.cert or not args.key:
            p.error("mode %s needs --cert and --key" % args.mode)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.tls:
            v = (ssl.TLSVersion.TLSv1_2 if args.tls == "1.2"
                 else ssl.TLSVersion.TLSv1_3)
            ctx.minimum_version = ctx.maximum_version = v

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    print("hostile: %s on 127.0.0.1:%d (tls %s)" %
          (args.mode, args.port, args.tls or "any"), flush=True)
    threads = []
    cid = 0
    while args.count == 0 or cid < args.count:
        s, peer = ls.accept()
        cid += 1
        log(cid, "accepted from %s:%d" % peer)
        # No Nagle: every write leaves at once, so a reset that follows
        # cannot discard bytes still held back in our send queue.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=handle, args=(s, cid, args, ctx))
        t.start()
        threads.append(t)
    ls.close()
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
