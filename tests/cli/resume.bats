#!/usr/bin/env bats
# Saved sessions (--sess-out, --sess-in) against servers that no longer
# know them. A server that restarted cannot decrypt its old tickets nor find
# its old session IDs: it answers with a full handshake, and the client
# must follow it, as s_client does (issue 11, item 3). And the sessions it
# does know must still be resumed.

# shellcheck disable=SC2034,SC2154 # TP_IN, status are read or set by
# tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
	local f
	for f in "$TP_DIR"/rs-*.pid; do
		[ -e "$f" ] || continue
		tp_stop "$(basename "$f" .pid)"
	done
	rm -f "$TP_DIR"/rs-*.log
}

# s_server_on NAME PORT [ARGS...]: `openssl s_server -rev` on PORT.
s_server_on() {
	local name=$1 port=$2
	shift 2
	tp_start "$name" "$port" openssl s_server -accept "127.0.0.1:$port" \
		-cert "$CERTS/leaf.pem" -key "$CERTS/leaf.key" -rev "$@"
}

# restart NAME: stop peer NAME and start it again, same command and port:
# a new process, with new ticket keys and an empty session cache.
restart() {
	local name=$1 port cmd
	port=$(cat "$TP_DIR/$name.port")
	read -r -a cmd <"$TP_DIR/$name.cmd"
	tp_stop "$name"
	tp_start "$name" "$port" "${cmd[@]}"
}

# save_then_resume_stale NAME [TLSPROBE ARGS...]: save a session from peer
# NAME, check that the same server resumes it, restart the server, and
# offer the session again. Leaves tp_probe's results of the last run.
save_then_resume_stale() {
	local name=$1 port sess=$BATS_TEST_TMPDIR/sess
	shift
	port=$(cat "$TP_DIR/$name.port")
	TP_IN=$(tp_input 'hello\n')
	tp_probe --brief "$@" --sess-out "$sess" --ca-file "$CERTS/ca.pem" \
		"localhost:$port"
	[ "$status" -eq 0 ]
	[ -s "$sess" ]
	tp_probe --brief "$@" --sess-in "$sess" --ca-file "$CERTS/ca.pem" \
		"localhost:$port"
	[ "$status" -eq 0 ]
	tp_stderr_has 'resumed yes'
	restart "$name"
	tp_probe --brief "$@" --sess-in "$sess" --ca-file "$CERTS/ca.pem" \
		"localhost:$port"
}

@test "stale TLS 1.2 ticket (s_server restarted): full handshake, data, exit 0" {
	# Before wolfSSL patch 0002: exit 4, "Out of order message" (-373):
	# the client took the session as resumed and met the Certificate.
	s_server_on rs-ticket "$(tp_free_port)" -tls1_2
	save_then_resume_stale rs-ticket
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'TLSv1\.2' 'verify ok' 'resumed no'
}

@test "stale TLS 1.2 ticket with --tls1.2, full summary: Resumed: no" {
	s_server_on rs-ticket12 "$(tp_free_port)" -tls1_2
	save_then_resume_stale rs-ticket12 --tls1.2
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'resumed no'
	# The full summary says so too.
	tp_probe --tls1.2 --sess-in "$BATS_TEST_TMPDIR/sess" \
		--ca-file "$CERTS/ca.pem" "localhost:$(cat "$TP_DIR/rs-ticket12.port")"
	[ "$status" -eq 0 ]
	tp_stderr_has '^Resumed: no$' '^Verification: ok$'
}

@test "stale TLS 1.2 session ID (s_server -no_ticket restarted): full handshake" {
	s_server_on rs-id "$(tp_free_port)" -tls1_2 -no_ticket
	save_then_resume_stale rs-id
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'resumed no'
}

@test "stale TLS 1.3 ticket (s_server restarted): full handshake" {
	s_server_on rs-13 "$(tp_free_port)" -tls1_3
	save_then_resume_stale rs-13
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	tp_stderr_has 'TLSv1\.3' 'resumed no'
}

@test "TLS 1.2 tickets gnutls-serv accepts are resumed, stale ones are not" {
	local port sess=$BATS_TEST_TMPDIR/sess
	port=$(tp_free_port)
	tp_start rs-gnutls "$port" gnutls-serv --port "$port" \
		--x509certfile "$CERTS/leaf.pem" --x509keyfile "$CERTS/leaf.key" \
		--disable-client-cert --echo --priority 'NORMAL:-VERS-TLS1.3'
	TP_IN=$(tp_input 'hello\n')
	tp_probe --brief --sess-out "$sess" --ca-file "$CERTS/ca.pem" \
		"localhost:$port"
	[ "$status" -eq 0 ]
	local i
	for i in 1 2; do
		tp_probe --brief --sess-in "$sess" --ca-file "$CERTS/ca.pem" \
			"localhost:$port"
		[ "$status" -eq 0 ]
		tp_stdout_is 'hello\n'
		tp_stderr_has 'TLSv1\.2' 'resumed yes'
	done
	restart rs-gnutls
	tp_probe --brief --sess-in "$sess" --ca-file "$CERTS/ca.pem" \
		"localhost:$port"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\n'
	tp_stderr_has 'resumed no'
}

# resume_as_consumer_leaves PORT CA: a 256 KiB line, echoed, fills the
# stdout pipe, and :resume follows; the consumer reads a byte, holds the
# full pipe until the resume has begun, then leaves. Sets st, err.
resume_as_consumer_leaves() {
	local port=$1 ca=$2 in
	err=$BATS_TEST_TMPDIR/err
	in=$(tp_input '%s\n:resume\n' "$(head -c 262144 /dev/zero | tr '\0' x)")
	# shellcheck disable=SC2094 # the consumer watches the stderr file
	timeout -k 2 10 "$TLSPROBE" --commands --ca-file "$ca" \
		"localhost:$port" <"$in" 2>"$err" | {
		head -c 1 >/dev/null
		for _ in $(seq 1 200); do
			grep -q 'reconnecting to resume' "$err" && break
			sleep 0.05
		done
	}
	st=${PIPESTATUS[0]}
	echo "exit status $st; stderr:" >&2
	sed 's/^/#   /' "$err" >&2
}

@test ":resume when the stdout consumer goes away meanwhile: exit 1 quietly, no hang" {
	# The reader, blocked on the full pipe, meets EPIPE while :resume
	# drains it, and the run ends. The resume must then start nothing:
	# before the fix it started a reader on a new connection that nothing
	# aborted, and the process hung joining it (killed by timeout: 124)
	# in about 2 runs of 3; hence three runs.
	local st err
	tp_start_tlsprobe_serve rs-echo --mode echo
	for _ in 1 2 3; do
		resume_as_consumer_leaves "$TP_PORT" "$TP_DIR/rs-echo-ca.pem"
		grep -q 'reconnecting to resume' "$err"
		[ "$st" -eq 1 ]
		# The run was over: no new connection, no error line (EPIPE).
		run ! grep -q 'Resumed: yes' "$err"
		run ! grep -q '^tlsprobe:' "$err"
	done
}
