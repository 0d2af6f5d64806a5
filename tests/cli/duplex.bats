#!/usr/bin/env bats
# Full duplex while the peer rekeys: random bytes go up and come back
# through `tlsprobe serve --mode echo` while the server renegotiates (TLS
# 1.2, HelloRequest) or sends KeyUpdate (TLS 1.3), and while the client
# renegotiates on `:reneg` lines (--commands). The echoed stream must equal
# what was sent (both directions checked at once), the exit status must be
# 0, and the logs must show the rekeying happened.

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
	# The client writes as fast as the socket buffers take it (several
	# MiB on loopback), then sends close_notify; a HelloRequest that
	# reaches it after that cannot complete. 32 MiB with a HelloRequest
	# every 64 KiB gave 4 to 20 completed renegotiations per connection
	# (TLS 1.2); KeyUpdate needs no answer, so 8 MiB gives 32 of them.
	head -c 33554432 /dev/urandom >"$TP_DIR/random32.bin"
	head -c 8388608 "$TP_DIR/random32.bin" >"$TP_DIR/random8.bin"
	tp_start_tlsprobe_serve hello12 --mode echo --tls1.2 \
		--hello-request-every 65536
	export HELLO12_PORT=$TP_PORT
	tp_start_tlsprobe_serve ku13 --mode echo --tls1.3 \
		--key-update-every 262144
	export KU13_PORT=$TP_PORT
	tp_start_tlsprobe_serve echo12 --mode echo --tls1.2
	export ECHO12_PORT=$TP_PORT
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
}

# count_in_log PEER ERE: how many lines of PEER's log match ERE.
count_in_log() {
	grep -Ec -- "$2" "$TP_DIR/$1.log" || true
}

@test "32 MiB echoed while the server renegotiates (TLS 1.2 HelloRequest every 64 KiB)" {
	TP_IN=$TP_DIR/random32.bin
	TP_LIMIT=120 tp_probe --quiet --ca-file "$TP_DIR/hello12-ca.pem" \
		"localhost:$HELLO12_PORT"
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random32.bin" "$OUT"
	[ ! -s "$ERR" ] # --quiet: nothing but errors, and there are none
	local n
	n=$(count_in_log hello12 'renegotiation completed')
	echo "# $n server renegotiations completed" >&2
	[ "$n" -ge 2 ]
}

@test "8 MiB echoed while the server sends KeyUpdate (TLS 1.3, every 256 KiB)" {
	TP_IN=$TP_DIR/random8.bin
	TP_LIMIT=60 tp_probe --quiet --ca-file "$TP_DIR/ku13-ca.pem" \
		"localhost:$KU13_PORT"
	[ "$status" -eq 0 ]
	cmp "$TP_DIR/random8.bin" "$OUT"
	[ ! -s "$ERR" ]
	local n
	n=$(count_in_log ku13 'KeyUpdate sent')
	echo "# $n server KeyUpdates sent" >&2
	[ "$n" -ge 2 ]
	# Every KeyUpdate asks for one back; a refused or broken key
	# change would end the connection with an alert instead.
	[ "$(count_in_log ku13 'fatal alert|error')" -eq 0 ]
}

@test "--commands: 2000 data lines with :reneg every 200 lines (TLS 1.2)" {
	seq 1 2000 | sed 's/^/data line /' |
		awk '{ print } NR % 200 == 0 { print ":reneg" }' \
			>"$BATS_TEST_TMPDIR/cmds"
	grep -v '^:' "$BATS_TEST_TMPDIR/cmds" >"$BATS_TEST_TMPDIR/want"
	[ "$(grep -c '^:reneg$' "$BATS_TEST_TMPDIR/cmds")" -eq 10 ]
	TP_IN=$BATS_TEST_TMPDIR/cmds
	TP_LIMIT=60 tp_probe --commands --ca-file "$TP_DIR/echo12-ca.pem" \
		"localhost:$ECHO12_PORT"
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	local n
	n=$(grep -Eci 'renegotiat.*(done|complete|succe)' "$ERR" || true)
	echo "# client reported $n renegotiations done" >&2
	[ "$n" -eq 10 ]
	[ "$(count_in_log echo12 'renegotiation completed')" -eq 10 ]
}

# size_is FILE N: FILE holds N bytes.
size_is() {
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -eq "$2" ]
}

# other_client_duplex NAME CMD...: 2 MiB of random bytes through hello12
# with another client, whose stdin stays open until all of it came back
# (s_client and gnutls-cli end on stdin EOF and would cut the echo short);
# then it is stopped. The echo must be byte-exact, and the server must
# have completed a renegotiation with that client. Only one is certain:
# serve asks again 64 KiB after the last one completed, and a client that
# answers its HelloRequest late (gnutls-cli did in one full run) may
# have sent all 2 MiB by then.
other_client_duplex() {
	local name=$1 in=$BATS_TEST_TMPDIR/$1.in out=$BATS_TEST_TMPDIR/$1.out
	local before pid
	shift
	head -c 2097152 "$TP_DIR/random32.bin" >"$BATS_TEST_TMPDIR/want"
	before=$(count_in_log hello12 'renegotiation completed')
	mkfifo "$in"
	"$@" <"$in" >"$out" 2>"$BATS_TEST_TMPDIR/$name.err" &
	pid=$!
	exec 7>"$in"
	# Bounded: a client stuck in its renegotiation stops reading stdin.
	timeout 60 cat "$BATS_TEST_TMPDIR/want" >&7 || true
	wait_for 30 size_is "$out" 2097152 || true
	exec 7>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	cmp "$BATS_TEST_TMPDIR/want" "$out"
	local n=$(($(count_in_log hello12 'renegotiation completed') - before))
	echo "# $name: $n server renegotiations completed" >&2
	[ "$n" -ge 1 ]
}

@test "s_client in full duplex while serve renegotiates: no data inside its renegotiation, byte-exact" {
	other_client_duplex s_client openssl s_client -quiet \
		-connect "127.0.0.1:$HELLO12_PORT" \
		-CAfile "$TP_DIR/hello12-ca.pem"
}

@test "gnutls-cli in full duplex while serve renegotiates: byte-exact" {
	# gnutls-cli fails ("Application data were received, while expecting
	# handshake data") on data inside its renegotiation.
	other_client_duplex gnutls-cli gnutls-cli --logfile=/dev/null \
		--x509cafile "$TP_DIR/hello12-ca.pem" -p "$HELLO12_PORT" \
		localhost
}
