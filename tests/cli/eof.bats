#!/usr/bin/env bats
# End of input. tlsprobe keeps its write side open after stdin EOF until
# the peer closes or has been quiet for the close-idle time (250 ms until
# the peer answers, 100 ms after; --close-idle), so late replies, a server
# that closes after its reply and a renegotiation the server asks for all
# work; then it sends close_notify and still takes every reply until the
# peer closes; --linger SECS bounds that wait. The peer's close_notify is
# answered with ours. Servers here: tlsprobe serve --reply-delay (late
# replies), an s_server echo (waits for our close), and closer, a python3
# ssl server that replies to one line, sends close_notify and logs whether
# ours answers it. tests/interop/eof.bats does the same against Postfix
# and Apache.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed are read or
# set by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	if ! tp_have_serve; then
		echo "this build has no 'tlsprobe serve'" >&2
		return 1
	fi
	tp_start_tlsprobe_serve late --mode echo --reply-delay 1500
	export LATE_PORT=$TP_PORT
	tp_start_tlsprobe_serve lines --mode reverse --reply-delay 400
	export LINES_PORT=$TP_PORT
	tp_start_tlsprobe_serve later --mode reverse --reply-delay 3000
	export LATER_PORT=$TP_PORT
	tp_start_tlsprobe_serve soon --mode echo --reply-delay 150
	export SOON_PORT=$TP_PORT
	tp_start_s_server_echo echo
	export ECHO_PORT=$TP_PORT
	start_closer closer
	export CLOSER_PORT=$TP_PORT
}

# start_closer NAME: a TLS server (python3 ssl, the good leaf) that reads a
# line, answers "bye LINE", sends close_notify and waits 5 s for the
# client's, then logs "close_notify answered" or "close_notify not
# answered: WHY". One connection at a time. Sets TP_PORT.
start_closer() {
	local port
	port=$(tp_free_port)
	tp_start "$1" "$port" python3 -c '
import socket, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.create_server(("127.0.0.1", port))
print("closer on", port, flush=True)
while True:
    raw, _ = ls.accept()
    raw.settimeout(5)
    try:
        c = ctx.wrap_socket(raw, server_side=True)
        line = b""
        while not line.endswith(b"\n"):
            d = c.recv(4096)
            if not d:
                break
            line += d
        c.sendall(b"bye " + line)
        try:
            c.unwrap()
            print("close_notify answered", flush=True)
        except (ssl.SSLError, OSError) as e:
            print("close_notify not answered:", e, flush=True)
    except (ssl.SSLError, OSError) as e:
        print("connection failed:", e, flush=True)
    finally:
        raw.close()
' "$port" "$CERTS/leaf.pem" "$CERTS/leaf.key"
}

