# shellcheck shell=bash
# Shared helpers for tests/interop: real Debian servers on loopback.
#
# Each suite in tests/interop starts one kind of server with a config it
# writes itself into a temporary directory, on free ports of 127.0.0.1,
# never through systemd and never on the standard ports (a daemon that the
# package's postinst may have started is left alone). Load with
# `load lib/common`. Typical use:
#
#   setup_file() {
#           ic_setup_file nginx                   # certificates, checks
#           ic_nginx_start web ...                # the suite's own launcher
#           export WEB_PORT=$TP_PORT
#   }
#   teardown_file() { ic_teardown_file; }
#   teardown() { tp_dump_on_failure; }
#
#   @test "..." {
#           TP_IN=$(tp_input 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
#           ic_run --ca-file "$CERTS/ca.pem" "localhost:$WEB_PORT"
#           [ "$status" -eq 0 ]
#           ic_expect_session .connection.protocol TLSv1.3
#   }
#
# This builds on tests/helpers/peers.bash (tp_start, tp_free_port,
# tp_wait_listen, tp_probe, tp_stop...) and probe_peers.bash (probe_run,
# probe_expect). Readiness is always the listening socket seen by `ss`,
# polled every 0.1 s with a bound, never a fixed sleep.
#
# Files: $CERTS has certs.sh's set plus client.pem/client.key (a client
# certificate from the same CA, extendedKeyUsage clientAuth) and
# leaf-chain.pem (leaf then CA). $IC_ROOT is a directory that other users
# can traverse, for servers that run as their own user (PostgreSQL) or
# that read their files after dropping root; it is removed by
# ic_teardown_file.

# shellcheck source=tests/helpers/peers.bash
source "$BATS_TEST_DIRNAME/../helpers/peers.bash"
# shellcheck source=tests/helpers/probe_peers.bash
source "$BATS_TEST_DIRNAME/../helpers/probe_peers.bash"

# Bound on one tlsprobe run in these suites (seconds); tp_probe reads it.
export TP_LIMIT=${TP_LIMIT:-20}

# ic_setup_file [COMMAND...]: per-file state (tp_setup_file), the client
# certificate, $IC_ROOT; fails at once, naming scripts/setup, when one of
# COMMANDs is not installed (a missing server is a broken setup, not a
# reason to pass).
ic_setup_file() {
	local missing=() c
	for c in "$@" jq ss; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "interop: not installed: ${missing[*]}; run scripts/setup" \
			"(as root on Debian 12)" >&2
		return 1
	fi
	tp_setup_file
	ic_client_cert
	cat "$CERTS/leaf.pem" "$CERTS/ca.pem" >"$CERTS/leaf-chain.pem"
	IC_ROOT=$(mktemp -d /tmp/tlsprobe-interop.XXXXXX)
	chmod 755 "$IC_ROOT"
	echo "$IC_ROOT" >"$TP_DIR/ic-root"
	export IC_ROOT
}

# ic_client_cert: $CERTS/client.pem and client.key, CN "tlsprobe client",
# signed by the test CA, for servers that ask for a client certificate.
ic_client_cert() {
	(
		cd "$CERTS" || exit 1
		cat >client.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out client.key 2>>certs.log &&
			openssl req -new -key client.key -subj "/CN=tlsprobe client" \
				-out client.csr 2>>certs.log &&
			openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -days 2 -extfile client.ext \
				-out client.pem 2>>certs.log &&
			openssl verify -CAfile ca.pem -purpose sslclient client.pem \
				>>certs.log 2>&1
	) || {
		echo "ic_client_cert: failed; openssl said:" >&2
		cat "$CERTS/certs.log" >&2
		return 1
	}
}

# ic_teardown_file: stop every server this file started (TERM, then KILL
# after 2 s, each by its pid) and remove $IC_ROOT.
ic_teardown_file() {
	local root
	tp_stop_all
	root=$(cat "$TP_DIR/ic-root" 2>/dev/null) || return 0
	case $root in
	/tmp/tlsprobe-interop.*) rm -rf "$root" ;;
	esac
}

