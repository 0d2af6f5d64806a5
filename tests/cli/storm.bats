#!/usr/bin/env bats
# Renegotiation storms from a real OpenSSL 3 server (tests/peers/ossl_peer),
# which renegotiates on a byte budget as OpenSSL servers do: every 512 KiB
# it calls SSL_renegotiate + SSL_do_handshake without waiting for the
# previous renegotiation to finish, so HelloRequests reach the client while
# it is negotiating (RFC 5246 7.4.1.1: the client ignores them). The same
# with TLS 1.3 KeyUpdate every 512 KiB; HelloRequests before and after the
# first ServerHello; both sides renegotiating at once.
#
# Each transfer is checked at both ends: tlsprobe's stdout byte for byte,
# the peer's SHA-256 and byte count of what it read or wrote, and the
# renegotiations or KeyUpdates counted on each side. The peer serves one
# connection and prints one "conn 1 ..." line when it ends.

# shellcheck disable=SC2030,SC2031,SC2034,SC2154 # TP_IN, status, OUT, ERR
# are read or set by tests/helpers/peers.bash and by bats, also in helpers
# called from the tests (shellcheck takes each @test for a subshell).
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	export OSSL_PEER=${OSSL_PEER:-$(dirname "$TLSPROBE")/tests/peers/ossl_peer}
	if [ ! -x "$OSSL_PEER" ]; then
		echo "no $OSSL_PEER: it is built with tlsprobe when OpenSSL" \
			"3 is found (libssl-dev, scripts/setup installs it)" >&2
		return 1
	fi
	head -c 33554432 /dev/urandom >"$TP_DIR/random32.bin"
	head -c 16777216 "$TP_DIR/random32.bin" >"$TP_DIR/random16.bin"
}

teardown() {
	tp_dump_on_failure
	tp_stop_all
}

# start_peer NAME [ARGS...]: ossl_peer for one connection, with the good
# leaf certificate. Sets PEER to NAME.
start_peer() {
	local name=$1 port
	shift
	port=$(tp_free_port)
	tp_start "$name" "$port" "$OSSL_PEER" --port "$port" --count 1 \
		--cert "$CERTS/leaf.pem" --key "$CERTS/leaf.key" "$@"
	PEER=$name
}

# run_client ARGS...: tlsprobe --quiet with a JSON summary, against $PEER.
run_client() {
	TP_LIMIT=${TP_LIMIT:-60} tp_probe --quiet \
		--json "$BATS_TEST_TMPDIR/s.json" --ca-file "$CERTS/ca.pem" \
		"$@" "localhost:$(cat "$TP_DIR/$PEER.port")"
}

# peer_report: wait for the peer's line about the connection (it prints it
# once the connection is over, maybe after tlsprobe has exited), show it,
# and fail unless it says "ok".
peer_report() {
	wait_for 10 grep -q '^conn 1 ' "$TP_DIR/$PEER.log"
	REPORT=$(grep '^conn 1 ' "$TP_DIR/$PEER.log")
	echo "# peer: $REPORT" >&2
	[[ $REPORT == "conn 1 ok:"* ]]
}

# peer_num FIELD: the number after FIELD in the peer's report.
peer_num() {
	sed -n "s/.* $1 \\([0-9]*\\).*/\\1/p" <<<"$REPORT"
}

# peer_sum read|wrote: the byte count and SHA-256 the peer reports.
peer_sum() {
	sed -n "s/.* $1 \\([0-9]*\\) sha256 \\([0-9a-f]*\\).*/\\1 \\2/p" \
		<<<"$REPORT"
}

# sum FILE: "BYTES SHA256" of FILE, as peer_sum prints it.
sum() {
	echo "$(wc -c <"$1") $(sha256sum <"$1" | cut -d' ' -f1)"
}

# client_num KEY: connection.KEY of tlsprobe's JSON report (the report
# has a timing.renegotiations too, an array).
client_num() {
	jq -e ".connection.$1 | numbers" "$BATS_TEST_TMPDIR/s.json"
}

