#!/usr/bin/env bats
# Issue 16, item 6: the smaller ones. (Ctrl-\ is in signals.bats, the key
# log on a full disk in security.bats.)

# shellcheck disable=SC2034,SC2154,SC2153 # TP_IN, TP_PORT, status, OUT, ERR:
# peers.bash and bats set and read them
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	tp_start_fake http garbage
	export HTTP_PORT=$TP_PORT
	# An echo server that sends a KeyUpdate with update_requested every
	# 16 KiB it reads.
	tp_start_tlsprobe_serve ku --tls1.3 --key-update-every 16k
	export KU_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

@test "key_updates_sent counts the KeyUpdates sent in reply to update_requested" {
	head -c 262144 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	TP_IN=$BATS_TEST_TMPDIR/in
	tp_probe --quiet --json "$BATS_TEST_TMPDIR/r.json" \
		--ca-file "$TP_DIR/ku-ca.pem" "localhost:$KU_PORT"
	[ "$status" -eq 0 ]
	cmp "$OUT" "$TP_IN"
	wait_for 5 grep -q 'closed after' "$TP_DIR/ku.log"
	local rx tx got
	rx=$(jq .connection.key_updates_received "$BATS_TEST_TMPDIR/r.json")
	tx=$(jq .connection.key_updates_sent "$BATS_TEST_TMPDIR/r.json")
	got=$(grep -c 'KeyUpdate received' "$TP_DIR/ku.log")
	echo "# received $rx, sent $tx; the server received $got" >&2
	[ "$rx" -ge 10 ]
	# wolfSSL answers each request, or several at once with one
	# (RFC 8446 4.6.3): what counts is what the server got.
	[ "$got" -gt 0 ]
	[ "$tx" -eq "$got" ]
}

@test "a server that answers in plain HTTP is named as such" {
	TP_IN=$(tp_input 'hello\n')
	tp_probe --timeout 5 --ca-file "$CERTS/ca.pem" "localhost:$HTTP_PORT"
	[ "$status" -eq 4 ]
	tp_stderr_has 'not TLS \(it looks like HTTP\): "HTTP/1\.0 200 OK"'
	run ! grep -q 'record layer length' "$ERR"
}

@test "the --reconnect cap of 100 is in --help" {
	run -0 "$TLSPROBE" --help
	[[ "$output" == *"--reconnect N"*"(at most 100)"* ]]
}

@test "serve on port 0 says the port the kernel chose, and serves on it" {
	local port
	# 3>&-: bats waits for whatever holds its fd 3. The pid file lets
	# teardown_file (tp_stop_all) stop serve when a check below fails.
	"$TLSPROBE" serve --naccept 1 127.0.0.1:0 \
		2>"$BATS_TEST_TMPDIR/serve.log" 3>&- &
	local pid=$!
	echo "$pid" >"$TP_DIR/port0.pid"
	# The line comes after the listen: wait for it, not for a time.
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^serve: listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' \
			"$BATS_TEST_TMPDIR/serve.log")
		[ -n "$port" ] && break
		sleep 0.05
	done
	echo "# serve said: $(cat "$BATS_TEST_TMPDIR/serve.log")" >&2
	[ -n "$port" ] && [ "$port" -gt 0 ]
	TP_IN=$(tp_input 'hi\n')
	tp_probe --insecure --quiet "127.0.0.1:$port"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hi\n'
	wait "$pid"
	rm -f "$TP_DIR/port0.pid"
}

@test "serve :PORT listens on the loopback default" {
	local port
	port=$(tp_free_port)
	tp_start colon "$port" "$TLSPROBE" serve ":$port"
	grep -q "listening on 127.0.0.1 port $port" "$TP_DIR/colon.log"
	TP_IN=$(tp_input 'hi\n')
	tp_probe --insecure --quiet "127.0.0.1:$port"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hi\n'
}
