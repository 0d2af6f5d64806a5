# shellcheck shell=bash
# Bats helpers: real TLS peers on loopback, and a way to run tlsprobe.
#
# Load from a suite in tests/cli with `load ../helpers/peers`. Typical use:
#
#   setup_file() {
#           tp_setup_file                     # certificates, state dir
#           tp_start_s_server rev -rev        # openssl s_server -rev
#           export REV_PORT=$TP_PORT          # tests see exported vars only
#   }
#   teardown_file() { tp_stop_all; }
#   teardown() { tp_dump_on_failure; }
#
#   @test "..." {
#           TP_IN=$(tp_input 'hello\n')
#           tp_probe --ca-file "$CERTS/ca.pem" "localhost:$REV_PORT"
#           [ "$status" -eq 0 ]
#           tp_stdout_is 'olleh\n'
#   }
#
# Peers are started in the background with fd 3 closed (or bats hangs),
# their stdin a fifo opened read-write so it never reaches EOF (s_server ends
# a connection at stdin EOF) and so tests can send it commands (`tp_tell`).
# Readiness is checked by looking for the listening socket with `ss`, never
# by connecting: a probe connection would count against `-naccept` and
# would show up in the peer's log as a failed handshake.
#
# Each peer NAME keeps its files in $TP_DIR: NAME.pid, NAME.port, NAME.log
# (stdout and stderr), NAME.in (the stdin fifo).

TP_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
TLSPROBE=${TLSPROBE:-$TP_TOP/build/tlsprobe}
TP_HELPERS=$TP_TOP/tests/helpers

# How long a peer may take to listen, in tenths of a second.
TP_LISTEN_WAIT=${TP_LISTEN_WAIT:-100}

# tp_setup_file: per-file state directory and fresh certificates in $CERTS
# (see certs.sh for the files). Call first in setup_file.
tp_setup_file() {
	export TP_DIR=$BATS_FILE_TMPDIR
	export CERTS=$TP_DIR/certs
	export TLSPROBE
	"$TP_HELPERS/certs.sh" "$CERTS"
	if [ ! -x "$TLSPROBE" ]; then
		echo "no $TLSPROBE: build first (scripts/test does)" >&2
		return 1
	fi
}

# tp_port_listening PORT: is something listening on TCP PORT?
tp_port_listening() {
	[ -n "$(ss -Hltn "sport = :$1")" ]
}

# tp_free_port: print a TCP port nothing listens on, below the ephemeral
# range so a client socket cannot hold it. A small race remains (another
# program could take it before our peer does); tp_wait_listen then fails
# with the peer's log.
tp_free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((10000 + RANDOM % 20000))
		if [ ! -e "$TP_DIR/port-$port" ] && ! tp_port_listening "$port"
		then
			: >"$TP_DIR/port-$port"
			echo "$port"
			return 0
		fi
	done
	echo "tp_free_port: no free port found" >&2
	return 1
}

# tp_log NAME: show the last lines of peer NAME's log on stderr.
tp_log() {
	local log=$TP_DIR/$1.log
	echo "---- $1 log ($log), last 40 lines ----" >&2
	tail -n 40 "$log" >&2 2>/dev/null || echo "(no log)" >&2
	echo "---- end of $1 log ----" >&2
}

# tp_wait_listen NAME PORT: wait until peer NAME listens on PORT. Fails,
# with the peer's log, when it exits or does not listen in time.
tp_wait_listen() {
	local name=$1 port=$2 pid
	pid=$(cat "$TP_DIR/$name.pid")
	for _ in $(seq 1 "$TP_LISTEN_WAIT"); do
		if tp_port_listening "$port"; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "peer $name (pid $pid) exited before listening" \
				"on port $port" >&2
			tp_log "$name"
			return 1
		fi
		sleep 0.1
	done
	echo "peer $name (pid $pid) not listening on port $port after" \
		"$((TP_LISTEN_WAIT / 10)) s" >&2
	tp_log "$name"
	return 1
}

# tp_start NAME PORT CMD [ARGS...]: start a peer in the background and wait
# for it to listen on PORT. Sets TP_PORT=PORT.
tp_start() {
	local name=$1 port=$2
	shift 2
	local fifo=$TP_DIR/$name.in
	rm -f "$fifo"
	mkfifo "$fifo"
	echo "$*" >"$TP_DIR/$name.cmd"
	# <> opens the fifo read-write: no EOF ever, and no blocking open.
	"$@" <>"$fifo" >"$TP_DIR/$name.log" 2>&1 3>&- &
	echo $! >"$TP_DIR/$name.pid"
	echo "$port" >"$TP_DIR/$name.port"
	tp_wait_listen "$name" "$port"
	# shellcheck disable=SC2034 # the result, read by callers
	TP_PORT=$port
}

