#!/usr/bin/env bats
# End of input against a server that answers late (tlsprobe serve
# --reply-delay): tlsprobe sends close_notify at stdin EOF and still takes
# every reply until the peer closes; --linger SECS bounds that wait.

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