# ic_start NAME PORT CMD [ARGS...]: start a server in the foreground of a
# background job (tp_start: log in $TP_DIR/NAME.log, pid in NAME.pid) and
# wait for PORT to listen. When it does not, the server is stopped again
# and its log shown, so a failed setup_file leaves nothing running.
ic_start() {
	local name=$1
	tp_start "$@" || {
		tp_stop "$name"
		return 1
	}
}

# ic_wait_port NAME PORT: wait for another listening PORT of server NAME
# (started with ic_start); stops it when PORT never comes.
ic_wait_port() {
	tp_wait_listen "$1" "$2" || {
		tp_stop "$1"
		return 1
	}
}

# ic_wait_banner NAME PORT ERE: for a server that speaks first in plain
# text (IMAP, POP3, SMTP before STARTTLS), wait until a plain connection to
# PORT is greeted with a line matching ERE: the listening socket can come
# before the services behind it (Dovecot's auth process, which otherwise
# greets with "Waiting for authentication process"). Polls every 0.1 s,
# bounded by TP_LISTEN_WAIT tenths; stops server NAME when it never comes.
ic_wait_banner() {
	local name=$1 port=$2 re=$3 line=
	for _ in $(seq 1 "$TP_LISTEN_WAIT"); do
		# shellcheck disable=SC2016 # for the inner bash
		line=$(timeout 2 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" &&
			IFS= read -r l <&5 && printf "%s" "$l"' _ "$port" \
			2>/dev/null) || line=
		[[ $line =~ $re ]] && return 0
		sleep 0.1
	done
	echo "server $name: no greeting matching /$re/ on port $port" \
		"(last: '$line')" >&2
	tp_log "$name"
	tp_stop "$name"
	return 1
}

# ic_tail_on_failure LABEL DIR FILE: in teardown, after a test that
# failed, the last 15 lines of DIR/FILE under a "---- LABEL" heading (for
# the private instances of lib/apache.bash and lib/postfix.bash; nothing
# when DIR is empty: the server never started).
ic_tail_on_failure() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "$2" ]; then
		echo "---- $1, last 15 lines ----" >&2
		tail -n 15 "$2/$3" >&2 2>/dev/null || true
	fi
}

# ic_ports N: print N distinct free ports, one a line.
ic_ports() {
	local i
	for ((i = 0; i < $1; i++)); do
		tp_free_port || return 1
	done
}

# ic_run [ARGS...]: tlsprobe ARGS (tp_probe: stdin $TP_IN, stdout $OUT,
# stderr $ERR, status) with a JSON session summary in $SESSION.
ic_run() {
	SESSION=$BATS_TEST_TMPDIR/session.json
	rm -f "$SESSION"
	tp_probe --json "$SESSION" "$@"
	if [ -s "$SESSION" ]; then
		echo "# session: $(jq -c '{exit_status, error, connection:
			(.connection | if . then {protocol, handshakes,
			renegotiations, renegotiations_refused, key_updates_sent,
			key_updates_received} else null end)}' "$SESSION")" >&2
	fi
}

# _ic_expect_jq WHAT FILE FILTER VALUE: jq -r FILTER on FILE prints
# VALUE; else says so, naming WHAT (session, probe).
_ic_expect_jq() {
	local got
	got=$(jq -r "$3" "$2" 2>&1) || got="(jq failed: $got)"
	if [ "$got" != "$4" ]; then
		echo "# $1 $3: want '$4', got '$got'" >&2
		return 1
	fi
}

# ic_expect_session FILTER VALUE: jq -r FILTER on the last session summary
# prints VALUE.
ic_expect_session() {
	_ic_expect_jq session "$SESSION" "$@"
}

# ic_stdout_has FIXED...: tlsprobe's stdout contains each fixed string.
ic_stdout_has() {
	local s
	for s in "$@"; do
		if ! grep -qF -- "$s" "$OUT"; then
			echo "# stdout does not contain '$s'" >&2
			return 1
		fi
	done
}

# ic_stdout_lacks FIXED: tlsprobe's stdout does not contain FIXED.
ic_stdout_lacks() {
	if grep -qF -- "$1" "$OUT"; then
		echo "# stdout contains '$1' but must not" >&2
		return 1
	fi
}

