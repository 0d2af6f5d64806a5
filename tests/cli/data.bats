#!/usr/bin/env bats
# The data path: stdout carries exactly the peer's data, stdin is data.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed, stderr_lines
# are read or set by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	# -rev reads a line before it writes: the reader thread must not hold
	# up the writer (the Go 17101 shape).
	tp_start_s_server rev12 -rev -tls1_2
	export REV12_PORT=$TP_PORT
	tp_start_s_server rev13 -rev -tls1_3
	export REV13_PORT=$TP_PORT
	tp_start_s_server_echo echo
	export ECHO_PORT=$TP_PORT
	tp_start_gnutls_serv gnutls --echo --crlf
	export GNUTLS_PORT=$TP_PORT
	head -c 1048576 /dev/urandom >"$TP_DIR/random.bin"
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "a line to s_server -rev comes back reversed, byte for byte" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
}

@test "the 'connect' subcommand spelling works the same" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe connect --ca-file "$CERTS/ca.pem" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
}

@test "s_client spellings (-CAfile, -tls1_2) work" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe -CAfile "$CERTS/ca.pem" -tls1_2 "localhost:$REV12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
}

@test "connect to 127.0.0.1 verifies the IP address SAN" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --ca-file "$CERTS/ca.pem" "127.0.0.1:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
}

@test "--brief and --quiet keep stdout to peer data only" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --brief --ca-file "$CERTS/ca.pem" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	[ "$(wc -l <"$ERR")" -le 1 ]
	tp_probe --quiet --ca-file "$CERTS/ca.pem" "localhost:$REV13_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	[ ! -s "$ERR" ]
}

@test "--json writes a JSON summary naming the protocol" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --json "$BATS_TEST_TMPDIR/s.json" --tls1.2 \
		--ca-file "$CERTS/ca.pem" "localhost:$REV12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'olleh\n'
	[ -s "$BATS_TEST_TMPDIR/s.json" ]
	if command -v python3 >/dev/null; then
		python3 -m json.tool "$BATS_TEST_TMPDIR/s.json" >/dev/null
	fi
	grep -Eqi 'TLS ?v?1\.2' "$BATS_TEST_TMPDIR/s.json"
}

@test "piped Q and R lines are data, not s_client commands" {
	TP_IN=$(tp_input 'Q\nR\nQuit\nRenegotiate\n')
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$REV12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'Q\nR\ntiuQ\netaitogeneR\n'
}

@test "piped :commands are data without --commands" {
	TP_IN=$(tp_input ':reneg\n:quit\nafter\n')
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$REV12_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'gener:\ntiuq:\nretfa\n'
}

@test "many lines, TLS 1.2 and 1.3: every reply arrives after stdin EOF" {
	seq 1 2000 | sed 's/^/line /' >"$BATS_TEST_TMPDIR/lines"
	rev "$BATS_TEST_TMPDIR/lines" >"$BATS_TEST_TMPDIR/want-lines"
	TP_IN=$BATS_TEST_TMPDIR/lines
	for port in "$REV12_PORT" "$REV13_PORT"; do
		tp_probe --ca-file "$CERTS/ca.pem" "localhost:$port"
		[ "$status" -eq 0 ]
		cmp "$BATS_TEST_TMPDIR/want-lines" "$OUT"
	done
}

@test "handshake race against a read-first server, 15 runs per version" {
	# Both threads start at once, no explicit handshake; the server says
	# nothing until it has read a line. A deadlock ends in exit 124.
	TP_IN=$(tp_input 'ping\n')
	local port
	for port in "$REV12_PORT" "$REV13_PORT"; do
		for _ in $(seq 1 15); do
			TP_LIMIT=10 tp_probe --quiet --ca-file "$CERTS/ca.pem" \
				"localhost:$port"
			[ "$status" -eq 0 ]
			tp_stdout_is 'gnip\n'
		done
	done
}

@test "1 MiB of random bytes through a byte-exact echo peer (s_server)" {
	# s_server closes at close_notify even when its stdin (the echo
	# fifo) still holds data: keep stdin open until the echo is back.
	TP_IN=$(tp_input_then_wait "$TP_DIR/random.bin" 2)
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$ECHO_PORT"
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random.bin" "$OUT"
	tp_stderr_has 'TLS ?v?1\.[23]' # it was TLS, not a plain copy
}

