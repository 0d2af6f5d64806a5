#!/usr/bin/env bats
# What a hostile peer or another local user could do through tlsprobe
# (issue 16; SECURITY CONSIDERATIONS in tlsprobe(1)):
#
# - names in a server's certificate reach the terminal escaped: control
#   characters and a NUL in its CN cannot retitle the window, erase lines
#   or cut the name short; the peer's data on stdout and the PEM of
#   --showcerts stay byte for byte;
# - files holding secrets (--sess-out, --keylog) are 0600 under umask 022,
#   and no output file (those two, --json, serve --write-ca) is written
#   through a symbolic link or into a file another user owns;
# - a key log that cannot be written is an error, not a silent exit 0.
#
# Another user's files and links are made with setpriv as nobody, in a
# sticky world-writable directory like /tmp (the suite runs as root).

# shellcheck disable=SC2034,SC2154,SC2030,SC2031 # TP_IN, status, OUT, ERR:
# peers.bash and bats set and read them
bats_require_minimum_version 1.5.0
load ../helpers/peers

setup_file() {
	tp_setup_file
	python3 "$TP_HELPERS/hostile_cert.py" "$TP_DIR"
	local port
	port=$(tp_free_port)
	tp_start hostile "$port" "$TLSPROBE" serve --cert "$TP_DIR/hostile.pem" \
		--key "$TP_DIR/hostile.key" "127.0.0.1:$port"
	export HOSTILE_PORT=$port
	tp_start_tlsprobe_serve serve12 --tls1.2
	export SERVE12_PORT=$TP_PORT
	export SERVE12_CA=$TP_DIR/serve12-ca.pem
	port=$(tp_free_port)
	tp_start spoof "$port" "$TLSPROBE" serve --cert "$TP_DIR/spoof.pem" \
		--key "$TP_DIR/spoof.key" "127.0.0.1:$port"
}

teardown_file() {
	tp_stop_all
}

setup() {
	umask 022
	# A shared directory as /tmp is: sticky, writable by all (in /tmp,
	# where the other user can reach it).
	SHARED=$(mktemp -d /tmp/tp-security.XXXXXX)
	chmod 1777 "$SHARED"
}

teardown() {
	rm -rf "$SHARED"
	tp_dump_on_failure
}

# as_nobody CMD...: run CMD as another local user.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}

# no_raw_control FILE: no C0 control but newline and tab, no DEL, no C1
# byte (a lone 0x80-0x9f; nothing else non-ASCII is printed here).
no_raw_control() {
	if LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]' "$1" |
		od -c | head -n 10 | sed 's/^/# raw: /' >&2 &&
		LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]' "$1"; then
		return 1
	fi
}

@test "a certificate's control characters and NUL reach stderr escaped" {
	tp_probe --insecure --showcerts "localhost:$HOSTILE_PORT"
	[ "$status" -eq 0 ]
	no_raw_control "$ERR"
	# The whole name, past its NUL, and the escapes s_client would show.
	grep -qF 'Peer subject: /O=bad\x7Forg\xC2\x9B31m/CN=localhost\x00evil.example\x1B]0;pwned\x07\x1B[2K\x0DConnected (verified OK)' "$ERR"
	grep -qF ' 0 s: /O=bad\x7Forg' "$ERR"
	# Characters that reorder or hide text are escaped too.
	grep -qF '/OU=\xE2\x80\xAEtxt.exe local\xE2\x80\x8Bhost' "$ERR"
	run ! grep -qaP '\xE2\x80[\x8B\xAE]' "$ERR"
	grep -qF 'failure: depth 0: self-signed certificate: /O=bad\x7F' "$ERR"
	# No line of ours starts with the forged text.
	run ! grep -q '^Connected (verified OK)' "$ERR"
}

@test "a '/' inside a name's value cannot pass for another entry: it is shown as \\/ (as openssl x509 -nameopt compat does)" {
	tp_probe --insecure --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$(cat "$TP_DIR/spoof.port")"
	[ "$status" -eq 0 ]
	grep -qxF 'Peer subject: /CN=localhost\/O=Example Bank\\x' "$ERR"
	run ! grep -qF '/CN=localhost/O=' "$ERR"
	tp_json_is '.certificates.chain[0].subject == "/CN=localhost\\/O=Example Bank\\\\x"' \
		"$BATS_TEST_TMPDIR/r.json"
}

