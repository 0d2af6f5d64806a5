#!/usr/bin/env bats
# PostgreSQL 15 (OpenSSL 3) through `--starttls postgres` (SSLRequest, then
# TLS): a cluster made by initdb in $IC_ROOT, run as the postgres user
# (PostgreSQL refuses root) on its own port and socket directory; the
# Debian cluster that the package may have started is left alone.
# pg_hba.conf: trust over hostssl, and clientcert=verify-ca for database
# template1. The requests are wire-protocol messages written by python3:
# StartupMessage, a simple Query, Terminate. Expected results:
# EXPECTED.md, "PostgreSQL".

# shellcheck disable=SC2034,SC2154 # TP_IN, status, JSON: used by helpers
bats_require_minimum_version 1.5.0
load lib/common

# postgres_bin: Debian's PostgreSQL binaries directory (newest version).
postgres_bin() {
	local d
	d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin \
		-type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/postgres" ] || return 1
	echo "$d"
}

# as_postgres CMD [ARGS...]: CMD as the postgres user (exec, same pid).
as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

# pg_start NAME: initdb into $IC_ROOT/NAME, then postgres in the
# foreground on 127.0.0.1 with ssl=on. Exports PG_PORT.
pg_start() {
	local name=$1 dir=$IC_ROOT/$1 bin port
	bin=$(postgres_bin) || {
		echo "no PostgreSQL under /usr/lib/postgresql; run scripts/setup" >&2
		return 1
	}
	port=$(tp_free_port) || return 1
	mkdir -p "$dir"
	cp "$CERTS/leaf.pem" "$CERTS/leaf.key" "$CERTS/ca.pem" "$dir/"
	chown -R postgres:postgres "$dir"
	chmod 600 "$dir/leaf.key"
	as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres \
		>"$TP_DIR/$name-initdb.log" 2>&1 || {
		cat "$TP_DIR/$name-initdb.log" >&2
		return 1
	}
	cat >"$dir/data/pg_hba.conf" <<EOF
hostssl template1 all 127.0.0.1/32 trust clientcert=verify-ca
hostssl all all 127.0.0.1/32 trust
host all all 127.0.0.1/32 reject
EOF
	ic_start "$name" "$port" setpriv --reuid=postgres --regid=postgres \
		--init-groups "$bin/postgres" -D "$dir/data" \
		-c listen_addresses=127.0.0.1 -c port="$port" \
		-c unix_socket_directories="$dir" -c ssl=on \
		-c ssl_cert_file="$dir/leaf.pem" -c ssl_key_file="$dir/leaf.key" \
		-c ssl_ca_file="$dir/ca.pem" || return 1
	# Listening comes before recovery ends ("the database system is
	# starting up"): poll pg_isready on the Unix socket, bounded.
	wait_for 10 "$bin/pg_isready" -q -h "$dir" -p "$port" || {
		tp_log "$name"
		tp_stop "$name"
		return 1
	}
	export PG_PORT=$port
}

# pg_messages FILE DATABASE [noterminate]: write a StartupMessage (user
# postgres), the query SELECT 'tlsprobe-' || 6*7 and, unless noterminate,
# Terminate, to FILE.
pg_messages() {
	python3 - "$@" <<'EOF'
import struct, sys
path, db = sys.argv[1], sys.argv[2].encode()
def msg(t, body):
    return t + struct.pack("!I", len(body) + 4) + body
params = b"user\0postgres\0database\0" + db + b"\0\0"
out = struct.pack("!II", 8 + len(params), 196608) + params
out += msg(b"Q", b"SELECT 'tlsprobe-' || 6*7\0")
if len(sys.argv) < 4:
    out += msg(b"X", b"")
open(path, "wb").write(out)
EOF
}

setup_file() {
	ic_setup_file setpriv python3
	pg_start postgres
	pg_messages "$TP_DIR/pg-query.bin" postgres
	pg_messages "$TP_DIR/pg-query-t1.bin" template1
	ic_selfclient_cert
}

teardown_file() {
	ic_teardown_file
}

teardown() {
	tp_dump_on_failure
}

