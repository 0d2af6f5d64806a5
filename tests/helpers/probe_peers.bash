# shellcheck shell=bash
# Extra peers and checks for tests/cli/probe.bats (`tlsprobe probe reneg`).
# Load after ../helpers/peers (it uses tp_start, tp_free_port, $TP_DIR and
# $CERTS from there).

# tp_start_nginx NAME [PROTOCOLS]: nginx with TLS on 127.0.0.1 (a minimal
# config in $TP_DIR/NAME/, daemon off, pid file there), answering every
# request with "hello". PROTOCOLS defaults to "TLSv1.2 TLSv1.3". Sets
# TP_PORT.
tp_start_nginx() {
	local name=$1 protocols=${2:-TLSv1.2 TLSv1.3} port dir
	port=$(tp_free_port)
	dir=$TP_DIR/$name
	mkdir -p "$dir/logs" "$dir/tmp"
	cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $CERTS/leaf.pem;
		ssl_certificate_key $CERTS/leaf.key;
		ssl_protocols $protocols;
		keepalive_timeout 30s;
		location / { return 200 "hello\n"; }
	}
}
EOF
	tp_start "$name" "$port" nginx -e "$dir/logs/error.log" -p "$dir" \
		-c "$dir/nginx.conf"
}

# probe_json_get FILE PATH: print the value at PATH (dot-separated keys,
# numbers index arrays) in the JSON document FILE; strings bare, others
# as JSON.
probe_json_get() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# probe_run NAME CAFILE PORT [ARGS...]: tlsprobe probe reneg with a JSON
# report in $BATS_TEST_TMPDIR/NAME.json (also kept as $TP_DIR/NAME.json for
# the summary), via tp_probe. Sets JSON.
probe_run() {
	local name=$1 ca=$2 port=$3
	shift 3
	JSON=$BATS_TEST_TMPDIR/$name.json
	tp_probe probe reneg --ca-file "$ca" --json "$JSON" "$@" \
		"localhost:$port"
	cp "$JSON" "$TP_DIR/$name.json" 2>/dev/null || true
	if [ -s "$JSON" ]; then
		{
			echo "# JSON report:"
			sed 's/^/#   /' "$JSON"
		} >&2
	fi
}

# probe_expect PATH VALUE: the last report's value at PATH is VALUE.
probe_expect() {
	local got
	got=$(probe_json_get "$JSON" "$1")
	if [ "$got" != "$2" ]; then
		echo "# $1: want '$2', got '$got'" >&2
		return 1
	fi
}

# probe_testssl_start NAME PORT: run Debian's testssl.sh renegotiation
# checks (-R) against PORT in the background, output in
# $TP_DIR/NAME.testssl. Does nothing when testssl is not installed.
probe_testssl_start() {
	command -v testssl >/dev/null || return 0
	timeout -k 2 50 testssl --quiet --color 0 --warnings off \
		--connect-timeout 5 --openssl-timeout 5 -R "localhost:$2" \
		>"$TP_DIR/$1.testssl" 2>&1 3>&- &
	echo $! >"$TP_DIR/$1.testssl.pid"
}

# probe_testssl_verdict NAME: testssl's client-initiated renegotiation
# verdict for NAME, in one word: accepted, rejected, or what it printed.
probe_testssl_verdict() {
	local f=$TP_DIR/$1.testssl line
	[ -s "$f" ] || {
		echo "no_output"
		return 0
	}
	line=$(grep -i 'Client-Initiated Renegotiation' "$f" | head -n 1)
	case $line in
	*VULNERABLE*) echo "accepted" ;;
	*"not vulnerable"*) echo "rejected" ;;
	*"not applicable"* | *"TLS 1.3 only"*) echo "not_applicable" ;;
	"") grep -qi 'TLS 1.3 only\|only TLS 1.3' "$f" &&
		echo "not_applicable" || echo "no_verdict" ;;
	*) echo "other:${line##*Renegotiation }" ;;
	esac
}

# probe_client_cert: $CERTS/client.pem and client.key, a client
# certificate (extendedKeyUsage clientAuth) from the test CA, for servers
# that require one.
probe_client_cert() {
	[ -s "$CERTS/client.pem" ] && return 0
	(
		cd "$CERTS" &&
			printf 'extendedKeyUsage = clientAuth\n' >client.ext &&
			openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
				-nodes -subj '/CN=tlsprobe client' -keyout client.key \
				-out client.csr 2>/dev/null &&
			openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -days 2 -extfile client.ext \
				-out client.pem 2>/dev/null
	)
}

# tp_start_starttls_front NAME PROTO BACKEND_PORT: a plaintext front (python3)
# on 127.0.0.1 that speaks the server's side of PROTO's STARTTLS (smtp or
# pop3), then relays the connection byte for byte to the TLS server on
# BACKEND_PORT: what a mail server does, with the TLS of a peer whose
# renegotiation policy is known. Sets TP_PORT.
tp_start_starttls_front() {
	local name=$1 proto=$2 backend=$3 port
	port=$(tp_free_port)
	tp_start "$name" "$port" python3 -u -c '
import socket, sys, threading
proto, port, backend = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def line(c):
    # Byte by byte: nothing of the ClientHello may be read here.
    b = b""
    while not b.endswith(b"\n"):
        ch = c.recv(1)
        if not ch:
            raise EOFError
        b += ch
    return b.upper()

def preamble(c):
    if proto == "smtp":
        c.sendall(b"220 front ESMTP\r\n")
        line(c)
        c.sendall(b"250-front\r\n250 STARTTLS\r\n")
        ok = line(c).startswith(b"STARTTLS")
        c.sendall(b"220 ready\r\n" if ok else b"502 no\r\n")
    else:
        c.sendall(b"+OK front\r\n")
        ok = line(c).startswith(b"STLS")
        c.sendall(b"+OK begin TLS\r\n" if ok else b"-ERR no\r\n")
    return ok

def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def handle(c):
    try:
        if not preamble(c):
            return c.close()
    except (EOFError, OSError):
        return c.close()
    print("STARTTLS done, relaying", flush=True)
    b = socket.create_connection(("127.0.0.1", backend))
    t = threading.Thread(target=pump, args=(b, c), daemon=True)
    t.start()
    pump(c, b)
    t.join()
    c.close()
    b.close()

l = socket.create_server(("127.0.0.1", port))
while True:
    c, _ = l.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
' "$proto" "$port" "$backend"
}

# probe_start_sni_server: an s_server (TLS 1.2, renegotiation allowed) on
# $SNI_PORT that tells which SNI went out: "wrong.example" gets the
# certificate for that name, any other SNI a fatal alert, and no SNI the
# default one (localhost, 127.0.0.1), so a completed handshake shows it.
probe_start_sni_server() {
	tp_start_s_server sni -tls1_2 -client_renegotiation \
		-servername wrong.example -servername_fatal \
		-cert2 "$CERTS/wrongname.pem" -key2 "$CERTS/wrongname.key"
	export SNI_PORT=$TP_PORT
}