# ic_input_paced STEP...: print the name of a fifo for TP_IN that yields
# the STEPs in order: a STEP of the form +SECS pauses that long, @FILE
# copies FILE (binary data), any other is a printf format written at once.
# For a client that must act at a moment the server can tell apart (a
# request after the server has had time to act on a renegotiation; data
# only after a TLS 1.3 server's alert about the client certificate has
# been read, since a server that closes with our data unread resets the
# connection, and the reset can overtake its alert), not for waiting on
# the server. The fifo is read once: one per run. The writer is bounded
# by `timeout` and lets go of stdout and fd 3 (see tp_input_then_wait in
# peers.bash).
ic_input_paced() {
	local f
	f=$(mktemp -u "$BATS_TEST_TMPDIR/paced.XXXXXX")
	mkfifo "$f"
	# shellcheck disable=SC2016 # the script is for sh, not for us
	timeout 60 sh -c 'exec >"$1"; shift
		for s in "$@"; do
			case $s in
			+*) sleep "${s#+}" ;;
			@*) cat "${s#@}" ;;
			*) printf "$s" ;;
			esac
		done' sh "$f" "$@" </dev/null >/dev/null 2>&1 3>&- &
	echo "$f"
}

# ic_probe NAME PORT [ARGS...]: `tlsprobe probe reneg` against
# localhost:PORT, trusting the test CA, with a short timeout and few
# attempts unless ARGS say otherwise (probe_run: JSON report in $JSON).
ic_probe() {
	local name=$1 port=$2
	shift 2
	probe_run "$name" "$CERTS/ca.pem" "$port" --attempts 3 --timeout 3 \
		"$@"
}

# ic_expect_probe FILTER VALUE: jq -r FILTER on the last probe report.
ic_expect_probe() {
	_ic_expect_jq probe "$JSON" "$@"
}

# ic_probe_refused_alive NAME PORT [ARGS...]: ic_probe, exit 0; secure
# renegotiation supported, client-initiated renegotiation rejected, the
# third attempt refused and the connection alive after.
ic_probe_refused_alive() {
	ic_probe "$@"
	[ "$status" -eq 0 ]
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[2].outcome' \
		refused
	ic_expect_probe .renegotiation.client_initiated.alive_after true
}

# ic_start_echo_backend NAME: a plain TCP echo server (python3) on
# 127.0.0.1, each connection in its own thread, closing its side when the
# client half-closes or closes. For TLS terminators. Sets TP_PORT.
ic_start_echo_backend() {
	local name=$1 port
	port=$(tp_free_port) || return 1
	ic_start "$name" "$port" python3 -c '
import socket, socketserver, sys
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
print("echo backend on", sys.argv[1], flush=True)
Server(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
' "$port"
}

# ic_start_http_backend NAME BODY: a plain HTTP/1.0 server (python3
# http.server) on 127.0.0.1 answering every GET with BODY. Sets TP_PORT.
ic_start_http_backend() {
	local name=$1 body=$2 port
	port=$(tp_free_port) || return 1
	ic_start "$name" "$port" python3 -c '
import http.server, sys
body = sys.argv[2].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)
print("http backend on", sys.argv[1], flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                H).serve_forever()
' "$port" "$body"
}

# ic_selfclient_cert: $CERTS/selfclient.pem and selfclient.key, a
# self-signed client certificate (CN "self-signed client") that no server
# here trusts: the unknown_ca cases.
ic_selfclient_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$CERTS/selfclient.key" -out "$CERTS/selfclient.pem" \
		-subj "/CN=self-signed client" -days 2 2>/dev/null
}

# The cases below are written once for the servers that behave alike;
# each runs tlsprobe (ic_run) against localhost:PORT trusting the test CA
# and asserts; a suite's test adds its own checks on what came back.

# ic_connect_13_then_12 PORT: verified, TLS 1.3 by default; TLS 1.2 with
# --tls1.2.
ic_connect_13_then_12() {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.protocol TLSv1.2
}

# ic_echo_lines PORT: hello and world piped to an echoing server come
# back at end of input, exit 0.
ic_echo_lines() {
	TP_IN=$(tp_input 'hello\nworld\n')
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
}

# ic_echo_reneg_refused PORT: to an echoing server, hello and `:reneg`
# (TLS 1.2), world 1 s later: the renegotiation refused, exit 0, both
# lines back.
ic_echo_reneg_refused() {
	TP_IN=$(ic_input_paced 'hello\n:reneg\n' +1 'world\n')
	ic_run --commands --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.renegotiations_refused 1
}

