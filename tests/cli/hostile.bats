#!/usr/bin/env bats
# Hostile peers (issue 6, item 2): non-TLS bytes, garbage and truncated
# records, close and reset at each handshake step, stalls before, within
# and after the handshake, alert storms, renegotiation and KeyUpdate
# storms, huge certificate chains, oversized records.
#
# For each case: the documented exit status (README, tlsprobe(1) EXIT
# STATUS), exactly one `tlsprobe: ...` line on stderr under --quiet (none
# on success), bounded time (measured in ms, well inside --timeout for the
# cases that need no timer), no crash (status < 128), and no loss of data
# already received: when the peer sent "payload\n" before misbehaving,
# stdout holds it.
#
# Most peers are tests/helpers/hostile.py (one per case, one connection);
# storms use `tlsprobe serve` and `openssl s_server`, chains come from
# tests/helpers/bigchain.sh. Set HOSTILE_TABLE=FILE to get one line per
# case (mode, version, expected and actual status, ms) appended to FILE.

# shellcheck disable=SC2034,SC2154 # TP_IN, status, elapsed are read or set
# by tests/helpers/peers.bash and by bats.
bats_require_minimum_version 1.5.0
load ../helpers/peers

# Client timeout for the handshake, in seconds, and how fast the cases
# that need no timer must end (ms): well inside it.
TO=3
FAST_MS=1500

setup_file() {
	tp_setup_file
	if ! command -v python3 >/dev/null; then
		echo "python3 is needed for tests/helpers/hostile.py" >&2
		return 1
	fi
	"$TP_HELPERS/bigchain.sh" "$CERTS/big" 30
	head -c 524288 /dev/urandom >"$TP_DIR/random.bin"
}

teardown_file() {
	tp_stop_all
}

teardown() {
	tp_dump_on_failure
	# Per-test peers: stop them and drop their logs, so that a later
	# failure dumps only its own.
	local f
	for f in "$TP_DIR"/hs-*.pid; do
		[ -e "$f" ] || continue
		tp_stop "$(basename "$f" .pid)"
	done
	rm -f "$TP_DIR"/hs-*.log
}

# hs_start MODE [HOSTILE ARGS...]: a hostile.py peer for one connection.
# Sets HS_PORT and HS_NAME.
hs_start() {
	local mode=$1 port
	shift
	port=$(tp_free_port)
	HS_NAME=hs-$mode-$port
	tp_start "$HS_NAME" "$port" python3 "$TP_HELPERS/hostile.py" \
		--cert "$CERTS/leaf.pem" --key "$CERTS/leaf.key" "$@" \
		"$port" "$mode"
	HS_PORT=$port
}

# hs_stdin_open: a stdin that yields nothing and stays open 20 s, so that
# the client does not close first and must react to the peer.
hs_stdin_open() {
	: >"$BATS_TEST_TMPDIR/empty"
	tp_input_then_wait "$BATS_TEST_TMPDIR/empty" 20
}

# hs_run [TLSPROBE ARGS...]: tp_probe with --quiet; sets ms too.
hs_run() {
	local t0 t1
	t0=$(date +%s%N)
	tp_probe --quiet "$@"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "# took ${ms} ms" >&2
}

# hs_result OUT ERR MS: what hs_check looks at, for runs made otherwise.
hs_result() {
	OUT=$1 ERR=$2 ms=$3
}

# hs_check WANT_STATUS MAX_MS WANT_STDOUT [STDERR_ERE]: the status, no
# crash, the time bound, stdout byte for byte (printf format), and stderr:
# empty on success, else exactly one line, `tlsprobe: ...`, matching
# STDERR_ERE when given.
hs_check() {
	local want=$1 max=$2 out=$3 re=${4:-}
	if [ -n "${HOSTILE_TABLE:-}" ]; then
		printf '%-32s want %s got %3s %6d ms\n' \
			"${HS_LABEL:-$BATS_TEST_DESCRIPTION}" "$want" "$status" \
			"$ms" >>"$HOSTILE_TABLE"
	fi
	[ "$status" -lt 128 ] || {
		echo "# crashed or killed: status $status" >&2
		return 1
	}
	[ "$status" -ne 124 ] || {
		echo "# hung: killed by timeout" >&2
		return 1
	}
	[ "$status" -eq "$want" ] || {
		echo "# want status $want, got $status" >&2
		return 1
	}
	[ "$ms" -le "$max" ] || {
		echo "# took $ms ms, more than $max" >&2
		return 1
	}
	tp_stdout_is "$out"
	if [ "$want" -eq 0 ]; then
		[ ! -s "$ERR" ] || {
			echo "# stderr not empty under --quiet" >&2
			return 1
		}
		return 0
	fi
	[ "$(wc -l <"$ERR")" -eq 1 ] || {
		echo "# want exactly one line on stderr" >&2
		return 1
	}
	grep -q '^tlsprobe: ' "$ERR" || {
		echo "# the line does not start with 'tlsprobe: '" >&2
		return 1
	}
	[ -z "$re" ] || tp_stderr_has "$re"
}

