#!/usr/bin/env bats
# Options and usage errors: no network peer needed beyond a refused port.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed, stderr_lines
# are read or set by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
}

@test "--version names wolfSSL and shows +renegotiation" {
	run -0 --separate-stderr "$TLSPROBE" --version
	# Version output may go to stdout or stderr; look at both.
	echo "$output $stderr" | grep -qi 'wolfssl'
	echo "$output $stderr" | grep -q '+renegotiation'
}

@test "--help exits 0 and shows the synopsis" {
	run -0 --separate-stderr "$TLSPROBE" --help
	echo "$output $stderr" | grep -qi 'usage'
	echo "$output $stderr" | grep -q 'HOST'
}

@test "unknown option: exit 2, one line on stderr, nothing on stdout" {
	run -2 --separate-stderr "$TLSPROBE" --no-such-option localhost:4433
	[ "${#stderr_lines[@]}" -eq 1 ]
	echo "$stderr" | grep -q 'no-such-option'
	[ -z "$output" ]
}

@test "no HOST: exit 2" {
	run -2 --separate-stderr "$TLSPROBE"
	[ -n "$stderr" ]
	[ -z "$output" ]
}

@test "port out of range (localhost:99999): exit 2, one line on stderr" {
	run -2 --separate-stderr "$TLSPROBE" localhost:99999
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ -z "$output" ]
}

@test "port not a number (localhost:abc): exit 2, one line on stderr" {
	run -2 --separate-stderr "$TLSPROBE" localhost:abc
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ -z "$output" ]
}

@test "bad --timeout value: exit 2" {
	run -2 --separate-stderr "$TLSPROBE" --timeout xyz localhost:4433
	[ -n "$stderr" ]
}

@test "unreadable --ca-file: exit 1 or 2 with the file named" {
	port=$(tp_free_port)
	run --separate-stderr timeout 20 "$TLSPROBE" \
		--ca-file /nonexistent/ca.pem "127.0.0.1:$port"
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
	echo "$stderr" | grep -q '/nonexistent/ca.pem'
}