# open_stdin: a stdin that stays open (60 s at most) so that tlsprobe does
# not send close_notify first: a download ends with the server's.
open_stdin() {
	: >"$BATS_TEST_TMPDIR/empty"
	tp_input_then_wait "$BATS_TEST_TMPDIR/empty" 60
}

# check_renegotiations MIN: both ends completed at least MIN.
check_renegotiations() {
	local server client
	server=$(peer_num renegotiations)
	client=$(client_num renegotiations)
	echo "# renegotiations: server $server completed" \
		"($(peer_num hello_requests) HelloRequests), client $client" >&2
	[ "$server" -ge "$1" ]
	[ "$client" -ge "$1" ]
}

# check_key_updates MIN: the peer sent at least MIN KeyUpdates and the
# client saw each one.
check_key_updates() {
	local sent
	sent=$(peer_num key_updates_sent)
	echo "# KeyUpdates: server sent $sent, client received" \
		"$(client_num key_updates_received)" >&2
	[ "$sent" -ge "$1" ]
	[ "$(client_num key_updates_received)" -eq "$sent" ]
}

# ---- TLS 1.2: a renegotiation every 512 KiB ----

@test "16 MiB full-duplex echo, OpenSSL renegotiating every 512 KiB (TLS 1.2): byte-exact, 0" {
	start_peer reneg_echo --tls 1.2 --mode echo --every 512K
	TP_IN=$TP_DIR/random16.bin
	run_client
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random16.bin" "$OUT"
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum read)" = "$(sum "$TP_DIR/random16.bin")" ]
	check_renegotiations 2
}

@test "32 MiB upload to a sink renegotiating every 512 KiB (TLS 1.2): byte-exact, 0" {
	start_peer reneg_sink --tls 1.2 --mode sink --every 512K
	TP_IN=$TP_DIR/random32.bin
	run_client
	[ "$status" -eq 0 ]
	[ ! -s "$OUT" ]
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum read)" = "$(sum "$TP_DIR/random32.bin")" ]
	check_renegotiations 2
}

@test "32 MiB download from a source renegotiating every 512 KiB (TLS 1.2): byte-exact, 0" {
	start_peer reneg_source --tls 1.2 --mode source --bytes 32M \
		--every 512K
	TP_IN=$(open_stdin)
	run_client
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum wrote)" = "$(sum "$OUT")" ]
	[ "$(wc -c <"$OUT")" -eq 33554432 ]
	check_renegotiations 2
}

# ---- TLS 1.3: a KeyUpdate every 512 KiB ----

@test "16 MiB full-duplex echo, KeyUpdate (update_requested) every 512 KiB (TLS 1.3): byte-exact, 0" {
	start_peer ku_echo --tls 1.3 --mode echo --every 512K
	TP_IN=$TP_DIR/random16.bin
	run_client
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random16.bin" "$OUT"
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum read)" = "$(sum "$TP_DIR/random16.bin")" ]
	check_key_updates 2
	# Asked for ours: at least one came back (several requests may be
	# answered by one KeyUpdate, RFC 8446 4.6.3).
	[ "$(peer_num key_updates_received)" -ge 1 ]
}

@test "32 MiB upload, KeyUpdate (not requested) every 512 KiB (TLS 1.3): byte-exact, 0" {
	start_peer ku_sink --tls 1.3 --mode sink --every 512K \
		--no-update-request
	TP_IN=$TP_DIR/random32.bin
	run_client
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum read)" = "$(sum "$TP_DIR/random32.bin")" ]
	check_key_updates 2
	[ "$(peer_num key_updates_received)" -eq 0 ]
}

@test "32 MiB download, KeyUpdate (update_requested) every 512 KiB (TLS 1.3): byte-exact, 0" {
	start_peer ku_source --tls 1.3 --mode source --bytes 32M --every 512K
	TP_IN=$(open_stdin)
	run_client
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_sum wrote)" = "$(sum "$OUT")" ]
	[ "$(wc -c <"$OUT")" -eq 33554432 ]
	check_key_updates 2
	[ "$(peer_num key_updates_received)" -ge 1 ]
}