# ic_echo_1mib PORT: 1 MiB of random bytes piped to an echoing server
# comes back byte for byte, exit 0.
ic_echo_1mib() {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	TP_IN=$BATS_TEST_TMPDIR/blob
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/blob" "$OUT"
}

# ic_echo_keyupdate PORT: to an echoing server, hello, `:keyupdate req`
# (TLS 1.3), world: exit 0, both lines back, one KeyUpdate received.
ic_echo_keyupdate() {
	TP_IN=$(tp_input 'hello\n:keyupdate req\nworld\n')
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\nworld\n'
	ic_expect_session .connection.key_updates_received 1
}

# ic_keyupdate_paced PORT PAUSE STEP [ARGS...]: `:keyupdate req` (TLS 1.3)
# first, STEP (see ic_input_paced) PAUSE seconds later, with ARGS (such as
# --starttls) before --ca-file: exit 0, one KeyUpdate sent and one
# received.
ic_keyupdate_paced() {
	local port=$1 pause=$2 step=$3
	shift 3
	TP_IN=$(ic_input_paced ':keyupdate req\n' "+$pause" "$step")
	ic_run --commands "$@" --ca-file "$CERTS/ca.pem" "localhost:$port"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.key_updates_sent 1
	ic_expect_session .connection.key_updates_received 1
}

# HTTP servers; REQUEST, KEEP and CLOSE are printf formats of a request
# (KEEP keeps the connection, CLOSE asks to close it); the caller checks
# the reply.

# ic_http_get PORT REQUEST: REQUEST piped (input ends after it): exit 0.
ic_http_get() {
	TP_IN=$(tp_input "$2")
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
}

# ic_http_keyupdate PORT REQUEST: `:keyupdate req` (TLS 1.3), then
# REQUEST: exit 0, one KeyUpdate received.
ic_http_keyupdate() {
	TP_IN=$(tp_input ":keyupdate req\n$2")
	ic_run --commands --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.key_updates_received 1
}

# ic_http_reneg_refused PORT PAUSE KEEP CLOSE [ARGS...]: KEEP and
# `:reneg`, CLOSE PAUSE seconds later, with ARGS (such as --tls1.2)
# before --ca-file: exit 0, the renegotiation refused with a warning
# no_renegotiation.
ic_http_reneg_refused() {
	local port=$1 pause=$2 keep=$3 close=$4
	shift 4
	TP_IN=$(ic_input_paced "$keep:reneg\n" "+$pause" "$close")
	ic_run --commands "$@" --ca-file "$CERTS/ca.pem" "localhost:$port"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation'
}

# Client certificates, for a PORT whose server requires one; INPUT is a
# printf format (tp_input).

# ic_cc_with_cert PORT INPUT: with the test client certificate: exit 0.
ic_cc_with_cert() {
	TP_IN=$(tp_input "$2")
	ic_run --cert "$CERTS/client.pem" --key "$CERTS/client.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 0 ]
}

# ic_cc_none_tls13 PORT INPUT: none, TLS 1.3, INPUT only after 1 s (see
# ic_input_paced): certificate_required after the handshake, exit 6.
ic_cc_none_tls13() {
	TP_IN=$(ic_input_paced +1 "$2")
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 6 ]
	tp_stderr_has 'certificate_required'
}

# ic_cc_none_tls12 PORT INPUT ALERT: none, TLS 1.2: the handshake fails
# with ALERT, exit 4.
ic_cc_none_tls12() {
	TP_IN=$(tp_input "$2")
	ic_run --tls1.2 --ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 4 ]
	tp_stderr_has "$3"
}

# ic_cc_unknown_ca PORT INPUT: the self-signed client certificate
# (ic_selfclient_cert), INPUT only after 1 s: unknown_ca, exit 6.
ic_cc_unknown_ca() {
	TP_IN=$(ic_input_paced +1 "$2")
	ic_run --cert "$CERTS/selfclient.pem" --key "$CERTS/selfclient.key" \
		--ca-file "$CERTS/ca.pem" "localhost:$1"
	[ "$status" -eq 6 ]
	tp_stderr_has 'unknown_ca'
}