# closer_said N TEXT: the closer's Nth verdict line starts with TEXT
# (waiting up to 6 s for it: the closer waits 5 s for our close_notify).
closer_said() {
	local n=$1 text=$2
	wait_for 6 closer_has_verdicts "$n" || return 1
	if [ "$(grep '^close_notify' "$TP_DIR/closer.log" | sed -n "${n}p" |
		cut -c1-${#text})" != "$text" ]; then
		echo "# closer's verdict $n is not '$text'" >&2
		return 1
	fi
}

closer_has_verdicts() {
	[ "$(grep -c '^close_notify' "$TP_DIR/closer.log")" -ge "$1" ]
}

# timed_probe ARGS...: tp_probe, and the run's duration in ms in $ms.
timed_probe() {
	local t0
	t0=$(date +%s%N)
	tp_probe "$@"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# run took $ms ms" >&2
}

# data_then_close_notify: in the --msg trace on $ERR, application data
# comes in before our close_notify goes out.
data_then_close_notify() {
	awk '/^<<< record application_data/ && !sent { n++ }
	     /^>>> .*close_notify/ { sent = 1 }
	     END { exit !(n >= 1 && sent) }' "$ERR"
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# close_notify_then_data: in the --msg trace on $ERR, our close_notify goes
# out before application data comes in.
close_notify_then_data() {
	awk '/^>>> .*close_notify/ { sent = 1 }
	     sent && /^<<< record application_data/ { n++ }
	     END { exit !(n >= 1) }' "$ERR"
}

@test "a reply 1.5 s after stdin EOF still arrives (TLS 1.2 and 1.3)" {
	TP_IN=$(tp_input 'late\n')
	local v
	for v in --tls1.2 --tls1.3; do
		TP_LIMIT=15 tp_probe --msg "$v" --ca-file "$TP_DIR/late-ca.pem" \
			"localhost:$LATE_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'late\n'
		[ "$elapsed" -ge 1 ] # the reply really came late
		close_notify_then_data
	done
}

@test "three late replies, one every 0.4 s after stdin EOF, all arrive" {
	TP_IN=$(tp_input 'one\ntwo\nthree\n')
	TP_LIMIT=15 tp_probe --quiet --ca-file "$TP_DIR/lines-ca.pem" \
		"localhost:$LINES_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'eno\nowt\neerht\n'
	[ "$elapsed" -ge 1 ]
}

@test "--linger 1 gives up on a reply due in 3 s: status 0, no reply, in time" {
	TP_IN=$(tp_input 'late\n')
	TP_LIMIT=15 tp_probe --linger 1 --json "$BATS_TEST_TMPDIR/s.json" \
		--ca-file "$TP_DIR/later-ca.pem" "localhost:$LATER_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is ''
	[ "$elapsed" -le 2 ]
	tp_stderr_has 'linger'
	grep -Eq '"lingered": *true' "$BATS_TEST_TMPDIR/s.json"
}

@test "--linger 5 is only a bound: a reply due in 3 s arrives" {
	TP_IN=$(tp_input 'late\n')
	TP_LIMIT=15 tp_probe --linger 5 --quiet \
		--ca-file "$TP_DIR/later-ca.pem" "localhost:$LATER_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'etal\n'
	[ "$elapsed" -ge 2 ]
	[ "$elapsed" -le 4 ]
}

@test "a reply 150 ms after stdin EOF comes before our close_notify" {
	TP_IN=$(tp_input 'soon\n')
	local v
	for v in --tls1.2 --tls1.3; do
		TP_LIMIT=15 tp_probe --msg "$v" --ca-file "$TP_DIR/soon-ca.pem" \
			"localhost:$SOON_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'soon\n'
		data_then_close_notify
	done
}

@test "--close-idle 0 sends close_notify at stdin EOF, before the reply" {
	TP_IN=$(tp_input 'soon\n')
	TP_LIMIT=15 tp_probe --msg --close-idle 0 \
		--ca-file "$TP_DIR/soon-ca.pem" "localhost:$SOON_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'soon\n'
	close_notify_then_data
}

@test "an echo server that waits for our close (s_server): echo, exit 0, unslowed" {
	TP_IN=$(tp_input 'hello\n')
	local i
	for i in 1 2 3; do
		TP_LIMIT=15 timed_probe --quiet --ca-file "$CERTS/ca.pem" \
			"localhost:$ECHO_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'hello\n'
		# 100 ms of quiet after the echo, then its close: not the
		# 250 ms before an answer, nor the handshake timeout.
		[ "$ms" -lt 1000 ]
		if grep -q '^tlsprobe:' "$ERR"; then
			echo "# an error line was printed" >&2
			return 1
		fi
	done
}

@test "a server that closes after its reply ends the run at once, our close_notify answers its" {
	TP_IN=$(tp_input 'hello\n')
	local before
	before=$(grep -c '^close_notify' "$TP_DIR/closer.log" || true)
	# A quiet time of 5 s: only the server's close can end this early.
	TP_LIMIT=15 timed_probe --quiet --close-idle 5000 \
		--ca-file "$CERTS/ca.pem" "localhost:$CLOSER_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'bye hello\n'
	[ "$ms" -lt 2500 ]
	closer_said $((before + 1)) 'close_notify answered'
}

@test "the peer's close_notify is answered while stdin is still open" {
	local before
	before=$(grep -c '^close_notify' "$TP_DIR/closer.log" || true)
	TP_IN=$(tp_input_then_wait "$(tp_input 'hello\n')" 8)
	TP_LIMIT=15 timed_probe --quiet --ca-file "$CERTS/ca.pem" \
		"localhost:$CLOSER_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'bye hello\n'
	[ "$ms" -lt 4000 ] # the server's close ends it, not stdin's EOF
	closer_said $((before + 1)) 'close_notify answered'
}