# tp_tell NAME LINE: write LINE to peer NAME's stdin (e.g. `r` makes a
# non-quiet s_server send HelloRequest).
tp_tell() {
	printf '%s\n' "$2" >"$TP_DIR/$1.in"
}

# tp_start_s_server NAME [ARGS...]: openssl s_server on 127.0.0.1 with the
# good leaf certificate, plus ARGS (-rev, -tls1_2, -client_renegotiation,
# -cert/-key to override...). Sets TP_PORT.
tp_start_s_server() {
	local name=$1 port
	shift
	port=$(tp_free_port)
	tp_start "$name" "$port" openssl s_server -accept "127.0.0.1:$port" \
		-cert "$CERTS/leaf.pem" -key "$CERTS/leaf.key" "$@"
}

# tp_start_s_server_with NAME CERTNAME [ARGS...]: s_server presenting
# $CERTS/CERTNAME.pem (expired, wrongname, ...).
tp_start_s_server_with() {
	local name=$1 cert=$2 port
	shift 2
	port=$(tp_free_port)
	tp_start "$name" "$port" openssl s_server -accept "127.0.0.1:$port" \
		-cert "$CERTS/$cert.pem" -key "$CERTS/$cert.key" "$@"
}

# tp_start_s_server_echo NAME [ARGS...]: a byte-exact echo server made of
# `openssl s_server -quiet` whose stdout feeds its own stdin through a fifo
# (with -quiet, s_server copies peer data to stdout raw and sends stdin raw,
# with no command letters). Its log is s_server's stderr only.
tp_start_s_server_echo() {
	local name=$1 port
	shift
	port=$(tp_free_port)
	local fifo=$TP_DIR/$name.in
	rm -f "$fifo"
	mkfifo "$fifo"
	# shellcheck disable=SC2094 # reading and writing the fifo is the point
	openssl s_server -quiet -accept "127.0.0.1:$port" \
		-cert "$CERTS/leaf.pem" -key "$CERTS/leaf.key" "$@" \
		<>"$fifo" >"$fifo" 2>"$TP_DIR/$name.log" 3>&- &
	echo $! >"$TP_DIR/$name.pid"
	echo "$port" >"$TP_DIR/$name.port"
	tp_wait_listen "$name" "$port"
	# shellcheck disable=SC2034 # the result, read by callers
	TP_PORT=$port
}

# tp_start_gnutls_serv NAME [ARGS...]: gnutls-serv (all addresses) with the
# good leaf, plus ARGS (--echo, --priority ...). Sets TP_PORT.
tp_start_gnutls_serv() {
	local name=$1 port
	shift
	port=$(tp_free_port)
	tp_start "$name" "$port" gnutls-serv --port "$port" \
		--x509certfile "$CERTS/leaf.pem" --x509keyfile "$CERTS/leaf.key" \
		--disable-client-cert "$@"
}

# tp_have_serve: does this build have `tlsprobe serve`?
tp_have_serve() {
	"$TLSPROBE" serve --help >/dev/null 2>&1
}

# tp_start_tlsprobe_serve NAME [ARGS...]: `tlsprobe serve` on 127.0.0.1 with
# its generated certificate; its CA goes to $TP_DIR/NAME-ca.pem. Sets TP_PORT.
tp_start_tlsprobe_serve() {
	local name=$1 port
	shift
	port=$(tp_free_port)
	local ca=$TP_DIR/$name-ca.pem
	rm -f "$ca"
	tp_start "$name" "$port" "$TLSPROBE" serve --write-ca "$ca" "$@" \
		"127.0.0.1:$port"
	for _ in $(seq 1 50); do
		[ -s "$ca" ] && return 0
		sleep 0.1
	done
	echo "tlsprobe serve wrote no CA to $ca" >&2
	tp_log "$name"
	return 1
}

# tp_start_fake NAME MODE: a plain TCP server (perl, which every Debian has)
# on 127.0.0.1. MODE garbage: reads the ClientHello, answers an HTTP
# response, closes. stall: accepts and never sends or closes. hangup: reads
# the ClientHello and closes. Sets TP_PORT.
tp_start_fake() {
	local name=$1 mode=$2 port
	port=$(tp_free_port)
	# shellcheck disable=SC2016 # perl code, not shell
	tp_start "$name" "$port" perl -e '
		use strict; use IO::Socket::INET;
		my ($mode, $port) = @ARGV;
		$SIG{PIPE} = "IGNORE";
		$| = 1;
		my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => $port, Listen => 16, ReuseAddr => 1,
		    Proto => "tcp") or die "listen on $port: $!\n";
		print "fake $mode server on $port\n";
		my @held;
		while (my $c = $l->accept) {
			print "accepted\n";
			if ($mode eq "stall") { push @held, $c; next; }
			my $buf;
			$c->sysread($buf, 16384);
			print "read ", length($buf // ""), " bytes\n";
			$c->syswrite("HTTP/1.0 200 OK\r\nContent-Type: " .
			    "text/plain\r\n\r\nthis is not TLS\r\n")
			    if $mode eq "garbage";
			close $c;
		}' "$mode" "$port"
}