@test "PostgreSQL --starttls postgres: connect and verify, TLS 1.3" {
	ic_run --starttls postgres --ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .starttls postgres
	ic_expect_session .connection.protocol TLSv1.3
	ic_expect_session .connection.verification.ok true
}

@test "PostgreSQL: startup, query and Terminate piped; the row and ReadyForQuery at end of input" {
	TP_IN=$TP_DIR/pg-query.bin
	ic_run --starttls postgres --ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'tlsprobe-42' 'SELECT 1' 'server_version'
}

@test "PostgreSQL: without Terminate, the reply still comes before tlsprobe closes" {
	pg_messages "$BATS_TEST_TMPDIR/q.bin" postgres noterminate
	TP_IN=$BATS_TEST_TMPDIR/q.bin
	ic_run --starttls postgres --ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'tlsprobe-42'
}

@test "PostgreSQL: --tls1.2, :reneg after the handshake is refused with a warning, the query still answered" {
	TP_IN=$(ic_input_paced ':reneg\n' +0.5 "@$TP_DIR/pg-query.bin")
	ic_run --commands --tls1.2 --starttls postgres \
		--ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_expect_session .connection.renegotiations 0
	ic_expect_session .connection.renegotiations_refused 1
	tp_stderr_has 'no_renegotiation'
	ic_stdout_has 'tlsprobe-42'
}

@test "PostgreSQL: :keyupdate req (TLS 1.3) is answered before the server's data" {
	ic_keyupdate_paced "$PG_PORT" 0.3 "@$TP_DIR/pg-query.bin" \
		--starttls postgres
	ic_stdout_has 'tlsprobe-42'
}

@test "PostgreSQL clientcert=verify-ca: with --cert/--key, the query answered" {
	TP_IN=$TP_DIR/pg-query-t1.bin
	ic_run --starttls postgres --cert "$CERTS/client.pem" \
		--key "$CERTS/client.key" --ca-file "$CERTS/ca.pem" \
		"localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'tlsprobe-42'
}

@test "PostgreSQL clientcert=verify-ca: none: TLS is fine (exit 0), the server answers FATAL 28000" {
	TP_IN=$TP_DIR/pg-query-t1.bin
	ic_run --starttls postgres --ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 0 ]
	ic_stdout_has 'FATAL' '28000' 'connection requires a valid client certificate'
	ic_stdout_lacks 'tlsprobe-42'
}

@test "PostgreSQL clientcert=verify-ca: certificate of an unknown CA: unknown_ca, exit 6" {
	TP_IN=$(ic_input_paced +1 "@$TP_DIR/pg-query-t1.bin")
	ic_run --starttls postgres --cert "$CERTS/selfclient.pem" \
		--key "$CERTS/selfclient.key" --ca-file "$CERTS/ca.pem" \
		"localhost:$PG_PORT"
	[ "$status" -eq 6 ]
	tp_stderr_has 'unknown_ca'
}

@test "PostgreSQL: without --starttls there is no TLS to speak to: exit 4" {
	ic_run --ca-file "$CERTS/ca.pem" "localhost:$PG_PORT"
	[ "$status" -eq 4 ]
}

@test "PostgreSQL: probe reneg without --starttls cannot handshake: exit 4" {
	ic_probe postgres_plain "$PG_PORT"
	[ "$status" -eq 4 ]
	tp_stderr_has 'handshake'
}

# A StartupMessage (user and database postgres) in probe's \xHH escapes.
PG_STARTUP='\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00database\x00postgres\x00\x00'

@test "PostgreSQL: probe reneg --starttls postgres: rejected (refused, alive), KeyUpdate answered before the reply to a StartupMessage" {
	ic_probe postgres "$PG_PORT" --starttls postgres --attempts 1 \
		--request "$PG_STARTUP"
	[ "$status" -eq 0 ]
	ic_expect_probe .target.starttls postgres
	ic_expect_probe .renegotiation.secure_renegotiation.status supported
	ic_expect_probe .renegotiation.client_initiated.status rejected
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].outcome' \
		refused
	ic_expect_probe '.renegotiation.client_initiated.attempts[0].alive' true
	ic_expect_probe .renegotiation.server_initiated.status not_observed
	ic_expect_probe .tls13.key_update.status answered
}