@test "text lines through gnutls-serv --echo" {
	# gnutls-serv's echo is line-based and not binary-safe: text only.
	base64 -w 76 "$TP_DIR/random.bin" | head -c 262144 \
		>"$BATS_TEST_TMPDIR/text"
	echo >>"$BATS_TEST_TMPDIR/text"
	TP_IN=$(tp_input_then_wait "$BATS_TEST_TMPDIR/text" 2)
	tp_probe --ca-file "$CERTS/ca.pem" "localhost:$GNUTLS_PORT"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/text" "$OUT"
	tp_stderr_has 'TLS ?v?1\.[23]' # it was TLS, not a plain copy
}

@test "1 MiB of random bytes through tlsprobe serve (echo)" {
	if ! tp_have_serve; then
		skip "this build has no 'tlsprobe serve' ($TLSPROBE serve --help fails)"
	fi
	tp_start_tlsprobe_serve serve
	TP_IN=$TP_DIR/random.bin
	tp_probe --ca-file "$TP_DIR/serve-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random.bin" "$OUT"
	tp_stderr_has 'TLS ?v?1\.[23]' # it was TLS, not a plain copy
}

@test "--sess-out then --sess-in resumes the session (TLS 1.2 and 1.3)" {
	local v
	for v in 1.2 1.3; do
		tp_start_tlsprobe_serve "serve_sess$v" "--tls$v"
		TP_IN=$(tp_input 'a\n')
		tp_probe --brief --sess-out "$BATS_TEST_TMPDIR/sess$v" \
			--ca-file "$TP_DIR/serve_sess$v-ca.pem" "localhost:$TP_PORT"
		[ "$status" -eq 0 ]
		[ -s "$BATS_TEST_TMPDIR/sess$v" ]
		tp_probe --brief --sess-in "$BATS_TEST_TMPDIR/sess$v" \
			--ca-file "$TP_DIR/serve_sess$v-ca.pem" "localhost:$TP_PORT"
		[ "$status" -eq 0 ]
		tp_stdout_is 'a\n'
		tp_stderr_has 'resumed yes'
	done
}

@test "a corrupt or hostile --sess-in file is refused with one line, no crash" {
	local f
	head -c 300 /dev/urandom >"$BATS_TEST_TMPDIR/garbage"
	for f in "$BATS_TEST_TMPDIR/garbage" \
		"$TP_TOP"/tests/fuzz/regressions/fuzz_session/*; do
		tp_probe --sess-in "$f" 127.0.0.1:1
		[ "$status" -eq 1 ]
		[ "$(wc -l <"$ERR")" -eq 1 ]
		tp_stderr_has 'not a saved session'
	done
}

@test "--keylog and SSLKEYLOGFILE write the secrets of TLS 1.2 and 1.3" {
	tp_start_tlsprobe_serve serve_keylog
	TP_IN=$(tp_input 'a\n')
	tp_probe --tls1.2 --keylog "$BATS_TEST_TMPDIR/keys" \
		--ca-file "$TP_DIR/serve_keylog-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	grep -Eq '^CLIENT_RANDOM [0-9A-Fa-f]{64} [0-9A-Fa-f]{96}$' \
		"$BATS_TEST_TMPDIR/keys"
	SSLKEYLOGFILE=$BATS_TEST_TMPDIR/keys13 tp_probe --tls1.3 \
		--ca-file "$TP_DIR/serve_keylog-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	grep -Eq '^CLIENT_TRAFFIC_SECRET_0 [0-9A-Fa-f]{64} [0-9A-Fa-f]+$' \
		"$BATS_TEST_TMPDIR/keys13"
	grep -Eq '^SERVER_HANDSHAKE_TRAFFIC_SECRET ' "$BATS_TEST_TMPDIR/keys13"
}

@test "--keylog in TLS 1.2 also logs a resumed session (wolfSSL alone does not)" {
	local keys=$BATS_TEST_TMPDIR/keys sess=$BATS_TEST_TMPDIR/sess
	tp_start_tlsprobe_serve serve_keylog12 --tls1.2
	TP_IN=$(tp_input 'a\n')
	tp_probe --quiet --keylog "$keys" --sess-out "$sess" \
		--ca-file "$TP_DIR/serve_keylog12-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	tp_probe --brief --keylog "$keys" --sess-in "$sess" \
		--ca-file "$TP_DIR/serve_keylog12-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	tp_stderr_has 'resumed yes'
	# Two lines: two client randoms, one master secret.
	[ "$(grep -Ec '^CLIENT_RANDOM [0-9A-F]{64} [0-9A-F]{96}$' "$keys")" -eq 2 ]
	[ "$(cut -d' ' -f2 "$keys" | sort -u | wc -l)" -eq 2 ]
	[ "$(cut -d' ' -f3 "$keys" | sort -u | wc -l)" -eq 1 ]
}