# ---- HelloRequest inside the first handshake ----

# hello_in_handshake WHERE [TLSPROBE ARGS...]: ossl_peer sends a HelloRequest
# WHERE (before-sh) in the first handshake, then 64 KiB. The
# client ignores it: exit 0, the data, and no renegotiation at either end.
hello_in_handshake() {
	local where=$1
	shift
	start_peer "hello_$where" --tls 1.2 --mode source --bytes 64K \
		"--hello-$where"
	TP_IN=$(open_stdin)
	run_client "$@"
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	peer_report
	[ "$(peer_num raw_hello_requests)" -eq 1 ]
	[ "$(peer_sum wrote)" = "$(sum "$OUT")" ]
	[ "$(wc -c <"$OUT")" -eq 65536 ]
	[ "$(peer_num client_hellos)" -eq 1 ]
	[ "$(client_num renegotiations)" -eq 0 ]
}

@test "HelloRequest before the ServerHello (--tls1.2): ignored, 0" {
	hello_in_handshake before-sh --tls1.2
}

@test "HelloRequest before the ServerHello (TLS 1.3 offered, 1.2 server): ignored, 0" {
	hello_in_handshake before-sh
}

@test "HelloRequest right after the ServerHello: ignored, no renegotiation after the handshake, 0" {
	# Unpatched, the client starts a renegotiation at its first read
	# after the handshake. An echo peer reads on until our close_notify,
	# which goes only after the echoed line is back: any such ClientHello
	# was sent before it, so the peer (which accepts renegotiations from
	# the client) is sure to count it.
	start_peer hello_after --tls 1.2 --mode echo --client-reneg \
		--hello-after-sh
	local fifo=$BATS_TEST_TMPDIR/stdin w pid
	mkfifo "$fifo"
	OUT=$BATS_TEST_TMPDIR/stdout ERR=$BATS_TEST_TMPDIR/stderr
	timeout -k 2 30 "$TLSPROBE" --quiet --tls1.2 \
		--json "$BATS_TEST_TMPDIR/s.json" --ca-file "$CERTS/ca.pem" \
		"localhost:$(cat "$TP_DIR/$PEER.port")" <"$fifo" >"$OUT" \
		2>"$ERR" 3>&- &
	pid=$!
	# Opened after the fork, so that we hold the only write end.
	exec {w}>"$fifo"
	echo hello >&"$w"
	wait_for 10 grep -qs '^hello$' "$OUT"
	exec {w}>&- # end of input
	status=0
	wait "$pid" || status=$?
	echo "# tlsprobe exit status $status; stderr:" >&2
	cat "$ERR" >&2
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	tp_stdout_is 'hello\n'
	peer_report
	[ "$(peer_num raw_hello_requests)" -eq 1 ]
	[ "$(peer_num client_hellos)" -eq 1 ]
	[ "$(peer_num renegotiations)" -eq 0 ]
	[ "$(client_num renegotiations)" -eq 0 ]
}

# ---- both sides at once ----

@test "both sides renegotiate at once (:reneg every 20 lines, server every 2 KiB): every line back, 0" {
	start_peer both --tls 1.2 --mode echo --every 2K --client-reneg
	awk '{ print "data line " $1 " ................................" }
		NR % 20 == 0 { print ":reneg" }' <(seq 1 3000) \
		>"$BATS_TEST_TMPDIR/in"
	grep -v '^:' "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/want"
	TP_IN=$BATS_TEST_TMPDIR/in
	run_client --tls1.2 --commands
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	peer_report
	[ "$(peer_sum read)" = "$(sum "$BATS_TEST_TMPDIR/want")" ]
	# Ours (150) and the server's HelloRequests crossed: the server saw
	# a ClientHello for each :reneg, all of them completed.
	[ "$(peer_num hello_requests)" -ge 2 ]
	[ "$(peer_num client_hellos)" -ge 151 ]
	check_renegotiations 150
}