# hs_case MODE VERSION WANT_STATUS WANT_STDOUT [STDERR_ERE]: one
# hostile.py case with stdin held open; VERSION 1.2, 1.3 or any. Extra
# hostile.py arguments come from $HS_ARGS, extra client ones from $TP_ARGS.
hs_case() {
	local mode=$1 v=$2 want=$3 out=$4 re=${5:-} pin=() cpin=()
	if [ "$v" != any ]; then
		pin=(--tls "$v")
		cpin=("--tls$v")
	fi
	# shellcheck disable=SC2086 # word splitting of the extras is wanted
	hs_start "$mode" "${pin[@]}" ${HS_ARGS:-}
	TP_IN=$(hs_stdin_open)
	# shellcheck disable=SC2086
	hs_run --timeout "$TO" "${cpin[@]}" ${TP_ARGS:-} \
		--ca-file "$CERTS/ca.pem" "localhost:$HS_PORT"
	HS_LABEL="$mode $v${HS_ARGS:+ $HS_ARGS}" \
		hs_check "$want" "$FAST_MS" "$out" "$re"
	tp_stop "$HS_NAME"
}

# ---- before the handshake ----

# storm_await PATTERN FILE N: wait (10 s at most) until FILE has N lines
# matching PATTERN. A peer's log and our stdout are the only signs of how
# far it got.
storm_await() {
	local tries=1000
	while [ "$(grep -c -- "$1" "$2" 2>/dev/null)" -lt "$3" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.01
	done
}

# s_server_storm NAME VERSION CMD COUNTER: s_server gets CMD (r: a
# HelloRequest, K: a KeyUpdate asking for ours) 50 times with a line after
# each; every line must arrive and COUNTER (in --json) must be 50. s_server's
# Q closes without close_notify (a quiet shutdown) while our stdin is still
# open: the unannounced close is reported (6), as for any server doing so.
s_server_storm() {
	local name=$1 version=$2 cmd=$3 counter=$4 i n
	tp_start_s_server "$name" "$version"
	# s_server takes a read of its stdin as a command when it starts
	# with one, and drops the rest of that read: a line must not follow
	# a command into the same read. So each command is awaited in its
	# log ("SSL_do_handshake -> 1") and each line on our stdout before
	# the next is told.
	(
		storm_await '^CIPHER is' "$TP_DIR/$name.log" 1
		for i in $(seq 1 50); do
			tp_tell "$name" "$cmd"
			storm_await 'SSL_do_handshake' "$TP_DIR/$name.log" "$i"
			tp_tell "$name" "line $i"
			storm_await "^line $i\$" "$BATS_TEST_TMPDIR/stdout" 1
		done
		tp_tell "$name" Q
	) >/dev/null 2>&1 3>&- &
	local feeder=$!
	TP_IN=$(hs_stdin_open)
	hs_run --timeout "$TO" --json "$BATS_TEST_TMPDIR/s.json" \
		--ca-file "$CERTS/ca.pem" "localhost:$TP_PORT"
	wait "$feeder"
	seq 1 50 | sed 's/^/line /' >"$BATS_TEST_TMPDIR/want"
	[ "$status" -eq 6 ]
	[ "$(wc -l <"$ERR")" -eq 1 ]
	grep -q 'without close_notify' "$ERR"
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	n=$(json_count "$BATS_TEST_TMPDIR/s.json" "$counter")
	echo "# $n $counter" >&2
	[ "$n" -eq 50 ]
	tp_stop "$name"
}

@test "non-TLS bytes in reply to the ClientHello: 4" {
	hs_case nontls any 4 ''
}

@test "a plaintext banner before the ClientHello (server speaks first): 4" {
	hs_case banner any 4 ''
}

@test "garbage records (valid headers, random bodies): 4" {
	hs_case garbage any 4 ''
}

@test "a truncated record, then close: 4" {
	hs_case truncated any 4 '' 'clos|eof|end'
}

@test "a 2^14+2049-byte plaintext record after the ClientHello: 4" {
	hs_case oversize any 4 '' 'length|size|large|overflow'
}

@test "1000 plaintext warning alerts before the ServerHello: 4, not a hang" {
	# wolfSSL counts warning alerts (5 at most, as OpenSSL): a flood ends
	# the handshake. A client that ignored them would complete it.
	hs_case alerts 1.2 4 '' 'alert'
	hs_case alerts 1.3 4 '' 'alert'
}

# ---- close (FIN) and reset at each handshake step ----

@test "FIN right after accept: 4" {
	hs_case fin-accept any 4 '' 'clos'
}

@test "reset right after accept: 4" {
	hs_case rst-accept any 4 '' 'reset'
}

@test "FIN after reading the ClientHello: 4" {
	hs_case fin-hello any 4 '' 'clos'
}

@test "reset after reading the ClientHello: 4" {
	hs_case rst-hello any 4 '' 'reset'
}

@test "FIN after half a ServerHello: 4" {
	hs_case fin-partial 1.2 4 '' 'clos'
	hs_case fin-partial 1.3 4 '' 'clos'
}

@test "reset after half a ServerHello: 4, reported as a reset" {
	hs_case rst-partial 1.2 4 '' 'reset'
	hs_case rst-partial 1.3 4 '' 'reset'
}

@test "TLS 1.2: FIN after the whole server flight: 4" {
	hs_case fin-flight 1.2 4 '' 'clos'
}

@test "TLS 1.2: reset after the whole server flight: 4" {
	hs_case rst-flight 1.2 4 '' 'reset'
}

@test "TLS 1.3: reset after the server flight (client done): 6" {
	# The TLS 1.3 client has finished its handshake once it has sent
	# its Finished: the reset comes after the handshake.
	hs_case rst-flight 1.3 6 '' 'reset'
}

@test "TLS 1.3: FIN without close_notify after the server flight (client done): 6" {
	# As data-fin: the peer hung up without close_notify.
	hs_case fin-flight 1.3 6 '' 'close_notify|clos|truncat'
}

# ---- stalls ----

@test "stalls before and within the handshake, --timeout 2: 7 at 2 s" {
	# Run at once, each against its own peer: 2 s in all, not 10.
	local cases=(stall-accept:any stall-hello:any stall-sh:1.2
		stall-sh:1.3 stall-flight:1.2) c mode v pids=() port=() ver=()
	local t0 t1 i
	for c in "${cases[@]}"; do
		mode=${c%:*} v=${c#*:}
		if [ "$v" = any ]; then
			hs_start "$mode"
		else
			hs_start "$mode" --tls "$v"
		fi
		port+=("$HS_PORT")
		ver+=("$v")
	done
	t0=$(date +%s%N)
	for i in "${!cases[@]}"; do
		local pin=()
		[ "${ver[$i]}" = any ] || pin=("--tls${ver[$i]}")
		timeout -k 2 20 "$TLSPROBE" --quiet --timeout 2 "${pin[@]}" \
			--ca-file "$CERTS/ca.pem" "localhost:${port[$i]}" \
			</dev/null >"$BATS_TEST_TMPDIR/out$i" \
			2>"$BATS_TEST_TMPDIR/err$i" &
		pids+=($!)
	done
	for i in "${!cases[@]}"; do
		status=0
		wait "${pids[$i]}" || status=$?
		t1=$(date +%s%N)
		hs_result "$BATS_TEST_TMPDIR/out$i" "$BATS_TEST_TMPDIR/err$i" \
			$(((t1 - t0) / 1000000))
		echo "# ${cases[$i]}: status $status after ${ms} ms:" \
			"$(cat "$ERR")" >&2
		HS_LABEL="${cases[$i]/:/ } --timeout 2" \
			hs_check 7 3500 '' 'time'
		# Not before the timer either.
		[ "$ms" -ge 1900 ]
	done
}

@test "TLS 1.3: a stall after the server flight is a stall after the handshake: --linger bounds it" {
	# The client is done after its Finished; --timeout no longer applies.
	hs_start stall-flight --tls 1.3
	hs_run --timeout "$TO" --tls1.3 --linger 1 --ca-file "$CERTS/ca.pem" \
		"localhost:$HS_PORT"
	hs_check 0 2500 ''
}

@test "a stall after the handshake (no data), stdin at EOF, --linger 1: 0 in about 1 s" {
	hs_start stall-after
	hs_run --timeout "$TO" --linger 1 --ca-file "$CERTS/ca.pem" \
		"localhost:$HS_PORT"
	hs_check 0 2500 ''
	[ "$ms" -ge 900 ]
}

@test "payload then a stall, --linger 1: 0 and the payload" {
	hs_start data-stall
	hs_run --timeout "$TO" --linger 1 --ca-file "$CERTS/ca.pem" \
		"localhost:$HS_PORT"
	hs_check 0 2500 'payload\n'
}

# ---- after the handshake: data, then misbehaviour (no data lost) ----

@test "payload, close_notify, close (control): 0" {
	hs_case data-close 1.2 0 'payload\n'
	hs_case data-close 1.3 0 'payload\n'
}

@test "payload, then reset: 6 and the payload" {
	hs_case data-rst 1.2 6 'payload\n' 'reset'
	hs_case data-rst 1.3 6 'payload\n' 'reset'
	# In the same breath: the reset follows the record at once.
	HS_ARGS='--delay 0' hs_case data-rst 1.2 6 'payload\n' 'reset'
	HS_ARGS='--delay 0' hs_case data-rst 1.3 6 'payload\n' 'reset'
}

@test "payload, then random bytes: 6 and the payload" {
	hs_case data-garbage 1.2 6 'payload\n'
	hs_case data-garbage 1.3 6 'payload\n'
	HS_ARGS='--delay 0' hs_case data-garbage 1.2 6 'payload\n'
	HS_ARGS='--delay 0' hs_case data-garbage 1.3 6 'payload\n'
}

@test "payload, then records with bad MACs: 6 and the payload" {
	hs_case data-records 1.2 6 'payload\n'
	hs_case data-records 1.3 6 'payload\n'
	HS_ARGS='--delay 0' hs_case data-records 1.3 6 'payload\n'
}

@test "payload, then an oversized record: 6 and the payload" {
	hs_case data-oversize 1.2 6 'payload\n' 'length|size|large|overflow'
	hs_case data-oversize 1.3 6 'payload\n' 'length|size|large|overflow'
}

@test "payload, then 1000 plaintext warning alerts: 6 and the payload" {
	hs_case data-alerts 1.2 6 'payload\n'
	hs_case data-alerts 1.3 6 'payload\n'
}

@test "payload, then a truncated record and close: 6 and the payload" {
	# 100 of 1000 announced bytes, then FIN: the record is lost, which
	# is an I/O error, not a clean end.
	hs_case data-truncated 1.2 6 'payload\n' 'clos|truncat|eof'
	hs_case data-truncated 1.3 6 'payload\n' 'clos|truncat|eof'
}

@test "payload, then FIN without close_notify: 6 and the payload" {
	# Not a clean close (RFC 8446 6.1): a truncation is indistinguishable.
	hs_case data-fin 1.2 6 'payload\n' 'close_notify|truncat'
	hs_case data-fin 1.3 6 'payload\n' 'close_notify|truncat'
}

# ---- certificate chains ----

@test "a chain of 30 intermediates: 5, one line that says the chain is too long" {
	tp_start_s_server_with deepchain big/deep -rev \
		-cert_chain "$CERTS/big/chain.pem"
	TP_IN=$(tp_input 'hello\n')
	hs_run --timeout "$TO" --ca-file "$CERTS/big/root.pem" \
		"localhost:$TP_PORT"
	hs_check 5 "$FAST_MS" '' 'chain too long'
	tp_stop deepchain
}

@test "a leaf with a 60 KiB extension: 4 (handshake message too large), one line" {
	tp_start_s_server_with fatcert big/fat -rev
	TP_IN=$(tp_input 'hello\n')
	hs_run --timeout "$TO" --ca-file "$CERTS/big/root.pem" \
		"localhost:$TP_PORT"
	hs_check 4 "$FAST_MS" '' 'large|size|long'
	tp_stop fatcert
}

# ---- storms: the session survives and data flows ----

# json_count FILE KEY: the connection's counter KEY in a --json report.
json_count() {
	jq -r --arg k "$2" '.connection[$k]' "$1"
}

@test "HelloRequest storm (tlsprobe serve --hello-request-every 1, source): 0, every byte" {
	tp_have_serve || skip "no 'tlsprobe serve' in this build"
	# One renegotiation after each 16 KiB record the server writes.
	tp_start_tlsprobe_serve rstorm --tls1.2 --mode source \
		--source-bytes 1M --hello-request-every 1
	TP_IN=$(hs_stdin_open)
	hs_run --timeout "$TO" --json "$BATS_TEST_TMPDIR/s.json" \
		--ca-file "$TP_DIR/rstorm-ca.pem" "localhost:$TP_PORT"
	python3 -c 'import sys; b=bytes(97 + i % 26 for i in range(16384)); sys.stdout.buffer.write(b * 64)' \
		>"$BATS_TEST_TMPDIR/want"
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	local n
	n=$(json_count "$BATS_TEST_TMPDIR/s.json" renegotiations)
	echo "# $n renegotiations in $ms ms" >&2
	[ "$n" -ge 60 ]
	tp_stop rstorm
}

@test "HelloRequest storm both ways (echo, a renegotiation after each read): 0, every byte back" {
	tp_have_serve || skip "no 'tlsprobe serve' in this build"
	tp_start_tlsprobe_serve restorm --tls1.2 --hello-request-every 1
	# Paced input, 16 KiB every 50 ms, so that renegotiations happen
	# while data flows both ways (all at once, our close_notify would
	# cross the first one). The server echoes each read before it reads
	# on, so every reply is out before its close_notify answers ours.
	head -c 262144 "$TP_DIR/random.bin" >"$BATS_TEST_TMPDIR/want"
	TP_IN=$BATS_TEST_TMPDIR/paced
	mkfifo "$TP_IN"
	python3 -c '
import sys, time
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb", buffering=0) as f:
    for i in range(0, len(data), 16384):
        f.write(data[i:i + 16384])
        time.sleep(0.05)
' "$BATS_TEST_TMPDIR/want" "$TP_IN" >/dev/null 2>&1 3>&- &
	hs_run --timeout "$TO" --json "$BATS_TEST_TMPDIR/s.json" \
		--ca-file "$TP_DIR/restorm-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	cmp "$BATS_TEST_TMPDIR/want" "$OUT"
	local n
	n=$(json_count "$BATS_TEST_TMPDIR/s.json" renegotiations)
	echo "# $n renegotiations in $ms ms" >&2
	[ "$n" -ge 8 ]
	tp_stop restorm
}

@test "HelloRequest storm from openssl s_server ('r' x 50, lines between): every line, then 6 for the quiet close" {
	s_server_storm rdriver -tls1_2 r renegotiations
}

@test "KeyUpdate flood (tlsprobe serve --key-update-every 1, source, update_requested): 0, every byte" {
	tp_have_serve || skip "no 'tlsprobe serve' in this build"
	# A KeyUpdate asking for ours after each 16 KiB record: 256.
	tp_start_tlsprobe_serve kstorm --tls1.3 --mode source \
		--source-bytes 4M --key-update-every 1
	TP_IN=$(hs_stdin_open)
	hs_run --timeout "$TO" --json "$BATS_TEST_TMPDIR/s.json" \
		--ca-file "$TP_DIR/kstorm-ca.pem" "localhost:$TP_PORT"
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	[ "$(wc -c <"$OUT")" -eq 4194304 ]
	local n
	n=$(json_count "$BATS_TEST_TMPDIR/s.json" key_updates_received)
	echo "# $n key updates received in $ms ms" >&2
	[ "$n" -eq 256 ]
	tp_stop kstorm
}

@test "KeyUpdate flood from openssl s_server ('K' x 50, lines between): every line, then 6 for the quiet close" {
	s_server_storm kdriver -tls1_3 K key_updates_received
}
