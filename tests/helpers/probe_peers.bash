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