@test "a failed verification's chain line and names reach stderr escaped" {
	tp_probe "localhost:$HOSTILE_PORT"
	[ "$status" -eq 5 ]
	no_raw_control "$ERR"
	grep -qF ' 0 /O=bad\x7Forg\xC2\x9B31m/CN=localhost\x00evil.example\x1B]0;pwned\x07' "$ERR"
	grep -qF 'names DNS:evil\x1B]0;pwned-by-san\x07.example' "$ERR"
	grep -qF 'tlsprobe: certificate verification failed: depth 0: self-signed certificate: /O=bad\x7F' "$ERR"
	run ! grep -q '^Connected (verified OK)' "$ERR"
}

@test "--brief, the --insecure warning and --json carry the escaped name" {
	tp_probe --insecure --brief --json "$BATS_TEST_TMPDIR/r.json" \
		"localhost:$HOSTILE_PORT"
	[ "$status" -eq 0 ]
	no_raw_control "$ERR"
	grep -qF 'peer /O=bad\x7Forg\xC2\x9B31m/CN=localhost\x00evil' "$ERR"
	grep -qF 'WARNING: certificate verification FAILED' "$ERR"
	python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))["connection"]
s = c["peer_chain"][0]["subject"]
assert "localhost\\x00evil.example\\x1B]0;" in s, s
assert all(ord(ch) >= 0x20 for ch in s), s' "$BATS_TEST_TMPDIR/r.json"
}

@test "--showcerts PEM is the certificate's own, byte for byte" {
	tp_probe --insecure --showcerts "localhost:$HOSTILE_PORT"
	[ "$status" -eq 0 ]
	sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' \
		"$ERR" >"$BATS_TEST_TMPDIR/shown.pem"
	cmp "$TP_DIR/hostile.pem" "$BATS_TEST_TMPDIR/shown.pem"
}

@test "the peer's data on stdout is untouched, control bytes and all" {
	TP_IN=$(tp_input 'a\033]0;t\007\033[2Kb\r\000c\237d\n')
	tp_probe --insecure --quiet "localhost:$HOSTILE_PORT"
	[ "$status" -eq 0 ]
	tp_stdout_is 'a\033]0;t\007\033[2Kb\r\000c\237d\n'
}

@test "--sess-out is 0600 under umask 022, and replaces an older 0644 one" {
	local sess=$BATS_TEST_TMPDIR/sess.der
	tp_probe --quiet --sess-out "$sess" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$sess")" = 600 ]
	chmod 644 "$sess"
	tp_probe --quiet --sess-out "$sess" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$sess")" = 600 ]
	# No temporary file left beside it.
	[ "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.sess.der.*' | wc -l)" -eq 0 ]
	# And it still resumes.
	tp_probe --brief --sess-in "$sess" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -eq 0 ]
	tp_stderr_has 'resumed yes'
}

@test "--keylog is created 0600; an existing 0644 one of ours becomes 0600" {
	local keys=$BATS_TEST_TMPDIR/keys
	tp_probe --quiet --keylog "$keys" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$keys")" = 600 ]
	chmod 644 "$keys"
	tp_probe --quiet --keylog "$keys" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$keys")" = 600 ]
	[ "$(grep -c '^CLIENT_RANDOM ' "$keys")" -eq 2 ]
}

# planted_link NAME: another user's symbolic link SHARED/NAME to a file of
# ours ($VICTIM, holding "precious").
planted_link() {
	VICTIM=$SHARED/victim
	echo precious >"$VICTIM"
	chmod 644 "$VICTIM"
	as_nobody ln -s "$VICTIM" "$SHARED/$1"
}

victim_intact() {
	[ "$(cat "$VICTIM")" = precious ]
}

@test "--keylog does not append through a planted symbolic link" {
	planted_link keys
	tp_probe --quiet --keylog "$SHARED/keys" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -ne 0 ]
	tp_stderr_has 'symbolic link'
	victim_intact
}

@test "--sess-out and --json do not write through a planted symbolic link" {
	planted_link sess
	tp_probe --quiet --sess-out "$SHARED/sess" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -ne 0 ]
	tp_stderr_has 'sess-out.*symbolic link'
	victim_intact
	rm -f "$SHARED/sess"
	planted_link report.json
	tp_probe --quiet --json "$SHARED/report.json" --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -ne 0 ]
	tp_stderr_has 'json.*symbolic link'
	victim_intact
}

@test "serve --write-ca refuses a CA file another user created first" {
	# The README's old example was serve --write-ca /tmp/ca.pem: whoever
	# made /tmp/ca.pem first kept it, and could swap the CA clients then
	# trusted. (The port is taken: serve stops right after the file.)
	as_nobody sh -c "echo theirs >'$SHARED/ca.pem'"
	run timeout 10 "$TLSPROBE" serve --write-ca "$SHARED/ca.pem" \
		"127.0.0.1:$SERVE12_PORT"
	echo "$output" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"another user"* ]]
	[ "$(cat "$SHARED/ca.pem")" = theirs ]
}

