#!/usr/bin/env python3
"""Records what a TLS server sends, as a seed for fuzz_server_bytes.

A one-connection recording proxy: listens on 127.0.0.1:PORT, connects to
the upstream server, relays both ways, and writes the server's bytes
(prefixed with the harness's flags byte) to OUT. With --first-flight only
the bytes the server sent before the client's second transmission are
kept (the ServerHello flight).

    tlsprobe serve --tls1.2 127.0.0.1:4433 &
    capture_flight.py --listen 4434 --upstream 127.0.0.1:4433 \\
        --flags 0x45 --out seed.bin &
    tlsprobe --insecure localhost:4434 </dev/null
"""
import argparse
import socket
import threading


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="HOST:PORT")
    ap.add_argument("--out", required=True)
    ap.add_argument("--flags", type=lambda s: int(s, 0), default=0x44,
                    help="flags byte of fuzz_server_bytes (default 0x44)")
    ap.add_argument("--first-flight", action="store_true")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    host, port = a.upstream.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.listen))
    ls.listen(1)
    ls.settimeout(a.timeout)
    cli, _ = ls.accept()
    srv = socket.create_connection((host, int(port)), timeout=a.timeout)
    cli.settimeout(a.timeout)
    lock = threading.Lock()
    state = {"client_sends": 0, "server": bytearray()}

    def pump(src, dst, from_server):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with lock:
                    if from_server:
                        if not a.first_flight or state["client_sends"] < 2:
                            state["server"] += data
                    else:
                        state["client_sends"] += 1
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    ts = [threading.Thread(target=pump, args=(cli, srv, False)),
          threading.Thread(target=pump, args=(srv, cli, True))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(a.out, "wb") as f:
        f.write(bytes([a.flags]) + bytes(state["server"]))


if __name__ == "__main__":
    main()