# tp_stop NAME: stop peer NAME (TERM, then KILL after 2 s).
tp_stop() {
	local pidfile=$TP_DIR/$1.pid pid
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	rm -f "$pidfile"
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 20); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

# tp_stop_all: stop every peer this file started. For teardown_file.
tp_stop_all() {
	local f
	for f in "$TP_DIR"/*.pid; do
		[ -e "$f" ] || continue
		tp_stop "$(basename "$f" .pid)"
	done
}

# tp_dump_on_failure: in teardown, show every peer's log when the test
# failed (bats prints it with the failure).
tp_dump_on_failure() {
	local f
	[ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
	for f in "$TP_DIR"/*.log; do
		[ -e "$f" ] || continue
		tp_log "$(basename "$f" .log)"
	done
}

# tp_input FORMAT [ARGS...]: write printf FORMAT to a fresh file in the
# test's temp dir and print its name (for TP_IN).
tp_input() {
	local f
	f=$(mktemp "$BATS_TEST_TMPDIR/in.XXXXXX")
	# shellcheck disable=SC2059 # FORMAT is the point
	printf "$@" >"$f"
	echo "$f"
}

# tp_input_then_wait FILE SECS: print the name of a fifo that yields FILE
# and then stays open SECS seconds before EOF (for echo peers that close at
# close_notify without flushing what they still hold). The writer opens the
# fifo inside `timeout`, with stdout and fd 3 already let go: an open fifo
# blocks until its reader comes, and must neither hold up the command
# substitution that called us nor outlive a test that never reads it.
tp_input_then_wait() {
	local f
	f=$(mktemp -u "$BATS_TEST_TMPDIR/in-fifo.XXXXXX")
	mkfifo "$f"
	# shellcheck disable=SC2016 # $1..$3 are for sh, not for us
	timeout 60 sh -c 'exec >"$3"; cat "$1"; sleep "$2"' sh "$1" "$2" "$f" \
		</dev/null >/dev/null 2>&1 3>&- &
	echo "$f"
}

# tp_probe [ARGS...]: run tlsprobe ARGS with stdin from $TP_IN (default
# /dev/null), stdout to $OUT and stderr to $ERR (files in the test's temp
# dir), bounded by $TP_LIMIT seconds (default 20; exit 124 when hit).
# Sets status and elapsed (whole seconds). Prints the command, status and
# tlsprobe's stderr, which bats shows only when the test fails.
tp_probe() {
	OUT=$BATS_TEST_TMPDIR/stdout
	ERR=$BATS_TEST_TMPDIR/stderr
	local start=$SECONDS
	status=0
	timeout -k 2 "${TP_LIMIT:-20}" "$TLSPROBE" "$@" \
		<"${TP_IN:-/dev/null}" >"$OUT" 2>"$ERR" || status=$?
	elapsed=$((SECONDS - start))
	{
		echo "# tlsprobe $* <${TP_IN:-/dev/null}"
		echo "# exit status $status after ${elapsed}s; stderr:"
		sed 's/^/#   /' "$ERR"
		echo "# stdout ($(wc -c <"$OUT") bytes):"
		head -c 2000 "$OUT" | od -c | head -n 20 | sed 's/^/#   /'
	} >&2
	if [ "$status" -eq 124 ]; then
		echo "# tlsprobe was killed after ${TP_LIMIT:-20}s" >&2
	fi
}

# tp_stdout_is FORMAT [ARGS...]: tlsprobe's stdout (from tp_probe) equals
# printf FORMAT, byte for byte.
tp_stdout_is() {
	local want=$BATS_TEST_TMPDIR/want
	# shellcheck disable=SC2059
	printf "$@" >"$want"
	if ! cmp -s "$want" "$OUT"; then
		echo "# stdout differs; want:" >&2
		od -c "$want" | head -n 20 | sed 's/^/#   /' >&2
		return 1
	fi
}

# tp_json_is JQ-EXPR [FILE]: the expression holds for the JSON report in
# FILE ($JSON by default); when it does not, prints it and the report.
tp_json_is() {
	local file=${2:-$JSON}
	if ! jq -e "$1" "$file" >/dev/null; then
		echo "# $file fails: $1" >&2
		sed 's/^/#   /' "$file" >&2
		return 1
	fi
}

# tp_stderr_has ERE...: tlsprobe's stderr matches each extended regular
# expression, ignoring case. The CLI's wording may change: match key words.
tp_stderr_has() {
	local re
	for re in "$@"; do
		if ! grep -Eqi -- "$re" "$ERR"; then
			echo "# stderr does not match /$re/i" >&2
			return 1
		fi
	done
}

# wait_for SECS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "# gave up waiting for: $*" >&2
	return 1
}
