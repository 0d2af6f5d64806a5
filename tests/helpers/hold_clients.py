#!/usr/bin/env python3
"""N TLS clients at once against one server, each holding its connection
(tests/cli/security.bats: serve at its thread limit).

usage: hold_clients.py PORT N [TIMEOUT]

Opens N connections to 127.0.0.1:PORT at once, each in its own thread,
and handshakes (no certificate check: the server is tlsprobe serve with
its generated certificate) with TIMEOUT seconds (default 8) for the
whole of it. A connection that handshakes then sends a line and reads it
back (serve echoes), and is held open until every client is done, so
that the server holds them all at the same time. Prints

    ok=A refused=B timeout=C

refused: closed or reset by the server before its handshake ended (what a
server out of threads should do at once); timeout: no answer within
TIMEOUT (what it must not do). Python 3 standard library only.
"""
import socket
import ssl
import sys
import threading


def client(port, timeout, ctx, results, held, lock):
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        with lock:
            results.append("refused")
        return
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"ping\n")
        got = b""
        while not got.endswith(b"\n"):
            chunk = tls.recv(64)
            if not chunk:
                raise ConnectionError("closed")
            got += chunk
        kind = "ok"
        keep = tls
    except socket.timeout:
        kind, keep = "timeout", raw
    except (OSError, ssl.SSLError, ConnectionError):
        kind, keep = "refused", raw
    with lock:
        results.append(kind)
        held.append(keep)


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    results, held, lock = [], [], threading.Lock()
    threads = [threading.Thread(target=client,
                                args=(port, timeout, ctx, results, held,
                                      lock))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ok=%d refused=%d timeout=%d" % (results.count("ok"),
                                          results.count("refused"),
                                          results.count("timeout")))
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