@test "serve --write-ca does not write through a planted symbolic link" {
	planted_link ca.pem
	run timeout 10 "$TLSPROBE" serve --write-ca "$SHARED/ca.pem" \
		"127.0.0.1:$SERVE12_PORT"
	echo "$output" >&2
	[ "$status" -ne 0 ]
	[[ "$output" == *"symbolic link"* ]]
	victim_intact
}

@test "serve --write-ca into a directory that does not exist: one line that says why" {
	# The library's config error used to be "no error" when there was
	# none, and serve printed it after its own message.
	run timeout 10 "$TLSPROBE" serve --write-ca /nonexistent/dir/ca.pem \
		"127.0.0.1:$SERVE12_PORT"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"/nonexistent/dir/ca.pem"*"No such file or directory"* ]]
	[[ "$output" != *"no error"* ]]
}

@test "a key log that cannot be written fails the run and says why" {
	tp_probe --quiet --keylog /dev/full --ca-file "$SERVE12_CA" \
		"localhost:$SERVE12_PORT"
	[ "$status" -ne 0 ]
	tp_stderr_has 'key log.*/dev/full.*(space|No space)'
}

# start_limited NAME [SERVE ARGS...]: tlsprobe serve as nobody under
# ulimit -u 8 (the thread limit of a container or a systemd unit): its
# main thread and at most 7 connection threads. Sets PORT and PID.
start_limited() {
	local name=$1
	shift
	PORT=$(tp_free_port)
	# shellcheck disable=SC2016 # for the inner bash
	tp_start "$name" "$PORT" bash -c 'ulimit -u 8 &&
		exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"' \
		bash "$TLSPROBE" serve "$@" "127.0.0.1:$PORT"
	PID=$(cat "$TP_DIR/$name.pid")
}

fds_of() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

@test "serve at its thread limit: 60 clients, none waits for its timeout" {
	start_limited limited --quiet
	local before
	before=$(fds_of "$PID")
	# 8 s per client: longer than any prompt answer, shorter than the 10 s
	# handshake timeout of a client that is never answered.
	run -0 python3 "$TP_HELPERS/hold_clients.py" "$PORT" 60 8
	echo "$output" >&2
	[[ "$output" == *" timeout=0" ]]
	[[ "$output" != "ok=0 "* ]]
	[[ "$output" != *" refused=0 "* ]]
	grep -q 'connection refused: cannot start a thread' \
		"$TP_DIR/limited.log"
	# Nothing of the refused connections stays; it still serves.
	wait_for 5 test "$(fds_of "$PID")" -eq "$before"
	run -0 python3 "$TP_HELPERS/hold_clients.py" "$PORT" 1 8
	[ "$output" = "ok=1 refused=0 timeout=0" ]
	kill -0 "$PID"
}

@test "serve --naccept at its thread limit exits cleanly" {
	start_limited naccept --quiet --naccept 20
	run -0 python3 "$TP_HELPERS/hold_clients.py" "$PORT" 20 8
	echo "$output" >&2
	[[ "$output" == *" timeout=0" ]]
	wait_for 10 sh -c "! kill -0 $PID 2>/dev/null"
	# Our child (tp_start): its exit status, 139 when it crashed.
	local rc=0
	wait "$PID" || rc=$?
	rm -f "$TP_DIR/naccept.pid"
	[ "$rc" -eq 0 ]
}

# tls12_case MODE: a hand-written TLS 1.2 server (tests/helpers/
# tls12_server.py) behaving as MODE says, a line echoed through it.
tls12_case() {
	local port
	port=$(tp_free_port)
	tp_start "t12-$1" "$port" python3 "$TP_HELPERS/tls12_server.py" \
		"$port" "$1"
	TP_IN=$(tp_input 'hello\n')
	tp_probe --insecure --quiet "localhost:$port"
	[ "$status" -eq 0 ]
	tp_stdout_is 'hello\n'
	wait_for 5 grep -q 'closed cleanly' "$TP_DIR/t12-$1.log"
}

@test "TLS 1.2 server, ordinary (the control for the two below)" {
	tls12_case normal
}

@test "TLS 1.2 ServerHello with an empty extensions block (patch 0006)" {
	# It agrees to no extension: no extended master secret either.
	tls12_case empty-ext
}

@test "handshake headers split between records, one byte each (patch 0007)" {
	tls12_case one-byte
}
