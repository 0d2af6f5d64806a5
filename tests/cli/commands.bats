#!/usr/bin/env bats
# One command line for every command: connect, serve and probe report an
# unknown option, a missing argument, a bad number or TLS version in the
# same one-line shape with exit status 2, and take the same TLS version
# spellings (cli/common/cmdline.c).

# shellcheck disable=SC2034,SC2154 # status, output, stderr, stderr_lines
# are set by bats.
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
}

# usage_error_shape CMD MESSAGE-REGEX: the last run printed exactly one
# line, "tlsprobe[ CMD]: MESSAGE (see 'tlsprobe[ CMD] --help')", nothing
# on stdout, and exited 2.
usage_error_shape() {
	local cmd=$1 msg=$2 prefix=tlsprobe
	[ -n "$cmd" ] && prefix="tlsprobe $cmd"
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr =~ ^$prefix:\ $msg\ \(see\ \'$prefix\ --help\'\)$ ]]
}

@test "an unknown option reads the same in every command" {
	run --separate-stderr timeout 10 "$TLSPROBE" --bogus localhost
	usage_error_shape "" "unrecognized option '--bogus'"
	run --separate-stderr timeout 10 "$TLSPROBE" connect --bogus localhost
	usage_error_shape "" "unrecognized option '--bogus'"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --bogus 0
	usage_error_shape serve "unrecognized option '--bogus'"
	run --separate-stderr timeout 10 "$TLSPROBE" probe --bogus
	usage_error_shape probe "unrecognized option '--bogus'"
	run --separate-stderr timeout 10 "$TLSPROBE" probe reneg --bogus localhost
	usage_error_shape "probe reneg" "unrecognized option '--bogus'"
}

@test "a missing option argument reads the same in every command" {
	run --separate-stderr timeout 10 "$TLSPROBE" localhost --timeout
	usage_error_shape "" "option '--timeout' requires an argument"
	run --separate-stderr timeout 10 "$TLSPROBE" serve 0 --naccept
	usage_error_shape serve "option '--naccept' requires an argument"
	run --separate-stderr timeout 10 "$TLSPROBE" probe reneg localhost --attempts
	usage_error_shape "probe reneg" \
		"option '--attempts' requires an argument"
}

@test "numbers: digits only, in range, in every command (serve --naccept 2x)" {
	run --separate-stderr timeout 10 "$TLSPROBE" --timeout 2x localhost
	usage_error_shape "" "invalid --timeout '2x' \(want 0-86400\)"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --naccept 2x 0
	usage_error_shape serve "invalid --naccept '2x' \(want 1-[0-9]+\)"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --hello-request-interval 1s 0
	usage_error_shape serve \
		"invalid --hello-request-interval '1s' \(want 1-86400\)"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --client-reneg limit:3x 0
	usage_error_shape serve "invalid --client-reneg 'limit:3x' .*"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --source-bytes -1 0
	usage_error_shape serve "invalid --source-bytes '-1' .*"
	run --separate-stderr timeout 10 "$TLSPROBE" probe reneg --attempts 2x localhost
	usage_error_shape "probe reneg" "invalid --attempts '2x' \(want 1-[0-9]+\)"
}

@test "TLS versions: one set of spellings; serve --min-tls 1 is not TLS 1.0" {
	run --separate-stderr timeout 10 "$TLSPROBE" --min-tls 1 localhost
	usage_error_shape "" "invalid TLS version '1' \(want 1.0, 1.1, 1.2 or 1.3\)"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --min-tls 1 0
	usage_error_shape serve \
		"invalid TLS version '1' \(want 1.0, 1.1, 1.2 or 1.3\)"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --tls1.2 --max-tls 1.3 0
	usage_error_shape serve "--tls1.x pins one version; .*"
	run --separate-stderr timeout 10 "$TLSPROBE" serve --min-tls 1.3 --max-tls 1.2 0
	usage_error_shape serve "--min-tls is above --max-tls"
}

@test "serve takes connect's spellings: --min-tls tls12 --max-tls TLSv1.2" {
	tp_start_tlsprobe_serve v12 --min-tls tls12 --max-tls TLSv1.2
	run --separate-stderr timeout 20 "$TLSPROBE" --brief \
		--ca-file "$TP_DIR/v12-ca.pem" "localhost:$TP_PORT" </dev/null
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ $stderr == *TLSv1.2* ]]
	# The server refuses what its bounds leave out.
	run --separate-stderr timeout 20 "$TLSPROBE" --tls1.3 \
		--ca-file "$TP_DIR/v12-ca.pem" "localhost:$TP_PORT" </dev/null
	echo "$stderr"
	[ "$status" -eq 4 ]
}

@test "serve --write-ca into a missing directory: one line that says why" {
	run --separate-stderr timeout 20 "$TLSPROBE" serve \
		--write-ca /nonexistent/dir/ca.pem 0
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "tlsprobe serve: --write-ca '/nonexistent/dir/ca.pem': "* ]]
	[[ $stderr != *"no error"* ]]
}

@test "one TCP connect: a refused port reads the same with and without --starttls" {
	local port plain
	port=$(tp_free_port)
	run --separate-stderr timeout 20 "$TLSPROBE" "127.0.0.1:$port" </dev/null
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 3 ]
	plain=$stderr
	[[ $plain == "tlsprobe: cannot connect to 127.0.0.1 port $port: Connection refused"* ]]
	run --separate-stderr timeout 20 "$TLSPROBE" --starttls smtp \
		"127.0.0.1:$port" </dev/null
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 3 ]
	[ "$stderr" = "$plain" ]
}
